/*
 * loadgen.c - the run as a whole: shared setup, threads, progress, merge.
 *
 * lg_new() compiles the live templates once (with the defaults of
 * docs/scenario-format.md when the scenario leaves them out), works out per
 * population timeouts, and builds every worker's handles before any
 * thread exists, so configuration errors surface before traffic starts.
 * Workers publish progress snapshots under their own mutex once per
 * period; lg_poll() collects them.  lg_join() merges the per-worker
 * recorders with rec_merge(), which is exact, and the schedule-lag
 * histograms, and decides whether the generator kept up.
 */
#include "loadgen/loadgen.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/model/traffic.h"
#include "loadgen/curlmem.h"
#include "loadgen/worker.h"

#define DEFAULT_PATH "/v1/chat/completions"
#define DEFAULT_BODY                                                           \
    "{\"model\":\"${model}\",\"max_tokens\":${completion_tokens},"             \
    "\"messages\":[{\"role\":\"user\",\"content\":\"${prompt}\"}]}"

struct lg {
    struct lg_shared sh;
    atomic_llong budget; /* --max-requests with closed-loop users */
    struct lg_worker *w;
    int n_w;
    struct hist poll_lat; /* scratch for lg_poll */
    bool joined;
};

static int compile(struct tpl *t, const char *src, const char *what, char *err,
                   size_t err_len)
{
    char msg[200];
    if (tpl_compile(src, t, msg, sizeof(msg)) == ERR_OK)
        return ERR_OK;
    snprintf(err, err_len, "live.request.%s: %s", what, msg);
    return ERR_INVAL;
}

static bool header_named(const char *h, const char *name)
{
    size_t n = strlen(name);
    return strncasecmp(h, name, n) == 0 && h[n] == ':';
}

static int add_header(struct lg_shared *sh, const char *src, char *err,
                      size_t err_len)
{
    if (sh->n_headers >= LG_MAX_HEADERS) {
        snprintf(err, err_len, "live.request.headers: more than %d",
                 LG_MAX_HEADERS);
        return ERR_INVAL;
    }
    /* Messages name the header by position and name, never its value
     * (an Authorization header may hold a literal key). */
    size_t i = sh->n_headers;
    const char *colon = strchr(src, ':');
    if (!colon) {
        snprintf(err, err_len,
                 "live.request.headers[%zu]: not \"Name: value\" (no ':'; "
                 "the text is not shown, it may be a secret)",
                 i);
        return ERR_INVAL;
    }
    char msg[200];
    if (tpl_compile(src, &sh->headers[sh->n_headers++], msg, sizeof(msg)) ==
        ERR_OK)
        return ERR_OK;
    int name_len = (int)(colon - src < 60 ? colon - src : 60);
    snprintf(err, err_len, "live.request.headers[%zu] (%.*s): %s", i, name_len,
             src, msg);
    return ERR_INVAL;
}

/* Headers: the scenario's, or Authorization + Content-Type, plus the
 * region header when no template sets it. */
static int setup_headers(struct lg_shared *sh, const struct scn_live *lv,
                         char *err, size_t err_len)
{
    static const char *const dflt[] = { "Authorization: Bearer ${key}",
                                        "Content-Type: application/json" };
    size_t n = lv ? lv->n_headers : 0;
    bool region = false;
    const char *rh =
        lv && lv->region_header ? lv->region_header : "X-Client-Region";
    for (size_t i = 0; i < (n ? n : 2); i++) {
        const char *h = n ? lv->headers[i] : dflt[i];
        region = region || header_named(h, rh);
        if (add_header(sh, h, err, err_len) != ERR_OK)
            return ERR_INVAL;
    }
    if (!region && rh[0]) {
        char buf[128];
        snprintf(buf, sizeof(buf), "%s: ${region}", rh);
        return add_header(sh, buf, err, err_len);
    }
    return ERR_OK;
}

static int setup_request(struct lg_shared *sh, char *err, size_t err_len)
{
    /* The parser fills live's defaults also without a live: section. */
    const struct scn_live *lv = &sh->sc->live;
    const char *method = lv && lv->method ? lv->method : "POST";
    sh->method_name = method;
    sh->method = strcmp(method, "GET") == 0    ? 0
                 : strcmp(method, "POST") == 0 ? 1
                                               : 2;
    const char *body = lv && lv->body    ? lv->body
                       : sh->method == 0 ? ""
                                         : DEFAULT_BODY;
    /* GET sends no body (the parser fills the default body in anyway). */
    sh->has_body = body[0] != '\0' && sh->method != 0;
    if (compile(&sh->path, lv && lv->path ? lv->path : DEFAULT_PATH, "path",
                err, err_len) != ERR_OK ||
        compile(&sh->body, body, "body", err, err_len) != ERR_OK ||
        setup_headers(sh, lv, err, err_len) != ERR_OK)
        return ERR_INVAL;
    struct tpl_vars none = { 0 };
    sh->headers_const = true;
    sh->uses_key = ((sh->path.uses | sh->body.uses) >> TPL_KEY) & 1u;
    for (size_t i = 0; i < sh->n_headers; i++) {
        sh->headers_const &= tpl_is_constant(&sh->headers[i]) != 0;
        sh->uses_key |= (sh->headers[i].uses >> TPL_KEY) & 1u;
    }
    if (tpl_is_constant(&sh->path)) {
        struct tpl_buf b = { 0 };
        tpl_buf_append(&b, sh->base_url, strlen(sh->base_url));
        tpl_render(&sh->path, &none, &b);
        sh->url_const = b.p;
    }
    if (sh->has_body && tpl_is_constant(&sh->body)) {
        struct tpl_buf b = { 0 };
        tpl_render(&sh->body, &none, &b);
        sh->body_const = b.p;
        sh->body_const_len = b.len;
    }
    return ERR_OK;
}

static void setup_timeouts(struct lg_shared *sh)
{
    const struct scenario *sc = sh->sc;
    int64_t live = sc->has_live ? sc->live.timeout_ns : 0, longest = 0;
    sh->pop_timeout_ns = xcalloc(sc->n_pops ? sc->n_pops : 1, sizeof(int64_t));
    for (size_t p = 0; p < sc->n_pops; p++) {
        int64_t t = sc->pops[p].client.timeout_ns;
        if (live > 0 && (t <= 0 || live < t))
            t = live;
        if (t <= 0)
            t = 30 * 1000000000LL;
        sh->pop_timeout_ns[p] = t;
        longest = t > longest ? t : longest;
    }
    /* In-flight requests end by themselves within their timeout: wait
     * that long (plus a margin for libcurl's timer), 10 s at most. */
    longest += 250000000LL;
    if (longest > 10 * 1000000000LL)
        longest = 10 * 1000000000LL;
    sh->drain_ns = sh->cfg.drain_ns > 0 ? sh->cfg.drain_ns : longest;
    sh->progress_ns =
        sh->cfg.progress_ns > 0 ? sh->cfg.progress_ns : 1000000000LL;
}

static int check_config(const struct lg_config *c, char *err, size_t err_len)
{
    const char *bad = NULL;
    if (!c->sc || !c->target)
        bad = "scenario and target are required";
    else if (strncmp(c->target, "http://", 7) != 0 &&
             strncmp(c->target, "https://", 8) != 0)
        bad = "target must start with http:// or https://";
    else if (c->threads < 1 || c->threads > LG_MAX_THREADS)
        bad = "threads must be in 1..256";
    else if (scn_run_recorder_bytes(c->sc, c->threads) >
             SCN_MAX_RUN_RECORDER_BYTES)
        bad = "threads: every thread keeps a recorder and together they "
              "would pass 2 GB; use fewer threads (tollgate validate says how "
              "many fit)";
    else if (c->connections < c->threads || c->connections > LG_MAX_CONNECTIONS)
        bad = "connections must be at least threads and at most 100000";
    else if (c->duration_ns <= 0)
        bad = "duration must be positive";
    else if (c->shard_n < 1 || c->shard_i < 0 || c->shard_i >= c->shard_n)
        bad = "shard must be I/N with 0 <= I < N";
    else if (c->max_requests < 0)
        bad = "max requests must not be negative";
    if (bad)
        snprintf(err, err_len, "%s", bad);
    return bad ? ERR_INVAL : ERR_OK;
}

static int make_recorders(struct lg *g)
{
    int rc = ERR_OK;
    for (int i = 0; i < g->n_w && rc == ERR_OK; i++)
        rc = rec_new_scenario(g->sh.sc, g->sh.cfg.duration_ns, true,
                              &g->w[i].rec);
    return rc;
}

/* --max-requests, decided here before the workers get their streams:
 * open loop only, the shard's stream is played up to its N-th request,
 * whose (intended time, id) becomes the cut every worker stops at, so
 * exactly the first N requests by intended time are sent whatever the
 * thread count, with nothing shared at run time.  Closed-loop users
 * make the order depend on response times: a shared budget then, leased
 * in chunks (worker.c). */
static void plan_limit(struct lg *g)
{
    const struct lg_config *c = &g->sh.cfg;
    if (c->max_requests <= 0)
        return;
    struct traffic *t = traffic_new(g->sh.sc, c->seed, c->shard_i, c->shard_n);
    bool closed = false;
    for (size_t p = 0; p < g->sh.sc->n_pops; p++)
        closed = closed || traffic_closed_users(t, (int)p) > 0;
    if (closed) {
        atomic_init(&g->budget, c->max_requests);
        g->sh.budget = &g->budget;
    } else {
        struct traffic_req r;
        int64_t n = 0;
        while (n < c->max_requests && traffic_next(t, &r) &&
               r.t_ns < c->duration_ns)
            n++;
        if (n == c->max_requests) {
            g->sh.has_cut = true;
            g->sh.cut_t_ns = r.t_ns;
            g->sh.cut_id = r.id;
        }
    }
    traffic_free(t);
}

int lg_global_init(void)
{
    CURLcode rc =
        curl_global_init_mem(CURL_GLOBAL_ALL, curlmem_malloc, curlmem_free,
                             curlmem_realloc, curlmem_strdup, curlmem_calloc);
    return rc == CURLE_OK ? ERR_OK : ERR_CURL;
}

int lg_new(const struct lg_config *cfg, struct lg **out, char *err,
           size_t err_len)
{
    *out = NULL;
    if (check_config(cfg, err, err_len) != ERR_OK)
        return ERR_INVAL;
    struct lg *g = xcalloc(1, sizeof(*g));
    g->sh.cfg = *cfg;
    g->sh.sc = cfg->sc;
    g->sh.is_https = strncmp(cfg->target, "https://", 8) == 0;
    g->sh.base_url = xstrdup(cfg->target);
    size_t n = strlen(g->sh.base_url);
    while (n > 0 && g->sh.base_url[n - 1] == '/')
        g->sh.base_url[--n] = '\0';
    atomic_init(&g->sh.stop, false);
    cls_config_init(&g->sh.cls, cfg->sc);
    setup_timeouts(&g->sh);
    hist_init(&g->poll_lat);
    int rc = setup_request(&g->sh, err, err_len);
    if (rc != ERR_OK)
        goto fail;
    plan_limit(g);
    g->n_w = cfg->threads;
    g->w = xcalloc((size_t)g->n_w, sizeof(*g->w));
    for (int i = 0; i < g->n_w && rc == ERR_OK; i++)
        rc = lg_worker_init(&g->w[i], &g->sh, i, err, err_len);
    if (rc == ERR_OK && make_recorders(g) != ERR_OK) {
        snprintf(err, err_len, "recorder: invalid duration/interval");
        rc = ERR_INVAL;
    }
    if (rc != ERR_OK)
        goto fail;
    *out = g;
    return ERR_OK;
fail:
    lg_free(g);
    return rc;
}

int lg_start(struct lg *g)
{
    return lg_start_at(g, lg_now_ns());
}

int lg_start_at(struct lg *g, int64_t start_ns)
{
    g->sh.start_ns = start_ns;
    for (int i = 0; i < g->n_w; i++) {
        if (pthread_create(&g->w[i].thread, NULL, lg_worker_main, &g->w[i]) !=
            0) {
            lg_stop(g);
            for (int j = 0; j < i; j++) {
                pthread_join(g->w[j].thread, NULL);
                g->w[j].started = false;
            }
            return ERR_THREAD;
        }
        g->w[i].started = true;
    }
    return ERR_OK;
}

void lg_poll(struct lg *g, struct lg_progress *p)
{
    memset(p, 0, sizeof(*p));
    hist_reset(&g->poll_lat);
    p->elapsed_ns = lg_now_ns() - g->sh.start_ns;
    for (int i = 0; i < g->n_w; i++) {
        struct lg_worker *w = &g->w[i];
        pthread_mutex_lock(&w->mu);
        struct lg_snap *s = &w->snap;
        if (s->fresh) {
            p->offered += s->offered;
            p->attempts += s->attempts;
            for (int r = 0; r < REASON_COUNT; r++)
                p->outcome[r] += s->outcome[r];
            hist_merge(&g->poll_lat, s->lat);
            hist_reset(s->lat);
            s->fresh = false;
        }
        p->in_flight += s->in_flight;
        p->running = p->running || !s->done;
        pthread_mutex_unlock(&w->mu);
    }
    p->p99_ns =
        hist_count(&g->poll_lat) ? hist_percentile(&g->poll_lat, 99.0) : -1;
}

void lg_stop(struct lg *g)
{
    atomic_store(&g->sh.stop, true);
}

static void add_stats(struct lg_stats *st, const struct lg_worker *w)
{
    st->sent += w->sent;
    st->dropped += w->dropped;
    st->dropped_drain += w->dropped_drain;
    st->aborted += w->aborted;
    st->retries_unsent += w->retries_unsent;
    st->connections_used += w->conns_peak;
    st->conn_waits += w->conn_waits;
    if (st->cpu_ns >= 0 && w->cpu_ns >= 0) {
        st->cpu_ns += w->cpu_ns;
        st->cpu_wait_ns += w->cpu_wait_ns;
    } else {
        st->cpu_ns = st->cpu_wait_ns = -1;
    }
    st->http2_responses += w->http2;
    st->stopped = st->stopped || w->stopped;
    st->end_ns = w->end_ns > st->end_ns ? w->end_ns : st->end_ns;
}

int lg_join(struct lg *g, struct rec **out, struct lg_stats *st)
{
    int rc = ERR_OK;
    memset(st, 0, sizeof(*st));
    *out = NULL;
    for (int i = 0; i < g->n_w; i++)
        if (g->w[i].started && pthread_join(g->w[i].thread, NULL) != 0)
            rc = ERR_THREAD;
    g->joined = true;
    if (rc != ERR_OK)
        return rc;
    struct hist lag;
    hist_init(&lag);
    for (int i = 0; i < g->n_w; i++) {
        add_stats(st, &g->w[i]);
        hist_merge(&lag, &g->w[i].lag);
    }
    /* Complete: the whole window ran and every request sent got its
     * answer (none abandoned in flight at the end). */
    for (int i = 0; i < g->n_w; i++)
        rec_finish(g->w[i].rec, st->end_ns, !st->stopped && st->aborted == 0);
    for (int i = 1; i < g->n_w && rc == ERR_OK; i++)
        rc = rec_merge(g->w[0].rec, g->w[i].rec);
    st->drain_ns = g->sh.drain_ns;
    st->lag_p50_ns = hist_percentile(&lag, 50.0);
    st->lag_p99_ns = hist_percentile(&lag, 99.0);
    st->lag_max_ns = hist_max(&lag);
    st->kept_up = st->dropped == 0 && st->lag_p99_ns <= LG_LAG_FLAG_NS;
    hist_fini(&lag);
    if (rc == ERR_OK) {
        *out = g->w[0].rec;
        g->w[0].rec = NULL;
    }
    return rc;
}

void lg_free(struct lg *g)
{
    if (!g)
        return;
    if (!g->joined)
        for (int i = 0; i < g->n_w; i++)
            if (g->w[i].started) {
                lg_stop(g);
                pthread_join(g->w[i].thread, NULL);
            }
    for (int i = 0; i < g->n_w; i++)
        lg_worker_fini(&g->w[i]);
    free(g->w);
    tpl_fini(&g->sh.path);
    tpl_fini(&g->sh.body);
    for (size_t i = 0; i < g->sh.n_headers; i++)
        tpl_fini(&g->sh.headers[i]);
    free(g->sh.url_const);
    free(g->sh.body_const);
    free(g->sh.base_url);
    free(g->sh.pop_timeout_ns);
    hist_fini(&g->poll_lat);
    free(g);
}

int lg_probe(const char *target, bool insecure, int64_t timeout_ns, char *err,
             size_t err_len)
{
    char msg[CURL_ERROR_SIZE] = "";
    CURL *e = curl_easy_init();
    if (!e) {
        snprintf(err, err_len, "cannot create a curl handle");
        return ERR_IO;
    }
    long ms = (long)(timeout_ns / 1000000);
    curl_easy_setopt(e, CURLOPT_URL, target);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_CONNECT_ONLY, 1L);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, ms > 0 ? ms : 1L);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, msg);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, insecure ? 0L : 1L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, insecure ? 0L : 2L);
    CURLcode rc = curl_easy_perform(e);
    if (rc != CURLE_OK)
        snprintf(err, err_len, "%s", msg[0] ? msg : curl_easy_strerror(rc));
    curl_easy_cleanup(e);
    return rc == CURLE_OK ? ERR_OK : ERR_IO;
}

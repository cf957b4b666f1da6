/*
 * serve.c - libmicrohttpd in front of the serve model.
 *
 * One request is one struct sreq, created when its headers arrive (the
 * first access-handler call), fed its body in later calls, and decided in
 * the last call (upload size 0).  A request whose answer must wait (its
 * service time, the capacity queue) has its connection suspended by the
 * model and is resumed by the model's timer thread; the handler is then
 * called once more and answers.  No thread ever blocks on a waiting
 * request, so thousands can wait with a pool of two threads.
 *
 * Daemon: epoll with an internal thread pool (SERVE_DEFAULT_THREADS),
 * suspend/resume, a per-connection memory limit (headers), an idle
 * timeout, and a body limit enforced here (Content-Length up front, then
 * while reading).  Admin routes answer loopback peers only unless
 * admin_any, and want the admin token where serve_reply_admin_need says
 * so.  serve_guard closes connections that miss the whole-request
 * deadline and makes room at the connection cap.  Responses are built
 * outside the model lock.  A success is answered with the response its
 * connection kept from the last one (serve_kept.h).
 *
 * Here: the libmicrohttpd callbacks (a request's life, its body,
 * routing, suspension), identifying and deciding an API request, and the
 * server's lifecycle.  Not here: the answers (serve_answer.c), the
 * request and connection state (serve_conn.h), request headers
 * (serve_hdr.c), policy logic (serve_model.c), body formats
 * (serve_reply.c, serve_admin.c), request bodies (serve_req.c), the kept
 * success response (serve_kept.c), x-ratelimit headers (serve_rlhdr.c).
 */
#include "serve/serve.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/results/results.h"
#include "core/stats/summary.h"
#include "serve/serve_answer.h"
#include "serve/serve_conn.h"
#include "serve/serve_timer.h"

#define EMPTY_BODY "" /* body of a request that sent none */

void serve_opts_init(struct serve_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->host = SERVE_DEFAULT_HOST;
    o->port = SERVE_DEFAULT_PORT;
    o->seed = 1;
    o->threads = SERVE_DEFAULT_THREADS;
    o->body_limit_bytes = SERVE_DEFAULT_BODY_LIMIT;
    o->header_limit_bytes = SERVE_DEFAULT_HDR_LIMIT;
    o->timeout_s = SERVE_DEFAULT_TIMEOUT_S;
    o->request_timeout_s = SERVE_DEFAULT_REQUEST_TIMEOUT_S;
}

/* ---- API requests -------------------------------------------------------- */

/* Account, population, source and region of the request. */
static void identify(struct serve *s, struct sreq *q)
{
    struct policy_req *rq = &q->call.rq;
    const struct serve_hdr *h = &q->hdr;
    size_t key_len = 0;
    const char *key = serve_hdr_key(h, &key_len);
    int64_t acct = key ? serve_keys_lookup(&s->keys, key, key_len) : -1;
    int64_t src = serve_hdr_i64(h->source);
    rq->invalid_key = acct < 0;
    if (acct < 0)
        acct = src >= 0 && src < s->sc->n_accounts ? src : 0;
    rq->account = acct;
    rq->pop = s->sc->n_pops > 0 ? scn_pop_of_account(s->sc, acct) : 0;
    if (rq->pop < 0)
        rq->pop = 0;
    rq->source = src >= 0           ? src
                 : !rq->invalid_key ? acct
                                    : serve_hdr_peer_source(q->conn);
    rq->region =
        h->region ? serve_scn_region(&s->scn, h->region, strlen(h->region)) : 0;
}

/* Model index and the name to echo; unknown models are bad requests
 * unless the scenario has a single model. */
static void pick_model(struct serve *s, struct sreq *q,
                       const struct serve_req_info *info)
{
    const struct scenario *sc = s->sc;
    int m = info->has_model ? scn_model_index(sc, info->model) : -1;
    const char *name = info->has_model           ? info->model
                       : sc->policy.n_models > 0 ? sc->policy.models[0].name
                                                 : "tollgate";
    size_t n = strlen(name); /* truncated like snprintf, without its cost */
    if (n >= sizeof(q->model))
        n = sizeof(q->model) - 1;
    memcpy(q->model, name, n);
    q->model[n] = '\0';
    if (m < 0 && sc->policy.n_models == 1)
        m = 0;
    if (m < 0) {
        const struct scn_population *p =
            sc->n_pops > 0 ? &sc->pops[q->call.rq.pop] : NULL;
        m = p != NULL && p->models.n > 0 ? p->models.index[0] : 0;
        q->call.rq.bad_request = true;
        q->model_unknown = info->has_model;
    }
    q->call.rq.model = m;
}

/* A body over the limit: 413, at once when Content-Length says so (the
 * body is then not read and libmicrohttpd closes the connection), else
 * once a chunked upload ends (what went past the limit was dropped).  An
 * API request counts as bad_request. */
static enum MHD_Result reject_too_big(struct serve *s, struct sreq *q)
{
    if (serve_reply_is_api(q->route)) {
        identify(s, q);
        serve_model_record(s->model, q->call.rq.pop, REASON_BAD_REQUEST,
                           q->arrive_ns);
    }
    q->answered = true;
    return serve_answer_plain_error(q->conn, MHD_HTTP_CONTENT_TOO_LARGE,
                                    "request_too_large",
                                    "The request body is too large.");
}

static enum MHD_Result decide_api(struct serve *s, struct sreq *q)
{
    struct serve_req_info info;
    identify(s, q);
    if (q->call.rq.invalid_key) /* decided before the body can matter */
        memset(&info, 0, sizeof(info));
    else
        serve_req_parse(q->route, q->body, q->len, &info);
    struct policy_req *rq = &q->call.rq;
    rq->prompt_tokens = info.prompt_tokens;
    rq->completion_tokens = info.max_tokens;
    rq->violation = info.violation;
    rq->bad_request = info.bad_request;
    rq->want_headers = true;
    pick_model(s, q, &info);
    q->call.arrive_ns = q->arrive_ns;
    q->call.keyed = world_key_parse(q->hdr.attempt_key, &q->call.key);
    q->call.owner = q;
    q->decided = true;
    if (serve_model_decide(s->model, &q->call) == SERVE_SUSPENDED)
        return MHD_YES;
    return serve_answer_api(q);
}

/* ---- libmicrohttpd callbacks --------------------------------------------- */

static void release_conn(struct sconn *c);

/* The model keeps q waiting (enum wait_state): the handler suspends the
 * connection in its next call. */
static void suspend_conn(void *owner)
{
    struct sreq *q = owner;
    q->suspended = true;
    atomic_fetch_add_explicit(&q->s->suspended, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&conn_of(q)->refs, 1, memory_order_relaxed);
    atomic_store_explicit(&q->wait, WAIT_PENDING, memory_order_release);
}

/* The model is done with q (its outcome is set). */
static void resume_conn(void *owner)
{
    struct sreq *q = owner;
    struct sconn *c = conn_of(q);
    unsigned was =
        atomic_exchange_explicit(&q->wait, WAIT_DONE, memory_order_acq_rel);
    if (was == WAIT_SUSPENDED)
        MHD_resume_connection(q->conn);
    /* PENDING: the handler's next call answers; GONE: nobody to answer */
    release_conn(c);
}

static size_t limit_of(const struct serve *s, enum serve_route r)
{
    return serve_reply_is_admin(r) ? ADMIN_BODY_LIMIT
                                   : s->opts.body_limit_bytes;
}

/* Room for need bytes of body: inline when it fits, else on the heap
 * (Content-Length sizes the first allocation; chunked bodies grow). */
static void grow_body(struct sreq *q, size_t need)
{
    if (q->cap == 0 && need <= INLINE_BODY && q->expect_len < INLINE_BODY) {
        q->body = q->inline_body;
        q->cap = INLINE_BODY;
        return;
    }
    size_t cap = q->cap * 2 > need ? q->cap * 2 : need;
    if (q->cap < q->expect_len + 1 && q->expect_len + 1 >= need)
        cap = q->expect_len + 1;
    if (q->body_heap) {
        q->body = xrealloc(q->body, cap);
    } else {
        char *b = xmalloc(cap);
        memcpy(b, q->body, q->len);
        q->body = b;
        q->body_heap = true;
    }
    q->cap = cap;
}

static void append_body(struct sreq *q, const char *data, size_t n)
{
    if (q->too_big || q->len + n > limit_of(q->s, q->route)) {
        q->too_big = true;
        return;
    }
    if (q->len + n + 1 > q->cap)
        grow_body(q, q->len + n + 1);
    memcpy(q->body + q->len, data, n);
    q->len += n;
    q->body[q->len] = '\0';
}

/* First call: headers are in.  Answers at once only what is refused
 * (the connection is closed after such an answer). */
static enum MHD_Result on_headers(struct serve *s, struct sreq *q,
                                  const char *method, const char *url)
{
    bool method_ok = true;
    q->route = serve_reply_route(method, url, &method_ok);
    if (q->route == SERVE_ROUTE_NONE)
        return serve_answer_plain_error(q->conn, MHD_HTTP_NOT_FOUND,
                                        "unknown_url", "Unknown request URL.");
    if (!method_ok)
        return serve_answer_plain_error(q->conn, MHD_HTTP_METHOD_NOT_ALLOWED,
                                        "method_not_allowed",
                                        "Method not allowed for this URL.");
    serve_hdr_read(q->conn, s->region_header, &q->hdr);
    if (serve_reply_is_admin(q->route) && !serve_answer_admin_allowed(s, q))
        return MHD_YES; /* refused */
    int64_t cl = serve_hdr_i64(q->hdr.content_length);
    if (cl > 0 && (uint64_t)cl > limit_of(s, q->route)) {
        q->too_big = true;
        return reject_too_big(s, q);
    }
    q->expect_len = cl > 0 ? (size_t)cl : 0;
    return MHD_YES; /* answered in the last call: an answer queued now
                       would make libmicrohttpd close the connection */
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
                                  const char *url, const char *method,
                                  const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
    struct serve *s = cls;
    struct sreq *q = *con_cls;
    (void)version;
    if (q == NULL) {
        q = &conn_state(conn)->q;
        memset(q, 0, offsetof(struct sreq, inline_body));
        atomic_init(&q->wait, WAIT_NONE);
        q->active = true;
        q->s = s;
        q->conn = conn;
        q->arrive_ns = serve_model_now(s->model);
        q->body = (char *)EMPTY_BODY; /* cap 0: never written */
        *con_cls = q;
        return on_headers(s, q, method, url);
    }
    if (*upload_size > 0) {
        if (!q->answered)
            append_body(q, upload, *upload_size); /* drops past the limit */
        *upload_size = 0;
        return MHD_YES;
    }
    serve_guard_busy(&conn_of(q)->guard); /* the whole request is in */
    if (q->answered)
        return MHD_YES;
    if (q->too_big)
        return reject_too_big(s, q); /* chunked upload past the limit */
    if (q->decided) { /* waiting (see enum wait_state) or resumed */
        unsigned pending = WAIT_PENDING;
        if (atomic_compare_exchange_strong_explicit(
                &q->wait, &pending, WAIT_SUSPENDED, memory_order_acq_rel,
                memory_order_acquire)) {
            MHD_suspend_connection(conn);
            return MHD_YES;
        }
        return serve_answer_api(q); /* DONE: the model has answered */
    }
    switch (q->route) {
    case SERVE_ROUTE_CHAT:
    case SERVE_ROUTE_COMPLETIONS:
    case SERVE_ROUTE_MESSAGES: return decide_api(s, q);
    case SERVE_ROUTE_MODELS: return serve_answer_models(s, q);
    case SERVE_ROUTE_ADMIN_KEY: return serve_answer_key(s, q);
    default: return serve_answer_admin(s, q);
    }
}

/* URL and query unescaping: libmicrohttpd's own (it decodes %XX only),
 * skipped when there is no '%' (API paths never have one). */
static size_t on_unescape(void *cls, struct MHD_Connection *conn, char *s)
{
    (void)cls, (void)conn;
    return strchr(s, '%') != NULL ? MHD_http_unescape(s) : strlen(s);
}

static void release_conn(struct sconn *c)
{
    if (atomic_fetch_sub_explicit(&c->refs, 1, memory_order_acq_rel) != 1)
        return;
    serve_kept_free(&c->kept); /* MHD's own reference, if any, stays */
    free(c);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct sreq *q = *con_cls;
    (void)cls, (void)conn, (void)toe;
    if (q == NULL)
        return;
    if (q->suspended)
        atomic_fetch_sub_explicit(&q->s->suspended, 1, memory_order_relaxed);
    unsigned pending = WAIT_PENDING; /* closed before it was suspended */
    if (q->suspended) /* the model had it: no locked instruction otherwise */
        atomic_compare_exchange_strong_explicit(&q->wait, &pending, WAIT_GONE,
                                                memory_order_acq_rel,
                                                memory_order_relaxed);
    if (q->body_heap)
        free(q->body);
    q->active = false;
    *con_cls = NULL;
    struct sconn *c = conn_of(q);
    serve_guard_ready(&c->guard);
    if (c->closed)
        release_conn(c);
}

static void on_connection(void *cls, struct MHD_Connection *conn,
                          void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
    struct serve *s = cls;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        struct sconn *c = xmalloc(sizeof(*c));
        serve_kept_init(&c->kept);
        c->closed = false;
        c->q.active = false;
        atomic_init(&c->refs, 1);
        atomic_init(&c->guard.state, 0);
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        serve_guard_add(s->guard, &c->guard, ci->connect_fd, serve_timer_now());
        *socket_context = c;
        return;
    }
    struct sconn *c = *socket_context;
    if (c == NULL)
        return;
    *socket_context = NULL;
    serve_guard_remove(s->guard, &c->guard); /* before MHD closes the fd */
    if (c->q.active)
        c->closed = true; /* its on_completed is still to come */
    else
        release_conn(c);
}
/* ---- lifecycle ----------------------------------------------------------- */

static int load_keys(struct serve *s)
{
    const char *path = s->sc->has_live ? s->sc->live.keys_file : NULL;
    if (path == NULL) {
        serve_keys_init(&s->keys, s->sc->n_accounts, NULL);
        return ERR_OK;
    }
    size_t bad = 0;
    int rc = keys_load(path, &s->keys_file, &bad);
    if (rc == ERR_IO && path[0] != '/' && s->sc->file != NULL) {
        /* relative to the scenario file's directory */
        const char *slash = strrchr(s->sc->file, '/');
        if (slash != NULL) {
            size_t n = (size_t)(slash - s->sc->file) + 1;
            char *alt = xmalloc(n + strlen(path) + 1);
            memcpy(alt, s->sc->file, n);
            strcpy(alt + n, path);
            rc = keys_load(alt, &s->keys_file, &bad);
            free(alt);
        }
    }
    if (rc != ERR_OK)
        return ERR_INVAL;
    serve_keys_init(&s->keys, s->sc->n_accounts, &s->keys_file);
    return ERR_OK;
}

static int make_addr(const struct serve_opts *o, struct sockaddr_storage *ss,
                     unsigned *flags)
{
    memset(ss, 0, sizeof(*ss));
    struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
    if (o->port < 0 || o->port > 65535)
        return ERR_INVAL;
    if (inet_pton(AF_INET, o->host, &in4->sin_addr) == 1) {
        in4->sin_family = AF_INET;
        in4->sin_port = htons((uint16_t)o->port);
        return ERR_OK;
    }
    if (inet_pton(AF_INET6, o->host, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((uint16_t)o->port);
        *flags |= MHD_USE_IPv6;
        return ERR_OK;
    }
    return ERR_INVAL;
}

static int start_daemon(struct serve *s)
{
    struct sockaddr_storage ss;
    unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME |
                     MHD_USE_TURBO;
    if (make_addr(&s->opts, &ss, &flags) != ERR_OK)
        return ERR_INVAL;
    if (s->opts.log_errors)
        flags |= MHD_USE_ERROR_LOG;
    struct MHD_OptionItem ops[] = {
        { MHD_OPTION_SOCK_ADDR, 0, &ss },
        { MHD_OPTION_THREAD_POOL_SIZE,
          s->opts.threads > 1 ? (intptr_t)s->opts.threads : 0, NULL },
        { MHD_OPTION_CONNECTION_TIMEOUT, (intptr_t)s->opts.timeout_s, NULL },
        { MHD_OPTION_CONNECTION_MEMORY_LIMIT,
          (intptr_t)s->opts.header_limit_bytes, NULL },
        { MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed, s },
        { MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)on_connection, s },
        { MHD_OPTION_UNESCAPE_CALLBACK, (intptr_t)on_unescape, NULL },
        { MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024, NULL },
        { MHD_OPTION_CONNECTION_LIMIT,
          (intptr_t)serve_guard_hard_cap(s->limits.max_connections), NULL },
        { MHD_OPTION_PER_IP_CONNECTION_LIMIT, (intptr_t)s->limits.max_per_ip,
          NULL },
        { MHD_OPTION_END, 0, NULL },
    };
    s->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, s,
                            MHD_OPTION_ARRAY, ops, MHD_OPTION_END);
    if (s->d == NULL)
        return ERR_IO;
    const union MHD_DaemonInfo *di =
        MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
    s->port = di != NULL ? di->port : s->opts.port;
    return ERR_OK;
}

/* Raises the descriptor limit and sets the caps (options, else derived
 * from the limit).  ERR_RANGE: the cap asked for needs more descriptors
 * than the limit allows. */
static int set_limits(struct serve *s)
{
    struct serve_fd_limit fl = { 1024, 1024, 1024 };
    if (serve_guard_raise_nofile(&fl) != ERR_OK)
        fl.soft_before = fl.soft = fl.hard = 1024; /* assume the default */
    unsigned max_conn, per_ip;
    serve_guard_default_caps(fl.soft, &max_conn, &per_ip);
    if (s->opts.max_connections > 0) {
        if (serve_fds_needed(s->opts.max_connections) > fl.soft)
            return ERR_RANGE;
        max_conn = s->opts.max_connections;
        per_ip = max_conn / 2 > 0 ? max_conn / 2 : 1;
    }
    if (s->opts.max_per_ip > 0)
        per_ip = s->opts.max_per_ip;
    s->limits = (struct serve_limits){ fl.soft_before, fl.soft, fl.hard,
                                       max_conn, per_ip };
    return ERR_OK;
}

static void init_names(struct serve *s)
{
    s->n_models = s->sc->policy.n_models;
    s->model_names = xcalloc(s->n_models + 1, sizeof(*s->model_names));
    for (size_t i = 0; i < s->n_models; i++)
        s->model_names[i] = s->sc->policy.models[i].name;
    s->region_header = s->sc->has_live && s->sc->live.region_header
                           ? s->sc->live.region_header
                           : "X-Client-Region";
}

int serve_start(const struct scenario *sc, const struct serve_opts *o,
                struct serve **out)
{
    struct serve *s = xcalloc(1, sizeof(*s));
    s->sc = sc;
    s->opts = *o;
    atomic_init(&s->next_id, 1);
    for (int r = 0; r < REASON_COUNT; r++)
        for (int d = 0; d < 2; d++)
            atomic_init(&s->fixed[r][d], NULL);
    atomic_init(&s->suspended, 0);
    init_names(s);
    serve_scn_init(&s->scn, sc);
    int rc = load_keys(s);
    if (rc != ERR_OK)
        goto fail;
    rc = serve_model_new(&s->scn, sc, o->seed, o->defer_clock, suspend_conn,
                         resume_conn, &s->model);
    if (rc != ERR_OK)
        goto fail;
    rc = set_limits(s);
    if (rc != ERR_OK)
        goto fail;
    rc = serve_guard_new((int64_t)s->opts.request_timeout_s * 1000000000LL,
                         s->limits.max_connections, true, &s->guard);
    if (rc != ERR_OK)
        goto fail;
    rc = start_daemon(s);
    if (rc != ERR_OK)
        goto fail;
    *out = s;
    return ERR_OK;
fail:
    serve_guard_free(s->guard);
    serve_model_free(s->model);
    serve_keys_fini(&s->keys);
    keys_fini(&s->keys_file);
    serve_scn_fini(&s->scn);
    free(s->model_names);
    free(s);
    return rc;
}

int serve_port(const struct serve *s)
{
    return s->port;
}

void serve_limits(const struct serve *s, struct serve_limits *out)
{
    *out = s->limits;
}

uint64_t serve_fds_needed(unsigned max_connections)
{
    return (uint64_t)serve_guard_hard_cap(max_connections) + SERVE_FD_RESERVE;
}

void serve_start_clock(struct serve *s, int64_t t0_mono_ns)
{
    serve_model_start_clock(s->model, t0_mono_ns);
}

void serve_stop(struct serve *s)
{
    if (s->stopped)
        return;
    s->stopped = true;
    /* no new connections; the listen socket is ours now, but the pool
     * threads may still be polling it until they stop, so it is closed
     * only after MHD_stop_daemon (libmicrohttpd's documented order) */
    MHD_socket ls = MHD_quiesce_daemon(s->d);
    serve_model_stop(s->model);
    /* let resumed connections send their answers: at most 2 s */
    for (int i = 0; i < 200 && atomic_load(&s->suspended) > 0; i++) {
        struct timespec ts = { 0, 10000000L };
        nanosleep(&ts, NULL);
    }
    MHD_stop_daemon(s->d);
    s->d = NULL;
    if (ls != MHD_INVALID_SOCKET)
        close(ls);
    serve_guard_free(s->guard); /* every connection is gone */
    s->guard = NULL;
}

int serve_write_results(const struct serve *s, const char *dir)
{
    const struct rec *r = serve_model_rec(s->model);
    struct summary sum;
    summary_init(&sum);
    struct summary_meta meta = { s->sc->name, "serve", s->opts.seed };
    summary_from_record(&sum, r, &meta);
    int rc = results_write_all(dir, r, &sum);
    summary_fini(&sum);
    if (rc == ERR_OK)
        rc = serve_model_write_events(s->model, dir);
    if (rc == ERR_OK)
        rc = results_write_scenario(dir, s->sc);
    return rc;
}

void serve_free(struct serve *s)
{
    if (s == NULL)
        return;
    serve_stop(s);
    for (int r = 0; r < REASON_COUNT; r++)
        for (int d = 0; d < 2; d++)
            if (atomic_load(&s->fixed[r][d]) != NULL)
                MHD_destroy_response(atomic_load(&s->fixed[r][d]));
    serve_model_free(s->model);
    serve_keys_fini(&s->keys);
    keys_fini(&s->keys_file);
    serve_scn_fini(&s->scn);
    free(s->model_names);
    free(s);
}

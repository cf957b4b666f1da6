/*
 * results_write.c - atomic writers of a results directory.
 *
 * Every file goes through results_write_atomic(): content is written to a
 * mkstemp() file in the destination directory, flushed, fsync'ed and
 * renamed over the final name (then the directory is fsync'ed, best
 * effort), so readers see the old file or the new one, never a mix.  On
 * failure the temporary file is removed and errno of the failing call is
 * restored before returning ERR_IO.
 *
 * Formats: summary.json and timeseries.csv (names and columns of
 * docs/results-format.md), latency.hgrm (HdrHistogram percentile text, ms),
 * histograms.tgh (docs/results-format.md), events.csv.  Nothing here
 * prints; content writers take the FILE * they are given.
 */
#include "core/results/results.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/base/json.h"

/* ---- files and directories --------------------------------------------------
 */

int results_mkdir(const char *dir)
{
    char *path = xstrdup(dir);
    int rc = ERR_OK;
    for (char *p = path + 1; *p != '\0' && rc == ERR_OK; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(path, 0777) != 0 && errno != EEXIST)
            rc = ERR_IO;
        *p = '/';
    }
    if (rc == ERR_OK && mkdir(path, 0777) != 0 && errno != EEXIST)
        rc = ERR_IO;
    struct stat st;
    if (rc == ERR_OK && stat(path, &st) != 0) {
        rc = ERR_IO;
    } else if (rc == ERR_OK && !S_ISDIR(st.st_mode)) {
        errno = ENOTDIR;
        rc = ERR_IO;
    }
    int saved = errno;
    free(path);
    errno = saved;
    return rc;
}

/* mkdir path unless it exists as a directory; *made tells which.
 * ERR_IO with errno set otherwise. */
static int ensure_dir(const char *path, bool *made)
{
    struct stat st;
    *made = false;
    if (stat(path, &st) == 0) {
        if (S_ISDIR(st.st_mode))
            return ERR_OK;
        errno = ENOTDIR;
        return ERR_IO;
    }
    if (mkdir(path, 0777) != 0)
        return ERR_IO;
    *made = true;
    return ERR_OK;
}

int results_check_dir(const char *dir, char *err, size_t err_len)
{
    char *path = xstrdup(dir);
    size_t n = strlen(path);
    char **made = xcalloc(n + 1, sizeof(*made)); /* at most one per '/' */
    size_t n_made = 0;
    int rc = ERR_OK;
    if (n == 0) {
        errno = ENOENT;
        rc = ERR_IO;
        if (err != NULL && err_len > 0)
            snprintf(err, err_len, "empty directory name");
    }
    for (size_t i = 1; i <= n && rc == ERR_OK; i++) {
        if (path[i] != '/' && path[i] != '\0')
            continue;
        char c = path[i];
        path[i] = '\0';
        bool m;
        rc = ensure_dir(path, &m);
        if (rc == ERR_OK && m)
            made[n_made++] = xstrdup(path);
        if (rc != ERR_OK && err != NULL && err_len > 0)
            snprintf(err, err_len, "%s: cannot create the directory: %s", path,
                     strerror(errno));
        path[i] = c;
    }
    if (rc == ERR_OK) {
        size_t k = n + 32;
        char *probe = xmalloc(k);
        snprintf(probe, k, "%s/.tollgate-probe-XXXXXX", dir);
        int fd = mkstemp(probe);
        if (fd < 0) {
            rc = ERR_IO;
            if (err != NULL && err_len > 0)
                snprintf(err, err_len, "%s: cannot write in the directory: %s",
                         dir, strerror(errno));
        } else {
            close(fd);
            unlink(probe);
        }
        free(probe);
    }
    int saved = errno;
    while (n_made > 0) { /* deepest first */
        rmdir(made[--n_made]);
        free(made[n_made]);
    }
    free(made);
    free(path);
    errno = saved;
    return rc;
}

static void fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY);
    if (fd >= 0) {
        (void)fsync(fd); /* best effort: some filesystems refuse */
        close(fd);
    }
}

int results_write_atomic(const char *dir, const char *name,
                         results_write_fn *fn, void *ctx)
{
    size_t n = strlen(dir) + strlen(name) + 32;
    char *tmp = xmalloc(n), *dst = xmalloc(n);
    snprintf(tmp, n, "%s/.%s.", dir, name);
    size_t k = strlen(tmp); /* mkstemp's template ends in six 'X' */
    memset(tmp + k, 'X', 6);
    tmp[k + 6] = '\0';
    snprintf(dst, n, "%s/%s", dir, name);
    FILE *f = NULL;
    int rc = ERR_IO, saved = 0;
    int fd = mkstemp(tmp);
    if (fd < 0)
        goto fail;
    if (fchmod(fd, 0644) != 0 || (f = fdopen(fd, "w")) == NULL) {
        saved = errno;
        close(fd);
        errno = saved;
        goto fail_unlink;
    }
    rc = fn(ctx, f);
    if (rc == ERR_OK && (fflush(f) != 0 || ferror(f) || fsync(fileno(f))))
        rc = ERR_IO;
    saved = errno;
    if (fclose(f) != 0 && rc == ERR_OK) {
        rc = ERR_IO;
        saved = errno;
    }
    errno = saved;
    if (rc != ERR_OK)
        goto fail_unlink;
    if (rename(tmp, dst) != 0) {
        rc = ERR_IO;
        goto fail_unlink;
    }
    fsync_dir(dir);
    free(tmp);
    free(dst);
    return ERR_OK;
fail_unlink:
    saved = errno;
    unlink(tmp);
    errno = saved;
fail:
    saved = errno;
    free(tmp);
    free(dst);
    errno = saved;
    return rc == ERR_OK ? ERR_IO : rc;
}

/* ---- summary.json
 * ------------------------------------------------------------ */

static void w_lat_fields(struct json_w *w, const struct summary_lat *l)
{
    json_w_key(w, "p50");
    json_w_num(w, l->p50);
    json_w_key(w, "p90");
    json_w_num(w, l->p90);
    json_w_key(w, "p95");
    json_w_num(w, l->p95);
    json_w_key(w, "p99");
    json_w_num(w, l->p99);
    json_w_key(w, "p999");
    json_w_num(w, l->p999);
    json_w_key(w, "max");
    json_w_num(w, l->max);
    json_w_key(w, "mean");
    json_w_num(w, l->mean);
}

/* A latency block; ci (may be NULL) adds "ci95" half-widths beside. */
static void w_lat(struct json_w *w, const char *key,
                  const struct summary_lat *l, const struct summary_lat *ci)
{
    json_w_key(w, key);
    json_w_obj_begin(w);
    json_w_key(w, "count");
    json_w_int(w, l->count);
    w_lat_fields(w, l);
    if (ci != NULL) {
        json_w_key(w, "ci95");
        json_w_obj_begin(w);
        w_lat_fields(w, ci);
        json_w_obj_end(w);
    }
    json_w_obj_end(w);
}

static void w_requests(struct json_w *w, const struct summary_req *q)
{
    json_w_key(w, "requests");
    json_w_obj_begin(w);
    json_w_key(w, "attempts");
    json_w_int(w, q->attempts);
    json_w_key(w, "unique");
    json_w_int(w, q->unique);
    json_w_key(w, "ok");
    json_w_int(w, q->ok);
    json_w_key(w, "denied");
    json_w_int(w, q->denied);
    json_w_obj_end(w);
}

/* {id: count} over reasons first..REASON_COUNT-1. */
static void w_by_reason(struct json_w *w, const char *key, const int64_t *c,
                        int first)
{
    json_w_key(w, key);
    json_w_obj_begin(w);
    for (int o = first; o < REASON_COUNT; o++) {
        json_w_key(w, reason_id(o));
        json_w_int(w, c[o]);
    }
    json_w_obj_end(w);
}

/* "final_outcome": every reason id, then the generator's lost requests
 * when there is a generator (run, merged runs) or one was lost; sim's
 * summary, which never loses one, stays as it was. */
static void w_final(struct json_w *w, const struct summary *s)
{
    bool lost = s->has_generator;
    for (int l = 0; l < REC_LOST_COUNT; l++)
        lost = lost || s->final_lost[l] != 0;
    json_w_key(w, "final_outcome");
    json_w_obj_begin(w);
    for (int o = 0; o < REASON_COUNT; o++) {
        json_w_key(w, reason_id(o));
        json_w_int(w, s->final_by_outcome[o]);
    }
    for (int l = 0; lost && l < REC_LOST_COUNT; l++) {
        json_w_key(w, rec_lost_name(l));
        json_w_int(w, s->final_lost[l]);
    }
    json_w_obj_end(w);
}

/* The counts and rates of a request-level block (top level and pops). */
static void w_rq_counts(struct json_w *w, const struct summary_rq *q)
{
    const char *names[] = { "requests", "ok", "denied", "lost" };
    const int64_t vals[] = { q->requests, q->ok, q->denied, q->lost };
    for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
        json_w_key(w, names[i]);
        json_w_int(w, vals[i]);
    }
    json_w_key(w, "denial_rate");
    json_w_num(w, q->denial_rate);
    json_w_key(w, "lost_rate");
    json_w_num(w, q->lost_rate);
}

static void w_tries(struct json_w *w, const struct summary_tries *t)
{
    json_w_key(w, "attempts_per_request");
    json_w_obj_begin(w);
    json_w_key(w, "mean");
    json_w_num(w, t->mean);
    const char *names[] = { "p50", "p90", "p99", "max" };
    const int64_t vals[] = { t->p50, t->p90, t->p99, t->max };
    for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
        json_w_key(w, names[i]);
        json_w_int(w, vals[i]);
    }
    json_w_obj_end(w);
}

/* "request_level": what the callers see (docs/results-format.md). */
static void w_request_level(struct json_w *w, const struct summary *s)
{
    const struct summary_ci95 *ci = s->has_ci95 ? &s->ci95 : NULL;
    json_w_key(w, "request_level");
    json_w_obj_begin(w);
    w_rq_counts(w, &s->rq);
    json_w_key(w, "ended_by");
    json_w_obj_begin(w);
    for (int e = 0; e < REC_END_COUNT; e++) {
        json_w_key(w, rec_end_name(e));
        json_w_int(w, s->rq.ended[e]);
    }
    json_w_key(w, "lost");
    json_w_int(w, s->rq.lost);
    json_w_obj_end(w);
    w_tries(w, &s->tries);
    json_w_key(w, "latency_ms");
    json_w_obj_begin(w);
    w_lat(w, "all", &s->rq.lat_all, ci ? &ci->rq_lat_all : NULL);
    w_lat(w, "ok", &s->rq.lat_ok, ci ? &ci->rq_lat_ok : NULL);
    w_lat(w, "denied", &s->rq.lat_denied, NULL);
    json_w_key(w, "by_reason");
    json_w_obj_begin(w);
    for (int o = 1; o < REASON_COUNT; o++)
        if (s->rq_by_reason[o].count > 0)
            w_lat(w, reason_id(o), &s->rq_by_reason[o], NULL);
    json_w_obj_end(w);
    json_w_obj_end(w);
    if (ci != NULL) {
        json_w_key(w, "ci95");
        json_w_obj_begin(w);
        json_w_key(w, "denial_rate");
        json_w_num(w, ci->rq_denial_rate);
        json_w_obj_end(w);
    }
    json_w_obj_end(w);
}

static void w_latency(struct json_w *w, const struct summary *s)
{
    const struct summary_ci95 *ci = s->has_ci95 ? &s->ci95 : NULL;
    json_w_key(w, "latency_ms");
    json_w_obj_begin(w);
    w_lat(w, "all", &s->lat_all, ci ? &ci->lat_all : NULL);
    w_lat(w, "ok", &s->lat_ok, ci ? &ci->lat_ok : NULL);
    w_lat(w, "denied", &s->lat_denied, ci ? &ci->lat_denied : NULL);
    json_w_key(w, "by_reason");
    json_w_obj_begin(w);
    for (int o = 1; o < REASON_COUNT; o++)
        if (s->lat_by_reason[o].count > 0)
            w_lat(w, reason_id(o), &s->lat_by_reason[o],
                  ci ? &ci->lat_by_reason[o] : NULL);
    json_w_obj_end(w);
    json_w_obj_end(w);
}

static void w_pops(struct json_w *w, const struct summary *s)
{
    json_w_key(w, "populations");
    json_w_obj_begin(w);
    for (size_t p = 0; p < s->n_pops; p++) {
        const struct summary_pop *sp = &s->pops[p];
        json_w_key(w, sp->name);
        json_w_obj_begin(w);
        w_requests(w, &sp->requests);
        w_by_reason(w, "denied_by_reason", sp->denied_by_reason, 1);
        json_w_key(w, "latency_ms");
        json_w_obj_begin(w);
        w_lat(w, "all", &sp->lat_all, NULL);
        w_lat(w, "ok", &sp->lat_ok, NULL);
        json_w_obj_end(w);
        if (s->has_rq) {
            json_w_key(w, "request_level");
            json_w_obj_begin(w);
            w_rq_counts(w, &sp->rq);
            w_by_reason(w, "final_by_reason", sp->final_by_reason, 1);
            json_w_key(w, "latency_ms");
            json_w_obj_begin(w);
            w_lat(w, "all", &sp->rq.lat_all, NULL);
            w_lat(w, "ok", &sp->rq.lat_ok, NULL);
            json_w_obj_end(w);
            json_w_obj_end(w);
        }
        json_w_obj_end(w);
    }
    json_w_obj_end(w);
}

static void w_head(struct json_w *w, const struct summary *s)
{
    json_w_key(w, "tool");
    json_w_str(w, s->tool);
    json_w_key(w, "version");
    json_w_str(w, s->version);
    json_w_key(w, "scenario");
    json_w_str(w, s->scenario);
    json_w_key(w, "mode");
    json_w_str(w, s->mode);
    json_w_key(w, "seed");
    json_w_uint(w, s->seed);
    json_w_key(w, "complete");
    json_w_bool(w, s->complete);
    json_w_key(w, "duration_s");
    json_w_num(w, s->duration_s);
    json_w_key(w, "replications");
    json_w_int(w, s->replications);
}

static void w_rates(struct json_w *w, const struct summary *s)
{
    json_w_key(w, "denial_rate");
    json_w_num(w, s->denial_rate);
    json_w_key(w, "goodput_per_s");
    json_w_num(w, s->goodput_per_s);
    json_w_key(w, "retry_amplification");
    json_w_num(w, s->retry_amplification);
}

static void w_generator(struct json_w *w, const struct summary_gen *g)
{
    json_w_key(w, "generator");
    json_w_obj_begin(w);
    json_w_key(w, "kept_up");
    json_w_bool(w, g->kept_up);
    const char *names[] = { "dropped_requests",
                            "abandoned_in_flight",
                            "connections_peak",
                            "connections",
                            "threads",
                            "sent",
                            "waited_for_connection",
                            "shards" };
    const int64_t vals[] = {
        g->dropped, g->abandoned, g->connections_peak,      g->connections,
        g->threads, g->sent,      g->waited_for_connection, g->shards
    };
    for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
        json_w_key(w, names[i]);
        json_w_int(w, vals[i]);
    }
    json_w_obj_end(w);
}

static void w_tail(struct json_w *w, const struct summary *s)
{
    if (s->live) {
        w_lat(w, "schedule_lag_ms", &s->schedule_lag, NULL);
        w_lat(w, "latency_uncorrected_ms", &s->latency_uncorrected, NULL);
    }
    json_w_key(w, "transport_errors");
    json_w_int(w, s->transport_errors);
    if (s->has_generator)
        w_generator(w, &s->generator);
    json_w_key(w, "dropped_values");
    json_w_int(w, s->dropped);
    if (s->has_ci95) {
        json_w_key(w, "ci95");
        json_w_obj_begin(w);
        json_w_key(w, "denial_rate");
        json_w_num(w, s->ci95.denial_rate);
        json_w_key(w, "goodput_per_s");
        json_w_num(w, s->ci95.goodput_per_s);
        json_w_key(w, "retry_amplification");
        json_w_num(w, s->ci95.retry_amplification);
        json_w_obj_end(w);
    }
}

int results_fwrite_summary(FILE *out, const struct summary *s)
{
    struct json_w w;
    json_w_init(&w, out, true);
    json_w_obj_begin(&w);
    w_head(&w, s);
    w_requests(&w, &s->requests);
    w_by_reason(&w, "denied_by_reason", s->denied_by_reason, 1);
    w_final(&w, s);
    if (s->has_rq)
        w_request_level(&w, s);
    w_rates(&w, s);
    w_latency(&w, s);
    w_pops(&w, s);
    w_tail(&w, s);
    json_w_obj_end(&w);
    return json_w_finish(&w);
}

/* ---- timeseries.csv ---------------------------------------------------------
 */

const char *results_ts_header(void)
{
    static char header[2048];
    if (header[0] != '\0')
        return header;
    size_t k = (size_t)snprintf(header, sizeof(header),
                                "t_s,offered,attempts,ok,denied");
    for (int o = 1; o < REASON_COUNT; o++)
        k += (size_t)snprintf(header + k, sizeof(header) - k, ",%s",
                              reason_id(o));
    k += (size_t)snprintf(header + k, sizeof(header) - k,
                          ",p50_ms,p90_ms,p99_ms,max_ms");
    for (int g = 0; g < REC_GAUGE_COUNT; g++)
        k += (size_t)snprintf(header + k, sizeof(header) - k, ",%s",
                              rec_gauge_name(g));
    for (int o = 0; o < REASON_COUNT; o++)
        k += (size_t)snprintf(header + k, sizeof(header) - k, ",final_%s",
                              reason_id(o));
    k += (size_t)snprintf(header + k, sizeof(header) - k,
                          ",final_lost,req_p50_ms,req_p90_ms,req_p99_ms,"
                          "req_max_ms");
    return header;
}

/* The request-level columns of row i: final outcomes of the requests
 * first intended in it, lost ones, end-to-end latency of those completed
 * in it; then the line end. */
static int ts_row_requests(FILE *out, const struct rec *r, size_t i,
                           const struct rec_counts *c, struct hist_sparse *h)
{
    char b[4][40];
    for (int o = 0; o < REASON_COUNT; o++)
        if (fprintf(out, ",%lld", (long long)c->final[o]) < 0)
            return ERR_IO;
    int64_t lost = 0;
    for (int l = 0; l < REC_LOST_COUNT; l++)
        lost += c->lost[l];
    rec_interval_lvl_lat_sparse(r, REC_REQUEST, i, h);
    if (fprintf(
            out, ",%lld,%s,%s,%s,%s\n", (long long)lost,
            json_fmt_num(b[0], 40, (double)hist_sparse_percentile(h, 50) / 1e6),
            json_fmt_num(b[1], 40, (double)hist_sparse_percentile(h, 90) / 1e6),
            json_fmt_num(b[2], 40, (double)hist_sparse_percentile(h, 99) / 1e6),
            json_fmt_num(b[3], 40, (double)hist_sparse_max(h) / 1e6)) < 0)
        return ERR_IO;
    return ERR_OK;
}

static int ts_row(FILE *out, const struct rec *r, size_t i,
                  struct hist_sparse *h)
{
    char b[4][40];
    struct rec_counts c;
    rec_interval_counts(r, i, &c);
    int64_t attempts = 0;
    for (int o = 0; o < REASON_COUNT; o++)
        attempts += c.outcome[o];
    double t_s = (double)((int64_t)i * rec_config(r)->interval_ns) / 1e9;
    if (fprintf(out, "%s,%lld,%lld,%lld,%lld", json_fmt_num(b[0], 40, t_s),
                (long long)c.offered, (long long)attempts,
                (long long)c.outcome[REASON_OK],
                (long long)(attempts - c.outcome[REASON_OK])) < 0)
        return ERR_IO;
    for (int o = 1; o < REASON_COUNT; o++)
        if (fprintf(out, ",%lld", (long long)c.outcome[o]) < 0)
            return ERR_IO;
    rec_interval_lvl_lat_sparse(r, REC_ATTEMPT, i, h);
    if (fprintf(
            out, ",%s,%s,%s,%s",
            json_fmt_num(b[0], 40, (double)hist_sparse_percentile(h, 50) / 1e6),
            json_fmt_num(b[1], 40, (double)hist_sparse_percentile(h, 90) / 1e6),
            json_fmt_num(b[2], 40, (double)hist_sparse_percentile(h, 99) / 1e6),
            json_fmt_num(b[3], 40, (double)hist_sparse_max(h) / 1e6)) < 0)
        return ERR_IO;
    double g[REC_GAUGE_COUNT];
    rec_interval_gauges(r, i, g, NULL);
    for (int k = 0; k < REC_GAUGE_COUNT; k++)
        if (fprintf(out, ",%s", json_fmt_num(b[0], 40, g[k])) < 0)
            return ERR_IO;
    return ts_row_requests(out, r, i, &c, h);
}

int results_fwrite_timeseries(FILE *out, const struct rec *r)
{
    if (fprintf(out, "%s\n", results_ts_header()) < 0)
        return ERR_IO;
    struct hist_sparse h;
    hist_sparse_init(&h);
    int rc = ERR_OK;
    size_t n = rec_n_covered(r);
    for (size_t i = 0; i < n && rc == ERR_OK; i++)
        rc = ts_row(out, r, i, &h);
    hist_sparse_fini(&h);
    return rc;
}

int results_fwrite_hgrm(FILE *out, const struct rec *r)
{
    return hist_write_hgrm(rec_lat_all(r), out, 1e6, 5);
}

/* ---- events.csv
 * ---------------------------------------------------------------- */

static int csv_field(FILE *out, const char *s)
{
    if (s == NULL)
        return ERR_OK;
    if (strpbrk(s, ",\"\n\r") == NULL)
        return fputs(s, out) < 0 ? ERR_IO : ERR_OK;
    if (fputc('"', out) == EOF)
        return ERR_IO;
    for (; *s != '\0'; s++)
        if ((*s == '"' && fputc('"', out) == EOF) || fputc(*s, out) == EOF)
            return ERR_IO;
    return fputc('"', out) == EOF ? ERR_IO : ERR_OK;
}

int results_fwrite_events(FILE *out, const struct results_event *ev, size_t n)
{
    if (fputs("start_s,end_s,kind,label\n", out) < 0)
        return ERR_IO;
    for (size_t i = 0; i < n; i++) {
        char a[40], b[40];
        if (fprintf(out, "%s,%s,", json_fmt_num(a, 40, ev[i].start_s),
                    json_fmt_num(b, 40, ev[i].end_s)) < 0 ||
            csv_field(out, ev[i].kind) != ERR_OK || fputc(',', out) == EOF ||
            csv_field(out, ev[i].label) != ERR_OK || fputc('\n', out) == EOF)
            return ERR_IO;
    }
    return ERR_OK;
}

/* ---- directory writers
 * ------------------------------------------------------- */

static int wr_summary(void *ctx, FILE *out)
{
    return results_fwrite_summary(out, ctx);
}

static int wr_timeseries(void *ctx, FILE *out)
{
    return results_fwrite_timeseries(out, ctx);
}

static int wr_hgrm(void *ctx, FILE *out)
{
    return results_fwrite_hgrm(out, ctx);
}

static int wr_tgh(void *ctx, FILE *out)
{
    return results_fwrite_tgh(out, ctx);
}

struct events_ctx {
    const struct results_event *ev;
    size_t n;
};

static int wr_events(void *ctx, FILE *out)
{
    const struct events_ctx *e = ctx;
    return results_fwrite_events(out, e->ev, e->n);
}

int results_write_summary(const char *dir, const struct summary *s)
{
    return results_write_atomic(dir, RESULTS_SUMMARY, wr_summary, (void *)s);
}

int results_write_timeseries(const char *dir, const struct rec *r)
{
    return results_write_atomic(dir, RESULTS_TIMESERIES, wr_timeseries,
                                (void *)r);
}

int results_write_hgrm(const char *dir, const struct rec *r)
{
    return results_write_atomic(dir, RESULTS_HGRM, wr_hgrm, (void *)r);
}

int results_write_tgh(const char *dir, const struct rec *r)
{
    return results_write_atomic(dir, RESULTS_TGH, wr_tgh, (void *)r);
}

int results_write_events(const char *dir, const struct results_event *ev,
                         size_t n)
{
    struct events_ctx e = { ev, n };
    return results_write_atomic(dir, RESULTS_EVENTS, wr_events, &e);
}

struct copy_ctx {
    FILE *in;
};

static int wr_copy(void *ctx, FILE *out)
{
    struct copy_ctx *c = ctx;
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), c->in)) > 0)
        if (fwrite(buf, 1, n, out) != n)
            return ERR_IO;
    return ferror(c->in) ? ERR_IO : ERR_OK;
}

int results_copy_file(const char *src_path, const char *dir, const char *name)
{
    struct copy_ctx c = { fopen(src_path, "rb") };
    if (c.in == NULL)
        return ERR_IO;
    int rc = results_write_atomic(dir, name, wr_copy, &c);
    int saved = errno;
    fclose(c.in);
    errno = saved;
    return rc;
}

int results_write_all(const char *dir, const struct rec *r,
                      const struct summary *s)
{
    int rc = results_mkdir(dir);
    if (rc == ERR_OK)
        rc = results_write_summary(dir, s);
    if (rc == ERR_OK)
        rc = results_write_timeseries(dir, r);
    if (rc == ERR_OK)
        rc = results_write_hgrm(dir, r);
    if (rc == ERR_OK)
        rc = results_write_tgh(dir, r);
    return rc;
}

/*
 * results_read.c - readers of summary.json and timeseries.csv.
 *
 * Both read a whole file (bounded by RESULTS_MAX_FILE_BYTES) and validate
 * it strictly enough that a consumer (check, compare, plot, merge) can
 * trust the numbers: required members and exact column headers, integers
 * where counts are expected.  Optional members of summary.json read as
 * zero, unknown members are ignored, so a newer writer's additions do not
 * break an older reader.  Messages are "file:line: what" (summary.json:
 * the byte offset of a syntax error).
 *
 * Not here: histograms.tgh (results_tgh.c), any writing.
 */
#include "core/results/results.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/json.h"

int results_slurp(const char *path, size_t max_bytes, char **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return ERR_IO;
    size_t cap = 65536, n = 0;
    char *buf = xmalloc(cap + 1);
    int rc = ERR_OK;
    for (;;) {
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (n < cap) {
            if (ferror(f))
                rc = ERR_IO;
            break;
        }
        if (cap >= max_bytes) {
            rc = ERR_TOOBIG;
            break;
        }
        cap = cap * 2 > max_bytes ? max_bytes : cap * 2;
        buf = xrealloc(buf, cap + 1);
    }
    if (rc == ERR_OK && n > max_bytes)
        rc = ERR_TOOBIG;
    int saved = errno;
    fclose(f);
    if (rc != ERR_OK) {
        free(buf);
        errno = saved;
        return rc;
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return ERR_OK;
}

static void set_err(char *err, size_t err_len, const char *name, int line,
                    const char *what)
{
    if (err == NULL || err_len == 0)
        return;
    if (line > 0)
        snprintf(err, err_len, "%s:%d: %s", name, line, what);
    else
        snprintf(err, err_len, "%s: %s", name, what);
}

/* ---- summary.json ---------------------------------------------------------
 */

struct sj {
    const struct json_doc *d;
    bool bad; /* a member had the wrong type */
};

static int64_t sj_int(struct sj *j, int obj, const char *key)
{
    int i = json_get(j->d, obj, key);
    int64_t v = 0;
    if (i >= 0 && !json_int64(j->d, i, &v))
        j->bad = true;
    return v;
}

static double sj_num(struct sj *j, int obj, const char *key)
{
    int i = json_get(j->d, obj, key);
    double v = 0;
    if (i >= 0 && !json_num(j->d, i, &v))
        j->bad = true;
    return v;
}

static void sj_str(struct sj *j, int obj, const char *key,
                   char dst[SUMMARY_STR_MAX])
{
    int i = json_get(j->d, obj, key);
    if (i >= 0 && json_str_copy(j->d, i, dst, SUMMARY_STR_MAX, NULL) != ERR_OK)
        j->bad = true;
}

static uint64_t sj_uint(struct sj *j, int obj, const char *key)
{
    int i = json_get(j->d, obj, key);
    if (i < 0)
        return 0;
    const struct json_node *nd = &j->d->nodes[i];
    uint64_t v = 0;
    if (nd->type != JSON_NUMBER) {
        j->bad = true;
        return 0;
    }
    for (uint32_t k = 0; k < nd->len; k++) {
        unsigned dg = (unsigned)(nd->p[k] - '0');
        if (dg > 9 || v > (UINT64_MAX - dg) / 10) {
            j->bad = true;
            return 0;
        }
        v = v * 10 + dg;
    }
    return v;
}

/* obj[key] when it is present and of type t; -1 when absent, and -1 with
 * j->bad set when it has another type.  For the optional members. */
static int sj_member(struct sj *j, int obj, const char *key, enum json_type t)
{
    int o = json_get(j->d, obj, key);
    if (o >= 0 && json_type(j->d, o) != t) {
        j->bad = true;
        return -1;
    }
    return o;
}

static void sj_lat_fields(struct sj *j, int o, struct summary_lat *l)
{
    l->p50 = sj_num(j, o, "p50");
    l->p90 = sj_num(j, o, "p90");
    l->p95 = sj_num(j, o, "p95");
    l->p99 = sj_num(j, o, "p99");
    l->p999 = sj_num(j, o, "p999");
    l->max = sj_num(j, o, "max");
    l->mean = sj_num(j, o, "mean");
}

/* Latency block at obj[key]; false when absent.  Fills ci when given and
 * the block has "ci95", and then sets *has_ci. */
static bool sj_lat(struct sj *j, int obj, const char *key,
                   struct summary_lat *l, struct summary_lat *ci, bool *has_ci)
{
    int o = sj_member(j, obj, key, JSON_OBJECT);
    if (o < 0)
        return false;
    l->count = sj_int(j, o, "count");
    sj_lat_fields(j, o, l);
    int c = json_get(j->d, o, "ci95");
    if (c >= 0 && ci != NULL) {
        sj_lat_fields(j, c, ci);
        *has_ci = true;
    }
    return true;
}

static bool sj_requests(struct sj *j, int obj, struct summary_req *q)
{
    int o = json_get(j->d, obj, "requests");
    if (json_type(j->d, o) != JSON_OBJECT || !json_ok(j->d, o))
        return false;
    q->attempts = sj_int(j, o, "attempts");
    q->unique = sj_int(j, o, "unique");
    q->ok = sj_int(j, o, "ok");
    q->denied = sj_int(j, o, "denied");
    return true;
}

static bool sj_by_reason(struct sj *j, int obj, const char *key, int64_t *c,
                         int first)
{
    int o = json_get(j->d, obj, key);
    if (json_type(j->d, o) != JSON_OBJECT || !json_ok(j->d, o))
        return false;
    for (int r = first; r < REASON_COUNT; r++)
        c[r] = sj_int(j, o, reason_id(r));
    return true;
}

static void sj_latency(struct sj *j, int root, struct summary *s)
{
    int lat = json_get(j->d, root, "latency_ms");
    struct summary_ci95 *ci = &s->ci95;
    bool has = false;
    sj_lat(j, lat, "all", &s->lat_all, &ci->lat_all, &has);
    sj_lat(j, lat, "ok", &s->lat_ok, &ci->lat_ok, &has);
    sj_lat(j, lat, "denied", &s->lat_denied, &ci->lat_denied, &has);
    int br = json_get(j->d, lat, "by_reason");
    for (int r = 1; r < REASON_COUNT; r++)
        sj_lat(j, br, reason_id(r), &s->lat_by_reason[r], &ci->lat_by_reason[r],
               &has);
    s->has_ci95 = s->has_ci95 || has;
}

/* The counts, rates and latencies of a "request_level" object o. */
static void sj_rq(struct sj *j, int o, struct summary_rq *q,
                  struct summary_ci95 *ci, bool *has_ci)
{
    q->requests = sj_int(j, o, "requests");
    q->ok = sj_int(j, o, "ok");
    q->denied = sj_int(j, o, "denied");
    q->lost = sj_int(j, o, "lost");
    q->denial_rate = sj_num(j, o, "denial_rate");
    q->lost_rate = sj_num(j, o, "lost_rate");
    int lat = json_get(j->d, o, "latency_ms");
    sj_lat(j, lat, "all", &q->lat_all, ci ? &ci->rq_lat_all : NULL, has_ci);
    sj_lat(j, lat, "ok", &q->lat_ok, ci ? &ci->rq_lat_ok : NULL, has_ci);
    sj_lat(j, lat, "denied", &q->lat_denied, NULL, NULL);
}

static void sj_request_level(struct sj *j, int root, struct summary *s)
{
    int o = sj_member(j, root, "request_level", JSON_OBJECT);
    if (o < 0)
        return;
    s->has_rq = true;
    bool has = false;
    sj_rq(j, o, &s->rq, &s->ci95, &has);
    int br = json_get(j->d, json_get(j->d, o, "latency_ms"), "by_reason");
    for (int r = 1; r < REASON_COUNT; r++)
        sj_lat(j, br, reason_id(r), &s->rq_by_reason[r], NULL, NULL);
    int eb = json_get(j->d, o, "ended_by");
    for (int e = 0; eb >= 0 && e < REC_END_COUNT; e++)
        s->rq.ended[e] = sj_int(j, eb, rec_end_name(e));
    int t = json_get(j->d, o, "attempts_per_request");
    if (t >= 0) {
        s->tries.mean = sj_num(j, t, "mean");
        s->tries.p50 = sj_int(j, t, "p50");
        s->tries.p90 = sj_int(j, t, "p90");
        s->tries.p99 = sj_int(j, t, "p99");
        s->tries.max = sj_int(j, t, "max");
    }
    int ci = json_get(j->d, o, "ci95");
    if (ci >= 0) {
        s->ci95.rq_denial_rate = sj_num(j, ci, "denial_rate");
        has = true;
    }
    s->has_ci95 = s->has_ci95 || has;
}

static void sj_pops(struct sj *j, int root, struct summary *s)
{
    int o = json_get(j->d, root, "populations");
    if (json_type(j->d, o) != JSON_OBJECT || json_len(j->d, o) == 0)
        return;
    s->n_pops = json_len(j->d, o) / 2;
    s->pops = xcalloc(s->n_pops, sizeof(*s->pops));
    size_t p = 0;
    for (int k = json_child(j->d, o); k >= 0; k = json_next(j->d, k + 1)) {
        struct summary_pop *sp = &s->pops[p++];
        if (json_str_copy(j->d, k, sp->name, sizeof(sp->name), NULL) != ERR_OK)
            j->bad = true;
        sj_requests(j, k + 1, &sp->requests);
        sj_by_reason(j, k + 1, "denied_by_reason", sp->denied_by_reason, 1);
        int lat = json_get(j->d, k + 1, "latency_ms");
        sj_lat(j, lat, "all", &sp->lat_all, NULL, NULL);
        sj_lat(j, lat, "ok", &sp->lat_ok, NULL, NULL);
        int rq = json_get(j->d, k + 1, "request_level");
        if (rq >= 0) {
            sj_rq(j, rq, &sp->rq, NULL, NULL);
            sj_by_reason(j, rq, "final_by_reason", sp->final_by_reason, 1);
        }
    }
}

static void sj_generator(struct sj *j, int root, struct summary *s)
{
    int o = json_get(j->d, root, "generator");
    if (o < 0)
        return;
    struct summary_gen *g = &s->generator;
    int k = json_get(j->d, o, "kept_up");
    if (json_type(j->d, o) != JSON_OBJECT ||
        (k >= 0 && !json_bool(j->d, k, &g->kept_up))) {
        j->bad = true;
        return;
    }
    s->has_generator = true;
    g->dropped = sj_int(j, o, "dropped_requests");
    g->abandoned = sj_int(j, o, "abandoned_in_flight");
    g->connections_peak = sj_int(j, o, "connections_peak");
    g->connections = sj_int(j, o, "connections");
    g->threads = sj_int(j, o, "threads");
    g->sent = sj_int(j, o, "sent");
    g->waited_for_connection = sj_int(j, o, "waited_for_connection");
    g->shards = sj_int(j, o, "shards");
}

/* "warnings": a list of strings (absent in older files: none). */
static void sj_warnings(struct sj *j, int root, struct summary *s)
{
    int o = sj_member(j, root, "warnings", JSON_ARRAY);
    if (o < 0)
        return;
    char buf[WARN_MAX_TEXT];
    for (int k = json_child(j->d, o); k >= 0; k = json_next(j->d, k)) {
        int e = json_str_copy(j->d, k, buf, sizeof(buf), NULL);
        if (e == ERR_INVAL)
            j->bad = true;
        else
            warn_add_text(&s->warnings, buf); /* ERR_TOOBIG: cut, as added */
    }
}

/* One [lo, hi] pair of "shards"."covered", in order after prev_hi. */
static bool sj_range(struct sj *j, int k, int64_t of, int64_t prev_hi,
                     struct summary_range *r)
{
    return json_type(j->d, k) == JSON_ARRAY && json_len(j->d, k) == 2 &&
           json_int64(j->d, json_at(j->d, k, 0), &r->lo) &&
           json_int64(j->d, json_at(j->d, k, 1), &r->hi) &&
           r->lo > prev_hi + 1 && r->lo <= r->hi && r->hi < of;
}

/* "shards": {"of": N, "covered": [[lo, hi]...], "partial": b}, canonical
 * only (N > 1, ranges sorted, coalesced, not the whole run), so a file
 * reads back as the merge that wrote it. */
static void sj_shards(struct sj *j, int root, struct summary *s)
{
    int o = json_get(j->d, root, "shards");
    if (o < 0)
        return;
    struct summary_shards *sh = &s->shards;
    int cov = json_get(j->d, o, "covered");
    int part = json_get(j->d, o, "partial");
    int64_t of = 0;
    if (!json_int64(j->d, json_get(j->d, o, "of"), &of) || of < 2 ||
        json_type(j->d, cov) != JSON_ARRAY || json_len(j->d, cov) == 0 ||
        (part >= 0 && !json_bool(j->d, part, &sh->partial))) {
        j->bad = true;
        return;
    }
    sh->count = of;
    sh->ranges = xcalloc(json_len(j->d, cov), sizeof(*sh->ranges));
    int64_t prev = -2;
    for (int k = json_child(j->d, cov); k >= 0; k = json_next(j->d, k)) {
        if (!sj_range(j, k, of, prev, &sh->ranges[sh->n])) {
            j->bad = true;
            return;
        }
        prev = sh->ranges[sh->n++].hi;
    }
    if (summary_shards_missing(sh) < 0)
        j->bad = true; /* a whole run is written without "shards" */
}

static void sj_rest(struct sj *j, int root, struct summary *s)
{
    sj_str(j, root, "tool", s->tool);
    sj_str(j, root, "version", s->version);
    sj_str(j, root, "scenario", s->scenario);
    sj_str(j, root, "mode", s->mode);
    s->seed = sj_uint(j, root, "seed");
    int c = json_get(j->d, root, "complete");
    if (c >= 0 && !json_bool(j->d, c, &s->complete))
        j->bad = true;
    s->duration_s = sj_num(j, root, "duration_s");
    int rep = json_get(j->d, root, "replications");
    s->replications = rep >= 0 ? (int)sj_int(j, root, "replications") : 1;
    sj_by_reason(j, root, "final_outcome", s->final_by_outcome, 0);
    int fo = json_get(j->d, root, "final_outcome");
    for (int l = 0; json_type(j->d, fo) == JSON_OBJECT && l < REC_LOST_COUNT;
         l++)
        s->final_lost[l] = sj_int(j, fo, rec_lost_name(l));
    s->denial_rate = sj_num(j, root, "denial_rate");
    s->goodput_per_s = sj_num(j, root, "goodput_per_s");
    s->retry_amplification = sj_num(j, root, "retry_amplification");
    sj_latency(j, root, s);
    sj_request_level(j, root, s);
    sj_pops(j, root, s);
    s->live = sj_lat(j, root, "schedule_lag_ms", &s->schedule_lag, NULL, NULL);
    s->live |= sj_lat(j, root, "latency_uncorrected_ms",
                      &s->latency_uncorrected, NULL, NULL);
    s->transport_errors = sj_int(j, root, "transport_errors");
    sj_generator(j, root, s);
    sj_warnings(j, root, s);
    sj_shards(j, root, s);
    s->dropped = sj_int(j, root, "dropped_values");
    int ci = json_get(j->d, root, "ci95");
    if (ci >= 0) {
        s->has_ci95 = true;
        s->ci95.denial_rate = sj_num(j, ci, "denial_rate");
        s->ci95.goodput_per_s = sj_num(j, ci, "goodput_per_s");
        s->ci95.retry_amplification = sj_num(j, ci, "retry_amplification");
    }
}

int results_parse_summary(const char *name, const char *text, size_t len,
                          struct summary *s, char *err, size_t err_len)
{
    size_t cap = len / 2 + 8;
    struct json_node *nodes = xmalloc(cap * sizeof(*nodes));
    struct json_doc doc;
    int rc = json_parse(&doc, text, len, nodes, cap, RESULTS_MAX_FILE_BYTES, 0);
    char msg[128];
    summary_fini(s);
    if (rc != ERR_OK) {
        snprintf(msg, sizeof(msg), "invalid JSON at byte %zu (%s)", doc.err_pos,
                 err_str(rc));
        set_err(err, err_len, name, 0, msg);
        goto out;
    }
    struct sj j = { &doc, false };
    rc = ERR_PARSE;
    if (json_type(&doc, 0) != JSON_OBJECT)
        set_err(err, err_len, name, 0, "top level is not an object");
    else if (!sj_requests(&j, 0, &s->requests))
        set_err(err, err_len, name, 0, "missing \"requests\" object");
    else if (!sj_by_reason(&j, 0, "denied_by_reason", s->denied_by_reason, 1))
        set_err(err, err_len, name, 0, "missing \"denied_by_reason\" object");
    else
        rc = ERR_OK;
    if (rc == ERR_OK)
        sj_rest(&j, 0, s);
    if (rc == ERR_OK && j.bad) {
        rc = ERR_PARSE;
        set_err(err, err_len, name, 0, "a member has the wrong type");
    }
    if (rc != ERR_OK)
        summary_fini(s);
out:
    free(nodes);
    return rc;
}

/* The whole file at path (at most RESULTS_MAX_FILE_BYTES) into *text, or
 * the error in err ("path: why", errno kept). */
static int load(const char *path, char **text, size_t *len, char *err,
                size_t err_len)
{
    int rc = results_slurp(path, RESULTS_MAX_FILE_BYTES, text, len);
    if (rc != ERR_OK) {
        int saved = errno;
        set_err(err, err_len, path, 0,
                rc == ERR_IO ? strerror(errno) : err_str(rc));
        errno = saved;
    }
    return rc;
}

int results_read_summary(const char *path, struct summary *s, char *err,
                         size_t err_len)
{
    char *text;
    size_t len;
    int rc = load(path, &text, &len, err, err_len);
    if (rc != ERR_OK)
        return rc;
    rc = results_parse_summary(path, text, len, s, err, err_len);
    free(text);
    return rc;
}

/* ---- timeseries.csv --------------------------------------------------------
 */

/* Next comma-separated field as an integer / double; *p moves past the
 * separator.  false when malformed. */
static bool csv_i64(const char **p, int64_t *out)
{
    char *e;
    errno = 0;
    if (**p < '0' && **p != '-')
        return false;
    long long v = strtoll(*p, &e, 10);
    if (errno != 0 || e == *p || (*e != ',' && *e != '\n' && *e != '\0'))
        return false;
    *out = v;
    *p = *e == ',' ? e + 1 : e;
    return true;
}

static bool csv_f64(const char **p, double *out)
{
    char *e;
    /* strtod skips any leading white space, line breaks included: a field
     * starting with one (a form feed, say) would read into the next row. */
    if (isspace((unsigned char)**p) || **p == ',' || **p == '\0')
        return false;
    double v = strtod(*p, &e);
    if (e == *p || (*e != ',' && *e != '\n' && *e != '\0'))
        return false;
    *out = v;
    *p = *e == ',' ? e + 1 : e;
    return true;
}

static bool ts_parse_row(const char **p, struct results_ts_row *row)
{
    memset(row, 0, sizeof(*row));
    bool ok = csv_f64(p, &row->t_s) && csv_i64(p, &row->offered) &&
              csv_i64(p, &row->attempts) && csv_i64(p, &row->ok) &&
              csv_i64(p, &row->denied);
    row->reason[REASON_OK] = row->ok;
    for (int o = 1; o < REASON_COUNT && ok; o++)
        ok = csv_i64(p, &row->reason[o]);
    ok = ok && csv_f64(p, &row->p50_ms) && csv_f64(p, &row->p90_ms) &&
         csv_f64(p, &row->p99_ms) && csv_f64(p, &row->max_ms);
    for (int g = 0; g < REC_GAUGE_COUNT && ok; g++)
        ok = csv_f64(p, &row->gauge[g]);
    for (int o = 0; o < REASON_COUNT && ok; o++)
        ok = csv_i64(p, &row->final[o]);
    ok = ok && csv_i64(p, &row->final_lost) && csv_f64(p, &row->req_p50_ms) &&
         csv_f64(p, &row->req_p90_ms) && csv_f64(p, &row->req_p99_ms) &&
         csv_f64(p, &row->req_max_ms);
    if (!ok || (**p != '\n' && **p != '\0'))
        return false;
    if (**p == '\n')
        (*p)++;
    return true;
}

int results_read_timeseries(const char *path, struct results_ts_row **rows,
                            size_t *n, char *err, size_t err_len)
{
    char *text;
    size_t len;
    int rc = load(path, &text, &len, err, err_len);
    if (rc != ERR_OK)
        return rc;
    const char *h = results_ts_header(), *p = text;
    size_t hl = strlen(h), cap = 0, k = 0;
    struct results_ts_row *out = NULL;
    if (len < hl || memcmp(text, h, hl) != 0 ||
        (text[hl] != '\n' && text[hl] != '\0')) {
        set_err(err, err_len, path, 1, "header does not match the contract");
        rc = ERR_PARSE;
        goto done;
    }
    p = text + hl + (text[hl] == '\n');
    while (*p != '\0') {
        if (k == cap) {
            cap = cap ? cap * 2 : 64;
            out = xrealloc(out, cap * sizeof(*out));
        }
        if (!ts_parse_row(&p, &out[k])) {
            char msg[64];
            snprintf(msg, sizeof(msg), "malformed row (%d columns expected)",
                     5 + REASON_N_DENIAL + 4 + REC_GAUGE_COUNT + REASON_COUNT +
                         5);
            set_err(err, err_len, path, (int)k + 2, msg);
            rc = ERR_PARSE;
            goto done;
        }
        k++;
    }
done:
    free(text);
    if (rc != ERR_OK) {
        free(out);
        return rc;
    }
    *rows = out;
    *n = k;
    return ERR_OK;
}

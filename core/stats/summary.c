/*
 * summary.c - summary statistics from a recorder; replications and ci95.
 *
 * Everything here is a pure function of the recorder's summary
 * accumulators (which already exclude warm-up), so a merged recorder and
 * an unsharded one give identical summaries.  Latency values are converted
 * from ns to ms only here.
 *
 * Replications: each number of the combined summary is the mean over the
 * replications; the ci95 half-width of a statistic x over n replications
 * is t(0.975, n-1) * sd(x) / sqrt(n) (independent replications of a
 * stochastic simulation, the textbook method).
 *
 * Not here: JSON (results_write.c / results_read.c), file I/O.
 */
#include "core/stats/summary.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#ifndef TOLLGATE_VERSION
#define TOLLGATE_VERSION "0.0.0"
#endif

#define NS_PER_MS_D 1e6

static void set_str(char dst[SUMMARY_STR_MAX], const char *src)
{
    snprintf(dst, SUMMARY_STR_MAX, "%s", src ? src : "");
}

void summary_init(struct summary *s)
{
    memset(s, 0, sizeof(*s));
    set_str(s->tool, "tollgate");
    set_str(s->version, TOLLGATE_VERSION);
    s->complete = true;
    s->retry_amplification = 1.0;
    s->replications = 1;
}

void summary_fini(struct summary *s)
{
    if (s == NULL)
        return;
    free(s->pops);
    summary_init(s);
}

void summary_lat_from_hist(struct summary_lat *out, const struct hist *h)
{
    out->count = hist_count(h);
    out->p50 = (double)hist_percentile(h, 50) / NS_PER_MS_D;
    out->p90 = (double)hist_percentile(h, 90) / NS_PER_MS_D;
    out->p95 = (double)hist_percentile(h, 95) / NS_PER_MS_D;
    out->p99 = (double)hist_percentile(h, 99) / NS_PER_MS_D;
    out->p999 = (double)hist_percentile(h, 99.9) / NS_PER_MS_D;
    out->max = (double)hist_max(h) / NS_PER_MS_D;
    out->mean = hist_mean(h) / NS_PER_MS_D;
}

/* requests + denied_by_reason from counters. */
static void fill_requests(struct summary_req *req, int64_t by_reason[],
                          const struct rec_counts *c)
{
    memset(req, 0, sizeof(*req));
    req->unique = c->offered;
    for (int o = 0; o < REASON_COUNT; o++)
        req->attempts += c->outcome[o];
    req->ok = c->outcome[REASON_OK];
    req->denied = req->attempts - req->ok;
    by_reason[REASON_OK] = 0;
    for (int o = 1; o < REASON_COUNT; o++)
        by_reason[o] = c->outcome[o];
}

static void fill_latency(struct summary *s, const struct rec *r)
{
    summary_lat_from_hist(&s->lat_all, rec_lat_all(r));
    summary_lat_from_hist(&s->lat_ok, rec_lat(r, REASON_OK));
    struct hist denied;
    hist_init(&denied);
    for (int o = 1; o < REASON_COUNT; o++) {
        summary_lat_from_hist(&s->lat_by_reason[o], rec_lat(r, o));
        hist_merge(&denied, rec_lat(r, o));
    }
    summary_lat_from_hist(&s->lat_denied, &denied);
    hist_fini(&denied);
}

/* The request level of counters c (lost counted as lost) and the
 * request histograms all / ok / denied (denied may be NULL: not kept). */
static void fill_rq(struct summary_rq *q, const struct rec_counts *c,
                    const struct hist *all, const struct hist *ok,
                    const struct hist *denied)
{
    memset(q, 0, sizeof(*q));
    q->ok = c->final[REASON_OK];
    for (int o = 1; o < REASON_COUNT; o++)
        q->denied += c->final[o];
    for (int l = 0; l < REC_LOST_COUNT; l++)
        q->lost += c->lost[l];
    q->requests = q->ok + q->denied + q->lost;
    if (q->requests > 0) {
        q->denial_rate = (double)q->denied / (double)q->requests;
        q->lost_rate = (double)q->lost / (double)q->requests;
    }
    summary_lat_from_hist(&q->lat_all, all);
    summary_lat_from_hist(&q->lat_ok, ok);
    if (denied != NULL)
        summary_lat_from_hist(&q->lat_denied, denied);
}

/* Attempts per request from the recorder's histogram (k attempts stored
 * as k us, one bucket each below 2048: exact). */
static void fill_tries(struct summary_tries *t, const struct hist *h)
{
    memset(t, 0, sizeof(*t));
    if (hist_count(h) == 0)
        return;
    double sum = 0;
    for (int32_t i = h->min_idx; i <= h->max_idx; i++)
        sum += (double)h->counts[i] *
               (double)(hist_index_lowest(i) / HIST_UNIT_NS);
    t->mean = sum / (double)hist_count(h);
    t->p50 = hist_percentile(h, 50) / HIST_UNIT_NS;
    t->p90 = hist_percentile(h, 90) / HIST_UNIT_NS;
    t->p99 = hist_percentile(h, 99) / HIST_UNIT_NS;
    t->max = hist_max(h) / HIST_UNIT_NS;
}

static void fill_request_level(struct summary *s, const struct rec *r,
                               const struct rec_counts *tot)
{
    struct hist denied;
    hist_init(&denied);
    for (int o = 1; o < REASON_COUNT; o++) {
        const struct hist *h = rec_lvl_lat(r, REC_REQUEST, o);
        summary_lat_from_hist(&s->rq_by_reason[o], h);
        hist_merge(&denied, h);
    }
    fill_rq(&s->rq, tot, rec_lvl_lat_all(r, REC_REQUEST),
            rec_lvl_lat(r, REC_REQUEST, REASON_OK), &denied);
    rec_ends(r, s->rq.ended);
    hist_fini(&denied);
    fill_tries(&s->tries, rec_tries(r));
    s->has_rq = true;
}

static void fill_pops(struct summary *s, const struct rec *r)
{
    s->n_pops = rec_n_pops(r);
    s->pops = xcalloc(s->n_pops, sizeof(*s->pops));
    for (size_t p = 0; p < s->n_pops; p++) {
        struct summary_pop *sp = &s->pops[p];
        struct rec_counts c;
        rec_counts_get(r, (int)p, &c);
        set_str(sp->name, rec_pop_name(r, p));
        fill_requests(&sp->requests, sp->denied_by_reason, &c);
        summary_lat_from_hist(&sp->lat_all, rec_pop_lat_all(r, p));
        summary_lat_from_hist(&sp->lat_ok, rec_pop_lat_ok(r, p));
        fill_rq(&sp->rq, &c, rec_lvl_pop_all(r, REC_REQUEST, p),
                rec_lvl_pop_ok(r, REC_REQUEST, p), NULL);
        for (int o = 1; o < REASON_COUNT; o++)
            sp->final_by_reason[o] = c.final[o];
    }
}

void summary_from_record(struct summary *s, const struct rec *r,
                         const struct summary_meta *meta)
{
    summary_fini(s);
    if (meta != NULL) {
        set_str(s->scenario, meta->scenario);
        set_str(s->mode, meta->mode);
        s->seed = meta->seed;
    }
    s->complete = rec_complete(r);
    int64_t covered = rec_end_ns(r) - rec_config(r)->warmup_ns;
    s->duration_s = covered > 0 ? (double)covered / 1e9 : 0.0;

    struct rec_counts tot;
    rec_counts_get(r, -1, &tot);
    fill_requests(&s->requests, s->denied_by_reason, &tot);
    memcpy(s->final_by_outcome, tot.final, sizeof(s->final_by_outcome));
    memcpy(s->final_lost, tot.lost, sizeof(s->final_lost));
    const struct summary_req *q = &s->requests;
    s->denial_rate = q->attempts ? (double)q->denied / (double)q->attempts : 0;
    s->goodput_per_s = s->duration_s > 0 ? (double)q->ok / s->duration_s : 0;
    s->retry_amplification =
        q->unique ? (double)q->attempts / (double)q->unique : 1.0;

    fill_latency(s, r);
    fill_request_level(s, r, &tot);
    fill_pops(s, r);
    s->live = rec_config(r)->live;
    if (s->live) {
        summary_lat_from_hist(&s->schedule_lag, rec_lag(r));
        summary_lat_from_hist(&s->latency_uncorrected, rec_service(r));
    }
    s->transport_errors = rec_transport_errors(r);
    s->dropped = rec_dropped(r);
}

void summary_gen_add(struct summary_gen *acc, const struct summary_gen *g)
{
    acc->kept_up = acc->kept_up && g->kept_up;
    acc->dropped += g->dropped;
    acc->abandoned += g->abandoned;
    acc->connections_peak += g->connections_peak;
    acc->connections += g->connections;
    acc->threads += g->threads;
    acc->sent += g->sent;
    acc->waited_for_connection += g->waited_for_connection;
    acc->shards += g->shards;
}

void summary_copy(struct summary *dst, const struct summary *src)
{
    summary_fini(dst);
    *dst = *src;
    dst->pops = NULL;
    if (src->n_pops > 0) {
        dst->pops = xcalloc(src->n_pops, sizeof(*dst->pops));
        memcpy(dst->pops, src->pops, src->n_pops * sizeof(*dst->pops));
    }
}

/* ---- replications ---------------------------------------------------------
 */

double summary_t975(int df)
{
    static const double table[30] = {
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
        2.201,  2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
        2.080,  2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
    };
    if (df < 1)
        df = 1;
    if (df <= 30)
        return table[df - 1];
    /* Cornish-Fisher expansion of Student's t around z(0.975). */
    double z = 1.959963984540054, n = df, z3 = z * z * z, z5 = z3 * z * z;
    return z + (z3 + z) / (4 * n) + (5 * z5 + 16 * z3 + 3 * z) / (96 * n * n) +
           (3 * z5 * z * z + 19 * z5 + 17 * z3 - 15 * z) / (384 * n * n * n);
}

/* Accumulates mean and sum of squares of one statistic over replications. */
struct acc {
    double sum, sq;
};

static void acc_add(struct acc *a, double x)
{
    a->sum += x;
    a->sq += x * x;
}

static double acc_mean(const struct acc *a, size_t n)
{
    return a->sum / (double)n;
}

static double acc_ci(const struct acc *a, size_t n)
{
    double m = acc_mean(a, n);
    double var = (a->sq - (double)n * m * m) / (double)(n - 1);
    if (var < 0)
        var = 0; /* rounding */
    return summary_t975((int)n - 1) * sqrt(var / (double)n);
}

static int64_t mean_count(const int64_t *xs, size_t stride, size_t n)
{
    double sum = 0;
    for (size_t k = 0; k < n; k++)
        sum += (double)*(const int64_t *)((const char *)xs + k * stride);
    return (int64_t)llround(sum / (double)n);
}

#define LAT_FIELDS 7
static double *lat_field(struct summary_lat *l, int k)
{
    double *f[LAT_FIELDS] = { &l->p50,  &l->p90, &l->p95, &l->p99,
                              &l->p999, &l->max, &l->mean };
    return f[k];
}

/* Mean (into out) and ci95 (into ci, may be NULL) of a latency block found
 * at byte offset off of every replication (element stride bytes). */
static void lat_combine(struct summary_lat *out, struct summary_lat *ci,
                        const void *base, size_t stride, size_t n)
{
    for (int k = 0; k < LAT_FIELDS; k++) {
        struct acc a = { 0, 0 };
        for (size_t r = 0; r < n; r++) {
            struct summary_lat *l =
                (struct summary_lat *)((const char *)base + r * stride);
            acc_add(&a, *lat_field(l, k));
        }
        *lat_field(out, k) = acc_mean(&a, n);
        if (ci != NULL)
            *lat_field(ci, k) = acc_ci(&a, n);
    }
    out->count =
        mean_count(&((const struct summary_lat *)base)->count, stride, n);
    if (ci != NULL)
        ci->count = 0;
}

static void rate_combine(double *out, double *ci, const double *base,
                         size_t stride, size_t n)
{
    struct acc a = { 0, 0 };
    for (size_t r = 0; r < n; r++)
        acc_add(&a, *(const double *)((const char *)base + r * stride));
    *out = acc_mean(&a, n);
    *ci = acc_ci(&a, n);
}

static void req_combine(struct summary_req *out, int64_t by_reason[],
                        const struct summary_req *req0,
                        const int64_t *by_reason0, size_t stride, size_t n)
{
    out->attempts = mean_count(&req0->attempts, stride, n);
    out->unique = mean_count(&req0->unique, stride, n);
    out->ok = mean_count(&req0->ok, stride, n);
    out->denied = mean_count(&req0->denied, stride, n);
    for (int o = 0; o < REASON_COUNT; o++)
        by_reason[o] = mean_count(&by_reason0[o], stride, n);
}

/* Means of a request-level block at base (stride bytes apart); ci may be
 * NULL.  Counts are rounded means, rates and latencies plain means. */
static void rq_combine(struct summary_rq *out, double *ci_rate,
                       struct summary_lat *ci_all, struct summary_lat *ci_ok,
                       const struct summary_rq *base, size_t stride, size_t n)
{
    out->requests = mean_count(&base->requests, stride, n);
    out->ok = mean_count(&base->ok, stride, n);
    out->denied = mean_count(&base->denied, stride, n);
    out->lost = mean_count(&base->lost, stride, n);
    for (int e = 0; e < REC_END_COUNT; e++)
        out->ended[e] = mean_count(&base->ended[e], stride, n);
    double dummy;
    rate_combine(&out->denial_rate, ci_rate ? ci_rate : &dummy,
                 &base->denial_rate, stride, n);
    rate_combine(&out->lost_rate, &dummy, &base->lost_rate, stride, n);
    lat_combine(&out->lat_all, ci_all, &base->lat_all, stride, n);
    lat_combine(&out->lat_ok, ci_ok, &base->lat_ok, stride, n);
    lat_combine(&out->lat_denied, NULL, &base->lat_denied, stride, n);
}

static void tries_combine(struct summary_tries *out,
                          const struct summary_tries *base, size_t stride,
                          size_t n)
{
    double ci;
    rate_combine(&out->mean, &ci, &base->mean, stride, n);
    out->p50 = mean_count(&base->p50, stride, n);
    out->p90 = mean_count(&base->p90, stride, n);
    out->p99 = mean_count(&base->p99, stride, n);
    out->max = mean_count(&base->max, stride, n);
}

static bool same_pops(const struct summary *reps, size_t n)
{
    for (size_t r = 1; r < n; r++) {
        if (reps[r].n_pops != reps[0].n_pops)
            return false;
        for (size_t p = 0; p < reps[0].n_pops; p++)
            if (strcmp(reps[r].pops[p].name, reps[0].pops[p].name) != 0)
                return false;
    }
    return true;
}

static void pops_combine(struct summary *out, const struct summary *reps,
                         size_t n)
{
    out->n_pops = reps[0].n_pops;
    out->pops = out->n_pops ? xcalloc(out->n_pops, sizeof(*out->pops)) : NULL;
    for (size_t p = 0; p < out->n_pops; p++) {
        struct summary_pop *op = &out->pops[p];
        const struct summary_pop *p0 = &reps[0].pops[p];
        set_str(op->name, p0->name);
        /* Replication r's pop p is at reps[r].pops + p: not a fixed stride
         * from p0, so gather into a contiguous copy first. */
        struct summary_pop *tmp = xcalloc(n, sizeof(*tmp));
        for (size_t r = 0; r < n; r++)
            tmp[r] = reps[r].pops[p];
        req_combine(&op->requests, op->denied_by_reason, &tmp[0].requests,
                    tmp[0].denied_by_reason, sizeof(*tmp), n);
        lat_combine(&op->lat_all, NULL, &tmp[0].lat_all, sizeof(*tmp), n);
        lat_combine(&op->lat_ok, NULL, &tmp[0].lat_ok, sizeof(*tmp), n);
        rq_combine(&op->rq, NULL, NULL, NULL, &tmp[0].rq, sizeof(*tmp), n);
        for (int o = 0; o < REASON_COUNT; o++)
            op->final_by_reason[o] =
                mean_count(&tmp[0].final_by_reason[o], sizeof(*tmp), n);
        free(tmp);
    }
}

int summary_replicate(struct summary *out, const struct summary *reps, size_t n)
{
    if (n < 2 || !same_pops(reps, n))
        return ERR_INVAL;
    summary_fini(out);
    const size_t st = sizeof(*reps);
    const struct summary *s0 = &reps[0];
    memcpy(out->scenario, s0->scenario, SUMMARY_STR_MAX);
    memcpy(out->mode, s0->mode, SUMMARY_STR_MAX);
    out->seed = s0->seed;
    out->live = s0->live;
    struct acc dur = { 0, 0 };
    for (size_t r = 0; r < n; r++) {
        out->complete = out->complete && reps[r].complete;
        acc_add(&dur, reps[r].duration_s);
    }
    out->duration_s = acc_mean(&dur, n);
    req_combine(&out->requests, out->denied_by_reason, &s0->requests,
                s0->denied_by_reason, st, n);
    for (int o = 0; o < REASON_COUNT; o++)
        out->final_by_outcome[o] = mean_count(&s0->final_by_outcome[o], st, n);
    for (int l = 0; l < REC_LOST_COUNT; l++)
        out->final_lost[l] = mean_count(&s0->final_lost[l], st, n);
    struct summary_ci95 *ci = &out->ci95;
    rate_combine(&out->denial_rate, &ci->denial_rate, &s0->denial_rate, st, n);
    rate_combine(&out->goodput_per_s, &ci->goodput_per_s, &s0->goodput_per_s,
                 st, n);
    rate_combine(&out->retry_amplification, &ci->retry_amplification,
                 &s0->retry_amplification, st, n);
    lat_combine(&out->lat_all, &ci->lat_all, &s0->lat_all, st, n);
    lat_combine(&out->lat_ok, &ci->lat_ok, &s0->lat_ok, st, n);
    lat_combine(&out->lat_denied, &ci->lat_denied, &s0->lat_denied, st, n);
    for (int o = 1; o < REASON_COUNT; o++)
        lat_combine(&out->lat_by_reason[o], &ci->lat_by_reason[o],
                    &s0->lat_by_reason[o], st, n);
    out->has_rq = s0->has_rq;
    rq_combine(&out->rq, &ci->rq_denial_rate, &ci->rq_lat_all, &ci->rq_lat_ok,
               &s0->rq, st, n);
    for (int o = 1; o < REASON_COUNT; o++)
        lat_combine(&out->rq_by_reason[o], NULL, &s0->rq_by_reason[o], st, n);
    tries_combine(&out->tries, &s0->tries, st, n);
    lat_combine(&out->schedule_lag, NULL, &s0->schedule_lag, st, n);
    lat_combine(&out->latency_uncorrected, NULL, &s0->latency_uncorrected, st,
                n);
    out->transport_errors = mean_count(&s0->transport_errors, st, n);
    out->dropped = mean_count(&s0->dropped, st, n);
    pops_combine(out, reps, n);
    out->replications = (int)n;
    out->has_ci95 = true;
    return ERR_OK;
}

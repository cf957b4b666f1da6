/*
 * expect_measure.c - the value an `expect:` rule measures in a summary.
 *
 * Parsing a rule needs only the scenario layer (expect.c); measuring it
 * needs a run's summary, so it lives with the statistics.  A rule reads
 * one "view": the attempt or request level, of the whole run or of one
 * population; shares are of that level's total, latencies come from the
 * summary's blocks in ms and are returned in ns, the rules' base unit.
 */
#include "core/stats/expect_measure.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "core/base/reason.h"

static double ratio(int64_t num, int64_t den)
{
    return den > 0 ? (double)num / (double)den : 0.0;
}

/* The block's statistic for quantile q in ms; false when not carried. */
static bool lat_stat(const struct summary_lat *l, double q, double *ms)
{
    static const struct {
        double q;
        size_t off;
    } stats[] = { { 50, offsetof(struct summary_lat, p50) },
                  { 90, offsetof(struct summary_lat, p90) },
                  { 95, offsetof(struct summary_lat, p95) },
                  { 99, offsetof(struct summary_lat, p99) },
                  { 99.9, offsetof(struct summary_lat, p999) },
                  { 100, offsetof(struct summary_lat, max) },
                  { -1, offsetof(struct summary_lat, mean) } };
    for (size_t k = 0; k < sizeof(stats) / sizeof(stats[0]); k++)
        if (stats[k].q == q) {
            memcpy(ms, (const char *)l + stats[k].off, sizeof(*ms));
            return true;
        }
    return false;
}

/* The numbers a rule reads, at its level and scope, gathered once. */
struct view {
    int64_t total;            /* attempts, or requests that ended */
    int64_t ok, denied, lost; /* lost: requests only */
    const int64_t *by_reason; /* denials (attempts) or final outcomes */
    const struct summary_lat *all, *okl, *den; /* den NULL per population */
    const struct summary_lat *by_lat;          /* [REASON_COUNT]; NULL per
                                                  population */
};

static void view_attempts(const struct summary *s, const struct summary_pop *p,
                          struct view *v)
{
    const struct summary_req *q = p ? &p->requests : &s->requests;
    v->total = q->attempts;
    v->ok = q->ok;
    v->denied = q->denied;
    v->lost = 0;
    v->by_reason = p ? p->denied_by_reason : s->denied_by_reason;
    v->all = p ? &p->lat_all : &s->lat_all;
    v->okl = p ? &p->lat_ok : &s->lat_ok;
    v->den = p ? NULL : &s->lat_denied;
    v->by_lat = p ? NULL : s->lat_by_reason;
}

static void view_requests(const struct summary *s, const struct summary_pop *p,
                          struct view *v)
{
    const struct summary_rq *q = p ? &p->rq : &s->rq;
    v->total = q->requests;
    v->ok = q->ok;
    v->denied = q->denied;
    v->lost = q->lost;
    v->by_reason = p ? p->final_by_reason : s->final_by_outcome;
    v->all = &q->lat_all;
    v->okl = &q->lat_ok;
    v->den = p ? NULL : &q->lat_denied;
    v->by_lat = p ? NULL : s->rq_by_reason;
}

static const struct summary_pop *find_pop(const struct summary *s,
                                          const char *name)
{
    for (size_t p = 0; p < s->n_pops; p++)
        if (strcmp(s->pops[p].name, name) == 0)
            return &s->pops[p];
    return NULL;
}

static const struct summary_lat *view_lat(const struct view *v, int who)
{
    if (who == EXP_OUTCOME_ALL)
        return v->all;
    if (who == REASON_OK)
        return v->okl;
    if (who == EXP_OUTCOME_DENIED)
        return v->den;
    if (who > 0 && who < REASON_COUNT && v->by_lat)
        return &v->by_lat[who];
    return NULL;
}

static int64_t view_count(const struct view *v, int who)
{
    if (who == EXP_OUTCOME_LOST)
        return v->lost;
    if (who < 0)
        return v->denied;
    if (who == REASON_OK)
        return v->ok;
    return v->by_reason[who];
}

static int say(char *why, size_t len, int e, const char *fmt, const char *a)
{
    if (why != NULL && len > 0)
        snprintf(why, len, fmt, a);
    return e;
}

int expect_measure_explain(const struct expect_rule *r, const struct summary *s,
                           double *measured, char *why, size_t why_len)
{
    *measured = NAN;
    if (why != NULL && why_len > 0)
        why[0] = '\0';
    const struct summary_pop *p = NULL;
    if (r->pop[0] && (p = find_pop(s, r->pop)) == NULL)
        return say(why, why_len, ERR_INVAL,
                   "no population '%s' in these results", r->pop);
    if (r->level == EXP_REQUESTS && !s->has_rq)
        return say(why, why_len, ERR_INVAL,
                   "%s: these results predate request-level records; run "
                   "again",
                   "summary.json");
    struct view v;
    if (r->level == EXP_REQUESTS)
        view_requests(s, p, &v);
    else
        view_attempts(s, p, &v);
    const struct summary_lat *l;
    double ms;
    switch (r->metric) {
    case EXP_DENIED:
        *measured =
            ratio(r->reason < 0 ? v.denied : v.by_reason[r->reason], v.total);
        return ERR_OK;
    case EXP_LOST: *measured = ratio(v.lost, v.total); return ERR_OK;
    case EXP_COUNT:
        *measured = (double)view_count(&v, r->reason);
        return ERR_OK;
    case EXP_LATENCY:
        l = view_lat(&v, r->reason);
        if (l == NULL || !lat_stat(l, r->quantile, &ms))
            return say(why, why_len, ERR_INVAL, "%s",
                       "the summary does not carry this statistic");
        if (l->count > 0)
            *measured = ms * 1e6;
        return ERR_OK;
    case EXP_GOODPUT:
        *measured =
            p ? (s->duration_s > 0 ? (double)p->requests.ok / s->duration_s
                                   : 0.0)
              : s->goodput_per_s;
        return ERR_OK;
    case EXP_RETRY_AMPLIFICATION:
        *measured = p ? (p->requests.unique ? (double)p->requests.attempts /
                                                  (double)p->requests.unique
                                            : 1.0)
                      : s->retry_amplification;
        return ERR_OK;
    }
    return ERR_INVAL;
}

int expect_measure(const struct expect_rule *r, const struct summary *s,
                   double *measured)
{
    return expect_measure_explain(r, s, measured, NULL, 0);
}

/*
 * expect_measure.c - the value an `expect:` rule measures in a summary.
 *
 * Parsing a rule needs only the scenario layer (expect.c); measuring it
 * needs a run's summary, so it lives with the statistics.  Rates are of
 * attempts; latencies come from the summary's blocks in ms and are
 * returned in ns, the rules' base unit.
 */
#include "core/stats/expect_measure.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

#include "core/base/reason.h"

static double ratio(int64_t num, int64_t den)
{
    return den > 0 ? (double)num / (double)den : 0.0;
}

static const struct summary_lat *lat_block(const struct summary *s, int who)
{
    if (who == EXP_OUTCOME_ALL)
        return &s->lat_all;
    if (who == EXP_OUTCOME_DENIED)
        return &s->lat_denied;
    if (who == REASON_OK)
        return &s->lat_ok;
    if (who > 0 && who < REASON_COUNT)
        return &s->lat_by_reason[who];
    return NULL;
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

static int measure_latency(const struct expect_rule *r, const struct summary *s,
                           double *measured)
{
    const struct summary_lat *l = lat_block(s, r->reason);
    double ms;
    if (!l || !lat_stat(l, r->quantile, &ms))
        return ERR_INVAL;
    if (l->count > 0)
        *measured = ms * 1e6;
    return ERR_OK;
}

static int64_t count_of(const struct summary *s, int who)
{
    if (who < 0)
        return s->requests.denied;
    if (who == REASON_OK)
        return s->requests.ok;
    return s->denied_by_reason[who];
}

int expect_measure(const struct expect_rule *r, const struct summary *s,
                   double *measured)
{
    *measured = NAN;
    switch (r->metric) {
    case EXP_DENIED:
        *measured = ratio(r->reason < 0 ? s->requests.denied
                                        : s->denied_by_reason[r->reason],
                          s->requests.attempts);
        return ERR_OK;
    case EXP_COUNT: *measured = (double)count_of(s, r->reason); return ERR_OK;
    case EXP_LATENCY: return measure_latency(r, s, measured);
    case EXP_GOODPUT: *measured = s->goodput_per_s; return ERR_OK;
    case EXP_RETRY_AMPLIFICATION:
        *measured = s->retry_amplification;
        return ERR_OK;
    }
    return ERR_INVAL;
}

/*
 * timeline.c - the occurrence rules of scenario events (timeline.h).
 *
 * Pure functions of the event and the caller's random stream; nothing
 * here knows about event queues, timers or clocks.  The exponential draw
 * is -mean * ln(u) with u from rng_double, rounded to the nearest ns.
 */
#include "core/timeline.h"

#include <math.h>

#include "core/dist.h"

static int64_t exp_ns(struct rng *r, int64_t mean_ns)
{
    return llround(-(double)mean_ns * log(rng_double(r)));
}

bool timeline_lasts(const struct scn_event *ev)
{
    switch (ev->kind) {
    case EV_OUTAGE:
    case EV_MAINTENANCE:
    case EV_UPGRADE:
    case EV_SUSPEND:
    case EV_SUSPEND_FEATURE: return true;
    default: return ev->timing == EVT_RANDOM;
    }
}

int64_t timeline_first_ns(const struct scn_event *ev, struct rng *r)
{
    if (ev->timing != EVT_RANDOM)
        return ev->at_ns;
    return ev->mtbf_ns > 0 ? exp_ns(r, ev->mtbf_ns) : -1;
}

int64_t timeline_length_ns(const struct scn_event *ev, struct rng *r)
{
    if (ev->timing != EVT_RANDOM)
        return ev->for_ns;
    return llround(dist_sample_nonneg(&ev->mttr, r));
}

int64_t timeline_gap_ns(const struct scn_event *ev, struct rng *r)
{
    if (ev->timing != EVT_RANDOM || ev->mtbf_ns <= 0)
        return -1;
    return exp_ns(r, ev->mtbf_ns);
}

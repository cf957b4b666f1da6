/*
 * sim_timeline.c - the scenario's event timeline and the time-series
 * gauges, in virtual time.
 *
 * Events: `at` occurrences are queued at start; `every` ones queue their
 * next occurrence when one starts; `random` ones alternate an exponential
 * time between failures (mtbf) and a repair time drawn from mttr.  Each
 * start and end goes to the policy (policy_event_start / _end), then the
 * capacity is rescaled to policy_capacity_factor, and an events.csv row
 * records what happened.  Gauges are sampled at the end of each interval:
 * in-flight attempts and queue length always, credit and rate-limit
 * remaining only when some tier has them.  Neither walks the accounts:
 * credit is the policy's running sum (exact), rate-limit headroom its
 * bounded sample (exact up to POLICY_GAUGE_SAMPLE accounts, an estimate
 * above; policy.h).
 *
 * Invariants: rows are appended in start order; an event never ends
 * before it starts; nothing here touches attempts.
 */
#include "sim/sim_int.h"

#include "core/err.h"
#include "core/timeline.h"

/* ---- scenario events -------------------------------------------------------
 */

static void update_capacity(struct sim_engine *e)
{
    capacity_set_factor(&e->cap, policy_capacity_factor(e->pol, e->now));
    sim_drain_capacity(e);
}

static struct sim_event_row *add_row(struct sim_engine *e, int ev)
{
    struct sim_stats *st = e->stats;
    if (st->n_rows == e->rows_cap) {
        e->rows_cap = e->rows_cap ? e->rows_cap * 2 : 16;
        st->rows = xrealloc(st->rows, e->rows_cap * sizeof(*st->rows));
    }
    struct sim_event_row *row = &st->rows[st->n_rows++];
    row->start_ns = row->end_ns = e->now;
    row->event = ev;
    scn_event_label(e->sc, &e->sc->events[ev], row->label, sizeof(row->label));
    return row;
}

void sim_timeline_start(struct sim_engine *e, uint32_t idx)
{
    const struct scn_event *ev = &e->sc->events[idx];
    e->occurrences[idx]++;
    policy_event_start(e->pol, ev, e->now);
    struct sim_event_row *row = add_row(e, (int)idx);
    int64_t dur = timeline_length_ns(ev, &e->evr);
    if (timeline_lasts(ev)) {
        if (dur > 0 && e->now + dur < e->end) {
            sim_push(e, e->now + dur, SE_EVENT_END, idx, 0);
            row->end_ns = e->now + dur;
        } else {
            row->end_ns = e->end;
        }
    }
    if (ev->timing == EVT_EVERY && ev->every_ns > 0 &&
        e->now + ev->every_ns < e->end)
        sim_push(e, e->now + ev->every_ns, SE_EVENT_START, idx, 0);
    update_capacity(e);
}

void sim_timeline_end(struct sim_engine *e, uint32_t idx)
{
    const struct scn_event *ev = &e->sc->events[idx];
    policy_event_end(e->pol, ev, e->now);
    int64_t gap = timeline_gap_ns(ev, &e->evr);
    if (gap >= 0 && e->now + gap < e->end)
        sim_push(e, e->now + gap, SE_EVENT_START, idx, 0);
    update_capacity(e);
}

void sim_timeline_schedule(struct sim_engine *e)
{
    for (size_t i = 0; i < e->sc->n_events; i++) {
        int64_t t = timeline_first_ns(&e->sc->events[i], &e->evr);
        if (t >= 0 && t < e->end)
            sim_push(e, t, SE_EVENT_START, (uint32_t)i, 0);
    }
}

/* ---- gauges -------------------------------------------------------------- */

/* Gauges observed now, stored for interval k. */
void sim_gauges_sample(struct sim_engine *e, size_t k)
{
    int64_t t = (int64_t)k * e->sc->interval_ns;
    rec_gauge(e->rec, REC_G_IN_FLIGHT, t, (double)e->in_flight);
    rec_gauge(e->rec, REC_G_QUEUE_LEN, t, (double)capacity_queued(&e->cap));
    if (e->has_credit)
        rec_gauge(e->rec, REC_G_CREDIT_USD, t,
                  (double)policy_credit_total(e->pol, e->now) / 1e12);
    if (e->has_rl_req)
        rec_gauge(
            e->rec, REC_G_RL_REQUESTS, t,
            policy_limit_remaining_sampled(e->pol, LIMIT_REQUESTS, e->now));
    if (e->has_rl_tok)
        rec_gauge(e->rec, REC_G_RL_TOKENS, t,
                  policy_limit_remaining_sampled(e->pol, LIMIT_TOKENS, e->now));
}

void sim_gauges_on_sample(struct sim_engine *e, size_t k)
{
    sim_gauges_sample(e, k);
    int64_t next = (int64_t)(k + 2) * e->sc->interval_ns;
    if (next < e->end)
        sim_push(e, next, SE_SAMPLE, 0, k + 1);
}

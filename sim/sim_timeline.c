/*
 * sim_timeline.c - the world's timeline and gauges on the event queue.
 *
 * core/model/world applies event occurrences (policy, events.csv row, capacity)
 * and asks, through sim_timeline_at, for what follows; here those asks
 * become SE_EVENT_START / SE_EVENT_END events, and each occurrence is
 * followed by serving the capacity queue, which may have grown.  Gauges
 * are sampled at the end of each interval (SE_SAMPLE) by world_gauges.
 *
 * Invariants: the timeline never asks for a time at or after the end of
 * the run (it knows the end), so no scenario event is queued in the drain.
 */
#include "sim/sim_int.h"

void sim_timeline_at(void *engine, int64_t t_ns, enum timeline_what what,
                     uint32_t ev)
{
    struct sim_engine *e = engine;
    sim_push(e, t_ns, what == TIMELINE_START ? SE_EVENT_START : SE_EVENT_END,
             ev, 0);
}

void sim_timeline_start(struct sim_engine *e, uint32_t idx)
{
    world_event_begin(&e->w, idx, e->now, e->now);
    sim_drain_capacity(e);
}

void sim_timeline_end(struct sim_engine *e, uint32_t idx)
{
    world_event_finish(&e->w, idx, e->now, e->now);
    sim_drain_capacity(e);
}

void sim_gauges_sample(struct sim_engine *e, size_t k)
{
    int64_t t = (int64_t)k * e->sc->interval_ns;
    world_gauges(&e->w, e->rec, t, e->now, e->in_flight);
}

void sim_gauges_on_sample(struct sim_engine *e, size_t k)
{
    sim_gauges_sample(e, k);
    int64_t next = (int64_t)(k + 2) * e->sc->interval_ns;
    if (next < e->end)
        sim_push(e, next, SE_SAMPLE, 0, k + 1);
}

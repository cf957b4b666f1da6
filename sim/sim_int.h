/*
 * sim_int.h - the engine's state, shared by the files of sim/ only.
 *
 * sim.c runs the attempts (slots, capacity, client timeouts, retries) and
 * the main loop; sim_timeline.c connects the world's timeline and gauges
 * (core/model/world.h) to the event queue.  Nothing outside sim/ includes this
 * header.
 */
#ifndef TOLLGATE_SIM_INT_H
#define TOLLGATE_SIM_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/model/policy.h"
#include "core/stats/record.h"
#include "core/base/rng.h"
#include "core/model/timeline.h"
#include "core/model/traffic.h"
#include "core/model/world.h"
#include "sim/evq.h"
#include "sim/sim.h"

/* Engine events (evq kinds). */
enum sim_ev_kind {
    SE_USER = 0,       /* closed-loop user sends: arg pop, data user */
    SE_SEND,           /* a retry is sent: data slot */
    SE_DONE,           /* the server finished an attempt: data slot */
    SE_ADMIT,          /* a limit stops holding an attempt: data slot */
    SE_CLIENT_TIMEOUT, /* head of population arg's deadline FIFO is due */
    SE_QUEUE_TIMEOUT,  /* the capacity queue's head deadline: poll */
    SE_EVENT_START,    /* scenario event begins: arg event index */
    SE_EVENT_END,      /* scenario event ends: arg event index */
    SE_SAMPLE          /* gauges of interval data */
};

struct sim_slot;
struct sim_deadline_fifo;

/* One run of one scenario; lives on sim_run's stack. */
struct sim_engine {
    const struct scenario *sc;
    const struct sim_config *cfg;
    struct rec *rec;
    struct world w; /* policy, capacity, timeline, gauges */
    struct traffic *traffic;
    struct evq q;
    int64_t now, end;

    struct sim_slot *slots; /* attempt records (sim.c) */
    uint32_t n_slots, used_slots, free_head;

    struct traffic_req next; /* next open-loop arrival */
    bool has_next;

    struct rng net;
    uint64_t seed;     /* the run's: keys the client's retry draws */
    bool rtt_const;    /* the rtt dist is a constant: rtt_ns, no draw */
    int64_t rtt_ns;    /* the constant rtt */
    int64_t in_flight; /* attempts whose client is waiting */
    struct sim_deadline_fifo *fifos; /* per population (sim.c) */
    int64_t qtimer_ns; /* pending SE_QUEUE_TIMEOUT; INT64_MAX: none */

    struct sim_stats *stats;
};

/* Schedules an engine event at t (sim.c). */
void sim_push(struct sim_engine *e, int64_t t, enum sim_ev_kind k, uint32_t arg,
              uint64_t data);

/* Starts or expires whatever the capacity queue lets go at now (sim.c). */
void sim_drain_capacity(struct sim_engine *e);

/* The world's timeline asks for an event start or end at t: queued as
 * SE_EVENT_START / SE_EVENT_END (sim_timeline.c). */
void sim_timeline_at(void *engine, int64_t t_ns, enum timeline_what what,
                     uint32_t ev);

/* An occurrence of scenario event idx begins / ends at now: the world
 * applies it, then the capacity queue is served (sim_timeline.c). */
void sim_timeline_start(struct sim_engine *e, uint32_t idx);
void sim_timeline_end(struct sim_engine *e, uint32_t idx);

/* Gauges observed now, stored for interval k (sim_timeline.c). */
void sim_gauges_sample(struct sim_engine *e, size_t k);

/* End of interval k: samples its gauges, schedules the next sample. */
void sim_gauges_on_sample(struct sim_engine *e, size_t k);

#endif

/*
 * sim_int.h - the engine's state, shared by the files of sim/ only.
 *
 * sim.c runs the attempts (slots, capacity, client timeouts, retries) and
 * the main loop; sim_timeline.c applies the scenario's events and samples
 * the time-series gauges.  Nothing outside sim/ includes this header.
 */
#ifndef TOLLGATE_SIM_INT_H
#define TOLLGATE_SIM_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/capacity.h"
#include "core/policy.h"
#include "core/record.h"
#include "core/rng.h"
#include "core/traffic.h"
#include "core/zig.h"
#include "sim/evq.h"
#include "sim/sim.h"

/* Engine events (evq kinds). */
enum sim_ev_kind {
    SE_USER = 0,       /* closed-loop user sends: arg pop, data user */
    SE_SEND,           /* a retry is sent: data slot */
    SE_DONE,           /* the server finished an attempt: data slot */
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
    struct policy *pol;
    struct traffic *traffic;
    struct capacity cap;
    struct evq q;
    int64_t now, end;

    struct sim_slot *slots; /* attempt records (sim.c) */
    uint32_t n_slots, used_slots, free_head;

    struct traffic_req next; /* next open-loop arrival */
    bool has_next;

    struct rng net, svc, err, cli, evr;
    struct zig zig; /* ziggurat tables for service-time draws */
    bool has_credit, has_rl_req, has_rl_tok;
    bool rtt_const;    /* the rtt dist is a constant: rtt_ns, no draw */
    int64_t rtt_ns;    /* the constant rtt */
    int64_t in_flight; /* attempts whose client is waiting */
    struct sim_deadline_fifo *fifos; /* per population (sim.c) */
    int64_t qtimer_ns; /* pending SE_QUEUE_TIMEOUT; INT64_MAX: none */

    uint32_t *occurrences; /* per scenario event */
    struct sim_stats *stats;
    size_t rows_cap;
};

/* Schedules an engine event at t (sim.c). */
void sim_push(struct sim_engine *e, int64_t t, enum sim_ev_kind k, uint32_t arg,
              uint64_t data);

/* Starts or expires whatever the capacity queue lets go at now (sim.c). */
void sim_drain_capacity(struct sim_engine *e);

/* Puts the scenario's first event occurrences in the queue
 * (sim_timeline.c). */
void sim_timeline_schedule(struct sim_engine *e);

/* An occurrence of scenario event idx begins / ends at now: applies it to
 * the policy, rescales capacity, writes its events.csv row, schedules what
 * follows (sim_timeline.c). */
void sim_timeline_start(struct sim_engine *e, uint32_t idx);
void sim_timeline_end(struct sim_engine *e, uint32_t idx);

/* Gauges observed now, stored for interval k (sim_timeline.c). */
void sim_gauges_sample(struct sim_engine *e, size_t k);

/* End of interval k: samples its gauges, schedules the next sample. */
void sim_gauges_on_sample(struct sim_engine *e, size_t k);

#endif

/*
 * sim.h - the discrete-event simulator behind `tollgate sim`.
 *
 * sim_run() plays a scenario in virtual time: the scenario's request
 * stream (core/model/traffic) meets the policy model (core/model/policy), the
 * capacity rule (core/model/capacity) and the client model (core/model/client),
 * and every attempt and final outcome goes to a recorder (core/stats/record).
 * The same scenario and seed give the same events in the same order, so the
 * results are byte-identical from run to run.
 *
 * What happens to one attempt, at virtual time `now` (its intended send
 * time; in sim the send is never late):
 *   1. network: with probability policy.network.failure it fails
 *      client-side (outcome network, observed one rtt later);
 *   2. policy_decide(now): a denial comes back one rtt later;
 *   3. capacity: started / queued (queue_timeout: overloaded) / queue
 *      full (overloaded); service time = first_token + per_token x
 *      completion tokens; then server_error with its probability;
 *   4. the client observes the answer rtt after the server finished, or
 *      gives up at its timeout (outcome timeout; the server still does the
 *      work, releases its slot and calls policy_complete);
 *   5. the client retries retryable outcomes per core/model/client.h, honouring
 *      the decision's retry_after; the final outcome of the logical
 *      request is recorded once.
 * Latency is observed time minus the attempt's intended time (for a retry,
 * the time the retry was scheduled to be sent).
 *
 * End of the run (as `run` drains its in-flight requests): requests
 * start in [0, duration) only -- no arrival, closed-loop request or retry
 * is sent at or after the duration; a retryable outcome whose retry would
 * fall there is the request's final outcome.  Attempts still in flight at
 * the duration complete as they would have: the engine goes on past it
 * with their server completions, queue timeouts and client timeouts only
 * (scenario events and gauges stop at the duration), so each ends by its
 * answer or by its client's timeout, whichever comes first, and is
 * recorded at that time (the time series puts such times into its last
 * interval).  A client without a timeout waits for its answer; attempts
 * that nothing can ever answer (queued while no server serves, with
 * neither a queue nor a client timeout) end as timeout when the drain
 * runs out of events.  So in a complete run every logical request has
 * exactly one final outcome (finals == unique) and every attempt an
 * outcome (attempts == ok + denied, with attempts >= unique).  A run
 * stopped early (stop flag) does not drain: it records what completed.
 */
#ifndef TOLLGATE_SIM_H
#define TOLLGATE_SIM_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/base/err.h"
#include "core/stats/record.h"
#include "core/scenario/scenario.h"
#include "core/model/timeline.h"

/* Events processed between two looks at the stop flag and the tick. */
#define SIM_TICK_EVENTS 4096

/* Called every SIM_TICK_EVENTS events with the current virtual time
 * (progress display).  The recorder may be read, not written. */
typedef void sim_tick_fn(void *ctx, const struct rec *rec, int64_t now_ns);

struct sim_config {
    const struct scenario *sc;   /* borrowed; duration, policy, traffic */
    uint64_t seed;               /* the run's seed (scenario seed or --seed) */
    volatile sig_atomic_t *stop; /* non-NULL and set: stop early (Ctrl-C) */
    sim_tick_fn *tick;           /* NULL: none */
    void *tick_ctx;
};

struct sim_stats {
    int64_t end_ns;            /* virtual time covered */
    bool complete;             /* false when stopped early */
    uint64_t events;           /* engine events processed */
    int64_t attempts;          /* attempts completed (warm-up included) */
    int64_t unique;            /* logical requests generated */
    int64_t finals;            /* logical requests that ended (= unique in a
                                  complete run) */
    int64_t drain_ns;          /* virtual time past the duration the last
                                  in-flight attempt took to end */
    size_t peak_pending;       /* most events queued at once */
    size_t peak_slots;         /* most attempt records in use at once */
    size_t slot_bytes;         /* bytes of the attempt-record pool at the end */
    struct timeline_row *rows; /* event occurrences, in the order they
                                  began; owned (sim_stats_fini) */
    size_t n_rows;
    char *trace_report; /* populations replaying a trace: one line each,
                           "NAME: REPORT" (traffic_trace_report); NULL when
                           none; owned */
};

/*
 * A recorder configured for sc (duration, interval, warm-up, population
 * names).  Errors as rec_new (ERR_INVAL, ERR_TOOBIG).
 */
int sim_rec_new(const struct scenario *sc, struct rec **out) WARN_UNUSED;

/*
 * Runs cfg->sc with cfg->seed into rec (from sim_rec_new; recording adds
 * to what it holds), fills *stats (caller's storage; sim_stats_fini
 * afterwards, also on error) and calls rec_finish with the covered time.
 * Returns ERR_OK, or the policy's construction errors (ERR_INVAL,
 * ERR_RANGE) when the scenario's policy cannot be built, or ERR_INVAL for
 * a capacity block with negative values.  Stopping early is not an error:
 * stats->complete is false.
 */
int sim_run(const struct sim_config *cfg, struct rec *rec,
            struct sim_stats *stats) WARN_UNUSED;

/* The trace lines of stats->trace_report for the populations of sc
 * that replay a trace (sim_trace.c); NULL when none.  Heap string. */
struct traffic;
char *sim_trace_report(const struct traffic *t, const struct scenario *sc);

/* Releases stats->rows and trace_report; stats may be NULL. */
void sim_stats_fini(struct sim_stats *stats);

#endif

/*
 * record.h - the recorder: outcome counters, latency histograms and the
 * per-interval time series of one run (or one thread of one run).
 *
 * Times are int64 ns since the start of the run (virtual time in sim,
 * CLOCK_MONOTONIC minus start in run/serve).  Latency is completion minus
 * intended send time (coordinated-omission corrected); for live runs the
 * service time (completion minus actual send) and the schedule lag (actual
 * minus intended send) are kept too.
 *
 * Two levels are recorded (enum rec_level):
 *  - attempts, what the API sees: every try, retries included; latency is
 *    completion minus the attempt's intended send;
 *  - requests, what the callers see: one record per logical request when
 *    it ends (rec_request), with its final outcome (that of its last
 *    attempt, or how the load generator lost it), its number of attempts,
 *    and its end-to-end latency from the first intended send to the final
 *    answer, backoff and retry-after waits included.
 *
 * Two views are kept side by side:
 *  - summary accumulators (per population x outcome counters, histograms
 *    overall / ok / per outcome / per population, for both levels), which
 *    exclude warm-up: an attempt counts when it completes at or after
 *    warmup_ns; an offered request, and its final outcome, when it was
 *    first intended at or after it (so the final outcomes of the requests
 *    that ended add up to the offered ones);
 *  - the time series: per interval (interval_ns over duration_ns) offered,
 *    attempts by outcome, requests by final outcome counted in the
 *    interval in which they were first intended (so a chart lines them up
 *    with the events that caused them), latency histograms of the attempts
 *    and of the requests completed in the interval, and gauges.  It keeps
 * everything, warm-up included.  Times before 0 fall in the first interval,
 * times at or after duration_ns in the last one.
 *
 * Memory is fixed at rec_new() except for the per-interval histograms,
 * which are kept dense for the two most recent intervals and frozen into a
 * packed copy (non-zero buckets, varints) when recording moves on.
 * Nothing grows with the number of requests.  The hot path (rec_attempt)
 * is O(1) and does not allocate, except (a) once per interval, when the
 * first attempt of a new interval freezes an older one (O(occupied
 * buckets), a few allocations), and (b) when an attempt completes more than
 * one interval behind the newest one seen: it is then merged into the
 * frozen copy, still exactly, at a cost proportional to that interval's
 * non-zero buckets.  sim, run and serve complete in time order, so (b) is
 * rare; rec_late() counts it.
 *
 * A recorder is single-threaded.  loadgen gives each worker its own and
 * merges them after join; rec_merge() is exact (counts and bucket counts
 * add), so merged shards equal what one recorder would have recorded.
 */
#ifndef TOLLGATE_RECORD_H
#define TOLLGATE_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/base/err.h"
#include "core/stats/hist.h"
#include "core/base/reason.h"
#include "core/scenario/scenario.h"

/* The scenario's limits (scenario.h), which the validator checks with a
 * location; rec_new checks them again only to guard its own API. */
#define REC_MAX_INTERVALS SCN_MAX_INTERVALS
#define REC_MAX_POPS      SCN_MAX_POPS
#define REC_NAME_MAX      64 /* bytes in a population name, NUL included */

/* Gauges of the time series; the last value set in an interval is kept.
 * Unset gauges read as 0.  Merging adds them (shards and threads each own a
 * share of the accounts / connections). */
enum rec_gauge {
    REC_G_IN_FLIGHT = 0, /* requests sent and not yet completed */
    REC_G_QUEUE_LEN,     /* capacity queue length */
    REC_G_CREDIT_USD,    /* credit remaining, all accounts, dollars */
    REC_G_RL_REQUESTS,   /* rate-limit requests remaining (summed) */
    REC_G_RL_TOKENS,     /* rate-limit tokens remaining (summed) */
    REC_GAUGE_COUNT
};

/* The two levels of recording. */
enum rec_level {
    REC_ATTEMPT = 0, /* every attempt: what the API sees */
    REC_REQUEST,     /* every logical request: what its caller sees */
    REC_LEVELS
};

/* Column name of gauge g in timeseries.csv and histograms.tgh
 * ("in_flight", "queue_len", "credit_remaining_usd",
 * "rl_remaining_requests", "rl_remaining_tokens"). */
const char *rec_gauge_name(enum rec_gauge g);

struct rec_config {
    int64_t duration_ns; /* > 0: time covered by the series */
    int64_t interval_ns; /* > 0: series bucket width */
    int64_t warmup_ns;   /* >= 0: excluded from the summary accumulators */
    size_t n_pops;       /* >= 1 */
    const char *const *pop_names; /* n_pops names, copied (truncated to
                                     REC_NAME_MAX - 1); NULL: "pop<i>" */
    bool live; /* keep service-time and schedule-lag histograms (run) */
};

/*
 * Final outcomes that are not an answer: the load generator (run) lost the
 * request.  With them every logical request ends in exactly one final
 * outcome, so the final outcomes of a run add up to its unique requests
 * even when the generator fell behind.  sim and serve never lose one.
 */
enum rec_lost {
    REC_NOT_SENT = 0,        /* its first attempt, or a retry that was due,
                                was never sent: no connection came free
                                within its client timeout, or the run's
                                drain time ran out first */
    REC_ABANDONED_IN_FLIGHT, /* an attempt was sent and had no answer when
                                the run ended (drain time over, or
                                stopped) */
    REC_LOST_COUNT
};

/* Name of l in summary.json and histograms.tgh ("not_sent",
 * "abandoned_in_flight"); never a reason id. */
const char *rec_lost_name(enum rec_lost l);

/*
 * Why a request that got answers ended where it did (the client's side of
 * its final outcome): the last answer settled it (ok, or a reason the
 * client does not retry), the client's retry budget was spent on a
 * retryable reason, or its next retry would have come after the run's
 * end.  A planner reads the second as "callers gave up".
 */
enum rec_end {
    REC_END_ANSWER = 0, /* ok, or a reason that is not retried */
    REC_END_RETRIES,    /* retryable, but retry.max retries were made */
    REC_END_RUN_ENDED,  /* its next retry fell after the run's end */
    REC_END_COUNT
};

/* Name of e in summary.json and histograms.tgh ("answer",
 * "retries_exhausted", "run_ended"). */
const char *rec_end_name(enum rec_end e);

/* Counters of one interval (time series) or of one population (summary). */
struct rec_counts {
    int64_t offered;               /* unique requests intended here */
    int64_t outcome[REASON_COUNT]; /* attempts by outcome, [REASON_OK] = ok */
    int64_t final[REASON_COUNT];   /* logical requests by final outcome
                                      (an interval's: those first intended
                                      in it) */
    int64_t lost[REC_LOST_COUNT];  /* logical requests the generator lost,
                                      by enum rec_lost (like final) */
};

struct rec;

/*
 * Creates a recorder for cfg (copied).  Returns ERR_INVAL when a field is
 * out of its documented domain, ERR_TOOBIG when duration / interval exceeds
 * REC_MAX_INTERVALS or n_pops exceeds REC_MAX_POPS.  *out is owned by the
 * caller (rec_free).
 */
int rec_new(const struct rec_config *cfg, struct rec **out) WARN_UNUSED;

struct scenario;
/*
 * A recorder for a run of sc (record_scenario.c): its interval (or, when
 * it has none, one interval of duration_ns), warm-up and population names
 * (at least one population), over duration_ns (sc->duration_ns for sim
 * and serve, the run's length for run); live as in rec_config.  Errors as
 * rec_new.
 */
int rec_new_scenario(const struct scenario *sc, int64_t duration_ns, bool live,
                     struct rec **out) WARN_UNUSED;
/* Frees r; accepts NULL. */
void rec_free(struct rec *r);
/* Forgets everything recorded; keeps the configuration. */
void rec_reset(struct rec *r);

/* ---- hot path -------------------------------------------------------------
 * pop must be in [0, n_pops) and outcome in [0, REASON_COUNT) (asserted).
 */

/* A new logical request (not a retry) was generated for intended_ns. */
void rec_offered(struct rec *r, int pop, int64_t intended_ns);

/*
 * One attempt (first try or retry) completed at done_ns with outcome.
 * intended_ns is when it should have been sent (for a retry: when the retry
 * was scheduled), sent_ns when it was actually sent (= intended_ns in sim).
 * Returns false when a latency was outside the histogram range (negative
 * or above HIST_MAX_NS): the attempt is still counted, the value is not,
 * and rec_dropped() counts it.
 */
bool rec_attempt(struct rec *r, int pop, enum reason outcome,
                 int64_t intended_ns, int64_t sent_ns, int64_t done_ns);

/*
 * A logical request ended: outcome is that of its last attempt, after
 * attempts (>= 1) attempts, for the reason end; first_ns is when its first
 * attempt was intended, done_ns when its caller saw the final answer.  Its
 * end-to-end latency done_ns - first_ns includes every backoff and retry-after
 * wait. Returns false when that latency (or the attempt count) was outside the
 * histogram range: the request is still counted, the value is not, and
 * rec_dropped() counts it.
 */
bool rec_request(struct rec *r, int pop, enum reason outcome, enum rec_end end,
                 int attempts, int64_t first_ns, int64_t done_ns);

/* A logical request ended without an answer because the load generator
 * lost it (enum rec_lost) after attempts (>= 0) attempts: its final
 * outcome instead of rec_request's.  No latency is recorded (there was no
 * answer); counted like rec_request (warm-up by first_ns). */
void rec_request_lost(struct rec *r, int pop, enum rec_lost why, int attempts,
                      int64_t first_ns);

/* Sets gauge g for the interval containing t_ns (last value wins). */
void rec_gauge(struct rec *r, enum rec_gauge g, int64_t t_ns, double value);

/* A transport-level error (connect/reset/DNS/timeout) happened at t_ns. */
void rec_transport_error(struct rec *r, int64_t t_ns);

/* ---- end of recording -----------------------------------------------------
 */

/*
 * Marks the end of the covered time (end_ns, clamped to [0, duration_ns])
 * and whether the run covered its whole duration, and freezes the dense
 * interval histograms into their sparse form.  Recording after it is still
 * allowed.  A recorder that was never finished covers duration_ns and is
 * complete.
 */
void rec_finish(struct rec *r, int64_t end_ns, bool complete);

/*
 * Adds src into dst exactly: counters, histograms, per-interval series
 * (aligned by index), gauges (added), dropped/transport counters; end is
 * the later of the two, complete the AND.  Returns ERR_INVAL when the two
 * configurations differ (duration, interval, warm-up, populations by name
 * and order, live).
 */
int rec_merge(struct rec *dst, const struct rec *src) WARN_UNUSED;

/* ---- reading ------------------------------------------------------------- */

const struct rec_config *rec_config(const struct rec *r); /* names NULL */
size_t rec_n_pops(const struct rec *r);
const char *rec_pop_name(const struct rec *r, size_t pop);
size_t rec_n_intervals(const struct rec *r); /* ceil(duration/interval) */
/* Intervals that the covered time touches: ceil(end / interval), >= 1. */
size_t rec_n_covered(const struct rec *r);
int64_t rec_end_ns(const struct rec *r);
bool rec_complete(const struct rec *r);
/* Index of the interval holding t_ns (clamped as described above). */
size_t rec_interval_of(const struct rec *r, int64_t t_ns);

/* Summary accumulators (warm-up excluded) of population pop, or summed
 * over all populations when pop < 0. */
void rec_counts_get(const struct rec *r, int pop, struct rec_counts *out);

/* Summary latency histograms of level k (warm-up excluded), borrowed from
 * r, as the attempt-level functions below; for REC_REQUEST outcome is the
 * final outcome and the latency is end to end. */
const struct hist *rec_lvl_lat(const struct rec *r, enum rec_level k,
                               enum reason outcome);
const struct hist *rec_lvl_lat_all(const struct rec *r, enum rec_level k);
const struct hist *rec_lvl_pop_all(const struct rec *r, enum rec_level k,
                                   size_t pop);
const struct hist *rec_lvl_pop_ok(const struct rec *r, enum rec_level k,
                                  size_t pop);
/* Attempts per request (lost ones included), each recorded as k
 * microseconds (k ns * HIST_UNIT_NS): exact below 2048 attempts. */
const struct hist *rec_tries(const struct rec *r);

/* Attempt-level summary latency histograms (warm-up excluded), borrowed from r:
 * outcome REASON_OK..REASON_COUNT-1; rec_lat_all covers every outcome.
 * Attempts are staged per (population, outcome) and added into these
 * views when they are read (and by rec_finish / rec_merge), so a read
 * updates r's internal state although r is const: like every other call,
 * not concurrently with other calls on the same recorder. */
const struct hist *rec_lat(const struct rec *r, enum reason outcome);
const struct hist *rec_lat_all(const struct rec *r);
/* Per population: every outcome / ok only. */
const struct hist *rec_pop_lat_all(const struct rec *r, size_t pop);
const struct hist *rec_pop_lat_ok(const struct rec *r, size_t pop);
/* Live only (NULL otherwise): service time and schedule lag. */
const struct hist *rec_service(const struct rec *r);
const struct hist *rec_lag(const struct rec *r);

/* Requests (warm-up excluded, by first intended send) by why they ended
 * (enum rec_end); those lost by the generator are not among them. */
void rec_ends(const struct rec *r, int64_t out[REC_END_COUNT]);

int64_t rec_dropped(const struct rec *r);          /* out-of-range values */
int64_t rec_transport_errors(const struct rec *r); /* warm-up excluded */
int64_t rec_late(const struct rec *r); /* attempts recorded > 1 interval late */

/* Interval i (< rec_n_intervals): its counters (final[] and lost[]: the
 * requests first intended in it) ... */
void rec_interval_counts(const struct rec *r, size_t i, struct rec_counts *out);
/* ... its gauges (unset ones 0), set[] may be NULL ... */
void rec_interval_gauges(const struct rec *r, size_t i,
                         double out[REC_GAUGE_COUNT],
                         bool set[REC_GAUGE_COUNT]);
/* ... and adds its attempt latency histogram (all outcomes) into h, or
 * that of level k (requests: those completed in interval i). */
void rec_interval_lat_add(const struct rec *r, size_t i, struct hist *h);
void rec_interval_lvl_lat_add(const struct rec *r, enum rec_level k, size_t i,
                              struct hist *h);
/* The same histogram in sparse form into out (replacing its content), in
 * O(non-zero buckets) once the recorder is finished: what writers use. */
void rec_interval_lvl_lat_sparse(const struct rec *r, enum rec_level k,
                                 size_t i, struct hist_sparse *out);

/* Transport errors counted in interval i. */
int64_t rec_interval_transport_errors(const struct rec *r, size_t i);

/* Approximate heap bytes held by r (for memory tests and --verbose). */
size_t rec_bytes(const struct rec *r);

#endif

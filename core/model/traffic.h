/*
 * traffic.h - the request stream of a scenario, shared by sim and run.
 *
 * A scenario plus a seed define one sequence of requests: intended send
 * time, account, model, region, tokens and fault flags.  sim simulates it,
 * run sends it.  Open-loop populations draw their arrivals from one stream
 * per population (RNG_ARRIVALS, RNG_PICK keyed by population index), and
 * each request's attributes from the chosen account's own stream
 * (RNG_ATTRS / RNG_FAULTS keyed by account id).  A shard therefore
 * generates every population's arrivals, keeps those of its own accounts,
 * and sees exactly the requests the unsharded run gives those accounts.
 *
 * Closed-loop populations are driven by their users: the engine asks for
 * the attributes of the next request of a user with traffic_closed_req().
 *
 * Exact semantics (traffic.c implements them, tests/unit/test_traffic.c
 * checks them):
 * - Phases of a population run back to back from t = 0, each covering
 *   [start, start + for).  Within a phase the rate is
 *     r(t) = (from + (to - from) (t - start) / for) x (1 + A sin(2 pi t / P))
 *   where t is scenario time (not phase time), so a daily cycle continues
 *   across phases; A is clamped to [-1, 1] and P <= 0 means no diurnal
 *   term.  After the last phase, and from the scenario duration on, the
 *   population sends nothing.  Traffic events multiply r(t) by the
 *   factors in force at t (traffic_shape.h): the generator runs on the
 *   phases split and scaled by them.
 * - poisson: a nonhomogeneous Poisson process with exactly that rate
 *   (inversion of the integrated rate Lambda(t) with unit exponential
 *   increments, drawn by the exponential ziggurat of core/base/zig.h). uniform:
 * one arrival wherever Lambda(t) reaches an integer k = 0, 1, 2, ... (the first
 * one at the start of the first non-empty phase), so a phase whose integral is
 * an integer N holds exactly N arrivals, evenly spaced in Lambda.  Lambda runs
 * on across phase boundaries.
 * - skew: uniform over the population's accounts, or zipf(s) with rank r
 *   (0 = most frequent) mapped to account first_account + r (no
 *   permutation).  Up to 2^20 accounts zipf is drawn from an exact alias
 *   table, beyond that by rejection-inversion (struct zipf).
 * - Attributes, in draw order: from the account's RNG_ATTRS stream a
 *   model (one double against models.cum), a region (one double), prompt
 *   then completion tokens (the dists, rounded half up, clamped to
 *   [0, 2^62]; exp, normal and lognormal through the ziggurats of
 *   core/base/zig.h, the others as dist_sample); from its RNG_FAULTS stream
 *   invalid_key, violation, bad_request (one double each, true when below
 *   the fraction).  A draw whose outcome is certain is not taken: no model
 *   draw with fewer than two model weights, no region draw with fewer than
 *   two region weights, no fault draw for a fraction of 0 (never) or 1
 *   (always).  model is -1 when the population has no model weights;
 *   region 0 ("ZZ") when it has no region weights.
 * - Ids: open loop (pop << 51) | seq, seq counting every arrival of the
 *   population (foreign shards' included, so ids agree across shardings);
 *   closed loop (1 << 63) | (pop << 51) | (n x users + user), n counting
 *   that user's requests.  Unique while pop < 4096 and the low part stays
 *   below 2^51 (a week at 3.7 billion requests per second).
 */
#ifndef TOLLGATE_TRAFFIC_H
#define TOLLGATE_TRAFFIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/scenario/scenario.h"

struct traffic_req {
    int64_t t_ns;    /* intended send time since start */
    uint64_t id;     /* unique per request in the run (not per attempt) */
    int64_t account; /* global account id */
    int pop;         /* population index */
    int model;       /* policy model index */
    int region;      /* scenario region index */
    int64_t prompt_tokens;
    int64_t completion_tokens; /* max_tokens asked for */
    bool invalid_key;          /* sent with a wrong key */
    bool violation;            /* content gets flagged */
    bool bad_request;          /* malformed */
};

struct traffic;

/* A generator for sc (borrowed: it must outlive the generator) with the
 * given seed, producing the requests of accounts a with a % shard_n ==
 * shard_i (shard_n = 1: all). */
struct traffic *traffic_new(const struct scenario *sc, uint64_t seed,
                            int shard_i, int shard_n);
void traffic_free(struct traffic *t);

/* The next open-loop request in intended-time order, ties broken by
 * population index.  Returns false once every population is past the
 * scenario duration. */
bool traffic_next(struct traffic *t, struct traffic_req *out);

/* Closed loop: number of users of population pop (0 if open loop), and
 * the attributes of the next request of user u issued at t_ns (account
 * chosen per user deterministically). */
int64_t traffic_closed_users(const struct traffic *t, int pop);
void traffic_closed_req(struct traffic *t, int pop, int64_t user, int64_t t_ns,
                        struct traffic_req *out);

/* Think time of a closed-loop user (ns, the think dist rounded, >= 0,
 * sampled as the token dists are),
 * from that user's own stream: RNG_CLIENT keyed by
 * (1 << 63) | (pop << 48) | user, so it never meets a stream keyed by an
 * account id. */
int64_t traffic_think_ns(struct traffic *t, int pop, int64_t user);

/* The account user u of closed-loop population pop sends as:
 * first_account + u % count. */
int64_t traffic_closed_account(const struct traffic *t, int pop, int64_t user);

/* True when account belongs to this generator's shard
 * (account % shard_n == shard_i).  traffic_closed_req() may only be asked
 * for users whose account the shard owns. */
bool traffic_owns(const struct traffic *t, int64_t account);

/* The instantaneous open-loop rate of pop at t_ns (per second), with
 * ramps, diurnal shape and traffic events (x traffic_factor_at, see
 * traffic_shape.h): what the arrival process is modulated by. */
double traffic_rate_at(const struct scenario *sc, int pop, int64_t t_ns);

/*
 * Trace replay (traffic: { trace: }, core/model/trace.h): a one-line
 * account of population pop's trace into buf -- lines read, requests
 * replayed, lines skipped by reason with the first line of each, or why
 * the file could not be opened.  Returns false (buf untouched) when pop
 * does not replay a trace.  Engines print it after a run so that no line
 * is skipped unnoticed.
 */
bool traffic_trace_report(const struct traffic *t, int pop, char *buf,
                          size_t len);

struct trace_stats;
/* The numbers behind the report; false when pop has no open trace. */
bool traffic_trace_stats(const struct traffic *t, int pop,
                         struct trace_stats *out);

#endif

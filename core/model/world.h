/*
 * world.h - what a request meets, in any clock: the policy, the servers,
 * the scenario's timeline and the gauges, glued together once.
 *
 * sim drives a world in virtual time and serve with its monotonic clock;
 * both used to carry their own copy of this glue, and the copies drifted
 * (different gauge methods, different service-time samplers).  A world
 * owns the steps that must be the same in every engine:
 *   - an event occurrence begins or ends: the policy applies it, the
 *     timeline logs it and asks for what follows, and the servers are
 *     rescaled to the capacity the policy now leaves;
 *   - service time of an admitted request (ziggurat sampler);
 *   - end of service: the server is freed, server_error is drawn, and
 *     the policy completes the request (credit, spend, upgrades);
 *   - the time-series gauges, by one method: in-flight and queue length
 *     as the engine counts them, credit as the policy's running sum
 *     (exact), rate-limit headroom from the policy's fixed sample (exact
 *     up to POLICY_GAUGE_SAMPLE accounts, an estimate above; policy.h).
 * What stays with the engine: its clock and how it schedules (asked
 * through a timeline_at_fn), its attempt records, how it serves the
 * capacity queue (capacity_poll) after a change, and its recorder.
 *
 * Random draws: the service time and the server_error draw of an attempt
 * come from streams keyed by (seed, request id, attempt number), like the
 * client's retry jitter (client_retry_keyed): an attempt draws the same
 * numbers in sim and in serve driven by run, whatever other requests did
 * in between or in which order the engine asked.  Event timing comes from
 * the timeline's per-event streams.
 *
 * Threading: none; serve calls it under its model lock.
 */
#ifndef TOLLGATE_WORLD_H
#define TOLLGATE_WORLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/model/capacity.h"
#include "core/model/policy.h"
#include "core/stats/record.h"
#include "core/base/rng.h"
#include "core/scenario/scenario.h"
#include "core/model/timeline.h"
#include "core/base/zig.h"

/*
 * Who an attempt is, for its draws.  request is the traffic request id
 * (traffic_req.id, the same in sim and run); attempt counts sends of that
 * request from 1.  An engine that does not know the request (serve hit by
 * another client) makes up a key that no traffic request has:
 * WORLD_KEY_LOCAL set in request, its own counter below it, attempt 0.
 */
struct world_key {
    uint64_t request;
    uint32_t attempt;
};

/* The bit that marks a key an engine made up (traffic ids stay below). */
#define WORLD_KEY_LOCAL (UINT64_C(1) << 63)

/*
 * How run tells its embedded serve which attempt a request is: the header
 * WORLD_KEY_HEADER: <request>.<attempt>, both decimal (run sends it to
 * the embedded serve only, never to a --target).  A header rendered into
 * a buffer the handle keeps, rather than a query parameter: with a query
 * libcurl 7.88 formats the request path through its printf once more
 * (docs/performance.md has the measurements).
 */
#define WORLD_KEY_HEADER "x-tollgate-attempt"

/* Longest "<request>.<attempt>" with its NUL: 20 + 1 + 10 + 1. */
#define WORLD_KEY_TEXT_MAX 32

/* Writes k as "<request>.<attempt>" into buf (NUL-terminated); returns
 * the length.  len >= WORLD_KEY_TEXT_MAX always fits. */
size_t world_key_fmt(char *buf, size_t len, struct world_key k);

/* Parses "<request>.<attempt>" (decimal digits only, request below
 * WORLD_KEY_LOCAL, attempt at most UINT32_MAX, nothing after) into *k.
 * false on anything else (k is then unchanged). */
bool world_key_parse(const char *s, struct world_key *k);

struct world {
    const struct scenario *sc;   /* borrowed: must outlive the world */
    struct policy *pol;          /* owned */
    struct capacity cap;         /* the servers and their queue */
    struct timeline tl;          /* the event log; the engine schedules */
    struct zig zig;              /* tables of the service-time sampler */
    uint64_t seed;               /* the run's seed: keys every draw */
    bool has_credit;             /* some tier has credit: credit gauge */
    bool has_rl_req, has_rl_tok; /* some tier has such a limit */
};

/*
 * Builds w (caller's storage) for sc with the run's seed: the policy, the
 * capacity rule and a timeline ending at end_ns (INT64_MAX: open-ended)
 * that schedules through at(at_arg, ...).  Errors: those of policy_new
 * and capacity_init_policy (ERR_INVAL, ERR_RANGE); w is then finalised.
 */
int world_init(struct world *w, const struct scenario *sc, uint64_t seed,
               int64_t end_ns, timeline_at_fn *at, void *at_arg) WARN_UNUSED;

/* Frees what w owns; accepts NULL and a world whose init failed. */
void world_fini(struct world *w);

/*
 * An occurrence of event ev, due at due_ns, begins at now_ns: applied to
 * the policy, logged, what follows scheduled, capacity rescaled.  The
 * engine then serves its queue (the capacity may have grown or shrunk).
 */
void world_event_begin(struct world *w, uint32_t ev, int64_t due_ns,
                       int64_t now_ns);

/* An occurrence of ev, due to end at due_ns, ends at now_ns (the
 * counterpart of the above). */
void world_event_finish(struct world *w, uint32_t ev, int64_t due_ns,
                        int64_t now_ns);

/*
 * An event that arrives while the run goes on (serve's POST
 * /tollgate/events; one-off, no timing): added to the timeline, which owns
 * it and its allocated members from now on, and begun at now_ns.  *id
 * gets its event id.  ERR_TOOBIG when the timeline holds
 * TIMELINE_MAX_ADDED added events already (ev stays the caller's).
 */
int world_inject(struct world *w, const struct scn_event *ev, int64_t now_ns,
                 uint32_t *id) WARN_UNUSED;

/* Service time in ns of attempt k of a request for model (policy index)
 * asking for completion_tokens; 0 when the scenario has no such model.
 * Drawn from the stream (seed ^ attempt x golden ratio, request,
 * RNG_SERVICE): the same key gives the same time, whenever asked. */
int64_t world_service_ns(const struct world *w, int model,
                         int64_t completion_tokens, struct world_key k);

/* Whether attempt k ends as server_error: one uniform draw from the
 * stream (seed ^ attempt x golden ratio, request, RNG_FAULTS) against
 * policy.errors.server_error (no draw when that is 0). */
bool world_server_error(const struct world *w, struct world_key k);

/*
 * Ends the service of attempt k of an admitted request at now_ns: frees
 * its server when it holds one, draws server_error (world_server_error),
 * and completes the request with the policy (ticket from policy_decide).
 * Returns REASON_OK or REASON_SERVER_ERROR.
 */
enum reason world_end_service(struct world *w, const struct policy_req *rq,
                              const struct policy_ticket *t, bool holds_server,
                              int64_t now_ns, struct world_key k);

/*
 * Records the gauges observed at now_ns into the interval of rec that
 * holds t_ns: in_flight (the engine's count of attempts whose client
 * waits), the queue length, and -- when the scenario has them -- credit
 * remaining and rate-limit headroom.
 */
void world_gauges(const struct world *w, struct rec *rec, int64_t t_ns,
                  int64_t now_ns, int64_t in_flight);

#endif

/*
 * limiter.h - rate limiters as pure state machines that take now_ns.
 *
 * One struct lim_conf describes a limit (algorithm, amount per window,
 * burst, count_denied); one union lim_state holds the mutable state of that
 * limit for one scope key (an account, a source, or everybody).  Many
 * states share one conf.  No function reads a clock: the caller passes
 * now_ns (virtual time in sim, CLOCK_MONOTONIC in serve), which must not
 * decrease for a given state.  Nothing allocates per call except the
 * sliding-window log, which grows (doubling, amortised) up to a bound set
 * by the limit amount.
 *
 * A zero-filled lim_state is a fresh limiter (full bucket, empty windows),
 * so arrays of states can come from calloc.  States are 24 bytes.
 *
 * Algorithms (docs/policy-model.md "Algorithms", docs/validation.md):
 *   LIM_TOKEN_BUCKET    capacity burst, refilled continuously at
 *                       amount/per, starting full; exact integer
 *                       arithmetic, decisions identical to GCRA.
 *   LIM_LEAKY_BUCKET    nginx limit_req exactly: integer milliseconds,
 *                       excess in milli-units, rate = amount*1000/per_s
 *                       (integer division: 1r/m -> 16), burst*1000.
 *   LIM_FIXED_WINDOW    at most amount per aligned window [k*per,(k+1)*per).
 *   LIM_SLIDING_WINDOW  exact log: at most amount in (now-per, now].
 *   LIM_SLIDING_COUNTER Cloudflare estimate prev*(per-elapsed)/per + cur.
 * Costs: a request limit charges 1 per request, a token limit charges the
 * request's tokens; every algorithm accepts any cost >= 0.
 *
 * Concurrency limits (LIMIT_CONCURRENT) use lim_acquire/lim_release.
 */
#ifndef TOLLGATE_LIMITER_H
#define TOLLGATE_LIMITER_H

#include <stdbool.h>
#include <stdint.h>

#include "core/base/err.h"
#include "core/scenario/scenario.h"

/* The immutable description of one limit, derived from a struct
 * scn_limit by lim_conf_init.  Fields after the first block are derived;
 * treat the whole struct as read-only and rebuild it with lim_conf_init
 * to change a limit (set_limit events). */
struct lim_conf {
    enum lim_algo algo;
    enum limit_kind kind;
    int64_t amount;    /* requests/tokens per window; concurrent slots */
    int64_t per_ns;    /* window; 0 for LIMIT_CONCURRENT */
    int64_t burst;     /* token bucket capacity; leaky: nginx burst */
    bool count_denied; /* lim_check charges rejected requests too */

    /* derived */
    int64_t unit;     /* token bucket: state units per token */
    int64_t refill;   /* token bucket: state units refilled per ns */
    int64_t cap;      /* token bucket: burst * unit, saturated at
                         INT64_MAX (the code keeps it in 128 bits) */
    int64_t rate_ms;  /* leaky: nginx rate, milli-units per second */
    int64_t burst_ms; /* leaky: burst * 1000 */
    int64_t ms_max;   /* leaky: idle ms beyond which everything leaked */
    int64_t delay_ms; /* leaky with delays: nginx's delay threshold in
                         milli-requests (delay=N x 1000); -1: nodelay */
};

/* One entry of a sliding-window log (private layout, see limiter.c). */
struct lim_log;

/* The mutable state of one limit for one scope key.  All-zero is fresh.
 * Fields are private to limiter.c; they are named here only so callers
 * can embed states in arrays. */
union lim_state {
    struct {
        uint64_t deficit_lo; /* 128-bit count of units missing from a */
        int64_t deficit_hi;  /* full bucket; at most 2 * burst * unit */
        int64_t last_ns;     /* time the deficit was brought up to date */
    } tb;
    struct {
        int64_t excess;  /* nginx excess, milli-units */
        int64_t last_ms; /* nginx last, ms */
        int64_t used;    /* 0: no request yet (nginx node absent) */
    } lb;
    struct {
        int64_t window; /* index of the window count belongs to */
        int64_t count;
    } fw;
    struct {
        int64_t window; /* index of the current window */
        int64_t prev;   /* units in window-1 */
        int64_t cur;    /* units in window */
    } sc;
    struct {
        struct lim_log *log; /* NULL until the first charge */
        int64_t sum;         /* units in the log */
        uint32_t head;       /* oldest entry */
        uint32_t n;          /* entries */
    } sw;
    struct {
        int64_t in_flight; /* acquired and not yet released */
    } cc;
};

/* What one check says, and what rate-limit headers need.  Values are for
 * the state after the decision (after charging an allowed request). */
struct lim_result {
    bool allowed;
    bool too_large;         /* cost exceeds what the limit can ever admit */
    int64_t limit;          /* conf amount (x-ratelimit-limit-*) */
    int64_t remaining;      /* units that could still pass now, >= 0 */
    int64_t reset_ns;       /* until the limiter is back to its fresh
                               state (full bucket / empty window) */
    int64_t retry_after_ns; /* denied: until this cost would pass if
                               nothing else arrives (too_large: reset_ns);
                               allowed: 0 */
};

/*
 * Fills c from a scenario limit.  Returns ERR_INVAL when amount or burst
 * is negative or per_ns <= 0 for a rate limit, ERR_RANGE when amount or
 * burst exceeds 2^61 or the nginx rate amount*1000/per_s does.  Leaky bucket: a
 * per that is not a whole number of seconds is allowed; the nginx rate is then
 * amount * 1000 * 1e9 / per_ns (integer), raised to 1 when it would be 0.
 */
int lim_conf_init(struct lim_conf *c, const struct scn_limit *l) WARN_UNUSED;

/* Same from raw values (tests, set_limit).  kind LIMIT_CONCURRENT ignores
 * algo, per_ns and burst. */
int lim_conf_make(struct lim_conf *c, enum lim_algo algo, enum limit_kind kind,
                  int64_t amount, int64_t per_ns, int64_t burst,
                  bool count_denied) WARN_UNUSED;

/* A fresh state (same as zero-filling it). */
void lim_state_init(union lim_state *s);

/* Releases what a state owns (the sliding-window log) and makes it fresh.
 * Must be called for LIM_SLIDING_WINDOW states before they are dropped;
 * harmless for the others.  a is the algorithm the state was used with. */
void lim_state_fini(union lim_state *s, enum lim_algo a);

/* Carries s, kept under conf `from`, over to conf `to` (same algorithm
 * and kind, another amount or burst: a set_limit event) as of now_ns.
 * Token bucket: the deficit is refilled under `from` up to now_ns, then
 * converted to `to`'s units (rounded up) and capped at twice its
 * capacity; the other algorithms keep their state as is. */
void lim_state_rescale(const struct lim_conf *from, const struct lim_conf *to,
                       union lim_state *s, int64_t now_ns);

/*
 * Two-phase form of lim_check for callers that must ask several limits
 * before charging any (policy.c): lim_try decides like lim_check and,
 * when the request passes, writes to *next the state s would have after
 * charging it, leaving s alone.  lim_commit(c, s, next, cost, now_ns)
 * then installs it (s must not have changed in between).  For
 * LIM_SLIDING_WINDOW, whose log cannot be copied, *next is unused and
 * lim_commit charges s directly.  The token bucket computes its refill
 * once for both phases.
 */
bool lim_try(const struct lim_conf *c, const union lim_state *s, int64_t cost,
             int64_t now_ns, union lim_state *next, int64_t *retry_after_ns);

/*
 * Whether a request of cost units exceeds what c can ever admit, whatever
 * its state: more than a token bucket's burst, more than a window's
 * amount, a concurrency limit of 0.  Retrying such a request cannot help.
 * A leaky bucket (nginx) is never too large: a fresh or long-idle key
 * admits any cost (nginx starts a node with excess 0).
 */
bool lim_too_large(const struct lim_conf *c, int64_t cost);

/*
 * How long nginx limit_req without nodelay holds a request it admitted
 * before serving it, from the state after the admission: 0 unless c is a
 * leaky bucket with delays (scn_limit.delays) and the new excess is above
 * delay=N; then (excess - N x 1000) x 1000 / rate milliseconds, nginx's
 * integer arithmetic (ngx_http_limit_req_account), in ns.
 */
int64_t lim_delay_ns(const struct lim_conf *c, const union lim_state *after);
void lim_commit(const struct lim_conf *c, union lim_state *s,
                const union lim_state *next, int64_t cost, int64_t now_ns);

/*
 * Would a request of cost units pass at now_ns?  Fills out (values as if
 * the request were charged when it is allowed) and changes nothing.
 */
bool lim_peek(const struct lim_conf *c, const union lim_state *s, int64_t cost,
              int64_t now_ns, struct lim_result *out);

/*
 * Charges cost units at now_ns whether or not they fit: used for accepted
 * requests, and for rejected ones when the limit counts them
 * (count_denied).  Debt is bounded: a token bucket's deficit stops at
 * twice its capacity, a leaky bucket's excess at 2*burst_ms + 1000*cost,
 * and a full sliding-window log merges further denied charges into its
 * newest entry.  Leaky bucket: a charge that would be rejected updates
 * state only through this function (nginx itself never does).
 */
void lim_charge(const struct lim_conf *c, union lim_state *s, int64_t cost,
                int64_t now_ns);

/*
 * One complete check: lim_peek, then charge when allowed, or when denied
 * and c->count_denied.  Returns out->allowed (out may be NULL).
 */
bool lim_check(const struct lim_conf *c, union lim_state *s, int64_t cost,
               int64_t now_ns, struct lim_result *out);

/* Concurrency: takes a slot when fewer than c->amount are in flight.
 * Returns false (and changes nothing) when all slots are taken. */
bool lim_acquire(const struct lim_conf *c, union lim_state *s);

/* Gives back a slot taken by lim_acquire (never goes below 0). */
void lim_release(union lim_state *s);

/* Units available now without changing the state (the time-series gauge
 * rl_remaining_*): lim_peek's remaining for a zero-cost request. */
int64_t lim_remaining(const struct lim_conf *c, const union lim_state *s,
                      int64_t now_ns);

#endif

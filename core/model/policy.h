/*
 * policy.h - the access-policy model: request + state + now_ns -> ok or
 * exactly one denial reason.
 *
 * struct policy holds the mutable state of every account (tier, credit,
 * spend, inactivity clock, ban/suspension/billing/key flags, moderation
 * strikes, abuse counter, per-model permissions, limiter states) and the
 * global state (blocked regions, suspended models, active outage /
 * maintenance / upgrade, source lockouts, set_limit overrides).  It is
 * built from an immutable struct scenario and changed only through the
 * calls below, each of which takes the current time as now_ns: sim passes
 * virtual time, serve passes CLOCK_MONOTONIC minus its start, so both run
 * the same decisions.  Times are ns since scenario start; accounts were
 * created (and last used) at -idle_for of their population.
 *
 * Evaluation order (first failing check wins; docs/policy-model.md):
 *   [network: caller] -> unauthorized_lockout -> region_blocked ->
 *   invalid_key -> revoked_key -> account_banned -> account_suspended ->
 *   account_inactive -> billing -> permission_revoked -> feature_suspended
 *   -> maintenance -> upgrade -> outage -> abuse_throttle ->
 *   rate_limit / token_limit / concurrency_limit (tier's limits in listed
 *   order) -> free_tier_exhausted / credits_exhausted -> usage_cap ->
 *   policy_violation -> bad_request -> ok
 *   [then overloaded, server_error, timeout: caller]
 *
 * Threading: a struct policy is not thread-safe; one thread (the sim
 * engine, or serve's policy thread / lock) calls into it.  No call
 * allocates per decision; policy_new allocates per-account arrays once
 * (accounts are initialised lazily on first touch).
 */
#ifndef TOLLGATE_POLICY_H
#define TOLLGATE_POLICY_H

#include <stdbool.h>
#include <stdint.h>

#include "core/model/limiter.h"
#include "core/base/reason.h"
#include "core/scenario/scenario.h"

/* retry_after_ns given for concurrency_limit, where no release time is
 * known: 1 s. */
#define POLICY_CONCURRENCY_RETRY_NS 1000000000LL

/* Most limits one tier may have (scenario validation keeps tiers below;
 * policy_new refuses more). */
#define POLICY_MAX_LIMITS SCN_MAX_LIMITS

struct policy;

/* One request as the policy sees it (a traffic_req minus timing). */
struct policy_req {
    int64_t account; /* global account id, 0 <= account < n_accounts; an
                        id outside that range (e.g. -1 for a key serve
                        does not know) is decided invalid_key */
    int pop;         /* population of the account (scn_pop_of_account) */
    int model;       /* policy model index */
    int region;      /* scenario region index (0 = ZZ) */
    int64_t source;  /* lockout / scope:source key; callers without a
                        notion of source pass the account id */
    int64_t prompt_tokens;
    int64_t completion_tokens; /* max_tokens asked for */
    bool invalid_key;          /* sent with a wrong key */
    bool violation;            /* content gets flagged by moderation */
    bool bad_request;          /* malformed */
    bool want_headers;         /* fill decision.req / .tok (serve); sim
                                  leaves it false to save time */
};

/* x-ratelimit-{limit,remaining,reset}-{requests,tokens} of one limit. */
struct policy_hdr {
    bool present;      /* the tier has such a limit */
    int64_t limit;     /* x-ratelimit-limit-* */
    int64_t remaining; /* x-ratelimit-remaining-* */
    int64_t reset_ns;  /* x-ratelimit-reset-* (format as "6m0s") */
};

/*
 * What policy_complete needs of an admitted request, and nothing else: 12
 * bytes an engine keeps in its per-attempt record between the decision
 * and the end of service.  Engines copy it whole and never look inside;
 * the fields are public only so that it can live in their storage.
 */
struct policy_ticket {
    int32_t tier;       /* tier the request was admitted in; -1: not
                           admitted (policy_complete does nothing) */
    uint32_t held_mask; /* bit i: concurrency slot of limit i taken */
    uint32_t epoch;     /* the account's tier epoch when taken: slots of
                           an older epoch lapse instead of being released */
};

struct policy_decision {
    enum reason reason;          /* REASON_OK or the first failing check */
    int tier;                    /* the account's tier at decision time (-1:
                                    unknown account) */
    int limit;                   /* rate/token/concurrency denial: index of the
                                    denying limit in the tier; else -1 */
    int64_t retry_after_ns;      /* retryable reasons: suggested wait (0: no
                                    hint, e.g. a permanent outage); else 0 */
    bool too_large;              /* the denying limit can never admit this
                                    request (lim_too_large): retrying
                                    cannot help; retry_after_ns is 0 */
    int64_t requested;           /* limit denials: what the request asked
                                    of that limit (tokens, or 1) */
    int64_t delay_ns;            /* admitted: how long a limit holds it
                                    before service (nginx limit_req
                                    without nodelay, lim_delay_ns; the
                                    longest of its limits); else 0 */
    struct policy_hdr req;       /* the tier's first request limit */
    struct policy_hdr tok;       /* the tier's first token limit */
    struct policy_ticket ticket; /* hand to policy_complete */
};

/*
 * A policy for sc (borrowed: it must outlive the policy) and seed (the
 * run's seed: event account selection and partial-outage draws derive
 * from it).  Returns ERR_INVAL when a tier has more than
 * POLICY_MAX_LIMITS limits or a limit cannot be built (lim_conf_init's
 * errors, ERR_RANGE).  *out is owned by the caller (policy_free).
 */
int policy_new(const struct scenario *sc, uint64_t seed,
               struct policy **out) WARN_UNUSED;

/* Frees p and everything it owns; accepts NULL. */
void policy_free(struct policy *p);

/*
 * Decides rq at now_ns.  Returns out->reason.  Charges the limits that
 * count it (on OK all of the tier's limits; on a denial at or after the
 * limits stage, only count_denied limits), records lockout failures,
 * moderation strikes and abuse counts, and on OK takes concurrency slots
 * and marks the account used.  Never charges credit.
 *
 * Every decision with reason REASON_OK must be followed by exactly one
 * policy_complete() with the same rq and the decision's ticket, whatever
 * the request's final outcome (ok, overloaded, server_error, timeout...).
 * A denial's ticket is inert: completing it does nothing.
 */
enum reason policy_decide(struct policy *p, const struct policy_req *rq,
                          int64_t now_ns, struct policy_decision *out);

/*
 * Ends a request that policy_decide admitted, given its decision's ticket
 * t.  Releases its concurrency slots (an inert ticket does nothing).
 * When final_outcome is
 * REASON_OK, charges prompt_tokens * input price + completion_tokens_used
 * * output price (pico-dollars, exact), grant first, then prepaid; adds
 * it to the monthly (30-day months from account creation) and cumulative
 * spend; and applies automatic tier upgrades (docs/policy-model.md).
 */
void policy_complete(struct policy *p, const struct policy_req *rq,
                     const struct policy_ticket *t, int64_t now_ns,
                     enum reason final_outcome, int64_t completion_tokens_used);

/*
 * A hint: account's state (its record and limiter states) will be read
 * soon, by policy_decide or policy_complete; start loading it into the
 * cache now.  Changes nothing; an account outside [0, n_accounts) is
 * ignored.  The engine calls it an event ahead, which hides the cache
 * misses that otherwise dominate a decision over many accounts.
 */
void policy_prefetch(const struct policy *p, int64_t account);

/* ---- events ---------------------------------------------------------- */

/*
 * Applies the start of an occurrence of event ev (read during the call
 * only) at now_ns.  id names the event for the policy: the scenario's
 * events are 0..n_events-1, events added at run time (core/model/timeline)
 * follow.  It seeds which accounts a fraction selects: account a is
 * selected by a hash of (seed, id, occurrence, a), so the choice is
 * reproducible and independent of request order.  The occurrence number
 * counts the starts of that event so far.  Kinds with a duration (outage,
 * maintenance, upgrade, suspend, suspend_feature) last ev->for_ns from now_ns
 * whether or not policy_event_end is called; for_ns 0 means until
 * policy_event_end.
 */
void policy_event_start(struct policy *p, const struct scn_event *ev,
                        uint32_t id, int64_t now_ns);

/*
 * Undoes an occurrence of ev: ends the oldest still active outage /
 * maintenance / upgrade occurrence of ev, or a feature suspension; lifts
 * an event's ban, suspension, key revocation, billing failure or
 * permission revocation from the accounts the latest occurrence selected
 * (moderation bans stay); unblocks regions a block_region blocked (blocks
 * them again for unblock_region); restores a set_limit's amount.
 * Harmless when nothing is active.
 */
void policy_event_end(struct policy *p, const struct scn_event *ev, uint32_t id,
                      int64_t now_ns);

/* ---- capacity coupling ------------------------------------------------- */

/* Fraction of capacity the active outage/upgrade/maintenance leaves at
 * now_ns: product over active kinds of the lowest capacity of that kind
 * (maintenance and a full outage give 0); 1 when none is active. */
double policy_capacity_factor(const struct policy *p, int64_t now_ns);

/* ---- introspection (serve /tollgate/state, time series) ---------------- */

struct policy_account_info {
    int tier;
    int64_t credit_pusd;  /* usable grant (0 once expired) + prepaid */
    int64_t grant_pusd;   /* grant balance (expired grants count 0) */
    int64_t prepaid_pusd; /* may be < 0 after the last request's overdraw */
    int64_t spend_month_pusd;
    int64_t spend_total_pusd;
    int64_t in_flight;
    bool banned, suspended, inactive, billing_failed, key_revoked;
    uint32_t strikes; /* moderation strikes inside the window */
};

/* State of one account at now_ns (does not change it). */
void policy_account(const struct policy *p, int64_t account, int64_t now_ns,
                    struct policy_account_info *out);

struct policy_totals {
    int64_t credit_pusd;     /* sum of credit_pusd over all accounts
                                with credit (unlimited ones add 0) */
    int64_t accounts_banned; /* ban or event ban */
    int64_t accounts_suspended;
    int64_t accounts_inactive;
    int64_t accounts_billing;
    int64_t accounts_revoked; /* key revoked */
    int64_t sources_locked;
    int64_t in_flight;
};

/* Totals over every account at now_ns.  O(accounts): meant for once per
 * interval, not per request. */
void policy_totals(const struct policy *p, int64_t now_ns,
                   struct policy_totals *out);

/* Remaining units of the account's first request limit (kind
 * LIMIT_REQUESTS) or first token limit (LIMIT_TOKENS) at now_ns, or -1
 * when its tier has none.  Gauges rl_remaining_requests/_tokens. */
int64_t policy_limit_remaining(const struct policy *p, int64_t account,
                               enum limit_kind kind, int64_t now_ns);

/* Sum over all accounts of policy_limit_remaining (accounts whose tier
 * lacks the limit add nothing).  O(accounts). */
int64_t policy_limit_remaining_total(const struct policy *p,
                                     enum limit_kind kind, int64_t now_ns);

/*
 * Usable credit summed over every account whose tier has credit, at
 * now_ns: policy_totals' credit_pusd (saturated to the int64 range), but
 * kept up to date as balances change, so that reading it costs
 * O(grant cohorts) -- one per population, plus one per upgrade time into
 * a tier with an expiring grant -- instead of O(accounts).  The time
 * series' credit_remaining_usd.
 */
int64_t policy_credit_total(const struct policy *p, int64_t now_ns);

/* Accounts policy_limit_remaining_sampled looks at, at most (plus one per
 * population when there are more populations than this). */
#define POLICY_GAUGE_SAMPLE 1024

/*
 * policy_limit_remaining_total, exactly, when the scenario has at most
 * POLICY_GAUGE_SAMPLE accounts; above that an estimate of it from a fixed
 * sample: each population contributes floor(POLICY_GAUGE_SAMPLE x its
 * share of the accounts) of its accounts (at least 1), evenly spaced over
 * its ids (the middle of equal slices), each weighted by count / sampled;
 * a tier's global limit is counted once.  The same accounts every call, so
 * consecutive samples differ only by what happened to them.  Cost
 * O(POLICY_GAUGE_SAMPLE) whatever the number of accounts.  The time
 * series' rl_remaining_requests / _tokens.
 */
double policy_limit_remaining_sampled(const struct policy *p,
                                      enum limit_kind kind, int64_t now_ns);

/* The tier and limit configuration currently in force for (tier, limit
 * index), set_limit overrides included; NULL when out of range. */
const struct lim_conf *policy_limit_conf(const struct policy *p, int tier,
                                         int limit);

/* Whether region is blocked now (config or events). */
bool policy_region_blocked(const struct policy *p, int region);

#endif

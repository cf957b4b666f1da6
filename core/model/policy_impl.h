/*
 * policy_impl.h - private layout of struct policy, shared by policy.c
 * (construction, decide, complete, credit) and policy_events.c (events and
 * introspection).  Not part of the public API: only those two files
 * include it.
 */
#ifndef TOLLGATE_POLICY_IMPL_H
#define TOLLGATE_POLICY_IMPL_H

#include <assert.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/model/limiter.h"
#include "core/model/policy.h"
#include "core/base/rng.h"
#include "core/scenario/scenario.h"

#define POLICY_NEVER     INT64_MAX
#define POLICY_MONTH_NS  (30LL * 86400 * 1000000000LL)
#define POLICY_LOCK_SLOT (-1) /* smap slot of a source's lockout record */

/* Account flags. */
#define ACCT_LIVE        (1u << 0) /* initialised from its population */
#define ACCT_BANNED      (1u << 1) /* moderation ban (permanent) */
#define ACCT_EV_BANNED   (1u << 2) /* ban event */
#define ACCT_EV_SUSP     (1u << 3) /* suspend event without a duration */
#define ACCT_BILLING     (1u << 4) /* billing failure event */
#define ACCT_KEY_REVOKED (1u << 5) /* revoke_keys event */

/* Mutable state of one account (128 bytes). */
struct acct {
    uint32_t flags;
    int32_t tier;
    uint32_t epoch;       /* tier changes; older concurrency slots lapse */
    uint32_t draws;       /* partial-outage draws taken so far */
    uint32_t strike_slot; /* 0: no strikes yet; else slab slot + 1 */
    uint32_t key_gen;     /* revoke_keys events applied */
    int64_t created_ns;   /* -idle_for of the population */
    int64_t last_used_ns; /* last OK decision (inactivity clock) */
    int64_t mod_susp_until_ns;
    int64_t ev_susp_until_ns;
    int64_t grant_pusd;       /* remaining grant */
    int64_t grant_expires_ns; /* POLICY_NEVER: never */
    int64_t prepaid_pusd;     /* may go < 0 by the last request's cost */
    int64_t month_end_ns;     /* end of the 30-day month month_spend is for
                                 (0: none yet); the month starts 30 d before */
    int64_t month_spend_pusd;
    int64_t spend_pusd; /* cumulative */
    int64_t abuse_window;
    int64_t abuse_count;
    int64_t abuse_until_ns;
};

/* Per tier, derived once. */
struct tier_rt {
    int n_limits;
    int req_limit;          /* first LIMIT_REQUESTS limit, -1: none */
    int tok_limit;          /* first LIMIT_TOKENS limit, -1: none */
    int64_t abuse_max;      /* requests per abuse window above which the
                               account is throttled; -1: no abuse check */
    bool has_credit;        /* scn_tier.has_credit */
    bool has_credit_or_cap; /* a credit check or a usage cap to check */
    uint32_t cd_mask;       /* limits with count_denied */
    uint32_t conc_mask;     /* LIMIT_CONCURRENT limits */
    uint32_t shared_mask;   /* scope global or source (not per account) */
    uint8_t scope[POLICY_MAX_LIMITS]; /* enum limit_scope of each limit */
};

/* An active outage / maintenance / upgrade occurrence. */
struct active_ev {
    int ev;          /* scenario event index */
    int kind;        /* EV_OUTAGE, EV_MAINTENANCE or EV_UPGRADE */
    double capacity; /* fraction left; 0 denies everything */
    int64_t until_ns;
};

/* An entry of the source map: lockout record (slot POLICY_LOCK_SLOT) or
 * the state of a scope: source limit (slot = tier * L + limit). */
struct smap_entry {
    int64_t src;
    int32_t slot;
    uint32_t used;
    union {
        struct {
            int64_t window_start_ns;
            int64_t fails;
            int64_t locked_until_ns;
        } lock;
        union lim_state st;
    } v;
};

struct smap {
    struct smap_entry *e;
    size_t cap; /* power of two, 0 before the first insert */
    size_t n;
};

/* GCC and clang provide 128-bit integers; __extension__ keeps -Wpedantic
 * quiet.  Credit sums over many accounts can pass 2^63 pico-dollars. */
__extension__ typedef __int128 policy_i128;

/* Grant balance of the accounts on credit tiers whose grant expires at
 * expires_ns (a cohort: the accounts of a population start in one, each
 * upgrade into a granting tier opens one at its own time). */
struct grant_cohort {
    int64_t expires_ns; /* COHORT_EMPTY: unused slot */
    policy_i128 sum_pusd;
};

#define COHORT_EMPTY INT64_MIN

/*
 * The credit gauge kept as it changes, so that reading it costs nothing
 * per account: over every account (initialised or not) whose tier has
 * credit, prepaid_pusd sums the prepaid balances and the cohorts the grant
 * balances by expiry.  Usable credit at t is prepaid_pusd plus never_pusd
 * plus the cohorts with expires_ns > t (policy_credit_of summed).  Cohorts
 * are never removed: there is one per population plus one per upgrade time
 * into a tier with an expiring grant.
 */
struct credit_sums {
    policy_i128 prepaid_pusd;
    policy_i128 never_pusd; /* grants that never expire (no map lookup) */
    struct grant_cohort *v; /* open addressing on expires_ns */
    size_t cap;             /* power of two, 0 before the first cohort */
    size_t n;
    size_t last; /* slot of the cohort used last: charges repeat it */
};

struct policy {
    const struct scenario *sc; /* borrowed */
    uint64_t seed;
    int64_t n_accounts;
    int L; /* stride: most limits of any tier */

    struct acct *acct;       /* n_accounts, calloc'd, lazily initialised */
    union lim_state *states; /* n_accounts * L: scope account/key */
    union lim_state *global; /* n_tiers * L: scope global */
    struct lim_conf *conf;   /* n_tiers * L: in force (set_limit) */
    struct tier_rt *tiers;   /* n_tiers */
    bool has_sw;             /* some limit is a sliding log */

    int64_t *strikes; /* slab: slots of (1 + strike_k) int64 */
    size_t strike_k, strike_n, strike_cap;

    uint64_t *perm; /* n_accounts * perm_words revoked-model bits;
                       NULL until the first revoke_permission */
    size_t perm_words;

    uint64_t *blocked; /* region bitmap */
    size_t region_words;
    int64_t *model_until_ns; /* feature suspended until; 0: not */
    bool any_model_suspended;

    struct active_ev *active;
    size_t n_active, cap_active;

    uint32_t *ev_occ; /* starts per event id (scenario's, then run-time) */
    size_t n_ev_occ;  /* its length; grows for run-time events */

    struct smap src;
    size_t n_locks; /* lockout records ever created */
    bool has_src_limits;

    struct credit_sums credit; /* policy_credit_total */
};

/* Fills the record of an account never touched before from its
 * population (pop may be -1 to look it up): policy_acct's slow path. */
void policy_acct_init(struct policy *p, int64_t account, int pop);

/* Initialised account (lazy init through its population; pop may be -1
 * to look it up).  Inline: every decision and completion asks. */
static inline struct acct *policy_acct(struct policy *p, int64_t account,
                                       int pop)
{
    assert(account >= 0 && account < p->n_accounts);
    struct acct *a = &p->acct[account];
    if (!(a->flags & ACCT_LIVE))
        policy_acct_init(p, account, pop);
    return a;
}

/* An account as it is or would be once initialised, without changing p:
 * returns the live record or fills *tmp. */
const struct acct *policy_acct_view(const struct policy *p, int64_t account,
                                    struct acct *tmp);

/* Moves the account to tier t: fresh limiter states, new epoch, the new
 * tier's credit added (docs/policy-model.md). */
void policy_set_tier(struct policy *p, int64_t account, int t, int64_t now_ns);

/* Starts the credit sums from every account's initial state
 * (policy_new). */
void policy_credit_sums_init(struct policy *p);

/* Adds (sign +1) or removes (-1) account a's balances to / from the
 * credit sums; a no-op when its tier has no credit. */
void policy_credit_sums_add(struct policy *p, const struct acct *a, int sign);

/* Adds delta_pusd to the grant cohort expiring at expires_ns. */
void policy_cohort_add(struct policy *p, int64_t expires_ns,
                       policy_i128 delta_pusd);

/* Spend in the 30-day month (from account creation) holding now_ns. */
static inline int64_t policy_month_spend(const struct acct *a, int64_t now_ns)
{
    bool same =
        now_ns < a->month_end_ns && now_ns >= a->month_end_ns - POLICY_MONTH_NS;
    return same ? a->month_spend_pusd : 0;
}

/* Usable credit now: unexpired grant + prepaid. */
static inline int64_t policy_credit_of(const struct acct *a, int64_t now_ns)
{
    int64_t g = now_ns < a->grant_expires_ns ? a->grant_pusd : 0;
    return g + a->prepaid_pusd;
}

/* A flagged request: one strike at now_ns; suspend_after strikes in the
 * window suspend for suspend_for, ban_after ban (no-op without a
 * moderation block). */
void policy_strike(struct policy *p, struct acct *a, int64_t now_ns);

/* Moderation strikes of a within (now - window, now]. */
uint32_t policy_strikes_in_window(const struct policy *p, const struct acct *a,
                                  int64_t now_ns);

/* Source map lookups: find returns NULL when absent; get inserts a zeroed
 * entry (invalidating earlier pointers into the map). */
struct smap_entry *policy_smap_find(const struct smap *m, int64_t src,
                                    int32_t slot);
struct smap_entry *policy_smap_get(struct smap *m, int64_t src, int32_t slot);

#endif

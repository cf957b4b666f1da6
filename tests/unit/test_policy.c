/*
 * test_policy.c - the decision pipeline: one row per denial reason the
 * policy decides, triggered and not triggered just below its threshold;
 * evaluation-order rows (two failing checks, the earlier wins); exact
 * credit arithmetic in pico-dollars; tier upgrades; moderation suspend
 * then ban; lockout; events start/end; headers; determinism.
 *
 * The scenario is built in C (not parsed) so these tests depend on the
 * policy alone.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/model/policy.h"

#define MS   1000000LL
#define SEC  1000000000LL
#define MIN  (60 * SEC)
#define HOUR (60 * MIN)
#define DAY  (24 * HOUR)
#define USD  1000000000000LL /* pico-dollars */

/* ---- the scenario -------------------------------------------------------- */

enum { R_ZZ, R_US, R_CN, R_BR, N_REGIONS };
enum { M_MINI, M_LARGE, M_UNIT, N_MODELS };
enum { T_FREE, T_TRIAL, T_PAID, T_PREPAID, T_TOP, N_TIERS };
enum {
    P_HOBBY, /* free: rpm 3, tpm 40000, parallel 2, grant $5 / 90 d */
    P_TRIAL, /* trial: grant $1, upgrades to paid at $1 */
    P_START, /* paid: prepaid $10, cap $4 a month, upgrades at $3 after 7 d */
    P_PAYER, /* prepaid: $2, nothing else */
    P_OLD,   /* top, idle 200 d (inactivity 180 d) */
    P_NEAR,  /* top, idle 179 d */
    P_TOP,   /* top: no limits, no credit */
    N_POPS
};
enum {
    E_BAN,
    E_SUSPEND,
    E_REVOKE_KEYS,
    E_BLOCK_BR,
    E_UNBLOCK_CN,
    E_SUSPEND_LARGE,
    E_REVOKE_LARGE,
    E_BILLING,
    E_SET_RPM,
    E_OUTAGE,
    E_OUTAGE_HALF,
    E_MAINT,
    E_UPGRADE,
    E_BAN_HALF_TOP,
    E_SUSPEND_FOREVER,
    N_EVENTS
};

static const int64_t pop_count[N_POPS] = { 10, 10, 10, 10, 2, 2, 1000 };
static const int pop_tier[N_POPS] = { T_FREE, T_TRIAL, T_PAID, T_PREPAID,
                                      T_TOP,  T_TOP,   T_TOP };
static const int64_t pop_idle[N_POPS] = { 0, 0, 0, 0, 200 * DAY, 179 * DAY, 0 };

static struct scn_limit free_limits[3];
static struct scn_tier tiers[N_TIERS];
static struct scn_model models[N_MODELS];
static struct scn_population pops[N_POPS];
static struct scn_event events[N_EVENTS];
static char regions[N_REGIONS][SCN_MAX_NAME] = { "ZZ", "US", "CN", "BR" };
static int blocked[] = { R_CN };
static int region_br[] = { R_BR }, region_cn[] = { R_CN };
static struct scenario sc;

static struct scn_limit limit(const char *name, enum limit_kind k,
                              int64_t amount, int64_t per)
{
    struct scn_limit l;
    memset(&l, 0, sizeof(l));
    strcpy(l.name, name);
    l.kind = k;
    l.algorithm = LIM_TOKEN_BUCKET;
    l.amount = amount;
    l.per_ns = per;
    l.burst = amount;
    return l;
}

static void build_tiers(void)
{
    free_limits[0] = limit("rpm", LIMIT_REQUESTS, 3, MIN);
    free_limits[1] = limit("tpm", LIMIT_TOKENS, 40000, MIN);
    free_limits[2] = limit("parallel", LIMIT_CONCURRENT, 2, 0);
    memset(tiers, 0, sizeof(tiers));
    for (int t = 0; t < N_TIERS; t++)
        tiers[t].upgrade_to = -1;
    tiers[T_FREE].limits = free_limits;
    tiers[T_FREE].n_limits = 3;
    tiers[T_FREE].has_credit = true;
    tiers[T_FREE].grant_pusd = 5 * USD;
    tiers[T_FREE].grant_expires_ns = 90 * DAY;
    tiers[T_TRIAL].has_credit = true;
    tiers[T_TRIAL].grant_pusd = 1 * USD;
    tiers[T_TRIAL].grant_expires_ns = 90 * DAY;
    tiers[T_TRIAL].upgrade_to = T_PAID;
    tiers[T_TRIAL].upgrade_spend_pusd = 1 * USD;
    tiers[T_PAID].has_credit = true;
    tiers[T_PAID].prepaid_pusd = 10 * USD;
    tiers[T_PAID].has_usage_cap = true;
    tiers[T_PAID].usage_cap_monthly_pusd = 4 * USD;
    tiers[T_PAID].upgrade_to = T_TOP;
    tiers[T_PAID].upgrade_spend_pusd = 3 * USD;
    tiers[T_PAID].upgrade_after_ns = 7 * DAY;
    tiers[T_PREPAID].has_credit = true;
    tiers[T_PREPAID].prepaid_pusd = 2 * USD;
}

static struct scn_event event(enum scn_event_kind k, int pop, double fraction,
                              int64_t for_ns)
{
    struct scn_event e;
    memset(&e, 0, sizeof(e));
    e.kind = k;
    e.population = pop;
    e.fraction = fraction;
    e.for_ns = for_ns;
    e.model = -1;
    e.tier = -1;
    e.limit = -1;
    return e;
}

static void build_events(void)
{
    events[E_BAN] = event(EV_BAN, P_HOBBY, 1, 0);
    events[E_SUSPEND] = event(EV_SUSPEND, P_HOBBY, 1, HOUR);
    events[E_REVOKE_KEYS] = event(EV_REVOKE_KEYS, P_HOBBY, 1, 0);
    events[E_BLOCK_BR] = event(EV_BLOCK_REGION, -1, 1, 0);
    events[E_BLOCK_BR].regions = region_br;
    events[E_BLOCK_BR].n_regions = 1;
    events[E_UNBLOCK_CN] = event(EV_UNBLOCK_REGION, -1, 1, 0);
    events[E_UNBLOCK_CN].regions = region_cn;
    events[E_UNBLOCK_CN].n_regions = 1;
    events[E_SUSPEND_LARGE] = event(EV_SUSPEND_FEATURE, -1, 1, 30 * MIN);
    events[E_SUSPEND_LARGE].model = M_LARGE;
    events[E_REVOKE_LARGE] = event(EV_REVOKE_PERMISSION, P_HOBBY, 1, 0);
    events[E_REVOKE_LARGE].model = M_LARGE;
    events[E_BILLING] = event(EV_BILLING_FAILURE, P_HOBBY, 1, 0);
    events[E_SET_RPM] = event(EV_SET_LIMIT, -1, 1, 0);
    events[E_SET_RPM].tier = T_FREE;
    events[E_SET_RPM].limit = 0;
    events[E_SET_RPM].amount = 1;
    events[E_OUTAGE] = event(EV_OUTAGE, -1, 1, 5 * MIN);
    events[E_OUTAGE_HALF] = event(EV_OUTAGE, -1, 1, 10 * MIN);
    events[E_OUTAGE_HALF].capacity = 0.5;
    events[E_MAINT] = event(EV_MAINTENANCE, -1, 1, 15 * MIN);
    events[E_UPGRADE] = event(EV_UPGRADE, -1, 1, 20 * MIN);
    events[E_UPGRADE].capacity = 0.75;
    events[E_BAN_HALF_TOP] = event(EV_BAN, P_TOP, 0.5, 0);
    events[E_SUSPEND_FOREVER] = event(EV_SUSPEND, P_HOBBY, 1, 0);
}

static void build_scenario(void)
{
    memset(&sc, 0, sizeof(sc));
    build_tiers();
    const int64_t price[N_MODELS][2] = {
        { 150000, 600000 },    /* mini: $0.15 / $0.60 per 1M tokens */
        { 2500000, 10000000 }, /* large: $2.50 / $10.00 per 1M */
        { 0, 1 },              /* unit: 1 pusd per completion token */
    };
    memset(models, 0, sizeof(models));
    for (int m = 0; m < N_MODELS; m++) {
        models[m].input_pusd_per_token = price[m][0];
        models[m].output_pusd_per_token = price[m][1];
    }
    memset(pops, 0, sizeof(pops));
    int64_t first = 0;
    for (int i = 0; i < N_POPS; i++) {
        pops[i].count = pop_count[i];
        pops[i].first_account = first;
        pops[i].tier = pop_tier[i];
        pops[i].idle_for_ns = pop_idle[i];
        first += pop_count[i];
    }
    build_events();
    sc.seed = 42;
    sc.duration_ns = 7 * DAY;
    sc.regions = regions;
    sc.n_regions = N_REGIONS;
    sc.policy.tiers = tiers;
    sc.policy.n_tiers = N_TIERS;
    sc.policy.models = models;
    sc.policy.n_models = N_MODELS;
    sc.policy.blocked_regions = blocked;
    sc.policy.n_blocked_regions = 1;
    sc.policy.has_moderation = true;
    sc.policy.mod_suspend_after = 3;
    sc.policy.mod_ban_after = 5;
    sc.policy.mod_window_ns = 30 * DAY;
    sc.policy.mod_suspend_for_ns = DAY;
    sc.policy.has_abuse = true;
    sc.policy.abuse_factor = 2; /* 2 x rpm 3 = 6 per 1-minute window */
    sc.policy.abuse_window_ns = MIN;
    sc.policy.abuse_block_for_ns = 15 * MIN;
    sc.policy.has_lockout = true;
    sc.policy.lockout_failures = 3;
    sc.policy.lockout_window_ns = MIN;
    sc.policy.lockout_block_for_ns = 15 * MIN;
    sc.policy.has_inactivity = true;
    sc.policy.inactivity_expire_after_ns = 180 * DAY;
    sc.pops = pops;
    sc.n_pops = N_POPS;
    sc.n_accounts = first;
    sc.events = events;
    sc.n_events = N_EVENTS;
}

/* ---- helpers ---------------------------------------------------------------
 */

static int64_t acct_of(int pop, int64_t i)
{
    return pops[pop].first_account + i;
}

/* A plain request of account i of pop: mini, US, 100 + 100 tokens. */
static struct policy_req req(int pop, int64_t i)
{
    struct policy_req r;
    memset(&r, 0, sizeof(r));
    r.account = acct_of(pop, i);
    r.pop = pop;
    r.model = M_MINI;
    r.region = R_US;
    r.source = r.account;
    r.prompt_tokens = 100;
    r.completion_tokens = 100;
    return r;
}

/* Decides, and completes an OK with final ok and all max_tokens used. */
static enum reason send(struct policy *p, struct policy_req r, int64_t t)
{
    struct policy_decision d;
    enum reason got = policy_decide(p, &r, t, &d);
    if (got == REASON_OK)
        policy_complete(p, &r, &d.ticket, t, REASON_OK, r.completion_tokens);
    return got;
}

/* Spends exactly pusd through model unit (1 pusd per completion token,
 * which the token limit never sees: it is what was used, not asked). */
static enum reason spend(struct policy *p, int pop, int64_t i, int64_t pusd,
                         int64_t t)
{
    struct policy_req r = req(pop, i);
    r.model = M_UNIT;
    r.prompt_tokens = 0;
    r.completion_tokens = 1;
    struct policy_decision d;
    enum reason got = policy_decide(p, &r, t, &d);
    if (got == REASON_OK)
        policy_complete(p, &r, &d.ticket, t, REASON_OK, pusd);
    return got;
}

static enum reason flagged(struct policy *p, int pop, int64_t i, int64_t t)
{
    struct policy_req r = req(pop, i);
    r.violation = true;
    return send(p, r, t);
}

static enum reason bad_key(struct policy *p, int pop, int64_t i, int64_t t)
{
    struct policy_req r = req(pop, i);
    r.invalid_key = true;
    return send(p, r, t);
}

static void start(struct policy *p, int e, int64_t t)
{
    policy_event_start(p, &events[e], (uint32_t)e, t);
}

static void end(struct policy *p, int e, int64_t t)
{
    policy_event_end(p, &events[e], (uint32_t)e, t);
}

static enum reason plain(struct policy *p, int pop, int64_t t)
{
    return send(p, req(pop, 0), t);
}

/* ---- one row per reason: triggered, and just below ----------------------- */

static enum reason r_lockout(struct policy *p)
{
    for (int i = 0; i < 3; i++)
        assert_int_equal(bad_key(p, P_HOBBY, 0, i * SEC), REASON_INVALID_KEY);
    return plain(p, P_HOBBY, 3 * SEC);
}

static enum reason r_lockout_below(struct policy *p)
{
    bad_key(p, P_HOBBY, 0, 0);
    bad_key(p, P_HOBBY, 0, SEC);
    return plain(p, P_HOBBY, 2 * SEC);
}

/* failures older than the window do not count: 2 at 0 s, 1 at 61 s */
static enum reason r_lockout_window(struct policy *p)
{
    bad_key(p, P_HOBBY, 0, 0);
    bad_key(p, P_HOBBY, 0, SEC);
    bad_key(p, P_HOBBY, 0, 61 * SEC);
    return plain(p, P_HOBBY, 62 * SEC);
}

/* locked for block_for = 15 min from the 3rd failure at 2 s */
static enum reason r_lockout_still(struct policy *p)
{
    r_lockout(p);
    return plain(p, P_HOBBY, 2 * SEC + 15 * MIN - 1);
}

static enum reason r_lockout_over(struct policy *p)
{
    r_lockout(p);
    return plain(p, P_HOBBY, 2 * SEC + 15 * MIN);
}

static enum reason r_region(struct policy *p)
{
    struct policy_req r = req(P_HOBBY, 0);
    r.region = R_CN;
    return send(p, r, 0);
}

static enum reason r_region_zz(struct policy *p)
{
    struct policy_req r = req(P_HOBBY, 0);
    r.region = R_ZZ;
    return send(p, r, 0);
}

static enum reason r_invalid_key(struct policy *p)
{
    return bad_key(p, P_HOBBY, 0, 0);
}

static enum reason r_valid_key(struct policy *p)
{
    return plain(p, P_HOBBY, 0);
}

static enum reason r_revoked(struct policy *p)
{
    start(p, E_REVOKE_KEYS, 0);
    return plain(p, P_HOBBY, SEC);
}

static enum reason r_revoked_other_pop(struct policy *p)
{
    start(p, E_REVOKE_KEYS, 0);
    return plain(p, P_TOP, SEC);
}

static enum reason r_revoked_ended(struct policy *p)
{
    start(p, E_REVOKE_KEYS, 0);
    end(p, E_REVOKE_KEYS, SEC);
    return plain(p, P_HOBBY, 2 * SEC);
}

static enum reason r_banned_event(struct policy *p)
{
    start(p, E_BAN, 0);
    return plain(p, P_HOBBY, SEC);
}

/* strikes at days 0,1,2 (suspend 24 h from day 2), 3.5 (4th: suspended
 * again), 4.6 (5th: ban_after = 5). */
static void five_strikes(struct policy *p, int n)
{
    const int64_t at[] = { 0, DAY, 2 * DAY, 3 * DAY + 12 * HOUR,
                           4 * DAY + 14 * HOUR };
    for (int i = 0; i < n; i++)
        assert_int_equal(flagged(p, P_HOBBY, 0, at[i]),
                         REASON_POLICY_VIOLATION);
}

static enum reason r_banned_moderation(struct policy *p)
{
    five_strikes(p, 5);
    return plain(p, P_HOBBY, 30 * DAY);
}

/* 4 strikes: suspended (24 h from day 3.5), not banned; free after */
static enum reason r_four_strikes(struct policy *p)
{
    five_strikes(p, 4);
    assert_int_equal(plain(p, P_HOBBY, 4 * DAY + 12 * HOUR - 1),
                     REASON_ACCOUNT_SUSPENDED);
    return plain(p, P_HOBBY, 4 * DAY + 12 * HOUR);
}

static enum reason r_suspended(struct policy *p)
{
    five_strikes(p, 3);
    return plain(p, P_HOBBY, 3 * DAY - 1);
}

static enum reason r_two_strikes(struct policy *p)
{
    five_strikes(p, 2);
    return plain(p, P_HOBBY, DAY + SEC);
}

/* strikes leave the 30-day window: strikes at 0 and 1 d, then one at
 * 31 d: only 2 in (1 d, 31 d] -> not suspended */
static enum reason r_strikes_expire(struct policy *p)
{
    five_strikes(p, 2);
    flagged(p, P_HOBBY, 0, 31 * DAY);
    return plain(p, P_HOBBY, 31 * DAY + SEC);
}

static enum reason r_suspended_event(struct policy *p)
{
    start(p, E_SUSPEND, 0);
    return plain(p, P_HOBBY, HOUR - 1);
}

static enum reason r_suspended_event_over(struct policy *p)
{
    start(p, E_SUSPEND, 0);
    return plain(p, P_HOBBY, HOUR);
}

static enum reason r_suspended_forever_ended(struct policy *p)
{
    start(p, E_SUSPEND_FOREVER, 0);
    assert_int_equal(plain(p, P_HOBBY, 10 * SEC), REASON_ACCOUNT_SUSPENDED);
    end(p, E_SUSPEND_FOREVER, 20 * SEC);
    return plain(p, P_HOBBY, 30 * SEC);
}

/* idle 200 d > 180 d */
static enum reason r_inactive(struct policy *p)
{
    return plain(p, P_OLD, 0);
}

/* idle 179 d: at 1 d - 1 ns it is 180 d - 1 ns: fine */
static enum reason r_inactive_below(struct policy *p)
{
    return plain(p, P_NEAR, DAY - 1);
}

static enum reason r_inactive_crossed(struct policy *p)
{
    return plain(p, P_NEAR, DAY + 1);
}

static enum reason r_billing(struct policy *p)
{
    start(p, E_BILLING, 0);
    return plain(p, P_HOBBY, SEC);
}

static enum reason r_billing_ended(struct policy *p)
{
    start(p, E_BILLING, 0);
    end(p, E_BILLING, SEC);
    return plain(p, P_HOBBY, 2 * SEC);
}

static enum reason r_permission(struct policy *p)
{
    start(p, E_REVOKE_LARGE, 0);
    struct policy_req r = req(P_HOBBY, 0);
    r.model = M_LARGE;
    return send(p, r, SEC);
}

static enum reason r_permission_other_model(struct policy *p)
{
    start(p, E_REVOKE_LARGE, 0);
    return plain(p, P_HOBBY, SEC);
}

static enum reason r_feature(struct policy *p)
{
    start(p, E_SUSPEND_LARGE, 0);
    struct policy_req r = req(P_TOP, 0);
    r.model = M_LARGE;
    return send(p, r, 30 * MIN - 1);
}

static enum reason r_feature_over(struct policy *p)
{
    start(p, E_SUSPEND_LARGE, 0);
    struct policy_req r = req(P_TOP, 0);
    r.model = M_LARGE;
    return send(p, r, 30 * MIN);
}

static enum reason r_maintenance(struct policy *p)
{
    start(p, E_MAINT, 0);
    return plain(p, P_TOP, 15 * MIN - 1);
}

static enum reason r_maintenance_over(struct policy *p)
{
    start(p, E_MAINT, 0);
    return plain(p, P_TOP, 15 * MIN);
}

static enum reason r_outage(struct policy *p)
{
    start(p, E_OUTAGE, 0);
    return plain(p, P_TOP, SEC);
}

static enum reason r_outage_ended_early(struct policy *p)
{
    start(p, E_OUTAGE, 0);
    end(p, E_OUTAGE, SEC);
    return plain(p, P_TOP, 2 * SEC);
}

/* capacity 75%: the first draw decides; a full-capacity upgrade of 0 is
 * a full stop.  (Rates are checked in test_partial_capacity.) */
static enum reason r_upgrade_full(struct policy *p)
{
    events[E_UPGRADE].capacity = 0;
    start(p, E_UPGRADE, 0);
    events[E_UPGRADE].capacity = 0.75;
    return plain(p, P_TOP, SEC);
}

static enum reason r_upgrade_over(struct policy *p)
{
    events[E_UPGRADE].capacity = 0;
    start(p, E_UPGRADE, 0);
    events[E_UPGRADE].capacity = 0.75;
    return plain(p, P_TOP, 20 * MIN);
}

/* abuse: 2 x 3 rpm = 6 per minute window; the 7th is throttled (4th-6th
 * are rate limited but still count as traffic). */
static enum reason r_abuse(struct policy *p)
{
    for (int i = 0; i < 6; i++)
        plain(p, P_HOBBY, 0);
    return plain(p, P_HOBBY, 0);
}

static enum reason r_abuse_below(struct policy *p)
{
    for (int i = 0; i < 5; i++)
        plain(p, P_HOBBY, 0);
    return plain(p, P_HOBBY, 0);
}

/* blocked 15 min from the 7th: at 15 min - 1 still throttled */
static enum reason r_abuse_block(struct policy *p)
{
    r_abuse(p);
    return plain(p, P_HOBBY, 15 * MIN - 1);
}

static enum reason r_abuse_block_over(struct policy *p)
{
    r_abuse(p);
    return plain(p, P_HOBBY, 15 * MIN);
}

/* rpm 3, burst 3: the 4th at one instant */
static enum reason r_rate(struct policy *p)
{
    for (int i = 0; i < 3; i++)
        assert_int_equal(plain(p, P_HOBBY, 0), REASON_OK);
    return plain(p, P_HOBBY, 0);
}

/* one token back after 20 s */
static enum reason r_rate_refilled(struct policy *p)
{
    for (int i = 0; i < 3; i++)
        plain(p, P_HOBBY, 0);
    assert_int_equal(plain(p, P_HOBBY, 20 * SEC - 1), REASON_RATE_LIMIT);
    return plain(p, P_HOBBY, 20 * SEC);
}

/* tpm 40000: 40000 tokens pass, 40001 never */
static enum reason r_token(struct policy *p)
{
    struct policy_req r = req(P_HOBBY, 0);
    r.prompt_tokens = 30000;
    r.completion_tokens = 10001;
    return send(p, r, 0);
}

static enum reason r_token_below(struct policy *p)
{
    struct policy_req r = req(P_HOBBY, 0);
    r.prompt_tokens = 30000;
    r.completion_tokens = 10000;
    return send(p, r, 0);
}

/* parallel 2: two decided OK and not completed hold both slots */
static enum reason r_concurrency(struct policy *p)
{
    struct policy_req r = req(P_HOBBY, 0);
    struct policy_decision d1, d2;
    assert_int_equal(policy_decide(p, &r, 0, &d1), REASON_OK);
    assert_int_equal(policy_decide(p, &r, 0, &d2), REASON_OK);
    return plain(p, P_HOBBY, 0);
}

/* a completion (any final outcome) frees a slot */
static enum reason r_concurrency_released(struct policy *p)
{
    struct policy_req r = req(P_HOBBY, 0);
    struct policy_decision d1, d2;
    assert_int_equal(policy_decide(p, &r, 0, &d1), REASON_OK);
    assert_int_equal(policy_decide(p, &r, 0, &d2), REASON_OK);
    policy_complete(p, &r, &d1.ticket, SEC, REASON_TIMEOUT, 0);
    return plain(p, P_HOBBY, SEC);
}

static enum reason r_free_tier(struct policy *p)
{
    assert_int_equal(spend(p, P_HOBBY, 0, 5 * USD, 0), REASON_OK);
    return plain(p, P_HOBBY, 21 * SEC);
}

static enum reason r_free_tier_below(struct policy *p)
{
    assert_int_equal(spend(p, P_HOBBY, 0, 5 * USD - 1, 0), REASON_OK);
    return plain(p, P_HOBBY, 21 * SEC);
}

/* the grant expires 90 d after creation (created at -idle_for = 0) */
static enum reason r_free_tier_expired(struct policy *p)
{
    return plain(p, P_HOBBY, 90 * DAY);
}

static enum reason r_free_tier_unexpired(struct policy *p)
{
    return plain(p, P_HOBBY, 90 * DAY - 1);
}

static enum reason r_credits(struct policy *p)
{
    assert_int_equal(spend(p, P_PAYER, 0, 2 * USD, 0), REASON_OK);
    return plain(p, P_PAYER, SEC);
}

static enum reason r_credits_below(struct policy *p)
{
    assert_int_equal(spend(p, P_PAYER, 0, 2 * USD - 1, 0), REASON_OK);
    return plain(p, P_PAYER, SEC);
}

/* cap $4 per 30-day month from creation */
static enum reason r_usage_cap(struct policy *p)
{
    assert_int_equal(spend(p, P_START, 0, 4 * USD, 0), REASON_OK);
    return plain(p, P_START, SEC);
}

static enum reason r_usage_cap_below(struct policy *p)
{
    assert_int_equal(spend(p, P_START, 0, 4 * USD - 1, 0), REASON_OK);
    return plain(p, P_START, SEC);
}

static enum reason r_usage_cap_next_month(struct policy *p)
{
    assert_int_equal(spend(p, P_START, 0, 4 * USD, 0), REASON_OK);
    assert_int_equal(plain(p, P_START, 30 * DAY - 1), REASON_USAGE_CAP);
    return plain(p, P_START, 30 * DAY);
}

static enum reason r_violation(struct policy *p)
{
    return flagged(p, P_HOBBY, 0, 0);
}

static enum reason r_bad_request(struct policy *p)
{
    struct policy_req r = req(P_HOBBY, 0);
    r.bad_request = true;
    return send(p, r, 0);
}

/* ---- evaluation order: two failing checks, the earlier wins -----------------
 */

static enum reason o_lockout_region(struct policy *p)
{
    r_lockout(p);
    struct policy_req r = req(P_HOBBY, 0);
    r.region = R_CN;
    return send(p, r, 4 * SEC);
}

static enum reason o_region_key(struct policy *p)
{
    struct policy_req r = req(P_HOBBY, 0);
    r.region = R_CN;
    r.invalid_key = true;
    return send(p, r, 0);
}

static enum reason o_invalid_revoked(struct policy *p)
{
    start(p, E_REVOKE_KEYS, 0);
    return bad_key(p, P_HOBBY, 0, SEC);
}

static enum reason o_revoked_banned(struct policy *p)
{
    start(p, E_REVOKE_KEYS, 0);
    start(p, E_BAN, 0);
    return plain(p, P_HOBBY, SEC);
}

static enum reason o_banned_suspended(struct policy *p)
{
    start(p, E_BAN, 0);
    start(p, E_SUSPEND, 0);
    return plain(p, P_HOBBY, SEC);
}

static enum reason o_suspended_inactive(struct policy *p)
{
    events[E_SUSPEND].population = P_OLD;
    start(p, E_SUSPEND, 0);
    events[E_SUSPEND].population = P_HOBBY;
    return plain(p, P_OLD, SEC);
}

static enum reason o_inactive_billing(struct policy *p)
{
    events[E_BILLING].population = P_OLD;
    start(p, E_BILLING, 0);
    events[E_BILLING].population = P_HOBBY;
    return plain(p, P_OLD, SEC);
}

static enum reason o_billing_permission(struct policy *p)
{
    start(p, E_BILLING, 0);
    start(p, E_REVOKE_LARGE, 0);
    struct policy_req r = req(P_HOBBY, 0);
    r.model = M_LARGE;
    return send(p, r, SEC);
}

static enum reason o_permission_feature(struct policy *p)
{
    start(p, E_REVOKE_LARGE, 0);
    start(p, E_SUSPEND_LARGE, 0);
    struct policy_req r = req(P_HOBBY, 0);
    r.model = M_LARGE;
    return send(p, r, SEC);
}

static enum reason o_feature_maintenance(struct policy *p)
{
    start(p, E_SUSPEND_LARGE, 0);
    start(p, E_MAINT, 0);
    struct policy_req r = req(P_TOP, 0);
    r.model = M_LARGE;
    return send(p, r, SEC);
}

static enum reason o_maintenance_outage(struct policy *p)
{
    start(p, E_OUTAGE, 0);
    start(p, E_MAINT, 0);
    return plain(p, P_TOP, SEC);
}

static enum reason o_upgrade_outage(struct policy *p)
{
    start(p, E_OUTAGE, 0);
    events[E_UPGRADE].capacity = 0;
    start(p, E_UPGRADE, 0);
    events[E_UPGRADE].capacity = 0.75;
    return plain(p, P_TOP, SEC);
}

static enum reason o_outage_abuse(struct policy *p)
{
    r_abuse(p);
    start(p, E_OUTAGE, SEC);
    return plain(p, P_HOBBY, 2 * SEC);
}

static enum reason o_abuse_rate(struct policy *p)
{
    return r_abuse(p); /* the 7th is also over rpm: abuse wins */
}

/* rpm used up by three paid requests that also spend the whole grant:
 * both fail, rate limit wins.  At 20 s one token is back: credit
 * denials then do not consume it (count_denied false). */
static enum reason o_rate_credit(struct policy *p)
{
    spend(p, P_HOBBY, 0, 1, 0);
    spend(p, P_HOBBY, 0, 1, 0);
    spend(p, P_HOBBY, 0, 5 * USD - 2, 0);
    enum reason both = plain(p, P_HOBBY, 0);
    assert_int_equal(plain(p, P_HOBBY, 20 * SEC), REASON_FREE_TIER_EXHAUSTED);
    assert_int_equal(plain(p, P_HOBBY, 20 * SEC), REASON_FREE_TIER_EXHAUSTED);
    assert_int_equal(policy_limit_remaining(p, acct_of(P_HOBBY, 0),
                                            LIMIT_REQUESTS, 20 * SEC),
                     1);
    return both;
}

/* paid ($10 prepaid, $4 cap), upgrade switched off for this row: $6 in
 * month 0 (one request may overshoot), $4 in month 1: prepaid and the
 * month's cap are both used up. */
static enum reason o_credit_cap(struct policy *p)
{
    tiers[T_PAID].upgrade_to = -1;
    assert_int_equal(spend(p, P_START, 0, 6 * USD, 0), REASON_OK);
    assert_int_equal(spend(p, P_START, 0, 4 * USD, 30 * DAY), REASON_OK);
    return plain(p, P_START, 30 * DAY + 1);
}

static enum reason o_credit_violation(struct policy *p)
{
    spend(p, P_PAYER, 0, 2 * USD, 0);
    return flagged(p, P_PAYER, 0, SEC);
}

static enum reason o_violation_bad(struct policy *p)
{
    struct policy_req r = req(P_HOBBY, 0);
    r.violation = true;
    r.bad_request = true;
    return send(p, r, 0);
}

struct row {
    const char *name;
    enum reason (*fn)(struct policy *p);
    enum reason want;
};

static const struct row rows[] = {
    { "unauthorized_lockout: 3rd bad key locks", r_lockout,
      REASON_UNAUTHORIZED_LOCKOUT },
    { "lockout below: 2 bad keys", r_lockout_below, REASON_OK },
    { "lockout window: old failures lapse", r_lockout_window, REASON_OK },
    { "lockout lasts block_for - 1ns", r_lockout_still,
      REASON_UNAUTHORIZED_LOCKOUT },
    { "lockout over at block_for", r_lockout_over, REASON_OK },
    { "region_blocked: CN", r_region, REASON_REGION_BLOCKED },
    { "region ZZ never blocked", r_region_zz, REASON_OK },
    { "invalid_key", r_invalid_key, REASON_INVALID_KEY },
    { "valid key", r_valid_key, REASON_OK },
    { "revoked_key after revoke_keys", r_revoked, REASON_REVOKED_KEY },
    { "revoke_keys spares other populations", r_revoked_other_pop, REASON_OK },
    { "revoke_keys ended", r_revoked_ended, REASON_OK },
    { "account_banned by event", r_banned_event, REASON_ACCOUNT_BANNED },
    { "account_banned after 5 strikes", r_banned_moderation,
      REASON_ACCOUNT_BANNED },
    { "4 strikes: suspended, not banned", r_four_strikes, REASON_OK },
    { "account_suspended after 3 strikes", r_suspended,
      REASON_ACCOUNT_SUSPENDED },
    { "2 strikes: not suspended", r_two_strikes, REASON_OK },
    { "strikes leave the window", r_strikes_expire, REASON_OK },
    { "account_suspended by event, until for - 1ns", r_suspended_event,
      REASON_ACCOUNT_SUSPENDED },
    { "suspend event over at for", r_suspended_event_over, REASON_OK },
    { "permanent suspension lifted by end", r_suspended_forever_ended,
      REASON_OK },
    { "account_inactive: idle 200d", r_inactive, REASON_ACCOUNT_INACTIVE },
    { "inactive below: 180d - 1ns", r_inactive_below, REASON_OK },
    { "inactive crossed: 180d + 1ns", r_inactive_crossed,
      REASON_ACCOUNT_INACTIVE },
    { "billing failure", r_billing, REASON_BILLING },
    { "billing failure ended", r_billing_ended, REASON_OK },
    { "permission_revoked for large", r_permission, REASON_PERMISSION_REVOKED },
    { "permission kept for mini", r_permission_other_model, REASON_OK },
    { "feature_suspended until for - 1ns", r_feature,
      REASON_FEATURE_SUSPENDED },
    { "feature back at for", r_feature_over, REASON_OK },
    { "maintenance until for - 1ns", r_maintenance, REASON_MAINTENANCE },
    { "maintenance over at for", r_maintenance_over, REASON_OK },
    { "outage full", r_outage, REASON_OUTAGE },
    { "outage ended early by end", r_outage_ended_early, REASON_OK },
    { "upgrade with capacity 0", r_upgrade_full, REASON_UPGRADE },
    { "upgrade over at for", r_upgrade_over, REASON_OK },
    { "abuse_throttle: 7th in window (max 6)", r_abuse, REASON_ABUSE_THROTTLE },
    { "abuse below: 6th is only rate limited", r_abuse_below,
      REASON_RATE_LIMIT },
    { "abuse block lasts block_for - 1ns", r_abuse_block,
      REASON_ABUSE_THROTTLE },
    { "abuse block over at block_for", r_abuse_block_over, REASON_OK },
    { "rate_limit: 4th of rpm 3", r_rate, REASON_RATE_LIMIT },
    { "rate refilled after 20 s", r_rate_refilled, REASON_OK },
    { "token_limit: 40001 tokens of tpm 40000", r_token, REASON_TOKEN_LIMIT },
    { "token below: 40000 tokens", r_token_below, REASON_OK },
    { "concurrency_limit: 3rd in flight of 2", r_concurrency,
      REASON_CONCURRENCY_LIMIT },
    { "concurrency slot freed by complete", r_concurrency_released, REASON_OK },
    { "free_tier_exhausted: $5 spent", r_free_tier,
      REASON_FREE_TIER_EXHAUSTED },
    { "free tier below: $5 - 1 pusd", r_free_tier_below, REASON_OK },
    { "free_tier_exhausted: grant expired at 90d", r_free_tier_expired,
      REASON_FREE_TIER_EXHAUSTED },
    { "grant valid at 90d - 1ns", r_free_tier_unexpired, REASON_OK },
    { "credits_exhausted: $2 prepaid spent", r_credits,
      REASON_CREDITS_EXHAUSTED },
    { "credits below: $2 - 1 pusd", r_credits_below, REASON_OK },
    { "usage_cap: $4 in the month", r_usage_cap, REASON_USAGE_CAP },
    { "usage cap below: $4 - 1 pusd", r_usage_cap_below, REASON_OK },
    { "usage cap resets with the 30-day month", r_usage_cap_next_month,
      REASON_OK },
    { "policy_violation", r_violation, REASON_POLICY_VIOLATION },
    { "bad_request", r_bad_request, REASON_BAD_REQUEST },
    { "order: lockout before region", o_lockout_region,
      REASON_UNAUTHORIZED_LOCKOUT },
    { "order: region before invalid key", o_region_key, REASON_REGION_BLOCKED },
    { "order: invalid before revoked", o_invalid_revoked, REASON_INVALID_KEY },
    { "order: revoked before banned", o_revoked_banned, REASON_REVOKED_KEY },
    { "order: banned before suspended", o_banned_suspended,
      REASON_ACCOUNT_BANNED },
    { "order: suspended before inactive", o_suspended_inactive,
      REASON_ACCOUNT_SUSPENDED },
    { "order: inactive before billing", o_inactive_billing,
      REASON_ACCOUNT_INACTIVE },
    { "order: billing before permission", o_billing_permission,
      REASON_BILLING },
    { "order: permission before feature", o_permission_feature,
      REASON_PERMISSION_REVOKED },
    { "order: feature before maintenance", o_feature_maintenance,
      REASON_FEATURE_SUSPENDED },
    { "order: maintenance before outage", o_maintenance_outage,
      REASON_MAINTENANCE },
    { "order: upgrade before outage", o_upgrade_outage, REASON_UPGRADE },
    { "order: outage before abuse", o_outage_abuse, REASON_OUTAGE },
    { "order: abuse before rate limit", o_abuse_rate, REASON_ABUSE_THROTTLE },
    { "order: rate limit before credit; credit denials spare rpm",
      o_rate_credit, REASON_RATE_LIMIT },
    { "order: credits before usage cap", o_credit_cap,
      REASON_CREDITS_EXHAUSTED },
    { "order: credit before violation", o_credit_violation,
      REASON_CREDITS_EXHAUSTED },
    { "order: violation before bad request", o_violation_bad,
      REASON_POLICY_VIOLATION },
};

static int setup_policy(void **state)
{
    build_scenario();
    struct policy *p;
    if (policy_new(&sc, sc.seed, &p) != ERR_OK)
        return -1;
    *state = p;
    return 0;
}

static int teardown_policy(void **state)
{
    policy_free(*state);
    return 0;
}

/* cmocka hands each row its own state, so rows get the policy through a
 * file-scope pointer set by the row's setup. */
static const struct row *current;

static int row_setup(void **state)
{
    const struct row *r = *state;
    current = r;
    return setup_policy(state);
}

static void test_row(void **state)
{
    struct policy *p = *state;
    assert_string_equal(reason_id(current->fn(p)), reason_id(current->want));
}

/* ---- exact arithmetic and state transitions -------------------------------
 */

static void test_credit_exact(void **state)
{
    struct policy *p = *state;
    struct policy_req r = req(P_HOBBY, 3);
    r.prompt_tokens = 1234;
    r.completion_tokens = 600;
    struct policy_decision d;
    assert_int_equal(policy_decide(p, &r, 0, &d), REASON_OK);
    policy_complete(p, &r, &d.ticket, SEC, REASON_OK, 567);
    /* 1234 * 150000 + 567 * 600000 = 185100000 + 340200000 pusd */
    struct policy_account_info i;
    policy_account(p, r.account, SEC, &i);
    assert_int_equal(i.grant_pusd, 5 * USD - 525300000LL);
    assert_int_equal(i.spend_total_pusd, 525300000LL);
    assert_int_equal(i.spend_month_pusd, 525300000LL);
    assert_int_equal(i.prepaid_pusd, 0);
    /* a request that ends in a timeout costs nothing */
    assert_int_equal(policy_decide(p, &r, 2 * SEC, &d), REASON_OK);
    policy_complete(p, &r, &d.ticket, 3 * SEC, REASON_TIMEOUT, 600);
    policy_account(p, r.account, 3 * SEC, &i);
    assert_int_equal(i.spend_total_pusd, 525300000LL);
}

/* trial: grant $1, upgrade to paid at $1 spent: grant first, overdraw to
 * prepaid (-5 pusd), then the upgrade credits paid's $10. */
static void test_upgrade_credits_new_tier(void **state)
{
    struct policy *p = *state;
    assert_int_equal(spend(p, P_TRIAL, 0, USD + 5, 0), REASON_OK);
    struct policy_account_info i;
    policy_account(p, acct_of(P_TRIAL, 0), SEC, &i);
    assert_int_equal(i.tier, T_PAID);
    assert_int_equal(i.grant_pusd, 0);
    assert_int_equal(i.prepaid_pusd, 10 * USD - 5);
    assert_int_equal(i.credit_pusd, 10 * USD - 5);
    /* below the threshold: no upgrade */
    assert_int_equal(spend(p, P_TRIAL, 1, USD - 1, 0), REASON_OK);
    policy_account(p, acct_of(P_TRIAL, 1), SEC, &i);
    assert_int_equal(i.tier, T_TRIAL);
    assert_int_equal(i.grant_pusd, 1);
}

/* paid -> top needs $3 spent AND 7 days of age. */
static void test_upgrade_needs_age(void **state)
{
    struct policy *p = *state;
    assert_int_equal(spend(p, P_START, 1, 3 * USD, 6 * DAY), REASON_OK);
    struct policy_account_info i;
    policy_account(p, acct_of(P_START, 1), 6 * DAY, &i);
    assert_int_equal(i.tier, T_PAID);
    assert_int_equal(spend(p, P_START, 1, 1, 7 * DAY - 1), REASON_OK);
    policy_account(p, acct_of(P_START, 1), 7 * DAY, &i);
    assert_int_equal(i.tier, T_PAID);
    assert_int_equal(spend(p, P_START, 1, 1, 7 * DAY), REASON_OK);
    policy_account(p, acct_of(P_START, 1), 7 * DAY, &i);
    assert_int_equal(i.tier, T_TOP);
    /* top has no cap: $4 more in the same month passes */
    assert_int_equal(spend(p, P_START, 1, 4 * USD, 7 * DAY + 1), REASON_OK);
    assert_int_equal(plain(p, P_START, 7 * DAY + 2), REASON_OK);
}

/* complete() releases the slot decide() took, once; a second complete
 * of the same decision cannot drive the count below zero. */
static void test_complete_releases(void **state)
{
    struct policy *p = *state;
    struct policy_req r = req(P_HOBBY, 5);
    struct policy_decision d;
    assert_int_equal(policy_decide(p, &r, 0, &d), REASON_OK);
    assert_int_equal(d.ticket.held_mask, 1u << 2);
    struct policy_account_info i;
    policy_account(p, r.account, 0, &i);
    assert_int_equal(i.in_flight, 1);
    policy_complete(p, &r, &d.ticket, 0, REASON_OK, 0);
    policy_complete(p, &r, &d.ticket, 0, REASON_OVERLOADED, 0);
    policy_account(p, r.account, 0, &i);
    assert_int_equal(i.in_flight, 0);
}

/* A slot taken before a tier change is not released into the new tier:
 * trial -> paid happens while a request is in flight. */
static void test_upgrade_epoch(void **state)
{
    (void)state;
    build_scenario();
    static struct scn_limit par[1];
    par[0] = limit("parallel", LIMIT_CONCURRENT, 1, 0);
    tiers[T_PAID].limits = par;
    tiers[T_PAID].n_limits = 1;
    struct policy *p;
    assert_int_equal(policy_new(&sc, 1, &p), ERR_OK);
    struct policy_req r = req(P_TRIAL, 0);
    struct policy_decision held;
    assert_int_equal(spend(p, P_TRIAL, 0, USD, 0), REASON_OK); /* -> paid */
    assert_int_equal(policy_decide(p, &r, SEC, &held), REASON_OK);
    assert_int_equal(held.ticket.held_mask, 1u);
    assert_int_equal(plain(p, P_TRIAL, SEC), REASON_CONCURRENCY_LIMIT);
    policy_complete(p, &r, &held.ticket, 2 * SEC, REASON_OK, 0);
    assert_int_equal(plain(p, P_TRIAL, 2 * SEC), REASON_OK);
    policy_free(p);
}

static void test_moderation_counts(void **state)
{
    struct policy *p = *state;
    five_strikes(p, 3);
    struct policy_account_info i;
    policy_account(p, acct_of(P_HOBBY, 0), 2 * DAY, &i);
    assert_int_equal(i.strikes, 3);
    assert_true(i.suspended);
    assert_false(i.banned);
    policy_account(p, acct_of(P_HOBBY, 0), 31 * DAY, &i);
    assert_int_equal(i.strikes, 1); /* (1 d, 31 d] holds only day 2 */
}

/* Partial capacity: each request denied with probability 1 - c, from a
 * counter-based stream per account.  4000 draws: sd of the share
 * sqrt(c(1-c)/4000) <= 0.0079; tolerance 0.035 (4.4 sd). */
static void test_partial_capacity(void **state)
{
    struct policy *p = *state;
    start(p, E_OUTAGE_HALF, 0);
    start(p, E_UPGRADE, 0);
    assert_true(fabs(policy_capacity_factor(p, SEC) - 0.375) < 1e-12);
    int up = 0, out = 0, ok = 0, n = 4000;
    for (int k = 0; k < n; k++) {
        enum reason r = send(p, req(P_TOP, k % 1000), SEC + k);
        up += r == REASON_UPGRADE;
        out += r == REASON_OUTAGE;
        ok += r == REASON_OK;
    }
    /* upgrade first: 25% upgrade, then 75% * 50% outage, 37.5% ok */
    assert_true(fabs((double)up / n - 0.25) < 0.035);
    assert_true(fabs((double)out / n - 0.375) < 0.035);
    assert_true(fabs((double)ok / n - 0.375) < 0.035);
    assert_true(fabs(policy_capacity_factor(p, 10 * MIN) - 0.75) < 1e-12);
    assert_true(fabs(policy_capacity_factor(p, 20 * MIN) - 1) < 1e-12);
    start(p, E_MAINT, HOUR);
    assert_true(policy_capacity_factor(p, HOUR) == 0);
}

/* Same seed, same decisions; the event fraction picks the same accounts
 * and end lifts exactly them. */
static void test_fraction_deterministic(void **state)
{
    struct policy *p = *state, *q;
    assert_int_equal(policy_new(&sc, sc.seed, &q), ERR_OK);
    start(p, E_BAN_HALF_TOP, 0);
    start(q, E_BAN_HALF_TOP, 0);
    struct policy_totals t;
    policy_totals(p, SEC, &t);
    /* binomial(1000, 0.5): sd 15.8; tolerance 80 */
    assert_true(t.accounts_banned > 420 && t.accounts_banned < 580);
    start(p, E_OUTAGE_HALF, 0);
    start(q, E_OUTAGE_HALF, 0);
    for (int64_t i = 0; i < 3000; i++)
        assert_int_equal(send(p, req(P_TOP, i % 1000), SEC + i),
                         send(q, req(P_TOP, i % 1000), SEC + i));
    for (int64_t i = 0; i < 1000; i++) {
        struct policy_account_info a, b;
        policy_account(p, acct_of(P_TOP, i), SEC, &a);
        policy_account(q, acct_of(P_TOP, i), SEC, &b);
        assert_int_equal(a.banned, b.banned);
    }
    end(p, E_BAN_HALF_TOP, 2 * SEC);
    policy_totals(p, 2 * SEC, &t);
    assert_int_equal(t.accounts_banned, 0);
    policy_free(q);
}

static void test_regions_events(void **state)
{
    struct policy *p = *state;
    assert_true(policy_region_blocked(p, R_CN));
    assert_false(policy_region_blocked(p, R_BR));
    start(p, E_BLOCK_BR, 0);
    start(p, E_UNBLOCK_CN, 0);
    assert_true(policy_region_blocked(p, R_BR));
    assert_false(policy_region_blocked(p, R_CN));
    struct policy_req r = req(P_HOBBY, 0);
    r.region = R_BR;
    assert_int_equal(send(p, r, SEC), REASON_REGION_BLOCKED);
    end(p, E_BLOCK_BR, 2 * SEC);
    end(p, E_UNBLOCK_CN, 2 * SEC);
    assert_false(policy_region_blocked(p, R_BR));
    assert_true(policy_region_blocked(p, R_CN));
    assert_int_equal(send(p, r, 3 * SEC), REASON_OK);
}

/* set_limit free rpm 3 -> 1 (burst follows the defaulted burst), end
 * restores 3. */
static void test_set_limit(void **state)
{
    struct policy *p = *state;
    start(p, E_SET_RPM, 0);
    assert_int_equal(policy_limit_conf(p, T_FREE, 0)->amount, 1);
    assert_int_equal(policy_limit_conf(p, T_FREE, 0)->burst, 1);
    assert_int_equal(plain(p, P_HOBBY, SEC), REASON_OK);
    assert_int_equal(plain(p, P_HOBBY, SEC), REASON_RATE_LIMIT);
    end(p, E_SET_RPM, 2 * SEC);
    assert_int_equal(policy_limit_conf(p, T_FREE, 0)->amount, 3);
    /* carried over: 1 token of deficit stays a deficit of 1 */
    assert_int_equal(
        policy_limit_remaining(p, acct_of(P_HOBBY, 0), LIMIT_REQUESTS, 2 * SEC),
        2);
    assert_null(policy_limit_conf(p, T_FREE, 3));
}

static void test_headers_and_retry(void **state)
{
    struct policy *p = *state;
    struct policy_req r = req(P_HOBBY, 0);
    r.want_headers = true;
    struct policy_decision d;
    assert_int_equal(policy_decide(p, &r, 0, &d), REASON_OK);
    assert_true(d.req.present && d.tok.present);
    assert_int_equal(d.req.limit, 3);
    assert_int_equal(d.req.remaining, 2);
    assert_int_equal(d.req.reset_ns, 20 * SEC); /* 1 token at 3/min */
    assert_int_equal(d.tok.limit, 40000);
    assert_int_equal(d.tok.remaining, 39800);
    /* 200 tokens at 40000/min: 0.3 s */
    assert_int_equal(d.tok.reset_ns, 300 * MS);
    policy_complete(p, &r, &d.ticket, 0, REASON_OK, 100);
    send(p, r, 0);
    send(p, r, 0);
    assert_int_equal(policy_decide(p, &r, 5 * SEC, &d), REASON_RATE_LIMIT);
    assert_int_equal(d.limit, 0);
    assert_int_equal(d.retry_after_ns, 15 * SEC);
    assert_int_equal(d.req.remaining, 0);
    /* non-retryable reasons carry no retry hint */
    r.bad_request = true;
    assert_int_equal(policy_decide(p, &r, 60 * SEC, &d), REASON_BAD_REQUEST);
    assert_int_equal(d.retry_after_ns, 0);
}

/* tpm 40000 (token bucket, burst = amount): 40001 tokens can never
 * pass, even into a full bucket: too_large, requested 40001, no wait.
 * 39801 tokens after 200 were spent are denied but would pass later:
 * not too large, a wait of one token's refill.  A rate limit denial is never
 * too large here (1 request of rpm 3). */
static void test_too_large(void **state)
{
    struct policy *p = *state;
    struct policy_req r = req(P_HOBBY, 0);
    r.prompt_tokens = 30000;
    r.completion_tokens = 10001;
    struct policy_decision d;
    assert_int_equal(policy_decide(p, &r, 0, &d), REASON_TOKEN_LIMIT);
    assert_true(d.too_large);
    assert_int_equal(d.requested, 40001);
    assert_int_equal(d.retry_after_ns, 0);
    r = req(P_HOBBY, 0); /* 200 tokens */
    assert_int_equal(policy_decide(p, &r, 0, &d), REASON_OK);
    assert_false(d.too_large);
    policy_complete(p, &r, &d.ticket, 0, REASON_OK, r.completion_tokens);
    r.prompt_tokens = 39801 - 100;
    assert_int_equal(policy_decide(p, &r, 0, &d), REASON_TOKEN_LIMIT);
    assert_false(d.too_large);
    assert_int_equal(d.requested, 39801);
    /* one token short: 60 s / 40000 = 1.5 ms */
    assert_int_equal(d.retry_after_ns, 1500000);
    r = req(P_HOBBY, 0);
    send(p, r, 0);
    send(p, r, 0);
    assert_int_equal(policy_decide(p, &r, 0, &d), REASON_RATE_LIMIT);
    assert_false(d.too_large);
    assert_int_equal(d.requested, 1);
}

static void test_totals(void **state)
{
    struct policy *p = *state;
    struct policy_totals t;
    policy_totals(p, 0, &t);
    /* hobby 10 x $5, trial 10 x $1, start 10 x $10, payer 10 x $2; the
     * top tier (old, near, top) has no credit block */
    assert_int_equal(t.credit_pusd, (50 + 10 + 100 + 20) * USD);
    assert_int_equal(t.accounts_inactive, 2);
    r_lockout(p);
    policy_totals(p, 3 * SEC, &t);
    assert_int_equal(t.sources_locked, 1);
    assert_int_equal(
        policy_limit_remaining(p, acct_of(P_TOP, 0), LIMIT_REQUESTS, 0), -1);
    assert_int_equal(policy_limit_remaining_total(p, LIMIT_REQUESTS, 0),
                     10 * 3);
}

/* The running credit sum equals the walk over every account at every
 * step: grants used and expiring (hobby, 90 d), overdraws, upgrades into
 * a credit tier (trial -> paid) and out of one (paid -> top). */
static void test_credit_total_running(void **state)
{
    struct policy *p = *state;
    static const int spenders[] = { P_HOBBY, P_TRIAL, P_START, P_PAYER };
    uint64_t x = 12345;
    int64_t t = 0;
    for (int step = 0; step < 400; step++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        int pop = spenders[(x >> 33) % 4];
        int64_t i = (int64_t)((x >> 40) % 10);
        int64_t pusd = (int64_t)((x >> 20) % (USD / 2));
        t += (int64_t)((x >> 33) % 600) * (DAY / 1000) + 1;
        spend(p, pop, i, pusd, t);
        struct policy_totals tot;
        policy_totals(p, t, &tot);
        assert_int_equal(policy_credit_total(p, t), tot.credit_pusd);
        policy_totals(p, t + 30 * DAY, &tot); /* later grants expire */
        assert_int_equal(policy_credit_total(p, t + 30 * DAY), tot.credit_pusd);
    }
    assert_true(t > 90 * DAY); /* the hobby grants expired on the way */
}

/* Up to POLICY_GAUGE_SAMPLE accounts the sampled headroom is the exact
 * total; above it (1044 accounts here) an estimate from evenly spaced
 * accounts: exact while every sampled account of a population is alike,
 * within the sampling error otherwise. */
static void test_limit_remaining_sampled(void **state)
{
    (void)state;
    build_scenario();
    pops[P_TOP].count = 900; /* 944 accounts: exact */
    sc.n_accounts = pops[P_TOP].first_account + pops[P_TOP].count;
    struct policy *p;
    assert_int_equal(policy_new(&sc, 1, &p), ERR_OK);
    for (int64_t i = 0; i < 5; i++)
        send(p, req(P_HOBBY, i), 0);
    for (int64_t k = 0; k < 3; k++)
        send(p, req(P_HOBBY, 5), 0);
    int64_t exact = policy_limit_remaining_total(p, LIMIT_REQUESTS, SEC);
    assert_int_equal(exact, 30 - 5 - 3); /* nothing refilled in 1 s */
    assert_true(policy_limit_remaining_sampled(p, LIMIT_REQUESTS, SEC) ==
                (double)exact);
    policy_free(p);

    build_scenario(); /* 1044 accounts: 9 of the 10 hobby accounts */
    assert_int_equal(policy_new(&sc, 1, &p), ERR_OK);
    assert_true(
        fabs(policy_limit_remaining_sampled(p, LIMIT_REQUESTS, 0) - 30) < 1e-9);
    assert_true(fabs(policy_limit_remaining_sampled(p, LIMIT_TOKENS, 0) -
                     10 * 40000) < 1e-6);
    for (int64_t i = 0; i < 10; i++) /* every hobby account down to 0 */
        for (int k = 0; k < 3; k++)
            send(p, req(P_HOBBY, i), 0);
    assert_int_equal(policy_limit_remaining_total(p, LIMIT_REQUESTS, 0), 0);
    assert_true(fabs(policy_limit_remaining_sampled(p, LIMIT_REQUESTS, 0)) <
                1e-9);
    policy_free(p);
}

/* scope: global (one 5/min bucket for all) and scope: source (2/min per
 * source, count_denied) on the top tier. */
static void test_scopes(void **state)
{
    (void)state;
    build_scenario();
    static struct scn_limit sl[2];
    sl[0] = limit("global", LIMIT_REQUESTS, 5, MIN);
    sl[0].scope = SCOPE_GLOBAL;
    sl[1] = limit("per-source", LIMIT_REQUESTS, 2, MIN);
    sl[1].scope = SCOPE_SOURCE;
    sl[1].count_denied = true;
    tiers[T_TOP].limits = sl;
    tiers[T_TOP].n_limits = 2;
    struct policy *p;
    assert_int_equal(policy_new(&sc, 1, &p), ERR_OK);
    struct policy_req r = req(P_TOP, 0);
    struct policy_decision d;
    r.source = 7;
    assert_int_equal(send(p, r, 0), REASON_OK);
    r.account = acct_of(P_TOP, 1); /* another account, same source */
    assert_int_equal(send(p, r, 0), REASON_OK);
    assert_int_equal(policy_decide(p, &r, 0, &d), REASON_RATE_LIMIT);
    assert_int_equal(d.limit, 1);
    for (int64_t s = 8; s < 11; s++) { /* global: 3 of 5 left */
        r.source = s;
        assert_int_equal(send(p, r, 0), REASON_OK);
    }
    r.source = 11;
    assert_int_equal(policy_decide(p, &r, 0, &d), REASON_RATE_LIMIT);
    assert_int_equal(d.limit, 0);
    /* source 7's denial was counted (deficit 3 of 2): at 30 s one token
     * back is not enough; without count_denied it would be. */
    r.source = 7;
    assert_int_equal(policy_decide(p, &r, 30 * SEC, &d), REASON_RATE_LIMIT);
    assert_int_equal(d.limit, 1);
    policy_free(p);
}

static void test_new_errors(void **state)
{
    (void)state;
    build_scenario();
    static char junk;
    struct policy *p = (struct policy *)(void *)&junk; /* reset to NULL */
    free_limits[0].amount = -1;
    assert_int_equal(policy_new(&sc, 1, &p), ERR_INVAL);
    assert_null(p);
    free_limits[0].amount = 3;
    static struct scn_limit many[POLICY_MAX_LIMITS + 1];
    for (int i = 0; i <= POLICY_MAX_LIMITS; i++)
        many[i] = limit("x", LIMIT_REQUESTS, 1, SEC);
    tiers[T_TOP].limits = many;
    tiers[T_TOP].n_limits = POLICY_MAX_LIMITS + 1;
    assert_int_equal(policy_new(&sc, 1, &p), ERR_INVAL);
    policy_free(NULL);
}

int main(void)
{
    enum { NROWS = sizeof(rows) / sizeof(rows[0]) };
    struct CMUnitTest tests[NROWS + 17];
    size_t n = 0;
    for (size_t i = 0; i < NROWS; i++)
        tests[n++] = (struct CMUnitTest){ rows[i].name, test_row, row_setup,
                                          teardown_policy, (void *)&rows[i] };
    const struct CMUnitTest fixed[] = {
        cmocka_unit_test_setup_teardown(test_credit_exact, setup_policy,
                                        teardown_policy),
        cmocka_unit_test_setup_teardown(test_upgrade_credits_new_tier,
                                        setup_policy, teardown_policy),
        cmocka_unit_test_setup_teardown(test_upgrade_needs_age, setup_policy,
                                        teardown_policy),
        cmocka_unit_test_setup_teardown(test_complete_releases, setup_policy,
                                        teardown_policy),
        cmocka_unit_test(test_upgrade_epoch),
        cmocka_unit_test(test_scopes),
        cmocka_unit_test_setup_teardown(test_moderation_counts, setup_policy,
                                        teardown_policy),
        cmocka_unit_test_setup_teardown(test_partial_capacity, setup_policy,
                                        teardown_policy),
        cmocka_unit_test_setup_teardown(test_fraction_deterministic,
                                        setup_policy, teardown_policy),
        cmocka_unit_test_setup_teardown(test_regions_events, setup_policy,
                                        teardown_policy),
        cmocka_unit_test_setup_teardown(test_set_limit, setup_policy,
                                        teardown_policy),
        cmocka_unit_test_setup_teardown(test_too_large, setup_policy,
                                        teardown_policy),
        cmocka_unit_test_setup_teardown(test_headers_and_retry, setup_policy,
                                        teardown_policy),
        cmocka_unit_test_setup_teardown(test_totals, setup_policy,
                                        teardown_policy),
        cmocka_unit_test(test_new_errors),
        cmocka_unit_test_setup_teardown(test_credit_total_running, setup_policy,
                                        teardown_policy),
        cmocka_unit_test(test_limit_remaining_sampled),
    };
    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
        tests[n++] = fixed[i];
    return cmocka_run_group_tests(tests, NULL, NULL);
}

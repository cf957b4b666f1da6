/*
 * policy_events.c - applying scenario events to the policy state, the
 * capacity factor, and read-only introspection (serve's /tollgate/state,
 * the time-series gauges).
 *
 * Invariants:
 * - Which accounts an event's fraction hits is a pure function of (seed,
 *   event index, occurrence, account): no RNG stream is advanced, so the
 *   choice does not depend on traffic, sharding or call order, and the
 *   end of an event recomputes exactly the set its start chose.
 * - Event bans, suspensions, key revocations and billing failures use
 *   their own flags, so ending an event never lifts a moderation ban.
 * - Events run O(accounts of the population); introspection totals run
 *   O(accounts).  Neither is on the per-request path.  The time-series
 *   gauges do not walk the accounts: credit is kept summed as it changes
 *   (policy_account.c), limiter headroom is sampled from a bounded, fixed
 *   set of accounts.
 *
 * The engine (sim, serve) decides when starts and ends happen; nothing
 * here schedules anything.
 */
#include "core/model/policy.h"

#include <stdlib.h>
#include <string.h>

#include "core/model/policy_impl.h"

typedef void acct_fn(struct policy *p, int64_t account, struct acct *a,
                     const struct scn_event *ev, int64_t now_ns, bool start);

static bool selected(const struct policy *p, int ev, uint32_t occ,
                     int64_t account, double fraction)
{
    if (fraction >= 1)
        return true;
    if (fraction <= 0)
        return false;
    uint64_t h = rng_mix64(p->seed ^ 0x5851f42d4c957f2dULL);
    h = rng_mix64(h ^ ((uint64_t)ev * RNG_GOLDEN + occ));
    h = rng_mix64(h ^ ((uint64_t)account * 0xd1342543de82ef95ULL));
    return (double)(h >> 11) * 0x1.0p-53 < fraction;
}

static void for_selected(struct policy *p, const struct scn_event *ev, int idx,
                         uint32_t occ, int64_t now_ns, bool start, acct_fn *fn)
{
    const struct scenario *sc = p->sc;
    for (size_t pop = 0; pop < sc->n_pops; pop++) {
        if (ev->population >= 0 && (size_t)ev->population != pop)
            continue;
        const struct scn_population *sp = &sc->pops[pop];
        for (int64_t a = sp->first_account; a < sp->first_account + sp->count;
             a++) {
            if (selected(p, idx, occ, a, ev->fraction))
                fn(p, a, policy_acct(p, a, (int)pop), ev, now_ns, start);
        }
    }
}

/* ---- per-account event actions ---------------------------------------------
 */

static void set_flag(struct acct *a, uint32_t f, bool on)
{
    a->flags = on ? a->flags | f : a->flags & ~f;
}

static void do_ban(struct policy *p, int64_t account, struct acct *a,
                   const struct scn_event *ev, int64_t now_ns, bool start)
{
    (void)p, (void)account, (void)ev, (void)now_ns;
    set_flag(a, ACCT_EV_BANNED, start);
}

static void do_suspend(struct policy *p, int64_t account, struct acct *a,
                       const struct scn_event *ev, int64_t now_ns, bool start)
{
    (void)p, (void)account;
    if (!start) {
        a->ev_susp_until_ns = 0;
        set_flag(a, ACCT_EV_SUSP, false);
    } else if (ev->for_ns > 0) {
        int64_t until = now_ns > POLICY_NEVER - ev->for_ns
                            ? POLICY_NEVER
                            : now_ns + ev->for_ns;
        if (until > a->ev_susp_until_ns)
            a->ev_susp_until_ns = until;
    } else {
        set_flag(a, ACCT_EV_SUSP, true);
    }
}

static void do_revoke_keys(struct policy *p, int64_t account, struct acct *a,
                           const struct scn_event *ev, int64_t now_ns,
                           bool start)
{
    (void)p, (void)account, (void)ev, (void)now_ns;
    set_flag(a, ACCT_KEY_REVOKED, start);
    if (start)
        a->key_gen++;
}

static void do_billing(struct policy *p, int64_t account, struct acct *a,
                       const struct scn_event *ev, int64_t now_ns, bool start)
{
    (void)p, (void)account, (void)ev, (void)now_ns;
    set_flag(a, ACCT_BILLING, start);
}

static void do_permission(struct policy *p, int64_t account, struct acct *a,
                          const struct scn_event *ev, int64_t now_ns,
                          bool start)
{
    (void)a, (void)now_ns;
    uint64_t *w = &p->perm[(size_t)account * p->perm_words];
    size_t n = p->sc->policy.n_models;
    for (size_t m = 0; m < n; m++) {
        if (ev->model >= 0 && (size_t)ev->model != m)
            continue;
        uint64_t bit = 1ULL << (m % 64);
        w[m / 64] = start ? w[m / 64] | bit : w[m / 64] & ~bit;
    }
}

/* ---- global event actions -------------------------------------------------
 */

static void active_prune(struct policy *p, int64_t now_ns)
{
    size_t j = 0;
    for (size_t i = 0; i < p->n_active; i++)
        if (p->active[i].until_ns > now_ns)
            p->active[j++] = p->active[i];
    p->n_active = j;
}

static void active_start(struct policy *p, const struct scn_event *ev, int idx,
                         int64_t now_ns)
{
    active_prune(p, now_ns);
    if (p->n_active == p->cap_active) {
        p->cap_active = p->cap_active ? p->cap_active * 2 : 8;
        p->active = xrealloc(p->active, p->cap_active * sizeof(*p->active));
    }
    struct active_ev *e = &p->active[p->n_active++];
    e->ev = idx;
    e->kind = (int)ev->kind;
    e->capacity = ev->kind == EV_MAINTENANCE ? 0 : ev->capacity;
    e->until_ns = ev->for_ns > 0 && now_ns <= POLICY_NEVER - ev->for_ns
                      ? now_ns + ev->for_ns
                      : POLICY_NEVER;
}

/* Ends the oldest active occurrence of event idx. */
static void active_end(struct policy *p, int idx)
{
    for (size_t i = 0; i < p->n_active; i++) {
        if (p->active[i].ev != idx)
            continue;
        memmove(&p->active[i], &p->active[i + 1],
                (p->n_active - i - 1) * sizeof(*p->active));
        p->n_active--;
        return;
    }
}

static void regions_set(struct policy *p, const struct scn_event *ev, bool on)
{
    for (size_t i = 0; i < ev->n_regions; i++) {
        int r = ev->regions[i];
        if (r < 0 || (size_t)r >= p->sc->n_regions)
            continue;
        uint64_t bit = 1ULL << (r % 64);
        p->blocked[r / 64] =
            on ? p->blocked[r / 64] | bit : p->blocked[r / 64] & ~bit;
    }
}

static void feature_set(struct policy *p, const struct scn_event *ev,
                        int64_t now_ns, bool start)
{
    int64_t until = POLICY_NEVER;
    if (ev->for_ns > 0 && now_ns <= POLICY_NEVER - ev->for_ns)
        until = now_ns + ev->for_ns;
    for (size_t m = 0; m < p->sc->policy.n_models; m++)
        if (ev->model < 0 || (size_t)ev->model == m)
            p->model_until_ns[m] = start ? until : 0;
    if (start)
        p->any_model_suspended = true;
}

/* Rebuilds the conf of (tier, limit) with amount and carries every state
 * of that limit over to it. */
static void limit_set(struct policy *p, int t, int i, int64_t amount,
                      int64_t now_ns)
{
    const struct scn_limit *l = &p->sc->policy.tiers[t].limits[i];
    struct lim_conf *cur = &p->conf[t * p->L + i];
    int64_t burst = cur->burst;
    if (l->algorithm == LIM_TOKEN_BUCKET && cur->burst == cur->amount)
        burst = amount; /* a defaulted burst follows the amount */
    struct lim_conf nc;
    if (lim_conf_make(&nc, l->algorithm, l->kind, amount, l->per_ns, burst,
                      l->count_denied) != ERR_OK)
        return;
    nc.delay_ms = cur->delay_ms; /* a new rate, the same delay= */
    for (int64_t a = 0; a < p->n_accounts; a++)
        if ((p->acct[a].flags & ACCT_LIVE) && p->acct[a].tier == t)
            lim_state_rescale(cur, &nc, &p->states[a * p->L + i], now_ns);
    lim_state_rescale(cur, &nc, &p->global[t * p->L + i], now_ns);
    for (size_t k = 0; k < p->src.cap; k++) {
        struct smap_entry *e = &p->src.e[k];
        if (e->used && e->slot == t * p->L + i)
            lim_state_rescale(cur, &nc, &e->v.st, now_ns);
    }
    *cur = nc;
}

static void set_limit(struct policy *p, const struct scn_event *ev,
                      int64_t now_ns, bool start)
{
    if (ev->tier < 0 || (size_t)ev->tier >= p->sc->policy.n_tiers ||
        ev->limit < 0 ||
        (size_t)ev->limit >= p->sc->policy.tiers[ev->tier].n_limits)
        return;
    const struct scn_limit *l =
        &p->sc->policy.tiers[ev->tier].limits[ev->limit];
    limit_set(p, ev->tier, ev->limit, start ? ev->amount : l->amount, now_ns);
}

/* ---- event entry points ----------------------------------------------------
 */

static acct_fn *acct_action(enum scn_event_kind k)
{
    switch (k) {
    case EV_BAN: return do_ban;
    case EV_SUSPEND: return do_suspend;
    case EV_REVOKE_KEYS: return do_revoke_keys;
    case EV_BILLING_FAILURE: return do_billing;
    case EV_REVOKE_PERMISSION: return do_permission;
    default: return NULL;
    }
}

static void apply(struct policy *p, const struct scn_event *ev, int idx,
                  uint32_t occ, int64_t now_ns, bool start)
{
    acct_fn *fn = acct_action(ev->kind);
    if (fn) {
        if (ev->kind == EV_REVOKE_PERMISSION && p->perm == NULL)
            p->perm = xcalloc((size_t)p->n_accounts * p->perm_words,
                              sizeof(*p->perm));
        for_selected(p, ev, idx, occ, now_ns, start, fn);
        return;
    }
    switch (ev->kind) {
    case EV_OUTAGE:
    case EV_MAINTENANCE:
    case EV_UPGRADE:
        if (start)
            active_start(p, ev, idx, now_ns);
        else
            active_end(p, idx);
        break;
    case EV_BLOCK_REGION: regions_set(p, ev, start); break;
    case EV_UNBLOCK_REGION: regions_set(p, ev, !start); break;
    case EV_SUSPEND_FEATURE: feature_set(p, ev, now_ns, start); break;
    case EV_SET_LIMIT: set_limit(p, ev, now_ns, start); break;
    default: break;
    }
}

/* The occurrence counter of event id; the array grows for events added
 * at run time. */
static uint32_t *occ_of(struct policy *p, uint32_t id)
{
    if (id >= p->n_ev_occ) {
        size_t n = p->n_ev_occ ? p->n_ev_occ : 16;
        while (n <= id)
            n *= 2;
        p->ev_occ = xrealloc(p->ev_occ, n * sizeof(*p->ev_occ));
        memset(p->ev_occ + p->n_ev_occ, 0,
               (n - p->n_ev_occ) * sizeof(*p->ev_occ));
        p->n_ev_occ = n;
    }
    return &p->ev_occ[id];
}

void policy_event_start(struct policy *p, const struct scn_event *ev,
                        uint32_t id, int64_t now_ns)
{
    uint32_t *occ = occ_of(p, id);
    apply(p, ev, (int)id, (*occ)++, now_ns, true);
}

void policy_event_end(struct policy *p, const struct scn_event *ev, uint32_t id,
                      int64_t now_ns)
{
    uint32_t *occ = occ_of(p, id);
    apply(p, ev, (int)id, *occ ? *occ - 1 : 0, now_ns, false);
}

double policy_capacity_factor(const struct policy *p, int64_t now_ns)
{
    double cap[3] = { 1, 1, 1 };
    for (size_t i = 0; i < p->n_active; i++) {
        const struct active_ev *e = &p->active[i];
        if (e->until_ns <= now_ns)
            continue;
        int k = e->kind == EV_MAINTENANCE ? 0 : e->kind == EV_UPGRADE ? 1 : 2;
        double c = e->capacity < 0 ? 0 : e->capacity;
        if (c < cap[k])
            cap[k] = c;
    }
    return cap[0] * cap[1] * cap[2];
}

/* ---- introspection --------------------------------------------------------
 */

static int64_t account_in_flight(const struct policy *p, int64_t account,
                                 const struct acct *a)
{
    const struct tier_rt *rt = &p->tiers[a->tier];
    for (int i = 0; i < rt->n_limits; i++)
        if (((rt->conc_mask >> i) & 1) && rt->scope[i] != SCOPE_GLOBAL &&
            rt->scope[i] != SCOPE_SOURCE && (a->flags & ACCT_LIVE))
            return p->states[account * p->L + i].cc.in_flight;
    return 0;
}

void policy_account(const struct policy *p, int64_t account, int64_t now_ns,
                    struct policy_account_info *out)
{
    struct acct tmp;
    const struct acct *a = policy_acct_view(p, account, &tmp);
    const struct scn_policy *pol = &p->sc->policy;
    memset(out, 0, sizeof(*out));
    out->tier = a->tier;
    out->grant_pusd = now_ns < a->grant_expires_ns ? a->grant_pusd : 0;
    out->prepaid_pusd = a->prepaid_pusd;
    out->credit_pusd = policy_credit_of(a, now_ns);
    out->spend_month_pusd = policy_month_spend(a, now_ns);
    out->spend_total_pusd = a->spend_pusd;
    out->in_flight = account_in_flight(p, account, a);
    out->banned = (a->flags & (ACCT_BANNED | ACCT_EV_BANNED)) != 0;
    out->suspended = a->mod_susp_until_ns > now_ns ||
                     a->ev_susp_until_ns > now_ns || (a->flags & ACCT_EV_SUSP);
    out->inactive = pol->has_inactivity &&
                    now_ns - a->last_used_ns > pol->inactivity_expire_after_ns;
    out->billing_failed = (a->flags & ACCT_BILLING) != 0;
    out->key_revoked = (a->flags & ACCT_KEY_REVOKED) != 0;
    out->strikes = policy_strikes_in_window(p, a, now_ns);
}

void policy_totals(const struct policy *p, int64_t now_ns,
                   struct policy_totals *out)
{
    memset(out, 0, sizeof(*out));
    for (int64_t a = 0; a < p->n_accounts; a++) {
        struct policy_account_info i;
        policy_account(p, a, now_ns, &i);
        if (p->sc->policy.tiers[i.tier].has_credit)
            out->credit_pusd += i.credit_pusd;
        out->accounts_banned += i.banned;
        out->accounts_suspended += i.suspended;
        out->accounts_inactive += i.inactive;
        out->accounts_billing += i.billing_failed;
        out->accounts_revoked += i.key_revoked;
        out->in_flight += i.in_flight;
    }
    for (size_t k = 0; k < p->src.cap; k++) {
        const struct smap_entry *e = &p->src.e[k];
        out->sources_locked += e->used && e->slot == POLICY_LOCK_SLOT &&
                               e->v.lock.locked_until_ns > now_ns;
    }
}

static int primary(const struct tier_rt *rt, enum limit_kind kind)
{
    return kind == LIMIT_TOKENS     ? rt->tok_limit
           : kind == LIMIT_REQUESTS ? rt->req_limit
                                    : -1;
}

/* The state limit i of tier t has for account (source = account id). */
static const union lim_state *state_view(const struct policy *p, int t, int i,
                                         int64_t account, const struct acct *a)
{
    static const union lim_state fresh;
    switch (p->tiers[t].scope[i]) {
    case SCOPE_GLOBAL: return &p->global[t * p->L + i];
    case SCOPE_SOURCE: {
        const struct smap_entry *e =
            policy_smap_find(&p->src, account, t * p->L + i);
        return e ? &e->v.st : &fresh;
    }
    default:
        return (a->flags & ACCT_LIVE) ? &p->states[account * p->L + i] : &fresh;
    }
}

int64_t policy_limit_remaining(const struct policy *p, int64_t account,
                               enum limit_kind kind, int64_t now_ns)
{
    struct acct tmp;
    const struct acct *a = policy_acct_view(p, account, &tmp);
    int i = primary(&p->tiers[a->tier], kind);
    if (i < 0)
        return -1;
    const struct lim_conf *c = &p->conf[a->tier * p->L + i];
    return lim_remaining(c, state_view(p, a->tier, i, account, a), now_ns);
}

/* Account a's part of a headroom sum: SHARE_OWN with *rem its remaining
 * in its tier's first limit of `kind`; SHARE_GLOBAL with *rem the
 * tier-wide limit's remaining, the first time that tier is met (seen[],
 * one flag per tier); SHARE_NONE when the tier has no such limit or its
 * global one was already counted. */
enum share { SHARE_NONE, SHARE_OWN, SHARE_GLOBAL };

static enum share headroom_of(const struct policy *p, int64_t a,
                              enum limit_kind kind, int64_t now_ns, bool *seen,
                              int64_t *rem)
{
    struct acct tmp;
    const struct acct *ac = policy_acct_view(p, a, &tmp);
    int i = primary(&p->tiers[ac->tier], kind);
    if (i < 0)
        return SHARE_NONE;
    bool global = p->tiers[ac->tier].scope[i] == SCOPE_GLOBAL;
    if (global && seen[ac->tier])
        return SHARE_NONE;
    seen[ac->tier] |= global;
    *rem = policy_limit_remaining(p, a, kind, now_ns);
    return global ? SHARE_GLOBAL : SHARE_OWN;
}

int64_t policy_limit_remaining_total(const struct policy *p,
                                     enum limit_kind kind, int64_t now_ns)
{
    int64_t sum = 0, rem;
    size_t nt = p->sc->policy.n_tiers;
    bool *seen = xcalloc(nt, sizeof(*seen)); /* global limit counted once */
    for (int64_t a = 0; a < p->n_accounts; a++)
        if (headroom_of(p, a, kind, now_ns, seen, &rem) != SHARE_NONE)
            sum += rem;
    free(seen);
    return sum;
}

int64_t policy_credit_total(const struct policy *p, int64_t now_ns)
{
    const struct credit_sums *c = &p->credit;
    policy_i128 sum = c->prepaid_pusd + c->never_pusd;
    for (size_t i = 0; i < c->cap; i++)
        if (c->v[i].expires_ns != COHORT_EMPTY && c->v[i].expires_ns > now_ns)
            sum += c->v[i].sum_pusd;
    if (sum > INT64_MAX)
        return INT64_MAX;
    return sum < INT64_MIN ? INT64_MIN : (int64_t)sum;
}

/* Population pop's share of policy_limit_remaining_sampled: k of its
 * accounts, evenly spaced (the middle of k equal slices), each standing
 * for count / k; a tier's global limit is added once (seen[]). */
static double sample_pop(const struct policy *p, size_t pop, int64_t k,
                         enum limit_kind kind, int64_t now_ns, bool *seen)
{
    const struct scn_population *sp = &p->sc->pops[pop];
    double own = 0, shared = 0;
    for (int64_t j = 0; j < k; j++) {
        int64_t a = sp->first_account +
                    (int64_t)((2 * (policy_i128)j + 1) * sp->count / (2 * k));
        int64_t rem;
        enum share sh = headroom_of(p, a, kind, now_ns, seen, &rem);
        if (sh == SHARE_OWN)
            own += (double)rem;
        else if (sh == SHARE_GLOBAL)
            shared += (double)rem;
    }
    return own * ((double)sp->count / (double)k) + shared;
}

double policy_limit_remaining_sampled(const struct policy *p,
                                      enum limit_kind kind, int64_t now_ns)
{
    int64_t n = p->n_accounts;
    if (n <= POLICY_GAUGE_SAMPLE)
        return (double)policy_limit_remaining_total(p, kind, now_ns);
    bool *seen = xcalloc(p->sc->policy.n_tiers + 1, sizeof(*seen));
    double sum = 0;
    for (size_t pop = 0; pop < p->sc->n_pops; pop++) {
        int64_t c = p->sc->pops[pop].count;
        if (c <= 0)
            continue;
        int64_t k = (int64_t)((policy_i128)POLICY_GAUGE_SAMPLE * c / n);
        k = k < 1 ? 1 : k > c ? c : k;
        sum += sample_pop(p, pop, k, kind, now_ns, seen);
    }
    free(seen);
    return sum;
}

const struct lim_conf *policy_limit_conf(const struct policy *p, int tier,
                                         int limit)
{
    if (tier < 0 || (size_t)tier >= p->sc->policy.n_tiers || limit < 0 ||
        (size_t)limit >= p->sc->policy.tiers[tier].n_limits)
        return NULL;
    return &p->conf[tier * p->L + limit];
}

bool policy_region_blocked(const struct policy *p, int region)
{
    if (region < 0 || (size_t)region >= p->sc->n_regions)
        return false;
    return (p->blocked[region / 64] >> (region % 64)) & 1;
}

/*
 * policy.c - the decision pipeline: request + account state + now_ns ->
 * ok or the first failing check, in the fixed order of policy.h and
 * docs/policy-model.md; and the completion side (concurrency release,
 * credit charge, spend, automatic tier upgrades).
 *
 * Invariants:
 * - Nothing is allocated per decision.  The strike slab and the source
 *   map grow by doubling when a new account is struck or a new source
 *   fails a key / uses a scope: source limit (amortised, bounded by the
 *   number of distinct accounts and sources).
 * - Limits are two-phase: every limit of the tier is peeked first; they
 *   are charged only when the whole request is decided OK, except that a
 *   count_denied limit is charged for every request that reaches the
 *   limits stage.  An earlier limit is never charged for a request a
 *   later one rejects (nginx: "earlier zones not charged").
 * - Credit moves only in policy_complete, for requests whose final
 *   outcome is ok.  Denied requests cost nothing.
 * - Randomness (partial outages) is counter based: draw k of account a is
 *   a hash of (seed, a, k), so decisions do not depend on the order in
 *   which accounts are served.
 *
 * Events and introspection are in policy_events.c; account records,
 * strikes and the source map in policy_account.c.
 */
#include "core/model/policy.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "core/model/policy_impl.h"

static const union lim_state fresh_state;

_Static_assert(sizeof(struct acct) == 128, "two cache lines per account");

/* ---- helpers ------------------------------------------------------------ */

/* Uniform in [0, 1) from draw k of account a. */
static double draw(const struct policy *p, int64_t account, uint32_t k)
{
    uint64_t h = rng_mix64(p->seed + RNG_GOLDEN);
    h = rng_mix64(h ^ ((uint64_t)account * 0xd1342543de82ef95ULL));
    h = rng_mix64(h ^ ((uint64_t)k + 0x632be59bd9b4e019ULL));
    return (double)(h >> 11) * 0x1.0p-53;
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static int64_t add_sat(int64_t a, int64_t b)
{
    if (b > 0 && a > INT64_MAX - b)
        return INT64_MAX;
    return a + b;
}

/* ---- construction -------------------------------------------------------- */

static void tier_derive(struct policy *p, int t)
{
    const struct scn_tier *st = &p->sc->policy.tiers[t];
    const struct scn_policy *pol = &p->sc->policy;
    struct tier_rt *rt = &p->tiers[t];
    rt->n_limits = (int)st->n_limits;
    rt->req_limit = rt->tok_limit = -1;
    rt->abuse_max = -1;
    rt->has_credit = st->has_credit;
    rt->has_credit_or_cap = st->has_credit || st->has_usage_cap;
    for (int i = 0; i < rt->n_limits; i++) {
        const struct scn_limit *l = &st->limits[i];
        rt->scope[i] = (uint8_t)l->scope;
        if (l->kind == LIMIT_REQUESTS && rt->req_limit < 0)
            rt->req_limit = i;
        if (l->kind == LIMIT_TOKENS && rt->tok_limit < 0)
            rt->tok_limit = i;
        if (l->kind == LIMIT_CONCURRENT)
            rt->conc_mask |= 1u << i;
        else if (l->count_denied)
            rt->cd_mask |= 1u << i;
        if (l->scope == SCOPE_SOURCE)
            p->has_src_limits = true;
        if (l->scope == SCOPE_SOURCE || l->scope == SCOPE_GLOBAL)
            rt->shared_mask |= 1u << i;
        if (l->algorithm == LIM_SLIDING_WINDOW && l->kind != LIMIT_CONCURRENT)
            p->has_sw = true;
    }
    if (pol->has_abuse && rt->req_limit >= 0) {
        const struct scn_limit *l = &st->limits[rt->req_limit];
        double max = pol->abuse_factor * (double)l->amount *
                     (double)pol->abuse_window_ns / (double)l->per_ns;
        rt->abuse_max = max >= 9e18 ? INT64_MAX : (int64_t)max;
    }
}

static int build_confs(struct policy *p)
{
    const struct scn_policy *pol = &p->sc->policy;
    for (size_t t = 0; t < pol->n_tiers; t++) {
        for (size_t i = 0; i < pol->tiers[t].n_limits; i++) {
            int rc = lim_conf_init(&p->conf[t * (size_t)p->L + i],
                                   &pol->tiers[t].limits[i]);
            if (rc != ERR_OK)
                return rc;
        }
        tier_derive(p, (int)t);
    }
    return ERR_OK;
}

static void build_regions(struct policy *p)
{
    const struct scn_policy *pol = &p->sc->policy;
    p->region_words = (p->sc->n_regions + 63) / 64;
    p->blocked =
        xcalloc(p->region_words ? p->region_words : 1, sizeof(*p->blocked));
    for (size_t i = 0; i < pol->n_blocked_regions; i++) {
        int r = pol->blocked_regions[i];
        if (r >= 0 && (size_t)r < p->sc->n_regions)
            p->blocked[r / 64] |= 1ULL << (r % 64);
    }
}

int policy_new(const struct scenario *sc, uint64_t seed, struct policy **out)
{
    *out = NULL;
    size_t L = 1;
    for (size_t t = 0; t < sc->policy.n_tiers; t++) {
        if (sc->policy.tiers[t].n_limits > POLICY_MAX_LIMITS)
            return ERR_INVAL;
        if (sc->policy.tiers[t].n_limits > L)
            L = sc->policy.tiers[t].n_limits;
    }
    struct policy *p = xcalloc(1, sizeof(*p));
    p->sc = sc;
    p->seed = seed;
    p->n_accounts = sc->n_accounts;
    p->L = (int)L;
    size_t na = (size_t)sc->n_accounts, nt = sc->policy.n_tiers;
    p->acct = xcalloc(na, sizeof(*p->acct));
    p->states = xcalloc(na * L, sizeof(*p->states));
    p->global = xcalloc(nt * L, sizeof(*p->global));
    p->conf = xcalloc(nt * L, sizeof(*p->conf));
    p->tiers = xcalloc(nt, sizeof(*p->tiers));
    p->model_until_ns = xcalloc(sc->policy.n_models, sizeof(int64_t));
    p->n_ev_occ = sc->n_events + 1;
    p->ev_occ = xcalloc(p->n_ev_occ, sizeof(*p->ev_occ));
    p->perm_words = (sc->policy.n_models + 63) / 64;
    if (sc->policy.has_moderation) {
        int64_t k = sc->policy.mod_ban_after > sc->policy.mod_suspend_after
                        ? sc->policy.mod_ban_after
                        : sc->policy.mod_suspend_after;
        p->strike_k = k > 0 ? (size_t)k : 1;
    }
    build_regions(p);
    int rc = build_confs(p);
    if (rc != ERR_OK)
        goto fail;
    policy_credit_sums_init(p);
    *out = p;
    return ERR_OK;
fail:
    policy_free(p);
    return rc;
}

static void free_states(struct policy *p)
{
    const struct scn_policy *pol = &p->sc->policy;
    for (int64_t a = 0; a < p->n_accounts; a++) {
        if (!(p->acct[a].flags & ACCT_LIVE))
            continue;
        int t = p->acct[a].tier;
        for (size_t i = 0; i < pol->tiers[t].n_limits; i++)
            lim_state_fini(&p->states[a * p->L + (int64_t)i],
                           p->conf[t * p->L + (int)i].algo);
    }
    for (size_t t = 0; t < pol->n_tiers; t++)
        for (size_t i = 0; i < pol->tiers[t].n_limits; i++)
            lim_state_fini(&p->global[t * (size_t)p->L + i],
                           p->conf[t * (size_t)p->L + i].algo);
    for (size_t i = 0; i < p->src.cap; i++) {
        struct smap_entry *e = &p->src.e[i];
        if (e->used && e->slot >= 0)
            lim_state_fini(&e->v.st, p->conf[e->slot].algo);
    }
}

void policy_free(struct policy *p)
{
    if (p == NULL)
        return;
    if (p->has_sw && p->conf)
        free_states(p);
    free(p->src.e);
    free(p->credit.v);
    free(p->active);
    free(p->blocked);
    free(p->perm);
    free(p->strikes);
    free(p->ev_occ);
    free(p->model_until_ns);
    free(p->tiers);
    free(p->conf);
    free(p->global);
    free(p->states);
    free(p->acct);
    free(p);
}

/* ---- the checks before the limits -----------------------------------------
 */

static bool source_locked(const struct policy *p, int64_t src, int64_t now_ns)
{
    if (p->n_locks == 0)
        return false;
    const struct smap_entry *e =
        policy_smap_find(&p->src, src, POLICY_LOCK_SLOT);
    return e && e->v.lock.locked_until_ns > now_ns;
}

/* A bad-key attempt from src: failures are counted in a window that
 * starts at the first failure; reaching lockout.failures locks the source
 * for block_for and starts the count afresh. */
static void source_failed(struct policy *p, int64_t src, int64_t now_ns)
{
    const struct scn_policy *pol = &p->sc->policy;
    if (!pol->has_lockout || pol->lockout_failures <= 0)
        return;
    struct smap_entry *e = policy_smap_get(&p->src, src, POLICY_LOCK_SLOT);
    if (e->v.lock.fails == 0 && e->v.lock.window_start_ns == 0 &&
        e->v.lock.locked_until_ns == 0)
        p->n_locks++;
    if (e->v.lock.fails == 0 ||
        now_ns - e->v.lock.window_start_ns >= pol->lockout_window_ns) {
        e->v.lock.window_start_ns = now_ns;
        e->v.lock.fails = 0;
    }
    if (++e->v.lock.fails >= pol->lockout_failures) {
        e->v.lock.locked_until_ns = add_sat(now_ns, pol->lockout_block_for_ns);
        e->v.lock.fails = 0;
    }
}

static bool region_blocked(const struct policy *p, int region)
{
    if (region < 0 || (size_t)region >= p->sc->n_regions)
        return false;
    return (p->blocked[region / 64] >> (region % 64)) & 1;
}

static enum reason account_check(const struct policy *p, const struct acct *a,
                                 int64_t now_ns)
{
    if (a->flags & (ACCT_BANNED | ACCT_EV_BANNED))
        return REASON_ACCOUNT_BANNED;
    if (a->mod_susp_until_ns > now_ns || a->ev_susp_until_ns > now_ns ||
        (a->flags & ACCT_EV_SUSP))
        return REASON_ACCOUNT_SUSPENDED;
    const struct scn_policy *pol = &p->sc->policy;
    if (pol->has_inactivity &&
        now_ns - a->last_used_ns > pol->inactivity_expire_after_ns)
        return REASON_ACCOUNT_INACTIVE;
    if (a->flags & ACCT_BILLING)
        return REASON_BILLING;
    return REASON_OK;
}

static enum reason model_check(const struct policy *p, int64_t account,
                               int model, int64_t now_ns)
{
    if (model < 0 || (size_t)model >= p->sc->policy.n_models)
        return REASON_OK;
    if (p->perm) {
        uint64_t w = p->perm[(size_t)account * p->perm_words + model / 64];
        if ((w >> (model % 64)) & 1)
            return REASON_PERMISSION_REVOKED;
    }
    if (p->any_model_suspended && p->model_until_ns[model] > now_ns)
        return REASON_FEATURE_SUSPENDED;
    return REASON_OK;
}

/* maintenance -> upgrade -> outage.  A partial upgrade/outage (capacity c
 * in (0,1)) denies each request with probability 1 - c. */
static enum reason global_check(struct policy *p, struct acct *a,
                                int64_t account, int64_t now_ns, int64_t *retry)
{
    double cap[3] = { 1, 1, 1 };
    int64_t until[3] = { 0, 0, 0 };
    bool on[3] = { false, false, false };
    for (size_t i = 0; i < p->n_active; i++) {
        const struct active_ev *e = &p->active[i];
        if (e->until_ns <= now_ns)
            continue;
        int k = e->kind == EV_MAINTENANCE ? 0 : e->kind == EV_UPGRADE ? 1 : 2;
        on[k] = true;
        cap[k] = e->capacity < cap[k] ? e->capacity : cap[k];
        until[k] = e->until_ns > until[k] ? e->until_ns : until[k];
    }
    static const enum reason r[3] = { REASON_MAINTENANCE, REASON_UPGRADE,
                                      REASON_OUTAGE };
    for (int k = 0; k < 3; k++) {
        if (!on[k])
            continue;
        if (k > 0 && cap[k] > 0 && draw(p, account, a->draws++) < cap[k])
            continue;
        *retry = until[k] == POLICY_NEVER ? 0 : until[k] - now_ns;
        return r[k];
    }
    return REASON_OK;
}

/* Requests counted in aligned windows of abuse.window; more than the
 * tier's abuse_max in one window blocks the account for block_for. */
static enum reason abuse_check(struct policy *p, struct acct *a, int64_t now_ns,
                               int64_t *retry)
{
    const struct scn_policy *pol = &p->sc->policy;
    int64_t max = p->tiers[a->tier].abuse_max;
    if (max < 0)
        return REASON_OK;
    if (a->abuse_until_ns > now_ns) {
        *retry = a->abuse_until_ns - now_ns;
        return REASON_ABUSE_THROTTLE;
    }
    int64_t w =
        pol->abuse_window_ns > 0 ? floor_div(now_ns, pol->abuse_window_ns) : 0;
    if (w != a->abuse_window) {
        a->abuse_window = w;
        a->abuse_count = 0;
    }
    if (++a->abuse_count <= max)
        return REASON_OK;
    a->abuse_until_ns = add_sat(now_ns, pol->abuse_block_for_ns);
    *retry = a->abuse_until_ns - now_ns;
    return REASON_ABUSE_THROTTLE;
}

/* ---- limits ---------------------------------------------------------------
 */

/* The state of a scope: global or source limit; NULL for a source state
 * that does not exist yet unless insert. */
static union lim_state *shared_state(struct policy *p, int t, int i,
                                     int64_t src, bool insert)
{
    switch (p->tiers[t].scope[i]) {
    case SCOPE_GLOBAL: return &p->global[t * p->L + i];
    case SCOPE_SOURCE: {
        int32_t slot = t * p->L + i;
        struct smap_entry *e = insert ? policy_smap_get(&p->src, src, slot)
                                      : policy_smap_find(&p->src, src, slot);
        return e ? &e->v.st : NULL;
    }
    default: return NULL;
    }
}

/* The state of limit i of tier t for this request: the account's own
 * (the common case, inline) or a shared one. */
static inline union lim_state *state_of(struct policy *p, int t, int i,
                                        int64_t account, int64_t src,
                                        bool insert)
{
    if (!((p->tiers[t].shared_mask >> i) & 1))
        return &p->states[account * p->L + i];
    return shared_state(p, t, i, src, insert);
}

/* Asks every limit in order (lim_try: nothing changes yet); returns the
 * index of the first that denies, or -1, with the retry hint in *retry
 * and, for the limits that admit, their charged states in next[]. */
static int limits_try(struct policy *p, const struct acct *a,
                      const struct policy_req *rq, int64_t now_ns,
                      union lim_state *next, int64_t *retry)
{
    int t = a->tier;
    const struct tier_rt *rt = &p->tiers[t];
    const struct lim_conf *conf = &p->conf[t * p->L];
    union lim_state *own = &p->states[rq->account * p->L];
    int64_t tokens = rq->prompt_tokens + rq->completion_tokens;
    for (int i = 0; i < rt->n_limits; i++) {
        const union lim_state *s = &own[i];
        if ((rt->shared_mask >> i) & 1) {
            s = shared_state(p, t, i, rq->source, false);
            s = s ? s : &fresh_state;
        }
        int64_t cost = conf[i].kind == LIMIT_TOKENS ? tokens : 1;
        if (!lim_try(&conf[i], s, cost, now_ns, &next[i], retry)) {
            if (conf[i].kind == LIMIT_CONCURRENT)
                *retry = POLICY_CONCURRENCY_RETRY_NS;
            return i;
        }
    }
    return -1;
}

/* OK: installs next[] into every rate/token limit and takes the
 * concurrency slots, recording them in d.  Denied (next NULL): charges
 * the count_denied limits. */
static void limits_charge(struct policy *p, const struct acct *a,
                          const struct policy_req *rq, int64_t now_ns,
                          const union lim_state *next,
                          struct policy_decision *d)
{
    int t = a->tier;
    const struct tier_rt *rt = &p->tiers[t];
    const struct lim_conf *conf = &p->conf[t * p->L];
    union lim_state *own = &p->states[rq->account * p->L];
    int64_t tokens = rq->prompt_tokens + rq->completion_tokens;
    uint32_t all = rt->n_limits >= 32 ? ~0u : (1u << rt->n_limits) - 1;
    uint32_t mask = next ? all : rt->cd_mask;
    for (; mask != 0; mask &= mask - 1) {
        int i = __builtin_ctz(mask);
        union lim_state *s = &own[i];
        if ((rt->shared_mask >> i) & 1)
            s = shared_state(p, t, i, rq->source, true);
        int64_t cost = conf[i].kind == LIMIT_TOKENS ? tokens : 1;
        if ((rt->conc_mask >> i) & 1) {
            if (lim_acquire(&conf[i], s))
                d->ticket.held_mask |= 1u << i;
        } else if (next) {
            lim_commit(&conf[i], s, &next[i], cost, now_ns);
            int64_t hold = lim_delay_ns(&conf[i], s);
            if (hold > d->delay_ns)
                d->delay_ns = hold; /* nginx waits out the longest */
        } else {
            lim_charge(&conf[i], s, cost, now_ns);
        }
    }
}

static enum reason limit_reason(const struct lim_conf *c)
{
    if (c->kind == LIMIT_TOKENS)
        return REASON_TOKEN_LIMIT;
    return c->kind == LIMIT_CONCURRENT ? REASON_CONCURRENCY_LIMIT
                                       : REASON_RATE_LIMIT;
}

/* ---- after the limits ------------------------------------------------------
 */

static enum reason credit_check(const struct policy *p, const struct acct *a,
                                int64_t now_ns)
{
    if (!p->tiers[a->tier].has_credit_or_cap)
        return REASON_OK;
    const struct scn_tier *t = &p->sc->policy.tiers[a->tier];
    if (t->has_credit && policy_credit_of(a, now_ns) <= 0)
        return t->prepaid_pusd > 0 ? REASON_CREDITS_EXHAUSTED
                                   : REASON_FREE_TIER_EXHAUSTED;
    if (t->has_usage_cap) {
        if (policy_month_spend(a, now_ns) >= t->usage_cap_monthly_pusd)
            return REASON_USAGE_CAP;
    }
    return REASON_OK;
}

static void fill_hdr(struct policy *p, const struct acct *a, int i,
                     const struct policy_req *rq, int64_t now_ns,
                     struct policy_hdr *h)
{
    memset(h, 0, sizeof(*h));
    if (i < 0)
        return;
    const struct lim_conf *c = &p->conf[a->tier * p->L + i];
    const union lim_state *s =
        state_of(p, a->tier, i, rq->account, rq->source, false);
    struct lim_result r;
    lim_peek(c, s ? s : &fresh_state, 0, now_ns, &r);
    h->present = true;
    h->limit = c->amount;
    h->remaining = r.remaining;
    h->reset_ns = r.reset_ns;
}

/* ---- decide ----------------------------------------------------------------
 */

/* The checks up to (not including) the limits, in order. */
static enum reason pre_limits(struct policy *p, struct acct *a,
                              const struct policy_req *rq, int64_t now_ns,
                              int64_t *retry)
{
    enum reason r = account_check(p, a, now_ns);
    if (r == REASON_OK)
        r = model_check(p, rq->account, rq->model, now_ns);
    if (r == REASON_OK && p->n_active > 0)
        r = global_check(p, a, rq->account, now_ns, retry);
    if (r == REASON_OK)
        r = abuse_check(p, a, now_ns, retry);
    return r;
}

/* Limits, credit, moderation, bad request; charges the limits. */
static enum reason from_limits(struct policy *p, struct acct *a,
                               const struct policy_req *rq, int64_t now_ns,
                               struct policy_decision *d)
{
    enum reason r = REASON_OK;
    union lim_state next[POLICY_MAX_LIMITS];
    int deny = limits_try(p, a, rq, now_ns, next, &d->retry_after_ns);
    if (deny >= 0) {
        const struct lim_conf *c = &p->conf[a->tier * p->L + deny];
        d->limit = deny;
        d->requested = c->kind == LIMIT_TOKENS
                           ? rq->prompt_tokens + rq->completion_tokens
                           : 1;
        d->too_large = lim_too_large(c, d->requested);
        if (d->too_large)
            d->retry_after_ns = 0; /* no wait makes it pass */
        r = limit_reason(c);
    }
    if (r == REASON_OK)
        r = credit_check(p, a, now_ns);
    if (r == REASON_OK && rq->violation) {
        policy_strike(p, a, now_ns);
        r = REASON_POLICY_VIOLATION;
    }
    if (r == REASON_OK && rq->bad_request)
        r = REASON_BAD_REQUEST;
    const struct tier_rt *rt = &p->tiers[a->tier];
    if (r == REASON_OK) {
        limits_charge(p, a, rq, now_ns, next, d);
        d->ticket.tier = a->tier;
        d->ticket.epoch = a->epoch;
        a->last_used_ns = now_ns;
    } else if (rt->cd_mask) {
        limits_charge(p, a, rq, now_ns, NULL, d);
    }
    return r;
}

enum reason policy_decide(struct policy *p, const struct policy_req *rq,
                          int64_t now_ns, struct policy_decision *out)
{
    /* Field by field: a memset or compound literal of this 96-byte struct
     * compiles to rep stos, whose start-up cost showed as a fifth of this
     * function's time. */
    out->reason = REASON_OK;
    out->tier = -1;
    out->limit = -1;
    out->retry_after_ns = 0;
    out->too_large = false;
    out->requested = 0;
    out->delay_ns = 0;
    out->req = (struct policy_hdr){ 0 };
    out->tok = (struct policy_hdr){ 0 };
    out->ticket.tier = -1;
    out->ticket.held_mask = 0;
    out->ticket.epoch = 0;
    enum reason r = REASON_OK;
    if (source_locked(p, rq->source, now_ns))
        r = REASON_UNAUTHORIZED_LOCKOUT;
    else if (region_blocked(p, rq->region))
        r = REASON_REGION_BLOCKED;
    else if (rq->invalid_key) {
        source_failed(p, rq->source, now_ns);
        r = REASON_INVALID_KEY;
    }
    if (r != REASON_OK || rq->account < 0 || rq->account >= p->n_accounts) {
        out->reason = r != REASON_OK ? r : REASON_INVALID_KEY;
        return out->reason;
    }
    struct acct *a = policy_acct(p, rq->account, rq->pop);
    out->tier = a->tier;
    if (a->flags & ACCT_KEY_REVOKED)
        r = REASON_REVOKED_KEY;
    if (r == REASON_OK)
        r = pre_limits(p, a, rq, now_ns, &out->retry_after_ns);
    if (r == REASON_OK)
        r = from_limits(p, a, rq, now_ns, out);
    if (rq->want_headers) {
        fill_hdr(p, a, p->tiers[a->tier].req_limit, rq, now_ns, &out->req);
        fill_hdr(p, a, p->tiers[a->tier].tok_limit, rq, now_ns, &out->tok);
    }
    if (r != REASON_OK && !reason_retryable(r))
        out->retry_after_ns = 0;
    out->reason = r;
    return r;
}

void policy_prefetch(const struct policy *p, int64_t account)
{
#if defined(__GNUC__)
    if (account < 0 || account >= p->n_accounts)
        return;
    const char *a = (const char *)&p->acct[account];
    __builtin_prefetch(a);
    __builtin_prefetch(a + 64);
    __builtin_prefetch(&p->states[account * p->L]);
    __builtin_prefetch(&p->states[account * p->L + p->L - 1]);
#else
    (void)p, (void)account;
#endif
}

/* ---- complete
 * ---------------------------------------------------------------- */

static void release_slots(struct policy *p, const struct policy_req *rq,
                          const struct policy_ticket *t)
{
    for (uint32_t m = t->held_mask; m != 0; m &= m - 1) {
        int i = __builtin_ctz(m);
        union lim_state *s =
            state_of(p, t->tier, i, rq->account, rq->source, false);
        if (s)
            lim_release(s);
    }
}

/* Grant first (while unexpired), the rest from prepaid, which may go
 * below zero by the last request's cost.  The credit sums follow when the
 * tier has credit. */
static void charge(struct policy *p, struct acct *a, int64_t cost,
                   int64_t now_ns)
{
    bool counted = p->tiers[a->tier].has_credit;
    if (now_ns < a->grant_expires_ns && a->grant_pusd > 0) {
        int64_t take = cost < a->grant_pusd ? cost : a->grant_pusd;
        a->grant_pusd -= take;
        cost -= take;
        if (counted)
            policy_cohort_add(p, a->grant_expires_ns, -(policy_i128)take);
    }
    a->prepaid_pusd -= cost;
    if (counted)
        p->credit.prepaid_pusd -= cost;
}

static void spend(struct acct *a, int64_t cost, int64_t now_ns)
{
    if (now_ns >= a->month_end_ns ||
        now_ns < a->month_end_ns - POLICY_MONTH_NS) {
        /* a new month: the one holding now_ns, counted from creation */
        int64_t m = floor_div(now_ns - a->created_ns, POLICY_MONTH_NS);
        a->month_end_ns = a->created_ns + (m + 1) * POLICY_MONTH_NS;
        a->month_spend_pusd = 0;
    }
    a->month_spend_pusd = add_sat(a->month_spend_pusd, cost);
    a->spend_pusd = add_sat(a->spend_pusd, cost);
}

static void maybe_upgrade(struct policy *p, int64_t account, struct acct *a,
                          int64_t now_ns)
{
    const struct scn_policy *pol = &p->sc->policy;
    for (size_t guard = 0; guard < pol->n_tiers; guard++) {
        const struct scn_tier *t = &pol->tiers[a->tier];
        if (t->upgrade_to < 0 || t->upgrade_to == a->tier ||
            a->spend_pusd < t->upgrade_spend_pusd ||
            now_ns - a->created_ns < t->upgrade_after_ns)
            return;
        policy_set_tier(p, account, t->upgrade_to, now_ns);
    }
}

void policy_set_tier(struct policy *p, int64_t account, int t, int64_t now_ns)
{
    struct acct *a = policy_acct(p, account, -1);
    const struct scn_tier *old = &p->sc->policy.tiers[a->tier];
    const struct scn_tier *nt = &p->sc->policy.tiers[t];
    for (size_t i = 0; i < old->n_limits; i++)
        lim_state_fini(&p->states[account * p->L + (int64_t)i],
                       p->conf[a->tier * p->L + (int)i].algo);
    policy_credit_sums_add(p, a, -1);
    a->tier = t;
    a->epoch++;
    a->prepaid_pusd += nt->prepaid_pusd;
    if (nt->grant_pusd > 0) {
        int64_t left = now_ns < a->grant_expires_ns ? a->grant_pusd : 0;
        a->grant_pusd = left + nt->grant_pusd;
        a->grant_expires_ns = nt->grant_expires_ns > 0
                                  ? add_sat(now_ns, nt->grant_expires_ns)
                                  : POLICY_NEVER;
    }
    policy_credit_sums_add(p, a, +1);
}

void policy_complete(struct policy *p, const struct policy_req *rq,
                     const struct policy_ticket *t, int64_t now_ns,
                     enum reason final_outcome, int64_t completion_tokens_used)
{
    if (t->tier < 0)
        return;
    struct acct *a = policy_acct(p, rq->account, rq->pop);
    if (t->held_mask && t->epoch == a->epoch && t->tier == a->tier)
        release_slots(p, rq, t);
    if (final_outcome != REASON_OK || rq->model < 0 ||
        (size_t)rq->model >= p->sc->policy.n_models)
        return;
    const struct scn_model *m = &p->sc->policy.models[rq->model];
    int64_t cost = rq->prompt_tokens * m->input_pusd_per_token +
                   completion_tokens_used * m->output_pusd_per_token;
    charge(p, a, cost, now_ns);
    spend(a, cost, now_ns);
    maybe_upgrade(p, rq->account, a, now_ns);
}

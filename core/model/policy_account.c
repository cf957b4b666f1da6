/*
 * policy_account.c - account records (lazy initialisation from the
 * population, credit and month views), moderation strikes, and the source
 * map that holds lockout records and scope: source limiter states.
 *
 * Invariants:
 * - An account is initialised from its population the first time anything
 *   touches it (decide, complete, an event); until then its record is
 *   zero and policy_acct_view() shows what initialisation would give.
 * - Strike times are kept sorted, at most max(ban_after, suspend_after)
 *   per account, in a slab that grows only when a new account is struck.
 * - The source map is open addressing with linear probing, at most half
 *   full; an insert may move entries, so pointers into it are used at once.
 * - The credit sums (struct credit_sums) always equal policy_credit_of
 *   summed over the accounts on credit tiers, untouched accounts included
 *   at their initial balances: they start from the populations' initial
 *   state, and every write to a balance or a tier goes through
 *   policy_credit_sums_add / policy_cohort_add (policy.c).
 *
 * The decision order and the completion side are in policy.c.
 */
#include "core/model/policy.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "core/model/policy_impl.h"

static int64_t add_sat(int64_t a, int64_t b)
{
    if (b > 0 && a > INT64_MAX - b)
        return INT64_MAX;
    return a + b;
}

static int pop_of(const struct scenario *sc, int64_t account)
{
    size_t lo = 0, hi = sc->n_pops;
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (sc->pops[mid].first_account <= account)
            lo = mid;
        else
            hi = mid;
    }
    return (int)lo;
}

/* ---- accounts ------------------------------------------------------------ */

static void acct_fill(const struct policy *p, int pop, struct acct *a)
{
    const struct scn_population *sp = &p->sc->pops[pop];
    const struct scn_tier *t = &p->sc->policy.tiers[sp->tier];
    memset(a, 0, sizeof(*a));
    a->flags = ACCT_LIVE;
    a->tier = sp->tier;
    a->created_ns = -sp->idle_for_ns;
    a->last_used_ns = a->created_ns;
    a->grant_pusd = t->grant_pusd;
    a->grant_expires_ns = t->grant_expires_ns > 0
                              ? add_sat(a->created_ns, t->grant_expires_ns)
                              : POLICY_NEVER;
    a->prepaid_pusd = t->prepaid_pusd;
    a->abuse_window = -1;
}

static int pop_checked(const struct policy *p, int64_t account, int pop)
{
    const struct scenario *sc = p->sc;
    if (pop >= 0 && (size_t)pop < sc->n_pops &&
        account >= sc->pops[pop].first_account &&
        account < sc->pops[pop].first_account + sc->pops[pop].count)
        return pop;
    return pop_of(sc, account);
}

void policy_acct_init(struct policy *p, int64_t account, int pop)
{
    acct_fill(p, pop_checked(p, account, pop), &p->acct[account]);
}

const struct acct *policy_acct_view(const struct policy *p, int64_t account,
                                    struct acct *tmp)
{
    const struct acct *a = &p->acct[account];
    if (a->flags & ACCT_LIVE)
        return a;
    acct_fill(p, pop_of(p->sc, account), tmp);
    return tmp;
}

/* ---- source map (open addressing, linear probing) ------------------------ */

static size_t smap_hash(int64_t src, int32_t slot, size_t mask)
{
    return (size_t)rng_mix64((uint64_t)src * 31 + (uint64_t)(uint32_t)slot) &
           mask;
}

struct smap_entry *policy_smap_find(const struct smap *m, int64_t src,
                                    int32_t slot)
{
    if (m->n == 0)
        return NULL;
    size_t mask = m->cap - 1;
    for (size_t i = smap_hash(src, slot, mask);; i = (i + 1) & mask) {
        struct smap_entry *e = &m->e[i];
        if (!e->used)
            return NULL;
        if (e->src == src && e->slot == slot)
            return e;
    }
}

static void smap_grow(struct smap *m)
{
    struct smap old = *m;
    m->cap = old.cap ? old.cap * 2 : 64;
    m->e = xcalloc(m->cap, sizeof(*m->e));
    m->n = 0;
    for (size_t i = 0; i < old.cap; i++) {
        if (!old.e[i].used)
            continue;
        struct smap_entry *e = policy_smap_get(m, old.e[i].src, old.e[i].slot);
        *e = old.e[i];
    }
    free(old.e);
}

struct smap_entry *policy_smap_get(struct smap *m, int64_t src, int32_t slot)
{
    struct smap_entry *e = policy_smap_find(m, src, slot);
    if (e)
        return e;
    if ((m->n + 1) * 2 > m->cap)
        smap_grow(m);
    size_t mask = m->cap - 1;
    size_t i = smap_hash(src, slot, mask);
    while (m->e[i].used)
        i = (i + 1) & mask;
    e = &m->e[i];
    e->used = 1;
    e->src = src;
    e->slot = slot;
    m->n++;
    return e;
}

/* ---- credit sums (grant cohorts: open addressing on the expiry) --------- */

static struct grant_cohort *cohort_slot(struct credit_sums *c, int64_t t)
{
    size_t mask = c->cap - 1;
    size_t i = (size_t)rng_mix64((uint64_t)t) & mask;
    while (c->v[i].expires_ns != COHORT_EMPTY && c->v[i].expires_ns != t)
        i = (i + 1) & mask;
    return &c->v[i];
}

static void cohorts_grow(struct credit_sums *c)
{
    struct grant_cohort *old = c->v;
    size_t old_cap = c->cap;
    c->cap = old_cap ? old_cap * 2 : 8;
    c->v = xmalloc(c->cap * sizeof(*c->v));
    for (size_t i = 0; i < c->cap; i++)
        c->v[i].expires_ns = COHORT_EMPTY;
    for (size_t i = 0; i < old_cap; i++)
        if (old[i].expires_ns != COHORT_EMPTY)
            *cohort_slot(c, old[i].expires_ns) = old[i];
    free(old);
}

void policy_cohort_add(struct policy *p, int64_t expires_ns,
                       policy_i128 delta_pusd)
{
    struct credit_sums *c = &p->credit;
    if (expires_ns == POLICY_NEVER) {
        c->never_pusd += delta_pusd;
        return;
    }
    if (c->cap > 0 && c->v[c->last].expires_ns == expires_ns) {
        c->v[c->last].sum_pusd += delta_pusd;
        return;
    }
    if ((c->n + 1) * 2 > c->cap)
        cohorts_grow(c);
    struct grant_cohort *g = cohort_slot(c, expires_ns);
    if (g->expires_ns == COHORT_EMPTY) {
        g->expires_ns = expires_ns;
        g->sum_pusd = 0;
        c->n++;
    }
    g->sum_pusd += delta_pusd;
    c->last = (size_t)(g - c->v);
}

void policy_credit_sums_add(struct policy *p, const struct acct *a, int sign)
{
    if (!p->tiers[a->tier].has_credit)
        return;
    p->credit.prepaid_pusd += (policy_i128)sign * a->prepaid_pusd;
    if (a->grant_pusd != 0)
        policy_cohort_add(p, a->grant_expires_ns,
                          (policy_i128)sign * a->grant_pusd);
}

void policy_credit_sums_init(struct policy *p)
{
    for (size_t i = 0; i < p->sc->n_pops; i++) {
        const struct scn_population *sp = &p->sc->pops[i];
        if (sp->count <= 0 || !p->sc->policy.tiers[sp->tier].has_credit)
            continue;
        struct acct a; /* what every account of the population starts as */
        acct_fill(p, (int)i, &a);
        p->credit.prepaid_pusd += (policy_i128)sp->count * a.prepaid_pusd;
        if (a.grant_pusd != 0)
            policy_cohort_add(p, a.grant_expires_ns,
                              (policy_i128)sp->count * a.grant_pusd);
    }
}

/* ---- moderation strikes ----------------------------------------------------
 */

static int64_t *strike_slot(struct policy *p, struct acct *a)
{
    size_t w = p->strike_k + 1;
    if (a->strike_slot == 0) {
        if (p->strike_n == p->strike_cap) {
            p->strike_cap = p->strike_cap ? p->strike_cap * 2 : 16;
            p->strikes = xrealloc(p->strikes, p->strike_cap * w * 8);
        }
        memset(&p->strikes[p->strike_n * w], 0, w * 8);
        a->strike_slot = (uint32_t)++p->strike_n;
    }
    return &p->strikes[(a->strike_slot - 1) * w];
}

/* Drops strikes that left (now - window, now] (window 0: never). */
static void strikes_expire(const struct policy *p, int64_t *s, int64_t now_ns)
{
    int64_t window = p->sc->policy.mod_window_ns;
    int64_t n = s[0], k = 0;
    while (window > 0 && k < n && s[1 + k] <= now_ns - window)
        k++;
    if (k > 0)
        memmove(&s[1], &s[1 + k], (size_t)(n - k) * 8);
    s[0] = n - k;
}

void policy_strike(struct policy *p, struct acct *a, int64_t now_ns)
{
    const struct scn_policy *pol = &p->sc->policy;
    if (!pol->has_moderation)
        return;
    int64_t *s = strike_slot(p, a);
    strikes_expire(p, s, now_ns);
    if (s[0] == (int64_t)p->strike_k) {
        memmove(&s[1], &s[2], (p->strike_k - 1) * 8);
        s[0]--;
    }
    s[1 + s[0]++] = now_ns;
    if (pol->mod_ban_after > 0 && s[0] >= pol->mod_ban_after)
        a->flags |= ACCT_BANNED;
    else if (pol->mod_suspend_after > 0 && s[0] >= pol->mod_suspend_after)
        a->mod_susp_until_ns = add_sat(now_ns, pol->mod_suspend_for_ns);
}

uint32_t policy_strikes_in_window(const struct policy *p, const struct acct *a,
                                  int64_t now_ns)
{
    if (a->strike_slot == 0)
        return 0;
    const int64_t *s = &p->strikes[(a->strike_slot - 1) * (p->strike_k + 1)];
    int64_t window = p->sc->policy.mod_window_ns;
    uint32_t n = 0;
    for (int64_t k = 0; k < s[0]; k++)
        n += window <= 0 || s[1 + k] > now_ns - window;
    return n;
}

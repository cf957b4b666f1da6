/*
 * scenario_policy.c - the policy: section: tiers (limits, credit, usage
 * cap, upgrade), models (prices, service times), blocked regions,
 * moderation, abuse, lockout, inactivity, capacity, errors and network.
 *
 * Tier names are collected before any tier body is read so that
 * upgrade.to can name a later tier; upgrade cycles are rejected because a
 * promotion loop would never settle.  A scenario without tiers gets one
 * unlimited tier "default", one without models gets one free, instant
 * model "default", so the rest of tollgate can always index both.
 * Omitted sections keep their has_* flag false (see
 * docs/scenario-format.md).
 */
#include "core/scenario/scenario_int.h"

#include <stdlib.h>
#include <string.h>

#include "core/base/units.h"

#define COUNT_MAX 1000000000000000LL /* 1e15: no real limit is larger */

static const char *const policy_keys[] = { "tiers",      "models",   "regions",
                                           "moderation", "abuse",    "lockout",
                                           "inactivity", "capacity", "errors",
                                           "network",    NULL };
static const char *const tier_keys[] = { "limits", "credit", "usage_cap",
                                         "upgrade", NULL };
static const char *const limit_keys[] = {
    "name",  "requests",     "tokens", "concurrent", "per", "algorithm",
    "burst", "count_denied", "scope",  "delay",      NULL
};
static const char *const algo_names[] = { "token_bucket",    "leaky_bucket",
                                          "fixed_window",    "sliding_window",
                                          "sliding_counter", NULL };
static const char *const scope_names[] = { "account", "key", "source", "global",
                                           NULL };
static const char *const amount_keys[] = { "requests", "tokens", "concurrent",
                                           NULL };

/* The kind and amount of a limit; false when not exactly one is given. */
static bool limit_amount(struct scn_ctx *c, const struct ynode *n,
                         struct scn_limit *l)
{
    int found = 0;
    for (int k = 0; amount_keys[k]; k++) {
        const struct ynode *v = scn_map_get(n, amount_keys[k]);
        if (v == NULL)
            continue;
        if (found++ > 0) {
            scn_err(c, v, amount_keys[k],
                    "a limit counts one thing: give only one of requests:, "
                    "tokens: or concurrent:");
            return false;
        }
        l->kind = (enum limit_kind)k;
        scn_get_count(c, n, amount_keys[k], SCN_POS, COUNT_MAX, &l->amount);
    }
    if (found == 0)
        scn_err(c, n, NULL,
                "a limit needs one of requests:, tokens: or "
                "concurrent:");
    return found == 1;
}

static void limit_algo(struct scn_ctx *c, const struct ynode *n,
                       struct scn_limit *l)
{
    int algo = LIM_TOKEN_BUCKET;
    scn_get_enum(c, n, "algorithm", 0, algo_names, &algo);
    l->algorithm = (enum lim_algo)algo;
    l->burst = l->algorithm == LIM_TOKEN_BUCKET ? l->amount : 0;
    const struct ynode *burst = scn_map_get(n, "burst");
    if (burst && l->algorithm != LIM_TOKEN_BUCKET &&
        l->algorithm != LIM_LEAKY_BUCKET)
        scn_err(c, burst, "burst",
                "burst applies to token_bucket and leaky_bucket only");
    else
        scn_get_count(c, n, "burst",
                      l->algorithm == LIM_TOKEN_BUCKET ? SCN_POS : 0, COUNT_MAX,
                      &l->burst);
    const struct ynode *delay = scn_map_get(n, "delay");
    if (delay && l->algorithm != LIM_LEAKY_BUCKET)
        scn_err(c, delay, "delay",
                "delay applies to leaky_bucket only (nginx limit_req's "
                "delay=N; without it the limit answers at once, as "
                "nodelay does)");
    else if (delay)
        l->delays = scn_get_count(c, n, "delay", 0, COUNT_MAX, &l->delay);
    if (l->algorithm == LIM_LEAKY_BUCKET && l->per_ns != NS_PER_S &&
        l->per_ns != 60 * NS_PER_S && l->per_ns > 0)
        scn_err(c, scn_map_get(n, "per"), "per",
                "leaky_bucket reproduces nginx limit_req, whose rates are "
                "per second or per minute: use per: 1s or per: 1m");
}

static void conv_limit(struct scn_ctx *c, const struct ynode *n,
                       struct scn_limit *l)
{
    l->loc = n->loc;
    if (!scn_check_map(c, n, limit_keys))
        return;
    const struct ynode *name = scn_map_get(n, "name");
    if (name == NULL)
        scn_err(c, n, "name", "missing required key 'name' (e.g. rpm)");
    else if (scn_scalar(c, name, "a name")) {
        size_t mark = scn_path_key(c, "name");
        scn_check_name(c, name, name->str, l->name);
        scn_path_pop(c, mark);
    }
    if (!limit_amount(c, n, l))
        return;
    if (l->kind == LIMIT_CONCURRENT) {
        static const char *const bad[] = { "per", "algorithm", "burst", "delay",
                                           NULL };
        for (int k = 0; bad[k]; k++)
            if (scn_map_get(n, bad[k]))
                scn_err(c, scn_map_get(n, bad[k]), bad[k],
                        "a concurrent: limit counts requests in flight; it "
                        "takes no %s:",
                        bad[k]);
    } else {
        scn_get_duration(c, n, "per", SCN_REQ | SCN_POS, &l->per_ns);
        limit_algo(c, n, l);
    }
    scn_get_bool(c, n, "count_denied", 0, &l->count_denied);
    int scope = SCOPE_ACCOUNT;
    scn_get_enum(c, n, "scope", 0, scope_names, &scope);
    l->scope = (enum limit_scope)scope;
}

static void conv_limits(struct scn_ctx *c, const struct ynode *n,
                        struct scn_tier *t)
{
    if (n == NULL)
        return;
    size_t mark = scn_path_key(c, "limits");
    if (n->kind != YN_SEQ) {
        scn_err(c, n, NULL,
                "expected a list of limits such as "
                "[ { name: rpm, requests: 60, per: 1m } ]");
        scn_path_pop(c, mark);
        return;
    }
    if (n->n > SCN_MAX_LIMITS) {
        size_t m2 = scn_path_index(c, SCN_MAX_LIMITS);
        scn_err_toobig(c, n->vals[SCN_MAX_LIMITS], NULL,
                       "more than %d limits in one tier (the policy keeps a "
                       "state per account and limit): drop or merge limits",
                       SCN_MAX_LIMITS);
        scn_path_pop(c, m2);
    }
    t->limits = xcalloc(n->n, sizeof(*t->limits));
    t->n_limits = n->n;
    for (size_t i = 0; i < n->n; i++) {
        size_t m2 = scn_path_index(c, i);
        conv_limit(c, n->vals[i], &t->limits[i]);
        for (size_t j = 0; j < i; j++)
            if (t->limits[i].name[0] &&
                strcmp(t->limits[i].name, t->limits[j].name) == 0)
                scn_err(c, scn_map_get(n->vals[i], "name"), "name",
                        "limit name '%s' is used twice in this tier",
                        t->limits[i].name);
        scn_path_pop(c, m2);
    }
    scn_path_pop(c, mark);
}

static void conv_credit(struct scn_ctx *c, const struct ynode *tier,
                        struct scn_tier *t)
{
    static const char *const keys[] = { "grant", "expires", "prepaid", NULL };
    const struct ynode *n = scn_map_get(tier, "credit");
    if (n == NULL)
        return;
    size_t mark = scn_path_key(c, "credit");
    if (scn_check_map(c, n, keys)) {
        t->has_credit = true;
        scn_get_money(c, n, "grant", 0, &t->grant_pusd);
        scn_get_money(c, n, "prepaid", 0, &t->prepaid_pusd);
        if (scn_map_get(n, "expires") && !scn_map_get(n, "grant"))
            scn_err(c, scn_map_get(n, "expires"), "expires",
                    "expires applies to a free grant: add grant:");
        scn_get_duration(c, n, "expires", 0, &t->grant_expires_ns);
    }
    scn_path_pop(c, mark);
}

static void conv_upgrade(struct scn_ctx *c, const struct ynode *tier,
                         struct scn_tier *t, int self)
{
    static const char *const keys[] = { "to", "spend", "after", NULL };
    const struct ynode *n = scn_map_get(tier, "upgrade");
    if (n == NULL)
        return;
    size_t mark = scn_path_key(c, "upgrade");
    if (scn_check_map(c, n, keys)) {
        const struct ynode *to = scn_map_get(n, "to");
        if (to == NULL)
            scn_err(c, n, "to", "missing required key 'to' (a tier name)");
        else if (scn_scalar(c, to, "a tier name")) {
            t->upgrade_to = scn_tier_index(c->sc, to->str);
            if (t->upgrade_to < 0)
                scn_err(c, to, "to", "no tier named '%s'", to->str);
            else if (t->upgrade_to == self) {
                scn_err(c, to, "to", "a tier cannot upgrade to itself");
                t->upgrade_to = -1;
            }
        }
        scn_get_money(c, n, "spend", 0, &t->upgrade_spend_pusd);
        scn_get_duration(c, n, "after", 0, &t->upgrade_after_ns);
    }
    scn_path_pop(c, mark);
}

static void conv_tier(struct scn_ctx *c, const struct ynode *n,
                      struct scn_tier *t, int self)
{
    t->loc = n->loc;
    if (!scn_check_map(c, n, tier_keys))
        return;
    conv_limits(c, scn_map_get(n, "limits"), t);
    conv_credit(c, n, t);
    const struct ynode *cap = scn_map_get(n, "usage_cap");
    if (cap) {
        static const char *const keys[] = { "monthly", NULL };
        size_t mark = scn_path_key(c, "usage_cap");
        if (scn_check_map(c, cap, keys))
            t->has_usage_cap = scn_get_money(c, cap, "monthly", SCN_REQ,
                                             &t->usage_cap_monthly_pusd);
        scn_path_pop(c, mark);
    }
    conv_upgrade(c, n, t, self);
}

/* Follows upgrade.to from every tier; a tier met twice is a cycle. */
static void check_upgrade_cycles(struct scn_ctx *c, const struct ynode *n)
{
    const struct scn_policy *p = &c->sc->policy;
    for (size_t i = 0; i < p->n_tiers; i++) {
        int t = (int)i;
        for (size_t steps = 0; steps <= p->n_tiers && t >= 0; steps++)
            t = p->tiers[t].upgrade_to;
        if (t >= 0) {
            size_t mark = scn_path_key(c, p->tiers[i].name);
            scn_err(c, scn_map_get(n->vals[i], "upgrade"), "upgrade",
                    "tier upgrades form a cycle through '%s'",
                    p->tiers[i].name);
            scn_path_pop(c, mark);
            return;
        }
    }
}

static void conv_tiers(struct scn_ctx *c, const struct ynode *n)
{
    struct scn_policy *p = &c->sc->policy;
    size_t mark = scn_path_key(c, "tiers");
    if (n != NULL && n->kind != YN_MAP) {
        scn_err(c, n, NULL,
                "expected a mapping of tier names to tiers, "
                "e.g. free: { limits: [...] }");
        n = NULL;
    }
    size_t count = n && n->n ? n->n : 1;
    p->tiers = xcalloc(count, sizeof(*p->tiers));
    p->n_tiers = count;
    for (size_t i = 0; i < count; i++)
        p->tiers[i].upgrade_to = -1;
    if (n == NULL || n->n == 0) {
        strcpy(p->tiers[0].name, "default");
        scn_path_pop(c, mark);
        return;
    }
    for (size_t i = 0; i < n->n; i++)
        scn_check_name(c, n->keys[i], n->keys[i]->str, p->tiers[i].name);
    for (size_t i = 0; i < n->n; i++) {
        size_t m2 = scn_path_key(c, n->keys[i]->str);
        conv_tier(c, n->vals[i], &p->tiers[i], (int)i);
        scn_path_pop(c, m2);
    }
    check_upgrade_cycles(c, n);
    scn_path_pop(c, mark);
}

static void conv_model(struct scn_ctx *c, const struct ynode *n,
                       struct scn_model *m)
{
    static const char *const keys[] = { "input", "output", "service", NULL };
    static const char *const svc_keys[] = { "first_token", "per_token", NULL };
    m->loc = n->loc;
    if (!scn_check_map(c, n, keys))
        return;
    scn_get_price(c, n, "input", 0, &m->input_pusd_per_token);
    scn_get_price(c, n, "output", 0, &m->output_pusd_per_token);
    const struct ynode *svc = scn_map_get(n, "service");
    if (svc == NULL)
        return;
    size_t mark = scn_path_key(c, "service");
    if (scn_check_map(c, svc, svc_keys)) {
        scn_get_dist(c, svc, "first_token", 0, true, &m->first_token);
        scn_get_dist(c, svc, "per_token", 0, true, &m->per_token);
    }
    scn_path_pop(c, mark);
}

static void conv_models(struct scn_ctx *c, const struct ynode *n)
{
    struct scn_policy *p = &c->sc->policy;
    size_t mark = scn_path_key(c, "models");
    if (n != NULL && n->kind != YN_MAP) {
        scn_err(c, n, NULL,
                "expected a mapping of model names to models, "
                "e.g. mini: { input: 0.15/1M, output: 0.60/1M }");
        n = NULL;
    }
    size_t count = n && n->n ? n->n : 1;
    if (count > SCN_MAX_MODELS) {
        size_t m2 = scn_path_key(c, n->keys[SCN_MAX_MODELS]->str);
        scn_err_toobig(c, n->keys[SCN_MAX_MODELS], NULL,
                       "more than %d models (a revoke_permission event keeps "
                       "a bit per account and model): drop models the "
                       "populations do not use",
                       SCN_MAX_MODELS);
        scn_path_pop(c, m2);
    }
    p->models = xcalloc(count, sizeof(*p->models));
    p->n_models = count;
    if (n == NULL || n->n == 0) {
        strcpy(p->models[0].name, "default");
        scn_path_pop(c, mark);
        return;
    }
    for (size_t i = 0; i < n->n; i++) {
        scn_check_name(c, n->keys[i], n->keys[i]->str, p->models[i].name);
        size_t m2 = scn_path_key(c, n->keys[i]->str);
        conv_model(c, n->vals[i], &p->models[i]);
        scn_path_pop(c, m2);
    }
    scn_path_pop(c, mark);
}

static void conv_blocked(struct scn_ctx *c, const struct ynode *n)
{
    static const char *const keys[] = { "blocked", NULL };
    struct scn_policy *p = &c->sc->policy;
    size_t mark = scn_path_key(c, "regions");
    const struct ynode *b = scn_map_get(n, "blocked");
    if (scn_check_map(c, n, keys) && b) {
        size_t m2 = scn_path_key(c, "blocked");
        size_t count = b->kind == YN_SEQ ? b->n : 1;
        p->blocked_regions = xcalloc(count, sizeof(int));
        for (size_t i = 0; i < count; i++) {
            const struct ynode *v = b->kind == YN_SEQ ? b->vals[i] : b;
            int r = scn_region(c, v);
            if (r >= 0)
                p->blocked_regions[p->n_blocked_regions++] = r;
        }
        scn_path_pop(c, m2);
    }
    scn_path_pop(c, mark);
}

/* Enters an optional section; false (nothing to do) when absent. */
static bool section(struct scn_ctx *c, const struct ynode *policy,
                    const char *key, const char *const *keys,
                    const struct ynode **out, size_t *mark)
{
    *out = scn_map_get(policy, key);
    if (*out == NULL)
        return false;
    *mark = scn_path_key(c, key);
    if (scn_check_map(c, *out, keys))
        return true;
    scn_path_pop(c, *mark);
    return false;
}

static void conv_guards(struct scn_ctx *c, const struct ynode *pn)
{
    static const char *const mod_keys[] = { "suspend_after", "ban_after",
                                            "window", "suspend_for", NULL };
    static const char *const abuse_keys[] = { "factor", "window", "block_for",
                                              NULL };
    static const char *const lock_keys[] = { "failures", "window", "block_for",
                                             NULL };
    struct scn_policy *p = &c->sc->policy;
    const struct ynode *n;
    size_t mark;
    p->mod_window_ns = 30 * 86400 * NS_PER_S;
    p->mod_suspend_for_ns = 24 * 3600 * NS_PER_S;
    if (section(c, pn, "moderation", mod_keys, &n, &mark)) {
        p->has_moderation = true;
        scn_get_count(c, n, "suspend_after", 0, COUNT_MAX,
                      &p->mod_suspend_after);
        scn_get_count(c, n, "ban_after", 0, COUNT_MAX, &p->mod_ban_after);
        if (!scn_map_get(n, "suspend_after") && !scn_map_get(n, "ban_after"))
            scn_err(c, n, NULL,
                    "moderation needs suspend_after: or "
                    "ban_after: (strikes within window)");
        scn_get_duration(c, n, "window", SCN_POS, &p->mod_window_ns);
        scn_get_duration(c, n, "suspend_for", SCN_POS, &p->mod_suspend_for_ns);
        scn_path_pop(c, mark);
    }
    p->abuse_factor = 10;
    p->abuse_window_ns = 60 * NS_PER_S;
    p->abuse_block_for_ns = 15 * 60 * NS_PER_S;
    if (section(c, pn, "abuse", abuse_keys, &n, &mark)) {
        p->has_abuse = true;
        scn_get_number(c, n, "factor", SCN_POS, &p->abuse_factor);
        scn_get_duration(c, n, "window", SCN_POS, &p->abuse_window_ns);
        scn_get_duration(c, n, "block_for", SCN_POS, &p->abuse_block_for_ns);
        scn_path_pop(c, mark);
    }
    p->lockout_failures = 20;
    p->lockout_window_ns = 60 * NS_PER_S;
    p->lockout_block_for_ns = 15 * 60 * NS_PER_S;
    if (section(c, pn, "lockout", lock_keys, &n, &mark)) {
        p->has_lockout = true;
        scn_get_count(c, n, "failures", SCN_POS, COUNT_MAX,
                      &p->lockout_failures);
        scn_get_duration(c, n, "window", SCN_POS, &p->lockout_window_ns);
        scn_get_duration(c, n, "block_for", SCN_POS, &p->lockout_block_for_ns);
        scn_path_pop(c, mark);
    }
}

static void conv_service(struct scn_ctx *c, const struct ynode *pn)
{
    static const char *const inact_keys[] = { "expire_after", NULL };
    static const char *const cap_keys[] = { "servers", "queue", "queue_timeout",
                                            NULL };
    static const char *const err_keys[] = { "server_error", NULL };
    static const char *const net_keys[] = { "rtt", "failure", NULL };
    struct scn_policy *p = &c->sc->policy;
    const struct ynode *n;
    size_t mark;
    if (section(c, pn, "inactivity", inact_keys, &n, &mark)) {
        p->has_inactivity =
            scn_get_duration(c, n, "expire_after", SCN_REQ | SCN_POS,
                             &p->inactivity_expire_after_ns);
        scn_path_pop(c, mark);
    }
    if (section(c, pn, "capacity", cap_keys, &n, &mark)) {
        p->has_capacity = true;
        scn_get_count(c, n, "servers", SCN_REQ | SCN_POS, 10000000,
                      &p->cap_servers);
        scn_get_count(c, n, "queue", 0, 100000000, &p->cap_queue);
        scn_get_duration(c, n, "queue_timeout", 0, &p->cap_queue_timeout_ns);
        scn_path_pop(c, mark);
    }
    if (section(c, pn, "errors", err_keys, &n, &mark)) {
        scn_get_fraction(c, n, "server_error", 0, &p->server_error);
        scn_path_pop(c, mark);
    }
    if (section(c, pn, "network", net_keys, &n, &mark)) {
        scn_get_dist(c, n, "rtt", 0, true, &p->net_rtt);
        scn_get_fraction(c, n, "failure", 0, &p->net_failure);
        scn_path_pop(c, mark);
    }
}

void scn_conv_policy(struct scn_ctx *c, const struct ynode *n)
{
    size_t mark = scn_path_key(c, "policy");
    if (!scn_check_map(c, n, policy_keys))
        n = NULL;
    conv_tiers(c, scn_map_get(n, "tiers"));
    conv_models(c, scn_map_get(n, "models"));
    const struct ynode *regions = scn_map_get(n, "regions");
    if (regions)
        conv_blocked(c, regions);
    conv_guards(c, n);
    conv_service(c, n);
    scn_path_pop(c, mark);
}

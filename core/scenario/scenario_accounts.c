/*
 * scenario_accounts.c - the accounts: list of populations: size, tier,
 * region and model mixes, token sizes, fault shares, traffic (open-loop
 * phases or closed-loop users) and the client's timeout and retry policy.
 *
 * Populations get consecutive global account ids (first_account is the
 * running sum of counts), which is what sharding and per-account RNG
 * streams key on.  The sum is bounded by SCN_MAX_ACCOUNTS, closed-loop
 * users summed by SCN_MAX_USERS and the populations by SCN_MAX_POPS
 * (ERR_TOOBIG, located at the item that goes over).
 * A population without models: uses the only model; with several models
 * defined it must say which (docs/scenario-format.md).
 */
#include "core/scenario/scenario_int.h"

#include <errno.h>
#include <limits.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/base/units.h"

static const char *const pop_keys[] = {
    "name",    "count",    "tier",        "regions",   "models",
    "tokens",  "idle_for", "invalid_key", "violation", "bad_request",
    "traffic", "client",   NULL
};
static const char *const traffic_keys[] = { "arrival", "skew",  "phases",
                                            "users",   "think", "trace",
                                            NULL };
static const char *const trace_keys[] = { "file",  "format", "speed", "start",
                                          "scale", "jitter", NULL };
static const char *const trace_formats[] = { "auto", "csv", "jsonl", NULL };
static const char *const phase_keys[] = { "for", "rate", "diurnal", NULL };
static const char *const client_keys[] = { "timeout", "retry", NULL };
static const char *const retry_keys[] = { "max", "backoff", "base",
                                          "cap", "jitter",  "retry_after",
                                          NULL };
static const char *const arrival_names[] = { "poisson", "uniform", "closed",
                                             NULL };
static const char *const backoff_names[] = { "exponential", "constant",
                                             "linear", NULL };
static const char *const jitter_names[] = { "full", "equal", "none", "quarter",
                                            NULL };
/* In enum retry_after_kind order. */
static const char *const retry_after_names[] = { "ignore", "honor",
                                                 "honor_jitter", "openai",
                                                 NULL };

static int resolve_region(struct scn_ctx *c, const struct ynode *n,
                          const char *name)
{
    (void)name;
    return scn_region(c, n);
}

static int resolve_model(struct scn_ctx *c, const struct ynode *n,
                         const char *name)
{
    int m = scn_model_index(c->sc, name);
    if (m < 0) {
        const struct scn_policy *p = &c->sc->policy;
        const char *names[16];
        size_t k = 0;
        for (; k < p->n_models && k < 15; k++)
            names[k] = p->models[k].name;
        names[k] = NULL;
        const char *near = scn_suggest(name, names);
        if (near)
            scn_err(c, n, NULL, "no model named '%s'; did you mean '%s'?", name,
                    near);
        else
            scn_err(c, n, NULL, "no model named '%s' in policy.models", name);
    }
    return m;
}

static void conv_phase(struct scn_ctx *c, const struct ynode *n,
                       struct scn_phase *ph)
{
    static const char *const diurnal_keys[] = { "amplitude", "period", NULL };
    ph->loc = n->loc;
    ph->diurnal_period_ns = 86400 * NS_PER_S;
    if (!scn_check_map(c, n, phase_keys))
        return;
    scn_get_duration(c, n, "for", SCN_REQ | SCN_POS, &ph->for_ns);
    const struct ynode *r = scn_map_get(n, "rate");
    if (r == NULL) {
        scn_err(c, n, "rate",
                "missing required key 'rate' (e.g. 20/s or "
                "20/s..400/s)");
    } else {
        size_t mark = scn_path_key(c, "rate");
        const char *s = scn_scalar(c, r, "a rate such as 50/s");
        int rc =
            s ? units_parse_ramp(s, &ph->rate_from_per_s, &ph->rate_to_per_s)
              : ERR_OK;
        if (rc == ERR_PARSE)
            scn_err(c, r, NULL,
                    "expected a rate such as 50/s, 3/m, 200/d "
                    "or a ramp 50/s..500/s, got '%s'",
                    s);
        else if (rc != ERR_OK)
            scn_err(c, r, NULL, "rate '%s' is negative or too large", s);
        else if (ph->rate_from_per_s > 1e9 || ph->rate_to_per_s > 1e9)
            scn_err(c, r, NULL, "rate '%s' is above 1e9/s", s);
        scn_path_pop(c, mark);
    }
    const struct ynode *d = scn_map_get(n, "diurnal");
    if (d) {
        size_t mark = scn_path_key(c, "diurnal");
        if (scn_check_map(c, d, diurnal_keys)) {
            scn_get_fraction(c, d, "amplitude", SCN_REQ,
                             &ph->diurnal_amplitude);
            scn_get_duration(c, d, "period", SCN_POS, &ph->diurnal_period_ns);
        }
        scn_path_pop(c, mark);
    }
}

static void conv_phases(struct scn_ctx *c, const struct ynode *n,
                        struct scn_population *p)
{
    size_t mark = scn_path_key(c, "phases");
    if (n->kind != YN_SEQ || n->n == 0) {
        scn_err(c, n, NULL,
                "expected a list of phases such as "
                "[ { for: 30m, rate: 20/s } ]");
        scn_path_pop(c, mark);
        return;
    }
    p->phases = xcalloc(n->n, sizeof(*p->phases));
    p->n_phases = n->n;
    for (size_t i = 0; i < n->n; i++) {
        size_t m2 = scn_path_index(c, i);
        conv_phase(c, n->vals[i], &p->phases[i]);
        scn_path_pop(c, m2);
    }
    scn_path_pop(c, mark);
}

static void conv_skew(struct scn_ctx *c, const struct ynode *t,
                      struct scn_population *p)
{
    const struct ynode *n = scn_map_get(t, "skew");
    if (n == NULL)
        return;
    size_t mark = scn_path_key(c, "skew");
    const char *s = scn_scalar(c, n, "uniform or zipf(s)");
    struct dist d;
    if (s && strcmp(s, "uniform") == 0) {
        p->has_skew = false;
    } else if (s && units_parse_dist(s, false, &d) == ERR_OK &&
               d.kind == DIST_ZIPF) {
        p->has_skew = true;
        p->skew_s = d.a;
    } else if (s) {
        scn_err(c, n, NULL,
                "expected uniform or zipf(s) with s > 0, e.g. "
                "zipf(1.1); got '%s'",
                s);
    }
    scn_path_pop(c, mark);
}

/* file: relative to the scenario file's directory. */
static void resolve_trace_path(struct scn_ctx *c, char **path)
{
    const char *file = c->sc->file;
    const char *slash = file ? strrchr(file, '/') : NULL;
    if ((*path)[0] == '/' || slash == NULL)
        return;
    size_t dir_len = (size_t)(slash - file) + 1;
    size_t len = dir_len + strlen(*path) + 1;
    char *full = xmalloc(len);
    memcpy(full, file, dir_len);
    memcpy(full + dir_len, *path, strlen(*path) + 1);
    free(*path);
    *path = full;
}

/* The absolute path, so that results' scenario.yaml (written elsewhere)
 * still names the same file; unchanged when it does not resolve (the
 * caller reports the unreadable file). */
static void absolute_path(char **path)
{
    char cwd[PATH_MAX];
    if ((*path)[0] == '/' || getcwd(cwd, sizeof(cwd)) == NULL)
        return;
    const char *rel = *path;
    while (rel[0] == '.' && rel[1] == '/')
        rel += 2;
    size_t len = strlen(cwd) + 1 + strlen(rel) + 1;
    char *full = xmalloc(len);
    snprintf(full, len, "%s/%s", cwd, rel);
    free(*path);
    *path = full;
}

static void conv_trace(struct scn_ctx *c, const struct ynode *n,
                       struct scn_population *p)
{
    size_t mark = scn_path_key(c, "trace");
    struct scn_trace *t = &p->trace;
    p->has_trace = true;
    t->speed = 1;
    t->scale = 1;
    if (!scn_check_map(c, n, trace_keys)) {
        scn_path_pop(c, mark);
        return;
    }
    if (scn_get_string(c, n, "file", SCN_REQ, 4096, &t->path)) {
        resolve_trace_path(c, &t->path);
        absolute_path(&t->path);
        FILE *f = fopen(t->path, "r");
        if (f == NULL)
            scn_err(c, scn_map_get(n, "file"), "file",
                    "cannot read the trace '%s': %s", t->path, strerror(errno));
        else
            fclose(f);
    }
    scn_get_enum(c, n, "format", 0, trace_formats, &t->format);
    if (scn_get_number(c, n, "speed", 0, &t->speed) && !(t->speed > 0))
        scn_err(c, scn_map_get(n, "speed"), "speed",
                "expected a positive factor (2 = twice as fast)");
    scn_get_duration(c, n, "start", 0, &t->start_ns);
    scn_get_count(c, n, "scale", SCN_POS, SCN_MAX_TRACE_SCALE, &t->scale);
    scn_get_duration(c, n, "jitter", 0, &t->jitter_ns);
    scn_path_pop(c, mark);
}

static void conv_traffic(struct scn_ctx *c, const struct ynode *pn,
                         struct scn_population *p)
{
    const struct ynode *n = scn_map_get(pn, "traffic");
    if (n == NULL) {
        scn_err(c, pn, "traffic",
                "missing required key 'traffic' (phases: "
                "with rates, or arrival: closed with "
                "users:)");
        return;
    }
    size_t mark = scn_path_key(c, "traffic");
    if (!scn_check_map(c, n, traffic_keys)) {
        scn_path_pop(c, mark);
        return;
    }
    int arrival = ARRIVAL_POISSON;
    scn_get_enum(c, n, "arrival", 0, arrival_names, &arrival);
    p->arrival = (enum arrival_kind)arrival;
    conv_skew(c, n, p);
    const struct ynode *phases = scn_map_get(n, "phases");
    if (p->arrival == ARRIVAL_CLOSED) {
        if (scn_map_get(n, "trace"))
            scn_err(c, scn_map_get(n, "trace"), "trace",
                    "a closed loop is driven by users:, not by a trace");
        if (phases)
            scn_err(c, phases, "phases",
                    "a closed loop is driven by users: "
                    "and think:, not by phases");
        scn_get_count(c, n, "users", SCN_REQ | SCN_POS, SCN_MAX_USERS,
                      &p->users);
        scn_get_dist(c, n, "think", SCN_REQ, true, &p->think);
    } else {
        static const char *const closed_only[] = { "users", "think", NULL };
        for (int k = 0; closed_only[k]; k++)
            if (scn_map_get(n, closed_only[k]))
                scn_err(c, scn_map_get(n, closed_only[k]), closed_only[k],
                        "%s: belongs to a closed loop: add arrival: closed "
                        "(or use phases:)",
                        closed_only[k]);
        const struct ynode *trace = scn_map_get(n, "trace");
        if (trace && (scn_map_get(n, "arrival") || scn_map_get(n, "skew")))
            scn_err(c, trace, "trace",
                    "a replayed trace brings its own arrival times and "
                    "callers: drop arrival: and skew:");
        if (trace && phases)
            scn_err(c, trace, "trace",
                    "a population replays a trace or follows phases, not "
                    "both");
        else if (trace)
            conv_trace(c, trace, p);
        else if (phases)
            conv_phases(c, phases, p);
        else
            scn_err(c, n, "phases",
                    "missing required key 'phases' (open "
                    "loop); or use arrival: closed with "
                    "users:");
    }
    scn_path_pop(c, mark);
}

static void conv_client(struct scn_ctx *c, const struct ynode *pn,
                        struct scn_client *cl)
{
    cl->timeout_ns = 60 * NS_PER_S;
    cl->backoff_base_ns = 500 * NS_PER_MS;
    cl->backoff_cap_ns = 20 * NS_PER_S;
    cl->retry_after = RETRY_AFTER_OPENAI;
    const struct ynode *n = scn_map_get(pn, "client");
    if (n == NULL)
        return;
    size_t mark = scn_path_key(c, "client");
    const struct ynode *r = scn_map_get(n, "retry");
    if (scn_check_map(c, n, client_keys)) {
        scn_get_duration(c, n, "timeout", SCN_POS, &cl->timeout_ns);
        size_t m2 = scn_path_key(c, "retry");
        if (r && scn_check_map(c, r, retry_keys)) {
            int64_t max = 0;
            int backoff = 0, jitter = 0, ra = 0;
            if (scn_get_count(c, r, "max", 0, 100, &max))
                cl->retry_max = (int)max;
            if (scn_get_enum(c, r, "backoff", 0, backoff_names, &backoff))
                cl->backoff = (enum backoff_kind)backoff;
            scn_get_duration(c, r, "base", 0, &cl->backoff_base_ns);
            scn_get_duration(c, r, "cap", 0, &cl->backoff_cap_ns);
            if (scn_get_enum(c, r, "jitter", 0, jitter_names, &jitter))
                cl->jitter = (enum jitter_kind)jitter;
            if (scn_get_enum(c, r, "retry_after", 0, retry_after_names, &ra))
                cl->retry_after = (enum retry_after_kind)ra;
            if (cl->backoff_cap_ns < cl->backoff_base_ns)
                scn_err(c, scn_map_get(r, "cap"), "cap",
                        "cap is shorter than base");
        }
        scn_path_pop(c, m2);
    }
    scn_path_pop(c, mark);
}

static void conv_tokens(struct scn_ctx *c, const struct ynode *pn,
                        struct scn_population *p)
{
    static const char *const keys[] = { "prompt", "completion", NULL };
    const struct ynode *n = scn_map_get(pn, "tokens");
    if (n == NULL)
        return;
    size_t mark = scn_path_key(c, "tokens");
    if (scn_check_map(c, n, keys)) {
        scn_get_dist(c, n, "prompt", 0, false, &p->prompt_tokens);
        scn_get_dist(c, n, "completion", 0, false, &p->completion_tokens);
    }
    scn_path_pop(c, mark);
}

static void pop_tier(struct scn_ctx *c, const struct ynode *n,
                     struct scn_population *p)
{
    const struct scn_policy *pol = &c->sc->policy;
    const struct ynode *t = scn_map_get(n, "tier");
    p->tier = 0;
    if (t == NULL) {
        if (pol->n_tiers > 1)
            scn_err(c, n, "tier",
                    "policy has %zu tiers; say which one "
                    "this population is on with tier:",
                    pol->n_tiers);
        return;
    }
    size_t mark = scn_path_key(c, "tier");
    if (scn_scalar(c, t, "a tier name")) {
        p->tier = scn_tier_index(c->sc, t->str);
        if (p->tier < 0) {
            const char *names[16];
            size_t k = 0;
            for (; k < pol->n_tiers && k < 15; k++)
                names[k] = pol->tiers[k].name;
            names[k] = NULL;
            const char *near = scn_suggest(t->str, names);
            scn_err(c, t, NULL, "no tier named '%s'%s%s%s", t->str,
                    near ? "; did you mean '" : " in policy.tiers",
                    near ? near : "", near ? "'?" : "");
            p->tier = 0;
        }
    }
    scn_path_pop(c, mark);
}

static void pop_mixes(struct scn_ctx *c, const struct ynode *n,
                      struct scn_population *p)
{
    if (!scn_map_get(n, "regions") ||
        !scn_get_weights(c, n, "regions", "region", resolve_region,
                         &p->regions)) {
        scn_weights_fini(&p->regions);
        p->regions.index = xcalloc(1, sizeof(int)); /* region 0: ZZ */
        p->regions.cum = xmalloc(sizeof(double));
        p->regions.weight = xmalloc(sizeof(double));
        p->regions.cum[0] = p->regions.weight[0] = 1.0;
        p->regions.n = 1;
    }
    const struct scn_policy *pol = &c->sc->policy;
    if (scn_map_get(n, "models")) {
        scn_get_weights(c, n, "models", "model", resolve_model, &p->models);
    } else if (pol->n_models > 1) {
        scn_err(c, n, "models",
                "policy has %zu models; say which this "
                "population uses, e.g. models: { %s: 1 }",
                pol->n_models, pol->models[0].name);
    }
    if (p->models.n == 0) {
        p->models.index = xcalloc(1, sizeof(int));
        p->models.cum = xmalloc(sizeof(double));
        p->models.weight = xmalloc(sizeof(double));
        p->models.cum[0] = p->models.weight[0] = 1.0;
        p->models.n = 1;
    }
}

static void conv_pop(struct scn_ctx *c, const struct ynode *n,
                     struct scn_population *p)
{
    p->loc = n->loc;
    const struct ynode *name = scn_map_get(n, "name");
    if (name == NULL)
        scn_err(c, n, "name", "missing required key 'name'");
    else if (scn_scalar(c, name, "a name")) {
        size_t mark = scn_path_key(c, "name");
        scn_check_name(c, name, name->str, p->name);
        scn_path_pop(c, mark);
    }
    scn_get_count(c, n, "count", SCN_REQ | SCN_POS, SCN_MAX_ACCOUNTS,
                  &p->count);
    pop_tier(c, n, p);
    pop_mixes(c, n, p);
    conv_tokens(c, n, p);
    scn_get_duration(c, n, "idle_for", 0, &p->idle_for_ns);
    scn_get_fraction(c, n, "invalid_key", 0, &p->invalid_key);
    scn_get_fraction(c, n, "violation", 0, &p->violation);
    scn_get_fraction(c, n, "bad_request", 0, &p->bad_request);
    conv_traffic(c, n, p);
    conv_client(c, n, &p->client);
}

/* Closed-loop users summed over populations stay within SCN_MAX_USERS. */
static void check_users(struct scn_ctx *c, const struct ynode *n)
{
    struct scenario *sc = c->sc;
    int64_t sum = 0;
    for (size_t i = 0; i < sc->n_pops; i++) {
        const struct scn_population *p = &sc->pops[i];
        if (p->arrival != ARRIVAL_CLOSED)
            continue;
        if (p->users > SCN_MAX_USERS - sum) {
            size_t mark = scn_path_index(c, i);
            const struct ynode *tr = scn_map_get(n->vals[i], "traffic");
            scn_err_toobig(c, scn_map_get(tr, "users"), "traffic.users",
                           "more than %d closed-loop users in all populations "
                           "(each holds a request in flight): use fewer users "
                           "with a shorter think: for the same load",
                           SCN_MAX_USERS);
            scn_path_pop(c, mark);
            return;
        }
        sum += p->users;
    }
}

/* Accounts x the most limits any tier has stays within
 * SCN_MAX_LIMIT_STATES (policy_new allocates that many states). */
static void check_limit_states(struct scn_ctx *c, const struct ynode *n)
{
    const struct scenario *sc = c->sc;
    size_t most = 0, tier = 0;
    for (size_t t = 0; t < sc->policy.n_tiers; t++)
        if (sc->policy.tiers[t].n_limits > most) {
            most = sc->policy.tiers[t].n_limits;
            tier = t;
        }
    if (most == 0 || sc->n_accounts <= SCN_MAX_LIMIT_STATES / (int64_t)most)
        return;
    size_t last = sc->n_pops - 1, mark = scn_path_index(c, last);
    scn_err_toobig(c, scn_map_get(n->vals[last], "count"), "count",
                   "%" PRId64 " accounts x %zu limits (tier '%s' has the most) "
                   "need a limiter state each, more than %d: use at most "
                   "%" PRId64 " accounts or fewer limits in that tier",
                   sc->n_accounts, most, sc->policy.tiers[tier].name,
                   SCN_MAX_LIMIT_STATES,
                   (int64_t)(SCN_MAX_LIMIT_STATES / (int64_t)most));
    scn_path_pop(c, mark);
}

/* Population names must be unique; account ids are laid out in order. */
static void number_accounts(struct scn_ctx *c, const struct ynode *n)
{
    struct scenario *sc = c->sc;
    int64_t next = 0;
    check_users(c, n);
    for (size_t i = 0; i < sc->n_pops; i++) {
        struct scn_population *p = &sc->pops[i];
        for (size_t j = 0; j < i && p->name[0]; j++)
            if (strcmp(p->name, sc->pops[j].name) == 0) {
                size_t mark = scn_path_index(c, i);
                scn_err(c, scn_map_get(n->vals[i], "name"), "name",
                        "population name '%s' is used twice", p->name);
                scn_path_pop(c, mark);
            }
        p->first_account = next;
        if (next > SCN_MAX_ACCOUNTS - p->count) {
            size_t mark = scn_path_index(c, i);
            scn_err_toobig(c, scn_map_get(n->vals[i], "count"), "count",
                           "more than %d accounts in all populations: use "
                           "fewer accounts (a population's traffic does not "
                           "depend on its count)",
                           SCN_MAX_ACCOUNTS);
            scn_path_pop(c, mark);
            p->count = 0;
        }
        next += p->count;
    }
    sc->n_accounts = next;
    check_limit_states(c, n);
}

void scn_conv_accounts(struct scn_ctx *c, const struct ynode *n)
{
    struct scenario *sc = c->sc;
    size_t mark = scn_path_key(c, "accounts");
    if (n == NULL || n->kind != YN_SEQ || n->n == 0) {
        scn_err(c, n, NULL,
                "expected a list of populations such as "
                "[ { name: users, count: 100, traffic: "
                "{ phases: [ { for: 1h, rate: 10/s } ] } } ]");
        scn_path_pop(c, mark);
        return;
    }
    if (n->n > SCN_MAX_POPS) {
        size_t m2 = scn_path_index(c, SCN_MAX_POPS);
        scn_err_toobig(c, n->vals[SCN_MAX_POPS], NULL,
                       "more than %d populations (each keeps its own latency "
                       "histograms, ~0.5-1 MB): merge populations that "
                       "behave alike, e.g. one population with a larger "
                       "count:",
                       SCN_MAX_POPS);
        scn_path_pop(c, m2);
    }
    sc->pops = xcalloc(n->n, sizeof(*sc->pops));
    sc->n_pops = n->n;
    for (size_t i = 0; i < n->n; i++) {
        size_t m2 = scn_path_index(c, i);
        struct scn_population *p = &sc->pops[i];
        p->client.timeout_ns = 60 * NS_PER_S;
        if (scn_check_map(c, n->vals[i], pop_keys) &&
            n->vals[i]->kind == YN_MAP)
            conv_pop(c, n->vals[i], p);
        scn_path_pop(c, m2);
    }
    number_accounts(c, n);
    scn_path_pop(c, mark);
}

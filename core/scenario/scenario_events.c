/*
 * scenario_events.c - the events: section (live: is in scenario_live.c,
 * expect: in scenario_expect.c).
 *
 * An event is one timing (at:, every:+from:, or random:+mtbf:+mttr:) and
 * one kind key whose value holds the kind's parameters.  Times are checked
 * against the duration (an event that can never happen is an error, not a
 * silent no-op), names against the policy and populations.  random: events
 * are failures (outage, maintenance, upgrade) whose length comes from mttr.
 *
 * scn_parse_events converts events injected into a running scenario
 * (serve's POST /tollgate/events) with the same per-kind code: a mapping
 * {kind: parameters} or a list of them, no timing, names looked up in the
 * existing scenario and never added to it, no ${env:} substitution (the
 * text comes from a client, not from the operator).
 */
#include "core/scenario/scenario_int.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/units.h"

static const char *const kind_names[] = { SCN_EVENT_KIND_NAMES, NULL };
static const char *const event_keys[] = {
    "at", "every", "from", "random", "mtbf", "mttr", SCN_EVENT_KIND_NAMES, NULL
};
_Static_assert(sizeof(kind_names) / sizeof(kind_names[0]) == EV_KIND_COUNT + 1,
               "one name per event kind");

/* The parameter keys each kind takes. */
static const char *const *kind_keys(enum scn_event_kind k)
{
    static const char *const down[] = { "for", "capacity", NULL };
    static const char *const maint[] = { "for", NULL };
    static const char *const acct[] = { "accounts", "fraction", NULL };
    static const char *const susp[] = { "accounts", "fraction", "for", NULL };
    static const char *const feat[] = { "model", "for", NULL };
    static const char *const perm[] = { "accounts", "fraction", "model", NULL };
    static const char *const lim[] = { "tier",   "limit",      "requests",
                                       "tokens", "concurrent", NULL };
    static const char *const traf[] = { "factor", "for", "accounts", NULL };
    switch (k) {
    case EV_TRAFFIC: return traf;
    case EV_OUTAGE:
    case EV_UPGRADE: return down;
    case EV_MAINTENANCE: return maint;
    case EV_SUSPEND: return susp;
    case EV_SUSPEND_FEATURE: return feat;
    case EV_REVOKE_PERMISSION: return perm;
    case EV_SET_LIMIT: return lim;
    default: return acct;
    }
}

/* Key presence, null values included ("outage:" alone is an outage). */
static const struct ynode *raw_key(const struct ynode *map, const char *key)
{
    for (size_t i = 0; map && map->kind == YN_MAP && i < map->n; i++)
        if (strcmp(map->keys[i]->str, key) == 0)
            return map->keys[i];
    return NULL;
}

static void check_time(struct scn_ctx *c, const struct ynode *ev,
                       const char *key, int64_t t)
{
    int64_t dur = c->sc->duration_ns;
    /* A file whose events fall after its own end is wrong; a run shortened
     * on the command line simply ends before them. */
    if (dur > 0 && t >= dur && !c->duration_overridden) {
        char a[48], b[48];
        scn_err(c, scn_map_get(ev, key), key,
                "%s is not before the end of the scenario (duration %s), so "
                "the event would never happen",
                units_fmt_duration(a, sizeof(a), t),
                units_fmt_duration(b, sizeof(b), dur));
    }
}

static void conv_timing(struct scn_ctx *c, const struct ynode *n,
                        struct scn_event *e)
{
    bool at = scn_map_get(n, "at"), every = scn_map_get(n, "every");
    bool rnd = scn_map_get(n, "random");
    if (at + every + rnd != 1) {
        scn_err(c, n, NULL,
                "an event needs exactly one of at:, every: "
                "(with from:) or random: (with mtbf: and mttr:)");
        return;
    }
    static const char *const every_only[] = { "from", NULL };
    static const char *const random_only[] = { "mtbf", "mttr", NULL };
    for (int k = 0; !every && every_only[k]; k++)
        if (scn_map_get(n, every_only[k]))
            scn_err(c, scn_map_get(n, every_only[k]), every_only[k],
                    "from: goes with every:");
    for (int k = 0; !rnd && random_only[k]; k++)
        if (scn_map_get(n, random_only[k]))
            scn_err(c, scn_map_get(n, random_only[k]), random_only[k],
                    "%s: goes with random:", random_only[k]);
    if (at) {
        e->timing = EVT_ONCE;
        if (scn_get_duration(c, n, "at", 0, &e->at_ns))
            check_time(c, n, "at", e->at_ns);
    } else if (every) {
        e->timing = EVT_EVERY;
        scn_get_duration(c, n, "every", SCN_POS, &e->every_ns);
        if (scn_get_duration(c, n, "from", 0, &e->at_ns))
            check_time(c, n, "from", e->at_ns);
    } else {
        e->timing = EVT_RANDOM;
        scn_get_duration(c, n, "mtbf", SCN_REQ | SCN_POS, &e->mtbf_ns);
        scn_get_dist(c, n, "mttr", SCN_REQ, true, &e->mttr);
    }
}

/* The kind: the single kind key, or random:'s value. */
static bool conv_kind(struct scn_ctx *c, const struct ynode *n,
                      struct scn_event *e)
{
    const struct ynode *first = NULL;
    for (int k = 0; kind_names[k]; k++) {
        const struct ynode *key = raw_key(n, kind_names[k]);
        if (key == NULL)
            continue;
        if (first) {
            scn_err(c, key, kind_names[k],
                    "one event does one thing: "
                    "'%s' and '%s' are both given "
                    "(make two events)",
                    first->str, kind_names[k]);
            return false;
        }
        first = key;
        e->kind = (enum scn_event_kind)k;
    }
    if (e->timing == EVT_RANDOM) {
        static const char *const failures[] = { "outage", "maintenance",
                                                "upgrade", NULL };
        int k = 0;
        if (!scn_get_enum(c, n, "random", 0, failures, &k))
            return false;
        if (first && strcmp(first->str, failures[k]) != 0) {
            scn_err(c, first, first->str,
                    "random: %s takes its parameters "
                    "under %s:, not %s:",
                    failures[k], failures[k], first->str);
            return false;
        }
        e->kind = (enum scn_event_kind)k; /* EV_OUTAGE.. match the order */
        return true;
    }
    if (first == NULL) {
        char list[256];
        scn_err(c, n, NULL, "an event needs a kind: one of %s",
                scn_join(list, sizeof(list), kind_names));
    }
    return first != NULL;
}

static void event_pop(struct scn_ctx *c, const struct ynode *p,
                      struct scn_event *e)
{
    const struct ynode *a = scn_map_get(p, "accounts");
    if (a == NULL || !scn_scalar(c, a, "a population name"))
        return;
    e->population = scn_pop_index(c->sc, a->str);
    if (e->population < 0)
        scn_err(c, a, "accounts", "no population named '%s' in accounts",
                a->str);
}

static void event_model(struct scn_ctx *c, const struct ynode *p,
                        struct scn_event *e)
{
    const struct ynode *m = scn_map_get(p, "model");
    if (m == NULL || !scn_scalar(c, m, "a model name"))
        return;
    e->model = scn_model_index(c->sc, m->str);
    if (e->model < 0)
        scn_err(c, m, "model", "no model named '%s' in policy.models", m->str);
}

/* A region code the scenario already has, in any case ("br" is BR); with
 * names fixed nothing may be added to it.  Reports and returns -1 when the
 * code is not there. */
static int region_lookup(struct scn_ctx *c, const struct ynode *n)
{
    const char *s = scn_scalar(c, n, "a region code such as BR");
    if (s == NULL)
        return -1;
    char up[SCN_MAX_NAME];
    size_t i = 0;
    for (; s[i] != '\0' && i + 1 < sizeof(up); i++)
        up[i] = (char)toupper((unsigned char)s[i]);
    up[i] = '\0';
    int r = s[i] == '\0' ? scn_region_index(c->sc, up) : -1;
    if (r < 0)
        scn_err(c, n, NULL,
                "'%s' is not a region code of this scenario (ISO 3166 such "
                "as BR)",
                s);
    return r;
}

static void event_regions(struct scn_ctx *c, const struct ynode *p,
                          const struct ynode *at, struct scn_event *e)
{
    size_t count = p && p->kind == YN_SEQ ? p->n : 1;
    if (p == NULL || p->kind == YN_MAP || count == 0) {
        scn_err(c, p ? p : at, NULL,
                "expected a list of region codes such as [BR]");
        return;
    }
    e->regions = xcalloc(count, sizeof(int));
    for (size_t i = 0; i < count; i++) {
        const struct ynode *v = p->kind == YN_SEQ ? p->vals[i] : p;
        int r = c->names_fixed ? region_lookup(c, v) : scn_region(c, v);
        if (r >= 0)
            e->regions[e->n_regions++] = r;
    }
}

static void event_set_limit(struct scn_ctx *c, const struct ynode *p,
                            const struct ynode *at, struct scn_event *e)
{
    const struct ynode *t = scn_map_get(p, "tier");
    const struct ynode *l = scn_map_get(p, "limit");
    if (t == NULL || l == NULL) {
        scn_err(c, p ? p : at, t ? "limit" : "tier",
                "set_limit needs tier: and limit: (a limit's name)");
        return;
    }
    if (!scn_scalar(c, t, "a tier name") || !scn_scalar(c, l, "a name"))
        return;
    e->tier = scn_tier_index(c->sc, t->str);
    if (e->tier < 0) {
        scn_err(c, t, "tier", "no tier named '%s'", t->str);
        return;
    }
    const struct scn_tier *tier = &c->sc->policy.tiers[e->tier];
    for (size_t i = 0; i < tier->n_limits; i++)
        if (strcmp(tier->limits[i].name, l->str) == 0)
            e->limit = (int)i;
    if (e->limit < 0) {
        scn_err(c, l, "limit", "tier '%s' has no limit named '%s'", t->str,
                l->str);
        return;
    }
    static const char *const amount[] = { "requests", "tokens", "concurrent" };
    const char *want = amount[tier->limits[e->limit].kind];
    bool wrong = false;
    for (int k = 0; k < 3; k++)
        if (k != (int)tier->limits[e->limit].kind &&
            scn_map_get(p, amount[k])) {
            scn_err(c, scn_map_get(p, amount[k]), amount[k],
                    "limit '%s' counts %s: set it with %s:", l->str, want,
                    want);
            wrong = true;
        }
    scn_get_count(c, p, want, wrong ? 0 : SCN_REQ | SCN_POS, 1000000000000000LL,
                  &e->amount);
}

/* traffic: a factor (required, 0..SCN_MAX_TRAFFIC_FACTOR) on open-loop
 * populations only: a closed loop's offered traffic follows its users,
 * so multiplying "every population" with a closed one among them would
 * silently leave that one alone. */
static void event_traffic(struct scn_ctx *c, const struct ynode *p,
                          const struct ynode *at, struct scn_event *e)
{
    const struct scenario *sc = c->sc;
    if (scn_get_number(c, p, "factor", SCN_REQ, &e->factor) &&
        e->factor > SCN_MAX_TRAFFIC_FACTOR)
        scn_err(c, scn_map_get(p, "factor"), "factor",
                "factor %g is above %d (offered traffic x factor)", e->factor,
                SCN_MAX_TRAFFIC_FACTOR);
    /* A replayed trace likewise keeps its recorded times (scale: is its
     * multiplier). */
    for (size_t i = 0; i < sc->n_pops; i++)
        if (sc->pops[i].has_trace &&
            (e->population < 0 || (size_t)e->population == i)) {
            scn_err(c, p ? p : at, NULL,
                    "traffic: would multiply population '%s', which replays "
                    "a trace at its recorded times: use its trace: scale: "
                    "(or name another population with accounts:)",
                    sc->pops[i].name);
            return;
        }
    if (e->population >= 0) {
        if (sc->pops[e->population].arrival == ARRIVAL_CLOSED)
            scn_err(c, scn_map_get(p, "accounts"), "accounts",
                    "population '%s' is a closed loop (users:), whose "
                    "offered traffic follows its users: traffic: "
                    "multiplies open-loop phases only",
                    sc->pops[e->population].name);
        return;
    }
    for (size_t i = 0; i < sc->n_pops; i++)
        if (sc->pops[i].arrival == ARRIVAL_CLOSED) {
            scn_err(c, p ? p : at, NULL,
                    "traffic: without accounts: multiplies every "
                    "population, but '%s' is a closed loop (users:), whose "
                    "offered traffic follows its users: name an open-loop "
                    "population with accounts:",
                    sc->pops[i].name);
            return;
        }
}

static void conv_params(struct scn_ctx *c, const struct ynode *n,
                        struct scn_event *e)
{
    const char *name = kind_names[e->kind];
    const struct ynode *p = scn_map_get(n, name);
    const struct ynode *at = raw_key(n, name);
    size_t mark = scn_path_key(c, name);
    if (e->kind == EV_BLOCK_REGION || e->kind == EV_UNBLOCK_REGION) {
        event_regions(c, p, at ? at : n, e);
    } else if (scn_check_map(c, p, kind_keys(e->kind))) {
        if (e->timing == EVT_RANDOM && scn_map_get(p, "for"))
            scn_err(c, scn_map_get(p, "for"), "for",
                    "a random event lasts mttr: (remove for:)");
        else
            scn_get_duration(c, p, "for", 0, &e->for_ns);
        scn_get_fraction(c, p, "capacity", 0, &e->capacity);
        scn_get_fraction(c, p, "fraction", 0, &e->fraction);
        event_pop(c, p, e);
        event_model(c, p, e);
        if (e->kind == EV_SET_LIMIT)
            event_set_limit(c, p, at ? at : n, e);
        if (e->kind == EV_TRAFFIC)
            event_traffic(c, p, at ? at : n, e);
    }
    scn_path_pop(c, mark);
}

static void conv_event(struct scn_ctx *c, const struct ynode *n,
                       struct scn_event *e)
{
    e->loc = n->loc;
    if (!scn_check_map(c, n, event_keys) || n->kind != YN_MAP)
        return;
    conv_timing(c, n, e);
    if (!conv_kind(c, n, e))
        return;
    conv_params(c, n, e);
    if (e->timing == EVT_EVERY && e->for_ns > 0 && e->every_ns > 0 &&
        e->for_ns >= e->every_ns)
        scn_err(c, scn_map_get(n, "every"), "every",
                "every: must be longer than the event's for: (occurrences "
                "would overlap)");
    if (e->kind == EV_TRAFFIC && e->timing == EVT_EVERY && e->for_ns == 0)
        scn_err(c, scn_map_get(n, "every"), "every",
                "a repeated traffic event needs for: (without it every "
                "occurrence would last to the end and multiply the next)");
}

bool scn_event_lasts(const struct scn_event *ev)
{
    switch (ev->kind) {
    case EV_OUTAGE:
    case EV_MAINTENANCE:
    case EV_UPGRADE:
    case EV_SUSPEND:
    case EV_SUSPEND_FEATURE:
    case EV_TRAFFIC: return true;
    default: return ev->timing == EVT_RANDOM;
    }
}

int64_t scn_event_occurrences(const struct scn_event *ev, int64_t duration_ns)
{
    switch (ev->timing) {
    case EVT_ONCE: return ev->at_ns < duration_ns ? 1 : 0;
    case EVT_EVERY:
        if (ev->at_ns >= duration_ns || ev->every_ns <= 0)
            return ev->at_ns < duration_ns ? 1 : 0;
        return (duration_ns - 1 - ev->at_ns) / ev->every_ns + 1;
    case EVT_RANDOM:
        return ev->mtbf_ns > 0 ? (duration_ns - 1) / ev->mtbf_ns + 1 : 0;
    }
    return 0;
}

/* Event i makes the occurrences of all events exceed SCN_MAX_OCCURRENCES;
 * before is the sum of the events before it. */
static void too_many_occurrences(struct scn_ctx *c, const struct ynode *n,
                                 size_t i, int64_t before)
{
    const struct scn_event *e = &c->sc->events[i];
    int64_t dur = c->sc->duration_ns, own = scn_event_occurrences(e, dur);
    bool every = e->timing == EVT_EVERY;
    const char *key = every ? "every" : "mtbf";
    size_t mark = scn_path_index(c, i);
    int64_t room = SCN_MAX_OCCURRENCES - before;
    char d[48], step_s[48], want[48];
    units_fmt_duration(d, sizeof(d), dur);
    if (room <= 0) {
        scn_err_toobig(c, scn_map_get(n->vals[i], key), key,
                       "the events before this one already start %" PRId64
                       " times in %s, and all events together may start at "
                       "most %d times: use a longer every: or mtbf: there, "
                       "fewer events or a shorter duration",
                       before, d, SCN_MAX_OCCURRENCES);
    } else {
        /* the smallest step that fits this event into what is left */
        int64_t span = every ? dur - e->at_ns : dur;
        int64_t step = (span - 1) / room + 1;
        scn_err_toobig(
            c, scn_map_get(n->vals[i], key), key,
            "%s: %s starts this event %s%" PRId64 " times in %s%s; "
            "all events together may start at most %d times: use "
            "%s: %s or longer, or a shorter duration",
            key,
            units_fmt_duration(step_s, sizeof(step_s),
                               every ? e->every_ns : e->mtbf_ns),
            every ? "" : "about ", own, d, every ? "" : " (duration / mtbf)",
            SCN_MAX_OCCURRENCES, key,
            units_fmt_duration(want, sizeof(want), scn_round_up_ns(step)));
    }
    scn_path_pop(c, mark);
}

/* A run shortened by --set/--duration ends before some events: they are
 * left out of the scenario (not reported), so the engines, the labels and
 * the written scenario.yaml all hold only what can happen, and that file
 * validates again on its own. */
static void drop_past_end(struct scenario *sc)
{
    size_t w = 0;
    for (size_t i = 0; i < sc->n_events; i++) {
        struct scn_event *e = &sc->events[i];
        if (e->timing != EVT_RANDOM && e->at_ns >= sc->duration_ns) {
            free(e->regions);
            continue;
        }
        sc->events[w++] = *e;
    }
    sc->n_events = w;
}

/* Accounts one occurrence of e walks in the policy (SCN_MAX_ACCOUNT_VISITS),
 * counting the walk at its end for a lasting occurrence. */
static int64_t visits_per_occurrence(const struct scenario *sc,
                                     const struct scn_event *e)
{
    int64_t walked = 0;
    switch (e->kind) {
    case EV_BAN:
    case EV_SUSPEND:
    case EV_REVOKE_KEYS:
    case EV_BILLING_FAILURE:
    case EV_REVOKE_PERMISSION:
        walked = e->population >= 0 && (size_t)e->population < sc->n_pops
                     ? sc->pops[e->population].count
                     : sc->n_accounts;
        break;
    case EV_SET_LIMIT: walked = sc->n_accounts; break;
    default: return 0;
    }
    return walked * (scn_event_lasts(e) ? 2 : 1);
}

/* Events walking accounts stay within SCN_MAX_ACCOUNT_VISITS over the
 * duration (occurrences are already bounded, so nothing overflows). */
static void check_visits(struct scn_ctx *c, const struct ynode *n)
{
    const struct scenario *sc = c->sc;
    int64_t sum = 0;
    for (size_t i = 0; i < sc->n_events; i++) {
        const struct scn_event *e = &sc->events[i];
        int64_t per = visits_per_occurrence(sc, e);
        int64_t own = scn_event_occurrences(e, sc->duration_ns) * per;
        if (own <= SCN_MAX_ACCOUNT_VISITS - sum) {
            sum += own;
            continue;
        }
        const char *key = e->timing == EVT_EVERY    ? "every"
                          : e->timing == EVT_RANDOM ? "mtbf"
                                                    : "at";
        char d[48], fit[96] = "a longer every: or mtbf:";
        int64_t allowed = (SCN_MAX_ACCOUNT_VISITS - sum) / per;
        if (allowed >= 1 && e->timing != EVT_ONCE) {
            int64_t span = e->timing == EVT_EVERY ? sc->duration_ns - e->at_ns
                                                  : sc->duration_ns;
            char step[48];
            units_fmt_duration(step, sizeof(step),
                               scn_round_up_ns((span - 1) / allowed + 1));
            snprintf(fit, sizeof(fit), "%s: %s or longer", key, step);
        }
        size_t mark = scn_path_index(c, i);
        scn_err_toobig(c, scn_map_get(n->vals[i], key), key,
                       "this event visits %" PRId64 " accounts each time, "
                       "%" PRId64 " over %s; all events together may visit "
                       "at most %lld accounts: use %s, a smaller population "
                       "(accounts:) or a shorter duration",
                       per, own,
                       units_fmt_duration(d, sizeof(d), sc->duration_ns),
                       SCN_MAX_ACCOUNT_VISITS, fit);
        scn_path_pop(c, mark);
        return;
    }
}

/* Every event's occurrences over the duration, summed, are bounded: each
 * one is an events.csv row and a policy update in every engine. */
static void check_occurrences(struct scn_ctx *c, const struct ynode *n)
{
    const struct scenario *sc = c->sc;
    if (sc->duration_ns <= 0)
        return;
    int64_t sum = 0;
    for (size_t i = 0; i < sc->n_events; i++) {
        int64_t own = scn_event_occurrences(&sc->events[i], sc->duration_ns);
        if (own > SCN_MAX_OCCURRENCES - sum) {
            too_many_occurrences(c, n, i, sum);
            return;
        }
        sum += own;
    }
    check_visits(c, n);
}

/* The highest rate a population's phases ask for, per second. */
static double top_rate(const struct scn_population *p)
{
    double top = 0;
    for (size_t i = 0; i < p->n_phases; i++) {
        const struct scn_phase *ph = &p->phases[i];
        double r = ph->rate_from_per_s > ph->rate_to_per_s ? ph->rate_from_per_s
                                                           : ph->rate_to_per_s;
        top = r > top ? r : top;
    }
    return top;
}

/* Traffic events that could all overlap keep every population within the
 * 1e9/s a phase may ask for (the bound is the product of all factors
 * above 1, whether or not they overlap: simple and conservative). */
static void check_traffic(struct scn_ctx *c, const struct ynode *n)
{
    const struct scenario *sc = c->sc;
    for (size_t p = 0; p < sc->n_pops; p++) {
        double top = top_rate(&sc->pops[p]);
        for (size_t i = 0; i < sc->n_events; i++) {
            const struct scn_event *e = &sc->events[i];
            if (e->kind != EV_TRAFFIC || e->factor <= 1 ||
                (e->population >= 0 && (size_t)e->population != p))
                continue;
            top *= e->factor;
            if (top <= 1e9)
                continue;
            size_t mark = scn_path_index(c, i);
            const struct ynode *ev = scn_map_get(n->vals[i], "traffic");
            scn_err(c, scn_map_get(ev, "factor"), "factor",
                    "with this factor population '%s' could be offered "
                    "%.3g/s (its highest phase rate times the traffic "
                    "factors above 1 of the events up to here), above the "
                    "1e9/s a phase may ask for",
                    sc->pops[p].name, top);
            scn_path_pop(c, mark);
            return;
        }
    }
}

void scn_conv_events(struct scn_ctx *c, const struct ynode *n)
{
    struct scenario *sc = c->sc;
    size_t mark = scn_path_key(c, "events");
    if (n->kind != YN_SEQ) {
        scn_err(c, n, NULL,
                "expected a list of events such as "
                "[ { at: 20m, outage: { for: 5m } } ]");
        scn_path_pop(c, mark);
        return;
    }
    sc->events = xcalloc(n->n ? n->n : 1, sizeof(*sc->events));
    sc->n_events = n->n;
    for (size_t i = 0; i < n->n; i++) {
        struct scn_event *e = &sc->events[i];
        scn_event_init(e);
        size_t m2 = scn_path_index(c, i);
        conv_event(c, n->vals[i], e);
        scn_path_pop(c, m2);
    }
    check_occurrences(c, n); /* before the drop: it locates by index */
    check_traffic(c, n);
    if (c->duration_overridden && sc->duration_ns > 0)
        drop_past_end(sc);
    scn_path_pop(c, mark);
}

void scn_event_init(struct scn_event *e)
{
    memset(e, 0, sizeof(*e));
    e->kind = EV_OUTAGE;
    e->timing = EVT_ONCE;
    e->population = e->model = e->tier = e->limit = -1;
    e->fraction = 1;
}

/* ---- injected events --------------------------------------------------------
 */

/* A key of an injected map that names no kind. */
static void bad_kind(struct scn_ctx *c, const struct ynode *key)
{
    static const char *const timing[] = { "at",   "every", "from", "random",
                                          "mtbf", "mttr",  NULL };
    const char *k = key->str;
    for (size_t i = 0; timing[i]; i++)
        if (strcmp(k, timing[i]) == 0) {
            scn_err(c, key, k,
                    "an injected event starts when it is received: "
                    "remove %s:",
                    k);
            return;
        }
    const char *near = scn_suggest(k, kind_names);
    char list[256];
    scn_err(c, key, k, "unknown event kind '%s'%s%s%s (one of %s)", k,
            near ? "; did you mean '" : "", near ? near : "", near ? "'?" : "",
            scn_join(list, sizeof(list), kind_names));
}

/* One mapping {kind: parameters, ...}: an event per key, appended to
 * out[*n] (at most max). */
static void inject_map(struct scn_ctx *c, const struct ynode *n,
                       struct scn_event *out, size_t max, size_t *count)
{
    if (n == NULL || n->kind != YN_MAP || n->n == 0) {
        scn_err(c, n, NULL,
                "expected a mapping of event kinds to their parameters, "
                "such as {\"outage\": {\"for\": \"30s\"}}");
        return;
    }
    for (size_t i = 0; i < n->n; i++) {
        const struct ynode *key = n->keys[i];
        int k = 0;
        while (kind_names[k] && strcmp(kind_names[k], key->str) != 0)
            k++;
        if (kind_names[k] == NULL) {
            bad_kind(c, key);
            continue;
        }
        if (k == EV_TRAFFIC) {
            scn_err(c, key, key->str,
                    "traffic is offered by the clients (sim, run), not by "
                    "serve: a traffic event cannot be injected");
            continue;
        }
        if (*count >= max) {
            scn_err_toobig(c, key, NULL, "more than %zu events at once", max);
            return;
        }
        struct scn_event *e = &out[(*count)++];
        scn_event_init(e);
        e->kind = (enum scn_event_kind)k;
        e->loc = key->loc;
        conv_params(c, n, e);
    }
}

int scn_parse_events(const struct scenario *sc, const char *text, size_t len,
                     struct scn_event *out, size_t max, size_t *n,
                     struct scn_diags *diags)
{
    /* names_fixed: the converters only read sc (region_lookup instead of
     * scn_region), so the cast does not lead to a write. */
    struct scn_ctx c = { .d = diags,
                         .sc = (struct scenario *)sc,
                         .names_fixed = true };
    struct ytree t = { 0 };
    int rc = ERR_TOOBIG;
    *n = 0;
    if (len > SCN_MAX_FILE_BYTES) {
        struct ynode at = { .loc = { 1, 1 }, .ovr = -1 };
        scn_err_toobig(&c, &at, NULL, "%zu bytes; the limit is %d", len,
                       SCN_MAX_FILE_BYTES);
        goto fail;
    }
    rc = scn_tree_parse(&c, text, len, &t);
    if (rc == ERR_PARSE || rc == ERR_TOOBIG)
        goto fail;
    if (t.root != NULL && t.root->kind == YN_SEQ) {
        for (size_t i = 0; i < t.root->n && c.rc != ERR_TOOBIG; i++) {
            size_t mark = scn_path_index(&c, i);
            inject_map(&c, t.root->vals[i], out, max, n);
            scn_path_pop(&c, mark);
        }
    } else {
        inject_map(&c, t.root, out, max, n);
    }
    rc = c.rc;
fail:
    scn_tree_fini(&t);
    scn_ctx_fini(&c);
    if (rc != ERR_OK) {
        for (size_t i = 0; i < *n; i++)
            free(out[i].regions);
        *n = 0;
    }
    return rc;
}

/*
 * scenario.c - scenario entry points: read, override, convert, validate,
 * free, and the name lookups.
 *
 * scn_parse_buffer() runs the stages of scenario_int.h in order: the YAML
 * tree (stops on a syntax error or an input limit, since nothing sensible
 * can follow), then --set overrides and ${env:} substitution, then the
 * section converters, which report every problem they find and keep
 * going.  The scenario is handed out only when no error was found; it is
 * then immutable, and every name in it has been resolved to an index.
 *
 * The top-level scalars (name, seed, duration, interval, warmup) are read
 * first because events are checked against the duration.
 */
#include "core/scenario/scenario.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "core/stats/record.h"
#include "core/scenario/scenario_int.h"
#include "core/base/units.h"

#define SCN_MAX_DURATION_NS (366 * 86400 * NS_PER_S)

static const char *const top_keys[] = { "name",     "description", "seed",
                                        "duration", "interval",    "warmup",
                                        "policy",   "accounts",    "events",
                                        "live",     "expect",      NULL };

/* duration/600 rounded to the nearest 1, 2 or 5 times a power of ten (at
 * least 1ms, at most the duration). */
static int64_t default_interval(int64_t duration_ns)
{
    int64_t want = duration_ns / 600, best = NS_PER_MS;
    for (int64_t p = NS_PER_MS; p <= duration_ns && p < INT64_MAX / 10;
         p *= 10) {
        static const int steps[] = { 1, 2, 5 };
        for (int i = 0; i < 3; i++) {
            int64_t s = p * steps[i];
            if (s > duration_ns)
                break;
            int64_t ds = s > want ? s - want : want - s;
            int64_t db = best > want ? best - want : want - best;
            if (ds < db)
                best = s;
        }
    }
    return best < duration_ns ? best : duration_ns;
}

static void conv_seed(struct scn_ctx *c, const struct ynode *root)
{
    const struct ynode *v = scn_map_get(root, "seed");
    if (v == NULL)
        return;
    size_t mark = scn_path_key(c, "seed");
    const char *s = scn_scalar(c, v, "a whole number");
    if (s) {
        char *end;
        errno = 0;
        unsigned long long x = strtoull(s, &end, 10);
        if (!isdigit((unsigned char)s[0]) || *end != '\0' || errno != 0)
            scn_err(c, v, NULL,
                    "expected a whole number from 0 to "
                    "18446744073709551615, got '%s'",
                    s);
        else
            c->sc->seed = (uint64_t)x;
    }
    scn_path_pop(c, mark);
}

int64_t scn_round_up_ns(int64_t ns)
{
    static const int64_t units[] = { NS_PER_S, NS_PER_MS, 1000 };
    for (int i = 0; i < 3; i++)
        if (ns > units[i] && ns <= INT64_MAX - units[i])
            return (ns + units[i] - 1) / units[i] * units[i];
    return ns;
}

int64_t scn_interval_rows(int64_t duration_ns, int64_t interval_ns)
{
    return (duration_ns - 1) / interval_ns + 1;
}

/* The interval of sc gives more than SCN_MAX_INTERVALS rows. */
static void too_many_rows(struct scn_ctx *c, const struct ynode *root)
{
    const struct scenario *sc = c->sc;
    const struct ynode *at = scn_map_get(root, "interval");
    if (at == NULL) /* a default interval always fits; keep a location */
        at = scn_map_get(root, "duration");
    char dur[48], iv[48], min[48];
    int64_t min_ns = (sc->duration_ns - 1) / SCN_MAX_INTERVALS + 1;
    scn_err_toobig(
        c, at, at == scn_map_get(root, "interval") ? "interval" : "duration",
        "interval %s over duration %s gives %" PRId64
        " time-series rows, more than the limit of %d: use an "
        "interval of at least %s (or a shorter duration)",
        units_fmt_duration(iv, sizeof(iv), sc->interval_ns),
        units_fmt_duration(dur, sizeof(dur), sc->duration_ns),
        scn_interval_rows(sc->duration_ns, sc->interval_ns), SCN_MAX_INTERVALS,
        units_fmt_duration(min, sizeof(min), scn_round_up_ns(min_ns)));
}

static void conv_top(struct scn_ctx *c, const struct ynode *root)
{
    struct scenario *sc = c->sc;
    const struct ynode *name = scn_map_get(root, "name");
    if (name == NULL) {
        scn_err(c, root, "name", "missing required key 'name'");
    } else {
        size_t mark = scn_path_key(c, "name");
        if (scn_scalar(c, name, "a name"))
            scn_check_name(c, name, name->str, sc->name);
        scn_path_pop(c, mark);
    }
    scn_get_string(c, root, "description", 0, 4096, &sc->description);
    conv_seed(c, root);
    if (scn_get_duration(c, root, "duration", SCN_REQ | SCN_POS,
                         &sc->duration_ns) &&
        sc->duration_ns > SCN_MAX_DURATION_NS) {
        scn_err(c, scn_map_get(root, "duration"), "duration",
                "longer than 366d");
        sc->duration_ns = 0;
    }
    const struct ynode *dur = scn_map_get(root, "duration");
    c->duration_overridden = dur != NULL && dur->ovr >= 0;
    bool has_interval =
        scn_get_duration(c, root, "interval", SCN_POS, &sc->interval_ns);
    scn_get_duration(c, root, "warmup", 0, &sc->warmup_ns);
    if (sc->duration_ns <= 0)
        return;
    if (!has_interval)
        sc->interval_ns = default_interval(sc->duration_ns);
    if (has_interval && sc->interval_ns > sc->duration_ns)
        scn_err(c, scn_map_get(root, "interval"), "interval",
                "longer than the duration");
    else if (sc->interval_ns > 0 &&
             scn_interval_rows(sc->duration_ns, sc->interval_ns) >
                 SCN_MAX_INTERVALS)
        too_many_rows(c, root);
    if (sc->warmup_ns >= sc->duration_ns)
        scn_err(c, scn_map_get(root, "warmup"), "warmup",
                "must be shorter than the duration");
}

int64_t scn_run_recorder_bytes(const struct scenario *sc, int64_t threads)
{
    int64_t rows = sc->duration_ns > 0 && sc->interval_ns > 0
                       ? scn_interval_rows(sc->duration_ns, sc->interval_ns)
                       : 1;
    int64_t pops = sc->n_pops ? (int64_t)sc->n_pops : 1;
    /* Per level (attempts, requests): by outcome, overall, two ring
     * slots and two per population; then denied, service, lag, attempts
     * per request and a third per population (the worker's own). */
    int64_t hists = 2 * (REASON_COUNT + 1 + 2 + 2 * pops) + 4 + pops;
    return threads * (hists * SCN_REC_HIST_BYTES + rows * SCN_REC_ROW_BYTES +
                      pops * SCN_REC_POP_BYTES);
}

/* live.threads recorders fit in SCN_MAX_RUN_RECORDER_BYTES. */
static void check_run_memory(struct scn_ctx *c, const struct ynode *root)
{
    const struct scenario *sc = c->sc;
    int64_t threads = sc->live.threads, all = scn_run_recorder_bytes(sc, 1);
    if (c->rc != ERR_OK || threads * all <= SCN_MAX_RUN_RECORDER_BYTES)
        return;
    const struct ynode *live = scn_map_get(root, "live");
    const struct ynode *at = scn_map_get(live, "threads");
    scn_err_toobig(c, at ? at : live, at ? "live.threads" : "live",
                   "run keeps a recorder of ~%" PRId64 " MB per worker thread "
                   "(%zu populations, %" PRId64 " time-series rows): %" PRId64
                   " threads need ~%" PRId64 " MB, more than the limit of %lld "
                   "MB: use at most %" PRId64 " threads, fewer populations or "
                   "a longer interval",
                   all >> 20, sc->n_pops,
                   scn_interval_rows(sc->duration_ns, sc->interval_ns), threads,
                   (threads * all) >> 20, SCN_MAX_RUN_RECORDER_BYTES >> 20,
                   (int64_t)(SCN_MAX_RUN_RECORDER_BYTES / all));
}

static void convert(struct scn_ctx *c, const struct ynode *root)
{
    if (root == NULL) {
        struct ynode at = { .loc = { 1, 1 }, .ovr = -1 };
        scn_err(c, &at, NULL,
                "the scenario is empty (it needs at least "
                "name:, duration: and accounts:)");
        return;
    }
    if (root->kind != YN_MAP || !scn_check_map(c, root, top_keys)) {
        if (root->kind != YN_MAP)
            scn_err(c, root, NULL,
                    "a scenario is a mapping with name:, "
                    "duration:, policy:, accounts:, ...");
        return;
    }
    conv_top(c, root);
    scn_conv_policy(c, scn_map_get(root, "policy"));
    const struct ynode *acc = scn_map_get(root, "accounts");
    if (acc == NULL)
        scn_err(c, root, "accounts",
                "missing required key 'accounts' (who "
                "sends requests)");
    else
        scn_conv_accounts(c, acc);
    if (scn_map_get(root, "events"))
        scn_conv_events(c, scn_map_get(root, "events"));
    scn_live_defaults(&c->sc->live);
    if (scn_map_get(root, "live"))
        scn_conv_live(c, scn_map_get(root, "live"));
    else
        scn_conv_live(c, NULL);
    c->sc->has_live = scn_map_get(root, "live") != NULL;
    if (scn_map_get(root, "expect"))
        scn_conv_expect(c, scn_map_get(root, "expect"));
    check_run_memory(c, root);
}

/* Located errors in file order; unlocated ones (--set, I/O) last. */
static bool diag_after(const struct scn_diag *x, const struct scn_diag *y)
{
    long lx = x->loc.line ? x->loc.line : LONG_MAX;
    long ly = y->loc.line ? y->loc.line : LONG_MAX;
    return lx > ly || (lx == ly && x->loc.col > y->loc.col);
}

/* Insertion sort: stable, and the list is short and nearly sorted. */
static void sort_diags(struct scn_diags *d, size_t from)
{
    for (size_t i = from + 1; i < d->n; i++) {
        struct scn_diag tmp = d->items[i];
        size_t j = i;
        while (j > from && diag_after(&d->items[j - 1], &tmp)) {
            d->items[j] = d->items[j - 1];
            j--;
        }
        d->items[j] = tmp;
    }
}

int scn_parse_buffer(const char *name, const char *text, size_t len,
                     const struct scn_override *ovr, size_t n_ovr,
                     struct scenario **out, struct scn_diags *diags)
{
    *out = NULL;
    size_t first_diag = diags->n;
    struct scenario *sc = xcalloc(1, sizeof(*sc));
    sc->file = xstrdup(name ? name : "<scenario>");
    sc->seed = 1;
    struct scn_ctx c = { .d = diags, .sc = sc, .ovr = ovr, .n_ovr = n_ovr };
    scn_region_intern(&c, NULL, "ZZ");
    struct ytree t = { 0 };
    int rc;
    if (len > SCN_MAX_FILE_BYTES) {
        struct ynode at = { .loc = { 1, 1 }, .ovr = -1 };
        scn_err_toobig(&c, &at, NULL, "the file is %zu bytes; the limit is %d",
                       len, SCN_MAX_FILE_BYTES);
        rc = ERR_TOOBIG;
        goto fail;
    }
    rc = scn_tree_parse(&c, text, len, &t);
    if (rc == ERR_PARSE || rc == ERR_TOOBIG)
        goto fail;
    if (scn_tree_override(&c, &t) == ERR_OK)
        (void)scn_tree_env(&c, &t);
    if (c.rc == ERR_TOOBIG)
        goto fail;
    convert(&c, t.root);
    rc = c.rc;
    if (rc != ERR_OK)
        goto fail;
    scn_tree_fini(&t);
    scn_ctx_fini(&c);
    *out = sc;
    return ERR_OK;
fail:
    if (rc == ERR_OK)
        rc = c.rc ? c.rc : ERR_INVAL;
    sort_diags(diags, first_diag);
    scn_tree_fini(&t);
    scn_ctx_fini(&c);
    scn_free(sc);
    return rc;
}

int scn_parse_file(const char *path, const struct scn_override *ovr,
                   size_t n_ovr, struct scenario **out, struct scn_diags *diags)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t len = 0;
    int rc = ERR_IO;
    if (f == NULL)
        goto fail;
    buf = xmalloc(SCN_MAX_FILE_BYTES + 1);
    len = fread(buf, 1, SCN_MAX_FILE_BYTES + 1, f);
    if (ferror(f))
        goto fail;
    rc = scn_parse_buffer(path, buf, len, ovr, n_ovr, out, diags);
fail:
    if (rc == ERR_IO) {
        struct scn_ctx c = { .d = diags };
        scn_err(&c, NULL, NULL, "cannot read the file: %s", strerror(errno));
    }
    free(buf);
    if (f)
        fclose(f);
    return rc;
}

/* ---- freeing ------------------------------------------------------------ */

static void free_live(struct scn_live *l)
{
    free(l->target);
    free(l->method);
    free(l->path);
    for (size_t i = 0; i < l->n_headers; i++)
        free(l->headers[i]);
    free(l->headers);
    free(l->body);
    free(l->keys_file);
    free(l->region_header);
    for (size_t i = 0; i < l->n_rules; i++) {
        free(l->rules[i].type);
        free(l->rules[i].code);
        free(l->rules[i].header);
    }
    free(l->rules);
}

void scn_free(struct scenario *sc)
{
    if (sc == NULL)
        return;
    for (size_t i = 0; i < sc->policy.n_tiers; i++)
        free(sc->policy.tiers[i].limits);
    free(sc->policy.tiers);
    free(sc->policy.models);
    free(sc->policy.blocked_regions);
    for (size_t i = 0; i < sc->n_pops; i++) {
        scn_weights_fini(&sc->pops[i].regions);
        scn_weights_fini(&sc->pops[i].models);
        free(sc->pops[i].phases);
        free(sc->pops[i].trace.path);
    }
    free(sc->pops);
    for (size_t i = 0; i < sc->n_events; i++)
        free(sc->events[i].regions);
    free(sc->events);
    free_live(&sc->live);
    free(sc->expect);
    for (size_t i = 0; i < sc->n_env_texts; i++)
        free(sc->env_texts[i].text);
    free(sc->env_texts);
    free(sc->regions);
    free(sc->description);
    free(sc->file);
    free(sc);
}

/* ---- lookups ------------------------------------------------------------ */

int scn_tier_index(const struct scenario *sc, const char *name)
{
    for (size_t i = 0; i < sc->policy.n_tiers; i++)
        if (strcmp(sc->policy.tiers[i].name, name) == 0)
            return (int)i;
    return -1;
}

int scn_model_index(const struct scenario *sc, const char *name)
{
    for (size_t i = 0; i < sc->policy.n_models; i++)
        if (strcmp(sc->policy.models[i].name, name) == 0)
            return (int)i;
    return -1;
}

int scn_pop_index(const struct scenario *sc, const char *name)
{
    for (size_t i = 0; i < sc->n_pops; i++)
        if (strcmp(sc->pops[i].name, name) == 0)
            return (int)i;
    return -1;
}

int scn_region_index(const struct scenario *sc, const char *code)
{
    for (size_t i = 0; i < sc->n_regions; i++)
        if (strcmp(sc->regions[i], code) == 0)
            return (int)i;
    return -1;
}

int scn_pop_of_account(const struct scenario *sc, int64_t account)
{
    if (account < 0 || account >= sc->n_accounts)
        return -1;
    size_t lo = 0, hi = sc->n_pops; /* first pop whose range ends above */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const struct scn_population *p = &sc->pops[mid];
        if (p->first_account + p->count <= account)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < sc->n_pops ? (int)lo : -1;
}

double scn_pop_offered(const struct scenario *sc, size_t pop)
{
    const struct scn_population *p = &sc->pops[pop];
    if (p->arrival == ARRIVAL_CLOSED)
        return -1;
    return scn_phases_offered(p->phases, p->n_phases, sc->duration_ns);
}

double scn_phases_offered(const struct scn_phase *phases, size_t n,
                          int64_t duration_ns)
{
    double total = 0;
    int64_t t = 0;
    for (size_t i = 0; i < n && t < duration_ns; i++) {
        const struct scn_phase *ph = &phases[i];
        int64_t len = ph->for_ns;
        if (len > duration_ns - t)
            len = duration_ns - t;
        double frac = (double)len / (double)ph->for_ns;
        double end_rate = ph->rate_from_per_s +
                          (ph->rate_to_per_s - ph->rate_from_per_s) * frac;
        total += (ph->rate_from_per_s + end_rate) / 2 * (double)len / 1e9;
        t += len;
    }
    return total;
}

const char *scn_algo_name(enum lim_algo a)
{
    static const char *const names[] = { "token_bucket", "leaky_bucket",
                                         "fixed_window", "sliding_window",
                                         "sliding_counter" };
    return (unsigned)a < 5 ? names[a] : "?";
}

const char *scn_event_kind_name(enum scn_event_kind k)
{
    static const char *const names[EV_KIND_COUNT] = { SCN_EVENT_KIND_NAMES };
    return (unsigned)k < EV_KIND_COUNT ? names[k] : "?";
}

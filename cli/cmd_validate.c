/*
 * cmd_validate.c - 'tollgate validate': lint a scenario and explain it.
 *
 * Parses the scenario with the same code as sim/run/serve (so what
 * validates here runs there), prints every error as file:line:col and
 * exits 2 when there is any; otherwise prints a short summary (or, with
 * --explain, the whole scenario with every default filled in) and exits 0.
 */
#include "cli/cli.h"

#include <stdio.h>
#include <string.h>

#include "cli/args.h"
#include "cli/opts.h"
#include "core/model/traffic_shape.h"
#include "core/results/results.h"
#include "core/scenario/scenario.h"
#include "core/base/units.h"

static void print_help(FILE *out)
{
    fprintf(out,
            "Usage: tollgate validate SCENARIO [--set KEY=VALUE]... "
            "[--explain] [-q]\n\n"
            "Checks a scenario file without running it: YAML syntax, "
            "unknown keys (with\n'did you mean'), value types and units, "
            "ranges, and references between\ntiers, models, populations, "
            "limits and regions.  Every error is listed as\n"
            "file:line:col: error: key: message.\n\n"
            "  --set KEY=VALUE  override a value before validating, as sim "
            "and run do;\n"
            "                   KEY is a dotted path: "
            "policy.capacity.servers,\n"
            "                   accounts.hobbyists.count, accounts[0].count,\n"
            "                   policy.tiers.free.limits.rpm.requests "
            "(repeatable)\n"
            "  --explain        print the scenario with every default "
            "filled in\n"
            "  -q, --quiet      print nothing on success\n"
            "  -h, --help       this help\n\n"
            "Exit status: 0 valid, 2 invalid scenario, unreadable file or "
            "usage error.\n\n"
            "Example:\n"
            "  tollgate validate scenarios/capacity-planning.yaml "
            "--set policy.capacity.servers=32\n"
            "  tollgate validate --explain "
            "scenarios/free-tier-exhaustion.yaml\n");
}

static void print_limits(const struct scn_tier *t)
{
    static const char *const what[] = { "requests", "tokens", "in flight" };
    if (t->n_limits == 0)
        printf(" no limits");
    for (size_t i = 0; i < t->n_limits; i++) {
        const struct scn_limit *l = &t->limits[i];
        char per[48];
        if (l->kind == LIMIT_CONCURRENT)
            printf("%s %s %lld in flight", i ? "," : "", l->name,
                   (long long)l->amount);
        else
            printf("%s %s %lld %s/%s (%s)", i ? "," : "", l->name,
                   (long long)l->amount, what[l->kind],
                   units_fmt_duration(per, sizeof(per), l->per_ns),
                   scn_algo_name(l->algorithm));
    }
}

static void print_tier(const struct scenario *sc, const struct scn_tier *t)
{
    char a[48], b[48];
    printf("  tier %-12s", t->name);
    print_limits(t);
    if (t->has_credit && t->grant_pusd)
        printf("; free grant %s", units_fmt_money(a, sizeof(a), t->grant_pusd));
    if (t->has_credit && t->grant_expires_ns)
        printf(" expiring after %s",
               units_fmt_duration(a, sizeof(a), t->grant_expires_ns));
    if (t->has_credit && t->prepaid_pusd)
        printf("; prepaid %s", units_fmt_money(a, sizeof(a), t->prepaid_pusd));
    if (t->has_credit && !t->grant_pusd && !t->prepaid_pusd)
        printf("; no credit");
    if (t->has_usage_cap)
        printf("; cap %s/month",
               units_fmt_money(a, sizeof(a), t->usage_cap_monthly_pusd));
    if (t->upgrade_to >= 0)
        printf("; upgrades to %s after %s spent, age %s",
               sc->policy.tiers[t->upgrade_to].name,
               units_fmt_money(a, sizeof(a), t->upgrade_spend_pusd),
               units_fmt_duration(b, sizeof(b), t->upgrade_after_ns));
    printf("\n");
}

static void print_pop(const struct scenario *sc, size_t i)
{
    static const char *const arrivals[] = { "poisson", "uniform", "closed" };
    const struct scn_population *p = &sc->pops[i];
    printf("  pop  %-12s %lld accounts, tier %s, %s", p->name,
           (long long)p->count, sc->policy.tiers[p->tier].name,
           arrivals[p->arrival]);
    double offered = traffic_offered(sc, (int)i);
    if (offered >= 0)
        printf(", ~%.0f requests offered (%.3g/s average)", offered,
               offered / ((double)sc->duration_ns / 1e9));
    else
        printf(" loop, %lld users", (long long)p->users);
    printf("\n");
}

static void print_summary(const char *path, const struct scenario *sc)
{
    char d[48], iv[48], w[48];
    printf("%s: valid\n", path);
    printf("  name %s, seed %llu, duration %s (interval %s, warmup %s)\n",
           sc->name, (unsigned long long)sc->seed,
           units_fmt_duration(d, sizeof(d), sc->duration_ns),
           units_fmt_duration(iv, sizeof(iv), sc->interval_ns),
           units_fmt_duration(w, sizeof(w), sc->warmup_ns));
    for (size_t i = 0; i < sc->policy.n_tiers; i++)
        print_tier(sc, &sc->policy.tiers[i]);
    double total = 0;
    for (size_t i = 0; i < sc->n_pops; i++) {
        print_pop(sc, i);
        double o = traffic_offered(sc, (int)i);
        total += o > 0 ? o : 0;
    }
    printf("  %lld accounts, ~%.0f open-loop requests, %zu model%s, "
           "%zu event%s, %zu expect rule%s%s\n",
           (long long)sc->n_accounts, total, sc->policy.n_models,
           sc->policy.n_models == 1 ? "" : "s", sc->n_events,
           sc->n_events == 1 ? "" : "s", sc->n_expect,
           sc->n_expect == 1 ? "" : "s", sc->has_live ? ", live section" : "");
}

struct validate_opts {
    const char *path;
    struct opts_sets sets;
    bool explain, quiet;
};

enum { OPT_SET = 256, OPT_EXPLAIN };

static const struct option longopts[] = {
    { "set", required_argument, NULL, OPT_SET },
    { "explain", no_argument, NULL, OPT_EXPLAIN },
    { "quiet", no_argument, NULL, 'q' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 }
};

/* One option or operand; CLI_CONTINUE or an exit status. */
static int take(struct validate_opts *o, const struct args *a, int c)
{
    switch (c) {
    case 'h': print_help(stdout); return EXIT_OK;
    case OPT_EXPLAIN: o->explain = true; break;
    case 'q': o->quiet = true; break;
    case OPT_SET:
        if (opts_add_set(&o->sets, a->arg) != ERR_OK)
            return args_fail(a, "--set needs KEY=VALUE, e.g. --set "
                                "policy.capacity.servers=32");
        break;
    case ARGS_OPERAND:
        if (o->path != NULL)
            return args_fail(a, "one scenario at a time ('%s' and '%s')",
                             o->path, a->arg);
        o->path = a->arg;
        break;
    default: return EXIT_USAGE; /* ARGS_ERROR: reported */
    }
    return CLI_CONTINUE;
}

/* Returns CLI_CONTINUE to go on, else the exit status. */
static int parse_args(int argc, char **argv, struct validate_opts *o)
{
    struct args a;
    args_init(&a, "validate", argc, argv, "qh", longopts);
    for (int c; (c = args_next(&a)) != ARGS_END;) {
        int status = take(o, &a, c);
        if (status != CLI_CONTINUE)
            return status;
    }
    if (o->path == NULL) {
        print_help(stderr);
        return EXIT_USAGE;
    }
    return CLI_CONTINUE;
}

int cmd_validate(int argc, char **argv)
{
    struct validate_opts o = { 0 };
    int status = parse_args(argc, argv, &o);
    if (status != CLI_CONTINUE) {
        opts_sets_fini(&o.sets);
        return status;
    }
    struct scn_diags diags;
    struct scenario *sc = NULL;
    scn_diags_init(&diags, o.path);
    int rc = scn_parse_file(o.path, o.sets.items, o.sets.n, &sc, &diags);
    if (rc != ERR_OK) {
        scn_diags_print(&diags, stderr);
        size_t n = diags.n + diags.dropped;
        fprintf(stderr, "%s: %zu error%s (%s); nothing was run\n", o.path, n,
                n == 1 ? "" : "s", err_str(rc));
        status = EXIT_USAGE;
    } else if (o.explain) {
        status = results_fwrite_scenario(stdout, sc) == ERR_OK ? EXIT_OK
                                                               : EXIT_RUNTIME;
    } else {
        if (!o.quiet)
            print_summary(o.path, sc);
        status = EXIT_OK;
    }
    scn_free(sc);
    scn_diags_fini(&diags);
    opts_sets_fini(&o.sets);
    return status;
}

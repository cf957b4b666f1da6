/*
 * cmd_compare.c - `tollgate compare DIR_A DIR_B`: sim vs live, or before vs
 * after, reason by reason and percentile by percentile.
 *
 * Reads the two summary.json files, has core/results/compare build the rows
 * (tolerances, the 95% interval rule, the row order and compare.csv's
 * format are documented there), prints a side-by-side table and writes
 * the rows to DIR_B/compare.csv (or --csv FILE, "-" for stdout), which
 * plots/compare.gp charts.  Exit: 0 all within, 1 anything outside, 2
 * usage, 3 I/O.
 */
#include "cli/cli.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cli/args.h"
#include "core/results/compare.h"
#include "core/results/results.h"
#include "core/stats/summary.h"
#include "core/base/units.h"

struct opts {
    const char *dir_a, *dir_b;
    struct compare_opts cmp;
    const char *csv; /* NULL: DIR_B/compare.csv; "-": stdout */
};

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: tollgate compare DIR_A DIR_B [--tolerance 2%%] "
            "[--latency-tolerance 10%%]\n"
            "                        [--latency-floor 1ms] [--csv FILE|-]\n\n"
            "Compares two results directories (sim vs run, before vs after):"
            "\ndenial rate per reason (absolute, percentage points) and "
            "latency p50/p90/p99/p999\nof all attempts and of ok "
            "(relative).  With replications on both sides a\ndifference "
            "inside the combined 95%% interval also counts as within.\n\n"
            "  --tolerance F           allowed rate difference, e.g. 2%% "
            "(default 2%%)\n"
            "  --latency-tolerance F   allowed relative latency difference "
            "(default 10%%)\n"
            "  --latency-floor D       latency differences below D are "
            "within (default 1ms)\n"
            "  --csv FILE              data file for the compare chart "
            "(default DIR_B/compare.csv;\n"
            "                          '-' writes it to stdout and the "
            "table to stderr)\n"
            "  -h, --help              this help\n\n"
            "Example (does the live run agree with the simulation?):\n"
            "  tollgate sim scenarios/free-tier-exhaustion.yaml "
            "--duration 60s -o results/a\n"
            "  tollgate run scenarios/free-tier-exhaustion.yaml "
            "--duration 60s -o results/b\n"
            "  tollgate compare results/a results/b --tolerance 5%% && "
            "tollgate plot results/b\n\n"
            "Exit status: 0 everything within tolerance, 1 something "
            "outside, 2 usage,\n3 I/O error.  Chart: tollgate plot DIR_B.\n");
}

enum { OPT_TOLERANCE = 256, OPT_LAT_TOLERANCE, OPT_LAT_FLOOR, OPT_CSV };

static const struct option longopts[] = {
    { "tolerance", required_argument, NULL, OPT_TOLERANCE },
    { "latency-tolerance", required_argument, NULL, OPT_LAT_TOLERANCE },
    { "latency-floor", required_argument, NULL, OPT_LAT_FLOOR },
    { "csv", required_argument, NULL, OPT_CSV },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 }
};

/* An option's value; CLI_CONTINUE or EXIT_USAGE. */
static int take_value(struct opts *o, const struct args *a, int c)
{
    int64_t ns;
    int e = ERR_OK;
    const char *name = "csv";
    switch (c) {
    case OPT_TOLERANCE:
        name = "tolerance";
        e = compare_parse_tolerance(a->arg, &o->cmp.rate_tol);
        break;
    case OPT_LAT_TOLERANCE:
        name = "latency-tolerance";
        e = compare_parse_tolerance(a->arg, &o->cmp.lat_tol);
        break;
    case OPT_LAT_FLOOR:
        name = "latency-floor";
        e = units_parse_duration(a->arg, &ns);
        if (e == ERR_OK)
            o->cmp.lat_floor_ms = (double)ns / 1e6;
        break;
    case OPT_CSV: o->csv = a->arg; break;
    }
    if (e != ERR_OK)
        return args_fail(a, "bad value '%s' for --%s", a->arg, name);
    return CLI_CONTINUE;
}

/* Returns CLI_CONTINUE to go on, or an exit status. */
static int parse_args(int argc, char **argv, struct opts *o)
{
    *o = (struct opts){ 0 };
    compare_opts_init(&o->cmp);
    struct args a;
    args_init(&a, "compare", argc, argv, "h", longopts);
    for (int c; (c = args_next(&a)) != ARGS_END;) {
        int st = CLI_CONTINUE;
        if (c == 'h') {
            usage(stdout);
            return EXIT_OK;
        } else if (c == ARGS_OPERAND && !o->dir_a) {
            o->dir_a = a.arg;
        } else if (c == ARGS_OPERAND && !o->dir_b) {
            o->dir_b = a.arg;
        } else if (c == ARGS_OPERAND) {
            st = args_fail(&a, "two results directories only ('%s')", a.arg);
        } else if (c == ARGS_ERROR) {
            st = EXIT_USAGE;
        } else {
            st = take_value(o, &a, c);
        }
        if (st != CLI_CONTINUE)
            return st;
    }
    if (!o->dir_b) {
        usage(stderr);
        return EXIT_USAGE;
    }
    return CLI_CONTINUE;
}

static int load(const char *dir, struct summary *s)
{
    char path[4096], err[512];
    snprintf(path, sizeof(path), "%s/%s", dir, RESULTS_SUMMARY);
    int e = results_read_summary(path, s, err, sizeof(err));
    if (e == ERR_OK)
        return EXIT_OK;
    fprintf(stderr, "tollgate compare: %s\n", err);
    return e == ERR_IO ? EXIT_RUNTIME : EXIT_USAGE;
}

/* ---- output -------------------------------------------------------------- */

static void fmt_ms(double ms, char *buf, size_t len)
{
    if (ms < 1)
        snprintf(buf, len, "%.0fus", ms * 1000);
    else if (ms < 1000)
        snprintf(buf, len, "%.4gms", ms);
    else
        snprintf(buf, len, "%.4gs", ms / 1000);
}

static void print_row(FILE *out, const struct compare_row *r)
{
    char a[32], b[32], d[32];
    const char *verdict =
        r->within ? (r->by_ci ? "within (95% CI)" : "within") : "OUTSIDE";
    if (r->missing) {
        fprintf(out, "  %-22s %12s %12s %12s  OUTSIDE (no samples in %c)\n",
                r->name, "", "", "", r->missing);
        return;
    }
    if (!r->latency) {
        snprintf(a, sizeof(a), "%.3f%%", r->a);
        snprintf(b, sizeof(b), "%.3f%%", r->b);
        snprintf(d, sizeof(d), "%+.3fpp", r->diff);
    } else {
        fmt_ms(r->a, a, sizeof(a));
        fmt_ms(r->b, b, sizeof(b));
        if (isinf(r->rel))
            snprintf(d, sizeof(d), "new");
        else
            snprintf(d, sizeof(d), "%+.1f%%", r->rel);
    }
    fprintf(out, "  %-22s %12s %12s %12s  %s\n", r->name, a, b, d, verdict);
}

static void print_table(FILE *out, const struct compare_table *t,
                        const struct summary *a, const struct summary *b,
                        const struct opts *o)
{
    fprintf(out, "A: %s  (%s, %s, seed %llu, %lld attempts%s)\n", o->dir_a,
            a->scenario, a->mode, (unsigned long long)a->seed,
            (long long)a->requests.attempts,
            a->has_ci95 ? ", replications" : "");
    fprintf(out, "B: %s  (%s, %s, seed %llu, %lld attempts%s)\n", o->dir_b,
            b->scenario, b->mode, (unsigned long long)b->seed,
            (long long)b->requests.attempts,
            b->has_ci95 ? ", replications" : "");
    fprintf(out,
            "tolerance: rates %.3g percentage points, latency %.3g%% "
            "(differences under %.3gms ignored)\n\n",
            100 * o->cmp.rate_tol, 100 * o->cmp.lat_tol, o->cmp.lat_floor_ms);
    fprintf(out, "  %-22s %12s %12s %12s\n", "denial rate", "A", "B", "B-A");
    size_t i = 0, outside = compare_outside(t);
    for (; i < t->n && !t->rows[i].latency; i++)
        print_row(out, &t->rows[i]);
    if (t->zero_reasons > 0)
        fprintf(out, "  (%d other reasons: 0 in both)\n", t->zero_reasons);
    if (i < t->n)
        fprintf(out, "\n  %-22s %12s %12s %12s\n", "latency", "A", "B", "B-A");
    for (; i < t->n; i++)
        print_row(out, &t->rows[i]);
    fprintf(out, "\n%zu within tolerance, %zu outside\n", t->n - outside,
            outside);
}

struct csv_ctx {
    const struct compare_table *t;
    const struct opts *o;
};

static int write_csv(void *vctx, FILE *out)
{
    const struct csv_ctx *c = vctx;
    return compare_write_csv(out, c->t, c->o->dir_a, c->o->dir_b);
}

static int emit_csv(const struct compare_table *t, const struct opts *o)
{
    struct csv_ctx ctx = { t, o };
    if (o->csv && strcmp(o->csv, "-") == 0)
        return write_csv(&ctx, stdout) == ERR_OK ? EXIT_OK : EXIT_RUNTIME;
    int e;
    if (o->csv) {
        FILE *f = fopen(o->csv, "w");
        e = f ? write_csv(&ctx, f) : ERR_IO;
        if (f && fclose(f) != 0)
            e = ERR_IO;
    } else {
        e = results_write_atomic(o->dir_b, "compare.csv", write_csv, &ctx);
    }
    if (e != ERR_OK) {
        fprintf(stderr, "tollgate compare: cannot write %s%s: %s\n",
                o->csv ? o->csv : o->dir_b, o->csv ? "" : "/compare.csv",
                err_str(e));
        return EXIT_RUNTIME;
    }
    return EXIT_OK;
}

int cmd_compare(int argc, char **argv)
{
    struct opts o;
    int rc = parse_args(argc, argv, &o);
    if (rc != CLI_CONTINUE)
        return rc;
    struct summary a, b;
    summary_init(&a);
    summary_init(&b);
    struct compare_table t;
    rc = load(o.dir_a, &a);
    if (rc == EXIT_OK)
        rc = load(o.dir_b, &b);
    if (rc == EXIT_OK) {
        compare_build(&t, &a, &b, &o.cmp);
        bool to_stdout = o.csv && strcmp(o.csv, "-") == 0;
        print_table(to_stdout ? stderr : stdout, &t, &a, &b, &o);
        rc = emit_csv(&t, &o);
        if (rc == EXIT_OK && compare_outside(&t) > 0)
            rc = EXIT_EXPECT;
    }
    summary_fini(&a);
    summary_fini(&b);
    return rc;
}

/*
 * cmd_compare.c - `tollgate compare DIR_A DIR_B`: sim vs live, or before vs
 * after, at both levels, reason by reason and percentile by percentile.
 *
 * Reads the two summary.json files, has core/results/compare build the rows
 * (tolerances, the 95% interval rule, the two modes, the row order and
 * compare.csv's format are documented there), prints a side-by-side table
 * and, with -o DIR, writes the rows to DIR/compare.csv for `tollgate plot
 * DIR` (or --csv FILE, "-" for stdout).  It never writes into DIR_A or
 * DIR_B.  A side that is incomplete (stopped early, answers missing) or
 * whose load generator did not keep up is not accepted as evidence unless
 * the user says so.  Exit: 0 all within, 1 anything outside or a side
 * not accepted, 2 usage, 3 I/O.
 */
#include "cli/cli.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/args.h"
#include "core/results/compare.h"
#include "core/results/results.h"
#include "core/stats/summary.h"
#include "core/base/units.h"

struct opts {
    const char *dir_a, *dir_b;
    struct compare_opts cmp;
    const char *csv;    /* --csv FILE; "-": stdout */
    const char *outdir; /* -o DIR: DIR/compare.csv */
    bool accept_incomplete, accept_lag;
};

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: tollgate compare DIR_A DIR_B [--regression] [-o DIR] "
            "[--csv FILE|-]\n"
            "                        [--tolerance 2%%] [--latency-tolerance "
            "10%%] [--latency-floor 1ms]\n"
            "                        [--ratio-tolerance 10%%] "
            "[--accept-incomplete] [--accept-generator-lag]\n\n"
            "Compares two results directories at both levels: requests "
            "(what your callers\nsee: final outcomes, end-to-end latency) "
            "and attempts (what the API sees),\ndenial share per reason "
            "(absolute, percentage points), latency p50/p90/p99/p999\n"
            "(relative), goodput and retry amplification (relative).  With "
            "replications on\nboth sides a difference inside the combined "
            "95%% interval also counts as within.\n\n"
            "Modes:\n"
            "  (default)               agreement: |B - A| must be within "
            "tolerance (sim vs live)\n"
            "  --regression            A is the baseline, only worse fails: "
            "a higher denial\n"
            "                          share, latency or amplification, a "
            "lower goodput\n\n"
            "  --tolerance F           allowed share difference, e.g. 2%% "
            "(default 2%%)\n"
            "  --latency-tolerance F   allowed relative latency difference "
            "(default 10%%)\n"
            "  --latency-floor D       latency differences below D are "
            "within (default 1ms)\n"
            "  --ratio-tolerance F     goodput and retry amplification, "
            "relative (default 10%%)\n"
            "  -o, --output DIR        write DIR/compare.csv (created; "
            "never DIR_A or DIR_B),\n"
            "                          charted by tollgate plot DIR\n"
            "  --csv FILE              write the rows to FILE ('-': stdout, "
            "table to stderr)\n"
            "  --accept-incomplete     accept a side that stopped early or "
            "has answers missing\n"
            "  --accept-generator-lag  accept a run whose load generator "
            "did not keep up\n"
            "                          (generator.kept_up false: its gaps "
            "may be the generator's)\n"
            "  -h, --help              this help\n\n"
            "Examples:\n"
            "  # does the live run agree with the simulation?\n"
            "  tollgate sim scenarios/free-tier-exhaustion.yaml "
            "--duration 60s -o results/a\n"
            "  tollgate run scenarios/free-tier-exhaustion.yaml "
            "--duration 60s -o results/b\n"
            "  tollgate compare results/a results/b -o results/a-vs-b && "
            "tollgate plot results/a-vs-b\n"
            "  # did the new policy make things worse for callers?\n"
            "  tollgate compare results/before results/after --regression "
            "--tolerance 1%%\n\n"
            "Exit status: 0 everything within tolerance, 1 something "
            "outside (or a side\nnot accepted), 2 usage, 3 I/O error.\n");
}

enum {
    OPT_TOLERANCE = 256,
    OPT_LAT_TOLERANCE,
    OPT_LAT_FLOOR,
    OPT_RATIO_TOLERANCE,
    OPT_CSV,
    OPT_REGRESSION,
    OPT_ACCEPT_INCOMPLETE,
    OPT_ACCEPT_LAG
};

static const struct option longopts[] = {
    { "tolerance", required_argument, NULL, OPT_TOLERANCE },
    { "latency-tolerance", required_argument, NULL, OPT_LAT_TOLERANCE },
    { "latency-floor", required_argument, NULL, OPT_LAT_FLOOR },
    { "ratio-tolerance", required_argument, NULL, OPT_RATIO_TOLERANCE },
    { "csv", required_argument, NULL, OPT_CSV },
    { "output", required_argument, NULL, 'o' },
    { "regression", no_argument, NULL, OPT_REGRESSION },
    { "accept-incomplete", no_argument, NULL, OPT_ACCEPT_INCOMPLETE },
    { "accept-generator-lag", no_argument, NULL, OPT_ACCEPT_LAG },
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
    case OPT_RATIO_TOLERANCE:
        name = "ratio-tolerance";
        e = compare_parse_tolerance(a->arg, &o->cmp.ratio_tol);
        break;
    case OPT_CSV: o->csv = a->arg; break;
    case 'o': o->outdir = a->arg; break;
    case OPT_REGRESSION: o->cmp.regression = true; break;
    case OPT_ACCEPT_INCOMPLETE: o->accept_incomplete = true; break;
    case OPT_ACCEPT_LAG: o->accept_lag = true; break;
    }
    if (e != ERR_OK)
        return args_fail(a, "bad value '%s' for --%s", a->arg, name);
    return CLI_CONTINUE;
}

/* Whether two paths name the same existing directory. */
static bool same_dir(const char *x, const char *y)
{
    struct stat sx, sy;
    return stat(x, &sx) == 0 && stat(y, &sy) == 0 && sx.st_dev == sy.st_dev &&
           sx.st_ino == sy.st_ino;
}

/* Returns CLI_CONTINUE to go on, or an exit status. */
static int parse_args(int argc, char **argv, struct opts *o)
{
    *o = (struct opts){ 0 };
    compare_opts_init(&o->cmp);
    struct args a;
    args_init(&a, "compare", argc, argv, "ho:", longopts);
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
    if (o->outdir &&
        (same_dir(o->outdir, o->dir_a) || same_dir(o->outdir, o->dir_b)))
        return args_fail(&a,
                         "-o %s is one of the compared directories: write "
                         "the comparison elsewhere (e.g. -o results/a-vs-b)",
                         o->outdir);
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
        fprintf(out, "  %-24s %12s %12s %12s  OUTSIDE (no samples in %c)\n",
                r->name, "", "", "", r->missing);
        return;
    }
    if (r->kind == CMP_RATIO) {
        snprintf(a, sizeof(a), "%.4g", r->a);
        snprintf(b, sizeof(b), "%.4g", r->b);
        if (isinf(r->rel))
            snprintf(d, sizeof(d), "new");
        else
            snprintf(d, sizeof(d), "%+.1f%%", r->rel);
    } else if (!r->latency) {
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
    fprintf(out, "  %-24s %12s %12s %12s  %s\n", r->name, a, b, d, verdict);
}

/* The heading of the section a row of kind k belongs to. */
static const char *section_of(enum compare_kind k)
{
    switch (k) {
    case CMP_RATE: return "attempts: denial share";
    case CMP_LATENCY: return "attempts: latency";
    case CMP_REQ_RATE: return "requests: outcome share";
    case CMP_RATIO: return "goodput, amplification";
    case CMP_REQ_LATENCY: return "requests: end to end";
    }
    return "";
}

static void print_side(FILE *out, char side, const char *dir,
                       const struct summary *s)
{
    fprintf(out,
            "%c: %s  (%s, %s, seed %llu, %lld requests, %lld attempts%s)\n",
            side, dir, s->scenario, s->mode, (unsigned long long)s->seed,
            (long long)s->requests.unique, (long long)s->requests.attempts,
            s->has_ci95 ? ", replications" : "");
}

static void print_table(FILE *out, const struct compare_table *t,
                        const struct summary *a, const struct summary *b,
                        const struct opts *o)
{
    print_side(out, 'A', o->dir_a, a);
    print_side(out, 'B', o->dir_b, b);
    fprintf(out,
            "%s; tolerance: shares %.3g percentage points, latency %.3g%% "
            "(differences under %.3gms ignored), ratios %.3g%%\n",
            o->cmp.regression ? "regression (only worse than A fails)"
                              : "agreement",
            100 * o->cmp.rate_tol, 100 * o->cmp.lat_tol, o->cmp.lat_floor_ms,
            100 * o->cmp.ratio_tol);
    size_t outside = compare_outside(t);
    for (size_t i = 0; i < t->n; i++) {
        const struct compare_row *r = &t->rows[i];
        if (i == 0 || t->rows[i - 1].kind != r->kind)
            fprintf(out, "\n  %-24s %12s %12s %12s\n", section_of(r->kind), "A",
                    "B", "B-A");
        print_row(out, r);
        if (r->kind == CMP_RATE &&
            (i + 1 == t->n || t->rows[i + 1].kind != CMP_RATE) &&
            t->zero_reasons > 0)
            fprintf(out, "  (%d other reasons: 0 in both)\n", t->zero_reasons);
    }
    fprintf(out, "\n%zu within tolerance, %zu outside\n", t->n - outside,
            outside);
}

/* Whether a side is accepted as evidence; prints why not.  Incomplete
 * results and lagging generators make numbers that are not the target's. */
static bool accepted(FILE *out, char side, const char *dir,
                     const struct summary *s, const struct opts *o)
{
    bool ok = true;
    if (!s->complete) {
        fprintf(out,
                "%s: %c (%s) is incomplete (stopped early or answers "
                "missing)%s\n",
                o->accept_incomplete ? "note" : "NOT ACCEPTED", side, dir,
                o->accept_incomplete ? ", accepted by --accept-incomplete"
                                     : ": pass --accept-incomplete to compare "
                                       "it anyway");
        ok = ok && o->accept_incomplete;
    }
    if (s->has_generator && !s->generator.kept_up) {
        fprintf(out,
                "%s: %c (%s): the load generator did not keep up (schedule "
                "lag or dropped requests); differences may be the "
                "generator's%s\n",
                o->accept_lag ? "note" : "NOT ACCEPTED", side, dir,
                o->accept_lag ? ", accepted by --accept-generator-lag"
                              : ": give the run more threads, connections "
                                "or CPU, or pass --accept-generator-lag");
        ok = ok && o->accept_lag;
    }
    return ok;
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
    if (o->csv && strcmp(o->csv, "-") == 0 && write_csv(&ctx, stdout) != ERR_OK)
        return EXIT_RUNTIME;
    if (o->csv && strcmp(o->csv, "-") != 0) {
        FILE *f = fopen(o->csv, "w");
        int e = f ? write_csv(&ctx, f) : ERR_IO;
        if (f && fclose(f) != 0)
            e = ERR_IO;
        if (e != ERR_OK) {
            fprintf(stderr, "tollgate compare: cannot write %s: %s\n", o->csv,
                    strerror(errno));
            return EXIT_RUNTIME;
        }
    }
    if (o->outdir) {
        int e = results_mkdir(o->outdir);
        if (e == ERR_OK)
            e = results_write_atomic(o->outdir, "compare.csv", write_csv, &ctx);
        if (e != ERR_OK) {
            fprintf(stderr,
                    "tollgate compare: cannot write %s/compare.csv: "
                    "%s\n",
                    o->outdir, strerror(errno));
            return EXIT_RUNTIME;
        }
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
        FILE *out = to_stdout ? stderr : stdout;
        print_table(out, &t, &a, &b, &o);
        bool acc_a = accepted(out, 'A', o.dir_a, &a, &o);
        bool acc_b = accepted(out, 'B', o.dir_b, &b, &o);
        rc = emit_csv(&t, &o);
        if (rc == EXIT_OK && (compare_outside(&t) > 0 || !acc_a || !acc_b))
            rc = EXIT_EXPECT;
    }
    summary_fini(&a);
    summary_fini(&b);
    return rc;
}

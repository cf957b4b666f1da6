/*
 * cmd_compare.c - `tollgate compare DIR_A DIR_B`: sim vs live, or before vs
 * after, reason by reason and percentile by percentile.
 *
 * Denial rates (of attempts) are compared in absolute percentage points
 * against --tolerance; latency percentiles (p50 p90 p99 p999 of all
 * attempts and of ok) relatively against --latency-tolerance, with an
 * absolute floor (--latency-floor) below which differences are noise of
 * the microsecond-resolution histograms.  When both summaries come from
 * replications (ci95 present), a difference within the 95% interval of the
 * difference, sqrt(ciA^2 + ciB^2), also counts as within: the two runs are
 * then statistically indistinguishable.  summary.json carries no interval
 * for the per-reason rates, so those use the tolerance alone.
 *
 * Prints a side-by-side table and writes the rows to DIR_B/compare.csv
 * (or --csv FILE, "-" for stdout), which plots/compare.gp charts.  Exit:
 * 0 all within, 1 anything outside, 2 usage, 3 I/O.
 */
#include "cli/cli.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/reason.h"
#include "core/results.h"
#include "core/summary.h"
#include "core/units.h"

#define MAX_ROWS 64

struct opts {
    const char *dir_a, *dir_b;
    double rate_tol;  /* fraction: 0.02 = 2 percentage points */
    double lat_tol;   /* relative: 0.10 = 10% */
    double lat_floor; /* ms: smaller differences are within */
    const char *csv;  /* NULL: DIR_B/compare.csv; "-": stdout */
};

/* One compared quantity.  Rates are in percent, latencies in ms. */
struct row {
    bool latency;
    char name[48];
    double a, b;
    double diff;    /* b - a (percentage points or ms) */
    double rel;     /* (b - a) / a in percent; 0 when a = b = 0 */
    double allowed; /* largest |diff| counted as within */
    bool within, by_ci;
    char missing; /* 'A' or 'B': no samples on that side; 0 otherwise */
};

struct table {
    struct row rows[MAX_ROWS];
    size_t n;
    int zero_reasons; /* denial reasons that are 0 in both */
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
            "table to stderr)\n\n"
            "Exit status: 0 everything within tolerance, 1 something "
            "outside, 2 usage,\n3 I/O error.  Chart: tollgate plot DIR_B.\n");
}

/* "2%" or "0.02" -> 0.02; unlike a scenario fraction it may exceed 100%
 * (a latency tolerance of 200% is meaningful). */
static int parse_tolerance(const char *v, double *out)
{
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    if (end == v || errno != 0 || !isfinite(x) || x < 0)
        return ERR_INVAL;
    if (*end == '%') {
        x /= 100;
        end++;
    }
    if (*end != '\0')
        return ERR_INVAL;
    *out = x;
    return ERR_OK;
}

static int parse_opt_value(const char *opt, const char *v, struct opts *o)
{
    int64_t ns;
    int e = ERR_INVAL;
    if (strcmp(opt, "--tolerance") == 0)
        e = parse_tolerance(v, &o->rate_tol);
    else if (strcmp(opt, "--latency-tolerance") == 0)
        e = parse_tolerance(v, &o->lat_tol);
    else if (strcmp(opt, "--latency-floor") == 0) {
        e = units_parse_duration(v, &ns);
        o->lat_floor = (double)ns / 1e6;
    } else if (strcmp(opt, "--csv") == 0) {
        o->csv = v;
        e = ERR_OK;
    }
    if (e != ERR_OK)
        fprintf(stderr, "tollgate compare: bad value '%s' for %s\n", v, opt);
    return e;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
    *o = (struct opts){ .rate_tol = 0.02, .lat_tol = 0.10, .lat_floor = 1 };
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return -1;
        }
        if (a[0] == '-' && a[1] != '\0') {
            if (i + 1 >= argc) {
                fprintf(stderr, "tollgate compare: %s needs a value\n", a);
                return EXIT_USAGE;
            }
            if (parse_opt_value(a, argv[++i], o) != ERR_OK)
                return EXIT_USAGE;
        } else if (!o->dir_a) {
            o->dir_a = a;
        } else if (!o->dir_b) {
            o->dir_b = a;
        } else {
            fprintf(stderr, "tollgate compare: unexpected argument '%s'\n", a);
            return EXIT_USAGE;
        }
    }
    if (!o->dir_b) {
        usage(stderr);
        return EXIT_USAGE;
    }
    return EXIT_OK;
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

/* ---- rows ---------------------------------------------------------------- */

static double pct(int64_t n, int64_t attempts)
{
    return attempts > 0 ? 100.0 * (double)n / (double)attempts : 0.0;
}

static struct row *add_row(struct table *t, bool latency, const char *name,
                           double a, double b)
{
    struct row *r = &t->rows[t->n++];
    *r = (struct row){ .latency = latency, .a = a, .b = b, .diff = b - a };
    snprintf(r->name, sizeof(r->name), "%s", name);
    r->rel = a != 0 ? 100.0 * (b - a) / a : (b != 0 ? INFINITY : 0.0);
    return r;
}

/* Decides within-ness from the tolerance and, when known, the 95% CI of
 * the difference (ci < 0: unknown). */
static void judge(struct row *r, double tol, double ci)
{
    r->allowed = tol;
    r->within = fabs(r->diff) <= tol;
    if (!r->within && ci >= 0 && fabs(r->diff) <= ci) {
        r->within = true;
        r->by_ci = true;
    }
    if (ci > r->allowed)
        r->allowed = ci;
}

static double combined_ci(const struct summary *a, const struct summary *b,
                          double ca, double cb)
{
    if (!a->has_ci95 || !b->has_ci95)
        return -1;
    return sqrt(ca * ca + cb * cb);
}

static void rate_rows(struct table *t, const struct summary *a,
                      const struct summary *b, const struct opts *o)
{
    struct row *r = add_row(t, false, "denied", 100.0 * a->denial_rate,
                            100.0 * b->denial_rate);
    judge(r, 100.0 * o->rate_tol,
          100.0 * combined_ci(a, b, a->ci95.denial_rate, b->ci95.denial_rate));
    for (int k = 1; k < REASON_COUNT; k++) {
        int64_t na = a->denied_by_reason[k], nb = b->denied_by_reason[k];
        if (na == 0 && nb == 0) {
            t->zero_reasons++;
            continue;
        }
        r = add_row(t, false, reason_id((enum reason)k),
                    pct(na, a->requests.attempts),
                    pct(nb, b->requests.attempts));
        judge(r, 100.0 * o->rate_tol, -1);
    }
}

static const struct {
    const char *name;
    size_t off;
} lat_stats[] = { { "p50", offsetof(struct summary_lat, p50) },
                  { "p90", offsetof(struct summary_lat, p90) },
                  { "p99", offsetof(struct summary_lat, p99) },
                  { "p999", offsetof(struct summary_lat, p999) } };

static double stat_of(const struct summary_lat *l, size_t k)
{
    double v;
    memcpy(&v, (const char *)l + lat_stats[k].off, sizeof(v));
    return v;
}

static void
lat_block_rows(struct table *t, const char *who, const struct summary_lat *la,
               const struct summary_lat *lb, const struct summary_lat *cia,
               const struct summary_lat *cib, bool has_ci, const struct opts *o)
{
    if (la->count == 0 && lb->count == 0)
        return;
    for (size_t k = 0; k < sizeof(lat_stats) / sizeof(lat_stats[0]); k++) {
        char name[48];
        snprintf(name, sizeof(name), "%s %s", who, lat_stats[k].name);
        struct row *r = add_row(t, true, name, stat_of(la, k), stat_of(lb, k));
        if (la->count == 0 || lb->count == 0) {
            r->missing = la->count == 0 ? 'A' : 'B';
            continue;
        }
        double tol = fmax(o->lat_tol * fabs(r->a), o->lat_floor);
        double ca = stat_of(cia, k), cb = stat_of(cib, k);
        judge(r, tol, has_ci ? sqrt(ca * ca + cb * cb) : -1);
    }
}

static void build(struct table *t, const struct summary *a,
                  const struct summary *b, const struct opts *o)
{
    bool ci = a->has_ci95 && b->has_ci95;
    memset(t, 0, sizeof(*t));
    rate_rows(t, a, b, o);
    lat_block_rows(t, "all", &a->lat_all, &b->lat_all, &a->ci95.lat_all,
                   &b->ci95.lat_all, ci, o);
    lat_block_rows(t, "ok", &a->lat_ok, &b->lat_ok, &a->ci95.lat_ok,
                   &b->ci95.lat_ok, ci, o);
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

static void print_row(FILE *out, const struct row *r)
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

static void print_table(FILE *out, const struct table *t,
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
            100 * o->rate_tol, 100 * o->lat_tol, o->lat_floor);
    fprintf(out, "  %-22s %12s %12s %12s\n", "denial rate", "A", "B", "B-A");
    size_t i = 0, outside = 0;
    for (; i < t->n && !t->rows[i].latency; i++)
        print_row(out, &t->rows[i]);
    if (t->zero_reasons > 0)
        fprintf(out, "  (%d other reasons: 0 in both)\n", t->zero_reasons);
    if (i < t->n)
        fprintf(out, "\n  %-22s %12s %12s %12s\n", "latency", "A", "B", "B-A");
    for (; i < t->n; i++)
        print_row(out, &t->rows[i]);
    for (i = 0; i < t->n; i++)
        outside += !t->rows[i].within;
    fprintf(out, "\n%zu within tolerance, %zu outside\n", t->n - outside,
            outside);
}

struct csv_ctx {
    const struct table *t;
    const struct opts *o;
};

static int write_csv(void *vctx, FILE *out)
{
    const struct csv_ctx *c = vctx;
    fprintf(out, "# tollgate compare: a=%s b=%s\n", c->o->dir_a, c->o->dir_b);
    fprintf(out, "# rates in percent of attempts (diff, allowed in "
                 "percentage points); latency in ms\n");
    fprintf(out, "kind,name,a,b,diff,rel_diff_pct,allowed,within\n");
    for (size_t i = 0; i < c->t->n; i++) {
        const struct row *r = &c->t->rows[i];
        fprintf(out, "%s,%s,%.6g,%.6g,%.6g,%.6g,%.6g,%d\n",
                r->latency ? "latency" : "rate", r->name, r->a, r->b, r->diff,
                isinf(r->rel) ? 0.0 : r->rel, r->allowed, r->within ? 1 : 0);
    }
    return ferror(out) ? ERR_IO : ERR_OK;
}

static int emit_csv(const struct table *t, const struct opts *o)
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
    if (rc != EXIT_OK)
        return rc < 0 ? EXIT_OK : rc;
    struct summary a, b;
    summary_init(&a);
    summary_init(&b);
    struct table t;
    rc = load(o.dir_a, &a);
    if (rc == EXIT_OK)
        rc = load(o.dir_b, &b);
    if (rc == EXIT_OK) {
        build(&t, &a, &b, &o);
        bool to_stdout = o.csv && strcmp(o.csv, "-") == 0;
        print_table(to_stdout ? stderr : stdout, &t, &a, &b, &o);
        rc = emit_csv(&t, &o);
        for (size_t i = 0; rc == EXIT_OK && i < t.n; i++)
            if (!t.rows[i].within)
                rc = EXIT_EXPECT;
    }
    summary_fini(&a);
    summary_fini(&b);
    return rc;
}

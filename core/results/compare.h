/*
 * compare.h - two results side by side: the rows of `tollgate compare`
 * and of compare.csv.
 *
 * Denial rates (of attempts) are compared in absolute percentage points
 * against a tolerance; latency percentiles (p50 p90 p99 p999 of all
 * attempts and of ok) relatively against a latency tolerance, with an
 * absolute floor below which differences are noise of the
 * microsecond-resolution histograms.  When both summaries come from
 * replications (ci95 present), a difference within the 95% interval of the
 * difference, sqrt(ciA^2 + ciB^2), also counts as within: the two runs are
 * then statistically indistinguishable.  summary.json carries no interval
 * for the per-reason rates, so those use the tolerance alone.
 *
 * Both levels are compared.  Rows, in order (the attempt level first, as
 * the compare chart reads it): "denied" (the attempt denial rate), one per
 * reason non-zero on either side (share of attempts); attempt latency
 * "all p50" .. "all p999" and "ok ..."; at the request level "requests
 * denied", "requests lost" (when either side lost any) and "requests
 * REASON" per final reason (shares of the requests that ended);
 * "goodput" and "retry amplification" (relative, ratio tolerance); then
 * end-to-end latency "requests all ..." and "requests ok ...".  A latency block
 * is left out when it has no samples on either side; a side without
 * samples makes its rows "missing", which is never within.  A side
 * without a request level (results written before it existed) makes the
 * request rows missing.
 *
 * Two modes: agreement (two-sided: |B - A| within the tolerance; sim vs
 * live, two runs that should match) and regression (one-sided: A is the
 * baseline and only a change for the worse fails: a higher denial share,
 * latency or retry amplification, a lower goodput).
 */
#ifndef TOLLGATE_COMPARE_H
#define TOLLGATE_COMPARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "core/base/err.h"
#include "core/stats/summary.h"

/* Two levels of (1 overall + every reason), lost, 2 ratios and 4 blocks of
 * 4 percentiles, with room. */
#define COMPARE_MAX_ROWS 128

struct compare_opts {
    double rate_tol;     /* fraction: 0.02 = 2 percentage points */
    double lat_tol;      /* relative: 0.10 = 10% */
    double lat_floor_ms; /* smaller latency differences are within */
    double ratio_tol;    /* relative, goodput and retry amplification */
    bool regression;     /* one-sided: only worse than A fails */
};

/* What a row compares (compare.csv's kind column). */
enum compare_kind {
    CMP_RATE = 0,   /* "rate": attempt shares, percent */
    CMP_REQ_RATE,   /* "request_rate": request shares, percent */
    CMP_RATIO,      /* "ratio": goodput (per s), retry amplification */
    CMP_LATENCY,    /* "latency": attempt latency, ms */
    CMP_REQ_LATENCY /* "request_latency": end to end, ms */
};

/* One compared quantity.  Rates are in percent, latencies in ms. */
struct compare_row {
    enum compare_kind kind;
    bool latency;  /* kind is a latency (ms, relative tolerance) */
    int worse;     /* +1: higher is worse; -1: lower is worse */
    char name[48]; /* "denied", a reason id, "all p99", "ok p50" */
    double a, b;
    double diff;        /* b - a (percentage points or ms) */
    double rel;         /* (b - a) / a in percent; 0 when a = b = 0, +inf when
                         * only a is 0 */
    double allowed;     /* largest |diff| counted as within: the tolerance
                         * (latency: max(lat_tol * |a|, floor)) or the ci95 of
                         * the difference, whichever is larger */
    bool within, by_ci; /* by_ci: within only thanks to the ci95 */
    char missing;       /* 'A' or 'B': no samples on that side; else 0 */
};

struct compare_table {
    struct compare_row rows[COMPARE_MAX_ROWS];
    size_t n;
    int zero_reasons; /* denial reasons that are 0 in both */
};

/* The defaults of `tollgate compare`: 2 percentage points, 10%, 1 ms,
 * ratios 10%, agreement (two-sided). */
void compare_opts_init(struct compare_opts *o);

/* Fills t (caller's storage, overwritten) with the rows comparing a to b.
 * Borrows a, b and o for the call only. */
void compare_build(struct compare_table *t, const struct summary *a,
                   const struct summary *b, const struct compare_opts *o);

/* compare.csv's name of kind k. */
const char *compare_kind_name(enum compare_kind k);

/* Rows that are not within. */
size_t compare_outside(const struct compare_table *t);

/* A tolerance as written: "2%" or "0.02" -> 0.02.  Unlike a scenario
 * fraction it may exceed 100% (a latency tolerance of 200% means
 * something).  ERR_INVAL for anything else or a negative value. */
int compare_parse_tolerance(const char *s, double *out) WARN_UNUSED;

/* Writes compare.csv: two '#' lines (the directories a and b as given,
 * then the units), the header
 * kind,name,a,b,diff,rel_diff_pct,allowed,within and one line per row
 * (kind: rate, request_rate, ratio, latency, request_latency)
 * (%.6g numbers; rel_diff_pct 0 where rel is infinite).  plots/compare.gp
 * reads it by column name.  Returns ERR_IO when out has an error. */
int compare_write_csv(FILE *out, const struct compare_table *t,
                      const char *dir_a, const char *dir_b) WARN_UNUSED;

/* The directories a and b from compare.csv's first line, as
 * compare_write_csv wrote it ("# tollgate compare: a=DIR b=DIR", trailing
 * newline allowed) into a and b (len bytes each, truncated to fit).
 * Returns false, with a and b untouched, for any other line.  The split
 * is at the first " b=", so a DIR_A containing " b=" reads wrongly (the
 * line is for chart labels only). */
bool compare_csv_dirs(const char *line, char *a, char *b, size_t len);

#endif

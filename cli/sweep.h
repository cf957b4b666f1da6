/*
 * sweep.h - the pieces of `tollgate sweep` shared by the grid run
 * (cmd_sweep.c), the table writers (sweep_table.c) and the search
 * (sweep_find.c).
 *
 * A metric is the left side of an `expect:` rule ("denied(overloaded)",
 * "p99(ok)", "goodput"): it is parsed by the expect: parser itself (the
 * text plus " >= 0"), and measured on each replication's summary with
 * expect_measure, so every metric the rules know is a sweep metric too.
 * A point's value of a metric is the mean over its replications and its
 * uncertainty the 95% Student-t half-width of that mean -- the same
 * method as summary.json's ci95, applied to the metric itself.
 */
#ifndef TOLLGATE_CLI_SWEEP_H
#define TOLLGATE_CLI_SWEEP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cli/opts.h"
#include "cli/reps.h"
#include "core/scenario/expect.h"
#include "core/scenario/vary.h"

#define SWEEP_MAX_AXES    4
#define SWEEP_MAX_METRICS 16
#define SWEEP_MAX_POINTS  10000

struct sweep_metric {
    struct expect_rule rule; /* metric, reason, quantile; cmp/threshold
                                unused */
    char name[128];          /* as written, trimmed: the column name */
};

/* One metric at one point. */
struct sweep_cell {
    double mean; /* in the metric's table unit (sweep_metric_unit); NaN
                    when no replication measured it */
    double ci95; /* half-width; NaN with fewer than 2 measurements */
    int n;       /* replications that measured it (latency of an outcome
                    that never occurred measures nothing) */
};

/* Parses a metric (the left side of an expect: rule).  ERR_PARSE with a
 * message in err, or ERR_TOOBIG for a name over 127 bytes. */
int sweep_metric_parse(const char *text, struct sweep_metric *m, char *err,
                       size_t err_len) WARN_UNUSED;

/* The unit of a metric's table values: "fraction", "ms", "per_s",
 * "count" or "ratio". */
const char *sweep_metric_unit(const struct sweep_metric *m);

/* Measures m on the first ran replications of pt (mean, ci95, n). */
void sweep_measure(const struct sweep_metric *m, const struct reps_point *pt,
                   size_t ran, struct sweep_cell *out);

/* Formats a cell for people: "1.23% +- 0.10%", "850ms +- 12ms". */
void sweep_fmt_cell(const struct sweep_metric *m, const struct sweep_cell *c,
                    char *buf, size_t len);

/* Everything the table files hold.  Arrays are borrowed. */
struct sweep_table {
    const char *scenario; /* name */
    uint64_t seed;        /* first seed of every point */
    const struct vary_axis *axes;
    size_t n_axes;
    const struct sweep_metric *metrics;
    size_t n_metrics;
    size_t n_points;
    const size_t *value_idx;        /* [point * n_axes + axis] */
    const struct sweep_cell *cells; /* [point * n_metrics + metric] */
    const size_t *reps;             /* replications reported per point */
    const bool *complete;           /* every one of them complete */
    const char *const *dirs;        /* point directory, relative */
};

/* The options of `tollgate sweep` (cmd_sweep.c parses them). */
struct sweep_opts {
    const char *scenario;
    const char *out_dir; /* NULL: results/<name>-sweep */
    const char *seed, *duration;
    struct opts_sets sets; /* --set, applied to every point */
    struct vary_axis axes[SWEEP_MAX_AXES];
    size_t n_axes;
    struct sweep_metric metrics[SWEEP_MAX_METRICS];
    size_t n_metrics;
    const char *find;  /* --find KEY=LO..HI[:STEP]; NULL: grid */
    const char *until; /* --until RULE */
    bool largest;      /* --largest */
    long replications, jobs;
    bool plot, quiet;
};

void sweep_opts_fini(struct sweep_opts *o);

/* Loads the scenario with o's --set, --seed, --duration and then the n
 * KEY=VALUE pairs; CLI_CONTINUE or EXIT_USAGE (diagnostics printed). */
int sweep_load(const struct sweep_opts *o, const char *const *keys,
               const char *const *values, size_t n, struct scenario **out);

/* Without --metric: denied, p99(ok), goodput and sc's expect: metrics. */
void sweep_default_metrics(struct sweep_opts *o, const struct scenario *sc);

/* -o DIR, or results/<name>-sweep (in buf). */
const char *sweep_out_dir(const struct sweep_opts *o, const struct scenario *sc,
                          char *buf, size_t len);

/* Runs n points' replications on o->jobs threads with a progress line;
 * ERR_OK or reps_run's error (reported). */
int sweep_run_points(struct reps_point *pts, size_t n,
                     const struct sweep_opts *o,
                     void (*point_done)(void *ctx, size_t point), void *ctx);

/* `tollgate plot DIR`; its exit status. */
int sweep_plot(const char *dir);

/* --find: cli/sweep_find.c.  Returns the exit status. */
int sweep_find(struct sweep_opts *o);

/* sweep.csv and sweep.json (formats in docs/sweep.md). */
int sweep_fwrite_csv(FILE *out, const struct sweep_table *t) WARN_UNUSED;
int sweep_fwrite_json(FILE *out, const struct sweep_table *t) WARN_UNUSED;

#endif

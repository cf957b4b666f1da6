/*
 * plot.h - running the gnuplot scripts of plots/ (cmd_plot.c), shared
 * with the sweep charts (plot_sweep.c) and with the charts
 * `tollgate report --html` inlines (report_html.c).
 */
#ifndef TOLLGATE_CLI_PLOT_H
#define TOLLGATE_CLI_PLOT_H

#include <stdbool.h>
#include <stddef.h>

/* Appends name='value'; to buf (len bytes), quoting for gnuplot. */
void plot_add_var(char *buf, size_t len, const char *name, const char *v);

/* Runs gnuplot -e vars script as a child; its exit status, or -1. */
int plot_run_gnuplot(const char *script, const char *vars);

/* Whether dir is a sweep's directory (sweep.csv). */
bool plot_is_sweep(const char *dir);

/*
 * Draws sweep-<metric>.<fmt> for every metric column of dir/sweep.csv
 * into outdir (NULL: dir/plots) with sweep.gp of the scripts directory
 * (plots/), printing each path.  Returns EXIT_OK, or EXIT_RUNTIME when the
 * table cannot be read or a chart fails (reported on stderr).
 */
int plot_sweep(const char *scripts, const char *dir, const char *outdir,
               const char *fmt);

/* Called once per chart written, with its name ("denials") and path. */
typedef void plot_chart_fn(void *ctx, const char *chart, const char *path);

/*
 * Draws every chart the results directory dir has the inputs for, with
 * the scripts of plots/ (found as cmd_plot.c describes), into outdir
 * (NULL: dir/plots, created if needed) in fmt, "png" or "svg", calling
 * done(ctx, ...) after each.  A sweep's directory (plot_is_sweep) goes
 * to plot_sweep instead, which prints its paths without calling done.
 * Problems are reported on stderr, prefixed
 * "tollgate plot:".  Returns EXIT_OK when every chart was written, else
 * EXIT_RUNTIME (gnuplot or the scripts missing, results unreadable, a
 * chart failed; the charts that worked were still written and reported).
 */
int plot_draw_charts(const char *dir, const char *outdir, const char *fmt,
                     plot_chart_fn *done, void *ctx);

#endif

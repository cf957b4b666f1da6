/*
 * plot.h - drawing a results directory's charts with gnuplot, for
 * `tollgate plot` and for the charts `tollgate report --html` inlines.
 */
#ifndef TOLLGATE_PLOT_H
#define TOLLGATE_PLOT_H

/* Called once per chart written, with its name ("denials") and path. */
typedef void plot_chart_fn(void *ctx, const char *chart, const char *path);

/*
 * Draws every chart the results directory dir has the inputs for, with
 * the scripts of plots/ (found as cmd_plot.c describes), into outdir
 * (NULL: dir/plots, created if needed) in fmt, "png" or "svg", calling
 * done(ctx, ...) after each.  Problems are reported on stderr, prefixed
 * "tollgate plot:".  Returns EXIT_OK when every chart was written, else
 * EXIT_RUNTIME (gnuplot or the scripts missing, results unreadable, a
 * chart failed; the charts that worked were still written and reported).
 */
int plot_draw_charts(const char *dir, const char *outdir, const char *fmt,
                     plot_chart_fn *done, void *ctx);

#endif

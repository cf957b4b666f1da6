/*
 * cmd_plot.c - `tollgate plot DIR [--format png|svg] [-o PLOTDIR]`: charts
 * a results directory with gnuplot.
 *
 * The charts are the scripts in plots/ (denials, latency, spectrum,
 * headroom, and compare when DIR/compare.csv exists), which users can also
 * run by hand; this command only prepares their inputs and runs them:
 *  - the per-outcome latency distributions (latency_ok.hgrm,
 *    latency_denied.hgrm) are written into PLOTDIR from histograms.tgh,
 *    since the results directory itself only carries the overall one;
 *  - the reasons that occur and the scenario name are passed in, which
 *    saves the scripts a scan per reason.
 * gnuplot runs as a child process (fork + execvp, no shell), one per
 * chart.  The scripts are found through $TOLLGATE_PLOTS (the scripts'
 * folder) or $TOLLGATE_DATADIR (its plots/), which when set must hold them;
 * else relative to the binary's own path (/proc/self/exe): the installed
 * data directory (TOLLGATE_REL_DATADIR, ../share/tollgate by default, so a
 * moved install still works), the build tree's plots link, ../plots and
 * ../../plots of a binary built in the source tree; then ./plots.
 * Exit: 0 all charts written, 2 usage, 3 gnuplot missing or failing, or
 * unreadable results.
 */
#include "cli/cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/args.h"
#include "cli/plot.h"
#include "core/results/compare.h"
#include "core/stats/hist.h"
#include "core/base/reason.h"
#include "core/stats/record.h"
#include "core/results/results.h"
#include "core/stats/summary.h"

#define PATH_LEN 4096
#define ARGS_LEN 16384

struct opts {
    const char *dir;
    const char *fmt;    /* "png" or "svg" */
    const char *outdir; /* NULL: DIR/plots */
};

static const char *const charts[] = { "denials", "latency", "spectrum",
                                      "headroom", "compare" };
#define N_CHARTS (sizeof(charts) / sizeof(charts[0]))

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: tollgate plot DIR [--format png|svg] [-o PLOTDIR]\n\n"
            "Draws the charts of a results directory with gnuplot into "
            "DIR/plots:\n"
            "  denials   denials by reason over time (stacked), offered and "
            "ok rates, events\n"
            "  latency   p50/p90/p99/max latency per interval (log scale)\n"
            "  spectrum  latency by percentile for all, ok and denied\n"
            "  headroom  credit left, rate-limit headroom, in flight and "
            "queued\n"
            "  compare   A vs B per reason and percentile (after tollgate "
            "compare A DIR)\n"
            "For a sweep directory (tollgate sweep): one chart per metric, "
            "sweep-<metric>,\nmean and 95%% CI band against the first "
            "varied parameter.\n\n"
            "  --format F              png (default, 1200 px wide) or "
            "svg\n"
            "  -o, --output PLOTDIR    write the charts there instead of "
            "DIR/plots\n"
            "  -h, --help              this help\n\n"
            "Example:\n"
            "  tollgate sim scenarios/free-tier-exhaustion.yaml -o "
            "results/ft\n"
            "  tollgate plot results/ft --format svg   # "
            "results/ft/plots/denials.svg, ...\n\n"
            "The scripts are in plots/ of the source tree or "
            "share/tollgate/plots of an\ninstall ($TOLLGATE_DATADIR/plots "
            "when set) and run by hand too:\n"
            "  gnuplot -e \"dir='results/x'\" plots/denials.gp\n"
            "Needs gnuplot (Debian/Ubuntu package gnuplot-nox).  Exit "
            "status: 0 ok, 2 usage,\n3 gnuplot missing or failed, or "
            "unreadable results.\n");
}

enum { OPT_FORMAT = 256 };

static const struct option longopts[] = {
    { "format", required_argument, NULL, OPT_FORMAT },
    { "output", required_argument, NULL, 'o' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 }
};

/* Returns CLI_CONTINUE to go on, or an exit status. */
static int parse_args(int argc, char **argv, struct opts *o)
{
    *o = (struct opts){ .fmt = "png" };
    struct args a;
    args_init(&a, "plot", argc, argv, "o:h", longopts);
    for (int c; (c = args_next(&a)) != ARGS_END;) {
        switch (c) {
        case 'h': usage(stdout); return EXIT_OK;
        case 'o': o->outdir = a.arg; break;
        case OPT_FORMAT:
            o->fmt = a.arg;
            if (strcmp(o->fmt, "png") != 0 && strcmp(o->fmt, "svg") != 0)
                return args_fail(&a, "--format is png or svg, not '%s'",
                                 o->fmt);
            break;
        case ARGS_OPERAND:
            if (o->dir != NULL)
                return args_fail(&a, "one results directory only ('%s')",
                                 a.arg);
            o->dir = a.arg;
            break;
        default: return EXIT_USAGE; /* ARGS_ERROR: reported */
        }
    }
    if (!o->dir) {
        usage(stderr);
        return EXIT_USAGE;
    }
    return CLI_CONTINUE;
}

/* ---- locating gnuplot and the scripts ------------------------------------ */

static bool is_file(const char *path, bool exec)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
           (!exec || access(path, X_OK) == 0);
}

static bool have_gnuplot(void)
{
    const char *path = getenv("PATH");
    char buf[PATH_LEN];
    while (path && *path) {
        size_t n = strcspn(path, ":");
        snprintf(buf, sizeof(buf), "%.*s/gnuplot", (int)n, n ? path : ".");
        if (is_file(buf, true))
            return true;
        path += n + (path[n] == ':');
    }
    return false;
}

/* snprintf into a path buffer; false when the result did not fit (a path
 * longer than PATH_LEN is treated as absent rather than truncated). */
PRINTF_LIKE(3, 4)
static bool fmt_path(char *buf, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, len, fmt, ap);
    va_end(ap);
    return n >= 0 && (size_t)n < len;
}

static bool scripts_in(const char *dir)
{
    char p[PATH_LEN];
    return fmt_path(p, sizeof(p), "%s/denials.gp", dir) && is_file(p, false);
}

#ifndef TOLLGATE_REL_DATADIR
#define TOLLGATE_REL_DATADIR "../share/tollgate"
#endif

/* The environment override, when set: $TOLLGATE_PLOTS, else
 * $TOLLGATE_DATADIR/plots.  Returns false when neither is set. */
static bool env_scripts(char *out, size_t len)
{
    const char *plots = getenv("TOLLGATE_PLOTS");
    const char *data = getenv("TOLLGATE_DATADIR");
    if (plots && *plots)
        snprintf(out, len, "%s", plots);
    else if (data && *data)
        snprintf(out, len, "%s/plots", data);
    else
        return false;
    return true;
}

static bool find_scripts(char *out, size_t len)
{
    static const char *const rel[] = { TOLLGATE_REL_DATADIR "/plots", "plots",
                                       "../plots", "../../plots" };
    if (env_scripts(out, len))
        return scripts_in(out); /* an override that is wrong is an error */
    char exe[PATH_LEN];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash)
            *slash = '\0';
        for (size_t i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
            if (fmt_path(out, len, "%s/%s", exe, rel[i]) && scripts_in(out))
                return true;
        }
    }
    snprintf(out, len, "plots");
    return scripts_in(out);
}

/* ---- inputs the scripts read --------------------------------------------- */

struct hgrm_ctx {
    const struct hist *h;
};

static int write_hgrm(void *vctx, FILE *out)
{
    const struct hgrm_ctx *c = vctx;
    return hist_write_hgrm(c->h, out, 1e6, 5);
}

/* latency_ok.hgrm and latency_denied.hgrm from histograms.tgh.  A missing
 * file is not an error: the spectrum then shows the overall curve only. */
static int write_outcome_hgrms(const char *dir, const char *outdir)
{
    char path[PATH_LEN], err[512];
    snprintf(path, sizeof(path), "%s/%s", dir, RESULTS_TGH);
    if (!is_file(path, false))
        return ERR_OK;
    struct rec *r = NULL;
    int e = results_read_tgh(path, &r, err, sizeof(err));
    if (e != ERR_OK) {
        fprintf(stderr, "tollgate plot: %s\n", err);
        return e;
    }
    struct hist denied;
    hist_init(&denied);
    for (int k = 1; k < REASON_COUNT; k++)
        hist_merge(&denied, rec_lat(r, (enum reason)k));
    struct hgrm_ctx ok = { rec_lat(r, REASON_OK) }, den = { &denied };
    e = ok.h->total > 0
            ? results_write_atomic(outdir, "latency_ok.hgrm", write_hgrm, &ok)
            : ERR_OK;
    if (e == ERR_OK && denied.total > 0)
        e = results_write_atomic(outdir, "latency_denied.hgrm", write_hgrm,
                                 &den);
    if (e != ERR_OK)
        fprintf(stderr, "tollgate plot: cannot write %s/latency_*.hgrm: %s\n",
                outdir, strerror(errno));
    hist_fini(&denied);
    rec_free(r);
    return e;
}

/* Space-separated ids of the reasons with any denial in timeseries.csv;
 * false when it cannot be read (the scripts then find them themselves). */
static bool occurring_reasons(const char *dir, char *out, size_t len)
{
    char path[PATH_LEN], err[512];
    struct results_ts_row *rows = NULL;
    size_t n = 0;
    snprintf(path, sizeof(path), "%s/%s", dir, RESULTS_TIMESERIES);
    if (results_read_timeseries(path, &rows, &n, err, sizeof(err)) != ERR_OK)
        return false;
    out[0] = '\0';
    for (int k = 1; k < REASON_COUNT; k++) {
        bool any = false;
        for (size_t i = 0; i < n && !any; i++)
            any = rows[i].reason[k] > 0;
        if (any) {
            size_t used = strlen(out);
            snprintf(out + used, len - used, "%s%s", used ? " " : "",
                     reason_id((enum reason)k));
        }
    }
    free(rows);
    return true;
}

/* The chart title: the scenario name, and what the charts show when it is
 * not the whole of one run -- the first seed of replications (the time
 * series and histograms are that seed's; summary.json holds the means) or
 * a partial merge. */
static void chart_title(const char *dir, char *out, size_t len)
{
    char path[PATH_LEN], shards[128];
    struct summary s;
    summary_init(&s);
    snprintf(path, sizeof(path), "%s/%s", dir, RESULTS_SUMMARY);
    if (results_read_summary(path, &s, NULL, 0) != ERR_OK || !s.scenario[0]) {
        snprintf(out, len, "%s", dir);
    } else if (s.replications > 1) {
        snprintf(out, len, "%s (seed %llu, the first of %d replications)",
                 s.scenario, (unsigned long long)s.seed, s.replications);
    } else if (s.shards.count > 1) {
        snprintf(out, len, "%s (%s: shards %s)", s.scenario,
                 s.shards.partial ? "partial merge" : "one shard",
                 summary_shards_fmt(shards, sizeof(shards), &s.shards));
    } else {
        snprintf(out, len, "%s", s.scenario);
    }
    summary_fini(&s);
}

/* Short labels A and B for the compare chart from compare.csv's first
 * line (core/results/compare.h): the directories' last parts. */
static void compare_labels(const char *dir, char *a, char *b, size_t len)
{
    char path[PATH_LEN], line[2 * PATH_LEN], da[PATH_LEN], db[PATH_LEN];
    snprintf(a, len, "A");
    snprintf(b, len, "B");
    snprintf(path, sizeof(path), "%s/compare.csv", dir);
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    if (fgets(line, sizeof(line), f) &&
        compare_csv_dirs(line, da, db, sizeof(da))) {
        char *sa = strrchr(da, '/'), *sb = strrchr(db, '/');
        snprintf(a, len, "A: %.4000s", sa && sa[1] ? sa + 1 : da);
        snprintf(b, len, "B: %.4000s", sb && sb[1] ? sb + 1 : db);
    }
    fclose(f);
}

/* ---- running gnuplot ------------------------------------------------------
 */

/* Appends name='value' to buf, quoting for gnuplot ('' inside quotes). */
void plot_add_var(char *buf, size_t len, const char *name, const char *v)
{
    size_t n = strlen(buf);
    n += (size_t)snprintf(buf + n, n < len ? len - n : 0, "%s='", name);
    for (; *v && n + 3 < len; v++) {
        if (*v == '\'')
            buf[n++] = '\'';
        buf[n++] = *v;
    }
    if (n + 3 < len) {
        buf[n++] = '\'';
        buf[n++] = ';';
        buf[n] = '\0';
    }
}

int plot_run_gnuplot(const char *script, const char *vars)
{
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "tollgate plot: fork: %s\n", strerror(errno));
        return -1;
    }
    if (pid == 0) {
        execlp("gnuplot", "gnuplot", "-e", vars, script, (char *)NULL);
        fprintf(stderr, "tollgate plot: gnuplot: %s\n", strerror(errno));
        _exit(127);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static bool non_empty(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && st.st_size > 0;
}

/* Whether a chart has its input: compare needs compare.csv (from tollgate
 * compare), the spectrum a latency distribution. */
static bool has_input(const char *dir, const char *chart)
{
    char p[PATH_LEN];
    if (strcmp(chart, "compare") == 0)
        snprintf(p, sizeof(p), "%s/compare.csv", dir);
    else if (strcmp(chart, "spectrum") == 0)
        snprintf(p, sizeof(p), "%s/%s", dir, RESULTS_HGRM);
    else
        return true;
    return is_file(p, false);
}

/* Draws one chart; hands its path to done.  Returns EXIT_OK or
 * EXIT_RUNTIME. */
static int draw(const char *scripts, const char *chart, const char *vars,
                const char *outdir, const char *fmt, plot_chart_fn *done,
                void *ctx)
{
    char script[PATH_LEN], out[PATH_LEN];
    if (!fmt_path(script, sizeof(script), "%s/%s.gp", scripts, chart) ||
        !fmt_path(out, sizeof(out), "%s/%s.%s", outdir, chart, fmt)) {
        fprintf(stderr, "tollgate plot: path too long: %s\n", outdir);
        return EXIT_RUNTIME;
    }
    remove(out);
    int st = plot_run_gnuplot(script, vars);
    if (st != 0 || !non_empty(out)) {
        fprintf(stderr, "tollgate plot: %s chart failed (gnuplot %s)\n", chart,
                st == 0 ? "wrote nothing" : "reported an error");
        return EXIT_RUNTIME;
    }
    done(ctx, chart, out);
    return EXIT_OK;
}

/* A comparison directory (tollgate compare -o DIR): compare.csv and no
 * run's results. */
static bool comparison_only(const char *dir)
{
    char ts[PATH_LEN], cmp[PATH_LEN];
    snprintf(ts, sizeof(ts), "%s/%s", dir, RESULTS_TIMESERIES);
    snprintf(cmp, sizeof(cmp), "%s/compare.csv", dir);
    return !is_file(ts, false) && is_file(cmp, false);
}

static int prepare(const struct opts *o, char *outdir, size_t len)
{
    char ts[PATH_LEN];
    snprintf(ts, sizeof(ts), "%s/%s", o->dir, RESULTS_TIMESERIES);
    bool cmp_only = comparison_only(o->dir);
    if (!cmp_only && !is_file(ts, false)) {
        fprintf(stderr,
                "tollgate plot: cannot read %s (is %s a results "
                "directory?)\n",
                ts, o->dir);
        return EXIT_RUNTIME;
    }
    if (o->outdir)
        snprintf(outdir, len, "%s", o->outdir);
    else
        snprintf(outdir, len, "%s/plots", o->dir);
    if (results_mkdir(outdir) != ERR_OK) {
        fprintf(stderr, "tollgate plot: cannot create %s: %s\n", outdir,
                strerror(errno));
        return EXIT_RUNTIME;
    }
    if (!cmp_only && write_outcome_hgrms(o->dir, outdir) != ERR_OK)
        return EXIT_RUNTIME;
    return EXIT_OK;
}

int plot_draw_charts(const char *dir, const char *outdir_opt, const char *fmt,
                     plot_chart_fn *done, void *ctx)
{
    const struct opts o = { .dir = dir, .fmt = fmt, .outdir = outdir_opt };
    char scripts[PATH_LEN], outdir[PATH_LEN], name[256], reasons[1024];
    char la[PATH_LEN], lb[PATH_LEN];
    static char vars[ARGS_LEN];
    int rc;
    if (!have_gnuplot()) {
        fprintf(stderr, "tollgate plot: gnuplot not found in PATH; install "
                        "it (Debian/Ubuntu: apt-get install gnuplot-nox)\n");
        return EXIT_RUNTIME;
    }
    if (!find_scripts(scripts, sizeof(scripts))) {
        if (env_scripts(scripts, sizeof(scripts)))
            fprintf(stderr,
                    "tollgate plot: no chart scripts in %s (from "
                    "$TOLLGATE_PLOTS or $TOLLGATE_DATADIR)\n",
                    scripts);
        else
            fprintf(stderr,
                    "tollgate plot: chart scripts not found (looked "
                    "in %s/plots and plots/ next to the binary, "
                    "and ./plots); set TOLLGATE_DATADIR\n",
                    TOLLGATE_REL_DATADIR);
        return EXIT_RUNTIME;
    }
    if (plot_is_sweep(o.dir))
        return plot_sweep(scripts, o.dir, o.outdir, o.fmt);
    rc = prepare(&o, outdir, sizeof(outdir));
    if (rc != EXIT_OK)
        return rc;
    chart_title(o.dir, name, sizeof(name));
    compare_labels(o.dir, la, lb, sizeof(la));
    vars[0] = '\0';
    plot_add_var(vars, sizeof(vars), "dir", o.dir);
    plot_add_var(vars, sizeof(vars), "outdir", outdir);
    plot_add_var(vars, sizeof(vars), "fmt", o.fmt);
    plot_add_var(vars, sizeof(vars), "name", name);
    plot_add_var(vars, sizeof(vars), "label_a", la);
    plot_add_var(vars, sizeof(vars), "label_b", lb);
    if (occurring_reasons(o.dir, reasons, sizeof(reasons)))
        plot_add_var(vars, sizeof(vars), "reasons", reasons);
    fflush(stdout);
    bool cmp_only = comparison_only(o.dir);
    for (size_t i = 0; i < N_CHARTS; i++) {
        if (!has_input(o.dir, charts[i]) ||
            (cmp_only && strcmp(charts[i], "compare") != 0))
            continue;
        if (draw(scripts, charts[i], vars, outdir, o.fmt, done, ctx) != EXIT_OK)
            rc = EXIT_RUNTIME;
        fflush(stdout);
    }
    return rc;
}

static void print_path(void *ctx, const char *chart, const char *path)
{
    (void)ctx;
    (void)chart;
    printf("%s\n", path);
}

int cmd_plot(int argc, char **argv)
{
    struct opts o;
    int rc = parse_args(argc, argv, &o);
    if (rc != CLI_CONTINUE)
        return rc;
    return plot_draw_charts(o.dir, o.outdir, o.fmt, print_path, NULL);
}

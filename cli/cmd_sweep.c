/*
 * cmd_sweep.c - `tollgate sweep`: a scenario over a grid of parameter
 * values, or the search for the value at which a rule starts to hold.
 *
 * Grid (--vary): argv -> axes (core/scenario/vary) -> one scenario per
 * point (the --set overrides plus the point's KEY=VALUE, loaded and
 * validated before anything runs, so a bad value is reported at once
 * with its location) -> every (point, replication) on the thread pool
 * (cli/reps: identical results whatever --jobs is) -> one results
 * directory per point (DIR/points/NNN, as `sim --replications` writes
 * it) -> sweep.csv and sweep.json (cli/sweep_table.c) -> the table on
 * stdout -> with --plot, `tollgate plot DIR` draws metric vs parameter.
 *
 * Search (--find): cli/sweep_find.c; it shares the option parsing,
 * loading and metric code here.
 *
 * Points are numbered with the first --vary axis varying fastest, so
 * that each line of the chart (one combination of the other axes) is a
 * contiguous run of rows.
 */
#include "cli/cli.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/args.h"
#include "cli/opts.h"
#include "cli/progress.h"
#include "cli/reps.h"
#include "cli/signals.h"
#include "cli/sweep.h"
#include "core/results/results.h"
#include "sim/sim_pool.h"

#define DEFAULT_REPLICATIONS 5
#define MAX_REPLICATIONS     1000

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: tollgate sweep SCENARIO --vary KEY=VALUES [--vary ...] "
            "[options]\n"
            "       tollgate sweep SCENARIO --find KEY=LO..HI --until RULE "
            "[options]\n"
            "\n"
            "Runs SCENARIO at every point of a grid of parameter values, each "
            "point with\n"
            "replications and 95%% confidence intervals, on every processor; "
            "or searches\n"
            "for the smallest (--largest: largest) value of one parameter at "
            "which an\n"
            "expect: rule holds, with the noise taken into account.\n"
            "\n"
            "KEY is a --set path (policy.capacity.servers, accounts[0].count, "
            "...).\n"
            "VALUES is a comma-separated list of items; an item is a value as "
            "written\n"
            "(48, 250ms, 50/s, gold), a linear range LO..HI:STEP "
            "(32..96:16 = 32 48 64 80 96)\n"
            "or a geometric one LO..HI:xF (1..1000:x10 = 1 10 100 1000).  "
            "Range ends and\n"
            "steps may carry a unit, the same on each (100ms..500ms:100ms).  "
            "Several\n"
            "--vary make a grid (at most %d axes, %d points).\n"
            "\n"
            "Options:\n"
            "  --vary KEY=VALUES    an axis of the grid (repeatable)\n"
            "  --metric M           a column of the table: the left side of an "
            "expect: rule,\n"
            "                       e.g. 'denied(overloaded)', 'p99(ok)', "
            "goodput (repeatable;\n"
            "                       default: denied, p99(ok), goodput and the "
            "scenario's\n"
            "                       expect: metrics)\n"
            "  --find KEY=LO..HI    search KEY over [LO, HI] (integers; "
            "LO..HI:STEP for a grid\n"
            "                       of STEP) for the first value where --until "
            "holds\n"
            "  --until RULE         an expect: rule, e.g. 'denied(overloaded) "
            "< 1%%'\n"
            "  --largest            with --find: the largest value where RULE "
            "holds\n"
            "  --replications N     seeds per point (default %d; the CIs need "
            "at least 2)\n"
            "  --jobs N             threads (default: the processors online); "
            "the results\n"
            "                       are byte-identical whatever N is\n"
            "  -o, --output DIR     results (default "
            "results/<name>-sweep)\n"
            "  --seed N, --duration D, --set KEY=VALUE   as for sim, applied "
            "to every point\n"
            "  --plot               draw DIR/plots/sweep-<metric>.png "
            "afterwards (gnuplot)\n"
            "  -q, --quiet          no progress line and no table on stdout\n"
            "  -h, --help           this help\n"
            "\n"
            "Writes DIR/points/NNN/ (a results directory per point, as sim "
            "--replications\n"
            "writes it), DIR/sweep.csv and DIR/sweep.json (each metric's mean "
            "and ci95\n"
            "half-width per point; docs/sweep.md).  --find writes "
            "DIR/probes/<value>/ and\n"
            "DIR/find.json instead; it assumes RULE's truth changes once "
            "along KEY (more\n"
            "servers, fewer denials), counts a probe only when its 95%% CI "
            "is clear of the\n"
            "target, and gives the answer with the last value that "
            "confidently fails.\n"
            "\n"
            "Examples:\n"
            "  tollgate sweep scenarios/capacity-planning.yaml --vary "
            "policy.capacity.servers=48..96:8 \\\n"
            "      --metric 'denied(overloaded)' --metric 'p99(ok)' "
            "--duration 30m --plot\n"
            "  tollgate sweep scenarios/capacity-planning.yaml \\\n"
            "      --find policy.capacity.servers=40..120 --until "
            "'denied(overloaded) < 1%%'\n"
            "\n"
            "Exit status: 0 ok, 1 --find found no value where RULE holds, 2 "
            "usage or\n"
            "invalid scenario at some point, 3 runtime failure, 128 + N "
            "stopped by signal N\n"
            "(Ctrl-C: 130; what completed is written).\n",
            SWEEP_MAX_AXES, SWEEP_MAX_POINTS, DEFAULT_REPLICATIONS);
}

enum {
    OPT_VARY = 256,
    OPT_METRIC,
    OPT_FIND,
    OPT_UNTIL,
    OPT_LARGEST,
    OPT_REPLICATIONS,
    OPT_JOBS,
    OPT_SEED,
    OPT_DURATION,
    OPT_SET,
    OPT_PLOT
};

static const struct option longopts[] = {
    { "vary", required_argument, NULL, OPT_VARY },
    { "metric", required_argument, NULL, OPT_METRIC },
    { "find", required_argument, NULL, OPT_FIND },
    { "until", required_argument, NULL, OPT_UNTIL },
    { "largest", no_argument, NULL, OPT_LARGEST },
    { "replications", required_argument, NULL, OPT_REPLICATIONS },
    { "jobs", required_argument, NULL, OPT_JOBS },
    { "seed", required_argument, NULL, OPT_SEED },
    { "duration", required_argument, NULL, OPT_DURATION },
    { "set", required_argument, NULL, OPT_SET },
    { "plot", no_argument, NULL, OPT_PLOT },
    { "output", required_argument, NULL, 'o' },
    { "quiet", no_argument, NULL, 'q' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 }
};

static int add_axis(struct sweep_opts *o, const struct args *a)
{
    if (o->n_axes == SWEEP_MAX_AXES)
        return args_fail(a, "at most %d --vary axes", SWEEP_MAX_AXES);
    char err[256];
    if (vary_parse(a->arg, &o->axes[o->n_axes], err, sizeof(err)) != ERR_OK)
        return args_fail(a, "--vary %s: %s", a->arg, err);
    o->n_axes++;
    return CLI_CONTINUE;
}

static int add_metric(struct sweep_opts *o, const struct args *a,
                      const char *text)
{
    if (o->n_metrics == SWEEP_MAX_METRICS)
        return args_fail(a, "at most %d metrics", SWEEP_MAX_METRICS);
    char err[256];
    if (sweep_metric_parse(text, &o->metrics[o->n_metrics], err, sizeof(err)) !=
        ERR_OK)
        return args_fail(a, "--metric '%s': %s", text, err);
    o->n_metrics++;
    return CLI_CONTINUE;
}

static int take_number(struct sweep_opts *o, const struct args *a, int c)
{
    if (c == OPT_REPLICATIONS) {
        if (!args_long(a->arg, 1, MAX_REPLICATIONS, &o->replications))
            return args_fail(a, "--replications wants 1..%d, got '%s'",
                             MAX_REPLICATIONS, a->arg);
    } else if (!args_long(a->arg, 1, SIM_POOL_MAX_JOBS, &o->jobs)) {
        return args_fail(a, "--jobs wants 1..%d, got '%s'", SIM_POOL_MAX_JOBS,
                         a->arg);
    }
    return CLI_CONTINUE;
}

/* One option or operand; CLI_CONTINUE or an exit status. */
static int take(struct sweep_opts *o, const struct args *a, int c)
{
    switch (c) {
    case 'h': usage(stdout); return EXIT_OK;
    case 'q': o->quiet = true; break;
    case 'o': o->out_dir = a->arg; break;
    case OPT_PLOT: o->plot = true; break;
    case OPT_LARGEST: o->largest = true; break;
    case OPT_SEED: o->seed = a->arg; break;
    case OPT_DURATION: o->duration = a->arg; break;
    case OPT_FIND: o->find = a->arg; break;
    case OPT_UNTIL: o->until = a->arg; break;
    case OPT_VARY: return add_axis(o, a);
    case OPT_METRIC: return add_metric(o, a, a->arg);
    case OPT_REPLICATIONS:
    case OPT_JOBS: return take_number(o, a, c);
    case OPT_SET:
        if (opts_add_set(&o->sets, a->arg) == ERR_OK)
            break;
        return args_fail(a, "--set wants KEY=VALUE, got '%s'", a->arg);
    case ARGS_OPERAND:
        if (o->scenario != NULL)
            return args_fail(a, "one scenario only ('%s')", a->arg);
        o->scenario = a->arg;
        break;
    default: return EXIT_USAGE; /* ARGS_ERROR: reported */
    }
    return CLI_CONTINUE;
}

static int usage_error(const char *what)
{
    fprintf(stderr,
            "tollgate sweep: %s\n"
            "usage: tollgate sweep SCENARIO --vary KEY=VALUES... | --find "
            "KEY=LO..HI --until RULE\n"
            "(see 'tollgate sweep --help')\n",
            what);
    return EXIT_USAGE;
}

/* The combinations the options allow; CLI_CONTINUE or EXIT_USAGE. */
static int check_modes(const struct sweep_opts *o)
{
    if (o->scenario == NULL)
        return usage_error("no scenario");
    if (o->find == NULL && o->until == NULL && o->n_axes == 0)
        return usage_error("nothing to sweep: give --vary or --find");
    if (o->find != NULL && o->n_axes > 0)
        return usage_error("--find and --vary do not mix");
    if ((o->find == NULL) != (o->until == NULL))
        return usage_error("--find and --until go together");
    if (o->largest && o->find == NULL)
        return usage_error("--largest goes with --find");
    return CLI_CONTINUE;
}

static int parse_opts(int argc, char **argv, struct sweep_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->replications = DEFAULT_REPLICATIONS;
    o->jobs = sim_pool_default_jobs();
    struct args a;
    args_init(&a, "sweep", argc, argv, "o:qh", longopts);
    for (int c; (c = args_next(&a)) != ARGS_END;) {
        int status = take(o, &a, c);
        if (status != CLI_CONTINUE)
            return status;
    }
    return check_modes(o);
}

void sweep_opts_fini(struct sweep_opts *o)
{
    for (size_t a = 0; a < o->n_axes; a++)
        vary_axis_fini(&o->axes[a]);
    opts_sets_fini(&o->sets);
}

/* ---- scenarios of the points ----------------------------------------------
 */

int sweep_load(const struct sweep_opts *o, const char *const *keys,
               const char *const *values, size_t n, struct scenario **out)
{
    struct opts_sets s = { 0 };
    for (size_t i = 0; i < o->sets.n; i++)
        opts_add_kv(&s, o->sets.items[i].key, o->sets.items[i].value);
    for (size_t i = 0; i < n; i++)
        opts_add_kv(&s, keys[i], values[i]);
    int st = opts_load_scenario("tollgate sweep", o->scenario, o->seed,
                                o->duration, &s, out);
    opts_sets_fini(&s);
    return st;
}

/* Default metrics: denied, p99(ok), goodput and each expect: metric. */
void sweep_default_metrics(struct sweep_opts *o, const struct scenario *sc)
{
    if (o->n_metrics > 0)
        return;
    static const char *const base[] = { "denied", "p99(ok)", "goodput" };
    char err[256];
    for (size_t i = 0; i < 3; i++)
        if (sweep_metric_parse(base[i], &o->metrics[o->n_metrics], err,
                               sizeof(err)) == ERR_OK)
            o->n_metrics++;
    for (size_t r = 0; r < sc->n_expect && o->n_metrics < SWEEP_MAX_METRICS;
         r++) {
        /* the rule's text up to its comparison is the metric */
        char text[sizeof(sc->expect[r].text)];
        snprintf(text, sizeof(text), "%s", sc->expect[r].text);
        text[strcspn(text, "<>")] = '\0';
        struct sweep_metric m;
        if (sweep_metric_parse(text, &m, err, sizeof(err)) != ERR_OK)
            continue;
        bool dup = false;
        for (size_t k = 0; k < o->n_metrics; k++)
            dup = dup || strcmp(o->metrics[k].name, m.name) == 0;
        if (!dup)
            o->metrics[o->n_metrics++] = m;
    }
}

const char *sweep_out_dir(const struct sweep_opts *o, const struct scenario *sc,
                          char *buf, size_t len)
{
    if (o->out_dir != NULL)
        return o->out_dir;
    snprintf(buf, len, "results/%.*s-sweep", SCN_MAX_NAME, sc->name);
    return buf;
}

/* ---- the grid --------------------------------------------------------------
 */

struct grid {
    const struct sweep_opts *o;
    const char *dir;
    int *rcs; /* per point: writing its directory (EXIT_*) */
    size_t n_points;
    size_t *value_idx;           /* [p * n_axes + a] */
    struct scenario **scenarios; /* per point; owned */
    struct reps_point *pts;      /* per point */
    char (*dirs)[32];            /* "points/007" */
    const char **dir_ptrs;
    struct sweep_cell *cells; /* [p * n_metrics + m] */
    size_t *reps;
    bool *complete;
};

static int grid_size(const struct sweep_opts *o, size_t *n)
{
    *n = 1;
    for (size_t a = 0; a < o->n_axes; a++) {
        *n *= o->axes[a].n;
        if (*n > SWEEP_MAX_POINTS) {
            fprintf(stderr,
                    "tollgate sweep: the grid has more than %d points\n",
                    SWEEP_MAX_POINTS);
            return EXIT_USAGE;
        }
    }
    return CLI_CONTINUE;
}

static void grid_alloc(struct grid *g, const struct sweep_opts *o, size_t n)
{
    g->n_points = n;
    g->value_idx = xcalloc(n * o->n_axes, sizeof(*g->value_idx));
    g->scenarios = xcalloc(n, sizeof(*g->scenarios));
    g->pts = xcalloc(n, sizeof(*g->pts));
    g->dirs = xcalloc(n, sizeof(*g->dirs));
    g->dir_ptrs = xcalloc(n, sizeof(*g->dir_ptrs));
    g->reps = xcalloc(n, sizeof(*g->reps));
    g->complete = xcalloc(n, sizeof(*g->complete));
    int width = n > 1000 ? 4 : 3;
    for (size_t p = 0; p < n; p++) {
        size_t rest = p; /* the first axis varies fastest */
        for (size_t a = 0; a < o->n_axes; a++) {
            g->value_idx[p * o->n_axes + a] = rest % o->axes[a].n;
            rest /= o->axes[a].n;
        }
        snprintf(g->dirs[p], sizeof(g->dirs[p]), "points/%0*zu", width, p);
        g->dir_ptrs[p] = g->dirs[p];
    }
}

static void grid_fini(struct grid *g)
{
    for (size_t p = 0; p < g->n_points; p++) {
        reps_point_fini(&g->pts[p]);
        scn_free(g->scenarios[p]);
    }
    free(g->value_idx);
    free(g->scenarios);
    free(g->pts);
    free(g->dirs);
    free(g->dir_ptrs);
    free(g->cells);
    free(g->reps);
    free(g->complete);
    free(g->rcs);
}

/* Loads every point's scenario; CLI_CONTINUE or EXIT_USAGE (reported). */
static int load_points(struct grid *g, const struct sweep_opts *o)
{
    for (size_t p = 0; p < g->n_points; p++) {
        const char *keys[SWEEP_MAX_AXES], *values[SWEEP_MAX_AXES];
        for (size_t a = 0; a < o->n_axes; a++) {
            keys[a] = o->axes[a].key;
            values[a] = o->axes[a].values[g->value_idx[p * o->n_axes + a]];
        }
        int st = sweep_load(o, keys, values, o->n_axes, &g->scenarios[p]);
        if (st != CLI_CONTINUE) {
            fprintf(stderr, "tollgate sweep: at point %zu (", p);
            for (size_t a = 0; a < o->n_axes; a++)
                fprintf(stderr, "%s%s=%s", a ? ", " : "", keys[a], values[a]);
            fprintf(stderr, ")\n");
            return st;
        }
        reps_point_init(&g->pts[p], g->scenarios[p], (size_t)o->replications);
    }
    return CLI_CONTINUE;
}

static int write_csv(void *ctx, FILE *out)
{
    return sweep_fwrite_csv(out, ctx);
}

static int write_json(void *ctx, FILE *out)
{
    return sweep_fwrite_json(out, ctx);
}

/* Measures point p's metrics, writes its directory and frees its
 * recorder: called by the thread that finished the point's last
 * replication (reps_cfg.point_done), so every point's recorder is freed
 * as soon as it is written and memory does not grow with the grid.  It
 * touches only point p's entries. */
static void point_done(void *ctx, size_t p)
{
    struct grid *g = ctx;
    const struct sweep_opts *o = g->o;
    struct reps_point *pt = &g->pts[p];
    size_t ran = reps_ran(pt);
    g->reps[p] = ran;
    g->complete[p] = ran == pt->n && pt->reps[ran - 1].stats.complete;
    for (size_t m = 0; m < o->n_metrics; m++)
        sweep_measure(&o->metrics[m], pt, ran, &g->cells[p * o->n_metrics + m]);
    g->rcs[p] = CLI_CONTINUE;
    if (ran == 0)
        return; /* interrupted before it started: no directory */
    char sub[4096];
    snprintf(sub, sizeof(sub), "%.4000s/%s", g->dir, g->dirs[p]);
    struct summary sum;
    summary_init(&sum);
    int rc = reps_summary(pt, ran, &sum);
    if (rc == ERR_OK)
        rc = reps_write(sub, pt->sc, pt->reps, ran, &sum);
    summary_fini(&sum);
    if (rc != ERR_OK) {
        /* errno of this thread's failing call; one line, whole */
        char msg[4400];
        snprintf(msg, sizeof(msg), "tollgate sweep: writing %s: %s (%s)\n", sub,
                 err_str(rc), strerror(errno));
        fputs(msg, stderr);
        g->rcs[p] = EXIT_RUNTIME;
    }
    rec_free(pt->reps[0].rec);
    pt->reps[0].rec = NULL;
    sim_stats_fini(&pt->reps[0].stats);
}

/* The first error of the points' writes, or CLI_CONTINUE. */
static int points_status(const struct grid *g)
{
    for (size_t p = 0; p < g->n_points; p++)
        if (g->rcs[p] != CLI_CONTINUE)
            return g->rcs[p];
    return CLI_CONTINUE;
}

static void print_table(const struct grid *g, const struct sweep_opts *o,
                        const char *dir)
{
    printf("point");
    for (size_t a = 0; a < o->n_axes; a++)
        printf("  %s", o->axes[a].key);
    for (size_t m = 0; m < o->n_metrics; m++)
        printf("  |  %s", o->metrics[m].name);
    printf("\n");
    for (size_t p = 0; p < g->n_points; p++) {
        printf("%5zu", p);
        for (size_t a = 0; a < o->n_axes; a++)
            printf("  %s", o->axes[a].values[g->value_idx[p * o->n_axes + a]]);
        for (size_t m = 0; m < o->n_metrics; m++) {
            char buf[96];
            sweep_fmt_cell(&o->metrics[m], &g->cells[p * o->n_metrics + m], buf,
                           sizeof(buf));
            printf("  |  %s", buf);
        }
        printf("%s\n", g->complete[p] ? "" : "  [partial]");
    }
    printf("(mean +- 95%% CI half-width over %ld replications per point)\n",
           o->replications);
    printf("table: %s/sweep.csv, %s/sweep.json\n", dir, dir);
}

int sweep_run_points(struct reps_point *pts, size_t n,
                     const struct sweep_opts *o,
                     void (*done)(void *ctx, size_t point), void *ctx)
{
    struct progress pg;
    progress_init(&pg, stderr, o->quiet);
    struct reps_cfg cfg = { (int)o->jobs, &pg, signals_caught, done, ctx };
    int rc = reps_run(pts, n, &cfg, "sweep");
    progress_fini(&pg);
    return rc;
}

int sweep_plot(const char *dir)
{
    char *argv[] = { "plot", (char *)dir, NULL };
    fflush(stdout);
    return cmd_plot(2, argv);
}

static int run_grid(struct sweep_opts *o)
{
    size_t n;
    struct grid g = { 0 };
    int st = grid_size(o, &n);
    if (st != CLI_CONTINUE)
        return st;
    grid_alloc(&g, o, n);
    st = load_points(&g, o);
    char dir_buf[4096];
    const char *dir = NULL;
    if (st == CLI_CONTINUE) {
        sweep_default_metrics(o, g.scenarios[0]);
        dir = sweep_out_dir(o, g.scenarios[0], dir_buf, sizeof(dir_buf));
        st = opts_check_out_dir("tollgate sweep", dir);
    }
    if (st == CLI_CONTINUE) {
        g.o = o;
        g.dir = dir;
        g.cells = xcalloc(n * o->n_metrics, sizeof(*g.cells));
        g.rcs = xcalloc(n, sizeof(*g.rcs));
        for (size_t p = 0; p < n; p++)
            g.rcs[p] = CLI_CONTINUE;
        signals_catch();
        if (sweep_run_points(g.pts, n, o, point_done, &g) != ERR_OK)
            st = EXIT_RUNTIME;
        signals_restore();
    }
    if (st == CLI_CONTINUE)
        st = points_status(&g);
    if (st == CLI_CONTINUE) {
        struct sweep_table t = { g.scenarios[0]->name,
                                 g.scenarios[0]->seed,
                                 o->axes,
                                 o->n_axes,
                                 o->metrics,
                                 o->n_metrics,
                                 n,
                                 g.value_idx,
                                 g.cells,
                                 g.reps,
                                 g.complete,
                                 g.dir_ptrs };
        if (results_write_atomic(dir, "sweep.csv", write_csv, &t) != ERR_OK ||
            results_write_atomic(dir, "sweep.json", write_json, &t) != ERR_OK) {
            fprintf(stderr, "tollgate sweep: writing the table in %s: %s\n",
                    dir, strerror(errno));
            st = EXIT_RUNTIME;
        }
    }
    int sig = signals_caught();
    if (st == CLI_CONTINUE && sig > 0)
        fprintf(stderr, "tollgate sweep: interrupted, partial results "
                        "written\n");
    if (st == CLI_CONTINUE && !o->quiet)
        print_table(&g, o, dir);
    if (st == CLI_CONTINUE && o->plot && sweep_plot(dir) != EXIT_OK)
        st = EXIT_RUNTIME;
    grid_fini(&g);
    if (st == CLI_CONTINUE && sig > 0) /* as sim: 128 + the signal */
        return EXIT_SIGNAL_BASE + sig;
    return st == CLI_CONTINUE ? EXIT_OK : st;
}

int cmd_sweep(int argc, char **argv)
{
    struct sweep_opts o;
    int status = parse_opts(argc, argv, &o);
    if (status == CLI_CONTINUE)
        status = o.find != NULL ? sweep_find(&o) : run_grid(&o);
    sweep_opts_fini(&o);
    return status;
}

/*
 * cmd_sim.c - `tollgate sim`: simulate a scenario in virtual time.
 *
 * argv -> options -> scenario (with --set/--seed/--duration applied as
 * overrides, so results/scenario.yaml is exactly what ran) -> one
 * sim_run per replication (cli/reps: on --jobs threads, results
 * identical to serial) -> summary (with ci95 when replicated) ->
 * results directory -> optional expect: check -> a short human summary.
 *
 * Ctrl-C / SIGTERM set a flag (cli/signals.h) the engine looks at every
 * few thousand events; the run then stops, and results for the time
 * covered are still written, marked "complete": false (exit status 0,
 * with a note on stderr).  A second signal kills the process as usual.
 */
#include "cli/cli.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/args.h"
#include "cli/opts.h"
#include "cli/progress.h"
#include "cli/reps.h"
#include "cli/report.h"
#include "core/results/headline.h"
#include "cli/signals.h"
#include "core/results/results.h"
#include "core/scenario/scenario.h"
#include "core/stats/summary.h"
#include "core/base/units.h"
#include "sim/sim.h"
#include "sim/sim_pool.h"

#define MAX_REPLICATIONS 1000

struct sim_opts {
    const char *scenario;
    const char *out_dir; /* NULL: results/<name>-sim */
    const char *seed;    /* as written; NULL: the scenario's */
    const char *duration;
    long replications;
    long jobs; /* threads for the replications; default: processors */
    struct opts_sets sets; /* --set, --seed, --duration overrides */
    const char *junit;     /* --junit FILE (implies --check) */
    bool check, quiet, accept_incomplete;
};

static void usage(FILE *out)
{
    fprintf(
        out,
        "Usage: tollgate sim SCENARIO [-o DIR] [--seed N] [--duration D]\n"
        "                    [--replications N] [--jobs N] "
        "[--set KEY=VALUE]...\n"
        "                    [--check] [--junit FILE] [--accept-incomplete] "
        "[-q]\n"
        "\n"
        "Plays SCENARIO in virtual time: its traffic meets the policy model\n"
        "(limits, credit, accounts, keys, regions, outages), the capacity\n"
        "queue and the client's retries.  A simulated day takes seconds;\n"
        "the same scenario and seed give byte-identical results.\n"
        "\n"
        "Options:\n"
        "  -o, --output DIR      results directory "
        "(default results/<name>-sim)\n"
        "  --seed N              random seed (default: the scenario's "
        "seed:)\n"
        "  --duration D          simulated time, e.g. 30m, 2h, 7d "
        "(default: duration:)\n"
        "  --replications N      run N seeds (seed, seed+1, ...); "
        "summary.json holds\n"
        "                        the means and ci95 half-widths (Student "
        "t); the other\n"
        "                        files are those of the first seed; "
        "each seed's summary\n"
        "                        goes to DIR/replications/seed-<s>/\n"
        "  --jobs N              run the replications on N threads "
        "(default: the\n"
        "                        processors online); the results are "
        "byte-identical\n"
        "                        whatever N is\n"
        "  --set KEY=VALUE       override a scenario value, e.g.\n"
        "                        --set policy.capacity.servers=32 "
        "(repeatable)\n"
        "  --check               evaluate the scenario's expect: rules; "
        "exit 1 if any fails\n"
        "  --junit FILE          also write the verdicts as JUnit XML "
        "(implies --check)\n"
        "  --accept-incomplete   an interrupted run is not a failure: exit "
        "as if complete\n"
        "                        and let --check judge the partial "
        "results\n"
        "  -q, --quiet           no progress line and no summary on "
        "stdout\n"
        "  -h, --help            this help\n"
        "\n"
        "Requests start within the duration (no arrival or retry is sent "
        "after it);\n"
        "attempts still in flight at its end run on to their answer or "
        "their client\n"
        "timeout and are counted in the last interval, so every request "
        "has one final\n"
        "outcome (`tollgate run` likewise waits for its in-flight "
        "requests).\n"
        "\n"
        "Writes summary.json, timeseries.csv, latency.hgrm, "
        "histograms.tgh, events.csv\n"
        "and scenario.yaml.  Ctrl-C (or SIGTERM) stops early and still "
        "writes results\n"
        "for the time covered, marked \"complete\": false; a second "
        "Ctrl-C ends at once.\n"
        "\n"
        "Example:\n"
        "  tollgate sim scenarios/free-tier-exhaustion.yaml --seed 7 "
        "--duration 1h\n"
        "  tollgate sim scenarios/capacity-planning.yaml --set "
        "policy.capacity.servers=48 \\\n"
        "      --replications 5 -o results/cap48\n"
        "  tollgate plot results/cap48\n"
        "\n"
        "Exit status: 0 ok, 1 expectations failed (--check), 2 usage or "
        "invalid\n"
        "scenario, 3 runtime failure (cannot write results), 130 (Ctrl-C) "
        "or 143\n"
        "(SIGTERM) when interrupted, after writing the partial results "
        "(0 or the\n"
        "check's status with --accept-incomplete).\n");
}

static bool add_set(struct sim_opts *o, const struct args *a, const char *kv)
{
    if (opts_add_set(&o->sets, kv) == ERR_OK)
        return true;
    args_fail(a,
              "--set wants KEY=VALUE, e.g. policy.capacity.servers=32; "
              "got '%s'",
              kv);
    return false;
}

enum {
    OPT_SEED = 256,
    OPT_DURATION,
    OPT_REPLICATIONS,
    OPT_JOBS,
    OPT_SET,
    OPT_CHECK,
    OPT_JUNIT,
    OPT_ACCEPT_INCOMPLETE
};

static const struct option longopts[] = {
    { "output", required_argument, NULL, 'o' },
    { "seed", required_argument, NULL, OPT_SEED },
    { "duration", required_argument, NULL, OPT_DURATION },
    { "replications", required_argument, NULL, OPT_REPLICATIONS },
    { "jobs", required_argument, NULL, OPT_JOBS },
    { "set", required_argument, NULL, OPT_SET },
    { "check", no_argument, NULL, OPT_CHECK },
    { "junit", required_argument, NULL, OPT_JUNIT },
    { "accept-incomplete", no_argument, NULL, OPT_ACCEPT_INCOMPLETE },
    { "quiet", no_argument, NULL, 'q' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 }
};

/* One option or operand; CLI_CONTINUE or an exit status. */
static int take(struct sim_opts *o, const struct args *a, int c)
{
    switch (c) {
    case 'h': usage(stdout); return EXIT_OK;
    case 'q': o->quiet = true; break;
    case OPT_CHECK: o->check = true; break;
    case OPT_JUNIT:
        o->junit = a->arg;
        o->check = true;
        break;
    case OPT_ACCEPT_INCOMPLETE: o->accept_incomplete = true; break;
    case 'o': o->out_dir = a->arg; break;
    case OPT_SEED: o->seed = a->arg; break;
    case OPT_DURATION: o->duration = a->arg; break;
    case OPT_REPLICATIONS:
        if (!args_long(a->arg, 1, MAX_REPLICATIONS, &o->replications))
            return args_fail(a, "--replications wants 1..%d, got '%s'",
                             MAX_REPLICATIONS, a->arg);
        break;
    case OPT_JOBS:
        if (!args_long(a->arg, 1, SIM_POOL_MAX_JOBS, &o->jobs))
            return args_fail(a, "--jobs wants 1..%d, got '%s'",
                             SIM_POOL_MAX_JOBS, a->arg);
        break;
    case OPT_SET: return add_set(o, a, a->arg) ? CLI_CONTINUE : EXIT_USAGE;
    case ARGS_OPERAND:
        if (o->scenario != NULL)
            return args_fail(a, "one scenario only ('%s')", a->arg);
        o->scenario = a->arg;
        break;
    default: return EXIT_USAGE; /* ARGS_ERROR: reported */
    }
    return CLI_CONTINUE;
}

/* Returns CLI_CONTINUE to go on, or an exit status. */
static int parse_opts(int argc, char **argv, struct sim_opts *o)
{
    *o =
        (struct sim_opts){ .replications = 1, .jobs = sim_pool_default_jobs() };
    struct args a;
    args_init(&a, "sim", argc, argv, "o:qh", longopts);
    for (int c; (c = args_next(&a)) != ARGS_END;) {
        int status = take(o, &a, c);
        if (status != CLI_CONTINUE)
            return status;
    }
    if (o->scenario == NULL) {
        fprintf(stderr, "usage: tollgate sim SCENARIO [-o DIR] [--seed N] "
                        "[--duration D] [--replications N]\n"
                        "                    [--jobs N] [--set KEY=VALUE]... "
                        "[--check] [-q]\n"
                        "(see 'tollgate sim --help')\n");
        return EXIT_USAGE;
    }
    return CLI_CONTINUE;
}

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- writing ----------------------------------------------------------------
 */

static int write_results(const char *dir, const struct scenario *sc,
                         const struct rep *reps, size_t n,
                         const struct summary *sum)
{
    int rc = reps_write(dir, sc, reps, n, sum);
    if (rc != ERR_OK)
        fprintf(stderr, "tollgate sim: writing %s: %s (%s)\n", dir, err_str(rc),
                strerror(errno));
    return rc;
}

/* ---- reporting -------------------------------------------------------------
 */

static void print_summary(const struct scenario *sc, const struct rep *r0,
                          const struct summary *s, size_t n_reps, double wall_s,
                          const char *dir)
{
    char a[32];
    units_fmt_duration(a, sizeof(a), progress_round_ns(r0->stats.end_ns));
    printf("tollgate sim: %s, seed %" PRIu64 ", %s simulated in %.2f s",
           sc->name, r0->seed, a, wall_s);
    if (wall_s > 0)
        printf(" (%.2fM attempts/s)",
               (double)r0->stats.attempts * (double)n_reps / wall_s / 1e6);
    printf("%s\n", s->complete ? "" : " [interrupted: partial]");
    fflush(stdout);
    if (headline_write(stdout, s, HL_TEXT, headline_default_sections(s)) !=
        ERR_OK)
        fprintf(stderr, "tollgate sim: writing the summary failed\n");
    if (n_reps > 1)
        printf("  %zu replications (seeds %" PRIu64 "..%" PRIu64
               "): +- values are 95%% confidence half-widths\n",
               n_reps, r0->seed, r0->seed + n_reps - 1);
    printf("  engine: %" PRIu64 " events, peak %zu pending, %zu attempt "
           "records (%.1f MB)\n",
           r0->stats.events, r0->stats.peak_pending, r0->stats.peak_slots,
           (double)r0->stats.slot_bytes / 1048576.0);
    printf("  results: %s/\n", dir);
}

/* -o DIR, or results/<name>-sim (in buf). */
static const char *out_dir(const struct sim_opts *o, const struct scenario *sc,
                           char *buf, size_t len)
{
    if (o->out_dir != NULL)
        return o->out_dir;
    snprintf(buf, len, "results/%.*s-sim", SCN_MAX_NAME, sc->name);
    return buf;
}

static int finish(const struct sim_opts *o, const struct scenario *sc,
                  const struct reps_point *pt, size_t n, double wall_s)
{
    char dir_buf[4096];
    const char *dir = out_dir(o, sc, dir_buf, sizeof(dir_buf));
    const struct rep *reps = pt->reps;
    struct summary rsum;
    summary_init(&rsum);
    const struct summary *sum = &reps[0].sum;
    if (n > 1 && reps_summary(pt, n, &rsum) == ERR_OK)
        sum = &rsum;
    int status = EXIT_OK;
    if (write_results(dir, sc, reps, n, sum) != ERR_OK)
        status = EXIT_RUNTIME;
    if (!reps[0].stats.complete || (n > 1 && !reps[n - 1].stats.complete))
        fprintf(stderr,
                "tollgate sim: interrupted at t=%.3fs, partial results "
                "written\n",
                (double)reps[n - 1].stats.end_ns / 1e9);
    if (reps[0].stats.trace_report != NULL) /* also DIR/trace.txt */
        fprintf(stderr, "tollgate sim: trace replay (seed %" PRIu64 "): %s",
                reps[0].seed, reps[0].stats.trace_report);
    if (!o->quiet && status == EXIT_OK)
        print_summary(sc, &reps[0], sum, n, wall_s, dir);
    if (o->check && status == EXIT_OK)
        status = report_check(sc, sum, stdout, o->junit, o->accept_incomplete);
    if (status != EXIT_RUNTIME && !sum->complete && !o->accept_incomplete &&
        signals_caught() > 0)
        status = EXIT_SIGNAL_BASE + signals_caught();
    summary_fini(&rsum);
    return status;
}

int cmd_sim(int argc, char **argv)
{
    struct sim_opts o;
    int status = parse_opts(argc, argv, &o);
    struct scenario *sc = NULL;
    if (status == CLI_CONTINUE)
        status = opts_load_scenario("tollgate sim", o.scenario, o.seed,
                                    o.duration, &o.sets, &sc);
    opts_sets_fini(&o.sets);
    if (status == CLI_CONTINUE) {
        char dir_buf[4096];
        status = opts_check_out_dir("tollgate sim",
                                    out_dir(&o, sc, dir_buf, sizeof(dir_buf)));
    }
    if (status != CLI_CONTINUE) {
        scn_free(sc);
        return status;
    }
    signals_catch();
    struct progress pg;
    progress_init(&pg, stderr, o.quiet);
    struct reps_point pt;
    reps_point_init(&pt, sc, (size_t)o.replications);
    struct reps_cfg cfg = { (int)o.jobs, &pg, signals_caught, NULL, NULL };
    double t0 = mono_s();
    int rc = reps_run(&pt, 1, &cfg, "sim");
    double wall_s = mono_s() - t0;
    signals_restore();
    progress_fini(&pg);
    size_t ran = rc == ERR_OK ? reps_ran(&pt) : 0;
    status = ran == 0 ? EXIT_RUNTIME : finish(&o, sc, &pt, ran, wall_s);
    reps_point_fini(&pt);
    scn_free(sc);
    return status;
}

/*
 * cmd_run.c - `tollgate run`: drive a live endpoint with the scenario's
 * traffic and write a results directory.
 *
 * argv -> scenario (with --set/--duration/--seed overrides) -> target
 * (--target, live.target, or an embedded `serve` on a free loopback port)
 * -> reachability probe (exit 3) -> loadgen -> progress line until the
 * window ends or SIGINT/SIGTERM (cli/signals.h) -> results
 * (complete=false when stopped) -> optional expect: check.  Keys never
 * reach the output.
 */
#include "cli/cli.h"

#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/args.h"
#include "cli/opts.h"
#include "cli/progress.h"
#include "cli/report.h"
#include "core/results/headline.h"
#include "cli/signals.h"
#include "core/model/keys.h"
#include "core/model/traffic.h"
#include "core/results/results.h"
#include "core/scenario/scenario.h"
#include "core/stats/summary.h"
#include "core/model/timeline.h"
#include "core/base/units.h"
#include "loadgen/generator.h"
#include "loadgen/loadgen.h"
#include "loadgen/plan.h"
#include "serve/serve.h"
#include "sim/sim.h"

struct run_opts {
    const char *scenario, *target, *out_dir;
    int threads, connections;
    const char *duration, *seed;
    int64_t max_requests;
    int64_t drain_ns; /* --drain; 0: loadgen's default */
    int shard_i, shard_n;
    const char *shard, *start_at; /* as given */
    int64_t start_at_ns;          /* --start-at, ns since the epoch */
    bool late_ok;
    struct opts_sets sets; /* --set */
    const char *junit;     /* --junit FILE (implies --check) */
    bool insecure, check, quiet, accept_incomplete;
};

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: tollgate run SCENARIO [--target URL] [-o DIR] "
            "[--threads N]\n"
            "         [--connections N] [--duration D] [--max-requests N]\n"
            "         [--shard I/N|auto/N] [--start-at TIME [--late-ok]] "
            "[--seed N]\n"
            "         [--drain D] [--set KEY=VALUE]... [--insecure] [--check] "
            "[--junit FILE]\n"
            "         [--accept-incomplete] [-q]\n\n"
            "Sends the scenario's requests to a live endpoint at their "
            "intended times\n(open loop; closed-loop populations as "
            "users with think time) and records\nevery outcome by "
            "canonical reason.  Without --target and live.target an\n"
            "embedded `tollgate serve` of the scenario is started on "
            "127.0.0.1.\n\n"
            "  --target URL        endpoint base URL (overrides "
            "live.target)\n"
            "  -o, --output DIR    results directory (default "
            "results/<name>-run)\n"
            "  --threads N         worker threads (default live.threads)\n"
            "  --connections N     connections in total (default "
            "live.connections)\n"
            "  --duration D        sending window, e.g. 30s (overrides "
            "duration)\n"
            "  --max-requests N    stop after N logical requests of this "
            "shard (open loop:\n"
            "                      exactly the first N by intended time)\n"
            "  --shard I/N         send only accounts a with a %% N == I; "
            "auto/N takes I\n"
            "                      from JOB_COMPLETION_INDEX (Kubernetes "
            "Indexed Job),\n"
            "                      SLURM_ARRAY_TASK_ID (Slurm job array "
            "0-(N-1)) or\n"
            "                      SLURM_PROCID (srun -n N)\n"
            "  --start-at TIME     begin the schedule at this wall-clock "
            "instant (Unix\n"
            "                      seconds, fraction allowed, or RFC 3339 "
            "such as\n"
            "                      2025-11-27T10:00:00Z); give every shard "
            "the same TIME\n"
            "  --late-ok           start even when TIME is more than one "
            "interval past\n"
            "                      (the late part of the schedule is sent "
            "at once, as lag)\n"
            "  --drain D           after the window, wait at most D for "
            "answers still in\n"
            "                      flight (default: the longest client "
            "timeout + 0.25s,\n"
            "                      10s at most); what is unanswered then "
            "is reported as\n"
            "                      abandoned_in_flight and the results as "
            "incomplete\n"
            "  --seed N            seed of the request stream\n"
            "  --set KEY=VALUE     override any scenario value\n"
            "  --insecure          do not verify TLS certificates\n"
            "  --check             evaluate expect: rules (exit 1 on "
            "failure)\n"
            "  --junit FILE        also write the verdicts as JUnit XML "
            "(implies --check)\n"
            "  --accept-incomplete an interrupted run is not a failure: exit "
            "as if complete\n"
            "                      and let --check judge the partial "
            "results\n"
            "  -q, --quiet         no progress line\n"
            "  -h, --help          this help\n\n"
            "Ctrl-C (or SIGTERM) stops the run at once: requests still in "
            "flight are\nrecorded as abandoned_in_flight and results for "
            "the time covered are\nwritten, marked \"complete\": false.  A "
            "second Ctrl-C ends the process.\n\n"
            "Example (an embedded serve of the scenario, then a gateway on "
            "port 8080):\n"
            "  tollgate run scenarios/free-tier-exhaustion.yaml "
            "--duration 10s -o results/ft\n"
            "  tollgate run scenarios/capacity-planning.yaml --target "
            "http://127.0.0.1:8080 \\\n"
            "      --duration 30s --connections 32 --check\n\n"
            "Exit status: 0 ok, 1 expectations failed, 2 usage or invalid "
            "scenario,\n3 target unreachable or I/O error, 130 (Ctrl-C) or "
            "143 (SIGTERM) when\ninterrupted, after writing the partial "
            "results (0 or the check's status with\n--accept-incomplete).\n");
}

static bool parse_int(const char *s, int64_t lo, int64_t hi, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

enum {
    OPT_TARGET = 256,
    OPT_THREADS,
    OPT_CONNECTIONS,
    OPT_DURATION,
    OPT_MAX_REQUESTS,
    OPT_SHARD,
    OPT_START_AT,
    OPT_LATE_OK,
    OPT_SEED,
    OPT_DRAIN,
    OPT_SET,
    OPT_INSECURE,
    OPT_CHECK,
    OPT_JUNIT,
    OPT_ACCEPT_INCOMPLETE
};

static const struct option longopts[] = {
    { "target", required_argument, NULL, OPT_TARGET },
    { "output", required_argument, NULL, 'o' },
    { "threads", required_argument, NULL, OPT_THREADS },
    { "connections", required_argument, NULL, OPT_CONNECTIONS },
    { "duration", required_argument, NULL, OPT_DURATION },
    { "max-requests", required_argument, NULL, OPT_MAX_REQUESTS },
    { "shard", required_argument, NULL, OPT_SHARD },
    { "start-at", required_argument, NULL, OPT_START_AT },
    { "late-ok", no_argument, NULL, OPT_LATE_OK },
    { "seed", required_argument, NULL, OPT_SEED },
    { "drain", required_argument, NULL, OPT_DRAIN },
    { "set", required_argument, NULL, OPT_SET },
    { "insecure", no_argument, NULL, OPT_INSECURE },
    { "check", no_argument, NULL, OPT_CHECK },
    { "junit", required_argument, NULL, OPT_JUNIT },
    { "accept-incomplete", no_argument, NULL, OPT_ACCEPT_INCOMPLETE },
    { "quiet", no_argument, NULL, 'q' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 }
};

/* An integer option in lo..hi; CLI_CONTINUE or EXIT_USAGE. */
static int int_opt(const struct args *a, const char *name, int64_t lo,
                   int64_t hi, int64_t *out)
{
    if (parse_int(a->arg, lo, hi, out))
        return CLI_CONTINUE;
    return args_fail(
        a, "--%s wants an integer in %" PRId64 "..%" PRId64 ", got '%s'", name,
        lo, hi, a->arg);
}

/* The options that take a number; CLI_CONTINUE or EXIT_USAGE. */
static int take_number(struct run_opts *o, const struct args *a, int c)
{
    int64_t n = 0;
    int st = CLI_CONTINUE;
    switch (c) {
    case OPT_THREADS:
        st = int_opt(a, "threads", 1, LG_MAX_THREADS, &n);
        o->threads = (int)n;
        break;
    case OPT_CONNECTIONS:
        st = int_opt(a, "connections", 1, LG_MAX_CONNECTIONS, &n);
        o->connections = (int)n;
        break;
    case OPT_MAX_REQUESTS:
        st = int_opt(a, "max-requests", 1, INT64_MAX, &o->max_requests);
        break;
    case OPT_DRAIN:
        if (units_parse_duration(a->arg, &o->drain_ns) != ERR_OK ||
            o->drain_ns <= 0)
            st = args_fail(a,
                           "--drain wants a positive duration like 5s, "
                           "got '%s'",
                           a->arg);
        break;
    }
    return st;
}

/* One option or operand; CLI_CONTINUE or an exit status. */
static int take(struct run_opts *o, const struct args *a, int c)
{
    switch (c) {
    case 'h': usage(stdout); return EXIT_OK;
    case 'q': o->quiet = true; break;
    case OPT_INSECURE: o->insecure = true; break;
    case OPT_CHECK: o->check = true; break;
    case OPT_JUNIT:
        o->junit = a->arg;
        o->check = true;
        break;
    case OPT_ACCEPT_INCOMPLETE: o->accept_incomplete = true; break;
    case OPT_LATE_OK: o->late_ok = true; break;
    case OPT_TARGET: o->target = a->arg; break;
    case 'o': o->out_dir = a->arg; break;
    case OPT_DURATION: o->duration = a->arg; break;
    case OPT_SEED: o->seed = a->arg; break;
    case OPT_SHARD: o->shard = a->arg; break;
    case OPT_START_AT: o->start_at = a->arg; break;
    case OPT_THREADS:
    case OPT_CONNECTIONS:
    case OPT_MAX_REQUESTS:
    case OPT_DRAIN: return take_number(o, a, c);
    case OPT_SET:
        if (opts_add_set(&o->sets, a->arg) != ERR_OK)
            return args_fail(a,
                             "--set wants KEY=VALUE, e.g. "
                             "policy.capacity.servers=32; got '%s'",
                             a->arg);
        break;
    case ARGS_OPERAND:
        if (o->scenario != NULL)
            return args_fail(a, "one scenario only ('%s')", a->arg);
        o->scenario = a->arg;
        break;
    default: return EXIT_USAGE; /* ARGS_ERROR: reported */
    }
    return CLI_CONTINUE;
}

/* --shard and --start-at into numbers; -1 when fine, else EXIT_USAGE. */
static int plan(struct run_opts *o)
{
    char err[160];
    const char *src = NULL;
    if (o->shard &&
        lg_plan_shard(o->shard, getenv("JOB_COMPLETION_INDEX"),
                      getenv("SLURM_ARRAY_TASK_ID"), getenv("SLURM_PROCID"),
                      &o->shard_i, &o->shard_n, &src, err,
                      sizeof(err)) != ERR_OK) {
        fprintf(stderr, "tollgate run: %s\n", err);
        return EXIT_USAGE;
    }
    if (o->start_at && lg_plan_start_at(o->start_at, &o->start_at_ns, err,
                                        sizeof(err)) != ERR_OK) {
        fprintf(stderr, "tollgate run: --start-at %s: %s\n", o->start_at, err);
        return EXIT_USAGE;
    }
    if (o->late_ok && !o->start_at) {
        fprintf(stderr, "tollgate run: --late-ok needs --start-at\n");
        return EXIT_USAGE;
    }
    return CLI_CONTINUE;
}

/* Returns CLI_CONTINUE to go on, or an exit status. */
static int parse_args(struct run_opts *o, int argc, char **argv)
{
    memset(o, 0, sizeof(*o));
    o->shard_n = 1;
    struct args a;
    args_init(&a, "run", argc, argv, "o:qh", longopts);
    for (int c; (c = args_next(&a)) != ARGS_END;) {
        int status = take(o, &a, c);
        if (status != CLI_CONTINUE)
            return status;
    }
    if (!o->scenario) {
        usage(stderr);
        return EXIT_USAGE;
    }
    return plan(o);
}

/* ---- progress ------------------------------------------------------- */

#define WATCH_RING 10 /* polls of 100 ms: rates over the last second */

struct run_watch {
    struct progress bar;
    int64_t total[REASON_COUNT]; /* cumulative, for denial shares */
    int64_t attempts;
    struct lg_progress ring[WATCH_RING]; /* the most recent polls */
    int n;                               /* polls so far */
};

static void draw(struct run_watch *rw, int64_t total_ns)
{
    struct progress_sample s = { 0 };
    int k = rw->n < WATCH_RING ? rw->n : WATCH_RING;
    const struct lg_progress *last = &rw->ring[(rw->n - 1) % WATCH_RING];
    const struct lg_progress *first = &rw->ring[(rw->n - k) % WATCH_RING];
    double span = (double)(last->elapsed_ns - first->elapsed_ns) / 1e9;
    double offered = 0, ok = 0;
    s.p99_ns = -1;
    for (int i = 1; i < k; i++) { /* first's own counts precede span */
        const struct lg_progress *p = &rw->ring[(rw->n - k + i) % WATCH_RING];
        offered += (double)p->offered;
        ok += (double)p->outcome[REASON_OK];
        if ((double)p->p99_ns > s.p99_ns)
            s.p99_ns = (double)p->p99_ns;
    }
    s.elapsed_ns = last->elapsed_ns / 100000000 * 100000000; /* 0.1 s */
    s.total_ns = total_ns;
    s.offered_per_s = span > 0 ? offered / span : 0;
    s.ok_per_s = span > 0 ? ok / span : 0;
    bool used[REASON_COUNT] = { false };
    for (int t = 0; t < PROGRESS_TOP; t++) {
        int best = -1;
        for (int r = 1; r < REASON_COUNT; r++)
            if (!used[r] && rw->total[r] > 0 &&
                (best < 0 || rw->total[r] > rw->total[best]))
                best = r;
        if (best < 0)
            break;
        used[best] = true;
        s.top[s.n_top] = (enum reason)best;
        s.top_share[s.n_top++] = (double)rw->total[best] / (double)rw->attempts;
    }
    progress_draw(&rw->bar, &s);
}

static void watch(struct lg *g, struct run_watch *rw, int64_t total_ns)
{
    struct timespec nap = { 0, 100 * 1000000L };
    struct lg_progress *p;
    do {
        nanosleep(&nap, NULL);
        if (signals_caught())
            lg_stop(g);
        p = &rw->ring[rw->n++ % WATCH_RING];
        lg_poll(g, p);
        rw->attempts += p->attempts;
        for (int r = 0; r < REASON_COUNT; r++)
            rw->total[r] += p->outcome[r];
        if (rw->n >= 2 && p->elapsed_ns >= 0 && progress_due(&rw->bar))
            draw(rw, total_ns);
    } while (p->running);
    progress_clear(&rw->bar);
}

/* ---- results --------------------------------------------------------------
 */

/* Bytes of a target URL as shown: masking may lengthen it (keys.h). */
#define RUN_TARGET_MAX   256
#define RUN_SHOWN_TARGET (3 * RUN_TARGET_MAX + 4)

/* Trace replay: what the populations replaying a trace read and skipped
 * (one line each; NULL when there are none), from the request stream
 * played once more here: it is deterministic, so every worker read and
 * skipped exactly these lines.  Heap string. */
static char *trace_report(const struct scenario *sc)
{
    bool any = false;
    for (size_t p = 0; p < sc->n_pops; p++)
        any = any || sc->pops[p].has_trace;
    if (!any)
        return NULL;
    struct traffic *t = traffic_new(sc, sc->seed, 0, 1);
    struct traffic_req r;
    while (traffic_next(t, &r))
        ;
    char *rep = sim_trace_report(t, sc);
    traffic_free(t);
    return rep;
}

static int write_text(void *ctx, FILE *out)
{
    return fputs(ctx, out) < 0 ? ERR_IO : ERR_OK;
}

/* events.csv of a run: the scenario's timeline as tollgate would play it
 * with this seed (the target decides what really happens; against the
 * embedded serve, the events.csv of its serve folder is what it did). */
static int write_results(const char *dir, const struct scenario *sc,
                         const struct rec *rec, const struct summary *s,
                         const struct lg_generator *gen)
{
    size_t n = 0;
    int64_t end = rec_end_ns(rec);
    struct timeline_row *rows = timeline_expand(sc, sc->seed, end, &n);
    int rc = results_write_all(dir, rec, s);
    if (rc == ERR_OK)
        rc = results_write_scenario(dir, sc);
    if (rc == ERR_OK)
        rc = results_write_timeline(dir, rows, n, end);
    if (rc == ERR_OK)
        rc = results_write_atomic(dir, "generator.json", lg_generator_write,
                                  (void *)gen);
    char *rep = rc == ERR_OK ? trace_report(sc) : NULL;
    if (rep != NULL) {
        fprintf(stderr, "tollgate run: trace replay: %s", rep);
        rc = results_write_atomic(dir, "trace.txt", write_text, rep);
    }
    free(rep);
    free(rows);
    return rc;
}

/* The generator's failures, on stderr: requests abandoned in flight at
 * the end, requests never sent, and why. */
static void warn_generator(const struct lg_stats *st, int connections)
{
    if (st->aborted > 0)
        fprintf(stderr,
                "tollgate run: WARNING: %" PRId64 " requests were still in "
                "flight when the run ended (%s): no answer recorded, final "
                "outcome abandoned_in_flight, results marked complete: "
                "false%s\n",
                st->aborted, st->stopped ? "stopped" : "the drain time ran out",
                st->stopped ? ""
                            : "; --drain D waits longer for a slow target");
    if (st->kept_up)
        return;
    fprintf(stderr,
            "tollgate run: WARNING: generator could not keep up: schedule "
            "lag p99 %.1f ms, %" PRId64 " requests not sent (%" PRId64
            " found no connection free within their timeout, %" PRId64
            " still waited when the drain time ran out)\n",
            (double)st->lag_p99_ns / 1e6, st->dropped,
            st->dropped - st->dropped_drain, st->dropped_drain);
    if (st->conn_waits > 0 || st->dropped > 0)
        fprintf(stderr,
                "tollgate run: %" PRId64 " sends waited for a connection and "
                "%" PRId64 " requests never got one (all %d busy): add "
                "--connections, or the target is too slow for this rate\n",
                st->conn_waits, st->dropped, connections);
    else
        fprintf(stderr, "tollgate run: no send waited for a connection: the "
                        "generator's threads ran late\n");
    if (st->cpu_wait_ns >= 0)
        fprintf(stderr,
                "tollgate run: worker threads used %.0f ms of CPU and waited "
                "%.0f ms for one (runnable while other processes ran): %s\n",
                (double)st->cpu_ns / 1e6, (double)st->cpu_wait_ns / 1e6,
                st->cpu_wait_ns * 10 > st->cpu_ns
                    ? "the machine is busy; give the run CPU (taskset, nice) "
                      "or run it elsewhere"
                    : "add --threads or lower the rate");
}

static void print_report(const struct summary *s, const struct lg_stats *st,
                         int connections, const char *dir)
{
    printf("tollgate run: %s, %.1f s%s\n", s->scenario, s->duration_s,
           s->complete   ? ""
           : st->stopped ? " (stopped early)"
                         : " (incomplete: answers missing)");
    fflush(stdout);
    if (headline_write(stdout, s, HL_TEXT, headline_default_sections(s)) !=
        ERR_OK)
        fprintf(stderr, "tollgate run: writing the summary failed\n");
    const int64_t *lost = s->final_lost;
    if (lost[REC_NOT_SENT] + lost[REC_ABANDONED_IN_FLIGHT] > 0)
        printf("  lost by the load generator: %" PRId64 " not_sent, %" PRId64
               " abandoned_in_flight (not the target's answers)\n",
               lost[REC_NOT_SENT], lost[REC_ABANDONED_IN_FLIGHT]);
    printf("  schedule lag: p50 %.3f ms  p99 %.3f ms  max %.3f ms\n",
           (double)st->lag_p50_ns / 1e6, (double)st->lag_p99_ns / 1e6,
           (double)st->lag_max_ns / 1e6);
    printf("  results: %s\n", dir);
    warn_generator(st, connections);
}

/* ---- the run
 * ------------------------------------------------------------------- */

struct run_ctx {
    struct run_opts o;
    struct scenario *sc;
    struct serve *srv;
    struct keys keys;
    struct lg *g;
    struct rec *rec;
    char target[RUN_TARGET_MAX];
    char dir[512];
    int threads, connections; /* as used */
    double start_epoch_s;     /* wall-clock time of t = 0 */
};

static int start_embedded(struct run_ctx *c)
{
    struct serve_opts so;
    serve_opts_init(&so);
    so.port = 0;
    so.seed = c->sc->seed;
    so.defer_clock = true; /* started at the run's t = 0 (drive) */
    int rc = serve_start(c->sc, &so, &c->srv);
    if (rc != ERR_OK) {
        fprintf(stderr, "tollgate run: cannot start the embedded serve: %s\n",
                err_str(rc));
        return EXIT_RUNTIME;
    }
    snprintf(c->target, sizeof(c->target), "http://127.0.0.1:%d",
             serve_port(c->srv));
    return CLI_CONTINUE;
}

static int pick_target(struct run_ctx *c)
{
    const char *t = c->o.target       ? c->o.target
                    : c->sc->has_live ? c->sc->live.target
                                      : NULL;
    if (!t)
        return start_embedded(c);
    if (strlen(t) >= sizeof(c->target)) {
        fprintf(stderr, "tollgate run: target URL longer than %d bytes\n",
                RUN_TARGET_MAX - 1);
        return EXIT_USAGE;
    }
    snprintf(c->target, sizeof(c->target), "%s", t);
    char err[CURL_ERROR_SIZE + 64];
    if (lg_probe(c->target, c->o.insecure, 3000000000LL, err, sizeof(err)) !=
        ERR_OK) {
        char shown[RUN_SHOWN_TARGET];
        fprintf(stderr, "tollgate run: target %s unreachable: %s\n",
                keys_redact_url(c->target, shown, sizeof(shown)), err);
        return EXIT_RUNTIME;
    }
    return CLI_CONTINUE;
}

static int load_keys(struct run_ctx *c)
{
    const char *path = c->sc->has_live ? c->sc->live.keys_file : NULL;
    size_t line = 0;
    char why[200];
    if (!path)
        return CLI_CONTINUE;
    int rc = keys_load_explained(path, &c->keys, &line, why, sizeof(why));
    if (rc == ERR_OK && (int64_t)c->keys.n < c->sc->n_accounts) {
        fprintf(stderr,
                "tollgate run: keys file %s: %zu keys for %" PRId64
                " accounts (one line per account)\n",
                path, c->keys.n, c->sc->n_accounts);
        return EXIT_USAGE;
    }
    if (rc == ERR_OK)
        return CLI_CONTINUE;
    fprintf(stderr, "tollgate run: keys file %s: %s\n", path, why);
    return EXIT_USAGE;
}

static int make_lg(struct run_ctx *c)
{
    const struct scn_live *lv = c->sc->has_live ? &c->sc->live : NULL;
    struct lg_config cfg = {
        .sc = c->sc,
        .target = c->target,
        .threads = c->o.threads            ? c->o.threads
                   : lv && lv->threads > 0 ? (int)lv->threads
                                           : 2,
        .connections = c->o.connections            ? c->o.connections
                       : lv && lv->connections > 0 ? (int)lv->connections
                                                   : 64,
        .duration_ns = c->sc->duration_ns,
        .max_requests = c->o.max_requests,
        .shard_i = c->o.shard_i,
        .shard_n = c->o.shard_n,
        .seed = c->sc->seed,
        .insecure = c->o.insecure,
        .keys = c->keys.n ? &c->keys : NULL,
        .progress_ns = 100000000LL,
        .drain_ns = c->o.drain_ns,
        .send_attempt_key = c->srv != NULL, /* ours: same draws as sim */
    };
    if (cfg.connections < cfg.threads)
        cfg.threads = cfg.connections;
    c->threads = cfg.threads;
    c->connections = cfg.connections;
    char err[256];
    int rc = lg_new(&cfg, &c->g, err, sizeof(err));
    if (rc != ERR_OK) {
        fprintf(stderr, "tollgate run: %s\n", err);
        return rc == ERR_INVAL ? EXIT_USAGE : EXIT_RUNTIME;
    }
    return CLI_CONTINUE;
}

/* ---- --start-at --------------------------------------------------------- */

#define START_LEAD_NS (50 * 1000000LL) /* threads start this early */

static int64_t real_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* A start time more than one interval past is refused (exit 2) unless
 * --late-ok: the shard would miss the start of its schedule. */
static int check_start(const struct run_ctx *c)
{
    if (!c->o.start_at)
        return CLI_CONTINUE;
    int64_t iv =
        c->sc->interval_ns > 0 ? c->sc->interval_ns : c->sc->duration_ns;
    int64_t late = real_now_ns() - c->o.start_at_ns;
    if (late <= iv || c->o.late_ok)
        return CLI_CONTINUE;
    fprintf(stderr,
            "tollgate run: --start-at %s was %.3f s ago, more than one "
            "interval (%.3f s); --late-ok starts anyway\n",
            c->o.start_at, (double)late / 1e9, (double)iv / 1e9);
    return EXIT_USAGE;
}

static void draw_countdown(struct progress *bar, const struct run_opts *o,
                           int64_t left_ns)
{
    if (!bar->enabled)
        return;
    char line[200];
    int n = snprintf(
        line, sizeof(line), "[shard %d/%d] starting in %.1fs (--start-at %s)",
        o->shard_i, o->shard_n, (double)left_ns / 1e9, o->start_at);
    n = n < (int)sizeof(line) ? n : (int)sizeof(line) - 1;
    int pad = bar->last_len > n ? bar->last_len - n : 0;
    fprintf(bar->out, "\r%s%*s", line, pad, "");
    fflush(bar->out);
    bar->last_len = n;
}

/* Waits for the --start-at instant (wall clock) with a countdown and
 * returns it as a CLOCK_MONOTONIC time (in the past when late), or -1
 * when a signal came first.  Without --start-at: now. */
static int64_t wait_start(const struct run_ctx *c, struct progress *bar)
{
    if (!c->o.start_at)
        return lg_now_ns();
    for (;;) {
        int64_t left = c->o.start_at_ns - real_now_ns();
        if (signals_caught())
            return -1;
        if (left <= START_LEAD_NS)
            return lg_now_ns() + left;
        draw_countdown(bar, &c->o, left);
        int64_t nap = left - START_LEAD_NS;
        nap = nap < 100000000LL ? nap : 100000000LL;
        struct timespec ts = { 0, (long)nap };
        nanosleep(&ts, NULL);
    }
}

static int drive(struct run_ctx *c, struct lg_stats *st)
{
    struct run_watch rw;
    memset(&rw, 0, sizeof(rw));
    progress_init(&rw.bar, stderr, c->o.quiet);
    signals_catch();
    int64_t t0 = wait_start(c, &rw.bar);
    progress_clear(&rw.bar);
    if (t0 < 0) {
        progress_fini(&rw.bar);
        fprintf(stderr,
                "tollgate run: stopped by signal %d before the "
                "start time; nothing sent\n",
                signals_caught());
        return EXIT_RUNTIME;
    }
    c->start_epoch_s = (double)(real_now_ns() - (lg_now_ns() - t0)) / 1e9;
    if (c->srv != NULL) /* the embedded serve's scenario time 0 is ours */
        serve_start_clock(c->srv, t0);
    int rc = lg_start_at(c->g, t0);
    if (rc == ERR_OK) {
        watch(c->g, &rw, c->sc->duration_ns);
        rc = lg_join(c->g, &c->rec, st);
    }
    progress_fini(&rw.bar);
    signals_restore();
    if (rc != ERR_OK) {
        fprintf(stderr, "tollgate run: %s\n", err_str(rc));
        return EXIT_RUNTIME;
    }
    if (signals_caught())
        fprintf(stderr,
                "tollgate run: stopped by signal %d; writing what "
                "was covered\n",
                signals_caught());
    return CLI_CONTINUE;
}

static int finish(struct run_ctx *c, const struct lg_stats *st)
{
    struct summary s;
    summary_init(&s);
    struct summary_meta meta = { c->sc->name, "run", c->sc->seed };
    summary_from_record(&s, c->rec, &meta);
    s.has_generator = true;
    s.generator = (struct summary_gen){
        .kept_up = st->kept_up,
        .dropped = st->dropped,
        .abandoned = st->aborted,
        .connections_peak = st->connections_used,
        .connections = c->connections,
        .threads = c->threads,
        .sent = st->sent,
        .waited_for_connection = st->conn_waits,
        .shards = 1,
    };
    char shown[RUN_SHOWN_TARGET];
    struct lg_generator gen = {
        .st = st,
        .target = keys_redact_url(c->target, shown, sizeof(shown)),
        .threads = c->threads,
        .connections = c->connections,
        .shard_i = c->o.shard_i,
        .shard_n = c->o.shard_n,
        .start_epoch_s = c->start_epoch_s,
    };
    int rc = write_results(c->dir, c->sc, c->rec, &s, &gen);
    if (rc == ERR_OK && c->srv) {
        char sub[600];
        snprintf(sub, sizeof(sub), "%s/serve", c->dir);
        serve_stop(c->srv);
        rc = serve_write_results(c->srv, sub);
    }
    int status = CLI_CONTINUE;
    if (rc != ERR_OK) {
        fprintf(stderr, "tollgate run: writing %s: %s (%s)\n", c->dir,
                err_str(rc), strerror(errno));
        status = EXIT_RUNTIME;
    } else {
        print_report(&s, st, c->connections, c->dir);
        if (c->o.check)
            status = report_check(c->sc, &s, stdout, c->o.junit,
                                  c->o.accept_incomplete);
        if (status != EXIT_RUNTIME && st->stopped && !c->o.accept_incomplete &&
            signals_caught() > 0)
            status = EXIT_SIGNAL_BASE + signals_caught();
    }
    summary_fini(&s);
    return status;
}

static void cleanup(struct run_ctx *c)
{
    lg_free(c->g);
    rec_free(c->rec);
    if (c->srv)
        serve_stop(c->srv);
    serve_free(c->srv);
    keys_fini(&c->keys);
    scn_free(c->sc);
}

int cmd_run(int argc, char **argv)
{
    struct run_ctx c;
    memset(&c, 0, sizeof(c));
    int status = parse_args(&c.o, argc, argv);
    if (status == CLI_CONTINUE)
        status = opts_load_scenario("tollgate run", c.o.scenario, c.o.seed,
                                    c.o.duration, &c.o.sets, &c.sc);
    opts_sets_fini(&c.o.sets);
    if (status == CLI_CONTINUE)
        status = check_start(&c);
    if (status != CLI_CONTINUE) {
        scn_free(c.sc);
        return status;
    }
    snprintf(c.dir, sizeof(c.dir), "%s", c.o.out_dir ? c.o.out_dir : "");
    if (!c.o.out_dir)
        snprintf(c.dir, sizeof(c.dir), "results/%s-run", c.sc->name);
    status = opts_check_out_dir("tollgate run", c.dir);
    if (status != CLI_CONTINUE) {
        scn_free(c.sc);
        return status;
    }
    if (lg_global_init() != ERR_OK) {
        fprintf(stderr, "tollgate run: libcurl initialisation failed\n");
        scn_free(c.sc);
        return EXIT_RUNTIME;
    }
    signals_ignore_pipe();
    struct lg_stats st;
    status = load_keys(&c);
    if (status == CLI_CONTINUE)
        status = pick_target(&c);
    if (status == CLI_CONTINUE)
        status = make_lg(&c);
    if (status == CLI_CONTINUE)
        status = drive(&c, &st);
    if (status == CLI_CONTINUE)
        status = finish(&c, &st);
    cleanup(&c);
    curl_global_cleanup();
    return status == CLI_CONTINUE ? EXIT_OK : status;
}

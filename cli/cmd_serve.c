/*
 * cmd_serve.c - `tollgate serve`: the policy model as a live HTTP endpoint.
 *
 * argv -> options -> scenario (--set/--seed applied as overrides) ->
 * serve_start -> wait for SIGINT/SIGTERM (or --stop-after) -> serve_stop
 * -> results directory of every decision served -> exit status.
 *
 * Signals follow cli/signals.h, like sim and run: the first SIGINT or
 * SIGTERM stops the server (the handler only sets a flag, whichever
 * thread takes it; the main thread looks every 200 ms) and results are
 * written; a second one ends the process at once.  SIGPIPE is ignored (a
 * client that goes away must not kill the server).
 */
#include "cli/cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/args.h"
#include "cli/opts.h"
#include "cli/signals.h"
#include "core/scenario/scenario.h"
#include "core/base/units.h"
#include "serve/serve.h"

struct cli_serve {
    const char *scenario;
    const char *listen;  /* HOST:PORT */
    const char *out_dir; /* NULL: results/<name>-serve */
    const char *seed;
    int64_t stop_after_ns; /* 0: until a signal */
    struct opts_sets sets;
    struct serve_opts so;
    bool quiet, no_results;
};

static void usage(FILE *out)
{
    fprintf(
        out,
        "Usage: tollgate serve SCENARIO [--listen HOST:PORT] [-o DIR]\n"
        "                      [--set KEY=VALUE]... [--seed N] "
        "[--admin-any]\n"
        "                      [--admin-token TOKEN] [--threads N] "
        "[--timeout D]\n"
        "                      [--request-timeout D] [--max-connections N]\n"
        "                      [--max-per-client N] [--stop-after D]\n"
        "                      [--no-results] [-q]\n"
        "\n"
        "Answers like the real API, from the policy model: every request "
        "to\n"
        "POST /v1/chat/completions, /v1/completions or /v1/messages "
        "(Anthropic)\n"
        "is decided by the same code as `tollgate sim` on the real "
        "clock, and\n"
        "denied with the status, error body and x-ratelimit-* / "
        "retry-after\n"
        "headers of the reason, or answered after the capacity model's "
        "service\n"
        "time.  The scenario's events run from server start.  Keys are "
        "the\n"
        "deterministic per-account keys of `tollgate run` (or "
        "live.keys).\n"
        "\n"
        "Options:\n"
        "  --listen HOST:PORT    address to listen on (default "
        "127.0.0.1:8080;\n"
        "                        port 0 picks a free port; IPv6 as "
        "[::1]:8080)\n"
        "  -o, --output DIR      results directory written on exit "
        "(default\n"
        "                        results/<name>-serve)\n"
        "  --set KEY=VALUE       override a scenario value (repeatable)\n"
        "  --seed N              random seed (default: the scenario's "
        "seed:)\n"
        "  --admin-any           answer /tollgate/* admin routes from any "
        "address\n"
        "                        (default: loopback peers only)\n"
        "  --admin-token TOKEN   admin routes want \"Authorization: Bearer "
        "TOKEN\" and\n"
        "                        GET /tollgate/key is on (default: "
        "$TOLLGATE_ADMIN_TOKEN;\n"
        "                        without a token the key route is off)\n"
        "  --threads N           HTTP thread pool size (default 2)\n"
        "  --timeout D           close connections that send nothing for D "
        "(default 30s)\n"
        "  --request-timeout D   close connections that take longer than D "
        "to send a\n"
        "                        whole request, or sit idle that long "
        "between requests\n"
        "                        (default 10s; whole seconds)\n"
        "  --max-connections N   connections open at once; at the cap the "
        "one waiting\n"
        "                        longest for a request is closed (default: "
        "4/5 of the\n"
        "                        descriptor limit, which serve raises to "
        "its hard limit)\n"
        "  --max-per-client N    connections from one client address "
        "(default: half\n"
        "                        of --max-connections)\n"
        "  --stop-after D        stop by itself after D, e.g. 30s (default: "
        "on signal)\n"
        "  --no-results          do not write a results directory\n"
        "  -q, --quiet           no startup line\n"
        "  -h, --help            this help\n"
        "\n"
        "Admin: GET /tollgate/state (JSON), GET /tollgate/metrics "
        "(Prometheus),\n"
        "POST /tollgate/events with e.g. {\"outage\":{\"for\":\"30s\"}} "
        "to inject an event,\n"
        "GET /tollgate/key?account=N for account N's API key.\n"
        "Ctrl-C (SIGINT) or SIGTERM stops gracefully and writes "
        "summary.json,\n"
        "timeseries.csv, latency.hgrm, histograms.tgh, events.csv and "
        "scenario.yaml;\n"
        "a second Ctrl-C ends the process at once, without results.\n"
        "\n"
        "Example:\n"
        "  tollgate serve scenarios/free-tier-exhaustion.yaml --listen "
        "127.0.0.1:8080\n"
        "  curl -s localhost:8080/v1/chat/completions -H "
        "\"Authorization: Bearer tg-0-...\" \\\n"
        "       -d '{\"model\":\"mini\",\"max_tokens\":50,\"messages\":"
        "[{\"role\":\"user\",\"content\":\"hi\"}]}'\n"
        "\n"
        "Exit status: 0 ok, 2 usage or invalid scenario, 3 runtime "
        "failure\n"
        "(cannot listen, cannot write results).\n");
}

/* "HOST:PORT", "[V6]:PORT" or ":PORT" into o->host (static storage in
 * hostbuf) and o->port. */
static bool parse_listen(const char *s, struct serve_opts *o, char *hostbuf,
                         size_t len)
{
    const char *colon = strrchr(s, ':');
    if (colon == NULL)
        return false;
    const char *h = s, *he = colon;
    if (*h == '[' && he > h && he[-1] == ']') {
        h++;
        he--;
    }
    if ((size_t)(he - h) >= len)
        return false;
    memcpy(hostbuf, h, (size_t)(he - h));
    hostbuf[he - h] = '\0';
    char *end;
    errno = 0;
    long port = strtol(colon + 1, &end, 10);
    if (errno != 0 || end == colon + 1 || *end != '\0' || port < 0 ||
        port > 65535)
        return false;
    o->host = hostbuf[0] ? hostbuf : SERVE_DEFAULT_HOST;
    o->port = (int)port;
    return true;
}

enum {
    OPT_LISTEN = 256,
    OPT_SET,
    OPT_SEED,
    OPT_ADMIN_ANY,
    OPT_ADMIN_TOKEN,
    OPT_THREADS,
    OPT_TIMEOUT,
    OPT_REQUEST_TIMEOUT,
    OPT_MAX_CONNECTIONS,
    OPT_MAX_PER_CLIENT,
    OPT_STOP_AFTER,
    OPT_NO_RESULTS
};

static const struct option longopts[] = {
    { "listen", required_argument, NULL, OPT_LISTEN },
    { "output", required_argument, NULL, 'o' },
    { "set", required_argument, NULL, OPT_SET },
    { "seed", required_argument, NULL, OPT_SEED },
    { "admin-any", no_argument, NULL, OPT_ADMIN_ANY },
    { "admin-token", required_argument, NULL, OPT_ADMIN_TOKEN },
    { "threads", required_argument, NULL, OPT_THREADS },
    { "timeout", required_argument, NULL, OPT_TIMEOUT },
    { "request-timeout", required_argument, NULL, OPT_REQUEST_TIMEOUT },
    { "max-connections", required_argument, NULL, OPT_MAX_CONNECTIONS },
    { "max-per-client", required_argument, NULL, OPT_MAX_PER_CLIENT },
    { "stop-after", required_argument, NULL, OPT_STOP_AFTER },
    { "no-results", no_argument, NULL, OPT_NO_RESULTS },
    { "quiet", no_argument, NULL, 'q' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 }
};

/* An integer in lo..hi; false when v is anything else. */
static bool parse_count(const char *v, long lo, long hi, unsigned *out)
{
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno != 0 || end == v || *end != '\0' || n < lo || n > hi)
        return false;
    *out = (unsigned)n;
    return true;
}

/* A duration in whole seconds, 1s..1h; false otherwise. */
static bool parse_secs(const char *v, unsigned *out)
{
    int64_t ns = 0;
    if (units_parse_duration(v, &ns) != ERR_OK || ns < 1000000000LL ||
        ns > 3600 * 1000000000LL)
        return false;
    *out = (unsigned)(ns / 1000000000LL);
    return true;
}

/* The options that take a number or a duration; CLI_CONTINUE or
 * EXIT_USAGE. */
static int take_number(struct cli_serve *o, const struct args *a, int c)
{
    const char *v = a->arg;
    switch (c) {
    case OPT_THREADS:
        if (!parse_count(v, 1, 64, &o->so.threads))
            return args_fail(a, "--threads wants 1..64, got '%s'", v);
        break;
    case OPT_MAX_CONNECTIONS:
        if (!parse_count(v, 1, 1000000, &o->so.max_connections))
            return args_fail(a, "--max-connections wants 1..1000000, got '%s'",
                             v);
        break;
    case OPT_MAX_PER_CLIENT:
        if (!parse_count(v, 1, 1000000, &o->so.max_per_ip))
            return args_fail(a, "--max-per-client wants 1..1000000, got '%s'",
                             v);
        break;
    case OPT_TIMEOUT:
        if (!parse_secs(v, &o->so.timeout_s))
            return args_fail(a, "--timeout wants 1s..1h, got '%s'", v);
        break;
    case OPT_REQUEST_TIMEOUT:
        if (!parse_secs(v, &o->so.request_timeout_s))
            return args_fail(a, "--request-timeout wants 1s..1h, got '%s'", v);
        break;
    case OPT_STOP_AFTER:
        if (units_parse_duration(v, &o->stop_after_ns) != ERR_OK ||
            o->stop_after_ns <= 0)
            return args_fail(a,
                             "--stop-after wants a duration like 30s, "
                             "got '%s'",
                             v);
        break;
    }
    return CLI_CONTINUE;
}

/* One option or operand; CLI_CONTINUE or an exit status. */
static int take(struct cli_serve *o, const struct args *a, int c, char *hostbuf,
                size_t hostlen)
{
    switch (c) {
    case 'h': usage(stdout); return EXIT_OK;
    case 'q': o->quiet = true; break;
    case OPT_ADMIN_ANY: o->so.admin_any = true; break;
    case OPT_NO_RESULTS: o->no_results = true; break;
    case 'o': o->out_dir = a->arg; break;
    case OPT_SEED: o->seed = a->arg; break;
    case OPT_LISTEN:
        if (!parse_listen(a->arg, &o->so, hostbuf, hostlen))
            return args_fail(a,
                             "--listen wants HOST:PORT, e.g. "
                             "127.0.0.1:8080; got '%s'",
                             a->arg);
        break;
    case OPT_ADMIN_TOKEN:
        if (a->arg[0] == '\0')
            return args_fail(a, "--admin-token wants a non-empty token");
        o->so.admin_token = a->arg;
        break;
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
    case ARGS_ERROR: return EXIT_USAGE; /* reported */
    default: return take_number(o, a, c);
    }
    return CLI_CONTINUE;
}

/* Returns CLI_CONTINUE to go on, or an exit status. */
static int parse_opts(int argc, char **argv, struct cli_serve *o, char *hostbuf,
                      size_t hostlen)
{
    struct args a;
    args_init(&a, "serve", argc, argv, "o:qh", longopts);
    for (int c; (c = args_next(&a)) != ARGS_END;) {
        int status = take(o, &a, c, hostbuf, hostlen);
        if (status != CLI_CONTINUE)
            return status;
    }
    if (o->scenario == NULL) {
        fprintf(stderr, "tollgate serve: which scenario?\n\n");
        usage(stderr);
        return EXIT_USAGE;
    }
    return CLI_CONTINUE;
}

/* The startup lines: address, then descriptors and caps. */
static void print_start(const struct cli_serve *o, const struct scenario *sc,
                        const struct serve *s)
{
    bool v6 = strchr(o->so.host, ':') != NULL;
    struct serve_limits l;
    serve_limits(s, &l);
    fprintf(stderr,
            "tollgate serve: %s (%lld accounts) listening on "
            "http://%s%s%s:%d\n",
            sc->name, (long long)sc->n_accounts, v6 ? "[" : "", o->so.host,
            v6 ? "]" : "", serve_port(s));
    char raised[64] = "";
    if (l.fd_soft != l.fd_soft_before)
        snprintf(raised, sizeof(raised), " (soft limit raised from %llu)",
                 (unsigned long long)l.fd_soft_before);
    else if (l.fd_soft < l.fd_hard)
        snprintf(raised, sizeof(raised), " (could not raise it to %llu)",
                 (unsigned long long)l.fd_hard);
    fprintf(stderr,
            "tollgate serve: descriptors: %llu%s; at most %u connections, "
            "%u per client address; requests must arrive within %us%s\n",
            (unsigned long long)l.fd_soft, raised, l.max_connections,
            l.max_per_ip, o->so.request_timeout_s,
            o->so.admin_token != NULL ? "; admin token set" : "");
}

/* Waits for SIGINT/SIGTERM (cli/signals.h) or the deadline.  The nap
 * ends early when the signal lands on this thread, and within 200 ms when
 * a server thread took it. */
static void wait_stop(int64_t stop_after_ns)
{
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    while (!signals_caught()) {
        struct timespec tick = { 0, 200000000L };
        nanosleep(&tick, NULL);
        if (stop_after_ns <= 0)
            continue;
        clock_gettime(CLOCK_MONOTONIC, &now);
        int64_t el = (int64_t)(now.tv_sec - start.tv_sec) * 1000000000LL +
                     (now.tv_nsec - start.tv_nsec);
        if (el >= stop_after_ns)
            return;
    }
}

/* The results directory: -o, or results/<scenario name>-serve. */
static void results_dir(const struct cli_serve *o, const struct scenario *sc,
                        char *dir, size_t len)
{
    if (o->out_dir != NULL)
        snprintf(dir, len, "%s", o->out_dir);
    else
        snprintf(dir, len, "results/%s-serve", sc->name);
}

/* serve's files into dir (a new directory, opts_write_dir). */
static int write_files(void *ctx, const char *dir)
{
    return serve_write_results(ctx, dir);
}

static int write_results(const struct cli_serve *o, const struct scenario *sc,
                         const struct serve *s)
{
    char dir[1024];
    results_dir(o, sc, dir, sizeof(dir));
    if (opts_write_dir("tollgate serve", dir, write_files, (void *)s) != ERR_OK)
        return EXIT_RUNTIME; /* reported */
    if (!o->quiet)
        fprintf(stderr, "tollgate serve: results in %s\n", dir);
    return EXIT_OK;
}

static int run(struct cli_serve *o, const struct scenario *sc)
{
    signals_catch();
    signals_ignore_pipe();
    o->so.seed = sc->seed;
    struct serve *s = NULL;
    int rc = serve_start(sc, &o->so, &s);
    if (rc == ERR_RANGE) {
        fprintf(stderr,
                "tollgate serve: --max-connections %u needs a descriptor "
                "limit of %llu; raise the hard limit (ulimit -Hn) or ask "
                "for fewer connections\n",
                o->so.max_connections,
                (unsigned long long)serve_fds_needed(o->so.max_connections));
        return EXIT_USAGE;
    }
    if (rc != ERR_OK) {
        fprintf(stderr, "tollgate serve: cannot serve on %s:%d: %s\n",
                o->so.host, o->so.port,
                rc == ERR_IO ? "address in use or not local" : err_str(rc));
        return rc == ERR_INVAL ? EXIT_USAGE : EXIT_RUNTIME;
    }
    if (!o->quiet)
        print_start(o, sc, s);
    if (o->so.admin_any && o->so.admin_token == NULL)
        fprintf(stderr, "tollgate serve: warning: --admin-any without an "
                        "admin token: anyone who can connect may inject "
                        "events; set TOLLGATE_ADMIN_TOKEN to require one\n");
    wait_stop(o->stop_after_ns);
    serve_stop(s);
    int status = o->no_results ? EXIT_OK : write_results(o, sc, s);
    serve_free(s);
    return status;
}

int cmd_serve(int argc, char **argv)
{
    struct cli_serve o;
    char hostbuf[128];
    memset(&o, 0, sizeof(o));
    serve_opts_init(&o.so);
    int status = parse_opts(argc, argv, &o, hostbuf, sizeof(hostbuf));
    const char *env_token = getenv("TOLLGATE_ADMIN_TOKEN");
    if (o.so.admin_token == NULL && env_token != NULL && env_token[0] != '\0')
        o.so.admin_token = env_token; /* the option wins */
    struct scenario *sc = NULL;
    if (status == CLI_CONTINUE)
        status = opts_load_scenario("tollgate serve", o.scenario, o.seed, NULL,
                                    &o.sets, &sc);
    char dir[1024];
    if (status == CLI_CONTINUE && !o.no_results) { /* before serving */
        results_dir(&o, sc, dir, sizeof(dir));
        status = opts_check_out_dir("tollgate serve", dir);
    }
    if (status == CLI_CONTINUE)
        status = run(&o, sc);
    scn_free(sc);
    opts_sets_fini(&o.sets);
    return status;
}

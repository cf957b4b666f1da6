/*
 * cmd_merge.c - `tollgate merge -o DIR DIR...`: combines the results
 * directories of shards (run --shard i/N, or sim shards) into one.
 *
 * The work is results_merge() in core: each shard's histograms.tgh is read
 * back and the recorders are added exactly, so the merged summary, time
 * series and percentiles are what one unsharded run would have written.
 * With --check the merged result is then held against the scenario's
 * expect: rules (DIR/scenario.yaml, copied from the first shard).
 * Exit: 0 merged (and rules pass), 1 a rule fails, 2 usage or invalid
 * input, 3 I/O failure.
 */
#include "cli/cli.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/args.h"
#include "cli/report.h"
#include "core/results/headline.h"
#include "core/results/results.h"
#include "core/scenario/scenario.h"
#include "core/stats/summary.h"

static void usage(FILE *out)
{
    fprintf(
        out,
        "Usage: tollgate merge -o OUT DIR... [--check [--junit FILE]] [-q]\n\n"
        "Combines the results directories of shards of one run into "
        "OUT, exactly:\ncounters and histogram buckets are added, so "
        "OUT holds what a single\nunsharded run would have written "
        "(summary.json, timeseries.csv,\nlatency.hgrm, histograms.tgh; "
        "scenario.yaml and events.csv of the first DIR).\n\n"
        "  -o, --output OUT  directory to write (created if missing; "
        "must not be a DIR)\n"
        "  --check           then evaluate the scenario's expect: rules "
        "on the merged result\n"
        "  --junit FILE      with --check, also write a JUnit XML "
        "report\n"
        "  -q, --quiet       no summary line (rule verdicts still print)\n"
        "  -h, --help        this help\n\n"
        "Every DIR needs histograms.tgh and summary.json from the same "
        "scenario,\nduration, interval, warm-up and populations.\n\n"
        "Example (two shards of one load test, then the CI gate):\n"
        "  tollgate run s.yaml --shard 0/2 -o out/s0   # on host A\n"
        "  tollgate run s.yaml --shard 1/2 -o out/s1   # on host B\n"
        "  tollgate merge -o out/all out/s0 out/s1 --check\n\n"
        "Exit status: 0 merged, 1 an expect: rule failed (--check), 2 "
        "usage or\ninvalid input, 3 I/O error.\n");
}

struct merge_opts {
    const char *out;
    const char **dirs;
    size_t n_dirs;
    bool check, quiet;
    const char *junit;
};

enum { OPT_CHECK = 256, OPT_JUNIT };

static const struct option longopts[] = {
    { "output", required_argument, NULL, 'o' },
    { "check", no_argument, NULL, OPT_CHECK },
    { "junit", required_argument, NULL, OPT_JUNIT },
    { "quiet", no_argument, NULL, 'q' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 }
};

/* Returns CLI_CONTINUE to go on, or an exit status. */
static int parse_args(int argc, char **argv, struct merge_opts *o)
{
    struct args a;
    args_init(&a, "merge", argc, argv, "o:qh", longopts);
    for (int c; (c = args_next(&a)) != ARGS_END;) {
        switch (c) {
        case 'h': usage(stdout); return EXIT_OK;
        case 'o': o->out = a.arg; break;
        case OPT_JUNIT: o->junit = a.arg; break;
        case OPT_CHECK: o->check = true; break;
        case 'q': o->quiet = true; break;
        case ARGS_OPERAND: o->dirs[o->n_dirs++] = a.arg; break;
        default: return EXIT_USAGE; /* ARGS_ERROR: reported */
        }
    }
    if (o->out == NULL || o->n_dirs == 0) {
        fprintf(stderr, "tollgate merge: %s\n\n",
                o->out == NULL ? "-o OUT is required"
                               : "at least one input DIR is required");
        usage(stderr);
        return EXIT_USAGE;
    }
    if (o->junit != NULL && !o->check)
        return args_fail(&a, "--junit needs --check");
    return CLI_CONTINUE;
}

static int status_of(int e)
{
    return e == ERR_IO ? EXIT_RUNTIME : EXIT_USAGE;
}

/* One line about the merged result, read back from OUT/summary.json. */
static int describe(const struct merge_opts *o, struct summary *s)
{
    char path[4096], err[512];
    snprintf(path, sizeof(path), "%s/%s", o->out, RESULTS_SUMMARY);
    int e = results_read_summary(path, s, err, sizeof(err));
    if (e != ERR_OK) {
        fprintf(stderr, "tollgate merge: %s\n", err);
        return status_of(e);
    }
    if (!o->quiet) {
        printf("merged %zu director%s into %s%s\n", o->n_dirs,
               o->n_dirs == 1 ? "y" : "ies", o->out,
               s->complete ? "" : " (incomplete)");
        fflush(stdout);
        if (headline_write(stdout, s, HL_TEXT, headline_default_sections(s)) !=
            ERR_OK)
            return EXIT_RUNTIME;
    }
    return EXIT_OK;
}

static int check(const struct merge_opts *o, const struct summary *s)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", o->out, RESULTS_SCENARIO);
    struct scn_diags d;
    struct scenario *sc = NULL;
    scn_diags_init(&d, path);
    int e = scn_parse_file(path, NULL, 0, &sc, &d);
    int rc;
    if (e == ERR_IO) {
        fprintf(stderr, "tollgate merge: --check needs %s: %s\n", path,
                strerror(errno));
        rc = EXIT_RUNTIME;
    } else if (e != ERR_OK) {
        fprintf(stderr, "tollgate merge: %s is not a valid scenario:\n", path);
        scn_diags_print(&d, stderr);
        rc = EXIT_USAGE;
    } else {
        rc = report_check(sc, s, stdout, o->junit, false);
    }
    scn_free(sc);
    scn_diags_fini(&d);
    return rc;
}

int cmd_merge(int argc, char **argv)
{
    struct merge_opts o = { 0 };
    o.dirs = calloc((size_t)argc + 1, sizeof(*o.dirs));
    if (o.dirs == NULL)
        return EXIT_RUNTIME;
    int rc = parse_args(argc, argv, &o);
    if (rc != CLI_CONTINUE)
        goto out;
    char err[1024] = "";
    int e = results_merge(o.out, o.dirs, o.n_dirs, err, sizeof(err));
    if (e != ERR_OK) {
        fprintf(stderr, "tollgate merge: %s\n", err[0] ? err : err_str(e));
        rc = status_of(e);
        goto out;
    }
    struct summary s;
    summary_init(&s);
    rc = describe(&o, &s);
    if (rc == EXIT_OK && o.check)
        rc = check(&o, &s);
    summary_fini(&s);
out:
    free(o.dirs);
    return rc;
}

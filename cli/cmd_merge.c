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

#include "cli/report.h"
#include "core/results.h"
#include "core/scenario.h"
#include "core/summary.h"

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: tollgate merge -o OUT DIR...\n\n"
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

/* Parses argv; returns EXIT_OK, or an exit status to return at once
 * (-1 for --help, which is handled by the caller). */
static int parse_args(int argc, char **argv, struct merge_opts *o)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)
            return -1;
        if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0 ||
            strcmp(a, "--junit") == 0) {
            if (i + 1 >= argc) {
                fprintf(stderr, "tollgate merge: %s needs a value\n", a);
                return EXIT_USAGE;
            }
            *(a[2] == 'j' ? &o->junit : &o->out) = argv[++i];
        } else if (strcmp(a, "--check") == 0) {
            o->check = true;
        } else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
            o->quiet = true;
        } else if (a[0] == '-' && a[1] != '\0') {
            fprintf(stderr, "tollgate merge: unknown option '%s'\n\n", a);
            usage(stderr);
            return EXIT_USAGE;
        } else {
            o->dirs[o->n_dirs++] = a;
        }
    }
    if (o->out == NULL || o->n_dirs == 0) {
        fprintf(stderr, "tollgate merge: %s\n\n",
                o->out == NULL ? "-o OUT is required"
                               : "at least one input DIR is required");
        usage(stderr);
        return EXIT_USAGE;
    }
    if (o->junit != NULL && !o->check) {
        fprintf(stderr, "tollgate merge: --junit needs --check\n");
        return EXIT_USAGE;
    }
    return EXIT_OK;
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
    if (!o->quiet)
        printf("merged %zu director%s into %s: %lld attempts, %lld ok, "
               "%lld denied (%.2f%%), p99 %.3f ms%s\n",
               o->n_dirs, o->n_dirs == 1 ? "y" : "ies", o->out,
               (long long)s->requests.attempts, (long long)s->requests.ok,
               (long long)s->requests.denied, 100.0 * s->denial_rate,
               s->lat_all.p99, s->complete ? "" : " (incomplete)");
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
        rc = report_check(sc, s, stdout, o->junit);
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
    if (rc == -1) {
        usage(stdout);
        rc = EXIT_OK;
        goto out;
    }
    if (rc != EXIT_OK)
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

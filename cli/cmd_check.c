/*
 * cmd_check.c - `tollgate check DIR [--junit FILE]`: evaluates the expect:
 * rules of the scenario that produced a results directory.
 *
 * The rules come from DIR/scenario.yaml (the scenario as it ran, parsed
 * with the scenario parser, so rule errors carry file:line:col), the
 * numbers from DIR/summary.json.  Verdicts and the JUnit report are
 * cli/report.c's.  Exit: 0 all pass, 1 any fails, 2 usage or invalid
 * input, 3 I/O failure.
 */
#include "cli/cli.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/args.h"
#include "cli/report.h"
#include "core/results/results.h"
#include "core/scenario/scenario.h"
#include "core/stats/summary.h"

static void usage(FILE *out)
{
    fprintf(out, "Usage: tollgate check DIR [--junit FILE] "
                 "[--accept-incomplete]\n\n"
                 "Evaluates the expect: rules of DIR/scenario.yaml against "
                 "DIR/summary.json,\nprints each rule with its measured value "
                 "and PASS/FAIL, then a count.\n\n"
                 "  --junit FILE  also write a JUnit XML report (one testcase "
                 "per rule)\n"
                 "  --accept-incomplete\n"
                 "                judge results that are not complete "
                 "(stopped early, answers\n"
                 "                missing); by default they fail\n"
                 "  -h, --help    this help\n\n"
                 "Example (a CI gate on a simulation):\n"
                 "  tollgate sim scenarios/free-tier-exhaustion.yaml -q -o "
                 "results/ft\n"
                 "  tollgate check results/ft --junit results/ft/junit.xml\n\n"
                 "Exit status: 0 all rules pass, 1 any rule fails, 2 usage or "
                 "invalid input,\n3 I/O error.\n");
}

/* Exit status for a reader's error: I/O is 3, malformed input 2. */
static int input_status(int e)
{
    return e == ERR_IO ? EXIT_RUNTIME : EXIT_USAGE;
}

static int load(const char *dir, struct scenario **sc, struct summary *s)
{
    char path[4096], err[512];
    snprintf(path, sizeof(path), "%s/%s", dir, RESULTS_SUMMARY);
    int e = results_read_summary(path, s, err, sizeof(err));
    if (e != ERR_OK) {
        fprintf(stderr, "tollgate check: %s\n", err);
        return input_status(e);
    }
    snprintf(path, sizeof(path), "%s/%s", dir, RESULTS_SCENARIO);
    struct scn_diags d;
    scn_diags_init(&d, path);
    e = scn_parse_file(path, NULL, 0, sc, &d);
    if (e == ERR_IO)
        fprintf(stderr, "tollgate check: cannot read %s: %s\n", path,
                strerror(errno));
    else if (e != ERR_OK)
        fprintf(stderr, "tollgate check: %s is not a valid scenario:\n", path);
    if (e != ERR_OK)
        scn_diags_print(&d, stderr);
    scn_diags_fini(&d);
    return e == ERR_OK ? EXIT_OK : input_status(e);
}

enum { OPT_JUNIT = 256, OPT_ACCEPT_INCOMPLETE };

static const struct option longopts[] = {
    { "junit", required_argument, NULL, OPT_JUNIT },
    { "accept-incomplete", no_argument, NULL, OPT_ACCEPT_INCOMPLETE },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 }
};

/* Returns CLI_CONTINUE to go on, or an exit status. */
static int parse_args(int argc, char **argv, const char **dir,
                      const char **junit, bool *accept_incomplete)
{
    struct args a;
    args_init(&a, "check", argc, argv, "h", longopts);
    for (int c; (c = args_next(&a)) != ARGS_END;) {
        switch (c) {
        case 'h': usage(stdout); return EXIT_OK;
        case OPT_JUNIT: *junit = a.arg; break;
        case OPT_ACCEPT_INCOMPLETE: *accept_incomplete = true; break;
        case ARGS_OPERAND:
            if (*dir != NULL)
                return args_fail(&a, "one results directory only ('%s')",
                                 a.arg);
            *dir = a.arg;
            break;
        default: return EXIT_USAGE; /* ARGS_ERROR: reported */
        }
    }
    if (*dir == NULL) {
        usage(stderr);
        return EXIT_USAGE;
    }
    return CLI_CONTINUE;
}

int cmd_check(int argc, char **argv)
{
    const char *dir = NULL, *junit = NULL;
    bool accept_incomplete = false;
    int status = parse_args(argc, argv, &dir, &junit, &accept_incomplete);
    if (status != CLI_CONTINUE)
        return status;
    struct scenario *sc = NULL;
    struct summary s;
    summary_init(&s);
    int rc = load(dir, &sc, &s);
    if (rc == EXIT_OK) {
        if (strcmp(s.scenario, sc->name) != 0)
            fprintf(stderr,
                    "tollgate check: warning: summary.json is for '%s', "
                    "scenario.yaml for '%s'\n",
                    s.scenario, sc->name);
        rc = report_check(sc, &s, stdout, junit, accept_incomplete);
    }
    scn_free(sc);
    summary_fini(&s);
    return rc;
}

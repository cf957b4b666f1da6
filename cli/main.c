/*
 * main.c - the tollgate binary: dispatches to a subcommand.
 *
 * Kept thin on purpose: argv[1] picks a cmd_* function, which parses its own
 * options, calls into sim/loadgen/serve/core and returns an exit status.
 * `tollgate help COMMAND` is COMMAND --help; an unknown command names the
 * nearest one.  --version prints the version and the source revision
 * written at build time (packaging/revision.cmake).
 */
#include "cli/cli.h"

#include <stdio.h>
#include <string.h>

#include "cli/args.h"
#include "generated/revision.h" /* TOLLGATE_REVISION, written at build time */

struct subcommand {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
};

static const struct subcommand commands[] = {
    { "sim", cmd_sim, "simulate a scenario in virtual time" },
    { "sweep", cmd_sweep,
      "a scenario over a grid of values, or find where a rule holds" },
    { "run", cmd_run, "drive a live endpoint with the scenario's traffic" },
    { "serve", cmd_serve, "answer like the real API, from the policy model" },
    { "plot", cmd_plot, "chart a results directory with gnuplot" },
    { "report", cmd_report, "print a results directory's summary again" },
    { "check", cmd_check, "evaluate the scenario's expect: rules" },
    { "compare", cmd_compare, "compare two results directories" },
    { "merge", cmd_merge, "combine shard results exactly" },
    { "validate", cmd_validate, "check a scenario file and explain it" },
    { "reasons", cmd_reasons, "list the canonical denial reasons" },
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *out)
{
    fprintf(out,
            "tollgate %s - policy simulation and load testing for metered "
            "APIs\n\n"
            "How many requests get denied, why, and how slow is the rest?\n\n"
            "Usage: tollgate COMMAND [OPTIONS]\n\nCommands:\n",
            TOLLGATE_VERSION);
    for (size_t i = 0; i < N_COMMANDS; i++)
        fprintf(out, "  %-9s %s\n", commands[i].name, commands[i].summary);
    fprintf(out,
            "\nRun 'tollgate COMMAND --help' (or 'tollgate help COMMAND') for "
            "the options of\na command; every long option takes --opt VALUE "
            "or --opt=VALUE.\n"
            "'tollgate --version' prints the version and source revision; "
            "'man tollgate'\nhas every command and option.\n"
            "Exit status: 0 ok, 1 expectations failed, 2 usage or invalid "
            "scenario,\n3 runtime failure.\n\n"
            "Example:\n"
            "  tollgate sim scenarios/free-tier-exhaustion.yaml\n"
            "  tollgate plot results/free-tier-exhaustion-sim\n");
}

static const struct subcommand *find(const char *name)
{
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (strcmp(name, commands[i].name) == 0)
            return &commands[i];
    return NULL;
}

/* "tollgate: unknown command 'simulate'; did you mean 'sim'?" */
static int unknown(const char *name)
{
    const char *names[N_COMMANDS + 1];
    for (size_t i = 0; i < N_COMMANDS; i++)
        names[i] = commands[i].name;
    names[N_COMMANDS] = NULL;
    const char *near = args_suggest(name, names);
    if (near != NULL)
        fprintf(stderr, "tollgate: unknown command '%s'; did you mean '%s'?\n",
                name, near);
    else
        fprintf(stderr, "tollgate: unknown command '%s'\n", name);
    fprintf(stderr, "Run 'tollgate --help' for the commands.\n");
    return EXIT_USAGE;
}

/* `tollgate help [COMMAND]`: the overview, or COMMAND --help. */
static int help(int argc, char **argv)
{
    if (argc < 3) {
        usage(stdout);
        return EXIT_OK;
    }
    const struct subcommand *c = find(argv[2]);
    if (c == NULL)
        return unknown(argv[2]);
    char help_opt[] = "--help";
    char *args[] = { argv[2], help_opt, NULL };
    return c->fn(2, args);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    const char *name = argv[1];
    if (strcmp(name, "help") == 0)
        return help(argc, argv);
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0) {
        usage(stdout);
        return EXIT_OK;
    }
    if (strcmp(name, "--version") == 0 || strcmp(name, "-V") == 0) {
        printf("tollgate %s (revision %s)\n", TOLLGATE_VERSION,
               TOLLGATE_REVISION);
        return EXIT_OK;
    }
    const struct subcommand *c = find(name);
    if (c != NULL)
        return c->fn(argc - 1, argv + 1);
    return unknown(name);
}

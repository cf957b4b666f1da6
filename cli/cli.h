/*
 * cli.h - the subcommands of the tollgate binary.
 *
 * Each subcommand lives in its own cli/cmd_<name>.c, takes the arguments
 * after its name (argv[0] is the subcommand name) and returns the process
 * exit status documented in the README ("Commands").  Only cli/ prints to
 * stdout/stderr and exits.
 *
 * Conventions every subcommand follows:
 *  - Options are parsed by cli/args.h (getopt_long): --opt VALUE and
 *    --opt=VALUE, -o/--output for an output, -q/--quiet, -h/--help (on
 *    stdout, exit 0); a usage error prints one line naming the problem and
 *    the --help hint, and exits EXIT_USAGE.
 *  - The steps of a subcommand (parsing, loading, checking, running)
 *    return CLI_CONTINUE to go on, or the exit status to end with (a
 *    cli_exit value, >= 0), so that `if (status == CLI_CONTINUE) status =
 *    next_step(...)` chains them.
 *  - sim, run and serve share one signal rule (cli/signals.h): the first
 *    SIGINT/SIGTERM stops the work and results are still written; a
 *    second one ends the process at once.
 */
#ifndef TOLLGATE_CLI_H
#define TOLLGATE_CLI_H

enum cli_exit {
    EXIT_OK = 0,
    EXIT_EXPECT = 1,       /* expectations failed (check, compare, --check) */
    EXIT_USAGE = 2,        /* usage error or invalid scenario */
    EXIT_RUNTIME = 3,      /* target unreachable, I/O error */
    EXIT_SIGNAL_BASE = 128 /* + the signal: sim or run interrupted (130
                              Ctrl-C, 143 SIGTERM), results written */
};

/* Returned by a step that is not the last: go on with the next one. */
#define CLI_CONTINUE (-1)

int cmd_sim(int argc, char **argv);
int cmd_sweep(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_plot(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_merge(int argc, char **argv);
int cmd_validate(int argc, char **argv);
int cmd_reasons(int argc, char **argv);

#endif

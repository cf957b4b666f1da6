/*
 * cli.h - the subcommands of the tollgate binary.
 *
 * Each subcommand lives in its own cli/cmd_<name>.c, takes the arguments
 * after its name (argv[0] is the subcommand name) and returns the process
 * exit status documented in the README ("Commands").  Only cli/ prints to
 * stdout/stderr and exits.
 */
#ifndef TOLLGATE_CLI_H
#define TOLLGATE_CLI_H

enum cli_exit {
    EXIT_OK = 0,
    EXIT_EXPECT = 1, /* expectations failed (check, compare, --check) */
    EXIT_USAGE = 2,  /* usage error or invalid scenario */
    EXIT_RUNTIME = 3 /* target unreachable, I/O error */
};

int cmd_sim(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_plot(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_merge(int argc, char **argv);
int cmd_validate(int argc, char **argv);
int cmd_reasons(int argc, char **argv);

#endif

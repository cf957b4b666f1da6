/*
 * args.h - the one option parser of every subcommand: getopt_long with
 * the messages and conventions of tollgate.
 *
 * Each subcommand lists its options once, as getopt_long's table and
 * short-option string, and loops:
 *
 *     static const struct option longopts[] = {
 *         { "output", required_argument, NULL, 'o' },
 *         { "quiet", no_argument, NULL, 'q' },
 *         { "help", no_argument, NULL, 'h' },
 *         { NULL, 0, NULL, 0 }
 *     };
 *     struct args a;
 *     args_init(&a, "sim", argc, argv, "o:qh", longopts);
 *     for (int c; (c = args_next(&a)) != ARGS_END;) {
 *         switch (c) {
 *         case 'o': out = a.arg; break;
 *         case ARGS_OPERAND: ... a.arg is SCENARIO ...; break;
 *         case ARGS_ERROR: return EXIT_USAGE;   (message printed)
 *         }
 *     }
 *
 * What every subcommand then accepts: --opt VALUE and --opt=VALUE; a
 * unique abbreviation of a long option (--dur for --duration); short
 * options, clustered (-qo DIR); operands anywhere, in order; "--" ends
 * the options.  What it reports, on stderr, with exit status 2 from the
 * caller: an unknown option, with the nearest long option of the
 * subcommand ("tollgate sim: unknown option '--sed'; did you mean
 * '--seed'?"), an ambiguous abbreviation with its candidates, a value
 * given to an option that takes none, and a missing value.
 *
 * Uses the process-global getopt state (optind, optarg): one struct args
 * at a time, which is how a subcommand runs.
 */
#ifndef TOLLGATE_CLI_ARGS_H
#define TOLLGATE_CLI_ARGS_H

#include <getopt.h>
#include <stdbool.h>

#include "core/base/err.h"

enum {
    ARGS_END = -1,    /* no more arguments */
    ARGS_OPERAND = 1, /* a non-option argument, in arg */
    ARGS_ERROR = '?'  /* a usage error, already printed */
};

struct args {
    const char *cmd;               /* "sim": messages say "tollgate sim" */
    int argc;                      /* argv[0] is the subcommand's name */
    char **argv;                   /* getopt_long may permute it */
    const struct option *longopts; /* borrowed; { NULL, 0, NULL, 0 } ends */
    char optstring[64];            /* "-:" + the short options */
    const char *arg;               /* value of the option or the operand */
    int done;                      /* "--" seen: the rest are operands */
};

/* Starts parsing argv[1..argc-1] for subcommand cmd.  shortopts is in
 * getopt's syntax ("o:qh"); every short option should also have a long
 * form in longopts (whose val is the short letter).  Borrows cmd, argv
 * and longopts. */
void args_init(struct args *a, const char *cmd, int argc, char **argv,
               const char *shortopts, const struct option *longopts);

/* The next argument: an option's val (its value, when it takes one, in
 * a->arg), ARGS_OPERAND (the operand in a->arg), ARGS_END, or ARGS_ERROR
 * after printing what is wrong and where to look ("tollgate CMD
 * --help"). */
int args_next(struct args *a);

/* Prints "tollgate CMD: <message>" and the --help hint on stderr and
 * returns EXIT_USAGE (2), for the caller to return. */
int args_fail(const struct args *a, const char *fmt, ...) PRINTF_LIKE(2, 3);

/* A whole decimal integer in [lo, hi] (option values such as --jobs);
 * false, *out untouched, for anything else. */
bool args_long(const char *s, long lo, long hi, long *out);

/* The name of names (NULL-terminated) nearest to word, or NULL when none
 * is near: a name that word starts with (at least three letters, as in
 * "simulate" for "sim"), else the smallest edit distance, at most 1 for
 * words of up to 3 letters, 2 up to 6, 3 beyond. */
const char *args_suggest(const char *word, const char *const *names);

#endif

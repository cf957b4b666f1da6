/*
 * args.c - getopt_long with tollgate's messages (see args.h).
 *
 * getopt_long runs with opterr = 0 and an optstring starting with "-:":
 * '-' hands operands back in order (so "SCENARIO -o DIR" and "-o DIR
 * SCENARIO" are the same, whatever POSIXLY_CORRECT says), ':' tells a
 * missing value (':') from an unknown option ('?').  The messages are
 * written here from what getopt leaves behind: optopt is the short
 * option, or the val of a long option that got a value it does not take
 * (0 for an unknown or ambiguous long option), and argv[optind - 1] is
 * the argument as written.  getopt_long is a GNU extension that glibc's
 * <getopt.h> declares whatever the feature macros, so no _GNU_SOURCE is
 * needed; the parser is glibc's (a musl build would have its own, with
 * the same interface).
 */
#include "cli/args.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/base/suggest.h"

#define NAME_MAX_LEN 64 /* longer words are never near anything */

void args_init(struct args *a, const char *cmd, int argc, char **argv,
               const char *shortopts, const struct option *longopts)
{
    *a = (struct args){
        .cmd = cmd, .argc = argc, .argv = argv, .longopts = longopts
    };
    snprintf(a->optstring, sizeof(a->optstring), "-:%s", shortopts);
    optind = 0; /* glibc: 0 starts a fresh scan */
    opterr = 0;
}

static void hint(const struct args *a)
{
    fprintf(stderr, "Run 'tollgate %s --help' for its options.\n", a->cmd);
}

int args_fail(const struct args *a, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "tollgate %s: ", a->cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    hint(a);
    return EXIT_USAGE;
}

const char *args_suggest(const char *word, const char *const *names)
{
    /* A word that starts with a whole name ("--seed42") means that name;
     * otherwise the nearest by edit distance (core/base/suggest). */
    for (size_t i = 0; names[i] != NULL; i++) {
        size_t n = strlen(names[i]);
        if (n >= 3 && strncmp(word, names[i], n) == 0)
            return names[i];
    }
    return suggest_near(word, names);
}

/* "--name" or "--name=value" that getopt refused: says why. */
static void bad_long(const struct args *a, const char *arg)
{
    const char *name = arg + 2;
    size_t n = strcspn(name, "=");
    const char *names[64];
    size_t k = 0, prefixed = 0;
    char cands[256] = "";
    for (const struct option *o = a->longopts; o->name != NULL && k + 1 < 64;
         o++) {
        names[k++] = o->name;
        if (n > 0 && strncmp(o->name, name, n) == 0) {
            size_t used = strlen(cands);
            snprintf(cands + used, sizeof(cands) - used, "%s--%s",
                     prefixed++ ? ", " : "", o->name);
        }
    }
    names[k] = NULL;
    if (prefixed > 1) {
        args_fail(a, "option '--%.*s' is ambiguous: %s", (int)n, name, cands);
        return;
    }
    char word[NAME_MAX_LEN + 1];
    snprintf(word, sizeof(word), "%.*s", (int)n, name);
    const char *near = args_suggest(word, names);
    if (near != NULL)
        args_fail(a, "unknown option '--%s'; did you mean '--%s'?", word, near);
    else
        args_fail(a, "unknown option '--%s'", word);
}

/* The option getopt says lacks its value, as written. */
static void missing_value(const struct args *a)
{
    const char *w = optind > 0 && optind <= a->argc ? a->argv[optind - 1] : "";
    if (w[0] == '-' && w[1] == '-') {
        args_fail(a, "option '%.*s' needs a value", (int)strcspn(w, "="), w);
        return;
    }
    for (const struct option *o = a->longopts; o->name != NULL; o++)
        if (o->val == optopt) {
            args_fail(a, "option '-%c' (--%s) needs a value", optopt, o->name);
            return;
        }
    args_fail(a, "option '-%c' needs a value", optopt);
}

/* When w is "--name=value" (name possibly abbreviated) for an option
 * whose val is optopt and which takes no value: that option (getopt
 * refused the value; otherwise optopt is an unknown short option). */
static const struct option *refused_value(const struct args *a, const char *w)
{
    if (w[0] != '-' || w[1] != '-' || strchr(w, '=') == NULL)
        return NULL;
    size_t n = strcspn(w + 2, "=");
    for (const struct option *o = a->longopts; o->name != NULL; o++)
        if (o->val == optopt && o->has_arg == no_argument &&
            strncmp(o->name, w + 2, n) == 0)
            return o;
    return NULL;
}

int args_next(struct args *a)
{
    a->arg = NULL;
    if (a->done) {
        if (optind >= a->argc)
            return ARGS_END;
        a->arg = a->argv[optind++];
        return ARGS_OPERAND;
    }
    int c = getopt_long(a->argc, a->argv, a->optstring, a->longopts, NULL);
    a->arg = optarg;
    if (c == -1) {
        a->done = 1; /* after "--", or at the end */
        return args_next(a);
    }
    if (c == ':') {
        missing_value(a);
        return ARGS_ERROR;
    }
    if (c == '?') {
        const char *w = optind > 0 ? a->argv[optind - 1] : "";
        const struct option *o = refused_value(a, w);
        if (o != NULL)
            args_fail(a, "option '--%s' takes no value", o->name);
        else if (optopt == 0)
            bad_long(a, w);
        else
            args_fail(a, "unknown option '-%c'", optopt);
        return ARGS_ERROR;
    }
    return c;
}

bool args_long(const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

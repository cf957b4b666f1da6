/*
 * opts.h - command-line helpers shared by the subcommands that read a
 * scenario (sim, run, serve, validate).
 *
 * --set KEY=VALUE overrides are collected into a struct opts_sets whose
 * items can be handed straight to scn_parse_file():
 *
 *     struct opts_sets sets = { 0 };
 *     if (opts_add_set(&sets, "policy.capacity.servers=32") != ERR_OK)
 *         ... usage error ...
 *     status = opts_load_scenario("tollgate sim", path, seed, duration,
 *                                 &sets, &sc);  (CLI_CONTINUE: loaded)
 *     opts_sets_fini(&sets);
 *
 * KEY is a dotted path into the scenario (list items by name or [index]:
 * accounts.hobbyists.count, accounts[0].count,
 * policy.tiers.free.limits.rpm.requests); VALUE is a scalar, or a YAML
 * flow list/map when it starts with '[' or '{'.  The parser reports a
 * KEY that names nothing.  Later overrides of the same KEY win.
 */
#ifndef TOLLGATE_CLI_OPTS_H
#define TOLLGATE_CLI_OPTS_H

#include <stddef.h>

#include "core/base/err.h"
#include "core/scenario/scenario.h"

struct opts_sets {
    struct scn_override *items; /* key/value strings owned by the set */
    size_t n, cap;
};

/* Adds "KEY=VALUE" (split at the first '=').  Returns ERR_INVAL when arg
 * has no '=' or an empty KEY; the set is unchanged then. */
int opts_add_set(struct opts_sets *s, const char *arg) WARN_UNUSED;

/* Adds one override from separate key and value (copied). */
void opts_add_kv(struct opts_sets *s, const char *key, const char *value);

struct args;
/* --interval D (a->arg): checks it is a positive duration and adds it as
 * the override interval=D.  CLI_CONTINUE, or EXIT_USAGE after args_fail. */
int opts_add_interval(const struct args *a, struct opts_sets *s) WARN_UNUSED;

/* Frees the strings and the array; s may be zeroed or NULL. */
void opts_sets_fini(struct opts_sets *s);

/*
 * The scenario-loading step of sim, run and serve: checks --seed (a
 * non-negative integer) and --duration (a positive duration) as written
 * (NULL: not given) and appends them to s as overrides, after the --set
 * ones, so that results' scenario.yaml records them; then reads path with
 * every override of s.  Problems go to stderr, prefixed with prog
 * ("tollgate sim"): a bad option value, or the scenario's located
 * diagnostics (or "prog: path: <error>" when there are none).  The
 * warnings of a valid scenario (sc->warnings) are the caller's to print
 * and record: sim and run do; serve does not, since its traffic comes
 * from outside and not from the populations they are about.
 * Returns CLI_CONTINUE (cli.h) with a new scenario in *out (the caller
 * scn_frees it), or EXIT_USAGE (2) with *out NULL.  s stays the caller's
 * (opts_sets_fini).
 */
int opts_load_scenario(const char *prog, const char *path, const char *seed,
                       const char *duration, struct opts_sets *s,
                       struct scenario **out) WARN_UNUSED;

/*
 * The output-directory step of sim, run and serve, before any work: checks
 * that dir may be replaced by a result (missing, empty or a tollgate
 * results directory; anything else is refused with EXIT_USAGE (2)) and
 * that results can be written there (results_check_dir: missing
 * directories can be created, a file can be written; nothing is left
 * behind).  Returns CLI_CONTINUE when they can, else prints "prog: cannot write
 * results to DIR: why" to stderr and returns EXIT_RUNTIME (3).
 */
int opts_check_out_dir(const char *prog, const char *dir) WARN_UNUSED;

/*
 * Writes a results directory as a whole: fn(ctx, tmp) writes every file
 * into tmp, a new directory beside dir, which then replaces dir in one
 * step (results_stage_*), so no file of an earlier run survives and a
 * crash leaves the old or the new result.  dir must be missing, empty or
 * a results directory (opts_check_out_dir said so before the work).
 * Returns ERR_OK, or the error after printing "prog: writing DIR: why".
 */
typedef int opts_write_fn(void *ctx, const char *tmp);
int opts_write_dir(const char *prog, const char *dir, opts_write_fn *fn,
                   void *ctx) WARN_UNUSED;

#endif

/*
 * opts.c - the --set KEY=VALUE collection and the scenario-loading step
 * shared by the subcommands.
 *
 * Only splitting and ownership of --set live here; whether KEY names
 * something in the scenario is decided by the scenario parser, which
 * reports a bad override with its full text.  --seed and --duration are
 * checked here first so that their messages name the option, then become
 * overrides like --set.
 */
#include "cli/opts.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/args.h"
#include "cli/cli.h"
#include "core/results/results.h"
#include "core/base/units.h"

void opts_add_kv(struct opts_sets *s, const char *key, const char *value)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 4;
        s->items = xrealloc(s->items, s->cap * sizeof(*s->items));
    }
    s->items[s->n].key = xstrdup(key);
    s->items[s->n].value = xstrdup(value);
    s->n++;
}

int opts_add_set(struct opts_sets *s, const char *arg)
{
    const char *eq = strchr(arg, '=');
    if (eq == NULL || eq == arg)
        return ERR_INVAL;
    char *key = xstrndup(arg, (size_t)(eq - arg));
    opts_add_kv(s, key, eq + 1);
    free(key);
    return ERR_OK;
}

void opts_sets_fini(struct opts_sets *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < s->n; i++) {
        free((char *)s->items[i].key);
        free((char *)s->items[i].value);
    }
    free(s->items);
    s->items = NULL;
    s->n = s->cap = 0;
}

/* Checks --seed and --duration; CLI_CONTINUE when fine, else EXIT_USAGE. */
static int check_seed_duration(const char *prog, const char *seed,
                               const char *duration)
{
    if (duration != NULL) {
        int64_t ns;
        if (units_parse_duration(duration, &ns) != ERR_OK || ns <= 0) {
            fprintf(stderr,
                    "%s: --duration wants a positive duration like 90s, "
                    "30m, 2h; got '%s'\n",
                    prog, duration);
            return EXIT_USAGE;
        }
    }
    if (seed != NULL) {
        char *end;
        errno = 0;
        (void)strtoull(seed, &end, 10);
        if (errno != 0 || end == seed || *end != '\0' || seed[0] == '-') {
            fprintf(stderr,
                    "%s: --seed wants a non-negative integer, got '%s'\n", prog,
                    seed);
            return EXIT_USAGE;
        }
    }
    return CLI_CONTINUE;
}

int opts_load_scenario(const char *prog, const char *path, const char *seed,
                       const char *duration, struct opts_sets *s,
                       struct scenario **out)
{
    *out = NULL;
    if (check_seed_duration(prog, seed, duration) != CLI_CONTINUE)
        return EXIT_USAGE;
    if (duration != NULL)
        opts_add_kv(s, "duration", duration);
    if (seed != NULL)
        opts_add_kv(s, "seed", seed);
    struct scn_diags d;
    scn_diags_init(&d, path);
    int rc = scn_parse_file(path, s->items, s->n, out, &d);
    if (rc != ERR_OK) {
        if (d.n == 0)
            fprintf(stderr, "%s: %s: %s\n", prog, path, err_str(rc));
        scn_diags_print(&d, stderr);
    }
    scn_diags_fini(&d);
    return rc == ERR_OK ? CLI_CONTINUE : EXIT_USAGE;
}

int opts_write_dir(const char *prog, const char *dir, opts_write_fn *fn,
                   void *ctx)
{
    char why[1024];
    struct results_stage st;
    int rc = results_stage_begin(&st, dir, why, sizeof(why));
    if (rc == ERR_OK) {
        rc = fn(ctx, st.tmp);
        if (rc != ERR_OK)
            snprintf(why, sizeof(why), "%s (%s)", err_str(rc), strerror(errno));
    }
    if (rc == ERR_OK)
        rc = results_stage_commit(&st, why, sizeof(why));
    results_stage_fini(&st);
    if (rc != ERR_OK)
        fprintf(stderr, "%s: writing %s: %s\n", prog, dir, why);
    return rc;
}

int opts_add_interval(const struct args *a, struct opts_sets *s)
{
    int64_t ns;
    if (units_parse_duration(a->arg, &ns) != ERR_OK || ns <= 0)
        return args_fail(a,
                         "--interval wants a positive duration like 1s, 10s, "
                         "1m; got '%s'",
                         a->arg);
    opts_add_kv(s, "interval", a->arg);
    return CLI_CONTINUE;
}

int opts_check_out_dir(const char *prog, const char *dir)
{
    char why[1024];
    if (results_dir_replaceable(dir, why, sizeof(why)) != ERR_OK &&
        errno == EEXIST) {
        fprintf(stderr, "%s: %s\n", prog, why);
        return EXIT_USAGE;
    }
    if (results_check_dir(dir, why, sizeof(why)) == ERR_OK)
        return CLI_CONTINUE;
    fprintf(stderr,
            "%s: cannot write results to %s: %s\n"
            "Choose a writable directory with -o DIR.\n",
            prog, dir, why);
    return EXIT_RUNTIME;
}

/*
 * opts.c - the --set KEY=VALUE collection shared by the subcommands.
 *
 * Only splitting and ownership live here; whether KEY names something in
 * the scenario is decided by the scenario parser, which reports a bad
 * override with its full text.
 */
#include "cli/opts.h"

#include <stdlib.h>
#include <string.h>

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

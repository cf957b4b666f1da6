/*
 * scenario_expect.c - the expect: section: a list of threshold rules,
 * each parsed by core/scenario/expect.c and kept with its location so
 * that `check` can point at the rule that failed.
 */
#include "core/scenario/scenario_int.h"

#include <stdlib.h>
#include <string.h>

#include "core/base/suggest.h"
#include "core/scenario/expect.h"

static bool known_pop(const struct scenario *sc, const char *name)
{
    for (size_t p = 0; p < sc->n_pops; p++)
        if (strcmp(sc->pops[p].name, name) == 0)
            return true;
    return false;
}

/* A rule scoped to a population the scenario does not have. */
static void unknown_pop(struct scn_ctx *c, const struct ynode *v,
                        const char *name)
{
    const char *names[SCN_MAX_POPS + 1];
    size_t n = 0;
    for (; n < c->sc->n_pops && n < SCN_MAX_POPS; n++)
        names[n] = c->sc->pops[n].name;
    names[n] = NULL;
    const char *near = suggest_near(name, names);
    if (near != NULL)
        scn_err(c, v, NULL,
                "no population '%s' in accounts: (did you mean '%s'?)", name,
                near);
    else
        scn_err(c, v, NULL,
                "no population '%s' in accounts: population(NAME) takes the "
                "name of one of the scenario's accounts: entries",
                name);
}

void scn_conv_expect(struct scn_ctx *c, const struct ynode *n)
{
    struct scenario *sc = c->sc;
    size_t mark = scn_path_key(c, "expect");
    if (n->kind != YN_SEQ) {
        scn_err(c, n, NULL,
                "expected a list of rules such as "
                "[ \"denied(rate_limit) < 5%%\", \"p99(ok) < "
                "2s\" ]");
        scn_path_pop(c, mark);
        return;
    }
    sc->expect = xcalloc(n->n ? n->n : 1, sizeof(*sc->expect));
    for (size_t i = 0; i < n->n; i++) {
        size_t m2 = scn_path_index(c, i);
        const struct ynode *v = n->vals[i];
        const char *s = scn_scalar(c, v, "a rule such as \"denied < 5%\"");
        char err[256];
        struct expect_rule *r = &sc->expect[sc->n_expect];
        if (s && expect_parse(s, r, err, sizeof(err)) != ERR_OK) {
            scn_err(c, v, NULL, "%s", err);
        } else if (s && r->pop[0] && !known_pop(sc, r->pop)) {
            unknown_pop(c, v, r->pop);
        } else if (s) {
            r->line = v->loc.line;
            r->col = v->loc.col;
            sc->n_expect++;
        }
        scn_path_pop(c, m2);
    }
    scn_path_pop(c, mark);
}

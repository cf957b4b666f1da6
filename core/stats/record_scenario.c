/*
 * record_scenario.c - a recorder shaped by a scenario.
 *
 * sim, serve and every loadgen worker record with the scenario's interval,
 * warm-up and population names; this is the one place that maps a struct
 * scenario onto a struct rec_config.  Kept out of record.c so that the
 * recorder itself does not depend on the scenario types.
 */
#include "core/stats/record.h"

#include <stdlib.h>

#include "core/scenario/scenario.h"

int rec_new_scenario(const struct scenario *sc, int64_t duration_ns, bool live,
                     struct rec **out)
{
    size_t n = sc->n_pops > 0 ? sc->n_pops : 1;
    const char **names = xcalloc(n, sizeof(*names));
    for (size_t i = 0; i < sc->n_pops; i++)
        names[i] = sc->pops[i].name;
    struct rec_config cfg = {
        .duration_ns = duration_ns,
        .interval_ns = sc->interval_ns > 0 ? sc->interval_ns : duration_ns,
        .warmup_ns = sc->warmup_ns,
        .n_pops = n,
        .pop_names = sc->n_pops > 0 ? names : NULL,
        .live = live,
    };
    int rc = rec_new(&cfg, out);
    free(names);
    return rc;
}

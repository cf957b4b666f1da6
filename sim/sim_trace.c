/*
 * sim_trace.c - what the trace-replaying populations of a run read and
 * skipped, gathered at the end of sim_run for the command to print and
 * record (a skipped line is never silent).
 */
#include "sim/sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/model/traffic.h"

char *sim_trace_report(const struct traffic *t, const struct scenario *sc)
{
    char *out = NULL;
    size_t len = 0;
    for (size_t p = 0; p < sc->n_pops; p++) {
        char line[1024];
        if (!traffic_trace_report(t, (int)p, line, sizeof(line)))
            continue;
        size_t add = strlen(sc->pops[p].name) + strlen(line) + 4;
        out = xrealloc(out, len + add + 1);
        len += (size_t)snprintf(out + len, add + 1, "%s: %s\n",
                                sc->pops[p].name, line);
    }
    return out;
}

/*
 * results_timeline.c - events.csv from a timeline's occurrence log.
 *
 * sim, serve and run all write their events.csv through here, so the
 * three list the same rows for the same timeline: sorted by start, then
 * event index (engines may begin simultaneous occurrences in any order),
 * cut to the time the run covered -- occurrences that began after it are
 * left out and ends past it are clamped to it (an occurrence still going
 * on when a run stops ends where the run ends).
 */
#include "core/results/results.h"

#include <stdlib.h>
#include <string.h>

#include "core/base/err.h"
#include "core/scenario/scenario.h"
#include "core/model/timeline.h"

int results_write_timeline(const char *dir, const struct timeline_row *rows,
                           size_t n, int64_t end_ns)
{
    struct timeline_row *sorted = xcalloc(n ? n : 1, sizeof(*sorted));
    if (n > 0)
        memcpy(sorted, rows, n * sizeof(*rows));
    timeline_sort_rows(sorted, n);
    struct results_event *ev = xcalloc(n ? n : 1, sizeof(*ev));
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const struct timeline_row *r = &sorted[i];
        if (r->start_ns > end_ns)
            continue;
        int64_t end = r->end_ns > end_ns ? end_ns : r->end_ns;
        ev[k++] =
            (struct results_event){ (double)r->start_ns / 1e9,
                                    (double)end / 1e9,
                                    scn_event_kind_name(r->kind), r->label };
    }
    int rc = results_write_events(dir, ev, k);
    free(ev);
    free(sorted);
    return rc;
}

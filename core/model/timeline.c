/*
 * timeline.c - the occurrence rules of scenario events, their log and
 * their scheduling (timeline.h).
 *
 * Nothing here knows about event queues, timers or clocks: the engine
 * says when an occurrence is due, and is asked back through its
 * timeline_at_fn.  The exponential draw is -mean * ln(u) with u from
 * rng_double, rounded to the nearest ns.
 *
 * Invariants: rows are appended in the order occurrences begin; an
 * occurrence never ends before it begins; nothing is scheduled at or
 * after end_ns; each event draws only from its own stream, in the order
 * of its own occurrences.
 */
#include "core/model/timeline.h"

#include <math.h>
#include <stdlib.h>

#include "core/base/dist.h"
#include "core/base/err.h"

static int64_t exp_ns(struct rng *r, int64_t mean_ns)
{
    return llround(-(double)mean_ns * log(rng_double(r)));
}

int64_t timeline_first_ns(const struct scn_event *ev, struct rng *r)
{
    if (ev->timing != EVT_RANDOM)
        return ev->at_ns;
    return ev->mtbf_ns > 0 ? exp_ns(r, ev->mtbf_ns) : -1;
}

int64_t timeline_length_ns(const struct scn_event *ev, struct rng *r)
{
    if (ev->timing != EVT_RANDOM)
        return ev->for_ns;
    return llround(dist_sample_nonneg(&ev->mttr, r));
}

int64_t timeline_gap_ns(const struct scn_event *ev, struct rng *r)
{
    if (ev->timing != EVT_RANDOM || ev->mtbf_ns <= 0)
        return -1;
    return exp_ns(r, ev->mtbf_ns);
}

/* ---- the occurrence log and its scheduling ------------------------------ */

void timeline_init(struct timeline *tl, const struct scenario *sc,
                   uint64_t seed, int64_t end_ns, timeline_at_fn *at,
                   void *at_arg)
{
    *tl = (struct timeline){
        .sc = sc, .end_ns = end_ns, .seed = seed, .at = at, .at_arg = at_arg
    };
    tl->streams = xcalloc(sc->n_events + 1, sizeof(*tl->streams));
    for (size_t i = 0; i < sc->n_events; i++)
        rng_init(&tl->streams[i], seed, TIMELINE_STREAM + i, RNG_EVENTS);
}

struct timeline_added {
    struct scn_event ev;
    struct rng stream; /* (seed, TIMELINE_STREAM + id, RNG_EVENTS) */
};

void timeline_fini(struct timeline *tl)
{
    if (tl == NULL)
        return;
    for (size_t i = 0; i < tl->n_added; i++) {
        free(tl->added[i]->ev.regions);
        free(tl->added[i]);
    }
    free(tl->added);
    tl->added = NULL;
    tl->n_added = tl->cap_added = 0;
    free(tl->streams);
    free(tl->rows);
    tl->streams = NULL;
    tl->rows = NULL;
    tl->n_rows = tl->cap_rows = 0;
}

const struct scn_event *timeline_event(const struct timeline *tl, uint32_t id)
{
    if (id < tl->sc->n_events)
        return &tl->sc->events[id];
    return &tl->added[id - tl->sc->n_events]->ev;
}

static struct rng *stream_of(struct timeline *tl, uint32_t id)
{
    if (id < tl->sc->n_events)
        return &tl->streams[id];
    return &tl->added[id - tl->sc->n_events]->stream;
}

int timeline_add(struct timeline *tl, const struct scn_event *ev, uint32_t *id)
{
    if (tl->n_added >= TIMELINE_MAX_ADDED)
        return ERR_TOOBIG;
    if (tl->n_added == tl->cap_added) {
        tl->cap_added = tl->cap_added ? 2 * tl->cap_added : 8;
        tl->added = xrealloc(tl->added, tl->cap_added * sizeof(*tl->added));
    }
    struct timeline_added *a = xcalloc(1, sizeof(*a));
    a->ev = *ev;
    *id = (uint32_t)(tl->sc->n_events + tl->n_added);
    rng_init(&a->stream, tl->seed, TIMELINE_STREAM + *id, RNG_EVENTS);
    tl->added[tl->n_added++] = a;
    return ERR_OK;
}

void timeline_schedule(struct timeline *tl)
{
    for (size_t i = 0; i < tl->sc->n_events; i++) {
        int64_t t = timeline_first_ns(&tl->sc->events[i], &tl->streams[i]);
        if (t >= 0 && t < tl->end_ns)
            tl->at(tl->at_arg, t, TIMELINE_START, (uint32_t)i);
    }
}

static struct timeline_row *add_row(struct timeline *tl, uint32_t ev,
                                    int64_t now_ns)
{
    if (tl->n_rows == tl->cap_rows) {
        tl->cap_rows = tl->cap_rows ? 2 * tl->cap_rows : 16;
        tl->rows = xrealloc(tl->rows, tl->cap_rows * sizeof(*tl->rows));
    }
    struct timeline_row *row = &tl->rows[tl->n_rows++];
    const struct scn_event *e = timeline_event(tl, ev);
    row->kind = e->kind;
    row->start_ns = row->end_ns = now_ns;
    row->ev = ev;
    scn_event_label(tl->sc, e, row->label, sizeof(row->label));
    return row;
}

/* t + d without overflow: INT64_MAX when it does not fit. */
static int64_t later(int64_t t, int64_t d)
{
    return d > INT64_MAX - t ? INT64_MAX : t + d;
}

const struct timeline_row *timeline_begin(struct timeline *tl, uint32_t ev,
                                          int64_t due_ns, int64_t now_ns)
{
    const struct scn_event *e = timeline_event(tl, ev);
    struct timeline_row *row = add_row(tl, ev, now_ns);
    if (scn_event_lasts(e)) {
        int64_t len = timeline_length_ns(e, stream_of(tl, ev));
        int64_t end = len > 0 ? later(due_ns, len) : INT64_MAX;
        if (end < tl->end_ns) {
            row->end_ns = end;
            tl->at(tl->at_arg, end, TIMELINE_END, ev);
        } else {
            row->end_ns = tl->end_ns;
        }
    }
    if (e->timing == EVT_EVERY && e->every_ns > 0) {
        int64_t next = later(due_ns, e->every_ns);
        if (next < tl->end_ns)
            tl->at(tl->at_arg, next, TIMELINE_START, ev);
    }
    return row;
}

void timeline_finish(struct timeline *tl, uint32_t ev, int64_t due_ns)
{
    int64_t gap = timeline_gap_ns(timeline_event(tl, ev), stream_of(tl, ev));
    if (gap < 0)
        return;
    int64_t next = later(due_ns, gap);
    if (next < tl->end_ns)
        tl->at(tl->at_arg, next, TIMELINE_START, ev);
}

struct timeline_row *timeline_take_rows(struct timeline *tl, size_t *n)
{
    struct timeline_row *rows = tl->rows;
    *n = tl->n_rows;
    tl->rows = NULL;
    tl->n_rows = tl->cap_rows = 0;
    return rows;
}

static int row_cmp(const void *a, const void *b)
{
    const struct timeline_row *x = a, *y = b;
    if (x->start_ns != y->start_ns)
        return x->start_ns < y->start_ns ? -1 : 1;
    if (x->ev != y->ev)
        return x->ev < y->ev ? -1 : 1;
    return 0;
}

void timeline_sort_rows(struct timeline_row *rows, size_t n)
{
    /* qsort is not stable, but two occurrences of one event never begin
     * at the same time (an occurrence ends before the next begins, and
     * every: steps are > 0), so (start, event) is a total order. */
    if (n > 1)
        qsort(rows, n, sizeof(*rows), row_cmp);
}

/*
 * The dry run: one event at a time (its occurrences depend on nothing
 * else), with at most one pending start and one pending end, taken in
 * time order -- the end first on a tie, as an engine that queued the end
 * before the next start would.
 */
struct pending {
    int64_t start_ns, end_ns; /* INT64_MAX: none */
};

static void dry_at(void *arg, int64_t t_ns, enum timeline_what what,
                   uint32_t ev)
{
    struct pending *p = arg;
    (void)ev;
    if (what == TIMELINE_START)
        p->start_ns = t_ns;
    else
        p->end_ns = t_ns;
}

struct timeline_row *timeline_expand(const struct scenario *sc, uint64_t seed,
                                     int64_t end_ns, size_t *n)
{
    struct pending p;
    struct timeline tl;
    timeline_init(&tl, sc, seed, end_ns, dry_at, &p);
    for (size_t i = 0; i < sc->n_events; i++) {
        uint32_t ev = (uint32_t)i;
        p.start_ns = p.end_ns = INT64_MAX;
        int64_t t = timeline_first_ns(&sc->events[i], &tl.streams[i]);
        if (t >= 0 && t < end_ns)
            p.start_ns = t;
        while (p.start_ns != INT64_MAX || p.end_ns != INT64_MAX) {
            if (p.end_ns <= p.start_ns) {
                int64_t now = p.end_ns;
                p.end_ns = INT64_MAX;
                timeline_finish(&tl, ev, now);
            } else {
                int64_t now = p.start_ns;
                p.start_ns = INT64_MAX;
                timeline_begin(&tl, ev, now, now);
            }
        }
    }
    struct timeline_row *rows = timeline_take_rows(&tl, n);
    timeline_fini(&tl);
    timeline_sort_rows(rows, *n);
    return rows;
}

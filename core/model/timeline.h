/*
 * timeline.h - when a scenario's events happen, in any clock: the
 * occurrence rules, the log of occurrences that becomes events.csv, and
 * the scheduling of what follows each start and end.
 *
 * An event starts at at:/from: (EVT_ONCE, EVT_EVERY) or, for random:,
 * after a draw from an exponential with mean mtbf:.  Outages,
 * maintenance, upgrades, suspensions and feature suspensions last for:
 * (0: until the end); a random: event lasts a draw from mttr: and starts
 * again an exponential gap after it ends.  The other kinds act once.
 *
 * Every draw comes from a stream of the event's own, seeded by (seed,
 * event index): an event's occurrences do not depend on the order in
 * which an engine handles simultaneous events, nor on the other events.
 * So sim (virtual time), serve (the real clock) and run (which only
 * predicts the timeline, timeline_expand) list the same occurrences for
 * the same scenario and seed.
 *
 * A struct timeline does not keep time: the engine calls timeline_begin
 * and timeline_finish when an occurrence is due, and is asked through its
 * timeline_at_fn to call back at a later time.  Applying an occurrence to
 * the policy and the capacity is core/model/world's job.
 */
#ifndef TOLLGATE_TIMELINE_H
#define TOLLGATE_TIMELINE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/base/err.h"
#include "core/base/rng.h"
#include "core/scenario/scenario.h"

/* Start of ev's first occurrence in ns from the start of the run: at_ns,
 * or for a random: event a draw from exp(mtbf) (one draw from r); -1 when
 * it never starts (random: with no mtbf). */
int64_t timeline_first_ns(const struct scn_event *ev, struct rng *r);

/* Length in ns of an occurrence starting now: for_ns, or for a random:
 * event a draw from mttr (one draw from r, never negative).  0 means no
 * end (open-ended); it matters only when scn_event_lasts(ev). */
int64_t timeline_length_ns(const struct scn_event *ev, struct rng *r);

/* Gap in ns from the end of an occurrence to the next start: for a
 * random: event with an mtbf a draw from exp(mtbf) (one draw from r); -1
 * for every other event (an end starts nothing). */
int64_t timeline_gap_ns(const struct scn_event *ev, struct rng *r);

/* ---- the occurrence log and its scheduling ---------------------------- */

/* Event i draws from the stream (seed, TIMELINE_STREAM + i, RNG_EVENTS). */
#define TIMELINE_STREAM ((uint64_t)3 << 60)

/* One occurrence of a scenario event: a row of events.csv. */
struct timeline_row {
    enum scn_event_kind kind;
    int64_t start_ns;
    int64_t end_ns; /* = start_ns for kinds that act once; the timeline's
                       end (INT64_MAX when open-ended) for lasting ones
                       that do not end before it */
    uint32_t ev;    /* event id (timeline_event) */
    char label[96]; /* what it did, e.g. "capacity 50%", "hobbyists 5%" */
};

enum timeline_what { TIMELINE_START, TIMELINE_END };

/* Asks the engine to call timeline_begin (TIMELINE_START) or
 * timeline_finish (TIMELINE_END) for event ev at t_ns (>= the current
 * time; t_ns < the timeline's end). */
typedef void timeline_at_fn(void *arg, int64_t t_ns, enum timeline_what what,
                            uint32_t ev);

/* Most events a timeline takes at run time (timeline_add). */
#define TIMELINE_MAX_ADDED 4096

struct timeline_added; /* an event added at run time (timeline.c) */

struct timeline {
    const struct scenario *sc; /* borrowed: must outlive the timeline */
    int64_t end_ns;            /* nothing is scheduled at or after it;
                                  INT64_MAX: open-ended (serve) */
    uint64_t seed;             /* the run's, for added events' streams */
    struct rng *streams;       /* one per scenario event */
    timeline_at_fn *at;
    void *at_arg;
    struct timeline_row *rows; /* occurrences in the order they began */
    size_t n_rows, cap_rows;
    struct timeline_added **added; /* run-time events, ids n_events.. */
    size_t n_added, cap_added;
};

/* Initialises tl (caller's storage) for sc's events with the run's seed;
 * at(at_arg, ...) is how it schedules.  Allocates one stream per event. */
void timeline_init(struct timeline *tl, const struct scenario *sc,
                   uint64_t seed, int64_t end_ns, timeline_at_fn *at,
                   void *at_arg);

/* Frees what tl owns (the rows too, unless taken); accepts NULL. */
void timeline_fini(struct timeline *tl);

/*
 * Events by id: the scenario's are 0..sc->n_events-1; events added while
 * a run goes on (serve's POST /tollgate/events) get the next ids.  The
 * scenario stays immutable: an added event lives in the timeline.
 */
const struct scn_event *timeline_event(const struct timeline *tl, uint32_t id);

/*
 * Adds ev (a one-off event without timing, e.g. from scn_parse_events;
 * the timeline takes its allocated members) and gives its id in *id, for
 * timeline_begin / world_event_begin.  ERR_TOOBIG when TIMELINE_MAX_ADDED
 * events were added already (ev is then left to the caller).
 */
int timeline_add(struct timeline *tl, const struct scn_event *ev,
                 uint32_t *id) WARN_UNUSED;

/* Asks for every event's first occurrence that falls in [0, end). */
void timeline_schedule(struct timeline *tl);

/* An occurrence of ev that was due at due_ns begins at now_ns (>= due):
 * logs its row (from now_ns) and asks for its end at due_ns + its length
 * (lasting kinds, when that falls before the end) and, for every:, the
 * next start at due_ns + every.  Times are counted from when things were
 * due, not from when a late timer fired, so lateness never accumulates
 * along a series.  Returns the row, valid until the next call. */
const struct timeline_row *timeline_begin(struct timeline *tl, uint32_t ev,
                                          int64_t due_ns, int64_t now_ns);

/* An occurrence of ev that was due to end at due_ns ends: for random:
 * events, asks for the next start an exponential gap after due_ns (when
 * before the end). */
void timeline_finish(struct timeline *tl, uint32_t ev, int64_t due_ns);

/* Moves the rows out of tl: *n gets their count, the caller frees the
 * array. */
struct timeline_row *timeline_take_rows(struct timeline *tl, size_t *n);

/*
 * The occurrences a run of sc with seed would log in [0, end_ns), without
 * running it: what run writes to events.csv, where the target (not
 * tollgate) decides when events happen.  Rows are in start order (ties:
 * event index); *n gets their count, the caller frees the array.
 */
struct timeline_row *timeline_expand(const struct scenario *sc, uint64_t seed,
                                     int64_t end_ns, size_t *n);

/* Sorts rows by start time, then event index (the order events.csv lists
 * them in, whatever order an engine began simultaneous occurrences). */
void timeline_sort_rows(struct timeline_row *rows, size_t n);

#endif

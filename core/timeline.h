/*
 * timeline.h - when a scenario's events happen: the occurrence rules that
 * sim's timeline (virtual time) and serve's (the real clock) share.
 *
 * An event starts at at:/from: (EVT_ONCE, EVT_EVERY) or, for random:,
 * after a draw from an exponential with mean mtbf:.  Outages,
 * maintenance, upgrades, suspensions and feature suspensions last for:
 * (0: until the end); a random: event lasts a draw from mttr: and starts
 * again an exponential gap after it ends.  The other kinds act once.
 * Draws come from the caller's stream, in the order the caller asks, so
 * both modes replay the same timeline from the same seed.  Scheduling the
 * occurrences (event queue, timers) stays with the caller.
 */
#ifndef TOLLGATE_TIMELINE_H
#define TOLLGATE_TIMELINE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/rng.h"
#include "core/scenario.h"

/* True when an occurrence of ev has an end to schedule (the kinds above
 * that last, and every random: event). */
bool timeline_lasts(const struct scn_event *ev);

/* Start of ev's first occurrence in ns from the start of the run: at_ns,
 * or for a random: event a draw from exp(mtbf) (one draw from r); -1 when
 * it never starts (random: with no mtbf). */
int64_t timeline_first_ns(const struct scn_event *ev, struct rng *r);

/* Length in ns of an occurrence starting now: for_ns, or for a random:
 * event a draw from mttr (one draw from r, never negative).  0 means no
 * end (open-ended); it matters only when timeline_lasts(ev). */
int64_t timeline_length_ns(const struct scn_event *ev, struct rng *r);

/* Gap in ns from the end of an occurrence to the next start: for a
 * random: event with an mtbf a draw from exp(mtbf) (one draw from r); -1
 * for every other event (an end starts nothing). */
int64_t timeline_gap_ns(const struct scn_event *ev, struct rng *r);

#endif

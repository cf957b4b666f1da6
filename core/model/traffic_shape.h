/*
 * traffic_shape.h - traffic events applied to a population's phases.
 *
 * A traffic event ({ at: 1h, traffic: { factor: 2, for: 10m } })
 * multiplies the offered open-loop rate of one population (accounts:) or
 * of all of them over each of its occurrences [s, s + for) (for 0: from s
 * to the end).  Occurrences of several traffic events that overlap
 * multiply: two doublings give x4.
 *
 * The generator (traffic.c) never sees the events: it reads the shaped
 * phases, where every phase that an occurrence starts or ends inside is
 * split at that instant and each piece's ramp ends are multiplied by the
 * factor in force over the piece.  A piece keeps the phase's ramp (its
 * ends are the phase's linear rate at the cut, so the rate is continuous
 * where the factor does not change) and its diurnal term (the diurnal
 * angle is scenario time, so a cut does not move it).  The rate function
 * is therefore exactly r(t) x F(t), r the phases' rate and F the product
 * of the factors in force at t, and sim and run, which both draw their
 * arrivals from the generator, offer the same requests.
 *
 * Nothing here reads a clock or draws a random number; traffic events
 * have at: or every: timing only (the scenario validator refuses random:
 * for them and a repeated one without for:).
 */
#ifndef TOLLGATE_TRAFFIC_SHAPE_H
#define TOLLGATE_TRAFFIC_SHAPE_H

#include <stddef.h>
#include <stdint.h>

#include "core/scenario/scenario.h"

/* F(t): the product of the factors of sc's traffic events that concern
 * population pop and have an occurrence containing t_ns (1 when none). */
double traffic_factor_at(const struct scenario *sc, int pop, int64_t t_ns);

/* Population pop's phases with the traffic events applied, as described
 * above, in a heap array of *n phases that the caller frees; NULL (and *n
 * untouched) when no traffic event concerns pop, in which case the
 * population's own phases apply unchanged. */
struct scn_phase *traffic_shape_phases(const struct scenario *sc, int pop,
                                       size_t *n);

/* scn_pop_offered with the traffic events applied: the expected unique
 * requests population pop offers (-1 for a closed loop). */
double traffic_offered(const struct scenario *sc, int pop);

#endif

/*
 * traffic_shape.c - splits a population's phases where traffic events
 * start and end, and multiplies each piece by the factor in force.
 *
 * The cut instants are every occurrence's start and end that fall strictly
 * inside (0, duration); they are sorted and deduplicated once, then each
 * phase is walked from its start to its end through the cuts inside it.
 * The factor of a piece is F at its first instant: F is constant between
 * cuts, because every occurrence begins or ends at a cut.  Cost: cuts are
 * at most 2 x SCN_MAX_OCCURRENCES, pieces at most phases + cuts, and each
 * piece asks every traffic event once for F, so the work is bounded by
 * (phases + cuts) x traffic events when a generator is made, never per
 * request.
 *
 * Invariant: the pieces of a phase cover it exactly (their for_ns sum to
 * the phase's), so later phases start where they did.
 */
#include "core/model/traffic_shape.h"

#include <stdbool.h>
#include <stdlib.h>

#include "core/base/err.h"

static bool concerns(const struct scn_event *e, int pop)
{
    return e->kind == EV_TRAFFIC && (e->population < 0 || e->population == pop);
}

/* Whether an occurrence of e (at: or every:) contains t. */
static bool in_force(const struct scn_event *e, int64_t t)
{
    if (t < e->at_ns)
        return false;
    int64_t start = e->at_ns;
    if (e->timing == EVT_EVERY && e->every_ns > 0)
        start += (t - e->at_ns) / e->every_ns * e->every_ns;
    return e->for_ns <= 0 || t - start < e->for_ns;
}

double traffic_factor_at(const struct scenario *sc, int pop, int64_t t_ns)
{
    double f = 1;
    for (size_t i = 0; i < sc->n_events; i++)
        if (concerns(&sc->events[i], pop) && in_force(&sc->events[i], t_ns))
            f *= sc->events[i].factor;
    return f;
}

/* ---- cuts ---------------------------------------------------------------- */

struct cuts {
    int64_t *t;
    size_t n, cap;
};

static void cut_add(struct cuts *c, int64_t t, int64_t end)
{
    if (t <= 0 || t >= end)
        return;
    if (c->n == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 16;
        c->t = xrealloc(c->t, c->cap * sizeof(*c->t));
    }
    c->t[c->n++] = t;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Every start and end of e's occurrences inside (0, end). */
static void event_cuts(struct cuts *c, const struct scn_event *e, int64_t end)
{
    int64_t step = e->timing == EVT_EVERY ? e->every_ns : 0;
    for (int64_t s = e->at_ns; s < end; s += step) {
        cut_add(c, s, end);
        if (e->for_ns > 0 && s < end - e->for_ns)
            cut_add(c, s + e->for_ns, end);
        if (step <= 0 || s > INT64_MAX - step)
            break;
    }
}

static void cuts_sort_unique(struct cuts *c)
{
    if (c->n == 0)
        return;
    qsort(c->t, c->n, sizeof(*c->t), cmp_i64);
    size_t w = 1;
    for (size_t i = 1; i < c->n; i++)
        if (c->t[i] != c->t[w - 1])
            c->t[w++] = c->t[i];
    c->n = w;
}

/* ---- pieces -------------------------------------------------------------- */

/* The linear (ramp) rate of ph, starting at ps, at scenario time t. */
static double ramp_at(const struct scn_phase *ph, int64_t ps, int64_t t)
{
    if (ph->for_ns <= 0)
        return ph->rate_from_per_s;
    double x = (double)(t - ps) / (double)ph->for_ns;
    return ph->rate_from_per_s + (ph->rate_to_per_s - ph->rate_from_per_s) * x;
}

/* Appends the pieces of ph = [ps, ps + for) cut at c's instants. */
static size_t split_phase(const struct scenario *sc, int pop,
                          const struct scn_phase *ph, int64_t ps,
                          const struct cuts *c, size_t *ci,
                          struct scn_phase *out)
{
    int64_t pe = ps + ph->for_ns;
    while (*ci < c->n && c->t[*ci] <= ps)
        (*ci)++;
    size_t n = 0;
    int64_t a = ps;
    double ra = ph->rate_from_per_s;
    while (a < pe) {
        int64_t b = *ci < c->n && c->t[*ci] < pe ? c->t[(*ci)++] : pe;
        double rb = b == pe ? ph->rate_to_per_s : ramp_at(ph, ps, b);
        double f = traffic_factor_at(sc, pop, a);
        struct scn_phase *q = &out[n++];
        *q = *ph;
        q->for_ns = b - a;
        q->rate_from_per_s = ra * f;
        q->rate_to_per_s = rb * f;
        a = b;
        ra = rb;
    }
    return n;
}

struct scn_phase *traffic_shape_phases(const struct scenario *sc, int pop,
                                       size_t *n)
{
    const struct scn_population *p = &sc->pops[pop];
    struct cuts c = { 0 };
    bool any = false;
    for (size_t i = 0; i < sc->n_events; i++)
        if (concerns(&sc->events[i], pop)) {
            any = true;
            event_cuts(&c, &sc->events[i], sc->duration_ns);
        }
    if (!any || p->arrival == ARRIVAL_CLOSED) {
        free(c.t);
        return NULL;
    }
    cuts_sort_unique(&c);
    struct scn_phase *out = xcalloc(p->n_phases + c.n + 1, sizeof(*out));
    size_t w = 0, ci = 0;
    int64_t ps = 0;
    for (size_t i = 0; i < p->n_phases; i++) {
        w += split_phase(sc, pop, &p->phases[i], ps, &c, &ci, out + w);
        ps += p->phases[i].for_ns;
    }
    free(c.t);
    *n = w;
    return out;
}

double traffic_offered(const struct scenario *sc, int pop)
{
    size_t n = 0;
    struct scn_phase *ph = traffic_shape_phases(sc, pop, &n);
    if (ph == NULL)
        return scn_pop_offered(sc, (size_t)pop);
    double total = scn_phases_offered(ph, n, sc->duration_ns);
    free(ph);
    return total;
}

/*
 * dist.h - probability distributions as values, sampled from rng streams.
 *
 * A struct dist is what a scenario's distribution syntax parses into:
 * a constant, exp(mean), uniform(lo, hi), normal(mu, sigma),
 * lognormal(median, sigma), pareto(scale, shape) or zipf(s).  Parameters
 * are in the quantity's base unit: nanoseconds for durations (as doubles,
 * since they are distribution parameters, not clock values), tokens for
 * token counts.  zipf is special: it describes skew over n items and is
 * sampled through struct zipf.
 */
#ifndef TOLLGATE_DIST_H
#define TOLLGATE_DIST_H

#include <stdbool.h>
#include <stdint.h>

#include "core/base/rng.h"

enum dist_kind {
    DIST_CONST = 0, /* a: the value */
    DIST_EXP,       /* a: mean */
    DIST_UNIFORM,   /* a: low, b: high (continuous) */
    DIST_NORMAL,    /* a: mean, b: standard deviation */
    DIST_LOGNORMAL, /* a: median (= exp(mu)), b: sigma of the log */
    DIST_PARETO,    /* a: scale (minimum), b: shape alpha */
    DIST_ZIPF       /* a: exponent s; only meaningful with struct zipf */
};

struct dist {
    enum dist_kind kind;
    double a, b;
};

/* One sample.  May be negative for DIST_NORMAL; callers that need a
 * non-negative quantity clamp (dist_sample_nonneg). */
double dist_sample(const struct dist *d, struct rng *r);

/* max(0, dist_sample()). */
double dist_sample_nonneg(const struct dist *d, struct rng *r);

/* Mean of the distribution (infinity for pareto with shape <= 1; the
 * exponent for zipf, which has no mean as a value). */
double dist_mean(const struct dist *d);

/*
 * Zipf over items 1..n with P(k) proportional to k^-s, s > 0, sampled in
 * O(1) expected time by rejection-inversion (Hormann and Derflinger 1996),
 * so 10^6 accounts need no table.
 */
struct zipf {
    uint64_t n;
    double s;
    double h_x1;  /* H(1.5) - 1 */
    double h_n;   /* H(n + 0.5) */
    double slack; /* acceptance constant */
};

/* Prepares a sampler for n >= 1 items with exponent s > 0. */
void zipf_init(struct zipf *z, uint64_t n, double s);

/* A rank in [0, n): rank 0 is the most frequent item. */
uint64_t zipf_sample(const struct zipf *z, struct rng *r);

#endif

/*
 * zig.h - ziggurat samplers for the standard normal and the unit
 * exponential distribution (Marsaglia and Tsang, "The Ziggurat Method
 * for Generating Random Variables", J. Stat. Softw. 5(8), 2000).
 *
 * The density is covered by ZIG_LAYERS horizontal layers of equal area;
 * a sample picks a layer and a point in it from one 64-bit draw and is
 * accepted at once when the point lies under the layer below (about 99%
 * of samples for 256 layers): one rng_u64, one table read, one multiply
 * and one compare, instead of the log (and sqrt, and a second uniform)
 * of inversion or the polar method.  Points in a layer's wedge are
 * accepted against the density itself and the base layer's tail is
 * sampled exactly (Marsaglia's tail method for the normal, memorylessness
 * for the exponential), so the result follows the distribution exactly up
 * to floating-point rounding, like inversion does.  The layer index, the
 * sign and the 53-bit uniform come from disjoint bits of the draw (the
 * correlation Doornik (2005) found in the original code does not arise).
 *
 * The tables are computed once by zig_init (in the caller's storage, no
 * global state): the base strip's edge r is solved by bisection so that
 * the layers close exactly at the top of the density.  The number of
 * draws a sample consumes varies (1 in the common case), so a stream
 * sampled through here is not aligned with one sampled by dist_sample.
 */
#ifndef TOLLGATE_ZIG_H
#define TOLLGATE_ZIG_H

#include "core/base/dist.h"
#include "core/base/rng.h"

#define ZIG_LAYERS 256 /* a power of two: the index is the draw's low bits */

/* Layer edges of one density f, decreasing in x: layer i (i >= 1) is the
 * box [0, x[i]) x [f[i], f[i + 1]); layer 0 is the base strip of width
 * x[0] = v / f(r) whose part beyond x[1] = r stands for the tail;
 * x[ZIG_LAYERS] = 0 and f[ZIG_LAYERS] = 1 (the top). */
struct zig_table {
    double x[ZIG_LAYERS + 1];
    double f[ZIG_LAYERS + 1];
    double r; /* start of the tail */
};

struct zig {
    struct zig_table normal;      /* f(x) = exp(-x^2 / 2), x >= 0 */
    struct zig_table exponential; /* f(x) = exp(-x), x >= 0 */
};

/* Computes the tables into z (caller's storage, about 16 KB).
 * Deterministic: the same libm gives the same tables. */
void zig_init(struct zig *z);

/* A standard normal deviate (mean 0, sd 1). */
double zig_normal(const struct zig *z, struct rng *r);

/* A unit exponential deviate (mean 1). */
double zig_exp(const struct zig *z, struct rng *r);

/* A sample of d with the same distribution as dist_sample(d, r):
 * normal, lognormal and exp through the ziggurats above, every other kind
 * by dist_sample itself. */
double zig_dist_sample(const struct zig *z, const struct dist *d,
                       struct rng *r);

#endif

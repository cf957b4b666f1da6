/*
 * zig.c - ziggurat tables and samplers (zig.h).
 *
 * Construction (Marsaglia and Tsang 2000): for a decreasing density f on
 * x >= 0 with f(0) = 1, tail area T(r) beyond r and common layer area
 * v(r) = r f(r) + T(r), the layer edges follow from
 *   x[1] = r,  f[i + 1] = f[i] + v / x[i],  x[i + 1] = f^-1(f[i + 1]),
 * and r is right when the last layer ends exactly at the top, f[N] = 1.
 * Larger r gives smaller layers, so the top is reached later: bisection
 * on r until the two bounds are adjacent doubles.
 *
 * Sampling: one 64-bit draw gives the layer (bits 0-7), the sign (bit 8,
 * normal only) and a 53-bit uniform (bits 11-63).  x = u * x[i] is
 * accepted at once below x[i + 1]; in the base strip beyond r the tail is
 * sampled exactly; otherwise x lies in the wedge of layer i and a second
 * uniform height decides against f(x) itself.  Rejected points start
 * over.  Nothing here allocates or keeps state beyond the caller's tables
 * and stream.
 */
#include "core/base/zig.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#define SQRT_HALF_PI 1.2533141373155002 /* sqrt(pi / 2) */

/* ---- construction ----------------------------------------------------------
 */

struct density {
    double (*f)(double x);
    double (*f_inv)(double y); /* y in (0, 1] */
    double (*tail)(double r);  /* integral of f over [r, inf) */
    double r_lo, r_hi;         /* bracket of the solution */
};

static double normal_f(double x)
{
    return exp(-0.5 * x * x);
}

static double normal_inv(double y)
{
    return sqrt(-2.0 * log(y));
}

static double normal_tail(double r)
{
    return SQRT_HALF_PI * erfc(r / sqrt(2.0));
}

static double exp_f(double x)
{
    return exp(-x);
}

static double exp_inv(double y)
{
    return -log(y);
}

static double exp_tail(double r)
{
    return exp(-r);
}

/* Builds the layers for base edge r into t (when not NULL) and returns
 * how far past the top they end: f[N] - 1, or 1 + the layers left over
 * when the top is passed early (r too small). */
static double layers(const struct density *d, double r, struct zig_table *t)
{
    double v = r * d->f(r) + d->tail(r);
    double x = r, f = d->f(r);
    if (t != NULL) {
        t->r = r;
        t->x[0] = v / f;
        t->f[0] = 0; /* the base strip has no wedge */
        t->x[1] = r;
        t->f[1] = f;
    }
    for (int i = 1; i < ZIG_LAYERS; i++) {
        f += v / x;
        if (i + 1 == ZIG_LAYERS)
            break;
        if (f >= 1)
            return 1.0 + (double)(ZIG_LAYERS - 1 - i);
        x = d->f_inv(f);
        if (t != NULL) {
            t->x[i + 1] = x;
            t->f[i + 1] = f;
        }
    }
    if (t != NULL) {
        t->x[ZIG_LAYERS] = 0;
        t->f[ZIG_LAYERS] = 1;
    }
    return f - 1;
}

static void table_init(struct zig_table *t, const struct density *d)
{
    double lo = d->r_lo, hi = d->r_hi; /* layers(lo) > 0 > layers(hi) */
    for (int k = 0; k < 200; k++) {
        double mid = lo + (hi - lo) / 2;
        if (!(mid > lo && mid < hi))
            break;
        if (layers(d, mid, NULL) > 0)
            lo = mid;
        else
            hi = mid;
    }
    /* the edge whose last layer ends nearer the top */
    double r = fabs(layers(d, lo, NULL)) < fabs(layers(d, hi, NULL)) ? lo : hi;
    layers(d, r, t);
}

void zig_init(struct zig *z)
{
    static const struct density normal = { normal_f, normal_inv, normal_tail,
                                           1.0, 10.0 };
    static const struct density expo = { exp_f, exp_inv, exp_tail, 1.0, 20.0 };
    table_init(&z->normal, &normal);
    table_init(&z->exponential, &expo);
}

/* ---- sampling
 * ----------------------------------------------------------------
 */

/* The 53-bit uniform in [0, 1) of a draw (its bits 11-63). */
static inline double draw_uniform(uint64_t b)
{
    return (double)(b >> 11) * 0x1.0p-53;
}

/* Normal tail beyond r (Marsaglia 1964): exact, about 1.1 tries. */
static double normal_tail_sample(double r, struct rng *rng)
{
    for (;;) {
        double x = -log(rng_double(rng)) / r;
        double y = -log(rng_double(rng));
        if (y + y >= x * x)
            return r + x;
    }
}

double zig_normal(const struct zig *z, struct rng *rng)
{
    const struct zig_table *t = &z->normal;
    for (;;) {
        uint64_t b = rng_u64(rng);
        unsigned i = (unsigned)(b & (ZIG_LAYERS - 1));
        double sign = (b >> 8) & 1 ? -1.0 : 1.0;
        double x = draw_uniform(b) * t->x[i];
        if (x < t->x[i + 1])
            return sign * x;
        if (i == 0)
            return sign * normal_tail_sample(t->r, rng);
        double y = t->f[i] + rng_double(rng) * (t->f[i + 1] - t->f[i]);
        if (y < normal_f(x))
            return sign * x;
    }
}

double zig_exp(const struct zig *z, struct rng *rng)
{
    const struct zig_table *t = &z->exponential;
    double base = 0; /* memoryless: the tail beyond r is r + Exp(1) */
    for (;;) {
        uint64_t b = rng_u64(rng);
        unsigned i = (unsigned)(b & (ZIG_LAYERS - 1));
        double x = draw_uniform(b) * t->x[i];
        if (x < t->x[i + 1])
            return base + x;
        if (i == 0) {
            base += t->r;
            continue;
        }
        double y = t->f[i] + rng_double(rng) * (t->f[i + 1] - t->f[i]);
        if (y < exp_f(x))
            return base + x;
    }
}

double zig_dist_sample(const struct zig *z, const struct dist *d, struct rng *r)
{
    switch (d->kind) {
    case DIST_EXP: return d->a * zig_exp(z, r);
    case DIST_NORMAL: return d->a + d->b * zig_normal(z, r);
    case DIST_LOGNORMAL: return d->a * exp(d->b * zig_normal(z, r));
    default: return dist_sample(d, r);
    }
}

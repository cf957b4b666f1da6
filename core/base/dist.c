/*
 * dist.c - sampling the scenario distributions.
 *
 * Every sampler consumes a fixed, documented number of draws per call where
 * it can (exp, uniform, lognormal, pareto: one; normal: a polar-method
 * loop), so streams stay aligned across runs of the same seed.  zipf uses
 * rejection-inversion, which needs O(1) memory whatever n is.
 */
#include "core/base/dist.h"

#include <math.h>

double dist_sample(const struct dist *d, struct rng *r)
{
    switch (d->kind) {
    case DIST_CONST: return d->a;
    case DIST_EXP: return -d->a * log(rng_double(r));
    case DIST_UNIFORM: return d->a + (d->b - d->a) * rng_double(r);
    case DIST_NORMAL: return d->a + d->b * rng_normal(r);
    case DIST_LOGNORMAL: return d->a * exp(d->b * rng_normal(r));
    case DIST_PARETO: return d->a / pow(rng_double(r), 1.0 / d->b);
    case DIST_ZIPF: return d->a;
    }
    return d->a;
}

double dist_sample_nonneg(const struct dist *d, struct rng *r)
{
    double v = dist_sample(d, r);
    return v > 0 ? v : 0;
}

double dist_mean(const struct dist *d)
{
    switch (d->kind) {
    case DIST_CONST: return d->a;
    case DIST_EXP: return d->a;
    case DIST_UNIFORM: return (d->a + d->b) / 2;
    case DIST_NORMAL: return d->a;
    case DIST_LOGNORMAL: return d->a * exp(d->b * d->b / 2);
    case DIST_PARETO: return d->b > 1 ? d->a * d->b / (d->b - 1) : INFINITY;
    case DIST_ZIPF: return d->a;
    }
    return d->a;
}

/* (exp(x) - 1) / x, accurate near 0. */
static double helper2(double x)
{
    if (fabs(x) > 1e-8)
        return expm1(x) / x;
    return 1 + x * 0.5 * (1 + x / 3.0 * (1 + 0.25 * x));
}

/* log1p(x) / x, accurate near 0. */
static double helper1(double x)
{
    if (fabs(x) > 1e-8)
        return log1p(x) / x;
    return 1 - x * (0.5 - x * (1.0 / 3 - 0.25 * x));
}

/* h(x) = x^-s, the unnormalised density. */
static double zh(const struct zipf *z, double x)
{
    return exp(-z->s * log(x));
}

/* H(x), an antiderivative of h: (x^(1-s) - 1) / (1 - s), stable at s=1. */
static double zH(const struct zipf *z, double x)
{
    double lx = log(x);
    return helper2((1 - z->s) * lx) * lx;
}

static double zH_inv(const struct zipf *z, double x)
{
    double t = x * (1 - z->s);
    if (t < -1)
        t = -1; /* guards rounding at the lower end */
    return exp(helper1(t) * x);
}

void zipf_init(struct zipf *z, uint64_t n, double s)
{
    z->n = n;
    z->s = s;
    z->h_x1 = zH(z, 1.5) - 1;
    z->h_n = zH(z, (double)n + 0.5);
    z->slack = 2 - zH_inv(z, zH(z, 2.5) - zh(z, 2));
}

uint64_t zipf_sample(const struct zipf *z, struct rng *r)
{
    for (;;) {
        double u = z->h_n + rng_double(r) * (z->h_x1 - z->h_n);
        double x = zH_inv(z, u);
        double kd = floor(x + 0.5);
        if (kd < 1)
            kd = 1;
        else if (kd > (double)z->n)
            kd = (double)z->n;
        if (kd - x <= z->slack || u >= zH(z, kd + 0.5) - zh(z, kd))
            return (uint64_t)kd - 1;
    }
}

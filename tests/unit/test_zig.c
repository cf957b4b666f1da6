/*
 * test_zig.c - the ziggurat samplers against their exact distributions:
 * the tables (the published base edges for 256 layers, equal layer
 * areas, closing at the top), goodness of fit over equiprobable bins of
 * the exact CDF, moments, the tails beyond the base edge (the code paths
 * that sample them exactly), zig_dist_sample against dist_sample,
 * capacity_service_ns_zig (sim's service times), and determinism.  Statistical
 * rows state their tolerance; the seeds are fixed, so a pass is reproducible.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/model/capacity.h"
#include "core/base/zig.h"

static struct zig z; /* about 16 KB: static rather than on the stack */

static int setup(void **state)
{
    (void)state;
    zig_init(&z);
    return 0;
}

/* ---- tables ------------------------------------------------------------- */

struct table_case {
    const char *name;
    const struct zig_table *t;
    double r_published; /* Marsaglia and Tsang 2000, 256 layers */
    double (*f)(double x);
};

static double normal_f(double x)
{
    return exp(-0.5 * x * x);
}

static double exp_f(double x)
{
    return exp(-x);
}

static void test_table(void **state)
{
    const struct table_case *c = *state;
    const struct zig_table *t = c->t;
    assert_true(fabs(t->r - c->r_published) < 1e-12);
    assert_true(t->x[1] == t->r);
    assert_true(t->x[ZIG_LAYERS] == 0 && t->f[ZIG_LAYERS] == 1);
    double v = t->x[0] * c->f(t->r); /* the base strip's area */
    for (int i = 1; i < ZIG_LAYERS; i++) {
        assert_true(t->x[i + 1] < t->x[i]);
        assert_true(t->f[i + 1] > t->f[i]);
        assert_true(fabs(t->f[i] - c->f(t->x[i])) < 1e-12);
        /* every layer has the base strip's area (relative 1e-9) */
        assert_true(fabs(t->x[i] * (t->f[i + 1] - t->f[i]) - v) < 1e-9 * v);
    }
}

/* ---- goodness of fit ---------------------------------------------------- */

static double normal_cdf(double x)
{
    return 0.5 * erfc(-x / sqrt(2.0));
}

static double exp_cdf(double x)
{
    return 1 - exp(-x);
}

struct fit_case {
    const char *name;
    bool normal; /* else exponential */
    uint64_t seed;
};

static double sample(const struct fit_case *c, struct rng *r)
{
    return c->normal ? zig_normal(&z, r) : zig_exp(&z, r);
}

/* 1M samples over 64 equiprobable bins of the exact CDF: chi-square with
 * 63 df stays below 110 (p < 1e-4 under the null); mean and variance
 * within 4.5 standard errors. */
static void test_fit(void **state)
{
    const struct fit_case *c = *state;
    enum { BINS = 64 };
    const long n = 1000000;
    long bins[BINS] = { 0 };
    struct rng r;
    rng_init(&r, c->seed, 1, RNG_ATTRS);
    double sum = 0, sum2 = 0;
    for (long i = 0; i < n; i++) {
        double x = sample(c, &r);
        sum += x;
        sum2 += x * x;
        double u = c->normal ? normal_cdf(x) : exp_cdf(x);
        int k = (int)(u * BINS);
        bins[k < 0 ? 0 : k >= BINS ? BINS - 1 : k]++;
    }
    double chi2 = 0, m = (double)n / BINS;
    for (int k = 0; k < BINS; k++)
        chi2 += ((double)bins[k] - m) * ((double)bins[k] - m) / m;
    print_message("%s: chi2 %.1f (63 df)\n", c->name, chi2);
    assert_true(chi2 < 110);
    double mean = sum / (double)n, var = sum2 / (double)n - mean * mean;
    double want_mean = c->normal ? 0 : 1;
    /* var of the variance estimate: (mu4 - sigma^4) / n; mu4 = 3 (normal)
     * or 9 (exponential) */
    double se_var = sqrt((c->normal ? 2.0 : 8.0) / (double)n);
    assert_true(fabs(mean - want_mean) < 4.5 / sqrt((double)n));
    assert_true(fabs(var - 1) < 4.5 * se_var);
}

/* The tail beyond the base edge r: its probability, and its conditional
 * mean (normal: phi(r) / Q(r); exponential: r + 1), 2M samples. */
static void test_tail(void **state)
{
    const struct fit_case *c = *state;
    const long n = 2000000;
    double rr = c->normal ? z.normal.r : z.exponential.r;
    struct rng r;
    rng_init(&r, c->seed, 2, RNG_ATTRS);
    long hits = 0;
    double beyond = 0;
    for (long i = 0; i < n; i++) {
        double x = fabs(sample(c, &r));
        if (x > rr) {
            hits++;
            beyond += x;
        }
    }
    double p = c->normal ? erfc(rr / sqrt(2.0)) : exp(-rr);
    double want_hits = p * (double)n;
    print_message("%s: %ld beyond r, expected %.0f\n", c->name, hits,
                  want_hits);
    assert_true(fabs((double)hits - want_hits) < 4.5 * sqrt(want_hits));
    double cmean = beyond / (double)hits;
    double want =
        c->normal ? exp(-rr * rr / 2) / sqrt(2 * 3.141592653589793) / (p / 2)
                  : rr + 1;
    /* conditional sd is below 1 for both tails: 4.5 standard errors */
    assert_true(fabs(cmean - want) < 4.5 / sqrt((double)hits));
}

/* ---- zig_dist_sample ---------------------------------------------------- */

/* Kinds the ziggurat does not serve are dist_sample itself, draw for
 * draw; the others have the right mean. */
static void test_dist_sample(void **state)
{
    (void)state;
    const struct dist same[] = { { DIST_CONST, 3, 0 },
                                 { DIST_UNIFORM, 2, 5 },
                                 { DIST_PARETO, 1, 2.5 } };
    for (size_t k = 0; k < sizeof(same) / sizeof(same[0]); k++) {
        struct rng a, b;
        rng_init(&a, 9, k, RNG_ATTRS);
        b = a;
        for (int i = 0; i < 100; i++)
            assert_true(zig_dist_sample(&z, &same[k], &a) ==
                        dist_sample(&same[k], &b));
    }
    const struct dist fast[] = { { DIST_EXP, 200, 0 },
                                 { DIST_NORMAL, 500, 50 },
                                 { DIST_LOGNORMAL, 400, 0.5 } };
    for (size_t k = 0; k < sizeof(fast) / sizeof(fast[0]); k++) {
        struct rng a;
        rng_init(&a, 10, k, RNG_ATTRS);
        const long n = 200000;
        double sum = 0, sum2 = 0;
        for (long i = 0; i < n; i++) {
            double x = zig_dist_sample(&z, &fast[k], &a);
            sum += x;
            sum2 += x * x;
        }
        double mean = sum / (double)n;
        double sd = sqrt(sum2 / (double)n - mean * mean);
        assert_true(fabs(mean - dist_mean(&fast[k])) < 4.5 * sd / sqrt(n));
    }
}

/* capacity_service_ns_zig: constant dists give capacity_service_ns's
 * value exactly; a lognormal first token plus a per-token time has the
 * mean first + per x tokens. */
static void test_service_time(void **state)
{
    (void)state;
    struct scn_model m;
    memset(&m, 0, sizeof(m));
    m.first_token = (struct dist){ DIST_CONST, 250e6, 0 };
    m.per_token = (struct dist){ DIST_CONST, 2e6, 0 };
    struct rng a, b;
    rng_init(&a, 3, 3, RNG_SERVICE);
    b = a;
    assert_int_equal(capacity_service_ns_zig(&m, 100, &z, &a),
                     capacity_service_ns(&m, 100, &b));
    assert_int_equal(capacity_service_ns_zig(&m, 100, &z, &a), 450000000);
    m.first_token = (struct dist){ DIST_LOGNORMAL, 300e6, 0.5 };
    m.per_token = (struct dist){ DIST_NORMAL, -1e6, 1e5 }; /* clamps to 0 */
    const long n = 200000;
    double sum = 0, sum2 = 0;
    for (long i = 0; i < n; i++) {
        double x = (double)capacity_service_ns_zig(&m, 50, &z, &a);
        sum += x;
        sum2 += x * x;
    }
    double mean = sum / (double)n, sd = sqrt(sum2 / (double)n - mean * mean);
    assert_true(fabs(mean - dist_mean(&m.first_token)) <
                4.5 * sd / sqrt((double)n));
}

static void test_deterministic(void **state)
{
    (void)state;
    struct zig z2;
    zig_init(&z2);
    assert_memory_equal(&z, &z2, sizeof(z));
    struct rng a, b;
    rng_init(&a, 5, 5, RNG_ATTRS);
    rng_init(&b, 5, 5, RNG_ATTRS);
    for (int i = 0; i < 10000; i++) {
        assert_true(zig_normal(&z, &a) == zig_normal(&z2, &b));
        assert_true(zig_exp(&z, &a) == zig_exp(&z2, &b));
    }
}

int main(void)
{
    static const struct table_case tables[] = {
        { "table normal", &z.normal, 3.6541528853610088, normal_f },
        { "table exponential", &z.exponential, 7.69711747013104972, exp_f },
    };
    static const struct fit_case fits[] = {
        { "normal", true, 1 },
        { "exponential", false, 2 },
    };
    struct CMUnitTest tests[2 + 2 + 2 + 3];
    size_t n = 0;
    for (size_t i = 0; i < 2; i++)
        tests[n++] = (struct CMUnitTest){ tables[i].name, test_table, NULL,
                                          NULL, (void *)&tables[i] };
    static const char *fit_names[] = { "fit normal", "fit exponential" };
    static const char *tail_names[] = { "tail normal", "tail exponential" };
    for (size_t i = 0; i < 2; i++) {
        tests[n++] = (struct CMUnitTest){ fit_names[i], test_fit, NULL, NULL,
                                          (void *)&fits[i] };
        tests[n++] = (struct CMUnitTest){ tail_names[i], test_tail, NULL, NULL,
                                          (void *)&fits[i] };
    }
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_dist_sample);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_service_time);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_deterministic);
    return cmocka_run_group_tests(tests, setup, NULL);
}

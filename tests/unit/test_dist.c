/*
 * test_dist.c - each distribution's sample mean against its closed-form
 * mean, and the zipf sampler's rank frequencies against k^-s / H(n, s).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/base/dist.h"

struct dist_case {
    const char *name;
    struct dist d;
    double want_mean;
    double want_sd; /* standard deviation of one sample */
};

static const struct dist_case cases[] = {
    { "const 800ms", { DIST_CONST, 8e8, 0 }, 8e8, 0 },
    { "exp mean 2s", { DIST_EXP, 2e9, 0 }, 2e9, 2e9 },
    { "uniform(100,900)",
      { DIST_UNIFORM, 100, 900 },
      500,
      230.9401076758503 /* 800 / sqrt(12) */ },
    { "normal(500,50)", { DIST_NORMAL, 500, 50 }, 500, 50 },
    /* lognormal(median m, sigma s): mean m e^(s^2/2), var mean^2 (e^s^2 - 1) */
    { "lognormal(400,0.5)",
      { DIST_LOGNORMAL, 400, 0.5 },
      400 * 1.1331484530668263,
      400 * 1.1331484530668263 * 0.5329864014697474 },
    /* pareto(x_m, a): mean a x_m/(a-1); var x_m^2 a/((a-1)^2 (a-2)) */
    { "pareto(10,3)", { DIST_PARETO, 10, 3 }, 15, 8.660254037844387 },
};

#define N_CASES (sizeof(cases) / sizeof(cases[0]))

static void test_mean_case(void **state)
{
    const struct dist_case *c = *state;
    struct rng r;
    rng_init(&r, 11, 0, RNG_ATTRS);
    const int n = 100000;
    double sum = 0;
    for (int i = 0; i < n; i++)
        sum += dist_sample(&c->d, &r);
    double mean = sum / n;
    /* 5 standard errors, or exact for a constant. */
    double tol = 5 * c->want_sd / sqrt(n);
    assert_true(fabs(mean - c->want_mean) <= tol + 1e-9 * c->want_mean);
    assert_true(fabs(dist_mean(&c->d) - c->want_mean) <= 1e-9 * c->want_mean);
}

static void test_nonneg_clamps(void **state)
{
    (void)state;
    struct dist d = { DIST_NORMAL, 0, 10 };
    struct rng r;
    rng_init(&r, 3, 0, RNG_ATTRS);
    int zeros = 0;
    for (int i = 0; i < 1000; i++) {
        double v = dist_sample_nonneg(&d, &r);
        assert_true(v >= 0);
        zeros += v == 0;
    }
    assert_true(zeros > 400 && zeros < 600); /* half are clamped */
}

/* P(rank k) = k^-s / sum_{j=1..n} j^-s. */
static void check_zipf(uint64_t n, double s)
{
    struct zipf z;
    zipf_init(&z, n, s);
    struct rng r;
    rng_init(&r, 17, n, RNG_PICK);
    const int draws = 200000;
    int low[3] = { 0, 0, 0 };
    for (int i = 0; i < draws; i++) {
        uint64_t k = zipf_sample(&z, &r);
        assert_true(k < n);
        if (k < 3)
            low[k]++;
    }
    double h = 0;
    for (uint64_t j = 1; j <= n; j++)
        h += pow((double)j, -s);
    for (int k = 0; k < 3 && (uint64_t)k < n; k++) {
        double p = pow(k + 1.0, -s) / h;
        double sd = sqrt(p * (1 - p) / draws);
        assert_true(fabs((double)low[k] / draws - p) <= 5 * sd);
    }
}

static void test_zipf_1_1_over_1000(void **state)
{
    (void)state;
    check_zipf(1000, 1.1);
}

static void test_zipf_exactly_1(void **state)
{
    (void)state;
    check_zipf(100, 1.0);
}

static void test_zipf_small_s(void **state)
{
    (void)state;
    check_zipf(50, 0.5);
}

static void test_zipf_single_item(void **state)
{
    (void)state;
    check_zipf(1, 1.2);
}

int main(void)
{
    struct CMUnitTest tests[N_CASES + 5];
    for (size_t i = 0; i < N_CASES; i++)
        tests[i] = (struct CMUnitTest){ cases[i].name, test_mean_case, NULL,
                                        NULL, (void *)&cases[i] };
    tests[N_CASES] = (struct CMUnitTest)cmocka_unit_test(test_nonneg_clamps);
    tests[N_CASES + 1] =
        (struct CMUnitTest)cmocka_unit_test(test_zipf_1_1_over_1000);
    tests[N_CASES + 2] =
        (struct CMUnitTest)cmocka_unit_test(test_zipf_exactly_1);
    tests[N_CASES + 3] = (struct CMUnitTest)cmocka_unit_test(test_zipf_small_s);
    tests[N_CASES + 4] =
        (struct CMUnitTest)cmocka_unit_test(test_zipf_single_item);
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_rng.c - seeded streams: determinism, independence, ranges, and the
 * moments of the derived samplers.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/base/rng.h"

static void test_same_triple_same_stream(void **state)
{
    (void)state;
    struct rng a, b;
    rng_init(&a, 42, 7, RNG_ARRIVALS);
    rng_init(&b, 42, 7, RNG_ARRIVALS);
    for (int i = 0; i < 1000; i++)
        assert_int_equal(rng_u64(&a), rng_u64(&b));
}

/* Each triple component must change the stream, including permutations. */
static void test_different_triples_differ(void **state)
{
    (void)state;
    const uint64_t triples[][3] = {
        { 42, 7, RNG_ARRIVALS }, { 43, 7, RNG_ARRIVALS },
        { 42, 8, RNG_ARRIVALS }, { 42, 7, RNG_PICK },
        { 7, 42, RNG_ARRIVALS }, { 0, 0, RNG_ARRIVALS },
    };
    size_t n = sizeof(triples) / sizeof(triples[0]);
    uint64_t first[6];
    for (size_t i = 0; i < n; i++) {
        struct rng r;
        rng_init(&r, triples[i][0], triples[i][1],
                 (enum rng_purpose)triples[i][2]);
        first[i] = rng_u64(&r);
    }
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            assert_true(first[i] != first[j]);
}

static void test_double_open_interval_and_mean(void **state)
{
    (void)state;
    struct rng r;
    rng_init(&r, 1, 1, RNG_ATTRS);
    const int n = 200000;
    double sum = 0;
    for (int i = 0; i < n; i++) {
        double u = rng_double(&r);
        assert_true(u > 0.0 && u < 1.0);
        sum += u;
    }
    /* Mean of U(0,1) is 1/2 with sd 1/sqrt(12 n) ~ 0.00065; allow 5 sd. */
    assert_true(fabs(sum / n - 0.5) < 5 * sqrt(1.0 / (12.0 * n)));
}

static void test_below_range_and_uniformity(void **state)
{
    (void)state;
    struct rng r;
    rng_init(&r, 9, 3, RNG_PICK);
    enum { K = 10, N = 100000 };
    int counts[K] = { 0 };
    for (int i = 0; i < N; i++) {
        uint64_t v = rng_below(&r, K);
        assert_true(v < K);
        counts[v]++;
    }
    /* Chi-square with 9 dof: the 99.9% quantile is 27.88. */
    double chi = 0, e = (double)N / K;
    for (int k = 0; k < K; k++)
        chi += (counts[k] - e) * (counts[k] - e) / e;
    assert_true(chi < 27.88);
    assert_int_equal(rng_below(&r, 1), 0);
}

static void test_normal_moments(void **state)
{
    (void)state;
    struct rng r;
    rng_init(&r, 5, 5, RNG_SERVICE);
    const int n = 100000;
    double s = 0, s2 = 0;
    for (int i = 0; i < n; i++) {
        double z = rng_normal(&r);
        s += z;
        s2 += z * z;
    }
    double mean = s / n, var = s2 / n - mean * mean;
    /* sd of the mean 1/sqrt(n) = 0.0032; of the variance sqrt(2/n) =
     * 0.0045; allow 5 sd each. */
    assert_true(fabs(mean) < 5 / sqrt(n));
    assert_true(fabs(var - 1) < 5 * sqrt(2.0 / n));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_triple_same_stream),
        cmocka_unit_test(test_different_triples_differ),
        cmocka_unit_test(test_double_open_interval_and_mean),
        cmocka_unit_test(test_below_range_and_uniformity),
        cmocka_unit_test(test_normal_moments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

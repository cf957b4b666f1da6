/*
 * test_hist.c - log-linear histogram: geometry, percentiles within the
 * stated 0.1% precision, merge == single recording, out-of-range values,
 * sparse round trip, HdrHistogram text shape.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/stats/hist.h"

#define US 1000LL

/* Deterministic values for the tests (splitmix64). */
static uint64_t mix(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* Log-uniform value in [1 us, 2^32 us): exercises every range. */
static int64_t log_uniform_ns(uint64_t *s)
{
    int bits = (int)(mix(s) % 32);
    return (int64_t)((mix(s) & ((1ULL << bits) - 1)) | (1ULL << bits)) * US +
           (int64_t)(mix(s) % 1000);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* ---- geometry --------------------------------------------------------------
 */

static void test_geometry_contiguous(void **state)
{
    (void)state;
    for (int32_t i = 0; i < HIST_COUNTS_LEN; i++) {
        int64_t lo = hist_index_lowest(i), hi = hist_index_highest(i);
        assert_int_equal(hist_index_of(lo), i);
        assert_int_equal(hist_index_of(hi + 999), i);
        if (i + 1 < HIST_COUNTS_LEN)
            assert_int_equal(hist_index_lowest(i + 1), hi + US);
        /* 3 significant digits: width < lowest / 1000 above 1 ms */
        if (lo >= 1024 * US)
            assert_true((hi + US - lo) * 1024 <= lo);
    }
    assert_int_equal(hist_index_highest(HIST_COUNTS_LEN - 1) + 999,
                     HIST_MAX_NS);
}

struct idx_case {
    const char *name;
    int64_t ns;
    int32_t idx;
};

static const struct idx_case idx_cases[] = {
    { "zero", 0, 0 },
    { "sub-microsecond truncates", 999, 0 },
    { "1 us", 1000, 1 },
    { "2047 us last unit bucket", 2047 * US, 2047 },
    { "2048 us first width-2 bucket", 2048 * US, 2048 },
    { "2049 us same width-2 bucket", 2049 * US, 2048 },
    { "4096 us first width-4 bucket", 4096 * US, 3072 },
    { "max value", HIST_MAX_NS, HIST_COUNTS_LEN - 1 },
    { "above max", HIST_MAX_NS + 1, -1 },
    { "negative", -1, -1 },
};

static void test_index_case(void **state)
{
    const struct idx_case *c = *state;
    assert_int_equal(hist_index_of(c->ns), c->idx);
}

/* ---- percentiles ----------------------------------------------------------
 */

static void test_percentile_linear_exact(void **state)
{
    (void)state;
    struct hist h;
    hist_init(&h);
    for (int64_t v = 1; v <= 1000; v++)
        assert_true(hist_record(&h, v * US + 123));
    assert_int_equal(hist_count(&h), 1000);
    assert_int_equal(hist_percentile(&h, 50), 500 * US);
    assert_int_equal(hist_percentile(&h, 90), 900 * US);
    assert_int_equal(hist_percentile(&h, 99), 990 * US);
    assert_int_equal(hist_percentile(&h, 99.9), 999 * US);
    assert_int_equal(hist_percentile(&h, 100), 1000 * US);
    assert_int_equal(hist_percentile(&h, 0), 1 * US);
    assert_int_equal(hist_max(&h), 1000 * US);
    assert_int_equal(hist_min(&h), 1 * US);
    /* midpoints: v us + 500 ns each, so the mean is 500.5 us + 500 ns */
    assert_true(hist_mean(&h) > 500999.0 && hist_mean(&h) < 501001.0);
    hist_fini(&h);
}

/* Nearest-rank percentiles of 200k log-uniform values: the reported value
 * is the highest equivalent of the exact value's bucket, so it is >= the
 * exact value and within 0.1% (+1 us truncation) above it. */
static void test_percentile_precision(void **state)
{
    (void)state;
    enum { N = 200000 };
    int64_t *v = malloc(N * sizeof(*v));
    uint64_t s = 42;
    struct hist h;
    hist_init(&h);
    for (int i = 0; i < N; i++) {
        v[i] = log_uniform_ns(&s);
        assert_true(hist_record(&h, v[i]));
    }
    qsort(v, N, sizeof(*v), cmp_i64);
    const double ps[] = { 1, 10, 25, 50, 75, 90, 95, 99, 99.9, 99.99, 100 };
    for (size_t k = 0; k < sizeof(ps) / sizeof(ps[0]); k++) {
        int64_t rank = (int64_t)((ps[k] / 100.0) * N + 0.999999);
        int64_t exact = v[rank - 1];
        int64_t got = hist_percentile(&h, ps[k]);
        assert_int_equal(got, hist_index_highest(hist_index_of(exact)));
        assert_true(got + US > exact);
        assert_true((double)(got - exact) <= 0.001 * (double)exact + US);
    }
    free(v);
    hist_fini(&h);
}

/* ---- merge -----------------------------------------------------------------
 */

static void test_merge_equals_single(void **state)
{
    (void)state;
    struct hist a, b, c, all;
    hist_init(&a);
    hist_init(&b);
    hist_init(&c);
    hist_init(&all);
    uint64_t s = 7;
    for (int i = 0; i < 50000; i++) {
        int64_t x = log_uniform_ns(&s);
        struct hist *part = (i % 3 == 0) ? &a : (i % 3 == 1) ? &b : &c;
        hist_record(part, x);
        hist_record(&all, x);
    }
    hist_merge(&a, &b);
    hist_merge(&a, &c);
    assert_true(hist_equal(&a, &all));
    for (int32_t i = 0; i < HIST_COUNTS_LEN; i++)
        assert_int_equal(a.counts[i], all.counts[i]);
    assert_int_equal(hist_percentile(&a, 99), hist_percentile(&all, 99));
    assert_true(hist_mean(&a) == hist_mean(&all));
    /* merge of an empty histogram changes nothing */
    hist_reset(&b);
    hist_merge(&a, &b);
    assert_true(hist_equal(&a, &all));
    hist_fini(&a);
    hist_fini(&b);
    hist_fini(&c);
    hist_fini(&all);
}

/* ---- range and reset
 * --------------------------------------------------------- */

static void test_out_of_range(void **state)
{
    (void)state;
    struct hist *h = hist_new();
    assert_false(hist_record(h, -1));
    assert_false(hist_record(h, HIST_MAX_NS + 1));
    assert_false(hist_record(h, INT64_MAX));
    assert_false(hist_record_n(h, 5, -1));
    assert_int_equal(hist_count(h), 0);
    assert_int_equal(hist_percentile(h, 50), 0);
    assert_int_equal(hist_max(h), 0);
    assert_true(hist_mean(h) == 0.0);
    assert_true(hist_record(h, HIST_MAX_NS));
    assert_true(hist_record(h, 0));
    assert_int_equal(hist_count(h), 2);
    /* about one hour fits with room to spare */
    assert_true(hist_record(h, 3600LL * 1000000000LL));
    assert_int_equal(hist_max(h), hist_index_highest(HIST_COUNTS_LEN - 1));
    hist_free(h);
    hist_free(NULL);
    hist_fini(NULL);
}

static void test_record_n_and_reset(void **state)
{
    (void)state;
    struct hist a, b;
    hist_init(&a);
    hist_init(&b);
    assert_true(hist_record_n(&a, 5 * 1000 * US, 1000));
    for (int i = 0; i < 1000; i++)
        hist_record(&b, 5 * 1000 * US);
    assert_true(hist_equal(&a, &b));
    hist_reset(&a);
    assert_int_equal(hist_count(&a), 0);
    for (int32_t i = 0; i < HIST_COUNTS_LEN; i++)
        assert_int_equal(a.counts[i], 0);
    hist_fini(&a);
    hist_fini(&b);
}

static void test_iterate(void **state)
{
    (void)state;
    struct hist h;
    hist_init(&h);
    hist_record_n(&h, 10 * US, 3);
    hist_record_n(&h, 5000 * US, 2);
    struct hist_iter it;
    hist_iter_init(&it);
    assert_true(hist_iter_next(&h, &it));
    assert_int_equal(it.count, 3);
    assert_int_equal(it.lo_ns, 10 * US);
    assert_int_equal(it.cum, 3);
    assert_true(hist_iter_next(&h, &it));
    assert_int_equal(it.count, 2);
    assert_int_equal(it.hi_ns, 5003 * US); /* width 4 us bucket 5000..5003 */
    assert_int_equal(it.cum, 5);
    assert_false(hist_iter_next(&h, &it));
    hist_fini(&h);
}

/* ---- sparse form ------------------------------------------------------------
 */

static void test_sparse_roundtrip(void **state)
{
    (void)state;
    struct hist h, back;
    hist_init(&h);
    hist_init(&back);
    uint64_t s = 99;
    for (int i = 0; i < 5000; i++)
        hist_record(&h, log_uniform_ns(&s));
    struct hist_sparse sp, rd;
    hist_sparse_init(&sp);
    hist_sparse_init(&rd);
    hist_sparse_set(&sp, &h);
    assert_int_equal(sp.total, 5000);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_int_equal(hist_sparse_write(&sp, f), ERR_OK);
    fclose(f);
    assert_int_equal(hist_sparse_parse(buf, len, &rd), ERR_OK);
    hist_sparse_add_to(&rd, &back);
    assert_true(hist_equal(&h, &back));
    /* sparse merge == dense merge */
    hist_sparse_merge(&rd, &sp);
    hist_sparse_add_index(&rd, 17, 4);
    hist_reset(&back);
    hist_sparse_add_to(&rd, &back);
    struct hist twice;
    hist_init(&twice);
    hist_merge(&twice, &h);
    hist_merge(&h, &twice); /* h doubled */
    hist_fini(&twice);
    hist_record_n(&h, 17 * US, 4);
    assert_true(hist_equal(&h, &back));
    free(buf);
    hist_sparse_fini(&sp);
    hist_sparse_fini(&rd);
    hist_fini(&h);
    hist_fini(&back);
}

static void test_packed_roundtrip(void **state)
{
    (void)state;
    struct hist h, back, both;
    hist_init(&h);
    hist_init(&back);
    hist_init(&both);
    uint64_t s = 5;
    for (int i = 0; i < 20000; i++)
        hist_record(&h, log_uniform_ns(&s));
    hist_record_n(&h, 3 * US, 1000000); /* a count needing 3 varint bytes */
    struct hist_packed p;
    hist_packed_init(&p);
    hist_packed_set(&p, &h);
    struct hist_sparse sp;
    hist_sparse_init(&sp);
    hist_sparse_set(&sp, &h);
    assert_int_equal(p.n, sp.n);
    assert_int_equal(p.total, h.total);
    assert_true(p.len < sp.n * 4); /* compact: < 4 bytes per bucket */
    hist_packed_add_to(&p, &back);
    assert_true(hist_equal(&h, &back));
    /* merge a sparse histogram in: equals the dense sum */
    struct hist other;
    hist_init(&other);
    for (int i = 0; i < 3000; i++)
        hist_record(&other, log_uniform_ns(&s));
    struct hist_sparse so;
    hist_sparse_init(&so);
    hist_sparse_set(&so, &other);
    hist_packed_merge(&p, &so);
    hist_packed_add_to(&p, &both);
    hist_merge(&h, &other);
    assert_true(hist_equal(&h, &both));
    hist_packed_to_sparse(&p, &sp);
    assert_int_equal(sp.total, h.total);
    hist_packed_fini(&p);
    hist_packed_fini(NULL);
    hist_sparse_fini(&sp);
    hist_sparse_fini(&so);
    hist_fini(&h);
    hist_fini(&back);
    hist_fini(&both);
    hist_fini(&other);
}

struct parse_case {
    const char *name;
    const char *text;
    int want;
};

static const struct parse_case parse_cases[] = {
    { "empty histogram", "0", ERR_OK },
    { "two buckets", "2 5:1 3:7", ERR_OK },
    { "newline ends the text", "1 4:2\nnext line", ERR_OK },
    { "empty text", "", ERR_PARSE },
    { "fewer buckets than declared", "2 1:1", ERR_PARSE },
    { "zero count", "1 0:0", ERR_PARSE },
    { "index beyond range", "1 27648:1", ERR_PARSE },
    { "non-increasing index", "2 5:1 0:1", ERR_PARSE },
    { "garbage", "x", ERR_PARSE },
    { "trailing junk", "1 5:1 junk", ERR_PARSE },
    { "count overflow", "1 5:99999999999999999999", ERR_PARSE },
    { "negative count", "1 5:-1", ERR_PARSE },
};

static void test_parse_case(void **state)
{
    const struct parse_case *c = *state;
    struct hist_sparse s;
    hist_sparse_init(&s);
    assert_int_equal(hist_sparse_parse(c->text, strlen(c->text), &s), c->want);
    hist_sparse_fini(&s);
}

/* ---- hgrm text
 * ----------------------------------------------------------------- */

static void test_hgrm_shape(void **state)
{
    (void)state;
    struct hist h;
    hist_init(&h);
    for (int64_t v = 1; v <= 10000; v++)
        hist_record(&h, v * 100 * US); /* 0.1 .. 1000 ms */
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_int_equal(hist_write_hgrm(&h, f, 1e6, 5), ERR_OK);
    fclose(f);
    assert_non_null(strstr(buf, "       Value     Percentile TotalCount "
                                "1/(1-Percentile)\n\n"));
    double prev_v = -1, prev_p = -1, v, p, inv;
    long long cnt;
    int rows = 0, last_rows = 0;
    char *line = strchr(buf, '\n') + 2, *next;
    for (; *line != '#'; line = next + 1) {
        next = strchr(line, '\n');
        *next = '\0';
        int n = sscanf(line, "%lf %lf %lld %lf", &v, &p, &cnt, &inv);
        assert_true(n == 4 || n == 3);
        assert_true(v >= prev_v && p >= prev_p);
        prev_v = v;
        prev_p = p;
        rows++;
        last_rows += n == 3;
    }
    assert_int_equal(last_rows, 1);
    assert_true(p == 1.0 && cnt == 10000);
    assert_true(v >= 1000.0 && v <= 1001.0); /* within 0.1% */
    assert_true(rows > 50);
    assert_non_null(strstr(line, "#[Mean    = "));
    assert_non_null(strstr(line, "#[Max     = "));
    assert_non_null(strstr(line, "Total count    =        10000]"));
    assert_non_null(strstr(line, "#[Buckets =           26, SubBuckets     = "
                                 "        2048]\n"));
    free(buf);
    hist_fini(&h);
}

static void test_hgrm_empty(void **state)
{
    (void)state;
    struct hist h;
    hist_init(&h);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_int_equal(hist_write_hgrm(&h, f, 1e6, 5), ERR_OK);
    fclose(f);
    assert_non_null(strstr(buf, "Total count    =            0]"));
    free(buf);
    hist_fini(&h);
}

static void test_hgrm_io_error(void **state)
{
    (void)state;
    FILE *f = fopen("/dev/full", "w");
    if (f == NULL)
        skip();
    setvbuf(f, NULL, _IONBF, 0);
    struct hist h;
    hist_init(&h);
    hist_record(&h, 5 * US);
    assert_int_equal(hist_write_hgrm(&h, f, 1e6, 5), ERR_IO);
    fclose(f);
    hist_fini(&h);
}

#define N_IDX   (sizeof(idx_cases) / sizeof(idx_cases[0]))
#define N_PARSE (sizeof(parse_cases) / sizeof(parse_cases[0]))

int main(void)
{
    struct CMUnitTest tests[N_IDX + N_PARSE + 12];
    size_t n = 0;
    for (size_t i = 0; i < N_IDX; i++)
        tests[n++] = (struct CMUnitTest){ idx_cases[i].name, test_index_case,
                                          NULL, NULL, (void *)&idx_cases[i] };
    for (size_t i = 0; i < N_PARSE; i++)
        tests[n++] = (struct CMUnitTest){ parse_cases[i].name, test_parse_case,
                                          NULL, NULL, (void *)&parse_cases[i] };
    const struct CMUnitTest fixed[] = {
        cmocka_unit_test(test_geometry_contiguous),
        cmocka_unit_test(test_percentile_linear_exact),
        cmocka_unit_test(test_percentile_precision),
        cmocka_unit_test(test_merge_equals_single),
        cmocka_unit_test(test_out_of_range),
        cmocka_unit_test(test_record_n_and_reset),
        cmocka_unit_test(test_iterate),
        cmocka_unit_test(test_sparse_roundtrip),
        cmocka_unit_test(test_packed_roundtrip),
        cmocka_unit_test(test_hgrm_shape),
        cmocka_unit_test(test_hgrm_empty),
        cmocka_unit_test(test_hgrm_io_error),
    };
    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
        tests[n++] = fixed[i];
    return _cmocka_run_group_tests("hist", tests, n, NULL, NULL);
}

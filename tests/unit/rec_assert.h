/*
 * rec_assert.h - "these two recorders hold the same data", for the unit
 * tests of the recorder (merge) and of the results files (round trip).
 *
 * assert_rec_data_equal compares what recording and merging must keep
 * exactly: every counter, every summary histogram of both levels,
 * attempts per request, why requests ended, and every interval's counts,
 * transport errors and histograms.  It leaves out what a merge may
 * legitimately change (the end time, completeness, gauges, which add);
 * a round-trip test compares those too.  Included by one test file each
 * (static functions).
 */
#ifndef TOLLGATE_TEST_REC_ASSERT_H
#define TOLLGATE_TEST_REC_ASSERT_H

#include "core/stats/hist.h"
#include "core/stats/record.h"

/* The summary histograms of level k of a and b are equal. */
static void assert_level_equal(const struct rec *a, const struct rec *b,
                               enum rec_level k)
{
    assert_true(hist_equal(rec_lvl_lat_all(a, k), rec_lvl_lat_all(b, k)));
    for (int o = 0; o < REASON_COUNT; o++)
        assert_true(hist_equal(rec_lvl_lat(a, k, o), rec_lvl_lat(b, k, o)));
    for (size_t p = 0; p < rec_n_pops(a); p++) {
        assert_true(
            hist_equal(rec_lvl_pop_all(a, k, p), rec_lvl_pop_all(b, k, p)));
        assert_true(
            hist_equal(rec_lvl_pop_ok(a, k, p), rec_lvl_pop_ok(b, k, p)));
    }
}

/* Interval i's histograms of both levels are equal (ha, hb: scratch). */
static void assert_interval_equal(const struct rec *a, const struct rec *b,
                                  size_t i, struct hist *ha, struct hist *hb)
{
    struct rec_counts ca, cb;
    rec_interval_counts(a, i, &ca);
    rec_interval_counts(b, i, &cb);
    assert_memory_equal(&ca, &cb, sizeof(ca));
    assert_int_equal(rec_interval_transport_errors(a, i),
                     rec_interval_transport_errors(b, i));
    for (int k = 0; k < REC_LEVELS; k++) {
        hist_reset(ha);
        hist_reset(hb);
        rec_interval_lvl_lat_add(a, (enum rec_level)k, i, ha);
        rec_interval_lvl_lat_add(b, (enum rec_level)k, i, hb);
        assert_true(hist_equal(ha, hb));
    }
}

static void assert_rec_data_equal(const struct rec *a, const struct rec *b)
{
    struct rec_counts ca, cb;
    for (int p = -1; p < (int)rec_n_pops(a); p++) {
        rec_counts_get(a, p, &ca);
        rec_counts_get(b, p, &cb);
        assert_memory_equal(&ca, &cb, sizeof(ca));
    }
    for (int k = 0; k < REC_LEVELS; k++)
        assert_level_equal(a, b, (enum rec_level)k);
    if (rec_service(a) != NULL) {
        assert_true(hist_equal(rec_service(a), rec_service(b)));
        assert_true(hist_equal(rec_lag(a), rec_lag(b)));
    }
    assert_true(hist_equal(rec_tries(a), rec_tries(b)));
    int64_t ea[REC_END_COUNT], eb[REC_END_COUNT];
    rec_ends(a, ea);
    rec_ends(b, eb);
    assert_memory_equal(ea, eb, sizeof(ea));
    assert_int_equal(rec_dropped(a), rec_dropped(b));
    assert_int_equal(rec_transport_errors(a), rec_transport_errors(b));
    struct hist ha, hb;
    hist_init(&ha);
    hist_init(&hb);
    for (size_t i = 0; i < rec_n_intervals(a); i++)
        assert_interval_equal(a, b, i, &ha, &hb);
    hist_fini(&ha);
    hist_fini(&hb);
}

#endif

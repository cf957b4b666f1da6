/*
 * test_record.c - the recorder: configuration errors, counters, interval
 * assignment, warm-up exclusion, late (out-of-order) completions, gauges,
 * out-of-range latencies, memory that does not grow with requests, and
 * exact merge (shards merged == one recorder that saw everything).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tests/unit/rec_assert.h"
#include "core/stats/record.h"

#define MS 1000000LL
#define S  1000000000LL

static const char *const names3[] = { "hobbyists", "startups", "enterprise" };

static struct rec *mk(int64_t dur, int64_t ival, int64_t warm, size_t np,
                      bool live)
{
    struct rec_config cfg = { dur, ival, warm, np, names3, live };
    struct rec *r = NULL;
    assert_int_equal(rec_new(&cfg, &r), ERR_OK);
    return r;
}

/* What a percentile reports for an exact value: its bucket's highest. */
static int64_t hi(int64_t ns)
{
    return hist_index_highest(hist_index_of(ns));
}

static uint64_t mix(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* ---- configuration
 * ----------------------------------------------------------- */

struct cfg_case {
    const char *name;
    struct rec_config cfg;
    int want;
};

static const struct cfg_case cfg_cases[] = {
    { "valid", { 60 * S, S, 0, 1, NULL, false }, ERR_OK },
    { "zero duration", { 0, S, 0, 1, NULL, false }, ERR_INVAL },
    { "zero interval", { 60 * S, 0, 0, 1, NULL, false }, ERR_INVAL },
    { "negative warm-up", { 60 * S, S, -1, 1, NULL, false }, ERR_INVAL },
    { "no populations", { 60 * S, S, 0, 0, NULL, false }, ERR_INVAL },
    { "too many intervals",
      { (REC_MAX_INTERVALS + 1) * S, S, 0, 1, NULL, false },
      ERR_TOOBIG },
    { "exactly max intervals",
      { REC_MAX_INTERVALS * MS, MS, 0, 1, NULL, false },
      ERR_OK },
    { "too many populations",
      { S, S, 0, REC_MAX_POPS + 1, NULL, false },
      ERR_TOOBIG },
};

static void test_cfg_case(void **state)
{
    const struct cfg_case *c = *state;
    struct rec *r = NULL;
    assert_int_equal(rec_new(&c->cfg, &r), c->want);
    if (c->want == ERR_OK) {
        assert_non_null(r);
        assert_string_equal(rec_pop_name(r, 0), "pop0");
    }
    rec_free(r);
}

/* ---- intervals
 * ----------------------------------------------------------------- */

struct ival_case {
    const char *name;
    int64_t t_ns;
    size_t want;
};

static const struct ival_case ival_cases[] = {
    { "negative time goes to first", -5 * S, 0 },
    { "zero", 0, 0 },
    { "just before 1s", S - 1, 0 },
    { "exactly 1s", S, 1 },
    { "last interval start", 9 * S, 9 },
    { "at duration goes to last", 10 * S, 9 },
    { "far after goes to last", 1000 * S, 9 },
};

static void test_ival_case(void **state)
{
    const struct ival_case *c = *state;
    struct rec *r = mk(10 * S, S, 0, 1, false);
    assert_int_equal(rec_n_intervals(r), 10);
    assert_int_equal(rec_interval_of(r, c->t_ns), c->want);
    rec_free(r);
}

static void test_partial_last_interval(void **state)
{
    (void)state;
    struct rec *r = mk(10500 * MS, S, 0, 1, false);
    assert_int_equal(rec_n_intervals(r), 11);
    assert_int_equal(rec_n_covered(r), 11);
    rec_finish(r, 3200 * MS, false);
    assert_int_equal(rec_n_covered(r), 4);
    assert_false(rec_complete(r));
    assert_int_equal(rec_end_ns(r), 3200 * MS);
    rec_finish(r, 99 * S, true); /* clamped to duration */
    assert_int_equal(rec_end_ns(r), 10500 * MS);
    rec_free(r);
}

/* ---- counting --------------------------------------------------------------
 */

static void test_counts(void **state)
{
    (void)state;
    struct rec *r = mk(10 * S, S, 0, 2, false);
    rec_offered(r, 0, 100 * MS);
    rec_attempt(r, 0, REASON_RATE_LIMIT, 100 * MS, 100 * MS, 150 * MS);
    rec_attempt(r, 0, REASON_OK, 1200 * MS, 1200 * MS, 2100 * MS);
    rec_request(r, 0, REASON_OK, REC_END_ANSWER, 2, 100 * MS, 2100 * MS);
    rec_offered(r, 1, 1500 * MS);
    rec_attempt(r, 1, REASON_OUTAGE, 1500 * MS, 1500 * MS, 1510 * MS);
    rec_request(r, 1, REASON_OUTAGE, REC_END_ANSWER, 1, 1500 * MS, 1510 * MS);

    struct rec_counts c;
    rec_counts_get(r, -1, &c);
    assert_int_equal(c.offered, 2);
    assert_int_equal(c.outcome[REASON_OK], 1);
    assert_int_equal(c.outcome[REASON_RATE_LIMIT], 1);
    assert_int_equal(c.outcome[REASON_OUTAGE], 1);
    assert_int_equal(c.final[REASON_OK], 1);
    assert_int_equal(c.final[REASON_OUTAGE], 1);
    rec_counts_get(r, 1, &c);
    assert_int_equal(c.offered, 1);
    assert_int_equal(c.outcome[REASON_OK], 0);

    rec_interval_counts(r, 0, &c);
    assert_int_equal(c.offered, 1);
    assert_int_equal(c.outcome[REASON_RATE_LIMIT], 1);
    rec_interval_counts(r, 1, &c);
    assert_int_equal(c.offered, 1);
    assert_int_equal(c.outcome[REASON_OUTAGE], 1);
    rec_interval_counts(r, 2, &c);
    assert_int_equal(c.outcome[REASON_OK], 1);

    assert_int_equal(hist_count(rec_lat_all(r)), 3);
    assert_int_equal(hist_percentile(rec_lat(r, REASON_OK), 50), hi(900 * MS));
    assert_int_equal(hist_count(rec_pop_lat_all(r, 0)), 2);
    assert_int_equal(hist_count(rec_pop_lat_ok(r, 0)), 1);
    assert_int_equal(hist_count(rec_pop_lat_ok(r, 1)), 0);
    assert_null(rec_service(r));
    assert_null(rec_lag(r));

    struct hist h;
    hist_init(&h);
    rec_interval_lat_add(r, 1, &h);
    assert_int_equal(hist_count(&h), 1);
    assert_int_equal(hist_max(&h), hi(10 * MS));
    hist_fini(&h);
    rec_free(r);
}

static void test_warmup_excluded(void **state)
{
    (void)state;
    struct rec *r = mk(10 * S, S, 2 * S, 1, true);
    rec_offered(r, 0, 1 * S);
    rec_attempt(r, 0, REASON_OK, 1 * S, 1 * S, 1500 * MS); /* warm-up */
    rec_request(r, 0, REASON_OK, REC_END_ANSWER, 1, 1 * S, 1500 * MS);
    rec_transport_error(r, 1 * S);
    rec_offered(r, 0, 3 * S);
    rec_attempt(r, 0, REASON_OK, 3 * S, 3 * S + MS, 3 * S + 10 * MS);
    rec_request(r, 0, REASON_OK, REC_END_ANSWER, 1, 3 * S, 3 * S + 10 * MS);
    struct rec_counts c;
    rec_counts_get(r, -1, &c);
    assert_int_equal(c.offered, 1);
    assert_int_equal(c.outcome[REASON_OK], 1);
    assert_int_equal(c.final[REASON_OK], 1);
    assert_int_equal(hist_count(rec_lat_all(r)), 1);
    assert_int_equal(hist_count(rec_service(r)), 1);
    assert_int_equal(hist_max(rec_service(r)), hi(9 * MS));
    assert_int_equal(hist_max(rec_lag(r)), 1 * MS);
    assert_int_equal(rec_transport_errors(r), 0);
    /* the series keeps the warm-up */
    rec_interval_counts(r, 1, &c);
    assert_int_equal(c.offered, 1);
    assert_int_equal(c.outcome[REASON_OK], 1);
    assert_int_equal(rec_interval_transport_errors(r, 1), 1);
    rec_free(r);
}

/*
 * The two levels, worked by hand.  Three requests of population 0 over a
 * 10 s run with 1 s intervals, no warm-up:
 *   A: first intended 1.0 s; attempt 1 rate_limit at 1.1 s; the server
 *      says retry after 2 s, so attempt 2 is intended at 3.1 s and ok at
 *      3.2 s.  End to end: 3.2 - 1.0 = 2.2 s, 2 attempts.
 *   B: first intended 1.5 s, ok at 1.55 s: 50 ms, 1 attempt.
 *   C: first intended 2.0 s; outage at 2.01 s, 2.51 s and 3.51 s (backoff
 *      0.5 s, then 1 s), then no more retries: final outage at 3.51 s,
 *      1.51 s end to end, 3 attempts.
 * Attempts see at most 100 ms; the callers waited up to 2.2 s.
 */
static void test_requests(void **state)
{
    (void)state;
    struct rec *r = mk(10 * S, S, 0, 1, false);
    rec_attempt(r, 0, REASON_RATE_LIMIT, 1000 * MS, 1000 * MS, 1100 * MS);
    rec_attempt(r, 0, REASON_OK, 3100 * MS, 3100 * MS, 3200 * MS);
    assert_true(
        rec_request(r, 0, REASON_OK, REC_END_ANSWER, 2, 1000 * MS, 3200 * MS));
    rec_attempt(r, 0, REASON_OK, 1500 * MS, 1500 * MS, 1550 * MS);
    assert_true(
        rec_request(r, 0, REASON_OK, REC_END_ANSWER, 1, 1500 * MS, 1550 * MS));
    rec_attempt(r, 0, REASON_OUTAGE, 2000 * MS, 2000 * MS, 2010 * MS);
    rec_attempt(r, 0, REASON_OUTAGE, 2510 * MS, 2510 * MS, 2510 * MS);
    rec_attempt(r, 0, REASON_OUTAGE, 3510 * MS, 3510 * MS, 3510 * MS);
    assert_true(rec_request(r, 0, REASON_OUTAGE, REC_END_RETRIES, 3, 2000 * MS,
                            3510 * MS));

    /* attempt level: 6 attempts, none slower than 100 ms */
    assert_int_equal(hist_count(rec_lat_all(r)), 6);
    assert_int_equal(hist_max(rec_lat_all(r)), hi(100 * MS));
    /* request level: 3 requests, ok ones 50 ms and 2.2 s */
    const struct hist *ok = rec_lvl_lat(r, REC_REQUEST, REASON_OK);
    assert_int_equal(hist_count(rec_lvl_lat_all(r, REC_REQUEST)), 3);
    assert_int_equal(hist_count(ok), 2);
    assert_int_equal(hist_min(ok), hist_index_lowest(hist_index_of(50 * MS)));
    assert_int_equal(hist_max(ok), hi(2200 * MS));
    assert_int_equal(hist_max(rec_lvl_lat(r, REC_REQUEST, REASON_OUTAGE)),
                     hi(1510 * MS));
    assert_int_equal(hist_count(rec_lvl_pop_ok(r, REC_REQUEST, 0)), 2);
    assert_int_equal(hist_count(rec_lvl_pop_all(r, REC_REQUEST, 0)), 3);
    /* attempts per request: 1, 2, 3 (as 1, 2, 3 us) */
    assert_int_equal(hist_count(rec_tries(r)), 3);
    assert_int_equal(hist_min(rec_tries(r)), 1 * HIST_UNIT_NS);
    assert_int_equal(hist_max(rec_tries(r)), 3 * HIST_UNIT_NS);
    assert_int_equal(hist_percentile(rec_tries(r), 50), 2 * HIST_UNIT_NS);

    struct rec_counts c;
    rec_counts_get(r, -1, &c);
    assert_int_equal(c.final[REASON_OK], 2);
    assert_int_equal(c.final[REASON_OUTAGE], 1);
    /* A and B were settled by their answer; C gave up (retries spent) */
    int64_t ends[REC_END_COUNT];
    rec_ends(r, ends);
    assert_int_equal(ends[REC_END_ANSWER], 2);
    assert_int_equal(ends[REC_END_RETRIES], 1);
    assert_int_equal(ends[REC_END_RUN_ENDED], 0);
    assert_string_equal(rec_end_name(REC_END_RETRIES), "retries_exhausted");
    /* series: final outcomes where the request started (A, B in 1 s; C in
     * 2 s), request latency where it completed (B in 1 s, A and C in 3 s) */
    rec_interval_counts(r, 1, &c);
    assert_int_equal(c.final[REASON_OK], 2);
    assert_int_equal(c.final[REASON_OUTAGE], 0);
    rec_interval_counts(r, 2, &c);
    assert_int_equal(c.final[REASON_OUTAGE], 1);
    rec_interval_counts(r, 3, &c);
    assert_int_equal(c.final[REASON_OK] + c.final[REASON_OUTAGE], 0);
    struct hist h;
    hist_init(&h);
    rec_interval_lvl_lat_add(r, REC_REQUEST, 1, &h);
    assert_int_equal(hist_count(&h), 1);
    hist_reset(&h);
    rec_interval_lvl_lat_add(r, REC_REQUEST, 3, &h);
    assert_int_equal(hist_count(&h), 2);
    assert_int_equal(hist_max(&h), hi(2200 * MS));
    hist_fini(&h);

    /* out of range end to end: counted, not recorded */
    assert_false(rec_request(r, 0, REASON_OK, REC_END_ANSWER, 1, 5 * S, 4 * S));
    rec_counts_get(r, -1, &c);
    assert_int_equal(c.final[REASON_OK], 3);
    assert_int_equal(rec_dropped(r), 1);
    rec_free(r);
}

/* Requests the generator lost: counted by kind beside the final outcomes
 * (warm-up excluded like them), absent from attempts, in the series where they
 * started, added by merge, cleared by reset; names as in summary.json. */
static void test_lost(void **state)
{
    (void)state;
    struct rec *r = mk(10 * S, S, 2 * S, 2, true),
               *o = mk(10 * S, S, 2 * S, 2, true);
    assert_string_equal(rec_lost_name(REC_NOT_SENT), "not_sent");
    assert_string_equal(rec_lost_name(REC_ABANDONED_IN_FLIGHT),
                        "abandoned_in_flight");
    rec_offered(r, 0, 3 * S);
    rec_request_lost(r, 0, REC_NOT_SENT, 0, 3 * S);
    rec_offered(r, 1, 3 * S);
    rec_request_lost(r, 1, REC_ABANDONED_IN_FLIGHT, 1, 3 * S);
    rec_offered(r, 1, 1 * S);
    rec_request_lost(r, 1, REC_NOT_SENT, 0, 1 * S); /* warm-up */
    rec_offered(o, 1, 5 * S);
    rec_request_lost(o, 1, REC_NOT_SENT, 2, 5 * S);
    struct rec_counts c;
    rec_counts_get(r, -1, &c);
    assert_int_equal(c.offered, 2);
    assert_int_equal(c.lost[REC_NOT_SENT], 1);
    assert_int_equal(c.lost[REC_ABANDONED_IN_FLIGHT], 1);
    for (int x = 0; x < REASON_COUNT; x++)
        assert_int_equal(c.outcome[x] + c.final[x], 0);
    /* the series counts them where they started (warm-up included) */
    rec_interval_counts(r, 3, &c);
    assert_int_equal(c.lost[REC_NOT_SENT], 1);
    assert_int_equal(c.lost[REC_ABANDONED_IN_FLIGHT], 1);
    rec_interval_counts(r, 1, &c);
    assert_int_equal(c.lost[REC_NOT_SENT], 1);
    rec_interval_counts(r, 4, &c);
    assert_int_equal(c.lost[REC_NOT_SENT], 0);
    /* no latency (no answer); attempts per request 0 and 1 */
    assert_int_equal(hist_count(rec_lvl_lat_all(r, REC_REQUEST)), 0);
    assert_int_equal(hist_count(rec_tries(r)), 2);
    assert_int_equal(rec_merge(r, o), ERR_OK);
    rec_counts_get(r, 1, &c);
    assert_int_equal(c.lost[REC_NOT_SENT], 1);
    assert_int_equal(c.lost[REC_ABANDONED_IN_FLIGHT], 1);
    rec_reset(r);
    rec_counts_get(r, -1, &c);
    assert_int_equal(c.lost[REC_NOT_SENT] + c.lost[REC_ABANDONED_IN_FLIGHT], 0);
    rec_free(r);
    rec_free(o);
}

static void test_out_of_range(void **state)
{
    (void)state;
    struct rec *r = mk(10 * S, S, 0, 1, false);
    /* completion before intended time: negative latency */
    assert_false(rec_attempt(r, 0, REASON_OK, 5 * S, 5 * S, 4 * S));
    /* beyond the histogram range */
    assert_false(rec_attempt(r, 0, REASON_TIMEOUT, -HIST_MAX_NS - 5, 0, 5));
    assert_true(rec_attempt(r, 0, REASON_OK, 0, 0, 5 * MS));
    assert_int_equal(rec_dropped(r), 2);
    struct rec_counts c;
    rec_counts_get(r, -1, &c);
    assert_int_equal(c.outcome[REASON_OK], 2); /* still counted */
    assert_int_equal(c.outcome[REASON_TIMEOUT], 1);
    assert_int_equal(hist_count(rec_lat_all(r)), 1);
    rec_free(r);
}

static void test_gauges(void **state)
{
    (void)state;
    struct rec *a = mk(10 * S, S, 0, 1, false), *b = mk(10 * S, S, 0, 1, false);
    rec_gauge(a, REC_G_IN_FLIGHT, 100 * MS, 5);
    rec_gauge(a, REC_G_IN_FLIGHT, 900 * MS, 7); /* last wins */
    rec_gauge(a, REC_G_CREDIT_USD, 1500 * MS, 12.5);
    rec_gauge(b, REC_G_IN_FLIGHT, 500 * MS, 3);
    rec_gauge(b, REC_G_QUEUE_LEN, 500 * MS, 2);
    double g[REC_GAUGE_COUNT];
    bool set[REC_GAUGE_COUNT];
    rec_interval_gauges(a, 0, g, set);
    assert_true(g[REC_G_IN_FLIGHT] == 7 && set[REC_G_IN_FLIGHT]);
    assert_true(g[REC_G_QUEUE_LEN] == 0 && !set[REC_G_QUEUE_LEN]);
    assert_int_equal(rec_merge(a, b), ERR_OK);
    rec_interval_gauges(a, 0, g, set);
    assert_true(g[REC_G_IN_FLIGHT] == 10);
    assert_true(g[REC_G_QUEUE_LEN] == 2 && set[REC_G_QUEUE_LEN]);
    rec_interval_gauges(a, 1, g, NULL);
    assert_true(g[REC_G_CREDIT_USD] == 12.5);
    rec_free(a);
    rec_free(b);
}

/* ---- late completions
 * ---------------------------------------------------------- */

static void test_late_exact(void **state)
{
    (void)state;
    struct rec *r = mk(10 * S, S, 0, 1, false);
    struct hist want0, got;
    hist_init(&want0);
    hist_init(&got);
    rec_attempt(r, 0, REASON_OK, 0, 0, 100 * MS);
    hist_record(&want0, 100 * MS);
    rec_attempt(r, 0, REASON_OK, 1 * S, 1 * S, 5 * S);     /* moves on to 5 */
    rec_attempt(r, 0, REASON_OK, 6 * S, 6 * S, 6200 * MS); /* slot of 0 */
    assert_int_equal(rec_late(r), 0);
    rec_attempt(r, 0, REASON_OK, 0, 0, 300 * MS); /* 2 intervals late */
    rec_attempt(r, 0, REASON_OK, 0, 0, 100 * MS);
    hist_record(&want0, 300 * MS);
    hist_record(&want0, 100 * MS);
    assert_int_equal(rec_late(r), 2);
    rec_interval_lat_add(r, 0, &got);
    assert_true(hist_equal(&got, &want0));
    rec_finish(r, 10 * S, true);
    hist_reset(&got);
    rec_interval_lat_add(r, 0, &got);
    assert_true(hist_equal(&got, &want0));
    hist_reset(&got);
    rec_interval_lat_add(r, 6, &got);
    assert_int_equal(hist_count(&got), 1);
    hist_fini(&want0);
    hist_fini(&got);
    rec_free(r);
}

/* ---- memory
 * --------------------------------------------------------------------- */

/* Records per_iv attempts in each of 600 intervals with latencies from a
 * fixed set of 10 values; returns rec_bytes after finish. */
static size_t bytes_after(int per_iv)
{
    struct rec *r = mk(600 * S, S, 0, 2, false);
    uint64_t s = 1;
    for (int64_t i = 0; i < 600; i++)
        for (int k = 0; k < per_iv; k++) {
            int64_t lat = (int64_t)(mix(&s) % 10 + 1) * 7 * MS;
            int64_t done = i * S + (int64_t)k * (S / per_iv);
            rec_attempt(r, k & 1, (enum reason)(mix(&s) % REASON_COUNT),
                        done - lat, done - lat, done);
        }
    rec_finish(r, 600 * S, true);
    size_t b = rec_bytes(r);
    rec_free(r);
    return b;
}

static void test_memory_flat(void **state)
{
    (void)state;
    size_t small = bytes_after(200), large = bytes_after(800);
    /* 4x the requests: the same buckets, only counts that need one more
     * varint byte (at most one per bucket per interval) */
    assert_true(small <= large && large <= small + 600 * 10);
    /* 600 intervals: dense histograms (fixed) + a row of counters (at
     * most SCN_REC_ROW_BYTES) + <= 10 buckets x <= 4 bytes per interval */
    size_t fixed =
        (REC_LEVELS * (2 + 2 * 2 + REASON_COUNT + 1) + 1) * HIST_COUNTS_LEN *
            8 +
        REC_LEVELS * 2 * HIST_COUNTS_LEN * 4; /* the slots' touched lists */
    assert_true(large - fixed < 600 * (SCN_REC_ROW_BYTES + 10 * 4) + 4096);
}

/* ---- merge
 * -------------------------------------------------------------------- */

static void assert_rec_equal(const struct rec *a, const struct rec *b)
{
    assert_rec_data_equal(a, b);
}

/* A reproducible event stream; sorted = completions in time order. */
static void feed(struct rec **shards, size_t n_shards, struct rec *all,
                 bool sorted)
{
    uint64_t s = 12345;
    /* unsorted: nearly every completion is late, each costing a decode of
     * its interval's packed buckets; fewer events keep the test fast */
    const int n = sorted ? 20000 : 3000;
    for (int k = 0; k < n; k++) {
        int pop = (int)(mix(&s) % 3);
        size_t shard = mix(&s) % n_shards;
        enum reason o = (mix(&s) % 3 == 0)
                            ? REASON_OK
                            : (enum reason)(mix(&s) % REASON_COUNT);
        int64_t intended =
            sorted ? (int64_t)k * (60 * S / n) : (int64_t)(mix(&s) % (60 * S));
        int64_t sent = intended + (int64_t)(mix(&s) % (5 * MS));
        int64_t done = sent + (int64_t)(mix(&s) % (3 * S));
        struct rec *targets[2] = { shards[shard], all };
        for (int t = 0; t < 2; t++) {
            rec_offered(targets[t], pop, intended);
            rec_attempt(targets[t], pop, o, intended, sent, done);
            rec_request(targets[t], pop, o, (enum rec_end)(k % REC_END_COUNT),
                        1 + k % 3, intended, done);
            if (k % 97 == 0)
                rec_transport_error(targets[t], done);
        }
    }
}

static void merge_case(bool sorted, bool finish_first)
{
    struct rec *sh[3], *all = mk(60 * S, S, 5 * S, 3, true);
    for (int i = 0; i < 3; i++)
        sh[i] = mk(60 * S, S, 5 * S, 3, true);
    feed(sh, 3, all, sorted);
    struct rec *merged = mk(60 * S, S, 5 * S, 3, true);
    for (int i = 0; i < 3; i++) {
        if (finish_first)
            rec_finish(sh[i], 60 * S, true);
        assert_int_equal(rec_merge(merged, sh[i]), ERR_OK);
    }
    assert_rec_equal(merged, all);
    rec_finish(merged, 60 * S, true);
    rec_finish(all, 60 * S, true);
    assert_rec_equal(merged, all);
    for (int i = 0; i < 3; i++)
        rec_free(sh[i]);
    rec_free(merged);
    rec_free(all);
}

static void test_merge_sorted(void **state)
{
    (void)state;
    merge_case(true, false);
}

static void test_merge_unsorted_finished(void **state)
{
    (void)state;
    merge_case(false, true);
}

/* Summary histograms read in the middle of recording (which folds the
 * staged per-population, per-outcome counts into them) hold every attempt
 * so far, and recording on afterwards ends exactly where a recorder read
 * only at the end does.  Direct check of the views against histograms
 * filled by hand. */
static void test_summary_read_midway(void **state)
{
    (void)state;
    struct rec *a = mk(100 * S, S, 10 * S, 3, false);
    struct rec *b = mk(100 * S, S, 10 * S, 3, false);
    struct hist all, ok1, den0;
    hist_init(&all);
    hist_init(&ok1);
    hist_init(&den0);
    uint64_t s = 7;
    for (int k = 0; k < 5000; k++) {
        int pop = (int)(mix(&s) % 3);
        enum reason o = mix(&s) % 2 ? REASON_OK : REASON_RATE_LIMIT;
        int64_t done = (int64_t)k * (100 * S / 5000);
        int64_t lat = (int64_t)(mix(&s) % 5000) * MS;
        rec_attempt(a, pop, o, done - lat, done - lat, done);
        rec_attempt(b, pop, o, done - lat, done - lat, done);
        if (done >= 10 * S) {
            hist_record(&all, lat);
            if (pop == 1 && o == REASON_OK)
                hist_record(&ok1, lat);
            if (pop == 0)
                hist_record(&den0, o == REASON_OK ? -1 : lat);
        }
        if (k % 700 == 0) {
            assert_true(hist_equal(rec_lat_all(a), &all));
            assert_true(hist_equal(rec_pop_lat_ok(a, 1), &ok1));
        }
    }
    assert_true(hist_equal(rec_lat_all(a), &all));
    assert_int_equal(hist_count(rec_lat(b, REASON_OK)) +
                         hist_count(rec_lat(b, REASON_RATE_LIMIT)),
                     hist_count(&all));
    struct hist pop0_denied;
    hist_init(&pop0_denied);
    hist_merge(&pop0_denied, rec_pop_lat_all(a, 0));
    hist_merge(&den0, rec_pop_lat_ok(a, 0));
    assert_true(hist_equal(&pop0_denied, &den0));
    rec_finish(a, 100 * S, true);
    rec_finish(b, 100 * S, true);
    assert_rec_equal(a, b);
    hist_fini(&pop0_denied);
    hist_fini(&all);
    hist_fini(&ok1);
    hist_fini(&den0);
    rec_free(a);
    rec_free(b);
}

static void test_merge_mismatch(void **state)
{
    (void)state;
    struct rec *a = mk(60 * S, S, 0, 3, false);
    struct rec *b = mk(60 * S, 2 * S, 0, 3, false);
    struct rec *c = mk(60 * S, S, 0, 2, false);
    struct rec *d = mk(60 * S, S, 0, 3, true);
    struct rec_config cfg = { 60 * S, S, 0, 3, NULL, false };
    struct rec *e = NULL;
    assert_int_equal(rec_new(&cfg, &e), ERR_OK); /* names pop0.. */
    assert_int_equal(rec_merge(a, b), ERR_INVAL);
    assert_int_equal(rec_merge(a, c), ERR_INVAL);
    assert_int_equal(rec_merge(a, d), ERR_INVAL);
    assert_int_equal(rec_merge(a, e), ERR_INVAL);
    rec_finish(b, 30 * S, false);
    rec_free(a);
    rec_free(b);
    rec_free(c);
    rec_free(d);
    rec_free(e);
}

static void test_merge_end_and_complete(void **state)
{
    (void)state;
    struct rec *a = mk(60 * S, S, 0, 1, false), *b = mk(60 * S, S, 0, 1, false);
    rec_finish(a, 30 * S, true);
    rec_finish(b, 40 * S, false);
    assert_int_equal(rec_merge(a, b), ERR_OK);
    assert_int_equal(rec_end_ns(a), 40 * S);
    assert_false(rec_complete(a));
    rec_free(a);
    rec_free(b);
}

static void test_reset(void **state)
{
    (void)state;
    struct rec *r = mk(60 * S, S, 0, 3, true),
               *fresh = mk(60 * S, S, 0, 3, true);
    struct rec *sh[1] = { r };
    struct rec *scratch = mk(60 * S, S, 0, 3, true);
    feed(sh, 1, scratch, false);
    rec_finish(r, 10 * S, false);
    rec_reset(r);
    assert_rec_equal(r, fresh);
    assert_true(rec_complete(r));
    assert_int_equal(rec_end_ns(r), 60 * S);
    rec_free(r);
    rec_free(fresh);
    rec_free(scratch);
    rec_free(NULL);
}

#define N_CFG  (sizeof(cfg_cases) / sizeof(cfg_cases[0]))
#define N_IVAL (sizeof(ival_cases) / sizeof(ival_cases[0]))

int main(void)
{
    struct CMUnitTest tests[N_CFG + N_IVAL + 16];
    size_t n = 0;
    for (size_t i = 0; i < N_CFG; i++)
        tests[n++] = (struct CMUnitTest){ cfg_cases[i].name, test_cfg_case,
                                          NULL, NULL, (void *)&cfg_cases[i] };
    for (size_t i = 0; i < N_IVAL; i++)
        tests[n++] = (struct CMUnitTest){ ival_cases[i].name, test_ival_case,
                                          NULL, NULL, (void *)&ival_cases[i] };
    const struct CMUnitTest fixed[] = {
        cmocka_unit_test(test_partial_last_interval),
        cmocka_unit_test(test_counts),
        cmocka_unit_test(test_warmup_excluded),
        cmocka_unit_test(test_requests),
        cmocka_unit_test(test_lost),
        cmocka_unit_test(test_out_of_range),
        cmocka_unit_test(test_gauges),
        cmocka_unit_test(test_late_exact),
        cmocka_unit_test(test_memory_flat),
        cmocka_unit_test(test_merge_sorted),
        cmocka_unit_test(test_merge_unsorted_finished),
        cmocka_unit_test(test_merge_mismatch),
        cmocka_unit_test(test_summary_read_midway),
        cmocka_unit_test(test_merge_end_and_complete),
        cmocka_unit_test(test_reset),
    };
    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
        tests[n++] = fixed[i];
    return _cmocka_run_group_tests("record", tests, n, NULL, NULL);
}

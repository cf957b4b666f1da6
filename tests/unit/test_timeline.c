/*
 * test_timeline.c - the occurrence rules of scenario events shared by sim
 * and serve (core/timeline.h): which kinds last, first start, length and
 * restart gap, with the exact draws (and only those) from the caller's
 * stream.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/scenario.h"
#include "core/timeline.h"

#define S 1000000000LL

static struct scn_event event(enum scn_event_kind k, enum scn_event_timing t)
{
    struct scn_event e;
    scn_event_init(&e);
    e.kind = k;
    e.timing = t;
    e.at_ns = 20 * S;
    e.for_ns = 5 * S;
    e.every_ns = 60 * S;
    e.mtbf_ns = 3600 * S;
    e.mttr = (struct dist){ DIST_CONST, 7e9, 0 };
    return e;
}

struct lasts_case {
    const char *name;
    enum scn_event_kind kind;
    enum scn_event_timing timing;
    bool lasts;
};

static const struct lasts_case lasts_cases[] = {
    { "outage lasts", EV_OUTAGE, EVT_ONCE, true },
    { "maintenance lasts", EV_MAINTENANCE, EVT_EVERY, true },
    { "upgrade lasts", EV_UPGRADE, EVT_ONCE, true },
    { "suspend lasts", EV_SUSPEND, EVT_ONCE, true },
    { "suspend_feature lasts", EV_SUSPEND_FEATURE, EVT_ONCE, true },
    { "ban acts once", EV_BAN, EVT_ONCE, false },
    { "revoke_keys acts once", EV_REVOKE_KEYS, EVT_EVERY, false },
    { "block_region acts once", EV_BLOCK_REGION, EVT_ONCE, false },
    { "unblock_region acts once", EV_UNBLOCK_REGION, EVT_ONCE, false },
    { "revoke_permission acts once", EV_REVOKE_PERMISSION, EVT_ONCE, false },
    { "billing_failure acts once", EV_BILLING_FAILURE, EVT_ONCE, false },
    { "set_limit acts once", EV_SET_LIMIT, EVT_ONCE, false },
    { "random ban lasts mttr", EV_BAN, EVT_RANDOM, true },
};

static void test_lasts(void **state)
{
    const struct lasts_case *c = *state;
    struct scn_event e = event(c->kind, c->timing);
    assert_int_equal(timeline_lasts(&e), c->lasts);
}

/* Fixed times draw nothing from the stream. */
static void test_fixed(void **state)
{
    (void)state;
    struct rng r, before;
    rng_init(&r, 7, 0, RNG_EVENTS);
    before = r;
    struct scn_event e = event(EV_OUTAGE, EVT_ONCE);
    assert_int_equal(timeline_first_ns(&e, &r), 20 * S);
    assert_int_equal(timeline_length_ns(&e, &r), 5 * S);
    assert_int_equal(timeline_gap_ns(&e, &r), -1);
    e.timing = EVT_EVERY;
    assert_int_equal(timeline_first_ns(&e, &r), 20 * S);
    assert_int_equal(timeline_gap_ns(&e, &r), -1);
    e.for_ns = 0; /* open-ended */
    assert_int_equal(timeline_length_ns(&e, &r), 0);
    assert_memory_equal(&r, &before, sizeof(r));
}

/* random: one exponential draw per start and per gap, -mean ln(u) rounded
 * to the ns, and the mttr draw for the length. */
static void test_random(void **state)
{
    (void)state;
    struct rng r, ref;
    rng_init(&r, 7, 0, RNG_EVENTS);
    ref = r;
    struct scn_event e = event(EV_OUTAGE, EVT_RANDOM);
    int64_t want = llround(-(double)e.mtbf_ns * log(rng_double(&ref)));
    assert_int_equal(timeline_first_ns(&e, &r), want);
    assert_int_equal(timeline_length_ns(&e, &r), 7 * S);
    (void)dist_sample_nonneg(&e.mttr, &ref);
    want = llround(-(double)e.mtbf_ns * log(rng_double(&ref)));
    assert_int_equal(timeline_gap_ns(&e, &r), want);
    assert_true(want > 0);
    assert_memory_equal(&r, &ref, sizeof(r));
}

/* random: with no mtbf never starts and never restarts, drawing nothing. */
static void test_random_never(void **state)
{
    (void)state;
    struct rng r, before;
    rng_init(&r, 7, 0, RNG_EVENTS);
    before = r;
    struct scn_event e = event(EV_MAINTENANCE, EVT_RANDOM);
    e.mtbf_ns = 0;
    assert_int_equal(timeline_first_ns(&e, &r), -1);
    assert_int_equal(timeline_gap_ns(&e, &r), -1);
    assert_memory_equal(&r, &before, sizeof(r));
    e.mttr = (struct dist){ DIST_NORMAL, -5e9, 0 };
    assert_int_equal(timeline_length_ns(&e, &r), 0); /* never negative */
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

int main(void)
{
    struct CMUnitTest tests[N(lasts_cases) + 3];
    size_t n = 0;
    for (size_t i = 0; i < N(lasts_cases); i++)
        tests[n++] = (struct CMUnitTest){ lasts_cases[i].name, test_lasts, NULL,
                                          NULL, (void *)&lasts_cases[i] };
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_fixed);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_random);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_random_never);
    return _cmocka_run_group_tests("timeline", tests, n, NULL, NULL);
}

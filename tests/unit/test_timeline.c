/*
 * test_timeline.c - the occurrence rules of scenario events shared by sim
 * and serve (core/model/timeline.h): which kinds last, first start, length and
 * restart gap, with the exact draws (and only those) from the caller's
 * stream; then the occurrence log and its scheduling: worked rows for a
 * small timeline, the end of the run, open-ended timelines, late timers,
 * and that an engine interleaving every event's starts and ends in time
 * order logs exactly what timeline_expand predicts.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/scenario/scenario.h"
#include "core/model/timeline.h"

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
    assert_int_equal(scn_event_lasts(&e), c->lasts);
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

/* ---- the occurrence log ------------------------------------------------ */

/*
 * A minimal engine: pending (time, what, event) entries kept sorted by
 * time, ties in the order they were asked for -- the order sim's event
 * queue gives them.  It handles every event's starts and ends interleaved
 * in one time line, as sim and serve do.
 */
struct ask {
    int64_t t;
    enum timeline_what what;
    uint32_t ev;
    uint64_t seq;
};

struct engine {
    struct ask v[4096];
    size_t n;
    uint64_t seq;
};

static void engine_at(void *arg, int64_t t_ns, enum timeline_what what,
                      uint32_t ev)
{
    struct engine *e = arg;
    assert_true(e->n < 4096);
    size_t i = e->n++;
    while (i > 0 && e->v[i - 1].t > t_ns) { /* stable: after equal times */
        e->v[i] = e->v[i - 1];
        i--;
    }
    e->v[i] = (struct ask){ t_ns, what, ev, e->seq++ };
}

static void engine_run(struct engine *e, struct timeline *tl)
{
    timeline_schedule(tl);
    while (e->n > 0) {
        struct ask a = e->v[0];
        memmove(&e->v[0], &e->v[1], (e->n - 1) * sizeof(e->v[0]));
        e->n--;
        if (a.what == TIMELINE_START)
            timeline_begin(tl, a.ev, a.t, a.t);
        else
            timeline_finish(tl, a.ev, a.t);
    }
}

static struct scn_event evs[4];
static struct scenario sc;

/* 0: outage at 20 s for 5 s; 1: maintenance every 60 s from 10 s for 2 s;
 * 2: a ban at 30 s (acts once); 3: a random outage, mtbf 100 s, mttr 7 s. */
static void build(void)
{
    memset(&sc, 0, sizeof(sc));
    evs[0] = event(EV_OUTAGE, EVT_ONCE);
    evs[1] = event(EV_MAINTENANCE, EVT_EVERY);
    evs[1].at_ns = 10 * S;
    evs[1].for_ns = 2 * S;
    evs[2] = event(EV_BAN, EVT_ONCE);
    evs[2].at_ns = 30 * S;
    evs[2].fraction = 0.05;
    evs[3] = event(EV_OUTAGE, EVT_RANDOM);
    evs[3].mtbf_ns = 100 * S;
    sc.events = evs;
    sc.n_events = 4;
}

struct want_row {
    int64_t start_s, end_s;
    uint32_t ev;
};

/* The fixed events over 600 s, by hand: the outage [20, 25); maintenance
 * at 10 + 60k for k = 0..9, 2 s each; the ban at 30 (end = start). */
static const struct want_row fixed_rows[] = {
    { 10, 12, 1 },   { 20, 25, 0 },   { 30, 30, 2 },   { 70, 72, 1 },
    { 130, 132, 1 }, { 190, 192, 1 }, { 250, 252, 1 }, { 310, 312, 1 },
    { 370, 372, 1 }, { 430, 432, 1 }, { 490, 492, 1 }, { 550, 552, 1 },
};

static void test_log_fixed(void **state)
{
    (void)state;
    build();
    sc.n_events = 3; /* the fixed ones */
    struct engine e = { .n = 0 };
    struct timeline tl;
    timeline_init(&tl, &sc, 42, 600 * S, engine_at, &e);
    engine_run(&e, &tl);
    assert_int_equal(tl.n_rows, N(fixed_rows));
    timeline_sort_rows(tl.rows, tl.n_rows);
    for (size_t i = 0; i < N(fixed_rows); i++) {
        assert_int_equal(tl.rows[i].start_ns, fixed_rows[i].start_s * S);
        assert_int_equal(tl.rows[i].end_ns, fixed_rows[i].end_s * S);
        assert_int_equal(tl.rows[i].ev, fixed_rows[i].ev);
    }
    assert_string_equal(tl.rows[2].label, "all 5%");
    timeline_fini(&tl);
}

/* An occurrence that would end after the run ends with it, and no end is
 * asked for; open-ended (for: 0) lasts to the end; with an open-ended
 * timeline (serve) both stay INT64_MAX. */
static void test_log_end(void **state)
{
    (void)state;
    build();
    evs[0].at_ns = 590 * S;
    evs[0].for_ns = 30 * S;
    evs[1] = event(EV_OUTAGE, EVT_ONCE);
    evs[1].at_ns = 100 * S;
    evs[1].for_ns = 0;
    sc.n_events = 2;
    struct engine e = { .n = 0 };
    struct timeline tl;
    timeline_init(&tl, &sc, 42, 600 * S, engine_at, &e);
    engine_run(&e, &tl);
    assert_int_equal(tl.n_rows, 2);
    assert_int_equal(tl.rows[0].start_ns, 100 * S);
    assert_int_equal(tl.rows[0].end_ns, 600 * S);
    assert_int_equal(tl.rows[1].start_ns, 590 * S);
    assert_int_equal(tl.rows[1].end_ns, 600 * S);
    timeline_fini(&tl);

    timeline_init(&tl, &sc, 42, INT64_MAX, engine_at, &e);
    timeline_begin(&tl, 1, 100 * S, 100 * S);
    assert_int_equal(e.n, 0); /* no end to ask for */
    assert_int_equal(tl.rows[0].end_ns, INT64_MAX);
    timeline_fini(&tl);
}

/* A timer that fires late begins the occurrence when it fires, but its
 * end and the next every: start stay on the grid (due + for, due +
 * every); a random: event's next start counts its gap from when its end
 * was due. */
static void test_log_late(void **state)
{
    (void)state;
    build();
    struct engine e = { .n = 0 };
    struct timeline tl;
    timeline_init(&tl, &sc, 42, 600 * S, engine_at, &e);
    timeline_begin(&tl, 1, 10 * S, 10 * S + 3000000);
    assert_int_equal(tl.rows[0].start_ns, 10 * S + 3000000);
    assert_int_equal(tl.rows[0].end_ns, 12 * S); /* due + 2 s */
    assert_int_equal(e.n, 2);
    assert_int_equal(e.v[0].t, 12 * S); /* its end */
    assert_int_equal(e.v[0].what, TIMELINE_END);
    assert_int_equal(e.v[1].t, 70 * S); /* the next start */
    assert_int_equal(e.v[1].what, TIMELINE_START);
    timeline_fini(&tl);

    e.n = 0;
    timeline_init(&tl, &sc, 42, 3600 * S, engine_at, &e);
    struct rng ref;
    rng_init(&ref, 42, TIMELINE_STREAM + 3, RNG_EVENTS);
    int64_t gap = llround(-(double)evs[3].mtbf_ns * log(rng_double(&ref)));
    timeline_finish(&tl, 3, 50 * S); /* fired at, say, 50.004 s */
    assert_int_equal(e.n, 1);
    assert_int_equal(e.v[0].t, 50 * S + gap);
    timeline_fini(&tl);
}

/* The engine's interleaved log, sorted, equals the dry expansion, random
 * event included; and a random event's occurrences do not depend on the
 * other events (its draws come from its own stream). */
static void test_expand_matches_engine(void **state)
{
    (void)state;
    build();
    struct engine e = { .n = 0 };
    struct timeline tl;
    timeline_init(&tl, &sc, 9, 3600 * S, engine_at, &e);
    engine_run(&e, &tl);
    size_t n = 0;
    struct timeline_row *rows = timeline_expand(&sc, 9, 3600 * S, &n);
    timeline_sort_rows(tl.rows, tl.n_rows);
    assert_int_equal(n, tl.n_rows);
    size_t randoms = 0;
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(rows[i].start_ns, tl.rows[i].start_ns);
        assert_int_equal(rows[i].end_ns, tl.rows[i].end_ns);
        assert_int_equal(rows[i].ev, tl.rows[i].ev);
        assert_string_equal(rows[i].label, tl.rows[i].label);
        randoms += rows[i].ev == 3;
    }
    assert_true(randoms >= 10); /* ~36 expected over an hour */
    timeline_fini(&tl);

    /* only the random event, at index 3 still: the same occurrences */
    evs[0].at_ns = evs[1].at_ns = evs[2].at_ns = INT64_MAX;
    size_t n2 = 0;
    struct timeline_row *alone = timeline_expand(&sc, 9, 3600 * S, &n2);
    assert_int_equal(n2, randoms);
    for (size_t i = 0, k = 0; i < n; i++) {
        if (rows[i].ev != 3)
            continue;
        assert_int_equal(alone[k].start_ns, rows[i].start_ns);
        assert_int_equal(alone[k].end_ns, rows[i].end_ns);
        k++;
    }
    free(alone);
    free(rows);
}

int main(void)
{
    struct CMUnitTest tests[N(lasts_cases) + 7];
    size_t n = 0;
    for (size_t i = 0; i < N(lasts_cases); i++)
        tests[n++] = (struct CMUnitTest){ lasts_cases[i].name, test_lasts, NULL,
                                          NULL, (void *)&lasts_cases[i] };
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_fixed);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_random);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_random_never);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_log_fixed);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_log_end);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_log_late);
    tests[n++] =
        (struct CMUnitTest)cmocka_unit_test(test_expand_matches_engine);
    return _cmocka_run_group_tests("timeline", tests, n, NULL, NULL);
}

/*
 * test_evq.c - the event queue pops in (time_ns, seq) order: time first,
 * FIFO among equal times, across growth, interleaved push/pop (the hold
 * model of a running simulation) and against a reference sort.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "core/rng.h"
#include "sim/evq.h"

struct order_case {
    const char *name;
    int64_t times[8]; /* pushed in this order, data = push index */
    size_t n;
    uint64_t want_data[8]; /* pop order */
};

static const struct order_case cases[] = {
    { "single", { 5 }, 1, { 0 } },
    { "ascending", { 1, 2, 3 }, 3, { 0, 1, 2 } },
    { "descending", { 3, 2, 1 }, 3, { 2, 1, 0 } },
    { "equal times are FIFO", { 7, 7, 7, 7 }, 4, { 0, 1, 2, 3 } },
    { "ties among others", { 5, 1, 5, 0, 5, 1 }, 6, { 3, 1, 5, 0, 2, 4 } },
    { "negative and zero", { 0, -3, 2, -3 }, 4, { 1, 3, 0, 2 } },
    { "int64 extremes", { INT64_MAX, INT64_MIN, 0 }, 3, { 1, 2, 0 } },
};

#define N_CASES (sizeof(cases) / sizeof(cases[0]))

static void test_order_case(void **state)
{
    const struct order_case *c = *state;
    struct evq q;
    evq_init(&q, 0);
    for (size_t i = 0; i < c->n; i++)
        assert_int_equal(evq_push(&q, c->times[i], 1, 2, i), i);
    assert_int_equal(evq_len(&q), c->n);
    for (size_t i = 0; i < c->n; i++) {
        struct evq_event ev;
        assert_true(evq_pop(&q, &ev));
        assert_int_equal(ev.data, c->want_data[i]);
        assert_int_equal(ev.kind, 1);
        assert_int_equal(ev.arg, 2);
        assert_int_equal(ev.time_ns, c->times[ev.data]);
    }
    struct evq_event ev = { .data = 99 };
    assert_false(evq_pop(&q, &ev));
    assert_int_equal(ev.data, 99); /* untouched when empty */
    assert_null(evq_peek(&q));
    evq_fini(&q);
}

static int cmp_event(const void *pa, const void *pb)
{
    const struct evq_event *a = pa, *b = pb;
    if (a->time_ns != b->time_ns)
        return a->time_ns < b->time_ns ? -1 : 1;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* 20000 random times from a small range (many ties), pushed through
 * several doublings, must pop exactly as qsort orders (time, seq). */
static void test_matches_sort(void **state)
{
    (void)state;
    enum { N = 20000 };
    struct evq_event *ref = malloc(N * sizeof(*ref));
    struct rng r;
    rng_init(&r, 5, 0, RNG_EVENTS);
    struct evq q;
    evq_init(&q, 1);
    for (uint64_t i = 0; i < N; i++) {
        int64_t t = (int64_t)rng_below(&r, 500);
        uint64_t seq = evq_push(&q, t, 0, 0, i);
        ref[i] = (struct evq_event){ t, seq, 0, 0, i };
    }
    qsort(ref, N, sizeof(*ref), cmp_event);
    for (size_t i = 0; i < N; i++) {
        const struct evq_event *top = evq_peek(&q);
        assert_non_null(top);
        assert_int_equal(top->data, ref[i].data);
        struct evq_event ev;
        assert_true(evq_pop(&q, &ev));
        assert_int_equal(ev.data, ref[i].data);
        assert_int_equal(ev.seq, ref[i].seq);
    }
    assert_int_equal(evq_len(&q), 0);
    evq_fini(&q);
    free(ref);
}

/* The hold model: pop the earliest, push it back later.  Popped times
 * never decrease, and equal-time events keep FIFO order. */
static void test_hold_model_monotone(void **state)
{
    (void)state;
    struct rng r;
    rng_init(&r, 9, 0, RNG_EVENTS);
    struct evq q;
    evq_init(&q, 16);
    for (uint64_t i = 0; i < 1000; i++)
        evq_push(&q, (int64_t)rng_below(&r, 100), 0, 0, i);
    int64_t last_t = INT64_MIN;
    uint64_t last_seq = 0;
    for (int i = 0; i < 100000; i++) {
        struct evq_event ev;
        assert_true(evq_pop(&q, &ev));
        assert_true(ev.time_ns >= last_t);
        if (ev.time_ns == last_t)
            assert_true(ev.seq > last_seq);
        last_t = ev.time_ns;
        last_seq = ev.seq;
        evq_push(&q, ev.time_ns + (int64_t)rng_below(&r, 3), 0, 0, ev.data);
    }
    assert_int_equal(evq_len(&q), 1000);
    evq_fini(&q);
}

static void test_fini_null_and_reinit(void **state)
{
    (void)state;
    evq_fini(NULL);
    struct evq q;
    evq_init(&q, 4);
    evq_push(&q, 1, 0, 0, 0);
    evq_fini(&q);
    assert_int_equal(evq_len(&q), 0);
    evq_init(&q, 4);
    assert_int_equal(evq_push(&q, 3, 0, 0, 0), 0); /* seq restarts */
    evq_fini(&q);
}

int main(void)
{
    struct CMUnitTest tests[N_CASES + 3];
    for (size_t i = 0; i < N_CASES; i++)
        tests[i] = (struct CMUnitTest){ cases[i].name, test_order_case, NULL,
                                        NULL, (void *)&cases[i] };
    tests[N_CASES] = (struct CMUnitTest)cmocka_unit_test(test_matches_sort);
    tests[N_CASES + 1] =
        (struct CMUnitTest)cmocka_unit_test(test_hold_model_monotone);
    tests[N_CASES + 2] =
        (struct CMUnitTest)cmocka_unit_test(test_fini_null_and_reinit);
    return cmocka_run_group_tests(tests, NULL, NULL);
}

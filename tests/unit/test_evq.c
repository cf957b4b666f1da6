/*
 * test_evq.c - the event queue pops in (time_ns, seq) order: time first,
 * FIFO among equal times, across growth, interleaved push/pop (the hold
 * model of a running simulation) and against a reference sort.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "core/base/rng.h"
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
        assert_int_equal(top->seq, ref[i].seq);
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

/* Random pushes and pops against a linear-scan reference: every field of
 * every popped event must be the one pushed, in (time, seq) order.  The
 * delays change scale every 5000 operations (ns ties, microseconds, hours,
 * a mix spanning 2^45 ns), and some events are pushed before the last pop,
 * so any queue structure that depends on time scales (bucket widths,
 * horizons) is exercised in every regime. */
struct interleave_case {
    const char *name;
    unsigned max_bits[6]; /* delay < 2^bits, one phase each */
    bool mixed;           /* each delay picks its own scale below max */
};

static const struct interleave_case interleave_cases[] = {
    { "ties and nanoseconds", { 5, 5, 5, 5, 5, 5 }, false },
    { "scale changes", { 6, 22, 40, 12, 45, 3 }, false },
    { "mixed scales", { 45, 45, 30, 45, 20, 45 }, true },
};

static void test_interleaved_against_reference(void **state)
{
    const struct interleave_case *c = *state;
    enum { OPS = 30000, MAX_PENDING = 700 };
    struct evq_event *ref = malloc(MAX_PENDING * sizeof(*ref));
    size_t n_ref = 0;
    struct rng r;
    rng_init(&r, 11, 0, RNG_EVENTS);
    struct evq q;
    evq_init(&q, 1);
    int64_t now = 0;
    for (uint64_t op = 0; op < OPS; op++) {
        bool push =
            n_ref == 0 || (n_ref < MAX_PENDING && rng_below(&r, 100) < 55);
        if (push) {
            unsigned bits = c->max_bits[op / 5000];
            if (c->mixed)
                bits = (unsigned)rng_below(&r, bits + 1);
            int64_t t = now + (int64_t)rng_below(&r, (uint64_t)1 << bits);
            if (rng_below(&r, 50) == 0) /* before the last pop: allowed */
                t -= (int64_t)rng_below(&r, 1000);
            uint32_t kind = (uint32_t)rng_below(&r, 8);
            uint32_t arg = (uint32_t)rng_below(&r, 1u << 30);
            uint64_t seq = evq_push(&q, t, kind, arg, op * 7 + 1);
            ref[n_ref++] = (struct evq_event){ t, seq, kind, arg, op * 7 + 1 };
            continue;
        }
        size_t m = 0;
        for (size_t k = 1; k < n_ref; k++)
            if (cmp_event(&ref[k], &ref[m]) < 0)
                m = k;
        struct evq_event ev;
        assert_true(evq_pop(&q, &ev));
        assert_int_equal(ev.time_ns, ref[m].time_ns);
        assert_int_equal(ev.seq, ref[m].seq);
        assert_int_equal(ev.kind, ref[m].kind);
        assert_int_equal(ev.arg, ref[m].arg);
        assert_int_equal(ev.data, ref[m].data);
        now = ev.time_ns;
        ref[m] = ref[--n_ref];
        assert_int_equal(evq_len(&q), n_ref);
    }
    evq_fini(&q);
    free(ref);
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
    enum { N_IL = sizeof(interleave_cases) / sizeof(interleave_cases[0]) };
    struct CMUnitTest tests[N_CASES + 3 + N_IL];
    for (size_t i = 0; i < N_CASES; i++)
        tests[i] = (struct CMUnitTest){ cases[i].name, test_order_case, NULL,
                                        NULL, (void *)&cases[i] };
    tests[N_CASES] = (struct CMUnitTest)cmocka_unit_test(test_matches_sort);
    tests[N_CASES + 1] =
        (struct CMUnitTest)cmocka_unit_test(test_hold_model_monotone);
    tests[N_CASES + 2] =
        (struct CMUnitTest)cmocka_unit_test(test_fini_null_and_reinit);
    for (size_t i = 0; i < N_IL; i++)
        tests[N_CASES + 3 + i] =
            (struct CMUnitTest){ interleave_cases[i].name,
                                 test_interleaved_against_reference, NULL, NULL,
                                 (void *)&interleave_cases[i] };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

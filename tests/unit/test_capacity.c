/*
 * test_capacity.c - the admission rule step by step: scripted sequences of
 * arrivals, releases, polls and capacity changes with the exact expected
 * result of each step, plus init errors and service-time sampling.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/model/capacity.h"
#include "core/base/err.h"

enum op { ADMIT, RELEASE, POLL, FACTOR, END };

struct step {
    enum op op;
    int64_t t_ns;  /* ADMIT, POLL */
    uint64_t tag;  /* ADMIT: tag given; POLL: tag expected */
    int want;      /* ADMIT: enum capacity_admit; POLL: enum capacity_step */
    double factor; /* FACTOR */
    int64_t want_busy, want_queued;
};

struct cap_case {
    const char *name;
    int64_t servers, queue, timeout_ns;
    struct step steps[16];
};

#define A(t, tag, want, b, q)                                                  \
    {                                                                          \
        ADMIT, t, tag, want, 0, b, q                                           \
    }
#define R(b, q)                                                                \
    {                                                                          \
        RELEASE, 0, 0, 0, 0, b, q                                              \
    }
#define P(t, tag, want, b, q)                                                  \
    {                                                                          \
        POLL, t, tag, want, 0, b, q                                            \
    }
#define F(f, b, q)                                                             \
    {                                                                          \
        FACTOR, 0, 0, 0, f, b, q                                               \
    }
#define END_STEPS                                                              \
    {                                                                          \
        END, 0, 0, 0, 0, 0, 0                                                  \
    }

static const struct cap_case cases[] = {
    { "unlimited always starts",
      CAPACITY_UNLIMITED,
      0,
      0,
      { A(0, 1, CAPACITY_STARTED, 1, 0), A(0, 2, CAPACITY_STARTED, 2, 0),
        A(0, 3, CAPACITY_STARTED, 3, 0), F(0.5, 3, 0),
        A(0, 4, CAPACITY_STARTED, 4, 0), R(3, 0), END_STEPS } },
    { "loss system: queue 0 rejects when busy",
      2,
      0,
      0,
      { A(0, 1, CAPACITY_STARTED, 1, 0), A(1, 2, CAPACITY_STARTED, 2, 0),
        A(2, 3, CAPACITY_REJECTED, 2, 0), R(1, 0),
        A(3, 4, CAPACITY_STARTED, 2, 0), END_STEPS } },
    { "queue fills then rejects",
      1,
      2,
      0,
      { A(0, 1, CAPACITY_STARTED, 1, 0), A(0, 2, CAPACITY_QUEUED, 1, 1),
        A(0, 3, CAPACITY_QUEUED, 1, 2), A(0, 4, CAPACITY_REJECTED, 1, 2),
        END_STEPS } },
    { "release starts head in FIFO order",
      1,
      3,
      0,
      { A(0, 1, CAPACITY_STARTED, 1, 0), A(1, 2, CAPACITY_QUEUED, 1, 1),
        A(2, 3, CAPACITY_QUEUED, 1, 2), P(3, 0, CAPACITY_NONE, 1, 2), R(0, 2),
        P(5, 2, CAPACITY_START, 1, 1), P(5, 0, CAPACITY_NONE, 1, 1), R(0, 1),
        P(6, 3, CAPACITY_START, 1, 0), P(6, 0, CAPACITY_NONE, 1, 0),
        END_STEPS } },
    { "no overtaking: arrival queues behind waiting head",
      1,
      3,
      0,
      { A(0, 1, CAPACITY_STARTED, 1, 0), A(0, 2, CAPACITY_QUEUED, 1, 1),
        R(0, 1), A(1, 3, CAPACITY_QUEUED, 0, 2), P(1, 2, CAPACITY_START, 1, 1),
        P(1, 0, CAPACITY_NONE, 1, 1), END_STEPS } },
    { "timeout expires at exactly enqueued + timeout",
      1,
      4,
      10,
      { A(0, 1, CAPACITY_STARTED, 1, 0), A(5, 2, CAPACITY_QUEUED, 1, 1),
        A(7, 3, CAPACITY_QUEUED, 1, 2), P(14, 0, CAPACITY_NONE, 1, 2),
        P(15, 2, CAPACITY_EXPIRE, 1, 1), P(15, 0, CAPACITY_NONE, 1, 1), R(0, 1),
        P(16, 3, CAPACITY_START, 1, 0), END_STEPS } },
    { "expired head beats a free server",
      1,
      2,
      10,
      { A(0, 1, CAPACITY_STARTED, 1, 0), A(0, 2, CAPACITY_QUEUED, 1, 1),
        A(3, 3, CAPACITY_QUEUED, 1, 2), R(0, 2),
        P(10, 2, CAPACITY_EXPIRE, 0, 1), P(10, 3, CAPACITY_START, 1, 0),
        END_STEPS } },
    { "timeout 0 waits forever",
      1,
      1,
      0,
      { A(0, 1, CAPACITY_STARTED, 1, 0), A(0, 2, CAPACITY_QUEUED, 1, 1),
        P(INT64_MAX / 2, 0, CAPACITY_NONE, 1, 1), END_STEPS } },
    { "partial outage halves servers, running ones finish",
      4,
      4,
      0,
      { A(0, 1, CAPACITY_STARTED, 1, 0), A(0, 2, CAPACITY_STARTED, 2, 0),
        A(0, 3, CAPACITY_STARTED, 3, 0), F(0.5, 3, 0),
        A(1, 4, CAPACITY_QUEUED, 3, 1), R(2, 1), P(2, 0, CAPACITY_NONE, 2, 1),
        R(1, 1), P(3, 4, CAPACITY_START, 2, 0), END_STEPS } },
    { "capacity restored starts queued on poll",
      2,
      4,
      0,
      { F(0, 0, 0), A(0, 1, CAPACITY_QUEUED, 0, 1),
        A(0, 2, CAPACITY_QUEUED, 0, 2), A(0, 3, CAPACITY_QUEUED, 0, 3),
        F(1, 0, 3), P(1, 1, CAPACITY_START, 1, 2),
        P(1, 2, CAPACITY_START, 2, 1), P(1, 0, CAPACITY_NONE, 2, 1),
        END_STEPS } },
    { "factor 0.75 of 8 is exactly 6",
      8,
      0,
      0,
      { F(0.75, 0, 0), A(0, 1, 0, 1, 0), A(0, 2, 0, 2, 0), A(0, 3, 0, 3, 0),
        A(0, 4, 0, 4, 0), A(0, 5, 0, 5, 0), A(0, 6, 0, 6, 0),
        A(0, 7, CAPACITY_REJECTED, 6, 0), END_STEPS } },
    { "zero servers queue everything",
      0,
      1,
      5,
      { A(0, 1, CAPACITY_QUEUED, 0, 1), A(0, 2, CAPACITY_REJECTED, 0, 1),
        P(5, 1, CAPACITY_EXPIRE, 0, 0), END_STEPS } },
};

#define N_CASES (sizeof(cases) / sizeof(cases[0]))

static void run_step(struct capacity *c, const struct step *s)
{
    uint64_t tag = 0;
    int64_t waited = -1;
    switch (s->op) {
    case ADMIT:
        assert_int_equal(capacity_admit(c, s->tag, s->t_ns), s->want);
        break;
    case RELEASE: capacity_release(c); break;
    case POLL:
        assert_int_equal(capacity_poll(c, s->t_ns, &tag, &waited), s->want);
        if (s->want != CAPACITY_NONE) {
            assert_int_equal(tag, s->tag);
            assert_true(waited >= 0 && waited <= s->t_ns);
        }
        break;
    case FACTOR: capacity_set_factor(c, s->factor); break;
    case END: break;
    }
}

static void test_cap_case(void **state)
{
    const struct cap_case *cc = *state;
    struct capacity c;
    assert_int_equal(capacity_init(&c, cc->servers, cc->queue, cc->timeout_ns),
                     ERR_OK);
    for (const struct step *s = cc->steps; s->op != END; s++) {
        run_step(&c, s);
        assert_int_equal(capacity_busy(&c), s->want_busy);
        assert_int_equal(capacity_queued(&c), s->want_queued);
    }
    capacity_fini(&c);
}

static void test_init_errors(void **state)
{
    (void)state;
    struct capacity c;
    assert_int_equal(capacity_init(&c, -2, 0, 0), ERR_INVAL);
    capacity_fini(&c);
    assert_int_equal(capacity_init(&c, 1, -1, 0), ERR_INVAL);
    capacity_fini(&c);
    assert_int_equal(capacity_init(&c, 1, 1, -1), ERR_INVAL);
    capacity_fini(&c);
    capacity_fini(NULL);
}

static void test_init_policy(void **state)
{
    (void)state;
    struct scn_policy p = { 0 };
    struct capacity c;
    assert_int_equal(capacity_init_policy(&c, &p), ERR_OK);
    assert_int_equal(c.servers, CAPACITY_UNLIMITED);
    capacity_fini(&c);
    p.has_capacity = true;
    p.cap_servers = 64;
    p.cap_queue = 256;
    p.cap_queue_timeout_ns = 10000000000LL;
    assert_int_equal(capacity_init_policy(&c, &p), ERR_OK);
    assert_int_equal(c.servers, 64);
    assert_int_equal(c.queue_max, 256);
    capacity_fini(&c);
}

/* Deadline tracking and a long queue that grows through several ring
 * doublings while wrapping around. */
static void test_deadline_and_ring_growth(void **state)
{
    (void)state;
    struct capacity c;
    assert_int_equal(capacity_init(&c, 1, 1000, 100), ERR_OK);
    assert_int_equal(capacity_next_deadline(&c), INT64_MAX);
    assert_int_equal(capacity_admit(&c, 0, 0), CAPACITY_STARTED);
    uint64_t next_tag = 1, want_start = 1;
    for (int64_t t = 1; t <= 900; t++) {
        assert_int_equal(capacity_admit(&c, next_tag++, t), CAPACITY_QUEUED);
        if (t % 3 == 0) { /* one completes every 3 ns: the ring wraps */
            capacity_release(&c);
            uint64_t tag;
            int64_t waited;
            while (capacity_poll(&c, t, &tag, &waited) == CAPACITY_EXPIRE)
                want_start++;
            assert_int_equal(tag, want_start++);
            assert_true(waited < 100);
        }
        assert_int_equal(capacity_next_deadline(&c), (int64_t)want_start + 100);
    }
    capacity_fini(&c);
}

/* first_token exp(mean 300) + per_token 8 x 100 tokens: mean 1100, sd 300;
 * 20000 draws, tolerance 5 standard errors (5 x 300 / sqrt(20000) = 10.6). */
static void test_service_time(void **state)
{
    (void)state;
    struct scn_model m = { 0 };
    m.first_token = (struct dist){ DIST_EXP, 300, 0 };
    m.per_token = (struct dist){ DIST_CONST, 8, 0 };
    struct rng r;
    rng_init(&r, 1, 0, RNG_SERVICE);
    double sum = 0;
    for (int i = 0; i < 20000; i++) {
        int64_t ns = capacity_service_ns(&m, 100, &r);
        assert_true(ns >= 800);
        sum += (double)ns;
    }
    assert_true(fabs(sum / 20000 - 1100) < 10.6);
    m.first_token = (struct dist){ DIST_CONST, 250, 0 };
    m.per_token = (struct dist){ DIST_NORMAL, -5, 0 };
    assert_int_equal(capacity_service_ns(&m, 10, &r), 250); /* clamped */
}

int main(void)
{
    struct CMUnitTest tests[N_CASES + 4];
    for (size_t i = 0; i < N_CASES; i++)
        tests[i] = (struct CMUnitTest){ cases[i].name, test_cap_case, NULL,
                                        NULL, (void *)&cases[i] };
    tests[N_CASES] = (struct CMUnitTest)cmocka_unit_test(test_init_errors);
    tests[N_CASES + 1] = (struct CMUnitTest)cmocka_unit_test(test_init_policy);
    tests[N_CASES + 2] =
        (struct CMUnitTest)cmocka_unit_test(test_deadline_and_ring_growth);
    tests[N_CASES + 3] = (struct CMUnitTest)cmocka_unit_test(test_service_time);
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_client.c - the client retry and timeout rules of core/model/client.h.
 *
 * Every backoff x jitter x retry-after combination is a generated row;
 * fixed rows cover backoff values, caps, saturation, the retry budget,
 * every terminal reason and the timeout.  Jittered delays are checked
 * exactly against the draw the header documents (replayed on a copy of
 * the stream) as well as against their range.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <math.h>

#include <cmocka.h>

#include "core/model/client.h"

#define MS INT64_C(1000000)
#define S  INT64_C(1000000000)

static struct scn_client make_client(enum backoff_kind b, enum jitter_kind j,
                                     int retry_max, bool honor)
{
    struct scn_client c = { 0 };
    c.timeout_ns = 60 * S;
    c.retry_max = retry_max;
    c.backoff = b;
    c.backoff_base_ns = 500 * MS;
    c.backoff_cap_ns = 20 * S;
    c.jitter = j;
    c.retry_after = honor ? RETRY_AFTER_HONOR : RETRY_AFTER_IGNORE;
    return c;
}

static bool same_state(const struct rng *a, const struct rng *b)
{
    return memcmp(a->s, b->s, sizeof(a->s)) == 0;
}

/* ---- every combination -------------------------------------------------- */

enum ra_mode { RA_ABSENT, RA_BELOW, RA_ABOVE, RA_IGNORED, RA_N };

struct combo {
    char name[64];
    enum backoff_kind backoff;
    enum jitter_kind jitter;
    enum ra_mode ra;
};

static struct combo combos[3 * 4 * RA_N];

/* Backoff before jitter for the third attempt's retry (k = 2), base
 * 500ms, cap 20s: written out, not computed by the rule under test. */
static int64_t third_backoff(enum backoff_kind b)
{
    switch (b) {
    case BACKOFF_EXPONENTIAL: return 2 * S; /* 500ms x 2^2 */
    case BACKOFF_CONSTANT: return 500 * MS;
    case BACKOFF_LINEAR: return 1500 * MS; /* 500ms x 3 */
    }
    return -1;
}

static void test_combo(void **state)
{
    const struct combo *c = *state;
    struct scn_client cl =
        make_client(c->backoff, c->jitter, 5, c->ra != RA_IGNORED);
    int64_t ra = c->ra == RA_ABSENT ? -1 : c->ra == RA_BELOW ? 100 * MS : 5 * S;
    int64_t b = third_backoff(c->backoff);
    for (uint64_t seed = 1; seed <= 200; seed++) {
        struct rng r, replay;
        rng_init(&r, seed, 9, RNG_CLIENT);
        replay = r;
        int64_t d = -7;
        assert_true(client_retry(&cl, 3, REASON_RATE_LIMIT, ra, &r, &d));
        /* the documented draw, replayed */
        int64_t want = b, lo = b, hi = b;
        if (c->jitter == JITTER_FULL) {
            want = (int64_t)rng_below(&replay, (uint64_t)b + 1);
            lo = 0;
        } else if (c->jitter == JITTER_EQUAL) {
            want =
                b / 2 + (int64_t)rng_below(&replay, (uint64_t)(b - b / 2) + 1);
            lo = b / 2;
        } else if (c->jitter == JITTER_QUARTER) {
            want = b - (int64_t)rng_below(&replay, (uint64_t)(b / 4) + 1);
            lo = b - b / 4;
        }
        assert_true(same_state(&r, &replay)); /* exactly that many draws */
        if (c->ra == RA_BELOW || c->ra == RA_ABOVE) {
            want = want > ra ? want : ra;
            lo = lo > ra ? lo : ra;
            hi = hi > ra ? hi : ra;
        }
        assert_int_equal(d, want);
        assert_in_range(d, lo, hi);
    }
}

static size_t build_combos(void)
{
    static const char *bn[] = { "exponential", "constant", "linear" };
    static const char *jn[] = { "full", "equal", "none", "quarter" };
    static const char *rn[] = { "no retry-after", "retry-after below",
                                "retry-after above", "retry-after ignored" };
    size_t n = 0;
    for (int b = 0; b < 3; b++)
        for (int j = 0; j < 4; j++)
            for (int ra = 0; ra < RA_N; ra++) {
                struct combo *c = &combos[n++];
                snprintf(c->name, sizeof(c->name), "%s/%s/%s", bn[b], jn[j],
                         rn[ra]);
                c->backoff = (enum backoff_kind)b;
                c->jitter = (enum jitter_kind)j;
                c->ra = (enum ra_mode)ra;
            }
    return n;
}

/* ---- fixed rows ---------------------------------------------------------- */

struct retry_case {
    const char *name;
    enum backoff_kind backoff;
    enum jitter_kind jitter;
    int64_t base_ns, cap_ns;
    int retry_max;
    bool honor;
    int attempts;
    enum reason why;
    int64_t retry_after_ns;
    bool want_retry;
    int64_t want_ns; /* exact delay (jitter none) */
};

#define EXP BACKOFF_EXPONENTIAL
#define CON BACKOFF_CONSTANT
#define LIN BACKOFF_LINEAR
#define RL  REASON_RATE_LIMIT

static const struct retry_case retry_cases[] = {
    { "exp first retry waits base", EXP, JITTER_NONE, 500 * MS, 20 * S, 10,
      true, 1, RL, -1, true, 500 * MS },
    { "exp second retry doubles", EXP, JITTER_NONE, 500 * MS, 20 * S, 10, true,
      2, RL, -1, true, 1 * S },
    { "exp sixth retry 16s", EXP, JITTER_NONE, 500 * MS, 20 * S, 10, true, 6,
      RL, -1, true, 16 * S },
    { "exp seventh retry capped", EXP, JITTER_NONE, 500 * MS, 20 * S, 10, true,
      7, RL, -1, true, 20 * S },
    { "exp cap 0 means no cap", EXP, JITTER_NONE, 500 * MS, 0, 10, true, 7, RL,
      -1, true, 32 * S },
    { "exp uncapped saturates", EXP, JITTER_NONE, 500 * MS, 0, 1000, true, 100,
      RL, -1, true, INT64_MAX },
    { "exp capped at k=999", EXP, JITTER_NONE, 500 * MS, 20 * S, 1000, true,
      1000, RL, -1, true, 20 * S },
    { "constant stays", CON, JITTER_NONE, 500 * MS, 20 * S, 10, true, 5, RL, -1,
      true, 500 * MS },
    { "constant above cap", CON, JITTER_NONE, 30 * S, 20 * S, 10, true, 1, RL,
      -1, true, 20 * S },
    { "linear third retry", LIN, JITTER_NONE, 500 * MS, 20 * S, 10, true, 3, RL,
      -1, true, 1500 * MS },
    { "linear capped", LIN, JITTER_NONE, 500 * MS, 1 * S, 10, true, 3, RL, -1,
      true, 1 * S },
    { "linear uncapped saturates", LIN, JITTER_NONE, INT64_MAX / 2, 0, 10, true,
      4, RL, -1, true, INT64_MAX },
    { "zero base", EXP, JITTER_FULL, 0, 20 * S, 10, true, 3, RL, -1, true, 0 },
    { "retry-after floor over cap", EXP, JITTER_NONE, 500 * MS, 20 * S, 10,
      true, 1, REASON_OVERLOADED, 60 * S, true, 60 * S },
    { "retry-after 0 honoured", EXP, JITTER_NONE, 500 * MS, 20 * S, 10, true, 1,
      REASON_OUTAGE, 0, true, 500 * MS },
    { "retry-after ignored", EXP, JITTER_NONE, 500 * MS, 20 * S, 10, false, 1,
      REASON_MAINTENANCE, 60 * S, true, 500 * MS },
    { "budget: last allowed retry", EXP, JITTER_NONE, 500 * MS, 20 * S, 2, true,
      2, RL, -1, true, 1 * S },
    { "budget: exhausted", EXP, JITTER_FULL, 500 * MS, 20 * S, 2, true, 3, RL,
      5 * S, false, 0 },
    { "no retries by default", EXP, JITTER_FULL, 500 * MS, 20 * S, 0, true, 1,
      RL, -1, false, 0 },
    { "ok is not retried", EXP, JITTER_FULL, 500 * MS, 20 * S, 5, true, 1,
      REASON_OK, -1, false, 0 },
    { "timeout is retried", EXP, JITTER_NONE, 500 * MS, 20 * S, 5, true, 1,
      REASON_TIMEOUT, -1, true, 500 * MS },
    { "network is retried", EXP, JITTER_NONE, 500 * MS, 20 * S, 5, true, 2,
      REASON_NETWORK, -1, true, 1 * S },
    { "credits exhausted is terminal", EXP, JITTER_FULL, 500 * MS, 20 * S, 5,
      true, 1, REASON_CREDITS_EXHAUSTED, 1 * S, false, 0 },
    /* a request too large for its limit: retryable reason, never retried */
    { "too large: never", EXP, JITTER_FULL, 500 * MS, 20 * S, 5, true, 1,
      REASON_TOKEN_LIMIT, CLIENT_RETRY_NEVER, false, 0 },
    { "too large: never, retry-after ignored", EXP, JITTER_NONE, 500 * MS,
      20 * S, 5, false, 1, REASON_RATE_LIMIT, CLIENT_RETRY_NEVER, false, 0 },
};

static void test_retry_case(void **state)
{
    const struct retry_case *c = *state;
    struct scn_client cl =
        make_client(c->backoff, c->jitter, c->retry_max, c->honor);
    cl.backoff_base_ns = c->base_ns;
    cl.backoff_cap_ns = c->cap_ns;
    struct rng r, before;
    rng_init(&r, 3, 1, RNG_CLIENT);
    before = r;
    int64_t d = -7;
    bool got =
        client_retry(&cl, c->attempts, c->why, c->retry_after_ns, &r, &d);
    assert_int_equal(got, c->want_retry);
    assert_int_equal(d, c->want_ns);
    if (!got || c->jitter == JITTER_NONE)
        assert_true(same_state(&r, &before)); /* no draw */
}

/* Every outcome: retried exactly when the reason table says retryable. */
static void test_every_reason(void **state)
{
    (void)state;
    struct scn_client cl = make_client(EXP, JITTER_EQUAL, 3, true);
    int retried = 0;
    for (int i = 0; i < REASON_COUNT; i++) {
        struct rng r, before;
        rng_init(&r, 5, (uint64_t)i, RNG_CLIENT);
        before = r;
        int64_t d = -7;
        bool got = client_retry(&cl, 1, (enum reason)i, 2 * S, &r, &d);
        bool want = i != REASON_OK && reason_get((enum reason)i)->retryable;
        assert_int_equal(got, want);
        if (got) {
            assert_int_equal(d, 2 * S); /* retry-after above the backoff */
            retried++;
        } else {
            assert_int_equal(d, 0);
            assert_true(same_state(&r, &before));
        }
    }
    /* docs/reasons.md: rate, token, concurrency, abuse, maintenance, upgrade,
     * outage, overloaded, server_error, network, timeout. */
    assert_int_equal(retried, 11);
}

/* Full jitter is uniform over [0, b]: mean b/2 within 4 sd. */
static void test_full_jitter_mean(void **state)
{
    (void)state;
    struct scn_client cl = make_client(EXP, JITTER_FULL, 5, true);
    struct rng r;
    rng_init(&r, 8, 8, RNG_CLIENT);
    const int n = 20000;
    double sum = 0, b = 2e9;
    for (int i = 0; i < n; i++) {
        int64_t d;
        assert_true(client_retry(&cl, 3, RL, -1, &r, &d));
        sum += (double)d;
    }
    /* sd of uniform[0, b] is b / sqrt(12) */
    assert_true(fabs(sum / n - b / 2) <= 4 * b / sqrt(12.0 * n));
}

/* Odd backoff (3 ns): equal jitter is 1 + uniform{0, 1, 2}, full jitter
 * uniform{0..3}; both ends are reached and nothing outside them. */
static void test_jitter_ends(void **state)
{
    (void)state;
    for (int j = JITTER_FULL; j <= JITTER_EQUAL; j++) {
        struct scn_client cl = make_client(CON, (enum jitter_kind)j, 5, true);
        cl.backoff_base_ns = 3;
        int64_t lo = INT64_MAX, hi = -1;
        for (uint64_t seed = 1; seed <= 300; seed++) {
            struct rng r;
            rng_init(&r, seed, 2, RNG_CLIENT);
            int64_t d;
            assert_true(client_retry(&cl, 1, RL, -1, &r, &d));
            lo = d < lo ? d : lo;
            hi = d > hi ? d : hi;
        }
        assert_int_equal(lo, j == JITTER_FULL ? 0 : 1);
        assert_int_equal(hi, 3);
    }
}

/* ---- retry-after kinds ----------------------------------------------------
 */

/* The hint against an exponential backoff of base 500ms, first retry (b_0
 * = 500ms), jitter none unless said: each want is worked out by hand from
 * the formulas in client.h.  honor_jitter rows give the range of h + u,
 * u in [0, h], and are checked against the replayed draw. */
struct hint_case {
    const char *name;
    enum retry_after_kind kind;
    enum jitter_kind jitter;
    int64_t hint_ns; /* -1: none */
    int64_t lo_ns, hi_ns;
};

#define NONE JITTER_NONE
#define IGN  RETRY_AFTER_IGNORE
#define HON  RETRY_AFTER_HONOR
#define HJ   RETRY_AFTER_HONOR_JITTER
#define OAI  RETRY_AFTER_OPENAI

static const struct hint_case hint_cases[] = {
    { "ignore: 5s hint, waits b", IGN, NONE, 5 * S, 500 * MS, 500 * MS },
    { "honor: 5s hint is the wait", HON, NONE, 5 * S, 5 * S, 5 * S },
    { "honor: 100ms hint is a floor below b", HON, NONE, 100 * MS, 500 * MS,
      500 * MS },
    { "honor: 90s hint is never capped", HON, NONE, 90 * S, 90 * S, 90 * S },
    { "honor: no hint waits b", HON, NONE, -1, 500 * MS, 500 * MS },
    { "honor_jitter: 4s hint, 4s..8s", HJ, NONE, 4 * S, 4 * S, 8 * S },
    { "honor_jitter: 90s hint, 90s..180s", HJ, NONE, 90 * S, 90 * S, 180 * S },
    { "honor_jitter: 100ms hint under b", HJ, NONE, 100 * MS, 500 * MS,
      500 * MS },
    { "honor_jitter: 3ns hint draws u in {0}", HJ, NONE, 3, 500 * MS,
      500 * MS },
    { "honor_jitter: no hint, no extra draw", HJ, NONE, -1, 500 * MS,
      500 * MS },
    { "honor_jitter: full jitter then hint", HJ, JITTER_FULL, 2 * S, 2 * S,
      4 * S },
    { "openai: 5s hint exactly", OAI, NONE, 5 * S, 5 * S, 5 * S },
    { "openai: 100ms hint exactly, below b", OAI, NONE, 100 * MS, 100 * MS,
      100 * MS },
    { "openai: 60s hint still obeyed", OAI, NONE, 60 * S, 60 * S, 60 * S },
    { "openai: 60s+1ns hint ignored", OAI, NONE, 60 * S + 1, 500 * MS,
      500 * MS },
    { "openai: 0 hint ignored", OAI, NONE, 0, 500 * MS, 500 * MS },
    { "openai: no hint waits b", OAI, NONE, -1, 500 * MS, 500 * MS },
    { "openai: quarter jitter without hint", OAI, JITTER_QUARTER, -1, 375 * MS,
      500 * MS },
    { "openai: 2m hint ignored, quarter jitter", OAI, JITTER_QUARTER, 120 * S,
      375 * MS, 500 * MS },
};

static void test_hint_case(void **state)
{
    const struct hint_case *c = *state;
    struct scn_client cl = make_client(EXP, c->jitter, 3, false);
    cl.retry_after = c->kind;
    for (uint64_t seed = 1; seed <= 50; seed++) {
        struct rng r, replay;
        rng_init(&r, seed, 4, RNG_CLIENT);
        replay = r;
        int64_t d = -7;
        assert_true(client_retry(&cl, 1, REASON_OUTAGE, c->hint_ns, &r, &d));
        assert_in_range(d, c->lo_ns, c->hi_ns);
        /* the documented draws, replayed: the jitter's, then the hint's */
        int64_t j = 500 * MS;
        if (c->jitter == JITTER_FULL)
            j = (int64_t)rng_below(&replay, (uint64_t)j + 1);
        else if (c->jitter == JITTER_QUARTER)
            j -= (int64_t)rng_below(&replay, (uint64_t)(j / 4) + 1);
        int64_t want = j;
        if (c->kind == HJ && c->hint_ns >= 0) {
            int64_t h = c->hint_ns;
            h += (int64_t)rng_below(&replay, (uint64_t)h + 1);
            want = h > j ? h : j;
        } else if (c->lo_ns == c->hi_ns) {
            want = c->lo_ns;
        }
        assert_int_equal(d, want);
        assert_true(same_state(&r, &replay)); /* exactly those draws */
    }
}

/* The herd: 200 requests denied at different times during an outage that
 * ends at T are each told "retry after T - now".  honor and openai (hint
 * <= 60s) send every retry at exactly T; honor_jitter spreads them over
 * [T, T + hint]; ignore spreads them by the backoff's jitter alone. */
static void test_herd(void **state)
{
    (void)state;
    const int64_t end = 40 * S;
    static const struct {
        enum retry_after_kind kind;
        bool herd;
    } rows[] = { { HON, true }, { OAI, true }, { HJ, false }, { IGN, false } };
    for (size_t k = 0; k < sizeof(rows) / sizeof(rows[0]); k++) {
        struct scn_client cl = make_client(EXP, JITTER_FULL, 3, false);
        cl.retry_after = rows[k].kind;
        int64_t first = -1;
        int same = 0;
        for (uint64_t id = 0; id < 200; id++) {
            int64_t denied_at = (int64_t)id * 100 * MS; /* 0 .. 19.9s */
            int64_t d;
            assert_true(client_retry_keyed(&cl, 9, id, 1, REASON_OUTAGE,
                                           end - denied_at, &d));
            int64_t at = denied_at + d;
            if (rows[k].kind != IGN)
                assert_in_range(at, end, end + (end - denied_at));
            if (first < 0)
                first = at;
            same += at == first;
        }
        if (rows[k].herd)
            assert_int_equal(same, 200);
        else
            assert_true(same <= 2);
    }
}

/* ---- backoff and timeout ------------------------------------------------ */

struct backoff_case {
    const char *name;
    enum backoff_kind kind;
    int64_t base_ns, cap_ns;
    int k;
    int64_t want_ns;
};

static const struct backoff_case backoff_cases[] = {
    { "exponential k=0", EXP, 100 * MS, 0, 0, 100 * MS },
    { "exponential k=10", EXP, 100 * MS, 0, 10, 102400 * MS },
    { "exponential k=62 saturates", EXP, 1, 0, 62, INT64_MAX },
    { "exponential k=61", EXP, 1, 0, 61, INT64_C(1) << 61 },
    { "constant k=9", CON, 250 * MS, 0, 9, 250 * MS },
    { "linear k=4", LIN, 250 * MS, 0, 4, 1250 * MS },
    { "linear capped", LIN, 250 * MS, 1 * S, 4, 1 * S },
    { "exponential capped", EXP, 100 * MS, 1 * S, 4, 1 * S },
};

static void test_backoff(void **state)
{
    const struct backoff_case *c = *state;
    struct scn_client cl = make_client(c->kind, JITTER_NONE, 5, true);
    cl.backoff_base_ns = c->base_ns;
    cl.backoff_cap_ns = c->cap_ns;
    assert_int_equal(client_backoff_ns(&cl, c->k), c->want_ns);
}

struct observe_case {
    const char *name;
    int64_t timeout_ns, response_ns;
    enum reason server, want;
    int64_t want_seen_ns;
};

static const struct observe_case observe_cases[] = {
    { "answer in time", 60 * S, 1 * S, REASON_OK, REASON_OK, 1 * S },
    { "denial in time", 60 * S, 5 * MS, RL, RL, 5 * MS },
    { "exactly at timeout", 60 * S, 60 * S, REASON_OK, REASON_OK, 60 * S },
    { "1ns late", 60 * S, 60 * S + 1, REASON_OK, REASON_TIMEOUT, 60 * S },
    { "late denial", 2 * S, 10 * S, REASON_OVERLOADED, REASON_TIMEOUT, 2 * S },
    { "no timeout", 0, 1000 * S, REASON_OK, REASON_OK, 1000 * S },
};

static void test_observe(void **state)
{
    const struct observe_case *c = *state;
    struct scn_client cl = make_client(EXP, JITTER_NONE, 0, true);
    cl.timeout_ns = c->timeout_ns;
    int64_t seen = -1;
    assert_int_equal(client_observe(&cl, c->server, c->response_ns, &seen),
                     c->want);
    assert_int_equal(seen, c->want_seen_ns);
}

/* ---- main ---------------------------------------------------------------- */

/* client_retry_keyed: the documented stream (seed ^ attempts x golden
 * ratio, request id, RNG_CLIENT) replayed by hand gives the same delay;
 * the same key gives the same delay whenever it is asked (no state);
 * another attempt or request draws independently; terminal reasons and
 * a spent budget answer without a draw. */
static void test_keyed(void **state)
{
    (void)state;
    struct scn_client c =
        make_client(BACKOFF_EXPONENTIAL, JITTER_FULL, 5, false);
    const uint64_t seed = 42, id = 123456;
    for (int a = 1; a <= 5; a++) {
        struct rng r;
        rng_init(&r, seed ^ ((uint64_t)a * UINT64_C(0x9e3779b97f4a7c15)), id,
                 RNG_CLIENT);
        int64_t want, got, again;
        assert_true(client_retry(&c, a, REASON_RATE_LIMIT, -1, &r, &want));
        assert_true(
            client_retry_keyed(&c, seed, id, a, REASON_RATE_LIMIT, -1, &got));
        assert_true(
            client_retry_keyed(&c, seed, id, a, REASON_RATE_LIMIT, -1, &again));
        assert_int_equal(got, want);
        assert_int_equal(again, want);
    }
    /* 20 requests' first retries: full jitter over [0, 500 ms] gives at
     * least 15 distinct delays (collisions are ~1e-7 likely each) */
    int64_t seen[20];
    size_t distinct = 0;
    for (uint64_t r = 0; r < 20; r++) {
        int64_t d;
        assert_true(
            client_retry_keyed(&c, seed, r, 1, REASON_OVERLOADED, -1, &d));
        bool dup = false;
        for (size_t k = 0; k < distinct; k++)
            dup |= seen[k] == d;
        if (!dup)
            seen[distinct++] = d;
    }
    assert_true(distinct >= 15);
    int64_t d = 7;
    assert_false(
        client_retry_keyed(&c, seed, id, 1, REASON_INVALID_KEY, -1, &d));
    assert_int_equal(d, 0);
    d = 7;
    assert_false(
        client_retry_keyed(&c, seed, id, 6, REASON_RATE_LIMIT, -1, &d));
    assert_int_equal(d, 0);
}

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))
#define ROWS(arr, cnt, fn)                                                     \
    for (size_t i = 0; i < (cnt); i++)                                         \
        tests[n++] = (struct CMUnitTest){ arr[i].name, fn, NULL, NULL,         \
                                          (void *)&arr[i] };
#define ONE(fn) tests[n++] = (struct CMUnitTest)cmocka_unit_test(fn);

int main(void)
{
    struct CMUnitTest tests[192];
    size_t n = 0;
    size_t n_combos = build_combos();
    ROWS(combos, n_combos, test_combo);
    ROWS(retry_cases, N_OF(retry_cases), test_retry_case);
    ROWS(hint_cases, N_OF(hint_cases), test_hint_case);
    ONE(test_herd);
    ONE(test_every_reason);
    ONE(test_full_jitter_mean);
    ONE(test_jitter_ends);
    ONE(test_keyed);
    ROWS(backoff_cases, N_OF(backoff_cases), test_backoff);
    ROWS(observe_cases, N_OF(observe_cases), test_observe);
    return _cmocka_run_group_tests("client", tests, n, NULL, NULL);
}

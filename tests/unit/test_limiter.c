/*
 * test_limiter.c - the five limiter algorithms against docs/validation.md:
 * nginx limit_req accept sequences computed from its rules, token bucket ==
 * GCRA on random arrivals, the token-bucket Poisson loss formula against
 * a long simulated run, window behaviour rows, count_denied, and two
 * properties every algorithm must have (retry_after is exact and minimal;
 * `remaining` unit requests pass at once).
 */
#include <assert.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "core/model/limiter.h"
#include "core/base/rng.h"

__extension__ typedef __int128 i128;

#define MS  1000000LL
#define SEC 1000000000LL
#define MIN (60 * SEC)

static struct lim_conf make(enum lim_algo a, enum limit_kind k, int64_t amount,
                            int64_t per, int64_t burst, bool cd)
{
    struct lim_conf c;
    assert_int_equal(lim_conf_make(&c, a, k, amount, per, burst, cd), ERR_OK);
    return c;
}

/* Runs arrivals t[i] (cost 1) through lim_check; out gets 'A'/'R'. */
static void run_seq(const struct lim_conf *c, const int64_t *t, size_t n,
                    char *out)
{
    union lim_state s;
    lim_state_init(&s);
    for (size_t i = 0; i < n; i++)
        out[i] = lim_check(c, &s, 1, t[i], NULL) ? 'A' : 'R';
    out[n] = 0;
    lim_state_fini(&s, c->algo);
}

/* ---- nginx limit_req: exact sequences --------------------------------- */

struct seq_case {
    const char *name;
    enum lim_algo algo;
    int64_t amount, per, burst;
    int64_t t[12]; /* arrival times, ns */
    const char *want;
};

/* Each row's expectation is worked out beside it with nginx's rules:
 * e = max(0, excess - rate*ms/1000 + 1000), reject if e > burst*1000. */
static const struct seq_case seq_cases[] = {
    /* 1r/m: rate = 1*1000/60 = 16.  At 60000 ms: 16*60000/1000 = 960,
     * e = 1000-960 = 40 > 0: R.  At 62499: 16*62499/1000 = 999 (integer),
     * e = 1: R (state untouched, so ms still counts from 0).  At 62500:
     * 1000, e = 0: A. */
    { "nginx 1r/m is 16 milli-req/s: one per 62.5 s",
      LIM_LEAKY_BUCKET,
      1,
      MIN,
      0,
      { 0, 60000 * MS, 62499 * MS, 62500 * MS },
      "ARRA" },
    /* 3r/s (rate 3000), burst 0, ns times truncated to ms: 0.9 ms -> 0;
     * 333.9 ms -> 333: 3000*333/1000 = 999, e = 1: R; 334.0 ms -> 1002,
     * e = 0: A. */
    { "nginx integer ms: 333.9ms is 333ms",
      LIM_LEAKY_BUCKET,
      3,
      SEC,
      0,
      { 900000, 333900000, 334000000 },
      "ARA" },
    /* burst 5 at one instant: first free (excess 0), then e = 1000..5000
     * <= 5000 accepted, 6000 rejected: capacity burst+1 = 6. */
    { "nginx burst 5 admits 6 at once",
      LIM_LEAKY_BUCKET,
      1,
      SEC,
      5,
      { 0, 0, 0, 0, 0, 0, 0, 0 },
      "AAAAAARR" },
    /* 3r/s burst 1: t=0 A (0); 1ms: 0-3+1000 = 997 A, last=1; 2ms:
     * 997-3+1000 = 1994 R; 334ms: ms=333, 997-999+1000 = 998 A. */
    { "nginx burst 1 with 1ms spacing",
      LIM_LEAKY_BUCKET,
      3,
      SEC,
      1,
      { 0, 1 * MS, 2 * MS, 334 * MS },
      "AARA" },
    /* e == burst*1000 is accepted: 1r/s burst 1: t=0 A (0); t=0 again
     * e = 1000 == 1000 A; t=0 e = 2000 R. */
    { "nginx e == burst*1000 accepted",
      LIM_LEAKY_BUCKET,
      1,
      SEC,
      1,
      { 0, 0, 0 },
      "AAR" },
    /* token bucket 2 per 1s, burst 2: two at t=0, third waits 500 ms. */
    { "token bucket 2/s burst 2",
      LIM_TOKEN_BUCKET,
      2,
      SEC,
      2,
      { 0, 0, 0, 499999999, 500000000, 500000000 },
      "AARRAR" },
    /* fixed window 3 per 1s: aligned at 0, 1s, 2s. */
    { "fixed window 3/s aligned",
      LIM_FIXED_WINDOW,
      3,
      SEC,
      3,
      { 0, 100 * MS, 999 * MS, 999999999, SEC, SEC + 1, SEC + 2, SEC + 3 },
      "AAARAAAR" },
    /* fixed window allows 2x at the boundary: 3 at 0.9s, 3 at 1.0s. */
    { "fixed window boundary burst",
      LIM_FIXED_WINDOW,
      3,
      SEC,
      3,
      { 900 * MS, 900 * MS, 900 * MS, SEC, SEC, SEC, SEC },
      "AAAAAAR" },
    /* sliding log 3 per 1s: (now-1s, now]; the entry at 0 leaves at 1s
     * exactly, the ones at 0.9s at 1.9s. */
    { "sliding window exact log",
      LIM_SLIDING_WINDOW,
      3,
      SEC,
      3,
      { 0, 900 * MS, 900 * MS, 999999999, SEC, SEC, 1899999999, 1900000000 },
      "AAARARRA" },
    /* sliding counter 4 per 1s.  Window 0: 4 at 0.5s (cur=4), 5th R.
     * t=1.5s: prev=4, elapsed half: est = 4*0.5 = 2, +1 <= 4: A, A (est
     * 4), R.  t=1.75s: est = 4*0.25 + 2 = 3: A, then 4: R. */
    { "sliding counter estimate",
      LIM_SLIDING_COUNTER,
      4,
      SEC,
      4,
      { 500 * MS, 500 * MS, 500 * MS, 500 * MS, 500 * MS, 1500 * MS, 1500 * MS,
        1500 * MS, 1750 * MS, 1750 * MS },
      "AAAARAARAR" },
};

static void test_seq_case(void **state)
{
    const struct seq_case *c = *state;
    size_t n = strlen(c->want);
    struct lim_conf conf =
        make(c->algo, LIMIT_REQUESTS, c->amount, c->per, c->burst, false);
    char got[16];
    run_seq(&conf, c->t, n, got);
    assert_string_equal(got, c->want);
}

static void test_nginx_rate_rounding(void **state)
{
    (void)state;
    /* rate = n*1000/scale, integer: 1r/m -> 16, 2r/m -> 33, 3r/s -> 3000,
     * 7r/m -> 116. */
    const int64_t n[] = { 1, 2, 7, 3 }, per[] = { MIN, MIN, MIN, SEC };
    for (int i = 0; i < 4; i++) {
        struct lim_conf c =
            make(LIM_LEAKY_BUCKET, LIMIT_REQUESTS, n[i], per[i], 0, false);
        assert_int_equal(c.rate_ms, n[i] * 1000 / (per[i] / SEC));
    }
}

/* burst 0, spacing 1/R: only every ceil(R/r)-th passes. */
static void test_nginx_burst0_every_kth(void **state)
{
    (void)state;
    const int64_t r[] = { 3, 2, 3, 7, 1, 2 }, R[] = { 10, 5, 8, 20, 4, 4 };
    for (int k = 0; k < 6; k++) {
        struct lim_conf c =
            make(LIM_LEAKY_BUCKET, LIMIT_REQUESTS, r[k], SEC, 0, false);
        union lim_state s;
        lim_state_init(&s);
        int64_t every = (R[k] + r[k] - 1) / r[k]; /* ceil(R/r) */
        int64_t rejected = 0, n = 400 * every;
        for (int64_t i = 0; i < n; i++) {
            bool ok = lim_check(&c, &s, 1, i * SEC / R[k], NULL);
            assert_int_equal(ok, i % every == 0);
            rejected += !ok;
        }
        /* 3r/s at 10/s: 1 - 1/4 = 75% rejected, not 1 - 3/10 = 70%. */
        assert_int_equal(rejected * every, n * (every - 1));
    }
}

/* b >= 1, steady R > r from a fresh key: accepted among the first N is
 * min(N, floor(b + 1 + r*t_N)), t_N = (N-1)/R. */
static void test_nginx_accepted_first_n(void **state)
{
    (void)state;
    const int64_t r[] = { 2, 3, 1 }, R[] = { 10, 8, 4 }, b[] = { 5, 2, 1 };
    for (int k = 0; k < 3; k++) {
        struct lim_conf c =
            make(LIM_LEAKY_BUCKET, LIMIT_REQUESTS, r[k], SEC, b[k], false);
        union lim_state s;
        lim_state_init(&s);
        int64_t acc = 0;
        for (int64_t N = 1; N <= 2000; N++) {
            acc += lim_check(&c, &s, 1, (N - 1) * SEC / R[k], NULL);
            /* floor(b + 1 + r*(N-1)/R) in integers */
            int64_t want = b[k] + 1 + r[k] * (N - 1) / R[k];
            assert_int_equal(acc, want < N ? want : N);
        }
        /* long run: reject fraction -> 1 - r/R */
        assert_true(fabs(1.0 - (double)acc / 2000 -
                         (1.0 - (double)r[k] / R[k])) < 0.01);
    }
}

/* ---- token bucket == GCRA -------------------------------------------------
 */

/* GCRA (redis-cell style) in exact rationals: time scaled by amount, so
 * the emission interval T = per/amount is per_ns scaled units.  Arrival t
 * of cost n: TAT' = max(TAT, t) + n*T; allow iff TAT' - t <= burst*T. */
struct gcra {
    i128 tat;
    int64_t amount, per, burst;
};

static bool gcra_check(struct gcra *g, int64_t t_ns, int64_t n,
                       int64_t *retry_ns)
{
    i128 t = (i128)t_ns * g->amount;
    i128 start = g->tat > t ? g->tat : t;
    i128 tat2 = start + (i128)n * g->per;
    i128 over = tat2 - t - (i128)g->burst * g->per;
    if (over <= 0) {
        g->tat = tat2;
        *retry_ns = 0;
        return true;
    }
    *retry_ns = (int64_t)((over + g->amount - 1) / g->amount);
    return false;
}

static void test_token_bucket_equals_gcra(void **state)
{
    (void)state;
    const struct {
        int64_t amount, per, burst, max_cost, mean_gap_ns;
    } cfg[] = {
        { 7, MIN, 3, 1, 5 * SEC },              /* 7 rpm */
        { 3, SEC, 10, 1, 200 * MS },            /* 3 r/s burst 10 */
        { 200000, MIN, 200000, 3000, 10 * MS }, /* 200k tpm */
        { 40000, MIN, 40000, 9000, 500 * MS },  /* 40k tpm */
        { 999999937, 86400 * SEC, 999999937, 5000000, 100 * MS }, /* TPD */
    };
    struct rng r;
    rng_init(&r, 7, 0, RNG_ATTRS);
    for (size_t k = 0; k < sizeof(cfg) / sizeof(cfg[0]); k++) {
        enum limit_kind kind =
            cfg[k].max_cost > 1 ? LIMIT_TOKENS : LIMIT_REQUESTS;
        struct lim_conf c = make(LIM_TOKEN_BUCKET, kind, cfg[k].amount,
                                 cfg[k].per, cfg[k].burst, false);
        struct gcra g = { 0, cfg[k].amount, cfg[k].per, cfg[k].burst };
        union lim_state s;
        lim_state_init(&s);
        int64_t t = 0, allowed = 0;
        for (int i = 0; i < 20000; i++) {
            t += (int64_t)rng_below(&r, (uint64_t)(2 * cfg[k].mean_gap_ns));
            int64_t cost =
                1 + (int64_t)rng_below(&r, (uint64_t)cfg[k].max_cost);
            int64_t g_retry;
            bool want = gcra_check(&g, t, cost, &g_retry);
            struct lim_result res;
            bool got = lim_check(&c, &s, cost, t, &res);
            assert_int_equal(got, want);
            assert_int_equal(res.retry_after_ns, g_retry);
            allowed += got;
        }
        /* both outcomes occur, so the comparison means something */
        assert_true(allowed > 100 && allowed < 19900);
    }
}

/* ---- token bucket under Poisson arrivals ------------------------------------
 */

/* G(x) = sum_{k=0}^{floor(x/D)} (-1)^k [l(x-kD)]^k / k! e^{l(x-kD)} */
static long double tb_G(long double l, long double D, long double x)
{
    long double sum = 0;
    for (int k = 0; k <= (int)floorl(x / D + 1e-12L); k++) {
        long double y = l * (x - k * D);
        long double term = expl(y);
        for (int j = 1; j <= k; j++)
            term *= y / j;
        sum += (k % 2 ? -term : term);
    }
    return sum;
}

static double tb_ploss(double lambda, double r, int B)
{
    long double rho = lambda / r, D = 1.0L / r, tau = (B - 1) / (long double)r;
    long double G = tb_G(lambda, D, tau);
    return (double)((1 + (rho - 1) * G) / (1 + rho * G));
}

static void test_poisson_loss_formula(void **state)
{
    (void)state;
    assert_true(fabs(tb_ploss(1.5, 1, 10) - 0.33340) < 5e-6);
    assert_true(fabs(tb_ploss(0.8, 1, 5) - 0.03529) < 5e-6);
    /* B = 1: rho/(1+rho) */
    assert_true(fabs(tb_ploss(2.0, 1, 1) - 2.0 / 3.0) < 1e-12);
}

/* A long Poisson run of the token bucket (rate r = 1/s, capacity B)
 * against P_loss.  4e5 arrivals per case.  Losses are correlated (a run
 * of losses while the bucket is empty), so the tolerance is 10 binomial
 * standard errors: 0.0075 at p = 0.333, 0.0029 at p = 0.035; over seeds
 * the simulated values stay within 3 binomial SE.  lambda 1.5 checks the
 * long-run rate (P barely depends on B there); lambda 0.8 checks the
 * capacity: B = 4 or 6 would give 0.0588 or 0.0219. */
static void test_poisson_loss_simulated(void **state)
{
    (void)state;
    const struct {
        double lambda;
        int B;
    } cfg[] = { { 1.5, 10 }, { 0.8, 5 } };
    for (int k = 0; k < 2; k++) {
        struct lim_conf c =
            make(LIM_TOKEN_BUCKET, LIMIT_REQUESTS, 1, SEC, cfg[k].B, false);
        union lim_state s;
        lim_state_init(&s);
        struct rng r;
        rng_init(&r, 11, (uint64_t)k, RNG_ARRIVALS);
        const int n = 400000;
        int64_t t = 0, lost = 0;
        for (int i = 0; i < n; i++) {
            t += (int64_t)(-log(rng_double(&r)) / cfg[k].lambda * 1e9);
            lost += !lim_check(&c, &s, 1, t, NULL);
        }
        double p = tb_ploss(cfg[k].lambda, 1, cfg[k].B);
        double se = sqrt(p * (1 - p) / n);
        double got = (double)lost / n;
        if (fabs(got - p) > 10 * se)
            print_error("lambda %.2f B %d: simulated %.5f formula %.5f\n",
                        cfg[k].lambda, cfg[k].B, got, p);
        assert_true(fabs(got - p) <= 10 * se);
    }
}

/* ---- count_denied ---------------------------------------------------------
 */

/* 12 requests/s against 100 per 10 s for 300 s (3600 requests).  Counting
 * denied requests (HAProxy http_req_rate): only the first ~100 pass, so
 * 1 - 100/3600 = 97.2% are denied.  Not counting them: 10/s pass in the
 * long run, 1 - 10/12 = 16.7% denied. */
static double denied_share(enum lim_algo a, bool count_denied)
{
    struct lim_conf c =
        make(a, LIMIT_REQUESTS, 100, 10 * SEC, 100, count_denied);
    union lim_state s;
    lim_state_init(&s);
    int denied = 0;
    for (int i = 0; i < 3600; i++)
        denied += !lim_check(&c, &s, 1, (int64_t)i * SEC / 12, NULL);
    lim_state_fini(&s, a);
    return denied / 3600.0;
}

static void test_count_denied(void **state)
{
    (void)state;
    const enum lim_algo algos[] = { LIM_SLIDING_COUNTER, LIM_SLIDING_WINDOW };
    for (int k = 0; k < 2; k++) {
        double with = denied_share(algos[k], true);
        double without = denied_share(algos[k], false);
        /* tolerance 1.5 points: the first window's edge effects */
        assert_true(fabs(with - (1 - 100.0 / 3600)) < 0.015);
        assert_true(fabs(without - (1 - 10.0 / 12)) < 0.015);
    }
    /* fixed window resets each window: 100 of 120 pass per window, so
     * count_denied changes nothing: 1 - 100/120. */
    assert_true(fabs(denied_share(LIM_FIXED_WINDOW, true) - 20.0 / 120) < 1e-9);
    assert_true(fabs(denied_share(LIM_FIXED_WINDOW, false) - 20.0 / 120) <
                1e-9);
}

/* ---- properties over every algorithm
 * ------------------------------------------- */

static const enum lim_algo all_algos[] = { LIM_TOKEN_BUCKET, LIM_LEAKY_BUCKET,
                                           LIM_FIXED_WINDOW, LIM_SLIDING_WINDOW,
                                           LIM_SLIDING_COUNTER };

/* A denied request's retry_after is exact: at now + retry it passes, at
 * now + retry - 1 it does not (when nothing else arrives). */
static void test_retry_after_exact(void **state)
{
    (void)state;
    struct rng r;
    rng_init(&r, 3, 0, RNG_ATTRS);
    for (int k = 0; k < 5; k++) {
        for (int kind = 0; kind < 2; kind++) {
            int64_t amount = kind ? 5000 : 5, max_cost = kind ? 3000 : 1;
            struct lim_conf c =
                make(all_algos[k], kind ? LIMIT_TOKENS : LIMIT_REQUESTS, amount,
                     3 * SEC, kind ? amount : 2, false);
            union lim_state s;
            lim_state_init(&s);
            int64_t t = 0, checked = 0;
            for (int i = 0; i < 3000; i++) {
                t += (int64_t)rng_below(&r, 600 * MS);
                int64_t cost = 1 + (int64_t)rng_below(&r, (uint64_t)max_cost);
                struct lim_result res;
                if (lim_check(&c, &s, cost, t, &res) || res.too_large)
                    continue;
                struct lim_result later;
                assert_true(res.retry_after_ns > 0);
                assert_true(
                    lim_peek(&c, &s, cost, t + res.retry_after_ns, &later));
                assert_false(
                    lim_peek(&c, &s, cost, t + res.retry_after_ns - 1, &later));
                checked++;
            }
            assert_true(checked > 50);
            lim_state_fini(&s, c.algo);
        }
    }
}

/* lim_try + lim_commit (policy's two-phase path) decides and charges
 * exactly like lim_check, for every algorithm, with varying costs. */
static void test_try_commit_equals_check(void **state)
{
    (void)state;
    for (int k = 0; k < 5; k++) {
        struct lim_conf c =
            make(all_algos[k], LIMIT_TOKENS, 5000, 3 * SEC, 5000, false);
        union lim_state a, b;
        lim_state_init(&a);
        lim_state_init(&b);
        struct rng r;
        rng_init(&r, 17, (uint64_t)k, RNG_ATTRS);
        int64_t t = 0, passed = 0;
        for (int i = 0; i < 4000; i++) {
            t += (int64_t)rng_below(&r, 400 * MS);
            int64_t cost = (int64_t)rng_below(&r, 3000);
            struct lim_result res;
            bool want = lim_check(&c, &a, cost, t, &res);
            union lim_state next;
            int64_t retry = -1;
            bool got = lim_try(&c, &b, cost, t, &next, &retry);
            assert_int_equal(got, want);
            if (got)
                lim_commit(&c, &b, &next, cost, t);
            else
                assert_int_equal(retry, res.retry_after_ns);
            assert_int_equal(lim_remaining(&c, &a, t),
                             lim_remaining(&c, &b, t));
            passed += got;
        }
        assert_true(passed > 100 && passed < 3900);
        lim_state_fini(&a, c.algo);
        lim_state_fini(&b, c.algo);
    }
}

/* The gauge `remaining` is exactly how many unit requests pass at once. */
static void test_remaining_exact(void **state)
{
    (void)state;
    struct rng r;
    rng_init(&r, 5, 0, RNG_ATTRS);
    for (int k = 0; k < 5; k++) {
        struct lim_conf c =
            make(all_algos[k], LIMIT_REQUESTS, 6, 2 * SEC, 4, false);
        union lim_state s;
        lim_state_init(&s);
        int64_t t = 0;
        for (int i = 0; i < 500; i++) {
            t += (int64_t)rng_below(&r, 700 * MS);
            lim_check(&c, &s, 1, t, NULL);
            int64_t rem = lim_remaining(&c, &s, t);
            union lim_state copy = s;
            if (c.algo == LIM_SLIDING_WINDOW)
                continue; /* a copy would share the log */
            int64_t passed = 0;
            while (passed <= rem && lim_check(&c, &copy, 1, t, NULL))
                passed++;
            assert_int_equal(passed, rem);
        }
        lim_state_fini(&s, c.algo);
    }
}

/* The log never holds more than `amount` entries. */
static void test_sliding_log_bounded(void **state)
{
    (void)state;
    for (int cd = 0; cd < 2; cd++) {
        struct lim_conf c =
            make(LIM_SLIDING_WINDOW, LIMIT_REQUESTS, 50, SEC, 50, cd);
        union lim_state s;
        lim_state_init(&s);
        for (int i = 0; i < 20000; i++) {
            lim_check(&c, &s, 1, (int64_t)i * MS / 4, NULL);
            assert_true(s.sw.n <= 50);
        }
        lim_state_fini(&s, c.algo);
    }
}

/* ---- headers ---------------------------------------------------------------
 */

struct hdr_case {
    const char *name;
    enum lim_algo algo;
    int64_t amount, per, burst;
    int n_before; /* unit requests admitted at t=0 */
    int64_t t;    /* then a unit request at t */
    bool allowed;
    int64_t remaining, reset_ns, retry_ns;
};

static const struct hdr_case hdr_cases[] = {
    /* 60/min, burst 60: 59 used at 0, one more at 0 -> 0 left; reset =
     * 60 tokens * 1 s; a 61st would wait 1 s. */
    { "tb last token", LIM_TOKEN_BUCKET, 60, MIN, 60, 59, 0, true, 0, MIN, 0 },
    { "tb empty waits 1s", LIM_TOKEN_BUCKET, 60, MIN, 60, 60, 0, false, 0, MIN,
      SEC },
    /* after 2.5 s, 2.5 tokens back: one taken, 1 whole left; deficit 58.5
     * -> reset 58.5 s. */
    { "tb partial refill", LIM_TOKEN_BUCKET, 60, MIN, 60, 60, 2500 * MS, true,
      1, 58500 * MS, 0 },
    /* fixed 10/min: 4 used, 5th at 20 s: 5 left, window ends in 40 s. */
    { "fixed window", LIM_FIXED_WINDOW, 10, MIN, 10, 4, 20 * SEC, true, 5,
      40 * SEC, 0 },
    { "fixed window full", LIM_FIXED_WINDOW, 10, MIN, 10, 10, 20 * SEC, false,
      0, 40 * SEC, 40 * SEC },
    /* sliding log 10/min, 10 at 0: at 20 s full, first frees at 60 s. */
    { "sliding log full", LIM_SLIDING_WINDOW, 10, MIN, 10, 10, 20 * SEC, false,
      0, 40 * SEC, 40 * SEC },
    /* nginx 1r/s burst 2: 3 at 0 (excess 2000), at 1.5 s: 2000-1500+1000
     * = 1500 <= 2000 A, remaining (2000-1500)/1000 = 0, drains 1.5 s. */
    { "nginx remaining", LIM_LEAKY_BUCKET, 1, SEC, 2, 3, 1500 * MS, true, 0,
      1500 * MS, 0 },
    /* denied at 0.2 s: 2000-200+1000 = 2800 > 2000; at T ms after last
     * (0) e = 3000 - T <= 2000 once T >= 1000 -> retry 800 ms; reset:
     * excess 2000-200 = 1800 drains in 1.8 s. */
    { "nginx retry", LIM_LEAKY_BUCKET, 1, SEC, 2, 3, 200 * MS, false, 0,
      1800 * MS, 800 * MS },
};

static void test_hdr_case(void **state)
{
    const struct hdr_case *h = *state;
    struct lim_conf c =
        make(h->algo, LIMIT_REQUESTS, h->amount, h->per, h->burst, false);
    union lim_state s;
    lim_state_init(&s);
    for (int i = 0; i < h->n_before; i++)
        assert_true(lim_check(&c, &s, 1, 0, NULL));
    struct lim_result r;
    assert_int_equal(lim_check(&c, &s, 1, h->t, &r), h->allowed);
    assert_int_equal(r.limit, h->amount);
    assert_int_equal(r.remaining, h->remaining);
    assert_int_equal(r.reset_ns, h->reset_ns);
    assert_int_equal(r.retry_after_ns, h->retry_ns);
    lim_state_fini(&s, c.algo);
}

/* ---- misc ------------------------------------------------------------------
 */

static void test_concurrency(void **state)
{
    (void)state;
    struct lim_conf c = make(LIM_TOKEN_BUCKET, LIMIT_CONCURRENT, 2, 0, 0, 0);
    union lim_state s;
    lim_state_init(&s);
    assert_true(lim_acquire(&c, &s));
    assert_true(lim_acquire(&c, &s));
    assert_false(lim_acquire(&c, &s));
    assert_int_equal(lim_remaining(&c, &s, 0), 0);
    lim_release(&s);
    assert_int_equal(lim_remaining(&c, &s, 0), 1);
    assert_true(lim_acquire(&c, &s));
    lim_release(&s);
    lim_release(&s);
    lim_release(&s); /* never below zero */
    assert_int_equal(s.cc.in_flight, 0);
}

static void test_conf_errors(void **state)
{
    (void)state;
    struct lim_conf c;
    assert_int_equal(
        lim_conf_make(&c, LIM_TOKEN_BUCKET, LIMIT_REQUESTS, -1, SEC, 1, 0),
        ERR_INVAL);
    assert_int_equal(
        lim_conf_make(&c, LIM_FIXED_WINDOW, LIMIT_REQUESTS, 5, 0, 5, 0),
        ERR_INVAL);
    /* 2^40 tokens per (1 d + 1 ns): no common factor, burst * unit needs
     * 85 bits, which the 128-bit deficit holds */
    assert_int_equal(lim_conf_make(&c, LIM_TOKEN_BUCKET, LIMIT_TOKENS,
                                   1LL << 40, 86400 * SEC + 1, 1LL << 40, 0),
                     ERR_OK);
    assert_int_equal(lim_conf_make(&c, LIM_TOKEN_BUCKET, LIMIT_TOKENS, 10, SEC,
                                   1LL << 62, 0),
                     ERR_RANGE);
    assert_int_equal(
        lim_conf_make(&c, LIM_TOKEN_BUCKET, LIMIT_REQUESTS, 5, SEC, -1, 0),
        ERR_INVAL);
    assert_int_equal(lim_conf_make(&c, LIM_LEAKY_BUCKET, LIMIT_REQUESTS,
                                   1LL << 60, SEC, 0, 0),
                     ERR_RANGE);
}

/* A cost above the capacity never passes and says so. */
static void test_too_large(void **state)
{
    (void)state;
    for (int k = 0; k < 5; k++) {
        if (all_algos[k] == LIM_LEAKY_BUCKET)
            continue; /* nginx clamps excess to 0 after a long idle */
        struct lim_conf c =
            make(all_algos[k], LIMIT_TOKENS, 1000, MIN, 1000, false);
        union lim_state s;
        lim_state_init(&s);
        struct lim_result r;
        assert_false(lim_check(&c, &s, 1001, 0, &r));
        assert_true(r.too_large);
        assert_true(lim_check(&c, &s, 1000, 0, &r));
        lim_state_fini(&s, c.algo);
    }
}

/* lim_too_large: above the capacity of the algorithm, whatever the
 * state.  Token bucket: burst (here 500 of amount 1000); windows: the
 * amount; leaky bucket: never (a fresh nginx node admits any cost);
 * concurrency: only a limit of 0. */
struct tl_case {
    const char *name;
    enum lim_algo algo;
    enum limit_kind kind;
    int64_t amount, burst, cost;
    bool want;
};
static const struct tl_case tl_cases[] = {
    { "bucket at burst", LIM_TOKEN_BUCKET, LIMIT_TOKENS, 1000, 500, 500,
      false },
    { "bucket above burst", LIM_TOKEN_BUCKET, LIMIT_TOKENS, 1000, 500, 501,
      true },
    { "fixed at amount", LIM_FIXED_WINDOW, LIMIT_TOKENS, 1000, 0, 1000, false },
    { "fixed above amount", LIM_FIXED_WINDOW, LIMIT_TOKENS, 1000, 0, 1001,
      true },
    { "sliding above amount", LIM_SLIDING_WINDOW, LIMIT_TOKENS, 1000, 0, 1001,
      true },
    { "counter above amount", LIM_SLIDING_COUNTER, LIMIT_TOKENS, 1000, 0, 1001,
      true },
    { "leaky never", LIM_LEAKY_BUCKET, LIMIT_TOKENS, 1000, 0, 1000000, false },
};

static void test_too_large_static(void **state)
{
    const struct tl_case *t = *state;
    struct lim_conf c = make(t->algo, t->kind, t->amount, MIN, t->burst, 0);
    assert_int_equal(lim_too_large(&c, t->cost), t->want);
    if (t->want && t->algo != LIM_LEAKY_BUCKET) { /* and the peek agrees */
        union lim_state s;
        lim_state_init(&s);
        struct lim_result r;
        assert_false(lim_check(&c, &s, t->cost, 0, &r));
        assert_true(r.too_large);
        lim_state_fini(&s, c.algo);
    }
}

static void test_too_large_concurrent(void **state)
{
    (void)state;
    struct lim_conf c;
    assert_int_equal(
        lim_conf_make(&c, LIM_TOKEN_BUCKET, LIMIT_CONCURRENT, 0, 0, 0, 0),
        ERR_OK);
    assert_true(lim_too_large(&c, 1));
    assert_int_equal(
        lim_conf_make(&c, LIM_TOKEN_BUCKET, LIMIT_CONCURRENT, 2, 0, 0, 0),
        ERR_OK);
    assert_false(lim_too_large(&c, 1));
}

/* lim_delay_ns: nginx limit_req without nodelay, rate 50r/s (rate_ms
 * 50000), burst 20, arrivals every 10 ms from a fresh key: each admitted
 * request adds 1000 and 10 ms leak 500, so the k-th request (k from 0)
 * leaves excess 500 k (the first leaves 0: a new node).  Hold =
 * (excess - delay x 1000) x 1000 / 50000 ms: request 10 with delay 0
 * leaves 5000, held 100 ms; with delay=4, (5000 - 4000) / 50 = 20 ms;
 * request 4 with delay=4 leaves 2000 <= 4000: not held.  nodelay never
 * holds. */
struct hold_case {
    const char *name;
    bool delays;
    int64_t delay, k, want_ms;
};
static const struct hold_case hold_cases[] = {
    { "hold: first request", true, 0, 0, 0 },
    { "hold: 10th, no delay=", true, 0, 10, 100 },
    { "hold: 10th, delay=4", true, 4, 10, 20 },
    { "hold: 4th, delay=4", true, 4, 4, 0 },
    { "hold: 40th at the burst", true, 0, 40, 400 },
    { "hold: nodelay", false, 0, 10, 0 },
};

static void test_hold_case(void **state)
{
    const struct hold_case *c = *state;
    struct scn_limit l = { .kind = LIMIT_REQUESTS,
                           .algorithm = LIM_LEAKY_BUCKET,
                           .amount = 50,
                           .per_ns = SEC,
                           .burst = 20,
                           .delays = c->delays,
                           .delay = c->delay };
    struct lim_conf conf;
    assert_int_equal(lim_conf_init(&conf, &l), ERR_OK);
    union lim_state s;
    lim_state_init(&s);
    struct lim_result r;
    for (int64_t k = 0; k <= c->k; k++)
        assert_true(lim_check(&conf, &s, 1, k * 10 * MS, &r));
    assert_int_equal(s.lb.excess, 500 * c->k);
    assert_int_equal(lim_delay_ns(&conf, &s), c->want_ms * MS);
}

/* set_limit: a token bucket carried to a new amount keeps its level. */
static void test_rescale(void **state)
{
    (void)state;
    struct lim_conf a = make(LIM_TOKEN_BUCKET, LIMIT_REQUESTS, 60, MIN, 60, 0);
    struct lim_conf b = make(LIM_TOKEN_BUCKET, LIMIT_REQUESTS, 7, MIN, 60, 0);
    union lim_state s;
    lim_state_init(&s);
    for (int i = 0; i < 50; i++)
        assert_true(lim_check(&a, &s, 1, 0, NULL));
    lim_state_rescale(&a, &b, &s, 0);
    assert_int_equal(lim_remaining(&b, &s, 0), 10);
    /* refills at 7/min now: one token per 60/7 s */
    assert_int_equal(lim_remaining(&b, &s, MIN / 7 + 1), 11);
}

int main(void)
{
    enum { NSEQ = sizeof(seq_cases) / sizeof(seq_cases[0]) };
    enum { NHDR = sizeof(hdr_cases) / sizeof(hdr_cases[0]) };
    enum { NTL = sizeof(tl_cases) / sizeof(tl_cases[0]) };
    enum { NHOLD = sizeof(hold_cases) / sizeof(hold_cases[0]) };
    struct CMUnitTest tests[NSEQ + NHDR + NTL + NHOLD + 16];
    size_t n = 0;
    for (size_t i = 0; i < NSEQ; i++)
        tests[n++] = (struct CMUnitTest){ seq_cases[i].name, test_seq_case,
                                          NULL, NULL, (void *)&seq_cases[i] };
    for (size_t i = 0; i < NHDR; i++)
        tests[n++] = (struct CMUnitTest){ hdr_cases[i].name, test_hdr_case,
                                          NULL, NULL, (void *)&hdr_cases[i] };
    for (size_t i = 0; i < NTL; i++)
        tests[n++] =
            (struct CMUnitTest){ tl_cases[i].name, test_too_large_static, NULL,
                                 NULL, (void *)&tl_cases[i] };
    for (size_t i = 0; i < NHOLD; i++)
        tests[n++] = (struct CMUnitTest){ hold_cases[i].name, test_hold_case,
                                          NULL, NULL, (void *)&hold_cases[i] };
    const struct CMUnitTest fixed[] = {
        cmocka_unit_test(test_nginx_rate_rounding),
        cmocka_unit_test(test_nginx_burst0_every_kth),
        cmocka_unit_test(test_nginx_accepted_first_n),
        cmocka_unit_test(test_token_bucket_equals_gcra),
        cmocka_unit_test(test_poisson_loss_formula),
        cmocka_unit_test(test_poisson_loss_simulated),
        cmocka_unit_test(test_count_denied),
        cmocka_unit_test(test_retry_after_exact),
        cmocka_unit_test(test_remaining_exact),
        cmocka_unit_test(test_try_commit_equals_check),
        cmocka_unit_test(test_sliding_log_bounded),
        cmocka_unit_test(test_concurrency),
        cmocka_unit_test(test_conf_errors),
        cmocka_unit_test(test_too_large),
        cmocka_unit_test(test_too_large_concurrent),
        cmocka_unit_test(test_rescale),
    };
    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
        tests[n++] = fixed[i];
    assert(n == sizeof(tests) / sizeof(tests[0]));
    return cmocka_run_group_tests(tests, NULL, NULL);
}

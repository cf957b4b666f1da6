/*
 * test_expect.c - the expect: rule grammar (valid rules and their parsed
 * fields, invalid rules and their exact error text) and comparisons.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/expect.h"
#include "core/reason.h"

/* ---- valid rules -------------------------------------------------------- */

struct ok_case {
    const char *name;
    const char *text;
    enum expect_metric metric;
    int reason;
    double quantile; /* only checked for EXP_LATENCY */
    enum expect_cmp cmp;
    double threshold;
    const char *trimmed; /* r.text */
};

static const struct ok_case ok_cases[] = {
    { "denied reason percent", "denied(rate_limit) < 5%", EXP_DENIED,
      REASON_RATE_LIMIT, 0, EXP_LT, 0.05, "denied(rate_limit) < 5%" },
    { "denied reason zero", "denied(free_tier_exhausted) > 0", EXP_DENIED,
      REASON_FREE_TIER_EXHAUSTED, 0, EXP_GT, 0, NULL },
    { "denied all", "denied < 50%", EXP_DENIED, -1, 0, EXP_LT, 0.5, NULL },
    { "denied fraction", "denied <= 0.25", EXP_DENIED, -1, 0, EXP_LE, 0.25,
      NULL },
    { "denied no spaces", "denied(outage)>=1%", EXP_DENIED, REASON_OUTAGE, 0,
      EXP_GE, 0.01, NULL },
    { "denied inner spaces", "  denied ( timeout )  <  100% ", EXP_DENIED,
      REASON_TIMEOUT, 0, EXP_LT, 1.0, "denied ( timeout )  <  100%" },
    { "p99 ok seconds", "p99(ok) < 2s", EXP_LATENCY, REASON_OK, 99, EXP_LT, 2e9,
      NULL },
    { "p50 all ms", "p50(all) <= 250ms", EXP_LATENCY, EXP_OUTCOME_ALL, 50,
      EXP_LE, 250e6, NULL },
    { "p999 denied", "p999(denied) < 1.5s", EXP_LATENCY, EXP_OUTCOME_DENIED,
      99.9, EXP_LT, 1.5e9, NULL },
    { "p99.9 spelled", "p99.9(ok) < 3s", EXP_LATENCY, REASON_OK, 99.9, EXP_LT,
      3e9, NULL },
    { "p95 reason", "p95(rate_limit) < 20ms", EXP_LATENCY, REASON_RATE_LIMIT,
      95, EXP_LT, 20e6, NULL },
    { "p90 us", "p90(ok) > 100us", EXP_LATENCY, REASON_OK, 90, EXP_GT, 1e5,
      NULL },
    { "max minutes", "max(ok) < 1m", EXP_LATENCY, REASON_OK, 100, EXP_LT, 60e9,
      NULL },
    { "mean ok", "mean(ok) < 800ms", EXP_LATENCY, REASON_OK, -1, EXP_LT, 800e6,
      NULL },
    { "latency zero", "p99(ok) > 0", EXP_LATENCY, REASON_OK, 99, EXP_GT, 0,
      NULL },
    { "count ok", "count(ok) > 1000", EXP_COUNT, REASON_OK, 0, EXP_GT, 1000,
      NULL },
    { "count denied", "count(denied) <= 0", EXP_COUNT, -1, 0, EXP_LE, 0, NULL },
    { "count reason", "count(account_banned) >= 5", EXP_COUNT,
      REASON_ACCOUNT_BANNED, 0, EXP_GE, 5, NULL },
    { "goodput rate", "goodput > 40/s", EXP_GOODPUT, 0, 0, EXP_GT, 40, NULL },
    { "goodput plain", "goodput >= 12.5", EXP_GOODPUT, 0, 0, EXP_GE, 12.5,
      NULL },
    { "goodput per minute", "goodput > 120/m", EXP_GOODPUT, 0, 0, EXP_GT, 2,
      NULL },
    { "retry amplification", "retry_amplification < 1.5",
      EXP_RETRY_AMPLIFICATION, 0, 0, EXP_LT, 1.5, NULL },
};

#define N_OK (sizeof(ok_cases) / sizeof(ok_cases[0]))

static void test_ok_case(void **state)
{
    const struct ok_case *c = *state;
    struct expect_rule r;
    char err[256] = "untouched";
    assert_int_equal(expect_parse(c->text, &r, err, sizeof(err)), ERR_OK);
    assert_string_equal(err, "");
    assert_int_equal(r.metric, c->metric);
    if (c->metric != EXP_GOODPUT && c->metric != EXP_RETRY_AMPLIFICATION)
        assert_int_equal(r.reason, c->reason);
    if (c->metric == EXP_LATENCY)
        assert_true(r.quantile == c->quantile);
    assert_int_equal(r.cmp, c->cmp);
    /* thresholds are products of exact decimal parses: 1e-9 relative */
    double tol = c->threshold * 1e-9;
    assert_true(r.threshold >= c->threshold - tol &&
                r.threshold <= c->threshold + tol);
    assert_string_equal(r.text, c->trimmed ? c->trimmed : c->text);
    assert_int_equal(r.line, 0);
    assert_int_equal(r.col, 0);
}

/* ---- invalid rules ------------------------------------------------------ */

struct bad_case {
    const char *name;
    const char *text;
    const char *error;
};

static const struct bad_case bad_cases[] = {
    { "empty", "   ", "empty rule: expected e.g. 'denied(rate_limit) < 5%'" },
    { "unknown metric", "denid < 5%",
      "unknown metric 'denid': expected denied, denied(REASON), "
      "count(OUTCOME), p50/p90/p95/p99/p999/max/mean(OUTCOME), goodput or "
      "retry_amplification" },
    { "no metric", "< 5%",
      "expected a metric at '< 5%': denied, denied(REASON), count(OUTCOME), "
      "p99(OUTCOME), goodput or retry_amplification" },
    { "misspelt reason", "denied(rate_limt) < 5%",
      "unknown reason 'rate_limt' (did you mean 'rate_limit'?); expected a "
      "denial reason id" },
    { "far reason", "denied(zzzzzzzz) < 5%",
      "unknown reason 'zzzzzzzz'; expected a denial reason id (see tollgate "
      "reasons)" },
    { "ok is not a denial", "denied(ok) < 5%",
      "'ok' is not a denial reason: use count(ok) or goodput for served "
      "requests" },
    { "missing paren", "denied(rate_limit < 5%",
      "missing ')' after 'denied(rate_limit'" },
    { "empty arg", "p99() < 2s",
      "empty argument in 'p99(...)': expected ok, all, denied or a denial "
      "reason id" },
    { "latency needs arg", "p99 < 2s",
      "'p99' needs an argument: expected 'p99(ok, all, denied or a denial "
      "reason id)'" },
    { "count needs arg", "count > 5",
      "'count' needs an argument: expected 'count(ok, denied or a denial "
      "reason id)'" },
    { "count unknown", "count(oks) > 5",
      "unknown reason 'oks' (did you mean 'ok'?); expected ok, denied or a "
      "denial reason id" },
    { "equals", "denied = 5%",
      "unexpected '= 5%': expected a comparison '<', '<=', '>' or '>='" },
    { "no comparison", "denied(outage)",
      "missing comparison: expected '<', '<=', '>' or '>=' and a threshold" },
    { "no threshold", "denied <", "missing threshold after the comparison" },
    { "negative", "goodput > -3",
      "negative threshold '-3': every metric is >= 0" },
    { "fraction garbage", "denied < five",
      "bad threshold 'five': expected a fraction such as 5% or 0.05" },
    { "fraction trailing", "denied < 5% or so",
      "bad threshold '5% or so': expected a fraction such as 5% or 0.05" },
    { "fraction too big", "denied < 150%",
      "threshold '150%' is above 100%: a denial rate is a fraction of "
      "attempts" },
    { "duration without unit", "p99(ok) < 2",
      "threshold '2' needs a unit: expected a duration such as 2s or 250ms" },
    { "duration bad unit", "p99(ok) < 2sec",
      "unknown unit 'sec' in '2sec': expected ns, us, ms, s, m, h or d" },
    { "duration garbage", "p99(ok) < fast",
      "bad threshold 'fast': expected a duration such as 2s or 250ms" },
    { "rate bad unit", "goodput > 40/week",
      "bad threshold '40/week': expected a rate such as 40/s, 3/m or a "
      "number per second" },
    { "plain with unit", "retry_amplification < 1.5x",
      "bad threshold '1.5x': expected a non-negative number" },
    { "two dots", "count(ok) > 1.2.3",
      "bad threshold '1.2.3': expected a non-negative number" },
    { "nan", "retry_amplification < nan",
      "bad threshold 'nan': expected a non-negative number" },
    { "too long",
      "denied(rate_limit) < "
      "5%                                                                  "
      "                                                                    "
      "    x",
      "rule longer than 159 characters" },
};

#define N_BAD (sizeof(bad_cases) / sizeof(bad_cases[0]))

static void test_bad_case(void **state)
{
    const struct bad_case *c = *state;
    struct expect_rule r;
    memset(&r, 0x5a, sizeof(r));
    struct expect_rule before = r;
    char err[256];
    assert_int_equal(expect_parse(c->text, &r, err, sizeof(err)), ERR_PARSE);
    assert_string_equal(err, c->error);
    /* out is untouched on failure */
    assert_memory_equal(&r, &before, sizeof(r));
}

static void test_null_and_short_err(void **state)
{
    (void)state;
    struct expect_rule r;
    char err[8];
    assert_int_equal(expect_parse(NULL, &r, err, sizeof(err)), ERR_PARSE);
    assert_string_equal(err, "empty r"); /* truncated, NUL-terminated */
    assert_int_equal(expect_parse("denid < 1", &r, NULL, 0), ERR_PARSE);
}

/* ---- comparisons -------------------------------------------------------- */

struct holds_case {
    const char *name;
    const char *text;
    double measured;
    bool want;
};

static const struct holds_case holds_cases[] = {
    { "lt below", "denied < 5%", 0.049, true },
    { "lt equal", "denied < 5%", 0.05, false },
    { "le equal", "denied <= 5%", 0.05, true },
    { "le above", "denied <= 5%", 0.0500001, false },
    { "gt zero fails on zero", "denied(outage) > 0", 0, false },
    { "gt zero passes", "denied(outage) > 0", 1e-9, true },
    { "ge equal", "goodput >= 40/s", 40, true },
    { "ge below", "goodput >= 40/s", 39.999, false },
    { "latency ns", "p99(ok) < 2s", 1999999999, true },
    { "latency at limit", "p99(ok) < 2s", 2e9, false },
    { "nan never holds lt", "retry_amplification < 1.5", 0.0 / 0.0, false },
    { "nan never holds gt", "count(ok) > 0", 0.0 / 0.0, false },
};

#define N_HOLDS (sizeof(holds_cases) / sizeof(holds_cases[0]))

static void test_holds_case(void **state)
{
    const struct holds_case *c = *state;
    struct expect_rule r;
    char err[256];
    assert_int_equal(expect_parse(c->text, &r, err, sizeof(err)), ERR_OK);
    assert_int_equal(expect_holds(&r, c->measured), c->want);
}

int main(void)
{
    struct CMUnitTest tests[N_OK + N_BAD + N_HOLDS + 1];
    size_t n = 0;
    for (size_t i = 0; i < N_OK; i++)
        tests[n++] = (struct CMUnitTest){ ok_cases[i].name, test_ok_case, NULL,
                                          NULL, (void *)&ok_cases[i] };
    for (size_t i = 0; i < N_BAD; i++)
        tests[n++] = (struct CMUnitTest){ bad_cases[i].name, test_bad_case,
                                          NULL, NULL, (void *)&bad_cases[i] };
    for (size_t i = 0; i < N_HOLDS; i++)
        tests[n++] = (struct CMUnitTest){ holds_cases[i].name, test_holds_case,
                                          NULL, NULL, (void *)&holds_cases[i] };
    tests[n++] =
        (struct CMUnitTest){ "null text and short buffer",
                             test_null_and_short_err, NULL, NULL, NULL };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

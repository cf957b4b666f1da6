/*
 * test_expect.c - the expect: rule grammar (valid rules and their parsed
 * fields, invalid rules and their exact error text) and comparisons.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <math.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/scenario/expect.h"
#include "core/stats/expect_measure.h"
#include "core/base/reason.h"
#include "core/stats/summary.h"

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
    enum expect_level level;
    const char *pop; /* NULL: "" */
};

static const struct ok_case ok_cases[] = {
    { "denied reason percent", "denied(rate_limit) < 5%", EXP_DENIED,
      REASON_RATE_LIMIT, 0, EXP_LT, 0.05, "denied(rate_limit) < 5%",
      EXP_ATTEMPTS, NULL },
    { "denied reason zero", "denied(free_tier_exhausted) > 0", EXP_DENIED,
      REASON_FREE_TIER_EXHAUSTED, 0, EXP_GT, 0, NULL, EXP_ATTEMPTS, NULL },
    { "denied all", "denied < 50%", EXP_DENIED, -1, 0, EXP_LT, 0.5, NULL,
      EXP_ATTEMPTS, NULL },
    { "denied fraction", "denied <= 0.25", EXP_DENIED, -1, 0, EXP_LE, 0.25,
      NULL, EXP_ATTEMPTS, NULL },
    { "denied no spaces", "denied(outage)>=1%", EXP_DENIED, REASON_OUTAGE, 0,
      EXP_GE, 0.01, NULL, EXP_ATTEMPTS, NULL },
    { "denied inner spaces", "  denied ( timeout )  <  100% ", EXP_DENIED,
      REASON_TIMEOUT, 0, EXP_LT, 1.0, "denied ( timeout )  <  100%",
      EXP_ATTEMPTS, NULL },
    { "p99 ok seconds", "p99(ok) < 2s", EXP_LATENCY, REASON_OK, 99, EXP_LT, 2e9,
      NULL, EXP_ATTEMPTS, NULL },
    { "p50 all ms", "p50(all) <= 250ms", EXP_LATENCY, EXP_OUTCOME_ALL, 50,
      EXP_LE, 250e6, NULL, EXP_ATTEMPTS, NULL },
    { "p999 denied", "p999(denied) < 1.5s", EXP_LATENCY, EXP_OUTCOME_DENIED,
      99.9, EXP_LT, 1.5e9, NULL, EXP_ATTEMPTS, NULL },
    { "p99.9 spelled", "p99.9(ok) < 3s", EXP_LATENCY, REASON_OK, 99.9, EXP_LT,
      3e9, NULL, EXP_ATTEMPTS, NULL },
    { "p95 reason", "p95(rate_limit) < 20ms", EXP_LATENCY, REASON_RATE_LIMIT,
      95, EXP_LT, 20e6, NULL, EXP_ATTEMPTS, NULL },
    { "p90 us", "p90(ok) > 100us", EXP_LATENCY, REASON_OK, 90, EXP_GT, 1e5,
      NULL, EXP_ATTEMPTS, NULL },
    { "max minutes", "max(ok) < 1m", EXP_LATENCY, REASON_OK, 100, EXP_LT, 60e9,
      NULL, EXP_ATTEMPTS, NULL },
    { "mean ok", "mean(ok) < 800ms", EXP_LATENCY, REASON_OK, -1, EXP_LT, 800e6,
      NULL, EXP_ATTEMPTS, NULL },
    { "latency zero", "p99(ok) > 0", EXP_LATENCY, REASON_OK, 99, EXP_GT, 0,
      NULL, EXP_ATTEMPTS, NULL },
    { "count ok", "count(ok) > 1000", EXP_COUNT, REASON_OK, 0, EXP_GT, 1000,
      NULL, EXP_ATTEMPTS, NULL },
    { "count denied", "count(denied) <= 0", EXP_COUNT, -1, 0, EXP_LE, 0, NULL,
      EXP_ATTEMPTS, NULL },
    { "count reason", "count(account_banned) >= 5", EXP_COUNT,
      REASON_ACCOUNT_BANNED, 0, EXP_GE, 5, NULL, EXP_ATTEMPTS, NULL },
    { "goodput rate", "goodput > 40/s", EXP_GOODPUT, 0, 0, EXP_GT, 40, NULL,
      EXP_ATTEMPTS, NULL },
    { "goodput plain", "goodput >= 12.5", EXP_GOODPUT, 0, 0, EXP_GE, 12.5, NULL,
      EXP_ATTEMPTS, NULL },
    { "goodput per minute", "goodput > 120/m", EXP_GOODPUT, 0, 0, EXP_GT, 2,
      NULL, EXP_ATTEMPTS, NULL },
    { "retry amplification", "retry_amplification < 1.5",
      EXP_RETRY_AMPLIFICATION, 0, 0, EXP_LT, 1.5, NULL, EXP_ATTEMPTS, NULL },
    /* levels and scopes */
    { "requests denied", "requests.denied < 5%", EXP_DENIED, -1, 0, EXP_LT,
      0.05, NULL, EXP_REQUESTS, NULL },
    { "requests denied reason", "requests.denied(rate_limit) < 1%", EXP_DENIED,
      REASON_RATE_LIMIT, 0, EXP_LT, 0.01, NULL, EXP_REQUESTS, NULL },
    { "requests p99 no outcome", "requests.p99 < 30s", EXP_LATENCY,
      EXP_OUTCOME_ALL, 99, EXP_LT, 30e9, NULL, EXP_REQUESTS, NULL },
    { "requests p99.9 ok", "requests.p99.9(ok) < 1m", EXP_LATENCY, REASON_OK,
      99.9, EXP_LT, 60e9, NULL, EXP_REQUESTS, NULL },
    { "attempts explicit", "attempts.denied(outage) < 40%", EXP_DENIED,
      REASON_OUTAGE, 0, EXP_LT, 0.4, NULL, EXP_ATTEMPTS, NULL },
    { "attempts p50 no outcome", "attempts.p50 <= 2s", EXP_LATENCY,
      EXP_OUTCOME_ALL, 50, EXP_LE, 2e9, NULL, EXP_ATTEMPTS, NULL },
    { "requests lost", "requests.lost < 0.1%", EXP_LOST, 0, 0, EXP_LT, 0.001,
      NULL, EXP_REQUESTS, NULL },
    { "requests count lost", "requests.count(lost) <= 0", EXP_COUNT,
      EXP_OUTCOME_LOST, 0, EXP_LE, 0, NULL, EXP_REQUESTS, NULL },
    { "population scope",
      "population(free).requests.denied("
      "free_tier_exhausted) < 80%",
      EXP_DENIED, REASON_FREE_TIER_EXHAUSTED, 0, EXP_LT, 0.8, NULL,
      EXP_REQUESTS, "free" },
    { "population spaces", " population( paid users ) . p99(ok) < 2s",
      EXP_LATENCY, REASON_OK, 99, EXP_LT, 2e9,
      "population( paid users ) . p99(ok) < 2s", EXP_ATTEMPTS, "paid users" },
    { "population goodput", "population(free).goodput > 1/s", EXP_GOODPUT, 0, 0,
      EXP_GT, 1, NULL, EXP_ATTEMPTS, "free" },
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
    assert_int_equal(r.level, c->level);
    assert_string_equal(r.pop, c->pop ? c->pop : "");
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
      "retry_amplification (requests.lost for requests)" },
    { "no metric", "< 5%",
      "expected a metric at '< 5%': denied, denied(REASON), count(OUTCOME), "
      "p99(OUTCOME), goodput or retry_amplification, optionally after "
      "requests. or attempts." },
    { "level alone", "requests < 5%",
      "expected a metric after 'requests.', e.g. requests.denied < 5% or "
      "requests.p99 < 2s" },
    { "level and dot alone", "attempts. < 5%",
      "expected a metric after 'attempts.', e.g. attempts.denied < 5% or "
      "attempts.p99 < 2s" },
    { "lost without level", "lost < 1%",
      "'lost' is a share of requests: write requests.lost" },
    { "count lost on attempts", "count(lost) > 0",
      "lost requests are counted per request: write requests.count(lost)" },
    { "goodput with a level", "requests.goodput > 1/s",
      "'goodput' has no level: it relates attempts to requests; write it "
      "without 'requests.'" },
    { "unknown level metric", "requests.denies < 5%",
      "unknown metric 'denies': expected denied, denied(REASON), "
      "count(OUTCOME), p50/p90/p95/p99/p999/max/mean(OUTCOME), goodput or "
      "retry_amplification (requests.lost for requests)" },
    { "population without dot", "population(free) denied < 5%",
      "expected '.' and a metric after 'population(free)', e.g. "
      "population(free).requests.denied < 5%" },
    { "population empty", "population( ).denied < 5%",
      "empty population name in 'population()': expected one of the "
      "scenario's accounts: names" },
    { "population unclosed", "population(free.denied < 5%",
      "missing ')' after 'population(free.denied < 5%'" },
    { "population latency by reason", "population(free).p99(outage) < 1s",
      "'p99(outage)' per population: only p99(all) and p99(ok) are kept for "
      "each population" },
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
      "unexpected space in threshold '5% or so': write it as one word, e.g. "
      "2s, 5% or 40/s" },
    { "unit after space", "p99(ok) < 2 seconds",
      "unexpected space in threshold '2 seconds': write it as one word, e.g. "
      "2s, 5% or 40/s" },
    { "fraction trailing garbage", "denied < 5%x",
      "bad threshold '5%x': expected a fraction such as 5% or 0.05" },
    { "fraction too big", "denied < 150%",
      "threshold '150%' is above 100%: a share is a fraction of attempts "
      "or requests" },
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

/* ---- measuring from a summary ---------------------------------------------
 */

/* A fixture filled field by field (not through summary_from_record) so the
 * expected values below are exact by construction. */
static void fixture(struct summary *s)
{
    memset(s, 0, sizeof(*s));
    s->requests = (struct summary_req){
        .attempts = 1000, .unique = 800, .ok = 900, .denied = 100
    };
    s->denied_by_reason[REASON_RATE_LIMIT] = 60;
    s->denied_by_reason[REASON_OUTAGE] = 40;
    s->goodput_per_s = 15;
    s->retry_amplification = 1.25;
    s->lat_all =
        (struct summary_lat){ 1000, 700, 1200, 1300, 1490, 2500, 4000, 650 };
    s->lat_ok =
        (struct summary_lat){ 900, 800, 1250, 1350, 1500, 2600, 4000, 820 };
    s->lat_denied = (struct summary_lat){ 100, 15, 30, 35, 40, 45, 50, 18 };
    s->lat_by_reason[REASON_RATE_LIMIT] =
        (struct summary_lat){ 60, 12, 20, 22, 25, 26, 27, 13.5 };
    s->lat_by_reason[REASON_OUTAGE] =
        (struct summary_lat){ 40, 0.5, 1, 1, 1.2, 1.3, 1.4, 0.6 };
    /* request level: 800 requests, 740 ok after retries, 50 denied (30
     * rate_limit, 20 outage), 10 lost; callers waited up to a minute */
    s->has_rq = true;
    s->rq = (struct summary_rq){ .requests = 800,
                                 .ok = 740,
                                 .denied = 50,
                                 .lost = 10,
                                 .denial_rate = 50.0 / 800,
                                 .lost_rate = 10.0 / 800 };
    s->rq.lat_all = (struct summary_lat){ 790,   900,   9000,  20000,
                                          30500, 59000, 60000, 2100 };
    s->rq.lat_ok = (struct summary_lat){ 740,   850,   8000,  19000,
                                         29000, 58000, 60000, 1900 };
    s->final_by_outcome[REASON_OK] = 740;
    s->final_by_outcome[REASON_RATE_LIMIT] = 30;
    s->final_by_outcome[REASON_OUTAGE] = 20;
    s->rq_by_reason[REASON_OUTAGE] =
        (struct summary_lat){ 20, 100, 200, 300, 400, 500, 600, 250 };
    s->duration_s = 100;
    /* two populations: free (300 attempts, 200 requests) and paid */
    static struct summary_pop pops[2];
    memset(pops, 0, sizeof(pops));
    snprintf(pops[0].name, sizeof(pops[0].name), "free");
    pops[0].requests = (struct summary_req){
        .attempts = 300, .unique = 200, .ok = 240, .denied = 60
    };
    pops[0].denied_by_reason[REASON_RATE_LIMIT] = 60;
    pops[0].lat_all = (struct summary_lat){ 300, 20, 40, 50, 60, 70, 80, 25 };
    pops[0].lat_ok = (struct summary_lat){ 240, 21, 41, 51, 61, 71, 81, 26 };
    pops[0].rq =
        (struct summary_rq){ .requests = 200, .ok = 170, .denied = 30 };
    pops[0].rq.lat_all =
        (struct summary_lat){ 200, 500, 4000, 5000, 7000, 9000, 9500, 800 };
    pops[0].final_by_reason[REASON_RATE_LIMIT] = 30;
    snprintf(pops[1].name, sizeof(pops[1].name), "paid");
    s->pops = pops;
    s->n_pops = 2;
}

struct measure_case {
    const char *name;
    const char *text;
    double want; /* base units; NAN: no samples */
    bool holds;
    const char *shown; /* expect_fmt_value of the measured value */
};

static const struct measure_case measure_cases[] = {
    { "denied all", "denied < 50%", 0.1, true, "10%" },
    { "denied reason", "denied(rate_limit) < 5%", 0.06, false, "6%" },
    { "denied absent reason", "denied(billing) > 0", 0, false, "0%" },
    { "count ok", "count(ok) >= 900", 900, true, "900" },
    { "count denied", "count(denied) < 100", 100, false, "100" },
    { "count reason", "count(outage) > 0", 40, true, "40" },
    { "p99 ok", "p99(ok) < 2s", 1500e6, true, "1.5s" },
    { "p50 all", "p50(all) < 500ms", 700e6, false, "700ms" },
    { "p95 ok", "p95(ok) <= 1350ms", 1350e6, true, "1.35s" },
    { "p90 denied", "p90(denied) < 1s", 30e6, true, "30ms" },
    { "p999 ok", "p999(ok) < 3s", 2600e6, true, "2.6s" },
    { "max all", "max(all) < 1m", 4000e6, true, "4s" },
    { "mean reason", "mean(rate_limit) < 10ms", 13.5e6, false, "13.5ms" },
    { "sub ms reason", "p50(outage) < 1ms", 0.5e6, true, "500us" },
    { "no samples fails upper", "p99(timeout) < 1s", NAN, false, "no samples" },
    { "no samples fails lower", "p99(timeout) > 0", NAN, false, "no samples" },
    { "goodput", "goodput > 10/s", 15, true, "15/s" },
    { "retry amplification", "retry_amplification < 1.2", 1.25, false, "1.25" },
    /* request level: shares of the 800 requests that ended */
    { "requests denied", "requests.denied < 5%", 50.0 / 800, false, "6.25%" },
    { "requests denied reason", "requests.denied(outage) < 5%", 20.0 / 800,
      true, "2.5%" },
    { "requests lost", "requests.lost < 1%", 10.0 / 800, false, "1.25%" },
    { "requests count lost", "requests.count(lost) > 0", 10, true, "10" },
    { "requests count ok", "requests.count(ok) >= 740", 740, true, "740" },
    { "requests p99", "requests.p99 < 30s", 30500e6, false, "30.5s" },
    { "requests p50 ok", "requests.p50(ok) < 1s", 850e6, true, "850ms" },
    { "requests max reason", "requests.max(outage) < 1s", 600e6, true,
      "600ms" },
    { "attempts explicit", "attempts.denied(outage) < 5%", 0.04, true, "4%" },
    /* one population */
    { "population attempts", "population(free).denied < 25%", 0.2, true,
      "20%" },
    { "population requests",
      "population(free).requests.denied(rate_limit) "
      "< 10%",
      30.0 / 200, false, "15%" },
    { "population p99", "population(free).requests.p99(all) < 10s", 7000e6,
      true, "7s" },
    { "population attempt p50 ok", "population(free).p50(ok) < 1s", 21e6, true,
      "21ms" },
    { "population goodput", "population(free).goodput > 2/s", 2.4, true,
      "2.4/s" },
    { "population amplification", "population(free).retry_amplification < 2",
      1.5, true, "1.5" },
};

#define N_MEASURE (sizeof(measure_cases) / sizeof(measure_cases[0]))

static void test_measure_case(void **state)
{
    const struct measure_case *c = *state;
    struct summary s;
    struct expect_rule r;
    char err[256], shown[64];
    double v = -1;
    fixture(&s);
    assert_int_equal(expect_parse(c->text, &r, err, sizeof(err)), ERR_OK);
    assert_int_equal(expect_measure(&r, &s, &v), ERR_OK);
    if (isnan(c->want))
        assert_true(isnan(v));
    else /* ms -> ns products: 1e-9 relative */
        assert_true(fabs(v - c->want) <= 1e-9 * fabs(c->want));
    assert_int_equal(expect_holds(&r, v), c->holds);
    assert_string_equal(expect_fmt_value(&r, v, shown, sizeof(shown)),
                        c->shown);
}

static void test_measure_no_attempts(void **state)
{
    (void)state;
    struct summary s;
    struct expect_rule r;
    char err[256];
    double v = -1;
    memset(&s, 0, sizeof(s));
    assert_int_equal(expect_parse("denied(outage) < 1%", &r, err, sizeof(err)),
                     ERR_OK);
    assert_int_equal(expect_measure(&r, &s, &v), ERR_OK);
    assert_true(v == 0.0);
    assert_true(expect_holds(&r, v));
}

static void test_measure_bad_quantile(void **state)
{
    (void)state;
    struct summary s;
    struct expect_rule r;
    char err[256];
    double v = 0;
    fixture(&s);
    assert_int_equal(expect_parse("p99(ok) < 1s", &r, err, sizeof(err)),
                     ERR_OK);
    r.quantile = 75; /* not a statistic the summary carries */
    assert_int_equal(expect_measure(&r, &s, &v), ERR_INVAL);
    assert_true(isnan(v));
}

/* Rules the results cannot answer say why, and measure NaN (fail). */
static void test_measure_explain(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        bool has_rq;
        const char *why;
    } cases[] = {
        { "population(gold).denied < 5%", true,
          "no population 'gold' in these results" },
        { "requests.denied < 5%", false,
          "summary.json: these results predate request-level records; run "
          "again" },
        { "population(free).requests.p99 < 1s", false,
          "summary.json: these results predate request-level records; run "
          "again" },
    };
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        struct summary s;
        struct expect_rule r;
        char err[256], why[160];
        double v = 0;
        fixture(&s);
        s.has_rq = cases[k].has_rq;
        assert_int_equal(expect_parse(cases[k].text, &r, err, sizeof(err)),
                         ERR_OK);
        assert_int_equal(expect_measure_explain(&r, &s, &v, why, sizeof(why)),
                         ERR_INVAL);
        assert_true(isnan(v));
        assert_string_equal(why, cases[k].why);
        assert_false(expect_holds(&r, v));
    }
}

static void test_fmt_small_rate(void **state)
{
    (void)state;
    struct expect_rule r;
    char err[256], buf[32];
    assert_int_equal(expect_parse("denied > 0", &r, err, sizeof(err)), ERR_OK);
    assert_string_equal(expect_fmt_value(&r, 1e-8, buf, sizeof(buf)),
                        "1.00e-06%");
    assert_string_equal(expect_fmt_value(&r, 0.0321, buf, sizeof(buf)),
                        "3.21%");
}

int main(void)
{
    struct CMUnitTest tests[N_OK + N_BAD + N_HOLDS + N_MEASURE + 5];
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
    for (size_t i = 0; i < N_MEASURE; i++)
        tests[n++] =
            (struct CMUnitTest){ measure_cases[i].name, test_measure_case, NULL,
                                 NULL, (void *)&measure_cases[i] };
    tests[n++] =
        (struct CMUnitTest){ "measure with no attempts",
                             test_measure_no_attempts, NULL, NULL, NULL };
    tests[n++] =
        (struct CMUnitTest){ "measure unknown quantile",
                             test_measure_bad_quantile, NULL, NULL, NULL };
    tests[n++] = (struct CMUnitTest){ "unmeasurable rules say why",
                                      test_measure_explain, NULL, NULL, NULL };
    tests[n++] = (struct CMUnitTest){ "format tiny rates", test_fmt_small_rate,
                                      NULL, NULL, NULL };
    tests[n++] =
        (struct CMUnitTest){ "null text and short buffer",
                             test_null_and_short_err, NULL, NULL, NULL };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_units.c - the value parsers and formatters of core/base/units.h.
 *
 * One table of parse rows (every value type, valid and invalid, each
 * error code), one of formatter rows, and round-trip checks: whatever a
 * formatter writes, the parser reads back to the identical value.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/base/units.h"

enum kind { K_DUR, K_RATE, K_RAMP, K_MONEY, K_PRICE, K_FRAC, K_COUNT, K_NUM };

struct parse_case {
    const char *name;
    enum kind kind;
    const char *in;
    int want_rc;
    int64_t want_i; /* durations, money, prices, counts */
    double want_d;  /* rates, fractions, ramp from */
    double want_d2; /* ramp to */
};

#define S   NS_PER_S
#define MS  NS_PER_MS
#define USD PUSD_PER_USD

static const struct parse_case parse_cases[] = {
    /* durations */
    { "dur 250ms", K_DUR, "250ms", ERR_OK, 250 * MS, 0, 0 },
    { "dur 90s", K_DUR, "90s", ERR_OK, 90 * S, 0, 0 },
    { "dur 1.5s", K_DUR, "1.5s", ERR_OK, 1500 * MS, 0, 0 },
    { "dur 10m", K_DUR, "10m", ERR_OK, 600 * S, 0, 0 },
    { "dur 2h", K_DUR, "2h", ERR_OK, 7200 * S, 0, 0 },
    { "dur 7d", K_DUR, "7d", ERR_OK, 7 * 86400 * S, 0, 0 },
    { "dur 100us", K_DUR, "100us", ERR_OK, 100000, 0, 0 },
    { "dur 12ns", K_DUR, "12ns", ERR_OK, 12, 0, 0 },
    { "dur 0", K_DUR, "0", ERR_OK, 0, 0, 0 },
    { "dur 0s", K_DUR, "0s", ERR_OK, 0, 0, 0 },
    { "dur spaces", K_DUR, "  30s ", ERR_OK, 30 * S, 0, 0 },
    { "dur compound", K_DUR, "2h30m", ERR_OK, 9000 * S, 0, 0 },
    { "dur go style", K_DUR, "1m0.5s", ERR_OK, 60500 * MS, 0, 0 },
    { "dur 0.1d", K_DUR, "0.1d", ERR_OK, 8640 * S, 0, 0 },
    { "dur 1.0000000005s", K_DUR, "1.0000000005s", ERR_OK, S + 1, 0, 0 },
    { "dur .5h", K_DUR, ".5h", ERR_OK, 1800 * S, 0, 0 },
    { "dur bare number", K_DUR, "5", ERR_PARSE, 0, 0, 0 },
    { "dur bad unit", K_DUR, "5min", ERR_PARSE, 0, 0, 0 },
    { "dur empty", K_DUR, "", ERR_PARSE, 0, 0, 0 },
    { "dur junk after", K_DUR, "5s x", ERR_PARSE, 0, 0, 0 },
    { "dur word", K_DUR, "soon", ERR_PARSE, 0, 0, 0 },
    { "dur exponent", K_DUR, "1e3s", ERR_PARSE, 0, 0, 0 },
    { "dur negative", K_DUR, "-5s", ERR_RANGE, 0, 0, 0 },
    { "dur overflow", K_DUR, "300000d", ERR_RANGE, 0, 0, 0 },
    { "dur huge digits", K_DUR, "99999999999999999999999s", ERR_RANGE, 0, 0,
      0 },
    { "dur sum overflow", K_DUR, "100000d100000d", ERR_RANGE, 0, 0, 0 },
    /* rates */
    { "rate 50/s", K_RATE, "50/s", ERR_OK, 0, 50, 0 },
    { "rate 3/m", K_RATE, "3/m", ERR_OK, 0, 3.0 / 60, 0 },
    { "rate 200/h", K_RATE, "200/h", ERR_OK, 0, 200.0 / 3600, 0 },
    { "rate 200/d", K_RATE, "200/d", ERR_OK, 0, 200.0 / 86400, 0 },
    { "rate 0.5/s", K_RATE, "0.5/s", ERR_OK, 0, 0.5, 0 },
    { "rate 0/s", K_RATE, "0/s", ERR_OK, 0, 0, 0 },
    { "rate no unit", K_RATE, "50", ERR_PARSE, 0, 0, 0 },
    { "rate bad unit", K_RATE, "50/w", ERR_PARSE, 0, 0, 0 },
    { "rate ramp given", K_RATE, "1/s..2/s", ERR_PARSE, 0, 0, 0 },
    { "rate negative", K_RATE, "-5/s", ERR_RANGE, 0, 0, 0 },
    { "rate infinite", K_RATE, "1e999/s", ERR_RANGE, 0, 0, 0 },
    /* ramps */
    { "ramp plain", K_RAMP, "20/s", ERR_OK, 0, 20, 20 },
    { "ramp up", K_RAMP, "50/s..500/s", ERR_OK, 0, 50, 500 },
    { "ramp mixed units", K_RAMP, "60/m..2/s", ERR_OK, 0, 1, 2 },
    { "ramp shared unit", K_RAMP, "20..400/s", ERR_OK, 0, 20, 400 },
    { "ramp down", K_RAMP, "10/s .. 0/s", ERR_OK, 0, 10, 0 },
    { "ramp no end unit", K_RAMP, "20/s..400", ERR_PARSE, 0, 0, 0 },
    { "ramp missing end", K_RAMP, "20/s..", ERR_PARSE, 0, 0, 0 },
    { "ramp negative", K_RAMP, "-1/s..5/s", ERR_RANGE, 0, 0, 0 },
    /* money */
    { "money $5.00", K_MONEY, "$5.00", ERR_OK, 5 * USD, 0, 0 },
    { "money 5.00", K_MONEY, "5.00", ERR_OK, 5 * USD, 0, 0 },
    { "money $0.15 exact", K_MONEY, "$0.15", ERR_OK, 150000000000LL, 0, 0 },
    { "money 0.001", K_MONEY, "0.001", ERR_OK, 1000000000LL, 0, 0 },
    { "money 1 pico", K_MONEY, "0.000000000001", ERR_OK, 1, 0, 0 },
    { "money 9M", K_MONEY, "9000000", ERR_OK, 9000000 * USD, 0, 0 },
    { "money sub-pico", K_MONEY, "0.0000000000001", ERR_RANGE, 0, 0, 0 },
    { "money too big", K_MONEY, "$10000000", ERR_RANGE, 0, 0, 0 },
    { "money negative", K_MONEY, "-5.00", ERR_RANGE, 0, 0, 0 },
    { "money word", K_MONEY, "five", ERR_PARSE, 0, 0, 0 },
    { "money trailing", K_MONEY, "5.00 USD", ERR_PARSE, 0, 0, 0 },
    { "money double $", K_MONEY, "$$5", ERR_PARSE, 0, 0, 0 },
    /* prices */
    { "price 0.15/1M", K_PRICE, "0.15/1M", ERR_OK, 150000, 0, 0 },
    { "price $2.50/1M", K_PRICE, "$2.50/1M", ERR_OK, 2500000, 0, 0 },
    { "price /1K", K_PRICE, "0.002/1K", ERR_OK, 2000000, 0, 0 },
    { "price /token", K_PRICE, "0.00001/token", ERR_OK, 10000000, 0, 0 },
    { "price /1000", K_PRICE, "1/1000", ERR_OK, 1000000000, 0, 0 },
    { "price zero", K_PRICE, "0", ERR_OK, 0, 0, 0 },
    { "price no per", K_PRICE, "0.15", ERR_PARSE, 0, 0, 0 },
    { "price bad per", K_PRICE, "0.15/1X", ERR_PARSE, 0, 0, 0 },
    { "price per zero", K_PRICE, "1/0", ERR_RANGE, 0, 0, 0 },
    { "price negative", K_PRICE, "-1/1M", ERR_RANGE, 0, 0, 0 },
    /* fractions */
    { "frac 5%", K_FRAC, "5%", ERR_OK, 0, 0.05, 0 },
    { "frac 0.05", K_FRAC, "0.05", ERR_OK, 0, 0.05, 0 },
    { "frac 0.1%", K_FRAC, "0.1%", ERR_OK, 0, 0.001, 0 },
    { "frac 100%", K_FRAC, "100%", ERR_OK, 0, 1, 0 },
    { "frac 1", K_FRAC, "1", ERR_OK, 0, 1, 0 },
    { "frac 0", K_FRAC, "0", ERR_OK, 0, 0, 0 },
    { "frac 1e-4", K_FRAC, "1e-4", ERR_OK, 0, 1e-4, 0 },
    { "frac 150%", K_FRAC, "150%", ERR_RANGE, 0, 0, 0 },
    { "frac 1.5", K_FRAC, "1.5", ERR_RANGE, 0, 0, 0 },
    { "frac negative", K_FRAC, "-1%", ERR_RANGE, 0, 0, 0 },
    { "frac word", K_FRAC, "half", ERR_PARSE, 0, 0, 0 },
    { "frac space pct", K_FRAC, "5 %", ERR_PARSE, 0, 0, 0 },
    /* counts */
    { "count 500", K_COUNT, "500", ERR_OK, 500, 0, 0 },
    { "count 1k", K_COUNT, "1k", ERR_OK, 1000, 0, 0 },
    { "count 2.5k", K_COUNT, "2.5k", ERR_OK, 2500, 0, 0 },
    { "count 1M", K_COUNT, "1M", ERR_OK, 1000000, 0, 0 },
    { "count 0", K_COUNT, "0", ERR_OK, 0, 0, 0 },
    { "count 1.0", K_COUNT, "1.0", ERR_OK, 1, 0, 0 },
    { "count fraction", K_COUNT, "1.5", ERR_PARSE, 0, 0, 0 },
    { "count fraction k", K_COUNT, "1.2345k", ERR_PARSE, 0, 0, 0 },
    { "count bad suffix", K_COUNT, "5x", ERR_PARSE, 0, 0, 0 },
    { "count negative", K_COUNT, "-3", ERR_RANGE, 0, 0, 0 },
    { "count overflow", K_COUNT, "99999999999999999999", ERR_RANGE, 0, 0, 0 },
    { "count overflow M", K_COUNT, "10000000000000M", ERR_RANGE, 0, 0, 0 },
    /* plain numbers (weights, factors) */
    { "num 0.5", K_NUM, "0.5", ERR_OK, 0, 0.5, 0 },
    { "num 7", K_NUM, "7", ERR_OK, 0, 7, 0 },
    { "num 1e-3", K_NUM, " 1e-3 ", ERR_OK, 0, 1e-3, 0 },
    { "num word", K_NUM, "seven", ERR_PARSE, 0, 0, 0 },
    { "num unit", K_NUM, "5s", ERR_PARSE, 0, 0, 0 },
    { "num percent", K_NUM, "5%", ERR_PARSE, 0, 0, 0 },
    { "num negative", K_NUM, "-1", ERR_RANGE, 0, 0, 0 },
    { "num infinite", K_NUM, "1e999", ERR_RANGE, 0, 0, 0 },
};

static void test_parse(void **state)
{
    const struct parse_case *c = *state;
    int64_t i = -1;
    double d = -1, d2 = -1;
    int rc = ERR_INVAL;
    switch (c->kind) {
    case K_DUR: rc = units_parse_duration(c->in, &i); break;
    case K_RATE: rc = units_parse_rate(c->in, &d); break;
    case K_RAMP: rc = units_parse_ramp(c->in, &d, &d2); break;
    case K_MONEY: rc = units_parse_money(c->in, &i); break;
    case K_PRICE: rc = units_parse_price(c->in, &i); break;
    case K_FRAC: rc = units_parse_fraction(c->in, &d); break;
    case K_COUNT: rc = units_parse_count(c->in, &i); break;
    case K_NUM: rc = units_parse_number(c->in, &d); break;
    }
    assert_int_equal(rc, c->want_rc);
    if (rc != ERR_OK)
        return;
    switch (c->kind) {
    case K_DUR:
    case K_MONEY:
    case K_PRICE:
    case K_COUNT: assert_int_equal(i, c->want_i); break;
    case K_RAMP: assert_true(d2 == c->want_d2); /* fall through */
    case K_RATE:
    case K_NUM:
    case K_FRAC: assert_true(d == c->want_d); break;
    }
}

struct dist_case {
    const char *name;
    const char *in;
    bool is_duration;
    int want_rc;
    enum dist_kind kind;
    double a, b;
};

static const struct dist_case dist_cases[] = {
    { "const dur", "800ms", true, ERR_OK, DIST_CONST, 8e8, 0 },
    { "const num", "500", false, ERR_OK, DIST_CONST, 500, 0 },
    { "const()", "const(3)", false, ERR_OK, DIST_CONST, 3, 0 },
    { "exp dur", "exp(2s)", true, ERR_OK, DIST_EXP, 2e9, 0 },
    { "uniform num", "uniform(100, 900)", false, ERR_OK, DIST_UNIFORM, 100,
      900 },
    { "uniform dur", "uniform(1s,2s)", true, ERR_OK, DIST_UNIFORM, 1e9, 2e9 },
    { "normal num", "normal(500, 50)", false, ERR_OK, DIST_NORMAL, 500, 50 },
    { "normal dur", "normal(1s, 100ms)", true, ERR_OK, DIST_NORMAL, 1e9, 1e8 },
    { "lognormal dur", "lognormal(800ms, 0.5)", true, ERR_OK, DIST_LOGNORMAL,
      8e8, 0.5 },
    { "lognormal num", "lognormal(400, 1.0)", false, ERR_OK, DIST_LOGNORMAL,
      400, 1 },
    { "pareto", "pareto(1s, 1.5)", true, ERR_OK, DIST_PARETO, 1e9, 1.5 },
    { "zipf", "zipf(1.1)", false, ERR_OK, DIST_ZIPF, 1.1, 0 },
    { "spaces", " exp( 2s ) ", true, ERR_OK, DIST_EXP, 2e9, 0 },
    { "dur needs unit", "exp(2)", true, ERR_PARSE, DIST_CONST, 0, 0 },
    { "num rejects unit", "exp(2s)", false, ERR_PARSE, DIST_CONST, 0, 0 },
    { "const needs unit", "800", true, ERR_PARSE, DIST_CONST, 0, 0 },
    { "sigma no unit", "lognormal(800ms, 0.5s)", true, ERR_PARSE, DIST_CONST, 0,
      0 },
    { "unknown kind", "gamma(1, 2)", false, ERR_PARSE, DIST_CONST, 0, 0 },
    { "too few args", "uniform(1)", false, ERR_PARSE, DIST_CONST, 0, 0 },
    { "too many args", "normal(1, 2, 3)", false, ERR_PARSE, DIST_CONST, 0, 0 },
    { "unclosed", "exp(2s", true, ERR_PARSE, DIST_CONST, 0, 0 },
    { "trailing", "exp(2s) x", true, ERR_PARSE, DIST_CONST, 0, 0 },
    { "exp zero mean", "exp(0s)", true, ERR_RANGE, DIST_CONST, 0, 0 },
    { "uniform reversed", "uniform(9, 1)", false, ERR_RANGE, DIST_CONST, 0, 0 },
    { "lognormal zero", "lognormal(0, 1)", false, ERR_RANGE, DIST_CONST, 0, 0 },
    { "pareto zero shape", "pareto(1, 0)", false, ERR_RANGE, DIST_CONST, 0, 0 },
    { "zipf zero", "zipf(0)", false, ERR_RANGE, DIST_CONST, 0, 0 },
    { "negative const", "-5", false, ERR_RANGE, DIST_CONST, 0, 0 },
    { "negative dur", "-5s", true, ERR_RANGE, DIST_CONST, 0, 0 },
};

static void test_dist(void **state)
{
    const struct dist_case *c = *state;
    struct dist d = { DIST_CONST, -1, -1 };
    assert_int_equal(units_parse_dist(c->in, c->is_duration, &d), c->want_rc);
    if (c->want_rc != ERR_OK)
        return;
    assert_int_equal(d.kind, c->kind);
    assert_true(d.a == c->a);
    assert_true(d.b == c->b);
}

enum fkind { F_DUR, F_RESET, F_MONEY, F_RATE, F_FRAC, F_PRICE, F_NUM };

struct fmt_case {
    const char *name;
    enum fkind kind;
    int64_t i;
    double d;
    const char *want;
};

static const struct fmt_case fmt_cases[] = {
    { "dur 0", F_DUR, 0, 0, "0" },
    { "dur 250ms", F_DUR, 250 * MS, 0, "250ms" },
    { "dur 1.5s", F_DUR, 1500 * MS, 0, "1.5s" },
    { "dur 10m", F_DUR, 600 * S, 0, "10m" },
    { "dur 2h30m", F_DUR, 9000 * S, 0, "2h30m" },
    { "dur 7d", F_DUR, 7 * 86400 * S, 0, "7d" },
    { "dur 100us", F_DUR, 100000, 0, "100us" },
    { "dur 12ns", F_DUR, 12, 0, "12ns" },
    { "dur 1d0h1s", F_DUR, 86401 * S, 0, "1d1s" },
    { "dur negative", F_DUR, -2 * S, 0, "-2s" },
    { "reset 6m0s", F_RESET, 360 * S, 0, "6m0s" },
    { "reset 1s", F_RESET, S, 0, "1s" },
    { "reset 20ms", F_RESET, 20 * MS, 0, "20ms" },
    { "reset 1h2m3s", F_RESET, 3723 * S, 0, "1h2m3s" },
    { "reset 1h0m0s", F_RESET, 3600 * S, 0, "1h0m0s" },
    { "reset 1.5ms", F_RESET, 1500000, 0, "1.5ms" },
    { "reset 2.25s", F_RESET, 2250 * MS, 0, "2.25s" },
    { "reset 0", F_RESET, 0, 0, "0s" },
    { "money 5", F_MONEY, 5 * USD, 0, "$5.00" },
    { "money 0.15", F_MONEY, 150000000000LL, 0, "$0.15" },
    { "money 0.001", F_MONEY, 1000000000LL, 0, "$0.001" },
    { "money pico", F_MONEY, 1, 0, "$0.000000000001" },
    { "money negative", F_MONEY, -5 * USD, 0, "-$5.00" },
    { "rate 50/s", F_RATE, 0, 50, "50/s" },
    { "rate 3/m", F_RATE, 0, 3.0 / 60, "3/m" },
    { "rate 200/d", F_RATE, 0, 200.0 / 86400, "200/d" },
    { "rate 0.5/s", F_RATE, 0, 0.5, "30/m" },
    { "rate 0", F_RATE, 0, 0, "0/s" },
    { "rate odd", F_RATE, 0, 1.0 / 7, "0.14285714285714285/s" },
    { "frac 5%", F_FRAC, 0, 0.05, "5%" },
    { "frac 0.1%", F_FRAC, 0, 0.001, "0.1%" },
    { "frac 1", F_FRAC, 0, 1, "100%" },
    { "price 0.15/1M", F_PRICE, 150000, 0, "$0.15/1M" },
    { "num 0.5", F_NUM, 0, 0.5, "0.5" },
    { "num 1e-05", F_NUM, 0, 1e-5, "1e-05" },
};

static void test_fmt(void **state)
{
    const struct fmt_case *c = *state;
    char buf[64];
    switch (c->kind) {
    case F_DUR: units_fmt_duration(buf, sizeof(buf), c->i); break;
    case F_RESET: units_fmt_reset(buf, sizeof(buf), c->i); break;
    case F_MONEY: units_fmt_money(buf, sizeof(buf), c->i); break;
    case F_RATE: units_fmt_rate(buf, sizeof(buf), c->d); break;
    case F_FRAC: units_fmt_fraction(buf, sizeof(buf), c->d); break;
    case F_PRICE: units_fmt_price(buf, sizeof(buf), c->i); break;
    case F_NUM: units_fmt_number(buf, sizeof(buf), c->d); break;
    }
    assert_string_equal(buf, c->want);
}

/* Formatting then parsing gives back the identical value. */
static void test_round_trip(void **state)
{
    (void)state;
    char buf[64];
    const int64_t durs[] = { 0,
                             1,
                             999,
                             1000,
                             1500000,
                             NS_PER_S + 1,
                             59 * NS_PER_S + 123456789,
                             90061 * NS_PER_S,
                             INT64_MAX };
    for (size_t i = 0; i < sizeof(durs) / sizeof(durs[0]); i++) {
        int64_t back = -1;
        units_fmt_duration(buf, sizeof(buf), durs[i]);
        assert_int_equal(units_parse_duration(buf, &back), ERR_OK);
        assert_int_equal(back, durs[i]);
    }
    const double rates[] = { 0, 1e-9, 1.0 / 3, 7.0 / 86400, 12345.678, 1e9 };
    for (size_t i = 0; i < sizeof(rates) / sizeof(rates[0]); i++) {
        double back = -1;
        units_fmt_rate(buf, sizeof(buf), rates[i]);
        assert_int_equal(units_parse_rate(buf, &back), ERR_OK);
        assert_true(back == rates[i]);
    }
    const double fracs[] = { 0, 1e-7, 0.0005, 1.0 / 3, 0.999, 1 };
    for (size_t i = 0; i < sizeof(fracs) / sizeof(fracs[0]); i++) {
        double back = -1;
        units_fmt_fraction(buf, sizeof(buf), fracs[i]);
        assert_int_equal(units_parse_fraction(buf, &back), ERR_OK);
        assert_true(back == fracs[i]);
    }
    const int64_t money[] = { 0, 1, 150000000000LL, INT64_MAX };
    for (size_t i = 0; i < sizeof(money) / sizeof(money[0]); i++) {
        int64_t back = -1;
        units_fmt_money(buf, sizeof(buf), money[i]);
        assert_int_equal(units_parse_money(buf, &back), ERR_OK);
        assert_int_equal(back, money[i]);
        units_fmt_price(buf, sizeof(buf), money[i]);
        assert_int_equal(units_parse_price(buf, &back), ERR_OK);
        assert_int_equal(back, money[i]);
    }
}

static void test_dist_round_trip(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(dist_cases) / sizeof(dist_cases[0]); i++) {
        const struct dist_case *c = &dist_cases[i];
        struct dist d, back;
        char buf[96];
        if (c->want_rc != ERR_OK)
            continue;
        assert_int_equal(units_parse_dist(c->in, c->is_duration, &d), ERR_OK);
        units_fmt_dist(buf, sizeof(buf), &d, c->is_duration);
        assert_int_equal(units_parse_dist(buf, c->is_duration, &back), ERR_OK);
        assert_int_equal(back.kind, d.kind);
        assert_true(back.a == d.a && back.b == d.b);
    }
}

/* A formatter never writes past the buffer it is given. */
static void test_fmt_truncates(void **state)
{
    (void)state;
    char buf[6];
    memset(buf, 'x', sizeof(buf));
    units_fmt_duration(buf, 4, 9000 * NS_PER_S);
    assert_string_equal(buf, "2h3");
    assert_int_equal(buf[5], 'x');
    units_fmt_money(buf, 4, 5 * PUSD_PER_USD);
    assert_string_equal(buf, "$5.");
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

int main(void)
{
    static struct CMUnitTest
        tests[N(parse_cases) + N(dist_cases) + N(fmt_cases) + 3];
    size_t n = 0;
    for (size_t i = 0; i < N(parse_cases); i++)
        tests[n++] = (struct CMUnitTest){ parse_cases[i].name, test_parse, NULL,
                                          NULL, (void *)&parse_cases[i] };
    for (size_t i = 0; i < N(dist_cases); i++)
        tests[n++] = (struct CMUnitTest){ dist_cases[i].name, test_dist, NULL,
                                          NULL, (void *)&dist_cases[i] };
    for (size_t i = 0; i < N(fmt_cases); i++)
        tests[n++] = (struct CMUnitTest){ fmt_cases[i].name, test_fmt, NULL,
                                          NULL, (void *)&fmt_cases[i] };
    tests[n++] =
        (struct CMUnitTest){ "round trip", test_round_trip, NULL, NULL, NULL };
    tests[n++] = (struct CMUnitTest){ "dist round trip", test_dist_round_trip,
                                      NULL, NULL, NULL };
    tests[n++] = (struct CMUnitTest){ "fmt truncates", test_fmt_truncates, NULL,
                                      NULL, NULL };
    return _cmocka_run_group_tests("units", tests, n, NULL, NULL);
}

/*
 * test_compare.c - the rows of `tollgate compare` (core/results/compare.c): the
 * rate tolerance in percentage points (boundary included), the relative
 * latency tolerance and its absolute floor, the 95% interval rule (both
 * sides need one), a side without samples, a reason that only one side
 * has, which rows exist; compare.csv's text; tolerance parsing.
 *
 * Every case is worked by hand in its comment.  The summaries are built
 * in the test: a side is its attempts, denial rate, rate_limit denials,
 * one latency value for every percentile of "all" (count = attempts), the
 * ok block's sample count and value, and an optional ci95.  Rates are
 * dyadic fractions so that percentage arithmetic is exact.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/results/compare.h"
#include "core/base/reason.h"

struct side {
    int64_t attempts;
    double denial_rate;
    int64_t rate_limit; /* denials by rate_limit */
    double lat_ms;      /* p50 = p90 = p99 = p999 of all */
    int64_t ok_count;
    double ok_ms;
    bool ci;                /* has_ci95 */
    double ci_rate, ci_p99; /* ci95 half-widths: denial rate, all p99 */
};

struct cmp_case {
    const char *name;
    struct side a, b;
    double rate_tol, lat_tol; /* 0: the defaults (2%, 10%) */
    const char *row;          /* the row checked */
    double want_a, want_b, want_diff, want_allowed;
    bool within, by_ci;
    char missing;
    size_t want_n; /* rows in all */
};

/* A side with 1000 attempts, 25% denied (250 rate_limit), 100 ms. */
#define BASE 1000, 0.25, 250, 100, 750, 50, false, 0, 0

static const struct cmp_case cases[] = {
    /* Same numbers: 25% vs 25%, diff 0 <= 2 pp.  Rows: denied,
     * rate_limit, all p50..p999, ok p50..p999 = 10. */
    { "equal sides are within",
      { BASE },
      { BASE },
      0,
      0,
      "denied",
      25,
      25,
      0,
      2,
      true,
      false,
      0,
      10 },
    /* 25% vs 28.125%: diff 3.125 pp > 2 pp. */
    { "rate 3.125pp outside 2pp",
      { BASE },
      { 1000, 0.28125, 250, 100, 750, 50, false, 0, 0 },
      0,
      0,
      "denied",
      25,
      28.125,
      3.125,
      2,
      false,
      false,
      0,
      10 },
    /* The same with a tolerance of exactly 3.125%: |diff| <= allowed. */
    { "rate on the boundary is within",
      { BASE },
      { 1000, 0.28125, 250, 100, 750, 50, false, 0, 0 },
      0.03125,
      0,
      "denied",
      25,
      28.125,
      3.125,
      3.125,
      true,
      false,
      0,
      10 },
    /* ci95 0.03 and 0.04: the difference's half-width is
     * 100 * sqrt(0.03^2 + 0.04^2) = 5 pp >= 3.125: within by the CI, and
     * allowed grows to 5. */
    { "rate within the 95% interval",
      { 1000, 0.25, 250, 100, 750, 50, true, 0.03, 0 },
      { 1000, 0.28125, 250, 100, 750, 50, true, 0.04, 0 },
      0,
      0,
      "denied",
      25,
      28.125,
      3.125,
      5,
      true,
      true,
      0,
      10 },
    /* Only A has an interval: nothing to combine, the tolerance rules. */
    { "one-sided interval does not count",
      { 1000, 0.25, 250, 100, 750, 50, true, 0.03, 0 },
      { 1000, 0.28125, 250, 100, 750, 50, false, 0, 0 },
      0,
      0,
      "denied",
      25,
      28.125,
      3.125,
      2,
      false,
      false,
      0,
      10 },
    /* rate_limit 250/1000 = 25% vs 281/1000 = 28.1%: a reason row uses the
     * tolerance alone, even with intervals on both sides. */
    { "reason rows ignore intervals",
      { 1000, 0.25, 250, 100, 750, 50, true, 0.03, 0 },
      { 1000, 0.25, 281, 100, 750, 50, true, 0.04, 0 },
      0,
      0,
      "rate_limit",
      25,
      28.1,
      3.1,
      2,
      false,
      false,
      0,
      10 },
    /* A reason only B has: 0% vs 5%: outside (relative change infinite). */
    { "reason new in B",
      { 1000, 0, 0, 100, 1000, 100, false, 0, 0 },
      { 1000, 0.05, 50, 100, 950, 100, false, 0, 0 },
      0,
      0,
      "rate_limit",
      0,
      5,
      5,
      2,
      false,
      false,
      0,
      10 },
    /* Neither side denies anything: only the denied row, no reason row:
     * 1 + 4 + 4 rows. */
    { "no reason rows without denials",
      { 1000, 0, 0, 100, 1000, 100, false, 0, 0 },
      { 1000, 0, 0, 100, 1000, 100, false, 0, 0 },
      0,
      0,
      "denied",
      0,
      0,
      0,
      2,
      true,
      false,
      0,
      9 },
    /* 100 ms vs 109 ms: 10% of 100 = 10 ms allowed, 9 within. */
    { "latency 9% within 10%",
      { BASE },
      { 1000, 0.25, 250, 109, 750, 50, false, 0, 0 },
      0,
      0,
      "all p99",
      100,
      109,
      9,
      10,
      true,
      false,
      0,
      10 },
    /* 100 ms vs 112 ms: 12 > 10. */
    { "latency 12% outside 10%",
      { BASE },
      { 1000, 0.25, 250, 112, 750, 50, false, 0, 0 },
      0,
      0,
      "all p99",
      100,
      112,
      12,
      10,
      false,
      false,
      0,
      10 },
    /* 0.25 ms vs 0.75 ms (+200%): 10% is 0.025 ms, the 1 ms floor
     * allows it. */
    { "latency under the floor is within",
      { 1000, 0.25, 250, 0.25, 750, 50, false, 0, 0 },
      { 1000, 0.25, 250, 0.75, 750, 50, false, 0, 0 },
      0,
      0,
      "all p50",
      0.25,
      0.75,
      0.5,
      1,
      true,
      false,
      0,
      10 },
    /* 100 vs 120 ms, ci95 of p99 12 and 16: sqrt(144 + 256) = 20 >= 20. */
    { "latency within the 95% interval",
      { 1000, 0.25, 250, 100, 750, 50, true, 0, 12 },
      { 1000, 0.25, 250, 120, 750, 50, true, 0, 16 },
      0,
      0,
      "all p99",
      100,
      120,
      20,
      20,
      true,
      true,
      0,
      10 },
    /* A latency tolerance of 25%: 25 ms allowed for 120. */
    { "latency tolerance option",
      { BASE },
      { 1000, 0.25, 250, 120, 750, 50, false, 0, 0 },
      0,
      0.25,
      "all p99",
      100,
      120,
      20,
      25,
      true,
      false,
      0,
      10 },
    /* A has no ok sample, B has: the ok rows are missing on A, never
     * within, and nothing is allowed. */
    { "ok block missing on A",
      { 1000, 1, 1000, 100, 0, 0, false, 0, 0 },
      { 1000, 0.5, 500, 100, 500, 50, false, 0, 0 },
      0,
      0,
      "ok p90",
      0,
      50,
      50,
      0,
      false,
      false,
      'A',
      10 },
    /* Neither side has an ok sample: no ok rows (1 + 1 + 4). */
    { "ok block absent on both sides",
      { 1000, 1, 1000, 100, 0, 0, false, 0, 0 },
      { 1000, 1, 1000, 100, 0, 0, false, 0, 0 },
      0,
      0,
      "all p50",
      100,
      100,
      0,
      10,
      true,
      false,
      0,
      6 },
};

#define N_CASES (sizeof(cases) / sizeof(cases[0]))

static void fill_lat(struct summary_lat *l, int64_t count, double ms)
{
    *l = (struct summary_lat){ .count = count };
    l->p50 = l->p90 = l->p99 = l->p999 = ms;
}

static void make(struct summary *s, const struct side *d)
{
    summary_init(s);
    s->requests.attempts = d->attempts;
    s->denial_rate = d->denial_rate;
    s->denied_by_reason[REASON_RATE_LIMIT] = d->rate_limit;
    fill_lat(&s->lat_all, d->attempts, d->lat_ms);
    fill_lat(&s->lat_ok, d->ok_count, d->ok_ms);
    s->has_ci95 = d->ci;
    s->ci95.denial_rate = d->ci_rate;
    s->ci95.lat_all.p99 = d->ci_p99;
}

static const struct compare_row *find(const struct compare_table *t,
                                      const char *name)
{
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(t->rows[i].name, name) == 0)
            return &t->rows[i];
    return NULL;
}

static void test_case(void **state)
{
    const struct cmp_case *c = *state;
    struct summary a, b;
    make(&a, &c->a);
    make(&b, &c->b);
    struct compare_opts o;
    compare_opts_init(&o);
    if (c->rate_tol > 0)
        o.rate_tol = c->rate_tol;
    if (c->lat_tol > 0)
        o.lat_tol = c->lat_tol;
    struct compare_table t;
    compare_build(&t, &a, &b, &o);
    /* want_n counts the attempt rows; goodput and retry amplification
     * are always compared too, the request level only when known */
    assert_int_equal(t.n, c->want_n + 2);
    const struct compare_row *r = find(&t, c->row);
    assert_non_null(r);
    const double eps = 1e-9; /* percentages of exact dyadic rates */
    assert_true(fabs(r->a - c->want_a) < eps);
    assert_true(fabs(r->b - c->want_b) < eps);
    assert_true(fabs(r->diff - c->want_diff) < eps);
    assert_true(fabs(r->allowed - c->want_allowed) < eps);
    assert_int_equal(r->within, c->within);
    assert_int_equal(r->by_ci, c->by_ci);
    assert_int_equal(r->missing, c->missing);
    summary_fini(&a);
    summary_fini(&b);
}

/* Row order, zero reasons, the outside count and the CSV text of a
 * two-reason comparison: A 1000 attempts, 10% denied (50 rate_limit, 50
 * outage), 10 ms; B 2000 attempts, 20% denied (400 outage), 30 ms. */
static void test_csv(void **state)
{
    (void)state;
    struct summary a, b;
    make(&a, &(struct side){ 1000, 0.125, 50, 10, 875, 10, false, 0, 0 });
    make(&b, &(struct side){ 2000, 0.25, 0, 30, 1500, 10, false, 0, 0 });
    a.denied_by_reason[REASON_OUTAGE] = 75;
    b.denied_by_reason[REASON_OUTAGE] = 500;
    struct compare_opts o;
    compare_opts_init(&o);
    struct compare_table t;
    compare_build(&t, &a, &b, &o);
    assert_int_equal(t.zero_reasons, REASON_COUNT - 3);
    /* denied 12.5 -> 25 out; rate_limit 5 -> 0 out; outage 7.5 -> 25 out;
     * all p50..p999 10 -> 30 out (allowed 1 ms floor); ok 10 -> 10 in. */
    assert_int_equal(t.n, 13);
    assert_int_equal(compare_outside(&t), 7);
    char buf[4096];
    FILE *f = fmemopen(buf, sizeof(buf), "w");
    assert_non_null(f);
    assert_int_equal(compare_write_csv(f, &t, "res/a", "res/b"), ERR_OK);
    fclose(f);
    const char *want =
        "# tollgate compare: a=res/a b=res/b\n"
        "# rates in percent of attempts or requests (diff, allowed in "
        "percentage points); ratios per s or plain; latency in ms\n"
        "kind,name,a,b,diff,rel_diff_pct,allowed,within\n"
        "rate,denied,12.5,25,12.5,100,2,0\n"
        "rate,rate_limit,5,0,-5,-100,2,0\n"
        "rate,outage,7.5,25,17.5,233.333,2,0\n"
        "latency,all p50,10,30,20,200,1,0\n"
        "latency,all p90,10,30,20,200,1,0\n"
        "latency,all p99,10,30,20,200,1,0\n"
        "latency,all p999,10,30,20,200,1,0\n"
        "latency,ok p50,10,10,0,0,1,1\n"
        "latency,ok p90,10,10,0,0,1,1\n"
        "latency,ok p99,10,10,0,0,1,1\n"
        "latency,ok p999,10,10,0,0,1,1\n"
        "ratio,goodput,0,0,0,0,0,1\n"
        "ratio,retry amplification,1,1,0,0,0.1,1\n";
    assert_string_equal(buf, want);
    summary_fini(&a);
    summary_fini(&b);
}

/*
 * The request level and the regression mode, worked by hand.
 * A: 800 requests, 40 denied (5%: 30 rate_limit, 10 outage), end to end
 *    p50..p999 2 s; goodput 10/s, amplification 1.2.
 * B: 1000 requests, 80 denied (8%: 80 rate_limit), 10 lost (1%), end to
 *    end 3 s; goodput 8/s, amplification 1.1.
 * Agreement: requests denied +3pp out, rate_limit 3.75 -> 8 out, outage
 * 1.25 -> 0 within, lost 0 -> 1 within; goodput -20% out, amplification
 * -8.3% within; latency +50% out (4 rows x 2 blocks).
 * Regression: the same, except that the better moves are within whatever
 * their size: outage share down, amplification down.  Goodput down 20%
 * (worse) and the latency rise stay out.
 */
static void rq_side(struct summary *s, int64_t req, int64_t rl, int64_t out,
                    int64_t lost, double lat_ms, double goodput, double amp)
{
    summary_init(s);
    s->requests.attempts = 1000; /* attempt level equal on both sides */
    s->has_rq = true;
    s->rq.requests = req;
    s->rq.denied = rl + out;
    s->rq.lost = lost;
    s->rq.ok = req - rl - out - lost;
    s->rq.denial_rate = (double)(rl + out) / (double)req;
    s->final_by_outcome[REASON_RATE_LIMIT] = rl;
    s->final_by_outcome[REASON_OUTAGE] = out;
    fill_lat(&s->rq.lat_all, req - lost, lat_ms);
    fill_lat(&s->rq.lat_ok, s->rq.ok, lat_ms);
    s->goodput_per_s = goodput;
    s->retry_amplification = amp;
}

static void test_request_level_and_regression(void **state)
{
    (void)state;
    struct summary a, b;
    rq_side(&a, 800, 30, 10, 0, 2000, 10, 1.2);
    rq_side(&b, 1000, 80, 0, 10, 3000, 8, 1.1);
    static const struct {
        const char *row;
        double want_a, want_b;
        bool within_agree, within_regress;
    } rows[] = {
        { "requests denied", 5, 8, false, false },
        { "requests lost", 0, 1, true, true },
        { "requests rate_limit", 3.75, 8, false, false },
        { "requests outage", 1.25, 0, true, true },
        { "goodput", 10, 8, false, false },
        { "retry amplification", 1.2, 1.1, true, true },
        { "requests all p99", 2000, 3000, false, false },
        { "requests ok p50", 2000, 3000, false, false },
    };
    for (int mode = 0; mode < 2; mode++) {
        struct compare_opts o;
        compare_opts_init(&o);
        o.regression = mode == 1;
        struct compare_table t;
        compare_build(&t, &a, &b, &o);
        for (size_t k = 0; k < sizeof(rows) / sizeof(rows[0]); k++) {
            const struct compare_row *r = find(&t, rows[k].row);
            assert_non_null(r);
            assert_true(fabs(r->a - rows[k].want_a) < 1e-9);
            assert_true(fabs(r->b - rows[k].want_b) < 1e-9);
            assert_int_equal(r->within, mode ? rows[k].within_regress
                                             : rows[k].within_agree);
        }
        assert_int_equal(find(&t, "requests rate_limit")->kind, CMP_REQ_RATE);
        assert_int_equal(find(&t, "goodput")->kind, CMP_RATIO);
        assert_int_equal(find(&t, "requests all p50")->kind, CMP_REQ_LATENCY);
    }
    /* The better direction in regression mode: B faster and fewer denials
     * than A is within, however large the change. */
    struct compare_opts o;
    compare_opts_init(&o);
    o.regression = true;
    struct compare_table t;
    compare_build(&t, &b, &a, &o);
    assert_true(find(&t, "requests denied")->within);
    assert_true(find(&t, "requests all p99")->within);
    assert_true(find(&t, "goodput")->within);
    assert_true(find(&t, "requests rate_limit")->within); /* 8 -> 3.75 */
    /* A side without the request level (older results): rows missing. */
    a.has_rq = false;
    compare_opts_init(&o);
    compare_build(&t, &a, &b, &o);
    assert_int_equal(find(&t, "requests denied")->missing, 'A');
    assert_false(find(&t, "requests denied")->within);
    assert_null(find(&t, "requests all p50"));
    summary_fini(&a);
    summary_fini(&b);
}

/* compare.csv's first line gives back the directories it was written
 * with; other lines are refused and leave the buffers alone. */
static void test_csv_dirs(void **state)
{
    (void)state;
    struct compare_table t = { .n = 0 };
    char buf[512], a[64] = "x", b[64] = "y";
    FILE *f = fmemopen(buf, sizeof(buf), "w");
    assert_non_null(f);
    assert_int_equal(compare_write_csv(f, &t, "results/sim a", "/tmp/b/"),
                     ERR_OK);
    fclose(f);
    assert_true(compare_csv_dirs(buf, a, b, sizeof(a)));
    assert_string_equal(a, "results/sim a");
    assert_string_equal(b, "/tmp/b/");
    /* truncated to fit */
    char a4[4], b4[4];
    assert_true(
        compare_csv_dirs("# tollgate compare: a=abcdef b=uvwxyz", a4, b4, 4));
    assert_string_equal(a4, "abc");
    assert_string_equal(b4, "uvw");
    static const char *const bad[] = { "kind,name,a,b", "# tollgate compare:",
                                       "# tollgate compare: a=x",
                                       "# other: a=x b=y", "" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(a, sizeof(a), "x");
        assert_false(compare_csv_dirs(bad[i], a, b, sizeof(a)));
        assert_string_equal(a, "x");
    }
}

static void test_parse_tolerance(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        int rc;
        double want;
    } rows[] = {
        { "2%", ERR_OK, 0.02 },  { "0.02", ERR_OK, 0.02 },
        { "250%", ERR_OK, 2.5 }, { "0", ERR_OK, 0 },
        { "-1%", ERR_INVAL, 0 }, { "2%%", ERR_INVAL, 0 },
        { "", ERR_INVAL, 0 },    { "x", ERR_INVAL, 0 },
        { "2 %", ERR_INVAL, 0 }, { "inf", ERR_INVAL, 0 },
        { "nan", ERR_INVAL, 0 }, { "1e400", ERR_INVAL, 0 },
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        double v = -7;
        int rc = compare_parse_tolerance(rows[i].in, &v);
        assert_int_equal(rc, rows[i].rc);
        if (rc == ERR_OK)
            assert_true(fabs(v - rows[i].want) < 1e-12);
        else
            assert_true(v == -7); /* untouched on error */
    }
}

int main(void)
{
    struct CMUnitTest tests[N_CASES + 4];
    for (size_t i = 0; i < N_CASES; i++)
        tests[i] = (struct CMUnitTest){ cases[i].name, test_case, NULL, NULL,
                                        (void *)&cases[i] };
    tests[N_CASES] =
        (struct CMUnitTest){ "compare.csv text", test_csv, NULL, NULL, NULL };
    tests[N_CASES + 1] =
        (struct CMUnitTest){ "tolerance parsing", test_parse_tolerance, NULL,
                             NULL, NULL };
    tests[N_CASES + 3] = (struct CMUnitTest){ "request level and regression",
                                              test_request_level_and_regression,
                                              NULL, NULL, NULL };
    tests[N_CASES + 2] = (struct CMUnitTest){ "compare.csv directories",
                                              test_csv_dirs, NULL, NULL, NULL };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

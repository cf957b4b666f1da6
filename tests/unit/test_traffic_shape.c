/*
 * test_traffic_shape.c - traffic events: parsing and validation of the
 * traffic: event kind, and the request stream they shape
 * (core/model/traffic_shape.h through traffic_new/traffic_next).
 *
 * Counting rows use arrival: uniform, whose arrivals sit where the
 * integrated rate Lambda reaches 0, 1, 2, ... (traffic.h), so a window
 * [a, b) holds exactly Lambda(b) - Lambda(a) arrivals when both are
 * integers: every expected count below is that integral, worked out by
 * hand from the rates and the factors in the row.  Windows are shifted by
 * 1 ms, far below the smallest gap between arrivals (1 / 60 s), so an
 * arrival exactly at a cut is counted where Lambda puts it.  The Poisson
 * row checks its window count within 4 standard deviations (the count is
 * Poisson with mean m, sd sqrt(m)) and that the stream before the first
 * cut is bit-identical to the unshaped one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

#include <cmocka.h>

#include "core/model/traffic.h"
#include "core/model/traffic_shape.h"
#include "core/scenario/scenario.h"

#define S  INT64_C(1000000000)
#define MS INT64_C(1000000)

#define B_UNIFORM "{ arrival: uniform, phases: [ { for: 30m, rate: 10/s } ] }"

/* A scenario of 30 minutes with populations a and b (traffic: values
 * given) and the events, into buf. */
static void scenario_text(char *buf, size_t len, const char *a, const char *b,
                          const char *events)
{
    snprintf(buf, len,
             "name: t\n"
             "duration: 30m\n"
             "accounts:\n"
             "  - name: a\n"
             "    count: 10\n"
             "    traffic: %s\n"
             "  - name: b\n"
             "    count: 10\n"
             "    traffic: %s\n"
             "events:\n%s",
             a, b, events);
}

/* a with the given arrival and phases, b uniform 10/s, then the events. */
static struct scenario *parse(const char *arrival, const char *phases,
                              const char *events, struct scn_diags *d)
{
    char a[512], text[2048];
    snprintf(a, sizeof(a), "{ arrival: %s, phases: %s }", arrival, phases);
    scenario_text(text, sizeof(text), a, B_UNIFORM, events);
    struct scenario *sc = NULL;
    scn_diags_init(d, "t.yaml");
    if (scn_parse_buffer("t.yaml", text, strlen(text), NULL, 0, &sc, d) !=
        ERR_OK) {
        scn_diags_print(d, stderr);
        return NULL;
    }
    return sc;
}

/* Arrivals of population pop with t in [lo - 1ms, hi - 1ms). */
static int64_t count(const struct scenario *sc, int pop, int64_t lo, int64_t hi)
{
    struct traffic *t = traffic_new(sc, 7, 0, 1);
    struct traffic_req r;
    int64_t n = 0;
    while (traffic_next(t, &r))
        n += r.pop == pop && r.t_ns >= lo - MS && r.t_ns < hi - MS;
    traffic_free(t);
    return n;
}

/* ---- exact counts (uniform arrivals) ------------------------------------ */

#define FLAT "[ { for: 30m, rate: 10/s } ]"
#define END  (1800 * S)

struct count_case {
    const char *name;
    const char *phases;
    const char *events;
    int64_t lo_s, hi_s; /* the window */
    int64_t want_window, want_total, want_b;
};

static const struct count_case count_cases[] = {
    /* 10/s; x2 over [600, 900): 300 s x 20/s; total 1500 x 10 + 6000 */
    { "doubles for 5m at 10m", FLAT,
      "  - { at: 10m, traffic: { factor: 2, for: 5m, accounts: a } }\n", 600,
      900, 6000, 21000, 18000 },
    { "halves for 5m", FLAT,
      "  - { at: 10m, traffic: { factor: 0.5, for: 5m, accounts: a } }\n", 600,
      900, 1500, 16500, 18000 },
    { "factor 0 stops it", FLAT,
      "  - { at: 10m, traffic: { factor: 0, for: 5m, accounts: a } }\n", 600,
      900, 0, 15000, 18000 },
    /* without accounts: both populations; b also 6000 + 6000 + 9000 */
    { "all populations", FLAT,
      "  - { at: 10m, traffic: { factor: 2, for: 5m } }\n", 600, 900, 6000,
      21000, 21000 },
    { "another population's event", FLAT,
      "  - { at: 10m, traffic: { factor: 2, for: 5m, accounts: b } }\n", 600,
      900, 3000, 18000, 21000 },
    /* for 0: to the end, [1200, 1800) at 20/s */
    { "for 0 lasts to the end", FLAT,
      "  - { at: 20m, traffic: { factor: 2 } }\n", 1200, 1800, 12000, 24000,
      24000 },
    /* every 10m from 5m for 1m, x3: three 60 s windows at 30/s */
    { "every 10m from 5m", FLAT,
      "  - { every: 10m, from: 5m, traffic: { factor: 3, for: 1m, accounts: a "
      "} }\n",
      1500, 1560, 1800, 21600, 18000 },
    /* x2 over [600, 1200) and x3 over [900, 1500): x6 over [900, 1200) */
    { "overlapping events multiply", FLAT,
      "  - { at: 10m, traffic: { factor: 2, for: 10m, accounts: a } }\n"
      "  - { at: 15m, traffic: { factor: 3, for: 10m, accounts: a } }\n",
      900, 1200, 18000, 6000 + 6000 + 18000 + 9000 + 3000, 18000 },
    /* ramp 0..20/s over 30m: Lambda(t) = t^2 / 180; x2 over [600, 1200):
     * 2 x (1200^2 - 600^2) / 180 = 12000; total 2000 + 12000 + 10000 */
    { "ramp keeps its slope", "[ { for: 30m, rate: 0/s..20/s } ]",
      "  - { at: 10m, traffic: { factor: 2, for: 10m, accounts: a } }\n", 600,
      1200, 12000, 24000, 18000 },
    /* two phases 10/s then 30/s at 15m; x2 over [10m, 20m) spans the
     * boundary: 300 x 20 + 300 x 60 = 24000; total 6000 + 24000 + 18000 */
    { "window across phases",
      "[ { for: 15m, rate: 10/s }, { for: 15m, rate: 30/s } ]",
      "  - { at: 10m, traffic: { factor: 2, for: 10m, accounts: a } }\n", 600,
      1200, 24000, 48000, 18000 },
};

static void test_count_case(void **state)
{
    const struct count_case *c = *state;
    struct scn_diags d;
    struct scenario *sc = parse("uniform", c->phases, c->events, &d);
    assert_non_null(sc);
    assert_int_equal(count(sc, 0, c->lo_s * S, c->hi_s * S), c->want_window);
    assert_int_equal(count(sc, 0, 0, END + MS), c->want_total);
    assert_int_equal(count(sc, 1, 0, END + MS), c->want_b);
    /* what validate prints: the shaped phases' integral */
    assert_true(fabs(traffic_offered(sc, 0) - (double)c->want_total) < 1e-6);
    assert_true(fabs(traffic_offered(sc, 1) - (double)c->want_b) < 1e-6);
    scn_free(sc);
    scn_diags_fini(&d);
}

/* ---- Poisson ------------------------------------------------------------- */

/* 10/s Poisson, x2 over [600, 900): the window holds Poisson(6000)
 * arrivals (bound 4 sd = 4 sqrt(6000) ~ 310), the rest Poisson(15000)
 * (4 sd ~ 490), and everything before 600 s is the unshaped stream. */
static void test_poisson_window(void **state)
{
    (void)state;
    struct scn_diags d, d0;
    struct scenario *sc = parse(
        "poisson", FLAT,
        "  - { at: 10m, traffic: { factor: 2, for: 5m, accounts: a } }\n", &d);
    struct scenario *plain = parse(
        "poisson", FLAT,
        "  - { at: 10m, traffic: { factor: 1, for: 5m, accounts: b } }\n", &d0);
    assert_non_null(sc);
    assert_non_null(plain);
    int64_t in = count(sc, 0, 600 * S, 900 * S);
    int64_t out = count(sc, 0, 0, END + MS) - in;
    assert_true(llabs(in - 6000) <= 310);
    assert_true(llabs(out - 15000) <= 490);
    struct traffic *x = traffic_new(sc, 7, 0, 1),
                   *y = traffic_new(plain, 7, 0, 1);
    struct traffic_req p, q;
    int64_t same = 0;
    for (;;) {
        assert_true(traffic_next(x, &p) && traffic_next(y, &q));
        if (p.t_ns >= 600 * S || q.t_ns >= 600 * S)
            break;
        assert_int_equal(p.t_ns, q.t_ns);
        assert_int_equal(p.id, q.id);
        assert_int_equal(p.account, q.account);
        same++;
    }
    assert_true(same > 11000); /* ~12000 arrivals of both before 600 s */
    traffic_free(x);
    traffic_free(y);
    scn_free(sc);
    scn_free(plain);
    scn_diags_fini(&d);
    scn_diags_fini(&d0);
}

/* ---- the shaped phases and the rate -------------------------------------- */

/* A diurnal phase cut at 10m and 15m keeps its diurnal term in every
 * piece, the pieces cover the phase, and traffic_rate_at is the
 * unshaped rate times the factor. */
static void test_shape_and_rate(void **state)
{
    (void)state;
    struct scn_diags d;
    struct scenario *sc = parse(
        "poisson",
        "[ { for: 30m, rate: 10/s..40/s, diurnal: { amplitude: 50%, period: "
        "1h } } ]",
        "  - { at: 10m, traffic: { factor: 2, for: 5m, accounts: a } }\n", &d);
    assert_non_null(sc);
    size_t n = 0;
    struct scn_phase *ph = traffic_shape_phases(sc, 0, &n);
    assert_non_null(ph);
    assert_int_equal(n, 3);
    assert_int_equal(ph[0].for_ns, 600 * S);
    assert_int_equal(ph[1].for_ns, 300 * S);
    assert_int_equal(ph[2].for_ns, 900 * S);
    /* ramp 10..40 over 1800 s: 20/s at 600 s, 25/s at 900 s */
    assert_true(ph[0].rate_from_per_s == 10 && ph[0].rate_to_per_s == 20);
    assert_true(ph[1].rate_from_per_s == 40 && ph[1].rate_to_per_s == 50);
    assert_true(ph[2].rate_from_per_s == 25 && ph[2].rate_to_per_s == 40);
    for (size_t i = 0; i < n; i++) {
        assert_true(ph[i].diurnal_amplitude == 0.5);
        assert_int_equal(ph[i].diurnal_period_ns, 3600 * S);
    }
    free(ph);
    assert_null(traffic_shape_phases(sc, 1, &n)); /* b: no event */
    /* rate at 700 s: ramp 10 + 30 x 700/1800, x (1 + sin(2 pi 700/3600)/2),
     * x2 */
    double want = (10 + 30 * 700.0 / 1800) *
                  (1 + 0.5 * sin(2 * 3.14159265358979323846 * 700 / 3600)) * 2;
    assert_true(fabs(traffic_rate_at(sc, 0, 700 * S) - want) < 1e-9);
    assert_true(traffic_factor_at(sc, 0, 600 * S - 1) == 1);
    assert_true(traffic_factor_at(sc, 0, 600 * S) == 2);
    assert_true(traffic_factor_at(sc, 0, 900 * S - 1) == 2);
    assert_true(traffic_factor_at(sc, 0, 900 * S) == 1);
    assert_true(traffic_factor_at(sc, 1, 700 * S) == 1);
    scn_free(sc);
    scn_diags_fini(&d);
}

/* ---- validation ------------------------------------------------------------
 */

struct bad_case {
    const char *name;
    const char *arrival_b; /* NULL: the default uniform b */
    const char *events;
    int line, col; /* events start on line 11 */
    const char *msg;
};

static const struct bad_case bad_cases[] = {
    { "factor missing", NULL, "  - { at: 10m, traffic: { for: 5m } }\n", 11, 25,
      "missing required key 'factor'" },
    { "factor negative", NULL,
      "  - { at: 10m, traffic: { factor: -2, for: 5m } }\n", 11, 35,
      "negative" },
    { "factor not a number", NULL,
      "  - { at: 10m, traffic: { factor: 2x, for: 5m } }\n", 11, 35,
      "expected a number" },
    { "factor above the bound", NULL,
      "  - { at: 10m, traffic: { factor: 5000, for: 5m } }\n", 11, 35,
      "above 1000" },
    { "unknown population", NULL,
      "  - { at: 10m, traffic: { factor: 2, accounts: c } }\n", 11, 48,
      "no population named 'c'" },
    { "fraction is not a traffic key", NULL,
      "  - { at: 10m, traffic: { factor: 2, fraction: 5% } }\n", 11, 38,
      "fraction" },
    { "random traffic", NULL, "  - { random: traffic, mtbf: 1h, mttr: 5m }\n",
      11, 15, "unknown value 'traffic'" },
    { "every without for", NULL, "  - { every: 10m, traffic: { factor: 2 } }\n",
      11, 14, "needs for:" },
    { "after the end", NULL,
      "  - { at: 40m, traffic: { factor: 2, for: 1m } }\n", 11, 11,
      "never happen" },
    { "closed population named", "closed",
      "  - { at: 10m, traffic: { factor: 2, accounts: b } }\n", 11, 48,
      "closed loop" },
    { "closed population among all", "closed",
      "  - { at: 10m, traffic: { factor: 2 } }\n", 11, 25, "closed loop" },
    /* 10/s x 1000 x 1000 x 1000 > 1e9/s: the third factor is refused */
    { "factors compound past 1e9/s", NULL,
      "  - { at: 10m, traffic: { factor: 1000, for: 1m } }\n"
      "  - { at: 20m, traffic: { factor: 1000, for: 1m } }\n"
      "  - { at: 25m, traffic: { factor: 1000, for: 1m } }\n",
      13, 35, "above the 1e9/s" },
};

static void test_bad_case(void **state)
{
    const struct bad_case *c = *state;
    char text[2048];
    const char *b =
        c->arrival_b ? "{ arrival: closed, users: 5, think: 1s }" : B_UNIFORM;
    scenario_text(text, sizeof(text),
                  "{ phases: [ { for: 30m, rate: 10/s } ] }", b, c->events);
    struct scenario *sc = NULL;
    struct scn_diags d;
    scn_diags_init(&d, "t.yaml");
    int rc = scn_parse_buffer("t.yaml", text, strlen(text), NULL, 0, &sc, &d);
    assert_int_not_equal(rc, ERR_OK);
    assert_null(sc);
    bool found = false;
    for (size_t i = 0; i < d.n; i++)
        found |= d.items[i].loc.line == c->line &&
                 d.items[i].loc.col == c->col &&
                 strstr(d.items[i].message, c->msg) != NULL;
    if (!found)
        scn_diags_print(&d, stderr);
    assert_true(found);
    scn_diags_fini(&d);
}

/* A written scenario reads back with the same traffic event; serve
 * refuses to have one injected. */
static void test_write_and_inject(void **state)
{
    (void)state;
    struct scn_diags d, d2;
    struct scenario *sc =
        parse("uniform", FLAT,
              "  - { every: 10m, from: 5m, traffic: { factor: 0.25, for: 1m, "
              "accounts: a } }\n",
              &d);
    assert_non_null(sc);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    assert_int_equal(scn_write(sc, f), ERR_OK);
    assert_int_equal(fclose(f), 0);
    struct scenario *back = NULL;
    scn_diags_init(&d2, "written");
    assert_int_equal(scn_parse_buffer("written", buf, len, NULL, 0, &back, &d2),
                     ERR_OK);
    const struct scn_event *e = &back->events[0];
    assert_int_equal(e->kind, EV_TRAFFIC);
    assert_int_equal(e->timing, EVT_EVERY);
    assert_int_equal(e->at_ns, 300 * S);
    assert_int_equal(e->every_ns, 600 * S);
    assert_int_equal(e->for_ns, 60 * S);
    assert_int_equal(e->population, 0);
    assert_true(e->factor == 0.25);
    char label[96];
    assert_string_equal(scn_event_label(back, e, label, sizeof(label)),
                        "x0.25 a");
    struct scn_event out[2];
    size_t n = 9;
    struct scn_diags d3;
    scn_diags_init(&d3, "POST");
    const char *inj = "{\"traffic\": {\"factor\": 2}}";
    assert_int_not_equal(
        scn_parse_events(sc, inj, strlen(inj), out, 2, &n, &d3), ERR_OK);
    assert_int_equal(n, 0);
    assert_true(d3.n == 1 && strstr(d3.items[0].message, "cannot be injected"));
    scn_diags_fini(&d3);
    free(buf);
    scn_free(back);
    scn_free(sc);
    scn_diags_fini(&d2);
    scn_diags_fini(&d);
}

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

int main(void)
{
    struct CMUnitTest tests[64];
    size_t n = 0;
    for (size_t i = 0; i < N_OF(count_cases); i++)
        tests[n++] = (struct CMUnitTest){ count_cases[i].name, test_count_case,
                                          NULL, NULL, (void *)&count_cases[i] };
    for (size_t i = 0; i < N_OF(bad_cases); i++)
        tests[n++] = (struct CMUnitTest){ bad_cases[i].name, test_bad_case,
                                          NULL, NULL, (void *)&bad_cases[i] };
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_poisson_window);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_shape_and_rate);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_write_and_inject);
    return _cmocka_run_group_tests("traffic_shape", tests, n, NULL, NULL);
}

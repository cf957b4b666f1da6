/*
 * test_traffic.c - the request stream against its documented semantics.
 *
 * Scenarios are built by hand (struct scenario is a plain struct), so the
 * tests do not depend on the YAML parser.  Expected counts come from the
 * test's own rate function and Simpson integration, not from traffic.c.
 * Statistical checks use fixed seeds and bounds stated at each assert
 * (4 standard deviations unless said: a correct generator fails a row with
 * probability below 1e-4).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

#include <cmocka.h>

#include "core/model/traffic.h"

#define S      INT64_C(1000000000)
#define MS     INT64_C(1000000)
#define MAX_PH 4
#define PI     3.14159265358979323846

#define PH(f, a, b)                                                            \
    {                                                                          \
        .for_ns = (f), .rate_from_per_s = (a), .rate_to_per_s = (b)            \
    }
#define PHD(f, a, b, amp, per)                                                 \
    {                                                                          \
        .for_ns = (f), .rate_from_per_s = (a), .rate_to_per_s = (b),           \
        .diurnal_amplitude = (amp), .diurnal_period_ns = (per)                 \
    }

struct pop_spec {
    enum arrival_kind arrival;
    int64_t first, count;
    double skew_s; /* 0: uniform over the accounts */
    size_t n_phases;
    struct scn_phase phases[MAX_PH];
};

struct world {
    struct scenario sc;
    struct scn_population pops[4];
    struct scn_phase phases[4][MAX_PH];
};

static int zz_index[] = { 0 };
static double one_cum[] = { 1.0 };

static void world_init(struct world *w, int64_t duration_ns,
                       const struct pop_spec *specs, size_t n)
{
    memset(w, 0, sizeof(*w));
    w->sc.duration_ns = duration_ns;
    w->sc.seed = 1;
    w->sc.pops = w->pops;
    w->sc.n_pops = n;
    for (size_t i = 0; i < n; i++) {
        struct scn_population *p = &w->pops[i];
        const struct pop_spec *s = &specs[i];
        p->arrival = s->arrival;
        p->first_account = s->first;
        p->count = s->count;
        p->has_skew = s->skew_s > 0;
        p->skew_s = s->skew_s;
        memcpy(w->phases[i], s->phases, sizeof(s->phases));
        p->phases = w->phases[i];
        p->n_phases = s->n_phases;
        p->regions =
            (struct scn_weights){ .index = zz_index, .cum = one_cum, .n = 1 };
        p->models =
            (struct scn_weights){ .index = zz_index, .cum = one_cum, .n = 1 };
        if (s->first + s->count > w->sc.n_accounts)
            w->sc.n_accounts = s->first + s->count;
    }
}

/* Every open-loop request of a generator, in order; caller frees. */
static struct traffic_req *collect(const struct scenario *sc, uint64_t seed,
                                   int shard_i, int shard_n, size_t *n)
{
    struct traffic *t = traffic_new(sc, seed, shard_i, shard_n);
    size_t cap = 1024, len = 0;
    struct traffic_req *v = malloc(cap * sizeof(*v));
    assert_non_null(v);
    struct traffic_req r;
    while (traffic_next(t, &r)) {
        if (len == cap) {
            cap *= 2;
            v = realloc(v, cap * sizeof(*v));
            assert_non_null(v);
        }
        v[len++] = r;
    }
    assert_false(traffic_next(t, &r)); /* stays exhausted */
    traffic_free(t);
    *n = len;
    return v;
}

/* ---- the reference rate function (independent of traffic.c) ------------ */

static double ref_rate(const struct scn_phase *ph, double start_s, double t)
{
    double d = (double)ph->for_ns / 1e9;
    double r = ph->rate_from_per_s +
               (ph->rate_to_per_s - ph->rate_from_per_s) * (t - start_s) / d;
    if (ph->diurnal_amplitude != 0 && ph->diurnal_period_ns > 0)
        r *= 1 + ph->diurnal_amplitude *
                     sin(2 * PI * t / ((double)ph->diurnal_period_ns / 1e9));
    return r > 0 ? r : 0;
}

/* Simpson's rule over [a, b] (seconds) of the phase's rate. */
static double ref_integral(const struct scn_phase *ph, double start_s, double a,
                           double b)
{
    const int m = 400;
    double h = (b - a) / m, sum = 0;
    for (int i = 0; i <= m; i++) {
        double w = (i == 0 || i == m) ? 1 : (i % 2 ? 4 : 2);
        sum += w * ref_rate(ph, start_s, a + i * h);
    }
    return sum * h / 3;
}

static size_t count_in(const struct traffic_req *v, size_t n, int pop,
                       int64_t lo, int64_t hi)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        if (v[i].pop == pop && v[i].t_ns >= lo && v[i].t_ns < hi)
            c++;
    return c;
}

/* ---- counts per phase and per bin --------------------------------------- */

struct count_case {
    const char *name;
    int64_t duration_ns;
    struct pop_spec pop;
    int64_t want[MAX_PH]; /* exact per-phase counts; -1: from the integral */
};

static const struct count_case count_cases[] = {
    { "uniform 10/s for 1s",
      10 * S,
      { ARRIVAL_UNIFORM, 0, 10, 0, 1, { PH(1 * S, 10, 10) } },
      { 10 } },
    { "uniform 3/m for 1m",
      2 * 60 * S,
      { ARRIVAL_UNIFORM, 0, 10, 0, 1, { PH(60 * S, 0.05, 0.05) } },
      { 3 } },
    { "uniform two phases",
      10 * S,
      { ARRIVAL_UNIFORM, 0, 10, 0, 2, { PH(2 * S, 10, 10), PH(S, 50, 50) } },
      { 20, 50 } },
    { "uniform ramp 0..100/s over 10s",
      10 * S,
      { ARRIVAL_UNIFORM, 0, 10, 0, 1, { PH(10 * S, 0, 100) } },
      { 500 } },
    { "uniform ramp 400..20/s over 5s",
      10 * S,
      { ARRIVAL_UNIFORM, 0, 10, 0, 1, { PH(5 * S, 400, 20) } },
      { 1050 } },
    { "uniform zero-rate phase between",
      10 * S,
      { ARRIVAL_UNIFORM,
        0,
        10,
        0,
        3,
        { PH(S, 10, 10), PH(5 * S, 0, 0), PH(S, 10, 10) } },
      { 10, 0, 10 } },
    { "uniform diurnal 100/s A=0.5 P=4s",
      3 * S,
      { ARRIVAL_UNIFORM, 0, 10, 0, 1, { PHD(3 * S, 100, 100, 0.5, 4 * S) } },
      { 332 } },
    { "uniform ramp+diurnal after 0.7s",
      10 * S,
      { ARRIVAL_UNIFORM,
        0,
        10,
        0,
        2,
        { PH(700 * MS, 30, 30), PHD(3 * S, 50, 400, 0.7, 2 * S) } },
      { 21, -1 } },
    { "uniform carries Lambda across phases",
      10 * S,
      { ARRIVAL_UNIFORM, 0, 10, 0, 2, { PH(S, 2.5, 2.5), PH(S, 2.5, 2.5) } },
      { 3, 2 } },
    { "uniform truncated by duration",
      2500 * MS,
      { ARRIVAL_UNIFORM, 0, 10, 0, 1, { PH(10 * S, 10, 10) } },
      { 25 } },
    { "uniform phases end before duration",
      5 * S,
      { ARRIVAL_UNIFORM, 0, 10, 0, 1, { PH(S, 10, 10) } },
      { 10 } },
    { "poisson 1000/s for 10s",
      10 * S,
      { ARRIVAL_POISSON, 0, 10, 0, 1, { PH(10 * S, 1000, 1000) } },
      { -1 } },
    { "poisson ramp 0..4000/s over 5s",
      5 * S,
      { ARRIVAL_POISSON, 0, 10, 0, 1, { PH(5 * S, 0, 4000) } },
      { -1 } },
    { "poisson ramp 3000..0/s over 4s",
      5 * S,
      { ARRIVAL_POISSON, 0, 10, 0, 1, { PH(4 * S, 3000, 0) } },
      { -1 } },
    { "poisson diurnal A=0.9 after 1.3s",
      6 * S,
      { ARRIVAL_POISSON,
        0,
        10,
        0,
        2,
        { PH(1300 * MS, 500, 500), PHD(4 * S, 2000, 2000, 0.9, 2 * S) } },
      { -1, -1 } },
    { "poisson ramp+diurnal A=0.5",
      3 * S,
      { ARRIVAL_POISSON,
        0,
        10,
        0,
        1,
        { PHD(3 * S, 500, 3000, 0.5, 1500 * MS) } },
      { -1 } },
    { "poisson diurnal A=1 touches zero",
      4 * S,
      { ARRIVAL_POISSON, 0, 10, 0, 1, { PHD(4 * S, 2000, 2000, 1.0, S) } },
      { -1 } },
    { "poisson 5000/s then 200/s",
      10 * S,
      { ARRIVAL_POISSON,
        0,
        10,
        0,
        2,
        { PH(S, 5000, 5000), PH(5 * S, 200, 200) } },
      { -1, -1 } },
};

/* Allowed count range for expected integral mu of a uniform process over
 * [Lambda_s, Lambda_e): exact unless an edge is within 1e-6 of an integer,
 * where the test's quadrature cannot tell which side it is on. */
static void uniform_range(double ls, double le, int64_t *lo, int64_t *hi)
{
    const double eps = 1e-6;
    *lo = (int64_t)ceil(le - eps) - (int64_t)ceil(ls + eps);
    *hi = (int64_t)ceil(le + eps) - (int64_t)ceil(ls - eps);
    if (*lo < 0)
        *lo = 0;
}

static void check_bins(const struct count_case *c, const struct traffic_req *v,
                       size_t n, const struct scn_phase *ph, int64_t start,
                       double *lam)
{
    const int bins = 10;
    int64_t end = start + ph->for_ns;
    if (end > c->duration_ns)
        end = c->duration_ns;
    double chi2 = 0;
    int df = 0;
    for (int b = 0; b < bins; b++) {
        int64_t lo = start + (end - start) * b / bins;
        int64_t hi = start + (end - start) * (b + 1) / bins;
        double mu = ref_integral(ph, (double)start / 1e9, (double)lo / 1e9,
                                 (double)hi / 1e9);
        int64_t got = (int64_t)count_in(v, n, 0, lo, hi);
        if (c->pop.arrival == ARRIVAL_UNIFORM) {
            int64_t want_lo, want_hi;
            uniform_range(*lam, *lam + mu, &want_lo, &want_hi);
            assert_in_range(got, want_lo, want_hi);
        } else if (mu >= 5) {
            chi2 += ((double)got - mu) * ((double)got - mu) / mu;
            df++;
        }
        *lam += mu;
    }
    /* chi-square with df degrees of freedom: mean df, sd sqrt(2 df); the
     * bound df + 6 sd fails a correct generator with p < 1e-5. */
    if (df > 0)
        assert_true(chi2 <= df + 6 * sqrt(2.0 * df));
}

static void test_counts(void **state)
{
    const struct count_case *c = *state;
    struct world w;
    world_init(&w, c->duration_ns, &c->pop, 1);
    size_t n;
    struct traffic_req *v = collect(&w.sc, 7, 0, 1, &n);
    int64_t start = 0;
    double lam = 0;
    size_t in_phases = 0;
    for (size_t i = 0; i < c->pop.n_phases && start < c->duration_ns; i++) {
        const struct scn_phase *ph = &c->pop.phases[i];
        int64_t end = start + ph->for_ns;
        if (end > c->duration_ns)
            end = c->duration_ns;
        double mu = ref_integral(ph, (double)start / 1e9, (double)start / 1e9,
                                 (double)end / 1e9);
        size_t got = count_in(v, n, 0, start, end);
        in_phases += got;
        if (c->want[i] >= 0) {
            assert_int_equal(got, c->want[i]);
        } else if (c->pop.arrival == ARRIVAL_POISSON) {
            /* Poisson count: sd sqrt(mu). */
            assert_true(fabs((double)got - mu) <= 4 * sqrt(mu) + 1);
        }
        check_bins(c, v, n, ph, start, &lam);
        start += ph->for_ns;
    }
    assert_int_equal(in_phases, n); /* nothing after the phases/duration */
    for (size_t i = 1; i < n; i++)
        assert_true(v[i].t_ns >= v[i - 1].t_ns);
    free(v);
}

/* ---- inter-arrival times ----------------------------------------------- */

static void test_poisson_gaps(void **state)
{
    (void)state;
    struct pop_spec p = {
        ARRIVAL_POISSON, 0, 10, 0, 1, { PH(10 * S, 10000, 10000) }
    };
    struct world w;
    world_init(&w, 10 * S, &p, 1);
    size_t n;
    struct traffic_req *v = collect(&w.sc, 3, 0, 1, &n);
    double sum = 0, sum2 = 0, above = 0, mean_want = 1e5; /* ns */
    for (size_t i = 1; i < n; i++) {
        double g = (double)(v[i].t_ns - v[i - 1].t_ns);
        sum += g;
        sum2 += g * g;
        above += g > mean_want;
    }
    double m = (double)(n - 1);
    double mean = sum / m, sd = sqrt(sum2 / m - mean * mean);
    /* mean gap: sd of the sample mean is mean / sqrt(m). */
    assert_true(fabs(mean - mean_want) <= 4 * mean_want / sqrt(m));
    /* CV of exponential gaps is 1; its estimate has sd ~ sqrt(2 / m)
     * (about 0.0045 here): bound 0.02. */
    assert_true(fabs(sd / mean - 1) <= 0.02);
    /* P(gap > mean) = 1/e; binomial sd. */
    double p_e = exp(-1.0);
    assert_true(fabs(above / m - p_e) <= 4 * sqrt(p_e * (1 - p_e) / m));
    free(v);
}

static void test_uniform_gaps(void **state)
{
    (void)state;
    struct pop_spec p = { ARRIVAL_UNIFORM, 0, 10, 0, 1, { PH(100 * S, 7, 7) } };
    struct world w;
    world_init(&w, 100 * S, &p, 1);
    size_t n;
    struct traffic_req *v = collect(&w.sc, 3, 0, 1, &n);
    assert_int_equal(n, 700);
    assert_int_equal(v[0].t_ns, 0);
    for (size_t i = 0; i < n; i++) {
        /* arrival k at k / 7 s, to the nearest ns */
        int64_t want = (int64_t)((double)i * 1e9 / 7 + 0.5);
        assert_true(llabs(v[i].t_ns - want) <= 1);
    }
    free(v);
}

/* ---- account choice ---------------------------------------------------- */

struct skew_case {
    const char *name;
    double s; /* 0: uniform */
    int64_t first, count;
};

static const struct skew_case skew_cases[] = {
    { "zipf 1.1 over 100", 1.1, 50, 100 },
    { "zipf 0.8 over 1000", 0.8, 0, 1000 },
    { "zipf 2.0 over 10", 2.0, 7, 10 },
    { "uniform over 20", 0, 3, 20 },
    /* beyond the alias-table limit (2^20): rejection-inversion */
    { "zipf 1.2 over 2^20+1", 1.2, 0, (INT64_C(1) << 20) + 1 },
};

static void test_skew(void **state)
{
    const struct skew_case *c = *state;
    struct pop_spec p = { ARRIVAL_POISSON,
                          c->first,
                          c->count,
                          c->s,
                          1,
                          { PH(2500 * MS, 20000, 20000) } };
    struct world w;
    world_init(&w, 2500 * MS, &p, 1);
    size_t n;
    struct traffic_req *v = collect(&w.sc, 11, 0, 1, &n);
    int64_t *hits = calloc((size_t)c->count, sizeof(*hits));
    assert_non_null(hits);
    for (size_t i = 0; i < n; i++) {
        assert_in_range(v[i].account, c->first, c->first + c->count - 1);
        hits[v[i].account - c->first]++;
    }
    double h = 0;
    for (int64_t k = 1; k <= c->count; k++)
        h += c->s > 0 ? pow((double)k, -c->s) : 1;
    /* rank r (0-based) is account first + r, with P = (r+1)^-s / H. */
    int64_t ranks[] = { 0, 1, c->count - 1 };
    for (size_t j = 0; j < 3; j++) {
        double pr = (c->s > 0 ? pow((double)(ranks[j] + 1), -c->s) : 1) / h;
        double f = (double)hits[ranks[j]] / (double)n;
        assert_true(fabs(f - pr) <= 4 * sqrt(pr * (1 - pr) / (double)n));
    }
    free(hits);
    free(v);
}

/* ---- attributes -----------------------------------------------------------
 */

static void test_weights_and_faults(void **state)
{
    (void)state;
    static int model_idx[] = { 0, 2, 1 };
    static double model_cum[] = { 0.7, 0.9, 1.0 };
    static int region_idx[] = { 3, 1 };
    static double region_cum[] = { 0.5, 1.0 };
    struct pop_spec p = {
        ARRIVAL_POISSON, 0, 50, 0, 1, { PH(5 * S, 10000, 10000) }
    };
    struct world w;
    world_init(&w, 5 * S, &p, 1);
    w.pops[0].models =
        (struct scn_weights){ .index = model_idx, .cum = model_cum, .n = 3 };
    w.pops[0].regions =
        (struct scn_weights){ .index = region_idx, .cum = region_cum, .n = 2 };
    w.pops[0].invalid_key = 0.05;
    w.pops[0].violation = 0.01;
    w.pops[0].bad_request = 0.2;
    size_t n;
    struct traffic_req *v = collect(&w.sc, 5, 0, 1, &n);
    double models[3] = { 0 }, regions[4] = { 0 }, faults[3] = { 0 };
    for (size_t i = 0; i < n; i++) {
        assert_in_range(v[i].model, 0, 2);
        assert_true(v[i].region == 1 || v[i].region == 3);
        models[v[i].model]++;
        regions[v[i].region]++;
        faults[0] += v[i].invalid_key;
        faults[1] += v[i].violation;
        faults[2] += v[i].bad_request;
    }
    const double want[] = { 0.7, 0.1, 0.2, 0.5, 0.5, 0.05, 0.01, 0.2 };
    const double got[] = { models[0],  models[1], models[2], regions[1],
                           regions[3], faults[0], faults[1], faults[2] };
    for (size_t j = 0; j < 8; j++) {
        double f = got[j] / (double)n, p0 = want[j];
        assert_true(fabs(f - p0) <= 4 * sqrt(p0 * (1 - p0) / (double)n));
    }
    free(v);
}

struct tok_case {
    const char *name;
    struct dist d;
    int64_t lo, hi;  /* every sample in [lo, hi] */
    double mean, sd; /* expected mean and sd of the rounded value; sd < 0:
                        mean is exact */
};

static const struct tok_case tok_cases[] = {
    { "const rounds half up", { DIST_CONST, 2.5, 0 }, 3, 3, 3, -1 },
    { "const zero (default)", { DIST_CONST, 0, 0 }, 0, 0, 0, -1 },
    { "negative clamps to 0", { DIST_NORMAL, -100, 10 }, 0, 0, 0, -1 },
    { "normal(500, 50)", { DIST_NORMAL, 500, 50 }, 0, 1000, 500, 50 },
    { "uniform(100, 900)", { DIST_UNIFORM, 100, 900 }, 100, 900, 500, 230.9 },
    { "exp(200)", { DIST_EXP, 200, 0 }, 0, INT64_MAX, 200, 200 },
    /* mean 400 e^(s^2/2) = 453.25, sd mean sqrt(e^(s^2) - 1) = 241.5 */
    { "lognormal(400, 0.5)",
      { DIST_LOGNORMAL, 400, 0.5 },
      0,
      INT64_MAX,
      453.2484,
      241.5 },
};

static void test_tokens(void **state)
{
    const struct tok_case *c = *state;
    struct pop_spec p = {
        ARRIVAL_POISSON, 0, 30, 0, 1, { PH(2 * S, 10000, 10000) }
    };
    struct world w;
    world_init(&w, 2 * S, &p, 1);
    w.pops[0].prompt_tokens = c->d;
    w.pops[0].completion_tokens = c->d;
    w.pops[0].models =
        (struct scn_weights){ .index = NULL, .cum = NULL, .n = 0 };
    w.pops[0].regions =
        (struct scn_weights){ .index = NULL, .cum = NULL, .n = 0 };
    size_t n;
    struct traffic_req *v = collect(&w.sc, 9, 0, 1, &n);
    double sum = 0;
    for (size_t i = 0; i < n; i++) {
        assert_in_range(v[i].prompt_tokens, c->lo, c->hi);
        assert_in_range(v[i].completion_tokens, c->lo, c->hi);
        assert_int_equal(v[i].model, -1); /* no model weights */
        assert_int_equal(v[i].region, 0); /* no region weights: ZZ */
        sum += (double)v[i].prompt_tokens;
    }
    double mean = sum / (double)n;
    if (c->sd < 0)
        assert_true(mean == c->mean);
    else /* sample mean: sd / sqrt(n), plus 0.5 for rounding */
        assert_true(fabs(mean - c->mean) <= 4 * c->sd / sqrt((double)n) + 0.5);
    free(v);
}

/* Draws whose outcome is certain are not taken: with one model weight or
 * none, one region weight or none, and fault fractions of 0 or 1, the
 * tokens of every request come out the same (the attrs stream is not
 * advanced by the certain choices) and the faults are what the fractions
 * say. */
static void test_certain_draws_skipped(void **state)
{
    (void)state;
    static int idx2[] = { 1, 0 };
    static double cum2[] = { 0.5, 1.0 };
    struct pop_spec p = { ARRIVAL_POISSON, 0, 20, 0, 1, { PH(S, 2000, 2000) } };
    struct world a, b;
    world_init(&a, S, &p, 1); /* one model, one region weight */
    world_init(&b, S, &p, 1);
    b.pops[0].models = (struct scn_weights){ .n = 0 };
    b.pops[0].regions = (struct scn_weights){ .n = 0 };
    b.pops[0].invalid_key = 1;
    b.pops[0].bad_request = 1;
    for (int k = 0; k < 2; k++) {
        struct scn_population *q = k ? &b.pops[0] : &a.pops[0];
        q->prompt_tokens = (struct dist){ DIST_LOGNORMAL, 400, 1.0 };
        q->completion_tokens = (struct dist){ DIST_UNIFORM, 10, 500 };
    }
    size_t na, nb;
    struct traffic_req *va = collect(&a.sc, 4, 0, 1, &na);
    struct traffic_req *vb = collect(&b.sc, 4, 0, 1, &nb);
    assert_int_equal(na, nb);
    for (size_t i = 0; i < na; i++) {
        assert_int_equal(va[i].account, vb[i].account);
        assert_int_equal(va[i].prompt_tokens, vb[i].prompt_tokens);
        assert_int_equal(va[i].completion_tokens, vb[i].completion_tokens);
        assert_int_equal(va[i].model, 0);
        assert_int_equal(vb[i].model, -1);
        assert_false(va[i].invalid_key || va[i].violation || va[i].bad_request);
        assert_true(vb[i].invalid_key && !vb[i].violation && vb[i].bad_request);
    }
    /* two model weights do take a draw: the tokens move */
    b.pops[0].models =
        (struct scn_weights){ .index = idx2, .cum = cum2, .n = 2 };
    free(vb);
    vb = collect(&b.sc, 4, 0, 1, &nb);
    size_t same = 0;
    for (size_t i = 0; i < na; i++)
        same += va[i].prompt_tokens == vb[i].prompt_tokens;
    assert_true(same < na / 10);
    free(va);
    free(vb);
}

/* ---- determinism, order, ids, sharding -------------------------------- */

static const struct pop_spec mixed[] = {
    { ARRIVAL_POISSON, 0, 10000, 1.1, 1, { PH(2 * S, 8000, 8000) } },
    { ARRIVAL_UNIFORM,
      10000,
      1000,
      0,
      2,
      { PH(S, 1500, 1500), PH(S, 0, 500) } },
    { ARRIVAL_POISSON,
      11000,
      7,
      0,
      1,
      { PHD(2 * S, 2000, 2000, 0.5, 800 * MS) } },
};

static void mixed_world(struct world *w)
{
    world_init(w, 2 * S, mixed, 3);
    static int model_idx[] = { 0, 1 };
    static double model_cum[] = { 0.9, 1.0 };
    for (int i = 0; i < 3; i++) {
        w->pops[i].models = (struct scn_weights){ .index = model_idx,
                                                  .cum = model_cum,
                                                  .n = 2 };
        w->pops[i].prompt_tokens = (struct dist){ DIST_LOGNORMAL, 400, 1.0 };
        w->pops[i].completion_tokens = (struct dist){ DIST_EXP, 150, 0 };
        w->pops[i].invalid_key = 0.1;
        w->pops[i].violation = 0.05;
        w->pops[i].bad_request = 0.02;
    }
}

static bool req_equal(const struct traffic_req *a, const struct traffic_req *b)
{
    return a->t_ns == b->t_ns && a->id == b->id && a->account == b->account &&
           a->pop == b->pop && a->model == b->model && a->region == b->region &&
           a->prompt_tokens == b->prompt_tokens &&
           a->completion_tokens == b->completion_tokens &&
           a->invalid_key == b->invalid_key && a->violation == b->violation &&
           a->bad_request == b->bad_request;
}

static void test_determinism(void **state)
{
    (void)state;
    struct world w;
    mixed_world(&w);
    size_t n1, n2, n3;
    struct traffic_req *a = collect(&w.sc, 42, 0, 1, &n1);
    struct traffic_req *b = collect(&w.sc, 42, 0, 1, &n2);
    struct traffic_req *c = collect(&w.sc, 43, 0, 1, &n3);
    assert_int_equal(n1, n2);
    for (size_t i = 0; i < n1; i++)
        assert_true(req_equal(&a[i], &b[i]));
    /* Another seed: the poisson streams differ almost everywhere. */
    size_t same = 0, m = n1 < n3 ? n1 : n3;
    for (size_t i = 0; i < m; i++)
        same += a[i].t_ns == c[i].t_ns && a[i].account == c[i].account;
    assert_true(same < m / 10);
    free(a);
    free(b);
    free(c);
}

static int cmp_u64(const void *x, const void *y)
{
    uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    return (a > b) - (a < b);
}

static void test_order_and_ids(void **state)
{
    (void)state;
    struct world w;
    mixed_world(&w);
    size_t n;
    struct traffic_req *v = collect(&w.sc, 42, 0, 1, &n);
    uint64_t *ids = malloc(n * sizeof(*ids));
    assert_non_null(ids);
    uint64_t next_seq[3] = { 0 };
    for (size_t i = 0; i < n; i++) {
        if (i > 0) {
            assert_true(v[i].t_ns >= v[i - 1].t_ns);
            if (v[i].t_ns == v[i - 1].t_ns)
                assert_true(v[i].pop >= v[i - 1].pop);
        }
        /* unsharded: ids of a population are (pop << 51) | 0, 1, 2, ... */
        uint64_t want = ((uint64_t)v[i].pop << 51) | next_seq[v[i].pop]++;
        assert_true(v[i].id == want);
        ids[i] = v[i].id;
    }
    qsort(ids, n, sizeof(*ids), cmp_u64);
    for (size_t i = 1; i < n; i++)
        assert_true(ids[i] != ids[i - 1]);
    free(ids);
    free(v);
}

static void test_ties_by_pop(void **state)
{
    (void)state;
    struct pop_spec p[] = {
        { ARRIVAL_UNIFORM, 0, 5, 0, 1, { PH(S, 10, 10) } },
        { ARRIVAL_UNIFORM, 5, 5, 0, 1, { PH(S, 10, 10) } },
    };
    struct world w;
    world_init(&w, S, p, 2);
    size_t n;
    struct traffic_req *v = collect(&w.sc, 1, 0, 1, &n);
    assert_int_equal(n, 20);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(v[i].pop, (int)(i % 2));
        assert_int_equal(v[i].t_ns, (int64_t)(i / 2) * 100 * MS);
    }
    free(v);
}

struct shard_case {
    const char *name;
    int shard_n;
};

static const struct shard_case shard_cases[] = {
    { "2 shards", 2 },
    { "3 shards", 3 },
    { "7 shards", 7 },
};

static void test_shards(void **state)
{
    const struct shard_case *c = *state;
    struct world w;
    mixed_world(&w);
    size_t n;
    struct traffic_req *all = collect(&w.sc, 42, 0, 1, &n);
    size_t total = 0;
    for (int s = 0; s < c->shard_n; s++) {
        size_t m;
        struct traffic_req *v = collect(&w.sc, 42, s, c->shard_n, &m);
        size_t j = 0;
        for (size_t i = 0; i < n; i++) {
            if (all[i].account % c->shard_n != s)
                continue;
            assert_true(j < m);
            assert_true(req_equal(&all[i], &v[j]));
            j++;
        }
        assert_int_equal(j, m);
        total += m;
        free(v);
    }
    assert_int_equal(total, n); /* the union is the unsharded stream */
    free(all);
}

/* ---- closed loop -------------------------------------------------------- */

static void closed_world(struct world *w)
{
    struct pop_spec p[] = {
        { ARRIVAL_POISSON, 0, 100, 0, 1, { PH(S, 10, 10) } },
        { ARRIVAL_CLOSED, 100, 10, 0, 0, { { 0 } } },
    };
    world_init(w, S, p, 2);
    w->pops[1].users = 25;
    w->pops[1].think = (struct dist){ DIST_EXP, 2e9, 0 };
    w->pops[1].prompt_tokens = (struct dist){ DIST_UNIFORM, 0, 1000 };
    w->pops[1].invalid_key = 0.5;
}

static void test_closed_mapping(void **state)
{
    (void)state;
    struct world w;
    closed_world(&w);
    struct traffic *t = traffic_new(&w.sc, 1, 0, 1);
    assert_int_equal(traffic_closed_users(t, 0), 0);
    assert_int_equal(traffic_closed_users(t, 1), 25);
    for (int64_t u = 0; u < 25; u++)
        assert_int_equal(traffic_closed_account(t, 1, u), 100 + u % 10);
    struct traffic_req r;
    traffic_closed_req(t, 1, 13, 5 * S, &r);
    assert_int_equal(r.account, 103);
    assert_int_equal(r.pop, 1);
    assert_int_equal(r.t_ns, 5 * S);
    assert_true(r.id == ((UINT64_C(1) << 63) | (UINT64_C(1) << 51) | 13));
    traffic_closed_req(t, 1, 13, 6 * S, &r);
    assert_true(r.id == ((UINT64_C(1) << 63) | (UINT64_C(1) << 51) | 38));
    /* the open-loop stream does not contain closed-loop requests */
    size_t n = 0;
    while (traffic_next(t, &r)) {
        assert_int_equal(r.pop, 0);
        n++;
    }
    assert_true(n > 0);
    traffic_free(t);
}

/* Users 3 and 13 send as account 103 and share its stream: whichever asks
 * first gets the stream's first attributes. */
static void test_closed_account_stream(void **state)
{
    (void)state;
    struct world w;
    closed_world(&w);
    struct traffic *a = traffic_new(&w.sc, 1, 0, 1);
    struct traffic *b = traffic_new(&w.sc, 1, 0, 1);
    for (int i = 0; i < 50; i++) {
        struct traffic_req ra, rb;
        traffic_closed_req(a, 1, i % 2 ? 3 : 13, 0, &ra);
        traffic_closed_req(b, 1, i % 2 ? 13 : 3, 0, &rb);
        assert_int_equal(ra.account, 103);
        assert_int_equal(ra.prompt_tokens, rb.prompt_tokens);
        assert_int_equal(ra.invalid_key, rb.invalid_key);
        assert_true(ra.id != rb.id);
    }
    traffic_free(a);
    traffic_free(b);
}

static void test_closed_think(void **state)
{
    (void)state;
    struct world w;
    closed_world(&w);
    struct traffic *a = traffic_new(&w.sc, 1, 0, 1);
    struct traffic *b = traffic_new(&w.sc, 1, 0, 1);
    const int n = 20000;
    double sum = 0;
    size_t differ = 0;
    for (int i = 0; i < n; i++) {
        int64_t ta = traffic_think_ns(a, 1, 0);
        (void)traffic_think_ns(b, 1, 1); /* interleaved: must not matter */
        int64_t tb = traffic_think_ns(b, 1, 0);
        assert_true(ta >= 0);
        assert_int_equal(ta, tb);
        differ += ta != traffic_think_ns(a, 1, 2);
        sum += (double)ta;
    }
    /* exp(2s): mean 2e9 ns, sample-mean sd 2e9 / sqrt(n) */
    assert_true(fabs(sum / n - 2e9) <= 4 * 2e9 / sqrt((double)n));
    assert_true(differ > (size_t)n * 99 / 100); /* users have own streams */
    w.pops[1].think = (struct dist){ DIST_CONST, 1.5e9, 0 };
    assert_int_equal(traffic_think_ns(a, 1, 7), 1500 * MS);
    traffic_free(a);
    traffic_free(b);
}

static void test_closed_sharded(void **state)
{
    (void)state;
    struct world w;
    closed_world(&w);
    struct traffic *all = traffic_new(&w.sc, 1, 0, 1);
    struct traffic *sh[3];
    for (int s = 0; s < 3; s++)
        sh[s] = traffic_new(&w.sc, 1, s, 3);
    for (int round = 0; round < 4; round++) {
        for (int64_t u = 0; u < 25; u++) {
            int64_t acct = traffic_closed_account(all, 1, u);
            int owner = -1;
            for (int s = 0; s < 3; s++)
                if (traffic_owns(sh[s], acct))
                    owner = owner < 0 ? s : 99;
            assert_int_equal(owner, (int)(acct % 3));
            struct traffic_req ra, rs;
            traffic_closed_req(all, 1, u, round * S, &ra);
            traffic_closed_req(sh[owner], 1, u, round * S, &rs);
            assert_true(req_equal(&ra, &rs));
        }
    }
    for (int s = 0; s < 3; s++)
        traffic_free(sh[s]);
    traffic_free(all);
}

static void test_only_closed_or_empty(void **state)
{
    (void)state;
    struct world w;
    closed_world(&w);
    w.sc.n_pops = 0;
    struct traffic *t = traffic_new(&w.sc, 1, 0, 1);
    struct traffic_req r;
    assert_false(traffic_next(t, &r));
    traffic_free(t);
    w.sc.pops = &w.pops[1];
    w.sc.n_pops = 1;
    t = traffic_new(&w.sc, 1, 0, 1);
    assert_false(traffic_next(t, &r));
    traffic_free(t);
}

/* ---- rate_at ------------------------------------------------------------ */

struct rate_case {
    const char *name;
    int64_t t_ns;
    double want;
};

static const struct pop_spec rate_pop = {
    ARRIVAL_POISSON,
    0,
    1,
    0,
    3,
    { PH(10 * S, 20, 20), PH(4 * S, 100, 500), PHD(4 * S, 50, 50, 0.5, 8 * S) }
};

static const struct rate_case rate_cases[] = {
    { "before start", -1, 0 },
    { "constant at 0", 0, 20 },
    { "constant at end", 10 * S - 1, 20 },
    { "ramp start", 10 * S, 100 },
    { "ramp middle", 12 * S, 300 },
    { "ramp quarter", 11 * S, 200 },
    /* diurnal uses scenario time: t = 14s, 14/8 of a period: sin = -1 */
    { "diurnal trough", 14 * S, 25 },
    { "diurnal 16s: sin(4pi) = 0", 16 * S, 50 },
    { "diurnal 15s: sin(15pi/4)", 15 * S,
      50 * (1 - 0.5 * 0.70710678118654752) },
    { "after last phase", 18 * S, 0 },
    { "at duration", 20 * S, 0 },
};

static void test_rate_at(void **state)
{
    const struct rate_case *c = *state;
    struct world w;
    world_init(&w, 20 * S, &rate_pop, 1);
    double got = traffic_rate_at(&w.sc, 0, c->t_ns);
    assert_true(fabs(got - c->want) <= 1e-9 * (1 + fabs(c->want)));
}

static void test_rate_at_closed(void **state)
{
    (void)state;
    struct world w;
    closed_world(&w);
    assert_true(traffic_rate_at(&w.sc, 1, 0) == 0);
    assert_true(traffic_rate_at(&w.sc, 0, 0) == 10);
}

/* ---- main ---------------------------------------------------------------- */

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))
#define ROWS(arr, fn)                                                          \
    for (size_t i = 0; i < N_OF(arr); i++)                                     \
        tests[n++] = (struct CMUnitTest){ arr[i].name, fn, NULL, NULL,         \
                                          (void *)&arr[i] };
#define ONE(fn) tests[n++] = (struct CMUnitTest)cmocka_unit_test(fn);

int main(void)
{
    struct CMUnitTest tests[64];
    size_t n = 0;
    ROWS(count_cases, test_counts);
    ONE(test_poisson_gaps);
    ONE(test_uniform_gaps);
    ROWS(skew_cases, test_skew);
    ONE(test_weights_and_faults);
    ROWS(tok_cases, test_tokens);
    ONE(test_certain_draws_skipped);
    ONE(test_determinism);
    ONE(test_order_and_ids);
    ONE(test_ties_by_pop);
    ROWS(shard_cases, test_shards);
    ONE(test_closed_mapping);
    ONE(test_closed_account_stream);
    ONE(test_closed_think);
    ONE(test_closed_sharded);
    ONE(test_only_closed_or_empty);
    ROWS(rate_cases, test_rate_at);
    ONE(test_rate_at_closed);
    return _cmocka_run_group_tests("traffic", tests, n, NULL, NULL);
}

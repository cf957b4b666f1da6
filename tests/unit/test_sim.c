/*
 * test_sim.c - the engine against exact results of queueing theory and of
 * nginx's limit_req, plus exact checks of timeouts, retries, queue
 * timeouts, scenario events and determinism.
 *
 * Scenarios are built by hand (struct scenario is a plain struct), so the
 * tests do not depend on the YAML parser.  Every expected number is
 * computed here from its formula (docs/validation.md), never pasted.
 * Statistical rows run R independent seeds and require the theory to lie inside
 * the 99.9% Student-t confidence interval of the replication means; each also
 * asserts that interval is narrow, so a loose test cannot pass vacuously.
 * With fixed seeds the outcome is deterministic.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/stats/hist.h"
#include "core/stats/record.h"
#include "core/model/traffic.h"
#include "sim/sim.h"

#define S  INT64_C(1000000000)
#define MS INT64_C(1000000)

/* ---- a hand-built scenario ---------------------------------------------- */

struct world {
    struct scenario sc;
    struct scn_population pop;
    struct scn_phase phase;
    struct scn_tier tier;
    struct scn_limit limit;
    struct scn_model model;
    struct scn_event event;
    char regions[1][SCN_MAX_NAME];
};

static int zero_index[] = { 0 };
static double one_cum[] = { 1.0 };

/* One population of `accounts` accounts sending `rate_per_s` (poisson or
 * uniform) for `duration_ns`, one tier without limits, one model with
 * service first_token, capacity as given (servers < 0: none). */
static void world_init(struct world *w, int64_t duration_ns,
                       enum arrival_kind arrival, double rate_per_s,
                       struct dist first_token, int64_t servers, int64_t queue)
{
    memset(w, 0, sizeof(*w));
    struct scenario *sc = &w->sc;
    strcpy(sc->name, "test");
    sc->seed = 1;
    sc->duration_ns = duration_ns;
    sc->interval_ns = duration_ns / 4; /* few intervals: cheap recorder */
    strcpy(w->regions[0], "ZZ");
    sc->regions = w->regions;
    sc->n_regions = 1;

    strcpy(w->tier.name, "t");
    w->tier.upgrade_to = -1;
    sc->policy.tiers = &w->tier;
    sc->policy.n_tiers = 1;
    strcpy(w->model.name, "m");
    w->model.first_token = first_token;
    w->model.per_token = (struct dist){ DIST_CONST, 0, 0 };
    sc->policy.models = &w->model;
    sc->policy.n_models = 1;
    if (servers >= 0) {
        sc->policy.has_capacity = true;
        sc->policy.cap_servers = servers;
        sc->policy.cap_queue = queue;
    }
    sc->policy.net_rtt = (struct dist){ DIST_CONST, 0, 0 };

    struct scn_population *p = &w->pop;
    strcpy(p->name, "p");
    p->count = 1;
    p->regions =
        (struct scn_weights){ .index = zero_index, .cum = one_cum, .n = 1 };
    p->models =
        (struct scn_weights){ .index = zero_index, .cum = one_cum, .n = 1 };
    p->arrival = arrival;
    w->phase = (struct scn_phase){ .for_ns = duration_ns,
                                   .rate_from_per_s = rate_per_s,
                                   .rate_to_per_s = rate_per_s };
    p->phases = &w->phase;
    p->n_phases = 1;
    p->client.timeout_ns = 0; /* queueing rows: nobody gives up */
    p->client.backoff_base_ns = 500 * MS;
    p->client.backoff_cap_ns = 20 * S;
    sc->pops = p;
    sc->n_pops = 1;
    sc->n_accounts = 1;
}

struct outcome {
    struct rec *rec;
    struct sim_stats st;
    struct rec_counts c;
};

static void run(const struct world *w, uint64_t seed, struct outcome *o)
{
    assert_int_equal(sim_rec_new(&w->sc, &o->rec), ERR_OK);
    struct sim_config cfg = { .sc = &w->sc, .seed = seed };
    assert_int_equal(sim_run(&cfg, o->rec, &o->st), ERR_OK);
    assert_true(o->st.complete);
    rec_counts_get(o->rec, -1, &o->c);
}

static void outcome_fini(struct outcome *o)
{
    rec_free(o->rec);
    sim_stats_fini(&o->st);
}

static int64_t attempts_of(const struct rec_counts *c)
{
    int64_t n = 0;
    for (int r = 0; r < REASON_COUNT; r++)
        n += c->outcome[r];
    return n;
}

/* Histograms report a bucket's edge (3 significant digits): a recorded
 * value v reads back as some value of v's bucket. */
static bool in_bucket_of(int64_t reported_ns, int64_t v_ns)
{
    return hist_index_of(reported_ns) == hist_index_of(v_ns);
}

/* ---- theory ---------------------------------------------------------------
 */

/* Erlang B: B_0 = 1, B_k = A B_{k-1} / (k + A B_{k-1}). */
static double erlang_b(int c, double a)
{
    double b = 1;
    for (int k = 1; k <= c; k++)
        b = a * b / (k + a * b);
    return b;
}

/* M/M/c/K blocking: birth-death chain p_n ~ prod lambda / (min(n,c) mu),
 * truncated at K; blocking = p_K. */
static double mmck_block(int c, int k, double lambda, double mu)
{
    double term = 1, sum = 1;
    for (int n = 1; n <= k; n++) {
        term *= lambda / ((n < c ? n : c) * mu);
        sum += term;
    }
    return term / sum;
}

/* Erlang C mean response: C = c B / (c - A (1 - B)), Wq = C / (c mu -
 * lambda), T = Wq + 1/mu.  c = 1 gives M/M/1's T = 1 / (mu - lambda). */
static double erlang_c_response(int c, double lambda, double mu)
{
    double a = lambda / mu, b = erlang_b(c, a);
    double cw = c * b / (c - a * (1 - b));
    return cw / (c * mu - lambda) + 1 / mu;
}

/* Student t 0.9995 quantiles (two-sided 99.9%) for df = 1..12. */
static const double t9995[] = { 0,     636.6, 31.60, 12.92, 8.610, 6.869, 5.959,
                                5.408, 5.041, 4.781, 4.587, 4.437, 4.318 };

/* Sizes: each row's simulated time makes its expected 99.9% half-width
 * about 1/1.75 of max_half (measured over 40 seed groups), so that the
 * precision bound holds for any stream, not just for one lucky seed. */
struct stat_case {
    const char *name;
    int servers, queue; /* K = servers + queue */
    double lambda, mu;
    int64_t duration_s, warmup_s;
    int reps;
    bool latency;    /* measure mean ok latency (s), else blocking */
    double max_half; /* the 99.9% half-width must be below this */
};

static const struct stat_case stat_cases[] = {
    /* ~80k arrivals: blocking 0.1217 within +-0.015 */
    { "Erlang B E_B(10 servers, 8 Erlang)", 10, 0, 8, 1, 1000, 20, 10, false,
      0.015 },
    /* ~90k arrivals: blocking 0.3744 within +-0.02 */
    { "M/M/2/5 blocking p_K", 2, 3, 3, 1, 2500, 20, 12, false, 0.02 },
    /* ~84k customers: T = 2 s within +-0.15 s */
    { "M/M/1 response T = 1/(mu - lambda)", 1, 1000000, 0.5, 1, 14000, 50, 12,
      true, 0.15 },
    /* ~300k customers: T = 1.509 s within +-0.1 s */
    { "Erlang C M/M/4 response Wq + 1/mu", 4, 1000000, 3, 1, 10000, 50, 10,
      true, 0.1 },
};

#define N_STAT (sizeof(stat_cases) / sizeof(stat_cases[0]))

static double theory(const struct stat_case *c)
{
    if (c->latency)
        return erlang_c_response(c->servers, c->lambda, c->mu);
    if (c->queue == 0)
        return erlang_b(c->servers, c->lambda / c->mu);
    return mmck_block(c->servers, c->servers + c->queue, c->lambda, c->mu);
}

static void test_stat_case(void **state)
{
    const struct stat_case *c = *state;
    struct world w;
    world_init(&w, c->duration_s * S, ARRIVAL_POISSON, c->lambda,
               (struct dist){ DIST_EXP, 1e9 / c->mu, 0 }, c->servers, c->queue);
    w.sc.warmup_ns = c->warmup_s * S;
    double sum = 0, sum2 = 0;
    for (int r = 0; r < c->reps; r++) {
        struct outcome o;
        run(&w, 100 + (uint64_t)r, &o);
        double x;
        if (c->latency)
            x = hist_mean(rec_lat(o.rec, REASON_OK)) / 1e9;
        else
            x = (double)o.c.outcome[REASON_OVERLOADED] /
                (double)attempts_of(&o.c);
        sum += x;
        sum2 += x * x;
        outcome_fini(&o);
    }
    double n = c->reps, mean = sum / n;
    double sd = sqrt((sum2 - n * mean * mean) / (n - 1));
    double half = t9995[c->reps - 1] * sd / sqrt(n);
    double want = theory(c);
    print_message("%s: theory %.6f sim %.6f +- %.6f (99.9%%)\n", c->name, want,
                  mean, half);
    assert_true(half < c->max_half);
    assert_true(fabs(mean - want) <= half);
}

/* The published table value next to the formula, as docs/validation.md lists
 * it. */
static void test_erlang_b_formula(void **state)
{
    (void)state;
    assert_true(fabs(erlang_b(10, 8) - 0.121661) < 5e-7);
    assert_true(fabs(erlang_b(15, 8.108) - 0.0100) < 5e-5);
    assert_true(fabs(erlang_c_response(1, 0.5, 1) - 2.0) < 1e-12);
}

/* ---- nginx limit_req --------------------------------------------------------
 */

/* nginx's limit_req (docs/validation.md), per key, integer milliseconds. */
static int64_t nginx_accepts(const int64_t *t_ms, size_t n, int64_t rate_n,
                             int64_t scale_s, int64_t burst)
{
    int64_t rate = rate_n * 1000 / scale_s, excess = 0, last = 0;
    int64_t accepted = 0;
    for (size_t i = 0; i < n; i++) {
        if (i == 0) {
            last = t_ms[0];
            accepted++;
            continue;
        }
        int64_t ms = t_ms[i] - last;
        if (ms < -60000)
            ms = 1;
        else if (ms < 0)
            ms = 0;
        int64_t e = excess - rate * ms / 1000 + 1000;
        if (e < 0)
            e = 0;
        if (e > burst * 1000)
            continue;
        excess = e;
        if (ms != 0)
            last = t_ms[i];
        accepted++;
    }
    return accepted;
}

struct lb_case {
    const char *name;
    double arrival_per_s;
    int64_t requests, per_s, burst;
};

static const struct lb_case lb_cases[] = {
    { "leaky 3r/s b0 at 10/s", 10, 3, 1, 0 },
    { "leaky 100r/s b20 at 1000/s", 1000, 100, 1, 20 },
    { "leaky 1r/m b2 at 0.5/s", 0.5, 1, 60, 2 },
    { "leaky 7r/s b3 at 9/s", 9, 7, 1, 3 },
};

#define N_LB (sizeof(lb_cases) / sizeof(lb_cases[0]))

static void test_leaky_case(void **state)
{
    const struct lb_case *c = *state;
    struct world w;
    world_init(&w, 60 * S, ARRIVAL_UNIFORM, c->arrival_per_s,
               (struct dist){ DIST_CONST, 0, 0 }, -1, 0);
    w.limit = (struct scn_limit){ .kind = LIMIT_REQUESTS,
                                  .algorithm = LIM_LEAKY_BUCKET,
                                  .amount = c->requests,
                                  .per_ns = c->per_s * S,
                                  .burst = c->burst };
    strcpy(w.limit.name, "rl");
    w.tier.limits = &w.limit;
    w.tier.n_limits = 1;

    /* The arrival times, from the same generator the engine pulls. */
    struct traffic *t = traffic_new(&w.sc, 7, 0, 1);
    size_t n = 0, cap = 1024;
    int64_t *ms = malloc(cap * sizeof(*ms));
    struct traffic_req rq;
    while (traffic_next(t, &rq)) {
        if (n == cap)
            ms = realloc(ms, (cap *= 2) * sizeof(*ms));
        ms[n++] = rq.t_ns / MS;
    }
    traffic_free(t);
    int64_t want = nginx_accepts(ms, n, c->requests, c->per_s, c->burst);
    free(ms);

    struct outcome o;
    run(&w, 7, &o);
    assert_int_equal(attempts_of(&o.c), (int64_t)n);
    assert_int_equal(o.c.outcome[REASON_OK], want);
    assert_int_equal(o.c.outcome[REASON_RATE_LIMIT], (int64_t)n - want);
    if (c->burst == 0 && c->per_s == 1) { /* every ceil(R/r)-th passes */
        int64_t every = (int64_t)ceil(c->arrival_per_s / (double)c->requests);
        assert_true(llabs(want - (int64_t)n / every) <= 1);
    }
    outcome_fini(&o);
}

/* ---- exact behaviours
 * --------------------------------------------------------
 */

/* Service 2 s, client timeout 1 s, unlimited servers: every attempt times
 * out at exactly 1 s after its send. */
static void test_client_timeout(void **state)
{
    (void)state;
    struct world w;
    world_init(&w, 20 * S, ARRIVAL_UNIFORM, 5,
               (struct dist){ DIST_CONST, 2e9, 0 }, -1, 0);
    w.pop.client.timeout_ns = 1 * S;
    struct outcome o;
    run(&w, 1, &o);
    int64_t n = attempts_of(&o.c);
    assert_true(n > 90);
    assert_int_equal(o.c.outcome[REASON_TIMEOUT], n);
    const struct hist *h = rec_lat(o.rec, REASON_TIMEOUT);
    assert_true(in_bucket_of(hist_min(h), 1 * S));
    assert_true(in_bucket_of(hist_max(h), 1 * S));
    outcome_fini(&o);
}

/* One server busy 10 s per request, unbounded queue without timeout,
 * client timeout 3 s: queued and running attempts alike time out at
 * exactly 3 s, while the server keeps working through the abandoned
 * backlog (the queue gauge grows). */
static void test_queued_client_timeout(void **state)
{
    (void)state;
    struct world w;
    world_init(&w, 60 * S, ARRIVAL_UNIFORM, 1,
               (struct dist){ DIST_CONST, 10e9, 0 }, 1, 1000);
    w.pop.client.timeout_ns = 3 * S;
    struct outcome o;
    run(&w, 1, &o);
    int64_t n = attempts_of(&o.c);
    assert_true(n >= 55);
    assert_int_equal(o.c.outcome[REASON_TIMEOUT], n);
    const struct hist *h = rec_lat(o.rec, REASON_TIMEOUT);
    assert_true(in_bucket_of(hist_min(h), 3 * S));
    assert_true(in_bucket_of(hist_max(h), 3 * S));
    double g[REC_GAUGE_COUNT];
    rec_interval_gauges(o.rec, rec_n_intervals(o.rec) - 1, g, NULL);
    assert_true(g[REC_G_QUEUE_LEN] >= 40); /* ~60 sent, ~6 served */
    outcome_fini(&o);
}

/* Every attempt fails on the network; 2 retries with a constant 1 s
 * backoff and no jitter: each final is network.  Requests at t = k / 2 s
 * see their answer 50 ms later and retry 1 s after it; no retry is sent
 * at or after 30 s, so the 56 requests before 27.9 s make 3 attempts,
 * those at 28.0 and 28.5 s make 2, those at 29.0 and 29.5 s one: 174
 * attempts, 60 finals, one per request. */
static void test_retries(void **state)
{
    (void)state;
    struct world w;
    world_init(&w, 30 * S, ARRIVAL_UNIFORM, 2,
               (struct dist){ DIST_CONST, 0, 0 }, -1, 0);
    w.sc.policy.net_failure = 1.0;
    w.sc.policy.net_rtt = (struct dist){ DIST_CONST, 50e6, 0 };
    w.pop.client.retry_max = 2;
    w.pop.client.backoff = BACKOFF_CONSTANT;
    w.pop.client.backoff_base_ns = 1 * S;
    w.pop.client.jitter = JITTER_NONE;
    struct outcome o;
    run(&w, 1, &o);
    int64_t finals = o.c.final[REASON_NETWORK];
    assert_int_equal(finals, 60);
    assert_int_equal(o.st.finals, finals);
    assert_int_equal(o.st.unique, finals);
    assert_int_equal(o.c.outcome[REASON_NETWORK], attempts_of(&o.c));
    assert_int_equal(attempts_of(&o.c), 174);
    const struct hist *h = rec_lat(o.rec, REASON_NETWORK);
    assert_true(in_bucket_of(hist_min(h), 50 * MS)); /* the rtt */
    assert_true(in_bucket_of(hist_max(h), 50 * MS));
    outcome_fini(&o);
}

/* The end of the run: attempts in flight at the duration complete and
 * are recorded (20 requests at t = 0..19 s, 5 s of service: those after
 * 15 s finish in the drain, the last at 24 s); with a 3 s client timeout
 * they end as timeouts by 22 s; with no server, no queue timeout and no
 * client timeout nothing could answer them, and they end as timeouts at
 * the duration.  Every request has one final; attempts == ok + denied. */
struct drain_case {
    const char *name;
    int64_t servers, timeout_ns;
    enum reason want;
    int64_t latency_ns, drain_ns;
    int64_t in_last; /* outcomes in the last interval, [15 s, 20 s) */
};

static const struct drain_case drain_cases[] = {
    /* last interval: t = 10..14 end in it, t = 15..19 after 20 s */
    { "drain: answers after the duration", -1, 0, REASON_OK, 5 * S, 4 * S, 10 },
    /* t = 12..16 time out in it, t = 17..19 after 20 s */
    { "drain: client timeouts after the duration", -1, 3 * S, REASON_TIMEOUT,
      3 * S, 2 * S, 8 },
    { "drain: nothing can answer", 0, 0, REASON_TIMEOUT, -1, 0, 20 },
};

static void test_drain_case(void **state)
{
    const struct drain_case *c = *state;
    struct world w;
    world_init(&w, 20 * S, ARRIVAL_UNIFORM, 1,
               (struct dist){ DIST_CONST, 5e9, 0 }, c->servers, 100);
    w.pop.client.timeout_ns = c->timeout_ns;
    struct outcome o;
    run(&w, 1, &o);
    assert_int_equal(o.st.unique, 20);
    assert_int_equal(o.st.finals, 20);
    assert_int_equal(o.st.attempts, 20);
    assert_int_equal(attempts_of(&o.c), 20);
    assert_int_equal(o.c.outcome[c->want], 20);
    assert_int_equal(o.c.final[c->want], 20);
    assert_int_equal(o.st.drain_ns, c->drain_ns);
    assert_int_equal(o.st.end_ns, 20 * S);
    const struct hist *h = rec_lat(o.rec, c->want);
    if (c->latency_ns >= 0) {
        assert_true(in_bucket_of(hist_min(h), c->latency_ns));
        assert_true(in_bucket_of(hist_max(h), c->latency_ns));
    } else { /* request k waited until 20 s: 1 s .. 20 s */
        assert_true(in_bucket_of(hist_min(h), 1 * S));
        assert_true(in_bucket_of(hist_max(h), 20 * S));
    }
    /* the last interval holds what completed at or after the duration */
    struct rec_counts last;
    rec_interval_counts(o.rec, rec_n_intervals(o.rec) - 1, &last);
    assert_int_equal(last.outcome[c->want], c->in_last);
    outcome_fini(&o);
}

/* One server busy 10 s per request, queue timeout 1 s: every overloaded
 * request waited exactly 1 s, every ok one took exactly 10 s. */
static void test_queue_timeout(void **state)
{
    (void)state;
    struct world w;
    world_init(&w, 100 * S, ARRIVAL_UNIFORM, 1,
               (struct dist){ DIST_CONST, 10e9, 0 }, 1, 10);
    w.sc.policy.cap_queue_timeout_ns = 1 * S;
    struct outcome o;
    run(&w, 1, &o);
    int64_t ok = o.c.outcome[REASON_OK], over = o.c.outcome[REASON_OVERLOADED];
    assert_true(ok >= 8 && ok <= 10);
    assert_int_equal(ok + over, attempts_of(&o.c));
    assert_true(over >= 80);
    assert_true(in_bucket_of(hist_min(rec_lat(o.rec, REASON_OVERLOADED)), S));
    assert_true(in_bucket_of(hist_max(rec_lat(o.rec, REASON_OVERLOADED)), S));
    assert_true(in_bucket_of(hist_min(rec_lat(o.rec, REASON_OK)), 10 * S));
    assert_true(in_bucket_of(hist_max(rec_lat(o.rec, REASON_OK)), 10 * S));
    outcome_fini(&o);
}

/* An outage at 10 s for 5 s: exactly the arrivals in [10 s, 15 s) are
 * denied as outage, and events.csv gets one row [10, 15]. */
static void test_outage_event(void **state)
{
    (void)state;
    struct world w;
    world_init(&w, 30 * S, ARRIVAL_UNIFORM, 10,
               (struct dist){ DIST_CONST, 0, 0 }, -1, 0);
    w.event = (struct scn_event){ .kind = EV_OUTAGE,
                                  .timing = EVT_ONCE,
                                  .at_ns = 10 * S,
                                  .for_ns = 5 * S,
                                  .population = -1,
                                  .fraction = 1,
                                  .model = -1,
                                  .tier = -1,
                                  .limit = -1 };
    w.sc.events = &w.event;
    w.sc.n_events = 1;
    struct traffic *t = traffic_new(&w.sc, 3, 0, 1);
    int64_t want = 0;
    struct traffic_req rq;
    while (traffic_next(t, &rq))
        want += rq.t_ns >= 10 * S && rq.t_ns < 15 * S;
    traffic_free(t);
    struct outcome o;
    run(&w, 3, &o);
    assert_true(want >= 49);
    assert_int_equal(o.c.outcome[REASON_OUTAGE], want);
    assert_int_equal(o.st.n_rows, 1);
    assert_int_equal(o.st.rows[0].start_ns, 10 * S);
    assert_int_equal(o.st.rows[0].end_ns, 15 * S);
    assert_int_equal(o.st.rows[0].ev, 0);
    outcome_fini(&o);
}

/* Same scenario and seed: identical counters and histograms; another seed
 * differs. */
static void test_deterministic(void **state)
{
    (void)state;
    struct world w;
    world_init(&w, 200 * S, ARRIVAL_POISSON, 9,
               (struct dist){ DIST_LOGNORMAL, 0.8e9, 0.5 }, 8, 4);
    w.sc.policy.cap_queue_timeout_ns = 2 * S;
    w.pop.client.timeout_ns = 3 * S;
    w.pop.client.retry_max = 2;
    w.sc.policy.net_rtt = (struct dist){ DIST_LOGNORMAL, 40e6, 0.3 };
    struct outcome a, b, c;
    run(&w, 42, &a);
    run(&w, 42, &b);
    run(&w, 43, &c);
    assert_memory_equal(&a.c, &b.c, sizeof(a.c));
    assert_true(hist_equal(rec_lat_all(a.rec), rec_lat_all(b.rec)));
    assert_int_equal(a.st.events, b.st.events);
    assert_true(memcmp(&a.c, &c.c, sizeof(a.c)) != 0);
    assert_true(a.c.outcome[REASON_OVERLOADED] > 0);
    assert_true(a.c.outcome[REASON_OK] > 0);
    outcome_fini(&a);
    outcome_fini(&b);
    outcome_fini(&c);
}

/* Memory follows in-flight work, not requests: 10x the duration leaves
 * the attempt pool and the event queue the same size. */
static void test_memory_flat(void **state)
{
    (void)state;
    size_t slots[2], pending[2];
    for (int i = 0; i < 2; i++) {
        struct world w;
        world_init(&w, (i ? 2000 : 200) * S, ARRIVAL_POISSON, 50,
                   (struct dist){ DIST_EXP, 0.1e9, 0 }, 16, 16);
        struct outcome o;
        run(&w, 5, &o);
        slots[i] = o.st.slot_bytes;
        pending[i] = o.st.peak_pending;
        outcome_fini(&o);
    }
    assert_int_equal(slots[0], slots[1]);
    assert_true(pending[1] <= 64 && pending[0] <= 64);
}

int main(void)
{
    enum { N_DRAIN = sizeof(drain_cases) / sizeof(drain_cases[0]) };
    struct CMUnitTest tests[N_STAT + N_LB + N_DRAIN + 8];
    size_t k = 0;
    for (size_t i = 0; i < N_STAT; i++)
        tests[k++] = (struct CMUnitTest){ stat_cases[i].name, test_stat_case,
                                          NULL, NULL, (void *)&stat_cases[i] };
    for (size_t i = 0; i < N_LB; i++)
        tests[k++] = (struct CMUnitTest){ lb_cases[i].name, test_leaky_case,
                                          NULL, NULL, (void *)&lb_cases[i] };
    tests[k++] = (struct CMUnitTest)cmocka_unit_test(test_erlang_b_formula);
    tests[k++] = (struct CMUnitTest)cmocka_unit_test(test_client_timeout);
    tests[k++] =
        (struct CMUnitTest)cmocka_unit_test(test_queued_client_timeout);
    tests[k++] = (struct CMUnitTest)cmocka_unit_test(test_retries);
    for (size_t i = 0; i < N_DRAIN; i++)
        tests[k++] = (struct CMUnitTest){ drain_cases[i].name, test_drain_case,
                                          NULL, NULL, (void *)&drain_cases[i] };
    tests[k++] = (struct CMUnitTest)cmocka_unit_test(test_queue_timeout);
    tests[k++] = (struct CMUnitTest)cmocka_unit_test(test_outage_event);
    tests[k++] = (struct CMUnitTest)cmocka_unit_test(test_deterministic);
    tests[k++] = (struct CMUnitTest)cmocka_unit_test(test_memory_flat);
    return cmocka_run_group_tests(tests, NULL, NULL);
}

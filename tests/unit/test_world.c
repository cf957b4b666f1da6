/*
 * test_world.c - the engine-neutral glue (core/model/world.h): an event
 * occurrence reaches the policy, the log and the capacity in one step;
 * end of service frees the server, completes the request and charges
 * credit only when it succeeded; service times of unknown models are 0;
 * the gauges are recorded by the one method, and only those the scenario
 * has.  The scenario is parsed from text (the world is glue: testing it
 * through a real scenario is the point).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/stats/record.h"
#include "core/scenario/scenario.h"
#include "core/model/world.h"
#include "core/base/rng.h"

#define S 1000000000LL

/* 4 servers; an outage at 10 s that leaves 50% for 5 s; credit of $1 per
 * account; a token limit only (no request limit). */
static const char yaml[] =
    "name: world\n"
    "duration: 60s\n"
    "interval: 10s\n"
    "policy:\n"
    "  tiers:\n"
    "    paid:\n"
    "      credit: { prepaid: $1.00 }\n"
    "      limits:\n"
    "        - { name: tpm, tokens: 100000, per: 1m }\n"
    "  models:\n"
    "    m: { input: 1/1M, output: 2/1M, service: { first_token: 100ms, "
    "per_token: 1ms } }\n"
    "  capacity: { servers: 4, queue: 2 }\n"
    "accounts:\n"
    "  - { name: p, count: 2, tier: paid, traffic: { phases: [ { for: 60s, "
    "rate: 1/s } ] } }\n"
    "events:\n"
    "  - { at: 10s, outage: { for: 5s, capacity: 50% } }\n";

struct fixture {
    struct scenario *sc;
    struct world w;
    int asked; /* timeline asks */
    int64_t asked_t;
    enum timeline_what asked_what;
};

static void at(void *arg, int64_t t_ns, enum timeline_what what, uint32_t ev)
{
    struct fixture *f = arg;
    (void)ev;
    f->asked++;
    f->asked_t = t_ns;
    f->asked_what = what;
}

static int setup(void **state)
{
    static struct fixture f;
    memset(&f, 0, sizeof(f));
    struct scn_diags d;
    scn_diags_init(&d, "world");
    int rc =
        scn_parse_buffer("world.yaml", yaml, strlen(yaml), NULL, 0, &f.sc, &d);
    if (rc != ERR_OK) {
        char buf[512];
        print_error("%s\n", scn_diags_fmt(buf, sizeof(buf), &d));
    }
    scn_diags_fini(&d);
    if (rc != ERR_OK)
        return -1;
    if (world_init(&f.w, f.sc, 7, f.sc->duration_ns, at, &f) != ERR_OK)
        return -1;
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    world_fini(&f->w);
    scn_free(f->sc);
    return 0;
}

static struct policy_req request(int64_t account)
{
    return (struct policy_req){ .account = account,
                                .pop = 0,
                                .model = 0,
                                .source = account,
                                .prompt_tokens = 1000,
                                .completion_tokens = 500 };
}

/* The outage begins: policy says outage, the log has its row, its end was
 * asked for at 15 s, and 2 of 4 servers remain; its end restores 4. */
static void test_event_steps(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(f->w.cap.servers, 4);
    world_event_begin(&f->w, 0, 10 * S, 10 * S);
    assert_int_equal(f->w.tl.n_rows, 1);
    assert_string_equal(f->w.tl.rows[0].label, "capacity 50%");
    assert_int_equal(f->asked, 1);
    assert_int_equal(f->asked_t, 15 * S);
    assert_int_equal(f->asked_what, TIMELINE_END);
    assert_true(policy_capacity_factor(f->w.pol, 10 * S) == 0.5);
    assert_int_equal(f->w.cap.active, 2);
    world_event_finish(&f->w, 0, 15 * S, 15 * S);
    assert_int_equal(f->w.cap.active, 4);
}

/* A served request: the server is freed and credit is charged exactly
 * (1000 x $1/1M + 500 x $2/1M = $0.002); a request that ended as
 * overloaded (no server held) charges nothing. */
static void test_end_service(void **state)
{
    struct fixture *f = *state;
    struct policy_req rq = request(0);
    struct policy_decision d;
    assert_int_equal(policy_decide(f->w.pol, &rq, S, &d), REASON_OK);
    assert_int_equal(capacity_admit(&f->w.cap, 1, S), CAPACITY_STARTED);
    assert_int_equal(capacity_busy(&f->w.cap), 1);
    int64_t before = policy_credit_total(f->w.pol, S);
    assert_int_equal(world_end_service(&f->w, &rq, &d.ticket, true, 2 * S,
                                       (struct world_key){ 1, 1 }),
                     REASON_OK);
    assert_int_equal(capacity_busy(&f->w.cap), 0);
    assert_int_equal(before - policy_credit_total(f->w.pol, 2 * S),
                     2000000000LL); /* $0.002 in pico-dollars */
    before = policy_credit_total(f->w.pol, 2 * S);
    assert_int_equal(policy_decide(f->w.pol, &rq, 3 * S, &d), REASON_OK);
    policy_complete(f->w.pol, &rq, &d.ticket, 3 * S, REASON_OVERLOADED, 0);
    assert_int_equal(policy_credit_total(f->w.pol, 3 * S), before);
}

/* 100 ms first token + 1 ms x 500 tokens, constant: 600 ms; an unknown
 * model is served in no time. */
static void test_service(void **state)
{
    struct fixture *f = *state;
    const struct world_key k = { 3, 1 };
    assert_int_equal(world_service_ns(&f->w, 0, 500, k), 600000000LL);
    assert_int_equal(world_service_ns(&f->w, 5, 500, k), 0);
    assert_int_equal(world_service_ns(&f->w, -1, 500, k), 0);
}

/* In-flight, queue length, credit and token headroom are recorded; the
 * scenario has no request limit, so that gauge stays unset. */
static void test_gauges(void **state)
{
    struct fixture *f = *state;
    struct rec *rec;
    assert_int_equal(rec_new_scenario(f->sc, f->sc->duration_ns, false, &rec),
                     ERR_OK);
    world_gauges(&f->w, rec, 10 * S, 10 * S, 3);
    double g[REC_GAUGE_COUNT];
    bool set[REC_GAUGE_COUNT];
    rec_interval_gauges(rec, 1, g, set);
    assert_true(set[REC_G_IN_FLIGHT] && g[REC_G_IN_FLIGHT] == 3);
    assert_true(set[REC_G_QUEUE_LEN] && g[REC_G_QUEUE_LEN] == 0);
    assert_true(set[REC_G_CREDIT_USD]);
    assert_true(g[REC_G_CREDIT_USD] == 2.0); /* two accounts x $1 */
    assert_true(set[REC_G_RL_TOKENS] && g[REC_G_RL_TOKENS] == 200000);
    assert_false(set[REC_G_RL_REQUESTS]);
    rec_free(rec);
}

/* An event injected at run time (serve's POST /tollgate/events): it gets
 * the id after the scenario's one event, the policy applies it (a 25%
 * upgrade leaves 1 of 4 servers), it is logged with its kind and label,
 * and its end is asked for at now + for; the scenario is not touched. */
static void test_inject(void **state)
{
    struct fixture *f = *state;
    struct scn_event ev;
    scn_event_init(&ev);
    ev.kind = EV_UPGRADE;
    ev.capacity = 0.25;
    ev.for_ns = 3 * S;
    uint32_t id = 99;
    assert_int_equal(world_inject(&f->w, &ev, 20 * S, &id), ERR_OK);
    assert_int_equal(id, 1);
    assert_int_equal(f->sc->n_events, 1);
    assert_int_equal(timeline_event(&f->w.tl, id)->kind, EV_UPGRADE);
    assert_int_equal(f->w.cap.active, 1);
    assert_int_equal(f->w.tl.n_rows, 1);
    assert_int_equal(f->w.tl.rows[0].kind, EV_UPGRADE);
    assert_int_equal(f->w.tl.rows[0].ev, 1);
    assert_string_equal(f->w.tl.rows[0].label, "capacity 25%");
    assert_int_equal(f->asked_t, 23 * S);
    assert_int_equal(f->asked_what, TIMELINE_END);
    world_event_finish(&f->w, id, 23 * S, 23 * S);
    assert_int_equal(f->w.cap.active, 4);
}

/* The timeline takes TIMELINE_MAX_ADDED events, then refuses (the caller
 * keeps the event); ids are consecutive after the scenario's. */
static void test_inject_limit(void **state)
{
    struct fixture *f = *state;
    struct scn_event ev;
    scn_event_init(&ev);
    ev.kind = EV_BAN;
    uint32_t id = 0;
    for (uint32_t k = 0; k < TIMELINE_MAX_ADDED; k++) {
        assert_int_equal(timeline_add(&f->w.tl, &ev, &id), ERR_OK);
        assert_int_equal(id, 1 + k);
    }
    assert_int_equal(timeline_add(&f->w.tl, &ev, &id), ERR_TOOBIG);
    assert_int_equal(world_inject(&f->w, &ev, 0, &id), ERR_TOOBIG);
    assert_int_equal(f->w.tl.n_rows, 0);
}

/* ---- keyed draws --------------------------------------------------------- */

/* Random service times (lognormal first token, exponential per token) and
 * 30% server errors: every draw of the world is random here. */
static const char yaml_random[] =
    "name: keyed\n"
    "duration: 60s\n"
    "policy:\n"
    "  tiers: { t: {} }\n"
    "  models:\n"
    "    m: { input: 1/1M, output: 2/1M, service: { first_token: "
    "lognormal(300ms, 0.5), per_token: exp(5ms) } }\n"
    "  errors: { server_error: 30% }\n"
    "accounts:\n"
    "  - { name: p, count: 1, tier: t, traffic: { phases: [ { for: 60s, "
    "rate: 1/s } ] } }\n";

static void no_at(void *arg, int64_t t_ns, enum timeline_what what, uint32_t ev)
{
    (void)arg, (void)t_ns, (void)what, (void)ev;
}

static int setup_random(void **state)
{
    static struct fixture f;
    memset(&f, 0, sizeof(f));
    struct scn_diags d;
    scn_diags_init(&d, "keyed");
    int rc = scn_parse_buffer("keyed.yaml", yaml_random, strlen(yaml_random),
                              NULL, 0, &f.sc, &d);
    scn_diags_fini(&d);
    if (rc != ERR_OK ||
        world_init(&f.w, f.sc, 42, f.sc->duration_ns, no_at, NULL) != ERR_OK)
        return -1;
    *state = &f;
    return 0;
}

/* The documented streams replayed by hand: service time from (seed ^
 * attempt x golden ratio, request, RNG_SERVICE) through the ziggurat
 * sampler, server_error as one uniform of (..., RNG_FAULTS) below 0.3. */
static void test_keyed_replay(void **state)
{
    struct fixture *f = *state;
    for (uint64_t id = 0; id < 50; id++) {
        for (uint32_t a = 1; a <= 3; a++) {
            const struct world_key k = { id, a };
            uint64_t seed = 42 ^ ((uint64_t)a * RNG_GOLDEN);
            struct rng r;
            rng_init(&r, seed, id, RNG_SERVICE);
            int64_t want = capacity_service_ns_zig(&f->sc->policy.models[0],
                                                   100, &f->w.zig, &r);
            rng_init(&r, seed, id, RNG_FAULTS);
            bool want_err = rng_double(&r) < 0.3;
            assert_int_equal(world_service_ns(&f->w, 0, 100, k), want);
            assert_int_equal(world_server_error(&f->w, k), want_err);
        }
    }
}

/* Same key, same draw, whatever was asked in between and in which order
 * (sim asks in event order, serve in arrival order): the draws of 200
 * keys, taken forwards, then backwards with other keys interleaved,
 * agree exactly. */
static void test_keyed_same(void **state)
{
    struct fixture *f = *state;
    enum { N = 200 };
    int64_t svc[N];
    bool err[N];
    for (uint64_t i = 0; i < N; i++) {
        const struct world_key k = { i, 1 };
        svc[i] = world_service_ns(&f->w, 0, 50, k);
        err[i] = world_server_error(&f->w, k);
    }
    for (uint64_t i = N; i-- > 0;) {
        const struct world_key k = { i, 1 };
        (void)world_service_ns(&f->w, 0, 50, (struct world_key){ i + N, 2 });
        assert_int_equal(world_server_error(&f->w, k), err[i]);
        assert_int_equal(world_service_ns(&f->w, 0, 50, k), svc[i]);
    }
}

/* A different attempt of the same request (or another request) draws
 * anew: 20 attempts of one request give 20 distinct service times
 * (continuous distributions: a tie has probability ~0); attempts 1 and
 * 2 of 1000 requests differ in their server_error draw about 2 x 0.3 x
 * 0.7 = 42% of the time (binomial sd 1.6%: 36-48% is 3.9 sd), and the
 * error rate over 4000 keys is 30% +- 2.2% (3 sd). */
static void test_keyed_attempts(void **state)
{
    struct fixture *f = *state;
    int64_t seen[20];
    for (uint32_t a = 1; a <= 20; a++) {
        seen[a - 1] =
            world_service_ns(&f->w, 0, 50, (struct world_key){ 7, a });
        assert_true(seen[a - 1] > 0);
        for (uint32_t b = 1; b < a; b++)
            assert_true(seen[b - 1] != seen[a - 1]);
    }
    int differ = 0, errors = 0;
    for (uint64_t id = 0; id < 1000; id++) {
        bool e1 = world_server_error(&f->w, (struct world_key){ id, 1 });
        bool e2 = world_server_error(&f->w, (struct world_key){ id, 2 });
        differ += e1 != e2;
        for (uint32_t a = 1; a <= 4; a++)
            errors += world_server_error(&f->w, (struct world_key){ id, a });
    }
    assert_in_range(differ, 360, 480);
    assert_in_range(errors, 1112, 1288);
    /* a key serve makes up (WORLD_KEY_LOCAL) draws apart from request 7 */
    assert_true(world_service_ns(
                    &f->w, 0, 50,
                    (struct world_key){ WORLD_KEY_LOCAL | 7, 1 }) != seen[0]);
}

/* The key's text on the wire (header WORLD_KEY_HEADER). */
struct key_case {
    const char *name, *text;
    bool ok;
    uint64_t request;
    uint32_t attempt;
};
static const struct key_case key_cases[] = {
    { "first attempt", "0.1", true, 0, 1 },
    { "a retry", "123456.3", true, 123456, 3 },
    { "largest request", "9223372036854775807.4294967295", true, INT64_MAX,
      UINT32_MAX },
    { "request with the local bit", "9223372036854775808.1", false, 0, 0 },
    { "attempt past 32 bits", "5.4294967296", false, 0, 0 },
    { "no dot", "12", false, 0, 0 },
    { "no attempt", "12.", false, 0, 0 },
    { "no request", ".1", false, 0, 0 },
    { "sign", "-1.1", false, 0, 0 },
    { "trailing text", "1.1x", false, 0, 0 },
    { "two dots", "1.1.1", false, 0, 0 },
    { "empty", "", false, 0, 0 },
};

static void test_key_text(void **state)
{
    const struct key_case *c = *state;
    struct world_key k = { 77, 77 };
    assert_int_equal(world_key_parse(c->text, &k), c->ok);
    if (!c->ok) {
        assert_int_equal(k.request, 77); /* untouched */
        return;
    }
    assert_int_equal(k.request, c->request);
    assert_int_equal(k.attempt, c->attempt);
    char buf[WORLD_KEY_TEXT_MAX];
    assert_int_equal(world_key_fmt(buf, sizeof(buf), k), strlen(c->text));
    assert_string_equal(buf, c->text); /* the round trip */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_event_steps, setup, teardown),
        cmocka_unit_test_setup_teardown(test_end_service, setup, teardown),
        cmocka_unit_test_setup_teardown(test_service, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gauges, setup, teardown),
        cmocka_unit_test_setup_teardown(test_inject, setup, teardown),
        cmocka_unit_test_setup_teardown(test_inject_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_keyed_replay, setup_random,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_keyed_same, setup_random,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_keyed_attempts, setup_random,
                                        teardown),
    };
    enum { N_KEY = sizeof(key_cases) / sizeof(key_cases[0]) };
    struct CMUnitTest keys[N_KEY];
    for (size_t i = 0; i < N_KEY; i++)
        keys[i] = (struct CMUnitTest){ key_cases[i].name, test_key_text, NULL,
                                       NULL, (void *)&key_cases[i] };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    return failed + cmocka_run_group_tests(keys, NULL, NULL);
}

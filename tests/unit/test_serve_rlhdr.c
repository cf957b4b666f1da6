/*
 * test_serve_rlhdr.c - the x-ratelimit headers of an API answer
 * (serve/serve_rlhdr.h): a policy decision's limits become numbers
 * (resets rounded up to whole milliseconds, a negative remaining shown as
 * 0, a kind the tier does not limit not sent), the numbers become text
 * ("59.991s", "6m0s"), and the text becomes response headers in the
 * documented order, from any index on.  Expectations are worked by hand
 * in each row.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/scenario/scenario.h"
#include "serve/serve_rlhdr.h"

#define MS 1000000LL
#define NS SERVE_RL_NOT_SENT

/* One decision's request and token limit -> the six values and texts. */
struct vals_case {
    const char *name;
    struct policy_hdr req, tok;
    int64_t want[SERVE_RL_ID]; /* limit r/t, reset r/t, remaining r/t */
    const char *text[SERVE_RL_ID];
};

static const struct vals_case vals_cases[] = {
    /* 59 990 777 407 ns rounds up to 59 991 ms */
    { "both kinds, reset rounded up",
      { true, 60, 59, 59990777407LL },
      { true, 40000, 38500, 360000 * MS },
      { 60, 40000, 59991, 360000, 59, 38500 },
      { "60", "40000", "59.991s", "6m0s", "59", "38500" } },
    /* no token limit: its three headers are not sent */
    { "request limit only",
      { true, 3, 0, 20 * MS },
      { false, 0, 0, 0 },
      { 3, NS, 20, NS, 0, NS },
      { "3", "", "20ms", "", "0", "" } },
    /* an overdrawn token limit (count_denied) shows 0 remaining, and a
     * reset already due shows 0s */
    { "negative remaining and past reset",
      { false, 0, 0, 0 },
      { true, 1000, -250, -5 * MS },
      { NS, 1000, NS, 0, NS, 0 },
      { "", "1000", "", "0s", "", "0" } },
    /* 1 ns is a wait: rounded up to 1 ms, never shown as 0s */
    { "one nanosecond",
      { true, 1, 1, 1 },
      { true, 1, 1, 3723500 * MS },
      { 1, 1, 1, 3723500, 1, 1 },
      { "1", "1", "1ms", "1h2m3.5s", "1", "1" } },
    { "no limits at all",
      { false, 0, 0, 0 },
      { false, 0, 0, 0 },
      { NS, NS, NS, NS, NS, NS },
      { "", "", "", "", "", "" } },
};

static void test_vals(void **state)
{
    const struct vals_case *c = *state;
    struct policy_decision d;
    memset(&d, 0, sizeof(d));
    d.req = c->req;
    d.tok = c->tok;
    struct serve_rl_vals a;
    serve_rl_vals_of(&a, &d, SERVE_OPENAI, 0, 42);
    for (int i = 0; i < SERVE_RL_ID; i++)
        assert_int_equal(a.v[i], c->want[i]);
    assert_int_equal(a.v[SERVE_RL_ID], 42);
    struct serve_rl_text t;
    serve_rl_format(&t, &a, 0);
    for (int i = 0; i < SERVE_RL_ID; i++)
        assert_string_equal(t.v[i], c->text[i]);
    assert_string_equal(t.v[SERVE_RL_ID], "req_42");
}

/* Formatting from index `from` leaves the texts before it alone (a kept
 * response reformats only the tail that changed). */
static void test_format_from(void **state)
{
    (void)state;
    struct serve_rl_vals a = { { 60, 40000, 1000, 2000, 7, 8, 5 },
                               SERVE_OPENAI,
                               0 };
    struct serve_rl_text t;
    for (int i = 0; i < SERVE_RL_COUNT; i++)
        strcpy(t.v[i], "old");
    serve_rl_format(&t, &a, SERVE_RL_REMAIN_REQ);
    assert_string_equal(t.v[SERVE_RL_LIMIT_REQ], "old");
    assert_string_equal(t.v[SERVE_RL_RESET_TOK], "old");
    assert_string_equal(t.v[SERVE_RL_REMAIN_REQ], "7");
    assert_string_equal(t.v[SERVE_RL_REMAIN_TOK], "8");
    assert_string_equal(t.v[SERVE_RL_ID], "req_5");
}

/* The names of each family, in the documented order: OpenAI's and
 * Anthropic's, as their APIs send them. */
static void test_names(void **state)
{
    (void)state;
    static const char *const want[2][SERVE_RL_COUNT] = {
        { "x-ratelimit-limit-requests", "x-ratelimit-limit-tokens",
          "x-ratelimit-reset-requests", "x-ratelimit-reset-tokens",
          "x-ratelimit-remaining-requests", "x-ratelimit-remaining-tokens",
          "x-request-id" },
        { "anthropic-ratelimit-requests-limit",
          "anthropic-ratelimit-tokens-limit",
          "anthropic-ratelimit-requests-reset",
          "anthropic-ratelimit-tokens-reset",
          "anthropic-ratelimit-requests-remaining",
          "anthropic-ratelimit-tokens-remaining", "request-id" },
    };
    for (int d = 0; d < 2; d++)
        for (int i = 0; i < SERVE_RL_COUNT; i++)
            assert_string_equal(serve_rl_names[d][i], want[d][i]);
}

/* Anthropic's resets are the RFC 3339 second they happen, rounded up:
 * at 2026-12-07T09:40:59Z (Unix 1796636459) a reset in 20 ms is the next
 * second, 09:41:00Z; 59.991 s is 60 s later, 09:41:59Z; 0 is now; 6 min
 * crosses the hour, 09:46:59Z; one day, 2026-12-08.  The same values in
 * the OpenAI family stay durations. */
struct rfc_case {
    const char *name;
    int64_t ms;
    const char *anthropic, *openai;
};
static const struct rfc_case rfc_cases[] = {
    { "20 ms: next second", 20, "2026-12-07T09:41:00Z", "20ms" },
    { "59.991 s", 59991, "2026-12-07T09:41:59Z", "59.991s" },
    { "now", 0, "2026-12-07T09:40:59Z", "0s" },
    { "6 minutes", 360000, "2026-12-07T09:46:59Z", "6m0s" },
    { "one day", 86400000, "2026-12-08T09:40:59Z", "24h0m0s" },
};

static void test_rfc_case(void **state)
{
    const struct rfc_case *c = *state;
    for (int d = 0; d < 2; d++) {
        struct serve_rl_vals a = { { 1, 1, c->ms, NS, 1, NS, 7 },
                                   (enum serve_dialect)d,
                                   1796636459 };
        struct serve_rl_text t;
        serve_rl_format(&t, &a, 0);
        assert_string_equal(t.v[SERVE_RL_RESET_REQ],
                            d == SERVE_ANTHROPIC ? c->anthropic : c->openai);
        assert_string_equal(t.v[SERVE_RL_RESET_TOK], "");
        assert_string_equal(t.v[SERVE_RL_ID], "req_7");
    }
}

/* Collects the names of r's headers in the order they were added. */
struct order {
    const char *names[8];
    int n;
};

static enum MHD_Result collect(void *cls, enum MHD_ValueKind kind,
                               const char *key, const char *value)
{
    struct order *o = cls;
    (void)kind;
    (void)value;
    if (o->n < 8)
        o->names[o->n++] = key;
    return MHD_YES;
}

/* serve_rl_response: Content-Type first, then the headers that are sent,
 * in order; serve_rl_add from an index adds only the tail. */
static void test_response(void **state)
{
    (void)state;
    struct serve_rl_text t;
    struct serve_rl_vals a = { { 3, NS, 20, NS, 0, NS, 9 }, SERVE_OPENAI, 0 };
    serve_rl_format(&t, &a, 0);
    struct MHD_Response *r =
        MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    assert_non_null(r);
    assert_ptr_equal(serve_rl_response(r, &t), r);
    assert_string_equal(MHD_get_response_header(r, "Content-Type"),
                        "application/json");
    assert_string_equal(
        MHD_get_response_header(r, "x-ratelimit-limit-requests"), "3");
    assert_string_equal(
        MHD_get_response_header(r, "x-ratelimit-reset-requests"), "20ms");
    assert_string_equal(
        MHD_get_response_header(r, "x-ratelimit-remaining-requests"), "0");
    assert_null(MHD_get_response_header(r, "x-ratelimit-limit-tokens"));
    assert_null(MHD_get_response_header(r, "x-ratelimit-remaining-tokens"));
    assert_string_equal(MHD_get_response_header(r, "x-request-id"), "req_9");
    struct order o = { { NULL }, 0 };
    MHD_get_response_headers(r, collect, &o);
    assert_int_equal(o.n, 5);
    assert_string_equal(o.names[0], "Content-Type");
    assert_string_equal(o.names[1], "x-ratelimit-limit-requests");
    assert_string_equal(o.names[2], "x-ratelimit-reset-requests");
    assert_string_equal(o.names[3], "x-ratelimit-remaining-requests");
    assert_string_equal(o.names[4], "x-request-id");
    MHD_destroy_response(r);

    struct serve_rl_vals b = { { 60, 40000, 1000, 2000, 7, 8, NS },
                               SERVE_OPENAI,
                               0 };
    serve_rl_format(&t, &b, 0);
    r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    serve_rl_add(r, &t, SERVE_RL_REMAIN_REQ);
    assert_null(MHD_get_response_header(r, "x-ratelimit-limit-requests"));
    assert_null(MHD_get_response_header(r, "x-ratelimit-reset-tokens"));
    assert_string_equal(
        MHD_get_response_header(r, "x-ratelimit-remaining-requests"), "7");
    assert_string_equal(
        MHD_get_response_header(r, "x-ratelimit-remaining-tokens"), "8");
    MHD_destroy_response(r);
}

/* The IETF draft fields (live.ietf_ratelimit): one member per limit the
 * other families describe, named by the limit.  rpm 3/min with 2 left and
 * 20 s to reset, tpm 40000/min with 39800 left and 0.3 s (t rounds up to
 * 1): RateLimit-Policy "rpm";q=3;w=60, "tpm";q=40000;w=60;qu="tokens" and
 * RateLimit "rpm";r=2;t=20, "tpm";r=39800;t=1.  A tier without limits
 * gets neither field. */
static void test_ietf(void **state)
{
    (void)state;
    static const char yaml[] =
        "name: ietf\n"
        "duration: 1m\n"
        "policy:\n"
        "  tiers:\n"
        "    t: { limits: [ { name: rpm, requests: 3, per: 1m }, "
        "{ name: tpm, tokens: 40000, per: 1m } ] }\n"
        "    free: {}\n"
        "accounts:\n"
        "  - { name: p, count: 1, tier: t, traffic: { phases: [ { for: 1m, "
        "rate: 1/s } ] } }\n"
        "live: { ietf_ratelimit: true }\n";
    struct scenario *sc = NULL;
    struct scn_diags dg;
    scn_diags_init(&dg, "ietf");
    assert_int_equal(
        scn_parse_buffer("ietf.yaml", yaml, strlen(yaml), NULL, 0, &sc, &dg),
        ERR_OK);
    scn_diags_fini(&dg);
    assert_true(sc->live.ietf_ratelimit);
    struct policy_decision d;
    memset(&d, 0, sizeof(d));
    d.tier = 0;
    d.req = (struct policy_hdr){ true, 3, 2, 20 * 1000 * MS };
    d.tok = (struct policy_hdr){ true, 40000, 39800, 300 * MS };
    struct MHD_Response *r =
        MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    serve_rl_ietf(r, sc, &d);
    assert_string_equal(MHD_get_response_header(r, "RateLimit-Policy"),
                        "\"rpm\";q=3;w=60, \"tpm\";q=40000;w=60;qu=\"tokens\"");
    assert_string_equal(MHD_get_response_header(r, "RateLimit"),
                        "\"rpm\";r=2;t=20, \"tpm\";r=39800;t=1");
    MHD_destroy_response(r);
    d.tier = 1;
    d.req.present = d.tok.present = false;
    r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    serve_rl_ietf(r, sc, &d);
    assert_null(MHD_get_response_header(r, "RateLimit-Policy"));
    assert_null(MHD_get_response_header(r, "RateLimit"));
    MHD_destroy_response(r);
    scn_free(sc);
}

int main(void)
{
    enum { N = sizeof(vals_cases) / sizeof(vals_cases[0]) };
    enum { NR = sizeof(rfc_cases) / sizeof(rfc_cases[0]) };
    struct CMUnitTest tests[N + NR + 4];
    size_t n = 0;
    for (size_t i = 0; i < NR; i++)
        tests[n++] = (struct CMUnitTest){ rfc_cases[i].name, test_rfc_case,
                                          NULL, NULL, (void *)&rfc_cases[i] };
    for (size_t i = 0; i < N; i++)
        tests[n++] = (struct CMUnitTest){ vals_cases[i].name, test_vals, NULL,
                                          NULL, (void *)&vals_cases[i] };
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_format_from);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_names);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_response);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_ietf);
    return cmocka_run_group_tests(tests, NULL, NULL);
}

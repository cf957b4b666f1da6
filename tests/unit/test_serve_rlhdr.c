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

#include "serve/serve_rlhdr.h"

#define MS 1000000LL
#define NS SERVE_RL_NOT_SENT

/* One decision's request and token limit -> the six values and texts. */
struct vals_case {
    const char *name;
    struct policy_hdr req, tok;
    int64_t want[SERVE_RL_COUNT]; /* limit r/t, reset r/t, remaining r/t */
    const char *text[SERVE_RL_COUNT];
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
    serve_rl_vals_of(&a, &d);
    for (int i = 0; i < SERVE_RL_COUNT; i++)
        assert_int_equal(a.v[i], c->want[i]);
    struct serve_rl_text t;
    serve_rl_format(&t, &a, 0);
    for (int i = 0; i < SERVE_RL_COUNT; i++)
        assert_string_equal(t.v[i], c->text[i]);
}

/* Formatting from index `from` leaves the texts before it alone (a kept
 * response reformats only the tail that changed). */
static void test_format_from(void **state)
{
    (void)state;
    struct serve_rl_vals a = { { 60, 40000, 1000, 2000, 7, 8 } };
    struct serve_rl_text t;
    for (int i = 0; i < SERVE_RL_COUNT; i++)
        strcpy(t.v[i], "old");
    serve_rl_format(&t, &a, SERVE_RL_REMAIN_REQ);
    assert_string_equal(t.v[SERVE_RL_LIMIT_REQ], "old");
    assert_string_equal(t.v[SERVE_RL_RESET_TOK], "old");
    assert_string_equal(t.v[SERVE_RL_REMAIN_REQ], "7");
    assert_string_equal(t.v[SERVE_RL_REMAIN_TOK], "8");
}

/* The names are OpenAI's, in the documented order. */
static void test_names(void **state)
{
    (void)state;
    static const char *const want[SERVE_RL_COUNT] = {
        "x-ratelimit-limit-requests",     "x-ratelimit-limit-tokens",
        "x-ratelimit-reset-requests",     "x-ratelimit-reset-tokens",
        "x-ratelimit-remaining-requests", "x-ratelimit-remaining-tokens",
    };
    for (int i = 0; i < SERVE_RL_COUNT; i++)
        assert_string_equal(serve_rl_names[i], want[i]);
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
    struct serve_rl_vals a = { { 3, NS, 20, NS, 0, NS } };
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
    struct order o = { { NULL }, 0 };
    MHD_get_response_headers(r, collect, &o);
    assert_int_equal(o.n, 4);
    assert_string_equal(o.names[0], "Content-Type");
    assert_string_equal(o.names[1], "x-ratelimit-limit-requests");
    assert_string_equal(o.names[2], "x-ratelimit-reset-requests");
    assert_string_equal(o.names[3], "x-ratelimit-remaining-requests");
    MHD_destroy_response(r);

    struct serve_rl_vals b = { { 60, 40000, 1000, 2000, 7, 8 } };
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

int main(void)
{
    enum { N = sizeof(vals_cases) / sizeof(vals_cases[0]) };
    struct CMUnitTest tests[N + 3];
    size_t n = 0;
    for (size_t i = 0; i < N; i++)
        tests[n++] = (struct CMUnitTest){ vals_cases[i].name, test_vals, NULL,
                                          NULL, (void *)&vals_cases[i] };
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_format_from);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_names);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_response);
    return cmocka_run_group_tests(tests, NULL, NULL);
}

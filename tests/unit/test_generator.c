/*
 * test_generator.c - generator.json's text (loadgen/generator.c): every
 * field in its place with its unit conversion (ns to s and ms, dropped
 * split into no-connection and drain-end), the target JSON-escaped,
 * booleans, unknown CPU times as -1, and the exact bytes of a worked
 * example, which the documented format (docs/results-format.md) names.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/base/json.h"
#include "loadgen/generator.h"

#define MS 1000000LL

struct gen_case {
    const char *name;
    const char *target; /* as handed over (already masked) */
    struct lg_stats st;
    int shard_i, shard_n;
    const char *want; /* the whole file */
};

static const struct gen_case cases[] = {
    /* 12 dropped of which 5 at drain end: 7 found no connection.  Lags
     * 1.5 ms / 20.25 ms / 31 ms; drain 2.5 s; CPU 1234.56 ms -> 1234.6. */
    { "worked example",
      "http://127.0.0.1:8080",
      { .sent = 1000,
        .dropped = 12,
        .dropped_drain = 5,
        .aborted = 3,
        .retries_unsent = 4,
        .lag_p50_ns = 1500000,
        .lag_p99_ns = 20250000,
        .lag_max_ns = 31 * MS,
        .connections_used = 17,
        .conn_waits = 40,
        .cpu_ns = 1234560000,
        .cpu_wait_ns = 100 * MS,
        .http2_responses = 0,
        .drain_ns = 2500 * MS,
        .kept_up = false,
        .stopped = true },
      1,
      4,
      "{\n  \"target\": \"http://127.0.0.1:8080\",\n"
      "  \"shard\": \"1/4\", \"start_epoch_s\": 1764237600.250000,\n"
      "  \"threads\": 2, \"connections\": 64,\n"
      "  \"connections_opened_peak\": 17, \"http2_responses\": 0,\n"
      "  \"sent\": 1000, \"dropped_no_connection\": 7, "
      "\"dropped_at_drain_end\": 5, \"waited_for_connection\": 40,\n"
      "  \"aborted_in_flight\": 3, \"retries_unsent\": 4, "
      "\"drain_s\": 2.500,\n"
      "  \"schedule_lag_ms\": { \"p50\": 1.500, \"p99\": 20.250, "
      "\"max\": 31.000 },\n"
      "  \"worker_cpu_ms\": 1234.6, \"worker_cpu_wait_ms\": 100.0,\n"
      "  \"kept_up\": false, \"stopped\": true\n}\n" },
    /* Quotes, a backslash and a control byte in the target are escaped;
     * CPU times unknown (-1 ns) print as -1, as documented (not -0.0,
     * which -1 ns divided would round to). */
    { "escaped target, unknown cpu",
      "http://h/\"x\\y\x01",
      { .sent = 5,
        .cpu_ns = -1,
        .cpu_wait_ns = -1,
        .http2_responses = 5,
        .kept_up = true },
      0,
      1,
      "{\n  \"target\": \"http://h/\\\"x\\\\y\\u0001\",\n"
      "  \"shard\": \"0/1\", \"start_epoch_s\": 1764237600.250000,\n"
      "  \"threads\": 2, \"connections\": 64,\n"
      "  \"connections_opened_peak\": 0, \"http2_responses\": 5,\n"
      "  \"sent\": 5, \"dropped_no_connection\": 0, "
      "\"dropped_at_drain_end\": 0, \"waited_for_connection\": 0,\n"
      "  \"aborted_in_flight\": 0, \"retries_unsent\": 0, "
      "\"drain_s\": 0.000,\n"
      "  \"schedule_lag_ms\": { \"p50\": 0.000, \"p99\": 0.000, "
      "\"max\": 0.000 },\n"
      "  \"worker_cpu_ms\": -1.0, \"worker_cpu_wait_ms\": -1.0,\n"
      "  \"kept_up\": true, \"stopped\": false\n}\n" },
};

#define N_CASES (sizeof(cases) / sizeof(cases[0]))

static void test_case(void **state)
{
    const struct gen_case *c = *state;
    struct lg_generator g = { .st = &c->st,
                              .target = c->target,
                              .threads = 2,
                              .connections = 64,
                              .shard_i = c->shard_i,
                              .shard_n = c->shard_n,
                              .start_epoch_s = 1764237600.25 };
    char buf[4096];
    memset(buf, 0, sizeof(buf));
    FILE *f = fmemopen(buf, sizeof(buf) - 1, "w");
    assert_non_null(f);
    assert_int_equal(lg_generator_write(&g, f), ERR_OK);
    assert_int_equal(fclose(f), 0);
    assert_string_equal(buf, c->want);
}

/* Every case's output parses as JSON (the core reader), the target
 * decodes back to what was handed over and the counts read back. */
static void test_parses(void **state)
{
    (void)state;
    for (size_t k = 0; k < N_CASES; k++) {
        const struct gen_case *c = &cases[k];
        struct lg_generator g = { .st = &c->st,
                                  .target = c->target,
                                  .threads = 2,
                                  .connections = 64,
                                  .shard_i = c->shard_i,
                                  .shard_n = c->shard_n };
        char buf[4096];
        memset(buf, 0, sizeof(buf));
        FILE *f = fmemopen(buf, sizeof(buf) - 1, "w");
        assert_non_null(f);
        assert_int_equal(lg_generator_write(&g, f), ERR_OK);
        assert_int_equal(fclose(f), 0);
        struct json_node nodes[128];
        struct json_doc d;
        assert_int_equal(json_parse(&d, buf, strlen(buf), nodes, 128, 0, 0),
                         ERR_OK);
        char target[256];
        assert_int_equal(json_str_copy(&d, json_get(&d, 0, "target"), target,
                                       sizeof(target), NULL),
                         ERR_OK);
        assert_string_equal(target, c->target);
        int64_t v = -1;
        assert_true(json_int64(&d, json_get(&d, 0, "sent"), &v));
        assert_int_equal(v, c->st.sent);
        assert_true(
            json_int64(&d, json_get(&d, 0, "dropped_no_connection"), &v));
        assert_int_equal(v, c->st.dropped - c->st.dropped_drain);
    }
}

int main(void)
{
    struct CMUnitTest tests[N_CASES + 1];
    for (size_t i = 0; i < N_CASES; i++)
        tests[i] = (struct CMUnitTest){ cases[i].name, test_case, NULL, NULL,
                                        (void *)&cases[i] };
    tests[N_CASES] =
        (struct CMUnitTest){ "parses", test_parses, NULL, NULL, NULL };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

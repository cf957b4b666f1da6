/*
 * test_trace.c - the request-trace reader: times (ISO 8601 and numbers),
 * CSV headers and their aliases, CSV and JSON lines, and the replayed
 * stream (time origin, start offset, speed, n_requests, scale with
 * jitter, account mapping, every skip reason with its first line).
 * Expected values are worked out in the rows' comments.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/model/trace.h"
#include "core/model/traffic.h"
#include "core/scenario/scenario.h"

#define S INT64_C(1000000000)

/* ---- times ----------------------------------------------------------------
 */

struct time_case {
    const char *name, *text;
    bool ok;
    double want_s;
};

static const struct time_case time_cases[] = {
    { "seconds", "12.5", true, 12.5 },
    { "epoch", "1714564800", true, 1714564800 },
    { "epoch ms fraction", "1714564800.250", true, 1714564800.25 },
    { "negative falls back to strtod", "-5", true, -5 },
    { "exponent falls back to strtod", "1.5e3", true, 1500 },
    { "17 digits fall back to strtod", "12345678901234567", true,
      12345678901234567.0 },
    /* 2024-05-01 is day 19844 since 1970: 19844 x 86400 = 1714521600 */
    { "iso Z", "2024-05-01T12:00:00Z", true, 1714521600 + 43200 },
    { "iso space, no zone", "2024-05-01 12:00:00", true, 1714521600 + 43200 },
    { "iso fraction", "2024-05-01T00:00:00.250Z", true, 1714521600.25 },
    { "iso offset", "2024-05-01T02:00:00+02:00", true, 1714521600 },
    { "leap day", "2024-02-29T00:00:00Z", true, 1709164800 },
    { "empty", "", false, 0 },
    { "words", "noon", false, 0 },
    { "inf", "inf", false, 0 },
    { "bad month", "2024-13-01T00:00:00Z", false, 0 },
    { "trailing text", "2024-05-01T00:00:00Zx", false, 0 },
};

static void test_time_case(void **state)
{
    const struct time_case *c = *state;
    double t = -1;
    assert_int_equal(trace_parse_time(c->text, strlen(c->text), &t), c->ok);
    if (c->ok)
        assert_true(fabs(t - c->want_s) < 1e-6);
}

/* ---- headers and lines ------------------------------------------------------
 */

static void test_header_aliases(void **state)
{
    (void)state;
    struct trace_cols k;
    char err[256];
    const char *h = "aggregation_timestamp,n_requests,operation,snapshot_id,"
                    "n_context_tokens_total,n_generated_tokens_total,"
                    "project_id\n";
    assert_int_equal(trace_parse_header(h, strlen(h), &k, err, sizeof(err)),
                     ERR_OK);
    assert_int_equal(k.time, 0);
    assert_int_equal(k.n_requests, 1);
    assert_int_equal(k.model, 3);
    assert_int_equal(k.prompt, 4);
    assert_int_equal(k.completion, 5);
    assert_int_equal(k.account, 6);
    assert_int_equal(k.n_cols, 7);
    const char *ms = "Timestamp_MS, API_Key_ID ,input_tokens\r\n";
    assert_int_equal(trace_parse_header(ms, strlen(ms), &k, err, sizeof(err)),
                     ERR_OK);
    assert_true(k.time_ms);
    assert_int_equal(k.account, 1);
    assert_int_equal(k.prompt, 2);
    const char *none = "when,who\n";
    assert_int_equal(
        trace_parse_header(none, strlen(none), &k, err, sizeof(err)),
        ERR_PARSE);
    assert_non_null(strstr(err, "no time column"));
}

struct line_case {
    const char *name;
    bool json;
    const char *text;
    bool ok;
    enum trace_skip why;
    double time_s;
    const char *account;
    const char *model; /* NULL: none */
    int64_t prompt, completion, n;
};

/* CSV rows use the header "ts,account,model,prompt_tokens,completion_tokens" */
static const struct line_case line_cases[] = {
    { "csv plain", false, "1.5,alice,chat,10,20\n", true, 0, 1.5, "alice",
      "chat", 10, 20, 1 },
    { "csv quoted comma", false, "2,\"bob, inc\",chat,1,2", true, 0, 2,
      "bob, inc", "chat", 1, 2, 1 },
    { "csv quoted quote", false, "2,\"a\"\"b\",,1,2", true, 0, 2, "a\"b", NULL,
      1, 2, 1 },
    { "csv empty tokens are 0", false, "3,c,chat,,", true, 0, 3, "c", "chat", 0,
      0, 1 },
    { "csv 5.0 is a count", false, "3,c,chat,5.0,1", true, 0, 3, "c", "chat", 5,
      1, 1 },
    { "csv too few fields", false, "3,c,chat", false, TRACE_SKIP_MALFORMED, 0,
      NULL, NULL, 0, 0, 0 },
    { "csv unclosed quote", false, "3,\"c,chat,1,1", false,
      TRACE_SKIP_MALFORMED, 0, NULL, NULL, 0, 0, 0 },
    { "csv no time", false, ",c,chat,1,1", false, TRACE_SKIP_NO_TIME, 0, NULL,
      NULL, 0, 0, 0 },
    { "csv no account", false, "3, ,chat,1,1", false, TRACE_SKIP_NO_ACCOUNT, 0,
      NULL, NULL, 0, 0, 0 },
    { "csv negative tokens", false, "3,c,chat,-1,1", false,
      TRACE_SKIP_BAD_NUMBER, 0, NULL, NULL, 0, 0, 0 },
    { "csv fractional tokens", false, "3,c,chat,1.5,1", false,
      TRACE_SKIP_BAD_NUMBER, 0, NULL, NULL, 0, 0, 0 },
    { "json", true,
      "{\"ts\": 4, \"user\": \"u\", \"model\": \"chat\", \"input_tokens\": 7, "
      "\"output_tokens\": 8}",
      true, 0, 4, "u", "chat", 7, 8, 1 },
    { "json ms and n_requests", true,
      "{\"timestamp_ms\": 4500, \"key\": \"k\", \"n_requests\": 3}", true, 0,
      4.5, "k", NULL, 0, 0, 3 },
    { "json iso, escaped id", true,
      "{\"created_at\": \"1970-01-01T00:00:09Z\", \"user_id\": \"a\\u00e9\"}",
      true, 0, 9, "a\xc3\xa9", NULL, 0, 0, 1 },
    { "json not an object", true, "[1, 2]", false, TRACE_SKIP_MALFORMED, 0,
      NULL, NULL, 0, 0, 0 },
    { "json broken", true, "{\"ts\": 1,", false, TRACE_SKIP_MALFORMED, 0, NULL,
      NULL, 0, 0, 0 },
    { "json no account", true, "{\"ts\": 1}", false, TRACE_SKIP_NO_ACCOUNT, 0,
      NULL, NULL, 0, 0, 0 },
    { "json account null", true, "{\"ts\": 1, \"user\": null}", false,
      TRACE_SKIP_NO_ACCOUNT, 0, NULL, NULL, 0, 0, 0 },
};

static void test_line_case(void **state)
{
    const struct line_case *c = *state;
    struct trace_cols k;
    char err[256];
    const char *h = "ts,account,model,prompt_tokens,completion_tokens";
    assert_int_equal(trace_parse_header(h, strlen(h), &k, err, sizeof(err)),
                     ERR_OK);
    char buf[512];
    snprintf(buf, sizeof(buf), "%s", c->text);
    struct trace_line l;
    enum trace_skip why = TRACE_SKIP_COUNT;
    bool ok = c->json ? trace_parse_jsonl(buf, strlen(buf), &l, &why)
                      : trace_parse_csv(&k, buf, strlen(buf), &l, &why);
    assert_int_equal(ok, c->ok);
    if (!ok) {
        assert_int_equal(why, c->why);
        return;
    }
    assert_true(fabs(l.time_s - c->time_s) < 1e-9);
    assert_int_equal(l.account_len, strlen(c->account));
    assert_memory_equal(l.account, c->account, l.account_len);
    if (c->model == NULL) {
        assert_null(l.model);
    } else {
        assert_int_equal(l.model_len, strlen(c->model));
        assert_memory_equal(l.model, c->model, l.model_len);
    }
    assert_int_equal(l.prompt, c->prompt);
    assert_int_equal(l.completion, c->completion);
    assert_int_equal(l.n_requests, c->n);
}

/* ---- the replayed stream
 * ------------------------------------------------------ */

static const char *const models[] = { "chat", "large" };

static char *write_tmp(const char *text)
{
    char *path = strdup("/tmp/tollgate-trace-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

static struct trace_cfg cfg_for(const char *path)
{
    return (struct trace_cfg){ .path = path,
                               .speed = 1,
                               .scale = 1,
                               .accounts = 100,
                               .end_ns = INT64_MAX,
                               .seed = 1,
                               .models = models,
                               .n_models = 2 };
}

/* Replays text; fills up to max records, returns how many. */
static size_t replay(const struct trace_cfg *cfg, struct trace_rec *out,
                     size_t max, struct trace_stats *st)
{
    struct trace_src *s = NULL;
    char err[256];
    assert_int_equal(trace_open(cfg, &s, err, sizeof(err)), ERR_OK);
    size_t n = 0;
    struct trace_rec r;
    while (trace_next(s, &r)) {
        if (n < max)
            out[n] = r;
        n++;
    }
    trace_stats_get(s, st);
    trace_close(s);
    return n;
}

static void test_stream_basic(void **state)
{
    (void)state;
    /* origin 100 s; start 1 s skips the first line; speed 2 halves the
     * rest: 102 -> (102 - 100 - 1) / 2 = 0.5 s, 104 -> 1.5 s */
    char *path = write_tmp("ts,account,model,prompt_tokens\n"
                           "100,a,chat,1\n"
                           "102,b,large,2\n"
                           "101,c,chat,3\n" /* out of order: line 4 */
                           "103,d,nope,4\n" /* unknown model: line 5 */
                           "garbage\n"      /* malformed: line 6 */
                           "104,a,,5\n");   /* no model: -1 */
    struct trace_cfg cfg = cfg_for(path);
    cfg.start_ns = 1 * S;
    cfg.speed = 2;
    struct trace_rec r[8];
    struct trace_stats st;
    assert_int_equal(replay(&cfg, r, 8, &st), 2);
    assert_int_equal(r[0].t_ns, S / 2);
    assert_int_equal(r[0].model, 1);
    assert_int_equal(r[0].prompt, 2);
    /* accounts in order of first appearance among replayed lines (line
     * 2 is before the start): b is 0, a is 1 */
    assert_int_equal(r[0].account, 0);
    assert_int_equal(r[1].t_ns, 3 * S / 2);
    assert_int_equal(r[1].account, 1);
    assert_int_equal(r[1].model, -1);
    assert_int_equal(st.lines, 6);
    assert_int_equal(st.requests, 2);
    assert_int_equal(st.before_start, 1);
    assert_int_equal(st.skipped[TRACE_SKIP_OUT_OF_ORDER], 1);
    assert_int_equal(st.first_line[TRACE_SKIP_OUT_OF_ORDER], 4);
    assert_int_equal(st.skipped[TRACE_SKIP_UNKNOWN_MODEL], 1);
    assert_int_equal(st.first_line[TRACE_SKIP_UNKNOWN_MODEL], 5);
    assert_int_equal(st.skipped[TRACE_SKIP_MALFORMED], 1);
    assert_int_equal(st.first_line[TRACE_SKIP_MALFORMED], 6);
    char buf[512];
    trace_stats_fmt(&st, buf, sizeof(buf));
    assert_non_null(strstr(buf, "skipped 1 out_of_order (first at line 4)"));
    unlink(path);
    free(path);
}

static void test_stream_scale_and_n(void **state)
{
    (void)state;
    /* 2 lines x n_requests (3, 1) x scale 3 = 12 requests, time ordered,
     * copies 2 and 3 of each within [t, t + jitter) and on accounts of
     * their own: 2 ids x 3 copies = 6 accounts */
    char *path = write_tmp("{\"ts\": 0, \"user\": \"x\", \"n_requests\": 3}\n"
                           "{\"ts\": 10, \"user\": \"y\"}\n");
    struct trace_cfg cfg = cfg_for(path);
    cfg.scale = 3;
    cfg.jitter_ns = 5 * S;
    struct trace_rec r[16];
    struct trace_stats st;
    assert_int_equal(replay(&cfg, r, 16, &st), 12);
    int at_zero = 0, at_ten = 0;
    bool acct_seen[100] = { false };
    for (int i = 0; i < 12; i++) {
        if (i > 0)
            assert_true(r[i].t_ns >= r[i - 1].t_ns);
        at_zero += r[i].t_ns == 0;
        at_ten += r[i].t_ns == 10 * S;
        assert_true(r[i].t_ns < 15 * S);
        acct_seen[r[i].account] = true;
    }
    assert_true(at_zero >= 3); /* the first copy of x's 3 requests */
    assert_true(at_ten >= 1);
    int n_acct = 0;
    for (int a = 0; a < 100; a++)
        n_acct += acct_seen[a];
    assert_int_equal(n_acct, 6);
    assert_int_equal(st.distinct_accounts, 6);
    unlink(path);
    free(path);
}

static void test_stream_limits(void **state)
{
    (void)state;
    /* two accounts only: the third id is skipped; end at 2 s truncates */
    char *path = write_tmp("t,key\n0,a\n1,b\n1,c\n1.5,a\n2,a\n3,b\n");
    struct trace_cfg cfg = cfg_for(path);
    cfg.accounts = 2;
    cfg.end_ns = 2 * S;
    struct trace_rec r[8];
    struct trace_stats st;
    assert_int_equal(replay(&cfg, r, 8, &st), 3);
    assert_int_equal(st.skipped[TRACE_SKIP_ACCOUNTS], 1);
    assert_int_equal(st.first_line[TRACE_SKIP_ACCOUNTS], 4);
    assert_true(st.truncated);
    unlink(path);
    free(path);
}

static void test_open_errors(void **state)
{
    (void)state;
    struct trace_cfg cfg = cfg_for("/nonexistent/trace.csv");
    struct trace_src *s = NULL;
    char err[256];
    assert_int_equal(trace_open(&cfg, &s, err, sizeof(err)), ERR_IO);
    assert_null(s);
    char *path = write_tmp("when,who\n1,a\n");
    cfg.path = path;
    assert_int_equal(trace_open(&cfg, &s, err, sizeof(err)), ERR_PARSE);
    assert_non_null(strstr(err, ":1: the header row names no time column"));
    unlink(path);
    free(path);
    trace_close(NULL);
}

/* ---- through the request stream: exactly the file's arrivals ---------- */

#define N_ACCT 7
#define N_IV   12 /* intervals of 10 s over the 2 min duration */

/* A trace of 600 lines at 0.25 s steps (150 s of trace time) over 7
 * callers; with start 10 s and speed 1.5 the replay covers trace time
 * [10, 190) s -> replay [0, 120) s, so lines 40.. 220 are replayed. */
static char *make_trace(int64_t want[N_ACCT][N_IV], int *n_want)
{
    char *text = malloc(64 * 700);
    size_t n = (size_t)sprintf(text, "ts,account\n");
    *n_want = 0;
    int rank[N_ACCT], next_rank = 0;
    for (int a = 0; a < N_ACCT; a++)
        rank[a] = -1;
    for (int i = 0; i < 600; i++) {
        double t = 1000 + 0.25 * i; /* origin 1000 s */
        int acct = (i * 5 + i / 7) % N_ACCT;
        n += (size_t)sprintf(text + n, "%.2f,caller-%d\n", t, acct);
        double replay_s = (t - 1000 - 10) / 1.5;
        if (replay_s >= 0 && replay_s < 120) {
            if (rank[acct] < 0) /* accounts: order of first appearance */
                rank[acct] = next_rank++;
            want[rank[acct]][(int)(replay_s / 10)]++;
            (*n_want)++;
        }
    }
    return text;
}

static void test_traffic_exact(void **state)
{
    (void)state;
    int64_t want[N_ACCT][N_IV] = { { 0 } };
    int n_want;
    char *text = make_trace(want, &n_want);
    char *path = write_tmp(text);
    free(text);
    char yaml[1024];
    snprintf(yaml, sizeof(yaml),
             "name: exact\nduration: 2m\ninterval: 10s\n"
             "policy:\n  models:\n    m: { input: 0/1M, output: 0/1M }\n"
             "accounts:\n  - name: r\n    count: %d\n"
             "    traffic: { trace: { file: %s, start: 10s, speed: 1.5 } }\n",
             N_ACCT, path);
    struct scenario *sc = NULL;
    struct scn_diags d;
    scn_diags_init(&d, "exact.yaml");
    assert_int_equal(
        scn_parse_buffer("exact.yaml", yaml, strlen(yaml), NULL, 0, &sc, &d),
        ERR_OK);
    scn_diags_fini(&d);
    /* every shard reads the whole file, so the mapping of callers to
     * accounts is the same in each and the shards' union is the file */
    for (int shards = 1; shards <= 2; shards++) {
        int64_t got[N_ACCT][N_IV] = { { 0 } };
        int n_got = 0;
        for (int sh = 0; sh < shards; sh++) {
            struct traffic *t = traffic_new(sc, 1, sh, shards);
            struct traffic_req r;
            int64_t last = -1;
            while (traffic_next(t, &r)) {
                assert_true(r.t_ns >= last);
                last = r.t_ns;
                assert_true(r.account >= 0 && r.account < N_ACCT);
                got[r.account][r.t_ns / (10 * S)]++;
                n_got++;
            }
            traffic_free(t);
        }
        assert_int_equal(n_got, n_want);
        for (int a = 0; a < N_ACCT; a++)
            for (int iv = 0; iv < N_IV; iv++)
                assert_int_equal(got[a][iv], want[a][iv]);
    }
    scn_free(sc);
    unlink(path);
    free(path);
}

int main(void)
{
    enum {
        N_TIME = sizeof(time_cases) / sizeof(time_cases[0]),
        N_LINE = sizeof(line_cases) / sizeof(line_cases[0]),
    };
    struct CMUnitTest tests[N_TIME + N_LINE + 6];
    size_t k = 0;
    for (size_t i = 0; i < N_TIME; i++)
        tests[k++] = (struct CMUnitTest){ time_cases[i].name, test_time_case,
                                          NULL, NULL, (void *)&time_cases[i] };
    for (size_t i = 0; i < N_LINE; i++)
        tests[k++] = (struct CMUnitTest){ line_cases[i].name, test_line_case,
                                          NULL, NULL, (void *)&line_cases[i] };
    tests[k++] = (struct CMUnitTest)cmocka_unit_test(test_header_aliases);
    tests[k++] = (struct CMUnitTest)cmocka_unit_test(test_stream_basic);
    tests[k++] = (struct CMUnitTest)cmocka_unit_test(test_stream_scale_and_n);
    tests[k++] = (struct CMUnitTest)cmocka_unit_test(test_stream_limits);
    tests[k++] = (struct CMUnitTest)cmocka_unit_test(test_open_errors);
    tests[k++] = (struct CMUnitTest)cmocka_unit_test(test_traffic_exact);
    return cmocka_run_group_tests(tests, NULL, NULL);
}

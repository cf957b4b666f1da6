/*
 * test_serve.c - the pure helpers of serve: routing, API key extraction,
 * token estimation, error and success bodies (byte for byte), and the
 * deadline heap's ordering.  The HTTP behaviour end to end is tested by
 * tests/integration/test_serve_*.sh against a running `tollgate serve`.
 */
/* ctest-labels: threaded serve */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/base/json.h"
#include "core/model/keys.h"
#include "core/scenario/scenario.h"
#include "core/base/units.h"
#include "serve/serve_admin.h"
#include "serve/serve_guard.h"
#include "serve/serve_hdr.h"
#include "serve/serve_keys.h"
#include "serve/serve_reply.h"
#include "serve/serve_scn.h"
#include "serve/serve_req.h"
#include "serve/serve_timer.h"

/* ---- routing ------------------------------------------------------------- */

struct route_case {
    const char *name;
    const char *method, *url;
    enum serve_route want;
    bool method_ok;
};

static const struct route_case route_cases[] = {
    { "chat", "POST", "/v1/chat/completions", SERVE_ROUTE_CHAT, true },
    { "chat trailing slash", "POST", "/v1/chat/completions/", SERVE_ROUTE_CHAT,
      true },
    { "chat with query", "POST", "/v1/chat/completions?x=1", SERVE_ROUTE_CHAT,
      true },
    { "chat by GET is 405", "GET", "/v1/chat/completions", SERVE_ROUTE_CHAT,
      false },
    { "completions", "POST", "/v1/completions", SERVE_ROUTE_COMPLETIONS, true },
    { "messages", "POST", "/v1/messages", SERVE_ROUTE_MESSAGES, true },
    { "models", "GET", "/v1/models", SERVE_ROUTE_MODELS, true },
    { "models HEAD", "HEAD", "/v1/models", SERVE_ROUTE_MODELS, true },
    { "state", "GET", "/tollgate/state", SERVE_ROUTE_ADMIN_STATE, true },
    { "metrics", "GET", "/tollgate/metrics", SERVE_ROUTE_ADMIN_METRICS, true },
    { "events", "POST", "/tollgate/events", SERVE_ROUTE_ADMIN_EVENTS, true },
    { "unknown", "GET", "/v2/foo", SERVE_ROUTE_NONE, true },
    { "prefix only", "POST", "/v1/chat", SERVE_ROUTE_NONE, true },
    { "longer path", "POST", "/v1/chat/completionsx", SERVE_ROUTE_NONE, true },
    { "root", "GET", "/", SERVE_ROUTE_NONE, true },
};

static void test_route(void **state)
{
    const struct route_case *c = *state;
    bool ok = !c->method_ok;
    assert_int_equal(serve_reply_route(c->method, c->url, &ok), c->want);
    assert_int_equal(ok, c->method_ok);
}

static void test_route_kinds(void **state)
{
    (void)state;
    assert_true(serve_reply_is_api(SERVE_ROUTE_CHAT));
    assert_true(serve_reply_is_api(SERVE_ROUTE_MESSAGES));
    assert_false(serve_reply_is_api(SERVE_ROUTE_MODELS));
    assert_true(serve_reply_is_admin(SERVE_ROUTE_ADMIN_EVENTS));
    assert_false(serve_reply_is_admin(SERVE_ROUTE_CHAT));
    assert_int_equal(serve_reply_dialect(SERVE_ROUTE_MESSAGES),
                     SERVE_ANTHROPIC);
    assert_int_equal(serve_reply_dialect(SERVE_ROUTE_COMPLETIONS),
                     SERVE_OPENAI);
}

/* Ill-formed UTF-8 becomes U+FFFD (one per maximal ill-formed prefix,
 * as Unicode recommends); well-formed text passes unchanged. */
static void test_escape_utf8(void **state)
{
    (void)state;
#define FFFD "\xef\xbf\xbd"
    static const struct {
        const char *in, *want;
    } rows[] = {
        { "caf\xc3\xa9", "caf\xc3\xa9" },           /* U+00E9 */
        { "\xe2\x82\xac", "\xe2\x82\xac" },         /* U+20AC */
        { "\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80" }, /* U+1F600 */
        { "\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf" }, /* U+10FFFF */
        { "a\xff"
          "b",
          "a" FFFD "b" },                            /* never a lead */
        { "\x80", FFFD },                            /* lone continuation */
        { "\xc0\xaf", FFFD FFFD },                   /* overlong '/' */
        { "\xe0\x80\xaf", FFFD FFFD FFFD },          /* overlong, 3 bytes */
        { "\xed\xa0\x80", FFFD FFFD FFFD },          /* surrogate D800 */
        { "\xf4\x90\x80\x80", FFFD FFFD FFFD FFFD }, /* past U+10FFFF */
        { "x\xe2\x82", "x" FFFD },                   /* cut at the end */
        { "\xe2\x82x", FFFD "x" },                   /* cut in the middle */
        { "\xf0\x9f\x98", FFFD },                    /* cut 4-byte */
        { "\xc3\"", FFFD "\\\"" },                   /* cut, then a quote */
    };
#undef FFFD
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        char buf[64];
        size_t n = serve_reply_escape(buf, sizeof(buf), rows[i].in);
        assert_int_equal(n, strlen(rows[i].want));
        assert_memory_equal(buf, rows[i].want, n + 1);
    }
}

/* Who may use which admin route: read-only routes are open, events need
 * the token once there is one, the key route is off without one. */
static void test_admin_need(void **state)
{
    (void)state;
    static const struct {
        enum serve_route r;
        enum serve_admin_need without, with;
    } rows[] = {
        { SERVE_ROUTE_ADMIN_STATE, SERVE_ADMIN_OPEN, SERVE_ADMIN_OPEN },
        { SERVE_ROUTE_ADMIN_METRICS, SERVE_ADMIN_OPEN, SERVE_ADMIN_OPEN },
        { SERVE_ROUTE_ADMIN_EVENTS, SERVE_ADMIN_OPEN, SERVE_ADMIN_TOKEN },
        { SERVE_ROUTE_ADMIN_KEY, SERVE_ADMIN_OFF, SERVE_ADMIN_TOKEN },
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        assert_int_equal(serve_reply_admin_need(rows[i].r, false),
                         rows[i].without);
        assert_int_equal(serve_reply_admin_need(rows[i].r, true), rows[i].with);
    }
}

static void test_admin_ok(void **state)
{
    (void)state;
    static const struct {
        const char *authorization, *token;
        bool want;
    } rows[] = {
        { "Bearer s3cret", "s3cret", true },
        { "bearer   s3cret", "s3cret", true },
        { "Bearer s3cre", "s3cret", false },   /* prefix */
        { "Bearer s3cretx", "s3cret", false }, /* longer */
        { "Bearer S3cret", "s3cret", false },  /* case matters */
        { "Bearer ", "s3cret", false },
        { "s3cret", "s3cret", false }, /* no scheme */
        { "Basic s3cret", "s3cret", false },
        { NULL, "s3cret", false },
        { "Bearer s3cret", NULL, false },
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        if (serve_reply_admin_ok(rows[i].authorization, rows[i].token) !=
            rows[i].want)
            fail_msg("row %zu: <%s> vs <%s>", i,
                     rows[i].authorization ? rows[i].authorization : "NULL",
                     rows[i].token ? rows[i].token : "NULL");
}

/* ---- keys ---------------------------------------------------------------- */

struct key_case {
    const char *name;
    const char *authorization, *x_api_key;
    const char *want; /* NULL: no key */
};

static const struct key_case key_cases[] = {
    { "bearer", "Bearer tg-1-abc", NULL, "tg-1-abc" },
    { "bearer lower case", "bearer tg-1-abc", NULL, "tg-1-abc" },
    { "bearer extra spaces", "  Bearer   tg-1-abc", NULL, "tg-1-abc" },
    { "x-api-key", NULL, "sk-ant-1", "sk-ant-1" },
    { "bearer wins over x-api-key", "Bearer a", "b", "a" },
    { "basic falls back", "Basic dXNlcg==", "k", "k" },
    { "empty bearer", "Bearer ", NULL, NULL },
    { "no scheme", "tg-1-abc", NULL, NULL },
    { "bearerx is not bearer", "Bearerx tg", NULL, NULL },
    { "empty x-api-key", NULL, "", NULL },
    { "nothing", NULL, NULL, NULL },
};

static void test_key(void **state)
{
    const struct key_case *c = *state;
    const char *got = serve_reply_key(c->authorization, c->x_api_key);
    if (c->want == NULL)
        assert_null(got);
    else
        assert_string_equal(got, c->want);
}

/* The deterministic scheme round-trips through what serve extracts. */
static void test_key_scheme(void **state)
{
    (void)state;
    char key[64], hdr[80];
    int64_t acct = -1;
    assert_true(keys_for_account(12345, key, sizeof(key)) > 0);
    snprintf(hdr, sizeof(hdr), "Bearer %s", key);
    const char *k = serve_reply_key(hdr, NULL);
    assert_true(keys_parse(k, strlen(k), &acct));
    assert_int_equal(acct, 12345);
    assert_true(keys_invalid(7, key, sizeof(key)) > 0);
    assert_false(keys_parse(key, strlen(key), &acct));
}

/* ---- numbers ------------------------------------------------------------- */

/* Header numbers (Content-Length, X-Client-Source, ?account=): digits
 * only, saturating, else -1. */
static const struct {
    const char *in;
    int64_t want;
} hdr_i64_cases[] = {
    { "0", 0 },
    { "42", 42 },
    { "007", 7 },
    { "9223372036854775807", INT64_MAX },
    { "9223372036854775808", INT64_MAX },
    { "99999999999999999999999", INT64_MAX },
    { NULL, -1 },
    { "", -1 },
    { "-1", -1 },
    { "+1", -1 },
    { " 1", -1 },
    { "1 ", -1 },
    { "12a", -1 },
    { "0x10", -1 },
};

static void test_hdr_i64(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(hdr_i64_cases) / sizeof(hdr_i64_cases[0]);
         i++) {
        int64_t got = serve_hdr_i64(hdr_i64_cases[i].in);
        if (got != hdr_i64_cases[i].want)
            fail_msg("case %zu \"%s\": got %lld, want %lld", i,
                     hdr_i64_cases[i].in ? hdr_i64_cases[i].in : "(null)",
                     (long long)got, (long long)hdr_i64_cases[i].want);
    }
}

static void test_estimate_tokens(void **state)
{
    (void)state;
    assert_int_equal(serve_reply_estimate_tokens(0), 0);
    assert_int_equal(serve_reply_estimate_tokens(1), 1);
    assert_int_equal(serve_reply_estimate_tokens(4), 1);
    assert_int_equal(serve_reply_estimate_tokens(5), 2);
    assert_int_equal(serve_reply_estimate_tokens(1600), 400);
}

static void test_i64(void **state)
{
    (void)state;
    char buf[24];
    assert_int_equal(serve_reply_i64(buf, 0), 1);
    assert_string_equal(buf, "0");
    assert_int_equal(serve_reply_i64(buf, 1234567890123LL), 13);
    assert_string_equal(buf, "1234567890123");
    assert_int_equal(serve_reply_i64(buf, -42), 3);
    assert_string_equal(buf, "-42");
    assert_int_equal(serve_reply_i64(buf, INT64_MAX), 19);
    assert_string_equal(buf, "9223372036854775807");
    assert_int_equal(serve_reply_i64(buf, INT64_MIN), 20);
    assert_string_equal(buf, "-9223372036854775808");
    /* every power of ten and its neighbours, both signs, as printf says */
    for (int64_t p = 1; p <= INT64_MAX / 10; p *= 10) {
        for (int64_t d = -1; d <= 1; d++) {
            char want[24];
            for (int sign = -1; sign <= 1; sign += 2) {
                long long v = sign * (p * 10 + d);
                snprintf(want, sizeof(want), "%lld", v);
                assert_int_equal(serve_reply_i64(buf, v), strlen(want));
                assert_string_equal(buf, want);
            }
        }
    }
}

/* The fast reset formatter says exactly what units_fmt_reset says. */
static void test_reset_format(void **state)
{
    (void)state;
    static const int64_t fixed[] = { 0,       1,       20,       999,
                                     1000,    1500,    1050,     1001,
                                     59991,   60000,   360000,   3599999,
                                     3600000, 3723500, 86400000, 90061001 };
    char want[64], got[64];
    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
        units_fmt_reset(want, sizeof(want), fixed[i] * 1000000);
        assert_int_equal(serve_reply_reset(got, fixed[i]), strlen(want));
        assert_string_equal(got, want);
    }
    for (int64_t ms = 0; ms < 200000; ms += 7) {
        units_fmt_reset(want, sizeof(want), ms * 1000000);
        serve_reply_reset(got, ms);
        assert_string_equal(got, want);
    }
    serve_reply_reset(got, 360000);
    assert_string_equal(got, "6m0s");
}

/* The Date formatter agrees with gmtime + strftime over 2^31 seconds and
 * around the calendar's edges (leap days, century years, year ends). */
static void test_http_date(void **state)
{
    (void)state;
    static const int64_t fixed[] = { 0,          784111777,  951782399,
                                     951782400,  951868800,  1709164800,
                                     4107456000, 4107542400, 253402300799 };
    char want[64], got[64];
    uint64_t x = 0x9e3779b97f4a7c15ULL;
    for (size_t i = 0; i < 20000 + sizeof(fixed) / sizeof(fixed[0]); i++) {
        int64_t t;
        if (i < sizeof(fixed) / sizeof(fixed[0])) {
            t = fixed[i];
        } else {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            t = (int64_t)(x % 4102444800ULL); /* up to 2100-01-01 */
        }
        time_t tt = (time_t)t;
        struct tm tm;
        assert_non_null(gmtime_r(&tt, &tm));
        strftime(want, sizeof(want), "%a, %d %b %Y %H:%M:%S GMT", &tm);
        memset(got, 'x', sizeof(got));
        assert_int_equal(serve_reply_http_date(got, t), SERVE_REPLY_DATE_LEN);
        got[SERVE_REPLY_DATE_LEN] = '\0';
        assert_string_equal(got, want);
    }
    serve_reply_http_date(got, 784111777);
    got[SERVE_REPLY_DATE_LEN] = '\0';
    assert_string_equal(got, "Sun, 06 Nov 1994 08:49:37 GMT");
}

static void test_retry_after(void **state)
{
    (void)state;
    assert_int_equal(serve_reply_retry_after_s(0), 1);
    assert_int_equal(serve_reply_retry_after_s(1), 1);
    assert_int_equal(serve_reply_retry_after_s(1000000000LL), 1);
    assert_int_equal(serve_reply_retry_after_s(1000000001LL), 2);
    assert_int_equal(serve_reply_retry_after_s(20000000000LL), 20);
}

/* ---- error bodies -------------------------------------------------------- */

struct err_case {
    const char *name;
    struct serve_reply_denial d;
    int status;
    const char *want;
};

static const struct err_case err_cases[] = {
    { "rate limit openai",
      { REASON_RATE_LIMIT, SERVE_OPENAI, "rpm", 3, 20000000000LL, NULL, false,
        0, NULL },
      429,
      "{\"error\":{\"message\":\"Rate limit reached for requests. Limit rpm: "
      "3. Please try again in 20s.\",\"type\":\"requests\",\"param\":null,"
      "\"code\":\"rate_limit_exceeded\"}}" },
    { "rate limit sub-second wait",
      { REASON_TOKEN_LIMIT, SERVE_OPENAI, NULL, -1, 250000000LL, NULL, false, 0,
        NULL },
      429,
      "{\"error\":{\"message\":\"Rate limit reached for tokens. Please try "
      "again in 250ms.\",\"type\":\"tokens\",\"param\":null,"
      "\"code\":\"rate_limit_exceeded\"}}" },
    { "invalid key",
      { REASON_INVALID_KEY, SERVE_OPENAI, NULL, -1, -1, NULL, false, 0, NULL },
      401,
      "{\"error\":{\"message\":\"Incorrect API key provided.\","
      "\"type\":\"invalid_request_error\",\"param\":null,"
      "\"code\":\"invalid_api_key\"}}" },
    { "non-retryable ignores wait",
      { REASON_CREDITS_EXHAUSTED, SERVE_OPENAI, NULL, -1, 5, NULL, false, 0,
        NULL },
      429,
      "{\"error\":{\"message\":\"Your credit balance is too low; purchase "
      "credits to continue.\",\"type\":\"insufficient_quota\","
      "\"param\":null,\"code\":\"insufficient_quota\"}}" },
    { "model escaped",
      { REASON_FEATURE_SUSPENDED, SERVE_OPENAI, NULL, -1, -1, "a\"b", false, 0,
        NULL },
      404,
      "{\"error\":{\"message\":\"Model 'a\\\"b': The model does not exist or "
      "is currently unavailable.\",\"type\":\"invalid_request_error\","
      "\"param\":null,\"code\":\"model_not_found\"}}" },
    { "anthropic overloaded",
      { REASON_OVERLOADED, SERVE_ANTHROPIC, NULL, -1, 1000000000LL, NULL, false,
        0, NULL },
      529,
      "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\","
      "\"message\":\"The server is overloaded. Please try again in 1s.\"}}" },
    { "anthropic quota is 400",
      { REASON_FREE_TIER_EXHAUSTED, SERVE_ANTHROPIC, NULL, -1, -1, NULL, false,
        0, NULL },
      400,
      "{\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\","
      "\"message\":\"You exceeded your free tier quota; add credit to "
      "continue.\"}}" },
    { "outage openai",
      { REASON_OUTAGE, SERVE_OPENAI, NULL, -1, -1, NULL, false, 0, NULL },
      503,
      "{\"error\":{\"message\":\"The service is temporarily unavailable.\","
      "\"type\":\"server_error\",\"param\":null,"
      "\"code\":\"service_unavailable\"}}" },
    /* shutdown and overload used to say "Please try again in 0ms": a wait
     * of 0 is no known wait, and none is mentioned */
    { "zero wait not mentioned",
      { REASON_OUTAGE, SERVE_ANTHROPIC, NULL, -1, 0, NULL, false, 0, NULL },
      503,
      "{\"type\":\"error\",\"error\":{\"type\":\"api_error\","
      "\"message\":\"The service is temporarily unavailable.\"}}" },
    /* 1500 tokens against a 1000-token bucket: OpenAI's too-large answer,
     * type tokens, code rate_limit_exceeded, no wait */
    { "too large openai",
      { REASON_TOKEN_LIMIT, SERVE_OPENAI, "tpm", 1000, -1, NULL, true, 1500,
        "mini" },
      429,
      "{\"error\":{\"message\":\"Request too large for mini on tpm: "
      "Limit 1000, Requested 1500. The input or output tokens must be "
      "reduced in order to run successfully.\",\"type\":\"tokens\","
      "\"param\":null,\"code\":\"rate_limit_exceeded\"}}" },
    { "too large anthropic",
      { REASON_TOKEN_LIMIT, SERVE_ANTHROPIC, "tpm", 1000, -1, NULL, true, 1500,
        "mini" },
      429,
      "{\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\","
      "\"message\":\"This request would exceed the rate limit for tokens on "
      "tpm (1000): Requested 1500. Please reduce the prompt length or the "
      "maximum tokens requested.\"}}" },
};

static void test_error_body(void **state)
{
    const struct err_case *c = *state;
    char buf[512];
    size_t n = serve_reply_error(buf, sizeof(buf), &c->d);
    assert_string_equal(buf, c->want);
    assert_int_equal(n, strlen(c->want));
    assert_int_equal(serve_reply_status(c->d.reason, c->d.dialect), c->status);
}

/* A too small buffer is never overrun and reports the needed length. */
static void test_error_truncation(void **state)
{
    (void)state;
    struct serve_reply_denial d = {
        REASON_INVALID_KEY, SERVE_OPENAI, NULL, -1, -1, NULL, false, 0, NULL
    };
    char big[512], small[16];
    size_t need = serve_reply_error(big, sizeof(big), &d);
    memset(small, 'x', sizeof(small));
    assert_int_equal(serve_reply_error(small, 10, &d), need);
    assert_int_equal(small[9], '\0');
    assert_int_equal(small[10], 'x');
    assert_memory_equal(small, big, 9);
    assert_int_equal(serve_reply_error(NULL, 0, &d), need);
}

/* ---- success bodies ------------------------------------------------------ */

struct ok_case {
    const char *name;
    struct serve_reply_ok o;
    const char *want;
};

#define FILL "This response was generated by tollgate serve."

static const struct ok_case ok_cases[] = {
    { "chat",
      { SERVE_ROUTE_CHAT, 7, 1700000000, "mini", 400, 150 },
      "{\"id\":\"chatcmpl-tg7\",\"object\":\"chat.completion\","
      "\"created\":1700000000,\"model\":\"mini\",\"choices\":[{\"index\":0,"
      "\"message\":{\"role\":\"assistant\",\"content\":\"" FILL "\"},"
      "\"logprobs\":null,\"finish_reason\":\"stop\"}],\"usage\":{"
      "\"prompt_tokens\":400,\"completion_tokens\":150,"
      "\"total_tokens\":550}}" },
    { "completion",
      { SERVE_ROUTE_COMPLETIONS, 8, 1, "large", 1, 2 },
      "{\"id\":\"cmpl-tg8\",\"object\":\"text_completion\",\"created\":1,"
      "\"model\":\"large\",\"choices\":[{\"text\":\"" FILL "\",\"index\":0,"
      "\"logprobs\":null,\"finish_reason\":\"stop\"}],\"usage\":{"
      "\"prompt_tokens\":1,\"completion_tokens\":2,\"total_tokens\":3}}" },
    { "anthropic message",
      { SERVE_ROUTE_MESSAGES, 9, 1, "claude", 10, 0 },
      "{\"id\":\"msg_tg9\",\"type\":\"message\",\"role\":\"assistant\","
      "\"model\":\"claude\",\"content\":[{\"type\":\"text\",\"text\":\"" FILL
      "\"}],\"stop_reason\":\"end_turn\",\"stop_sequence\":null,"
      "\"usage\":{\"input_tokens\":10,\"output_tokens\":0}}" },
};

static void test_ok_body(void **state)
{
    const struct ok_case *c = *state;
    char buf[1024];
    size_t n = serve_reply_success(buf, sizeof(buf), &c->o);
    assert_string_equal(buf, c->want);
    assert_int_equal(n, strlen(c->want));
}

/* The numbers serve_reply_success_nums reports are where it says, and
 * writing another answer's numbers of the same lengths there gives that
 * answer's body byte for byte (what a connection's kept body relies on). */
static void check_ok_nums(const struct ok_case *c)
{
    char buf[1024], want[1024];
    struct serve_reply_nums at, u;
    memset(&at, 0, sizeof(at));
    size_t n = serve_reply_success_nums(buf, sizeof(buf), &c->o, &at);
    assert_string_equal(buf, c->want);
    assert_int_equal(n, strlen(c->want));
    serve_reply_ok_nums(&c->o, &u);
    assert_int_equal(at.n, c->o.route == SERVE_ROUTE_MESSAGES ? 3 : 5);
    assert_int_equal(u.n, at.n);
    for (size_t i = 0; i < at.n; i++) {
        assert_int_equal(at.len[i], strlen(at.text[i]));
        assert_memory_equal(buf + at.at[i], at.text[i], at.len[i]);
        assert_string_equal(u.text[i], at.text[i]);
        assert_int_equal(u.len[i], at.len[i]);
        assert_true(i == 0 || at.at[i] > at.at[i - 1] + at.len[i - 1]);
    }
    /* other numbers of the same lengths, written in place */
    struct serve_reply_ok o2 = c->o;
    o2.id = c->o.id == 9 ? 1 : c->o.id + 1;
    o2.created_s = c->o.created_s == 1700000000 ? 1799999999 : 5;
    o2.prompt_tokens = c->o.prompt_tokens == 10 ? 99 : c->o.prompt_tokens;
    o2.completion_tokens =
        c->o.completion_tokens == 150 ? 149 : c->o.completion_tokens;
    size_t n2 = serve_reply_success(want, sizeof(want), &o2);
    assert_int_equal(n2, n);
    serve_reply_ok_nums(&o2, &u);
    for (size_t i = 0; i < u.n; i++) {
        assert_int_equal(u.len[i], at.len[i]);
        memcpy(buf + at.at[i], u.text[i], u.len[i]);
    }
    assert_string_equal(buf, want);
    /* a buffer too small: the same positions, the full length */
    struct serve_reply_nums small;
    assert_int_equal(serve_reply_success_nums(buf, 16, &c->o, &small), n);
    assert_int_equal(small.n, at.n);
    assert_memory_equal(small.at, at.at, sizeof(at.at[0]) * at.n);
}

static void test_ok_nums(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(ok_cases) / sizeof(ok_cases[0]); i++)
        check_ok_nums(&ok_cases[i]);
}

static void test_models_and_escape(void **state)
{
    (void)state;
    const char *names[] = { "mini", "large" };
    char buf[256];
    serve_reply_models(buf, sizeof(buf), names, 2);
    assert_string_equal(
        buf, "{\"object\":\"list\",\"data\":[{\"id\":\"mini\",\"object\":"
             "\"model\",\"created\":0,\"owned_by\":\"tollgate\"},{\"id\":"
             "\"large\",\"object\":\"model\",\"created\":0,\"owned_by\":"
             "\"tollgate\"}]}");
    serve_reply_escape(buf, sizeof(buf), "a\"\\\n\x01z");
    assert_string_equal(buf, "a\\\"\\\\\\n\\u0001z");
}

/* ---- request bodies ------------------------------------------------------ */

struct req_case {
    const char *name;
    enum serve_route route;
    const char *body;
    const char *model; /* "" when absent */
    int64_t max_tokens, prompt_tokens;
    bool violation, bad_json, bad_request;
};

static const struct req_case req_cases[] = {
    { "chat", SERVE_ROUTE_CHAT,
      "{\"model\":\"mini\",\"max_tokens\":150,\"messages\":[{\"role\":"
      "\"user\",\"content\":\"abcdefgh\"},{\"role\":\"user\","
      "\"content\":\"x\"}]}",
      "mini", 150, 3, false, false, false },
    { "chat content parts", SERVE_ROUTE_CHAT,
      "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":["
      "{\"type\":\"text\",\"text\":\"abcd\"},{\"type\":\"image_url\"}]}]}",
      "m", 0, 1, false, false, false },
    { "max_completion_tokens", SERVE_ROUTE_CHAT,
      "{\"max_completion_tokens\":7,\"messages\":[]}", "", 7, 0, false, false,
      false },
    { "escaped model", SERVE_ROUTE_CHAT,
      "{\"model\":\"a\\u0062c\",\"messages\":[]}", "abc", 0, 0, false, false,
      false },
    { "malformed json", SERVE_ROUTE_CHAT, "{\"model\":\"mini\",", "", 0, 0,
      false, true, true },
    { "empty body", SERVE_ROUTE_CHAT, "", "", 0, 0, false, true, true },
    { "not an object", SERVE_ROUTE_CHAT, "[1,2]", "", 0, 0, false, false,
      true },
    { "missing messages", SERVE_ROUTE_CHAT, "{\"model\":\"mini\"}", "mini", 0,
      0, false, false, true },
    { "messages not array", SERVE_ROUTE_CHAT, "{\"messages\":\"hi\"}", "", 0, 0,
      false, false, true },
    { "negative max_tokens", SERVE_ROUTE_CHAT,
      "{\"max_tokens\":-1,\"messages\":[]}", "", 0, 0, false, false, true },
    { "fractional max_tokens", SERVE_ROUTE_CHAT,
      "{\"max_tokens\":1.5,\"messages\":[]}", "", 0, 0, false, false, true },
    { "violation marker", SERVE_ROUTE_CHAT,
      "{\"messages\":[{\"role\":\"user\",\"content\":\"x "
      "[tollgate:violation]\"}]}",
      "", 0, 6, true, false, false },
    { "bad request marker", SERVE_ROUTE_CHAT,
      "{\"messages\":[{\"role\":\"user\",\"content\":\"[tollgate:bad_request]"
      "\"}]}",
      "", 0, 6, false, false, true },
    { "completions string", SERVE_ROUTE_COMPLETIONS,
      "{\"model\":\"m\",\"prompt\":\"12345678\",\"max_tokens\":3}", "m", 3, 2,
      false, false, false },
    { "completions array", SERVE_ROUTE_COMPLETIONS,
      "{\"prompt\":[\"1234\",\"5\"]}", "", 0, 2, false, false, false },
    { "completions missing prompt", SERVE_ROUTE_COMPLETIONS, "{}", "", 0, 0,
      false, false, true },
    { "anthropic", SERVE_ROUTE_MESSAGES,
      "{\"model\":\"c\",\"max_tokens\":10,\"system\":\"abcd\",\"messages\":["
      "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"ab\"}]}"
      "]}",
      "c", 10, 2, false, false, false },
    { "anthropic needs max_tokens", SERVE_ROUTE_MESSAGES,
      "{\"model\":\"c\",\"messages\":[]}", "c", 0, 0, false, false, true },
};

static void test_req(void **state)
{
    const struct req_case *c = *state;
    struct serve_req_info info;
    serve_req_parse(c->route, c->body, strlen(c->body), &info);
    assert_string_equal(info.model, c->model);
    assert_int_equal(info.has_model, c->model[0] != '\0');
    assert_int_equal(info.max_tokens, c->max_tokens);
    assert_int_equal(info.prompt_tokens, c->prompt_tokens);
    assert_int_equal(info.violation, c->violation);
    assert_int_equal(info.bad_json, c->bad_json);
    assert_int_equal(info.bad_request, c->bad_request);
}

/* A body with more values than the stack node array still parses. */
static void test_req_large(void **state)
{
    (void)state;
    size_t n = 5000, cap = 64 + n * 40;
    char *body = malloc(cap);
    size_t len = (size_t)snprintf(body, cap, "{\"messages\":[");
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(body + len, cap - len,
                                "%s{\"role\":\"user\",\"content\":\"abcd\"}",
                                i ? "," : "");
    len += (size_t)snprintf(body + len, cap - len, "]}");
    struct serve_req_info info;
    serve_req_parse(SERVE_ROUTE_CHAT, body, len, &info);
    assert_false(info.bad_request);
    assert_int_equal(info.prompt_tokens, (int64_t)n);
    free(body);
}

/* ---- fast body reader against the full one --------------------------------
 */

/* Bodies the fast reader must read itself (ordinary API bodies). */
static const char *const fast_bodies[] = {
    "{\"model\":\"mini\",\"max_tokens\":16,\"messages\":[{\"role\":\"user\","
    "\"content\":\"Say hello to the benchmark, please.\"}]}",
    " {\n \"model\" : \"gpt-4o\", \"temperature\": 0.7, \"stream\": false,\n"
    " \"messages\": [ {\"role\":\"system\",\"content\":\"Be brief.\\n\"},\n"
    " {\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"caf\\u00e9"
    " \\ud83d\\ude00 \\\"q\\\"\"},{\"type\":\"image_url\",\"image_url\":"
    "{\"url\":\"x\"}}]} ],\n \"max_completion_tokens\": 120, \"n\": 1,"
    " \"stop\": null, \"tools\": [] }\r\n",
    "{\"model\":\"claude\",\"max_tokens\":1024,\"system\":[{\"type\":\"text\","
    "\"text\":\"You are "
    "terse.\"}],\"messages\":[{\"role\":\"user\",\"content\":"
    "\"hi \\u4e16\\u754c \xc3\xa9\"},{\"role\":\"assistant\",\"content\":[]}]}",
    "{\"model\":\"m\",\"prompt\":[\"1234\",\"5678\"],\"max_tokens\":0,"
    "\"logprobs\":-1.25}",
    "{\"model\":\"m\",\"prompt\":\"abc\",\"max_tokens\":7,\"suffix\":{\"a\":"
    "[true,false,null,0,-0.5,{\"b\":[]}]}}",
    "{\"messages\":[{\"content\":\"x\",\"content2\":1}],\"max_tokens\":"
    "123456789012345,\"metadata\":{\"max_tokens\":\"nested, ignored\"}}",
    "{\"messages\":\"not an array\",\"model\":7}",
    "{\"messages\":[1,{\"role\":\"user\"},{\"content\":null}],"
    "\"max_completion_tokens\":3}",
    "{}",
};

/* Bodies the fast reader may leave to the full one. */
static const char *const other_bodies[] = {
    "{\"mod\\u0065l\":\"x\",\"messages\":[]}",
    "{\"model\":\"a\",\"model\":\"b\",\"messages\":[]}",
    "{\"max_tokens\":1e2,\"messages\":[]}",
    "{\"max_tokens\":1,\"messages\":[],\"x\":-1.25E-0}",
    "{\"max_tokens\":-3,\"messages\":[],\"max_completion_tokens\":2}",
    "{\"max_tokens\":null,\"messages\":[]}",
    "{\"max_completion_tokens\":2.5,\"messages\":[]}",
    "{\"model\":\"a\\\"b\",\"messages\":[{\"content\":[{\"text\":1,\"text\":"
    "\"x\"}]}]}",
    "[{\"messages\":[]}]",
    "{\"messages\":[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]}",
    "{\"messages\":[{\"content\":\"\\ud800\"}]}",
    "{\"messages\":[{\"content\":\"tab\there\"}]}",
    "{\"max_tokens\":99999999999999999999,\"messages\":[]}",
    "{\"messages\":[]} x",
    "",
};

static bool info_equal(const struct serve_req_info *a,
                       const struct serve_req_info *b)
{
    return a->has_model == b->has_model &&
           (!a->has_model || strcmp(a->model, b->model) == 0) &&
           a->max_tokens == b->max_tokens &&
           a->prompt_bytes == b->prompt_bytes &&
           a->prompt_tokens == b->prompt_tokens &&
           a->violation == b->violation && a->bad_json == b->bad_json &&
           a->bad_request == b->bad_request;
}

/* Compares both readers on body[0..len) for every route; returns how
 * many routes the fast reader handled.  The readers get an exact-size
 * heap copy without a terminating NUL, so that under AddressSanitizer a
 * read of body[len] or beyond fails the test. */
static int compare_readers(const char *text, size_t len)
{
    static const enum serve_route routes[] = { SERVE_ROUTE_CHAT,
                                               SERVE_ROUTE_COMPLETIONS,
                                               SERVE_ROUTE_MESSAGES };
    char *body = malloc(len > 0 ? len : 1);
    assert_non_null(body);
    memcpy(body, text, len);
    if (len == 0) { /* a zero-size block of its own */
        free(body);
        body = malloc(0);
    }
    int fast = 0;
    for (size_t r = 0; r < 3; r++) {
        struct serve_req_info a, b, c;
        serve_req_parse_full(routes[r], body, len, &b);
        serve_req_parse(routes[r], body, len, &c);
        if (!info_equal(&c, &b))
            fail_msg("route %d: serve_req_parse differs on <%.*s>",
                     (int)routes[r], (int)len, body);
        if (!serve_req_parse_fast(routes[r], body, len, &a))
            continue;
        fast++;
        if (!info_equal(&a, &b))
            fail_msg("route %d: fast reader differs on <%.*s>", (int)routes[r],
                     (int)len, body);
    }
    free(body);
    return fast;
}

static uint64_t mut_next(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

/* One to three random edits (replace, insert, delete) with bytes that
 * matter to JSON, into out; returns the new length. */
static size_t mutate(const char *in, size_t n, char *out, uint64_t *x)
{
    static const char alpha[] = "{}[]\":,\\ 0129-.eEtfnulr\n\x01\xc3zatx";
    memcpy(out, in, n);
    int edits = 1 + (int)(mut_next(x) % 3);
    for (int e = 0; e < edits && n > 0; e++) {
        size_t at = mut_next(x) % n;
        char c = alpha[mut_next(x) % (sizeof(alpha) - 1)];
        switch (mut_next(x) % 3) {
        case 0: out[at] = c; break;
        case 1:
            memmove(out + at + 1, out + at, n - at);
            out[at] = c;
            n++;
            break;
        default: memmove(out + at, out + at + 1, n - at - 1); n--;
        }
    }
    return n;
}

static void test_req_fast_agrees(void **state)
{
    (void)state;
    size_t n_fast = sizeof(fast_bodies) / sizeof(fast_bodies[0]);
    size_t n_other = sizeof(other_bodies) / sizeof(other_bodies[0]);
    for (size_t i = 0; i < n_fast; i++)
        if (compare_readers(fast_bodies[i], strlen(fast_bodies[i])) != 3)
            fail_msg("fast reader gave up on <%s>", fast_bodies[i]);
    for (size_t i = 0; i < n_other; i++)
        compare_readers(other_bodies[i], strlen(other_bodies[i]));
    /* every truncation, and random edits: agree whenever fast answers */
    uint64_t x = 0x9e3779b97f4a7c15ULL;
    long tried = 0, fast = 0;
    char buf[1024];
    for (size_t i = 0; i < n_fast + n_other; i++) {
        const char *b = i < n_fast ? fast_bodies[i] : other_bodies[i - n_fast];
        size_t len = strlen(b);
        for (size_t cut = 0; cut < len; cut++)
            fast += compare_readers(b, cut);
        for (int m = 0; m < 1500; m++) {
            size_t n = mutate(b, len, buf, &x);
            fast += compare_readers(buf, n);
            tried += 3;
        }
    }
    /* the edits must leave the fast reader enough valid bodies to judge */
    if (fast < tried / 20)
        fail_msg("fast reader answered only %ld of %ld", fast, tried);
}

/* ---- key -> account ------------------------------------------------------ */

static void test_keys_deterministic(void **state)
{
    (void)state;
    struct serve_keys k;
    char key[64];
    serve_keys_init(&k, 100, NULL);
    for (int64_t a = 0; a < 100; a += 33) {
        size_t n = keys_for_account(a, key, sizeof(key));
        assert_int_equal(serve_keys_lookup(&k, key, n), a);
    }
    size_t n = keys_for_account(100, key, sizeof(key)); /* out of range */
    assert_int_equal(serve_keys_lookup(&k, key, n), -1);
    n = keys_for_account(5, key, sizeof(key));
    key[n - 1] = key[n - 1] == '0' ? '1' : '0'; /* wrong hash */
    assert_int_equal(serve_keys_lookup(&k, key, n), -1);
    assert_int_equal(serve_keys_lookup(&k, "sk-x", 4), -1);
    assert_int_equal(serve_keys_lookup(&k, key, 0), -1);
    serve_keys_fini(&k);
}

/* The deterministic lookup accepts exactly what keys_parse accepts (in
 * range): valid keys of many lengths, and each of them with one byte
 * changed, dropped or added at every position. */
static void check_like_keys_parse(const struct serve_keys *k, const char *key,
                                  size_t n)
{
    int64_t a = -1;
    bool ok = keys_parse(key, n, &a) && a < k->n_accounts;
    assert_int_equal(serve_keys_lookup(k, key, n), ok ? a : -1);
}

static void test_keys_like_parse(void **state)
{
    (void)state;
    static const char subst[] = "0129-aftgX";
    static const int64_t accts[] = { 0, 7, 10, 99, 100, 12345, 999999999 };
    struct serve_keys k;
    serve_keys_init(&k, 1000000, NULL);
    for (size_t c = 0; c < sizeof(accts) / sizeof(accts[0]); c++) {
        char key[64], mut[66];
        size_t n = keys_for_account(accts[c], key, sizeof(key));
        check_like_keys_parse(&k, key, n);
        for (size_t i = 0; i < n; i++) {
            for (const char *x = subst; *x; x++) {
                memcpy(mut, key, n);
                mut[i] = *x; /* replaced */
                check_like_keys_parse(&k, mut, n);
                memcpy(mut, key, i); /* inserted */
                mut[i] = *x;
                memcpy(mut + i + 1, key + i, n - i);
                check_like_keys_parse(&k, mut, n + 1);
            }
            memcpy(mut, key, i); /* dropped */
            memcpy(mut + i, key + i + 1, n - i - 1);
            check_like_keys_parse(&k, mut, n - 1);
        }
    }
    check_like_keys_parse(&k, "tg-0123-0000000000000000", 24);
    check_like_keys_parse(&k, "tg-1234567890123456789-0000000000000000", 39);
    serve_keys_fini(&k);
}

static void test_keys_file(void **state)
{
    (void)state;
    char *list[] = { "alpha", "beta", "alpha", "gamma", "delta" };
    struct keys file = { list, 5 };
    struct serve_keys k;
    serve_keys_init(&k, 4, &file); /* delta is past the accounts */
    assert_int_equal(serve_keys_lookup(&k, "alpha", 5), 0); /* first wins */
    assert_int_equal(serve_keys_lookup(&k, "beta", 4), 1);
    assert_int_equal(serve_keys_lookup(&k, "gamma", 5), 3);
    assert_int_equal(serve_keys_lookup(&k, "delta", 5), -1);
    assert_int_equal(serve_keys_lookup(&k, "alph", 4), -1);
    assert_int_equal(serve_keys_lookup(&k, "alphaa", 6), -1);
    char det[64];
    size_t n = keys_for_account(0, det, sizeof(det));
    assert_int_equal(serve_keys_lookup(&k, det, n), -1); /* file only */
    serve_keys_fini(&k);
}

/* ---- injected events and regions ----------------------------------------- */

static const char scn_text[] =
    "name: t\nduration: 1h\n"
    "policy:\n"
    "  tiers:\n"
    "    free: { limits: [ { name: rpm, requests: 3, per: 1m } ] }\n"
    "  models: { mini: { input: 0.15/1M, output: 0.60/1M } }\n"
    "  regions: { blocked: [CN] }\n"
    "accounts:\n"
    "  - { name: hobbyists, count: 10, tier: free, regions: { US: 1 },\n"
    "      traffic: { phases: [ { for: 1h, rate: 1/s } ] } }\n"
    "events:\n"
    "  - { at: 1m, outage: { for: 5m } }\n";

static int scn_setup(void **state)
{
    struct scn_diags d;
    struct scenario *sc = NULL;
    scn_diags_init(&d, "t.yaml");
    int rc = scn_parse_buffer("t.yaml", scn_text, strlen(scn_text), NULL, 0,
                              &sc, &d);
    if (rc != ERR_OK)
        scn_diags_print(&d, stderr);
    scn_diags_fini(&d);
    *state = sc;
    return rc;
}

static int scn_teardown(void **state)
{
    scn_free(*state);
    return 0;
}

static void test_scn_copy_regions(void **state)
{
    const struct scenario *sc = *state;
    struct serve_scn s;
    serve_scn_init(&s, sc);
    assert_int_equal(s.sc.n_events, sc->n_events); /* events not copied */
    assert_ptr_equal(s.sc.events, sc->events);
    /* the original's indices are kept */
    for (size_t r = 0; r < sc->n_regions; r++)
        assert_int_equal(
            serve_scn_region(&s, sc->regions[r], strlen(sc->regions[r])),
            (int)r);
    assert_int_equal(s.sc.n_regions, sc->n_regions + 676 - 3); /* ZZ US CN */
    int br = serve_scn_region(&s, "br", 2);
    assert_true(br >= (int)sc->n_regions);
    assert_string_equal(s.sc.regions[br], "BR");
    assert_int_equal(serve_scn_region(&s, "BR", 2), br);
    assert_int_equal(serve_scn_region(&s, "", 0), 0);
    assert_int_equal(serve_scn_region(&s, "B1", 2), 0);
    assert_int_equal(serve_scn_region(&s, "USA", 3), 0);
    serve_scn_fini(&s);
}

/* Injected events are parsed by core (scn_parse_events) against serve's
 * copy of the scenario; these rows check what serve relies on: JSON and
 * YAML bodies, the error classes serve maps to 400 and 409, a readable
 * message, and that a parsed event commits into a spare slot. */
struct inject_case {
    const char *name;
    const char *text;
    int rc;
    size_t n;
    enum scn_event_kind kind;
    int64_t for_ns;
    double capacity, fraction;
    int population, model;
    const char *msg; /* substring of the error line */
};

static const struct inject_case inject_cases[] = {
    { "outage json", "{\"outage\":{\"for\":\"30s\"}}", ERR_OK, 1, EV_OUTAGE,
      30000000000LL, 0, 1, -1, -1, NULL },
    { "outage yaml", "outage: {for: 30s, capacity: 50%}", ERR_OK, 1, EV_OUTAGE,
      30000000000LL, 0.5, 1, -1, -1, NULL },
    { "no parameters", "{\"maintenance\":{}}", ERR_OK, 1, EV_MAINTENANCE, 0, 0,
      1, -1, -1, NULL },
    { "null parameters", "{\"maintenance\":null}", ERR_OK, 1, EV_MAINTENANCE, 0,
      0, 1, -1, -1, NULL },
    { "ban fraction",
      "{\"ban\":{\"accounts\":\"hobbyists\","
      "\"fraction\":\"5%\"}}",
      ERR_OK, 1, EV_BAN, 0, 0, 0.05, 0, -1, NULL },
    { "feature", "{\"suspend_feature\":{\"model\":\"mini\",\"for\":\"1m\"}}",
      ERR_OK, 1, EV_SUSPEND_FEATURE, 60000000000LL, 0, 1, -1, 0, NULL },
    { "list of two", "[{\"outage\":{}},{\"upgrade\":{\"for\":\"1s\"}}]", ERR_OK,
      2, EV_OUTAGE, 0, 0, 1, -1, -1, NULL },
    { "alias expanded", "[{outage: &p {for: 30s}}, {upgrade: *p}]", ERR_OK, 2,
      EV_OUTAGE, 30000000000LL, 0, 1, -1, -1, NULL },
    { "unknown kind", "{\"explode\":{}}", ERR_INVAL, 0, 0, 0, 0, 0, 0, 0,
      "body:1:2: explode: unknown event kind 'explode'" },
    { "kind misspelt", "{\"outgae\":{}}", ERR_INVAL, 0, 0, 0, 0, 0, 0, 0,
      "did you mean 'outage'?" },
    { "timing refused", "{\"at\":\"1m\",\"outage\":{}}", ERR_INVAL, 0, 0, 0, 0,
      0, 0, 0, "starts when it is received: remove at:" },
    { "unknown parameter", "{\"outage\":{\"fro\":\"1s\"}}", ERR_INVAL, 0, 0, 0,
      0, 0, 0, 0, "outage.fro: unknown key 'fro'; did you mean 'for'?" },
    { "parameter of another kind", "{\"outage\":{\"accounts\":\"hobbyists\"}}",
      ERR_INVAL, 0, 0, 0, 0, 0, 0, 0, "unknown key 'accounts'" },
    { "bad duration", "{\"outage\":{\"for\":\"soon\"}}", ERR_INVAL, 0, 0, 0, 0,
      0, 0, 0, "body:1:18: outage.for: expected a duration" },
    { "unknown population", "{\"ban\":{\"accounts\":\"x\"}}", ERR_INVAL, 0, 0,
      0, 0, 0, 0, 0, "no population named 'x'" },
    { "second item located", "[{\"outage\":{}},\n{\"ban\":{\"fraction\":2}}]",
      ERR_INVAL, 0, 0, 0, 0, 0, 0, 0, "body:2:20: [1].ban.fraction:" },
    { "malformed", "{\"outage\":", ERR_PARSE, 0, 0, 0, 0, 0, 0, 0,
      "YAML syntax error" },
    { "empty", "", ERR_INVAL, 0, 0, 0, 0, 0, 0, 0, "expected a mapping" },
    { "scalar", "outage", ERR_INVAL, 0, 0, 0, 0, 0, 0, 0,
      "expected a mapping" },
    { "env not expanded", "{\"ban\":{\"accounts\":\"${env:HOME}\"}}", ERR_INVAL,
      0, 0, 0, 0, 0, 0, 0, "no population named '${env:HOME}'" },
};

static void test_inject(void **state)
{
    const struct inject_case *c = *state;
    struct scn_diags d;
    struct scenario *sc = NULL;
    scn_diags_init(&d, "t.yaml");
    assert_int_equal(scn_parse_buffer("t.yaml", scn_text, strlen(scn_text),
                                      NULL, 0, &sc, &d),
                     ERR_OK);
    scn_diags_fini(&d);
    struct serve_scn s;
    serve_scn_init(&s, sc);
    struct scn_event ev[4];
    size_t n = 99;
    char err[512];
    scn_diags_init(&d, "body");
    int rc = scn_parse_events(&s.sc, c->text, strlen(c->text), ev, 4, &n, &d);
    scn_diags_fmt(err, sizeof(err), &d);
    if (rc != c->rc || (c->msg && strstr(err, c->msg) == NULL))
        fprintf(stderr, "%s\n", err);
    assert_int_equal(rc, c->rc);
    assert_int_equal(n, c->n);
    assert_int_equal(d.n == 0, rc == ERR_OK);
    if (c->msg)
        assert_non_null(strstr(err, c->msg));
    if (n > 0) {
        assert_int_equal(ev[0].kind, c->kind);
        assert_int_equal(ev[0].timing, EVT_ONCE);
        assert_int_equal(ev[0].at_ns, 0);
        assert_int_equal(ev[0].for_ns, c->for_ns);
        assert_true(ev[0].capacity == c->capacity);
        assert_true(ev[0].fraction == c->fraction);
        assert_int_equal(ev[0].population, c->population);
        assert_int_equal(ev[0].model, c->model);
    }
    for (size_t i = 0; i < n; i++)
        free(ev[i].regions);
    scn_diags_fini(&d);
    serve_scn_fini(&s);
    scn_free(sc);
}

static int inject(struct serve_scn *s, const char *t, struct scn_event *ev,
                  size_t *n)
{
    struct scn_diags d;
    scn_diags_init(&d, "body");
    int rc = scn_parse_events(&s->sc, t, strlen(t), ev, 2, n, &d);
    scn_diags_fini(&d);
    return rc;
}

static void test_inject_regions_and_limits(void **state)
{
    const struct scenario *sc = *state;
    struct serve_scn s;
    serve_scn_init(&s, sc);
    struct scn_event ev[2];
    size_t n = 0;
    char label[96];
    /* any two-letter code, any case: the copy has them all */
    assert_int_equal(inject(&s, "{\"block_region\":[\"BR\",\"us\"]}", ev, &n),
                     ERR_OK);
    assert_int_equal(ev[0].n_regions, 2);
    assert_string_equal(scn_event_label(&s.sc, &ev[0], label, sizeof(label)),
                        "BR US");
    assert_int_equal(s.sc.n_regions, sc->n_regions + 676 - 3); /* not grown */
    free(ev[0].regions);
    assert_int_equal(inject(&s, "{\"unblock_region\":\"zz\"}", ev, &n), ERR_OK);
    assert_int_equal(ev[0].regions[0], 0);
    free(ev[0].regions);
    assert_int_equal(inject(&s,
                            "{\"set_limit\":{\"tier\":\"free\",\"limit\":"
                            "\"rpm\",\"requests\":1}}",
                            ev, &n),
                     ERR_OK);
    assert_int_equal(ev[0].tier, 0);
    assert_int_equal(ev[0].limit, 0);
    assert_int_equal(ev[0].amount, 1);
    assert_string_equal(scn_event_label(&s.sc, &ev[0], label, sizeof(label)),
                        "free.rpm=1");
    assert_int_equal(inject(&s,
                            "{\"set_limit\":{\"tier\":\"free\",\"limit\":"
                            "\"rpm\",\"tokens\":1}}",
                            ev, &n),
                     ERR_INVAL); /* rpm counts requests */
    assert_int_equal(inject(&s, "{\"block_region\":[\"B1\"]}", ev, &n),
                     ERR_INVAL);
    assert_int_equal(
        inject(&s, "{\"block_region\":[\"BR\",\"US-XX\"]}", ev, &n), ERR_INVAL);
    assert_int_equal(n, 0); /* and BR's array freed (ASan) */
    assert_int_equal(
        inject(&s, "[{\"outage\":{}},{\"outage\":{}},{\"outage\":{}}]", ev, &n),
        ERR_TOOBIG);
    assert_int_equal(n, 0);
    serve_scn_fini(&s);
}

/* ---- admin formats ------------------------------------------------------- */

static void test_metrics_format(void **state)
{
    (void)state;
    struct serve_admin_snap s;
    memset(&s, 0, sizeof(s));
    s.decisions[REASON_OK] = 3;
    s.decisions[REASON_RATE_LIMIT] = 2;
    serve_admin_lat_add(&s.lat, 500000);      /* 0.5 ms */
    serve_admin_lat_add(&s.lat, 3000000);     /* 3 ms */
    serve_admin_lat_add(&s.lat, 3000000);     /* 3 ms */
    serve_admin_lat_add(&s.lat, 2000000000);  /* 2 s */
    serve_admin_lat_add(&s.lat, 99000000000); /* 99 s: +Inf */
    s.in_flight = 4;
    s.capacity_factor = 0.5;
    size_t len = 0;
    char *m = serve_admin_metrics(&s, &len);
    assert_int_equal(len, strlen(m));
    assert_non_null(strstr(m, "# TYPE tollgate_decisions_total counter\n"));
    assert_non_null(strstr(m, "tollgate_decisions_total{reason=\"ok\"} 3\n"));
    assert_non_null(
        strstr(m, "tollgate_decisions_total{reason=\"rate_limit\"} 2\n"));
    assert_non_null(
        strstr(m, "tollgate_decisions_total{reason=\"timeout\"} 0\n"));
    assert_non_null(strstr(m, "_bucket{le=\"0.001\"} 1\n"));
    assert_non_null(strstr(m, "_bucket{le=\"0.0025\"} 1\n"));
    assert_non_null(strstr(m, "_bucket{le=\"0.005\"} 3\n"));
    assert_non_null(strstr(m, "_bucket{le=\"2.5\"} 4\n"));
    assert_non_null(strstr(m, "_bucket{le=\"60\"} 4\n"));
    assert_non_null(strstr(m, "_bucket{le=\"+Inf\"} 5\n"));
    assert_non_null(strstr(m, "tollgate_request_duration_seconds_count 5\n"));
    assert_non_null(
        strstr(m, "tollgate_request_duration_seconds_sum 101.0065\n"));
    assert_non_null(strstr(m, "\ntollgate_in_flight 4\n"));
    assert_non_null(strstr(m, "\ntollgate_capacity_factor 0.5\n"));
    free(m);
}

static void test_state_format(void **state)
{
    const struct scenario *sc = *state;
    struct serve_admin_snap s;
    memset(&s, 0, sizeof(s));
    s.sc = sc;
    s.uptime_s = 1.5;
    s.decisions[REASON_OK] = 7;
    s.servers = -1;
    s.capacity_factor = 1;
    s.full = true;
    s.totals.credit_pusd = 2500000000000LL; /* $2.50 */
    s.totals.accounts_banned = 3;
    s.blocked = malloc(sizeof(int));
    s.blocked[0] = scn_region_index(sc, "CN");
    s.n_blocked = 1;
    s.max_limits = 1;
    s.limits = calloc(1, sizeof(*s.limits));
    s.limits[0].kind = LIMIT_REQUESTS;
    s.limits[0].algo = LIM_TOKEN_BUCKET;
    s.limits[0].amount = 3;
    s.limits[0].per_ns = 60000000000LL;
    s.limits[0].burst = 3;
    s.events = calloc(1, sizeof(*s.events));
    s.events[0] =
        (struct serve_admin_event){ "outage", "", 60, -1, true, false };
    s.n_events = 1;
    size_t len = 0;
    char *body = serve_admin_state(&s, &len);
    struct json_node nodes[512];
    struct json_doc d;
    assert_int_equal(json_parse(&d, body, len, nodes, 512, 0, 0), ERR_OK);
    double v = 0;
    int64_t i = 0;
    assert_true(json_str_eq(&d, json_get(&d, 0, "scenario"), "t"));
    assert_true(json_int64(&d, json_get(&d, 0, "accounts"), &i));
    assert_int_equal(i, 10);
    assert_true(json_num(&d, json_get(&d, 0, "credit_remaining_usd"), &v));
    assert_true(v == 2.5);
    assert_true(json_int64(&d, json_get(&d, 0, "accounts_banned"), &i));
    assert_int_equal(i, 3);
    assert_true(json_str_eq(
        &d, json_at(&d, json_get(&d, 0, "blocked_regions"), 0), "CN"));
    assert_true(json_int64(
        &d, json_path(&d, 0, "limits", "free", "rpm", "amount", NULL), &i));
    assert_int_equal(i, 3);
    assert_true(json_num(
        &d, json_path(&d, 0, "limits", "free", "rpm", "per_s", NULL), &v));
    assert_true(v == 60);
    assert_true(json_int64(&d, json_path(&d, 0, "decisions", "ok", NULL), &i));
    assert_int_equal(i, 7);
    int ev = json_at(&d, json_get(&d, 0, "events"), 0);
    assert_true(json_str_eq(&d, json_get(&d, ev, "kind"), "outage"));
    assert_int_equal(json_type(&d, json_get(&d, ev, "end_s")), JSON_NULL);
    assert_true(json_ok(&d, json_get(&d, ev, "end_s")));
    free(body);
    serve_admin_snap_fini(&s);
}

/* ---- deadline heap ------------------------------------------------------- */

struct fired {
    int order[16];
    size_t n;
};

static void record_fired(void *arg, const struct serve_timer_entry *due,
                         size_t n, int64_t now_ns)
{
    struct fired *f = arg;
    (void)now_ns;
    for (size_t i = 0; i < n && f->n < 16; i++)
        f->order[f->n++] = due[i].kind;
}

/* Entries left at stop come out of drain in (deadline, insertion) order. */
static void test_timer_drain_order(void **state)
{
    (void)state;
    struct fired f = { { 0 }, 0 };
    struct serve_timer *t = NULL;
    assert_int_equal(serve_timer_new(record_fired, &f, &t), ERR_OK);
    serve_timer_stop(t);
    int64_t far = serve_timer_now() + 3600LL * 1000000000LL;
    serve_timer_add(t, far + 30, 3, NULL);
    serve_timer_add(t, far + 10, 1, NULL);
    serve_timer_add(t, far + 30, 4, NULL);
    serve_timer_add(t, far + 20, 2, NULL);
    serve_timer_add(t, far + 10, 5, NULL);
    assert_int_equal(serve_timer_pending(t), 5);
    serve_timer_drain(t, far);
    assert_int_equal(f.n, 5);
    const int want[] = { 1, 5, 2, 3, 4 };
    assert_memory_equal(f.order, want, sizeof(want));
    assert_int_equal(serve_timer_pending(t), 0);
    serve_timer_free(t);
}

static void test_timer_fires(void **state)
{
    (void)state;
    struct fired f = { { 0 }, 0 };
    struct serve_timer *t = NULL;
    assert_int_equal(serve_timer_new(record_fired, &f, &t), ERR_OK);
    int64_t now = serve_timer_now();
    serve_timer_add(t, now + 20000000LL, 2, NULL); /* 20 ms */
    serve_timer_add(t, now - 1, 1, NULL);          /* already due */
    for (int i = 0; i < 200 && serve_timer_pending(t) > 0; i++) {
        struct timespec ts = { 0, 5000000L };
        nanosleep(&ts, NULL);
    }
    serve_timer_stop(t); /* joins: f is stable from here */
    assert_int_equal(f.n, 2);
    assert_int_equal(f.order[0], 1);
    assert_int_equal(f.order[1], 2);
    assert_true(serve_timer_now() - now >= 20000000LL);
    serve_timer_free(t);
}

#define ROWS(cases, fn)                                                        \
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)              \
        tests[n++] = (struct CMUnitTest)                                       \
        {                                                                      \
            cases[i].name, fn, NULL, NULL, (void *)&cases[i]                   \
        }

/* ---- connection guard -----------------------------------------------------
 */

/* A guarded "connection": one end of a socketpair registered with the
 * guard; the test reads the other end to see whether it was shut down. */
struct gconn {
    struct serve_guard_conn g;
    int fd[2];
};

static void gconn_open(struct serve_guard *g, struct gconn *c, int64_t now)
{
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, c->fd), 0);
    atomic_init(&c->g.state, 0);
    serve_guard_add(g, &c->g, c->fd[0], now);
}

/* True when the guard shut c down (the peer sees the end of the stream). */
static bool gconn_shut(struct gconn *c)
{
    char b;
    return recv(c->fd[1], &b, 1, MSG_DONTWAIT) == 0;
}

static void gconn_close(struct serve_guard *g, struct gconn *c)
{
    serve_guard_remove(g, &c->g);
    close(c->fd[0]);
    close(c->fd[1]);
}

#define S_NS 1000000000LL

/* The deadline counts from the accept for the first request and from the
 * sweep that saw the previous answer go out for the next; a busy
 * connection (request received, answer pending) is never shut. */
static void test_guard_deadline(void **state)
{
    (void)state;
    struct serve_guard *g;
    assert_int_equal(serve_guard_new(10 * S_NS, 100, false, &g), ERR_OK);
    struct gconn idle, busy, again;
    gconn_open(g, &idle, 0);
    gconn_open(g, &busy, 0);
    gconn_open(g, &again, 0);
    serve_guard_busy(&busy.g);
    serve_guard_busy(&again.g);
    serve_guard_sweep(g, 3 * S_NS);
    serve_guard_ready(&again.g); /* answered; seen at the next sweep */
    serve_guard_sweep(g, 4 * S_NS);
    serve_guard_sweep(g, 10 * S_NS - 1);
    assert_false(gconn_shut(&idle));
    serve_guard_sweep(g, 10 * S_NS);
    assert_true(gconn_shut(&idle));
    assert_false(gconn_shut(&busy));
    serve_guard_sweep(g, 14 * S_NS - 1);
    assert_false(gconn_shut(&again));
    serve_guard_sweep(g, 14 * S_NS);
    assert_true(gconn_shut(&again));
    serve_guard_sweep(g, 1000 * S_NS);
    assert_false(gconn_shut(&busy));
    struct serve_guard_stats st;
    serve_guard_stats(g, &st);
    assert_int_equal(st.open, 3);
    assert_int_equal(st.timed_out, 2);
    assert_int_equal(st.evicted, 0);
    gconn_close(g, &idle);
    gconn_close(g, &busy);
    gconn_close(g, &again);
    serve_guard_stats(g, &st);
    assert_int_equal(st.open, 0);
    serve_guard_free(g);
}

/* At the cap a new connection shuts down the one that has waited longest
 * for a request, skipping busy ones; shut ones no longer count. */
static void test_guard_evict(void **state)
{
    (void)state;
    struct serve_guard *g;
    assert_int_equal(serve_guard_new(100 * S_NS, 3, false, &g), ERR_OK);
    struct gconn c[6];
    gconn_open(g, &c[0], 0);
    gconn_open(g, &c[1], 1);
    gconn_open(g, &c[2], 2);
    serve_guard_busy(&c[0].g);
    gconn_open(g, &c[3], 3); /* at cap: c[1] waited longest, c[0] busy */
    assert_false(gconn_shut(&c[0]));
    assert_true(gconn_shut(&c[1]));
    assert_false(gconn_shut(&c[2]));
    gconn_open(g, &c[4], 4); /* c[2] next */
    assert_true(gconn_shut(&c[2]));
    assert_false(gconn_shut(&c[3]));
    gconn_close(g, &c[1]); /* libmicrohttpd closed what was shut */
    gconn_close(g, &c[2]);
    gconn_open(g, &c[5], 5); /* c[0] busy: c[3] goes */
    assert_true(gconn_shut(&c[3]));
    assert_false(gconn_shut(&c[4]));
    struct serve_guard_stats st;
    serve_guard_stats(g, &st);
    assert_int_equal(st.evicted, 3);
    assert_int_equal(st.open_max, 3);
    assert_int_equal(st.open, 4);
    for (int i = 0; i < 6; i++)
        if (i != 1 && i != 2)
            gconn_close(g, &c[i]);
    serve_guard_free(g);
}

/* The sweep thread closes a connection past its deadline by itself. */
static void test_guard_thread(void **state)
{
    (void)state;
    struct serve_guard *g;
    assert_int_equal(serve_guard_new(S_NS / 10, 10, true, &g), ERR_OK);
    struct gconn c;
    gconn_open(g, &c, serve_timer_now());
    struct timespec ts = { 0, 600000000L }; /* deadline + two ticks */
    nanosleep(&ts, NULL);
    assert_true(gconn_shut(&c));
    gconn_close(g, &c);
    serve_guard_free(g);
}

static void test_guard_caps(void **state)
{
    (void)state;
    static const struct {
        uint64_t fds;
        unsigned conns, per_ip;
    } rows[] = {
        { 1024, 768, 384 },          /* (1024 - 64) / 5 * 4 */
        { 20000, 15948, 7974 },      /* 19936 / 5 * 4 */
        { 64, 4, 2 },                /* nothing left: the minimum */
        { 1048576, 838808, 419404 }, /* 1048512 / 5 * 4 */
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        unsigned conns, per_ip;
        serve_guard_default_caps(rows[i].fds, &conns, &per_ip);
        assert_int_equal(conns, rows[i].conns);
        assert_int_equal(per_ip, rows[i].per_ip);
        /* libmicrohttpd's limit fits the descriptors */
        if (rows[i].fds > 1000)
            assert_true(serve_guard_hard_cap(conns) + SERVE_FD_RESERVE <=
                        rows[i].fds);
    }
    struct serve_fd_limit fl;
    assert_int_equal(serve_guard_raise_nofile(&fl), ERR_OK);
    assert_true(fl.soft >= fl.soft_before);
    assert_true(fl.soft <= fl.hard);
}

int main(void)
{
    struct CMUnitTest tests[128];
    size_t n = 0;
    ROWS(route_cases, test_route);
    ROWS(key_cases, test_key);
    ROWS(err_cases, test_error_body);
    ROWS(ok_cases, test_ok_body);
    ROWS(req_cases, test_req);
    ROWS(inject_cases, test_inject);
    const struct CMUnitTest plain[] = {
        cmocka_unit_test(test_route_kinds),
        cmocka_unit_test(test_admin_need),
        cmocka_unit_test(test_escape_utf8),
        cmocka_unit_test(test_admin_ok),
        cmocka_unit_test(test_key_scheme),
        cmocka_unit_test(test_estimate_tokens),
        cmocka_unit_test(test_retry_after),
        cmocka_unit_test(test_i64),
        cmocka_unit_test(test_reset_format),
        cmocka_unit_test(test_http_date),
        cmocka_unit_test(test_ok_nums),
        cmocka_unit_test(test_error_truncation),
        cmocka_unit_test(test_models_and_escape),
        cmocka_unit_test(test_req_large),
        cmocka_unit_test(test_req_fast_agrees),
        cmocka_unit_test(test_keys_deterministic),
        cmocka_unit_test(test_keys_like_parse),
        cmocka_unit_test(test_keys_file),
        cmocka_unit_test_setup_teardown(test_scn_copy_regions, scn_setup,
                                        scn_teardown),
        cmocka_unit_test_setup_teardown(test_inject_regions_and_limits,
                                        scn_setup, scn_teardown),
        cmocka_unit_test(test_metrics_format),
        cmocka_unit_test_setup_teardown(test_state_format, scn_setup,
                                        scn_teardown),
        cmocka_unit_test(test_timer_drain_order),
        cmocka_unit_test(test_timer_fires),
        cmocka_unit_test(test_guard_deadline),
        cmocka_unit_test(test_guard_evict),
        cmocka_unit_test(test_guard_thread),
        cmocka_unit_test(test_guard_caps),
        cmocka_unit_test(test_hdr_i64),
    };
    for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
        tests[n++] = plain[i];
    return _cmocka_run_group_tests("serve", tests, n, NULL, NULL);
}

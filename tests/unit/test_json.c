/*
 * test_json.c - JSON parser (valid and invalid rows, limits, accessors),
 * cursor (agreement with the parser, reading traces, depth, truncation on
 * exact-size buffers) and writer (exact output, shortest numbers, escapes,
 * I/O errors).
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/base/json.h"

#define MAX_NODES 256

struct parse_case {
    const char *name;
    const char *text;
    int want;
    size_t n_nodes; /* nodes expected on success */
};

static const struct parse_case parse_cases[] = {
    { "empty object", "{}", ERR_OK, 1 },
    { "empty array", " [ ] ", ERR_OK, 1 },
    { "scalar number", "42", ERR_OK, 1 },
    { "scalar string", "\"x\"", ERR_OK, 1 },
    { "literals", "[true,false,null]", ERR_OK, 4 },
    { "object members", "{\"a\":1,\"b\":[2,3]}", ERR_OK, 7 },
    { "chat request",
      "{\"model\":\"gpt-4o-mini\",\"max_tokens\":256,\"messages\":[{\"role\":"
      "\"user\",\"content\":\"hi\\n\"}]}",
      ERR_OK, 12 },
    { "escapes", "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\"", ERR_OK, 1 },
    { "surrogate pair", "\"\\ud83d\\ude00\"", ERR_OK, 1 },
    { "numbers", "[0,-0,1.5,-2e10,3E+2,4e-2,123456789012345678]", ERR_OK, 8 },
    { "whitespace everywhere", " \t\r\n{ \"a\" : [ 1 , 2 ] }\n", ERR_OK, 5 },
    { "empty input", "", ERR_PARSE, 0 },
    { "only spaces", "   ", ERR_PARSE, 0 },
    { "truncated object", "{\"a\":1", ERR_PARSE, 0 },
    { "truncated string", "\"abc", ERR_PARSE, 0 },
    { "truncated literal", "tru", ERR_PARSE, 0 },
    { "trailing comma array", "[1,]", ERR_PARSE, 0 },
    { "trailing comma object", "{\"a\":1,}", ERR_PARSE, 0 },
    { "missing colon", "{\"a\" 1}", ERR_PARSE, 0 },
    { "missing value", "{\"a\":}", ERR_PARSE, 0 },
    { "unquoted key", "{a:1}", ERR_PARSE, 0 },
    { "single quotes", "'a'", ERR_PARSE, 0 },
    { "missing comma", "[1 2]", ERR_PARSE, 0 },
    { "trailing garbage", "{} x", ERR_PARSE, 0 },
    { "two documents", "1 2", ERR_PARSE, 0 },
    { "leading zero", "01", ERR_PARSE, 0 },
    { "bare dot fraction", ".5", ERR_PARSE, 0 },
    { "dot without digits", "1.", ERR_PARSE, 0 },
    { "lone minus", "-", ERR_PARSE, 0 },
    { "exponent without digits", "1e", ERR_PARSE, 0 },
    { "plus sign", "+1", ERR_PARSE, 0 },
    { "NaN literal", "NaN", ERR_PARSE, 0 },
    { "huge number overflows", "1e999", ERR_PARSE, 0 },
    { "bad escape", "\"\\x\"", ERR_PARSE, 0 },
    { "short unicode escape", "\"\\u12\"", ERR_PARSE, 0 },
    { "bad hex digit", "\"\\u12g4\"", ERR_PARSE, 0 },
    { "lone high surrogate", "\"\\ud800\"", ERR_PARSE, 0 },
    { "high surrogate then non-low", "\"\\ud800\\u0041\"", ERR_PARSE, 0 },
    { "lone low surrogate", "\"\\udc00\"", ERR_PARSE, 0 },
    { "raw newline in string", "\"a\nb\"", ERR_PARSE, 0 },
    { "escape at end of input", "\"\\", ERR_PARSE, 0 },
    { "unbalanced close", "[1]]", ERR_PARSE, 0 },
    { "mismatched brackets", "[1}", ERR_PARSE, 0 },
};

static void test_parse_case(void **state)
{
    const struct parse_case *c = *state;
    struct json_node nodes[MAX_NODES];
    struct json_doc d;
    int rc = json_parse(&d, c->text, strlen(c->text), nodes, MAX_NODES, 0, 0);
    assert_int_equal(rc, c->want);
    if (rc == ERR_OK)
        assert_int_equal(d.n_nodes, c->n_nodes);
}

/* ---- limits ---------------------------------------------------------------
 */

static char *nested(int depth)
{
    char *s = malloc((size_t)depth * 2 + 1);
    memset(s, '[', (size_t)depth);
    memset(s + depth, ']', (size_t)depth);
    s[depth * 2] = '\0';
    return s;
}

static void test_depth_limit(void **state)
{
    (void)state;
    struct json_node nodes[200];
    struct json_doc d;
    char *ok = nested(JSON_MAX_DEPTH_DEFAULT);
    char *deep = nested(JSON_MAX_DEPTH_DEFAULT + 1);
    assert_int_equal(json_parse(&d, ok, strlen(ok), nodes, 200, 0, 0), ERR_OK);
    assert_int_equal(json_parse(&d, deep, strlen(deep), nodes, 200, 0, 0),
                     ERR_TOOBIG);
    assert_int_equal(json_parse(&d, ok, strlen(ok), nodes, 200, 0, 3),
                     ERR_TOOBIG);
    free(ok);
    free(deep);
    /* very deep input stops at the cap without exhausting the stack */
    char *huge = nested(100000);
    struct json_node *many = malloc(200000 * sizeof(*many));
    assert_int_equal(
        json_parse(&d, huge, strlen(huge), many, 200000, 0, 1000000),
        ERR_TOOBIG);
    free(many);
    free(huge);
}

static void test_node_and_size_limits(void **state)
{
    (void)state;
    struct json_node nodes[4];
    struct json_doc d;
    const char *four = "[1,2,3]", *five = "[1,2,3,4]";
    assert_int_equal(json_parse(&d, four, strlen(four), nodes, 4, 0, 0),
                     ERR_OK);
    assert_int_equal(json_parse(&d, five, strlen(five), nodes, 4, 0, 0),
                     ERR_TOOBIG);
    assert_int_equal(json_parse(&d, five, strlen(five), nodes, 4, 5, 0),
                     ERR_TOOBIG);
    char num[JSON_NUM_MAX_CHARS + 2];
    memset(num, '1', sizeof(num) - 1);
    num[sizeof(num) - 1] = '\0';
    assert_int_equal(json_parse(&d, num, strlen(num), nodes, 4, 0, 0),
                     ERR_TOOBIG);
    num[JSON_NUM_MAX_CHARS] = '\0'; /* 512 digits: valid, about 1.1e511 */
    assert_int_equal(json_parse(&d, num, strlen(num), nodes, 4, 0, 0),
                     ERR_PARSE); /* does not fit a double */
    num[300] = '\0';
    assert_int_equal(json_parse(&d, num, strlen(num), nodes, 4, 0, 0), ERR_OK);
}

static void test_error_position(void **state)
{
    (void)state;
    struct json_node nodes[16];
    struct json_doc d;
    const char *t = "{\"a\": [1, 2,, 3]}";
    assert_int_equal(json_parse(&d, t, strlen(t), nodes, 16, 0, 0), ERR_PARSE);
    assert_int_equal(d.err_pos, 12);
}

/* The input need not be NUL-terminated: parsing stops at len. */
static void test_not_nul_terminated(void **state)
{
    (void)state;
    struct json_node nodes[8];
    struct json_doc d;
    char buf[8] = { '[', '1', '2', ']', '9', '9', '9', '9' };
    assert_int_equal(json_parse(&d, buf, 4, nodes, 8, 0, 0), ERR_OK);
    double v;
    assert_true(json_num(&d, json_at(&d, 0, 0), &v));
    assert_true(v == 12.0);
    assert_int_equal(json_parse(&d, buf, 2, nodes, 8, 0, 0), ERR_PARSE);
}

/* ---- accessors
 * ---------------------------------------------------------------- */

static const char *doc_text =
    "{\"model\":\"gpt-4o\",\"max_tokens\":256,\"stream\":true,"
    "\"messages\":[{\"role\":\"system\",\"content\":\"a\"},"
    "{\"role\":\"user\",\"content\":\"caf\\u00e9 \\ud83d\\ude00 \\\"q\\\"\"}],"
    "\"error\":{\"type\":\"insufficient_quota\",\"code\":null},"
    "\"k\\u0065y\":1e3,\"big\":9223372036854775807,"
    "\"over\":9223372036854775808,\"neg\":-9223372036854775808,"
    "\"frac\":1.5}";

static void test_accessors(void **state)
{
    (void)state;
    struct json_node nodes[MAX_NODES];
    struct json_doc d;
    assert_int_equal(
        json_parse(&d, doc_text, strlen(doc_text), nodes, MAX_NODES, 0, 0),
        ERR_OK);
    assert_int_equal(json_type(&d, 0), JSON_OBJECT);
    assert_true(json_str_eq(&d, json_get(&d, 0, "model"), "gpt-4o"));
    assert_false(json_str_eq(&d, json_get(&d, 0, "model"), "gpt-4"));
    int64_t i64;
    assert_true(json_int64(&d, json_get(&d, 0, "max_tokens"), &i64));
    assert_int_equal(i64, 256);
    bool b = false;
    assert_true(json_bool(&d, json_get(&d, 0, "stream"), &b));
    assert_true(b);
    int msgs = json_get(&d, 0, "messages");
    assert_int_equal(json_len(&d, msgs), 2);
    assert_true(json_str_eq(
        &d, json_path(&d, json_at(&d, msgs, 1), "role", NULL), "user"));
    assert_int_equal(json_at(&d, msgs, 2), -1);
    char buf[64];
    size_t len;
    int content = json_get(&d, json_at(&d, msgs, 1), "content");
    assert_int_equal(json_str_copy(&d, content, buf, sizeof(buf), &len),
                     ERR_OK);
    assert_string_equal(buf, "caf\xc3\xa9 \xf0\x9f\x98\x80 \"q\"");
    assert_int_equal(len, strlen(buf));
    assert_true(json_str_eq(&d, content, buf));
    assert_int_equal(json_str_copy(&d, content, buf, 5, &len), ERR_TOOBIG);
    assert_string_equal(buf, "caf");
    assert_true(json_str_eq(&d, json_path(&d, 0, "error", "type", NULL),
                            "insufficient_quota"));
    assert_int_equal(json_type(&d, json_path(&d, 0, "error", "code", NULL)),
                     JSON_NULL);
    assert_int_equal(json_path(&d, 0, "error", "missing", NULL), -1);
    assert_true(json_int64(&d, json_get(&d, 0, "key"), &i64)); /* escaped */
    assert_int_equal(i64, 1000);
    assert_true(json_int64(&d, json_get(&d, 0, "big"), &i64));
    assert_true(i64 == INT64_MAX);
    assert_false(json_int64(&d, json_get(&d, 0, "over"), &i64));
    assert_true(json_int64(&d, json_get(&d, 0, "neg"), &i64));
    assert_true(i64 == INT64_MIN);
    assert_false(json_int64(&d, json_get(&d, 0, "frac"), &i64));
    double v;
    assert_true(json_num(&d, json_get(&d, 0, "frac"), &v));
    assert_true(v == 1.5);
    /* wrong types and absent nodes */
    assert_false(json_num(&d, json_get(&d, 0, "model"), &v));
    assert_false(json_bool(&d, -1, &b));
    assert_int_equal(json_get(&d, msgs, "role"), -1);
    assert_int_equal(json_str_copy(&d, msgs, buf, sizeof(buf), NULL),
                     ERR_INVAL);
    assert_false(json_ok(&d, -1));
    assert_int_equal(json_child(&d, json_get(&d, 0, "frac")), -1);
}

static void test_iteration(void **state)
{
    (void)state;
    struct json_node nodes[32];
    struct json_doc d;
    const char *t = "{\"a\":[1,[2,3]],\"b\":{\"c\":4},\"d\":5}";
    assert_int_equal(json_parse(&d, t, strlen(t), nodes, 32, 0, 0), ERR_OK);
    const char *keys[] = { "a", "b", "d" };
    size_t n = 0;
    for (int k = json_child(&d, 0); k >= 0; k = json_next(&d, k + 1))
        assert_true(json_str_eq(&d, k, keys[n++]));
    assert_int_equal(n, 3);
    assert_int_equal(json_len(&d, 0), 6);
    double v;
    assert_true(json_num(&d, json_get(&d, 0, "d"), &v) && v == 5);
}

/* ---- writer
 * -------------------------------------------------------------------- */

static char *write_doc(bool pretty, int *rc)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    struct json_w w;
    json_w_init(&w, f, pretty);
    json_w_obj_begin(&w);
    json_w_key(&w, "s");
    json_w_str(&w, "a\"b\\c\n\x01");
    json_w_key(&w, "n");
    json_w_arr_begin(&w);
    json_w_num(&w, 0.1);
    json_w_num(&w, 12.345);
    json_w_num(&w, 1e21);
    json_w_num(&w, 0.0 / 0.0);
    json_w_int(&w, -7);
    json_w_uint(&w, UINT64_MAX);
    json_w_arr_end(&w);
    json_w_key(&w, "e");
    json_w_obj_begin(&w);
    json_w_obj_end(&w);
    json_w_key(&w, "t");
    json_w_bool(&w, true);
    json_w_key(&w, "z");
    json_w_null(&w);
    json_w_obj_end(&w);
    *rc = json_w_finish(&w);
    fclose(f);
    return buf;
}

static void test_writer_compact(void **state)
{
    (void)state;
    int rc;
    char *s = write_doc(false, &rc);
    assert_int_equal(rc, ERR_OK);
    assert_string_equal(s, "{\"s\":\"a\\\"b\\\\c\\n\\u0001\",\"n\":[0.1,12.345,"
                           "1e+21,null,-7,18446744073709551615],\"e\":{},"
                           "\"t\":true,\"z\":null}");
    free(s);
}

static void test_writer_pretty(void **state)
{
    (void)state;
    int rc;
    char *s = write_doc(true, &rc);
    assert_int_equal(rc, ERR_OK);
    assert_string_equal(s, "{\n"
                           "  \"s\": \"a\\\"b\\\\c\\n\\u0001\",\n"
                           "  \"n\": [\n"
                           "    0.1,\n"
                           "    12.345,\n"
                           "    1e+21,\n"
                           "    null,\n"
                           "    -7,\n"
                           "    18446744073709551615\n"
                           "  ],\n"
                           "  \"e\": {},\n"
                           "  \"t\": true,\n"
                           "  \"z\": null\n"
                           "}\n");
    /* and it parses back */
    struct json_node nodes[32];
    struct json_doc d;
    assert_int_equal(json_parse(&d, s, strlen(s), nodes, 32, 0, 0), ERR_OK);
    char buf[32];
    assert_int_equal(
        json_str_copy(&d, json_get(&d, 0, "s"), buf, sizeof(buf), NULL),
        ERR_OK);
    assert_string_equal(buf, "a\"b\\c\n\x01");
    free(s);
}

static void test_writer_errors(void **state)
{
    (void)state;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    struct json_w w;
    json_w_init(&w, f, false);
    json_w_arr_begin(&w);
    assert_int_equal(json_w_finish(&w), ERR_RANGE); /* unbalanced */
    json_w_init(&w, f, false);
    for (int i = 0; i <= JSON_W_MAX_DEPTH; i++)
        json_w_arr_begin(&w);
    assert_int_equal(json_w_finish(&w), ERR_RANGE); /* too deep */
    fclose(f);
    free(buf);

    FILE *full = fopen("/dev/full", "w");
    if (full == NULL)
        skip();
    setvbuf(full, NULL, _IONBF, 0);
    json_w_init(&w, full, true);
    json_w_obj_begin(&w);
    json_w_key(&w, "a");
    json_w_int(&w, 1);
    json_w_obj_end(&w);
    errno = 0;
    assert_int_equal(json_w_finish(&w), ERR_IO);
    assert_int_equal(errno, ENOSPC);
    fclose(full);
}

struct num_case {
    const char *name;
    double v;
    const char *want;
};

static const struct num_case num_cases[] = {
    { "integer", 7, "7" },
    { "tenth", 0.1, "0.1" },
    { "third in 16 digits", 1.0 / 3.0, "0.3333333333333333" },
    { "ms latency", 12.345, "12.345" },
    { "large", 123456789012.0, "123456789012" },
    { "tiny", 1e-9, "1e-09" },
    { "negative zero", -0.0, "-0" },
    { "infinity", 1.0 / 0.0, "null" },
    { "one digit hundreds stay plain", 600, "600" },
    { "two digit thousands stay plain", 1800, "1800" },
    { "1e16 stays plain", 1e16, "10000000000000000" },
    { "1e17 uses exponent", 1e17, "1e+17" },
    { "small stays plain", 0.00012, "0.00012" },
    { "tiny uses exponent", 1.5e-7, "1.5e-07" },
    { "negative plain", -2500, "-2500" },
};

/* The text reads back as the same double, sign of zero included ("-0"
 * read as +0 made summaries not write back identically; the fuzzers
 * found it through "-0.0" and through "-1e-30855", which underflows). */
static void test_num_case(void **state)
{
    const struct num_case *c = *state;
    char buf[40];
    assert_string_equal(json_fmt_num(buf, sizeof(buf), c->v), c->want);
    if (!isfinite(c->v))
        return;
    struct json_node nodes[4];
    struct json_doc d;
    assert_int_equal(json_parse(&d, buf, strlen(buf), nodes, 4, 0, 0), ERR_OK);
    double back = 0;
    assert_true(json_num(&d, 0, &back));
    assert_memory_equal(&back, &c->v, sizeof(back));
}

static void test_escape(void **state)
{
    (void)state;
    char buf[16];
    assert_int_equal(json_escape(buf, sizeof(buf), "a\"b\tc", 5), 7);
    assert_string_equal(buf, "a\\\"b\\tc");
    assert_int_equal(json_escape(buf, 4, "abcd", 4), (size_t)-1);
    assert_int_equal(json_escape(buf, 5, "abcd", 4), 4);
}

/* ---- cursor ---------------------------------------------------------------
 * Every text is copied into a heap buffer of exactly its length (no NUL
 * after it), so AddressSanitizer reports any read past the end. */

static char *exact_copy(const char *text, size_t len)
{
    char *b = malloc(len > 0 ? len : 1);
    memcpy(b, text, len);
    return b;
}

/* Validates text with the cursor as a whole document: ERR_OK or the
 * cursor's error. */
static int cur_validate(const char *text, size_t len, int max_depth)
{
    char *b = exact_copy(text, len);
    struct json_cur c;
    json_cur_init(&c, b, len, max_depth);
    bool ok = json_cur_skip(&c) && json_cur_end(&c);
    int rc = ok ? ERR_OK : c.err;
    assert_true(ok == (c.err == ERR_OK));
    free(b);
    return rc;
}

/* The cursor accepts exactly what json_parse accepts, with the same
 * error (every row of parse_cases; none of them hits the node limit). */
static void test_cur_agrees(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
        const struct parse_case *pc = &parse_cases[i];
        int got = cur_validate(pc->text, strlen(pc->text), 0);
        if (got != pc->want)
            fail_msg("%s: cursor %d, parser %d", pc->name, got, pc->want);
    }
}

/* A reading of a document as a trace: { key: value ... } [ ... ], s(raw)
 * for strings (s!(raw) when escaped), i(v) integers, n(v) other numbers,
 * "lit" for true/false/null (skipped). */
static void walk(struct json_cur *c, char *out, size_t cap)
{
    size_t n = strlen(out);
    int ch = json_cur_peek(c);
    struct json_str str;
    struct json_num num;
    if (ch == '{' || ch == '[') {
        json_cur_open(c, (char)ch);
        snprintf(out + n, cap - n, "%c", ch);
        while (json_cur_next(c, &str)) {
            n = strlen(out);
            if (ch == '{')
                snprintf(out + n, cap - n, " %.*s:", (int)str.len, str.p);
            else
                snprintf(out + n, cap - n, " ");
            walk(c, out, cap);
        }
        n = strlen(out);
        snprintf(out + n, cap - n, " %c", ch == '{' ? '}' : ']');
    } else if (ch == '"') {
        if (json_cur_string(c, &str))
            snprintf(out + n, cap - n, "s%s(%.*s)", str.escaped ? "!" : "",
                     (int)str.len, str.p);
    } else if (ch == 't' || ch == 'f' || ch == 'n') {
        if (json_cur_skip(c))
            snprintf(out + n, cap - n, "lit");
    } else if (json_cur_number(c, &num)) {
        snprintf(out + n, cap - n, "%s(%g)", num.is_int ? "i" : "n", num.v);
    }
}

static const struct {
    const char *text, *trace;
    int err;
} walk_cases[] = {
    { "{}", "{ }", ERR_OK },
    { " [ ] ", "[ ]", ERR_OK },
    { "{\"a\":1,\"b\":[true,{\"c\":\"x\\ny\"}],\"d\":null}",
      "{ a:i(1) b:[ lit { c:s!(x\\ny) } ] d:lit }", ERR_OK },
    { "[-0.5,2e3,0,-7]", "[ n(-0.5) n(2000) i(0) i(-7) ]", ERR_OK },
    { "\"caf\xc3\xa9 \\ud83d\\ude00\"", "s!(caf\xc3\xa9 \\ud83d\\ude00)",
      ERR_OK },
    { "[[[[]]]]", "[ [ [ [ ] ] ] ]", ERR_OK },
    { "{\"k\\u0065y\":\"v\"}", "{ k\\u0065y:s(v) }", ERR_OK },
    /* the trace keeps what was read before the error */
    { "{\"a\":1,\"b\":x}", "{ a:i(1) b: }", ERR_PARSE },
    { "[1,2", "[ i(1) i(2) ]", ERR_PARSE },
    { "[1 2]", "[ i(1) ]", ERR_PARSE },
    { "{\"a\" 1}", "{ }", ERR_PARSE },
    { "[1e999]", "[  ]", ERR_PARSE },
};

static void test_cur_walk(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(walk_cases) / sizeof(walk_cases[0]); i++) {
        size_t len = strlen(walk_cases[i].text);
        char *b = exact_copy(walk_cases[i].text, len);
        char out[256] = "";
        struct json_cur c;
        json_cur_init(&c, b, len, 0);
        walk(&c, out, sizeof(out));
        json_cur_end(&c);
        if (strcmp(out, walk_cases[i].trace) != 0 || c.err != walk_cases[i].err)
            fail_msg("case %zu: trace \"%s\" err %d, want \"%s\" err %d", i,
                     out, c.err, walk_cases[i].trace, walk_cases[i].err);
        free(b);
    }
}

/* Errors stick: after the first, every call fails and c.p stays where
 * the scan stopped. */
static void test_cur_sticky(void **state)
{
    (void)state;
    const char text[] = "[1,x,2]";
    char *b = exact_copy(text, sizeof(text) - 1);
    struct json_cur c;
    json_cur_init(&c, b, sizeof(text) - 1, 0);
    assert_true(json_cur_open(&c, '['));
    assert_true(json_cur_next(&c, NULL));
    assert_true(json_cur_number(&c, NULL));
    assert_true(json_cur_next(&c, NULL));
    assert_false(json_cur_number(&c, NULL));
    assert_int_equal(c.err, ERR_PARSE);
    assert_int_equal(c.p - b, 3);
    assert_int_equal(json_cur_peek(&c), -1);
    assert_false(json_cur_next(&c, NULL));
    assert_false(json_cur_skip(&c));
    assert_false(json_cur_end(&c));
    assert_int_equal(c.p - b, 3);
    /* a wrong bracket, a key outside any container */
    json_cur_init(&c, b, sizeof(text) - 1, 0);
    assert_false(json_cur_open(&c, '{'));
    json_cur_init(&c, b, sizeof(text) - 1, 0);
    assert_false(json_cur_next(&c, NULL));
    free(b);
}

/* Skipping a nested value lands on the member after it. */
static void test_cur_skip_nested(void **state)
{
    (void)state;
    const char text[] =
        "{\"skip\":{\"a\":[1,{\"b\":[]},\"]}\"],\"c\":{}},\"k\":25}";
    char *b = exact_copy(text, sizeof(text) - 1);
    struct json_cur c;
    struct json_str key;
    struct json_num num;
    json_cur_init(&c, b, sizeof(text) - 1, 0);
    assert_true(json_cur_open(&c, '{'));
    assert_true(json_cur_next(&c, &key));
    assert_int_equal(key.len, 4);
    assert_true(json_cur_skip(&c));
    assert_int_equal(c.depth, 1);
    assert_true(json_cur_next(&c, &key));
    assert_memory_equal(key.p, "k", 1);
    assert_true(json_cur_number(&c, &num));
    assert_true(num.is_int && num.v == 25.0 && num.len == 2);
    assert_false(json_cur_next(&c, &key));
    assert_true(json_cur_end(&c));
    free(b);
}

/* max_depth open containers are fine, one more is ERR_TOOBIG; the
 * default is the parser's; larger limits are capped. */
static void test_cur_depth(void **state)
{
    (void)state;
    static const struct {
        int depth, max_depth, want;
    } rows[] = {
        { 3, 3, ERR_OK },
        { 4, 3, ERR_TOOBIG },
        { JSON_MAX_DEPTH_DEFAULT, 0, ERR_OK },
        { JSON_MAX_DEPTH_DEFAULT + 1, 0, ERR_TOOBIG },
        { JSON_CUR_MAX_DEPTH, 1000, ERR_OK },
        { JSON_CUR_MAX_DEPTH + 1, 1000, ERR_TOOBIG },
        { 100000, 1000, ERR_TOOBIG },
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        char *t = nested(rows[i].depth);
        int got = cur_validate(t, strlen(t), rows[i].max_depth);
        free(t);
        if (got != rows[i].want)
            fail_msg("row %zu: got %d, want %d", i, got, rows[i].want);
    }
}

/* Every proper prefix of a valid document is invalid, read from a buffer
 * of exactly the prefix's length. */
static void test_cur_truncated(void **state)
{
    (void)state;
    const char *text =
        "{\"model\":\"m\",\"n\":-1.5e2,\"s\":\"a\\u00e9\\ud83d\\ude00\\\"\","
        "\"t\":[true,false,null,{}],\"x\":[]}";
    size_t len = strlen(text);
    assert_int_equal(cur_validate(text, len, 0), ERR_OK);
    for (size_t n = 0; n < len; n++)
        if (cur_validate(text, n, 0) != ERR_PARSE)
            fail_msg("prefix of %zu bytes accepted", n);
}

/* Numbers: value, integer flag, the parser's limits. */
static void test_cur_numbers(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int err;
        double v;
        bool is_int;
    } rows[] = {
        { "42", ERR_OK, 42, true },
        { "-0", ERR_OK, 0, true },
        { "-12.5e1", ERR_OK, -125, false },
        { "123456789012345678", ERR_OK, 123456789012345678.0, true },
        { "1e999", ERR_PARSE, 0, false },
        { "-", ERR_PARSE, 0, false },
        { "01", ERR_OK, 0, true }, /* the number is 0; "1" is left */
        /* the inline short-integer case and its edges */
        { "0", ERR_OK, 0, true },
        { "123456789012345", ERR_OK, 123456789012345.0, true },
        { "1234567890123456", ERR_OK, 1234567890123456.0, true },
        { "7.5", ERR_OK, 7.5, false },
        { "7e2", ERR_OK, 700, false },
        { "7E-1", ERR_OK, 0.7, false },
        { "7.", ERR_PARSE, 0, false },
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        size_t len = strlen(rows[i].text);
        char *b = exact_copy(rows[i].text, len);
        struct json_cur c;
        struct json_num num;
        json_cur_init(&c, b, len, 0);
        bool ok = json_cur_number(&c, &num);
        assert_int_equal(c.err, rows[i].err);
        if (ok) {
            assert_true(num.v == rows[i].v);
            assert_int_equal(num.is_int, rows[i].is_int);
        }
        free(b);
    }
    char num[JSON_NUM_MAX_CHARS + 1];
    memset(num, '1', sizeof(num));
    assert_int_equal(cur_validate(num, sizeof(num), 0), ERR_TOOBIG);
    assert_int_equal(cur_validate(num, sizeof(num) - 1, 0),
                     ERR_PARSE); /* 512 digits: does not fit a double */
    assert_int_equal(cur_validate(num, 300, 0), ERR_OK);
}

#define N_PARSE (sizeof(parse_cases) / sizeof(parse_cases[0]))
#define N_NUM   (sizeof(num_cases) / sizeof(num_cases[0]))

int main(void)
{
    struct CMUnitTest tests[N_PARSE + N_NUM + 24];
    size_t n = 0;
    for (size_t i = 0; i < N_PARSE; i++)
        tests[n++] = (struct CMUnitTest){ parse_cases[i].name, test_parse_case,
                                          NULL, NULL, (void *)&parse_cases[i] };
    for (size_t i = 0; i < N_NUM; i++)
        tests[n++] = (struct CMUnitTest){ num_cases[i].name, test_num_case,
                                          NULL, NULL, (void *)&num_cases[i] };
    const struct CMUnitTest fixed[] = {
        cmocka_unit_test(test_depth_limit),
        cmocka_unit_test(test_node_and_size_limits),
        cmocka_unit_test(test_error_position),
        cmocka_unit_test(test_not_nul_terminated),
        cmocka_unit_test(test_accessors),
        cmocka_unit_test(test_iteration),
        cmocka_unit_test(test_writer_compact),
        cmocka_unit_test(test_writer_pretty),
        cmocka_unit_test(test_writer_errors),
        cmocka_unit_test(test_escape),
        cmocka_unit_test(test_cur_agrees),
        cmocka_unit_test(test_cur_walk),
        cmocka_unit_test(test_cur_sticky),
        cmocka_unit_test(test_cur_skip_nested),
        cmocka_unit_test(test_cur_depth),
        cmocka_unit_test(test_cur_truncated),
        cmocka_unit_test(test_cur_numbers),
    };
    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
        tests[n++] = fixed[i];
    return _cmocka_run_group_tests("json", tests, n, NULL, NULL);
}

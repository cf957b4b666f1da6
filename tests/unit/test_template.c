/*
 * test_template.c - request templates: compile errors, rendering of every
 * variable, the prompt filler size and its bound, buffer reuse.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/scenario/scenario.h"
#include "loadgen/template.h"
#include "serve/serve_req.h"

static const struct tpl_vars vars = {
    .key = "tg-7-abc",
    .key_len = 8,
    .model = "mini",
    .region = "US",
    .account = 7,
    .prompt_tokens = 3,
    .completion_tokens = 150,
    .request_id = 18446744073709551615ULL,
};

struct render_case {
    const char *name;
    const char *src;
    const char *want;
    int constant;
};

static const struct render_case render_cases[] = {
    { "literal only", "/v1/chat/completions", "/v1/chat/completions", 1 },
    { "empty", "", "", 1 },
    { "key header", "Authorization: Bearer ${key}",
      "Authorization: Bearer tg-7-abc", 0 },
    { "model and region", "/v1/${model}/${region}", "/v1/mini/US", 0 },
    { "numbers", "${account}:${prompt_tokens}:${completion_tokens}", "7:3:150",
      0 },
    { "request id max", "id=${request_id}", "id=18446744073709551615", 0 },
    { "prompt filler", "[${prompt}]", "[the quick br]", 0 },
    { "dollar escape", "cost $$5 ${model}$$", "cost $5 mini$", 0 },
    { "adjacent vars", "${model}${region}${model}", "miniUSmini", 0 },
    { "json body",
      "{\"model\":\"${model}\",\"max_tokens\":${completion_tokens}}",
      "{\"model\":\"mini\",\"max_tokens\":150}", 0 },
};

static void test_render_case(void **state)
{
    const struct render_case *c = *state;
    struct tpl t;
    char err[200];
    assert_int_equal(tpl_compile(c->src, &t, err, sizeof(err)), ERR_OK);
    assert_int_equal(tpl_is_constant(&t), c->constant);
    struct tpl_buf b = { 0 };
    tpl_render(&t, &vars, &b);
    assert_string_equal(b.p, c->want);
    assert_int_equal(b.len, strlen(c->want));
    tpl_buf_fini(&b);
    tpl_fini(&t);
}

struct bad_case {
    const char *name;
    const char *src;
    const char *msg_part;
};

static const struct bad_case bad_cases[] = {
    { "unknown var", "x ${nope} y", "unknown variable '${nope}'" },
    { "unclosed", "x ${model", "without closing" },
    { "lone dollar", "cost $5", "offset 5" },
    { "trailing dollar", "abc$", "offset 3" },
    { "empty name", "${}", "unknown variable" },
};

static void test_bad_case(void **state)
{
    const struct bad_case *c = *state;
    struct tpl t;
    char err[200];
    assert_int_equal(tpl_compile(c->src, &t, err, sizeof(err)), ERR_PARSE);
    assert_non_null(strstr(err, c->msg_part));
    assert_null(t.segs);
    tpl_fini(&t); /* safe on a failed compile */
}

/* The variables are the scenario's list, in enum order, and an unknown
 * one is answered with every name. */
static void test_names_are_the_scenarios(void **state)
{
    (void)state;
    char src[64], err[300];
    for (int i = 0; scn_tpl_vars[i] != NULL; i++) {
        struct tpl t;
        snprintf(src, sizeof(src), "${%s}", scn_tpl_vars[i]);
        assert_int_equal(tpl_compile(src, &t, err, sizeof(err)), ERR_OK);
        assert_int_equal(t.n_segs, 1);
        assert_int_equal(t.segs[0].var, i + 1);
        tpl_fini(&t);
    }
    struct tpl t;
    assert_int_equal(tpl_compile("${nope}", &t, err, sizeof(err)), ERR_PARSE);
    for (int i = 0; scn_tpl_vars[i] != NULL; i++)
        assert_non_null(strstr(err, scn_tpl_vars[i]));
    assert_non_null(strstr(err, "completion_tokens or request_id)"));
    /* The scenario format's reference lists each of them. */
    const char *root = getenv("TOLLGATE_SRC");
    char path[4096], doc[1 << 17];
    snprintf(path, sizeof(path), "%s/%s", root ? root : ".",
             "docs/scenario-format.md");
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t n = fread(doc, 1, sizeof(doc) - 1, f);
    doc[n] = '\0';
    fclose(f);
    for (int i = 0; scn_tpl_vars[i] != NULL; i++) {
        snprintf(src, sizeof(src), "`${%s}`", scn_tpl_vars[i]);
        assert_non_null(strstr(doc, src));
    }
}

static void test_filler_size_and_bound(void **state)
{
    (void)state;
    struct tpl_buf b = { 0 };
    tpl_filler(1000, &b);
    assert_int_equal(b.len, 1000 * TPL_CHARS_PER_TOKEN);
    for (size_t i = 0; i < b.len; i++)
        assert_true(b.p[i] == ' ' || (b.p[i] >= 'a' && b.p[i] <= 'z'));
    tpl_buf_reset(&b);
    tpl_filler(100000000, &b);
    assert_int_equal(b.len, TPL_MAX_PROMPT_BYTES);
    tpl_buf_reset(&b);
    tpl_filler(0, &b);
    tpl_filler(-5, &b);
    assert_int_equal(b.len, 0);
    tpl_buf_fini(&b);
}

/* Flagged requests carry serve's markers at the start of ${prompt}. */
static void test_markers(void **state)
{
    (void)state;
    assert_string_equal(TPL_MARK_VIOLATION, SERVE_MARK_VIOLATION);
    assert_string_equal(TPL_MARK_BAD_REQUEST, SERVE_MARK_BAD_REQUEST);
    struct tpl t;
    char err[200];
    assert_int_equal(tpl_compile("<${prompt}>", &t, err, sizeof(err)), ERR_OK);
    struct tpl_vars v = vars;
    v.prompt_tokens = 1;
    v.violation = true;
    struct tpl_buf b = { 0 };
    tpl_render(&t, &v, &b);
    assert_string_equal(b.p, "<[tollgate:violation]the >");
    tpl_buf_reset(&b);
    v.violation = false;
    v.bad_request = true;
    tpl_render(&t, &v, &b);
    assert_string_equal(b.p, "<[tollgate:bad_request]the >");
    tpl_buf_fini(&b);
    tpl_fini(&t);
}

static void test_buffer_reuse(void **state)
{
    (void)state;
    struct tpl t;
    char err[200];
    assert_int_equal(tpl_compile("a${account}", &t, err, sizeof(err)), ERR_OK);
    struct tpl_buf b = { 0 };
    struct tpl_vars v = vars;
    tpl_render(&t, &v, &b);
    char *first = b.p;
    size_t cap = b.cap;
    for (int i = 0; i < 1000; i++) {
        tpl_buf_reset(&b);
        v.account = -i;
        tpl_render(&t, &v, &b);
    }
    assert_string_equal(b.p, "a-999");
    assert_ptr_equal(b.p, first); /* no reallocation once warm */
    assert_int_equal(b.cap, cap);
    tpl_buf_fini(&b);
    tpl_fini(&t);
}

#define N_RENDER (sizeof(render_cases) / sizeof(render_cases[0]))
#define N_BAD    (sizeof(bad_cases) / sizeof(bad_cases[0]))

int main(void)
{
    struct CMUnitTest tests[N_RENDER + N_BAD + 4];
    size_t n = 0;
    for (size_t i = 0; i < N_RENDER; i++)
        tests[n++] =
            (struct CMUnitTest){ render_cases[i].name, test_render_case, NULL,
                                 NULL, (void *)&render_cases[i] };
    for (size_t i = 0; i < N_BAD; i++)
        tests[n++] = (struct CMUnitTest){ bad_cases[i].name, test_bad_case,
                                          NULL, NULL, (void *)&bad_cases[i] };
    tests[n++] =
        (struct CMUnitTest)cmocka_unit_test(test_filler_size_and_bound);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_markers);
    tests[n++] =
        (struct CMUnitTest)cmocka_unit_test(test_names_are_the_scenarios);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_buffer_reuse);
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_vary.c - `--vary KEY=VALUES` expansion: lists, linear and
 * geometric ranges with and without units, mixed items, and every error
 * (each row names the values it must give, or the error and a word of
 * its message).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/scenario/vary.h"

#define MAXV 12

struct vary_case {
    const char *name;
    const char *spec;
    int rc;
    const char *key;          /* ERR_OK rows */
    const char *values[MAXV]; /* ERR_OK rows: every value, then NULL */
    const char *msg;          /* error rows: a part of the message */
};

static const struct vary_case cases[] = {
    { "list",
      "policy.capacity.servers=32,48,64",
      ERR_OK,
      "policy.capacity.servers",
      { "32", "48", "64" },
      NULL },
    { "single value", "k=gold", ERR_OK, "k", { "gold" }, NULL },
    { "blanks trimmed", "k= 1 , 2", ERR_OK, "k", { "1", "2" }, NULL },
    { "linear both ends",
      "k=32..96:16",
      ERR_OK,
      "k",
      { "32", "48", "64", "80", "96" },
      NULL },
    { "linear end not landed",
      "k=1..10:4",
      ERR_OK,
      "k",
      { "1", "5", "9" },
      NULL },
    { "decimal steps hit the end",
      "k=0.1..0.5:0.1",
      ERR_OK,
      "k",
      { "0.1", "0.2", "0.3", "0.4", "0.5" },
      NULL },
    { "units kept",
      "k=100ms..300ms:100ms",
      ERR_OK,
      "k",
      { "100ms", "200ms", "300ms" },
      NULL },
    { "rate units",
      "k=10/s..30/s:10/s",
      ERR_OK,
      "k",
      { "10/s", "20/s", "30/s" },
      NULL },
    { "geometric",
      "k=1..1000:x10",
      ERR_OK,
      "k",
      { "1", "10", "100", "1000" },
      NULL },
    { "geometric with unit",
      "k=1ms..8ms:x2",
      ERR_OK,
      "k",
      { "1ms", "2ms", "4ms", "8ms" },
      NULL },
    { "mixed items",
      "k=5..15:5,40,80",
      ERR_OK,
      "k",
      { "5", "10", "15", "40", "80" },
      NULL },
    { "one-point range", "k=7..7:1", ERR_OK, "k", { "7" }, NULL },
    { "no equals", "servers", ERR_PARSE, NULL, { NULL }, "KEY=VALUES" },
    { "empty key", "=1,2", ERR_PARSE, NULL, { NULL }, "KEY=VALUES" },
    { "empty value", "k=1,,2", ERR_PARSE, NULL, { NULL }, "empty value" },
    { "trailing comma", "k=1,", ERR_PARSE, NULL, { NULL }, "empty value" },
    { "no step", "k=1..10", ERR_PARSE, NULL, { NULL }, "LO..HI:STEP" },
    { "zero step", "k=1..10:0", ERR_PARSE, NULL, { NULL }, "positive" },
    { "negative step", "k=1..10:-1", ERR_PARSE, NULL, { NULL }, "positive" },
    { "reversed", "k=10..1:1", ERR_PARSE, NULL, { NULL }, "below" },
    { "unit mismatch", "k=1s..10ms:1s", ERR_PARSE, NULL, { NULL }, "unit" },
    { "factor 1", "k=1..10:x1", ERR_PARSE, NULL, { NULL }, "factor > 1" },
    { "geometric from 0", "k=0..10:x2", ERR_PARSE, NULL, { NULL }, "LO > 0" },
    { "not numbers", "k=a..b:1", ERR_PARSE, NULL, { NULL }, "numbers" },
    { "inf refused", "k=1..inf:1", ERR_PARSE, NULL, { NULL }, "numbers" },
    { "too many", "k=1..100000:1", ERR_TOOBIG, NULL, { NULL }, "more than" },
    { "value too long",
      "k=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
      ERR_TOOBIG,
      NULL,
      { NULL },
      "longer" },
};

#define N_CASES (sizeof(cases) / sizeof(cases[0]))

static void test_vary_case(void **state)
{
    const struct vary_case *c = *state;
    struct vary_axis a;
    char err[256];
    int rc = vary_parse(c->spec, &a, err, sizeof(err));
    assert_int_equal(rc, c->rc);
    if (rc != ERR_OK) {
        assert_non_null(strstr(err, c->msg));
        assert_null(a.values);
        return;
    }
    assert_string_equal(a.key, c->key);
    size_t n = 0;
    while (n < MAXV && c->values[n] != NULL)
        n++;
    assert_int_equal(a.n, n);
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(a.values[i], c->values[i]);
        double want = strtod(c->values[i], NULL);
        if (c->values[i][0] >= '0' && c->values[i][0] <= '9')
            assert_true(fabs(a.x[i] - want) < 1e-12);
        else
            assert_true(isnan(a.x[i]));
    }
    vary_axis_fini(&a);
}

static void test_fini_null(void **state)
{
    (void)state;
    vary_axis_fini(NULL);
    struct vary_axis a = { 0 };
    vary_axis_fini(&a);
}

int main(void)
{
    struct CMUnitTest tests[N_CASES + 1];
    for (size_t i = 0; i < N_CASES; i++)
        tests[i] = (struct CMUnitTest){ cases[i].name, test_vary_case, NULL,
                                        NULL, (void *)&cases[i] };
    tests[N_CASES] = (struct CMUnitTest)cmocka_unit_test(test_fini_null);
    return cmocka_run_group_tests(tests, NULL, NULL);
}

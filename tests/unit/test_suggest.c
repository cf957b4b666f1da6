/*
 * test_suggest.c - "did you mean" (core/base/suggest.h): the nearest name by
 * optimal string alignment distance, case ignored, within a threshold
 * that grows with the word (1 up to 3 bytes, 2 up to 6, 3 beyond).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/base/suggest.h"

static const char *const commands[] = { "sim",   "run",      "serve",
                                        "plot",  "check",    "compare",
                                        "merge", "validate", "reasons",
                                        NULL };
static const char *const keys[] = { "token_bucket", "leaky_bucket",
                                    "fixed_window", "sliding_window", NULL };

struct case_ {
    const char *name;
    const char *word;
    const char *const *names;
    const char *want; /* NULL: nothing close */
};

static const struct case_ cases[] = {
    { "exact", "serve", commands, "serve" },
    { "one deletion", "simm", commands, "sim" },
    { "transposition counts 1", "cehck", commands, "check" },
    { "case ignored", "VALIDATE", commands, "validate" },
    { "two edits in 8 bytes", "valdat", commands, "validate" },
    { "simulate is 5 from sim: too far", "simulate", commands, NULL },
    { "3-byte word allows 1", "rnu", commands, "run" },
    { "3-byte word refuses 2", "xyz", commands, NULL },
    { "13 bytes allows 3", "tokenbuket", keys, "token_bucket" },
    { "nothing near", "frobnicate", keys, NULL },
    { "empty list", "sim", (const char *const[]){ NULL }, NULL },
    { "64 bytes never close",
      "sim-----------------------------------------------------------x",
      commands, NULL },
};

static void test_case(void **state)
{
    const struct case_ *c = *state;
    const char *got = suggest_near(c->word, c->names);
    if (c->want == NULL)
        assert_null(got);
    else
        assert_string_equal(got, c->want);
}

int main(void)
{
    struct CMUnitTest tests[sizeof(cases) / sizeof(cases[0])];
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        tests[i] = (struct CMUnitTest){ cases[i].name, test_case, NULL, NULL,
                                        (void *)&cases[i] };
    return _cmocka_run_group_tests(
        "suggest", tests, sizeof(cases) / sizeof(cases[0]), NULL, NULL);
}

/*
 * test_junit.c - the JUnit XML writer: exact documents for passing and
 * failing suites (counts, structure), escaping of every special character,
 * and ERR_IO on a stream that cannot be written.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/base/junit.h"

/* Renders through open_memstream so the whole document can be compared. */
static char *render(const char *suite, const struct junit_case *c, size_t n,
                    int *rc)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    *rc = junit_write(f, suite, c, n);
    assert_int_equal(fclose(f), 0);
    return buf;
}

struct doc_case {
    const char *name;
    const char *suite;
    struct junit_case cases[3];
    size_t n;
    const char *want;
};

#define HEAD "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"

static const struct doc_case docs[] = {
    { "empty suite",
      "s",
      { { 0 } },
      0,
      HEAD "<testsuites tests=\"0\" failures=\"0\">\n"
           "  <testsuite name=\"s\" tests=\"0\" failures=\"0\" errors=\"0\" "
           "skipped=\"0\" time=\"0.000\">\n"
           "  </testsuite>\n</testsuites>\n" },
    { "one pass one fail",
      "tollgate check",
      { { "denied < 50%", "demo", NULL, NULL, 0 },
        { "goodput > 40/s", "demo", "measured 12/s, expected > 40/s",
          "goodput > 40/s\nmeasured 12/s", 0.25 } },
      2,
      HEAD "<testsuites tests=\"2\" failures=\"1\">\n"
           "  <testsuite name=\"tollgate check\" tests=\"2\" failures=\"1\" "
           "errors=\"0\" skipped=\"0\" time=\"0.250\">\n"
           "    <testcase name=\"denied &lt; 50%\" classname=\"demo\" "
           "time=\"0.000\"/>\n"
           "    <testcase name=\"goodput &gt; 40/s\" classname=\"demo\" "
           "time=\"0.250\">\n"
           "      <failure message=\"measured 12/s, expected &gt; 40/s\" "
           "type=\"threshold\">goodput &gt; 40/s&#10;measured "
           "12/s</failure>\n"
           "    </testcase>\n"
           "  </testsuite>\n</testsuites>\n" },
    { "escaping everywhere",
      "a&b <\"q\"> 'x'",
      { { "p99(ok) <= 2s & 'y'", "c\"l\ta\rss", "m<\x01\x7f>", NULL, 0 } },
      1,
      HEAD "<testsuites tests=\"1\" failures=\"1\">\n"
           "  <testsuite name=\"a&amp;b &lt;&quot;q&quot;&gt; &apos;x&apos;\" "
           "tests=\"1\" failures=\"1\" errors=\"0\" skipped=\"0\" "
           "time=\"0.000\">\n"
           "    <testcase name=\"p99(ok) &lt;= 2s &amp; &apos;y&apos;\" "
           "classname=\"c&quot;l&#9;a&#13;ss\" time=\"0.000\">\n"
           "      <failure message=\"m&lt;??&gt;\" "
           "type=\"threshold\">m&lt;??&gt;</failure>\n"
           "    </testcase>\n"
           "  </testsuite>\n</testsuites>\n" },
    { "utf8 passes through",
      "s",
      { { "caf\xc3\xa9", "n", NULL, NULL, 0 } },
      1,
      HEAD "<testsuites tests=\"1\" failures=\"0\">\n"
           "  <testsuite name=\"s\" tests=\"1\" failures=\"0\" errors=\"0\" "
           "skipped=\"0\" time=\"0.000\">\n"
           "    <testcase name=\"caf\xc3\xa9\" classname=\"n\" "
           "time=\"0.000\"/>\n"
           "  </testsuite>\n</testsuites>\n" },
};

#define N_DOCS (sizeof(docs) / sizeof(docs[0]))

static void test_doc(void **state)
{
    const struct doc_case *d = *state;
    int rc;
    char *got = render(d->suite, d->cases, d->n, &rc);
    assert_int_equal(rc, ERR_OK);
    assert_string_equal(got, d->want);
    free(got);
}

static void test_write_error(void **state)
{
    (void)state;
    FILE *f = fopen("/dev/null", "r"); /* writes fail on a read stream */
    assert_non_null(f);
    struct junit_case c = { "x", "y", NULL, NULL, 0 };
    assert_int_equal(junit_write(f, "s", &c, 1), ERR_IO);
    fclose(f);
}

int main(void)
{
    struct CMUnitTest tests[N_DOCS + 1];
    for (size_t i = 0; i < N_DOCS; i++)
        tests[i] = (struct CMUnitTest){ docs[i].name, test_doc, NULL, NULL,
                                        (void *)&docs[i] };
    tests[N_DOCS] = (struct CMUnitTest){ "write error is ERR_IO",
                                         test_write_error, NULL, NULL, NULL };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

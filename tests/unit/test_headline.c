/*
 * test_headline.c - the two-level summary in text, Markdown, HTML and JSON,
 * from a hand-built summary whose every number is worked below:
 *
 *   800 requests ended: 740 ok, 50 denied (30 rate_limit, 20 outage), 10
 *   lost -> denied share 50/800 = 6.25%, lost 1.25%; top reasons
 *   rate_limit 30/800 = 3.75%, outage 2.50%.
 *   1000 attempts: 900 ok, 100 denied (60 rate_limit, 40 outage) -> 10%,
 *   rate_limit 6%, outage 4%.
 *   Two populations, free (200 requests, 30 denied: 15%; 300 attempts, 60
 *   denied: 20%) and paid.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/base/reason.h"
#include "core/results/headline.h"
#include "core/stats/summary.h"

static struct summary_pop pops[2];

static void fixture(struct summary *s)
{
    summary_init(s);
    snprintf(s->scenario, sizeof(s->scenario), "worked");
    snprintf(s->mode, sizeof(s->mode), "sim");
    s->duration_s = 100;
    s->requests = (struct summary_req){ 1000, 800, 900, 100 };
    s->denied_by_reason[REASON_RATE_LIMIT] = 60;
    s->denied_by_reason[REASON_OUTAGE] = 40;
    s->goodput_per_s = 9;
    s->retry_amplification = 1.25;
    s->lat_all =
        (struct summary_lat){ 1000, 700, 1200, 1300, 1490, 2500, 4000, 650 };
    s->lat_ok =
        (struct summary_lat){ 900, 800, 1250, 1350, 1500, 2600, 4000, 820 };
    s->has_rq = true;
    s->rq = (struct summary_rq){ .requests = 800,
                                 .ok = 740,
                                 .denied = 50,
                                 .lost = 10,
                                 .denial_rate = 50.0 / 800,
                                 .lost_rate = 10.0 / 800 };
    s->rq.lat_all = (struct summary_lat){ 790,   900,   9000,  20000,
                                          30500, 59000, 60000, 2100 };
    s->rq.lat_ok = (struct summary_lat){ 740,   850,   8000,  19000,
                                         29000, 58000, 60000, 1900 };
    s->final_by_outcome[REASON_OK] = 740;
    s->final_by_outcome[REASON_RATE_LIMIT] = 30;
    s->final_by_outcome[REASON_OUTAGE] = 20;
    s->final_lost[REC_NOT_SENT] = 10;
    s->tries = (struct summary_tries){ 1.25, 1, 2, 3, 3 };
    memset(pops, 0, sizeof(pops));
    snprintf(pops[0].name, sizeof(pops[0].name), "free");
    pops[0].requests = (struct summary_req){ 300, 200, 240, 60 };
    pops[0].rq =
        (struct summary_rq){ .requests = 200, .ok = 170, .denied = 30 };
    pops[0].rq.lat_all = (struct summary_lat){ 200, 500, 0, 0, 7000, 0, 0, 0 };
    pops[0].lat_all = (struct summary_lat){ 300, 20, 0, 0, 60, 0, 0, 0 };
    snprintf(pops[1].name, sizeof(pops[1].name), "paid");
    s->pops = pops;
    s->n_pops = 2;
}

/* Everything headline_write prints for (format, sections). */
static char *render(const struct summary *s, enum headline_format f,
                    unsigned sections)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    assert_non_null(out);
    assert_int_equal(headline_write(out, s, f, sections), ERR_OK);
    fclose(out);
    return buf;
}

struct line_case {
    const char *name;
    enum headline_format format;
    unsigned sections;
    bool ci;          /* replications: a half-width on the shares */
    const char *line; /* must appear as a whole line */
};

static const struct line_case line_cases[] = {
    { "requests block", HL_TEXT, HL_LEVELS, false,
      "  requests (what your callers see): 800, ok 740, denied 50 (6.25%), "
      "lost 10 (1.25%)" },
    { "request reasons", HL_TEXT, HL_LEVELS, false,
      "    top reasons: rate_limit 3.75%, outage 2.50%" },
    { "request latency end to end", HL_TEXT, HL_LEVELS, false,
      "    latency end to end: p50 900ms  p90 9s  p99 30.5s;  ok: p50 850ms  "
      "p99 29s" },
    { "attempts per request", HL_TEXT, HL_LEVELS, false,
      "    attempts per request: mean 1.25  p99 3  max 3" },
    { "attempts block", HL_TEXT, HL_LEVELS, false,
      "  attempts (what the API sees): 1000, ok 900, denied 100 (10.00%)" },
    { "attempt reasons", HL_TEXT, HL_LEVELS, false,
      "    top reasons: rate_limit 6.00%, outage 4.00%" },
    { "amplification and goodput", HL_TEXT, HL_LEVELS, false,
      "  retry amplification 1.25 attempts per request, goodput 9 ok/s" },
    { "confidence half-width", HL_TEXT, HL_LEVELS, true,
      "  requests (what your callers see): 800, ok 740, denied 50 (6.25% "
      "+-0.50), lost 10 (1.25%)" },
    { "population row", HL_TEXT, HL_POPS, false,
      "  free                        200   15.00%    500ms       7s |        "
      "300   20.00%     60ms" },
    { "population without samples", HL_TEXT, HL_POPS, false,
      "  paid                          0    0.00%        -        - |          "
      "0    0.00%        -" },
    { "reason row", HL_TEXT, HL_REASONS, false,
      "  rate_limit                       30    3.75% |         60    6.00%" },
    { "lost row", HL_TEXT, HL_REASONS, false,
      "  not_sent                         10    1.25% |          -         " },
    { "markdown requests", HL_MARKDOWN, HL_LEVELS, false,
      "| requests (what your callers see) | 800 | 740 | 50 | 6.25% | "
      "`rate_limit` 3.75%, `outage` 2.50% | 900ms | 9s | 30.5s |" },
    { "markdown lost note", HL_MARKDOWN, HL_LEVELS, false,
      "Retry amplification 1.25 attempts per request; goodput 9 ok/s. 10 "
      "requests were lost by the load generator." },
    { "markdown population", HL_MARKDOWN, HL_POPS, false,
      "| free | 200 | 15.00% | 500ms | 7s | 300 | 20.00% |" },
    /* HTML: the same rows as the text and Markdown above. */
    { "html requests", HL_HTML, HL_LEVELS, false,
      "<tr><th scope=\"row\">requests (what your callers see)</th>"
      "<td>800</td><td>740</td><td>50</td><td><b>6.25%</b></td>"
      "<td class=\"l\"><code>rate_limit</code> 3.75%, <code>outage</code> "
      "2.50%</td><td>900ms</td><td>9s</td><td>30.5s</td></tr>" },
    { "html attempts", HL_HTML, HL_LEVELS, false,
      "<tr><th scope=\"row\">attempts (what the API sees)</th>"
      "<td>1000</td><td>900</td><td>100</td><td><b>10.00%</b></td>"
      "<td class=\"l\"><code>rate_limit</code> 6.00%, <code>outage</code> "
      "4.00%</td><td>700ms</td><td>1.2s</td><td>1.49s</td></tr>" },
    { "html requests with half-width", HL_HTML, HL_LEVELS, true,
      "<tr><th scope=\"row\">requests (what your callers see)</th>"
      "<td>800</td><td>740</td><td>50</td><td><b>6.25% +-0.50</b></td>"
      "<td class=\"l\"><code>rate_limit</code> 3.75%, <code>outage</code> "
      "2.50%</td><td>900ms</td><td>9s</td><td>30.5s</td></tr>" },
    { "html tries", HL_HTML, HL_LEVELS, false,
      "<li>attempts per request: mean 1.25  p99 3  max 3</li>" },
    { "html lost", HL_HTML, HL_LEVELS, false,
      "<li>10 requests (1.25%) were lost by the load generator</li>" },
    { "html amplification", HL_HTML, HL_LEVELS, false,
      "<li>retry amplification 1.25 attempts per request, goodput 9 "
      "ok/s</li>" },
    { "html population", HL_HTML, HL_POPS, false,
      "<tr><th scope=\"row\">free</th><td>200</td><td>15.00%</td>"
      "<td>500ms</td><td>7s</td><td>300</td><td>20.00%</td><td>60ms</td>"
      "</tr>" },
    { "html population without samples", HL_HTML, HL_POPS, false,
      "<tr><th scope=\"row\">paid</th><td>0</td><td>0.00%</td><td>-</td>"
      "<td>-</td><td>0</td><td>0.00%</td><td>-</td></tr>" },
    { "html reason", HL_HTML, HL_REASONS, false,
      "<tr><th scope=\"row\"><code>rate_limit</code></th><td>30</td>"
      "<td>3.75%</td><td>60</td><td>6.00%</td></tr>" },
    { "html lost reason", HL_HTML, HL_REASONS, false,
      "<tr><th scope=\"row\"><code>not_sent</code></th><td>10</td>"
      "<td>1.25%</td><td>-</td><td>-</td></tr>" },
};

static void test_line_case(void **state)
{
    const struct line_case *c = *state;
    struct summary s;
    fixture(&s);
    if (c->ci) {
        s.has_ci95 = true;
        s.ci95.rq_denial_rate = 0.005;
    }
    char *text = render(&s, c->format, c->sections);
    bool found = false;
    for (char *save = NULL, *l = strtok_r(text, "\n", &save); l && !found;
         l = strtok_r(NULL, "\n", &save))
        found = strcmp(l, c->line) == 0;
    if (!found)
        fail_msg("line not found: [%s]", c->line);
    free(text);
}

/* Sections not asked for are absent; JSON holds both levels. */
static void test_sections_and_json(void **state)
{
    (void)state;
    struct summary s;
    fixture(&s);
    char *t = render(&s, HL_TEXT, HL_LEVELS);
    assert_null(strstr(t, "population"));
    assert_null(strstr(t, "final outcome"));
    free(t);
    assert_int_equal(headline_default_sections(&s), HL_LEVELS | HL_POPS);
    s.n_pops = 1;
    assert_int_equal(headline_default_sections(&s), HL_LEVELS);
    s.n_pops = 2;
    t = render(&s, HL_JSON, HL_LEVELS | HL_REASONS);
    assert_non_null(strstr(t, "\"requests\": {\n    \"total\": 800,"));
    assert_non_null(strstr(t, "\"attempts\": {\n    \"total\": 1000,"));
    assert_non_null(strstr(t, "\"denial_rate\": 0.0625"));
    assert_non_null(strstr(t, "\"reason\": \"rate_limit\""));
    assert_null(strstr(t, "\"populations\""));
    free(t);
}

/* Results written before the request level say so instead of zeros. */
static void test_unknown_request_level(void **state)
{
    (void)state;
    struct summary s;
    fixture(&s);
    s.has_rq = false;
    char *t = render(&s, HL_TEXT, HL_LEVELS);
    assert_non_null(strstr(t, "  requests (what your callers see): not "
                              "recorded (results written before "
                              "request-level records)\n"));
    assert_null(strstr(t, "attempts per request: mean"));
    free(t);
    t = render(&s, HL_JSON, HL_LEVELS);
    assert_non_null(strstr(t, "\"requests\": null"));
    free(t);
}

/* HTML sections are whole elements, only those asked for, and a result
 * without the request level says so. */
static void test_html_sections(void **state)
{
    (void)state;
    struct summary s;
    fixture(&s);
    char *t = render(&s, HL_HTML, HL_LEVELS);
    const char *open = "<section class=\"levels\">\n";
    assert_true(strncmp(t, open, strlen(open)) == 0);
    assert_non_null(strstr(t, "</table>\n"));
    assert_true(strcmp(t + strlen(t) - 11, "</section>\n") == 0);
    assert_null(strstr(t, "class=\"pops\""));
    assert_null(strstr(t, "class=\"reasons\""));
    free(t);
    s.has_rq = false;
    t = render(&s, HL_HTML, HL_LEVELS | HL_POPS | HL_REASONS);
    assert_non_null(strstr(t, "<td class=\"l\" colspan=\"8\">not recorded "
                              "(results written before request-level "
                              "records)</td>"));
    assert_null(strstr(t, "attempts per request: mean"));
    assert_non_null(strstr(t, "<section class=\"pops\">"));
    assert_non_null(strstr(t, "<section class=\"reasons\">"));
    free(t);
}

/* A population's name is user text: it reaches the page escaped. */
static void test_html_escapes_names(void **state)
{
    (void)state;
    struct summary s;
    fixture(&s);
    snprintf(pops[0].name, sizeof(pops[0].name), "<b>&'x\"");
    char *t = render(&s, HL_HTML, HL_POPS);
    assert_non_null(
        strstr(t, "<th scope=\"row\">&lt;b&gt;&amp;&#39;x&quot;</th>"));
    assert_null(strstr(t, "<b>&"));
    free(t);
}

struct esc_case {
    const char *name, *in, *want;
};

static const struct esc_case esc_cases[] = {
    { "escape: plain text unchanged", "free-tier_1.x", "free-tier_1.x" },
    { "escape: empty", "", "" },
    { "escape: all five", "<a href=\"x\">'&'</a>",
      "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;" },
    { "escape: an entity is text", "&amp;", "&amp;amp;" },
    { "escape: closing tags", "</pre></script>",
      "&lt;/pre&gt;&lt;/script&gt;" },
    { "escape: UTF-8 passes", "S\xc3\xa3o Paulo \xe2\x86\x92",
      "S\xc3\xa3o Paulo \xe2\x86\x92" },
    { "escape: newlines kept", "a: 1\n# <x>\n", "a: 1\n# &lt;x&gt;\n" },
};

static void test_esc_case(void **state)
{
    const struct esc_case *c = *state;
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    assert_non_null(out);
    headline_html_escape(out, c->in);
    fclose(out);
    assert_string_equal(buf, c->want);
    free(buf);
}

static void test_fmt_ms(void **state)
{
    (void)state;
    static const struct {
        double ms;
        const char *want;
    } cases[] = { { 0.0952, "95.2us" },
                  { 812, "812ms" },
                  { 4070, "4.07s" },
                  { 150000, "150s" },
                  { 600000, "10m" } };
    char buf[16];
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        headline_fmt_ms(buf, sizeof(buf), cases[k].ms);
        assert_string_equal(buf, cases[k].want);
    }
}

int main(void)
{
    enum {
        N = sizeof(line_cases) / sizeof(line_cases[0]),
        E = sizeof(esc_cases) / sizeof(esc_cases[0]),
    };
    struct CMUnitTest tests[N + E + 5];
    for (size_t i = 0; i < N; i++)
        tests[i] = (struct CMUnitTest){ line_cases[i].name, test_line_case,
                                        NULL, NULL, (void *)&line_cases[i] };
    for (size_t i = 0; i < E; i++)
        tests[N + i] = (struct CMUnitTest){ esc_cases[i].name, test_esc_case,
                                            NULL, NULL, (void *)&esc_cases[i] };
    tests[N + E] =
        (struct CMUnitTest){ "sections and json", test_sections_and_json, NULL,
                             NULL, NULL };
    tests[N + E + 1] =
        (struct CMUnitTest){ "unknown request level",
                             test_unknown_request_level, NULL, NULL, NULL };
    tests[N + E + 2] =
        (struct CMUnitTest){ "durations", test_fmt_ms, NULL, NULL, NULL };
    tests[N + E + 3] = (struct CMUnitTest){ "html sections", test_html_sections,
                                            NULL, NULL, NULL };
    tests[N + E + 4] =
        (struct CMUnitTest){ "html escapes names", test_html_escapes_names,
                             NULL, NULL, NULL };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

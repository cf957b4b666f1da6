/*
 * report.c - the expect: verdicts shared by check, sim --check and run
 * --check.
 *
 * Each rule is measured on the summary (core/scenario/expect), printed with its
 * verdict and measured value in the rule's own unit, and optionally
 * collected into a JUnit report (core/base/junit).  A rule that cannot be
 * measured (a latency of an outcome that never happened) fails, and the
 * line says "no samples" instead of a number.  This file decides nothing
 * about exit codes beyond the three documented in report.h.
 */
#include "cli/report.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/scenario/expect.h"
#include "core/stats/expect_measure.h"
#include "core/base/junit.h"
#include "core/scenario/scenario.h"
#include "core/stats/summary.h"

struct verdict {
    const char *text;  /* the rule as written, or "results complete" */
    char shown[48];    /* measured value with unit */
    char message[256]; /* failure message; empty when passed */
    bool pass;
};

static void judge(const struct expect_rule *r, const struct summary *s,
                  struct verdict *v)
{
    double m;
    char why[160];
    int e = expect_measure_explain(r, s, &m, why, sizeof(why));
    expect_fmt_value(r, m, v->shown, sizeof(v->shown));
    v->pass = e == ERR_OK && expect_holds(r, m);
    v->message[0] = '\0';
    if (e != ERR_OK)
        snprintf(v->message, sizeof(v->message), "cannot be measured: %s",
                 why[0] ? why : err_str(e));
    else if (!v->pass)
        snprintf(v->message, sizeof(v->message), "measured %s, expected %s",
                 v->shown, r->text);
}

/* The completeness verdict: none (-1) when the results are complete,
 * else passed (accepted) or failed. */
static int complete_verdict(const struct summary *s, bool accept,
                            struct verdict *v)
{
    if (s->complete)
        return -1;
    snprintf(v->shown, sizeof(v->shown), "complete: false");
    v->pass = accept;
    snprintf(v->message, sizeof(v->message), "%s",
             accept
                 ? ""
                 : "the results are incomplete (stopped early or answers "
                   "missing): pass --accept-incomplete to judge them anyway");
    return v->pass ? 1 : 0;
}

static int write_junit(const struct scenario *sc, const struct verdict *v,
                       size_t n, const char *path)
{
    struct junit_case *cases = xcalloc(n + 1, sizeof(*cases));
    char suite[128];
    snprintf(suite, sizeof(suite), "tollgate check %s", sc->name);
    for (size_t i = 0; i < n; i++)
        cases[i] =
            (struct junit_case){ v[i].text, sc->name,
                                 v[i].pass ? NULL : v[i].message, NULL, 0 };
    int rc = EXIT_OK;
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "tollgate: %s: %s\n", path, strerror(errno));
        rc = EXIT_RUNTIME;
        goto done;
    }
    int e = junit_write(f, suite, cases, n);
    if (fclose(f) != 0 || e != ERR_OK) {
        fprintf(stderr, "tollgate: %s: write failed: %s\n", path,
                strerror(errno));
        rc = EXIT_RUNTIME;
    }
done:
    free(cases);
    return rc;
}

static void print_verdict(FILE *out, const struct scenario *sc,
                          const struct verdict *v, int width, int line)
{
    fprintf(out, "%s  %-*s  measured %s", v->pass ? "PASS" : "FAIL", width,
            v->text, v->shown);
    if (!v->pass && line > 0)
        fprintf(out, "  (%s:%d)", sc->file ? sc->file : "scenario", line);
    if (!v->pass && line == 0 && v->message[0])
        fprintf(out, "  (%s)", v->message);
    fputc('\n', out);
}

int report_check(const struct scenario *sc, const struct summary *s, FILE *out,
                 const char *junit_path, bool accept_incomplete)
{
    /* v[0]: completeness (when the results are incomplete), then rules */
    struct verdict *v = xcalloc(sc->n_expect + 2, sizeof(*v));
    size_t n = 0, failed = 0;
    int width = 0;
    if (complete_verdict(s, accept_incomplete, &v[0]) >= 0) {
        v[0].text = "results complete";
        n++;
    }
    for (size_t i = 0; i < sc->n_expect; i++) {
        v[n + i].text = sc->expect[i].text;
        judge(&sc->expect[i], s, &v[n + i]);
    }
    size_t total = n + sc->n_expect;
    for (size_t i = 0; i < total; i++) {
        int w = (int)strlen(v[i].text);
        width = w > width ? w : width;
    }
    if (sc->n_expect == 0)
        fprintf(out, "no expect: rules in scenario '%s'\n", sc->name);
    if (!s->complete && s->final_lost[REC_ABANDONED_IN_FLIGHT] > 0)
        fprintf(out,
                "note: %lld requests had no answer when the run ended "
                "(complete: false); values cover %.0f s\n",
                (long long)s->final_lost[REC_ABANDONED_IN_FLIGHT],
                s->duration_s);
    else if (!s->complete)
        fprintf(out,
                "note: the run stopped early (complete: false); "
                "values cover %.0f s\n",
                s->duration_s);
    for (size_t i = 0; i < total; i++) {
        failed += !v[i].pass;
        int line = i >= n ? sc->expect[i - n].line : 0;
        print_verdict(out, sc, &v[i], width, line);
    }
    fprintf(out, "%zu passed, %zu failed\n", total - failed, failed);
    int rc = failed ? EXIT_EXPECT : EXIT_OK;
    if (junit_path && write_junit(sc, v, total, junit_path) != EXIT_OK)
        rc = EXIT_RUNTIME;
    free(v);
    return rc;
}

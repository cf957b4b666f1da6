/*
 * report.h - evaluating a scenario's expect: rules against a summary, for
 * `tollgate check` and for `sim`/`run --check`.
 */
#ifndef TOLLGATE_REPORT_H
#define TOLLGATE_REPORT_H

#include <stdbool.h>
#include <stdio.h>

struct scenario;
struct summary;

/*
 * Measures every rule of sc->expect on s and prints one line per rule to
 * out ("PASS  denied(rate_limit) < 5%   measured 3.21%"), then
 * "N passed, M failed".  Results that are not complete (stopped early,
 * answers missing) add a failing verdict "results complete" first,
 * unless accept_incomplete: a partial run's numbers cannot vouch for the
 * scenario.  When junit_path is non-NULL, also writes a JUnit XML report
 * there (one testcase per rule, and one for completeness when it failed
 * or was accepted; classname = scenario name).  Both objects are
 * borrowed.  Returns the process exit status: EXIT_OK when every verdict
 * holds (also when there are no rules), EXIT_EXPECT when any fails,
 * EXIT_RUNTIME when the JUnit file cannot be written (reported on
 * stderr; the rule lines are printed first either way).
 */
int report_check(const struct scenario *sc, const struct summary *s, FILE *out,
                 const char *junit_path, bool accept_incomplete);

#endif

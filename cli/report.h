/*
 * report.h - evaluating a scenario's expect: rules against a summary, for
 * `tollgate check` and for `sim`/`run --check`.
 */
#ifndef TOLLGATE_REPORT_H
#define TOLLGATE_REPORT_H

#include <stdio.h>

struct scenario;
struct summary;

/*
 * Measures every rule of sc->expect on s and prints one line per rule to
 * out ("PASS  denied(rate_limit) < 5%   measured 3.21%"), then
 * "N passed, M failed".  When junit_path is non-NULL, also writes a JUnit
 * XML report there (one testcase per rule, classname = scenario name).
 * Both objects are borrowed.  Returns the process exit status: EXIT_OK
 * when every rule holds (also when there are none), EXIT_EXPECT when any
 * fails, EXIT_RUNTIME when the JUnit file cannot be written (reported on
 * stderr; the rule lines are printed first either way).
 */
int report_check(const struct scenario *sc, const struct summary *s, FILE *out,
                 const char *junit_path);

#endif

/*
 * junit.h - a JUnit XML report writer (the format CI systems read:
 * Jenkins, GitLab, GitHub test reporters).
 *
 * One <testsuites> holding one <testsuite> with tests/failures counts and a
 * <testcase> per case; a failed case carries a <failure message="..."> with
 * an optional text body.  Every string is XML-escaped (& < > " ' in text and
 * attributes, newlines and tabs in attributes as character references) and
 * control characters XML 1.0 cannot carry are written as '?'.
 */
#ifndef TOLLGATE_JUNIT_H
#define TOLLGATE_JUNIT_H

#include <stddef.h>
#include <stdio.h>

#include "core/base/err.h"

struct junit_case {
    const char *name;      /* testcase name, e.g. the rule as written */
    const char *classname; /* e.g. the scenario name */
    const char *failure;   /* NULL when the case passed; else the message */
    const char *detail;    /* optional failure body text; may be NULL */
    double time_s;         /* testcase time attribute, seconds (>= 0) */
};

/*
 * Writes a complete XML document for suite (its name attribute) with the n
 * cases to out (borrowed; not closed).  Returns ERR_OK, or ERR_IO when a
 * write to out failed (errno kept).
 */
int junit_write(FILE *out, const char *suite, const struct junit_case *cases,
                size_t n) WARN_UNUSED;

/* Writes s XML-escaped to out (for text and attribute values alike). */
void junit_escape(FILE *out, const char *s);

#endif

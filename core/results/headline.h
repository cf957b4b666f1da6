/*
 * headline.h - the summary of a run as people read it: two levels side by
 * side, in text for terminals, Markdown for pull requests, JSON for
 * scripts and HTML fragments for the page `tollgate report --html` writes.
 *
 * A capacity planner asks "what share of our requests fail, why, and how
 * long do our users wait?": the request level, each logical request once
 * by its final outcome, latency end to end (retries, backoff and
 * retry-after waits included).  The provider asks how many attempts the
 * API must absorb: the attempt level, every try.  Every headline prints
 * both, labelled "requests (what your callers see)" and "attempts (what
 * the API sees)", each with its denial share, top reasons and p50 / p90 /
 * p99, then retry amplification and goodput; with replications each share
 * carries its 95% confidence half-width.  Optional sections: one row per
 * population, and the full table of reasons at both levels.
 *
 * sim, run, merge and `tollgate report` print through here, so the shape
 * and units are the same whatever produced the results.  Writes to the
 * FILE * it is given; never reads a clock or a file.
 */
#ifndef TOLLGATE_HEADLINE_H
#define TOLLGATE_HEADLINE_H

#include <stdio.h>

#include "core/base/err.h"
#include "core/stats/summary.h"

enum headline_format { HL_TEXT = 0, HL_MARKDOWN, HL_JSON, HL_HTML };

/* Sections (bits). */
enum {
    HL_LEVELS = 1u << 0,  /* the two blocks, amplification and goodput */
    HL_POPS = 1u << 1,    /* one row per population, both levels */
    HL_REASONS = 1u << 2, /* every reason seen, both levels */
};

/* The sections a headline shows by default: the levels, plus the
 * population table when there is more than one population. */
unsigned headline_default_sections(const struct summary *s);

/*
 * Writes the sections of s in format f to out; text lines are indented
 * by two spaces (they follow an engine's own first line); HTML is one
 * <section> with an <h2> and a <table> per section, to be placed in a
 * page's <body>.  Returns ERR_OK
 * or ERR_IO.
 */
int headline_write(FILE *out, const struct summary *s, enum headline_format f,
                   unsigned sections) WARN_UNUSED;

/*
 * Writes s to out with the five characters HTML gives meaning to replaced
 * by entities (& < > " '), so user text (a scenario's or population's
 * name, a scenario file, a warning) is shown as written, in element
 * content and in quoted attribute values alike.  Bytes >= 0x80 pass
 * through (the page is UTF-8).
 */
void headline_html_escape(FILE *out, const char *s);

/* "812ms", "4.07s", "95.2us", "2.5m": three significant digits. */
void headline_fmt_ms(char *buf, size_t len, double ms);

#endif

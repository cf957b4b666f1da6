/*
 * report_html.h - `tollgate report --html`: one self-contained HTML page
 * of a results directory, for people and CI artifacts.
 */
#ifndef TOLLGATE_REPORT_HTML_H
#define TOLLGATE_REPORT_HTML_H

#include <stdbool.h>
#include <stdio.h>

#include "core/base/err.h"

struct summary;

/*
 * Writes the page for results directory dir, whose summary.json is
 * already read into s, to out: the headline sections of s (HL_* bits,
 * through core/results/headline, so the numbers are the terminal's),
 * summary.json's "warnings", the charts of `tollgate plot` drawn as SVG
 * into a temporary directory and inlined, and dir/scenario.yaml.  Both
 * objects are borrowed.  *charts_ok is false when a chart could not be
 * drawn or read (said on stderr; the page names the gap).  Returns ERR_OK,
 * ERR_IO when writing to out failed, or when the temporary directory
 * could not be made (reported on stderr).
 */
int report_html_write(FILE *out, const char *dir, const struct summary *s,
                      unsigned sections, bool *charts_ok) WARN_UNUSED;

#endif

/*
 * warn.h - a list of warnings: things that make a result differ from what
 * the user wrote, but not so much that the input is refused.
 *
 * tollgate's rule is that nothing changes a result silently: a problem is
 * either an error (exit 2) or a warning that `validate`, `sim` and `run`
 * print and that summary.json records ("warnings": [...]).  This list is
 * the one carrier for the second kind.  The scenario validator fills one
 * (struct scenario's warnings), the engines copy it into the summary,
 * results_read reads it back and merge keeps the union.
 *
 * Each warning is one line of text, "WHERE: MESSAGE", WHERE being a
 * location such as "api.yaml:12:7" or an option such as
 * "--duration".  The list keeps insertion order, holds no duplicates (an
 * identical line is added once) and at most WARN_MAX lines; later ones are
 * counted in dropped, so a scenario with a million bad rows cannot make it
 * grow without bound.
 */
#ifndef TOLLGATE_WARN_H
#define TOLLGATE_WARN_H

#include <stddef.h>
#include <stdio.h>

#include "core/base/err.h"

#define WARN_MAX      64   /* lines kept per list */
#define WARN_MAX_TEXT 1024 /* bytes per line, longer ones are cut */

struct warn_list {
    char **items; /* owned, NUL-terminated, no newline */
    size_t n, cap;
    size_t dropped; /* lines beyond WARN_MAX, counted only */
};

/* An empty list (no allocation). */
void warn_list_init(struct warn_list *w);
/* Frees every line; accepts NULL; leaves w empty. */
void warn_list_fini(struct warn_list *w);

/* Adds "where: message" (where NULL or "": just the message), message
 * formatted printf-style; control bytes become spaces so a line stays one
 * line.  Nothing happens when the same line is already there. */
void warn_add(struct warn_list *w, const char *where, const char *fmt, ...)
    PRINTF_LIKE(3, 4);
/* Adds a whole line as it is (a reader's path); same rules as warn_add. */
void warn_add_text(struct warn_list *w, const char *text);

/* dst becomes a copy of src (dst initialised or finalised). */
void warn_list_copy(struct warn_list *dst, const struct warn_list *src);
/* Adds every line of src that dst lacks, in src's order (merge). */
void warn_list_union(struct warn_list *dst, const struct warn_list *src);

/* Writes each line as "prog: warning: LINE\n" (and one more line for
 * dropped ones) to out. */
void warn_list_print(const struct warn_list *w, const char *prog, FILE *out);

#endif

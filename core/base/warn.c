/*
 * warn.c - the warning list (see warn.h).
 *
 * Lines are compared as whole strings, so two places that find the same
 * problem (the scenario and its written-back copy, two shards of one run)
 * give one line.  The list is short (WARN_MAX), so membership is a linear
 * scan; nothing here is on a hot path.
 */
#include "core/base/warn.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

void warn_list_init(struct warn_list *w)
{
    memset(w, 0, sizeof(*w));
}

void warn_list_fini(struct warn_list *w)
{
    if (w == NULL)
        return;
    for (size_t i = 0; i < w->n; i++)
        free(w->items[i]);
    free(w->items);
    warn_list_init(w);
}

static bool has(const struct warn_list *w, const char *text)
{
    for (size_t i = 0; i < w->n; i++)
        if (strcmp(w->items[i], text) == 0)
            return true;
    return false;
}

/* Takes ownership of text (already cleaned). */
static void push(struct warn_list *w, char *text)
{
    if (has(w, text)) {
        free(text);
        return;
    }
    if (w->n == WARN_MAX) {
        w->dropped++;
        free(text);
        return;
    }
    if (w->n == w->cap) {
        w->cap = w->cap ? w->cap * 2 : 4;
        w->items = xrealloc(w->items, w->cap * sizeof(*w->items));
    }
    w->items[w->n++] = text;
}

/* A copy of text cut to WARN_MAX_TEXT - 1 bytes, control bytes as
 * spaces. */
static char *clean(const char *text)
{
    size_t n = strnlen(text, WARN_MAX_TEXT - 1);
    char *s = xstrndup(text, n);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            s[i] = ' ';
    return s;
}

void warn_add_text(struct warn_list *w, const char *text)
{
    push(w, clean(text));
}

void warn_add(struct warn_list *w, const char *where, const char *fmt, ...)
{
    char buf[WARN_MAX_TEXT];
    int at = 0;
    if (where != NULL && where[0] != '\0')
        at = snprintf(buf, sizeof(buf), "%s: ", where);
    if (at < 0 || (size_t)at >= sizeof(buf))
        at = 0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + at, sizeof(buf) - (size_t)at, fmt, ap);
    va_end(ap);
    push(w, clean(buf));
}

void warn_list_copy(struct warn_list *dst, const struct warn_list *src)
{
    warn_list_fini(dst);
    warn_list_union(dst, src);
    dst->dropped = src->dropped;
}

void warn_list_union(struct warn_list *dst, const struct warn_list *src)
{
    for (size_t i = 0; i < src->n; i++)
        push(dst, xstrdup(src->items[i]));
    dst->dropped += src->dropped;
}

void warn_list_print(const struct warn_list *w, const char *prog, FILE *out)
{
    for (size_t i = 0; i < w->n; i++)
        fprintf(out, "%s: warning: %s\n", prog, w->items[i]);
    if (w->dropped > 0)
        fprintf(out, "%s: warning: ... and %zu more warnings not shown\n", prog,
                w->dropped);
}

/*
 * scenario_diag.c - collecting and printing scenario diagnostics.
 *
 * Every problem is recorded with the location of the YAML node it is
 * about and the dotted key of that node, and parsing goes on, so one run
 * of `tollgate validate` shows every error of a file.  At most
 * SCN_MAX_DIAGS are kept (the rest are counted) so that a file with a
 * million bad lines cannot make the list grow without bound.
 *
 * Also here: the dotted-key path stack used while walking the tree, and
 * the edit-distance "did you mean" helper.
 */
#include "core/scenario/scenario_int.h"
#include "core/base/suggest.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void scn_diags_init(struct scn_diags *d, const char *file)
{
    memset(d, 0, sizeof(*d));
    d->file = xstrdup(file ? file : "<scenario>");
}

void scn_diags_fini(struct scn_diags *d)
{
    if (d == NULL)
        return;
    for (size_t i = 0; i < d->n; i++) {
        free(d->items[i].key);
        free(d->items[i].message);
    }
    free(d->items);
    free(d->file);
    memset(d, 0, sizeof(*d));
}

void scn_diags_print(const struct scn_diags *d, FILE *out)
{
    for (size_t i = 0; i < d->n; i++) {
        const struct scn_diag *g = &d->items[i];
        if (g->loc.line > 0)
            fprintf(out, "%s:%d:%d: error: ", d->file, g->loc.line, g->loc.col);
        else
            fprintf(out, "%s: error: ", d->file);
        if (g->key && g->key[0])
            fprintf(out, "%s: ", g->key);
        fprintf(out, "%s\n", g->message);
    }
    if (d->dropped)
        fprintf(out, "%s: error: ... and %zu more errors not shown\n", d->file,
                d->dropped);
}

/* Appends s to buf (len bytes, pos used), truncating; keeps it
 * terminated. */
static void append(char *buf, size_t len, size_t *pos, const char *s)
{
    size_t n = strlen(s);
    if (*pos + 1 >= len)
        return;
    if (n > len - *pos - 1)
        n = len - *pos - 1;
    memcpy(buf + *pos, s, n);
    *pos += n;
    buf[*pos] = '\0';
}

char *scn_diags_fmt(char *buf, size_t len, const struct scn_diags *d)
{
    size_t pos = 0;
    if (len == 0)
        return buf;
    buf[0] = '\0';
    for (size_t i = 0; i < d->n; i++) {
        const struct scn_diag *g = &d->items[i];
        char at[32] = "";
        if (g->loc.line > 0)
            snprintf(at, sizeof(at), ":%d:%d", g->loc.line, g->loc.col);
        append(buf, len, &pos, i ? "; " : "");
        append(buf, len, &pos, d->file);
        append(buf, len, &pos, at);
        append(buf, len, &pos, ": ");
        if (g->key && g->key[0]) {
            append(buf, len, &pos, g->key);
            append(buf, len, &pos, ": ");
        }
        append(buf, len, &pos, g->message);
    }
    if (d->dropped) {
        char more[48];
        snprintf(more, sizeof(more), "; and %zu more", d->dropped);
        append(buf, len, &pos, more);
    }
    return buf;
}

static void add(struct scn_diags *d, struct scn_loc loc, const char *key,
                const char *msg)
{
    if (d->n >= SCN_MAX_DIAGS) {
        d->dropped++;
        return;
    }
    if (d->n == d->cap) {
        d->cap = d->cap ? d->cap * 2 : 8;
        d->items = xrealloc(d->items, d->cap * sizeof(*d->items));
    }
    struct scn_diag *g = &d->items[d->n++];
    g->loc = loc;
    g->key = xstrdup(key);
    g->message = xstrdup(msg);
}

static void verr(struct scn_ctx *c, const struct ynode *n, const char *sub,
                 const char *fmt, va_list ap)
{
    char msg[1024], key[SCN_PATH_MAX + SCN_MAX_NAME + 2];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    snprintf(key, sizeof(key), "%s%s%s", c->path, sub && c->path_len ? "." : "",
             sub ? sub : "");
    struct scn_loc loc = { 0, 0 };
    if (n && n->ovr >= 0 && (size_t)n->ovr < c->n_ovr) {
        size_t len = strlen(msg);
        snprintf(msg + len, sizeof(msg) - len, " (from --set %s=%s)",
                 c->ovr[n->ovr].key, c->ovr[n->ovr].value);
    } else if (n) {
        loc = n->loc;
    }
    add(c->d, loc, key, msg);
}

void scn_err(struct scn_ctx *c, const struct ynode *n, const char *sub,
             const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    verr(c, n, sub, fmt, ap);
    va_end(ap);
    if (c->rc == ERR_OK)
        c->rc = ERR_INVAL;
}

void scn_warn(struct scn_ctx *c, const struct ynode *n, const char *sub,
              const char *fmt, ...)
{
    char msg[1024], where[SCN_PATH_MAX + 64];
    if (c->names_fixed) /* sc is someone else's, read-only */
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    bool from_set = n && n->ovr >= 0 && (size_t)n->ovr < c->n_ovr;
    if (n && !from_set && n->loc.line > 0)
        snprintf(where, sizeof(where), "%s:%d:%d", c->d->file, n->loc.line,
                 n->loc.col);
    else
        snprintf(where, sizeof(where), "%s", c->d->file);
    if (from_set) {
        size_t len = strlen(msg);
        snprintf(msg + len, sizeof(msg) - len, " (from --set %s=%s)",
                 c->ovr[n->ovr].key, c->ovr[n->ovr].value);
    }
    const char *key = c->path;
    warn_add(&c->sc->warnings, where, "%s%s%s%s%s", key,
             sub && c->path_len ? "." : "", sub ? sub : "",
             key[0] || sub ? ": " : "", msg);
}

void scn_err_toobig(struct scn_ctx *c, const struct ynode *n, const char *sub,
                    const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    verr(c, n, sub, fmt, ap);
    va_end(ap);
    c->rc = ERR_TOOBIG;
}

/* ---- the dotted key ----------------------------------------------------- */

size_t scn_path_key(struct scn_ctx *c, const char *key)
{
    size_t mark = c->path_len;
    int n = snprintf(c->path + c->path_len, sizeof(c->path) - c->path_len,
                     "%s%s", c->path_len ? "." : "", key);
    if (n > 0)
        c->path_len += (size_t)n;
    if (c->path_len >= sizeof(c->path))
        c->path_len = sizeof(c->path) - 1;
    return mark;
}

size_t scn_path_index(struct scn_ctx *c, size_t i)
{
    size_t mark = c->path_len;
    int n = snprintf(c->path + c->path_len, sizeof(c->path) - c->path_len,
                     "[%zu]", i);
    if (n > 0)
        c->path_len += (size_t)n;
    if (c->path_len >= sizeof(c->path))
        c->path_len = sizeof(c->path) - 1;
    return mark;
}

void scn_path_pop(struct scn_ctx *c, size_t mark)
{
    c->path_len = mark;
    c->path[mark] = '\0';
}

/* ---- did you mean ----------------------------------------------------------
 */

const char *scn_suggest(const char *s, const char *const *names)
{
    return suggest_near(s, names);
}

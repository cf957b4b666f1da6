/*
 * template.c - compile-once, render-many request templates.
 *
 * Compilation splits the source at "${name}" into segments; "$$" becomes
 * one literal '$'.  Rendering walks the segments and appends to a reused
 * buffer, so a worker renders each request's path, headers and body with
 * no allocation after warm-up.  Integers are formatted by hand (no
 * snprintf on the hot path).  The filler text for ${prompt} is a fixed
 * 64-byte phrase repeated and cut, which keeps it JSON-, header- and
 * URL-safe and costs one memcpy per 64 bytes.
 */
#include "loadgen/template.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/scenario/scenario.h"

/* The names are the scenario's (core/scenario/scenario.h), in enum order. */
_Static_assert(TPL_VAR_COUNT == SCN_TPL_N_VARS + 1,
               "enum tpl_var and scn_tpl_vars disagree");

static const char *var_name(enum tpl_var v)
{
    return scn_tpl_vars[v - 1];
}

static const char filler[] =
    "the quick brown fox jumps over the lazy dog and keeps on running ";

void tpl_buf_reset(struct tpl_buf *b)
{
    b->len = 0;
    if (b->p)
        b->p[0] = '\0';
}

static void reserve(struct tpl_buf *b, size_t extra)
{
    if (b->len + extra + 1 <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra + 1)
        cap *= 2;
    b->p = xrealloc(b->p, cap);
    b->cap = cap;
}

void tpl_buf_append(struct tpl_buf *b, const char *s, size_t n)
{
    reserve(b, n);
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void tpl_buf_fini(struct tpl_buf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

static void add_seg(struct tpl *t, size_t *cap, enum tpl_var var, size_t off,
                    size_t len)
{
    if (var == TPL_LITERAL && len == 0)
        return;
    if (var == TPL_LITERAL && t->n_segs > 0 &&
        t->segs[t->n_segs - 1].var == TPL_LITERAL) {
        t->segs[t->n_segs - 1].len += len; /* literals are contiguous */
        return;
    }
    if (t->n_segs == *cap) {
        *cap = *cap ? *cap * 2 : 8;
        t->segs = xrealloc(t->segs, *cap * sizeof(*t->segs));
    }
    t->segs[t->n_segs++] = (struct tpl_seg){ var, off, len };
    if (var != TPL_LITERAL)
        t->uses |= 1u << var;
}

static enum tpl_var lookup(const char *name, size_t n)
{
    for (int v = 1; v < TPL_VAR_COUNT; v++)
        if (strlen(var_name((enum tpl_var)v)) == n &&
            memcmp(var_name((enum tpl_var)v), name, n) == 0)
            return (enum tpl_var)v;
    return TPL_LITERAL;
}

/* Parses the "${...}" at src + i; returns the bytes consumed or 0. */
static size_t parse_var(const char *src, size_t i, enum tpl_var *out, char *err,
                        size_t err_len)
{
    const char *close = strchr(src + i + 2, '}');
    if (!close) {
        snprintf(err, err_len, "offset %zu: '${' without closing '}'", i);
        return 0;
    }
    size_t n = (size_t)(close - (src + i + 2));
    *out = lookup(src + i + 2, n);
    if (*out == TPL_LITERAL) {
        char names[256] = "";
        for (int v = 1; v < TPL_VAR_COUNT; v++) {
            size_t used = strlen(names);
            snprintf(names + used, sizeof(names) - used, "%s%s",
                     v == 1                   ? ""
                     : v == TPL_VAR_COUNT - 1 ? " or "
                                              : ", ",
                     var_name((enum tpl_var)v));
        }
        snprintf(err, err_len,
                 "offset %zu: unknown variable '${%.*s}' (expected %s)", i,
                 (int)(n > 40 ? 40 : n), src + i + 2, names);
        return 0;
    }
    return n + 3;
}

int tpl_compile(const char *src, struct tpl *t, char *err, size_t err_len)
{
    memset(t, 0, sizeof(*t));
    if (err_len > 0)
        err[0] = '\0';
    size_t n = strlen(src), cap = 0, out = 0;
    t->text = xmalloc(n + 1);
    for (size_t i = 0; i < n;) {
        if (src[i] != '$') {
            t->text[out] = src[i++];
            add_seg(t, &cap, TPL_LITERAL, out++, 1);
        } else if (src[i + 1] == '$') {
            t->text[out] = '$';
            add_seg(t, &cap, TPL_LITERAL, out++, 1);
            i += 2;
        } else if (src[i + 1] == '{') {
            enum tpl_var v;
            size_t used = parse_var(src, i, &v, err, err_len);
            if (used == 0)
                goto fail;
            add_seg(t, &cap, v, 0, 0);
            i += used;
        } else {
            snprintf(err, err_len,
                     "offset %zu: '$' must start '${name}' or be doubled", i);
            goto fail;
        }
    }
    t->text[out] = '\0';
    return ERR_OK;
fail:
    tpl_fini(t);
    return ERR_PARSE;
}

void tpl_fini(struct tpl *t)
{
    if (!t)
        return;
    free(t->text);
    free(t->segs);
    memset(t, 0, sizeof(*t));
}

int tpl_is_constant(const struct tpl *t)
{
    return t->uses == 0;
}

static void append_u64(struct tpl_buf *b, uint64_t v)
{
    char tmp[24];
    size_t n = 0;
    do {
        tmp[sizeof(tmp) - 1 - n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    tpl_buf_append(b, tmp + sizeof(tmp) - n, n);
}

static void append_i64(struct tpl_buf *b, int64_t v)
{
    if (v < 0) {
        tpl_buf_append(b, "-", 1);
        append_u64(b, (uint64_t)0 - (uint64_t)v);
        return;
    }
    append_u64(b, (uint64_t)v);
}

static void append_str(struct tpl_buf *b, const char *s)
{
    if (s)
        tpl_buf_append(b, s, strlen(s));
}

void tpl_filler(int64_t tokens, struct tpl_buf *b)
{
    if (tokens <= 0)
        return;
    size_t want = TPL_MAX_PROMPT_BYTES;
    if (tokens < TPL_MAX_PROMPT_BYTES / TPL_CHARS_PER_TOKEN)
        want = (size_t)tokens * TPL_CHARS_PER_TOKEN;
    reserve(b, want);
    size_t unit = sizeof(filler) - 1;
    while (want > 0) {
        size_t n = want < unit ? want : unit;
        tpl_buf_append(b, filler, n);
        want -= n;
    }
}

void tpl_render(const struct tpl *t, const struct tpl_vars *v,
                struct tpl_buf *b)
{
    reserve(b, 0);
    b->p[b->len] = '\0';
    for (size_t i = 0; i < t->n_segs; i++) {
        const struct tpl_seg *s = &t->segs[i];
        switch (s->var) {
        case TPL_LITERAL: tpl_buf_append(b, t->text + s->off, s->len); break;
        case TPL_KEY:
            if (v->key)
                tpl_buf_append(b, v->key, v->key_len);
            break;
        case TPL_MODEL: append_str(b, v->model); break;
        case TPL_REGION: append_str(b, v->region); break;
        case TPL_ACCOUNT: append_i64(b, v->account); break;
        case TPL_PROMPT:
            if (v->violation)
                tpl_buf_append(b, TPL_MARK_VIOLATION,
                               sizeof(TPL_MARK_VIOLATION) - 1);
            if (v->bad_request)
                tpl_buf_append(b, TPL_MARK_BAD_REQUEST,
                               sizeof(TPL_MARK_BAD_REQUEST) - 1);
            tpl_filler(v->prompt_tokens, b);
            break;
        case TPL_PROMPT_TOKENS: append_i64(b, v->prompt_tokens); break;
        case TPL_COMPLETION_TOKENS: append_i64(b, v->completion_tokens); break;
        case TPL_REQUEST_ID: append_u64(b, v->request_id); break;
        case TPL_VAR_COUNT: break;
        }
    }
}

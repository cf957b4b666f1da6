/*
 * template.h - request templates of the scenario's live block.
 *
 * A template ("/v1/${model}/chat", "Authorization: Bearer ${key}", a JSON
 * body) is compiled once into literal and variable segments; rendering a
 * request then appends segments into a caller-owned growable buffer with
 * no allocation once the buffer has reached its working size.
 *
 * Variables: ${key} ${model} ${region} ${account} ${prompt}
 * ${prompt_tokens} ${completion_tokens} ${request_id}, named once in
 * core/scenario/scenario.h (scn_tpl_vars, in the order of enum tpl_var).
 * ${prompt} is filler text of about 4 characters per prompt token (bounded by
 * TPL_MAX_PROMPT_BYTES), made of lower-case words and spaces so that it is
 * safe inside a JSON string, a header or a URL query.  "$$" writes a
 * literal '$'.  Anything else after '$' is an error at compile time.
 */
#ifndef TOLLGATE_TEMPLATE_H
#define TOLLGATE_TEMPLATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/base/err.h"

#define TPL_MAX_PROMPT_BYTES (256 * 1024)

/* Markers that ${prompt} starts with when the request is flagged as a
 * content violation or as malformed: `tollgate serve` cannot see the
 * simulator's coin flips, so the body carries them (the same strings as
 * serve's SERVE_MARK_*; tests/unit/test_template.c checks they agree). */
#define TPL_MARK_VIOLATION   "[tollgate:violation]"
#define TPL_MARK_BAD_REQUEST "[tollgate:bad_request]"
#define TPL_CHARS_PER_TOKEN  4

enum tpl_var {
    TPL_LITERAL = 0,
    TPL_KEY,
    TPL_MODEL,
    TPL_REGION,
    TPL_ACCOUNT,
    TPL_PROMPT,
    TPL_PROMPT_TOKENS,
    TPL_COMPLETION_TOKENS,
    TPL_REQUEST_ID,
    TPL_VAR_COUNT
};

struct tpl_seg {
    enum tpl_var var;
    size_t off, len; /* TPL_LITERAL: bytes of tpl.text */
};

struct tpl {
    char *text; /* literal bytes, concatenated */
    struct tpl_seg *segs;
    size_t n_segs;
    unsigned uses; /* bit (1 << var) set for every variable used */
};

/* The values of one request.  Strings are borrowed for the call. */
struct tpl_vars {
    const char *key;
    size_t key_len;
    const char *model;
    const char *region;
    int64_t account;
    int64_t prompt_tokens;
    int64_t completion_tokens;
    uint64_t request_id;
    bool violation;   /* ${prompt} starts with TPL_MARK_VIOLATION */
    bool bad_request; /* ${prompt} starts with TPL_MARK_BAD_REQUEST */
};

/* A growable output buffer (caller's storage; tpl_buf_fini releases). */
struct tpl_buf {
    char *p;
    size_t len, cap;
};

/* Compiles src into t (caller's storage).  On ERR_PARSE writes what is
 * wrong, with the byte offset, into err (always NUL-terminated). */
int tpl_compile(const char *src, struct tpl *t, char *err,
                size_t err_len) WARN_UNUSED;
void tpl_fini(struct tpl *t);

/* True when the template has no variables (render once, reuse). */
int tpl_is_constant(const struct tpl *t);

/* Appends the rendering of t with v to b and NUL-terminates b (the NUL is
 * not counted in b->len).  Never fails (out of memory aborts). */
void tpl_render(const struct tpl *t, const struct tpl_vars *v,
                struct tpl_buf *b);

/* Appends the ${prompt} filler for n tokens. */
void tpl_filler(int64_t tokens, struct tpl_buf *b);

void tpl_buf_reset(struct tpl_buf *b);
void tpl_buf_append(struct tpl_buf *b, const char *s, size_t n);
void tpl_buf_fini(struct tpl_buf *b);

#endif

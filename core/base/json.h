/*
 * json.h - a small JSON writer, a bounded DOM parser and a cursor.
 *
 * Parser: json_parse() tokenises a whole document into a caller-provided
 * array of nodes (no allocation), in document order.  Strings and numbers
 * point into the input text, which must outlive the document; string
 * escapes are decoded on demand (json_str_copy).  Hard limits: input bytes,
 * nesting depth and node count, reported as ERR_TOOBIG; malformed input
 * (RFC 8259, no extensions) is ERR_PARSE with the byte offset in
 * doc->err_pos.  Used on serve's and loadgen's hot paths, so it is a single
 * pass with no allocation.
 *
 * Node handles are int indices into doc->nodes; -1 means "absent", and every
 * accessor accepts -1 and answers "absent / wrong type".  Object children
 * alternate key (a JSON_STRING node) and value.
 *
 * Cursor: struct json_cur reads a document in one validating pass without
 * building it (see "cursor" below).
 *
 * Writer: struct json_w writes pretty or compact JSON to a FILE *,
 * remembering the first I/O error; numbers are written with the shortest
 * text that reads back to the same double.
 */
#ifndef TOLLGATE_JSON_H
#define TOLLGATE_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/base/err.h"

#define JSON_MAX_BYTES_DEFAULT (16u * 1024 * 1024)
#define JSON_MAX_DEPTH_DEFAULT 64
#define JSON_NUM_MAX_CHARS     512 /* longer number literals: ERR_TOOBIG */

enum json_type {
    JSON_NULL = 0,
    JSON_FALSE,
    JSON_TRUE,
    JSON_NUMBER,
    JSON_STRING,
    JSON_ARRAY,
    JSON_OBJECT
};

struct json_node {
    const char *p;   /* string: first byte after the quote (raw, escaped);
                        number: literal text; containers: the bracket */
    double num;      /* JSON_NUMBER: value */
    uint32_t len;    /* string/number: raw bytes; containers: children
                        (an object counts keys and values) */
    uint32_t next;   /* index of the next sibling; 0: none */
    uint8_t type;    /* enum json_type */
    uint8_t escaped; /* string contains backslash escapes */
};

struct json_doc {
    const char *text;
    size_t len;
    struct json_node *nodes; /* borrowed */
    size_t n_nodes;
    size_t err_pos; /* byte offset of the error after a failed parse */
};

/*
 * Parses text[0..len) into nodes[0..max_nodes) and sets *doc (node 0 is the
 * root).  max_bytes and max_depth of 0 mean the defaults above.  Returns
 * ERR_OK, ERR_PARSE (malformed, trailing garbage, bad escape, lone
 * surrogate escape, control character in a string, truncated input,
 * non-finite number), ERR_TOOBIG (len > max_bytes, depth > max_depth, more
 * than max_nodes values, number literal longer than JSON_NUM_MAX_CHARS).
 */
int json_parse(struct json_doc *doc, const char *text, size_t len,
               struct json_node *nodes, size_t max_nodes, size_t max_bytes,
               int max_depth) WARN_UNUSED;

/* Type of node i; JSON_NULL for -1 (check json_ok for presence). */
enum json_type json_type(const struct json_doc *d, int i);
bool json_ok(const struct json_doc *d, int i); /* i is a node */

/* Value of member key in object obj; -1 if absent or obj not an object.
 * Keys are compared after escape decoding. */
int json_get(const struct json_doc *d, int obj, const char *key);
/* Element idx of array arr; -1 if out of range / not an array. */
int json_at(const struct json_doc *d, int arr, size_t idx);
/* Children: elements of an array, or keys and values of an object. */
size_t json_len(const struct json_doc *d, int i);
/* First child of a container (-1 if none) and the next sibling of a child
 * (-1 at the end).  For objects: key k, value k + 1, next key
 * json_next(d, k + 1). */
int json_child(const struct json_doc *d, int i);
int json_next(const struct json_doc *d, int i);

/* Accessors: false (out untouched) when i is absent or of another type.
 * json_int64 also fails for non-integers and values outside int64. */
bool json_num(const struct json_doc *d, int i, double *out);
bool json_int64(const struct json_doc *d, int i, int64_t *out);
bool json_bool(const struct json_doc *d, int i, bool *out);
/* True when string node i equals s (escapes decoded). */
bool json_str_eq(const struct json_doc *d, int i, const char *s);
/*
 * Decodes string node i into buf (NUL-terminated, UTF-8).  Returns
 * ERR_OK, ERR_INVAL (not a string) or ERR_TOOBIG (does not fit; buf holds
 * a truncated prefix).  *out_len (may be NULL) receives the decoded length.
 */
int json_str_copy(const struct json_doc *d, int i, char *buf, size_t cap,
                  size_t *out_len) WARN_UNUSED;

/* Convenience lookups of a path of object keys ("error", "type"):
 * json_path(d, root, "error", "type", NULL) -> node or -1. */
int json_path(const struct json_doc *d, int i, ...);

/* ---- writer -------------------------------------------------------------- */

#define JSON_W_MAX_DEPTH 32

struct json_w {
    FILE *out;
    bool pretty;
    int depth;
    bool need_comma[JSON_W_MAX_DEPTH + 1];
    bool after_key;
    int err;         /* first error: ERR_IO (errno kept), ERR_RANGE (depth) */
    int saved_errno; /* errno of the first failed write */
};

void json_w_init(struct json_w *w, FILE *out, bool pretty);
void json_w_obj_begin(struct json_w *w);
void json_w_obj_end(struct json_w *w);
void json_w_arr_begin(struct json_w *w);
void json_w_arr_end(struct json_w *w);
/* Object key; the next call writes its value. */
void json_w_key(struct json_w *w, const char *key);
void json_w_str(struct json_w *w, const char *s);
void json_w_strn(struct json_w *w, const char *s, size_t len);
/* Shortest round-trip text; NaN and infinities are written as null. */
void json_w_num(struct json_w *w, double v);
void json_w_int(struct json_w *w, int64_t v);
void json_w_uint(struct json_w *w, uint64_t v);
void json_w_bool(struct json_w *w, bool v);
void json_w_null(struct json_w *w);
/* Ends the document (newline when pretty) and returns the first error. */
int json_w_finish(struct json_w *w) WARN_UNUSED;

/*
 * Scans the JSON string literal whose opening quote is at *p (*p < end),
 * validating it exactly as json_parse does (no raw control characters,
 * valid escapes, surrogates paired).  On success returns true with *p just
 * past the closing quote, *len the raw bytes between the quotes and
 * *escaped whether they hold an escape; on failure returns false with *p
 * where the scan stopped.  For readers that pick values out of a document
 * without building one (serve's fast request path).
 */
bool json_scan_string(const char **p, const char *end, size_t *len,
                      bool *escaped);

/* ---- cursor -----------------------------------------------------------------
 *
 * A validating scan without a document, for readers that pick a few
 * members out of a document and skip the rest (serve's request bodies,
 * loadgen's error bodies).  The cursor walks text[0..len) value by value;
 * every call validates what it passes over exactly as json_parse does
 * (RFC 8259 strings, numbers, literals and nesting; the same depth rule
 * and JSON_NUM_MAX_CHARS), builds nothing and allocates nothing.  It
 * never reads text[len] or beyond, so text need not be NUL-terminated.
 *
 * Reading a document:
 *
 *     struct json_cur c;
 *     struct json_str key;
 *     json_cur_init(&c, text, len, 0);
 *     if (json_cur_open(&c, '{'))
 *         while (json_cur_next(&c, &key))
 *             if (key is wanted) read it (json_cur_string, ...)
 *             else json_cur_skip(&c);
 *     ok = json_cur_end(&c);       (whole document valid and consumed)
 *
 * json_cur_next consumes the ',' between items, and the key and ':' of
 * an object member; it returns false at the container's closing bracket
 * (consumed) or on an error.  Exactly one value must be read or skipped
 * after each json_cur_next that returned true.
 *
 * Errors are sticky: the first failure sets c->err (ERR_PARSE malformed
 * or truncated, ERR_TOOBIG depth over max_depth or a number literal over
 * JSON_NUM_MAX_CHARS) and c->p where it stopped; every later call then
 * fails.  A reader may stop early (a cut-off body): what it read before
 * the failure stays valid. */

#define JSON_CUR_MAX_DEPTH 64 /* cap of max_depth */

/* The hot steps below are inlined into their readers (see "inline
 * steps"); GCC otherwise keeps json_cur_next out of line. */
#if defined(__GNUC__)
#define JSON_CUR_INLINE static inline __attribute__((always_inline))
#else
#define JSON_CUR_INLINE static inline
#endif

struct json_cur {
    const char *p;   /* next byte */
    const char *end; /* text + len */
    int depth;       /* containers open */
    int max_depth;
    bool first;    /* just opened: no ',' before the next item */
    int err;       /* ERR_OK until the first failure */
    uint64_t objs; /* bit d: the container at depth d + 1 is an object */
};

/* A string as it appears in the text: the raw bytes between the quotes
 * (escapes not decoded; escaped says whether there are any). */
struct json_str {
    const char *p;
    size_t len;
    bool escaped;
};

/* A number: its literal text, value, and whether it is an integer
 * literal (no fraction, no exponent). */
struct json_num {
    const char *p;
    size_t len;
    double v;
    bool is_int;
};

/* A cursor at the start of text[0..len); max_depth 0 means
 * JSON_MAX_DEPTH_DEFAULT, and is capped at JSON_CUR_MAX_DEPTH. */
void json_cur_init(struct json_cur *c, const char *text, size_t len,
                   int max_depth);

/* Skips whitespace and returns the next byte (the first of the next
 * value, or a bracket or comma), or -1 at the end of the text or after
 * an error.  Does not fail by itself.  Inline: readers call it before
 * every value, and compact JSON has no whitespace to skip. */
static inline int json_cur_peek(struct json_cur *c);

/* Enters the object ('{') or array ('[') at the cursor; fails when the
 * next value is not one, or at the depth limit. */
static inline bool json_cur_open(struct json_cur *c, char bracket);

/* The next item of the innermost open container: true with the cursor at
 * its value (and, in an object, *key filled; key may be NULL), false at
 * the closing bracket (consumed) or on an error (c->err set). */
JSON_CUR_INLINE bool json_cur_next(struct json_cur *c, struct json_str *key);

/* Reads the string at the cursor; fails when the next value is not a
 * valid string.  out may be NULL. */
static inline bool json_cur_string(struct json_cur *c, struct json_str *out);

/* Reads the number at the cursor (finite, as json_parse); out may be
 * NULL. */
JSON_CUR_INLINE bool json_cur_number(struct json_cur *c, struct json_num *out);

/* Validates and skips the value at the cursor, whatever it is. */
bool json_cur_skip(struct json_cur *c);

/* True when no error occurred, every container is closed and only
 * whitespace is left. */
bool json_cur_end(struct json_cur *c);

/* ---- cursor: inline steps --------------------------------------------------
 * The steps a reader takes for every member (peek, open, next, string)
 * are defined here so that they inline into the reader: serve's request
 * reader calls them a dozen times per request. */

/* Records the first error (sticky) and returns false. */
bool json_cur_fail(struct json_cur *c, int err);

/* p after whitespace (compact JSON has none: one test). */
static inline const char *json_cur_ws_(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
        p++;
    return p;
}

static inline int json_cur_peek(struct json_cur *c)
{
    if (c->err != ERR_OK)
        return -1;
    c->p = json_cur_ws_(c->p, c->end);
    return c->p < c->end ? (unsigned char)*c->p : -1;
}

static inline bool json_cur_open(struct json_cur *c, char bracket)
{
    if (json_cur_peek(c) != (unsigned char)bracket ||
        (bracket != '{' && bracket != '[')) {
        json_cur_fail(c, ERR_PARSE);
        return false;
    }
    if (c->depth >= c->max_depth) {
        json_cur_fail(c, ERR_TOOBIG);
        return false;
    }
    uint64_t bit = 1ULL << c->depth;
    c->objs = bracket == '{' ? c->objs | bit : c->objs & ~bit;
    c->depth++;
    c->p++;
    c->first = true;
    return true;
}

/* The hot step of every reader, so it works on a local pointer and
 * stores the cursor once. */
JSON_CUR_INLINE bool json_cur_next(struct json_cur *c, struct json_str *key)
{
    if (c->err != ERR_OK || c->depth == 0) {
        json_cur_fail(c, ERR_PARSE);
        return false;
    }
    const char *end = c->end, *p = json_cur_ws_(c->p, end);
    bool obj = (c->objs >> (c->depth - 1)) & 1;
    if (p == end)
        goto bad;
    if (*p == (obj ? '}' : ']')) {
        c->p = p + 1;
        c->depth--;
        c->first = false; /* the container was a value of its parent */
        return false;
    }
    if (!c->first) {
        if (*p != ',')
            goto bad;
        p = json_cur_ws_(p + 1, end);
    }
    c->first = false;
    if (obj) {
        struct json_str k;
        if (p == end || *p != '"')
            goto bad;
        k.p = p + 1;
        if (!json_scan_string(&p, end, &k.len, &k.escaped))
            goto bad;
        p = json_cur_ws_(p, end);
        if (p == end || *p != ':')
            goto bad;
        p++;
        if (key != NULL)
            *key = k;
    } else if (key != NULL) {
        *key = (struct json_str){ NULL, 0, false }; /* arrays have none */
    }
    c->p = p;
    return true;
bad:
    c->p = p;
    {
        json_cur_fail(c, ERR_PARSE);
        return false;
    }
}

static inline bool json_cur_string(struct json_cur *c, struct json_str *out)
{
    if (c->err != ERR_OK)
        return false;
    const char *p = json_cur_ws_(c->p, c->end);
    if (p == c->end || *p != '"') {
        c->p = p;
        {
            json_cur_fail(c, ERR_PARSE);
            return false;
        }
    }
    struct json_str s = { p + 1, 0, false };
    bool ok = json_scan_string(&p, c->end, &s.len, &s.escaped);
    c->p = p;
    if (!ok) {
        json_cur_fail(c, ERR_PARSE);
        return false;
    }
    if (out != NULL)
        *out = s;
    return true;
}

/* json_cur_number past its common case (the cursor at the first byte). */
bool json_cur_number_(struct json_cur *c, struct json_num *out);

/* The common case inline: a short non-negative integer (a count) -- at
 * most 15 digits, no leading zero, then neither a fraction nor an
 * exponent; anything else is json_cur_number_'s. */
JSON_CUR_INLINE bool json_cur_number(struct json_cur *c, struct json_num *out)
{
    if (json_cur_peek(c) < 0) {
        json_cur_fail(c, ERR_PARSE);
        return false;
    }
    const char *start = c->p, *end = c->end, *e = start;
    int64_t acc = 0;
    while (e < end && *e >= '0' && *e <= '9' && e - start < 15)
        acc = acc * 10 + (*e++ - '0');
    if (e == start || (*start == '0' && e - start > 1) ||
        (e < end &&
         (*e == '.' || *e == 'e' || *e == 'E' || (*e >= '0' && *e <= '9'))))
        return json_cur_number_(c, out);
    c->p = e;
    if (out != NULL)
        *out =
            (struct json_num){ start, (size_t)(e - start), (double)acc, true };
    return true;
}

/*
 * Escapes s[0..len) as the inside of a JSON string (no quotes) into dst
 * (cap bytes, NUL-terminated).  Returns the escaped length, or (size_t)-1
 * when it does not fit.  For building response bodies in buffers.
 */
size_t json_escape(char *dst, size_t cap, const char *s, size_t len);

/* Formats v with the shortest round-trip %g precision into buf (at least
 * 32 bytes); non-finite values give "null".  Returns buf. */
char *json_fmt_num(char *buf, size_t len, double v);

#endif

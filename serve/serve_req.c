/*
 * serve_req.c - request body extraction for the policy model.
 *
 * Two readers with one meaning.  The fast path is a single validating
 * scan that builds nothing and picks out what the policy needs on the way
 * (serve answers tens of thousands of bodies a second); whenever it meets
 * something it does not handle exactly -- a syntax error, an escaped key
 * or model name, a repeated member it reads, a max_tokens that is not a
 * plain non-negative integer, a number with an exponent, deep nesting, a
 * root that is not an object -- it gives up and the full reader decides.
 * So the fast path only ever answers for valid JSON, and every error,
 * including the 400 of a malformed body, comes from the full reader.
 *
 * The full reader parses with core/base/json's DOM parser into a node array on
 * the stack (enough for ordinary chats); a body with more JSON values than
 * that is parsed again with a heap array sized from its length (at most
 * one value per byte), so a large but valid body is never mistaken for a
 * malformed one.  Depth is bounded by REQ_MAX_DEPTH, which no real API
 * body comes near.  tests/unit/test_serve.c checks that both readers agree
 * on mutated bodies.
 *
 * What counts as prompt text: chat messages[].content (a string, or the
 * "text" of content parts), Anthropic system (string or text blocks) and
 * messages[].content likewise, completions prompt (a string or an array of
 * strings).  Required members: messages for chat and messages (Anthropic
 * also max_tokens), prompt for completions.
 */
#include "serve/serve_req.h"

#include <stdlib.h>
#include <string.h>

#include "core/base/json.h"

#define REQ_STACK_NODES 1024
#define REQ_MAX_DEPTH   32

/* Bytes of text in a string node, or in the text members of an array of
 * content blocks ({"type":"text","text":"..."}). */
static size_t text_bytes(const struct json_doc *d, int v, bool *bad)
{
    if (json_type(d, v) == JSON_STRING)
        return d->nodes[v].len;
    if (json_type(d, v) != JSON_ARRAY) {
        *bad = true;
        return 0;
    }
    size_t n = 0;
    for (int e = json_child(d, v); e >= 0; e = json_next(d, e)) {
        if (json_type(d, e) == JSON_STRING)
            n += d->nodes[e].len;
        else if (json_type(d, e) == JSON_OBJECT) {
            int t = json_get(d, e, "text");
            if (json_type(d, t) == JSON_STRING)
                n += d->nodes[t].len;
        } else {
            *bad = true;
        }
    }
    return n;
}

static size_t messages_bytes(const struct json_doc *d, int msgs, bool *bad)
{
    if (json_type(d, msgs) != JSON_ARRAY) {
        *bad = true;
        return 0;
    }
    size_t n = 0;
    for (int m = json_child(d, msgs); m >= 0; m = json_next(d, m)) {
        int c = json_get(d, m, "content");
        if (json_type(d, m) != JSON_OBJECT || !json_ok(d, c)) {
            *bad = true;
            continue;
        }
        n += text_bytes(d, c, bad);
    }
    return n;
}

static void read_max_tokens(const struct json_doc *d, enum serve_route route,
                            struct serve_req_info *out)
{
    int v = json_get(d, 0, "max_tokens");
    if (!json_ok(d, v))
        v = json_get(d, 0, "max_completion_tokens");
    if (!json_ok(d, v)) {
        if (route == SERVE_ROUTE_MESSAGES)
            out->bad_request = true; /* required by the Messages API */
        return;
    }
    int64_t mt = 0;
    if (!json_int64(d, v, &mt) || mt < 0) {
        out->bad_request = true;
        return;
    }
    out->max_tokens = mt;
}

static void read_doc(const struct json_doc *d, enum serve_route route,
                     struct serve_req_info *out)
{
    bool bad = false;
    if (json_type(d, 0) != JSON_OBJECT) {
        out->bad_request = true;
        return;
    }
    int model = json_get(d, 0, "model");
    if (json_type(d, model) == JSON_STRING) {
        size_t n = 0;
        if (json_str_copy(d, model, out->model, sizeof(out->model), &n) ==
            ERR_OK)
            out->has_model = true;
    }
    read_max_tokens(d, route, out);
    if (route == SERVE_ROUTE_COMPLETIONS) {
        int p = json_get(d, 0, "prompt");
        out->prompt_bytes = json_ok(d, p) ? text_bytes(d, p, &bad) : 0;
        bad = bad || !json_ok(d, p);
    } else {
        int sys = json_get(d, 0, "system");
        if (route == SERVE_ROUTE_MESSAGES && json_ok(d, sys))
            out->prompt_bytes += text_bytes(d, sys, &bad);
        out->prompt_bytes +=
            messages_bytes(d, json_get(d, 0, "messages"), &bad);
    }
    if (bad)
        out->bad_request = true;
}

/* Looks for the live-only markers in one pass over the body. */
static void scan_marks(const char *body, size_t len, struct serve_req_info *out)
{
    static const char pre[] = "[tollgate:";
    const size_t np = sizeof(pre) - 1;
    const char *end = body + len;
    for (const char *p = body; p + np <= end; p++) {
        p = memchr(p, '[', (size_t)(end - p));
        if (p == NULL || p + np > end)
            return;
        if (memcmp(p, pre, np) != 0)
            continue;
        size_t rest = (size_t)(end - p);
        if (rest >= sizeof(SERVE_MARK_VIOLATION) - 1 &&
            memcmp(p, SERVE_MARK_VIOLATION, sizeof(SERVE_MARK_VIOLATION) - 1) ==
                0)
            out->violation = true;
        if (rest >= sizeof(SERVE_MARK_BAD_REQUEST) - 1 &&
            memcmp(p, SERVE_MARK_BAD_REQUEST,
                   sizeof(SERVE_MARK_BAD_REQUEST) - 1) == 0)
            out->bad_request = true;
    }
}

/* ---- fast path ------------------------------------------------------------
 * Each scanner takes p at the first byte of its value and returns the
 * byte after it, or NULL to give up (then the full reader decides).
 *
 * Bounds: the reader never reads body[len] or beyond; the body need not
 * be NUL-terminated (tests/unit/test_serve.c runs it on exact-size heap
 * copies under AddressSanitizer).  Every place that hands a scanner "the
 * first byte of a value" -- after a key's colon (fast_key), after a
 * comma (fast_next), after an opening bracket (fast_empty) -- gives up
 * instead when that is the end of the body, so a scanner may read *p
 * without checking. */

#define FAST_MAX_DEPTH 16 /* well below REQ_MAX_DEPTH */
#define FAST_MAX_NUM   64 /* longer number literals: the full reader */

struct fast {
    const char *end;
    enum serve_route route;
    bool bad; /* a member of the wrong type or missing (bad_request) */
};

static const char *ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
        p++;
    return p;
}

/* A string at p (the opening quote): *len raw bytes between the quotes,
 * *escaped when it holds an escape. */
static const char *fast_string(const char *p, const char *end, size_t *len,
                               bool *escaped)
{
    return json_scan_string(&p, end, len, escaped) ? p : NULL;
}

/* A number at p; *plain when it is a non-negative integer of at most 15
 * digits (then *v is its value).  Exponents and long literals give up
 * (core/base/json rejects the non-finite ones). */
static const char *fast_number(const char *p, const char *end, bool *plain,
                               int64_t *v)
{
    const char *start = p;
    *plain = true;
    if (p < end && *p == '-') {
        p++;
        *plain = false;
    }
    if (p == end || *p < '0' || *p > '9')
        return NULL;
    const char *digits = p;
    if (*p == '0')
        p++;
    else
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    if (*plain && p - digits <= 15) {
        int64_t acc = 0;
        for (const char *q = digits; q < p; q++)
            acc = acc * 10 + (*q - '0');
        *v = acc;
    } else {
        *plain = false;
    }
    if (p < end && *p == '.') {
        const char *q = ++p;
        while (p < end && *p >= '0' && *p <= '9')
            p++;
        if (p == q)
            return NULL;
        *plain = false;
    }
    if ((p < end && (*p == 'e' || *p == 'E')) || p - start > FAST_MAX_NUM)
        return NULL;
    return p;
}

static const char *fast_value(struct fast *f, const char *p, int depth);

/* An object's next key at p (after '{' or ','): the key's bytes in
 * *key and *len, p after the colon.  Escaped keys give up: they could decode
 * to a member the policy reads. */
static const char *fast_key(struct fast *f, const char *p, const char **key,
                            size_t *len)
{
    bool escaped;
    p = ws(p, f->end);
    if (p == f->end || *p != '"')
        return NULL;
    *key = p + 1;
    p = fast_string(p, f->end, len, &escaped);
    if (p == NULL || escaped)
        return NULL;
    p = ws(p, f->end);
    if (p == f->end || *p != ':')
        return NULL;
    p = ws(p + 1, f->end);
    return p < f->end ? p : NULL; /* a value must follow */
}

/* After a member or element: ',' (more: *more) or the closing bracket. */
static const char *fast_next(struct fast *f, const char *p, char close,
                             bool *more)
{
    p = ws(p, f->end);
    if (p == f->end)
        return NULL;
    *more = *p == ',';
    if (!*more && *p != close)
        return NULL;
    p = ws(p + 1, f->end);
    return *more && p == f->end ? NULL : p; /* after ',': more must come */
}

/* p at an opening bracket: true (and p past the close) when empty; else
 * p at the first element, or NULL (give up) at the end of the body. */
static bool fast_empty(struct fast *f, const char **p, char close)
{
    *p = ws(*p + 1, f->end);
    if (*p == f->end) {
        *p = NULL;
        return false;
    }
    if (**p == close) {
        (*p)++;
        return true;
    }
    return false;
}

static bool key_is(const char *key, size_t len, const char *name)
{
    return strlen(name) == len && memcmp(key, name, len) == 0;
}

static const char *fast_container(struct fast *f, const char *p, int depth)
{
    char close = *p == '{' ? '}' : ']';
    bool obj = *p == '{', more = true;
    if (depth >= FAST_MAX_DEPTH)
        return NULL;
    if (fast_empty(f, &p, close))
        return p;
    while (more && p != NULL) {
        const char *key;
        size_t klen;
        if (obj && (p = fast_key(f, p, &key, &klen)) == NULL)
            return NULL;
        if ((p = fast_value(f, p, depth + 1)) == NULL)
            return NULL;
        p = fast_next(f, p, close, &more);
    }
    return p;
}

/* Any value: validated and skipped. */
static const char *fast_value(struct fast *f, const char *p, int depth)
{
    size_t len;
    bool flag;
    int64_t v;
    p = ws(p, f->end);
    if (p == f->end)
        return NULL;
    switch (*p) {
    case '{':
    case '[': return fast_container(f, p, depth);
    case '"': return fast_string(p, f->end, &len, &flag);
    case 't': return f->end - p >= 4 && !memcmp(p, "true", 4) ? p + 4 : NULL;
    case 'f': return f->end - p >= 5 && !memcmp(p, "false", 5) ? p + 5 : NULL;
    case 'n': return f->end - p >= 4 && !memcmp(p, "null", 4) ? p + 4 : NULL;
    default: return fast_number(p, f->end, &flag, &v);
    }
}

/* A content part object: the bytes of its first "text" member when that
 * is a string. */
static const char *fast_part(struct fast *f, const char *p, int depth,
                             size_t *bytes)
{
    bool more = true, seen = false;
    if (depth >= FAST_MAX_DEPTH)
        return NULL;
    if (fast_empty(f, &p, '}'))
        return p;
    while (more && p != NULL) {
        const char *key;
        size_t klen, len;
        bool escaped;
        if ((p = fast_key(f, p, &key, &klen)) == NULL)
            return NULL;
        if (key_is(key, klen, "text")) {
            if (seen)
                return NULL; /* the first one counts: full reader */
            seen = true;
            if (*p == '"') {
                p = fast_string(p, f->end, &len, &escaped);
                *bytes += len;
            } else {
                p = fast_value(f, p, depth + 1);
            }
        } else {
            p = fast_value(f, p, depth + 1);
        }
        if (p == NULL)
            return NULL;
        p = fast_next(f, p, '}', &more);
    }
    return p;
}

/* Prompt text: a string, or an array of strings and text parts. */
static const char *fast_text(struct fast *f, const char *p, int depth,
                             size_t *bytes)
{
    size_t len;
    bool escaped, more = true;
    if (*p == '"') {
        p = fast_string(p, f->end, &len, &escaped);
        *bytes += len;
        return p;
    }
    if (*p != '[') {
        f->bad = true;
        return fast_value(f, p, depth);
    }
    if (depth >= FAST_MAX_DEPTH)
        return NULL;
    if (fast_empty(f, &p, ']'))
        return p;
    while (more && p != NULL) {
        if (*p == '"') {
            p = fast_string(p, f->end, &len, &escaped);
            *bytes += len;
        } else if (*p == '{') {
            p = fast_part(f, p, depth + 1, bytes);
        } else {
            f->bad = true;
            p = fast_value(f, p, depth + 1);
        }
        if (p == NULL)
            return NULL;
        p = fast_next(f, p, ']', &more);
    }
    return p;
}

/* One element of messages: an object whose first "content" is text. */
static const char *fast_message(struct fast *f, const char *p, int depth,
                                size_t *bytes)
{
    bool more = true, seen = false;
    if (*p != '{') {
        f->bad = true;
        return fast_value(f, p, depth);
    }
    if (depth >= FAST_MAX_DEPTH)
        return NULL;
    if (!fast_empty(f, &p, '}')) {
        while (more && p != NULL) {
            const char *key;
            size_t klen;
            if ((p = fast_key(f, p, &key, &klen)) == NULL)
                return NULL;
            if (key_is(key, klen, "content")) {
                if (seen)
                    return NULL;
                seen = true;
                p = fast_text(f, p, depth + 1, bytes);
            } else {
                p = fast_value(f, p, depth + 1);
            }
            if (p == NULL)
                return NULL;
            p = fast_next(f, p, '}', &more);
        }
    }
    f->bad = f->bad || !seen;
    return p;
}

static const char *fast_messages(struct fast *f, const char *p, size_t *bytes)
{
    bool more = true;
    if (*p != '[') {
        f->bad = true;
        return fast_value(f, p, 1);
    }
    if (fast_empty(f, &p, ']'))
        return p;
    while (more && p != NULL) {
        if ((p = fast_message(f, p, 2, bytes)) == NULL)
            return NULL;
        p = fast_next(f, p, ']', &more);
    }
    return p;
}

/* The members of the root object the policy reads. */
struct fast_top {
    bool model, mt, mct, mct_plain, messages, system, prompt;
    int64_t mt_v, mct_v;
};

static const char *fast_model(struct fast *f, const char *p,
                              struct serve_req_info *out)
{
    size_t len;
    bool escaped;
    if (*p != '"')
        return fast_value(f, p, 1); /* not a string: no model */
    const char *start = p + 1;
    p = fast_string(p, f->end, &len, &escaped);
    if (p == NULL || escaped || len >= sizeof(out->model))
        return NULL; /* decoding or truncation: the full reader */
    memcpy(out->model, start, len);
    out->model[len] = '\0';
    out->has_model = true;
    return p;
}

static const char *fast_member(struct fast *f, const char *p, const char *key,
                               size_t klen, struct fast_top *t,
                               struct serve_req_info *out)
{
    bool *seen = NULL, plain = false;
    const char *q = NULL;
    if (key_is(key, klen, "model")) {
        seen = &t->model;
        q = *seen ? NULL : fast_model(f, p, out);
    } else if (key_is(key, klen, "max_tokens")) {
        seen = &t->mt;
        q = *seen || *p == '-' || *p < '0' || *p > '9'
                ? NULL
                : fast_number(p, f->end, &plain, &t->mt_v);
        q = plain ? q : NULL; /* null, negative, fraction: full reader */
    } else if (key_is(key, klen, "max_completion_tokens")) {
        seen = &t->mct;
        if ((*p >= '0' && *p <= '9') && !*seen)
            q = fast_number(p, f->end, &t->mct_plain, &t->mct_v);
        else
            q = *seen ? NULL : fast_value(f, p, 1);
    } else if (f->route != SERVE_ROUTE_COMPLETIONS &&
               key_is(key, klen, "messages")) {
        seen = &t->messages;
        q = *seen ? NULL : fast_messages(f, p, &out->prompt_bytes);
    } else if (f->route == SERVE_ROUTE_MESSAGES &&
               key_is(key, klen, "system")) {
        seen = &t->system;
        q = *seen ? NULL : fast_text(f, p, 1, &out->prompt_bytes);
    } else if (f->route == SERVE_ROUTE_COMPLETIONS &&
               key_is(key, klen, "prompt")) {
        seen = &t->prompt;
        q = *seen ? NULL : fast_text(f, p, 1, &out->prompt_bytes);
    } else {
        return fast_value(f, p, 1);
    }
    *seen = true;
    return q;
}

/* The fast path: true when it read body[0..len) completely into *out. */
static bool fast_parse(enum serve_route route, const char *body, size_t len,
                       struct serve_req_info *out)
{
    struct fast f = { body + len, route, false };
    struct fast_top t;
    memset(&t, 0, sizeof(t));
    const char *p = ws(body, f.end);
    bool more = true;
    if (len > UINT32_MAX || p == f.end || *p != '{')
        return false; /* not an object: the full reader says how bad */
    if (fast_empty(&f, &p, '}'))
        more = false;
    while (more && p != NULL) {
        const char *key;
        size_t klen;
        if ((p = fast_key(&f, p, &key, &klen)) == NULL)
            return false;
        if ((p = fast_member(&f, p, key, klen, &t, out)) == NULL)
            return false;
        p = fast_next(&f, p, '}', &more);
    }
    if (p == NULL || ws(p, f.end) != f.end)
        return false;
    if (t.mt) {
        out->max_tokens = t.mt_v;
    } else if (t.mct) {
        if (!t.mct_plain)
            return false; /* the full reader judges it */
        out->max_tokens = t.mct_v;
    } else if (route == SERVE_ROUTE_MESSAGES) {
        f.bad = true; /* required by the Messages API */
    }
    if (route == SERVE_ROUTE_COMPLETIONS ? !t.prompt : !t.messages)
        f.bad = true;
    out->bad_request = f.bad;
    return true;
}

/* ---- entry points ------------------------------------------------------ */

static void finish_info(const char *body, size_t len,
                        struct serve_req_info *out)
{
    out->prompt_tokens = serve_reply_estimate_tokens(out->prompt_bytes);
    scan_marks(body, len, out);
}

static void parse_full(enum serve_route route, const char *body, size_t len,
                       struct serve_req_info *out)
{
    memset(out, 0, sizeof(*out));
    struct json_node stack_nodes[REQ_STACK_NODES];
    struct json_node *nodes = stack_nodes;
    struct json_doc d;
    int rc = json_parse(&d, body, len, nodes, REQ_STACK_NODES, len + 1,
                        REQ_MAX_DEPTH);
    if (rc == ERR_TOOBIG && len >= REQ_STACK_NODES) {
        nodes = xmalloc((len + 1) * sizeof(*nodes));
        rc = json_parse(&d, body, len, nodes, len + 1, len + 1, REQ_MAX_DEPTH);
    }
    if (rc == ERR_OK)
        read_doc(&d, route, out);
    else
        out->bad_json = out->bad_request = true;
    if (nodes != stack_nodes)
        free(nodes);
}

void serve_req_parse_full(enum serve_route route, const char *body, size_t len,
                          struct serve_req_info *out)
{
    parse_full(route, body, len, out);
    finish_info(body, len, out);
}

bool serve_req_parse_fast(enum serve_route route, const char *body, size_t len,
                          struct serve_req_info *out)
{
    memset(out, 0, sizeof(*out));
    if (!fast_parse(route, body, len, out))
        return false;
    finish_info(body, len, out);
    return true;
}

void serve_req_parse(enum serve_route route, const char *body, size_t len,
                     struct serve_req_info *out)
{
    if (!serve_req_parse_fast(route, body, len, out))
        serve_req_parse_full(route, body, len, out);
}

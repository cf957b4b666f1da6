/*
 * serve_req.c - request body extraction for the policy model.
 *
 * Two readers with one meaning.  The fast path is a single validating
 * scan with core/base/json's cursor that builds nothing and picks out
 * what the policy needs on the way (serve answers tens of thousands of
 * bodies a second); whenever it meets something it does not handle
 * exactly -- a syntax error, an escaped key of an object it reads, an
 * escaped model name, a repeated member it reads, a max_tokens that is
 * not a plain non-negative integer, deep nesting, a root that is not an
 * object -- it gives up and the full reader decides.
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
 * A core/base/json cursor over the body, which validates everything it
 * passes and never reads body[len] or beyond (the body need not be
 * NUL-terminated; tests/unit/test_serve.c runs it on exact-size heap
 * copies under AddressSanitizer).  Each reader below takes the cursor at
 * the first byte of its value and returns false to give up (a cursor
 * error, or something the fast path leaves to the full reader); f->bad
 * collects members of the wrong type or missing (bad_request). */

#define FAST_MAX_DEPTH 16 /* open containers; well below REQ_MAX_DEPTH */
#define FAST_MAX_INT   15 /* digits of a max_tokens the fast path reads */

struct fast {
    struct json_cur c;
    enum serve_route route;
    bool bad;
};

static bool key_is(const struct json_str *k, const char *name)
{
    return strlen(name) == k->len && memcmp(k->p, name, k->len) == 0;
}

/* The next member of the open object; escaped keys give up: they could
 * decode to a member the policy reads. */
static bool fast_member_key(struct fast *f, struct json_str *k, bool *more)
{
    *more = json_cur_next(&f->c, k);
    return f->c.err == ERR_OK && !(*more && k->escaped);
}

/* A string's raw bytes added to *bytes (escapes count as sent). */
static bool fast_text_string(struct fast *f, size_t *bytes)
{
    struct json_str s;
    if (!json_cur_string(&f->c, &s))
        return false;
    *bytes += s.len;
    return true;
}

/* A content part object: the bytes of its first "text" member when that
 * is a string. */
static bool fast_part(struct fast *f, size_t *bytes)
{
    bool more, seen = false;
    struct json_str k;
    if (!json_cur_open(&f->c, '{'))
        return false;
    while (fast_member_key(f, &k, &more) && more) {
        bool ok;
        if (key_is(&k, "text")) {
            if (seen)
                return false; /* the first one counts: full reader */
            seen = true;
            ok = json_cur_peek(&f->c) == '"' ? fast_text_string(f, bytes)
                                             : json_cur_skip(&f->c);
        } else {
            ok = json_cur_skip(&f->c);
        }
        if (!ok)
            return false;
    }
    return f->c.err == ERR_OK;
}

/* Prompt text: a string, or an array of strings and text parts. */
static bool fast_text(struct fast *f, size_t *bytes)
{
    int ch = json_cur_peek(&f->c);
    if (ch == '"')
        return fast_text_string(f, bytes);
    if (ch != '[') {
        f->bad = true;
        return json_cur_skip(&f->c);
    }
    if (!json_cur_open(&f->c, '['))
        return false;
    while (json_cur_next(&f->c, NULL)) {
        bool ok;
        ch = json_cur_peek(&f->c);
        if (ch == '"') {
            ok = fast_text_string(f, bytes);
        } else if (ch == '{') {
            ok = fast_part(f, bytes);
        } else {
            f->bad = true;
            ok = json_cur_skip(&f->c);
        }
        if (!ok)
            return false;
    }
    return f->c.err == ERR_OK;
}

/* One element of messages: an object whose first "content" is text. */
static bool fast_message(struct fast *f, size_t *bytes)
{
    bool more, seen = false;
    struct json_str k;
    if (json_cur_peek(&f->c) != '{') {
        f->bad = true;
        return json_cur_skip(&f->c);
    }
    if (!json_cur_open(&f->c, '{'))
        return false;
    while (fast_member_key(f, &k, &more) && more) {
        bool ok;
        if (key_is(&k, "content")) {
            if (seen)
                return false;
            seen = true;
            ok = fast_text(f, bytes);
        } else {
            ok = json_cur_skip(&f->c);
        }
        if (!ok)
            return false;
    }
    f->bad = f->bad || !seen;
    return f->c.err == ERR_OK;
}

static bool fast_messages(struct fast *f, size_t *bytes)
{
    if (json_cur_peek(&f->c) != '[') {
        f->bad = true;
        return json_cur_skip(&f->c);
    }
    if (!json_cur_open(&f->c, '['))
        return false;
    while (json_cur_next(&f->c, NULL))
        if (!fast_message(f, bytes))
            return false;
    return f->c.err == ERR_OK;
}

/* The members of the root object the policy reads. */
struct fast_top {
    bool model, mt, mct, mct_plain, messages, system, prompt;
    int64_t mt_v, mct_v;
};

static bool fast_model(struct fast *f, struct serve_req_info *out)
{
    struct json_str s;
    if (json_cur_peek(&f->c) != '"')
        return json_cur_skip(&f->c); /* not a string: no model */
    if (!json_cur_string(&f->c, &s) || s.escaped || s.len >= sizeof(out->model))
        return false; /* decoding or truncation: the full reader */
    memcpy(out->model, s.p, s.len);
    out->model[s.len] = '\0';
    out->has_model = true;
    return true;
}

/* A number at the cursor when it is a non-negative integer literal of at
 * most FAST_MAX_INT digits (*plain, with its value in *v); any other
 * value is skipped (*plain false). */
static bool fast_count(struct fast *f, bool *plain, int64_t *v)
{
    struct json_num n;
    int ch = json_cur_peek(&f->c);
    *plain = false;
    if (ch < '0' || ch > '9')
        return json_cur_skip(&f->c);
    if (!json_cur_number(&f->c, &n))
        return false;
    *plain = n.is_int && n.len <= FAST_MAX_INT;
    if (*plain)
        *v = (int64_t)n.v; /* exact: at most 15 digits */
    return true;
}

static bool fast_member(struct fast *f, const struct json_str *k,
                        struct fast_top *t, struct serve_req_info *out)
{
    bool *seen, ok, plain = false;
    if (key_is(k, "model")) {
        seen = &t->model;
        ok = !*seen && fast_model(f, out);
    } else if (key_is(k, "max_tokens")) {
        seen = &t->mt;
        /* null, negative, fraction, exponent: the full reader */
        ok = !*seen && fast_count(f, &plain, &t->mt_v) && plain;
    } else if (key_is(k, "max_completion_tokens")) {
        seen = &t->mct;
        ok = !*seen && fast_count(f, &t->mct_plain, &t->mct_v);
    } else if (f->route != SERVE_ROUTE_COMPLETIONS && key_is(k, "messages")) {
        seen = &t->messages;
        ok = !*seen && fast_messages(f, &out->prompt_bytes);
    } else if (f->route == SERVE_ROUTE_MESSAGES && key_is(k, "system")) {
        seen = &t->system;
        ok = !*seen && fast_text(f, &out->prompt_bytes);
    } else if (f->route == SERVE_ROUTE_COMPLETIONS && key_is(k, "prompt")) {
        seen = &t->prompt;
        ok = !*seen && fast_text(f, &out->prompt_bytes);
    } else {
        return json_cur_skip(&f->c);
    }
    *seen = true;
    return ok;
}

/* The fast path: true when it read body[0..len) completely into *out. */
static bool fast_parse(enum serve_route route, const char *body, size_t len,
                       struct serve_req_info *out)
{
    struct fast f = { .route = route, .bad = false };
    struct fast_top t;
    struct json_str k;
    bool more;
    memset(&t, 0, sizeof(t));
    json_cur_init(&f.c, body, len, FAST_MAX_DEPTH);
    if (json_cur_peek(&f.c) != '{' || !json_cur_open(&f.c, '{'))
        return false; /* not an object: the full reader says how bad */
    while (fast_member_key(&f, &k, &more) && more)
        if (!fast_member(&f, &k, &t, out))
            return false;
    if (!json_cur_end(&f.c))
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

/*
 * serve_req.c - request body extraction for the policy model.
 *
 * Parses with a node array on the stack (enough for ordinary chats); a
 * body with more JSON values than that is parsed again with a heap array
 * sized from its length (at most one value per byte), so a large but valid
 * body is never mistaken for a malformed one.  Depth is bounded by
 * REQ_MAX_DEPTH, which no real API body comes near.
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

#include "core/json.h"

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

void serve_req_parse(enum serve_route route, const char *body, size_t len,
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
    out->prompt_tokens = serve_reply_estimate_tokens(out->prompt_bytes);
    scan_marks(body, len, out);
}

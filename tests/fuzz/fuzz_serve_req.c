/*
 * fuzz_serve_req.c - serve's request body readers.
 *
 * Byte 0 picks the route (chat, completions, messages); the rest is the
 * body, in a heap buffer of exactly its size (no terminator), so that a
 * reader looking at body[len] is caught.  Property: when the fast reader
 * does not give up, it gives what the full reader gives, field by field;
 * serve_req_parse (which picks one of them) gives the same too.
 */
#include "fuzz_common.h"

#include "serve/serve_req.h"

static void same(const struct serve_req_info *a, const struct serve_req_info *b,
                 const char *what)
{
    const char *field = NULL;
    if (strcmp(a->model, b->model) != 0)
        field = "model";
    else if (a->has_model != b->has_model)
        field = "has_model";
    else if (a->max_tokens != b->max_tokens)
        field = "max_tokens";
    else if (a->prompt_bytes != b->prompt_bytes)
        field = "prompt_bytes";
    else if (a->prompt_tokens != b->prompt_tokens)
        field = "prompt_tokens";
    else if (a->violation != b->violation)
        field = "violation";
    else if (a->bad_json != b->bad_json)
        field = "bad_json";
    else if (a->bad_request != b->bad_request)
        field = "bad_request";
    if (field)
        fuzz_fail("%s: %s differs (model '%s'/'%s', max_tokens %lld/%lld, "
                  "prompt_bytes %zu/%zu, bad_json %d/%d, bad_request %d/%d)",
                  what, field, a->model, b->model, (long long)a->max_tokens,
                  (long long)b->max_tokens, a->prompt_bytes, b->prompt_bytes,
                  a->bad_json, b->bad_json, a->bad_request, b->bad_request);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    static const enum serve_route routes[] = { SERVE_ROUTE_CHAT,
                                               SERVE_ROUTE_COMPLETIONS,
                                               SERVE_ROUTE_MESSAGES };
    enum serve_route route = routes[data[0] % 3];
    size_t len = size - 1;
    char *body = fuzz_dup_exact(data + 1, len);
    struct serve_req_info full, fast, any;
    memset(&full, 0x5a, sizeof(full));
    memset(&fast, 0xa5, sizeof(fast));
    serve_req_parse_full(route, body, len, &full);
    if (full.bad_json && !full.bad_request)
        fuzz_fail("bad_json without bad_request");
    if (serve_req_parse_fast(route, body, len, &fast))
        same(&fast, &full, "fast vs full");
    serve_req_parse(route, body, len, &any);
    same(&any, &full, "serve_req_parse vs full");
    free(body);
    return 0;
}

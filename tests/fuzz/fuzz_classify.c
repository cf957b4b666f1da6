/*
 * fuzz_classify.c - the response classifier: status + headers + body ->
 * reason.
 *
 * Input layout: byte 0 flags, bytes 1-2 the status (big-endian, mod 1000),
 * then header lines up to the first empty line, then the body.  Flags:
 *   bits 0-1  dialect (openai, anthropic, rules; 3 is openai)
 *   bit 2     use the custom rules below (rules on headers keep them)
 *   bit 3     a small body cap (64 bytes), so that the rest goes to the
 *             rolling tail as the worker keeps it (loadgen/request.c)
 * Header lines go to cls_header one by one with their line ending, as
 * libcurl's header callback gives them, each in an exact-size buffer, and
 * so do the body and the tail.  Properties: every outcome is a reason id,
 * and the JSON and SSE error extractors return slices inside what they
 * were given.
 */
#include "fuzz_common.h"

#include "core/base/reason.h"
#include "loadgen/classify.h"
#include "loadgen/loadgen.h"

#define SMALL_CAP 64
#define TAIL_KEEP 4096

static const struct scn_classify_rule rules[] = {
    { .status = 429, .type = "tokens", .reason = REASON_TOKEN_LIMIT },
    { .code = "insufficient_quota", .reason = REASON_CREDITS_EXHAUSTED },
    { .status = 503,
      .header = "x-tollgate-reason: maint",
      .reason = REASON_MAINTENANCE },
    { .header = "Retry-After: 1", .reason = REASON_RATE_LIMIT },
    { .status = 200,
      .type = "overloaded_error",
      .code = "",
      .reason = REASON_OVERLOADED },
};

static void check_slice(struct cls_str s, const char *p, size_t n,
                        const char *what)
{
    if (s.p == NULL)
        return;
    if (s.p < p || s.n > n || s.p + s.n > p + n)
        fuzz_fail("%s slice outside its input", what);
}

static void check_err(const struct cls_err *e, const char *p, size_t n)
{
    check_slice(e->type, p, n, "error.type");
    check_slice(e->code, p, n, "error.code");
    check_slice(e->message, p, n, "error.message");
}

/* Feeds the header block; returns where the body starts. */
static size_t feed_headers(struct cls_resp *r, const uint8_t *data, size_t size,
                           size_t at)
{
    while (at < size) {
        const uint8_t *nl = memchr(data + at, '\n', size - at);
        size_t end = nl ? (size_t)(nl - data) + 1 : size;
        char *line = fuzz_dup_exact(data + at, end - at);
        cls_header(r, line, end - at);
        bool blank = end - at == 1 || (end - at == 2 && line[0] == '\r');
        free(line);
        at = end;
        if (blank)
            break;
    }
    return at;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3)
        return 0;
    uint8_t flags = data[0];
    struct cls_config c = { .kind = (enum classify_kind)(flags & 3) };
    if (c.kind > CLASSIFY_RULES)
        c.kind = CLASSIFY_OPENAI;
    if (flags & 4) {
        c.rules = rules;
        c.n_rules = sizeof(rules) / sizeof(rules[0]);
        c.rules_use_headers = true;
    }
    struct cls_resp *r = calloc(1, sizeof(*r));
    if (r == NULL)
        abort();
    r->keep_headers = c.rules_use_headers;
    cls_resp_reset(r);
    size_t at = feed_headers(r, data, size, 3);
    r->status = ((data[1] << 8) | data[2]) % 1000;

    size_t body_n = size - at, cap = flags & 8 ? SMALL_CAP : LG_BODY_CAP_BYTES;
    size_t head_n = body_n < cap ? body_n : cap, tail_n = body_n - head_n;
    if (tail_n > TAIL_KEEP)
        tail_n = TAIL_KEEP;
    char *body = fuzz_dup_exact(data + at, head_n);
    char *tail = tail_n ? fuzz_dup_exact(data + size - tail_n, tail_n) : NULL;
    r->body = body;
    r->body_len = head_n;
    r->tail = tail;
    r->tail_len = tail_n;

    enum reason out = cls_classify(&c, r);
    if ((int)out < 0 || out >= REASON_COUNT)
        fuzz_fail("cls_classify gave %d", (int)out);
    struct cls_err e = { 0 };
    if (cls_json_error(body, head_n, &e))
        check_err(&e, body, head_n);
    struct cls_err s = { 0 };
    if (cls_sse_error(body, head_n, &s))
        check_err(&s, body, head_n);
    enum reason d = cls_dialect(
        c.kind == CLASSIFY_ANTHROPIC ? CLASSIFY_ANTHROPIC : CLASSIFY_OPENAI,
        r->status, &e);
    if ((int)d < 0 || d >= REASON_COUNT)
        fuzz_fail("cls_dialect gave %d", (int)d);
    free(tail);
    free(body);
    free(r);
    return 0;
}

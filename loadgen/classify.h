/*
 * classify.h - maps a live response (or a transport failure) to one
 * canonical outcome id, and reads the rate-limit gauges from its headers.
 *
 * Pure functions over what the worker collected: status, selected
 * headers, the first bytes of the body.  Order of decision:
 *   1. transport failure (cls_transport): refused -> outage, timeout ->
 *      timeout, garbage/protocol errors -> server_error, anything else
 *      (reset, DNS, TLS, closed mid-response) -> network;
 *   2. the scenario's custom rules (live.classify rules), first match;
 *   3. the built-in dialect (openai or anthropic): error.type,
 *      error.code and error.message from the JSON body, then the status;
 *   4. a 2xx that carries an error event in an SSE stream ("event: error"
 *      or a "data: {"error": ...}" line) is classified by that error.
 * See docs in classify.c for the exact tables.
 */
#ifndef TOLLGATE_CLASSIFY_H
#define TOLLGATE_CLASSIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/base/reason.h"
#include "core/scenario/scenario.h"

#define CLS_HEADERS_KEEP 2048 /* header bytes kept for custom rules */

/* What the worker learnt about one response.  body/headers are borrowed
 * buffers owned by the worker. */
struct cls_resp {
    int status;                    /* final HTTP status; 0: none */
    bool sse;                      /* content-type text/event-stream */
    int64_t rl_remaining_requests; /* -1: not sent */
    int64_t rl_remaining_tokens;   /* -1: not sent */
    int64_t retry_after_ns;        /* -1: not sent */
    const char *body;              /* first bytes of the body */
    size_t body_len;
    const char *tail; /* last bytes when the body overflowed, else NULL */
    size_t tail_len;
    bool keep_headers; /* set by the owner: keep raw lines for rules */
    size_t headers_len;
    char headers[CLS_HEADERS_KEEP]; /* first header bytes, if kept */
};

/* A slice of a JSON body (not NUL-terminated; escapes left as sent). */
struct cls_str {
    const char *p;
    size_t n;
};

/* error.type / error.code / error.message of an error body. */
struct cls_err {
    struct cls_str type, code, message;
};

/* The classification configuration: the dialect and custom rules
 * (borrowed from the scenario, which must outlive it). */
struct cls_config {
    enum classify_kind kind;
    const struct scn_classify_rule *rules;
    size_t n_rules;
    bool rules_use_headers; /* some rule matches a header */
};

/* Builds a configuration from the scenario's live block (or the openai
 * dialect when sc has none). */
void cls_config_init(struct cls_config *c, const struct scenario *sc);

/* Resets the per-response fields of r (gauges to -1, status 0, no body,
 * no headers); keep_headers is left as it is. */
void cls_resp_reset(struct cls_resp *r);

/* Feeds one raw header line (as libcurl's header callback sees it, CRLF
 * included or not).  A status line ("HTTP/...") starts a new response and
 * clears what earlier interim responses set.  Reads content-type,
 * x-ratelimit-remaining-{requests,tokens},
 * anthropic-ratelimit-{requests,tokens}-remaining, retry-after (seconds)
 * and retry-after-ms. */
void cls_header(struct cls_resp *r, const char *line, size_t len);

/* The outcome of a completed transfer whose libcurl result was curl_code
 * (a CURLcode) with CURLINFO_OS_ERRNO os_errno.  REASON_OK when curl_code
 * is 0, meaning: classify the response with cls_classify. */
enum reason cls_transport(int curl_code, long os_errno);

/* The outcome of a response that arrived completely.  A rate or token
 * limit denial that says the request can never pass (too large for the
 * limit) also sets r->retry_after_ns to CLIENT_RETRY_NEVER, so the client
 * model does not retry it. */
enum reason cls_classify(const struct cls_config *c, struct cls_resp *r);

/* Extracts error.type/code/message from a JSON error body (OpenAI
 * {"error":{...}} or Anthropic {"type":"error","error":{...}}).  False
 * when body is not such an object. */
bool cls_json_error(const char *body, size_t len, struct cls_err *out);

/* The error an SSE stream reports after a 2xx, if any. */
bool cls_sse_error(const char *body, size_t len, struct cls_err *out);

/* The reason a dialect gives to status and error e (status 0: unknown,
 * e.g. a mid-stream error event). */
enum reason cls_dialect(enum classify_kind kind, int status,
                        const struct cls_err *e);

#endif

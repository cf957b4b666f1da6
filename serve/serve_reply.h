/*
 * serve_reply.h - pure helpers of the serve endpoint: routing, response
 * bodies and header values, API key extraction, token estimation.
 *
 * Nothing here touches sockets, clocks or shared state, so the unit test
 * (tests/unit/test_serve.c) checks every byte the endpoint sends.  Bodies
 * are written into the caller's buffer with snprintf semantics: the return
 * value is the length the full body needs, and a result >= len means the
 * buffer was too small (the caller retries with a bigger one).
 */
#ifndef TOLLGATE_SERVE_REPLY_H
#define TOLLGATE_SERVE_REPLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/base/reason.h"

/* Which wire format an API route speaks. */
enum serve_dialect { SERVE_OPENAI = 0, SERVE_ANTHROPIC };

enum serve_route {
    SERVE_ROUTE_NONE = 0,      /* unknown path: 404 */
    SERVE_ROUTE_CHAT,          /* POST /v1/chat/completions */
    SERVE_ROUTE_COMPLETIONS,   /* POST /v1/completions */
    SERVE_ROUTE_MESSAGES,      /* POST /v1/messages (Anthropic) */
    SERVE_ROUTE_MODELS,        /* GET /v1/models */
    SERVE_ROUTE_ADMIN_STATE,   /* GET /tollgate/state */
    SERVE_ROUTE_ADMIN_METRICS, /* GET /tollgate/metrics */
    SERVE_ROUTE_ADMIN_EVENTS,  /* POST /tollgate/events */
    SERVE_ROUTE_ADMIN_KEY,     /* GET /tollgate/key?account=N */
    SERVE_ROUTE_COUNT
};

/* Maps a method and URL path (query string ignored, one trailing slash
 * tolerated) to a route.  *method_ok is false when the path is known but
 * the method is not the route's (the caller answers 405). */
enum serve_route serve_reply_route(const char *method, const char *url,
                                   bool *method_ok);

/* True for the three API routes that are decided by the policy model. */
bool serve_reply_is_api(enum serve_route r);

/* True for the /tollgate/ admin routes. */
bool serve_reply_is_admin(enum serve_route r);

/* The dialect a route answers in. */
enum serve_dialect serve_reply_dialect(enum serve_route r);

/* The API key of a request: the token after "Bearer " (case-insensitive
 * scheme, spaces skipped) in Authorization, else x-api-key.  Either header
 * may be NULL.  Returns NULL when neither carries a non-empty key; the
 * result points into the header strings. */
const char *serve_reply_key(const char *authorization, const char *x_api_key);

/* What an admin route asks of a caller besides a loopback address (or
 * --admin-any): nothing (read-only routes), the admin token (routes that
 * change state or hand out secrets, when a token is configured), or the
 * route is off (the key route without a token). */
enum serve_admin_need { SERVE_ADMIN_OPEN, SERVE_ADMIN_TOKEN, SERVE_ADMIN_OFF };

enum serve_admin_need serve_reply_admin_need(enum serve_route r,
                                             bool have_token);

/* True when authorization is "Bearer <token>" with exactly token (the
 * same scheme rules as serve_reply_key; x-api-key does not count).  The
 * comparison takes the same time wherever the two differ.  NULL
 * authorization: false. */
bool serve_reply_admin_ok(const char *authorization, const char *token);

/* Prompt tokens estimated from message text: ceil(bytes / 4), the usual
 * "about four characters per token" of English text with OpenAI's
 * tokenizers.  0 bytes is 0 tokens. */
int64_t serve_reply_estimate_tokens(size_t text_bytes);

/* retry-after value in whole seconds: ceil(wait), at least 1. */
int64_t serve_reply_retry_after_s(int64_t wait_ns);

/* What a denial says besides its reason. */
struct serve_reply_denial {
    enum reason reason;
    enum serve_dialect dialect;
    const char *limit_name; /* rate/token/concurrency: the limit's name,
                               e.g. "rpm"; NULL when unknown */
    int64_t limit;          /* that limit's amount; < 0: unknown */
    int64_t retry_ns;       /* wait before a retry can succeed; <= 0:
                               unknown, no wait is mentioned */
    const char *model;      /* requested model for model errors, or NULL */
    bool too_large;         /* the limit can never admit the request */
    int64_t requested;      /* too_large: what it asked of the limit */
    const char *req_model;  /* too_large: the model asked for, or NULL */
};

/* HTTP status of a denial in its dialect (Anthropic has 529 for
 * overloaded and 400 for quota errors). */
int serve_reply_status(enum reason r, enum serve_dialect d);

/* The error body:
 *   OpenAI:    {"error":{"message":M,"type":T,"param":null,"code":C}}
 *   Anthropic: {"type":"error","error":{"type":T,"message":M}}
 * with T, C from the reason table and M its message, extended with the
 * limit ("... on rpm: limit 3.") and the wait ("Please try again in 20s.")
 * when known.  A request too large for its limit says so instead, as the
 * real APIs do, and mentions no wait:
 *   OpenAI:    "Request too large for MODEL on tpm: Limit 1000, Requested
 *              1500. The input or output tokens must be reduced in order
 *              to run successfully."
 *   Anthropic: "This request would exceed the rate limit for tokens on
 *              tpm (1000): Requested 1500. Please reduce the prompt length
 *              or the maximum tokens requested."
 * Strings are JSON-escaped. */
size_t serve_reply_error(char *buf, size_t len,
                         const struct serve_reply_denial *d);

/* A successful completion. */
struct serve_reply_ok {
    enum serve_route route;    /* CHAT, COMPLETIONS or MESSAGES */
    uint64_t id;               /* request number, for the response id */
    int64_t created_s;         /* Unix time */
    const char *model;         /* model name to echo */
    int64_t prompt_tokens;     /* charged prompt tokens */
    int64_t completion_tokens; /* charged completion tokens */
};

/* chat.completion, text_completion or Anthropic message body whose usage
 * equals the charged tokens.  The text itself is a short fixed filler,
 * not completion_tokens long (documented in docs/serve.md). */
size_t serve_reply_success(char *buf, size_t len,
                           const struct serve_reply_ok *o);

/* The numbers of a success body in the order they appear: id, created,
 * prompt, completion and total tokens (OpenAI routes); id, input and
 * output tokens (Anthropic).  Everything else in the body depends on the
 * route and model only, so a body of the same route and model whose
 * numbers have the same lengths differs in these bytes only. */
#define SERVE_REPLY_OK_NUMS 5
struct serve_reply_nums {
    size_t n;                           /* numbers in the body */
    size_t at[SERVE_REPLY_OK_NUMS];     /* where each starts (byte offset) */
    size_t len[SERVE_REPLY_OK_NUMS];    /* its length */
    char text[SERVE_REPLY_OK_NUMS][24]; /* its digits (NUL-terminated) */
};

/* serve_reply_success that also fills *nums (at: where the numbers are
 * in the full body, whether or not it fit in buf). */
size_t serve_reply_success_nums(char *buf, size_t len,
                                const struct serve_reply_ok *o,
                                struct serve_reply_nums *nums);

/* Only the numbers of o's body (n, len and text; at is left alone). */
void serve_reply_ok_nums(const struct serve_reply_ok *o,
                         struct serve_reply_nums *nums);

/* The GET /v1/models list of the scenario's model names. */
size_t serve_reply_models(char *buf, size_t len, const char *const *names,
                          size_t n);

/* Writes v in decimal into buf (at least 21 bytes), NUL-terminated;
 * returns the length.  The hot path's replacement for snprintf("%lld"). */
size_t serve_reply_i64(char *buf, int64_t v);

/* An x-ratelimit-reset value for a wait of ms milliseconds (>= 0), the
 * text units_fmt_reset gives for ms * 1e6 ns ("0s", "20ms", "1s",
 * "59.991s", "6m0s", "1h2m3.5s") without snprintf.  buf holds at least
 * 32 bytes; returns the length. */
size_t serve_reply_reset(char *buf, int64_t ms);

/* The HTTP Date value (IMF-fixdate, RFC 9110 5.6.7) of Unix time unix_s
 * >= 0, e.g. "Sun, 06 Nov 1994 08:49:37 GMT", the text libmicrohttpd
 * writes itself.  buf holds at least SERVE_REPLY_DATE_LEN + 1 bytes;
 * returns SERVE_REPLY_DATE_LEN. */
#define SERVE_REPLY_DATE_LEN 29
size_t serve_reply_http_date(char *buf, int64_t unix_s);

/* The RFC 3339 UTC time of Unix second unix_s >= 0 ("2026-12-07T09:41:00Z",
 * Anthropic's rate-limit resets); buf holds SERVE_REPLY_RFC3339_LEN + 1
 * bytes; returns SERVE_REPLY_RFC3339_LEN. */
#define SERVE_REPLY_RFC3339_LEN 20
size_t serve_reply_rfc3339(char *buf, int64_t unix_s);

/* Writes s JSON-escaped (without quotes) into buf; snprintf semantics. */
size_t serve_reply_escape(char *buf, size_t len, const char *s);

#endif

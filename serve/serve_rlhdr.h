/*
 * serve_rlhdr.h - the rate-limit headers and request id of an API answer.
 *
 * An API answer (a success or a denial) carries up to six rate-limit
 * headers -- the limit, the time to reset and the remaining count, each
 * for requests and for tokens, sent only for the kinds the tier limits --
 * and the request's id, in the family of the route's dialect:
 *
 *   OpenAI     x-ratelimit-{limit,reset,remaining}-{requests,tokens},
 *              reset as a duration ("6m0s", "59.991s"); x-request-id
 *   Anthropic  anthropic-ratelimit-{requests,tokens}-{limit,reset,remaining},
 *              reset as the RFC 3339 time it happens, in whole seconds
 *              rounded up ("2026-12-07T09:41:00Z"); request-id
 *
 * tollgate's token limits count prompt and completion together, which is
 * Anthropic's "tokens" family; its input-tokens and output-tokens
 * variants (limits on each side alone) have no counterpart and are not
 * sent.  Ids are "req_" and the request's number.
 *
 * Here they are first numbers (struct serve_rl_vals, from a policy
 * decision), then text (struct serve_rl_text), then headers of a
 * libmicrohttpd response.  Each step can start at a header index `from`,
 * so that a kept response (serve_kept.h) reformats and replaces only the
 * tail that changed.
 *
 * Order: the limits, which rarely change, first; then the values that
 * change from request to request; the id, new in every answer, last.
 * Headers are added in this order after Content-Type, and a caller that
 * replaces headers from..SERVE_RL_COUNT-1 keeps the order by removing and
 * adding all of them.
 */
#ifndef TOLLGATE_SERVE_RLHDR_H
#define TOLLGATE_SERVE_RLHDR_H

#include <microhttpd.h>
#include <stdint.h>

#include "core/model/policy.h"
#include "serve/serve_reply.h"

enum serve_rl {
    SERVE_RL_LIMIT_REQ,
    SERVE_RL_LIMIT_TOK,
    SERVE_RL_RESET_REQ,
    SERVE_RL_RESET_TOK,
    SERVE_RL_REMAIN_REQ,
    SERVE_RL_REMAIN_TOK,
    SERVE_RL_ID, /* the request id */
    SERVE_RL_COUNT
};

/* The header names by dialect, index enum serve_rl. */
extern const char *const serve_rl_names[2][SERVE_RL_COUNT];

/* Header values as numbers (limits and remaining counts, resets in whole
 * milliseconds rounded up, the request's number); SERVE_RL_NOT_SENT is a
 * header not sent.  Index SERVE_RL_* (the request kind; + 1 for the
 * token kind).  dialect picks the family, now_s (Unix seconds) anchors
 * Anthropic's absolute resets. */
#define SERVE_RL_NOT_SENT INT64_MIN
struct serve_rl_vals {
    int64_t v[SERVE_RL_COUNT];
    enum serve_dialect dialect;
    int64_t now_s;
};

/* The same as header text; "" when not sent. */
struct serve_rl_text {
    char v[SERVE_RL_COUNT][32];
    enum serve_dialect dialect;
};

/* The values of decision d's headers in dialect, at Unix second now_s,
 * for the request numbered id (SERVE_RL_NOT_SENT: no id header). */
void serve_rl_vals_of(struct serve_rl_vals *a, const struct policy_decision *d,
                      enum serve_dialect dialect, int64_t now_s, int64_t id);

/* The text of values from..SERVE_RL_COUNT-1 (resets as "59.991s" or
 * "2026-12-07T09:41:00Z", ids as "req_42"); t takes a's dialect. */
void serve_rl_format(struct serve_rl_text *t, const struct serve_rl_vals *a,
                     int from);

/* Adds to r the headers from..SERVE_RL_COUNT-1 that are sent. */
void serve_rl_add(struct MHD_Response *r, const struct serve_rl_text *t,
                  int from);

/*
 * The IETF draft fields (draft-ietf-httpapi-ratelimit-headers; scenario
 * switch live.ietf_ratelimit) for decision d of scenario sc, added to r:
 *   RateLimit-Policy: "rpm";q=3;w=60, "tpm";q=40000;w=60;qu="tokens"
 *   RateLimit: "rpm";r=2;t=20, "tpm";r=39800;t=1
 * one member per limit the other families describe (the tier's first
 * request and token limits), named by the limit; q the amount in force,
 * w its window in seconds, r remaining, t seconds to reset (rounded up).
 * "tokens" is not a quota unit the draft registers.  Nothing is added
 * when the tier has neither limit.
 */
void serve_rl_ietf(struct MHD_Response *r, const struct scenario *sc,
                   const struct policy_decision *d);

/* A new API response: adds Content-Type (JSON), then all of t's headers;
 * returns r. */
struct MHD_Response *serve_rl_response(struct MHD_Response *r,
                                       const struct serve_rl_text *t);

#endif

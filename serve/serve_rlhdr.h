/*
 * serve_rlhdr.h - the x-ratelimit headers of an API answer.
 *
 * An API answer (a success or a denial) carries up to six x-ratelimit
 * headers: the limit, the time to reset and the remaining count, each for
 * requests and for tokens, sent only for the kinds the tier limits.  Here
 * they are first numbers (struct serve_rl_vals, from a policy decision),
 * then text (struct serve_rl_text), then headers of a libmicrohttpd
 * response.  Each step can start at a header index `from`, so that a kept
 * response (serve_kept.h) reformats and replaces only the tail that
 * changed.
 *
 * Order: the limits, which rarely change, first; the values that change
 * from request to request last.  Headers are added in this order after
 * Content-Type, and a caller that replaces headers from..SERVE_RL_COUNT-1
 * keeps the order by removing and adding all of them.
 */
#ifndef TOLLGATE_SERVE_RLHDR_H
#define TOLLGATE_SERVE_RLHDR_H

#include <microhttpd.h>
#include <stdint.h>

#include "core/model/policy.h"

enum serve_rl {
    SERVE_RL_LIMIT_REQ,
    SERVE_RL_LIMIT_TOK,
    SERVE_RL_RESET_REQ,
    SERVE_RL_RESET_TOK,
    SERVE_RL_REMAIN_REQ,
    SERVE_RL_REMAIN_TOK,
    SERVE_RL_COUNT
};

/* The header names, index enum serve_rl. */
extern const char *const serve_rl_names[SERVE_RL_COUNT];

/* Header values as numbers (limits and remaining counts, resets in whole
 * milliseconds rounded up); SERVE_RL_NOT_SENT is a header not sent.  Index
 * SERVE_RL_* (the request kind; + 1 for the token kind). */
#define SERVE_RL_NOT_SENT INT64_MIN
struct serve_rl_vals {
    int64_t v[SERVE_RL_COUNT];
};

/* The same as header text; "" when not sent. */
struct serve_rl_text {
    char v[SERVE_RL_COUNT][32];
};

/* The values of decision d's headers. */
void serve_rl_vals_of(struct serve_rl_vals *a, const struct policy_decision *d);

/* The text of values from..SERVE_RL_COUNT-1 (resets as "59.991s"). */
void serve_rl_format(struct serve_rl_text *t, const struct serve_rl_vals *a,
                     int from);

/* Adds to r the headers from..SERVE_RL_COUNT-1 that are sent. */
void serve_rl_add(struct MHD_Response *r, const struct serve_rl_text *t,
                  int from);

/* A new API response: adds Content-Type (JSON), then all of t's headers;
 * returns r. */
struct MHD_Response *serve_rl_response(struct MHD_Response *r,
                                       const struct serve_rl_text *t);

#endif

/*
 * serve_rlhdr.c - the rate-limit headers and request id of an API answer
 * (see the header for the two families, their order and what NOT_SENT
 * means).
 */
#include "serve/serve_rlhdr.h"

#include <string.h>

const char *const serve_rl_names[2][SERVE_RL_COUNT] = {
    [SERVE_OPENAI] =
        {
            "x-ratelimit-limit-requests",
            "x-ratelimit-limit-tokens",
            "x-ratelimit-reset-requests",
            "x-ratelimit-reset-tokens",
            "x-ratelimit-remaining-requests",
            "x-ratelimit-remaining-tokens",
            "x-request-id",
        },
    [SERVE_ANTHROPIC] =
        {
            "anthropic-ratelimit-requests-limit",
            "anthropic-ratelimit-tokens-limit",
            "anthropic-ratelimit-requests-reset",
            "anthropic-ratelimit-tokens-reset",
            "anthropic-ratelimit-requests-remaining",
            "anthropic-ratelimit-tokens-remaining",
            "request-id",
        },
};

static void kind_vals(struct serve_rl_vals *a, const struct policy_hdr *h,
                      int kind)
{
    if (!h->present) {
        a->v[SERVE_RL_LIMIT_REQ + kind] = SERVE_RL_NOT_SENT;
        a->v[SERVE_RL_RESET_REQ + kind] = SERVE_RL_NOT_SENT;
        a->v[SERVE_RL_REMAIN_REQ + kind] = SERVE_RL_NOT_SENT;
        return;
    }
    a->v[SERVE_RL_LIMIT_REQ + kind] = h->limit;
    /* whole milliseconds, rounded up: "59.991s", not "59.990777407s" */
    a->v[SERVE_RL_RESET_REQ + kind] =
        h->reset_ns <= 0 ? 0 : (h->reset_ns + 999999) / 1000000;
    a->v[SERVE_RL_REMAIN_REQ + kind] = h->remaining < 0 ? 0 : h->remaining;
}

void serve_rl_vals_of(struct serve_rl_vals *a, const struct policy_decision *d,
                      enum serve_dialect dialect, int64_t now_s, int64_t id)
{
    kind_vals(a, &d->req, 0);
    kind_vals(a, &d->tok, 1);
    a->v[SERVE_RL_ID] = id;
    a->dialect = dialect;
    a->now_s = now_s;
}

/* A reset of ms milliseconds from now in a's dialect. */
static void format_reset(char *buf, const struct serve_rl_vals *a, int64_t ms)
{
    if (a->dialect == SERVE_ANTHROPIC) /* the second it happens, rounded up */
        serve_reply_rfc3339(buf, a->now_s + (ms + 999) / 1000);
    else
        serve_reply_reset(buf, ms);
}

void serve_rl_format(struct serve_rl_text *t, const struct serve_rl_vals *a,
                     int from)
{
    t->dialect = a->dialect;
    for (int i = from; i < SERVE_RL_COUNT; i++) {
        if (a->v[i] == SERVE_RL_NOT_SENT) {
            t->v[i][0] = '\0';
        } else if (i == SERVE_RL_RESET_REQ || i == SERVE_RL_RESET_TOK) {
            format_reset(t->v[i], a, a->v[i]);
        } else if (i == SERVE_RL_ID) {
            memcpy(t->v[i], "req_", 4);
            serve_reply_i64(t->v[i] + 4, a->v[i]);
        } else {
            serve_reply_i64(t->v[i], a->v[i]);
        }
    }
}

void serve_rl_add(struct MHD_Response *r, const struct serve_rl_text *t,
                  int from)
{
    const char *const *names = serve_rl_names[t->dialect];
    for (int i = from; i < SERVE_RL_COUNT; i++)
        if (t->v[i][0] != '\0')
            MHD_add_response_header(r, names[i], t->v[i]);
}

struct MHD_Response *serve_rl_response(struct MHD_Response *r,
                                       const struct serve_rl_text *t)
{
    MHD_add_response_header(r, "Content-Type", "application/json");
    serve_rl_add(r, t, 0);
    return r;
}

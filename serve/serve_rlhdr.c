/*
 * serve_rlhdr.c - the x-ratelimit headers of an API answer (see the
 * header for their order and what NOT_SENT means).
 */
#include "serve/serve_rlhdr.h"

#include "serve/serve_reply.h"

const char *const serve_rl_names[SERVE_RL_COUNT] = {
    "x-ratelimit-limit-requests",     "x-ratelimit-limit-tokens",
    "x-ratelimit-reset-requests",     "x-ratelimit-reset-tokens",
    "x-ratelimit-remaining-requests", "x-ratelimit-remaining-tokens",
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

void serve_rl_vals_of(struct serve_rl_vals *a, const struct policy_decision *d)
{
    kind_vals(a, &d->req, 0);
    kind_vals(a, &d->tok, 1);
}

void serve_rl_format(struct serve_rl_text *t, const struct serve_rl_vals *a,
                     int from)
{
    for (int i = from; i < SERVE_RL_COUNT; i++) {
        if (a->v[i] == SERVE_RL_NOT_SENT)
            t->v[i][0] = '\0';
        else if (i == SERVE_RL_RESET_REQ || i == SERVE_RL_RESET_TOK)
            serve_reply_reset(t->v[i], a->v[i]);
        else
            serve_reply_i64(t->v[i], a->v[i]);
    }
}

void serve_rl_add(struct MHD_Response *r, const struct serve_rl_text *t,
                  int from)
{
    for (int i = from; i < SERVE_RL_COUNT; i++)
        if (t->v[i][0] != '\0')
            MHD_add_response_header(r, serve_rl_names[i], t->v[i]);
}

struct MHD_Response *serve_rl_response(struct MHD_Response *r,
                                       const struct serve_rl_text *t)
{
    MHD_add_response_header(r, "Content-Type", "application/json");
    serve_rl_add(r, t, 0);
    return r;
}

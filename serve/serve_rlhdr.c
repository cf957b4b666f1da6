/*
 * serve_rlhdr.c - the rate-limit headers and request id of an API answer
 * (see the header for the two families, their order and what NOT_SENT
 * means).
 */
#include "serve/serve_rlhdr.h"

#include <stdio.h>
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

/* The tier's first limit of kind (the one d's req / tok describe). */
static const struct scn_limit *first_limit(const struct scn_tier *t,
                                           enum limit_kind kind)
{
    for (size_t i = 0; i < t->n_limits; i++)
        if (t->limits[i].kind == kind)
            return &t->limits[i];
    return NULL;
}

/* Appends one member of each field for limit l with header values h. */
static void ietf_member(char *pol, size_t pol_len, char *now, size_t now_len,
                        const struct scn_limit *l, const struct policy_hdr *h)
{
    const char *sep = pol[0] != '\0' ? ", " : "";
    const char *qu = l->kind == LIMIT_TOKENS ? ";qu=\"tokens\"" : "";
    size_t n = strlen(pol), m = strlen(now);
    int64_t t_s = h->reset_ns <= 0 ? 0 : (h->reset_ns + 999999999) / 1000000000;
    snprintf(pol + n, pol_len - n, "%s\"%s\";q=%lld;w=%lld%s", sep, l->name,
             (long long)h->limit, (long long)(l->per_ns / 1000000000), qu);
    snprintf(now + m, now_len - m, "%s\"%s\";r=%lld;t=%lld", sep, l->name,
             (long long)(h->remaining < 0 ? 0 : h->remaining), (long long)t_s);
}

void serve_rl_ietf(struct MHD_Response *r, const struct scenario *sc,
                   const struct policy_decision *d)
{
    if (d->tier < 0 || (size_t)d->tier >= sc->policy.n_tiers)
        return;
    const struct scn_tier *t = &sc->policy.tiers[d->tier];
    char pol[2 * (SCN_MAX_NAME + 64)] = "", now[2 * (SCN_MAX_NAME + 64)] = "";
    const struct scn_limit *lr = first_limit(t, LIMIT_REQUESTS);
    const struct scn_limit *lt = first_limit(t, LIMIT_TOKENS);
    if (d->req.present && lr != NULL)
        ietf_member(pol, sizeof(pol), now, sizeof(now), lr, &d->req);
    if (d->tok.present && lt != NULL)
        ietf_member(pol, sizeof(pol), now, sizeof(now), lt, &d->tok);
    if (pol[0] == '\0')
        return;
    MHD_add_response_header(r, "RateLimit-Policy", pol);
    MHD_add_response_header(r, "RateLimit", now);
}

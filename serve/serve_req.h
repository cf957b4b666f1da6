/*
 * serve_req.h - what serve reads from an API request body.
 *
 * The policy model needs a model, a prompt size, max_tokens and the
 * moderation / malformed flags of a request; this module extracts them
 * from an OpenAI chat or completions body or an Anthropic messages body,
 * with core/base/json's bounded parser.  It never fails hard: a body that is
 * not valid JSON, or lacks the route's required members, sets bad_json /
 * bad_request and keeps what could be read, so that the policy's
 * evaluation order still decides (an unknown key beats a malformed body).
 *
 * Prompt tokens are estimated as ceil(bytes / 4) of the prompt text as
 * sent (message contents, system prompt, completion prompt; JSON escapes
 * count as sent).  tollgate run's ${prompt} filler is 4 bytes per token,
 * so the estimate gives back exactly the scenario's prompt_tokens.
 *
 * Live-only flags, since a body cannot carry the simulator's coin flips:
 * a body containing SERVE_MARK_VIOLATION is flagged by moderation
 * (policy_violation), one containing SERVE_MARK_BAD_REQUEST is treated as
 * malformed (bad_request) although it parses.
 */
#ifndef TOLLGATE_SERVE_REQ_H
#define TOLLGATE_SERVE_REQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "serve/serve_reply.h"

#define SERVE_MARK_VIOLATION   "[tollgate:violation]"
#define SERVE_MARK_BAD_REQUEST "[tollgate:bad_request]"
#define SERVE_REQ_MODEL_MAX    128 /* bytes of a model name kept */

struct serve_req_info {
    char model[SERVE_REQ_MODEL_MAX]; /* "" when absent or not a string */
    bool has_model;
    int64_t max_tokens;    /* max_tokens / max_completion_tokens; 0: absent */
    size_t prompt_bytes;   /* bytes of prompt text */
    int64_t prompt_tokens; /* serve_reply_estimate_tokens(prompt_bytes) */
    bool violation;        /* SERVE_MARK_VIOLATION present */
    bool bad_json;         /* not parseable JSON (or too deep / too big) */
    bool bad_request;      /* bad_json, a required member missing or of the
                              wrong type, a negative max_tokens, or
                              SERVE_MARK_BAD_REQUEST present */
};

/* Reads body[0..len) of an API route (CHAT, COMPLETIONS or MESSAGES) into
 * *out.  Always succeeds; problems are reported through the flags.  A
 * single validating scan reads ordinary bodies; anything unusual or
 * malformed is read by serve_req_parse_full, with the same result. */
void serve_req_parse(enum serve_route route, const char *body, size_t len,
                     struct serve_req_info *out);

/* The two readers serve_req_parse uses, for tests that compare them.
 * _fast returns false (and *out is to be ignored) when it gives up on a
 * body; when it returns true, *out is what _full gives.  _full is the
 * reference: core/base/json's DOM parse of the whole body. */
bool serve_req_parse_fast(enum serve_route route, const char *body, size_t len,
                          struct serve_req_info *out);
void serve_req_parse_full(enum serve_route route, const char *body, size_t len,
                          struct serve_req_info *out);

#endif

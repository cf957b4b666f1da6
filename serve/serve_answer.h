/*
 * serve_answer.h - serve's answers (private to serve/).  Each queues a
 * response on q's connection (or c) and returns libmicrohttpd's result.
 */
#ifndef TOLLGATE_SERVE_ANSWER_H
#define TOLLGATE_SERVE_ANSWER_H

#include <stdbool.h>

#include "serve/serve_conn.h"

/* A plain error that is not a policy decision (404, 405, 403, 413): a
 * JSON error body with code and msg (both plain text, not escaped). */
enum MHD_Result serve_answer_plain_error(struct MHD_Connection *c,
                                         unsigned status, const char *code,
                                         const char *msg);

/* A decided API request (q->call's outcome set by the model). */
enum MHD_Result serve_answer_api(struct sreq *q);

/* GET /v1/models: needs a valid key, is not a policy decision. */
enum MHD_Result serve_answer_models(struct serve *s, struct sreq *q);

/* Whether q may use its admin route (docs/serve.md, "Security"): from
 * loopback unless admin_any, and with the admin token where the route
 * needs it.  Queues the refusal when not. */
bool serve_answer_admin_allowed(struct serve *s, struct sreq *q);

/* GET /tollgate/key?account=N. */
enum MHD_Result serve_answer_key(struct serve *s, struct sreq *q);

/* The other admin routes: metrics, state, events. */
enum MHD_Result serve_answer_admin(struct serve *s, struct sreq *q);

#endif

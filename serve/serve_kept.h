/*
 * serve_kept.h - the success response a connection keeps for its next
 * success.
 *
 * Building a libmicrohttpd response costs allocations: the response, a
 * copy of its body, one per header.  A client on a keep-alive connection
 * gets success after success whose bodies differ only in their numbers
 * (id, created, token counts) and whose x-ratelimit headers differ only in
 * the values that moved.  So each connection keeps the response of its
 * last success (struct serve_kept) and answers the next one with it:
 *
 *   - body: kept in the struct (MHD_RESPMEM_PERSISTENT); when the new
 *     body has the same route and model and numbers of the same lengths,
 *     only the number bytes are overwritten in place
 *     (serve_reply_success_nums says where they are).  Otherwise, when the
 *     new body has the same length, it is formatted over the old one.
 *     A body of another length starts a new kept response; a body of
 *     SERVE_KEPT_BODY bytes or more is answered with a response of its
 *     own and is not kept.
 *   - rate-limit headers and the request id (serve_rlhdr.h, the family of
 *     the route's dialect): the first header whose value
 *     changed and all after it are removed and added again, so their order
 *     stays; the unchanged head is left alone.
 *   - Date: the kept response carries its own Date header, added first
 *     (where libmicrohttpd writes its own, which it then leaves out), so
 *     it is formatted once a second instead of per answer.  A kept
 *     response is reused only within the second of its Date; the next
 *     second starts a new one.  now_s < 0 (no clock) sends no Date of ours.
 *
 * Why in place is safe: libmicrohttpd drops its reference to a queued
 * response when the request completes, before it reads the next request
 * on the connection, and a connection has one request at a time.  So when
 * the next answer is built nobody but the kept struct uses the response.
 * The owner must call serve_kept_answer only from the thread that handles
 * the connection, and serve_kept_free once the connection is closed.
 *
 * Not here: the body format (serve_reply.c), the header values
 * (serve_rlhdr.c), when a request is a success (serve_model.c).
 */
#ifndef TOLLGATE_SERVE_KEPT_H
#define TOLLGATE_SERVE_KEPT_H

#include <microhttpd.h>
#include <stddef.h>
#include <stdint.h>

#include "serve/serve_reply.h"
#include "serve/serve_req.h"
#include "serve/serve_rlhdr.h"

#define SERVE_KEPT_BODY 1024 /* success bodies a connection keeps */

/* Owned by the connection's state; fields are private to serve_kept.c.
 * Invariant: r == NULL, or r's body is body[0..body_len), its Date is
 * date_s and its x-ratelimit headers are hdrs (values vals).  route is
 * SERVE_ROUTE_NONE unless body holds a success of route and model whose
 * numbers are at nums. */
struct serve_kept {
    struct MHD_Response *r; /* our reference, or NULL */
    size_t body_len;
    int64_t date_s; /* Unix seconds */
    struct serve_rl_vals vals;
    struct serve_rl_text hdrs;
    enum serve_route route;
    char model[SERVE_REQ_MODEL_MAX];
    struct serve_reply_nums nums;
    char body[SERVE_KEPT_BODY];
};

/* An empty kept response (nothing to reuse yet). */
void serve_kept_init(struct serve_kept *k);

/* Queues the success ok with x-ratelimit values a as the 200 answer on
 * conn, at Unix second now_s, reusing k's response where it can (see the
 * top of this file).  Returns libmicrohttpd's MHD_queue_response result. */
enum MHD_Result serve_kept_answer(struct serve_kept *k,
                                  struct MHD_Connection *conn,
                                  const struct serve_reply_ok *ok,
                                  int64_t now_s, const struct serve_rl_vals *a);

/* Drops k's reference to its response (libmicrohttpd's own, if any,
 * stays); k is then empty again. */
void serve_kept_free(struct serve_kept *k);

#endif

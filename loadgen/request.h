/*
 * request.h - setting up easy handles and rendering requests into them
 * (internal to loadgen/).
 */
#ifndef TOLLGATE_REQUEST_H
#define TOLLGATE_REQUEST_H

#include "loadgen/worker.h"

/* Sets the per-handle options of s->easy once (s->easy created by the
 * caller).  The socket callbacks get sock_data.  ERR_CURL on refusal. */
int lg_slot_setup(struct lg_slot *s, const struct lg_shared *sh,
                  curl_opensocket_callback open_cb,
                  curl_closesocket_callback close_cb,
                  void *sock_data) WARN_UNUSED;

/* Renders request r into s and sets what varies per request, with a
 * transfer timeout of timeout_ns.  Resets the response state.  ERR_CURL. */
int lg_slot_prepare(struct lg_slot *s, const struct lg_shared *sh,
                    const struct lg_req *r, int64_t timeout_ns) WARN_UNUSED;

/* Points s->resp at the body bytes collected (call after completion). */
void lg_slot_response(struct lg_slot *s);

/* curl_easy_cleanup and buffer release; accepts NULL. */
void lg_slot_fini(struct lg_slot *s);

#endif

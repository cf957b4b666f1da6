/*
 * serve_conn.h - serve's request and connection state (private to serve/:
 * serve.c, which drives libmicrohttpd, and serve_answer.c, which answers).
 *
 * struct serve is one server; struct sconn is one connection
 * (libmicrohttpd's socket context), with the request in progress (struct
 * sreq, one at a time, reset for each) and the kept success response.
 * A connection is freed when the last of its references goes
 * (libmicrohttpd's, and the model's while it keeps a call waiting).
 */
#ifndef TOLLGATE_SERVE_CONN_H
#define TOLLGATE_SERVE_CONN_H

#include <microhttpd.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/model/keys.h"
#include "serve/serve.h"
#include "serve/serve_guard.h"
#include "serve/serve_hdr.h"
#include "serve/serve_keys.h"
#include "serve/serve_kept.h"
#include "serve/serve_model.h"
#include "serve/serve_reply.h"
#include "serve/serve_req.h"
#include "serve/serve_scn.h"

/* Request bodies up to this size live inside the request (no allocation
 * of their own). */
#define INLINE_BODY      576
#define ADMIN_BODY_LIMIT (64 * 1024)

struct serve {
    const struct scenario *sc; /* borrowed, as given */
    struct serve_opts opts;
    struct serve_scn scn; /* the copy decided with */
    struct keys keys_file;
    struct serve_keys keys;
    struct serve_model *model;
    struct serve_guard *guard;
    struct serve_limits limits;
    struct MHD_Daemon *d;
    int port;
    const char *region_header;
    char **model_names; /* for GET /v1/models */
    size_t n_models;
    /* answers that are the same bytes every time (no rate-limit or retry
     * headers, a message without details), built once per reason and
     * dialect and queued on every connection that gets them */
    _Atomic(struct MHD_Response *) fixed[REASON_COUNT][2];
    atomic_uint_fast64_t next_id;  /* response ids */
    atomic_int_fast64_t suspended; /* suspended and not yet completed */
    bool stopped;
};

struct sreq {
    struct serve *s;
    struct MHD_Connection *conn;
    enum serve_route route;
    int64_t arrive_ns;
    char *body;
    size_t len, cap;   /* cap 0: body is the static empty string */
    bool body_heap;    /* body is allocated (else inline or static) */
    size_t expect_len; /* Content-Length, 0 when absent */
    bool too_big;
    bool answered;    /* a response is queued: ignore the rest */
    bool decided;     /* the model has it (answer when resumed) */
    bool suspended;   /* counted in s->suspended */
    atomic_uint wait; /* enum wait_state: the model's hold on the call */
    bool model_unknown;
    char model[SERVE_REQ_MODEL_MAX]; /* echoed in the answer */
    struct serve_hdr hdr;            /* read with the first call */
    struct serve_call call;
    bool active; /* between the first call and on_completed */
    char inline_body[INLINE_BODY];
};

/* A call the model keeps waiting (service time, capacity queue), from the
 * model's suspend callback to its resume callback.  The connection is not
 * suspended in the handler call that decided (libmicrohttpd 0.9.75 would
 * go on reading after the resume and drop a connection whose client
 * half-closed after sending: it closes on the end of the stream before
 * it answers) but in the next one, once libmicrohttpd has stopped
 * reading it (a request fully received and not yet answered is polled,
 * not read).  Transitions: PENDING -> SUSPENDED (handler), PENDING or
 * SUSPENDED -> DONE (resume callback), PENDING -> GONE (the connection
 * closed before it was suspended; the resume callback then only drops
 * the model's reference). */
enum wait_state {
    WAIT_NONE = 0,
    WAIT_PENDING,
    WAIT_SUSPENDED,
    WAIT_DONE,
    WAIT_GONE
};

/* Per connection (libmicrohttpd's socket context): the request in
 * progress (one at a time on a connection; reset for each), and the
 * response of the last success answered on it, kept for the next one
 * (serve_kept.h). */
struct sconn {
    struct serve_guard_conn guard; /* request deadline, eviction */
    struct serve_kept kept;        /* the last success's response */
    bool closed; /* closed while q was active: on_completed frees */
    /* references: libmicrohttpd's (until the connection and its last
     * request are done) and the model's (while it keeps a call waiting);
     * the last one frees */
    atomic_int refs;
    struct sreq q;
};

/* The connection state of c. */
static inline struct sconn *conn_state(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci->socket_context;
}

/* The connection a request is part of (q lives inside it). */
static inline struct sconn *conn_of(struct sreq *q)
{
    return (struct sconn *)(void *)((char *)q - offsetof(struct sconn, q));
}

#endif

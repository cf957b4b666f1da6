/*
 * capacity.h - the server-capacity admission rule shared by sim and serve.
 *
 * A service has `servers` identical servers and one FIFO queue of at most
 * `queue` waiting requests.  A request that finds a free server (and nobody
 * queued ahead of it) starts at once; otherwise it waits in the queue; when
 * the queue is full on arrival, or it has waited `queue_timeout` without
 * starting, it is rejected as `overloaded`.  During partial outages and
 * upgrades only servers x factor of them serve (capacity_set_factor);
 * requests already running finish.  No capacity block in the scenario
 * means unlimited servers and no queue: everything starts at once.
 *
 * The rule is pure: time is an argument, nothing here reads a clock,
 * sleeps, locks or allocates per request.  The caller (the discrete-event
 * engine, or an asynchronous HTTP server with its real clock) drives it:
 *   capacity_admit()   on arrival: started now / queued / rejected;
 *   capacity_release() when a started request completes;
 *   capacity_poll()    after a release, a factor change or at
 *                      capacity_next_deadline(): each call hands back one
 *                      queued request that now starts or has expired.
 * Queued requests are identified by an opaque 64-bit tag of the caller's.
 *
 * Service time: capacity_service_ns() samples a model's first_token +
 * per_token x completion tokens.
 */
#ifndef TOLLGATE_CAPACITY_H
#define TOLLGATE_CAPACITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/base/rng.h"
#include "core/scenario/scenario.h"

/* Servers value meaning "unlimited" (no capacity block). */
#define CAPACITY_UNLIMITED (-1)

enum capacity_admit {
    CAPACITY_STARTED = 0, /* a server took it; call capacity_release later */
    CAPACITY_QUEUED,      /* waiting; capacity_poll reports its fate */
    CAPACITY_REJECTED     /* queue full: outcome overloaded */
};

enum capacity_step {
    CAPACITY_NONE = 0, /* nothing changes state at this time */
    CAPACITY_START,    /* the tagged request leaves the queue and starts */
    CAPACITY_EXPIRE    /* the tagged request waited too long: overloaded */
};

struct capacity_entry {
    uint64_t tag;        /* caller's id of the queued request */
    int64_t enqueued_ns; /* when it joined the queue */
};

struct capacity {
    int64_t servers;             /* configured; CAPACITY_UNLIMITED: no limit */
    int64_t active;              /* servers x factor, rounded down */
    int64_t busy;                /* started, not yet released; may exceed
                                    active right after a capacity drop */
    int64_t queue_max;           /* queue slots; 0: no queue */
    int64_t queue_timeout_ns;    /* max wait; 0: wait forever */
    struct capacity_entry *ring; /* FIFO of waiting requests */
    size_t ring_cap;             /* allocated slots; grows by doubling up to
                                    queue_max, never per request after that */
    size_t head;                 /* index of the oldest entry */
    size_t len;                  /* entries waiting */
};

/*
 * Prepares c (caller's storage) for servers (>= 0, or CAPACITY_UNLIMITED),
 * queue slots (>= 0) and a queue timeout (ns, >= 0; 0 = wait forever).
 * Returns ERR_INVAL for negative values, leaving c safe to fini.
 */
int capacity_init(struct capacity *c, int64_t servers, int64_t queue,
                  int64_t queue_timeout_ns) WARN_UNUSED;

/* The same from a scenario's policy.capacity (or its absence). */
int capacity_init_policy(struct capacity *c,
                         const struct scn_policy *p) WARN_UNUSED;

/* Releases the queue storage; c may be NULL. */
void capacity_fini(struct capacity *c);

/* Scales the active servers to floor(servers x factor), factor in [0, 1]
 * (clamped).  Queued requests do not start by themselves when capacity
 * grows: call capacity_poll afterwards. */
void capacity_set_factor(struct capacity *c, double factor);

/* A request arrives at now_ns.  It starts when a server is free and the
 * queue is empty; else it is queued under tag when a slot is free; else it
 * is rejected.  Expired queue entries still hold their slot until polled:
 * poll until CAPACITY_NONE first for the exact rule. */
enum capacity_admit capacity_admit(struct capacity *c, uint64_t tag,
                                   int64_t now_ns);

/* A started request finished (completed, failed or abandoned by its
 * client: the server's work is done either way).  Frees its server. */
void capacity_release(struct capacity *c);

/*
 * One state change of the queue at now_ns.  The head entry expires when
 * now_ns >= enqueued + queue_timeout (it may start only strictly before
 * its deadline); otherwise it starts when a server is free.  Writes the
 * entry's tag and how long it waited (ns).  Call repeatedly until it
 * returns CAPACITY_NONE.
 */
enum capacity_step capacity_poll(struct capacity *c, int64_t now_ns,
                                 uint64_t *tag, int64_t *waited_ns);

/* When the head of the queue expires (ns), or INT64_MAX when the queue is
 * empty or there is no timeout.  What an asynchronous caller arms a timer
 * for. */
int64_t capacity_next_deadline(const struct capacity *c);

/* Requests started and not released. */
int64_t capacity_busy(const struct capacity *c);

/* Requests waiting in the queue. */
int64_t capacity_queued(const struct capacity *c);

/* Service time (ns, >= 0) of a request for model m producing
 * completion_tokens tokens: first_token + per_token x completion_tokens,
 * each drawn once from r (negative draws clamp to 0). */
int64_t capacity_service_ns(const struct scn_model *m,
                            int64_t completion_tokens, struct rng *r);

struct zig;

/* The same service time with the exp, normal and lognormal draws taken
 * through the ziggurat samplers z (core/base/zig.h, borrowed): the same
 * distribution without a log per draw, consuming r differently.  sim
 * samples every service time this way. */
int64_t capacity_service_ns_zig(const struct scn_model *m,
                                int64_t completion_tokens, const struct zig *z,
                                struct rng *r);

#endif

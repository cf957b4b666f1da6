/*
 * serve_guard.h - keeps slow and idle clients from starving serve.
 *
 * libmicrohttpd's own connection timeout is an idle timeout: every byte a
 * client sends restarts it, so a client that sends one header line every
 * few seconds (slowloris) holds its connection for as long as it likes,
 * and a few thousand of them hold every connection slot.  The guard adds
 * what is missing:
 *
 *   - a request deadline: a connection must deliver each whole request
 *     (headers and body) within request_timeout of being ready for it
 *     (accepted, or its previous answer sent).  A connection that is not
 *     busy with a request when its deadline passes is shut down
 *     (shutdown(2), which libmicrohttpd sees as the peer going away and
 *     closes).  A keep-alive connection idle for that long is closed too;
 *     clients reconnect.
 *   - eviction at the cap: when a new connection arrives while soft_cap
 *     connections are open, the longest-waiting connection that is not
 *     busy with a request is shut down, so idle connections never keep a
 *     real request out.
 *
 * The registry is a list of every open connection under one mutex, taken
 * when a connection opens or closes and by the sweep (every
 * SERVE_GUARD_TICK_NS on the guard's thread), never per request.  Per
 * request the HTTP thread that owns a connection only stores its state
 * (serve_guard_busy / serve_guard_ready: one relaxed atomic store each);
 * the sweep notices a change at its next tick, so a deadline counts from
 * that tick (at most one tick late) except for the first request, whose
 * deadline counts from the accept.
 *
 * Descriptors: a connection is shut down only while it is in the registry
 * and under the registry lock, and libmicrohttpd removes it (its close
 * notification) before it closes the descriptor, so the guard never
 * touches a descriptor that was closed and reused.
 */
#ifndef TOLLGATE_SERVE_GUARD_H
#define TOLLGATE_SERVE_GUARD_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/base/err.h"

#define SERVE_GUARD_TICK_NS 250000000LL /* sweep period */
#define SERVE_GUARD_SCAN    64          /* connections eviction looks at */

/* One connection as the guard sees it; embedded in the connection's own
 * state and owned by it.  Fields after state are the guard's, under its
 * lock. */
struct serve_guard_conn {
    /* (requests answered << 1) | busy; written only by the HTTP thread
     * that owns the connection, read by the sweep */
    atomic_uint state;
    struct serve_guard_conn *prev, *next;
    int fd;
    unsigned seen_state; /* state at the sweep that last saw it change */
    int64_t seen_ns;     /* when that was (or the accept) */
    bool shut;           /* shut down by the guard */
};

/* A request is fully received: its deadline no longer applies. */
static inline void serve_guard_busy(struct serve_guard_conn *c)
{
    unsigned s = atomic_load_explicit(&c->state, memory_order_relaxed);
    atomic_store_explicit(&c->state, s | 1u, memory_order_relaxed);
}

/* The answer is sent: the connection waits for its next request. */
static inline void serve_guard_ready(struct serve_guard_conn *c)
{
    unsigned s = atomic_load_explicit(&c->state, memory_order_relaxed);
    atomic_store_explicit(&c->state, ((s >> 1) + 1) << 1, memory_order_relaxed);
}

struct serve_guard;

/* What the guard did so far (racy gauges, for logs and tests). */
struct serve_guard_stats {
    size_t open;        /* connections in the registry */
    uint64_t timed_out; /* shut down by the request deadline */
    uint64_t evicted;   /* shut down to make room at the cap */
    size_t open_max;    /* most connections open at once */
};

/*
 * A guard with a request deadline of request_timeout_ns (> 0) that evicts
 * at soft_cap open connections (>= 1).  With thread, it starts its sweep
 * thread; without, the caller calls serve_guard_sweep itself (tests).
 * Returns ERR_THREAD when the thread cannot start.
 */
int serve_guard_new(int64_t request_timeout_ns, size_t soft_cap, bool thread,
                    struct serve_guard **out) WARN_UNUSED;

/* Registers c (socket fd, accepted at now_ns); evicts first when the cap
 * is reached.  c must stay valid until serve_guard_remove. */
void serve_guard_add(struct serve_guard *g, struct serve_guard_conn *c, int fd,
                     int64_t now_ns);

/* Unregisters c (call before its descriptor is closed). */
void serve_guard_remove(struct serve_guard *g, struct serve_guard_conn *c);

/* One sweep at now_ns: shuts down every connection past its deadline. */
void serve_guard_sweep(struct serve_guard *g, int64_t now_ns);

void serve_guard_stats(struct serve_guard *g, struct serve_guard_stats *out);

/* Stops the thread (if any) and frees g; the registry must be empty or
 * its connections gone.  Accepts NULL. */
void serve_guard_free(struct serve_guard *g);

/* ---- descriptor limit and caps ------------------------------------------ */

/* Descriptors serve keeps for itself (listen socket, epoll, results
 * files, the timer) beyond the connections. */
#define SERVE_FD_RESERVE 64

struct serve_fd_limit {
    uint64_t soft_before; /* RLIMIT_NOFILE soft limit found */
    uint64_t soft;        /* after raising it to the hard limit */
    uint64_t hard;
};

/* Raises the process's soft RLIMIT_NOFILE to its hard limit (at most
 * 1 << 20) and reports both.  Returns ERR_IO when getrlimit fails; a
 * failed raise leaves soft == soft_before and is not an error. */
int serve_guard_raise_nofile(struct serve_fd_limit *out) WARN_UNUSED;

/* Default caps for fd_soft descriptors: max connections = 4/5 of what
 * is left after SERVE_FD_RESERVE (libmicrohttpd's own limit gets the
 * remaining fifth, so that eviction, not a refusal, happens at the cap
 * even when its threads' shares are uneven), per client address half of
 * that; both at least 1. */
void serve_guard_default_caps(uint64_t fd_soft, unsigned *max_connections,
                              unsigned *max_per_ip);

/* libmicrohttpd's own connection limit for max_connections. */
unsigned serve_guard_hard_cap(unsigned max_connections);

#endif

/*
 * evq.h - the simulator's event queue: events ordered by (time_ns, seq).
 *
 * seq is a counter owned by the queue and stamped on every push, so events
 * scheduled for the same virtual time come out in the order they were
 * pushed (FIFO), as libuv orders its timers by start_id.
 *
 * Shape: a calendar queue (Brown 1988) in three tiers.  The events of the
 * current time bucket sit in a small binary heap ("near"); the following
 * EVQ_BUCKETS - 1 buckets of width 2^shift ns hold their events unsorted
 * in a ring (lists of nodes from one pool); events beyond the ring's span wait
 * in a second binary heap
 * ("far").  A push links a node (or does a heap push for the near and far
 * tiers), a pop takes the near heap's root, and when the near heap runs
 * dry the next bucket is moved into it.  The bucket width adapts to the
 * event density (a few events per bucket).  Nothing is allocated per
 * event after warm-up.  Events are small values (a kind and two
 * payload words); larger per-request state lives in the caller's pool and
 * is referenced by index.
 */
#ifndef TOLLGATE_EVQ_H
#define TOLLGATE_EVQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EVQ_BUCKET_BITS 13
#define EVQ_BUCKETS     (1u << EVQ_BUCKET_BITS) /* ring size, current included */

struct evq_event {
    int64_t time_ns; /* virtual time at which the event fires */
    uint64_t seq;    /* push order; ties on time_ns pop in seq order */
    uint32_t kind;   /* the caller's event kind */
    uint32_t arg;    /* small payload, e.g. a population index */
    uint64_t data;   /* payload, e.g. an index into a request pool */
};

/* Internal: a binary min-heap (1-based array). */
struct evq_heap {
    struct evq_event *v;
    size_t n, cap;
};

struct evq {
    struct evq_heap near;    /* events before the current bucket's end */
    struct evq_heap far;     /* events at or after the ring's span */
    uint32_t *ring;          /* EVQ_BUCKETS list heads (node index) */
    size_t ring_n;           /* events in the ring */
    struct evq_event *node;  /* the ring's events, one per node */
    uint32_t *next;          /* list link per node (bucket or free list) */
    uint32_t n_nodes;        /* nodes allocated */
    uint32_t free_node;      /* head of the free list (LIFO) */
    uint64_t base;           /* current bucket's start, as an ordered key */
    unsigned shift;          /* bucket width 2^shift ns */
    size_t n;                /* events pending in all tiers */
    uint64_t next_seq;       /* stamped on the next push */
    uint64_t pops, advances; /* since the last width check */
    uint64_t far_in;         /* events placed in far since then */
    uint64_t near_in;        /* events placed in near at or after base */
};

/* Prepares q (caller's storage) for about cap_hint pending events.
 * Allocation failure aborts (xmalloc). */
void evq_init(struct evq *q, size_t cap_hint);

/* Releases everything; q may be NULL.  q can be re-initialised. */
void evq_fini(struct evq *q);

/* Schedules an event at time_ns (any time, even before the last popped
 * event's).  Amortised O(1) when it falls within the ring's span, O(log n)
 * beyond it or in the current bucket.  Returns the seq stamped on it, which
 * identifies the event for the caller's bookkeeping. */
uint64_t evq_push(struct evq *q, int64_t time_ns, uint32_t kind, uint32_t arg,
                  uint64_t data);

/* Removes the earliest event into *out.  Returns false (and leaves *out
 * untouched) when the queue is empty. */
bool evq_pop(struct evq *q, struct evq_event *out);

/* The earliest event without removing it, or NULL when empty.  The
 * pointer is valid until the next push or pop.  Not const: finding it
 * may move the next bucket into the near heap. */
const struct evq_event *evq_peek(struct evq *q);

/* Number of pending events. */
static inline size_t evq_len(const struct evq *q)
{
    return q->n;
}

#endif

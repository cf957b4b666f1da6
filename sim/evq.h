/*
 * evq.h - the simulator's event queue: a binary min-heap keyed by
 * (time_ns, seq).
 *
 * seq is a counter owned by the queue and stamped on every push, so events
 * scheduled for the same virtual time come out in the order they were
 * pushed (FIFO), as libuv orders its timers by start_id.  The heap is one
 * array that grows by doubling only: after warm-up nothing is allocated per
 * event.  Events are small values (a kind and two payload words); larger
 * per-request state lives in the caller's pool and is referenced by index.
 */
#ifndef TOLLGATE_EVQ_H
#define TOLLGATE_EVQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct evq_event {
    int64_t time_ns; /* virtual time at which the event fires */
    uint64_t seq;    /* push order; ties on time_ns pop in seq order */
    uint32_t kind;   /* the caller's event kind */
    uint32_t arg;    /* small payload, e.g. a population index */
    uint64_t data;   /* payload, e.g. an index into a request pool */
};

struct evq {
    struct evq_event *heap; /* 1-based: heap[1] is the earliest event */
    size_t n;               /* events pending */
    size_t cap;             /* slots allocated; grows by doubling */
    uint64_t next_seq;      /* stamped on the next push */
};

/* Prepares q (caller's storage) with room for cap_hint events (at least
 * 16).  Allocation failure aborts (xmalloc). */
void evq_init(struct evq *q, size_t cap_hint);

/* Releases the heap array; q may be NULL.  q can be re-initialised. */
void evq_fini(struct evq *q);

/* Schedules an event at time_ns; O(log n).  Returns the seq stamped on it,
 * which identifies the event for the caller's bookkeeping. */
uint64_t evq_push(struct evq *q, int64_t time_ns, uint32_t kind, uint32_t arg,
                  uint64_t data);

/* Removes the earliest event into *out.  Returns false (and leaves *out
 * untouched) when the queue is empty. */
bool evq_pop(struct evq *q, struct evq_event *out);

/* The earliest event without removing it, or NULL when empty.  The
 * pointer is valid until the next push or pop.  Inline: the engine asks
 * twice per event. */
static inline const struct evq_event *evq_peek(const struct evq *q)
{
    return q->n > 0 ? &q->heap[1] : NULL;
}

/* Number of pending events. */
static inline size_t evq_len(const struct evq *q)
{
    return q->n;
}

#endif

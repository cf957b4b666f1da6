/*
 * evq.c - binary min-heap of simulator events ordered by (time_ns, seq).
 *
 * Invariants: heap[i] is never later than heap[2i] or heap[2i+1] under
 * the (time_ns, seq) order; seq values are unique and increase with every
 * push, so the order is total and popping is deterministic: no two runs
 * can disagree on which of two simultaneous events comes first.
 *
 * Push and pop move a "hole" instead of swapping, which halves the stores
 * on the hot path.  The array is 1-based and 64-byte aligned, so the two
 * 32-byte children of a node sit in one cache line: one miss per level.  The
 * array only grows (doubling); it is never shrunk, because a simulation's
 * pending-event count is bounded by its in-flight requests plus one arrival per
 * population.  Not thread-safe: one queue belongs to one engine.
 */
#include "sim/evq.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/err.h"

static inline bool ev_before(const struct evq_event *a,
                             const struct evq_event *b)
{
    return a->time_ns < b->time_ns ||
           (a->time_ns == b->time_ns && a->seq < b->seq);
}

/* cap + 1 slots (slot 0 unused) on a cache-line boundary; fatal on OOM
 * like xmalloc. */
static struct evq_event *alloc_heap(size_t cap)
{
    void *p = NULL;
    size_t bytes = (cap + 1) * sizeof(struct evq_event);
    if (posix_memalign(&p, 64, bytes) != 0) {
        fprintf(stderr, "out of memory: %zu bytes of event queue\n", bytes);
        abort();
    }
    return p;
}

void evq_init(struct evq *q, size_t cap_hint)
{
    q->cap = cap_hint < 16 ? 16 : cap_hint;
    q->heap = alloc_heap(q->cap);
    q->n = 0;
    q->next_seq = 0;
}

void evq_fini(struct evq *q)
{
    if (q == NULL)
        return;
    free(q->heap);
    q->heap = NULL;
    q->n = q->cap = 0;
}

uint64_t evq_push(struct evq *q, int64_t time_ns, uint32_t kind, uint32_t arg,
                  uint64_t data)
{
    if (q->n == q->cap) {
        struct evq_event *h = alloc_heap(q->cap * 2);
        memcpy(h, q->heap, (q->n + 1) * sizeof(*h));
        free(q->heap);
        q->heap = h;
        q->cap *= 2;
    }
    struct evq_event ev = { time_ns, q->next_seq++, kind, arg, data };
    struct evq_event *h = q->heap;
    size_t i = ++q->n;
    while (i > 1) {
        size_t parent = i / 2;
        if (!ev_before(&ev, &h[parent]))
            break;
        h[i] = h[parent];
        i = parent;
    }
    h[i] = ev;
    return ev.seq;
}

bool evq_pop(struct evq *q, struct evq_event *out)
{
    if (q->n == 0)
        return false;
    struct evq_event *h = q->heap;
    *out = h[1];
    size_t n = q->n--;
    if (n == 1)
        return true;
    /* Sift the last element down from the root through the hole.  The
     * two children 2i and 2i+1 share one cache line. */
    struct evq_event last = h[n];
    n--;
    size_t i = 1;
    for (;;) {
        size_t child = 2 * i;
        if (child > n)
            break;
        if (child < n && ev_before(&h[child + 1], &h[child]))
            child++;
        if (!ev_before(&h[child], &last))
            break;
        h[i] = h[child];
        i = child;
    }
    h[i] = last;
    return true;
}

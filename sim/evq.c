/*
 * evq.c - the simulator's event queue: a calendar queue in three tiers,
 * ordered by (time_ns, seq).
 *
 * Times are mapped to unsigned keys that sort the same way (sign bit
 * flipped).  Invariants, with W = 2^shift and span = EVQ_BUCKETS * W:
 *   near: every event with key < base + W (including any pushed before
 *         base), as a binary heap on (time, seq);
 *   ring: every event with base + W <= key < base + span, in bucket
 *         (key >> shift) mod EVQ_BUCKETS, unsorted: a list of nodes from
 *         one pool, linked through next[];
 *   far:  every event with key >= base + span, as a binary heap.
 * So while near is not empty its root is the earliest event of all.  When
 * it runs dry, base moves one bucket on (or jumps to the far heap's first
 * event when the ring is empty), that bucket's events go into near, and
 * far events now inside the span move into the ring.  Each event is
 * copied about twice; a pop works on a heap of a few events that stays in
 * cache, where one big heap of ~10^4 events made every pop a dozen cache
 * misses down the tree (measured: a quarter of the simulator's time).
 * Free nodes are reused last-freed first: the node a push writes is
 * usually one a bucket move has just read, still in cache (per-bucket
 * arrays made every push a write miss into memory untouched for a whole
 * turn of the ring, and measured no faster than the binary heap).
 *
 * The width adapts (retune): more than 16 events per bucket halve it;
 * mostly empty buckets walked, or more than half of the events going to the
 * far heap, double it; all events are then re-placed (O(n), rare).  The order
 * popped never depends on the width: it is always exactly (time, seq).  Not
 * thread-safe: one queue belongs to one engine.
 */
#include "sim/evq.h"

#include <stdio.h>
#include <stdlib.h>

#include "core/err.h"

#if defined(__GNUC__)
#define EVQ_PREFETCH(p) __builtin_prefetch(p)
#else
#define EVQ_PREFETCH(p) ((void)(p))
#endif

#define NO_NODE         UINT32_MAX
#define SHIFT_MIN       8  /* 256 ns buckets */
#define SHIFT_MAX       46 /* 2^46 ns = 19.5 h buckets; span 2^59 ns */
#define SHIFT_START     20 /* ~1 ms */
#define RETUNE_POPS     4096
#define RETUNE_ADVANCES 1024
#define DENSE_BUCKET    16 /* events per bucket above which W halves */
#define SPARSE_ADVANCES 4  /* advances per pop above which W doubles */
#define FAR_SHARE       2  /* W doubles when over 1/2 of pops went far */

static inline uint64_t key_of(int64_t t)
{
    return (uint64_t)t ^ ((uint64_t)1 << 63);
}

static inline bool ev_before(const struct evq_event *a,
                             const struct evq_event *b)
{
    return a->time_ns < b->time_ns ||
           (a->time_ns == b->time_ns && a->seq < b->seq);
}

/* ---- binary heaps (1-based) ---------------------------------------------- */

static void heap_push(struct evq_heap *h, const struct evq_event *ev)
{
    if (h->n + 1 >= h->cap) {
        h->cap = h->cap ? h->cap * 2 : 64;
        h->v = xrealloc(h->v, h->cap * sizeof(*h->v));
    }
    struct evq_event *v = h->v;
    size_t i = ++h->n;
    while (i > 1) {
        size_t parent = i / 2;
        if (!ev_before(ev, &v[parent]))
            break;
        v[i] = v[parent];
        i = parent;
    }
    v[i] = *ev;
}

/* Removes the root (h->n > 0) into *out, moving a hole down. */
static void heap_pop(struct evq_heap *h, struct evq_event *out)
{
    struct evq_event *v = h->v;
    *out = v[1];
    size_t n = h->n--;
    if (n == 1)
        return;
    struct evq_event last = v[n];
    n--;
    size_t i = 1;
    for (;;) {
        size_t child = 2 * i;
        if (child > n)
            break;
        if (child < n && ev_before(&v[child + 1], &v[child]))
            child++;
        if (!ev_before(&v[child], &last))
            break;
        v[i] = v[child];
        i = child;
    }
    v[i] = last;
}

/* ---- tiers --------------------------------------------------------------- */

/* Adds ev to ring bucket b: a node from the free list (the one last
 * freed, which a bucket move has just read: still in cache) at the head
 * of the bucket's list. */
static void bucket_add(struct evq *q, size_t b, const struct evq_event *ev)
{
    if (q->free_node == NO_NODE) {
        uint32_t old = q->n_nodes, cap = old ? old * 2 : 1024;
        if (old > NO_NODE / 2) {
            fprintf(stderr, "event queue: too many events pending\n");
            abort();
        }
        q->node = xrealloc(q->node, (size_t)cap * sizeof(*q->node));
        q->next = xrealloc(q->next, (size_t)cap * sizeof(*q->next));
        for (uint32_t i = old; i < cap; i++)
            q->next[i] = i + 1 < cap ? i + 1 : NO_NODE;
        q->free_node = old;
        q->n_nodes = cap;
    }
    uint32_t i = q->free_node;
    q->free_node = q->next[i];
    q->node[i] = *ev;
    q->next[i] = q->ring[b];
    q->ring[b] = i;
}

/* Moves bucket b's events into the heap `to`, or when it is NULL into
 * arr, and frees their nodes; returns how many. */
static size_t bucket_take(struct evq *q, size_t b, struct evq_heap *to,
                          struct evq_event *arr)
{
    size_t k = 0;
    uint32_t i = q->ring[b];
    while (i != NO_NODE) {
        uint32_t nx = q->next[i];
        if (nx != NO_NODE)
            EVQ_PREFETCH(&q->node[nx]);
        if (to != NULL)
            heap_push(to, &q->node[i]);
        else
            arr[k] = q->node[i];
        k++;
        q->next[i] = q->free_node;
        q->free_node = i;
        i = nx;
    }
    q->ring[b] = NO_NODE;
    return k;
}

/* Files ev in the tier its time belongs to. */
static void place(struct evq *q, const struct evq_event *ev)
{
    uint64_t k = key_of(ev->time_ns);
    uint64_t w = (uint64_t)1 << q->shift;
    if (k < q->base) { /* before base: pushed after a peek ran ahead */
        heap_push(&q->near, ev);
    } else if (k - q->base < w) {
        heap_push(&q->near, ev);
        q->near_in++;
    } else if (k - q->base < w * EVQ_BUCKETS) {
        bucket_add(q, (k >> q->shift) & (EVQ_BUCKETS - 1), ev);
        q->ring_n++;
    } else {
        heap_push(&q->far, ev);
        q->far_in++;
    }
}

/* Re-files every event for bucket width 2^shift. */
static void rebuild(struct evq *q, unsigned shift)
{
    size_t n = q->n, k = 0;
    struct evq_event *all = xmalloc((n ? n : 1) * sizeof(*all));
    for (size_t i = 1; i <= q->near.n; i++)
        all[k++] = q->near.v[i];
    for (size_t i = 1; i <= q->far.n; i++)
        all[k++] = q->far.v[i];
    for (size_t b = 0; b < EVQ_BUCKETS; b++)
        k += bucket_take(q, b, NULL, all + k);
    q->near.n = q->far.n = q->ring_n = 0;
    q->shift = shift;
    q->base &= ~(((uint64_t)1 << shift) - 1);
    for (size_t i = 0; i < k; i++)
        place(q, &all[i]);
    free(all);
}

/* Every RETUNE_POPS pops or RETUNE_ADVANCES advances: too many events per
 * bucket (big near heaps) halve the width; mostly empty buckets walked, or
 * many events beyond the span (far heap work), double it.  Events pushed
 * before base (the caller's clock behind a peek that ran ahead) say
 * nothing about the width and are not counted. */
static void retune(struct evq *q)
{
    unsigned s = q->shift;
    uint64_t buckets = q->advances > 0 ? q->advances : 1;
    if (q->near_in > DENSE_BUCKET * buckets && s > SHIFT_MIN)
        s--;
    else if ((q->advances > SPARSE_ADVANCES * q->pops ||
              FAR_SHARE * q->far_in > q->pops) &&
             s < SHIFT_MAX)
        s++;
    if (s != q->shift)
        rebuild(q, s);
    /* after the rebuild, whose placements would count too */
    q->pops = q->advances = q->far_in = q->near_in = 0;
}

/* Moves base to the next bucket holding events (q->n > 0, near empty). */
static void advance(struct evq *q)
{
    uint64_t w = (uint64_t)1 << q->shift;
    if (q->ring_n == 0) { /* nothing within the span: jump to far */
        q->base = key_of(q->far.v[1].time_ns) & ~(w - 1);
    } else {
        q->base += w;
    }
    q->advances++;
    size_t b = (q->base >> q->shift) & (EVQ_BUCKETS - 1);
    size_t moved = bucket_take(q, b, &q->near, NULL);
    q->near_in += moved;
    q->ring_n -= moved;
    while (q->far.n > 0 &&
           key_of(q->far.v[1].time_ns) - q->base < w * EVQ_BUCKETS) {
        struct evq_event ev;
        heap_pop(&q->far, &ev);
        place(q, &ev);
    }
    if (q->advances >= RETUNE_ADVANCES)
        retune(q);
}

static void fill_near(struct evq *q)
{
    while (q->near.n == 0 && q->n > 0)
        advance(q);
}

/* ---- API ----------------------------------------------------------------- */

void evq_init(struct evq *q, size_t cap_hint)
{
    (void)cap_hint; /* tiers grow as they fill */
    *q = (struct evq){ .shift = SHIFT_START, .free_node = NO_NODE };
    q->ring = xmalloc(EVQ_BUCKETS * sizeof(*q->ring));
    for (size_t b = 0; b < EVQ_BUCKETS; b++)
        q->ring[b] = NO_NODE;
}

void evq_fini(struct evq *q)
{
    if (q == NULL)
        return;
    free(q->ring);
    free(q->node);
    free(q->next);
    free(q->near.v);
    free(q->far.v);
    *q = (struct evq){ .shift = SHIFT_START, .free_node = NO_NODE };
}

uint64_t evq_push(struct evq *q, int64_t time_ns, uint32_t kind, uint32_t arg,
                  uint64_t data)
{
    struct evq_event ev = { time_ns, q->next_seq++, kind, arg, data };
    place(q, &ev);
    q->n++;
    return ev.seq;
}

bool evq_pop(struct evq *q, struct evq_event *out)
{
    fill_near(q);
    if (q->near.n == 0)
        return false;
    heap_pop(&q->near, out);
    q->n--;
    if (++q->pops >= RETUNE_POPS)
        retune(q);
    return true;
}

const struct evq_event *evq_peek(struct evq *q)
{
    fill_near(q);
    return q->near.n > 0 ? &q->near.v[1] : NULL;
}

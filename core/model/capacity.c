/*
 * capacity.c - servers plus a bounded FIFO queue with a wait timeout.
 *
 * Invariants: busy >= 0; 0 <= len <= queue_max; entries sit in the ring in
 * arrival order, and because every entry gets the same timeout their
 * deadlines are in the same order, so only the head can be the next to
 * expire and expiry never needs a search.  A request queues only when
 * every active server is busy or somebody is already waiting (FIFO: no
 * overtaking), so while anything is queued, busy >= active unless capacity
 * just grew or a server was just released; both cases are settled by
 * capacity_poll.
 *
 * What it does not do: it does not know about time passing (no clock, no
 * timers), about requests' service times, or about clients that give up:
 * a client timeout does not remove a request from the queue, the server
 * still serves it (and releases its slot), as a real server that never
 * learns the client left would.
 */
#include "core/model/capacity.h"

#include <math.h>
#include <stdlib.h>

#include "core/base/err.h"
#include "core/base/zig.h"

int capacity_init(struct capacity *c, int64_t servers, int64_t queue,
                  int64_t queue_timeout_ns)
{
    *c = (struct capacity){ 0 };
    if ((servers < 0 && servers != CAPACITY_UNLIMITED) || queue < 0 ||
        queue_timeout_ns < 0)
        return ERR_INVAL;
    c->servers = servers;
    c->active = servers;
    c->queue_max = servers == CAPACITY_UNLIMITED ? 0 : queue;
    c->queue_timeout_ns = queue_timeout_ns;
    return ERR_OK;
}

int capacity_init_policy(struct capacity *c, const struct scn_policy *p)
{
    if (!p->has_capacity)
        return capacity_init(c, CAPACITY_UNLIMITED, 0, 0);
    return capacity_init(c, p->cap_servers, p->cap_queue,
                         p->cap_queue_timeout_ns);
}

void capacity_fini(struct capacity *c)
{
    if (c == NULL)
        return;
    free(c->ring);
    c->ring = NULL;
    c->ring_cap = c->len = c->head = 0;
}

void capacity_set_factor(struct capacity *c, double factor)
{
    if (c->servers == CAPACITY_UNLIMITED)
        return;
    if (!(factor > 0))
        factor = 0;
    if (factor > 1)
        factor = 1;
    /* The epsilon keeps 0.75 x 8 = 6 exact despite binary fractions. */
    c->active = (int64_t)floor((double)c->servers * factor + 1e-9);
}

static bool server_free(const struct capacity *c)
{
    return c->servers == CAPACITY_UNLIMITED || c->busy < c->active;
}

/* Grows the ring (doubling, capped at queue_max), unrolling it so the
 * oldest entry lands at index 0. */
static void ring_grow(struct capacity *c)
{
    size_t cap = c->ring_cap ? c->ring_cap * 2 : 64;
    if ((int64_t)cap > c->queue_max)
        cap = (size_t)c->queue_max;
    struct capacity_entry *r = xmalloc(cap * sizeof(*r));
    for (size_t i = 0; i < c->len; i++)
        r[i] = c->ring[(c->head + i) % c->ring_cap];
    free(c->ring);
    c->ring = r;
    c->ring_cap = cap;
    c->head = 0;
}

enum capacity_admit capacity_admit(struct capacity *c, uint64_t tag,
                                   int64_t now_ns)
{
    if (c->len == 0 && server_free(c)) {
        c->busy++;
        return CAPACITY_STARTED;
    }
    if ((int64_t)c->len >= c->queue_max)
        return CAPACITY_REJECTED;
    if (c->len == c->ring_cap)
        ring_grow(c);
    size_t tail = (c->head + c->len) % c->ring_cap;
    c->ring[tail] = (struct capacity_entry){ tag, now_ns };
    c->len++;
    return CAPACITY_QUEUED;
}

void capacity_release(struct capacity *c)
{
    if (c->busy > 0)
        c->busy--;
}

enum capacity_step capacity_poll(struct capacity *c, int64_t now_ns,
                                 uint64_t *tag, int64_t *waited_ns)
{
    if (c->len == 0)
        return CAPACITY_NONE;
    const struct capacity_entry *e = &c->ring[c->head];
    bool expired = c->queue_timeout_ns > 0 &&
                   now_ns - e->enqueued_ns >= c->queue_timeout_ns;
    if (!expired && !server_free(c))
        return CAPACITY_NONE;
    *tag = e->tag;
    *waited_ns = now_ns - e->enqueued_ns;
    c->head = (c->head + 1) % c->ring_cap;
    c->len--;
    if (expired)
        return CAPACITY_EXPIRE;
    c->busy++;
    return CAPACITY_START;
}

int64_t capacity_next_deadline(const struct capacity *c)
{
    if (c->len == 0 || c->queue_timeout_ns == 0)
        return INT64_MAX;
    return c->ring[c->head].enqueued_ns + c->queue_timeout_ns;
}

int64_t capacity_busy(const struct capacity *c)
{
    return c->busy;
}

int64_t capacity_queued(const struct capacity *c)
{
    return (int64_t)c->len;
}

/* first + per x tokens, rounded, saturated. */
static int64_t service_total(double first, double per,
                             int64_t completion_tokens)
{
    double ns = first + per * (double)completion_tokens;
    if (ns >= 9.2e18)
        return INT64_MAX / 2;
    return (int64_t)llround(ns);
}

int64_t capacity_service_ns(const struct scn_model *m,
                            int64_t completion_tokens, struct rng *r)
{
    double first = dist_sample_nonneg(&m->first_token, r);
    double per = dist_sample_nonneg(&m->per_token, r);
    return service_total(first, per, completion_tokens);
}

static double nonneg(double v)
{
    return v > 0 ? v : 0;
}

int64_t capacity_service_ns_zig(const struct scn_model *m,
                                int64_t completion_tokens, const struct zig *z,
                                struct rng *r)
{
    double first = nonneg(zig_dist_sample(z, &m->first_token, r));
    double per = nonneg(zig_dist_sample(z, &m->per_token, r));
    return service_total(first, per, completion_tokens);
}

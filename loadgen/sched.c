/*
 * sched.c - the schedule of one worker (see sched.h).
 *
 * Invariants: w->next, when has_next, is the earliest open-loop request
 * the worker has not taken, and it has already passed the --max-requests
 * cut or taken its unit of budget; w->heap holds retries and closed-loop
 * users, each with the time it may be sent.  Ties between the two go to
 * the heap unless the stream's request is strictly earlier.  Nothing here
 * sends, reads a clock or touches libcurl: the caller passes `now`.
 */
#include "loadgen/sched.h"

#include <string.h>

#include "core/model/traffic.h"

/* ---- pending heap (retries, closed-loop users) ------------------------ */

static void heap_push(struct lg_heap *h, const struct lg_req *r)
{
    if (h->n == h->cap) {
        h->cap = h->cap ? h->cap * 2 : 64;
        h->v = xrealloc(h->v, h->cap * sizeof(*h->v));
    }
    size_t i = h->n++;
    while (i > 0 && h->v[(i - 1) / 2].intended_ns > r->intended_ns) {
        h->v[i] = h->v[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h->v[i] = *r;
}

static void heap_pop(struct lg_heap *h, struct lg_req *out)
{
    *out = h->v[0];
    struct lg_req last = h->v[--h->n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= h->n)
            break;
        if (c + 1 < h->n && h->v[c + 1].intended_ns < h->v[c].intended_ns)
            c++;
        if (h->v[c].intended_ns >= last.intended_ns)
            break;
        h->v[i] = h->v[c];
        i = c;
    }
    if (h->n > 0)
        h->v[i] = last;
}

/* ---- scheduling -----------------------------------------------------------
 */

/* --max-requests.  Open loop only: the first N requests of the shard's
 * stream by intended time, decided before the run (lg_new sets the cut);
 * a worker stops at the first request past it.  With closed-loop users
 * the order depends on live response times, so the workers lease chunks
 * of a shared budget instead (one atomic operation per chunk, not per
 * request; chunks shrink as it runs out, the last ones are single
 * requests). */
static bool past_cut(const struct lg_shared *sh, const struct traffic_req *t)
{
    return sh->has_cut && (t->t_ns > sh->cut_t_ns ||
                           (t->t_ns == sh->cut_t_ns && t->id > sh->cut_id));
}

static int64_t lease_budget(const struct lg_shared *sh)
{
    long long rem = atomic_load_explicit(sh->budget, memory_order_relaxed);
    for (;;) {
        if (rem <= 0)
            return 0;
        long long take = rem / (4LL * sh->cfg.threads);
        take = take < 1 ? 1 : take > LG_LEASE_MAX ? LG_LEASE_MAX : take;
        if (atomic_compare_exchange_weak_explicit(sh->budget, &rem, rem - take,
                                                  memory_order_relaxed,
                                                  memory_order_relaxed))
            return take;
    }
}

/* One logical request may start: true, or false once the budget is
 * spent (the worker is then limited). */
static bool take_budget(struct lg_worker *w)
{
    if (!w->sh->budget)
        return true;
    if (w->lease == 0)
        w->lease = lease_budget(w->sh);
    if (w->lease == 0) {
        w->limited = true;
        return false;
    }
    w->lease--;
    return true;
}

void lg_sched_fetch(struct lg_worker *w)
{
    w->has_next = false;
    if (w->limited || !w->traffic)
        return;
    struct traffic_req tr;
    if (!traffic_next(w->traffic, &tr) || tr.t_ns >= w->sh->cfg.duration_ns)
        return;
    if (past_cut(w->sh, &tr)) {
        w->limited = true;
        return;
    }
    if (!take_budget(w))
        return;
    memset(&w->next, 0, sizeof(w->next));
    w->next.tr = tr;
    w->next.intended_ns = tr.t_ns;
    w->next.user = -1;
    w->has_next = true;
}

/* True when a request waits for its send time that has come by now. */
bool lg_sched_due_by(const struct lg_worker *w, int64_t now)
{
    return (w->has_next && w->next.intended_ns <= now) ||
           (w->heap.n > 0 && w->heap.v[0].intended_ns <= now);
}

/* Takes the earliest pending request due by now into *out. */
bool lg_sched_take(struct lg_worker *w, int64_t now, struct lg_req *out)
{
    bool from_heap = w->heap.n > 0 && w->heap.v[0].intended_ns <= now;
    bool from_next = w->has_next && w->next.intended_ns <= now;
    if (from_heap && from_next &&
        w->next.intended_ns < w->heap.v[0].intended_ns)
        from_heap = false;
    if (from_heap) {
        heap_pop(&w->heap, out);
    } else if (from_next) {
        *out = w->next;
        lg_sched_fetch(w);
    } else {
        return false;
    }
    if (out->attempts == 0 && out->user >= 0 && out->fresh_user) {
        int pop = out->tr.pop;
        if (w->limited || !take_budget(w))
            return lg_sched_take(w, now, out); /* user retires: budget spent */
        traffic_closed_req(w->traffic, pop, out->user, out->intended_ns,
                           &out->tr);
        out->fresh_user = false;
    }
    if (out->attempts == 0) {
        out->first_ns = out->intended_ns;
        rec_offered(w->rec, out->tr.pop, out->intended_ns);
        w->local.offered++;
    }
    return true;
}

void lg_sched_user(struct lg_worker *w, int pop, int64_t user, int64_t t_ns)
{
    if (t_ns >= w->sh->cfg.duration_ns)
        return;
    struct lg_req r = { 0 };
    r.tr.pop = pop;
    r.user = user;
    r.fresh_user = true;
    r.intended_ns = t_ns;
    heap_push(&w->heap, &r);
}

void lg_sched_prime(struct lg_worker *w)
{
    const struct scenario *sc = w->sh->sc;
    for (size_t p = 0; p < sc->n_pops; p++) {
        int64_t users = traffic_closed_users(w->traffic, (int)p);
        for (int64_t u = 0; u < users; u++)
            if (traffic_owns(w->traffic,
                             traffic_closed_account(w->traffic, (int)p, u)))
                lg_sched_user(w, (int)p, u, 0);
    }
}

void lg_sched_push(struct lg_worker *w, const struct lg_req *r)
{
    heap_push(&w->heap, r);
}

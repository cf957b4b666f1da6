/*
 * serve_timer.c - binary min-heap of deadlines plus the thread that fires
 * them.
 *
 * Ordering is (due_ns, seq), as in sim's event queue, so entries with the
 * same deadline fire in insertion order.  The thread sleeps on a condition
 * variable bound to CLOCK_MONOTONIC until the earliest deadline; adders
 * signal it only when they insert a new earliest entry, so the common case
 * (later deadlines arriving in order) costs one lock and no wake-up.  Due
 * entries are popped in batches and handed to the callback outside the
 * lock, which keeps the critical section to heap operations only.
 *
 * It does not know what the entries mean and never frees them.
 */
#include "serve/serve_timer.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#define BATCH 256

struct serve_timer {
    serve_timer_fn *fn;
    void *arg;
    pthread_t thread;
    bool running; /* thread started and not yet joined (owner only) */

    pthread_mutex_t lock; /* protects everything below */
    pthread_cond_t cond;  /* CLOCK_MONOTONIC */
    struct serve_timer_entry *heap;
    size_t n, cap;
    uint64_t next_seq;
    bool stop;
};

int64_t serve_timer_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static bool before(const struct serve_timer_entry *a,
                   const struct serve_timer_entry *b)
{
    return a->due_ns < b->due_ns || (a->due_ns == b->due_ns && a->seq < b->seq);
}

static void sift_up(struct serve_timer_entry *h, size_t i)
{
    struct serve_timer_entry e = h[i];
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!before(&e, &h[parent]))
            break;
        h[i] = h[parent];
        i = parent;
    }
    h[i] = e;
}

static void sift_down(struct serve_timer_entry *h, size_t n, size_t i)
{
    struct serve_timer_entry e = h[i];
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && before(&h[c + 1], &h[c]))
            c++;
        if (!before(&h[c], &e))
            break;
        h[i] = h[c];
        i = c;
    }
    h[i] = e;
}

static struct serve_timer_entry pop(struct serve_timer *t)
{
    struct serve_timer_entry top = t->heap[0];
    t->n--;
    if (t->n > 0) {
        t->heap[0] = t->heap[t->n];
        sift_down(t->heap, t->n, 0);
    }
    return top;
}

static struct timespec abs_ts(int64_t ns)
{
    struct timespec ts = { .tv_sec = ns / 1000000000LL,
                           .tv_nsec = ns % 1000000000LL };
    return ts;
}

/* Pops up to BATCH due entries into out; waits while none is due. Returns
 * 0 when asked to stop.  Called and returns with t->lock held. */
static size_t wait_due(struct serve_timer *t, struct serve_timer_entry *out,
                       int64_t *now_ns)
{
    while (!t->stop) {
        if (t->n == 0) {
            pthread_cond_wait(&t->cond, &t->lock);
            continue;
        }
        int64_t now = serve_timer_now();
        if (t->heap[0].due_ns > now) {
            struct timespec ts = abs_ts(t->heap[0].due_ns);
            pthread_cond_timedwait(&t->cond, &t->lock, &ts);
            continue;
        }
        size_t k = 0;
        while (k < BATCH && t->n > 0 && t->heap[0].due_ns <= now)
            out[k++] = pop(t);
        *now_ns = now;
        return k;
    }
    return 0;
}

static void *timer_main(void *arg)
{
    struct serve_timer *t = arg;
    struct serve_timer_entry batch[BATCH];
    pthread_mutex_lock(&t->lock);
    for (;;) {
        int64_t now = 0;
        size_t k = wait_due(t, batch, &now);
        if (k == 0)
            break;
        pthread_mutex_unlock(&t->lock);
        t->fn(t->arg, batch, k, now);
        pthread_mutex_lock(&t->lock);
    }
    pthread_mutex_unlock(&t->lock);
    return NULL;
}

static int init_sync(struct serve_timer *t)
{
    pthread_condattr_t ca;
    if (pthread_mutex_init(&t->lock, NULL) != 0)
        return ERR_THREAD;
    if (pthread_condattr_init(&ca) != 0)
        goto fail_mutex;
    if (pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) != 0 ||
        pthread_cond_init(&t->cond, &ca) != 0) {
        pthread_condattr_destroy(&ca);
        goto fail_mutex;
    }
    pthread_condattr_destroy(&ca);
    return ERR_OK;
fail_mutex:
    pthread_mutex_destroy(&t->lock);
    return ERR_THREAD;
}

int serve_timer_new(serve_timer_fn *fn, void *arg, struct serve_timer **out)
{
    struct serve_timer *t = xcalloc(1, sizeof(*t));
    t->fn = fn;
    t->arg = arg;
    t->cap = 1024;
    t->heap = xmalloc(t->cap * sizeof(*t->heap));
    if (init_sync(t) != ERR_OK)
        goto fail;
    if (pthread_create(&t->thread, NULL, timer_main, t) != 0) {
        pthread_cond_destroy(&t->cond);
        pthread_mutex_destroy(&t->lock);
        goto fail;
    }
    t->running = true;
    *out = t;
    return ERR_OK;
fail:
    free(t->heap);
    free(t);
    return ERR_THREAD;
}

void serve_timer_add(struct serve_timer *t, int64_t due_ns, int kind,
                     void *item)
{
    pthread_mutex_lock(&t->lock);
    if (t->n == t->cap) {
        t->cap *= 2;
        t->heap = xrealloc(t->heap, t->cap * sizeof(*t->heap));
    }
    t->heap[t->n] =
        (struct serve_timer_entry){ due_ns, t->next_seq++, kind, item };
    sift_up(t->heap, t->n);
    t->n++;
    bool earliest = t->heap[0].seq == t->next_seq - 1;
    if (earliest)
        pthread_cond_signal(&t->cond);
    pthread_mutex_unlock(&t->lock);
}

size_t serve_timer_pending(struct serve_timer *t)
{
    pthread_mutex_lock(&t->lock);
    size_t n = t->n;
    pthread_mutex_unlock(&t->lock);
    return n;
}

void serve_timer_stop(struct serve_timer *t)
{
    if (!t->running)
        return;
    pthread_mutex_lock(&t->lock);
    t->stop = true;
    pthread_cond_signal(&t->cond);
    pthread_mutex_unlock(&t->lock);
    pthread_join(t->thread, NULL);
    t->running = false;
}

void serve_timer_drain(struct serve_timer *t, int64_t now_ns)
{
    size_t n = t->n;
    if (n == 0)
        return;
    struct serve_timer_entry *all = xmalloc(n * sizeof(*all));
    for (size_t i = 0; i < n; i++)
        all[i] = pop(t);
    t->fn(t->arg, all, n, now_ns);
    free(all);
}

void serve_timer_free(struct serve_timer *t)
{
    if (t == NULL)
        return;
    serve_timer_stop(t);
    pthread_cond_destroy(&t->cond);
    pthread_mutex_destroy(&t->lock);
    free(t->heap);
    free(t);
}

/*
 * serve_guard.c - the connection registry, its request-deadline sweep and
 * eviction at the cap (serve_guard.h has the design).
 *
 * Invariants, under g->lock: every registered connection is on the list
 * exactly once, in accept order; n counts them and n_shut those shut
 * down but not yet removed (libmicrohttpd removes them once it has seen
 * the shutdown), so n - n_shut is what still holds a slot.  A connection
 * is shut down at most once.
 *
 * The sweep thread sleeps on a CLOCK_MONOTONIC condition variable, so
 * serve_guard_free stops it at once.
 */
#include "serve/serve_guard.h"

#include <pthread.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>

struct serve_guard {
    int64_t timeout_ns;
    size_t soft_cap;
    pthread_t thread;
    bool running;

    pthread_mutex_t lock; /* everything below */
    pthread_cond_t cond;  /* CLOCK_MONOTONIC; signals stop */
    bool stop;
    struct serve_guard_conn *head, *tail;
    size_t n, n_shut, n_max;
    uint64_t timed_out, evicted;
};

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Shuts c down (under lock): libmicrohttpd's next read of it sees the
 * end of the stream and closes it. */
static void shut(struct serve_guard *g, struct serve_guard_conn *c)
{
    shutdown(c->fd, SHUT_RDWR);
    c->shut = true;
    g->n_shut++;
}

/* Notes a state change; true when c waits for a request (not busy). */
static bool waiting(struct serve_guard_conn *c, int64_t now)
{
    unsigned s = atomic_load_explicit(&c->state, memory_order_relaxed);
    if (s != c->seen_state) {
        c->seen_state = s;
        c->seen_ns = now;
    }
    return (s & 1u) == 0;
}

/* The connection among the oldest SERVE_GUARD_SCAN that has waited the
 * longest for a request, or NULL. */
static struct serve_guard_conn *victim(struct serve_guard *g, int64_t now)
{
    struct serve_guard_conn *best = NULL;
    size_t seen = 0;
    for (struct serve_guard_conn *c = g->head;
         c != NULL && seen < SERVE_GUARD_SCAN; c = c->next) {
        if (c->shut)
            continue;
        seen++;
        if (waiting(c, now) && (best == NULL || c->seen_ns < best->seen_ns))
            best = c;
    }
    return best;
}

void serve_guard_add(struct serve_guard *g, struct serve_guard_conn *c, int fd,
                     int64_t now)
{
    c->fd = fd;
    c->seen_state = atomic_load_explicit(&c->state, memory_order_relaxed);
    c->seen_ns = now;
    c->shut = false;
    c->next = NULL;
    pthread_mutex_lock(&g->lock);
    if (g->n - g->n_shut >= g->soft_cap) {
        struct serve_guard_conn *v = victim(g, now);
        if (v != NULL) {
            shut(g, v);
            g->evicted++;
        }
    }
    c->prev = g->tail;
    if (g->tail != NULL)
        g->tail->next = c;
    else
        g->head = c;
    g->tail = c;
    g->n++;
    if (g->n - g->n_shut > g->n_max)
        g->n_max = g->n - g->n_shut;
    pthread_mutex_unlock(&g->lock);
}

void serve_guard_remove(struct serve_guard *g, struct serve_guard_conn *c)
{
    pthread_mutex_lock(&g->lock);
    if (c->prev != NULL)
        c->prev->next = c->next;
    else
        g->head = c->next;
    if (c->next != NULL)
        c->next->prev = c->prev;
    else
        g->tail = c->prev;
    g->n--;
    if (c->shut)
        g->n_shut--;
    pthread_mutex_unlock(&g->lock);
}

void serve_guard_sweep(struct serve_guard *g, int64_t now)
{
    pthread_mutex_lock(&g->lock);
    for (struct serve_guard_conn *c = g->head; c != NULL; c = c->next) {
        if (!c->shut && waiting(c, now) && now - c->seen_ns >= g->timeout_ns) {
            shut(g, c);
            g->timed_out++;
        }
    }
    pthread_mutex_unlock(&g->lock);
}

void serve_guard_stats(struct serve_guard *g, struct serve_guard_stats *out)
{
    pthread_mutex_lock(&g->lock);
    out->open = g->n;
    out->timed_out = g->timed_out;
    out->evicted = g->evicted;
    out->open_max = g->n_max;
    pthread_mutex_unlock(&g->lock);
}

static void *sweep_main(void *arg)
{
    struct serve_guard *g = arg;
    pthread_mutex_lock(&g->lock);
    while (!g->stop) {
        int64_t next = now_ns() + SERVE_GUARD_TICK_NS;
        struct timespec ts = { (time_t)(next / 1000000000LL),
                               (long)(next % 1000000000LL) };
        pthread_cond_timedwait(&g->cond, &g->lock, &ts);
        if (g->stop)
            break;
        pthread_mutex_unlock(&g->lock);
        serve_guard_sweep(g, now_ns());
        pthread_mutex_lock(&g->lock);
    }
    pthread_mutex_unlock(&g->lock);
    return NULL;
}

static int init_sync(struct serve_guard *g)
{
    pthread_condattr_t ca;
    if (pthread_mutex_init(&g->lock, NULL) != 0)
        return ERR_THREAD;
    if (pthread_condattr_init(&ca) != 0)
        goto fail_mutex;
    if (pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) != 0 ||
        pthread_cond_init(&g->cond, &ca) != 0) {
        pthread_condattr_destroy(&ca);
        goto fail_mutex;
    }
    pthread_condattr_destroy(&ca);
    return ERR_OK;
fail_mutex:
    pthread_mutex_destroy(&g->lock);
    return ERR_THREAD;
}

int serve_guard_new(int64_t request_timeout_ns, size_t soft_cap, bool thread,
                    struct serve_guard **out)
{
    struct serve_guard *g = xcalloc(1, sizeof(*g));
    g->timeout_ns = request_timeout_ns;
    g->soft_cap = soft_cap > 0 ? soft_cap : 1;
    if (init_sync(g) != ERR_OK) {
        free(g);
        return ERR_THREAD;
    }
    if (thread) {
        if (pthread_create(&g->thread, NULL, sweep_main, g) != 0) {
            pthread_cond_destroy(&g->cond);
            pthread_mutex_destroy(&g->lock);
            free(g);
            return ERR_THREAD;
        }
        g->running = true;
    }
    *out = g;
    return ERR_OK;
}

void serve_guard_free(struct serve_guard *g)
{
    if (g == NULL)
        return;
    if (g->running) {
        pthread_mutex_lock(&g->lock);
        g->stop = true;
        pthread_cond_signal(&g->cond);
        pthread_mutex_unlock(&g->lock);
        pthread_join(g->thread, NULL);
    }
    pthread_cond_destroy(&g->cond);
    pthread_mutex_destroy(&g->lock);
    free(g);
}

/* ---- descriptor limit and caps ------------------------------------------ */

#define FD_CEILING (1u << 20)

int serve_guard_raise_nofile(struct serve_fd_limit *out)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return ERR_IO;
    out->soft_before = rl.rlim_cur;
    out->hard = rl.rlim_max;
    rlim_t want = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > FD_CEILING
                      ? FD_CEILING
                      : rl.rlim_max;
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want) {
        rl.rlim_cur = want;
        bool raised = setrlimit(RLIMIT_NOFILE, &rl) == 0;
        out->soft = raised ? want : out->soft_before;
    } else {
        out->soft = rl.rlim_cur;
    }
    return ERR_OK;
}

void serve_guard_default_caps(uint64_t fd_soft, unsigned *max_connections,
                              unsigned *max_per_ip)
{
    uint64_t budget =
        fd_soft > SERVE_FD_RESERVE + 5 ? fd_soft - SERVE_FD_RESERVE : 5;
    uint64_t cap = budget / 5 * 4;
    if (cap > FD_CEILING)
        cap = FD_CEILING;
    *max_connections = (unsigned)cap;
    *max_per_ip = cap / 2 > 0 ? (unsigned)(cap / 2) : 1;
}

unsigned serve_guard_hard_cap(unsigned max_connections)
{
    unsigned slack = max_connections / 4;
    return max_connections + (slack > 0 ? slack : 1);
}

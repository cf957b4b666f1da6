/*
 * sim_pool.c - a fixed set of threads draining one atomic task counter.
 *
 * Design: no queue and no per-task allocation.  The tasks are the
 * integers 0..n-1; a worker takes the next one with atomic_fetch_add and
 * stops when the counter passes n.  The only shared mutable state is that
 * counter and the count of finished tasks, which is guarded by a mutex so
 * that the waiting thread can sleep on a condition variable (with a
 * timeout, to call idle) instead of polling.
 *
 * Invariants: every index is claimed by exactly one fetch_add, hence run
 * exactly once; `done` reaches n only after every task returned; the
 * caller's thread returns only after joining every worker, so all the
 * tasks' plain (non-atomic) writes happen-before the caller reads them.
 */
#include "sim/sim_pool.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

struct pool {
    size_t n;
    sim_pool_task_fn *task;
    void *ctx;
    atomic_size_t next; /* next index to claim */
    pthread_mutex_t mu;
    pthread_cond_t cv; /* signalled when done grows */
    size_t done;       /* tasks finished; guarded by mu */
};

static void *worker(void *arg)
{
    struct pool *p = arg;
    for (;;) {
        size_t i = atomic_fetch_add(&p->next, 1);
        if (i >= p->n)
            break;
        p->task(p->ctx, i);
        pthread_mutex_lock(&p->mu);
        p->done++;
        pthread_cond_signal(&p->cv);
        pthread_mutex_unlock(&p->mu);
    }
    return NULL;
}

static void run_serial(size_t n, sim_pool_task_fn *task, void *ctx,
                       sim_pool_idle_fn *idle, void *idle_ctx)
{
    for (size_t i = 0; i < n; i++) {
        task(ctx, i);
        if (idle != NULL)
            idle(idle_ctx);
    }
}

/* now + ms on CLOCK_REALTIME (the condition variable's default clock). */
static struct timespec deadline_in(long ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += ms * 1000000L;
    ts.tv_sec += ts.tv_nsec / 1000000000L;
    ts.tv_nsec %= 1000000000L;
    return ts;
}

/* Sleeps until every task is done, calling idle every SIM_POOL_IDLE_MS. */
static void wait_all(struct pool *p, sim_pool_idle_fn *idle, void *idle_ctx)
{
    pthread_mutex_lock(&p->mu);
    while (p->done < p->n) {
        struct timespec ts = deadline_in(SIM_POOL_IDLE_MS);
        int rc = pthread_cond_timedwait(&p->cv, &p->mu, &ts);
        if (rc == ETIMEDOUT && idle != NULL) {
            pthread_mutex_unlock(&p->mu);
            idle(idle_ctx);
            pthread_mutex_lock(&p->mu);
        }
    }
    pthread_mutex_unlock(&p->mu);
}

int sim_pool_run(size_t n, int jobs, sim_pool_task_fn *task, void *ctx,
                 sim_pool_idle_fn *idle, void *idle_ctx)
{
    size_t want = jobs < 1 ? 1 : (size_t)jobs;
    if (want > SIM_POOL_MAX_JOBS)
        want = SIM_POOL_MAX_JOBS;
    if (want > n)
        want = n;
    if (want <= 1) {
        run_serial(n, task, ctx, idle, idle_ctx);
        return ERR_OK;
    }
    struct pool p = { .n = n, .task = task, .ctx = ctx, .done = 0 };
    atomic_init(&p.next, 0);
    if (pthread_mutex_init(&p.mu, NULL) != 0)
        return ERR_THREAD;
    if (pthread_cond_init(&p.cv, NULL) != 0) {
        pthread_mutex_destroy(&p.mu);
        return ERR_THREAD;
    }
    pthread_t th[SIM_POOL_MAX_JOBS];
    size_t started = 0;
    while (started < want &&
           pthread_create(&th[started], NULL, worker, &p) == 0)
        started++;
    if (started > 0)
        wait_all(&p, idle, idle_ctx);
    int rc = started > 0 ? ERR_OK : ERR_THREAD;
    for (size_t t = 0; t < started; t++)
        if (pthread_join(th[t], NULL) != 0)
            rc = ERR_THREAD; /* cannot happen for a joinable own thread */
    if (started > 0 && idle != NULL)
        idle(idle_ctx);
    pthread_cond_destroy(&p.cv);
    pthread_mutex_destroy(&p.mu);
    return rc;
}

int sim_pool_default_jobs(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1)
        return 1;
    return n > SIM_POOL_MAX_JOBS ? SIM_POOL_MAX_JOBS : (int)n;
}

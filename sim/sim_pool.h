/*
 * sim_pool.h - independent simulations on several threads.
 *
 * Replications of a scenario and the points of a sweep are independent
 * runs: each has its own engine, recorder and random streams, and reads
 * only the immutable scenario.  sim_pool_run() hands the task indices
 * 0..n-1 to `jobs` threads, each taking the next index from one atomic
 * counter; every task writes only into its own slot of the caller's
 * array, so the results do not depend on the number of threads or on
 * which thread ran which index (the caller combines the slots in index
 * order afterwards).  With jobs <= 1, or one task, everything runs on the
 * calling thread, in index order, and no thread is created.
 *
 * The calling thread does no simulation work: it waits, and every
 * SIM_POOL_IDLE_MS (and once after the last task) calls the idle
 * callback, which may read whatever the tasks publish atomically (the
 * progress line).  In the serial case the idle callback runs between
 * tasks.
 */
#ifndef TOLLGATE_SIM_POOL_H
#define TOLLGATE_SIM_POOL_H

#include <stddef.h>

#include "core/base/err.h"

/* Milliseconds between two idle calls while the threads work. */
#define SIM_POOL_IDLE_MS 200
/* Most threads one pool starts. */
#define SIM_POOL_MAX_JOBS 256

/* Runs task i; must touch only state of its own index (or atomics). */
typedef void sim_pool_task_fn(void *ctx, size_t i);
/* Called on the calling thread while the tasks run. */
typedef void sim_pool_idle_fn(void *ctx);

/*
 * Runs task(ctx, i) exactly once for every i in [0, n) on
 * min(jobs, n, SIM_POOL_MAX_JOBS) threads (the calling thread alone when
 * that is 1), and returns when all have returned.  idle may be NULL.
 * Returns ERR_OK, or ERR_THREAD when not even one thread could be
 * started (nothing ran then).  When some but not all threads start, the
 * started ones do all the work.
 */
int sim_pool_run(size_t n, int jobs, sim_pool_task_fn *task, void *ctx,
                 sim_pool_idle_fn *idle, void *idle_ctx) WARN_UNUSED;

/* The processors online (sysconf), at least 1: the default for jobs. */
int sim_pool_default_jobs(void);

#endif

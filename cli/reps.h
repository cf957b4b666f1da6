/*
 * reps.h - replications of one or more scenarios, run on a thread pool.
 *
 * `sim --replications N` runs one scenario with seeds s, s+1, ..., s+N-1;
 * `sweep` runs one scenario per grid point, each with its replications.
 * Both hand the whole (point, replication) grid to sim/sim_pool, so every
 * core is busy whatever the shape of the grid, and both get the same
 * guarantee: a replication's recorder, stats and summary depend only on
 * its scenario and seed, each lands in its own slot, and the slots are
 * combined in index order -- so the results are byte-identical whatever
 * --jobs is.
 *
 * Memory: a replication's recorder is freed as soon as its summary is
 * computed, except the first replication's of every point (the results
 * directory holds its time series and histograms), so a point costs one
 * recorder plus N summaries.
 *
 * Interruption (Ctrl-C): a replication already running stops early and
 * is marked incomplete; one not yet started does not run.  The engines
 * never read the signal handler's flag themselves: each polls its own
 * stop flag, which its tick sets from cfg->stopped() (an atomic read), so
 * no variable is written by one thread and read by another unsynchronised.
 * reps_ran() says how many leading replications can be reported.
 */
#ifndef TOLLGATE_CLI_REPS_H
#define TOLLGATE_CLI_REPS_H

#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cli/progress.h"
#include "core/scenario/scenario.h"
#include "core/stats/record.h"
#include "core/stats/summary.h"
#include "sim/sim.h"

struct rep {
    uint64_t seed;
    bool ran;               /* sim_run returned ERR_OK */
    int rc;                 /* the recorder's or the policy's error */
    struct rec *rec;        /* first replication of a point only; owned */
    struct sim_stats stats; /* owned (rows kept for the first only) */
    struct summary sum;     /* owned */
    atomic_llong now_ns;    /* virtual time reached (progress display) */
};

struct reps_point {
    const struct scenario *sc; /* borrowed; read by every thread */
    size_t n;                  /* replications */
    struct rep *reps;          /* n of them, seeds sc->seed + i; owned */
};

struct reps_cfg {
    int jobs;             /* threads (sim_pool); <= 1: serial */
    struct progress *pg;  /* the progress line */
    int (*stopped)(void); /* non-zero: start nothing more, stop early;
                             called from every thread (signals_caught) */
    /* Optional: called once per point, by the thread that finished the
     * point's last replication (ran or skipped), while other points may
     * still run; it may touch only that point.  A sweep writes the
     * point's directory there and frees its recorder, so memory stays
     * bounded by the threads, not the grid. */
    void (*point_done)(void *ctx, size_t point);
    void *point_ctx;
};

/* Prepares n replications of sc (nothing runs yet). */
void reps_point_init(struct reps_point *pt, const struct scenario *sc,
                     size_t n);
/* Frees everything the replications own; pt may be NULL. */
void reps_point_fini(struct reps_point *pt);

/*
 * Runs every replication of every point.  Returns ERR_OK, ERR_THREAD when
 * no thread could be started, or the first (in point and replication
 * order) error of a replication, which is also printed on stderr
 * (prefixed "tollgate PROG").
 */
int reps_run(struct reps_point *pts, size_t n_pts, const struct reps_cfg *cfg,
             const char *prog) WARN_UNUSED;

/* The replications to report: the leading ones that ran, up to and
 * including the first that was stopped early; 0 when the first did not
 * run. */
size_t reps_ran(const struct reps_point *pt);

/*
 * The summary of the first ran (>= 1) replications into out
 * (summary_init'ed): a copy of the only one, or summary_replicate's means
 * and ci95 half-widths.  Returns ERR_OK or summary_replicate's ERR_INVAL.
 */
int reps_summary(const struct reps_point *pt, size_t ran,
                 struct summary *out) WARN_UNUSED;

/*
 * Writes a results directory from the first n replications and their
 * combined summary sum: the first replication's time series, histograms
 * and events, sc as scenario.yaml, and with n > 1 each seed's summary in
 * dir/replications/seed-<s>/.  Returns ERR_OK or the writers' error
 * (errno tells more for ERR_IO); ERR_TOOBIG for a dir over 4000 bytes.
 */
int reps_write(const char *dir, const struct scenario *sc,
               const struct rep *reps, size_t n,
               const struct summary *sum) WARN_UNUSED;

#endif

/*
 * reps.c - the (point, replication) grid on sim/sim_pool.
 *
 * A task of the pool is a flat index over all points: point p's
 * replications occupy the n_p indices after those of the points before
 * it, found by a short scan (grids are small next to a simulation).
 * A task builds its own recorder and engine, runs, computes its summary
 * and, unless it is the first replication of its point, frees the
 * recorder and the event rows at once.
 *
 * Progress: with one thread the detailed line of `sim` (rates, top
 * denials, p99) is drawn from the engine's tick, as before parallelism;
 * with several, the engines only publish the virtual time they reached
 * (one relaxed atomic store per tick) and the waiting thread draws
 * "[runs 17/60  3 points of 12  42%]" from those.
 */
#include "cli/reps.h"

#include <inttypes.h>
#include <string.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/results/results.h"
#include "sim/sim_pool.h"

void reps_point_init(struct reps_point *pt, const struct scenario *sc, size_t n)
{
    pt->sc = sc;
    pt->n = n;
    pt->reps = xcalloc(n, sizeof(*pt->reps));
    for (size_t i = 0; i < n; i++) {
        pt->reps[i].seed = sc->seed + i;
        summary_init(&pt->reps[i].sum);
        atomic_init(&pt->reps[i].now_ns, 0);
    }
}

void reps_point_fini(struct reps_point *pt)
{
    if (pt == NULL || pt->reps == NULL)
        return;
    for (size_t i = 0; i < pt->n; i++) {
        rec_free(pt->reps[i].rec);
        sim_stats_fini(&pt->reps[i].stats);
        summary_fini(&pt->reps[i].sum);
    }
    free(pt->reps);
    pt->reps = NULL;
}

struct grid {
    struct reps_point *pts;
    size_t n_pts, n_tasks;
    const struct reps_cfg *cfg;
    bool serial; /* one thread: the detailed progress line */
    atomic_size_t finished;
    atomic_size_t *left; /* per point: replications not finished yet */
};

/* Point and replication of flat task index t. */
static struct rep *locate(const struct grid *g, size_t t, size_t *point)
{
    for (size_t p = 0; p < g->n_pts; p++) {
        if (t < g->pts[p].n) {
            *point = p;
            return &g->pts[p].reps[t];
        }
        t -= g->pts[p].n;
    }
    return NULL; /* t < n_tasks makes this unreachable */
}

struct tick {
    const struct grid *g;
    struct rep *r;
    int64_t total_ns;
    volatile sig_atomic_t stop; /* this engine's; written by its thread */
};

static bool stopped(const struct grid *g)
{
    return g->cfg->stopped != NULL && g->cfg->stopped() != 0;
}

static void on_tick(void *ctx, const struct rec *rec, int64_t now_ns)
{
    struct tick *t = ctx;
    atomic_store_explicit(&t->r->now_ns, now_ns, memory_order_relaxed);
    if (stopped(t->g))
        t->stop = 1; /* the engine looks right after its tick */
    struct progress *pg = t->g->cfg->pg;
    if (!t->g->serial || !progress_due(pg))
        return;
    struct progress_sample s;
    progress_sample_rec(pg, rec, now_ns, t->total_ns, &s);
    progress_draw(pg, &s);
}

static void run_task(void *ctx, size_t t)
{
    struct grid *g = ctx;
    size_t p = 0;
    struct rep *r = locate(g, t, &p);
    const struct scenario *sc = g->pts[p].sc;
    if (stopped(g))
        goto out;
    struct rec *rec = NULL;
    r->rc = sim_rec_new(sc, &rec);
    if (r->rc != ERR_OK)
        goto out;
    struct tick tk = { g, r, sc->duration_ns, 0 };
    struct sim_config cfg = { .sc = sc,
                              .seed = r->seed,
                              .stop = &tk.stop,
                              .tick = on_tick,
                              .tick_ctx = &tk };
    r->rc = sim_run(&cfg, rec, &r->stats);
    if (r->rc == ERR_OK) {
        struct summary_meta meta = { sc->name, "sim", r->seed };
        summary_from_record(&r->sum, rec, &meta);
        r->ran = true;
    }
    atomic_store_explicit(&r->now_ns, sc->duration_ns, memory_order_relaxed);
    if (r == &g->pts[p].reps[0]) {
        r->rec = rec; /* the results directory's time series */
    } else {
        rec_free(rec);
        sim_stats_fini(&r->stats); /* event rows: first replication only */
    }
out:
    atomic_fetch_add(&g->finished, 1);
    /* The last replication of the point hands it over (acq_rel: the
     * other replications' results are visible to the callback). */
    if (atomic_fetch_sub_explicit(&g->left[p], 1, memory_order_acq_rel) == 1 &&
        g->cfg->point_done != NULL)
        g->cfg->point_done(g->cfg->point_ctx, p);
}

/* "[runs 17/60  42%]": finished runs and virtual time reached overall. */
static void on_idle(void *ctx)
{
    struct grid *g = ctx;
    struct progress *pg = g->cfg->pg;
    if (g->serial || !progress_due(pg))
        return;
    double reached = 0, total = 0;
    for (size_t p = 0; p < g->n_pts; p++)
        for (size_t i = 0; i < g->pts[p].n; i++) {
            reached += (double)atomic_load_explicit(&g->pts[p].reps[i].now_ns,
                                                    memory_order_relaxed);
            total += (double)g->pts[p].sc->duration_ns;
        }
    char line[96];
    size_t done = atomic_load(&g->finished);
    if (g->n_pts > 1)
        snprintf(line, sizeof(line), "[runs %zu/%zu of %zu points  %3.0f%%]",
                 done, g->n_tasks, g->n_pts,
                 total > 0 ? 100 * reached / total : 0);
    else
        snprintf(line, sizeof(line), "[replications %zu/%zu  %3.0f%%]", done,
                 g->n_tasks, total > 0 ? 100 * reached / total : 0);
    progress_draw_text(pg, line);
}

static int first_error(const struct grid *g, const char *prog)
{
    for (size_t p = 0; p < g->n_pts; p++)
        for (size_t i = 0; i < g->pts[p].n; i++) {
            const struct rep *r = &g->pts[p].reps[i];
            if (r->rc == ERR_OK)
                continue;
            fprintf(stderr,
                    "tollgate %s: %s (seed %" PRIu64
                    "): the run cannot start: %s\n",
                    prog, g->pts[p].sc->name, r->seed, err_str(r->rc));
            return r->rc;
        }
    return ERR_OK;
}

int reps_run(struct reps_point *pts, size_t n_pts, const struct reps_cfg *cfg,
             const char *prog)
{
    struct grid g = { .pts = pts, .n_pts = n_pts, .cfg = cfg };
    for (size_t p = 0; p < n_pts; p++)
        g.n_tasks += pts[p].n;
    atomic_init(&g.finished, 0);
    g.left = xcalloc(n_pts, sizeof(*g.left));
    for (size_t p = 0; p < n_pts; p++)
        atomic_init(&g.left[p], pts[p].n);
    g.serial = cfg->jobs <= 1 || g.n_tasks <= 1;
    int rc = sim_pool_run(g.n_tasks, cfg->jobs, run_task, &g, on_idle, &g);
    free(g.left);
    if (rc != ERR_OK) {
        fprintf(stderr, "tollgate %s: cannot start threads: %s\n", prog,
                err_str(rc));
        return rc;
    }
    return first_error(&g, prog);
}

size_t reps_ran(const struct reps_point *pt)
{
    size_t k = 0;
    while (k < pt->n && pt->reps[k].ran) {
        k++;
        if (!pt->reps[k - 1].stats.complete)
            break;
    }
    return k;
}

int reps_summary(const struct reps_point *pt, size_t ran, struct summary *out)
{
    if (ran == 1) {
        summary_copy(out, &pt->reps[0].sum);
        return ERR_OK;
    }
    /* Shallow copies side by side, as summary_replicate wants them; the
     * replications keep ownership. */
    struct summary *sums = xcalloc(ran, sizeof(*sums));
    for (size_t i = 0; i < ran; i++)
        sums[i] = pt->reps[i].sum;
    int rc = summary_replicate(out, sums, ran);
    free(sums);
    return rc;
}

static int write_seeds(const char *dir, const struct rep *reps, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        /* The bounded %.4000s keeps the result inside sub; longer
         * directory names are refused rather than cut. */
        char sub[4096];
        if (strlen(dir) > 4000)
            return ERR_TOOBIG;
        snprintf(sub, sizeof(sub), "%.4000s/replications/seed-%" PRIu64, dir,
                 reps[i].seed);
        int rc = results_mkdir(sub);
        if (rc == ERR_OK)
            rc = results_write_summary(sub, &reps[i].sum);
        if (rc != ERR_OK)
            return rc;
    }
    return ERR_OK;
}

static int write_text(void *ctx, FILE *out)
{
    return fputs(ctx, out) < 0 ? ERR_IO : ERR_OK;
}

int reps_write(const char *dir, const struct scenario *sc,
               const struct rep *reps, size_t n, const struct summary *sum)
{
    int rc = results_write_all(dir, reps[0].rec, sum);
    if (rc == ERR_OK)
        rc = results_write_timeline(dir, reps[0].stats.rows,
                                    reps[0].stats.n_rows, reps[0].stats.end_ns);
    if (rc == ERR_OK)
        rc = results_write_scenario(dir, sc);
    if (rc == ERR_OK && n > 1)
        rc = write_seeds(dir, reps, n);
    if (rc == ERR_OK && reps[0].stats.trace_report != NULL)
        rc = results_write_atomic(dir, "trace.txt", write_text,
                                  reps[0].stats.trace_report);
    return rc;
}

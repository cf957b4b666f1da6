/*
 * test_sim_pool.c - the thread pool of replications and sweeps: every
 * task index runs exactly once whatever the thread count (including more
 * threads than tasks, one task, none), the idle callback runs, and
 * simulations run through the pool on several threads write summaries
 * byte-identical to the same seeds run serially.
 */
// ctest-labels: threaded
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/results/results.h"
#include "core/scenario/scenario.h"
#include "core/stats/summary.h"
#include "sim/sim.h"
#include "sim/sim_pool.h"

/* ---- every index exactly once ------------------------------------------ */

struct count_case {
    const char *name;
    size_t n;
    int jobs;
};

static const struct count_case count_cases[] = {
    { "no tasks", 0, 4 },        { "one task, many threads", 1, 8 },
    { "serial", 50, 1 },         { "jobs 0 means serial", 7, 0 },
    { "two threads", 1000, 2 },  { "more threads than tasks", 3, 16 },
    { "many threads", 5000, 7 },
};

#define N_COUNT (sizeof(count_cases) / sizeof(count_cases[0]))

struct counter {
    atomic_int *runs; /* per index */
    atomic_int idles;
};

static void count_task(void *ctx, size_t i)
{
    struct counter *c = ctx;
    atomic_fetch_add(&c->runs[i], 1);
}

static void count_idle(void *ctx)
{
    struct counter *c = ctx;
    atomic_fetch_add(&c->idles, 1);
}

static void test_count_case(void **state)
{
    const struct count_case *k = *state;
    struct counter c = { calloc(k->n + 1, sizeof(atomic_int)), 0 };
    assert_int_equal(
        sim_pool_run(k->n, k->jobs, count_task, &c, count_idle, &c), ERR_OK);
    for (size_t i = 0; i < k->n; i++)
        assert_int_equal(atomic_load(&c.runs[i]), 1);
    /* serial: once per task; threaded: at least once after the join */
    if (k->n > 0)
        assert_true(atomic_load(&c.idles) >= 1);
    free(c.runs);
}

static void test_default_jobs(void **state)
{
    (void)state;
    int j = sim_pool_default_jobs();
    assert_true(j >= 1 && j <= SIM_POOL_MAX_JOBS);
}

/* ---- simulations: threads change nothing -------------------------------- */

/* An M/M/2 queue with a retrying client, small enough to run in tens of
 * milliseconds yet with every random stream in use. */
static const char scenario_text[] =
    "name: pool\n"
    "seed: 11\n"
    "duration: 2m\n"
    "interval: 10s\n"
    "policy:\n"
    "  models:\n"
    "    m: { input: 1/1M, output: 1/1M,"
    " service: { first_token: exp(200ms), per_token: 0ms } }\n"
    "  capacity: { servers: 2, queue: 3 }\n"
    "accounts:\n"
    "  - name: a\n"
    "    count: 20\n"
    "    traffic: { phases: [ { for: 2m, rate: 9/s } ] }\n"
    "    client: { retry: { max: 2, backoff: exponential, base: 100ms } }\n";

#define N_SEEDS 6

struct sims {
    const struct scenario *sc;
    char *json[N_SEEDS]; /* summary.json text per seed */
    size_t len[N_SEEDS];
};

static void sim_task(void *ctx, size_t i)
{
    struct sims *s = ctx;
    struct rec *rec = NULL;
    if (sim_rec_new(s->sc, &rec) != ERR_OK)
        return; /* json stays NULL: the main thread's assert fails */
    struct sim_config cfg = { .sc = s->sc, .seed = s->sc->seed + i };
    struct sim_stats st = { 0 };
    if (sim_run(&cfg, rec, &st) == ERR_OK) {
        struct summary sum;
        summary_init(&sum);
        struct summary_meta meta = { s->sc->name, "sim", cfg.seed };
        summary_from_record(&sum, rec, &meta);
        FILE *f = open_memstream(&s->json[i], &s->len[i]);
        if (f != NULL) {
            int rc = results_fwrite_summary(f, &sum);
            fclose(f);
            if (rc != ERR_OK) { /* the main thread sees NULL and fails */
                free(s->json[i]);
                s->json[i] = NULL;
            }
        }
        summary_fini(&sum);
    }
    sim_stats_fini(&st);
    rec_free(rec);
}

static void test_threads_identical(void **state)
{
    (void)state;
    struct scenario *sc = NULL;
    struct scn_diags d;
    scn_diags_init(&d, "pool.yaml");
    assert_int_equal(scn_parse_buffer("pool.yaml", scenario_text,
                                      strlen(scenario_text), NULL, 0, &sc, &d),
                     ERR_OK);
    scn_diags_fini(&d);
    struct sims serial = { .sc = sc }, par = { .sc = sc };
    assert_int_equal(sim_pool_run(N_SEEDS, 1, sim_task, &serial, NULL, NULL),
                     ERR_OK);
    assert_int_equal(sim_pool_run(N_SEEDS, 3, sim_task, &par, NULL, NULL),
                     ERR_OK);
    for (size_t i = 0; i < N_SEEDS; i++) {
        assert_non_null(serial.json[i]);
        assert_non_null(par.json[i]);
        assert_true(serial.len[i] > 100);
        assert_int_equal(serial.len[i], par.len[i]);
        assert_memory_equal(serial.json[i], par.json[i], serial.len[i]);
        /* and the seeds differ, so the comparison is not vacuous */
        if (i > 0)
            assert_false(
                serial.len[i] == serial.len[0] &&
                memcmp(serial.json[i], serial.json[0], serial.len[0]) == 0);
    }
    for (size_t i = 0; i < N_SEEDS; i++) {
        free(serial.json[i]);
        free(par.json[i]);
    }
    scn_free(sc);
}

int main(void)
{
    struct CMUnitTest tests[N_COUNT + 2];
    for (size_t i = 0; i < N_COUNT; i++)
        tests[i] = (struct CMUnitTest){ count_cases[i].name, test_count_case,
                                        NULL, NULL, (void *)&count_cases[i] };
    tests[N_COUNT] = (struct CMUnitTest)cmocka_unit_test(test_default_jobs);
    tests[N_COUNT + 1] =
        (struct CMUnitTest)cmocka_unit_test(test_threads_identical);
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_results.c - results directory: summary.json names and round trip,
 * timeseries.csv contract, histograms.tgh lossless round trip and
 * malformed rows, shard merge == one recorder (byte-identical outputs),
 * atomic writes and every error code, replications with ci95.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/base/json.h"
#include "tests/unit/rec_assert.h"
#include "core/results/results.h"

#define MS 1000000LL
#define S  1000000000LL

static const char *const pop_names[] = { "hobbyists", "startups" };

/* The contract of docs/results-format.md, spelled out so that a change must be
 * deliberate. */
static const char *want_header =
    "t_s,offered,attempts,ok,denied,free_tier_exhausted,credits_exhausted,"
    "usage_cap,billing,invalid_key,revoked_key,account_inactive,"
    "account_suspended,account_banned,rate_limit,token_limit,"
    "concurrency_limit,abuse_throttle,unauthorized_lockout,policy_violation,"
    "bad_request,permission_revoked,feature_suspended,region_blocked,"
    "maintenance,upgrade,outage,overloaded,server_error,network,timeout,"
    "p50_ms,p90_ms,p99_ms,max_ms,in_flight,queue_len,credit_remaining_usd,"
    "rl_remaining_requests,rl_remaining_tokens,final_ok,"
    "final_free_tier_exhausted,final_credits_exhausted,final_usage_cap,"
    "final_billing,final_invalid_key,final_revoked_key,"
    "final_account_inactive,final_account_suspended,final_account_banned,"
    "final_rate_limit,final_token_limit,final_concurrency_limit,"
    "final_abuse_throttle,final_unauthorized_lockout,final_policy_violation,"
    "final_bad_request,final_permission_revoked,final_feature_suspended,"
    "final_region_blocked,final_maintenance,final_upgrade,final_outage,"
    "final_overloaded,final_server_error,final_network,final_timeout,"
    "final_lost,req_p50_ms,req_p90_ms,req_p99_ms,req_max_ms";

static uint64_t mix(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static struct rec *mk(bool live)
{
    struct rec_config cfg = { 30 * S, S, 2 * S, 2, pop_names, live };
    struct rec *r = NULL;
    assert_int_equal(rec_new(&cfg, &r), ERR_OK);
    return r;
}

/* Feeds a reproducible stream into shard (k % n_shards) and into all. */
static void feed(struct rec **shards, size_t n_shards, struct rec *all)
{
    uint64_t s = 2024;
    for (int k = 0; k < 6000; k++) {
        int pop = (int)(mix(&s) % 2);
        enum reason o =
            (mix(&s) % 2) ? REASON_OK : (enum reason)(mix(&s) % REASON_COUNT);
        int64_t intended = (int64_t)k * 5 * MS;
        int64_t sent = intended + (int64_t)(mix(&s) % MS);
        int64_t done = sent + 20 * MS + (int64_t)(mix(&s) % (800 * MS));
        struct rec *t[2] = { shards[(size_t)k % n_shards], all };
        for (int i = 0; i < 2; i++) {
            rec_offered(t[i], pop, intended);
            /* live: a few the generator lost (never sent, or no answer) */
            if (rec_config(t[i])->live && (k % 97 == 0 || k % 89 == 0)) {
                rec_request_lost(t[i], pop,
                                 k % 97 == 0 ? REC_NOT_SENT
                                             : REC_ABANDONED_IN_FLIGHT,
                                 k % 97 == 0 ? 0 : 1, intended);
                continue;
            }
            rec_attempt(t[i], pop, o, intended, sent, done);
            rec_request(t[i], pop, o, (enum rec_end)(k % REC_END_COUNT),
                        1 + k % 3, intended, done);
            /* gauges add across shards: set them in shard 0 only, so the
             * merged sum equals the single recorder's last value */
            if (k % (int)(50 * n_shards) == 0)
                rec_gauge(t[i], REC_G_IN_FLIGHT, done, (double)(k % 7));
            if (k % 301 == 0)
                rec_transport_error(t[i], done);
        }
    }
}

/* ---- temporary directories ------------------------------------------------
 */

/* On tmpfs when there is one: the writers fsync, which a disk makes slow
 * and a unit test must stay under a second. */
static char *tmpdir(void)
{
    struct stat st;
    bool shm = stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) &&
               access("/dev/shm", W_OK) == 0;
    char *d = malloc(64); /* mkdtemp's template ends in six 'X' */
    int k = snprintf(d, 64, "%s/tollgate-results-", shm ? "/dev/shm" : "/tmp");
    memset(d + k, 'X', 6);
    d[k + 6] = '\0';
    assert_non_null(mkdtemp(d));
    return d;
}

static void rmtree(char *d)
{
    const char *names[] = {
        RESULTS_SUMMARY, RESULTS_TIMESERIES, RESULTS_HGRM, RESULTS_TGH,
        RESULTS_EVENTS,  RESULTS_SCENARIO,   "bad"
    };
    char p[512];
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        snprintf(p, sizeof(p), "%s/%s", d, names[i]);
        unlink(p);
    }
    assert_int_equal(rmdir(d), 0); /* fails if a temp file was left */
    free(d);
}

static char *slurp(const char *dir, const char *name)
{
    char p[512], *text = NULL;
    size_t len;
    snprintf(p, sizeof(p), "%s/%s", dir, name);
    assert_int_equal(results_slurp(p, 1 << 26, &text, &len), ERR_OK);
    return text;
}

static void put_file(const char *dir, const char *name, const char *text)
{
    char p[512];
    snprintf(p, sizeof(p), "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* A results directory of r as shard i of n (n 1: a whole run). */
static void write_shard(const char *dir, const struct rec *r, const char *mode,
                        int i, int n)
{
    struct summary s;
    summary_init(&s);
    struct summary_meta m = { "unit-scenario", mode, 42 };
    summary_from_record(&s, r, &m);
    summary_shards_set(&s.shards, i, n);
    assert_int_equal(results_write_all(dir, r, &s), ERR_OK);
    summary_fini(&s);
}

static void write_dir(const char *dir, const struct rec *r, const char *mode)
{
    write_shard(dir, r, mode, 0, 1);
}

/* ---- summary.json -----------------------------------------------------------
 */

static void test_summary_names(void **state)
{
    (void)state;
    struct rec *r = mk(true), *sh[1];
    struct rec *scratch = mk(true);
    sh[0] = r;
    feed(sh, 1, scratch);
    rec_finish(r, 30 * S, true);
    char *d = tmpdir();
    write_dir(d, r, "run");
    char *text = slurp(d, RESULTS_SUMMARY);
    struct json_node *nodes = malloc(20000 * sizeof(*nodes));
    struct json_doc doc;
    assert_int_equal(json_parse(&doc, text, strlen(text), nodes, 20000, 0, 0),
                     ERR_OK);
    const char *top[] = { "tool",
                          "version",
                          "scenario",
                          "mode",
                          "seed",
                          "complete",
                          "duration_s",
                          "requests",
                          "denied_by_reason",
                          "denial_rate",
                          "goodput_per_s",
                          "retry_amplification",
                          "latency_ms",
                          "populations",
                          "schedule_lag_ms",
                          "latency_uncorrected_ms",
                          "transport_errors" };
    for (size_t i = 0; i < sizeof(top) / sizeof(top[0]); i++)
        assert_true(json_get(&doc, 0, top[i]) >= 0);
    assert_true(json_str_eq(&doc, json_get(&doc, 0, "tool"), "tollgate"));
    const char *req[] = { "attempts", "unique", "ok", "denied" };
    for (int i = 0; i < 4; i++)
        assert_true(json_path(&doc, 0, "requests", req[i], NULL) >= 0);
    int dbr = json_get(&doc, 0, "denied_by_reason");
    assert_int_equal(json_len(&doc, dbr), 2 * REASON_N_DENIAL);
    for (int o = 1; o < REASON_COUNT; o++)
        assert_true(json_get(&doc, dbr, reason_id(o)) >= 0);
    const char *pct[] = { "p50", "p90", "p99", "p999", "max", "mean" };
    for (int i = 0; i < 6; i++) {
        assert_true(json_path(&doc, 0, "latency_ms", "all", pct[i], NULL) >= 0);
        assert_true(json_path(&doc, 0, "latency_ms", "ok", pct[i], NULL) >= 0);
    }
    assert_true(json_path(&doc, 0, "latency_ms", "by_reason", NULL) >= 0);
    assert_true(json_path(&doc, 0, "populations", "startups", "latency_ms",
                          "all", "p99", NULL) >= 0);
    assert_true(json_path(&doc, 0, "populations", "hobbyists",
                          "denied_by_reason", "rate_limit", NULL) >= 0);
    assert_int_equal(json_get(&doc, 0, "ci95"), -1);
    /* final_outcome: every reason id, then the generator's lost requests
     * (this live recorder lost some; test_final_adds_up checks sums). */
    int fo = json_get(&doc, 0, "final_outcome");
    assert_int_equal(json_len(&doc, fo), 2 * (REASON_COUNT + REC_LOST_COUNT));
    for (int o = 0; o < REASON_COUNT; o++)
        assert_true(json_get(&doc, fo, reason_id(o)) >= 0);
    const char *lost[] = { "not_sent", "abandoned_in_flight" };
    for (int l = 0; l < REC_LOST_COUNT; l++) {
        int64_t v;
        assert_string_equal(rec_lost_name(l), lost[l]);
        assert_true(json_int64(&doc, json_get(&doc, fo, lost[l]), &v));
        assert_true(v > 0);
    }
    free(nodes);
    free(text);
    rmtree(d);
    rec_free(r);
    rec_free(scratch);
}

/* Every unique request has exactly one final outcome, an answer's or the
 * generator's (not_sent, abandoned_in_flight): the sums hold in the
 * summary, in summary.json, and after a merge of shards.  No warm-up
 * here (it counts offered by intended and finals by completion time). A
 * recorder of sim (not live) writes no generator outcomes at all. */
static void test_final_adds_up(void **state)
{
    (void)state;
    for (int live = 0; live < 2; live++) {
        struct rec_config cfg = { 30 * S, S, 0, 2, pop_names, live };
        struct rec *sh[2], *all;
        assert_int_equal(rec_new(&cfg, &all), ERR_OK);
        assert_int_equal(rec_new(&cfg, &sh[0]), ERR_OK);
        assert_int_equal(rec_new(&cfg, &sh[1]), ERR_OK);
        feed(sh, 2, all);
        char *dirs[2] = { tmpdir(), tmpdir() }, *out = tmpdir();
        for (int i = 0; i < 2; i++) {
            rec_finish(sh[i], 30 * S, true);
            write_shard(dirs[i], sh[i], live ? "run" : "sim", i, 2);
        }
        char err[256] = "", path[512];
        const char *in[2] = { dirs[0], dirs[1] };
        assert_int_equal(results_merge(out, in, 2, false, err, sizeof(err)),
                         ERR_OK);
        snprintf(path, sizeof(path), "%s/%s", out, RESULTS_SUMMARY);
        struct summary m;
        summary_init(&m);
        assert_int_equal(results_read_summary(path, &m, err, sizeof(err)),
                         ERR_OK);
        int64_t finals = 0;
        for (int o = 0; o < REASON_COUNT; o++)
            finals += m.final_by_outcome[o];
        for (int l = 0; l < REC_LOST_COUNT; l++)
            finals += m.final_lost[l];
        assert_int_equal(m.requests.unique, 6000);
        assert_int_equal(finals, 6000);
        /* k = 0, 97, ..., 5917: 62 not sent; k = 89, ..., 5963 (0 is
         * not sent already): 67 abandoned */
        assert_int_equal(m.final_lost[REC_NOT_SENT], live ? 62 : 0);
        assert_int_equal(m.final_lost[REC_ABANDONED_IN_FLIGHT], live ? 67 : 0);
        assert_int_equal(m.requests.attempts, live ? 6000 - 62 - 67 : 6000);
        char *text = slurp(out, RESULTS_SUMMARY);
        assert_true((strstr(text, "\"not_sent\"") != NULL) == live);
        free(text);
        summary_fini(&m);
        for (int i = 0; i < 2; i++) {
            rmtree(dirs[i]);
            rec_free(sh[i]);
        }
        rmtree(out);
        rec_free(all);
    }
}

static void assert_lat_equal(const struct summary_lat *a,
                             const struct summary_lat *b)
{
    assert_int_equal(a->count, b->count);
    assert_true(a->p50 == b->p50 && a->p90 == b->p90 && a->p95 == b->p95 &&
                a->p99 == b->p99 && a->p999 == b->p999 && a->max == b->max &&
                a->mean == b->mean);
}

static void assert_gen_equal(const struct summary_gen *a,
                             const struct summary_gen *b)
{
    assert_true(a->kept_up == b->kept_up);
    assert_int_equal(a->dropped, b->dropped);
    assert_int_equal(a->connections_peak, b->connections_peak);
    assert_int_equal(a->connections, b->connections);
    assert_int_equal(a->threads, b->threads);
    assert_int_equal(a->sent, b->sent);
    assert_int_equal(a->waited_for_connection, b->waited_for_connection);
    assert_int_equal(a->shards, b->shards);
    assert_int_equal(a->abandoned, b->abandoned);
}

static void assert_summary_equal(const struct summary *a,
                                 const struct summary *b)
{
    assert_string_equal(a->tool, b->tool);
    assert_string_equal(a->version, b->version);
    assert_string_equal(a->scenario, b->scenario);
    assert_string_equal(a->mode, b->mode);
    assert_true(a->seed == b->seed && a->complete == b->complete);
    assert_true(a->duration_s == b->duration_s);
    assert_memory_equal(&a->requests, &b->requests, sizeof(a->requests));
    assert_memory_equal(a->denied_by_reason, b->denied_by_reason,
                        sizeof(a->denied_by_reason));
    assert_memory_equal(a->final_by_outcome, b->final_by_outcome,
                        sizeof(a->final_by_outcome));
    assert_memory_equal(a->final_lost, b->final_lost, sizeof(a->final_lost));
    assert_true(a->denial_rate == b->denial_rate);
    assert_true(a->goodput_per_s == b->goodput_per_s);
    assert_true(a->retry_amplification == b->retry_amplification);
    assert_lat_equal(&a->lat_all, &b->lat_all);
    assert_lat_equal(&a->lat_ok, &b->lat_ok);
    assert_lat_equal(&a->lat_denied, &b->lat_denied);
    for (int o = 1; o < REASON_COUNT; o++)
        if (a->lat_by_reason[o].count > 0)
            assert_lat_equal(&a->lat_by_reason[o], &b->lat_by_reason[o]);
    assert_int_equal(a->n_pops, b->n_pops);
    for (size_t p = 0; p < a->n_pops; p++) {
        assert_string_equal(a->pops[p].name, b->pops[p].name);
        assert_memory_equal(&a->pops[p].requests, &b->pops[p].requests,
                            sizeof(a->pops[p].requests));
        assert_lat_equal(&a->pops[p].lat_all, &b->pops[p].lat_all);
        assert_lat_equal(&a->pops[p].lat_ok, &b->pops[p].lat_ok);
    }
    assert_true(a->live == b->live);
    if (a->live) {
        assert_lat_equal(&a->schedule_lag, &b->schedule_lag);
        assert_lat_equal(&a->latency_uncorrected, &b->latency_uncorrected);
    }
    assert_int_equal(a->transport_errors, b->transport_errors);
    assert_true(a->has_generator == b->has_generator);
    if (a->has_generator)
        assert_gen_equal(&a->generator, &b->generator);
    assert_int_equal(a->dropped, b->dropped);
    assert_int_equal(a->replications, b->replications);
    assert_true(a->has_ci95 == b->has_ci95);
    if (a->has_ci95) {
        assert_true(a->ci95.denial_rate == b->ci95.denial_rate);
        assert_true(a->ci95.goodput_per_s == b->ci95.goodput_per_s);
        assert_lat_equal(&a->ci95.lat_all, &b->ci95.lat_all);
    }
}

static void summary_roundtrip(const struct summary *s)
{
    char *d = tmpdir();
    char p[512];
    assert_int_equal(results_write_summary(d, s), ERR_OK);
    snprintf(p, sizeof(p), "%s/%s", d, RESULTS_SUMMARY);
    struct summary back;
    summary_init(&back);
    char err[256];
    assert_int_equal(results_read_summary(p, &back, err, sizeof(err)), ERR_OK);
    assert_summary_equal(s, &back);
    summary_fini(&back);
    rmtree(d);
}

static void test_summary_roundtrip(void **state)
{
    (void)state;
    for (int live = 0; live < 2; live++) {
        struct rec *r = mk(live), *scratch = mk(live), *sh[1] = { r };
        feed(sh, 1, scratch);
        rec_finish(r, 25 * S, false);
        struct summary s;
        summary_init(&s);
        struct summary_meta m = { "x", "sim", UINT64_MAX };
        summary_from_record(&s, r, &m);
        assert_true(s.duration_s == 23.0); /* 25 s covered - 2 s warm-up */
        assert_false(s.complete);
        assert_int_equal(s.requests.attempts,
                         s.requests.ok + s.requests.denied);
        summary_roundtrip(&s);
        if (live) { /* run: the generator block, a late one */
            s.has_generator = true;
            s.generator =
                (struct summary_gen){ false, 7, 48, 64, 2, 12345, 99, 1, 3 };
            summary_roundtrip(&s);
        }
        summary_fini(&s);
        rec_free(r);
        rec_free(scratch);
    }
}

/* Three replications with known denial rates 0.1, 0.2, 0.3: mean 0.2,
 * sd 0.1, ci95 = t(0.975, 2) * 0.1 / sqrt(3) = 4.303 * 0.057735. */
static void test_replications(void **state)
{
    (void)state;
    struct summary reps[3], out;
    for (int i = 0; i < 3; i++) {
        summary_init(&reps[i]);
        reps[i].requests.attempts = 100 + i;
        reps[i].denial_rate = 0.1 * (i + 1);
        reps[i].lat_all.p99 = 10.0 + 2.0 * i;
        reps[i].n_pops = 1;
        reps[i].pops = calloc(1, sizeof(*reps[i].pops));
        snprintf(reps[i].pops[0].name, SUMMARY_STR_MAX, "p");
        reps[i].pops[0].requests.ok = 10 * (i + 1);
    }
    summary_init(&out);
    assert_int_equal(summary_replicate(&out, reps, 1), ERR_INVAL);
    assert_int_equal(summary_replicate(&out, reps, 3), ERR_OK);
    assert_int_equal(out.replications, 3);
    assert_true(out.has_ci95);
    assert_int_equal(out.requests.attempts, 101);
    assert_int_equal(out.pops[0].requests.ok, 20);
    assert_true(fabs(out.denial_rate - 0.2) < 1e-12);
    assert_true(fabs(out.ci95.denial_rate - 4.303 * 0.1 / sqrt(3.0)) < 1e-9);
    assert_true(fabs(out.lat_all.p99 - 12.0) < 1e-12);
    assert_true(fabs(out.ci95.lat_all.p99 - 4.303 * 2.0 / sqrt(3.0)) < 1e-9);
    summary_roundtrip(&out);
    snprintf(reps[2].pops[0].name, SUMMARY_STR_MAX, "q");
    assert_int_equal(summary_replicate(&out, reps, 3), ERR_INVAL);
    for (int i = 0; i < 3; i++)
        summary_fini(&reps[i]);
    summary_fini(&out);
    assert_true(summary_t975(1) == 12.706);
    assert_true(fabs(summary_t975(1000) - 1.9623) < 1e-3);
}

struct sj_case {
    const char *name;
    const char *text;
    int want;
};

static const struct sj_case sj_cases[] = {
    { "minimal valid",
      "{\"requests\":{\"attempts\":3,\"unique\":2,\"ok\":1,\"denied\":2},"
      "\"denied_by_reason\":{\"rate_limit\":2}}",
      ERR_OK },
    { "not JSON", "{requests}", ERR_PARSE },
    { "top level array", "[]", ERR_PARSE },
    { "missing requests", "{\"denied_by_reason\":{}}", ERR_PARSE },
    { "missing denied_by_reason",
      "{\"requests\":{\"attempts\":1,\"unique\":1,\"ok\":1,\"denied\":0}}",
      ERR_PARSE },
    { "count is a string",
      "{\"requests\":{\"attempts\":\"3\"},\"denied_by_reason\":{}}",
      ERR_PARSE },
    { "count is fractional",
      "{\"requests\":{\"attempts\":1.5},\"denied_by_reason\":{}}", ERR_PARSE },
    { "complete is a number",
      "{\"requests\":{},\"denied_by_reason\":{},\"complete\":1}", ERR_PARSE },
    { "truncated", "{\"requests\":{\"attempts\":3", ERR_PARSE },
#define SJ_MIN                                                                 \
    "{\"requests\":{\"attempts\":3,\"unique\":2,\"ok\":1,\"denied\":2},"       \
    "\"denied_by_reason\":{\"rate_limit\":2},"
    { "warnings as strings", SJ_MIN "\"warnings\":[\"a: b\",\"c\"]}", ERR_OK },
    { "warnings not a list", SJ_MIN "\"warnings\":\"a\"}", ERR_PARSE },
    { "warning not a string", SJ_MIN "\"warnings\":[1]}", ERR_PARSE },
    { "shard 1 of 2",
      SJ_MIN "\"shards\":{\"of\":2,\"covered\":[[1,1]],\"partial\":false}}",
      ERR_OK },
    { "shards of 1", SJ_MIN "\"shards\":{\"of\":1,\"covered\":[[0,0]]}}",
      ERR_PARSE },
    { "shards covering all",
      SJ_MIN "\"shards\":{\"of\":2,\"covered\":[[0,1]]}}", ERR_PARSE },
    { "shard ranges not coalesced",
      SJ_MIN "\"shards\":{\"of\":4,\"covered\":[[0,0],[1,1]]}}", ERR_PARSE },
    { "shard ranges unsorted",
      SJ_MIN "\"shards\":{\"of\":4,\"covered\":[[2,2],[0,0]]}}", ERR_PARSE },
    { "shard past the count",
      SJ_MIN "\"shards\":{\"of\":4,\"covered\":[[3,4]]}}", ERR_PARSE },
    { "shards without covered", SJ_MIN "\"shards\":{\"of\":4}}", ERR_PARSE },
};

static void test_sj_case(void **state)
{
    const struct sj_case *c = *state;
    struct summary s;
    summary_init(&s);
    char err[256] = "";
    int rc = results_parse_summary("s.json", c->text, strlen(c->text), &s, err,
                                   sizeof(err));
    assert_int_equal(rc, c->want);
    if (rc == ERR_OK) {
        assert_int_equal(s.requests.attempts, 3);
        assert_int_equal(s.denied_by_reason[REASON_RATE_LIMIT], 2);
        assert_int_equal(s.replications, 1);
    } else {
        assert_non_null(strstr(err, "s.json"));
    }
    summary_fini(&s);
}

/* ---- timeseries.csv
 * ------------------------------------------------------------ */

static void test_timeseries_contract(void **state)
{
    (void)state;
    assert_string_equal(results_ts_header(), want_header);
    struct rec *r = mk(false), *scratch = mk(false), *sh[1] = { r };
    feed(sh, 1, scratch);
    rec_gauge(r, REC_G_CREDIT_USD, 3500 * MS, 4.25);
    rec_finish(r, 12500 * MS, false);
    char *d = tmpdir();
    assert_int_equal(results_write_timeseries(d, r), ERR_OK);
    char p[512], err[256];
    snprintf(p, sizeof(p), "%s/%s", d, RESULTS_TIMESERIES);
    struct results_ts_row *rows = NULL;
    size_t n = 0;
    assert_int_equal(results_read_timeseries(p, &rows, &n, err, sizeof(err)),
                     ERR_OK);
    assert_int_equal(n, 13); /* 12.5 s covered: 13 intervals */
    struct hist h;
    hist_init(&h);
    for (size_t i = 0; i < n; i++) {
        struct rec_counts c;
        rec_interval_counts(r, i, &c);
        assert_true(rows[i].t_s == (double)i);
        assert_int_equal(rows[i].offered, c.offered);
        assert_int_equal(rows[i].ok, c.outcome[REASON_OK]);
        assert_int_equal(rows[i].attempts, rows[i].ok + rows[i].denied);
        int64_t sum = 0;
        for (int o = 1; o < REASON_COUNT; o++) {
            assert_int_equal(rows[i].reason[o], c.outcome[o]);
            sum += rows[i].reason[o];
        }
        assert_int_equal(sum, rows[i].denied);
        hist_reset(&h);
        rec_interval_lat_add(r, i, &h);
        assert_true(rows[i].p99_ms == (double)hist_percentile(&h, 99) / 1e6);
        assert_true(rows[i].max_ms == (double)hist_max(&h) / 1e6);
        /* the request level: finals where requests started, latency where
         * they completed */
        for (int o = 0; o < REASON_COUNT; o++)
            assert_int_equal(rows[i].final[o], c.final[o]);
        assert_int_equal(rows[i].final_lost,
                         c.lost[REC_NOT_SENT] +
                             c.lost[REC_ABANDONED_IN_FLIGHT]);
        hist_reset(&h);
        rec_interval_lvl_lat_add(r, REC_REQUEST, i, &h);
        assert_true(rows[i].req_p99_ms ==
                    (double)hist_percentile(&h, 99) / 1e6);
        assert_true(rows[i].req_max_ms == (double)hist_max(&h) / 1e6);
    }
    assert_true(rows[3].gauge[REC_G_CREDIT_USD] == 4.25);
    assert_true(rows[4].gauge[REC_G_CREDIT_USD] == 0); /* unset: 0 */
    hist_fini(&h);
    free(rows);
    /* malformed: wrong header, short row */
    put_file(d, RESULTS_TIMESERIES, "t_s,offered\n0,1\n");
    assert_int_equal(results_read_timeseries(p, &rows, &n, err, sizeof(err)),
                     ERR_PARSE);
    assert_non_null(strstr(err, ":1:"));
    char *bad = malloc(strlen(want_header) + 32);
    sprintf(bad, "%s\n1,2,3\n", want_header);
    put_file(d, RESULTS_TIMESERIES, bad);
    free(bad);
    assert_int_equal(results_read_timeseries(p, &rows, &n, err, sizeof(err)),
                     ERR_PARSE);
    assert_non_null(strstr(err, ":2:"));
    /* A float field that starts with white space (here a form feed before
     * p50_ms) is refused: strtod would skip it, and a line break too, and
     * read two rows as one (found by the results_timeseries fuzzer). */
    size_t cols = 1;
    for (const char *q = want_header; *q; q++)
        cols += *q == ',';
    size_t p50 = 5 + (REASON_COUNT - 1);
    char *ff = malloc(strlen(want_header) + 4 * cols + 8);
    char *w = ff + sprintf(ff, "%s\n", want_header);
    for (size_t k = 0; k < cols; k++)
        w += sprintf(w, "%s%s", k ? "," : "", k == p50 ? "\f0" : "0");
    sprintf(w, "\n");
    put_file(d, RESULTS_TIMESERIES, ff);
    free(ff);
    assert_int_equal(results_read_timeseries(p, &rows, &n, err, sizeof(err)),
                     ERR_PARSE);
    assert_non_null(strstr(err, ":2:"));
    rmtree(d);
    rec_free(r);
    rec_free(scratch);
}

/* ---- histograms.tgh
 * --------------------------------------------------------------- */

/* The data, and what a round trip keeps on top of it: names, the end
 * time, completeness and the gauges. */
static void assert_rec_equal(const struct rec *a, const struct rec *b)
{
    assert_rec_data_equal(a, b);
    for (size_t p = 0; p < rec_n_pops(a); p++)
        assert_string_equal(rec_pop_name(a, p), rec_pop_name(b, p));
    assert_int_equal(rec_end_ns(a), rec_end_ns(b));
    assert_true(rec_complete(a) == rec_complete(b));
    for (size_t i = 0; i < rec_n_intervals(a); i++) {
        double ga[REC_GAUGE_COUNT], gb[REC_GAUGE_COUNT];
        bool sa[REC_GAUGE_COUNT], sb[REC_GAUGE_COUNT];
        rec_interval_gauges(a, i, ga, sa);
        rec_interval_gauges(b, i, gb, sb);
        assert_memory_equal(ga, gb, sizeof(ga));
        assert_memory_equal(sa, sb, sizeof(sa));
    }
}

static void test_tgh_roundtrip(void **state)
{
    (void)state;
    struct rec *r = mk(true), *scratch = mk(true), *sh[1] = { r };
    feed(sh, 1, scratch);
    rec_gauge(r, REC_G_CREDIT_USD, 7 * S, 1.0 / 3.0); /* 17 digits needed */
    rec_finish(r, 28 * S, false);
    char *d = tmpdir();
    assert_int_equal(results_write_tgh(d, r), ERR_OK);
    char p[512], err[256];
    snprintf(p, sizeof(p), "%s/%s", d, RESULTS_TGH);
    struct rec *back = NULL;
    assert_int_equal(results_read_tgh(p, &back, err, sizeof(err)), ERR_OK);
    assert_rec_equal(r, back);
    rec_free(back);
    rmtree(d);
    rec_free(r);
    rec_free(scratch);
}

/* A small valid file, mutated row by row below. */
static const char *tgh_ok =
    "tollgate-histograms 2\n"
    "outcomes ok rate_limit\n"
    "gauges in_flight\n"
    "lost not_sent abandoned_in_flight\n"
    "duration_ns 10000000000\ninterval_ns 1000000000\nwarmup_ns 0\n"
    "live 0\nend_ns 10000000000\ncomplete 1\ndropped 0\n"
    "transport_errors 0\nlate 0\npops 1\npop 0 all users\n"
    "popcounts 0 3 2 1 2 1\n"
    "hist all 2 5000:2 7:1\n"
    "hist outcome ok 1 5000:2\n"
    "hist outcome rate_limit 1 5007:1\n"
    "hist pop_all 0 2 5000:2 7:1\n"
    "hist pop_ok 0 1 5000:2\n"
    "hist req_all 2 6000:2 7:1\n"
    "hist req_outcome ok 1 6000:2\n"
    "hist req_pop_ok 0 1 6000:2\n"
    "hist tries 2 1:2 2:1\n"
    "iv 2 3 0 1 4 2 1 | 2 5000:2 7:1\n"
    "ivreq 2 2 1 0 0 | 2 6000:2 7:1\n"
    "end\n";

struct tgh_case {
    const char *name;
    const char *from, *to; /* replace first occurrence of from by to */
    int want;
};

static const struct tgh_case tgh_cases[] = {
    { "valid file", "", "", ERR_OK },
    { "wrong magic", "tollgate-histograms", "tollgate-histogram", ERR_PARSE },
    { "future version", "histograms 2", "histograms 3", ERR_PARSE },
    { "format 1 (no requests)", "histograms 2", "histograms 1", ERR_PARSE },
    { "unknown lost column", "lost not_sent", "lost not_send", ERR_PARSE },
    { "missing lost line", "lost not_sent abandoned_in_flight\n", "",
      ERR_PARSE },
    { "unknown request histogram", "hist req_all", "hist req_service",
      ERR_PARSE },
    { "request pop out of range", "req_pop_ok 0", "req_pop_ok 1", ERR_PARSE },
    { "ivreq short", "ivreq 2 2 1 0 0 |", "ivreq 2 2 1 0 |", ERR_PARSE },
    { "ivreq negative", "ivreq 2 2 1 0 0", "ivreq 2 2 -1 0 0", ERR_PARSE },
    { "ivreq beyond duration", "ivreq 2 ", "ivreq 10 ", ERR_PARSE },
    { "unknown outcome id", "ok rate_limit", "ok rate_limited", ERR_PARSE },
    { "unknown gauge", "gauges in_flight", "gauges in_flite", ERR_PARSE },
    { "missing key", "warmup_ns 0\n", "", ERR_PARSE },
    { "zero populations", "pops 1\npop 0 all users\n", "pops 0\n", ERR_PARSE },
    { "bad interval width", "interval_ns 1000000000", "interval_ns 0",
      ERR_PARSE },
    { "pop out of order", "pop 0 all", "pop 1 all", ERR_PARSE },
    /* a NUL in a name cut it short and it did not write back (the fuzzer's
     * regress/results_tgh/pop-name-with-nul); any control byte is refused */
    { "control byte in a pop name", "pop 0 all users", "pop 0 all\tusers",
      ERR_PARSE },
    { "popcounts short", "popcounts 0 3 2 1 2 1", "popcounts 0 3 2 1",
      ERR_PARSE },
    { "negative count", "popcounts 0 3 2 1", "popcounts 0 3 -2 1", ERR_PARSE },
    { "unknown histogram", "hist all", "hist everything", ERR_PARSE },
    { "histogram given twice", "hist outcome ok 1 5000:2",
      "hist outcome ok 1 5000:2\nhist outcome ok 1 5000:2", ERR_PARSE },
    { "bad buckets", "hist all 2 5000:2 7:1", "hist all 2 5000:2", ERR_PARSE },
    { "interval beyond duration", "iv 2 ", "iv 10 ", ERR_PARSE },
    { "interval missing bar", "2 1 | 2", "2 1 2", ERR_PARSE },
    { "unknown line", "end\n", "bogus\nend\n", ERR_PARSE },
    { "truncated (no end)", "end\n", "", ERR_PARSE },
    { "data after end", "end\n", "end\nhist all 0\n", ERR_PARSE },
    { "huge number", "dropped 0", "dropped 99999999999999999999", ERR_PARSE },
    { "end beyond duration", "end_ns 10000000000", "end_ns 10000000001",
      ERR_PARSE },
    { "negative offered", "iv 2 3 ", "iv 2 -3 ", ERR_PARSE },
    { "gauge mask beyond gauges", "iv 2 3 0 1 ", "iv 2 3 0 2 ", ERR_PARSE },
    { "lost requests", "end\n",
      "poplost 0 not_sent 4 abandoned_in_flight 1\nend\n", ERR_OK },
    { "lost before counts", "popcounts", "poplost 0 not_sent 4\npopcounts",
      ERR_OK },
    { "unknown lost name", "end\n", "poplost 0 dropped 4\nend\n", ERR_PARSE },
    { "negative lost", "end\n", "poplost 0 not_sent -4\nend\n", ERR_PARSE },
    { "lost pop out of range", "end\n", "poplost 1 not_sent 4\nend\n",
      ERR_PARSE },
};

static void test_tgh_case(void **state)
{
    const struct tgh_case *c = *state;
    char text[2048];
    const char *at = c->from[0] ? strstr(tgh_ok, c->from) : NULL;
    if (c->from[0])
        assert_non_null(at);
    if (at == NULL) {
        snprintf(text, sizeof(text), "%s", tgh_ok);
    } else {
        snprintf(text, sizeof(text), "%.*s%s%s", (int)(at - tgh_ok), tgh_ok,
                 c->to, at + strlen(c->from));
    }
    char *d = tmpdir();
    put_file(d, RESULTS_TGH, text);
    char p[512], err[256] = "";
    snprintf(p, sizeof(p), "%s/%s", d, RESULTS_TGH);
    struct rec *r = NULL;
    assert_int_equal(results_read_tgh(p, &r, err, sizeof(err)), c->want);
    if (c->want == ERR_OK) {
        struct rec_counts cnt;
        rec_counts_get(r, -1, &cnt);
        assert_int_equal(cnt.outcome[REASON_RATE_LIMIT], 1);
        assert_int_equal(cnt.final[REASON_RATE_LIMIT], 1);
        assert_string_equal(rec_pop_name(r, 0), "all users");
        rec_interval_counts(r, 2, &cnt);
        assert_int_equal(cnt.outcome[REASON_OK], 2);
        double g[REC_GAUGE_COUNT];
        rec_interval_gauges(r, 2, g, NULL);
        assert_true(g[REC_G_IN_FLIGHT] == 4);
        assert_int_equal(hist_count(rec_lat(r, REASON_OK)), 2);
        assert_int_equal(cnt.final[REASON_OK], 2);
        assert_int_equal(cnt.final[REASON_RATE_LIMIT], 1);
        assert_int_equal(hist_count(rec_lvl_lat(r, REC_REQUEST, REASON_OK)), 2);
        assert_int_equal(hist_count(rec_tries(r)), 3);
        struct hist h;
        hist_init(&h);
        rec_interval_lvl_lat_add(r, REC_REQUEST, 2, &h);
        assert_int_equal(hist_count(&h), 3);
        hist_fini(&h);
        rec_counts_get(r, 0, &cnt);
        bool lost = strstr(c->to, "poplost") != NULL;
        assert_int_equal(cnt.lost[REC_NOT_SENT], lost ? 4 : 0);
        assert_int_equal(cnt.lost[REC_ABANDONED_IN_FLIGHT],
                         strstr(c->to, "abandoned") ? 1 : 0);
        assert_int_equal(cnt.offered, 3);
    } else {
        assert_null(r);
        assert_non_null(strstr(err, RESULTS_TGH ":"));
    }
    rec_free(r);
    rmtree(d);
}

/* ---- merge: shards == one recorder
 * ----------------------------------------------- */

static void test_merge_dirs_exact(void **state)
{
    (void)state;
    struct rec *sh[3], *all = mk(true);
    for (int i = 0; i < 3; i++)
        sh[i] = mk(true);
    feed(sh, 3, all);
    char *dirs[3], *single = tmpdir(), *out = tmpdir();
    for (int i = 0; i < 3; i++) {
        rec_finish(sh[i], 30 * S, true);
        dirs[i] = tmpdir();
        write_shard(dirs[i], sh[i], "run", i, 3);
    }
    put_file(dirs[0], RESULTS_SCENARIO, "name: unit-scenario\n");
    put_file(dirs[0], RESULTS_EVENTS, "start_s,end_s,kind,label\n");
    rec_finish(all, 30 * S, true);
    write_dir(single, all, "run");
    char err[256] = "";
    const char *in[3] = { dirs[0], dirs[1], dirs[2] };
    assert_int_equal(results_merge(out, in, 3, false, err, sizeof(err)),
                     ERR_OK);
    const char *same[] = { RESULTS_SUMMARY, RESULTS_TIMESERIES, RESULTS_HGRM,
                           RESULTS_TGH };
    for (size_t k = 0; k < 4; k++) {
        char *a = slurp(single, same[k]), *b = slurp(out, same[k]);
        assert_string_equal(a, b); /* byte-identical */
        free(a);
        free(b);
    }
    char *sc = slurp(out, RESULTS_SCENARIO);
    assert_string_equal(sc, "name: unit-scenario\n");
    free(sc);
    /* errors: no inputs, output is an input, missing input, not shards */
    assert_int_equal(results_merge(out, in, 0, false, err, sizeof(err)),
                     ERR_INVAL);
    assert_int_equal(results_merge(dirs[1], in, 3, false, err, sizeof(err)),
                     ERR_INVAL);
    const char *missing[] = { "/nonexistent/tollgate" };
    errno = 0;
    assert_int_equal(results_merge(out, missing, 1, false, err, sizeof(err)),
                     ERR_IO);
    assert_int_equal(errno, ENOENT);
    assert_non_null(strstr(err, "/nonexistent/tollgate/summary.json"));
    struct rec_config other = { 60 * S, S, 2 * S, 2, pop_names, true };
    struct rec *o = NULL;
    assert_int_equal(rec_new(&other, &o), ERR_OK);
    write_dir(dirs[2], o, "run");
    assert_int_equal(results_merge(out, in, 3, false, err, sizeof(err)),
                     ERR_INVAL);
    assert_non_null(strstr(err, "not a shard"));
    rec_free(o);
    for (int i = 0; i < 3; i++) {
        rmtree(dirs[i]);
        rec_free(sh[i]);
    }
    rmtree(single);
    rmtree(out);
    rec_free(all);
}

/* ---- merge guards: each shard once, all of them, one run ---------------- */

/* One input of a merge: shard i of n, with these run fields. */
struct shard_spec {
    int i, n;
    const char *mode;
    uint64_t seed;
    int64_t duration_s, interval_s;
    const char *warning; /* NULL: none */
};

struct guard_case {
    const char *name;
    struct shard_spec in[2];
    size_t n_in;
    bool twice;   /* the first directory again as the second input */
    bool partial; /* --partial */
    int want;
    const char *want_msg;   /* substring of err (ERR_OK: of a warning) */
    int64_t want_shards_of; /* ERR_OK: merged "shards"."of" (0: whole) */
};

#define SH(i, n)                                                               \
    {                                                                          \
        i, n, "run", 42, 30, 1, NULL                                           \
    }
static const struct guard_case guard_cases[] = {
    { "two shards of two merge whole",
      { SH(0, 2), SH(1, 2) },
      2,
      false,
      false,
      ERR_OK,
      NULL,
      0 },
    { "a directory twice is refused",
      { SH(0, 2), SH(1, 2) },
      2,
      true,
      false,
      ERR_INVAL,
      "is given twice",
      0 },
    { "two copies of a shard are refused",
      { SH(0, 2), SH(0, 2) },
      2,
      false,
      false,
      ERR_INVAL,
      "shard 0 is already in the merge",
      0 },
    { "two whole runs are refused",
      { SH(0, 1), SH(0, 1) },
      2,
      false,
      false,
      ERR_INVAL,
      "shard 0 is already in the merge",
      0 },
    { "a whole run and a shard are refused",
      { SH(0, 1), SH(1, 2) },
      2,
      false,
      false,
      ERR_INVAL,
      "shard 1 is already in the merge",
      0 },
    { "one shard of two is incomplete",
      { SH(0, 2) },
      1,
      false,
      false,
      ERR_INVAL,
      "shard 1 is missing",
      0 },
    { "--partial marks a missing shard",
      { SH(1, 3), SH(0, 3) },
      2,
      false,
      true,
      ERR_OK,
      "partial result: holds shards 0-1 of 3",
      3 },
    { "shard counts differ",
      { SH(0, 2), SH(1, 3) },
      2,
      false,
      false,
      ERR_INVAL,
      "shard count (1 of 3 here, 0 of 2 so far)",
      0 },
    { "mode differs",
      { SH(0, 2), { 1, 2, "sim", 42, 30, 1, NULL } },
      2,
      false,
      false,
      ERR_INVAL,
      "mode (sim here, run in",
      0 },
    { "seed differs",
      { SH(0, 2), { 1, 2, "run", 7, 30, 1, NULL } },
      2,
      false,
      false,
      ERR_INVAL,
      "seed (7 here, 42 in",
      0 },
    { "duration differs",
      { SH(0, 2), { 1, 2, "run", 42, 60, 1, NULL } },
      2,
      false,
      false,
      ERR_INVAL,
      "duration (1m here, 30s in",
      0 },
    { "interval differs",
      { SH(0, 2), { 1, 2, "run", 42, 30, 2, NULL } },
      2,
      false,
      false,
      ERR_INVAL,
      "interval (2s here, 1s in",
      0 },
    { "warnings are kept, once each",
      { { 0, 2, "run", 42, 30, 1, "w: a" },
        { 1, 2, "run", 42, 30, 1, "w: a" } },
      2,
      false,
      false,
      ERR_OK,
      "w: a",
      0 },
};
#undef SH

static char *write_spec(const struct shard_spec *sp)
{
    struct rec_config cfg = {
        sp->duration_s * S, sp->interval_s * S, 0, 2, pop_names, true
    };
    struct rec *r = NULL;
    assert_int_equal(rec_new(&cfg, &r), ERR_OK);
    rec_finish(r, sp->duration_s * S, true);
    struct summary s;
    summary_init(&s);
    struct summary_meta m = { "unit-scenario", sp->mode, sp->seed };
    summary_from_record(&s, r, &m);
    summary_shards_set(&s.shards, sp->i, sp->n);
    if (sp->warning != NULL)
        warn_add_text(&s.warnings, sp->warning);
    char *dir = tmpdir();
    assert_int_equal(results_write_all(dir, r, &s), ERR_OK);
    summary_fini(&s);
    rec_free(r);
    return dir;
}

static void test_guard_case(void **state)
{
    const struct guard_case *c = *state;
    char *dirs[2] = { NULL, NULL }, *out = tmpdir();
    const char *in[2];
    for (size_t k = 0; k < c->n_in; k++)
        in[k] = dirs[k] = write_spec(&c->in[k]);
    if (c->twice)
        in[1] = dirs[0];
    char err[512] = "";
    int rc = results_merge(out, in, c->n_in, c->partial, err, sizeof(err));
    assert_int_equal(rc, c->want);
    if (rc != ERR_OK) {
        if (strstr(err, c->want_msg) == NULL)
            fail_msg("message '%s' lacks '%s'", err, c->want_msg);
    } else {
        char path[512];
        snprintf(path, sizeof(path), "%s/%s", out, RESULTS_SUMMARY);
        struct summary m;
        summary_init(&m);
        assert_int_equal(results_read_summary(path, &m, err, sizeof(err)),
                         ERR_OK);
        assert_int_equal(m.shards.count, c->want_shards_of);
        assert_true(m.shards.partial == (c->want_shards_of > 0));
        assert_true(m.complete == (c->want_shards_of == 0));
        if (c->want_msg != NULL) {
            assert_int_equal(m.warnings.n, 1);
            assert_non_null(strstr(m.warnings.items[0], c->want_msg));
        } else {
            assert_int_equal(m.warnings.n, 0);
        }
        summary_fini(&m);
    }
    for (size_t k = 0; k < 2; k++)
        if (dirs[k] != NULL)
            rmtree(dirs[k]);
    rmtree(out);
}

/* A results directory is replaced as a whole: a stale file does not
 * survive a commit, an aborted stage leaves the old result, a foreign
 * non-empty directory is refused (EEXIST) and untouched. */
static void test_stage_replaces_whole(void **state)
{
    (void)state;
    struct rec *r = mk(false);
    rec_finish(r, 30 * S, true);
    char *d = tmpdir(), err[512] = "", path[600];
    write_dir(d, r, "sim");
    put_file(d, "bad", "stale\n"); /* an earlier run's extra file */
    struct results_stage st;
    assert_int_equal(results_stage_begin(&st, d, err, sizeof(err)), ERR_OK);
    write_dir(st.tmp, r, "sim");
    snprintf(path, sizeof(path), "%s", st.tmp);
    results_stage_fini(&st); /* aborted: old result kept, temp gone */
    assert_int_equal(access(path, F_OK), -1);
    snprintf(path, sizeof(path), "%s/bad", d);
    assert_int_equal(access(path, F_OK), 0);
    assert_int_equal(results_stage_begin(&st, d, err, sizeof(err)), ERR_OK);
    write_dir(st.tmp, r, "sim");
    assert_int_equal(results_stage_commit(&st, err, sizeof(err)), ERR_OK);
    results_stage_fini(&st);
    assert_int_equal(access(path, F_OK), -1); /* stale file gone */
    snprintf(path, sizeof(path), "%s/%s", d, RESULTS_SUMMARY);
    assert_int_equal(access(path, F_OK), 0);
    /* foreign: a file that is not ours */
    remove(path);
    put_file(d, "bad", "mine\n");
    errno = 0;
    assert_int_equal(results_stage_begin(&st, d, err, sizeof(err)), ERR_IO);
    assert_int_equal(errno, EEXIST);
    assert_non_null(strstr(err, "not a tollgate results directory"));
    results_stage_fini(&st);
    char *text = slurp(d, "bad");
    assert_string_equal(text, "mine\n");
    free(text);
    assert_int_equal(results_dir_replaceable(".", err, sizeof(err)), ERR_IO);
    rmtree(d);
    rec_free(r);
}

/* Merged live shards add their generator blocks; one late shard makes
 * the merged run late.  Without the block (sim) the merge has none. */
static void test_merge_generator(void **state)
{
    (void)state;
    struct rec *sh[2], *all = mk(true);
    const struct summary_gen gen[2] = { { true, 0, 10, 16, 2, 500, 0, 1, 0 },
                                        { false, 3, 16, 16, 2, 480, 40, 1,
                                          5 } };
    char *dirs[2], *out = tmpdir();
    sh[0] = mk(true);
    sh[1] = mk(true);
    feed(sh, 2, all);
    for (int with = 0; with < 2; with++) {
        for (int i = 0; i < 2; i++) {
            struct summary s;
            summary_init(&s);
            struct summary_meta m = { "unit-scenario", "run", 42 };
            rec_finish(sh[i], 30 * S, true);
            summary_from_record(&s, sh[i], &m);
            s.has_generator = with;
            s.generator = gen[i];
            summary_shards_set(&s.shards, i, 2);
            dirs[i] = tmpdir();
            assert_int_equal(results_write_all(dirs[i], sh[i], &s), ERR_OK);
            summary_fini(&s);
        }
        char err[256] = "", path[512];
        const char *in[2] = { dirs[0], dirs[1] };
        assert_int_equal(results_merge(out, in, 2, false, err, sizeof(err)),
                         ERR_OK);
        snprintf(path, sizeof(path), "%s/%s", out, RESULTS_SUMMARY);
        struct summary m;
        summary_init(&m);
        assert_int_equal(results_read_summary(path, &m, err, sizeof(err)),
                         ERR_OK);
        assert_true(m.has_generator == with);
        if (with) {
            const struct summary_gen want = {
                false, 3, 26, 32, 4, 980, 40, 2, 5
            };
            assert_gen_equal(&m.generator, &want);
        }
        summary_fini(&m);
        for (int i = 0; i < 2; i++)
            rmtree(dirs[i]);
    }
    rmtree(out);
    rec_free(sh[0]);
    rec_free(sh[1]);
    rec_free(all);
}

/* ---- atomic writes and I/O errors
 * ------------------------------------------------- */

static int write_then_fail(void *ctx, FILE *out)
{
    (void)ctx;
    fputs("partial", out);
    return ERR_INVAL;
}

static int write_hello(void *ctx, FILE *out)
{
    return fputs(ctx, out) < 0 ? ERR_IO : ERR_OK;
}

static void test_atomic_and_errors(void **state)
{
    (void)state;
    char *d = tmpdir();
    assert_int_equal(results_write_atomic(d, "bad", write_hello, "old\n"),
                     ERR_OK);
    /* a failing writer leaves the old file and no temporary file */
    assert_int_equal(results_write_atomic(d, "bad", write_then_fail, NULL),
                     ERR_INVAL);
    char *t = slurp(d, "bad");
    assert_string_equal(t, "old\n");
    free(t);
    struct stat st;
    char p[512];
    snprintf(p, sizeof(p), "%s/bad", d);
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0644);
    /* missing directory: ERR_IO with errno */
    struct rec *r = mk(false);
    errno = 0;
    assert_int_equal(results_write_tgh("/nonexistent/dir", r), ERR_IO);
    assert_int_equal(errno, ENOENT);
    /* mkdir below a regular file */
    snprintf(p, sizeof(p), "%s/bad/sub", d);
    errno = 0;
    assert_int_equal(results_mkdir(p), ERR_IO);
    assert_int_equal(errno, ENOTDIR);
    snprintf(p, sizeof(p), "%s/a/b/c", d);
    assert_int_equal(results_mkdir(p), ERR_OK);
    assert_int_equal(results_mkdir(p), ERR_OK); /* exists: fine */
    rmdir(p);
    snprintf(p, sizeof(p), "%s/a/b", d);
    rmdir(p);
    snprintf(p, sizeof(p), "%s/a", d);
    rmdir(p);
    /* readers: missing file, too big */
    struct rec *back = NULL;
    char err[256];
    errno = 0;
    assert_int_equal(
        results_read_tgh("/nonexistent/x.tgh", &back, err, sizeof(err)),
        ERR_IO);
    assert_int_equal(errno, ENOENT);
    char *text;
    size_t len;
    snprintf(p, sizeof(p), "%s/bad", d);
    assert_int_equal(results_slurp(p, 2, &text, &len), ERR_TOOBIG);
    assert_int_equal(results_slurp(p, 4, &text, &len), ERR_OK);
    free(text);
    /* a full device: ERR_IO (ENOSPC) from the content writers */
    FILE *full = fopen("/dev/full", "w");
    if (full != NULL) {
        setvbuf(full, NULL, _IONBF, 0);
        assert_int_equal(results_fwrite_tgh(full, r), ERR_IO);
        assert_int_equal(results_fwrite_timeseries(full, r), ERR_IO);
        fclose(full);
    }
    rec_free(r);
    rmtree(d);
}

static void test_events(void **state)
{
    (void)state;
    char *d = tmpdir();
    struct results_event ev[] = {
        { 600, 1800, "outage", "us-east, \"partial\"" },
        { 3600, 3600, "ban", NULL },
    };
    assert_int_equal(results_write_events(d, ev, 2), ERR_OK);
    char *t = slurp(d, RESULTS_EVENTS);
    assert_string_equal(t, "start_s,end_s,kind,label\n"
                           "600,1800,outage,\"us-east, \"\"partial\"\"\"\n"
                           "3600,3600,ban,\n");
    free(t);
    rmtree(d);
}

static void test_hgrm_file(void **state)
{
    (void)state;
    struct rec *r = mk(false), *scratch = mk(false), *sh[1] = { r };
    feed(sh, 1, scratch);
    char *d = tmpdir();
    assert_int_equal(results_write_hgrm(d, r), ERR_OK);
    char *t = slurp(d, RESULTS_HGRM);
    assert_true(strncmp(t, "       Value     Percentile TotalCount", 38) == 0);
    char want[128];
    snprintf(want, sizeof(want), "Total count    = %12lld]",
             (long long)hist_count(rec_lat_all(r)));
    assert_non_null(strstr(t, want));
    free(t);
    rmtree(d);
    rec_free(r);
    rec_free(scratch);
}

#define N_SJ  (sizeof(sj_cases) / sizeof(sj_cases[0]))
#define N_TGH (sizeof(tgh_cases) / sizeof(tgh_cases[0]))

int main(void)
{
    enum { N_GUARD = sizeof(guard_cases) / sizeof(guard_cases[0]) };
    struct CMUnitTest tests[N_SJ + N_TGH + N_GUARD + 16];
    size_t n = 0;
    for (size_t i = 0; i < N_GUARD; i++)
        tests[n++] = (struct CMUnitTest){ guard_cases[i].name, test_guard_case,
                                          NULL, NULL, (void *)&guard_cases[i] };
    for (size_t i = 0; i < N_SJ; i++)
        tests[n++] = (struct CMUnitTest){ sj_cases[i].name, test_sj_case, NULL,
                                          NULL, (void *)&sj_cases[i] };
    for (size_t i = 0; i < N_TGH; i++)
        tests[n++] = (struct CMUnitTest){ tgh_cases[i].name, test_tgh_case,
                                          NULL, NULL, (void *)&tgh_cases[i] };
    const struct CMUnitTest fixed[] = {
        cmocka_unit_test(test_summary_names),
        cmocka_unit_test(test_final_adds_up),
        cmocka_unit_test(test_summary_roundtrip),
        cmocka_unit_test(test_replications),
        cmocka_unit_test(test_timeseries_contract),
        cmocka_unit_test(test_tgh_roundtrip),
        cmocka_unit_test(test_merge_dirs_exact),
        cmocka_unit_test(test_merge_generator),
        cmocka_unit_test(test_stage_replaces_whole),
        cmocka_unit_test(test_atomic_and_errors),
        cmocka_unit_test(test_events),
        cmocka_unit_test(test_hgrm_file),
    };
    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
        tests[n++] = fixed[i];
    return _cmocka_run_group_tests("results", tests, n, NULL, NULL);
}

/*
 * sweep_find.c - `tollgate sweep --find KEY=LO..HI --until RULE`: the
 * smallest (or, with --largest, the largest) value of one parameter at
 * which an expect: rule holds, told apart from the noise.
 *
 * Each probed value is simulated with the sweep's replications (in
 * parallel, cli/reps) and the rule's metric is measured on every
 * replication (expect_measure, so the rule means what it means in
 * `check`).  The probe's verdict uses the 95% confidence interval of the
 * mean, never the mean alone:
 *   pass    the whole interval satisfies the rule,
 *   fail    the whole interval violates it,
 *   unsure  the interval straddles the threshold (or fewer than two
 *           replications measured it: no interval at all).
 * The search assumes the rule's truth is monotone in the value (more
 * servers, fewer overload denials): for the smallest value, fails lie
 * below passes.  Two bisections over the value grid LO, LO+STEP, ..., HI
 * find
 *   b = the smallest value whose probe is a confident pass, and
 *   a = the largest value below b whose probe is a confident fail;
 * every probe in between was unsure.  The answer is b, and the true
 * threshold lies in (a, b]: the interval is the answer's uncertainty at
 * this replication count and duration.  A value whose interval straddles
 * the target is never claimed.  Points already probed are reused.
 *
 * Exit status: 0 an answer was found; 1 no value in [LO, HI] passes
 * with confidence (the report says whether HI fails or is unsure).
 */
#include "cli/cli.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/signals.h"
#include "cli/sweep.h"
#include "core/base/json.h"
#include "core/results/results.h"
#include "core/scenario/vary.h"

#define MAX_PROBES 64 /* bisections of a 1000-value grid need ~22 */

enum verdict { V_UNKNOWN = 0, V_PASS, V_FAIL, V_UNSURE };

static const char *verdict_name(enum verdict v)
{
    static const char *const names[] = { "unknown", "pass", "fail", "unsure" };
    return names[v];
}

struct probe {
    size_t idx; /* into the value grid */
    struct sweep_cell cell;
    enum verdict v;
};

struct finder {
    struct sweep_opts *o;
    struct vary_axis grid; /* the candidate values */
    struct sweep_metric metric;
    struct expect_rule rule; /* --until */
    enum verdict *verdicts;  /* per grid value; V_UNKNOWN until probed */
    struct probe probes[MAX_PROBES];
    size_t n_probes;
    const char *dir;
    char key[VARY_KEY_LEN];
};

/* ---- setting up -------------------------------------------------------- */

/* --find KEY=LO..HI[:STEP]: a range (STEP 1 by default). */
static int parse_find(struct finder *f, const char *spec)
{
    char buf[512], err[256];
    const char *eq = strchr(spec, '=');
    if (eq == NULL || strstr(eq, "..") == NULL || strchr(eq, ',') != NULL) {
        fprintf(stderr,
                "tollgate sweep: --find wants KEY=LO..HI or KEY=LO..HI:STEP, "
                "e.g. policy.capacity.servers=8..128; got '%s'\n",
                spec);
        return EXIT_USAGE;
    }
    snprintf(buf, sizeof(buf), "%s%s", spec, strchr(eq, ':') ? "" : ":1");
    if (vary_parse(buf, &f->grid, err, sizeof(err)) != ERR_OK) {
        fprintf(stderr, "tollgate sweep: --find %s: %s\n", spec, err);
        return EXIT_USAGE;
    }
    snprintf(f->key, sizeof(f->key), "%s", f->grid.key);
    return CLI_CONTINUE;
}

/* --until RULE, and its left side as the measured metric. */
static int parse_until(struct finder *f, const char *text)
{
    char err[256];
    if (expect_parse(text, &f->rule, err, sizeof(err)) != ERR_OK) {
        fprintf(stderr, "tollgate sweep: --until '%s': %s\n", text, err);
        return EXIT_USAGE;
    }
    char lhs[sizeof(f->metric.name)];
    snprintf(lhs, sizeof(lhs), "%s", text);
    lhs[strcspn(lhs, "<>")] = '\0';
    if (sweep_metric_parse(lhs, &f->metric, err, sizeof(err)) != ERR_OK) {
        fprintf(stderr, "tollgate sweep: --until '%s': %s\n", text, err);
        return EXIT_USAGE;
    }
    return CLI_CONTINUE;
}

/* ---- probing ------------------------------------------------------------- */

/* The verdict of a cell (in table units; the threshold is in the rule's
 * base unit, so latency is compared in ns). */
static enum verdict judge(const struct finder *f, const struct sweep_cell *c)
{
    if (c->n < 2 || isnan(c->ci95))
        return V_UNSURE;
    double k = f->rule.metric == EXP_LATENCY ? 1e6 : 1;
    bool lo_ok = expect_holds(&f->rule, (c->mean - c->ci95) * k);
    bool hi_ok = expect_holds(&f->rule, (c->mean + c->ci95) * k);
    if (lo_ok && hi_ok)
        return V_PASS;
    if (!lo_ok && !hi_ok)
        return V_FAIL;
    return V_UNSURE;
}

/* probes/<value> with '/' (rates) made '_'. */
static void probe_dir(const struct finder *f, size_t idx, char *buf, size_t len)
{
    snprintf(buf, len, "%.4000s/probes/%s", f->dir, f->grid.values[idx]);
    for (char *p = buf + strlen(f->dir) + 8; *p; p++)
        if (*p == '/')
            *p = '_';
}

/* Simulates grid value idx; CLI_CONTINUE or an exit status. */
static int probe(struct finder *f, size_t idx)
{
    if (f->verdicts[idx] != V_UNKNOWN)
        return CLI_CONTINUE;
    if (f->n_probes == MAX_PROBES)
        return EXIT_RUNTIME; /* bisection cannot get here */
    const char *key = f->key, *value = f->grid.values[idx];
    struct scenario *sc = NULL;
    int st = sweep_load(f->o, &key, &value, 1, &sc);
    if (st != CLI_CONTINUE)
        return st;
    struct reps_point pt;
    reps_point_init(&pt, sc, (size_t)f->o->replications);
    if (sweep_run_points(&pt, 1, f->o, NULL, NULL) != ERR_OK)
        st = EXIT_RUNTIME;
    size_t ran = reps_ran(&pt);
    struct probe *pr = &f->probes[f->n_probes++];
    pr->idx = idx;
    sweep_measure(&f->metric, &pt, ran, &pr->cell);
    pr->v = ran == pt.n && pt.reps[ran - 1].stats.complete ? judge(f, &pr->cell)
                                                           : V_UNSURE;
    f->verdicts[idx] = pr->v;
    if (st == CLI_CONTINUE && ran > 0) {
        char sub[4200];
        probe_dir(f, idx, sub, sizeof(sub));
        struct summary sum;
        summary_init(&sum);
        int rc = reps_summary(&pt, ran, &sum);
        if (rc == ERR_OK)
            rc = reps_write(sub, sc, pt.reps, ran, &sum);
        summary_fini(&sum);
        if (rc != ERR_OK) {
            fprintf(stderr, "tollgate sweep: writing %s: %s\n", sub,
                    err_str(rc));
            st = EXIT_RUNTIME;
        }
    }
    if (st == CLI_CONTINUE && !f->o->quiet) {
        char buf[96];
        sweep_fmt_cell(&f->metric, &pr->cell, buf, sizeof(buf));
        printf("  %s=%-10s %s = %s  -> %s\n", key, value, f->metric.name, buf,
               verdict_name(pr->v));
        fflush(stdout);
    }
    if (st == CLI_CONTINUE && signals_caught() > 0) /* as sim */
        st = EXIT_SIGNAL_BASE + signals_caught();
    reps_point_fini(&pt);
    scn_free(sc);
    return st;
}

/* ---- the search -----------------------------------------------------------
 * Indices run over the grid in the direction of "more likely to pass":
 * upwards for the smallest value, downwards for --largest.  pos(i) maps
 * such a rank to a grid index.
 */

static size_t pos(const struct finder *f, size_t rank)
{
    return f->o->largest ? f->grid.n - 1 - rank : rank;
}

static enum verdict at(struct finder *f, size_t rank, int *st)
{
    *st = probe(f, pos(f, rank));
    return f->verdicts[pos(f, rank)];
}

/* Smallest rank in [lo, hi] with verdict want, given that rank hi has it
 * (monotone).  Leaves *st an exit status on failure. */
static size_t first_with(struct finder *f, size_t lo, size_t hi,
                         enum verdict want, bool last, int *st)
{
    /* last: the largest rank in [lo, hi] with want, given lo has it */
    while (lo < hi && *st == CLI_CONTINUE) {
        size_t mid = last ? lo + (hi - lo + 1) / 2 : lo + (hi - lo) / 2;
        bool has = at(f, mid, st) == want;
        if (last)
            has ? (lo = mid) : (hi = mid - 1);
        else
            has ? (hi = mid) : (lo = mid + 1);
    }
    return last ? lo : hi;
}

struct answer {
    bool found;
    size_t b;                 /* rank of the answer */
    bool has_a;               /* a confident fail exists before b */
    size_t a;                 /* its rank */
    enum verdict end_verdict; /* of the far end, when nothing passes */
};

static int search(struct finder *f, struct answer *ans)
{
    int st = CLI_CONTINUE;
    size_t last = f->grid.n - 1;
    memset(ans, 0, sizeof(*ans));
    ans->end_verdict = at(f, last, &st);
    if (st != CLI_CONTINUE || ans->end_verdict != V_PASS)
        return st;
    ans->found = true;
    ans->b = first_with(f, 0, last, V_PASS, false, &st);
    if (st != CLI_CONTINUE || ans->b == 0)
        return st;
    if (at(f, 0, &st) != V_FAIL || st != CLI_CONTINUE)
        return st; /* the lower end itself is unsure: no fail below */
    ans->has_a = true;
    ans->a = first_with(f, 0, ans->b - 1, V_FAIL, true, &st);
    return st;
}

/* ---- reporting ------------------------------------------------------------
 */

static int cmp_probe(const void *pa, const void *pb)
{
    const struct probe *a = pa, *b = pb;
    return (a->idx > b->idx) - (a->idx < b->idx);
}

static void json_cell(struct json_w *w, double v)
{
    if (isnan(v))
        json_w_null(w);
    else
        json_w_num(w, v);
}

struct find_doc {
    const struct finder *f;
    const struct answer *ans;
};

static void json_answer(struct json_w *w, const struct finder *f,
                        const struct answer *ans)
{
    json_w_key(w, "found");
    json_w_bool(w, ans->found);
    json_w_key(w, "answer");
    if (ans->found)
        json_w_str(w, f->grid.values[pos(f, ans->b)]);
    else
        json_w_null(w);
    /* (bound, answer]: where the threshold lies at this precision */
    json_w_key(w, "confident_fail");
    if (ans->found && ans->has_a)
        json_w_str(w, f->grid.values[pos(f, ans->a)]);
    else
        json_w_null(w);
}

static int write_find(void *ctx, FILE *out)
{
    const struct find_doc *d = ctx;
    const struct finder *f = d->f;
    struct json_w w;
    json_w_init(&w, out, true);
    json_w_obj_begin(&w);
    json_w_key(&w, "key");
    json_w_str(&w, f->key);
    json_w_key(&w, "until");
    json_w_str(&w, f->rule.text);
    json_w_key(&w, "direction");
    json_w_str(&w, f->o->largest ? "largest" : "smallest");
    json_w_key(&w, "replications");
    json_w_int(&w, f->o->replications);
    json_answer(&w, f, d->ans);
    json_w_key(&w, "probes");
    json_w_arr_begin(&w);
    for (size_t i = 0; i < f->n_probes; i++) {
        const struct probe *p = &f->probes[i];
        json_w_obj_begin(&w);
        json_w_key(&w, "value");
        json_w_str(&w, f->grid.values[p->idx]);
        json_w_key(&w, "mean");
        json_cell(&w, p->cell.mean);
        json_w_key(&w, "ci95");
        json_cell(&w, p->cell.ci95);
        json_w_key(&w, "n");
        json_w_int(&w, p->cell.n);
        json_w_key(&w, "verdict");
        json_w_str(&w, verdict_name(p->v));
        json_w_obj_end(&w);
    }
    json_w_arr_end(&w);
    json_w_obj_end(&w);
    fputc('\n', out);
    return json_w_finish(&w);
}

static void print_answer(const struct finder *f, const struct answer *ans)
{
    const char *dir = f->o->largest ? "largest" : "smallest";
    if (!ans->found) {
        printf("no %s %s in %s..%s: '%s' %s at %s\n", dir, f->key,
               f->grid.values[0], f->grid.values[f->grid.n - 1], f->rule.text,
               ans->end_verdict == V_FAIL ? "fails"
                                          : "is within the noise (the 95% CI "
                                            "straddles the target)",
               f->grid.values[pos(f, f->grid.n - 1)]);
        return;
    }
    const char *b = f->grid.values[pos(f, ans->b)];
    printf("%s %s where '%s' holds (95%% CI clear of the target): %s\n", dir,
           f->key, f->rule.text, b);
    if (ans->b == 0)
        printf("  it already holds at %s, the end of the range: the answer "
               "may lie beyond it\n",
               b);
    else if (ans->has_a && ans->b == ans->a + 1)
        printf("  it confidently fails at %s: the answer is exact at this "
               "step\n",
               f->grid.values[pos(f, ans->a)]);
    else if (ans->has_a)
        printf("  it confidently fails at %s; between the two the CIs "
               "straddle the target,\n  so the threshold lies in (%s, %s] "
               "(more --replications or a longer\n  --duration narrow "
               "it)\n",
               f->grid.values[pos(f, ans->a)], f->grid.values[pos(f, ans->a)],
               b);
    else
        printf("  no value of the range fails with confidence: the "
               "threshold lies at or before %s\n",
               b);
}

int sweep_find(struct sweep_opts *o)
{
    struct finder f = { .o = o };
    int st = parse_find(&f, o->find);
    if (st == CLI_CONTINUE)
        st = parse_until(&f, o->until);
    struct scenario *sc0 = NULL;
    char dir_buf[4096];
    if (st == CLI_CONTINUE) /* validates KEY at LO before anything runs */
        st = sweep_load(o, (const char *[]){ f.key },
                        (const char *[]){ f.grid.values[0] }, 1, &sc0);
    if (st == CLI_CONTINUE) {
        f.dir = sweep_out_dir(o, sc0, dir_buf, sizeof(dir_buf));
        st = opts_check_out_dir("tollgate sweep", f.dir);
    }
    struct answer ans = { 0 };
    if (st == CLI_CONTINUE) {
        f.verdicts = xcalloc(f.grid.n, sizeof(*f.verdicts));
        signals_catch();
        st = search(&f, &ans);
        signals_restore();
        qsort(f.probes, f.n_probes, sizeof(f.probes[0]), cmp_probe);
        struct find_doc d = { &f, &ans };
        if (results_write_atomic(f.dir, "find.json", write_find, &d) !=
            ERR_OK) {
            fprintf(stderr, "tollgate sweep: writing %s/find.json: %s\n", f.dir,
                    strerror(errno));
            st = EXIT_RUNTIME;
        }
    }
    if (st == CLI_CONTINUE) {
        if (!o->quiet)
            print_answer(&f, &ans);
        st = ans.found ? EXIT_OK : EXIT_EXPECT;
    }
    free(f.verdicts);
    vary_axis_fini(&f.grid);
    scn_free(sc0);
    return st;
}

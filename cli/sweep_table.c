/*
 * sweep_table.c - metrics of a sweep point and the table files.
 *
 * Metrics go through the expect: parser and expect_measure (sweep.h);
 * this file only averages them over replications and writes them out.
 * Table units: fractions for denial rates, milliseconds for latencies
 * (as every *_ms column of the results), per second for goodput, plain
 * numbers for counts and ratios.
 *
 * sweep.csv: a header row, then one row per point in point order:
 *   point,dir,<KEY>...,x,series,series_label,replications,complete,
 *   <metric>,<metric>_ci95,...
 * x is the first axis's value as a number (its index when the value is
 * not a number); series numbers the combinations of the other axes, and
 * series_label spells one ("accounts.a.count=20; seed=3"), so a chart can
 * draw one line per series against x.  NaN marks a value not measured.
 */
#include "cli/sweep.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/base/json.h"
#include "core/stats/expect_measure.h"
#include "core/stats/summary.h"

int sweep_metric_parse(const char *text, struct sweep_metric *m, char *err,
                       size_t err_len)
{
    while (*text == ' ')
        text++;
    size_t len = strlen(text);
    while (len > 0 && text[len - 1] == ' ')
        len--;
    if (len >= sizeof(m->name)) {
        snprintf(err, err_len, "metric '%.20s...' is too long", text);
        return ERR_TOOBIG;
    }
    memset(m, 0, sizeof(*m));
    memcpy(m->name, text, len);
    /* The metric is the left side of a rule: let the rule parser read it
     * with a comparison every metric accepts. */
    char rule[sizeof(m->name) + 8];
    snprintf(rule, sizeof(rule), "%s >= 0", m->name);
    return expect_parse(rule, &m->rule, err, err_len);
}

const char *sweep_metric_unit(const struct sweep_metric *m)
{
    switch (m->rule.metric) {
    case EXP_DENIED:
    case EXP_LOST: return "fraction";
    case EXP_COUNT: return "count";
    case EXP_LATENCY: return "ms";
    case EXP_GOODPUT: return "per_s";
    case EXP_RETRY_AMPLIFICATION: return "ratio";
    }
    return "";
}

/* expect_measure's base unit -> table unit. */
static double table_value(const struct sweep_metric *m, double v)
{
    return m->rule.metric == EXP_LATENCY ? v / 1e6 : v;
}

void sweep_measure(const struct sweep_metric *m, const struct reps_point *pt,
                   size_t ran, struct sweep_cell *out)
{
    double sum = 0, sq = 0;
    int n = 0;
    for (size_t i = 0; i < ran; i++) {
        double v;
        if (expect_measure(&m->rule, &pt->reps[i].sum, &v) != ERR_OK ||
            isnan(v))
            continue;
        v = table_value(m, v);
        sum += v;
        sq += v * v;
        n++;
    }
    out->n = n;
    out->mean = n > 0 ? sum / n : NAN;
    out->ci95 = NAN;
    if (n >= 2) {
        double var = (sq - n * out->mean * out->mean) / (n - 1);
        out->ci95 = summary_t975(n - 1) * sqrt(var > 0 ? var / n : 0);
    }
}

void sweep_fmt_cell(const struct sweep_metric *m, const struct sweep_cell *c,
                    char *buf, size_t len)
{
    /* back to the rule's base unit for expect_fmt_value */
    double k = m->rule.metric == EXP_LATENCY ? 1e6 : 1;
    char a[48], b[48];
    expect_fmt_value(&m->rule, c->mean * k, a, sizeof(a));
    if (isnan(c->ci95))
        snprintf(buf, len, "%s", a);
    else
        snprintf(buf, len, "%s +- %s", a,
                 expect_fmt_value(&m->rule, c->ci95 * k, b, sizeof(b)));
}

/* ---- table files --------------------------------------------------------- */

static void put_num(FILE *out, double v)
{
    if (isnan(v))
        fputs("NaN", out);
    else
        fprintf(out, "%.10g", v);
}

/* x of a point: the first axis's value as a number, else its index. */
static double point_x(const struct sweep_table *t, size_t p)
{
    size_t k = t->value_idx[p * t->n_axes];
    double x = t->axes[0].x[k];
    return isnan(x) ? (double)k : x;
}

/* series of a point: its value indices on axes 1.. as one number. */
static size_t point_series(const struct sweep_table *t, size_t p)
{
    size_t s = 0;
    for (size_t a = t->n_axes; a-- > 1;)
        s = s * t->axes[a].n + t->value_idx[p * t->n_axes + a];
    return s;
}

static void put_series_label(FILE *out, const struct sweep_table *t, size_t p)
{
    for (size_t a = 1; a < t->n_axes; a++)
        fprintf(out, "%s%s=%s", a > 1 ? "; " : "", t->axes[a].key,
                t->axes[a].values[t->value_idx[p * t->n_axes + a]]);
}

int sweep_fwrite_csv(FILE *out, const struct sweep_table *t)
{
    fputs("point,dir", out);
    for (size_t a = 0; a < t->n_axes; a++)
        fprintf(out, ",%s", t->axes[a].key);
    fputs(",x,series,series_label,replications,complete", out);
    for (size_t m = 0; m < t->n_metrics; m++)
        fprintf(out, ",%s,%s_ci95", t->metrics[m].name, t->metrics[m].name);
    fputc('\n', out);
    for (size_t p = 0; p < t->n_points; p++) {
        fprintf(out, "%zu,%s", p, t->dirs[p]);
        for (size_t a = 0; a < t->n_axes; a++)
            fprintf(out, ",%s",
                    t->axes[a].values[t->value_idx[p * t->n_axes + a]]);
        fputc(',', out);
        put_num(out, point_x(t, p));
        fprintf(out, ",%zu,", point_series(t, p));
        put_series_label(out, t, p);
        fprintf(out, ",%zu,%d", t->reps[p], t->complete[p] ? 1 : 0);
        for (size_t m = 0; m < t->n_metrics; m++) {
            const struct sweep_cell *c = &t->cells[p * t->n_metrics + m];
            fputc(',', out);
            put_num(out, c->mean);
            fputc(',', out);
            put_num(out, c->ci95);
        }
        fputc('\n', out);
    }
    return ferror(out) ? ERR_IO : ERR_OK;
}

static void w_num(struct json_w *w, double v)
{
    if (isnan(v))
        json_w_null(w);
    else
        json_w_num(w, v);
}

static void json_point(struct json_w *w, const struct sweep_table *t, size_t p)
{
    json_w_obj_begin(w);
    json_w_key(w, "point");
    json_w_uint(w, p);
    json_w_key(w, "dir");
    json_w_str(w, t->dirs[p]);
    json_w_key(w, "values");
    json_w_obj_begin(w);
    for (size_t a = 0; a < t->n_axes; a++) {
        json_w_key(w, t->axes[a].key);
        json_w_str(w, t->axes[a].values[t->value_idx[p * t->n_axes + a]]);
    }
    json_w_obj_end(w);
    json_w_key(w, "replications");
    json_w_uint(w, t->reps[p]);
    json_w_key(w, "complete");
    json_w_bool(w, t->complete[p]);
    json_w_key(w, "metrics");
    json_w_obj_begin(w);
    for (size_t m = 0; m < t->n_metrics; m++) {
        const struct sweep_cell *c = &t->cells[p * t->n_metrics + m];
        json_w_key(w, t->metrics[m].name);
        json_w_obj_begin(w);
        json_w_key(w, "mean");
        w_num(w, c->mean);
        json_w_key(w, "ci95");
        w_num(w, c->ci95);
        json_w_key(w, "n");
        json_w_int(w, c->n);
        json_w_obj_end(w);
    }
    json_w_obj_end(w);
    json_w_obj_end(w);
}

int sweep_fwrite_json(FILE *out, const struct sweep_table *t)
{
    struct json_w w;
    json_w_init(&w, out, true);
    json_w_obj_begin(&w);
    json_w_key(&w, "tool");
    json_w_str(&w, "tollgate");
    json_w_key(&w, "version");
    json_w_str(&w, TOLLGATE_VERSION);
    json_w_key(&w, "scenario");
    json_w_str(&w, t->scenario);
    json_w_key(&w, "seed");
    json_w_uint(&w, t->seed);
    json_w_key(&w, "axes");
    json_w_arr_begin(&w);
    for (size_t a = 0; a < t->n_axes; a++) {
        json_w_obj_begin(&w);
        json_w_key(&w, "key");
        json_w_str(&w, t->axes[a].key);
        json_w_key(&w, "values");
        json_w_arr_begin(&w);
        for (size_t k = 0; k < t->axes[a].n; k++)
            json_w_str(&w, t->axes[a].values[k]);
        json_w_arr_end(&w);
        json_w_obj_end(&w);
    }
    json_w_arr_end(&w);
    json_w_key(&w, "metrics");
    json_w_arr_begin(&w);
    for (size_t m = 0; m < t->n_metrics; m++) {
        json_w_obj_begin(&w);
        json_w_key(&w, "name");
        json_w_str(&w, t->metrics[m].name);
        json_w_key(&w, "unit");
        json_w_str(&w, sweep_metric_unit(&t->metrics[m]));
        json_w_obj_end(&w);
    }
    json_w_arr_end(&w);
    json_w_key(&w, "points");
    json_w_arr_begin(&w);
    for (size_t p = 0; p < t->n_points; p++)
        json_point(&w, t, p);
    json_w_arr_end(&w);
    json_w_obj_end(&w);
    fputc('\n', out);
    return json_w_finish(&w);
}

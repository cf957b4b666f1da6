/*
 * compare.c - the rows of a comparison of two summaries (see compare.h).
 *
 * Everything here is arithmetic on two struct summary values read from
 * summary.json; reading them, printing the table and choosing where
 * compare.csv goes are the caller's (cli/cmd_compare.c).  A row's verdict
 * is decided once, in judge(): within the tolerance, else within the 95%
 * interval of the difference when both sides have one.
 */
#include "core/results/compare.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/reason.h"

void compare_opts_init(struct compare_opts *o)
{
    *o = (struct compare_opts){ .rate_tol = 0.02,
                                .lat_tol = 0.10,
                                .lat_floor_ms = 1,
                                .ratio_tol = 0.10,
                                .regression = false };
}

int compare_parse_tolerance(const char *s, double *out)
{
    char *end;
    errno = 0;
    double x = strtod(s, &end);
    if (end == s || errno != 0 || !isfinite(x) || x < 0)
        return ERR_INVAL;
    if (*end == '%') {
        x /= 100;
        end++;
    }
    if (*end != '\0')
        return ERR_INVAL;
    *out = x;
    return ERR_OK;
}

static double pct(int64_t n, int64_t attempts)
{
    return attempts > 0 ? 100.0 * (double)n / (double)attempts : 0.0;
}

const char *compare_kind_name(enum compare_kind k)
{
    static const char *const names[] = { "rate", "request_rate", "ratio",
                                         "latency", "request_latency" };
    return names[k];
}

static struct compare_row *add_row(struct compare_table *t,
                                   enum compare_kind kind, const char *name,
                                   double a, double b)
{
    struct compare_row *r = &t->rows[t->n++];
    *r = (struct compare_row){ .kind = kind,
                               .latency = kind == CMP_LATENCY ||
                                          kind == CMP_REQ_LATENCY,
                               .worse = 1,
                               .a = a,
                               .b = b,
                               .diff = b - a };
    snprintf(r->name, sizeof(r->name), "%s", name);
    r->rel = a != 0 ? 100.0 * (b - a) / a : (b != 0 ? INFINITY : 0.0);
    return r;
}

/* Decides within-ness from the tolerance and, when known, the 95% CI of
 * the difference (ci < 0: unknown).  In regression mode a change for the
 * better is always within. */
static void judge(struct compare_row *r, double tol, double ci,
                  const struct compare_opts *o)
{
    r->allowed = tol;
    r->within = fabs(r->diff) <= tol ||
                (o->regression && r->diff * (double)r->worse <= 0);
    if (!r->within && ci >= 0 && fabs(r->diff) <= ci) {
        r->within = true;
        r->by_ci = true;
    }
    if (ci > r->allowed)
        r->allowed = ci;
}

/* The 95% half-width of a difference of two independent estimates.
 * Written out rather than hypot() so that results stay bit for bit what
 * earlier versions printed. */
static double ci_of_diff(double ca, double cb)
{
    return sqrt(ca * ca + cb * cb);
}

static void rate_rows(struct compare_table *t, const struct summary *a,
                      const struct summary *b, const struct compare_opts *o)
{
    struct compare_row *r = add_row(
        t, CMP_RATE, "denied", 100.0 * a->denial_rate, 100.0 * b->denial_rate);
    double ci = -1;
    if (a->has_ci95 && b->has_ci95)
        ci = 100.0 * ci_of_diff(a->ci95.denial_rate, b->ci95.denial_rate);
    judge(r, 100.0 * o->rate_tol, ci, o);
    for (int k = 1; k < REASON_COUNT; k++) {
        int64_t na = a->denied_by_reason[k], nb = b->denied_by_reason[k];
        if (na == 0 && nb == 0) {
            t->zero_reasons++;
            continue;
        }
        r = add_row(t, CMP_RATE, reason_id((enum reason)k),
                    pct(na, a->requests.attempts),
                    pct(nb, b->requests.attempts));
        judge(r, 100.0 * o->rate_tol, -1, o);
    }
}

/* A request-level share row ("requests NAME"), missing on a side without
 * the request level. */
static void req_row(struct compare_table *t, const char *name, double a,
                    double b, double ci, const struct summary *sa,
                    const struct summary *sb, const struct compare_opts *o)
{
    char full[48];
    snprintf(full, sizeof(full), "requests %s", name);
    struct compare_row *r = add_row(t, CMP_REQ_RATE, full, a, b);
    if (!sa->has_rq || !sb->has_rq) {
        r->missing = sa->has_rq ? 'B' : 'A';
        return;
    }
    judge(r, 100.0 * o->rate_tol, ci, o);
}

static void req_rate_rows(struct compare_table *t, const struct summary *a,
                          const struct summary *b, const struct compare_opts *o)
{
    if (!a->has_rq && !b->has_rq)
        return;
    double ci = -1;
    if (a->has_ci95 && b->has_ci95)
        ci = 100.0 * ci_of_diff(a->ci95.rq_denial_rate, b->ci95.rq_denial_rate);
    req_row(t, "denied", 100.0 * a->rq.denial_rate, 100.0 * b->rq.denial_rate,
            ci, a, b, o);
    if (a->rq.lost > 0 || b->rq.lost > 0)
        req_row(t, "lost", pct(a->rq.lost, a->rq.requests),
                pct(b->rq.lost, b->rq.requests), -1, a, b, o);
    for (int k = 1; k < REASON_COUNT; k++) {
        int64_t na = a->final_by_outcome[k], nb = b->final_by_outcome[k];
        if (na != 0 || nb != 0)
            req_row(t, reason_id((enum reason)k), pct(na, a->rq.requests),
                    pct(nb, b->rq.requests), -1, a, b, o);
    }
}

/* Goodput (lower is worse) and retry amplification (higher is worse),
 * relative to A. */
static void ratio_rows(struct compare_table *t, const struct summary *a,
                       const struct summary *b, const struct compare_opts *o)
{
    struct compare_row *r =
        add_row(t, CMP_RATIO, "goodput", a->goodput_per_s, b->goodput_per_s);
    r->worse = -1;
    double ci = -1;
    if (a->has_ci95 && b->has_ci95)
        ci = ci_of_diff(a->ci95.goodput_per_s, b->ci95.goodput_per_s);
    judge(r, o->ratio_tol * fabs(r->a), ci, o);
    r = add_row(t, CMP_RATIO, "retry amplification", a->retry_amplification,
                b->retry_amplification);
    ci = -1;
    if (a->has_ci95 && b->has_ci95)
        ci = ci_of_diff(a->ci95.retry_amplification,
                        b->ci95.retry_amplification);
    judge(r, o->ratio_tol * fabs(r->a), ci, o);
}

static const struct {
    const char *name;
    size_t off;
} lat_stats[] = { { "p50", offsetof(struct summary_lat, p50) },
                  { "p90", offsetof(struct summary_lat, p90) },
                  { "p99", offsetof(struct summary_lat, p99) },
                  { "p999", offsetof(struct summary_lat, p999) } };

#define N_LAT_STATS (sizeof(lat_stats) / sizeof(lat_stats[0]))

static double stat_of(const struct summary_lat *l, size_t k)
{
    double v;
    memcpy(&v, (const char *)l + lat_stats[k].off, sizeof(v));
    return v;
}

/* The four percentile rows of one block ("all" or "ok"); cia and cib are
 * the sides' ci95 blocks, used when has_ci. */
static void lat_block_rows(struct compare_table *t, enum compare_kind kind,
                           const char *who, const struct summary_lat *la,
                           const struct summary_lat *lb,
                           const struct summary_lat *cia,
                           const struct summary_lat *cib, bool has_ci,
                           const struct compare_opts *o)
{
    if (la->count == 0 && lb->count == 0)
        return;
    for (size_t k = 0; k < N_LAT_STATS; k++) {
        char name[48];
        snprintf(name, sizeof(name), "%s %s", who, lat_stats[k].name);
        struct compare_row *r =
            add_row(t, kind, name, stat_of(la, k), stat_of(lb, k));
        if (la->count == 0 || lb->count == 0) {
            r->missing = la->count == 0 ? 'A' : 'B';
            continue;
        }
        double tol = fmax(o->lat_tol * fabs(r->a), o->lat_floor_ms);
        judge(r, tol,
              has_ci ? ci_of_diff(stat_of(cia, k), stat_of(cib, k)) : -1, o);
    }
}

void compare_build(struct compare_table *t, const struct summary *a,
                   const struct summary *b, const struct compare_opts *o)
{
    bool ci = a->has_ci95 && b->has_ci95;
    memset(t, 0, sizeof(*t));
    rate_rows(t, a, b, o);
    lat_block_rows(t, CMP_LATENCY, "all", &a->lat_all, &b->lat_all,
                   &a->ci95.lat_all, &b->ci95.lat_all, ci, o);
    lat_block_rows(t, CMP_LATENCY, "ok", &a->lat_ok, &b->lat_ok,
                   &a->ci95.lat_ok, &b->ci95.lat_ok, ci, o);
    req_rate_rows(t, a, b, o);
    ratio_rows(t, a, b, o);
    if (a->has_rq && b->has_rq) {
        lat_block_rows(t, CMP_REQ_LATENCY, "requests all", &a->rq.lat_all,
                       &b->rq.lat_all, &a->ci95.rq_lat_all, &b->ci95.rq_lat_all,
                       ci, o);
        lat_block_rows(t, CMP_REQ_LATENCY, "requests ok", &a->rq.lat_ok,
                       &b->rq.lat_ok, &a->ci95.rq_lat_ok, &b->ci95.rq_lat_ok,
                       ci, o);
    }
}

size_t compare_outside(const struct compare_table *t)
{
    size_t n = 0;
    for (size_t i = 0; i < t->n; i++)
        n += !t->rows[i].within;
    return n;
}

int compare_write_csv(FILE *out, const struct compare_table *t,
                      const char *dir_a, const char *dir_b)
{
    fprintf(out, "# tollgate compare: a=%s b=%s\n", dir_a, dir_b);
    fprintf(out, "# rates in percent of attempts or requests (diff, "
                 "allowed in percentage points); ratios per s or plain; "
                 "latency in ms\n");
    fprintf(out, "kind,name,a,b,diff,rel_diff_pct,allowed,within\n");
    for (size_t i = 0; i < t->n; i++) {
        const struct compare_row *r = &t->rows[i];
        fprintf(out, "%s,%s,%.6g,%.6g,%.6g,%.6g,%.6g,%d\n",
                compare_kind_name(r->kind), r->name, r->a, r->b, r->diff,
                isinf(r->rel) ? 0.0 : r->rel, r->allowed, r->within ? 1 : 0);
    }
    return ferror(out) ? ERR_IO : ERR_OK;
}

bool compare_csv_dirs(const char *line, char *a, char *b, size_t len)
{
    static const char head[] = "# tollgate compare: a=";
    if (strncmp(line, head, sizeof(head) - 1) != 0)
        return false;
    const char *pa = line + sizeof(head) - 1;
    const char *pb = strstr(pa, " b=");
    if (pb == NULL)
        return false;
    size_t nb = strcspn(pb + 3, "\n");
    snprintf(a, len, "%.*s", (int)(pb - pa), pa);
    snprintf(b, len, "%.*s", (int)nb, pb + 3);
    return true;
}

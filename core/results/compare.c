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
                                .lat_floor_ms = 1 };
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

static struct compare_row *add_row(struct compare_table *t, bool latency,
                                   const char *name, double a, double b)
{
    struct compare_row *r = &t->rows[t->n++];
    *r = (struct compare_row){
        .latency = latency, .a = a, .b = b, .diff = b - a
    };
    snprintf(r->name, sizeof(r->name), "%s", name);
    r->rel = a != 0 ? 100.0 * (b - a) / a : (b != 0 ? INFINITY : 0.0);
    return r;
}

/* Decides within-ness from the tolerance and, when known, the 95% CI of
 * the difference (ci < 0: unknown). */
static void judge(struct compare_row *r, double tol, double ci)
{
    r->allowed = tol;
    r->within = fabs(r->diff) <= tol;
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
    struct compare_row *r = add_row(t, false, "denied", 100.0 * a->denial_rate,
                                    100.0 * b->denial_rate);
    double ci = -1;
    if (a->has_ci95 && b->has_ci95)
        ci = 100.0 * ci_of_diff(a->ci95.denial_rate, b->ci95.denial_rate);
    judge(r, 100.0 * o->rate_tol, ci);
    for (int k = 1; k < REASON_COUNT; k++) {
        int64_t na = a->denied_by_reason[k], nb = b->denied_by_reason[k];
        if (na == 0 && nb == 0) {
            t->zero_reasons++;
            continue;
        }
        r = add_row(t, false, reason_id((enum reason)k),
                    pct(na, a->requests.attempts),
                    pct(nb, b->requests.attempts));
        judge(r, 100.0 * o->rate_tol, -1);
    }
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
static void lat_block_rows(struct compare_table *t, const char *who,
                           const struct summary_lat *la,
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
            add_row(t, true, name, stat_of(la, k), stat_of(lb, k));
        if (la->count == 0 || lb->count == 0) {
            r->missing = la->count == 0 ? 'A' : 'B';
            continue;
        }
        double tol = fmax(o->lat_tol * fabs(r->a), o->lat_floor_ms);
        judge(r, tol,
              has_ci ? ci_of_diff(stat_of(cia, k), stat_of(cib, k)) : -1);
    }
}

void compare_build(struct compare_table *t, const struct summary *a,
                   const struct summary *b, const struct compare_opts *o)
{
    bool ci = a->has_ci95 && b->has_ci95;
    memset(t, 0, sizeof(*t));
    rate_rows(t, a, b, o);
    lat_block_rows(t, "all", &a->lat_all, &b->lat_all, &a->ci95.lat_all,
                   &b->ci95.lat_all, ci, o);
    lat_block_rows(t, "ok", &a->lat_ok, &b->lat_ok, &a->ci95.lat_ok,
                   &b->ci95.lat_ok, ci, o);
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
    fprintf(out, "# rates in percent of attempts (diff, allowed in "
                 "percentage points); latency in ms\n");
    fprintf(out, "kind,name,a,b,diff,rel_diff_pct,allowed,within\n");
    for (size_t i = 0; i < t->n; i++) {
        const struct compare_row *r = &t->rows[i];
        fprintf(out, "%s,%s,%.6g,%.6g,%.6g,%.6g,%.6g,%d\n",
                r->latency ? "latency" : "rate", r->name, r->a, r->b, r->diff,
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

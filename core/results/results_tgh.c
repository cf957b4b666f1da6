/*
 * results_tgh.c - histograms.tgh: the lossless, mergeable recorder file.
 *
 * A line-oriented text format (docs/results-format.md): a versioned magic
 * line, the outcome and gauge column names (so that a reader maps columns
 * by id, not by enum position), the recorder configuration and totals,
 * per-population counters, every summary histogram and every non-empty
 * interval, each histogram in hist_sparse_write() form.  Reading it back
 * gives a recorder whose every counter, bucket and gauge equals the one
 * written; rec_merge() of such recorders therefore equals one recorder
 * that saw all the data.  Gauges are written with 17 significant digits so
 * they read back bit for bit.
 *
 * The reader checks structure strictly (ERR_PARSE with "file:line: ...")
 * and bounds everything it allocates by the file's own declared sizes,
 * which rec_new() limits.
 */
#include "core/results/results.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/stats/record_load.h"

#define TGH_MAGIC "tollgate-histograms"

/* ---- writer ----------------------------------------------------------------
 */

static int put_hist(FILE *out, const char *label, const struct hist *h)
{
    struct hist_sparse s;
    hist_sparse_init(&s);
    hist_sparse_set(&s, h);
    int rc = fprintf(out, "hist %s ", label) < 0 ? ERR_IO : ERR_OK;
    if (rc == ERR_OK)
        rc = hist_sparse_write(&s, out);
    if (rc == ERR_OK && fputc('\n', out) == EOF)
        rc = ERR_IO;
    hist_sparse_fini(&s);
    return rc;
}

static int put_counts(FILE *out, const int64_t *c)
{
    for (int o = 0; o < REASON_COUNT; o++)
        if (fprintf(out, " %lld", (long long)c[o]) < 0)
            return ERR_IO;
    return ERR_OK;
}

/* "poplost <pop> <name> <count>..." for the generator's lost requests
 * (enum rec_lost, by name); nothing when there are none, so files of
 * sim and serve, which never lose one, do not change. */
static int put_lost(FILE *out, size_t pop, const struct rec_counts *c)
{
    bool any = false;
    for (int l = 0; l < REC_LOST_COUNT; l++)
        any = any || c->lost[l] != 0;
    if (!any)
        return ERR_OK;
    if (fprintf(out, "poplost %zu", pop) < 0)
        return ERR_IO;
    for (int l = 0; l < REC_LOST_COUNT; l++)
        if (fprintf(out, " %s %lld", rec_lost_name(l), (long long)c->lost[l]) <
            0)
            return ERR_IO;
    return fputc('\n', out) == EOF ? ERR_IO : ERR_OK;
}

static int put_header(FILE *out, const struct rec *r)
{
    const struct rec_config *cfg = rec_config(r);
    if (fprintf(out, "%s %d\noutcomes", TGH_MAGIC, RESULTS_TGH_VERSION) < 0)
        return ERR_IO;
    for (int o = 0; o < REASON_COUNT; o++)
        if (fprintf(out, " %s", reason_id(o)) < 0)
            return ERR_IO;
    if (fputs("\ngauges", out) < 0)
        return ERR_IO;
    for (int g = 0; g < REC_GAUGE_COUNT; g++)
        if (fprintf(out, " %s", rec_gauge_name(g)) < 0)
            return ERR_IO;
    if (fputs("\nlost", out) < 0)
        return ERR_IO;
    for (int l = 0; l < REC_LOST_COUNT; l++)
        if (fprintf(out, " %s", rec_lost_name(l)) < 0)
            return ERR_IO;
    if (fprintf(out,
                "\nduration_ns %lld\ninterval_ns %lld\nwarmup_ns %lld\n"
                "live %d\nend_ns %lld\ncomplete %d\ndropped %lld\n"
                "transport_errors %lld\nlate %lld\npops %zu\n",
                (long long)cfg->duration_ns, (long long)cfg->interval_ns,
                (long long)cfg->warmup_ns, cfg->live ? 1 : 0,
                (long long)rec_end_ns(r), rec_complete(r) ? 1 : 0,
                (long long)rec_dropped(r), (long long)rec_transport_errors(r),
                (long long)rec_late(r), rec_n_pops(r)) < 0)
        return ERR_IO;
    for (size_t p = 0; p < rec_n_pops(r); p++)
        if (fprintf(out, "pop %zu %s\n", p, rec_pop_name(r, p)) < 0)
            return ERR_IO;
    return ERR_OK;
}

/* The summary histograms of level k: attempts unprefixed ("all",
 * "outcome <id>", "pop_all <p>", "pop_ok <p>"), requests with "req_". */
static int put_level_hists(FILE *out, const struct rec *r, enum rec_level k)
{
    const char *pre = k == REC_REQUEST ? "req_" : "";
    char label[96];
    snprintf(label, sizeof(label), "%sall", pre);
    int rc = put_hist(out, label, rec_lvl_lat_all(r, k));
    for (int o = 0; o < REASON_COUNT && rc == ERR_OK; o++) {
        snprintf(label, sizeof(label), "%soutcome %s", pre, reason_id(o));
        rc = put_hist(out, label, rec_lvl_lat(r, k, o));
    }
    for (size_t p = 0; p < rec_n_pops(r) && rc == ERR_OK; p++) {
        snprintf(label, sizeof(label), "%spop_all %zu", pre, p);
        rc = put_hist(out, label, rec_lvl_pop_all(r, k, p));
        snprintf(label, sizeof(label), "%spop_ok %zu", pre, p);
        if (rc == ERR_OK)
            rc = put_hist(out, label, rec_lvl_pop_ok(r, k, p));
    }
    return rc;
}

static int put_summary_hists(FILE *out, const struct rec *r)
{
    int rc = ERR_OK;
    for (size_t p = 0; p < rec_n_pops(r) && rc == ERR_OK; p++) {
        struct rec_counts c;
        rec_counts_get(r, (int)p, &c);
        rc = fprintf(out, "popcounts %zu %lld", p, (long long)c.offered) < 0
                 ? ERR_IO
                 : ERR_OK;
        if (rc == ERR_OK)
            rc = put_counts(out, c.outcome);
        if (rc == ERR_OK)
            rc = put_counts(out, c.final);
        if (rc == ERR_OK && fputc('\n', out) == EOF)
            rc = ERR_IO;
        if (rc == ERR_OK)
            rc = put_lost(out, p, &c);
    }
    for (int k = 0; k < REC_LEVELS && rc == ERR_OK; k++)
        rc = put_level_hists(out, r, k);
    if (rc == ERR_OK)
        rc = put_hist(out, "tries", rec_tries(r));
    if (rc == ERR_OK && rec_config(r)->live) {
        rc = put_hist(out, "service", rec_service(r));
        if (rc == ERR_OK)
            rc = put_hist(out, "lag", rec_lag(r));
    }
    return rc;
}

static bool ival_empty(const struct rec_counts *c, const bool set[],
                       int64_t terr)
{
    if (c->offered != 0 || terr != 0)
        return false;
    for (int o = 0; o < REASON_COUNT; o++)
        if (c->outcome[o] != 0)
            return false;
    for (int g = 0; g < REC_GAUGE_COUNT; g++)
        if (set[g])
            return false;
    return true;
}

static int put_interval(FILE *out, const struct rec *r, size_t i,
                        struct hist_sparse *s)
{
    struct rec_counts c;
    double g[REC_GAUGE_COUNT];
    bool set[REC_GAUGE_COUNT];
    rec_interval_counts(r, i, &c);
    rec_interval_gauges(r, i, g, set);
    int64_t terr = rec_interval_transport_errors(r, i);
    if (ival_empty(&c, set, terr))
        return ERR_OK;
    unsigned mask = 0;
    for (int k = 0; k < REC_GAUGE_COUNT; k++)
        mask |= (set[k] ? 1u : 0u) << k;
    if (fprintf(out, "iv %zu %lld %lld %u", i, (long long)c.offered,
                (long long)terr, mask) < 0)
        return ERR_IO;
    for (int k = 0; k < REC_GAUGE_COUNT; k++)
        if (fprintf(out, " %.17g", g[k]) < 0)
            return ERR_IO;
    if (put_counts(out, c.outcome) != ERR_OK || fputs(" | ", out) < 0)
        return ERR_IO;
    rec_interval_lvl_lat_sparse(r, REC_ATTEMPT, i, s);
    int rc = hist_sparse_write(s, out);
    if (rc == ERR_OK && fputc('\n', out) == EOF)
        rc = ERR_IO;
    return rc;
}

/* "ivreq <i> <final by outcome> <lost> | <latency>": the requests first
 * intended in interval i by final outcome, those lost, and the latency
 * of the requests completed in it; nothing when all are empty. */
static int put_interval_req(FILE *out, const struct rec *r, size_t i,
                            struct hist_sparse *s)
{
    struct rec_counts c;
    rec_interval_counts(r, i, &c);
    rec_interval_lvl_lat_sparse(r, REC_REQUEST, i, s);
    bool any = s->n != 0;
    for (int o = 0; o < REASON_COUNT; o++)
        any = any || c.final[o] != 0;
    for (int l = 0; l < REC_LOST_COUNT; l++)
        any = any || c.lost[l] != 0;
    if (!any)
        return ERR_OK;
    if (fprintf(out, "ivreq %zu", i) < 0 || put_counts(out, c.final) != ERR_OK)
        return ERR_IO;
    for (int l = 0; l < REC_LOST_COUNT; l++)
        if (fprintf(out, " %lld", (long long)c.lost[l]) < 0)
            return ERR_IO;
    if (fputs(" | ", out) < 0)
        return ERR_IO;
    int rc = hist_sparse_write(s, out);
    if (rc == ERR_OK && fputc('\n', out) == EOF)
        rc = ERR_IO;
    return rc;
}

/* "ends answer N retries_exhausted N run_ended N": requests by why they
 * ended (enum rec_end, by name). */
static int put_ends(FILE *out, const struct rec *r)
{
    int64_t ends[REC_END_COUNT];
    rec_ends(r, ends);
    if (fputs("ends", out) < 0)
        return ERR_IO;
    for (int e = 0; e < REC_END_COUNT; e++)
        if (fprintf(out, " %s %lld", rec_end_name(e), (long long)ends[e]) < 0)
            return ERR_IO;
    return fputc('\n', out) == EOF ? ERR_IO : ERR_OK;
}

int results_fwrite_tgh(FILE *out, const struct rec *r)
{
    int rc = put_header(out, r);
    if (rc == ERR_OK)
        rc = put_summary_hists(out, r);
    struct hist_sparse s;
    hist_sparse_init(&s);
    for (size_t i = 0; i < rec_n_intervals(r) && rc == ERR_OK; i++) {
        rc = put_interval(out, r, i, &s);
        if (rc == ERR_OK)
            rc = put_interval_req(out, r, i, &s);
    }
    hist_sparse_fini(&s);
    if (rc == ERR_OK)
        rc = put_ends(out, r);
    if (rc == ERR_OK && fputs("end\n", out) < 0)
        rc = ERR_IO;
    return rc;
}

/* ---- reader ---------------------------------------------------------------
 */

struct rd {
    const char *name;
    const char *p, *eol, *next; /* current line [p, eol), next line */
    const char *end;
    int line;
    char *err;
    size_t err_len;
    int omap[REASON_COUNT]; /* file column -> enum reason */
    int n_out;
    int gmap[REC_GAUGE_COUNT]; /* file column -> enum rec_gauge */
    int n_gauge;
    int lmap[REC_LOST_COUNT]; /* file column -> enum rec_lost */
    int n_lost;
    struct rec *rec;
};

static int rd_fail(struct rd *d, const char *what)
{
    if (d->err != NULL && d->err_len > 0)
        snprintf(d->err, d->err_len, "%s:%d: %s", d->name, d->line, what);
    return ERR_PARSE;
}

/* Advances to the next line; false at the end of the input. */
static bool rd_line(struct rd *d)
{
    if (d->next >= d->end)
        return false;
    d->p = d->next;
    const char *nl = memchr(d->p, '\n', (size_t)(d->end - d->p));
    d->eol = nl ? nl : d->end;
    d->next = nl ? nl + 1 : d->end;
    d->line++;
    return true;
}

/* Consumes the word w followed by a space or end of line. */
static bool rd_word(struct rd *d, const char *w)
{
    size_t n = strlen(w);
    if ((size_t)(d->eol - d->p) < n || memcmp(d->p, w, n) != 0)
        return false;
    if (d->p + n < d->eol && d->p[n] != ' ')
        return false;
    d->p += n;
    return true;
}

/* " <integer>" */
static bool rd_i64(struct rd *d, int64_t *out)
{
    if (d->p >= d->eol || *d->p != ' ')
        return false;
    const char *q = d->p + 1;
    if (q >= d->eol || !((*q >= '0' && *q <= '9') || *q == '-'))
        return false;
    char *e;
    errno = 0;
    long long v = strtoll(q, &e, 10);
    if (errno != 0 || e > d->eol || e == q)
        return false;
    d->p = e;
    *out = v;
    return true;
}

/* " <double>" */
static bool rd_f64(struct rd *d, double *out)
{
    if (d->p >= d->eol || *d->p != ' ')
        return false;
    const char *q = d->p + 1;
    if (q >= d->eol || *q == ' ' || *q == '\n')
        return false;
    char *e;
    double v = strtod(q, &e);
    if (e > d->eol || e == q)
        return false;
    d->p = e;
    *out = v;
    return true;
}

static bool rd_eol(const struct rd *d)
{
    return d->p == d->eol;
}

/* " <word>" into buf (NUL-terminated); false if absent or too long. */
static bool rd_token(struct rd *d, char *buf, size_t cap)
{
    if (d->p >= d->eol || *d->p != ' ')
        return false;
    const char *q = ++d->p;
    while (d->p < d->eol && *d->p != ' ')
        d->p++;
    size_t n = (size_t)(d->p - q);
    if (n == 0 || n >= cap)
        return false;
    memcpy(buf, q, n);
    buf[n] = '\0';
    return true;
}

static int rd_columns(struct rd *d)
{
    char tok[64];
    if (!rd_line(d) || !rd_word(d, "outcomes"))
        return rd_fail(d, "expected 'outcomes' line");
    while (rd_token(d, tok, sizeof(tok))) {
        enum reason o = reason_from_id(tok);
        if (o == REASON_COUNT || d->n_out == REASON_COUNT)
            return rd_fail(d, "unknown or repeated outcome id");
        d->omap[d->n_out++] = (int)o;
    }
    if (!rd_eol(d) || !rd_line(d) || !rd_word(d, "gauges"))
        return rd_fail(d, "expected 'gauges' line");
    while (rd_token(d, tok, sizeof(tok))) {
        int g = 0;
        while (g < REC_GAUGE_COUNT && strcmp(rec_gauge_name(g), tok) != 0)
            g++;
        if (g == REC_GAUGE_COUNT || d->n_gauge == REC_GAUGE_COUNT)
            return rd_fail(d, "unknown gauge name");
        d->gmap[d->n_gauge++] = g;
    }
    if (!rd_eol(d) || !rd_line(d) || !rd_word(d, "lost"))
        return rd_fail(d, "expected 'lost' line");
    while (rd_token(d, tok, sizeof(tok))) {
        int l = 0;
        while (l < REC_LOST_COUNT && strcmp(rec_lost_name(l), tok) != 0)
            l++;
        if (l == REC_LOST_COUNT || d->n_lost == REC_LOST_COUNT)
            return rd_fail(d, "unknown name in 'lost' line");
        d->lmap[d->n_lost++] = l;
    }
    return rd_eol(d) ? ERR_OK : rd_fail(d, "malformed 'lost' line");
}

/* "key <int>" line. */
static int rd_kv(struct rd *d, const char *key, int64_t *out)
{
    if (!rd_line(d) || !rd_word(d, key) || !rd_i64(d, out) || !rd_eol(d)) {
        char msg[96];
        snprintf(msg, sizeof(msg), "expected '%s <integer>'", key);
        return rd_fail(d, msg);
    }
    return ERR_OK;
}

struct tgh_head {
    int64_t duration, interval, warmup, live, end, complete, dropped, terr,
        late, pops;
};

static int rd_head(struct rd *d, struct tgh_head *h)
{
    int64_t version;
    if (!rd_line(d) || !rd_word(d, TGH_MAGIC) || !rd_i64(d, &version) ||
        !rd_eol(d))
        return rd_fail(d, "not a histograms.tgh file");
    if (version == 1)
        return rd_fail(d, "written by an older tollgate (format 1, without "
                          "request-level records): run it again to merge it");
    if (version != RESULTS_TGH_VERSION)
        return rd_fail(d, "unsupported histograms.tgh version");
    int rc = rd_columns(d);
    const char *keys[] = { "duration_ns", "interval_ns",      "warmup_ns",
                           "live",        "end_ns",           "complete",
                           "dropped",     "transport_errors", "late",
                           "pops" };
    int64_t *vals[] = { &h->duration, &h->interval, &h->warmup,  &h->live,
                        &h->end,      &h->complete, &h->dropped, &h->terr,
                        &h->late,     &h->pops };
    for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]) && rc == ERR_OK; k++)
        rc = rd_kv(d, keys[k], vals[k]);
    if (rc == ERR_OK && (h->pops < 1 || h->pops > REC_MAX_POPS))
        rc = rd_fail(d, "population count out of range");
    if (rc == ERR_OK && (h->end < 0 || h->end > h->duration || h->dropped < 0 ||
                         h->terr < 0 || h->late < 0))
        rc = rd_fail(d, "end_ns or a total out of range");
    return rc;
}

/* A population name as the writer writes it: no control bytes (a NUL
 * would cut it short, and the file would not write back the same). */
static bool name_ok(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return false;
    return true;
}

static int rd_make_rec(struct rd *d, const struct tgh_head *h)
{
    size_t np = (size_t)h->pops;
    char(*names)[REC_NAME_MAX] = xcalloc(np, sizeof(*names));
    const char **ptrs = xcalloc(np, sizeof(*ptrs));
    int rc = ERR_OK;
    for (size_t p = 0; p < np && rc == ERR_OK; p++) {
        int64_t idx;
        if (!rd_line(d) || !rd_word(d, "pop") || !rd_i64(d, &idx) ||
            idx != (int64_t)p || d->p >= d->eol || *d->p != ' ' ||
            d->eol - d->p - 1 >= REC_NAME_MAX || d->eol - d->p < 2 ||
            !name_ok(d->p + 1, (size_t)(d->eol - d->p - 1)))
            rc = rd_fail(d, "expected 'pop <index> <name>' in order");
        else
            memcpy(names[p], d->p + 1, (size_t)(d->eol - d->p - 1));
        ptrs[p] = names[p];
    }
    struct rec_config cfg = { h->duration, h->interval, h->warmup,
                              np,          ptrs,        h->live != 0 };
    if (rc == ERR_OK && rec_new(&cfg, &d->rec) != ERR_OK)
        rc = rd_fail(d, "invalid recorder configuration");
    free(ptrs);
    free(names);
    if (rc == ERR_OK)
        rec_totals_load(d->rec, h->dropped, h->terr, h->late, h->end,
                        h->complete != 0);
    return rc;
}

/* n file columns of counts, mapped into out[enum]. */
static bool rd_outcomes(struct rd *d, int64_t out[REASON_COUNT])
{
    memset(out, 0, REASON_COUNT * sizeof(*out));
    for (int k = 0; k < d->n_out; k++)
        if (!rd_i64(d, &out[d->omap[k]]) || out[d->omap[k]] < 0)
            return false;
    return true;
}

static int rd_popcounts(struct rd *d)
{
    struct rec_counts c;
    int64_t p;
    if (!rd_i64(d, &p) || p < 0 || (size_t)p >= rec_n_pops(d->rec))
        return rd_fail(d, "malformed 'popcounts' line");
    rec_counts_get(d->rec, (int)p, &c); /* keeps lost[] (poplost) */
    if (!rd_i64(d, &c.offered) || c.offered < 0 || !rd_outcomes(d, c.outcome) ||
        !rd_outcomes(d, c.final) || !rd_eol(d))
        return rd_fail(d, "malformed 'popcounts' line");
    rec_pop_counts_load(d->rec, (size_t)p, &c);
    return ERR_OK;
}

/* "poplost <pop> (<name> <count>)...": names of enum rec_lost. */
static int rd_poplost(struct rd *d)
{
    struct rec_counts c;
    int64_t p;
    char tok[64];
    if (!rd_i64(d, &p) || p < 0 || (size_t)p >= rec_n_pops(d->rec))
        return rd_fail(d, "malformed 'poplost' line");
    rec_counts_get(d->rec, (int)p, &c);
    while (rd_token(d, tok, sizeof(tok))) {
        int l = 0;
        while (l < REC_LOST_COUNT && strcmp(rec_lost_name(l), tok) != 0)
            l++;
        if (l == REC_LOST_COUNT)
            return rd_fail(d, "unknown name in 'poplost' line");
        if (!rd_i64(d, &c.lost[l]) || c.lost[l] < 0)
            return rd_fail(d, "malformed count in 'poplost' line");
    }
    if (!rd_eol(d))
        return rd_fail(d, "malformed 'poplost' line");
    rec_pop_counts_load(d->rec, (size_t)p, &c);
    return ERR_OK;
}

/* The sparse histogram from the current position (after one space). */
static int rd_sparse(struct rd *d, struct hist_sparse *s)
{
    if (d->p >= d->eol || *d->p != ' ')
        return rd_fail(d, "missing histogram");
    d->p++;
    if (hist_sparse_parse(d->p, (size_t)(d->eol - d->p), s) != ERR_OK)
        return rd_fail(d, "malformed histogram buckets");
    d->p = d->eol;
    return ERR_OK;
}

/* Which summary histogram of level k a "hist" line names after its
 * prefix; NULL if none. */
static struct hist *rd_level_target(struct rd *d, enum rec_level k)
{
    char tok[64];
    int64_t p;
    if (rd_word(d, "all"))
        return rec_lvl_lat_all_mut(d->rec, k);
    if (rd_word(d, "outcome")) {
        enum reason o =
            rd_token(d, tok, sizeof(tok)) ? reason_from_id(tok) : REASON_COUNT;
        return o == REASON_COUNT ? NULL : rec_lvl_lat_mut(d->rec, k, o);
    }
    bool all = rd_word(d, "pop_all");
    if (all || rd_word(d, "pop_ok")) {
        if (!rd_i64(d, &p) || p < 0 || (size_t)p >= rec_n_pops(d->rec))
            return NULL;
        return all ? rec_lvl_pop_all_mut(d->rec, k, (size_t)p)
                   : rec_lvl_pop_ok_mut(d->rec, k, (size_t)p);
    }
    return NULL;
}

/* Which summary histogram a "hist" line names; NULL if none. */
static struct hist *rd_hist_target(struct rd *d)
{
    if (d->p >= d->eol || *d->p != ' ')
        return NULL;
    d->p++;
    if (rd_word(d, "service"))
        return rec_service_mut(d->rec);
    if (rd_word(d, "lag"))
        return rec_lag_mut(d->rec);
    if (rd_word(d, "tries"))
        return rec_tries_mut(d->rec);
    if (d->eol - d->p > 4 && memcmp(d->p, "req_", 4) == 0) {
        d->p += 4;
        return rd_level_target(d, REC_REQUEST);
    }
    return rd_level_target(d, REC_ATTEMPT);
}

static int rd_hist(struct rd *d)
{
    struct hist *h = rd_hist_target(d);
    if (h == NULL)
        return rd_fail(d, "unknown histogram name");
    if (hist_count(h) != 0)
        return rd_fail(d, "histogram given twice");
    struct hist_sparse s;
    hist_sparse_init(&s);
    int rc = rd_sparse(d, &s);
    if (rc == ERR_OK)
        hist_sparse_add_to(&s, h);
    hist_sparse_fini(&s);
    return rc;
}

static int rd_interval(struct rd *d)
{
    int64_t i, terr, mask;
    struct rec_counts c;
    double gv[REC_GAUGE_COUNT] = { 0 }, g[REC_GAUGE_COUNT] = { 0 };
    bool set[REC_GAUGE_COUNT] = { false };
    memset(&c, 0, sizeof(c));
    if (!rd_i64(d, &i) || i < 0 || (size_t)i >= rec_n_intervals(d->rec) ||
        !rd_i64(d, &c.offered) || !rd_i64(d, &terr) || !rd_i64(d, &mask) ||
        c.offered < 0 || terr < 0 || mask < 0 || mask >= (1 << d->n_gauge))
        return rd_fail(d, "malformed 'iv' line");
    for (int k = 0; k < d->n_gauge; k++)
        if (!rd_f64(d, &gv[k]))
            return rd_fail(d, "malformed gauge in 'iv' line");
    for (int k = 0; k < d->n_gauge; k++) {
        g[d->gmap[k]] = gv[k];
        set[d->gmap[k]] = (mask >> k) & 1;
    }
    if (!rd_outcomes(d, c.outcome) || !rd_word(d, " |"))
        return rd_fail(d, "malformed counts in 'iv' line");
    struct hist_sparse s;
    hist_sparse_init(&s);
    int rc = rd_sparse(d, &s);
    if (rc == ERR_OK)
        rec_interval_load(d->rec, (size_t)i, &c, g, set, &s, terr);
    hist_sparse_fini(&s);
    return rc;
}

static int rd_interval_req(struct rd *d)
{
    int64_t i, final[REASON_COUNT], lost[REC_LOST_COUNT] = { 0 }, v;
    if (!rd_i64(d, &i) || i < 0 || (size_t)i >= rec_n_intervals(d->rec) ||
        !rd_outcomes(d, final))
        return rd_fail(d, "malformed 'ivreq' line");
    for (int k = 0; k < d->n_lost; k++) {
        if (!rd_i64(d, &v) || v < 0)
            return rd_fail(d, "malformed lost count in 'ivreq' line");
        lost[d->lmap[k]] = v;
    }
    if (!rd_word(d, " |"))
        return rd_fail(d, "malformed 'ivreq' line");
    struct hist_sparse s;
    hist_sparse_init(&s);
    int rc = rd_sparse(d, &s);
    if (rc == ERR_OK)
        rec_interval_req_load(d->rec, (size_t)i, final, lost, &s);
    hist_sparse_fini(&s);
    return rc;
}

/* "ends (<name> <count>)...": names of enum rec_end. */
static int rd_ends(struct rd *d)
{
    int64_t ends[REC_END_COUNT];
    rec_ends(d->rec, ends);
    char tok[64];
    while (rd_token(d, tok, sizeof(tok))) {
        int e = 0;
        while (e < REC_END_COUNT && strcmp(rec_end_name(e), tok) != 0)
            e++;
        if (e == REC_END_COUNT)
            return rd_fail(d, "unknown name in 'ends' line");
        if (!rd_i64(d, &ends[e]) || ends[e] < 0)
            return rd_fail(d, "malformed count in 'ends' line");
    }
    if (!rd_eol(d))
        return rd_fail(d, "malformed 'ends' line");
    rec_ends_load(d->rec, ends);
    return ERR_OK;
}

static int rd_body(struct rd *d)
{
    while (rd_line(d)) {
        int rc;
        if (rd_word(d, "popcounts"))
            rc = rd_popcounts(d);
        else if (rd_word(d, "poplost"))
            rc = rd_poplost(d);
        else if (rd_word(d, "hist"))
            rc = rd_hist(d);
        else if (rd_word(d, "iv"))
            rc = rd_interval(d);
        else if (rd_word(d, "ivreq"))
            rc = rd_interval_req(d);
        else if (rd_word(d, "ends"))
            rc = rd_ends(d);
        else if (rd_word(d, "end") && rd_eol(d))
            return d->next == d->end ? ERR_OK : rd_fail(d, "data after 'end'");
        else
            rc = rd_fail(d, "unknown line");
        if (rc != ERR_OK)
            return rc;
    }
    return rd_fail(d, "truncated file: no 'end' line");
}

int results_read_tgh(const char *path, struct rec **out, char *err,
                     size_t err_len)
{
    char *text;
    size_t len;
    int rc = results_slurp(path, RESULTS_MAX_FILE_BYTES, &text, &len);
    if (rc != ERR_OK) {
        if (err != NULL && err_len > 0)
            snprintf(err, err_len, "%s: %s", path,
                     rc == ERR_IO ? strerror(errno) : err_str(rc));
        return rc;
    }
    struct rd d;
    memset(&d, 0, sizeof(d));
    d.name = path;
    d.next = text;
    d.end = text + len;
    d.err = err;
    d.err_len = err_len;
    struct tgh_head h;
    rc = rd_head(&d, &h);
    if (rc == ERR_OK)
        rc = rd_make_rec(&d, &h);
    if (rc == ERR_OK)
        rc = rd_body(&d);
    free(text);
    if (rc != ERR_OK) {
        rec_free(d.rec);
        return rc;
    }
    *out = d.rec;
    return ERR_OK;
}

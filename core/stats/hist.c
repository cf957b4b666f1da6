/*
 * hist.c - log-linear latency histogram (HDR-style, written from the idea,
 * not from HdrHistogram's code).
 *
 * Geometry: a value v in whole microseconds lives in power-of-two range b,
 * the smallest b >= 0 with v < 2048 << b.  Range 0 holds 0..2047 in 2048
 * unit buckets; range b >= 1 holds [1024 << b, 2048 << b) in 1024 buckets
 * of width 2^b.  Flattened, index = b * 1024 + (v >> b), which is
 * contiguous: range 0 covers indices 0..2047, range b covers
 * (b + 1) * 1024 .. (b + 2) * 1024 - 1.  A bucket's width is below 1/1024
 * of its lowest value, hence 3 significant digits.
 *
 * Invariants: total == sum(counts); min_idx/max_idx bound the non-zero
 * counts (HIST_COUNTS_LEN / -1 when empty).  Everything reported (mean,
 * percentiles, max) is a function of the counts alone, so two histograms
 * with equal counts report identical numbers however they were built.
 *
 * Not here: thread safety, auto-resizing, value units other than ns.
 */
#include "core/stats/hist.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- geometry --------------------------------------------------------------
 */

static inline void index_split(int32_t idx, int *b, int64_t *sub)
{
    if (idx < HIST_SUB_COUNT) {
        *b = 0;
        *sub = idx;
    } else {
        *b = (idx >> (HIST_SUB_BITS - 1)) - 1;
        *sub = idx - ((int64_t)*b << (HIST_SUB_BITS - 1));
    }
}

int64_t hist_index_lowest(int32_t idx)
{
    int b;
    int64_t sub;
    index_split(idx, &b, &sub);
    return (sub << b) * HIST_UNIT_NS;
}

int64_t hist_index_highest(int32_t idx)
{
    int b;
    int64_t sub;
    index_split(idx, &b, &sub);
    return ((sub << b) + ((int64_t)1 << b) - 1) * HIST_UNIT_NS;
}

/* Midpoint of a bucket in ns (truncation to us is undone by + width/2). */
static double index_mid(int32_t idx)
{
    int b;
    int64_t sub;
    index_split(idx, &b, &sub);
    double width_ns = (double)((int64_t)1 << b) * HIST_UNIT_NS;
    return (double)((sub << b) * HIST_UNIT_NS) + width_ns / 2.0;
}

/* ---- lifecycle ---------------------------------------------------------- */

void hist_init(struct hist *h)
{
    h->counts = xcalloc(HIST_COUNTS_LEN, sizeof(*h->counts));
    h->total = 0;
    h->min_idx = HIST_COUNTS_LEN;
    h->max_idx = -1;
}

void hist_fini(struct hist *h)
{
    if (h == NULL)
        return;
    free(h->counts);
    h->counts = NULL;
    h->total = 0;
    h->min_idx = HIST_COUNTS_LEN;
    h->max_idx = -1;
}

struct hist *hist_new(void)
{
    struct hist *h = xmalloc(sizeof(*h));
    hist_init(h);
    return h;
}

void hist_free(struct hist *h)
{
    if (h == NULL)
        return;
    hist_fini(h);
    free(h);
}

void hist_reset(struct hist *h)
{
    if (h->total > 0)
        memset(h->counts + h->min_idx, 0,
               (size_t)(h->max_idx - h->min_idx + 1) * sizeof(*h->counts));
    h->total = 0;
    h->min_idx = HIST_COUNTS_LEN;
    h->max_idx = -1;
}

/* ---- recording ------------------------------------------------------------
 */

bool hist_record(struct hist *h, int64_t value_ns)
{
    if (value_ns < 0 || value_ns > HIST_MAX_NS)
        return false;
    hist_add_index(h, hist_index_of(value_ns), 1);
    return true;
}

bool hist_record_n(struct hist *h, int64_t value_ns, int64_t n)
{
    if (value_ns < 0 || value_ns > HIST_MAX_NS || n < 0)
        return false;
    if (n > 0)
        hist_add_index(h, hist_index_of(value_ns), n);
    return true;
}

void hist_merge(struct hist *dst, const struct hist *src)
{
    if (src->total == 0)
        return;
    for (int32_t i = src->min_idx; i <= src->max_idx; i++)
        dst->counts[i] += src->counts[i];
    dst->total += src->total;
    if (src->min_idx < dst->min_idx)
        dst->min_idx = src->min_idx;
    if (src->max_idx > dst->max_idx)
        dst->max_idx = src->max_idx;
}

bool hist_equal(const struct hist *a, const struct hist *b)
{
    if (a->total != b->total || a->min_idx != b->min_idx ||
        a->max_idx != b->max_idx)
        return false;
    if (a->total == 0)
        return true;
    return memcmp(a->counts + a->min_idx, b->counts + b->min_idx,
                  (size_t)(a->max_idx - a->min_idx + 1) * sizeof(*a->counts)) ==
           0;
}

/* ---- statistics -----------------------------------------------------------
 */

int64_t hist_count(const struct hist *h)
{
    return h->total;
}

/* Nearest rank (ceil) of percentile p among total values, in [1, total];
 * the tiny shrink keeps a product like 0.999 * 1000 = 999.0000000000001
 * at 999. */
static int64_t percentile_rank(int64_t total, double p)
{
    if (!(p > 0))
        p = 0;
    if (p > 100)
        p = 100;
    double x = p / 100.0 * (double)total;
    int64_t rank = (int64_t)ceil(x * (1.0 - 1e-12));
    if (rank < 1)
        rank = 1;
    return rank > total ? total : rank;
}

int64_t hist_percentile(const struct hist *h, double p)
{
    if (h->total == 0)
        return 0;
    int64_t rank = percentile_rank(h->total, p), cum = 0;
    for (int32_t i = h->min_idx; i <= h->max_idx; i++) {
        cum += h->counts[i];
        if (cum >= rank)
            return hist_index_highest(i);
    }
    return hist_index_highest(h->max_idx);
}

int64_t hist_sparse_percentile(const struct hist_sparse *s, double p)
{
    if (s->total == 0 || s->n == 0)
        return 0;
    int64_t rank = percentile_rank(s->total, p), cum = 0;
    for (uint32_t k = 0; k < s->n; k++) {
        cum += s->count[k];
        if (cum >= rank)
            return hist_index_highest((int32_t)s->idx[k]);
    }
    return hist_index_highest((int32_t)s->idx[s->n - 1]);
}

int64_t hist_sparse_max(const struct hist_sparse *s)
{
    return s->n == 0 ? 0 : hist_index_highest((int32_t)s->idx[s->n - 1]);
}

int64_t hist_max(const struct hist *h)
{
    return h->total == 0 ? 0 : hist_index_highest(h->max_idx);
}

int64_t hist_min(const struct hist *h)
{
    return h->total == 0 ? 0 : hist_index_lowest(h->min_idx);
}

double hist_mean(const struct hist *h)
{
    if (h->total == 0)
        return 0;
    double sum = 0;
    for (int32_t i = h->min_idx; i <= h->max_idx; i++)
        if (h->counts[i] != 0)
            sum += (double)h->counts[i] * index_mid(i);
    return sum / (double)h->total;
}

double hist_stddev(const struct hist *h)
{
    if (h->total == 0)
        return 0;
    double mean = hist_mean(h), sq = 0;
    for (int32_t i = h->min_idx; i <= h->max_idx; i++) {
        if (h->counts[i] != 0) {
            double d = index_mid(i) - mean;
            sq += (double)h->counts[i] * d * d;
        }
    }
    return sqrt(sq / (double)h->total);
}

/* ---- iteration ------------------------------------------------------------
 */

void hist_iter_init(struct hist_iter *it)
{
    memset(it, 0, sizeof(*it));
    it->idx = -1;
}

bool hist_iter_next(const struct hist *h, struct hist_iter *it)
{
    int32_t i = it->idx + 1;
    if (i < h->min_idx)
        i = h->min_idx;
    for (; i <= h->max_idx; i++) {
        if (h->counts[i] != 0) {
            it->idx = i;
            it->count = h->counts[i];
            it->lo_ns = hist_index_lowest(i);
            it->hi_ns = hist_index_highest(i);
            it->cum += it->count;
            return true;
        }
    }
    it->idx = HIST_COUNTS_LEN;
    it->count = 0;
    return false;
}

/* ---- HdrHistogram percentile-distribution text ----------------------------
 */

/* The next reporting level: ticks_per_half rows per halving of the distance
 * to 100% (the percentile-iteration rule of HdrHistogram's output). */
static double next_level(double level, int ticks_per_half)
{
    double halvings = floor(log2(100.0 / (100.0 - level)));
    double ticks = (double)ticks_per_half * pow(2.0, halvings + 1.0);
    return level + 100.0 / ticks;
}

static int hgrm_row(FILE *out, double value, double level, int64_t cum,
                    bool last)
{
    int rc;
    if (last)
        rc = fprintf(out, "%12.3f %2.12f %10lld\n", value, level / 100.0,
                     (long long)cum);
    else
        rc = fprintf(out, "%12.3f %2.12f %10lld %14.2f\n", value, level / 100.0,
                     (long long)cum, 1.0 / (1.0 - level / 100.0));
    return rc < 0 ? ERR_IO : ERR_OK;
}

static int hgrm_rows(const struct hist *h, FILE *out, double unit_ns,
                     int ticks_per_half)
{
    double level = 0;
    struct hist_iter it;
    hist_iter_init(&it);
    while (hist_iter_next(h, &it)) {
        double pct = 100.0 * (double)it.cum / (double)h->total;
        double v = (double)it.hi_ns / unit_ns;
        if (it.cum == h->total) { /* last bucket: one row, then 100% */
            if (hgrm_row(out, v, level, it.cum, false) != ERR_OK ||
                hgrm_row(out, v, 100.0, it.cum, true) != ERR_OK)
                return ERR_IO;
            break;
        }
        while (pct >= level && level < 100.0) {
            if (hgrm_row(out, v, level, it.cum, false) != ERR_OK)
                return ERR_IO;
            level = next_level(level, ticks_per_half);
        }
    }
    return ERR_OK;
}

int hist_write_hgrm(const struct hist *h, FILE *out, double unit_ns,
                    int ticks_per_half)
{
    if (ticks_per_half < 1)
        ticks_per_half = 5;
    if (fprintf(out, "%12s %14s %10s %14s\n\n", "Value", "Percentile",
                "TotalCount", "1/(1-Percentile)") < 0)
        return ERR_IO;
    if (h->total > 0 && hgrm_rows(h, out, unit_ns, ticks_per_half) != ERR_OK)
        return ERR_IO;
    if (fprintf(out,
                "#[Mean    = %12.3f, StdDeviation   = %12.3f]\n"
                "#[Max     = %12.3f, Total count    = %12lld]\n"
                "#[Buckets = %12d, SubBuckets     = %12d]\n",
                hist_mean(h) / unit_ns, hist_stddev(h) / unit_ns,
                (double)hist_max(h) / unit_ns, (long long)h->total,
                HIST_N_BUCKETS, HIST_SUB_COUNT) < 0)
        return ERR_IO;
    return ferror(out) ? ERR_IO : ERR_OK;
}

/* ---- sparse form ----------------------------------------------------------
 */

void hist_sparse_init(struct hist_sparse *s)
{
    memset(s, 0, sizeof(*s));
}

void hist_sparse_fini(struct hist_sparse *s)
{
    if (s == NULL)
        return;
    free(s->idx);
    free(s->count);
    hist_sparse_init(s);
}

static void sparse_alloc(struct hist_sparse *s, uint32_t n)
{
    s->idx = n ? xmalloc(n * sizeof(*s->idx)) : NULL;
    s->count = n ? xmalloc(n * sizeof(*s->count)) : NULL;
    s->n = n;
}

void hist_sparse_set(struct hist_sparse *s, const struct hist *h)
{
    hist_sparse_fini(s);
    uint32_t n = 0;
    for (int32_t i = h->min_idx; i <= h->max_idx; i++)
        n += h->counts[i] != 0;
    sparse_alloc(s, n);
    uint32_t k = 0;
    for (int32_t i = h->min_idx; i <= h->max_idx; i++) {
        if (h->counts[i] != 0) {
            s->idx[k] = (uint32_t)i;
            s->count[k++] = h->counts[i];
        }
    }
    s->total = h->total;
}

void hist_sparse_merge(struct hist_sparse *s, const struct hist_sparse *src)
{
    if (src->n == 0)
        return;
    struct hist_sparse m;
    hist_sparse_init(&m);
    sparse_alloc(&m, s->n + src->n);
    uint32_t a = 0, b = 0, k = 0;
    while (a < s->n || b < src->n) {
        if (b == src->n || (a < s->n && s->idx[a] < src->idx[b])) {
            m.idx[k] = s->idx[a];
            m.count[k++] = s->count[a++];
        } else if (a == s->n || src->idx[b] < s->idx[a]) {
            m.idx[k] = src->idx[b];
            m.count[k++] = src->count[b++];
        } else {
            m.idx[k] = s->idx[a];
            m.count[k++] = s->count[a++] + src->count[b++];
        }
    }
    m.n = k;
    m.total = s->total + src->total;
    hist_sparse_fini(s);
    *s = m;
}

void hist_sparse_add_to(const struct hist_sparse *s, struct hist *h)
{
    for (uint32_t k = 0; k < s->n; k++)
        hist_add_index(h, (int32_t)s->idx[k], s->count[k]);
}

void hist_sparse_add_index(struct hist_sparse *s, int32_t idx, int64_t n)
{
    struct hist_sparse one = { 1, (uint32_t[]){ (uint32_t)idx },
                               (int64_t[]){ n }, n };
    if (n > 0)
        hist_sparse_merge(s, &one);
}

size_t hist_sparse_bytes(const struct hist_sparse *s)
{
    return (size_t)s->n * (sizeof(*s->idx) + sizeof(*s->count));
}

/* Writes v in decimal at p; returns the end.  At most 20 bytes. */
static char *put_dec(char *p, uint64_t v)
{
    char tmp[20];
    int k = 0;
    do {
        tmp[k++] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    while (k > 0)
        *p++ = tmp[--k];
    return p;
}

/* The text is built in a buffer and handed to stdio in large blocks: one
 * fprintf per bucket cost more than everything else the writer does. */
int hist_sparse_write(const struct hist_sparse *s, FILE *out)
{
    char buf[4096];
    char *p = put_dec(buf, s->n);
    uint32_t prev = 0;
    for (uint32_t k = 0; k < s->n; k++) {
        if (p > buf + sizeof(buf) - 48) { /* room for one more bucket */
            if (fwrite(buf, 1, (size_t)(p - buf), out) != (size_t)(p - buf))
                return ERR_IO;
            p = buf;
        }
        *p++ = ' ';
        p = put_dec(p, s->idx[k] - prev);
        *p++ = ':';
        if (s->count[k] < 0) /* never in a valid histogram */
            *p++ = '-';
        p = put_dec(p, s->count[k] < 0 ? 0 - (uint64_t)s->count[k]
                                       : (uint64_t)s->count[k]);
        prev = s->idx[k];
    }
    size_t len = (size_t)(p - buf);
    return fwrite(buf, 1, len, out) == len ? ERR_OK : ERR_IO;
}

/* Reads a decimal integer in [0, max] at *p (before end); advances *p. */
static bool parse_uint(const char **p, const char *end, int64_t max,
                       int64_t *out)
{
    const char *q = *p;
    int64_t v = 0;
    if (q == end || *q < '0' || *q > '9')
        return false;
    for (; q < end && *q >= '0' && *q <= '9'; q++) {
        if (v > (max - (*q - '0')) / 10)
            return false;
        v = v * 10 + (*q - '0');
    }
    *p = q;
    *out = v;
    return true;
}

int hist_sparse_parse(const char *text, size_t len, struct hist_sparse *out)
{
    const char *nl = memchr(text, '\n', len);
    const char *p = text, *end = nl ? nl : text + len;
    int64_t n, prev = 0, total = 0;
    struct hist_sparse s;
    hist_sparse_init(&s);
    if (!parse_uint(&p, end, HIST_COUNTS_LEN, &n))
        return ERR_PARSE;
    sparse_alloc(&s, (uint32_t)n);
    for (uint32_t k = 0; k < s.n; k++) {
        int64_t d, c;
        if (p == end || *p++ != ' ' ||
            !parse_uint(&p, end, HIST_COUNTS_LEN, &d) || p == end ||
            *p++ != ':' || !parse_uint(&p, end, INT64_MAX, &c))
            goto fail;
        int64_t idx = k == 0 ? d : prev + d;
        if ((k > 0 && d < 1) || idx >= HIST_COUNTS_LEN || c < 1 ||
            total > INT64_MAX - c)
            goto fail;
        s.idx[k] = (uint32_t)idx;
        s.count[k] = c;
        total += c;
        prev = idx;
    }
    if (p != end)
        goto fail;
    s.total = total;
    hist_sparse_fini(out);
    *out = s;
    return ERR_OK;
fail:
    hist_sparse_fini(&s);
    return ERR_PARSE;
}

/* ---- packed form ------------------------------------------------------------
 */

static size_t put_varint(uint8_t *out, uint64_t v)
{
    size_t k = 0;
    while (v >= 0x80) {
        out[k++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    out[k++] = (uint8_t)v;
    return k;
}

static uint64_t get_varint(const uint8_t **p)
{
    uint64_t v = 0;
    int shift = 0;
    const uint8_t *q = *p;
    while (*q & 0x80) {
        v |= (uint64_t)(*q++ & 0x7F) << shift;
        shift += 7;
    }
    v |= (uint64_t)*q++ << shift;
    *p = q;
    return v;
}

void hist_packed_init(struct hist_packed *p)
{
    memset(p, 0, sizeof(*p));
}

void hist_packed_fini(struct hist_packed *p)
{
    if (p == NULL)
        return;
    free(p->buf);
    hist_packed_init(p);
}

/* Encodes the n (idx, count) pairs into p, replacing its content. */
static void pack_pairs(struct hist_packed *p, const uint32_t *idx,
                       const int64_t *count, uint32_t n, int64_t total)
{
    /* worst case: 3 bytes per index delta, 10 per count */
    uint8_t *buf = n ? xmalloc((size_t)n * 13) : NULL;
    size_t len = 0;
    uint32_t prev = 0;
    for (uint32_t k = 0; k < n; k++) {
        len += put_varint(buf + len, idx[k] - prev);
        len += put_varint(buf + len, (uint64_t)count[k]);
        prev = idx[k];
    }
    hist_packed_fini(p);
    p->buf = n ? xrealloc(buf, len) : NULL;
    p->len = (uint32_t)len;
    p->n = n;
    p->total = total;
}

void hist_packed_set_sparse(struct hist_packed *p, const struct hist_sparse *s)
{
    pack_pairs(p, s->idx, s->count, s->n, s->total);
}

void hist_packed_set(struct hist_packed *p, const struct hist *h)
{
    struct hist_sparse s;
    hist_sparse_init(&s);
    hist_sparse_set(&s, h);
    hist_packed_set_sparse(p, &s);
    hist_sparse_fini(&s);
}

void hist_packed_to_sparse(const struct hist_packed *p, struct hist_sparse *s)
{
    hist_sparse_fini(s);
    sparse_alloc(s, p->n);
    const uint8_t *q = p->buf;
    uint32_t prev = 0;
    for (uint32_t k = 0; k < p->n; k++) {
        prev += (uint32_t)get_varint(&q);
        s->idx[k] = prev;
        s->count[k] = (int64_t)get_varint(&q);
    }
    s->total = p->total;
}

void hist_packed_add_to(const struct hist_packed *p, struct hist *h)
{
    const uint8_t *q = p->buf;
    uint32_t idx = 0;
    for (uint32_t k = 0; k < p->n; k++) {
        idx += (uint32_t)get_varint(&q);
        hist_add_index(h, (int32_t)idx, (int64_t)get_varint(&q));
    }
}

void hist_packed_merge(struct hist_packed *p, const struct hist_sparse *src)
{
    if (src->n == 0)
        return;
    struct hist_sparse s;
    hist_sparse_init(&s);
    hist_packed_to_sparse(p, &s);
    hist_sparse_merge(&s, src);
    hist_packed_set_sparse(p, &s);
    hist_sparse_fini(&s);
}

/*
 * trace.c - a trace file as a stream of requests in replay time.
 *
 * Reading: getline-style into one fixed buffer (TRACE_MAX_LINE), so
 * memory does not grow with the file; a longer line is consumed to its
 * newline and skipped.  The first line decides the format (TRACE_AUTO:
 * '{' is JSON lines, else a CSV header).
 *
 * Time: the first usable line is the origin; line time x becomes replay
 * time (x - origin - start) / speed.  Lines earlier than start are
 * counted (before_start) and not replayed; a line earlier than the line
 * before it is skipped as out_of_order (replay needs time order and
 * never reorders silently).  Reading stops at end_ns.
 *
 * Accounts: each distinct account string is given the next free account
 * of the population (0, 1, 2, ... in order of first appearance) through
 * an open-addressing table of 64-bit FNV-1a hashes; ids beyond the
 * population's count are skipped (too_many_accounts), so two callers of
 * the trace never share one simulated account.  Copy k (scale) of a
 * line counts as a caller of its own (the id hashed with k), so scale N
 * needs N times the accounts.
 *
 * Copies and n_requests: a line with n_requests = m and scale = N gives
 * m x N requests; the first copy of each is at the line's time, the
 * others shifted by uniform [0, jitter) from the population's arrival
 * stream.  They wait in a min-heap keyed by (time, order of creation) and
 * leave it once no later line can precede them (lines are in order, so
 * anything read later is at or after the last line's time).
 */
#include "core/model/trace.h"

/* Replay time of lines too far in the future to represent: about 146
 * years, past every run's end. */
#define TRACE_FAR_NS (INT64_C(1) << 62)

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define NS_PER_S_D 1e9

struct pending {
    int64_t t_ns;
    uint64_t order;
    struct trace_rec rec;
};

struct trace_src {
    struct trace_cfg cfg;
    FILE *f;
    bool csv;
    struct trace_cols cols;
    char *buf; /* TRACE_MAX_LINE bytes */
    int64_t line_no;
    bool eof;
    bool have_origin;
    double origin_s, last_s;
    int64_t last_line_ns; /* replay time of the last line read */
    struct rng jitter;
    /* distinct accounts: hash -> slot + 1 (0: empty) */
    uint64_t *keys;
    int64_t *slots;
    size_t cap, n_keys;
    /* copies waiting for their time */
    struct pending *heap;
    size_t heap_n, heap_cap;
    uint64_t order;
    struct trace_stats st;
    struct trace_line line; /* parsed fields of the current line */
};

/* ---- accounts ------------------------------------------------------------ */

static uint64_t fnv1a(const char *s, size_t n, uint64_t k)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 0x100000001b3ULL;
    h = (h ^ k) * 0x100000001b3ULL; /* the copy number */
    return h ? h : 1;
}

static void grow_keys(struct trace_src *s)
{
    size_t cap = s->cap ? 2 * s->cap : 1024;
    uint64_t *keys = xcalloc(cap, sizeof(*keys));
    int64_t *slots = xcalloc(cap, sizeof(*slots));
    for (size_t i = 0; i < s->cap; i++) {
        if (s->keys[i] == 0)
            continue;
        size_t j = s->keys[i] & (cap - 1);
        while (keys[j] != 0)
            j = (j + 1) & (cap - 1);
        keys[j] = s->keys[i];
        slots[j] = s->slots[i];
    }
    free(s->keys);
    free(s->slots);
    s->keys = keys;
    s->slots = slots;
    s->cap = cap;
}

/* The account of id (copy k); -1 when the population is full. */
static int64_t account_of(struct trace_src *s, const char *id, size_t n, int k)
{
    if (2 * (s->n_keys + 1) > s->cap)
        grow_keys(s);
    uint64_t h = fnv1a(id, n, (uint64_t)k);
    size_t j = h & (s->cap - 1);
    while (s->keys[j] != 0) {
        if (s->keys[j] == h)
            return s->slots[j];
        j = (j + 1) & (s->cap - 1);
    }
    if ((int64_t)s->n_keys >= s->cfg.accounts)
        return -1;
    s->keys[j] = h;
    s->slots[j] = (int64_t)s->n_keys++;
    s->st.distinct_accounts = (int64_t)s->n_keys;
    return s->slots[j];
}

/* ---- pending copies (min-heap on (t_ns, order)) ------------------------- */

static bool before(const struct pending *a, const struct pending *b)
{
    return a->t_ns < b->t_ns || (a->t_ns == b->t_ns && a->order < b->order);
}

static void heap_push(struct trace_src *s, const struct pending *p)
{
    if (s->heap_n == s->heap_cap) {
        s->heap_cap = s->heap_cap ? 2 * s->heap_cap : 64;
        s->heap = xrealloc(s->heap, s->heap_cap * sizeof(*s->heap));
    }
    size_t i = s->heap_n++;
    while (i > 0 && before(p, &s->heap[(i - 1) / 2])) {
        s->heap[i] = s->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    s->heap[i] = *p;
}

static void heap_pop(struct trace_src *s, struct pending *out)
{
    *out = s->heap[0];
    struct pending last = s->heap[--s->heap_n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= s->heap_n)
            break;
        if (c + 1 < s->heap_n && before(&s->heap[c + 1], &s->heap[c]))
            c++;
        if (!before(&s->heap[c], &last))
            break;
        s->heap[i] = s->heap[c];
        i = c;
    }
    if (s->heap_n > 0)
        s->heap[i] = last;
}

/* ---- reading ------------------------------------------------------------- */

static void skip(struct trace_src *s, enum trace_skip why)
{
    if (s->st.skipped[why]++ == 0)
        s->st.first_line[why] = s->line_no;
}

/* Reads one line into buf; false at EOF.  *too_long when it did not
 * fit (the rest of it is consumed). */
static bool read_line(struct trace_src *s, size_t *len, bool *too_long)
{
    *too_long = false;
    if (fgets(s->buf, TRACE_MAX_LINE, s->f) == NULL)
        return false;
    *len = strlen(s->buf);
    if (*len == TRACE_MAX_LINE - 1 && s->buf[*len - 1] != '\n') {
        *too_long = true;
        int c;
        while ((c = fgetc(s->f)) != EOF && c != '\n')
            ;
    }
    return true;
}

static int model_of(const struct trace_src *s, const struct trace_line *l)
{
    if (l->model == NULL)
        return -1;
    for (size_t m = 0; m < s->cfg.n_models; m++)
        if (strlen(s->cfg.models[m]) == l->model_len &&
            memcmp(s->cfg.models[m], l->model, l->model_len) == 0)
            return (int)m;
    return -2;
}

/* Turns a parsed line into pending requests; false: skipped. */
static bool take_line(struct trace_src *s, const struct trace_line *l)
{
    if (s->have_origin && l->time_s < s->last_s) {
        skip(s, TRACE_SKIP_OUT_OF_ORDER);
        return false;
    }
    int model = model_of(s, l);
    if (model == -2) {
        skip(s, TRACE_SKIP_UNKNOWN_MODEL);
        return false;
    }
    if (!s->have_origin) {
        s->have_origin = true;
        s->origin_s = l->time_s;
    }
    s->last_s = l->time_s;
    double rel_s = l->time_s - s->origin_s - (double)s->cfg.start_ns / 1e9;
    if (rel_s < 0) {
        s->st.before_start++;
        return false;
    }
    /* A line centuries after the first (a year typed wrong, found by the
     * fuzzer) would overflow int64 ns: it is past any run's end (a
     * duration is far below TRACE_FAR_NS), so it lands there and stops
     * the reading like any line after the end. */
    double t_d = rel_s / s->cfg.speed * NS_PER_S_D;
    int64_t t_ns =
        t_d < (double)TRACE_FAR_NS ? (int64_t)llround(t_d) : TRACE_FAR_NS;
    s->last_line_ns = t_ns;
    for (int k = 0; k < s->cfg.scale; k++) {
        int64_t acct = account_of(s, l->account, l->account_len, k);
        if (acct < 0) {
            skip(s, TRACE_SKIP_ACCOUNTS);
            return false;
        }
        for (int64_t r = 0; r < l->n_requests; r++) {
            struct pending p = { t_ns,
                                 s->order++,
                                 { t_ns, acct, model, l->prompt,
                                   l->completion } };
            if (k > 0 && s->cfg.jitter_ns > 0)
                p.t_ns +=
                    (int64_t)rng_below(&s->jitter, (uint64_t)s->cfg.jitter_ns);
            p.rec.t_ns = p.t_ns;
            heap_push(s, &p);
        }
    }
    return true;
}

/* Reads lines until one is taken; false at EOF or past end_ns. */
static bool read_more(struct trace_src *s)
{
    size_t len;
    bool too_long;
    while (!s->eof && read_line(s, &len, &too_long)) {
        s->line_no++;
        s->st.lines++;
        if (too_long) {
            skip(s, TRACE_SKIP_TOO_LONG);
            continue;
        }
        enum trace_skip why = TRACE_SKIP_MALFORMED;
        bool ok = s->csv
                      ? trace_parse_csv(&s->cols, s->buf, len, &s->line, &why)
                      : trace_parse_jsonl(s->buf, len, &s->line, &why);
        if (!ok) {
            skip(s, why);
            continue;
        }
        if (take_line(s, &s->line))
            return true;
    }
    s->eof = true;
    return false;
}

bool trace_next(struct trace_src *s, struct trace_rec *out)
{
    /* Nothing read later can precede a copy at or before the last line's
     * time; read until the heap's head is that safe or the file ends. */
    while (!s->eof && (s->heap_n == 0 || s->heap[0].t_ns > s->last_line_ns))
        if (!read_more(s))
            break;
    if (s->heap_n == 0)
        return false;
    struct pending p;
    heap_pop(s, &p);
    if (p.t_ns >= s->cfg.end_ns) {
        s->st.truncated = s->st.truncated || !s->eof || s->heap_n > 0;
        s->heap_n = 0;
        s->eof = true;
        return false;
    }
    *out = p.rec;
    s->st.requests++;
    return true;
}

/* ---- lifecycle ------------------------------------------------------------
 */

/* The first line: the CSV header, or a JSON line put back. */
static int first_line(struct trace_src *s, char *err, size_t err_len)
{
    int c = fgetc(s->f);
    if (c == EOF)
        return ERR_OK; /* empty trace: no requests */
    ungetc(c, s->f);
    s->csv =
        s->cfg.format == TRACE_CSV || (s->cfg.format == TRACE_AUTO && c != '{');
    if (!s->csv)
        return ERR_OK;
    size_t len;
    bool too_long;
    if (!read_line(s, &len, &too_long) || too_long) {
        snprintf(err, err_len, "%s:1: the header row is too long", s->cfg.path);
        return ERR_PARSE;
    }
    s->line_no = 1;
    char why[200];
    if (trace_parse_header(s->buf, len, &s->cols, why, sizeof(why)) != ERR_OK) {
        snprintf(err, err_len, "%s:1: %s", s->cfg.path, why);
        return ERR_PARSE;
    }
    return ERR_OK;
}

int trace_open(const struct trace_cfg *cfg, struct trace_src **out, char *err,
               size_t err_len)
{
    *out = NULL;
    FILE *f = fopen(cfg->path, "r");
    if (f == NULL) {
        snprintf(err, err_len, "%s: cannot open: %s", cfg->path,
                 strerror(errno));
        return ERR_IO;
    }
    struct trace_src *s = xcalloc(1, sizeof(*s));
    s->cfg = *cfg;
    if (!(s->cfg.speed > 0))
        s->cfg.speed = 1;
    if (s->cfg.scale < 1)
        s->cfg.scale = 1;
    s->f = f;
    s->buf = xmalloc(TRACE_MAX_LINE);
    rng_init(&s->jitter, cfg->seed, cfg->stream, RNG_ARRIVALS);
    int rc = first_line(s, err, err_len);
    if (rc != ERR_OK) {
        trace_close(s);
        return rc;
    }
    *out = s;
    return ERR_OK;
}

void trace_stats_get(const struct trace_src *s, struct trace_stats *out)
{
    *out = s->st;
}

void trace_stats_fmt(const struct trace_stats *st, char *buf, size_t len)
{
    size_t n =
        (size_t)snprintf(buf, len, "%lld lines, %lld requests, %lld accounts",
                         (long long)st->lines, (long long)st->requests,
                         (long long)st->distinct_accounts);
    for (int k = 0; k < TRACE_SKIP_COUNT && n < len; k++)
        if (st->skipped[k] > 0)
            n += (size_t)snprintf(buf + n, len - n,
                                  "; skipped %lld %s (first at line %lld)",
                                  (long long)st->skipped[k], trace_skip_id(k),
                                  (long long)st->first_line[k]);
    if (st->before_start > 0 && n < len)
        n += (size_t)snprintf(buf + n, len - n, "; %lld before start",
                              (long long)st->before_start);
    if (st->truncated && n < len)
        snprintf(buf + n, len - n, "; the rest is past the duration");
}

void trace_close(struct trace_src *s)
{
    if (s == NULL)
        return;
    if (s->f != NULL)
        fclose(s->f);
    free(s->buf);
    free(s->keys);
    free(s->slots);
    free(s->heap);
    free(s);
}

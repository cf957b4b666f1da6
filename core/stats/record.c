/*
 * record.c - the recorder: counters, histograms and the interval series.
 *
 * Layout: per population one struct rec_counts (summary accumulators,
 * warm-up excluded) and two histograms (all outcomes, ok); one histogram
 * per outcome plus one over all outcomes; for live runs service time and
 * schedule lag.  The series is an array of struct ival, one per interval,
 * fixed at creation.
 *
 * Summary histograms are not recorded into one by one: an attempt adds to
 * one staging histogram, that of its (population, outcome), allocated on
 * first use.  Folding adds every non-empty staging histogram into the four
 * views it belongs to (lat[outcome], lat_all, pop_all[pop], pop_ok[pop]
 * for ok) and frees it; it happens in rec_finish, rec_merge and whenever a
 * summary histogram is read, so readers always see every attempt.  Per
 * attempt that is two histogram adds (interval and stage) instead of five;
 * a fold costs O(touched buckets) per (population, outcome) used.
 *
 * Per-interval latency histograms: a dense histogram is ~221 KB, far too
 * much per interval, so only two dense "ring" histograms exist, owned by
 * the two most recent intervals by parity (interval i uses slot i & 1).
 * When an attempt lands in interval i whose slot belongs to an older
 * interval, that older interval is frozen: its non-zero buckets are copied
 * into ival.lat (packed varints, 2-3 bytes per non-zero bucket) and the
 * slot is reset for i.  An attempt landing in an interval older than its
 * slot's owner is merged into the frozen copy directly (rare: out-of-order
 * completions; counted as late).
 * The value of interval i is therefore always ival[i].lat plus the slot's
 * dense histogram when the slot owns i: exact at all times.  Each slot
 * lists the buckets it touched, so that freezing and resetting it cost
 * O(touched buckets), not O(the range between its lowest and highest
 * bucket): end-to-end request latencies of one interval can span
 * milliseconds to minutes (16,000 buckets) with few values.
 * There is one pair of slots per level: attempts and requests.
 *
 * Not here: threads (one recorder per thread), clocks, output formats.
 */
#include "core/stats/record.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "core/stats/record_load.h"

struct ival {
    int64_t offered;
    int64_t outcome[REASON_COUNT];
    int64_t final[REASON_COUNT];  /* requests started here, by final outcome */
    int64_t lost[REC_LOST_COUNT]; /* ... and those the generator lost */
    int64_t transport_errors;
    double gauge[REC_GAUGE_COUNT];
    uint8_t gauge_set;                  /* bit g set when gauge g was set */
    struct hist_packed lat[REC_LEVELS]; /* frozen latency buckets (packed):
                                           attempts and requests completed
                                           here */
};

/* A dense per-interval histogram and the buckets it touched (unsorted,
 * each once): touched[0..n_touched) are exactly its non-zero buckets. */
struct slot {
    struct hist h;
    uint32_t *touched; /* HIST_COUNTS_LEN entries */
    uint32_t n_touched;
    int64_t owner; /* interval owning the slot; -1: none */
};

/* The summary views of one level (enum rec_level) and their staging. */
struct level {
    struct hist by[REASON_COUNT]; /* by (final) outcome */
    struct hist all;
    struct hist *pop_all, *pop_ok; /* n_pops each */
    /* Staging: n_pops * REASON_COUNT histograms, counts NULL unless
     * staged[] lists them (holding counts not folded yet). */
    struct hist *stage;
    uint32_t *staged;
    size_t n_staged;
};

struct rec {
    struct rec_config cfg; /* pop_names NULL; names below */
    char (*names)[REC_NAME_MAX];
    size_t n_iv;
    struct ival *iv;
    struct slot ring[REC_LEVELS][2];

    struct rec_counts *pop_counts; /* n_pops, warm-up excluded */
    struct level lv[REC_LEVELS];
    struct hist tries;           /* attempts per request, as k us */
    int64_t ends[REC_END_COUNT]; /* requests by enum rec_end (summary) */
    struct hist service, lag;    /* initialised only when cfg.live */

    int64_t dropped, transport_errors, late;
    int64_t end_ns;
    bool complete;
};

/* ---- lifecycle -------------------------------------------------------------
 */

const char *rec_gauge_name(enum rec_gauge g)
{
    static const char *const names[REC_GAUGE_COUNT] = {
        "in_flight", "queue_len", "credit_remaining_usd",
        "rl_remaining_requests", "rl_remaining_tokens"
    };
    assert((int)g >= 0 && g < REC_GAUGE_COUNT);
    return names[g];
}

const char *rec_lost_name(enum rec_lost l)
{
    static const char *const names[REC_LOST_COUNT] = { "not_sent",
                                                       "abandoned_in_flight" };
    assert((int)l >= 0 && l < REC_LOST_COUNT);
    return names[l];
}

const char *rec_end_name(enum rec_end e)
{
    static const char *const names[REC_END_COUNT] = { "answer",
                                                      "retries_exhausted",
                                                      "run_ended" };
    assert((int)e >= 0 && e < REC_END_COUNT);
    return names[e];
}

static int check_config(const struct rec_config *cfg)
{
    if (cfg->duration_ns <= 0 || cfg->interval_ns <= 0 || cfg->warmup_ns < 0 ||
        cfg->n_pops < 1)
        return ERR_INVAL;
    if (cfg->n_pops > REC_MAX_POPS ||
        scn_interval_rows(cfg->duration_ns, cfg->interval_ns) >
            REC_MAX_INTERVALS)
        return ERR_TOOBIG;
    return ERR_OK;
}

/* The validator's charges (scenario.h) bound what a recorder holds. */
_Static_assert(HIST_COUNTS_LEN * sizeof(int64_t) <= SCN_REC_HIST_BYTES,
               "SCN_REC_HIST_BYTES below a histogram's size");
_Static_assert(sizeof(struct ival) <= SCN_REC_ROW_BYTES,
               "SCN_REC_ROW_BYTES below an interval row's size");
_Static_assert(sizeof(struct rec_counts) + REC_NAME_MAX <= SCN_REC_POP_BYTES,
               "SCN_REC_POP_BYTES below a population's counters and name");

static void copy_names(struct rec *r, const char *const *names)
{
    r->names = xcalloc(r->cfg.n_pops, sizeof(*r->names));
    for (size_t p = 0; p < r->cfg.n_pops; p++) {
        if (names != NULL && names[p] != NULL)
            strncpy(r->names[p], names[p], REC_NAME_MAX - 1);
        else
            snprintf(r->names[p], REC_NAME_MAX, "pop%zu", p);
    }
}

static void slot_init(struct slot *sl)
{
    hist_init(&sl->h);
    sl->touched = xcalloc(HIST_COUNTS_LEN, sizeof(*sl->touched));
    sl->n_touched = 0;
    sl->owner = -1;
}

static void slot_fini(struct slot *sl)
{
    hist_fini(&sl->h);
    free(sl->touched);
}

static inline void slot_add(struct slot *sl, int32_t idx, int64_t n)
{
    if (sl->h.counts[idx] == 0 && n > 0)
        sl->touched[sl->n_touched++] = (uint32_t)idx;
    hist_add_index(&sl->h, idx, n);
}

static void slot_add_sparse(struct slot *sl, const struct hist_sparse *s)
{
    for (uint32_t k = 0; k < s->n; k++)
        slot_add(sl, (int32_t)s->idx[k], s->count[k]);
}

/* Empties the slot's histogram in O(touched); keeps its owner. */
static void slot_reset(struct slot *sl)
{
    for (uint32_t k = 0; k < sl->n_touched; k++)
        sl->h.counts[sl->touched[k]] = 0;
    sl->n_touched = 0;
    sl->h.total = 0;
    sl->h.min_idx = HIST_COUNTS_LEN;
    sl->h.max_idx = -1;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* The slot's histogram in sparse form into out, in O(t log t) for t
 * touched buckets.  Sorts the touched list in place, which changes no
 * observable state (hence const, as fold()). */
static void slot_sparse(const struct slot *csl, struct hist_sparse *out)
{
    struct slot *sl = (struct slot *)csl;
    /* Dense enough: a scan of [min, max] (two passes, a few instructions
     * a bucket) is cheaper than sorting the list (a comparison call per
     * element per level).  Sparse, wide ones (end-to-end latencies) sort. */
    int64_t range = (int64_t)sl->h.max_idx - sl->h.min_idx + 1;
    if (range <= (int64_t)sl->n_touched * 32) {
        hist_sparse_fini(out);
        hist_sparse_set(out, &sl->h);
        return;
    }
    qsort(sl->touched, sl->n_touched, sizeof(*sl->touched), cmp_u32);
    struct hist_sparse s = { sl->n_touched, sl->touched, NULL, sl->h.total };
    s.count = xcalloc(sl->n_touched ? sl->n_touched : 1, sizeof(*s.count));
    for (uint32_t k = 0; k < sl->n_touched; k++)
        s.count[k] = sl->h.counts[sl->touched[k]];
    hist_sparse_fini(out);
    hist_sparse_merge(out, &s);
    free(s.count);
}

static void level_init(struct level *l, size_t np)
{
    for (int o = 0; o < REASON_COUNT; o++)
        hist_init(&l->by[o]);
    hist_init(&l->all);
    l->pop_all = xcalloc(np, sizeof(*l->pop_all));
    l->pop_ok = xcalloc(np, sizeof(*l->pop_ok));
    for (size_t p = 0; p < np; p++) {
        hist_init(&l->pop_all[p]);
        hist_init(&l->pop_ok[p]);
    }
    l->stage = xcalloc(np * REASON_COUNT, sizeof(*l->stage));
    l->staged = xcalloc(np * REASON_COUNT, sizeof(*l->staged));
}

static void level_fini(struct level *l, size_t np)
{
    for (int o = 0; o < REASON_COUNT; o++)
        hist_fini(&l->by[o]);
    hist_fini(&l->all);
    for (size_t p = 0; p < np; p++) {
        hist_fini(&l->pop_all[p]);
        hist_fini(&l->pop_ok[p]);
    }
    free(l->pop_all);
    free(l->pop_ok);
    for (size_t k = 0; k < np * REASON_COUNT; k++)
        hist_fini(&l->stage[k]);
    free(l->stage);
    free(l->staged);
}

static void level_reset(struct level *l, size_t np)
{
    for (int o = 0; o < REASON_COUNT; o++)
        hist_reset(&l->by[o]);
    hist_reset(&l->all);
    for (size_t p = 0; p < np; p++) {
        hist_reset(&l->pop_all[p]);
        hist_reset(&l->pop_ok[p]);
    }
    for (size_t k = 0; k < l->n_staged; k++)
        hist_fini(&l->stage[l->staged[k]]);
    l->n_staged = 0;
}

int rec_new(const struct rec_config *cfg, struct rec **out)
{
    int rc = check_config(cfg);
    if (rc != ERR_OK)
        return rc;
    struct rec *r = xcalloc(1, sizeof(*r));
    r->cfg = *cfg;
    r->cfg.pop_names = NULL;
    copy_names(r, cfg->pop_names);
    r->n_iv = (size_t)scn_interval_rows(cfg->duration_ns, cfg->interval_ns);
    r->iv = xcalloc(r->n_iv, sizeof(*r->iv));
    for (int k = 0; k < REC_LEVELS; k++) {
        for (int s = 0; s < 2; s++)
            slot_init(&r->ring[k][s]);
        level_init(&r->lv[k], cfg->n_pops);
    }
    r->pop_counts = xcalloc(cfg->n_pops, sizeof(*r->pop_counts));
    hist_init(&r->tries);
    if (cfg->live) {
        hist_init(&r->service);
        hist_init(&r->lag);
    }
    r->end_ns = cfg->duration_ns;
    r->complete = true;
    *out = r;
    return ERR_OK;
}

void rec_free(struct rec *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->n_iv; i++) /* read-only: pages stay shared */
        for (int k = 0; k < REC_LEVELS; k++)
            free(r->iv[i].lat[k].buf);
    free(r->iv);
    for (int k = 0; k < REC_LEVELS; k++) {
        for (int s = 0; s < 2; s++)
            slot_fini(&r->ring[k][s]);
        level_fini(&r->lv[k], r->cfg.n_pops);
    }
    free(r->pop_counts);
    hist_fini(&r->tries);
    if (r->cfg.live) {
        hist_fini(&r->service);
        hist_fini(&r->lag);
    }
    free(r->names);
    free(r);
}

void rec_reset(struct rec *r)
{
    for (size_t i = 0; i < r->n_iv; i++) {
        for (int k = 0; k < REC_LEVELS; k++)
            hist_packed_fini(&r->iv[i].lat[k]);
        memset(&r->iv[i], 0, sizeof(r->iv[i]));
    }
    for (int k = 0; k < REC_LEVELS; k++) {
        for (int s = 0; s < 2; s++) {
            slot_reset(&r->ring[k][s]);
            r->ring[k][s].owner = -1;
        }
        level_reset(&r->lv[k], r->cfg.n_pops);
    }
    memset(r->pop_counts, 0, r->cfg.n_pops * sizeof(*r->pop_counts));
    hist_reset(&r->tries);
    memset(r->ends, 0, sizeof(r->ends));
    if (r->cfg.live) {
        hist_reset(&r->service);
        hist_reset(&r->lag);
    }
    r->dropped = r->transport_errors = r->late = 0;
    r->end_ns = r->cfg.duration_ns;
    r->complete = true;
}

/* ---- interval histograms ----------------------------------------------------
 */

size_t rec_interval_of(const struct rec *r, int64_t t_ns)
{
    if (t_ns <= 0)
        return 0;
    int64_t i = t_ns / r->cfg.interval_ns;
    return i >= (int64_t)r->n_iv ? r->n_iv - 1 : (size_t)i;
}

/* Moves level k's dense slot s into its owner's sparse copy. */
static void freeze_slot(struct rec *r, int k, int s)
{
    struct slot *sl = &r->ring[k][s];
    if (sl->owner >= 0 && sl->h.total > 0) {
        struct hist_sparse tmp;
        hist_sparse_init(&tmp);
        slot_sparse(sl, &tmp);
        struct hist_packed *lat = &r->iv[sl->owner].lat[k];
        if (lat->n == 0)
            hist_packed_set_sparse(lat, &tmp);
        else
            hist_packed_merge(lat, &tmp);
        hist_sparse_fini(&tmp);
        slot_reset(sl);
    }
    sl->owner = -1;
}

static inline void ival_record(struct rec *r, int k, size_t i, int32_t idx)
{
    struct slot *sl = &r->ring[k][i & 1];
    if (sl->owner != (int64_t)i) {
        if (sl->owner > (int64_t)i) { /* older than the slot: late */
            struct hist_sparse one = { 1, (uint32_t[]){ (uint32_t)idx },
                                       (int64_t[]){ 1 }, 1 };
            hist_packed_merge(&r->iv[i].lat[k], &one);
            r->late++;
            return;
        }
        freeze_slot(r, k, (int)(i & 1));
        sl->owner = (int64_t)i;
    }
    slot_add(sl, idx, 1);
}

/* ---- summary staging -------------------------------------------------------
 */

/* Adds every staged histogram of l into its views and empties it. */
static void fold_level(struct level *l)
{
    for (size_t k = 0; k < l->n_staged; k++) {
        uint32_t s = l->staged[k];
        size_t pop = s / REASON_COUNT;
        int o = (int)(s % REASON_COUNT);
        struct hist *h = &l->stage[s];
        hist_merge(&l->by[o], h);
        hist_merge(&l->all, h);
        hist_merge(&l->pop_all[pop], h);
        if (o == REASON_OK)
            hist_merge(&l->pop_ok[pop], h);
        hist_fini(h); /* its memory too: folds are rare (end, reads) */
    }
    l->n_staged = 0;
}

/* Folds both levels.  Takes a const recorder because readers call it: the
 * views are a cache of the staged counts, and every recorder is a heap
 * object created non-const by rec_new, so writing through the cast is
 * defined. */
static void fold(const struct rec *cr)
{
    struct rec *r = (struct rec *)cr;
    for (int k = 0; k < REC_LEVELS; k++)
        fold_level(&r->lv[k]);
}

/* Records bucket idx for (pop, outcome) in l's staging histogram. */
static inline void stage_add(struct level *l, int pop, enum reason outcome,
                             int32_t idx)
{
    uint32_t s = (uint32_t)pop * REASON_COUNT + (uint32_t)outcome;
    struct hist *h = &l->stage[s];
    if (h->counts == NULL) {
        hist_init(h);
        l->staged[l->n_staged++] = s;
    }
    hist_add_index(h, idx, 1);
}

/* ---- hot path -------------------------------------------------------------
 */

void rec_offered(struct rec *r, int pop, int64_t intended_ns)
{
    assert(pop >= 0 && (size_t)pop < r->cfg.n_pops);
    r->iv[rec_interval_of(r, intended_ns)].offered++;
    if (intended_ns >= r->cfg.warmup_ns)
        r->pop_counts[pop].offered++;
}

/* Summary part of rec_attempt (after warm-up); false when a value was out
 * of range. */
static bool attempt_summary(struct rec *r, int pop, enum reason outcome,
                            int32_t idx, int64_t sent_ns, int64_t done_ns,
                            int64_t intended_ns)
{
    bool in_range = idx >= 0;
    r->pop_counts[pop].outcome[outcome]++;
    if (in_range)
        stage_add(&r->lv[REC_ATTEMPT], pop, outcome, idx);
    if (r->cfg.live) {
        in_range &= hist_record(&r->service, done_ns - sent_ns);
        in_range &= hist_record(&r->lag, sent_ns - intended_ns);
    }
    return in_range;
}

bool rec_attempt(struct rec *r, int pop, enum reason outcome,
                 int64_t intended_ns, int64_t sent_ns, int64_t done_ns)
{
    assert(pop >= 0 && (size_t)pop < r->cfg.n_pops);
    assert((int)outcome >= 0 && outcome < REASON_COUNT);
    size_t i = rec_interval_of(r, done_ns);
    int32_t idx = hist_index_of(done_ns - intended_ns);
    bool in_range = idx >= 0;
    r->iv[i].outcome[outcome]++;
    if (in_range)
        ival_record(r, REC_ATTEMPT, i, idx);
    if (done_ns >= r->cfg.warmup_ns)
        in_range &= attempt_summary(r, pop, outcome, idx, sent_ns, done_ns,
                                    intended_ns);
    if (!in_range)
        r->dropped++;
    return in_range;
}

bool rec_request(struct rec *r, int pop, enum reason outcome, enum rec_end end,
                 int attempts, int64_t first_ns, int64_t done_ns)
{
    assert((int)end >= 0 && end < REC_END_COUNT);
    assert(pop >= 0 && (size_t)pop < r->cfg.n_pops);
    assert((int)outcome >= 0 && outcome < REASON_COUNT);
    assert(attempts >= 1);
    r->iv[rec_interval_of(r, first_ns)].final[outcome]++;
    int32_t idx = hist_index_of(done_ns - first_ns);
    bool in_range = idx >= 0;
    if (in_range)
        ival_record(r, REC_REQUEST, rec_interval_of(r, done_ns), idx);
    if (first_ns >= r->cfg.warmup_ns) {
        r->pop_counts[pop].final[outcome]++;
        r->ends[end]++;
        if (in_range)
            stage_add(&r->lv[REC_REQUEST], pop, outcome, idx);
        /* k attempts as k us: below 2048 us a bucket's index is its
         * value, so no index arithmetic on the hot path */
        int32_t t = attempts < HIST_SUB_COUNT
                        ? attempts
                        : hist_index_of((int64_t)attempts * HIST_UNIT_NS);
        hist_add_index(&r->tries, t, 1);
    }
    if (!in_range)
        r->dropped++;
    return in_range;
}

void rec_request_lost(struct rec *r, int pop, enum rec_lost why, int attempts,
                      int64_t first_ns)
{
    assert(pop >= 0 && (size_t)pop < r->cfg.n_pops);
    assert((int)why >= 0 && why < REC_LOST_COUNT);
    assert(attempts >= 0);
    r->iv[rec_interval_of(r, first_ns)].lost[why]++;
    if (first_ns >= r->cfg.warmup_ns) {
        r->pop_counts[pop].lost[why]++;
        if (!hist_record(&r->tries, attempts * HIST_UNIT_NS))
            r->dropped++;
    }
}

void rec_gauge(struct rec *r, enum rec_gauge g, int64_t t_ns, double value)
{
    assert((int)g >= 0 && g < REC_GAUGE_COUNT);
    struct ival *iv = &r->iv[rec_interval_of(r, t_ns)];
    iv->gauge[g] = value;
    iv->gauge_set |= (uint8_t)(1u << g);
}

void rec_transport_error(struct rec *r, int64_t t_ns)
{
    r->iv[rec_interval_of(r, t_ns)].transport_errors++;
    if (t_ns >= r->cfg.warmup_ns)
        r->transport_errors++;
}

/* ---- end, merge -----------------------------------------------------------
 */

void rec_finish(struct rec *r, int64_t end_ns, bool complete)
{
    fold(r);
    for (int k = 0; k < REC_LEVELS; k++) {
        freeze_slot(r, k, 0);
        freeze_slot(r, k, 1);
    }
    if (end_ns < 0)
        end_ns = 0;
    if (end_ns > r->cfg.duration_ns)
        end_ns = r->cfg.duration_ns;
    r->end_ns = end_ns;
    r->complete = complete;
}

static bool same_config(const struct rec *a, const struct rec *b)
{
    if (a->cfg.duration_ns != b->cfg.duration_ns ||
        a->cfg.interval_ns != b->cfg.interval_ns ||
        a->cfg.warmup_ns != b->cfg.warmup_ns ||
        a->cfg.n_pops != b->cfg.n_pops || a->cfg.live != b->cfg.live)
        return false;
    for (size_t p = 0; p < a->cfg.n_pops; p++)
        if (strcmp(a->names[p], b->names[p]) != 0)
            return false;
    return true;
}

static void counts_add(struct rec_counts *d, const struct rec_counts *s)
{
    d->offered += s->offered;
    for (int o = 0; o < REASON_COUNT; o++) {
        d->outcome[o] += s->outcome[o];
        d->final[o] += s->final[o];
    }
    for (int l = 0; l < REC_LOST_COUNT; l++)
        d->lost[l] += s->lost[l];
}

/* Adds a sparse histogram into level k of interval i of dst, dense slot
 * or frozen. */
static void ival_add_sparse(struct rec *dst, int k, size_t i,
                            const struct hist_sparse *s)
{
    struct slot *sl = &dst->ring[k][i & 1];
    if (sl->owner == (int64_t)i)
        slot_add_sparse(sl, s);
    else
        hist_packed_merge(&dst->iv[i].lat[k], s);
}

static void ival_merge_lat(struct rec *dst, const struct rec *src, int k,
                           size_t i, struct hist_sparse *tmp)
{
    const struct ival *s = &src->iv[i];
    if (s->lat[k].n > 0) {
        hist_packed_to_sparse(&s->lat[k], tmp);
        ival_add_sparse(dst, k, i, tmp);
    }
    const struct slot *sl = &src->ring[k][i & 1];
    if (sl->owner == (int64_t)i && sl->h.total > 0) {
        slot_sparse(sl, tmp);
        ival_add_sparse(dst, k, i, tmp);
    }
}

static void ival_merge(struct rec *dst, const struct rec *src, size_t i)
{
    struct ival *d = &dst->iv[i];
    const struct ival *s = &src->iv[i];
    d->offered += s->offered;
    for (int o = 0; o < REASON_COUNT; o++) {
        d->outcome[o] += s->outcome[o];
        d->final[o] += s->final[o];
    }
    for (int l = 0; l < REC_LOST_COUNT; l++)
        d->lost[l] += s->lost[l];
    d->transport_errors += s->transport_errors;
    for (int g = 0; g < REC_GAUGE_COUNT; g++) {
        if (s->gauge_set & (1u << g)) {
            d->gauge[g] = (d->gauge_set & (1u << g)) ? d->gauge[g] + s->gauge[g]
                                                     : s->gauge[g];
            d->gauge_set |= (uint8_t)(1u << g);
        }
    }
    struct hist_sparse tmp;
    hist_sparse_init(&tmp);
    for (int k = 0; k < REC_LEVELS; k++)
        ival_merge_lat(dst, src, k, i, &tmp);
    hist_sparse_fini(&tmp);
}

static void level_merge(struct level *d, const struct level *s, size_t np)
{
    for (size_t p = 0; p < np; p++) {
        hist_merge(&d->pop_all[p], &s->pop_all[p]);
        hist_merge(&d->pop_ok[p], &s->pop_ok[p]);
    }
    for (int o = 0; o < REASON_COUNT; o++)
        hist_merge(&d->by[o], &s->by[o]);
    hist_merge(&d->all, &s->all);
}

int rec_merge(struct rec *dst, const struct rec *src)
{
    if (!same_config(dst, src))
        return ERR_INVAL;
    fold(dst);
    fold(src);
    for (size_t i = 0; i < dst->n_iv; i++)
        ival_merge(dst, src, i);
    for (size_t p = 0; p < dst->cfg.n_pops; p++)
        counts_add(&dst->pop_counts[p], &src->pop_counts[p]);
    for (int k = 0; k < REC_LEVELS; k++)
        level_merge(&dst->lv[k], &src->lv[k], dst->cfg.n_pops);
    hist_merge(&dst->tries, &src->tries);
    for (int e = 0; e < REC_END_COUNT; e++)
        dst->ends[e] += src->ends[e];
    if (dst->cfg.live) {
        hist_merge(&dst->service, &src->service);
        hist_merge(&dst->lag, &src->lag);
    }
    dst->dropped += src->dropped;
    dst->transport_errors += src->transport_errors;
    dst->late += src->late;
    if (src->end_ns > dst->end_ns)
        dst->end_ns = src->end_ns;
    dst->complete = dst->complete && src->complete;
    return ERR_OK;
}

/* ---- reading ------------------------------------------------------------- */

const struct rec_config *rec_config(const struct rec *r)
{
    return &r->cfg;
}

size_t rec_n_pops(const struct rec *r)
{
    return r->cfg.n_pops;
}

const char *rec_pop_name(const struct rec *r, size_t pop)
{
    assert(pop < r->cfg.n_pops);
    return r->names[pop];
}

size_t rec_n_intervals(const struct rec *r)
{
    return r->n_iv;
}

size_t rec_n_covered(const struct rec *r)
{
    int64_t n = (r->end_ns + r->cfg.interval_ns - 1) / r->cfg.interval_ns;
    if (n < 1)
        n = 1;
    return n > (int64_t)r->n_iv ? r->n_iv : (size_t)n;
}

int64_t rec_end_ns(const struct rec *r)
{
    return r->end_ns;
}

bool rec_complete(const struct rec *r)
{
    return r->complete;
}

void rec_counts_get(const struct rec *r, int pop, struct rec_counts *out)
{
    memset(out, 0, sizeof(*out));
    for (size_t p = 0; p < r->cfg.n_pops; p++)
        if (pop < 0 || (size_t)pop == p)
            counts_add(out, &r->pop_counts[p]);
}

const struct hist *rec_lvl_lat(const struct rec *r, enum rec_level k,
                               enum reason outcome)
{
    assert((int)k >= 0 && k < REC_LEVELS);
    assert((int)outcome >= 0 && outcome < REASON_COUNT);
    fold(r);
    return &r->lv[k].by[outcome];
}

const struct hist *rec_lvl_lat_all(const struct rec *r, enum rec_level k)
{
    assert((int)k >= 0 && k < REC_LEVELS);
    fold(r);
    return &r->lv[k].all;
}

const struct hist *rec_lvl_pop_all(const struct rec *r, enum rec_level k,
                                   size_t pop)
{
    assert((int)k >= 0 && k < REC_LEVELS && pop < r->cfg.n_pops);
    fold(r);
    return &r->lv[k].pop_all[pop];
}

const struct hist *rec_lvl_pop_ok(const struct rec *r, enum rec_level k,
                                  size_t pop)
{
    assert((int)k >= 0 && k < REC_LEVELS && pop < r->cfg.n_pops);
    fold(r);
    return &r->lv[k].pop_ok[pop];
}

const struct hist *rec_lat(const struct rec *r, enum reason outcome)
{
    return rec_lvl_lat(r, REC_ATTEMPT, outcome);
}

const struct hist *rec_lat_all(const struct rec *r)
{
    return rec_lvl_lat_all(r, REC_ATTEMPT);
}

const struct hist *rec_pop_lat_all(const struct rec *r, size_t pop)
{
    return rec_lvl_pop_all(r, REC_ATTEMPT, pop);
}

const struct hist *rec_pop_lat_ok(const struct rec *r, size_t pop)
{
    return rec_lvl_pop_ok(r, REC_ATTEMPT, pop);
}

const struct hist *rec_tries(const struct rec *r)
{
    return &r->tries;
}

const struct hist *rec_service(const struct rec *r)
{
    return r->cfg.live ? &r->service : NULL;
}

const struct hist *rec_lag(const struct rec *r)
{
    return r->cfg.live ? &r->lag : NULL;
}

void rec_ends(const struct rec *r, int64_t out[REC_END_COUNT])
{
    memcpy(out, r->ends, sizeof(r->ends));
}

void rec_ends_load(struct rec *r, const int64_t ends[REC_END_COUNT])
{
    memcpy(r->ends, ends, sizeof(r->ends));
}

int64_t rec_dropped(const struct rec *r)
{
    return r->dropped;
}

int64_t rec_transport_errors(const struct rec *r)
{
    return r->transport_errors;
}

int64_t rec_late(const struct rec *r)
{
    return r->late;
}

void rec_interval_counts(const struct rec *r, size_t i, struct rec_counts *out)
{
    assert(i < r->n_iv);
    memset(out, 0, sizeof(*out));
    out->offered = r->iv[i].offered;
    memcpy(out->outcome, r->iv[i].outcome, sizeof(out->outcome));
    memcpy(out->final, r->iv[i].final, sizeof(out->final));
    memcpy(out->lost, r->iv[i].lost, sizeof(out->lost));
}

void rec_interval_gauges(const struct rec *r, size_t i,
                         double out[REC_GAUGE_COUNT], bool set[REC_GAUGE_COUNT])
{
    assert(i < r->n_iv);
    for (int g = 0; g < REC_GAUGE_COUNT; g++) {
        bool is_set = (r->iv[i].gauge_set >> g) & 1u;
        out[g] = is_set ? r->iv[i].gauge[g] : 0.0;
        if (set != NULL)
            set[g] = is_set;
    }
}

void rec_interval_lvl_lat_add(const struct rec *r, enum rec_level k, size_t i,
                              struct hist *h)
{
    assert(i < r->n_iv && (int)k >= 0 && k < REC_LEVELS);
    hist_packed_add_to(&r->iv[i].lat[k], h);
    const struct slot *sl = &r->ring[k][i & 1];
    if (sl->owner == (int64_t)i)
        hist_merge(h, &sl->h);
}

void rec_interval_lvl_lat_sparse(const struct rec *r, enum rec_level k,
                                 size_t i, struct hist_sparse *out)
{
    assert(i < r->n_iv && (int)k >= 0 && k < REC_LEVELS);
    hist_packed_to_sparse(&r->iv[i].lat[k], out);
    const struct slot *sl = &r->ring[k][i & 1];
    if (sl->owner == (int64_t)i && sl->h.total > 0) {
        struct hist_sparse ring;
        hist_sparse_init(&ring);
        slot_sparse(sl, &ring);
        hist_sparse_merge(out, &ring);
        hist_sparse_fini(&ring);
    }
}

void rec_interval_lat_add(const struct rec *r, size_t i, struct hist *h)
{
    rec_interval_lvl_lat_add(r, REC_ATTEMPT, i, h);
}

int64_t rec_interval_transport_errors(const struct rec *r, size_t i)
{
    assert(i < r->n_iv);
    return r->iv[i].transport_errors;
}

size_t rec_bytes(const struct rec *r)
{
    size_t np = r->cfg.n_pops;
    size_t n_hist = REC_LEVELS * (2 + 2 * np + REASON_COUNT + 1) + 1 +
                    (r->cfg.live ? 2 : 0);
    size_t b = sizeof(*r) + n_hist * HIST_COUNTS_LEN * sizeof(int64_t) +
               REC_LEVELS * 2 * HIST_COUNTS_LEN * sizeof(uint32_t);
    b += r->n_iv * sizeof(*r->iv) +
         np * (sizeof(*r->names) + sizeof(*r->pop_counts));
    for (size_t i = 0; i < r->n_iv; i++)
        for (int k = 0; k < REC_LEVELS; k++)
            b += r->iv[i].lat[k].len;
    for (int k = 0; k < REC_LEVELS; k++)
        for (size_t s = 0; s < np * REASON_COUNT; s++)
            if (r->lv[k].stage[s].counts != NULL)
                b += HIST_COUNTS_LEN * sizeof(int64_t);
    return b;
}

/* ---- raw access for readers ------------------------------------------------
 */

/* Drops the dense slot of level k that owns interval i, if any. */
static void ring_release(struct rec *r, int k, size_t i)
{
    struct slot *sl = &r->ring[k][i & 1];
    if (sl->owner == (int64_t)i) {
        slot_reset(sl);
        sl->owner = -1;
    }
}

void rec_interval_load(struct rec *r, size_t i, const struct rec_counts *c,
                       const double gauge[REC_GAUGE_COUNT],
                       const bool set[REC_GAUGE_COUNT],
                       const struct hist_sparse *lat, int64_t transport_errors)
{
    assert(i < r->n_iv);
    struct ival *iv = &r->iv[i];
    ring_release(r, REC_ATTEMPT, i);
    iv->offered = c->offered;
    memcpy(iv->outcome, c->outcome, sizeof(iv->outcome));
    iv->gauge_set = 0;
    for (int g = 0; g < REC_GAUGE_COUNT; g++) {
        iv->gauge[g] = set[g] ? gauge[g] : 0.0;
        iv->gauge_set |= (uint8_t)((set[g] ? 1u : 0u) << g);
    }
    hist_packed_set_sparse(&iv->lat[REC_ATTEMPT], lat);
    iv->transport_errors = transport_errors;
}

void rec_interval_req_load(struct rec *r, size_t i,
                           const int64_t final[REASON_COUNT],
                           const int64_t lost[REC_LOST_COUNT],
                           const struct hist_sparse *lat)
{
    assert(i < r->n_iv);
    struct ival *iv = &r->iv[i];
    ring_release(r, REC_REQUEST, i);
    memcpy(iv->final, final, sizeof(iv->final));
    memcpy(iv->lost, lost, sizeof(iv->lost));
    hist_packed_set_sparse(&iv->lat[REC_REQUEST], lat);
}

struct hist *rec_lvl_lat_mut(struct rec *r, enum rec_level k,
                             enum reason outcome)
{
    return (struct hist *)rec_lvl_lat(r, k, outcome);
}

struct hist *rec_lvl_lat_all_mut(struct rec *r, enum rec_level k)
{
    return (struct hist *)rec_lvl_lat_all(r, k);
}

struct hist *rec_lvl_pop_all_mut(struct rec *r, enum rec_level k, size_t pop)
{
    return (struct hist *)rec_lvl_pop_all(r, k, pop);
}

struct hist *rec_lvl_pop_ok_mut(struct rec *r, enum rec_level k, size_t pop)
{
    return (struct hist *)rec_lvl_pop_ok(r, k, pop);
}

struct hist *rec_tries_mut(struct rec *r)
{
    return &r->tries;
}

struct hist *rec_service_mut(struct rec *r)
{
    return r->cfg.live ? &r->service : NULL;
}

struct hist *rec_lag_mut(struct rec *r)
{
    return r->cfg.live ? &r->lag : NULL;
}

void rec_pop_counts_load(struct rec *r, size_t pop, const struct rec_counts *c)
{
    assert(pop < r->cfg.n_pops);
    r->pop_counts[pop] = *c;
}

void rec_totals_load(struct rec *r, int64_t dropped, int64_t transport_errors,
                     int64_t late, int64_t end_ns, bool complete)
{
    r->dropped = dropped;
    r->transport_errors = transport_errors;
    r->late = late;
    r->end_ns = end_ns;
    r->complete = complete;
}

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
 * dense histogram when the slot owns i: exact at all times.
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
    int64_t transport_errors;
    double gauge[REC_GAUGE_COUNT];
    uint8_t gauge_set;      /* bit g set when gauge g was set */
    struct hist_packed lat; /* frozen latency buckets (packed) */
};

struct rec {
    struct rec_config cfg; /* pop_names NULL; names below */
    char (*names)[REC_NAME_MAX];
    size_t n_iv;
    struct ival *iv;
    struct hist ring[2];
    int64_t ring_owner[2]; /* interval owning each slot; -1: none */

    struct rec_counts *pop_counts; /* n_pops, warm-up excluded */
    struct hist *pop_all, *pop_ok; /* n_pops each */
    struct hist lat[REASON_COUNT]; /* by outcome */
    struct hist lat_all;
    struct hist service, lag; /* initialised only when cfg.live */

    /* Staging: n_pops * REASON_COUNT histograms, counts NULL unless
     * staged[] lists them (holding counts not folded yet). */
    struct hist *stage;
    uint32_t *staged;
    size_t n_staged;

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
    for (int s = 0; s < 2; s++) {
        hist_init(&r->ring[s]);
        r->ring_owner[s] = -1;
    }
    size_t np = cfg->n_pops;
    r->pop_counts = xcalloc(np, sizeof(*r->pop_counts));
    r->pop_all = xcalloc(np, sizeof(*r->pop_all));
    r->pop_ok = xcalloc(np, sizeof(*r->pop_ok));
    for (size_t p = 0; p < np; p++) {
        hist_init(&r->pop_all[p]);
        hist_init(&r->pop_ok[p]);
    }
    for (int o = 0; o < REASON_COUNT; o++)
        hist_init(&r->lat[o]);
    hist_init(&r->lat_all);
    if (cfg->live) {
        hist_init(&r->service);
        hist_init(&r->lag);
    }
    r->stage = xcalloc(np * REASON_COUNT, sizeof(*r->stage));
    r->staged = xcalloc(np * REASON_COUNT, sizeof(*r->staged));
    r->end_ns = cfg->duration_ns;
    r->complete = true;
    *out = r;
    return ERR_OK;
}

void rec_free(struct rec *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->n_iv; i++) { /* read-only: pages stay shared */
        free(r->iv[i].lat.buf);
    }
    free(r->iv);
    hist_fini(&r->ring[0]);
    hist_fini(&r->ring[1]);
    for (size_t p = 0; p < r->cfg.n_pops; p++) {
        hist_fini(&r->pop_all[p]);
        hist_fini(&r->pop_ok[p]);
    }
    free(r->pop_all);
    free(r->pop_ok);
    free(r->pop_counts);
    for (int o = 0; o < REASON_COUNT; o++)
        hist_fini(&r->lat[o]);
    hist_fini(&r->lat_all);
    if (r->cfg.live) {
        hist_fini(&r->service);
        hist_fini(&r->lag);
    }
    for (size_t k = 0; k < r->cfg.n_pops * REASON_COUNT; k++)
        hist_fini(&r->stage[k]);
    free(r->stage);
    free(r->staged);
    free(r->names);
    free(r);
}

void rec_reset(struct rec *r)
{
    for (size_t i = 0; i < r->n_iv; i++) {
        hist_packed_fini(&r->iv[i].lat);
        memset(&r->iv[i], 0, sizeof(r->iv[i]));
    }
    for (int s = 0; s < 2; s++) {
        hist_reset(&r->ring[s]);
        r->ring_owner[s] = -1;
    }
    for (size_t p = 0; p < r->cfg.n_pops; p++) {
        memset(&r->pop_counts[p], 0, sizeof(r->pop_counts[p]));
        hist_reset(&r->pop_all[p]);
        hist_reset(&r->pop_ok[p]);
    }
    for (int o = 0; o < REASON_COUNT; o++)
        hist_reset(&r->lat[o]);
    hist_reset(&r->lat_all);
    if (r->cfg.live) {
        hist_reset(&r->service);
        hist_reset(&r->lag);
    }
    for (size_t k = 0; k < r->n_staged; k++)
        hist_fini(&r->stage[r->staged[k]]);
    r->n_staged = 0;
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

/* Moves the dense slot's content into its owner's sparse copy. */
static void freeze_slot(struct rec *r, int s)
{
    int64_t owner = r->ring_owner[s];
    struct hist *h = &r->ring[s];
    if (owner >= 0 && h->total > 0) {
        struct hist_packed *lat = &r->iv[owner].lat;
        if (lat->n == 0) {
            hist_packed_set(lat, h);
        } else {
            struct hist_sparse tmp;
            hist_sparse_init(&tmp);
            hist_sparse_set(&tmp, h);
            hist_packed_merge(lat, &tmp);
            hist_sparse_fini(&tmp);
        }
        hist_reset(h);
    }
    r->ring_owner[s] = -1;
}

static void ival_record(struct rec *r, size_t i, int32_t idx)
{
    int s = (int)(i & 1);
    if (r->ring_owner[s] != (int64_t)i) {
        if (r->ring_owner[s] > (int64_t)i) { /* older than the slot: late */
            struct hist_sparse one = { 1, (uint32_t[]){ (uint32_t)idx },
                                       (int64_t[]){ 1 }, 1 };
            hist_packed_merge(&r->iv[i].lat, &one);
            r->late++;
            return;
        }
        freeze_slot(r, s);
        r->ring_owner[s] = (int64_t)i;
    }
    hist_add_index(&r->ring[s], idx, 1);
}

/* ---- summary staging -------------------------------------------------------
 */

/* Adds every staged histogram into the summary views and empties it.
 * Takes a const recorder because readers call it: the views are a cache of
 * the staged counts, and every recorder is a heap object created non-const
 * by rec_new, so writing through the cast is defined. */
static void fold(const struct rec *cr)
{
    struct rec *r = (struct rec *)cr;
    for (size_t k = 0; k < r->n_staged; k++) {
        uint32_t s = r->staged[k];
        size_t pop = s / REASON_COUNT;
        int o = (int)(s % REASON_COUNT);
        struct hist *h = &r->stage[s];
        hist_merge(&r->lat[o], h);
        hist_merge(&r->lat_all, h);
        hist_merge(&r->pop_all[pop], h);
        if (o == REASON_OK)
            hist_merge(&r->pop_ok[pop], h);
        hist_fini(h); /* its memory too: folds are rare (end, reads) */
    }
    r->n_staged = 0;
}

/* Records bucket idx for (pop, outcome) in its staging histogram. */
static inline void stage_add(struct rec *r, int pop, enum reason outcome,
                             int32_t idx)
{
    uint32_t s = (uint32_t)pop * REASON_COUNT + (uint32_t)outcome;
    struct hist *h = &r->stage[s];
    if (h->counts == NULL) {
        hist_init(h);
        r->staged[r->n_staged++] = s;
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
        stage_add(r, pop, outcome, idx);
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
        ival_record(r, i, idx);
    if (done_ns >= r->cfg.warmup_ns)
        in_range &= attempt_summary(r, pop, outcome, idx, sent_ns, done_ns,
                                    intended_ns);
    if (!in_range)
        r->dropped++;
    return in_range;
}

void rec_final(struct rec *r, int pop, enum reason outcome, int64_t done_ns)
{
    assert(pop >= 0 && (size_t)pop < r->cfg.n_pops);
    assert((int)outcome >= 0 && outcome < REASON_COUNT);
    if (done_ns >= r->cfg.warmup_ns)
        r->pop_counts[pop].final[outcome]++;
}

void rec_final_lost(struct rec *r, int pop, enum rec_lost why, int64_t done_ns)
{
    assert(pop >= 0 && (size_t)pop < r->cfg.n_pops);
    assert((int)why >= 0 && why < REC_LOST_COUNT);
    if (done_ns >= r->cfg.warmup_ns)
        r->pop_counts[pop].lost[why]++;
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
    freeze_slot(r, 0);
    freeze_slot(r, 1);
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

/* Adds a sparse histogram into interval i of dst, dense slot or frozen. */
static void ival_add_sparse(struct rec *dst, size_t i,
                            const struct hist_sparse *s)
{
    int slot = (int)(i & 1);
    if (dst->ring_owner[slot] == (int64_t)i)
        hist_sparse_add_to(s, &dst->ring[slot]);
    else
        hist_packed_merge(&dst->iv[i].lat, s);
}

static void ival_merge(struct rec *dst, const struct rec *src, size_t i)
{
    struct ival *d = &dst->iv[i];
    const struct ival *s = &src->iv[i];
    d->offered += s->offered;
    for (int o = 0; o < REASON_COUNT; o++)
        d->outcome[o] += s->outcome[o];
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
    if (s->lat.n > 0) {
        hist_packed_to_sparse(&s->lat, &tmp);
        ival_add_sparse(dst, i, &tmp);
    }
    int slot = (int)(i & 1);
    if (src->ring_owner[slot] == (int64_t)i && src->ring[slot].total > 0) {
        hist_sparse_set(&tmp, &src->ring[slot]);
        ival_add_sparse(dst, i, &tmp);
    }
    hist_sparse_fini(&tmp);
}

int rec_merge(struct rec *dst, const struct rec *src)
{
    if (!same_config(dst, src))
        return ERR_INVAL;
    fold(dst);
    fold(src);
    for (size_t i = 0; i < dst->n_iv; i++)
        ival_merge(dst, src, i);
    for (size_t p = 0; p < dst->cfg.n_pops; p++) {
        counts_add(&dst->pop_counts[p], &src->pop_counts[p]);
        hist_merge(&dst->pop_all[p], &src->pop_all[p]);
        hist_merge(&dst->pop_ok[p], &src->pop_ok[p]);
    }
    for (int o = 0; o < REASON_COUNT; o++)
        hist_merge(&dst->lat[o], &src->lat[o]);
    hist_merge(&dst->lat_all, &src->lat_all);
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

const struct hist *rec_lat(const struct rec *r, enum reason outcome)
{
    assert((int)outcome >= 0 && outcome < REASON_COUNT);
    fold(r);
    return &r->lat[outcome];
}

const struct hist *rec_lat_all(const struct rec *r)
{
    fold(r);
    return &r->lat_all;
}

const struct hist *rec_pop_lat_all(const struct rec *r, size_t pop)
{
    assert(pop < r->cfg.n_pops);
    fold(r);
    return &r->pop_all[pop];
}

const struct hist *rec_pop_lat_ok(const struct rec *r, size_t pop)
{
    assert(pop < r->cfg.n_pops);
    fold(r);
    return &r->pop_ok[pop];
}

const struct hist *rec_service(const struct rec *r)
{
    return r->cfg.live ? &r->service : NULL;
}

const struct hist *rec_lag(const struct rec *r)
{
    return r->cfg.live ? &r->lag : NULL;
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

void rec_interval_lat_add(const struct rec *r, size_t i, struct hist *h)
{
    assert(i < r->n_iv);
    hist_packed_add_to(&r->iv[i].lat, h);
    int s = (int)(i & 1);
    if (r->ring_owner[s] == (int64_t)i)
        hist_merge(h, &r->ring[s]);
}

int64_t rec_interval_transport_errors(const struct rec *r, size_t i)
{
    assert(i < r->n_iv);
    return r->iv[i].transport_errors;
}

size_t rec_bytes(const struct rec *r)
{
    size_t n_hist =
        2 + 2 * r->cfg.n_pops + REASON_COUNT + 1 + (r->cfg.live ? 2 : 0);
    size_t b = sizeof(*r) + n_hist * HIST_COUNTS_LEN * sizeof(int64_t);
    b += r->n_iv * sizeof(*r->iv) +
         r->cfg.n_pops * (sizeof(*r->names) + sizeof(*r->pop_counts));
    for (size_t i = 0; i < r->n_iv; i++)
        b += r->iv[i].lat.len;
    for (size_t k = 0; k < r->cfg.n_pops * REASON_COUNT; k++)
        if (r->stage[k].counts != NULL)
            b += HIST_COUNTS_LEN * sizeof(int64_t);
    return b;
}

/* ---- raw access for readers ------------------------------------------------
 */

void rec_interval_load(struct rec *r, size_t i, const struct rec_counts *c,
                       const double gauge[REC_GAUGE_COUNT],
                       const bool set[REC_GAUGE_COUNT],
                       const struct hist_sparse *lat, int64_t transport_errors)
{
    assert(i < r->n_iv);
    struct ival *iv = &r->iv[i];
    int s = (int)(i & 1);
    if (r->ring_owner[s] == (int64_t)i) {
        hist_reset(&r->ring[s]);
        r->ring_owner[s] = -1;
    }
    iv->offered = c->offered;
    memcpy(iv->outcome, c->outcome, sizeof(iv->outcome));
    iv->gauge_set = 0;
    for (int g = 0; g < REC_GAUGE_COUNT; g++) {
        iv->gauge[g] = set[g] ? gauge[g] : 0.0;
        iv->gauge_set |= (uint8_t)((set[g] ? 1u : 0u) << g);
    }
    hist_packed_set_sparse(&iv->lat, lat);
    iv->transport_errors = transport_errors;
}

struct hist *rec_lat_mut(struct rec *r, enum reason outcome)
{
    assert((int)outcome >= 0 && outcome < REASON_COUNT);
    fold(r);
    return &r->lat[outcome];
}

struct hist *rec_lat_all_mut(struct rec *r)
{
    fold(r);
    return &r->lat_all;
}

struct hist *rec_pop_lat_all_mut(struct rec *r, size_t pop)
{
    assert(pop < r->cfg.n_pops);
    fold(r);
    return &r->pop_all[pop];
}

struct hist *rec_pop_lat_ok_mut(struct rec *r, size_t pop)
{
    assert(pop < r->cfg.n_pops);
    fold(r);
    return &r->pop_ok[pop];
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

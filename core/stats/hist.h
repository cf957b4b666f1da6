/*
 * hist.h - log-linear (HDR-style) latency histogram with fixed memory.
 *
 * Values are nanoseconds, recorded at 1 microsecond resolution (a value is
 * truncated to whole microseconds) with 3 significant decimal digits: every
 * bucket is narrower than 1/1024 of its lowest value, so a reported value
 * is within 0.1% of every value it stands for.  The range is 0 to
 * HIST_MAX_NS (2^36 us, about 19 hours); larger or negative values are not
 * recorded and hist_record() returns false so that the caller counts them.
 *
 * Layout (our own, HdrHistogram's idea): values below 2048 us have one
 * bucket each; above, each power-of-two range [1024 * 2^k, 2048 * 2^k) us
 * is split into 1024 equal buckets of width 2^k us.  The counts array is
 * allocated once by hist_init() and never grows (HIST_COUNTS_LEN int64
 * counts, about 221 KB).  Merging adds counts bucket by bucket, so it is
 * exact and order-independent.
 *
 * A histogram is not thread-safe: each thread records into its own and the
 * owner merges them after join.
 */
#ifndef TOLLGATE_HIST_H
#define TOLLGATE_HIST_H

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/base/err.h"

#define HIST_SUB_BITS   11 /* 2048 sub-buckets: 3 significant digits */
#define HIST_SUB_COUNT  (1 << HIST_SUB_BITS)
#define HIST_SUB_HALF   (HIST_SUB_COUNT / 2)
#define HIST_MAX_BITS   36 /* highest trackable value is 2^36 - 1 us */
#define HIST_N_BUCKETS  (HIST_MAX_BITS - HIST_SUB_BITS + 1)    /* 26 */
#define HIST_COUNTS_LEN ((HIST_N_BUCKETS + 1) * HIST_SUB_HALF) /* 27648 */
#define HIST_UNIT_NS    1000LL                                 /* 1 us */
/* Largest recordable value in ns (2^36 us - 1 ns). */
#define HIST_MAX_NS (((int64_t)1 << HIST_MAX_BITS) * HIST_UNIT_NS - 1)

struct hist {
    int64_t total;   /* values recorded (sum of counts) */
    int32_t min_idx; /* lowest non-zero bucket; HIST_COUNTS_LEN if empty */
    int32_t max_idx; /* highest non-zero bucket; -1 if empty */
    int64_t *counts; /* HIST_COUNTS_LEN counts, owned */
};

/* Prepares h, empty, allocating its counts once (fatal on OOM). */
void hist_init(struct hist *h);
/* Releases the counts; h may be NULL or already finalised. */
void hist_fini(struct hist *h);
/* Heap variants of init/fini; hist_free accepts NULL. */
struct hist *hist_new(void);
void hist_free(struct hist *h);

/* Empties h without freeing (O(HIST_COUNTS_LEN)). */
void hist_reset(struct hist *h);

/* Records one value (ns).  O(1), no allocation.  Returns false, and
 * records nothing, when value_ns < 0 or value_ns > HIST_MAX_NS. */
bool hist_record(struct hist *h, int64_t value_ns);
/* Records n >= 0 copies of value_ns; false as hist_record. */
bool hist_record_n(struct hist *h, int64_t value_ns, int64_t n);

/* Adds n >= 0 to bucket idx (0 <= idx < HIST_COUNTS_LEN, asserted): for
 * callers that record one value into several histograms and compute the
 * index once with hist_index_of().  Inline: the recorders call it for
 * every attempt. */
static inline void hist_add_index(struct hist *h, int32_t idx, int64_t n)
{
    assert(idx >= 0 && idx < HIST_COUNTS_LEN && n >= 0);
    if (n == 0)
        return;
    h->counts[idx] += n;
    h->total += n;
    if (idx < h->min_idx)
        h->min_idx = idx;
    if (idx > h->max_idx)
        h->max_idx = idx;
}

/* Adds every count of src to dst (exact). */
void hist_merge(struct hist *dst, const struct hist *src);

/* True when every bucket of a equals that of b. */
bool hist_equal(const struct hist *a, const struct hist *b);

/* Number of values recorded (sum of all counts). */
int64_t hist_count(const struct hist *h);

/* The value at percentile p in [0, 100], HdrHistogram semantics: the
 * highest value equivalent to the bucket holding the ceil(p/100 * total)th
 * value (at least the 1st), in ns at us resolution.  0 when empty. */
int64_t hist_percentile(const struct hist *h, double p);
/* Highest-equivalent value of the highest / lowest non-empty bucket (ns);
 * 0 when empty. */
int64_t hist_max(const struct hist *h);
int64_t hist_min(const struct hist *h);
/* Mean in ns computed from bucket midpoints (deterministic, so merged and
 * unmerged histograms agree exactly); 0 when empty. */
double hist_mean(const struct hist *h);
/* Standard deviation in ns from bucket midpoints; 0 when empty. */
double hist_stddev(const struct hist *h);

/* ---- bucket geometry --------------------------------------------------- */

/* Bucket index of a value (ns); -1 when out of range.  Inline, for the
 * same reason as hist_add_index. */
static inline int32_t hist_index_of(int64_t value_ns)
{
    if (value_ns < 0 || value_ns > HIST_MAX_NS)
        return -1;
    /* range b: the smallest b >= 0 with v < 2048 << b (hist.c) */
    uint64_t v = (uint64_t)(value_ns / HIST_UNIT_NS);
    int pow2ceil = 64 - __builtin_clzll(v | (uint64_t)(HIST_SUB_COUNT - 1));
    int b = pow2ceil - HIST_SUB_BITS;
    return (int32_t)(((int64_t)b << (HIST_SUB_BITS - 1)) + (int64_t)(v >> b));
}
/* Lowest and highest value (ns, us resolution) that map to bucket idx. */
int64_t hist_index_lowest(int32_t idx);
int64_t hist_index_highest(int32_t idx);

/* ---- iteration over non-zero buckets ------------------------------------ */

struct hist_iter {
    int32_t idx;   /* current bucket; start with hist_iter_init */
    int64_t count; /* its count */
    int64_t lo_ns; /* lowest equivalent value */
    int64_t hi_ns; /* highest equivalent value (what percentiles report) */
    int64_t cum;   /* counts up to and including this bucket */
};

void hist_iter_init(struct hist_iter *it);
/* Advances to the next non-zero bucket; false at the end. */
bool hist_iter_next(const struct hist *h, struct hist_iter *it);

/* ---- output -------------------------------------------------------------- */

/*
 * Writes h as HdrHistogram's percentile distribution text (what its
 * plotter reads): a "Value Percentile TotalCount 1/(1-Percentile)" table
 * with ticks_per_half (HdrHistogram uses 5) rows per halving of the
 * remaining percentile distance, then the #[Mean ...], #[Max ...] and
 * #[Buckets ...] footer.  Values are divided by unit_ns (1e6 for ms).
 * Returns ERR_OK or ERR_IO (errno kept).
 */
int hist_write_hgrm(const struct hist *h, FILE *out, double unit_ns,
                    int ticks_per_half) WARN_UNUSED;

/* ---- sparse form (non-zero buckets only) -------------------------------- */

/* A compact copy of a histogram: non-zero buckets in increasing index
 * order.  Used for per-interval histograms and in histograms.tgh. */
struct hist_sparse {
    uint32_t n;     /* non-zero buckets */
    uint32_t *idx;  /* n bucket indices, strictly increasing, owned */
    int64_t *count; /* n counts > 0, owned */
    int64_t total;  /* sum of count */
};

/* hist_percentile and hist_max of the histogram s stands for, in
 * O(s->n). */
int64_t hist_sparse_percentile(const struct hist_sparse *s, double p);
int64_t hist_sparse_max(const struct hist_sparse *s);

/* Empty sparse histogram (no allocation). */
void hist_sparse_init(struct hist_sparse *s);
void hist_sparse_fini(struct hist_sparse *s);
/* Replaces s with the non-zero buckets of h (one allocation pair). */
void hist_sparse_set(struct hist_sparse *s, const struct hist *h);
/* Adds src's buckets into s (sorted merge; reallocates s). */
void hist_sparse_merge(struct hist_sparse *s, const struct hist_sparse *src);
/* Adds the buckets of s into the dense histogram h (exact). */
void hist_sparse_add_to(const struct hist_sparse *s, struct hist *h);
/* Adds n copies of bucket idx into s (insertion; reallocates). */
void hist_sparse_add_index(struct hist_sparse *s, int32_t idx, int64_t n);
/* Bytes of heap memory s holds. */
size_t hist_sparse_bytes(const struct hist_sparse *s);

/*
 * Text serialisation of non-zero buckets, one line without newline:
 *   "<n> <d1>:<c1> <d2>:<c2> ..."  where d1 is the first bucket index,
 * each later d the increase over the previous index (>= 1), and c the
 * count (> 0).  hist_sparse_write writes s; hist_sparse_parse reads such text
 * from s_text (up to len bytes or the first newline) into out (replaced),
 * returning ERR_PARSE for malformed text or indices out of range.
 */
int hist_sparse_write(const struct hist_sparse *s, FILE *out) WARN_UNUSED;
int hist_sparse_parse(const char *text, size_t len,
                      struct hist_sparse *out) WARN_UNUSED;

/* ---- packed form (varint bytes; what the recorder keeps per interval) ---- */

/*
 * The non-zero buckets as a byte string: for each bucket the index delta
 * from the previous one (the first: the index itself) and the count, both
 * as LEB128 varints.  A typical bucket takes 2-3 bytes instead of 12, so
 * 600 intervals of a few thousand distinct latencies stay within a few MB.
 */
struct hist_packed {
    uint8_t *buf;  /* len bytes, owned; NULL when empty */
    uint32_t len;  /* bytes */
    uint32_t n;    /* non-zero buckets */
    int64_t total; /* sum of counts */
};

void hist_packed_init(struct hist_packed *p);
void hist_packed_fini(struct hist_packed *p);
/* Replaces p with the non-zero buckets of h (one allocation). */
void hist_packed_set(struct hist_packed *p, const struct hist *h);
/* Replaces p with the buckets of s. */
void hist_packed_set_sparse(struct hist_packed *p, const struct hist_sparse *s);
/* Replaces s with p's buckets. */
void hist_packed_to_sparse(const struct hist_packed *p, struct hist_sparse *s);
/* Adds p's buckets into the dense histogram h (exact). */
void hist_packed_add_to(const struct hist_packed *p, struct hist *h);
/* Adds src's buckets into p (exact; reallocates p). */
void hist_packed_merge(struct hist_packed *p, const struct hist_sparse *src);

#endif

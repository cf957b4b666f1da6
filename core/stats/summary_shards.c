/*
 * summary_shards.c - which shards of a run a result holds.
 *
 * `merge` must add each shard of a run exactly once: a shard given twice
 * doubles its counts, and a missing shard makes a part look like the
 * whole.  Every result therefore says which shards it covers, as sorted,
 * coalesced ranges of shard indices out of a count (run --shard I/N
 * writes [I, I] of N).  Merging adds ranges and refuses any overlap; a
 * set that covers 0..N-1 becomes the whole-run form (count 0, no ranges),
 * which is also what an unsharded run has, so a complete merge and an
 * unsharded run write the same summary.json.
 *
 * Invariant: count == 0 and n == 0, or count > 1 and 1 <= n with
 * 0 <= ranges[0].lo, ranges[i].hi + 1 < ranges[i + 1].lo, hi < count.
 */
#include "core/stats/summary.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void summary_shards_fini(struct summary_shards *sh)
{
    if (sh == NULL)
        return;
    free(sh->ranges);
    memset(sh, 0, sizeof(*sh));
}

void summary_shards_set(struct summary_shards *sh, int64_t index, int64_t count)
{
    summary_shards_fini(sh);
    if (count <= 1)
        return;
    sh->count = count;
    sh->ranges = xmalloc(sizeof(*sh->ranges));
    sh->ranges[0] = (struct summary_range){ index, index };
    sh->n = 1;
}

void summary_shards_copy(struct summary_shards *dst,
                         const struct summary_shards *src)
{
    free(dst->ranges);
    *dst = *src;
    dst->ranges = NULL;
    if (src->n > 0) {
        dst->ranges = xmalloc(src->n * sizeof(*dst->ranges));
        memcpy(dst->ranges, src->ranges, src->n * sizeof(*dst->ranges));
    }
}

static int cmp_range(const void *a, const void *b)
{
    const struct summary_range *x = a, *y = b;
    return x->lo < y->lo ? -1 : x->lo > y->lo;
}

int summary_shards_add(struct summary_shards *acc,
                       const struct summary_shards *src, int64_t *dup)
{
    /* A whole run holds every shard, so anything added to it, or it
     * added to anything, holds some shard twice. */
    if (acc->count <= 1 || src->count <= 1) {
        *dup = src->count > 1   ? src->ranges[0].lo
               : acc->count > 1 ? acc->ranges[0].lo
                                : 0;
        return ERR_INVAL;
    }
    if (acc->count != src->count)
        return ERR_RANGE;
    size_t na = acc->n, ns = src->n;
    struct summary_range *all = xmalloc((na + ns) * sizeof(*all));
    memcpy(all, acc->ranges, na * sizeof(*all));
    memcpy(all + na, src->ranges, ns * sizeof(*all));
    qsort(all, na + ns, sizeof(*all), cmp_range);
    size_t w = 0;
    for (size_t i = 0; i < na + ns; i++) {
        if (w > 0 && all[i].lo <= all[w - 1].hi) {
            *dup = all[i].lo;
            free(all);
            return ERR_INVAL;
        }
        if (w > 0 && all[i].lo == all[w - 1].hi + 1)
            all[w - 1].hi = all[i].hi;
        else
            all[w++] = all[i];
    }
    free(acc->ranges);
    acc->ranges = all;
    acc->n = w;
    acc->partial = acc->partial || src->partial;
    summary_shards_normalize(acc);
    return ERR_OK;
}

int64_t summary_shards_missing(const struct summary_shards *sh)
{
    if (sh->count <= 1)
        return -1;
    if (sh->ranges[0].lo > 0)
        return 0;
    if (sh->ranges[0].hi < sh->count - 1)
        return sh->ranges[0].hi + 1;
    return -1;
}

void summary_shards_normalize(struct summary_shards *sh)
{
    if (sh->count > 1 && summary_shards_missing(sh) < 0)
        summary_shards_fini(sh); /* whole, so not partial either */
}

char *summary_shards_fmt(char *buf, size_t len, const struct summary_shards *sh)
{
    if (len == 0)
        return buf;
    if (sh->count <= 1) {
        snprintf(buf, len, "the whole run");
        return buf;
    }
    size_t pos = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < sh->n && pos < len; i++) {
        const struct summary_range *r = &sh->ranges[i];
        int k = r->lo == r->hi
                    ? snprintf(buf + pos, len - pos, "%s%" PRId64, i ? "," : "",
                               r->lo)
                    : snprintf(buf + pos, len - pos, "%s%" PRId64 "-%" PRId64,
                               i ? "," : "", r->lo, r->hi);
        pos += k > 0 ? (size_t)k : 0;
    }
    if (pos < len)
        snprintf(buf + pos, len - pos, " of %" PRId64, sh->count);
    return buf;
}

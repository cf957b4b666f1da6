/*
 * results_merge.c - combine shard results directories exactly.
 *
 * Each shard's histograms.tgh is read back into a recorder and the
 * recorders are added with rec_merge(): counters and bucket counts add, so
 * every number derived afterwards (summary, time series, percentiles) is
 * what one unsharded recorder would give.  summary.json contributes only
 * metadata (scenario name, mode, seed), which must agree on the scenario,
 * and the live runs' "generator" blocks, which add up.
 * Inputs are read one at a time, so memory is two recorders whatever the
 * shard count.
 *
 * Not here: option parsing and messages to the user (cli/cmd_merge.c).
 */
#include "core/results/results.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/base/units.h"

static char *join(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = xmalloc(n);
    snprintf(p, n, "%s/%s", dir, name);
    return p;
}

PRINTF_LIKE(4, 5)
static int fail_msg(char *err, size_t err_len, int rc, const char *fmt, ...)
{
    if (err != NULL && err_len > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, err_len, fmt, ap);
        va_end(ap);
    }
    return rc;
}

/* Reads dir's summary.json (metadata) and histograms.tgh. */
static int read_shard(const char *dir, struct summary *s, struct rec **r,
                      char *err, size_t err_len)
{
    char *path = join(dir, RESULTS_SUMMARY);
    int rc = results_read_summary(path, s, err, err_len);
    free(path);
    if (rc != ERR_OK)
        return rc;
    path = join(dir, RESULTS_TGH);
    rc = results_read_tgh(path, r, err, err_len);
    free(path);
    return rc;
}

static bool same_dir(const char *a, const char *b)
{
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

/* The merge so far: the recorder, the first input's metadata, and the
 * union of shards and warnings. */
struct merge_acc {
    const char *first; /* first input's directory, for messages */
    struct rec *rec;
    struct summary meta;
};

#define FIELD_MAX (SUMMARY_STR_MAX + 8)

/* The fields every shard of one run shares, in the order they are
 * checked (populations are rec_merge's). */
static const char *const run_fields[] = { "scenario", "mode",     "seed",
                                          "duration", "interval", "warm-up",
                                          "engine",   NULL };

/* Field i of a shard, as text, into buf (FIELD_MAX bytes). */
static const char *field_text(int i, const struct summary *s,
                              const struct rec_config *c, char buf[FIELD_MAX])
{
    switch (i) {
    case 0: snprintf(buf, FIELD_MAX, "'%s'", s->scenario); break;
    case 1: snprintf(buf, FIELD_MAX, "%s", s->mode); break;
    case 2: snprintf(buf, FIELD_MAX, "%" PRIu64, s->seed); break;
    case 3: units_fmt_duration(buf, FIELD_MAX, c->duration_ns); break;
    case 4: units_fmt_duration(buf, FIELD_MAX, c->interval_ns); break;
    case 5: units_fmt_duration(buf, FIELD_MAX, c->warmup_ns); break;
    default: snprintf(buf, FIELD_MAX, c->live ? "live" : "simulated"); break;
    }
    return buf;
}

/* The first field in which shard s (recorder r) differs from the first
 * input, as "FIELD (THIS here, FIRST in DIR)" in buf; false when none. */
static bool differs(const struct merge_acc *a, const struct summary *s,
                    const struct rec *r, char *buf, size_t len)
{
    char here[FIELD_MAX], there[FIELD_MAX];
    for (int i = 0; run_fields[i] != NULL; i++) {
        field_text(i, s, rec_config(r), here);
        field_text(i, &a->meta, rec_config(a->rec), there);
        if (strcmp(here, there) != 0) {
            snprintf(buf, len, "%s (%s here, %s in %s)", run_fields[i], here,
                     there, a->first);
            return true;
        }
    }
    return false;
}

/* Adds dir's shards to the union; a shard held twice or a different
 * shard count is refused. */
static int add_shards(struct merge_acc *a, const char *dir,
                      const struct summary *s, char *err, size_t err_len)
{
    int64_t dup = -1;
    char have[128], got[128];
    int rc = summary_shards_add(&a->meta.shards, &s->shards, &dup);
    if (rc == ERR_RANGE)
        return fail_msg(err, err_len, ERR_INVAL,
                        "%s: not a shard of the same run: shard count "
                        "(%s here, %s so far)",
                        dir, summary_shards_fmt(got, 128, &s->shards),
                        summary_shards_fmt(have, 128, &a->meta.shards));
    if (rc != ERR_OK)
        return fail_msg(err, err_len, ERR_INVAL,
                        "%s: shard %" PRId64 " is already in the merge (%s "
                        "here, %s so far): each shard must be merged once, "
                        "or its requests count twice",
                        dir, dup, summary_shards_fmt(got, 128, &s->shards),
                        summary_shards_fmt(have, 128, &a->meta.shards));
    return ERR_OK;
}

/* Adds dir into a (or makes it the first). */
static int merge_one(const char *dir, struct merge_acc *a, char *err,
                     size_t err_len)
{
    struct summary s;
    struct rec *r = NULL;
    char what[512];
    summary_init(&s);
    int rc = read_shard(dir, &s, &r, err, err_len);
    if (rc == ERR_OK && a->rec == NULL) {
        summary_copy(&a->meta, &s);
        a->rec = r;
        r = NULL;
    } else if (rc == ERR_OK && differs(a, &s, r, what, sizeof(what))) {
        rc = fail_msg(err, err_len, ERR_INVAL,
                      "%s: not a shard of the same run: %s differs", dir, what);
    } else if (rc == ERR_OK) {
        rc = add_shards(a, dir, &s, err, err_len);
    }
    if (rc == ERR_OK && r != NULL && rec_merge(a->rec, r) != ERR_OK)
        rc = fail_msg(err, err_len, ERR_INVAL,
                      "%s: not a shard of the same run: populations differ "
                      "from %s's",
                      dir, a->first);
    if (rc == ERR_OK && r != NULL) {
        warn_list_union(&a->meta.warnings, &s.warnings);
        if (s.has_generator && a->meta.has_generator)
            summary_gen_add(&a->meta.generator, &s.generator);
        else if (s.has_generator)
            a->meta.generator = s.generator;
        a->meta.has_generator |= s.has_generator;
    }
    rec_free(r);
    summary_fini(&s);
    return rc;
}

/* A merge that misses shards is refused unless partial is allowed; then
 * the result says so ("partial" and a warning). */
static int check_complete(struct merge_acc *a, bool allow_partial, char *err,
                          size_t err_len)
{
    struct summary_shards *sh = &a->meta.shards;
    int64_t miss = summary_shards_missing(sh);
    if (miss < 0)
        return ERR_OK;
    char have[128];
    summary_shards_fmt(have, sizeof(have), sh);
    if (!allow_partial)
        return fail_msg(err, err_len, ERR_INVAL,
                        "incomplete shard set: the inputs hold shards %s, "
                        "shard %" PRId64 " is missing; merge every shard, "
                        "or pass --partial for a result marked partial",
                        have, miss);
    sh->partial = true;
    warn_add(&a->meta.warnings, "merge",
             "partial result: holds shards %s only (shard %" PRId64
             " and maybe others missing)",
             have, miss);
    return ERR_OK;
}

/* Copies an optional file of the first input. */
static int copy_optional(const char *in_dir, const char *out_dir,
                         const char *name, char *err, size_t err_len)
{
    char *src = join(in_dir, name);
    int rc = ERR_OK;
    struct stat st;
    if (stat(src, &st) == 0) {
        rc = results_copy_file(src, out_dir, name);
        if (rc != ERR_OK) {
            int saved = errno;
            fail_msg(err, err_len, rc, "%s/%s: cannot write", out_dir, name);
            errno = saved;
        }
    }
    free(src);
    return rc;
}

static int write_merged(const char *out_dir, const struct merge_acc *a,
                        char *err, size_t err_len)
{
    const struct summary *meta = &a->meta;
    const struct rec *acc = a->rec;
    const char *first = a->first;
    struct summary s;
    summary_init(&s);
    struct summary_meta m = { meta->scenario, meta->mode, meta->seed };
    summary_from_record(&s, acc, &m);
    s.has_generator = meta->has_generator; /* live shards: added up */
    s.generator = meta->generator;
    warn_list_copy(&s.warnings, &meta->warnings);
    summary_shards_copy(&s.shards, &meta->shards);
    if (s.shards.partial)
        s.complete = false; /* a part of the run: check fails it unless
                               told to accept incomplete results */
    int rc = results_write_all(out_dir, acc, &s);
    summary_fini(&s);
    if (rc != ERR_OK) {
        int saved = errno;
        fail_msg(err, err_len, rc, "%s: cannot write results: %s", out_dir,
                 strerror(saved));
        errno = saved;
        return rc;
    }
    rc = copy_optional(first, out_dir, RESULTS_SCENARIO, err, err_len);
    if (rc == ERR_OK)
        rc = copy_optional(first, out_dir, RESULTS_EVENTS, err, err_len);
    return rc;
}

/* The merged result replaces out_dir as a whole (results_stage_*). */
static int write_staged(const char *out_dir, const struct merge_acc *a,
                        char *err, size_t err_len)
{
    struct results_stage st;
    int rc = results_stage_begin(&st, out_dir, err, err_len);
    if (rc == ERR_OK)
        rc = write_merged(st.tmp, a, err, err_len);
    if (rc == ERR_OK)
        rc = results_stage_commit(&st, err, err_len);
    results_stage_fini(&st);
    return rc;
}

int results_merge(const char *out_dir, const char *const *in_dirs, size_t n,
                  bool allow_partial, char *err, size_t err_len)
{
    if (n == 0)
        return fail_msg(err, err_len, ERR_INVAL, "no input directory");
    for (size_t i = 0; i < n; i++) {
        if (same_dir(out_dir, in_dirs[i]))
            return fail_msg(err, err_len, ERR_INVAL,
                            "%s: output directory is also an input", out_dir);
        for (size_t k = 0; k < i; k++)
            if (same_dir(in_dirs[k], in_dirs[i]))
                return fail_msg(err, err_len, ERR_INVAL,
                                "%s is given twice (as %s too): each shard "
                                "must be merged once, or its requests count "
                                "twice",
                                in_dirs[i], in_dirs[k]);
    }
    if (results_dir_replaceable(out_dir, err, err_len) != ERR_OK)
        return errno == EEXIST ? ERR_INVAL : ERR_IO; /* refused: usage */
    struct merge_acc a = { .first = in_dirs[0] };
    summary_init(&a.meta);
    int rc = ERR_OK;
    for (size_t i = 0; i < n && rc == ERR_OK; i++)
        rc = merge_one(in_dirs[i], &a, err, err_len);
    if (rc == ERR_OK)
        rc = check_complete(&a, allow_partial, err, err_len);
    if (rc == ERR_OK)
        rc = write_staged(out_dir, &a, err, err_len);
    rec_free(a.rec);
    summary_fini(&a.meta);
    return rc;
}

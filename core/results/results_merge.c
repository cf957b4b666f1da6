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
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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

/* Adds shard i into *acc (or makes it *acc for the first). */
static int merge_one(const char *dir, struct rec **acc, struct summary *meta,
                     char *err, size_t err_len)
{
    struct summary s;
    struct rec *r = NULL;
    summary_init(&s);
    int rc = read_shard(dir, &s, &r, err, err_len);
    if (rc == ERR_OK && *acc == NULL) {
        summary_copy(meta, &s);
        *acc = r;
        r = NULL;
    } else if (rc == ERR_OK && strcmp(s.scenario, meta->scenario) != 0) {
        rc = fail_msg(err, err_len, ERR_INVAL,
                      "%s: scenario '%s' differs from the first input's", dir,
                      s.scenario);
    } else if (rc == ERR_OK && rec_merge(*acc, r) != ERR_OK) {
        rc = fail_msg(err, err_len, ERR_INVAL,
                      "%s: not a shard of the same run (duration, interval, "
                      "warm-up or populations differ)",
                      dir);
    } else if (rc == ERR_OK && s.has_generator) {
        if (meta->has_generator)
            summary_gen_add(&meta->generator, &s.generator);
        else
            meta->generator = s.generator;
        meta->has_generator = true;
    }
    rec_free(r);
    summary_fini(&s);
    return rc;
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

static int write_merged(const char *out_dir, const struct rec *acc,
                        const struct summary *meta, const char *first,
                        char *err, size_t err_len)
{
    struct summary s;
    summary_init(&s);
    struct summary_meta m = { meta->scenario, meta->mode, meta->seed };
    summary_from_record(&s, acc, &m);
    s.has_generator = meta->has_generator; /* live shards: added up */
    s.generator = meta->generator;
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

int results_merge(const char *out_dir, const char *const *in_dirs, size_t n,
                  char *err, size_t err_len)
{
    if (n == 0)
        return fail_msg(err, err_len, ERR_INVAL, "no input directory");
    for (size_t i = 0; i < n; i++)
        if (same_dir(out_dir, in_dirs[i]))
            return fail_msg(err, err_len, ERR_INVAL,
                            "%s: output directory is also an input%s", out_dir,
                            "");
    struct rec *acc = NULL;
    struct summary meta;
    summary_init(&meta);
    int rc = ERR_OK;
    for (size_t i = 0; i < n && rc == ERR_OK; i++)
        rc = merge_one(in_dirs[i], &acc, &meta, err, err_len);
    if (rc == ERR_OK)
        rc = write_merged(out_dir, acc, &meta, in_dirs[0], err, err_len);
    rec_free(acc);
    summary_fini(&meta);
    return rc;
}

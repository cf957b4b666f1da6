/*
 * results_dir.c - a results directory is replaced as a whole.
 *
 * A results directory must hold exactly one run: a file left from an
 * earlier run in the same -o DIR (generator.json of a `run` under a later
 * `sim`, an old serve/, replications/, compare.csv or plots/) would be read
 * as part of the new result.  So a writer never writes into DIR itself: it
 * writes a new directory beside it (DIR.tollgate-new-XXXXXX, same parent,
 * so the same file system) and then puts it in DIR's place in one step,
 * renameat2(RENAME_EXCHANGE), after which the old tree (now under the
 * temporary name) is removed.  A crash before the exchange leaves the old
 * result and a stray temporary sibling; after it, the new result and a
 * stray sibling holding the old one; never a mixture in DIR.  Where the
 * exchange is not supported (ENOSYS, EINVAL: some file systems), the old
 * directory is renamed aside first and the new one renamed in, so a crash
 * between the two renames leaves DIR missing with both trees beside it.
 *
 * What may be replaced: a missing or empty directory, or a tollgate
 * results directory (one whose summary.json says "tool": "tollgate").
 * Anything else -- a source tree, a home directory given to -o by
 * mistake -- is refused, because replacing it would delete the user's
 * files.
 */
#define _GNU_SOURCE /* renameat2 and RENAME_EXCHANGE (glibc >= 2.28) */
#include "core/results/results.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

PRINTF_LIKE(3, 4)
static int fail(char *err, size_t err_len, const char *fmt, ...)
{
    int saved = errno;
    if (err != NULL && err_len > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, err_len, fmt, ap);
        va_end(ap);
    }
    errno = saved;
    return ERR_IO;
}

int results_rmtree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return errno == ENOENT ? ERR_OK : ERR_IO;
    if (!S_ISDIR(st.st_mode))
        return unlink(path) == 0 ? ERR_OK : ERR_IO;
    DIR *d = opendir(path);
    if (d == NULL)
        return ERR_IO;
    int rc = ERR_OK;
    for (struct dirent *e = readdir(d); e != NULL && rc == ERR_OK;
         e = readdir(d)) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        size_t n = strlen(path) + strlen(e->d_name) + 2;
        char *sub = xmalloc(n);
        snprintf(sub, n, "%s/%s", path, e->d_name);
        rc = results_rmtree(sub);
        free(sub);
    }
    closedir(d);
    if (rc == ERR_OK && rmdir(path) != 0)
        rc = ERR_IO;
    return rc;
}

/* 1: dir has entries, 0: empty, -1: cannot be read (errno). */
static int has_entries(const char *dir)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return -1;
    int found = 0;
    for (struct dirent *e = readdir(d); e != NULL && !found; e = readdir(d))
        found = strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    return found;
}

/* Removes path for good measure; what cannot be removed stays beside
 * the results directory, which is already whole. */
static void remove_leftover(const char *path)
{
    int rc = results_rmtree(path);
    (void)rc;
}

static bool is_results_dir(const char *dir)
{
    size_t n = strlen(dir) + sizeof(RESULTS_SUMMARY) + 1;
    char *path = xmalloc(n);
    snprintf(path, n, "%s/%s", dir, RESULTS_SUMMARY);
    struct summary s;
    summary_init(&s);
    s.tool[0] = '\0';
    bool yes = results_read_summary(path, &s, NULL, 0) == ERR_OK &&
               strcmp(s.tool, "tollgate") == 0;
    summary_fini(&s);
    free(path);
    return yes;
}

int results_dir_replaceable(const char *dir, char *err, size_t err_len)
{
    const char *base = strrchr(dir, '/');
    base = base ? base + 1 : dir;
    if (dir[0] == '\0' || strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
        return fail(err, err_len,
                    "%s: name the results directory itself (not '.' or "
                    "'..'): it is replaced as a whole",
                    dir[0] ? dir : "''");
    struct stat st;
    if (stat(dir, &st) != 0)
        return errno == ENOENT
                   ? ERR_OK
                   : fail(err, err_len, "%s: %s", dir, strerror(errno));
    if (!S_ISDIR(st.st_mode)) {
        errno = ENOTDIR;
        return fail(err, err_len, "%s: not a directory", dir);
    }
    int full = has_entries(dir);
    if (full < 0)
        return fail(err, err_len, "%s: cannot read the directory: %s", dir,
                    strerror(errno));
    if (full && !is_results_dir(dir)) {
        errno = EEXIST;
        return fail(err, err_len,
                    "%s is not empty and is not a tollgate results directory "
                    "(no summary.json of tollgate): a results directory is "
                    "replaced as a whole, so choose a new or empty one",
                    dir);
    }
    return ERR_OK;
}

/* dir without trailing slashes (a fresh copy; "/" stays "/"). */
static char *trimmed(const char *dir)
{
    char *d = xstrdup(dir);
    for (size_t n = strlen(d); n > 1 && d[n - 1] == '/'; n--)
        d[n - 1] = '\0';
    return d;
}

int results_stage_begin(struct results_stage *st, const char *dir, char *err,
                        size_t err_len)
{
    memset(st, 0, sizeof(*st));
    st->dir = trimmed(dir);
    int rc = results_dir_replaceable(st->dir, err, err_len);
    if (rc != ERR_OK)
        return rc;
    /* The parent must exist for the temporary sibling. */
    char *parent = xstrdup(st->dir);
    char *slash = strrchr(parent, '/');
    if (slash != NULL && slash != parent) {
        *slash = '\0';
        rc = results_mkdir(parent);
    }
    int saved = errno;
    free(parent);
    errno = saved;
    if (rc != ERR_OK)
        return fail(err, err_len, "%s: cannot create its parent: %s", st->dir,
                    strerror(errno));
    size_t n = strlen(st->dir) + 32;
    st->tmp = xmalloc(n);
    snprintf(st->tmp, n, "%s.tollgate-new-XXXXXX", st->dir);
    if (mkdtemp(st->tmp) == NULL) {
        rc = fail(err, err_len, "%s: cannot create a directory beside it: %s",
                  st->dir, strerror(errno));
        free(st->tmp);
        st->tmp = NULL;
    }
    return rc;
}

/* Puts tmp in dir's place; the old dir (if any) ends at tmp. */
static int swap_in(const char *tmp, const char *dir)
{
    struct stat s;
    if (stat(dir, &s) != 0)
        return rename(tmp, dir) == 0 ? ERR_OK : ERR_IO;
    if (renameat2(AT_FDCWD, tmp, AT_FDCWD, dir, RENAME_EXCHANGE) == 0)
        return ERR_OK;
    if (errno != ENOSYS && errno != EINVAL)
        return ERR_IO;
    size_t n = strlen(dir) + 32;
    char *aside = xmalloc(n);
    snprintf(aside, n, "%s.tollgate-old-XXXXXX", dir);
    int rc = ERR_IO;
    if (mkdtemp(aside) != NULL && rename(dir, aside) == 0) {
        rc = rename(tmp, dir) == 0 ? ERR_OK : ERR_IO;
        if (rc == ERR_OK && rename(aside, tmp) != 0)
            remove_leftover(aside);
    }
    int saved = errno;
    rmdir(aside); /* the mkdtemp placeholder, if it is still there */
    free(aside);
    errno = saved;
    return rc;
}

int results_stage_commit(struct results_stage *st, char *err, size_t err_len)
{
    if (swap_in(st->tmp, st->dir) != ERR_OK)
        return fail(err, err_len, "%s: cannot put the new results in place: %s",
                    st->dir, strerror(errno));
    /* tmp now holds the old result, or nothing; a failure to remove it
     * leaves a sibling, never a mixture in dir. */
    remove_leftover(st->tmp);
    free(st->tmp);
    st->tmp = NULL;
    return ERR_OK;
}

void results_stage_fini(struct results_stage *st)
{
    if (st == NULL)
        return;
    if (st->tmp != NULL)
        remove_leftover(st->tmp);
    free(st->tmp);
    free(st->dir);
    memset(st, 0, sizeof(*st));
}

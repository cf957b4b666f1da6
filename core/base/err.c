/*
 * err.c - error strings and the aborting allocators.
 *
 * This is the only place in core that writes to stderr: an allocation
 * failure cannot be reported through a return code without turning every
 * caller into error plumbing, so it is fatal, and the size is printed so the
 * crash explains itself.
 */
#include "core/base/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const err_names[ERR_COUNT_] = {
    [ERR_OK] = "ok",
    [ERR_INVAL] = "invalid argument",
    [ERR_RANGE] = "value out of range",
    [ERR_PARSE] = "parse error",
    [ERR_IO] = "I/O error",
    [ERR_CURL] = "libcurl error",
    [ERR_THREAD] = "thread error",
    [ERR_TOOBIG] = "input too large",
};

const char *err_str(int err)
{
    if (err < 0 || err >= ERR_COUNT_)
        return "unknown error";
    return err_names[err];
}

static void oom(size_t size)
{
    fprintf(stderr, "tollgate: out of memory allocating %zu bytes\n", size);
    abort();
}

void *xmalloc(size_t size)
{
    void *p = malloc(size ? size : 1);
    if (p == NULL)
        oom(size);
    return p;
}

void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (p == NULL)
        oom(n * size);
    return p;
}

void *xrealloc(void *p, size_t size)
{
    void *q = realloc(p, size ? size : 1);
    if (q == NULL)
        oom(size);
    return q;
}

char *xstrdup(const char *s)
{
    return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
    char *d = xmalloc(n + 1);
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

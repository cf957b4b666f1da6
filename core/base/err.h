/*
 * err.h - the one error enum of tollgate, and fatal-on-OOM allocation.
 *
 * A function that can fail returns int (an enum err value) and hands its
 * results back through out-parameters.  Out of memory is not an error code:
 * the x-allocators print the size and abort (as redis zmalloc does), so
 * callers never check their results for NULL.
 */
#ifndef TOLLGATE_ERR_H
#define TOLLGATE_ERR_H

#include <stddef.h>

#if defined(__GNUC__)
#define WARN_UNUSED       __attribute__((warn_unused_result))
#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))
#else
#define WARN_UNUSED
#define PRINTF_LIKE(f, a)
#endif

enum err {
    ERR_OK = 0,
    ERR_INVAL,  /* invalid argument or input value */
    ERR_RANGE,  /* value out of its allowed range */
    ERR_PARSE,  /* syntax error in a file or string */
    ERR_IO,     /* file or socket I/O failed (errno kept by the caller) */
    ERR_CURL,   /* libcurl reported an error */
    ERR_THREAD, /* a pthread call failed */
    ERR_TOOBIG, /* input exceeds a configured size limit */
    ERR_COUNT_
};

/* Static, human-readable text for an enum err value; never NULL. */
const char *err_str(int err);

/* Allocation that never returns NULL: on failure prints the size to stderr
 * and calls abort(). */
void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

#endif

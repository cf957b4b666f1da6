/*
 * fuzz_common.h - what the libFuzzer targets of tests/fuzz share.
 *
 * Each target is one fuzz_<name>.c defining LLVMFuzzerTestOneInput (and
 * sometimes LLVMFuzzerInitialize).  Inputs are copied into heap buffers of
 * exactly their size, never NUL-terminated, so that AddressSanitizer
 * catches a reader that looks one byte past what it was given.  Targets
 * that read a path get the input through a private temporary file that is
 * rewritten for every input.
 *
 * A broken property (a round trip that does not hold, two readers that
 * disagree) is reported through fuzz_fail(), which prints what differed
 * and aborts: libFuzzer then saves the input like any other crash.
 */
#ifndef TOLLGATE_FUZZ_COMMON_H
#define TOLLGATE_FUZZ_COMMON_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* A heap copy of data[0..size) with no terminator (malloc(0) is avoided:
 * an empty input gets a 1-byte allocation that nothing may read). */
static inline char *fuzz_dup_exact(const uint8_t *data, size_t size)
{
    char *p = malloc(size ? size : 1);
    if (p == NULL)
        abort();
    if (size)
        memcpy(p, data, size);
    return p;
}

/* Same, NUL-terminated, for APIs that take C strings. */
static inline char *fuzz_dup_str(const uint8_t *data, size_t size)
{
    char *p = malloc(size + 1);
    if (p == NULL)
        abort();
    if (size)
        memcpy(p, data, size);
    p[size] = '\0';
    return p;
}

/* Prints a property failure and aborts (libFuzzer saves the input). */
__attribute__((format(printf, 1, 2), noreturn)) static inline void
fuzz_fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("fuzz property failed: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    abort();
}

/* A temporary file of this process holding the current input; its path
 * stays the same for the process's life and it is removed at exit. */
struct fuzz_file {
    char path[64];
    int fd;
};

static struct fuzz_file *fuzz_file_current;

static inline void fuzz_file_unlink(void)
{
    if (fuzz_file_current)
        unlink(fuzz_file_current->path);
}

/* Writes data[0..size) to f (created on first use) and returns its path. */
static inline const char *fuzz_file_put(struct fuzz_file *f,
                                        const uint8_t *data, size_t size)
{
    if (f->path[0] == '\0') {
        snprintf(f->path, sizeof(f->path), "/tmp/tollgate-fuzz-XXXXXX");
        f->fd = mkstemp(f->path);
        if (f->fd < 0)
            abort();
        fuzz_file_current = f;
        atexit(fuzz_file_unlink);
    }
    if (ftruncate(f->fd, 0) != 0)
        abort();
    size_t done = 0;
    while (done < size) {
        ssize_t w = pwrite(f->fd, data + done, size - done, (off_t)done);
        if (w <= 0)
            abort();
        done += (size_t)w;
    }
    return f->path;
}

/* A memory stream for a writer under test; fuzz_ms_close() closes it
 * and fails the run when the stream itself failed. */
static inline FILE *fuzz_ms_open(char **buf, size_t *len)
{
    FILE *f = open_memstream(buf, len);
    if (f == NULL)
        abort();
    return f;
}

static inline void fuzz_ms_close(FILE *f)
{
    if (fclose(f) != 0)
        abort();
}

#endif

/*
 * curlmem.c - per-thread block caches for libcurl's allocations.
 *
 * Size classes: 16-byte steps up to 1 KiB (64 classes), then powers of two
 * up to 64 KiB (6 classes; libcurl's 16 KiB + 1 receive buffer, freed and
 * allocated again for every transfer, lands in the 32 KiB one); larger
 * blocks are never cached.  A block is [struct hdr | user bytes]: the
 * header keeps the class and the usable size, so any thread can free or
 * resize any block.  A cached block keeps its header; its first bytes
 * link the free list.  Caches are bounded (SMALL_KEEP / LARGE_KEEP blocks
 * per class), so a thread never holds more than ~1.5 MiB of them.
 * Invariants: a thread caches only between curlmem_thread_begin and
 * curlmem_thread_end; a block on a free list belongs to that thread alone.
 * Not a general allocator: no alignment beyond 16 bytes, no statistics.
 */
#include "loadgen/curlmem.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define HDR_BYTES  16
#define SMALL_STEP 16
#define SMALL_MAX  1024
#define N_SMALL    (SMALL_MAX / SMALL_STEP)
#define N_LARGE    6 /* 2, 4, 8, 16, 32, 64 KiB */
#define N_CLASSES  (N_SMALL + N_LARGE)
#define CLASS_BIG  N_CLASSES /* not cached */
#define SMALL_KEEP 128
#define LARGE_KEEP 8

struct hdr {
    uint32_t cls;
    uint32_t pad;
    uint64_t size; /* usable bytes */
};

struct cache {
    void *head[N_CLASSES];
    unsigned n[N_CLASSES];
};

static _Thread_local struct cache *tc;

static unsigned class_of(size_t size)
{
    if (size <= SMALL_MAX)
        return size == 0 ? 0 : (unsigned)((size - 1) / SMALL_STEP);
    size_t cap = 2 * SMALL_MAX;
    for (unsigned c = N_SMALL; c < N_CLASSES; c++, cap *= 2)
        if (size <= cap)
            return c;
    return CLASS_BIG;
}

static size_t class_bytes(unsigned c)
{
    if (c < N_SMALL)
        return (size_t)(c + 1) * SMALL_STEP;
    return (size_t)(2 * SMALL_MAX) << (c - N_SMALL);
}

static struct hdr *hdr_of(void *p)
{
    return (struct hdr *)(void *)((char *)p - HDR_BYTES);
}

void *curlmem_malloc(size_t size)
{
    unsigned c = class_of(size);
    struct cache *t = tc;
    if (t && c < N_CLASSES && t->head[c]) {
        void *p = t->head[c];
        memcpy(&t->head[c], p, sizeof(void *));
        t->n[c]--;
        return p;
    }
    size_t usable = c < N_CLASSES ? class_bytes(c) : size;
    if (usable > SIZE_MAX - HDR_BYTES)
        return NULL;
    struct hdr *h = malloc(HDR_BYTES + usable);
    if (!h)
        return NULL;
    h->cls = c;
    h->pad = 0;
    h->size = usable;
    return (char *)h + HDR_BYTES;
}

void curlmem_free(void *p)
{
    if (!p)
        return;
    struct hdr *h = hdr_of(p);
    struct cache *t = tc;
    unsigned c = h->cls;
    if (t && c < N_CLASSES &&
        t->n[c] < (c < N_SMALL ? SMALL_KEEP : LARGE_KEEP)) {
        memcpy(p, &t->head[c], sizeof(void *));
        t->head[c] = p;
        t->n[c]++;
        return;
    }
    free(h);
}

void *curlmem_realloc(void *p, size_t size)
{
    if (!p)
        return curlmem_malloc(size);
    if (size == 0) {
        curlmem_free(p);
        return NULL;
    }
    struct hdr *h = hdr_of(p);
    if (size <= h->size)
        return p;
    void *q = curlmem_malloc(size);
    if (!q)
        return NULL;
    memcpy(q, p, (size_t)h->size);
    curlmem_free(p);
    return q;
}

char *curlmem_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = curlmem_malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

void *curlmem_calloc(size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        return NULL;
    void *p = curlmem_malloc(n * size);
    if (p)
        memset(p, 0, n * size);
    return p;
}

void curlmem_thread_begin(void)
{
    if (!tc)
        tc = calloc(1, sizeof(*tc));
}

void curlmem_thread_end(void)
{
    struct cache *t = tc;
    if (!t)
        return;
    tc = NULL;
    for (unsigned c = 0; c < N_CLASSES; c++) {
        while (t->head[c]) {
            void *p = t->head[c];
            memcpy(&t->head[c], p, sizeof(void *));
            free(hdr_of(p));
        }
    }
    free(t);
}

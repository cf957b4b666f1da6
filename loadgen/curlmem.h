/*
 * curlmem.h - the allocator libcurl uses inside `tollgate run` (internal
 * to loadgen/; installed through curl_global_init_mem by lg_global_init).
 *
 * libcurl 7.88 allocates and frees about 32 blocks per transfer (its
 * 16 KiB receive buffer, the connection it looks up, header records,
 * request strings); through glibc that was ~9k instructions per request,
 * 15% of the user time.  Worker threads keep freed blocks in per-thread
 * free lists by size class and hand them out again; every other thread
 * passes straight through to malloc/free.  Each block carries a 16-byte
 * header with its class, so a block may be freed on any thread.
 */
#ifndef TOLLGATE_CURLMEM_H
#define TOLLGATE_CURLMEM_H

#include <stddef.h>

/* The five callbacks of curl_global_init_mem(); malloc semantics (NULL
 * when out of memory, free(NULL) a no-op, realloc(p, 0) frees p and
 * returns NULL). */
void *curlmem_malloc(size_t size);
void curlmem_free(void *p);
void *curlmem_realloc(void *p, size_t size);
char *curlmem_strdup(const char *s);
void *curlmem_calloc(size_t n, size_t size);

/* Makes the calling thread keep freed blocks for reuse (a worker, before
 * its first transfer).  Until curlmem_thread_end() on the same thread,
 * blocks freed by it are cached, bounded per size class. */
void curlmem_thread_begin(void);

/* Returns the calling thread's cached blocks to malloc and stops caching;
 * call before the thread exits.  A no-op on a thread that never began. */
void curlmem_thread_end(void);

#endif

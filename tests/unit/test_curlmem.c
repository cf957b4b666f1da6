/* ctest-labels: threaded */
/*
 * test_curlmem.c - libcurl's allocator in loadgen: every size class is
 * usable to its last byte, freed blocks come back on a caching thread,
 * calloc zeroes recycled blocks, realloc keeps the bytes, overflow gives
 * NULL, and blocks cross threads both ways.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "loadgen/curlmem.h"

struct size_row {
    const char *name;
    size_t size;
};

static const struct size_row sizes[] = {
    { "zero", 0 },         { "one", 1 },
    { "small edge", 16 },  { "next small", 17 },
    { "1 KiB", 1024 },     { "first large", 1025 },
    { "2 KiB + 1", 2049 }, { "curl buffer", 16385 },
    { "64 KiB", 65536 },   { "uncached", 65537 },
    { "1 MiB", 1 << 20 },
};

static void test_sizes(void **state)
{
    (void)state;
    for (int caching = 0; caching < 2; caching++) {
        if (caching)
            curlmem_thread_begin();
        for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
            unsigned char *p = curlmem_malloc(sizes[i].size);
            assert_non_null(p);
            assert_int_equal((uintptr_t)p % 16, 0);
            memset(p, 0xab, sizes[i].size); /* ASan: all of it is ours */
            curlmem_free(p);
        }
        curlmem_thread_end();
    }
}

static void test_reuse(void **state)
{
    (void)state;
    curlmem_thread_begin();
    void *a = curlmem_malloc(100);
    curlmem_free(a);
    void *b = curlmem_malloc(97); /* same 112-byte class */
    assert_ptr_equal(a, b);
    void *c = curlmem_malloc(16385);
    curlmem_free(c);
    void *d = curlmem_malloc(20000); /* same 32 KiB class */
    assert_ptr_equal(c, d);
    curlmem_free(b);
    curlmem_free(d);
    curlmem_thread_end();
}

static void test_calloc_recycled(void **state)
{
    (void)state;
    curlmem_thread_begin();
    unsigned char *p = curlmem_malloc(64);
    memset(p, 0xff, 64);
    curlmem_free(p);
    unsigned char *q = curlmem_calloc(4, 16);
    assert_ptr_equal(p, q);
    for (int i = 0; i < 64; i++)
        assert_int_equal(q[i], 0);
    curlmem_free(q);
    curlmem_thread_end();
}

static void test_resize(void **state)
{
    (void)state;
    char *p = curlmem_realloc(NULL, 10);
    assert_non_null(p);
    strcpy(p, "tollgate");
    char *q = curlmem_realloc(p, 16); /* still fits its class */
    assert_ptr_equal(p, q);
    char *r = curlmem_realloc(q, 5000);
    assert_non_null(r);
    assert_string_equal(r, "tollgate");
    memset(r + 9, 'x', 5000 - 9);
    assert_null(curlmem_realloc(r, 0)); /* frees */
    char *s = curlmem_strdup("libcurl");
    assert_string_equal(s, "libcurl");
    curlmem_free(s);
    curlmem_free(NULL);
}

static void test_overflow(void **state)
{
    (void)state;
    assert_null(curlmem_calloc(SIZE_MAX / 2, 4));
    assert_null(curlmem_malloc(SIZE_MAX - 8));
    void *p = curlmem_malloc(32);
    assert_null(curlmem_realloc(p, SIZE_MAX - 8)); /* p stays valid */
    curlmem_free(p);
}

#define N_BLOCKS 300

static void *free_on_caching_thread(void *arg)
{
    void **v = arg;
    curlmem_thread_begin();
    for (int i = 0; i < N_BLOCKS; i++)
        curlmem_free(v[i]);
    for (int i = 0; i < N_BLOCKS; i++) /* cached ones come back first */
        v[i] = curlmem_malloc((size_t)(i % 7) * 100 + 1);
    curlmem_thread_end();
    return NULL;
}

static void test_cross_thread(void **state)
{
    (void)state;
    void *v[N_BLOCKS];
    for (int i = 0; i < N_BLOCKS; i++) {
        v[i] = curlmem_malloc((size_t)(i % 7) * 100 + 1);
        memset(v[i], i & 0xff, (size_t)(i % 7) * 100 + 1);
    }
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, free_on_caching_thread, v), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
    for (int i = 0; i < N_BLOCKS; i++) { /* allocated there, freed here */
        memset(v[i], 0, (size_t)(i % 7) * 100 + 1);
        curlmem_free(v[i]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sizes),
        cmocka_unit_test(test_reuse),
        cmocka_unit_test(test_calloc_recycled),
        cmocka_unit_test(test_resize),
        cmocka_unit_test(test_overflow),
        cmocka_unit_test(test_cross_thread),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

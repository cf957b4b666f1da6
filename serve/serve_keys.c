/*
 * serve_keys.c - key lookup: the deterministic scheme or a hashed file.
 *
 * The hash table holds account ids (the key text stays in struct keys);
 * it is sized to at least twice the keys so linear probes stay short, and
 * never changes after init, which is what makes concurrent lookups safe.
 * FNV-1a is plenty for keys that are random-looking already.
 */
#include "serve/serve_keys.h"

#include <stdlib.h>
#include <string.h>

static uint64_t fnv1a(const char *s, size_t len)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

static bool same(const struct keys *f, int64_t acct, const char *key,
                 size_t len)
{
    const char *k = f->key[acct];
    return strlen(k) == len && memcmp(k, key, len) == 0;
}

void serve_keys_init(struct serve_keys *k, int64_t n_accounts,
                     const struct keys *file)
{
    memset(k, 0, sizeof(*k));
    k->n_accounts = n_accounts;
    k->file = file;
    if (file == NULL)
        return;
    size_t n = file->n < (size_t)n_accounts ? file->n : (size_t)n_accounts;
    size_t size = 16;
    while (size < 2 * n)
        size *= 2;
    k->mask = size - 1;
    k->slot = xmalloc(size * sizeof(*k->slot));
    for (size_t i = 0; i < size; i++)
        k->slot[i] = -1;
    for (size_t a = 0; a < n; a++) {
        size_t len = strlen(file->key[a]);
        size_t i = fnv1a(file->key[a], len) & k->mask;
        while (k->slot[i] >= 0 && !same(file, k->slot[i], file->key[a], len))
            i = (i + 1) & k->mask;
        if (k->slot[i] < 0)
            k->slot[i] = (int64_t)a;
    }
}

void serve_keys_fini(struct serve_keys *k)
{
    free(k->slot);
    k->slot = NULL;
}

/* The deterministic scheme: the account named by the key's digits, if
 * the key is exactly what keys_for_account writes for it (what
 * keys_parse accepts, without its snprintf: this runs per request). */
static int64_t lookup_deterministic(const struct serve_keys *k, const char *key,
                                    size_t len)
{
    if (len < 3 + 1 + 1 + 16 || len > KEYS_MAX_LEN || memcmp(key, "tg-", 3))
        return -1;
    int64_t a = 0;
    size_t i = 3;
    while (i < len && i < 3 + 18 && key[i] >= '0' && key[i] <= '9')
        a = a * 10 + (key[i++] - '0');
    if (i == 3 || i >= len || key[i] != '-' || a >= k->n_accounts)
        return -1;
    char want[KEYS_MAX_LEN + 1];
    size_t n = keys_for_account(a, want, sizeof(want));
    return n == len && memcmp(want, key, len) == 0 ? a : -1;
}

int64_t serve_keys_lookup(const struct serve_keys *k, const char *key,
                          size_t len)
{
    if (k->file == NULL)
        return lookup_deterministic(k, key, len);
    for (size_t i = fnv1a(key, len) & k->mask; k->slot[i] >= 0;
         i = (i + 1) & k->mask)
        if (same(k->file, k->slot[i], key, len))
            return k->slot[i];
    return -1;
}

/*
 * serve_keys.h - API key to account, for serve's authentication.
 *
 * Two schemes, as core/model/keys.h defines them: the deterministic per-account
 * keys ("tg-<account>-<hash>", checked by keys_parse, O(1) and no table),
 * or a keys file (live.keys: line i is account i's key), looked up through
 * an open-addressing hash table built once.  Either way an account id at
 * or beyond the scenario's account count is not an account.
 * Lookups are read-only: any number of threads may call them at once.
 */
#ifndef TOLLGATE_SERVE_KEYS_H
#define TOLLGATE_SERVE_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include "core/model/keys.h"

struct serve_keys {
    int64_t n_accounts;
    const struct keys *file; /* borrowed; NULL: deterministic scheme */
    int64_t *slot;           /* hash table of account ids, -1: empty */
    size_t mask;             /* table size - 1 (a power of two) */
};

/* Prepares k for n_accounts accounts; file (borrowed, must outlive k) is
 * the loaded keys file or NULL for the deterministic scheme.  Keys of the
 * file past n_accounts are ignored; a duplicate key maps to its first
 * account. */
void serve_keys_init(struct serve_keys *k, int64_t n_accounts,
                     const struct keys *file);
void serve_keys_fini(struct serve_keys *k);

/* The account of key[0..len), or -1 when it is nobody's key. */
int64_t serve_keys_lookup(const struct serve_keys *k, const char *key,
                          size_t len);

#endif

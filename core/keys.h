/*
 * keys.h - API keys of accounts, shared by run (which sends them) and serve
 * (which accepts them).
 *
 * Deterministic scheme (no keys file): account a's key is
 *     "tg-<a>-<h>"   h = 16 lower-case hex digits of keys_hash(a)
 * where keys_hash is a fixed splitmix64-style mix of a with a constant salt.
 * The scheme is not secret and not secure: it only lets two tollgate
 * processes agree on keys without sharing a file, and lets serve reject a
 * key whose account and hash do not match.  A deliberately wrong key (a
 * request flagged invalid_key) is "tg-invalid-<16 hex>", which never parses
 * as a valid key.
 *
 * A keys file holds one key per line for accounts 0, 1, 2, ... in order;
 * blank lines and lines starting with '#' are skipped.  Keys must never be
 * written to results or logs: callers print keys_redact() instead.
 */
#ifndef TOLLGATE_KEYS_H
#define TOLLGATE_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define KEYS_MAX_LEN       200      /* bytes in one key, NUL excluded */
#define KEYS_MAX_FILE_KEYS 10000000 /* lines accepted from a keys file */

/* The 64-bit hash of account used by the deterministic scheme. */
uint64_t keys_hash(int64_t account);

/* Writes account's deterministic key into buf (NUL-terminated; len >= 40
 * always suffices).  Returns the key length, or 0 when buf is too small
 * or account < 0. */
size_t keys_for_account(int64_t account, char *buf, size_t len);

/* Writes a key that no scheme accepts, varying with salt (e.g. the request
 * id), into buf.  Returns the length, or 0 when len < 28. */
size_t keys_invalid(uint64_t salt, char *buf, size_t len);

/* Parses a deterministic key of key_len bytes (not necessarily
 * NUL-terminated).  True and *account set when it is exactly a key that
 * keys_for_account produced; false otherwise (*account untouched). */
bool keys_parse(const char *key, size_t key_len, int64_t *account);

/* Keys read from a file; key[i] belongs to account i. */
struct keys {
    char **key;
    size_t n;
};

/* Reads path into k (caller's storage, released with keys_fini).  Errors:
 * ERR_IO (unreadable), ERR_TOOBIG (a key longer than KEYS_MAX_LEN or more
 * than KEYS_MAX_FILE_KEYS keys), ERR_INVAL (a key with spaces or control
 * characters, or no key at all); *bad_line is the 1-based offending line
 * (0 for ERR_IO). */
int keys_load(const char *path, struct keys *k, size_t *bad_line) WARN_UNUSED;

/* Releases k; accepts a zeroed struct. */
void keys_fini(struct keys *k);

/* Account of key in k by linear search, -1 when absent (config-time and
 * test use only). */
int64_t keys_find(const struct keys *k, const char *key, size_t key_len);

/* A printable stand-in for a key: its first 6 bytes then "...", so logs
 * can tell keys apart without revealing them.  Returns buf. */
char *keys_redact(const char *key, char *buf, size_t len);

#endif

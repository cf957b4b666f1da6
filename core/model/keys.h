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
 * blank lines and lines starting with '#' are skipped.  It is read within
 * fixed bounds whatever it turns out to be: a regular file or a pipe
 * (process substitution), at most KEYS_MAX_FILE_BYTES, lines of at most
 * KEYS_MAX_LINE bytes, at most KEYS_MAX_FILE_KEYS keys; anything else
 * (/dev/zero, a directory, a socket) is refused before a byte is read.
 * Keys must never be written to results or logs: callers print
 * keys_redact() instead, and keys_redact_url() for URLs that may carry
 * credentials.
 */
#ifndef TOLLGATE_KEYS_H
#define TOLLGATE_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/base/err.h"

#define KEYS_MAX_LEN       200      /* bytes in one key, NUL excluded */
#define KEYS_MAX_FILE_KEYS 10000000 /* keys accepted from a keys file */
/* Bytes in one line of a keys file, newline excluded: a key plus room for
 * indentation, or a comment. */
#define KEYS_MAX_LINE 4096
/* Bytes in a keys file: 10 million keys of ~25 bytes, 1.6 million
 * 160-byte keys. */
#define KEYS_MAX_FILE_BYTES (256L * 1024 * 1024)

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
 * ERR_IO (cannot open or read), ERR_TOOBIG (larger than
 * KEYS_MAX_FILE_BYTES, a line longer than KEYS_MAX_LINE, a key longer
 * than KEYS_MAX_LEN, or more than KEYS_MAX_FILE_KEYS keys), ERR_INVAL
 * (neither a regular file nor a pipe, a key with spaces or control
 * characters, or no key at all); *bad_line is the 1-based offending line,
 * 0 when the error is about the whole file.  k is empty on error. */
int keys_load(const char *path, struct keys *k, size_t *bad_line) WARN_UNUSED;

/* The same, and on error a one-line explanation in why[0..why_len) that
 * names the limit or the problem and how to fix it, without the path and
 * without any key ("line 3: key longer than 200 bytes (KEYS_MAX_LEN)").
 * why may be NULL. */
int keys_load_explained(const char *path, struct keys *k, size_t *bad_line,
                        char *why, size_t why_len) WARN_UNUSED;

/* Releases k; accepts a zeroed struct. */
void keys_fini(struct keys *k);

/* Account of key in k by linear search, -1 when absent (config-time and
 * test use only). */
int64_t keys_find(const struct keys *k, const char *key, size_t key_len);

/* A printable stand-in for a key: its first 6 bytes then "...", so logs
 * can tell keys apart without revealing them.  Returns buf. */
char *keys_redact(const char *key, char *buf, size_t len);

/* url with its credentials masked, for messages and results: the password
 * of "user:password@" becomes "***" ("user:***@"), a user without a
 * password ("token@host") becomes "***@", and the value of every query or
 * fragment parameter whose name looks like a secret (contains, ignoring
 * case, "key", "token", "secret", "pass", "pwd", "auth", "sig",
 * "credential" or "session") becomes "***" ("api_key=***").  Written
 * into buf (NUL-terminated, truncated to len - 1 bytes: truncation never
 * reveals a masked part).  Returns buf. */
char *keys_redact_url(const char *url, char *buf, size_t len);

#endif

/*
 * keys.c - deterministic per-account API keys and keys files.
 *
 * The deterministic key of account a is "tg-<a>-<16 hex of keys_hash(a)>".
 * keys_parse accepts exactly the strings keys_for_account writes (decimal
 * account without sign or leading zeros, lower-case hex), so a key is
 * valid for one account only.  Nothing here is cryptographic: the hash
 * only makes typos and foreign keys fail.  Keys files are read whole at
 * start-up; no key is ever printed by this module.
 */
#include "core/keys.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEYS_SALT 0x746f6c6c67617465ULL /* "tollgate" */

uint64_t keys_hash(int64_t account)
{
    uint64_t z = (uint64_t)account ^ KEYS_SALT;
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

size_t keys_for_account(int64_t account, char *buf, size_t len)
{
    /* Formatted by hand: run renders a key for every request. */
    static const char hex[] = "0123456789abcdef";
    char digits[20];
    size_t nd = 0;
    if (account < 0)
        return 0;
    uint64_t a = (uint64_t)account;
    do {
        digits[nd++] = (char)('0' + a % 10);
        a /= 10;
    } while (a);
    size_t n = 3 + nd + 1 + 16;
    if (n >= len)
        return 0;
    memcpy(buf, "tg-", 3);
    for (size_t i = 0; i < nd; i++)
        buf[3 + i] = digits[nd - 1 - i];
    buf[3 + nd] = '-';
    uint64_t h = keys_hash(account);
    for (int i = 15; i >= 0; i--, h >>= 4)
        buf[4 + nd + (size_t)i] = hex[h & 15];
    buf[n] = '\0';
    return n;
}

size_t keys_invalid(uint64_t salt, char *buf, size_t len)
{
    if (len < 28)
        return 0;
    uint64_t h = keys_hash((int64_t)(salt ^ 0x5a5a5a5a5a5a5a5aULL));
    int n = snprintf(buf, len, "tg-invalid-%016" PRIx64, h);
    return n < 0 ? 0 : (size_t)n;
}

bool keys_parse(const char *key, size_t key_len, int64_t *account)
{
    if (key_len < 3 + 1 + 1 + 16 || memcmp(key, "tg-", 3) != 0)
        return false;
    size_t i = 3;
    if (key[i] == '0' && key[i + 1] != '-')
        return false; /* leading zero: not what keys_for_account writes */
    int64_t a = 0;
    size_t digits = 0;
    while (i < key_len && key[i] >= '0' && key[i] <= '9' && digits < 18) {
        a = a * 10 + (key[i] - '0');
        i++;
        digits++;
    }
    if (digits == 0 || i >= key_len || key[i] != '-' || key_len - i - 1 != 16)
        return false;
    char want[17];
    snprintf(want, sizeof(want), "%016" PRIx64, keys_hash(a));
    if (memcmp(key + i + 1, want, 16) != 0)
        return false;
    *account = a;
    return true;
}

static bool key_chars_ok(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] <= ' ' || (unsigned char)s[i] == 0x7f)
            return false;
    return true;
}

/* Adds one trimmed line to k; returns an enum err. */
static int add_line(struct keys *k, size_t *cap, char *line, size_t n)
{
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r' ||
                     line[n - 1] == ' ' || line[n - 1] == '\t'))
        n--;
    size_t s = 0;
    while (s < n && (line[s] == ' ' || line[s] == '\t'))
        s++;
    if (s == n || line[s] == '#')
        return ERR_OK;
    if (n - s > KEYS_MAX_LEN || k->n >= KEYS_MAX_FILE_KEYS)
        return ERR_TOOBIG;
    if (!key_chars_ok(line + s, n - s))
        return ERR_INVAL;
    if (k->n == *cap) {
        *cap = *cap ? *cap * 2 : 64;
        k->key = xrealloc(k->key, *cap * sizeof(*k->key));
    }
    k->key[k->n++] = xstrndup(line + s, n - s);
    return ERR_OK;
}

int keys_load(const char *path, struct keys *k, size_t *bad_line)
{
    memset(k, 0, sizeof(*k));
    *bad_line = 0;
    FILE *f = fopen(path, "r");
    if (!f)
        return ERR_IO;
    char *line = NULL;
    size_t line_cap = 0, cap = 0, lineno = 0;
    ssize_t got;
    int rc = ERR_OK;
    while ((got = getline(&line, &line_cap, f)) >= 0) {
        lineno++;
        rc = add_line(k, &cap, line, (size_t)got);
        if (rc != ERR_OK)
            break;
    }
    if (rc == ERR_OK && ferror(f))
        rc = ERR_IO;
    else if (rc == ERR_OK && k->n == 0)
        rc = ERR_INVAL;
    free(line);
    if (fclose(f) != 0 && rc == ERR_OK)
        rc = ERR_IO;
    if (rc != ERR_OK) {
        *bad_line = rc == ERR_IO ? 0 : lineno;
        keys_fini(k);
    }
    return rc;
}

void keys_fini(struct keys *k)
{
    if (!k)
        return;
    for (size_t i = 0; i < k->n; i++)
        free(k->key[i]);
    free(k->key);
    k->key = NULL;
    k->n = 0;
}

int64_t keys_find(const struct keys *k, const char *key, size_t key_len)
{
    for (size_t i = 0; i < k->n; i++)
        if (strlen(k->key[i]) == key_len &&
            memcmp(k->key[i], key, key_len) == 0)
            return (int64_t)i;
    return -1;
}

char *keys_redact(const char *key, char *buf, size_t len)
{
    snprintf(buf, len, "%.6s...", key);
    return buf;
}

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
#include "core/model/keys.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/base/rng.h"

#define KEYS_SALT 0x746f6c6c67617465ULL /* "tollgate" */

uint64_t keys_hash(int64_t account)
{
    return rng_mix64(((uint64_t)account ^ KEYS_SALT) + RNG_GOLDEN);
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

/* State of one keys_load: the keys so far and the line being read. */
struct loader {
    struct keys *k;
    size_t cap;    /* slots in k->key */
    size_t lineno; /* 1-based number of the current line */
    size_t len;    /* bytes of the current line in line[] */
    char line[KEYS_MAX_LINE];
    size_t err_line; /* line of the error, 0: the whole file */
    char *why;
    size_t why_len;
};

/* Records an error about line (0: the whole file); returns rc. */
PRINTF_LIKE(4, 5)
static int fail(struct loader *ld, size_t line, int rc, const char *fmt, ...)
{
    ld->err_line = line;
    if (ld->why != NULL && ld->why_len > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(ld->why, ld->why_len, fmt, ap);
        va_end(ap);
    }
    return rc;
}

/* Adds the current line, trimmed, to the keys; returns an enum err. */
static int add_line(struct loader *ld)
{
    const char *line = ld->line;
    size_t n = ld->len, s = 0;
    ld->len = 0;
    while (n > 0 &&
           (line[n - 1] == '\r' || line[n - 1] == ' ' || line[n - 1] == '\t'))
        n--;
    while (s < n && (line[s] == ' ' || line[s] == '\t'))
        s++;
    if (s == n || line[s] == '#')
        return ERR_OK;
    struct keys *k = ld->k;
    if (n - s > KEYS_MAX_LEN)
        return fail(ld, ld->lineno, ERR_TOOBIG,
                    "line %zu: a key of %zu bytes; keys are at most %d "
                    "bytes (KEYS_MAX_LEN)",
                    ld->lineno, n - s, KEYS_MAX_LEN);
    if (k->n >= KEYS_MAX_FILE_KEYS)
        return fail(ld, ld->lineno, ERR_TOOBIG,
                    "line %zu: more than %d keys (KEYS_MAX_FILE_KEYS); "
                    "give one key per account, no more",
                    ld->lineno, KEYS_MAX_FILE_KEYS);
    if (!key_chars_ok(line + s, n - s))
        return fail(ld, ld->lineno, ERR_INVAL,
                    "line %zu: a key with a space or control character; "
                    "put one key per line, nothing else",
                    ld->lineno);
    if (k->n == ld->cap) {
        ld->cap = ld->cap ? ld->cap * 2 : 64;
        k->key = xrealloc(k->key, ld->cap * sizeof(*k->key));
    }
    k->key[k->n++] = xstrndup(line + s, n - s);
    return ERR_OK;
}

/* Feeds n bytes of the file into lines; returns an enum err. */
static int feed(struct loader *ld, const char *buf, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (buf[i] == '\n') {
            int rc = add_line(ld);
            if (rc != ERR_OK)
                return rc;
            ld->lineno++;
        } else if (ld->len == KEYS_MAX_LINE) {
            return fail(ld, ld->lineno, ERR_TOOBIG,
                        "line %zu: longer than %d bytes (KEYS_MAX_LINE); a "
                        "keys file holds one key per line",
                        ld->lineno, KEYS_MAX_LINE);
        } else {
            ld->line[ld->len++] = buf[i];
        }
    }
    return ERR_OK;
}

/* Opens path without blocking on a FIFO that has no writer yet, and
 * refuses anything but a regular file or a pipe before reading it. */
static int open_bounded(struct loader *ld, const char *path, int *out)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return fail(ld, 0, ERR_IO, "cannot open: %s", strerror(errno));
    struct stat st;
    int flags = fcntl(fd, F_GETFL);
    int rc = ERR_OK;
    if (fstat(fd, &st) != 0 || flags < 0 ||
        fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0)
        rc = fail(ld, 0, ERR_IO, "cannot read: %s", strerror(errno));
    else if (!S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode))
        rc = fail(ld, 0, ERR_INVAL,
                  "not a regular file or a pipe (%s); give a text file "
                  "with one key per line",
                  S_ISCHR(st.st_mode)   ? "a character device"
                  : S_ISDIR(st.st_mode) ? "a directory"
                  : S_ISBLK(st.st_mode) ? "a block device"
                                        : "a socket");
    else if (S_ISREG(st.st_mode) && st.st_size > KEYS_MAX_FILE_BYTES)
        rc = fail(ld, 0, ERR_TOOBIG,
                  "%lld bytes, more than the %ld-byte limit "
                  "(KEYS_MAX_FILE_BYTES)",
                  (long long)st.st_size, KEYS_MAX_FILE_BYTES);
    if (rc != ERR_OK) {
        close(fd);
        return rc;
    }
    *out = fd;
    return ERR_OK;
}

/* Reads fd to its end within KEYS_MAX_FILE_BYTES (a pipe or a file that
 * grows is cut there, not trusted). */
static int read_all(struct loader *ld, int fd)
{
    char buf[16384];
    long total = 0;
    for (;;) {
        ssize_t got = read(fd, buf, sizeof(buf));
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            return fail(ld, 0, ERR_IO, "cannot read: %s", strerror(errno));
        if (got == 0)
            break;
        total += got;
        if (total > KEYS_MAX_FILE_BYTES)
            return fail(ld, 0, ERR_TOOBIG,
                        "more than %ld bytes (KEYS_MAX_FILE_BYTES)",
                        KEYS_MAX_FILE_BYTES);
        int rc = feed(ld, buf, (size_t)got);
        if (rc != ERR_OK)
            return rc;
    }
    return ld->len > 0 ? add_line(ld) : ERR_OK;
}

int keys_load_explained(const char *path, struct keys *k, size_t *bad_line,
                        char *why, size_t why_len)
{
    memset(k, 0, sizeof(*k));
    *bad_line = 0;
    if (why != NULL && why_len > 0)
        why[0] = '\0';
    struct loader *ld = xcalloc(1, sizeof(*ld)); /* 4 KiB line buffer */
    ld->k = k;
    ld->lineno = 1;
    ld->why = why;
    ld->why_len = why_len;
    int fd = -1;
    int rc = open_bounded(ld, path, &fd);
    if (rc == ERR_OK) {
        rc = read_all(ld, fd);
        if (close(fd) != 0 && rc == ERR_OK)
            rc = fail(ld, 0, ERR_IO, "cannot read: %s", strerror(errno));
    }
    if (rc == ERR_OK && k->n == 0)
        rc = fail(ld, 0, ERR_INVAL,
                  "no key in the file; write one key per line, for "
                  "accounts 0, 1, 2, ...");
    if (rc != ERR_OK) {
        *bad_line = ld->err_line;
        keys_fini(k);
    }
    free(ld);
    return rc;
}

int keys_load(const char *path, struct keys *k, size_t *bad_line)
{
    return keys_load_explained(path, k, bad_line, NULL, 0);
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

/* ---- URLs --------------------------------------------------------------- */

/* Appends n bytes of s to buf within len (always NUL-terminated). */
static void put(char *buf, size_t len, size_t *at, const char *s, size_t n)
{
    for (size_t i = 0; i < n && *at + 1 < len; i++)
        buf[(*at)++] = s[i];
    buf[*at < len ? *at : len - 1] = '\0';
}

/* True when a parameter name looks like it holds a secret. */
static bool secret_name(const char *name, size_t n)
{
    static const char *const words[] = { "key",  "token",      "secret",
                                         "pass", "pwd",        "auth",
                                         "sig",  "credential", "session" };
    char low[64];
    if (n >= sizeof(low))
        return true; /* unusually long: mask rather than guess */
    for (size_t i = 0; i < n; i++)
        low[i] =
            (char)(name[i] >= 'A' && name[i] <= 'Z' ? name[i] + 32 : name[i]);
    low[n] = '\0';
    for (size_t w = 0; w < sizeof(words) / sizeof(words[0]); w++)
        if (strstr(low, words[w]) != NULL)
            return true;
    return false;
}

/* Copies "name=value&name=value..." (a query or a fragment, up to end),
 * masking the values of secret names. */
static void put_params(char *buf, size_t len, size_t *at, const char *p,
                       const char *end)
{
    while (p < end) {
        const char *amp = p;
        while (amp < end && *amp != '&' && *amp != ';')
            amp++;
        const char *eq = memchr(p, '=', (size_t)(amp - p));
        if (eq != NULL && secret_name(p, (size_t)(eq - p))) {
            put(buf, len, at, p, (size_t)(eq - p) + 1);
            put(buf, len, at, "***", 3);
        } else {
            put(buf, len, at, p, (size_t)(amp - p));
        }
        if (amp < end)
            put(buf, len, at, amp, 1);
        p = amp + 1;
    }
}

char *keys_redact_url(const char *url, char *buf, size_t len)
{
    if (len == 0)
        return buf;
    size_t at = 0, n = strlen(url);
    buf[0] = '\0';
    const char *scheme = strstr(url, "://");
    const char *auth = scheme != NULL ? scheme + 3 : url;
    const char *rest = auth + strcspn(auth, "/?#");
    const char *at_sign = NULL; /* the last '@' of the authority */
    for (const char *q = auth; q < rest; q++)
        if (*q == '@')
            at_sign = q;
    put(buf, len, &at, url, (size_t)(auth - url));
    if (at_sign != NULL) {
        const char *colon = memchr(auth, ':', (size_t)(at_sign - auth));
        if (colon != NULL)
            put(buf, len, &at, auth, (size_t)(colon - auth) + 1);
        put(buf, len, &at, "***", 3);
        auth = at_sign;
    }
    const char *query = rest + strcspn(rest, "?#");
    put(buf, len, &at, auth, (size_t)(query - auth));
    while (query < url + n) {
        const char *next = query + 1 + strcspn(query + 1, "#");
        put(buf, len, &at, query, 1); /* '?' or '#' */
        put_params(buf, len, &at, query + 1, next);
        query = next;
    }
    return buf;
}

/*
 * fuzz_keys.c - the keys file loader (and the key scheme's parser).
 *
 * The input is written to a temporary file and loaded with keys_load.
 * Properties: a failure names no line past the end of the file; a
 * success holds keys of 1..KEYS_MAX_LEN bytes without spaces, each found
 * by keys_find at its own index or at an earlier duplicate.  Every line is
 * also given to keys_parse (exact-size buffer), and a key it accepts must
 * be the one keys_for_account makes for that account.
 */
#include "fuzz_common.h"

#include "core/model/keys.h"

static struct fuzz_file in_file;

static void check_parse(const uint8_t *p, size_t n)
{
    char *key = fuzz_dup_exact(p, n);
    int64_t account = -7;
    if (keys_parse(key, n, &account)) {
        char want[64];
        size_t wn = keys_for_account(account, want, sizeof(want));
        if (wn != n || memcmp(want, key, n) != 0)
            fuzz_fail("keys_parse accepts a key for %lld that is not its key",
                      (long long)account);
    } else if (account != -7) {
        fuzz_fail("keys_parse refused a key but set the account");
    }
    free(key);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_file_put(&in_file, data, size);
    struct keys k;
    size_t bad_line = 0;
    int rc = keys_load(path, &k, &bad_line);
    size_t lines = 1;
    for (size_t i = 0; i < size; i++)
        lines += data[i] == '\n';
    if (rc != ERR_OK && bad_line > lines)
        fuzz_fail("%s at line %zu of %zu", err_str(rc), bad_line, lines);
    if (rc == ERR_OK && k.n == 0)
        fuzz_fail("loaded no key without an error");
    for (size_t i = 0; rc == ERR_OK && i < k.n; i++) {
        size_t n = strlen(k.key[i]);
        if (n == 0 || n > KEYS_MAX_LEN || strpbrk(k.key[i], " \t\r\n"))
            fuzz_fail("key %zu is '%s'", i, k.key[i]);
        int64_t at = keys_find(&k, k.key[i], n);
        if (at < 0 || at > (int64_t)i)
            fuzz_fail("keys_find of key %zu gives %lld", i, (long long)at);
        char red[32];
        keys_redact(k.key[i], red, sizeof(red));
    }
    keys_fini(&k);
    for (size_t at = 0; at < size;) {
        const uint8_t *nl = memchr(data + at, '\n', size - at);
        size_t end = nl ? (size_t)(nl - data) : size;
        check_parse(data + at, end - at);
        at = end + 1;
    }
    return 0;
}

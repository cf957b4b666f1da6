/*
 * test_keys.c - deterministic account keys (round trip, rejection of
 * near misses), invalid keys, keys files and every error they give.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/keys.h"

static void test_round_trip(void **state)
{
    (void)state;
    const int64_t accounts[] = { 0, 1, 9, 10, 12345, 9999999 };
    for (size_t i = 0; i < sizeof(accounts) / sizeof(accounts[0]); i++) {
        char k[64];
        size_t n = keys_for_account(accounts[i], k, sizeof(k));
        assert_int_equal(n, strlen(k));
        int64_t a = -1;
        assert_true(keys_parse(k, n, &a));
        assert_int_equal(a, accounts[i]);
    }
}

struct reject_case {
    const char *name;
    const char *key;
};

/* tg-1-... with the hash of account 1 is valid; these are near misses. */
static const struct reject_case rejects[] = {
    { "empty", "" },
    { "wrong prefix", "sk-1-0000000000000000" },
    { "no account", "tg--0000000000000000" },
    { "leading zero", "tg-01-0000000000000000" },
    { "short hash", "tg-1-00000000" },
    { "wrong hash", "tg-1-0000000000000000" },
    { "invalid marker", "tg-invalid-0000000000000000" },
};

static void test_reject_case(void **state)
{
    const struct reject_case *c = *state;
    int64_t a = 42;
    assert_false(keys_parse(c->key, strlen(c->key), &a));
    assert_int_equal(a, 42);
}

static void test_hash_is_checked(void **state)
{
    (void)state;
    char k[64];
    size_t n = keys_for_account(1, k, sizeof(k));
    k[n - 1] = k[n - 1] == '0' ? '1' : '0';
    int64_t a;
    assert_false(keys_parse(k, n, &a));
    char other[64];
    keys_for_account(2, other, sizeof(other));
    memcpy(other, "tg-1", 4); /* account 1 with account 2's hash */
    assert_false(keys_parse(other, strlen(other), &a));
}

static void test_invalid_and_small_buffers(void **state)
{
    (void)state;
    char k[64], k2[64];
    assert_true(keys_invalid(1, k, sizeof(k)) > 0);
    assert_true(keys_invalid(2, k2, sizeof(k2)) > 0);
    assert_string_not_equal(k, k2);
    int64_t a;
    assert_false(keys_parse(k, strlen(k), &a));
    assert_int_equal(keys_for_account(5, k, 10), 0);
    assert_int_equal(keys_for_account(-1, k, sizeof(k)), 0);
    assert_int_equal(keys_invalid(1, k, 10), 0);
    char red[16];
    assert_string_equal(keys_redact("sk-proj-secret", red, sizeof(red)),
                        "sk-pro...");
}

static char *write_tmp(const char *text)
{
    char *path = strdup("/tmp/tg-keys-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs(text, f);
    fclose(f);
    return path;
}

struct file_case {
    const char *name;
    const char *text;
    int want_rc;
    size_t want_n, want_line;
};

static const struct file_case file_cases[] = {
    { "three keys", "# keys\nk0\n\n  k1  \r\nk2", ERR_OK, 3, 0 },
    { "no keys", "# only a comment\n\n", ERR_INVAL, 0, 2 },
    { "space inside", "k0\nk 1\n", ERR_INVAL, 0, 2 },
    { "control char", "k0\nk\x01\n", ERR_INVAL, 0, 2 },
};

static void test_file_case(void **state)
{
    const struct file_case *c = *state;
    char *path = write_tmp(c->text);
    struct keys k;
    size_t line = 99;
    assert_int_equal(keys_load(path, &k, &line), c->want_rc);
    assert_int_equal(k.n, c->want_n);
    assert_int_equal(line, c->want_line);
    if (c->want_rc == ERR_OK) {
        assert_string_equal(k.key[1], "k1");
        assert_int_equal(keys_find(&k, "k2", 2), 2);
        assert_int_equal(keys_find(&k, "k", 1), -1);
    }
    keys_fini(&k);
    unlink(path);
    free(path);
}

static void test_file_errors(void **state)
{
    (void)state;
    struct keys k;
    size_t line = 99;
    assert_int_equal(keys_load("/nonexistent/keys.txt", &k, &line), ERR_IO);
    assert_int_equal(line, 0);
    char big[KEYS_MAX_LEN + 10];
    memset(big, 'a', sizeof(big) - 2);
    big[sizeof(big) - 2] = '\n';
    big[sizeof(big) - 1] = '\0';
    char *path = write_tmp(big);
    assert_int_equal(keys_load(path, &k, &line), ERR_TOOBIG);
    assert_int_equal(line, 1);
    unlink(path);
    free(path);
    keys_fini(NULL);
}

#define N_REJ  (sizeof(rejects) / sizeof(rejects[0]))
#define N_FILE (sizeof(file_cases) / sizeof(file_cases[0]))

int main(void)
{
    struct CMUnitTest tests[N_REJ + N_FILE + 4];
    size_t n = 0;
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_round_trip);
    for (size_t i = 0; i < N_REJ; i++)
        tests[n++] = (struct CMUnitTest){ rejects[i].name, test_reject_case,
                                          NULL, NULL, (void *)&rejects[i] };
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_hash_is_checked);
    tests[n++] =
        (struct CMUnitTest)cmocka_unit_test(test_invalid_and_small_buffers);
    for (size_t i = 0; i < N_FILE; i++)
        tests[n++] = (struct CMUnitTest){ file_cases[i].name, test_file_case,
                                          NULL, NULL, (void *)&file_cases[i] };
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_file_errors);
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_keys.c - deterministic account keys (round trip, rejection of
 * near misses), invalid keys, keys files and every error they give
 * (including the bounds: devices, pipes that never end, over-long lines,
 * oversized files), and the masking of credentials in URLs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/model/keys.h"

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
    { "no keys", "# only a comment\n\n", ERR_INVAL, 0, 0 },
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

/* A file that is not a key list, and what keys_load says about it. */
struct bound_case {
    const char *name;
    const char *path; /* NULL: made by the test */
    int want_rc;
    size_t want_line;
    const char *want_why; /* a substring of the explanation */
};

static const struct bound_case bound_cases[] = {
    { "/dev/zero refused unread", "/dev/zero", ERR_INVAL, 0,
      "not a regular file or a pipe (a character device)" },
    { "directory refused", "/tmp", ERR_INVAL, 0, "(a directory)" },
    { "missing file", "/nonexistent/keys.txt", ERR_IO, 0,
      "cannot open: No such file or directory" },
};

static void test_bound_case(void **state)
{
    const struct bound_case *c = *state;
    struct keys k;
    size_t line = 99;
    char why[200];
    assert_int_equal(keys_load_explained(c->path, &k, &line, why, sizeof(why)),
                     c->want_rc);
    assert_int_equal(line, c->want_line);
    assert_int_equal(k.n, 0);
    assert_non_null(strstr(why, c->want_why));
}

/* A line longer than KEYS_MAX_LINE fails at that line, after reading at
 * most one line's worth of it. */
static void test_long_line(void **state)
{
    (void)state;
    size_t n = KEYS_MAX_LINE + 100;
    char *text = malloc(n + 20);
    strcpy(text, "k0\n#");
    memset(text + 4, 'c', n);
    strcpy(text + 4 + n, "\nk1\n");
    char *path = write_tmp(text);
    struct keys k;
    size_t line = 99;
    char why[200];
    assert_int_equal(keys_load_explained(path, &k, &line, why, sizeof(why)),
                     ERR_TOOBIG);
    assert_int_equal(line, 2);
    assert_string_equal(why, "line 2: longer than 4096 bytes (KEYS_MAX_LINE); "
                             "a keys file holds one key per line");
    /* KEYS_MAX_LINE bytes exactly (a comment) are still fine. */
    memset(text + 4, 'c', KEYS_MAX_LINE - 1);
    strcpy(text + 3 + KEYS_MAX_LINE, "\nk1\n");
    unlink(path);
    free(path);
    path = write_tmp(text);
    assert_int_equal(keys_load(path, &k, &line), ERR_OK);
    assert_int_equal(k.n, 2);
    keys_fini(&k);
    unlink(path);
    free(path);
    free(text);
}

/* A regular file over KEYS_MAX_FILE_BYTES is refused from its size alone
 * (a sparse file: nothing is read, nothing allocated). */
static void test_oversized_file(void **state)
{
    (void)state;
    char path[] = "/tmp/tg-keys-big-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, KEYS_MAX_FILE_BYTES + 1), 0);
    close(fd);
    struct keys k;
    size_t line = 99;
    char why[200];
    assert_int_equal(keys_load_explained(path, &k, &line, why, sizeof(why)),
                     ERR_TOOBIG);
    assert_int_equal(line, 0);
    assert_string_equal(why, "268435457 bytes, more than the 268435456-byte "
                             "limit (KEYS_MAX_FILE_BYTES)");
    unlink(path);
}

/* A child writes text (forever when endless) into a pipe; keys_load reads
 * it through /dev/fd/N, as with a shell's process substitution. */
static pid_t pipe_writer(const char *text, bool endless, char *path, size_t len)
{
    int p[2];
    assert_int_equal(pipe(p), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(p[0]);
        size_t n = strlen(text);
        do {
            if (write(p[1], text, n) != (ssize_t)n)
                _exit(0); /* the reader went away */
        } while (endless);
        _exit(0);
    }
    close(p[1]);
    snprintf(path, len, "/dev/fd/%d", p[0]);
    return pid;
}

static void test_pipes(void **state)
{
    (void)state;
    char path[64];
    struct keys k;
    size_t line = 99;
    char why[200];
    /* A pipe with keys, then its end: read like a file. */
    pid_t pid = pipe_writer("k0\nk1\n", false, path, sizeof(path));
    assert_int_equal(keys_load(path, &k, &line), ERR_OK);
    assert_int_equal(k.n, 2);
    keys_fini(&k);
    close(atoi(path + 8));
    assert_int_equal(waitpid(pid, NULL, 0), pid);
    /* A pipe that never ends a line: cut at KEYS_MAX_LINE. */
    pid = pipe_writer("aaaaaaaaaaaaaaaa", true, path, sizeof(path));
    assert_int_equal(keys_load_explained(path, &k, &line, why, sizeof(why)),
                     ERR_TOOBIG);
    assert_int_equal(line, 1);
    close(atoi(path + 8)); /* the writer gets EPIPE and ends */
    assert_int_equal(waitpid(pid, NULL, 0), pid);
    /* A pipe of endless short lines: cut at KEYS_MAX_FILE_KEYS is too
     * slow for a unit test; a FIFO nobody writes to reads as empty at
     * once instead of blocking. */
    char fifo[] = "/tmp/tg-keys-fifo-XXXXXX";
    int fd = mkstemp(fifo);
    assert_true(fd >= 0);
    close(fd);
    unlink(fifo);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    assert_int_equal(keys_load_explained(fifo, &k, &line, why, sizeof(why)),
                     ERR_INVAL);
    assert_non_null(strstr(why, "no key in the file"));
    unlink(fifo);
}

struct url_case {
    const char *name, *url, *want;
};

static const struct url_case url_cases[] = {
    { "plain", "http://127.0.0.1:8080/v1", "http://127.0.0.1:8080/v1" },
    { "user and password", "http://user:pw@host/", "http://user:***@host/" },
    { "user only", "https://ghp_secret@host:443", "https://***@host:443" },
    { "password with @", "http://u:p@ss@host/x", "http://u:***@host/x" },
    { "@ in the path is not userinfo", "http://host/a@b?x=1",
      "http://host/a@b?x=1" },
    { "api_key", "http://h/p?api_key=sk-123&model=m",
      "http://h/p?api_key=***&model=m" },
    { "key and token", "http://h/?key=abc&token=def",
      "http://h/?key=***&token=***" },
    { "case and dashes", "http://h/?X-Amz-Signature=1&Access_Token=2",
      "http://h/?X-Amz-Signature=***&Access_Token=***" },
    { "fragment", "http://h/#access_token=t&state=s",
      "http://h/#access_token=***&state=s" },
    { "query then fragment", "http://a:b@h?sig=1#key=2",
      "http://a:***@h?sig=***#key=***" },
    { "name without value kept", "http://h/?debug&password",
      "http://h/?debug&password" },
    { "no scheme", "user:pw@host:80/x", "user:***@host:80/x" },
};

static void test_url_case(void **state)
{
    const struct url_case *c = *state;
    char buf[256];
    assert_string_equal(keys_redact_url(c->url, buf, sizeof(buf)), c->want);
}

/* Truncation cuts the output, never reveals what was masked. */
static void test_url_truncation(void **state)
{
    (void)state;
    char buf[12];
    assert_string_equal(keys_redact_url("http://u:secret@h/", buf, 12),
                        "http://u:**");
    assert_string_equal(keys_redact_url("http://h/?key=secret", buf, 12),
                        "http://h/?k");
    char one[1];
    assert_string_equal(keys_redact_url("http://u:p@h", one, 1), "");
}

#define N_REJ   (sizeof(rejects) / sizeof(rejects[0]))
#define N_FILE  (sizeof(file_cases) / sizeof(file_cases[0]))
#define N_BOUND (sizeof(bound_cases) / sizeof(bound_cases[0]))
#define N_URL   (sizeof(url_cases) / sizeof(url_cases[0]))

int main(void)
{
    struct CMUnitTest tests[N_REJ + N_FILE + N_BOUND + N_URL + 8];
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
    for (size_t i = 0; i < N_BOUND; i++)
        tests[n++] = (struct CMUnitTest){ bound_cases[i].name, test_bound_case,
                                          NULL, NULL, (void *)&bound_cases[i] };
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_long_line);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_oversized_file);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_pipes);
    for (size_t i = 0; i < N_URL; i++)
        tests[n++] = (struct CMUnitTest){ url_cases[i].name, test_url_case,
                                          NULL, NULL, (void *)&url_cases[i] };
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_url_truncation);
    return cmocka_run_group_tests(tests, NULL, NULL);
}

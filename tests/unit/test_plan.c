/*
 * test_plan.c - --start-at and --shard values (loadgen/plan.c): epoch
 * seconds and RFC 3339 times to exact ns (expected values from `date -u
 * -d ... +%s`), offsets, leap days, malformed and out-of-range input;
 * I/N and auto/N with the Kubernetes and Slurm index variables.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "loadgen/plan.h"

#define S 1000000000LL

struct time_case {
    const char *name, *in;
    int64_t want_ns; /* -1: refused */
};

static const struct time_case time_cases[] = {
    { "epoch", "1764237600", 1764237600 * S },
    { "epoch zero", "0", 0 },
    { "epoch fraction", "1764237600.25", 1764237600 * S + 250000000 },
    { "epoch ns", "1.000000001", S + 1 },
    { "rfc Z", "2025-11-27T10:00:00Z", 1764237600 * S },
    { "rfc lower t z", "2025-11-27t10:00:00z", 1764237600 * S },
    { "rfc space", "2025-11-27 10:00:00Z", 1764237600 * S },
    { "rfc fraction", "2025-11-27T10:00:00.5Z", 1764237600 * S + S / 2 },
    { "rfc +02:00", "2025-11-27T12:00:00+02:00", 1764237600 * S },
    { "rfc -05:30", "2025-11-27T04:30:00-05:30", 1764237600 * S },
    { "rfc +00:00", "2025-11-27T10:00:00+00:00", 1764237600 * S },
    { "leap day", "2024-02-29T00:00:00Z", 1709164800 * S },
    { "epoch start", "1970-01-01T00:00:00Z", 0 },
    { "year 2100", "2100-03-01T00:00:00Z", 4107542400 * S },
    { "no leap 2100", "2100-02-29T00:00:00Z", -1 },
    { "no zone", "2025-11-27T10:00:00", -1 },
    { "leap second", "2025-12-31T23:59:60Z", -1 },
    { "month 13", "2025-13-01T00:00:00Z", -1 },
    { "hour 24", "2025-11-27T24:00:00Z", -1 },
    { "short", "2025-11-27", -1 },
    { "trailing", "2025-11-27T10:00:00Zx", -1 },
    { "ten fraction digits", "1.0000000001", -1 },
    { "empty fraction", "1.", -1 },
    { "negative", "-5", -1 },
    { "empty", "", -1 },
    { "word", "now", -1 },
    { "too far", "99999999999", -1 },
    { "before 1970", "1969-12-31T23:59:59Z", -1 },
};

static void test_start_at(void **state)
{
    const struct time_case *c = *state;
    int64_t got = -2;
    char err[160] = "";
    int rc = lg_plan_start_at(c->in, &got, err, sizeof(err));
    if (c->want_ns < 0) {
        assert_int_equal(rc, ERR_INVAL);
        assert_true(err[0] != '\0');
    } else {
        assert_int_equal(rc, ERR_OK);
        assert_int_equal(got, c->want_ns);
    }
}

struct shard_case {
    const char *name, *in, *job, *array, *slurm;
    int want_i, want_n; /* want_n 0: refused */
    const char *want_src;
};

static const struct shard_case shard_cases[] = {
    { "plain", "1/3", NULL, NULL, NULL, 1, 3, "--shard" },
    { "plain ignores env", "0/2", "1", NULL, "1", 0, 2, "--shard" },
    { "one", "0/1", NULL, NULL, NULL, 0, 1, "--shard" },
    { "k8s", "auto/4", "3", NULL, NULL, 3, 4, "JOB_COMPLETION_INDEX" },
    { "k8s first", "auto/4", "2", NULL, "1", 2, 4, "JOB_COMPLETION_INDEX" },
    { "slurm", "auto/8", NULL, NULL, "5", 5, 8, "SLURM_PROCID" },
    { "slurm when k8s empty", "auto/8", "", NULL, "7", 7, 8, "SLURM_PROCID" },
    { "auto unset", "auto/2", NULL, NULL, NULL, 0, 0, NULL },
    { "index too big", "auto/2", "2", NULL, NULL, 0, 0, NULL },
    { "env not a number", "auto/2", "x", NULL, NULL, 0, 0, NULL },
    { "i >= n", "3/3", NULL, NULL, NULL, 0, 0, NULL },
    { "n zero", "0/0", NULL, NULL, NULL, 0, 0, NULL },
    { "negative", "-1/2", NULL, NULL, NULL, 0, 0, NULL },
    { "no slash", "2", NULL, NULL, NULL, 0, 0, NULL },
    { "trailing", "1/2x", NULL, NULL, NULL, 0, 0, NULL },
    { "empty i", "/2", NULL, NULL, NULL, 0, 0, NULL },
    { "slurm array", "auto/8", NULL, "6", NULL, 6, 8, "SLURM_ARRAY_TASK_ID" },
    { "array before procid", "auto/8", NULL, "6", "0", 6, 8,
      "SLURM_ARRAY_TASK_ID" },
    { "k8s before array", "auto/8", "1", "6", "0", 1, 8,
      "JOB_COMPLETION_INDEX" },
    { "array out of range", "auto/4", NULL, "4", NULL, 0, 0, NULL },
};

static void test_shard(void **state)
{
    const struct shard_case *c = *state;
    int i = -1, n = -1;
    const char *src = NULL;
    char err[160] = "";
    int rc = lg_plan_shard(c->in, c->job, c->array, c->slurm, &i, &n, &src, err,
                           sizeof(err));
    if (c->want_n == 0) {
        assert_int_equal(rc, ERR_INVAL);
        assert_true(err[0] != '\0');
        return;
    }
    assert_int_equal(rc, ERR_OK);
    assert_int_equal(i, c->want_i);
    assert_int_equal(n, c->want_n);
    assert_string_equal(src, c->want_src);
}

#define N_TIME  (sizeof(time_cases) / sizeof(time_cases[0]))
#define N_SHARD (sizeof(shard_cases) / sizeof(shard_cases[0]))

int main(void)
{
    struct CMUnitTest tests[N_TIME + N_SHARD];
    for (size_t k = 0; k < N_TIME; k++)
        tests[k] = (struct CMUnitTest){ time_cases[k].name, test_start_at, NULL,
                                        NULL, (void *)&time_cases[k] };
    for (size_t k = 0; k < N_SHARD; k++)
        tests[N_TIME + k] =
            (struct CMUnitTest){ shard_cases[k].name, test_shard, NULL, NULL,
                                 (void *)&shard_cases[k] };
    return cmocka_run_group_tests_name("plan", tests, NULL, NULL);
}

/*
 * test_reason.c - the canonical table: ids round-trip, statuses and
 * retryability match docs/reasons.md.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/base/reason.h"

struct reason_case {
    const char *name;
    enum reason r;
    int status;
    const char *code;
    bool retryable;
};

static const struct reason_case cases[] = {
    { "free_tier_exhausted", REASON_FREE_TIER_EXHAUSTED, 429,
      "insufficient_quota", false },
    { "credits_exhausted", REASON_CREDITS_EXHAUSTED, 429, "insufficient_quota",
      false },
    { "usage_cap", REASON_USAGE_CAP, 429, "insufficient_quota", false },
    { "billing", REASON_BILLING, 429, "billing_not_active", false },
    { "invalid_key", REASON_INVALID_KEY, 401, "invalid_api_key", false },
    { "revoked_key", REASON_REVOKED_KEY, 401, "invalid_api_key", false },
    { "account_inactive", REASON_ACCOUNT_INACTIVE, 403, "account_inactive",
      false },
    { "account_suspended", REASON_ACCOUNT_SUSPENDED, 403, "account_suspended",
      false },
    { "account_banned", REASON_ACCOUNT_BANNED, 401, "account_deactivated",
      false },
    { "rate_limit", REASON_RATE_LIMIT, 429, "rate_limit_exceeded", true },
    { "token_limit", REASON_TOKEN_LIMIT, 429, "rate_limit_exceeded", true },
    { "concurrency_limit", REASON_CONCURRENCY_LIMIT, 429, "rate_limit_exceeded",
      true },
    { "abuse_throttle", REASON_ABUSE_THROTTLE, 429, "slow_down", true },
    { "unauthorized_lockout", REASON_UNAUTHORIZED_LOCKOUT, 403, "access_denied",
      false },
    { "policy_violation", REASON_POLICY_VIOLATION, 400,
      "content_policy_violation", false },
    { "bad_request", REASON_BAD_REQUEST, 400, "invalid_request_error", false },
    { "permission_revoked", REASON_PERMISSION_REVOKED, 403, "permission_denied",
      false },
    { "feature_suspended", REASON_FEATURE_SUSPENDED, 404, "model_not_found",
      false },
    { "region_blocked", REASON_REGION_BLOCKED, 403,
      "unsupported_country_region_territory", false },
    { "maintenance", REASON_MAINTENANCE, 503, "service_unavailable", true },
    { "upgrade", REASON_UPGRADE, 503, "service_unavailable", true },
    { "outage", REASON_OUTAGE, 503, "service_unavailable", true },
    { "overloaded", REASON_OVERLOADED, 503, "server_is_overloaded", true },
    { "server_error", REASON_SERVER_ERROR, 500, "server_error", true },
    { "network", REASON_NETWORK, 0, "", true },
    { "timeout", REASON_TIMEOUT, 0, "", true },
};

#define N_CASES (sizeof(cases) / sizeof(cases[0]))

static void test_reason_case(void **state)
{
    const struct reason_case *c = *state;
    const struct reason_info *ri = reason_get(c->r);
    assert_string_equal(ri->id, c->name);
    assert_int_equal(ri->http_status, c->status);
    assert_string_equal(ri->error_code, c->code);
    assert_int_equal(ri->retryable, c->retryable);
    assert_int_equal(reason_from_id(c->name), c->r);
    assert_true(strlen(ri->message) > 0);
}

static void test_table_complete(void **state)
{
    (void)state;
    assert_int_equal(N_CASES, REASON_N_DENIAL);
    assert_string_equal(reason_id(REASON_OK), "ok");
    assert_int_equal(reason_from_id("ok"), REASON_OK);
    assert_int_equal(reason_from_id("rate_limited"), REASON_COUNT);
    assert_int_equal(reason_from_id(""), REASON_COUNT);
}

int main(void)
{
    struct CMUnitTest tests[N_CASES + 1];
    for (size_t i = 0; i < N_CASES; i++)
        tests[i] = (struct CMUnitTest){ cases[i].name, test_reason_case, NULL,
                                        NULL, (void *)&cases[i] };
    tests[N_CASES] = (struct CMUnitTest)cmocka_unit_test(test_table_complete);
    return cmocka_run_group_tests(tests, NULL, NULL);
}

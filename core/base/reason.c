/*
 * reason.c - the canonical reason table.
 *
 * Statuses and codes follow the public OpenAI and Anthropic error
 * documentation (table in docs/reasons.md).  network and timeout are
 * client-side: no server ever answers them, so their status is 0.  The table is
 * constant and indexed by enum reason; lookups by id are linear, which is fine
 * for the config-time callers (parsers, rule compilers) that use them.
 */
#include "core/base/reason.h"

#include <stddef.h>
#include <string.h>

#define R(id, st, ty, co, ast, aty, retry, msg)                                \
    {                                                                          \
        id, st, ty, co, ast, aty, retry, msg                                   \
    }

static const struct reason_info table[REASON_COUNT] = {
    [REASON_OK] = R("ok", 200, "", "", 200, "", false, "request served"),
    [REASON_FREE_TIER_EXHAUSTED] =
        R("free_tier_exhausted", 429, "insufficient_quota",
          "insufficient_quota", 400, "invalid_request_error", false,
          "You exceeded your free tier quota; add credit to continue."),
    [REASON_CREDITS_EXHAUSTED] =
        R("credits_exhausted", 429, "insufficient_quota", "insufficient_quota",
          400, "invalid_request_error", false,
          "Your credit balance is too low; purchase credits to continue."),
    [REASON_USAGE_CAP] =
        R("usage_cap", 429, "insufficient_quota", "insufficient_quota", 400,
          "invalid_request_error", false,
          "You reached your monthly usage limit; upgrade your plan."),
    [REASON_BILLING] =
        R("billing", 429, "insufficient_quota", "billing_not_active", 400,
          "invalid_request_error", false,
          "Your billing is not active: the payment method failed."),
    [REASON_INVALID_KEY] =
        R("invalid_key", 401, "invalid_request_error", "invalid_api_key", 401,
          "authentication_error", false, "Incorrect API key provided."),
    [REASON_REVOKED_KEY] =
        R("revoked_key", 401, "invalid_request_error", "invalid_api_key", 401,
          "authentication_error", false, "This API key has been revoked."),
    [REASON_ACCOUNT_INACTIVE] =
        R("account_inactive", 403, "invalid_request_error", "account_inactive",
          403, "permission_error", false,
          "This account is inactive; sign in to reactivate it."),
    [REASON_ACCOUNT_SUSPENDED] =
        R("account_suspended", 403, "invalid_request_error",
          "account_suspended", 403, "permission_error", false,
          "This account is temporarily suspended."),
    [REASON_ACCOUNT_BANNED] =
        R("account_banned", 401, "invalid_request_error", "account_deactivated",
          403, "permission_error", false, "This account has been deactivated."),
    [REASON_RATE_LIMIT] =
        R("rate_limit", 429, "requests", "rate_limit_exceeded", 429,
          "rate_limit_error", true, "Rate limit reached for requests."),
    [REASON_TOKEN_LIMIT] =
        R("token_limit", 429, "tokens", "rate_limit_exceeded", 429,
          "rate_limit_error", true, "Rate limit reached for tokens."),
    [REASON_CONCURRENCY_LIMIT] =
        R("concurrency_limit", 429, "requests", "rate_limit_exceeded", 429,
          "rate_limit_error", true, "Too many concurrent requests."),
    [REASON_ABUSE_THROTTLE] = R("abuse_throttle", 429, "requests", "slow_down",
                                429, "rate_limit_error", true,
                                "Unusual request volume detected; slow down."),
    [REASON_UNAUTHORIZED_LOCKOUT] =
        R("unauthorized_lockout", 403, "invalid_request_error", "access_denied",
          403, "permission_error", false,
          "Too many failed authentication attempts from this source."),
    [REASON_POLICY_VIOLATION] =
        R("policy_violation", 400, "invalid_request_error",
          "content_policy_violation", 400, "invalid_request_error", false,
          "Your request was flagged by the content policy."),
    [REASON_BAD_REQUEST] =
        R("bad_request", 400, "invalid_request_error", "invalid_request_error",
          400, "invalid_request_error", false, "The request is malformed."),
    [REASON_PERMISSION_REVOKED] =
        R("permission_revoked", 403, "invalid_request_error",
          "permission_denied", 403, "permission_error", false,
          "You do not have access to this model."),
    [REASON_FEATURE_SUSPENDED] =
        R("feature_suspended", 404, "invalid_request_error", "model_not_found",
          404, "not_found_error", false,
          "The model does not exist or is currently unavailable."),
    [REASON_REGION_BLOCKED] =
        R("region_blocked", 403, "invalid_request_error",
          "unsupported_country_region_territory", 403, "permission_error",
          false, "Country, region, or territory not supported."),
    [REASON_MAINTENANCE] =
        R("maintenance", 503, "server_error", "service_unavailable", 503,
          "api_error", true, "The service is under scheduled maintenance."),
    [REASON_UPGRADE] =
        R("upgrade", 503, "server_error", "service_unavailable", 503,
          "api_error", true, "A system upgrade is in progress."),
    [REASON_OUTAGE] =
        R("outage", 503, "server_error", "service_unavailable", 503,
          "api_error", true, "The service is temporarily unavailable."),
    [REASON_OVERLOADED] =
        R("overloaded", 503, "server_error", "server_is_overloaded", 529,
          "overloaded_error", true, "The server is overloaded."),
    [REASON_SERVER_ERROR] =
        R("server_error", 500, "server_error", "server_error", 500, "api_error",
          true, "The server had an error processing the request."),
    [REASON_NETWORK] = R("network", 0, "", "", 0, "", true,
                         "Client-side connectivity failure."),
    [REASON_TIMEOUT] = R("timeout", 0, "", "", 0, "", true,
                         "The client gave up waiting for the response."),
};

const struct reason_info *reason_get(enum reason r)
{
    return &table[r];
}

const char *reason_id(enum reason r)
{
    return table[r].id;
}

enum reason reason_from_id(const char *id)
{
    for (int r = 0; r < REASON_COUNT; r++)
        if (strcmp(table[r].id, id) == 0)
            return (enum reason)r;
    return REASON_COUNT;
}

bool reason_retryable(enum reason r)
{
    return table[r].retryable;
}

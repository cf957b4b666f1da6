/*
 * reason.h - the canonical outcome ids: ok plus the 26 denial reasons.
 *
 * These ids are tollgate's interface: they name summary.json keys,
 * timeseries.csv columns, expect: rules and plot series.  The table gives
 * for each the HTTP status and OpenAI-style error type/code that `serve`
 * answers with, the Anthropic-style equivalent, and whether a well-behaved
 * client retries it.  The enum order is the documentation order of
 * docs/reasons.md (not the evaluation order of the policy pipeline).
 */
#ifndef TOLLGATE_REASON_H
#define TOLLGATE_REASON_H

#include <stdbool.h>

enum reason {
    REASON_OK = 0,
    REASON_FREE_TIER_EXHAUSTED,
    REASON_CREDITS_EXHAUSTED,
    REASON_USAGE_CAP,
    REASON_BILLING,
    REASON_INVALID_KEY,
    REASON_REVOKED_KEY,
    REASON_ACCOUNT_INACTIVE,
    REASON_ACCOUNT_SUSPENDED,
    REASON_ACCOUNT_BANNED,
    REASON_RATE_LIMIT,
    REASON_TOKEN_LIMIT,
    REASON_CONCURRENCY_LIMIT,
    REASON_ABUSE_THROTTLE,
    REASON_UNAUTHORIZED_LOCKOUT,
    REASON_POLICY_VIOLATION,
    REASON_BAD_REQUEST,
    REASON_PERMISSION_REVOKED,
    REASON_FEATURE_SUSPENDED,
    REASON_REGION_BLOCKED,
    REASON_MAINTENANCE,
    REASON_UPGRADE,
    REASON_OUTAGE,
    REASON_OVERLOADED,
    REASON_SERVER_ERROR,
    REASON_NETWORK,
    REASON_TIMEOUT,
    REASON_COUNT /* number of outcomes, ok included */
};

#define REASON_N_DENIAL (REASON_COUNT - 1)

struct reason_info {
    const char *id;             /* canonical id, e.g. "rate_limit" */
    int http_status;            /* 0 for client-side outcomes */
    const char *error_type;     /* OpenAI-style error.type */
    const char *error_code;     /* OpenAI-style error.code */
    int anthropic_status;       /* status in the Anthropic dialect */
    const char *anthropic_type; /* Anthropic error.type */
    bool retryable;             /* a client may retry this outcome */
    const char *message;        /* one-line human explanation */
};

/* The row for r; r must be in [0, REASON_COUNT). */
const struct reason_info *reason_get(enum reason r);

/* Canonical id of r ("ok" for REASON_OK). */
const char *reason_id(enum reason r);

/* Looks an id up; returns REASON_COUNT when it is not a canonical id. */
enum reason reason_from_id(const char *id);

/* True when r may be retried by the client model. */
bool reason_retryable(enum reason r);

#endif

/*
 * client.c - timeout and retry decisions of the modelled client.
 *
 * The retry rule (terminal reasons, retry budget, backoff shapes, jitter,
 * retry-after) is documented in client.h; this file follows it step by
 * step.  All arithmetic is on int64 nanoseconds and saturates instead of
 * overflowing, so a large retry budget with exponential backoff and no cap
 * waits "forever" (INT64_MAX) rather than wrapping negative.
 *
 * Not here: the clock (callers add the delay to their own now), the rng
 * stream's seeding (callers own it), and response classification (run's
 * classify module maps live answers to reasons first).
 */
#include "core/model/client.h"

#include <assert.h>

static int64_t sat_mul(int64_t a, int64_t b)
{
    if (a <= 0 || b <= 0)
        return 0;
    if (a > INT64_MAX / b)
        return INT64_MAX;
    return a * b;
}

static int64_t shifted(int64_t base, int k)
{
    if (base <= 0)
        return 0;
    if (k >= 62 || base > (INT64_MAX >> k))
        return INT64_MAX;
    return base << k;
}

int64_t client_backoff_ns(const struct scn_client *c, int k)
{
    assert(k >= 0);
    int64_t b = c->backoff_base_ns;
    switch (c->backoff) {
    case BACKOFF_EXPONENTIAL: b = shifted(b, k); break;
    case BACKOFF_CONSTANT: break;
    case BACKOFF_LINEAR: b = sat_mul(b, (int64_t)k + 1); break;
    }
    if (b < 0)
        b = 0;
    if (c->backoff_cap_ns > 0 && b > c->backoff_cap_ns)
        b = c->backoff_cap_ns;
    return b;
}

/* Uniform integer in [0, n], n >= 0. */
static int64_t uniform_incl(struct rng *r, int64_t n)
{
    return (int64_t)rng_below(r, (uint64_t)n + 1);
}

static int64_t jittered(const struct scn_client *c, int64_t b, struct rng *r)
{
    switch (c->jitter) {
    case JITTER_FULL: return uniform_incl(r, b);
    case JITTER_EQUAL: return b / 2 + uniform_incl(r, b - b / 2);
    case JITTER_QUARTER: return b - uniform_incl(r, b / 4);
    case JITTER_NONE: return b;
    }
    return b;
}

/* x + y for x, y >= 0, saturating at INT64_MAX. */
static int64_t sat_add(int64_t x, int64_t y)
{
    return x > INT64_MAX - y ? INT64_MAX : x + y;
}

/* Step 4 of the rule: the jittered backoff j combined with the hint h
 * (-1: none) as c->retry_after says. */
static int64_t with_hint(const struct scn_client *c, int64_t j, int64_t h,
                         struct rng *r)
{
    if (h < 0)
        return j;
    switch (c->retry_after) {
    case RETRY_AFTER_IGNORE: return j;
    case RETRY_AFTER_HONOR: return h > j ? h : j;
    case RETRY_AFTER_HONOR_JITTER: {
        int64_t t = sat_add(h, uniform_incl(r, h));
        return t > j ? t : j;
    }
    case RETRY_AFTER_OPENAI:
        return h > 0 && h <= CLIENT_OPENAI_HINT_MAX_NS ? h : j;
    }
    return j;
}

bool client_retry(const struct scn_client *c, int attempts, enum reason why,
                  int64_t retry_after_ns, struct rng *r, int64_t *delay_ns)
{
    assert(attempts >= 1);
    *delay_ns = 0;
    if (why == REASON_OK || !reason_retryable(why) ||
        retry_after_ns == CLIENT_RETRY_NEVER)
        return false;
    if (attempts > c->retry_max)
        return false;
    int64_t j = jittered(c, client_backoff_ns(c, attempts - 1), r);
    *delay_ns = with_hint(c, j, retry_after_ns, r);
    return true;
}

bool client_retry_keyed(const struct scn_client *c, uint64_t seed,
                        uint64_t request_id, int attempts, enum reason why,
                        int64_t retry_after_ns, int64_t *delay_ns)
{
    /* The attempt number joins the seed (golden-ratio spread), the request
     * is the stream id: rng_init hashes all three, so every (request,
     * attempt) gets an independent stream. */
    *delay_ns = 0;
    if (why == REASON_OK || !reason_retryable(why) || attempts > c->retry_max ||
        retry_after_ns == CLIENT_RETRY_NEVER)
        return false; /* decided without a stream: skip seeding one */
    struct rng r;
    uint64_t k = (uint64_t)attempts * RNG_GOLDEN;
    rng_init(&r, seed ^ k, request_id, RNG_CLIENT);
    return client_retry(c, attempts, why, retry_after_ns, &r, delay_ns);
}

enum rec_end client_end_of(const struct scn_client *c, int attempts,
                           enum reason why)
{
    if (why == REASON_OK || !reason_retryable(why))
        return REC_END_ANSWER;
    return attempts > c->retry_max ? REC_END_RETRIES : REC_END_ANSWER;
}

enum reason client_observe(const struct scn_client *c, enum reason server,
                           int64_t response_ns, int64_t *seen_ns)
{
    if (c->timeout_ns > 0 && response_ns > c->timeout_ns) {
        *seen_ns = c->timeout_ns;
        return REASON_TIMEOUT;
    }
    *seen_ns = response_ns;
    return server;
}

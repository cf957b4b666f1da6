/*
 * client.h - the client model shared by sim and run: timeout and retries.
 *
 * A scenario population describes how its client behaves (struct
 * scn_client): how long it waits for an answer, whether and how it
 * retries.  sim applies these rules in virtual time; run applies the same
 * functions to live responses, so both retry the same way.  Everything
 * here is a pure function of its arguments and an rng stream: no clock, no
 * allocation, no state.  Engines call client_retry_keyed, whose stream is
 * keyed by (seed, request, attempt): sim and run then draw the same
 * jitter for the same retry of the same request, whatever happened to
 * other requests in between.
 *
 * The rule, for an attempt that ended with outcome `why`:
 *   1. never retry REASON_OK, a terminal reason (!reason_retryable) or an
 *      answer that says it can never pass (CLIENT_RETRY_NEVER);
 *   2. never retry when `attempts` (attempts made so far for this logical
 *      request, the first one included) is greater than retry_max, i.e. at
 *      most retry_max retries follow the first attempt;
 *   3. otherwise retry number k = attempts - 1 (0 for the first retry)
 *      waits the backoff b_k, capped at backoff_cap_ns (cap <= 0: no cap):
 *        exponential  b_k = base x 2^k
 *        constant     b_k = base
 *        linear       b_k = base x (k + 1)
 *      (saturating, never overflowing), then jittered:
 *        full     uniform integer in [0, b_k]           (one rng_below draw)
 *        equal    floor(b_k / 2) + uniform in [0, b_k - floor(b_k / 2)]
 *                                                        (one rng_below draw)
 *        quarter  b_k - uniform in [0, floor(b_k / 4)]  (one rng_below draw;
 *                 the official OpenAI SDKs' b x (1 - U / 4), U in [0, 1))
 *        none     b_k                                    (no draw);
 *   4. the server's retry-after hint h (retry_after_ns >= 0; -1: none) and
 *      the jittered backoff j combine by c->retry_after:
 *        ignore        j
 *        honor         max(j, h): the hint is a floor, never capped, and
 *                      exact, so every client told "until the outage
 *                      ends" retries at that same instant (a herd)
 *        honor_jitter  max(j, h + u), u uniform integer in [0, h] (one
 *                      more rng_below draw, after the jitter's): full
 *                      jitter on top of the hint, so the wait is at
 *                      least h and at most 2h (or j); a herd told to come
 *                      back at T arrives spread over [T, T + its hint]
 *        openai        h when 0 < h <= CLIENT_OPENAI_HINT_MAX_NS (60s),
 *                      else j: what the official OpenAI SDKs do; a short
 *                      hint is obeyed exactly (a herd), even below j, and
 *                      a longer one is ignored, not capped.
 *      Without a hint every kind waits j.
 * No rng draw happens when the answer is "do not retry".
 */
#ifndef TOLLGATE_CLIENT_H
#define TOLLGATE_CLIENT_H

/* A retry_after_ns that says the answer can never change: the request is
 * larger than a limit can ever admit (policy_decision.too_large; run reads
 * it from the answer's body).  Never retried, whatever the reason. */
#define CLIENT_RETRY_NEVER (-2)

#include <stdbool.h>
#include <stdint.h>

#include "core/base/reason.h"
#include "core/base/rng.h"
#include "core/scenario/scenario.h"
#include "core/stats/record.h"

/* The longest retry-after hint the openai kind obeys: 60s, as the
 * official Python (0 < h <= 60s) and Node (0 <= h < 60s) SDKs do. */
#define CLIENT_OPENAI_HINT_MAX_NS (INT64_C(60) * 1000000000)

/* Decides whether the client retries after an attempt that ended with
 * why.  attempts >= 1 counts the attempts made so far (first included);
 * retry_after_ns is the server's retry-after in ns, -1 when absent, or
 * CLIENT_RETRY_NEVER (never retried).
 * Returns true to retry, with *delay_ns >= 0 the wait from the end of the
 * failed attempt to the next send; returns false with *delay_ns = 0
 * otherwise.  Draws from r only as documented above.  c and r are
 * borrowed. */
bool client_retry(const struct scn_client *c, int attempts, enum reason why,
                  int64_t retry_after_ns, struct rng *r, int64_t *delay_ns);

/* Why a request ends after an attempt with outcome why that is not
 * retried (client_retry_keyed said no): REC_END_ANSWER for ok or a reason
 * the client never retries, REC_END_RETRIES when the reason is retryable
 * but attempts > retry_max.  (An engine that refuses a retry because it
 * would fall after the run's end says REC_END_RUN_ENDED itself.) */
enum rec_end client_end_of(const struct scn_client *c, int attempts,
                           enum reason why);

/* client_retry with r the stream of this retry: keyed by the run's seed,
 * the request's id (traffic_req.id, the same in sim and run) and
 * attempts, seeded afresh for every retry decision. */
bool client_retry_keyed(const struct scn_client *c, uint64_t seed,
                        uint64_t request_id, int attempts, enum reason why,
                        int64_t retry_after_ns, int64_t *delay_ns);

/* The capped backoff b_k before jitter for retry k >= 0 (0: the first
 * retry), in ns.  Saturates at INT64_MAX when uncapped. */
int64_t client_backoff_ns(const struct scn_client *c, int k);

/* What the client sees of an attempt the server answers response_ns after
 * it was sent: the server's outcome when response_ns <= timeout_ns, else
 * REASON_TIMEOUT observed at exactly timeout_ns (timeout_ns <= 0: no
 * timeout).  *seen_ns receives the time from send to what the client
 * observes. */
enum reason client_observe(const struct scn_client *c, enum reason server,
                           int64_t response_ns, int64_t *seen_ns);

#endif

/*
 * expect_measure.h - measuring an `expect:` rule on a run's summary.
 */
#ifndef TOLLGATE_EXPECT_MEASURE_H
#define TOLLGATE_EXPECT_MEASURE_H

#include "core/base/err.h"
#include "core/scenario/expect.h"
#include "core/stats/summary.h"

/*
 * Measures r's metric from a run's summary, in the rule's base unit
 * (threshold's unit): denied(reason) = denied_by_reason / attempts and
 * denied = denied / attempts (0 when there were no attempts); count(x)
 * the attempts with that outcome; pNN(outcome) the summary latency block
 * converted from ms to ns; goodput ok per second; retry_amplification
 * attempts / unique.  A latency of an outcome with no samples measures
 * NaN, which fails every comparison: a bound on something that never
 * happened cannot be verified.  Returns ERR_OK, or ERR_INVAL when the rule
 * names a quantile the summary does not carry (measured is then NaN).
 */
int expect_measure(const struct expect_rule *r, const struct summary *s,
                   double *measured) WARN_UNUSED;

/* As expect_measure, with the reason a rule cannot be measured written
 * into why (when not NULL): a population the results do not have, a
 * request-level rule on results that predate that level, a statistic the
 * summary does not carry.  The request level reads summary.json's
 * request_level (shares of the requests that ended, end-to-end
 * latencies, final outcomes); a population scope reads that
 * population's block. */
int expect_measure_explain(const struct expect_rule *r, const struct summary *s,
                           double *measured, char *why,
                           size_t why_len) WARN_UNUSED;

#endif

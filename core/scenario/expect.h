/*
 * expect.h - the `expect:` threshold rules of a scenario.
 *
 * Grammar (one rule per list item):
 *   rule    := [ scope "." ] [ level "." ] metric OP value
 *   scope   := "population" "(" name ")"     one population's share
 *   level   := "requests"                    what the callers see: each
 *                                            logical request once, by its
 *                                            final outcome, latency end to
 *                                            end (retries and waits in)
 *            | "attempts"                    what the API sees: every try
 *              (no level: attempts, the meaning rules had before levels
 *              existed)
 *   metric  := "denied" [ "(" reason ")" ]        denial share of the level
 *            | "lost"                             requests only: share the
 *                                                 load generator lost
 *            | "count" "(" reason | "ok" | "denied" | "lost" ")"
 *            | pNN [ "(" outcome ")" ]            latency percentile
 *                 pNN: p50 (alias median) p90 p95 p99 p999 (alias p99.9)
 *                 max mean; outcome: ok | all | denied | <reason id>;
 *                 the outcome may be left out after a level ("requests.p99
 *                 < 30s"), meaning all; per population only all and ok
 *            | "goodput"                          ok per second (no level)
 *            | "retry_amplification"              attempts / unique
 *   OP      := "<" | "<=" | ">" | ">="
 *   value   := one word, never negative: a fraction ("5%", "0.05", at most
 *              100%) for denied and lost; a duration with unit ns us ms s m
 *              h d ("2s", "250ms"; a bare "0" too) for percentiles; a rate
 *              ("40/s", "3/m", "/min", "/h", "/d") or a plain number (per
 *              second) for goodput; a plain number otherwise.
 * Examples: "requests.denied < 5%", "requests.p99 < 30s",
 * "attempts.denied(outage) < 40%",
 * "population(free).requests.denied(free_tier_exhausted) < 80%".
 * Blanks around the parts are allowed.  Thresholds are stored in base
 * units: fractions, nanoseconds, per second, counts, ratios.
 */
#ifndef TOLLGATE_EXPECT_H
#define TOLLGATE_EXPECT_H

#include <stdbool.h>
#include <stddef.h>

#include "core/base/err.h"

enum expect_metric {
    EXP_DENIED = 0, /* reason: a denial id, or -1 for all denials */
    EXP_COUNT,      /* reason: an outcome id incl. ok, or -1: all denied */
    EXP_LATENCY,    /* outcome + quantile */
    EXP_GOODPUT,
    EXP_RETRY_AMPLIFICATION,
    EXP_LOST /* requests only: lost / requests */
};

/* Which level a rule measures (see the grammar). */
enum expect_level { EXP_ATTEMPTS = 0, EXP_REQUESTS };

#define EXP_POP_MAX 64 /* bytes of a population name, NUL included */

enum expect_cmp { EXP_LT = 0, EXP_LE, EXP_GT, EXP_GE };

/* Latency outcome selectors beyond the reason ids (enum reason). */
#define EXP_OUTCOME_ALL    (-1)
#define EXP_OUTCOME_DENIED (-2)
#define EXP_OUTCOME_LOST   (-3) /* count(lost): requests only */

struct expect_rule {
    enum expect_metric metric;
    int reason;      /* see enum expect_metric; for EXP_LATENCY the outcome:
                        REASON_OK, a denial id, EXP_OUTCOME_ALL or
                        EXP_OUTCOME_DENIED */
    double quantile; /* EXP_LATENCY: 50, 90, 99, 99.9; 100 = max; -1 mean */
    enum expect_level level; /* EXP_ATTEMPTS unless "requests." */
    char pop[EXP_POP_MAX];   /* population scope; "" for all */
    enum expect_cmp cmp;
    double threshold; /* base units: fraction, ns, per second, ratio */
    char text[160];   /* the rule as written, trimmed */
    int line, col;    /* where it was written; 0 if unknown */
};

/* Parses one rule.  On ERR_PARSE writes a message naming the offending
 * part and what was expected into err (always NUL-terminated). */
int expect_parse(const char *text, struct expect_rule *out, char *err,
                 size_t err_len) WARN_UNUSED;

/* True when measured satisfies the comparison; NaN never does. */
bool expect_holds(const struct expect_rule *r, double measured);

/* Formats a value in r's base unit for people: "3.21%", "1.23s",
 * "850ms", "41.2/s", "1523", "1.07"; NaN as "no samples".  Returns buf. */
char *expect_fmt_value(const struct expect_rule *r, double v, char *buf,
                       size_t len);

#endif

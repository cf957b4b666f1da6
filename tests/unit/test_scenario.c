/*
 * test_scenario.c - the scenario parser and validator through
 * core/scenario/scenario.h.
 *
 * Tables: error rows (a YAML text -> the error code and one diagnostic's
 * line, column and message substring, one row per validation error
 * class), input-limit rows (ERR_TOOBIG), --set rows and ${env:} rows.
 * Then: defaults, the full reference example value by value, that
 * every error of a file is collected in file order, the printed format,
 * the lookups, robustness against truncated and mangled input, and the
 * round trip scn_write -> parse -> equal scenario on every file of
 * scenarios/.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "core/model/policy.h"
#include "core/stats/record.h"
#include "core/scenario/scenario.h"
#include "core/base/units.h"

/* A valid scenario; rows append to it from line 7 on. */
#define BASE                                                                   \
    "name: t\n"                                                                \
    "duration: 1h\n"                                                           \
    "accounts:\n"                                                              \
    "  - name: p\n"                                                            \
    "    count: 10\n"                                                          \
    "    traffic: { phases: [ { for: 1h, rate: 1/s } ] }\n"
/* BASE with a tier "free" (rpm, tpm) and two models, pop on both. */
#define BASE2                                                                  \
    "name: t\n"                                                                \
    "duration: 1h\n"                                                           \
    "accounts:\n"                                                              \
    "  - name: p\n"                                                            \
    "    count: 10\n"                                                          \
    "    traffic: { phases: [ { for: 1h, rate: 1/s } ] }\n"                    \
    "    models: { a: 1, b: 1 }\n"                                             \
    "policy:\n"                                                                \
    "  tiers:\n"                                                               \
    "    free:\n"                                                              \
    "      limits:\n"                                                          \
    "        - { name: rpm, requests: 3, per: 1m }\n"                          \
    "        - { name: tpm, tokens: 1000, per: 1m }\n"                         \
    "  models: { a: {}, b: {} }\n"

static int parse(const char *text, const struct scn_override *ovr, size_t n,
                 struct scenario **sc, struct scn_diags *d)
{
    scn_diags_init(d, "t.yaml");
    return scn_parse_buffer("t.yaml", text, strlen(text), ovr, n, sc, d);
}

/* True when some diagnostic is at line:col (col 0: any) and contains msg. */
static bool has_diag(const struct scn_diags *d, int line, int col,
                     const char *msg)
{
    for (size_t i = 0; i < d->n; i++) {
        const struct scn_diag *g = &d->items[i];
        if (g->loc.line == line && (col == 0 || g->loc.col == col) &&
            strstr(g->message, msg) != NULL)
            return true;
    }
    return false;
}

static void dump_diags(const struct scn_diags *d)
{
    scn_diags_print(d, stderr);
}

/* ---- error rows --------------------------------------------------------- */

struct err_case {
    const char *name;
    const char *yaml;
    int rc;
    int line, col; /* of one expected diagnostic */
    const char *msg;
};

static const struct err_case err_cases[] = {
    { "unknown top key", BASE "durration: 1h\n", ERR_INVAL, 7, 1,
      "did you mean 'duration'?" },
    { "unknown key no suggestion", BASE "colour: red\n", ERR_INVAL, 7, 1,
      "unknown key 'colour' (expected one of: name," },
    { "unknown policy key", BASE "policy:\n  capcity: { servers: 1 }\n",
      ERR_INVAL, 8, 3, "did you mean 'capacity'?" },
    { "unknown population key", BASE "    tokns: { prompt: 5 }\n", ERR_INVAL, 7,
      5, "did you mean 'tokens'?" },
    { "missing name",
      "duration: 1h\naccounts: [ { name: p, count: 1, traffic: { phases: "
      "[ { for: 1h, rate: 1/s } ] } } ]\n",
      ERR_INVAL, 1, 1, "missing required key 'name'" },
    { "missing duration",
      "name: t\naccounts: [ { name: p, count: 1, traffic: { phases: "
      "[ { for: 1h, rate: 1/s } ] } } ]\n",
      ERR_INVAL, 1, 1, "missing required key 'duration'" },
    { "missing accounts", "name: t\nduration: 1h\n", ERR_INVAL, 1, 1,
      "missing required key 'accounts'" },
    { "zero duration",
      "name: t\nduration: 0s\naccounts: [ { name: p, count: 1, traffic: { "
      "phases: [ { for: 1h, rate: 1/s } ] } } ]\n",
      ERR_INVAL, 2, 11, "must be longer than 0" },
    { "duration without unit",
      "name: t\nduration: 5\naccounts: [ { name: p, count: 1, traffic: { "
      "phases: [ { for: 1h, rate: 1/s } ] } } ]\n",
      ERR_INVAL, 2, 11, "a duration needs a unit" },
    { "duration too long",
      "name: t\nduration: 400d\naccounts: [ { name: p, count: 1, traffic: "
      "{ phases: [ { for: 1h, rate: 1/s } ] } } ]\n",
      ERR_INVAL, 2, 11, "longer than 366d" },
    { "mapping expected", BASE "policy:\n  tiers: [free]\n", ERR_INVAL, 8, 10,
      "expected a mapping of tier names" },
    { "scalar for section", BASE "policy: 5\n", ERR_INVAL, 7, 9,
      "expected a mapping" },
    { "scenario not a mapping", "- a\n- b\n", ERR_INVAL, 1, 1,
      "a scenario is a mapping" },
    { "negative count",
      "name: t\nduration: 1h\naccounts:\n  - name: p\n    count: -5\n"
      "    traffic: { phases: [ { for: 1h, rate: 1/s } ] }\n",
      ERR_INVAL, 5, 12, "must not be negative" },
    { "zero count",
      "name: t\nduration: 1h\naccounts:\n  - name: p\n    count: 0\n"
      "    traffic: { phases: [ { for: 1h, rate: 1/s } ] }\n",
      ERR_INVAL, 5, 12, "must be at least 1" },
    { "count not a number",
      "name: t\nduration: 1h\naccounts:\n  - name: p\n    count: many\n"
      "    traffic: { phases: [ { for: 1h, rate: 1/s } ] }\n",
      ERR_INVAL, 5, 12, "expected a whole number" },
    { "fraction above 100%", BASE "    invalid_key: 150%\n", ERR_INVAL, 7, 18,
      "outside 0%..100%" },
    { "fraction not a fraction", BASE "    violation: lots\n", ERR_INVAL, 7, 16,
      "expected a fraction" },
    { "negative burst",
      BASE "policy:\n  tiers:\n    free:\n      limits:\n        - { name: "
           "rpm, requests: 3, per: 1m, burst: -1 }\n",
      ERR_INVAL, 11, 53, "must not be negative" },
    { "zero token bucket burst",
      BASE "policy:\n  tiers:\n    free:\n      limits:\n        - { name: "
           "rpm, requests: 3, per: 1m, burst: 0 }\n",
      ERR_INVAL, 11, 53, "must be at least 1" },
    { "burst on window",
      BASE "policy:\n  tiers:\n    free:\n      limits:\n        - { name: "
           "rpm, requests: 3, per: 1m, algorithm: fixed_window, burst: 2 "
           "}\n",
      ERR_INVAL, 11, 78, "burst applies to token_bucket" },
    { "delay on token bucket",
      BASE "policy:\n  tiers:\n    free:\n      limits:\n        - { name: "
           "rpm, requests: 3, per: 1m, delay: 2 }\n",
      ERR_INVAL, 11, 53, "delay applies to leaky_bucket only" },
    { "negative delay",
      BASE "policy:\n  tiers:\n    free:\n      limits:\n        - { name: "
           "rpm, requests: 3, per: 1s, algorithm: leaky_bucket, delay: -1 }\n",
      ERR_INVAL, 11, 78, "must not be negative" },
    { "unknown algorithm",
      BASE "policy:\n  tiers:\n    free:\n      limits:\n        - { name: "
           "rpm, requests: 3, per: 1m, algorithm: tokenbuket }\n",
      ERR_INVAL, 11, 57, "did you mean 'token_bucket'?" },
    { "leaky bucket odd window",
      BASE "policy:\n  tiers:\n    free:\n      limits:\n        - { name: "
           "rpm, requests: 3, per: 10s, algorithm: leaky_bucket }\n",
      ERR_INVAL, 11, 42, "per second or per minute" },
    { "limit counts two things",
      BASE "policy:\n  tiers:\n    free:\n      limits:\n        - { name: "
           "x, requests: 3, tokens: 5, per: 1m }\n",
      ERR_INVAL, 11, 43, "only one of requests:" },
    { "limit counts nothing",
      BASE "policy:\n  tiers:\n    free:\n      limits:\n        - { name: "
           "x, per: 1m }\n",
      ERR_INVAL, 11, 11, "needs one of requests:" },
    { "concurrent with per",
      BASE "policy:\n  tiers:\n    free:\n      limits:\n        - { name: "
           "x, concurrent: 2, per: 1m }\n",
      ERR_INVAL, 11, 42, "takes no per:" },
    { "limit without per",
      BASE "policy:\n  tiers:\n    free:\n      limits:\n        - { name: "
           "x, requests: 2 }\n",
      ERR_INVAL, 11, 11, "missing required key 'per'" },
    { "limit without name",
      BASE "policy:\n  tiers:\n    free:\n      limits:\n        - { "
           "requests: 2, per: 1s }\n",
      ERR_INVAL, 11, 11, "missing required key 'name'" },
    { "limit name twice",
      BASE "policy:\n  tiers:\n    free:\n      limits:\n        - { name: "
           "x, requests: 2, per: 1s }\n        - { name: x, requests: 2, "
           "per: 1m }\n",
      ERR_INVAL, 12, 19, "used twice in this tier" },
    { "undefined tier", BASE "    tier: gold\n", ERR_INVAL, 7, 11,
      "no tier named 'gold'" },
    { "undefined tier suggestion",
      BASE "    tier: fre\npolicy: { tiers: { free: {}, paid: {} } }\n",
      ERR_INVAL, 7, 11, "did you mean 'free'?" },
    { "several tiers no tier:",
      BASE "policy: { tiers: { free: {}, paid: {} } }\n", ERR_INVAL, 4, 5,
      "policy has 2 tiers" },
    { "undefined model", BASE "    models: { huge: 1 }\n", ERR_INVAL, 7, 15,
      "no model named 'huge'" },
    { "undefined upgrade tier",
      BASE "policy:\n  tiers:\n    free: { upgrade: { to: gold } }\n",
      ERR_INVAL, 9, 28, "no tier named 'gold'" },
    { "upgrade to itself",
      BASE "policy:\n  tiers:\n    free: { upgrade: { to: free } }\n",
      ERR_INVAL, 9, 28, "cannot upgrade to itself" },
    { "upgrade cycle",
      BASE "    tier: a\npolicy:\n  tiers:\n    a: { upgrade: { to: b } }\n"
           "    b: { upgrade: { to: a } }\n",
      ERR_INVAL, 10, 19, "form a cycle" },
    { "expires without grant",
      BASE "policy:\n  tiers:\n    free: { credit: { prepaid: 5, expires: "
           "1d } }\n",
      ERR_INVAL, 9, 44, "expires applies to a free grant" },
    { "undefined population",
      BASE "events:\n  - { at: 1m, ban: { accounts: nobody } }\n", ERR_INVAL, 8,
      32, "no population named 'nobody'" },
    { "undefined event model",
      BASE "events:\n  - { at: 1m, suspend_feature: { model: x } }\n",
      ERR_INVAL, 8, 41, "no model named 'x'" },
    { "undefined limit",
      BASE2 "events:\n  - { at: 1m, set_limit: { tier: free, limit: rpd, "
            "requests: 1 } }\n",
      ERR_INVAL, 16, 47, "has no limit named 'rpd'" },
    { "set_limit wrong kind",
      BASE2 "events:\n  - { at: 1m, set_limit: { tier: free, limit: rpm, "
            "tokens: 1 } }\n",
      ERR_INVAL, 16, 60, "counts requests: set it with requests:" },
    { "set_limit without tier",
      BASE "events:\n  - { at: 1m, set_limit: { limit: rpm, requests: 1 } "
           "}\n",
      ERR_INVAL, 8, 26, "set_limit needs tier:" },
    { "zero weights", BASE "    regions: { US: 0, IN: 0 }\n", ERR_INVAL, 7, 14,
      "must add up to more than 0" },
    { "bad weight", BASE "    regions: { US: much }\n", ERR_INVAL, 7, 20,
      "expected a weight" },
    { "region lower case", BASE "    regions: { us: 1 }\n", ERR_INVAL, 7, 16,
      "region codes are upper case: write 'US'" },
    { "region not a code", BASE "policy:\n  regions: { blocked: [USA] }\n",
      ERR_INVAL, 8, 24, "not a region code" },
    { "event after the end",
      BASE "events:\n  - { at: 2h, outage: { for: 5m } }\n", ERR_INVAL, 8, 11,
      "would never happen" },
    { "recurring event starts after the end",
      BASE "events:\n  - { every: 1d, from: 1h, maintenance: { for: 5m } "
           "}\n",
      ERR_INVAL, 8, 24, "would never happen" },
    { "recurring events overlap",
      BASE "events:\n  - { every: 10m, maintenance: { for: 10m } }\n",
      ERR_INVAL, 8, 14, "occurrences would overlap" },
    { "event without timing", BASE "events:\n  - { outage: { for: 5m } }\n",
      ERR_INVAL, 8, 5, "exactly one of at:" },
    { "event without kind", BASE "events:\n  - { at: 5m }\n", ERR_INVAL, 8, 5,
      "an event needs a kind" },
    { "event with two kinds",
      BASE "events:\n  - { at: 5m, outage: {}, maintenance: {} }\n", ERR_INVAL,
      8, 27, "one event does one thing" },
    { "random event of a bad kind",
      BASE "events:\n  - { random: ban, mtbf: 1h, mttr: 5m }\n", ERR_INVAL, 8,
      15, "unknown value 'ban'" },
    { "random event with for",
      BASE "events:\n  - { random: outage, mtbf: 1h, mttr: 5m, outage: { "
           "for: 5m } }\n",
      ERR_INVAL, 8, 58, "lasts mttr" },
    { "from without every",
      BASE "events:\n  - { at: 5m, from: 1m, outage: {} }\n", ERR_INVAL, 8, 21,
      "from: goes with every:" },
    { "block_region not a list",
      BASE "events:\n  - { at: 5m, block_region: { BR: 1 } }\n", ERR_INVAL, 8,
      29, "expected a list of region codes" },
    { "several models no models:",
      "name: t\nduration: 1h\naccounts:\n  - name: p\n    count: 10\n"
      "    traffic: { phases: [ { for: 1h, rate: 1/s } ] }\npolicy:\n"
      "  models: { a: {}, b: {} }\n",
      ERR_INVAL, 4, 5, "policy has 2 models" },
    { "closed loop without users",
      "name: t\nduration: 1h\naccounts:\n  - name: p\n    count: 10\n"
      "    traffic: { arrival: closed, think: 1s }\n",
      ERR_INVAL, 6, 14, "missing required key 'users'" },
    { "closed loop with phases",
      "name: t\nduration: 1h\naccounts:\n  - name: p\n    count: 10\n"
      "    traffic: { arrival: closed, users: 2, think: 1s, phases: [] }\n",
      ERR_INVAL, 6, 62, "closed loop is driven by users" },
    { "open loop with users",
      "name: t\nduration: 1h\naccounts:\n  - name: p\n    count: 10\n"
      "    traffic: { users: 5, phases: [ { for: 1h, rate: 1/s } ] }\n",
      ERR_INVAL, 6, 23, "belongs to a closed loop" },
    { "traffic missing",
      "name: t\nduration: 1h\naccounts:\n  - name: p\n    count: 10\n",
      ERR_INVAL, 4, 5, "missing required key 'traffic'" },
    { "phases empty",
      "name: t\nduration: 1h\naccounts:\n  - name: p\n    count: 10\n"
      "    traffic: { phases: [] }\n",
      ERR_INVAL, 6, 24, "expected a list of phases" },
    { "phase rate bad",
      "name: t\nduration: 1h\naccounts:\n  - name: p\n    count: 10\n"
      "    traffic: { phases: [ { for: 1h, rate: 5 } ] }\n",
      ERR_INVAL, 6, 43, "expected a rate such as 50/s" },
    { "phase without for",
      "name: t\nduration: 1h\naccounts:\n  - name: p\n    count: 10\n"
      "    traffic: { phases: [ { rate: 1/s } ] }\n",
      ERR_INVAL, 6, 26, "missing required key 'for'" },
    { "bad skew",
      "name: t\nduration: 1h\naccounts:\n  - name: p\n    count: 10\n"
      "    traffic: { skew: zipf(0), phases: [ { for: 1h, rate: 1/s } ] }\n",
      ERR_INVAL, 6, 22, "expected uniform or zipf(s)" },
    { "retry cap below base",
      BASE "    client: { retry: { max: 2, base: 5s, cap: 1s } }\n", ERR_INVAL,
      7, 47, "cap is shorter than base" },
    { "retry backoff unknown",
      BASE "    client: { retry: { backoff: exponentail } }\n", ERR_INVAL, 7,
      33, "did you mean 'exponential'?" },
    { "zipf as token count", BASE "    tokens: { prompt: zipf(1.1) }\n",
      ERR_INVAL, 7, 23, "zipf describes skew" },
    { "dist params out of range",
      BASE "    tokens: { prompt: uniform(9, 1) }\n", ERR_INVAL, 7, 23,
      "out of range" },
    { "price without per", BASE "policy:\n  models: { m: { input: 0.15 } }\n",
      ERR_INVAL, 8, 25, "expected a token price" },
    { "money malformed",
      BASE "policy:\n  tiers: { free: { credit: { grant: five } } }\n",
      ERR_INVAL, 8, 37, "expected an amount of money" },
    { "boolean malformed",
      BASE "policy:\n  tiers:\n    free:\n      limits:\n        - { name: "
           "x, requests: 2, per: 1s, count_denied: maybe }\n",
      ERR_INVAL, 11, 58, "expected true or false" },
    { "invalid name",
      "name: a b\nduration: 1h\naccounts:\n  - name: p\n"
      "    count: 1\n    traffic: { phases: [ { for: 1h, "
      "rate: 1/s } ] }\n",
      ERR_INVAL, 1, 7, "not a valid name" },
    { "duplicate key", BASE "duration: 2h\n", ERR_INVAL, 7, 1,
      "duplicate key 'duration'" },
    { "duplicate population",
      BASE "  - name: p\n    count: 1\n    traffic: { phases: [ { for: 1h, "
           "rate: 1/s } ] }\n",
      ERR_INVAL, 7, 11, "population name 'p' is used twice" },
    { "interval longer than duration", BASE "interval: 2h\n", ERR_INVAL, 7, 11,
      "longer than the duration" },
    { "warmup not shorter", BASE "warmup: 1h\n", ERR_INVAL, 7, 9,
      "shorter than the duration" },
    { "seed not a number", BASE "seed: abc\n", ERR_INVAL, 7, 7,
      "expected a whole number" },
    { "bad expect rule", BASE "expect:\n  - denied(nonsense) < 5%\n", ERR_INVAL,
      8, 5, "" },
    { "expect not a list", BASE "expect: denied < 5%\n", ERR_INVAL, 7, 9,
      "expected a list of rules" },
    { "classify unknown reason",
      BASE "live:\n  classify: { rules: [ { status: 429, reason: "
           "rate_limits } ] }\n",
      ERR_INVAL, 8, 47, "did you mean 'rate_limit'?" },
    { "classify unknown dialect", BASE "live:\n  classify: openia\n", ERR_INVAL,
      8, 13, "did you mean 'openai'?" },
    { "template variable unknown",
      BASE "live:\n  request: { body: '{\"m\":\"${modle}\"}' }\n", ERR_INVAL, 8,
      20, "did you mean '${model}'?" },
    { "target not a URL", BASE "live:\n  target: 127.0.0.1:8080\n", ERR_INVAL,
      8, 11, "expected a URL" },
    { "header malformed", BASE "live:\n  request: { headers: [ nocolon ] }\n",
      ERR_INVAL, 8, 25, "expected \"Name: value\"" },
    /* run's load generator refused these with an unlocated message */
    { "threads over run's limit", BASE "live: { threads: 300 }\n", ERR_INVAL, 7,
      18, "'300' is too large (at most 256)" },
    { "fewer connections than threads", BASE "live:\n  threads: 100\n",
      ERR_INVAL, 8, 12, "64 connections cannot keep 100 threads busy" },
    /* A null item converted to a population with no name and no
     * accounts, and results nobody could read. */
    { "null population in flow", "name: t\nduration: 1h\naccounts: [~]\n",
      ERR_INVAL, 3, 12, "empty list item" },
    { "null population in block", BASE "  -\n", ERR_INVAL, 7, 4,
      "empty list item: remove the '-'" },
    { "null population by alias",
      "name: t\nduration: 1h\ndescription: &n\naccounts: [*n]\n", ERR_INVAL, 3,
      14, "empty list item" },
    { "null phase",
      BASE "    client: {}\n  - { name: q, count: 1, traffic: "
           "{ phases: [ ~ ] } }\n",
      ERR_INVAL, 8, 47, "empty list item" },
    { "null limit", BASE "policy: { tiers: { free: { limits: [ ~ ] } } }\n",
      ERR_INVAL, 7, 38, "empty list item" },
    { "null event", BASE "events: [ null ]\n", ERR_INVAL, 7, 11,
      "empty list item" },
    { "null classify rule", BASE "live: { classify: { rules: [ ~ ] } }\n",
      ERR_INVAL, 7, 30, "empty list item" },
    { "alias without anchor", BASE "    client: *nothing\n", ERR_INVAL, 7, 13,
      "names no earlier anchor" },
    { "merge of a scalar", BASE "    client: { <<: 5 }\n", ERR_INVAL, 7, 19,
      "merge key" },
    { "NUL in a value", BASE "description: \"a\\0b\"\n", ERR_INVAL, 7, 14,
      "NUL character" },
    { "syntax error", BASE "policy: { tiers: \n", ERR_PARSE, 8, 1,
      "YAML syntax error" },
    { "bad indentation", "name: t\n  duration: 1h\n", ERR_PARSE, 2, 11,
      "YAML syntax error" },
    { "two documents", BASE "---\nname: u\n", ERR_PARSE, 7, 1,
      "one YAML document" },
    { "empty file", "", ERR_INVAL, 1, 1, "the scenario is empty" },
    { "empty document", "# just a comment\n", ERR_INVAL, 1, 1,
      "the scenario is empty" },
};

static void test_err(void **state)
{
    const struct err_case *c = *state;
    struct scenario *sc = NULL;
    struct scn_diags d;
    int rc = parse(c->yaml, NULL, 0, &sc, &d);
    if (rc != c->rc || !has_diag(&d, c->line, c->col, c->msg))
        dump_diags(&d);
    assert_int_equal(rc, c->rc);
    assert_null(sc);
    assert_true(has_diag(&d, c->line, c->col, c->msg));
    scn_diags_fini(&d);
}

/* ---- input limits -------------------------------------------------------- */

static char *repeat(const char *head, const char *unit, size_t n,
                    const char *tail)
{
    size_t len = strlen(head) + strlen(unit) * n + strlen(tail) + 1;
    char *s = malloc(len);
    strcpy(s, head);
    char *p = s + strlen(head);
    for (size_t i = 0; i < n; i++) {
        memcpy(p, unit, strlen(unit));
        p += strlen(unit);
    }
    strcpy(p, tail);
    return s;
}

enum limit_kind_t {
    L_NAME,
    L_DEPTH,
    L_LIST,
    L_BOMB,
    L_ACCOUNTS,
    L_INTERVALS,
    L_FILE,
    L_SCALAR,
    L_EVERY,
    L_RANDOM,
    L_OCC_SUM,
    L_POPS,
    L_USERS,
    L_TIER_LIMITS,
    L_HEADERS,
    L_MERGE,
    L_VISITS,
    L_MODELS,
    L_REGIONS,
    L_RUN_MEMORY,
    L_LIMIT_STATES
};

struct limit_case {
    const char *name;
    enum limit_kind_t kind;
    int line; /* of the diagnostic; 0: any */
    const char *msg;
};

static const struct limit_case limit_cases[] = {
    { "name too long", L_NAME, 1, "longer than 63 bytes" },
    { "nesting too deep", L_DEPTH, 7, "nesting deeper than 16" },
    { "list too long", L_LIST, 7, "more than 4096 items" },
    { "alias bomb", L_BOMB, 0, "more than 200000 YAML nodes" },
    { "too many accounts", L_ACCOUNTS, 11, "more than 10000000 accounts" },
    { "too many intervals", L_INTERVALS, 7,
      "gives 3600000 time-series rows, more than the limit of 200000: use an "
      "interval of at least 18ms" },
    { "file too big", L_FILE, 1, "the limit is 4194304" },
    { "value too long", L_SCALAR, 7, "longer than 65536" },
    /* 1h / 2ns starts, from the issue: sim grew ~350 MB/s */
    { "every too often", L_EVERY, 8,
      "every: 2ns starts this event 1800000000000 times in 1h; all events "
      "together may start at most 100000 times: use every: 36ms or longer" },
    { "random too often", L_RANDOM, 8,
      "mtbf: 1ns starts this event about 3600000000000 times in 1h "
      "(duration / mtbf); all events together may start at most 100000 "
      "times: use mtbf: 36ms or longer" },
    /* 60000 + 40450 starts: the second event goes over; 40000 fit */
    { "occurrences summed", L_OCC_SUM, 9,
      "every: 89ms starts this event 40450 times in 1h; all events together "
      "may start at most 100000 times: use every: 90ms or longer" },
    { "too many populations", L_POPS, 262, "more than 256 populations" },
    { "too many users", L_USERS, 12,
      "more than 1000000 closed-loop users in all populations" },
    { "too many limits in a tier", L_TIER_LIMITS, 43,
      "more than 32 limits in one tier" },
    { "too many headers", L_HEADERS, 73, "more than 63 request headers" },
    /* Two mappings of 3000 keys merged: 6000 keys in one mapping.  Merging
     * eight of 4096 keys used to take seconds (pairwise key checks). */
    /* 10M accounts banned every 36ms for 1h: 1e12 account visits, hours
     * of CPU; every 36s (1e9) fits */
    { "events visit too many accounts", L_VISITS, 8,
      "this event visits 10000000 accounts each time, 1000000000000 over "
      "1h; all events together may visit at most 1000000000 accounts: use "
      "every: 36s or longer" },
    { "too many models", L_MODELS, 265, "more than 256 models" },
    /* 64 run workers x (35 histograms x 221184 B + 200000 rows x 320 B +
     * 1 population x 640 B = 71742080 B): 4378 MB; 2 GiB / 71742080 = 29.9,
     * so 29 fit (the SCN_REC_* charges of scenario.h) */
    /* 10M accounts x 10 limits: 100M states of 24 bytes; 8M accounts fit */
    { "too many limiter states", L_LIMIT_STATES, 19,
      "10000000 accounts x 10 limits (tier 'free' has the most) need a "
      "limiter state each, more than 80000000: use at most 8000000 "
      "accounts" },
    { "run recorders too big", L_RUN_MEMORY, 9,
      "run keeps a recorder of ~136 MB per worker thread (1 populations, "
      "200000 time-series rows): 64 threads need ~8744 MB, more than the "
      "limit of 2048 MB: use at most 14 threads" },
    /* 4500 subdivision codes: interning each by a scan of the others (and
     * a realloc per code) took 14 s of CPU for 96000 */
    { "too many regions", L_REGIONS, 8,
      "more than 4096 distinct region codes" },
    { "merge past the list limit", L_MERGE, 9,
      "more than 4096 items in one mapping after merging" },
};

static char *limit_text(enum limit_kind_t k)
{
    switch (k) {
    case L_NAME:
        return repeat("name: ", "abcdefghij", 7,
                      "\nduration: 1h\naccounts: [ { name: p, count: 1, "
                      "traffic: { phases: [ { for: 1h, rate: 1/s } ] } } "
                      "]\n");
    case L_DEPTH: return repeat(BASE "policy: ", "[", 40, "\n");
    case L_LIST: return repeat(BASE "expect: [", "1, ", 5000, "1]\n");
    case L_BOMB:
        return strdup(
            BASE "description: &a [x, x, x, x, x, x, x, x, x, x]\n"
                 "policy:\n  b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                 "  c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
                 "  d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
                 "  e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
                 "  f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
                 "  g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n");
    case L_ACCOUNTS:
        return strdup(BASE "  - name: q\n    count: 6M\n    traffic: { "
                           "phases: [ { for: 1h, rate: 1/s } ] }\n"
                           "  - name: r\n    count: 6M\n    traffic: { "
                           "phases: [ { for: 1h, rate: 1/s } ] }\n");
    case L_INTERVALS: return strdup(BASE "interval: 1ms\n");
    case L_FILE: {
        size_t n = SCN_MAX_FILE_BYTES + 1;
        char *s = malloc(n + 1);
        memset(s, ' ', n);
        s[n] = '\0';
        return s;
    }
    case L_SCALAR: return repeat(BASE "description: ", "x", 70000, "\n");
    case L_EVERY: return strdup(BASE "events:\n  - { every: 2ns, ban: {} }\n");
    case L_RANDOM:
        return strdup(
            BASE "events:\n  - { random: outage, mtbf: 1ns, mttr: 1ns }\n");
    case L_OCC_SUM:
        return strdup(BASE "events:\n  - { every: 60ms, ban: {} }\n"
                           "  - { every: 89ms, from: 0, revoke_keys: {} }\n");
    case L_POPS:
        return repeat(BASE,
                      "  - { name: q, count: 1, traffic: { phases: "
                      "[ { for: 1h, rate: 1/s } ] } }\n",
                      300, "");
    case L_USERS:
        return strdup(BASE "  - name: c\n    count: 1\n    traffic: { "
                           "arrival: closed, users: 600k, think: 1s }\n"
                           "  - name: d\n    count: 1\n    traffic: { "
                           "arrival: closed, users: 400001, think: 1s }\n");
    case L_TIER_LIMITS:
        return repeat(BASE "policy:\n  tiers:\n    free:\n      limits:\n",
                      "        - { requests: 1, per: 1m }\n", 40, "");
    case L_VISITS:
        return strdup("name: t\nduration: 1h\naccounts:\n  - name: big\n"
                      "    count: 10M\n    traffic: { phases: [ { for: 1h, "
                      "rate: 1/s } ] }\nevents:\n"
                      "  - { every: 36ms, ban: { accounts: big } }\n");
    case L_LIMIT_STATES: {
        char *s = malloc(2048), *p = s;
        p += sprintf(p, "name: t\nduration: 1h\npolicy:\n  tiers:\n    free:\n"
                        "      limits:\n");
        for (int i = 0; i < 10; i++)
            p += sprintf(p, "        - { name: l%d, requests: 9, per: 1m }\n",
                         i);
        sprintf(p, "accounts:\n  - name: p\n    count: 10M\n    traffic: { "
                   "phases: [ { for: 1h, rate: 1/s } ] }\n");
        return s;
    }
    case L_RUN_MEMORY:
        return strdup(BASE "interval: 18ms\nlive:\n  threads: 64\n"
                           "  connections: 64\n");
    case L_REGIONS: { /* 3000 blocked, 1500 more in an event */
        char *s = malloc(4500 * 8 + 400), *p = s;
        p += sprintf(p, BASE "policy: { regions: { blocked: [");
        for (int i = 0; i < 4500; i++) {
            if (i == 3000)
                p += sprintf(p, " ] } }\nevents: [ { at: 1m, block_region: [");
            p += sprintf(p, "%sAA-%c%c%c", i % 3000 ? ", " : " ", 'A' + i / 676,
                         'A' + i / 26 % 26, 'A' + i % 26);
        }
        sprintf(p, " ] } ]\n");
        return s;
    }
    case L_MODELS: {
        char *s = malloc(300 * 20 + 400), *p = s;
        p += sprintf(p, BASE "policy:\n  models:\n");
        for (int i = 0; i < 300; i++)
            p += sprintf(p, "    m%d: {}\n", i);
        return s;
    }
    case L_MERGE: {
        char *s = malloc(200000), *p = s;
        p += sprintf(p, BASE "description:\n");
        for (int m = 0; m < 2; m++) {
            p += sprintf(p, "  m%d: &m%d {", m, m);
            for (int i = 0; i < 3000; i++)
                p += sprintf(p, "%sk%d_%d: 1", i ? ", " : " ", m, i);
            p += sprintf(p, " }\n");
        }
        sprintf(p, "  all: { <<: [ *m0, *m1 ] }\n");
        return s;
    }
    case L_HEADERS:
        return repeat(BASE "live:\n  request:\n    headers:\n",
                      "      - \"X-A: 1\"\n", 70, "");
    }
    return NULL;
}

static void test_limit(void **state)
{
    const struct limit_case *c = *state;
    char *text = limit_text(c->kind);
    struct scenario *sc = NULL;
    struct scn_diags d;
    int rc = parse(text, NULL, 0, &sc, &d);
    bool found = c->line ? has_diag(&d, c->line, 0, c->msg)
                         : d.n >= 1 && strstr(d.items[0].message, c->msg);
    if (rc != ERR_TOOBIG || !found)
        dump_diags(&d);
    assert_int_equal(rc, ERR_TOOBIG);
    assert_null(sc);
    assert_true(found);
    scn_diags_fini(&d);
    free(text);
}

/* ---- limits at their edge ----------------------------------------------
 * Exactly at a limit the scenario is valid and the engines' constructors
 * (recorder, policy) accept it: validate and the engines agree.  A --set
 * (what --duration does) that pushes it over is validated like the file.
 */

struct edge_case {
    const char *name;
    const char *yaml;        /* NULL: built by edge_text */
    const char *key, *value; /* a --set that goes over, or NULL */
    int line;                /* of that error (0: the override's) */
    const char *msg;
};

static const struct edge_case edge_cases[] = {
    { "rows at the limit", BASE "interval: 18ms\n", "duration", "3601s", 7,
      "gives 200056 time-series rows, more than the limit of 200000" },
    { "rows over by one", BASE "interval: 18ms\n", "interval", "17999999ns", 0,
      "gives 200001 time-series rows" },
    { "every at the limit", BASE "events: [ { every: 36ms, ban: {} } ]\n",
      "duration", "2h", 7, "every: 36ms starts this event 200000 times in 2h" },
    { "random at the limit",
      BASE "events: [ { random: outage, mtbf: 36ms, mttr: 1ms } ]\n",
      "events[0].mtbf", "35999999ns", 0, "about 100001 times in 1h" },
    { "populations at the limit", NULL, NULL, NULL, 0, NULL },
    { "users at the limit",
      BASE "  - name: c\n    count: 1\n    traffic: { arrival: closed, "
           "users: 1M, think: 1s }\n",
      "accounts.p.traffic", "{ arrival: closed, users: 1, think: 1s }", 9,
      "more than 1000000 closed-loop users" },
    { "limits at the limit", NULL, NULL, NULL, 0, NULL },
};

/* 256 populations, or 32 limits in a tier. */
static char *edge_text(const struct edge_case *c)
{
    if (c->yaml)
        return strdup(c->yaml);
    char *s = malloc(256 * 100), *p = s;
    if (strstr(c->name, "populations")) {
        p += sprintf(p, "name: t\nduration: 1h\naccounts:\n");
        for (int i = 0; i < 256; i++)
            p += sprintf(p,
                         "  - { name: p%d, count: 1, traffic: { phases: "
                         "[ { for: 1h, rate: 1/s } ] } }\n",
                         i);
        return s;
    }
    p += sprintf(p, BASE "policy:\n  tiers:\n    free:\n      limits:\n");
    for (int i = 0; i < 32; i++)
        p += sprintf(p, "        - { name: l%d, requests: 9, per: 1m }\n", i);
    return s;
}

static void test_edge(void **state)
{
    const struct edge_case *c = *state;
    char *text = edge_text(c);
    struct scenario *sc = NULL;
    struct scn_diags d;
    int rc = parse(text, NULL, 0, &sc, &d);
    if (rc != ERR_OK)
        dump_diags(&d);
    assert_int_equal(rc, ERR_OK);
    struct rec *r = NULL;
    assert_int_equal(rec_new_scenario(sc, sc->duration_ns, false, &r), ERR_OK);
    rec_free(r);
    struct policy *pol = NULL;
    assert_int_equal(policy_new(sc, 1, &pol), ERR_OK);
    policy_free(pol);
    scn_free(sc);
    scn_diags_fini(&d);
    if (c->key) {
        struct scn_override o = { c->key, c->value };
        rc = parse(text, &o, 1, &sc, &d);
        if (!has_diag(&d, c->line, 0, c->msg))
            dump_diags(&d);
        assert_int_equal(rc, ERR_TOOBIG);
        assert_true(has_diag(&d, c->line, 0, c->msg));
        scn_diags_fini(&d);
    }
    free(text);
}

/* ---- --set overrides ---------------------------------------------------- */

struct set_case {
    const char *name;
    const char *yaml;
    const char *key, *value;
    int rc;
    const char *msg;                         /* ERR_*: substring of the error */
    int (*check)(const struct scenario *sc); /* ERR_OK: nonzero is good */
};

static int servers_32(const struct scenario *sc)
{
    return sc->policy.has_capacity && sc->policy.cap_servers == 32;
}

static int count_500(const struct scenario *sc)
{
    return sc->pops[0].count == 500 && sc->n_accounts == 500;
}

static int count_7(const struct scenario *sc)
{
    return sc->pops[0].count == 7;
}

static int rpm_5(const struct scenario *sc)
{
    return sc->policy.tiers[0].limits[0].amount == 5 &&
           sc->policy.tiers[0].limits[0].burst == 5;
}

static int duration_10m(const struct scenario *sc)
{
    return sc->duration_ns == 600 * NS_PER_S && sc->interval_ns == NS_PER_S;
}

static int blocked_2(const struct scenario *sc)
{
    return sc->policy.n_blocked_regions == 2 &&
           strcmp(sc->regions[sc->policy.blocked_regions[1]], "RU") == 0;
}

static int rate_9(const struct scenario *sc)
{
    return sc->pops[0].phases[0].rate_from_per_s == 9;
}

static const struct set_case set_cases[] = {
    { "new section", BASE, "policy.capacity.servers", "32", ERR_OK, NULL,
      servers_32 },
    { "population by name", BASE, "accounts.p.count", "500", ERR_OK, NULL,
      count_500 },
    { "population by index", BASE, "accounts[0].count", "7", ERR_OK, NULL,
      count_7 },
    { "population by number", BASE, "accounts.0.count", "7", ERR_OK, NULL,
      count_7 },
    { "limit by name", BASE2, "policy.tiers.free.limits.rpm.requests", "5",
      ERR_OK, NULL, rpm_5 },
    { "top level", BASE, "duration", "10m", ERR_OK, NULL, duration_10m },
    { "flow list value", BASE, "policy.regions.blocked", "[CN, RU]", ERR_OK,
      NULL, blocked_2 },
    { "into flow phases", BASE, "accounts.p.traffic.phases[0].rate", "9/s",
      ERR_OK, NULL, rate_9 },
    { "no such item", BASE, "accounts.nobody.count", "1", ERR_INVAL,
      "--set accounts.nobody.count=1: 'accounts' has no item named "
      "'nobody'",
      NULL },
    { "index out of range", BASE, "accounts[3].count", "1", ERR_INVAL,
      "has 1 items, so [3] does not exist", NULL },
    { "typo in key", BASE, "policy.capcity.servers", "1", ERR_INVAL,
      "did you mean 'capacity'? (from --set policy.capcity.servers=1)", NULL },
    { "through a value", BASE, "duration.x", "1", ERR_INVAL,
      "'duration' is a single value, not a map", NULL },
    { "index on a map", BASE, "policy[0]", "1", ERR_INVAL, "is not a list",
      NULL },
    { "bad path", BASE, "accounts..count", "1", ERR_INVAL,
      "expected a dotted path", NULL },
    { "bad value", BASE, "policy.capacity.servers", "lots", ERR_INVAL,
      "expected a whole number such as 500 or 10k, got 'lots' (from --set "
      "policy.capacity.servers=lots)",
      NULL },
    { "bad flow value", BASE, "policy.regions.blocked", "[CN", ERR_INVAL,
      "YAML syntax error", NULL },
    /* YAML cannot hold it, so scenario.yaml could not either */
    { "value not UTF-8", BASE, "description", "a\xc3(", ERR_INVAL,
      "--set description=...: the value is not UTF-8 text", NULL },
    { "value with a surrogate", BASE, "description", "\xed\xa0\x80", ERR_INVAL,
      "not UTF-8 text", NULL },
};

static void test_set(void **state)
{
    const struct set_case *c = *state;
    struct scn_override o = { c->key, c->value };
    struct scenario *sc = NULL;
    struct scn_diags d;
    int rc = parse(c->yaml, &o, 1, &sc, &d);
    if (rc != c->rc)
        dump_diags(&d);
    assert_int_equal(rc, c->rc);
    if (rc == ERR_OK) {
        assert_true(c->check(sc));
    } else {
        bool found = false;
        for (size_t i = 0; i < d.n; i++)
            found = found || strstr(d.items[i].message, c->msg);
        if (!found)
            dump_diags(&d);
        assert_true(found);
        assert_int_equal(d.items[0].loc.line, 0); /* not a file location */
    }
    scn_free(sc);
    scn_diags_fini(&d);
}

/* Several overrides apply in order; the last one of a key wins. */
static void test_set_order(void **state)
{
    (void)state;
    struct scn_override o[] = { { "accounts.p.count", "3" },
                                { "seed", "99" },
                                { "accounts.p.count", "4" } };
    struct scenario *sc = NULL;
    struct scn_diags d;
    assert_int_equal(parse(BASE, o, 3, &sc, &d), ERR_OK);
    assert_int_equal(sc->pops[0].count, 4);
    assert_int_equal(sc->seed, 99);
    scn_free(sc);
    scn_diags_fini(&d);
}

/* ---- ${env:} ------------------------------------------------------------- */

struct env_case {
    const char *name;
    const char *yaml;
    int rc;
    int64_t servers; /* ERR_OK */
    int line, col;   /* otherwise */
    const char *msg;
};

static const struct env_case env_cases[] = {
    { "set variable",
      BASE "policy: { capacity: { servers: \"${env:TG_TEST_SERVERS}\" } }\n",
      ERR_OK, 12, 0, 0, NULL },
    { "in the middle",
      BASE "policy: { capacity: { servers: \"1${env:TG_TEST_SERVERS}0\" } }\n",
      ERR_OK, 1120, 0, 0, NULL },
    { "default used",
      BASE "policy: { capacity: { servers: \"${env:TG_TEST_UNSET:-3}\" } }\n",
      ERR_OK, 3, 0, 0, NULL },
    { "default ignored",
      BASE "policy: { capacity: { servers: \"${env:TG_TEST_SERVERS:-3}\" } "
           "}\n",
      ERR_OK, 12, 0, 0, NULL },
    { "unset variable",
      BASE "policy: { capacity: { servers: \"${env:TG_TEST_UNSET}\" } }\n",
      ERR_INVAL, 0, 7, 32, "environment variable TG_TEST_UNSET is not set" },
    { "malformed",
      BASE "policy: { capacity: { servers: \"${env:TG TEST}\" } }\n", ERR_INVAL,
      0, 7, 32, "malformed ${env:" },
    { "unterminated",
      BASE "policy: { capacity: { servers: \"${env:TG_TEST_SERVERS\" } }\n",
      ERR_INVAL, 0, 7, 32, "malformed ${env:" },
    { "value not UTF-8", BASE "description: \"${env:TG_TEST_BYTES}\"\n",
      ERR_INVAL, 0, 7, 14,
      "after ${env:} substitution the value is not UTF-8" },
};

static void test_env(void **state)
{
    const struct env_case *c = *state;
    setenv("TG_TEST_SERVERS", "12", 1);
    setenv("TG_TEST_BYTES", "k\xff", 1);
    unsetenv("TG_TEST_UNSET");
    struct scenario *sc = NULL;
    struct scn_diags d;
    int rc = parse(c->yaml, NULL, 0, &sc, &d);
    if (rc != c->rc)
        dump_diags(&d);
    assert_int_equal(rc, c->rc);
    if (rc == ERR_OK)
        assert_int_equal(sc->policy.cap_servers, c->servers);
    else
        assert_true(has_diag(&d, c->line, c->col, c->msg));
    scn_free(sc);
    scn_diags_fini(&d);
}

/* ---- anchors that outlive their node ---------------------------------------
 * An anchor keeps its own copy of the node: the tree frees or rewrites the
 * original when a merge key takes its pairs, when a mapping key is not a
 * scalar, and when a flow scalar split at a comma is joined back.  Under
 * ASan each row was a heap-use-after-free (every command crashed); the
 * checks below also pin what the alias must contain.
 */

struct anchor_case {
    const char *name;
    const char *yaml;
    const char *key, *value; /* one --set, or NULL */
    int rc;
    int line;        /* of a diagnostic (rc != ERR_OK); 0: any */
    const char *msg; /* its text (rc != ERR_OK) */
    int (*check)(const struct scenario *sc); /* rc ERR_OK: nonzero is good */
};

/* Two outages of 1s, at 1m and 2m. */
static int seed_2(const struct scenario *sc)
{
    return sc->seed == 2;
}

static int two_1s_outages(const struct scenario *sc)
{
    return sc->n_events == 2 && sc->events[0].for_ns == NS_PER_S &&
           sc->events[1].for_ns == NS_PER_S &&
           sc->events[1].at_ns == 120 * NS_PER_S;
}

static int timeout_5s_twice(const struct scenario *sc)
{
    return sc->n_pops == 2 && sc->pops[0].client.timeout_ns == 5 * NS_PER_S &&
           sc->pops[1].client.timeout_ns == 5 * NS_PER_S;
}

#define TWO_OUTAGES                                                            \
    "[{at: 1m, outage: {<<: &x {for: 1s}}}, {at: 2m, outage: *x}]"

static const struct anchor_case anchor_cases[] = {
    { "anchor redefined: the latest wins",
      BASE "description: &x a\nwarmup: &x 0s\nseed: &x 2\npolicy: { "
           "capacity: { servers: *x } }\n",
      NULL, NULL, ERR_OK, 0, NULL, seed_2 },
    { "anchor on a merge source", BASE "events: " TWO_OUTAGES "\n", NULL, NULL,
      ERR_OK, 0, NULL, two_1s_outages },
    { "anchor on a block merge source",
      "name: m\nduration: 1h\naccounts:\n"
      "  - name: a\n    count: 1\n"
      "    traffic: { phases: [ { for: 1h, rate: 1/s } ] }\n"
      "    client:\n      <<: &cl { timeout: 5s }\n"
      "  - name: b\n    count: 1\n"
      "    traffic: { phases: [ { for: 1h, rate: 1/s } ] }\n"
      "    client: *cl\n",
      NULL, NULL, ERR_OK, 0, NULL, timeout_5s_twice },
    { "anchor on a merge source in --set", BASE, "events", TWO_OUTAGES, ERR_OK,
      0, NULL, two_1s_outages },
    { "anchor on a mapping key",
      BASE "description: { ? &k { a: 1 } : 1 }\nseed: *k\n", NULL, NULL,
      ERR_INVAL, 7, "expected a whole number, got a mapping", NULL },
    { "anchor on a list key in --set", BASE, "description",
      "{ ? &k [1] : 1, x: *k }", ERR_INVAL, 0,
      "a mapping key must be a plain name", NULL },
    { "anchor on a rejoined map fragment",
      BASE "description: { a: uniform(1s, &s 7) }\nseed: *s\n", NULL, NULL,
      ERR_INVAL, 7, "got '7)'", NULL },
    { "anchor on a rejoined list fragment",
      BASE "description: [ lognormal(300ms, &s 7) ]\nseed: *s\n", NULL, NULL,
      ERR_INVAL, 7, "got '7)'", NULL },
    { "anchor on a rejoined fragment in --set", BASE, "policy",
      "{ a: [ f(1, &s 7) ], seed: *s }", ERR_INVAL, 0, "unknown key 'a'",
      NULL },
};

static void test_anchor(void **state)
{
    const struct anchor_case *c = *state;
    struct scn_override o = { c->key, c->value };
    struct scenario *sc = NULL;
    struct scn_diags d;
    int rc = parse(c->yaml, &o, c->key ? 1 : 0, &sc, &d);
    bool found = false;
    for (size_t i = 0; i < d.n; i++)
        found = found || (c->msg && strstr(d.items[i].message, c->msg) &&
                          (c->line == 0 || d.items[i].loc.line == c->line));
    if (rc != c->rc || (c->rc != ERR_OK && !found))
        dump_diags(&d);
    assert_int_equal(rc, c->rc);
    if (rc == ERR_OK)
        assert_true(c->check(sc));
    else
        assert_true(found);
    scn_free(sc);
    scn_diags_fini(&d);
}

/* 64000 anchors and 64000 aliases to the first one (1.2 MB): looking each
 * alias up in a list took 28 s of CPU; a table takes 0.1 s.  The bound is
 * loose enough for sanitizer builds. */
static void test_many_anchors(void **state)
{
    (void)state;
    size_t cap = 1300000;
    char *s = malloc(cap), *p = s;
    p += sprintf(p, BASE "description:\n");
    for (int j = 0; j < 16; j++) {
        p += sprintf(p, "  a%d: [", j);
        for (int i = 0; i < 4000; i++)
            p += sprintf(p, "%s&n%d_%d x", i ? ", " : "", j, i);
        p += sprintf(p, "]\n");
    }
    for (int j = 0; j < 16; j++) {
        p += sprintf(p, "  b%d: [", j);
        for (int i = 0; i < 4000; i++)
            p += sprintf(p, "%s*n0_0", i ? ", " : "");
        p += sprintf(p, "]\n");
    }
    assert_true((size_t)(p - s) < cap);
    struct scenario *sc = NULL;
    struct scn_diags d;
    clock_t t0 = clock();
    int rc = parse(s, NULL, 0, &sc, &d);
    double cpu_s = (double)(clock() - t0) / CLOCKS_PER_SEC;
    assert_int_equal(rc, ERR_INVAL);
    assert_true(has_diag(&d, 8, 3, "expected a string, got a mapping"));
    assert_true(cpu_s < 5);
    scn_diags_fini(&d);
    free(s);
}

/* ---- defaults ----------------------------------------------------------- */

static void test_defaults(void **state)
{
    (void)state;
    struct scenario *sc = NULL;
    struct scn_diags d;
    assert_int_equal(parse(BASE, NULL, 0, &sc, &d), ERR_OK);
    assert_string_equal(sc->name, "t");
    assert_int_equal(sc->seed, 1);
    assert_int_equal(sc->duration_ns, 3600 * NS_PER_S);
    assert_int_equal(sc->interval_ns, 5 * NS_PER_S); /* 6s -> 5s */
    assert_int_equal(sc->warmup_ns, 0);
    assert_null(sc->description);
    /* One unlimited tier, one free instant model. */
    assert_int_equal(sc->policy.n_tiers, 1);
    assert_string_equal(sc->policy.tiers[0].name, "default");
    assert_int_equal(sc->policy.tiers[0].n_limits, 0);
    assert_false(sc->policy.tiers[0].has_credit);
    assert_false(sc->policy.tiers[0].has_usage_cap);
    assert_int_equal(sc->policy.tiers[0].upgrade_to, -1);
    assert_int_equal(sc->policy.n_models, 1);
    assert_string_equal(sc->policy.models[0].name, "default");
    assert_int_equal(sc->policy.models[0].input_pusd_per_token, 0);
    assert_int_equal(sc->policy.models[0].first_token.kind, DIST_CONST);
    assert_true(sc->policy.models[0].first_token.a == 0);
    const struct scn_policy *p = &sc->policy;
    assert_false(p->has_capacity || p->has_moderation || p->has_abuse ||
                 p->has_lockout || p->has_inactivity);
    assert_true(p->server_error == 0 && p->net_failure == 0);
    assert_true(p->net_rtt.kind == DIST_CONST && p->net_rtt.a == 0);
    assert_int_equal(p->n_blocked_regions, 0);
    /* Regions: ZZ at index 0 and nothing else. */
    assert_int_equal(sc->n_regions, 1);
    assert_string_equal(sc->regions[0], "ZZ");
    const struct scn_population *pop = &sc->pops[0];
    assert_int_equal(pop->regions.n, 1);
    assert_int_equal(pop->regions.index[0], 0);
    assert_true(pop->regions.cum[0] == 1.0);
    assert_int_equal(pop->models.n, 1);
    assert_int_equal(pop->models.index[0], 0);
    assert_int_equal(pop->tier, 0);
    assert_int_equal(pop->first_account, 0);
    assert_int_equal(sc->n_accounts, 10);
    assert_true(pop->prompt_tokens.a == 0 && pop->completion_tokens.a == 0);
    assert_int_equal(pop->arrival, ARRIVAL_POISSON);
    assert_false(pop->has_skew);
    assert_true(pop->invalid_key == 0 && pop->violation == 0 &&
                pop->bad_request == 0);
    assert_int_equal(pop->idle_for_ns, 0);
    assert_int_equal(pop->client.timeout_ns, 60 * NS_PER_S);
    assert_int_equal(pop->client.retry_max, 0);
    assert_int_equal(pop->client.backoff, BACKOFF_EXPONENTIAL);
    assert_int_equal(pop->client.backoff_base_ns, 500 * NS_PER_MS);
    assert_int_equal(pop->client.backoff_cap_ns, 20 * NS_PER_S);
    assert_int_equal(pop->client.jitter, JITTER_FULL);
    assert_int_equal(pop->client.retry_after, RETRY_AFTER_OPENAI);
    assert_int_equal(pop->phases[0].diurnal_period_ns, 86400 * NS_PER_S);
    assert_true(pop->phases[0].diurnal_amplitude == 0);
    /* live: defaults filled although there is no live: section. */
    assert_false(sc->has_live);
    assert_null(sc->live.target);
    assert_string_equal(sc->live.method, "POST");
    assert_string_equal(sc->live.path, "/v1/chat/completions");
    assert_int_equal(sc->live.n_headers, 4);
    assert_string_equal(sc->live.headers[0], "Authorization: Bearer ${key}");
    assert_string_equal(sc->live.headers[2], "X-Client-Region: ${region}");
    assert_string_equal(sc->live.headers[3], "X-Client-Source: ${account}");
    assert_int_equal(sc->live.connections, 64);
    assert_int_equal(sc->live.threads, 2);
    assert_int_equal(sc->live.timeout_ns, 30 * NS_PER_S);
    assert_int_equal(sc->live.classify, CLASSIFY_OPENAI);
    assert_int_equal(sc->n_events, 0);
    assert_int_equal(sc->n_expect, 0);
    scn_free(sc);
    scn_diags_fini(&d);
}

struct interval_case {
    const char *name;
    const char *duration;
    int64_t want_ns;
};

static const struct interval_case interval_cases[] = {
    { "interval of 2h is 10s", "2h", 10 * NS_PER_S },
    { "interval of 1h is 5s", "1h", 5 * NS_PER_S },
    { "interval of 10m is 1s", "10m", NS_PER_S },
    { "interval of 1d is 100s", "1d", 100 * NS_PER_S },
    { "interval of 7d is 1000s", "7d", 1000 * NS_PER_S },
    { "interval of 30m is 2s", "30m", 2 * NS_PER_S },
    { "interval of 1s is 2ms", "1s", 2 * NS_PER_MS },
    { "interval of 100ms is 1ms", "100ms", NS_PER_MS },
};

static void test_interval(void **state)
{
    const struct interval_case *c = *state;
    struct scn_override o = { "duration", c->duration };
    struct scenario *sc = NULL;
    struct scn_diags d;
    assert_int_equal(parse(BASE, &o, 1, &sc, &d), ERR_OK);
    assert_int_equal(sc->interval_ns, c->want_ns);
    scn_free(sc);
    scn_diags_fini(&d);
}

/* ---- event labels (events.csv) ------------------------------------------ */

/* BASE2 with one event. */
#define EV(e) BASE2 "events:\n  - " e "\n"
/* Names of 63 bytes, the longest a name can be. */
#define LONG_POP                                                               \
    "P________1_________2_________3_________4_________5_________6___"
#define LONG_MOD                                                               \
    "M________1_________2_________3_________4_________5_________6___"

struct label_case {
    const char *name;
    const char *text;
    const char *label;
};

static const struct label_case label_cases[] = {
    { "label outage capacity",
      EV("{ at: 1m, outage: { for: 5m, capacity: 50% } }"), "capacity 50%" },
    { "label full outage", EV("{ at: 1m, outage: { for: 5m } }"), "" },
    { "label random maintenance",
      EV("{ random: maintenance, mtbf: 1h, mttr: 5m }"), "random" },
    { "label random upgrade capacity",
      EV("{ random: upgrade, mtbf: 1h, mttr: 5m, upgrade: { capacity: 25% } "
         "}"),
      "capacity 25% random" },
    { "label ban", EV("{ at: 1m, ban: { accounts: p, fraction: 5% } }"),
      "p 5%" },
    { "label billing all", EV("{ at: 1m, billing_failure: { fraction: 0.5 } }"),
      "all 50%" },
    { "label block regions", EV("{ at: 1m, block_region: [BR, CN] }"),
      "BR CN" },
    { "label suspend feature",
      EV("{ at: 1m, suspend_feature: { model: b, for: 1m } }"), "b" },
    { "label revoke permission",
      EV("{ at: 1m, revoke_permission: { accounts: p, model: a } }"), "p a" },
    { "label set limit",
      EV("{ at: 1m, set_limit: { tier: free, limit: tpm, tokens: 500 } }"),
      "free.tpm=500" },
    { "label long names cut to fit",
      "name: t\n"
      "duration: 1h\n"
      "accounts:\n"
      "  - name: " LONG_POP "\n"
      "    count: 1\n"
      "    tier: " LONG_POP "\n"
      "    traffic: { phases: [ { for: 1h, rate: 1/s } ] }\n"
      "policy:\n"
      "  tiers:\n"
      "    " LONG_POP ": { limits: [ { name: " LONG_MOD
      ", requests: 1, per: 1s } ] }\n"
      "  models: { " LONG_MOD ": {} }\n"
      "events:\n"
      "  - { at: 1m, revoke_permission: { accounts: " LONG_POP
      ", model: " LONG_MOD " } }\n"
      "  - { at: 2m, set_limit: { tier: " LONG_POP ", limit: " LONG_MOD
      ", requests: 7 } }\n",
      "P________1_________2_________3_________4_____ "
      "M________1_________2_________3_________4_____|"
      "P________1_________2_________3_________4.M________1_________2=7" },
};

/* Labels of every event of the row's scenario, joined by '|', as a
 * 96-byte events.csv row holds them. */
static void test_label(void **state)
{
    const struct label_case *c = *state;
    struct scenario *sc = NULL;
    struct scn_diags d;
    int rc = parse(c->text, NULL, 0, &sc, &d);
    if (rc != ERR_OK)
        dump_diags(&d);
    assert_int_equal(rc, ERR_OK);
    char all[512] = "", label[96];
    for (size_t i = 0; i < sc->n_events; i++) {
        scn_event_label(sc, &sc->events[i], label, sizeof(label));
        size_t n = strlen(all);
        snprintf(all + n, sizeof(all) - n, "%s%s", i ? "|" : "", label);
    }
    assert_string_equal(all, c->label);
    scn_free(sc);
    scn_diags_fini(&d);
}

/* A short buffer is cut and terminated; an empty one is left alone; an
 * index outside the scenario prints as "?". */
static void test_label_bounds(void **state)
{
    (void)state;
    struct scenario *sc = NULL;
    struct scn_diags d;
    assert_int_equal(
        parse(EV("{ at: 1m, outage: { capacity: 50% } }"), NULL, 0, &sc, &d),
        ERR_OK);
    char buf[5] = "xxxx";
    assert_string_equal(scn_event_label(sc, &sc->events[0], buf, 5), "capa");
    buf[0] = 'x';
    assert_ptr_equal(scn_event_label(sc, &sc->events[0], buf, 0), buf);
    assert_int_equal(buf[0], 'x');
    struct scn_event ev = sc->events[0];
    ev.kind = EV_SET_LIMIT;
    ev.tier = 7;
    ev.amount = 3;
    char label[96];
    assert_string_equal(scn_event_label(sc, &ev, label, sizeof(label)),
                        "?.?=3");
    int bad = 99;
    ev.kind = EV_BLOCK_REGION;
    ev.regions = &bad;
    ev.n_regions = 1;
    assert_string_equal(scn_event_label(sc, &ev, label, sizeof(label)), "?");
    scn_free(sc);
    scn_diags_fini(&d);
}

/* ---- injected events (scn_parse_events) --------------------------------- */

/* BASE2 whose regions are ZZ and BR. */
#define INJECT_SCN EV("{ at: 1m, block_region: [BR] }")

struct inject_case {
    const char *name;
    const char *text;
    int rc;
    const char *labels; /* of the events, joined by '|' (rc ERR_OK) */
    const char *msg;    /* substring of scn_diags_fmt (rc != ERR_OK) */
};

static const struct inject_case inject_cases[] = {
    { "inject json", "{\"outage\":{\"for\":\"5m\",\"capacity\":\"50%\"}}",
      ERR_OK, "capacity 50%", NULL },
    { "inject yaml block",
      "ban:\n  accounts: p\n  fraction: 5%\nrevoke_keys:\n", ERR_OK,
      "p 5%|all 100%", NULL },
    { "inject list",
      "[{\"suspend_feature\":{\"model\":\"b\"}},"
      "{\"revoke_permission\":{\"accounts\":\"p\",\"model\":\"a\"}}]",
      ERR_OK, "b|p a", NULL },
    { "inject set_limit",
      "{\"set_limit\":{\"tier\":\"free\",\"limit\":\"tpm\",\"tokens\":\"10k\"}"
      "}",
      ERR_OK, "free.tpm=10000", NULL },
    { "inject region any case", "{\"unblock_region\":[\"br\", \"ZZ\"]}", ERR_OK,
      "BR ZZ", NULL },
    { "inject region not in scenario", "{\"block_region\":[\"US\"]}", ERR_INVAL,
      NULL, "t.yaml:1:18: block_region: 'US' is not a region code of this" },
    { "inject unknown model", "{\"suspend_feature\":{\"model\":\"c\"}}",
      ERR_INVAL, NULL, "suspend_feature.model: no model named 'c'" },
    { "inject unknown limit",
      "{\"set_limit\":{\"tier\":\"free\",\"limit\":\"rph\",\"requests\":1}}",
      ERR_INVAL, NULL, "tier 'free' has no limit named 'rph'" },
    { "inject more than max",
      "[{outage: },{outage: },{outage: },{outage: },"
      "{outage: }]",
      ERR_TOOBIG, NULL, "t.yaml:1:47: [4]: more than 4 events at once" },
    { "inject every error", "{\"ban\":{\"accounts\":\"x\"},\"upgrade\":1}",
      ERR_INVAL, NULL,
      "named 'x' in accounts; t.yaml:1:35: upgrade: expected" },
    { "inject duplicate kind", "{\"outage\":{},\"outage\":{}}", ERR_INVAL, NULL,
      "duplicate key 'outage'" },
    { "inject random refused", "{\"random\":\"outage\"}", ERR_INVAL, NULL,
      "remove random:" },
    { "inject empty list", "[]", ERR_OK, "", NULL },
    { "inject two documents", "outage: {}\n---\nupgrade: {}\n", ERR_PARSE, NULL,
      "one YAML document" },
    /* The anchored map is emptied by the merge before the alias copies
     * it: the alias must see the anchor's own copy. */
    { "inject null item", "[~, {outage: {}}]", ERR_INVAL, NULL,
      "t.yaml:1:2: [0]: " },
    { "inject alias of a merge source", "x: {<<: &x {for: 1s}}\noutage: *x\n",
      ERR_INVAL, NULL, "t.yaml:1:1: x: unknown event kind 'x'" },
    { "inject alias of a merge source ok",
      "[{outage: {<<: &x {capacity: 50%}}}, {upgrade: *x}]", ERR_OK,
      "capacity 50%|capacity 50%", NULL },
};

static void test_inject(void **state)
{
    const struct inject_case *c = *state;
    struct scenario *sc = NULL;
    struct scn_diags d;
    assert_int_equal(parse(INJECT_SCN, NULL, 0, &sc, &d), ERR_OK);
    scn_diags_fini(&d);
    size_t regions = sc->n_regions, events = sc->n_events, n = 99;
    struct scn_event ev[4];
    scn_diags_init(&d, "t.yaml");
    int rc = scn_parse_events(sc, c->text, strlen(c->text), ev, 4, &n, &d);
    char msg[1024], all[256] = "", label[96];
    scn_diags_fmt(msg, sizeof(msg), &d);
    if (rc != c->rc || (c->msg && strstr(msg, c->msg) == NULL))
        fprintf(stderr, "%s\n", msg);
    assert_int_equal(rc, c->rc);
    assert_int_equal(d.n == 0, rc == ERR_OK);
    if (c->msg)
        assert_non_null(strstr(msg, c->msg));
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(ev[i].timing, EVT_ONCE);
        assert_int_equal(ev[i].at_ns, 0);
        assert_true(ev[i].loc.line > 0);
        scn_event_label(sc, &ev[i], label, sizeof(label));
        size_t used = strlen(all);
        snprintf(all + used, sizeof(all) - used, "%s%s", i ? "|" : "", label);
        free(ev[i].regions);
    }
    if (rc == ERR_OK)
        assert_string_equal(all, c->labels);
    else
        assert_int_equal(n, 0);
    assert_int_equal(sc->n_regions, regions); /* only read */
    assert_int_equal(sc->n_events, events);
    scn_diags_fini(&d);
    scn_free(sc);
}

/* One line of every diagnostic, cut to the buffer. */
static void test_diags_fmt(void **state)
{
    (void)state;
    struct scenario *sc = NULL;
    struct scn_diags d;
    assert_int_equal(parse("name: t\nduration: 5\nseed: x\n", NULL, 0, &sc, &d),
                     ERR_INVAL);
    char buf[512];
    scn_diags_fmt(buf, sizeof(buf), &d);
    assert_non_null(strstr(buf, "t.yaml:2:11: duration: a duration needs a "
                                "unit"));
    assert_non_null(strstr(buf, "; t.yaml:3:7: seed: "));
    assert_null(strchr(buf, '\n'));
    char small[8] = "xxxxxxx";
    assert_string_equal(scn_diags_fmt(small, sizeof(small), &d), "t.yaml:");
    small[0] = 'x';
    assert_ptr_equal(scn_diags_fmt(small, 0, &d), small);
    assert_int_equal(small[0], 'x');
    scn_diags_fini(&d);
}

/* ---- the reference example, value by value -----------------------------
 */

static const char full_yaml[] =
    "name: full\n"
    "seed: 42\n"
    "duration: 2h\n"
    "interval: 30s\n"
    "warmup: 1m\n"
    "policy:\n"
    "  tiers:\n"
    "    free:\n"
    "      limits:\n"
    "        - { name: rpm, requests: 3, per: 1m }\n"
    "        - { name: rpd, requests: 200, per: 1d, algorithm: fixed_window "
    "}\n"
    "        - { name: tpm, tokens: 40000, per: 1m }\n"
    "        - { name: parallel, concurrent: 2 }\n"
    "        - { name: nginx, requests: 10, per: 1s, algorithm: "
    "leaky_bucket, burst: 5, count_denied: true, scope: source, delay: 3 "
    "}\n"
    "      credit: { grant: 5.00, expires: 90d }\n"
    "      usage_cap: { monthly: 100.00 }\n"
    "      upgrade: { to: tier1, spend: 5.00, after: 0d }\n"
    "    tier1:\n"
    "      limits: [ { name: rpm, requests: 500, per: 1m } ]\n"
    "      credit: { prepaid: $50.00 }\n"
    "  models:\n"
    "    mini:  { input: 0.15/1M, output: 0.60/1M, service: { first_token: "
    "lognormal(300ms, 0.5), per_token: 8ms } }\n"
    "    large: { input: 2.50/1M, output: 10.00/1M }\n"
    "  regions: { blocked: [CN, RU] }\n"
    "  moderation: { suspend_after: 3, ban_after: 10 }\n"
    "  abuse: { factor: 10, window: 1m, block_for: 15m }\n"
    "  lockout: { failures: 20 }\n"
    "  inactivity: { expire_after: 180d }\n"
    "  capacity: { servers: 64, queue: 256, queue_timeout: 10s }\n"
    "  errors: { server_error: 0.1% }\n"
    "  network: { rtt: lognormal(40ms, 0.3), failure: 0.05% }\n"
    "accounts:\n"
    "  - name: hobbyists\n"
    "    count: 1000\n"
    "    tier: free\n"
    "    regions: { US: 0.6, IN: 0.3, CN: 0.02, BR: 0.08 }\n"
    "    models: { mini: 0.9, large: 0.1 }\n"
    "    tokens: { prompt: lognormal(400, 1.0), completion: "
    "lognormal(150, 0.8) }\n"
    "    idle_for: 10d\n"
    "    invalid_key: 0.5%\n"
    "    traffic:\n"
    "      skew: zipf(1.1)\n"
    "      phases:\n"
    "        - { for: 30m, rate: 20/s }\n"
    "        - { for: 5m,  rate: 20/s..400/s }\n"
    "        - { for: 1h,  rate: 20/s, diurnal: { amplitude: 50%, period: "
    "24h } }\n"
    "    client:\n"
    "      timeout: 30s\n"
    "      retry: { max: 2, backoff: linear, base: 1s, cap: 20s, jitter: "
    "equal, retry_after: ignore }\n"
    "  - name: bots\n"
    "    count: 5\n"
    "    tier: tier1\n"
    "    regions: [US, DE]\n"
    "    models: mini\n"
    "    traffic: { arrival: closed, users: 20, think: exp(2s) }\n"
    "events:\n"
    "  - { at: 20m, outage: { for: 5m } }\n"
    "  - { at: 40m, upgrade: { for: 10m, capacity: 75% } }\n"
    "  - { at: 30m, suspend: { accounts: hobbyists, fraction: 10%, for: "
    "24h } }\n"
    "  - { at: 50m, block_region: [BR, FR] }\n"
    "  - { at: 1h,  set_limit: { tier: free, limit: tpm, tokens: 1000 } }\n"
    "  - { every: 1h, from: 10m, maintenance: { for: 5m } }\n"
    "  - { random: outage, mtbf: 12h, mttr: lognormal(20m, 0.5) }\n"
    "  - { at: 1h, revoke_permission: { accounts: bots, model: large } }\n"
    "live:\n"
    "  target: http://127.0.0.1:9\n"
    "  keys: { file: keys.txt }\n"
    "  classify: { rules: [ { status: 429, code: quota, reason: "
    "free_tier_exhausted } ] }\n"
    "expect:\n"
    "  - denied(rate_limit) < 5%\n"
    "  - p99(ok) < 2s\n";

static void test_full_policy(const struct scenario *sc)
{
    const struct scn_policy *p = &sc->policy;
    assert_int_equal(p->n_tiers, 2);
    const struct scn_tier *t = &p->tiers[0];
    assert_int_equal(t->n_limits, 5);
    assert_int_equal(t->limits[0].kind, LIMIT_REQUESTS);
    assert_int_equal(t->limits[0].algorithm, LIM_TOKEN_BUCKET);
    assert_int_equal(t->limits[0].amount, 3);
    assert_int_equal(t->limits[0].per_ns, 60 * NS_PER_S);
    assert_int_equal(t->limits[0].burst, 3);
    assert_int_equal(t->limits[1].algorithm, LIM_FIXED_WINDOW);
    assert_int_equal(t->limits[2].kind, LIMIT_TOKENS);
    assert_int_equal(t->limits[3].kind, LIMIT_CONCURRENT);
    assert_int_equal(t->limits[3].amount, 2);
    assert_int_equal(t->limits[4].algorithm, LIM_LEAKY_BUCKET);
    assert_int_equal(t->limits[4].burst, 5);
    assert_true(t->limits[4].count_denied);
    assert_true(t->limits[4].delays);
    assert_int_equal(t->limits[4].delay, 3);
    assert_false(t->limits[0].delays); /* nodelay unless delay: is given */
    assert_int_equal(t->limits[4].scope, SCOPE_SOURCE);
    assert_int_equal(t->limits[4].loc.line, 14);
    assert_true(t->has_credit);
    assert_int_equal(t->grant_pusd, 5 * PUSD_PER_USD);
    assert_int_equal(t->grant_expires_ns, 90 * 86400 * NS_PER_S);
    assert_int_equal(t->usage_cap_monthly_pusd, 100 * PUSD_PER_USD);
    assert_int_equal(t->upgrade_to, 1);
    assert_int_equal(t->upgrade_spend_pusd, 5 * PUSD_PER_USD);
    assert_int_equal(p->tiers[1].prepaid_pusd, 50 * PUSD_PER_USD);
    assert_int_equal(p->models[0].input_pusd_per_token, 150000);
    assert_int_equal(p->models[0].output_pusd_per_token, 600000);
    assert_int_equal(p->models[0].first_token.kind, DIST_LOGNORMAL);
    assert_true(p->models[0].first_token.a == 3e8);
    assert_true(p->models[0].first_token.b == 0.5);
    assert_true(p->models[0].per_token.a == 8e6);
    assert_int_equal(p->n_blocked_regions, 2);
    assert_int_equal(p->mod_suspend_after, 3);
    assert_int_equal(p->mod_window_ns, 30 * 86400 * NS_PER_S);
    assert_true(p->abuse_factor == 10);
    assert_int_equal(p->lockout_failures, 20);
    assert_int_equal(p->lockout_block_for_ns, 15 * 60 * NS_PER_S);
    assert_int_equal(p->inactivity_expire_after_ns, 180 * 86400 * NS_PER_S);
    assert_int_equal(p->cap_queue, 256);
    assert_int_equal(p->cap_queue_timeout_ns, 10 * NS_PER_S);
    assert_true(p->server_error == 0.001);
    assert_true(p->net_failure == 0.0005);
}

static void test_full_accounts(const struct scenario *sc)
{
    /* Regions in order of first mention: ZZ, CN, RU, US, IN, BR, DE, FR. */
    static const char *const regions[] = { "ZZ", "CN", "RU", "US",
                                           "IN", "BR", "DE", "FR" };
    assert_int_equal(sc->n_regions, 8);
    for (size_t i = 0; i < 8; i++)
        assert_string_equal(sc->regions[i], regions[i]);
    const struct scn_population *h = &sc->pops[0], *b = &sc->pops[1];
    assert_int_equal(h->regions.n, 4);
    assert_int_equal(h->regions.index[0], 3);
    assert_true(h->regions.cum[0] == 0.6 / (0.6 + 0.3 + 0.02 + 0.08));
    assert_true(h->regions.cum[3] == 1.0);
    assert_true(h->regions.weight[2] == 0.02);
    assert_true(h->models.cum[0] == 0.9);
    assert_true(h->prompt_tokens.kind == DIST_LOGNORMAL &&
                h->prompt_tokens.a == 400);
    assert_int_equal(h->idle_for_ns, 10 * 86400 * NS_PER_S);
    assert_true(h->invalid_key == 0.005);
    assert_true(h->has_skew && h->skew_s == 1.1);
    assert_int_equal(h->n_phases, 3);
    assert_true(h->phases[1].rate_from_per_s == 20 &&
                h->phases[1].rate_to_per_s == 400);
    assert_true(h->phases[2].diurnal_amplitude == 0.5);
    assert_int_equal(h->client.timeout_ns, 30 * NS_PER_S);
    assert_int_equal(h->client.retry_max, 2);
    assert_int_equal(h->client.backoff, BACKOFF_LINEAR);
    assert_int_equal(h->client.jitter, JITTER_EQUAL);
    assert_int_equal(h->client.retry_after, RETRY_AFTER_IGNORE);
    assert_int_equal(b->first_account, 1000);
    assert_int_equal(sc->n_accounts, 1005);
    assert_int_equal(b->regions.n, 2);
    assert_true(b->regions.cum[0] == 0.5);
    assert_int_equal(b->models.n, 1);
    assert_int_equal(b->arrival, ARRIVAL_CLOSED);
    assert_int_equal(b->users, 20);
    assert_true(b->think.kind == DIST_EXP && b->think.a == 2e9);
}

static void test_full_events(const struct scenario *sc)
{
    assert_int_equal(sc->n_events, 8);
    const struct scn_event *e = sc->events;
    assert_int_equal(e[0].kind, EV_OUTAGE);
    assert_int_equal(e[0].at_ns, 20 * 60 * NS_PER_S);
    assert_true(e[0].capacity == 0);
    assert_true(e[1].capacity == 0.75);
    assert_int_equal(e[2].population, 0);
    assert_true(e[2].fraction == 0.1);
    assert_int_equal(e[2].for_ns, 86400 * NS_PER_S);
    assert_int_equal(e[3].n_regions, 2);
    assert_string_equal(sc->regions[e[3].regions[1]], "FR");
    assert_int_equal(e[4].tier, 0);
    assert_int_equal(e[4].limit, 2);
    assert_int_equal(e[4].amount, 1000);
    assert_int_equal(e[5].timing, EVT_EVERY);
    assert_int_equal(e[5].every_ns, 3600 * NS_PER_S);
    assert_int_equal(e[5].at_ns, 600 * NS_PER_S);
    assert_int_equal(e[6].timing, EVT_RANDOM);
    assert_int_equal(e[6].kind, EV_OUTAGE);
    assert_int_equal(e[6].mtbf_ns, 12 * 3600 * NS_PER_S);
    assert_true(e[6].mttr.kind == DIST_LOGNORMAL && e[6].mttr.a == 1.2e12);
    assert_int_equal(e[7].model, 1);
    assert_int_equal(e[7].population, 1);
    assert_true(sc->has_live);
    assert_string_equal(sc->live.target, "http://127.0.0.1:9");
    assert_string_equal(sc->live.keys_file, "keys.txt");
    assert_int_equal(sc->live.classify, CLASSIFY_RULES);
    assert_int_equal(sc->live.n_rules, 1);
    assert_int_equal(sc->live.rules[0].status, 429);
    assert_string_equal(sc->live.rules[0].code, "quota");
    assert_null(sc->live.rules[0].type);
    assert_int_equal(sc->n_expect, 2);
    assert_int_equal(sc->expect[1].line, 71);
    assert_int_equal(sc->expect[1].col, 5);
}

static void test_full(void **state)
{
    (void)state;
    struct scenario *sc = NULL;
    struct scn_diags d;
    int rc = parse(full_yaml, NULL, 0, &sc, &d);
    if (rc != ERR_OK)
        dump_diags(&d);
    assert_int_equal(rc, ERR_OK);
    assert_int_equal(sc->seed, 42);
    assert_int_equal(sc->interval_ns, 30 * NS_PER_S);
    assert_int_equal(sc->warmup_ns, 60 * NS_PER_S);
    test_full_policy(sc);
    test_full_accounts(sc);
    test_full_events(sc);
    scn_free(sc);
    scn_diags_fini(&d);
}

/* Anchors, aliases and merge keys work; explicit keys beat merged ones. */
static void test_merge_keys(void **state)
{
    (void)state;
    static const char yaml[] =
        "name: m\nduration: 1h\naccounts:\n"
        "  - name: a\n    count: 1\n"
        "    traffic: &tr { phases: [ { for: 1h, rate: 1/s } ] }\n"
        "    client: &cl { timeout: 5s, retry: { max: 3 } }\n"
        "  - name: b\n    count: 1\n    traffic: *tr\n"
        "    client: { <<: *cl, timeout: 7s }\n";
    struct scenario *sc = NULL;
    struct scn_diags d;
    int rc = parse(yaml, NULL, 0, &sc, &d);
    if (rc != ERR_OK)
        dump_diags(&d);
    assert_int_equal(rc, ERR_OK);
    assert_int_equal(sc->pops[1].client.timeout_ns, 7 * NS_PER_S);
    assert_int_equal(sc->pops[1].client.retry_max, 3);
    assert_int_equal(sc->pops[1].n_phases, 1);
    scn_free(sc);
    scn_diags_fini(&d);
}

/* ---- every error, in file order, printed as file:line:col -----------------
 */

static void test_collects_all(void **state)
{
    (void)state;
    static const char yaml[] = BASE "policy:\n"
                                    "  capacity: { servers: 0 }\n"
                                    "  errors: { server_error: 200% }\n"
                                    "colour: red\n"
                                    "events:\n"
                                    "  - { at: 5h, outage: {} }\n";
    struct scenario *sc = NULL;
    struct scn_diags d;
    assert_int_equal(parse(yaml, NULL, 0, &sc, &d), ERR_INVAL);
    assert_int_equal(d.n, 4);
    assert_int_equal(d.items[0].loc.line, 8);
    assert_int_equal(d.items[1].loc.line, 9);
    assert_int_equal(d.items[2].loc.line, 10);
    assert_int_equal(d.items[3].loc.line, 12);
    assert_string_equal(d.items[0].key, "policy.capacity.servers");
    assert_string_equal(d.items[3].key, "events[0].at");
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    scn_diags_print(&d, f);
    fclose(f);
    assert_non_null(strstr(buf, "t.yaml:8:24: error: policy.capacity.servers: "
                                "must be at least 1\n"));
    assert_non_null(strstr(buf, "t.yaml:10:1: error: colour: unknown key "));
    free(buf);
    scn_diags_fini(&d);
}

/* Errors beyond SCN_MAX_DIAGS are counted, not kept. */
static void test_diag_cap(void **state)
{
    (void)state;
    char *yaml =
        repeat(BASE "events:\n", "  - { at: 5, outage: {} }\n", 300, "");
    struct scenario *sc = NULL;
    struct scn_diags d;
    assert_int_equal(parse(yaml, NULL, 0, &sc, &d), ERR_INVAL);
    assert_int_equal(d.n, SCN_MAX_DIAGS);
    assert_true(d.dropped > 0);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    scn_diags_print(&d, f);
    fclose(f);
    assert_non_null(strstr(buf, "more errors not shown"));
    free(buf);
    free(yaml);
    scn_diags_fini(&d);
}

static void test_unreadable(void **state)
{
    (void)state;
    struct scenario *sc = NULL;
    struct scn_diags d;
    scn_diags_init(&d, "/nonexistent/x.yaml");
    assert_int_equal(scn_parse_file("/nonexistent/x.yaml", NULL, 0, &sc, &d),
                     ERR_IO);
    assert_null(sc);
    assert_int_equal(d.n, 1);
    assert_non_null(strstr(d.items[0].message, "cannot read"));
    scn_diags_fini(&d);
}

/* ---- lookups ----------------------------------------------------------------
 */

static void test_lookups(void **state)
{
    (void)state;
    struct scenario *sc = NULL;
    struct scn_diags d;
    assert_int_equal(parse(full_yaml, NULL, 0, &sc, &d), ERR_OK);
    assert_int_equal(scn_tier_index(sc, "tier1"), 1);
    assert_int_equal(scn_tier_index(sc, "gold"), -1);
    assert_int_equal(scn_model_index(sc, "large"), 1);
    assert_int_equal(scn_pop_index(sc, "bots"), 1);
    assert_int_equal(scn_pop_index(sc, "x"), -1);
    assert_int_equal(scn_region_index(sc, "ZZ"), 0);
    assert_int_equal(scn_region_index(sc, "BR"), 5);
    assert_int_equal(scn_region_index(sc, "XX"), -1);
    assert_int_equal(scn_pop_of_account(sc, 0), 0);
    assert_int_equal(scn_pop_of_account(sc, 999), 0);
    assert_int_equal(scn_pop_of_account(sc, 1000), 1);
    assert_int_equal(scn_pop_of_account(sc, 1004), 1);
    assert_int_equal(scn_pop_of_account(sc, 1005), -1);
    assert_int_equal(scn_pop_of_account(sc, -1), -1);
    /* 30m at 20/s + 5m ramp 20->400 (avg 210/s) + 1h at 20/s. */
    assert_true(scn_pop_offered(sc, 0) == 36000 + 63000 + 72000);
    assert_true(scn_pop_offered(sc, 1) == -1);
    assert_string_equal(scn_algo_name(LIM_SLIDING_COUNTER), "sliding_counter");
    assert_string_equal(scn_event_kind_name(EV_REVOKE_PERMISSION),
                        "revoke_permission");
    scn_free(sc);
    scn_diags_fini(&d);
}

/* The offered estimate clips phases at the duration (mid-ramp too). */
static void test_offered_clipped(void **state)
{
    (void)state;
    static const char yaml[] =
        "name: t\nduration: 10m\naccounts:\n  - name: p\n    count: 1\n"
        "    traffic: { phases: [ { for: 5m, rate: 10/s }, { for: 10m, "
        "rate: 0/s..20/s } ] }\n";
    struct scenario *sc = NULL;
    struct scn_diags d;
    assert_int_equal(parse(yaml, NULL, 0, &sc, &d), ERR_OK);
    /* 300s x 10/s + 300s ramping 0 -> 10/s (avg 5/s). */
    assert_true(scn_pop_offered(sc, 0) == 3000 + 1500);
    scn_free(sc);
    scn_diags_fini(&d);
}

/* ---- robustness -------------------------------------------------------------
 */

/* Every prefix of a valid file and every single-byte mangling of it parse
 * without crashing (run under ASan/UBSan in CI), and every failure has at
 * least one diagnostic. */
static void test_truncated_and_mangled(void **state)
{
    (void)state;
    size_t len = strlen(full_yaml);
    char *buf = malloc(len + 1);
    static const char junk[] = { '{',  '[', ':',  '-', '&', '*', '"',
                                 '\n', '(', '\t', ' ', '!', '#' };
    /* Every 6th position is tried as a cut and with one junk byte (the
     * junk character rotates with the position, so all of them are used);
     * every position would take seconds under ASan. */
    for (size_t i = 0; i <= len; i += 6) {
        for (int mangle = 0; mangle < 2; mangle++) {
            memcpy(buf, full_yaml, len + 1);
            size_t n = len;
            if (!mangle)
                n = i;
            else if (i < len)
                buf[i] = junk[i % sizeof(junk)];
            else
                continue;
            struct scenario *sc = NULL;
            struct scn_diags d;
            scn_diags_init(&d, "m.yaml");
            int rc = scn_parse_buffer("m.yaml", buf, n, NULL, 0, &sc, &d);
            assert_true(rc == ERR_OK || d.n > 0);
            assert_true((rc == ERR_OK) == (sc != NULL));
            scn_free(sc);
            scn_diags_fini(&d);
        }
    }
    free(buf);
}

/* ---- round trip
 * -------------------------------------------------------------- */

static void eq_dist(const struct dist *a, const struct dist *b)
{
    assert_int_equal(a->kind, b->kind);
    assert_true(a->a == b->a && a->b == b->b);
}

static void eq_weights(const struct scn_weights *a, const struct scn_weights *b)
{
    assert_int_equal(a->n, b->n);
    for (size_t i = 0; i < a->n; i++) {
        assert_int_equal(a->index[i], b->index[i]);
        assert_true(a->cum[i] == b->cum[i]);
        assert_true(a->weight[i] == b->weight[i]);
    }
}

static void eq_tier(const struct scn_tier *a, const struct scn_tier *b)
{
    assert_string_equal(a->name, b->name);
    assert_int_equal(a->n_limits, b->n_limits);
    for (size_t i = 0; i < a->n_limits; i++) {
        const struct scn_limit *x = &a->limits[i], *y = &b->limits[i];
        assert_string_equal(x->name, y->name);
        assert_int_equal(x->kind, y->kind);
        assert_int_equal(x->algorithm, y->algorithm);
        assert_int_equal(x->amount, y->amount);
        assert_int_equal(x->per_ns, y->per_ns);
        assert_int_equal(x->burst, y->burst);
        assert_int_equal(x->count_denied, y->count_denied);
        assert_int_equal(x->delays, y->delays);
        assert_int_equal(x->delay, y->delay);
        assert_int_equal(x->scope, y->scope);
    }
    assert_int_equal(a->has_credit, b->has_credit);
    assert_int_equal(a->grant_pusd, b->grant_pusd);
    assert_int_equal(a->grant_expires_ns, b->grant_expires_ns);
    assert_int_equal(a->prepaid_pusd, b->prepaid_pusd);
    assert_int_equal(a->has_usage_cap, b->has_usage_cap);
    assert_int_equal(a->usage_cap_monthly_pusd, b->usage_cap_monthly_pusd);
    assert_int_equal(a->upgrade_to, b->upgrade_to);
    assert_int_equal(a->upgrade_spend_pusd, b->upgrade_spend_pusd);
    assert_int_equal(a->upgrade_after_ns, b->upgrade_after_ns);
}

static void eq_policy(const struct scn_policy *a, const struct scn_policy *b)
{
    assert_int_equal(a->n_tiers, b->n_tiers);
    for (size_t i = 0; i < a->n_tiers; i++)
        eq_tier(&a->tiers[i], &b->tiers[i]);
    assert_int_equal(a->n_models, b->n_models);
    for (size_t i = 0; i < a->n_models; i++) {
        assert_string_equal(a->models[i].name, b->models[i].name);
        assert_int_equal(a->models[i].input_pusd_per_token,
                         b->models[i].input_pusd_per_token);
        assert_int_equal(a->models[i].output_pusd_per_token,
                         b->models[i].output_pusd_per_token);
        eq_dist(&a->models[i].first_token, &b->models[i].first_token);
        eq_dist(&a->models[i].per_token, &b->models[i].per_token);
    }
    assert_int_equal(a->n_blocked_regions, b->n_blocked_regions);
    for (size_t i = 0; i < a->n_blocked_regions; i++)
        assert_int_equal(a->blocked_regions[i], b->blocked_regions[i]);
    assert_int_equal(a->has_moderation, b->has_moderation);
    assert_int_equal(a->mod_suspend_after, b->mod_suspend_after);
    assert_int_equal(a->mod_ban_after, b->mod_ban_after);
    assert_int_equal(a->mod_window_ns, b->mod_window_ns);
    assert_int_equal(a->mod_suspend_for_ns, b->mod_suspend_for_ns);
    assert_int_equal(a->has_abuse, b->has_abuse);
    assert_true(a->abuse_factor == b->abuse_factor);
    assert_int_equal(a->abuse_window_ns, b->abuse_window_ns);
    assert_int_equal(a->abuse_block_for_ns, b->abuse_block_for_ns);
    assert_int_equal(a->has_lockout, b->has_lockout);
    assert_int_equal(a->lockout_failures, b->lockout_failures);
    assert_int_equal(a->lockout_window_ns, b->lockout_window_ns);
    assert_int_equal(a->lockout_block_for_ns, b->lockout_block_for_ns);
    assert_int_equal(a->has_inactivity, b->has_inactivity);
    assert_int_equal(a->inactivity_expire_after_ns,
                     b->inactivity_expire_after_ns);
    assert_int_equal(a->has_capacity, b->has_capacity);
    assert_int_equal(a->cap_servers, b->cap_servers);
    assert_int_equal(a->cap_queue, b->cap_queue);
    assert_int_equal(a->cap_queue_timeout_ns, b->cap_queue_timeout_ns);
    assert_true(a->server_error == b->server_error);
    eq_dist(&a->net_rtt, &b->net_rtt);
    assert_true(a->net_failure == b->net_failure);
}

static void eq_pop(const struct scn_population *a,
                   const struct scn_population *b)
{
    assert_string_equal(a->name, b->name);
    assert_int_equal(a->count, b->count);
    assert_int_equal(a->first_account, b->first_account);
    assert_int_equal(a->tier, b->tier);
    eq_weights(&a->regions, &b->regions);
    eq_weights(&a->models, &b->models);
    eq_dist(&a->prompt_tokens, &b->prompt_tokens);
    eq_dist(&a->completion_tokens, &b->completion_tokens);
    assert_int_equal(a->idle_for_ns, b->idle_for_ns);
    assert_true(a->invalid_key == b->invalid_key);
    assert_true(a->violation == b->violation);
    assert_true(a->bad_request == b->bad_request);
    assert_int_equal(a->arrival, b->arrival);
    assert_int_equal(a->has_skew, b->has_skew);
    assert_true(a->skew_s == b->skew_s);
    assert_int_equal(a->n_phases, b->n_phases);
    for (size_t i = 0; i < a->n_phases; i++) {
        const struct scn_phase *x = &a->phases[i], *y = &b->phases[i];
        assert_int_equal(x->for_ns, y->for_ns);
        assert_true(x->rate_from_per_s == y->rate_from_per_s);
        assert_true(x->rate_to_per_s == y->rate_to_per_s);
        assert_true(x->diurnal_amplitude == y->diurnal_amplitude);
        assert_int_equal(x->diurnal_period_ns, y->diurnal_period_ns);
    }
    assert_int_equal(a->users, b->users);
    eq_dist(&a->think, &b->think);
    assert_memory_equal(&a->client, &b->client, sizeof(a->client));
}

static void eq_event(const struct scn_event *a, const struct scn_event *b)
{
    assert_int_equal(a->kind, b->kind);
    assert_int_equal(a->timing, b->timing);
    assert_int_equal(a->at_ns, b->at_ns);
    assert_int_equal(a->every_ns, b->every_ns);
    assert_int_equal(a->mtbf_ns, b->mtbf_ns);
    eq_dist(&a->mttr, &b->mttr);
    assert_int_equal(a->for_ns, b->for_ns);
    assert_true(a->capacity == b->capacity);
    assert_int_equal(a->population, b->population);
    assert_true(a->fraction == b->fraction);
    assert_int_equal(a->n_regions, b->n_regions);
    for (size_t i = 0; i < a->n_regions; i++)
        assert_int_equal(a->regions[i], b->regions[i]);
    assert_int_equal(a->model, b->model);
    assert_int_equal(a->tier, b->tier);
    assert_int_equal(a->limit, b->limit);
    assert_int_equal(a->amount, b->amount);
}

static void eq_str(const char *a, const char *b)
{
    if (a == NULL || b == NULL)
        assert_true(a == b);
    else
        assert_string_equal(a, b);
}

static void eq_live(const struct scn_live *a, const struct scn_live *b)
{
    eq_str(a->target, b->target);
    eq_str(a->method, b->method);
    eq_str(a->path, b->path);
    assert_int_equal(a->n_headers, b->n_headers);
    for (size_t i = 0; i < a->n_headers; i++)
        eq_str(a->headers[i], b->headers[i]);
    eq_str(a->body, b->body);
    eq_str(a->keys_file, b->keys_file);
    assert_int_equal(a->connections, b->connections);
    assert_int_equal(a->threads, b->threads);
    assert_int_equal(a->timeout_ns, b->timeout_ns);
    eq_str(a->region_header, b->region_header);
    assert_int_equal(a->classify, b->classify);
    assert_int_equal(a->n_rules, b->n_rules);
    for (size_t i = 0; i < a->n_rules; i++) {
        assert_int_equal(a->rules[i].status, b->rules[i].status);
        eq_str(a->rules[i].type, b->rules[i].type);
        eq_str(a->rules[i].code, b->rules[i].code);
        eq_str(a->rules[i].header, b->rules[i].header);
        assert_int_equal(a->rules[i].reason, b->rules[i].reason);
    }
}

static void eq_scenario(const struct scenario *a, const struct scenario *b)
{
    assert_string_equal(a->name, b->name);
    eq_str(a->description, b->description);
    assert_int_equal(a->seed, b->seed);
    assert_int_equal(a->duration_ns, b->duration_ns);
    assert_int_equal(a->interval_ns, b->interval_ns);
    assert_int_equal(a->warmup_ns, b->warmup_ns);
    assert_int_equal(a->n_regions, b->n_regions);
    for (size_t i = 0; i < a->n_regions; i++)
        assert_string_equal(a->regions[i], b->regions[i]);
    eq_policy(&a->policy, &b->policy);
    assert_int_equal(a->n_pops, b->n_pops);
    for (size_t i = 0; i < a->n_pops; i++)
        eq_pop(&a->pops[i], &b->pops[i]);
    assert_int_equal(a->n_accounts, b->n_accounts);
    assert_int_equal(a->n_events, b->n_events);
    for (size_t i = 0; i < a->n_events; i++)
        eq_event(&a->events[i], &b->events[i]);
    assert_int_equal(a->has_live, b->has_live);
    eq_live(&a->live, &b->live);
    assert_int_equal(a->n_expect, b->n_expect);
    for (size_t i = 0; i < a->n_expect; i++) {
        const struct expect_rule *x = &a->expect[i], *y = &b->expect[i];
        assert_int_equal(x->metric, y->metric);
        assert_int_equal(x->reason, y->reason);
        assert_true(x->quantile == y->quantile);
        assert_int_equal(x->cmp, y->cmp);
        assert_true(x->threshold == y->threshold);
        assert_string_equal(x->text, y->text);
    }
}

/* scn_write of sc, as a malloc'ed string. */
static char *write_str(const struct scenario *sc)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_int_equal(scn_write(sc, f), ERR_OK);
    fclose(f);
    return buf;
}

/* Parse, write, parse the output: equal scenarios, and writing the second
 * gives the same text (a fixpoint). */
static void round_trip(const char *name, const char *text)
{
    struct scenario *a = NULL, *b = NULL;
    struct scn_diags d;
    scn_diags_init(&d, name);
    int rc = scn_parse_buffer(name, text, strlen(text), NULL, 0, &a, &d);
    if (rc != ERR_OK)
        dump_diags(&d);
    assert_int_equal(rc, ERR_OK);
    char *out = write_str(a);
    rc = scn_parse_buffer("written", out, strlen(out), NULL, 0, &b, &d);
    if (rc != ERR_OK) {
        dump_diags(&d);
        fprintf(stderr, "%s", out);
    }
    assert_int_equal(rc, ERR_OK);
    eq_scenario(a, b);
    char *out2 = write_str(b);
    assert_string_equal(out, out2);
    free(out);
    free(out2);
    scn_free(a);
    scn_free(b);
    scn_diags_fini(&d);
}

/* ${env:} values (secrets in headers) are used by the engines but never
 * written back: scenario.yaml keeps the reference, and the round trip
 * still holds in the same environment. */
static void test_env_write_back(void **state)
{
    (void)state;
    static const char secret[] = "sk-test-5ecr3t-0123456789";
    setenv("TG_TEST_KEY", secret, 1);
    setenv("TG_TEST_HOST", "127.0.0.1:9", 1);
    static const char yaml[] =
        BASE "description: \"key ${env:TG_TEST_KEY}\"\n"
             "live:\n"
             "  target: \"http://${env:TG_TEST_HOST}\"\n"
             "  request:\n"
             "    path: /v1/${env:TG_TEST_KEY}\n"
             "    headers:\n"
             "      - \"Authorization: Bearer ${env:TG_TEST_KEY}\"\n"
             "      - \"X-Plain: ${env:TG_TEST_UNSET:-plain}\"\n"
             "    body: '{\"k\":\"${env:TG_TEST_KEY}\"}'\n"
             "  classify:\n"
             "    rules:\n"
             "      - { status: 429, header: \"x-k: ${env:TG_TEST_KEY}\", "
             "reason: rate_limit }\n";
    unsetenv("TG_TEST_UNSET");
    struct scenario *sc = NULL;
    struct scn_diags d;
    int rc = parse(yaml, NULL, 0, &sc, &d);
    if (rc != ERR_OK)
        dump_diags(&d);
    assert_int_equal(rc, ERR_OK);
    /* the engines get the values */
    assert_string_equal(sc->live.headers[0],
                        "Authorization: Bearer sk-test-5ecr3t-0123456789");
    assert_string_equal(sc->live.headers[1], "X-Plain: plain");
    assert_string_equal(sc->live.target, "http://127.0.0.1:9");
    char *out = write_str(sc);
    if (strstr(out, secret))
        fprintf(stderr, "%s", out);
    assert_null(strstr(out, secret));
    assert_non_null(
        strstr(out, "      - \"Authorization: Bearer ${env:TG_TEST_KEY}\"\n"));
    assert_non_null(
        strstr(out, "      - \"X-Plain: ${env:TG_TEST_UNSET:-plain}\"\n"));
    assert_non_null(strstr(out, "description: \"key ${env:TG_TEST_KEY}\"\n"));
    assert_non_null(strstr(out, "  target: \"http://${env:TG_TEST_HOST}\"\n"));
    assert_non_null(strstr(out, "    path: \"/v1/${env:TG_TEST_KEY}\"\n"));
    assert_non_null(strstr(out, "header: \"x-k: ${env:TG_TEST_KEY}\"\n"));
    free(out);
    scn_free(sc);
    scn_diags_fini(&d);
    round_trip("env", yaml);
    /* an override's ${env:} is kept the same way */
    struct scn_override o = { "live.request.body", "${env:TG_TEST_KEY}" };
    assert_int_equal(parse(yaml, &o, 1, &sc, &d), ERR_OK);
    assert_string_equal(sc->live.body, secret);
    out = write_str(sc);
    assert_null(strstr(out, secret));
    assert_non_null(strstr(out, "    body: \"${env:TG_TEST_KEY}\"\n"));
    free(out);
    scn_free(sc);
    scn_diags_fini(&d);
}

/* Every value that parses is written back so that it reads back as the
 * same bytes: controls (C0, C1, DEL), the characters YAML folds as line
 * breaks and U+FEFF/U+FFFE are escaped.  Found by the --set fuzzer: a C1
 * control (U+009E) from a --set value made a scenario.yaml that did not
 * parse ("control characters are not allowed"). */
static void test_write_escapes(void **state)
{
    (void)state;
    static const char *const values[] = {
        "a\xc2\x9e"
        "b\x01"
        "c\x7f", /* C1, C0, DEL */
        "x\xc2\x85"
        "y\xe2\x80\xa8z", /* NEL, LINE SEPARATOR */
        "\xef\xbb\xbf"
        "bom\xef\xbf\xbe",                             /* U+FEFF, U+FFFE */
        "tab\there \"q\" \\ \xc3\xa9\xf0\x9f\x99\x82", /* plain UTF-8 */
    };
    for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
        struct scn_override o = { "description", values[i] };
        struct scenario *a = NULL, *b = NULL;
        struct scn_diags d;
        assert_int_equal(parse(BASE, &o, 1, &a, &d), ERR_OK);
        assert_string_equal(a->description, values[i]);
        char *out = write_str(a);
        scn_diags_fini(&d);
        int rc = parse(out, NULL, 0, &b, &d);
        if (rc != ERR_OK) {
            dump_diags(&d);
            fprintf(stderr, "%s", out);
        }
        assert_int_equal(rc, ERR_OK);
        assert_string_equal(b->description, values[i]);
        free(out);
        scn_free(a);
        scn_free(b);
        scn_diags_fini(&d);
    }
}

/* A run shortened by --set duration leaves out the events past its end,
 * so its scenario.yaml validates again on its own (it did not: every
 * such event was "not before the end of the scenario"). */
static void test_shortened_round_trip(void **state)
{
    (void)state;
    static const char yaml[] =
        BASE "events:\n"
             "  - { at: 5m, ban: { fraction: 10% } }\n"
             "  - { at: 20m, outage: { for: 1m } }\n"
             "  - { every: 1m, from: 30m, revoke_keys: {} }\n"
             "  - { random: outage, mtbf: 30m, mttr: 1m }\n";
    struct scn_override o = { "duration", "10m" };
    struct scenario *a = NULL, *b = NULL;
    struct scn_diags d;
    int rc = parse(yaml, &o, 1, &a, &d);
    if (rc != ERR_OK)
        dump_diags(&d);
    assert_int_equal(rc, ERR_OK);
    assert_int_equal(a->n_events, 2); /* the ban at 5m and the random one */
    assert_int_equal(a->events[0].kind, EV_BAN);
    assert_int_equal(a->events[1].timing, EVT_RANDOM);
    char *out = write_str(a);
    scn_diags_fini(&d);
    rc = parse(out, NULL, 0, &b, &d);
    if (rc != ERR_OK) {
        dump_diags(&d);
        fprintf(stderr, "%s", out);
    }
    assert_int_equal(rc, ERR_OK);
    eq_scenario(a, b);
    free(out);
    scn_free(a);
    scn_free(b);
    scn_diags_fini(&d);
}

static void test_round_trip_full(void **state)
{
    (void)state;
    round_trip("full", full_yaml);
    round_trip("base", BASE);
    round_trip("merge",
               "name: \"null\"\ndescription: \"tab\\there \\\"q\\\" \\u00e9\"\n"
               "duration: 1h\naccounts:\n  - name: p\n    count: 1\n"
               "    traffic: { phases: [ { for: 1h, rate: 1.234567/s } ] }\n");
}

static char *read_all(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    char *buf = malloc(SCN_MAX_FILE_BYTES + 1);
    size_t n = fread(buf, 1, SCN_MAX_FILE_BYTES, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

/* Every file of the scenario library validates and round-trips. */
static void test_round_trip_library(void **state)
{
    (void)state;
    const char *src = getenv("TOLLGATE_SRC");
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s/scenarios", src ? src : ".");
    DIR *dp = opendir(dir);
    assert_non_null(dp);
    int files = 0;
    for (struct dirent *e = readdir(dp); e; e = readdir(dp)) {
        size_t n = strlen(e->d_name);
        if (n < 6 || strcmp(e->d_name + n - 5, ".yaml") != 0)
            continue;
        char path[8192];
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        char *text = read_all(path);
        assert_non_null(text);
        round_trip(path, text);
        free(text);
        files++;
    }
    closedir(dp);
    assert_true(files >= 11);
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

int main(void)
{
    static struct CMUnitTest
        tests[N(err_cases) + N(limit_cases) + N(set_cases) + N(env_cases) +
              N(interval_cases) + N(label_cases) + N(inject_cases) +
              N(anchor_cases) + N(edge_cases) + 18];
    size_t n = 0;
    for (size_t i = 0; i < N(err_cases); i++)
        tests[n++] = (struct CMUnitTest){ err_cases[i].name, test_err, NULL,
                                          NULL, (void *)&err_cases[i] };
    for (size_t i = 0; i < N(limit_cases); i++)
        tests[n++] = (struct CMUnitTest){ limit_cases[i].name, test_limit, NULL,
                                          NULL, (void *)&limit_cases[i] };
    for (size_t i = 0; i < N(set_cases); i++)
        tests[n++] = (struct CMUnitTest){ set_cases[i].name, test_set, NULL,
                                          NULL, (void *)&set_cases[i] };
    for (size_t i = 0; i < N(env_cases); i++)
        tests[n++] = (struct CMUnitTest){ env_cases[i].name, test_env, NULL,
                                          NULL, (void *)&env_cases[i] };
    for (size_t i = 0; i < N(interval_cases); i++)
        tests[n++] =
            (struct CMUnitTest){ interval_cases[i].name, test_interval, NULL,
                                 NULL, (void *)&interval_cases[i] };
    for (size_t i = 0; i < N(label_cases); i++)
        tests[n++] = (struct CMUnitTest){ label_cases[i].name, test_label, NULL,
                                          NULL, (void *)&label_cases[i] };
    for (size_t i = 0; i < N(inject_cases); i++)
        tests[n++] =
            (struct CMUnitTest){ inject_cases[i].name, test_inject, NULL, NULL,
                                 (void *)&inject_cases[i] };
    for (size_t i = 0; i < N(edge_cases); i++)
        tests[n++] = (struct CMUnitTest){ edge_cases[i].name, test_edge, NULL,
                                          NULL, (void *)&edge_cases[i] };
    for (size_t i = 0; i < N(anchor_cases); i++)
        tests[n++] =
            (struct CMUnitTest){ anchor_cases[i].name, test_anchor, NULL, NULL,
                                 (void *)&anchor_cases[i] };
    const struct CMUnitTest rest[] = {
        cmocka_unit_test(test_set_order),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_full),
        cmocka_unit_test(test_merge_keys),
        cmocka_unit_test(test_collects_all),
        cmocka_unit_test(test_diag_cap),
        cmocka_unit_test(test_unreadable),
        cmocka_unit_test(test_lookups),
        cmocka_unit_test(test_offered_clipped),
        cmocka_unit_test(test_truncated_and_mangled),
        cmocka_unit_test(test_round_trip_full),
        cmocka_unit_test(test_env_write_back),
        cmocka_unit_test(test_shortened_round_trip),
        cmocka_unit_test(test_write_escapes),
        cmocka_unit_test(test_many_anchors),
        cmocka_unit_test(test_round_trip_library),
        cmocka_unit_test(test_label_bounds),
        cmocka_unit_test(test_diags_fmt),
    };
    for (size_t i = 0; i < N(rest); i++)
        tests[n++] = rest[i];
    if (getenv("TEST_FILTER")) /* run some rows only: TEST_FILTER='alias*' */
        cmocka_set_test_filter(getenv("TEST_FILTER"));
    return _cmocka_run_group_tests("scenario", tests, n, NULL, NULL);
}

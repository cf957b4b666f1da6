/*
 * expect.c - parsing of `expect:` threshold rules (expect_measure.c
 * evaluates them against a summary).
 *
 * A rule is one short line ("p99(ok) < 2s"), parsed by hand with a cursor:
 * metric, optional parenthesised argument, comparison, value.  The value's
 * unit depends on the metric (a fraction for denial rates, a duration for
 * latency, a rate for goodput) and is converted to the base unit at parse
 * time, so evaluation is a plain comparison of doubles.  Value syntax is
 * parsed here rather than through core/base/units because the rule grammar has
 * its own needs (a bare "0" for any metric, "5%" but also "0.05", rates
 * with or without "/s") and must not drift with scenario value syntax.
 *
 * Error messages name the offending part in quotes and say what was
 * expected; for a misspelt reason they suggest the closest canonical id.
 * Nothing here prints, allocates or reads a clock.
 */
#include "core/scenario/expect.h"

#include <ctype.h>
#include <math.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/reason.h"
#include "core/base/suggest.h"

#define TOKEN_MAX 64

struct cursor {
    const char *s; /* the rule text */
    size_t i;      /* next byte */
    char *err;
    size_t err_len;
};

static int fail(struct cursor *c, const char *fmt, ...) PRINTF_LIKE(2, 3);

static int fail(struct cursor *c, const char *fmt, ...)
{
    if (c->err && c->err_len > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->err, c->err_len, fmt, ap);
        va_end(ap);
    }
    return ERR_PARSE;
}

static void skip_space(struct cursor *c)
{
    while (c->s[c->i] == ' ' || c->s[c->i] == '\t')
        c->i++;
}

/* Reads [A-Za-z0-9_.] into tok; returns its length (0 when none). */
static size_t read_word(struct cursor *c, char *tok, size_t len)
{
    size_t n = 0;
    skip_space(c);
    while (isalnum((unsigned char)c->s[c->i]) || c->s[c->i] == '_' ||
           c->s[c->i] == '.') {
        if (n + 1 < len)
            tok[n++] = c->s[c->i];
        c->i++;
    }
    tok[n] = '\0';
    return n;
}

/* The closest outcome id to word, or NULL when nothing is close. */
static const char *closest_outcome(const char *word)
{
    const char *ids[REASON_COUNT + 1];
    for (int r = 0; r < REASON_COUNT; r++)
        ids[r] = reason_id((enum reason)r);
    ids[REASON_COUNT] = NULL;
    return suggest_near(word, ids);
}

static int unknown_outcome(struct cursor *c, const char *word,
                           const char *expected)
{
    const char *near = closest_outcome(word);
    if (near)
        return fail(c, "unknown reason '%s' (did you mean '%s'?); expected %s",
                    word, near, expected);
    return fail(c, "unknown reason '%s'; expected %s (see tollgate reasons)",
                word, expected);
}

/* Reads "(" word ")" into tok.  what names the expected argument. */
static int read_arg(struct cursor *c, const char *metric, char *tok, size_t len,
                    const char *what)
{
    skip_space(c);
    if (c->s[c->i] != '(')
        return fail(c, "'%s' needs an argument: expected '%s(%s)'", metric,
                    metric, what);
    c->i++;
    if (read_word(c, tok, len) == 0)
        return fail(c, "empty argument in '%s(...)': expected %s", metric,
                    what);
    skip_space(c);
    if (c->s[c->i] != ')')
        return fail(c, "missing ')' after '%s(%s'", metric, tok);
    c->i++;
    return ERR_OK;
}

/* tok as an outcome id (ok or a denial reason) into r->reason; reports
 * an unknown one, naming what was expected. */
static int outcome_id(struct cursor *c, const char *tok, const char *what,
                      struct expect_rule *r)
{
    enum reason id = reason_from_id(tok);
    if (id == REASON_COUNT)
        return unknown_outcome(c, tok, what);
    r->reason = (int)id;
    return ERR_OK;
}

/* denied or denied(reason): the argument is optional. */
static int parse_denied(struct cursor *c, struct expect_rule *r)
{
    char tok[TOKEN_MAX];
    r->metric = EXP_DENIED;
    r->reason = -1;
    skip_space(c);
    if (c->s[c->i] != '(')
        return ERR_OK;
    int e = read_arg(c, "denied", tok, sizeof(tok), "a denial reason id");
    if (e != ERR_OK)
        return e;
    if (reason_from_id(tok) == REASON_OK)
        return fail(c, "'ok' is not a denial reason: use count(ok) or "
                       "goodput for served requests");
    return outcome_id(c, tok, "a denial reason id", r);
}

static int parse_count(struct cursor *c, struct expect_rule *r)
{
    char tok[TOKEN_MAX];
    const char *what = r->level == EXP_REQUESTS
                           ? "ok, denied, lost or a denial reason id"
                           : "ok, denied or a denial reason id";
    int e = read_arg(c, "count", tok, sizeof(tok), what);
    if (e != ERR_OK)
        return e;
    r->metric = EXP_COUNT;
    if (strcmp(tok, "denied") == 0) {
        r->reason = -1;
        return ERR_OK;
    }
    if (strcmp(tok, "lost") == 0) {
        if (r->level != EXP_REQUESTS)
            return fail(c, "lost requests are counted per request: write "
                           "requests.count(lost)");
        r->reason = EXP_OUTCOME_LOST;
        return ERR_OK;
    }
    return outcome_id(c, tok, what, r);
}

/* "p50" -> 50, "p999" -> 99.9, "p99.9" -> 99.9, "max" -> 100, "mean" -> -1;
 * returns false for anything else. */
static bool quantile_of(const char *w, double *q)
{
    static const struct {
        const char *name;
        double q;
    } names[] = { { "p50", 50 },    { "p90", 90 },    { "p95", 95 },
                  { "p99", 99 },    { "p999", 99.9 }, { "p99.9", 99.9 },
                  { "median", 50 }, { "max", 100 },   { "mean", -1 } };
    for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++)
        if (strcmp(w, names[k].name) == 0) {
            *q = names[k].q;
            return true;
        }
    return false;
}

/* pNN(outcome); after an explicit level the outcome may be left out
 * (all).  Per population only all and ok are kept. */
static int parse_latency(struct cursor *c, const char *name, double q,
                         bool explicit_level, struct expect_rule *r)
{
    char tok[TOKEN_MAX];
    const char *what = r->pop[0] ? "ok or all (per population)"
                                 : "ok, all, denied or a denial reason id";
    r->metric = EXP_LATENCY;
    r->quantile = q;
    skip_space(c);
    if (explicit_level && c->s[c->i] != '(') {
        r->reason = EXP_OUTCOME_ALL;
        return ERR_OK;
    }
    int e = read_arg(c, name, tok, sizeof(tok), what);
    if (e != ERR_OK)
        return e;
    if (r->pop[0] && strcmp(tok, "all") != 0 && strcmp(tok, "ok") != 0)
        return fail(c,
                    "'%s(%s)' per population: only %s(all) and %s(ok) are "
                    "kept for each population",
                    name, tok, name, name);
    if (strcmp(tok, "all") == 0) {
        r->reason = EXP_OUTCOME_ALL;
        return ERR_OK;
    }
    if (strcmp(tok, "denied") == 0) {
        r->reason = EXP_OUTCOME_DENIED;
        return ERR_OK;
    }
    return outcome_id(c, tok, what, r);
}

/* "population(NAME)." in front of a rule: NAME into r->pop.  Nothing
 * when the rule does not start with it. */
static int parse_scope(struct cursor *c, struct expect_rule *r)
{
    static const char kw[] = "population";
    skip_space(c);
    const char *p = c->s + c->i;
    if (strncmp(p, kw, sizeof(kw) - 1) != 0)
        return ERR_OK;
    p += sizeof(kw) - 1;
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p != '(')
        return ERR_OK; /* not a scope: the metric parser reports it */
    const char *name = p + 1, *close = strchr(name, ')');
    if (close == NULL)
        return fail(c, "missing ')' after 'population(%s'", name);
    while (name < close && (*name == ' ' || *name == '\t'))
        name++;
    size_t n = (size_t)(close - name);
    while (n > 0 && (name[n - 1] == ' ' || name[n - 1] == '\t'))
        n--;
    if (n == 0)
        return fail(c, "empty population name in 'population()': expected "
                       "one of the scenario's accounts: names");
    if (n >= sizeof(r->pop))
        return fail(c, "population name longer than %zu characters",
                    sizeof(r->pop) - 1);
    memcpy(r->pop, name, n);
    r->pop[n] = '\0';
    p = close + 1;
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p != '.')
        return fail(c,
                    "expected '.' and a metric after 'population(%s)', e.g. "
                    "population(%s).requests.denied < 5%%",
                    r->pop, r->pop);
    c->i = (size_t)(p + 1 - c->s);
    return ERR_OK;
}

/* Strips a "requests." or "attempts." prefix off w into r->level; true
 * when w had one.  *rest is the metric word after it. */
static bool level_prefix(const char *w, struct expect_rule *r,
                         const char **rest)
{
    static const struct {
        const char *prefix;
        enum expect_level level;
    } lv[] = { { "requests.", EXP_REQUESTS }, { "attempts.", EXP_ATTEMPTS } };
    for (size_t k = 0; k < sizeof(lv) / sizeof(lv[0]); k++) {
        size_t n = strlen(lv[k].prefix);
        if (strncmp(w, lv[k].prefix, n) == 0) {
            r->level = lv[k].level;
            *rest = w + n;
            return true;
        }
    }
    *rest = w;
    return false;
}

static int parse_metric(struct cursor *c, struct expect_rule *r)
{
    char w[TOKEN_MAX];
    double q;
    int e = parse_scope(c, r);
    if (e != ERR_OK)
        return e;
    if (read_word(c, w, sizeof(w)) == 0)
        return fail(c,
                    "expected a metric at '%s': denied, denied(REASON), "
                    "count(OUTCOME), p99(OUTCOME), goodput or "
                    "retry_amplification, optionally after requests. or "
                    "attempts.",
                    c->s + c->i);
    const char *m;
    bool lvl = level_prefix(w, r, &m);
    if (strcmp(w, "requests") == 0 || strcmp(w, "attempts") == 0 ||
        (lvl && *m == '\0'))
        return fail(
            c,
            "expected a metric after '%s.', e.g. %s.denied < 5%% or "
            "%s.p99 < 2s",
            lvl ? (r->level == EXP_REQUESTS ? "requests" : "attempts") : w,
            lvl ? (r->level == EXP_REQUESTS ? "requests" : "attempts") : w,
            lvl ? (r->level == EXP_REQUESTS ? "requests" : "attempts") : w);
    if (strcmp(m, "denied") == 0)
        return parse_denied(c, r);
    if (strcmp(m, "count") == 0)
        return parse_count(c, r);
    if (quantile_of(m, &q))
        return parse_latency(c, m, q, lvl, r);
    if (strcmp(m, "lost") == 0) {
        if (r->level != EXP_REQUESTS)
            return fail(c, "'lost' is a share of requests: write "
                           "requests.lost");
        r->metric = EXP_LOST;
        return ERR_OK;
    }
    if (strcmp(m, "goodput") == 0 || strcmp(m, "retry_amplification") == 0) {
        if (lvl)
            return fail(c,
                        "'%s' has no level: it relates attempts to requests; "
                        "write it without '%s.'",
                        m, r->level == EXP_REQUESTS ? "requests" : "attempts");
        r->metric = m[0] == 'g' ? EXP_GOODPUT : EXP_RETRY_AMPLIFICATION;
        return ERR_OK;
    }
    return fail(c,
                "unknown metric '%s': expected denied, denied(REASON), "
                "count(OUTCOME), p50/p90/p95/p99/p999/max/mean(OUTCOME), "
                "goodput or retry_amplification (requests.lost for requests)",
                m);
}

static int parse_cmp(struct cursor *c, struct expect_rule *r)
{
    skip_space(c);
    const char *p = c->s + c->i;
    if (p[0] == '<' || p[0] == '>') {
        bool eq = p[1] == '=';
        if (p[0] == '<')
            r->cmp = eq ? EXP_LE : EXP_LT;
        else
            r->cmp = eq ? EXP_GE : EXP_GT;
        c->i += eq ? 2 : 1;
        return ERR_OK;
    }
    if (*p == '\0')
        return fail(c, "missing comparison: expected '<', '<=', '>' or '>=' "
                       "and a threshold");
    return fail(c,
                "unexpected '%.8s': expected a comparison '<', '<=', '>' "
                "or '>='",
                p);
}

/* A plain non-negative decimal at the start of s; *end is set past it.
 * Rejects signs, exponents, hex, inf and nan. */
static bool read_number(const char *s, double *v, const char **end)
{
    size_t n = 0, dots = 0, digits = 0;
    while (isdigit((unsigned char)s[n]) || s[n] == '.') {
        if (s[n] == '.')
            dots++;
        else
            digits++;
        n++;
    }
    if (digits == 0 || dots > 1)
        return false;
    char buf[TOKEN_MAX];
    if (n >= sizeof(buf))
        return false;
    memcpy(buf, s, n);
    buf[n] = '\0';
    *v = strtod(buf, NULL);
    *end = s + n;
    return true;
}

static int parse_fraction(struct cursor *c, const char *v, double *out)
{
    const char *end;
    double x;
    if (!read_number(v, &x, &end))
        return fail(c,
                    "bad threshold '%s': expected a fraction such as 5%% "
                    "or 0.05",
                    v);
    if (*end == '%') {
        x /= 100.0;
        end++;
    }
    if (*end != '\0')
        return fail(c,
                    "bad threshold '%s': expected a fraction such as 5%% "
                    "or 0.05",
                    v);
    if (x > 1.0)
        return fail(c,
                    "threshold '%s' is above 100%%: a share is a fraction "
                    "of attempts or requests",
                    v);
    *out = x;
    return ERR_OK;
}

static int parse_duration(struct cursor *c, const char *v, double *out)
{
    static const struct {
        const char *unit;
        double ns;
    } units[] = { { "ns", 1 },   { "us", 1e3 },   { "ms", 1e6 },   { "s", 1e9 },
                  { "m", 60e9 }, { "h", 3600e9 }, { "d", 86400e9 } };
    const char *end;
    double x;
    if (!read_number(v, &x, &end))
        return fail(c,
                    "bad threshold '%s': expected a duration such as 2s "
                    "or 250ms",
                    v);
    if (*end == '\0' && x == 0.0) {
        *out = 0;
        return ERR_OK;
    }
    for (size_t k = 0; k < sizeof(units) / sizeof(units[0]); k++)
        if (strcmp(end, units[k].unit) == 0) {
            *out = x * units[k].ns;
            return ERR_OK;
        }
    if (*end == '\0')
        return fail(c,
                    "threshold '%s' needs a unit: expected a duration "
                    "such as 2s or 250ms",
                    v);
    return fail(c,
                "unknown unit '%s' in '%s': expected ns, us, ms, s, m, h "
                "or d",
                end, v);
}

static int parse_rate(struct cursor *c, const char *v, double *out)
{
    static const struct {
        const char *unit;
        double s;
    } per[] = { { "", 1 },      { "/s", 1 },    { "/m", 60 },
                { "/min", 60 }, { "/h", 3600 }, { "/d", 86400 } };
    const char *end;
    double x;
    if (read_number(v, &x, &end))
        for (size_t k = 0; k < sizeof(per) / sizeof(per[0]); k++)
            if (strcmp(end, per[k].unit) == 0) {
                *out = x / per[k].s;
                return ERR_OK;
            }
    return fail(c,
                "bad threshold '%s': expected a rate such as 40/s, 3/m "
                "or a number per second",
                v);
}

static int parse_plain(struct cursor *c, const char *v, double *out)
{
    const char *end;
    if (!read_number(v, out, &end) || *end != '\0')
        return fail(c, "bad threshold '%s': expected a non-negative number", v);
    return ERR_OK;
}

static int parse_value(struct cursor *c, struct expect_rule *r)
{
    skip_space(c);
    const char *v = c->s + c->i;
    if (*v == '\0')
        return fail(c, "missing threshold after the comparison");
    if (*v == '-')
        return fail(c, "negative threshold '%s': every metric is >= 0", v);
    if (strpbrk(v, " \t"))
        return fail(c,
                    "unexpected space in threshold '%s': write it as one "
                    "word, e.g. 2s, 5%% or 40/s",
                    v);
    switch (r->metric) {
    case EXP_DENIED:
    case EXP_LOST: return parse_fraction(c, v, &r->threshold);
    case EXP_LATENCY: return parse_duration(c, v, &r->threshold);
    case EXP_GOODPUT: return parse_rate(c, v, &r->threshold);
    case EXP_COUNT:
    case EXP_RETRY_AMPLIFICATION: return parse_plain(c, v, &r->threshold);
    }
    return fail(c, "internal: unknown metric");
}

/* Copies text without surrounding blanks into dst; false if it is longer
 * than dst can hold. */
static bool copy_trimmed(char *dst, size_t len, const char *text)
{
    while (*text == ' ' || *text == '\t')
        text++;
    size_t n = strlen(text);
    while (n > 0 && isspace((unsigned char)text[n - 1]))
        n--;
    if (n >= len)
        return false;
    memcpy(dst, text, n);
    dst[n] = '\0';
    return true;
}

int expect_parse(const char *text, struct expect_rule *out, char *err,
                 size_t err_len)
{
    struct expect_rule r;
    struct cursor c = { .s = r.text, .i = 0, .err = err, .err_len = err_len };
    memset(&r, 0, sizeof(r));
    if (err && err_len > 0)
        err[0] = '\0';
    if (!text)
        return fail(&c, "empty rule");
    if (!copy_trimmed(r.text, sizeof(r.text), text))
        return fail(&c, "rule longer than %zu characters", sizeof(r.text) - 1);
    if (r.text[0] == '\0')
        return fail(&c, "empty rule: expected e.g. 'denied(rate_limit) < 5%%'");
    int e = parse_metric(&c, &r);
    if (e == ERR_OK)
        e = parse_cmp(&c, &r);
    if (e == ERR_OK)
        e = parse_value(&c, &r);
    if (e != ERR_OK)
        return e;
    *out = r;
    return ERR_OK;
}

bool expect_holds(const struct expect_rule *r, double measured)
{
    if (isnan(measured))
        return false;
    switch (r->cmp) {
    case EXP_LT: return measured < r->threshold;
    case EXP_LE: return measured <= r->threshold;
    case EXP_GT: return measured > r->threshold;
    case EXP_GE: return measured >= r->threshold;
    }
    return false;
}

/* ns -> "850ms", "1.23s", "120us", "2.5m" with 3 significant digits. */
static void fmt_ns(double ns, char *buf, size_t len)
{
    if (ns >= 600e9)
        snprintf(buf, len, "%.3gm", ns / 60e9);
    else if (ns >= 1e9)
        snprintf(buf, len, "%.3gs", ns / 1e9);
    else if (ns >= 1e6)
        snprintf(buf, len, "%.3gms", ns / 1e6);
    else if (ns >= 1e3)
        snprintf(buf, len, "%.3gus", ns / 1e3);
    else
        snprintf(buf, len, "%.3gns", ns);
}

char *expect_fmt_value(const struct expect_rule *r, double v, char *buf,
                       size_t len)
{
    if (isnan(v)) {
        snprintf(buf, len, "no samples");
        return buf;
    }
    switch (r->metric) {
    case EXP_DENIED:
    case EXP_LOST:
        /* tiny non-zero rates stay visible next to "> 0" rules */
        snprintf(buf, len, v > 0 && v < 1e-5 ? "%.2e%%" : "%.3g%%", v * 100);
        break;
    case EXP_COUNT: snprintf(buf, len, "%.0f", v); break;
    case EXP_LATENCY: fmt_ns(v, buf, len); break;
    case EXP_GOODPUT: snprintf(buf, len, "%.4g/s", v); break;
    case EXP_RETRY_AMPLIFICATION: snprintf(buf, len, "%.4g", v); break;
    }
    return buf;
}

/*
 * vary.c - expanding `--vary KEY=VALUES` into the list of values.
 *
 * The text is split at commas; each item is either used as written or,
 * when it contains "..", expanded as a range.  Ranges are computed from
 * their ends by multiplication (LO + k*STEP, LO * F^k), never by repeated
 * addition, so 0.1..1:0.1 has exactly ten values: the k-th value carries
 * one rounding, and the end test allows a relative 1e-9 so that an end
 * the steps land on is included.  The count is checked before anything
 * is generated, so a range like 1..1e12:1 is refused, not attempted.
 *
 * Not here: whether a value suits its KEY (the scenario parser decides
 * when the point is loaded, with the usual located message).
 */
#include "core/scenario/vary.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EPS 1e-9

static int fail(char *err, size_t len, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (len > 0)
        vsnprintf(err, len, fmt, ap);
    va_end(ap);
    return rc;
}

/* A number of a range end: digits with an optional sign, point and
 * exponent (no inf, nan or hex), followed by its unit suffix. */
struct num {
    double v;
    bool integral; /* no point and no exponent */
    char unit[VARY_VALUE_LEN];
};

static bool parse_num(const char *s, size_t len, struct num *out)
{
    char buf[VARY_VALUE_LEN];
    if (len == 0 || len >= sizeof(buf))
        return false;
    memcpy(buf, s, len);
    buf[len] = '\0';
    size_t k = strspn(buf, "+-0123456789.eE");
    if (k == 0 || strcspn(buf, "0123456789") >= k)
        return false; /* no digit in the number part */
    char *end;
    errno = 0;
    out->v = strtod(buf, &end);
    if (errno != 0 || end == buf || (size_t)(end - buf) > k ||
        !isfinite(out->v))
        return false;
    out->integral = strcspn(buf, ".eE") >= (size_t)(end - buf);
    snprintf(out->unit, sizeof(out->unit), "%s", end);
    return true;
}

struct acc {
    struct vary_axis *a;
    size_t cap;
};

static int push(struct acc *acc, const char *v, size_t len, char *err,
                size_t err_len)
{
    struct vary_axis *a = acc->a;
    if (len >= VARY_VALUE_LEN)
        return fail(err, err_len, ERR_TOOBIG,
                    "value '%.*s...' is longer than %d bytes", 20, v,
                    VARY_VALUE_LEN - 1);
    if (a->n >= VARY_MAX_VALUES)
        return fail(err, err_len, ERR_TOOBIG, "more than %d values",
                    VARY_MAX_VALUES);
    if (a->n == acc->cap) {
        acc->cap = acc->cap ? 2 * acc->cap : 16;
        a->values = xrealloc(a->values, acc->cap * sizeof(*a->values));
        a->x = xrealloc(a->x, acc->cap * sizeof(*a->x));
    }
    memcpy(a->values[a->n], v, len);
    a->values[a->n][len] = '\0';
    struct num n;
    a->x[a->n] = parse_num(a->values[a->n], len, &n) ? n.v : NAN;
    a->n++;
    return ERR_OK;
}

static int push_num(struct acc *acc, double v, bool integral, const char *unit,
                    char *err, size_t err_len)
{
    char buf[2 * VARY_VALUE_LEN];
    if (integral)
        snprintf(buf, sizeof(buf), "%lld%s", (long long)llround(v), unit);
    else
        snprintf(buf, sizeof(buf), "%.10g%s", v, unit);
    return push(acc, buf, strlen(buf), err, err_len);
}

/* LO..HI:STEP or LO..HI:xF, item of length len. */
static int expand_range(struct acc *acc, const char *item, size_t len,
                        char *err, size_t err_len)
{
    const char *dots = strstr(item, "..");
    const char *colon = memchr(item, ':', len);
    struct num lo, hi, step;
    if (colon == NULL || colon < dots)
        return fail(err, err_len, ERR_PARSE,
                    "range '%.*s' wants LO..HI:STEP or LO..HI:xFACTOR",
                    (int)len, item);
    const char *st = colon + 1;
    size_t st_len = len - (size_t)(st - item);
    bool geo = st_len > 0 && st[0] == 'x';
    if (!parse_num(item, (size_t)(dots - item), &lo) ||
        !parse_num(dots + 2, (size_t)(colon - dots - 2), &hi) ||
        !parse_num(st + geo, st_len - geo, &step))
        return fail(err, err_len, ERR_PARSE,
                    "range '%.*s': LO, HI and %s must be numbers", (int)len,
                    item, geo ? "the factor" : "STEP");
    if (strcmp(lo.unit, hi.unit) != 0 ||
        (!geo && strcmp(lo.unit, step.unit) != 0) || (geo && step.unit[0]))
        return fail(err, err_len, ERR_PARSE,
                    "range '%.*s': LO, HI%s must have the same unit", (int)len,
                    item, geo ? "" : " and STEP");
    if (hi.v < lo.v)
        return fail(err, err_len, ERR_PARSE, "range '%.*s': HI is below LO",
                    (int)len, item);
    if (geo ? !(step.v > 1) || !(lo.v > 0) : !(step.v > 0))
        return fail(err, err_len, ERR_PARSE,
                    geo ? "range '%.*s': a geometric range wants LO > 0 and "
                          "a factor > 1"
                        : "range '%.*s': STEP must be positive",
                    (int)len, item);
    double count = geo ? floor(log(hi.v / lo.v) / log(step.v) + EPS) + 1
                       : floor((hi.v - lo.v) / step.v + EPS) + 1;
    if (count > VARY_MAX_VALUES)
        return fail(err, err_len, ERR_TOOBIG,
                    "range '%.*s' has more than %d values", (int)len, item,
                    VARY_MAX_VALUES);
    bool integral = lo.integral && step.integral;
    for (int k = 0; k < (int)count; k++) {
        double v = geo ? lo.v * pow(step.v, k) : lo.v + k * step.v;
        int rc = push_num(acc, v, integral, lo.unit, err, err_len);
        if (rc != ERR_OK)
            return rc;
    }
    return ERR_OK;
}

static int expand_item(struct acc *acc, const char *item, size_t len, char *err,
                       size_t err_len)
{
    while (len > 0 && (*item == ' ' || *item == '\t'))
        item++, len--;
    while (len > 0 && (item[len - 1] == ' ' || item[len - 1] == '\t'))
        len--;
    if (len == 0)
        return fail(err, err_len, ERR_PARSE,
                    "an empty value (VALUES are separated by single commas)");
    char buf[VARY_VALUE_LEN * 4];
    if (len >= sizeof(buf))
        return push(acc, item, len, err, err_len); /* reports TOOBIG */
    memcpy(buf, item, len);
    buf[len] = '\0';
    if (strstr(buf, "..") != NULL)
        return expand_range(acc, buf, len, err, err_len);
    return push(acc, buf, len, err, err_len);
}

int vary_parse(const char *spec, struct vary_axis *out, char *err,
               size_t err_len)
{
    memset(out, 0, sizeof(*out));
    if (err_len > 0)
        err[0] = '\0';
    const char *eq = strchr(spec, '=');
    if (eq == NULL || eq == spec)
        return fail(err, err_len, ERR_PARSE,
                    "wants KEY=VALUES, e.g. policy.capacity.servers=32..96:16");
    if ((size_t)(eq - spec) >= VARY_KEY_LEN)
        return fail(err, err_len, ERR_TOOBIG, "KEY is longer than %d bytes",
                    VARY_KEY_LEN - 1);
    memcpy(out->key, spec, (size_t)(eq - spec));
    struct acc acc = { out, 0 };
    const char *p = eq + 1;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        int rc = expand_item(&acc, p, len, err, err_len);
        if (rc != ERR_OK) {
            vary_axis_fini(out);
            return rc;
        }
        if (comma == NULL)
            break;
        p = comma + 1;
    }
    return ERR_OK;
}

void vary_axis_fini(struct vary_axis *a)
{
    if (a == NULL)
        return;
    free(a->values);
    free(a->x);
    a->values = NULL;
    a->x = NULL;
    a->n = 0;
}

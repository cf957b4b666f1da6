/*
 * units.c - parsing and formatting of scenario values.
 *
 * Decimal input is scanned into its digit strings first and converted with
 * integer arithmetic wherever the result is an integer (durations in ns,
 * money in pico-dollars, counts), so "$0.15" is exactly 150000000000 pusd
 * and "1.5s" exactly 1500000000 ns; a double never sits in between.
 * Quantities that are doubles anyway (rates, fractions, distribution
 * parameters) go through strtod once, which rounds correctly.
 *
 * Every formatter writes text that the matching parser reads back to the
 * identical value (scn_write depends on it): doubles are printed with the
 * fewest significant digits that round-trip.
 *
 * This file knows nothing about YAML or scenarios and never prints.
 */
#include "core/base/units.h"

#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A scanned decimal literal: [-]digits[.digits][e[+-]digits]. */
struct dec {
    const char *ip; /* integer digits */
    size_t ip_n;
    const char *fr; /* fraction digits (after '.') */
    size_t fr_n;
    bool neg;
    bool has_exp;            /* an exponent part was present */
    const char *start, *end; /* the literal, sign included */
};

static const char *skip_space(const char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    return s;
}

/* True when s (from p on) holds only spaces. */
static bool at_end(const char *p)
{
    return *skip_space(p) == '\0';
}

/* Scans a decimal at s.  allow_exp admits an exponent part.  Returns the
 * position after it, or NULL when there is no number there. */
static const char *scan_dec(const char *s, bool allow_exp, struct dec *d)
{
    memset(d, 0, sizeof(*d));
    d->start = s;
    if (*s == '-' || *s == '+') {
        d->neg = *s == '-';
        s++;
    }
    d->ip = s;
    while (isdigit((unsigned char)*s))
        s++;
    d->ip_n = (size_t)(s - d->ip);
    if (*s == '.' && isdigit((unsigned char)s[1])) {
        d->fr = ++s;
        while (isdigit((unsigned char)*s))
            s++;
        d->fr_n = (size_t)(s - d->fr);
    }
    if (d->ip_n == 0 && d->fr_n == 0)
        return NULL;
    if (allow_exp && (*s == 'e' || *s == 'E')) {
        const char *e = s + 1;
        if (*e == '-' || *e == '+')
            e++;
        if (isdigit((unsigned char)*e)) {
            while (isdigit((unsigned char)*e))
                e++;
            s = e;
            d->has_exp = true;
        }
    }
    d->end = s;
    return s;
}

/* The literal as a correctly rounded double (exponent shifted by exp10). */
static int dec_to_double(const struct dec *d, int exp10, double *out)
{
    char buf[128];
    size_t n = (size_t)(d->end - d->start);
    if (n + 8 > sizeof(buf))
        return ERR_RANGE;
    memcpy(buf, d->start, n);
    if (exp10 != 0 && d->has_exp) {
        /* Rare: "1e-3%".  Two roundings are acceptable here. */
        buf[n] = '\0';
        *out = strtod(buf, NULL) * pow(10, exp10);
    } else {
        snprintf(buf + n, sizeof(buf) - n, exp10 ? "e%d" : "", exp10);
        *out = strtod(buf, NULL);
    }
    if (!isfinite(*out))
        return ERR_RANGE;
    return ERR_OK;
}

/* Integer digits as uint64; ERR_RANGE on overflow. */
static int digits_u64(const char *s, size_t n, uint64_t *out)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t dgt = (uint64_t)(s[i] - '0');
        if (v > (UINT64_MAX - dgt) / 10)
            return ERR_RANGE;
        v = v * 10 + dgt;
    }
    *out = v;
    return ERR_OK;
}

static int mul_add_i64(int64_t a, int64_t b, int64_t c, int64_t *out)
{
    if (a != 0 && b > (INT64_MAX - c) / a)
        return ERR_RANGE;
    *out = a * b + c;
    return ERR_OK;
}

/*
 * value of d times unit, where unit = m * 10^z, rounded to the nearest
 * integer.  Fraction digits beyond the 15th are ignored (they are below
 * one thousandth of the smallest unit).  exact (optional) is set false when
 * rounding happened.
 */
static int dec_scaled(const struct dec *d, int64_t m, int z, int64_t *out,
                      bool *exact)
{
    uint64_t ip;
    if (digits_u64(d->ip, d->ip_n, &ip) != ERR_OK || ip > INT64_MAX)
        return ERR_RANGE;
    int64_t unit = m;
    for (int i = 0; i < z; i++)
        unit *= 10;
    size_t nf = d->fr_n;
    bool ex = true;
    for (size_t i = 15; i < nf; i++)
        if (d->fr[i] != '0')
            ex = false;
    if (nf > 15)
        nf = 15;
    uint64_t fr = 0;
    if (digits_u64(d->fr, nf, &fr) != ERR_OK)
        return ERR_RANGE;
    int64_t frac_part;
    if ((int)nf <= z) {
        int64_t mul = m;
        for (int i = 0; i < z - (int)nf; i++)
            mul *= 10;
        frac_part = (int64_t)fr * mul;
    } else {
        int64_t den = 1;
        for (int i = 0; i < (int)nf - z; i++)
            den *= 10;
        int64_t num = (int64_t)fr * m;
        frac_part = (num + den / 2) / den;
        if (num % den != 0)
            ex = false;
    }
    if (exact)
        *exact = ex;
    return mul_add_i64((int64_t)ip, unit, frac_part, out);
}

/* ---- durations ---------------------------------------------------------- */

struct dur_unit {
    const char *name;
    int64_t m;
    int z; /* unit = m * 10^z ns */
};

/* Longest names first so "ms" is not read as "m" followed by junk. */
static const struct dur_unit dur_units[] = {
    { "ms", 1, 6 }, { "us", 1, 3 },  { "ns", 1, 0 },   { "s", 1, 9 },
    { "m", 6, 10 }, { "h", 36, 11 }, { "d", 864, 11 },
};

static const struct dur_unit *match_dur_unit(const char *s, size_t *len)
{
    for (size_t i = 0; i < sizeof(dur_units) / sizeof(dur_units[0]); i++) {
        size_t n = strlen(dur_units[i].name);
        if (strncmp(s, dur_units[i].name, n) == 0 &&
            !isalpha((unsigned char)s[n])) {
            *len = n;
            return &dur_units[i];
        }
    }
    return NULL;
}

int units_parse_duration(const char *s, int64_t *out_ns)
{
    const char *p = skip_space(s);
    bool neg = false;
    int64_t total = 0;
    int parts = 0;
    for (;;) {
        struct dec d;
        const char *e = scan_dec(p, false, &d);
        if (e == NULL)
            break;
        if (d.neg || *d.start == '+') {
            if (parts > 0)
                return ERR_PARSE;
            neg = d.neg;
        }
        size_t ulen;
        const struct dur_unit *u = match_dur_unit(e, &ulen);
        if (u == NULL) {
            /* A bare zero is the one unit-less duration. */
            if (parts == 0 && at_end(e) && strspn(d.ip, "0") == d.ip_n &&
                (d.fr_n == 0 || strspn(d.fr, "0") == d.fr_n)) {
                *out_ns = 0;
                return neg ? ERR_RANGE : ERR_OK;
            }
            return ERR_PARSE;
        }
        int64_t v;
        if (dec_scaled(&d, u->m, u->z, &v, NULL) != ERR_OK ||
            total > INT64_MAX - v)
            return ERR_RANGE;
        total += v;
        parts++;
        p = e + ulen;
    }
    if (parts == 0 || !at_end(p))
        return ERR_PARSE;
    if (neg)
        return ERR_RANGE;
    *out_ns = total;
    return ERR_OK;
}

/* ---- rates -------------------------------------------------------------- */

static const struct {
    const char *name;
    double seconds;
} rate_units[] = { { "s", 1 }, { "m", 60 }, { "h", 3600 }, { "d", 86400 } };

#define N_RATE_UNITS (sizeof(rate_units) / sizeof(rate_units[0]))

/* "/s" etc. at p; returns the unit's seconds or 0, and the end in *end. */
static double rate_unit(const char *p, const char **end)
{
    if (*p != '/')
        return 0;
    for (size_t i = 0; i < N_RATE_UNITS; i++) {
        size_t n = strlen(rate_units[i].name);
        if (strncmp(p + 1, rate_units[i].name, n) == 0 &&
            !isalnum((unsigned char)p[1 + n])) {
            *end = p + 1 + n;
            return rate_units[i].seconds;
        }
    }
    return 0;
}

/* One rate at p.  need_unit false lets the unit be missing (then
 * *seconds stays 0 and the value is the raw number). */
static int parse_rate_at(const char *p, const char **end, double *value,
                         double *seconds)
{
    struct dec d;
    const char *e = scan_dec(skip_space(p), true, &d);
    if (e == NULL)
        return ERR_PARSE;
    int rc = dec_to_double(&d, 0, value);
    *seconds = rate_unit(e, end);
    if (*seconds == 0)
        *end = e;
    if (rc != ERR_OK)
        return rc;
    return d.neg ? ERR_RANGE : ERR_OK;
}

int units_parse_rate(const char *s, double *out_per_s)
{
    const char *end;
    double v, secs;
    int rc = parse_rate_at(s, &end, &v, &secs);
    if (rc == ERR_PARSE || secs == 0 || !at_end(end))
        return ERR_PARSE;
    if (rc != ERR_OK)
        return rc;
    *out_per_s = v / secs;
    return isfinite(*out_per_s) ? ERR_OK : ERR_RANGE;
}

int units_parse_ramp(const char *s, double *from_per_s, double *to_per_s)
{
    const char *dots = strstr(s, "..");
    if (dots == NULL) {
        int rc = units_parse_rate(s, from_per_s);
        if (rc == ERR_OK)
            *to_per_s = *from_per_s;
        return rc;
    }
    const char *end1, *end2;
    double a, b, sa, sb;
    int rc1 = parse_rate_at(s, &end1, &a, &sa);
    int rc2 = parse_rate_at(dots + 2, &end2, &b, &sb);
    if (rc1 == ERR_PARSE || rc2 == ERR_PARSE || skip_space(end1) != dots ||
        sb == 0 || !at_end(end2))
        return ERR_PARSE;
    if (rc1 != ERR_OK || rc2 != ERR_OK)
        return ERR_RANGE;
    if (sa == 0) /* "20..400/s": the unit of the end applies to both */
        sa = sb;
    *from_per_s = a / sa;
    *to_per_s = b / sb;
    return ERR_OK;
}

/* ---- money, prices ------------------------------------------------------ */

/* Money at p (optional '$'); end in *end.  Sub-pico-dollar digits that are
 * not zero are ERR_RANGE. */
static int parse_money_at(const char *p, const char **end, int64_t *out)
{
    p = skip_space(p);
    bool neg = false;
    if (*p == '-') {
        neg = true;
        p++;
    }
    if (*p == '$')
        p++;
    struct dec d;
    const char *e = scan_dec(p, false, &d);
    if (e == NULL || d.neg || *d.start == '+')
        return ERR_PARSE;
    *end = e;
    bool exact;
    if (dec_scaled(&d, 1, 12, out, &exact) != ERR_OK || !exact || neg)
        return ERR_RANGE;
    return ERR_OK;
}

int units_parse_money(const char *s, int64_t *out_pusd)
{
    const char *end;
    int64_t v;
    int rc = parse_money_at(s, &end, &v);
    if (rc == ERR_PARSE || (rc == ERR_OK && !at_end(end)))
        return ERR_PARSE;
    if (rc != ERR_OK)
        return rc;
    *out_pusd = v;
    return ERR_OK;
}

int units_parse_price(const char *s, int64_t *out_pusd_per_token)
{
    const char *end;
    int64_t v;
    int rc = parse_money_at(s, &end, &v);
    if (rc == ERR_PARSE)
        return ERR_PARSE;
    if (at_end(end) && rc == ERR_OK && v == 0) {
        *out_pusd_per_token = 0; /* "0": free */
        return ERR_OK;
    }
    const char *p = skip_space(end);
    if (*p != '/')
        return ERR_PARSE;
    p = skip_space(p + 1);
    int64_t per = 0;
    if (strncmp(p, "token", 5) == 0 && at_end(p + 5)) {
        per = 1;
    } else {
        char buf[32];
        size_t n = strcspn(p, " \t");
        if (n == 0 || n >= sizeof(buf) || !at_end(p + n))
            return ERR_PARSE;
        memcpy(buf, p, n);
        buf[n] = '\0';
        int crc = units_parse_count(buf, &per);
        if (crc != ERR_OK)
            return crc;
        if (per == 0)
            return ERR_RANGE;
    }
    if (rc != ERR_OK)
        return rc;
    *out_pusd_per_token = (v + per / 2) / per;
    return ERR_OK;
}

/* ---- fractions, counts, numbers ------------------------------------------ */

int units_parse_fraction(const char *s, double *out)
{
    struct dec d;
    const char *e = scan_dec(skip_space(s), true, &d);
    if (e == NULL)
        return ERR_PARSE;
    bool pct = *e == '%';
    if (!at_end(pct ? e + 1 : e))
        return ERR_PARSE;
    double v;
    if (dec_to_double(&d, pct ? -2 : 0, &v) != ERR_OK)
        return ERR_RANGE;
    if (d.neg || v < 0 || v > 1)
        return ERR_RANGE;
    *out = v;
    return ERR_OK;
}

int units_parse_count(const char *s, int64_t *out)
{
    struct dec d;
    const char *e = scan_dec(skip_space(s), false, &d);
    if (e == NULL || *d.start == '+')
        return ERR_PARSE;
    int z = 0;
    if (*e == 'k' || *e == 'K')
        z = 3;
    else if (*e == 'M')
        z = 6;
    else if (*e == 'G')
        z = 9;
    if (!at_end(z ? e + 1 : e))
        return ERR_PARSE;
    int64_t v;
    bool exact;
    if (dec_scaled(&d, 1, z, &v, &exact) != ERR_OK)
        return ERR_RANGE;
    if (!exact || (z == 0 && d.fr_n > 0 && strspn(d.fr, "0") < d.fr_n))
        return ERR_PARSE; /* not a whole number */
    if (d.neg)
        return ERR_RANGE;
    *out = v;
    return ERR_OK;
}

/* A plain non-negative number ("0.5", "1e-3"). */
static int parse_number(const char *s, size_t n, double *out)
{
    char buf[64];
    if (n >= sizeof(buf))
        return ERR_PARSE;
    memcpy(buf, s, n);
    buf[n] = '\0';
    struct dec d;
    const char *e = scan_dec(skip_space(buf), true, &d);
    if (e == NULL || !at_end(e))
        return ERR_PARSE;
    if (dec_to_double(&d, 0, out) != ERR_OK || d.neg)
        return ERR_RANGE;
    return ERR_OK;
}

int units_parse_number(const char *s, double *out)
{
    return parse_number(s, strlen(s), out);
}

/* ---- distributions --------------------------------------------------------
 */

struct dist_form {
    const char *name;
    enum dist_kind kind;
    int n_args;
    bool a_time, b_time; /* parameter is a time when is_duration */
};

static const struct dist_form dist_forms[] = {
    { "const", DIST_CONST, 1, true, false },
    { "exp", DIST_EXP, 1, true, false },
    { "uniform", DIST_UNIFORM, 2, true, true },
    { "normal", DIST_NORMAL, 2, true, true },
    { "lognormal", DIST_LOGNORMAL, 2, true, false },
    { "pareto", DIST_PARETO, 2, true, false },
    { "zipf", DIST_ZIPF, 1, false, false },
};

#define N_DIST_FORMS (sizeof(dist_forms) / sizeof(dist_forms[0]))

static int parse_param(const char *s, size_t n, bool is_time, double *out)
{
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    if (!is_time)
        return parse_number(s, n, out);
    char buf[64];
    if (n >= sizeof(buf))
        return ERR_PARSE;
    memcpy(buf, s, n);
    buf[n] = '\0';
    int64_t ns;
    int rc = units_parse_duration(buf, &ns);
    if (rc == ERR_OK)
        *out = (double)ns;
    return rc;
}

static int check_dist(const struct dist *d)
{
    bool ok = d->a >= 0 && d->b >= 0;
    switch (d->kind) {
    case DIST_CONST: break;
    case DIST_EXP: ok = ok && d->a > 0; break;
    case DIST_UNIFORM: ok = ok && d->a <= d->b; break;
    case DIST_NORMAL: break;
    case DIST_LOGNORMAL: ok = ok && d->a > 0; break;
    case DIST_PARETO: ok = ok && d->a > 0 && d->b > 0; break;
    case DIST_ZIPF: ok = ok && d->a > 0; break;
    }
    return ok ? ERR_OK : ERR_RANGE;
}

int units_parse_dist(const char *s, bool is_duration, struct dist *out)
{
    s = skip_space(s);
    const char *open = strchr(s, '(');
    struct dist d = { DIST_CONST, 0, 0 };
    if (open == NULL) {
        int rc = parse_param(s, strlen(s), is_duration, &d.a);
        if (rc == ERR_OK)
            *out = d;
        return rc;
    }
    const char *close = strchr(open, ')');
    if (close == NULL || !at_end(close + 1))
        return ERR_PARSE;
    size_t name_n = (size_t)(open - s);
    while (name_n > 0 && s[name_n - 1] == ' ')
        name_n--;
    const struct dist_form *f = NULL;
    for (size_t i = 0; i < N_DIST_FORMS; i++)
        if (strlen(dist_forms[i].name) == name_n &&
            strncmp(s, dist_forms[i].name, name_n) == 0)
            f = &dist_forms[i];
    if (f == NULL)
        return ERR_PARSE;
    d.kind = f->kind;
    const char *arg = open + 1;
    const char *comma = memchr(arg, ',', (size_t)(close - arg));
    if ((f->n_args == 2) != (comma != NULL))
        return ERR_PARSE;
    const char *a_end = comma ? comma : close;
    int rc = parse_param(skip_space(arg), (size_t)(a_end - skip_space(arg)),
                         is_duration && f->a_time, &d.a);
    if (rc == ERR_OK && comma) {
        const char *b = skip_space(comma + 1);
        if (memchr(b, ',', (size_t)(close - b)) != NULL)
            return ERR_PARSE;
        rc =
            parse_param(b, (size_t)(close - b), is_duration && f->b_time, &d.b);
    }
    if (rc != ERR_OK)
        return rc;
    rc = check_dist(&d);
    if (rc == ERR_OK)
        *out = d;
    return rc;
}

/* ---- formatting ------------------------------------------------------------
 */

/* Appends to buf at *pos (never past len - 1). */
static void put(char *buf, size_t len, size_t *pos, const char *fmt, ...)
    PRINTF_LIKE(4, 5);

static void put(char *buf, size_t len, size_t *pos, const char *fmt, ...)
{
    if (len == 0 || *pos >= len - 1)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + *pos, len - *pos, fmt, ap);
    va_end(ap);
    if (n > 0)
        *pos += (size_t)n < len - *pos ? (size_t)n : len - 1 - *pos;
}

/* The sub-second part (0 < frac_ns < 1e9) as ".5", ".25", ".000001". */
static void put_frac9(char *buf, size_t len, size_t *pos, int64_t frac_ns)
{
    char digits[16];
    snprintf(digits, sizeof(digits), "%09" PRId64, frac_ns);
    size_t n = strlen(digits);
    while (n > 0 && digits[n - 1] == '0')
        n--;
    digits[n] = '\0';
    put(buf, len, pos, ".%s", digits);
}

char *units_fmt_duration(char *buf, size_t len, int64_t ns)
{
    size_t pos = 0;
    if (len > 0)
        buf[0] = '\0';
    if (ns == 0) {
        put(buf, len, &pos, "0");
        return buf;
    }
    uint64_t u = ns < 0 ? (uint64_t)0 - (uint64_t)ns : (uint64_t)ns;
    if (ns < 0)
        put(buf, len, &pos, "-");
    const uint64_t s = (uint64_t)NS_PER_S;
    const uint64_t ms = (uint64_t)NS_PER_MS, us = (uint64_t)NS_PER_US;
    if (u < s) {
        if (u % ms == 0)
            put(buf, len, &pos, "%" PRIu64 "ms", u / ms);
        else if (u % us == 0)
            put(buf, len, &pos, "%" PRIu64 "us", u / us);
        else
            put(buf, len, &pos, "%" PRIu64 "ns", u);
        return buf;
    }
    uint64_t secs = u / s, sub = u % s;
    uint64_t days = secs / 86400, hours = secs / 3600 % 24;
    uint64_t mins = secs / 60 % 60, rem = secs % 60;
    if (days)
        put(buf, len, &pos, "%" PRIu64 "d", days);
    if (hours)
        put(buf, len, &pos, "%" PRIu64 "h", hours);
    if (mins)
        put(buf, len, &pos, "%" PRIu64 "m", mins);
    if (rem || sub) {
        put(buf, len, &pos, "%" PRIu64, rem);
        if (sub)
            put_frac9(buf, len, &pos, (int64_t)sub);
        put(buf, len, &pos, "s");
    }
    return buf;
}

/* Go's time.Duration.String(), which OpenAI's reset headers use; "us"
 * instead of the micro sign keeps header values ASCII. */
char *units_fmt_reset(char *buf, size_t len, int64_t ns)
{
    size_t pos = 0;
    if (len > 0)
        buf[0] = '\0';
    if (ns <= 0) {
        put(buf, len, &pos, "0s");
        return buf;
    }
    uint64_t u = (uint64_t)ns;
    if (u < (uint64_t)NS_PER_S) {
        uint64_t div = u < NS_PER_US   ? 1
                       : u < NS_PER_MS ? NS_PER_US
                                       : NS_PER_MS;
        const char *name = div == 1 ? "ns" : div == NS_PER_US ? "us" : "ms";
        put(buf, len, &pos, "%" PRIu64, u / div);
        if (u % div) {
            char digits[16];
            int w = div == NS_PER_MS ? 6 : 3;
            snprintf(digits, sizeof(digits), "%0*" PRIu64, w, u % div);
            size_t n = strlen(digits);
            while (n > 0 && digits[n - 1] == '0')
                n--;
            digits[n] = '\0';
            put(buf, len, &pos, ".%s", digits);
        }
        put(buf, len, &pos, "%s", name);
        return buf;
    }
    uint64_t secs = u / NS_PER_S, sub = u % NS_PER_S;
    uint64_t hours = secs / 3600, mins = secs / 60 % 60, rem = secs % 60;
    if (hours)
        put(buf, len, &pos, "%" PRIu64 "h", hours);
    if (hours || mins)
        put(buf, len, &pos, "%" PRIu64 "m", mins);
    put(buf, len, &pos, "%" PRIu64, rem);
    if (sub)
        put_frac9(buf, len, &pos, (int64_t)sub);
    put(buf, len, &pos, "s");
    return buf;
}

char *units_fmt_money(char *buf, size_t len, int64_t pusd)
{
    size_t pos = 0;
    if (len > 0)
        buf[0] = '\0';
    uint64_t u = pusd < 0 ? (uint64_t)0 - (uint64_t)pusd : (uint64_t)pusd;
    const uint64_t usd = (uint64_t)PUSD_PER_USD;
    char digits[16];
    snprintf(digits, sizeof(digits), "%012" PRIu64, u % usd);
    size_t n = strlen(digits);
    while (n > 2 && digits[n - 1] == '0')
        n--;
    digits[n] = '\0';
    put(buf, len, &pos, "%s$%" PRIu64 ".%s", pusd < 0 ? "-" : "", u / usd,
        digits);
    return buf;
}

/* Shortest "%.Ng" of v that strtod reads back as v. */
static void fmt_shortest(char *buf, size_t len, double v)
{
    if (v == floor(v) && fabs(v) < 1e15) {
        snprintf(buf, len, "%.0f", v == 0 ? 0.0 : v); /* never "-0" */
        return;
    }
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, len, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            return;
    }
}

char *units_fmt_rate(char *buf, size_t len, double per_s)
{
    char num[40], cand[48];
    if (len > 0)
        buf[0] = '\0';
    /* Prefer a whole number in the smallest unit that gives one. */
    for (size_t i = 0; i < N_RATE_UNITS; i++) {
        double v = per_s * rate_units[i].seconds;
        if (v != floor(v) || v > 1e15)
            continue;
        snprintf(cand, sizeof(cand), "%.0f/%s", v, rate_units[i].name);
        double back;
        if (units_parse_rate(cand, &back) == ERR_OK && back == per_s) {
            snprintf(buf, len, "%s", cand);
            return buf;
        }
    }
    fmt_shortest(num, sizeof(num), per_s);
    snprintf(buf, len, "%s/s", num);
    return buf;
}

char *units_fmt_fraction(char *buf, size_t len, double f)
{
    char num[40], cand[48];
    fmt_shortest(num, sizeof(num), f * 100);
    snprintf(cand, sizeof(cand), "%s%%", num);
    double back;
    if (units_parse_fraction(cand, &back) == ERR_OK && back == f) {
        snprintf(buf, len, "%s", cand);
        return buf;
    }
    fmt_shortest(num, sizeof(num), f);
    snprintf(buf, len, "%s", num);
    return buf;
}

char *units_fmt_number(char *buf, size_t len, double v)
{
    char num[40];
    fmt_shortest(num, sizeof(num), v);
    snprintf(buf, len, "%s", num);
    return buf;
}

char *units_fmt_price(char *buf, size_t len, int64_t pusd_per_token)
{
    char money[48];
    if (pusd_per_token <= INT64_MAX / 1000000) {
        units_fmt_money(money, sizeof(money), pusd_per_token * 1000000);
        snprintf(buf, len, "%s/1M", money);
    } else {
        units_fmt_money(money, sizeof(money), pusd_per_token);
        snprintf(buf, len, "%s/token", money);
    }
    return buf;
}

/* One distribution parameter: a duration or a plain number. */
static void fmt_param(char *buf, size_t len, double v, bool is_time)
{
    if (is_time && v >= 0 && v < 9.2e18 && v == floor(v))
        units_fmt_duration(buf, len, (int64_t)v);
    else
        fmt_shortest(buf, len, v);
}

char *units_fmt_dist(char *buf, size_t len, const struct dist *d,
                     bool is_duration)
{
    const struct dist_form *f = &dist_forms[0];
    for (size_t i = 0; i < N_DIST_FORMS; i++)
        if (dist_forms[i].kind == d->kind)
            f = &dist_forms[i];
    char a[48], b[48];
    fmt_param(a, sizeof(a), d->a, is_duration && f->a_time);
    fmt_param(b, sizeof(b), d->b, is_duration && f->b_time);
    if (d->kind == DIST_CONST)
        snprintf(buf, len, "%s", a);
    else if (f->n_args == 1)
        snprintf(buf, len, "%s(%s)", f->name, a);
    else
        snprintf(buf, len, "%s(%s, %s)", f->name, a, b);
    return buf;
}

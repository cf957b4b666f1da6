/*
 * units.h - parsing and formatting of scenario values.
 *
 * Durations become int64 nanoseconds, rates doubles per second, money
 * int64 pico-dollars (so a price of $0.15 per million tokens is exactly
 * 150000 pico-dollars per token, and a $9M balance still fits), fractions
 * doubles in [0, 1].  Parsers take the whole string (surrounding spaces
 * allowed) and return ERR_PARSE when it is not of the expected form, or
 * ERR_RANGE when it is but the value does not fit; they never print.
 */
#ifndef TOLLGATE_UNITS_H
#define TOLLGATE_UNITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/base/dist.h"
#include "core/base/err.h"

#define NS_PER_US    1000LL
#define NS_PER_MS    1000000LL
#define NS_PER_S     1000000000LL
#define PUSD_PER_USD 1000000000000LL /* pico-dollars in one dollar */

/* "250ms", "90s", "1.5s", "10m", "2h", "7d", "100us", "0".  A bare number
 * other than 0 is an error (units are required). */
int units_parse_duration(const char *s, int64_t *out_ns) WARN_UNUSED;

/* "50/s", "3/m", "200/h", "200/d", "0.5/s" -> requests per second. */
int units_parse_rate(const char *s, double *out_per_s) WARN_UNUSED;

/* A rate or a ramp "50/s..500/s"; a plain rate sets from == to. */
int units_parse_ramp(const char *s, double *from_per_s,
                     double *to_per_s) WARN_UNUSED;

/* "5.00", "$5.00", "0.001" -> pico-dollars.  Negative money is ERR_RANGE. */
int units_parse_money(const char *s, int64_t *out_pusd) WARN_UNUSED;

/* Token prices "0.15/1M", "$2.50/1M", "0.002/1K", "0.00001/token" ->
 * pico-dollars per token. */
int units_parse_price(const char *s, int64_t *out_pusd_per_token) WARN_UNUSED;

/* "0.05" or "5%" -> 0.05; must end in [0, 1]. */
int units_parse_fraction(const char *s, double *out) WARN_UNUSED;

/* A non-negative integer, e.g. "500"; "1k"/"1M" suffixes are allowed. */
int units_parse_count(const char *s, int64_t *out) WARN_UNUSED;

/* A plain non-negative decimal number, "0.5", "7", "1e-3" (weights,
 * factors). */
int units_parse_number(const char *s, double *out) WARN_UNUSED;

/* A distribution.  With is_duration, constants and parameters that are
 * times need units ("800ms", "exp(2s)", "lognormal(800ms, 0.5)") and come
 * back in nanoseconds; otherwise they are plain numbers ("500",
 * "lognormal(400, 1.0)").  Shape parameters (sigma, shape, s) are plain
 * numbers in both cases. */
int units_parse_dist(const char *s, bool is_duration,
                     struct dist *out) WARN_UNUSED;

/* Formats a duration the way people write it in scenarios: "250ms",
 * "1.5s", "10m", "2h30m", "7d".  Returns buf. */
char *units_fmt_duration(char *buf, size_t len, int64_t ns);

/* Formats a duration as OpenAI's x-ratelimit-reset headers do: "6m0s",
 * "1s", "20ms", "1h2m3s".  Returns buf. */
char *units_fmt_reset(char *buf, size_t len, int64_t ns);

/* "$5.00" style with as many decimals as needed (at least 2).  Returns buf. */
char *units_fmt_money(char *buf, size_t len, int64_t pusd);

/* Formats a rate: "50/s", "3/m" when exact, else "0.0333/s".  Returns buf. */
char *units_fmt_rate(char *buf, size_t len, double per_s);

/* A fraction as "5%" when that reads back exactly, else "0.0123".
 * Returns buf. */
char *units_fmt_fraction(char *buf, size_t len, double f);

/* A double with the fewest significant digits that read back exactly
 * ("0.5", "1e-05").  Returns buf. */
char *units_fmt_number(char *buf, size_t len, double v);

/* A token price as "$0.15/1M" (or "$X/token" when per-million would
 * overflow).  Returns buf. */
char *units_fmt_price(char *buf, size_t len, int64_t pusd_per_token);

/* Formats a distribution back into scenario syntax.  Returns buf. */
char *units_fmt_dist(char *buf, size_t len, const struct dist *d,
                     bool is_duration);

#endif

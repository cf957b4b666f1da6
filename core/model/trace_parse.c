/*
 * trace_parse.c - one line of a request trace: the CSV header's column
 * roles, a CSV or JSON line's fields, and times.
 *
 * Pure functions over the caller's buffer, no allocation, so that the
 * fuzzer (tests/fuzz/fuzz_trace.c) can drive them directly.  Names are
 * matched case-insensitively against the alias lists below; the first
 * column that matches a role takes it.  CSV follows RFC 4180: a field
 * may be quoted, "" inside quotes is a quote, separators inside quotes
 * are data.  A CSV line must have exactly the header's number of fields.
 * Counts (tokens, n_requests) are non-negative integers (a ".0" fraction
 * is accepted, as spreadsheets write them); anything else skips the line.
 */
#include "core/model/trace.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/base/json.h"

#define MAX_FIELDS 64
#define MAX_NODES  256

static const char *const time_names[] = { "timestamp",
                                          "ts",
                                          "time",
                                          "t",
                                          "created",
                                          "created_at",
                                          "aggregation_timestamp",
                                          "start_time",
                                          "date",
                                          "request_time",
                                          NULL };
static const char *const time_ms_names[] = { "timestamp_ms", "ts_ms", "time_ms",
                                             NULL };
static const char *const account_names[] = {
    "account",    "account_id",      "key",    "key_id",
    "api_key",    "api_key_id",      "user",   "user_id",
    "project_id", "organization_id", "org_id", NULL
};
static const char *const model_names[] = { "model", "model_id", "snapshot_id",
                                           NULL };
static const char *const prompt_names[] = { "prompt_tokens", "input_tokens",
                                            "n_context_tokens_total",
                                            "context_tokens", NULL };
static const char *const completion_names[] = {
    "completion_tokens", "output_tokens", "n_generated_tokens_total",
    "generated_tokens",  "max_tokens",    NULL
};
static const char *const n_requests_names[] = { "n_requests", "requests",
                                                "count", NULL };

const char *trace_skip_id(enum trace_skip s)
{
    static const char *const ids[TRACE_SKIP_COUNT] = {
        "malformed",     "no_time",      "no_account", "bad_number",
        "unknown_model", "out_of_order", "too_long",   "too_many_accounts"
    };
    return (unsigned)s < TRACE_SKIP_COUNT ? ids[s] : "?";
}

static bool name_in(const char *s, size_t len, const char *const *names)
{
    for (; *names; names++)
        if (strlen(*names) == len && strncasecmp(s, *names, len) == 0)
            return true;
    return false;
}

/* Zeroes the fields of out, not its scratch (1.5 KB per line). */
static void clear(struct trace_line *out)
{
    out->time_s = 0;
    out->account = out->model = NULL;
    out->account_len = out->model_len = 0;
    out->prompt = out->completion = 0;
    out->n_requests = 1;
}

/* ---- CSV ----------------------------------------------------------------- */

/* Splits buf[0..len) into fields, unquoting in place.  Returns the
 * number of fields, or -1 when malformed (an unclosed quote, text after
 * a closing quote, more than MAX_FIELDS). */
static int split_csv(char *buf, size_t len, char *start[], size_t flen[])
{
    while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
        len--;
    int n = 0;
    size_t i = 0;
    for (;;) {
        if (n == MAX_FIELDS)
            return -1;
        char *out = buf + i;
        start[n] = out;
        size_t w = 0;
        if (i < len && buf[i] == '"') {
            for (i++;; i++) {
                if (i >= len)
                    return -1; /* unclosed quote */
                if (buf[i] == '"') {
                    if (i + 1 < len && buf[i + 1] == '"') {
                        out[w++] = '"';
                        i++;
                        continue;
                    }
                    i++;
                    break;
                }
                out[w++] = buf[i];
            }
            if (i < len && buf[i] != ',')
                return -1;
        } else {
            while (i < len && buf[i] != ',')
                out[w++] = buf[i++];
        }
        flen[n++] = w;
        if (i >= len)
            return n;
        i++; /* the comma */
    }
}

static void trim(char **s, size_t *len)
{
    while (*len > 0 && isspace((unsigned char)**s))
        (*s)++, (*len)--;
    while (*len > 0 && isspace((unsigned char)(*s)[*len - 1]))
        (*len)--;
}

int trace_parse_header(const char *line, size_t len, struct trace_cols *out,
                       char *err, size_t err_len)
{
    char buf[TRACE_MAX_LINE];
    char *f[MAX_FIELDS];
    size_t fl[MAX_FIELDS];
    *out = (struct trace_cols){ -1, -1, -1, -1, -1, -1, false, 0 };
    if (len >= sizeof(buf)) {
        snprintf(err, err_len, "the header row is too long");
        return ERR_PARSE;
    }
    memcpy(buf, line, len);
    int n = split_csv(buf, len, f, fl);
    if (n < 0) {
        snprintf(err, err_len, "the header row is not CSV");
        return ERR_PARSE;
    }
    out->n_cols = n;
    for (int i = 0; i < n; i++) {
        char *s = f[i];
        size_t l = fl[i];
        trim(&s, &l);
        if (out->time < 0 && name_in(s, l, time_names))
            out->time = i;
        else if (out->time < 0 && name_in(s, l, time_ms_names))
            out->time = i, out->time_ms = true;
        else if (out->account < 0 && name_in(s, l, account_names))
            out->account = i;
        else if (out->model < 0 && name_in(s, l, model_names))
            out->model = i;
        else if (out->prompt < 0 && name_in(s, l, prompt_names))
            out->prompt = i;
        else if (out->completion < 0 && name_in(s, l, completion_names))
            out->completion = i;
        else if (out->n_requests < 0 && name_in(s, l, n_requests_names))
            out->n_requests = i;
    }
    if (out->time < 0 || out->account < 0) {
        snprintf(err, err_len,
                 "the header row names no %s column (want one of "
                 "timestamp, ts, time, created, timestamp_ms, ...; and of "
                 "account, account_id, key, api_key_id, user, project_id, "
                 "...)",
                 out->time < 0 ? "time" : "account");
        return ERR_PARSE;
    }
    return ERR_OK;
}

/* ---- values ---------------------------------------------------------------
 */

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian; H. Hinnant). */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* Reads exactly n digits at s[*i]. */
static bool digits(const char *s, size_t len, size_t *i, int n, int64_t *v)
{
    *v = 0;
    for (int k = 0; k < n; k++, (*i)++) {
        if (*i >= len || !isdigit((unsigned char)s[*i]))
            return false;
        *v = *v * 10 + (s[*i] - '0');
    }
    return true;
}

/* YYYY-MM-DD[T ]hh:mm:ss[.fff][Z|+hh:mm] */
static bool parse_iso(const char *s, size_t len, double *out)
{
    size_t i = 0;
    int64_t y, mo, d, h, mi, se;
    if (!digits(s, len, &i, 4, &y) || i >= len || s[i++] != '-' ||
        !digits(s, len, &i, 2, &mo) || i >= len || s[i++] != '-' ||
        !digits(s, len, &i, 2, &d) || i >= len || (s[i] != 'T' && s[i] != ' '))
        return false;
    i++;
    if (!digits(s, len, &i, 2, &h) || i >= len || s[i++] != ':' ||
        !digits(s, len, &i, 2, &mi) || i >= len || s[i++] != ':' ||
        !digits(s, len, &i, 2, &se))
        return false;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
        return false;
    double frac = 0, scale = 0.1;
    if (i < len && s[i] == '.') {
        for (i++; i < len && isdigit((unsigned char)s[i]); i++, scale /= 10)
            frac += (s[i] - '0') * scale;
    }
    int64_t zone_s = 0;
    if (i < len && (s[i] == 'Z' || s[i] == 'z')) {
        i++;
    } else if (i < len && (s[i] == '+' || s[i] == '-')) {
        int sign = s[i++] == '-' ? -1 : 1;
        int64_t zh, zm;
        if (!digits(s, len, &i, 2, &zh))
            return false;
        if (i < len && s[i] == ':')
            i++;
        if (!digits(s, len, &i, 2, &zm))
            return false;
        zone_s = sign * (zh * 3600 + zm * 60);
    }
    if (i != len)
        return false;
    int64_t secs =
        days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se - zone_s;
    *out = (double)secs + frac;
    return true;
}

/* Plain decimals ("1714564800.250", "42") without strtod, which costs
 * more than the rest of a line: at most 15 significant digits, so the
 * integer and the power of ten are exact and the one division rounds
 * correctly.  false: not that simple (the caller falls back). */
static bool fast_decimal(const char *s, size_t len, double *out)
{
    static const double p10[] = {
        1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
        1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15
    };
    uint64_t m = 0;
    int digits = 0, frac = -1;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '.' && frac < 0) {
            frac = 0;
            continue;
        }
        if (s[i] < '0' || s[i] > '9' || ++digits > 15)
            return false;
        m = m * 10 + (uint64_t)(s[i] - '0');
        if (frac >= 0)
            frac++;
    }
    if (digits == 0)
        return false;
    *out = frac > 0 ? (double)m / p10[frac] : (double)m;
    return true;
}

/* A finite number with nothing after it. */
static bool parse_double(const char *s, size_t len, double *out)
{
    if (fast_decimal(s, len, out))
        return true;
    char buf[64];
    if (len == 0 || len >= sizeof(buf))
        return false;
    memcpy(buf, s, len);
    buf[len] = '\0';
    if (strspn(buf, "+-0123456789.eE") != len)
        return false; /* no inf, nan or hex */
    char *end;
    double v = strtod(buf, &end);
    if (end != buf + len || !isfinite(v))
        return false;
    *out = v;
    return true;
}

bool trace_parse_time(const char *s, size_t len, double *out_s)
{
    return parse_double(s, len, out_s) || parse_iso(s, len, out_s);
}

/* A count: absent/empty -> dflt; else a non-negative integer. */
static bool parse_count(const char *s, size_t len, int64_t dflt, int64_t *out)
{
    if (s == NULL || len == 0) {
        *out = dflt;
        return true;
    }
    double v;
    if (!parse_double(s, len, &v) || v < 0 || v > 4e18 || v != floor(v))
        return false;
    *out = (int64_t)v;
    return true;
}

/* Fills out from the role fields; false with *why. */
static bool fill(struct trace_line *out, const char *t, size_t tl, bool ms,
                 const char *acc, size_t al, const char *const num[3],
                 const size_t num_len[3], enum trace_skip *why)
{
    char *ts = (char *)t, *as = (char *)acc;
    trim(&ts, &tl);
    trim(&as, &al);
    if (t == NULL || !trace_parse_time(ts, tl, &out->time_s)) {
        *why = TRACE_SKIP_NO_TIME;
        return false;
    }
    if (ms)
        out->time_s /= 1000;
    if (acc == NULL || al == 0) {
        *why = TRACE_SKIP_NO_ACCOUNT;
        return false;
    }
    out->account = as;
    out->account_len = al;
    if (!parse_count(num[0], num_len[0], 0, &out->prompt) ||
        !parse_count(num[1], num_len[1], 0, &out->completion) ||
        !parse_count(num[2], num_len[2], 1, &out->n_requests)) {
        *why = TRACE_SKIP_BAD_NUMBER;
        return false;
    }
    return true;
}

bool trace_parse_csv(const struct trace_cols *cols, char *buf, size_t len,
                     struct trace_line *out, enum trace_skip *why)
{
    char *f[MAX_FIELDS];
    size_t fl[MAX_FIELDS];
    int n = split_csv(buf, len, f, fl);
    if (n != cols->n_cols) {
        *why = TRACE_SKIP_MALFORMED;
        return false;
    }
    clear(out);
    if (cols->model >= 0 && fl[cols->model] > 0) {
        char *m = f[cols->model];
        size_t ml = fl[cols->model];
        trim(&m, &ml);
        out->model = ml > 0 ? m : NULL;
        out->model_len = ml;
    }
    const int idx[3] = { cols->prompt, cols->completion, cols->n_requests };
    const char *num[3];
    size_t num_len[3];
    for (int k = 0; k < 3; k++) {
        num[k] = idx[k] >= 0 ? f[idx[k]] : NULL;
        num_len[k] = idx[k] >= 0 ? fl[idx[k]] : 0;
        if (num[k] != NULL) {
            char *s = (char *)num[k];
            trim(&s, &num_len[k]);
            num[k] = s;
        }
    }
    return fill(out, f[cols->time], fl[cols->time], cols->time_ms,
                f[cols->account], fl[cols->account], num, num_len, why);
}

/* ---- JSON lines -----------------------------------------------------------
 */

/* The member of obj whose name is in names; its text (strings decoded
 * into dst, numbers as written) in *s, *len.  false: none. */
static bool member(const struct json_doc *d, int obj, const char *const *names,
                   char *dst, size_t cap, const char **s, size_t *len)
{
    for (int k = json_child(d, obj); k >= 0; k = json_next(d, k + 1)) {
        char key[64];
        size_t kl;
        if (json_str_copy(d, k, key, sizeof(key), &kl) != ERR_OK ||
            !name_in(key, kl, names))
            continue;
        int v = k + 1;
        if (json_type(d, v) == JSON_STRING) {
            if (json_str_copy(d, v, dst, cap, len) != ERR_OK)
                return false;
            *s = dst;
            return true;
        }
        if (json_type(d, v) == JSON_NUMBER) {
            *s = d->nodes[v].p;
            *len = d->nodes[v].len;
            return true;
        }
        return false; /* null, bool, object: treated as absent */
    }
    return false;
}

bool trace_parse_jsonl(char *buf, size_t len, struct trace_line *out,
                       enum trace_skip *why)
{
    struct json_node nodes[MAX_NODES];
    struct json_doc d;
    while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
        len--;
    if (json_parse(&d, buf, len, nodes, MAX_NODES, 0, 8) != ERR_OK ||
        json_type(&d, 0) != JSON_OBJECT) {
        *why = TRACE_SKIP_MALFORMED;
        return false;
    }
    clear(out);
    /* decoded strings live in out->scratch */
    const size_t cap = TRACE_SCRATCH;
    char *scratch = out->scratch;
    const char *t = NULL, *acc = NULL, *m = NULL, *num[3] = { NULL };
    size_t tl = 0, al = 0, ml = 0, num_len[3] = { 0 };
    bool ms = false;
    if (!member(&d, 0, time_names, scratch, cap, &t, &tl) &&
        member(&d, 0, time_ms_names, scratch, cap, &t, &tl))
        ms = true;
    member(&d, 0, account_names, scratch + cap, cap, &acc, &al);
    if (member(&d, 0, model_names, scratch + 2 * cap, cap, &m, &ml) && ml)
        out->model = m, out->model_len = ml;
    const char *const *nn[3] = { prompt_names, completion_names,
                                 n_requests_names };
    for (int k = 0; k < 3; k++)
        member(&d, 0, nn[k], scratch + (3 + k) * cap, cap, &num[k],
               &num_len[k]);
    return fill(out, t, tl, ms, acc, al, num, num_len, why);
}

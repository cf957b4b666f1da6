/*
 * classify.c - live responses to canonical reasons.
 *
 * The built-in dialects first look for the canonical message of a reason
 * (core/base/reason.c) inside error.message with a matching status: that is
 * what `tollgate serve` sends, so a serve round trip is exact.  Failing
 * that they read error.code (OpenAI) or error.type (Anthropic), then
 * message keywords, then fall back on the status alone (429 -> rate_limit,
 * 503 -> outage, 529 -> overloaded, other 5xx -> server_error, other 4xx
 * -> bad_request).  A 2xx is ok unless its SSE stream carries an error.
 *
 * Transport: refused -> outage (nothing listens: the service is down),
 * timeout -> timeout, an unparsable reply (garbage, HTTP/0.9, broken
 * HTTP/2 framing, bad encoding) -> server_error, every other failure
 * (reset, DNS, TLS, closed mid-response, empty reply) -> network.
 *
 * Everything here is a pure function of its arguments; nothing allocates,
 * so workers call it on the hot path.  Error bodies are read with
 * core/base/json's cursor, which validates as it goes: the reader takes
 * only what it needs and stops at the first problem -- a malformed or
 * cut-off body, nesting deeper than CLS_JSON_DEPTH -- keeping what it
 * found so far.
 */
#include "loadgen/classify.h"

#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "core/base/json.h"
#include "core/model/client.h"

/* ---- small string helpers ------------------------------------------- */

static bool eq(struct cls_str s, const char *lit)
{
    size_t n = strlen(lit);
    return s.n == n && memcmp(s.p, lit, n) == 0;
}

/* Case-insensitive search of needle (lower case) in p[0..n). */
static const char *find_ci(const char *p, size_t n, const char *needle)
{
    size_t m = strlen(needle);
    if (m == 0 || m > n)
        return m == 0 ? p : NULL;
    for (size_t i = 0; i + m <= n; i++) {
        size_t j = 0;
        while (j < m && tolower((unsigned char)p[i + j]) == needle[j])
            j++;
        if (j == m)
            return p + i;
    }
    return NULL;
}

static bool has(struct cls_str s, const char *needle)
{
    return s.p && find_ci(s.p, s.n, needle) != NULL;
}

/* Exact (case-sensitive) substring search. */
static const char *find(const char *p, size_t n, const char *needle)
{
    size_t m = strlen(needle);
    if (m > n)
        return NULL;
    for (size_t i = 0; i + m <= n; i++)
        if (p[i] == needle[0] && memcmp(p + i, needle, m) == 0)
            return p + i;
    return NULL;
}

/* ---- error bodies --------------------------------------------------- */

/* Containers the reader opens at most (the root is one); deeper nesting
 * ends the reading like a malformed body. */
#define CLS_JSON_DEPTH 9

static struct cls_str cls_of(const struct json_str *s)
{
    return (struct cls_str){ s->p, s->len };
}

/* Reads the members of the error object (the cursor inside it); stops
 * at the first problem. */
static void error_object(struct json_cur *c, struct cls_err *e)
{
    struct json_str k, v;
    while (json_cur_next(c, &k)) {
        struct cls_str key = cls_of(&k);
        bool is_str = json_cur_peek(c) == '"';
        if (is_str &&
            (eq(key, "type") || eq(key, "code") || eq(key, "message"))) {
            if (!json_cur_string(c, &v))
                return;
            if (eq(key, "type"))
                e->type = cls_of(&v);
            else if (eq(key, "code"))
                e->code = cls_of(&v);
            else
                e->message = cls_of(&v);
        } else if (!json_cur_skip(c)) {
            return;
        }
    }
}

bool cls_json_error(const char *body, size_t len, struct cls_err *out)
{
    memset(out, 0, sizeof(*out));
    struct json_cur c;
    struct json_str k, v;
    struct cls_err top = { 0 };
    bool found = false;
    json_cur_init(&c, body, len, CLS_JSON_DEPTH);
    if (json_cur_peek(&c) != '{' || !json_cur_open(&c, '{'))
        return false;
    while (json_cur_next(&c, &k)) {
        struct cls_str key = cls_of(&k);
        int ch = json_cur_peek(&c);
        if (eq(key, "error") && ch == '{') {
            if (json_cur_open(&c, '{'))
                error_object(&c, out);
            found = true;
            break; /* all we need; the rest may be cut off */
        } else if (ch == '"' && (eq(key, "error") || eq(key, "message") ||
                                 eq(key, "code"))) {
            if (!json_cur_string(&c, &v))
                break;
            if (eq(key, "code"))
                top.code = cls_of(&v);
            else
                top.message = cls_of(&v);
        } else if (!json_cur_skip(&c)) {
            break;
        }
    }
    if (!found && (top.message.p || top.code.p)) {
        *out = top;
        found = true;
    }
    return found;
}

/* ---- SSE ------------------------------------------------------------ */

/* The payload of the "data:" line at or after p, or NULL. */
static const char *data_line(const char *p, const char *end, size_t *len)
{
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *eol = nl ? nl : end;
        if ((size_t)(eol - p) >= 5 && memcmp(p, "data:", 5) == 0) {
            p += 5;
            while (p < eol && *p == ' ')
                p++;
            *len = (size_t)(eol - p);
            return p;
        }
        if (eol == p || (eol == p + 1 && *p == '\r'))
            return NULL; /* blank line ends the event */
        p = nl ? nl + 1 : end;
    }
    return NULL;
}

bool cls_sse_error(const char *body, size_t len, struct cls_err *out)
{
    const char *end = body + len;
    for (const char *p = body; p && p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *next = nl ? nl + 1 : end;
        size_t n = (size_t)((nl ? nl : end) - p);
        size_t dlen;
        if (n >= 6 && memcmp(p, "event:", 6) == 0 &&
            find(p, n, "error") != NULL) {
            const char *d = data_line(next, end, &dlen);
            if (d && cls_json_error(d, dlen, out))
                return true;
            memset(out, 0, sizeof(*out));
            return true; /* an error event without a readable payload */
        }
        if (n >= 5 && memcmp(p, "data:", 5) == 0 &&
            find(p, n, "\"error\"") != NULL) {
            const char *d = data_line(p, end, &dlen);
            if (d && cls_json_error(d, dlen, out))
                return true;
        }
        p = next;
    }
    return false;
}

/* ---- dialects --------------------------------------------------------- */

/* The reason whose canonical message error.message contains, provided
 * the status agrees (status 0 agrees with anything). */
static enum reason by_canonical_message(enum classify_kind kind, int status,
                                        const struct cls_err *e)
{
    if (!e->message.p)
        return REASON_COUNT;
    for (int r = 1; r < REASON_NETWORK; r++) {
        const struct reason_info *ri = reason_get((enum reason)r);
        int st =
            kind == CLASSIFY_ANTHROPIC ? ri->anthropic_status : ri->http_status;
        if ((status == 0 || status == st) &&
            find(e->message.p, e->message.n, ri->message))
            return (enum reason)r;
    }
    return REASON_COUNT;
}

static enum reason quota_kind(const struct cls_err *e)
{
    if (has(e->message, "free tier") || has(e->message, "free-tier") ||
        has(e->message, "trial"))
        return REASON_FREE_TIER_EXHAUSTED;
    if (has(e->message, "usage limit") || has(e->message, "usage cap") ||
        has(e->message, "monthly"))
        return REASON_USAGE_CAP;
    /* OpenAI's plain quota message ends "check your plan and billing
     * details": that is spent credit, not a failed payment. */
    if (has(e->message, "payment") || has(e->message, "not active"))
        return REASON_BILLING;
    return REASON_CREDITS_EXHAUSTED;
}

static enum reason unavailable_kind(const struct cls_err *e)
{
    if (has(e->message, "maintenance"))
        return REASON_MAINTENANCE;
    if (has(e->message, "upgrade"))
        return REASON_UPGRADE;
    if (has(e->message, "overload"))
        return REASON_OVERLOADED;
    return REASON_OUTAGE;
}

static enum reason limit_kind(const struct cls_err *e)
{
    if (eq(e->type, "tokens") || has(e->message, "tokens per") ||
        has(e->message, "(tpm)") || has(e->message, "token limit") ||
        has(e->message, "for tokens"))
        return REASON_TOKEN_LIMIT;
    if (has(e->message, "concurren"))
        return REASON_CONCURRENCY_LIMIT;
    if (has(e->message, "slow down") || has(e->message, "unusual"))
        return REASON_ABUSE_THROTTLE;
    return REASON_RATE_LIMIT;
}

static enum reason forbidden_kind(const struct cls_err *e)
{
    if (has(e->message, "country") || has(e->message, "region"))
        return REASON_REGION_BLOCKED;
    if (has(e->message, "suspend"))
        return REASON_ACCOUNT_SUSPENDED;
    if (has(e->message, "deactivat") || has(e->message, "banned") ||
        has(e->message, "disabled"))
        return REASON_ACCOUNT_BANNED;
    if (has(e->message, "inactive"))
        return REASON_ACCOUNT_INACTIVE;
    if (has(e->message, "authentication attempts") || has(e->message, "locked"))
        return REASON_UNAUTHORIZED_LOCKOUT;
    return REASON_PERMISSION_REVOKED;
}

static enum reason bad_request_kind(const struct cls_err *e)
{
    if (has(e->message, "flagged") || has(e->message, "content policy") ||
        has(e->message, "usage policies"))
        return REASON_POLICY_VIOLATION;
    return REASON_BAD_REQUEST;
}

/* The status alone (with message keywords where a status is shared). */
static enum reason by_status(int status, const struct cls_err *e)
{
    if (status >= 200 && status < 300)
        return REASON_OK;
    switch (status) {
    case 400: return bad_request_kind(e);
    case 401:
        return has(e->message, "revoked") ? REASON_REVOKED_KEY
                                          : REASON_INVALID_KEY;
    case 402: return REASON_BILLING;
    case 403: return forbidden_kind(e);
    case 404:
        return has(e->message, "model") ? REASON_FEATURE_SUSPENDED
                                        : REASON_BAD_REQUEST;
    case 408: return REASON_TIMEOUT;
    case 429:
        if (has(e->message, "quota") || has(e->message, "credit"))
            return quota_kind(e);
        return limit_kind(e);
    case 503: return unavailable_kind(e);
    case 529: return REASON_OVERLOADED;
    default: break;
    }
    if (status >= 500 || status == 0)
        return REASON_SERVER_ERROR;
    return REASON_BAD_REQUEST; /* other 4xx, 1xx, 3xx: integration error */
}

static const struct {
    const char *code;
    enum reason reason; /* REASON_COUNT: decided by the message */
} openai_codes[] = {
    { "billing_not_active", REASON_BILLING },
    { "billing_hard_limit_reached", REASON_USAGE_CAP },
    { "slow_down", REASON_ABUSE_THROTTLE },
    { "account_deactivated", REASON_ACCOUNT_BANNED },
    { "account_inactive", REASON_ACCOUNT_INACTIVE },
    { "account_suspended", REASON_ACCOUNT_SUSPENDED },
    { "access_denied", REASON_UNAUTHORIZED_LOCKOUT },
    { "content_policy_violation", REASON_POLICY_VIOLATION },
    { "content_filter", REASON_POLICY_VIOLATION },
    { "permission_denied", REASON_PERMISSION_REVOKED },
    { "model_not_found", REASON_FEATURE_SUSPENDED },
    { "unsupported_country_region_territory", REASON_REGION_BLOCKED },
    { "server_is_overloaded", REASON_OVERLOADED },
    { "engine_overloaded", REASON_OVERLOADED },
    { "server_error", REASON_SERVER_ERROR },
    { "invalid_request_error", REASON_BAD_REQUEST },
};

static enum reason openai(int status, const struct cls_err *e)
{
    if (eq(e->code, "insufficient_quota"))
        return quota_kind(e);
    if (eq(e->code, "rate_limit_exceeded"))
        return limit_kind(e);
    if (eq(e->code, "invalid_api_key"))
        return has(e->message, "revoked") ? REASON_REVOKED_KEY
                                          : REASON_INVALID_KEY;
    if (eq(e->code, "service_unavailable"))
        return unavailable_kind(e);
    for (size_t i = 0; i < sizeof(openai_codes) / sizeof(openai_codes[0]); i++)
        if (eq(e->code, openai_codes[i].code))
            return openai_codes[i].reason;
    if (eq(e->type, "insufficient_quota"))
        return quota_kind(e);
    if (status == 0 && (eq(e->type, "tokens") || eq(e->type, "requests")))
        return limit_kind(e);
    if (status == 0 && e->message.p && has(e->message, "overload"))
        return REASON_OVERLOADED;
    return by_status(status, e);
}

static enum reason anthropic(int status, const struct cls_err *e)
{
    if (eq(e->type, "overloaded_error"))
        return REASON_OVERLOADED;
    if (eq(e->type, "rate_limit_error"))
        return limit_kind(e);
    if (eq(e->type, "authentication_error"))
        return has(e->message, "revoked") ? REASON_REVOKED_KEY
                                          : REASON_INVALID_KEY;
    if (eq(e->type, "permission_error"))
        return forbidden_kind(e);
    if (eq(e->type, "not_found_error"))
        return REASON_FEATURE_SUSPENDED;
    if (eq(e->type, "billing_error"))
        return REASON_BILLING;
    if (eq(e->type, "request_too_large"))
        return REASON_BAD_REQUEST;
    if (eq(e->type, "invalid_request_error")) {
        if (has(e->message, "credit") || has(e->message, "free tier") ||
            has(e->message, "usage limit") || has(e->message, "billing"))
            return quota_kind(e);
        return bad_request_kind(e);
    }
    if (eq(e->type, "api_error"))
        return status == 503 || has(e->message, "unavailable") ||
                       has(e->message, "maintenance") ||
                       has(e->message, "upgrade")
                   ? unavailable_kind(e)
                   : REASON_SERVER_ERROR;
    return by_status(status, e);
}

enum reason cls_dialect(enum classify_kind kind, int status,
                        const struct cls_err *e)
{
    enum reason r = by_canonical_message(kind, status, e);
    if (r != REASON_COUNT)
        return r;
    r = kind == CLASSIFY_ANTHROPIC ? anthropic(status, e) : openai(status, e);
    if (status == 0 && r == REASON_OK)
        return REASON_SERVER_ERROR;
    return r;
}

/* ---- headers ---------------------------------------------------------- */

void cls_resp_reset(struct cls_resp *r)
{
    bool keep = r->keep_headers;
    r->status = 0;
    r->sse = false;
    r->rl_remaining_requests = -1;
    r->rl_remaining_tokens = -1;
    r->retry_after_ns = -1;
    r->body = r->tail = NULL;
    r->body_len = r->tail_len = 0;
    r->headers_len = 0;
    r->keep_headers = keep;
}

static bool name_is(const char *line, size_t len, const char *name,
                    const char **value, size_t *vlen)
{
    size_t n = strlen(name);
    if (len <= n || line[n] != ':')
        return false;
    for (size_t i = 0; i < n; i++)
        if (tolower((unsigned char)line[i]) != name[i])
            return false;
    const char *v = line + n + 1, *end = line + len;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
        end--;
    *value = v;
    *vlen = (size_t)(end - v);
    return true;
}

/* A non-negative decimal, with optional fraction scaled by scale; -1 when
 * the value is not a number. */
static int64_t parse_scaled(const char *v, size_t n, int64_t scale)
{
    int64_t whole = 0, frac = 0, div = 1;
    size_t i = 0;
    if (n == 0)
        return -1;
    for (; i < n && v[i] >= '0' && v[i] <= '9'; i++)
        if (whole < INT64_MAX / 100 / scale)
            whole = whole * 10 + (v[i] - '0');
    if (i == 0)
        return -1;
    if (i < n && v[i] == '.')
        for (i++; i < n && v[i] >= '0' && v[i] <= '9' && div < 1000000000;
             i++) {
            frac = frac * 10 + (v[i] - '0');
            div *= 10;
        }
    if (i != n)
        return -1;
    return whole * scale + frac * scale / div;
}

static void keep_line(struct cls_resp *r, const char *line, size_t len)
{
    if (r->headers_len + len <= sizeof(r->headers)) {
        memcpy(r->headers + r->headers_len, line, len);
        r->headers_len += len;
    }
}

void cls_header(struct cls_resp *r, const char *line, size_t len)
{
    const char *v;
    size_t n;
    if (len >= 5 && memcmp(line, "HTTP/", 5) == 0) {
        cls_resp_reset(r); /* a new (possibly final) response */
        return;
    }
    if (r->keep_headers)
        keep_line(r, line, len);
    switch (tolower((unsigned char)line[0])) {
    case 'x':
        if (name_is(line, len, "x-ratelimit-remaining-requests", &v, &n))
            r->rl_remaining_requests = parse_scaled(v, n, 1);
        else if (name_is(line, len, "x-ratelimit-remaining-tokens", &v, &n))
            r->rl_remaining_tokens = parse_scaled(v, n, 1);
        break;
    case 'a':
        if (name_is(line, len, "anthropic-ratelimit-requests-remaining", &v,
                    &n))
            r->rl_remaining_requests = parse_scaled(v, n, 1);
        else if (name_is(line, len, "anthropic-ratelimit-tokens-remaining", &v,
                         &n))
            r->rl_remaining_tokens = parse_scaled(v, n, 1);
        break;
    case 'r':
        if (name_is(line, len, "retry-after", &v, &n))
            r->retry_after_ns = parse_scaled(v, n, 1000000000);
        else if (name_is(line, len, "retry-after-ms", &v, &n))
            r->retry_after_ns = parse_scaled(v, n, 1000000);
        break;
    case 'c':
        if (name_is(line, len, "content-type", &v, &n))
            r->sse = find_ci(v, n, "text/event-stream") != NULL;
        break;
    default: break;
    }
}

/* ---- transport ---------------------------------------------------------- */

enum reason cls_transport(int curl_code, long os_errno)
{
    switch ((CURLcode)curl_code) {
    case CURLE_OK: return REASON_OK;
    case CURLE_COULDNT_CONNECT:
        return os_errno == ECONNREFUSED ? REASON_OUTAGE : REASON_NETWORK;
    case CURLE_OPERATION_TIMEDOUT: return REASON_TIMEOUT;
    case CURLE_UNSUPPORTED_PROTOCOL: /* HTTP/0.9: the reply was garbage */
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_BAD_CONTENT_ENCODING:
    case CURLE_RANGE_ERROR: return REASON_SERVER_ERROR;
    default: return REASON_NETWORK;
    }
}

/* ---- the whole ------------------------------------------------------- */

void cls_config_init(struct cls_config *c, const struct scenario *sc)
{
    memset(c, 0, sizeof(*c));
    c->kind = CLASSIFY_OPENAI;
    if (!sc || !sc->has_live)
        return;
    c->kind = sc->live.classify;
    c->rules = sc->live.rules;
    c->n_rules = sc->live.n_rules;
    for (size_t i = 0; i < c->n_rules; i++)
        if (c->rules[i].header)
            c->rules_use_headers = true;
}

static bool header_matches(const struct cls_resp *r, const char *spec)
{
    const char *colon = strchr(spec, ':');
    if (!colon)
        return false;
    size_t name_len = (size_t)(colon - spec);
    const char *want = colon + 1;
    while (*want == ' ')
        want++;
    const char *p = r->headers, *end = r->headers + r->headers_len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *eol = nl ? nl : end;
        if ((size_t)(eol - p) > name_len && p[name_len] == ':' &&
            strncasecmp(p, spec, name_len) == 0 &&
            find(p + name_len + 1, (size_t)(eol - p - name_len - 1), want))
            return true;
        p = nl ? nl + 1 : end;
    }
    return false;
}

static bool str_is(struct cls_str s, const char *want)
{
    return want == NULL || (s.p != NULL && eq(s, want));
}

static bool rule_matches(const struct scn_classify_rule *rule,
                         const struct cls_resp *r, const struct cls_err *e)
{
    return (rule->status == 0 || rule->status == r->status) &&
           str_is(e->type, rule->type) && str_is(e->code, rule->code) &&
           (rule->header == NULL || header_matches(r, rule->header));
}

static bool sse_like(const struct cls_resp *r)
{
    return r->sse || (r->body_len >= 6 && (memcmp(r->body, "event:", 6) == 0 ||
                                           memcmp(r->body, "data:", 5) == 0));
}

/* Whether a token or rate limit denial says the request can never pass:
 * OpenAI's "Request too large for ... on tokens per min (TPM): Limit L,
 * Requested R. The input or output tokens must be reduced ..."; an
 * Anthropic denial that asks to reduce the request and does not offer to
 * "try again later" (tollgate serve's too-large answer; Anthropic's own
 * token denials also offer a later try, so they stay retryable). */
static bool says_too_large(const struct cls_err *e)
{
    if (has(e->message, "request too large") ||
        has(e->message, "must be reduced"))
        return true;
    return has(e->message, "reduce the prompt length") &&
           !has(e->message, "try again");
}

enum reason cls_classify(const struct cls_config *c, struct cls_resp *r)
{
    struct cls_err e = { 0 };
    bool ok_status = r->status >= 200 && r->status < 300;
    if (ok_status && !sse_like(r) && c->n_rules == 0)
        return REASON_OK; /* the hot path: no body parsing at all */
    bool stream_err = false;
    if (ok_status && sse_like(r)) {
        stream_err = cls_sse_error(r->body, r->body_len, &e) ||
                     (r->tail && cls_sse_error(r->tail, r->tail_len, &e));
    } else if (r->body_len > 0) {
        (void)cls_json_error(r->body, r->body_len, &e);
    }
    for (size_t i = 0; i < c->n_rules; i++)
        if (rule_matches(&c->rules[i], r, &e))
            return (enum reason)c->rules[i].reason;
    if (ok_status && !stream_err)
        return REASON_OK;
    enum reason why = cls_dialect(c->kind, stream_err ? 0 : r->status, &e);
    if ((why == REASON_TOKEN_LIMIT || why == REASON_RATE_LIMIT) &&
        says_too_large(&e))
        r->retry_after_ns = CLIENT_RETRY_NEVER;
    return why;
}

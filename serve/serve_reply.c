/*
 * serve_reply.c - routing and the bytes of serve's answers.
 *
 * Bodies follow the public OpenAI and Anthropic formats closely enough for
 * their SDKs and for tollgate's own classifier: error objects carry the
 * reason table's type and code, successes a usage block equal to what the
 * policy charged.  Everything is written with one appender that keeps
 * snprintf semantics (count what would be written, write what fits), so a
 * caller can size a buffer once and never truncate silently.
 *
 * Invariant: every string that may come from a client (model names) goes
 * through the JSON escaper; reason-table strings are trusted constants.
 */
#include "serve/serve_reply.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

struct out {
    char *buf;
    size_t len;
    size_t pos;                    /* bytes the full output needs so far */
    struct serve_reply_nums *nums; /* numbers of a success body, or NULL */
};

/* What does not fit: as much as fits, one byte kept for the NUL. */
static void put_clipped(struct out *o, const char *s, size_t n)
{
    if (o->pos < o->len) {
        size_t room = o->len - o->pos - 1;
        memcpy(o->buf + o->pos, s, n < room ? n : room);
    }
}

/* Inlined, so that constant strings are copied with a few moves. */
static inline void put(struct out *o, const char *s, size_t n)
{
    if (o->pos < o->len && o->len - o->pos > n)
        memcpy(o->buf + o->pos, s, n);
    else
        put_clipped(o, s, n);
    o->pos += n;
}

static inline void puts_(struct out *o, const char *s)
{
    put(o, s, strlen(s));
}

/* Decimal of v into buf, two digits per division; NUL-terminated. */
static size_t fmt_u64(char *buf, uint64_t v)
{
    static const char pairs[] = "00010203040506070809101112131415161718192021"
                                "22232425262728293031323334353637383940414243"
                                "44454647484950515253545556575859606162636465"
                                "66676869707172737475767778798081828384858687"
                                "888990919293949596979899";
    char tmp[20];
    char *p = tmp + sizeof(tmp);
    while (v >= 100) {
        p -= 2;
        memcpy(p, pairs + 2 * (v % 100), 2);
        v /= 100;
    }
    if (v >= 10) {
        p -= 2;
        memcpy(p, pairs + 2 * v, 2);
    } else {
        *--p = (char)('0' + v);
    }
    size_t n = (size_t)(tmp + sizeof(tmp) - p);
    memcpy(buf, p, n);
    buf[n] = '\0';
    return n;
}

size_t serve_reply_i64(char *buf, int64_t v)
{
    if (v >= 0)
        return fmt_u64(buf, (uint64_t)v);
    buf[0] = '-';
    return 1 + fmt_u64(buf + 1, (uint64_t)0 - (uint64_t)v);
}

size_t serve_reply_reset(char *buf, int64_t ms)
{
    size_t n = 0;
    if (ms <= 0) {
        memcpy(buf, "0s", 3);
        return 2;
    }
    if (ms < 1000) {
        n = fmt_u64(buf, (uint64_t)ms);
        memcpy(buf + n, "ms", 3);
        return n + 2;
    }
    uint64_t secs = (uint64_t)ms / 1000, sub = (uint64_t)ms % 1000;
    uint64_t hours = secs / 3600, mins = secs / 60 % 60;
    if (hours) {
        n += fmt_u64(buf + n, hours);
        buf[n++] = 'h';
    }
    if (hours || mins) {
        n += fmt_u64(buf + n, mins);
        buf[n++] = 'm';
    }
    n += fmt_u64(buf + n, secs % 60);
    if (sub) {
        buf[n++] = '.';
        buf[n++] = (char)('0' + sub / 100);
        if (sub % 100) {
            buf[n++] = (char)('0' + sub / 10 % 10);
            if (sub % 10)
                buf[n++] = (char)('0' + sub % 10);
        }
    }
    buf[n++] = 's';
    buf[n] = '\0';
    return n;
}

/* Two digits of v (0..99) at p. */
static void put2(char *p, unsigned v)
{
    p[0] = (char)('0' + v / 10);
    p[1] = (char)('0' + v % 10);
}

/* The civil date and time of Unix second unix_s >= 0. */
struct civil {
    int64_t year, secs; /* secs: of the day */
    unsigned month, day, wday;
};

static struct civil civil_of(int64_t unix_s)
{
    /* civil date from days since 1970-01-01 (H. Hinnant's algorithm) */
    struct civil c;
    int64_t z = unix_s / 86400;
    c.secs = unix_s % 86400;
    c.wday = (unsigned)((z + 4) % 7); /* 1970-01-01 was a Thursday */
    z += 719468;
    int64_t era = z / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    c.day = doy - (153 * mp + 2) / 5 + 1;
    c.month = mp < 10 ? mp + 3 : mp - 9; /* 1..12 */
    c.year = (int64_t)yoe + era * 400 + (c.month <= 2);
    return c;
}

/* hh:mm:ss of secs (of the day) at buf. */
static void put_clock(char *buf, int64_t secs)
{
    put2(buf, (unsigned)(secs / 3600));
    buf[2] = ':';
    put2(buf + 3, (unsigned)(secs / 60 % 60));
    buf[5] = ':';
    put2(buf + 6, (unsigned)(secs % 60));
}

size_t serve_reply_rfc3339(char *buf, int64_t unix_s)
{
    struct civil c = civil_of(unix_s);
    put2(buf, (unsigned)(c.year / 100 % 100));
    put2(buf + 2, (unsigned)(c.year % 100));
    buf[4] = '-';
    put2(buf + 5, c.month);
    buf[7] = '-';
    put2(buf + 8, c.day);
    buf[10] = 'T';
    put_clock(buf + 11, c.secs);
    memcpy(buf + 19, "Z", 2);
    return SERVE_REPLY_RFC3339_LEN;
}

size_t serve_reply_http_date(char *buf, int64_t unix_s)
{
    static const char days[] = "SunMonTueWedThuFriSat";
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    struct civil c = civil_of(unix_s);
    unsigned wday = c.wday, day = c.day, month = c.month;
    int64_t year = c.year, secs = c.secs;
    memcpy(buf, days + 3 * wday, 3);
    memcpy(buf + 3, ", ", 2);
    put2(buf + 5, day);
    buf[7] = ' ';
    memcpy(buf + 8, months + 3 * (month - 1), 3);
    buf[11] = ' ';
    put2(buf + 12, (unsigned)(year / 100 % 100));
    put2(buf + 14, (unsigned)(year % 100));
    buf[16] = ' ';
    put_clock(buf + 17, secs);
    memcpy(buf + 25, " GMT", 5);
    return SERVE_REPLY_DATE_LEN;
}

static void put_i64(struct out *o, int64_t v)
{
    char tmp[24];
    put(o, tmp, serve_reply_i64(tmp, v));
}

/* Length of the well-formed UTF-8 sequence at p (Unicode table 3-7: no
 * overlong forms, no surrogates, nothing past U+10FFFF), or minus the
 * length of its maximal ill-formed prefix (at least 1), which the caller
 * replaces by one U+FFFD.  p[0] >= 0x80; s ends at the NUL. */
static int utf8_seq(const unsigned char *p)
{
    unsigned char c = p[0], lo = 0x80, hi = 0xBF;
    int n;
    if (c >= 0xC2 && c <= 0xDF)
        n = 2;
    else if (c >= 0xE0 && c <= 0xEF)
        n = 3;
    else if (c >= 0xF0 && c <= 0xF4)
        n = 4;
    else
        return -1;
    if (c == 0xE0)
        lo = 0xA0;
    else if (c == 0xED)
        hi = 0x9F;
    else if (c == 0xF0)
        lo = 0x90;
    else if (c == 0xF4)
        hi = 0x8F;
    if (p[1] < lo || p[1] > hi) /* also stops at the NUL */
        return -1;
    for (int i = 2; i < n; i++)
        if (p[i] < 0x80 || p[i] > 0xBF)
            return -i;
    return n;
}

/* s JSON-escaped, with every ill-formed UTF-8 sequence replaced by
 * U+FFFD, so that the output is valid JSON and valid UTF-8 whatever
 * bytes a client sent. */
static void put_escaped(struct out *o, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        char tmp[8];
        switch (*p) {
        case '"': put(o, "\\\"", 2); break;
        case '\\': put(o, "\\\\", 2); break;
        case '\n': put(o, "\\n", 2); break;
        case '\r': put(o, "\\r", 2); break;
        case '\t': put(o, "\\t", 2); break;
        default:
            if (*p < 0x20) {
                snprintf(tmp, sizeof(tmp), "\\u%04x", *p);
                put(o, tmp, 6);
            } else if (*p < 0x80) {
                put(o, (const char *)p, 1);
            } else {
                int n = utf8_seq(p);
                if (n > 0)
                    put(o, (const char *)p, (size_t)n);
                else
                    put(o, "\xef\xbf\xbd", 3); /* U+FFFD */
                p += (n > 0 ? n : -n) - 1;
            }
        }
    }
}

static size_t finish(struct out *o)
{
    if (o->len > 0)
        o->buf[o->pos < o->len ? o->pos : o->len - 1] = '\0';
    return o->pos;
}

size_t serve_reply_escape(char *buf, size_t len, const char *s)
{
    struct out o = { buf, len, 0, NULL };
    put_escaped(&o, s);
    return finish(&o);
}

/* ---- routing ------------------------------------------------------------- */

struct route_row {
    const char *path;
    const char *method;
    enum serve_route route;
};

static const struct route_row routes[] = {
    { "/v1/chat/completions", "POST", SERVE_ROUTE_CHAT },
    { "/v1/completions", "POST", SERVE_ROUTE_COMPLETIONS },
    { "/v1/messages", "POST", SERVE_ROUTE_MESSAGES },
    { "/v1/models", "GET", SERVE_ROUTE_MODELS },
    { "/tollgate/state", "GET", SERVE_ROUTE_ADMIN_STATE },
    { "/tollgate/metrics", "GET", SERVE_ROUTE_ADMIN_METRICS },
    { "/tollgate/events", "POST", SERVE_ROUTE_ADMIN_EVENTS },
    { "/tollgate/key", "GET", SERVE_ROUTE_ADMIN_KEY },
};

#define N_ROUTES (sizeof(routes) / sizeof(routes[0]))

static bool path_is(const char *url, size_t n, const char *path)
{
    size_t pn = strlen(path);
    if (n == pn + 1 && url[pn] == '/')
        n = pn;
    return n == pn && memcmp(url, path, pn) == 0;
}

enum serve_route serve_reply_route(const char *method, const char *url,
                                   bool *method_ok)
{
    size_t n = strcspn(url, "?#");
    *method_ok = true;
    for (size_t i = 0; i < N_ROUTES; i++) {
        if (!path_is(url, n, routes[i].path))
            continue;
        *method_ok = strcmp(method, routes[i].method) == 0 ||
                     (strcmp(method, "HEAD") == 0 &&
                      strcmp(routes[i].method, "GET") == 0);
        return routes[i].route;
    }
    return SERVE_ROUTE_NONE;
}

bool serve_reply_is_api(enum serve_route r)
{
    return r == SERVE_ROUTE_CHAT || r == SERVE_ROUTE_COMPLETIONS ||
           r == SERVE_ROUTE_MESSAGES;
}

bool serve_reply_is_admin(enum serve_route r)
{
    return r == SERVE_ROUTE_ADMIN_STATE || r == SERVE_ROUTE_ADMIN_METRICS ||
           r == SERVE_ROUTE_ADMIN_EVENTS || r == SERVE_ROUTE_ADMIN_KEY;
}

enum serve_dialect serve_reply_dialect(enum serve_route r)
{
    return r == SERVE_ROUTE_MESSAGES ? SERVE_ANTHROPIC : SERVE_OPENAI;
}

/* ---- request helpers ----------------------------------------------------- */

const char *serve_reply_key(const char *authorization, const char *x_api_key)
{
    if (authorization != NULL) {
        const char *p = authorization;
        while (*p == ' ')
            p++;
        if (strncasecmp(p, "Bearer", 6) == 0 && p[6] == ' ') {
            p += 6;
            while (*p == ' ')
                p++;
            if (*p != '\0')
                return p;
        }
    }
    if (x_api_key != NULL && x_api_key[0] != '\0')
        return x_api_key;
    return NULL;
}

enum serve_admin_need serve_reply_admin_need(enum serve_route r,
                                             bool have_token)
{
    switch (r) {
    case SERVE_ROUTE_ADMIN_EVENTS:
        return have_token ? SERVE_ADMIN_TOKEN : SERVE_ADMIN_OPEN;
    case SERVE_ROUTE_ADMIN_KEY:
        return have_token ? SERVE_ADMIN_TOKEN : SERVE_ADMIN_OFF;
    default: return SERVE_ADMIN_OPEN;
    }
}

bool serve_reply_admin_ok(const char *authorization, const char *token)
{
    const char *t = serve_reply_key(authorization, NULL);
    if (t == NULL || token == NULL)
        return false;
    size_t n = strlen(t), m = strlen(token);
    unsigned char diff = n != m;
    for (size_t i = 0; i < m; i++) /* no early exit: no timing hint */
        diff |= (unsigned char)(token[i] ^ (i < n ? t[i] : 0));
    return diff == 0;
}

int64_t serve_reply_estimate_tokens(size_t text_bytes)
{
    return (int64_t)((text_bytes + 3) / 4);
}

int64_t serve_reply_retry_after_s(int64_t wait_ns)
{
    int64_t s = (wait_ns + 999999999LL) / 1000000000LL;
    return s < 1 ? 1 : s;
}

/* ---- bodies -------------------------------------------------------------- */

int serve_reply_status(enum reason r, enum serve_dialect d)
{
    const struct reason_info *ri = reason_get(r);
    return d == SERVE_ANTHROPIC ? ri->anthropic_status : ri->http_status;
}

/* The message of a request too large for its limit (see the header). */
static void put_too_large(struct out *o, const struct serve_reply_denial *d)
{
    const char *name = d->limit_name != NULL ? d->limit_name : "the limit";
    const char *unit = d->reason == REASON_TOKEN_LIMIT ? "tokens" : "requests";
    if (d->dialect == SERVE_ANTHROPIC) {
        puts_(o, "This request would exceed the rate limit for ");
        puts_(o, unit);
        puts_(o, " on ");
        put_escaped(o, name);
        puts_(o, " (");
        put_i64(o, d->limit);
        puts_(o, "): Requested ");
        put_i64(o, d->requested);
        puts_(o, ". Please reduce the prompt length or the maximum tokens "
                 "requested.");
        return;
    }
    puts_(o, "Request too large for ");
    put_escaped(o, d->req_model != NULL ? d->req_model : "the model");
    puts_(o, " on ");
    put_escaped(o, name);
    puts_(o, ": Limit ");
    put_i64(o, d->limit);
    puts_(o, ", Requested ");
    put_i64(o, d->requested);
    puts_(o, ". The input or output tokens must be reduced in order to run "
             "successfully.");
}

static void put_message(struct out *o, const struct serve_reply_denial *d)
{
    const struct reason_info *ri = reason_get(d->reason);
    if (d->too_large && d->limit >= 0) {
        put_too_large(o, d);
        return;
    }
    if (d->model != NULL && (d->reason == REASON_FEATURE_SUSPENDED ||
                             d->reason == REASON_PERMISSION_REVOKED ||
                             d->reason == REASON_BAD_REQUEST)) {
        puts_(o, "Model '");
        put_escaped(o, d->model);
        puts_(o, "': ");
    }
    puts_(o, ri->message);
    if (d->limit_name != NULL && d->limit >= 0) {
        puts_(o, " Limit ");
        put_escaped(o, d->limit_name);
        puts_(o, ": ");
        put_i64(o, d->limit);
        puts_(o, ".");
    }
    if (d->retry_ns > 0 && ri->retryable) { /* 0: no known wait */
        char tmp[48];
        int64_t ms = (d->retry_ns + 999999) / 1000000;
        if (ms < 1000)
            snprintf(tmp, sizeof(tmp), " Please try again in %lldms.",
                     (long long)ms);
        else
            snprintf(tmp, sizeof(tmp), " Please try again in %.3gs.",
                     (double)ms / 1000.0);
        puts_(o, tmp);
    }
}

size_t serve_reply_error(char *buf, size_t len,
                         const struct serve_reply_denial *d)
{
    const struct reason_info *ri = reason_get(d->reason);
    struct out o = { buf, len, 0, NULL };
    if (d->dialect == SERVE_ANTHROPIC) {
        puts_(&o, "{\"type\":\"error\",\"error\":{\"type\":\"");
        puts_(&o, ri->anthropic_type);
        puts_(&o, "\",\"message\":\"");
        put_message(&o, d);
        puts_(&o, "\"}}");
    } else {
        puts_(&o, "{\"error\":{\"message\":\"");
        put_message(&o, d);
        puts_(&o, "\",\"type\":\"");
        puts_(&o, ri->error_type);
        puts_(&o, "\",\"param\":null,\"code\":\"");
        puts_(&o, ri->error_code);
        puts_(&o, "\"}}");
    }
    return finish(&o);
}

#define FILLER "This response was generated by tollgate serve."

/* A number of a success body, noted in o->nums when asked for. */
static void put_num(struct out *o, const char *text, size_t n)
{
    struct serve_reply_nums *u = o->nums;
    if (u != NULL && u->n < SERVE_REPLY_OK_NUMS) {
        u->at[u->n] = o->pos;
        u->len[u->n] = n;
        memcpy(u->text[u->n], text, n + 1);
        u->n++;
    }
    put(o, text, n);
}

static void put_num_i64(struct out *o, int64_t v)
{
    char tmp[24];
    put_num(o, tmp, serve_reply_i64(tmp, v));
}

static void put_num_u64(struct out *o, uint64_t v)
{
    char tmp[24];
    put_num(o, tmp, fmt_u64(tmp, v));
}

static void put_openai_usage(struct out *o, const struct serve_reply_ok *r)
{
    puts_(o, "\"usage\":{\"prompt_tokens\":");
    put_num_i64(o, r->prompt_tokens);
    puts_(o, ",\"completion_tokens\":");
    put_num_i64(o, r->completion_tokens);
    puts_(o, ",\"total_tokens\":");
    put_num_i64(o, r->prompt_tokens + r->completion_tokens);
    puts_(o, "}}");
}

static void put_head(struct out *o, const struct serve_reply_ok *r,
                     const char *id_prefix, const char *object)
{
    puts_(o, "{\"id\":\"");
    puts_(o, id_prefix);
    put_num_u64(o, r->id);
    puts_(o, "\",\"object\":\"");
    puts_(o, object);
    puts_(o, "\",\"created\":");
    put_num_i64(o, r->created_s);
    puts_(o, ",\"model\":\"");
    put_escaped(o, r->model);
    puts_(o, "\",");
}

static void put_chat(struct out *o, const struct serve_reply_ok *r)
{
    put_head(o, r, "chatcmpl-tg", "chat.completion");
    puts_(o, "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
             "\"content\":\"" FILLER "\"},\"logprobs\":null,"
             "\"finish_reason\":\"stop\"}],");
    put_openai_usage(o, r);
}

static void put_completion(struct out *o, const struct serve_reply_ok *r)
{
    put_head(o, r, "cmpl-tg", "text_completion");
    puts_(o, "\"choices\":[{\"text\":\"" FILLER "\",\"index\":0,"
             "\"logprobs\":null,\"finish_reason\":\"stop\"}],");
    put_openai_usage(o, r);
}

static void put_message_ok(struct out *o, const struct serve_reply_ok *r)
{
    puts_(o, "{\"id\":\"msg_tg");
    put_num_u64(o, r->id);
    puts_(o, "\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"");
    put_escaped(o, r->model);
    puts_(o, "\",\"content\":[{\"type\":\"text\",\"text\":\"" FILLER "\"}],"
             "\"stop_reason\":\"end_turn\",\"stop_sequence\":null,"
             "\"usage\":{\"input_tokens\":");
    put_num_i64(o, r->prompt_tokens);
    puts_(o, ",\"output_tokens\":");
    put_num_i64(o, r->completion_tokens);
    puts_(o, "}}");
}

size_t serve_reply_success_nums(char *buf, size_t len,
                                const struct serve_reply_ok *r,
                                struct serve_reply_nums *nums)
{
    struct out o = { buf, len, 0, nums };
    if (nums != NULL)
        nums->n = 0;
    if (r->route == SERVE_ROUTE_MESSAGES)
        put_message_ok(&o, r);
    else if (r->route == SERVE_ROUTE_COMPLETIONS)
        put_completion(&o, r);
    else
        put_chat(&o, r);
    return finish(&o);
}

size_t serve_reply_success(char *buf, size_t len,
                           const struct serve_reply_ok *r)
{
    return serve_reply_success_nums(buf, len, r, NULL);
}

void serve_reply_ok_nums(const struct serve_reply_ok *r,
                         struct serve_reply_nums *nums)
{
    nums->n = 0;
    nums->len[nums->n] = fmt_u64(nums->text[nums->n], r->id);
    nums->n++;
    if (r->route != SERVE_ROUTE_MESSAGES) {
        nums->len[nums->n] = serve_reply_i64(nums->text[nums->n], r->created_s);
        nums->n++;
    }
    nums->len[nums->n] = serve_reply_i64(nums->text[nums->n], r->prompt_tokens);
    nums->n++;
    nums->len[nums->n] =
        serve_reply_i64(nums->text[nums->n], r->completion_tokens);
    nums->n++;
    if (r->route != SERVE_ROUTE_MESSAGES) {
        nums->len[nums->n] = serve_reply_i64(
            nums->text[nums->n], r->prompt_tokens + r->completion_tokens);
        nums->n++;
    }
}

size_t serve_reply_models(char *buf, size_t len, const char *const *names,
                          size_t n)
{
    struct out o = { buf, len, 0, NULL };
    puts_(&o, "{\"object\":\"list\",\"data\":[");
    for (size_t i = 0; i < n; i++) {
        puts_(&o, i ? ",{\"id\":\"" : "{\"id\":\"");
        put_escaped(&o, names[i]);
        puts_(&o, "\",\"object\":\"model\",\"created\":0,"
                  "\"owned_by\":\"tollgate\"}");
    }
    puts_(&o, "]}");
    return finish(&o);
}

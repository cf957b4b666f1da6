/*
 * json.c - bounded JSON DOM parser and a small streaming writer.
 *
 * Parser: one recursive-descent pass over the input, emitting nodes in
 * document (pre-order) order into the caller's array; the first child of a
 * container is the node right after it, and each child links to its next
 * sibling.  Recursion depth is bounded by max_depth (itself capped at
 * PARSE_DEPTH_CAP), node count by the array, input by max_bytes.  Strings
 * are validated (escapes, surrogate pairs, no raw control characters) but
 * left escaped in the input; bytes >= 0x80 are passed through unchecked.
 * Numbers follow RFC 8259 exactly; short integers are converted without
 * strtod, others with strtod on a bounded copy (C locale assumed, as
 * tollgate never calls setlocale).
 *
 * Writer: tracks nesting and commas; after the first failed write it writes
 * nothing more and json_w_finish() reports ERR_IO with that write's errno.
 *
 * Cursor: the parser's grammar (scan_number, json_scan_string, the same
 * number rules) one step per call, with the nesting in a bit stack.
 *
 * Not here: comments, NaN/Infinity literals, duplicate
 * key detection (json_get returns the first match).
 */
#include "core/base/json.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define PARSE_DEPTH_CAP 1024

/* ---- parser -----------------------------------------------------------------
 */

struct pstate {
    const char *s, *p, *end;
    struct json_node *nodes;
    size_t n, cap;
    int max_depth;
    int err;
};

static int fail(struct pstate *ps, int err)
{
    if (ps->err == ERR_OK)
        ps->err = err;
    return -1;
}

static int new_node(struct pstate *ps, enum json_type t)
{
    if (ps->n >= ps->cap)
        return fail(ps, ERR_TOOBIG);
    struct json_node *nd = &ps->nodes[ps->n];
    memset(nd, 0, sizeof(*nd));
    nd->type = (uint8_t)t;
    nd->p = ps->p;
    return (int)ps->n++;
}

static void skip_ws(struct pstate *ps)
{
    const char *p = ps->p, *end = ps->end;
    while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
        p++;
    ps->p = p;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Reads 4 hex digits at p (p + 4 <= end checked by caller); -1 if bad. */
static long hex4(const char *p)
{
    long v = 0;
    for (int k = 0; k < 4; k++) {
        int h = hexval(p[k]);
        if (h < 0)
            return -1;
        v = v * 16 + h;
    }
    return v;
}

/* Validates one escape at p (after the backslash); returns the bytes it
 * spans (after the backslash) or 0 when malformed. */
static size_t check_escape(const char *p, const char *end)
{
    if (p >= end)
        return 0;
    if (strchr("\"\\/bfnrt", *p) != NULL && *p != '\0')
        return 1;
    if (*p != 'u' || end - p < 5)
        return 0;
    long cp = hex4(p + 1);
    if (cp < 0 || (cp >= 0xDC00 && cp <= 0xDFFF))
        return 0; /* bad digits or lone low surrogate */
    if (cp < 0xD800 || cp > 0xDBFF)
        return 5;
    if (end - p < 11 || p[5] != '\\' || p[6] != 'u')
        return 0; /* high surrogate without its pair */
    long lo = hex4(p + 7);
    return (lo >= 0xDC00 && lo <= 0xDFFF) ? 11 : 0;
}

/* Bytes that end the fast scan of a string: controls, quote, backslash. */
static const uint8_t str_stop[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x00 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x10 */
    0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x20: '"' */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x30 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x40 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, /* 0x50: '\\' */
};

bool json_scan_string(const char **pp, const char *end, size_t *len,
                      bool *escaped)
{
    const char *start = *pp + 1, *p = start; /* after the opening quote */
    *escaped = false;
    for (;;) {
        while (p < end && !str_stop[(unsigned char)*p])
            p++;
        if (p == end || (unsigned char)*p < 0x20)
            break;
        if (*p == '"') {
            *len = (size_t)(p - start);
            *pp = p + 1;
            return true;
        }
        size_t n = check_escape(p + 1, end); /* *p is a backslash */
        if (n == 0)
            break;
        *escaped = true;
        p += 1 + n;
    }
    *pp = p;
    return false;
}

static int parse_string(struct pstate *ps)
{
    int i = new_node(ps, JSON_STRING);
    if (i < 0)
        return -1;
    const char *start = ps->p + 1;
    size_t len = 0;
    bool escaped;
    if (!json_scan_string(&ps->p, ps->end, &len, &escaped))
        return fail(ps, ERR_PARSE);
    ps->nodes[i].p = start;
    ps->nodes[i].len = (uint32_t)len;
    ps->nodes[i].escaped = escaped;
    return i;
}

static const char *scan_digits(const char *p, const char *end)
{
    while (p < end && *p >= '0' && *p <= '9')
        p++;
    return p;
}

/* Scans the number grammar from ps->p; returns its end or NULL. */
static const char *scan_number(const char *p, const char *end, bool *is_int)
{
    *is_int = true;
    if (p < end && *p == '-')
        p++;
    if (p == end || *p < '0' || *p > '9')
        return NULL;
    p = (*p == '0') ? p + 1 : scan_digits(p, end);
    if (p < end && *p == '.') {
        const char *q = scan_digits(p + 1, end);
        if (q == p + 1)
            return NULL;
        p = q;
        *is_int = false;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < end && (*p == '+' || *p == '-'))
            p++;
        const char *q = scan_digits(p, end);
        if (q == p)
            return NULL;
        p = q;
        *is_int = false;
    }
    return p;
}

/* The value of the number literal start..e (scanned by scan_number):
 * ERR_OK with *v, ERR_TOOBIG (longer than JSON_NUM_MAX_CHARS) or
 * ERR_PARSE (not finite). */
static int number_value(const char *start, const char *e, bool is_int,
                        double *v)
{
    size_t len = (size_t)(e - start);
    if (len > JSON_NUM_MAX_CHARS)
        return ERR_TOOBIG;
    size_t digits = len - (*start == '-');
    if (is_int && digits <= 15) {
        int64_t acc = 0;
        for (const char *q = start + (*start == '-'); q < e; q++)
            acc = acc * 10 + (*q - '0');
        *v = (double)acc;
        if (*start == '-')
            *v = -*v; /* "-0" is -0.0, as json_fmt_num writes it */
        return ERR_OK;
    }
    char buf[JSON_NUM_MAX_CHARS + 1];
    memcpy(buf, start, len);
    buf[len] = '\0';
    *v = strtod(buf, NULL);
    return isfinite(*v) ? ERR_OK : ERR_PARSE;
}

static int parse_number(struct pstate *ps)
{
    bool is_int;
    const char *start = ps->p;
    const char *e = scan_number(start, ps->end, &is_int);
    if (e == NULL) {
        ps->p = start;
        return fail(ps, ERR_PARSE);
    }
    double v;
    int rc = number_value(start, e, is_int, &v);
    if (rc != ERR_OK)
        return fail(ps, rc);
    int i = new_node(ps, JSON_NUMBER);
    if (i < 0)
        return -1;
    ps->nodes[i].num = v;
    ps->nodes[i].len = (uint32_t)(e - start);
    ps->p = e;
    return i;
}

static int parse_literal(struct pstate *ps, const char *word, enum json_type t)
{
    size_t n = strlen(word);
    if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0)
        return fail(ps, ERR_PARSE);
    int i = new_node(ps, t);
    if (i >= 0) {
        ps->nodes[i].len = (uint32_t)n;
        ps->p += n;
    }
    return i;
}

static int parse_value(struct pstate *ps, int depth);

/* Parses the members of an array or object after its opening bracket. */
static int parse_container(struct pstate *ps, int depth, bool is_obj)
{
    if (depth >= ps->max_depth)
        return fail(ps, ERR_TOOBIG);
    int i = new_node(ps, is_obj ? JSON_OBJECT : JSON_ARRAY);
    if (i < 0)
        return -1;
    char close = is_obj ? '}' : ']';
    ps->p++;
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == close) {
        ps->p++;
        return i;
    }
    int prev = -1;
    uint32_t n = 0;
    for (;;) {
        skip_ws(ps);
        int k;
        if (is_obj) {
            if (ps->p == ps->end || *ps->p != '"')
                return fail(ps, ERR_PARSE);
            if ((k = parse_string(ps)) < 0)
                return -1;
            if (prev >= 0)
                ps->nodes[prev].next = (uint32_t)k;
            prev = k;
            n++;
            skip_ws(ps);
            if (ps->p == ps->end || *ps->p != ':')
                return fail(ps, ERR_PARSE);
            ps->p++;
        }
        if ((k = parse_value(ps, depth + 1)) < 0)
            return -1;
        if (prev >= 0)
            ps->nodes[prev].next = (uint32_t)k;
        prev = k;
        n++;
        skip_ws(ps);
        if (ps->p == ps->end)
            return fail(ps, ERR_PARSE);
        char c = *ps->p++;
        if (c == close)
            break;
        if (c != ',')
            return fail(ps, ERR_PARSE);
    }
    ps->nodes[i].len = n;
    return i;
}

static int parse_value(struct pstate *ps, int depth)
{
    skip_ws(ps);
    if (ps->p == ps->end)
        return fail(ps, ERR_PARSE);
    switch (*ps->p) {
    case '{': return parse_container(ps, depth, true);
    case '[': return parse_container(ps, depth, false);
    case '"': return parse_string(ps);
    case 't': return parse_literal(ps, "true", JSON_TRUE);
    case 'f': return parse_literal(ps, "false", JSON_FALSE);
    case 'n': return parse_literal(ps, "null", JSON_NULL);
    default: return parse_number(ps);
    }
}

int json_parse(struct json_doc *doc, const char *text, size_t len,
               struct json_node *nodes, size_t max_nodes, size_t max_bytes,
               int max_depth)
{
    memset(doc, 0, sizeof(*doc));
    if (max_bytes == 0)
        max_bytes = JSON_MAX_BYTES_DEFAULT;
    if (max_depth <= 0)
        max_depth = JSON_MAX_DEPTH_DEFAULT;
    if (max_depth > PARSE_DEPTH_CAP)
        max_depth = PARSE_DEPTH_CAP;
    if (len > max_bytes || len > UINT32_MAX)
        return ERR_TOOBIG;
    struct pstate ps = { text, text,      text + len, nodes,
                         0,    max_nodes, max_depth,  ERR_OK };
    if (max_nodes > UINT32_MAX)
        ps.cap = UINT32_MAX;
    int root = parse_value(&ps, 0);
    if (root >= 0) {
        skip_ws(&ps);
        if (ps.p != ps.end)
            fail(&ps, ERR_PARSE); /* trailing garbage */
    }
    doc->err_pos = (size_t)(ps.p - text);
    if (ps.err != ERR_OK)
        return ps.err;
    doc->text = text;
    doc->len = len;
    doc->nodes = nodes;
    doc->n_nodes = ps.n;
    doc->err_pos = 0;
    return ERR_OK;
}

/* ---- cursor -----------------------------------------------------------------
 * The same grammar as the parser, driven by the reader: the cursor keeps
 * the nesting (a bit per open container: object or array) so that
 * json_cur_next knows which bracket closes and whether a key comes.
 * Every step checks p < end before it reads *p.
 */

bool json_cur_fail(struct json_cur *c, int err)
{
    if (c->err == ERR_OK)
        c->err = err;
    return false;
}

void json_cur_init(struct json_cur *c, const char *text, size_t len,
                   int max_depth)
{
    memset(c, 0, sizeof(*c));
    c->p = text;
    c->end = text + len;
    if (max_depth <= 0)
        max_depth = JSON_MAX_DEPTH_DEFAULT;
    c->max_depth =
        max_depth > JSON_CUR_MAX_DEPTH ? JSON_CUR_MAX_DEPTH : max_depth;
    c->err = len > UINT32_MAX ? ERR_TOOBIG : ERR_OK; /* as json_parse */
}

bool json_cur_number_(struct json_cur *c, struct json_num *out)
{
    bool is_int;
    const char *start = c->p;
    const char *e = scan_number(start, c->end, &is_int);
    if (e == NULL)
        return json_cur_fail(c, ERR_PARSE);
    double v;
    int rc = number_value(start, e, is_int, &v);
    if (rc != ERR_OK)
        return json_cur_fail(c, rc);
    c->p = e;
    if (out != NULL)
        *out = (struct json_num){ start, (size_t)(e - start), v, is_int };
    return true;
}

static bool cur_literal(struct json_cur *c, const char *word, size_t n)
{
    if ((size_t)(c->end - c->p) < n || memcmp(c->p, word, n) != 0)
        return json_cur_fail(c, ERR_PARSE);
    c->p += n;
    return true;
}

bool json_cur_skip(struct json_cur *c)
{
    switch (json_cur_peek(c)) {
    case -1: return json_cur_fail(c, ERR_PARSE);
    case '{':
    case '[':
        if (!json_cur_open(c, *c->p))
            return false;
        while (json_cur_next(c, NULL))
            if (!json_cur_skip(c))
                return false;
        return c->err == ERR_OK;
    case '"': return json_cur_string(c, NULL);
    case 't': return cur_literal(c, "true", 4);
    case 'f': return cur_literal(c, "false", 5);
    case 'n': return cur_literal(c, "null", 4);
    default: return json_cur_number(c, NULL);
    }
}

bool json_cur_end(struct json_cur *c)
{
    if (c->err != ERR_OK)
        return false;
    if (c->depth != 0 || json_cur_peek(c) != -1)
        return json_cur_fail(c, ERR_PARSE);
    return true;
}

/* ---- lookups ----------------------------------------------------------------
 */

bool json_ok(const struct json_doc *d, int i)
{
    return i >= 0 && (size_t)i < d->n_nodes;
}

enum json_type json_type(const struct json_doc *d, int i)
{
    return json_ok(d, i) ? (enum json_type)d->nodes[i].type : JSON_NULL;
}

size_t json_len(const struct json_doc *d, int i)
{
    enum json_type t = json_type(d, i);
    return (json_ok(d, i) && (t == JSON_ARRAY || t == JSON_OBJECT))
               ? d->nodes[i].len
               : 0;
}

int json_child(const struct json_doc *d, int i)
{
    return json_len(d, i) > 0 ? i + 1 : -1;
}

int json_next(const struct json_doc *d, int i)
{
    if (!json_ok(d, i) || d->nodes[i].next == 0)
        return -1;
    return (int)d->nodes[i].next;
}

/* Decodes one character of a validated string at *p into out (UTF-8);
 * returns the number of bytes written (1..4) and advances *p. */
static int decode_char(const char **p, char out[4])
{
    const char *q = *p;
    if (*q != '\\') {
        out[0] = *q;
        *p = q + 1;
        return 1;
    }
    q++;
    static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    const char *f = strchr(from, *q);
    if (*q != 'u' && f != NULL) {
        out[0] = to[f - from];
        *p = q + 1;
        return 1;
    }
    unsigned long cp = (unsigned long)hex4(q + 1);
    q += 5;
    if (cp >= 0xD800 && cp <= 0xDBFF) {
        unsigned long lo = (unsigned long)hex4(q + 2);
        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        q += 6;
    }
    *p = q;
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

bool json_str_eq(const struct json_doc *d, int i, const char *s)
{
    if (json_type(d, i) != JSON_STRING || !json_ok(d, i))
        return false;
    const struct json_node *nd = &d->nodes[i];
    if (!nd->escaped)
        return strlen(s) == nd->len && memcmp(s, nd->p, nd->len) == 0;
    const char *p = nd->p, *end = nd->p + nd->len;
    while (p < end) {
        char buf[4];
        int n = decode_char(&p, buf);
        if (strncmp(s, buf, (size_t)n) != 0 || memchr(s, '\0', (size_t)n))
            return false;
        s += n;
    }
    return *s == '\0';
}

int json_str_copy(const struct json_doc *d, int i, char *buf, size_t cap,
                  size_t *out_len)
{
    if (json_type(d, i) != JSON_STRING || !json_ok(d, i) || cap == 0)
        return cap == 0 ? ERR_TOOBIG : ERR_INVAL;
    const struct json_node *nd = &d->nodes[i];
    const char *p = nd->p, *end = nd->p + nd->len;
    size_t k = 0;
    int rc = ERR_OK;
    while (p < end) {
        char c[4];
        int n = decode_char(&p, c);
        if (k + (size_t)n >= cap) {
            rc = ERR_TOOBIG;
            break;
        }
        memcpy(buf + k, c, (size_t)n);
        k += (size_t)n;
    }
    buf[k] = '\0';
    if (out_len != NULL)
        *out_len = k;
    return rc;
}

int json_get(const struct json_doc *d, int obj, const char *key)
{
    if (json_type(d, obj) != JSON_OBJECT || !json_ok(d, obj))
        return -1;
    for (int k = json_child(d, obj); k >= 0; k = json_next(d, k + 1))
        if (json_str_eq(d, k, key))
            return k + 1;
    return -1;
}

int json_at(const struct json_doc *d, int arr, size_t idx)
{
    if (json_type(d, arr) != JSON_ARRAY || idx >= json_len(d, arr))
        return -1;
    int k = json_child(d, arr);
    for (size_t n = 0; n < idx && k >= 0; n++)
        k = json_next(d, k);
    return k;
}

int json_path(const struct json_doc *d, int i, ...)
{
    va_list ap;
    va_start(ap, i);
    const char *key;
    while (i >= 0 && (key = va_arg(ap, const char *)) != NULL)
        i = json_get(d, i, key);
    va_end(ap);
    return i;
}

bool json_num(const struct json_doc *d, int i, double *out)
{
    if (!json_ok(d, i) || d->nodes[i].type != JSON_NUMBER)
        return false;
    *out = d->nodes[i].num;
    return true;
}

bool json_int64(const struct json_doc *d, int i, int64_t *out)
{
    if (!json_ok(d, i) || d->nodes[i].type != JSON_NUMBER)
        return false;
    const struct json_node *nd = &d->nodes[i];
    const char *p = nd->p, *end = nd->p + nd->len;
    bool neg = *p == '-';
    p += neg;
    uint64_t acc = 0, lim = neg ? (uint64_t)INT64_MAX + 1 : INT64_MAX;
    for (; p < end && *p >= '0' && *p <= '9'; p++) {
        unsigned dg = (unsigned)(*p - '0');
        if (acc > (lim - dg) / 10)
            return false;
        acc = acc * 10 + dg;
    }
    if (p == end) {
        *out = neg ? (int64_t)(0 - acc) : (int64_t)acc;
        return true;
    }
    double v = nd->num; /* 1e3, 2.0: integral values in the exact range */
    if (v != floor(v) || fabs(v) > 9007199254740992.0)
        return false;
    *out = (int64_t)v;
    return true;
}

bool json_bool(const struct json_doc *d, int i, bool *out)
{
    enum json_type t = json_type(d, i);
    if (!json_ok(d, i) || (t != JSON_TRUE && t != JSON_FALSE))
        return false;
    *out = t == JSON_TRUE;
    return true;
}

/* ---- writer -----------------------------------------------------------------
 */

size_t json_escape(char *dst, size_t cap, const char *s, size_t len)
{
    size_t k = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        char tmp[8];
        const char *rep = NULL;
        switch (c) {
        case '"': rep = "\\\""; break;
        case '\\': rep = "\\\\"; break;
        case '\n': rep = "\\n"; break;
        case '\r': rep = "\\r"; break;
        case '\t': rep = "\\t"; break;
        case '\b': rep = "\\b"; break;
        case '\f': rep = "\\f"; break;
        default:
            if (c < 0x20) {
                snprintf(tmp, sizeof(tmp), "\\u%04x", c);
                rep = tmp;
            }
        }
        size_t n = rep ? strlen(rep) : 1;
        if (k + n >= cap)
            return (size_t)-1;
        if (rep)
            memcpy(dst + k, rep, n);
        else
            dst[k] = (char)c;
        k += n;
    }
    if (k >= cap)
        return (size_t)-1;
    dst[k] = '\0';
    return k;
}

char *json_fmt_num(char *buf, size_t len, double v)
{
    if (!isfinite(v)) {
        snprintf(buf, len, "null");
        return buf;
    }
    int prec = 1;
    for (; prec <= 17; prec++) {
        snprintf(buf, len, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    /* %g picks an exponent for 600 at one digit ("6e+02"); readers of CSV
     * and people want plain numbers, so use fixed notation in the range
     * where it stays short, with exactly the digits found above. */
    double mag = fabs(v);
    if (strchr(buf, 'e') != NULL && mag >= 1e-5 && mag < 1e17) {
        int exp10 = (int)floor(log10(mag));
        int decimals = prec - 1 - exp10;
        snprintf(buf, len, "%.*f", decimals > 0 ? decimals : 0, v);
    }
    return buf;
}

static void w_io(struct json_w *w, int rc)
{
    if (rc < 0 && w->err == ERR_OK) {
        w->err = ERR_IO;
        w->saved_errno = errno;
    }
}

static void w_indent(struct json_w *w)
{
    if (!w->pretty)
        return;
    w_io(w, fputc('\n', w->out) == EOF ? -1 : 0);
    for (int k = 0; k < w->depth && w->err == ERR_OK; k++)
        w_io(w, fputs("  ", w->out));
}

/* Comma and indentation before a value or key. */
static bool w_before(struct json_w *w)
{
    if (w->err != ERR_OK)
        return false;
    if (w->after_key) {
        w->after_key = false;
        return true;
    }
    if (w->depth > 0) {
        if (w->need_comma[w->depth])
            w_io(w, fputc(',', w->out) == EOF ? -1 : 0);
        w_indent(w);
        w->need_comma[w->depth] = true;
    }
    return w->err == ERR_OK;
}

void json_w_init(struct json_w *w, FILE *out, bool pretty)
{
    memset(w, 0, sizeof(*w));
    w->out = out;
    w->pretty = pretty;
}

static void w_open(struct json_w *w, char c)
{
    if (!w_before(w))
        return;
    if (w->depth >= JSON_W_MAX_DEPTH) {
        w->err = ERR_RANGE;
        return;
    }
    w_io(w, fputc(c, w->out) == EOF ? -1 : 0);
    w->need_comma[++w->depth] = false;
}

static void w_close(struct json_w *w, char c)
{
    if (w->err != ERR_OK)
        return;
    if (w->depth == 0) {
        w->err = ERR_RANGE;
        return;
    }
    bool had = w->need_comma[w->depth--];
    if (had)
        w_indent(w);
    w_io(w, fputc(c, w->out) == EOF ? -1 : 0);
}

void json_w_obj_begin(struct json_w *w)
{
    w_open(w, '{');
}

void json_w_obj_end(struct json_w *w)
{
    w_close(w, '}');
}

void json_w_arr_begin(struct json_w *w)
{
    w_open(w, '[');
}

void json_w_arr_end(struct json_w *w)
{
    w_close(w, ']');
}

static void w_quoted(struct json_w *w, const char *s, size_t len)
{
    w_io(w, fputc('"', w->out) == EOF ? -1 : 0);
    for (size_t i = 0; i < len && w->err == ERR_OK; i++) {
        char buf[8];
        size_t n = json_escape(buf, sizeof(buf), s + i, 1);
        w_io(w, fwrite(buf, 1, n, w->out) == n ? 0 : -1);
    }
    w_io(w, fputc('"', w->out) == EOF ? -1 : 0);
}

void json_w_key(struct json_w *w, const char *key)
{
    if (!w_before(w))
        return;
    w_quoted(w, key, strlen(key));
    w_io(w, fputs(w->pretty ? ": " : ":", w->out));
    w->after_key = true;
}

void json_w_strn(struct json_w *w, const char *s, size_t len)
{
    if (w_before(w))
        w_quoted(w, s, len);
}

void json_w_str(struct json_w *w, const char *s)
{
    json_w_strn(w, s, strlen(s));
}

static void w_raw(struct json_w *w, const char *text)
{
    if (w_before(w))
        w_io(w, fputs(text, w->out));
}

void json_w_num(struct json_w *w, double v)
{
    char buf[40];
    w_raw(w, json_fmt_num(buf, sizeof(buf), v));
}

void json_w_int(struct json_w *w, int64_t v)
{
    char buf[32];
    snprintf(buf, sizeof(buf), "%lld", (long long)v);
    w_raw(w, buf);
}

void json_w_uint(struct json_w *w, uint64_t v)
{
    char buf[32];
    snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v);
    w_raw(w, buf);
}

void json_w_bool(struct json_w *w, bool v)
{
    w_raw(w, v ? "true" : "false");
}

void json_w_null(struct json_w *w)
{
    w_raw(w, "null");
}

int json_w_finish(struct json_w *w)
{
    if (w->err == ERR_OK && w->depth != 0)
        w->err = ERR_RANGE;
    if (w->err == ERR_OK && w->pretty)
        w_io(w, fputc('\n', w->out) == EOF ? -1 : 0);
    if (w->err == ERR_OK && ferror(w->out)) {
        w->err = ERR_IO;
        w->saved_errno = errno;
    }
    if (w->err == ERR_IO)
        errno = w->saved_errno;
    return w->err;
}

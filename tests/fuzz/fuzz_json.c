/*
 * fuzz_json.c - core/base/json's readers.
 *
 * The input is parsed as a document (json_parse, exact-size buffer) and,
 * when it parses, every node is visited through the accessors: strings
 * decoded into a small and a large buffer, numbers read as double and
 * int64, object members looked up by their decoded key.  Properties:
 *   - json_get finds every key an object holds;
 *   - a number written by json_fmt_num reads back as the same double
 *     (sign of zero included);
 *   - json_scan_string accepts a lone string literal exactly when
 *     json_parse accepts it as a document;
 *   - any bytes escaped by json_escape (and by the writer's json_w_strn),
 *     put between quotes, parse and decode back to the same bytes.
 */
#include "fuzz_common.h"

#include <math.h>

#include "core/base/json.h"

#define MAX_NODES  1024
#define MAX_ESCAPE 4096

static struct json_node nodes[MAX_NODES];
static struct json_node nodes2[4];

static void visit(const struct json_doc *d, int i, int depth);

static void visit_string(const struct json_doc *d, int i)
{
    char small[8], big[4096];
    size_t n = 0;
    int rc = json_str_copy(d, i, small, sizeof(small), &n);
    if (rc != ERR_OK && rc != ERR_TOOBIG)
        fuzz_fail("json_str_copy of a string: %s", err_str(rc));
    rc = json_str_copy(d, i, big, sizeof(big), &n);
    if (rc == ERR_OK && n >= sizeof(big))
        fuzz_fail("json_str_copy length %zu past its buffer", n);
    if (rc == ERR_OK && !json_str_eq(d, i, big) && memchr(big, 0, n) == NULL)
        fuzz_fail("json_str_eq differs from json_str_copy");
}

static void visit_number(const struct json_doc *d, int i)
{
    double v;
    int64_t k;
    if (!json_num(d, i, &v))
        fuzz_fail("a number node without a value");
    (void)json_int64(d, i, &k);
    char buf[64];
    json_fmt_num(buf, sizeof(buf), v);
    struct json_doc d2;
    if (json_parse(&d2, buf, strlen(buf), nodes2, 4, 0, 0) != ERR_OK)
        fuzz_fail("json_fmt_num(%.17g) gives '%s', not JSON", v, buf);
    double w = NAN;
    if (isfinite(v) &&
        (!json_num(&d2, 0, &w) || w != v || signbit(w) != signbit(v)))
        fuzz_fail("json_fmt_num(%.17g) = '%s' reads back as %.17g", v, buf, w);
}

static void visit_object(const struct json_doc *d, int i, int depth)
{
    for (int k = json_child(d, i); k >= 0; k = json_next(d, k + 1)) {
        char key[256];
        size_t n = 0;
        if (json_str_copy(d, k, key, sizeof(key), &n) == ERR_OK &&
            memchr(key, 0, n) == NULL && json_get(d, i, key) < 0)
            fuzz_fail("json_get misses key '%s'", key);
        visit(d, k + 1, depth + 1);
        if (json_next(d, k + 1) == k + 1)
            fuzz_fail("json_next does not advance");
    }
}

static void visit(const struct json_doc *d, int i, int depth)
{
    if (!json_ok(d, i) || depth > 200)
        fuzz_fail("node %d missing at depth %d", i, depth);
    switch (json_type(d, i)) {
    case JSON_STRING: visit_string(d, i); break;
    case JSON_NUMBER: visit_number(d, i); break;
    case JSON_OBJECT: visit_object(d, i, depth); break;
    case JSON_ARRAY: {
        size_t idx = 0;
        for (int k = json_child(d, i); k >= 0; k = json_next(d, k), idx++) {
            if (json_at(d, i, idx) != k)
                fuzz_fail("json_at(%zu) is not the %zu-th child", idx, idx);
            visit(d, k, depth + 1);
        }
        if (idx != json_len(d, i))
            fuzz_fail("array of %zu children walks %zu", json_len(d, i), idx);
        break;
    }
    default: break;
    }
}

/* A lone string literal: the scanner and the parser agree. */
static void check_scan(const char *text, size_t size)
{
    if (size == 0 || text[0] != '"')
        return;
    const char *p = text;
    size_t len = 0;
    bool escaped = false;
    bool scanned = json_scan_string(&p, text + size, &len, &escaped);
    while (scanned && p < text + size &&
           (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    scanned = scanned && p == text + size;
    struct json_doc d;
    bool parsed = json_parse(&d, text, size, nodes2, 4, 0, 0) == ERR_OK;
    if (scanned != parsed)
        fuzz_fail("json_scan_string says %d, json_parse says %d", scanned,
                  parsed);
}

/* Decodes the single string document text and compares it with want. */
static void check_decodes(const char *what, const char *text, size_t len,
                          const char *want, size_t want_len)
{
    struct json_doc d;
    int rc = json_parse(&d, text, len, nodes2, 4, 0, 0);
    if (rc != ERR_OK)
        fuzz_fail("%s output does not parse: %s", what, err_str(rc));
    static char back[MAX_ESCAPE + 1];
    size_t n = 0;
    rc = json_str_copy(&d, 0, back, sizeof(back), &n);
    if (rc != ERR_OK || n != want_len || memcmp(back, want, n) != 0)
        fuzz_fail("%s does not decode back (%s, %zu of %zu bytes)", what,
                  err_str(rc), n, want_len);
}

static void check_escape(const char *s, size_t size)
{
    if (size > MAX_ESCAPE)
        return;
    static char esc[6 * MAX_ESCAPE + 3];
    size_t n = json_escape(esc + 1, sizeof(esc) - 2, s, size);
    if (n == (size_t)-1)
        fuzz_fail("json_escape of %zu bytes does not fit %zu", size,
                  sizeof(esc) - 2);
    esc[0] = '"';
    esc[n + 1] = '"';
    char *exact = fuzz_dup_exact((const uint8_t *)esc, n + 2);
    check_decodes("json_escape", exact, n + 2, s, size);
    free(exact);

    char *buf = NULL;
    size_t len = 0;
    FILE *f = fuzz_ms_open(&buf, &len);
    struct json_w w;
    json_w_init(&w, f, false);
    json_w_strn(&w, s, size);
    if (json_w_finish(&w) != ERR_OK)
        fuzz_fail("json_w_strn failed");
    fuzz_ms_close(f);
    check_decodes("json_w_strn", buf, len, s, size);
    free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_dup_exact(data, size);
    struct json_doc d;
    int rc = json_parse(&d, text, size, nodes, MAX_NODES, 0, 0);
    if (rc == ERR_OK)
        visit(&d, 0, 0);
    else if (rc != ERR_PARSE && rc != ERR_TOOBIG)
        fuzz_fail("json_parse returned %s", err_str(rc));
    check_scan(text, size);
    check_escape(text, size);
    free(text);
    return 0;
}

/*
 * fuzz_trace.c - the request-trace reader (core/model/trace.h).
 *
 * The input is a whole trace file: written to a temporary file and
 * replayed through trace_open/trace_next (CSV or JSON lines, chosen by
 * its first byte), with scale 2 and a jitter so that the copy heap is
 * exercised.  Properties: replay times never decrease; every account is
 * below the population's count; the requests handed out plus the lines
 * skipped, before the start, or beyond the account budget add up; every
 * skipped reason names a line inside the file.  Each line is also given
 * to trace_parse_jsonl and trace_parse_time directly (exact-size copies,
 * so a read past the end is caught).
 */
#include "fuzz_common.h"

#include <math.h>

#include "core/model/trace.h"

static struct fuzz_file in_file;

static void check_lines(const uint8_t *data, size_t size)
{
    size_t start = 0;
    for (size_t i = 0; i <= size; i++) {
        if (i < size && data[i] != '\n')
            continue;
        size_t n = i - start;
        char *line = fuzz_dup_exact(data + start, n);
        struct trace_line l;
        enum trace_skip why = TRACE_SKIP_COUNT;
        if (trace_parse_jsonl(line, n, &l, &why)) {
            if (l.account == NULL || l.account_len == 0 || !isfinite(l.time_s))
                fuzz_fail("a JSON line parsed without account or time");
        } else if (why >= TRACE_SKIP_COUNT) {
            fuzz_fail("a JSON line refused without a reason");
        }
        double t;
        if (trace_parse_time(line, n, &t) && !isfinite(t))
            fuzz_fail("a time parsed as %g", t);
        free(line);
        start = i + 1;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_lines(data, size);
    const char *path = fuzz_file_put(&in_file, data, size);
    static const char *const models[] = { "chat", "large" };
    struct trace_cfg cfg = { .path = path,
                             .speed = 2,
                             .scale = 2,
                             .jitter_ns = 1000000000,
                             .accounts = 8,
                             .end_ns = INT64_MAX / 2,
                             .seed = 1,
                             .models = models,
                             .n_models = 2 };
    struct trace_src *s = NULL;
    char err[256];
    if (trace_open(&cfg, &s, err, sizeof(err)) != ERR_OK)
        return 0;
    struct trace_rec r;
    int64_t last = INT64_MIN, n = 0;
    while (trace_next(s, &r)) {
        if (r.t_ns < last)
            fuzz_fail("replay time went back: %lld after %lld",
                      (long long)r.t_ns, (long long)last);
        if (r.account < 0 || r.account >= cfg.accounts)
            fuzz_fail("account %lld of 8", (long long)r.account);
        if (r.model < -1 || r.model >= 2)
            fuzz_fail("model %d", r.model);
        last = r.t_ns;
        n++;
    }
    struct trace_stats st;
    trace_stats_get(s, &st);
    if (st.requests != n)
        fuzz_fail("%lld requests counted, %lld handed out",
                  (long long)st.requests, (long long)n);
    size_t lines = 1;
    for (size_t i = 0; i < size; i++)
        lines += data[i] == '\n';
    for (int k = 0; k < TRACE_SKIP_COUNT; k++)
        if (st.skipped[k] > 0 &&
            (st.first_line[k] < 1 || (size_t)st.first_line[k] > lines))
            fuzz_fail("%s first at line %lld of %zu", trace_skip_id(k),
                      (long long)st.first_line[k], lines);
    trace_close(s);
    return 0;
}

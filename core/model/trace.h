/*
 * trace.h - replaying a recorded request trace as a population's
 * arrivals (`traffic: { trace: ... }`, docs/trace-replay.md).
 *
 * A trace is CSV with a header row, or JSON lines (one object per line),
 * with one request per line:
 *   time     seconds (fractions allowed) since any origin, or an ISO 8601
 *            UTC time "2026-05-01T12:00:00.250Z" (also with a space, no
 *            zone = UTC); *_ms columns hold milliseconds
 *   account  any string naming the caller (account, key or user id)
 *   model    a model name of the policy (optional)
 *   prompt and completion tokens (optional, default 0)
 *   n_requests (optional, default 1): that many identical requests at
 *            that time (aggregated exports such as OpenAI's usage export)
 * Column (or member) names are matched case-insensitively against the
 * aliases in trace_parse.c: time: timestamp, ts, time, t,
 * created, created_at, aggregation_timestamp, start_time, date (and
 * timestamp_ms, ts_ms, time_ms); account: account, account_id, key,
 * key_id, api_key, api_key_id, user, user_id, project_id, organization_id,
 * snapshot... (see TRACE aliases in trace_parse.c); model: model,
 * snapshot_id, model_id; prompt: prompt_tokens, input_tokens,
 * n_context_tokens_total, context_tokens; completion: completion_tokens,
 * output_tokens, n_generated_tokens_total, generated_tokens, max_tokens.
 *
 * The source streams: one line in memory at a time (at most
 * TRACE_MAX_LINE bytes), plus the distinct accounts seen (each mapped, in
 * order of first appearance, to one of the population's accounts) and,
 * with scale > 1, the copies waiting for their jittered time.  Lines are
 * expected in time order.  A line that cannot be used is skipped and
 * counted under one reason with the number of its first occurrence
 * (trace_stats): nothing is dropped silently.
 */
#ifndef TOLLGATE_TRACE_H
#define TOLLGATE_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/base/err.h"
#include "core/base/rng.h"

#define TRACE_MAX_LINE  65536 /* bytes of one line, newline included */
#define TRACE_MAX_SCALE 1000

enum trace_format { TRACE_AUTO = 0, TRACE_CSV, TRACE_JSONL };

/* Why a line was skipped. */
enum trace_skip {
    TRACE_SKIP_MALFORMED = 0, /* not CSV of the header's width / not JSON */
    TRACE_SKIP_NO_TIME,       /* time missing or not a time */
    TRACE_SKIP_NO_ACCOUNT,    /* account missing or empty */
    TRACE_SKIP_BAD_NUMBER,    /* tokens or n_requests not a count */
    TRACE_SKIP_UNKNOWN_MODEL, /* model not in the policy */
    TRACE_SKIP_OUT_OF_ORDER,  /* earlier than the line before */
    TRACE_SKIP_TOO_LONG,      /* longer than TRACE_MAX_LINE */
    TRACE_SKIP_ACCOUNTS,      /* more distinct accounts than count */
    TRACE_SKIP_COUNT
};

/* The id of a skip reason ("malformed", "no_time", ...). */
const char *trace_skip_id(enum trace_skip s);

/* ---- one line (pure; fuzzed by tests/fuzz/fuzz_trace.c) ---------------- */

/* Which CSV column holds what; -1: absent. */
struct trace_cols {
    int time, account, model, prompt, completion, n_requests;
    bool time_ms; /* the time column holds milliseconds */
    int n_cols;   /* columns of the header */
};

#define TRACE_SCRATCH 256 /* bytes of one decoded JSON string */

/* One parsed line.  Strings point into the caller's line buffer (CSV) or
 * into scratch (JSON strings, decoded; a string longer than TRACE_SCRATCH
 * counts as absent, so the line is skipped if it was the time or the
 * account). */
struct trace_line {
    double time_s; /* seconds since the trace's own origin */
    const char *account;
    size_t account_len;
    const char *model; /* NULL: none */
    size_t model_len;
    int64_t prompt, completion, n_requests;
    char scratch[6 * TRACE_SCRATCH];
};

/* Reads a CSV header row; ERR_PARSE when it has no time or no account
 * column (err says which aliases were looked for). */
int trace_parse_header(const char *line, size_t len, struct trace_cols *out,
                       char *err, size_t err_len) WARN_UNUSED;

/* Parses one CSV line (quoted fields as RFC 4180) or one JSON line
 * (cols NULL).  buf is modified in place (unquoting).  Returns true and
 * fills out, or false with *why. */
bool trace_parse_csv(const struct trace_cols *cols, char *buf, size_t len,
                     struct trace_line *out, enum trace_skip *why);
bool trace_parse_jsonl(char *buf, size_t len, struct trace_line *out,
                       enum trace_skip *why);

/* Seconds since 1970 of an ISO 8601 UTC time or a plain number; false
 * when s is neither. */
bool trace_parse_time(const char *s, size_t len, double *out_s);

/* ---- the source ---------------------------------------------------------- */

struct trace_cfg {
    const char *path;
    enum trace_format format; /* TRACE_AUTO: by the first line ('{') */
    double speed;             /* > 0; 2 = twice as fast */
    int64_t start_ns;         /* trace time skipped from its first line */
    int scale;                /* copies of every line, 1..TRACE_MAX_SCALE */
    int64_t jitter_ns;        /* copies 2.. shifted by uniform [0, jitter) */
    int64_t accounts;         /* population's accounts (count) */
    int64_t end_ns;           /* stop once replay time reaches it */
    uint64_t seed;            /* jitter stream (RNG_ARRIVALS of the pop) */
    uint64_t stream;
    /* model names of the policy, for the model column */
    const char *const *models;
    size_t n_models;
};

struct trace_rec {
    int64_t t_ns;    /* replay time */
    int64_t account; /* 0 .. accounts - 1 */
    int model;       /* policy model index; -1: the trace has none */
    int64_t prompt, completion;
};

struct trace_stats {
    int64_t lines;    /* lines read, header excluded */
    int64_t requests; /* requests handed out (copies and n_requests
                         included) */
    int64_t skipped[TRACE_SKIP_COUNT];
    int64_t first_line[TRACE_SKIP_COUNT]; /* 1-based line of the first */
    int64_t before_start;                 /* lines inside the start: offset */
    bool truncated; /* stopped at end_ns with lines left */
    int64_t distinct_accounts;
};

struct trace_src;

/* Opens cfg->path (the config is copied; models must outlive the source).
 * Errors: ERR_IO (errno kept) or ERR_PARSE (a CSV header without time or
 * account; message in err). */
int trace_open(const struct trace_cfg *cfg, struct trace_src **out, char *err,
               size_t err_len) WARN_UNUSED;

/* The next request in replay-time order; false at the end (or end_ns). */
bool trace_next(struct trace_src *s, struct trace_rec *out);

void trace_stats_get(const struct trace_src *s, struct trace_stats *out);

/* Writes "trace: N lines, M requests; skipped: K malformed (first at
 * line L), ..." for people (one line, no newline). */
void trace_stats_fmt(const struct trace_stats *st, char *buf, size_t len);

void trace_close(struct trace_src *s);

#endif

/*
 * results.h - the results directory: writers and readers.
 *
 * A results directory holds summary.json, timeseries.csv, latency.hgrm,
 * histograms.tgh (lossless, mergeable), events.csv and scenario.yaml; the
 * formats are documented in docs/results-format.md.
 * Every file is written atomically: into a temporary file in the same
 * directory, flushed, fsync'ed, then renamed over the final name, so a
 * reader never sees half a file.
 *
 * These functions write to the FILE * or paths they are given and never
 * print.  Writers return ERR_OK or ERR_IO with errno preserved from the
 * failing call.  Readers return ERR_IO (errno kept), ERR_PARSE or
 * ERR_TOOBIG and, when err is non-NULL, a one-line message
 * "path:line: what is wrong" in err[0..err_len).
 */
#ifndef TOLLGATE_RESULTS_H
#define TOLLGATE_RESULTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/base/err.h"
#include "core/base/reason.h"
#include "core/stats/record.h"
#include "core/stats/summary.h"

#define RESULTS_SUMMARY    "summary.json"
#define RESULTS_TIMESERIES "timeseries.csv"
#define RESULTS_HGRM       "latency.hgrm"
#define RESULTS_TGH        "histograms.tgh"
#define RESULTS_EVENTS     "events.csv"
#define RESULTS_SCENARIO   "scenario.yaml"

#define RESULTS_MAX_FILE_BYTES (512u * 1024 * 1024) /* reader input limit */
#define RESULTS_TGH_VERSION    2

struct scenario;
struct timeline_row;

/* Creates dir and its missing parents (mode 0777 & ~umask).  ERR_IO. */
int results_mkdir(const char *dir) WARN_UNUSED;

/* Checks, before a run starts, that results can be written to dir: each
 * missing directory on the way is created, a temporary file is created
 * and removed inside dir, then the directories it created are removed
 * again, so a later failure leaves nothing behind.  ERR_IO (errno kept)
 * with "PATH: what failed: strerror" in err, PATH being the directory
 * that could not be created or written. */
int results_check_dir(const char *dir, char *err, size_t err_len) WARN_UNUSED;

/* Writes one file atomically: fn(ctx, tmp) writes the content (returning
 * an enum err), then flush + fsync + rename to dir/name.  On any failure
 * the temporary file is removed and the error returned (ERR_IO: errno of
 * the failing call). */
typedef int results_write_fn(void *ctx, FILE *out);
int results_write_atomic(const char *dir, const char *name,
                         results_write_fn *fn, void *ctx) WARN_UNUSED;

/* ---- content writers (to a FILE *) --------------------------------------- */

/* summary.json, pretty printed, names of docs/results-format.md. */
int results_fwrite_summary(FILE *out, const struct summary *s) WARN_UNUSED;
/* timeseries.csv: header + one row per covered interval (rec_n_covered),
 * columns as docs/results-format.md lists them. */
int results_fwrite_timeseries(FILE *out, const struct rec *r) WARN_UNUSED;
/* latency.hgrm: the overall latency (rec_lat_all) in ms. */
int results_fwrite_hgrm(FILE *out, const struct rec *r) WARN_UNUSED;
/* histograms.tgh, format version RESULTS_TGH_VERSION. */
int results_fwrite_tgh(FILE *out, const struct rec *r) WARN_UNUSED;

/* One events.csv row: start_s,end_s,kind,label (end_s = start_s for
 * instantaneous events; label may be NULL or contain commas/quotes: it is
 * quoted as CSV when needed). */
struct results_event {
    double start_s, end_s;
    const char *kind; /* event kind as docs/scenario-format.md */
    const char *label;
};
int results_fwrite_events(FILE *out, const struct results_event *ev,
                          size_t n) WARN_UNUSED;

/* ---- directory writers (atomic files in dir, which must exist) ---------- */

int results_write_summary(const char *dir, const struct summary *s) WARN_UNUSED;
int results_write_timeseries(const char *dir, const struct rec *r) WARN_UNUSED;
int results_write_hgrm(const char *dir, const struct rec *r) WARN_UNUSED;
int results_write_tgh(const char *dir, const struct rec *r) WARN_UNUSED;
int results_write_events(const char *dir, const struct results_event *ev,
                         size_t n) WARN_UNUSED;
/* events.csv from a timeline's rows (any order): sorted by start then
 * event, rows that begin after end_ns left out, ends clamped to end_ns
 * (results_timeline.c). */
int results_write_timeline(const char *dir, const struct timeline_row *rows,
                           size_t n, int64_t end_ns) WARN_UNUSED;
/* scenario.yaml through scn_write() (in results_scenario.c, so that
 * users of the rest need not link the scenario module). */
int results_write_scenario(const char *dir,
                           const struct scenario *sc) WARN_UNUSED;
/* The same rendering to out (credentials in live.target masked), for
 * `validate --explain`. */
int results_fwrite_scenario(FILE *out, const struct scenario *sc) WARN_UNUSED;
/* Copies src_path byte for byte to dir/name atomically (merge uses it for
 * scenario.yaml and events.csv). */
int results_copy_file(const char *src_path, const char *dir,
                      const char *name) WARN_UNUSED;

/* mkdir -p dir, then summary.json, timeseries.csv, latency.hgrm and
 * histograms.tgh (scenario.yaml and events.csv are the caller's).  Stops
 * at the first error. */
int results_write_all(const char *dir, const struct rec *r,
                      const struct summary *s) WARN_UNUSED;

/* ---- readers ----------------------------------------------------------------
 */

/* Reads summary.json at path into s (summary_init'ed or finalised).
 * Missing optional members read as zero; unknown members are ignored;
 * missing "requests" or "denied_by_reason" is ERR_PARSE. */
int results_read_summary(const char *path, struct summary *s, char *err,
                         size_t err_len) WARN_UNUSED;
/* Same from a buffer; name is used in messages. */
int results_parse_summary(const char *name, const char *text, size_t len,
                          struct summary *s, char *err,
                          size_t err_len) WARN_UNUSED;

/* One timeseries.csv row. */
struct results_ts_row {
    double t_s;
    int64_t offered, attempts, ok, denied;
    int64_t reason[REASON_COUNT]; /* by enum reason; [REASON_OK] = ok */
    double p50_ms, p90_ms, p99_ms, max_ms;
    double gauge[REC_GAUGE_COUNT]; /* enum rec_gauge order */
    /* The request level: requests first intended in the interval by final
     * outcome ([REASON_OK] = ok) and lost; end-to-end latency of the
     * requests completed in it. */
    int64_t final[REASON_COUNT];
    int64_t final_lost;
    double req_p50_ms, req_p90_ms, req_p99_ms, req_max_ms;
};

/* Reads timeseries.csv; *rows (owned by the caller, free()) gets *n rows.
 * The header must name the contract's columns in order (ERR_PARSE). */
int results_read_timeseries(const char *path, struct results_ts_row **rows,
                            size_t *n, char *err, size_t err_len) WARN_UNUSED;

/* Reads histograms.tgh into a new recorder (*out, rec_free) equal to the
 * one written.  ERR_PARSE also for an unknown format version. */
int results_read_tgh(const char *path, struct rec **out, char *err,
                     size_t err_len) WARN_UNUSED;

/* Reads a whole file into a NUL-terminated heap buffer (free()).  ERR_IO,
 * ERR_TOOBIG when larger than max_bytes. */
int results_slurp(const char *path, size_t max_bytes, char **out,
                  size_t *len) WARN_UNUSED;

/* ---- merge
 * ------------------------------------------------------------------- */

/*
 * Merges n >= 1 results directories (shards of one run) into out_dir
 * (created if missing): reads each DIR/histograms.tgh and DIR/summary.json,
 * adds the recorders exactly (rec_merge), and writes summary.json (name,
 * mode and seed of the first input), timeseries.csv, latency.hgrm and
 * histograms.tgh, plus the first input's scenario.yaml and events.csv when
 * present.  The result equals what one recorder that saw every shard's
 * requests would have written.  Returns ERR_IO (unreadable input or
 * unwritable output; errno kept), ERR_PARSE / ERR_TOOBIG (bad input file),
 * ERR_INVAL (n == 0, out_dir is an input, or the inputs are not shards of
 * one scenario: different scenario name, duration, interval, warm-up or
 * populations), with a message in err.
 */
int results_merge(const char *out_dir, const char *const *in_dirs, size_t n,
                  char *err, size_t err_len) WARN_UNUSED;

/* The timeseries.csv header line (no newline), for readers and plots. */
const char *results_ts_header(void);

#endif

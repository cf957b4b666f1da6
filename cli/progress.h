/*
 * progress.h - the one-line progress display of sim and run.
 *
 * While a simulation or a load run goes, one line on stderr is redrawn in
 * place (carriage return, no scrolling) at most a few times per second:
 *
 *   [ 12m30s / 2h  10%] offered 2012/s  ok 1800/s  rate_limit 8.1%
 *   token_limit 2.0%  p99 1.23s
 *
 * (one line on the terminal).  It is shown only when the stream is a
 * terminal and the user did not pass -q; otherwise every call is a cheap
 * no-op, so callers need not test.  Rates and p99 describe the most
 * recent complete time-series interval; denial shares are cumulative.
 * Only cli/ code uses it: it reads the wall clock to pace redraws.
 */
#ifndef TOLLGATE_PROGRESS_H
#define TOLLGATE_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "core/stats/hist.h"
#include "core/base/reason.h"
#include "core/stats/record.h"

#define PROGRESS_TOP 3 /* denial reasons shown */

/* What one redraw shows; plain numbers so any driver can fill it. */
struct progress_sample {
    int64_t elapsed_ns;   /* virtual (sim) or wall (run) time covered */
    int64_t total_ns;     /* planned duration */
    double offered_per_s; /* unique requests offered, recent */
    double ok_per_s;      /* ok attempts, recent */
    double p99_ns;        /* latency p99 of recent attempts; < 0: none */
    int n_top;            /* entries used in top[] */
    enum reason top[PROGRESS_TOP];  /* most frequent denials, descending */
    double top_share[PROGRESS_TOP]; /* their share of all attempts */
};

struct progress {
    FILE *out;
    bool enabled;        /* terminal and not quiet */
    double last_s;       /* monotonic time of the last redraw, seconds */
    double every_s;      /* minimum spacing of redraws */
    int last_len;        /* characters of the line on screen */
    struct hist scratch; /* interval histogram for p99 (enabled only) */
};

/* Prepares p for out (normally stderr).  Enabled only when out is a
 * terminal and quiet is false. */
void progress_init(struct progress *p, FILE *out, bool quiet);

/* Releases p, erasing the line if one is shown; p may be NULL. */
void progress_fini(struct progress *p);

/* True when enabled and enough wall time passed since the last redraw
 * (a cheap monotonic clock read).  Drivers call it often and build a
 * sample only when it says so. */
bool progress_due(struct progress *p);

/* Redraws the line from s (no-op when disabled). */
void progress_draw(struct progress *p, const struct progress_sample *s);

/* Redraws the line as text (cut to the terminal width; no-op when
 * disabled): the drivers whose progress is not one recorder's, such as
 * replications running on several threads. */
void progress_draw_text(struct progress *p, const char *text);

/* Erases the line so that normal output can follow. */
void progress_clear(struct progress *p);

/* Fills s from a recorder at time now_ns of a run of total_ns: rates and
 * p99 from the last complete interval before now_ns (the current one when
 * none is complete), denial shares from the summary counters.  Uses p's
 * scratch histogram; p must be enabled. */
void progress_sample_rec(struct progress *p, const struct rec *r,
                         int64_t now_ns, int64_t total_ns,
                         struct progress_sample *s);

/* ns rounded for display: to 1 s from a minute up, to 10 ms from a
 * second up, else to 1 ms (so "7m52s", not "7m51.909219701s"). */
int64_t progress_round_ns(int64_t ns);

#endif

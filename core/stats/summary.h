/*
 * summary.h - everything summary.json holds, as a struct.
 *
 * summary_from_record() computes it from a recorder (warm-up excluded, as
 * the recorder's summary accumulators are); results_write_summary() writes
 * it as JSON with the names of docs/results-format.md and
 * results_read_summary() reads it back.  Latencies are milliseconds
 * (doubles, us resolution), rates per second, fractions plain ratios.
 *
 * With replications (sim --replications N), summary_replicate() turns N
 * summaries of the same scenario into one: every number is the mean over
 * the replications, and ci95 holds the 95% confidence half-width (Student
 * t) of each rate and each latency statistic.
 */
#ifndef TOLLGATE_SUMMARY_H
#define TOLLGATE_SUMMARY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/base/err.h"
#include "core/base/reason.h"
#include "core/stats/record.h"

#define SUMMARY_STR_MAX 64

/* One latency block: "p50" "p90" "p95" "p99" "p999" "max" "mean" in ms.
 * p95 and count are additions to the original list (expect: uses p95). */
struct summary_lat {
    int64_t count; /* samples behind the statistics */
    double p50, p90, p95, p99, p999, max, mean;
};

struct summary_req {
    int64_t attempts; /* every request sent, retries included */
    int64_t unique;   /* logical requests offered */
    int64_t ok;       /* attempts answered ok */
    int64_t denied;   /* attempts denied (attempts - ok) */
};

/*
 * The request level ("request_level" in summary.json): what the callers
 * see.  Every logical request that ended counts once, by its final
 * outcome, with its end-to-end latency (first intended send to final
 * answer, backoff and retry-after waits included).  ok + denied + lost =
 * requests; requests equals requests.unique of the attempt level once
 * every request has ended (always in sim; in run unless it was stopped
 * and not drained).
 */
struct summary_rq {
    int64_t requests;             /* requests that ended */
    int64_t ok;                   /* final outcome ok */
    int64_t denied;               /* final outcome a denial reason */
    int64_t lost;                 /* lost by the load generator (run only) */
    double denial_rate;           /* denied / requests (0 when none) */
    double lost_rate;             /* lost / requests (0 when none) */
    int64_t ended[REC_END_COUNT]; /* by why they ended (enum rec_end; the
                                     whole run only, 0 per population) */
    struct summary_lat lat_all, lat_ok, lat_denied; /* end to end; lost
                                                       requests have none */
};

/* Attempts per request ("attempts_per_request"), lost requests included. */
struct summary_tries {
    double mean;
    int64_t p50, p90, p99, max;
};

struct summary_pop {
    char name[SUMMARY_STR_MAX];
    struct summary_req requests;
    int64_t denied_by_reason[REASON_COUNT]; /* [REASON_OK] is 0 */
    struct summary_lat lat_all, lat_ok;     /* "latency_ms": {"all","ok"} */
    struct summary_rq rq;                   /* "request_level" */
    int64_t final_by_reason[REASON_COUNT];  /* requests by final denial
                                               reason; [REASON_OK] is 0 */
};

/* 95% confidence half-widths (only when replications > 1). */
struct summary_ci95 {
    double denial_rate, goodput_per_s, retry_amplification;
    double rq_denial_rate;                    /* request level */
    struct summary_lat rq_lat_all, rq_lat_ok; /* request level */
    struct summary_lat lat_all, lat_ok, lat_denied;
    struct summary_lat lat_by_reason[REASON_COUNT]; /* [REASON_OK] unused */
};

/* How the load generator of a run did ("generator" in summary.json; run
 * and merged runs only).  Schedule-lag percentiles are in schedule_lag. */
struct summary_gen {
    bool kept_up;                  /* lag p99 within 10 ms, nothing dropped */
    int64_t dropped;               /* requests never sent: no connection
                                      free within their client timeout, or
                                      the drain time ran out first */
    int64_t connections_peak;      /* connections opened at the peak */
    int64_t connections;           /* connections allowed */
    int64_t threads;               /* worker threads */
    int64_t sent;                  /* attempts handed to the HTTP client */
    int64_t waited_for_connection; /* attempts sent late because every
                                      connection of their thread was busy */
    int64_t shards;                /* runs combined (1 unless merged) */
    int64_t abandoned;             /* attempts in flight when the run
                                      ended: no answer recorded */
};

struct summary {
    char tool[SUMMARY_STR_MAX];     /* "tollgate" */
    char version[SUMMARY_STR_MAX];  /* TOLLGATE_VERSION */
    char scenario[SUMMARY_STR_MAX]; /* scenario name */
    char mode[SUMMARY_STR_MAX];     /* "sim", "run", "serve", "merge" */
    uint64_t seed;
    bool complete;     /* false when stopped early */
    double duration_s; /* covered time, warm-up excluded */

    struct summary_req requests;
    int64_t denied_by_reason[REASON_COUNT]; /* every id; [REASON_OK] is 0 */
    int64_t final_by_outcome[REASON_COUNT]; /* logical requests by final
                                               outcome ("final_outcome") */
    int64_t final_lost[REC_LOST_COUNT];     /* ... and those the generator lost
                                               (enum rec_lost; "final_outcome"
                                               too, when has_generator or not
                                               zero): with final_by_outcome
                                               they add up to requests.unique */
    double denial_rate;         /* denied / attempts (0 when no attempts) */
    double goodput_per_s;       /* ok / duration_s */
    double retry_amplification; /* attempts / unique (1 when no unique) */

    struct summary_lat lat_all, lat_ok;
    struct summary_lat lat_denied; /* every denial ("denied"; addition) */
    struct summary_lat lat_by_reason[REASON_COUNT]; /* [REASON_OK] unused;
                                  written for reasons with count > 0 */

    /* The request level (struct summary_rq); its by-reason counts are
     * final_by_outcome above. */
    bool has_rq; /* the request level is known (false only when read from
                    a summary.json written before it existed) */
    struct summary_rq rq;
    struct summary_lat rq_by_reason[REASON_COUNT]; /* [REASON_OK] unused */
    struct summary_tries tries;

    struct summary_pop *pops; /* owned */
    size_t n_pops;

    bool live;                              /* run extras present */
    struct summary_lat schedule_lag;        /* "schedule_lag_ms" */
    struct summary_lat latency_uncorrected; /* "latency_uncorrected_ms" */
    int64_t transport_errors;
    bool has_generator; /* "generator" present */
    struct summary_gen generator;

    int64_t dropped; /* latency values outside the histogram range */

    int replications; /* 1 for a single run */
    bool has_ci95;
    struct summary_ci95 ci95;
};

/* Run metadata the recorder does not know. */
struct summary_meta {
    const char *scenario; /* name; NULL: "" */
    const char *mode;     /* "sim", "run", ... */
    uint64_t seed;
};

/* Zeroed summary with tool/version filled in (no allocation). */
void summary_init(struct summary *s);
/* Frees pops; accepts NULL; leaves s as summary_init does. */
void summary_fini(struct summary *s);

/* Fills a summary_lat from a histogram (ns -> ms). */
void summary_lat_from_hist(struct summary_lat *out, const struct hist *h);

/*
 * Computes s (which must be summary_init'ed or finalised; its previous
 * contents are released) from r.  duration_s is the covered time
 * (rec_end_ns) minus warm-up, at least 0; complete comes from r.
 */
void summary_from_record(struct summary *s, const struct rec *r,
                         const struct summary_meta *meta);

/*
 * Combines n >= 2 replications (same scenario and populations) into out
 * (summary_init'ed): means of every number (counts rounded to nearest),
 * ci95 half-widths, replications = n, complete = all complete.  Returns
 * ERR_INVAL when n < 2 or the populations differ.
 */
int summary_replicate(struct summary *out, const struct summary *reps,
                      size_t n) WARN_UNUSED;

/* Adds shard g into acc (merge): counts add, kept_up only while both
 * kept up. */
void summary_gen_add(struct summary_gen *acc, const struct summary_gen *g);

/* Deep copy (dst summary_init'ed or finalised). */
void summary_copy(struct summary *dst, const struct summary *src);

/* Student-t 0.975 quantile for df degrees of freedom (df >= 1). */
double summary_t975(int df);

#endif

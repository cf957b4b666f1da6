/*
 * loadgen.h - the live driver behind `tollgate run`.
 *
 * lg_new() prepares N worker threads (wrk2's model: each owns a libcurl
 * multi handle, its easy handles, its share of the accounts, its schedule
 * and its own recorder); lg_start() starts them; the caller then polls
 * progress (lg_poll) until the run ends by itself or it calls lg_stop();
 * lg_join() waits for the workers and merges their recorders exactly.
 *
 * Open loop: every request of core/model/traffic leaves at its intended time;
 * worker w of T (shard I of N) owns the accounts a with
 * a % (N*T) == I + N*w.  Latency = completion - intended time (corrected
 * for coordinated omission), service time = completion - actual send,
 * schedule lag = actual send - intended time; all three are recorded.  A
 * request that finds no free connection waits, and its lag grows; one
 * that waited longer than its client timeout is dropped and counted, never
 * hidden.  Every logical request ends in exactly one final outcome: an
 * answer's, or not_sent / abandoned_in_flight (enum rec_lost) when the
 * generator lost it, so the final outcomes add up to the unique requests.
 * Closed-loop populations (users, think) run beside them: each user sends,
 * waits for the final outcome (retries included), thinks, sends again.
 *
 * The caller must call lg_global_init() (or curl_global_init) before
 * lg_new() and ignore SIGPIPE; libcurl is used with CURLOPT_NOSIGNAL.
 */
#ifndef TOLLGATE_LOADGEN_H
#define TOLLGATE_LOADGEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/base/err.h"
#include "core/model/keys.h"
#include "core/base/reason.h"
#include "core/stats/record.h"
#include "core/scenario/scenario.h"

#define LG_MAX_THREADS     SCN_MAX_THREADS /* scenario.h, checked there */
#define LG_MAX_CONNECTIONS SCN_MAX_CONNECTIONS
#define LG_BODY_CAP_BYTES  (64 * 1024) /* response bytes kept per request */
/* Schedule lag p99 above which the run is flagged as not kept up. */
#define LG_LAG_FLAG_NS (10 * 1000000LL)

struct lg_config {
    const struct scenario *sc; /* borrowed; must outlive the run */
    const char *target;        /* base URL "http://127.0.0.1:8080" */
    int threads;               /* >= 1 */
    int connections;           /* total, >= threads; split evenly */
    int64_t duration_ns;       /* sending window, > 0 */
    int64_t max_requests;      /* unique requests of this shard; 0: no
                                  limit.  Open loop: exactly the first N
                                  by intended time; with closed-loop
                                  users exactly N, in the order they come */
    int shard_i, shard_n;      /* 0 <= i < n */
    uint64_t seed;
    bool insecure;           /* do not verify TLS peers */
    const struct keys *keys; /* borrowed; NULL: deterministic keys */
    int64_t drain_ns;        /* after the window, wait this long at most
                                for in-flight answers and late sends
                                (a hard cap: the run ends by duration +
                                drain); 0: min(longest client timeout
                                + 250 ms, 10 s) */
    int64_t progress_ns;     /* snapshot period; 0: 1 s */
    bool send_attempt_key;   /* send the header WORLD_KEY_HEADER
                                (core/model/world.h), so that the target draws
                                each attempt's service time and
                                server_error as sim does: for run's
                                embedded serve only, never a --target */
};

/* What one progress snapshot covers (since the previous lg_poll). */
struct lg_progress {
    int64_t elapsed_ns; /* wall time since start */
    int64_t offered, attempts;
    int64_t outcome[REASON_COUNT]; /* attempts by outcome */
    int64_t p99_ns;                /* of attempts in the snapshot; -1 */
    int64_t in_flight;
    bool running; /* false once every worker has finished */
};

/* How well the generator did its job (beside the recorder). */
struct lg_stats {
    int64_t sent;           /* attempts handed to libcurl */
    int64_t dropped;        /* never sent (final outcome not_sent): no
                               connection free within the client timeout,
                               or the drain time ran out first */
    int64_t dropped_drain;  /* of dropped: still waiting to be sent when
                               the drain time ran out */
    int64_t aborted;        /* in flight when the run ended (drain time
                               over, or stopped): final outcome
                               abandoned_in_flight, no attempt recorded;
                               the recorder is then marked incomplete */
    int64_t retries_unsent; /* retries due after the window: final
                               outcome that of their last attempt */
    int64_t lag_p50_ns, lag_p99_ns, lag_max_ns;
    int64_t connections_used; /* peak connections libcurl opened */
    int64_t conn_waits;       /* attempts that waited for a connection
                                 (all of their worker's were busy) */
    int64_t cpu_ns;           /* CPU time of the worker threads; -1: unknown */
    int64_t cpu_wait_ns;      /* time they were runnable but had no CPU (other
                                 processes ran); -1: unknown (Linux schedstat) */
    int64_t http2_responses;  /* responses received over HTTP/2 */
    int64_t drain_ns;         /* the drain time used */
    bool kept_up;   /* false: lag p99 > LG_LAG_FLAG_NS or dropped > 0 */
    bool stopped;   /* lg_stop() ended the run early */
    int64_t end_ns; /* time covered */
};

struct lg;

/* curl_global_init(CURL_GLOBAL_ALL) with loadgen's allocator for libcurl
 * (per-thread block caches in the workers: libcurl allocates ~32 blocks
 * per transfer).  Call once, before any other libcurl call in the
 * process (libcurl keeps the allocator of its first initialisation);
 * pair with curl_global_cleanup().  ERR_CURL when libcurl refuses. */
int lg_global_init(void) WARN_UNUSED;

/* Validates cfg and builds everything the workers need (templates,
 * curl handles).  Errors: ERR_INVAL (bad config or template; message in
 * err), ERR_CURL (libcurl refused a handle). */
int lg_new(const struct lg_config *cfg, struct lg **out, char *err,
           size_t err_len) WARN_UNUSED;

/* Starts the workers (t = 0 is now).  ERR_THREAD on failure (workers
 * already started are stopped and joined). */
int lg_start(struct lg *g) WARN_UNUSED;

/* The same with t = 0 at start_ns (CLOCK_MONOTONIC, lg_now_ns()): in the
 * future, the workers wait for it (shards started together with
 * --start-at); in the past, what was due since then is sent at once and
 * shows as schedule lag. */
int lg_start_at(struct lg *g, int64_t start_ns) WARN_UNUSED;

/* Collects the workers' snapshots since the previous call into p.
 * Cheap: one mutex per worker. */
void lg_poll(struct lg *g, struct lg_progress *p);

/* Asks the workers to stop now (in-flight requests are abandoned).  Safe
 * to call from the main thread at any time; not async-signal-safe. */
void lg_stop(struct lg *g);

/* Joins the workers and merges their recorders into *out (owned by the
 * caller, rec_free), finished at the covered time with complete =
 * !stopped.  ERR_THREAD when a join fails. */
int lg_join(struct lg *g, struct rec **out, struct lg_stats *st) WARN_UNUSED;

void lg_free(struct lg *g);

/* CLOCK_MONOTONIC in ns (the clock of lg_start_at). */
int64_t lg_now_ns(void);

/* Opens one connection to target (TCP, plus TLS for https) within
 * timeout_ns.  ERR_OK when it connects, ERR_IO otherwise with libcurl's
 * message in err. */
int lg_probe(const char *target, bool insecure, int64_t timeout_ns, char *err,
             size_t err_len) WARN_UNUSED;

#endif

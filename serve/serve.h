/*
 * serve.h - the policy model as a live HTTP endpoint (`tollgate serve`, and
 * the embedded target of `tollgate run` without --target).
 *
 * A serve instance is libmicrohttpd (epoll, a small thread pool) in front
 * of the same core code sim uses: every API request is decided by
 * policy_decide() at CLOCK_MONOTONIC minus the server's start, admitted by
 * the capacity rule, answered after its sampled service time (the
 * connection is suspended meanwhile, no thread waits) and completed with
 * policy_complete().  The scenario's events run on the same clock from
 * server start; more can be injected through POST /tollgate/events.
 * docs/serve.md describes the HTTP interface; the short form:
 *
 *   POST /v1/chat/completions, /v1/completions   OpenAI dialect
 *   POST /v1/messages                            Anthropic dialect
 *   GET  /v1/models                              the scenario's models
 *   GET  /tollgate/state, /tollgate/metrics      admin (loopback only
 *   POST /tollgate/events                        unless admin_any; events
 *   GET  /tollgate/key?account=N                 and key want admin_token
 *                                                when set, key is off
 *                                                without one)
 *
 * Keys: "Authorization: Bearer K" or "x-api-key: K", K from core/model/keys
 * (deterministic per-account keys, or the scenario's live.keys file).
 * Region: the live.region_header (default X-Client-Region).  Source (for
 * lockouts and scope: source limits): the X-Client-Source header when it
 * is a number, else the account, else (unknown key) the peer address.
 *
 * Threading: the policy, capacity queue, recorder and metrics are one
 * "model" behind one mutex, held only for the decision or completion
 * itself; HTTP parsing and formatting run outside it on the pool threads.
 */
#ifndef TOLLGATE_SERVE_H
#define TOLLGATE_SERVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/base/err.h"
#include "core/stats/record.h"
#include "core/scenario/scenario.h"

#define SERVE_DEFAULT_HOST       "127.0.0.1"
#define SERVE_DEFAULT_PORT       8080
#define SERVE_DEFAULT_BODY_LIMIT (1024 * 1024) /* bytes of a request body */
/* Per-connection memory of libmicrohttpd: it bounds request headers
 * (about 7 KiB at 8 KiB; larger ones are answered 431) and is cleared
 * for every request, so a bigger pool costs CPU per request. */
#define SERVE_DEFAULT_HDR_LIMIT (8 * 1024)
#define SERVE_DEFAULT_TIMEOUT_S 30 /* no byte for this long: closed */
/* A connection must deliver each whole request (headers and body) within
 * this of being ready for it (serve_guard.h). */
#define SERVE_DEFAULT_REQUEST_TIMEOUT_S 10
#define SERVE_DEFAULT_THREADS           2

struct serve_opts {
    const char *host; /* numeric IPv4/IPv6 address to listen on */
    int port;         /* 0: the kernel picks a free port (serve_port) */
    bool admin_any;   /* admin routes from any address, not only loopback */
    uint64_t seed;    /* the run's seed (event selection, service times) */
    unsigned threads; /* libmicrohttpd thread pool size, >= 1 */
    size_t body_limit_bytes;    /* larger bodies: 413, recorded bad_request */
    size_t header_limit_bytes;  /* per-connection memory (headers) */
    unsigned timeout_s;         /* idle connections are closed after it */
    unsigned request_timeout_s; /* whole-request deadline, >= 1 */
    unsigned max_connections;   /* open at once; 0: from the fd limit */
    unsigned max_per_ip;        /* per client address; 0: from the cap */
    const char *admin_token;    /* admin routes want "Authorization: Bearer
                                   <token>"; NULL: none (then the key route
                                   is off); borrowed, must outlive serve */
    bool log_errors;            /* libmicrohttpd's error log to stderr */
    bool defer_clock;           /* the scenario clock starts at
                                   serve_start_clock, not serve_start */
};

/* Defaults: SERVE_DEFAULT_HOST:SERVE_DEFAULT_PORT, loopback admin, no
 * admin token, seed 1, SERVE_DEFAULT_THREADS, the size limits and
 * timeouts above, caps from the descriptor limit, no log. */
void serve_opts_init(struct serve_opts *o);

struct serve;

/*
 * Starts serving sc (borrowed: it must outlive the server) with *o
 * (copied).  The scenario clock (0 = now) and its event timeline start
 * here, unless o->defer_clock (serve_start_clock).  First raises the process's
 * descriptor limit (RLIMIT_NOFILE soft to hard; serve_limits says what it got)
 * and derives the connection caps left at 0 from it.  Returns ERR_INVAL (bad
 * host, policy cannot be built, keys file rejected), ERR_RANGE (max_connections
 * needs more descriptors than the limit allows), ERR_IO (cannot bind/listen:
 * port in use, address not local), ERR_THREAD (threads could not start).  On
 * success *out is owned by the caller: serve_stop() then serve_free().
 */
int serve_start(const struct scenario *sc, const struct serve_opts *o,
                struct serve **out) WARN_UNUSED;

/* The TCP port actually bound (useful after port 0). */
int serve_port(const struct serve *s);

/* The descriptor limit and connection caps a server runs with. */
struct serve_limits {
    uint64_t fd_soft_before; /* soft RLIMIT_NOFILE found at start */
    uint64_t fd_soft;        /* after raising it */
    uint64_t fd_hard;
    unsigned max_connections, max_per_ip; /* as used */
};

/* Fills *out (a started server). */
void serve_limits(const struct serve *s, struct serve_limits *out);

/* The descriptor limit max_connections needs (serve_start's ERR_RANGE
 * when the hard limit is lower), for error messages. */
uint64_t serve_fds_needed(unsigned max_connections);

/*
 * For a server started with defer_clock: scenario time 0 is t0_mono_ns
 * (CLOCK_MONOTONIC ns, may be in the future), and the event timeline is
 * scheduled from it.  `run` against its embedded serve calls it with its
 * own t = 0, so both clocks agree (else every event would happen as
 * early, on the client's clock, as the set-up took).  Requests before it
 * are decided at scenario time 0.  Once only; later calls do nothing.
 */
void serve_start_clock(struct serve *s, int64_t t0_mono_ns);

/*
 * Graceful stop: stops accepting connections, answers every request still
 * waiting for service or in the queue with 503 (not recorded: the run
 * ended before they completed), waits up to 2 s for responses to go out,
 * stops the threads and finishes the recorder at the elapsed time with
 * complete = (elapsed >= scenario duration).  Idempotent.
 */
void serve_stop(struct serve *s);

/*
 * After serve_stop: writes the results directory dir (created if needed)
 * with summary.json (mode "serve"), timeseries.csv, latency.hgrm,
 * histograms.tgh, events.csv (scenario and injected events that started)
 * and scenario.yaml.  Returns ERR_OK or ERR_IO (errno kept).
 */
int serve_write_results(const struct serve *s, const char *dir) WARN_UNUSED;

/* Frees s (serve_stop first if still running); accepts NULL. */
void serve_free(struct serve *s);

#endif

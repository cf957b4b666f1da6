/*
 * serve_model.h - the mutable heart of serve: policy, capacity queue,
 * recorder, metrics and event timeline behind one mutex.
 *
 * The HTTP layer (serve.c) turns a request into a struct serve_call and
 * asks serve_model_decide() what to do: answer now, or wait.  A waiting
 * call's connection is suspended by the model itself (through suspend_fn,
 * under the model lock, so that no resume can come first) and resumed
 * from the timer thread through resume_fn when its service time is over,
 * it expired in the capacity queue, or the server stops.  Every outcome
 * is recorded when it is decided to be answered, with latency = that
 * moment - arrival.
 *
 * Lock rule: the model lock is held only inside the functions below,
 * around the policy / capacity / recorder calls of one decision or
 * completion (and O(accounts) snapshots for /tollgate/state); no HTTP
 * call except suspend_fn and no body formatting happens under it.
 */
#ifndef TOLLGATE_SERVE_MODEL_H
#define TOLLGATE_SERVE_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/base/err.h"
#include "core/model/policy.h"
#include "core/model/world.h"
#include "core/base/reason.h"
#include "core/stats/record.h"
#include "core/scenario/scenario.h"
#include "serve/serve_scn.h"

/* What the HTTP layer does after serve_model_decide. */
enum serve_next {
    SERVE_ANSWER_NOW = 0, /* call->outcome is final: answer it */
    SERVE_SUSPENDED       /* the connection was suspended; resume_fn comes */
};

/* One API request on its way through the model.  Owned by the HTTP
 * layer's connection context; the model keeps a pointer to it from
 * SERVE_SUSPENDED until it has called resume_fn, never after. */
struct serve_call {
    struct policy_req rq;       /* filled by the caller */
    int64_t arrive_ns;          /* scenario clock at arrival (caller) */
    bool keyed;                 /* key below sent by the client (caller) */
    struct world_key key;       /* the attempt's draws (world.h); when not
                                   keyed, the model makes one up from its
                                   arrival counter */
    void *owner;                /* handed to suspend_fn / resume_fn */
    struct policy_decision dec; /* filled by the model */
    enum reason outcome;        /* final outcome once answered */
    int64_t retry_ns;           /* retry hint for the answer; -1: none */
    const char *limit_name;     /* denying limit's name, or NULL */
    int64_t limit_amount;       /* its amount in force; -1: unknown */
    bool too_large;             /* that limit can never admit it */
    int64_t requested;          /* what it asked of that limit */

    /* private to the model (under its lock) */
    bool holds_server;              /* capacity counts it: release it */
    bool waiting;                   /* on the waiting list */
    struct serve_call *prev, *next; /* waiting list / ready list */
};

/* Suspends owner's connection: called under the model lock, must not call
 * into the model.  Resumes it: called without the lock, on the timer
 * thread or the stopping thread. */
typedef void serve_conn_fn(void *owner);

struct serve_model;

/*
 * Builds the model on scn (borrowed, the scenario copy serve decides
 * with; injected events are committed into it under the model lock) and
 * orig (the scenario as given, for names), seeds its streams from seed,
 * and starts the timer thread and the event timeline; the scenario clock's
 * 0 is the end of this call (events at 0 are already in force).  Errors:
 * policy_new's (ERR_INVAL, ERR_RANGE), rec_new's (ERR_INVAL, ERR_TOOBIG),
 * capacity_init's ERR_INVAL, ERR_THREAD.
 */
int serve_model_new(struct serve_scn *scn, const struct scenario *orig,
                    uint64_t seed, bool defer_clock, serve_conn_fn *suspend_fn,
                    serve_conn_fn *resume_fn,
                    struct serve_model **out) WARN_UNUSED;

/* Scenario clock now (CLOCK_MONOTONIC - t0, and 0 until a deferred clock
 * starts), ns. */
int64_t serve_model_now(const struct serve_model *m);

/* Starts the scenario clock at t0_mono_ns (CLOCK_MONOTONIC; may be in the
 * future) and schedules the event timeline from it: called by
 * serve_model_new unless defer_clock, else once by the owner.  Later
 * calls do nothing. */
void serve_model_start_clock(struct serve_model *m, int64_t t0_mono_ns);

/* Decides call (rq, arrive_ns, keyed, key and owner filled).  Denials, and
 * successes without service time, are recorded and answered at once; the others
 * are suspended.  After serve_model_stop every call is answered at once
 * with REASON_OUTAGE and not recorded. */
enum serve_next serve_model_decide(struct serve_model *m,
                                   struct serve_call *call);

/* Records an answer the HTTP layer gave without a decision (a body over
 * the size limit): outcome for population pop, arrived at arrive_ns. */
void serve_model_record(struct serve_model *m, int pop, enum reason outcome,
                        int64_t arrive_ns);

/*
 * Starts the events described by text (see scn_parse_events) now.
 * On success returns ERR_OK and a JSON report {"applied":[...]} in
 * *report; on failure ERR_PARSE / ERR_INVAL / ERR_TOOBIG (also when the
 * spare event slots are used up) and {"error":"..."} in *report.  *report
 * is a heap string for the caller to free.
 */
int serve_model_inject(struct serve_model *m, const char *text, size_t len,
                       char **report) WARN_UNUSED;

/* GET /tollgate/state (JSON) and GET /tollgate/metrics (Prometheus
 * text) bodies: heap strings for the caller to free. */
char *serve_model_state(struct serve_model *m, size_t *len);
char *serve_model_metrics(struct serve_model *m, size_t *len);

/*
 * Stops the timer thread and the event timeline, answers every waiting
 * call with REASON_OUTAGE (not recorded) through resume_fn, and finishes
 * the recorder at now (complete when now >= the scenario duration).
 * Idempotent.
 */
void serve_model_stop(struct serve_model *m);

/* The recorder (read it after serve_model_stop). */
const struct rec *serve_model_rec(const struct serve_model *m);

/* After serve_model_stop: writes dir/events.csv with every occurrence
 * that started (open-ended ones end at the covered time).  ERR_IO. */
int serve_model_write_events(const struct serve_model *m,
                             const char *dir) WARN_UNUSED;

/* Frees m (stopping it first); accepts NULL. */
void serve_model_free(struct serve_model *m);

#endif

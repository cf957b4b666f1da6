/*
 * sched.h - the schedule of one worker: which request goes next and when
 * (internal to loadgen/).  Open-loop requests come from the worker's
 * traffic stream one ahead (w->next), retries and closed-loop users wait
 * in a min-heap by intended time (w->heap); the two are merged by
 * intended time.  --max-requests is applied here (the open-loop cut or
 * the shared budget of struct lg_shared).  Only the worker's own thread
 * calls these.
 */
#ifndef TOLLGATE_SCHED_H
#define TOLLGATE_SCHED_H

#include <stdbool.h>
#include <stdint.h>

#include "loadgen/worker.h"

/* Budget a worker takes from the shared --max-requests budget at once,
 * at most. */
#define LG_LEASE_MAX 1024

/* Reads the next open-loop request of the worker's stream into w->next
 * (has_next false when the stream, the window or the --max-requests
 * limit is exhausted; limited set for the latter). */
void lg_sched_fetch(struct lg_worker *w);

/* Queues r (a retry or a closed-loop user's next request) at
 * r->intended_ns. */
void lg_sched_push(struct lg_worker *w, const struct lg_req *r);

/* Queues closed-loop user `user` of population pop to send at t_ns
 * (nothing when t_ns is past the window). */
void lg_sched_user(struct lg_worker *w, int pop, int64_t user, int64_t t_ns);

/* Queues every closed-loop user whose account the worker owns at t = 0. */
void lg_sched_prime(struct lg_worker *w);

/* True when a request's send time has come by now. */
bool lg_sched_due_by(const struct lg_worker *w, int64_t now);

/* Takes the earliest request due by now into *out (false: none).  A
 * closed-loop user's request gets its attributes here (and takes budget;
 * without budget the user retires and the next one is tried); a first
 * attempt is counted as offered. */
bool lg_sched_take(struct lg_worker *w, int64_t now, struct lg_req *out);

#endif

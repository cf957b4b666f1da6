/*
 * serve_timer.h - a deadline heap driven by one dedicated thread.
 *
 * serve answers a successful request only after the capacity model's
 * service delay, without parking an HTTP thread per waiting request: the
 * request's connection is suspended and an entry is put here; when its
 * deadline passes, the timer thread calls the owner's callback, which
 * resumes the connection.  Scenario events (outage start/end, ...) use the
 * same heap.  Deadlines are absolute CLOCK_MONOTONIC nanoseconds.
 */
#ifndef TOLLGATE_SERVE_TIMER_H
#define TOLLGATE_SERVE_TIMER_H

#include <stddef.h>
#include <stdint.h>

#include "core/base/err.h"

/* One due entry.  kind and item are the owner's; the heap never looks
 * inside them. */
struct serve_timer_entry {
    int64_t due_ns; /* absolute CLOCK_MONOTONIC */
    uint64_t seq;   /* insertion order: equal deadlines fire FIFO */
    int kind;
    void *item;
};

/* Called on the timer thread, without any timer lock held, with a batch
 * of entries whose deadlines have passed (in deadline order) and the
 * clock reading that found them due.  It may call serve_timer_add. */
typedef void serve_timer_fn(void *arg, const struct serve_timer_entry *due,
                            size_t n, int64_t now_ns);

struct serve_timer;

/* Reads CLOCK_MONOTONIC in nanoseconds. */
int64_t serve_timer_now(void);

/* Creates the heap and starts its thread, which calls fn(arg, ...) for
 * due entries.  Returns ERR_THREAD when a pthread call fails (nothing is
 * left allocated then). */
int serve_timer_new(serve_timer_fn *fn, void *arg,
                    struct serve_timer **out) WARN_UNUSED;

/* Adds an entry due at due_ns (absolute CLOCK_MONOTONIC; a time in the
 * past fires at once).  Thread-safe; wakes the thread only when the new
 * entry becomes the earliest. */
void serve_timer_add(struct serve_timer *t, int64_t due_ns, int kind,
                     void *item);

/* Number of entries waiting (a gauge; racy by nature). */
size_t serve_timer_pending(struct serve_timer *t);

/* Stops and joins the thread; entries not yet fired stay in the heap and
 * can be taken with serve_timer_drain.  Idempotent. */
void serve_timer_stop(struct serve_timer *t);

/* After serve_timer_stop: calls fn(arg, ...) once with every entry left,
 * in deadline order, on the caller's thread, and empties the heap. */
void serve_timer_drain(struct serve_timer *t, int64_t now_ns);

/* Stops the thread if needed and frees the heap (entries left are
 * dropped: drain them first if they own memory).  Accepts NULL. */
void serve_timer_free(struct serve_timer *t);

#endif

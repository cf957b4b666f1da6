/*
 * worker.c - one load-generator thread: libcurl multi, epoll, the loop.
 *
 * The loop (wrk2's model, one per thread, nothing shared on the hot path):
 *   1. launch every request whose intended time has come, while an easy
 *      handle is free (open-loop stream, retries and closed-loop users are
 *      merged by intended time in sched.c), each one handed to libcurl and
 *      sent at once (its 0 ms timer run right after the add), its lag
 *      measured against a fresh clock read; requests that waited longer
 *      than their client timeout for a handle are dropped and counted;
 *   2. run libcurl's timeout only when its deadline has passed (the timer
 *      callback fires about twice per request: acting on every call would
 *      spin, see bench/run/README.md);
 *   3. wait in epoll_pwait2 (ns timeout, computed from a fresh clock read,
 *      so sends leave within microseconds of their intended time) until
 *      the next due request, libcurl's deadline or an fd event, and feed
 *      events to curl_multi_socket_action, launching what falls due in
 *      the middle of a long batch;
 *   4. harvest completions: classify, record, retry or finish.
 * Socket registrations are kept when libcurl says CURL_POLL_REMOVE (the
 * connection went back to its cache and is usually reused at once) and
 * no-op changes are skipped, which removes ~2 epoll_ctl per request; a
 * kept fd that turns readable while unwanted (the peer closed an idle
 * connection) is removed then.  The close-socket callback forgets an fd
 * before close(), so a reused fd number is registered afresh.
 * Send lag on a shared machine is mostly the scheduler: each thread with
 * an open-loop schedule asks for a short time slice (latency_hint), and
 * every thread reports how long it waited for a CPU, and how many sends
 * waited for a free connection, so that a late run says why.
 */
#include "loadgen/worker.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "core/model/client.h"
#include "loadgen/curlmem.h"
#include "loadgen/request.h"
#include "loadgen/sched.h"

#define MAX_EVENTS  64
#define MAX_WAIT_NS (20 * 1000000LL) /* poll the stop flag this often */
#define NO_DEADLINE INT64_MAX        /* libcurl wants no timeout */
#define LG_SLICE_NS 100000ULL        /* 0.1 ms: the shortest slice allowed */

int64_t lg_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int64_t now_rel(const struct lg_worker *w)
{
    return lg_now_ns() - w->sh->start_ns;
}

/* ---- sockets ------------------------------------------------------------ */

static struct lg_fd *fd_ent(struct lg_worker *w, curl_socket_t fd)
{
    if ((size_t)fd >= w->n_fds) {
        size_t n = w->n_fds ? w->n_fds : 64;
        while (n <= (size_t)fd)
            n *= 2;
        w->fds = xrealloc(w->fds, n * sizeof(*w->fds));
        memset(w->fds + w->n_fds, 0, (n - w->n_fds) * sizeof(*w->fds));
        w->n_fds = n;
    }
    return &w->fds[fd];
}

static curl_socket_t on_open(void *data, curlsocktype purpose,
                             struct curl_sockaddr *a)
{
    struct lg_worker *w = data;
    (void)purpose;
    int fd = socket(a->family, a->socktype, a->protocol);
    if (fd < 0)
        return CURL_SOCKET_BAD;
    struct lg_fd *e = fd_ent(w, fd);
    memset(e, 0, sizeof(*e));
    if (++w->conns_open > w->conns_peak)
        w->conns_peak = w->conns_open;
    return fd;
}

static int on_close(void *data, curl_socket_t fd)
{
    struct lg_worker *w = data;
    struct lg_fd *e = fd_ent(w, fd);
    if (e->in_epoll)
        epoll_ctl(w->epfd, EPOLL_CTL_DEL, fd, NULL);
    memset(e, 0, sizeof(*e));
    w->conns_open--;
    return close(fd);
}

static int epoll_set(struct lg_worker *w, int fd, struct lg_fd *e,
                     uint32_t events)
{
    struct epoll_event ev = { .events = events, .data.fd = fd };
    int op = e->in_epoll ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
    int rc = epoll_ctl(w->epfd, op, fd, &ev);
    if (rc < 0 && errno == ENOENT)
        rc = epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &ev);
    else if (rc < 0 && errno == EEXIST)
        rc = epoll_ctl(w->epfd, EPOLL_CTL_MOD, fd, &ev);
    if (rc == 0) {
        e->in_epoll = true;
        e->events = events;
    }
    return rc;
}

static int on_socket(CURL *easy, curl_socket_t fd, int what, void *userp,
                     void *socketp)
{
    struct lg_worker *w = userp;
    (void)easy;
    (void)socketp;
    struct lg_fd *e = fd_ent(w, fd);
    if (what == CURL_POLL_REMOVE) {
        e->want = 0;
        /* Keep a read registration (reuse is likely); never leave a
         * write registration behind, it would fire continuously. */
        if (e->in_epoll && (e->events & EPOLLOUT)) {
            epoll_ctl(w->epfd, EPOLL_CTL_DEL, fd, NULL);
            e->in_epoll = false;
        }
        return 0;
    }
    uint32_t ev = ((what & CURL_POLL_IN) ? EPOLLIN : 0) |
                  ((what & CURL_POLL_OUT) ? EPOLLOUT : 0);
    e->want = what;
    if (e->in_epoll && e->events == ev)
        return 0;
    return epoll_set(w, fd, e, ev) == 0 ? 0 : -1;
}

/* libcurl's timer: 0 (run now, after every add) costs no clock read;
 * a real delay is counted from the current time, not from the top of the
 * loop, which may be an event batch earlier (a deadline computed from it
 * would fire early and make libcurl run for nothing). */
static int on_timer(CURLM *multi, long timeout_ms, void *userp)
{
    struct lg_worker *w = userp;
    (void)multi;
    if (timeout_ms < 0)
        w->curl_deadline_ns = NO_DEADLINE;
    else if (timeout_ms == 0)
        w->curl_deadline_ns = w->loop_ns;
    else
        w->curl_deadline_ns = now_rel(w) + (int64_t)timeout_ms * 1000000LL;
    return 0;
}

/* ---- scheduling hint ---------------------------------------------------- */

/* sched_setattr(2) is not wrapped by glibc; syscall(2) is declared only
 * with _DEFAULT_SOURCE, which this C11/POSIX build does not define. */
long syscall(long number, ...);

/* struct sched_attr, SCHED_ATTR_SIZE_VER0. */
struct lg_sched_attr {
    uint32_t size, policy;
    uint64_t flags;
    int32_t nice;
    uint32_t priority;
    uint64_t runtime, deadline, period;
};

/* Asks for a short time slice (sched_runtime of a SCHED_OTHER thread:
 * Linux 6.12+ EEVDF).  A worker sleeps until each send time; with a
 * short slice its wake-up preempts a CPU-bound task on that core at once
 * instead of when that task's slice ends (1.5-3 ms on a 2-CPU box), which
 * is much of the send lag on a shared machine.  The thread's policy and
 * nice value (chrt, nice) are read first and kept; other policies are
 * left alone.  Older kernels ignore the runtime or refuse the call;
 * either way nothing else changes. */
static void latency_hint(void)
{
#if defined(SYS_sched_setattr) && defined(SYS_sched_getattr)
    struct lg_sched_attr a;
    memset(&a, 0, sizeof(a));
    if (syscall(SYS_sched_getattr, 0L, &a, (unsigned)sizeof(a), 0U) != 0 ||
        a.policy != 0 /* SCHED_OTHER */)
        return;
    a.size = sizeof(a);
    a.flags = 0;
    a.runtime = LG_SLICE_NS;
    (void)syscall(SYS_sched_setattr, 0L, &a, 0U);
#endif
}

/* CPU time and run-queue wait (time runnable but not running) of the
 * calling thread so far, in ns, from /proc/thread-self/schedstat; false
 * when the kernel does not provide it. */
static bool sched_times(int64_t *cpu_ns, int64_t *wait_ns)
{
    FILE *f = fopen("/proc/thread-self/schedstat", "r");
    long long cpu = 0, wait = 0;
    if (!f)
        return false;
    int n = fscanf(f, "%lld %lld", &cpu, &wait);
    fclose(f);
    *cpu_ns = cpu;
    *wait_ns = wait;
    return n == 2;
}

/* ---- progress snapshot -------------------------------------------------- */

static void snap_publish(struct lg_worker *w, bool done)
{
    w->local.in_flight = w->in_flight;
    pthread_mutex_lock(&w->mu);
    struct lg_snap *s = &w->snap;
    if (!s->fresh) {
        struct hist *tmp = s->lat; /* emptied by lg_poll */
        s->lat = w->local.lat;
        w->local.lat = tmp;
        s->offered = w->local.offered;
        s->attempts = w->local.attempts;
        memcpy(s->outcome, w->local.outcome, sizeof(s->outcome));
    } else {
        hist_merge(s->lat, w->local.lat);
        s->offered += w->local.offered;
        s->attempts += w->local.attempts;
        for (int r = 0; r < REASON_COUNT; r++)
            s->outcome[r] += w->local.outcome[r];
        hist_reset(w->local.lat);
    }
    s->in_flight = w->local.in_flight;
    s->fresh = true;
    s->done = done;
    pthread_mutex_unlock(&w->mu);
    w->local.offered = w->local.attempts = 0;
    memset(w->local.outcome, 0, sizeof(w->local.outcome));
}

/* A request (or a due retry of one) that never left: its client gave up
 * before a handle freed, or the drain time ran out.  Its final outcome
 * is not_sent, also for a retry: the answer it would have got is
 * unknown, and an earlier attempt's outcome would hide the generator's
 * failure. */
static void drop(struct lg_worker *w, struct lg_req *r, int64_t now)
{
    w->dropped++;
    rec_request_lost(w->rec, r->tr.pop, REC_NOT_SENT, r->attempts, r->first_ns);
    if (r->user >= 0)
        lg_sched_user(w, r->tr.pop, r->user,
                      now + traffic_think_ns(w->traffic, r->tr.pop, r->user));
}

/* Hands r to libcurl and has it sent at once: the add only arms a 0 ms
 * timer, and running that timer right here (not after the rest of a
 * batch) is what makes the request leave; `now`, read just before, is
 * its send time. */
static void launch(struct lg_worker *w, struct lg_req *r, int64_t now)
{
    struct lg_slot *s = &w->slots[w->free_ix[--w->n_free]];
    int64_t timeout = w->sh->pop_timeout_ns[r->tr.pop];
    int running;
    s->req = *r;
    s->req.attempts++;
    if (lg_slot_prepare(s, w->sh, &s->req, timeout) != ERR_OK ||
        curl_multi_add_handle(w->multi, s->easy) != CURLM_OK) {
        w->err = ERR_CURL; /* libcurl refused: counted as not sent */
        w->free_ix[w->n_free++] = (int)(s - w->slots);
        drop(w, r, now);
        return;
    }
    w->curl_deadline_ns =
        NO_DEADLINE; /* the timer runs now; libcurl re-arms it */
    curl_multi_socket_action(w->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    s->busy = true;
    s->sent_ns = now;
    w->conn_waits += w->starved_ns >= 0;
    hist_record(&w->lag, now - r->intended_ns);
    w->sent++;
    w->in_flight++;
    rec_gauge(w->rec, REC_G_IN_FLIGHT, now, (double)w->in_flight);
}

static void harvest(struct lg_worker *w);

/* Launches everything due, one request at a time, with a fresh clock
 * read per request (sending one takes tens of microseconds, and the next
 * one's lag includes that). */
static void launch_due(struct lg_worker *w, int64_t now)
{
    struct lg_req r;
    bool any = false;
    while (w->n_free > 0 && lg_sched_take(w, now, &r)) {
        launch(w, &r, now);
        now = now_rel(w);
        any = true;
    }
    if (any)
        harvest(w); /* a send may have failed at once */
    if (w->n_free > 0 || !lg_sched_due_by(w, now)) {
        w->starved_ns = -1;
        return;
    }
    if (w->starved_ns < 0) /* due requests wait for a connection */
        w->starved_ns = now;
    /* No handle free: drop what has waited past its client timeout. */
    for (;;) {
        bool h =
            w->heap.n > 0 && now - w->heap.v[0].intended_ns >
                                 w->sh->pop_timeout_ns[w->heap.v[0].tr.pop];
        bool n = w->has_next && now - w->next.intended_ns >
                                    w->sh->pop_timeout_ns[w->next.tr.pop];
        if (!(h || n) || !lg_sched_take(w, now, &r))
            break;
        drop(w, &r, now);
    }
}

/* ---- completion -------------------------------------------------------------
 */

static void set_gauges(struct lg_worker *w, const struct cls_resp *resp,
                       int64_t now)
{
    if (resp->rl_remaining_requests >= 0)
        rec_gauge(w->rec, REC_G_RL_REQUESTS, now,
                  (double)resp->rl_remaining_requests);
    if (resp->rl_remaining_tokens >= 0)
        rec_gauge(w->rec, REC_G_RL_TOKENS, now,
                  (double)resp->rl_remaining_tokens);
    rec_gauge(w->rec, REC_G_IN_FLIGHT, now, (double)w->in_flight);
}

static enum reason outcome_of(struct lg_slot *s, CURLcode rc)
{
    long os_errno = 0, status = 0;
    if (rc != CURLE_OK) {
        curl_easy_getinfo(s->easy, CURLINFO_OS_ERRNO, &os_errno);
        return cls_transport(rc, os_errno);
    }
    long version = 0;
    curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(s->easy, CURLINFO_HTTP_VERSION, &version);
    s->w->http2 += version >= CURL_HTTP_VERSION_2_0;
    s->resp.status = (int)status;
    lg_slot_response(s);
    return cls_classify(&s->w->sh->cls, &s->resp);
}

static void follow_up(struct lg_worker *w, struct lg_req *r, enum reason why,
                      int64_t retry_after_ns, int64_t now)
{
    const struct scn_population *p = &w->sh->sc->pops[r->tr.pop];
    int64_t delay = 0;
    r->last = why;
    r->last_ns = now;
    if (client_retry_keyed(&p->client, w->sh->cfg.seed, r->tr.id, r->attempts,
                           why, retry_after_ns, &delay)) {
        r->intended_ns = now + delay;
        lg_sched_push(w, r);
        return;
    }
    rec_request(w->rec, r->tr.pop, why,
                client_end_of(&p->client, r->attempts, why), r->attempts,
                r->first_ns, now);
    if (r->user >= 0)
        lg_sched_user(w, r->tr.pop, r->user,
                      now + traffic_think_ns(w->traffic, r->tr.pop, r->user));
}

static void complete(struct lg_worker *w, struct lg_slot *s, CURLcode rc,
                     int64_t now)
{
    enum reason why = outcome_of(s, rc);
    struct lg_req *r = &s->req;
    rec_attempt(w->rec, r->tr.pop, why, r->intended_ns, s->sent_ns, now);
    if (rc != CURLE_OK)
        rec_transport_error(w->rec, now);
    w->local.attempts++;
    w->local.outcome[why]++;
    hist_record(w->local.lat, now - r->intended_ns);
    curl_multi_remove_handle(w->multi, s->easy);
    s->busy = false;
    w->free_ix[w->n_free++] = (int)(s - w->slots);
    w->in_flight--;
    set_gauges(w, &s->resp, now);
    int64_t retry_after = rc == CURLE_OK ? s->resp.retry_after_ns : -1;
    follow_up(w, r, why, retry_after, now);
}

static void harvest(struct lg_worker *w)
{
    CURLMsg *m;
    int left;
    int64_t now = -1; /* one clock read per batch of completions */
    while ((m = curl_multi_info_read(w->multi, &left)) != NULL) {
        if (m->msg != CURLMSG_DONE)
            continue;
        struct lg_slot *s = NULL;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&s);
        if (now < 0)
            now = now_rel(w);
        complete(w, s, m->data.result, now);
    }
}

/* ---- the loop
 * ----------------------------------------------------------------- */

static void run_timeout(struct lg_worker *w, int64_t now)
{
    int running;
    if (w->curl_deadline_ns > now)
        return;
    w->curl_deadline_ns = NO_DEADLINE;
    curl_multi_socket_action(w->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    harvest(w);
}

/* The time to wake up at (ns since start): the next due request (when a
 * handle is free for it), libcurl's deadline, the next snapshot, limit,
 * or MAX_WAIT_NS from now, whichever comes first. */
static int64_t next_wake(const struct lg_worker *w, int64_t now, int64_t limit)
{
    int64_t t = now + MAX_WAIT_NS;
    if (limit < t)
        t = limit;
    if (w->n_free > 0 && w->heap.n > 0 && w->heap.v[0].intended_ns < t)
        t = w->heap.v[0].intended_ns;
    if (w->n_free > 0 && w->has_next && w->next.intended_ns < t)
        t = w->next.intended_ns;
    if (w->curl_deadline_ns < t)
        t = w->curl_deadline_ns;
    if (w->next_snap_ns < t)
        t = w->next_snap_ns;
    return t;
}

/* Waits up to wait_ns and feeds the events to libcurl.  While sending,
 * the clock is read every 8 events and due requests are launched in the
 * middle of the batch, so that a long batch of completions does not delay
 * the schedule. */
static void wait_events(struct lg_worker *w, int64_t wake_ns, bool sending)
{
    struct epoll_event ev[MAX_EVENTS];
    /* Relative to a fresh clock read: launching a batch may have taken a
     * while since the top of the loop. */
    int64_t wait_ns = wake_ns - now_rel(w);
    if (wait_ns < 0)
        wait_ns = 0;
    struct timespec ts = { wait_ns / 1000000000LL, wait_ns % 1000000000LL };
    int n = epoll_pwait2(w->epfd, ev, MAX_EVENTS, &ts, NULL);
    if (n < 0 && errno == ENOSYS)
        n = epoll_wait(w->epfd, ev, MAX_EVENTS,
                       (int)((wait_ns + 999999) / 1000000));
    for (int i = 0; i < n; i++) {
        int fd = ev[i].data.fd, running;
        struct lg_fd *e = fd_ent(w, fd);
        if (e->want == 0) { /* kept registration of an idle connection */
            epoll_ctl(w->epfd, EPOLL_CTL_DEL, fd, NULL);
            e->in_epoll = false;
            continue;
        }
        int flags =
            ((ev[i].events & EPOLLIN) ? CURL_CSELECT_IN : 0) |
            ((ev[i].events & EPOLLOUT) ? CURL_CSELECT_OUT : 0) |
            ((ev[i].events & (EPOLLERR | EPOLLHUP)) ? CURL_CSELECT_ERR : 0);
        curl_multi_socket_action(w->multi, fd, flags, &running);
        if (sending && (i & 7) == 7 && i + 1 < n) {
            int64_t now = now_rel(w);
            if (lg_sched_due_by(w, now)) {
                harvest(w);
                w->loop_ns = now;
                launch_due(w, now);
            }
        }
    }
    if (n > 0)
        harvest(w);
}

/* The end of the run: every logical request the worker started gets its
 * final outcome here if it has none yet, so finals add up to offered.
 * Completions libcurl already has are recorded first; an attempt still
 * in flight is abandoned (no answer); a retry waiting in the heap was due
 * after the window (or after a stop) and ends as its last attempt did,
 * when that attempt's answer came, as in sim. */
static void finish(struct lg_worker *w, int64_t end_ns)
{
    harvest(w);
    for (int i = 0; i < w->n_slots; i++) {
        struct lg_slot *s = &w->slots[i];
        if (s->busy) {
            curl_multi_remove_handle(w->multi, s->easy);
            s->busy = false;
            w->aborted++;
            rec_request_lost(w->rec, s->req.tr.pop, REC_ABANDONED_IN_FLIGHT,
                             s->req.attempts, s->req.first_ns);
        }
    }
    for (size_t i = 0; i < w->heap.n; i++)
        if (w->heap.v[i].attempts > 0) {
            w->retries_unsent++;
            const struct lg_req *q = &w->heap.v[i];
            rec_request(w->rec, q->tr.pop, q->last, REC_END_RUN_ENDED,
                        q->attempts, q->first_ns, q->last_ns);
        }
    w->in_flight = 0;
    w->end_ns = end_ns;
    snap_publish(w, true);
}

/* Requests intended inside the window that have not left yet. */
static bool pending(const struct lg_worker *w, int64_t dur)
{
    return w->has_next || (w->heap.n > 0 && w->heap.v[0].intended_ns < dur);
}

/* The window plus the drain time is over: whatever is still waiting to
 * be sent is dropped, and counted. */
static void drop_pending(struct lg_worker *w, int64_t dur, int64_t now)
{
    struct lg_req r;
    while (lg_sched_take(w, dur - 1, &r)) {
        drop(w, &r, now);
        w->dropped_drain++;
    }
}

void *lg_worker_main(void *arg)
{
    struct lg_worker *w = arg;
    const struct lg_shared *sh = w->sh;
    int64_t dur = sh->cfg.duration_ns, drain_until = -1, now = 0;
    /* Wake-ups at the intended send time, not up to 50 us later (the
     * default timer slack); failure only costs accuracy. */
    (void)prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
    curlmem_thread_begin(); /* libcurl's blocks recycled in this thread */
    int64_t cpu0 = 0, wait0 = 0;
    bool sched_ok = sched_times(&cpu0, &wait0);
    lg_sched_fetch(w);
    lg_sched_prime(w);
    /* Only for an open-loop schedule: closed-loop users at saturation
     * cost ~7% more CPU per request with it (the thread preempts the
     * server more eagerly and handles smaller batches). */
    if (w->has_next)
        latency_hint();
    w->next_snap_ns = sh->progress_ns;
    for (;;) {
        now = now_rel(w);
        w->loop_ns = now;
        if (atomic_load_explicit(&sh->stop, memory_order_relaxed)) {
            w->stopped = true;
            break;
        }
        bool sending = pending(w, dur);
        if (sending && now >= dur + sh->drain_ns) {
            /* The drain time is a hard cap: what is still unsent is
             * dropped, and what is in flight is abandoned now. */
            drop_pending(w, dur, now);
            sending = false;
            drain_until = now;
        }
        if (sending) {
            drain_until = -1;
            launch_due(w, now);
        } else if (drain_until < 0) {
            drain_until = now + sh->drain_ns;
        }
        if (!sending && (w->in_flight == 0 || now >= drain_until))
            break;
        run_timeout(w, now);
        if (now >= w->next_snap_ns) {
            snap_publish(w, false);
            w->next_snap_ns = now + sh->progress_ns;
        }
        int64_t limit =
            sending ? (now < dur ? dur : dur + sh->drain_ns) : drain_until;
        wait_events(w, next_wake(w, now, limit), sending);
    }
    /* A window that ran its course covers all of it; a stop or a spent
     * --max-requests limit covers the time until now. */
    bool cut = w->stopped || (w->limited && now < dur);
    finish(w, cut ? now : dur);
    int64_t cpu1, wait1;
    if (sched_ok && sched_times(&cpu1, &wait1)) {
        w->cpu_ns = cpu1 - cpu0;
        w->cpu_wait_ns = wait1 - wait0;
    }
    curlmem_thread_end();
    return NULL;
}

/* ---- setup
 * ------------------------------------------------------------------- */

static int multi_setup(struct lg_worker *w)
{
    CURLM *m = w->multi;
    if (curl_multi_setopt(m, CURLMOPT_SOCKETFUNCTION, on_socket) ||
        curl_multi_setopt(m, CURLMOPT_SOCKETDATA, w) ||
        curl_multi_setopt(m, CURLMOPT_TIMERFUNCTION, on_timer) ||
        curl_multi_setopt(m, CURLMOPT_TIMERDATA, w) ||
        curl_multi_setopt(m, CURLMOPT_MAX_HOST_CONNECTIONS, (long)w->n_slots) ||
        curl_multi_setopt(m, CURLMOPT_MAXCONNECTS, (long)w->n_slots))
        return ERR_CURL;
    return ERR_OK;
}

int lg_worker_init(struct lg_worker *w, const struct lg_shared *sh, int id,
                   char *err, size_t err_len)
{
    const struct lg_config *c = &sh->cfg;
    memset(w, 0, sizeof(*w));
    w->sh = sh;
    w->id = id;
    w->epfd = -1;
    w->curl_deadline_ns = NO_DEADLINE;
    w->starved_ns = -1;
    w->cpu_ns = w->cpu_wait_ns = -1;
    w->n_slots = c->connections / c->threads +
                 (id < c->connections % c->threads ? 1 : 0);
    pthread_mutex_init(&w->mu, NULL);
    hist_init(&w->lag);
    w->local.lat = hist_new();
    w->snap.lat = hist_new();
    w->traffic = traffic_new(sh->sc, c->seed, c->shard_i + c->shard_n * id,
                             c->shard_n * c->threads);
    w->epfd = epoll_create1(EPOLL_CLOEXEC);
    w->multi = curl_multi_init();
    if (w->epfd < 0 || !w->multi || multi_setup(w) != ERR_OK) {
        snprintf(err, err_len, "worker %d: cannot create epoll/curl multi", id);
        return ERR_CURL;
    }
    w->slots = xcalloc((size_t)w->n_slots, sizeof(*w->slots));
    w->free_ix = xcalloc((size_t)w->n_slots, sizeof(*w->free_ix));
    for (int i = 0; i < w->n_slots; i++) {
        struct lg_slot *s = &w->slots[i];
        s->w = w;
        s->timeout_set_ns = -1;
        s->easy = curl_easy_init();
        if (!s->easy || lg_slot_setup(s, sh, on_open, on_close, w) != ERR_OK) {
            snprintf(err, err_len, "worker %d: cannot set up a curl handle",
                     id);
            return ERR_CURL;
        }
        w->free_ix[w->n_free++] = i;
    }
    return ERR_OK;
}

void lg_worker_fini(struct lg_worker *w)
{
    if (!w || !w->sh)
        return;
    /* The multi handle first: closing its cached connections calls
     * on_close, which still needs fds and epfd. */
    if (w->multi)
        curl_multi_cleanup(w->multi);
    for (int i = 0; i < w->n_slots; i++)
        lg_slot_fini(&w->slots[i]);
    if (w->epfd >= 0)
        close(w->epfd);
    free(w->slots);
    free(w->free_ix);
    free(w->fds);
    free(w->heap.v);
    traffic_free(w->traffic);
    rec_free(w->rec);
    hist_fini(&w->lag);
    hist_free(w->local.lat);
    hist_free(w->snap.lat);
    pthread_mutex_destroy(&w->mu);
    memset(w, 0, sizeof(*w));
}

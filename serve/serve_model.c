/*
 * serve_model.c - policy + capacity + recorder + timeline on the real
 * clock, behind one mutex.
 *
 * One request: policy_decide at the (locked) clock reading; a denial is
 * recorded and answered at once.  An admitted request goes through the
 * capacity rule: rejected (overloaded, answered at once), started (a
 * service time is sampled and a TK_DONE timer armed), or queued (a
 * TK_QUEUE timer is armed at the queue's next deadline).  When service
 * ends the world frees the server, draws server_error and completes the
 * request with the policy; the queue is polled (starting or expiring
 * waiting requests) and the finished calls are resumed after the lock is
 * dropped.  The shared steps -- events, service times, end of service,
 * gauges -- are core/model/world's, the same code sim runs in virtual time.
 *
 * Invariants (all under m->lock):
 * - the clock is read after taking the lock, so the policy sees
 *   non-decreasing times whatever the thread interleaving;
 * - a call is on the waiting list exactly while its connection is
 *   suspended and the model owes it a resume; the capacity queue's tags
 *   are serve_call pointers of waiting calls;
 * - every policy-admitted call gets exactly one policy_complete.
 *
 * Not here: HTTP, response bodies, the admin formats (serve_admin.c).
 */
#include "serve/serve_model.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/model/capacity.h"
#include "core/base/json.h"
#include "core/results/results.h"
#include "core/model/timeline.h"
#include "core/model/world.h"
#include "serve/serve_admin.h"
#include "serve/serve_timer.h"

#define MAX_STATE_EVENTS                                                       \
    200 /* most recent occurrences /tollgate/state lists                       \
         */
#define MAX_INJECT_BATCH 64

enum timer_kind {
    TK_DONE = 1,
    TK_QUEUE,
    TK_EV_START,
    TK_EV_END,
    TK_GAUGES,
    TK_ADMIT /* a limit stops holding a call (nginx without nodelay) */
};

struct serve_model {
    struct serve_scn *scn;       /* borrowed; slots written under lock */
    const struct scenario *sc;   /* &scn->sc */
    const struct scenario *orig; /* borrowed */
    uint64_t seed;
    _Atomic int64_t t0; /* CLOCK_MONOTONIC of scenario time 0 */
    bool clock_started; /* under lock: the timeline is scheduled */
    serve_conn_fn *suspend_fn, *resume_fn;
    struct serve_timer *timer;

    pthread_mutex_t lock; /* protects everything below */
    struct world w;       /* policy, capacity, timeline (open-ended) */
    bool starting;        /* serve_model_new is scheduling the timeline */
    int64_t armed_ns;     /* earliest TK_QUEUE armed; INT64_MAX: none */
    struct rec *rec;
    struct serve_call *wait_head; /* waiting (suspended) calls */
    int64_t n_waiting;
    uint64_t n_local; /* calls that came without a key: their keys */
    bool stopped;
    int64_t stop_ns;
    int64_t decisions[REASON_COUNT];
    struct serve_admin_lat lat;
};

static int64_t t0_of(const struct serve_model *m)
{
    return atomic_load_explicit(&m->t0, memory_order_relaxed);
}

int64_t serve_model_now(const struct serve_model *m)
{
    int64_t t = serve_timer_now() - t0_of(m);
    return t > 0 ? t : 0; /* before a deferred start: scenario time 0 */
}

static void timer_at(struct serve_model *m, int64_t t_ns, int kind, void *item)
{
    serve_timer_add(m->timer, t0_of(m) + t_ns, kind, item);
}

/* ---- recording and the waiting list -------------------------------------- */

static void record(struct serve_model *m, int pop, enum reason outcome,
                   int64_t arrive_ns, int64_t now)
{
    if (m->stopped)
        return;
    rec_offered(m->rec, pop, arrive_ns);
    rec_attempt(m->rec, pop, outcome, arrive_ns, arrive_ns, now);
    /* serve cannot tell a retry from a new request: each one it answers
     * is a request of one attempt. */
    (void)rec_request(m->rec, pop, outcome, REC_END_ANSWER, 1, arrive_ns, now);
    m->decisions[outcome]++;
    serve_admin_lat_add(&m->lat, now - arrive_ns);
}

static void wait_link(struct serve_model *m, struct serve_call *c)
{
    c->prev = NULL;
    c->next = m->wait_head;
    if (m->wait_head != NULL)
        m->wait_head->prev = c;
    m->wait_head = c;
    c->waiting = true;
    m->n_waiting++;
}

static void wait_unlink(struct serve_model *m, struct serve_call *c)
{
    if (c->prev != NULL)
        c->prev->next = c->next;
    else
        m->wait_head = c->next;
    if (c->next != NULL)
        c->next->prev = c->prev;
    c->waiting = false;
    m->n_waiting--;
}

/* A waiting call got its final outcome: record it and move it to the
 * ready list, resumed once the lock is dropped. */
static void finish_waiting(struct serve_model *m, struct serve_call *c,
                           enum reason outcome, int64_t now,
                           struct serve_call **ready)
{
    c->outcome = outcome;
    record(m, c->rq.pop, outcome, c->arrive_ns, now);
    wait_unlink(m, c);
    c->next = *ready;
    *ready = c;
}

static void resume_all(struct serve_model *m, struct serve_call *ready)
{
    while (ready != NULL) {
        struct serve_call *next = ready->next; /* c may be freed after */
        m->resume_fn(ready->owner);
        ready = next;
    }
}

/* ---- service and the capacity queue -------------------------------------- */

static enum reason end_service(struct serve_model *m, struct serve_call *c,
                               int64_t now)
{
    enum reason why = world_end_service(&m->w, &c->rq, &c->dec.ticket,
                                        c->holds_server, now, c->key);
    c->holds_server = false;
    c->retry_ns = why == REASON_OK ? -1 : 0;
    return why;
}

static int64_t service_ns(struct serve_model *m, const struct serve_call *c)
{
    return world_service_ns(&m->w, c->rq.model, c->rq.completion_tokens,
                            c->key);
}

/* A waiting call that a server just took: arm its completion (or finish
 * it at once when its service time is 0). */
static void start_waiting(struct serve_model *m, struct serve_call *c,
                          int64_t now, struct serve_call **ready)
{
    c->holds_server = true;
    int64_t svc = service_ns(m, c);
    if (svc > 0)
        timer_at(m, now + svc, TK_DONE, c);
    else
        finish_waiting(m, c, end_service(m, c, now), now, ready);
}

static void drain_queue(struct serve_model *m, int64_t now,
                        struct serve_call **ready)
{
    for (;;) {
        uint64_t tag = 0;
        int64_t waited = 0;
        enum capacity_step st = capacity_poll(&m->w.cap, now, &tag, &waited);
        if (st == CAPACITY_NONE)
            break;
        struct serve_call *c = (struct serve_call *)(uintptr_t)tag;
        if (st == CAPACITY_START) {
            start_waiting(m, c, now, ready);
        } else {
            policy_complete(m->w.pol, &c->rq, &c->dec.ticket, now,
                            REASON_OVERLOADED, 0);
            c->retry_ns = 0;
            finish_waiting(m, c, REASON_OVERLOADED, now, ready);
        }
    }
    int64_t d = capacity_next_deadline(&m->w.cap);
    if (d != INT64_MAX && d < m->armed_ns) {
        m->armed_ns = d;
        timer_at(m, d, TK_QUEUE, NULL);
    }
}

/* A waiting call that a limit held (policy_decision.delay_ns) goes
 * through the capacity rule now, as admit() does for a call that was
 * never held. */
static void admit_waiting(struct serve_model *m, struct serve_call *c,
                          int64_t now, struct serve_call **ready)
{
    uint64_t tag = (uint64_t)(uintptr_t)c;
    switch (capacity_admit(&m->w.cap, tag, now)) {
    case CAPACITY_REJECTED:
        policy_complete(m->w.pol, &c->rq, &c->dec.ticket, now,
                        REASON_OVERLOADED, 0);
        finish_waiting(m, c, REASON_OVERLOADED, now, ready);
        break;
    case CAPACITY_STARTED: start_waiting(m, c, now, ready); break;
    case CAPACITY_QUEUED:
    default: drain_queue(m, now, ready); break; /* arms the queue deadline */
    }
}

/* ---- decisions ----------------------------------------------------------- */

static void denial_details(struct serve_model *m, struct serve_call *c)
{
    const struct policy_decision *d = &c->dec;
    c->retry_ns = reason_retryable(d->reason) ? d->retry_after_ns : -1;
    c->limit_name = NULL;
    c->limit_amount = -1;
    c->too_large = d->too_large;
    c->requested = d->requested;
    if (d->too_large)
        c->retry_ns = -1; /* no wait makes it pass: no hint at all */
    if (d->limit < 0 || d->tier < 0)
        return;
    const struct scn_tier *t = &m->sc->policy.tiers[d->tier];
    if ((size_t)d->limit >= t->n_limits)
        return;
    c->limit_name = t->limits[d->limit].name;
    const struct lim_conf *lc = policy_limit_conf(m->w.pol, d->tier, d->limit);
    c->limit_amount = lc != NULL ? lc->amount : t->limits[d->limit].amount;
}

/* Admission of a call the policy accepted; returns whether to suspend. */
static enum serve_next admit(struct serve_model *m, struct serve_call *c,
                             int64_t now, struct serve_call **ready)
{
    uint64_t tag = (uint64_t)(uintptr_t)c;
    switch (capacity_admit(&m->w.cap, tag, now)) {
    case CAPACITY_REJECTED:
        policy_complete(m->w.pol, &c->rq, &c->dec.ticket, now,
                        REASON_OVERLOADED, 0);
        c->outcome = REASON_OVERLOADED;
        c->retry_ns = 0;
        record(m, c->rq.pop, c->outcome, c->arrive_ns, now);
        return SERVE_ANSWER_NOW;
    case CAPACITY_STARTED: {
        c->holds_server = true;
        int64_t svc = service_ns(m, c);
        if (svc <= 0) {
            c->outcome = end_service(m, c, now);
            record(m, c->rq.pop, c->outcome, c->arrive_ns, now);
            drain_queue(m, now, ready);
            return SERVE_ANSWER_NOW;
        }
        m->suspend_fn(c->owner);
        wait_link(m, c);
        timer_at(m, now + svc, TK_DONE, c);
        return SERVE_SUSPENDED;
    }
    case CAPACITY_QUEUED:
    default:
        m->suspend_fn(c->owner);
        wait_link(m, c);
        drain_queue(m, now, ready); /* arms the queue deadline */
        return SERVE_SUSPENDED;
    }
}

enum serve_next serve_model_decide(struct serve_model *m, struct serve_call *c)
{
    struct serve_call *ready = NULL;
    enum serve_next next = SERVE_ANSWER_NOW;
    c->holds_server = c->waiting = false;
    c->limit_name = NULL;
    c->limit_amount = -1;
    c->too_large = false;
    c->retry_ns = -1;
    pthread_mutex_lock(&m->lock);
    int64_t now = serve_model_now(m);
    if (!c->keyed) /* another client: a stream of serve's own, by arrival */
        c->key = (struct world_key){ WORLD_KEY_LOCAL | m->n_local++, 0 };
    if (m->stopped) {
        memset(&c->dec, 0, sizeof(c->dec));
        c->dec.ticket.tier = -1; /* inert: nothing to complete */
        c->outcome = REASON_OUTAGE;
        c->retry_ns = -1; /* stopping: no known wait */
    } else if (policy_decide(m->w.pol, &c->rq, now, &c->dec) != REASON_OK) {
        c->outcome = c->dec.reason;
        denial_details(m, c);
        record(m, c->rq.pop, c->outcome, c->arrive_ns, now);
    } else if (c->dec.delay_ns > 0) { /* a limit holds it first (nginx) */
        m->suspend_fn(c->owner);
        wait_link(m, c);
        timer_at(m, now + c->dec.delay_ns, TK_ADMIT, c);
        next = SERVE_SUSPENDED;
    } else {
        next = admit(m, c, now, &ready);
    }
    pthread_mutex_unlock(&m->lock);
    resume_all(m, ready);
    return next;
}

void serve_model_record(struct serve_model *m, int pop, enum reason outcome,
                        int64_t arrive_ns)
{
    pthread_mutex_lock(&m->lock);
    record(m, pop, outcome, arrive_ns, serve_model_now(m));
    pthread_mutex_unlock(&m->lock);
}

/* ---- the event timeline -------------------------------------------------- */

static void update_capacity(struct serve_model *m, int64_t now,
                            struct serve_call **ready)
{
    drain_queue(m, now, ready); /* the world rescaled the servers */
}

/* Starts occurrence of event idx that was due at due_ns (<= now); a
 * recurring event's next start is due_ns + every, so it does not drift by
 * the timer's lateness. */
static void event_start(struct serve_model *m, int idx, int64_t due_ns,
                        int64_t now, struct serve_call **ready)
{
    world_event_begin(&m->w, (uint32_t)idx, due_ns, now);
    update_capacity(m, now, ready);
}

static void event_end(struct serve_model *m, int idx, int64_t due_ns,
                      int64_t now, struct serve_call **ready)
{
    world_event_finish(&m->w, (uint32_t)idx, due_ns, now);
    update_capacity(m, now, ready);
}

/* The timeline asks for a start or an end at t_ns.  While the model is
 * being built, starts already due (events at 0) are applied at once, so
 * they are in force before the first request is taken; everything else
 * becomes a timer. */
static void timeline_at(void *arg, int64_t t_ns, enum timeline_what what,
                        uint32_t ev)
{
    struct serve_model *m = arg;
    int64_t now = serve_model_now(m);
    if (m->starting && what == TIMELINE_START && t_ns <= now) {
        struct serve_call *ready = NULL; /* stays empty: no request yet */
        event_start(m, (int)ev, t_ns, now, &ready);
        return;
    }
    timer_at(m, t_ns, what == TIMELINE_START ? TK_EV_START : TK_EV_END,
             (void *)(intptr_t)ev);
}

/* Gauges of the interval ending at t_end, recorded just before it, with
 * values read now (core/model/world: one method for every engine). */
static void sample_gauges(struct serve_model *m, int64_t t_end, int64_t now)
{
    world_gauges(&m->w, m->rec, t_end - 1, now, m->n_waiting);
}

static void on_entry(struct serve_model *m, const struct serve_timer_entry *e,
                     int64_t now, struct serve_call **ready)
{
    int idx = (int)(intptr_t)e->item;
    switch (e->kind) {
    case TK_DONE: {
        struct serve_call *c = e->item;
        finish_waiting(m, c, end_service(m, c, now), now, ready);
        break;
    }
    case TK_ADMIT: admit_waiting(m, e->item, now, ready); break;
    case TK_QUEUE:
        if (e->due_ns - t0_of(m) >= m->armed_ns)
            m->armed_ns = INT64_MAX;
        break;
    case TK_EV_START:
        event_start(m, idx, e->due_ns - t0_of(m), now, ready);
        break;
    case TK_EV_END: event_end(m, idx, e->due_ns - t0_of(m), now, ready); break;
    case TK_GAUGES: {
        int64_t t_end = e->due_ns - t0_of(m);
        sample_gauges(m, t_end, now);
        timer_at(m, t_end + m->sc->interval_ns, TK_GAUGES, NULL);
        break;
    }
    default: break;
    }
}

static void on_timer(void *arg, const struct serve_timer_entry *due, size_t n,
                     int64_t now_mono)
{
    struct serve_model *m = arg;
    struct serve_call *ready = NULL;
    (void)now_mono;
    pthread_mutex_lock(&m->lock);
    int64_t now = serve_model_now(m);
    for (size_t i = 0; i < n && !m->stopped; i++)
        on_entry(m, &due[i], now, &ready);
    if (!m->stopped)
        drain_queue(m, now, &ready);
    pthread_mutex_unlock(&m->lock);
    resume_all(m, ready);
}

/* ---- lifecycle ----------------------------------------------------------- */

static int init_state(struct serve_model *m)
{
    int rc = world_init(&m->w, m->sc, m->seed, INT64_MAX, timeline_at, m);
    if (rc != ERR_OK)
        return rc;
    rc = rec_new_scenario(m->orig, m->orig->duration_ns, false, &m->rec);
    if (rc != ERR_OK)
        return rc;
    m->armed_ns = INT64_MAX;
    if (pthread_mutex_init(&m->lock, NULL) != 0)
        return ERR_THREAD;
    return ERR_OK;
}

void serve_model_start_clock(struct serve_model *m, int64_t t0_mono_ns)
{
    pthread_mutex_lock(&m->lock);
    if (!m->clock_started) {
        m->clock_started = true;
        atomic_store_explicit(&m->t0, t0_mono_ns, memory_order_relaxed);
        m->starting = true;
        timeline_schedule(&m->w.tl);
        m->starting = false;
        if (m->sc->interval_ns > 0)
            timer_at(m, m->sc->interval_ns, TK_GAUGES, NULL);
    }
    pthread_mutex_unlock(&m->lock);
}

int serve_model_new(struct serve_scn *scn, const struct scenario *orig,
                    uint64_t seed, bool defer_clock, serve_conn_fn *suspend_fn,
                    serve_conn_fn *resume_fn, struct serve_model **out)
{
    struct serve_model *m = xcalloc(1, sizeof(*m));
    m->scn = scn;
    m->sc = &scn->sc;
    m->orig = orig;
    m->seed = seed;
    atomic_init(&m->t0, serve_timer_now()); /* until the clock starts */
    m->suspend_fn = suspend_fn;
    m->resume_fn = resume_fn;
    int rc = init_state(m);
    if (rc != ERR_OK)
        goto fail;
    rc = serve_timer_new(on_timer, m, &m->timer);
    if (rc != ERR_OK) {
        pthread_mutex_destroy(&m->lock);
        goto fail;
    }
    if (!defer_clock)
        serve_model_start_clock(m, serve_timer_now());
    *out = m;
    return ERR_OK;
fail:
    rec_free(m->rec);
    world_fini(&m->w);
    free(m);
    return rc;
}

void serve_model_stop(struct serve_model *m)
{
    struct serve_call *ready = NULL;
    serve_timer_stop(m->timer);
    pthread_mutex_lock(&m->lock);
    if (!m->stopped) {
        int64_t now = serve_model_now(m);
        m->stopped = true;
        m->stop_ns = now;
        while (m->wait_head != NULL) {
            struct serve_call *c = m->wait_head;
            c->retry_ns = -1; /* the server is going away: no known wait */
            finish_waiting(m, c, REASON_OUTAGE, now, &ready);
        }
        int64_t end = now < m->sc->duration_ns ? now : m->sc->duration_ns;
        rec_finish(m->rec, end, now >= m->sc->duration_ns);
    }
    pthread_mutex_unlock(&m->lock);
    resume_all(m, ready);
}

const struct rec *serve_model_rec(const struct serve_model *m)
{
    return m->rec;
}

void serve_model_free(struct serve_model *m)
{
    if (m == NULL)
        return;
    serve_model_stop(m);
    serve_timer_free(m->timer);
    pthread_mutex_destroy(&m->lock);
    rec_free(m->rec);
    world_fini(&m->w);
    free(m);
}

/* ---- injected events ----------------------------------------------------- */

static void report_row(struct json_w *w, const struct timeline_row *row)
{
    json_w_obj_begin(w);
    json_w_key(w, "kind");
    json_w_str(w, scn_event_kind_name(row->kind));
    json_w_key(w, "label");
    json_w_str(w, row->label);
    json_w_key(w, "start_s");
    json_w_num(w, (double)row->start_ns / 1e9);
    json_w_key(w, "end_s");
    if (row->end_ns == INT64_MAX)
        json_w_null(w);
    else
        json_w_num(w, (double)row->end_ns / 1e9);
    json_w_obj_end(w);
}

static char *json_message(const char *key, const char *msg)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (f == NULL)
        abort(); /* out of memory */
    struct json_w w;
    json_w_init(&w, f, false);
    json_w_obj_begin(&w);
    json_w_key(&w, key);
    json_w_str(&w, msg);
    json_w_obj_end(&w);
    if (json_w_finish(&w) != ERR_OK || fclose(f) != 0)
        abort(); /* a memory stream fails only when memory runs out */
    return buf;
}

/* Commits and starts n parsed events; writes the report.  Under lock. */
static int start_injected(struct serve_model *m, struct scn_event *evs,
                          size_t n, FILE *f, struct serve_call **ready)
{
    if (m->stopped || m->w.tl.n_added + n > TIMELINE_MAX_ADDED)
        return ERR_TOOBIG; /* nothing added: the caller frees evs */
    int64_t now = serve_model_now(m);
    struct json_w w;
    json_w_init(&w, f, false);
    json_w_obj_begin(&w);
    json_w_key(&w, "applied");
    json_w_arr_begin(&w);
    for (size_t i = 0; i < n; i++) {
        uint32_t id;
        if (world_inject(&m->w, &evs[i], now, &id) != ERR_OK)
            abort(); /* room was checked above */
        update_capacity(m, now, ready);
        report_row(&w, &m->w.tl.rows[m->w.tl.n_rows - 1]);
    }
    json_w_arr_end(&w);
    json_w_obj_end(&w);
    return json_w_finish(&w);
}

int serve_model_inject(struct serve_model *m, const char *text, size_t len,
                       char **report)
{
    struct scn_event evs[MAX_INJECT_BATCH];
    size_t n = 0;
    struct scn_diags d;
    scn_diags_init(&d, "body");
    int rc =
        scn_parse_events(&m->scn->sc, text, len, evs, MAX_INJECT_BATCH, &n, &d);
    if (rc != ERR_OK) {
        char err[512];
        *report = json_message("error", scn_diags_fmt(err, sizeof(err), &d));
        scn_diags_fini(&d);
        return rc;
    }
    scn_diags_fini(&d);
    char *buf = NULL;
    size_t blen = 0;
    FILE *f = open_memstream(&buf, &blen);
    if (f == NULL)
        abort(); /* out of memory */
    struct serve_call *ready = NULL;
    pthread_mutex_lock(&m->lock);
    rc = start_injected(m, evs, n, f, &ready);
    pthread_mutex_unlock(&m->lock);
    resume_all(m, ready);
    if (fclose(f) != 0)
        abort(); /* out of memory */
    if (rc != ERR_OK) {
        for (size_t i = 0; i < n; i++)
            free(evs[i].regions);
        free(buf);
        *report = json_message("error", "no room for more injected events "
                                        "(or the server is stopping)");
    } else {
        *report = buf;
    }
    return rc;
}

/* ---- snapshots ----------------------------------------------------------- */

static void snap_common(struct serve_model *m, struct serve_admin_snap *s,
                        int64_t now)
{
    s->sc = m->orig;
    s->uptime_s = (double)now / 1e9;
    memcpy(s->decisions, m->decisions, sizeof(s->decisions));
    s->lat = m->lat;
    s->in_flight = m->n_waiting;
    s->queue_len = capacity_queued(&m->w.cap);
    s->busy_servers = capacity_busy(&m->w.cap);
    s->servers = m->w.cap.servers;
    s->capacity_factor = policy_capacity_factor(m->w.pol, now);
}

static void snap_events(struct serve_model *m, struct serve_admin_snap *s,
                        int64_t now)
{
    const struct timeline *tl = &m->w.tl;
    size_t first =
        tl->n_rows > MAX_STATE_EVENTS ? tl->n_rows - MAX_STATE_EVENTS : 0;
    s->n_events = tl->n_rows - first;
    s->events = xcalloc(s->n_events ? s->n_events : 1, sizeof(*s->events));
    for (size_t i = 0; i < s->n_events; i++) {
        const struct timeline_row *r = &tl->rows[first + i];
        struct serve_admin_event *e = &s->events[i];
        e->kind = scn_event_kind_name(r->kind);
        memcpy(e->label, r->label, sizeof(e->label));
        e->start_s = (double)r->start_ns / 1e9;
        e->end_s = r->end_ns == INT64_MAX ? -1 : (double)r->end_ns / 1e9;
        e->injected = (size_t)r->ev >= m->sc->n_events;
        e->active = r->end_ns > now && r->end_ns != r->start_ns;
    }
}

static void snap_full(struct serve_model *m, struct serve_admin_snap *s,
                      int64_t now)
{
    const struct scn_policy *p = &m->sc->policy;
    s->full = true;
    policy_totals(m->w.pol, now, &s->totals);
    s->rl_remaining_requests =
        policy_limit_remaining_total(m->w.pol, LIMIT_REQUESTS, now);
    s->rl_remaining_tokens =
        policy_limit_remaining_total(m->w.pol, LIMIT_TOKENS, now);
    s->blocked = xcalloc(m->sc->n_regions, sizeof(*s->blocked));
    for (size_t r = 0; r < m->sc->n_regions; r++)
        if (policy_region_blocked(m->w.pol, (int)r))
            s->blocked[s->n_blocked++] = (int)r;
    for (size_t t = 0; t < p->n_tiers; t++)
        if (p->tiers[t].n_limits > s->max_limits)
            s->max_limits = p->tiers[t].n_limits;
    s->limits = xcalloc(p->n_tiers * s->max_limits + 1, sizeof(*s->limits));
    for (size_t t = 0; t < p->n_tiers; t++)
        for (size_t i = 0; i < p->tiers[t].n_limits; i++)
            s->limits[t * s->max_limits + i] =
                *policy_limit_conf(m->w.pol, (int)t, (int)i);
    snap_events(m, s, now);
}

char *serve_model_state(struct serve_model *m, size_t *len)
{
    struct serve_admin_snap s;
    memset(&s, 0, sizeof(s));
    pthread_mutex_lock(&m->lock);
    int64_t now = serve_model_now(m);
    snap_common(m, &s, now);
    snap_full(m, &s, now);
    pthread_mutex_unlock(&m->lock);
    s.sc = m->sc; /* region names of the copy */
    char *body = serve_admin_state(&s, len);
    serve_admin_snap_fini(&s);
    return body;
}

char *serve_model_metrics(struct serve_model *m, size_t *len)
{
    struct serve_admin_snap s;
    memset(&s, 0, sizeof(s));
    pthread_mutex_lock(&m->lock);
    snap_common(m, &s, serve_model_now(m));
    pthread_mutex_unlock(&m->lock);
    return serve_admin_metrics(&s, len);
}

/* ---- events.csv ---------------------------------------------------------- */

int serve_model_write_events(const struct serve_model *m, const char *dir)
{
    return results_write_timeline(dir, m->w.tl.rows, m->w.tl.n_rows,
                                  rec_end_ns(m->rec));
}

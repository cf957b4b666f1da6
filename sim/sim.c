/*
 * sim.c - the discrete-event engine: one scenario, one seed, virtual time.
 *
 * State: an event queue (sim/evq) of pending engine events; a pool of
 * attempt records ("slots", recycled through a free list, referenced from
 * events by index so the pool can grow by doubling); the next open-loop
 * arrival, pulled lazily from core/model/traffic and kept outside the heap (the
 * main loop takes it when it is strictly earlier than the heap's top, so
 * memory grows with accounts and in-flight attempts, never with the number
 * of requests); the policy, the capacity rule and the recorder.
 *
 * Invariants: virtual time never decreases; every slot is in exactly one
 * of: free, waiting to be sent (a retry), in flight (client waiting),
 * or held by the server only (the client gave up); a slot is freed when
 * neither the client nor the server needs it.  A policy OK is followed by
 * exactly one policy_complete, at the time the server finishes (or the
 * queue rejects it).  Every random draw comes from an engine stream
 * seeded by (seed, fixed id, purpose) in event order, so a run is a pure
 * function of scenario and seed: no clock, no pointer order, no hashing.
 *
 * Client deadlines wait in one FIFO per population (a population has one
 * timeout, so deadlines join in order) with a single heap event for its
 * head; the capacity queue likewise has one timer for its head.  Answers
 * are handed to the client when they leave the server, stamped with their
 * arrival time (nothing else depends on them in between), so an attempt
 * costs at most one heap event: its service completion.
 *
 * Not here: arrival generation (traffic), decisions (policy), the
 * admission rule (capacity), retry arithmetic (client), statistics
 * (record), the scenario's event timeline and gauges (sim_timeline.c).
 * The engine only orders and connects them.
 */
#include "sim/sim.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/model/capacity.h"
#include "core/model/client.h"
#include "core/model/policy.h"
#include "core/base/reason.h"
#include "core/base/rng.h"
#include "core/model/traffic.h"
#include "sim/evq.h"
#include "sim/sim_int.h"

/* Stream ids of the engine's own streams, far from account ids. */
#define STREAM_ID ((uint64_t)1 << 62)

enum client_state { CL_DONE = 0, CL_PENDING_SEND, CL_WAITING };
enum server_state {
    SRV_IDLE = 0,
    SRV_QUEUED,
    SRV_RUNNING,
    SRV_DELAYED /* held by a limit (nginx without nodelay): SE_ADMIT comes */
};

enum { FAULT_INVALID_KEY = 1, FAULT_VIOLATION = 2, FAULT_BAD_REQUEST = 4 };

/* A request's attributes as the engine keeps them: a traffic_req without
 * the fields the engine does not need, narrowed (models and regions are
 * fewer than SCN_MAX_LIST, so int16 holds their indices). */
struct sim_req {
    uint64_t id;      /* traffic_req.id: keys the client's retry draws */
    int64_t first_ns; /* its first attempt's intended send time */
    int64_t account;
    int64_t prompt_tokens;
    int64_t completion_tokens;
    int32_t pop;
    int16_t model;
    int16_t region;
    uint8_t faults; /* FAULT_* bits */
};

/*
 * One attempt of a logical request: two cache lines, the first holding
 * what every handler reads.  Of the policy's decision only its ticket is
 * kept: what policy_complete() needs when service ends.
 */
struct sim_slot {
    _Alignas(64) struct sim_req rq;
    int64_t intended_ns;    /* this attempt's intended send time */
    int64_t reply_ns;       /* when the client sees the answer; INT64_MAX:
                               not known yet */
    int64_t rtt_ns;         /* round trip added to what the client sees */
    int64_t deadline_ns;    /* client gives up; INT64_MAX: never */
    int64_t retry_after_ns; /* the server's hint, -1: none */
    int32_t user;           /* closed-loop user (< SCN_MAX_USERS); -1: open
                               loop */
    int32_t attempts;       /* this is attempt number `attempts` (1..) */
    uint32_t gen;           /* bumped per attempt: stale timeouts */
    uint32_t next_free;
    struct policy_ticket ticket; /* of the OK decision */
    uint8_t client;              /* enum client_state */
    uint8_t server;              /* enum server_state */
    uint8_t outcome; /* server-side outcome (enum reason) once known */
    uint8_t timer;   /* in its population's deadline FIFO */
};

_Static_assert(sizeof(struct sim_slot) == 128, "a slot is two cache lines");
_Static_assert(SCN_MAX_USERS <= INT32_MAX, "a user index fits a slot's int32");

/*
 * Client deadlines of one population.  Its timeout is one constant and
 * attempts are sent in time order, so deadlines join in increasing order:
 * a FIFO replaces one heap event per attempt, and the heap holds a single
 * event for the head.  Entries of attempts that ended are skipped when
 * they reach the head (their slot's generation moved on).
 */
struct sim_deadline {
    int64_t deadline_ns;
    uint32_t slot, gen;
};

struct sim_deadline_fifo {
    struct sim_deadline *v; /* ring; grows by doubling */
    size_t cap, head, len;
    bool armed; /* an SE_CLIENT_TIMEOUT for the head is queued */
};

#define NO_SLOT      UINT32_MAX
#define MIN_THINK_NS 1000

#if defined(__GNUC__)
#define SIM_PREFETCH(p) __builtin_prefetch(p)
#else
#define SIM_PREFETCH(p) ((void)(p))
#endif

/* ---- slot pool ----------------------------------------------------------- */

/* n slots on a cache-line boundary (fatal on OOM, like xmalloc). */
static struct sim_slot *alloc_slots(uint32_t n)
{
    void *p = NULL;
    if (posix_memalign(&p, 64, (size_t)n * sizeof(struct sim_slot)) != 0) {
        fprintf(stderr, "out of memory: %zu bytes of attempt records\n",
                (size_t)n * sizeof(struct sim_slot));
        abort();
    }
    return p;
}

static uint32_t slot_alloc(struct sim_engine *e)
{
    if (e->free_head == NO_SLOT) {
        uint32_t old = e->n_slots, n = old ? old * 2 : 1024;
        struct sim_slot *v = alloc_slots(n);
        if (old > 0)
            memcpy(v, e->slots, (size_t)old * sizeof(*v));
        free(e->slots);
        e->slots = v;
        for (uint32_t i = old; i < n; i++) {
            e->slots[i].gen = 0;
            e->slots[i].next_free = i + 1 < n ? i + 1 : NO_SLOT;
        }
        e->free_head = old;
        e->n_slots = n;
    }
    uint32_t i = e->free_head;
    e->free_head = e->slots[i].next_free;
    if (++e->used_slots > e->stats->peak_slots)
        e->stats->peak_slots = e->used_slots;
    return i;
}

static void slot_release_if_idle(struct sim_engine *e, uint32_t i)
{
    struct sim_slot *s = &e->slots[i];
    if (s->client != CL_DONE || s->server != SRV_IDLE)
        return;
    s->gen++;
    s->next_free = e->free_head;
    e->free_head = i;
    e->used_slots--;
}

void sim_push(struct sim_engine *e, int64_t t, enum sim_ev_kind k, uint32_t arg,
              uint64_t data)
{
    evq_push(&e->q, t, (uint32_t)k, arg, data);
}

static void sreq_set(struct sim_req *q, const struct traffic_req *tr)
{
    q->id = tr->id;
    q->first_ns = tr->t_ns;
    q->account = tr->account;
    q->prompt_tokens = tr->prompt_tokens;
    q->completion_tokens = tr->completion_tokens;
    q->pop = tr->pop;
    q->model = (int16_t)tr->model;
    q->region = (int16_t)tr->region;
    q->faults = (uint8_t)((tr->invalid_key ? FAULT_INVALID_KEY : 0) |
                          (tr->violation ? FAULT_VIOLATION : 0) |
                          (tr->bad_request ? FAULT_BAD_REQUEST : 0));
}

static void make_preq(const struct sim_req *q, struct policy_req *rq)
{
    *rq = (struct policy_req){
        .account = q->account,
        .pop = q->pop,
        .model = q->model,
        .region = q->region,
        .source = q->account,
        .prompt_tokens = q->prompt_tokens,
        .completion_tokens = q->completion_tokens,
        .invalid_key = (q->faults & FAULT_INVALID_KEY) != 0,
        .violation = (q->faults & FAULT_VIOLATION) != 0,
        .bad_request = (q->faults & FAULT_BAD_REQUEST) != 0,
        .want_headers = false,
    };
}

/* The key of a slot's current attempt for the world's draws. */
static struct world_key attempt_key(const struct sim_slot *s)
{
    return (struct world_key){ s->rq.id, (uint32_t)s->attempts };
}

static void policy_finish(struct sim_engine *e, struct sim_slot *s,
                          enum reason why)
{
    struct policy_req rq;
    make_preq(&s->rq, &rq);
    policy_complete(e->w.pol, &rq, &s->ticket, e->now, why,
                    why == REASON_OK ? s->rq.completion_tokens : 0);
}

/* An attempt event's arg: its account, so that the policy state can be
 * prefetched an event ahead (step); 0 hints nothing useful but harms
 * nothing when the id does not fit. */
static uint32_t account_hint(int64_t account)
{
    return account >= 0 && account <= UINT32_MAX ? (uint32_t)account : 0;
}

/* ---- the life of an attempt --------------------------------------------- */

static void send_attempt(struct sim_engine *e, uint32_t i);

static void schedule_next_user(struct sim_engine *e, const struct sim_slot *s,
                               int64_t from_ns)
{
    if (s->user < 0)
        return;
    /* At least 1 us: a user with no think time and instant answers would
     * otherwise send forever without virtual time moving. */
    int64_t think = traffic_think_ns(e->traffic, s->rq.pop, s->user);
    int64_t t = from_ns + (think > MIN_THINK_NS ? think : MIN_THINK_NS);
    if (t < e->end)
        sim_push(e, t, SE_USER, (uint32_t)s->rq.pop, (uint64_t)s->user);
}

/*
 * The client observes outcome `why` of slot i at seen_ns (>= now): record
 * it, then retry or end the logical request.  Nothing but the client
 * depends on an answer while it travels back, so this runs when the
 * answer leaves the server, with the arrival time as an argument, instead
 * of through an event of its own.  Answers arriving after the end of the
 * run are recorded like the others (sim.h: the run drains); a retry that
 * would be sent at or after the end is not, and the request ends with
 * this outcome.
 */
static void finish_attempt(struct sim_engine *e, uint32_t i, enum reason why,
                           int64_t seen_ns)
{
    struct sim_slot *s = &e->slots[i];
    s->client = CL_DONE;
    e->in_flight--;
    e->stats->attempts++;
    rec_attempt(e->rec, s->rq.pop, why, s->intended_ns, s->intended_ns,
                seen_ns);
    const struct scn_client *cl = &e->sc->pops[s->rq.pop].client;
    int64_t hint = why == s->outcome ? s->retry_after_ns : -1;
    int64_t delay;
    bool retry =
        why != REASON_OK && client_retry_keyed(cl, e->seed, s->rq.id,
                                               s->attempts, why, hint, &delay);
    if (retry && seen_ns + delay < e->end) {
        int64_t at = seen_ns + delay;
        uint32_t j = i;
        if (s->server != SRV_IDLE) { /* server still busy with it */
            j = slot_alloc(e);
            s = &e->slots[i]; /* the pool may have moved */
            struct sim_slot *n = &e->slots[j];
            n->rq = s->rq;
            n->user = s->user;
            n->attempts = s->attempts;
            n->server = SRV_IDLE;
        }
        struct sim_slot *r = &e->slots[j];
        r->attempts++;
        r->intended_ns = at;
        r->client = CL_PENDING_SEND;
        sim_push(e, at, SE_SEND, account_hint(r->rq.account), j);
        return;
    }
    enum rec_end end =
        retry ? REC_END_RUN_ENDED : client_end_of(cl, s->attempts, why);
    rec_request(e->rec, s->rq.pop, why, end, s->attempts, s->rq.first_ns,
                seen_ns);
    e->stats->finals++;
    schedule_next_user(e, s, seen_ns);
    slot_release_if_idle(e, i);
}

/* Whether a FIFO entry still stands for a client waiting past its
 * deadline (else its attempt ended or its answer arrives in time). */
static bool deadline_live(const struct sim_engine *e,
                          const struct sim_deadline *d)
{
    const struct sim_slot *s = &e->slots[d->slot];
    return s->gen == d->gen && s->client == CL_WAITING &&
           s->reply_ns > s->deadline_ns;
}

/* Puts attempt i's client deadline into its population's FIFO (once per
 * attempt, at its send time, so the FIFO stays in deadline order). */
static void watch_deadline(struct sim_engine *e, uint32_t i)
{
    struct sim_slot *s = &e->slots[i];
    if (s->timer || s->deadline_ns == INT64_MAX)
        return;
    s->timer = 1;
    struct sim_deadline_fifo *f = &e->fifos[s->rq.pop];
    /* Drop entries at the head whose attempts have ended (most end long
     * before their deadline), so the FIFO holds attempts still waiting,
     * not everything sent within one timeout. */
    while (f->len > 0 && !deadline_live(e, &f->v[f->head])) {
        f->head = (f->head + 1) % f->cap;
        f->len--;
    }
    if (f->len == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 256;
        struct sim_deadline *v = xmalloc(cap * sizeof(*v));
        for (size_t k = 0; k < f->len; k++)
            v[k] = f->v[(f->head + k) % f->cap];
        free(f->v);
        f->v = v;
        f->cap = cap;
        f->head = 0;
    }
    assert(f->len == 0 ||
           f->v[(f->head + f->len - 1) % f->cap].deadline_ns <= s->deadline_ns);
    f->v[(f->head + f->len) % f->cap] =
        (struct sim_deadline){ s->deadline_ns, i, s->gen };
    f->len++;
    if (!f->armed) {
        f->armed = true;
        sim_push(e, s->deadline_ns, SE_CLIENT_TIMEOUT, (uint32_t)s->rq.pop, 0);
    }
}

/* The server's answer for slot i leaves at now and reaches the client at
 * at (= now + rtt) unless the client gives up first. */
static void deliver(struct sim_engine *e, uint32_t i, int64_t at)
{
    struct sim_slot *s = &e->slots[i];
    s->reply_ns = at;
    if (at > s->deadline_ns) {
        watch_deadline(e, i);
        return;
    }
    finish_attempt(e, i, (enum reason)s->outcome, at);
}

/* A server-side outcome that needs no service: denial, queue full. */
static void answer_now(struct sim_engine *e, uint32_t i, enum reason why)
{
    struct sim_slot *s = &e->slots[i];
    s->server = SRV_IDLE;
    s->outcome = (uint8_t)why;
    deliver(e, i, e->now + s->rtt_ns);
}

static void start_service(struct sim_engine *e, uint32_t i)
{
    struct sim_slot *s = &e->slots[i];
    int64_t svc = world_service_ns(&e->w, s->rq.model, s->rq.completion_tokens,
                                   attempt_key(s));
    s->server = SRV_RUNNING;
    s->reply_ns = e->now + svc + s->rtt_ns; /* predicted */
    sim_push(e, e->now + svc, SE_DONE, account_hint(s->rq.account), i);
}

/* Starts or expires whatever the queue lets go at now. */
void sim_drain_capacity(struct sim_engine *e)
{
    uint64_t tag;
    int64_t waited;
    enum capacity_step st;
    while ((st = capacity_poll(&e->w.cap, e->now, &tag, &waited)) !=
           CAPACITY_NONE) {
        uint32_t i = (uint32_t)tag;
        if (st == CAPACITY_START) {
            start_service(e, i);
            continue;
        }
        struct sim_slot *s = &e->slots[i];
        policy_finish(e, s, REASON_OVERLOADED);
        s->server = SRV_IDLE;
        s->outcome = REASON_OVERLOADED;
        if (s->client == CL_WAITING)
            deliver(e, i, e->now + s->rtt_ns);
        else
            slot_release_if_idle(e, i);
    }
}

/* Keeps the queue timer armed at or before the head's deadline. */
static void arm_queue_timer(struct sim_engine *e)
{
    int64_t d = capacity_next_deadline(&e->w.cap);
    if (d < e->qtimer_ns) {
        e->qtimer_ns = d;
        sim_push(e, d, SE_QUEUE_TIMEOUT, 0, 0);
    }
}

static void admit_attempt(struct sim_engine *e, uint32_t i);

static void send_attempt(struct sim_engine *e, uint32_t i)
{
    struct sim_slot *s = &e->slots[i];
    const struct scn_policy *pol = &e->sc->policy;
    int64_t timeout = e->sc->pops[s->rq.pop].client.timeout_ns;
    s->gen++;
    s->timer = 0;
    s->client = CL_WAITING;
    s->server = SRV_IDLE;
    s->reply_ns = INT64_MAX;
    s->retry_after_ns = -1;
    s->deadline_ns = timeout > 0 ? e->now + timeout : INT64_MAX;
    s->rtt_ns = e->rtt_const
                    ? e->rtt_ns
                    : llround(dist_sample_nonneg(&pol->net_rtt, &e->net));
    e->in_flight++;
    if (pol->net_failure > 0 && rng_double(&e->net) < pol->net_failure) {
        answer_now(e, i, REASON_NETWORK);
        return;
    }
    struct policy_req rq;
    make_preq(&s->rq, &rq);
    struct policy_decision d;
    enum reason r = policy_decide(e->w.pol, &rq, e->now, &d);
    if (r != REASON_OK) {
        if (d.too_large)
            s->retry_after_ns = CLIENT_RETRY_NEVER;
        else if (d.retry_after_ns > 0)
            s->retry_after_ns = d.retry_after_ns;
        answer_now(e, i, r);
        return;
    }
    s->ticket = d.ticket;
    if (d.delay_ns > 0) { /* a limit holds it first, as nginx does */
        s->server = SRV_DELAYED;
        sim_push(e, e->now + d.delay_ns, SE_ADMIT, account_hint(s->rq.account),
                 i);
        watch_deadline(e, i); /* its answer time is not known yet */
        return;
    }
    admit_attempt(e, i);
}

/* Capacity admission of attempt i, which the policy admitted (at once, or
 * after a limit held it: its client may have given up meanwhile). */
static void admit_attempt(struct sim_engine *e, uint32_t i)
{
    struct sim_slot *s = &e->slots[i];
    s->server = SRV_IDLE;
    switch (capacity_admit(&e->w.cap, i, e->now)) {
    case CAPACITY_STARTED: start_service(e, i); break;
    case CAPACITY_QUEUED:
        s->server = SRV_QUEUED;
        arm_queue_timer(e);
        break;
    case CAPACITY_REJECTED:
        policy_finish(e, s, REASON_OVERLOADED);
        if (s->client != CL_WAITING) { /* nobody waits for the answer */
            slot_release_if_idle(e, i);
            return;
        }
        answer_now(e, i, REASON_OVERLOADED);
        return;
    }
    if (s->client == CL_WAITING && s->reply_ns > s->deadline_ns)
        watch_deadline(e, i);
}

/* A new logical request (open-loop arrival or closed-loop user). */
static void start_request(struct sim_engine *e, const struct traffic_req *tr,
                          int64_t user)
{
    uint32_t i = slot_alloc(e);
    struct sim_slot *s = &e->slots[i];
    sreq_set(&s->rq, tr);
    s->user = (int32_t)user; /* fits: users < SCN_MAX_USERS */
    s->attempts = 1;
    s->intended_ns = tr->t_ns;
    s->server = SRV_IDLE;
    e->stats->unique++;
    rec_offered(e->rec, tr->pop, tr->t_ns);
    send_attempt(e, i);
}

/* ---- handlers --------------------------------------------------------------
 */

static void on_done(struct sim_engine *e, uint32_t i)
{
    struct sim_slot *s = &e->slots[i];
    struct policy_req rq;
    make_preq(&s->rq, &rq);
    enum reason why =
        world_end_service(&e->w, &rq, &s->ticket, true, e->now, attempt_key(s));
    s->server = SRV_IDLE;
    s->outcome = (uint8_t)why;
    if (e->w.cap.len > 0) /* somebody waits for the freed server */
        sim_drain_capacity(e);
    s = &e->slots[i];
    if (s->client == CL_WAITING)
        deliver(e, i, e->now + s->rtt_ns);
    else
        slot_release_if_idle(e, i);
}

/* Client deadlines of population pop that are due now. */
static void on_client_timeouts(struct sim_engine *e, int pop)
{
    struct sim_deadline_fifo *f = &e->fifos[pop];
    f->armed = false;
    while (f->len > 0 && f->v[f->head].deadline_ns <= e->now) {
        struct sim_deadline d = f->v[f->head];
        f->head = (f->head + 1) % f->cap;
        f->len--;
        if (!deadline_live(e, &d))
            continue; /* ended, reused, or answered in time */
        e->slots[d.slot].timer = 0;
        finish_attempt(e, d.slot, REASON_TIMEOUT, e->now);
    }
    if (f->len > 0 && !f->armed) {
        f->armed = true;
        sim_push(e, f->v[f->head].deadline_ns, SE_CLIENT_TIMEOUT, (uint32_t)pop,
                 0);
    }
}

static void on_queue_timer(struct sim_engine *e)
{
    e->qtimer_ns = INT64_MAX;
    sim_drain_capacity(e);
    arm_queue_timer(e);
}

static void on_user(struct sim_engine *e, int pop, int64_t user)
{
    struct traffic_req tr;
    traffic_closed_req(e->traffic, pop, user, e->now, &tr);
    start_request(e, &tr, user);
}

/* ---- setup and main loop ------------------------------------------------ */

static void scan_policy(struct sim_engine *e)
{
    const struct scn_policy *p = &e->sc->policy;
    e->rtt_const = p->net_rtt.kind == DIST_CONST;
    e->rtt_ns = e->rtt_const ? llround(p->net_rtt.a > 0 ? p->net_rtt.a : 0) : 0;
}

static void seed_streams(struct sim_engine *e, uint64_t seed)
{
    rng_init(&e->net, seed, STREAM_ID, RNG_NETWORK);
    e->seed = seed;
}

static void start_users(struct sim_engine *e)
{
    for (size_t p = 0; p < e->sc->n_pops; p++) {
        int64_t users = traffic_closed_users(e->traffic, (int)p);
        for (int64_t u = 0; u < users; u++) {
            int64_t t = traffic_think_ns(e->traffic, (int)p, u);
            if (t < e->end)
                sim_push(e, t, SE_USER, (uint32_t)p, (uint64_t)u);
        }
    }
}

static void dispatch(struct sim_engine *e, const struct evq_event *ev)
{
    uint32_t i = (uint32_t)ev->data;
    switch ((enum sim_ev_kind)ev->kind) {
    case SE_USER: on_user(e, (int)ev->arg, (int64_t)ev->data); break;
    case SE_SEND: send_attempt(e, i); break;
    case SE_DONE: on_done(e, i); break;
    case SE_ADMIT: admit_attempt(e, i); break;
    case SE_CLIENT_TIMEOUT: on_client_timeouts(e, (int)ev->arg); break;
    case SE_QUEUE_TIMEOUT: on_queue_timer(e); break;
    case SE_EVENT_START: sim_timeline_start(e, ev->arg); break;
    case SE_EVENT_END: sim_timeline_end(e, ev->arg); break;
    case SE_SAMPLE: sim_gauges_on_sample(e, (size_t)ev->data); break;
    }
}

/* Processes one event or arrival; false when nothing is left before the
 * end of the run. */
static bool step(struct sim_engine *e)
{
    const struct evq_event *top = evq_peek(&e->q);
    int64_t t_top = top ? top->time_ns : INT64_MAX;
    if (e->has_next && e->next.t_ns < t_top) {
        e->now = e->next.t_ns;
        start_request(e, &e->next, -1);
        e->has_next =
            traffic_next(e->traffic, &e->next) && e->next.t_ns < e->end;
        if (e->has_next)
            policy_prefetch(e->w.pol, e->next.account);
        return true;
    }
    if (t_top >= e->end)
        return false;
    struct evq_event ev;
    evq_pop(&e->q, &ev);
    e->now = ev.time_ns;
    /* The next event's attempt record and its account's policy state were
     * last touched long ago (a whole service time): start loading them
     * while this one is handled. */
    const struct evq_event *nx = evq_peek(&e->q);
    if (nx != NULL && (nx->kind == SE_DONE || nx->kind == SE_SEND)) {
        SIM_PREFETCH(&e->slots[nx->data]);
        policy_prefetch(e->w.pol, nx->arg);
    }
    dispatch(e, &ev);
    return true;
}

/* After the end: the next event of an attempt still in flight, as
 * step() does before it.  Only attempts' events are queued at or after
 * the end (arrivals, users, retries, samples and scenario events are
 * never scheduled there), so nothing new starts. */
static bool drain_step(struct sim_engine *e)
{
    struct evq_event ev;
    if (e->in_flight == 0 || !evq_pop(&e->q, &ev))
        return false;
    assert(ev.kind == SE_DONE || ev.kind == SE_CLIENT_TIMEOUT ||
           ev.kind == SE_QUEUE_TIMEOUT || ev.kind == SE_ADMIT);
    e->now = ev.time_ns;
    dispatch(e, &ev);
    return true;
}

/* Attempts that nothing can complete any more (queued while no server
 * serves, with neither a queue nor a client timeout): they end as
 * timeout when the drain runs out of events (at the duration, or at the
 * last event after it). */
static void abandon_stuck(struct sim_engine *e)
{
    for (uint32_t i = 0; i < e->n_slots && e->in_flight > 0; i++) {
        struct sim_slot *s = &e->slots[i];
        if (s->client == CL_WAITING)
            finish_attempt(e, i, REASON_TIMEOUT, e->now);
    }
}

static bool stop_requested(const struct sim_config *cfg)
{
    return cfg->stop != NULL && *cfg->stop != 0;
}

/* Runs step (or drain_step) until it has nothing left; false when the
 * stop flag ended it first. */
static bool run_phase(struct sim_engine *e, bool (*one)(struct sim_engine *))
{
    const struct sim_config *cfg = e->cfg;
    struct sim_stats *st = e->stats;
    bool done = true;
    for (;;) {
        if (!one(e))
            break;
        if (++st->events % SIM_TICK_EVENTS != 0)
            continue;
        if (evq_len(&e->q) > st->peak_pending)
            st->peak_pending = evq_len(&e->q);
        if (cfg->tick != NULL)
            cfg->tick(cfg->tick_ctx, e->rec, e->now);
        if (stop_requested(cfg)) {
            done = false;
            break;
        }
    }
    if (evq_len(&e->q) > st->peak_pending)
        st->peak_pending = evq_len(&e->q);
    return done;
}

static void engine_fini(struct sim_engine *e)
{
    traffic_free(e->traffic);
    world_fini(&e->w);
    evq_fini(&e->q);
    free(e->slots);
    for (size_t p = 0; e->fifos != NULL && p < e->sc->n_pops; p++)
        free(e->fifos[p].v);
    free(e->fifos);
}

int sim_rec_new(const struct scenario *sc, struct rec **out)
{
    return rec_new_scenario(sc, sc->duration_ns, false, out);
}

int sim_run(const struct sim_config *cfg, struct rec *rec,
            struct sim_stats *stats)
{
    *stats = (struct sim_stats){ 0 };
    struct sim_engine e = { 0 };
    e.sc = cfg->sc;
    e.cfg = cfg;
    e.rec = rec;
    e.stats = stats;
    e.end = cfg->sc->duration_ns;
    e.free_head = NO_SLOT;
    evq_init(&e.q, 1024);
    int rc = world_init(&e.w, e.sc, cfg->seed, e.end, sim_timeline_at, &e);
    if (rc != ERR_OK)
        goto fail;
    e.traffic = traffic_new(e.sc, cfg->seed, 0, 1);
    e.fifos = xcalloc(e.sc->n_pops + 1, sizeof(*e.fifos));
    e.qtimer_ns = INT64_MAX;
    seed_streams(&e, cfg->seed);
    scan_policy(&e);
    timeline_schedule(&e.w.tl);
    start_users(&e);
    if (e.sc->interval_ns > 0 && e.sc->interval_ns < e.end)
        sim_push(&e, e.sc->interval_ns, SE_SAMPLE, 0, 0);
    e.has_next = traffic_next(e.traffic, &e.next) && e.next.t_ns < e.end;
    stats->complete = run_phase(&e, step);
    stats->end_ns = stats->complete ? e.end : e.now;
    sim_gauges_sample(
        &e, rec_interval_of(rec, stats->end_ns > 0 ? stats->end_ns - 1 : 0));
    if (stats->complete) { /* the duration is over: drain (sim.h) */
        e.now = e.end;
        stats->complete = run_phase(&e, drain_step);
        if (stats->complete && e.in_flight > 0)
            abandon_stuck(&e);
        stats->drain_ns = e.now > e.end ? e.now - e.end : 0;
    }
    rec_finish(rec, stats->end_ns, stats->complete);
    stats->slot_bytes = (size_t)e.n_slots * sizeof(struct sim_slot);
    stats->rows = timeline_take_rows(&e.w.tl, &stats->n_rows);
    stats->trace_report = sim_trace_report(e.traffic, e.sc);
fail:
    engine_fini(&e);
    return rc;
}

void sim_stats_fini(struct sim_stats *stats)
{
    if (stats == NULL)
        return;
    free(stats->rows);
    stats->rows = NULL;
    stats->n_rows = 0;
    free(stats->trace_report);
    stats->trace_report = NULL;
}

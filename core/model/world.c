/*
 * world.c - the engine-neutral glue of policy, capacity, timeline and
 * gauges (world.h).
 *
 * Every function is one of the steps sim and serve share, written once;
 * none reads a clock, allocates per request or schedules by itself (the
 * timeline asks the engine).  The order inside each step is part of the
 * contract, because the draws and the policy's state depend on it: an
 * event is applied to the policy before it is logged (its label reads
 * the scenario only) and before capacity is rescaled (the factor reads
 * the policy); at the end of service the server is freed before the
 * error draw and the completion.
 */
#include "core/model/world.h"

#include "core/base/err.h"

static void scan_policy(struct world *w)
{
    const struct scn_policy *p = &w->sc->policy;
    for (size_t t = 0; t < p->n_tiers; t++) {
        const struct scn_tier *tier = &p->tiers[t];
        w->has_credit |= tier->has_credit;
        for (size_t l = 0; l < tier->n_limits; l++) {
            w->has_rl_req |= tier->limits[l].kind == LIMIT_REQUESTS;
            w->has_rl_tok |= tier->limits[l].kind == LIMIT_TOKENS;
        }
    }
}

int world_init(struct world *w, const struct scenario *sc, uint64_t seed,
               int64_t end_ns, timeline_at_fn *at, void *at_arg)
{
    *w = (struct world){ .sc = sc };
    timeline_init(&w->tl, sc, seed, end_ns, at, at_arg);
    int rc = capacity_init_policy(&w->cap, &sc->policy);
    if (rc == ERR_OK)
        rc = policy_new(sc, seed, &w->pol);
    if (rc != ERR_OK) {
        world_fini(w);
        return rc;
    }
    w->seed = seed;
    zig_init(&w->zig);
    scan_policy(w);
    return ERR_OK;
}

void world_fini(struct world *w)
{
    if (w == NULL)
        return;
    policy_free(w->pol);
    w->pol = NULL;
    capacity_fini(&w->cap);
    timeline_fini(&w->tl);
}

static void rescale(struct world *w, int64_t now_ns)
{
    capacity_set_factor(&w->cap, policy_capacity_factor(w->pol, now_ns));
}

void world_event_begin(struct world *w, uint32_t ev, int64_t due_ns,
                       int64_t now_ns)
{
    policy_event_start(w->pol, timeline_event(&w->tl, ev), ev, now_ns);
    timeline_begin(&w->tl, ev, due_ns, now_ns);
    rescale(w, now_ns);
}

void world_event_finish(struct world *w, uint32_t ev, int64_t due_ns,
                        int64_t now_ns)
{
    policy_event_end(w->pol, timeline_event(&w->tl, ev), ev, now_ns);
    timeline_finish(&w->tl, ev, due_ns);
    rescale(w, now_ns);
}

int world_inject(struct world *w, const struct scn_event *ev, int64_t now_ns,
                 uint32_t *id)
{
    int rc = timeline_add(&w->tl, ev, id);
    if (rc == ERR_OK)
        world_event_begin(w, *id, now_ns, now_ns);
    return rc;
}

/* The stream of attempt k for purpose: the attempt joins the seed
 * (golden-ratio spread), the request is the stream id, as in
 * client_retry_keyed; rng_init hashes all three, so every (request,
 * attempt, purpose) gets an independent stream. */
static void keyed(struct rng *r, const struct world *w, struct world_key k,
                  enum rng_purpose purpose)
{
    rng_init(r, w->seed ^ ((uint64_t)k.attempt * RNG_GOLDEN), k.request,
             purpose);
}

int64_t world_service_ns(const struct world *w, int model,
                         int64_t completion_tokens, struct world_key k)
{
    if (model < 0 || (size_t)model >= w->sc->policy.n_models)
        return 0; /* no such model: no service, no stream */
    const struct scn_model *m = &w->sc->policy.models[model];
    struct rng r = { { 0 } };
    if (m->first_token.kind != DIST_CONST || m->per_token.kind != DIST_CONST)
        keyed(&r, w, k, RNG_SERVICE); /* constants draw nothing */
    return capacity_service_ns_zig(m, completion_tokens, &w->zig, &r);
}

bool world_server_error(const struct world *w, struct world_key k)
{
    double p_err = w->sc->policy.server_error;
    if (p_err <= 0)
        return false;
    struct rng r;
    keyed(&r, w, k, RNG_FAULTS);
    return rng_double(&r) < p_err;
}

enum reason world_end_service(struct world *w, const struct policy_req *rq,
                              const struct policy_ticket *t, bool holds_server,
                              int64_t now_ns, struct world_key k)
{
    if (holds_server)
        capacity_release(&w->cap);
    enum reason why =
        world_server_error(w, k) ? REASON_SERVER_ERROR : REASON_OK;
    policy_complete(w->pol, rq, t, now_ns, why,
                    why == REASON_OK ? rq->completion_tokens : 0);
    return why;
}

void world_gauges(const struct world *w, struct rec *rec, int64_t t_ns,
                  int64_t now_ns, int64_t in_flight)
{
    rec_gauge(rec, REC_G_IN_FLIGHT, t_ns, (double)in_flight);
    rec_gauge(rec, REC_G_QUEUE_LEN, t_ns, (double)capacity_queued(&w->cap));
    if (w->has_credit)
        rec_gauge(rec, REC_G_CREDIT_USD, t_ns,
                  (double)policy_credit_total(w->pol, now_ns) / 1e12);
    if (w->has_rl_req)
        rec_gauge(
            rec, REC_G_RL_REQUESTS, t_ns,
            policy_limit_remaining_sampled(w->pol, LIMIT_REQUESTS, now_ns));
    if (w->has_rl_tok)
        rec_gauge(rec, REC_G_RL_TOKENS, t_ns,
                  policy_limit_remaining_sampled(w->pol, LIMIT_TOKENS, now_ns));
}

size_t world_key_fmt(char *buf, size_t len, struct world_key k)
{
    char tmp[WORLD_KEY_TEXT_MAX];
    size_t n = 0;
    uint32_t a = k.attempt;
    do { /* digits backwards: the attempt, the dot, the request */
        tmp[n++] = (char)('0' + a % 10);
        a /= 10;
    } while (a > 0);
    tmp[n++] = '.';
    uint64_t r = k.request;
    do {
        tmp[n++] = (char)('0' + r % 10);
        r /= 10;
    } while (r > 0);
    if (len == 0)
        return 0;
    size_t out = n < len ? n : len - 1;
    for (size_t i = 0; i < out; i++)
        buf[i] = tmp[n - 1 - i];
    buf[out] = '\0';
    return out;
}

/* Decimal digits of s up to stop into *v; false when there are none,
 * when *v would exceed max, or when anything else comes first. */
static bool digits(const char **s, char stop, uint64_t max, uint64_t *v)
{
    const char *p = *s;
    uint64_t x = 0;
    if (*p < '0' || *p > '9')
        return false;
    for (; *p >= '0' && *p <= '9'; p++) {
        uint64_t d = (uint64_t)(*p - '0');
        if (x > (max - d) / 10)
            return false;
        x = x * 10 + d;
    }
    if (*p != stop)
        return false;
    *s = p;
    *v = x;
    return true;
}

bool world_key_parse(const char *s, struct world_key *k)
{
    uint64_t req, att;
    if (s == NULL || !digits(&s, '.', WORLD_KEY_LOCAL - 1, &req))
        return false;
    s++;
    if (!digits(&s, '\0', UINT32_MAX, &att))
        return false;
    *k = (struct world_key){ req, (uint32_t)att };
    return true;
}

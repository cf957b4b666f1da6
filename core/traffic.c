/*
 * traffic.c - the request stream: arrivals, account choice, attributes.
 *
 * Each open-loop population is a cursor over its phases.  The arrival
 * process is expressed through the integrated rate Lambda of the current
 * phase: the next arrival is where Lambda reaches a target y, and y grows
 * by a unit exponential (poisson) or by exactly 1 (uniform).  Lambda is
 * inverted in closed form for constant rates and linear ramps, and by
 * safeguarded Newton iteration when a diurnal term is present, so the
 * process has exactly the documented rate function (no thinning).
 *
 * Invariants: every population draws its arrivals and account picks from
 * its own streams whatever the shard, so a shard drops foreign requests
 * after generating them and keeps exactly the requests (times, ids,
 * accounts) the unsharded run gives its accounts.  Attributes come from
 * per-account streams that are created lazily (a zero state means "not
 * yet seeded": rng_init never leaves a zero state), so memory grows with
 * the shard's accounts and nothing is allocated per request.
 *
 * This module does not decide anything about the requests (policy does),
 * does not schedule closed-loop users (the engine does) and reads no clock.
 */
#include "core/traffic.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>

#include "core/err.h"

#define ID_POP_SHIFT  51
#define ID_CLOSED_BIT (UINT64_C(1) << 63)
#define THINK_ID_BIT  (UINT64_C(1) << 63)
#define COUNT_MAX     4611686018427387904.0 /* 2^62 */
#define TWO_PI        6.283185307179586

/* The two per-account streams; zero state means not seeded yet. */
struct acct_streams {
    struct rng attrs;
    struct rng faults;
};

/* A closed-loop user: its think-time stream and request counter. */
struct closed_user {
    struct rng think; /* zero until first used */
    uint64_t seq;     /* requests issued so far */
};

/* One phase, prepared for inversion.  Times within the phase are seconds
 * since its start (tau). */
struct phase_fn {
    double a;        /* rate at tau = 0, per second */
    double k;        /* ramp slope, per second squared */
    double amp;      /* diurnal amplitude in [-1, 1]; 0: none */
    double omega;    /* 2 pi / period, per second */
    double theta0;   /* diurnal phase angle at tau = 0 */
    double integral; /* Lambda(for): expected arrivals in the phase */
};

struct pop_gen {
    const struct scn_population *p;
    int index;
    bool open;    /* poisson or uniform with phases */
    bool done;    /* no further arrivals */
    bool poisson; /* else uniform */
    struct rng arrivals, pick;
    struct zipf zipf;
    size_t phase; /* current phase index */
    int64_t start_ns, end_ns;
    struct phase_fn fn;
    double y;       /* Lambda target of the next arrival, within phase */
    double tau;     /* time of the last arrival in the phase (s) */
    double lam_tau; /* Lambda(tau) */
    uint64_t seq;   /* arrivals generated, every shard included */
    int64_t head_t_ns, head_account;
    uint64_t head_seq;
    struct closed_user *users; /* closed loop: one per user */
};

struct traffic {
    const struct scenario *sc;
    uint64_t seed;
    int64_t shard_i, shard_n;
    struct pop_gen *pops;
    size_t n_pops;
    int *heap; /* open populations with a head, by (head_t_ns, index) */
    size_t heap_n;
    struct acct_streams *accts; /* indexed by account / shard_n */
    int64_t n_local;
};

/* ---- rate function ------------------------------------------------------ */

static double clamp_amp(double a)
{
    return a > 1 ? 1 : a < -1 ? -1 : a;
}

static bool has_diurnal(const struct scn_phase *ph)
{
    return ph->diurnal_amplitude != 0 && ph->diurnal_period_ns > 0;
}

/* Prepares phase ph starting at start_ns (scenario time). */
static void phase_prepare(struct phase_fn *f, const struct scn_phase *ph,
                          int64_t start_ns)
{
    double d = (double)ph->for_ns / 1e9;
    f->a = ph->rate_from_per_s;
    f->k = d > 0 ? (ph->rate_to_per_s - ph->rate_from_per_s) / d : 0;
    f->amp = has_diurnal(ph) ? clamp_amp(ph->diurnal_amplitude) : 0;
    f->omega = 0;
    f->theta0 = 0;
    if (f->amp != 0) {
        int64_t p = ph->diurnal_period_ns;
        f->omega = TWO_PI / ((double)p / 1e9);
        f->theta0 = TWO_PI * ((double)(start_ns % p) / (double)p);
    }
    f->integral = 0; /* set by enter_phase, which needs phase_lambda */
}

static double phase_rate(const struct phase_fn *f, double tau)
{
    double r = f->a + f->k * tau;
    if (f->amp != 0)
        r *= 1 + f->amp * sin(f->theta0 + f->omega * tau);
    return r > 0 ? r : 0;
}

/* Antiderivative of (a + k tau) sin(theta0 + omega tau), up to the
 * A factor. */
static double diurnal_anti(const struct phase_fn *f, double tau)
{
    double th = f->theta0 + f->omega * tau;
    return -(f->a + f->k * tau) * cos(th) / f->omega +
           f->k * sin(th) / (f->omega * f->omega);
}

/* Lambda(tau): integral of the rate over [0, tau] of the phase. */
static double phase_lambda(const struct phase_fn *f, double tau)
{
    double lam = f->a * tau + f->k * tau * tau / 2;
    if (f->amp != 0)
        lam += f->amp * (diurnal_anti(f, tau) - diurnal_anti(f, 0));
    return lam;
}

/* Integrals within a hair of an integer are made that integer, so a
 * uniform phase of 3/m over 1m holds exactly 3 arrivals. */
static double snap_integral(double v)
{
    double r = nearbyint(v);
    return fabs(v - r) <= 1e-9 * (r > 1 ? r : 1) ? r : v;
}

/* ---- inversion ---------------------------------------------------------- */

/* tau in [lo, hi] with Lambda(tau) = y, given Lambda(lo) = lam_lo <= y and
 * Lambda(hi) >= y: Newton's method kept inside a shrinking bracket. */
static double solve_newton(const struct phase_fn *f, double y, double lo,
                           double lam_lo, double hi)
{
    double r = phase_rate(f, lo);
    double x = r > 0 ? lo + (y - lam_lo) / r : (lo + hi) / 2;
    if (!(x > lo && x < hi))
        x = (lo + hi) / 2;
    for (int i = 0; i < 200; i++) {
        double fx = phase_lambda(f, x) - y;
        if (fx > 0)
            hi = x;
        else
            lo = x;
        r = phase_rate(f, x);
        double xn = r > 0 ? x - fx / r : (lo + hi) / 2;
        if (!(xn >= lo && xn <= hi))
            xn = (lo + hi) / 2;
        double tol = 2e-10 + 1e-15 * xn;
        if (fabs(xn - x) <= tol || hi - lo <= tol)
            return xn;
        x = xn;
    }
    return x;
}

/* tau where Lambda reaches y (0 <= y <= integral) in g's current phase. */
static double phase_invert(struct pop_gen *g, double y)
{
    const struct phase_fn *f = &g->fn;
    if (y <= 0)
        return 0;
    if (f->amp != 0) {
        double hi = (double)(g->end_ns - g->start_ns) / 1e9;
        return solve_newton(f, y, g->tau, g->lam_tau, hi);
    }
    if (f->k == 0)
        return y / f->a;
    /* a tau + k tau^2 / 2 = y, in the form that does not cancel. */
    double disc = f->a * f->a + 2 * f->k * y;
    return 2 * y / (f->a + sqrt(disc > 0 ? disc : 0));
}

/* ---- populations -------------------------------------------------------- */

/* Enters phase g->phase (starting at g->start_ns); false past the last. */
static bool enter_phase(struct pop_gen *g)
{
    const struct scn_population *p = g->p;
    if (g->phase >= p->n_phases)
        return false;
    const struct scn_phase *ph = &p->phases[g->phase];
    g->end_ns = g->start_ns + ph->for_ns;
    phase_prepare(&g->fn, ph, g->start_ns);
    double d = (double)ph->for_ns / 1e9;
    if (g->fn.amp != 0)
        g->fn.integral = phase_lambda(&g->fn, d);
    else
        g->fn.integral = d * (ph->rate_from_per_s + ph->rate_to_per_s) / 2;
    g->fn.integral = snap_integral(g->fn.integral);
    g->tau = 0;
    g->lam_tau = 0;
    return true;
}

static double next_increment(struct pop_gen *g)
{
    return g->poisson ? -log(rng_double(&g->arrivals)) : 1.0;
}

/* The time of the next arrival of g, or -1 when there is none before
 * duration_ns. */
static int64_t next_arrival_ns(struct pop_gen *g, int64_t duration_ns)
{
    while (!(g->y < g->fn.integral)) {
        g->y -= g->fn.integral;
        g->start_ns = g->end_ns;
        g->phase++;
        if (g->start_ns >= duration_ns || !enter_phase(g))
            return -1;
    }
    double tau = phase_invert(g, g->y);
    g->tau = tau;
    g->lam_tau = g->y;
    g->y += next_increment(g);
    int64_t t = g->start_ns + (int64_t)(tau * 1e9 + 0.5);
    if (t >= g->end_ns)
        t = g->end_ns - 1; /* rounding at the very end of the phase */
    return t < duration_ns ? t : -1;
}

static int64_t pick_account(struct pop_gen *g)
{
    const struct scn_population *p = g->p;
    uint64_t r = p->has_skew ? zipf_sample(&g->zipf, &g->pick)
                             : rng_below(&g->pick, (uint64_t)p->count);
    return p->first_account + (int64_t)r;
}

/* Advances g to its next arrival that belongs to the shard; marks it done
 * when there is none. */
static void advance(struct traffic *t, struct pop_gen *g)
{
    for (;;) {
        int64_t at = next_arrival_ns(g, t->sc->duration_ns);
        if (at < 0) {
            g->done = true;
            return;
        }
        int64_t acct = pick_account(g);
        uint64_t seq = g->seq++;
        if (t->shard_n == 1 || acct % t->shard_n == t->shard_i) {
            g->head_t_ns = at;
            g->head_account = acct;
            g->head_seq = seq;
            return;
        }
    }
}

static void pop_init(struct traffic *t, struct pop_gen *g, size_t i)
{
    const struct scn_population *p = &t->sc->pops[i];
    g->p = p;
    g->index = (int)i;
    rng_init(&g->arrivals, t->seed, i, RNG_ARRIVALS);
    rng_init(&g->pick, t->seed, i, RNG_PICK);
    if (p->arrival == ARRIVAL_CLOSED) {
        if (p->users > 0 && p->count > 0)
            g->users = xcalloc((size_t)p->users, sizeof(*g->users));
        g->done = true;
        return;
    }
    g->open = true;
    g->poisson = p->arrival == ARRIVAL_POISSON;
    if (p->has_skew && p->count > 0)
        zipf_init(&g->zipf, (uint64_t)p->count, p->skew_s);
    g->start_ns = 0;
    if (p->count <= 0 || !enter_phase(g)) {
        g->done = true;
        return;
    }
    /* uniform: the first arrival at Lambda = 0 */
    g->y = g->poisson ? next_increment(g) : 0;
    advance(t, g);
}

/* ---- merge heap --------------------------------------------------------- */

static bool head_before(const struct traffic *t, int a, int b)
{
    const struct pop_gen *x = &t->pops[a], *y = &t->pops[b];
    if (x->head_t_ns != y->head_t_ns)
        return x->head_t_ns < y->head_t_ns;
    return a < b;
}

static void heap_down(struct traffic *t, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, m = i;
        if (l < t->heap_n && head_before(t, t->heap[l], t->heap[m]))
            m = l;
        if (l + 1 < t->heap_n && head_before(t, t->heap[l + 1], t->heap[m]))
            m = l + 1;
        if (m == i)
            return;
        int tmp = t->heap[i];
        t->heap[i] = t->heap[m];
        t->heap[m] = tmp;
        i = m;
    }
}

static void heap_build(struct traffic *t)
{
    t->heap = xcalloc(t->n_pops ? t->n_pops : 1, sizeof(*t->heap));
    for (size_t i = 0; i < t->n_pops; i++)
        if (!t->pops[i].done)
            t->heap[t->heap_n++] = (int)i;
    for (size_t i = t->heap_n / 2; i-- > 0;)
        heap_down(t, i);
}

/* ---- attributes ---------------------------------------------------------- */

static struct acct_streams *streams_of(struct traffic *t, int64_t account)
{
    assert(traffic_owns(t, account));
    int64_t local = t->shard_n == 1 ? account : account / t->shard_n;
    struct acct_streams *s = &t->accts[local];
    const uint64_t *w = s->attrs.s;
    if ((w[0] | w[1] | w[2] | w[3]) == 0) {
        rng_init(&s->attrs, t->seed, (uint64_t)account, RNG_ATTRS);
        rng_init(&s->faults, t->seed, (uint64_t)account, RNG_FAULTS);
    }
    return s;
}

/* The index u falls on in w (first cum > u); dflt when w is empty. */
static int pick_weighted(const struct scn_weights *w, double u, int dflt)
{
    if (w->n == 0)
        return dflt;
    size_t lo = 0, hi = w->n - 1;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (u < w->cum[mid])
            hi = mid;
        else
            lo = mid + 1;
    }
    return w->index[lo];
}

static int64_t to_count(double v)
{
    if (!(v > 0))
        return 0;
    if (v >= COUNT_MAX)
        return (int64_t)COUNT_MAX;
    return (int64_t)(v + 0.5);
}

static void fill_attrs(struct traffic *t, const struct scn_population *p,
                       int64_t account, struct traffic_req *out)
{
    struct acct_streams *s = streams_of(t, account);
    out->account = account;
    out->model = pick_weighted(&p->models, rng_double(&s->attrs), -1);
    out->region = pick_weighted(&p->regions, rng_double(&s->attrs), 0);
    out->prompt_tokens = to_count(dist_sample(&p->prompt_tokens, &s->attrs));
    out->completion_tokens =
        to_count(dist_sample(&p->completion_tokens, &s->attrs));
    out->invalid_key = rng_double(&s->faults) < p->invalid_key;
    out->violation = rng_double(&s->faults) < p->violation;
    out->bad_request = rng_double(&s->faults) < p->bad_request;
}

/* ---- public ------------------------------------------------------------- */

static int64_t accounts_end(const struct scenario *sc)
{
    int64_t end = sc->n_accounts;
    for (size_t i = 0; i < sc->n_pops; i++) {
        int64_t e = sc->pops[i].first_account + sc->pops[i].count;
        if (e > end)
            end = e;
    }
    return end;
}

struct traffic *traffic_new(const struct scenario *sc, uint64_t seed,
                            int shard_i, int shard_n)
{
    assert(shard_n >= 1 && shard_i >= 0 && shard_i < shard_n);
    assert(sc->n_pops < (1u << (63 - ID_POP_SHIFT)));
    struct traffic *t = xcalloc(1, sizeof(*t));
    t->sc = sc;
    t->seed = seed;
    t->shard_i = shard_i;
    t->shard_n = shard_n;
    int64_t end = accounts_end(sc);
    t->n_local = end > shard_i ? (end - shard_i + shard_n - 1) / shard_n : 0;
    t->accts = xcalloc(t->n_local ? (size_t)t->n_local : 1, sizeof(*t->accts));
    t->n_pops = sc->n_pops;
    t->pops = xcalloc(t->n_pops ? t->n_pops : 1, sizeof(*t->pops));
    for (size_t i = 0; i < t->n_pops; i++)
        pop_init(t, &t->pops[i], i);
    heap_build(t);
    return t;
}

void traffic_free(struct traffic *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n_pops; i++)
        free(t->pops[i].users);
    free(t->pops);
    free(t->heap);
    free(t->accts);
    free(t);
}

bool traffic_next(struct traffic *t, struct traffic_req *out)
{
    if (t->heap_n == 0)
        return false;
    int i = t->heap[0];
    struct pop_gen *g = &t->pops[i];
    out->t_ns = g->head_t_ns;
    out->id = ((uint64_t)i << ID_POP_SHIFT) | g->head_seq;
    out->pop = i;
    fill_attrs(t, g->p, g->head_account, out);
    advance(t, g);
    if (g->done)
        t->heap[0] = t->heap[--t->heap_n];
    heap_down(t, 0);
    return true;
}

int64_t traffic_closed_users(const struct traffic *t, int pop)
{
    const struct scn_population *p = &t->sc->pops[pop];
    if (p->arrival != ARRIVAL_CLOSED || p->count <= 0)
        return 0;
    return p->users;
}

int64_t traffic_closed_account(const struct traffic *t, int pop, int64_t user)
{
    const struct scn_population *p = &t->sc->pops[pop];
    return p->first_account + user % p->count;
}

bool traffic_owns(const struct traffic *t, int64_t account)
{
    return account >= 0 && account % t->shard_n == t->shard_i &&
           account / t->shard_n < t->n_local;
}

void traffic_closed_req(struct traffic *t, int pop, int64_t user, int64_t t_ns,
                        struct traffic_req *out)
{
    struct pop_gen *g = &t->pops[pop];
    assert(g->users && user >= 0 && user < g->p->users);
    struct closed_user *u = &g->users[user];
    uint64_t low = u->seq++ * (uint64_t)g->p->users + (uint64_t)user;
    out->t_ns = t_ns;
    out->id = ID_CLOSED_BIT | ((uint64_t)pop << ID_POP_SHIFT) | low;
    out->pop = pop;
    fill_attrs(t, g->p, traffic_closed_account(t, pop, user), out);
}

int64_t traffic_think_ns(struct traffic *t, int pop, int64_t user)
{
    struct pop_gen *g = &t->pops[pop];
    assert(g->users && user >= 0 && user < g->p->users);
    struct rng *r = &g->users[user].think;
    if ((r->s[0] | r->s[1] | r->s[2] | r->s[3]) == 0) {
        /* A stream of its own, apart from the account ids RNG_CLIENT is
         * keyed by elsewhere: top bit set, population, user. */
        uint64_t id = THINK_ID_BIT | ((uint64_t)pop << 48) | (uint64_t)user;
        rng_init(r, t->seed, id, RNG_CLIENT);
    }
    return to_count(dist_sample(&g->p->think, r));
}

double traffic_rate_at(const struct scenario *sc, int pop, int64_t t_ns)
{
    const struct scn_population *p = &sc->pops[pop];
    if (p->arrival == ARRIVAL_CLOSED || t_ns < 0 || t_ns >= sc->duration_ns)
        return 0;
    int64_t start = 0;
    for (size_t i = 0; i < p->n_phases; i++) {
        const struct scn_phase *ph = &p->phases[i];
        if (t_ns < start + ph->for_ns) {
            struct phase_fn f;
            phase_prepare(&f, ph, start);
            return phase_rate(&f, (double)(t_ns - start) / 1e9);
        }
        start += ph->for_ns;
    }
    return 0;
}

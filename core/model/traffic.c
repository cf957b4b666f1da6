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
 * Zipf skew over up to TRAFFIC_ALIAS_MAX accounts is sampled exactly from
 * a Walker/Vose alias table (one draw, one table read); larger
 * populations use rejection-inversion (struct zipf), which needs no table
 * but costs several transcendental calls per sample.
 *
 * This module does not decide anything about the requests (policy does),
 * does not schedule closed-loop users (the engine does) and reads no clock.
 */
#include "core/model/traffic.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/err.h"
#include "core/base/zig.h"
#include "core/model/trace.h"
#include "core/model/traffic_shape.h"

#define ID_POP_SHIFT      51
#define ID_CLOSED_BIT     (UINT64_C(1) << 63)
#define THINK_ID_BIT      (UINT64_C(1) << 63)
#define COUNT_MAX         4611686018427387904.0 /* 2^62 */
#define TWO_PI            6.283185307179586
#define TRAFFIC_ALIAS_MAX (UINT64_C(1) << 20) /* accounts; 8 bytes each */
#define ALIAS_ONE         4294967296.0        /* 2^32: probability 1 */
#define CACHE_LINE        64

#if defined(__GNUC__)
#define PREFETCH(p) __builtin_prefetch(p)
#else
#define PREFETCH(p) ((void)(p))
#endif

/* The two per-account streams; zero state means not seeded yet.  64
 * bytes: one cache line when the array is line-aligned. */
struct acct_streams {
    struct rng attrs;
    struct rng faults;
};
_Static_assert(sizeof(struct acct_streams) == 64, "one cache line");

/* One alias-table slot: keep the drawn index with probability
 * keep / 2^32, else take alias.  8 bytes, so 10k accounts fit in 80 KB. */
struct alias_slot {
    uint32_t keep;
    uint32_t alias;
};

/* GCC and clang provide 128-bit integers; __extension__ keeps -Wpedantic
 * quiet about it (as in rng.c). */
__extension__ typedef unsigned __int128 u128;

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
    double anti0;    /* diurnal antiderivative at tau = 0 */
    double integral; /* Lambda(for): expected arrivals in the phase */
};

struct pop_gen {
    const struct scn_population *p;
    const struct scn_phase *phases; /* p's, or shaped by traffic events */
    size_t n_phases;
    struct scn_phase *shaped; /* owned; NULL: no traffic event applies */
    const struct zig *zig;    /* the generator's tables */
    bool done;                /* no further arrivals */
    bool poisson;             /* else uniform */
    struct rng arrivals, pick;
    struct zipf zipf;
    struct alias_slot *alias; /* zipf table; NULL: use zipf */
    size_t phase;             /* current phase index */
    int64_t start_ns, end_ns;
    struct phase_fn fn;
    double y;       /* Lambda target of the next arrival, within phase */
    double tau;     /* time of the last arrival in the phase (s) */
    double lam_tau; /* Lambda(tau) */
    double r_tau;   /* rate near tau: Newton's first guess */
    uint64_t seq;   /* arrivals generated, every shard included */
    int64_t head_t_ns, head_account;
    uint64_t head_seq;
    struct closed_user *users; /* closed loop: one per user */
    struct trace_src *trace;   /* trace replay (core/model/trace.h);
                                  owned */
    struct trace_rec head_rec; /* the head's attributes from the trace */
    const char **model_names;  /* for the trace's model column; owned */
    char trace_err[256];       /* why the trace could not be opened */
};

struct traffic {
    struct zig zig; /* ziggurat tables: exponential gaps, token dists */
    const struct scenario *sc;
    uint64_t seed;
    int64_t shard_i, shard_n;
    struct pop_gen *pops;
    size_t n_pops;
    int *heap; /* open populations with a head, by (head_t_ns, index) */
    size_t heap_n;
    struct acct_streams *accts; /* indexed by account / shard_n */
    void *accts_mem;            /* allocation accts is aligned within */
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

/* Antiderivative of (a + k tau) sin(theta0 + omega tau) given the sine
 * and cosine of the angle, without the amplitude factor. */
static double diurnal_anti(const struct phase_fn *f, double tau, double s,
                           double c)
{
    return -(f->a + f->k * tau) * c / f->omega +
           f->k * s / (f->omega * f->omega);
}

/* Prepares phase ph starting at start_ns (scenario time).  The integral
 * is set by enter_phase. */
static void phase_prepare(struct phase_fn *f, const struct scn_phase *ph,
                          int64_t start_ns)
{
    double d = (double)ph->for_ns / 1e9;
    f->a = ph->rate_from_per_s;
    f->k = d > 0 ? (ph->rate_to_per_s - ph->rate_from_per_s) / d : 0;
    f->amp = has_diurnal(ph) ? clamp_amp(ph->diurnal_amplitude) : 0;
    f->omega = 0;
    f->theta0 = 0;
    f->anti0 = 0;
    f->integral = 0;
    if (f->amp != 0) {
        /* start mod period keeps the angle small over long runs */
        int64_t p = ph->diurnal_period_ns;
        f->omega = TWO_PI / ((double)p / 1e9);
        f->theta0 = TWO_PI * ((double)(start_ns % p) / (double)p);
        f->anti0 = diurnal_anti(f, 0, sin(f->theta0), cos(f->theta0));
    }
}

/* Lambda(tau), the integral of the rate over [0, tau] of the phase, and
 * the rate at tau (one sine and one cosine when diurnal). */
static double phase_eval(const struct phase_fn *f, double tau, double *rate)
{
    double lin = f->a + f->k * tau;
    double lam = f->a * tau + f->k * tau * tau / 2;
    if (f->amp != 0) {
        double th = f->theta0 + f->omega * tau;
        double s = sin(th), c = cos(th);
        lam += f->amp * (diurnal_anti(f, tau, s, c) - f->anti0);
        lin *= 1 + f->amp * s;
    }
    *rate = lin > 0 ? lin : 0;
    return lam;
}

static double phase_rate(const struct phase_fn *f, double tau)
{
    double r = f->a + f->k * tau;
    if (f->amp != 0)
        r *= 1 + f->amp * sin(f->theta0 + f->omega * tau);
    return r > 0 ? r : 0;
}

/* Integrals within a hair of an integer are made that integer, so a
 * uniform phase of 3/m over 1m holds exactly 3 arrivals. */
static double snap_integral(double v)
{
    double r = nearbyint(v);
    return fabs(v - r) <= 1e-9 * (r > 1 ? r : 1) ? r : v;
}

/* ---- inversion ---------------------------------------------------------- */

/* tau in [lo, hi] with Lambda(tau) = y, given Lambda(lo) = lam_lo <= y,
 * Lambda(hi) >= y and r_lo, the rate near lo: Newton's method kept inside
 * a shrinking bracket.  Arrivals are usually much closer together than a
 * diurnal period, so the first guess is already within rounding and one
 * evaluation suffices.  *r_x receives the rate at the result. */
static double solve_newton(const struct phase_fn *f, double y, double lo,
                           double lam_lo, double r_lo, double hi, double *r_x)
{
    double x = r_lo > 0 ? lo + (y - lam_lo) / r_lo : (lo + hi) / 2;
    if (!(x > lo && x < hi))
        x = (lo + hi) / 2;
    for (int i = 0; i < 200; i++) {
        double r;
        double fx = phase_eval(f, x, &r) - y;
        *r_x = r;
        if (fx > 0)
            hi = x;
        else
            lo = x;
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
        return solve_newton(f, y, g->tau, g->lam_tau, g->r_tau, hi, &g->r_tau);
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
    if (g->phase >= g->n_phases)
        return false;
    const struct scn_phase *ph = &g->phases[g->phase];
    g->end_ns = g->start_ns + ph->for_ns;
    phase_prepare(&g->fn, ph, g->start_ns);
    double d = (double)ph->for_ns / 1e9, r_end;
    if (g->fn.amp != 0)
        g->fn.integral = phase_eval(&g->fn, d, &r_end);
    else
        g->fn.integral = d * (ph->rate_from_per_s + ph->rate_to_per_s) / 2;
    g->fn.integral = snap_integral(g->fn.integral);
    g->tau = 0;
    g->lam_tau = 0;
    g->r_tau = phase_rate(&g->fn, 0);
    return true;
}

static double next_increment(struct pop_gen *g)
{
    return g->poisson ? zig_exp(g->zig, &g->arrivals) : 1.0;
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

/* Walker/Vose alias table for P(rank r) proportional to (r + 1)^-s over
 * n ranks: exact up to the rounding of each slot's split to 2^-32. */
static struct alias_slot *alias_zipf(uint64_t n, double s)
{
    struct alias_slot *slot = xmalloc(n * sizeof(*slot));
    double *q = xmalloc(n * sizeof(*q));
    uint64_t *small = xmalloc(n * sizeof(*small));
    uint64_t *large = xmalloc(n * sizeof(*large));
    size_t ns = 0, nl = 0;
    double sum = 0;
    for (uint64_t i = 0; i < n; i++) {
        q[i] = exp(-s * log((double)(i + 1)));
        sum += q[i];
    }
    for (uint64_t i = 0; i < n; i++) {
        q[i] *= (double)n / sum;
        if (q[i] < 1)
            small[ns++] = i;
        else
            large[nl++] = i;
    }
    while (ns > 0 && nl > 0) {
        uint64_t l = small[--ns], g = large[--nl];
        double keep = q[l] * ALIAS_ONE;
        slot[l].keep = keep < ALIAS_ONE - 1 ? (uint32_t)keep : UINT32_MAX;
        slot[l].alias = (uint32_t)g;
        q[g] = (q[g] + q[l]) - 1;
        if (q[g] < 1)
            small[ns++] = g;
        else
            large[nl++] = g;
    }
    /* what is left has probability 1 up to rounding */
    while (nl > 0) {
        uint64_t g = large[--nl];
        slot[g] = (struct alias_slot){ UINT32_MAX, (uint32_t)g };
    }
    while (ns > 0) {
        uint64_t l = small[--ns];
        slot[l] = (struct alias_slot){ UINT32_MAX, (uint32_t)l };
    }
    free(large);
    free(small);
    free(q);
    return slot;
}

static int64_t pick_account(struct pop_gen *g)
{
    const struct scn_population *p = g->p;
    uint64_t r;
    if (g->alias) {
        /* One draw: the high word of u x n is the slot, the top half of
         * the low word the coin; both are biased by at most n / 2^64. */
        u128 m = (u128)rng_u64(&g->pick) * (uint64_t)p->count;
        uint64_t i = (uint64_t)(m >> 64);
        struct alias_slot sl = g->alias[i];
        uint32_t coin = (uint32_t)((uint64_t)m >> 32);
        r = coin < sl.keep ? i : sl.alias;
    } else if (p->has_skew) {
        r = zipf_sample(&g->zipf, &g->pick);
    } else {
        r = rng_below(&g->pick, (uint64_t)p->count);
    }
    return p->first_account + (int64_t)r;
}

/* Advances g to its next arrival that belongs to the shard; marks it done
 * when there is none. */
/* A trace population's next request of the shard (its time, account
 * and attributes from the file). */
static void advance_trace(struct traffic *t, struct pop_gen *g)
{
    struct trace_rec r;
    while (trace_next(g->trace, &r)) {
        int64_t acct = g->p->first_account + r.account;
        uint64_t seq = g->seq++;
        if (t->shard_n == 1 || acct % t->shard_n == t->shard_i) {
            g->head_t_ns = r.t_ns;
            g->head_account = acct;
            g->head_seq = seq;
            g->head_rec = r;
            return;
        }
    }
    g->done = true;
}

static void advance(struct traffic *t, struct pop_gen *g)
{
    if (g->trace != NULL) {
        advance_trace(t, g);
        return;
    }
    for (;;) {
        int64_t at = next_arrival_ns(g, t->sc->duration_ns);
        if (at < 0) {
            g->done = true;
            return;
        }
        int64_t acct = pick_account(g);
        uint64_t seq = g->seq++;
        if (t->shard_n == 1 || acct % t->shard_n == t->shard_i) {
            /* its streams are read when the request is handed out */
            PREFETCH(&t->accts[t->shard_n == 1 ? acct : acct / t->shard_n]);
            g->head_t_ns = at;
            g->head_account = acct;
            g->head_seq = seq;
            return;
        }
    }
}

/* Opens population i's trace; on failure the population sends nothing
 * and traffic_trace_report says why. */
static void open_trace(struct traffic *t, struct pop_gen *g, size_t i)
{
    const struct scn_population *p = g->p;
    const struct scn_policy *pol = &t->sc->policy;
    g->model_names = xcalloc(pol->n_models + 1, sizeof(*g->model_names));
    for (size_t m = 0; m < pol->n_models; m++)
        g->model_names[m] = pol->models[m].name;
    struct trace_cfg cfg = { .path = p->trace.path,
                             .format = (enum trace_format)p->trace.format,
                             .speed = p->trace.speed,
                             .start_ns = p->trace.start_ns,
                             .scale = (int)p->trace.scale,
                             .jitter_ns = p->trace.jitter_ns,
                             .accounts = p->count,
                             .end_ns = t->sc->duration_ns,
                             .seed = t->seed,
                             .stream = i,
                             .models = g->model_names,
                             .n_models = pol->n_models };
    g->done = true;
    if (p->count <= 0 || trace_open(&cfg, &g->trace, g->trace_err,
                                    sizeof(g->trace_err)) != ERR_OK)
        return;
    g->done = false;
    advance(t, g);
}

static void pop_init(struct traffic *t, struct pop_gen *g, size_t i)
{
    const struct scn_population *p = &t->sc->pops[i];
    g->p = p;
    g->zig = &t->zig;
    rng_init(&g->arrivals, t->seed, i, RNG_ARRIVALS);
    rng_init(&g->pick, t->seed, i, RNG_PICK);
    if (p->arrival == ARRIVAL_CLOSED) {
        if (p->users > 0 && p->count > 0)
            g->users = xcalloc((size_t)p->users, sizeof(*g->users));
        g->done = true;
        return;
    }
    if (p->has_trace) {
        open_trace(t, g, i);
        return;
    }
    g->poisson = p->arrival == ARRIVAL_POISSON;
    g->shaped = traffic_shape_phases(t->sc, (int)i, &g->n_phases);
    g->phases = g->shaped ? g->shaped : p->phases;
    if (g->shaped == NULL)
        g->n_phases = p->n_phases;
    if (p->has_skew && p->count > 0) {
        if ((uint64_t)p->count <= TRAFFIC_ALIAS_MAX)
            g->alias = alias_zipf((uint64_t)p->count, p->skew_s);
        else
            zipf_init(&g->zipf, (uint64_t)p->count, p->skew_s);
    }
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

/* The index a uniform draw falls on in w (first cum > u); dflt when w is
 * empty.  A single weight needs no draw. */
static int pick_weighted(const struct scn_weights *w, struct rng *r, int dflt)
{
    if (w->n == 0)
        return dflt;
    if (w->n == 1)
        return w->index[0];
    double u = rng_double(r);
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

/* A fault with probability p: one draw, unless p is 0 or 1 (below 0 or
 * above 1 act as those), whose outcome needs none. */
static bool fault(double p, struct rng *r)
{
    if (!(p > 0))
        return false;
    return p >= 1 || rng_double(r) < p;
}

static void fill_attrs(struct traffic *t, const struct scn_population *p,
                       int64_t account, struct traffic_req *out)
{
    struct acct_streams *s = streams_of(t, account);
    out->account = account;
    out->model = pick_weighted(&p->models, &s->attrs, -1);
    out->region = pick_weighted(&p->regions, &s->attrs, 0);
    out->prompt_tokens =
        to_count(zig_dist_sample(&t->zig, &p->prompt_tokens, &s->attrs));
    out->completion_tokens =
        to_count(zig_dist_sample(&t->zig, &p->completion_tokens, &s->attrs));
    out->invalid_key = fault(p->invalid_key, &s->faults);
    out->violation = fault(p->violation, &s->faults);
    out->bad_request = fault(p->bad_request, &s->faults);
}

/* A replayed request keeps the trace's model (when the file has one) and
 * tokens; region and faults are drawn as for any request, so that the
 * account's streams stay in step with a synthetic run. */
static void trace_attrs(const struct trace_rec *r, struct traffic_req *out)
{
    if (r->model >= 0)
        out->model = r->model;
    out->prompt_tokens = r->prompt;
    out->completion_tokens = r->completion;
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
    zig_init(&t->zig);
    t->sc = sc;
    t->seed = seed;
    t->shard_i = shard_i;
    t->shard_n = shard_n;
    int64_t end = accounts_end(sc);
    t->n_local = end > shard_i ? (end - shard_i + shard_n - 1) / shard_n : 0;
    /* one spare element to align the array to a cache line */
    size_t n_alloc = (size_t)t->n_local + 1;
    t->accts_mem = xcalloc(n_alloc, sizeof(*t->accts));
    uintptr_t at = ((uintptr_t)t->accts_mem + CACHE_LINE - 1) &
                   ~(uintptr_t)(CACHE_LINE - 1);
    t->accts = (struct acct_streams *)at;
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
    for (size_t i = 0; i < t->n_pops; i++) {
        free(t->pops[i].users);
        free(t->pops[i].alias);
        trace_close(t->pops[i].trace);
        free(t->pops[i].model_names);
        free(t->pops[i].shaped);
    }
    free(t->pops);
    free(t->heap);
    free(t->accts_mem);
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
    if (g->trace != NULL) /* the file's model and tokens win */
        trace_attrs(&g->head_rec, out);
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
    assert(p->count > 0 && user >= 0);
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
    return to_count(zig_dist_sample(&t->zig, &g->p->think, r));
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
            return phase_rate(&f, (double)(t_ns - start) / 1e9) *
                   traffic_factor_at(sc, pop, t_ns);
        }
        start += ph->for_ns;
    }
    return 0;
}

bool traffic_trace_report(const struct traffic *t, int pop, char *buf,
                          size_t len)
{
    const struct pop_gen *g = &t->pops[pop];
    if (!g->p->has_trace)
        return false;
    if (g->trace == NULL) {
        snprintf(buf, len, "not replayed: %s",
                 g->trace_err[0] ? g->trace_err : "the population is empty");
        return true;
    }
    struct trace_stats st;
    trace_stats_get(g->trace, &st);
    trace_stats_fmt(&st, buf, len);
    return true;
}

bool traffic_trace_stats(const struct traffic *t, int pop,
                         struct trace_stats *out)
{
    const struct pop_gen *g = &t->pops[pop];
    if (g->trace == NULL)
        return false;
    trace_stats_get(g->trace, out);
    return true;
}

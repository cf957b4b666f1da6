/*
 * limiter.c - token bucket, nginx leaky bucket, fixed window, sliding log
 * and sliding counter as pure functions of (conf, state, cost, now_ns).
 *
 * Invariants:
 * - All arithmetic is integer.  Token bucket state is kept in units of
 *   1/unit token where unit = per_ns / gcd(amount, per_ns), so a refill of
 *   amount per per_ns is exactly `refill` units per ns and decisions never
 *   depend on rounding; products that may exceed 64 bits go through
 *   __int128.
 * - A zero-filled state is fresh for every algorithm.
 * - lim_peek never writes; lim_charge is the only writer (plus
 *   acquire/release for concurrency).
 * - The leaky bucket is nginx limit_req line by line (docs/validation.md):
 * integer ms, excess in milli-units, the clamp to 0 applied after adding 1000,
 *   `last` moved only when ms != 0; the first request of a key leaves
 *   excess 0 whatever its cost (a fresh key acts as one idle forever).
 *
 * Not here: which limits apply to whom, the order of several limits, and
 * what a denial is called; that is policy.c.
 */
#include "core/model/limiter.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

__extension__ typedef __int128 i128;
__extension__ typedef unsigned __int128 u128;

#define NS_PER_MS  1000000LL
#define NS_PER_S   1000000000LL
#define FIT_LIMIT  (INT64_MAX / 4) /* derived values stay below 2^61 */
#define SW_INITIAL 8u

/* A sliding-window log: a ring of (time, cost) entries, oldest at head. */
struct lim_entry {
    int64_t t_ns;
    int64_t cost;
};

struct lim_log {
    uint32_t cap;
    struct lim_entry e[];
};

_Static_assert(sizeof(union lim_state) == 24, "limiter.h promises 24 bytes");

static int64_t gcd64(int64_t a, int64_t b)
{
    while (b != 0) {
        int64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* ceil(a / b) for a >= 0, b > 0, result clamped to INT64_MAX. */
static int64_t ceil_div128(i128 a, i128 b)
{
    i128 q = (a + b - 1) / b;
    return q > INT64_MAX ? INT64_MAX : (int64_t)q;
}

static int64_t clamp64(i128 v)
{
    if (v > INT64_MAX)
        return INT64_MAX;
    return v < INT64_MIN ? INT64_MIN : (int64_t)v;
}

static int64_t max64(int64_t a, int64_t b)
{
    return a > b ? a : b;
}

static int conf_derive(struct lim_conf *c)
{
    if (c->algo == LIM_TOKEN_BUCKET) {
        int64_t g = gcd64(c->amount, c->per_ns);
        c->unit = c->per_ns / g;
        c->refill = c->amount / g;
        c->cap = clamp64((i128)c->burst * c->unit);
    } else if (c->algo == LIM_LEAKY_BUCKET) {
        i128 r = (i128)c->amount * 1000 * NS_PER_S / c->per_ns;
        if (r > FIT_LIMIT || c->burst > FIT_LIMIT / 1000)
            return ERR_RANGE;
        c->rate_ms = (r == 0 && c->amount > 0) ? 1 : (int64_t)r;
        c->burst_ms = c->burst * 1000;
        c->ms_max = c->rate_ms > 0 ? INT64_MAX / c->rate_ms : INT64_MAX;
    }
    return ERR_OK;
}

int lim_conf_make(struct lim_conf *c, enum lim_algo algo, enum limit_kind kind,
                  int64_t amount, int64_t per_ns, int64_t burst,
                  bool count_denied)
{
    memset(c, 0, sizeof(*c));
    c->delay_ms = -1; /* nodelay; lim_conf_init sets a delay */
    c->algo = algo;
    c->kind = kind;
    c->amount = amount;
    c->per_ns = per_ns;
    c->burst = burst;
    c->count_denied = count_denied;
    if (amount < 0 || burst < 0)
        return ERR_INVAL;
    if (amount > FIT_LIMIT || burst > FIT_LIMIT)
        return ERR_RANGE;
    if (kind == LIMIT_CONCURRENT)
        return ERR_OK;
    if (per_ns <= 0)
        return ERR_INVAL;
    if ((int)algo < LIM_TOKEN_BUCKET || algo > LIM_SLIDING_COUNTER)
        return ERR_INVAL;
    return conf_derive(c);
}

int lim_conf_init(struct lim_conf *c, const struct scn_limit *l)
{
    int rc = lim_conf_make(c, l->algorithm, l->kind, l->amount, l->per_ns,
                           l->burst, l->count_denied);
    if (rc == ERR_OK && l->delays && l->algorithm == LIM_LEAKY_BUCKET &&
        l->kind != LIMIT_CONCURRENT) {
        if (l->delay > FIT_LIMIT)
            return ERR_RANGE;
        c->delay_ms = l->delay * 1000;
    }
    return rc;
}

int64_t lim_delay_ns(const struct lim_conf *c, const union lim_state *after)
{
    if (c->delay_ms < 0 || c->algo != LIM_LEAKY_BUCKET ||
        c->kind == LIMIT_CONCURRENT || c->rate_ms <= 0)
        return 0;
    int64_t excess = after->lb.excess;
    if (excess <= c->delay_ms)
        return 0;
    i128 ms = (i128)(excess - c->delay_ms) * 1000 / c->rate_ms;
    return clamp64(ms * NS_PER_MS);
}

void lim_state_init(union lim_state *s)
{
    memset(s, 0, sizeof(*s));
}

void lim_state_fini(union lim_state *s, enum lim_algo a)
{
    if (a == LIM_SLIDING_WINDOW)
        free(s->sw.log);
    memset(s, 0, sizeof(*s));
}

/* ---- token bucket ------------------------------------------------------ */

/* The deficit is a 128-bit count of units: burst * unit may need up to
 * 61 + 63 bits when amount and per_ns share no factor (a prime TPD). */
static i128 tb_get(const union lim_state *s)
{
    return (i128)(((u128)(uint64_t)s->tb.deficit_hi << 64) | s->tb.deficit_lo);
}

static void tb_set(union lim_state *s, i128 d)
{
    s->tb.deficit_lo = (uint64_t)d;
    s->tb.deficit_hi = (int64_t)(d >> 64);
}

static i128 tb_cap(const struct lim_conf *c)
{
    return (i128)c->burst * c->unit;
}

/* a / b for a >= 0, b > 0, in 64 bits when both fit (the usual case). */
static i128 div128(i128 a, i128 b)
{
    if (a <= INT64_MAX && b <= INT64_MAX)
        return (int64_t)a / (int64_t)b;
    return a / b;
}

/* The deficit (units below full) at now_ns, refilled lazily. */
static i128 tb_deficit(const struct lim_conf *c, const union lim_state *s,
                       int64_t now_ns)
{
    i128 d = tb_get(s);
    int64_t el = now_ns - s->tb.last_ns;
    if (d == 0 || el <= 0)
        return d;
    i128 r = (i128)el * c->refill;
    return r >= d ? 0 : d - r;
}

/* ns until a deficit of d units is refilled (a hint of per_ns if nothing
 * refills). */
static int64_t tb_wait(const struct lim_conf *c, i128 d)
{
    if (d <= 0)
        return 0;
    if (c->refill == 0)
        return c->per_ns;
    return clamp64(div128(d + c->refill - 1, c->refill));
}

static bool tb_admits(const struct lim_conf *c, const union lim_state *s,
                      int64_t cost, int64_t now_ns)
{
    return cost <= c->burst &&
           tb_deficit(c, s, now_ns) + (i128)cost * c->unit <= tb_cap(c);
}

static void tb_peek(const struct lim_conf *c, const union lim_state *s,
                    int64_t cost, int64_t now_ns, struct lim_result *out)
{
    i128 d = tb_deficit(c, s, now_ns), cap = tb_cap(c);
    out->too_large = cost > c->burst;
    i128 need = out->too_large ? cap + 1 : (i128)cost * c->unit;
    out->allowed = !out->too_large && d + need <= cap;
    i128 after = out->allowed ? d + need : d;
    out->remaining = after >= cap ? 0 : clamp64(div128(cap - after, c->unit));
    out->reset_ns = tb_wait(c, after);
    if (out->too_large)
        out->retry_after_ns = out->reset_ns;
    else if (!out->allowed)
        out->retry_after_ns = tb_wait(c, d + need - cap);
}

static void tb_charge(const struct lim_conf *c, union lim_state *s,
                      int64_t cost, int64_t now_ns)
{
    i128 d = tb_deficit(c, s, now_ns);
    i128 bound = 2 * tb_cap(c);
    i128 add = cost > 2 * c->burst ? bound : (i128)cost * c->unit;
    i128 after = d + add;
    tb_set(s, after > bound ? (d > bound ? d : bound) : after);
    s->tb.last_ns = max64(s->tb.last_ns, now_ns);
}

/* ---- leaky bucket (nginx limit_req) ------------------------------------ */

/* nginx's `excess` a request of cost would leave (ngx_http_limit_req_lookup
 * with account = 1), before the burst comparison. */
static int64_t lb_excess(const struct lim_conf *c, const union lim_state *s,
                         int64_t cost, int64_t now_ms)
{
    if (!s->lb.used)
        return 0; /* nginx creates the node with excess = 0 */
    int64_t ms = now_ms - s->lb.last_ms;
    if (ms < -60000)
        ms = 1;
    else if (ms < 0)
        ms = 0;
    if (ms > c->ms_max)
        return 0; /* leaked more than any excess */
    i128 e = (i128)s->lb.excess - c->rate_ms * ms / 1000 + (i128)1000 * cost;
    return e < 0 ? 0 : clamp64(e);
}

/* ns until excess e has leaked away, from now_ms. */
static int64_t lb_drain_ns(const struct lim_conf *c, int64_t e)
{
    if (e <= 0)
        return 0;
    if (c->rate_ms == 0)
        return c->per_ns;
    return clamp64((i128)ceil_div128((i128)e * 1000, c->rate_ms) * NS_PER_MS);
}

static void lb_peek(const struct lim_conf *c, const union lim_state *s,
                    int64_t cost, int64_t now_ns, struct lim_result *out)
{
    int64_t now_ms = floor_div(now_ns, NS_PER_MS);
    int64_t e = lb_excess(c, s, cost, now_ms);
    out->allowed = e <= c->burst_ms;
    out->too_large = c->rate_ms == 0 && !out->allowed;
    if (out->allowed && cost == 0) {
        /* A gauge: how many unit requests would pass now, one by one. */
        int64_t e1 = lb_excess(c, s, 1, now_ms);
        out->remaining = e1 > c->burst_ms ? 0 : (c->burst_ms - e1) / 1000 + 1;
        out->reset_ns = lb_drain_ns(c, e);
        return;
    }
    if (out->allowed) {
        out->remaining = (c->burst_ms - e) / 1000;
        out->reset_ns = lb_drain_ns(c, e);
        return;
    }
    /* Denied: the first later request passes once it leaks enough. */
    int64_t e0 = lb_excess(c, s, 0, now_ms);
    out->remaining = 0;
    out->reset_ns = lb_drain_ns(c, e0);
    if (out->too_large) {
        out->retry_after_ns = out->reset_ns;
        return;
    }
    /* Smallest M with excess - rate*M/1000 + 1000*cost <= burst_ms. */
    i128 need = (i128)s->lb.excess + 1000 * (i128)cost - c->burst_ms;
    int64_t m = ceil_div128(need * 1000, c->rate_ms);
    i128 at = ((i128)s->lb.last_ms + m) * NS_PER_MS - now_ns;
    out->retry_after_ns = at < 0 ? 0 : clamp64(at);
}

static void lb_charge(const struct lim_conf *c, union lim_state *s,
                      int64_t cost, int64_t now_ns)
{
    int64_t now_ms = floor_div(now_ns, NS_PER_MS);
    int64_t e = lb_excess(c, s, cost, now_ms);
    int64_t bound = 2 * c->burst_ms + 1000 * cost;
    if (!s->lb.used || now_ms != s->lb.last_ms)
        s->lb.last_ms = now_ms;
    s->lb.used = 1;
    s->lb.excess = e > bound ? max64(bound, 0) : e;
}

/* ---- fixed window ------------------------------------------------------ */

static int64_t fw_count(const union lim_state *s, int64_t idx)
{
    return s->fw.window == idx ? s->fw.count : 0;
}

static void fw_peek(const struct lim_conf *c, const union lim_state *s,
                    int64_t cost, int64_t now_ns, struct lim_result *out)
{
    int64_t idx = floor_div(now_ns, c->per_ns);
    int64_t end = clamp64(((i128)idx + 1) * c->per_ns - now_ns);
    int64_t count = fw_count(s, idx);
    out->too_large = cost > c->amount;
    out->allowed = !out->too_large && count + cost <= c->amount;
    int64_t after = out->allowed ? count + cost : count;
    out->remaining = max64(0, c->amount - after);
    out->reset_ns = after > 0 ? end : 0;
    if (!out->allowed)
        out->retry_after_ns = end;
}

static void fw_charge(const struct lim_conf *c, union lim_state *s,
                      int64_t cost, int64_t now_ns)
{
    int64_t idx = floor_div(now_ns, c->per_ns);
    if (s->fw.window != idx) {
        s->fw.window = idx;
        s->fw.count = 0;
    }
    s->fw.count = clamp64((i128)s->fw.count + cost);
}

/* ---- sliding counter (Cloudflare) -------------------------------------- */

/* prev and cur as seen from window idx. */
static void sc_view(const union lim_state *s, int64_t idx, int64_t *prev,
                    int64_t *cur)
{
    if (s->sc.window == idx) {
        *prev = s->sc.prev;
        *cur = s->sc.cur;
    } else if (s->sc.window == idx - 1) {
        *prev = s->sc.cur;
        *cur = 0;
    } else {
        *prev = 0;
        *cur = 0;
    }
}

/* ns until prev*(per-el-dt) + (cur+cost)*per <= amount*per, first in the
 * current window (start ws, elapsed el), then in the next one. */
static int64_t sc_retry(const struct lim_conf *c, int64_t prev, int64_t cur,
                        int64_t cost, int64_t ws, int64_t now_ns)
{
    int64_t per = c->per_ns;
    int64_t el = now_ns - ws;
    i128 x = ((i128)c->amount - cur - cost) * per;
    if (prev > 0 && x >= prev) {
        int64_t dt = max64(0, per - el - clamp64(x / prev));
        if (dt < per - el)
            return dt;
    }
    i128 x2 = ((i128)c->amount - cost) * per;
    int64_t e2 = cur > 0 ? max64(0, per - clamp64(x2 / cur)) : 0;
    return clamp64((i128)ws + per + e2 - now_ns);
}

static void sc_peek(const struct lim_conf *c, const union lim_state *s,
                    int64_t cost, int64_t now_ns, struct lim_result *out)
{
    int64_t per = c->per_ns;
    int64_t idx = floor_div(now_ns, per);
    int64_t ws = idx * per;
    int64_t prev, cur;
    sc_view(s, idx, &prev, &cur);
    i128 est = (i128)prev * (per - (now_ns - ws)) + (i128)cur * per;
    i128 max = (i128)c->amount * per;
    out->too_large = cost > c->amount;
    out->allowed = !out->too_large && est + (i128)cost * per <= max;
    if (out->allowed) {
        est += (i128)cost * per;
        cur += cost;
    }
    out->remaining = est >= max ? 0 : clamp64((max - est) / per);
    if (cur > 0)
        out->reset_ns = ws + 2 * per - now_ns;
    else
        out->reset_ns = prev > 0 ? ws + per - now_ns : 0;
    if (out->too_large)
        out->retry_after_ns = out->reset_ns;
    else if (!out->allowed)
        out->retry_after_ns = sc_retry(c, prev, cur, cost, ws, now_ns);
}

static void sc_charge(const struct lim_conf *c, union lim_state *s,
                      int64_t cost, int64_t now_ns)
{
    int64_t idx = floor_div(now_ns, c->per_ns);
    int64_t prev, cur;
    sc_view(s, idx, &prev, &cur);
    s->sc.window = idx;
    s->sc.prev = prev;
    s->sc.cur = clamp64((i128)cur + cost);
}

/* ---- sliding window (exact log) ---------------------------------------- */

static struct lim_entry *sw_at(const union lim_state *s, uint32_t i)
{
    struct lim_log *l = s->sw.log;
    return &l->e[(s->sw.head + i) % l->cap];
}

/* Entries at the head that have left (now - per, now]. */
static uint32_t sw_expired(const struct lim_conf *c, const union lim_state *s,
                           int64_t now_ns, int64_t *freed)
{
    uint32_t k = 0;
    *freed = 0;
    while (k < s->sw.n && sw_at(s, k)->t_ns <= now_ns - c->per_ns) {
        *freed += sw_at(s, k)->cost;
        k++;
    }
    return k;
}

static int64_t sw_retry(const struct lim_conf *c, const union lim_state *s,
                        uint32_t k, int64_t live, int64_t cost, int64_t now_ns)
{
    for (; k < s->sw.n; k++) {
        const struct lim_entry *e = sw_at(s, k);
        live -= e->cost;
        if (live + cost <= c->amount)
            return e->t_ns + c->per_ns - now_ns;
    }
    return 0;
}

static void sw_peek(const struct lim_conf *c, const union lim_state *s,
                    int64_t cost, int64_t now_ns, struct lim_result *out)
{
    int64_t freed;
    uint32_t k = sw_expired(c, s, now_ns, &freed);
    int64_t live = s->sw.sum - freed;
    out->too_large = cost > c->amount;
    out->allowed = !out->too_large && live + cost <= c->amount;
    int64_t after = out->allowed ? live + cost : live;
    out->remaining = max64(0, c->amount - after);
    out->reset_ns = 0;
    if (out->allowed && cost > 0)
        out->reset_ns = c->per_ns;
    else if (k < s->sw.n)
        out->reset_ns = sw_at(s, s->sw.n - 1)->t_ns + c->per_ns - now_ns;
    if (out->too_large)
        out->retry_after_ns = out->reset_ns;
    else if (!out->allowed)
        out->retry_after_ns = sw_retry(c, s, k, live, cost, now_ns);
}

/* Bound on entries: every logged entry costs >= 1 and an accepted charge
 * keeps the sum <= amount, so amount entries always suffice. */
static uint32_t sw_max_cap(const struct lim_conf *c)
{
    int64_t m = c->amount < 1 ? 1 : c->amount;
    return m > (int64_t)(UINT32_MAX / 2) ? UINT32_MAX / 2 : (uint32_t)m;
}

static void sw_grow(union lim_state *s, uint32_t cap)
{
    struct lim_log *l = xmalloc(sizeof(*l) + (size_t)cap * sizeof(l->e[0]));
    l->cap = cap;
    for (uint32_t i = 0; i < s->sw.n; i++)
        l->e[i] = *sw_at(s, i);
    free(s->sw.log);
    s->sw.log = l;
    s->sw.head = 0;
}

static void sw_charge(const struct lim_conf *c, union lim_state *s,
                      int64_t cost, int64_t now_ns)
{
    int64_t freed;
    uint32_t k = sw_expired(c, s, now_ns, &freed);
    if (k > 0) {
        s->sw.head = (s->sw.head + k) % s->sw.log->cap;
        s->sw.n -= k;
        s->sw.sum -= freed;
    }
    if (cost <= 0)
        return;
    uint32_t cap = s->sw.log ? s->sw.log->cap : 0;
    uint32_t max_cap = sw_max_cap(c);
    if (s->sw.n == cap && cap < max_cap) {
        uint32_t want = cap == 0 ? SW_INITIAL : cap * 2;
        sw_grow(s, want < max_cap ? want : max_cap);
    }
    s->sw.sum = clamp64((i128)s->sw.sum + cost);
    if (s->sw.n == s->sw.log->cap) {
        /* Only a count_denied charge gets here: fold it into the newest
         * entry (conservative: that cost expires a little later). */
        struct lim_entry *e = sw_at(s, s->sw.n - 1);
        e->t_ns = now_ns;
        e->cost = clamp64((i128)e->cost + cost);
        return;
    }
    struct lim_entry *e =
        &s->sw.log->e[(s->sw.head + s->sw.n) % s->sw.log->cap];
    e->t_ns = now_ns;
    e->cost = cost;
    s->sw.n++;
}

void lim_state_rescale(const struct lim_conf *from, const struct lim_conf *to,
                       union lim_state *s, int64_t now_ns)
{
    if (from->kind == LIMIT_CONCURRENT || from->algo != LIM_TOKEN_BUCKET ||
        to->algo != LIM_TOKEN_BUCKET)
        return;
    /* d units of `from` are d / from.unit tokens: whole tokens, then the
     * remainder rounded up, so no product exceeds 126 bits. */
    i128 d = tb_deficit(from, s, now_ns);
    i128 whole = d / from->unit, rem = d % from->unit;
    i128 nd = whole * to->unit + (rem * to->unit + from->unit - 1) / from->unit;
    i128 bound = 2 * tb_cap(to);
    tb_set(s, nd > bound ? bound : nd);
    s->tb.last_ns = max64(s->tb.last_ns, now_ns);
}

/* ---- dispatch ----------------------------------------------------------- */

static void cc_peek(const struct lim_conf *c, const union lim_state *s,
                    struct lim_result *out)
{
    out->allowed = s->cc.in_flight < c->amount;
    out->too_large = c->amount == 0;
    out->remaining = max64(0, c->amount - s->cc.in_flight - out->allowed);
}

bool lim_peek(const struct lim_conf *c, const union lim_state *s, int64_t cost,
              int64_t now_ns, struct lim_result *out)
{
    memset(out, 0, sizeof(*out));
    out->limit = c->amount;
    if (cost < 0)
        cost = 0;
    if (c->kind == LIMIT_CONCURRENT) {
        cc_peek(c, s, out);
        return out->allowed;
    }
    switch (c->algo) {
    case LIM_TOKEN_BUCKET: tb_peek(c, s, cost, now_ns, out); break;
    case LIM_LEAKY_BUCKET: lb_peek(c, s, cost, now_ns, out); break;
    case LIM_FIXED_WINDOW: fw_peek(c, s, cost, now_ns, out); break;
    case LIM_SLIDING_WINDOW: sw_peek(c, s, cost, now_ns, out); break;
    case LIM_SLIDING_COUNTER: sc_peek(c, s, cost, now_ns, out); break;
    }
    return out->allowed;
}

static bool admits(const struct lim_conf *c, const union lim_state *s,
                   int64_t cost, int64_t now_ns)
{
    int64_t a, b, freed;
    switch (c->algo) {
    case LIM_TOKEN_BUCKET: return tb_admits(c, s, cost, now_ns);
    case LIM_LEAKY_BUCKET:
        return lb_excess(c, s, cost, floor_div(now_ns, NS_PER_MS)) <=
               c->burst_ms;
    case LIM_FIXED_WINDOW:
        return fw_count(s, floor_div(now_ns, c->per_ns)) + cost <= c->amount;
    case LIM_SLIDING_WINDOW:
        sw_expired(c, s, now_ns, &freed);
        return cost <= c->amount && s->sw.sum - freed + cost <= c->amount;
    case LIM_SLIDING_COUNTER: {
        int64_t idx = floor_div(now_ns, c->per_ns);
        sc_view(s, idx, &a, &b);
        int64_t left = c->per_ns - (now_ns - idx * c->per_ns);
        return (i128)a * left + ((i128)b + cost) * c->per_ns <=
               (i128)c->amount * c->per_ns;
    }
    }
    return false;
}

bool lim_try(const struct lim_conf *c, const union lim_state *s, int64_t cost,
             int64_t now_ns, union lim_state *next, int64_t *retry_after_ns)
{
    if (cost < 0)
        cost = 0;
    bool ok;
    if (c->kind == LIMIT_CONCURRENT) {
        ok = s->cc.in_flight < c->amount;
    } else if (c->algo == LIM_TOKEN_BUCKET) {
        i128 d = tb_deficit(c, s, now_ns);
        i128 after = d + (i128)cost * c->unit;
        ok = cost <= c->burst && after <= tb_cap(c);
        if (ok) {
            tb_set(next, after);
            next->tb.last_ns = max64(s->tb.last_ns, now_ns);
        }
    } else {
        ok = admits(c, s, cost, now_ns);
        if (ok && c->algo != LIM_SLIDING_WINDOW) {
            *next = *s;
            lim_charge(c, next, cost, now_ns);
        }
    }
    if (!ok && retry_after_ns) {
        struct lim_result r;
        lim_peek(c, s, cost, now_ns, &r);
        *retry_after_ns = r.retry_after_ns;
    }
    return ok;
}

bool lim_too_large(const struct lim_conf *c, int64_t cost)
{
    if (c->kind == LIMIT_CONCURRENT)
        return c->amount == 0;
    switch (c->algo) {
    case LIM_TOKEN_BUCKET: return cost > c->burst;
    case LIM_LEAKY_BUCKET: return false;
    default: return cost > c->amount;
    }
}

void lim_commit(const struct lim_conf *c, union lim_state *s,
                const union lim_state *next, int64_t cost, int64_t now_ns)
{
    if (c->kind == LIMIT_CONCURRENT)
        return;
    if (c->algo == LIM_SLIDING_WINDOW)
        lim_charge(c, s, cost, now_ns);
    else
        *s = *next;
}

void lim_charge(const struct lim_conf *c, union lim_state *s, int64_t cost,
                int64_t now_ns)
{
    if (cost < 0)
        cost = 0;
    if (c->kind == LIMIT_CONCURRENT)
        return;
    switch (c->algo) {
    case LIM_TOKEN_BUCKET: tb_charge(c, s, cost, now_ns); break;
    case LIM_LEAKY_BUCKET: lb_charge(c, s, cost, now_ns); break;
    case LIM_FIXED_WINDOW: fw_charge(c, s, cost, now_ns); break;
    case LIM_SLIDING_WINDOW: sw_charge(c, s, cost, now_ns); break;
    case LIM_SLIDING_COUNTER: sc_charge(c, s, cost, now_ns); break;
    }
}

bool lim_check(const struct lim_conf *c, union lim_state *s, int64_t cost,
               int64_t now_ns, struct lim_result *out)
{
    struct lim_result tmp;
    struct lim_result *r = out ? out : &tmp;
    bool ok = lim_peek(c, s, cost, now_ns, r);
    if (ok || c->count_denied)
        lim_charge(c, s, cost, now_ns);
    return ok;
}

bool lim_acquire(const struct lim_conf *c, union lim_state *s)
{
    if (s->cc.in_flight >= c->amount)
        return false;
    s->cc.in_flight++;
    return true;
}

void lim_release(union lim_state *s)
{
    if (s->cc.in_flight > 0)
        s->cc.in_flight--;
}

int64_t lim_remaining(const struct lim_conf *c, const union lim_state *s,
                      int64_t now_ns)
{
    struct lim_result r;
    if (c->kind == LIMIT_CONCURRENT)
        return max64(0, c->amount - s->cc.in_flight);
    lim_peek(c, s, 0, now_ns, &r);
    return r.remaining;
}

/*
 * rng.c - xoshiro256** streams seeded through splitmix64.
 *
 * xoshiro256** (Blackman and Vigna) is fast, has a 2^256 period and passes
 * BigCrush; splitmix64 turns the (seed, id, purpose) triple into a
 * well-mixed 256-bit state, so nearby seeds and ids give unrelated streams.
 * Nothing here is cryptographic.
 */
#include "core/base/rng.h"

#include <math.h>

/* GCC and clang provide 128-bit integers; __extension__ keeps -Wpedantic
 * quiet about it. */
__extension__ typedef unsigned __int128 u128;

static uint64_t splitmix64(uint64_t *x)
{
    return rng_mix64(*x += RNG_GOLDEN);
}

void rng_init(struct rng *r, uint64_t seed, uint64_t id,
              enum rng_purpose purpose)
{
    /* Mix the three words one after another so that (seed, id, purpose)
     * and any permutation of it land in different states. */
    uint64_t x = seed;
    uint64_t h = splitmix64(&x);
    x = h ^ (id * 0xd1342543de82ef95ULL);
    h = splitmix64(&x);
    x = h ^ ((uint64_t)purpose * 0xaf251af3b0f025b5ULL);
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&x);
    if ((r->s[0] | r->s[1] | r->s[2] | r->s[3]) == 0)
        r->s[0] = 1; /* the all-zero state is the one fixed point */
}

uint64_t rng_below(struct rng *r, uint64_t n)
{
    /* Lemire, "Fast random integer generation in an interval" (2019). */
    u128 m = (u128)rng_u64(r) * n;
    uint64_t lo = (uint64_t)m;
    if (lo < n) {
        uint64_t threshold = -n % n;
        while (lo < threshold) {
            m = (u128)rng_u64(r) * n;
            lo = (uint64_t)m;
        }
    }
    return (uint64_t)(m >> 64);
}

double rng_normal(struct rng *r)
{
    double u, v, s;
    do {
        u = 2.0 * rng_double(r) - 1.0;
        v = 2.0 * rng_double(r) - 1.0;
        s = u * u + v * v;
    } while (s >= 1.0 || s == 0.0);
    return u * sqrt(-2.0 * log(s) / s);
}

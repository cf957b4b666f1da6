/*
 * rng.h - seeded, independent random streams (xoshiro256**).
 *
 * Every stochastic choice draws from a stream named by (seed, owner id,
 * purpose): one per account per purpose, one per population for arrivals,
 * one for global events.  Streams never share state, so sharding accounts
 * or adding a population does not perturb the numbers the others see, and
 * a run is reproducible bit for bit from its seed.
 */
#ifndef TOLLGATE_RNG_H
#define TOLLGATE_RNG_H

#include <stdint.h>

enum rng_purpose {
    RNG_ARRIVALS = 1, /* inter-arrival times of a population */
    RNG_PICK,         /* which account of a population sends */
    RNG_ATTRS,        /* tokens, model, region of a request */
    RNG_FAULTS,       /* invalid key, violation, bad request, errors */
    RNG_SERVICE,      /* service time sampling */
    RNG_CLIENT,       /* retry jitter, think time */
    RNG_EVENTS,       /* event fractions and random (mtbf/mttr) events */
    RNG_NETWORK       /* rtt and network failures */
};

struct rng {
    uint64_t s[4];
};

/* The golden-ratio increment of splitmix64 (2^64 / phi), also used to
 * spread small integers (indices, counters) before mixing. */
#define RNG_GOLDEN UINT64_C(0x9e3779b97f4a7c15)

/* splitmix64's finaliser: a bijective 64-bit mixer whose output bits all
 * depend on every input bit.  The one mixer of tollgate: stream seeding,
 * stateless per-account draws, event selection and API keys hash with it.
 */
static inline uint64_t rng_mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

/* Seeds r from (seed, id, purpose) by hashing them through splitmix64.
 * Different triples give statistically independent streams. */
void rng_init(struct rng *r, uint64_t seed, uint64_t id,
              enum rng_purpose purpose);

/* Next 64 random bits.  Inline: it sits on every simulated request's path
 * several times over. */
static inline uint64_t rng_u64(struct rng *r)
{
    uint64_t *s = r->s;
    uint64_t x = s[1] * 5;
    uint64_t result = ((x << 7) | (x >> 57)) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = (s[3] << 45) | (s[3] >> 19);
    return result;
}

/* Uniform double in the open interval (0, 1): never 0, never 1, so log()
 * of it is always finite.  53 random bits centred in their cell:
 * (k + 0.5) / 2^53. */
static inline double rng_double(struct rng *r)
{
    return ((double)(rng_u64(r) >> 11) + 0.5) * 0x1.0p-53;
}

/* Uniform integer in [0, n); n > 0.  Unbiased (Lemire's method). */
uint64_t rng_below(struct rng *r, uint64_t n);

/* Standard normal deviate (Marsaglia polar method, no cached spare so the
 * stream position depends only on the number of calls). */
double rng_normal(struct rng *r);

#endif

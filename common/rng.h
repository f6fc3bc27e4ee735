/**
 * @file rng.h
 * @brief The one deterministic generator of the demos, the tests, the
 * fuzz targets, the benchmarks and the tools: splitmix64, so the same seed
 * gives the same workload (and the same trace file, and the same demo
 * output) on every machine.  Not used by the library itself.
 *
 * Algorithm.  splitmix64 adds a fixed odd constant (the golden-ratio
 * increment RNG_GAMMA) to a 64-bit state, a Weyl sequence, and passes the
 * sum through a bijective mixer (rng_mix()).  Every call is O(1) and the
 * period is 2^64.  rng_below() reduces by modulo: the bias, at most n/2^64,
 * does not matter here.
 *
 * Stamps.  rng_stamp() fills an object with bytes that follow from a seed
 * (the top byte of the Weyl sequence started at the seed, one step per
 * byte), and rng_stamp_damage() finds the first byte that no longer does:
 * neighbouring bytes and nearby seeds disagree, so an overlap or a stray
 * write shows.  Both are O(n) in the object's size.
 *
 * Header only (static inline), no dependencies but <stdint.h> and
 * <stddef.h>: it builds in every program of the repository, with or without
 * Check.
 */
#ifndef SLABCRAFT_RNG_H
#define SLABCRAFT_RNG_H

#include <stddef.h>
#include <stdint.h>

/** The Weyl increment of splitmix64: 2^64 divided by the golden ratio, odd. */
#define RNG_GAMMA 0x9E3779B97F4A7C15u
/** The first multiplier of the mixer; it also spreads a stamp's seed. */
#define RNG_SPREAD 0xBF58476D1CE4E5B9u

/** A generator: any state is valid, and the seed is the initial state
 * (rng_t r = {seed};). */
typedef struct rng {
    uint64_t state; /**< the Weyl sequence's current value */
} rng_t;

/**
 * @brief The splitmix64 finaliser: a bijection of 64-bit words in which
 *        every input bit changes about half the output bits.
 * @param z any word
 * @return its mix
 */
static inline uint64_t rng_mix(uint64_t z)
{
    z = (z ^ (z >> 30)) * RNG_SPREAD;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

/**
 * @brief The next 64 random bits.
 * @param r the generator
 * @return the bits
 */
static inline uint64_t rng_next(rng_t *r)
{
    return rng_mix(r->state += RNG_GAMMA);
}

/**
 * @brief A number uniform in [0, n) (the tiny modulo bias does not matter
 *        here).
 * @param r the generator
 * @param n the bound, > 0
 * @return the number
 */
static inline uint64_t rng_below(rng_t *r, uint64_t n)
{
    return rng_next(r) % n;
}

/**
 * @brief Writes the n bytes of the stamp of @p seed at @p p.
 * @param p    where
 * @param n    bytes
 * @param seed the stamp's seed
 */
static inline void rng_stamp(void *p, size_t n, uint64_t seed)
{
    unsigned char *b = p;
    uint64_t x = seed * RNG_SPREAD;
    for (size_t i = 0; i < n; i++) {
        x += RNG_GAMMA;
        b[i] = (unsigned char)(x >> 56);
    }
}

/**
 * @brief Finds the first byte that no longer holds the stamp of @p seed.
 * @param p    the stamped bytes
 * @param n    how many
 * @param seed the stamp's seed
 * @return the first offset < n at which @p p differs from the stamp, or n
 *         if all n bytes are intact
 */
static inline size_t rng_stamp_damage(const void *p, size_t n, uint64_t seed)
{
    const unsigned char *b = p;
    uint64_t x = seed * RNG_SPREAD;
    for (size_t i = 0; i < n; i++) {
        x += RNG_GAMMA;
        if (b[i] != (unsigned char)(x >> 56))
            return i;
    }
    return n;
}

#endif

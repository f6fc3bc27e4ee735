/*
 * rng.h - a small deterministic generator (splitmix64) for tests and fuzz
 * models: the same seed gives the same workload on every machine.
 */
#ifndef SLABCRAFT_RNG_H
#define SLABCRAFT_RNG_H

#include <stdint.h>

typedef struct rng { uint64_t state; } rng_t;

static inline uint64_t rng_next(rng_t *r)
{
    uint64_t z = (r->state += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

/* Uniform in [0, n), n > 0 (the tiny modulo bias does not matter here). */
static inline uint64_t rng_below(rng_t *r, uint64_t n)
{
    return rng_next(r) % n;
}

#endif

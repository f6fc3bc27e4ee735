/*
 * fnv1a.h - FNV-1a, 64-bit (Fowler, Noll and Vo): the weak reference hash
 * that the tests of common/hash.h show to fail their avalanche check, and
 * that bench_hash measures.  One XOR and one multiply per byte; the
 * multiply is the last step, so the low output bits depend only on the low
 * bits of the last byte and of the state before it.  O(len).
 */
#ifndef SLABCRAFT_TEST_FNV1A_H
#define SLABCRAFT_TEST_FNV1A_H

#include <stddef.h>
#include <stdint.h>

/* The FNV-1a hash of len bytes at p, its offset basis XORed with seed. */
static inline uint64_t fnv1a(const void *p, size_t len, uint64_t seed)
{
    const unsigned char *b = p;
    uint64_t h = 0xCBF29CE484222325u ^ seed;
    for (size_t i = 0; i < len; i++)
        h = (h ^ b[i]) * 0x100000001B3u;
    return h;
}

#endif

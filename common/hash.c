/*
 * hash.c - the loop of hash_bytes() over inputs longer than 16 bytes (the
 * design, its source and its limits are in hash.h).
 *
 * Three lanes take 48 bytes per step, so three independent multiplies are
 * in flight; what is left (1 to 48 bytes, never 0) goes 16 bytes at a time
 * through one lane, and the last 16 bytes of the input, read again even if
 * they overlap, are the two words hash_finish() multiplies.  O(len), one
 * multiply per 16 bytes; reads only [p, p + len).
 */
#include "hash.h"

/* One lane's step: 16 bytes at p into state s, keyed by key. */
static inline uint64_t hash_block(const unsigned char *p, uint64_t s, uint64_t key)
{
    return hash_mix(hash_read64(p) ^ key, hash_read64(p + 8) ^ s);
}

uint64_t hash_bytes_long(const unsigned char *p, size_t len, uint64_t k)
{
    const unsigned char *end = p + len;
    uint64_t s = k;
    size_t left = len;
    if (left > 48) {
        uint64_t s1 = k, s2 = k;
        uint64_t k0 = k ^ HASH_K1, k1 = k ^ HASH_K2, k2 = k ^ HASH_K3;
        do {
            s = hash_block(p, s, k0);
            s1 = hash_block(p + 16, s1, k1);
            s2 = hash_block(p + 32, s2, k2);
            p += 48;
            left -= 48;
        } while (left > 48);
        s ^= s1 ^ s2;
    }
    while (left > 16) {
        s = hash_block(p, s, k ^ HASH_K1);
        p += 16;
        left -= 16;
    }
    return hash_finish(hash_read64(end - 16) ^ k ^ HASH_K1, hash_read64(end - 8) ^ s, len);
}

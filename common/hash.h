/**
 * @file hash.h
 * @brief The one hash function of slabcraft, for byte strings (stage 03
 *        interns them) and 64-bit integers (stage 04's map keys): fast,
 *        seeded, with every input bit reaching every output bit.
 *
 * Source.  The design is the multiply-and-fold family of wyhash (Wang Yi,
 * 2019) and its descendant rapidhash (Nicolas De Carli, 2024), written here
 * from their published description, not from their code; the constants are
 * our own (below).  Its one primitive is hash_mix(): the full 128-bit
 * product of two 64-bit words, folded to 64 bits by XOR of its high and
 * low halves.  One multiply instruction (MUL on x86-64, MUL and UMULH on
 * Arm64) moves every bit of each operand into about half of the bits of
 * the product, and the fold keeps what both halves learnt.
 *
 * Algorithm of hash_bytes(p, len, seed).
 *  - The seed is spread into a key k = seed ^ hash_mix(seed ^ K0, K1);
 *    every word is XORed with k (or with a state that started from it)
 *    before it is multiplied, so a word that zeroes a product cannot be
 *    chosen without knowing the seed.
 *  - len <= 16: at most four overlapping 4-byte reads (for len 1 to 3,
 *    three single bytes) make two words a and b that cover every byte,
 *    without a branch per length and without reading past the end.
 *  - len > 16 (hash.c): blocks of 48 bytes feed three independent lanes,
 *    so three multiplies are in flight at once; each lane does
 *    s = hash_mix(w0 ^ k ^ K_lane, w1 ^ s) for its 16 bytes w0, w1.  The
 *    lanes are merged by XOR, the 16-byte blocks left go through one lane,
 *    and a and b are the last 16 bytes of the input (overlapping bytes
 *    already read when len is not a multiple of 16).
 *  - Finish: the full 128-bit product of the keyed a and b gives two
 *    words, and one last hash_mix() of them, with len folded in, is the
 *    hash.
 * Every read is a memcpy() of 1, 4 or 8 bytes assembled little-endian,
 * so the result depends on neither the alignment of @p p nor the byte
 * order of the machine, and no byte outside [p, p + len) is ever read.
 *
 * hash_u64(x, seed) is two rounds of hash_mix(): the first multiplies the
 * key by the seed (each XORed with a constant), the second multiplies that
 * product by the key and the seed again, so that a key which zeroes the
 * first product still reaches the result.
 *
 * Bounds.  hash_bytes() is O(len): one multiply per 16 bytes, three in
 * flight; up to 16 bytes it is inline, a handful of loads and three
 * multiplies (two when the seed is a constant).  hash_u64() is two
 * multiplies.  No state, no allocation, safe from any number of threads.
 *
 * Constants.  K0 to K4 are the first five 64-bit words of the fractional
 * part of pi (0x243F6A88...), each with its lowest bit set, so that a
 * multiply by one of them is a bijection of the low 64 bits.
 *
 * Limits.  Not cryptographic.  The seed makes the collisions of one
 * process different from another's, so that keys chosen without knowing
 * the seed collide only by chance (about 2^-64 per pair); it does not stop
 * an attacker who can observe hashes, or who knows the seed: a block whose
 * words equal the key k multiplies by zero and forgets what came before.
 * The results are stable: the same bytes, length and seed give the same
 * hash on every compiler and machine (the tests hold known answers), so a
 * hash may be stored; they change only with this file.
 *
 * Header only, but for the loop over long inputs, which is out of line in
 * hash.c.  The short path is inline because it pays: bench_hash's
 * hash_bytes/call column, the same function behind a call, is about 1.5x
 * slower up to 16 bytes, and no slower from 256 bytes on.  The 128-bit product uses the compiler's unsigned __int128 where
 * it has one (gcc, clang: marked __extension__ for -Wpedantic) and
 * hash_mix_portable(), four 32x32-bit products, elsewhere; the tests check
 * that both give the same answers.
 */
#ifndef SLABCRAFT_HASH_H
#define SLABCRAFT_HASH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/** pi's first 64 fractional bits: spreads the seed. */
#define HASH_K0 0x243F6A8885A308D3u
/** pi's next 64 bits, made odd: spreads the seed, keys the first lane. */
#define HASH_K1 0x13198A2E03707345u
/** pi's next 64 bits, made odd: derives the key, keys the second lane. */
#define HASH_K2 0xA4093822299F31D1u
/** pi's next 64 bits: derives the key, keys the third lane. */
#define HASH_K3 0x082EFA98EC4E6C89u
/** pi's next 64 bits: the last mix. */
#define HASH_K4 0x452821E638D01377u

/* ---- the 128-bit product --------------------------------------------------- */

/**
 * @brief The full 128-bit product of @p a and @p b, computed from four
 *        32x32-bit products, for compilers without a 128-bit type.
 * @param a  a factor
 * @param b  the other
 * @param hi receives the high 64 bits of a * b
 * @return the low 64 bits of a * b
 */
static inline uint64_t hash_mul128_portable(uint64_t a, uint64_t b, uint64_t *hi)
{
    uint64_t a_lo = (uint32_t)a, a_hi = a >> 32, b_lo = (uint32_t)b, b_hi = b >> 32;
    uint64_t ll = a_lo * b_lo, lh = a_lo * b_hi, hl = a_hi * b_lo, hh = a_hi * b_hi;
    /* the middle column: cannot overflow (3 * (2^32 - 1) < 2^64) */
    uint64_t mid = (ll >> 32) + (uint32_t)lh + (uint32_t)hl;
    *hi = hh + (lh >> 32) + (hl >> 32) + (mid >> 32);
    return (mid << 32) | (uint32_t)ll;
}

/**
 * @brief The full 128-bit product of @p a and @p b.
 * @param a  a factor
 * @param b  the other
 * @param hi receives the high 64 bits of a * b
 * @return the low 64 bits of a * b
 */
static inline uint64_t hash_mul128(uint64_t a, uint64_t b, uint64_t *hi)
{
#if defined(__SIZEOF_INT128__) && !defined(HASH_NO_INT128)
    __extension__ typedef unsigned __int128 hash_u128;
    hash_u128 r = (hash_u128)a * b;
    *hi = (uint64_t)(r >> 64);
    return (uint64_t)r;
#else
    return hash_mul128_portable(a, b, hi);
#endif
}

/**
 * @brief hash_mix() through hash_mul128_portable(): the same answer on
 *        every compiler; the tests compare the two.
 * @param a a word
 * @param b another
 * @return the high and low halves of a * b, XORed
 */
static inline uint64_t hash_mix_portable(uint64_t a, uint64_t b)
{
    uint64_t hi, lo = hash_mul128_portable(a, b, &hi);
    return hi ^ lo;
}

/**
 * @brief The core of both hashes: the 64x64->128-bit product of @p a and
 *        @p b, folded to 64 bits as (high half) ^ (low half).
 *
 * Bit i of the low half depends on bits 0..i of both operands, bit i of the
 * high half on nearly all of them, so the fold spreads every input bit over
 * the whole word.  It is symmetric (mix(a, b) == mix(b, a)) and not a
 * bijection: a zero operand gives 0 whatever the other is, which is why
 * every caller XORs its operands with a key or a constant first.
 * @param a a word
 * @param b another
 * @return the folded product
 */
static inline uint64_t hash_mix(uint64_t a, uint64_t b)
{
    uint64_t hi, lo = hash_mul128(a, b, &hi);
    return hi ^ lo;
}

/* ---- integers ---------------------------------------------------------------- */

/**
 * @brief Hashes a 64-bit integer key.
 *
 * Two rounds of hash_mix(): every input bit flips each output bit with
 * probability close to 1/2, so both the low bits and the top bits of the
 * result may pick a bucket.  O(1), two multiplies.
 * @param x    the key
 * @param seed any value; different seeds give unrelated hashes
 * @return the hash
 */
static inline uint64_t hash_u64(uint64_t x, uint64_t seed)
{
    uint64_t h = hash_mix(x ^ HASH_K0, seed ^ HASH_K1);
    return hash_mix(h ^ HASH_K2, x ^ seed ^ HASH_K3);
}

/* ---- byte strings ---------------------------------------------------------- */

/**
 * @brief The 8 bytes at @p p as a little-endian word.
 * @param p the bytes, at any alignment
 * @return the word
 */
static inline uint64_t hash_read64(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof v);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}

/**
 * @brief The 4 bytes at @p p as a little-endian word.
 * @param p the bytes, at any alignment
 * @return the word, in the low 32 bits
 */
static inline uint64_t hash_read32(const unsigned char *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof v);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap32(v);
#endif
    return v;
}

/**
 * @brief The key of one hash: the seed, spread so that every bit of it
 *        reaches every bit of the key.  One multiply, which the compiler
 *        folds away when the seed is a constant.
 * @param seed the caller's seed
 * @return the key
 */
static inline uint64_t hash_seed_key(uint64_t seed)
{
    return seed ^ hash_mix(seed ^ HASH_K0, HASH_K1);
}

/**
 * @brief The last step of hash_bytes(): the full product of the two words
 *        that remain, folded with the length.
 * @param a   the first word, keyed
 * @param b   the second, keyed
 * @param len the input's length
 * @return the hash
 */
static inline uint64_t hash_finish(uint64_t a, uint64_t b, size_t len)
{
    uint64_t hi, lo = hash_mul128(a, b, &hi);
    return hash_mix(lo ^ HASH_K4 ^ (uint64_t)len, hi ^ HASH_K1);
}

/**
 * @brief hash_bytes() for inputs longer than 16 bytes: the lanes and the
 *        16-byte blocks, out of line.
 * @param p    the input
 * @param len  its length, > 16
 * @param k    the key, from hash_seed_key()
 * @return the hash, as hash_bytes() returns it
 * @pre len > 16; [p, p + len) readable
 */
uint64_t hash_bytes_long(const unsigned char *p, size_t len, uint64_t k);

/**
 * @brief Hashes @p len bytes at @p p.
 *
 * Reads only [p, p + len), at any alignment; the result does not depend on
 * the alignment or on the machine's byte order.  Up to 16 bytes it is
 * inline, a few loads and three multiplies; longer inputs go to
 * hash_bytes_long().
 * @param p    the bytes; may be NULL when @p len is 0
 * @param len  how many, 0 included
 * @param seed any value; different seeds give unrelated hashes (also for
 *             len 0)
 * @return the hash
 */
static inline uint64_t hash_bytes(const void *p, size_t len, uint64_t seed)
{
    const unsigned char *b = p;
    uint64_t k = hash_seed_key(seed);
    uint64_t x = 0, y = 0;
    if (len > 16)
        return hash_bytes_long(b, len, k);
    if (len >= 4) {
        size_t mid = (len >> 3) << 2; /* 0 for len 4..7, 4 for 8..16 */
        x = (hash_read32(b) << 32) | hash_read32(b + mid);
        y = (hash_read32(b + len - 4) << 32) | hash_read32(b + len - 4 - mid);
    } else if (len > 0) {
        x = ((uint64_t)b[0] << 16) | ((uint64_t)b[len >> 1] << 8) | b[len - 1];
    }
    return hash_finish(x ^ k ^ HASH_K1, y ^ k ^ HASH_K2, len);
}

#endif

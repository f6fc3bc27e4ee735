/*
 * amap_group_internal.h - stage 04: matching the 16 control bytes of a group at once.
 *
 * A control byte is 0x80 (empty), 0xFE (deleted), or 0x00..0x7F (full: the
 * low 7 bits of the hash of the key in that slot).  A lookup asks of a
 * group: which bytes equal this tag?  which are empty?  an insert: which
 * are free (empty or deleted, the bytes with their top bit set)?  Each
 * answer is a 16-bit mask, bit k for byte k.
 *
 * Two implementations give the same answers:
 *  - SSE2 (x86-64): one 16-byte compare and one movemask per question;
 *  - SWAR ("SIMD within a register"): the group as two 64-bit words, bytes
 *    compared with carry-free arithmetic, and the top bit of each byte
 *    gathered into 8 bits by one multiply.
 * Both are compiled on every machine that has SSE2, and the tests compare
 * them; the map uses SSE2 where it exists, unless built with
 * -DAMAP_FORCE_SWAR (`make test-swar`), and SWAR everywhere else.
 */
#ifndef SLABCRAFT_AMAP_GROUP_INTERNAL_H
#define SLABCRAFT_AMAP_GROUP_INTERNAL_H

#include <stdint.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#define AMAP_HAVE_SSE2 1
#endif

#define CTRL_EMPTY ((uint8_t)0x80)
#define CTRL_DELETED ((uint8_t)0xFE)

/* ---- SWAR ------------------------------------------------------------- exercise 04-swar */

#define SWAR_LO ((uint64_t)0x0101010101010101u) /* 0x01 in every byte */
#define SWAR_HI ((uint64_t)0x8080808080808080u) /* 0x80 in every byte */

/* Eight bytes of a group, byte k in bits 8k..8k+7 on every machine. */
static inline uint64_t swar_load(const uint8_t *p)
{
    uint64_t w;
    memcpy(&w, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    w = __builtin_bswap64(w);
#endif
    return w;
}

/* The top bit of each byte of w (others ignored) as 8 bits, byte k -> bit
 * k: shifted down to bit 8k, one multiply moves bit 8k to bit 56 + k (the
 * partial products land on distinct bits, so nothing carries). */
static inline uint32_t swar_gather(uint64_t w)
{
    return (uint32_t)((((w & SWAR_HI) >> 7) * UINT64_C(0x0102040810204080)) >> 56);
}

#ifdef SC_EX_04_SWAR
#include "04-swar/swar.c"
#else
// [swar]
/* 0x80 in each byte of x that is zero, 0 in every other byte, exactly:
 * adding 0x7F to the low 7 bits sets a byte's top bit iff they are not all
 * zero, and never carries into the next byte; or-ing x's own top bit in
 * leaves the top bit clear only for a zero byte. */
static inline uint64_t swar_zero_bytes(uint64_t x)
{
    uint64_t low7 = (x & ~SWAR_HI) + ~SWAR_HI;
    return ~(low7 | x) & SWAR_HI;
}

/* The bytes of the 8 at p equal to b, as a mask of 8 bits. */
static inline uint32_t swar_match8(const uint8_t *p, uint8_t b)
{
    return swar_gather(swar_zero_bytes(swar_load(p) ^ (SWAR_LO * b)));
}
// [swar]
#endif

/* SWAR: bytes of the group equal to b; empty ones; free ones. */
static inline uint32_t group_match_swar(const uint8_t *g, uint8_t b)
{
    return swar_match8(g, b) | swar_match8(g + 8, b) << 8;
}

static inline uint32_t group_empty_swar(const uint8_t *g)
{
    return group_match_swar(g, CTRL_EMPTY);
}

static inline uint32_t group_free_swar(const uint8_t *g)
{
    return swar_gather(swar_load(g)) | swar_gather(swar_load(g + 8)) << 8;
}

/* ---- SSE2 ----------------------------------------------------------------- */

#ifdef AMAP_HAVE_SSE2
/* SSE2: one compare of 16 bytes, one movemask of their top bits.  g is
 * 16-byte aligned (groups start at multiples of 16 in an aligned table). */
static inline uint32_t group_match_sse2(const uint8_t *g, uint8_t b)
{
    __m128i ctrl = _mm_load_si128((const __m128i *)(const void *)g);
    return (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(ctrl, _mm_set1_epi8((char)b)));
}

static inline uint32_t group_empty_sse2(const uint8_t *g)
{
    return group_match_sse2(g, CTRL_EMPTY);
}

static inline uint32_t group_free_sse2(const uint8_t *g)
{
    return (uint32_t)_mm_movemask_epi8(_mm_load_si128((const __m128i *)(const void *)g));
}
#endif

/* ---- what the map uses ---------------------------------------------------- */

#if defined(AMAP_HAVE_SSE2) && !defined(AMAP_FORCE_SWAR)
#define AMAP_GROUP_IMPL "sse2"
#define group_match group_match_sse2
#define group_empty group_empty_sse2
#define group_free group_free_sse2
#else
#define AMAP_GROUP_IMPL "swar"
#define group_match group_match_swar
#define group_empty group_empty_swar
#define group_free group_free_swar
#endif

#endif

/*
 * exercises/04-swar/swar.c - exercise 04-swar: the group match in SWAR,
 * eight control bytes at a time in one 64-bit word (see README.md).
 *
 * `make exercise EX=04-swar` compiles stage 04 with this file in place of
 * swar_zero_bytes() and swar_match8() in stages/04-arena-map/amap_group_internal.h
 * (which #includes it), then runs the tests tagged 04-swar.  This file sees
 * what amap_group_internal.h defines before it: SWAR_LO (0x01 in every byte),
 * SWAR_HI (0x80 in every byte), swar_load() and swar_gather().
 *
 * Byte k of a word is bits 8k..8k+7 (swar_load() makes it so on every
 * machine).  A mask of bytes in a word has 0x80 in each chosen byte and 0
 * elsewhere; swar_gather() turns it into 8 bits, byte k -> bit k.
 *
 * This stub finds nothing: no byte is ever zero, no byte ever matches.  On
 * x86-64 the map itself uses SSE2, so the rest of the stage still runs;
 * the tests call these functions directly.
 */

/* 0x80 in each byte of x that is zero, 0 in every other byte: exactly,
 * whatever the other bytes hold. */
static inline uint64_t swar_zero_bytes(uint64_t x)
{
    /* TODO 1: a byte is zero iff its low 7 bits are zero and its top bit
     *         is clear.  Find, for every byte at once, whether its low 7
     *         bits are all zero, with an addition that cannot carry into
     *         the next byte; then bring the top bit in.  No loop over the
     *         bytes, no branch. */
    (void)x;
    return 0;
}

/* The bytes of the 8 at p equal to b, as a mask of 8 bits (byte k -> bit k). */
static inline uint32_t swar_match8(const uint8_t *p, uint8_t b)
{
    /* TODO 2: a byte equals b iff it xor b is zero.  One multiply puts b
     *         in every byte of a word. */
    (void)p;
    (void)b;
    return 0;
}

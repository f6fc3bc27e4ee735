/*
 * test_ex_swar.c - stage 04, exercise 04-swar: swar_zero_bytes() and
 * swar_match8(), the group match of the arena map in one 64-bit word.
 *
 * The functions are called directly (the map itself uses SSE2 on x86-64
 * unless built with -DAMAP_FORCE_SWAR), and every answer is compared with a
 * byte-by-byte reference:
 *
 *   pairs        swar_zero_bytes() on every value of two neighbouring bytes,
 *                at every place in the word, over four backgrounds (0x00,
 *                0x01, 0x80, 0xFF in the other bytes): 1.8 million words
 *                that hold every carry and borrow one byte can pass to the
 *                next.  The well-known test "(x - 0x01..01) & ~x & 0x80..80"
 *                fails here: it is exact only for the lowest zero byte, and
 *                marks a 0x01 just above a zero byte as zero too
 *   random       swar_zero_bytes() on random words whose bytes are mostly
 *                0x00, 0x01, 0x7F, 0x80, 0x81, 0xFE, 0xFF
 *   match8       swar_match8() for every byte b: each byte of 8 equal to b,
 *                and its neighbours in value (b ^ 1, b ^ 0x80, b - 1, ...)
 *                around it; and random words built from those
 *   groups       the 16-byte group functions built on them
 *                (group_match_swar(), group_empty_swar()) on random groups
 *                of control bytes, for every tag, for CTRL_EMPTY and
 *                CTRL_DELETED; against the reference and, where the
 *                machine has SSE2, against group_match_sse2()
 */
#include <check.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "amap.h"
#include "amap_group_internal.h"
#include "require.h"
#include "rng.h"

/* ---- the reference: one byte at a time ------------------------------------ */

static uint64_t ref_zero_bytes(uint64_t x)
{
    uint64_t r = 0;
    for (unsigned k = 0; k < 8; k++)
        if (((x >> (8 * k)) & 0xFF) == 0)
            r |= (uint64_t)0x80 << (8 * k);
    return r;
}

static uint32_t ref_match(const uint8_t *p, unsigned n, uint8_t b)
{
    uint32_t r = 0;
    for (unsigned k = 0; k < n; k++)
        if (p[k] == b)
            r |= 1u << k;
    return r;
}

/* The word whose byte k is p[k] (as swar_load() reads it). */
static uint64_t word_of(const uint8_t p[8])
{
    uint64_t x = 0;
    for (unsigned k = 0; k < 8; k++)
        x |= (uint64_t)p[k] << (8 * k);
    return x;
}

/* ---- swar_zero_bytes() ----------------------------------------------------- */

/* Fails, saying which byte is wrong and what usually causes it, unless
 * swar_zero_bytes(x) is exact. */
static void zero_bytes_ok(uint64_t x)
{
    uint64_t got = swar_zero_bytes(x), want = ref_zero_bytes(x);
    if (got == want)
        return;
    unsigned k = (unsigned)__builtin_ctzll(got ^ want) / 8;
    unsigned byte = (unsigned)(x >> (8 * k)) & 0xFF;
    uint64_t gk = (got >> (8 * k)) & 0xFF;
    const char *why;
    if ((got ^ want) & ~SWAR_HI)
        why = "bits other than the top bit of a byte are set: the answer must hold "
              "0x80 or 0x00 in every byte";
    else if (byte != 0 && k > 0 && ((x >> (8 * (k - 1))) & 0xFF) == 0)
        why = "the byte below it is zero: a borrow (or carry) from one byte must never "
              "reach the next";
    else if (byte != 0)
        why = byte & 0x80 ? "its top bit is set: a byte with its top bit set is never zero"
                          : "its low 7 bits are not all zero";
    else
        why = "it is zero";
    ck_abort_msg("swar_zero_bytes(0x%016" PRIx64 ") = 0x%016" PRIx64 ", expected 0x%016" PRIx64
                 ": byte %u (0x%02x) is reported %s, but %s", x, got, want, k, byte,
                 gk ? "zero" : "not zero", why);
}

START_TEST(swar_zero_bytes_pairs)
{
    static const uint8_t backgrounds[] = {0x00, 0x01, 0x80, 0xFF};
    for (size_t bg = 0; bg < sizeof backgrounds; bg++)
        for (unsigned k = 0; k < 7; k++)
            for (unsigned lo = 0; lo < 256; lo++)
                for (unsigned hi = 0; hi < 256; hi++) {
                    uint8_t p[8];
                    memset(p, backgrounds[bg], sizeof p);
                    p[k] = (uint8_t)lo;
                    p[k + 1] = (uint8_t)hi;
                    zero_bytes_ok(word_of(p));
                }
}
END_TEST

/* A byte drawn mostly from the values where byte tricks go wrong. */
static uint8_t tricky_byte(rng_t *r)
{
    static const uint8_t tricky[] = {0x00, 0x00, 0x01, 0x7F, 0x80, 0x81, 0xFE, 0xFF};
    uint64_t v = rng_next(r);
    return (v & 0x300) == 0 ? (uint8_t)v : tricky[(v >> 16) & 7];
}

START_TEST(swar_zero_bytes_random)
{
    rng_t r = {0x5a5a0001u};
    for (unsigned n = 0; n < 200000; n++) {
        uint8_t p[8];
        for (unsigned k = 0; k < 8; k++)
            p[k] = tricky_byte(&r);
        zero_bytes_ok(word_of(p));
    }
    zero_bytes_ok(0);
    zero_bytes_ok(UINT64_MAX);
    zero_bytes_ok(SWAR_LO);
    zero_bytes_ok(SWAR_HI);
}
END_TEST

/* ---- swar_match8() ----------------------------------------------------------- */

static void match8_ok(const uint8_t p[8], uint8_t b)
{
    uint32_t got = swar_match8(p, b), want = ref_match(p, 8, b);
    REQUIRE(got == want, "swar_match8({%02x %02x %02x %02x %02x %02x %02x %02x}, 0x%02x) = 0x%02x, "
            "expected 0x%02x (bit k for each byte k equal to 0x%02x, nothing else)", p[0], p[1],
            p[2], p[3], p[4], p[5], p[6], p[7], b, got, want, b);
}

START_TEST(swar_match8_every_byte)
{
    rng_t r = {0x5a5a0002u};
    for (unsigned b = 0; b < 256; b++) {
        const uint8_t near[] = {(uint8_t)b,          (uint8_t)(b ^ 1),    (uint8_t)(b ^ 0x80),
                                (uint8_t)(b ^ 0xFF), (uint8_t)(b - 1),    (uint8_t)(b + 1),
                                0x00,                CTRL_EMPTY,          CTRL_DELETED};
        /* one byte at each place, every near value as the background */
        for (size_t bg = 0; bg < sizeof near; bg++)
            for (unsigned k = 0; k < 8; k++)
                for (size_t v = 0; v < sizeof near; v++) {
                    uint8_t p[8];
                    memset(p, near[bg], sizeof p);
                    p[k] = near[v];
                    match8_ok(p, (uint8_t)b);
                }
        /* random mixtures of them */
        for (unsigned n = 0; n < 400; n++) {
            uint8_t p[8];
            for (unsigned k = 0; k < 8; k++)
                p[k] = near[rng_below(&r, sizeof near)];
            match8_ok(p, (uint8_t)b);
        }
    }
}
END_TEST

/* ---- the group functions --------------------------------------------------- */

/* A random control byte: mostly tags, some empty, some deleted. */
static uint8_t random_ctrl(rng_t *r)
{
    uint64_t v = rng_next(r);
    switch (v & 7) {
    case 0:
        return CTRL_EMPTY;
    case 1:
        return CTRL_DELETED;
    default:
        return (uint8_t)((v >> 8) & 0x7F);
    }
}

START_TEST(swar_groups_agree)
{
    _Alignas(16) uint8_t g[AMAP_GROUP];
    rng_t r = {0x5a5a0003u};
    for (unsigned n = 0; n < 3000; n++) {
        for (unsigned k = 0; k < AMAP_GROUP; k++)
            g[k] = random_ctrl(&r);
        if (n % 4 == 0) /* few distinct tags: many matches in one group */
            for (unsigned k = 0; k < AMAP_GROUP; k++)
                g[k] &= 0x83;
        for (unsigned b = 0; b < 0x82; b++) {
            uint8_t want_b = b <= 0x7F ? (uint8_t)b : b == 0x80 ? CTRL_EMPTY : CTRL_DELETED;
            uint32_t got = group_match_swar(g, want_b), want = ref_match(g, AMAP_GROUP, want_b);
            REQUIRE(got == want, "group_match_swar(group %u, 0x%02x) = 0x%04x, expected 0x%04x: "
                    "swar_match8() on one of its two halves is wrong", n, want_b, got, want);
#ifdef AMAP_HAVE_SSE2
            uint32_t sse2 = group_match_sse2(g, want_b);
            REQUIRE(got == sse2, "group_match_swar(group %u, 0x%02x) = 0x%04x, but SSE2 says "
                    "0x%04x", n, want_b, got, sse2);
#endif
        }
        uint32_t empty = group_empty_swar(g), want = ref_match(g, AMAP_GROUP, CTRL_EMPTY);
        REQUIRE(empty == want, "group_empty_swar(group %u) = 0x%04x, expected 0x%04x", n, empty,
                want);
    }
}
END_TEST

Suite *amap_ex_swar_suite(void)
{
    Suite *s = suite_create("amap-ex-swar");
    TCase *tc = tcase_create("swar");
    tcase_set_tags(tc, "core 04-swar");
    tcase_set_timeout(tc, 120); /* a few seconds natively; slower under Valgrind */
    tcase_add_test(tc, swar_zero_bytes_pairs);
    tcase_add_test(tc, swar_zero_bytes_random);
    tcase_add_test(tc, swar_match8_every_byte);
    tcase_add_test(tc, swar_groups_agree);
    suite_add_tcase(s, tc);
    return s;
}

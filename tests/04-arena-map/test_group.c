/*
 * test_group.c - the group match of amap_group_internal.h: SWAR exactly equal to a
 * byte-by-byte reference (no false positives from borrows or carries
 * between bytes), SSE2 (where built) equal to both, on many random groups
 * and on crafted ones, with bit k answering for byte k.
 */
#define _POSIX_C_SOURCE 200809L

#include "amap_internal.h"
#include "amap_test.h"

/* The reference answers, one byte at a time. */
static uint32_t ref_match(const uint8_t *g, uint8_t b)
{
    uint32_t mask = 0;
    for (unsigned k = 0; k < AMAP_GROUP; k++)
        mask |= (uint32_t)(g[k] == b) << k;
    return mask;
}

static uint32_t ref_free(const uint8_t *g)
{
    uint32_t mask = 0;
    for (unsigned k = 0; k < AMAP_GROUP; k++)
        mask |= (uint32_t)(g[k] >> 7) << k;
    return mask;
}

/* Every implementation gives the reference's answer for group g and tag b,
 * and for the empty and free questions. */
static void expect_same(const uint8_t *g, uint8_t b)
{
    uint32_t want = ref_match(g, b);
    REQUIRE(group_match_swar(g, b) == want, "swar match of %#x: %#x, expected %#x", b, group_match_swar(g, b), want);
    uint32_t empty = ref_match(g, CTRL_EMPTY), free_ = ref_free(g);
    REQUIRE(group_empty_swar(g) == empty, "swar empty: %#x, expected %#x", group_empty_swar(g), empty);
    REQUIRE(group_free_swar(g) == free_, "swar free: %#x, expected %#x", group_free_swar(g), free_);
#ifdef AMAP_HAVE_SSE2
    REQUIRE(group_match_sse2(g, b) == want, "sse2 match of %#x: %#x, expected %#x", b, group_match_sse2(g, b), want);
    REQUIRE(group_empty_sse2(g) == empty, "sse2 empty: %#x, expected %#x", group_empty_sse2(g), empty);
    REQUIRE(group_free_sse2(g) == free_, "sse2 free: %#x, expected %#x", group_free_sse2(g), free_);
#endif
    /* what the map uses is one of them */
    REQUIRE(group_match(g, b) == want, "group_match of %#x: %#x, expected %#x", b, group_match(g, b), want);
}

START_TEST(random_groups_agree)
{
    _Alignas(16) uint8_t g[AMAP_GROUP];
    rng_t r = {0x5eed04};
    for (unsigned n = 0; n < 200000; n++) {
        unsigned kind = n % 3;
        for (unsigned k = 0; k < AMAP_GROUP; k++) {
            uint64_t x = rng_next(&r);
            if (kind == 0)
                g[k] = (uint8_t)x; /* any byte */
            else if (kind == 1) /* what a table holds: tags, empty, deleted */
                g[k] = (x & 3) == 0 ? CTRL_EMPTY : (x & 3) == 1 ? CTRL_DELETED : (uint8_t)(x >> 8 & 0x7F);
            else /* few distinct values, so matches are many */
                g[k] = (uint8_t)(0x7E + (x & 3));
        }
        expect_same(g, (uint8_t)rng_next(&r));
        expect_same(g, g[n % AMAP_GROUP]); /* a tag that is there */
    }
}
END_TEST

/* Every value of one byte, against every tag, among backgrounds that
 * provoke borrows and carries. */
START_TEST(each_byte_position_every_value_every_tag)
{
    _Alignas(16) uint8_t g[AMAP_GROUP];
    unsigned pos = (unsigned)_i;
    for (unsigned tag = 0; tag < 256; tag++) {
        uint8_t backgrounds[] = {0x00, 0x80, 0xFF, (uint8_t)(tag + 1), (uint8_t)(tag - 1), (uint8_t)(tag ^ 0x80)};
        for (size_t bg = 0; bg < sizeof backgrounds; bg++) {
            memset(g, backgrounds[bg], sizeof g);
            for (unsigned v = 0; v < 256; v++) {
                g[pos] = (uint8_t)v;
                expect_same(g, (uint8_t)tag);
            }
        }
    }
}
END_TEST

START_TEST(neighbours_of_the_top_bit)
{
    /* groups of only 0x7F, 0x80, 0xFE, 0xFF: all 4^8 patterns in each half */
    static const uint8_t vals[4] = {0x7F, 0x80, 0xFE, 0xFF};
    _Alignas(16) uint8_t g[AMAP_GROUP];
    for (unsigned pat = 0; pat < (1u << 16); pat++) {
        for (unsigned k = 0; k < 8; k++) {
            g[k] = vals[pat >> (2 * k) & 3];
            g[k + 8] = vals[(pat * 7 + 3) >> (2 * k) & 3];
        }
        for (unsigned t = 0; t < 4; t++)
            expect_same(g, vals[t]);
        expect_same(g, 0x00);
        expect_same(g, 0x7E);
    }
}
END_TEST

START_TEST(swar_has_no_false_positives)
{
    /* The classic "has a zero byte" trick, (x - 0x01..) & ~x & 0x80.., marks
     * a 0x01 byte just above a zero byte as zero too, through the borrow.
     * The group match must not: a byte equal to the tag exactly once. */
    _Alignas(16) uint8_t g[AMAP_GROUP];
    for (unsigned tag = 0; tag < 256; tag++) {
        for (unsigned k = 0; k + 1 < AMAP_GROUP; k++) {
            memset(g, (uint8_t)(tag ^ 0x55), sizeof g);
            g[k] = (uint8_t)tag;             /* x ^ tag == 0x00 here */
            g[k + 1] = (uint8_t)(tag ^ 0x01); /* and 0x01 just above it */
            REQUIRE(group_match_swar(g, (uint8_t)tag) == 1u << k, "tag %#x at %u: swar gives %#x", tag, k,
                    group_match_swar(g, (uint8_t)tag));
            g[k + 1] = (uint8_t)(tag ^ 0x80); /* 0x80 above it */
            REQUIRE(group_match_swar(g, (uint8_t)tag) == 1u << k, "tag %#x at %u (0x80 above): swar gives %#x", tag, k,
                    group_match_swar(g, (uint8_t)tag));
            expect_same(g, (uint8_t)tag);
        }
        /* every byte matching, and none */
        memset(g, (uint8_t)tag, sizeof g);
        REQUIRE(group_match_swar(g, (uint8_t)tag) == 0xFFFF, "tag %#x everywhere: %#x", tag, group_match_swar(g, (uint8_t)tag));
        memset(g, (uint8_t)(tag ^ 0x01), sizeof g);
        REQUIRE(group_match_swar(g, (uint8_t)tag) == 0, "tag %#x nowhere: %#x", tag, group_match_swar(g, (uint8_t)tag));
    }
    /* the zero-byte step on its own, exactly */
    ck_assert_uint_eq(swar_zero_bytes(UINT64_C(0x0100)), UINT64_C(0x8080808080800080));
    ck_assert_uint_eq(swar_zero_bytes(UINT64_C(0x0101010101010100)), UINT64_C(0x80));
    ck_assert_uint_eq(swar_zero_bytes(UINT64_C(0x8080808080808080)), 0);
    ck_assert_uint_eq(swar_zero_bytes(0), SWAR_HI);
    ck_assert_uint_eq(swar_zero_bytes(UINT64_C(0xFF00FF00FF00FF00)), UINT64_C(0x0080008000800080));
}
END_TEST

START_TEST(bit_k_is_byte_k)
{
    _Alignas(16) uint8_t g[AMAP_GROUP];
    for (unsigned k = 0; k < AMAP_GROUP; k++) {
        memset(g, CTRL_EMPTY, sizeof g);
        g[k] = 0x2A;
        ck_assert_uint_eq(group_match_swar(g, 0x2A), 1u << k);
        ck_assert_uint_eq(group_empty_swar(g), 0xFFFFu & ~(1u << k));
        ck_assert_uint_eq(group_free_swar(g), 0xFFFFu & ~(1u << k));
#ifdef AMAP_HAVE_SSE2
        ck_assert_uint_eq(group_match_sse2(g, 0x2A), 1u << k);
        ck_assert_uint_eq(group_empty_sse2(g), 0xFFFFu & ~(1u << k));
        ck_assert_uint_eq(group_free_sse2(g), 0xFFFFu & ~(1u << k));
#endif
    }
    /* swar_load puts byte k in bits 8k..8k+7 */
    static const uint8_t b[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    ck_assert_uint_eq(swar_load(b), UINT64_C(0x0807060504030201));
    /* swar_gather: top bit of byte k to bit k, for every pattern, low bits ignored */
    for (unsigned pat = 0; pat < 256; pat++) {
        uint64_t w = 0x7F7F7F7F7F7F7F7Fu;
        for (unsigned k = 0; k < 8; k++)
            if (pat >> k & 1)
                w |= (uint64_t)0x80 << (8 * k);
        ck_assert_uint_eq(swar_gather(w), pat);
        ck_assert_uint_eq(swar_gather(w & SWAR_HI), pat);
    }
}
END_TEST

START_TEST(the_map_uses_the_configured_implementation)
{
#if defined(AMAP_FORCE_SWAR) || !defined(AMAP_HAVE_SSE2)
    ck_assert_str_eq(AMAP_GROUP_IMPL, "swar");
#else
    ck_assert_str_eq(AMAP_GROUP_IMPL, "sse2");
#endif
}
END_TEST

Suite *amap_group_suite(void)
{
    Suite *s = suite_create("amap-group");
    TCase *tc = tcase_create("match");
    tcase_set_tags(tc, "core");
    tcase_add_test(tc, random_groups_agree);
    tcase_add_loop_test(tc, each_byte_position_every_value_every_tag, 0, AMAP_GROUP);
    tcase_add_test(tc, neighbours_of_the_top_bit);
    tcase_add_test(tc, swar_has_no_false_positives);
    tcase_add_test(tc, bit_k_is_byte_k);
    tcase_add_test(tc, the_map_uses_the_configured_implementation);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);
    return s;
}

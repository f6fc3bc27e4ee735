/*
 * test_hash.c - common/hash.h: known answers, alignment and bounds,
 * avalanche, bucket distribution, seeds.
 *
 * Known answers pin the results (gcc, clang and the portable 32x32-bit
 * product agree on them), so a change of compiler or of the code cannot
 * change the hashes silently.  Alignment: every length 0..300 at every
 * offset 0..15 hashes as an aligned copy, whatever the bytes around it, and
 * exactly sized heap copies let ASan and Valgrind catch a read past the end.
 *
 * Avalanche.  For random inputs, flipping input bit i must flip output bit
 * j with probability 1/2, for every (i, j).  With N samples per input bit,
 * the observed frequency p of one cell strays from 1/2 by t or more with
 * probability at most 2 exp(-2 N t^2) (Hoeffding).  With N = 5000 and
 * t = 0.05 that is 2.8e-11 per cell; the largest input here, 200 bytes, has
 * 1600 * 64 = 102400 cells, so an ideal hash fails one with probability
 * under 3e-6 (its typical worst cell is about 4.4 standard deviations,
 * 0.031, off).  A weak hash misses by far more: FNV-1a multiplies by an odd
 * prime last, so flipping bit 7 of the last byte can never change output
 * bits 0..6 (p = 0, off by 0.5), and the identity flips exactly one output
 * bit (p = 0 or 1).  avalanche_rejects_weak_hashes runs the same check on
 * both and expects it to fail, so the check itself is shown to be able to.
 *
 * Buckets.  2^16 sequential integers and the strings "key0".."key65535" go
 * into B = 2^7, 2^10 and 2^16 buckets by their low bits (the Swiss table's
 * 7-bit tag) and by their top bits (its home group).  For a random hash the
 * chi-squared statistic has mean B - 1 and standard deviation about
 * sqrt(2 (B - 1)); the tests accept B - 1 +- 6 standard deviations, which
 * an ideal hash leaves with probability about 2e-9.  The identity, which
 * puts every small integer in the top bucket, is shown to fail.
 */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "fnv1a.h"
#include "hash.h"
#include "require.h"
#include "rng.h"

/* ---- reference weak hashes, for the negative tests ------------------------- */

/* The first 8 bytes as a little-endian word (what an identity hash of
 * integer keys gives). */
static uint64_t identity(const void *p, size_t len, uint64_t seed)
{
    uint64_t v = 0;
    (void)seed;
    memcpy(&v, p, len < 8 ? len : 8);
    return v;
}

typedef uint64_t hash_fn(const void *p, size_t len, uint64_t seed);

static uint64_t by_bytes(const void *p, size_t len, uint64_t seed)
{
    return hash_bytes(p, len, seed);
}

/* hash_u64 on the 8 bytes at p, read little-endian. */
static uint64_t by_u64(const void *p, size_t len, uint64_t seed)
{
    (void)len;
    return hash_u64(hash_read64(p), seed);
}

static void fill_random(unsigned char *p, size_t n, rng_t *r)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)(rng_next(r) >> 56);
}

/* ---- known answers ------------------------------------------------------- */

/* n bytes of a fixed pattern: byte i is (i * 7 + 3) mod 256. */
static void pattern(unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)(i * 7 + 3);
}

static const struct {
    size_t len;
    uint64_t seed;
    uint64_t want;
} known_bytes[] = {
    {0, 0u, 0x80372ec0d467ca96u},
    {1, 0u, 0x9064ce936b4976d1u},
    {2, 0u, 0xb742fcf76c56634eu},
    {3, 0u, 0x706a56e5d084eb30u},
    {4, 0u, 0x17a2da69eeb0d8d2u},
    {5, 0u, 0xafb33f87aeffd49cu},
    {7, 0u, 0x2f2fe6cf6b7a07a3u},
    {8, 0u, 0x21b696dd77113000u},
    {9, 0u, 0x4165b86515afa92du},
    {15, 0u, 0x0f7433d4deadf89du},
    {16, 0u, 0x1357083f4c0a5c4bu},
    {17, 0u, 0x4c3d51b51f3096d1u},
    {31, 0u, 0xd6be68c31089f752u},
    {32, 0u, 0x1ea7ccd37ca1a129u},
    {33, 0u, 0xe8a7c9cd6c10df9eu},
    {47, 0u, 0x115152e2ff87fffau},
    {48, 0u, 0x7cdab77796e8b970u},
    {49, 0u, 0x5152479f8b91201du},
    {63, 0u, 0xf26819fc3e5302f5u},
    {64, 0u, 0x107341bf3463360du},
    {65, 0u, 0x712465bdb666d334u},
    {96, 0u, 0x0e28daae7dd49740u},
    {97, 0u, 0x0312645b97608489u},
    {200, 0u, 0xfd66f611e33f39aeu},
    {256, 0u, 0x90c2cb2eeaac3025u},
    {1000, 0u, 0x2229e7373fdc0be6u},
    {4096, 0u, 0x8ff6db02259ce782u},
    {1048576, 0u, 0xb04229ed82709cb8u},
    {0, 0x123456789abcdefu, 0x1e5a9e6edce46764u},
    {1, 0x123456789abcdefu, 0x5ea6f53544825292u},
    {2, 0x123456789abcdefu, 0x0f7a67575f5d38b9u},
    {3, 0x123456789abcdefu, 0xeb47f7deb8b4f484u},
    {4, 0x123456789abcdefu, 0xd2cc2189a8fed90bu},
    {5, 0x123456789abcdefu, 0x6e724b6b9dd59506u},
    {7, 0x123456789abcdefu, 0x002a8a26e6989adeu},
    {8, 0x123456789abcdefu, 0x9ebf53c98a11eee7u},
    {9, 0x123456789abcdefu, 0x5dbd4596f567b9fcu},
    {15, 0x123456789abcdefu, 0xe0764ca5ba294de2u},
    {16, 0x123456789abcdefu, 0x0a1c4ee00837f1bcu},
    {17, 0x123456789abcdefu, 0xb8fcac17ab1b7a4eu},
    {31, 0x123456789abcdefu, 0x5264b4207aabff47u},
    {32, 0x123456789abcdefu, 0x5295d2dadaaf1febu},
    {33, 0x123456789abcdefu, 0x2aece27b79f52243u},
    {47, 0x123456789abcdefu, 0x5a4853cf811de0a1u},
    {48, 0x123456789abcdefu, 0x038992e5ed0d339fu},
    {49, 0x123456789abcdefu, 0xc991f6c0fb517cefu},
    {63, 0x123456789abcdefu, 0xcc2cb8e7ae9f35f5u},
    {64, 0x123456789abcdefu, 0x3c5114bdc8441e67u},
    {65, 0x123456789abcdefu, 0x1639fbf483aa5a49u},
    {96, 0x123456789abcdefu, 0xd46303895ccb79fbu},
    {97, 0x123456789abcdefu, 0xc554f7060794e084u},
    {200, 0x123456789abcdefu, 0x870cc3c63d70a2a5u},
    {256, 0x123456789abcdefu, 0xcbc35afab8b96cbeu},
    {1000, 0x123456789abcdefu, 0xc867bd3d33c6a78au},
    {4096, 0x123456789abcdefu, 0x93c84f21b7d218f3u},
    {1048576, 0x123456789abcdefu, 0x50a3c6fecbdc2cf1u},
};

static const struct {
    uint64_t x, seed, want;
} known_u64[] = {
    {0u, 0u, 0xb3bfc73dbda2207au},
    {0x1u, 0u, 0x4d94fffbc4bd35f9u},
    {0x2u, 0u, 0x8c2b2b6fa9c7cd58u},
    {0xffffffffffffffffu, 0u, 0x8b8a902c7473b146u},
    {0x243f6a8885a308d3u, 0u, 0xbc8b43b6e59899f0u},
    {0x8000000000000000u, 0u, 0x000e6214dac0e85fu},
    {0x75bcd15u, 0u, 0xc3a47f7cdfcb4ff2u},
    {0u, 0x123456789abcdefu, 0x39d08dac242d0b1eu},
    {0x1u, 0x123456789abcdefu, 0x53f8c35097cc87a7u},
    {0x2u, 0x123456789abcdefu, 0x4bb4657a7087ccdfu},
    {0xffffffffffffffffu, 0x123456789abcdefu, 0xcf22b80f2b64e18du},
    {0x243f6a8885a308d3u, 0x123456789abcdefu, 0x8f6cc6947738c878u},
    {0x8000000000000000u, 0x123456789abcdefu, 0x9e8b3b37a4e83835u},
    {0x75bcd15u, 0x123456789abcdefu, 0xda6b2e112742c7cau},
};

/* gcc 12, clang 14 and the portable product (-DHASH_NO_INT128) all give these. */
#define KNOWN_SLABCRAFT 0x6dfcd89aca70d067u
#define KNOWN_KEY0 0x9ce7e2c41e2b9b38u
#define KNOWN_EMPTY 0x80372ec0d467ca96u

START_TEST(known_answers_bytes)
{
    static unsigned char buf[1 << 20];
    pattern(buf, sizeof buf);
    for (size_t i = 0; i < sizeof known_bytes / sizeof known_bytes[0]; i++) {
        uint64_t h = hash_bytes(buf, known_bytes[i].len, known_bytes[i].seed);
        ck_assert_msg(h == known_bytes[i].want, "len %zu seed %#llx: got %#018llx, want %#018llx",
                      known_bytes[i].len, (unsigned long long)known_bytes[i].seed, (unsigned long long)h,
                      (unsigned long long)known_bytes[i].want);
    }
}
END_TEST

START_TEST(known_answers_strings)
{
    ck_assert_uint_eq(hash_bytes("slabcraft", 9, 0), KNOWN_SLABCRAFT);
    ck_assert_uint_eq(hash_bytes("key0", 4, 1), KNOWN_KEY0);
    ck_assert_uint_eq(hash_bytes(NULL, 0, 0), KNOWN_EMPTY);
}
END_TEST

START_TEST(known_answers_u64)
{
    for (size_t i = 0; i < sizeof known_u64 / sizeof known_u64[0]; i++) {
        uint64_t h = hash_u64(known_u64[i].x, known_u64[i].seed);
        ck_assert_msg(h == known_u64[i].want, "x %#llx seed %#llx: got %#018llx, want %#018llx",
                      (unsigned long long)known_u64[i].x, (unsigned long long)known_u64[i].seed,
                      (unsigned long long)h, (unsigned long long)known_u64[i].want);
    }
}
END_TEST

/* ---- the 128-bit product ------------------------------------------------- */

START_TEST(mul128_known_products)
{
    uint64_t hi, lo;
    lo = hash_mul128(UINT64_MAX, UINT64_MAX, &hi);
    ck_assert_uint_eq(hi, UINT64_MAX - 1);
    ck_assert_uint_eq(lo, 1);
    lo = hash_mul128((uint64_t)1 << 63, 2, &hi);
    ck_assert_uint_eq(hi, 1);
    ck_assert_uint_eq(lo, 0);
    lo = hash_mul128_portable(UINT64_MAX, UINT64_MAX, &hi);
    ck_assert_uint_eq(hi, UINT64_MAX - 1);
    ck_assert_uint_eq(lo, 1);
    ck_assert_uint_eq(hash_mix(0, 0x123456789u), 0);
    ck_assert_uint_eq(hash_mix(1, 0x123456789u), 0x123456789u);
}
END_TEST

START_TEST(mix_portable_agrees)
{
    static const uint64_t edge[] = {0, 1, 2, 0xFFFFFFFFu, 0x100000000u, UINT64_MAX, UINT64_MAX - 1,
                                    (uint64_t)1 << 63, HASH_K0, HASH_K4};
    size_t ne = sizeof edge / sizeof edge[0];
    for (size_t i = 0; i < ne; i++)
        for (size_t j = 0; j < ne; j++)
            REQUIRE(hash_mix(edge[i], edge[j]) == hash_mix_portable(edge[i], edge[j]), "edge %zu %zu", i, j);
    rng_t r = {7};
    for (size_t i = 0; i < 100000; i++) {
        uint64_t a = rng_next(&r), b = rng_next(&r);
        REQUIRE(hash_mix(a, b) == hash_mix_portable(a, b), "a %#llx b %#llx", (unsigned long long)a,
                (unsigned long long)b);
        REQUIRE(hash_mix(a, b) == hash_mix(b, a), "not symmetric");
    }
}
END_TEST

/* ---- alignment and bounds ------------------------------------------------ */

#define MAX_LEN 300

START_TEST(alignment_and_neighbours)
{
    static unsigned char data[MAX_LEN], buf[MAX_LEN + 64];
    _Alignas(16) static unsigned char aligned[MAX_LEN];
    rng_t r = {11};
    fill_random(data, sizeof data, &r);
    for (size_t len = 0; len <= MAX_LEN; len++) {
        memcpy(aligned, data, len);
        uint64_t want = hash_bytes(aligned, len, 5);
        for (size_t al = 0; al < 16; al++) {
            memset(buf, 0xA5, sizeof buf);
            memcpy(buf + 16 + al, data, len);
            uint64_t h1 = hash_bytes(buf + 16 + al, len, 5);
            memset(buf, 0x5A, sizeof buf);
            memcpy(buf + 16 + al, data, len);
            uint64_t h2 = hash_bytes(buf + 16 + al, len, 5);
            REQUIRE(h1 == want && h2 == want, "len %zu at offset %zu: %#llx %#llx, aligned %#llx", len, al,
                    (unsigned long long)h1, (unsigned long long)h2, (unsigned long long)want);
        }
    }
}
END_TEST

/* Each input in a heap block that ends exactly where it ends: a read past
 * the end is a heap overflow for ASan and an invalid read for Valgrind. */
START_TEST(exact_heap_copies)
{
    unsigned char data[MAX_LEN];
    rng_t r = {12};
    fill_random(data, sizeof data, &r);
    for (size_t len = 0; len <= MAX_LEN; len++) {
        for (size_t al = 0; al < 16; al++) {
            unsigned char *blk = malloc(al + len + 1); /* + 1: malloc(0) may return NULL */
            ck_assert_ptr_nonnull(blk);
            memcpy(blk + al, data, len);
            uint64_t h = hash_bytes(blk + al, len, 9);
            free(blk);
            REQUIRE(h == hash_bytes(data, len, 9), "len %zu offset %zu", len, al);
        }
        unsigned char *exact = malloc(len ? len : 1);
        ck_assert_ptr_nonnull(exact);
        memcpy(exact, data, len);
        uint64_t h = hash_bytes(exact, len, 9);
        free(exact);
        REQUIRE(h == hash_bytes(data, len, 9), "exact block, len %zu", len);
    }
}
END_TEST

/* Runs of zero bytes differ only in length, which the hash must see. */
START_TEST(lengths_of_zeros_differ)
{
    static unsigned char zeros[MAX_LEN + 1];
    uint64_t h[MAX_LEN + 1];
    for (size_t len = 0; len <= MAX_LEN; len++) {
        h[len] = hash_bytes(zeros, len, 0);
        for (size_t k = 0; k < len; k++)
            REQUIRE(h[k] != h[len], "%zu and %zu zero bytes collide", k, len);
    }
}
END_TEST

/* ---- avalanche --------------------------------------------------------- */

#define AV_SAMPLES 5000
#define AV_TOLERANCE 0.05
#define AV_MAX_LEN 200

/* The largest |p - 1/2| over every (input bit, output bit) cell, p being
 * how often flipping the input bit flipped the output bit over n random
 * len-byte inputs. */
static double avalanche_worst(hash_fn *f, size_t len, size_t n, uint64_t seed)
{
    static uint32_t flips[AV_MAX_LEN * 8][64];
    unsigned char in[AV_MAX_LEN];
    size_t bits = len * 8;
    rng_t r = {seed};
    memset(flips, 0, sizeof flips);
    for (size_t s = 0; s < n; s++) {
        fill_random(in, len, &r);
        uint64_t h0 = f(in, len, 0x1234);
        for (size_t i = 0; i < bits; i++) {
            in[i / 8] ^= (unsigned char)(1u << (i % 8));
            uint64_t d = h0 ^ f(in, len, 0x1234);
            in[i / 8] ^= (unsigned char)(1u << (i % 8));
            for (size_t j = 0; j < 64; j++)
                flips[i][j] += (uint32_t)(d >> j) & 1;
        }
    }
    double worst = 0;
    for (size_t i = 0; i < bits; i++)
        for (size_t j = 0; j < 64; j++) {
            double dev = (double)flips[i][j] / (double)n - 0.5;
            dev = dev < 0 ? -dev : dev;
            worst = dev > worst ? dev : worst;
        }
    return worst;
}

static const size_t av_lengths[] = {8, 16, 24, 64, 200};

START_TEST(avalanche_bytes)
{
    size_t len = av_lengths[_i];
    double worst = avalanche_worst(by_bytes, len, AV_SAMPLES, 100 + len);
    ck_assert_msg(worst < AV_TOLERANCE, "%zu bytes: an input bit flips an output bit %.3f off 1/2", len, worst);
}
END_TEST

START_TEST(avalanche_u64)
{
    double worst = avalanche_worst(by_u64, 8, AV_SAMPLES, 99);
    ck_assert_msg(worst < AV_TOLERANCE, "hash_u64: an input bit flips an output bit %.3f off 1/2", worst);
}
END_TEST

START_TEST(avalanche_rejects_weak_hashes)
{
    ck_assert_double_gt(avalanche_worst(fnv1a, 8, 500, 1), AV_TOLERANCE);
    ck_assert_double_gt(avalanche_worst(fnv1a, 64, 500, 1), AV_TOLERANCE);
    ck_assert_double_gt(avalanche_worst(identity, 8, 500, 1), AV_TOLERANCE);
}
END_TEST

/* ---- bucket distribution ----------------------------------------------- */

#define NKEYS ((size_t)1 << 16)

/* |chi^2 - (B - 1)| in standard deviations, for nkeys hashes h[] put into
 * 2^log_b buckets by their low bits (top false) or top bits (top true). */
static double chi_squared_sigmas(const uint64_t *h, size_t nkeys, unsigned log_b, bool top)
{
    size_t nb = (size_t)1 << log_b;
    uint32_t *count = calloc(nb, sizeof *count);
    ck_assert_ptr_nonnull(count);
    for (size_t i = 0; i < nkeys; i++)
        count[top ? h[i] >> (64 - log_b) : h[i] & (nb - 1)]++;
    double e = (double)nkeys / (double)nb, chi = 0;
    for (size_t b = 0; b < nb; b++)
        chi += ((double)count[b] - e) * ((double)count[b] - e) / e;
    free(count);
    double df = (double)(nb - 1), dev = (chi - df) / sqrt(2 * df);
    return dev < 0 ? -dev : dev;
}

static const unsigned chi_logs[] = {7, 10, 16};

/* hashes of 0..NKEYS-1 through f (as 8 little-endian bytes, or as the
 * strings "key0".."key65535" when strings) */
static uint64_t *hash_keys(hash_fn *f, bool strings)
{
    uint64_t *h = malloc(NKEYS * sizeof *h);
    ck_assert_ptr_nonnull(h);
    for (size_t i = 0; i < NKEYS; i++) {
        char s[16];
        unsigned char le[8];
        if (strings) {
            int n = snprintf(s, sizeof s, "key%zu", i);
            h[i] = f(s, (size_t)n, 3);
        } else {
            for (size_t k = 0; k < 8; k++)
                le[k] = (unsigned char)((uint64_t)i >> (8 * k));
            h[i] = f(le, 8, 3);
        }
    }
    return h;
}

static void check_buckets(hash_fn *f, bool strings, const char *what)
{
    uint64_t *h = hash_keys(f, strings);
    for (size_t k = 0; k < sizeof chi_logs / sizeof chi_logs[0]; k++)
        for (int top = 0; top < 2; top++) {
            double sig = chi_squared_sigmas(h, NKEYS, chi_logs[k], top);
            ck_assert_msg(sig < 6, "%s into 2^%u buckets by %s bits: chi-squared %.1f sigmas off", what,
                          chi_logs[k], top ? "top" : "low", sig);
        }
    free(h);
}

START_TEST(buckets_sequential_u64)
{
    check_buckets(by_u64, false, "hash_u64 of 0..65535");
}
END_TEST

START_TEST(buckets_sequential_bytes)
{
    check_buckets(by_bytes, false, "hash_bytes of 0..65535 as 8 bytes");
}
END_TEST

START_TEST(buckets_key_strings)
{
    check_buckets(by_bytes, true, "hash_bytes of key0..key65535");
}
END_TEST

START_TEST(buckets_reject_identity)
{
    uint64_t *h = hash_keys(identity, false);
    ck_assert_double_gt(chi_squared_sigmas(h, NKEYS, 10, true), 6);
    free(h);
}
END_TEST

/* ---- seeds ------------------------------------------------------------- */

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* n hashes, sorted: are they all different? */
static bool all_distinct(uint64_t *h, size_t n)
{
    qsort(h, n, sizeof *h, cmp_u64);
    for (size_t i = 1; i < n; i++)
        if (h[i] == h[i - 1])
            return false;
    return true;
}

#define NSEEDS 4096

START_TEST(seeds_change_every_hash)
{
    static uint64_t h0[NSEEDS], h8[NSEEDS], h40[NSEEDS], hu[NSEEDS];
    unsigned char in[40];
    pattern(in, sizeof in);
    for (size_t s = 0; s < NSEEDS; s++) {
        h0[s] = hash_bytes(NULL, 0, s);
        h8[s] = hash_bytes(in, 8, s);
        h40[s] = hash_bytes(in, 40, s << 32);
        hu[s] = hash_u64(12345, s);
    }
    ck_assert_msg(all_distinct(h0, NSEEDS), "len 0: two seeds give the same hash");
    ck_assert_msg(all_distinct(h8, NSEEDS), "len 8: two seeds give the same hash");
    ck_assert_msg(all_distinct(h40, NSEEDS), "len 40: two seeds give the same hash");
    ck_assert_msg(all_distinct(hu, NSEEDS), "hash_u64: two seeds give the same hash");
}
END_TEST

/* A seed flips each output bit about half the time: seeds s and s ^ bit
 * give hashes that differ in 32 bits on average. */
START_TEST(seed_bits_avalanche)
{
    rng_t r = {21};
    for (unsigned bit = 0; bit < 64; bit++) {
        unsigned total = 0;
        for (unsigned k = 0; k < 256; k++) {
            uint64_t s = rng_next(&r), x = rng_next(&r);
            total += (unsigned)__builtin_popcountll(hash_u64(x, s) ^ hash_u64(x, s ^ ((uint64_t)1 << bit)));
            total += (unsigned)__builtin_popcountll(hash_bytes(&x, 8, s) ^
                                                    hash_bytes(&x, 8, s ^ ((uint64_t)1 << bit)));
        }
        /* 512 * 64 bits, mean 16384, sd 90.5: accept +- 8 sd */
        REQUIRE(total > 16384 - 724 && total < 16384 + 724, "seed bit %u flips %u of 32768 bits", bit, total);
    }
}
END_TEST

Suite *hash_suite(void)
{
    Suite *s = suite_create("hash");
    TCase *tc = tcase_create("known");
    tcase_set_tags(tc, "core");
    tcase_add_test(tc, known_answers_bytes);
    tcase_add_test(tc, known_answers_strings);
    tcase_add_test(tc, known_answers_u64);
    tcase_add_test(tc, mul128_known_products);
    tcase_add_test(tc, mix_portable_agrees);
    suite_add_tcase(s, tc);

    tc = tcase_create("bounds");
    tcase_set_tags(tc, "edge");
    tcase_add_test(tc, alignment_and_neighbours);
    tcase_add_test(tc, exact_heap_copies);
    tcase_add_test(tc, lengths_of_zeros_differ);
    suite_add_tcase(s, tc);

    tc = tcase_create("seeds");
    tcase_set_tags(tc, "core");
    tcase_add_test(tc, seeds_change_every_hash);
    tcase_add_test(tc, seed_bits_avalanche);
    suite_add_tcase(s, tc);

    tc = tcase_create("distribution");
    tcase_set_tags(tc, "core");
    tcase_add_test(tc, buckets_sequential_u64);
    tcase_add_test(tc, buckets_sequential_bytes);
    tcase_add_test(tc, buckets_key_strings);
    tcase_add_test(tc, buckets_reject_identity);
    tcase_add_test(tc, avalanche_rejects_weak_hashes);
    suite_add_tcase(s, tc);

    tc = tcase_create("avalanche");
    tcase_set_tags(tc, "stress");
    tcase_set_timeout(tc, 300); /* seconds natively; minutes under Valgrind */
    tcase_add_loop_test(tc, avalanche_bytes, 0, (int)(sizeof av_lengths / sizeof av_lengths[0]));
    tcase_add_test(tc, avalanche_u64);
    suite_add_tcase(s, tc);
    return s;
}

/*
 * test_core.c - stage 01, the ordinary life of a pool: allocate, free, reuse,
 * carve lazily, grow, reset, destroy, statistics.
 *
 * TCases:
 *   core      allocation, carving, growth, stats, zeroing, destroy;
 *   freelist  the LIFO free list (also exercise 01-freelist): freed objects
 *             come back most recent first, before anything new is carved;
 *   reset     pool_reset() (also exercise 01-reset): nothing live, blocks
 *             kept and carved again from the first chunk of the first block.
 *
 * The fixture's pool has 24-byte objects in 4 KiB blocks, default alignment
 * (16 on x86-64, so a stride of 32), and takes its blocks through a failing
 * source (never failing here: it counts) wrapped around a painting source,
 * so that bytes the pool never wrote can be told from bytes it did.
 */
#include <check.h>
#include <stdalign.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "failing_source.h"
#include "misuse_counter.h"
#include "obj_model.h"
#include "paint_source.h"
#include "pool.h"
#include "require.h"
#include "rng.h"
#include "sneak.h"

#define BS 4096u                 /* block size of the fixture's pool */
#define OBJ 24u                  /* object size of the fixture's pool */
#define ALIGN alignof(max_align_t)
#define STRIDE ((OBJ + ALIGN - 1) / ALIGN * ALIGN)
/* chunk 0 starts after the block header, rounded up to the alignment */
#define FIRST ((sizeof(pool_block_t) + ALIGN - 1) / ALIGN * ALIGN)
#define PER_BLOCK ((BS - FIRST) / STRIDE)

static failing_source_t fs;
static pool_t pool;

/* ---- helpers ------------------------------------------------------------- */

static pool_config_t fixture_config(unsigned flags)
{
    pool_config_t cfg = {.obj_size = OBJ, .block_size = BS, .source = &fs.base, .flags = flags};
    return cfg;
}

static void setup(void)
{
    failing_source_init(&fs, paint_source());
    pool_config_t cfg = fixture_config(0);
    ck_assert_int_eq(pool_init(&pool, &cfg), 0);
}

static void teardown(void)
{
    misuse_counter_remove();
    ck_assert_uint_eq(pool_check(&pool), 0);
    pool_destroy(&pool);
    ck_assert_uint_eq(fs.live_bytes, 0);
    ck_assert_uint_eq(fs.live_acquisitions, 0);
}

/* Replaces the fixture's pool by one with other flags (same geometry). */
static void reinit(unsigned flags)
{
    pool_destroy(&pool);
    pool_config_t cfg = fixture_config(flags);
    ck_assert_int_eq(pool_init(&pool, &cfg), 0);
}

static pool_stats_t stats(void)
{
    pool_stats_t s;
    pool_stats(&pool, &s);
    return s;
}

/* Chunks per block of the current pool, as its stats tell (it holds a block). */
static size_t chunks_per_block(void)
{
    pool_stats_t s = stats();
    ck_assert_uint_gt(s.blocks, 0);
    return s.capacity / s.blocks;
}

static char *block_base(const void *obj)
{
    return (char *)((uintptr_t)obj & ~(uintptr_t)(BS - 1));
}

/* Allocates n objects into out[], each non-NULL. */
static void alloc_n(void **out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        out[i] = pool_alloc(&pool);
        ck_assert_msg(out[i] != NULL, "allocation %zu of %zu failed", i, n);
    }
}

static void free_n(void **objs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        pool_free(&pool, objs[i]);
}

static bool contains(void *const *set, size_t n, const void *p)
{
    for (size_t i = 0; i < n; i++)
        if (set[i] == p)
            return true;
    return false;
}

/* Number of bytes in [from, BS) of block that still hold the paint. */
static size_t painted_bytes(const char *block, size_t from)
{
    static unsigned char buf[BS];
    size_t n = BS - from;
    sneak_read(block + from, n, 0, buf, n);
    size_t painted = 0;
    for (size_t i = 0; i < n; i++)
        painted += (buf[i] == PAINT_BYTE);
    return painted;
}

/* Fisher-Yates shuffle of n pointers. */
static void shuffle(void **v, size_t n, rng_t *r)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)rng_below(r, i);
        void *t = v[i - 1];
        v[i - 1] = v[j];
        v[j] = t;
    }
}

/* ---- core ---------------------------------------------------------------- */

START_TEST(alloc_returns_aligned_distinct_objects)
{
    char *a = pool_alloc(&pool), *b = pool_alloc(&pool);
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(b);
    ck_assert_ptr_ne(a, b);
    ck_assert_uint_eq((uintptr_t)a % ALIGN, 0);
    ck_assert_uint_eq((uintptr_t)b % ALIGN, 0);
    memset(a, 1, OBJ);
    memset(b, 2, OBJ);
    ck_assert_int_eq(a[OBJ - 1], 1);
    ck_assert_int_eq(b[0], 2);
    pool_free(&pool, a);
    pool_free(&pool, b);
}
END_TEST

START_TEST(alloc_and_free_count_live_objects)
{
    void *a = pool_alloc(&pool);
    ck_assert_uint_eq(stats().live, 1);
    void *b = pool_alloc(&pool);
    ck_assert_uint_eq(stats().live, 2);
    pool_free(&pool, a);
    ck_assert_uint_eq(stats().live, 1);
    pool_free(&pool, b);
    ck_assert_uint_eq(stats().live, 0);
    ck_assert_uint_eq(stats().peak_live, 2);
}
END_TEST

START_TEST(freed_object_is_reused_first)
{
    void *a = pool_alloc(&pool);
    void *b = pool_alloc(&pool);
    pool_free(&pool, a);
    ck_assert_ptr_eq(pool_alloc(&pool), a);
    pool_free(&pool, b);
    pool_free(&pool, a);
}
END_TEST

START_TEST(init_acquires_nothing)
{
    pool_stats_t s = stats();
    ck_assert_uint_eq(fs.acquisitions, 0);
    ck_assert_uint_eq(s.blocks, 0);
    ck_assert_uint_eq(s.capacity, 0);
    ck_assert_uint_eq(s.bytes_from_source, 0);
    ck_assert_uint_eq(s.live, 0);
}
END_TEST

/* Fresh chunks come from a bump pointer: consecutive, in address order. */
START_TEST(fresh_chunks_are_carved_in_address_order)
{
    void *o[PER_BLOCK];
    alloc_n(o, PER_BLOCK);
    char *block = block_base(o[0]);
    for (size_t i = 0; i < PER_BLOCK; i++)
        ck_assert_ptr_eq(o[i], block + FIRST + i * STRIDE);
    free_n(o, PER_BLOCK);
}
END_TEST

/* A new block is not written beyond its header and the chunks handed out:
 * no pass over it builds a free list. */
START_TEST(carving_is_lazy)
{
    char *a = pool_alloc(&pool);
    char *block = block_base(a);
    ck_assert_uint_eq(painted_bytes(block, FIRST + STRIDE), BS - FIRST - STRIDE);
    void *more[9];
    alloc_n(more, 9);
    ck_assert_uint_eq(painted_bytes(block, FIRST + 10 * STRIDE), BS - FIRST - 10 * STRIDE);

    /* the same holds for the second block when carving reaches it */
    void *rest[PER_BLOCK];
    alloc_n(rest, PER_BLOCK - 10);
    ck_assert_uint_eq(fs.acquisitions, 1);
    char *b = pool_alloc(&pool);
    ck_assert_uint_eq(fs.acquisitions, 2);
    ck_assert_ptr_ne(block_base(b), block);
    ck_assert_ptr_eq(b, block_base(b) + FIRST);
    ck_assert_uint_eq(painted_bytes(block_base(b), FIRST + STRIDE), BS - FIRST - STRIDE);

    pool_free(&pool, a);
    pool_free(&pool, b);
    free_n(more, 9);
    free_n(rest, PER_BLOCK - 10);
}
END_TEST

START_TEST(capacity_grows_block_by_block)
{
    enum { N = 5 * PER_BLOCK };
    static void *o[N];
    for (size_t i = 0; i < N; i++) {
        o[i] = pool_alloc(&pool);
        ck_assert_ptr_nonnull(o[i]);
        pool_stats_t s = stats();
        size_t blocks = i / PER_BLOCK + 1;
        ck_assert_uint_eq(s.blocks, blocks);
        ck_assert_uint_eq(s.capacity, blocks * PER_BLOCK);
        ck_assert_uint_eq(s.bytes_from_source, blocks * BS);
        ck_assert_uint_eq(fs.acquisitions, blocks);
        ck_assert_uint_eq(fs.live_bytes, blocks * BS);
        ck_assert_uint_eq(s.live, i + 1);
    }
    free_n(o, N);
}
END_TEST

START_TEST(growth_across_many_blocks_keeps_every_object)
{
    enum { N = 40 * PER_BLOCK + 3 };
    static void *o[N];
    obj_model_t m;
    ck_assert(model_init(&m, N, OBJ));
    for (size_t i = 0; i < N; i++) {
        o[i] = pool_alloc(&pool);
        ck_assert_ptr_nonnull(o[i]);
        model_add(&m, o[i]);
    }
    ck_assert_uint_eq(stats().blocks, 41);
    ck_assert_uint_eq(model_damaged_count(&m), 0);
    ck_assert_uint_eq(pool_check(&pool), 0);

    rng_t r = {42};
    shuffle(o, N, &r);
    free_n(o, N);
    pool_stats_t s = stats();
    ck_assert_uint_eq(s.live, 0);
    ck_assert_uint_eq(s.peak_live, N);
    ck_assert_uint_eq(s.capacity, 41 * PER_BLOCK);
    ck_assert_uint_eq(pool_check(&pool), 0);

    model_clear(&m);
    for (size_t i = 0; i < N; i++)
        model_add(&m, pool_alloc(&pool));
    ck_assert_uint_eq(fs.acquisitions, 41);
    ck_assert_uint_eq(model_damaged_count(&m), 0);
    for (size_t i = 0; i < N; i++)
        pool_free(&pool, model_get(&m, i));
    model_fini(&m);
}
END_TEST

START_TEST(stats_follow_live_peak_and_blocks)
{
    void *o[300];
    alloc_n(o, 10);
    free_n(o, 4);
    pool_stats_t s = stats();
    ck_assert_uint_eq(s.live, 6);
    ck_assert_uint_eq(s.peak_live, 10);
    alloc_n(o, 2);
    ck_assert_uint_eq(stats().live, 8);
    ck_assert_uint_eq(stats().peak_live, 10);
    alloc_n(o, 5);
    ck_assert_uint_eq(stats().live, 13);
    ck_assert_uint_eq(stats().peak_live, 13);

    pool_reset(&pool);
    s = stats();
    ck_assert_uint_eq(s.live, 0);
    ck_assert_uint_eq(s.peak_live, 13);
    alloc_n(o, 3);
    ck_assert_uint_eq(stats().live, 3);
    ck_assert_uint_eq(stats().peak_live, 13);
    alloc_n(o + 3, 297);
    s = stats();
    ck_assert_uint_eq(s.live, 300);
    ck_assert_uint_eq(s.peak_live, 300);
    ck_assert_uint_eq(s.blocks, (300 + PER_BLOCK - 1) / PER_BLOCK);
    ck_assert_uint_eq(s.capacity, s.blocks * PER_BLOCK);
    ck_assert_uint_eq(s.bytes_from_source, s.blocks * BS);
    ck_assert_uint_eq(s.bytes_from_source, fs.live_bytes);
    free_n(o, 300);
}
END_TEST

/* With POOL_ZERO every object comes zeroed: fresh ones (carved from painted
 * blocks) and reused ones that the caller had dirtied.  _i selects the flags. */
START_TEST(zero_objects_even_after_dirty_reuse)
{
    static const unsigned flags[] = {POOL_ZERO, POOL_ZERO | POOL_CHECKED};
    reinit(flags[_i]);
    enum { N = 3 * PER_BLOCK };
    static void *o[N];
    static const unsigned char zero[OBJ];
    for (int round = 0; round < 3; round++) {
        alloc_n(o, N);
        for (size_t i = 0; i < N; i++) {
            ck_assert_msg(memcmp(o[i], zero, OBJ) == 0, "object %zu not zeroed (round %d)", i, round);
            memset(o[i], 0xFF, OBJ);
        }
        rng_t r = {(uint64_t)round};
        shuffle(o, N, &r);
        free_n(o, N);
    }
    size_t pb = chunks_per_block(); /* checked mode: fewer, for the bitmap */
    ck_assert_uint_eq(fs.acquisitions, (N + pb - 1) / pb);
}
END_TEST

START_TEST(destroy_returns_every_byte)
{
    static const unsigned flags[] = {0, POOL_CHECKED};
    reinit(flags[_i]);
    enum { N = 5 * PER_BLOCK - 7 };
    static void *o[N];
    alloc_n(o, N);
    free_n(o, N / 3);
    ck_assert_uint_gt(fs.live_bytes, 0);
    pool_destroy(&pool);
    ck_assert_uint_eq(fs.live_bytes, 0);
    ck_assert_uint_eq(fs.live_acquisitions, 0);
    ck_assert_uint_eq(fs.releases, fs.acquisitions);
    ck_assert_uint_eq(fs.acquisitions, 5);
    static const pool_t zeroed;
    ck_assert(memcmp(&pool, &zeroed, sizeof pool) == 0);
}
END_TEST

START_TEST(destroy_of_zeroed_pool_is_noop)
{
    static const pool_t zeroed;
    pool_t z;
    memset(&z, 0, sizeof z);
    pool_destroy(&z);
    ck_assert(memcmp(&z, &zeroed, sizeof z) == 0);
    pool_destroy(NULL);

    /* destroying twice: the second call sees a zeroed pool */
    void *a = pool_alloc(&pool);
    ck_assert_ptr_nonnull(a);
    pool_destroy(&pool);
    pool_destroy(&pool);
    ck_assert_uint_eq(fs.releases, 1);
    ck_assert_uint_eq(fs.live_bytes, 0);
}
END_TEST

START_TEST(pool_is_usable_again_after_destroy_and_init)
{
    void *o[200];
    alloc_n(o, 200);
    pool_destroy(&pool);
    ck_assert_uint_eq(fs.live_bytes, 0);

    pool_config_t cfg = fixture_config(0);
    ck_assert_int_eq(pool_init(&pool, &cfg), 0);
    pool_stats_t s = stats();
    ck_assert_uint_eq(s.blocks, 0);
    ck_assert_uint_eq(s.peak_live, 0);
    obj_model_t m;
    ck_assert(model_init(&m, 200, OBJ));
    for (size_t i = 0; i < 200; i++)
        model_add(&m, pool_alloc(&pool));
    ck_assert_uint_eq(model_damaged_count(&m), 0);
    ck_assert_uint_eq(stats().peak_live, 200);
    ck_assert_uint_eq(fs.acquisitions, 4);
    for (size_t i = 0; i < 200; i++)
        pool_free(&pool, model_get(&m, i));
    model_fini(&m);
}
END_TEST

/* ---- freelist (exercise 01-freelist) ---------------------------------------- */

/* _i selects the flags: the plain fast path and the slow path both pop. */
static const unsigned freelist_flags[] = {0, POOL_CHECKED, POOL_ZERO};

START_TEST(most_recently_freed_comes_back_first)
{
    reinit(freelist_flags[_i]);
    void *o[6];
    alloc_n(o, 6);
    pool_free(&pool, o[1]);
    pool_free(&pool, o[4]);
    pool_free(&pool, o[2]);
    pool_free(&pool, o[5]);
    void *p = pool_alloc(&pool);
    ck_assert_msg(p == o[5], "freed o1, o4, o2, o5, then allocated: got %p, expected o5 = %p, "
                  "the most recently freed object", p, o[5]);
    ck_assert_ptr_eq(pool_alloc(&pool), o[2]);
    pool_free(&pool, o[2]);                    /* pushed again: on top */
    ck_assert_ptr_eq(pool_alloc(&pool), o[2]);
    ck_assert_ptr_eq(pool_alloc(&pool), o[4]);
    ck_assert_ptr_eq(pool_alloc(&pool), o[1]);
    /* the list is empty now: the next object is carved fresh */
    char *fresh = pool_alloc(&pool);
    ck_assert_ptr_eq(fresh, (char *)o[5] + STRIDE);
    ck_assert_uint_eq(stats().live, 7);
    free_n(o, 6);
    pool_free(&pool, fresh);
}
END_TEST

START_TEST(freed_set_is_reused_before_carving)
{
    reinit(freelist_flags[_i]);
    enum { N = 100, K = 40 };
    void *o[N], *freed[K], *got[K];
    alloc_n(o, N);
    rng_t r = {7};
    shuffle(o, N, &r);
    memcpy(freed, o, sizeof freed);
    free_n(freed, K);
    pool_stats_t before = stats();
    alloc_n(got, K);
    for (size_t i = 0; i < K; i++) {
        ck_assert_msg(got[i] == freed[K - 1 - i],
                      "allocation %zu did not return the object freed %zu frees before the last", i, i);
        ck_assert(!contains(got, i, got[i]));
    }
    pool_stats_t after = stats();
    ck_assert_uint_eq(after.capacity, before.capacity);
    ck_assert_uint_eq(after.blocks, 1);
    ck_assert_uint_eq(after.live, N);
    ck_assert_uint_eq(pool_check(&pool), 0);
    free_n(o, N);
}
END_TEST

START_TEST(freeing_everything_then_allocating_acquires_nothing)
{
    reinit(freelist_flags[_i]);
    enum { N = 3 * PER_BLOCK + 10 };
    static void *o[N], *again[N];
    alloc_n(o, N);
    size_t blocks = fs.acquisitions;
    ck_assert_uint_ge(blocks, 4);
    free_n(o, N);
    alloc_n(again, N);
    ck_assert_uint_eq(fs.acquisitions, blocks);
    ck_assert_uint_eq(stats().capacity, blocks * chunks_per_block());
    /* freed in allocation order, so they come back newest first */
    for (size_t i = 0; i < N; i++)
        ck_assert_ptr_eq(again[i], o[N - 1 - i]);
    free_n(again, N);
}
END_TEST

/* A random walk checked against a stack of freed pointers: every allocation
 * is exactly the top of that stack, or a fresh chunk when it is empty. */
START_TEST(free_list_behaves_as_a_stack)
{
    enum { OPS = 20000, MAXLIVE = 200 };
    static void *stack[MAXLIVE], *live[MAXLIVE];
    size_t nstack = 0, nlive = 0, carved = 0;
    rng_t r = {_i + 1u};
    reinit(freelist_flags[_i]);
    for (size_t op = 0; op < OPS; op++) {
        bool do_alloc = nlive == 0 || (nlive < MAXLIVE && rng_below(&r, 2));
        if (do_alloc) {
            void *p = pool_alloc(&pool);
            REQUIRE(p != NULL, "step %zu: allocation failed", op);
            REQUIRE(!contains(live, nlive, p), "step %zu: %p handed out twice", op, p);
            if (nstack > 0) {
                nstack--;
                REQUIRE(p == stack[nstack], "step %zu: %p instead of the last freed %p", op, p,
                        stack[nstack]);
            } else { /* nothing free: a chunk never handed out before */
                REQUIRE(++carved == stats().live, "step %zu: %p is not fresh", op, p);
            }
            live[nlive++] = p;
        } else {
            size_t i = (size_t)rng_below(&r, nlive);
            void *p = live[i];
            live[i] = live[--nlive];
            pool_free(&pool, p);
            stack[nstack++] = p;
        }
    }
    ck_assert_uint_eq(stats().live, nlive);
    ck_assert_uint_le(carved, MAXLIVE);
    free_n(live, nlive);
}
END_TEST

/* ---- reset (exercise 01-reset) ------------------------------------------- */

START_TEST(reset_frees_everything_and_keeps_blocks)
{
    enum { N = 300 };
    void *o[N];
    alloc_n(o, N);
    free_n(o, 20);
    pool_stats_t before = stats();
    size_t acquisitions = fs.acquisitions;
    pool_reset(&pool);
    pool_stats_t s = stats();
    ck_assert_msg(s.live == 0, "after pool_reset() %zu objects are still live", s.live);
    ck_assert_uint_eq(s.peak_live, N);
    ck_assert_uint_eq(s.blocks, before.blocks);
    ck_assert_uint_eq(s.capacity, before.capacity);
    ck_assert_uint_eq(s.bytes_from_source, before.bytes_from_source);
    ck_assert_uint_eq(fs.acquisitions, acquisitions);
    ck_assert_uint_eq(fs.releases, 0);
    ck_assert_uint_eq(pool_check(&pool), 0);
}
END_TEST

START_TEST(after_reset_blocks_are_carved_again_in_address_order)
{
    enum { N = 2 * PER_BLOCK + 50 };
    static void *o[N], *again[N];
    alloc_n(o, N);
    rng_t r = {3};
    void *some[60];
    memcpy(some, o + 10, sizeof some);
    shuffle(some, 60, &r);
    free_n(some, 60); /* a non-empty free list that the reset must drop */
    size_t acquisitions = fs.acquisitions;
    pool_reset(&pool);
    alloc_n(again, N);
    ck_assert_uint_eq(fs.acquisitions, acquisitions);
    for (size_t i = 0; i < N; i++)
        ck_assert_msg(again[i] == o[i], "allocation %zu after reset is not chunk %zu", i, i);
    ck_assert_uint_eq(stats().live, N);
    free_n(again, N);
}
END_TEST

START_TEST(allocating_capacity_after_reset_acquires_nothing)
{
    enum { N = 2 * PER_BLOCK + PER_BLOCK / 2 };
    static void *o[3 * PER_BLOCK];
    alloc_n(o, N);
    pool_reset(&pool);
    size_t cap = stats().capacity;
    ck_assert_uint_eq(cap, 3 * PER_BLOCK);
    obj_model_t m;
    ck_assert(model_init(&m, cap, OBJ));
    for (size_t i = 0; i < cap; i++) {
        void *p = pool_alloc(&pool);
        ck_assert_ptr_nonnull(p);
        model_add(&m, p);
    }
    ck_assert_uint_eq(fs.acquisitions, 3);
    ck_assert_uint_eq(model_damaged_count(&m), 0);
    void *extra = pool_alloc(&pool);
    ck_assert_ptr_nonnull(extra);
    ck_assert_uint_eq(fs.acquisitions, 4);
    pool_free(&pool, extra);
    for (size_t i = 0; i < cap; i++)
        pool_free(&pool, model_get(&m, i));
    model_fini(&m);
}
END_TEST

START_TEST(reset_of_empty_and_used_pools)
{
    pool_reset(NULL);
    pool_reset(&pool); /* never used: no block yet */
    ck_assert_uint_eq(pool_check(&pool), 0);
    ck_assert_uint_eq(stats().live, 0);
    ck_assert_uint_eq(fs.acquisitions, 0);

    void *o[3];
    alloc_n(o, 3);
    pool_free(&pool, o[1]);
    pool_reset(&pool);
    ck_assert_uint_eq(stats().live, 0);
    ck_assert_uint_eq(pool_check(&pool), 0);
    pool_reset(&pool); /* twice in a row */
    ck_assert_uint_eq(pool_check(&pool), 0);
    ck_assert_ptr_eq(pool_alloc(&pool), o[0]);
    ck_assert_ptr_eq(pool_alloc(&pool), o[1]);
    ck_assert_uint_eq(stats().live, 2);
    ck_assert_uint_eq(fs.acquisitions, 1);
}
END_TEST

/* In checked mode the reset clears the live bitmaps: the pool checks clean
 * right after it, and everything allocated afterwards frees without a
 * report. */
START_TEST(reset_in_checked_mode_clears_live_bits)
{
    misuse_counter_t mc;
    misuse_counter_install(&mc);
    reinit(POOL_CHECKED);
    void *o[10], *again[5];
    alloc_n(o, 10);
    pool_free(&pool, o[3]);
    pool_free(&pool, o[7]);
    pool_free(&pool, o[8]);
    pool_reset(&pool);
    ck_assert_uint_eq(stats().live, 0);
    ck_assert_uint_eq(pool_check(&pool), 0);
    alloc_n(again, 5);
    for (size_t i = 0; i < 5; i++)
        ck_assert_ptr_eq(again[i], o[i]);
    ck_assert_uint_eq(pool_check(&pool), 0);
    free_n(again, 5);
    ck_assert_uint_eq(mc.count, 0);
    ck_assert_uint_eq(stats().live, 0);
    misuse_counter_remove();
}
END_TEST

/* A chunk withheld after a write after free (checked mode) is released by
 * the reset like every other: the counts start again from zero. */
START_TEST(reset_releases_quarantined_chunks)
{
    misuse_counter_t mc;
    misuse_counter_install(&mc);
    reinit(POOL_CHECKED);
    char *a = pool_alloc(&pool), *b = pool_alloc(&pool);
    pool_free(&pool, a);
    sneak_poke(a, STRIDE, 2 * sizeof(void *), 0x11); /* damage its freed fill */
    char *c = pool_alloc(&pool);                    /* finds a damaged: withheld */
    ck_assert_uint_eq(mc.count, 1);
    ck_assert_ptr_ne(c, a);
    pool_reset(&pool);
    ck_assert_uint_eq(pool_check(&pool), 0);
    ck_assert_ptr_eq(pool_alloc(&pool), a);         /* carved again from the start */
    ck_assert_ptr_eq(pool_alloc(&pool), b);
    ck_assert_uint_eq(stats().live, 2);
    ck_assert_uint_eq(pool_check(&pool), 0);
    ck_assert_uint_eq(mc.count, 1);
}
END_TEST

Suite *pool_core_suite(void)
{
    Suite *s = suite_create("pool-core");

    TCase *tc = tcase_create("core");
    tcase_set_tags(tc, "core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, alloc_returns_aligned_distinct_objects);
    tcase_add_test(tc, alloc_and_free_count_live_objects);
    tcase_add_test(tc, freed_object_is_reused_first);
    tcase_add_test(tc, init_acquires_nothing);
    tcase_add_test(tc, fresh_chunks_are_carved_in_address_order);
    tcase_add_test(tc, carving_is_lazy);
    tcase_add_test(tc, capacity_grows_block_by_block);
    tcase_add_test(tc, growth_across_many_blocks_keeps_every_object);
    tcase_add_test(tc, stats_follow_live_peak_and_blocks);
    tcase_add_loop_test(tc, zero_objects_even_after_dirty_reuse, 0, 2);
    tcase_add_loop_test(tc, destroy_returns_every_byte, 0, 2);
    tcase_add_test(tc, destroy_of_zeroed_pool_is_noop);
    tcase_add_test(tc, pool_is_usable_again_after_destroy_and_init);
    suite_add_tcase(s, tc);

    tc = tcase_create("freelist");
    tcase_set_tags(tc, "core 01-freelist");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, most_recently_freed_comes_back_first, 0, 3);
    tcase_add_loop_test(tc, freed_set_is_reused_before_carving, 0, 3);
    tcase_add_loop_test(tc, freeing_everything_then_allocating_acquires_nothing, 0, 3);
    tcase_add_loop_test(tc, free_list_behaves_as_a_stack, 0, 3);
    suite_add_tcase(s, tc);

    tc = tcase_create("reset");
    tcase_set_tags(tc, "core 01-reset");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, reset_frees_everything_and_keeps_blocks);
    tcase_add_test(tc, after_reset_blocks_are_carved_again_in_address_order);
    tcase_add_test(tc, allocating_capacity_after_reset_acquires_nothing);
    tcase_add_test(tc, reset_of_empty_and_used_pools);
    tcase_add_test(tc, reset_in_checked_mode_clears_live_bits);
    tcase_add_test(tc, reset_releases_quarantined_chunks);
    suite_add_tcase(s, tc);
    return s;
}

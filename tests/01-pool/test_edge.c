/*
 * test_edge.c - stage 01 at its limits: every configuration pool_init()
 * must refuse (and refuse without acquiring anything), the smallest and
 * largest configurations it must accept, the max_bytes cap, a source that
 * says no, NULL arguments, and the default page source's own refusals.
 *
 * Every test starts from a zeroed pool and a counting failing source; the
 * teardown checks the pool, destroys it and proves every byte came back.
 */
#include <check.h>
#include <errno.h>
#include <stdalign.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "failing_source.h"
#include "misuse_counter.h"
#include "obj_model.h"
#include "pool.h"
#include "require.h"
#include "tool_query.h"

static failing_source_t fs;
static pool_t pool;

static void setup(void)
{
    failing_source_init(&fs, NULL);
    memset(&pool, 0, sizeof pool);
}

static void teardown(void)
{
    ck_assert_uint_eq(pool_check(&pool), 0);
    pool_destroy(&pool);
    ck_assert_uint_eq(fs.live_bytes, 0);
    ck_assert_uint_eq(fs.live_acquisitions, 0);
}

static pool_stats_t stats(void)
{
    pool_stats_t s;
    pool_stats(&pool, &s);
    return s;
}

static bool is_zeroed(const pool_t *p)
{
    static const pool_t zeroed;
    return memcmp(p, &zeroed, sizeof *p) == 0;
}

static bool is_pow2(size_t x)
{
    return x != 0 && (x & (x - 1)) == 0;
}

/* Initialises the pool with cfg (through the failing source); must work. */
static void init_ok(pool_config_t cfg)
{
    size_t acquisitions = fs.acquisitions;
    cfg.source = &fs.base;
    ck_assert_int_eq(pool_init(&pool, &cfg), 0);
    ck_assert_uint_eq(fs.acquisitions, acquisitions); /* nothing taken yet */
}

/* ---- configurations pool_init() refuses ------------------------------------ */

#define HALF_SPACE ((SIZE_MAX >> 1) + 1) /* the largest power of two */

static const struct bad_config {
    const char *why;   /* what is wrong with it */
    pool_config_t cfg; /* the configuration (source filled in by the test) */
} bad_configs[] = {
    {"obj_size 0", {.obj_size = 0}},
    {"align 3", {.obj_size = 24, .align = 3}},
    {"align 6", {.obj_size = 24, .align = 6}},
    {"align 12", {.obj_size = 24, .align = 12}},
    {"align 24", {.obj_size = 24, .align = 24}},
    {"align SIZE_MAX", {.obj_size = 24, .align = SIZE_MAX}},
    {"block_size 3000", {.obj_size = 24, .block_size = 3000}},
    {"block_size 4097", {.obj_size = 24, .block_size = 4097}},
    {"block_size 6144", {.obj_size = 24, .block_size = 6144}},
    {"block_size SIZE_MAX", {.obj_size = 24, .block_size = SIZE_MAX}},
    {"block_size 1", {.obj_size = 24, .block_size = 1}},
    {"block too small for one object", {.obj_size = 24, .block_size = 32}},
    {"block too small for one 40-byte object", {.obj_size = 40, .align = 16, .block_size = 64}},
    {"block too small for one 8-byte object", {.obj_size = 8, .align = 8, .block_size = 16}},
    {"checked block too small for one object", {.obj_size = 24, .block_size = 32, .flags = POOL_CHECKED}},
    {"checked: header and bitmap leave no room for one 40-byte object",
     {.obj_size = 40, .align = 8, .block_size = 64, .flags = POOL_CHECKED}},
    {"obj_size larger than block", {.obj_size = 5000, .block_size = 4096}},
    {"obj_size SIZE_MAX", {.obj_size = SIZE_MAX}},
    {"obj_size SIZE_MAX/2", {.obj_size = SIZE_MAX / 2}},
    {"obj_size SIZE_MAX-15", {.obj_size = SIZE_MAX - 15}},
    {"obj_size SIZE_MAX/8+1", {.obj_size = SIZE_MAX / 8 + 1}},
    {"obj_size SIZE_MAX/16", {.obj_size = SIZE_MAX / 16}},
    {"obj_size SIZE_MAX, align 4096", {.obj_size = SIZE_MAX, .align = 4096}},
    {"obj_size SIZE_MAX, block 2^63", {.obj_size = SIZE_MAX, .block_size = HALF_SPACE}},
    {"align 2^63", {.obj_size = 24, .align = HALF_SPACE}},
    {"align 8192 > block_size 4096", {.obj_size = 24, .align = 8192, .block_size = 4096}},
    {"align 4096 = block_size: no room after the header", {.obj_size = 8, .align = 4096, .block_size = 4096}},
    {"max_bytes 4095 < block 4096", {.obj_size = 24, .block_size = 4096, .max_bytes = 4095}},
    {"max_bytes 1", {.obj_size = 24, .block_size = 4096, .max_bytes = 1}},
    {"max_bytes below the default block", {.obj_size = 24, .max_bytes = POOL_DEFAULT_BLOCK_SIZE - 1}},
    {"unknown flag 1<<2", {.obj_size = 24, .flags = 1u << 2}},
    {"unknown flag 1<<31", {.obj_size = 24, .flags = 1u << 31}},
    {"unknown flag with known ones", {.obj_size = 24, .flags = POOL_ZERO | POOL_CHECKED | 1u << 7}},
};
#define N_BAD (int)(sizeof bad_configs / sizeof bad_configs[0])

START_TEST(bad_config_is_refused_and_acquires_nothing)
{
    const struct bad_config *b = &bad_configs[_i];
    pool_config_t cfg = b->cfg;
    cfg.source = &fs.base;
    memset(&pool, 0xAB, sizeof pool); /* garbage that init must clear */
    errno = 0;
    ck_assert_msg(pool_init(&pool, &cfg) == -EINVAL, "%s: not refused with -EINVAL", b->why);
    ck_assert_msg(is_zeroed(&pool), "%s: pool not left zeroed", b->why);
    ck_assert_msg(fs.acquisitions == 0 && fs.failures == 0, "%s: the source was asked", b->why);
    /* the zeroed pool is inert: nothing to allocate from, nothing to free */
    pool_destroy(&pool);
    ck_assert(is_zeroed(&pool));
}
END_TEST

START_TEST(null_pool_is_refused)
{
    pool_config_t cfg = {.obj_size = 24, .source = &fs.base};
    ck_assert_int_eq(pool_init(NULL, &cfg), -EINVAL);
    ck_assert_uint_eq(fs.acquisitions + fs.failures, 0);
}
END_TEST

START_TEST(null_config_is_refused)
{
    memset(&pool, 0xAB, sizeof pool);
    ck_assert_int_eq(pool_init(&pool, NULL), -EINVAL);
    ck_assert(is_zeroed(&pool));
}
END_TEST

/* ---- the smallest and largest configurations ------------------------------ */

START_TEST(one_byte_objects)
{
    pool_config_t cfg = {.obj_size = 1, .align = 1};
    init_ok(cfg);
    char *a = pool_alloc(&pool), *b = pool_alloc(&pool);
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(b);
    ck_assert_int_eq(b - a, sizeof(void *)); /* a free chunk still holds a link */
    *a = 'a';
    *b = 'b';
    pool_free(&pool, a);
    ck_assert_ptr_eq(pool_alloc(&pool), a);
    ck_assert_int_eq(*b, 'b');
    pool_free(&pool, a);
    pool_free(&pool, b);

    /* with the default alignment the stride is that alignment */
    pool_destroy(&pool);
    cfg.align = 0;
    init_ok(cfg);
    a = pool_alloc(&pool);
    b = pool_alloc(&pool);
    ck_assert_int_eq(b - a, alignof(max_align_t));
    pool_free(&pool, a);
    pool_free(&pool, b);
}
END_TEST

/* _i: alignment 2^(_i % 13), checked mode if _i >= 13.  13-byte objects,
 * default block size, enough objects for three blocks: every object is
 * aligned and none overlaps another. */
START_TEST(every_alignment_up_to_4096)
{
    size_t align = (size_t)1 << (_i % 13);
    pool_config_t cfg = {.obj_size = 13, .align = align, .flags = _i >= 13 ? POOL_CHECKED : 0};
    init_ok(cfg);
    void *first = pool_alloc(&pool);
    ck_assert_ptr_nonnull(first);
    size_t per_block = stats().capacity;
    size_t n = 2 * per_block + 1;
    obj_model_t m;
    ck_assert(model_init(&m, n, cfg.obj_size));
    ck_assert_uint_eq((uintptr_t)first % align, 0);
    model_add(&m, first);
    for (size_t i = 1; i < n; i++) {
        void *p = pool_alloc(&pool);
        REQUIRE(p != NULL, "allocation %zu failed", i);
        REQUIRE((uintptr_t)p % align == 0, "object %zu misaligned for %zu", i, align);
        model_add(&m, p);
    }
    ck_assert_uint_eq(stats().blocks, 3);
    ck_assert_uint_eq(model_damaged_count(&m), 0);
    ck_assert_uint_eq(pool_check(&pool), 0);
    for (size_t i = 0; i < m.count; i++)
        pool_free(&pool, model_get(&m, i));
    model_fini(&m);
}
END_TEST

/* Objects bigger than the default block: the default grows to a power of
 * two that holds several of them. */
START_TEST(objects_larger_than_64k_with_default_block)
{
    static const size_t sizes[] = {POOL_DEFAULT_BLOCK_SIZE, 100000, 300 * 1024 + 8};
    pool_config_t cfg = {.obj_size = sizes[_i]};
    init_ok(cfg);
    obj_model_t m;
    ck_assert(model_init(&m, 25, cfg.obj_size));
    for (int i = 0; i < 25; i++) {
        void *p = pool_alloc(&pool);
        ck_assert_ptr_nonnull(p);
        model_add(&m, p);
    }
    pool_stats_t s = stats();
    size_t block = s.bytes_from_source / s.blocks;
    ck_assert(is_pow2(block));
    ck_assert_uint_gt(block, POOL_DEFAULT_BLOCK_SIZE);
    ck_assert_uint_ge(s.capacity / s.blocks, 8);
    ck_assert_uint_eq(s.blocks, (25 + s.capacity / s.blocks - 1) / (s.capacity / s.blocks));
    ck_assert_uint_eq(model_damaged_count(&m), 0);
    for (size_t i = 0; i < m.count; i++)
        pool_free(&pool, model_get(&m, i));
    model_fini(&m);
}
END_TEST

/* The smallest block that holds one object works (one object per block);
 * half of it is refused. */
static const struct min_block {
    size_t obj_size, align; /* the objects */
    size_t block_size;      /* smallest power of two >= header + one chunk */
    unsigned flags;         /* pool flags */
} min_blocks[] = {
    {24, 16, 64, 0},           /* header 24 -> 32, chunk 32 */
    {40, 8, 64, 0},            /* header 24, chunk 40 */
    {8, 8, 32, 0},             /* header 24, chunk 8 */
    {24, 16, 64, POOL_CHECKED}, /* header 24 + one bitmap word -> 32, chunk 32 */
    {100, 64, 256, 0},         /* header 24 -> 64, chunk 128: 192 needed */
};

START_TEST(smallest_block_that_fits_one_object)
{
    const struct min_block *mb = &min_blocks[_i];
    pool_config_t cfg = {.obj_size = mb->obj_size, .align = mb->align,
                         .block_size = mb->block_size / 2, .flags = mb->flags, .source = &fs.base};
    ck_assert_int_eq(pool_init(&pool, &cfg), -EINVAL);
    cfg.block_size = mb->block_size;
    init_ok(cfg);
    void *o[5];
    for (int i = 0; i < 5; i++) {
        o[i] = pool_alloc(&pool);
        ck_assert_ptr_nonnull(o[i]);
        ck_assert_uint_eq((uintptr_t)o[i] % mb->align, 0);
        memset(o[i], 'a' + i, mb->obj_size);
    }
    pool_stats_t s = stats();
    ck_assert_uint_eq(s.blocks, 5);
    ck_assert_uint_eq(s.capacity, 5);
    ck_assert_uint_eq(s.bytes_from_source, 5 * mb->block_size);
    for (int i = 0; i < 5; i++) {
        ck_assert_int_eq(((char *)o[i])[0], 'a' + i);
        ck_assert_int_eq(((char *)o[i])[mb->obj_size - 1], 'a' + i);
    }
    ck_assert_uint_eq(pool_check(&pool), 0);
    for (int i = 0; i < 5; i++)
        pool_free(&pool, o[i]);
}
END_TEST

/* ---- running out ---------------------------------------------------------- */

/* max_bytes of three and a bit blocks: exactly three blocks' worth of
 * objects, then NULL/ENOMEM without asking the source, with everything
 * intact; a free makes room again.  _i: plain, checked. */
START_TEST(max_bytes_cap_fails_cleanly)
{
    pool_config_t cfg = {.obj_size = 48, .block_size = 4096, .max_bytes = 3 * 4096 + 100,
                         .flags = _i ? POOL_CHECKED : 0};
    init_ok(cfg);
    obj_model_t m;
    ck_assert(model_init(&m, 512, cfg.obj_size));
    void *p;
    errno = 0;
    while ((p = pool_alloc(&pool)) != NULL) {
        ck_assert_uint_lt(m.count, 512);
        model_add(&m, p);
    }
    ck_assert_int_eq(errno, ENOMEM);
    pool_stats_t s = stats();
    ck_assert_uint_eq(s.blocks, 3);
    ck_assert_uint_eq(s.live, m.count);
    ck_assert_uint_eq(s.live, s.capacity); /* nothing free was left */
    ck_assert_uint_eq(fs.acquisitions, 3);
    ck_assert_uint_eq(fs.failures, 0);     /* the cap, not the source, said no */
    ck_assert_uint_eq(pool_check(&pool), 0);
    ck_assert_uint_eq(model_damaged_count(&m), 0);

    errno = 0;
    ck_assert_ptr_null(pool_alloc(&pool)); /* and again */
    ck_assert_int_eq(errno, ENOMEM);

    bool intact;
    void *freed = model_take(&m, m.count / 2, &intact);
    ck_assert(intact);
    pool_free(&pool, freed);
    p = pool_alloc(&pool);
    ck_assert_ptr_eq(p, freed);
    model_add(&m, p);
    ck_assert_ptr_null(pool_alloc(&pool));
    ck_assert_uint_eq(model_damaged_count(&m), 0);
    ck_assert_uint_eq(pool_check(&pool), 0);
    while (m.count > 0)
        pool_free(&pool, model_take(&m, 0, &intact));
    model_fini(&m);
}
END_TEST

START_TEST(max_bytes_of_one_block)
{
    pool_config_t cfg = {.obj_size = 24, .block_size = 1024, .max_bytes = 1024};
    init_ok(cfg);
    size_t n = 0;
    void *o[64];
    while ((o[n] = pool_alloc(&pool)) != NULL)
        ck_assert_uint_lt(++n, 64);
    ck_assert_int_eq(errno, ENOMEM);
    ck_assert_uint_eq(n, stats().capacity);
    ck_assert_uint_eq(stats().blocks, 1);
    for (size_t i = 0; i < n; i++)
        pool_free(&pool, o[i]);
}
END_TEST

START_TEST(source_failure_gives_enomem_and_changes_nothing)
{
    pool_config_t cfg = {.obj_size = 24, .block_size = 4096};
    init_ok(cfg);
    failing_source_fail_after(&fs, 0);
    errno = 0;
    ck_assert_ptr_null(pool_alloc(&pool));
    ck_assert_int_eq(errno, ENOMEM);
    ck_assert_uint_eq(fs.failures, 1);
    pool_stats_t s = stats();
    ck_assert_uint_eq(s.blocks + s.capacity + s.live + s.peak_live + s.bytes_from_source, 0);
    ck_assert_uint_eq(pool_check(&pool), 0);
    failing_source_recover(&fs);
    void *p = pool_alloc(&pool);
    ck_assert_ptr_nonnull(p);
    ck_assert_uint_eq(stats().blocks, 1);
    pool_free(&pool, p);
}
END_TEST

/* A configuration that is valid but asks for a 2^62-byte block: the source
 * refuses it, and the pool says ENOMEM. */
START_TEST(giant_block_refused_by_source)
{
    pool_config_t cfg = {.obj_size = SIZE_MAX / 8, .block_size = (size_t)1 << 62};
    init_ok(cfg);
    fs.byte_limit = (size_t)1 << 30; /* never ask the C library for 2^62 bytes */
    errno = 0;
    ck_assert_ptr_null(pool_alloc(&pool));
    ck_assert_int_eq(errno, ENOMEM);
    ck_assert_uint_eq(fs.failures, 1);
    ck_assert_uint_eq(stats().blocks, 0);
}
END_TEST

/* ---- NULL arguments -------------------------------------------------------- */

START_TEST(null_arguments)
{
    errno = 0;
    ck_assert_ptr_null(pool_alloc(NULL));
    ck_assert_int_eq(errno, EINVAL);

    misuse_counter_t mc;
    misuse_counter_install(&mc);
    pool_config_t cfg = {.obj_size = 24, .flags = _i ? POOL_CHECKED : 0};
    init_ok(cfg);
    void *a = pool_alloc(&pool);
    ck_assert_ptr_nonnull(a);
    pool_stats_t before = stats();
    pool_free(NULL, a);
    pool_free(&pool, NULL);
    pool_stats_t after = stats();
    ck_assert(memcmp(&before, &after, sizeof before) == 0);
    ck_assert_uint_eq(mc.count, 0);
    misuse_counter_remove();

    pool_stats_t s;
    memset(&s, 0xFF, sizeof s);
    pool_stats(NULL, &s);
    ck_assert_uint_eq(s.live + s.peak_live + s.capacity + s.blocks + s.bytes_from_source, 0);
    pool_stats(&pool, NULL);
    pool_reset(NULL);
    pool_destroy(NULL);
    ck_assert_uint_ne(pool_check(NULL), 0);
    pool_free(&pool, a);
    ck_assert_uint_eq(stats().live, 0);
}
END_TEST

/* ---- the default page source ------------------------------------------------- */

START_TEST(default_source_refuses_bad_requests)
{
    const page_source_t *src = page_source_default();
    ck_assert_ptr_nonnull(src->name);
    ck_assert_ptr_null(src->acquire(src->ctx, 0, 4096));  /* nothing to give */
    ck_assert_ptr_null(src->acquire(src->ctx, 64, 0));    /* no alignment */
    ck_assert_ptr_null(src->acquire(src->ctx, 64, 24));   /* not a power of two */
    /* more than any machine has: refused, not a crash (ASan and memcheck
     * treat such a request as an error of their own, so not under them) */
    if (!tq_asan() && !tq_under_valgrind())
        ck_assert_ptr_null(src->acquire(src->ctx, SIZE_MAX - 4095, 4096));
    static const size_t aligns[] = {1, 2, 8, 4096, 65536};
    for (size_t i = 0; i < sizeof aligns / sizeof aligns[0]; i++) {
        char *p = src->acquire(src->ctx, 100, aligns[i]);
        ck_assert_ptr_nonnull(p);
        ck_assert_uint_eq((uintptr_t)p % aligns[i], 0);
        memset(p, 0x3C, 100);
        src->release(src->ctx, p, 100);
    }
}
END_TEST

Suite *pool_edge_suite(void)
{
    Suite *s = suite_create("pool-edge");
    TCase *tc = tcase_create("edge");
    tcase_set_tags(tc, "edge");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, bad_config_is_refused_and_acquires_nothing, 0, N_BAD);
    tcase_add_test(tc, null_pool_is_refused);
    tcase_add_test(tc, null_config_is_refused);
    tcase_add_test(tc, one_byte_objects);
    tcase_add_loop_test(tc, every_alignment_up_to_4096, 0, 26);
    tcase_add_loop_test(tc, objects_larger_than_64k_with_default_block, 0, 3);
    tcase_add_loop_test(tc, smallest_block_that_fits_one_object, 0,
                        (int)(sizeof min_blocks / sizeof min_blocks[0]));
    tcase_add_loop_test(tc, max_bytes_cap_fails_cleanly, 0, 2);
    tcase_add_test(tc, max_bytes_of_one_block);
    tcase_add_test(tc, source_failure_gives_enomem_and_changes_nothing);
    tcase_add_test(tc, giant_block_refused_by_source);
    tcase_add_loop_test(tc, null_arguments, 0, 2);
    tcase_add_test(tc, default_source_refuses_bad_requests);
    suite_add_tcase(s, tc);
    return s;
}

/*
 * test_core.c - stage 01, the ordinary life of a pool: allocate, free, reuse,
 * grow, reset, destroy, statistics.
 */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "failing_source.h"
#include "pool.h"

static failing_source_t fs;
static pool_t pool;

static void setup(void)
{
    failing_source_init(&fs, NULL);
    pool_config_t cfg = {.obj_size = 24, .block_size = 4096, .source = &fs.base};
    ck_assert_int_eq(pool_init(&pool, &cfg), 0);
}

static void teardown(void)
{
    ck_assert_uint_eq(pool_check(&pool), 0);
    pool_destroy(&pool);
    ck_assert_uint_eq(fs.live_bytes, 0);
}

START_TEST(alloc_returns_aligned_distinct_objects)
{
    char *a = pool_alloc(&pool), *b = pool_alloc(&pool);
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(b);
    ck_assert_ptr_ne(a, b);
    ck_assert_uint_eq((uintptr_t)a % _Alignof(max_align_t), 0);
    ck_assert_uint_eq((uintptr_t)b % _Alignof(max_align_t), 0);
    memset(a, 1, 24);
    memset(b, 2, 24);
    ck_assert_int_eq(a[23], 1);
}
END_TEST

START_TEST(freed_object_is_reused_first)
{
    void *a = pool_alloc(&pool);
    void *b = pool_alloc(&pool);
    pool_free(&pool, a);
    ck_assert_ptr_eq(pool_alloc(&pool), a);
    pool_free(&pool, b);
}
END_TEST

Suite *pool_core_suite(void)
{
    Suite *s = suite_create("pool-core");
    TCase *tc = tcase_create("core");
    tcase_set_tags(tc, "core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, alloc_returns_aligned_distinct_objects);
    tcase_add_test(tc, freed_object_is_reused_first);
    suite_add_tcase(s, tc);
    return s;
}

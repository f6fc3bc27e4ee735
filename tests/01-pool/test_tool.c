/*
 * test_tool.c - proof that memcheck and ASan see inside stage 01's blocks.
 *
 * To either tool a block is one big allocation, so a read of a freed object
 * would look legal unless the pool describes its chunks (common/tool.h).
 * These tests ask the tool itself (tool_query.h) about single bytes: after
 * pool_free() and pool_reset() an object's bytes are off limits, a live
 * object's bytes are usable, the padding past obj_size and the never-carved
 * rest of a block are off limits, and pool_check() leaves things as it
 * found them.  Under ASan a real read after free is also made, in a test
 * that expects ASan to end the process with status 1.
 *
 * Tag tool: meaningful only under a tool, so `make test` leaves them out and
 * they FAIL when run without one (`make memcheck` and `make asan` run them).
 * The test cases about freeing and resetting are tagged 01-freelist and
 * 01-reset too: `make exercise` runs them under memcheck once the exercise's
 * other tests pass.  _i selects the pool: 0 plain, 1 checked.
 */
#define _POSIX_C_SOURCE 200809L
#include <check.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "failing_source.h"
#include "misuse_counter.h"
#include "pool.h"
#include "tool_query.h"

#define BS 4096u

static failing_source_t fs;
static pool_t pool;
static misuse_counter_t mc;
static const unsigned flags_of[] = {0, POOL_CHECKED};

static void require_tool(void)
{
    if (!tq_under_valgrind() && !tq_asan())
        ck_abort_msg("no memory tool: this test only means something under Valgrind "
                     "memcheck or ASan; run it with `make memcheck` or `make asan`");
}

static void init_pool(size_t obj_size, size_t align, unsigned flags)
{
    pool_destroy(&pool);
    pool_config_t cfg = {.obj_size = obj_size, .align = align, .block_size = BS,
                         .source = &fs.base, .flags = flags};
    ck_assert_int_eq(pool_init(&pool, &cfg), 0);
}

static void setup(void)
{
    failing_source_init(&fs, NULL);
    memset(&pool, 0, sizeof pool);
    misuse_counter_install(&mc);
}

static void teardown(void)
{
    misuse_counter_remove();
    ck_assert_uint_eq(pool_check(&pool), 0);
    pool_destroy(&pool);
    ck_assert_uint_eq(fs.live_bytes, 0);
}

/* How many of the n bytes at p the tool considers off limits. */
static size_t off_limits(const void *p, size_t n)
{
    size_t count = 0;
    for (size_t i = 0; i < n; i++)
        count += tq_inaccessible((const char *)p + i);
    return count;
}

/* ---- tests ------------------------------------------------------------------ */

START_TEST(freed_object_is_off_limits)
{
    require_tool();
    init_pool(64, 0, flags_of[_i]);
    char *a = pool_alloc(&pool), *b = pool_alloc(&pool);
    ck_assert_uint_eq(off_limits(a, 64), 0);
    pool_free(&pool, a);
    size_t hidden = off_limits(a, pool.stride);
    ck_assert_msg(hidden == pool.stride, "after pool_free() only %zu of the chunk's %zu bytes "
                  "are off limits to the tool", hidden, pool.stride);
    ck_assert_uint_eq(off_limits(b, 64), 0); /* the neighbour is untouched */
    pool_free(&pool, b);
    ck_assert_uint_eq(off_limits(b, pool.stride), pool.stride);
}
END_TEST

START_TEST(reused_object_is_usable_again)
{
    require_tool();
    init_pool(64, 0, flags_of[_i]);
    char *a = pool_alloc(&pool);
    pool_free(&pool, a);
    char *again = pool_alloc(&pool);
    ck_assert_ptr_eq(again, a);
    ck_assert_uint_eq(off_limits(a, 64), 0);
    pool_free(&pool, a);
}
END_TEST

START_TEST(reset_puts_every_object_off_limits)
{
    require_tool();
    init_pool(64, 0, flags_of[_i]);
    enum { N = 150 }; /* more than one block */
    char *o[N];
    for (int i = 0; i < N; i++)
        o[i] = pool_alloc(&pool);
    pool_free(&pool, o[5]);
    pool_reset(&pool);
    for (int i = 0; i < N; i++)
        ck_assert_msg(off_limits(o[i], pool.stride) == pool.stride,
                      "object %d still accessible after pool_reset()", i);
    char *a = pool_alloc(&pool);
    ck_assert_ptr_eq(a, o[0]);
    ck_assert_uint_eq(off_limits(a, 64), 0);
    ck_assert_uint_eq(off_limits(o[1], pool.stride), pool.stride);
    pool_free(&pool, a);
}
END_TEST

START_TEST(padding_past_obj_size_is_off_limits)
{
    require_tool();
    static const size_t sizes[] = {20, 1, 40, 9};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        init_pool(sizes[k], 0, flags_of[_i]);
        char *a = pool_alloc(&pool);
        size_t pad = pool.stride - sizes[k];
        ck_assert_uint_gt(pad, 0);
        ck_assert_msg(off_limits(a, sizes[k]) == 0, "object of %zu bytes not usable", sizes[k]);
        ck_assert_msg(off_limits(a + sizes[k], pad) == pad,
                      "padding after a %zu-byte object is accessible", sizes[k]);
        pool_free(&pool, a);
    }
}
END_TEST

START_TEST(never_carved_rest_of_block_is_off_limits)
{
    require_tool();
    init_pool(64, 0, flags_of[_i]);
    char *a = pool_alloc(&pool);
    char *block = (char *)((uintptr_t)a & ~(uintptr_t)(BS - 1));
    char *rest = a + pool.stride;
    size_t n = (size_t)(block + BS - rest);
    ck_assert_uint_eq(off_limits(rest, n), n);
    ck_assert_uint_eq(off_limits(block, sizeof(pool_block_t)), 0); /* the header is the pool's */
    pool_free(&pool, a);
}
END_TEST

/* pool_check() reads the links of free chunks; it must hide them again. */
START_TEST(pool_check_leaves_free_chunks_off_limits)
{
    require_tool();
    init_pool(64, 0, flags_of[_i]);
    char *o[4];
    for (int i = 0; i < 4; i++)
        o[i] = pool_alloc(&pool);
    for (int i = 0; i < 3; i++)
        pool_free(&pool, o[i]);
    ck_assert_uint_eq(pool_check(&pool), 0);
    for (int i = 0; i < 3; i++)
        ck_assert_uint_eq(off_limits(o[i], pool.stride), pool.stride);
    ck_assert_uint_eq(off_limits(o[3], 64), 0);
    pool_free(&pool, o[3]);
}
END_TEST

/* Checked mode inspects what it refuses and what it withholds; neither may
 * leave a free chunk readable. */
START_TEST(checked_refusals_leave_chunks_off_limits)
{
    require_tool();
    init_pool(64, 0, POOL_CHECKED);
    char *a = pool_alloc(&pool), *b = pool_alloc(&pool);
    pool_free(&pool, a);
    pool_free(&pool, a); /* double free: refused */
    ck_assert_uint_eq(mc.count, 1);
    ck_assert_uint_eq(off_limits(a, pool.stride), pool.stride);
    pool_free(&pool, b + 16); /* interior: refused */
    ck_assert_uint_eq(mc.count, 2);
    ck_assert_uint_eq(off_limits(b, 64), 0);
    pool_free(&pool, b);
}
END_TEST

/* A real read after free: ASan must stop the process (exit status 1). */
START_TEST(read_after_free_is_reported_by_asan)
{
    require_tool();
    init_pool(64, 0, flags_of[_i]);
    volatile char *a = pool_alloc(&pool);
    a[0] = 1;
    pool_free(&pool, (void *)(uintptr_t)a);
    int devnull = open("/dev/null", O_WRONLY); /* the expected report is noise */
    if (devnull >= 0)
        dup2(devnull, STDERR_FILENO);
    char c = a[10]; /* ASan reports and exits here */
    ck_abort_msg("a read after free went unreported (read %d)", c);
}
END_TEST

Suite *pool_tool_suite(void)
{
    Suite *s = suite_create("pool-tool");
    /* what the free list tells the tools (also exercise 01-freelist) */
    TCase *tc = tcase_create("tool-freelist");
    tcase_set_tags(tc, "tool 01-freelist");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, freed_object_is_off_limits, 0, 2);
    tcase_add_loop_test(tc, reused_object_is_usable_again, 0, 2);
    suite_add_tcase(s, tc);

    /* what a reset tells the tools (also exercise 01-reset) */
    tc = tcase_create("tool-reset");
    tcase_set_tags(tc, "tool 01-reset");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, reset_puts_every_object_off_limits, 0, 2);
    suite_add_tcase(s, tc);

    tc = tcase_create("tool");
    tcase_set_tags(tc, "tool");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, padding_past_obj_size_is_off_limits, 0, 2);
    tcase_add_loop_test(tc, never_carved_rest_of_block_is_off_limits, 0, 2);
    tcase_add_loop_test(tc, pool_check_leaves_free_chunks_off_limits, 0, 2);
    tcase_add_test(tc, checked_refusals_leave_chunks_off_limits);
    suite_add_tcase(s, tc);

    /* Under valgrind the same read is an error report, not a death. */
    if (tq_asan()) {
        tc = tcase_create("asan-death");
        tcase_set_tags(tc, "tool");
        tcase_add_checked_fixture(tc, setup, NULL);
        tcase_add_loop_exit_test(tc, read_after_free_is_reported_by_asan, 1, 0, 2);
        suite_add_tcase(s, tc);
    }
    return s;
}

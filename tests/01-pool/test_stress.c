/*
 * test_stress.c - stage 01 under long random workloads, checked against a
 * model (obj_model.h): which objects are live, and what each one holds.
 *
 * TCases:
 *   workloads  more than 10^6 operations in all: object sizes 8, 24, 64 and
 *              256; frees in random, FIFO and LIFO order; plain and checked
 *              pools; occasional resets.  The live count swings up and down
 *              in phases so that blocks fill, drain and refill.  Every object
 *              is filled from end to end with its stamp's pattern and
 *              verified when freed; a random live object is verified on most
 *              steps, and all of them with pool_check() at intervals (both
 *              are O(live), so not at every step).
 *   failures   failure injection: the source fails after n blocks (n = 0 ..
 *              11), or past a byte limit, or the pool's own max_bytes says
 *              no.  Every failed allocation returns NULL with ENOMEM, leaves
 *              the pool as it was (pool_check() == 0, every object intact),
 *              and happens only when no free chunk was left; when the source
 *              recovers, allocation succeeds again.
 *
 * Everything is seeded: a failure reproduces exactly.
 */
#include <check.h>
#include <errno.h>
#include <stdalign.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "failing_source.h"
#include "fill.h"
#include "misuse_counter.h"
#include "obj_model.h"
#include "pool.h"
#include "require.h"
#include "rng.h"

enum order { ORDER_RANDOM, ORDER_FIFO, ORDER_LIFO };
static const size_t sizes[] = {8, 24, 64, 256};

#define MAX_LIVE 4096       /* model capacity; the walk stays well below it */
#define PHASE 4000          /* steps per phase of growth or shrinkage */
#define CHECK_EVERY 10000   /* steps between full checks */
#define PLAIN_OPS 100000    /* steps per plain workload (12 of them) */
#define CHECKED_OPS 25000   /* steps per checked workload (12 of them) */
#define RESET_EVERY 45000   /* steps between resets in random-order workloads */

static failing_source_t fs;
static pool_t pool;
static obj_model_t model;
static misuse_counter_t mc;

static void setup(void)
{
    failing_source_init(&fs, NULL);
    memset(&pool, 0, sizeof pool);
    ck_assert(model_init(&model, MAX_LIVE, 0));
    misuse_counter_install(&mc);
}

static void teardown(void)
{
    misuse_counter_remove();
    ck_assert_uint_eq(mc.count, 0);
    ck_assert_uint_eq(pool_check(&pool), 0);
    pool_destroy(&pool);
    model_fini(&model);
    ck_assert_uint_eq(fs.live_bytes, 0);
}

static pool_stats_t stats(void)
{
    pool_stats_t s;
    pool_stats(&pool, &s);
    return s;
}

/* A block of about 64 objects, so that every size spans many blocks. */
static size_t block_for(size_t obj_size)
{
    size_t bs = 256;
    while (bs < obj_size * 64)
        bs <<= 1;
    return bs;
}

static void init_pool(size_t obj_size, size_t block_size, size_t max_bytes, unsigned flags)
{
    pool_config_t cfg = {.obj_size = obj_size, .block_size = block_size,
                         .max_bytes = max_bytes, .source = &fs.base, .flags = flags};
    ck_assert_int_eq(pool_init(&pool, &cfg), 0);
    model.obj_size = obj_size;
}

/* Everything the model knows, against the pool. */
static void full_check(size_t step)
{
    REQUIRE(pool_check(&pool) == 0, "pool_check() failed at step %zu", step);
    REQUIRE(model_damaged_count(&model) == 0, "an object was damaged by step %zu", step);
    REQUIRE(stats().live == model.count, "live %zu, model %zu at step %zu", stats().live, model.count, step);
}

/* Allocates one object into the model; false if the pool said no. */
static bool step_alloc(size_t step)
{
    void *p = pool_alloc(&pool);
    if (p == NULL)
        return false;
    REQUIRE((uintptr_t)p % alignof(max_align_t) == 0, "misaligned object at step %zu", step);
    if (pool.flags & POOL_CHECKED)
        REQUIRE(fill_find_damage(p, model.obj_size, FILL_FRESH) == model.obj_size,
                      "checked object not filled fresh at step %zu", step);
    model_add(&model, p);
    return true;
}

/* Frees the object that the order picks; it must still hold its pattern. */
static void step_free(enum order order, rng_t *r, size_t step)
{
    size_t i = order == ORDER_FIFO ? 0
             : order == ORDER_LIFO ? model.count - 1
             : (size_t)rng_below(r, model.count);
    bool intact;
    void *p = model_take(&model, i, &intact);
    REQUIRE(intact, "object %p damaged when freed at step %zu", p, step);
    pool_free(&pool, p);
}

/* Should this step allocate?  Phases alternate between growing (3 in 4
 * allocate) and shrinking (1 in 4); the ends of the range force the choice. */
static bool wants_alloc(size_t step, rng_t *r)
{
    if (model.count == 0)
        return true;
    if (model_full(&model))
        return false;
    bool growing = (step / PHASE) % 2 == 0;
    return rng_below(r, 4) < (growing ? 3u : 1u);
}

/* ---- workloads ---------------------------------------------------------------- */

static void run_workload(size_t obj_size, enum order order, unsigned flags, size_t ops, uint64_t seed)
{
    init_pool(obj_size, block_for(obj_size), 0, flags);
    rng_t r = {seed};
    for (size_t step = 1; step <= ops; step++) {
        if (wants_alloc(step, &r))
            REQUIRE(step_alloc(step), "allocation failed at step %zu", step);
        else
            step_free(order, &r, step);
        if (model.count > 0 && (step & 3) == 0) {
            size_t i = (size_t)rng_below(&r, model.count);
            REQUIRE(model_damage(&model, i) == obj_size, "live object %zu damaged at step %zu", i, step);
        }
        if (step % CHECK_EVERY == 0)
            full_check(step);
        if (order == ORDER_RANDOM && step % RESET_EVERY == 0) {
            size_t blocks = stats().blocks;
            pool_reset(&pool);
            model_clear(&model);
            REQUIRE(stats().blocks == blocks, "reset changed the blocks at step %zu", step);
            full_check(step);
        }
    }
    full_check(ops);
    ck_assert_uint_gt(stats().blocks, 8);  /* the workload did span many blocks */
    ck_assert_uint_gt(stats().peak_live, 1000);
    bool intact;
    while (model.count > 0) {
        void *p = model_take(&model, 0, &intact);
        REQUIRE(intact, "object %p damaged at the end", p);
        pool_free(&pool, p);
    }
    ck_assert_uint_eq(stats().live, 0);
}

/* _i: size sizes[_i % 4], order _i / 4. */
START_TEST(plain_workload)
{
    run_workload(sizes[_i % 4], (enum order)(_i / 4), 0, PLAIN_OPS, 1000u + (uint64_t)_i);
}
END_TEST

START_TEST(checked_workload)
{
    run_workload(sizes[_i % 4], (enum order)(_i / 4), POOL_CHECKED, CHECKED_OPS, 2000u + (uint64_t)_i);
}
END_TEST

/* ---- failure injection ---------------------------------------------------------- */

#define FAIL_POINTS 12   /* n = 0 .. 11 blocks granted before failing */
#define FAIL_OPS 3000    /* steps per failure workload */
#define FAIL_OBJ 64
#define FAIL_BLOCK 1024u

/* How the allocations are made to fail: _i / FAIL_POINTS. */
enum fail_how { FAIL_AFTER_PLAIN, FAIL_AFTER_CHECKED, FAIL_BYTE_LIMIT, FAIL_MAX_BYTES, FAIL_HOWS };
static const char *const fail_name[] = {"fail-after", "fail-after checked", "byte limit", "max_bytes"};

/* A failed allocation: ENOMEM, nothing changed, and no room existed. */
static void check_failure(const pool_stats_t *before, size_t failures_before,
                          enum fail_how how, size_t step)
{
    REQUIRE(errno == ENOMEM, "%s: errno %d at step %zu", fail_name[how], errno, step);
    pool_stats_t after = stats();
    REQUIRE(memcmp(before, &after, sizeof after) == 0, "%s: failed alloc changed the stats", fail_name[how]);
    REQUIRE(after.live == after.capacity, "%s: alloc failed with %zu of %zu chunks live",
                  fail_name[how], after.live, after.capacity);
    REQUIRE(pool.free_list == NULL, "%s: alloc failed with a free list", fail_name[how]);
    /* the source was asked exactly once, unless the pool's own cap said no */
    REQUIRE(fs.failures == failures_before + (how == FAIL_MAX_BYTES ? 0 : 1),
            "%s: the source was asked %zu times", fail_name[how], fs.failures - failures_before);
    REQUIRE(pool_check(&pool) == 0, "%s: pool_check() failed after a failed alloc at step %zu",
            fail_name[how], step);
    REQUIRE(model_damaged_count(&model) == 0, "%s: an object was damaged at step %zu", fail_name[how], step);
}

START_TEST(failure_injection)
{
    enum fail_how how = (enum fail_how)(_i / FAIL_POINTS);
    /* blocks the pool can get; max_bytes cannot be below one block */
    size_t n = (size_t)(_i % FAIL_POINTS) + (how == FAIL_MAX_BYTES);
    unsigned flags = how == FAIL_AFTER_CHECKED ? POOL_CHECKED : 0;
    size_t max_bytes = how == FAIL_MAX_BYTES ? (n + 1) * FAIL_BLOCK - 1 : 0;
    init_pool(FAIL_OBJ, FAIL_BLOCK, max_bytes, flags);
    if (how == FAIL_AFTER_PLAIN || how == FAIL_AFTER_CHECKED)
        failing_source_fail_after(&fs, (long)n);
    if (how == FAIL_BYTE_LIMIT)
        fs.byte_limit = n * FAIL_BLOCK + FAIL_BLOCK / 2;

    rng_t r = {3000u + (uint64_t)_i};
    size_t failed = 0;
    for (size_t step = 1; step <= FAIL_OPS; step++) {
        if (model.count == 0 || rng_below(&r, 3) < 2) {
            pool_stats_t before = stats();
            size_t failures_before = fs.failures;
            errno = 0;
            if (!step_alloc(step)) {
                check_failure(&before, failures_before, how, step);
                failed++;
            }
        } else {
            step_free(ORDER_RANDOM, &r, step);
        }
    }
    ck_assert_msg(failed > 0, "%s n=%zu: nothing failed", fail_name[how], n);
    ck_assert_uint_eq(stats().blocks, n);
    full_check(FAIL_OPS);

    if (how == FAIL_MAX_BYTES) {
        /* the cap stays: fill the pool, then a free makes room for exactly one */
        pool_stats_t before = stats();
        errno = 0;
        while (step_alloc(FAIL_OPS))
            before = stats();
        check_failure(&before, fs.failures, how, FAIL_OPS);
        bool intact;
        void *p = model_take(&model, 0, &intact);
        ck_assert(intact);
        pool_free(&pool, p);
        ck_assert_ptr_eq(pool_alloc(&pool), p);
        ck_assert_ptr_null(pool_alloc(&pool));
        pool_free(&pool, p);
    } else {
        /* the source recovers: the pool grows again */
        failing_source_recover(&fs);
        size_t live = model.count;
        for (size_t i = 0; i < 200; i++)
            REQUIRE(step_alloc(FAIL_OPS + i), "allocation failed after recovery");
        ck_assert_uint_gt(stats().blocks, n);
        ck_assert_uint_eq(stats().live, live + 200);
        full_check(FAIL_OPS + 200);
    }
    bool intact;
    while (model.count > 0) {
        void *p = model_take(&model, model.count - 1, &intact);
        REQUIRE(intact, "object %p damaged at the end", p);
        pool_free(&pool, p);
    }
}
END_TEST

Suite *pool_stress_suite(void)
{
    Suite *s = suite_create("pool-stress");
    TCase *tc = tcase_create("workloads");
    tcase_set_tags(tc, "stress");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, plain_workload, 0, 12);
    tcase_add_loop_test(tc, checked_workload, 0, 12);
    suite_add_tcase(s, tc);

    tc = tcase_create("failures");
    tcase_set_tags(tc, "stress");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, failure_injection, 0, FAIL_POINTS * FAIL_HOWS);
    suite_add_tcase(s, tc);
    return s;
}

/*
 * test_misuse.c - stage 02's checked mode (SLABS_CHECKED): every misuse that
 * slabs.h says is detected is reported exactly once, through the misuse
 * handler, with allocator "slabs" and the documented kind, and the call
 * changes nothing: the counters, the checker and every live object are as
 * they were.
 *
 * Foreign pointers include malloc()'s and a stack address: checked mode
 * looks the masked address up in its registry of blocks before it reads
 * anything there (slabs.h), so they are safe to pass.
 *
 * The last TCase (tag misuse) runs death tests with the default handler,
 * which prints the report and aborts: fork mode only.
 */
#include <signal.h>
#include <stdio.h>

#include "fill.h"
#include "misuse_counter.h"
#include "pool.h"
#include "slab_test.h"
#include "sneak.h"

static misuse_counter_t mc;

/* classes 16 32 64 ... 4096 on 64 KiB slabs, checked */
static const slabs_config_t checked_cfg = {.min_size = 16, .max_size = 4096, .growth = 2.0,
                                           .slab_size = 1u << 16, .flags = SLABS_CHECKED};

static void setup(void)
{
    st_init(checked_cfg);
    misuse_counter_install(&mc);
}

static void teardown(void)
{
    misuse_counter_remove();
    st_finish();
}

/* Everything a misuse must leave unchanged. */
typedef struct snapshot {
    slabs_stats_t st;       /* the whole allocator */
    size_t used[16];        /* used chunks per class */
} snapshot_t;

static snapshot_t snap(void)
{
    snapshot_t s;
    memset(&s, 0, sizeof s);
    s.st = st_stats(&st_s);
    for (size_t c = 0; c < slabs_class_count(&st_s) && c < 16; c++)
        s.used[c] = st_cstats(&st_s, c).used;
    return s;
}

/* One report of kind for addr, and nothing changed since before. */
static void expect_report(const snapshot_t *before, size_t reports, const char *kind,
                          const void *addr)
{
    ck_assert_uint_eq(mc.count, reports);
    ck_assert_str_eq(mc.last.allocator, "slabs");
    ck_assert_str_eq(mc.last.kind, kind);
    ck_assert_ptr_eq(mc.last.addr, addr);
    ck_assert_ptr_nonnull(mc.last.message);
    snapshot_t after = snap();
    ck_assert_mem_eq(before, &after, sizeof after);
    ck_assert_uint_eq(slabs_check(&st_s), 0);
}

/* ---- free ------------------------------------------------------------------- */

START_TEST(double_free_is_reported_once)
{
    char *keep = slabs_alloc(&st_s, 100);
    char *p = slabs_alloc(&st_s, 100);
    ck_assert_ptr_nonnull(p);
    st_stamp(keep, 100, 41);
    slabs_free(&st_s, p);
    snapshot_t before = snap();
    slabs_free(&st_s, p);
    expect_report(&before, 1, "double-free", p);
    ck_assert_uint_eq(st_damage(keep, 100, 41), 100);
    /* the chunk is handed out once, not twice */
    void *a = slabs_alloc(&st_s, 100), *b = slabs_alloc(&st_s, 100);
    ck_assert_ptr_ne(a, b);
    slabs_free(&st_s, a);
    slabs_free(&st_s, b);
    slabs_free(&st_s, keep);
    ck_assert_uint_eq(mc.count, 1);
}
END_TEST

START_TEST(double_free_in_every_class)
{
    size_t n = slabs_class_count(&st_s);
    for (size_t c = 0; c < n; c++) {
        size_t size = st_chunk(&st_s, c);
        void *keep = slabs_alloc(&st_s, size), *p = slabs_alloc(&st_s, size);
        ck_assert_ptr_nonnull(p);
        slabs_free(&st_s, p);
        snapshot_t before = snap();
        slabs_free(&st_s, p);
        expect_report(&before, c + 1, "double-free", p);
        slabs_free(&st_s, keep);
    }
}
END_TEST

START_TEST(free_after_reset_is_double_free)
{
    void *p = slabs_alloc(&st_s, 40);
    ck_assert_ptr_nonnull(p);
    slabs_reset(&st_s);
    snapshot_t before = snap();
    slabs_free(&st_s, p);
    expect_report(&before, 1, "double-free", p);
}
END_TEST

START_TEST(pointer_from_another_allocator_is_foreign)
{
    slabs_t other;
    slabs_config_t cfg = checked_cfg;
    cfg.source = NULL;
    ck_assert_int_eq(slabs_init(&other, &cfg), 0);
    void *q = slabs_alloc(&other, 100);
    ck_assert_ptr_nonnull(q);
    void *mine = slabs_alloc(&st_s, 100);   /* so this allocator has slabs */
    snapshot_t before = snap();
    slabs_free(&st_s, q);
    expect_report(&before, 1, "foreign-pointer", q);
    ck_assert_uint_eq(st_stats(&other).live_objects, 1);
    ck_assert_uint_eq(slabs_check(&other), 0);
    slabs_free(&other, q);
    ck_assert_uint_eq(mc.count, 1);
    slabs_destroy(&other);
    slabs_free(&st_s, mine);
}
END_TEST

START_TEST(pointer_from_a_pool_is_foreign)
{
    pool_t pool;
    pool_config_t pc = {.obj_size = 64, .block_size = 1u << 16};
    ck_assert_int_eq(pool_init(&pool, &pc), 0);
    void *q = pool_alloc(&pool);
    ck_assert_ptr_nonnull(q);
    void *mine = slabs_alloc(&st_s, 64);
    snapshot_t before = snap();
    slabs_free(&st_s, q);
    expect_report(&before, 1, "foreign-pointer", q);
    pool_free(&pool, q);
    ck_assert_uint_eq(pool_check(&pool), 0);
    pool_destroy(&pool);
    slabs_free(&st_s, mine);
}
END_TEST

START_TEST(pointer_from_malloc_or_stack_is_foreign)
{
    void *mine = slabs_alloc(&st_s, 64);
    char *m = malloc(100);
    ck_assert_ptr_nonnull(m);
    alignas(16) char local[64];
    snapshot_t before = snap();
    slabs_free(&st_s, m);
    expect_report(&before, 1, "foreign-pointer", m);
    slabs_free(&st_s, local);
    expect_report(&before, 2, "foreign-pointer", local);
    free(m);
    slabs_free(&st_s, mine);
}
END_TEST

START_TEST(interior_pointer_is_reported)
{
    char *p = slabs_alloc(&st_s, 100);   /* class 128 */
    ck_assert_ptr_nonnull(p);
    st_stamp(p, 100, 42);
    snapshot_t before = snap();
    slabs_free(&st_s, p + 16);
    expect_report(&before, 1, "interior-pointer", p + 16);
    slabs_free(&st_s, p + 112);
    expect_report(&before, 2, "interior-pointer", p + 112);
    ck_assert_uint_eq(st_damage(p, 100, 42), 100);
    slabs_free(&st_s, p);
    ck_assert_uint_eq(mc.count, 2);
}
END_TEST

START_TEST(misaligned_pointer_is_reported)
{
    char *p = slabs_alloc(&st_s, 100);
    ck_assert_ptr_nonnull(p);
    snapshot_t before = snap();
    slabs_free(&st_s, p + 1);
    expect_report(&before, 1, "misaligned-pointer", p + 1);
    slabs_free(&st_s, p + 8);
    expect_report(&before, 2, "misaligned-pointer", p + 8);
    slabs_free(&st_s, p);
    ck_assert_uint_eq(mc.count, 2);
}
END_TEST

START_TEST(freed_large_object_is_foreign)
{
    char *big = slabs_alloc(&st_s, 100000);
    ck_assert_ptr_nonnull(big);
    slabs_free(&st_s, big);
    snapshot_t before = snap();
    slabs_free(&st_s, big);
    expect_report(&before, 1, "foreign-pointer", big);
}
END_TEST

START_TEST(pointer_deep_inside_large_object_is_foreign)
{
    char *big = slabs_alloc(&st_s, 300000);
    ck_assert_ptr_nonnull(big);
    st_stamp(big, 300000, 43);
    snapshot_t before = snap();
    char *deep = big + 2 * (1u << 16);
    slabs_free(&st_s, deep);
    expect_report(&before, 1, "foreign-pointer", deep);
    slabs_free(&st_s, big + 32);
    ck_assert_uint_eq(mc.count, 2);
    ck_assert_str_eq(mc.last.kind, "interior-pointer");
    ck_assert_uint_eq(st_damage(big, 300000, 43), 300000);
    ck_assert_uint_eq(st_stats(&st_s).large_objects, 1);
    slabs_free(&st_s, big);
}
END_TEST

START_TEST(free_after_trim_is_foreign)
{
    char *p = slabs_alloc(&st_s, 700);
    ck_assert_ptr_nonnull(p);
    slabs_free(&st_s, p);
    ck_assert_uint_eq(slabs_trim(&st_s, 0), 1u << 16);   /* its slab went back */
    snapshot_t before = snap();
    slabs_free(&st_s, p);   /* looked up, never read: its memory is gone */
    expect_report(&before, 1, "foreign-pointer", p);
}
END_TEST

START_TEST(foreign_pointer_before_any_slab)
{
    /* no block registered yet: the lookup still answers */
    alignas(16) char local[32];
    snapshot_t before = snap();
    slabs_free(&st_s, local);
    expect_report(&before, 1, "foreign-pointer", local);
}
END_TEST

START_TEST(pointer_into_slab_header_is_foreign)
{
    char *p = slabs_alloc(&st_s, 100);
    ck_assert_ptr_nonnull(p);
    char *slab = (char *)((uintptr_t)p & ~(uintptr_t)((1u << 16) - 1));
    snapshot_t before = snap();
    slabs_free(&st_s, slab + 16);   /* the stage-01 block header, not an object */
    expect_report(&before, 1, "foreign-pointer", slab + 16);
    slabs_free(&st_s, slab);        /* the block itself */
    expect_report(&before, 2, "foreign-pointer", slab);
    slabs_free(&st_s, p);
}
END_TEST

/* Fills exactly one slab of the class of `size`; returns its objects
 * (malloc'd array, the caller frees it), the class and chunks per slab. */
static void **fill_one_slab(size_t size, size_t *cls, size_t *per)
{
    *cls = slabs_class_of(&st_s, size);
    *per = st_cstats(&st_s, *cls).chunks_per_slab;
    void **p = malloc(*per * sizeof *p);
    ck_assert_ptr_nonnull(p);
    for (size_t i = 0; i < *per; i++)
        ck_assert_ptr_nonnull(p[i] = slabs_alloc(&st_s, size));
    return p;
}

START_TEST(write_after_free_is_caught_on_reuse)
{
    /* fill one slab of the 1024 class, free one object, damage it, and
     * allocate: stage 01 reports the damage and withholds the chunk, so the
     * slab is full and the object comes from a new slab */
    size_t cls, per;
    void **p = fill_one_slab(1000, &cls, &per);
    slabs_free(&st_s, p[3]);
    ck_assert_uint_eq(sneak_byte(p[3], 1024, 100), FILL_FREED);
    sneak_poke(p[3], 1024, 100, 0x42);
    void *q = slabs_alloc(&st_s, 1000);
    ck_assert_ptr_nonnull(q);
    ck_assert_ptr_ne(q, p[3]);
    ck_assert_uint_eq(mc.count, 1);
    ck_assert_str_eq(mc.last.kind, "use-after-free");
    ck_assert_ptr_eq(mc.last.addr, p[3]);
    ck_assert_uint_eq(st_cstats(&st_s, cls).slabs, 2);
    ck_assert_uint_eq(st_cstats(&st_s, cls).used, per);
    /* the withheld chunk is neither used nor free: the new slab's chunks
     * but q are the only free ones */
    ck_assert_uint_eq(st_cstats(&st_s, cls).free, per - 1);
    ck_assert_uint_eq(slabs_check(&st_s), 0);
    slabs_free(&st_s, q);
    for (size_t i = 0; i < per; i++)
        if (i != 3)
            slabs_free(&st_s, p[i]);
    free(p);
    ck_assert_uint_eq(mc.count, 1);
}
END_TEST

/* Every free chunk of a slab damaged after free: stage 01 withholds them
 * all, the slab has nothing live and nothing to give, so it is released
 * rather than stranded on the full list, and a new slab serves. */
START_TEST(slab_with_every_chunk_withheld_is_released)
{
    size_t cls, per;
    void **p = fill_one_slab(1000, &cls, &per);
    for (size_t i = 0; i < per; i++) {
        slabs_free(&st_s, p[i]);
        sneak_poke(p[i], 1024, 100, 0x42);
    }
    size_t held = st_stats(&st_s).bytes_from_source;
    void *q = slabs_alloc(&st_s, 1000);
    ck_assert_ptr_nonnull(q);
    ck_assert_uint_eq(mc.count, per);
    ck_assert_str_eq(mc.last.kind, "use-after-free");
    ck_assert_uint_eq(st_cstats(&st_s, cls).slabs, 1); /* the damaged one went back */
    ck_assert_uint_eq(st_stats(&st_s).bytes_from_source, held);
    ck_assert_uint_eq(slabs_check(&st_s), 0);
    slabs_free(&st_s, q);
    free(p);
}
END_TEST

START_TEST(registry_growth_failure_is_enomem)
{
    /* the first slab of a checked allocator needs the registry first */
    failing_source_fail_after(&st_fs, 0);
    errno = 0;
    ck_assert_ptr_null(slabs_alloc(&st_s, 100));
    ck_assert_int_eq(errno, ENOMEM);
    ck_assert_uint_eq(st_fs.live_bytes, st_s.meta_bytes);
    ck_assert_uint_eq(slabs_check(&st_s), 0);
    failing_source_fail_after(&st_fs, 1);   /* the registry, then nothing */
    errno = 0;
    ck_assert_ptr_null(slabs_alloc(&st_s, 100));
    ck_assert_int_eq(errno, ENOMEM);
    ck_assert_uint_eq(slabs_check(&st_s), 0);
    failing_source_recover(&st_fs);
    void *p = slabs_alloc(&st_s, 100);
    ck_assert_ptr_nonnull(p);
    slabs_free(&st_s, p);
    ck_assert_uint_eq(mc.count, 0);
}
END_TEST

/* ---- realloc and usable_size ----------------------------------------------- */

START_TEST(realloc_of_freed_object_is_reported)
{
    void *keep = slabs_alloc(&st_s, 100);
    void *p = slabs_alloc(&st_s, 100);
    ck_assert_ptr_nonnull(p);
    slabs_free(&st_s, p);
    snapshot_t before = snap();
    errno = 0;
    ck_assert_ptr_null(slabs_realloc(&st_s, p, 200));
    ck_assert_int_eq(errno, EINVAL);
    ck_assert_uint_eq(mc.count, 1);
    ck_assert_str_eq(mc.last.kind, "use-after-free");
    ck_assert_ptr_eq(mc.last.addr, p);
    snapshot_t after = snap();
    ck_assert_mem_eq(&before, &after, sizeof after);
    slabs_free(&st_s, keep);
}
END_TEST

START_TEST(realloc_of_foreign_pointer_is_reported)
{
    void *keep = slabs_alloc(&st_s, 100);
    char *m = malloc(64);
    ck_assert_ptr_nonnull(m);
    snapshot_t before = snap();
    errno = 0;
    ck_assert_ptr_null(slabs_realloc(&st_s, m, 200));
    ck_assert_int_eq(errno, EINVAL);
    expect_report(&before, 1, "foreign-pointer", m);
    free(m);
    slabs_free(&st_s, keep);
}
END_TEST

START_TEST(realloc_of_interior_pointer_is_reported)
{
    char *p = slabs_alloc(&st_s, 100);
    ck_assert_ptr_nonnull(p);
    st_stamp(p, 100, 44);
    snapshot_t before = snap();
    errno = 0;
    ck_assert_ptr_null(slabs_realloc(&st_s, p + 32, 500));
    ck_assert_int_eq(errno, EINVAL);
    expect_report(&before, 1, "interior-pointer", p + 32);
    ck_assert_uint_eq(st_damage(p, 100, 44), 100);
    slabs_free(&st_s, p);
}
END_TEST

START_TEST(usable_size_of_foreign_pointer_is_reported)
{
    void *keep = slabs_alloc(&st_s, 100);
    alignas(16) char local[32];
    snapshot_t before = snap();
    ck_assert_uint_eq(slabs_usable_size(&st_s, local), 0);
    expect_report(&before, 1, "foreign-pointer", local);
    slabs_free(&st_s, keep);
}
END_TEST

START_TEST(usable_size_of_freed_object_is_reported)
{
    void *keep = slabs_alloc(&st_s, 100);
    void *p = slabs_alloc(&st_s, 100);
    ck_assert_ptr_nonnull(p);
    slabs_free(&st_s, p);
    snapshot_t before = snap();
    ck_assert_uint_eq(slabs_usable_size(&st_s, p), 0);
    expect_report(&before, 1, "use-after-free", p);
    slabs_free(&st_s, keep);
}
END_TEST

START_TEST(valid_use_reports_nothing)
{
    rng_t r = {9};
    void *p[200];
    for (int round = 0; round < 5; round++) {
        for (size_t i = 0; i < 200; i++)
            ck_assert_ptr_nonnull(p[i] = slabs_alloc(&st_s, 1 + rng_below(&r, 6000)));
        for (size_t i = 0; i < 200; i += 3)
            ck_assert_ptr_nonnull(p[i] = slabs_realloc(&st_s, p[i], 1 + rng_below(&r, 6000)));
        for (size_t i = 0; i < 200; i++) {
            ck_assert_uint_gt(slabs_usable_size(&st_s, p[i]), 0);
            slabs_free(&st_s, p[i]);
        }
        slabs_trim(&st_s, round % 2);
    }
    ck_assert_uint_eq(mc.count, 0);
}
END_TEST

/* ---- death tests: the default handler aborts --------------------------------- */

/* Runs in the test's child (fork mode), whose stderr goes nowhere: the
 * expected report does not clutter the test output. */
static void death_setup(void)
{
    ck_assert_ptr_nonnull(freopen("/dev/null", "w", stderr));
    st_init(checked_cfg);   /* the default handler stays installed */
}

START_TEST(double_free_aborts)
{
    void *keep = slabs_alloc(&st_s, 100);
    void *p = slabs_alloc(&st_s, 100);
    (void)keep;
    slabs_free(&st_s, p);
    slabs_free(&st_s, p);
}
END_TEST

START_TEST(foreign_pointer_aborts)
{
    char *m = malloc(64);
    ck_assert_ptr_nonnull(m);
    (void)slabs_alloc(&st_s, 100);
    slabs_free(&st_s, m);
}
END_TEST

START_TEST(interior_pointer_aborts)
{
    char *p = slabs_alloc(&st_s, 100);
    slabs_free(&st_s, p + 16);
}
END_TEST

Suite *slabs_misuse_suite(void)
{
    Suite *s = suite_create("slabs-misuse");
    TCase *tc = tcase_create("checked");
    tcase_set_tags(tc, "edge");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, double_free_is_reported_once);
    tcase_add_test(tc, double_free_in_every_class);
    tcase_add_test(tc, free_after_reset_is_double_free);
    tcase_add_test(tc, pointer_from_another_allocator_is_foreign);
    tcase_add_test(tc, pointer_from_a_pool_is_foreign);
    tcase_add_test(tc, pointer_from_malloc_or_stack_is_foreign);
    tcase_add_test(tc, interior_pointer_is_reported);
    tcase_add_test(tc, misaligned_pointer_is_reported);
    tcase_add_test(tc, freed_large_object_is_foreign);
    tcase_add_test(tc, pointer_deep_inside_large_object_is_foreign);
    tcase_add_test(tc, free_after_trim_is_foreign);
    tcase_add_test(tc, foreign_pointer_before_any_slab);
    tcase_add_test(tc, pointer_into_slab_header_is_foreign);
    tcase_add_test(tc, write_after_free_is_caught_on_reuse);
    tcase_add_test(tc, slab_with_every_chunk_withheld_is_released);
    tcase_add_test(tc, registry_growth_failure_is_enomem);
    tcase_add_test(tc, realloc_of_freed_object_is_reported);
    tcase_add_test(tc, realloc_of_interior_pointer_is_reported);
    tcase_add_test(tc, usable_size_of_foreign_pointer_is_reported);
    tcase_add_test(tc, realloc_of_foreign_pointer_is_reported);
    tcase_add_test(tc, usable_size_of_freed_object_is_reported);
    tcase_add_test(tc, valid_use_reports_nothing);
    suite_add_tcase(s, tc);

    /* death tests: no teardown (the child dies); the parent never ran setup */
    tc = tcase_create("death");
    tcase_set_tags(tc, "misuse");
    tcase_add_checked_fixture(tc, death_setup, NULL);
    tcase_add_test_raise_signal(tc, double_free_aborts, SIGABRT);
    tcase_add_test_raise_signal(tc, foreign_pointer_aborts, SIGABRT);
    tcase_add_test_raise_signal(tc, interior_pointer_aborts, SIGABRT);
    suite_add_tcase(s, tc);
    return s;
}

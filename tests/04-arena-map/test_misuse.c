/*
 * test_misuse.c - what AMAP_CHECKED catches: a mutation other than
 * amap_del during an iteration (reported at the next amap_next, kind
 * "mutation-during-iteration"), and amap_destroy() of a map from
 * amap_new() (kind "destroy-of-arena-map", reported with or without the
 * flag, the map left alive).  With the default handler the process aborts
 * (the death tests, tag misuse: fork mode only).
 */
#define _POSIX_C_SOURCE 200809L

#include <signal.h>
#include <unistd.h>

#include "amap_test.h"

#define MUTATION "mutation-during-iteration"

static void setup(void)
{
    mt_setup();
    mt_misuse_install();
}

static void teardown(void)
{
    mt_misuse_remove();
    mt_finish();
}

/* A checked (or not) I64 -> STR map of n entries. */
static void filled(amap_t *m, unsigned flags, int64_t n)
{
    mt_map_init(m, AMAP_I64, AMAP_STR, 0, flags);
    for (int64_t i = 0; i < n; i++)
        MT_RC(amap_put(m, amap_i64(i), amap_cstr("v")), 1);
}

START_TEST(put_during_iteration_is_reported_at_next)
{
    amap_t m;
    filled(&m, AMAP_CHECKED, 10);
    amap_iter_t it = amap_iter(&m);
    amap_val_t k, v;
    ck_assert(amap_next(&it, &k, &v));
    ck_assert_int_eq(amap_put(&m, amap_i64(100), amap_cstr("new")), 1);
    mt_expect_reports(0, MUTATION); /* not at the put */
    (void)amap_next(&it, &k, &v);
    mt_expect_reports(1, MUTATION);
    ck_assert_ptr_eq(mt_mc.last.addr, &m);
    /* a replace is a mutation too (a put may rebuild the table) */
    it = amap_iter(&m);
    ck_assert(amap_next(&it, &k, &v));
    ck_assert_int_eq(amap_put(&m, k, amap_cstr("replaced")), 0);
    (void)amap_next(&it, &k, &v);
    mt_expect_reports(2, MUTATION);
    amap_destroy(&m);
}
END_TEST

START_TEST(clear_and_reserve_during_iteration_are_reported)
{
    amap_t m;
    filled(&m, AMAP_CHECKED, 10);
    amap_iter_t it = amap_iter(&m);
    amap_val_t k;
    ck_assert(amap_next(&it, &k, NULL));
    amap_clear(&m);
    ck_assert(!amap_next(&it, &k, NULL));
    mt_expect_reports(1, MUTATION);
    ck_assert_int_eq(amap_put(&m, amap_i64(1), amap_cstr("v")), 1);
    it = amap_iter(&m);
    ck_assert(amap_next(&it, &k, NULL));
    ck_assert_int_eq(amap_reserve(&m, 1000), 0);
    (void)amap_next(&it, &k, NULL);
    mt_expect_reports(2, MUTATION);
    amap_destroy(&m);
}
END_TEST

START_TEST(delete_and_reads_during_iteration_are_not_misuse)
{
    amap_t m;
    filled(&m, AMAP_CHECKED, 100);
    amap_iter_t it = amap_iter(&m);
    amap_val_t k, v;
    size_t n = 0;
    while (amap_next(&it, &k, &v)) {
        ck_assert(amap_has(&m, k));
        ck_assert_int_eq(amap_get(&m, k, &v), 0);
        ck_assert_int_eq(amap_del(&m, k), 0);
        (void)amap_del(&m, amap_i64(k.i64 + 1)); /* another one */
        ck_assert_int_eq(amap_put(&m, amap_i64(-1), amap_f64(1.0)), -EINVAL); /* refused: changes nothing */
        n++;
    }
    ck_assert_uint_gt(n, 0);
    ck_assert_uint_eq(amap_len(&m), 0);
    mt_expect_reports(0, MUTATION);
    amap_destroy(&m);
}
END_TEST

START_TEST(unchecked_map_reports_no_mutation)
{
    amap_t m;
    filled(&m, 0, 10);
    amap_iter_t it = amap_iter(&m);
    amap_val_t k;
    ck_assert(amap_next(&it, &k, NULL));
    ck_assert_int_eq(amap_put(&m, amap_i64(100), amap_cstr("new")), 1);
    (void)amap_next(&it, &k, NULL);
    mt_expect_reports(0, MUTATION);
    amap_destroy(&m);
}
END_TEST

START_TEST(destroy_of_arena_map_is_reported_always)
{
    for (unsigned flags = 0; flags <= AMAP_CHECKED; flags += AMAP_CHECKED) {
        amap_config_t cfg = mt_config(AMAP_STR, AMAP_STR, 0, flags);
        handle_t h = amap_new(&mt_a, &cfg);
        amap_t *m = amap_of(&mt_a, h);
        ck_assert_int_eq(amap_put(m, amap_cstr("k"), amap_cstr("v")), 1);
        size_t live = mt_live();
        amap_destroy(m);
        mt_expect_reports(flags ? 2 : 1, "destroy-of-arena-map");
        ck_assert_ptr_eq(mt_mc.last.addr, m);
        /* nothing was freed: the map is alive and whole */
        ck_assert_ptr_eq(amap_of(&mt_a, h), m);
        ck_assert_uint_eq(mt_live(), live);
        ck_assert(amap_has(m, amap_cstr("k")));
        ck_assert_uint_eq(amap_check(m), 0);
        ck_assert_int_eq(arena_release(&mt_a, h), 0);
        ck_assert_uint_eq(mt_live(), 0);
    }
}
END_TEST

/* ---- default handler: death tests ---------------------------------------------- */

static void death_setup(void)
{
    mt_setup();
    misuse_set_handler(NULL, NULL);
}

START_TEST(mutation_during_iteration_aborts)
{
    amap_t m;
    filled(&m, AMAP_CHECKED, 10);
    amap_iter_t it = amap_iter(&m);
    amap_val_t k;
    ck_assert(amap_next(&it, &k, NULL));
    ck_assert_int_eq(amap_put(&m, amap_i64(100), amap_cstr("new")), 1);
    misuse_silence_stderr();
    (void)amap_next(&it, &k, NULL);
    ck_abort_msg("amap_next after a put returned with the default handler");
}
END_TEST

START_TEST(destroy_of_arena_map_aborts)
{
    amap_config_t cfg = mt_config(AMAP_U64, AMAP_U64, 0, 0);
    handle_t h = amap_new(&mt_a, &cfg);
    misuse_silence_stderr();
    amap_destroy(amap_of(&mt_a, h));
    ck_abort_msg("amap_destroy of an amap_new map returned with the default handler");
}
END_TEST

Suite *amap_misuse_suite(void)
{
    Suite *s = suite_create("amap-misuse");
    TCase *tc = tcase_create("counted");
    tcase_set_tags(tc, "edge");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, put_during_iteration_is_reported_at_next);
    tcase_add_test(tc, clear_and_reserve_during_iteration_are_reported);
    tcase_add_test(tc, delete_and_reads_during_iteration_are_not_misuse);
    tcase_add_test(tc, unchecked_map_reports_no_mutation);
    tcase_add_test(tc, destroy_of_arena_map_is_reported_always);
    suite_add_tcase(s, tc);

    /* death tests: no teardown (the child dies) */
    tc = tcase_create("death");
    tcase_set_tags(tc, "misuse");
    tcase_add_checked_fixture(tc, death_setup, NULL);
    tcase_add_test_raise_signal(tc, mutation_during_iteration_aborts, SIGABRT);
    tcase_add_test_raise_signal(tc, destroy_of_arena_map_aborts, SIGABRT);
    suite_add_tcase(s, tc);
    return s;
}

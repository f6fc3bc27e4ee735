/*
 * test_misuse.c - releasing a handle that is not live (a stale handle, a
 * double release, a forged value) is misuse: it is reported through the
 * misuse handler with allocator "arena" and kind "stale-handle", changes
 * nothing, and returns -ESTALE when the handler returns.  With the default
 * handler the process aborts (the death tests, tag misuse: fork mode only).
 */
#define _POSIX_C_SOURCE 200809L

#include <signal.h>
#include <unistd.h>

#include "arena_test.h"

static void setup(void)
{
    at_setup();
    at_misuse_install();
}

static void teardown(void)
{
    at_misuse_remove();
    at_finish();
}

START_TEST(release_of_stale_handle_is_reported)
{
    handle_t keep = at_alloc_filled(&at_a, 32);
    handle_t h = at_alloc_filled(&at_a, 32);
    ck_assert_int_eq(arena_release(&at_a, h), 0);
    arena_stats_t before = at_stats(&at_a);
    ck_assert_int_eq(arena_release(&at_a, h), -ESTALE);
    at_expect_stale_reports(1);
    ck_assert_ptr_eq(at_mc.last.addr, (const void *)(uintptr_t)h);
    arena_stats_t after = at_stats(&at_a);
    ck_assert_mem_eq(&before, &after, sizeof after);
    ck_assert_uint_eq(arena_check(&at_a), 0);
    /* the slot reused: the old handle is still stale, the new object untouched */
    handle_t g = at_alloc_filled(&at_a, 32);
    ck_assert_int_eq(arena_release(&at_a, h), -ESTALE);
    at_expect_stale_reports(2);
    ck_assert_uint_eq(arena_refcount(&at_a, g), 1);
    at_verify(&at_a, g);
    at_verify(&at_a, keep);
    ck_assert_int_eq(arena_release(&at_a, g), 0);
    ck_assert_int_eq(arena_release(&at_a, keep), 0);
    at_expect_stale_reports(2);
}
END_TEST

START_TEST(double_release_of_shared_object_is_reported_once)
{
    handle_t h = at_alloc_filled(&at_a, 8);
    ck_assert_int_eq(arena_share(&at_a, h), 0);
    ck_assert_int_eq(arena_release(&at_a, h), 1);
    ck_assert_int_eq(arena_release(&at_a, h), 0);
    at_expect_stale_reports(0);
    ck_assert_int_eq(arena_release(&at_a, h), -ESTALE);
    at_expect_stale_reports(1);
}
END_TEST

START_TEST(release_of_forged_handles_is_reported)
{
    handle_t h = at_alloc_filled(&at_a, 8);
    handle_t forged[] = {HANDLE_NULL, 0xFFFFFFFFu, h & at_a.index_mask,
                         h + (1u << at_a.index_bits), (h & ~at_a.index_mask) | 500};
    for (size_t k = 0; k < sizeof forged / sizeof forged[0]; k++) {
        ck_assert_int_eq(arena_release(&at_a, forged[k]), -ESTALE);
        at_expect_stale_reports(k + 1);
    }
    ck_assert_uint_eq(arena_refcount(&at_a, h), 1);
    ck_assert_int_eq(arena_release(&at_a, h), 0);
}
END_TEST

START_TEST(release_after_reset_is_reported)
{
    handle_t h = at_alloc_filled(&at_a, 8);
    arena_reset(&at_a);
    ck_assert_int_eq(arena_release(&at_a, h), -ESTALE);
    at_expect_stale_reports(1);
    ck_assert_uint_eq(arena_check(&at_a), 0);
}
END_TEST

START_TEST(valid_use_reports_nothing)
{
    handle_t h = arena_alloc(&at_a, 8), s = arena_intern(&at_a, "a", 1);
    ck_assert_int_eq(arena_share(&at_a, h), 0);
    ck_assert_int_eq(arena_resize(&at_a, h, 800), 0);
    ck_assert_int_eq(arena_release(&at_a, h), 1);
    ck_assert_int_eq(arena_release(&at_a, h), 0);
    ck_assert_int_eq(arena_share(&at_a, h), -ESTALE); /* a weak handle: not misuse */
    ck_assert_int_eq(arena_release(&at_a, s), 0);
    at_expect_stale_reports(0);
}
END_TEST

/* ---- default handler: death tests ---------------------------------------------- */

static void death_setup(void)
{
    at_setup();
    misuse_set_handler(NULL, NULL);
}

START_TEST(double_release_aborts)
{
    handle_t h = arena_alloc(&at_a, 8);
    ck_assert_int_eq(arena_release(&at_a, h), 0);
    misuse_silence_stderr();
    arena_release(&at_a, h);
    ck_abort_msg("double release returned with the default handler");
}
END_TEST

START_TEST(release_of_forged_handle_aborts)
{
    misuse_silence_stderr();
    arena_release(&at_a, 0x12345u);
    ck_abort_msg("release of a forged handle returned with the default handler");
}
END_TEST

Suite *arena_misuse_suite(void)
{
    Suite *s = suite_create("arena-misuse");
    TCase *tc = tcase_create("counted");
    tcase_set_tags(tc, "edge");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, release_of_stale_handle_is_reported);
    tcase_add_test(tc, double_release_of_shared_object_is_reported_once);
    tcase_add_test(tc, release_of_forged_handles_is_reported);
    tcase_add_test(tc, release_after_reset_is_reported);
    tcase_add_test(tc, valid_use_reports_nothing);
    suite_add_tcase(s, tc);

    /* death tests: no teardown (the child dies) */
    tc = tcase_create("death");
    tcase_set_tags(tc, "misuse");
    tcase_add_checked_fixture(tc, death_setup, NULL);
    tcase_add_test_raise_signal(tc, double_release_aborts, SIGABRT);
    tcase_add_test_raise_signal(tc, release_of_forged_handle_aborts, SIGABRT);
    suite_add_tcase(s, tc);
    return s;
}

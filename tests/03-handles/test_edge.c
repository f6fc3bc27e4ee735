/*
 * test_edge.c - stage 03 at its limits: sizes it refuses, configurations it
 * rejects (with nothing acquired), the max_handles cap, and handles it never
 * gave out.
 */
#include "arena_test.h"

/* ---- sizes ----------------------------------------------------------------------- */

START_TEST(size_zero_and_too_big_are_einval)
{
    arena_stats_t before = at_stats(&at_a);
    errno = 0;
    ck_assert_uint_eq(arena_alloc(&at_a, 0), HANDLE_NULL);
    ck_assert_int_eq(errno, EINVAL);
#if SIZE_MAX > UINT32_MAX
    errno = 0;
    ck_assert_uint_eq(arena_alloc(&at_a, ARENA_MAX_SIZE + 1), HANDLE_NULL);
    ck_assert_int_eq(errno, EINVAL);
#endif
    errno = 0;
    ck_assert_uint_eq(arena_alloc(&at_a, SIZE_MAX), HANDLE_NULL);
    ck_assert_int_eq(errno, EINVAL);
    arena_stats_t after = at_stats(&at_a);
    ck_assert_mem_eq(&before, &after, sizeof after);
    /* resize refuses the same sizes, the object untouched */
    handle_t h = at_alloc_filled(&at_a, 30);
    ck_assert_int_eq(arena_resize(&at_a, h, 0), -EINVAL);
    ck_assert_int_eq(arena_resize(&at_a, h, SIZE_MAX), -EINVAL);
    ck_assert_uint_eq(arena_size(&at_a, h), 30);
    at_verify(&at_a, h);
    ck_assert_int_eq(arena_release(&at_a, h), 0);
    ck_assert_int_eq(arena_resize(&at_a, h, 10), -ESTALE);
}
END_TEST

/* ---- configurations ---------------------------------------------------------------- */

/* arena_init(cfg) must fail with -EINVAL, acquire nothing and leave a
 * zeroed arena that arena_destroy() accepts. */
static void expect_rejected(const arena_config_t *cfg)
{
    failing_source_init(&at_fs, NULL);
    arena_config_t c;
    const arena_config_t *pc = NULL;
    if (cfg) {
        c = at_config(*cfg);
        pc = &c;
    }
    arena_t a;
    memset(&a, 0x5A, sizeof a);
    ck_assert_int_eq(arena_init(&a, pc), -EINVAL);
    ck_assert_uint_eq(at_fs.acquisitions, 0);
    static const arena_t zero;
    ck_assert_mem_eq(&a, &zero, sizeof a);
    arena_destroy(&a);
    ck_assert_uint_eq(at_fs.releases, 0);
}

START_TEST(bad_configurations_are_einval_with_nothing_acquired)
{
    expect_rejected(NULL);
    expect_rejected(&(arena_config_t){.index_bits = ARENA_MIN_INDEX_BITS - 1});
    expect_rejected(&(arena_config_t){.index_bits = ARENA_MAX_INDEX_BITS + 1});
    expect_rejected(&(arena_config_t){.index_bits = 32});
    expect_rejected(&(arena_config_t){.index_bits = 8, .max_handles = 256});
    expect_rejected(&(arena_config_t){.index_bits = 8, .max_handles = UINT32_MAX});
    expect_rejected(&(arena_config_t){.max_handles = 1u << 20}); /* default 20 bits */
    expect_rejected(&(arena_config_t){.flags = 1u << 3});
    expect_rejected(&(arena_config_t){.flags = ARENA_ZERO | (1u << 31)});
    expect_rejected(&(arena_config_t){.slabs = {.growth = 0.5}});
    /* the limits themselves are accepted */
    static const arena_config_t ok[] = {
        {.index_bits = 8, .max_handles = 255}, {.index_bits = 28}, {.max_handles = (1u << 20) - 1},
        {.flags = ARENA_ZERO | ARENA_CHECKED | ARENA_LEAK_REPORT}};
    for (size_t k = 0; k < sizeof ok / sizeof ok[0]; k++) {
        at_init(ok[k]);
        at_finish();
    }
}
END_TEST

START_TEST(null_arena_is_einval)
{
    arena_config_t cfg = {0};
    ck_assert_int_eq(arena_init(NULL, &cfg), -EINVAL);
}
END_TEST

START_TEST(refused_source_at_init_is_enomem)
{
    failing_source_init(&at_fs, NULL);
    failing_source_fail_after(&at_fs, 0);
    arena_config_t cfg = at_config((arena_config_t){0});
    arena_t a;
    ck_assert_int_eq(arena_init(&a, &cfg), -ENOMEM);
    ck_assert_uint_eq(at_fs.live_acquisitions, 0);
    arena_destroy(&a);
}
END_TEST

/* ---- max_handles ------------------------------------------------------------------- */

START_TEST(max_handles_reached_is_enospc_and_changes_nothing)
{
    at_init((arena_config_t){.index_bits = 8, .max_handles = 5});
    handle_t h[5];
    for (int k = 0; k < 5; k++)
        h[k] = at_alloc_filled(&at_a, 20);
    arena_stats_t before = at_stats(&at_a);
    for (int k = 0; k < 3; k++) {
        errno = 0;
        ck_assert_uint_eq(arena_alloc(&at_a, 20), HANDLE_NULL);
        ck_assert_int_eq(errno, ENOSPC);
        errno = 0;
        ck_assert_uint_eq(arena_intern(&at_a, "new", 3), HANDLE_NULL);
        ck_assert_int_eq(errno, ENOSPC);
    }
    arena_stats_t after = at_stats(&at_a);
    ck_assert_uint_eq(after.live, before.live);
    ck_assert_uint_eq(after.slots, before.slots);
    ck_assert_uint_eq(after.free_slots, before.free_slots);
    ck_assert_uint_eq(after.interned, 0);
    ck_assert_uint_eq(after.bytes_from_source, at_fs.live_bytes);
    ck_assert_uint_eq(arena_check(&at_a), 0);
    for (int k = 0; k < 5; k++)
        at_verify(&at_a, h[k]);
    /* one free slot is enough again */
    ck_assert_int_eq(arena_release(&at_a, h[2]), 0);
    h[2] = at_alloc_filled(&at_a, 20);
    for (int k = 0; k < 5; k++)
        ck_assert_int_eq(arena_release(&at_a, h[k]), 0);
    at_finish();
}
END_TEST

/* ---- handles never given out --------------------------------------------------------- */

static void noop_cleanup(void *obj, size_t size, void *ctx)
{
    (void)obj;
    (void)size;
    (void)ctx;
    ck_abort_msg("a cleanup registered on a forged handle ran");
}

static void expect_forged(handle_t h)
{
    at_expect_stale(&at_a, h);
    ck_assert_int_eq(arena_share(&at_a, h), -ESTALE);
    ck_assert_int_eq(arena_resize(&at_a, h, 8), -ESTALE);
    ck_assert_int_eq(arena_on_free(&at_a, h, noop_cleanup, NULL), -ESTALE);
}

START_TEST(forged_handles_resolve_to_nothing)
{
    /* before the table exists */
    at_expect_stale(&at_a, HANDLE_NULL);
    at_expect_stale(&at_a, 1);
    at_expect_stale(&at_a, 0xFFFFFFFFu);
    handle_t h[10];
    for (int k = 0; k < 10; k++)
        h[k] = at_alloc_filled(&at_a, 12);
    uint32_t m = at_a.index_mask, b = at_a.index_bits;
    uint32_t slot = h[4] & m, gen = h[4] >> b;
    static const uint32_t far[] = {11, 63, 64, 1000, (1u << 20) - 1};
    handle_t forged[] = {
        HANDLE_NULL,
        0xFFFFFFFFu,
        slot,                              /* generation 0 */
        (handle_t)((gen + 1) << b) | slot, /* a generation not yet given */
        (handle_t)(gen << b),              /* slot 0 */
        (handle_t)((gen + 1) << b) | 0,
    };
    for (size_t k = 0; k < sizeof forged / sizeof forged[0]; k++)
        expect_forged(forged[k]);
    for (size_t k = 0; k < sizeof far / sizeof far[0]; k++) {
        expect_forged((handle_t)(1u << b) | far[k]); /* slots never used */
        expect_forged((handle_t)(7u << b) | far[k]);
    }
    /* every generation of every slot in the table, but the live ones */
    for (uint32_t i = 0; i < 20; i++)
        for (uint32_t g = 0; g < 64; g++) {
            handle_t f = (handle_t)(g << b) | i;
            bool live = false;
            for (int k = 0; k < 10; k++)
                live |= f == h[k];
            if (!live)
                at_expect_stale(&at_a, f);
        }
    for (int k = 0; k < 10; k++) {
        at_verify(&at_a, h[k]);
        ck_assert_int_eq(arena_release(&at_a, h[k]), 0);
    }
}
END_TEST

START_TEST(forged_handles_with_few_index_bits)
{
    at_init((arena_config_t){.index_bits = 8});
    handle_t h = at_alloc_filled(&at_a, 4);
    ck_assert_uint_eq(h, (1u << 8) | 1u);
    for (uint32_t f = 0; f < (1u << 16); f++)
        if (f != h)
            AT_EQ(arena_get(&at_a, f), NULL);
    AT_EQ(arena_get(&at_a, 0xFFFFFFFFu), NULL);
    AT_EQ(arena_get(&at_a, 0xFFFFFF01u), NULL);
    at_verify(&at_a, h);
    ck_assert_int_eq(arena_release(&at_a, h), 0);
    at_finish();
}
END_TEST

START_TEST(share_of_stale_is_estale_and_reports_nothing)
{
    at_misuse_install();
    handle_t h = at_alloc_filled(&at_a, 16);
    ck_assert_int_eq(arena_release(&at_a, h), 0);
    ck_assert_int_eq(arena_share(&at_a, h), -ESTALE);
    ck_assert_int_eq(arena_share(&at_a, HANDLE_NULL), -ESTALE);
    ck_assert_int_eq(arena_share(&at_a, 0xFFFFFFFFu), -ESTALE);
    at_expect_stale_reports(0);
    ck_assert_uint_eq(at_stats(&at_a).live, 0);
    at_misuse_remove();
}
END_TEST

Suite *arena_edge_suite(void)
{
    Suite *s = suite_create("arena-edge");
    TCase *tc = tcase_create("fixture");
    tcase_set_tags(tc, "edge");
    tcase_add_checked_fixture(tc, at_setup, at_teardown);
    tcase_add_test(tc, size_zero_and_too_big_are_einval);
    tcase_add_test(tc, forged_handles_resolve_to_nothing);
    tcase_add_test(tc, share_of_stale_is_estale_and_reports_nothing);
    suite_add_tcase(s, tc);

    tc = tcase_create("config");
    tcase_set_tags(tc, "edge");
    tcase_add_test(tc, bad_configurations_are_einval_with_nothing_acquired);
    tcase_add_test(tc, null_arena_is_einval);
    tcase_add_test(tc, refused_source_at_init_is_enomem);
    tcase_add_test(tc, max_handles_reached_is_enospc_and_changes_nothing);
    tcase_add_test(tc, forged_handles_with_few_index_bits);
    suite_add_tcase(s, tc);
    return s;
}

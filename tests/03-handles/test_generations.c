/*
 * test_generations.c - stage 03's promise that a stale handle stays stale:
 * with few generations per slot (index_bits 28: 15), every slot is reused
 * until it retires, and every handle ever given out is checked after every
 * step, and after arena_reset().
 */
#include "arena_internal.h"
#include "arena_test.h"
#include "tool_query.h"

/* Every handle ever given out, and whether it is live now. */
enum { HIST_MAX = 4096 };
static handle_t hist[HIST_MAX];
static bool hist_live[HIST_MAX];
static size_t hist_n;

static void remember(handle_t h)
{
    REQUIRE(hist_n < HIST_MAX, "history full");
    for (size_t k = 0; k < hist_n; k++)
        REQUIRE(hist[k] != h, "handle %#x given out twice", (unsigned)h);
    hist[hist_n] = h;
    hist_live[hist_n++] = true;
}

/* Live handles resolve to their own bytes; every other one to nothing. */
static void check_history(void)
{
    for (size_t k = 0; k < hist_n; k++) {
        if (hist_live[k])
            at_verify(&at_a, hist[k]);
        else
            at_expect_stale(&at_a, hist[k]);
    }
    AT_EQ(arena_check(&at_a), 0);
}

static void setup(void)
{
    hist_n = 0;
}

/* Runs slots * 15 lifetimes on max_handles = slots, with a pattern of
 * releases chosen by pattern, until every slot is retired. */
static void retire_all(uint32_t slots, unsigned pattern)
{
    at_init((arena_config_t){.index_bits = 28, .max_handles = slots});
    ck_assert_uint_eq(at_a.gen_max, 15);
    rng_t r = {pattern * 0x9E37u + 1};
    size_t live_n = 0;
    for (;;) {
        bool alloc = live_n == 0 || (pattern == 0 ? live_n < slots : rng_below(&r, 3) != 0);
        if (alloc) {
            handle_t h = arena_alloc(&at_a, 1 + rng_below(&r, 100));
            if (h == HANDLE_NULL) {
                ck_assert_int_eq(errno, ENOSPC);
                if (live_n == 0)
                    break;
            } else {
                remember(h);
                at_fill(&at_a, h);
                live_n++;
                /* slot ids stay inside max_handles, generations inside 1..15 */
                ck_assert_uint_ge(h & at_a.index_mask, 1);
                ck_assert_uint_le(h & at_a.index_mask, slots);
                ck_assert_uint_ge(h >> 28, 1);
                ck_assert_uint_le(h >> 28, 15);
                check_history();
                continue;
            }
        }
        /* release a live one: the newest, the oldest or a random one */
        size_t pick = 0, seen = 0, want = pattern == 1 ? live_n - 1 : pattern == 2 ? 0 : rng_below(&r, live_n);
        for (size_t k = 0; k < hist_n; k++)
            if (hist_live[k] && seen++ == want)
                pick = k;
        ck_assert_int_eq(arena_release(&at_a, hist[pick]), 0);
        hist_live[pick] = false;
        live_n--;
        check_history();
        if (pattern == 3 && rng_below(&r, 10) == 0) {
            arena_reset(&at_a);
            for (size_t k = 0; k < hist_n; k++)
                hist_live[k] = false;
            live_n = 0;
            check_history();
        }
    }
    /* every slot lived exactly 15 times and retired */
    ck_assert_uint_eq(hist_n, (size_t)slots * 15);
    arena_stats_t st = at_stats(&at_a);
    ck_assert_uint_eq(st.retired, slots);
    ck_assert_uint_eq(st.free_slots, 0);
    ck_assert_uint_eq(st.live, 0);
    errno = 0;
    ck_assert_uint_eq(arena_alloc(&at_a, 8), HANDLE_NULL);
    ck_assert_int_eq(errno, ENOSPC);
    errno = 0;
    ck_assert_uint_eq(arena_intern(&at_a, "s", 1), HANDLE_NULL);
    ck_assert_int_eq(errno, ENOSPC);
    arena_reset(&at_a);
    check_history();
    ck_assert_uint_eq(at_stats(&at_a).retired, slots); /* reset revives no slot */
    ck_assert_uint_eq(arena_alloc(&at_a, 8), HANDLE_NULL);
    for (size_t k = 0; k < 0x10; k++)
        for (uint32_t i = 0; i <= slots + 1; i++)
            at_expect_stale(&at_a, (handle_t)(k << 28) | i);
    at_finish();
}

START_TEST(every_slot_retires_filling_then_emptying)
{
    retire_all(12, 0);
}
END_TEST

START_TEST(every_slot_retires_releasing_newest)
{
    retire_all(9, 1);
}
END_TEST

START_TEST(every_slot_retires_releasing_oldest)
{
    retire_all(9, 2);
}
END_TEST

START_TEST(every_slot_retires_releasing_at_random_with_resets)
{
    retire_all(20, 3);
}
END_TEST

START_TEST(one_slot_retires_after_its_generations)
{
    retire_all(1, 1);
    ck_assert_uint_eq(hist_n, 15);
    for (size_t k = 0; k < 15; k++)
        ck_assert_uint_eq(hist[k], (handle_t)((k + 1) << 28) | 1u);
}
END_TEST

START_TEST(retired_slots_are_counted_as_they_retire)
{
    at_init((arena_config_t){.index_bits = 28});
    handle_t a = 0, b = 0;
    for (int g = 1; g <= 15; g++) {
        a = arena_alloc(&at_a, 4);
        b = arena_alloc(&at_a, 4);
        ck_assert_uint_eq(a >> 28, (uint32_t)g);
        ck_assert_int_eq(arena_release(&at_a, a), 0);
        ck_assert_uint_eq(at_stats(&at_a).retired, g == 15 ? 1 : 0);
        ck_assert_int_eq(arena_release(&at_a, b), 0);
    }
    ck_assert_uint_eq(at_stats(&at_a).retired, 2);
    /* without max_handles, a fresh slot comes next */
    handle_t c = arena_alloc(&at_a, 4);
    ck_assert_uint_eq(c, (1u << 28) | 3u);
    ck_assert_int_eq(arena_release(&at_a, c), 0);
    at_finish();
}
END_TEST

START_TEST(generation_arithmetic)
{
    static const unsigned bits[] = {8, 20, 28};
    for (size_t k = 0; k < 3; k++) {
        at_init((arena_config_t){.index_bits = bits[k]});
        uint32_t gens = (uint32_t)((UINT64_C(1) << (32 - bits[k])) - 1);
        ck_assert_uint_eq(at_a.gen_max, gens);
        ck_assert_uint_eq(at_a.index_mask, (1u << bits[k]) - 1);
        handle_t h = arena_alloc(&at_a, 4);
        ck_assert_uint_eq(h, (1u << bits[k]) | 1u);
        /* the last generation: set the free slot's handle word as if it
         * had been reused gens - 1 times, so the next object gets the last
         * generation (arena_internal.h: a free slot's word holds it) */
        ck_assert_int_eq(arena_release(&at_a, h), 0);
        arena_slot_(&at_a, 1)->handle = handle_make(&at_a, gens, 0);
        ck_assert_uint_eq(arena_check(&at_a), 0);
        handle_t last = arena_alloc(&at_a, 4);
        ck_assert_uint_eq(last, (handle_t)(gens << bits[k]) | 1u);
        ck_assert_uint_eq(handle_gen(&at_a, last), gens);
        ck_assert_int_eq(arena_release(&at_a, last), 0);
        ck_assert_uint_eq(at_stats(&at_a).retired, 1);
        at_expect_stale(&at_a, last);
        handle_t next = arena_alloc(&at_a, 4);
        ck_assert_uint_eq(next, (1u << bits[k]) | 2u); /* slot 1 is never reused */
        ck_assert_int_eq(arena_release(&at_a, next), 0);
        at_finish();
    }
}
END_TEST

/* index_bits 8, one slot: all 2^24 - 1 generations, then retirement. */
START_TEST(exhaustive_generations_of_one_slot_with_8_index_bits)
{
    at_init((arena_config_t){.index_bits = 8, .max_handles = 2});
    handle_t keep = at_alloc_filled(&at_a, 24); /* slot 1, never released */
    uint32_t gens = at_a.gen_max;
    ck_assert_uint_eq(gens, (1u << 24) - 1);
    /* under Valgrind (50 times slower) the slot starts at its last 2^16
     * generations, as if reused until then; every other build runs all */
    uint32_t first = 1;
    if (tq_under_valgrind()) {
        first = gens - (1u << 16);
        handle_t h = arena_alloc(&at_a, 8);
        ck_assert_int_eq(arena_release(&at_a, h), 0);
        arena_slot_(&at_a, 2)->handle = handle_make(&at_a, first, 0); /* a free slot holds its next generation */
        ck_assert_uint_eq(arena_check(&at_a), 0);
    }
    for (uint32_t g = first; g <= gens; g++) {
        handle_t h = arena_alloc(&at_a, 8);
        AT_EQ(h, (g << 8) | 2u);
        AT_EQ(arena_release(&at_a, h), 0);
        if ((g & 0xFFFFF) == 0)
            AT_EQ(arena_check(&at_a), 0);
    }
    ck_assert_uint_eq(at_stats(&at_a).retired, 1);
    errno = 0;
    ck_assert_uint_eq(arena_alloc(&at_a, 8), HANDLE_NULL);
    ck_assert_int_eq(errno, ENOSPC);
    /* every handle slot 2 ever had, and every value of slot 2, is stale */
    for (uint32_t g = 0; g <= gens; g++)
        AT_EQ(arena_get(&at_a, (g << 8) | 2u), NULL);
    at_verify(&at_a, keep);
    arena_reset(&at_a);
    for (uint32_t g = 0; g <= gens; g++)
        AT_EQ(arena_get(&at_a, (g << 8) | 2u), NULL);
    /* slot 1 is free again; slot 2 stays retired */
    handle_t h = arena_alloc(&at_a, 8);
    ck_assert_uint_eq(h, (2u << 8) | 1u);
    ck_assert_uint_eq(arena_alloc(&at_a, 8), HANDLE_NULL);
    ck_assert_int_eq(arena_release(&at_a, h), 0);
    at_finish();
}
END_TEST

Suite *arena_generations_suite(void)
{
    Suite *s = suite_create("arena-generations");
    TCase *tc = tcase_create("retire");
    tcase_set_tags(tc, "edge");
    tcase_set_timeout(tc, 120);
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, every_slot_retires_filling_then_emptying);
    tcase_add_test(tc, every_slot_retires_releasing_newest);
    tcase_add_test(tc, every_slot_retires_releasing_oldest);
    tcase_add_test(tc, every_slot_retires_releasing_at_random_with_resets);
    tcase_add_test(tc, one_slot_retires_after_its_generations);
    tcase_add_test(tc, retired_slots_are_counted_as_they_retire);
    tcase_add_test(tc, generation_arithmetic);
    suite_add_tcase(s, tc);

    tc = tcase_create("exhaustive");
    tcase_set_tags(tc, "stress");
    tcase_set_timeout(tc, 600);
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, exhaustive_generations_of_one_slot_with_8_index_bits);
    suite_add_tcase(s, tc);
    return s;
}

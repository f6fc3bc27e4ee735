/*
 * test_invariants.c - arena_check(): 0 after every kind of operation, and
 * the exact count for one thing corrupted through arena_internal.h.  Each
 * expected count is derived in a comment from arena_check.c's rules; every
 * corruption is undone before the teardown checks again.
 */
#include <stdio.h>

#include "arena_internal.h"
#include "arena_test.h"

static void nop_cleanup(void *obj, size_t size, void *ctx)
{
    (void)obj;
    (void)size;
    (void)ctx;
}

static void release_ctx(void *obj, size_t size, void *ctx)
{
    (void)obj;
    (void)size;
    handle_t *h = ctx;
    if (*h != HANDLE_NULL && arena_refcount(&at_a, *h) > 0)
        (void)arena_release(&at_a, *h);
}

START_TEST(check_is_zero_after_every_operation)
{
    at_init((arena_config_t){.flags = ARENA_CHECKED, .index_bits = 12});
    ck_assert_uint_eq(arena_check(&at_a), 0);
    enum { N = 256 };
    handle_t h[N] = {0};
    handle_t target[N] = {0};
    rng_t r = {12345};
    char word[8];
    for (int step = 0; step < 20000; step++) {
        size_t k = rng_below(&r, N);
        switch (rng_below(&r, 8)) {
        case 0:
        case 1:
            if (h[k] == HANDLE_NULL)
                h[k] = at_alloc_filled(&at_a, 1 + rng_below(&r, 3000));
            break;
        case 2:
            if (h[k] != HANDLE_NULL && arena_refcount(&at_a, h[k]) > 0 &&
                !(*arena_word(&at_a, h[k] & at_a.index_mask) & ARENA_W_INTERNED)) {
                AT_EQ(arena_resize(&at_a, h[k], 1 + rng_below(&r, 3000)), 0);
                at_fill(&at_a, h[k]);
            }
            break;
        case 3:
            if (h[k] != HANDLE_NULL && arena_refcount(&at_a, h[k]) > 0)
                AT_EQ(arena_share(&at_a, h[k]), 0);
            break;
        case 4:
        case 5:
            if (h[k] != HANDLE_NULL) {
                if (arena_refcount(&at_a, h[k]) > 0)
                    AT_CMP(arena_release(&at_a, h[k]), >=, 0);
                if (arena_refcount(&at_a, h[k]) == 0)
                    h[k] = HANDLE_NULL;
            }
            break;
        case 6:
            if (h[k] == HANDLE_NULL) {
                int n = snprintf(word, sizeof word, "%u", (unsigned)rng_below(&r, 64));
                h[k] = arena_intern(&at_a, word, (size_t)n);
                AT_NONNULL(arena_get(&at_a, h[k]));
            }
            break;
        case 7:
            if (h[k] != HANDLE_NULL && arena_refcount(&at_a, h[k]) > 0) {
                size_t j = rng_below(&r, N);
                target[k] = h[j];
                AT_EQ(arena_on_free(&at_a, h[k], rng_below(&r, 2) ? nop_cleanup : release_ctx, &target[k]), 0);
                if (target[k] != HANDLE_NULL && arena_refcount(&at_a, target[k]) > 0)
                    AT_EQ(arena_share(&at_a, target[k]), 0); /* the reference the cleanup gives back */
                else
                    target[k] = HANDLE_NULL;
            }
            break;
        }
        AT_EQ(arena_check(&at_a), 0);
        if (step % 5000 == 4999) {
            arena_reset(&at_a);
            memset(h, 0, sizeof h);
            memset(target, 0, sizeof target);
            AT_EQ(arena_check(&at_a), 0);
        }
    }
    for (size_t k = 0; k < N; k++)
        while (h[k] != HANDLE_NULL && arena_refcount(&at_a, h[k]) > 0) {
            /* interned handles may repeat in h: release only what is live */
            (void)arena_release(&at_a, h[k]);
            AT_EQ(arena_check(&at_a), 0);
        }
    at_finish();
}
END_TEST

/* ---- one corruption at a time ------------------------------------------------ */

/* slots 1 and 3 live, slot 2 on the free list, one interned string in slot 4 */
static handle_t s1, s2, s3, s4;

static void setup_small(unsigned flags)
{
    at_init((arena_config_t){.flags = flags});
    s1 = at_alloc_filled(&at_a, 40);
    s2 = at_alloc_filled(&at_a, 40);
    s3 = at_alloc_filled(&at_a, 40);
    s4 = arena_intern(&at_a, "interned", 8);
    ck_assert_int_eq(arena_release(&at_a, s2), 0);
    ck_assert_uint_eq(s4 & at_a.index_mask, 4);
    ck_assert_uint_eq(at_a.free_head, 2);
    ck_assert_uint_eq(arena_check(&at_a), 0);
}

static void setup_plain(void)
{
    setup_small(0);
}

static void setup_checked(void)
{
    setup_small(ARENA_CHECKED);
}

START_TEST(live_count_word_zeroed)
{
    uint32_t *w = arena_word(&at_a, 1), saved = *w;
    *w = 0;
    /* census_slot(1): holds an object, names itself, no references, not
     * resetting: bad + 1.  It is not counted live, so census live 2 !=
     * live 3 (in use, less held_dead 0): + 1.  Nothing else reads the
     * count.  2. */
    ck_assert_uint_eq(arena_check(&at_a), 2);
    *w = saved;
    ck_assert_uint_eq(arena_check(&at_a), 0);
}
END_TEST

START_TEST(free_count_word_set)
{
    uint32_t *w = arena_word(&at_a, 2);
    *w = 1;
    /* census_slot(2): no object, yet a nonzero word: bad + 1.  The free
     * list does not read counts.  1. */
    ck_assert_uint_eq(arena_check(&at_a), 1);
    *w = 0;
}
END_TEST

START_TEST(live_handle_word_names_another_slot)
{
    arena_slot_t *s = arena_slot_(&at_a, 1);
    uint32_t saved = s->handle;
    s->handle = handle_make(&at_a, handle_gen(&at_a, saved), 3);
    /* census_slot(1): holds an object but does not name itself, so it is
     * neither live nor bad; gen is 1.  Census live 2 != live 3: + 1;
     * holding is still 3 == in_use.  1. */
    ck_assert_uint_eq(arena_check(&at_a), 1);
    s->handle = handle_make(&at_a, 0, 1);
    /* generation 0 on a live slot: census_slot bad + 1, nothing else.  1. */
    ck_assert_uint_eq(arena_check(&at_a), 1);
    s->handle = saved;
}
END_TEST

START_TEST(free_list_link_to_a_live_slot)
{
    arena_slot_t *s = arena_slot_(&at_a, 2);
    uint32_t saved = s->handle;
    s->handle = handle_make(&at_a, handle_gen(&at_a, saved), 3);
    /* list_length(free) reaches slot 3, which holds an object: SIZE_MAX !=
     * free_count: + 1 (the used-slots sum is skipped then).  census_slot(2)
     * is fine: no object, word 0, index 3 is not its own.  1. */
    ck_assert_uint_eq(arena_check(&at_a), 1);
    s->handle = handle_make(&at_a, handle_gen(&at_a, saved), 200);
    /* a link outside [1, used): SIZE_MAX again, + 1.  1. */
    ck_assert_uint_eq(arena_check(&at_a), 1);
    s->handle = handle_make(&at_a, handle_gen(&at_a, saved), 2);
    /* a loop onto itself: list_length stops at used steps, SIZE_MAX: + 1;
     * and census_slot(2) sees a free slot naming itself: + 1.  2. */
    ck_assert_uint_eq(arena_check(&at_a), 2);
    s->handle = saved;
}
END_TEST

START_TEST(arena_live_counter_off_by_one)
{
    at_a.held_dead++;
    /* census live 3 != in use 3 - held_dead 1: + 1.  1. */
    ck_assert_uint_eq(arena_check(&at_a), 1);
    at_a.held_dead--;
    at_a.free_count++;
    /* free list length 1 != free_count 2: + 1.  The slots in use are
     * derived (used - 1 - free_count - retired = 2), so census holding 3
     * != 2: + 1, and census live 3 != 2 - held_dead 0: + 1.  3. */
    ck_assert_uint_eq(arena_check(&at_a), 3);
    at_a.free_count--;
}
END_TEST

/* The entry of s4 in the intern set. */
static struct arena_intern_entry *entry_of_s4(void)
{
    for (uint32_t i = 0; i < at_a.intern.cap; i++)
        if (at_a.intern.tab[i].h == s4)
            return &at_a.intern.tab[i];
    ck_abort_msg("s4 not in the set");
    return NULL;
}

START_TEST(intern_hash_changed)
{
    struct arena_intern_entry *e = entry_of_s4();
    uint32_t saved = e->hash;
    ck_assert_uint_eq(at_a.intern.count, 1);
    e->hash ^= 1;
    /* arena_intern_check: its home moves by one, next to it; the walk from
     * the new home to the entry meets an empty entry (the only entry of a
     * table of 16): + 1.  Unchecked, the bytes are not rehashed.  1. */
    ck_assert_uint_eq(arena_check(&at_a), 1);
    e->hash = saved ^ 0x80000000u;
    /* same home: nothing the unchecked walk can see.  0 (by design: only
     * ARENA_CHECKED rehashes the bytes). */
    ck_assert_uint_eq(arena_check(&at_a), 0);
    e->hash = saved;
}
END_TEST

START_TEST(intern_hash_changed_checked)
{
    struct arena_intern_entry *e = entry_of_s4();
    uint32_t saved = e->hash;
    e->hash ^= 1;
    /* as unchecked (+ 1 for the gap), and the rehashed bytes disagree with
     * the cached hash: + 1.  2. */
    ck_assert_uint_eq(arena_check(&at_a), 2);
    e->hash = saved ^ 0x80000000u;
    /* same home: only the rehash sees it.  1. */
    ck_assert_uint_eq(arena_check(&at_a), 1);
    e->hash = saved;
}
END_TEST

START_TEST(intern_entry_for_a_dead_handle)
{
    struct arena_intern_entry *e = entry_of_s4();
    handle_t saved = e->h;
    e->h = s2; /* slot 2 is free */
    /* arena_intern_check: the entry names no live object: + 1 (and the
     * rest of its checks are skipped).  The count matches.  1. */
    ck_assert_uint_eq(arena_check(&at_a), 1);
    e->h = s1; /* live, but not interned */
    ck_assert_uint_eq(arena_check(&at_a), 1);
    e->h = saved;
}
END_TEST

START_TEST(intern_entry_lost_with_its_count)
{
    struct arena_intern_entry *e = entry_of_s4();
    struct arena_intern_entry saved = *e;
    e->h = HANDLE_NULL;
    at_a.intern.count--;
    /* arena_intern_check: the set agrees with its count (0 entries, count
     * 0): + 0.  table_check: one live slot is flagged interned, the set
     * counts 0: + 1.  1. */
    ck_assert_uint_eq(arena_check(&at_a), 1);
    *e = saved;
    at_a.intern.count++;
}
END_TEST

START_TEST(cleanup_flag_without_records)
{
    uint32_t *w = arena_word(&at_a, 3);
    *w |= ARENA_W_CLEANUP;
    /* arena_cleanup_check: slot 3 is flagged with no record in the map:
     * + 1; flagged 1 != map count 0: + 1.  2. */
    ck_assert_uint_eq(arena_check(&at_a), 2);
    *w &= ~ARENA_W_CLEANUP;
}
END_TEST

Suite *arena_invariants_suite(void)
{
    Suite *s = suite_create("arena-invariants");
    TCase *tc = tcase_create("healthy");
    tcase_set_tags(tc, "invariants");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, check_is_zero_after_every_operation);
    suite_add_tcase(s, tc);

    tc = tcase_create("corrupt");
    tcase_set_tags(tc, "invariants");
    tcase_add_checked_fixture(tc, setup_plain, at_teardown);
    tcase_add_test(tc, live_count_word_zeroed);
    tcase_add_test(tc, free_count_word_set);
    tcase_add_test(tc, live_handle_word_names_another_slot);
    tcase_add_test(tc, free_list_link_to_a_live_slot);
    tcase_add_test(tc, arena_live_counter_off_by_one);
    tcase_add_test(tc, intern_hash_changed);
    tcase_add_test(tc, intern_entry_for_a_dead_handle);
    tcase_add_test(tc, intern_entry_lost_with_its_count);
    tcase_add_test(tc, cleanup_flag_without_records);
    suite_add_tcase(s, tc);

    tc = tcase_create("corrupt-checked");
    tcase_set_tags(tc, "invariants");
    tcase_add_checked_fixture(tc, setup_checked, at_teardown);
    tcase_add_test(tc, intern_hash_changed_checked);
    suite_add_tcase(s, tc);
    return s;
}

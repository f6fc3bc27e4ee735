/*
 * test_refs.c - stage 03's references: weak handles (kept without a
 * reference), the ARENA_MAX_REFS limit, and what arena_release() returns.
 */
#include "arena_internal.h"
#include "arena_test.h"
#include "tool_query.h"

START_TEST(weak_handle_resolves_while_another_holds_it)
{
    at_misuse_install();
    handle_t owner = at_alloc_filled(&at_a, 48);
    handle_t weak = owner; /* a copy kept without a reference */
    ck_assert_int_eq(arena_share(&at_a, weak), 0); /* upgrade: now a second owner */
    ck_assert_int_eq(arena_release(&at_a, weak), 1); /* and back to weak */
    ck_assert_ptr_eq(arena_get(&at_a, weak), arena_get(&at_a, owner));
    at_verify(&at_a, weak);
    ck_assert_int_eq(arena_release(&at_a, owner), 0);
    /* the object is gone: the weak handle resolves to nothing, even once
     * its slot holds another object */
    at_expect_stale(&at_a, weak);
    ck_assert_int_eq(arena_share(&at_a, weak), -ESTALE);
    handle_t next = at_alloc_filled(&at_a, 48);
    ck_assert_uint_eq(next & at_a.index_mask, weak & at_a.index_mask);
    at_expect_stale(&at_a, weak);
    ck_assert_int_eq(arena_share(&at_a, weak), -ESTALE);
    ck_assert_uint_eq(arena_refcount(&at_a, next), 1);
    at_expect_stale_reports(0);
    ck_assert_int_eq(arena_release(&at_a, next), 0);
    at_misuse_remove();
}
END_TEST

START_TEST(release_returns_references_left)
{
    handle_t h = arena_alloc(&at_a, 8);
    for (int k = 0; k < 99; k++)
        ck_assert_int_eq(arena_share(&at_a, h), 0);
    for (int left = 99; left >= 0; left--)
        AT_EQ(arena_release(&at_a, h), (uintmax_t)left);
    at_expect_stale(&at_a, h);
}
END_TEST

/* Sets h's reference count to n directly, keeping the word's flag bits,
 * and keeps the live count right (n > 0). */
static void set_refs(handle_t h, uint32_t n)
{
    uint32_t *w = arena_word(&at_a, h & at_a.index_mask);
    *w = (*w & ~ARENA_W_REFS) | n;
}

START_TEST(share_at_max_refs_is_eoverflow_and_changes_nothing)
{
    handle_t h = at_alloc_filled(&at_a, 8);
    set_refs(h, ARENA_MAX_REFS - 1);
    ck_assert_uint_eq(arena_check(&at_a), 0);
    ck_assert_int_eq(arena_share(&at_a, h), 0);
    ck_assert_uint_eq(arena_refcount(&at_a, h), ARENA_MAX_REFS);
    for (int k = 0; k < 3; k++) {
        ck_assert_int_eq(arena_share(&at_a, h), -EOVERFLOW);
        ck_assert_uint_eq(arena_refcount(&at_a, h), ARENA_MAX_REFS);
    }
    /* the count did not spill into the flag bits */
    ck_assert_uint_eq(*arena_word(&at_a, h & at_a.index_mask), ARENA_MAX_REFS);
    ck_assert_uint_eq(arena_check(&at_a), 0);
    at_verify(&at_a, h);
    ck_assert_int_eq(arena_release(&at_a, h), (int)ARENA_MAX_REFS - 1);
    ck_assert_int_eq(arena_share(&at_a, h), 0);
    set_refs(h, 1);
    ck_assert_int_eq(arena_release(&at_a, h), 0);
}
END_TEST

START_TEST(interned_string_at_max_refs_is_eoverflow)
{
    handle_t h = arena_intern(&at_a, "full", 4);
    set_refs(h, ARENA_MAX_REFS);
    size_t hits = at_stats(&at_a).intern_hits;
    errno = 0;
    ck_assert_uint_eq(arena_intern(&at_a, "full", 4), HANDLE_NULL);
    ck_assert_int_eq(errno, EOVERFLOW);
    ck_assert_int_eq(arena_share(&at_a, h), -EOVERFLOW);
    ck_assert_uint_eq(arena_refcount(&at_a, h), ARENA_MAX_REFS);
    ck_assert_uint_eq(at_stats(&at_a).intern_hits, hits);
    /* the interned and cleanup flags survive a full count */
    ck_assert(*arena_word(&at_a, h & at_a.index_mask) & ARENA_W_INTERNED);
    ck_assert_uint_eq(arena_check(&at_a), 0);
    set_refs(h, 1);
    ck_assert_int_eq(arena_release(&at_a, h), 0);
}
END_TEST

/* ARENA_MAX_REFS shares, one at a time: about a second. */
START_TEST(share_up_to_max_refs_by_sharing)
{
    handle_t h = at_alloc_filled(&at_a, 8);
    /* under Valgrind (50 times slower) the count starts 2^16 below the
     * limit, as if shared until then; every other build shares all */
    uint32_t from = 1;
    if (tq_under_valgrind()) {
        from = ARENA_MAX_REFS - (1u << 16);
        set_refs(h, from);
    }
    for (uint32_t k = from; k < ARENA_MAX_REFS; k++)
        if (arena_share(&at_a, h) != 0)
            ck_abort_msg("share %u failed", k);
    ck_assert_uint_eq(arena_refcount(&at_a, h), ARENA_MAX_REFS);
    ck_assert_int_eq(arena_share(&at_a, h), -EOVERFLOW);
    ck_assert_uint_eq(arena_refcount(&at_a, h), ARENA_MAX_REFS);
    for (uint32_t left = ARENA_MAX_REFS; left-- > from;)
        if (arena_release(&at_a, h) != (int)left)
            ck_abort_msg("release with %u left", left);
    ck_assert_uint_eq(arena_refcount(&at_a, h), from);
    set_refs(h, 1);
    at_verify(&at_a, h);
    ck_assert_int_eq(arena_release(&at_a, h), 0);
}
END_TEST

Suite *arena_refs_suite(void)
{
    Suite *s = suite_create("arena-refs");
    TCase *tc = tcase_create("refs");
    tcase_set_tags(tc, "core");
    tcase_add_checked_fixture(tc, at_setup, at_teardown);
    tcase_add_test(tc, weak_handle_resolves_while_another_holds_it);
    tcase_add_test(tc, release_returns_references_left);
    suite_add_tcase(s, tc);

    tc = tcase_create("limit");
    tcase_set_tags(tc, "edge");
    tcase_add_checked_fixture(tc, at_setup, at_teardown);
    tcase_add_test(tc, share_at_max_refs_is_eoverflow_and_changes_nothing);
    tcase_add_test(tc, interned_string_at_max_refs_is_eoverflow);
    suite_add_tcase(s, tc);

    tc = tcase_create("limit-by-sharing");
    tcase_set_tags(tc, "stress");
    tcase_set_timeout(tc, 240);
    tcase_add_checked_fixture(tc, at_setup, at_teardown);
    tcase_add_test(tc, share_up_to_max_refs_by_sharing);
    suite_add_tcase(s, tc);
    return s;
}

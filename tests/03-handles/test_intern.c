/*
 * test_intern.c - stage 03's interning: equal bytes are one shared object,
 * stored NUL-terminated and immutable, found again among many, and gone
 * (out of the set, memory freed) at its last release.
 */
#include <stdio.h>

#include "arena_internal.h"
#include "arena_test.h"

START_TEST(equal_bytes_give_the_same_handle_and_a_reference_each)
{
    char a[] = "hello", b[] = "hello"; /* different addresses, equal bytes */
    handle_t h = arena_intern(&at_a, a, 5);
    ck_assert_uint_ne(h, HANDLE_NULL);
    for (uint32_t k = 2; k <= 5; k++) {
        ck_assert_uint_eq(arena_intern(&at_a, k % 2 ? a : b, 5), h);
        ck_assert_uint_eq(arena_refcount(&at_a, h), k);
    }
    ck_assert_uint_eq(arena_size(&at_a, h), 5);
    ck_assert_str_eq(arena_get(&at_a, h), "hello");
    ck_assert_ptr_ne(arena_get(&at_a, h), a);
    arena_stats_t st = at_stats(&at_a);
    ck_assert_uint_eq(st.interned, 1);
    ck_assert_uint_eq(st.intern_hits, 4);
    ck_assert_uint_eq(st.live, 1);
    for (int left = 4; left >= 0; left--)
        ck_assert_int_eq(arena_release(&at_a, h), left);
}
END_TEST

START_TEST(different_bytes_give_different_handles)
{
    static const char *words[] = {"a", "b", "ab", "ba", "abc", "abd", "Abc", "abc ", " abc"};
    enum { N = sizeof words / sizeof words[0] };
    handle_t h[N];
    for (size_t k = 0; k < N; k++) {
        h[k] = arena_intern(&at_a, words[k], strlen(words[k]));
        for (size_t j = 0; j < k; j++)
            ck_assert_uint_ne(h[j], h[k]);
    }
    /* a prefix is not the string: same bytes, other lengths */
    handle_t p = arena_intern(&at_a, "abcdef", 2);
    ck_assert_uint_eq(p, h[2]);
    ck_assert_uint_eq(at_stats(&at_a).interned, N);
    ck_assert_uint_eq(at_stats(&at_a).intern_hits, 1);
    for (size_t k = 0; k < N; k++)
        ck_assert_str_eq(arena_get(&at_a, h[k]), words[k]);
    ck_assert_int_eq(arena_release(&at_a, p), 1);
    for (size_t k = 0; k < N; k++)
        ck_assert_int_eq(arena_release(&at_a, h[k]), 0);
}
END_TEST

START_TEST(empty_string_is_one_object)
{
    handle_t e = arena_intern(&at_a, NULL, 0);
    ck_assert_uint_ne(e, HANDLE_NULL);
    ck_assert_uint_eq(arena_intern(&at_a, "", 0), e);
    ck_assert_uint_eq(arena_intern(&at_a, "xyz", 0), e);
    ck_assert_uint_eq(arena_size(&at_a, e), 0);
    const char *p = arena_get(&at_a, e);
    ck_assert_ptr_nonnull(p); /* live although empty: it holds its NUL */
    ck_assert_uint_eq(p[0], '\0');
    ck_assert_uint_eq(arena_refcount(&at_a, e), 3);
    for (int left = 2; left >= 0; left--)
        ck_assert_int_eq(arena_release(&at_a, e), left);
    ck_assert_uint_eq(at_stats(&at_a).interned, 0);
}
END_TEST

START_TEST(embedded_nuls_are_bytes)
{
    static const char x[] = {'a', 0, 'b'}, y[] = {'a', 0, 'c'}, z[] = {'a', 0};
    handle_t hx = arena_intern(&at_a, x, 3), hy = arena_intern(&at_a, y, 3);
    handle_t hz = arena_intern(&at_a, z, 2), ha = arena_intern(&at_a, "a", 1);
    ck_assert_uint_ne(hx, hy);
    ck_assert_uint_ne(hx, hz);
    ck_assert_uint_ne(hz, ha);
    ck_assert_uint_eq(arena_intern(&at_a, x, 3), hx);
    ck_assert_uint_eq(arena_size(&at_a, hx), 3);
    ck_assert_mem_eq(arena_get(&at_a, hx), "a\0b", 4); /* and its NUL */
    ck_assert_mem_eq(arena_get(&at_a, hz), "a\0", 3);
    ck_assert_int_eq(arena_release(&at_a, hx), 1);
    ck_assert_int_eq(arena_release(&at_a, hx), 0);
    ck_assert_int_eq(arena_release(&at_a, hy), 0);
    ck_assert_int_eq(arena_release(&at_a, hz), 0);
    ck_assert_int_eq(arena_release(&at_a, ha), 0);
}
END_TEST

START_TEST(many_strings_grow_the_set_and_are_all_found)
{
#ifdef SC_EXPENSIVE_CHECKS
    /* every intern runs arena_check() over the whole arena: quadratic */
    enum { N = 10000 };
#else
    enum { N = 100000 };
#endif
    handle_t *h = malloc(N * sizeof *h);
    ck_assert_ptr_nonnull(h);
    char buf[32];
    for (uint32_t k = 0; k < N; k++) {
        int n = snprintf(buf, sizeof buf, "s%u-%u", k, k * 7919u);
        h[k] = arena_intern(&at_a, buf, (size_t)n);
        REQUIRE(h[k] != HANDLE_NULL, "intern %u failed", k);
    }
    ck_assert_uint_eq(at_stats(&at_a).interned, N);
    ck_assert_uint_eq(at_stats(&at_a).intern_hits, 0);
    ck_assert_uint_le((size_t)at_a.intern.count * 4, (size_t)at_a.intern.cap * 3);
    ck_assert_uint_eq(arena_check(&at_a), 0);
    for (uint32_t k = 0; k < N; k++) {
        int n = snprintf(buf, sizeof buf, "s%u-%u", k, k * 7919u);
        AT_EQ(arena_intern(&at_a, buf, (size_t)n), h[k]);
        REQUIRE(strcmp(arena_get(&at_a, h[k]), buf) == 0, "string %u", k);
    }
    ck_assert_uint_eq(at_stats(&at_a).intern_hits, N);
    /* release half: the rest are still found, the others are new objects */
    for (uint32_t k = 0; k < N; k += 2) {
        AT_EQ(arena_release(&at_a, h[k]), 1);
        AT_EQ(arena_release(&at_a, h[k]), 0);
    }
    ck_assert_uint_eq(at_stats(&at_a).interned, N / 2);
    ck_assert_uint_eq(arena_check(&at_a), 0);
    for (uint32_t k = 1; k < N; k += 2) {
        int n = snprintf(buf, sizeof buf, "s%u-%u", k, k * 7919u);
        AT_EQ(arena_intern(&at_a, buf, (size_t)n), h[k]);
        AT_EQ(arena_refcount(&at_a, h[k]), 3);
    }
    free(h);
    arena_reset(&at_a);
}
END_TEST

START_TEST(last_release_removes_and_frees)
{
    handle_t keep = arena_intern(&at_a, "keep", 4);
    handle_t h = arena_intern(&at_a, "gone", 4);
    ck_assert_int_eq(arena_release(&at_a, h), 0);
    at_expect_stale(&at_a, h);
    ck_assert_uint_eq(at_stats(&at_a).interned, 1);
    ck_assert_uint_eq(at_stats(&at_a).live, 1);
    ck_assert_uint_eq(at_stats(&at_a).free_slots, 1);
    size_t hits = at_stats(&at_a).intern_hits;
    handle_t again = arena_intern(&at_a, "gone", 4);
    ck_assert_uint_ne(again, h); /* a new object, not the old one revived */
    ck_assert_uint_eq(at_stats(&at_a).intern_hits, hits);
    ck_assert_uint_eq(arena_refcount(&at_a, again), 1);
    ck_assert_str_eq(arena_get(&at_a, again), "gone");
    ck_assert_uint_eq(arena_intern(&at_a, "keep", 4), keep);
    ck_assert_int_eq(arena_release(&at_a, again), 0);
    ck_assert_int_eq(arena_release(&at_a, keep), 1);
    ck_assert_int_eq(arena_release(&at_a, keep), 0);
}
END_TEST

START_TEST(resize_of_interned_is_einval)
{
    handle_t h = arena_intern(&at_a, "fixed", 5);
    ck_assert_int_eq(arena_resize(&at_a, h, 100), -EINVAL);
    ck_assert_int_eq(arena_resize(&at_a, h, 2), -EINVAL);
    ck_assert_uint_eq(arena_size(&at_a, h), 5);
    ck_assert_str_eq(arena_get(&at_a, h), "fixed");
    ck_assert_int_eq(arena_release(&at_a, h), 0);
}
END_TEST

START_TEST(null_bytes_with_length_is_einval)
{
    arena_stats_t before = at_stats(&at_a);
    errno = 0;
    ck_assert_uint_eq(arena_intern(&at_a, NULL, 1), HANDLE_NULL);
    ck_assert_int_eq(errno, EINVAL);
    errno = 0;
    ck_assert_uint_eq(arena_intern(&at_a, "x", ARENA_MAX_SIZE), HANDLE_NULL);
    ck_assert_int_eq(errno, EINVAL);
    arena_stats_t after = at_stats(&at_a);
    ck_assert_mem_eq(&before, &after, sizeof after);
}
END_TEST

START_TEST(interned_and_plain_objects_are_apart)
{
    handle_t p = arena_alloc(&at_a, 3);
    memcpy(arena_get(&at_a, p), "abc", 3);
    handle_t s = arena_intern(&at_a, "abc", 3);
    ck_assert_uint_ne(s, p); /* interning looks at interned strings only */
    ck_assert_uint_eq(arena_refcount(&at_a, p), 1);
    ck_assert_int_eq(arena_release(&at_a, p), 0);
    ck_assert_int_eq(arena_release(&at_a, s), 0);
}
END_TEST

START_TEST(checked_arena_finds_changed_interned_bytes)
{
    at_init((arena_config_t){.flags = ARENA_CHECKED});
    handle_t other = arena_intern(&at_a, "other", 5);
    handle_t h = arena_intern(&at_a, "frozen", 6);
    ck_assert_uint_eq(arena_check(&at_a), 0);
    char *p = arena_get(&at_a, h);
    p[2] = 'O'; /* forbidden */
    ck_assert_uint_eq(arena_check(&at_a), 1);
    p[2] = 'o';
    ck_assert_uint_eq(arena_check(&at_a), 0);
    ck_assert_int_eq(arena_release(&at_a, h), 0);
    ck_assert_int_eq(arena_release(&at_a, other), 0);
    at_finish();
}
END_TEST

Suite *arena_intern_suite(void)
{
    Suite *s = suite_create("arena-intern");
    TCase *tc = tcase_create("intern");
    tcase_set_tags(tc, "core");
    tcase_set_timeout(tc, 120);
    tcase_add_checked_fixture(tc, at_setup, at_teardown);
    tcase_add_test(tc, equal_bytes_give_the_same_handle_and_a_reference_each);
    tcase_add_test(tc, different_bytes_give_different_handles);
    tcase_add_test(tc, empty_string_is_one_object);
    tcase_add_test(tc, embedded_nuls_are_bytes);
    tcase_add_test(tc, many_strings_grow_the_set_and_are_all_found);
    tcase_add_test(tc, last_release_removes_and_frees);
    tcase_add_test(tc, resize_of_interned_is_einval);
    tcase_add_test(tc, interned_and_plain_objects_are_apart);
    suite_add_tcase(s, tc);

    tc = tcase_create("intern-edge");
    tcase_set_tags(tc, "edge");
    tcase_add_checked_fixture(tc, at_setup, at_teardown);
    tcase_add_test(tc, null_bytes_with_length_is_einval);
    suite_add_tcase(s, tc);

    tc = tcase_create("intern-checked");
    tcase_set_tags(tc, "invariants");
    tcase_add_test(tc, checked_arena_finds_changed_interned_bytes);
    suite_add_tcase(s, tc);
    return s;
}

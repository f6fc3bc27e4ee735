/*
 * test_tool.c - stage 02 under Valgrind memcheck or AddressSanitizer: the
 * annotations in the slabs must make a freed object, an object freed by a
 * reset, a never-used chunk and a freed large object off limits to the
 * tool, and a live object fully usable.  These tests ask the tool directly
 * (tq_inaccessible) and never touch the memory they ask about.
 *
 * Tagged `tool`: they only mean something under a tool, so without one they
 * fail with a message saying how to run them (make memcheck, make asan).
 */
#include "slab_test.h"
#include "tool_query.h"

static void setup(void)
{
    if (!tq_under_valgrind() && !tq_asan())
        ck_abort_msg("tool tests need Valgrind or ASan: run them with `make memcheck` or "
                     "`make asan` (make test excludes the `tool` tag)");
    st_init((slabs_config_t){.min_size = 16, .max_size = 4096, .growth = 1.25,
                             .slab_size = 1u << 16});
}

static void teardown(void)
{
    st_finish();
}

/* True if every byte of [p, p+n) is usable. */
static bool all_accessible(const void *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (tq_inaccessible((const char *)p + i))
            return false;
    return true;
}

START_TEST(live_object_is_accessible)
{
    static const size_t sizes[] = {1, 16, 17, 100, 1000, 4096, 5000, 70000};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        char *p = slabs_alloc(&st_s, sizes[i]);
        ck_assert_ptr_nonnull(p);
        ck_assert_msg(all_accessible(p, sizes[i]), "live object of %zu bytes off limits", sizes[i]);
        slabs_free(&st_s, p);
    }
}
END_TEST

START_TEST(freed_object_is_off_limits)
{
    static const size_t sizes[] = {1, 16, 24, 100, 333, 1000, 4096};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        char *keep = slabs_alloc(&st_s, sizes[i]);   /* keeps the slab in use */
        char *p = slabs_alloc(&st_s, sizes[i]);
        ck_assert_ptr_nonnull(p);
        p[0] = 1;
        slabs_free(&st_s, p);
        ck_assert_msg(tq_inaccessible(p), "freed %zu-byte object still accessible", sizes[i]);
        ck_assert_msg(tq_inaccessible(p + sizes[i] - 1), "end of freed %zu-byte object accessible",
                      sizes[i]);
        slabs_free(&st_s, keep);
    }
}
END_TEST

START_TEST(freed_large_object_is_off_limits)
{
    char *p = slabs_alloc(&st_s, 50000);
    ck_assert_ptr_nonnull(p);
    memset(p, 1, 50000);
    slabs_free(&st_s, p);
    ck_assert(tq_inaccessible(p));
    ck_assert(tq_inaccessible(p + 25000));
}
END_TEST

START_TEST(reset_makes_objects_off_limits)
{
    char *p[20];
    for (size_t i = 0; i < 20; i++) {
        p[i] = slabs_alloc(&st_s, 10 + i * 150);
        ck_assert_ptr_nonnull(p[i]);
        p[i][0] = 1;
    }
    slabs_reset(&st_s);
    for (size_t i = 0; i < 20; i++)
        ck_assert_msg(tq_inaccessible(p[i]), "object %zu accessible after reset", i);
}
END_TEST

START_TEST(unused_chunks_are_off_limits)
{
    char *p = slabs_alloc(&st_s, 64);
    ck_assert_ptr_nonnull(p);
    size_t u = slabs_usable_size(&st_s, p);
    /* the next chunk of the slab was never handed out */
    ck_assert(tq_inaccessible(p + u));
    slabs_free(&st_s, p);
}
END_TEST

START_TEST(padding_past_request_is_usable)
{
    /* usable_size() bytes belong to the caller, as malloc_usable_size() */
    char *p = slabs_alloc(&st_s, 100);
    ck_assert_ptr_nonnull(p);
    size_t u = slabs_usable_size(&st_s, p);
    ck_assert_uint_ge(u, 100);
    ck_assert(all_accessible(p, u));
    slabs_free(&st_s, p);
}
END_TEST

START_TEST(realloc_moved_object_is_off_limits)
{
    char *p = slabs_alloc(&st_s, 40);
    char *keep = slabs_alloc(&st_s, 40);
    ck_assert_ptr_nonnull(p);
    char *q = slabs_realloc(&st_s, p, 2000);
    ck_assert_ptr_nonnull(q);
    ck_assert_ptr_ne(q, p);
    ck_assert(tq_inaccessible(p));
    slabs_free(&st_s, q);
    slabs_free(&st_s, keep);
}
END_TEST

Suite *slabs_tool_suite(void)
{
    Suite *s = suite_create("slabs-tool");
    TCase *tc = tcase_create("tool");
    tcase_set_tags(tc, "tool");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, live_object_is_accessible);
    tcase_add_test(tc, freed_object_is_off_limits);
    tcase_add_test(tc, freed_large_object_is_off_limits);
    tcase_add_test(tc, reset_makes_objects_off_limits);
    tcase_add_test(tc, unused_chunks_are_off_limits);
    tcase_add_test(tc, padding_past_request_is_usable);
    tcase_add_test(tc, realloc_moved_object_is_off_limits);
    suite_add_tcase(s, tc);
    return s;
}

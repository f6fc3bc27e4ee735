/*
 * test_tool.c - stage 03 under Valgrind memcheck or AddressSanitizer: a
 * pointer obtained from arena_get() while the object lived must point to
 * memory the tool forbids once the object is gone, whichever way it went:
 * its last arena_release() (small and large objects, an interned string,
 * an object freed by a cascade of cleanups), arena_reset(), and a resize
 * that moved it (the old place).  A live object stays fully usable.  These
 * tests ask the tool directly (tq_inaccessible) and never touch the memory
 * they ask about.
 *
 * Tagged `tool`: they only mean something under a tool, so without one they
 * fail with a message saying how to run them (make memcheck, make asan).
 */
#include "arena_test.h"
#include "tool_query.h"

static void setup(void)
{
    if (!tq_under_valgrind() && !tq_asan())
        ck_abort_msg("tool tests need Valgrind or ASan: run them with `make memcheck` or "
                     "`make asan` (make test excludes the `tool` tag)");
    at_init((arena_config_t){.slabs = {.min_size = 16, .max_size = 1024, .slab_size = 1u << 14}});
}

static void teardown(void)
{
    at_finish();
}

/* True if every byte of [p, p+n) is usable. */
static bool all_accessible(const void *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (tq_inaccessible((const char *)p + i))
            return false;
    return true;
}

static const size_t sizes[] = {1, 16, 24, 100, 333, 1024, 5000, 70000};
#define N_SIZES (sizeof sizes / sizeof sizes[0])

START_TEST(live_object_is_accessible)
{
    for (size_t i = 0; i < N_SIZES; i++) {
        handle_t h = at_alloc_filled(&at_a, sizes[i]);
        ck_assert_msg(all_accessible(arena_get(&at_a, h), sizes[i]),
                      "live object of %zu bytes off limits", sizes[i]);
        ck_assert_int_eq(arena_release(&at_a, h), 0);
    }
}
END_TEST

START_TEST(released_object_is_off_limits)
{
    for (size_t i = 0; i < N_SIZES; i++) {
        handle_t keep = at_alloc_filled(&at_a, sizes[i]); /* keeps the slab in use */
        handle_t h = at_alloc_filled(&at_a, sizes[i]);
        const char *p = arena_get(&at_a, h);
        ck_assert_int_eq(arena_share(&at_a, h), 0);
        ck_assert_int_eq(arena_release(&at_a, h), 1);
        ck_assert_msg(!tq_inaccessible(p), "object with a reference left is off limits");
        ck_assert_int_eq(arena_release(&at_a, h), 0);
        ck_assert_msg(tq_inaccessible(p), "released %zu-byte object still accessible", sizes[i]);
        ck_assert_msg(tq_inaccessible(p + sizes[i] - 1), "end of released %zu-byte object accessible",
                      sizes[i]);
        ck_assert_int_eq(arena_release(&at_a, keep), 0);
    }
}
END_TEST

START_TEST(released_interned_string_is_off_limits)
{
    handle_t keep = arena_intern(&at_a, "keep", 4);
    handle_t h = arena_intern(&at_a, "gone soon", 9);
    ck_assert_uint_ne(h, HANDLE_NULL);
    const char *p = arena_get(&at_a, h);
    ck_assert(all_accessible(p, 10)); /* the bytes and their NUL */
    ck_assert_int_eq(arena_release(&at_a, h), 0);
    ck_assert(tq_inaccessible(p));
    ck_assert(tq_inaccessible(p + 9));
    ck_assert_int_eq(arena_release(&at_a, keep), 0);
}
END_TEST

/* A cleanup that releases the handle ctx points to. */
static void release_next(void *obj, size_t size, void *ctx)
{
    (void)obj;
    (void)size;
    arena_release(&at_a, *(handle_t *)ctx);
}

START_TEST(objects_freed_by_a_cascade_are_off_limits)
{
    enum { N = 20 };
    handle_t h[N];
    const char *p[N];
    handle_t keep = at_alloc_filled(&at_a, 48);
    for (size_t i = 0; i < N; i++) {
        h[i] = at_alloc_filled(&at_a, 48);
        p[i] = arena_get(&at_a, h[i]);
    }
    for (size_t i = 0; i + 1 < N; i++)
        ck_assert_int_eq(arena_on_free(&at_a, h[i], release_next, &h[i + 1]), 0);
    ck_assert_int_eq(arena_release(&at_a, h[0]), 0);
    for (size_t i = 0; i < N; i++)
        ck_assert_msg(tq_inaccessible(p[i]), "object %zu of the chain still accessible", i);
    ck_assert(all_accessible(arena_get(&at_a, keep), 48));
    ck_assert_int_eq(arena_release(&at_a, keep), 0);
}
END_TEST

START_TEST(reset_makes_objects_off_limits)
{
    const char *p[N_SIZES];
    for (size_t i = 0; i < N_SIZES; i++)
        p[i] = arena_get(&at_a, at_alloc_filled(&at_a, sizes[i]));
    const char *s = arena_get(&at_a, arena_intern(&at_a, "interned", 8));
    ck_assert_ptr_nonnull(s);
    arena_reset(&at_a);
    for (size_t i = 0; i < N_SIZES; i++)
        ck_assert_msg(tq_inaccessible(p[i]), "object of %zu bytes accessible after reset", sizes[i]);
    ck_assert_msg(tq_inaccessible(s), "interned string accessible after reset");
}
END_TEST

START_TEST(moving_resize_makes_the_old_place_off_limits)
{
    static const size_t to[][2] = {{40, 2000}, {40, 700}, {2000, 40}, {5000, 90000}};
    for (size_t i = 0; i < sizeof to / sizeof to[0]; i++) {
        handle_t keep = at_alloc_filled(&at_a, to[i][0]);
        handle_t h = at_alloc_filled(&at_a, to[i][0]);
        const char *old = arena_get(&at_a, h);
        ck_assert_int_eq(arena_resize(&at_a, h, to[i][1]), 0);
        const char *now = arena_get(&at_a, h);
        ck_assert_ptr_ne(now, old); /* a move to another class or block */
        ck_assert_msg(tq_inaccessible(old), "resize %zu -> %zu: the old place is accessible",
                      to[i][0], to[i][1]);
        ck_assert(all_accessible(now, to[i][1]));
        ck_assert_int_eq(arena_release(&at_a, h), 0);
        ck_assert_int_eq(arena_release(&at_a, keep), 0);
    }
}
END_TEST

Suite *arena_tool_suite(void)
{
    Suite *s = suite_create("arena-tool");
    TCase *tc = tcase_create("tool");
    tcase_set_tags(tc, "tool");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, live_object_is_accessible);
    tcase_add_test(tc, released_object_is_off_limits);
    tcase_add_test(tc, released_interned_string_is_off_limits);
    tcase_add_test(tc, objects_freed_by_a_cascade_are_off_limits);
    tcase_add_test(tc, reset_makes_objects_off_limits);
    tcase_add_test(tc, moving_resize_makes_the_old_place_off_limits);
    suite_add_tcase(s, tc);
    return s;
}

/*
 * test_cleanup.c - stage 03's cleanups: last registered first, before the
 * memory goes, exactly once (at the last release, or at reset or destroy),
 * cascades through other handles, and the counter.
 */
#include "arena_test.h"

/* What the cleanups saw, in the order they ran. */
enum { LOG_MAX = 64 };
static struct {
    int tag[LOG_MAX];       /* the tag each cleanup was given */
    unsigned char first[LOG_MAX]; /* the object's first byte, read in the cleanup */
    size_t size[LOG_MAX];   /* the size it was given */
    size_t n;
} logbook;

typedef struct tagged {
    int tag;
    handle_t release;       /* released by the cleanup, or HANDLE_NULL */
    int release_result;     /* what that release returned */
} tagged_t;

static void record(void *obj, size_t size, void *ctx)
{
    tagged_t *t = ctx;
    REQUIRE(logbook.n < LOG_MAX, "too many cleanups");
    logbook.tag[logbook.n] = t->tag;
    logbook.first[logbook.n] = size ? *(unsigned char *)obj : 0;
    logbook.size[logbook.n] = size;
    logbook.n++;
    if (t->release != HANDLE_NULL)
        t->release_result = arena_release(&at_a, t->release);
}

static void setup(void)
{
    memset(&logbook, 0, sizeof logbook);
    at_setup();
}

START_TEST(cleanups_run_last_registered_first_before_the_free)
{
    handle_t h = at_alloc_filled(&at_a, 77);
    unsigned char first = *(unsigned char *)arena_get(&at_a, h);
    tagged_t t[5];
    for (int k = 0; k < 5; k++) {
        t[k] = (tagged_t){.tag = k};
        ck_assert_int_eq(arena_on_free(&at_a, h, record, &t[k]), 0);
    }
    ck_assert_uint_eq(at_stats(&at_a).cleanups, 5);
    ck_assert_int_eq(arena_share(&at_a, h), 0);
    ck_assert_int_eq(arena_release(&at_a, h), 1);
    ck_assert_uint_eq(logbook.n, 0); /* not the last reference */
    ck_assert_int_eq(arena_release(&at_a, h), 0);
    ck_assert_uint_eq(logbook.n, 5);
    for (int k = 0; k < 5; k++) {
        ck_assert_int_eq(logbook.tag[k], 4 - k);
        ck_assert_uint_eq(logbook.first[k], first); /* the bytes were still there */
        ck_assert_uint_eq(logbook.size[k], 77);
    }
    ck_assert_uint_eq(at_stats(&at_a).cleanups, 0);
    at_expect_stale(&at_a, h);
    /* exactly once: the slot's next object has no cleanups */
    handle_t g = at_alloc_filled(&at_a, 77);
    ck_assert_int_eq(arena_release(&at_a, g), 0);
    ck_assert_uint_eq(logbook.n, 5);
}
END_TEST

START_TEST(cleanups_run_once_at_reset)
{
    handle_t h[6];
    tagged_t t[6];
    for (int k = 0; k < 6; k++) {
        h[k] = at_alloc_filled(&at_a, 10 + (size_t)k);
        t[k] = (tagged_t){.tag = k};
        ck_assert_int_eq(arena_on_free(&at_a, h[k], record, &t[k]), 0);
    }
    ck_assert_int_eq(arena_release(&at_a, h[2]), 0);
    ck_assert_uint_eq(logbook.n, 1);
    arena_reset(&at_a);
    ck_assert_uint_eq(logbook.n, 6);
    bool seen[6] = {0};
    for (size_t k = 0; k < 6; k++) {
        ck_assert(!seen[logbook.tag[k]]);
        seen[logbook.tag[k]] = true;
        ck_assert_uint_eq(logbook.size[k], 10 + (size_t)logbook.tag[k]);
    }
    ck_assert_uint_eq(at_stats(&at_a).cleanups, 0);
    arena_reset(&at_a);
    ck_assert_uint_eq(logbook.n, 6);
}
END_TEST

START_TEST(cleanups_run_once_at_destroy)
{
    handle_t h = at_alloc_filled(&at_a, 10);
    tagged_t t = {.tag = 9};
    ck_assert_int_eq(arena_on_free(&at_a, h, record, &t), 0);
    arena_destroy(&at_a);
    ck_assert_uint_eq(logbook.n, 1);
    ck_assert_int_eq(logbook.tag[0], 9);
    ck_assert_uint_eq(at_fs.live_bytes, 0);
    at_setup(); /* for the teardown */
}
END_TEST

/* During reset: every live object readable from every cleanup; releases
 * only count down. */
static handle_t ring[8];
static void check_all_readable(void *obj, size_t size, void *ctx)
{
    (void)obj;
    (void)size;
    int *count = ctx;
    for (int k = 0; k < 8; k++) {
        REQUIRE(arena_get(&at_a, ring[k]) != NULL, "object %d gone during reset", k);
        at_verify(&at_a, ring[k]);
    }
    ++*count;
}

static int reset_results[8];
static int reset_calls;
static void release_next(void *obj, size_t size, void *ctx)
{
    check_all_readable(obj, size, &reset_calls);
    int k = (int)(intptr_t)ctx;
    reset_results[k] = arena_release(&at_a, ring[(k + 1) % 8]);
}

START_TEST(reset_keeps_objects_readable_and_releases_count_down)
{
    for (int k = 0; k < 8; k++) {
        ring[k] = at_alloc_filled(&at_a, 50);
        ck_assert_int_eq(arena_share(&at_a, ring[k]), 0); /* two references each */
    }
    for (int k = 0; k < 8; k++)
        ck_assert_int_eq(arena_on_free(&at_a, ring[k], release_next, (void *)(intptr_t)k), 0);
    reset_calls = 0;
    arena_reset(&at_a);
    ck_assert_int_eq(reset_calls, 8);
    for (int k = 0; k < 8; k++) {
        ck_assert_int_eq(reset_results[k], 1); /* 2 - 1 */
        at_expect_stale(&at_a, ring[k]);
    }
    ck_assert_uint_eq(at_stats(&at_a).live, 0);
}
END_TEST

START_TEST(cleanup_releasing_others_cascades)
{
    enum { N = 20 };
    handle_t h[N];
    tagged_t t[N];
    for (int k = 0; k < N; k++)
        h[k] = at_alloc_filled(&at_a, 16);
    for (int k = 0; k < N; k++) {
        t[k] = (tagged_t){.tag = k, .release = k + 1 < N ? h[k + 1] : HANDLE_NULL, .release_result = 99};
        ck_assert_int_eq(arena_on_free(&at_a, h[k], record, &t[k]), 0);
    }
    ck_assert_int_eq(arena_share(&at_a, h[10]), 0); /* the chain stops after 10 */
    ck_assert_int_eq(arena_release(&at_a, h[0]), 0);
    ck_assert_uint_eq(logbook.n, 10);
    for (int k = 0; k < 10; k++) {
        ck_assert_int_eq(logbook.tag[k], k);
        at_expect_stale(&at_a, h[k]);
    }
    ck_assert_int_eq(t[9].release_result, 1);
    for (int k = 0; k < 9; k++)
        ck_assert_int_eq(t[k].release_result, 0);
    ck_assert_uint_eq(at_stats(&at_a).live, N - 10);
    ck_assert_uint_eq(at_stats(&at_a).cleanups, N - 10);
    ck_assert_uint_eq(arena_check(&at_a), 0);
    for (int k = 10; k < N; k++)
        at_verify(&at_a, h[k]);
    ck_assert_int_eq(arena_release(&at_a, h[10]), 0);
    ck_assert_uint_eq(logbook.n, N);
    ck_assert_uint_eq(at_stats(&at_a).live, 0);
}
END_TEST

START_TEST(on_free_of_stale_and_null_fn)
{
    tagged_t t = {0};
    handle_t h = at_alloc_filled(&at_a, 8);
    ck_assert_int_eq(arena_on_free(&at_a, h, NULL, NULL), -EINVAL);
    ck_assert_uint_eq(at_stats(&at_a).cleanups, 0);
    ck_assert_int_eq(arena_release(&at_a, h), 0);
    ck_assert_int_eq(arena_on_free(&at_a, h, record, &t), -ESTALE);
    ck_assert_int_eq(arena_on_free(&at_a, HANDLE_NULL, record, &t), -ESTALE);
    ck_assert_int_eq(arena_on_free(&at_a, 0xFFFFFFFFu, record, &t), -ESTALE);
    ck_assert_uint_eq(at_stats(&at_a).cleanups, 0);
    ck_assert_uint_eq(logbook.n, 0);
}
END_TEST

START_TEST(cleanups_count)
{
    tagged_t t = {0};
    handle_t a = arena_alloc(&at_a, 8), b = arena_intern(&at_a, "b", 1);
    for (int k = 0; k < 3; k++)
        ck_assert_int_eq(arena_on_free(&at_a, a, record, &t), 0);
    ck_assert_int_eq(arena_on_free(&at_a, b, record, &t), 0);
    ck_assert_uint_eq(at_stats(&at_a).cleanups, 4);
    ck_assert_int_eq(arena_release(&at_a, b), 0);
    ck_assert_uint_eq(at_stats(&at_a).cleanups, 3);
    ck_assert_uint_eq(logbook.n, 1);
    ck_assert_uint_eq(logbook.first[0], 'b'); /* an interned string is readable too */
    ck_assert_int_eq(arena_release(&at_a, a), 0);
    ck_assert_uint_eq(at_stats(&at_a).cleanups, 0);
    ck_assert_uint_eq(logbook.n, 4);
}
END_TEST

Suite *arena_cleanup_suite(void)
{
    Suite *s = suite_create("arena-cleanup");
    TCase *tc = tcase_create("cleanup");
    tcase_set_tags(tc, "core");
    tcase_add_checked_fixture(tc, setup, at_teardown);
    tcase_add_test(tc, cleanups_run_last_registered_first_before_the_free);
    tcase_add_test(tc, cleanups_run_once_at_reset);
    tcase_add_test(tc, cleanups_run_once_at_destroy);
    tcase_add_test(tc, reset_keeps_objects_readable_and_releases_count_down);
    tcase_add_test(tc, cleanup_releasing_others_cascades);
    tcase_add_test(tc, cleanups_count);
    suite_add_tcase(s, tc);

    tc = tcase_create("cleanup-edge");
    tcase_set_tags(tc, "edge");
    tcase_add_checked_fixture(tc, setup, at_teardown);
    tcase_add_test(tc, on_free_of_stale_and_null_fn);
    suite_add_tcase(s, tc);
    return s;
}

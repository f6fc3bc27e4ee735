/*
 * test_realloc.c - stage 02, slabs_realloc() with C realloc semantics:
 * NULL means allocate; a size that still fits the chunk keeps the object in
 * place; another class or the large path moves it and copies the content;
 * a failure returns NULL with ENOMEM and leaves the old object untouched.
 */
#include "slab_test.h"

/* classes 16 32 64 ... 4096; requested sizes tracked, so that the
 * accounting of every resize is exact */
static void setup(void)
{
    st_init((slabs_config_t){.min_size = 16, .max_size = 4096, .growth = 2.0,
                             .slab_size = 1u << 16, .flags = SLABS_STATS});
}

/* The same without SLABS_STATS: a move keeps the whole chunk. */
static void setup_plain(void)
{
    st_init((slabs_config_t){.min_size = 16, .max_size = 4096, .growth = 2.0,
                             .slab_size = 1u << 16});
}

static void teardown(void)
{
    st_finish();
}

/* Class of object p, by its usable size (a large object gives count). */
static size_t class_of_obj(void *p)
{
    return slabs_class_of(&st_s, slabs_usable_size(&st_s, p));
}

START_TEST(realloc_null_allocates)
{
    char *p = slabs_realloc(&st_s, NULL, 100);
    ck_assert_ptr_nonnull(p);
    ck_assert_uint_ge(slabs_usable_size(&st_s, p), 100);
    ck_assert_uint_eq(st_stats(&st_s).live_objects, 1);
    ck_assert_uint_eq(st_stats(&st_s).live_requested_bytes, 100);
    st_stamp(p, 100, 1);
    slabs_free(&st_s, p);
}
END_TEST

START_TEST(shrink_within_class_stays_in_place)
{
    char *p = slabs_alloc(&st_s, 120);   /* class 128 */
    ck_assert_ptr_nonnull(p);
    st_stamp(p, 120, 3);
    size_t cls = class_of_obj(p);
    char *q = slabs_realloc(&st_s, p, 70);
    ck_assert_ptr_eq(q, p);
    ck_assert_uint_eq(st_damage(q, 70, 3), 70);
    ck_assert_uint_eq(st_stats(&st_s).live_requested_bytes, 70);
    ck_assert_uint_eq(st_cstats(&st_s, cls).requested_bytes, 70);
    ck_assert_uint_eq(st_cstats(&st_s, cls).used, 1);
    slabs_free(&st_s, q);
    ck_assert_uint_eq(st_cstats(&st_s, cls).requested_bytes, 0);
}
END_TEST

START_TEST(grow_within_chunk_stays_in_place)
{
    char *p = slabs_alloc(&st_s, 65);   /* class 128 */
    ck_assert_ptr_nonnull(p);
    st_stamp(p, 65, 4);
    char *q = slabs_realloc(&st_s, p, 128);
    ck_assert_ptr_eq(q, p);
    ck_assert_uint_eq(st_damage(q, 65, 4), 65);
    ck_assert_uint_eq(st_stats(&st_s).live_requested_bytes, 128);
    ck_assert_uint_eq(st_stats(&st_s).live_objects, 1);
    slabs_free(&st_s, q);
}
END_TEST

START_TEST(grow_across_classes_moves_and_copies)
{
    char *p = slabs_alloc(&st_s, 100);
    ck_assert_ptr_nonnull(p);
    st_stamp(p, 100, 5);
    size_t from = class_of_obj(p);
    char *q = slabs_realloc(&st_s, p, 1000);
    ck_assert_ptr_nonnull(q);
    ck_assert_ptr_ne(q, p);
    ck_assert_uint_eq(st_damage(q, 100, 5), 100);
    ck_assert_uint_ge(slabs_usable_size(&st_s, q), 1000);
    memset(q + 100, 0x77, 900);
    ck_assert_uint_eq(st_cstats(&st_s, from).used, 0);
    ck_assert_uint_eq(st_cstats(&st_s, class_of_obj(q)).used, 1);
    ck_assert_uint_eq(st_stats(&st_s).live_objects, 1);
    ck_assert_uint_eq(st_stats(&st_s).live_requested_bytes, 1000);
    slabs_free(&st_s, q);
}
END_TEST

START_TEST(shrink_across_classes_moves_and_copies_prefix)
{
    char *p = slabs_alloc(&st_s, 3000);
    ck_assert_ptr_nonnull(p);
    st_stamp(p, 3000, 6);
    char *q = slabs_realloc(&st_s, p, 20);
    ck_assert_ptr_nonnull(q);
    ck_assert_uint_eq(st_damage(q, 20, 6), 20);
    ck_assert_uint_lt(slabs_usable_size(&st_s, q), 3000);   /* memory given back to a smaller class */
    ck_assert_uint_eq(st_stats(&st_s).live_requested_bytes, 20);
    slabs_free(&st_s, q);
}
END_TEST

START_TEST(realloc_to_and_from_large)
{
    char *p = slabs_alloc(&st_s, 500);
    ck_assert_ptr_nonnull(p);
    st_stamp(p, 500, 8);
    char *q = slabs_realloc(&st_s, p, 100000);
    ck_assert_ptr_nonnull(q);
    ck_assert_uint_eq(st_damage(q, 500, 8), 500);
    slabs_stats_t st = st_stats(&st_s);
    ck_assert_uint_eq(st.large_objects, 1);
    ck_assert_uint_eq(st.live_objects, 1);
    ck_assert_uint_eq(st.live_requested_bytes, 100000);
    st_stamp(q, 100000, 9);
    char *r = slabs_realloc(&st_s, q, 200000);   /* large to larger */
    ck_assert_ptr_nonnull(r);
    ck_assert_uint_eq(st_damage(r, 100000, 9), 100000);
    ck_assert_uint_ge(slabs_usable_size(&st_s, r), 200000);
    ck_assert_uint_eq(st_stats(&st_s).large_objects, 1);
    char *t = slabs_realloc(&st_s, r, 40);       /* back into a class */
    ck_assert_ptr_nonnull(t);
    ck_assert_uint_eq(st_damage(t, 40, 9), 40);
    st = st_stats(&st_s);
    ck_assert_uint_eq(st.large_objects, 0);
    ck_assert_uint_eq(st.large_bytes, 0);
    ck_assert_uint_eq(st.live_objects, 1);
    ck_assert_uint_eq(st.live_requested_bytes, 40);
    ck_assert_uint_lt(slabs_class_of(&st_s, slabs_usable_size(&st_s, t)), slabs_class_count(&st_s));
    slabs_free(&st_s, t);
}
END_TEST

START_TEST(large_shrink_keeps_content)
{
    char *p = slabs_alloc(&st_s, 50000);
    ck_assert_ptr_nonnull(p);
    st_stamp(p, 50000, 10);
    char *q = slabs_realloc(&st_s, p, 30000);
    ck_assert_ptr_nonnull(q);
    ck_assert_uint_eq(st_damage(q, 30000, 10), 30000);
    ck_assert_uint_ge(slabs_usable_size(&st_s, q), 30000);
    ck_assert_uint_eq(st_stats(&st_s).live_requested_bytes, 30000);
    ck_assert_uint_eq(st_stats(&st_s).large_objects, 1);
    slabs_free(&st_s, q);
}
END_TEST

START_TEST(failed_realloc_leaves_old_object)
{
    /* fill the 1024 class's slab so a move there needs a new slab */
    size_t cls = slabs_class_of(&st_s, 1024);
    size_t per = st_cstats(&st_s, cls).chunks_per_slab;
    void **full = malloc(per * sizeof *full);
    ck_assert_ptr_nonnull(full);
    for (size_t i = 0; i < per; i++)
        ck_assert_ptr_nonnull(full[i] = slabs_alloc(&st_s, 1024));
    char *p = slabs_alloc(&st_s, 200);
    ck_assert_ptr_nonnull(p);
    st_stamp(p, 200, 11);
    slabs_stats_t before = st_stats(&st_s);
    failing_source_fail_after(&st_fs, 0);
    errno = 0;
    ck_assert_ptr_null(slabs_realloc(&st_s, p, 1000));   /* class 1024: full */
    ck_assert_int_eq(errno, ENOMEM);
    errno = 0;
    ck_assert_ptr_null(slabs_realloc(&st_s, p, 100000)); /* large */
    ck_assert_int_eq(errno, ENOMEM);
    slabs_stats_t after = st_stats(&st_s);
    ck_assert_mem_eq(&before, &after, sizeof before);
    ck_assert_uint_eq(st_damage(p, 200, 11), 200);
    ck_assert_uint_eq(slabs_check(&st_s), 0);
    /* in place still works while the source is failing */
    ck_assert_ptr_eq(slabs_realloc(&st_s, p, 256), p);
    failing_source_recover(&st_fs);
    char *q = slabs_realloc(&st_s, p, 1000);
    ck_assert_ptr_nonnull(q);
    ck_assert_uint_eq(st_damage(q, 200, 11), 200);
    slabs_free(&st_s, q);
    for (size_t i = 0; i < per; i++)
        slabs_free(&st_s, full[i]);
    free(full);
}
END_TEST

START_TEST(failed_realloc_of_large_leaves_it)
{
    char *p = slabs_alloc(&st_s, 20000);
    ck_assert_ptr_nonnull(p);
    st_stamp(p, 20000, 12);
    failing_source_fail_after(&st_fs, 0);
    errno = 0;
    ck_assert_ptr_null(slabs_realloc(&st_s, p, 90000));
    ck_assert_int_eq(errno, ENOMEM);
    ck_assert_uint_eq(st_damage(p, 20000, 12), 20000);
    ck_assert_uint_eq(st_stats(&st_s).large_objects, 1);
    ck_assert_uint_eq(st_stats(&st_s).live_requested_bytes, 20000);
    errno = 0;
    ck_assert_ptr_null(slabs_realloc(&st_s, p, 100));    /* class 128 has no slab yet */
    ck_assert_int_eq(errno, ENOMEM);
    ck_assert_uint_eq(st_damage(p, 20000, 12), 20000);
    failing_source_recover(&st_fs);
    slabs_free(&st_s, p);
}
END_TEST

START_TEST(realloc_to_zero_is_einval_and_keeps_object)
{
    char *p = slabs_alloc(&st_s, 50);
    ck_assert_ptr_nonnull(p);
    st_stamp(p, 50, 13);
    errno = 0;
    ck_assert_ptr_null(slabs_realloc(&st_s, p, 0));
    ck_assert_int_eq(errno, EINVAL);
    ck_assert_uint_eq(st_damage(p, 50, 13), 50);
    ck_assert_uint_eq(st_stats(&st_s).live_objects, 1);
    ck_assert_uint_eq(st_stats(&st_s).live_requested_bytes, 50);
    errno = 0;
    ck_assert_ptr_null(slabs_realloc(&st_s, NULL, 0));
    ck_assert_int_eq(errno, EINVAL);
    ck_assert_uint_eq(st_stats(&st_s).live_objects, 1);
    slabs_free(&st_s, p);
}
END_TEST

START_TEST(large_in_place_only_while_half_used)
{
    char *p = slabs_alloc(&st_s, 40000);
    ck_assert_ptr_nonnull(p);
    st_stamp(p, 40000, 14);
    size_t acq = st_fs.acquisitions;
    char *q = slabs_realloc(&st_s, p, 20000);   /* exactly half: stays */
    ck_assert_ptr_eq(q, p);
    ck_assert_uint_eq(st_fs.acquisitions, acq);
    ck_assert_uint_eq(st_damage(q, 20000, 14), 20000);
    ck_assert_uint_eq(st_stats(&st_s).live_requested_bytes, 20000);
    q = slabs_realloc(&st_s, q, 40000);          /* grows back inside its block */
    ck_assert_ptr_eq(q, p);
    ck_assert_uint_eq(st_damage(q, 20000, 14), 20000);
    st_stamp(q, 40000, 15);
    q = slabs_realloc(&st_s, q, 19000);          /* under half: moves to a smaller block */
    ck_assert_ptr_nonnull(q);
    ck_assert_uint_eq(st_fs.acquisitions, acq + 1);
    ck_assert_uint_eq(st_damage(q, 19000, 15), 19000);
    ck_assert_uint_eq(slabs_usable_size(&st_s, q), 19008);
    ck_assert_uint_eq(st_stats(&st_s).large_objects, 1);
    ck_assert_uint_eq(st_stats(&st_s).large_bytes, 64 + 19008);
    slabs_free(&st_s, q);
}
END_TEST

START_TEST(zero_flag_zeroes_grown_bytes)
{
    slabs_destroy(&st_s);
    st_init((slabs_config_t){.min_size = 16, .max_size = 4096, .growth = 2.0,
                             .slab_size = 1u << 16, .flags = SLABS_ZERO});
    unsigned char *p = slabs_alloc(&st_s, 120);   /* class 128 */
    ck_assert_ptr_nonnull(p);
    for (size_t i = 0; i < 120; i++)
        ck_assert_uint_eq(p[i], 0);
    st_stamp(p, 120, 16);
    unsigned char *q = slabs_realloc(&st_s, p, 70);    /* shrink in place */
    ck_assert_ptr_eq(q, p);
    q = slabs_realloc(&st_s, q, 128);                  /* grow in place: 70..127 zero */
    ck_assert_ptr_eq(q, p);
    ck_assert_uint_eq(st_damage(q, 70, 16), 70);
    for (size_t i = 70; i < 128; i++)
        ck_assert_msg(q[i] == 0, "byte %zu = %#x after growing in place", i, q[i]);
    q = slabs_realloc(&st_s, q, 3000);                 /* moved: 128..2999 zero */
    ck_assert_ptr_nonnull(q);
    ck_assert_uint_eq(st_damage(q, 70, 16), 70);
    for (size_t i = 128; i < 3000; i++)
        ck_assert_msg(q[i] == 0, "byte %zu = %#x after moving", i, q[i]);
    memset(q, 0x11, 3000);
    q = slabs_realloc(&st_s, q, 100000);               /* to large: 3000.. zero */
    ck_assert_ptr_nonnull(q);
    for (size_t i = 3000; i < 100000; i++)
        ck_assert_msg(q[i] == 0, "byte %zu = %#x after moving to large", i, q[i]);
    ck_assert_uint_eq(q[2999], 0x11);
    slabs_free(&st_s, q);
}
END_TEST

START_TEST(realloc_random_walk_keeps_content)
{
    enum { N = 64 };
    char *p[N] = {0};
    size_t size[N] = {0};
    uint64_t seed[N] = {0};
    rng_t r = {77};
    for (int op = 0; op < 4000; op++) {
        size_t k = rng_below(&r, N);
        size_t ns = 1 + rng_below(&r, rng_below(&r, 8) == 0 ? 20000 : 4096);
        char *q = slabs_realloc(&st_s, p[k], ns);
        ck_assert_ptr_nonnull(q);
        size_t keep = size[k] < ns ? size[k] : ns;
        ck_assert_uint_eq(st_damage(q, keep, seed[k]), keep);
        ck_assert_uint_ge(slabs_usable_size(&st_s, q), ns);
        p[k] = q;
        size[k] = ns;
        seed[k] = rng_next(&r);
        st_stamp(q, ns, seed[k]);
    }
    size_t live = 0, req = 0;
    for (size_t k = 0; k < N; k++) {
        live += p[k] != NULL;
        req += p[k] != NULL ? st_counted(&st_s, size[k]) : 0;
    }
    ck_assert_uint_eq(st_stats(&st_s).live_objects, live);
    ck_assert_uint_eq(st_stats(&st_s).live_requested_bytes, req);
    ck_assert_uint_eq(slabs_check(&st_s), 0);
    for (size_t k = 0; k < N; k++)
        slabs_free(&st_s, p[k]);
}
END_TEST

/* Growing one object a few bytes at a time up to 1 MiB (a string builder)
 * copies each byte a bounded number of times: the bytes moved stay under a
 * small multiple of the final size, not the square of the step count. */
START_TEST(large_growth_is_amortised)
{
    rng_t r = {5};
    size_t size = 16, moved_bytes = 0, moves = 0;
    unsigned char *p = slabs_alloc(&st_s, size);
    ck_assert_ptr_nonnull(p);
    for (size_t i = 0; i < size; i++)
        p[i] = (unsigned char)(i * 131 >> 3);
    while (size < ((size_t)1 << 20)) {
        size_t ns = size + 16 + rng_below(&r, 49);
        unsigned char *q = slabs_realloc(&st_s, p, ns);
        ck_assert_ptr_nonnull(q);
        if (q != p) {
            moves++;
            moved_bytes += size;
        }
        for (size_t i = size; i < ns; i++)
            q[i] = (unsigned char)(i * 131 >> 3);
        p = q;
        size = ns;
    }
    size_t i = 0;
    while (i < size && p[i] == (unsigned char)(i * 131 >> 3))
        i++;
    ck_assert_msg(i == size, "byte %zu lost in a move", i);
    /* every class once (9 here, up to 4 KiB copied each), then the large
     * block doubles at each move (4 KiB .. 1 MiB: 9 more), so the bytes
     * moved stay under twice the final size, plus the class moves */
    ck_assert_uint_le(moves, 20);
    ck_assert_uint_le(moved_bytes, 2 * size + 9 * 4096);
    slabs_free(&st_s, p);
}
END_TEST

Suite *slabs_realloc_suite(void)
{
    Suite *s = suite_create("slabs-realloc");
    TCase *tc = tcase_create("realloc");
    tcase_set_tags(tc, "core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, realloc_null_allocates);
    tcase_add_test(tc, shrink_within_class_stays_in_place);
    tcase_add_test(tc, grow_within_chunk_stays_in_place);
    tcase_add_test(tc, grow_across_classes_moves_and_copies);
    tcase_add_test(tc, shrink_across_classes_moves_and_copies_prefix);
    tcase_add_test(tc, realloc_to_and_from_large);
    tcase_add_test(tc, large_shrink_keeps_content);
    tcase_add_test(tc, failed_realloc_leaves_old_object);
    tcase_add_test(tc, failed_realloc_of_large_leaves_it);
    tcase_add_test(tc, realloc_to_zero_is_einval_and_keeps_object);
    tcase_add_test(tc, large_in_place_only_while_half_used);
    tcase_add_test(tc, zero_flag_zeroes_grown_bytes);
    tcase_add_test(tc, realloc_random_walk_keeps_content);
    suite_add_tcase(s, tc);

    tc = tcase_create("realloc-plain");
    tcase_set_tags(tc, "core");
    tcase_add_checked_fixture(tc, setup_plain, teardown);
    tcase_add_test(tc, realloc_random_walk_keeps_content);
    tcase_add_test(tc, large_growth_is_amortised);
    suite_add_tcase(s, tc);
    return s;
}

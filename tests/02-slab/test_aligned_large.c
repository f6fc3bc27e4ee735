/*
 * test_aligned_large.c - stage 02's part of aligned allocation
 * (slabs_aligned.c): the class geometry it reports, and large objects with
 * the aligned layout (the object at the block's start, its header at the
 * block's end), which every existing path must treat as large objects.
 * Stage 05's aligned.h builds on these; its own tests are in
 * tests/05-align-mmap.
 */
#include "misuse_counter.h"
#include "slab_test.h"
#include "slabs_internal.h"

/* Alignments tried for large aligned objects: 1 B to 4 MiB (past the
 * default 16 KiB slab, where masking finds the object itself). */
#define AL_MAX_ALIGN ((size_t)4 << 20)

static size_t round16(size_t n)
{
    return (n + ST_GRANULE - 1) & ~(ST_GRANULE - 1);
}

START_TEST(class_size_and_align_agree_with_the_classes)
{
    st_init((slabs_config_t){0});
    size_t n = slabs_class_count(&st_s);
    for (size_t c = 0; c < n; c++) {
        slabs_class_stats_t cs;
        ck_assert_int_eq(slabs_class_stats(&st_s, c, &cs), 0);
        size_t size = slabs_class_size(&st_s, c), align = slabs_class_align(&st_s, c);
        ck_assert_uint_eq(size, cs.chunk_size);
        ck_assert_uint_eq(slabs_class_of(&st_s, size), c);
        ck_assert_msg(align >= ST_GRANULE && (align & (align - 1)) == 0, "class %zu: align %zu", c, align);
        ck_assert_msg(align == ST_GRANULE || align == size, "class %zu: align %zu, size %zu", c, align, size);
        void *p[40];
        for (size_t k = 0; k < 40; k++) { /* enough to reach past chunk 0 */
            p[k] = slabs_alloc(&st_s, size);
            ST_NONNULL(p[k]);
            ck_assert_msg((uintptr_t)p[k] % align == 0, "class %zu object %p, align %zu", c, p[k], align);
        }
        for (size_t k = 0; k < 40; k++)
            slabs_free(&st_s, p[k]);
    }
    /* the default table's naturally aligned classes */
    ck_assert_uint_eq(slabs_class_align(&st_s, slabs_class_of(&st_s, 64)), 64);
    ck_assert_uint_eq(slabs_class_align(&st_s, slabs_class_of(&st_s, 2048)), 2048);
    ck_assert_uint_eq(slabs_class_size(&st_s, n), 0);
    ck_assert_uint_eq(slabs_class_align(&st_s, n), 0);
    ck_assert_uint_eq(slabs_class_size(NULL, 0), 0);
    ck_assert_uint_eq(slabs_class_align(NULL, 0), 0);
    st_finish();
}
END_TEST

START_TEST(large_aligned_objects_are_large_objects)
{
    st_init((slabs_config_t){0});
    slabs_free(&st_s, slabs_alloc_large_aligned(&st_s, 1, 1)); /* the side table's first array, kept */
    static const size_t sizes[] = {1, 100, 5000, 3 * SLABS_DEFAULT_SLAB_SIZE + 7};
    for (size_t align = 1; align <= AL_MAX_ALIGN; align <<= 1)
        for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
            size_t size = sizes[i];
            size_t live0 = st_fs.live_bytes;
            char *p = slabs_alloc_large_aligned(&st_s, size, align);
            ST_NONNULL(p);
            uintptr_t want = align > SLABS_DEFAULT_SLAB_SIZE ? align : SLABS_DEFAULT_SLAB_SIZE;
            ck_assert_msg((uintptr_t)p % want == 0, "(%zu, %zu) at %p", size, align, (void *)p);
            slabs_stats_t st;
            slabs_stats(&st_s, &st);
            ck_assert_uint_eq(st.live_objects, 1);
            ck_assert_uint_eq(st.large_objects, 1);
            ck_assert_uint_eq(st.large_bytes, round16(size) + SLABS_LARGE_OFFSET);
            ck_assert_uint_eq(st.live_requested_bytes, size);
            ck_assert_uint_eq(st_fs.live_bytes - live0, st.large_bytes);
            ck_assert_uint_eq(slabs_usable_size(&st_s, p), round16(size));
            st_stamp(p, size, size ^ align);
            ck_assert_uint_eq(slabs_check(&st_s), 0); /* the stamp did not reach the header */
            ck_assert_uint_eq(st_damage(p, size, size ^ align), size);
            slabs_free(&st_s, p);
            slabs_stats(&st_s, &st);
            ck_assert_uint_eq(st.live_objects, 0);
            ck_assert_uint_eq(st.large_bytes, 0);
            ck_assert_uint_eq(st_fs.live_bytes, live0);
        }
    st_finish();
}
END_TEST

START_TEST(realloc_reset_and_destroy_take_them_back)
{
    st_init((slabs_config_t){0});
    char *p = slabs_alloc_large_aligned(&st_s, 3000, 1 << 20);
    ST_NONNULL(p);
    st_stamp(p, 3000, 7);
    char *q = slabs_realloc(&st_s, p, 2500); /* stays: large, its block holds it, half used */
    ck_assert_ptr_eq(q, p);
    q = slabs_realloc(&st_s, p, 100000); /* moves to a plain large object */
    ST_NONNULL(q);
    ck_assert_uint_eq(st_damage(q, 2500, 7), 2500);
    ck_assert_uint_eq(slabs_check(&st_s), 0);
    slabs_free(&st_s, q);
    for (int k = 0; k < 3; k++)
        ST_NONNULL(slabs_alloc_large_aligned(&st_s, 50, (size_t)64 << k));
    slabs_reset(&st_s); /* gives large objects back, aligned ones too */
    slabs_stats_t st;
    slabs_stats(&st_s, &st);
    ck_assert_uint_eq(st.large_objects, 0);
    ck_assert_uint_eq(st.large_bytes, 0);
    ST_NONNULL(slabs_alloc_large_aligned(&st_s, 70000, 1 << 16));
    st_finish(); /* slabs_destroy() gives the live one back too */
}
END_TEST

START_TEST(flags_zero_and_checked)
{
    st_init((slabs_config_t){.flags = SLABS_ZERO});
    unsigned char *z = slabs_alloc_large_aligned(&st_s, 9000, 1 << 15);
    ST_NONNULL(z);
    for (size_t i = 0; i < 9000; i++)
        ST_EQ(z[i], 0);
    slabs_free(&st_s, z);
    st_finish();

    st_init((slabs_config_t){.flags = SLABS_CHECKED});
    misuse_counter_t mc;
    misuse_counter_install(&mc);
    char *p = slabs_alloc_large_aligned(&st_s, 500, 1 << 17);
    ST_NONNULL(p);
    slabs_free(&st_s, p + 16);
    ck_assert_uint_eq(mc.count, 1);
    ck_assert_str_eq(mc.last.kind, "interior-pointer");
    slabs_free(&st_s, p);
    slabs_free(&st_s, p); /* its block is gone: not ours any more */
    ck_assert_uint_eq(mc.count, 2);
    ck_assert_str_eq(mc.last.kind, "foreign-pointer");
    misuse_counter_remove();
    st_finish();
}
END_TEST

START_TEST(the_checker_sees_a_damaged_aligned_header)
{
    st_init((slabs_config_t){0});
    size_t size = 1000;
    char *p = slabs_alloc_large_aligned(&st_s, size, 1 << 16);
    ST_NONNULL(p);
    slabs_large_t *l = (slabs_large_t *)(void *)(p + round16(size)); /* at the block's end */
    ck_assert_ptr_eq(l->obj, p);
    ck_assert_ptr_eq(l->block, p);
    /* neither layout: read as a plain header, it is not at its block's
     * start, and 1000 bytes would not be a plain large object */
    l->obj = p + SLABS_LARGE_OFFSET;
    ck_assert_uint_eq(slabs_check(&st_s), 2);
    l->obj = p;
    l->requested = 0; /* an aligned object of no bytes; the total disagrees too */
    ck_assert_uint_eq(slabs_check(&st_s), 2);
    l->requested = size + ST_GRANULE; /* more than its block holds; the total too */
    ck_assert_uint_eq(slabs_check(&st_s), 2);
    l->requested = size;
    ck_assert_uint_eq(slabs_check(&st_s), 0);
    slabs_free(&st_s, p);
    st_finish();
}
END_TEST

START_TEST(bad_arguments_are_einval)
{
    st_init((slabs_config_t){0});
    const struct { slabs_t *s; size_t size, align; } bad[] = {
        {NULL, 10, 64}, {&st_s, 0, 64}, {&st_s, 10, 0}, {&st_s, 10, 3},
        {&st_s, 10, 96}, {&st_s, 10, SLABS_MAX_SLAB_SIZE << 1}, {&st_s, SIZE_MAX - 8, 64},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        errno = 0;
        ck_assert_ptr_null(slabs_alloc_large_aligned(bad[i].s, bad[i].size, bad[i].align));
        ck_assert_msg(errno == EINVAL, "case %zu: errno %d", i, errno);
    }
    slabs_stats_t st;
    slabs_stats(&st_s, &st);
    ck_assert_uint_eq(st.large_objects, 0);
    st_finish();
}
END_TEST

Suite *slabs_aligned_large_suite(void)
{
    Suite *s = suite_create("slabs-aligned-large");
    TCase *tc = tcase_create("core");
    tcase_set_tags(tc, "core");
    tcase_add_test(tc, class_size_and_align_agree_with_the_classes);
    tcase_add_test(tc, large_aligned_objects_are_large_objects);
    tcase_add_test(tc, realloc_reset_and_destroy_take_them_back);
    tcase_add_test(tc, flags_zero_and_checked);
    tcase_add_test(tc, the_checker_sees_a_damaged_aligned_header);
    tcase_add_test(tc, bad_arguments_are_einval);
    suite_add_tcase(s, tc);
    return s;
}

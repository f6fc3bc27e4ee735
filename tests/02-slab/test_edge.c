/*
 * test_edge.c - stage 02, bad input and limits: every unusable
 * configuration gets -EINVAL with nothing acquired; zero and impossible sizes
 * fail cleanly; the max_bytes cap makes allocation fail with ENOMEM and
 * leaves everything stored intact and the allocator usable.
 */
#include <math.h>

#include "slab_test.h"

/* ---- configurations ----------------------------------------------------- */

/* slabs_init(cfg) on a counting source must say -EINVAL and acquire nothing. */
static void expect_einval(slabs_config_t cfg, const char *what)
{
    failing_source_t fs;
    failing_source_init(&fs, NULL);
    cfg.source = &fs.base;
    slabs_t s;
    memset(&s, 0xA5, sizeof s);
    int rc = slabs_init(&s, &cfg);
    ck_assert_msg(rc == -EINVAL, "%s: slabs_init = %d, want -EINVAL", what, rc);
    ck_assert_msg(fs.acquisitions == 0 && fs.live_bytes == 0, "%s: acquired memory", what);
    slabs_destroy(&s);   /* documented safe on a failed init */
    ck_assert_uint_eq(fs.releases, 0);
}

static void expect_ok(slabs_config_t cfg, const char *what)
{
    failing_source_t fs;
    failing_source_init(&fs, NULL);
    cfg.source = &fs.base;
    slabs_t s;
    int rc = slabs_init(&s, &cfg);
    ck_assert_msg(rc == 0, "%s: slabs_init = %d, want 0", what, rc);
    void *p = slabs_alloc(&s, 1);
    ck_assert_ptr_nonnull(p);
    slabs_free(&s, p);
    ck_assert_uint_eq(slabs_check(&s), 0);
    slabs_destroy(&s);
    ck_assert_uint_eq(fs.live_bytes, 0);
}

START_TEST(init_rejects_null)
{
    slabs_config_t cfg = {0};
    slabs_t s;
    ck_assert_int_eq(slabs_init(NULL, &cfg), -EINVAL);
    ck_assert_int_eq(slabs_init(&s, NULL), -EINVAL);
}
END_TEST

START_TEST(init_rejects_growth_at_most_one)
{
    expect_einval((slabs_config_t){.growth = 1.0}, "growth 1.0");
    expect_einval((slabs_config_t){.growth = 0.5}, "growth 0.5");
    expect_einval((slabs_config_t){.growth = -1.25}, "growth -1.25");
    expect_einval((slabs_config_t){.growth = -0.0 - 1e-300}, "growth tiny negative");
    expect_einval((slabs_config_t){.growth = NAN}, "growth NaN");
    expect_ok((slabs_config_t){.growth = 1.0001, .max_size = 1024}, "growth 1.0001");
}
END_TEST

START_TEST(init_rejects_min_above_max)
{
    expect_einval((slabs_config_t){.min_size = 2048, .max_size = 1024}, "min > max");
    expect_einval((slabs_config_t){.min_size = 1040, .max_size = 1024}, "min just > max");
    expect_ok((slabs_config_t){.min_size = 1024, .max_size = 1024}, "min == max");
}
END_TEST

START_TEST(init_rejects_bad_lists)
{
    static const size_t unsorted[] = {16, 64, 32, 128};
    static const size_t dup[] = {16, 32, 32, 64};
    static const size_t odd[] = {16, 24, 64};
    static const size_t odd_last[] = {16, 32, 1000};
    static const size_t zero[] = {0, 16, 32};
    static const size_t descending[] = {64, 32};
    expect_einval((slabs_config_t){.sizes = unsorted, .n_sizes = 4}, "unsorted list");
    expect_einval((slabs_config_t){.sizes = dup, .n_sizes = 4}, "duplicate list");
    expect_einval((slabs_config_t){.sizes = odd, .n_sizes = 3}, "entry not a granule multiple");
    expect_einval((slabs_config_t){.sizes = odd_last, .n_sizes = 3}, "last not a granule multiple");
    expect_einval((slabs_config_t){.sizes = zero, .n_sizes = 3}, "zero entry");
    expect_einval((slabs_config_t){.sizes = descending, .n_sizes = 2}, "descending list");
    expect_einval((slabs_config_t){.sizes = unsorted, .n_sizes = 0}, "n_sizes 0 with a list");
    expect_einval((slabs_config_t){.sizes = NULL, .n_sizes = 3}, "n_sizes without a list");
    expect_ok((slabs_config_t){.sizes = unsorted, .n_sizes = 2}, "sorted prefix");
}
END_TEST

START_TEST(init_rejects_bad_slab_size)
{
    expect_einval((slabs_config_t){.slab_size = 3000}, "slab not a power of two");
    expect_einval((slabs_config_t){.slab_size = (1u << 16) + (1u << 12)}, "slab 68 KiB");
    expect_einval((slabs_config_t){.max_size = 4096, .slab_size = 4096}, "slab = largest class");
    expect_einval((slabs_config_t){.max_size = 4096, .slab_size = 2048}, "slab < largest class");
    expect_einval((slabs_config_t){.max_size = 64, .slab_size = 16}, "slab of 16 bytes");
    /* a large object starts 64 bytes into its block: a 64-byte slab could
     * not find its header by masking */
    expect_einval((slabs_config_t){.min_size = 16, .max_size = 16, .slab_size = 64},
                  "slab of 64 bytes");
    expect_ok((slabs_config_t){.min_size = 16, .max_size = 16, .slab_size = 128}, "slab of 128 bytes");
    expect_ok((slabs_config_t){.max_size = 4096, .slab_size = 8192}, "slab 2x largest");
}
END_TEST

START_TEST(init_rejects_overflowing_sizes)
{
    static const size_t huge_list[] = {16, SIZE_MAX - (ST_GRANULE - 1)};
    expect_einval((slabs_config_t){.max_size = SIZE_MAX}, "max SIZE_MAX");
    expect_einval((slabs_config_t){.max_size = SIZE_MAX - (ST_GRANULE - 1)}, "max near SIZE_MAX");
    expect_einval((slabs_config_t){.min_size = SIZE_MAX, .max_size = SIZE_MAX}, "min SIZE_MAX");
    expect_einval((slabs_config_t){.min_size = SIZE_MAX}, "min SIZE_MAX, max default");
    expect_einval((slabs_config_t){.sizes = huge_list, .n_sizes = 2}, "list near SIZE_MAX");
    expect_einval((slabs_config_t){.slab_size = (SIZE_MAX >> 1) + 1, .max_size = SIZE_MAX / 4},
                  "slab 2^63");
    expect_einval((slabs_config_t){.slab_size = SLABS_MAX_SLAB_SIZE * 2}, "slab above the maximum");
    expect_einval((slabs_config_t){.max_size = SLABS_MAX_SLAB_SIZE}, "max needing a slab above the maximum");
}
END_TEST

START_TEST(init_rejects_too_many_classes)
{
    size_t n = SLABS_MAX_CLASSES + 1;
    size_t *list = malloc(n * sizeof *list);
    ck_assert_ptr_nonnull(list);
    for (size_t i = 0; i < n; i++)
        list[i] = (i + 1) * ST_GRANULE;
    expect_einval((slabs_config_t){.sizes = list, .n_sizes = n}, "65536 classes");
    /* growth so slow that every step is one granule: 131072 classes */
    expect_einval((slabs_config_t){.growth = 1.000001, .max_size = (size_t)2 << 20},
                  "131072 classes from growth");
    expect_ok((slabs_config_t){.sizes = list, .n_sizes = n - 1}, "65535 classes");
    free(list);
}
END_TEST

START_TEST(init_rejects_cap_below_minimum)
{
    expect_einval((slabs_config_t){.max_bytes = 1}, "max_bytes 1");
    expect_einval((slabs_config_t){.max_bytes = SLABS_DEFAULT_SLAB_SIZE}, "max_bytes one slab");
    expect_ok((slabs_config_t){.max_bytes = 4 * SLABS_DEFAULT_SLAB_SIZE}, "max_bytes four slabs");
}
END_TEST

START_TEST(init_reports_enomem_for_metadata)
{
    failing_source_t fs;
    failing_source_init(&fs, NULL);
    failing_source_fail_after(&fs, 0);
    slabs_t s;
    slabs_config_t cfg = {.source = &fs.base};
    ck_assert_int_eq(slabs_init(&s, &cfg), -ENOMEM);
    ck_assert_uint_eq(fs.live_bytes, 0);
    ck_assert_uint_eq(fs.failures, 1);
    slabs_destroy(&s);
    ck_assert_uint_eq(fs.releases, 0);
}
END_TEST

START_TEST(misaligned_source_is_refused)
{
    /* a source that ignores the alignment asked for would break masking:
     * its blocks are handed back and the request fails */
    failing_source_t fs;
    failing_source_init(&fs, NULL);
    fs.misaligned = true;
    slabs_t s;
    slabs_config_t cfg = {.source = &fs.base};
    ck_assert_int_eq(slabs_init(&s, &cfg), -ENOMEM);
    ck_assert_uint_eq(fs.live_bytes, 0);
    ck_assert_uint_eq(fs.releases, fs.acquisitions);
}
END_TEST

START_TEST(init_rounds_sizes_to_granule)
{
    st_init((slabs_config_t){.min_size = 1, .max_size = 1000, .growth = 2.0});
    ck_assert_uint_eq(st_chunk(&st_s, 0), ST_GRANULE);
    ck_assert_uint_eq(st_chunk(&st_s, slabs_class_count(&st_s) - 1), st_round_up(1000, ST_GRANULE));
    st_finish();
}
END_TEST

START_TEST(init_rejects_unknown_flags)
{
    expect_einval((slabs_config_t){.flags = 1u << 30}, "unknown flag");
}
END_TEST

/* ---- allocation limits ------------------------------------------------------ */

static void setup(void)
{
    st_init((slabs_config_t){.min_size = 16, .max_size = 1024, .growth = 2.0,
                             .slab_size = 1u << 13});
}

static void teardown(void)
{
    st_finish();
}

START_TEST(alloc_zero_is_einval)
{
    errno = 0;
    ck_assert_ptr_null(slabs_alloc(&st_s, 0));
    ck_assert_int_eq(errno, EINVAL);
    ck_assert_uint_eq(st_fs.acquisitions, 1);   /* the metadata, from init */
    ck_assert_uint_eq(st_stats(&st_s).live_objects, 0);
}
END_TEST

START_TEST(alloc_null_allocator_is_einval)
{
    errno = 0;
    ck_assert_ptr_null(slabs_alloc(NULL, 16));
    ck_assert_int_eq(errno, EINVAL);
    errno = 0;
    ck_assert_ptr_null(slabs_realloc(NULL, NULL, 16));
    ck_assert_int_eq(errno, EINVAL);
}
END_TEST

START_TEST(alloc_impossible_sizes_fail_cleanly)
{
    /* documented: EINVAL when adding the large-object header (64 bytes, after
     * rounding to the granule) overflows a size_t; ENOMEM when the object and
     * its header would pass PTRDIFF_MAX (as malloc).  None reaches the source
     * (a sanitizer's malloc would abort on such a request). */
    static const struct { size_t size; int err; } cases[] = {
        {SIZE_MAX, EINVAL}, {SIZE_MAX - 1, EINVAL}, {SIZE_MAX - 64, EINVAL},
        {SIZE_MAX - 4096, ENOMEM}, {SIZE_MAX / 2 + 1, ENOMEM}, {PTRDIFF_MAX, ENOMEM},
        {(size_t)PTRDIFF_MAX - 32, ENOMEM},   /* refused before the source is asked */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        errno = 0;
        ck_assert_ptr_null(slabs_alloc(&st_s, cases[i].size));
        ck_assert_msg(errno == cases[i].err, "size %zu: errno %d, want %d", cases[i].size,
                      errno, cases[i].err);
        ck_assert_uint_eq(st_fs.live_bytes, st_s.meta_bytes);
        ck_assert_uint_eq(st_fs.acquisitions + st_fs.failures, 1);   /* init's metadata only */
        ck_assert_uint_eq(st_stats(&st_s).large_objects, 0);
    }
    ck_assert_uint_eq(slabs_check(&st_s), 0);
}
END_TEST

START_TEST(realloc_impossible_size_keeps_object)
{
    char *p = slabs_alloc(&st_s, 300);
    ck_assert_ptr_nonnull(p);
    st_stamp(p, 300, 31);
    errno = 0;
    ck_assert_ptr_null(slabs_realloc(&st_s, p, SIZE_MAX));
    ck_assert_msg(errno == ENOMEM || errno == EINVAL, "errno %d", errno);
    ck_assert_uint_eq(st_damage(p, 300, 31), 300);
    ck_assert_uint_eq(st_stats(&st_s).live_objects, 1);
    ck_assert_uint_eq(st_stats(&st_s).live_requested_bytes, st_counted(&st_s, 300));
    slabs_free(&st_s, p);
}
END_TEST

START_TEST(null_and_empty_queries)
{
    slabs_stats_t st;
    memset(&st, 0xFF, sizeof st);
    slabs_stats(NULL, &st);
    ck_assert_uint_eq(st.live_objects, 0);
    ck_assert_uint_eq(st.bytes_from_source, 0);
    slabs_stats(&st_s, NULL);
    ck_assert_uint_eq(slabs_usable_size(&st_s, NULL), 0);
    ck_assert_uint_eq(slabs_trim(NULL, 0), 0);
    ck_assert_uint_eq(slabs_trim_idle(NULL, 0), 0);
    ck_assert_uint_eq(slabs_class_count(NULL), 0);
    ck_assert_uint_eq(slabs_class_of(NULL, 16), 0);
    ck_assert_uint_eq(slabs_check(NULL), 1);
    slabs_print_stats(NULL, stderr);   /* prints nothing, no crash */
    slabs_print_stats(&st_s, NULL);
    slabs_free(NULL, NULL);
    slabs_reset(NULL);
    slabs_destroy(NULL);
}
END_TEST

/* ---- the max_bytes cap ---------------------------------------------------------- */

#define CAP_SLAB ((size_t)1 << 13)
#define CAP_SLABS 4

static size_t cap_bytes;   /* the cap: metadata + one descriptor block + side table + CAP_SLABS slabs */

/* A cap that leaves room for exactly CAP_SLABS slabs after the metadata, one
 * descriptor block and the first side table (measured on an uncapped
 * allocator first). */
static void setup_cap(void)
{
    slabs_config_t cfg = {.min_size = 16, .max_size = 1024, .growth = 2.0, .slab_size = CAP_SLAB};
    st_init(cfg);
    size_t meta = st_s.meta_bytes;
    slabs_destroy(&st_s);
    cap_bytes = meta + SLABS_DESC_BLOCK_SIZE + ADDRMAP_MIN * sizeof(addrmap_slot_t) +
                CAP_SLABS * CAP_SLAB;
    cfg.max_bytes = cap_bytes;
    st_init(cfg);
}

/* The slab of p. */
static uintptr_t cap_slab_of(const void *p)
{
    return (uintptr_t)p & ~(uintptr_t)(CAP_SLAB - 1);
}

/* Frees every model object in the slab sl. */
static void cap_free_slab(st_model_t *m, uintptr_t sl)
{
    for (size_t k = m->n; k-- > 0;)
        if (cap_slab_of(m->obj[k].p) == sl)
            st_model_free_one(m, &st_s, k);
}

START_TEST(cap_fails_cleanly_and_keeps_everything)
{
    st_model_t m;
    st_model_init(&m, 4096);
    size_t cls = slabs_class_of(&st_s, 200);
    void *p;
    /* fill the cap with one class */
    while ((p = slabs_alloc(&st_s, 200)) != NULL)
        st_model_add(&m, p, 200);
    ck_assert_int_eq(errno, ENOMEM);
    ck_assert_uint_eq(st_cstats(&st_s, cls).free, 0);   /* no fitting space was left */
    ck_assert_uint_eq(st_cstats(&st_s, cls).slabs, CAP_SLABS);
    ck_assert_uint_eq(st_stats(&st_s).bytes_from_source, cap_bytes);
    ck_assert_uint_eq(st_fs.peak_bytes, cap_bytes);
    /* every other class and the large path fail too */
    errno = 0;
    ck_assert_ptr_null(slabs_alloc(&st_s, 16));
    ck_assert_int_eq(errno, ENOMEM);
    errno = 0;
    ck_assert_ptr_null(slabs_alloc(&st_s, 2000));
    ck_assert_int_eq(errno, ENOMEM);
    ck_assert_uint_eq(slabs_check(&st_s), 0);
    st_model_verify_all(&m);
    st_model_agrees(&m, &st_s);
    /* a freed chunk is usable again at once */
    st_model_free_one(&m, &st_s, 3);
    ck_assert_ptr_nonnull(p = slabs_alloc(&st_s, 150));
    st_model_add(&m, p, 150);
    ck_assert_ptr_null(slabs_alloc(&st_s, 150));
    ck_assert_uint_eq(st_fs.releases, 0);
    st_model_verify_all(&m);
    st_model_agrees(&m, &st_s);
    while (m.n)
        st_model_free_one(&m, &st_s, m.n - 1);
    st_model_free(&m);
}
END_TEST

START_TEST(cap_gives_back_empty_slabs_of_other_classes_instead_of_failing)
{
    st_model_t m;
    st_model_init(&m, 4096);
    size_t cls = slabs_class_of(&st_s, 200);
    size_t per = st_cstats(&st_s, cls).chunks_per_slab;
    void *p;
    while ((p = slabs_alloc(&st_s, 200)) != NULL)
        st_model_add(&m, p, 200);
    /* empty one slab: it stays with its class (no trim, no cap pressure) */
    cap_free_slab(&m, cap_slab_of(m.obj[0].p));
    ck_assert_uint_eq(st_cstats(&st_s, cls).slabs, CAP_SLABS);
    ck_assert_uint_eq(st_cstats(&st_s, cls).used, (CAP_SLABS - 1) * per);
    ck_assert_uint_eq(st_fs.releases, 0);
    /* another class needs a slab: the empty one goes back instead of failing */
    ck_assert_ptr_nonnull(p = slabs_alloc(&st_s, 16));
    st_model_add(&m, p, 16);
    ck_assert_uint_eq(st_fs.releases, 1);
    ck_assert_uint_eq(st_cstats(&st_s, cls).slabs, CAP_SLABS - 1);
    ck_assert_uint_eq(st_cstats(&st_s, slabs_class_of(&st_s, 16)).slabs, 1);
    ck_assert_uint_le(st_stats(&st_s).bytes_from_source, cap_bytes);
    ck_assert_uint_eq(slabs_check(&st_s), 0);
    /* same for a large object, once another slab is empty */
    cap_free_slab(&m, cap_slab_of(m.obj[0].p));
    ck_assert_ptr_nonnull(p = slabs_alloc(&st_s, 2000));
    st_model_add(&m, p, 2000);
    ck_assert_uint_eq(st_fs.releases, 2);
    ck_assert_uint_eq(st_stats(&st_s).large_objects, 1);
    st_model_verify_all(&m);
    st_model_agrees(&m, &st_s);
    while (m.n)
        st_model_free_one(&m, &st_s, m.n - 1);
    st_model_free(&m);
}
END_TEST

START_TEST(cap_counts_large_objects)
{
    void *big = slabs_alloc(&st_s, 3 * CAP_SLAB);
    ck_assert_ptr_nonnull(big);
    errno = 0;
    ck_assert_ptr_null(slabs_alloc(&st_s, 2 * CAP_SLAB));
    ck_assert_int_eq(errno, ENOMEM);
    ck_assert_uint_le(st_stats(&st_s).bytes_from_source, cap_bytes);
    ck_assert_uint_eq(slabs_check(&st_s), 0);
    slabs_free(&st_s, big);
    void *again = slabs_alloc(&st_s, 2 * CAP_SLAB);
    ck_assert_ptr_nonnull(again);
    slabs_free(&st_s, again);
}
END_TEST

Suite *slabs_edge_suite(void)
{
    Suite *s = suite_create("slabs-edge");
    TCase *tc = tcase_create("config");
    tcase_set_tags(tc, "edge");
    tcase_add_test(tc, init_rejects_null);
    tcase_add_test(tc, init_rejects_growth_at_most_one);
    tcase_add_test(tc, init_rejects_min_above_max);
    tcase_add_test(tc, init_rejects_bad_lists);
    tcase_add_test(tc, init_rejects_bad_slab_size);
    tcase_add_test(tc, init_rejects_overflowing_sizes);
    tcase_add_test(tc, init_rejects_unknown_flags);
    tcase_add_test(tc, init_rejects_too_many_classes);
    tcase_add_test(tc, init_rejects_cap_below_minimum);
    tcase_add_test(tc, init_reports_enomem_for_metadata);
    tcase_add_test(tc, misaligned_source_is_refused);
    tcase_add_test(tc, init_rounds_sizes_to_granule);
    suite_add_tcase(s, tc);

    tc = tcase_create("limits");
    tcase_set_tags(tc, "edge");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, alloc_zero_is_einval);
    tcase_add_test(tc, alloc_null_allocator_is_einval);
    tcase_add_test(tc, alloc_impossible_sizes_fail_cleanly);
    tcase_add_test(tc, realloc_impossible_size_keeps_object);
    tcase_add_test(tc, null_and_empty_queries);
    suite_add_tcase(s, tc);

    tc = tcase_create("cap");
    tcase_set_tags(tc, "edge");
    tcase_add_checked_fixture(tc, setup_cap, teardown);
    tcase_add_test(tc, cap_fails_cleanly_and_keeps_everything);
    tcase_add_test(tc, cap_gives_back_empty_slabs_of_other_classes_instead_of_failing);
    tcase_add_test(tc, cap_counts_large_objects);
    suite_add_tcase(s, tc);
    return s;
}

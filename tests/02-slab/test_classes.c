/*
 * test_classes.c - stage 02, the class table and the size-to-class lookup.
 *
 * For many configurations (minimum, maximum and growth factor, or an
 * explicit list) the table must be strictly increasing, made of multiples of
 * the granule alignof(max_align_t), start at the first multiple >= min_size,
 * end exactly at max_size, and grow like memcached's: each class the
 * smallest multiple of the granule >= previous x growth (at least one granule
 * more).  The lookup is checked exhaustively for every size 1..max_size: it
 * must give the smallest class that holds the size, and class_count() past
 * the largest.
 */
#include <math.h>
#include <stdio.h>

#include "slab_test.h"

/* A configuration under test and what its table must look like. */
typedef struct table_case {
    size_t min_size, max_size; /* 0 = default */
    double growth;             /* 0 = default */
    size_t slab_size;          /* 0 = default */
} table_case_t;

static const table_case_t growth_cases[] = {
    {16, 1024, 1.25, 0},
    {16, 4096, 2.0, 0},
    {8, 256, 2.0, 0},
    {96, 512 * 1024, 1.25, 0},
    {32, 8192, 1.05, 0},       /* rounding dominates: many one-granule steps */
    {48, 48 * 1024, 1.5, 0},
    {16, 16, 1.25, 0},         /* a single class */
    {16, 32, 3.0, 0},          /* growth jumps past max at once */
    {64, 65536, 4.0, 0},
    {1, 2048, 1.1, 0},
    {100, 10000 / 16 * 16, 1.3, 0},
    {16, 2048, 1.0001, 0},     /* barely above one: one granule per step */
    {16, 1024, 1.25, 1u << 16},
    {0, 0, 0, 0},              /* every default */
    {0, 0, 0, 1u << 14},       /* max from the slab: 2048 */
    {16, 1000, 1.25, 0},       /* max rounded up to 1008 */
    {100, 1000, 1.4, 0},       /* min rounded up to 112 */
    {0, 300, 0, 0},            /* default min and growth, max rounded to 304 */
};
#define N_GROWTH_CASES (sizeof growth_cases / sizeof growth_cases[0])

static void init_case(const table_case_t *c)
{
    slabs_config_t cfg = {.min_size = c->min_size, .max_size = c->max_size,
                          .growth = c->growth, .slab_size = c->slab_size};
    st_init(cfg);
}

/* The class sizes of st_s, in a new array of *n entries. */
static size_t *table_of(size_t *n)
{
    *n = slabs_class_count(&st_s);
    ck_assert_uint_gt(*n, 0);
    size_t *t = calloc(*n, sizeof *t);
    ck_assert_ptr_nonnull(t);
    for (size_t i = 0; i < *n; i++)
        t[i] = st_chunk(&st_s, i);
    return t;
}

/* The growth factor a case asks for, default filled in. */
static double eff_growth(const table_case_t *c)
{
    return c->growth > 0 ? c->growth : SLABS_DEFAULT_GROWTH;
}

/* ---- class table ------------------------------------------------ 02-classes */

START_TEST(table_is_increasing_multiples_of_granule)
{
    const table_case_t *c = &growth_cases[_i];
    init_case(c);
    size_t n, *t = table_of(&n);
    for (size_t i = 0; i < n; i++) {
        ck_assert_msg(t[i] % ST_GRANULE == 0, "case %d: class %zu = %zu not a multiple of %zu",
                      _i, i, t[i], ST_GRANULE);
        if (i > 0)
            ck_assert_msg(t[i] > t[i - 1], "case %d: class %zu = %zu <= class %zu = %zu",
                          _i, i, t[i], i - 1, t[i - 1]);
    }
    free(t);
    st_finish();
}
END_TEST

START_TEST(table_starts_at_min_and_ends_at_max)
{
    const table_case_t *c = &growth_cases[_i];
    init_case(c);
    size_t n, *t = table_of(&n);
    size_t min = c->min_size ? c->min_size : SLABS_DEFAULT_MIN_SIZE;
    size_t slab = c->slab_size ? c->slab_size : SLABS_DEFAULT_SLAB_SIZE;
    size_t max = c->max_size ? st_round_up(c->max_size, ST_GRANULE) : slab / 8;
    ck_assert_uint_ge(t[0], min);
    ck_assert_uint_lt(t[0], min + ST_GRANULE);   /* the first multiple >= min */
    ck_assert_uint_eq(t[n - 1], max);
    ck_assert_uint_eq(st_s.max_size, max);
    if (c->slab_size == 0 && c->max_size != 0) {   /* documented default slab */
        size_t want = SLABS_DEFAULT_SLAB_SIZE;
        while (want < 8 * max)
            want *= 2;
        ck_assert_uint_eq(st_s.slab_size, want);
    }
    free(t);
    st_finish();
}
END_TEST

START_TEST(table_grows_by_the_factor)
{
    const table_case_t *c = &growth_cases[_i];
    init_case(c);
    size_t n, *t = table_of(&n);
    double g = eff_growth(c);
    for (size_t i = 1; i < n; i++) {
        double want = (double)t[i - 1] * g;
        size_t up = st_round_up((size_t)ceil(want - 1e-9), ST_GRANULE);
        if (up < t[i - 1] + ST_GRANULE)
            up = t[i - 1] + ST_GRANULE;
        if (i == n - 1)   /* the last class is max_size, at most one step up */
            ck_assert_msg(t[i] <= up, "case %d: last class %zu > %zu (prev %zu x %.4f)",
                          _i, t[i], up, t[i - 1], g);
        else
            ck_assert_msg(t[i] == up, "case %d: class %zu = %zu, want %zu (prev %zu x %.4f)",
                          _i, i, t[i], up, t[i - 1], g);
    }
    free(t);
    st_finish();
}
END_TEST

/* Explicit lists are taken as given. */
static const size_t list_a[] = {16, 48, 64, 256, 1008};
static const size_t list_b[] = {32};
static const size_t list_c[] = {16, 32, 48, 64, 80, 96, 112, 128, 4096, 65536};

typedef struct list_case {
    const size_t *sizes;
    size_t n;
} list_case_t;

static const list_case_t list_cases[] = {
    {list_a, sizeof list_a / sizeof list_a[0]},
    {list_b, sizeof list_b / sizeof list_b[0]},
    {list_c, sizeof list_c / sizeof list_c[0]},
};
#define N_LIST_CASES (sizeof list_cases / sizeof list_cases[0])

static void init_list(const list_case_t *c)
{
    slabs_config_t cfg = {.sizes = c->sizes, .n_sizes = c->n};
    st_init(cfg);
}

START_TEST(explicit_list_is_the_table)
{
    const list_case_t *c = &list_cases[_i];
    init_list(c);
    ck_assert_uint_eq(slabs_class_count(&st_s), c->n);
    for (size_t i = 0; i < c->n; i++)
        ck_assert_uint_eq(st_chunk(&st_s, i), c->sizes[i]);
    ck_assert_int_eq(slabs_class_stats(&st_s, c->n, &(slabs_class_stats_t){0}), -EINVAL);
    st_finish();
}
END_TEST

START_TEST(explicit_list_ignores_growth_fields)
{
    slabs_config_t cfg = {.sizes = list_a, .n_sizes = 5, .growth = 3.0};
    st_init(cfg);
    ck_assert_uint_eq(slabs_class_count(&st_s), 5);
    ck_assert_uint_eq(st_chunk(&st_s, 4), 1008);
    st_finish();
}
END_TEST

START_TEST(every_class_fits_its_slab)
{
    const table_case_t *c = &growth_cases[_i];
    init_case(c);
    size_t n = slabs_class_count(&st_s);
    for (size_t i = 0; i < n; i++) {
        slabs_class_stats_t cs = st_cstats(&st_s, i);
        ck_assert_uint_ge(cs.chunks_per_slab, 1);
        ck_assert_uint_eq(cs.slabs, 0);   /* nothing acquired yet */
        ck_assert_uint_eq(cs.used, 0);
        ck_assert_uint_eq(cs.free, 0);
        ck_assert_uint_le(cs.chunks_per_slab * cs.chunk_size, st_s.slab_size);
    }
    /* only the metadata block was acquired */
    ck_assert_uint_eq(st_fs.acquisitions, 1);
    ck_assert_uint_eq(st_fs.live_bytes, st_s.meta_bytes);
    ck_assert_uint_eq(st_stats(&st_s).bytes_from_source, st_s.meta_bytes);
    st_finish();
}
END_TEST

/* The default table (min 16, growth 1.25, max 2 KiB, 16 KiB slabs: 19
 * classes), as docs/02-slab.md prints it: memcached's rule (x 1.25, round up
 * to 16) worked out by hand, and the chunks per slab: (16384 - offset of
 * chunk 0) / size, the offset being stage 01's 24-byte header rounded up to
 * the class's alignment (its size if a power of two, else 16). */
START_TEST(default_table_is_documented)
{
    static const size_t want[][2] = {
        {16, 1022}, {32, 511}, {48, 340}, {64, 255}, {80, 204}, {112, 146},
        {144, 113}, {192, 85}, {240, 68}, {304, 53}, {384, 42}, {480, 34},
        {608, 26}, {768, 21}, {960, 17}, {1200, 13}, {1504, 10}, {1888, 8},
        {2048, 7},
    };
    size_t nwant = sizeof want / sizeof want[0];
    st_init((slabs_config_t){0});
    ck_assert_uint_eq(slabs_class_count(&st_s), nwant);
    ck_assert_uint_eq(st_s.slab_size, SLABS_DEFAULT_SLAB_SIZE);
    for (size_t i = 0; i < nwant; i++) {
        slabs_class_stats_t cs = st_cstats(&st_s, i);
        ck_assert_msg(cs.chunk_size == want[i][0], "default class %zu = %zu, documented %zu",
                      i, cs.chunk_size, want[i][0]);
        ck_assert_msg(cs.chunks_per_slab == want[i][1],
                      "default class %zu holds %zu per slab, documented %zu",
                      i, cs.chunks_per_slab, want[i][1]);
    }
    st_finish();
    /* SLABS_STATS: class 0 keeps 4 bits per chunk, 1022 / 2 + 3 = 514 bytes,
     * too many for the descriptor: the first 33 chunks hold them */
    st_init((slabs_config_t){.flags = SLABS_STATS});
    ck_assert_uint_eq(st_cstats(&st_s, 0).chunks_per_slab, 1022 - 33);
    ck_assert_uint_eq(st_cstats(&st_s, 1).chunks_per_slab, 511 - 9);   /* 4 bits: 259 bytes, 9 chunks */
    ck_assert_uint_eq(st_cstats(&st_s, 3).chunks_per_slab, 255 - 3);   /* 4 bits: 131 bytes, 3 chunks */
    st_finish();
}
END_TEST

/* ---- lookup ------------------------------------------------------ 02-lookup */

/* Every size 1..max maps to the smallest class that holds it. */
static void check_lookup_exhaustive(void)
{
    size_t n, *t = table_of(&n);
    size_t cls = 0;
    for (size_t size = 1; size <= t[n - 1]; size++) {
        while (t[cls] < size)
            cls++;
        size_t got = slabs_class_of(&st_s, size);
        if (got != cls)
            ck_abort_msg("slabs_class_of(%zu) = %zu, want %zu (chunk %zu)", size, got, cls, t[cls]);
    }
    ck_assert_uint_eq(slabs_class_of(&st_s, 0), 0);   /* documented: like size 1 */
    ck_assert_uint_eq(slabs_class_of(&st_s, t[n - 1] + 1), n);
    ck_assert_uint_eq(slabs_class_of(&st_s, t[n - 1] * 2), n);
    ck_assert_uint_eq(slabs_class_of(&st_s, SIZE_MAX), n);
    ck_assert_uint_eq(slabs_class_of(&st_s, SIZE_MAX / 2 + 1), n);
    free(t);
}

START_TEST(lookup_is_smallest_fitting_class)
{
    init_case(&growth_cases[_i]);
    check_lookup_exhaustive();
    st_finish();
}
END_TEST

START_TEST(lookup_on_explicit_list)
{
    init_list(&list_cases[_i]);
    check_lookup_exhaustive();
    st_finish();
}
END_TEST

START_TEST(lookup_at_class_edges)
{
    st_init((slabs_config_t){.min_size = 16, .max_size = 1024, .growth = 2.0});
    /* classes 16 32 64 128 256 512 1024 */
    static const size_t edge[][2] = {
        {1, 0}, {16, 0}, {17, 1}, {32, 1}, {33, 2}, {64, 2}, {65, 3},
        {512, 5}, {513, 6}, {1024, 6}, {1025, 7},
    };
    ck_assert_uint_eq(slabs_class_count(&st_s), 7);
    for (size_t i = 0; i < sizeof edge / sizeof edge[0]; i++)
        ck_assert_msg(slabs_class_of(&st_s, edge[i][0]) == edge[i][1],
                      "class_of(%zu) = %zu, want %zu", edge[i][0],
                      slabs_class_of(&st_s, edge[i][0]), edge[i][1]);
    st_finish();
}
END_TEST

START_TEST(alloc_uses_the_looked_up_class)
{
    st_init((slabs_config_t){.min_size = 16, .max_size = 4096, .growth = 1.25});
    size_t n = slabs_class_count(&st_s);
    void *p[64];
    size_t k = 0;
    for (size_t size = 1; size <= 4096 && k < 64; size += 67, k++) {
        p[k] = slabs_alloc(&st_s, size);
        ck_assert_ptr_nonnull(p[k]);
        size_t cls = slabs_class_of(&st_s, size);
        ck_assert_uint_lt(cls, n);
        ck_assert_uint_eq(slabs_usable_size(&st_s, p[k]), st_chunk(&st_s, cls));
        ck_assert_uint_ge(st_cstats(&st_s, cls).used, 1);
    }
    for (size_t i = 0; i < k; i++)
        slabs_free(&st_s, p[i]);
    st_finish();
}
END_TEST

Suite *slabs_classes_suite(void)
{
    Suite *s = suite_create("slabs-classes");
    TCase *tc = tcase_create("classes");
    tcase_set_tags(tc, "core 02-classes");
    tcase_add_loop_test(tc, table_is_increasing_multiples_of_granule, 0, (int)N_GROWTH_CASES);
    tcase_add_loop_test(tc, table_starts_at_min_and_ends_at_max, 0, (int)N_GROWTH_CASES);
    tcase_add_loop_test(tc, table_grows_by_the_factor, 0, (int)N_GROWTH_CASES);
    tcase_add_loop_test(tc, explicit_list_is_the_table, 0, (int)N_LIST_CASES);
    tcase_add_test(tc, explicit_list_ignores_growth_fields);
    tcase_add_loop_test(tc, every_class_fits_its_slab, 0, (int)N_GROWTH_CASES);
    tcase_add_test(tc, default_table_is_documented);
    suite_add_tcase(s, tc);

    tc = tcase_create("lookup");
    tcase_set_tags(tc, "core 02-lookup");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, lookup_is_smallest_fitting_class, 0, (int)N_GROWTH_CASES);
    tcase_add_loop_test(tc, lookup_on_explicit_list, 0, (int)N_LIST_CASES);
    tcase_add_test(tc, lookup_at_class_edges);
    tcase_add_test(tc, alloc_uses_the_looked_up_class);
    suite_add_tcase(s, tc);
    return s;
}

/*
 * test_ex_classes.c - stage 05, exercise 05-classes: aligned_class(), the
 * class slabs_alloc_aligned() serves size bytes aligned to align from.
 *
 * The answer is checked against its definition, on several class tables:
 * the smallest class whose chunk holds the size and whose objects all have
 * the alignment (slabs_class_size() >= size and slabs_class_align() >=
 * align), else slabs_class_count(), the large path.  The tables: the
 * default one (16 KiB slabs, growth 1.25: of its 19 classes, only 16, 32,
 * 64 and 2048 are powers of two), growth tables with 4 KiB and 1 MiB slabs and with growth 2,
 * and explicit lists with powers of two among other sizes and with none
 * above 16.  Sizes: 1, each class's size and its neighbours, and past the
 * largest class; alignments: every power of two from 1 to
 * SLABS_MAX_SLAB_SIZE.  The answer only changes at a class's size, so
 * those sizes cover every case.
 *
 * Then slabs_alloc_aligned() itself, on the same tables: every object
 * aligned, with room for its size, from the chosen class (its usable size
 * is the class's chunk) or, when no class fits, from the large path.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>

#include "align.h"
#include "aligned.h"
#include "require.h"

static const size_t with_pow2[] = {16, 32, 48, 64, 96, 128, 192, 256, 384, 512, 1024, 1536, 2048};
static const size_t no_pow2[] = {48, 80, 112, 176, 240, 400, 720, 1200, 1776};
static const size_t big_pow2[] = {32, 48, 64, 96, 4096, 6144, 8192, 16384};

/* One class table: a name and a configuration. */
typedef struct table {
    const char *name;
    slabs_config_t cfg;
} table_t;

static const table_t tables[] = {
    {"the default table", {0}},
    {"growth 1.25, 4 KiB slabs", {.slab_size = 4096}},
    {"growth 1.25, 1 MiB slabs", {.slab_size = (size_t)1 << 20}},
    {"growth 2 from 16 to 8 KiB", {.growth = 2.0, .max_size = 8192}},
    {"growth 1.5 from 48", {.min_size = 48, .growth = 1.5}},
    {"a list with powers of two", {.sizes = with_pow2, .n_sizes = sizeof with_pow2 / sizeof with_pow2[0]}},
    {"a list with no power of two above 16",
     {.sizes = no_pow2, .n_sizes = sizeof no_pow2 / sizeof no_pow2[0]}},
    {"a list with big powers of two, 64 KiB slabs",
     {.sizes = big_pow2, .n_sizes = sizeof big_pow2 / sizeof big_pow2[0], .slab_size = (size_t)64 << 10}},
};
#define N_TABLES (sizeof tables / sizeof tables[0])

/* The answer by its definition: the first class, in ascending order, that
 * holds size and has the alignment; the class count if none. */
static size_t expected_class(const slabs_t *s, size_t size, size_t align)
{
    size_t n = slabs_class_count(s);
    for (size_t c = 0; c < n; c++)
        if (slabs_class_size(s, c) >= size && slabs_class_align(s, c) >= align)
            return c;
    return n;
}

/* The sizes worth asking about: 1, each class's size and its neighbours,
 * and two past the largest class.  Returns how many (at most cap). */
static size_t probe_sizes(const slabs_t *s, size_t *out, size_t cap)
{
    size_t k = 0, n = slabs_class_count(s);
    out[k++] = 1;
    for (size_t c = 0; c < n && k + 3 <= cap; c++) {
        size_t z = slabs_class_size(s, c);
        out[k++] = z - 1;
        out[k++] = z;
        out[k++] = z + 1;
    }
    if (k + 2 <= cap) {
        out[k++] = s->max_size + SLABS_GRANULE;
        out[k++] = 3 * s->max_size;
    }
    return k;
}

static void table_init(slabs_t *s, const table_t *t)
{
    ck_assert_msg(slabs_init(s, &t->cfg) == 0, "%s: slabs_init() refused the configuration",
                  t->name);
}

/* Every size and alignment of one table: the smallest valid class. */
START_TEST(classes_smallest_valid)
{
    const table_t *t = &tables[_i];
    slabs_t s;
    table_init(&s, t);
    size_t n = slabs_class_count(&s), sizes[512];
    size_t ns = probe_sizes(&s, sizes, sizeof sizes / sizeof sizes[0]);
    for (size_t k = 0; k < ns; k++)
        for (size_t align = 1; align <= SLABS_MAX_SLAB_SIZE; align *= 2) {
            size_t want = expected_class(&s, sizes[k], align), got = aligned_class(&s, sizes[k], align);
            if (got == want)
                continue;
            if (got > n)
                ck_abort_msg("%s: aligned_class(%zu, align %zu) = %zu, past the %zu classes (the "
                             "large path is %zu)", t->name, sizes[k], align, got, n, n);
            if (got == n)
                ck_abort_msg("%s: aligned_class(%zu, align %zu) chose the large path, but class "
                             "%zu (chunk %zu, aligned to %zu) holds it", t->name, sizes[k], align,
                             want, slabs_class_size(&s, want), slabs_class_align(&s, want));
            size_t gs = slabs_class_size(&s, got), ga = slabs_class_align(&s, got);
            if (gs < sizes[k])
                ck_abort_msg("%s: aligned_class(%zu, align %zu) = class %zu, whose chunk of %zu "
                             "bytes is too small", t->name, sizes[k], align, got, gs);
            if (ga < align)
                ck_abort_msg("%s: aligned_class(%zu, align %zu) = class %zu (chunk %zu), whose "
                             "objects are aligned to %zu only: slabs_class_align() says what a "
                             "class gives, and a chunk size is not an alignment", t->name,
                             sizes[k], align, got, gs, ga);
            if (want == n)
                ck_abort_msg("%s: aligned_class(%zu, align %zu) = class %zu, but no class "
                             "holds it: %zu (the large path)", t->name, sizes[k], align, got, n);
            ck_abort_msg("%s: aligned_class(%zu, align %zu) = class %zu (chunk %zu), but class "
                         "%zu (chunk %zu, aligned to %zu) is smaller and holds it", t->name,
                         sizes[k], align, got, gs, want, slabs_class_size(&s, want),
                         slabs_class_align(&s, want));
        }
    slabs_destroy(&s);
}
END_TEST

/* A few answers worked out by hand on the default table (16 KiB slabs,
 * growth 1.25: 16, 32, 48, 64, 80, 112, ... 1888, 2048, of which 32, 64
 * and 2048 are aligned to their size, the others to 16), and on the list
 * with no power of two above 16. */
START_TEST(classes_by_hand)
{
    slabs_t s;
    table_init(&s, &tables[0]);
    size_t n = slabs_class_count(&s);
    size_t c32 = slabs_class_of(&s, 32), c64 = slabs_class_of(&s, 64), c2048 = slabs_class_of(&s, 2048);
    ck_assert_uint_eq(slabs_class_size(&s, c32), 32);
    ck_assert_uint_eq(slabs_class_size(&s, c64), 64);
    ck_assert_uint_eq(slabs_class_size(&s, c2048), 2048);
    ck_assert_uint_eq(slabs_class_align(&s, c64), 64);
    ck_assert_uint_eq(slabs_class_align(&s, c64 + 1), 16);      /* 80 */
    ck_assert_uint_eq(aligned_class(&s, 1, 1), 0);              /* the first class, 16 */
    ck_assert_uint_eq(aligned_class(&s, 20, 16), c32);          /* every class has 16 */
    ck_assert_uint_eq(aligned_class(&s, 24, 32), c32);          /* 24 bytes, aligned to 32 */
    ck_assert_uint_eq(aligned_class(&s, 33, 64), c64);          /* not 48: aligned to 16 only */
    ck_assert_uint_eq(aligned_class(&s, 65, 16), c64 + 1);      /* 80 */
    ck_assert_uint_eq(aligned_class(&s, 65, 128), c2048);       /* no class between is aligned to 128 */
    ck_assert_uint_eq(aligned_class(&s, 2048, 2048), c2048);
    ck_assert_uint_eq(aligned_class(&s, 16, 4096), n);          /* no class is aligned to 4 KiB */
    ck_assert_uint_eq(aligned_class(&s, 2049, 16), n);          /* nor holds 2049 bytes */
    ck_assert_uint_eq(aligned_class(&s, 2049, 1), n);
    slabs_destroy(&s);

    table_init(&s, &tables[6]); /* 48, 80, ... 1776: every class aligned to 16 only */
    n = slabs_class_count(&s);
    ck_assert_uint_eq(aligned_class(&s, 40, 16), 0);
    ck_assert_uint_eq(aligned_class(&s, 100, 8), 2);            /* 112 */
    ck_assert_uint_eq(aligned_class(&s, 1, 32), n);             /* 48 holds it, but is not aligned to 32 */
    ck_assert_uint_eq(aligned_class(&s, 100, 64), n);
    slabs_destroy(&s);
}
END_TEST

/* slabs_alloc_aligned() on every table: aligned, with room, from the class
 * aligned_class() chose or from the large path.  Alignments up to 1 MiB:
 * each large object takes a block of at least its alignment. */
START_TEST(classes_objects_aligned)
{
    const table_t *t = &tables[_i];
    slabs_t s;
    table_init(&s, t);
    size_t n = slabs_class_count(&s), sizes[512];
    size_t ns = probe_sizes(&s, sizes, sizeof sizes / sizeof sizes[0]);
    for (size_t k = 0; k < ns; k++)
        for (size_t align = 1; align <= ((size_t)1 << 20); align *= 2) {
            size_t size = sizes[k], c = aligned_class(&s, size, align);
            slabs_stats_t before, after;
            slabs_stats(&s, &before);
            unsigned char *p = slabs_alloc_aligned(&s, size, align);
            REQUIRE(p != NULL, "%s: slabs_alloc_aligned(%zu, align %zu) failed", t->name, size,
                    align);
            slabs_stats(&s, &after);
            REQUIRE(align_ptr_is(p, align), "%s: slabs_alloc_aligned(%zu, align %zu) = %p, "
                    "not aligned (class %zu of %zu)", t->name, size, align, (void *)p, c, n);
            size_t room = slabs_usable_size(&s, p);
            REQUIRE(room >= size, "%s: slabs_alloc_aligned(%zu, align %zu): room for %zu bytes "
                    "only", t->name, size, align, room);
            if (align > SLABS_GRANULE && c < n)
                REQUIRE(room == slabs_class_size(&s, c) && after.large_objects == before.large_objects,
                        "%s: slabs_alloc_aligned(%zu, align %zu) did not come from class %zu "
                        "(chunk %zu) that aligned_class() chose", t->name, size, align, c,
                        slabs_class_size(&s, c));
            if (align > SLABS_GRANULE && c == n)
                REQUIRE(after.large_objects == before.large_objects + 1,
                        "%s: slabs_alloc_aligned(%zu, align %zu): no class fits, yet it is not "
                        "a large object", t->name, size, align);
            p[0] = 0xa5;
            p[size - 1] = 0x5a;
            slabs_free(&s, p);
        }
    slabs_stats_t st;
    slabs_stats(&s, &st);
    ck_assert_uint_eq(st.live_objects, 0);
    slabs_destroy(&s);
}
END_TEST

Suite *aligned_ex_classes_suite(void)
{
    Suite *s = suite_create("aligned-ex-classes");
    TCase *tc = tcase_create("classes");
    tcase_set_tags(tc, "core 05-classes");
    tcase_set_timeout(tc, 120); /* thousands of large objects; slow only under Valgrind */
    tcase_add_loop_test(tc, classes_smallest_valid, 0, (int)N_TABLES);
    tcase_add_test(tc, classes_by_hand);
    tcase_add_loop_test(tc, classes_objects_aligned, 0, (int)N_TABLES);
    suite_add_tcase(s, tc);
    return s;
}

/*
 * test_aligned.c - aligned objects (aligned.h) on the default page source
 * and on a vmem source (every test runs on both: loop index 0 and 1).
 *
 *  - slabs_alloc_aligned(): every power of two from 1 to SLABS_MAX_SLAB_SIZE
 *    and a spread of sizes, each object stamped over its whole size and
 *    checked after the others were made; freed with slabs_free(); the
 *    waste bounds aligned.h states for both paths; aligned_class()'s
 *    choice; live_objects, SLABS_ZERO, slabs_usable_size(), slabs_realloc();
 *    checked mode's reports for interior and foreign pointers; EINVAL;
 *  - arena_alloc_aligned(): alignment, arena_resize() keeping it (growing
 *    and shrinking, the bytes kept), ARENA_ZERO, release, arena_reset(),
 *    a second place function refused, arena_check().
 */
#include "vmem_test.h"

#include "aligned.h"
#include "misuse_counter.h"
#include "tool_query.h"

#define KIB ((size_t)1 << 10)

/* ---- the two sources ---------------------------------------------------------- */

static vmem_t tv;
static bool tv_open;

/* The source of loop index i: 0 the default one (NULL in a config), 1 a
 * fresh vmem source. */
static const page_source_t *source_for(int i)
{
    if (i == 0)
        return NULL;
    vt_init(&tv, vt_config(VMEM_HUGE_AUTO, VMEM_RELEASE_DONTNEED));
    tv_open = true;
    return vmem_source(&tv);
}

/* After a test on vmem: everything went back. */
static void source_done(void)
{
    if (!tv_open)
        return;
    ck_assert_uint_eq(vt_stats(&tv).committed, 0);
    vmem_destroy(&tv);
    tv_open = false;
}

static void slabs_on(slabs_t *s, int i, unsigned flags)
{
    slabs_config_t cfg = {.source = source_for(i), .flags = flags};
    ck_assert_int_eq(slabs_init(s, &cfg), 0);
}

static void slabs_done(slabs_t *s)
{
    ck_assert_uint_eq(slabs_check(s), 0);
    slabs_destroy(s);
    source_done();
}

static size_t live_objects(const slabs_t *s)
{
    slabs_stats_t st;
    slabs_stats(s, &st);
    return st.live_objects;
}

static uint64_t seed_of(size_t size, size_t align)
{
    return rng_mix(size * 131 + align);
}

/* slabs_alloc_aligned() asserted: aligned, usable >= size, stamped. */
static char *aligned_filled(slabs_t *s, size_t size, size_t align)
{
    char *p = slabs_alloc_aligned(s, size, align);
    REQUIRE(p != NULL, "slabs_alloc_aligned(%zu, %zu) failed, errno %d", size, align, errno);
    REQUIRE((uintptr_t)p % align == 0, "slabs_alloc_aligned(%zu, %zu) gave %p", size, align, (void *)p);
    VT_CMP(slabs_usable_size(s, p), >=, size);
    vt_fill(p, size, seed_of(size, align));
    return p;
}

/* ---- slabs_alloc_aligned ------------------------------------------------------- */

START_TEST(every_power_of_two_with_content)
{
    slabs_t s;
    slabs_on(&s, _i, 0);
    static const size_t spread[] = {1, 7, 16, 24, 100, 1000, 3000, 4096, 5000, 16 * KIB, 70000,
                                    VT_MIB + 3, 3 * VT_MIB};
    enum { NS = sizeof spread / sizeof spread[0] };
    char *prev[NS + 2] = {0};
    size_t prev_size[NS + 2] = {0}, prev_align = 0, n_prev = 0;
    /* Valgrind's memalign() refuses alignments above 16 MiB (it stops the
     * program): on the default source under it, stop there */
    size_t top = _i == 0 && tq_under_valgrind() ? 16 * VT_MIB : SLABS_MAX_SLAB_SIZE;
    for (size_t align = 1; align <= top; align <<= 1) {
        size_t sizes[NS + 2], n = 0;
        /* all of the spread up to 4 MiB alignment, then a few (each object
         * holds address space of its alignment) */
        for (size_t k = 0; k < NS; k++)
            if (align <= 4 * VT_MIB || k % 4 == 0)
                sizes[n++] = spread[k];
        if (align <= 4 * VT_MIB) { /* sizes of the alignment itself, while writing them is cheap */
            sizes[n++] = align;
            if (align > 1)
                sizes[n++] = align - 1;
        }
        char *got[NS + 2];
        size_t live = live_objects(&s);
        for (size_t k = 0; k < n; k++)
            got[k] = aligned_filled(&s, sizes[k], align);
        VT_EQ(live_objects(&s), live + n);
        /* the objects of the previous alignment survived these */
        for (size_t k = 0; k < n_prev; k++) {
            VT_VERIFY(prev[k], prev_size[k], seed_of(prev_size[k], prev_align));
            slabs_free(&s, prev[k]);
        }
        VT_EQ(live_objects(&s), live + n - n_prev);
        for (size_t k = 0; k < n; k++) {
            VT_VERIFY(got[k], sizes[k], seed_of(sizes[k], align));
            prev[k] = got[k];
            prev_size[k] = sizes[k];
        }
        n_prev = n;
        prev_align = align;
        VT_EQ(slabs_check(&s), 0);
    }
    for (size_t k = 0; k < n_prev; k++)
        slabs_free(&s, prev[k]);
    ck_assert_uint_eq(live_objects(&s), 0);
    slabs_done(&s);
}
END_TEST

/* The waste bounds of aligned.h on s: the small path below
 * 2 * max(size, align) (when every power of two up to max_size is a class),
 * the large path at most 64 + 16 bytes over size in its block. */
static void expect_waste_bounds(slabs_t *s)
{
    size_t n = slabs_class_count(s), max_size = slabs_class_size(s, n - 1);
    size_t small = 0, large = 0;
    for (size_t align = 32; align <= 2 * max_size; align <<= 1)
        for (size_t size = 1; size <= max_size + 64; size += size < 64 ? 1 : 37) {
            size_t c = aligned_class(s, size, align);
            char *p = slabs_alloc_aligned(s, size, align);
            REQUIRE(p != NULL, "(%zu, %zu): errno %d", size, align, errno);
            REQUIRE((uintptr_t)p % align == 0, "(%zu, %zu) gave %p", size, align, (void *)p);
            if (c < n) {
                size_t chunk = slabs_class_size(s, c), m = size > align ? size : align;
                REQUIRE(chunk < 2 * m, "(%zu, %zu): chunk of %zu bytes", size, align, chunk);
                VT_EQ(slabs_usable_size(s, p), chunk);
                small++;
            } else {
                slabs_stats_t st;
                slabs_stats(s, &st);
                /* large path: the block holds the size rounded to 16 and
                 * a 64-byte header, nothing more */
                REQUIRE(slabs_usable_size(s, p) - size < 16, "(%zu, %zu): usable %zu", size, align,
                        slabs_usable_size(s, p));
                REQUIRE(st.large_bytes - size < 64 + 16, "(%zu, %zu): a block of %zu bytes", size, align,
                        st.large_bytes);
                large++;
            }
            slabs_free(s, p);
        }
    ck_assert_uint_gt(small, 100);
    ck_assert_uint_gt(large, 50);
    /* the large path for big sizes too, at every alignment from slab_size up */
    for (size_t align = SLABS_DEFAULT_SLAB_SIZE; align <= 16 * VT_MIB; align <<= 1) {
        size_t size = 3 * align / 2 + 5;
        ck_assert_uint_eq(aligned_class(s, size, align), n);
        char *p = aligned_filled(s, size, align);
        slabs_stats_t st;
        slabs_stats(s, &st);
        ck_assert_uint_lt(st.large_bytes - size, 64 + 16);
        ck_assert_uint_eq(st.large_objects, 1);
        VT_VERIFY(p, size, seed_of(size, align));
        slabs_free(s, p);
    }
}

START_TEST(waste_bounds_with_every_power_of_two_a_class)
{
    /* the default growth of 1.25 from 16 to 2048, with 128, 256, 512 and
     * 1024 added: aligned.h's condition for the small path's bound */
    static const size_t sizes[] = {16,  32,  48,  64,  80,  112, 128, 144,  192,  240,  256,  304, 384,
                                   480, 512, 608, 768, 960, 1024, 1200, 1504, 1888, 2048};
    slabs_t s;
    slabs_config_t cfg = {.source = source_for(_i), .sizes = sizes, .n_sizes = sizeof sizes / sizeof sizes[0]};
    ck_assert_int_eq(slabs_init(&s, &cfg), 0);
    for (size_t p = 16; p <= 2048; p <<= 1) /* naturally aligned, as the bound needs */
        ck_assert_uint_eq(slabs_class_align(&s, slabs_class_of(&s, p)), p);
    expect_waste_bounds(&s);
    slabs_done(&s);
}
END_TEST

/* The default table has only 16, 32, 64 and 2048 among its powers of two,
 * so aligned.h states its own bound for it: below 2 * max(size, align) up
 * to 64 bytes, else the 2048-byte chunk. */
START_TEST(waste_bounds_with_the_default_table)
{
    slabs_t s;
    slabs_on(&s, _i, 0);
    size_t n = slabs_class_count(&s);
    ck_assert_uint_eq(slabs_class_size(&s, n - 1), 2048);
    for (size_t align = 32; align <= 2048; align <<= 1)
        for (size_t size = 1; size <= 2048; size++) {
            size_t c = aligned_class(&s, size, align), m = size > align ? size : align;
            ck_assert_uint_lt(c, n);
            size_t chunk = slabs_class_size(&s, c);
            if (m <= 64)
                REQUIRE(chunk < 2 * m, "(%zu, %zu): chunk of %zu bytes", size, align, chunk);
            else
                REQUIRE(chunk == 2048, "(%zu, %zu): chunk of %zu bytes", size, align, chunk);
        }
    slabs_done(&s);
}
END_TEST

START_TEST(aligned_class_choices)
{
    slabs_t s;
    slabs_on(&s, _i, 0);
    size_t n = slabs_class_count(&s);
    for (size_t align = 1; align <= SLABS_MAX_SLAB_SIZE; align <<= 1)
        for (size_t size = 1; size <= slabs_class_size(&s, n - 1) + 1; size++) {
            size_t c = aligned_class(&s, size, align);
            /* the first class that holds size and is aligned enough */
            size_t want = slabs_class_of(&s, size);
            while (want < n && slabs_class_align(&s, want) < align)
                want++;
            VT_EQ(c, want);
            if (c < n) {
                VT_CMP(slabs_class_size(&s, c), >=, size);
                VT_CMP(slabs_class_align(&s, c), >=, align);
            }
        }
    /* by name: the default table's power-of-two classes serve their size */
    ck_assert_uint_eq(slabs_class_size(&s, aligned_class(&s, 20, 32)), 32);
    ck_assert_uint_eq(slabs_class_size(&s, aligned_class(&s, 33, 64)), 64);
    ck_assert_uint_eq(slabs_class_size(&s, aligned_class(&s, 16, 16)), 16);
    ck_assert_uint_eq(slabs_class_size(&s, aligned_class(&s, 50, 16)), 64); /* 48 < 50 */
    ck_assert_uint_eq(slabs_class_size(&s, aligned_class(&s, 1, 2048)), 2048);
    ck_assert_uint_eq(aligned_class(&s, 1, 2 * slabs_class_size(&s, n - 1)), n);
    ck_assert_uint_eq(aligned_class(&s, 1, SLABS_MAX_SLAB_SIZE), n);
    slabs_done(&s);
}
END_TEST

START_TEST(zeroed_usable_and_realloc)
{
    slabs_t s;
    slabs_on(&s, _i, SLABS_ZERO);
    static const size_t cases[][2] = {{100, 256}, {3000, 64}, {1, 2048}, {5000, 4096}, {70000, 64 * KIB},
                                      {100, VT_MIB}, {VT_MIB + 5, 2 * VT_MIB}};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        size_t size = cases[k][0], align = cases[k][1];
        /* dirty the memory, free it, and take it again: zero */
        for (int round = 0; round < 2; round++) {
            char *p = slabs_alloc_aligned(&s, size, align);
            ck_assert_ptr_nonnull(p);
            ck_assert_uint_eq((uintptr_t)p % align, 0);
            size_t usable = slabs_usable_size(&s, p);
            ck_assert_uint_ge(usable, size);
            for (size_t b = 0; b < usable; b++)
                REQUIRE(p[b] == 0, "(%zu, %zu) round %d: byte %zu is %d", size, align, round, b, p[b]);
            memset(p, 0xAB, usable);
            slabs_free(&s, p);
        }
        /* realloc keeps the bytes (and the default alignment only) */
        char *p = aligned_filled(&s, size, align);
        char *q = slabs_realloc(&s, p, size + 1000);
        ck_assert_ptr_nonnull(q);
        ck_assert_uint_eq((uintptr_t)q % SLABS_GRANULE, 0);
        VT_VERIFY(q, size, seed_of(size, align));
        ck_assert_int_eq(q[size + 999], 0); /* SLABS_ZERO: the new bytes too */
        q = slabs_realloc(&s, q, size / 2 + 1);
        ck_assert_ptr_nonnull(q);
        VT_VERIFY(q, size / 2 + 1, seed_of(size, align));
        slabs_free(&s, q);
        ck_assert_uint_eq(live_objects(&s), 0);
    }
    slabs_done(&s);
}
END_TEST

START_TEST(checked_mode_reports_interior_and_foreign_pointers)
{
    slabs_t s;
    slabs_on(&s, _i, SLABS_CHECKED);
    misuse_counter_t mc;
    misuse_counter_install(&mc);
    static _Alignas(4096) char foreign[8192];
    static const size_t cases[][2] = {{100, 256}, {40, 2048}, {100, 64 * KIB}, {5000, VT_MIB}};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        size_t size = cases[k][0], align = cases[k][1];
        char *p = aligned_filled(&s, size, align);
        size_t count = mc.count;
        slabs_free(&s, p + 16);
        ck_assert_uint_eq(mc.count, count + 1);
        ck_assert_str_eq(mc.last.allocator, "slabs");
        ck_assert_str_eq(mc.last.kind, "interior-pointer");
        ck_assert_ptr_eq(mc.last.addr, p + 16);
        slabs_free(&s, p + 64);
        ck_assert_uint_eq(mc.count, count + 2);
        ck_assert_str_eq(mc.last.kind, "interior-pointer");
        slabs_free(&s, foreign + 4096);
        ck_assert_uint_eq(mc.count, count + 3);
        ck_assert_str_eq(mc.last.kind, "foreign-pointer");
        ck_assert_uint_eq(slabs_usable_size(&s, p + 16), 0);
        ck_assert_uint_eq(mc.count, count + 4);
        /* nothing changed: the object is whole and frees normally */
        VT_VERIFY(p, size, seed_of(size, align));
        ck_assert_uint_eq(slabs_check(&s), 0);
        ck_assert_uint_eq(live_objects(&s), 1);
        slabs_free(&s, p);
        ck_assert_uint_eq(mc.count, count + 4);
        ck_assert_uint_eq(live_objects(&s), 0);
        /* and a second free of it is reported */
        slabs_free(&s, p);
        ck_assert_uint_eq(mc.count, count + 5);
        ck_assert(strcmp(mc.last.kind, "double-free") == 0 || strcmp(mc.last.kind, "foreign-pointer") == 0);
    }
    misuse_counter_remove();
    slabs_done(&s);
}
END_TEST

START_TEST(bad_arguments_are_einval)
{
    slabs_t s;
    slabs_on(&s, _i, 0);
    static const size_t bad_align[] = {0, 3, 6, 24, 48, 1000, SLABS_MAX_SLAB_SIZE + 1, SLABS_MAX_SLAB_SIZE * 2,
                                       SIZE_MAX};
    for (size_t k = 0; k < sizeof bad_align / sizeof bad_align[0]; k++) {
        errno = 0;
        ck_assert_ptr_null(slabs_alloc_aligned(&s, 64, bad_align[k]));
        ck_assert_int_eq(errno, EINVAL);
    }
    errno = 0;
    ck_assert_ptr_null(slabs_alloc_aligned(&s, 0, 64));
    ck_assert_int_eq(errno, EINVAL);
    errno = 0;
    ck_assert_ptr_null(slabs_alloc_aligned(NULL, 64, 64));
    ck_assert_int_eq(errno, EINVAL);
    errno = 0;
    ck_assert_ptr_null(slabs_alloc_aligned(&s, SIZE_MAX, 64 * KIB));
    ck_assert_int_eq(errno, EINVAL);
    ck_assert_uint_eq(live_objects(&s), 0);
    slabs_done(&s);
}
END_TEST

/* ---- arena_alloc_aligned --------------------------------------------------------- */

static void arena_on(arena_t *a, int i, unsigned flags)
{
    arena_config_t cfg = {.slabs = {.source = source_for(i)}, .flags = flags};
    ck_assert_int_eq(arena_init(a, &cfg), 0);
}

static void arena_done(arena_t *a)
{
    ck_assert_uint_eq(arena_check(a), 0);
    arena_destroy(a);
    source_done();
}

static uint64_t hseed(handle_t h)
{
    return rng_mix((uint64_t)h + 1);
}

/* Asserts h's object is aligned and holds its stamp over n bytes. */
static void arena_expect(const arena_t *a, handle_t h, size_t align, size_t n)
{
    char *p = arena_get(a, h);
    REQUIRE(p != NULL, "handle %#x is not live", (unsigned)h);
    REQUIRE((uintptr_t)p % align == 0, "handle %#x at %p, not aligned to %zu", (unsigned)h, (void *)p, align);
    VT_VERIFY(p, n, hseed(h));
}

START_TEST(arena_objects_are_aligned_and_resize_keeps_it)
{
    arena_t a;
    arena_on(&a, _i, 0);
    enum { N = 24 };
    handle_t h[N];
    size_t align[N], size[N];
    for (size_t k = 0; k < N; k++) {
        align[k] = (size_t)1 << k; /* 1 .. 8 MiB */
        size[k] = 1 + k * 37;
        h[k] = arena_alloc_aligned(&a, size[k], align[k]);
        ck_assert_uint_ne(h[k], HANDLE_NULL);
        ck_assert_uint_eq(arena_size(&a, h[k]), size[k]);
        vt_fill(arena_get(&a, h[k]), size[k], hseed(h[k]));
    }
    for (size_t k = 0; k < N; k++)
        arena_expect(&a, h[k], align[k], size[k]);
    /* grow and shrink, many times: the alignment and the bytes stay */
    rng_t r = {7};
    for (int round = 0; round < 200; round++) {
        size_t k = (size_t)rng_below(&r, N);
        size_t want = 1 + (size_t)rng_below(&r, round % 10 == 0 ? 300 * KIB : 5000);
        size_t keep = want < size[k] ? want : size[k];
        ck_assert_int_eq(arena_resize(&a, h[k], want), 0);
        ck_assert_uint_eq(arena_size(&a, h[k]), want);
        arena_expect(&a, h[k], align[k], keep);
        vt_fill(arena_get(&a, h[k]), want, hseed(h[k])); /* stamp all of it again */
        size[k] = want;
    }
    for (size_t k = 0; k < N; k++)
        arena_expect(&a, h[k], align[k], size[k]);
    ck_assert_uint_eq(arena_check(&a), 0);
    /* release: gone, the others untouched */
    for (size_t k = 0; k < N; k += 2)
        ck_assert_int_eq(arena_release(&a, h[k]), 0);
    for (size_t k = 1; k < N; k += 2)
        arena_expect(&a, h[k], align[k], size[k]);
    for (size_t k = 0; k < N; k += 2)
        ck_assert_ptr_null(arena_get(&a, h[k]));
    for (size_t k = 1; k < N; k += 2)
        ck_assert_int_eq(arena_release(&a, h[k]), 0);
    arena_stats_t st;
    arena_stats(&a, &st);
    ck_assert_uint_eq(st.live, 0);
    arena_done(&a);
}
END_TEST

START_TEST(arena_zero_reset_and_one_place_function)
{
    arena_t a;
    arena_on(&a, _i, ARENA_ZERO);
    for (int round = 0; round < 2; round++) {
        for (size_t align = 32; align <= VT_MIB; align <<= 3) {
            handle_t h = arena_alloc_aligned(&a, 3000, align);
            ck_assert_uint_ne(h, HANDLE_NULL);
            char *p = arena_get(&a, h);
            ck_assert_uint_eq((uintptr_t)p % align, 0);
            for (size_t b = 0; b < 3000; b++)
                REQUIRE(p[b] == 0, "align %zu round %d: byte %zu is %d", align, round, b, p[b]);
            memset(p, 0xCD, 3000);
            ck_assert_int_eq(arena_resize(&a, h, 9000), 0); /* the new bytes zero too */
            p = arena_get(&a, h);
            ck_assert_uint_eq((uintptr_t)p % align, 0);
            for (size_t b = 0; b < 9000; b++)
                REQUIRE(p[b] == (b < 3000 ? (char)0xCD : 0), "align %zu: byte %zu after resize", align, b);
        }
        /* a second, different place function is refused, nothing changes */
        arena_stats_t st0, st1;
        arena_stats(&a, &st0);
        errno = 0;
        ck_assert_uint_eq(arena_alloc_placed(&a, 100, 64, slabs_alloc_large_aligned), HANDLE_NULL);
        ck_assert_int_eq(errno, EINVAL);
        arena_stats(&a, &st1);
        ck_assert_uint_eq(st1.live, st0.live);
        /* the same one is fine */
        handle_t h = arena_alloc_placed(&a, 100, 64, slabs_alloc_aligned);
        ck_assert_uint_ne(h, HANDLE_NULL);
        ck_assert_uint_eq((uintptr_t)arena_get(&a, h) % 64, 0);
        ck_assert_uint_eq(arena_check(&a), 0);
        /* reset: everything dies; new placed objects work after it */
        arena_reset(&a);
        arena_stats(&a, &st1);
        ck_assert_uint_eq(st1.live, 0);
        ck_assert_ptr_null(arena_get(&a, h));
    }
    /* bad alignments */
    static const size_t bad[] = {0, 3, 48, SLABS_MAX_SLAB_SIZE * 2};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        errno = 0;
        ck_assert_uint_eq(arena_alloc_aligned(&a, 100, bad[k]), HANDLE_NULL);
        ck_assert_int_eq(errno, EINVAL);
    }
    errno = 0;
    ck_assert_uint_eq(arena_alloc_aligned(NULL, 100, 64), HANDLE_NULL);
    ck_assert_int_eq(errno, EINVAL);
    errno = 0;
    ck_assert_uint_eq(arena_alloc_aligned(&a, 0, 64), HANDLE_NULL);
    ck_assert_int_eq(errno, EINVAL);
    arena_done(&a);
}
END_TEST

Suite *vmem_aligned_suite(void)
{
    Suite *s = suite_create("aligned");
    TCase *tc = tcase_create("core");
    tcase_set_tags(tc, "core");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, every_power_of_two_with_content, 0, 2);
    tcase_add_loop_test(tc, waste_bounds_with_every_power_of_two_a_class, 0, 2);
    tcase_add_loop_test(tc, waste_bounds_with_the_default_table, 0, 1);
    tcase_add_loop_test(tc, aligned_class_choices, 0, 2);
    tcase_add_loop_test(tc, zeroed_usable_and_realloc, 0, 2);
    tcase_add_loop_test(tc, checked_mode_reports_interior_and_foreign_pointers, 0, 2);
    tcase_add_loop_test(tc, arena_objects_are_aligned_and_resize_keeps_it, 0, 2);
    tcase_add_loop_test(tc, arena_zero_reset_and_one_place_function, 0, 2);
    suite_add_tcase(s, tc);
    tc = tcase_create("edge");
    tcase_set_tags(tc, "edge");
    tcase_add_loop_test(tc, bad_arguments_are_einval, 0, 2);
    suite_add_tcase(s, tc);
    return s;
}

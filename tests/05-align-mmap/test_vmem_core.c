/*
 * test_vmem_core.c - the vmem page source on its own: init and destroy, the
 * reservation (rounded to 2 MiB, 1 GiB by default, nothing resident), every
 * extent class and runs, alignment of every power of two up to 1 GiB, reuse
 * of released extents (the address space does not grow), exact committed
 * counters, size-segregated pages, no system call for slab-sized extents
 * after warm-up (T10), and the extent classes themselves.
 */
#include "vmem_test.h"

#include "vmem_internal.h"

#define KIB ((size_t)1 << 10)
#define GIB ((size_t)1 << 30)
#define CYCLES 100000

/* ---- init and destroy ------------------------------------------------------ */

START_TEST(init_reserves_one_region_and_destroy_unmaps_it)
{
    vmem_t v;
    vt_init(&v, vt_config_counted(VMEM_HUGE_AUTO, VMEM_RELEASE_DONTNEED));
    vmem_stats_t st = vt_stats(&v);
    ck_assert_uint_eq(st.reserved, VT_RESERVE);
    ck_assert_uint_eq(st.regions, 1);
    ck_assert_uint_eq(st.committed, 0);
    ck_assert_uint_eq(st.peak_committed, 0);
    ck_assert_uint_eq(st.released, 0);
    ck_assert_uint_eq(st.syscalls, vt_os_calls_made());
    ck_assert_ptr_eq(vmem_source(&v), &v.source);
    ck_assert_ptr_eq(vmem_source(&v)->ctx, &v);
    char *base = v.regions->base;
    ck_assert_uint_eq((uintptr_t)base % VMEM_HUGE_PAGE, 0);
    ck_assert_uint_eq(vt_mapped(base, VT_RESERVE), VT_RESERVE);
    vmem_destroy(&v);
    ck_assert_uint_eq(vt_mapped(base, VT_RESERVE), 0);
    ck_assert_uint_eq(vt_os.mapped, 0); /* the descriptors went too */
    ck_assert_ptr_null(v.regions);
    st = vt_stats(&v);
    ck_assert_uint_eq(st.reserved, 0);
    ck_assert_uint_eq(st.regions, 0);
    vmem_destroy(&v); /* a zeroed source: a no-op */
    vmem_destroy(NULL);
    ck_assert_ptr_null(vmem_source(NULL));
}
END_TEST

START_TEST(init_refuses_bad_arguments)
{
    vmem_t v;
    vmem_config_t cfg = vt_config(VMEM_HUGE_AUTO, VMEM_RELEASE_DONTNEED);
    ck_assert_int_eq(vmem_init(NULL, &cfg), -EINVAL);
    ck_assert_int_eq(vmem_init(&v, NULL), -EINVAL);
    ck_assert_ptr_null(v.regions);
    cfg.huge = (enum vmem_huge)(VMEM_HUGE_THP + 1);
    ck_assert_int_eq(vmem_init(&v, &cfg), -EINVAL);
    cfg.huge = VMEM_HUGE_AUTO;
    cfg.release = (enum vmem_release)(VMEM_RELEASE_KEEP + 1);
    ck_assert_int_eq(vmem_init(&v, &cfg), -EINVAL);
    ck_assert_ptr_null(v.regions);
    vmem_destroy(&v);
    vmem_stats_t st;
    vmem_stats(NULL, &st);
    ck_assert_uint_eq(st.reserved, 0);
    vmem_residency_t r;
    ck_assert_int_eq(vmem_residency(NULL, &r), -EINVAL);
}
END_TEST

START_TEST(reserve_is_rounded_up_to_2mib_and_defaults_to_1gib)
{
    static const size_t asked[][2] = {
        {1, 2 * VT_MIB},
        {2 * VT_MIB - 1, 2 * VT_MIB},
        {2 * VT_MIB, 2 * VT_MIB},
        {2 * VT_MIB + 1, 4 * VT_MIB},
        {3 * VT_MIB, 4 * VT_MIB},
        {37 * VT_MIB + 5, 38 * VT_MIB},
        {0, GIB},
    };
    for (size_t i = 0; i < sizeof asked / sizeof asked[0]; i++) {
        vmem_t v;
        vmem_config_t cfg = vt_config(VMEM_HUGE_AUTO, VMEM_RELEASE_DONTNEED);
        cfg.reserve = asked[i][0];
        vt_init(&v, cfg);
        vmem_stats_t st = vt_stats(&v);
        ck_assert_msg(st.reserved == asked[i][1], "reserve %zu gave %zu bytes, expected %zu",
                      asked[i][0], st.reserved, asked[i][1]);
        ck_assert_uint_eq(v.reserve, asked[i][1]);
        ck_assert_uint_eq(st.regions, 1);
        vmem_destroy(&v);
    }
}
END_TEST

START_TEST(nothing_is_resident_after_init)
{
    vmem_t v;
    vt_init(&v, (vmem_config_t){0}); /* 1 GiB */
    vmem_residency_t r = vt_residency(&v);
    /* the region is untouched; a neighbour the kernel merged it with (its
     * descriptors, 64 KiB) may be counted in proportion: far below 1 MiB */
    ck_assert_msg(r.rss < VT_MIB, "%zu bytes resident after reserving 1 GiB", r.rss);
    ck_assert_uint_eq(r.anon_huge, 0);
    /* one extent of 4 MiB touched: now it is resident */
    char *p = vt_acquire(&v, 4 * VT_MIB, VMEM_BASE_PAGE);
    memset(p, 1, 4 * VT_MIB);
    vmem_residency_t t = vt_residency(&v);
    ck_assert_msg(t.rss >= 4 * VT_MIB, "%zu bytes resident after touching 4 MiB", t.rss);
    ck_assert_uint_ge(t.minor_faults, 1);
    vmem_destroy(&v);
}
END_TEST

/* ---- acquire and release ---------------------------------------------------- */

START_TEST(populate_prefaults_extents)
{
    vmem_t v;
    vmem_config_t cfg = vt_config(VMEM_HUGE_OFF, VMEM_RELEASE_DONTNEED);
    cfg.populate = true;
    vt_init(&v, cfg);
    size_t rss0 = vt_residency(&v).rss;
    char *p = vt_acquire(&v, 4 * VT_MIB, VMEM_BASE_PAGE);
    char *q = vt_acquire(&v, 64 * KIB, VMEM_BASE_PAGE);
    /* resident without a touch of ours */
    size_t rss1 = vt_residency(&v).rss;
    ck_assert_msg(rss1 >= rss0 + 4 * VT_MIB + 64 * KIB, "RSS %zu -> %zu after populating 4 MiB + 64 KiB", rss0, rss1);
    vt_release(&v, q, 64 * KIB);
    vt_release(&v, p, 4 * VT_MIB);
    vmem_destroy(&v);
}
END_TEST

START_TEST(acquire_refuses_bad_arguments)
{
    vmem_t v;
    vt_init(&v, vt_config(VMEM_HUGE_AUTO, VMEM_RELEASE_DONTNEED));
    const page_source_t *src = vmem_source(&v);
    static const size_t bad_align[] = {0, 3, 24, 4097};
    for (size_t i = 0; i < sizeof bad_align / sizeof bad_align[0]; i++) {
        errno = 0;
        ck_assert_ptr_null(src->acquire(src->ctx, 4096, bad_align[i]));
        ck_assert_int_eq(errno, EINVAL);
    }
    errno = 0;
    ck_assert_ptr_null(src->acquire(src->ctx, 0, 4096));
    ck_assert_int_eq(errno, EINVAL);
    vmem_stats_t st = vt_stats(&v);
    ck_assert_uint_eq(st.committed, 0);
    ck_assert_uint_eq(st.regions, 1);
    vmem_stats(&v, NULL); /* nothing to write to: a no-op */
    vmem_destroy(&v);
}
END_TEST


/* Acquires size bytes, checks alignment and contents, releases them, and
 * checks that committed went up and back down by exactly size. */
static void round_trip(vmem_t *v, size_t size, size_t align, uint64_t seed)
{
    size_t before = vt_stats(v).committed;
    char *p = vt_acquire(v, size, align);
    REQUIRE((uintptr_t)p % align == 0, "acquire(%zu, %zu) gave %p", size, align, (void *)p);
    VT_EQ(vt_stats(v).committed, before + size);
    /* the first and last 64 KiB (all of it when smaller): no need to touch
     * a big run to prove it is ours */
    size_t head = size < 128 * KIB ? size : 64 * KIB;
    vt_fill(p, head, seed);
    vt_fill(p + size - head, head, seed + 1);
    VT_VERIFY(p + size - head, head, seed + 1);
    if (size >= 128 * KIB)
        VT_VERIFY(p, head, seed);
    vt_release(v, p, size);
    VT_EQ(vt_stats(v).committed, before);
}

START_TEST(every_extent_class_round_trips)
{
    vmem_t v;
    vt_init(&v, vt_config(VMEM_HUGE_AUTO, VMEM_RELEASE_DONTNEED));
    for (unsigned c = 0; c < VMEM_CLASSES; c++) {
        size_t size = vmem_class_size(c);
        round_trip(&v, size, VMEM_BASE_PAGE, c);
        round_trip(&v, size - VMEM_BASE_PAGE + 1, VMEM_BASE_PAGE, c + 100);
        round_trip(&v, size - 1, 16, c + 200);
    }
    vmem_stats_t st = vt_stats(&v);
    ck_assert_uint_eq(st.committed, 0);
    ck_assert_uint_eq(st.regions, 1);
    vmem_destroy(&v);
}
END_TEST

START_TEST(runs_and_a_run_bigger_than_a_region)
{
    vmem_t v;
    vt_init(&v, vt_config(VMEM_HUGE_AUTO, VMEM_RELEASE_DONTNEED));
    static const size_t sizes[] = {VMEM_SMALL_MAX + 1, 2 * VT_MIB, 2 * VT_MIB + 1, 5 * VT_MIB, 32 * VT_MIB};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        round_trip(&v, sizes[i], VMEM_BASE_PAGE, i);
    ck_assert_uint_eq(vt_stats(&v).regions, 1);
    /* a run bigger than the region: a region of its own, just as big */
    size_t big = VT_RESERVE + 3 * VT_MIB;
    char *p = vt_acquire(&v, big, VMEM_BASE_PAGE);
    vmem_stats_t st = vt_stats(&v);
    ck_assert_uint_eq(st.regions, 2);
    ck_assert_uint_eq(st.reserved, VT_RESERVE + VT_RESERVE + 4 * VT_MIB);
    ck_assert_uint_eq(st.committed, big);
    ck_assert_ptr_eq(v.regions->base, p);
    p[0] = 1;
    p[big - 1] = 2;
    /* the small extents still come from the first region */
    char *q = vt_acquire(&v, 16 * KIB, VMEM_BASE_PAGE);
    ck_assert((uintptr_t)(q - v.regions->next->base) < VT_RESERVE);
    vt_release(&v, q, 16 * KIB);
    vt_release(&v, p, big);
    ck_assert_uint_eq(vt_stats(&v).committed, 0);
    /* the same size again: the same run back, no new region */
    ck_assert_ptr_eq(vt_acquire(&v, big, VMEM_BASE_PAGE), p);
    ck_assert_uint_eq(vt_stats(&v).regions, 2);
    vt_release(&v, p, big);
    vmem_destroy(&v);
}
END_TEST

START_TEST(extents_are_aligned_to_every_power_of_two_up_to_1gib)
{
    vmem_t v;
    vt_init(&v, vt_config(VMEM_HUGE_AUTO, VMEM_RELEASE_DONTNEED));
    for (size_t align = 1; align <= GIB; align <<= 1) {
        size_t sizes[] = {1, VMEM_BASE_PAGE, align, align + 1};
        char *held[4];
        for (size_t i = 0; i < 4; i++) {
            if (sizes[i] > 64 * VT_MIB)
                sizes[i] = 64 * VT_MIB; /* enough to be a run; the alignment is what counts */
            held[i] = vt_acquire(&v, sizes[i], align);
            ck_assert_msg((uintptr_t)held[i] % align == 0, "acquire(%zu, %zu) gave %p", sizes[i], align,
                          (void *)held[i]);
            if (sizes[i] >= VMEM_HUGE_PAGE || align >= VMEM_HUGE_PAGE)
                ck_assert_uint_eq((uintptr_t)held[i] % VMEM_HUGE_PAGE, 0);
            held[i][0] = (char)i;
            held[i][sizes[i] - 1] = (char)i;
        }
        for (size_t i = 0; i < 4; i++) {
            ck_assert_int_eq(held[i][0], (char)i); /* no two of them overlap */
            vt_release(&v, held[i], sizes[i]);
        }
        ck_assert_uint_eq(vt_stats(&v).committed, 0);
    }
    vmem_destroy(&v);
}
END_TEST

START_TEST(a_released_extent_comes_back_for_the_same_size)
{
    vmem_t v;
    vt_init(&v, vt_config(VMEM_HUGE_AUTO, VMEM_RELEASE_DONTNEED));
    static const size_t sizes[] = {4 * KIB, 16 * KIB, 24 * KIB, 100 * KIB, VMEM_SMALL_MAX, 2 * VT_MIB, 6 * VT_MIB};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        /* alone in its page (the page, or the run, waits on the FIFO) */
        char *q = vt_acquire(&v, sizes[i], VMEM_BASE_PAGE);
        vt_release(&v, q, sizes[i]);
        ck_assert_ptr_eq(vt_acquire(&v, sizes[i], VMEM_BASE_PAGE), q);
        /* beside another one of its size */
        char *p = vt_acquire(&v, sizes[i], VMEM_BASE_PAGE);
        ck_assert_ptr_ne(p, q);
        vt_release(&v, p, sizes[i]);
        ck_assert_ptr_eq(vt_acquire(&v, sizes[i], VMEM_BASE_PAGE), p);
        vt_release(&v, p, sizes[i]);
        vt_release(&v, q, sizes[i]);
    }
    vmem_destroy(&v);
}
END_TEST

START_TEST(address_space_does_not_grow_over_many_cycles)
{
    vmem_t v;
    vt_init(&v, vt_config(VMEM_HUGE_AUTO, VMEM_RELEASE_DONTNEED));
    /* a mix of sizes, some held across cycles, in a pseudo-random order */
    static const size_t sizes[] = {4 * KIB, 16 * KIB, 20 * KIB, 64 * KIB, 200 * KIB, VMEM_SMALL_MAX, 3 * VT_MIB};
    enum { N = sizeof sizes / sizeof sizes[0], HELD = 8 };
    char *held[N][HELD] = {{0}};
    rng_t r = {5};
    for (size_t i = 0; i < CYCLES / 10; i++) { /* warm-up: every size held at its most */
        size_t k = (size_t)rng_below(&r, N), j = (size_t)rng_below(&r, HELD);
        if (held[k][j]) {
            vt_release(&v, held[k][j], sizes[k]);
            held[k][j] = NULL;
        } else {
            held[k][j] = vt_acquire(&v, sizes[k], VMEM_BASE_PAGE);
        }
    }
    vmem_stats_t st0 = vt_stats(&v);
    for (size_t i = 0; i < CYCLES; i++) {
        size_t k = (size_t)rng_below(&r, N), j = (size_t)rng_below(&r, HELD);
        if (held[k][j]) {
            vt_release(&v, held[k][j], sizes[k]);
            held[k][j] = NULL;
        } else {
            held[k][j] = vt_acquire(&v, sizes[k], VMEM_BASE_PAGE);
        }
    }
    vmem_stats_t st1 = vt_stats(&v);
    ck_assert_uint_eq(st1.reserved, st0.reserved);
    ck_assert_uint_eq(st1.regions, st0.regions);
    ck_assert_uint_eq(st1.regions, 1);
    for (size_t k = 0; k < N; k++)
        for (size_t j = 0; j < HELD; j++)
            if (held[k][j])
                vt_release(&v, held[k][j], sizes[k]);
    ck_assert_uint_eq(vt_stats(&v).committed, 0);
    vmem_destroy(&v);
}
END_TEST

START_TEST(committed_and_peak_are_exact)
{
    vmem_t v;
    vt_init(&v, vt_config(VMEM_HUGE_AUTO, VMEM_RELEASE_DONTNEED));
    /* committed is the bytes asked for, not the class or run they took */
    char *a = vt_acquire(&v, 5000, 16);
    char *b = vt_acquire(&v, 3 * VT_MIB + 7, VMEM_BASE_PAGE);
    char *c = vt_acquire(&v, 1, 1);
    vmem_stats_t st = vt_stats(&v);
    ck_assert_uint_eq(st.committed, 5000 + 3 * VT_MIB + 7 + 1);
    ck_assert_uint_eq(st.peak_committed, st.committed);
    vt_release(&v, b, 3 * VT_MIB + 7);
    st = vt_stats(&v);
    ck_assert_uint_eq(st.committed, 5001);
    ck_assert_uint_eq(st.peak_committed, 5000 + 3 * VT_MIB + 7 + 1);
    vt_release(&v, a, 5000);
    vt_release(&v, c, 1);
    st = vt_stats(&v);
    ck_assert_uint_eq(st.committed, 0);
    ck_assert_uint_eq(st.peak_committed, 5000 + 3 * VT_MIB + 7 + 1);
    vmem_destroy(&v);
}
END_TEST

START_TEST(different_sizes_never_share_a_2mib_page)
{
    vmem_t v;
    vt_init(&v, vt_config(VMEM_HUGE_AUTO, VMEM_RELEASE_DONTNEED));
    /* 4 KiB (a descriptor block) and 16 KiB (a slab), interleaved, and a
     * few other classes */
    static const size_t sizes[] = {4 * KIB, 16 * KIB, 12 * KIB, 40 * KIB, 512 * KIB};
    enum { N = sizeof sizes / sizeof sizes[0], EACH = 300 };
    static char *got[N][EACH];
    for (size_t i = 0; i < EACH; i++)
        for (size_t k = 0; k < N; k++)
            got[k][i] = i < EACH / (k == 4 ? 10 : 1) ? vt_acquire(&v, sizes[k], VMEM_BASE_PAGE) : NULL;
    for (size_t k = 0; k < N; k++)
        for (size_t i = 0; i < EACH && got[k][i]; i++)
            for (size_t l = k + 1; l < N; l++)
                for (size_t j = 0; j < EACH && got[l][j]; j++)
                    REQUIRE((uintptr_t)got[k][i] / VMEM_HUGE_PAGE != (uintptr_t)got[l][j] / VMEM_HUGE_PAGE,
                            "a %zu-byte extent and a %zu-byte one share the page at %p", sizes[k], sizes[l],
                            (void *)((uintptr_t)got[k][i] & ~(VMEM_HUGE_PAGE - 1)));
    for (size_t k = 0; k < N; k++)
        for (size_t i = 0; i < EACH && got[k][i]; i++)
            vt_release(&v, got[k][i], sizes[k]);
    ck_assert_uint_eq(vt_stats(&v).committed, 0);
    vmem_destroy(&v);
}
END_TEST

START_TEST(slab_sized_extents_make_no_syscall_after_warm_up)
{
    vmem_t v;
    vt_init(&v, vt_config_counted(VMEM_HUGE_AUTO, VMEM_RELEASE_DONTNEED));
    /* warm-up: the first acquisition carves a page (no call either), a
     * descriptor block's page too */
    char *keep = vt_acquire(&v, 4 * KIB, VMEM_BASE_PAGE);
    char *p = vt_acquire(&v, 16 * KIB, 16 * KIB);
    vt_release(&v, p, 16 * KIB);
    vmem_stats_t st0 = vt_stats(&v);
    size_t calls0 = vt_os_calls_made();
    char *q[4];
    for (size_t i = 0; i < CYCLES; i++) {
        /* alone in its page, and a few at once */
        p = vt_acquire(&v, 16 * KIB, 16 * KIB);
        vt_release(&v, p, 16 * KIB);
        if (i % 100 == 0) {
            for (size_t k = 0; k < 4; k++)
                q[k] = vt_acquire(&v, 16 * KIB, 16 * KIB);
            for (size_t k = 0; k < 4; k++)
                vt_release(&v, q[k], 16 * KIB);
        }
    }
    vmem_stats_t st1 = vt_stats(&v);
    ck_assert_uint_eq(st1.syscalls, st0.syscalls);
    ck_assert_uint_eq(vt_os_calls_made(), calls0);
    ck_assert_uint_eq(st1.released, st0.released);
    vt_release(&v, keep, 4 * KIB);
    vmem_destroy(&v);
}
END_TEST

/* ---- the extent classes ------------------------------------------------------- */

START_TEST(extent_classes_for_every_size_up_to_256_pages)
{
    /* the classes ascend, are whole base pages, and at least two fit a page */
    for (unsigned c = 0; c < VMEM_CLASSES; c++) {
        size_t sz = vmem_class_size(c);
        ck_assert_uint_eq(sz % VMEM_BASE_PAGE, 0);
        ck_assert_uint_ge(VMEM_HUGE_PAGE / sz, 2);
        if (c > 0)
            ck_assert_uint_gt(sz, vmem_class_size(c - 1));
        ck_assert_uint_eq(vmem_class_of(sz), c);
    }
    ck_assert_uint_eq(vmem_class_size(0), VMEM_BASE_PAGE);
    ck_assert_uint_eq(vmem_class_size(VMEM_CLASSES - 1), VMEM_SMALL_MAX);
    /* every size: the smallest class that holds it, at most a quarter over */
    for (size_t n = 1; n <= VMEM_SMALL_MAX / VMEM_BASE_PAGE; n++) {
        size_t lo = (n - 1) * VMEM_BASE_PAGE + 1, hi = n * VMEM_BASE_PAGE;
        unsigned c = vmem_class_of(hi);
        ck_assert_uint_lt(c, VMEM_CLASSES);
        ck_assert_uint_eq(vmem_class_of(lo), c);
        ck_assert_uint_eq(vmem_class_of(lo + VMEM_BASE_PAGE / 2), c);
        size_t sz = vmem_class_size(c);
        ck_assert_msg(sz >= hi, "%zu base pages: class %u of %zu bytes", n, c, sz);
        ck_assert_msg(c == 0 || vmem_class_size(c - 1) < hi, "%zu base pages: class %u is not the smallest", n, c);
        ck_assert_msg(4 * sz <= 5 * hi, "%zu base pages: class %u of %zu bytes is more than a quarter over", n, c, sz);
        if (n <= 8)
            ck_assert_uint_eq(sz, hi);
    }
    /* every power of two is a class of its own (what aligns extents) */
    for (size_t p = VMEM_BASE_PAGE; p <= VMEM_SMALL_MAX; p <<= 1)
        ck_assert_uint_eq(vmem_class_size(vmem_class_of(p)), p);
}
END_TEST

Suite *vmem_core_suite(void)
{
    Suite *s = suite_create("vmem-core");
    TCase *tc = tcase_create("core");
    tcase_set_tags(tc, "core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, init_reserves_one_region_and_destroy_unmaps_it);
    tcase_add_test(tc, init_refuses_bad_arguments);
    tcase_add_test(tc, reserve_is_rounded_up_to_2mib_and_defaults_to_1gib);
    tcase_add_test(tc, nothing_is_resident_after_init);
    tcase_add_test(tc, populate_prefaults_extents);
    tcase_add_test(tc, acquire_refuses_bad_arguments);
    tcase_add_test(tc, every_extent_class_round_trips);
    tcase_add_test(tc, runs_and_a_run_bigger_than_a_region);
    tcase_add_test(tc, extents_are_aligned_to_every_power_of_two_up_to_1gib);
    tcase_add_test(tc, a_released_extent_comes_back_for_the_same_size);
    tcase_add_test(tc, address_space_does_not_grow_over_many_cycles);
    tcase_add_test(tc, committed_and_peak_are_exact);
    tcase_add_test(tc, different_sizes_never_share_a_2mib_page);
    tcase_add_test(tc, slab_sized_extents_make_no_syscall_after_warm_up);
    tcase_add_test(tc, extent_classes_for_every_size_up_to_256_pages);
    suite_add_tcase(s, tc);
    return s;
}

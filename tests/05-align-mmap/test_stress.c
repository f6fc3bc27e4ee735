/*
 * test_stress.c - stage 05 under long random workloads, checked against a
 * model.
 *
 *  - The vmem source alone, for each release policy (DONTNEED, FREE, KEEP)
 *    with huge pages off and on: random acquisitions (sizes across the small
 *    classes and runs of several pages, alignments from 1 byte to 4 MiB) and
 *    random releases.  Every extent is stamped at both ends and checked when
 *    it goes; after every operation committed equals the model's sum and
 *    peak_committed its highest; every extent is aligned as asked (2 MiB for
 *    runs); every 512 operations and at the end the live extents are sorted
 *    and no two overlap; syscalls equals the calls the os saw and released
 *    the bytes it took back (none with KEEP); at the end nothing is mapped.
 *  - Stages 02 and 03 together on one vmem source: a slabs_t (plain and
 *    aligned objects, reallocs) and an arena (allocs, resizes, releases) under
 *    a random workload, with slabs_trim() and arena_reset() in between.  The
 *    source's committed equals the bytes both hold from it at every check,
 *    every object keeps its bytes, the checkers find nothing, and destroying
 *    both brings committed back to 0.
 *
 * Natively the file runs in a few seconds; under Valgrind the operations
 * are divided by 10.
 */
#include "vmem_test.h"

#include <stdlib.h>

#include "aligned.h"
#include "tool_query.h"
#include "vmem_internal.h"

#define KIB ((size_t)1 << 10)
#define STAMP 64 /* bytes stamped at each end of an extent */

static size_t scaled(size_t n)
{
#ifdef SC_EXPENSIVE_CHECKS
    n /= 10;
#endif
    return tq_under_valgrind() ? n / 10 : n;
}

/* ---- vmem alone ------------------------------------------------------------------ */

#define MAX_LIVE 1024
#define MAX_COMMITTED ((size_t)96 << 20)

typedef struct ext {
    char *p;
    size_t size, align;
    uint64_t seed;
} ext_t;

static ext_t live[MAX_LIVE];
static size_t n_live;

static size_t head_of(size_t size)
{
    return size < STAMP ? size : STAMP;
}

static size_t tail_of(size_t size)
{
    return head_of(size - head_of(size));
}

static void stamp(const ext_t *e)
{
    size_t h = head_of(e->size), t = tail_of(e->size);
    vt_fill(e->p, h, e->seed);
    vt_fill(e->p + e->size - t, t, ~e->seed);
}

static void verify(const ext_t *e)
{
    size_t h = head_of(e->size), t = tail_of(e->size);
    VT_VERIFY(e->p, h, e->seed);
    VT_VERIFY(e->p + e->size - t, t, ~e->seed);
}

static int by_address(const void *a, const void *b)
{
    const ext_t *x = a, *y = b;
    return x->p < y->p ? -1 : x->p > y->p;
}

/* Sorts the live extents and asserts that no two overlap. */
static void no_overlap(void)
{
    static ext_t sorted[MAX_LIVE];
    memcpy(sorted, live, n_live * sizeof *live);
    qsort(sorted, n_live, sizeof *sorted, by_address);
    for (size_t i = 1; i < n_live; i++)
        REQUIRE(sorted[i - 1].p + sorted[i - 1].size <= sorted[i].p,
                "extents %p (%zu bytes) and %p overlap", (void *)sorted[i - 1].p, sorted[i - 1].size,
                (void *)sorted[i].p);
}

/* A size: mostly within the small classes, sometimes a run of pages. */
static size_t random_size(rng_t *r)
{
    switch (rng_below(r, 16)) {
    case 0:
        return VMEM_SMALL_MAX + 1 + rng_below(r, 3 * VMEM_HUGE_PAGE); /* a run of 1 to 4 pages */
    case 1:
        return (1 + rng_below(r, 4)) * VMEM_HUGE_PAGE;                   /* whole pages exactly */
    case 2: case 3:
        return 32 * KIB + rng_below(r, VMEM_SMALL_MAX - 32 * KIB + 1);   /* the larger classes */
    case 4:
        return vmem_class_size((unsigned)rng_below(r, VMEM_CLASSES));    /* a class exactly */
    default:
        return 1 + rng_below(r, 32 * KIB);                               /* the 4 KiB steps */
    }
}

static void vmem_workload(enum vmem_huge huge, enum vmem_release release, uint64_t seed)
{
    rng_t r = {seed};
    vmem_t v;
    vt_init(&v, vt_config_counted(huge, release));
    const page_source_t *src = vmem_source(&v);
    size_t committed = 0, peak = 0, ops = scaled(150000);
    n_live = 0;
    for (size_t op = 0; op < ops; op++) {
        bool acquire = n_live == 0 || (n_live < MAX_LIVE && rng_below(&r, 100) < 55);
        if (acquire) {
            size_t size = random_size(&r), align = (size_t)1 << rng_below(&r, 23);
            if (size > MAX_COMMITTED - committed)
                continue;
            char *p = src->acquire(src->ctx, size, align);
            REQUIRE(p != NULL, "acquire(%zu, %zu) failed, errno %d", size, align, errno);
            REQUIRE(((uintptr_t)p & (align - 1)) == 0, "acquire(%zu, %zu) gave %p", size, align, (void *)p);
            REQUIRE(((uintptr_t)p & (VMEM_BASE_PAGE - 1)) == 0, "%p does not start a base page", (void *)p);
            if (size > VMEM_SMALL_MAX)
                REQUIRE(((uintptr_t)p & (VMEM_HUGE_PAGE - 1)) == 0, "a run at %p is not 2 MiB-aligned",
                        (void *)p);
            ext_t *e = &live[n_live++];
            *e = (ext_t){p, size, align, rng_next(&r)};
            stamp(e);
            committed += size;
            if (committed > peak)
                peak = committed;
        } else {
            size_t i = rng_below(&r, n_live);
            ext_t e = live[i];
            verify(&e);
            live[i] = live[--n_live];
            vt_release(&v, e.p, e.size);
            committed -= e.size;
        }
        vmem_stats_t st = vt_stats(&v);
        VT_EQ(st.committed, committed);
        VT_EQ(st.peak_committed, peak);
        if (op % 512 == 0) {
            no_overlap();
            VT_EQ(st.syscalls, vt_os_calls_made());
            VT_EQ(st.released, vt_os.given_back);
        }
    }
    no_overlap();
    for (size_t i = 0; i < n_live; i++)
        verify(&live[i]);
    vmem_stats_t st = vt_stats(&v);
    ck_assert_uint_eq(st.syscalls, vt_os_calls_made());
    ck_assert_uint_eq(st.released, vt_os.given_back);
    if (release == VMEM_RELEASE_KEEP)
        ck_assert_uint_eq(st.released, 0);
    else
        ck_assert_uint_gt(st.released, 0); /* this much churn gives pages back */
    /* half released one by one, the rest by destroy */
    while (n_live > MAX_LIVE / 4 && n_live > 0) {
        ext_t e = live[--n_live];
        verify(&e);
        vt_release(&v, e.p, e.size);
        committed -= e.size;
    }
    ck_assert_uint_eq(vt_stats(&v).committed, committed);
    vmem_destroy(&v);
    ck_assert_uint_eq(vt_os.mapped, 0);
}

START_TEST(vmem_random_workload_matches_the_model)
{
    static const enum vmem_release policies[] = {VMEM_RELEASE_DONTNEED, VMEM_RELEASE_FREE, VMEM_RELEASE_KEEP};
    static const enum vmem_huge huge[] = {VMEM_HUGE_OFF, VMEM_HUGE_AUTO};
    enum vmem_release rel = policies[_i / 2];
    enum vmem_huge h = huge[_i % 2];
    vmem_workload(h, rel, 0x05057e55u + (uint64_t)_i);
}
END_TEST

/* ---- stages 02 and 03 on one vmem source ---------------------------------------- */

#define MAX_OBJS 6000

typedef struct sobj {
    void *p;
    size_t size;
    uint64_t seed;
} sobj_t;

typedef struct aobj {
    handle_t h;
    size_t size;
} aobj_t;

static sobj_t sobjs[MAX_OBJS];
static aobj_t aobjs[MAX_OBJS];

static size_t object_size(rng_t *r)
{
    switch (rng_below(r, 10)) {
    case 0:
        return 1025 + rng_below(r, 70000); /* large */
    case 1: case 2:
        return 200 + rng_below(r, 825);
    default:
        return 1 + rng_below(r, 190);
    }
}

START_TEST(slabs_and_arena_on_one_vmem_source)
{
    rng_t r = {0x02030505};
    vmem_t v;
    vt_init(&v, vt_config_counted(VMEM_HUGE_AUTO, VMEM_RELEASE_DONTNEED));
    slabs_t s;
    slabs_config_t scfg = {.max_size = 1024, .slab_size = 32 * KIB, .source = vmem_source(&v)};
    ck_assert_int_eq(slabs_init(&s, &scfg), 0);
    arena_t a;
    arena_config_t acfg = {.slabs = {.max_size = 1024, .source = vmem_source(&v)}};
    ck_assert_int_eq(arena_init(&a, &acfg), 0);
    size_t ns = 0, na = 0, ops = scaled(200000), trims = 0, resets = 0;
    for (size_t op = 1; op <= ops; op++) {
        unsigned what = (unsigned)rng_below(&r, 100);
        if (what < 25 && ns < MAX_OBJS) { /* slabs: plain or aligned */
            size_t size = object_size(&r);
            void *p = what < 18 ? slabs_alloc(&s, size)
                                : slabs_alloc_aligned(&s, size, (size_t)1 << rng_below(&r, 17));
            REQUIRE(p != NULL, "slabs allocation of %zu bytes failed", size);
            sobjs[ns] = (sobj_t){p, size, rng_next(&r)};
            vt_fill(p, size, sobjs[ns].seed);
            ns++;
        } else if (what < 42 && ns > 0) { /* slabs: free */
            size_t i = rng_below(&r, ns);
            VT_VERIFY(sobjs[i].p, sobjs[i].size, sobjs[i].seed);
            slabs_free(&s, sobjs[i].p);
            sobjs[i] = sobjs[--ns];
        } else if (what < 48 && ns > 0) { /* slabs: realloc */
            size_t i = rng_below(&r, ns), size = object_size(&r);
            size_t keep = size < sobjs[i].size ? size : sobjs[i].size;
            void *p = slabs_realloc(&s, sobjs[i].p, size);
            REQUIRE(p != NULL, "slabs_realloc to %zu bytes failed", size);
            VT_VERIFY(p, keep, sobjs[i].seed);
            sobjs[i] = (sobj_t){p, size, rng_next(&r)};
            vt_fill(p, size, sobjs[i].seed);
        } else if (what < 75 && na < MAX_OBJS) { /* arena: alloc */
            size_t size = object_size(&r);
            handle_t h = arena_alloc(&a, size);
            REQUIRE(h != HANDLE_NULL, "arena_alloc(%zu) failed", size);
            aobjs[na++] = (aobj_t){h, size};
            vt_fill(arena_get(&a, h), size, h);
        } else if (what < 92 && na > 0) { /* arena: release */
            size_t i = rng_below(&r, na);
            VT_VERIFY(arena_get(&a, aobjs[i].h), aobjs[i].size, aobjs[i].h);
            REQUIRE(arena_release(&a, aobjs[i].h) == 0, "arena_release failed");
            aobjs[i] = aobjs[--na];
        } else if (na > 0) { /* arena: resize */
            size_t i = rng_below(&r, na), size = object_size(&r);
            size_t keep = size < aobjs[i].size ? size : aobjs[i].size;
            REQUIRE(arena_resize(&a, aobjs[i].h, size) == 0, "arena_resize to %zu failed", size);
            VT_VERIFY(arena_get(&a, aobjs[i].h), keep, aobjs[i].h);
            aobjs[i].size = size;
            vt_fill(arena_get(&a, aobjs[i].h), size, aobjs[i].h);
        }
        if (op % 20000 == 0) {
            slabs_trim(&s, 0);
            trims++;
        }
        if (op % 50000 == 0) {
            arena_reset(&a);
            na = 0;
            resets++;
        }
        if (op % 5000 == 0 || op == ops) {
            ck_assert_uint_eq(slabs_check(&s), 0);
            ck_assert_uint_eq(arena_check(&a), 0);
            slabs_stats_t ss;
            arena_stats_t as;
            slabs_stats(&s, &ss);
            arena_stats(&a, &as);
            ck_assert_uint_eq(ss.live_objects, ns);
            ck_assert_uint_eq(as.live, na);
            ck_assert_uint_eq(vt_stats(&v).committed, ss.bytes_from_source + as.bytes_from_source);
            for (size_t i = 0; i < ns; i++)
                VT_VERIFY(sobjs[i].p, sobjs[i].size, sobjs[i].seed);
            for (size_t i = 0; i < na; i++)
                VT_VERIFY(arena_get(&a, aobjs[i].h), aobjs[i].size, aobjs[i].h);
        }
    }
    ck_assert_uint_eq(trims, ops / 20000);
    ck_assert_uint_eq(resets, ops / 50000);
    for (size_t i = 0; i < ns; i++)
        slabs_free(&s, sobjs[i].p);
    slabs_trim(&s, 0);
    slabs_stats_t ss;
    slabs_stats(&s, &ss);
    arena_stats_t as;
    arena_stats(&a, &as);
    ck_assert_uint_eq(vt_stats(&v).committed, ss.bytes_from_source + as.bytes_from_source);
    slabs_destroy(&s);
    arena_destroy(&a);
    vmem_stats_t st = vt_stats(&v);
    ck_assert_uint_eq(st.committed, 0);
    ck_assert_uint_gt(st.peak_committed, 0);
    ck_assert_uint_eq(st.syscalls, vt_os_calls_made());
    vmem_destroy(&v);
    ck_assert_uint_eq(vt_os.mapped, 0);
}
END_TEST

Suite *vmem_stress_suite(void)
{
    Suite *s = suite_create("vmem-stress");
    TCase *tc = tcase_create("stress");
    tcase_set_tags(tc, "stress");
    tcase_set_timeout(tc, 600);
    tcase_add_loop_test(tc, vmem_random_workload_matches_the_model, 0, 6);
    tcase_add_test(tc, slabs_and_arena_on_one_vmem_source);
    suite_add_tcase(s, tc);
    return s;
}

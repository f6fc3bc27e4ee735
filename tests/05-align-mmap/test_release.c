/*
 * test_release.c - how memory goes back to the kernel: slabs on a vmem
 * source, trimmed, under each release policy (DONTNEED: RSS drops now; FREE:
 * counted, lazily taken; KEEP: nothing goes back), the hysteresis (a slab
 * cycling alone costs no system call; at most VMEM_KEEP_PAGES empty pages
 * wait; a waiting page goes back after VMEM_DECAY_OPS operations), nothing
 * left mapped after destroy, and batched release without huge pages.
 */
#include "vmem_test.h"

#include <stdlib.h>

#include "slabs.h"
#include "vmem_internal.h"

#define KIB ((size_t)1 << 10)
#define OBJ 1024                       /* bytes per object of the workloads */
#define WORKLOAD (64 * VT_MIB)         /* bytes of objects they allocate */
#define NOBJ (WORKLOAD / OBJ)

/* slabs_init(s) on v's source with default classes, asserted. */
static void slabs_on(slabs_t *s, vmem_t *v)
{
    slabs_config_t cfg = {.source = vmem_source(v)};
    ck_assert_int_eq(slabs_init(s, &cfg), 0);
}

/* Allocates NOBJ objects of OBJ bytes into objs and writes one byte in each
 * (so every base page of every slab is touched). */
static void allocate_workload(slabs_t *s, char **objs)
{
    for (size_t i = 0; i < NOBJ; i++) {
        objs[i] = slabs_alloc(s, OBJ);
        REQUIRE(objs[i] != NULL, "object %zu of %zu: errno %d", i, (size_t)NOBJ, errno);
        objs[i][0] = (char)i;
    }
}

static void free_workload(slabs_t *s, char **objs)
{
    for (size_t i = 0; i < NOBJ; i++) {
        REQUIRE(objs[i][0] == (char)i, "object %zu lost its byte", i);
        slabs_free(s, objs[i]);
    }
}

/* What one trim did: the counters and residency before and after. */
typedef struct trim_result {
    size_t trimmed;
    vmem_stats_t st0, st1;
    vmem_residency_t r0, r1;
} trim_result_t;

/* Builds slabs on v, allocates the workload, frees it all and trims to 0,
 * measuring around the trim.  Leaves s initialised (objects all freed). */
static trim_result_t workload_then_trim(slabs_t *s, vmem_t *v)
{
    char **objs = malloc(NOBJ * sizeof *objs);
    ck_assert_ptr_nonnull(objs);
    slabs_on(s, v);
    allocate_workload(s, objs);
    free_workload(s, objs);
    free(objs);
    trim_result_t t;
    t.st0 = vt_stats(v);
    t.r0 = vt_residency(v);
    t.trimmed = slabs_trim(s, 0);
    t.st1 = vt_stats(v);
    t.r1 = vt_residency(v);
    ck_assert_uint_ge(t.trimmed, WORKLOAD);
    ck_assert_uint_eq(slabs_check(s), 0);
    /* committed falls by exactly what slabs gave back, under every policy */
    ck_assert_uint_eq(t.st0.committed - t.st1.committed, t.trimmed);
    return t;
}

/* RSS dropped by at least three quarters of the bytes trimmed. */
static void expect_rss_drop(const trim_result_t *t)
{
    size_t drop = t->r0.rss > t->r1.rss ? t->r0.rss - t->r1.rss : 0;
    ck_assert_msg(drop >= t->trimmed / 4 * 3, "RSS %zu -> %zu: dropped %zu of %zu bytes trimmed", t->r0.rss,
                  t->r1.rss, drop, t->trimmed);
}

/* ---- the three policies ------------------------------------------------------ */

START_TEST(dontneed_gives_back_and_rss_drops)
{
    vmem_t v;
    slabs_t s;
    vt_init(&v, vt_config_counted(VMEM_HUGE_AUTO, VMEM_RELEASE_DONTNEED));
    trim_result_t t = workload_then_trim(&s, &v);
    size_t released = t.st1.released - t.st0.released;
    ck_assert_uint_eq(t.st0.released, 0);
    ck_assert_uint_eq(released % VMEM_HUGE_PAGE, 0);
    /* whole pages, all but the few kept waiting on the FIFO */
    ck_assert_uint_ge(released, t.trimmed - VMEM_KEEP_PAGES * VMEM_HUGE_PAGE);
    ck_assert_uint_le(v.fifo_pages, VMEM_KEEP_PAGES);
    ck_assert_uint_eq(vt_os.given_back, t.st1.released);
    ck_assert_uint_eq(vt_os.free_, 0);
    expect_rss_drop(&t);
    slabs_destroy(&s);
    ck_assert_uint_eq(vt_stats(&v).committed, 0);
    vmem_destroy(&v);
}
END_TEST

START_TEST(keep_gives_nothing_back_and_rss_stays)
{
    vmem_t v;
    slabs_t s;
    vt_init(&v, vt_config_counted(VMEM_HUGE_AUTO, VMEM_RELEASE_KEEP));
    trim_result_t t = workload_then_trim(&s, &v);
    ck_assert_uint_eq(t.st1.released, 0);
    ck_assert_uint_eq(vt_os.dontneed + vt_os.free_, 0);
    ck_assert_uint_ge(t.r0.rss, WORKLOAD);
    size_t drop = t.r0.rss > t.r1.rss ? t.r0.rss - t.r1.rss : 0;
    ck_assert_msg(drop < t.trimmed / 4, "RSS %zu -> %zu with nothing given back", t.r0.rss, t.r1.rss);
    /* the kept pages serve the next workload without a fault's worth of
     * system calls: the same address space, no new region */
    char **objs = malloc(NOBJ * sizeof *objs);
    ck_assert_ptr_nonnull(objs);
    allocate_workload(&s, objs);
    ck_assert_uint_eq(vt_stats(&v).reserved, t.st1.reserved);
    free_workload(&s, objs);
    free(objs);
    slabs_destroy(&s);
    vmem_destroy(&v);
}
END_TEST

START_TEST(free_counts_what_it_gives_back)
{
    vmem_t v;
    slabs_t s;
    vt_init(&v, vt_config_counted(VMEM_HUGE_AUTO, VMEM_RELEASE_FREE));
    trim_result_t t = workload_then_trim(&s, &v);
    size_t released = t.st1.released - t.st0.released;
    ck_assert_uint_eq(released % VMEM_HUGE_PAGE, 0);
    ck_assert_uint_ge(released, t.trimmed - VMEM_KEEP_PAGES * VMEM_HUGE_PAGE);
    ck_assert_uint_ge(vt_os.free_, 1);
    ck_assert_uint_eq(vt_os.dontneed, 0);
    ck_assert_uint_eq(vt_os.given_back, t.st1.released);
    /* MADV_FREE promises no drop now (the kernel takes the pages when it
     * needs memory), only that the pages work when touched again: the next
     * workload runs on them and keeps its bytes */
    char **objs = malloc(NOBJ * sizeof *objs);
    ck_assert_ptr_nonnull(objs);
    allocate_workload(&s, objs);
    free_workload(&s, objs);
    free(objs);
    ck_assert_uint_eq(slabs_check(&s), 0);
    slabs_destroy(&s);
    vmem_destroy(&v);
}
END_TEST

START_TEST(without_huge_pages_release_is_batched)
{
    vmem_t v;
    slabs_t s;
    vt_init(&v, vt_config_counted(VMEM_HUGE_OFF, VMEM_RELEASE_DONTNEED));
    char thp[32];
    vt_thp_setting("enabled", thp, sizeof thp);
    if (thp[0] != '\0') /* a kernel with THP: the region was advised not to use them */
        ck_assert_uint_ge(vt_os.nohugepage, 1);
    ck_assert_uint_eq(vt_os.hugepage, 0);
    trim_result_t t = workload_then_trim(&s, &v);
    size_t slabs_released = t.trimmed / SLABS_DEFAULT_SLAB_SIZE;
    size_t calls = t.st1.syscalls - t.st0.syscalls;
    ck_assert_uint_ge(slabs_released, WORKLOAD / SLABS_DEFAULT_SLAB_SIZE);
    /* one madvise per 2 MiB page at most: 128 slabs of 16 KiB each */
    ck_assert_uint_le(calls, t.trimmed / VMEM_HUGE_PAGE + 1);
    ck_assert_msg(calls * 64 <= slabs_released, "%zu system calls for %zu slabs", calls, slabs_released);
    ck_assert_uint_ge(t.st1.released - t.st0.released, t.trimmed - VMEM_KEEP_PAGES * VMEM_HUGE_PAGE);
    expect_rss_drop(&t);
    slabs_destroy(&s);
    vmem_destroy(&v);
}
END_TEST

/* ---- hysteresis ---------------------------------------------------------------- */

START_TEST(one_slab_cycling_alone_makes_no_syscall)
{
    vmem_t v;
    slabs_t s;
    vt_init(&v, vt_config_counted(VMEM_HUGE_AUTO, VMEM_RELEASE_DONTNEED));
    slabs_on(&s, &v);
    slabs_class_stats_t cs;
    size_t cls = slabs_class_of(&s, 256);
    ck_assert_int_eq(slabs_class_stats(&s, cls, &cs), 0);
    size_t n = cs.chunks_per_slab;
    char *objs[SLABS_DEFAULT_SLAB_SIZE / 16];
    ck_assert_uint_le(n, sizeof objs / sizeof objs[0]);
    vmem_stats_t st0 = {0};
    for (size_t round = 0; round < 2000; round++) {
        if (round == 1) /* after warm-up: slabs' metadata and one slab made */
            st0 = vt_stats(&v);
        for (size_t i = 0; i < n; i++) {
            objs[i] = slabs_alloc(&s, 256);
            REQUIRE(objs[i] != NULL, "round %zu: errno %d", round, errno);
        }
        for (size_t i = 0; i < n; i++)
            slabs_free(&s, objs[i]);
        /* the slab goes back to vmem, alone in its page, every round */
        VT_EQ(slabs_trim(&s, 0), SLABS_DEFAULT_SLAB_SIZE);
    }
    vmem_stats_t st1 = vt_stats(&v);
    ck_assert_uint_eq(st1.syscalls, st0.syscalls);
    ck_assert_uint_eq(st1.released, st0.released);
    ck_assert_uint_eq(slabs_check(&s), 0);
    slabs_destroy(&s);
    vmem_destroy(&v);
}
END_TEST

START_TEST(at_most_keep_pages_wait_on_the_fifo)
{
    vmem_t v;
    vt_init(&v, vt_config_counted(VMEM_HUGE_AUTO, VMEM_RELEASE_DONTNEED));
    enum { PAGES = 10, PER_PAGE = VMEM_HUGE_PAGE / (16 * KIB) };
    static char *ext[PAGES * PER_PAGE];
    for (size_t i = 0; i < PAGES * PER_PAGE; i++)
        ext[i] = vt_acquire(&v, 16 * KIB, VMEM_BASE_PAGE);
    /* they filled exactly PAGES pages */
    for (size_t i = 0; i < PAGES * PER_PAGE; i++)
        VT_EQ((uintptr_t)ext[i] / VMEM_HUGE_PAGE, (uintptr_t)ext[i / PER_PAGE * PER_PAGE] / VMEM_HUGE_PAGE);
    size_t calls0 = vt_os_calls_made();
    for (size_t i = 0; i < PAGES * PER_PAGE; i++) {
        vt_release(&v, ext[i], 16 * KIB);
        VT_CMP(v.fifo_pages, <=, VMEM_KEEP_PAGES);
        size_t emptied = (i + 1) / PER_PAGE;
        size_t gone = emptied > VMEM_KEEP_PAGES ? emptied - VMEM_KEEP_PAGES : 0;
        VT_EQ(vt_stats(&v).released, gone * VMEM_HUGE_PAGE); /* the oldest go, one page each */
        VT_EQ(v.fifo_pages, emptied - gone);
    }
    ck_assert_uint_eq(vt_os.dontneed, PAGES - VMEM_KEEP_PAGES);
    ck_assert_uint_eq(vt_os_calls_made() - calls0, PAGES - VMEM_KEEP_PAGES);
    ck_assert_uint_eq(vt_os.given_back, (PAGES - VMEM_KEEP_PAGES) * VMEM_HUGE_PAGE);
    vmem_destroy(&v);
}
END_TEST

START_TEST(a_waiting_page_goes_back_after_decay_ops)
{
    vmem_t v;
    vt_init(&v, vt_config_counted(VMEM_HUGE_AUTO, VMEM_RELEASE_DONTNEED));
    char *a = vt_acquire(&v, 8 * KIB, VMEM_BASE_PAGE);
    char *b0 = vt_acquire(&v, 16 * KIB, VMEM_BASE_PAGE); /* keeps the other class's page in use */
    vt_release(&v, a, 8 * KIB);                          /* a's page empties: it waits */
    ck_assert_uint_eq(v.fifo_pages, 1);
    size_t ops = 0;
    while (ops + 2 <= VMEM_DECAY_OPS - 100) { /* well inside the decay time: it still waits */
        vt_release(&v, vt_acquire(&v, 16 * KIB, VMEM_BASE_PAGE), 16 * KIB);
        ops += 2;
    }
    ck_assert_uint_eq(vt_stats(&v).released, 0);
    ck_assert_uint_eq(v.fifo_pages, 1);
    while (ops + 2 <= VMEM_DECAY_OPS + 100) { /* past it: gone, with one madvise */
        vt_release(&v, vt_acquire(&v, 16 * KIB, VMEM_BASE_PAGE), 16 * KIB);
        ops += 2;
    }
    ck_assert_uint_eq(vt_stats(&v).released, VMEM_HUGE_PAGE);
    ck_assert_uint_eq(vt_os.dontneed, 1);
    ck_assert_uint_eq(v.fifo_pages, 0);
    /* the page given back serves again (fresh from the kernel: zero) */
    char *c = vt_acquire(&v, 8 * KIB, VMEM_BASE_PAGE);
    c[0] = 1;
    vt_release(&v, c, 8 * KIB);
    vt_release(&v, b0, 16 * KIB);
    vmem_destroy(&v);
}
END_TEST

/* ---- destroy ------------------------------------------------------------------ */

START_TEST(destroy_leaves_nothing_mapped)
{
    vmem_t v;
    slabs_t s;
    vt_init(&v, vt_config_counted(VMEM_HUGE_AUTO, VMEM_RELEASE_DONTNEED));
    slabs_on(&s, &v);
    static char *objs[4096];
    for (size_t i = 0; i < 4096; i++) {
        objs[i] = slabs_alloc(&s, 16 + i % 3000);
        ck_assert_ptr_nonnull(objs[i]);
        objs[i][0] = 1;
    }
    char *big = slabs_alloc(&s, VT_RESERVE + VT_MIB); /* a region of its own */
    ck_assert_ptr_nonnull(big);
    big[0] = 1;
    ck_assert_uint_eq(vt_stats(&v).regions, 2);
    /* what is mapped: every region and its descriptors */
    struct mapping { const void *at; size_t len; } maps[8];
    size_t n = 0;
    for (vmem_region_t *r = v.regions; r; r = r->next) {
        ck_assert_uint_lt(n + 2, 8);
        maps[n++] = (struct mapping){r->base, r->len};
        maps[n++] = (struct mapping){r, r->meta_bytes};
    }
    for (size_t i = 0; i < n; i++)
        ck_assert_uint_eq(vt_mapped(maps[i].at, maps[i].len), maps[i].len);
    slabs_destroy(&s);
    ck_assert_uint_eq(vt_stats(&v).committed, 0);
    vmem_destroy(&v);
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(vt_mapped(maps[i].at, maps[i].len) == 0, "%zu bytes at %p still mapped",
                      vt_mapped(maps[i].at, maps[i].len), maps[i].at);
    ck_assert_uint_eq(vt_os.mapped, 0);
    ck_assert_uint_eq(vt_os.unmap.failures, 0);
}
END_TEST

Suite *vmem_release_suite(void)
{
    Suite *s = suite_create("vmem-release");
    TCase *tc = tcase_create("core");
    tcase_set_tags(tc, "core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, dontneed_gives_back_and_rss_drops);
    tcase_add_test(tc, keep_gives_nothing_back_and_rss_stays);
    tcase_add_test(tc, free_counts_what_it_gives_back);
    tcase_add_test(tc, without_huge_pages_release_is_batched);
    tcase_add_test(tc, one_slab_cycling_alone_makes_no_syscall);
    tcase_add_test(tc, at_most_keep_pages_wait_on_the_fifo);
    tcase_add_test(tc, a_waiting_page_goes_back_after_decay_ops);
    tcase_add_test(tc, destroy_leaves_nothing_mapped);
    suite_add_tcase(s, tc);
    return s;
}

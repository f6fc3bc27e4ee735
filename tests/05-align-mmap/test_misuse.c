/*
 * test_misuse.c - releases the vmem source cannot honour: an address in
 * none of its regions (kind "foreign-extent"), an extent released twice,
 * an address that is no extent's start, a page never handed out, a size
 * that does not fit the extent (kind "bad-release").  Each goes to the
 * misuse handler with allocator "vmem" and changes nothing; with the
 * default handler the process aborts (the death tests, tag misuse: fork
 * mode only).
 */
#include "vmem_test.h"

#include <signal.h>
#include <stdlib.h>

#include "misuse_counter.h"
#include "vmem_internal.h"

#define KIB ((size_t)1 << 10)

static vmem_t v;
static misuse_counter_t mc;

static void setup(void)
{
    vt_init(&v, vt_config_counted(VMEM_HUGE_AUTO, VMEM_RELEASE_DONTNEED));
    misuse_counter_install(&mc);
}

static void teardown(void)
{
    misuse_counter_remove();
    vmem_destroy(&v);
    ck_assert_uint_eq(vt_os.mapped, 0);
}

/* Releases (addr, size) and asserts that exactly one report of kind came,
 * naming addr, and that no counter moved and no system call was made. */
static void expect_refused(void *addr, size_t size, const char *kind)
{
    vmem_stats_t st0 = vt_stats(&v);
    size_t count = mc.count, calls = vt_os_calls_made(), fifo = v.fifo_pages;
    vt_release(&v, addr, size);
    ck_assert_msg(mc.count == count + 1, "release(%p, %zu): %zu reports, expected 1", addr, size,
                  mc.count - count);
    ck_assert_str_eq(mc.last.allocator, "vmem");
    ck_assert_str_eq(mc.last.kind, kind);
    ck_assert_ptr_eq(mc.last.addr, addr);
    ck_assert_ptr_nonnull(mc.last.message);
    vmem_stats_t st1 = vt_stats(&v);
    ck_assert_uint_eq(st1.committed, st0.committed);
    ck_assert_uint_eq(st1.released, st0.released);
    ck_assert_uint_eq(st1.syscalls, st0.syscalls);
    ck_assert_uint_eq(vt_os_calls_made(), calls);
    ck_assert_uint_eq(v.fifo_pages, fifo);
}

START_TEST(foreign_address_is_reported)
{
    static char outside[64 * KIB];
    char *heap = malloc(100);
    ck_assert_ptr_nonnull(heap);
    char *p = vt_acquire(&v, 16 * KIB, VMEM_BASE_PAGE);
    vt_fill(p, 16 * KIB, 1);
    expect_refused(outside, 16 * KIB, "foreign-extent");
    expect_refused(heap, 100, "foreign-extent");
    expect_refused(v.regions->base + v.regions->len, 16 * KIB, "foreign-extent"); /* just past the region */
    expect_refused(v.regions->base - VMEM_BASE_PAGE, 4 * KIB, "foreign-extent");  /* just before it */
    free(heap);
    /* the extent is untouched and goes back normally */
    VT_VERIFY(p, 16 * KIB, 1);
    vt_release(&v, p, 16 * KIB);
    ck_assert_uint_eq(vt_stats(&v).committed, 0);
    ck_assert_uint_eq(mc.count, 4);
}
END_TEST

START_TEST(double_release_is_reported)
{
    static const size_t sizes[] = {4 * KIB, 16 * KIB, 100 * KIB, VMEM_SMALL_MAX, 3 * VT_MIB};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        char *keep = vt_acquire(&v, sizes[i], VMEM_BASE_PAGE); /* the page stays in use */
        char *p = vt_acquire(&v, sizes[i], VMEM_BASE_PAGE);
        vt_release(&v, p, sizes[i]);
        expect_refused(p, sizes[i], "bad-release");
        /* also once the page (or run) is empty and waiting */
        vt_release(&v, keep, sizes[i]);
        expect_refused(keep, sizes[i], "bad-release");
        /* the extents are handed out again, once each */
        char *a = vt_acquire(&v, sizes[i], VMEM_BASE_PAGE);
        char *b = vt_acquire(&v, sizes[i], VMEM_BASE_PAGE);
        ck_assert_ptr_ne(a, b);
        vt_release(&v, a, sizes[i]);
        vt_release(&v, b, sizes[i]);
        ck_assert_uint_eq(vt_stats(&v).committed, 0);
    }
    ck_assert_uint_eq(mc.count, 2 * 5);
}
END_TEST

START_TEST(an_address_that_is_no_extent_is_reported)
{
    char *p = vt_acquire(&v, 16 * KIB, VMEM_BASE_PAGE);
    char *run = vt_acquire(&v, 4 * VT_MIB, VMEM_BASE_PAGE);
    expect_refused(p + 4 * KIB, 4 * KIB, "bad-release");          /* inside a small extent */
    expect_refused(p + 1, 16 * KIB - 1, "bad-release");           /* not page-aligned */
    expect_refused(run + VMEM_HUGE_PAGE, 2 * VT_MIB, "bad-release"); /* the second page of a run */
    expect_refused(run + 4096, 4 * VT_MIB - 4096, "bad-release");  /* inside a run */
    /* a page of the region never handed out */
    char *last = v.regions->base + v.regions->len - VMEM_HUGE_PAGE;
    ck_assert_int_eq(v.regions->pages_[v.regions->pages - 1].state, VMEM_PG_FREE);
    expect_refused(last, 16 * KIB, "bad-release");
    vt_release(&v, p, 16 * KIB);
    vt_release(&v, run, 4 * VT_MIB);
    ck_assert_uint_eq(vt_stats(&v).committed, 0);
}
END_TEST

START_TEST(a_size_that_does_not_fit_is_reported)
{
    char *p = vt_acquire(&v, 16 * KIB, VMEM_BASE_PAGE);
    char *run = vt_acquire(&v, 4 * VT_MIB, VMEM_BASE_PAGE);
    expect_refused(p, 16 * KIB + 1, "bad-release");       /* more than its class */
    expect_refused(p, VMEM_SMALL_MAX, "bad-release");
    expect_refused(run, 6 * VT_MIB, "bad-release");       /* another number of pages */
    expect_refused(run, 2 * VT_MIB, "bad-release");
    expect_refused(run, 1, "bad-release");
    vt_release(&v, run, 4 * VT_MIB);
    vt_release(&v, p, 16 * KIB);
    ck_assert_uint_eq(mc.count, 5);
    ck_assert_uint_eq(vt_stats(&v).committed, 0);
}
END_TEST

/* ---- default handler: death tests ---------------------------------------------- */

static void death_setup(void)
{
    vt_init(&v, vt_config(VMEM_HUGE_AUTO, VMEM_RELEASE_DONTNEED));
    misuse_set_handler(NULL, NULL);
}

START_TEST(foreign_release_aborts)
{
    static char outside[4096];
    misuse_silence_stderr();
    vt_release(&v, outside, sizeof outside);
    ck_abort_msg("a foreign release returned with the default handler");
}
END_TEST

START_TEST(double_release_aborts)
{
    char *p = vt_acquire(&v, 16 * KIB, VMEM_BASE_PAGE);
    vt_release(&v, p, 16 * KIB);
    misuse_silence_stderr();
    vt_release(&v, p, 16 * KIB);
    ck_abort_msg("a double release returned with the default handler");
}
END_TEST

Suite *vmem_misuse_suite(void)
{
    Suite *s = suite_create("vmem-misuse");
    TCase *tc = tcase_create("counted");
    tcase_set_tags(tc, "edge");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, foreign_address_is_reported);
    tcase_add_test(tc, double_release_is_reported);
    tcase_add_test(tc, an_address_that_is_no_extent_is_reported);
    tcase_add_test(tc, a_size_that_does_not_fit_is_reported);
    suite_add_tcase(s, tc);

    /* death tests: no teardown (the child dies) */
    tc = tcase_create("death");
    tcase_set_tags(tc, "misuse");
    tcase_add_checked_fixture(tc, death_setup, NULL);
    tcase_add_test_raise_signal(tc, foreign_release_aborts, SIGABRT);
    tcase_add_test_raise_signal(tc, double_release_aborts, SIGABRT);
    suite_add_tcase(s, tc);
    return s;
}

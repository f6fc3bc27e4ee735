/*
 * test_tool.c - stage 05 under Valgrind memcheck or AddressSanitizer: an
 * extent released to vmem is off limits to the tool (every byte of it, small
 * extents and runs), until an acquisition hands it out again; a live extent
 * is usable throughout; and after vmem_destroy() no poison outlives the
 * regions: memory mapped again at the same addresses is usable at once.
 * These tests ask the tool directly (tq_inaccessible) and never touch memory
 * the tool forbids.
 *
 * A small extent's page stays in use (another extent of the page stays live)
 * and a run is at most VMEM_KEEP_PAGES pages, so nothing here is given back
 * to the kernel while it is checked: a page that goes back is no extent's,
 * and vmem lifts the poison from it.
 *
 * Tagged `tool`: they only mean something under a tool, so without one they
 * fail with a message saying how to run them (make memcheck, make asan).
 */
#include "vmem_test.h"

#include "slabs.h"
#include "tool_query.h"
#include "vmem_internal.h"

#define KIB ((size_t)1 << 10)

static vmem_t v;

static void setup(void)
{
    if (!tq_under_valgrind() && !tq_asan())
        ck_abort_msg("tool tests need Valgrind or ASan: run them with `make memcheck` or "
                     "`make asan` (make test excludes the `tool` tag)");
    vt_init(&v, vt_config(VMEM_HUGE_AUTO, VMEM_RELEASE_DONTNEED));
}

static void teardown(void)
{
    vmem_destroy(&v);
}

/* Bytes of [p, p + n) the tool forbids, sampling every `step` bytes and
 * the last byte. */
static size_t forbidden(const char *p, size_t n, size_t step)
{
    size_t bad = 0;
    for (size_t i = 0; i < n; i += step)
        bad += tq_inaccessible(p + i);
    return bad + (n % step != 1 && tq_inaccessible(p + n - 1));
}

static const size_t sizes[] = {1, 100, 4 * KIB, 5000, 40 * KIB, 300 * KIB, VMEM_SMALL_MAX,
                               VMEM_SMALL_MAX + 1, VMEM_HUGE_PAGE, 3 * VMEM_HUGE_PAGE};
#define N_SIZES (sizeof sizes / sizeof sizes[0])

START_TEST(a_live_extent_is_accessible)
{
    for (size_t i = 0; i < N_SIZES; i++) {
        char *p = vt_acquire(&v, sizes[i], 1);
        ck_assert_msg(forbidden(p, sizes[i], 61) == 0, "live extent of %zu bytes off limits", sizes[i]);
        vt_fill(p, sizes[i], i);
        VT_VERIFY(p, sizes[i], i);
        vt_release(&v, p, sizes[i]);
    }
}
END_TEST

START_TEST(a_released_extent_is_off_limits_until_handed_out_again)
{
    for (size_t i = 0; i < N_SIZES; i++) {
        size_t n = sizes[i];
        char *keep = vt_acquire(&v, n, 1); /* keeps a small extent's page in use */
        char *p = vt_acquire(&v, n, 1);
        vt_fill(p, n, i);
        vt_release(&v, p, n);
        ck_assert_msg(tq_inaccessible(p), "released %zu-byte extent: first byte accessible", n);
        ck_assert_msg(tq_inaccessible(p + n - 1), "released %zu-byte extent: last byte accessible", n);
        ck_assert_msg(forbidden(p, n, 61) == (n + 60) / 61 + (n % 61 != 1),
                      "released %zu-byte extent: some bytes accessible", n);
        ck_assert_msg(!tq_inaccessible(keep) && !tq_inaccessible(keep + n - 1),
                      "the neighbour of a released %zu-byte extent is off limits", n);
        char *q = vt_acquire(&v, n, 1); /* the same size: the same extent, usable again */
        ck_assert_ptr_eq(q, p);
        ck_assert_msg(forbidden(q, n, 61) == 0, "%zu-byte extent handed out again is off limits", n);
        vt_fill(q, n, 100 + i);
        vt_release(&v, q, n);
        vt_release(&v, keep, n);
    }
}
END_TEST

START_TEST(an_extent_released_through_slabs_is_off_limits)
{
    slabs_t s;
    slabs_config_t cfg = {.max_size = 1024, .slab_size = 64 * KIB, .source = vmem_source(&v)};
    ck_assert_int_eq(slabs_init(&s, &cfg), 0);
    void *keep = slabs_alloc(&s, 100 * KIB); /* a large object: an extent of the same class */
    char *big = slabs_alloc(&s, 100 * KIB);
    ck_assert_ptr_nonnull(keep);
    ck_assert_ptr_nonnull(big);
    memset(big, 0x42, 100 * KIB);
    slabs_free(&s, big);
    ck_assert(tq_inaccessible(big));
    ck_assert(tq_inaccessible(big + 100 * KIB - 1));
    slabs_free(&s, keep);
    slabs_destroy(&s);
}
END_TEST

START_TEST(no_poison_outlives_vmem_destroy)
{
    enum { N = 6 };
    char *p[N];
    for (size_t i = 0; i < N; i++) {
        p[i] = vt_acquire(&v, sizes[i + 2], 1);
        vt_fill(p[i], sizes[i + 2], i);
    }
    for (size_t i = 0; i < N; i += 2)
        vt_release(&v, p[i], sizes[i + 2]); /* poisoned now; the others are live */
    char *base = v.regions->base;
    size_t len = v.regions->len;
    ck_assert(tq_inaccessible(p[0]));
    vmem_destroy(&v);
    ck_assert_uint_eq(vt_mapped(base, len), 0);
    /* the same addresses mapped again are fresh memory: usable at once */
    char *m = mmap(base, len, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);
    ck_assert_msg(m == base, "could not map the region's addresses again (errno %d)", errno);
    for (size_t i = 0; i < N; i++) {
        size_t n = sizes[i + 2];
        ck_assert_msg(forbidden(p[i], n, 61) == 0, "stale poison on extent %zu after destroy", i);
        memset(p[i], 0x6B, n);
        ck_assert_int_eq(p[i][n - 1], 0x6B);
    }
    ck_assert_int_eq(munmap(m, len), 0);
}
END_TEST

Suite *vmem_tool_suite(void)
{
    Suite *s = suite_create("vmem-tool");
    TCase *tc = tcase_create("tool");
    tcase_set_tags(tc, "tool");
    tcase_set_timeout(tc, 120);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, a_live_extent_is_accessible);
    tcase_add_test(tc, a_released_extent_is_off_limits_until_handed_out_again);
    tcase_add_test(tc, an_extent_released_through_slabs_is_off_limits);
    tcase_add_test(tc, no_poison_outlives_vmem_destroy);
    suite_add_tcase(s, tc);
    return s;
}

/*
 * test_thp.c - transparent huge pages: a touched 64 MiB extent is almost
 * all in huge pages when the kernel allows them (skipped, with the reason,
 * when it does not), none with VMEM_HUGE_OFF, and VMEM_HUGE_THP refused
 * with -EOPNOTSUPP when the kernel will not advise MADV_HUGEPAGE (simulated
 * through vmem_config_t.os).
 */
#include "vmem_test.h"

#define EXTENT (64 * VT_MIB)

/* Acquires an extent of bytes from a fresh source of cfg, touches every
 * base page, and returns what vmem_residency() says; v keeps the
 * source for the caller to destroy. */
static vmem_residency_t touch_extent(vmem_t *v, vmem_config_t cfg, size_t bytes)
{
    cfg.reserve = 2 * bytes; /* room for the run in the first region */
    vt_init(v, cfg);
    char *p = vt_acquire(v, bytes, VMEM_BASE_PAGE);
    ck_assert_uint_eq((uintptr_t)p % VMEM_HUGE_PAGE, 0);
    for (size_t off = 0; off < bytes; off += VMEM_BASE_PAGE)
        p[off] = 1;
    return vt_residency(v);
}

START_TEST(a_touched_extent_is_in_huge_pages)
{
    VT_REQUIRE_THP("a_touched_extent_is_in_huge_pages");
    vmem_t v;
    vmem_residency_t r = touch_extent(&v, vt_config_counted(VMEM_HUGE_AUTO, VMEM_RELEASE_DONTNEED), EXTENT);
    ck_assert_uint_ge(vt_os.hugepage, 1); /* the region was advised */
    ck_assert_uint_ge(r.rss, EXTENT);
    ck_assert_msg(r.anon_huge >= EXTENT / 10 * 9, "%zu of %zu bytes in huge pages (%.0f %%)", r.anon_huge,
                  (size_t)EXTENT, 100.0 * (double)r.anon_huge / (double)EXTENT);
    /* given back whole: the huge pages go with it */
    vmem_destroy(&v);
}
END_TEST

START_TEST(thp_required_gives_huge_pages_too)
{
    VT_REQUIRE_THP("thp_required_gives_huge_pages_too");
    vmem_t v;
    vmem_residency_t r = touch_extent(&v, vt_config(VMEM_HUGE_THP, VMEM_RELEASE_DONTNEED), 8 * VT_MIB);
    ck_assert_msg(r.anon_huge >= 8 * VT_MIB / 10 * 9, "%zu of %zu bytes in huge pages", r.anon_huge,
                  8 * VT_MIB);
    vmem_destroy(&v);
}
END_TEST

START_TEST(huge_off_gives_no_huge_pages)
{
    vmem_t v;
    vmem_residency_t r = touch_extent(&v, vt_config_counted(VMEM_HUGE_OFF, VMEM_RELEASE_DONTNEED), 16 * VT_MIB);
    ck_assert_uint_eq(vt_os.hugepage, 0);
    ck_assert_uint_ge(r.rss, 16 * VT_MIB);
    ck_assert_uint_eq(r.anon_huge, 0);
    vmem_destroy(&v);
}
END_TEST

START_TEST(thp_required_without_thp_is_eopnotsupp)
{
    /* every MADV_HUGEPAGE refused, as by a kernel without THP */
    vmem_config_t cfg = vt_config_counted(VMEM_HUGE_THP, VMEM_RELEASE_DONTNEED);
    vt_os.advise.fail_at = 1;
    vt_os.fail_advice = MADV_HUGEPAGE;
    vmem_t v;
    ck_assert_int_eq(vmem_init(&v, &cfg), -EOPNOTSUPP);
    ck_assert_ptr_null(v.regions); /* zeroed: nothing reserved */
    ck_assert_uint_eq(vt_stats(&v).reserved, 0);
    ck_assert_uint_eq(vt_os.mapped, 0); /* and nothing left mapped */
    vmem_destroy(&v);
    /* AUTO takes base pages instead */
    cfg = vt_config_counted(VMEM_HUGE_AUTO, VMEM_RELEASE_DONTNEED);
    vt_os.advise.fail_at = 1;
    vt_os.fail_advice = MADV_HUGEPAGE;
    vt_init(&v, cfg);
    ck_assert_uint_eq(vt_stats(&v).regions, 1);
    char *p = vt_acquire(&v, 4 * VT_MIB, VMEM_BASE_PAGE);
    p[0] = p[4 * VT_MIB - 1] = 1;
    vt_release(&v, p, 4 * VT_MIB);
    vmem_destroy(&v);
    ck_assert_uint_eq(vt_os.mapped, 0);
}
END_TEST

Suite *vmem_thp_suite(void)
{
    Suite *s = suite_create("vmem-thp");
    TCase *tc = tcase_create("thp");
    tcase_set_tags(tc, "thp");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, a_touched_extent_is_in_huge_pages);
    tcase_add_test(tc, thp_required_gives_huge_pages_too);
    tcase_add_test(tc, huge_off_gives_no_huge_pages);
    tcase_add_test(tc, thp_required_without_thp_is_eopnotsupp);
    suite_add_tcase(s, tc);
    return s;
}

/*
 * test_ex_trim.c - stage 02, exercise 02-trim: the rule "a slab whose stamp
 * is later than now (a clock that went back) has age 0".
 *
 * An unsigned now - emptied_at wraps to a huge age when the clock goes
 * back, and would release a slab that has been empty for no time at all.
 * The test clock (st_now) is moved back by hand: nothing may go, and the
 * slab goes only once the clock has moved past its stamp by more than the
 * idle time.
 */
#include "slab_test.h"

#define SLAB ((size_t)1 << 14)

START_TEST(trim_idle_when_the_clock_went_back)
{
    st_clock_ns = 10000;
    st_init((slabs_config_t){.min_size = 16, .max_size = 2048, .growth = 2.0,
                             .slab_size = SLAB, .now_ns = st_now});
    void *p = slabs_alloc(&st_s, 100);
    ST_NONNULL(p);
    slabs_free(&st_s, p);
    /* a trim that releases nothing stamps the emptied slab now: 10000 */
    ck_assert_uint_eq(slabs_trim_idle(&st_s, UINT64_MAX), 0);
    st_clock_ns = 4000;          /* the clock went back */
    ck_assert_msg(slabs_trim_idle(&st_s, 1000) == 0, "a slab stamped at 10000 was released at "
                  "4000 with idle time 1000: its age is 0, not now - emptied_at wrapped around");
    st_clock_ns = 11000;         /* age 1000: not strictly more */
    ck_assert_uint_eq(slabs_trim_idle(&st_s, 1000), 0);
    st_clock_ns = 11001;
    ck_assert_uint_eq(slabs_trim_idle(&st_s, 1000), SLAB);
    st_finish();
}
END_TEST

Suite *slabs_ex_trim_suite(void)
{
    Suite *s = suite_create("slabs-ex-trim");
    TCase *tc = tcase_create("trim-clock");
    tcase_set_tags(tc, "edge 02-trim");
    tcase_add_test(tc, trim_idle_when_the_clock_went_back);
    suite_add_tcase(s, tc);
    return s;
}

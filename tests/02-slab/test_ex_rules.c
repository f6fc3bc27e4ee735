/*
 * test_ex_rules.c - stage 02: rules that the exercises state and their
 * other tests do not show, made visible.  One TCase per exercise, tagged
 * with its name.
 *
 *   lookup-table  (02-lookup) lookup_class() answers from s->lookup: the
 *                 test swaps in a table of its own that sends every size
 *                 to the largest class (a legal answer that a search over
 *                 the classes would never give) and sees every object come
 *                 from that class; the real table goes back before the
 *                 check.
 *   trim-clock    (02-trim) a slab whose stamp is later than now (a clock
 *                 that went back) has age 0: an unsigned now - emptied_at
 *                 would wrap to a huge age and release a slab that has been
 *                 empty for no time at all.
 *   classes-cap   (02-classes) the table stops at cap: the lookup table
 *                 stores 16-bit class indexes, so slabs_init() must refuse
 *                 a growth that makes 131072 classes, and accept 65535.
 */
#include <errno.h>
#include <stdio.h>

#include "slab_test.h"

#define SLAB ((size_t)1 << 14) /* 16 KiB slabs for the trim test */

/* ---- 02-lookup ---------------------------------------------------------- */

START_TEST(lookup_class_reads_the_table)
{
    st_init((slabs_config_t){0});
    size_t n = slabs_class_count(&st_s);
    size_t max = st_chunk(&st_s, n - 1);
    size_t entries = max / ST_GRANULE + 1;
    uint16_t *fake = malloc(entries * sizeof *fake);
    ST_NONNULL(fake);
    for (size_t i = 0; i < entries; i++)
        fake[i] = (uint16_t)(n - 1);
    const uint16_t *real = st_s.lookup;
    st_s.lookup = fake;

    enum { K = 24 };
    void *p[K];
    size_t sizes[K], got[K];
    for (size_t k = 0; k < K; k++) {
        sizes[k] = 1 + k * (max - 1) / (K - 1); /* 1 .. max */
        got[k] = slabs_class_of(&st_s, sizes[k]);
        p[k] = slabs_alloc(&st_s, sizes[k]);
        ST_NONNULL(p[k]);
    }
    size_t usable[K];
    for (size_t k = 0; k < K; k++) {
        usable[k] = slabs_usable_size(&st_s, p[k]);
        slabs_free(&st_s, p[k]);
    }
    st_s.lookup = real;
    free(fake);
    for (size_t k = 0; k < K; k++)
        ck_assert_msg(got[k] == n - 1 && usable[k] == max,
                      "size %zu went to class %zu (chunk %zu), but s->lookup, replaced in this "
                      "test, names class %zu (chunk %zu): lookup_class() must answer from the "
                      "table, one load, not search the classes", sizes[k], got[k], usable[k],
                      n - 1, max);
    st_finish();
}
END_TEST

/* ---- 02-trim ------------------------------------------------------------ */

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

/* ---- 02-classes --------------------------------------------------------- */

START_TEST(growth_table_past_the_cap_is_refused)
{
    slabs_t s;
    slabs_config_t too_many = {.min_size = 16, .max_size = (size_t)2 << 20, .growth = 1.000001};
    int rc = slabs_init(&s, &too_many);
    if (rc == 0)
        slabs_destroy(&s);
    ck_assert_msg(rc == -EINVAL, "131072 classes from growth 1.000001 gave %d, not -EINVAL: "
                  "return 0 once the table would pass cap", rc);
    /* 65535 classes, the most there may be: 16 .. 65535 * 16 */
    slabs_config_t most = {.min_size = 16, .max_size = SLABS_MAX_CLASSES * 16, .growth = 1.000001};
    ck_assert_int_eq(slabs_init(&s, &most), 0);
    ck_assert_uint_eq(slabs_class_count(&s), SLABS_MAX_CLASSES);
    ck_assert_uint_eq(slabs_check(&s), 0);
    slabs_destroy(&s);
}
END_TEST

/* Adds a TCase named name, tagged tags, with test t, to s. */
static void add_case(Suite *s, const char *name, const char *tags, const TTest *t)
{
    TCase *tc = tcase_create(name);
    tcase_set_tags(tc, tags);
    tcase_add_test(tc, t);
    suite_add_tcase(s, tc);
}

Suite *slabs_ex_rules_suite(void)
{
    Suite *s = suite_create("slabs-ex-rules");
    add_case(s, "lookup-table", "core 02-lookup", lookup_class_reads_the_table);
    add_case(s, "trim-clock", "edge 02-trim", trim_idle_when_the_clock_went_back);
    add_case(s, "classes-cap", "edge 02-classes", growth_table_past_the_cap_is_refused);
    return s;
}

/*
 * test_ex_lookup.c - stage 02, exercise 02-lookup: the rule "lookup_class()
 * answers from s->lookup, with no loop", made visible.
 *
 * The test swaps the allocator's lookup table for one of its own that sends
 * every size to the largest class: a legal answer (that class holds any
 * size up to max_size), and one a search over the classes would never give.
 * Allocation must then take every object from the largest class.  The real
 * table is put back before the allocator is checked and destroyed.
 */
#include <stdio.h>

#include "slab_test.h"

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

Suite *slabs_ex_lookup_suite(void)
{
    Suite *s = suite_create("slabs-ex-lookup");
    TCase *tc = tcase_create("lookup-table");
    tcase_set_tags(tc, "core 02-lookup");
    tcase_add_test(tc, lookup_class_reads_the_table);
    suite_add_tcase(s, tc);
    return s;
}

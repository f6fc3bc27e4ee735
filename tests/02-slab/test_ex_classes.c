/*
 * test_ex_classes.c - stage 02, exercise 02-classes: the rule "stop and
 * return 0 as soon as the table would need more than cap entries".
 *
 * The lookup table stores 16-bit class indexes, so slabs_init() counts the
 * classes with cap SLABS_MAX_CLASSES and refuses a configuration that needs
 * more.  A growth so close to 1 that every step is one granule makes
 * 131072 classes from 16 B to 2 MiB: slabs_init() must say -EINVAL, and
 * one class fewer than the cap must still work.
 */
#include <errno.h>

#include "slab_test.h"

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

Suite *slabs_ex_classes_suite(void)
{
    Suite *s = suite_create("slabs-ex-classes");
    TCase *tc = tcase_create("classes-cap");
    tcase_set_tags(tc, "edge 02-classes");
    tcase_add_test(tc, growth_table_past_the_cap_is_refused);
    suite_add_tcase(s, tc);
    return s;
}

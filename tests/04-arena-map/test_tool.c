/*
 * test_tool.c - stage 04 under Valgrind memcheck or AddressSanitizer: a
 * string amap_get() returned points into the arena, and must point to
 * memory the tool forbids once the map lets it go: the entry deleted, the
 * value overwritten, the map cleared, destroyed, or (made by amap_new)
 * released.  The table the map grew out of is forbidden too.  While the
 * entry lives the string, NUL included, is usable.  The tests ask the tool
 * (tq_inaccessible) and never touch the memory they ask about.
 *
 * Tagged `tool`: without a tool they fail with a message saying how to run
 * them (make memcheck, make asan).
 */
#include "amap_test.h"

#include "tool_query.h"

static amap_t m;

static void setup(void)
{
    if (!tq_under_valgrind() && !tq_asan())
        ck_abort_msg("tool tests need Valgrind or ASan: run them with `make memcheck` or "
                     "`make asan` (make test excludes the `tool` tag)");
    mt_init((arena_config_t){.slabs = {.min_size = 16, .max_size = 1024, .slab_size = 1u << 14}});
    mt_map_init(&m, AMAP_STR, AMAP_STR, 0, 0);
    /* neighbours, so the slabs stay in use and only the freed string goes */
    for (int i = 0; i < 40; i++) {
        char k[24];
        snprintf(k, sizeof k, "keep %d", i);
        ck_assert_int_eq(amap_put(&m, amap_cstr(k), amap_cstr("a value that stays")), 1);
    }
}

static void teardown(void)
{
    amap_destroy(&m);
    mt_finish();
}

static bool all_accessible(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (tq_inaccessible(p + i))
            return false;
    return true;
}

/* The value of key k, asserted found and usable (its bytes and NUL). */
static const char *value_of(const amap_t *map, const char *k)
{
    amap_val_t v;
    ck_assert_int_eq(amap_get(map, amap_cstr(k), &v), 0);
    ck_assert(all_accessible(v.str, (size_t)v.len + 1));
    return v.str;
}

/* The key string as the map holds it (from an iteration). */
static const char *key_of(const amap_t *map, const char *k)
{
    amap_iter_t it = amap_iter(map);
    amap_val_t key;
    while (amap_next(&it, &key, NULL))
        if (strcmp(key.str, k) == 0)
            return key.str;
    ck_abort_msg("key %s not found by iteration", k);
    return NULL;
}

START_TEST(deleted_entry_strings_are_off_limits)
{
    ck_assert_int_eq(amap_put(&m, amap_cstr("gone"), amap_cstr("its value, 24 bytes long")), 1);
    const char *v = value_of(&m, "gone");
    const char *k = key_of(&m, "gone");
    ck_assert_int_eq(amap_del(&m, amap_cstr("gone")), 0);
    ck_assert_msg(tq_inaccessible(v), "a deleted entry's value is accessible");
    ck_assert_msg(tq_inaccessible(v + 23), "the end of a deleted entry's value is accessible");
    ck_assert_msg(tq_inaccessible(k), "a deleted entry's key is accessible");
    value_of(&m, "keep 7");
}
END_TEST

START_TEST(overwritten_value_is_off_limits)
{
    ck_assert_int_eq(amap_put(&m, amap_cstr("k"), amap_cstr("first value")), 1);
    const char *old = value_of(&m, "k");
    const char *k = key_of(&m, "k");
    ck_assert_int_eq(amap_put(&m, amap_cstr("k"), amap_cstr("second value")), 0);
    ck_assert_msg(tq_inaccessible(old), "an overwritten value is accessible");
    ck_assert_str_eq(value_of(&m, "k"), "second value");
    ck_assert_msg(!tq_inaccessible(k), "the key of an overwritten entry is off limits");
}
END_TEST

START_TEST(cleared_and_destroyed_maps_strings_are_off_limits)
{
    amap_t m2;
    mt_map_init(&m2, AMAP_STR, AMAP_STR, 0, 0);
    ck_assert_int_eq(amap_put(&m2, amap_cstr("a"), amap_cstr("cleared soon")), 1);
    const char *a = value_of(&m2, "a");
    amap_clear(&m2);
    ck_assert_msg(tq_inaccessible(a), "a cleared map's value is accessible");
    ck_assert_int_eq(amap_put(&m2, amap_cstr("b"), amap_cstr("destroyed soon")), 1);
    const char *b = value_of(&m2, "b");
    const char *bk = key_of(&m2, "b");
    amap_destroy(&m2);
    ck_assert_msg(tq_inaccessible(b), "a destroyed map's value is accessible");
    ck_assert_msg(tq_inaccessible(bk), "a destroyed map's key is accessible");
    value_of(&m, "keep 0");
}
END_TEST

START_TEST(released_arena_map_strings_are_off_limits)
{
    amap_config_t cfg = mt_config(AMAP_STR, AMAP_STR, 0, 0);
    handle_t h = amap_new(&mt_a, &cfg);
    ck_assert_uint_ne(h, HANDLE_NULL);
    amap_t *am = amap_of(&mt_a, h);
    ck_assert_int_eq(amap_put(am, amap_cstr("x"), amap_cstr("held by a map in the arena")), 1);
    const char *x = value_of(am, "x");
    ck_assert_int_eq(arena_release(&mt_a, h), 0);
    ck_assert_msg(tq_inaccessible(x), "a released map's value is accessible");
}
END_TEST

START_TEST(old_table_is_off_limits_after_growth)
{
    amap_t g;
    mt_map_init(&g, AMAP_U64, AMAP_U64, 0, 0);
    ck_assert_int_eq(amap_put(&g, amap_u64(1), amap_u64(1)), 1);
    uint64_t k = 2;
    for (int round = 0; round < 4; round++) {
        const uint8_t *ctrl = g.ctrl; /* the table: control bytes, then slots */
        size_t cap = g.capacity;
        const char *end = (const char *)(g.slots + cap) - 1;
        ck_assert(all_accessible((const char *)ctrl, 16));
        for (; g.capacity == cap; k++)
            ck_assert_int_eq(amap_put(&g, amap_u64(k), amap_u64(k)), 1);
        ck_assert_uint_eq(g.capacity, 2 * cap);
        ck_assert_msg(tq_inaccessible(ctrl), "the table of %zu slots is accessible after growth", cap);
        ck_assert_msg(tq_inaccessible(end), "the end of the table of %zu slots is accessible after growth", cap);
    }
    amap_destroy(&g);
}
END_TEST

Suite *amap_tool_suite(void)
{
    Suite *s = suite_create("amap-tool");
    TCase *tc = tcase_create("tool");
    tcase_set_tags(tc, "tool");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, deleted_entry_strings_are_off_limits);
    tcase_add_test(tc, overwritten_value_is_off_limits);
    tcase_add_test(tc, cleared_and_destroyed_maps_strings_are_off_limits);
    tcase_add_test(tc, released_arena_map_strings_are_off_limits);
    tcase_add_test(tc, old_table_is_off_limits_after_growth);
    suite_add_tcase(s, tc);
    return s;
}

/*
 * test_edge.c - stage 04 at its limits: -0.0 and NaN keys, booleans read
 * through .b only, type 0 and wrong types, NULL and overlong strings,
 * empty strings and embedded NULs, HANDLE_NULL as a value, bad
 * configurations, and a table the source refuses.  Every refused call
 * leaves the map exactly as it was.
 */
#define _POSIX_C_SOURCE 200809L

#include "amap_test.h"

/* What a refused call must not change: the counters, the arena's objects,
 * and the bytes of the amap_t itself. */
typedef struct snapshot {
    amap_stats_t st;
    size_t live;
    amap_t m;
} snapshot_t;

static snapshot_t snap(const amap_t *m)
{
    snapshot_t s;
    memset(&s, 0, sizeof s);
    amap_stats(m, &s.st);
    s.live = mt_live();
    s.m = *m;
    return s;
}

static void expect_unchanged(const amap_t *m, const snapshot_t *before)
{
    snapshot_t now = snap(m);
    ck_assert_mem_eq(&now.st, &before->st, sizeof now.st);
    ck_assert_uint_eq(now.live, before->live);
    ck_assert_mem_eq(&now.m, &before->m, sizeof now.m);
    ck_assert_uint_eq(amap_check(m), 0);
}

/* ---- doubles ---------------------------------------------------------------------- */

START_TEST(negative_zero_key_equals_zero)
{
    amap_t m;
    mt_map_init(&m, AMAP_F64, AMAP_I64, 0, AMAP_CHECKED);
    ck_assert_int_eq(amap_put(&m, amap_f64(-0.0), amap_i64(1)), 1);
    ck_assert_int_eq(amap_put(&m, amap_f64(0.0), amap_i64(2)), 0); /* the same key */
    ck_assert_uint_eq(amap_len(&m), 1);
    amap_val_t out;
    ck_assert_int_eq(amap_get(&m, amap_f64(-0.0), &out), 0);
    ck_assert_int_eq(out.i64, 2);
    amap_iter_t it = amap_iter(&m);
    amap_val_t k;
    ck_assert(amap_next(&it, &k, NULL));
    ck_assert(k.f64 == 0.0);
    ck_assert_int_eq(amap_del(&m, amap_f64(0.0)), 0);
    ck_assert_int_eq(amap_del(&m, amap_f64(-0.0)), -ENOENT);
    /* other doubles stay distinct, infinities included */
    ck_assert_int_eq(amap_put(&m, amap_f64(INFINITY), amap_i64(3)), 1);
    ck_assert_int_eq(amap_put(&m, amap_f64(-INFINITY), amap_i64(4)), 1);
    ck_assert_int_eq(amap_put(&m, amap_f64(5e-324), amap_i64(5)), 1);
    ck_assert_int_eq(amap_put(&m, amap_f64(-5e-324), amap_i64(6)), 1);
    ck_assert_uint_eq(amap_len(&m), 4);
    ck_assert_int_eq(amap_get(&m, amap_f64(-INFINITY), &out), 0);
    ck_assert_int_eq(out.i64, 4);
    amap_destroy(&m);
}
END_TEST

START_TEST(nan_key_is_refused_nan_value_is_kept)
{
    amap_t m;
    mt_map_init(&m, AMAP_F64, AMAP_F64, 0, AMAP_CHECKED);
    ck_assert_int_eq(amap_put(&m, amap_f64(1.5), amap_f64(2.5)), 1);
    snapshot_t before = snap(&m);
    double nans[] = {NAN, -NAN};
    for (size_t i = 0; i < 2; i++) {
        amap_val_t out;
        ck_assert_int_eq(amap_put(&m, amap_f64(nans[i]), amap_f64(1.0)), -EINVAL);
        ck_assert_int_eq(amap_get(&m, amap_f64(nans[i]), &out), -EINVAL);
        ck_assert(!amap_has(&m, amap_f64(nans[i])));
        ck_assert_int_eq(amap_del(&m, amap_f64(nans[i])), -EINVAL);
        expect_unchanged(&m, &before);
    }
    ck_assert_int_eq(amap_put(&m, amap_f64(3.0), amap_f64(NAN)), 1);
    amap_val_t out;
    ck_assert_int_eq(amap_get(&m, amap_f64(3.0), &out), 0);
    ck_assert(isnan(out.f64));
    amap_destroy(&m);
}
END_TEST

/* Only keys are normalised: a value comes back with the bits it was put
 * with, -0.0 included (as NaN values do). */
START_TEST(negative_zero_value_keeps_its_sign)
{
    amap_t m;
    mt_map_init(&m, AMAP_I64, AMAP_F64, 0, 0);
    ck_assert_int_eq(amap_put(&m, amap_i64(1), amap_f64(-0.0)), 1);
    amap_val_t out;
    ck_assert_int_eq(amap_get(&m, amap_i64(1), &out), 0);
    ck_assert(signbit(out.f64));
    amap_destroy(&m);
}
END_TEST

/* ---- booleans and members -------------------------------------------------------------- */

/* A boolean whose other union bytes and len are garbage. */
static amap_val_t dirty_bool(bool b, uint64_t garbage)
{
    amap_val_t v;
    memset(&v, 0, sizeof v);
    v.u64 = garbage;
    v.len = (uint32_t)garbage;
    v.type = AMAP_BOOL;
    v.b = b;
    return v;
}

START_TEST(booleans_are_normalised)
{
    amap_t m;
    mt_map_init(&m, AMAP_BOOL, AMAP_BOOL, 0, AMAP_CHECKED);
    ck_assert_int_eq(amap_put(&m, dirty_bool(true, 0xDEADBEEF00000000u), amap_bool(true)), 1);
    ck_assert_int_eq(amap_put(&m, dirty_bool(true, 0x1234567800000000u), dirty_bool(false, 0xFFFFFFFFFFFFFF00u)), 0);
    amap_val_t out;
    ck_assert_int_eq(amap_get(&m, amap_bool(true), &out), 0);
    ck_assert(!out.b); /* the garbage around a false .b is not read */
    ck_assert_int_eq(amap_put(&m, amap_bool(true), amap_bool(true)), 0);
    ck_assert_uint_eq(amap_len(&m), 1);
    ck_assert_int_eq(amap_put(&m, dirty_bool(false, 0xABCDEF0000000000u), amap_bool(true)), 1);
    ck_assert_uint_eq(amap_len(&m), 2);
    ck_assert(amap_has(&m, amap_bool(false)));
    ck_assert_int_eq(amap_get(&m, dirty_bool(true, 0x5500000000000000u), &out), 0);
    ck_assert_uint_eq(out.type, AMAP_BOOL);
    ck_assert(out.b);
    ck_assert_int_eq(amap_del(&m, dirty_bool(true, 0x7700000000000000u)), 0);
    ck_assert_uint_eq(amap_len(&m), 1);
    amap_destroy(&m);
}
END_TEST

START_TEST(len_is_read_for_strings_only)
{
    amap_t m;
    mt_map_init(&m, AMAP_U64, AMAP_I64, 0, AMAP_CHECKED);
    amap_val_t k = amap_u64(7), v = amap_i64(-7);
    k.len = 999;
    v.len = 0xFFFFFFFFu;
    ck_assert_int_eq(amap_put(&m, k, v), 1);
    ck_assert(amap_has(&m, amap_u64(7)));
    ck_assert_int_eq(amap_put(&m, amap_u64(7), amap_i64(-8)), 0);
    ck_assert_uint_eq(amap_len(&m), 1);
    amap_destroy(&m);
}
END_TEST

/* ---- bad types and strings --------------------------------------------------------------- */

START_TEST(wrong_types_are_refused_map_unchanged)
{
    amap_t m;
    mt_map_init(&m, AMAP_U64, AMAP_STR, 0, AMAP_CHECKED);
    ck_assert_int_eq(amap_put(&m, amap_u64(1), amap_cstr("one")), 1);
    snapshot_t before = snap(&m);
    amap_val_t none = {.type = 0}, seven = {.type = 7};
    amap_val_t bad_keys[] = {none, seven, amap_i64(1), amap_f64(1.0), amap_bool(true), amap_cstr("1"), amap_handle(1)};
    for (size_t i = 0; i < sizeof bad_keys / sizeof bad_keys[0]; i++) {
        amap_val_t out = amap_i64(99);
        ck_assert_int_eq(amap_put(&m, bad_keys[i], amap_cstr("x")), -EINVAL);
        ck_assert_int_eq(amap_get(&m, bad_keys[i], &out), -EINVAL);
        ck_assert_uint_eq(out.type, AMAP_I64); /* not written */
        ck_assert(!amap_has(&m, bad_keys[i]));
        ck_assert_int_eq(amap_del(&m, bad_keys[i]), -EINVAL);
        expect_unchanged(&m, &before);
    }
    amap_val_t bad_values[] = {none, seven, amap_u64(1), amap_i64(1), amap_bool(false), amap_handle(HANDLE_NULL)};
    for (size_t i = 0; i < sizeof bad_values / sizeof bad_values[0]; i++) {
        ck_assert_int_eq(amap_put(&m, amap_u64(1), bad_values[i]), -EINVAL); /* an existing key */
        ck_assert_int_eq(amap_put(&m, amap_u64(2), bad_values[i]), -EINVAL); /* a new one */
        expect_unchanged(&m, &before);
    }
    amap_destroy(&m);
}
END_TEST

START_TEST(null_and_overlong_strings_are_refused)
{
    amap_t m;
    mt_map_init(&m, AMAP_STR, AMAP_STR, 0, AMAP_CHECKED);
    ck_assert_int_eq(amap_put(&m, amap_cstr("k"), amap_cstr("v")), 1);
    snapshot_t before = snap(&m);
    amap_val_t null_len = amap_str(NULL, 3);
    ck_assert_uint_eq(null_len.type, AMAP_STR);
    static const char bytes[4] = "abc";
    amap_val_t too_long = amap_str(bytes, AMAP_MAX_STRING + 1);
    ck_assert_uint_eq(too_long.type, 0);
    ck_assert_uint_eq(amap_str(bytes, SIZE_MAX).type, 0);
    ck_assert_uint_eq(amap_cstr(NULL).type, 0);
    amap_val_t bad[] = {null_len, too_long, amap_cstr(NULL)};
    for (size_t i = 0; i < 3; i++) {
        ck_assert_int_eq(amap_put(&m, bad[i], amap_cstr("v")), -EINVAL);
        ck_assert_int_eq(amap_put(&m, amap_cstr("k"), bad[i]), -EINVAL);
        ck_assert_int_eq(amap_put(&m, amap_cstr("new"), bad[i]), -EINVAL);
        ck_assert_int_eq(amap_get(&m, bad[i], NULL), -EINVAL);
        ck_assert(!amap_has(&m, bad[i]));
        ck_assert_int_eq(amap_del(&m, bad[i]), -EINVAL);
        expect_unchanged(&m, &before);
    }
    /* the longest length amap_str() accepts is AMAP_MAX_STRING */
    ck_assert_uint_eq(amap_str(bytes, AMAP_MAX_STRING).type, AMAP_STR);
    ck_assert_uint_eq(amap_str(bytes, AMAP_MAX_STRING).len, (uint32_t)AMAP_MAX_STRING);
    amap_destroy(&m);
}
END_TEST

START_TEST(empty_strings_are_keys_and_values)
{
    amap_t m;
    mt_map_init(&m, AMAP_STR, AMAP_STR, 0, AMAP_CHECKED);
    ck_assert_int_eq(amap_put(&m, amap_str(NULL, 0), amap_str(NULL, 0)), 1); /* NULL with length 0 is "" */
    ck_assert_int_eq(amap_put(&m, amap_cstr(""), amap_cstr("")), 0);
    ck_assert_int_eq(amap_put(&m, amap_str("\0", 1), amap_cstr("nul")), 1);
    ck_assert_uint_eq(amap_len(&m), 2);
    amap_val_t out;
    ck_assert_int_eq(amap_get(&m, amap_str("xyz", 0), &out), 0);
    ck_assert_uint_eq(out.type, AMAP_STR);
    ck_assert_uint_eq(out.len, 0);
    ck_assert_ptr_nonnull(out.str);
    ck_assert_int_eq(out.str[0], '\0');
    ck_assert_int_eq(amap_get(&m, amap_str("\0", 1), &out), 0);
    ck_assert_str_eq(out.str, "nul");
    amap_stats_t st = mt_stats(&m);
    ck_assert_uint_eq(st.key_bytes, (sizeof(uint32_t) + 1) + (sizeof(uint32_t) + 2));
    ck_assert_uint_eq(st.value_bytes, (sizeof(uint32_t) + 1) + (sizeof(uint32_t) + 4));
    ck_assert_int_eq(amap_del(&m, amap_cstr("")), 0);
    ck_assert(amap_has(&m, amap_str("\0", 1)));
    amap_destroy(&m);
}
END_TEST

START_TEST(embedded_nuls_are_bytes)
{
    amap_t m;
    mt_map_init(&m, AMAP_STR, AMAP_STR, 0, AMAP_CHECKED);
    ck_assert_int_eq(amap_put(&m, amap_str("a\0b", 3), amap_str("1\0\0", 3)), 1);
    ck_assert_int_eq(amap_put(&m, amap_str("a\0c", 3), amap_str("2", 1)), 1);
    ck_assert_int_eq(amap_put(&m, amap_str("a", 1), amap_str("3", 1)), 1);
    ck_assert_int_eq(amap_put(&m, amap_str("a\0", 2), amap_str("4", 1)), 1);
    ck_assert_uint_eq(amap_len(&m), 4);
    amap_val_t out;
    ck_assert_int_eq(amap_get(&m, amap_str("a\0b", 3), &out), 0);
    ck_assert_uint_eq(out.len, 3);
    ck_assert_mem_eq(out.str, "1\0\0", 4); /* and the NUL after */
    ck_assert_int_eq(amap_get(&m, amap_str("a\0", 2), &out), 0);
    ck_assert_mem_eq(out.str, "4", 2);
    ck_assert_int_eq(amap_get(&m, amap_str("a\0d", 3), &out), -ENOENT);
    amap_destroy(&m);
}
END_TEST

/* ---- handles ------------------------------------------------------------------------------ */

START_TEST(null_handle_is_a_value_without_reference)
{
    amap_t m;
    mt_map_init(&m, AMAP_I64, AMAP_HANDLE, 0, AMAP_CHECKED);
    size_t live = mt_live();
    ck_assert_int_eq(amap_put(&m, amap_i64(1), amap_handle(HANDLE_NULL)), 1);
    ck_assert_uint_eq(mt_live(), live + 1); /* the table, nothing else */
    amap_val_t out;
    ck_assert_int_eq(amap_get(&m, amap_i64(1), &out), 0);
    ck_assert_uint_eq(out.type, AMAP_HANDLE);
    ck_assert_uint_eq(out.h, HANDLE_NULL);
    handle_t h = arena_alloc(&mt_a, 16);
    ck_assert_int_eq(amap_put(&m, amap_i64(1), amap_handle(h)), 0);
    ck_assert_uint_eq(arena_refcount(&mt_a, h), 2);
    ck_assert_int_eq(amap_put(&m, amap_i64(1), amap_handle(HANDLE_NULL)), 0);
    ck_assert_uint_eq(arena_refcount(&mt_a, h), 1);
    ck_assert_int_eq(amap_del(&m, amap_i64(1)), 0);
    ck_assert_int_eq(amap_put(&m, amap_i64(2), amap_handle(HANDLE_NULL)), 1);
    amap_clear(&m);
    ck_assert_int_eq(amap_put(&m, amap_i64(3), amap_handle(HANDLE_NULL)), 1);
    amap_destroy(&m);
    ck_assert_uint_eq(arena_refcount(&mt_a, h), 1);
    ck_assert_int_eq(arena_release(&mt_a, h), 0);
    ck_assert_uint_eq(mt_live(), live);
}
END_TEST

/* ---- configurations ------------------------------------------------------------------------- */

START_TEST(bad_configs_are_refused)
{
    amap_t m;
    amap_config_t good = mt_config(AMAP_STR, AMAP_HANDLE, 0, AMAP_CHECKED);
    ck_assert_int_eq(amap_init(NULL, &mt_a, &good), -EINVAL);
    ck_assert_int_eq(amap_init(&m, NULL, &good), -EINVAL);
    ck_assert_int_eq(amap_init(&m, &mt_a, NULL), -EINVAL);
    amap_config_t bad[] = {
        mt_config(AMAP_HANDLE, AMAP_I64, 0, 0),       /* handles are values only */
        mt_config(0, AMAP_I64, 0, 0),
        mt_config((amap_type_t)7, AMAP_I64, 0, 0),
        mt_config(AMAP_I64, 0, 0, 0),
        mt_config(AMAP_I64, (amap_type_t)7, 0, 0),
        mt_config(AMAP_I64, AMAP_I64, 0, 1u << 1),    /* unknown flags */
        mt_config(AMAP_I64, AMAP_I64, 0, ~0u),
        mt_config(AMAP_I64, AMAP_I64, SIZE_MAX, 0),   /* capacity too big */
        mt_config(AMAP_I64, AMAP_I64, (size_t)1 << 40, 0),
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_int_eq(amap_init(&m, &mt_a, &bad[i]), -EINVAL);
        errno = 0;
        ck_assert_uint_eq(amap_new(&mt_a, &bad[i]), HANDLE_NULL);
        ck_assert_int_eq(errno, EINVAL);
        ck_assert_uint_eq(mt_live(), 0);
    }
    errno = 0;
    ck_assert_uint_eq(amap_new(NULL, &good), HANDLE_NULL);
    ck_assert_int_eq(errno, EINVAL);
    /* and every good one is accepted */
    for (unsigned k = AMAP_I64; k <= AMAP_STR; k++)
        for (unsigned v = AMAP_I64; v <= AMAP_HANDLE; v++) {
            amap_config_t cfg = mt_config((amap_type_t)k, (amap_type_t)v, 0, 0);
            ck_assert_int_eq(amap_init(&m, &mt_a, &cfg), 0);
            amap_destroy(&m);
        }
    ck_assert_uint_eq(mt_live(), 0);
}
END_TEST

START_TEST(refused_table_at_init_is_enomem)
{
    amap_t m;
    amap_config_t cfg = mt_config(AMAP_U64, AMAP_U64, 1000, 0);
    failing_source_fail_after(&mt_fs, 0);
    ck_assert_int_eq(amap_init(&m, &mt_a, &cfg), -ENOMEM);
    ck_assert_uint_eq(mt_live(), 0);
    amap_destroy(&m); /* zeroed on failure: a no-op */
    errno = 0;
    ck_assert_uint_eq(amap_new(&mt_a, &cfg), HANDLE_NULL);
    ck_assert_int_eq(errno, ENOMEM);
    ck_assert_uint_eq(mt_live(), 0);
    /* capacity 0 takes nothing from the source: it succeeds even now */
    amap_config_t lazy = mt_config(AMAP_U64, AMAP_U64, 0, 0);
    ck_assert_int_eq(amap_init(&m, &mt_a, &lazy), 0);
    ck_assert_int_eq(amap_put(&m, amap_u64(1), amap_u64(1)), -ENOMEM);
    ck_assert_uint_eq(amap_len(&m), 0);
    ck_assert_uint_eq(amap_check(&m), 0);
    amap_destroy(&m);
    failing_source_recover(&mt_fs);
    ck_assert_int_eq(amap_init(&m, &mt_a, &cfg), 0);
    ck_assert_uint_ge(m.capacity / 8 * 7, 1000);
    amap_destroy(&m);
}
END_TEST

START_TEST(reserve_limits)
{
    amap_t m;
    mt_map_init(&m, AMAP_U64, AMAP_U64, 0, AMAP_CHECKED);
    ck_assert_int_eq(amap_put(&m, amap_u64(1), amap_u64(2)), 1);
    snapshot_t before = snap(&m);
    ck_assert_int_eq(amap_reserve(&m, SIZE_MAX), -EINVAL);
    ck_assert_int_eq(amap_reserve(&m, (size_t)1 << 40), -EINVAL);
    before.m.mods = m.mods; /* a refused reserve may count as a mutation */
    expect_unchanged(&m, &before);
    ck_assert_int_eq(amap_reserve(&m, 0), 0);
    ck_assert_uint_eq(m.capacity, before.st.capacity);
    failing_source_fail_after(&mt_fs, 0);
    ck_assert_int_eq(amap_reserve(&m, 100000), -ENOMEM);
    before.m.mods = m.mods;
    expect_unchanged(&m, &before);
    failing_source_recover(&mt_fs);
    amap_destroy(&m);
}
END_TEST

START_TEST(empty_map_answers)
{
    amap_t m;
    mt_map_init(&m, AMAP_STR, AMAP_I64, 0, AMAP_CHECKED);
    amap_val_t out;
    ck_assert_int_eq(amap_get(&m, amap_cstr("a"), &out), -ENOENT);
    ck_assert(!amap_has(&m, amap_cstr("a")));
    ck_assert_int_eq(amap_del(&m, amap_cstr("a")), -ENOENT);
    ck_assert_uint_eq(amap_len(&m), 0);
    amap_iter_t it = amap_iter(&m);
    ck_assert(!amap_next(&it, &out, &out));
    ck_assert(!amap_next(&it, NULL, NULL));
    amap_clear(&m);
    ck_assert_uint_eq(amap_check(&m), 0);
    ck_assert_uint_eq(mt_live(), 0);
    amap_destroy(&m);
    amap_destroy(&m); /* twice: a no-op */
    amap_destroy(NULL);
}
END_TEST

Suite *amap_edge_suite(void)
{
    Suite *s = suite_create("amap-edge");
    TCase *tc = tcase_create("values");
    tcase_set_tags(tc, "edge");
    tcase_add_checked_fixture(tc, mt_setup, mt_teardown);
    tcase_add_test(tc, negative_zero_key_equals_zero);
    tcase_add_test(tc, nan_key_is_refused_nan_value_is_kept);
    tcase_add_test(tc, negative_zero_value_keeps_its_sign);
    tcase_add_test(tc, booleans_are_normalised);
    tcase_add_test(tc, len_is_read_for_strings_only);
    tcase_add_test(tc, wrong_types_are_refused_map_unchanged);
    tcase_add_test(tc, null_and_overlong_strings_are_refused);
    tcase_add_test(tc, empty_strings_are_keys_and_values);
    tcase_add_test(tc, embedded_nuls_are_bytes);
    tcase_add_test(tc, null_handle_is_a_value_without_reference);
    suite_add_tcase(s, tc);

    tc = tcase_create("config");
    tcase_set_tags(tc, "edge");
    tcase_add_checked_fixture(tc, mt_setup, mt_teardown);
    tcase_add_test(tc, bad_configs_are_refused);
    tcase_add_test(tc, refused_table_at_init_is_enomem);
    tcase_add_test(tc, reserve_limits);
    tcase_add_test(tc, empty_map_answers);
    suite_add_tcase(s, tc);
    return s;
}

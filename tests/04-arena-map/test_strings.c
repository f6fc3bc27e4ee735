/*
 * test_strings.c - string keys and values are owned by the map, and
 * accounted exactly: after any sequence of put, overwrite and delete, the
 * arena's live objects are the table plus one per string held, key_bytes
 * and value_bytes the sums of what the model holds; deleting every entry,
 * clearing or destroying brings the arena back to where it started.
 */
#define _POSIX_C_SOURCE 200809L

#include "amap_test.h"
#include "tool_query.h"

/* Arena bytes of a string of len bytes: its length, the bytes, a NUL. */
static size_t string_bytes(size_t len)
{
    return sizeof(uint32_t) + len + 1;
}

/* Arena bytes the model's strings take: keys (numbered) and values. */
static void model_bytes(const mt_model_t *md, size_t *kb, size_t *vb)
{
    char buf[MT_STR_MAX];
    *kb = *vb = 0;
    for (uint64_t id = 0; id < md->n_keys; id++)
        if (md->e[id].present) {
            *kb += string_bytes(mt_key(AMAP_STR, id, buf).len);
            *vb += string_bytes(md->e[id].value.len);
        }
}

/* steps random puts, overwrites and deletes on n_keys string keys with
 * string values; every 4096 steps the accounting is checked; at the end
 * every entry is deleted and the arena is back where it started. */
static void churn(size_t steps, size_t n_keys, uint64_t seed)
{
    size_t start = mt_live();
    amap_t m;
    mt_map_init(&m, AMAP_STR, AMAP_STR, 0, 0);
    mt_model_t md;
    mt_model_init(&md, AMAP_STR, AMAP_STR, n_keys);
    rng_t r = {seed};
    char kb[MT_STR_MAX], vb[64];
    for (size_t step = 0; step < steps; step++) {
        uint64_t id = rng_below(&r, n_keys);
        amap_val_t k = mt_key(AMAP_STR, id, kb);
        if (rng_below(&r, 3) == 0) {
            MT_RC(amap_del(&m, k), mt_model_del(&md, id));
        } else {
            amap_val_t v = mt_random_value(&r, AMAP_STR, vb);
            MT_RC(amap_put(&m, k, v), mt_model_put(&md, id, v));
        }
        if (step % 4096 == 0 || step + 1 == steps) {
            size_t want_k, want_v;
            model_bytes(&md, &want_k, &want_v);
            amap_stats_t st = mt_stats(&m);
            MT_EQ(st.key_bytes, want_k);
            MT_EQ(st.value_bytes, want_v);
            MT_EQ(mt_live(), start + (m.capacity ? 1 : 0) + 2 * md.len); /* the table, a key and a value per entry */
            mt_model_verify_key(&md, &m, id);
        }
    }
    mt_model_verify(&md, &m);
    MT_EQ(amap_check(&m), 0);
    for (uint64_t id = 0; id < n_keys; id++) {
        if (md.e[id].present)
            MT_RC(amap_del(&m, mt_key(AMAP_STR, id, kb)), 0);
    }
    amap_stats_t st = mt_stats(&m);
    ck_assert_uint_eq(st.len, 0);
    ck_assert_uint_eq(st.key_bytes, 0);
    ck_assert_uint_eq(st.value_bytes, 0);
    ck_assert_uint_eq(mt_live(), start + 1); /* the table only */
    amap_destroy(&m);
    ck_assert_uint_eq(mt_live(), start);
    mt_model_free(&md);
}

START_TEST(churn_then_delete_everything_leaks_nothing)
{
    churn(100000, 3000, 0x57a1);
}
END_TEST

START_TEST(churn_million_leaks_nothing)
{
#ifdef SC_EXPENSIVE_CHECKS
    churn(20000, 2000, 0x57a2); /* the expensive checks walk the whole arena at every allocation */
#else
    churn(tq_under_valgrind() ? 100000 : 1000000, 50000, 0x57a2); /* the million, a tenth under Valgrind */
#endif
}
END_TEST

START_TEST(overwrite_frees_the_old_value)
{
    amap_t m;
    mt_map_init(&m, AMAP_I64, AMAP_STR, 0, AMAP_CHECKED);
    ck_assert_int_eq(amap_put(&m, amap_i64(1), amap_cstr("first value")), 1);
    size_t live = mt_live();
    amap_val_t old;
    ck_assert_int_eq(amap_get(&m, amap_i64(1), &old), 0);
    for (int i = 0; i < 100; i++) {
        char buf[32];
        int n = snprintf(buf, sizeof buf, "value %d", i);
        ck_assert_int_eq(amap_put(&m, amap_i64(1), amap_str(buf, (size_t)n)), 0);
        ck_assert_uint_eq(mt_live(), live); /* one value object, always */
        ck_assert_uint_eq(mt_stats(&m).value_bytes, string_bytes((size_t)n));
        amap_val_t out;
        ck_assert_int_eq(amap_get(&m, amap_i64(1), &out), 0);
        ck_assert_str_eq(out.str, buf);
    }
    amap_destroy(&m);
    ck_assert_uint_eq(mt_live(), 0);
}
END_TEST

START_TEST(string_keys_are_copied_once)
{
    amap_t m;
    mt_map_init(&m, AMAP_STR, AMAP_I64, 0, AMAP_CHECKED);
    char key[16] = "session";
    ck_assert_int_eq(amap_put(&m, amap_cstr(key), amap_i64(1)), 1);
    size_t live = mt_live();
    ck_assert_int_eq(amap_put(&m, amap_cstr(key), amap_i64(2)), 0); /* a replace copies nothing */
    ck_assert_uint_eq(mt_live(), live);
    ck_assert_uint_eq(mt_stats(&m).key_bytes, string_bytes(7));
    strcpy(key, "changed");
    ck_assert(amap_has(&m, amap_cstr("session")));
    ck_assert(!amap_has(&m, amap_cstr(key)));
    amap_destroy(&m);
}
END_TEST

START_TEST(clear_and_destroy_free_everything)
{
    size_t start = mt_live();
    amap_t m;
    mt_map_init(&m, AMAP_STR, AMAP_STR, 0, AMAP_CHECKED);
    char kb[MT_STR_MAX], vb[64];
    rng_t r = {77};
    for (uint64_t id = 0; id < 2000; id++)
        MT_RC(amap_put(&m, mt_key(AMAP_STR, id, kb), mt_random_value(&r, AMAP_STR, vb)), 1);
    ck_assert_uint_eq(mt_live(), start + 1 + 4000);
    amap_clear(&m);
    ck_assert_uint_eq(mt_live(), start + 1);
    ck_assert_uint_eq(mt_stats(&m).key_bytes, 0);
    ck_assert_uint_eq(mt_stats(&m).value_bytes, 0);
    for (uint64_t id = 0; id < 2000; id++)
        MT_RC(amap_put(&m, mt_key(AMAP_STR, id, kb), mt_random_value(&r, AMAP_STR, vb)), 1);
    for (uint64_t id = 0; id < 2000; id += 3)
        MT_RC(amap_del(&m, mt_key(AMAP_STR, id, kb)), 0);
    amap_destroy(&m);
    ck_assert_uint_eq(mt_live(), start);
    /* an arena dropped with a map in it: everything goes back (teardown proves it) */
    mt_map_init(&m, AMAP_STR, AMAP_STR, 0, 0);
    for (uint64_t id = 0; id < 500; id++)
        MT_RC(amap_put(&m, mt_key(AMAP_STR, id, kb), mt_random_value(&r, AMAP_STR, vb)), 1);
}
END_TEST

Suite *amap_strings_suite(void)
{
    Suite *s = suite_create("amap-strings");
    TCase *tc = tcase_create("ownership");
    tcase_set_tags(tc, "core");
    tcase_add_checked_fixture(tc, mt_setup, mt_teardown);
    tcase_add_test(tc, churn_then_delete_everything_leaks_nothing);
    tcase_add_test(tc, overwrite_frees_the_old_value);
    tcase_add_test(tc, string_keys_are_copied_once);
    tcase_add_test(tc, clear_and_destroy_free_everything);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);

    tc = tcase_create("million");
    tcase_set_tags(tc, "stress");
    tcase_add_checked_fixture(tc, mt_setup, mt_teardown);
    tcase_add_test(tc, churn_million_leaks_nothing);
    tcase_set_timeout(tc, 240);
    suite_add_tcase(s, tc);
    return s;
}

/*
 * test_iter.c - iteration (every entry once, in table order, amap_del
 * allowed between steps), merge (a join) and filter.
 */
#define _POSIX_C_SOURCE 200809L

#include "amap_internal.h"
#include "amap_test.h"

START_TEST(iteration_visits_every_entry_once_in_table_order)
{
    amap_t m;
    mt_map_init(&m, AMAP_STR, AMAP_U64, 0, AMAP_CHECKED);
    mt_model_t md;
    mt_model_init(&md, AMAP_STR, AMAP_U64, 1000);
    char kb[MT_STR_MAX];
    for (uint64_t id = 0; id < 1000; id += 1 + id % 3) {
        MT_RC(amap_put(&m, mt_key(AMAP_STR, id, kb), amap_u64(id * 3)), 1);
        mt_model_put(&md, id, amap_u64(id * 3));
    }
    mt_model_verify(&md, &m); /* each once, values right */
    /* table order: the slots' order */
    amap_iter_t it = amap_iter(&m);
    amap_val_t k, v;
    size_t slot = 0, n = 0;
    while (amap_next(&it, &k, &v)) {
        while (m.ctrl[slot] & CTRL_EMPTY)
            slot++;
        REQUIRE(k.str == amap_string(&m, (handle_t)(m.slots[slot].key >> 32))->bytes, "entry %zu is not slot %zu's", n, slot);
        slot++;
        n++;
    }
    ck_assert_uint_eq(n, md.len);
    ck_assert(!amap_next(&it, &k, &v)); /* stays at the end */
    amap_destroy(&m);
    mt_model_free(&md);
}
END_TEST

START_TEST(delete_during_iteration)
{
    amap_t m;
    mt_map_init(&m, AMAP_I64, AMAP_STR, 0, AMAP_CHECKED);
    enum { N = 2000 };
    for (int64_t i = 0; i < N; i++)
        MT_RC(amap_put(&m, amap_i64(i), amap_cstr("payload")), 1);
    unsigned char seen[N] = {0};
    amap_iter_t it = amap_iter(&m);
    amap_val_t k, v;
    size_t visited = 0;
    while (amap_next(&it, &k, &v)) {
        REQUIRE(k.i64 >= 0 && k.i64 < N && !seen[k.i64], "key %" PRId64 " again or unknown", k.i64);
        seen[k.i64] = 1;
        visited++;
        if (k.i64 % 2 == 0)
            MT_RC(amap_del(&m, k), 0); /* the entry just returned */
        /* and another one, perhaps not visited yet: it must then never show */
        int64_t other = (k.i64 * 7 + 1) % N;
        if (other % 5 == 0 && !seen[other] && amap_has(&m, amap_i64(other))) {
            MT_RC(amap_del(&m, amap_i64(other)), 0);
            seen[other] = 2;
        }
    }
    size_t deleted_ahead = 0;
    for (int64_t i = 0; i < N; i++) {
        REQUIRE(seen[i] != 0, "key %" PRId64 " was never visited nor deleted", i);
        deleted_ahead += seen[i] == 2;
    }
    ck_assert_uint_eq(visited + deleted_ahead, N);
    ck_assert_uint_eq(mt_mc.count, 0);
    ck_assert_uint_eq(amap_check(&m), 0);
    for (int64_t i = 0; i < N; i++)
        MT_EQ(amap_has(&m, amap_i64(i)), i % 2 != 0 && seen[i] == 1);
    amap_destroy(&m);
    ck_assert_uint_eq(mt_live(), 0);
}
END_TEST

/* ---- merge -------------------------------------------------------------------------------- */

START_TEST(merge_with_and_without_overwrite)
{
    amap_t a, b;
    mt_map_init(&a, AMAP_STR, AMAP_STR, 0, AMAP_CHECKED);
    mt_map_init(&b, AMAP_STR, AMAP_STR, 0, AMAP_CHECKED);
    char kb[MT_STR_MAX];
    for (uint64_t id = 0; id < 100; id++)
        MT_RC(amap_put(&a, mt_key(AMAP_STR, id, kb), amap_cstr("a")), 1);
    for (uint64_t id = 50; id < 200; id++)
        MT_RC(amap_put(&b, mt_key(AMAP_STR, id, kb), amap_cstr("bb")), 1);
    ck_assert_int_eq(amap_merge(&a, &b, false), 100); /* 150..., of which 50 kept */
    ck_assert_uint_eq(amap_len(&a), 200);
    amap_val_t out;
    ck_assert_int_eq(amap_get(&a, mt_key(AMAP_STR, 60, kb), &out), 0);
    ck_assert_str_eq(out.str, "a");
    ck_assert_int_eq(amap_get(&a, mt_key(AMAP_STR, 150, kb), &out), 0);
    ck_assert_str_eq(out.str, "bb");
    ck_assert_int_eq(amap_merge(&a, &b, true), 150); /* every one of b's entries replaced or inserted */
    ck_assert_int_eq(amap_get(&a, mt_key(AMAP_STR, 60, kb), &out), 0);
    ck_assert_str_eq(out.str, "bb");
    ck_assert_int_eq(amap_get(&a, mt_key(AMAP_STR, 10, kb), &out), 0);
    ck_assert_str_eq(out.str, "a");
    ck_assert_uint_eq(amap_len(&a), 200);
    ck_assert_uint_eq(amap_len(&b), 150);
    /* merging into itself changes nothing */
    amap_stats_t before = mt_stats(&a);
    ck_assert_int_eq(amap_merge(&a, &a, true), 0);
    amap_stats_t after = mt_stats(&a);
    ck_assert_mem_eq(&before, &after, sizeof after);
    /* dst's strings are its own: they survive src's destroy */
    amap_destroy(&b);
    ck_assert_int_eq(amap_get(&a, mt_key(AMAP_STR, 199, kb), &out), 0);
    ck_assert_str_eq(out.str, "bb");
    ck_assert_uint_eq(amap_check(&a), 0);
    ck_assert_uint_eq(mt_live(), 1 + 2 * 200);
    amap_destroy(&a);
    ck_assert_uint_eq(mt_live(), 0);
}
END_TEST

START_TEST(merge_of_different_types_is_refused)
{
    amap_t a, b, c;
    mt_map_init(&a, AMAP_U64, AMAP_STR, 0, AMAP_CHECKED);
    mt_map_init(&b, AMAP_I64, AMAP_STR, 0, AMAP_CHECKED);
    mt_map_init(&c, AMAP_U64, AMAP_I64, 0, AMAP_CHECKED);
    ck_assert_int_eq(amap_put(&b, amap_i64(1), amap_cstr("x")), 1);
    ck_assert_int_eq(amap_put(&c, amap_u64(1), amap_i64(1)), 1);
    ck_assert_int_eq(amap_merge(&a, &b, true), -EINVAL); /* key types differ */
    ck_assert_int_eq(amap_merge(&a, &c, true), -EINVAL); /* value types differ */
    ck_assert_uint_eq(amap_len(&a), 0);
    amap_destroy(&a);
    amap_destroy(&b);
    amap_destroy(&c);
}
END_TEST

START_TEST(merge_shares_handles)
{
    amap_t a, b;
    mt_map_init(&a, AMAP_I64, AMAP_HANDLE, 0, AMAP_CHECKED);
    mt_map_init(&b, AMAP_I64, AMAP_HANDLE, 0, AMAP_CHECKED);
    handle_t h = arena_alloc(&mt_a, 8);
    ck_assert_int_eq(amap_put(&b, amap_i64(1), amap_handle(h)), 1);
    ck_assert_int_eq(amap_merge(&a, &b, false), 1);
    ck_assert_uint_eq(arena_refcount(&mt_a, h), 3);
    amap_destroy(&b);
    ck_assert_uint_eq(arena_refcount(&mt_a, h), 2);
    amap_destroy(&a);
    ck_assert_int_eq(arena_release(&mt_a, h), 0);
}
END_TEST

/* ---- filter ------------------------------------------------------------------------------- */

typedef struct filter_ctx {
    unsigned char calls[1000];
    size_t total;
} filter_ctx_t;

static bool keep_odd(amap_val_t key, amap_val_t value, void *ctx)
{
    filter_ctx_t *fc = ctx;
    uint64_t id = mt_key_id(key);
    REQUIRE(id < 1000, "filter saw key %" PRIu64, id);
    REQUIRE(value.type == AMAP_STR && value.len == 5, "filter saw a wrong value");
    fc->calls[id]++;
    fc->total++;
    return id % 2 == 1;
}

START_TEST(filter_calls_keep_once_and_frees_what_it_deletes)
{
    amap_t m;
    mt_map_init(&m, AMAP_STR, AMAP_STR, 0, AMAP_CHECKED);
    char kb[MT_STR_MAX];
    size_t start = mt_live();
    for (uint64_t id = 0; id < 1000; id++)
        MT_RC(amap_put(&m, mt_key(AMAP_STR, id, kb), amap_cstr("value")), 1);
    size_t kb_all = mt_stats(&m).key_bytes;
    static filter_ctx_t fc;
    memset(&fc, 0, sizeof fc);
    ck_assert_uint_eq(amap_filter(&m, keep_odd, &fc), 500);
    ck_assert_uint_eq(fc.total, 1000);
    for (size_t id = 0; id < 1000; id++)
        MT_EQ(fc.calls[id], 1);
    ck_assert_uint_eq(amap_len(&m), 500);
    ck_assert_uint_eq(mt_live(), start + 1 + 2 * 500);
    ck_assert_uint_lt(mt_stats(&m).key_bytes, kb_all);
    ck_assert_uint_eq(mt_stats(&m).value_bytes, 500 * (sizeof(uint32_t) + 6));
    for (uint64_t id = 0; id < 1000; id++)
        MT_EQ(amap_has(&m, mt_key(AMAP_STR, id, kb)), id % 2 == 1);
    ck_assert_uint_eq(amap_check(&m), 0);
    /* again: nothing more to delete */
    memset(&fc, 0, sizeof fc);
    ck_assert_uint_eq(amap_filter(&m, keep_odd, &fc), 0);
    ck_assert_uint_eq(fc.total, 500);
    amap_destroy(&m);
    ck_assert_uint_eq(mt_live(), start);
}
END_TEST

static bool keep_none(amap_val_t key, amap_val_t value, void *ctx)
{
    (void)key;
    (void)value;
    (*(size_t *)ctx)++;
    return false;
}

START_TEST(filter_releases_handles)
{
    amap_t m;
    mt_map_init(&m, AMAP_U64, AMAP_HANDLE, 0, AMAP_CHECKED);
    handle_t h = arena_alloc(&mt_a, 8);
    for (uint64_t i = 0; i < 100; i++)
        MT_RC(amap_put(&m, amap_u64(i), amap_handle(i % 2 ? h : HANDLE_NULL)), 1);
    ck_assert_uint_eq(arena_refcount(&mt_a, h), 51);
    size_t calls = 0;
    ck_assert_uint_eq(amap_filter(&m, keep_none, &calls), 100);
    ck_assert_uint_eq(calls, 100);
    ck_assert_uint_eq(arena_refcount(&mt_a, h), 1);
    ck_assert_uint_eq(amap_len(&m), 0);
    calls = 0;
    ck_assert_uint_eq(amap_filter(&m, keep_none, &calls), 0);
    ck_assert_uint_eq(calls, 0);
    amap_destroy(&m);
    ck_assert_int_eq(arena_release(&mt_a, h), 0);
}
END_TEST

static void setup(void)
{
    mt_setup();
    mt_misuse_install(); /* iteration with deletion must report nothing */
}

static void teardown(void)
{
    mt_misuse_remove();
    mt_finish();
}

Suite *amap_iter_suite(void)
{
    Suite *s = suite_create("amap-iter");
    TCase *tc = tcase_create("iter");
    tcase_set_tags(tc, "core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, iteration_visits_every_entry_once_in_table_order);
    tcase_add_test(tc, delete_during_iteration);
    tcase_add_test(tc, merge_with_and_without_overwrite);
    tcase_add_test(tc, merge_of_different_types_is_refused);
    tcase_add_test(tc, merge_shares_handles);
    tcase_add_test(tc, filter_calls_keep_once_and_frees_what_it_deletes);
    tcase_add_test(tc, filter_releases_handles);
    suite_add_tcase(s, tc);
    return s;
}

/*
 * test_core.c - stage 04's ordinary use: put, get, has, del and len for
 * every key type and every value type against the reference model;
 * strings that come back NUL-terminated from the arena; reserve, clear,
 * growth; and the statistics.
 */
#define _POSIX_C_SOURCE 200809L

#include "amap_internal.h"
#include "amap_test.h"

static const amap_type_t key_types[] = {AMAP_I64, AMAP_U64, AMAP_F64, AMAP_BOOL, AMAP_STR};
static const amap_type_t value_types[] = {AMAP_I64, AMAP_U64, AMAP_F64, AMAP_BOOL, AMAP_STR, AMAP_HANDLE};

/* A value of type t for round `round` of key id: strings into buf, handles
 * from hs (objects the test keeps alive). */
static amap_val_t value_for(amap_type_t t, uint64_t id, unsigned round, char *buf, const handle_t *hs, size_t n_hs)
{
    rng_t r = {rng_mix(id * 31 + round)};
    if (t == AMAP_HANDLE)
        return amap_handle(hs[(id + round) % n_hs]);
    return mt_random_value(&r, t, buf);
}

/* Put, replace, get, has and del for one key type and one value type,
 * compared with the model after each phase. */
static void exercise_types(amap_type_t kt, amap_type_t vt)
{
    enum { N = 300, N_HANDLES = 7 };
    handle_t hs[N_HANDLES];
    for (size_t i = 0; i < N_HANDLES; i++)
        hs[i] = arena_alloc(&mt_a, 24);
    amap_t m;
    mt_map_init(&m, kt, vt, 0, AMAP_CHECKED);
    mt_model_t md;
    mt_model_init(&md, kt, vt, N);
    char kb[MT_STR_MAX], vb[64];
    for (uint64_t id = 0; id < md.n_keys; id++) {
        amap_val_t v = value_for(vt, id, 0, vb, hs, N_HANDLES);
        MT_RC(amap_put(&m, mt_key(kt, id, kb), v), 1);
        mt_model_put(&md, id, v);
        MT_EQ(amap_len(&m), id + 1);
    }
    mt_model_verify(&md, &m);
    for (uint64_t id = 0; id < md.n_keys; id += 2) {
        amap_val_t v = value_for(vt, id, 1, vb, hs, N_HANDLES);
        MT_RC(amap_put(&m, mt_key(kt, id, kb), v), 0);
        mt_model_put(&md, id, v);
    }
    mt_model_verify(&md, &m);
    for (uint64_t id = 0; id < md.n_keys; id += 3) {
        MT_RC(amap_del(&m, mt_key(kt, id, kb)), 0);
        MT_RC(amap_del(&m, mt_key(kt, id, kb)), -ENOENT);
        mt_model_del(&md, id);
    }
    mt_model_verify(&md, &m);
    ck_assert_uint_eq(amap_check(&m), 0);
    /* the handles' counts: one for the test, one per entry holding them */
    if (vt == AMAP_HANDLE)
        for (size_t i = 0; i < N_HANDLES; i++) {
            size_t held = 0;
            for (uint64_t id = 0; id < md.n_keys; id++)
                held += md.e[id].present && md.e[id].value.h == hs[i];
            ck_assert_uint_eq(arena_refcount(&mt_a, hs[i]), 1 + held);
        }
    amap_destroy(&m);
    mt_model_free(&md);
    for (size_t i = 0; i < N_HANDLES; i++) {
        ck_assert_uint_eq(arena_refcount(&mt_a, hs[i]), 1);
        ck_assert_int_eq(arena_release(&mt_a, hs[i]), 0);
    }
    ck_assert_uint_eq(mt_live(), 0);
}

START_TEST(every_key_type_with_every_value_type)
{
    /* _i runs over the 5 x 6 pairs */
    exercise_types(key_types[_i / 6], value_types[_i % 6]);
}
END_TEST

START_TEST(insert_returns_one_replace_zero)
{
    amap_t m;
    mt_map_init(&m, AMAP_I64, AMAP_I64, 0, 0);
    ck_assert_int_eq(amap_put(&m, amap_i64(5), amap_i64(50)), 1);
    ck_assert_int_eq(amap_put(&m, amap_i64(5), amap_i64(51)), 0);
    ck_assert_int_eq(amap_put(&m, amap_i64(-5), amap_i64(52)), 1);
    ck_assert_uint_eq(amap_len(&m), 2);
    amap_val_t out;
    ck_assert_int_eq(amap_get(&m, amap_i64(5), &out), 0);
    ck_assert_uint_eq(out.type, AMAP_I64);
    ck_assert_int_eq(out.i64, 51);
    ck_assert_int_eq(amap_get(&m, amap_i64(6), &out), -ENOENT);
    ck_assert(amap_has(&m, amap_i64(-5)));
    ck_assert(!amap_has(&m, amap_i64(6)));
    ck_assert_int_eq(amap_get(&m, amap_i64(-5), NULL), 0); /* out may be NULL */
    ck_assert_int_eq(amap_del(&m, amap_i64(5)), 0);
    ck_assert_int_eq(amap_get(&m, amap_i64(5), &out), -ENOENT);
    ck_assert_uint_eq(amap_len(&m), 1);
    amap_destroy(&m);
}
END_TEST

/* The string object a map's slot holds, found through the table. */
static const amap_string_t *value_object(const amap_t *m, size_t slot)
{
    return amap_string(m, (handle_t)m->slots[slot].val);
}

START_TEST(strings_come_back_terminated_from_the_arena)
{
    amap_t m;
    mt_map_init(&m, AMAP_STR, AMAP_STR, 0, AMAP_CHECKED);
    char key[8] = "abcdefg", val[12] = "hello world";
    /* not NUL-terminated on input: only len bytes count */
    ck_assert_int_eq(amap_put(&m, amap_str(key, 3), amap_str(val, 5)), 1);
    memset(key, 'x', sizeof key);
    memset(val, 'y', sizeof val);
    amap_val_t out;
    ck_assert_int_eq(amap_get(&m, amap_str("abc", 3), &out), 0);
    ck_assert_uint_eq(out.type, AMAP_STR);
    ck_assert_uint_eq(out.len, 5);
    ck_assert_str_eq(out.str, "hello"); /* the copy, NUL-terminated, untouched by the caller's buffer */
    ck_assert_ptr_ne(out.str, val);
    /* the bytes are the arena object the slot names */
    size_t slot = SIZE_MAX;
    for (size_t i = 0; i < m.capacity; i++)
        if (!(m.ctrl[i] & CTRL_EMPTY))
            slot = i;
    ck_assert_uint_ne(slot, SIZE_MAX);
    const amap_string_t *obj = value_object(&m, slot);
    ck_assert_ptr_nonnull(obj);
    ck_assert_ptr_eq(out.str, obj->bytes);
    ck_assert_uint_eq(arena_size(&mt_a, (handle_t)m.slots[slot].val), sizeof *obj + 6);
    /* the key too */
    amap_iter_t it = amap_iter(&m);
    amap_val_t k, v;
    ck_assert(amap_next(&it, &k, &v));
    ck_assert_uint_eq(k.len, 3);
    ck_assert_str_eq(k.str, "abc");
    ck_assert_ptr_eq(k.str, amap_string(&m, (handle_t)(m.slots[slot].key >> 32))->bytes);
    ck_assert_ptr_eq(v.str, out.str);
    ck_assert(!amap_next(&it, &k, &v));
    amap_destroy(&m);
}
END_TEST

START_TEST(reserve_means_no_growth_until_n)
{
    static const size_t ns[] = {1, 7, 13, 14, 15, 28, 100, 1000, 4096, 20000};
    for (size_t t = 0; t < sizeof ns / sizeof ns[0]; t++) {
        size_t n = ns[t];
        amap_t m;
        mt_map_init(&m, AMAP_U64, AMAP_U64, 0, 0);
        ck_assert_int_eq(amap_reserve(&m, n), 0);
        size_t cap = mt_stats(&m).capacity;
        ck_assert_uint_ge(cap / 8 * 7, n); /* room for n at 7/8 */
        ck_assert_uint_le(cap / 2 / 8 * 7, n < 14 ? 14 : n); /* and the smallest such table */
        char buf[MT_STR_MAX];
        for (uint64_t id = 0; id < n; id++) {
            MT_RC(amap_put(&m, mt_key(AMAP_U64, id, buf), amap_u64(id)), 1);
            MT_EQ(m.capacity, cap);
        }
        ck_assert_uint_eq(amap_len(&m), n);
        ck_assert_uint_eq(amap_check(&m), 0);
        /* reserving what is there already changes nothing */
        ck_assert_int_eq(amap_reserve(&m, n), 0);
        ck_assert_uint_eq(m.capacity, cap);
        amap_destroy(&m);
    }
}
END_TEST

START_TEST(capacity_in_config_is_a_reserve)
{
    amap_t m;
    mt_map_init(&m, AMAP_I64, AMAP_BOOL, 1000, 0);
    size_t cap = m.capacity;
    ck_assert_uint_ge(cap / 8 * 7, 1000);
    ck_assert_uint_eq(mt_live(), 1); /* the table only */
    char buf[MT_STR_MAX];
    for (uint64_t id = 0; id < 1000; id++) {
        MT_RC(amap_put(&m, mt_key(AMAP_I64, id, buf), amap_bool(id & 1)), 1);
        MT_EQ(m.capacity, cap);
    }
    amap_destroy(&m);
    ck_assert_uint_eq(mt_live(), 0);
}
END_TEST

START_TEST(clear_keeps_capacity)
{
    amap_t m;
    mt_map_init(&m, AMAP_STR, AMAP_STR, 0, AMAP_CHECKED);
    size_t start = mt_live();
    char kb[MT_STR_MAX];
    for (uint64_t id = 0; id < 500; id++)
        MT_RC(amap_put(&m, mt_key(AMAP_STR, id, kb), amap_cstr("value")), 1);
    amap_stats_t before = mt_stats(&m);
    amap_clear(&m);
    amap_stats_t after = mt_stats(&m);
    ck_assert_uint_eq(after.capacity, before.capacity);
    ck_assert_uint_eq(after.table_bytes, before.table_bytes);
    ck_assert_uint_eq(after.len, 0);
    ck_assert_uint_eq(after.tombstones, 0);
    ck_assert_uint_eq(after.key_bytes, 0);
    ck_assert_uint_eq(after.value_bytes, 0);
    ck_assert(after.mean_probe == 0.0 && after.max_probe == 0.0);
    ck_assert_uint_eq(mt_live(), start + 1); /* the table stays, every string went */
    for (uint64_t id = 0; id < 500; id++)
        MT_EQ(amap_has(&m, mt_key(AMAP_STR, id, kb)), false);
    /* and it fills again without growing */
    for (uint64_t id = 0; id < 500; id++) {
        MT_RC(amap_put(&m, mt_key(AMAP_STR, id, kb), amap_cstr("again")), 1);
        MT_EQ(m.capacity, before.capacity);
    }
    ck_assert_uint_eq(amap_check(&m), 0);
    amap_destroy(&m);
    ck_assert_uint_eq(mt_live(), start);
}
END_TEST

/* Keys for the growth test: fewer with the expensive checks, which walk
 * the whole arena at every allocation. */
#ifdef SC_EXPENSIVE_CHECKS
#define GROWTH_KEYS 2000 /* 8 doublings */
#else
#define GROWTH_KEYS 20000 /* 11 */
#endif

START_TEST(growth_keeps_every_entry)
{
    amap_t m;
    mt_map_init(&m, AMAP_STR, AMAP_U64, 0, 0);
    mt_model_t md;
    mt_model_init(&md, AMAP_STR, AMAP_U64, GROWTH_KEYS);
    char kb[MT_STR_MAX];
    size_t cap = m.capacity, growths = 0;
    for (uint64_t id = 0; id < md.n_keys; id++) {
        MT_RC(amap_put(&m, mt_key(AMAP_STR, id, kb), amap_u64(~id)), 1);
        mt_model_put(&md, id, amap_u64(~id));
        if (m.capacity != cap) {
            MT_EQ(m.capacity, cap ? cap * 2 : AMAP_GROUP); /* doubles */
            cap = m.capacity;
            growths++;
            mt_model_verify(&md, &m);
            MT_EQ(amap_check(&m), 0);
            MT_EQ(mt_live(), 1 + id + 1); /* the old table went back: one table, one string per key */
        }
    }
    ck_assert_uint_ge(growths, GROWTH_KEYS > 2000 ? 11 : 8);
    mt_model_verify(&md, &m);
    amap_destroy(&m);
    mt_model_free(&md);
    ck_assert_uint_eq(mt_live(), 0);
}
END_TEST

START_TEST(stats_of_empty_and_full_maps)
{
    amap_t m;
    mt_map_init(&m, AMAP_STR, AMAP_STR, 0, 0);
    amap_stats_t st = mt_stats(&m);
    ck_assert_uint_eq(st.len, 0);
    ck_assert_uint_eq(st.capacity, 0);
    ck_assert_uint_eq(st.tombstones, 0);
    ck_assert_uint_eq(st.table_bytes, 0);
    ck_assert_uint_eq(st.key_bytes, 0);
    ck_assert_uint_eq(st.value_bytes, 0);
    ck_assert(st.mean_probe == 0.0 && st.max_probe == 0.0);
    char kb[MT_STR_MAX];
    size_t key_bytes = 0, value_bytes = 0;
    for (uint64_t id = 0; id < 3000; id++) {
        amap_val_t k = mt_key(AMAP_STR, id, kb);
        size_t vlen = id % 41;
        MT_RC(amap_put(&m, k, amap_str("0123456789012345678901234567890123456789", vlen)), 1);
        key_bytes += sizeof(uint32_t) + k.len + 1; /* length, bytes, NUL */
        value_bytes += sizeof(uint32_t) + vlen + 1;
        if (id % 97 == 0) {
            st = mt_stats(&m);
            MT_EQ(st.len, id + 1);
            MT_CMP(st.len * 8, <=, st.capacity * 7);
            MT_EQ(st.table_bytes, st.capacity * (1 + 16)); /* a control byte and 16 bytes per slot */
            MT_EQ(st.key_bytes, key_bytes);
            MT_EQ(st.value_bytes, value_bytes);
            REQUIRE(st.mean_probe >= 1.0, "mean probe %g below 1", st.mean_probe);
            REQUIRE(st.max_probe >= st.mean_probe, "max probe %g below the mean %g", st.max_probe, st.mean_probe);
            REQUIRE(st.max_probe == floor(st.max_probe), "max probe %g is not a whole number of groups", st.max_probe);
        }
    }
    /* tombstones as the map counts them */
    for (uint64_t id = 0; id < 3000; id += 2)
        MT_RC(amap_del(&m, mt_key(AMAP_STR, id, kb)), 0);
    st = mt_stats(&m);
    ck_assert_uint_eq(st.len, 1500);
    ck_assert_uint_eq(st.tombstones, m.tombstones);
    size_t deleted = 0;
    for (size_t i = 0; i < m.capacity; i++)
        deleted += m.ctrl[i] == CTRL_DELETED;
    ck_assert_uint_eq(st.tombstones, deleted);
    ck_assert_uint_eq(st.tombstones + st.len + m.growth_left, st.capacity / 8 * 7);
    ck_assert(st.mean_probe >= 1.0);
    amap_destroy(&m);
}
END_TEST

START_TEST(one_entry_probes_one_group)
{
    amap_t m;
    mt_map_init(&m, AMAP_U64, AMAP_U64, 0, 0);
    ck_assert_int_eq(amap_put(&m, amap_u64(42), amap_u64(1)), 1);
    amap_stats_t st = mt_stats(&m);
    ck_assert(st.mean_probe == 1.0);
    ck_assert(st.max_probe == 1.0);
    ck_assert_uint_eq(st.capacity, AMAP_GROUP);
    ck_assert_uint_eq(st.table_bytes, AMAP_GROUP * 17);
    amap_destroy(&m);
}
END_TEST

START_TEST(maps_are_independent)
{
    amap_t a, b;
    mt_map_init(&a, AMAP_I64, AMAP_STR, 0, AMAP_CHECKED);
    mt_map_init(&b, AMAP_I64, AMAP_STR, 0, AMAP_CHECKED);
    for (int64_t i = 0; i < 200; i++) {
        ck_assert_int_eq(amap_put(&a, amap_i64(i), amap_cstr("a")), 1);
        if (i % 2)
            ck_assert_int_eq(amap_put(&b, amap_i64(i), amap_cstr("bb")), 1);
    }
    amap_val_t out;
    ck_assert_int_eq(amap_get(&b, amap_i64(4), &out), -ENOENT);
    ck_assert_int_eq(amap_get(&b, amap_i64(5), &out), 0);
    ck_assert_str_eq(out.str, "bb");
    amap_destroy(&a);
    ck_assert_int_eq(amap_get(&b, amap_i64(7), &out), 0);
    ck_assert_str_eq(out.str, "bb");
    ck_assert_uint_eq(amap_len(&b), 100);
    amap_destroy(&b);
    ck_assert_uint_eq(mt_live(), 0);
}
END_TEST

Suite *amap_core_suite(void)
{
    Suite *s = suite_create("amap-core");
    TCase *tc = tcase_create("types");
    tcase_set_tags(tc, "core");
    tcase_add_checked_fixture(tc, mt_setup, mt_teardown);
    tcase_add_loop_test(tc, every_key_type_with_every_value_type, 0, 5 * 6);
    tcase_add_test(tc, insert_returns_one_replace_zero);
    tcase_add_test(tc, strings_come_back_terminated_from_the_arena);
    suite_add_tcase(s, tc);

    tc = tcase_create("capacity");
    tcase_set_tags(tc, "core");
    tcase_add_checked_fixture(tc, mt_setup, mt_teardown);
    tcase_add_test(tc, reserve_means_no_growth_until_n);
    tcase_add_test(tc, capacity_in_config_is_a_reserve);
    tcase_add_test(tc, clear_keeps_capacity);
    tcase_add_test(tc, growth_keeps_every_entry);
    tcase_add_test(tc, stats_of_empty_and_full_maps);
    tcase_add_test(tc, one_entry_probes_one_group);
    tcase_add_test(tc, maps_are_independent);
    suite_add_tcase(s, tc);
    return s;
}

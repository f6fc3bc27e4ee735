/*
 * test_stress.c - stage 04 at scale.
 *
 *  - 2 * 10^6 u64 -> u64 entries inserted from an empty map (growth all
 *    the way), every one found with its value, every other one deleted,
 *    then every key checked (found or not as it should be) and the deleted
 *    ones inserted again, reusing their slots;
 *  - 2 * 10^5 string keys -> string values, the same steps, with the
 *    arena's objects and the map's key and value bytes back where they
 *    started after the last deletion: nothing leaks.
 *
 * Natively the file runs in a few seconds; under Valgrind the sizes are
 * divided by 10, with the expensive checks (make test-expensive, where
 * every arena allocation checks the whole arena) by 100.
 */
#include "amap_test.h"

#include "amap_internal.h"
#include "tool_query.h"

static void setup(void)
{
    mt_init((arena_config_t){0});
}

static void teardown(void)
{
    mt_finish();
}

static size_t scaled(size_t n)
{
#ifdef SC_EXPENSIVE_CHECKS
    n /= 100;
#endif
    return tq_under_valgrind() ? n / 10 : n;
}

/* The key and value of entry i of the u64 test. */
static uint64_t key_u(uint64_t i)
{
    return rng_mix(i + 1);
}

START_TEST(two_million_u64_entries)
{
    size_t n = scaled(2000000);
    amap_t m;
    mt_map_init(&m, AMAP_U64, AMAP_U64, 0, 0);
    for (uint64_t i = 0; i < n; i++)
        REQUIRE(amap_put(&m, amap_u64(key_u(i)), amap_u64(i)) == 1, "insert %" PRIu64, i);
    MT_EQ(amap_len(&m), n);
    MT_EQ(amap_check(&m), 0);
    amap_stats_t st = mt_stats(&m);
    REQUIRE(st.len * 8 <= st.capacity * 7, "%zu entries in %zu slots", st.len, st.capacity);
    REQUIRE(st.mean_probe >= 1.0 && st.mean_probe < 1.5, "mean probe %.3f groups", st.mean_probe);
    for (uint64_t i = 0; i < n; i++) {
        amap_val_t v;
        REQUIRE(amap_get(&m, amap_u64(key_u(i)), &v) == 0 && v.u64 == i, "entry %" PRIu64 " lost", i);
    }
    for (uint64_t i = 0; i < n; i += 2)
        REQUIRE(amap_del(&m, amap_u64(key_u(i))) == 0, "delete %" PRIu64, i);
    MT_EQ(amap_len(&m), n - (n + 1) / 2);
    MT_EQ(amap_check(&m), 0);
    for (uint64_t i = 0; i < n; i++) {
        amap_val_t v = {0};
        int rc = amap_get(&m, amap_u64(key_u(i)), &v);
        REQUIRE(i % 2 ? rc == 0 && v.u64 == i : rc == -ENOENT, "entry %" PRIu64 ": %d", i, rc);
    }
    size_t cap = mt_stats(&m).capacity;
    for (uint64_t i = 0; i < n; i += 2)
        REQUIRE(amap_put(&m, amap_u64(key_u(i)), amap_u64(i)) == 1, "insert again %" PRIu64, i);
    MT_EQ(amap_len(&m), n);
    MT_EQ(mt_stats(&m).capacity, cap); /* the freed slots took them back */
    MT_EQ(amap_check(&m), 0);
    amap_destroy(&m);
    MT_EQ(mt_live(), 0);
}
END_TEST

/* Key and value strings of entry i: lengths 1..40 and 0..60. */
static amap_val_t key_s(uint64_t i, char *buf)
{
    int n = snprintf(buf, 48, "key-%" PRIu64 "-", i);
    size_t len = (size_t)n + (size_t)(rng_mix(i) % 24);
    memset(buf + n, 'k', len - (size_t)n);
    return amap_str(buf, len);
}

static amap_val_t value_s(uint64_t i, uint64_t gen, char *buf)
{
    size_t len = (size_t)(rng_mix(i ^ gen << 40) % 61);
    rng_stamp(buf, len, i * 31 + gen);
    return amap_str(buf, len);
}

static void expect_value(const amap_t *m, uint64_t i, uint64_t gen)
{
    char kb[48], vb[64];
    amap_val_t v, want = value_s(i, gen, vb);
    REQUIRE(amap_get(m, key_s(i, kb), &v) == 0, "string entry %" PRIu64 " lost", i);
    REQUIRE(mt_val_eq(v, want) && v.str[v.len] == '\0', "string entry %" PRIu64 "'s value damaged", i);
}

START_TEST(two_hundred_thousand_string_entries)
{
    size_t n = scaled(200000);
    char kb[48], vb[64];
    size_t live0 = mt_live();
    amap_t m;
    mt_map_init(&m, AMAP_STR, AMAP_STR, 0, 0);
    for (uint64_t i = 0; i < n; i++)
        REQUIRE(amap_put(&m, key_s(i, kb), value_s(i, 0, vb)) == 1, "insert %" PRIu64, i);
    for (uint64_t i = 0; i < n; i += 3) /* overwrites free the old values */
        REQUIRE(amap_put(&m, key_s(i, kb), value_s(i, 1, vb)) == 0, "overwrite %" PRIu64, i);
    MT_EQ(amap_check(&m), 0);
    MT_EQ(mt_live(), live0 + 1 + 2 * n); /* the table, a key and a value each */
    for (uint64_t i = 0; i < n; i++)
        expect_value(&m, i, i % 3 ? 0 : 1);
    for (uint64_t i = 0; i < n; i += 2)
        REQUIRE(amap_del(&m, key_s(i, kb)) == 0, "delete %" PRIu64, i);
    MT_EQ(amap_check(&m), 0);
    for (uint64_t i = 0; i < n; i++) {
        if (i % 2)
            expect_value(&m, i, i % 3 ? 0 : 1);
        else
            REQUIRE(!amap_has(&m, key_s(i, kb)), "deleted string entry %" PRIu64 " found", i);
    }
    for (uint64_t i = 1; i < n; i += 2)
        REQUIRE(amap_del(&m, key_s(i, kb)) == 0, "delete %" PRIu64, i);
    amap_stats_t st = mt_stats(&m);
    MT_EQ(st.len, 0);
    MT_EQ(st.key_bytes, 0);
    MT_EQ(st.value_bytes, 0);
    MT_EQ(mt_live(), live0 + 1); /* the table alone */
    MT_EQ(amap_check(&m), 0);
    amap_destroy(&m);
    MT_EQ(mt_live(), live0);
}
END_TEST

Suite *amap_stress_suite(void)
{
    Suite *s = suite_create("amap-stress");
    TCase *tc = tcase_create("stress");
    tcase_set_tags(tc, "stress");
    tcase_set_timeout(tc, 240);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, two_million_u64_entries);
    tcase_add_test(tc, two_hundred_thousand_string_entries);
    suite_add_tcase(s, tc);
    return s;
}

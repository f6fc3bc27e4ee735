/*
 * test_ex_rebuild.c - stage 04, exercise 04-rebuild: rebuild(), which moves
 * every entry of the arena map into a new table, twice the size when the
 * map grows, the same size when tombstones have taken the room.
 *
 *   growth        20 000 integer keys put one by one: at each growth the
 *                 table doubles, every entry put so far is there with its
 *                 value, no tombstone is left, growth_left is the room the
 *                 new table has, and the old table has gone back (the
 *                 arena holds one object, and has never held more than
 *                 two: nothing is allocated per entry); a capacity given
 *                 to amap_init() is a first table that holds it all
 *   strings       string keys and values, and handle values: at each
 *                 growth every string is still the same object at the same
 *                 address (moved, not copied), key_bytes and value_bytes
 *                 do not change, each handle value keeps exactly the
 *                 reference the map took
 *   no_bytes      the bytes of every string key are scrambled while
 *                 amap_reserve() rebuilds the table, and restored after:
 *                 a rebuild that reads a key's bytes (to hash it again)
 *                 puts entries where no lookup finds them
 *   tombstones    a table 7/8 full of deleted slots (keys chosen so that
 *                 they fill whole groups, then deleted): inserts use up
 *                 the room, and the table is rebuilt at the same size,
 *                 with no tombstone, every live key found, no deleted key
 *   failure       the arena refuses the new table: the put fails with
 *                 -ENOMEM and the map is exactly as it was, every entry
 *                 readable; once the arena gives memory again, it grows
 */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "amap.h"
#include "amap_internal.h"
#include "failing_source.h"
#include "require.h"
#include "rng.h"

#define REBUILD_SEED UINT64_C(0x3c6ef372fe94f82b) /* fixed: the tombstones test picks keys by home group */

/* Arena objects ever given a slot: live, free for reuse, or retired. */
static size_t slots_ever(const arena_t *a)
{
    arena_stats_t st;
    arena_stats(a, &st);
    return st.slots + st.free_slots + st.retired;
}

static size_t live_objects(const arena_t *a)
{
    arena_stats_t st;
    arena_stats(a, &st);
    return st.live;
}

/* What a rebuild must leave: no tombstone, the room of the new table. */
static void table_ok(const amap_t *m, size_t cap, const char *when)
{
    ck_assert_msg(m->capacity == cap, "%s: capacity %zu, expected %zu", when, m->capacity, cap);
    ck_assert_msg(m->tombstones == 0, "%s: %zu tombstones are left after the rebuild", when,
                  m->tombstones);
    ck_assert_msg(m->growth_left == cap / 8 * 7 - m->len, "%s: growth_left %zu, expected %zu "
                  "(7/8 of %zu slots, less %zu entries)", when, m->growth_left,
                  cap / 8 * 7 - m->len, cap, m->len);
    ck_assert_msg(m->group_mask == cap / AMAP_GROUP - 1, "%s: group_mask %zu for %zu slots", when,
                  m->group_mask, cap);
    size_t bad = amap_check(m);
    ck_assert_msg(bad == 0, "%s: amap_check() finds %zu broken invariants", when, bad);
}

/* ---- growth ------------------------------------------------------------------- */

START_TEST(rebuild_grows_keeping_every_entry)
{
    enum { N = 20000 };
    arena_t a;
    amap_t m;
    ck_assert_int_eq(arena_init(&a, &(arena_config_t){0}), 0);
    ck_assert_int_eq(amap_init(&m, &a, &(amap_config_t){.key_type = AMAP_U64, .value_type = AMAP_U64}), 0);
    uint64_t *keys = malloc(N * sizeof *keys);
    ck_assert_ptr_nonnull(keys);
    rng_t r = {0x7e1a0001u};
    size_t growths = 0;
    for (size_t j = 0; j < N; j++) {
        keys[j] = rng_next(&r);
        size_t cap = m.capacity;
        int rc = amap_put(&m, amap_u64(keys[j]), amap_u64(j));
        ck_assert_msg(rc == 1, "amap_put() of key %zu (%zu entries, %zu slots) gave %d%s", j, j,
                      cap, rc, rc == -ENOMEM ? " (-ENOMEM: rebuild() returned false, though the "
                      "arena has memory to spare)" : "");
        if (m.capacity == cap)
            continue;
        growths++;
        char when[80];
        snprintf(when, sizeof when, "growing from %zu to %zu slots", cap, m.capacity);
        table_ok(&m, cap ? 2 * cap : AMAP_GROUP, when);
        for (size_t i = 0; i <= j; i++) {
            amap_val_t v = {0};
            REQUIRE(amap_get(&m, amap_u64(keys[i]), &v) == 0 && v.u64 == i, "%s: key %zu is "
                    "lost or has the wrong value (%llu)", when, i, (unsigned long long)v.u64);
        }
        ck_assert_msg(live_objects(&a) == 1, "%s: the arena holds %zu objects; one table is "
                      "all it should (was the old table given back?)", when, live_objects(&a));
        ck_assert_msg(slots_ever(&a) <= 2, "%s: %zu arena objects were made for a map that "
                      "needs two tables at a time: nothing is allocated per entry", when,
                      slots_ever(&a));
    }
    ck_assert_uint_eq(amap_len(&m), N);
    ck_assert_uint_ge(growths, 11);
    amap_destroy(&m);
    free(keys);

    /* a first table from the configuration holds all it was asked for */
    ck_assert_int_eq(amap_init(&m, &a, &(amap_config_t){.key_type = AMAP_U64, .value_type = AMAP_U64,
                                                        .capacity = 1000}), 0);
    table_ok(&m, 2048, "amap_init() with capacity 1000");
    handle_t table = m.table;
    for (uint64_t j = 0; j < 1000; j++)
        ck_assert_int_eq(amap_put(&m, amap_u64(j), amap_u64(j)), 1);
    ck_assert_msg(m.table == table && m.capacity == 2048, "the map grew before the 1000 entries "
                  "its configuration asked room for");
    amap_destroy(&m);
    ck_assert_uint_eq(live_objects(&a), 0);
    arena_destroy(&a);
}
END_TEST

/* ---- strings and handles -------------------------------------------------------- */

/* Bytes of the arena copy of a string of len bytes (amap.c's layout). */
static size_t string_bytes(size_t len)
{
    return sizeof(amap_string_t) + len + 1;
}

START_TEST(rebuild_moves_strings_and_handles_as_they_are)
{
    enum { N = 3000 };
    arena_t a;
    amap_t m, mh;
    ck_assert_int_eq(arena_init(&a, &(arena_config_t){0}), 0);
    ck_assert_int_eq(amap_init(&m, &a, &(amap_config_t){.key_type = AMAP_STR, .value_type = AMAP_STR}), 0);
    ck_assert_int_eq(amap_init(&mh, &a, &(amap_config_t){.key_type = AMAP_U64, .value_type = AMAP_HANDLE}), 0);
    static char key[N][24], val[N][40];
    static const char *where[N]; /* the value's arena copy, as amap_get() first gave it */
    static handle_t obj[N];
    size_t kb = 0, vb = 0;
    for (size_t j = 0; j < N; j++) {
        snprintf(key[j], sizeof key[j], "attr-%zu", j * 7919);
        snprintf(val[j], sizeof val[j], "value %zu of the request", j);
        size_t cap = m.capacity;
        ck_assert_int_eq(amap_put(&m, amap_cstr(key[j]), amap_cstr(val[j])), 1);
        kb += string_bytes(strlen(key[j]));
        vb += string_bytes(strlen(val[j]));
        amap_val_t v;
        ck_assert_int_eq(amap_get(&m, amap_cstr(key[j]), &v), 0);
        where[j] = v.str;
        obj[j] = arena_alloc(&a, 32);
        ck_assert_uint_ne(obj[j], HANDLE_NULL);
        ck_assert_int_eq(amap_put(&mh, amap_u64(j), amap_handle(obj[j])), 1);
        if (m.capacity == cap)
            continue;
        char when[80];
        snprintf(when, sizeof when, "growing a string map from %zu to %zu slots", cap, m.capacity);
        table_ok(&m, cap ? 2 * cap : AMAP_GROUP, when);
        ck_assert_msg(m.key_bytes == kb && m.value_bytes == vb, "%s: key_bytes %zu and "
                      "value_bytes %zu, expected %zu and %zu: the strings are moved with their "
                      "slots, never copied or freed", when, m.key_bytes, m.value_bytes, kb, vb);
        for (size_t i = 0; i <= j; i++) {
            REQUIRE(amap_get(&m, amap_cstr(key[i]), &v) == 0, "%s: key \"%s\" is lost", when, key[i]);
            REQUIRE(v.str == where[i] && strcmp(v.str, val[i]) == 0, "%s: the value of \"%s\" is "
                    "\"%s\" at %p, but was \"%s\" at %p: a rebuild moves the slot, and the string "
                    "it names stays where it is", when, key[i], v.str, (const void *)v.str,
                    val[i], (const void *)where[i]);
        }
    }
    /* the handle map grew as often; each object: the test's reference and the map's */
    ck_assert_uint_ge(mh.capacity, 4096);
    table_ok(&mh, mh.capacity, "after the growths of a map of handles");
    for (size_t j = 0; j < N; j++) {
        amap_val_t v;
        REQUIRE(amap_get(&mh, amap_u64(j), &v) == 0 && v.h == obj[j], "the handle of key %zu is "
                "lost", j);
        REQUIRE(arena_refcount(&a, obj[j]) == 2, "object %zu has %u references after the map "
                "grew, expected 2 (the test's and the map's): a rebuild moves a handle, it "
                "neither shares nor releases it", j, arena_refcount(&a, obj[j]));
    }
    ck_assert_uint_eq(live_objects(&a), 2 + 2 * N + N); /* two tables, two strings and an object per entry */
    amap_destroy(&m);
    amap_destroy(&mh);
    for (size_t j = 0; j < N; j++)
        ck_assert_int_ge(arena_release(&a, obj[j]), 0);
    ck_assert_uint_eq(live_objects(&a), 0);
    arena_destroy(&a);
}
END_TEST

/* XORs every byte of every string key of m with x (x twice: as it was). */
static void scramble_keys(amap_t *m, uint8_t x)
{
    for (size_t i = 0; i < m->capacity; i++) {
        if (m->ctrl[i] & CTRL_EMPTY)
            continue;
        amap_string_t *s = arena_get(m->arena, (handle_t)(m->slots[i].key >> 32));
        for (uint32_t c = 0; c < s->len; c++)
            s->bytes[c] = (char)(s->bytes[c] ^ x);
    }
}

START_TEST(rebuild_reads_no_string_bytes)
{
    enum { N = 1000 };
    arena_t a;
    amap_t m;
    ck_assert_int_eq(arena_init(&a, &(arena_config_t){0}), 0);
    ck_assert_int_eq(amap_init(&m, &a, &(amap_config_t){.key_type = AMAP_STR, .value_type = AMAP_U64}), 0);
    char key[32];
    for (size_t j = 0; j < N; j++) {
        snprintf(key, sizeof key, "header-%zu", j);
        ck_assert_int_eq(amap_put(&m, amap_cstr(key), amap_u64(j)), 1);
    }
    size_t cap = m.capacity;
    scramble_keys(&m, 0x55);
    int rc = amap_reserve(&m, 4 * N);
    scramble_keys(&m, 0x55);
    ck_assert_msg(rc == 0, "amap_reserve(%d) gave %d", 4 * N, rc);
    ck_assert_msg(m.capacity == 8192, "amap_reserve(%d) left %zu slots (%zu before), "
                  "expected 8192", 4 * N, m.capacity, cap);
    for (size_t j = 0; j < N; j++) {
        snprintf(key, sizeof key, "header-%zu", j);
        amap_val_t v = {0};
        REQUIRE(amap_get(&m, amap_cstr(key), &v) == 0 && v.u64 == j, "key \"%s\" is lost after "
                "a rebuild during which its bytes were changed: the rebuild read them, but the "
                "hash it needs is in the slot (amap_slot_hash())", key);
    }
    table_ok(&m, 8192, "amap_reserve() of 4 times the entries");
    amap_destroy(&m);
    arena_destroy(&a);
}
END_TEST

/* ---- tombstones ------------------------------------------------------------------ */

START_TEST(rebuild_clears_tombstones_at_the_same_size)
{
    enum { CAP = 1024, CHAIN = 864, MORE = 2000 }; /* 864 = 54 whole groups */
    arena_t a;
    amap_t m;
    ck_assert_int_eq(arena_init(&a, &(arena_config_t){0}), 0);
    ck_assert_int_eq(amap_init(&m, &a, &(amap_config_t){.key_type = AMAP_U64, .value_type = AMAP_U64,
                                                        .capacity = CAP / 8 * 7}), 0);
    m.seed = REBUILD_SEED; /* the table is empty: nothing hashed with the old seed */
    ck_assert_uint_eq(m.capacity, CAP);

    /* keys whose home is group 0: they fill group after group of its
     * probe sequence; deleted, they leave those groups full of tombstones */
    static uint64_t chain[CHAIN], more[MORE];
    size_t n = 0;
    for (uint64_t k = 1; n < CHAIN; k += 2)
        if (amap_home(&m, amap_hash_bits(&m, k)) == 0)
            chain[n++] = k;
    for (size_t j = 0; j < CHAIN; j++)
        ck_assert_int_eq(amap_put(&m, amap_u64(chain[j]), amap_u64(j)), 1);
    for (size_t j = 0; j < CHAIN; j++)
        ck_assert_int_eq(amap_del(&m, amap_u64(chain[j])), 0);
    ck_assert_msg(m.len == 0 && m.tombstones == CHAIN, "%zu entries, %zu tombstones: the test "
                  "expects %d tombstones (has the hash or the probe sequence changed?)", m.len,
                  m.tombstones, CHAIN);

    /* other keys use up the room; the first put that finds none rebuilds */
    handle_t table = m.table;
    rng_t r = {0x7e1a0004u};
    size_t j = 0;
    for (; j < MORE && m.table == table; j++) {
        more[j] = rng_next(&r) & ~(uint64_t)1; /* even: never a chain key */
        ck_assert_int_eq(amap_put(&m, amap_u64(more[j]), amap_u64(CHAIN + j)), 1);
    }
    ck_assert_msg(m.table != table, "%zu puts into a table with %zu tombstones and no rebuild",
                  j, m.tombstones);
    ck_assert_msg(m.len < CAP / 16 * 7, "the rebuild came with %zu entries, enough to grow: the "
                  "test expects a rebuild at the same size", m.len);
    table_ok(&m, CAP, "rebuilding a table full of tombstones");
    ck_assert_uint_eq(m.len, j);
    for (size_t i = 0; i < j; i++) {
        amap_val_t v = {0};
        REQUIRE(amap_get(&m, amap_u64(more[i]), &v) == 0 && v.u64 == CHAIN + i, "key %zu is lost "
                "in the rebuild", i);
    }
    for (size_t i = 0; i < CHAIN; i++)
        REQUIRE(!amap_has(&m, amap_u64(chain[i])), "deleted key %zu is back after the rebuild", i);
    ck_assert_uint_eq(live_objects(&a), 1);
    amap_destroy(&m);
    arena_destroy(&a);
}
END_TEST

/* ---- failure ------------------------------------------------------------------------ */

START_TEST(rebuild_failure_changes_nothing)
{
    failing_source_t fs;
    failing_source_init(&fs, NULL);
    arena_t a;
    amap_t m;
    ck_assert_int_eq(arena_init(&a, &(arena_config_t){.slabs.source = &fs.base}), 0);
    ck_assert_int_eq(amap_init(&m, &a, &(amap_config_t){.key_type = AMAP_U64, .value_type = AMAP_U64}), 0);
    size_t failures = 0;
    for (uint64_t j = 0; j < 40000; j++) {
        if (m.growth_left > 0) {
            ck_assert_int_eq(amap_put(&m, amap_u64(j), amap_u64(~j)), 1);
            continue;
        }
        /* the next put needs a new table: refuse it if it needs the source */
        amap_t was = m;
        size_t live = live_objects(&a);
        failing_source_fail_after(&fs, 0);
        int rc = amap_put(&m, amap_u64(j), amap_u64(~j));
        failing_source_recover(&fs);
        if (rc == 1)
            continue; /* the arena had the room without asking the source */
        failures++;
        ck_assert_msg(rc == -ENOMEM, "a put whose table the arena refused gave %d", rc);
        bool same = was.table == m.table && was.ctrl == m.ctrl && was.slots == m.slots &&
                    was.capacity == m.capacity && was.group_mask == m.group_mask &&
                    was.len == m.len && was.tombstones == m.tombstones &&
                    was.growth_left == m.growth_left;
        ck_assert_msg(same && live_objects(&a) == live,
                      "a rebuild whose table the arena refused changed the map (%zu -> %zu "
                      "slots, %zu -> %zu entries) or the arena (%zu -> %zu objects)",
                      was.capacity, m.capacity, was.len, m.len, live, live_objects(&a));
        ck_assert_uint_eq(amap_check(&m), 0);
        for (uint64_t i = 0; i < j; i++) {
            amap_val_t v = {0};
            REQUIRE(amap_get(&m, amap_u64(i), &v) == 0 && v.u64 == ~i, "key %llu is lost after "
                    "a failed growth", (unsigned long long)i);
        }
        ck_assert_int_eq(amap_put(&m, amap_u64(j), amap_u64(~j)), 1); /* the source gives again */
        table_ok(&m, was.capacity ? 2 * was.capacity : AMAP_GROUP,
                 "growing once the source gives memory again");
    }
    ck_assert_msg(failures >= 3, "only %zu growths needed the page source: the test did not "
                  "reach the failure it checks", failures);
    amap_destroy(&m);
    arena_destroy(&a);
    ck_assert_uint_eq(fs.live_bytes, 0);
}
END_TEST

Suite *amap_ex_rebuild_suite(void)
{
    Suite *s = suite_create("amap-ex-rebuild");
    TCase *tc = tcase_create("rebuild");
    tcase_set_tags(tc, "core 04-rebuild");
    tcase_set_timeout(tc, 120); /* a second natively; slower under Valgrind */
    tcase_add_test(tc, rebuild_grows_keeping_every_entry);
    tcase_add_test(tc, rebuild_moves_strings_and_handles_as_they_are);
    tcase_add_test(tc, rebuild_reads_no_string_bytes);
    tcase_add_test(tc, rebuild_clears_tombstones_at_the_same_size);
    tcase_add_test(tc, rebuild_failure_changes_nothing);
    suite_add_tcase(s, tc);
    return s;
}

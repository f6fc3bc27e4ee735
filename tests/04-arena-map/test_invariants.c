/*
 * test_invariants.c - amap_check(): 0 after every kind of operation, and
 * the exact count for one thing corrupted through amap_internal.h (each
 * count explained from amap_check.c's rules), the corruption then undone
 * so the map can be destroyed.
 */
#define _POSIX_C_SOURCE 200809L

#include "amap_internal.h"
#include "amap_test.h"

static void setup(void)
{
    mt_setup();
    mt_misuse_install(); /* AMAP_CHECKED reports a broken map here */
}

static void teardown(void)
{
    mt_expect_reports(0, "");
    mt_misuse_remove();
    mt_finish();
}

static bool keep_third(amap_val_t key, amap_val_t value, void *ctx)
{
    (void)value;
    (void)ctx;
    return mt_key_id(key) % 3 != 0;
}

START_TEST(healthy_after_every_operation)
{
    amap_t m, other;
    mt_map_init(&m, AMAP_STR, AMAP_STR, 0, AMAP_CHECKED);
    mt_map_init(&other, AMAP_STR, AMAP_STR, 0, AMAP_CHECKED);
    char kb[MT_STR_MAX], vb[64];
    rng_t r = {404};
    ck_assert_uint_eq(amap_check(&m), 0); /* empty, no table */
    for (size_t step = 0; step < 20000; step++) {
        uint64_t id = rng_below(&r, 700);
        amap_val_t k = mt_key(AMAP_STR, id, kb);
        switch (rng_below(&r, 100)) {
        case 0:
            amap_clear(&m);
            break;
        case 1:
            MT_RC(amap_reserve(&m, (size_t)rng_below(&r, 2000)), 0);
            break;
        case 2:
            (void)amap_filter(&m, keep_third, NULL);
            break;
        case 3:
            MT_CMP(amap_merge(&m, &other, rng_next(&r) & 1), >=, 0);
            break;
        case 4:
            (void)amap_put(&other, k, mt_random_value(&r, AMAP_STR, vb));
            break;
        default:
            if (rng_next(&r) & 1)
                MT_CMP(amap_put(&m, k, mt_random_value(&r, AMAP_STR, vb)), >=, 0);
            else
                (void)amap_del(&m, k);
        }
        MT_EQ(amap_check(&m), 0);
        MT_EQ(amap_check(&other), 0);
    }
    ck_assert_uint_gt(m.tombstones + other.tombstones + amap_len(&m), 0);
    amap_destroy(&m);
    amap_destroy(&other);
    ck_assert_uint_eq(mt_live(), 0);
}
END_TEST

/* A string -> string map of n entries in one group (capacity 16), and the
 * index of a full slot. */
static size_t small_map(amap_t *m, size_t n)
{
    mt_map_init(m, AMAP_STR, AMAP_STR, 0, 0);
    char kb[MT_STR_MAX];
    for (uint64_t id = 0; id < n; id++)
        MT_RC(amap_put(m, mt_key(AMAP_STR, id, kb), amap_cstr("v")), 1);
    ck_assert_uint_eq(m->capacity, AMAP_GROUP);
    ck_assert_uint_eq(amap_check(m), 0);
    for (size_t i = 0; i < m->capacity; i++)
        if (!(m->ctrl[i] & CTRL_EMPTY))
            return i;
    ck_abort_msg("no full slot");
    return 0;
}

START_TEST(control_byte_to_another_tag)
{
    amap_t m;
    size_t i = small_map(&m, 5);
    uint8_t saved = m.ctrl[i];
    m.ctrl[i] = saved ^ 0x01; /* still a tag (< 0x80), not the key's */
    /* check_entry: the tag differs from the slot's hash: 1 (the probe
     * length is in the same condition); looking the key up again misses
     * it, since no control byte carries its tag: 1.  The slot still counts
     * as full, and its strings are still summed: nothing else.  2. */
    ck_assert_uint_eq(amap_check(&m), 2);
    m.ctrl[i] = saved;
    ck_assert_uint_eq(amap_check(&m), 0);
    amap_destroy(&m);
}
END_TEST

START_TEST(full_byte_to_0xC0)
{
    amap_t m;
    size_t i = small_map(&m, 5);
    uint8_t saved = m.ctrl[i];
    m.ctrl[i] = 0xC0;
    /* 0xC0 is neither empty, deleted nor a tag: 1; the slot no longer
     * counts as full, so full != len: 1; its key and value strings are not
     * summed, so key_bytes and value_bytes differ: 1 each.  4 in all. */
    ck_assert_uint_eq(amap_check(&m), 4);
    m.ctrl[i] = saved;
    amap_destroy(&m);
    /* with numbers there are no strings: 2 */
    mt_map_init(&m, AMAP_U64, AMAP_U64, 0, 0);
    ck_assert_int_eq(amap_put(&m, amap_u64(9), amap_u64(9)), 1);
    for (i = 0; m.ctrl[i] & CTRL_EMPTY; i++)
        ;
    saved = m.ctrl[i];
    m.ctrl[i] = 0xC0;
    ck_assert_uint_eq(amap_check(&m), 2);
    m.ctrl[i] = saved;
    ck_assert_uint_eq(amap_check(&m), 0);
    amap_destroy(&m);
}
END_TEST

START_TEST(counters_corrupted)
{
    amap_t m;
    (void)small_map(&m, 6);
    /* len: full != len, and len + tombstones + growth_left != 7/8 capacity: 2 */
    m.len++;
    ck_assert_uint_eq(amap_check(&m), 2);
    m.len--;
    /* tombstones: deleted != tombstones, and the same sum: 2 */
    m.tombstones++;
    ck_assert_uint_eq(amap_check(&m), 2);
    m.tombstones--;
    /* growth_left: only the sum: 1 */
    m.growth_left--;
    ck_assert_uint_eq(amap_check(&m), 1);
    m.growth_left++;
    /* key_bytes, value_bytes: their sums: 1 each */
    m.key_bytes += 1;
    ck_assert_uint_eq(amap_check(&m), 1);
    m.value_bytes -= 1;
    ck_assert_uint_eq(amap_check(&m), 2);
    m.key_bytes -= 1;
    m.value_bytes += 1;
    /* the table handle: no longer the control bytes' object: 1 */
    handle_t t = m.table;
    m.table = HANDLE_NULL;
    ck_assert_uint_eq(amap_check(&m), 1);
    m.table = t;
    /* the mark of a live map: amap_check stops at once: 1 */
    m.magic ^= 1;
    ck_assert_uint_eq(amap_check(&m), 1);
    m.magic ^= 1;
    ck_assert_uint_eq(amap_check(&m), 0);
    amap_destroy(&m);
}
END_TEST

START_TEST(string_key_cached_hash)
{
    amap_t m;
    size_t i = small_map(&m, 5);
    uint64_t saved = m.slots[i].key;
    /* bit 0 of the cached hash is in the tag: the control byte no longer
     * matches (1), a lookup by the cached hash looks for the other tag and
     * misses (1), and the hash no longer is the string's (1): 3 */
    m.slots[i].key = saved ^ 1;
    ck_assert_uint_eq(amap_check(&m), 3);
    /* bit 30 is in the home group only; with one group the home is the
     * same, the tag too, so the lookup by the cached hash still finds it:
     * only the string's hash differs: 1 */
    m.slots[i].key = saved ^ (UINT64_C(1) << 30);
    ck_assert_uint_eq(amap_check(&m), 1);
    m.slots[i].key = saved;
    ck_assert_uint_eq(amap_check(&m), 0);
    amap_destroy(&m);
}
END_TEST

START_TEST(entry_out_of_its_probe_sequence)
{
    /* a u64 map of two groups; an entry moved into a group its lookup
     * never reaches (its home group has an empty slot): the tag is right,
     * the probe length 0 (1), and looking it up again misses it (1): 2 */
    amap_t m;
    mt_map_init(&m, AMAP_U64, AMAP_U64, 20, 0);
    ck_assert_uint_eq(m.capacity, 2 * AMAP_GROUP);
    ck_assert_int_eq(amap_put(&m, amap_u64(77), amap_u64(1)), 1);
    size_t i;
    for (i = 0; m.ctrl[i] & CTRL_EMPTY; i++)
        ;
    size_t j = (i + AMAP_GROUP) % (2 * AMAP_GROUP); /* the same place in the other group */
    m.ctrl[j] = m.ctrl[i];
    m.slots[j] = m.slots[i];
    m.ctrl[i] = CTRL_EMPTY;
    ck_assert_uint_eq(amap_check(&m), 2);
    ck_assert(!amap_has(&m, amap_u64(77))); /* and indeed a lookup misses it */
    m.ctrl[i] = m.ctrl[j];
    m.slots[i] = m.slots[j];
    m.ctrl[j] = CTRL_EMPTY;
    ck_assert_uint_eq(amap_check(&m), 0);
    amap_destroy(&m);
}
END_TEST

/* A second copy of an entry in another free slot of its group, with len
 * and growth_left adjusted to match, has the right tag, is reachable and
 * keeps the counts consistent; but a lookup of its key finds the other
 * copy (the lower slot of the group), so check_entry() counts the one it
 * does not find: exactly 1. */
START_TEST(duplicate_key_is_seen)
{
    amap_t m;
    mt_map_init(&m, AMAP_U64, AMAP_U64, 0, 0);
    ck_assert_int_eq(amap_put(&m, amap_u64(5), amap_u64(1)), 1);
    size_t i, j;
    for (i = 0; m.ctrl[i] & CTRL_EMPTY; i++)
        ;
    j = (i + 1) % AMAP_GROUP;
    m.ctrl[j] = m.ctrl[i];
    m.slots[j] = m.slots[i];
    m.len++;
    m.growth_left--;
    ck_assert_uint_eq(amap_check(&m), 1);
    m.ctrl[j] = CTRL_EMPTY;
    m.len--;
    m.growth_left++;
    ck_assert_uint_eq(amap_check(&m), 0);
    amap_destroy(&m);
}
END_TEST

Suite *amap_invariants_suite(void)
{
    Suite *s = suite_create("amap-invariants");
    TCase *tc = tcase_create("check");
    tcase_set_tags(tc, "invariants");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, healthy_after_every_operation);
    tcase_add_test(tc, control_byte_to_another_tag);
    tcase_add_test(tc, full_byte_to_0xC0);
    tcase_add_test(tc, counters_corrupted);
    tcase_add_test(tc, string_key_cached_hash);
    tcase_add_test(tc, entry_out_of_its_probe_sequence);
    tcase_add_test(tc, duplicate_key_is_seen);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);
    return s;
}

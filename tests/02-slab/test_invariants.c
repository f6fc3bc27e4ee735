/*
 * test_invariants.c - stage 02's checker, slabs_check(), on purpose-made
 * damage.
 *
 * Each test corrupts exactly one thing (a class counter, a list count or
 * link, a slab's descriptor or its stage-01 pool, the lookup table, the
 * byte accounting, a large object's header, the side table, a freed byte),
 * expects the exact number of broken invariants slabs_check() reports for
 * it, then undoes the damage and expects 0 again, so that the teardown can
 * destroy the allocator normally.
 *
 * The counts follow from how slabs_check() walks (see slabs_check.c): a
 * broken list link ends the walk of that list and counts once, and then the
 * slabs it did not reach are missing from the descriptor and byte totals;
 * a class's counters are compared only when its lists are sound; a slab's
 * own checks stop at its stage-01 pool's problems.  Writes into freed
 * chunks go through sneak.h so that memcheck and ASan stay quiet.
 */
#include "fill.h"
#include "slab_test.h"
#include "slabs_internal.h"
#include "sneak.h"

#define SLAB ((size_t)1 << 16)

/* classes 16 32 64 128 256 512 1024 2048 4096 */
static const slabs_config_t cfg_plain = {.min_size = 16, .max_size = 4096, .growth = 2.0,
                                         .slab_size = SLAB};

static char *objs[3];  /* two live objects of 100 bytes (class 128) and one freed */
static char *large;    /* a live large object of 10000 bytes */

/* A state with something everywhere: class 128 has one partial slab with
 * two live objects (its pool's peak is three), the descriptor pool has
 * held two slabs and holds one, a large object is live, and the peak of
 * bytes_from_source is above the current value. */
static void populate(void)
{
    for (int i = 0; i < 3; i++)
        ck_assert_ptr_nonnull(objs[i] = slabs_alloc(&st_s, 100));
    slabs_free(&st_s, objs[2]);
    void *t = slabs_alloc(&st_s, 4000);
    ck_assert_ptr_nonnull(t);
    slabs_free(&st_s, t);
    ck_assert_uint_eq(slabs_trim(&st_s, 0), SLAB);
    slabs_free(&st_s, slabs_alloc(&st_s, 100000));
    ck_assert_ptr_nonnull(large = slabs_alloc(&st_s, 10000));
    ck_assert_uint_eq(slabs_check(&st_s), 0);
}

static void setup(void)
{
    st_init(cfg_plain);
    populate();
}

static void setup_stats(void)
{
    slabs_config_t cfg = cfg_plain;
    cfg.flags = SLABS_STATS;
    st_init(cfg);
    populate();
}

static void setup_checked(void)
{
    slabs_config_t cfg = cfg_plain;
    cfg.flags = SLABS_CHECKED;
    st_init(cfg);
    populate();
}

static void teardown(void)
{
    st_finish();
}

static slabs_class_t *class_128(void)
{
    return &st_s.classes[slabs_class_of(&st_s, 100)];
}

/* The descriptor of the slab that holds p. */
static slab_t *slab_of(const void *p)
{
    return slabs_slab_of(&st_s, p);
}

/* The side-table slot of key. */
static addrmap_slot_t *map_slot(uintptr_t key)
{
    for (size_t i = 0; i < st_s.map.cap; i++)
        if (st_s.map.slots[i].key == key)
            return &st_s.map.slots[i];
    ck_abort_msg("key not in the side table");
    return NULL;
}

static slabs_large_t *large_header(void)
{
    return (slabs_large_t *)(void *)(large - SLABS_LARGE_OFFSET);
}

/* ---- healthy ------------------------------------------------------------ */

START_TEST(check_is_zero_in_normal_use)
{
    rng_t r = {11};
    void *p[300] = {0};
    for (int op = 0; op < 20000; op++) {
        size_t k = rng_below(&r, 300);
        if (p[k] == NULL) {
            p[k] = slabs_alloc(&st_s, 1 + rng_below(&r, 6000));
            ck_assert_ptr_nonnull(p[k]);
        } else if (rng_below(&r, 4) == 0) {
            p[k] = slabs_realloc(&st_s, p[k], 1 + rng_below(&r, 6000));
            ck_assert_ptr_nonnull(p[k]);
        } else {
            slabs_free(&st_s, p[k]);
            p[k] = NULL;
        }
        if (op % 997 == 0)
            slabs_trim(&st_s, rng_below(&r, 2));
        if (op % 251 == 0)
            ck_assert_uint_eq(slabs_check(&st_s), 0);
    }
    for (size_t k = 0; k < 300; k++)
        slabs_free(&st_s, p[k]);
    ck_assert_uint_eq(slabs_check(&st_s), 0);
    slabs_reset(&st_s);
    ck_assert_uint_eq(slabs_check(&st_s), 0);
}
END_TEST

START_TEST(check_of_null_or_destroyed_is_one)
{
    ck_assert_uint_eq(slabs_check(NULL), 1);
    slabs_t z;
    memset(&z, 0, sizeof z);
    ck_assert_uint_eq(slabs_check(&z), 1);
}
END_TEST

/* ---- class counters and lists -------------------------------------------- */

START_TEST(class_requested_out_of_bounds)
{
    slabs_class_t *c = class_128();
    c->requested += 1000;
    ck_assert_uint_eq(slabs_check(&st_s), 1);
    c->requested -= 1000;
    c->requested -= 100;   /* 100 < 2 * 65 */
    ck_assert_uint_eq(slabs_check(&st_s), 1);
    c->requested += 100;
    ck_assert_uint_eq(slabs_check(&st_s), 0);
}
END_TEST

START_TEST(class_list_count)
{
    slabs_class_t *c = class_128();
    c->n[SLAB_PARTIAL]++;
    ck_assert_uint_eq(slabs_check(&st_s), 1);
    c->n[SLAB_PARTIAL]--;
    c->n[SLAB_EMPTY]++;
    ck_assert_uint_eq(slabs_check(&st_s), 1);
    c->n[SLAB_EMPTY]--;
    ck_assert_uint_eq(slabs_check(&st_s), 0);
}
END_TEST

START_TEST(sentinel_back_link)
{
    slab_link_t *head = &class_128()->lists[SLAB_PARTIAL];
    slab_link_t *saved = head->prev;
    head->prev = head;
    ck_assert_uint_eq(slabs_check(&st_s), 1);
    head->prev = saved;
    ck_assert_uint_eq(slabs_check(&st_s), 0);
}
END_TEST

START_TEST(slab_back_link)
{
    /* the walk stops at the slab: that list counts 1, and its slab is then
     * missing from the descriptor total (1), the byte total (1) and the
     * side table's count of slabs and large blocks (1) */
    slab_t *d = slab_of(objs[0]);
    slab_link_t *saved = d->link.prev;
    d->link.prev = &d->link;
    ck_assert_uint_eq(slabs_check(&st_s), 4);
    d->link.prev = saved;
    ck_assert_uint_eq(slabs_check(&st_s), 0);
}
END_TEST

START_TEST(slab_forward_link_to_foreign_memory)
{
    static slab_link_t fake[2];
    slab_t *d = slab_of(objs[0]);
    slab_link_t *saved = d->link.next;
    d->link.next = &fake[1];   /* not a descriptor of ours: never followed further */
    /* the list (1); its slab then missing from the descriptor, byte and
     * side-table totals (3) */
    ck_assert_uint_eq(slabs_check(&st_s), 4);
    d->link.next = saved;
    ck_assert_uint_eq(slabs_check(&st_s), 0);
}
END_TEST

/* ---- one slab --------------------------------------------------------------- */

START_TEST(slab_pool_live_count)
{
    slab_t *d = slab_of(objs[0]);
    d->pool.live++;   /* still <= its peak: only pool_check's sum breaks */
    ck_assert_uint_eq(slabs_check(&st_s), 1);
    d->pool.live--;
    ck_assert_uint_eq(slabs_check(&st_s), 0);
}
END_TEST

START_TEST(slab_list_tag)
{
    slab_t *d = slab_of(objs[0]);
    d->list = SLAB_FULL;
    ck_assert_uint_eq(slabs_check(&st_s), 1);
    d->list = SLAB_PARTIAL;
    ck_assert_uint_eq(slabs_check(&st_s), 0);
}
END_TEST

START_TEST(slab_stale_off_the_empty_list)
{
    slab_t *d = slab_of(objs[0]);   /* on the partial list */
    d->stale = true;                /* only slabs_reset() marks, and only empty ones */
    ck_assert_uint_eq(slabs_check(&st_s), 1);
    d->stale = false;
    ck_assert_uint_eq(slabs_check(&st_s), 0);
}
END_TEST

START_TEST(slab_class_pointer)
{
    slab_t *d = slab_of(objs[0]);
    slabs_class_t *saved = d->klass;
    d->klass = saved + 1;
    ck_assert_uint_eq(slabs_check(&st_s), 1);
    d->klass = saved;
    ck_assert_uint_eq(slabs_check(&st_s), 0);
}
END_TEST

START_TEST(slab_free_list_link)
{
    /* the freed chunk objs[2] heads the slab pool's free list: point its
     * link outside the slab */
    slab_t *d = slab_of(objs[2]);
    ck_assert_ptr_eq(d->pool.free_list, objs[2]);
    size_t stride = d->pool.stride;
    void *saved, *bad = large;
    sneak_read(objs[2], stride, 0, &saved, sizeof saved);
    sneak_write(objs[2], stride, 0, &bad, sizeof bad);
    ck_assert_uint_eq(slabs_check(&st_s), 1);
    sneak_write(objs[2], stride, 0, &saved, sizeof saved);
    ck_assert_uint_eq(slabs_check(&st_s), 0);
}
END_TEST

/* ---- tables ------------------------------------------------------------------ */

START_TEST(lookup_entry)
{
    uint16_t *lookup = (uint16_t *)(uintptr_t)st_s.lookup;
    size_t g = 100 / ST_GRANULE + 1;   /* 112 bytes: class 128 */
    uint16_t saved = lookup[g];
    lookup[g] = (uint16_t)(saved + 1);
    ck_assert_uint_eq(slabs_check(&st_s), 1);
    lookup[g] = saved;
    ck_assert_uint_eq(slabs_check(&st_s), 0);
}
END_TEST

START_TEST(class_size_without_slabs)
{
    slabs_class_t *c = &st_s.classes[slabs_class_of(&st_s, 256)];   /* no slab */
    ck_assert_uint_eq(c->n[0] + c->n[1] + c->n[2], 0);
    c->size += ST_GRANULE;   /* still ascending: only the lookup disagrees */
    ck_assert_uint_eq(slabs_check(&st_s), 1);
    c->size -= ST_GRANULE;
    ck_assert_uint_eq(slabs_check(&st_s), 0);
}
END_TEST

START_TEST(last_class_size)
{
    slabs_class_t *c = &st_s.classes[slabs_class_count(&st_s) - 1];   /* no slab */
    c->size -= ST_GRANULE;   /* not max_size any more, and max_size has no class */
    ck_assert_uint_eq(slabs_check(&st_s), 2);
    c->size += ST_GRANULE;
    ck_assert_uint_eq(slabs_check(&st_s), 0);
}
END_TEST

/* ---- descriptors and bytes ---------------------------------------------------- */

START_TEST(descriptor_pool_live_count)
{
    ck_assert_uint_lt(st_s.descs.live, st_s.descs.peak_live);
    st_s.descs.live++;   /* the pool's own sum, and one descriptor per slab */
    ck_assert_uint_eq(slabs_check(&st_s), 2);
    st_s.descs.live--;
    ck_assert_uint_eq(slabs_check(&st_s), 0);
}
END_TEST

START_TEST(bytes_from_source_counter)
{
    ck_assert_uint_lt(st_s.bytes_from_source, st_s.peak_bytes_from_source);
    st_s.bytes_from_source += 16;   /* below the peak: only the sum breaks */
    ck_assert_uint_eq(slabs_check(&st_s), 1);
    st_s.bytes_from_source -= 16;
    size_t peak = st_s.peak_bytes_from_source;
    st_s.peak_bytes_from_source = st_s.bytes_from_source - 1;
    ck_assert_uint_eq(slabs_check(&st_s), 1);
    st_s.peak_bytes_from_source = peak;
    ck_assert_uint_eq(slabs_check(&st_s), 0);
}
END_TEST

START_TEST(bytes_over_cap)
{
    st_s.max_bytes = st_s.bytes_from_source - 1;
    ck_assert_uint_eq(slabs_check(&st_s), 1);
    st_s.max_bytes = st_s.bytes_from_source;
    ck_assert_uint_eq(slabs_check(&st_s), 0);
    st_s.max_bytes = 0;
}
END_TEST

/* ---- large objects ---------------------------------------------------------------- */

START_TEST(large_count)
{
    st_s.large_count++;   /* against the large walk, and the side table's count */
    ck_assert_uint_eq(slabs_check(&st_s), 2);
    st_s.large_count--;
    ck_assert_uint_eq(slabs_check(&st_s), 0);
}
END_TEST

START_TEST(large_bytes_counter)
{
    st_s.large_bytes += 16;   /* the large sum, and the byte total */
    ck_assert_uint_eq(slabs_check(&st_s), 2);
    st_s.large_bytes -= 16;
    ck_assert_uint_eq(slabs_check(&st_s), 0);
}
END_TEST

START_TEST(large_requested_counter)
{
    st_s.large_requested += 1;
    ck_assert_uint_eq(slabs_check(&st_s), 1);
    st_s.large_requested -= 1;
    ck_assert_uint_eq(slabs_check(&st_s), 0);
}
END_TEST

START_TEST(large_map_tag)
{
    addrmap_slot_t *e = map_slot((uintptr_t)large_header());
    void *saved = e->val;
    e->val = large_header();   /* untagged: the large walk stops there */
    ck_assert_uint_eq(slabs_check(&st_s), 1);
    e->val = saved;
    ck_assert_uint_eq(slabs_check(&st_s), 0);
}
END_TEST

START_TEST(large_header_requested)
{
    slabs_large_t *l = large_header();
    size_t saved = l->requested;
    l->requested = 100;   /* not a large size, and the sum disagrees */
    ck_assert_uint_eq(slabs_check(&st_s), 2);
    l->requested = saved;
    ck_assert_uint_eq(slabs_check(&st_s), 0);
}
END_TEST

/* ---- checked mode ----------------------------------------------------------------- */

START_TEST(untracked_requested_is_zero)
{
    slabs_class_t *c = class_128();
    ck_assert_uint_eq(c->requested, 0);   /* no SLABS_STATS: sizes are not kept */
    c->requested = 200;
    ck_assert_uint_eq(slabs_check(&st_s), 1);
    c->requested = 0;
    ck_assert_uint_eq(slabs_check(&st_s), 0);
}
END_TEST

START_TEST(checked_requested_is_exact)
{
    slabs_class_t *c = class_128();
    c->requested += 1;   /* within the bounds, but checked mode sums the tables */
    ck_assert_uint_eq(slabs_check(&st_s), 1);
    c->requested -= 1;
    ck_assert_uint_eq(slabs_check(&st_s), 0);
}
END_TEST

START_TEST(map_count)
{
    st_s.map.count++;   /* against slabs + large, and against the slots used */
    ck_assert_uint_eq(slabs_check(&st_s), 2);
    st_s.map.count--;
    ck_assert_uint_eq(slabs_check(&st_s), 0);
}
END_TEST

START_TEST(map_entry)
{
    /* forget the large block's entry, keeping the count */
    addrmap_slot_t *e = map_slot((uintptr_t)large_header());
    uintptr_t key = e->key;
    e->key = key ^ st_s.slab_size;   /* another (unused) block address */
    /* the large walk misses it (1); the slots still number map.count */
    ck_assert_uint_eq(slabs_check(&st_s), 1);
    e->key = key;
    ck_assert_uint_eq(slabs_check(&st_s), 0);
}
END_TEST

START_TEST(slab_map_entry)
{
    /* the slab of objs[0] maps to another class */
    slab_t *d = slab_of(objs[0]);
    addrmap_slot_t *e = map_slot((uintptr_t)d->pool.head);
    e->val = d->klass + 1;
    ck_assert_uint_eq(slabs_check(&st_s), 1);
    e->val = d->klass;
    ck_assert_uint_eq(slabs_check(&st_s), 0);
}
END_TEST

START_TEST(checked_write_after_free)
{
    /* objs[2] is free: its body holds FILL_FREED past the two link words */
    slab_t *d = slab_of(objs[2]);
    size_t stride = d->pool.stride, off = 2 * sizeof(void *) + 5;
    ck_assert_uint_eq(sneak_byte(objs[2], stride, off), FILL_FREED);
    sneak_poke(objs[2], stride, off, 0x42);
    ck_assert_uint_eq(slabs_check(&st_s), 1);
    sneak_poke(objs[2], stride, off, FILL_FREED);
    ck_assert_uint_eq(slabs_check(&st_s), 0);
}
END_TEST

Suite *slabs_invariants_suite(void)
{
    Suite *s = suite_create("slabs-invariants");
    TCase *tc = tcase_create("plain");
    tcase_set_tags(tc, "invariants");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, check_is_zero_in_normal_use);
    tcase_add_test(tc, check_of_null_or_destroyed_is_one);
    tcase_add_test(tc, class_list_count);
    tcase_add_test(tc, sentinel_back_link);
    tcase_add_test(tc, slab_back_link);
    tcase_add_test(tc, slab_forward_link_to_foreign_memory);
    tcase_add_test(tc, slab_pool_live_count);
    tcase_add_test(tc, slab_list_tag);
    tcase_add_test(tc, slab_class_pointer);
    tcase_add_test(tc, slab_stale_off_the_empty_list);
    tcase_add_test(tc, slab_free_list_link);
    tcase_add_test(tc, lookup_entry);
    tcase_add_test(tc, class_size_without_slabs);
    tcase_add_test(tc, last_class_size);
    tcase_add_test(tc, descriptor_pool_live_count);
    tcase_add_test(tc, bytes_from_source_counter);
    tcase_add_test(tc, bytes_over_cap);
    tcase_add_test(tc, large_count);
    tcase_add_test(tc, large_bytes_counter);
    tcase_add_test(tc, large_requested_counter);
    tcase_add_test(tc, large_map_tag);
    tcase_add_test(tc, large_header_requested);
    tcase_add_test(tc, untracked_requested_is_zero);
    tcase_add_test(tc, map_count);
    tcase_add_test(tc, map_entry);
    tcase_add_test(tc, slab_map_entry);
    suite_add_tcase(s, tc);

    tc = tcase_create("stats");
    tcase_set_tags(tc, "invariants");
    tcase_add_checked_fixture(tc, setup_stats, teardown);
    tcase_add_test(tc, check_is_zero_in_normal_use);
    tcase_add_test(tc, class_requested_out_of_bounds);
    suite_add_tcase(s, tc);

    tc = tcase_create("checked");
    tcase_set_tags(tc, "invariants");
    tcase_add_checked_fixture(tc, setup_checked, teardown);
    tcase_add_test(tc, check_is_zero_in_normal_use);
    tcase_add_test(tc, checked_requested_is_exact);
    tcase_add_test(tc, map_count);
    tcase_add_test(tc, map_entry);
    tcase_add_test(tc, checked_write_after_free);
    tcase_add_test(tc, slab_back_link);
    tcase_add_test(tc, large_map_tag);
    suite_add_tcase(s, tc);
    return s;
}

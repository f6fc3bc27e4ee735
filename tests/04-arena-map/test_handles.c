/*
 * test_handles.c - handle values hold a reference (taken at put, given
 * back at overwrite, delete, clear and destroy); a stale handle is refused
 * with the map unchanged; maps made by amap_new() live in the arena,
 * amap_of() finds them and nothing else, and a tree of them goes away by
 * releasing its root, on a small stack (no recursion).
 */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>

#include "amap_test.h"
#include "tool_query.h"

#define SMALL_STACK ((size_t)64 * 1024)

/* Sizes: fewer under Valgrind; far fewer with the expensive checks, which
 * walk the whole arena at every allocation. */
static size_t scaled(size_t n)
{
#ifdef SC_EXPENSIVE_CHECKS
    n /= 1000;
#endif
    return tq_under_valgrind() ? n / 10 : n;
}

START_TEST(handle_values_hold_one_reference)
{
    amap_t m;
    mt_map_init(&m, AMAP_STR, AMAP_HANDLE, 0, AMAP_CHECKED);
    handle_t a = arena_alloc(&mt_a, 40), b = arena_alloc(&mt_a, 40);
    ck_assert_int_eq(amap_put(&m, amap_cstr("x"), amap_handle(a)), 1);
    ck_assert_uint_eq(arena_refcount(&mt_a, a), 2);
    ck_assert_int_eq(amap_put(&m, amap_cstr("y"), amap_handle(a)), 1);
    ck_assert_uint_eq(arena_refcount(&mt_a, a), 3);
    ck_assert_int_eq(amap_put(&m, amap_cstr("x"), amap_handle(a)), 0); /* the same handle again: still one per entry */
    ck_assert_uint_eq(arena_refcount(&mt_a, a), 3);
    ck_assert_int_eq(amap_put(&m, amap_cstr("x"), amap_handle(b)), 0); /* overwrite */
    ck_assert_uint_eq(arena_refcount(&mt_a, a), 2);
    ck_assert_uint_eq(arena_refcount(&mt_a, b), 2);
    ck_assert_int_eq(amap_del(&m, amap_cstr("y")), 0);                 /* delete */
    ck_assert_uint_eq(arena_refcount(&mt_a, a), 1);
    ck_assert_int_eq(amap_put(&m, amap_cstr("z"), amap_handle(a)), 1);
    ck_assert_uint_eq(arena_refcount(&mt_a, a), 2);
    amap_clear(&m);                                                    /* clear */
    ck_assert_uint_eq(arena_refcount(&mt_a, a), 1);
    ck_assert_uint_eq(arena_refcount(&mt_a, b), 1);
    ck_assert_int_eq(amap_put(&m, amap_cstr("w"), amap_handle(b)), 1);
    ck_assert_uint_eq(arena_refcount(&mt_a, b), 2);
    amap_destroy(&m);                                                  /* destroy */
    ck_assert_uint_eq(arena_refcount(&mt_a, b), 1);
    /* the map's reference keeps an object alive after the caller's goes */
    mt_map_init(&m, AMAP_STR, AMAP_HANDLE, 0, AMAP_CHECKED);
    ck_assert_int_eq(amap_put(&m, amap_cstr("only"), amap_handle(b)), 1);
    ck_assert_int_eq(arena_release(&mt_a, b), 1);
    amap_val_t out;
    ck_assert_int_eq(amap_get(&m, amap_cstr("only"), &out), 0);
    ck_assert_uint_eq(out.h, b);
    ck_assert_ptr_nonnull(arena_get(&mt_a, b));
    ck_assert_int_eq(amap_del(&m, amap_cstr("only")), 0);
    ck_assert_ptr_null(arena_get(&mt_a, b)); /* the last reference was the map's */
    ck_assert_int_eq(arena_release(&mt_a, a), 0);
    amap_destroy(&m);
    ck_assert_uint_eq(mt_live(), 0);
}
END_TEST

START_TEST(stale_handle_is_refused_map_unchanged)
{
    amap_t m;
    mt_map_init(&m, AMAP_I64, AMAP_HANDLE, 0, AMAP_CHECKED);
    handle_t live = arena_alloc(&mt_a, 8), dead = arena_alloc(&mt_a, 8);
    ck_assert_int_eq(arena_release(&mt_a, dead), 0);
    ck_assert_int_eq(amap_put(&m, amap_i64(1), amap_handle(live)), 1);
    amap_stats_t before = mt_stats(&m);
    size_t objects = mt_live();
    ck_assert_int_eq(amap_put(&m, amap_i64(1), amap_handle(dead)), -ESTALE); /* overwrite */
    ck_assert_int_eq(amap_put(&m, amap_i64(2), amap_handle(dead)), -ESTALE); /* insert */
    ck_assert_int_eq(amap_put(&m, amap_i64(3), amap_handle(0x00abcdefu)), -ESTALE); /* forged */
    amap_stats_t after = mt_stats(&m);
    ck_assert_mem_eq(&before, &after, sizeof after);
    ck_assert_uint_eq(mt_live(), objects);
    ck_assert_uint_eq(arena_refcount(&mt_a, live), 2);
    amap_val_t out;
    ck_assert_int_eq(amap_get(&m, amap_i64(1), &out), 0);
    ck_assert_uint_eq(out.h, live);
    ck_assert(!amap_has(&m, amap_i64(2)));
    ck_assert_uint_eq(amap_check(&m), 0);
    amap_destroy(&m);
    ck_assert_int_eq(arena_release(&mt_a, live), 0);
}
END_TEST

/* ---- maps in the arena ---------------------------------------------------------------- */

START_TEST(amap_of_finds_maps_only)
{
    amap_config_t cfg = mt_config(AMAP_STR, AMAP_I64, 0, AMAP_CHECKED);
    handle_t h = amap_new(&mt_a, &cfg);
    ck_assert_uint_ne(h, HANDLE_NULL);
    amap_t *m = amap_of(&mt_a, h);
    ck_assert_ptr_nonnull(m);
    ck_assert_ptr_eq(m, arena_get(&mt_a, h));
    ck_assert_int_eq(amap_put(m, amap_cstr("k"), amap_i64(5)), 1);
    ck_assert_uint_eq(amap_len(amap_of(&mt_a, h)), 1);
    ck_assert_uint_eq(amap_check(m), 0);

    /* a plain object of the same size, zeroed, or a byte copy of the map */
    handle_t plain = arena_alloc(&mt_a, sizeof(amap_t));
    memset(arena_get(&mt_a, plain), 0, sizeof(amap_t));
    ck_assert_ptr_null(amap_of(&mt_a, plain));
    memcpy(arena_get(&mt_a, plain), m, sizeof(amap_t));
    ck_assert_ptr_null(amap_of(&mt_a, plain)); /* the mark holds the address */
    /* an object of another size, and a map amap_init() built in an object */
    handle_t other = arena_alloc(&mt_a, sizeof(amap_t) + 8);
    ck_assert_ptr_null(amap_of(&mt_a, other));
    handle_t inside = arena_alloc(&mt_a, sizeof(amap_t));
    ck_assert_int_eq(amap_init(arena_get(&mt_a, inside), &mt_a, &cfg), 0);
    ck_assert_ptr_null(amap_of(&mt_a, inside)); /* not from amap_new() */
    amap_destroy(arena_get(&mt_a, inside));
    ck_assert_ptr_null(amap_of(&mt_a, HANDLE_NULL));
    ck_assert_ptr_null(amap_of(&mt_a, 0x00abcdefu));

    /* shared: alive until the last release; then stale */
    ck_assert_int_eq(arena_share(&mt_a, h), 0);
    ck_assert_int_eq(arena_release(&mt_a, h), 1);
    ck_assert_ptr_eq(amap_of(&mt_a, h), m);
    size_t before = mt_live();
    ck_assert_int_eq(arena_release(&mt_a, h), 0);
    ck_assert_uint_eq(mt_live(), before - 3); /* the map, its table, its key string */
    ck_assert_ptr_null(amap_of(&mt_a, h));
    /* a new map in the freed map's memory is found through its own handle only */
    handle_t h2 = amap_new(&mt_a, &cfg);
    ck_assert_ptr_nonnull(amap_of(&mt_a, h2));
    ck_assert_ptr_null(amap_of(&mt_a, h));
    ck_assert_int_eq(arena_release(&mt_a, h2), 0);
    ck_assert_int_eq(arena_release(&mt_a, plain), 0);
    ck_assert_int_eq(arena_release(&mt_a, other), 0);
    ck_assert_int_eq(arena_release(&mt_a, inside), 0);
    ck_assert_uint_eq(mt_live(), 0);
}
END_TEST

START_TEST(arena_map_holding_strings_and_handles_frees_them)
{
    amap_config_t cfg = mt_config(AMAP_STR, AMAP_HANDLE, 0, AMAP_CHECKED);
    handle_t h = amap_new(&mt_a, &cfg);
    amap_t *m = amap_of(&mt_a, h);
    handle_t obj = arena_alloc(&mt_a, 100);
    char kb[MT_STR_MAX];
    for (uint64_t id = 0; id < 300; id++)
        MT_RC(amap_put(m, mt_key(AMAP_STR, id, kb), amap_handle(obj)), 1);
    ck_assert_uint_eq(arena_refcount(&mt_a, obj), 301);
    ck_assert_int_eq(arena_release(&mt_a, h), 0);
    ck_assert_uint_eq(arena_refcount(&mt_a, obj), 1);
    ck_assert_uint_eq(mt_live(), 1);
    ck_assert_int_eq(arena_release(&mt_a, obj), 0);
}
END_TEST

/* ---- trees of maps ------------------------------------------------------------------- */

static arena_t *tree_arena;
static handle_t tree_root;
static int tree_rc;

static void *release_root(void *arg)
{
    (void)arg;
    tree_rc = arena_release(tree_arena, tree_root);
    return NULL;
}

/* Releases tree_root on a thread with a 64 KiB stack. */
static void release_on_small_stack(handle_t root)
{
    tree_arena = &mt_a;
    tree_root = root;
    tree_rc = -1;
    pthread_attr_t attr;
    pthread_t t;
    ck_assert_int_eq(pthread_attr_init(&attr), 0);
    ck_assert_int_eq(pthread_attr_setstacksize(&attr, SMALL_STACK), 0);
    ck_assert_int_eq(pthread_create(&t, &attr, release_root, NULL), 0);
    ck_assert_int_eq(pthread_join(t, NULL), 0);
    pthread_attr_destroy(&attr);
    ck_assert_int_eq(tree_rc, 0);
}

START_TEST(deep_chain_of_maps_frees_from_its_root)
{
    size_t depth = scaled(100000);
    amap_config_t cfg = mt_config(AMAP_I64, AMAP_HANDLE, 0, 0);
    amap_config_t leaf_cfg = mt_config(AMAP_STR, AMAP_STR, 0, 0);
    handle_t root = amap_new(&mt_a, &leaf_cfg);
    ck_assert_int_eq(amap_put(amap_of(&mt_a, root), amap_cstr("leaf"), amap_cstr("value")), 1);
    /* each new map holds the previous one: the last made is the root */
    for (size_t d = 0; d < depth; d++) {
        handle_t parent = amap_new(&mt_a, &cfg);
        REQUIRE(parent != HANDLE_NULL, "amap_new failed at depth %zu", d);
        amap_t *p = amap_of(&mt_a, parent);
        MT_RC(amap_put(p, amap_i64(0), amap_handle(root)), 1);
        MT_RC(amap_put(p, amap_i64(1), amap_handle(HANDLE_NULL)), 1);
        MT_RC(arena_release(&mt_a, root), 1); /* the parent's reference is the only one left */
        root = parent;
    }
    /* per level: the map and its table; the leaf: map, table, two strings */
    ck_assert_uint_eq(mt_live(), 2 * depth + 4);
    release_on_small_stack(root);
    ck_assert_uint_eq(mt_live(), 0);
    ck_assert_ptr_null(amap_of(&mt_a, root));
}
END_TEST

START_TEST(wide_tree_of_maps_frees_from_its_root)
{
    size_t width = scaled(2000);
    amap_config_t node_cfg = mt_config(AMAP_U64, AMAP_HANDLE, 0, 0);
    amap_config_t leaf_cfg = mt_config(AMAP_STR, AMAP_STR, 0, 0);
    handle_t root = amap_new(&mt_a, &node_cfg);
    amap_t *r = amap_of(&mt_a, root);
    char kb[MT_STR_MAX];
    handle_t shared_leaf = amap_new(&mt_a, &leaf_cfg);
    ck_assert_int_eq(amap_put(amap_of(&mt_a, shared_leaf), amap_cstr("s"), amap_cstr("shared")), 1);
    for (uint64_t i = 0; i < width; i++) {
        handle_t child = amap_new(&mt_a, &node_cfg);
        amap_t *c = amap_of(&mt_a, child);
        for (uint64_t j = 0; j < 3; j++) {
            handle_t leaf = amap_new(&mt_a, &leaf_cfg);
            amap_t *l = amap_of(&mt_a, leaf);
            for (uint64_t k = 0; k < 5; k++)
                MT_RC(amap_put(l, mt_key(AMAP_STR, k, kb), amap_cstr("v")), 1);
            MT_RC(amap_put(c, amap_u64(j), amap_handle(leaf)), 1);
            MT_RC(arena_release(&mt_a, leaf), 1);
        }
        MT_RC(amap_put(c, amap_u64(99), amap_handle(shared_leaf)), 1); /* a leaf many parents hold */
        MT_RC(amap_put(r, amap_u64(i), amap_handle(child)), 1);
        MT_RC(arena_release(&mt_a, child), 1);
    }
    ck_assert_uint_eq(arena_refcount(&mt_a, shared_leaf), 1 + width);
    ck_assert_uint_eq(amap_check(r), 0);
    ck_assert_int_eq(arena_release(&mt_a, shared_leaf), (int)width); /* the children hold it now */
    release_on_small_stack(root);
    ck_assert_uint_eq(mt_live(), 0);
}
END_TEST

Suite *amap_handles_suite(void)
{
    Suite *s = suite_create("amap-handles");
    TCase *tc = tcase_create("references");
    tcase_set_tags(tc, "core");
    tcase_add_checked_fixture(tc, mt_setup, mt_teardown);
    tcase_add_test(tc, handle_values_hold_one_reference);
    tcase_add_test(tc, stale_handle_is_refused_map_unchanged);
    tcase_add_test(tc, amap_of_finds_maps_only);
    tcase_add_test(tc, arena_map_holding_strings_and_handles_frees_them);
    suite_add_tcase(s, tc);

    tc = tcase_create("trees");
    tcase_set_tags(tc, "core");
    tcase_add_checked_fixture(tc, mt_setup, mt_teardown);
    tcase_add_test(tc, deep_chain_of_maps_frees_from_its_root);
    tcase_add_test(tc, wide_tree_of_maps_frees_from_its_root);
    tcase_set_timeout(tc, 120);
    suite_add_tcase(s, tc);
    return s;
}

/*
 * test_faults.c - stage 04 when memory runs out.
 *
 * Failure injection at every acquisition: a fixed script (maps of string
 * keys to string values, to handles and, living in the arena, to numbers;
 * inserts, overwrites and deletions, reserves, merges with and without
 * overwrite) runs once for every k with the arena's source failing its
 * k-th acquisition, until a run meets no failure.  The call that meets the
 * failure must return the documented error (-ENOMEM; amap_new HANDLE_NULL
 * with errno ENOMEM) and keep every entry: amap_check() is 0, every key of
 * the model reads back with the model's value, and nothing leaked: the
 * arena holds exactly the table, one object per string the model holds,
 * and what the test owns, and the map's key_bytes and value_bytes are the
 * model's (the capacity may have grown).  A merge that fails leaves dst
 * with whole entries, each dst's old one or src's; the source then
 * recovers and the same call succeeds.
 *
 * The slabs' max_bytes cap: puts until the arena refuses, each refusal
 * leaving the map whole; a reserve beyond the cap refused with the map
 * unchanged; then everything deleted, and every string given back.
 *
 * amap_new and amap_init under failure leave nothing live.
 */
#include "amap_test.h"

#include "amap_internal.h"

#define SLABS_CFG {.min_size = 16, .max_size = 1024, .slab_size = 1u << 12}
#define POOL 8
#define N_KEYS 240

static void teardown(void)
{
    /* each test finishes its own arenas */
}

/* ---- the script's state ------------------------------------------------------------- */

typedef struct fmap {
    amap_t *m;         /* the map (in F, or in the arena) */
    mt_model_t md;     /* what it holds */
} fmap_t;

typedef struct fscript {
    amap_t a_map, b_map, s_map; /* STR -> STR, STR -> HANDLE, STR -> STR (merged into a) */
    fmap_t a, b, c, s;     /* c: STR -> U64, made by amap_new */
    handle_t c_handle;
    handle_t pool[POOL];
    size_t failures;       /* calls that met the injected failure */
    size_t by_kind[6];
} fscript_t;

static fscript_t F;

enum { K_INIT, K_NEW, K_PUT, K_RESERVE, K_MERGE };

/* Bytes the map holds for a string of len bytes. */
static size_t str_bytes(size_t len)
{
    return sizeof(amap_string_t) + len + 1;
}

/* Objects the model predicts for one map: its table, one per string. */
static size_t map_objects(const fmap_t *f, size_t *kb, size_t *vb)
{
    char buf[MT_STR_MAX];
    size_t n = f->m->capacity > 0;
    *kb = *vb = 0;
    for (uint64_t id = 0; id < f->md.n_keys; id++) {
        const mt_entry_t *e = &f->md.e[id];
        if (!e->present)
            continue;
        *kb += str_bytes(mt_key(AMAP_STR, id, buf).len);
        n++;
        if (e->value.type == AMAP_STR) {
            *vb += str_bytes(e->value.len);
            n++;
        }
    }
    return n;
}

/* Every map of the script holds what its model says, and the arena
 * exactly what the maps and the test hold. */
static void verify_all(void)
{
    size_t live = POOL + (F.c_handle != HANDLE_NULL);
    uint32_t refs[POOL] = {0};
    fmap_t *maps[] = {&F.a, &F.b, &F.c, &F.s};
    for (size_t i = 0; i < 4; i++) {
        fmap_t *f = maps[i];
        if (!f->m)
            continue;
        size_t kb, vb;
        live += map_objects(f, &kb, &vb);
        REQUIRE(amap_check(f->m) == 0, "map %zu: amap_check() is %zu", i, amap_check(f->m));
        mt_model_verify(&f->md, f->m);
        amap_stats_t st = mt_stats(f->m);
        REQUIRE(st.key_bytes == kb && st.value_bytes == vb, "map %zu: key/value bytes %zu/%zu, model %zu/%zu", i,
                st.key_bytes, st.value_bytes, kb, vb);
        for (uint64_t id = 0; f->md.value_type == AMAP_HANDLE && id < f->md.n_keys; id++)
            for (size_t p = 0; f->md.e[id].present && p < POOL; p++)
                refs[p] += f->md.e[id].value.h == F.pool[p];
    }
    REQUIRE(mt_live() == live, "%zu objects live in the arena, the model says %zu", mt_live(), live);
    for (size_t p = 0; p < POOL; p++)
        MT_EQ(arena_refcount(&mt_a, F.pool[p]), 1 + refs[p]);
    MT_EQ(arena_check(&mt_a), 0);
}

/* After a call that met the failure: everything as the model says; then
 * the source recovers. */
static void failed_call(int kind)
{
    F.failures++;
    F.by_kind[kind]++;
    REQUIRE(mt_fs.failures > 0, "a call failed, but the source refused nothing");
    verify_all();
    failing_source_recover(&mt_fs);
}

/* put(id, v) into f; on -ENOMEM the map is whole, and the put then succeeds. */
static void put(fmap_t *f, uint64_t id, amap_val_t v)
{
    char buf[MT_STR_MAX];
    int rc = amap_put(f->m, mt_key(AMAP_STR, id, buf), v);
    if (rc == -ENOMEM) {
        failed_call(K_PUT);
        rc = amap_put(f->m, mt_key(AMAP_STR, id, buf), v);
    }
    int want = mt_model_put(&f->md, id, v);
    REQUIRE(rc == want, "put of key %" PRIu64 " gave %d, expected %d", id, rc, want);
}

static void reserve(fmap_t *f, size_t n)
{
    size_t cap = f->m->capacity;
    int rc = amap_reserve(f->m, n);
    if (rc == -ENOMEM) {
        MT_EQ(f->m->capacity, cap); /* the map unchanged */
        failed_call(K_RESERVE);
        rc = amap_reserve(f->m, n);
    }
    MT_RC(rc, 0);
    REQUIRE(f->m->capacity / 8 * 7 >= n, "reserve(%zu) left %zu slots", n, f->m->capacity);
}

/* merge src into dst (models given); on -ENOMEM, dst's entries are each
 * whole (its old entry or src's), the model follows what was merged, and
 * the same merge then finishes the job. */
static void merge(fmap_t *dst, const fmap_t *src, bool overwrite)
{
    int rc = amap_merge(dst->m, src->m, overwrite);
    if (rc == -ENOMEM) {
        char buf[MT_STR_MAX];
        for (uint64_t id = 0; id < dst->md.n_keys; id++) {
            amap_val_t v;
            int got = amap_get(dst->m, mt_key(AMAP_STR, id, buf), &v);
            const mt_entry_t *old = &dst->md.e[id], *s = &src->md.e[id];
            if (got == -ENOENT) {
                REQUIRE(!old->present, "a failed merge lost key %" PRIu64, id);
                continue;
            }
            MT_RC(got, 0);
            bool is_old = old->present && mt_val_eq(v, old->value);
            bool is_src = s->present && mt_val_eq(v, s->value) && (overwrite || !old->present);
            REQUIRE(is_old || is_src, "after a failed merge key %" PRIu64 " holds neither value", id);
            if (!is_old)
                mt_model_put(&dst->md, id, s->value);
        }
        failed_call(K_MERGE);
        rc = amap_merge(dst->m, src->m, overwrite);
    }
    /* the (second) call puts every src entry again with overwrite, else
     * those dst lacks */
    int want = 0;
    for (uint64_t id = 0; id < src->md.n_keys; id++) {
        if (!src->md.e[id].present || (!overwrite && dst->md.e[id].present))
            continue;
        mt_model_put(&dst->md, id, src->md.e[id].value);
        want++;
    }
    REQUIRE(rc == want, "merge (overwrite %d) gave %d, expected %d", overwrite, rc, want);
}

static amap_val_t str_value(rng_t *r, char *buf)
{
    return mt_random_value(r, AMAP_STR, buf);
}

/* The script; fail_at >= 0 fails the source's fail_at-th acquisition
 * after the pool exists. */
static void script(long fail_at)
{
    char vb[64];
    rng_t r = {2024};
    F = (fscript_t){0};
    mt_init((arena_config_t){.slabs = SLABS_CFG});
    for (size_t p = 0; p < POOL; p++)
        F.pool[p] = arena_alloc(&mt_a, 24);
    if (fail_at >= 0)
        failing_source_fail_after(&mt_fs, fail_at);

    /* a map with a first table, and one in the arena */
    amap_config_t cfg = mt_config(AMAP_STR, AMAP_HANDLE, 40, 0);
    int rc = amap_init(&F.b_map, &mt_a, &cfg);
    if (rc == -ENOMEM) {
        failed_call(K_INIT);
        rc = amap_init(&F.b_map, &mt_a, &cfg);
    }
    MT_RC(rc, 0);
    F.b = (fmap_t){.m = &F.b_map};
    mt_model_init(&F.b.md, AMAP_STR, AMAP_HANDLE, N_KEYS);
    cfg = mt_config(AMAP_STR, AMAP_U64, 20, 0);
    errno = 0;
    F.c_handle = amap_new(&mt_a, &cfg);
    if (F.c_handle == HANDLE_NULL) {
        MT_EQ(errno, ENOMEM);
        failed_call(K_NEW);
        F.c_handle = amap_new(&mt_a, &cfg);
    }
    REQUIRE(F.c_handle != HANDLE_NULL, "amap_new failed after the source recovered");
    F.c = (fmap_t){.m = amap_of(&mt_a, F.c_handle)};
    ck_assert_ptr_nonnull(F.c.m);
    mt_model_init(&F.c.md, AMAP_STR, AMAP_U64, N_KEYS);
    mt_map_init(&F.a_map, AMAP_STR, AMAP_STR, 0, 0); /* no table yet: cannot fail */
    F.a = (fmap_t){.m = &F.a_map};
    mt_model_init(&F.a.md, AMAP_STR, AMAP_STR, N_KEYS);

    for (size_t step = 0; step < 400; step++) {
        uint64_t id = rng_below(&r, N_KEYS);
        put(&F.a, id, str_value(&r, vb));
        if (step % 5 == 0)
            put(&F.b, rng_below(&r, N_KEYS), amap_handle(step % 35 ? F.pool[step % POOL] : HANDLE_NULL));
        if (step % 9 == 0)
            put(&F.c, rng_below(&r, N_KEYS), amap_u64(step));
        if (step % 3 == 0) {
            char kb[MT_STR_MAX];
            uint64_t d = rng_below(&r, N_KEYS);
            MT_RC(amap_del(F.a.m, mt_key(AMAP_STR, d, kb)), mt_model_del(&F.a.md, d));
        }
        if (step == 150)
            reserve(&F.a, 400);
        if (step == 300)
            reserve(&F.b, 1000);
    }

    /* joins: a second map of strings into a, then c into itself */
    mt_map_init(&F.s_map, AMAP_STR, AMAP_STR, 0, 0);
    F.s = (fmap_t){.m = &F.s_map};
    mt_model_init(&F.s.md, AMAP_STR, AMAP_STR, N_KEYS);
    for (size_t i = 0; i < 150; i++)
        put(&F.s, rng_below(&r, N_KEYS), str_value(&r, vb));
    merge(&F.a, &F.s, false);
    for (size_t i = 0; i < 150; i++)
        put(&F.s, rng_below(&r, N_KEYS), str_value(&r, vb));
    merge(&F.a, &F.s, true);
    MT_RC(amap_merge(F.c.m, F.c.m, true), 0);
    verify_all();

    amap_destroy(&F.s_map);
    mt_model_free(&F.s.md);
    amap_destroy(&F.a_map);
    amap_destroy(&F.b_map);
    ck_assert_int_eq(arena_release(&mt_a, F.c_handle), 0);
    mt_model_free(&F.a.md);
    mt_model_free(&F.b.md);
    mt_model_free(&F.c.md);
    MT_EQ(mt_live(), POOL);
    for (size_t p = 0; p < POOL; p++) {
        MT_EQ(arena_refcount(&mt_a, F.pool[p]), 1);
        ck_assert_int_eq(arena_release(&mt_a, F.pool[p]), 0);
    }
    mt_finish();
}

START_TEST(failure_at_every_acquisition)
{
    size_t runs = 0, total[6] = {0};
    for (long k = 0;; k++) {
        script(k);
        runs++;
        for (size_t i = 0; i < 6; i++)
            total[i] += F.by_kind[i];
        if (F.failures == 0)
            break;
        MT_EQ(F.failures, 1);
    }
    /* the script needs many acquisitions, and failures met each kind of call */
    ck_assert_uint_gt(runs, 20);
    ck_assert_uint_gt(total[K_PUT], 10);
    ck_assert_uint_gt(total[K_INIT], 0);
    ck_assert_uint_gt(total[K_NEW], 0);
    ck_assert_uint_gt(total[K_RESERVE], 0);
    ck_assert_uint_gt(total[K_MERGE], 0);
}
END_TEST

/* ---- the max_bytes cap -------------------------------------------------------------- */

START_TEST(cap_refuses_cleanly)
{
    arena_config_t acfg = {.slabs = SLABS_CFG};
    acfg.slabs.max_bytes = 256 * 1024;
    mt_init(acfg);
    F = (fscript_t){0};
    for (size_t p = 0; p < POOL; p++)
        F.pool[p] = arena_alloc(&mt_a, 24);
    mt_map_init(&F.a_map, AMAP_STR, AMAP_STR, 0, 0);
    F.a = (fmap_t){.m = &F.a_map};
    mt_model_init(&F.a.md, AMAP_STR, AMAP_STR, 20000);
    rng_t r = {9};
    char kb[MT_STR_MAX], vb[64];
    size_t refused = 0;
    for (uint64_t id = 0; id < 20000 && refused < 40; id++) {
        amap_val_t v = str_value(&r, vb);
        int rc = amap_put(F.a.m, mt_key(AMAP_STR, id, kb), v);
        if (rc == -ENOMEM) {
            refused++;
            if (refused % 8 == 1)
                verify_all();
            continue;
        }
        MT_RC(rc, mt_model_put(&F.a.md, id, v));
    }
    ck_assert_uint_eq(refused, 40);
    verify_all();
    size_t cap = F.a.m->capacity;
    MT_RC(amap_reserve(F.a.m, cap * 4), -ENOMEM);
    MT_EQ(F.a.m->capacity, cap);
    verify_all();
    /* overwrite with longer values until refused: the old value stays */
    for (uint64_t id = 0; id < F.a.md.n_keys; id++) {
        if (!F.a.md.e[id].present)
            continue;
        char big[600];
        memset(big, 'x', sizeof big);
        int rc = amap_put(F.a.m, mt_key(AMAP_STR, id, kb), amap_str(big, sizeof big));
        if (rc == -ENOMEM) {
            verify_all();
            break;
        }
        MT_RC(rc, mt_model_put(&F.a.md, id, amap_str(big, sizeof big)));
    }
    amap_clear(F.a.m);
    mt_model_clear(&F.a.md);
    verify_all();
    amap_stats_t st = mt_stats(F.a.m);
    MT_EQ(st.key_bytes, 0);
    MT_EQ(st.value_bytes, 0);
    MT_EQ(mt_live(), POOL + 1); /* the pool and the table */
    amap_destroy(F.a.m);
    mt_model_free(&F.a.md);
    MT_EQ(mt_live(), POOL);
    for (size_t p = 0; p < POOL; p++)
        ck_assert_int_eq(arena_release(&mt_a, F.pool[p]), 0);
    mt_finish();
}
END_TEST

/* amap_new and amap_init with a big first table, failing at each
 * acquisition in turn: nothing live after a failure. */
START_TEST(new_and_init_under_failure_leave_nothing)
{
    size_t failed = 0;
    for (long k = 0; k < 64; k++) {
        mt_init((arena_config_t){.slabs = SLABS_CFG});
        amap_config_t cfg = mt_config(AMAP_STR, AMAP_STR, 3000, 0);
        failing_source_fail_after(&mt_fs, k);
        errno = 0;
        handle_t h = amap_new(&mt_a, &cfg);
        if (h == HANDLE_NULL) {
            MT_EQ(errno, ENOMEM);
            MT_EQ(mt_live(), 0);
            failed++;
        } else {
            MT_EQ(amap_check(amap_of(&mt_a, h)), 0);
            ck_assert_int_eq(arena_release(&mt_a, h), 0);
        }
        amap_t m;
        failing_source_fail_after(&mt_fs, k);
        int rc = amap_init(&m, &mt_a, &cfg);
        if (rc == 0)
            amap_destroy(&m);
        else
            MT_RC(rc, -ENOMEM);
        MT_EQ(mt_live(), 0);
        failing_source_recover(&mt_fs);
        mt_finish();
    }
    ck_assert_uint_gt(failed, 0);
}
END_TEST

Suite *amap_faults_suite(void)
{
    Suite *s = suite_create("amap-faults");
    TCase *tc = tcase_create("faults");
    tcase_set_tags(tc, "edge");
    tcase_set_timeout(tc, 300);
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_add_test(tc, failure_at_every_acquisition);
    tcase_add_test(tc, cap_refuses_cleanly);
    tcase_add_test(tc, new_and_init_under_failure_leave_nothing);
    suite_add_tcase(s, tc);
    return s;
}

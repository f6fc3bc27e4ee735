/*
 * test_model.c - stage 04 against a model: random workloads of every
 * operation, for every key type and several value types, each result
 * predicted by the reference model of amap_test.h before the call and
 * compared after it.
 *
 * The operations: put (insert and overwrite), get, has, del, reserve,
 * clear, iteration with deletion of the entry just returned, merge (with
 * and without overwrite, from a second map built for the step), filter,
 * bad input (no type, the wrong type, a NaN key, a NULL string with a
 * length: -EINVAL, nothing changed) and, for handle values, a stale handle
 * (-ESTALE, nothing changed).  Handle values come from a pool of objects
 * the test owns: each must hold exactly one reference per entry that names
 * it, besides the test's own.
 *
 * A full verification compares every key number of the key space with the
 * model, iterates once, and checks the accounting: amap_check() is 0, the
 * map's key_bytes and value_bytes are the bytes of the strings the model
 * holds, the arena holds exactly the pool, the table and one object per
 * string, and each pooled handle's count is as the model says.  The small
 * runs verify fully after every step; the big ones every few hundred steps.
 *
 * Also: growth across several doublings (every entry readable after each
 * one, the capacity exactly doubling) and tombstone churn, entries deleted
 * and inserted at a fixed size for many rounds: the capacity settles and
 * stays, tombstones appear and are cleared by rebuilds at the same size.
 *
 * `make test-swar` runs the same workloads with the SWAR group match.
 * Under Valgrind the sizes are divided by 10 (the small runs by 5), with
 * the expensive checks by 20 (the small runs not at all).
 */
#include "amap_test.h"

#include "amap_internal.h"
#include "tool_query.h"

#define POOL 24              /* handles the test owns, for HANDLE values */
#define VBUF 64              /* bytes for a random string value */

static size_t scaled(size_t n)
{
#ifdef SC_EXPENSIVE_CHECKS
    n /= 20;
#endif
    n = tq_under_valgrind() ? n / 10 : n;
    return n ? n : 1;
}

/* The small runs, verified after every step, touch the arena little:
 * only Valgrind slows them enough to scale. */
static size_t scaled_small(size_t n)
{
    return tq_under_valgrind() ? n / 5 : n;
}

static void setup(void)
{
    mt_init((arena_config_t){.slabs = {.min_size = 16, .max_size = 1024, .slab_size = 1u << 15}});
}

static void teardown(void)
{
    mt_finish();
}

/* ---- the workload's state ------------------------------------------------------ */

typedef struct wl {
    amap_t m;
    mt_model_t md;
    handle_t pool[POOL];
    handle_t stale;       /* a handle that was live once */
    rng_t r;
    uint64_t lo;          /* random key numbers are lo .. n_keys - 1 */
    size_t step;
    size_t ops[12];       /* how many of each operation ran */
} wl_t;

static wl_t W;

enum { OP_PUT, OP_GET, OP_DEL, OP_RESERVE, OP_CLEAR, OP_ITER, OP_MERGE, OP_FILTER, OP_BAD, OP_STALE };

/* Bytes the map holds for a string of len bytes. */
static size_t str_bytes(size_t len)
{
    return sizeof(amap_string_t) + len + 1;
}

/* A random value of the map's value type (handles from the pool, some null). */
static amap_val_t random_value(rng_t *r, amap_type_t t, char *buf)
{
    if (t != AMAP_HANDLE)
        return mt_random_value(r, t, buf);
    size_t i = (size_t)rng_below(r, POOL + 2);
    return amap_handle(i < POOL ? W.pool[i] : HANDLE_NULL);
}

/* A random key number of the model's space. */
static uint64_t random_id(void)
{
    return W.lo + rng_below(&W.r, W.md.n_keys - W.lo);
}

/* The key of number id; a zero double key is given as -0.0 half the time. */
static amap_val_t key_of(uint64_t id, char *buf)
{
    amap_val_t k = mt_key(W.md.key_type, id, buf);
    if (k.type == AMAP_F64 && k.f64 == 0.0 && (rng_next(&W.r) & 1))
        k.f64 = -0.0;
    return k;
}

/* The accounting: amap_check, string bytes, arena objects, handle counts. */
static void verify_accounting(void)
{
    REQUIRE(amap_check(&W.m) == 0, "step %zu: amap_check() found %zu problems", W.step, amap_check(&W.m));
    size_t kb = 0, vb = 0, strings = 0;
    uint32_t refs[POOL] = {0};
    char buf[MT_STR_MAX];
    for (uint64_t id = 0; id < W.md.n_keys; id++) {
        const mt_entry_t *e = &W.md.e[id];
        if (!e->present)
            continue;
        if (W.md.key_type == AMAP_STR) {
            kb += str_bytes(mt_key(AMAP_STR, id, buf).len);
            strings++;
        }
        if (e->value.type == AMAP_STR) {
            vb += str_bytes(e->value.len);
            strings++;
        }
        for (size_t i = 0; e->value.type == AMAP_HANDLE && i < POOL; i++)
            refs[i] += e->value.h == W.pool[i];
    }
    amap_stats_t st = mt_stats(&W.m);
    REQUIRE(st.key_bytes == kb && st.value_bytes == vb, "step %zu: key/value bytes %zu/%zu, model %zu/%zu",
            W.step, st.key_bytes, st.value_bytes, kb, vb);
    MT_EQ(st.len, W.md.len);
    REQUIRE(st.len * 8 <= st.capacity * 7, "step %zu: %zu entries in %zu slots", W.step, st.len, st.capacity);
    MT_EQ(st.table_bytes, st.capacity * (1 + sizeof(amap_slot_t)));
    size_t live = POOL + (st.capacity > 0) + strings;
    REQUIRE(mt_live() == live, "step %zu: %zu objects live in the arena, expected %zu", W.step, mt_live(), live);
    for (size_t i = 0; i < POOL; i++)
        REQUIRE(arena_refcount(&mt_a, W.pool[i]) == 1 + refs[i], "step %zu: handle %zu has %u references, expected %u",
                W.step, i, arena_refcount(&mt_a, W.pool[i]), 1 + refs[i]);
}

static void verify_full(void)
{
    mt_model_verify(&W.md, &W.m);
    verify_accounting();
}

/* ---- the operations -------------------------------------------------------------- */

static void op_put(void)
{
    char kb[MT_STR_MAX], vb[VBUF];
    uint64_t id = random_id();
    amap_val_t v = random_value(&W.r, W.md.value_type, vb);
    int rc = amap_put(&W.m, key_of(id, kb), v);
    int want = mt_model_put(&W.md, id, v);
    REQUIRE(rc == want, "step %zu: put of key %" PRIu64 " gave %d, expected %d", W.step, id, rc, want);
}

static void op_get(void)
{
    uint64_t id = random_id();
    mt_model_verify_key(&W.md, &W.m, id);
    char kb[MT_STR_MAX];
    if (W.md.key_type == AMAP_F64 && mt_key(AMAP_F64, id, kb).f64 == 0.0)
        REQUIRE(amap_has(&W.m, amap_f64(-0.0)) == W.md.e[id].present, "step %zu: -0.0 and 0.0 differ", W.step);
}

static void op_del(void)
{
    char kb[MT_STR_MAX];
    uint64_t id = random_id();
    int rc = amap_del(&W.m, key_of(id, kb));
    int want = mt_model_del(&W.md, id);
    REQUIRE(rc == want, "step %zu: del of key %" PRIu64 " gave %d, expected %d", W.step, id, rc, want);
}

static void op_reserve(void)
{
    size_t before = mt_stats(&W.m).capacity;
    size_t n = (size_t)rng_below(&W.r, W.md.n_keys * 2 + 2);
    MT_RC(amap_reserve(&W.m, n), 0);
    amap_stats_t st = mt_stats(&W.m);
    REQUIRE(st.capacity >= before, "step %zu: reserve shrank the table", W.step);
    REQUIRE(n == 0 || st.capacity / 8 * 7 >= n, "step %zu: reserve(%zu) left %zu slots", W.step, n, st.capacity);
    REQUIRE(st.capacity / 8 * 7 - st.tombstones >= n, "step %zu: reserve(%zu) left room for %zu", W.step, n,
            st.capacity / 8 * 7 - st.tombstones); /* no growth until n entries */
}

static void op_clear(void)
{
    size_t cap = mt_stats(&W.m).capacity;
    amap_clear(&W.m);
    mt_model_clear(&W.md);
    amap_stats_t st = mt_stats(&W.m);
    MT_EQ(st.capacity, cap);
    MT_EQ(st.len, 0);
    MT_EQ(st.tombstones, 0);
}

static void op_iter(void)
{
    unsigned char *seen = calloc(W.md.n_keys, 1);
    REQUIRE(seen != NULL, "out of memory");
    size_t len = W.md.len, visited = 0;
    amap_iter_t it = amap_iter(&W.m);
    amap_val_t k, v;
    while (amap_next(&it, &k, &v)) {
        uint64_t id = mt_key_id(k);
        REQUIRE(id < W.md.n_keys && W.md.e[id].present && !seen[id],
                "step %zu: iteration gave key %" PRIu64 " wrongly", W.step, id);
        REQUIRE(mt_val_eq(v, W.md.e[id].value), "step %zu: iteration: value of %" PRIu64, W.step, id);
        seen[id] = 1;
        visited++;
        if (rng_below(&W.r, 3) == 0) {
            MT_RC(amap_del(&W.m, k), 0); /* k's string dies here: not used after */
            MT_RC(mt_model_del(&W.md, id), 0);
        }
    }
    free(seen);
    REQUIRE(visited == len, "step %zu: iteration with deletion visited %zu of %zu", W.step, visited, len);
}

static void op_merge(void)
{
    amap_t src;
    mt_model_t sm;
    char kb[MT_STR_MAX], vb[VBUF];
    mt_map_init(&src, W.md.key_type, W.md.value_type, 0, 0);
    mt_model_init(&sm, W.md.key_type, W.md.value_type, W.md.n_keys);
    size_t n = (size_t)rng_below(&W.r, 40);
    for (size_t i = 0; i < n; i++) {
        uint64_t id = random_id();
        amap_val_t v = random_value(&W.r, W.md.value_type, vb);
        MT_RC(amap_put(&src, key_of(id, kb), v), mt_model_put(&sm, id, v));
    }
    bool overwrite = rng_next(&W.r) & 1;
    int want = 0;
    for (uint64_t id = 0; id < sm.n_keys; id++) {
        if (!sm.e[id].present || (!overwrite && W.md.e[id].present))
            continue;
        mt_model_put(&W.md, id, sm.e[id].value);
        want++;
    }
    int rc = amap_merge(&W.m, &src, overwrite);
    REQUIRE(rc == want, "step %zu: merge (overwrite %d) gave %d, expected %d", W.step, overwrite, rc, want);
    MT_RC(amap_merge(&W.m, &W.m, true), 0);
    mt_model_verify(&sm, &src); /* the source is untouched */
    amap_destroy(&src);
    mt_model_free(&sm);
}

/* The filter's context: which entries it keeps, and what it saw. */
typedef struct keep_ctx {
    uint64_t salt;
    size_t calls, wrong;
} keep_ctx_t;

static bool keeps(uint64_t id, uint64_t salt)
{
    return rng_mix(id ^ salt) % 4 != 0;
}

static bool keep_fn(amap_val_t key, amap_val_t value, void *ctx)
{
    keep_ctx_t *c = ctx;
    uint64_t id = mt_key_id(key);
    c->calls++;
    if (id >= W.md.n_keys || !W.md.e[id].present || !mt_val_eq(value, W.md.e[id].value))
        c->wrong++;
    return keeps(id, c->salt);
}

static void op_filter(void)
{
    keep_ctx_t c = {.salt = rng_next(&W.r)};
    size_t len = W.md.len, want = 0;
    size_t got = amap_filter(&W.m, keep_fn, &c);
    for (uint64_t id = 0; id < W.md.n_keys; id++)
        if (W.md.e[id].present && !keeps(id, c.salt)) {
            mt_model_del(&W.md, id);
            want++;
        }
    REQUIRE(got == want, "step %zu: filter deleted %zu, expected %zu", W.step, got, want);
    MT_EQ(c.calls, len);
    MT_EQ(c.wrong, 0);
}

/* A key of the wrong type for the map. */
static amap_val_t wrong_key(void)
{
    switch (rng_below(&W.r, 4)) {
    case 0:
        return (amap_val_t){.type = 0, .u64 = 1};
    case 1:
        return W.md.key_type == AMAP_STR ? amap_u64(7) : amap_cstr("7");
    case 2:
        return (amap_val_t){.type = AMAP_HANDLE, .h = W.pool[0]}; /* never a key type */
    default:
        return W.md.key_type == AMAP_F64 ? amap_f64(NAN) : (amap_val_t){.type = 99};
    }
}

static void op_bad(void)
{
    char kb[MT_STR_MAX], vb[VBUF];
    size_t len = W.md.len;
    amap_stats_t before = mt_stats(&W.m);
    amap_val_t k = wrong_key(), out;
    MT_RC(amap_put(&W.m, k, random_value(&W.r, W.md.value_type, vb)), -EINVAL);
    MT_RC(amap_get(&W.m, k, &out), -EINVAL);
    MT_RC(amap_del(&W.m, k), -EINVAL);
    REQUIRE(!amap_has(&W.m, k), "step %zu: amap_has true for a bad key", W.step);
    if (W.md.key_type == AMAP_STR)
        MT_RC(amap_put(&W.m, (amap_val_t){.type = AMAP_STR, .len = 3, .str = NULL},
                       random_value(&W.r, W.md.value_type, vb)), -EINVAL);
    amap_val_t bad_v = W.md.value_type == AMAP_STR && (rng_next(&W.r) & 1)
                         ? (amap_val_t){.type = AMAP_STR, .len = 1, .str = NULL}
                         : (amap_val_t){.type = W.md.value_type == AMAP_U64 ? AMAP_I64 : AMAP_U64};
    MT_RC(amap_put(&W.m, key_of(random_id(), kb), bad_v), -EINVAL);
    amap_stats_t now = mt_stats(&W.m);
    MT_EQ(amap_len(&W.m), len);
    MT_EQ(now.capacity, before.capacity);
    MT_EQ(now.key_bytes, before.key_bytes);
    MT_EQ(now.value_bytes, before.value_bytes);
}

static void op_stale(void)
{
    char kb[MT_STR_MAX];
    uint64_t id = random_id();
    amap_stats_t before = mt_stats(&W.m);
    MT_RC(amap_put(&W.m, key_of(id, kb), amap_handle(W.stale)), -ESTALE);
    mt_model_verify_key(&W.md, &W.m, id);
    MT_EQ(mt_stats(&W.m).len, before.len);
}

static void one_step(void)
{
    unsigned x = (unsigned)rng_below(&W.r, 1000);
    int op = x < 420 ? OP_PUT : x < 600 ? OP_GET : x < 880 ? OP_DEL : x < 900 ? OP_RESERVE : x < 903 ? OP_CLEAR
           : x < 918 ? OP_ITER : x < 933 ? OP_MERGE : x < 948 ? OP_FILTER : x < 980 ? OP_BAD : OP_STALE;
    if (op == OP_STALE && W.md.value_type != AMAP_HANDLE)
        op = OP_PUT;
    W.ops[op]++;
    switch (op) {
    case OP_PUT: op_put(); break;
    case OP_GET: op_get(); break;
    case OP_DEL: op_del(); break;
    case OP_RESERVE: op_reserve(); break;
    case OP_CLEAR: op_clear(); break;
    case OP_ITER: op_iter(); break;
    case OP_MERGE: op_merge(); break;
    case OP_FILTER: op_filter(); break;
    case OP_BAD: op_bad(); break;
    default: op_stale(); break;
    }
}

/* Runs steps random operations on a map of kt -> vt over n_keys key
 * numbers; a full verification every full_every steps and at the end. */
static void workload_from(amap_type_t kt, amap_type_t vt, uint64_t lo, size_t n_keys, size_t steps,
                          size_t full_every, unsigned flags, uint64_t seed)
{
    W = (wl_t){.r = {seed}, .lo = lo};
    for (size_t i = 0; i < POOL; i++)
        W.pool[i] = arena_alloc(&mt_a, 8 + i);
    W.stale = arena_alloc(&mt_a, 8);
    ck_assert_int_eq(arena_release(&mt_a, W.stale), 0);
    mt_map_init(&W.m, kt, vt, 0, flags);
    mt_model_init(&W.md, kt, vt, n_keys);
    for (W.step = 0; W.step < steps; W.step++) {
        one_step();
        if ((W.step + 1) % full_every == 0)
            verify_full();
    }
    verify_full();
    REQUIRE(W.ops[OP_PUT] > 0 && W.ops[OP_DEL] > 0 && W.ops[OP_ITER] + W.ops[OP_MERGE] + W.ops[OP_FILTER] > 0,
            "the workload ran too few kinds of operation");
    amap_destroy(&W.m);
    mt_model_free(&W.md);
    ck_assert_uint_eq(mt_live(), POOL);
    for (size_t i = 0; i < POOL; i++) {
        ck_assert_uint_eq(arena_refcount(&mt_a, W.pool[i]), 1);
        ck_assert_int_eq(arena_release(&mt_a, W.pool[i]), 0);
    }
}

static void workload(amap_type_t kt, amap_type_t vt, size_t n_keys, size_t steps, size_t full_every,
                     unsigned flags, uint64_t seed)
{
    workload_from(kt, vt, 0, n_keys, steps, full_every, flags, seed);
}

static const amap_type_t key_types[] = {AMAP_I64, AMAP_U64, AMAP_F64, AMAP_BOOL, AMAP_STR};
static const amap_type_t value_types[] = {AMAP_U64, AMAP_STR, AMAP_HANDLE, AMAP_F64};
#define N_KT (sizeof key_types / sizeof key_types[0])
#define N_VT (sizeof value_types / sizeof value_types[0])

/* Small runs, verified after every step: every key type with every value
 * type (_i: the key type, loop over the value types). */
START_TEST(small_every_step)
{
    amap_type_t kt = key_types[_i];
    for (size_t v = 0; v < N_VT; v++) {
        /* key numbers around the double key 0.0 (number 2000) */
        workload(kt, value_types[v], 60, scaled_small(3000), 1, v == 1 ? AMAP_CHECKED : 0, 100 + _i * 10 + v);
    }
}
END_TEST

/* Double keys -5.0 .. 4.5 (numbers 1990 .. 2009), around 0.0, which is
 * given as 0.0 or -0.0 at random: the two must be one key. */
START_TEST(small_doubles_around_zero)
{
    for (size_t v = 0; v < N_VT; v++)
        workload_from(AMAP_F64, value_types[v], 1990, 2010, scaled_small(600), 1, 0, 900 + v);
}
END_TEST

/* Bigger runs, verified every 500 steps, amap_check() inside every
 * mutating call for some (AMAP_CHECKED). */
START_TEST(big_periodic)
{
    amap_type_t kt = key_types[_i];
    size_t keys = kt == AMAP_BOOL ? 2 : 6000;
    size_t steps = kt == AMAP_STR ? scaled(40000) : scaled(100000);
    workload(kt, AMAP_U64, keys, steps, 500, 0, 200 + _i);
    workload(kt, AMAP_STR, keys, steps / 2, 500, 0, 300 + _i);
    workload(kt, AMAP_HANDLE, keys, steps / 3, 500, _i == 4 ? AMAP_CHECKED : 0, 400 + _i);
    workload(kt, AMAP_F64, keys, steps / 3, 500, 0, 500 + _i);
}
END_TEST

/* ---- growth ---------------------------------------------------------------------------- */

/* Inserts n keys one by one; at each growth the capacity doubles exactly
 * and every key so far is readable with its value. */
static void grow(amap_type_t kt, size_t n)
{
    W = (wl_t){0};
    mt_map_init(&W.m, kt, AMAP_U64, 0, 0);
    mt_model_init(&W.md, kt, AMAP_U64, n);
    char kb[MT_STR_MAX];
    size_t cap = 0, doublings = 0;
    for (uint64_t id = 0; id < n; id++) {
        MT_RC(amap_put(&W.m, mt_key(kt, id, kb), amap_u64(id * 3)), 1);
        mt_model_put(&W.md, id, amap_u64(id * 3));
        size_t now = W.m.capacity; /* from the map itself: amap_stats() is O(capacity) */
        if (now != cap) {
            REQUIRE(cap == 0 ? now == AMAP_GROUP : now == 2 * cap, "growth from %zu slots to %zu", cap, now);
            REQUIRE(cap == 0 || (id + 1) * 16 > cap * 7, "grew from %zu slots with only %zu entries", cap, (size_t)id);
            doublings += cap != 0;
            cap = now;
            amap_stats_t st = mt_stats(&W.m);
            MT_EQ(st.capacity, cap);
            MT_EQ(st.tombstones, 0);
            mt_model_verify(&W.md, &W.m);
            MT_EQ(amap_check(&W.m), 0);
        }
        REQUIRE(amap_len(&W.m) * 8 <= cap * 7, "%zu entries in %zu slots", amap_len(&W.m), cap);
    }
    ck_assert_uint_ge(doublings, 5);
    mt_model_verify(&W.md, &W.m);
    MT_EQ(mt_live(), 1 + (kt == AMAP_STR ? n : 0)); /* the table, the keys; the old tables given back */
    amap_destroy(&W.m);
    mt_model_free(&W.md);
    MT_EQ(mt_live(), 0);
}

START_TEST(growth_across_doublings)
{
    grow(AMAP_U64, scaled(50000));
    grow(AMAP_I64, scaled(20000));
    grow(AMAP_F64, scaled(20000));
    grow(AMAP_STR, scaled(20000));
}
END_TEST

/* ---- tombstone churn --------------------------------------------------------------------- */

/* n entries, then rounds of one delete (a random entry) and one insert (a
 * new key): the capacity settles after the first rebuilds and stays; the
 * tombstones deletion leaves are cleared by rebuilds at the same size.
 * Returns those rebuilds. */
static size_t churn(amap_type_t kt, size_t n, size_t rounds, uint64_t seed)
{
    rng_t r = {seed};
    amap_t m;
    char kb[MT_STR_MAX];
    mt_map_init(&m, kt, AMAP_U64, 0, 0);
    uint64_t *ids = malloc(n * sizeof *ids);
    ck_assert_ptr_nonnull(ids);
    uint64_t next = 0;
    for (size_t i = 0; i < n; i++) {
        ids[i] = next++;
        MT_RC(amap_put(&m, mt_key(kt, ids[i], kb), amap_u64(ids[i])), 1);
    }
    /* the capacity and the tombstones are read from the map itself each
     * round: amap_stats() is O(capacity); every 4096 rounds they are
     * compared with it */
    size_t rebuilds = 0, max_tomb = 0, cap = m.capacity, tomb = m.tombstones;
    for (size_t round = 0; round < rounds; round++) {
        size_t i = (size_t)rng_below(&r, n);
        MT_RC(amap_del(&m, mt_key(kt, ids[i], kb)), 0);
        ids[i] = next++;
        MT_RC(amap_put(&m, mt_key(kt, ids[i], kb), amap_u64(ids[i])), 1);
        MT_EQ(amap_len(&m), n);
        max_tomb = m.tombstones > max_tomb ? m.tombstones : max_tomb;
        if (m.capacity != cap)
            REQUIRE(m.capacity == 2 * cap, "round %zu: %zu -> %zu slots for %zu entries", round, cap, m.capacity, n);
        else if (tomb > 1 && m.tombstones == 0)
            rebuilds++; /* a rebuild at the same size cleared them */
        cap = m.capacity;
        tomb = m.tombstones;
        if (round % 4096 == 0) {
            amap_stats_t st = mt_stats(&m);
            MT_EQ(st.capacity, cap);
            MT_EQ(st.tombstones, tomb);
            MT_EQ(amap_check(&m), 0);
        }
    }
    /* the table grows only while more than half its room is live: it
     * settles at the first capacity where n entries are less than that */
    size_t bound = AMAP_GROUP;
    while (n >= bound / 16 * 7)
        bound *= 2;
    REQUIRE(cap <= bound, "%zu entries ended in %zu slots (at most %zu)", n, cap, bound);
    if (n > 8)
        REQUIRE(max_tomb > 0, "%zu entries, %zu rounds: deletion never left a tombstone", n, rounds);
    MT_EQ(amap_check(&m), 0);
    for (size_t i = 0; i < n; i++) {
        amap_val_t v;
        MT_RC(amap_get(&m, mt_key(kt, ids[i], kb), &v), 0);
        MT_EQ(v.u64, ids[i]);
    }
    amap_destroy(&m);
    free(ids);
    return rebuilds;
}

START_TEST(tombstone_churn_at_a_fixed_size)
{
    /* 111 entries settle in 256 slots (111 < 256 * 7/16), where about one
     * round in 15000 exhausts the room with tombstones: a rebuild at the
     * same size */
    static const struct {
        size_t n, rounds;
        amap_type_t kt;
        bool rebuilds;
    } runs[] = {
        {7, 20000, AMAP_U64, false},     /* one group: deletion always leaves it empty */
        {111, 200000, AMAP_U64, true},
        {100, 100000, AMAP_STR, false},
        {447, 100000, AMAP_U64, false},  /* the most 1024 slots keep without doubling */
        {1000, 100000, AMAP_U64, false}, /* doubles once, to 4096 */
        {3000, 20000, AMAP_STR, false},
    };
    for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++) {
        size_t rounds = runs[i].kt == AMAP_STR ? scaled(runs[i].rounds) : runs[i].rounds;
        size_t rebuilds = churn(runs[i].kt, runs[i].n, rounds, 77 + i);
        if (runs[i].rebuilds)
            REQUIRE(rebuilds > 0, "%zu entries, %zu rounds: no rebuild cleared the tombstones", runs[i].n, rounds);
    }
    MT_EQ(mt_live(), 0);
}
END_TEST

Suite *amap_model_suite(void)
{
    Suite *s = suite_create("amap-model");
    TCase *tc = tcase_create("model");
    tcase_set_tags(tc, "core");
    tcase_set_timeout(tc, 300);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, small_every_step, 0, (int)N_KT);
    tcase_add_test(tc, small_doubles_around_zero);
    tcase_add_loop_test(tc, big_periodic, 0, (int)N_KT);
    tcase_add_test(tc, growth_across_doublings);
    tcase_add_test(tc, tombstone_churn_at_a_fixed_size);
    suite_add_tcase(s, tc);
    return s;
}

/*
 * amap_test.h - helpers shared by the stage 04 suites (header only, so that
 * every test file still defines exactly one suite).
 *
 *  - a fixture: one arena_t on a counting failing_source (around the paint
 *    source, so fresh memory is never zero by luck), checked and destroyed
 *    in teardown, which also proves every byte went back;
 *  - a misuse handler that counts reports instead of aborting;
 *  - keys numbered 0, 1, 2, ... for every key type (mt_key()), and back
 *    (mt_key_id()), so a test can name keys by number;
 *  - a reference model (mt_model_t): key number -> value, with its own
 *    copies of strings, and mt_model_verify(), which proves that a map holds
 *    exactly the model's entries (lookups, len, one full iteration).
 */
#ifndef SLABCRAFT_AMAP_TEST_H
#define SLABCRAFT_AMAP_TEST_H

#include <check.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "amap.h"
#include "arena.h"
#include "failing_source.h"
#include "misuse_counter.h"
#include "paint_source.h"
#include "require.h"
#include "rng.h"

/* Comparisons for hot loops, in the manner of REQUIRE (require.h); each
 * operand is evaluated once. */
#define MT_CMP(a, op, b)                                                        \
    do {                                                                        \
        uintmax_t mt_a_ = (uintmax_t)(a), mt_b_ = (uintmax_t)(b);               \
        REQUIRE(mt_a_ op mt_b_, "assertion %s %s %s failed: %ju, %ju",          \
                #a, #op, #b, mt_a_, mt_b_);                                     \
    } while (0)
#define MT_EQ(a, b) MT_CMP(a, ==, b)
/* An int result (amap_put, amap_get, ...) equal to the expected one. */
#define MT_RC(call, want)                                                       \
    do {                                                                        \
        int mt_rc_ = (call), mt_w_ = (want);                                    \
        REQUIRE(mt_rc_ == mt_w_, "%s returned %d, expected %d", #call, mt_rc_, mt_w_); \
    } while (0)

/* ---- fixture -------------------------------------------------------------- */

static failing_source_t mt_fs;  /* the counting source of the fixture */
static arena_t mt_a;            /* the arena of the fixture */
static misuse_counter_t mt_mc;  /* misuse reports, once mt_misuse_install() ran */

/* Initialises mt_a on a fresh mt_fs with cfg (the source is filled in);
 * asserts 0. */
static inline void mt_init(arena_config_t cfg)
{
    failing_source_init(&mt_fs, paint_source());
    cfg.slabs.source = &mt_fs.base;
    ck_assert_int_eq(arena_init(&mt_a, &cfg), 0);
}

/* mt_init() with the default configuration. */
static inline void mt_setup(void)
{
    mt_init((arena_config_t){0});
}

/* Checks, destroys and proves that every byte went back to the source. */
static inline void mt_finish(void)
{
    ck_assert_uint_eq(arena_check(&mt_a), 0);
    arena_destroy(&mt_a);
    ck_assert_uint_eq(mt_fs.live_bytes, 0);
    ck_assert_uint_eq(mt_fs.live_acquisitions, 0);
}

static inline void mt_teardown(void)
{
    mt_finish();
}

/* Objects alive in the fixture's arena. */
static inline size_t mt_live(void)
{
    arena_stats_t st;
    arena_stats(&mt_a, &st);
    return st.live;
}

/* A map config. */
static inline amap_config_t mt_config(amap_type_t k, amap_type_t v, size_t capacity, unsigned flags)
{
    return (amap_config_t){.key_type = k, .value_type = v, .capacity = capacity, .flags = flags};
}

/* amap_init(m, &mt_a, ...) asserted 0. */
static inline void mt_map_init(amap_t *m, amap_type_t k, amap_type_t v, size_t capacity, unsigned flags)
{
    amap_config_t cfg = mt_config(k, v, capacity, flags);
    ck_assert_int_eq(amap_init(m, &mt_a, &cfg), 0);
}

static inline amap_stats_t mt_stats(const amap_t *m)
{
    amap_stats_t st;
    amap_stats(m, &st);
    return st;
}

/* ---- misuse --------------------------------------------------------------- */

static inline void mt_misuse_install(void)
{
    misuse_counter_install(&mt_mc);
}

static inline void mt_misuse_remove(void)
{
    misuse_counter_remove();
}

/* Asserts that reports misuse reports were received in all, the last one
 * (if any) from the map with this kind. */
static inline void mt_expect_reports(size_t reports, const char *kind)
{
    ck_assert_uint_eq(mt_mc.count, reports);
    if (reports > 0) {
        ck_assert_str_eq(mt_mc.last.allocator, "amap");
        ck_assert_str_eq(mt_mc.last.kind, kind);
        ck_assert_ptr_nonnull(mt_mc.last.message);
    }
}

/* ---- numbered keys -------------------------------------------------------- */

#define MT_KEY_MUL UINT64_C(0x9E3779B97F4A7C15) /* odd: multiplying by it is a bijection */
#define MT_STR_MAX 48                           /* bytes of a numbered string key, at most */

/* The inverse of an odd number modulo 2^64 (Newton's iteration). */
static inline uint64_t mt_inverse(uint64_t a)
{
    uint64_t x = a; /* correct to 3 bits */
    for (int i = 0; i < 5; i++)
        x *= 2 - a * x;
    return x;
}

/* The length of numbered string key id: the digits then 0..31 more bytes. */
static inline size_t mt_str_len(uint64_t id, size_t digits)
{
    return digits + (size_t)(rng_mix(id) % 32);
}

/* Key number id of type t (BOOL: id 0 or 1).  A string key is written into
 * buf (MT_STR_MAX bytes): its decimal digits, then a ':' and filler, so
 * lengths vary; distinct ids give distinct keys. */
static inline amap_val_t mt_key(amap_type_t t, uint64_t id, char *buf)
{
    switch (t) {
    case AMAP_I64:
        return amap_i64((int64_t)(id * MT_KEY_MUL));
    case AMAP_U64:
        return amap_u64(id * MT_KEY_MUL ^ UINT64_C(0x5555555555555555));
    case AMAP_F64:
        return amap_f64((double)id * 0.5 - 1000.0); /* exact for id < 2^52; 0.0 at id 2000 */
    case AMAP_BOOL:
        return amap_bool(id != 0);
    default: { /* AMAP_STR */
        int d = snprintf(buf, MT_STR_MAX, "%" PRIu64, id);
        size_t len = mt_str_len(id, (size_t)d);
        if (len >= MT_STR_MAX)
            len = MT_STR_MAX - 1;
        for (size_t i = (size_t)d; i < len; i++)
            buf[i] = i == (size_t)d ? ':' : (char)('a' + (id + i) % 26);
        return amap_str(buf, len);
    }
    }
}

/* The number of a key mt_key() made. */
static inline uint64_t mt_key_id(amap_val_t k)
{
    switch (k.type) {
    case AMAP_I64:
        return (uint64_t)k.i64 * mt_inverse(MT_KEY_MUL);
    case AMAP_U64:
        return (k.u64 ^ UINT64_C(0x5555555555555555)) * mt_inverse(MT_KEY_MUL);
    case AMAP_F64:
        return (uint64_t)((k.f64 + 1000.0) * 2.0);
    case AMAP_BOOL:
        return k.b ? 1 : 0;
    default: { /* AMAP_STR: the leading digits */
        uint64_t id = 0;
        for (uint32_t i = 0; i < k.len && k.str[i] >= '0' && k.str[i] <= '9'; i++)
            id = id * 10 + (uint64_t)(k.str[i] - '0');
        return id;
    }
    }
}

/* ---- values ------------------------------------------------------------------ */

/* Do a and b hold the same value?  Doubles compare by their bits (a NaN
 * equals itself), strings by their bytes. */
static inline bool mt_val_eq(amap_val_t a, amap_val_t b)
{
    if (a.type != b.type)
        return false;
    switch (a.type) {
    case AMAP_STR:
        return a.len == b.len && (a.len == 0 || memcmp(a.str, b.str, a.len) == 0);
    case AMAP_BOOL:
        return a.b == b.b;
    case AMAP_HANDLE:
        return a.h == b.h;
    case AMAP_F64:
        return memcmp(&a.f64, &b.f64, sizeof a.f64) == 0;
    default:
        return a.u64 == b.u64;
    }
}

/* A random value of type t (not HANDLE, which needs live handles: the
 * caller makes those).  A string's bytes (0..40 of them, any byte value)
 * are written into buf (at least 41 bytes).  Doubles are never -0.0. */
static inline amap_val_t mt_random_value(rng_t *r, amap_type_t t, char *buf)
{
    switch (t) {
    case AMAP_I64:
        return amap_i64((int64_t)rng_next(r));
    case AMAP_U64:
        return amap_u64(rng_next(r));
    case AMAP_F64: {
        double d = (double)(int64_t)rng_next(r) / 1024.0;
        return amap_f64(d == 0.0 ? 1.0 : d);
    }
    case AMAP_BOOL:
        return amap_bool(rng_next(r) & 1);
    default: { /* AMAP_STR */
        size_t len = (size_t)rng_below(r, 41);
        for (size_t i = 0; i < len; i++)
            buf[i] = (char)rng_next(r);
        return amap_str(buf, len);
    }
    }
}

/* Asserts that a string from the map is NUL-terminated at its length. */
static inline void mt_expect_terminated(amap_val_t v)
{
    if (v.type == AMAP_STR) {
        REQUIRE(v.str != NULL, "a string from the map is NULL");
        REQUIRE(v.str[v.len] == '\0', "a string of %u bytes from the map is not NUL-terminated", (unsigned)v.len);
    }
}

/* ---- the reference model --------------------------------------------------- */

/* One entry of the model: present, and its value (strings copied). */
typedef struct mt_entry {
    bool present;
    amap_val_t value; /* a string's bytes are owned by the model (malloc) */
} mt_entry_t;

/* Key number -> value, for key numbers 0 .. n_keys - 1. */
typedef struct mt_model {
    amap_type_t key_type, value_type;
    size_t n_keys;      /* key numbers in use: 0 .. n_keys - 1 (BOOL keys: 2) */
    size_t len;         /* present entries */
    mt_entry_t *e;      /* n_keys entries */
} mt_model_t;

static inline void mt_model_init(mt_model_t *md, amap_type_t k, amap_type_t v, size_t n_keys)
{
    if (k == AMAP_BOOL && n_keys > 2)
        n_keys = 2;
    *md = (mt_model_t){.key_type = k, .value_type = v, .n_keys = n_keys};
    md->e = calloc(n_keys, sizeof *md->e);
    REQUIRE(md->e != NULL, "out of memory for a model of %zu keys", n_keys);
}

static inline void mt_model_drop_(mt_entry_t *e)
{
    if (e->present && e->value.type == AMAP_STR)
        free((void *)(uintptr_t)e->value.str);
    e->present = false;
}

/* Entry id as the model has it (present or not). */
static inline const mt_entry_t *mt_model_get(const mt_model_t *md, uint64_t id)
{
    REQUIRE(id < md->n_keys, "key number %" PRIu64 " outside the model's %zu", id, md->n_keys);
    return &md->e[id];
}

/* Records put(id, v): returns 1 if inserted, 0 if replaced, as amap_put. */
static inline int mt_model_put(mt_model_t *md, uint64_t id, amap_val_t v)
{
    mt_entry_t *e = (mt_entry_t *)mt_model_get(md, id);
    int inserted = !e->present;
    mt_model_drop_(e);
    if (v.type == AMAP_STR) {
        char *copy = malloc((size_t)v.len + 1);
        REQUIRE(copy != NULL, "out of memory for a model string");
        if (v.len)
            memcpy(copy, v.str, v.len);
        copy[v.len] = '\0';
        v.str = copy;
    }
    e->value = v;
    e->present = true;
    md->len += (size_t)inserted;
    return inserted;
}

/* Records del(id): 0 if it was present, -ENOENT if not, as amap_del. */
static inline int mt_model_del(mt_model_t *md, uint64_t id)
{
    mt_entry_t *e = (mt_entry_t *)mt_model_get(md, id);
    if (!e->present)
        return -ENOENT;
    mt_model_drop_(e);
    md->len--;
    return 0;
}

static inline void mt_model_clear(mt_model_t *md)
{
    for (size_t i = 0; i < md->n_keys; i++)
        mt_model_drop_(&md->e[i]);
    md->len = 0;
}

static inline void mt_model_free(mt_model_t *md)
{
    mt_model_clear(md);
    free(md->e);
    md->e = NULL;
}

/* Asserts that m's entry for key id is the model's (found with its value,
 * or -ENOENT). */
static inline void mt_model_verify_key(const mt_model_t *md, const amap_t *m, uint64_t id)
{
    char buf[MT_STR_MAX];
    const mt_entry_t *e = mt_model_get(md, id);
    amap_val_t out = {0};
    int rc = amap_get(m, mt_key(md->key_type, id, buf), &out);
    if (!e->present) {
        REQUIRE(rc == -ENOENT, "key %" PRIu64 ": amap_get gave %d, the model has no entry", id, rc);
        REQUIRE(!amap_has(m, mt_key(md->key_type, id, buf)), "key %" PRIu64 ": amap_has true, the model has no entry", id);
        return;
    }
    REQUIRE(rc == 0, "key %" PRIu64 ": amap_get gave %d, the model has an entry", id, rc);
    REQUIRE(mt_val_eq(out, e->value), "key %" PRIu64 ": the map's value differs from the model's", id);
    mt_expect_terminated(out);
}

/* Asserts that m holds exactly the model's entries: the same length, every
 * key number found or not as the model says, with the model's value, and
 * an iteration that visits each present key once with the same value. */
static inline void mt_model_verify(const mt_model_t *md, const amap_t *m)
{
    MT_EQ(amap_len(m), md->len);
    for (uint64_t id = 0; id < md->n_keys; id++)
        mt_model_verify_key(md, m, id);
    unsigned char *seen = calloc(md->n_keys ? md->n_keys : 1, 1);
    REQUIRE(seen != NULL, "out of memory");
    amap_iter_t it = amap_iter(m);
    amap_val_t k, v;
    size_t visited = 0;
    while (amap_next(&it, &k, &v)) {
        uint64_t id = mt_key_id(k);
        REQUIRE(id < md->n_keys && md->e[id].present, "iteration gave key %" PRIu64 ", not in the model", id);
        REQUIRE(!seen[id], "iteration gave key %" PRIu64 " twice", id);
        seen[id] = 1;
        REQUIRE(mt_val_eq(v, md->e[id].value), "iteration: key %" PRIu64 "'s value differs from the model's", id);
        mt_expect_terminated(k);
        mt_expect_terminated(v);
        visited++;
    }
    free(seen);
    MT_EQ(visited, md->len);
}

#endif

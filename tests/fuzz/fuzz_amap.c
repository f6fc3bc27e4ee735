/*
 * fuzz_amap.c - libFuzzer target for stage 04: one arena map, driven by the
 * operations the input encodes, checked against a model.
 *
 * Input.  Three header bytes choose the configuration:
 *   h0  key type AMAP_I64 + h0 % 5 (I64, U64, F64, BOOL, STR); bit 7: AMAP_CHECKED
 *   h1  value type AMAP_I64 + h1 % 6 (any)
 *   h2  first capacity h2 % 64 (0: grow from empty)
 * Then one byte per operation, its high nibble the operation and its low
 * nibble n a parameter; b and c are the next bytes (0 past the end):
 *   0-3  put key b, value c (a double key number 100 is 0.0, -0.0 when n is odd)
 *   4    del key b          5  get and has key b
 *   6    iterate, deleting the entries whose key number has bit (n % 8) of b set
 *   7    reserve b * 8      8  clear
 *   9    filter: keep the entries whose key number has bit (n % 8) of b clear
 *   A    merge (overwrite: n odd) from a new map of n + 1 entries (key b,
 *        value c each)
 *   B    the source fails after n acquisitions (n >= 12: recovers)
 *   C    bad input: a key of no type, the wrong type, a NaN, a NULL string
 *   D    put a stale handle (handle maps; else a put)
 *   E    full verification
 *   F    keys 0 .. 4n + 3 put with value b (growth)
 * Key numbers are 0..255 (BOOL: 0 and 1).  The model keeps, per key
 * number, whether the map holds it and the number of its value.  An
 * -ENOMEM is accepted only when the source refused something, and then the
 * entry is as before (a merge: every entry is dst's old one or src's).
 * After every operation the touched key is compared; every FZ_CHECK_EVERY
 * operations, after a failure and at the end everything is: each key,
 * one iteration, amap_check(), the string bytes, the arena's live objects
 * and the handles' counts.  Any failure prints what broke and aborts.
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "amap.h"
#include "amap_internal.h"
#include "arena.h"
#include "failing_source.h"
#include "fuzz_input.h"

#define REQUIRE_FAILED(text, msg) fz_fail(__LINE__, text, msg)
#include "require.h"
#include "rng.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_KEYS 256
#define FZ_POOL 6
#define FZ_CHECK_EVERY 16

typedef struct fz_model {
    bool present[FZ_KEYS];
    uint8_t value[FZ_KEYS]; /* the value's number */
    size_t len;
} fz_model_t;

typedef struct fz_state {
    arena_t a;
    failing_source_t fs;
    amap_t m;
    fz_model_t md;
    amap_type_t kt, vt;
    size_t n_keys;
    handle_t pool[FZ_POOL], stale;
    size_t op;
} fz_state_t;

static fz_state_t st;

static _Noreturn void fz_fail(int line, const char *cond, const char *msg)
{
    fprintf(stderr, "fuzz_amap: operation %zu: %s (%s, line %d); key type %d, value type %d, len %zu\n", st.op,
            msg, cond, line, st.kt, st.vt, st.md.len);
    fflush(stderr);
    abort();
}

/* ---- keys and values ------------------------------------------------------------ */

#define MUL UINT64_C(0x9E3779B97F4A7C15)

static amap_val_t key_of(uint8_t id, bool neg_zero, char *buf)
{
    switch (st.kt) {
    case AMAP_I64:
        return amap_i64((int64_t)(id * MUL));
    case AMAP_U64:
        return amap_u64(id * MUL);
    case AMAP_F64:
        return amap_f64(id == 100 && neg_zero ? -0.0 : ((double)id - 100.0) * 0.75);
    case AMAP_BOOL:
        return amap_bool(id & 1);
    default: { /* STR: "k<id>" and id % 13 bytes of padding */
        int n = snprintf(buf, 32, "k%u", id);
        memset(buf + n, '.', id % 13u);
        return amap_str(buf, (size_t)n + id % 13u);
    }
    }
}

static uint8_t key_id(amap_val_t k)
{
    switch (k.type) {
    case AMAP_I64:
    case AMAP_U64:
        return (uint8_t)(k.u64 * UINT64_C(0xF1DE83E19937733D)); /* MUL's inverse */
    case AMAP_F64:
        return (uint8_t)(k.f64 / 0.75 + 100.0);
    case AMAP_BOOL:
        return k.b;
    default:
        return (uint8_t)atoi(k.str + 1);
    }
}

static amap_val_t value_of(uint8_t v, char *buf)
{
    switch (st.vt) {
    case AMAP_I64:
        return amap_i64(-(int64_t)v * 1000003);
    case AMAP_U64:
        return amap_u64(v * MUL);
    case AMAP_F64:
        return amap_f64(v == 7 ? NAN : (double)v * 1.5 + 0.25);
    case AMAP_BOOL:
        return amap_bool(v & 1);
    case AMAP_HANDLE:
        return amap_handle(v % (FZ_POOL + 1) ? st.pool[v % (FZ_POOL + 1) - 1] : HANDLE_NULL);
    default: { /* STR: v % 23 bytes */
        for (unsigned i = 0; i < v % 23u; i++)
            buf[i] = (char)(v * 7 + i);
        return amap_str(buf, v % 23u);
    }
    }
}

static bool same_value(amap_val_t got, uint8_t v)
{
    char buf[32];
    amap_val_t want = value_of(v, buf);
    if (got.type != want.type)
        return false;
    switch (want.type) {
    case AMAP_STR:
        return got.len == want.len && memcmp(got.str, want.str, want.len) == 0 && got.str[got.len] == '\0';
    case AMAP_BOOL:
        return got.b == want.b;
    case AMAP_HANDLE:
        return got.h == want.h;
    default:
        return memcmp(&got.u64, &want.u64, 8) == 0;
    }
}

/* ---- checks ------------------------------------------------------------------------- */

static void check_key(uint8_t id)
{
    char kb[32];
    amap_val_t v;
    int rc = amap_get(&st.m, key_of(id, false, kb), &v);
    if (!st.md.present[id]) {
        REQUIRE(rc == -ENOENT, "a key the model lacks is found");
        return;
    }
    REQUIRE(rc == 0, "a key of the model is missing");
    REQUIRE(same_value(v, st.md.value[id]), "a value differs from the model's");
}

static void check_all(void)
{
    REQUIRE(amap_len(&st.m) == st.md.len, "amap_len differs from the model");
    REQUIRE(amap_check(&st.m) == 0, "amap_check() found problems");
    size_t kb = 0, vb = 0, strings = 0;
    uint32_t refs[FZ_POOL] = {0};
    char buf[32];
    for (size_t id = 0; id < st.n_keys; id++) {
        check_key((uint8_t)id);
        if (!st.md.present[id])
            continue;
        if (st.kt == AMAP_STR) {
            kb += sizeof(amap_string_t) + key_of((uint8_t)id, false, buf).len + 1;
            strings++;
        }
        amap_val_t v = value_of(st.md.value[id], buf);
        if (st.vt == AMAP_STR) {
            vb += sizeof(amap_string_t) + v.len + 1;
            strings++;
        }
        for (size_t p = 0; st.vt == AMAP_HANDLE && p < FZ_POOL; p++)
            refs[p] += v.h == st.pool[p];
    }
    amap_stats_t s;
    amap_stats(&st.m, &s);
    REQUIRE(s.key_bytes == kb && s.value_bytes == vb, "key or value bytes differ from the model's");
    arena_stats_t as;
    arena_stats(&st.a, &as);
    REQUIRE(as.live == FZ_POOL + (s.capacity > 0) + strings, "the arena's live objects differ from the model's");
    for (size_t p = 0; p < FZ_POOL; p++)
        REQUIRE(arena_refcount(&st.a, st.pool[p]) == 1 + refs[p], "a handle's count differs from the model's");
    bool seen[FZ_KEYS] = {0};
    size_t visited = 0;
    amap_iter_t it = amap_iter(&st.m);
    amap_val_t k, v;
    while (amap_next(&it, &k, &v)) {
        uint8_t id = key_id(k);
        REQUIRE(st.md.present[id] && !seen[id], "iteration gave a wrong or repeated key");
        REQUIRE(same_value(v, st.md.value[id]), "iteration gave a wrong value");
        seen[id] = true;
        visited++;
    }
    REQUIRE(visited == st.md.len, "iteration missed entries");
}

/* An -ENOMEM is only allowed when the source refused; then the source recovers. */
static void enomem(size_t failures_before)
{
    REQUIRE(st.fs.failures > failures_before, "-ENOMEM without a refusal");
    check_all();
}

/* ---- operations ------------------------------------------------------------------------- */

static void model_put(fz_model_t *md, uint8_t id, uint8_t v)
{
    md->len += !md->present[id];
    md->present[id] = true;
    md->value[id] = v;
}

static void op_put(uint8_t id, uint8_t v, bool neg_zero)
{
    char kb[32], vb[32];
    size_t f = st.fs.failures;
    id = (uint8_t)(id % st.n_keys);
    int rc = amap_put(&st.m, key_of(id, neg_zero, kb), value_of(v, vb));
    if (rc == -ENOMEM) {
        enomem(f);
        return;
    }
    REQUIRE(rc == !st.md.present[id], "put returned the wrong result");
    model_put(&st.md, id, v);
    check_key(id);
}

static void op_del(uint8_t id)
{
    char kb[32];
    id = (uint8_t)(id % st.n_keys);
    int rc = amap_del(&st.m, key_of(id, false, kb));
    REQUIRE(rc == (st.md.present[id] ? 0 : -ENOENT), "del returned the wrong result");
    st.md.len -= st.md.present[id];
    st.md.present[id] = false;
}

static void op_iter(unsigned bit, uint8_t mask)
{
    amap_iter_t it = amap_iter(&st.m);
    amap_val_t k;
    size_t visited = 0, len = st.md.len;
    while (amap_next(&it, &k, NULL)) {
        uint8_t id = key_id(k);
        REQUIRE(st.md.present[id], "iteration gave a key the model lacks");
        visited++;
        if ((id ^ mask) >> bit & 1) {
            REQUIRE(amap_del(&st.m, k) == 0, "deleting the entry just returned failed");
            st.md.present[id] = false;
            st.md.len--;
        }
    }
    REQUIRE(visited == len, "iteration with deletion missed entries");
}

static bool keep(amap_val_t key, amap_val_t value, void *ctx)
{
    unsigned bit = ((unsigned *)ctx)[0], mask = ((unsigned *)ctx)[1];
    uint8_t id = key_id(key);
    REQUIRE(st.md.present[id] && same_value(value, st.md.value[id]), "filter saw a wrong entry");
    return !((id ^ mask) >> bit & 1);
}

static void op_filter(unsigned bit, uint8_t mask)
{
    unsigned ctx[2] = {bit, mask};
    size_t want = 0;
    size_t got = amap_filter(&st.m, keep, ctx);
    for (size_t id = 0; id < st.n_keys; id++)
        if (st.md.present[id] && ((id ^ mask) >> bit & 1)) {
            st.md.present[id] = false;
            st.md.len--;
            want++;
        }
    REQUIRE(got == want, "filter deleted the wrong number");
}

static void op_merge(fz_input_t *in, unsigned n, bool overwrite)
{
    amap_t src;
    fz_model_t sm = {0};
    amap_config_t cfg = {.key_type = st.kt, .value_type = st.vt};
    char kb[32], vb[32];
    size_t f = st.fs.failures;
    if (amap_init(&src, &st.a, &cfg) != 0)
        fz_fail(__LINE__, "amap_init", "a map without a table failed to init");
    for (unsigned i = 0; i <= n; i++) {
        uint8_t id = (uint8_t)(in_byte(in) % st.n_keys), v = in_byte(in);
        int rc = amap_put(&src, key_of(id, false, kb), value_of(v, vb));
        if (rc == -ENOMEM)
            continue;
        REQUIRE(rc >= 0, "a put into the merge source failed");
        model_put(&sm, id, v);
    }
    fz_model_t old = st.md;
    int rc = amap_merge(&st.m, &src, overwrite);
    if (rc == -ENOMEM) {
        REQUIRE(st.fs.failures > f, "-ENOMEM without a refusal");
        for (size_t id = 0; id < st.n_keys; id++) {
            amap_val_t v;
            int g = amap_get(&st.m, key_of((uint8_t)id, false, kb), &v);
            bool was = old.present[id] && g == 0 && same_value(v, old.value[id]);
            bool from = sm.present[id] && g == 0 && (overwrite || !old.present[id]) && same_value(v, sm.value[id]);
            REQUIRE(was || from || (g == -ENOENT && !old.present[id]), "a failed merge left a broken entry");
            if (!was && from)
                model_put(&st.md, (uint8_t)id, sm.value[id]);
        }
    } else {
        int want = 0;
        for (size_t id = 0; id < st.n_keys; id++)
            if (sm.present[id] && (overwrite || !old.present[id])) {
                model_put(&st.md, (uint8_t)id, sm.value[id]);
                want++;
            }
        REQUIRE(rc == want, "merge returned the wrong count");
    }
    amap_destroy(&src);
    if (rc == -ENOMEM)
        check_all(); /* after src is gone: the arena then holds dst's objects alone */
}

static void op_bad(uint8_t b)
{
    char vb[32];
    size_t len = amap_len(&st.m);
    amap_val_t k = {.type = 0};
    if (b % 3 == 1)
        k = st.kt == AMAP_F64 ? amap_f64(NAN) : (amap_val_t){.type = AMAP_HANDLE, .h = st.pool[0]};
    else if (b % 3 == 2)
        k = st.kt == AMAP_STR ? (amap_val_t){.type = AMAP_STR, .len = 2, .str = NULL} : amap_cstr("s");
    REQUIRE(amap_put(&st.m, k, value_of(b, vb)) == -EINVAL, "a bad key was accepted by put");
    REQUIRE(amap_get(&st.m, k, NULL) == -EINVAL && amap_del(&st.m, k) == -EINVAL && !amap_has(&st.m, k),
            "a bad key was accepted");
    REQUIRE(amap_len(&st.m) == len, "a bad call changed the map");
}

/* ---- the run ------------------------------------------------------------------------------ */

static void run(fz_input_t *in)
{
    for (st.op = 0; in->pos < in->size; st.op++) {
        uint8_t op = in_byte(in), n = op & 15;
        switch (op >> 4) {
        case 0: case 1: case 2: case 3: {
            uint8_t b = in_byte(in);
            op_put(b, in_byte(in), n & 1);
            break;
        }
        case 4: op_del(in_byte(in)); break;
        case 5: {
            uint8_t id = (uint8_t)(in_byte(in) % st.n_keys);
            char kb[32];
            check_key(id);
            REQUIRE(amap_has(&st.m, key_of(id, true, kb)) == st.md.present[id], "amap_has differs from the model");
            break;
        }
        case 6: op_iter(n % 8, in_byte(in)); break;
        case 7: {
            size_t f = st.fs.failures, want = (size_t)in_byte(in) * 8;
            int rc = amap_reserve(&st.m, want);
            if (rc == -ENOMEM)
                enomem(f);
            else
                REQUIRE(rc == 0 && st.m.capacity / 8 * 7 >= want, "reserve failed");
            break;
        }
        case 8:
            amap_clear(&st.m);
            memset(&st.md, 0, sizeof st.md);
            break;
        case 9: op_filter(n % 8, in_byte(in)); break;
        case 10: op_merge(in, n, n & 1); break;
        case 11:
            if (n < 12)
                failing_source_fail_after(&st.fs, n);
            else
                failing_source_recover(&st.fs);
            break;
        case 12: op_bad(in_byte(in)); break;
        case 13:
            if (st.vt == AMAP_HANDLE) {
                char kb[32];
                uint8_t id = (uint8_t)(in_byte(in) % st.n_keys);
                REQUIRE(amap_put(&st.m, key_of(id, false, kb), amap_handle(st.stale)) == -ESTALE,
                        "a stale handle was accepted");
                check_key(id);
            } else {
                uint8_t b = in_byte(in);
                op_put(b, in_byte(in), false);
            }
            break;
        case 14: check_all(); break;
        default: {
            uint8_t v = in_byte(in);
            for (unsigned id = 0; id < 4u * n + 4 && id < st.n_keys; id++)
                op_put((uint8_t)id, v, false);
        }
        }
        if (st.op % FZ_CHECK_EVERY == 0)
            check_all();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_input_t in = {data, size, 0};
    uint8_t h0 = in_byte(&in), h1 = in_byte(&in), h2 = in_byte(&in);
    memset(&st, 0, sizeof st);
    st.kt = (amap_type_t)(AMAP_I64 + h0 % 5);
    st.vt = (amap_type_t)(AMAP_I64 + h1 % 6);
    st.n_keys = st.kt == AMAP_BOOL ? 2 : FZ_KEYS;
    failing_source_init(&st.fs, NULL);
    arena_config_t acfg = {.slabs = {.min_size = 16, .max_size = 512, .slab_size = 1u << 12, .source = &st.fs.base}};
    if (arena_init(&st.a, &acfg) != 0)
        fz_fail(__LINE__, "arena_init", "the arena failed to init");
    for (size_t p = 0; p < FZ_POOL; p++)
        st.pool[p] = arena_alloc(&st.a, 16 + p);
    st.stale = arena_alloc(&st.a, 8);
    arena_release(&st.a, st.stale);
    amap_config_t cfg = {.key_type = st.kt, .value_type = st.vt, .capacity = h2 % 64,
                         .flags = h0 & 0x80 ? AMAP_CHECKED : 0};
    REQUIRE(amap_init(&st.m, &st.a, &cfg) == 0, "amap_init failed");
    run(&in);
    failing_source_recover(&st.fs);
    check_all();
    amap_destroy(&st.m);
    for (size_t p = 0; p < FZ_POOL; p++)
        REQUIRE(arena_refcount(&st.a, st.pool[p]) == 1 && arena_release(&st.a, st.pool[p]) == 0,
                "a handle kept references after the map died");
    arena_stats_t as;
    arena_stats(&st.a, &as);
    REQUIRE(as.live == 0, "objects live after the map died");
    REQUIRE(arena_check(&st.a) == 0, "arena_check() found problems");
    arena_destroy(&st.a);
    REQUIRE(st.fs.live_bytes == 0, "bytes not given back");
    return 0;
}

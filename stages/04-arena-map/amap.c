/*
 * amap.c - stage 04: the arena map's table, lookup, insertion, deletion.
 *
 * The table is one arena object: capacity control bytes, then capacity
 * 16-byte slots (see amap.h).  Groups of 16 start at multiples of 16, so a
 * group's control bytes are one aligned 16-byte load.  Probing goes group
 * by group, g, g + 1, g + 3, g + 6, ... (triangular numbers), which visits
 * every group of a power-of-two table once.
 *
 * Keys and values in slots (8 bytes each):
 *   I64, U64, F64, BOOL: the bits (a boolean as 0 or 1, -0.0 as 0.0);
 *   STR key:             handle of its string object << 32 | 32 bits of hash;
 *   STR value:           handle of its string object;
 *   HANDLE value:        the handle (the map holds a reference unless 0).
 * A string object is amap_string_t: length, bytes, NUL.
 *
 * Every call that can fail does all that can fail first (table growth,
 * string copies, sharing a handle), then changes the map, so -ENOMEM and
 * -ESTALE leave every entry as it was.
 *
 * Iteration, merge and filter are in amap_iter.c; maps living in the arena
 * (amap_new) in amap_new.c; statistics and the checker in amap_check.c.
 */
#include "amap.h"

#include <errno.h>
#include <math.h>

#include "amap_internal.h"
#include "debug.h"
#include "hash.h"
#include "hint.h"
#include "misuse.h"
#include "secret.h"

/* ---- values ------------------------------------------------------------------ */

uint32_t amap_hash_string(const amap_t *m, const char *p, size_t len)
{
    return (uint32_t)(hash_bytes(p, len, m->seed) >> 32);
}

/* Is v a valid value of type t?  Only the member t names is read. */
static bool val_ok(amap_val_t v, uint8_t t)
{
    if (v.type != t)
        return false;
    return t != AMAP_STR || v.str != NULL || v.len == 0;
}

/* The 8 bytes a number, boolean or handle takes in a slot.  As a key, a
 * double's -0.0 becomes 0.0 (they are equal); as a value it keeps its
 * bits. */
static uint64_t scalar_bits(amap_val_t v, bool is_key)
{
    switch (v.type) {
    case AMAP_I64:
        return (uint64_t)v.i64;
    case AMAP_U64:
        return v.u64;
    case AMAP_BOOL:
        return v.b ? 1 : 0;
    case AMAP_HANDLE:
        return v.h;
    default: { /* AMAP_F64 */
        double d = is_key && v.f64 == 0.0 ? 0.0 : v.f64; /* -0.0 == 0.0: one key */
        uint64_t bits;
        memcpy(&bits, &d, sizeof bits);
        return bits;
    }
    }
}

/* Prepares key for lookup; false if it is not a valid key of the map.
 * Integer keys, the common case, take the first branch and nothing else. */
static SC_INLINE bool key_prepare(const amap_t *m, amap_val_t key, amap_key_t *k)
{
    if (SC_LIKELY(key.type == m->key_type && key.type <= AMAP_U64)) {
        *k = (amap_key_t){.bits = key.u64, .h32 = amap_hash_bits(m, key.u64)}; /* I64 and U64 share the bits */
        return true;
    }
    if (!val_ok(key, m->key_type) || (key.type == AMAP_F64 && isnan(key.f64)))
        return false;
    if (key.type == AMAP_STR) {
        const char *p = key.len ? key.str : "";
        *k = (amap_key_t){.h32 = amap_hash_string(m, p, key.len), .str = p, .len = key.len};
    } else {
        uint64_t bits = scalar_bits(key, true);
        *k = (amap_key_t){.bits = bits, .h32 = amap_hash_bits(m, bits)};
    }
    return true;
}

#ifndef NDEBUG
_Thread_local size_t amap_key_compares; /* see amap_internal.h */
#endif

uint32_t amap_slot_hash(const amap_t *m, const amap_slot_t *s)
{
    return m->key_type == AMAP_STR ? (uint32_t)s->key : amap_hash_bits(m, s->key);
}

/* A copy of len bytes as a string object; HANDLE_NULL if refused. */
static handle_t string_new(amap_t *m, const char *p, uint32_t len, size_t *bytes)
{
    handle_t h = arena_alloc(m->arena, sizeof(amap_string_t) + (size_t)len + 1);
    if (h == HANDLE_NULL)
        return HANDLE_NULL;
    amap_string_t *s = arena_get(m->arena, h);
    s->len = len;
    if (len)
        memcpy(s->bytes, p, len);
    s->bytes[len] = '\0';
    *bytes += sizeof(amap_string_t) + (size_t)len + 1;
    return h;
}

/* Frees a string object, counting its bytes out of *bytes. */
static void string_free(amap_t *m, handle_t h, size_t *bytes)
{
    const amap_string_t *s = arena_get(m->arena, h);
    *bytes -= sizeof(amap_string_t) + (size_t)s->len + 1;
    arena_release(m->arena, h);
}

void amap_drop_key(amap_t *m, uint64_t word)
{
    if (m->key_type == AMAP_STR)
        string_free(m, (handle_t)(word >> 32), &m->key_bytes);
}

void amap_drop_value(amap_t *m, uint64_t word)
{
    if (m->value_type == AMAP_STR)
        string_free(m, (handle_t)word, &m->value_bytes);
    else if (m->value_type == AMAP_HANDLE && (handle_t)word != HANDLE_NULL)
        arena_release(m->arena, (handle_t)word);
}

/* The slot word for value v, holding what it needs (a string copy, a
 * reference); 0 and *err on failure, nothing held then. */
static uint64_t value_take(amap_t *m, amap_val_t v, int *err)
{
    if (m->value_type == AMAP_STR) {
        handle_t h = string_new(m, v.len ? v.str : "", v.len, &m->value_bytes);
        if (h == HANDLE_NULL)
            *err = -ENOMEM;
        return h;
    }
    if (m->value_type == AMAP_HANDLE && v.h != HANDLE_NULL) {
        int rc = arena_share(m->arena, v.h);
        if (rc != 0)
            *err = rc == -EOVERFLOW ? -EOVERFLOW : -ESTALE;
    }
    return scalar_bits(v, false);
}

amap_val_t amap_unpack(const amap_t *m, uint8_t type, uint64_t word, bool is_key)
{
    amap_val_t v = {.type = type};
    switch (type) {
    case AMAP_STR: {
        const amap_string_t *s = amap_string(m, (handle_t)(is_key ? word >> 32 : word));
        v.str = s->bytes;
        v.len = s->len;
        break;
    }
    case AMAP_F64:
        memcpy(&v.f64, &word, sizeof word);
        break;
    case AMAP_BOOL:
        v.b = word != 0;
        break;
    case AMAP_HANDLE:
        v.h = (handle_t)word;
        break;
    default:
        v.u64 = word; /* I64 and U64 share the bits */
    }
    return v;
}

/* ---- the table ---------------------------------------------------------------- */

/* Bytes of a table of cap slots: control bytes, then slots. */
static size_t table_bytes(size_t cap)
{
    return cap + cap * sizeof(amap_slot_t);
}

/* The smallest capacity that holds n entries at 7/8 load; 0 if too big. */
static size_t capacity_for(size_t n)
{
    size_t cap = AMAP_GROUP;
    while (cap / 8 * 7 < n) {
        if (cap >= AMAP_MAX_CAPACITY)
            return 0;
        cap *= 2;
    }
    return cap;
}

/* A new empty table of cap slots, as m's fields would hold it. */
typedef struct table {
    handle_t h;
    uint8_t *ctrl;
    amap_slot_t *slots;
} table_t;

static bool table_new(amap_t *m, size_t cap, table_t *t)
{
    t->h = arena_alloc(m->arena, table_bytes(cap));
    if (t->h == HANDLE_NULL)
        return false;
    t->ctrl = arena_get(m->arena, t->h);
    t->slots = (amap_slot_t *)(void *)(t->ctrl + cap);
    memset(t->ctrl, CTRL_EMPTY, cap);
    return true;
}

/* The first free (empty or deleted) slot on h32's probe sequence.  There
 * is one: at most 7/8 of the slots are full or deleted. */
static size_t find_free(const uint8_t *ctrl, size_t group_mask, uint32_t h32)
{
    size_t g = (size_t)(h32 >> 7) & group_mask;
    for (size_t step = 1;; g = (g + step++) & group_mask) {
        uint32_t free = group_free(ctrl + g * AMAP_GROUP);
        if (free)
            return g * AMAP_GROUP + (size_t)__builtin_ctz(free);
    }
}

/* ---- rebuilding ---------------------------------------------------------------- exercise 04-rebuild */

#ifdef SC_EX_04_REBUILD
#include "04-rebuild/rebuild.c"
#else
// [rebuild]
/* Moves every entry into a new table of cap slots and gives the old one
 * back; no tombstones survive.  Only the new table is allocated: entries
 * move as they are, by their hash (a string's is in its slot).  false,
 * the map unchanged, if the arena refuses the table. */
static bool rebuild(amap_t *m, size_t cap)
{
    table_t t;
    if (!table_new(m, cap, &t))
        return false;
    for (size_t i = 0; i < m->capacity; i++) {
        if (m->ctrl[i] & CTRL_EMPTY)
            continue; /* empty or deleted */
        uint32_t h32 = amap_slot_hash(m, &m->slots[i]);
        size_t j = find_free(t.ctrl, cap / AMAP_GROUP - 1, h32);
        t.ctrl[j] = amap_tag(h32);
        t.slots[j] = m->slots[i];
    }
    if (m->table != HANDLE_NULL)
        arena_release(m->arena, m->table);
    m->table = t.h;
    m->ctrl = t.ctrl;
    m->slots = t.slots;
    m->capacity = cap;
    m->group_mask = cap / AMAP_GROUP - 1;
    m->tombstones = 0;
    m->growth_left = cap / 8 * 7 - m->len;
    m->mods++;
    return true;
}
// [rebuild]
#endif

/* Room for one more entry: when the table is out of room, double it, or
 * rebuild it at the same size if tombstones take most of the room. */
static bool make_room(amap_t *m)
{
    if (m->growth_left > 0)
        return true;
    size_t cap = m->capacity == 0 ? AMAP_GROUP : m->capacity;
    if (m->capacity != 0 && m->len >= cap / 16 * 7) { /* more than half the maximum load is live */
        if (cap >= AMAP_MAX_CAPACITY)
            return false;
        cap *= 2;
    }
    return rebuild(m, cap);
}

/* ---- lookup --------------------------------------------------------------------- exercise 04-probe */

/* The key in slot s, prepared for a lookup (amap_check() looks every key
 * up again). */
void amap_slot_key(const amap_t *m, const amap_slot_t *s, amap_key_t *k)
{
    if (m->key_type == AMAP_STR) {
        const amap_string_t *str = amap_string(m, (handle_t)(s->key >> 32));
        *k = (amap_key_t){.h32 = (uint32_t)s->key, .str = str->bytes, .len = str->len};
    } else {
        *k = (amap_key_t){.bits = s->key, .h32 = amap_hash_bits(m, s->key)};
    }
}

#ifdef SC_EX_04_PROBE
#include "04-probe/probe.c"
#else
// [probe]
/* The slot holding key k, or SIZE_MAX.  Probes group by group from k's
 * home; in each, only the slots whose control byte equals k's tag are
 * compared; a group with an empty slot ends the search, because an insert
 * would have used that slot before going further. */
static SC_INLINE size_t find(const amap_t *m, const amap_key_t *k)
{
    if (m->capacity == 0)
        return SIZE_MAX;
    uint8_t tag = amap_tag(k->h32);
    size_t g = amap_home(m, k->h32);
    for (size_t step = 1;; g = (g + step++) & m->group_mask) {
        const uint8_t *ctrl = m->ctrl + g * AMAP_GROUP;
        for (uint32_t hits = group_match(ctrl, tag); hits != 0; hits &= hits - 1) {
            size_t i = g * AMAP_GROUP + (size_t)__builtin_ctz(hits);
            if (amap_key_equal(m, &m->slots[i], k))
                return i;
        }
        if (group_empty(ctrl) != 0)
            return SIZE_MAX;
    }
}
// [probe]
#endif

size_t amap_find(const amap_t *m, const amap_key_t *k)
{
    return find(m, k);
}

/* ---- checked mode ---------------------------------------------------------------- */

SC_COLD void amap_report(const amap_t *m, const char *kind, const char *msg)
{
    misuse_report(&(misuse_report_t){.allocator = "amap", .kind = kind, .addr = m, .message = msg});
}

/* With AMAP_CHECKED: the invariants still hold after a mutating call. */
void amap_after_mutation(const amap_t *m)
{
    if ((m->flags & AMAP_CHECKED) && amap_check(m) != 0)
        amap_report(m, "broken-invariant", "amap_check() found the map broken after a mutating call");
}

/* ---- init and destroy -------------------------------------------------------------- */

static bool config_ok(const amap_config_t *cfg)
{
    bool key_ok = cfg->key_type >= AMAP_I64 && cfg->key_type <= AMAP_STR;
    bool value_ok = cfg->value_type >= AMAP_I64 && cfg->value_type <= AMAP_HANDLE;
    return key_ok && value_ok && (cfg->flags & ~(unsigned)AMAP_CHECKED) == 0;
}

int amap_init(amap_t *m, arena_t *a, const amap_config_t *cfg)
{
    if (!m || !a || !cfg || !config_ok(cfg))
        return -EINVAL;
    size_t cap = cfg->capacity ? capacity_for(cfg->capacity) : 0;
    if (cfg->capacity && cap == 0)
        return -EINVAL;
    *m = (amap_t){
        .arena = a,
        .key_type = (uint8_t)cfg->key_type,
        .value_type = (uint8_t)cfg->value_type,
        .flags = (uint8_t)cfg->flags,
        .seed = (uint64_t)secret_make(m),
        .magic = AMAP_MAGIC ^ (uintptr_t)m,
    };
    if (cap && !rebuild(m, cap)) {
        memset(m, 0, sizeof *m);
        return -ENOMEM;
    }
    return 0;
}

/* Frees what every entry holds, and the table. */
void amap_release_all(amap_t *m)
{
    for (size_t i = 0; i < m->capacity; i++)
        if (!(m->ctrl[i] & CTRL_EMPTY)) {
            amap_drop_key(m, m->slots[i].key);
            amap_drop_value(m, m->slots[i].val);
        }
    if (m->table != HANDLE_NULL)
        arena_release(m->arena, m->table);
    m->table = HANDLE_NULL;
    m->ctrl = NULL;
    m->slots = NULL;
    m->capacity = m->len = m->tombstones = m->growth_left = 0;
    m->group_mask = 0;
}

void amap_destroy(amap_t *m)
{
    if (!m || m->magic != (AMAP_MAGIC ^ (uintptr_t)m))
        return; /* zeroed or destroyed already */
    if (m->in_arena) {
        amap_report(m, "destroy-of-arena-map", "amap_destroy() of a map from amap_new(): release its handle instead");
        return;
    }
    amap_release_all(m);
    memset(m, 0, sizeof *m);
}

/* ---- the calls ----------------------------------------------------------------------- */

int amap_get(const amap_t *m, amap_val_t key, amap_val_t *out)
{
    amap_key_t k;
    if (!key_prepare(m, key, &k))
        return -EINVAL;
    size_t i = find(m, &k);
    if (i == SIZE_MAX)
        return -ENOENT;
    if (!out)
        return 0;
    if (m->value_type <= AMAP_U64)
        *out = (amap_val_t){.type = m->value_type, .u64 = m->slots[i].val}; /* integers: the bits */
    else
        *out = amap_unpack(m, m->value_type, m->slots[i].val, false);
    return 0;
}

bool amap_has(const amap_t *m, amap_val_t key)
{
    amap_key_t k;
    return key_prepare(m, key, &k) && find(m, &k) != SIZE_MAX;
}

/* Replaces slot i's value with v. */
static int replace_value(amap_t *m, size_t i, amap_val_t v)
{
    int err = 0;
    uint64_t word = value_take(m, v, &err);
    if (err)
        return err;
    amap_drop_value(m, m->slots[i].val);
    m->slots[i].val = word;
    return 0;
}

/* Inserts key k (not in the map) with value v. */
static int insert(amap_t *m, const amap_key_t *k, amap_val_t v)
{
    if (!make_room(m))
        return -ENOMEM;
    int err = 0;
    uint64_t word = value_take(m, v, &err);
    if (err)
        return err;
    uint64_t key = k->bits;
    if (m->key_type == AMAP_STR) {
        handle_t h = string_new(m, k->str, k->len, &m->key_bytes);
        if (h == HANDLE_NULL) {
            amap_drop_value(m, word);
            return -ENOMEM;
        }
        key = (uint64_t)h << 32 | k->h32;
    }
    size_t i = find_free(m->ctrl, m->group_mask, k->h32);
    if (m->ctrl[i] == CTRL_DELETED)
        m->tombstones--;
    else
        m->growth_left--;
    m->ctrl[i] = amap_tag(k->h32);
    m->slots[i] = (amap_slot_t){key, word};
    m->len++;
    return 1;
}

int amap_put(amap_t *m, amap_val_t key, amap_val_t value)
{
    amap_key_t k;
    if (!key_prepare(m, key, &k) || !val_ok(value, m->value_type))
        return -EINVAL;
    if (value.type == AMAP_HANDLE && value.h != HANDLE_NULL && arena_refcount(m->arena, value.h) == 0)
        return -ESTALE; /* before anything may fail for want of memory */
    m->mods++;
    size_t i = find(m, &k);
    int rc = i == SIZE_MAX ? insert(m, &k, value) : replace_value(m, i, value);
    amap_after_mutation(m);
    return rc;
}

/* Empties slot i: deleted if its group has no empty slot (a search may
 * have gone past this group), else empty. */
static void erase_at(amap_t *m, size_t i)
{
    amap_drop_key(m, m->slots[i].key);
    amap_drop_value(m, m->slots[i].val);
    if (group_empty(m->ctrl + i / AMAP_GROUP * AMAP_GROUP) != 0) {
        m->ctrl[i] = CTRL_EMPTY;
        m->growth_left++;
    } else {
        m->ctrl[i] = CTRL_DELETED;
        m->tombstones++;
    }
    m->len--;
}

void amap_erase_at(amap_t *m, size_t i)
{
    erase_at(m, i);
}

int amap_del(amap_t *m, amap_val_t key)
{
    amap_key_t k;
    if (!key_prepare(m, key, &k))
        return -EINVAL;
    size_t i = find(m, &k);
    if (i == SIZE_MAX)
        return -ENOENT;
    erase_at(m, i);
    amap_after_mutation(m);
    return 0;
}

const char *amap_group_impl(void)
{
    return AMAP_GROUP_IMPL;
}

size_t amap_len(const amap_t *m)
{
    return m->len;
}

int amap_reserve(amap_t *m, size_t n)
{
    size_t cap = capacity_for(n);
    if (cap == 0)
        return -EINVAL;
    m->mods++;
    if (cap <= m->capacity && n <= m->len + m->growth_left)
        return 0;
    if (cap < m->capacity)
        cap = m->capacity;
    int rc = rebuild(m, cap) ? 0 : -ENOMEM;
    amap_after_mutation(m);
    return rc;
}

void amap_clear(amap_t *m)
{
    m->mods++;
    for (size_t i = 0; i < m->capacity; i++)
        if (!(m->ctrl[i] & CTRL_EMPTY)) {
            amap_drop_key(m, m->slots[i].key);
            amap_drop_value(m, m->slots[i].val);
        }
    if (m->capacity)
        memset(m->ctrl, CTRL_EMPTY, m->capacity);
    m->len = m->tombstones = 0;
    m->growth_left = m->capacity / 8 * 7;
    amap_after_mutation(m);
}

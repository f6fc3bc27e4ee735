/*
 * amap_internal.h - what the sources of stage 04 share, and nothing else
 * includes (its tests may).
 */
#ifndef SLABCRAFT_AMAP_INTERNAL_H
#define SLABCRAFT_AMAP_INTERNAL_H

#include "amap.h"
#include "amap_group_internal.h"
#include "hash.h"

/** Most slots a table may have: the 32 bits of hash a slot keeps for a
 *  string give 7 bits of tag and 25 bits of group. */
#define AMAP_MAX_CAPACITY ((size_t)1 << 29)

/** AMAP_MAGIC ^ the map's address marks a live map (amap_of()). */
#define AMAP_MAGIC UINT64_C(0x616d6170c0ffee11)

/** A key prepared for lookup: its bits as a slot stores them, its hash,
 *  and for a string its bytes. */
typedef struct amap_key {
    uint64_t bits;     /**< numbers and booleans: the slot's key; strings: unused */
    uint32_t h32;      /**< 32 bits of hash: tag = h32 & 0x7F, home group = h32 >> 7 */
    const char *str;   /**< AMAP_STR: the bytes */
    uint32_t len;      /**< AMAP_STR: their length */
} amap_key_t;

/** A string object in the arena: its length, then the bytes and a NUL. */
typedef struct amap_string {
    uint32_t len; /**< bytes, without the NUL */
    char bytes[]; /**< len bytes, then a NUL */
} amap_string_t;

/* The tag (control byte) of a hash. */
static inline uint8_t amap_tag(uint32_t h32)
{
    return (uint8_t)(h32 & 0x7F);
}

/* The home group of a hash. */
static inline size_t amap_home(const amap_t *m, uint32_t h32)
{
    return (size_t)(h32 >> 7) & m->group_mask;
}

/* The string object behind a handle the map holds. */
static inline const amap_string_t *amap_string(const amap_t *m, handle_t h)
{
    return arena_get(m->arena, h);
}

/* 32 bits of hash of a key's bits (numbers and booleans): the top half of
 * hash_u64(), whose bits are all equally good. */
static inline uint32_t amap_hash_bits(const amap_t *m, uint64_t bits)
{
    return (uint32_t)(hash_u64(bits, m->seed) >> 32);
}

/* The same for a string's bytes. */
uint32_t amap_hash_string(const amap_t *m, const char *p, size_t len);
/* Calls of amap_key_equal() on this thread, in builds without NDEBUG only:
 * the scorer of exercise 04-probe reads it. */
#ifndef NDEBUG
extern _Thread_local size_t amap_key_compares;
#define AMAP_KEY_COUNT() ((void)amap_key_compares++)
#else
#define AMAP_KEY_COUNT() ((void)0)
#endif

/* Does slot s hold key k?  Inline: every probe that matches a tag asks. */
static inline bool amap_key_equal(const amap_t *m, const amap_slot_t *s, const amap_key_t *k)
{
    AMAP_KEY_COUNT();
    if (m->key_type != AMAP_STR)
        return s->key == k->bits;
    if ((uint32_t)s->key != k->h32)
        return false; /* most mismatches end here, without reading the string */
    const amap_string_t *str = amap_string(m, (handle_t)(s->key >> 32));
    return str->len == k->len && memcmp(str->bytes, k->str, k->len) == 0;
}

/* The 32 bits of hash of the key in slot s. */
uint32_t amap_slot_hash(const amap_t *m, const amap_slot_t *s);
/* Frees or releases what a slot's key or value holds (strings, handles). */
void amap_drop_key(amap_t *m, uint64_t word);
void amap_drop_value(amap_t *m, uint64_t word);
/* The key (is_key) or value in a slot word as an amap_val_t. */
amap_val_t amap_unpack(const amap_t *m, uint8_t type, uint64_t word, bool is_key);
/* The key in slot s, prepared for lookup; and the slot a lookup of k finds
 * (SIZE_MAX: none). */
void amap_slot_key(const amap_t *m, const amap_slot_t *s, amap_key_t *k);
size_t amap_find(const amap_t *m, const amap_key_t *k);
/* Empties slot i, freeing what it holds (amap_del, amap_filter). */
void amap_erase_at(amap_t *m, size_t i);
/* Frees what every entry holds, and the table; the map is empty after. */
void amap_release_all(amap_t *m);
/* With AMAP_CHECKED, reports a map that amap_check() finds broken. */
void amap_after_mutation(const amap_t *m);
/* Reports misuse of m to the misuse handler (allocator "amap"). */
void amap_report(const amap_t *m, const char *kind, const char *msg);

#endif

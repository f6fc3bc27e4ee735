/**
 * @file addrmap.h
 * @brief A hash map from aligned block addresses to pointers: the side
 *        table an allocator uses to find a block's metadata from any
 *        pointer into it, without reading the block itself.
 *
 * Why a side table: blocks aligned to a large power of two all start at
 * addresses with the same low bits, so headers kept at their starts share
 * the same few cache sets, and an allocator that reads the header of a
 * random block on every free misses the cache on most of them.  This map's
 * slots are packed together in one array (16 bytes a slot), so the metadata
 * of a few thousand blocks stays in the first-level cache.  (TCMalloc's
 * pagemap and jemalloc's radix tree solve the same problem with a radix
 * tree over the address space.)
 *
 * Algorithm: open addressing with linear probing.  Keys are block
 * addresses; the home slot is the top bits of the key times 2^64 divided by
 * the golden ratio (Knuth's multiplicative hashing).  The map holds at most half its
 * slots, grows by doubling (memory from a page source, so it is counted and
 * capped like everything else), and deletes by shifting later entries back,
 * so there are no tombstones.  get is O(1) expected, a handful of
 * instructions and one cache line on a hit.
 *
 * Growth can fail; insert cannot: a caller calls addrmap_reserve() before
 * it creates what it will insert, so that a failure leaves nothing half
 * done.  Not thread-safe.
 */
#ifndef SLABCRAFT_ADDRMAP_H
#define SLABCRAFT_ADDRMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "page_source.h"

/** One slot: key 0 = empty. */
typedef struct addrmap_slot {
    uintptr_t key; /**< a block address, or 0 */
    void *val;     /**< what the block maps to; meaningful when key != 0 */
} addrmap_slot_t;

/** The map.  Zero it, or call addrmap_init(), before use. */
typedef struct addrmap {
    /* read by addrmap_get(): first, so they share a cache line */
    addrmap_slot_t *slots;       /**< cap slots; two static empty slots while cap == 0 */
    size_t mask;                 /**< cap - 1 (1 while cap == 0) */
    unsigned hshift;             /**< 64 - log2(cap): the top log2(cap) bits of a hash are its home (63 while cap == 0) */
    unsigned align_bits;         /**< log2 of the keys' alignment: those bits are zero in every key */
    size_t cap;                  /**< slots held from the source: 0 or a power of two >= ADDRMAP_MIN */
    size_t count;                /**< keys in the map, <= cap / 2 */
    const page_source_t *source; /**< where the slots come from */
} addrmap_t;

/** Slots of the first array the map acquires. */
#define ADDRMAP_MIN ((size_t)64)

/**
 * @brief Initialises an empty map; acquires nothing.
 * @param m      the map
 * @param align  the alignment of every key, a power of two
 * @param source where slot arrays come from
 */
void addrmap_init(addrmap_t *m, size_t align, const page_source_t *source);

/**
 * @brief Makes room for one more key, growing the slot array if needed.
 * @param m the map
 * @return true, or false (the map unchanged) if the source refused
 */
bool addrmap_reserve(addrmap_t *m);

/**
 * @brief Adds @p key -> @p val.
 * @pre addrmap_reserve() succeeded since the last insert; @p key is not in
 *      the map, is not 0 and is aligned as addrmap_init() said
 * @param m   the map
 * @param key the block address
 * @param val what it maps to
 */
void addrmap_insert(addrmap_t *m, uintptr_t key, void *val);

/**
 * @brief Removes @p key.
 * @pre @p key is in the map
 * @param m   the map
 * @param key the block address
 */
void addrmap_remove(addrmap_t *m, uintptr_t key);

/**
 * @brief Gives the slot array back to the source; the map is empty after.
 * @param m the map
 */
void addrmap_free(addrmap_t *m);

/** @brief The two static empty slots an empty map points at (internal). */
extern const addrmap_slot_t addrmap_empty_slots[2];

/**
 * @brief The home slot of @p key.
 * @param m   the map
 * @param key the block address
 * @return its slot index, < cap (0 while cap == 0)
 */
static inline size_t addrmap_home(const addrmap_t *m, uintptr_t key)
{
    /* Fibonacci hashing: the top bits of key * 2^64 / phi.  The key's zero
     * low bits need not be shifted out: for key = k * 2^a the product is
     * (k * G mod 2^(64-a)) * 2^a, whose top bits are those of a Fibonacci
     * hash of k. */
    return (size_t)(((uint64_t)key * 0x9E3779B97F4A7C15u) >> m->hshift);
}

/**
 * @brief What @p key maps to.  O(1) expected.
 * @param m   the map
 * @param key the block address (0 is never in the map)
 * @return the value, or NULL if @p key is not in the map
 */
static inline void *addrmap_get(const addrmap_t *m, uintptr_t key)
{
    for (size_t i = addrmap_home(m, key);; i = (i + 1) & m->mask) {
        const addrmap_slot_t *e = &m->slots[i];
        if (e->key == key)
            return e->val;
        if (e->key == 0)
            return NULL;
    }
}

#endif

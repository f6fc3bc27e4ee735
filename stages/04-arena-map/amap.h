/**
 * @file amap.h
 * @brief Stage 04: the arena map.  A Swiss-table hash map whose table, keys
 *        and values all live in a stage-03 arena, for maps that collect
 *        per-request attributes and are then dropped in one call.
 *
 * Layout: open addressing over a table of @c capacity slots (a power of
 * two, at least AMAP_GROUP), in groups of AMAP_GROUP = 16.  Each slot has a
 * control byte and 16 bytes of entry:
 * @verbatim
   ctrl:  | c0 c1 ... c15 | c16 ... c31 | ...        one byte per slot:
                                                     0x80 empty, 0xFE deleted,
                                                     0x00..0x7F full: 7 bits of the hash
   slots: | key (8) value (8) | key value | ...      16 bytes per slot
   @endverbatim
 * A key or value takes 8 bytes: a number or a boolean is its bits; a
 * string is the 32-bit handle of a copy of its bytes in the arena and 32
 * bits of its hash, so most mismatches are rejected without reading the
 * string; a handle value is the handle.  The control bytes and the slots
 * are one arena object.
 *
 * Lookup: the hash (common/hash.h) names a home group (its top bits) and a
 * 7-bit tag (its low bits).  The 16 control bytes of a group are compared
 * with the tag at once (SSE2 on x86-64, or SWAR: two 8-byte words with
 * bit tricks; both are always built and give the same answers); only the
 * slots whose tag matches have their key compared.  A group with an empty
 * byte ends a search; otherwise the next group is probed (triangular
 * probing over groups, which visits every group once).  At most 7/8 of the
 * slots are full or deleted, so a successful lookup visits about 1.1
 * groups even at the highest load (amap_stats() measures it for the keys
 * present).
 *
 * Deletion marks a slot deleted (a tombstone) only when its group has no
 * empty byte (a search may have gone past it); otherwise empty.  Tombstones
 * are reused by inserts and cleared when the table is rebuilt, which
 * happens when an insert finds no room left (live entries and tombstones
 * at 7/8 of the slots): the table doubles if at least 7/16 of its slots
 * (half the maximum load) hold live entries, and is rebuilt at the same
 * size otherwise.
 *
 * Ownership: string keys and values are copied into the arena at
 * amap_put(), and freed when they are replaced or deleted, or the map is
 * cleared or destroyed.  A handle value holds one reference (arena_share()
 * at put), given back at the same moments.  A map made by amap_new() is
 * itself an arena object: its last release runs a stage-03 cleanup that
 * gives back everything it holds, so a tree of maps goes away by releasing
 * its root, iteratively.
 *
 * Errors: 0 or a negative errno (-EINVAL for a bad type, NaN key, NULL
 * string with a length, a length above AMAP_MAX_STRING; -ENOMEM when the
 * arena refuses, with every entry as it was, though the table may have
 * grown; -ESTALE for a handle value that is not live, -EOVERFLOW for one
 * at ARENA_MAX_REFS).  Misuse that AMAP_CHECKED catches (a mutation during
 * iteration, amap_destroy() of a map from amap_new()) goes to the misuse
 * handler with allocator "amap".
 *
 * Not thread-safe.  An amap_t must not be moved after amap_init().
 *
 * @see @ref ch04_amap "the chapter" for the why and the measurements.
 */
#ifndef SLABCRAFT_AMAP_H
#define SLABCRAFT_AMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "arena.h"

/** The types of keys and values. */
typedef enum amap_type {
    AMAP_I64 = 1, /**< int64_t, in .i64 */
    AMAP_U64,     /**< uint64_t, in .u64 */
    AMAP_F64,     /**< double, in .f64; as a key -0.0 equals 0.0, NaN is refused */
    AMAP_BOOL,    /**< bool, in .b */
    AMAP_STR,     /**< bytes, in .str and .len (copied into the arena) */
    AMAP_HANDLE,  /**< a stage-03 handle, in .h (values only; the map holds a reference) */
} amap_type_t;

/** A key or a value: 16 bytes, passed in registers. */
typedef struct amap_val {
    uint32_t type; /**< an amap_type_t; 0 is no type, which every call refuses */
    uint32_t len;  /**< AMAP_STR: the length in bytes */
    union {
        int64_t i64;     /**< AMAP_I64 */
        uint64_t u64;    /**< AMAP_U64 */
        double f64;      /**< AMAP_F64 */
        bool b;          /**< AMAP_BOOL */
        handle_t h;      /**< AMAP_HANDLE */
        const char *str; /**< AMAP_STR: the bytes (not necessarily NUL-terminated on input; always on output) */
    };
} amap_val_t;

/** Longest string key or value: lengths are 32 bits. */
#define AMAP_MAX_STRING ((size_t)UINT32_MAX - 1)
/** Slots per group. */
#define AMAP_GROUP 16u

/** Flags for amap_config::flags. */
enum amap_flags {
    AMAP_CHECKED = 1u << 0, /**< amap_check() after every mutating call, and misuse checks */
};

/** @brief How to build a map; zero every field you do not set. */
typedef struct amap_config {
    amap_type_t key_type;   /**< AMAP_I64, AMAP_U64, AMAP_F64, AMAP_BOOL or AMAP_STR */
    amap_type_t value_type; /**< any amap_type_t */
    size_t capacity;        /**< entries to hold before the first growth; 0 = grow from empty */
    unsigned flags;         /**< AMAP_CHECKED */
} amap_config_t;

/** @brief One slot's entry: 8 bytes of key, 8 of value (private). */
typedef struct amap_slot {
    uint64_t key; /**< the key's bits (see amap.h's layout) */
    uint64_t val; /**< the value's bits */
} amap_slot_t;

/** @brief A map.  Defined here so it can live on the stack; read it through the functions. */
typedef struct amap {
    /* hot: read by every lookup */
    uint8_t *ctrl;         /**< capacity control bytes, then the slots; NULL while capacity == 0 */
    amap_slot_t *slots;    /**< capacity slots, after the control bytes */
    size_t group_mask;     /**< groups - 1 (0 while capacity == 0) */
    uint64_t seed;         /**< the hash seed, per map */
    arena_t *arena;        /**< where the table, the strings and the handles live */
    uint8_t key_type;      /**< an amap_type_t */
    uint8_t value_type;    /**< an amap_type_t */
    uint8_t flags;         /**< AMAP_CHECKED */
    bool in_arena;         /**< made by amap_new(): lives in the arena, dies at its last release */
    /* counts */
    size_t capacity;       /**< slots: 0, or a power of two >= AMAP_GROUP */
    size_t len;            /**< full slots */
    size_t tombstones;     /**< deleted slots */
    size_t growth_left;    /**< slots that may still become full before a rebuild: capacity * 7/8 - len - tombstones */
    handle_t table;        /**< the arena object holding ctrl and slots; HANDLE_NULL while capacity == 0 */
    size_t key_bytes;      /**< arena bytes of the strings held as keys */
    size_t value_bytes;    /**< arena bytes of the strings held as values */
    uint64_t mods;         /**< mutations that may move entries or change values (all but deletions), for AMAP_CHECKED's iteration check */
    uint64_t magic;        /**< AMAP_MAGIC ^ the map's address while the map is alive; 0 after destroy */
} amap_t;

/** @brief An iterator: the map and the next slot to look at. */
typedef struct amap_iter {
    const amap_t *m; /**< the map */
    size_t pos;      /**< low 40 bits: next slot; high 24 bits: the map's mods when it began (AMAP_CHECKED) */
} amap_iter_t;

/** @brief Counters and shape, as amap_stats() reports them. */
typedef struct amap_stats {
    size_t len;          /**< entries */
    size_t capacity;     /**< slots (len * 8 <= capacity * 7 always) */
    size_t tombstones;   /**< deleted slots not yet reused */
    double mean_probe;   /**< groups visited by a successful lookup, counting from 1, averaged over the entries; 0 when empty */
    double max_probe;    /**< the most groups any entry's lookup visits; 0 when empty */
    size_t table_bytes;  /**< arena bytes of the table */
    size_t key_bytes;    /**< arena bytes of the strings the map references as keys */
    size_t value_bytes;  /**< arena bytes of the strings the map references as values */
} amap_stats_t;

/** A filter's verdict on one entry: true keeps it. */
typedef bool amap_keep_fn(amap_val_t key, amap_val_t value, void *ctx);

/**
 * @brief A 64-bit signed integer as a key or value.
 * @param v the number
 * @return the tagged value
 */
static inline amap_val_t amap_i64(int64_t v)
{
    return (amap_val_t){.type = AMAP_I64, .i64 = v};
}
/**
 * @brief A 64-bit unsigned integer as a key or value.
 * @param v the number
 * @return the tagged value
 */
static inline amap_val_t amap_u64(uint64_t v)
{
    return (amap_val_t){.type = AMAP_U64, .u64 = v};
}
/**
 * @brief A double as a key or value.
 * @param v the number (as a key: not NaN; -0.0 and 0.0 are one key)
 * @return the tagged value
 */
static inline amap_val_t amap_f64(double v)
{
    return (amap_val_t){.type = AMAP_F64, .f64 = v};
}
/**
 * @brief A boolean as a key or value.
 * @param v true or false
 * @return the tagged value
 */
static inline amap_val_t amap_bool(bool v)
{
    return (amap_val_t){.type = AMAP_BOOL, .b = v};
}
/**
 * @brief A handle as a value (the map takes its own reference).
 * @param h a live handle, or HANDLE_NULL (a null reference)
 * @return the tagged value
 */
static inline amap_val_t amap_handle(handle_t h)
{
    return (amap_val_t){.type = AMAP_HANDLE, .h = h};
}
/**
 * @brief @p len bytes at @p p as a string.
 * @param p   the bytes (may be NULL when @p len is 0)
 * @param len their length; above AMAP_MAX_STRING gives type 0, which every call refuses
 * @return the tagged value
 */
static inline amap_val_t amap_str(const char *p, size_t len)
{
    if (len > AMAP_MAX_STRING)
        return (amap_val_t){.type = 0};
    return (amap_val_t){.type = AMAP_STR, .len = (uint32_t)len, .str = p};
}
/**
 * @brief A NUL-terminated string.
 * @param s the string; NULL gives type 0
 * @return the tagged value
 */
static inline amap_val_t amap_cstr(const char *s)
{
    return s ? amap_str(s, strlen(s)) : (amap_val_t){.type = 0};
}

/**
 * @brief Builds an empty map in @p a.
 * @param m   the map to initialise (not moved afterwards)
 * @param a   the arena its table, strings and handles live in
 * @param cfg the types, the first capacity, the flags
 * @return 0; -EINVAL for NULL arguments, a key type that is not I64, U64,
 *         F64, BOOL or STR, an unknown value type, unknown flags or a
 *         capacity too big; -ENOMEM if the arena refuses the table for
 *         @c capacity (nothing held then).
 */
int amap_init(amap_t *m, arena_t *a, const amap_config_t *cfg);

/**
 * @brief A map living in the arena: its handle holds one reference, and its
 *        last release destroys it (never amap_destroy() it).
 * @param a   the arena the map and everything it holds live in
 * @param cfg as for amap_init()
 * @return the handle; HANDLE_NULL with errno as amap_init(), or from arena_alloc()
 */
handle_t amap_new(arena_t *a, const amap_config_t *cfg);

/**
 * @brief The map behind a handle from amap_new().
 * @param a the arena
 * @param h any value
 * @return the map, or NULL if @p h is stale or does not name a map
 */
amap_t *amap_of(const arena_t *a, handle_t h);

/**
 * @brief Inserts or replaces.  Strings are copied; a handle value is shared.
 * @param m     the map
 * @param key   a key of the map's key type
 * @param value a value of the map's value type
 * @return 1 inserted, 0 replaced (the old value freed or released); -EINVAL
 *         for a wrong type or a bad key; -ESTALE for a handle value that is
 *         not live (checked before anything else can fail), -EOVERFLOW
 *         for one at ARENA_MAX_REFS; -ENOMEM.  On every error each entry
 *         is as it was (the table may have grown).
 */
int amap_put(amap_t *m, amap_val_t key, amap_val_t value);

/**
 * @brief Looks @p key up.
 * @param m   the map
 * @param key a key of the map's key type
 * @param out the value, if found: strings point into the arena,
 *            NUL-terminated, valid until the entry changes or the map dies
 * @return 0 found; -ENOENT; -EINVAL for a bad key
 */
int amap_get(const amap_t *m, amap_val_t key, amap_val_t *out);

/**
 * @brief Is @p key in the map?
 * @param m   the map
 * @param key any value
 * @return true if present; false if absent or not a valid key
 */
bool amap_has(const amap_t *m, amap_val_t key);

/**
 * @brief Deletes @p key, freeing or releasing what its entry held.  Never
 *        moves another entry, so it is allowed during iteration.
 * @param m   the map
 * @param key a key of the map's key type
 * @return 0, -ENOENT, -EINVAL
 */
int amap_del(amap_t *m, amap_val_t key);

/**
 * @brief Entries in the map.
 * @param m the map
 * @return the count
 */
size_t amap_len(const amap_t *m);

/**
 * @brief Makes room for @p n entries without growth.
 * @param m the map
 * @param n entries to hold
 * @return 0; -EINVAL if @p n is too big; -ENOMEM, the map unchanged
 */
int amap_reserve(amap_t *m, size_t n);

/**
 * @brief Deletes every entry (freeing and releasing what they held); the
 *        capacity stays.
 * @param m the map
 */
void amap_clear(amap_t *m);

/**
 * @brief An iterator at the first entry.
 * @param m the map
 * @return the iterator
 */
amap_iter_t amap_iter(const amap_t *m);

/**
 * @brief The next entry in table order.  amap_del() between calls is
 *        allowed (entries never move on deletion); any other mutation is
 *        misuse, reported with AMAP_CHECKED.
 * @param it    the iterator
 * @param key   the entry's key, or NULL
 * @param value the entry's value, or NULL
 * @return false when every entry has been visited
 */
bool amap_next(amap_iter_t *it, amap_val_t *key, amap_val_t *value);

/**
 * @brief Puts every entry of @p src into @p dst (a join).
 * @param dst       the map that receives
 * @param src       the map that gives (unchanged)
 * @param overwrite replace entries dst already has (else keep dst's)
 * @return entries inserted or replaced; -EINVAL if the types or the arenas differ;
 *         -ENOMEM, dst keeping what was merged so far, each entry whole.
 *         @p dst == @p src: 0.
 */
int amap_merge(amap_t *dst, const amap_t *src, bool overwrite);

/**
 * @brief Calls @p keep once per entry and deletes the entries it rejects.
 * @param m    the map
 * @param keep the verdict; it must not change the map
 * @param ctx  passed to @p keep
 * @return how many were deleted
 */
size_t amap_filter(amap_t *m, amap_keep_fn *keep, void *ctx);

/**
 * @brief Frees everything the map holds and the table.  Not for maps from
 *        amap_new() (release their handle).
 *
 * Destroying (or resetting) the arena instead frees a map made with
 * amap_init() at once, with everything else; the map must not be used or
 * destroyed after that.  A map made with amap_new() is not free to drop
 * that way: its cleanup walks its table to release what it holds.
 * @param m the map; a zeroed or destroyed one is a no-op
 */
void amap_destroy(amap_t *m);

/**
 * @brief Fills @p out.  O(capacity times the probe length): it measures
 *        every entry's probe.
 * @param m   the map
 * @param out where the figures go
 */
void amap_stats(const amap_t *m, amap_stats_t *out);

/**
 * @brief Which group match this build of the library uses.
 * @return "sse2" (x86-64, unless built with -DAMAP_FORCE_SWAR) or "swar"
 */
const char *amap_group_impl(void);

/**
 * @brief Checks every invariant of the map: control bytes, counts, the
 *        strings and handles it holds, and that each key is found again.
 * @param m the map
 * @return the number of broken invariants; 0 = healthy
 */
size_t amap_check(const amap_t *m);

#endif

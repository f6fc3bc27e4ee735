/**
 * @file arena.h
 * @brief Stage 03: handles and refcounted sharing.  Objects named by 32-bit
 *        handles that resolve to NULL once the object is gone, never to
 *        whatever reused its memory.
 *
 * A pointer says where an object is, never whether it is still the object
 * you meant.  A handle is a slot index plus a generation:
 * @verbatim
   handle_t (32 bits):  | generation (32 - index_bits) | slot index (index_bits) |
   @endverbatim
 * The slot says where the object is now, how big it is, and which handle
 * names it.  arena_get() reads the slot and returns the object only if the
 * slot's handle is the one asked about: when an object is freed its slot
 * forgets the handle, and the next object in the slot gets the next
 * generation, so every old handle stays stale.  A slot whose generation
 * would wrap is retired (never used again), so a stale handle stays stale
 * for the arena's whole life, arena_reset() included.  Slot 0 is never
 * used, so the null handle (0) names nothing.
 *
 * The table of slots is a directory of pages: page 0 and page 1 hold
 * ARENA_PAGE0_SLOTS slots each, and each later page as many as all the
 * pages before it, so the table doubles page by page and 2^index_bits slots
 * fill pages 0 to index_bits - 6 exactly.  The directory is inside arena_t,
 * so a resolve is two dependent loads before the object (the page pointer,
 * the slot), and growing the table adds a page without moving a slot or
 * touching the slots already there.  Free slots are reused last-freed first.
 * @verbatim
   page 0: | slot 0 (never used) | slot 1 | ... | slot 63  | sizes[0..63]    |
   page 1: | slot 64  | ...                     | slot 127 | sizes[64..127]  |
   page 2: | slot 128 | ...                     | slot 255 | sizes[128..255] |
   page k: slots 2^(k+5) .. 2^(k+6) - 1, then their sizes
   slot (16 bytes): object pointer | handle that names it | count word:
                    reference count (30 bits), interned, has cleanups
   size (4 bytes):  bytes asked for
   @endverbatim
 * The directory keeps, for page k, the address of its slot 0 minus
 * 16 * (the index of its first slot), as an integer: so slot i is at that
 * base plus 16 * i, whatever page holds it, and finding it takes the page
 * number (the top bit of i | 32, less 5) and one multiply-add.
 *
 * Generations: a slot gives out 2^(32 - index_bits) - 1 generations, then
 * retires, so an arena gives out at most about 2^32 handles in its life
 * (slots times generations), arena_reset() included; after that
 * arena_alloc() fails with ENOSPC.  A fresh arena (arena_destroy() then
 * arena_init()) starts again.  That is the price of a stale handle never
 * resolving: a 32-bit name can be used only once.
 *
 * Costs, said plainly: 20 bytes per slot ever used (the 16-byte slot and
 * its 4-byte size), whether it holds an object, is free or is retired;
 * the objects themselves live in a stage-02 slabs_t with no per-object
 * header.  Interned strings cost 8 bytes each in the intern set (a table
 * at most 3/4 full), cleanups 32 bytes each plus a side-table slot.  All of
 * it comes from the configured page source and counts toward
 * arena_stats_t::bytes_from_source and the slabs' @c max_bytes.
 *
 * Ownership: arena_alloc() and arena_intern() give the caller one
 * reference; arena_share() adds one; arena_release() gives one back, and
 * the last release runs the object's cleanups (last registered first) and
 * frees it.  A handle kept without a reference is a weak handle: it
 * resolves while someone else keeps the object alive, then to NULL, and
 * arena_share() on it fails with -ESTALE once the object is gone.
 *
 * Errors: functions returning a status give 0 (or a count) or a negative
 * errno; functions returning a handle give HANDLE_NULL and set errno.
 * Nothing is printed on an ordinary error.  Releasing a handle that is not
 * live is a double release: it goes to the misuse handler (misuse.h) with
 * allocator "arena" and kind "stale-handle".
 *
 * Not thread-safe: one arena_t belongs to one thread at a time, and must
 * not be moved or copied after arena_init() (its slabs point into it).
 *
 * @see @ref ch03_handles "the chapter" for the why and the measurements.
 */
#ifndef SLABCRAFT_ARENA_H
#define SLABCRAFT_ARENA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "addrmap.h"
#include "page_source.h"
#include "pool.h"
#include "slabs.h"

/** A handle: (generation << index_bits) | slot index.  0 is HANDLE_NULL. */
typedef uint32_t handle_t;

/** The null handle: never names an object. */
#define HANDLE_NULL ((handle_t)0)

/** Flags for arena_config::flags. */
enum arena_flags {
    ARENA_ZERO = 1u << 0,        /**< objects come zeroed (resize: the new bytes too) */
    ARENA_CHECKED = 1u << 1,     /**< the slabs underneath are checked too (SLABS_CHECKED); arena_check() also rehashes interned bytes */
    ARENA_LEAK_REPORT = 1u << 2, /**< arena_destroy() prints arena_report_live() to stderr when objects are live */
};

/** index_bits when arena_config::index_bits is 0. */
#define ARENA_DEFAULT_INDEX_BITS 20u
/** Fewest index bits accepted. */
#define ARENA_MIN_INDEX_BITS 8u
/** Most index bits accepted (leaving 4 bits: 15 generations per slot). */
#define ARENA_MAX_INDEX_BITS 28u
/** Slots in pages 0 and 1 of the table; page k >= 1 holds ARENA_PAGE0_SLOTS << (k - 1). */
#define ARENA_PAGE0_SLOTS 64u
/** Pages the directory can hold: enough for 2^ARENA_MAX_INDEX_BITS slots. */
#define ARENA_MAX_PAGES 23u
/** Largest object, in bytes (the slot keeps sizes in 32 bits). */
#define ARENA_MAX_SIZE ((size_t)UINT32_MAX)
/** Largest reference count; arena_share() beyond it is -EOVERFLOW. */
#define ARENA_MAX_REFS ((1u << 30) - 1)

/**
 * @brief One slot of the handle table (16 bytes).
 *
 * Exposed so that arena_get() can be inlined; callers never read it.
 */
typedef struct arena_slot {
    void *obj;       /**< live or dying: the object; free or retired: NULL */
    uint32_t handle; /**< live: the handle that names the object.  Otherwise the index bits link to the next slot of a list (never the slot's own index, so no handle matches it) and the generation bits hold: free, the generation the next object will get (>= 2); dying, the object's.  Retired: 0 */
    uint32_t word;   /**< live: reference count (bits 0-29, >= 1), interned (bit 30), has cleanups (bit 31); dying: count 0 and the flags; free or retired: 0 */
} arena_slot_t;

/** @brief The intern set: open addressing over handles and cached hashes (private). */
typedef struct arena_intern_set {
    struct arena_intern_entry *tab; /**< cap entries from the source, or NULL while cap == 0 */
    uint32_t cap;                   /**< 0 or a power of two >= 16 */
    uint32_t count;                 /**< entries, <= cap * 3 / 4 */
    uint64_t seed;                  /**< the hash seed, chosen at arena_init() */
} arena_intern_set_t;

/** @brief How to build an arena; zero every field you do not set. */
typedef struct arena_config {
    slabs_config_t slabs;  /**< the stage-02 allocator the objects live in; zeroed = its defaults.  Its max_bytes caps everything the arena holds, its source gives every byte */
    unsigned index_bits;   /**< bits naming the slot, ARENA_MIN_INDEX_BITS..ARENA_MAX_INDEX_BITS; the rest count generations; 0 = 20 */
    uint32_t max_handles;  /**< cap on slots ever used (live + free + retired), <= 2^index_bits - 1; 0 = all that index_bits allow */
    unsigned flags;        /**< ARENA_ZERO | ARENA_CHECKED | ARENA_LEAK_REPORT */
} arena_config_t;

/**
 * @brief A function run when an object dies (see arena_on_free()).
 * @param obj  the object, still readable
 * @param size its size in bytes, as arena_size() gave it
 * @param ctx  the value given to arena_on_free()
 */
typedef void arena_cleanup_fn(void *obj, size_t size, void *ctx);

/** @brief Counters, as arena_stats() reports them. */
typedef struct arena_stats {
    size_t live;               /**< objects with a reference count > 0 */
    size_t slots;              /**< slots that hold an object (live, or dying while its cleanups run) */
    size_t free_slots;         /**< slots on the free list, ready for reuse */
    size_t retired;            /**< slots whose generations ran out: never used again */
    size_t interned;           /**< live interned strings */
    size_t intern_hits;        /**< arena_intern() calls answered by an existing string, since init */
    size_t cleanups;           /**< registered cleanups not yet run */
    size_t bytes_from_source;  /**< slabs + handle table + intern set + cleanup records */
} arena_stats_t;

/** Allocates @p size bytes aligned to @p align from @p s, or NULL with errno
 *  (stage 05's slabs_alloc_aligned() is one). */
typedef void *(*arena_place_fn)(slabs_t *s, size_t size, size_t align);

/**
 * @brief An arena.  Defined here so it can live on the stack and so that
 *        arena_get() inlines; read it through the functions, never write it.
 *
 * Invariants (checked by arena_check()): 1 <= used <= capacity; every slot
 * in [1, used) is exactly one of live, dying, free (on the free list) or
 * retired; used - 1 == slots holding an object + free_count + retired;
 * live objects == slots holding an object - held_dead; free_count ==
 * length of the free list;
 * the intern set holds exactly the live interned objects; cleanups ==
 * records in the cleanup map; bytes_from_source <= max_bytes when capped.
 */
typedef struct arena {
    /* hot: read by arena_get(), arena_alloc() and arena_release() */
    uint32_t index_mask;   /**< 2^index_bits - 1: the slot bits of a handle */
    uint32_t used;         /**< slots ever used, slot 0 included; slots [used, capacity) are fresh; 0 until page 0 exists */
    uint32_t free_head;    /**< last-freed free slot, 0 = none; linked through the slots' handle index bits */
    bool resetting;        /**< arena_reset() is running cleanups: releases only count down */
    bool draining;         /**< a release is running cleanups: nested releases queue theirs */
    size_t free_count;     /**< slots on the free list */
    uintptr_t slot_base[ARENA_MAX_PAGES]; /**< page k's slot 0 address, less 16 * its first index (see arena_slot_()); 0 past the last page */
    uintptr_t size_base[ARENA_MAX_PAGES]; /**< page k's sizes, less 4 * its first index: slot i's size is at size_base[k] + 4 * i; 0 past the last page */

    /* the table */
    unsigned index_bits;   /**< from the config, 8..28 */
    uint32_t gen_max;      /**< last generation: 2^(32 - index_bits) - 1 */
    uint32_t max_slots;    /**< cap on used (slot 0 included): max_handles + 1 */
    uint32_t capacity;     /**< slots in the pages held: 0, or 32 << n_pages */
    unsigned n_pages;      /**< pages held */
    uint32_t dying_head;   /**< slots whose cleanups are waiting to run, 0 = none; linked the same way */
    unsigned flags;        /**< ARENA_ZERO | ARENA_CHECKED | ARENA_LEAK_REPORT */
    size_t retired;        /**< retired slots */
    size_t held_dead;      /**< objects with count 0 whose memory is still held: on the dying list or having their cleanups run, or counted down during arena_reset(); live objects are the slots in use less these */

    /* where the objects and the metadata live */
    slabs_t slabs;         /**< the objects */
    pool_t records;        /**< cleanup records, 32 bytes each */
    addrmap_t cleanup_map; /**< slot address -> its newest cleanup record */
    addrmap_t placed;      /**< slot address -> (handle << 8 | log2 align) of the objects arena_alloc_placed() made since the last reset; an entry whose handle is not the slot's live one is stale and ignored */
    arena_place_fn place;  /**< the function that placed them (one per arena); NULL until the first */
    size_t cleanups;       /**< records in the map */
    arena_intern_set_t intern; /**< the interned strings */
    size_t intern_hits;    /**< arena_intern() calls answered by an existing string */

    /* the page source every part uses: counts and caps, then forwards */
    page_source_t source;          /**< given to slabs, records and maps; ctx is this arena */
    const page_source_t *upstream; /**< the configured source */
    size_t max_bytes;              /**< cap on bytes_from_source; 0 = none */
    size_t bytes_from_source;      /**< bytes held from upstream now */
} arena_t;

/**
 * @brief Builds an empty arena.  Acquires the slabs' metadata; the handle
 *        table's first page comes with the first object.
 * @param a   the arena to initialise
 * @param cfg the configuration (copied)
 * @return 0; -EINVAL, with nothing acquired, for a NULL argument,
 *         index_bits outside 8..28, max_handles above 2^index_bits - 1,
 *         unknown flags, or a slabs configuration slabs_init() rejects;
 *         -ENOMEM if the source refuses.
 * @post on failure @p a is zeroed (arena_destroy() on it is a no-op).
 */
int arena_init(arena_t *a, const arena_config_t *cfg);

/**
 * @brief A new object of @p size bytes, with one reference.
 * @param a    the arena
 * @param size bytes, 1..ARENA_MAX_SIZE
 * @return its handle; HANDLE_NULL with errno EINVAL for size 0 or above
 *         ARENA_MAX_SIZE, ENOMEM when memory is refused, ENOSPC when no slot
 *         is left (max_handles reached, or the index bits are used up).
 *         On failure nothing changes.
 */
handle_t arena_alloc(arena_t *a, size_t size);

/**
 * @brief A new object, with one reference, whose memory @p place takes from
 *        the arena's slabs: for objects that need more than the slabs'
 *        default alignment (stage 05's arena_alloc_aligned() calls it with
 *        slabs_alloc_aligned()).
 *
 * The arena remembers @p align for the object (an entry of 16 bytes in a
 * side table, kept until the slot is reused by another placed object or
 * the arena is reset), so arena_resize() of it calls @p place again with the
 * same alignment.  Everything else treats it like any object.  An arena
 * uses one place function: a second, different one is refused.
 * @param a     the arena
 * @param size  bytes, 1..ARENA_MAX_SIZE
 * @param align a power of two, passed to @p place (which judges it)
 * @param place the function that allocates the memory
 * @return its handle; HANDLE_NULL with errno EINVAL (a NULL argument, size 0
 *         or above ARENA_MAX_SIZE, an @p align that is not a power of two
 *         or above 2^56, another place function than the first), or what
 *         @p place said (EINVAL, ENOMEM), ENOMEM when the side table cannot
 *         grow, ENOSPC when no slot is left.  On failure nothing changes.
 */
handle_t arena_alloc_placed(arena_t *a, size_t size, size_t align, arena_place_fn place);

/** @cond INTERNAL */
// [slot]
/* The page that holds slot i: page 0 holds the indexes below 64, page
 * k >= 1 those whose top bit is bit k + 5; so k is the top bit of i | 32,
 * less 5 (31 - clz, less 5). */
static inline unsigned arena_page_(uint32_t i)
{
    return 26u - (unsigned)__builtin_clz(i | 32u);
}

/* The slot of index i < a->capacity: its page's base, biased by the first
 * index of the page, plus 16 * i. */
static inline arena_slot_t *arena_slot_(const arena_t *a, uint32_t i)
{
    return (arena_slot_t *)(a->slot_base[arena_page_(i)] + (uintptr_t)i * sizeof(arena_slot_t));
}
// [slot]
/** @endcond */

// [get]
/**
 * @brief The object @p h names, or NULL.  O(1), no hashing: two dependent
 *        loads (the page, the slot) and one comparison.
 * @param a the arena
 * @param h any value: null, stale, forged and retired handles give NULL
 * @return the object, valid until it is freed or resized
 */
static inline void *arena_get(const arena_t *a, handle_t h)
{
    uint32_t i = h & a->index_mask;
    if (i >= a->used)
        return NULL; /* never used: no page to read */
    const arena_slot_t *s = arena_slot_(a, i);
    return s->handle == h ? s->obj : NULL;
}
// [get]

/**
 * @brief Bytes asked for by @p h's object.
 * @param a the arena
 * @param h any value
 * @return the size (an interned string's length), or 0 if @p h is not live
 */
size_t arena_size(const arena_t *a, handle_t h);

/**
 * @brief Resizes @p h's object; the handle stays valid, the object may move.
 * @param a    the arena
 * @param h    a live handle
 * @param size new size, 1..ARENA_MAX_SIZE; with ARENA_ZERO the new bytes are zero
 * @return 0; -ESTALE if @p h is not live; -EINVAL for a bad size or an
 *         interned object; -ENOMEM, the object untouched.
 */
int arena_resize(arena_t *a, handle_t h, size_t size);

/**
 * @brief Adds a reference to @p h's object.
 * @param a the arena
 * @param h any value
 * @return 0; -ESTALE if @p h is not live (normal for a weak handle whose
 *         object died; nothing is reported); -EOVERFLOW at ARENA_MAX_REFS,
 *         nothing changed.
 */
int arena_share(arena_t *a, handle_t h);

/**
 * @brief Gives back one reference to @p h's object.  The last one runs the
 *        object's cleanups, last registered first, then frees it; cleanups
 *        that release other objects free them too, iteratively (a chain of
 *        any length uses constant C stack).
 * @param a the arena
 * @param h a live handle
 * @return references left (0: the object is gone); -ESTALE for a handle that
 *         is not live, after reporting it to the misuse handler (kind
 *         "stale-handle") if the handler returns.
 */
int arena_release(arena_t *a, handle_t h);

/**
 * @brief The reference count of @p h's object.
 * @param a the arena
 * @param h any value
 * @return its count, or 0 if @p h is not live
 */
uint32_t arena_refcount(const arena_t *a, handle_t h);

/**
 * @brief The one shared object holding these bytes.
 *
 * Equal bytes give the same handle, with one more reference per call.  The
 * object holds the bytes and a NUL after them; arena_size() gives @p len.
 * Interned bytes must not be changed (arena_check() with ARENA_CHECKED
 * finds it), and arena_resize() refuses them.
 * @param a     the arena
 * @param bytes the bytes (may be NULL when @p len is 0)
 * @param len   their length, 0..ARENA_MAX_SIZE - 1 (0: the empty string)
 * @return the handle; HANDLE_NULL with errno EINVAL (NULL bytes with len >
 *         0, len too big), EOVERFLOW (the string has ARENA_MAX_REFS
 *         references), ENOMEM or ENOSPC as arena_alloc().
 */
handle_t arena_intern(arena_t *a, const void *bytes, size_t len);

/**
 * @brief Registers @p fn to run once when @p h's object dies: at its last
 *        release, or at arena_reset()/arena_destroy().  Any number per
 *        object; they run last registered first, before the memory is freed.
 * @param a   the arena
 * @param h   a live handle
 * @param fn  the function, called as fn(object, size, ctx)
 * @param ctx passed to @p fn
 * @return 0; -ESTALE if @p h is not live; -EINVAL if @p fn is NULL;
 *         -ENOMEM, nothing registered.
 */
int arena_on_free(arena_t *a, handle_t h, arena_cleanup_fn *fn, void *ctx);

/**
 * @brief Prints one line per live object and nothing else, for example
 *        "12.3 size 5 refs 2 interned 68 65 6c 6c 6f |hello|": the handle
 *        as slot.generation, the size, the reference count, "interned" or
 *        "-", then the first 16 bytes in hex and as text (non-printable
 *        bytes as '.'), with "..." after when the object is longer.
 * @param a   the arena
 * @param out where to print
 * @return the number of lines printed (the live objects)
 */
size_t arena_report_live(const arena_t *a, FILE *out);

/**
 * @brief Runs every pending cleanup (each exactly once, while every live
 *        object is still readable; releases from them only count down),
 *        then frees every object.  Every handle given out becomes stale.
 *        O(slots used), plus the slabs' reset.  Must not be called from a
 *        cleanup.
 * @param a the arena
 */
void arena_reset(arena_t *a);

/**
 * @brief arena_reset(), then everything back to the source.  A zeroed arena
 *        (after a failed init, or destroyed already) is a no-op.
 * @param a the arena
 */
void arena_destroy(arena_t *a);

/**
 * @brief Fills @p out with the arena's counters.
 * @param a   the arena
 * @param out where they go
 */
void arena_stats(const arena_t *a, arena_stats_t *out);

/**
 * @brief Checks every invariant of the arena and of its slabs.
 * @param a the arena
 * @return the number of broken invariants; 0 = healthy
 */
size_t arena_check(const arena_t *a);

#endif

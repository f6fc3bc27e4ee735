/**
 * @file slabs.h
 * @brief Stage 02: slab classes.  Objects of any size, freed without a size,
 *        from slabs of one size class each.
 *
 * A request of @c size bytes is served from the smallest class whose chunk
 * size holds it.  Each class keeps its objects in slabs: a slab is one block
 * of @c slab_size bytes (a power of two), aligned to its own size, holding
 * equal chunks of that one class.  The chunks of a slab are managed by a
 * stage-01 pool (pool.h) that owns exactly that one block, so the free list,
 * the carving and the checked mode of stage 01 are reused, not repeated.
 *
 * Freeing needs no size: masking a pointer with ~(slab_size - 1) gives the
 * start of its slab, and a side table (common/addrmap.h) maps that address
 * to the slab's class; the slab's descriptor (its stage-01 pool, its list
 * links) is named by the stage-01 header at the slab's start.
 * The table is packed, so finding the slab of a random pointer reads one
 * cache line of the table instead of the slab's first bytes (the first
 * bytes of all slabs share a few cache sets, being slab_size apart).
 * Requests bigger than the largest class (@c max_size) are "large": each
 * takes its own block straight from the page source, aligned to
 * @c slab_size, with a small header; the side table maps the block to that
 * header, marked as large.
 *
 * Without flags, each class first keeps a short cache of its most recently
 * freed objects (up to about 32 KiB of them): a free pushes the object
 * there, and the next allocation of the class takes it back while it is
 * still in the CPU's caches, without touching a slab (see slabs_free()).
 *
 * Per class, slabs sit on one of three lists: partial (some chunks free),
 * full (none free) and empty (no live object).  Allocation (when the
 * class's cache is empty) takes the head of the partial list, else an empty
 * slab of the same class, else a new slab: it never scans.  A slab that empties while it is the head of its partial
 * list stays there ("emptied in place"), so that a class that allocates and
 * frees one object at a time does not move its slab between two lists and
 * read the clock on every free; it is still an empty slab for trimming,
 * statistics and slabs_check().  Empty slabs stay with their class until
 * slabs_trim() or slabs_trim_idle() gives them back to the page source.
 *
 * @verbatim
   slab (slab_size bytes, aligned to slab_size)
   +---------------------+-------------+---------+---------+-----+------------+------+
   | pool_block_t header | live bitmap | table   | chunk k | ... | chunk n-1  | tail |
   | (stage 01's)        | (checked)   | chunks  |         |     |            |      |
   +---------------------+-------------+---------+---------+-----+------------+------+
     side table: slab address -> descriptor (its pool_t, its class)
   @endverbatim
 * When requested sizes are tracked (SLABS_STATS, SLABS_CHECKED or
 * SLABS_ZERO), the first k chunks of a slab hold its table of them if the
 * table is too big for the descriptor (see "Costs" below); k is 0 for most
 * classes, and always 0 when sizes are not tracked.
 *
 * Costs, said plainly:
 *  - per slab: one descriptor (256 bytes on 64-bit machines, 384 when
 *    requested sizes are tracked, from a
 *    stage-01 pool of descriptors in 4 KiB blocks), a side-table slot (16
 *    bytes, in a table at most half full), the stage-01 block header (24
 *    bytes, plus a bitmap of one bit per chunk with SLABS_CHECKED), and the
 *    tail that is too short for another chunk;
 *  - per object: nothing by default.  With SLABS_STATS (implied by
 *    SLABS_CHECKED and SLABS_ZERO), 4, 8, 16 or 32 bits that remember how
 *    many bytes were asked for (the fewest bits that hold chunk size minus
 *    the smallest request of the class), so that requested_bytes is exact.
 *    Tables of up to 128 bytes live in the descriptor; bigger ones (the
 *    small classes) take the first chunks of the slab: about 3 % of a
 *    16-byte class, under 1 % from 64 bytes up.  They cost every allocation
 *    and free a few instructions and a cache line, which is why they are
 *    not kept by default;
 *  - per allocator: one metadata block from the source at slabs_init() (the
 *    class array and the size-to-class table), and the side table, also
 *    from the source.
 * All of it is counted in bytes_from_source and limited by max_bytes.
 *
 * Alignment: every object is aligned to alignof(max_align_t) (16 bytes on
 * x86-64); objects of a class whose size is a power of two are aligned to
 * that size (slabs_class_align() says which).  Large objects are aligned to
 * 64 bytes; slabs_alloc_large_aligned() gives any power of two up to
 * SLABS_MAX_SLAB_SIZE (stage 05's aligned.h chooses between the two).
 *
 * Errors: functions returning a status give 0 or a negative errno;
 * functions returning a pointer give NULL and set errno.  Nothing is
 * printed on an ordinary error.  Misuse detected with SLABS_CHECKED goes to
 * the misuse handler (misuse.h) with allocator "slabs"; damage found inside
 * a slab's chunks (a write after free, found when the chunk would be reused)
 * is found by the slab's stage-01 pool and reported with allocator "pool".
 *
 * Not thread-safe: one slabs_t belongs to one thread at a time.  A slabs_t
 * must not be moved or copied after slabs_init(): its pools point into it.
 */
#ifndef SLABCRAFT_SLABS_H
#define SLABCRAFT_SLABS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "addrmap.h"
#include "page_source.h"
#include "pool.h"

/** Flags for slabs_config::flags. */
enum slabs_flags {
    SLABS_ZERO = 1u << 0,    /**< every object comes zeroed (realloc: the new bytes too) */
    SLABS_CHECKED = 1u << 1, /**< detect misuse in O(1); fill fresh and freed bytes (fill.h); implies SLABS_STATS */
    SLABS_STATS = 1u << 2,   /**< remember each object's requested size, so requested_bytes is exact (see "Costs") */
};

/** Every class size is a multiple of this: alignof(max_align_t). */
#define SLABS_GRANULE ((size_t)_Alignof(max_align_t))
/** Smallest class when slabs_config::min_size is 0. */
#define SLABS_DEFAULT_MIN_SIZE ((size_t)16)
/** Factor between classes when slabs_config::growth is 0 (memcached's default). */
#define SLABS_DEFAULT_GROWTH 1.25
/** Bytes per slab when slabs_config::slab_size is 0 (and max_size allows it). */
#define SLABS_DEFAULT_SLAB_SIZE ((size_t)16 * 1024)
/** Largest slab_size accepted: 1 GiB (offsets inside a slab fit 32 bits). */
#define SLABS_MAX_SLAB_SIZE ((size_t)1 << 30)
/** Most classes a table may have (the lookup table stores 16-bit indexes). */
#define SLABS_MAX_CLASSES ((size_t)65535)
/** Bytes per block of the stage-01 pool that holds the slab descriptors. */
#define SLABS_DESC_BLOCK_SIZE ((size_t)4096)

typedef struct slabs_class slabs_class_t; /**< one size class (private) */
typedef struct slabs_large slabs_large_t; /**< header of a large object (private) */
typedef struct slabs slabs_t;             /**< the allocator: all classes and their slabs */

/**
 * @brief How to build a slabs_t; zero every field you do not set.
 *
 * Defaults: min_size 16, growth 1.25, slab_size 16 KiB, max_size
 * slab_size / 8 (2 KiB): 19 classes.  Chosen by measurement: with them the
 * shipped traces (tools/traces, replayed by tools/replay) use between 0.81
 * and 0.88 of the memory held from the source for live objects, and at
 * least 0.85 times what glibc malloc reaches on each; 32 KiB slabs fall to
 * 0.79 and 64 KiB slabs to 0.61 on the string-growing trace, because every
 * class that is used at all holds a partly used slab, and bigger slabs hold
 * more unused bytes.  16 KiB is still big enough that the stage-01 header
 * is under 0.2 % of a slab and slabs are acquired rarely.  A largest class
 * of slab_size / 8 keeps at least 7 chunks in every slab, so the tail lost
 * to rounding is under 1/8 of a slab even in the worst class; bigger
 * objects are rare and big enough that one acquisition each is cheap next
 * to the object.
 *
 * If max_size is set and slab_size is 0, slab_size is the larger of 16 KiB
 * and the smallest power of two of at least 8 * max_size.  If slab_size is
 * set and max_size is 0, max_size is the larger of slab_size / 8 and the
 * first class.
 */
typedef struct slabs_config {
    size_t min_size;             /**< smallest class, rounded up to SLABS_GRANULE; 0 = 16 */
    size_t max_size;             /**< largest class, rounded up to SLABS_GRANULE; bigger requests take the large path; 0 = default */
    double growth;               /**< factor between classes, > 1 and finite; 0 = 1.25 */
    const size_t *sizes;         /**< explicit ascending class sizes instead of growth, or NULL; min_size, max_size and growth are then ignored */
    size_t n_sizes;              /**< entries in @c sizes; > 0 when @c sizes is set, 0 otherwise */
    size_t slab_size;            /**< bytes per slab, power of two, <= SLABS_MAX_SLAB_SIZE; 0 = default */
    size_t max_bytes;            /**< cap on bytes from the source, metadata included; 0 = none */
    const page_source_t *source; /**< NULL = page_source_default() */
    uint64_t (*now_ns)(void);    /**< clock for idle trimming, read when a slab joins an empty list (see slabs_trim_idle()); NULL = CLOCK_MONOTONIC_COARSE (a few ns, ms resolution), or CLOCK_MONOTONIC where there is none */
    unsigned flags;              /**< SLABS_ZERO, SLABS_CHECKED, SLABS_STATS */
} slabs_config_t;

/** @brief One class, as slabs_class_stats() reports it. */
typedef struct slabs_class_stats {
    size_t chunk_size;      /**< bytes per chunk: the largest request the class serves */
    size_t chunks_per_slab; /**< objects one slab holds (table chunks excluded) */
    size_t slabs;           /**< slabs held: partial + full + empty */
    size_t used;            /**< live objects */
    size_t free;            /**< chunks free in the held slabs: slabs * chunks_per_slab - used, less the chunks checked mode withholds after a write after free */
    size_t requested_bytes; /**< sum of the sizes asked for by live objects when sizes are tracked (SLABS_STATS, SLABS_CHECKED, SLABS_ZERO); otherwise used * chunk_size, an upper bound */
} slabs_class_stats_t;

/** @brief The whole allocator, as slabs_stats() reports it. */
typedef struct slabs_stats {
    size_t live_objects;           /**< objects handed out and not freed, large ones included */
    size_t live_requested_bytes;   /**< sum of the sizes asked for by live objects, large ones included (for slab objects exact only when sizes are tracked, see slabs_class_stats_t) */
    size_t bytes_from_source;      /**< bytes held from the page source now: slabs, descriptors, metadata, large objects */
    size_t peak_bytes_from_source; /**< highest bytes_from_source since slabs_init() */
    size_t large_objects;          /**< live large objects */
    size_t large_bytes;            /**< bytes held from the source for them, headers included */
} slabs_stats_t;

/**
 * @brief The allocator.  Defined here so it can live on the stack or inside
 *        other structs; read it through the functions below, never write it.
 *
 * Invariants (checked by slabs_check()): bytes_from_source = meta_bytes +
 * descs.bytes_from_source + slabs * slab_size + large_bytes + side-table bytes;
 * peak_bytes_from_source >= bytes_from_source; bytes_from_source <=
 * max_bytes when max_bytes is set; large_count, large_bytes and
 * large_requested match the list of large objects; descs.live is the number
 * of slabs; the side table holds exactly the slabs and the large blocks.
 */
struct slabs {
    /* hot: read by every slabs_alloc() and slabs_free() (one cache line) */
    const uint16_t *lookup;  /**< class index for each granule: lookup[(size + 15) / 16], size <= max_size */
    slabs_class_t *classes;  /**< n_classes classes, ascending; in the metadata block */
    size_t max_size;         /**< chunk size of the last class; bigger requests are large */
    size_t slab_size;        /**< bytes per slab, a power of two; every slab and large block is aligned to it */
    unsigned flags;          /**< SLABS_ZERO | SLABS_CHECKED | SLABS_STATS */
    addrmap_t map;           /**< side table: the start of every slab -> its class, of every large block -> its header | 1 */
    size_t n_classes;        /**< classes, 1 .. SLABS_MAX_CLASSES */

    /* where memory comes from */
    page_source_t source;          /**< the counting, limiting source that every pool of this allocator uses */
    const page_source_t *upstream; /**< the caller's source, which source forwards to */
    size_t max_bytes;              /**< cap on bytes_from_source; 0 = none */
    size_t bytes_from_source;      /**< bytes held from upstream now */
    size_t peak_bytes_from_source; /**< highest bytes_from_source since init */
    bool cap_refused;              /**< the last refusal by source was max_bytes (not upstream) */
    uint64_t (*now_ns)(void);      /**< the clock that stamps slabs when they join an empty list */
    void *meta;                    /**< the metadata block: classes, then the lookup table */
    size_t meta_bytes;             /**< its size, as acquired */
    pool_t descs;                  /**< stage-01 pool of slab descriptors */

    /* large objects */
    slabs_large_t *large;   /**< live large objects, most recent first; NULL = none */
    size_t large_count;     /**< live large objects */
    size_t large_bytes;     /**< bytes acquired for them, headers included */
    size_t large_requested; /**< sum of the sizes asked for by them */
};

/**
 * @brief Initialises an allocator.
 *
 * Validates the configuration, then acquires one metadata block from the
 * source (the class array and the size-to-class table).  Slabs are acquired
 * by the allocations that need them.
 * @param s   the allocator to initialise
 * @param cfg the configuration; not referenced after the call (the explicit
 *            size list is copied)
 * @return 0; -EINVAL, with nothing acquired, for a NULL argument, a
 *         @c slab_size that is not a power of two or is above
 *         SLABS_MAX_SLAB_SIZE or not above 64 bytes (a large object starts
 *         64 bytes into its block, and must mask back to it), sizes that overflow, @c growth <= 1 or not
 *         finite, @c min_size > @c max_size, an explicit list that is empty,
 *         not strictly ascending, has a size of 0 or one that is not a
 *         multiple of SLABS_GRANULE, more than SLABS_MAX_CLASSES classes, a
 *         slab too small to hold one chunk of its largest class after the
 *         stage-01 header, a @c max_bytes too small for the metadata, one
 *         descriptor block, one slab and the first side table (1 KiB), or unknown flags; -ENOMEM if the
 *         source refuses the metadata block.
 * @post on failure @p s is zeroed (slabs_destroy() on it is a no-op).
 */
int slabs_init(slabs_t *s, const slabs_config_t *cfg);

/**
 * @brief Allocates @p size bytes.
 *
 * O(1): the class from a table lookup, then the class's cache of freed
 * objects (see slabs_free()), else the first partial slab of the class,
 * else its most recently emptied slab, else a new slab.  Sizes above
 * max_size take a block of their own from the source.
 *
 * When a new slab or large block would pass max_bytes and another class
 * holds empty slabs, the longest-empty of them are given back to the source
 * first, so that memory is never stuck in the wrong class; this is the only
 * time memory goes back without slabs_trim(), and it happens only instead of
 * failing.
 * @param s    the allocator
 * @param size bytes wanted, > 0
 * @return the object (aligned as the file comment says; zeroed with
 *         SLABS_ZERO); or NULL with errno = EINVAL for a NULL @p s, a @p size
 *         of 0 or one so big that adding the large-object header overflows
 *         a size_t; or NULL with errno = ENOMEM when max_bytes or the source
 *         says no, or for a size above PTRDIFF_MAX (as malloc does).
 *         On failure the allocator is unchanged apart from empty slabs given
 *         back as above, and stays usable.
 */
void *slabs_alloc(slabs_t *s, size_t size);

/**
 * @brief Changes the size of an object, C realloc semantics.
 *
 *  - @p p NULL: same as slabs_alloc(s, size).
 *  - @p size 0: NULL with errno = EINVAL and @p p left untouched (consistent
 *    with slabs_alloc(s, 0); C leaves this case to the implementation, and a
 *    realloc that may free behind the caller's back breeds double frees).
 *    To free, call slabs_free().
 *  - Same class as now (a slab object whose class also serves @p size), or a
 *    large object whose block holds @p size and at least half of it stays
 *    used: in place, @p p is returned.
 *  - Otherwise a new object is allocated, min(old requested size, @p size)
 *    bytes are copied, and @p p is freed.
 * With SLABS_ZERO the bytes past the old requested size are zero.
 * @param s    the allocator
 * @param p    an object of @p s, or NULL
 * @param size bytes wanted, > 0
 * @return the object, or NULL with errno set (EINVAL, ENOMEM) and @p p
 *         untouched and still valid.  With SLABS_CHECKED a @p p that is not
 *         a live object is reported to the misuse handler; if the handler
 *         returns, the result is NULL with errno = EINVAL.
 */
void *slabs_realloc(slabs_t *s, void *p, size_t size);

/**
 * @brief Frees an object; no size needed.  O(1) amortised.
 *
 * The slab is found by masking @p p and looking the slab's address up in a
 * side table.  Without flags the object then waits on its class's cache, a
 * short LIFO list (up to about 32 KiB of objects, 4 to 64 of them), where
 * the class's next allocation takes it back while it is still in the CPU's
 * caches; when the cache is full, its older half goes back to the slabs,
 * and the trims and a refusal by max_bytes empty the caches first.  With
 * flags, or on its way back from the cache, the object returns to its
 * slab.  A slab that becomes empty moves to
 * its class's empty list and is stamped with the clock, unless it is the
 * head of its class's partial list: then it stays there, unstamped, for the
 * class's next allocation (no list move, no clock read).  Either way it
 * keeps its memory until its class reuses it or a trim gives it back.
 * A large object's block goes back to the source at once.
 *
 * Without SLABS_CHECKED, @p p must be a live object of @p s; anything else
 * is undefined behaviour.  With SLABS_CHECKED, a pointer that is not in any
 * live slab or large block of @p s ("foreign-pointer": never handed out by
 * @p s, from another allocator, or a large object already freed), into the
 * middle of an object ("interior-pointer"), not aligned to the granule
 * ("misaligned-pointer") or to an object already free ("double-free") is
 * reported to the misuse handler with allocator "slabs", and the call has no
 * effect.  Checked mode looks the masked address up in a hash set before it
 * reads anything there, so a foreign pointer is never dereferenced.  (A
 * pointer further than slab_size into a large object masks to an address
 * that is not a block start, so it is reported as foreign-pointer.)
 * @param s the allocator
 * @param p an object from slabs_alloc() or slabs_realloc() on @p s, or NULL (a no-op)
 */
void slabs_free(slabs_t *s, void *p);

/**
 * @brief Bytes the caller may use at @p p: the chunk size of its class, or
 *        for a large object its size rounded up to SLABS_GRANULE.
 * @param s the allocator
 * @param p a live object of @p s
 * @return that size; 0 for a NULL argument.  With SLABS_CHECKED a @p p that
 *         is not a live object is reported (use-after-free for a freed slab
 *         object) and 0 is returned.
 */
size_t slabs_usable_size(const slabs_t *s, const void *p);

/**
 * @brief Gives empty slabs back to the source, keeping at most
 *        @p keep_empty empty slabs per class (the most recently stamped).
 *
 * First, the chunks waiting on the classes' caches go back to their slabs
 * (see slabs_free()), and a slab that emptied in place at the head of its
 * class's partial list joins the head of the empty list, stamped now (the
 * clock is read only if there is one); it is then the most recently
 * stamped of its class.
 * O(slabs released + classes).  Descriptor blocks and the metadata block are
 * kept until slabs_destroy().
 * @param s          the allocator
 * @param keep_empty empty slabs each class may keep
 * @return bytes released to the source (a multiple of slab_size); 0 for NULL
 */
size_t slabs_trim(slabs_t *s, size_t keep_empty);

/**
 * @brief Gives back every slab that has been empty for strictly longer than
 *        @p idle_ns: now - emptied_at > idle_ns, with now from the
 *        configured clock.
 *
 * A slab's age counts from its stamp: the moment it joined the empty list
 * (when it became empty, or slabs_reset()).  One kind of empty slab is
 * stamped later than it emptied: the head of a class's partial list, which
 * stays where it is when it empties (see slabs_free()) and is stamped by the
 * first slabs_trim(), slabs_trim_idle() or other list move that finds it
 * empty; this call stamps it with its own now, so it releases it at the
 * earliest in a later call.  So a slab is never released before it has
 * been empty for longer than @p idle_ns; only the one such slab a class can
 * have is late, by no more than the time between its emptying and the
 * first trim after it: with slabs_trim_idle() called every P ns, such a
 * slab goes back at most P ns (one call) later than its true age says.
 * O(slabs released + classes): each class's empty list is kept in the
 * order of its stamps.  With a clock that has not moved since the slabs
 * were stamped, slabs_trim_idle(s, 0) releases nothing; use slabs_trim(s, 0)
 * to release every empty slab.
 * @param s       the allocator
 * @param idle_ns age, in ns, that a slab must pass to be released
 * @return bytes released to the source; 0 for NULL
 */
size_t slabs_trim_idle(slabs_t *s, uint64_t idle_ns);

/**
 * @brief Frees every object at once.  O(slabs + large objects).
 *
 * Every slab becomes empty (and is stamped now) but is kept for reuse;
 * large objects go back to the source; the classes' caches are emptied.
 * Each slab costs one cache line of its descriptor: without flags a slab's
 * stage-01 pool is reset only when the slab is reused.  Every pointer handed out becomes
 * invalid (memcheck and ASan report a later access to a slab object).
 * The peak counter is kept.
 * @param s the allocator (NULL or zeroed: a no-op)
 */
void slabs_reset(slabs_t *s);

/**
 * @brief Gives everything back to the source: slabs, descriptor blocks,
 *        large objects, the metadata.  O(slabs + large objects).
 * @param s the allocator; it is zeroed and must be initialised again before
 *          reuse (destroying a zeroed slabs_t is a no-op)
 */
void slabs_destroy(slabs_t *s);

/**
 * @brief The number of classes.
 * @param s the allocator
 * @return the number of classes; 0 for NULL
 */
size_t slabs_class_count(const slabs_t *s);

/**
 * @brief The class that serves @p size.  O(1).
 * @param s    the allocator
 * @param size bytes
 * @return the class index; slabs_class_count(s) if @p size is above
 *         max_size (a large object).  Size 0 maps to class 0, like size 1.
 *         0 for a NULL @p s.
 */
size_t slabs_class_of(const slabs_t *s, size_t size);

/**
 * @brief A class's chunk size (the largest request it serves).  O(1).
 * @param s   the allocator
 * @param cls the class index
 * @return the size; 0 for a NULL @p s or @p cls >= slabs_class_count()
 */
size_t slabs_class_size(const slabs_t *s, size_t cls);

/**
 * @brief The alignment every object of a class has: its chunk size when
 *        that is a power of two and the class could be laid out so
 *        (naturally aligned), else SLABS_GRANULE.  O(1).
 * @param s   the allocator
 * @param cls the class index
 * @return that power of two; 0 for a NULL @p s or @p cls >= slabs_class_count()
 */
size_t slabs_class_align(const slabs_t *s, size_t cls);

/**
 * @brief A large object aligned to @p align: for alignments no class
 *        gives (stage 05's slabs_alloc_aligned() calls it).
 *
 * The block comes from the source aligned to max(@p align, slab_size), the
 * object at its start and the object's header in the block's last 64
 * bytes, so masking the object gives itself, and the side table maps it to
 * the header.  The object is an ordinary large object from then on:
 * slabs_free(), slabs_usable_size() (its size rounded up to SLABS_GRANULE),
 * slabs_realloc() (which keeps only the default alignment if it moves),
 * live_objects, large_objects, SLABS_ZERO and checked mode treat it like
 * any other.  Costs: 64 bytes and the rounding to SLABS_GRANULE, plus what
 * the source wastes to align the block (see the source).
 * @param s     the allocator
 * @param size  bytes, > 0 (any size: small ones too)
 * @param align a power of two, <= SLABS_MAX_SLAB_SIZE
 * @return the object, or NULL with errno EINVAL (NULL @p s, size 0, a bad
 *         @p align, a size that overflows) or ENOMEM (max_bytes or the source)
 */
void *slabs_alloc_large_aligned(slabs_t *s, size_t size, size_t align);

/**
 * @brief Reads one class's counters.  O(slabs of the class).
 * @param s   the allocator
 * @param cls the class index, < slabs_class_count()
 * @param out receives the counters
 * @return 0, or -EINVAL for a NULL argument or @p cls >= slabs_class_count()
 *         (then @p out is untouched)
 */
int slabs_class_stats(const slabs_t *s, size_t cls, slabs_class_stats_t *out);

/**
 * @brief Reads the whole allocator's counters.  O(slabs): live objects are
 *        counted by the slabs' pools and added up here.
 * @param s   the allocator (NULL: @p out is zeroed)
 * @param out receives the counters
 */
void slabs_stats(const slabs_t *s, slabs_stats_t *out);

/**
 * @brief Prints a table of the classes that hold slabs, like memcached's
 *        "stats slabs": class, chunk size, chunks per slab, slabs, used,
 *        free, requested bytes, waste (used * chunk - requested) and waste
 *        as a share of the used chunks (shown as "-" unless requested
 *        sizes are tracked: SLABS_STATS, SLABS_CHECKED or SLABS_ZERO); then
 *        a line for large objects and the totals.
 * @param s   the allocator
 * @param out where to print
 */
void slabs_print_stats(const slabs_t *s, FILE *out);

/**
 * @brief Checks every invariant: the class table and lookup table; for every
 *        class, that its partial, full and empty lists are well linked, hold
 *        slabs of that class whose live counts match the list (the head of
 *        the partial list may have no live object), that each
 *        slab's stage-01 pool passes pool_check(), and that the class
 *        counters equal the sums over its slabs (with SLABS_CHECKED the
 *        requested bytes exactly, else within their bounds); the descriptor
 *        pool; the large objects; the side table; and the
 *        byte accounting of the struct comment.
 *
 * Meant for tests and debugging: O(slabs x descriptor blocks + large
 * objects + lookup entries + side-table slots).
 * A broken list link ends the walk of that list and counts once.
 * @param s the allocator
 * @return the number of broken invariants; 0 = healthy (1 for NULL)
 */
size_t slabs_check(const slabs_t *s);

#endif

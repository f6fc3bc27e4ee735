/**
 * @file pool.h
 * @brief Stage 01: a pool of fixed-size objects.
 *
 * A pool hands out objects of one size.  It takes big blocks from a page
 * source, carves them into equal chunks as they are needed, and threads the
 * freed chunks into a list through the chunks themselves, so a free object
 * costs no memory beyond its own bytes.  Allocation and free are O(1):
 * pop from the free list, else carve the next fresh chunk, else take a new
 * block.
 *
 * Every block is aligned to its own size, so the block that holds any object
 * is found by masking the object's address.  That is what lets the checked
 * mode (POOL_CHECKED) recognise a double free, a pointer from another pool,
 * or a pointer into the middle of an object, in O(1).
 *
 * A block:
 * @verbatim
   block (block_size bytes, aligned to block_size)
   +-------------+--------------------+-----+---------+---------+-----+-------------+------+
   | pool_block  | live bitmap        | pad | chunk 0 | chunk 1 | ... | chunk n-1   | tail |
   | next, owner,| (POOL_CHECKED only)|     | stride  | stride  |     |             |      |
   | cookie      |                    |     |         |         |     |             |      |
   +-------------+--------------------+-----+---------+---------+-----+-------------+------+
   ^ block                                  ^ block + first_offset
   @endverbatim
 *
 * Not thread-safe: one pool belongs to one thread at a time.
 *
 * @see @ref ch01_pool "the chapter" for the why and the measurements.
 */
#ifndef SLABCRAFT_POOL_H
#define SLABCRAFT_POOL_H

#include <stddef.h>
#include <stdint.h>

#include "page_source.h"

/** Flags for pool_config::flags. */
enum pool_flags {
    POOL_ZERO = 1u << 0,    /**< every object comes zeroed */
    POOL_CHECKED = 1u << 1, /**< detect misuse; fill fresh, freed and guard bytes */
};

/**
 * @brief The header at the start of every block.
 *
 * Exposed so that the checker, tools and tests can read a block; callers
 * never need it.  In checked mode a bitmap of live chunks (one bit per chunk,
 * 1 = handed out) follows it directly.
 */
typedef struct pool_block {
    struct pool_block *next;  /**< next block in acquisition order; NULL after the last */
    const struct pool *owner; /**< the pool that acquired the block */
    uintptr_t cookie;         /**< (uintptr_t)block ^ owner->secret: tells our blocks from others */
} pool_block_t;

/**
 * @brief A pool.  Defined here so it can live on the stack or inside other
 *        structs; read it through pool_stats(), never write it directly.
 *
 * Invariants (checked by pool_check()):
 * carved == live + quarantined + length(free_list), peak_live >= live,
 * blocks == length(head chain), bytes_from_source == blocks * block_size.
 */
typedef struct pool {
    /* hot: touched by every pool_alloc() and pool_free() */
    void *free_list;   /**< first free chunk; each free chunk's first word points to the next; NULL = none */
    size_t live;       /**< objects handed out and not yet freed */
    unsigned flags;    /**< POOL_ZERO | POOL_CHECKED; non-zero sends pool_alloc() to its slow path */
    char *bump;        /**< next never-used chunk of the carve block; bump <= bump_end */
    char *bump_end;    /**< end of the last whole chunk of the carve block; bump == bump_end: carve block used up */

    /* geometry: fixed by pool_init() */
    size_t obj_size;     /**< bytes the caller asked for per object, > 0 */
    size_t stride;       /**< bytes per chunk: obj_size rounded up to align, >= sizeof(void *) (checked: >= 2 words) */
    size_t align;        /**< alignment of every object: a power of two >= alignof(void *) */
    size_t block_size;   /**< bytes per block: a power of two; every block is aligned to it */
    size_t first_offset; /**< offset of chunk 0 in a block: header + bitmap, rounded up to align */
    size_t per_block;    /**< chunks per block, >= 1 */
    size_t bitmap_words; /**< 64-bit words of live bitmap per block; 0 unless POOL_CHECKED */
    size_t max_bytes;    /**< cap on bytes_from_source; 0 = none */
    const page_source_t *source; /**< where blocks come from; never NULL after pool_init() */
    uintptr_t secret;    /**< per-pool value mixed into block cookies */

    /* blocks and counters */
    pool_block_t *head;  /**< first block acquired; NULL if none */
    pool_block_t *tail;  /**< last block acquired; new blocks are appended after it */
    pool_block_t *carve; /**< block being carved; blocks after it are untouched since init or reset */
    size_t blocks;       /**< blocks held */
    size_t carved;       /**< chunks carved since init or the last reset */
    size_t quarantined;  /**< free chunks withheld after a write after free was found (checked mode) */
    size_t peak_live;    /**< highest live ever seen, across resets */
    size_t bytes_from_source; /**< bytes held from the source: blocks * block_size */
} pool_t;

/** @brief How to build a pool; zero every field you do not set. */
typedef struct pool_config {
    size_t obj_size;             /**< bytes per object, > 0 */
    size_t align;                /**< power of two; 0 = alignof(max_align_t) */
    size_t block_size;           /**< bytes per block, power of two; 0 = default (64 KiB, or more for big objects) */
    size_t max_bytes;            /**< cap on bytes taken from the source; 0 = none */
    const page_source_t *source; /**< NULL = page_source_default() */
    unsigned flags;              /**< POOL_ZERO: objects come zeroed; POOL_CHECKED: detect misuse */
} pool_config_t;

/** @brief Counters, as pool_stats() reports them. */
typedef struct pool_stats {
    size_t live;              /**< objects handed out and not freed */
    size_t peak_live;         /**< highest @c live since pool_init() */
    size_t capacity;          /**< objects the held blocks can hold: blocks * chunks per block */
    size_t blocks;            /**< blocks held from the source */
    size_t bytes_from_source; /**< bytes held from the source */
} pool_stats_t;

/** Default block size when pool_config::block_size is 0. */
#define POOL_DEFAULT_BLOCK_SIZE ((size_t)64 * 1024)

/**
 * @brief Initialises a pool.  Acquires nothing: the first block is taken by
 *        the first pool_alloc().
 * @param p   the pool to initialise
 * @param cfg the configuration; not referenced after the call
 * @return 0, or -EINVAL for a NULL argument, @c obj_size 0, an @c align or
 *         @c block_size that is not a power of two, sizes that overflow, an
 *         object that cannot fit a block, a @c max_bytes smaller than one
 *         block, or unknown flags.  (-ENOMEM is reserved: this version never
 *         returns it, because nothing is acquired here.)
 * @post on success nothing has been acquired yet (bytes_from_source == 0);
 *       on failure @p p is left zeroed and nothing was acquired.
 */
int pool_init(pool_t *p, const pool_config_t *cfg);

/**
 * @brief Allocates one object of pool_config::obj_size bytes.
 *
 * O(1): the most recently freed object if any, else the next fresh chunk,
 * else a new block from the source.
 * @param p an initialised pool
 * @return the object, aligned to pool_config::align (zeroed with POOL_ZERO);
 *         or NULL with errno = ENOMEM when @c max_bytes or the source says no
 *         (the pool is unchanged and still usable), or NULL with errno =
 *         EINVAL if @p p is NULL.
 */
void *pool_alloc(pool_t *p);

/**
 * @brief Returns an object to the pool.  O(1).
 *
 * Without POOL_CHECKED, @p obj must be live and from @p p; anything else is
 * undefined behaviour.  With POOL_CHECKED, a double free, a pointer from
 * another pool, a pointer into the middle of an object, a misaligned pointer
 * or a write past the object's end is reported to the misuse handler, and the
 * pool is left unchanged.  A pointer that was never in any pool may fault
 * before it can be reported: checked mode reads the header its masked
 * address points at.
 * @pre without POOL_CHECKED: @p obj is live and was allocated from @p p
 * @param p   the pool (NULL: nothing happens)
 * @param obj an object from pool_alloc() on @p p, or NULL (a no-op)
 */
void pool_free(pool_t *p, void *obj);

/**
 * @brief Frees every object at once; keeps the blocks for reuse.
 *
 * O(blocks) in checked mode or under a memory tool (each block's bitmap or
 * annotations are reset); O(1) otherwise, since nothing per block needs
 * to change.  Every pointer handed out becomes invalid (memcheck and ASan
 * report a later access).  Peak counts are kept.
 * @param p the pool (NULL: nothing happens)
 * @post live == 0; blocks, capacity and bytes_from_source unchanged;
 *       peak_live kept; the next allocations carve the first block again.
 */
void pool_reset(pool_t *p);

/**
 * @brief Gives every block back to the source.  O(blocks).
 * @param p the pool; it is zeroed and must be initialised again before reuse
 *          (destroying a zeroed pool is a no-op)
 */
void pool_destroy(pool_t *p);

/**
 * @brief Reads the pool's counters.  O(1).
 * @param p   the pool (NULL: @p out is zeroed)
 * @param out receives the counters (NULL: nothing happens)
 */
void pool_stats(const pool_t *p, pool_stats_t *out);

/**
 * @brief Checks every invariant of the pool: the block chain (alignment,
 *        owner, cookie, count), the free list (no cycle, every entry a
 *        carved chunk of this pool), the counters, and in checked mode the
 *        live bitmaps and the fill of free chunks.
 *
 * O(blocks + free chunks x blocks) at worst; meant for tests and debugging.
 * A broken link ends the walk it breaks, so one corruption is counted once.
 * @param p the pool
 * @return the number of broken invariants; 0 = healthy (a NULL @p p counts as 1)
 */
size_t pool_check(const pool_t *p);

#endif

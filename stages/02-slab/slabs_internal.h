/*
 * slabs_internal.h - what the files of stage 02 share (slabs.c,
 * slabs_checked.c, slabs_check.c, slabs_stats.c).  Not part of the API.
 *
 * Three private structures:
 *  - slab_t, a slab's descriptor: the stage-01 pool that owns the slab's one
 *    block, the links of its class list, and its table of requested sizes.
 *    Descriptors come from a stage-01 pool of their own (slabs_t::descs).
 *  - slabs_class_t, one size class: its geometry (taken from a stage-01 pool
 *    configured for it) and its three lists with their counts.
 *  - slabs_large_t, the header at the start of a large object's block.  It
 *    begins with a pool_block_t whose owner is NULL: masking a pointer finds
 *    either a slab's pool_block_t (owner = the slab's pool) or this.
 *
 * Lists are circular and doubly linked through slab_link_t, with a sentinel
 * in the class, so insertion and removal never test for NULL.
 */
#ifndef SLABCRAFT_SLABS_INTERNAL_H
#define SLABCRAFT_SLABS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "align.h"
#include "pool.h"
#include "slabs.h"

/* Keeps a rarely taken path out of line, so that the fast path around it
 * needs no stack frame. */
#if defined(__GNUC__)
#define SLABS_COLD __attribute__((noinline))
#else
#define SLABS_COLD
#endif

/* ---- private structures ------------------------------------------------- */

/** The three lists a slab can be on. */
enum slab_list {
    SLAB_PARTIAL = 0, /**< some chunks live, some free */
    SLAB_FULL = 1,    /**< no chunk free */
    SLAB_EMPTY = 2,   /**< no chunk live (the table chunks aside) */
    SLAB_LISTS = 3,
};

/** A link of a circular doubly linked list; a sentinel is a bare link. */
typedef struct slab_link {
    struct slab_link *prev; /**< previous link; the sentinel's prev is the last */
    struct slab_link *next; /**< next link; the sentinel's next is the first */
} slab_link_t;

/* Bytes of requested-size table a descriptor holds itself. */
#define SLAB_INLINE_TABLE 128

/* Slots of the first registry (SLABS_CHECKED); it doubles from there. */
#define SLABS_REGISTRY_MIN 64

/* Offset of a large object from the start of its block: the header, rounded
 * up to a cache line. */
#define SLABS_LARGE_OFFSET ((size_t)64)

/** A slab's descriptor.  Descriptors are 64-byte aligned, and the fields
 * an allocation or a free reads (table, class, base, list) sit in the first
 * cache line together with the hot head of the stage-01 pool (free list,
 * live count). */
typedef struct slab {
    unsigned char *table; /**< requested-size table: inline_table, or the slab's first chunks */
    slabs_class_t *klass; /**< its class: &owner->classes[cls] */
    char *base;           /**< address of chunk 0: the block + the class's first_offset */
    uint32_t cls;         /**< index of its class */
    uint8_t list;         /**< enum slab_list: the list it is on */
    slab_link_t link;     /**< position on the class list named by list */
    pool_t pool;          /**< the slab's chunks: a stage-01 pool owning exactly one block, the slab */
    slabs_t *owner;       /**< the allocator this slab belongs to */
    uint64_t emptied_at;  /**< clock when it last became empty; meaningful on the empty list */
    _Alignas(8) unsigned char inline_table[SLAB_INLINE_TABLE]; /**< the table when it is this small */
} slab_t;

/* Alignment of descriptors in their pool: one cache line. */
#define SLAB_DESC_ALIGN 64

/** One size class.  The fields every allocation and free touches come
 * first, in one cache line. */
struct slabs_class {
    size_t size;          /**< chunk size: the largest request served; a multiple of SLABS_GRANULE */
    uint32_t div_magic;   /**< floor(2^32 / stride) + 1: chunk index = offset * div_magic >> 32 */
    uint8_t delta_bits;   /**< bits per table entry (size - requested): 4, 8, 16 or 32 */
    uint8_t delta_shift;  /**< log2(delta_bits): 2, 3, 4 or 5 */
    uint32_t delta_mask;  /**< (1 << delta_bits) - 1 */
    uint32_t first_offset; /**< offset of chunk 0 in a slab, from stage 01 */
    size_t chunks;        /**< chunks per slab, from stage 01 (per_block): table + objects */
    size_t table_chunks;  /**< leading chunks that hold the table; 0 = it is inline */
    size_t used;          /**< live objects of this class */
    size_t requested;     /**< sum of the sizes asked for by them */
    slab_link_t lists[SLAB_LISTS]; /**< sentinels of the partial, full and empty lists */
    size_t n[SLAB_LISTS]; /**< slabs on each list */
    size_t smallest;      /**< smallest request served: previous class size + 1, or 1 */
    size_t align;         /**< alignment of its objects: size if a power of two (and it fits), else SLABS_GRANULE */
    size_t stride;        /**< distance between chunks, from stage 01 (== size) */
    size_t table_bytes;   /**< bytes of a slab's requested-size table */
    size_t per_slab;      /**< chunks per slab for objects: chunks - table_chunks, >= 1 */
};

/** The header of a large object's block. */
struct slabs_large {
    pool_block_t head;    /**< next NULL, owner NULL (= large), cookie = address ^ secret */
    slabs_large_t *prev;  /**< previous live large object; NULL for the first */
    slabs_large_t *next;  /**< next live large object; NULL for the last */
    size_t block_bytes;   /**< bytes acquired: SLABS_LARGE_OFFSET + usable size */
    size_t requested;     /**< bytes the caller asked for */
};

_Static_assert(sizeof(slabs_large_t) <= SLABS_LARGE_OFFSET, "large header fits its offset");

/* ---- geometry ----------------------------------------------------------- */

// [mask-helpers]
/* The block that holds p: slabs and large blocks are aligned to slab_size,
 * so clearing the low bits of any address inside one gives its start. */
static inline pool_block_t *slabs_block_of(const slabs_t *s, const void *p)
{
    return align_ptr_down(p, s->slab_size);
}

/* The descriptor around a slab's pool (the owner named by its block). */
static inline slab_t *slabs_slab_of_pool(const pool_t *pool)
{
    return (slab_t *)(uintptr_t)((const char *)pool - offsetof(slab_t, pool));
}
// [mask-helpers]

/* Address of chunk 0 of slab d (a table chunk when the table is there). */
static inline char *slabs_chunk0(const slab_t *d)
{
    return (char *)d->pool.head + d->pool.first_offset;
}

/* Index of the chunk that starts at p, in the slab at block of class c:
 * one multiply instead of a division (exact for every chunk start, see
 * div_magic). */
static inline size_t slabs_chunk_index(const slabs_class_t *c, const void *block, const void *p)
{
    uint64_t off = (uint64_t)((const char *)p - (const char *)block - c->first_offset);
    return (size_t)((off * c->div_magic) >> 32);
}

/* Index of the chunk that starts at p in slab d of class c: as
 * slabs_chunk_index(), from the chunk-0 address the slab keeps. */
static inline size_t slabs_slab_index(const slabs_class_t *c, const slab_t *d, const void *p)
{
    uint64_t off = (uint64_t)((const char *)p - d->base);
    return (size_t)((off * c->div_magic) >> 32);
}

/* True if the live bitmap that stage 01 keeps after a checked pool's block
 * header (see pool.h) marks chunk i of block b as handed out. */
static inline bool slabs_pool_bit(const pool_block_t *b, size_t i)
{
    const uint64_t *bm = (const uint64_t *)(b + 1);
    return (bm[i / 64] >> (i % 64)) & 1u;
}

/* The cookie a large block of s must carry. */
static inline uintptr_t slabs_large_cookie(const slabs_t *s, const void *block)
{
    return (uintptr_t)block ^ s->secret;
}

/* The object of a large block. */
static inline void *slabs_large_obj(const slabs_large_t *l)
{
    return (char *)(uintptr_t)l + SLABS_LARGE_OFFSET;
}

/* ---- the requested-size table ------------------------------------------- */

/* A table holds one entry per chunk, bits wide (4, 8, 16 or 32): the chunk
 * size minus the size asked for by the object in it.  Entry i is read and
 * written through the unaligned 32-bit word at byte i * bits / 8, so every
 * width takes the same few instructions and no branch; tables have
 * SLABS_TABLE_SLACK spare bytes at the end for the last word. */
#define SLABS_TABLE_SLACK 3

static inline size_t slabs_table_get(const unsigned char *t, const slabs_class_t *c, size_t i)
{
    size_t bit = i << c->delta_shift;
    uint32_t w;
    memcpy(&w, t + bit / 8, sizeof w);
    return (w >> (bit % 8)) & c->delta_mask;
}

static inline void slabs_table_put(unsigned char *t, const slabs_class_t *c, size_t i, size_t v)
{
    size_t bit = i << c->delta_shift;
    uint32_t w;
    memcpy(&w, t + bit / 8, sizeof w);
    w = (w & ~(c->delta_mask << (bit % 8))) | (uint32_t)v << (bit % 8);
    memcpy(t + bit / 8, &w, sizeof w);
}

/* ---- lists -------------------------------------------------------------- */

static inline slab_t *slabs_slab_of_link(const slab_link_t *l)
{
    return (slab_t *)(uintptr_t)((const char *)l - offsetof(slab_t, link));
}

/* ---- shared between the files of stage 02 ------------------------------- */

/** Where a pointer lives: a slab chunk (slab != NULL) or a large block. */
typedef struct slabs_loc {
    slab_t *slab;          /**< the slab, or NULL for a large object */
    size_t index;          /**< chunk index in the slab */
    slabs_large_t *large;  /**< the large header, or NULL for a slab object */
} slabs_loc_t;

/* Checked mode (slabs_checked.c).  Finds where p lives without reading
 * memory that is not ours; on misuse reports it (kind not_live for a chunk
 * that is free) and returns false. */
bool slabs_checked_locate(const slabs_t *s, const void *p, slabs_loc_t *loc,
                          const char *not_live);

/* The registry of blocks (slabs_checked.c).  reserve makes room for one more
 * block, acquiring from the source (false if it cannot); insert and remove
 * cannot fail; contains is O(1) expected. */
bool slabs_registry_reserve(slabs_t *s);
void slabs_registry_insert(slabs_t *s, const void *block);
void slabs_registry_remove(slabs_t *s, const void *block);
bool slabs_registry_contains(const slabs_t *s, const void *block);
void slabs_registry_free(slabs_t *s);

/* Live chunks of slab d that hold objects (the table chunks aside). */
static inline size_t slabs_slab_used(const slabs_class_t *c, const slab_t *d)
{
    return d->pool.live - c->table_chunks;
}

#endif

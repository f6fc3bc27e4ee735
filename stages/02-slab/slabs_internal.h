/*
 * slabs_internal.h - what the files of stage 02 share (slabs.c,
 * slabs_config.c, slabs_large.c, slabs_checked.c, slabs_check.c,
 * slabs_stats.c).  Not part of the API.  Stage 01 is reached only through
 * pool.h and pool_ext.h.
 *
 * Three private structures:
 *  - slab_t, a slab's descriptor: the stage-01 pool that owns the slab's one
 *    block, the links of its class list and, when requested sizes are
 *    tracked, its table of them.  Descriptors come from a stage-01 pool of
 *    their own (slabs_t::descs).
 *  - slabs_class_t, one size class: its geometry (taken from a stage-01 pool
 *    configured for it) and its three lists with their counts.
 *  - slabs_large_t, the header at the start of a large object's block.
 * The side table slabs_t::map (common/addrmap.h) maps the start of every
 * slab to its class and of every large block to its header (tagged with
 * SLABS_LARGE_TAG), so a free reads nothing inside the block but the object
 * itself, and no descriptor.  The descriptor of a slab is found, when it is
 * needed, through the stage-01 header at the slab's start, whose owner is
 * the pool inside the descriptor.
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
#include "hint.h"
#include "pool.h"
#include "pool_ext.h"
#include "slabs.h"

/* Keeps a rarely taken path out of line, so that the fast path around it
 * needs no stack frame (common/hint.h). */
#define SLABS_COLD SC_COLD

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

/* Offset of a large object from the start of its block: the header, rounded
 * up to a cache line. */
#define SLABS_LARGE_OFFSET ((size_t)64)

/* The map tags the headers of large blocks with this bit (slab descriptors
 * are 64-byte aligned, so it is free in theirs). */
#define SLABS_LARGE_TAG ((uintptr_t)1)

/** A slab's descriptor.  Descriptors are 64-byte aligned, and everything
 * the slab paths read and slabs_reset() writes (the list link, the class,
 * the stamp, the list, the hot head of the stage-01 pool) sits in the first
 * cache line (asserted below). */
typedef struct slab {
    slab_link_t link;     /**< position on the class list named by list */
    slabs_class_t *klass; /**< its class: one of owner->classes */
    uint64_t emptied_at;  /**< clock when it last became empty; meaningful on the empty list */
    uint8_t list;         /**< enum slab_list: the list it is on */
    bool stale;           /**< emptied by slabs_reset() without flags, its pool not reset yet: no object of it is live, whatever the pool says; only on the empty list */
    pool_t pool;          /**< the slab's chunks: a stage-01 pool owning exactly one block, the slab */
    unsigned char *table; /**< requested-size table (inline_table, or the slab's first chunks); NULL when sizes are not tracked */
    slabs_t *owner;       /**< the allocator this slab belongs to */
    uint64_t inline_table[]; /**< the table when it is at most SLAB_INLINE_TABLE bytes; present only when sizes are tracked (see slabs_desc_size()) */
} slab_t;

/* Alignment of descriptors in their pool: one cache line. */
#define SLAB_DESC_ALIGN 64

/* True if an allocator with these flags remembers each object's requested
 * size (a table per slab). */
static inline bool slabs_flags_track_sizes(unsigned flags)
{
    return (flags & (SLABS_STATS | SLABS_CHECKED | SLABS_ZERO)) != 0;
}

/* Bytes of a descriptor of an allocator with these flags: the inline table
 * only when sizes are tracked.  (slabs_reset() visits every descriptor, so
 * their size is felt on big allocators.) */
static inline size_t slabs_desc_size(unsigned flags)
{
    return sizeof(slab_t) + (slabs_flags_track_sizes(flags) ? SLAB_INLINE_TABLE : 0);
}

_Static_assert(offsetof(slab_t, pool) + offsetof(pool_t, flags) + sizeof(unsigned) <= SLAB_DESC_ALIGN,
               "a descriptor's hot fields share its first cache line");

/** One size class.  Classes are 64-byte aligned; the first cache line holds
 * what an allocation or free touches (the cache, the list sentinels, the
 * chunk counts; asserted below).  The live objects of a class are not
 * counted here: the slabs' stage-01 pools count them (cached chunks
 * included), and slabs_class_stats() adds them up.
 *
 * The cache: without flags, a freed chunk goes onto its class's cache, a
 * LIFO list threaded through the chunks, and the next allocation of the
 * class takes it back from there, while it is still in the CPU's caches.
 * Its slab still counts it live; when the cache holds cache_max chunks, the
 * older half goes back to the slabs (slabs_flush()).  Anything that needs
 * the slabs' true state (trims, checks of empty slabs, max_bytes pressure)
 * flushes the caches first. */
struct slabs_class {
    _Alignas(64) void *cache; /**< most recently freed chunk of the class, or NULL; each links to the next */
    uint32_t cached;       /**< chunks on the cache, <= cache_max; 0 with any flag */
    uint32_t cache_max;    /**< most chunks the cache holds: about SLABS_CACHE_BYTES of them, 4 to 64 */
    slab_link_t lists[SLAB_LISTS]; /**< sentinels of the partial, full and empty lists */
    /* --- the second line: slab paths, geometry and statistics --- */
    uint32_t chunks;       /**< chunks per slab, from stage 01 (per_block): table + objects */
    uint32_t table_chunks; /**< leading chunks that hold the table; 0 = it is inline or sizes are untracked */
    size_t requested;      /**< sum of the sizes asked for by live objects; kept only when sizes are tracked */
    size_t size;           /**< chunk size: the largest request served; a multiple of SLABS_GRANULE */
    uint32_t div_magic;    /**< floor(2^32 / size) + 1: chunk index = offset * div_magic >> 32 */
    uint32_t delta_mask;   /**< (1 << delta_bits) - 1 */
    uint8_t delta_bits;    /**< bits per table entry (size - requested): 4, 8, 16 or 32 */
    uint8_t delta_shift;   /**< log2(delta_bits): 2, 3, 4 or 5 */
    uint32_t first_offset; /**< offset of chunk 0 in a slab, from stage 01 */
    uint32_t n[SLAB_LISTS]; /**< slabs on each list (2^32 slabs would be 64 TiB of the smallest) */
    uint32_t smallest;     /**< smallest request served: previous class size + 1, or 1 */
    uint32_t align;        /**< alignment of its objects: size if a power of two (and it fits), else SLABS_GRANULE */
    uint32_t table_bytes;  /**< bytes of a slab's requested-size table; 0 when sizes are untracked */
};

/* Bytes of freed chunks a class's cache may hold (within 4 to 64 chunks). */
#define SLABS_CACHE_BYTES ((size_t)32768)

_Static_assert(sizeof(struct slabs_class) == 128,
               "two cache lines a class: the class of a size is one shift from the lookup");

_Static_assert(offsetof(struct slabs_class, lists) + sizeof(slab_link_t) <= 64,
               "a class's hot fields share its first cache line");

_Static_assert(offsetof(slabs_t, map) + offsetof(addrmap_t, hshift) + sizeof(unsigned) <= 64,
               "the allocator's hot fields share one cache line");

/** The header of a large object's block.  Two layouts: the plain one, the
 * header at the block's start and the object SLABS_LARGE_OFFSET bytes in;
 * and the aligned one (slabs_aligned.c), the object at the block's start
 * (aligned to at least slab_size) and the header in the block's last
 * SLABS_LARGE_OFFSET bytes.  Either way the side table maps the block's
 * start to the header. */
struct slabs_large {
    slabs_large_t *prev;  /**< previous live large object; NULL for the first */
    slabs_large_t *next;  /**< next live large object; NULL for the last */
    size_t block_bytes;   /**< bytes acquired: SLABS_LARGE_OFFSET + usable size */
    size_t requested;     /**< bytes the caller asked for */
    char *block;          /**< the block's start, aligned to slab_size: this header, or the object */
    char *obj;            /**< the object: block + SLABS_LARGE_OFFSET, or block */
};

_Static_assert(sizeof(slabs_large_t) <= SLABS_LARGE_OFFSET, "large header fits its offset");

/* ---- geometry ----------------------------------------------------------- */

// [find-slab]
/* The start of the block that holds p: slabs and large blocks are aligned
 * to slab_size, so clearing the low bits of any address inside one gives
 * its start, the key of the side table. */
static inline uintptr_t slabs_block_key(const slabs_t *s, const void *p)
{
    return (uintptr_t)p & ~(uintptr_t)(s->slab_size - 1);
}

/* What the side table says of the block that holds p: the class of a slab,
 * a large header tagged with SLABS_LARGE_TAG, or NULL (not ours). */
static inline void *slabs_block_meta(const slabs_t *s, const void *p)
{
    return addrmap_get(&s->map, slabs_block_key(s, p));
}

/* The descriptor of the slab that holds p (p known to be in a slab): the
 * stage-01 header at the slab's start names the slab's pool, which lives
 * in the descriptor. */
static inline slab_t *slabs_slab_of(const slabs_t *s, const void *p)
{
    pool_t *pool = pool_block_owner(align_ptr_down(p, s->slab_size));
    return (slab_t *)(void *)((char *)pool - offsetof(slab_t, pool));
}
// [find-slab]

static inline bool slabs_meta_is_large(const void *meta)
{
    return ((uintptr_t)meta & SLABS_LARGE_TAG) != 0;
}

static inline slabs_large_t *slabs_meta_large(const void *meta)
{
    return (slabs_large_t *)((uintptr_t)meta & ~SLABS_LARGE_TAG);
}

/* The slab's block (its one stage-01 block). */
static inline pool_block_t *slabs_slab_block(const slab_t *d)
{
    return d->pool.head;
}

/* Address of chunk 0 of slab d (a table chunk when the table is there). */
static inline char *slabs_chunk0(const slab_t *d)
{
    return pool_block_chunks(&d->pool, d->pool.head);
}

/* Index of the chunk that starts at p in slab d: one multiply instead of a
 * division (exact for every chunk start, see div_magic). */
static inline size_t slabs_slab_index(const slab_t *d, const void *p)
{
    const slabs_class_t *c = d->klass;
    uint64_t off = (uint64_t)((const char *)p - (const char *)d->pool.head - c->first_offset);
    return (size_t)((off * c->div_magic) >> 32);
}

/* The object of a large block. */
static inline void *slabs_large_obj(const slabs_large_t *l)
{
    return l->obj;
}

/* True if l has the aligned layout (the object at the block's start). */
static inline bool slabs_large_is_aligned(const slabs_large_t *l)
{
    return l->obj == l->block;
}

/* True if s remembers each object's requested size (a table per slab). */
static inline bool slabs_tracks_sizes(const slabs_t *s)
{
    return slabs_flags_track_sizes(s->flags);
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

/* Live chunks of slab d that hold objects (the table chunks aside); none
 * in a slab that slabs_reset() emptied without resetting its pool. */
static inline size_t slabs_slab_used(const slab_t *d)
{
    return d->stale ? 0 : d->pool.live - d->klass->table_chunks;
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

/* Configuration: slabs_build_lookup() (in slabs.c, beside the lookup it
 * builds for) fills the size-to-class table; slabs_class_pool_config() (in
 * slabs_config.c) is the stage-01 configuration of a slab of class c. */
void slabs_build_lookup(const slabs_t *s, uint16_t *table);
pool_config_t slabs_class_pool_config(const slabs_t *s, const slabs_class_t *c);

/* Gives every chunk on every class's cache back to its slab (slabs.c). */
void slabs_flush_all(slabs_t *s);

/* Runs attempt(s, arg) until it succeeds; when it fails because max_bytes
 * refused, gives back the longest-empty slab of any class and tries again
 * (slabs.c).  NULL if it fails otherwise, or no empty slab is left. */
void *slabs_with_room(slabs_t *s, void *(*attempt)(slabs_t *, void *), void *arg);

/* Large objects (slabs_large.c). */
void *slabs_large_alloc(slabs_t *s, size_t size, size_t capacity);
/* The same with the aligned layout when align is not 0: the block (and the
 * object at its start) aligned to max(align, slab_size). */
void *slabs_large_new(slabs_t *s, size_t size, size_t capacity, size_t align);
void slabs_large_free(slabs_t *s, slabs_large_t *l);
void *slabs_large_realloc(slabs_t *s, slabs_large_t *l, size_t size);

/* Invariant checks of one slab (slabs_check.c), for SC_ASSERT_EXPENSIVE at
 * list moves. */
size_t slabs_slab_problems(const slabs_t *s, const slab_t *d);

#endif

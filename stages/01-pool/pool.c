/*
 * pool.c - stage 01: fixed-size objects carved from aligned blocks.
 *
 * Algorithm.  pool_alloc() takes, in this order:
 *   1. the head of the free list, a singly linked list threaded through the
 *      first word of every free chunk (LIFO: the most recently freed, and so
 *      most likely cached, object is reused first);
 *   2. the next fresh chunk of the block being carved: a bump pointer moves
 *      through the block one stride at a time, so a new block costs nothing
 *      until its chunks are used (no pass over it to build a list);
 *   3. a new block from the page source, appended to the chain.
 * pool_free() pushes the chunk on the free list.  Both are O(1).
 *
 * Bounds.  One block holds per_block = (block_size - first_offset) / stride
 * chunks; the pool never holds more than max_bytes / block_size blocks.
 * Memory goes back to the source only in pool_destroy(); pool_reset() keeps
 * the blocks and carves them again from the first.
 *
 * Invariants (pool_check()): see pool.h.  In particular carving only happens
 * when the free list is empty, so live == carved at that moment, which is
 * why peak_live needs updating only on the slow path.
 *
 * The free list and the unchecked fast path are in pool_ext.h (allocators
 * built on pools use them too), checked mode in pool_checked.c, the
 * invariant checker in pool_check.c.
 */
#include "pool.h"

#include <errno.h>
#include <stdalign.h>
#include <stdbool.h>
#include <string.h>

#include "debug.h"
#include "pool_internal.h"
#include "secret.h"

/* ---- blocks and carving ------------------------------------------------- */

/* Makes b the block being carved, from its first chunk. */
static void carve_start(pool_t *p, pool_block_t *b)
{
    p->carve = b;
    p->bump = b ? pool_block_chunks(p, b) : NULL;
    p->bump_end = b ? p->bump + p->per_block * p->stride : NULL;
}

/* Takes a new block from the source and appends it to the chain.
 * Returns NULL, changing nothing, if max_bytes or the source says no. */
static pool_block_t *block_acquire(pool_t *p)
{
    if (p->max_bytes && p->max_bytes - p->bytes_from_source < p->block_size)
        return NULL;
    pool_block_t *b = p->source->acquire(p->source->ctx, p->block_size, p->block_size);
    if (b == NULL)
        return NULL;
    SC_ASSERT(align_ptr_is(b, p->block_size));
    b->next = NULL;
    b->owner = p;
    b->cookie = block_cookie(p, b);
    memset(pool_block_bitmap(b), 0, p->bitmap_words * sizeof(uint64_t));
    tool_noaccess(pool_block_chunks(p, b), p->block_size - p->first_offset);
    if (p->tail)
        p->tail->next = b;
    else
        p->head = b;
    p->tail = b;
    p->blocks++;
    p->bytes_from_source += p->block_size;
    SC_ASSERT_EXPENSIVE(pool_check(p) == 0);
    return b;
}

// [carve]
/* Returns the next never-used chunk: from the carve block while it lasts,
 * then from the next block of the chain (kept by a reset), then from a new
 * block.  NULL if no block can be had. */
static void *carve_chunk(pool_t *p)
{
    if (p->bump == p->bump_end) {
        pool_block_t *next = p->carve ? p->carve->next : p->head;
        if (next == NULL && (next = block_acquire(p)) == NULL)
            return NULL;
        carve_start(p, next);
    }
    void *obj = p->bump;
    p->bump += p->stride;
    p->carved++;
    return obj;
}
// [carve]

/* ---- configuration ------------------------------------------------------ */

/* Bytes before chunk 0 when a block holds at most n chunks. */
static size_t header_bytes(const pool_t *p, size_t n)
{
    size_t words = (p->flags & POOL_CHECKED) ? (n + 63) / 64 : 0;
    return sizeof(pool_block_t) + words * sizeof(uint64_t);
}

/* Fills in first_offset, per_block and bitmap_words for p->block_size.
 * Returns false if not even one chunk fits. */
static bool layout_block(pool_t *p)
{
    size_t hdr = sizeof(pool_block_t);
    if (p->block_size < hdr + p->stride)
        return false;
    size_t upper = (p->block_size - hdr) / p->stride; /* ignores the bitmap */
    size_t first = align_up(header_bytes(p, upper), p->align);
    if (first >= p->block_size || p->block_size - first < p->stride)
        return false;
    p->first_offset = first;
    p->per_block = (p->block_size - first) / p->stride;
    p->bitmap_words = (p->flags & POOL_CHECKED) ? (upper + 63) / 64 : 0;
    return true;
}

/* The default block: 64 KiB, or the smallest power of two that holds eight
 * objects if they are big.  0 if that overflows. */
static size_t default_block_size(const pool_t *p)
{
    size_t eight = p->stride * 8;
    if (eight / 8 != p->stride)
        return 0;
    /* cannot overflow: eight is a multiple of 8 * align, so it is at least
     * 8 * align below SIZE_MAX + 1, more than header and align need */
    size_t need = header_bytes(p, 8) + p->align + eight;
    size_t bs = align_next_pow2(need);
    return bs && bs < POOL_DEFAULT_BLOCK_SIZE ? POOL_DEFAULT_BLOCK_SIZE : bs;
}

/* Validates cfg and fills in p's geometry; false if cfg is unusable. */
static bool configure(pool_t *p, const pool_config_t *cfg)
{
    size_t align = cfg->align ? cfg->align : alignof(max_align_t);
    if (cfg->obj_size == 0 || !align_is_pow2(align))
        return false;
    if (cfg->flags & ~(unsigned)(POOL_ZERO | POOL_CHECKED))
        return false;
    if (cfg->block_size && !align_is_pow2(cfg->block_size))
        return false;
    p->flags = cfg->flags;
    p->obj_size = cfg->obj_size;
    p->align = align < alignof(void *) ? alignof(void *) : align;
    /* a free chunk holds its link (checked mode: and the link's check) */
    size_t links = (cfg->flags & POOL_CHECKED) ? 2 * sizeof(void *) : sizeof(void *);
    size_t base = cfg->obj_size < links ? links : cfg->obj_size;
    if (!align_up_checked(base, p->align, &p->stride))
        return false;
    p->block_size = cfg->block_size ? cfg->block_size : default_block_size(p);
    if (p->block_size < p->align || !layout_block(p))
        return false;
    if (cfg->max_bytes && cfg->max_bytes < p->block_size)
        return false;
    p->max_bytes = cfg->max_bytes;
    p->source = cfg->source ? cfg->source : page_source_default();
    return true;
}

/* ---- public API --------------------------------------------------------- */

int pool_init(pool_t *p, const pool_config_t *cfg)
{
    if (p == NULL)
        return -EINVAL;
    memset(p, 0, sizeof *p);
    if (cfg == NULL || !configure(p, cfg)) {
        memset(p, 0, sizeof *p);
        return -EINVAL;
    }
    p->secret = secret_make(p);
    return 0;
}

/* Everything but a plain pop from the free list: a NULL pool, checked mode,
 * zeroing, carving, growing, and running out.  Kept out of line so that
 * pool_alloc() itself stays a leaf with no stack frame. */
static __attribute__((noinline)) void *pool_alloc_slow(pool_t *p)
{
    if (p == NULL) {
        errno = EINVAL;
        return NULL;
    }
    void *obj;
    do
        obj = pool_freelist_pop(p);
    while (obj && (p->flags & POOL_CHECKED) && !pool_checked_reuse_ok(p, obj));
    if (obj == NULL && (obj = carve_chunk(p)) == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    pool_chunk_expose(p, obj);
    if (++p->live > p->peak_live)
        p->peak_live = p->live;
    if (p->flags & POOL_CHECKED)
        pool_checked_on_alloc(p, obj);
    if (p->flags & POOL_ZERO)
        memset(obj, 0, p->obj_size);
    return obj;
}

/* A free in checked mode: validated first, refused after a report. */
static __attribute__((noinline)) void pool_free_checked(pool_t *p, void *obj)
{
    if (!pool_checked_on_free(p, obj))
        return;
    pool_push_fast(p, obj);
}

// [alloc]
void *pool_alloc(pool_t *p)
{
    if (p == NULL || p->free_list == NULL || (p->flags & (POOL_ZERO | POOL_CHECKED)))
        return pool_alloc_slow(p);
    return pool_pop_fast(p);
}

void pool_free(pool_t *p, void *obj)
{
    if (p == NULL || obj == NULL)
        return;
    if (p->flags & POOL_CHECKED) {
        pool_free_checked(p, obj);
        return;
    }
    pool_push_fast(p, obj);
}
// [alloc]

/* ---- whole-pool operations ----------------------------------- exercise 01-reset */

#ifdef SC_EX_01_RESET
#include "01-reset/reset.c"
#else
// [reset]
void pool_reset(pool_t *p)
{
    if (p == NULL)
        return;
    /* per block: clear the live bitmap (checked mode) and tell the tools
     * every chunk is off limits; with neither, the blocks need no visit */
    if (p->bitmap_words != 0 || TOOL_ACTIVE) {
        for (pool_block_t *b = p->head; b != NULL; b = b->next) {
            memset(pool_block_bitmap(b), 0, p->bitmap_words * sizeof(uint64_t));
            tool_noaccess(pool_block_chunks(p, b), p->block_size - p->first_offset);
        }
    }
    p->free_list = NULL;
    p->live = 0;
    p->carved = 0;
    p->quarantined = 0;
    carve_start(p, p->head);
    SC_ASSERT_EXPENSIVE(pool_check(p) == 0);
}
// [reset]
#endif

void pool_destroy(pool_t *p)
{
    if (p == NULL)
        return;
    SC_ASSERT_EXPENSIVE(pool_check(p) == 0);
    /* The last block's link is not read: a pool of one block (every slab of
     * stage 02) is destroyed without touching its memory, which is a cache
     * miss per block when thousands are destroyed together. */
    pool_block_t *b = p->head;
    for (size_t k = p->blocks; k > 0; k--) {
        pool_block_t *next = k > 1 ? b->next : NULL;
        tool_undefined(b, p->block_size);
        p->source->release(p->source->ctx, b, p->block_size);
        b = next;
    }
    memset(p, 0, sizeof *p);
}

void pool_stats(const pool_t *p, pool_stats_t *out)
{
    if (out == NULL)
        return;
    memset(out, 0, sizeof *out);
    if (p == NULL)
        return;
    out->live = p->live;
    out->peak_live = p->peak_live;
    out->capacity = p->blocks * p->per_block;
    out->blocks = p->blocks;
    out->bytes_from_source = p->bytes_from_source;
}

/**
 * @file pool_ext.h
 * @brief Stage 01 for allocators built on pools: the block layout, the
 *        unchecked free-list fast path, and queries about one chunk.
 *
 * pool.h is all an ordinary user needs.  This header is for code that builds
 * another allocator out of pools (stage 02 makes every slab a pool of one
 * block) and needs more than pool_alloc() and pool_free() offer:
 *  - the fast path itself, inline, so that the allocator on top pays no call
 *    for its hottest operation: pool_pop_fast() and pool_push_fast() are
 *    exactly what pool_alloc() and pool_free() do for a pool without flags,
 *    and pool.c uses them too, so there is one copy of each;
 *  - the layout of a block: where its chunks start, which chunk a pointer
 *    is, whether checked mode marks a chunk live;
 *  - the tool annotations of one chunk, so that memcheck and ASan see every
 *    state change the fast path makes.
 *
 * What a caller may read in a pool_t: @c free_list, @c live, @c quarantined,
 * @c flags, @c obj_size, @c stride, @c block_size, @c first_offset,
 * @c per_block, @c head and @c blocks.  It writes none of them itself: only
 * through the functions of pool.h and of this header, which keep the
 * invariants of pool.h.
 *
 * Layout of a block (see pool.h for the picture): the pool_block_t header,
 * then in checked mode a live bitmap of one bit per chunk (1 = handed out),
 * then chunk i at block + first_offset + i * stride, for i < per_block.
 */
#ifndef SLABCRAFT_POOL_EXT_H
#define SLABCRAFT_POOL_EXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "align.h"
#include "pool.h"
#include "tool.h"

/* ---- block layout ------------------------------------------------------- */

// [owner]
/**
 * @brief The block that holds @p obj.  Blocks are aligned to their size, so
 *        clearing the low bits of any address inside a block gives its start.
 * @param p   the pool
 * @param obj any address inside one of @p p's blocks
 * @return the block's header
 */
static inline pool_block_t *pool_block_of(const pool_t *p, const void *obj)
{
    return align_ptr_down(obj, p->block_size);
}
// [owner]

/**
 * @brief The pool that acquired block @p b: the owner its header names.
 * @param b a block of some pool
 * @return that pool
 */
static inline pool_t *pool_block_owner(const pool_block_t *b)
{
    return (pool_t *)(uintptr_t)b->owner;
}

/**
 * @brief Address of chunk 0 of block @p b of pool @p p.
 * @param p the pool
 * @param b one of its blocks
 * @return the first chunk
 */
static inline char *pool_block_chunks(const pool_t *p, const pool_block_t *b)
{
    return (char *)(uintptr_t)b + p->first_offset;
}

/**
 * @brief The live bitmap of a block (POOL_CHECKED only): bit i set means
 *        chunk i is handed out.
 * @param b a block of a checked pool
 * @return its first bitmap word
 */
static inline uint64_t *pool_block_bitmap(const pool_block_t *b)
{
    return (uint64_t *)(uintptr_t)(b + 1);
}

/**
 * @brief Index of the chunk that starts at @p ptr in block @p b.
 * @param p   the pool
 * @param b   one of its blocks
 * @param ptr any address
 * @param why if not NULL and @p ptr is not a chunk start of @p b, receives
 *            the rule it breaks: "foreign-pointer" (outside the chunks),
 *            "interior-pointer" or "misaligned-pointer"
 * @return the index, or @c per_block if @p ptr is not the start of a chunk
 *         of @p b
 */
static inline size_t pool_chunk_index(const pool_t *p, const pool_block_t *b,
                                      const void *ptr, const char **why)
{
    const char *first = pool_block_chunks(p, b);
    const char *c = ptr;
    const char *kind = "foreign-pointer";
    if (c >= first && (size_t)(c - first) < p->per_block * p->stride) {
        size_t off = (size_t)(c - first);
        if (off % p->stride == 0)
            return off / p->stride;
        kind = align_ptr_is(ptr, p->align) ? "interior-pointer" : "misaligned-pointer";
    }
    if (why != NULL)
        *why = kind;
    return p->per_block;
}

/**
 * @brief True if checked mode marks chunk @p i of block @p b as handed out.
 * @pre @p p has POOL_CHECKED and @p i < per_block
 * @param p the pool
 * @param b one of its blocks
 * @param i a chunk index
 * @return the chunk's live bit
 */
static inline bool pool_chunk_is_live(const pool_t *p, const pool_block_t *b, size_t i)
{
    (void)p;
    return (pool_block_bitmap(b)[i / 64] >> (i % 64)) & 1u;
}

/* ---- tool annotations for one chunk (nothing in an ordinary build) ------- */
// [chunk-tools]

/**
 * @brief The chunk goes to the caller: its obj_size bytes become usable
 *        (contents undefined); padding up to stride stays off limits.
 * @param p   the pool
 * @param obj a chunk of @p p
 */
static inline void pool_chunk_expose(const pool_t *p, void *obj)
{
#if TOOL_ACTIVE
    tool_noaccess(obj, p->stride);
    tool_undefined(obj, p->obj_size);
#else
    (void)p, (void)obj;
#endif
}

/**
 * @brief The chunk is free: nothing outside the allocator may touch it.
 * @param p   the pool
 * @param obj a chunk of @p p
 */
static inline void pool_chunk_hide(const pool_t *p, void *obj)
{
    tool_noaccess(obj, p->stride);
}

/**
 * @brief Reads the free-list link stored in the first word of a free chunk.
 * @param obj a free chunk
 * @return the next free chunk, or NULL
 */
static inline void *pool_link_read(void *obj)
{
    tool_defined(obj, sizeof(void *));
    return *(void **)obj;
}

/**
 * @brief Writes the free-list link of a chunk that is becoming free.
 * @param obj  the chunk
 * @param next the chunk that follows it on the free list, or NULL
 */
static inline void pool_link_write(void *obj, void *next)
{
    tool_undefined(obj, sizeof(void *));
    *(void **)obj = next;
}
// [chunk-tools]

/* ---- the free list ---------------------------------- exercise 01-freelist */

#ifdef SC_EX_01_FREELIST
#include "01-freelist/freelist.c"
#else
// [freelist]
/**
 * @brief Pushes a chunk that has just become free: its first word now holds
 *        the old head, and it becomes the head.
 * @param p   the pool
 * @param obj the chunk
 */
static inline void pool_freelist_push(pool_t *p, void *obj)
{
    pool_link_write(obj, p->free_list);
    pool_chunk_hide(p, obj);
    p->free_list = obj;
}

/**
 * @brief Pops the most recently freed chunk.
 * @param p the pool
 * @return the chunk, or NULL if the free list is empty
 */
static inline void *pool_freelist_pop(pool_t *p)
{
    void *obj = p->free_list;
    if (obj != NULL)
        p->free_list = pool_link_read(obj);
    return obj;
}
// [freelist]
#endif

/* ---- the unchecked fast path -------------------------------------------- */

/**
 * @brief pool_alloc() for a pool without flags whose free list is not
 *        empty: pops the most recently freed chunk and hands it out.
 * @pre p->flags == 0 and p->free_list != NULL
 * @param p the pool
 * @return the object
 */
static inline void *pool_pop_fast(pool_t *p)
{
    void *obj = pool_freelist_pop(p);
    pool_chunk_expose(p, obj);
    p->live++;
    return obj;
}

/**
 * @brief pool_free() for a pool without POOL_CHECKED: pushes @p obj on the
 *        free list.
 * @pre @p p has no POOL_CHECKED, and @p obj is a live object of @p p
 * @param p   the pool
 * @param obj the object
 */
static inline void pool_push_fast(pool_t *p, void *obj)
{
    pool_freelist_push(p, obj);
    p->live--;
}

#endif

/*
 * pool_internal.h - block and chunk helpers shared by the files of stage 01
 * (pool.c, pool_checked.c, pool_check.c).  Not part of the public API.
 *
 * Geometry in one place: a block starts with its pool_block_t header, then
 * (checked mode) its live bitmap, then chunk i at block + first_offset +
 * i * stride for i < per_block.
 */
#ifndef SLABCRAFT_POOL_INTERNAL_H
#define SLABCRAFT_POOL_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "align.h"
#include "pool.h"
#include "tool.h"

/* ---- block geometry ----------------------------------------------------- */

/* The live bitmap of a block (checked mode): bit i = chunk i is handed out. */
static inline uint64_t *block_bitmap(const pool_block_t *b)
{
    return (uint64_t *)(uintptr_t)(b + 1);
}

/* Address of chunk 0 of block b. */
static inline char *block_chunks(const pool_t *p, const pool_block_t *b)
{
    return (char *)(uintptr_t)b + p->first_offset;
}

// [owner]
/* The block that holds obj: blocks are aligned to their size, so masking
 * the low bits of any address inside a block gives the block's start. */
static inline pool_block_t *block_of(const pool_t *p, const void *obj)
{
    return align_ptr_down(obj, p->block_size);
}
// [owner]

/* The cookie a block of pool p must carry. */
static inline uintptr_t block_cookie(const pool_t *p, const pool_block_t *b)
{
    return (uintptr_t)b ^ p->secret;
}

/* True if b's header says it belongs to p. */
static inline bool block_is_ours(const pool_t *p, const pool_block_t *b)
{
    return b->owner == p && b->cookie == block_cookie(p, b);
}

/* Index of the chunk at ptr in block b, or per_block if ptr is not the start
 * of a chunk of b; then *why names the rule it breaks. */
static inline size_t chunk_index(const pool_t *p, const pool_block_t *b,
                                 const void *ptr, const char **why)
{
    const char *first = block_chunks(p, b);
    const char *c = ptr;
    *why = "foreign-pointer";
    if (c < first || (size_t)(c - first) >= p->per_block * p->stride)
        return p->per_block;
    size_t off = (size_t)(c - first);
    if (off % p->stride == 0)
        return off / p->stride;
    *why = align_ptr_is(ptr, p->align) ? "interior-pointer" : "misaligned-pointer";
    return p->per_block;
}

static inline bool bitmap_get(const uint64_t *bm, size_t i)
{
    return (bm[i / 64] >> (i % 64)) & 1u;
}

static inline void bitmap_put(uint64_t *bm, size_t i, bool v)
{
    uint64_t bit = (uint64_t)1 << (i % 64);
    bm[i / 64] = v ? bm[i / 64] | bit : bm[i / 64] & ~bit;
}

/* ---- tool annotations for one chunk (nothing in an ordinary build) ------- */
// [chunk-tools]

/* The chunk goes to the caller: its obj_size bytes become usable (contents
 * undefined); padding up to stride stays off limits. */
static inline void chunk_expose(const pool_t *p, void *obj)
{
#if TOOL_ACTIVE
    tool_noaccess(obj, p->stride);
    tool_undefined(obj, p->obj_size);
#else
    (void)p, (void)obj;
#endif
}

/* The chunk is free: nothing outside the allocator may touch it. */
static inline void chunk_hide(const pool_t *p, void *obj)
{
    tool_noaccess(obj, p->stride);
}

/* Reads the free-list link stored in the first word of a free chunk. */
static inline void *link_read(void *obj)
{
    tool_defined(obj, sizeof(void *));
    return *(void **)obj;
}

/* Writes the free-list link of a chunk that is becoming free. */
static inline void link_write(void *obj, void *next)
{
    tool_undefined(obj, sizeof(void *));
    *(void **)obj = next;
}
// [chunk-tools]

/* ---- checked mode (pool_checked.c) -------------------------------------- */

/* Validates a free with POOL_CHECKED; on success marks obj free and fills it
 * with FILL_FREED.  Returns false (after reporting) if the free must not
 * happen. */
bool pool_checked_on_free(pool_t *p, void *obj);

/* Validates a chunk just popped from the free list, and the new head of the
 * list.  Returns false (after reporting and quarantining obj) if obj was
 * damaged after it was freed. */
bool pool_checked_reuse_ok(pool_t *p, void *obj);

/* Marks obj live and writes FILL_FRESH and FILL_GUARD into it. */
void pool_checked_on_alloc(pool_t *p, void *obj);

#endif

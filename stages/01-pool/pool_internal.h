/*
 * pool_internal.h - what the files of stage 01 share (pool.c,
 * pool_checked.c, pool_check.c) beyond pool_ext.h.  Not part of the API,
 * and never included outside stages/01-pool/: allocators built on pools use
 * pool_ext.h.
 *
 * Here: the block cookie, writing the live bitmap, the checks of a free
 * chunk's fill and link-check word (checked mode, used both when a chunk is
 * reused and by pool_check()), and the entry points of pool_checked.c.
 */
#ifndef SLABCRAFT_POOL_INTERNAL_H
#define SLABCRAFT_POOL_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "fill.h"
#include "pool_ext.h"

/* ---- block header and bitmap -------------------------------------------- */

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

static inline void bitmap_put(uint64_t *bm, size_t i, bool v)
{
    uint64_t bit = (uint64_t)1 << (i % 64);
    bm[i / 64] = v ? bm[i / 64] | bit : bm[i / 64] & ~bit;
}

/* ---- a free chunk in checked mode ---------------------------------------- */

/* A free chunk of a checked pool: word 0 is its link, word 1 the link's
 * check (link ^ secret), the rest FILL_FREED. */
#define POOL_FREE_BODY (2 * sizeof(void *))

/* True if free chunk obj still holds FILL_FREED after its two link words.
 * The bytes are made readable for the comparison and hidden again. */
static inline bool freed_fill_intact(const pool_t *p, void *obj)
{
    size_t n = p->stride - POOL_FREE_BODY;
    char *body = (char *)obj + POOL_FREE_BODY;
    tool_defined(body, n);
    bool ok = fill_find_damage(body, n, FILL_FREED) == n;
    tool_noaccess(body, n);
    return ok;
}

// [link-check]
/* True if word 1 of free chunk obj holds link ^ secret: the link in word 0
 * is the one the pool wrote. */
static inline bool link_check_matches(const pool_t *p, void *obj, const void *link)
{
    uintptr_t *check = (uintptr_t *)obj + 1;
    tool_defined(check, sizeof *check);
    bool ok = *check == ((uintptr_t)link ^ p->secret);
    tool_noaccess(check, sizeof *check);
    return ok;
}
// [link-check]

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

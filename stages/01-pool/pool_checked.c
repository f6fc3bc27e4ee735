/*
 * pool_checked.c - stage 01's checked mode (POOL_CHECKED).
 *
 * Every check is O(1) in the number of objects:
 *   - the block of a pointer is found by masking; its header names the owner
 *     pool and carries a cookie, so a pointer from another pool is known;
 *   - the offset inside the block tells a chunk start from an interior or
 *     misaligned pointer (one division by the stride);
 *   - a bitmap after the header, one bit per chunk, tells live from free, so
 *     a second free of the same object is known;
 *   - fill bytes (fill.h) in the padding of live objects and in the body of
 *     free ones show writes past the end and writes after free.  The bytes
 *     are compared when the object is freed or reused: O(object size);
 *   - a free chunk's second word holds its link XOR the pool's secret, so a
 *     link overwritten after free is never followed.  (That is why checked
 *     mode makes every chunk at least two words long.)
 * Misuse goes to the misuse handler; if it returns, the pool is unchanged,
 * except that a damaged free object is withheld from reuse (quarantined).
 */
#include <stdbool.h>
#include <string.h>

#include "misuse.h"
#include "pool_internal.h"

static void report(const char *kind, const void *addr, const char *message)
{
    misuse_report_t r = {"pool", kind, addr, message};
    misuse_report(&r);
}

/* ---- validating a free ----------------------------- exercise 01-checked */

#ifdef SC_EX_01_CHECKED
#include "01-checked/checked.c"
#else
// [checked-free]
/* Returns NULL if obj may be freed, else the kind of misuse it is. */
static const char *free_problem(const pool_t *p, const void *obj)
{
    const pool_block_t *b = pool_block_of(p, obj);
    if (!block_is_ours(p, b))
        return "foreign-pointer";
    const char *why = NULL;
    size_t i = pool_chunk_index(p, b, obj, &why);
    if (i == p->per_block)
        return why;
    if (!pool_chunk_is_live(p, b, i))
        return "double-free";
    return NULL;
}
// [checked-free]
#endif

static const char *problem_message(const char *kind)
{
    if (strcmp(kind, "double-free") == 0)
        return "object is not live: freed twice, or never handed out";
    if (strcmp(kind, "interior-pointer") == 0)
        return "pointer into the middle of an object, not its start";
    if (strcmp(kind, "misaligned-pointer") == 0)
        return "pointer not aligned to the pool's alignment";
    return "pointer was not handed out by this pool";
}

/* True if the padding of a live object still holds its guard bytes. */
static bool guard_intact(const pool_t *p, void *obj)
{
    size_t pad = p->stride - p->obj_size;
    char *g = (char *)obj + p->obj_size;
    tool_defined(g, pad);
    bool ok = fill_find_damage(g, pad, FILL_GUARD) == pad;
    tool_noaccess(g, pad);
    return ok;
}

bool pool_checked_on_free(pool_t *p, void *obj)
{
    const char *kind = free_problem(p, obj);
    if (kind != NULL) {
        report(kind, obj, problem_message(kind));
        return false;
    }
    if (!guard_intact(p, obj)) {
        report("buffer-overflow", obj, "bytes past the end of the object were written");
        return false;
    }
    pool_block_t *b = pool_block_of(p, obj);
    bitmap_put(pool_block_bitmap(b), pool_chunk_index(p, b, obj, NULL), false);
    /* pool_freelist_push() will store the old head in word 0; word 1 keeps a
     * check of it, the rest the freed fill. */
    tool_defined(obj, p->stride);
    ((uintptr_t *)obj)[1] = (uintptr_t)p->free_list ^ p->secret;
    memset((char *)obj + POOL_FREE_BODY, FILL_FREED, p->stride - POOL_FREE_BODY);
    return true;
}

/* ---- validating reuse ---------------------------------------------------- */

bool pool_checked_reuse_ok(pool_t *p, void *obj)
{
    /* the link just read from obj is now p->free_list */
    if (!link_check_matches(p, obj, p->free_list)) {
        /* The link in obj was overwritten: the rest of the list is lost.
         * Withhold it, and obj with it (obj is not counted anywhere yet, so
         * every chunk neither live nor withheld goes). */
        report("use-after-free", obj, "a freed object's free-list link was overwritten");
        p->quarantined = p->carved - p->live;
        p->free_list = NULL;
        pool_chunk_hide(p, obj);
        return false;
    }
    if (!freed_fill_intact(p, obj)) {
        report("use-after-free", obj, "a freed object was written after it was freed");
        p->quarantined++;
        pool_chunk_hide(p, obj);
        return false;
    }
    return true;
}

void pool_checked_on_alloc(pool_t *p, void *obj)
{
    pool_block_t *b = pool_block_of(p, obj);
    bitmap_put(pool_block_bitmap(b), pool_chunk_index(p, b, obj, NULL), true);
    if (!(p->flags & POOL_ZERO))
        memset(obj, FILL_FRESH, p->obj_size);
    char *g = (char *)obj + p->obj_size;
    tool_undefined(g, p->stride - p->obj_size);
    memset(g, FILL_GUARD, p->stride - p->obj_size);
    tool_noaccess(g, p->stride - p->obj_size);
}

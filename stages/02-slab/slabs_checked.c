/*
 * slabs_checked.c - stage 02's checked mode (SLABS_CHECKED).
 *
 * Stage 01's checked mode already guards each slab: the live bitmap, the
 * fill bytes, the checked free-list links.  What a multi-size allocator adds
 * is the first step: is the masked address one of our blocks at all?  The
 * side table (slabs_t::map, common/addrmap.h) that every free consults
 * answers it without reading the block, so a foreign pointer is never
 * dereferenced:
 *
 *   mask p -> block b -> b in the side table?        no: foreign-pointer
 *   b large: p the object's start?                   no: interior-pointer
 *   b a slab: p inside the object chunks, at a chunk start, and live in
 *   stage 01's bitmap?                               no: foreign / interior /
 *                                                        misaligned / double-free
 * All O(1) (the side table expected O(1)).
 */
#include <string.h>

#include "debug.h"
#include "misuse.h"
#include "pool_ext.h"
#include "slabs_internal.h"

/* ---- locating a pointer ------------------------------------------------- */

static bool report(const char *kind, const void *p, const char *message)
{
    misuse_report_t r = {"slabs", kind, p, message};
    misuse_report(&r);
    return false;
}

/* interior-pointer or misaligned-pointer, for a p that is not an object
 * start. */
static bool report_not_start(const void *p)
{
    if (!align_ptr_is(p, SLABS_GRANULE))
        return report("misaligned-pointer", p, "pointer not aligned like any object");
    return report("interior-pointer", p, "pointer into the middle of an object, not its start");
}

static bool locate_large(slabs_large_t *l, const void *p, slabs_loc_t *loc)
{
    if (p != slabs_large_obj(l))
        return report_not_start(p);
    loc->large = l;
    return true;
}

static bool locate_chunk(slab_t *d, const void *p, slabs_loc_t *loc, const char *not_live)
{
    const char *why = NULL;
    size_t i = pool_chunk_index(&d->pool, slabs_slab_block(d), p, &why);
    bool outside = i == d->pool.per_block && strcmp(why, "foreign-pointer") == 0;
    if (i == d->pool.per_block && !outside)
        return report_not_start(p);
    if (outside || i < d->klass->table_chunks) /* the table's chunks hold no object */
        return report("foreign-pointer", p, "pointer into a slab, but not into its objects");
    if (!pool_chunk_is_live(&d->pool, slabs_slab_block(d), i))
        return report(not_live, p, "object is not live: freed already, or never handed out");
    loc->slab = d;
    loc->index = i;
    return true;
}

bool slabs_checked_locate(const slabs_t *s, const void *p, slabs_loc_t *loc,
                          const char *not_live)
{
    loc->slab = NULL;
    loc->large = NULL;
    loc->index = 0;
    void *meta = slabs_block_meta(s, p);
    if (meta == NULL)
        return report("foreign-pointer", p, "pointer is not in any live slab or large object of this allocator");
    if (slabs_meta_is_large(meta))
        return locate_large(slabs_meta_large(meta), p, loc);
    slab_t *d = slabs_slab_of(s, p);
    SC_ASSERT(d->owner == s && d->klass == meta);
    return locate_chunk(d, p, loc, not_live);
}

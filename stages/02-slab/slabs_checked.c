/*
 * slabs_checked.c - stage 02's checked mode (SLABS_CHECKED).
 *
 * Stage 01's checked mode already guards each slab: the live bitmap, the
 * fill bytes, the checked free-list links.  What a multi-size allocator adds
 * is the first step: is the masked address one of our blocks at all?
 * Reading the header there is only safe once we know, so checked mode keeps
 * a registry, a hash set of the start address of every live slab and large
 * block, and asks it before touching the block:
 *
 *   mask p -> block b -> b in the registry?          no: foreign-pointer
 *   b's owner NULL (large): p the object's start?    no: interior-pointer
 *   b a slab: p inside the object chunks, at a chunk start (offset % stride),
 *   and live in stage 01's bitmap?                   no: foreign / interior /
 *                                                        misaligned / double-free
 * All O(1) (the registry expected O(1)).  The registry is open addressing
 * with linear probing over block addresses; it holds at most half its
 * slots, grows by doubling (memory from the allocator's source, counted and
 * capped like everything else), and deletes by shifting later entries back,
 * so it needs no tombstones.
 */
#include <errno.h>

#include "debug.h"
#include "misuse.h"
#include "slabs_internal.h"

/* ---- the registry ------------------------------------------------------- */

/* The home slot of a block: blocks are slab_size-aligned, so drop those
 * zero bits and spread the rest with a multiplicative hash. */
static size_t reg_home(const slabs_t *s, uintptr_t key)
{
    unsigned shift = (unsigned)__builtin_ctzll((unsigned long long)s->slab_size);
    unsigned bits = (unsigned)__builtin_ctzll((unsigned long long)s->registry_cap);
    uint64_t h = (uint64_t)(key >> shift) * 0x9E3779B97F4A7C15u;
    return (size_t)(h >> (64 - bits));
}

/* The slot holding key, or the empty slot where it would go. */
static size_t reg_slot(const slabs_t *s, uintptr_t key)
{
    size_t mask = s->registry_cap - 1;
    size_t i = reg_home(s, key);
    while (s->registry[i] != 0 && s->registry[i] != key)
        i = (i + 1) & mask;
    return i;
}

bool slabs_registry_contains(const slabs_t *s, const void *block)
{
    if (s->registry_cap == 0)
        return false;
    return s->registry[reg_slot(s, (uintptr_t)block)] == (uintptr_t)block;
}

bool slabs_registry_reserve(slabs_t *s)
{
    if ((s->registry_count + 1) * 2 <= s->registry_cap)
        return true;
    size_t cap = s->registry_cap ? s->registry_cap * 2 : SLABS_REGISTRY_MIN;
    uintptr_t *fresh = s->source.acquire(s, cap * sizeof *fresh, 64);
    if (fresh == NULL)
        return false;
    memset(fresh, 0, cap * sizeof *fresh);
    uintptr_t *old = s->registry;
    size_t old_cap = s->registry_cap;
    s->registry = fresh;
    s->registry_cap = cap;
    for (size_t i = 0; i < old_cap; i++)
        if (old[i] != 0)
            s->registry[reg_slot(s, old[i])] = old[i];
    if (old != NULL)
        s->source.release(s, old, old_cap * sizeof *old);
    return true;
}

void slabs_registry_insert(slabs_t *s, const void *block)
{
    SC_ASSERT((s->registry_count + 1) * 2 <= s->registry_cap);
    size_t i = reg_slot(s, (uintptr_t)block);
    SC_ASSERT(s->registry[i] == 0);
    s->registry[i] = (uintptr_t)block;
    s->registry_count++;
}

/* True if home slot h lies cyclically in (i, j]: the entry at j may not
 * move back to i. */
static bool reg_between(size_t i, size_t h, size_t j)
{
    return i <= j ? (i < h && h <= j) : (i < h || h <= j);
}

void slabs_registry_remove(slabs_t *s, const void *block)
{
    size_t mask = s->registry_cap - 1;
    size_t i = reg_slot(s, (uintptr_t)block);
    SC_ASSERT(s->registry[i] == (uintptr_t)block);
    s->registry[i] = 0;
    s->registry_count--;
    for (size_t j = (i + 1) & mask; s->registry[j] != 0; j = (j + 1) & mask) {
        if (reg_between(i, reg_home(s, s->registry[j]), j))
            continue;
        s->registry[i] = s->registry[j];
        s->registry[j] = 0;
        i = j;
    }
}

void slabs_registry_free(slabs_t *s)
{
    if (s->registry != NULL)
        s->source.release(s, s->registry, s->registry_cap * sizeof *s->registry);
    s->registry = NULL;
    s->registry_cap = 0;
    s->registry_count = 0;
}

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

static bool locate_chunk(const slabs_t *s, slab_t *d, const void *p, slabs_loc_t *loc,
                         const char *not_live)
{
    const slabs_class_t *c = &s->classes[d->cls];
    const char *first = slabs_chunk0(d) + c->table_chunks * c->stride;
    const char *end = slabs_chunk0(d) + d->pool.per_block * c->stride;
    const char *q = p;
    if (q < first || q >= end)
        return report("foreign-pointer", p, "pointer into a slab, but not into its objects");
    if ((size_t)(q - first) % c->stride != 0)
        return report_not_start(p);
    size_t i = slabs_chunk_index(c, d->pool.head, p);
    if (!slabs_pool_bit(d->pool.head, i))
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
    pool_block_t *b = slabs_block_of(s, p);
    if (!slabs_registry_contains(s, b))
        return report("foreign-pointer", p, "pointer is not in any live slab or large object of this allocator");
    if (b->owner == NULL)
        return locate_large((slabs_large_t *)b, p, loc);
    slab_t *d = slabs_slab_of_pool(b->owner);
    SC_ASSERT(d->owner == s && d->pool.head == b);
    return locate_chunk(s, d, p, loc, not_live);
}

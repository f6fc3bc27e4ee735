/*
 * slabs_check.c - stage 02's invariant checker, slabs_check().
 *
 * What it verifies, each broken rule counted once:
 *  - the class table: sizes strictly ascending multiples of the granule,
 *    the last one max_size; the lookup table names, for every granule, the
 *    smallest class that holds it;
 *  - every class list: links consistent both ways, length equal to its
 *    count; each slab on it belongs to this allocator and class, says it is
 *    on this list, has its block aligned to slab_size, a live count that
 *    fits the list (partial: some free, and some live unless it is the
 *    head, which may have emptied in place; full: none free; empty: none
 *    live, or stale: emptied by slabs_reset(), which only unchecked
 *    allocators leave, only on the empty list) and a stage-01 pool that
 *    passes pool_check();
 *  - per class: when sizes are tracked, requested within [used * smallest,
 *    used * size] (used = the slabs' live objects), and with
 *    SLABS_CHECKED exactly the sum of the table entries of the live chunks
 *    (stage 01's bitmap says which); when they are not, requested is 0;
 *  - the descriptor pool passes pool_check() and holds one live descriptor
 *    per slab;
 *  - the large objects: links, alignment, and count, bytes and requested
 *    bytes matching the counters;
 *  - the side table maps exactly the slabs to their classes and the large
 *    blocks to their tagged headers, and each slab's stage-01 header names
 *    its descriptor's pool;
 *  - per class, the cache: at most cache_max chunks, none with flags, its
 *    list as long as cached, every entry a chunk start (past the table) of
 *    a slab of this class;
 *  - bytes: bytes_from_source is the sum of what is held, within max_bytes,
 *    and not above the peak.
 * A walk never follows a link it has not validated: a list walk stops at
 * the first slab that is not one of ours (it is counted once).
 */
#include "pool.h"
#include "pool_ext.h"
#include "slabs_internal.h"

/* ---- the class and lookup tables ---------------------------------------- */

static size_t check_tables(const slabs_t *s)
{
    size_t bad = 0;
    for (size_t i = 0; i < s->n_classes; i++) {
        const slabs_class_t *c = &s->classes[i];
        bad += (c->size % SLABS_GRANULE != 0);
        bad += (i > 0 && c->size <= s->classes[i - 1].size);
    }
    bad += (s->classes[s->n_classes - 1].size != s->max_size);
    size_t c = 0, wrong = 0;
    for (size_t g = 1; g <= s->max_size / SLABS_GRANULE; g++) {
        while (c < s->n_classes && s->classes[c].size < g * SLABS_GRANULE)
            c++;
        wrong += (s->lookup[g] != c);
    }
    return bad + (wrong != 0);
}

/* ---- one slab ----------------------------------------------------------- */

/* The sum of the requested sizes of slab d's live objects (checked mode,
 * where stage 01's bitmap names the live chunks). */
static size_t slab_requested(const slabs_class_t *c, const slab_t *d)
{
    size_t sum = 0;
    for (size_t i = c->table_chunks; i < d->pool.per_block; i++)
        if (pool_chunk_is_live(&d->pool, d->pool.head, i))
            sum += c->size - slabs_table_get(d->table, c, i);
    return sum;
}

/* Problems of one slab on list l of class c, first if it is the list's
 * head; the slab is known to be ours (its descriptor is a live chunk of the
 * descriptor pool). */
static size_t check_slab(const slabs_t *s, const slabs_class_t *c, int l, const slab_t *d, bool first)
{
    size_t bad = pool_check(&d->pool);
    bad += (d->klass != c) + (d->list != l);
    bad += (d->pool.head == NULL || !align_ptr_is(d->pool.head, s->slab_size) ||
            d->pool.blocks != 1);
    if (bad)
        return bad;
    bad += (addrmap_get(&s->map, (uintptr_t)d->pool.head) != c);
    bad += (pool_block_owner(d->pool.head) != &d->pool);
    bad += ((d->table != NULL) != (c->table_bytes != 0));
    /* a slab emptied by slabs_reset() with its pool not reset yet: only on
     * the empty list, and never in checked mode (which resets at once) */
    bad += (d->stale && (l != SLAB_EMPTY || (s->flags & SLABS_CHECKED)));
    size_t used = slabs_slab_used(d);
    bool full = d->pool.live + d->pool.quarantined == d->pool.per_block;
    if (l == SLAB_EMPTY)
        bad += (used != 0);
    else if (l == SLAB_FULL)
        bad += !full;
    else /* only the head of a partial list may have emptied in place */
        bad += ((used == 0 && !first) || full);
    return bad;
}

/* True if d points at a live descriptor of s: a chunk of a block of the
 * descriptor pool whose owner is s.  Reads only memory of s. */
static bool is_descriptor(const slabs_t *s, const slab_t *d)
{
    const pool_t *descs = &s->descs;
    const pool_block_t *b = descs->head;
    for (size_t n = 0; b != NULL && n < descs->blocks; n++, b = b->next)
        if (pool_block_of(descs, d) == b)
            return pool_chunk_index(descs, b, d, NULL) < descs->per_block && d->owner == s;
    return false;
}

size_t slabs_slab_problems(const slabs_t *s, const slab_t *d)
{
    const slabs_class_t *c = d->klass;
    return check_slab(s, c, d->list, d, c->lists[d->list].next == &d->link);
}

/* ---- one class ---------------------------------------------------------- */

typedef struct tally {
    size_t slabs;      /* slabs reached on the lists */
    size_t used;       /* their live objects */
    size_t requested;  /* their requested bytes (checked mode) */
} tally_t;

/* Walks list l of class cls. */
static size_t check_list(const slabs_t *s, size_t cls, int l, tally_t *t)
{
    const slabs_class_t *c = &s->classes[cls];
    const slab_link_t *head = &c->lists[l];
    const slab_link_t *prev = head;
    size_t n = 0, bad = 0;
    for (const slab_link_t *k = head->next; k != head; prev = k, k = k->next) {
        const slab_t *d = slabs_slab_of_link(k);
        if (n > c->n[l] || !is_descriptor(s, d) || k->prev != prev)
            return bad + 1; /* a bad link, a foreign slab or a cycle: stop */
        bad += check_slab(s, c, l, d, n == 0);
        t->used += slabs_slab_used(d);
        if (s->flags & SLABS_CHECKED)
            t->requested += slab_requested(c, d);
        n++;
    }
    t->slabs += n;
    return bad + (head->prev != prev) + (n != c->n[l]);
}

/* True if p is the start of an object chunk of a slab of class c. */
static bool is_chunk_of(const slabs_t *s, const slabs_class_t *c, const void *p)
{
    if (slabs_block_meta(s, p) != c)
        return false;
    const slab_t *d = slabs_slab_of(s, p);
    size_t i = pool_chunk_index(&d->pool, d->pool.head, p, NULL);
    return i < d->pool.per_block && i >= c->table_chunks;
}

/* Class c's cache of freed chunks.  A walk stops at the first entry that is
 * not a chunk of this class (counted once). */
static size_t check_cache(const slabs_t *s, const slabs_class_t *c)
{
    size_t n = 0;
    for (void *q = c->cache; q != NULL; n++) {
        if (n == c->cached || !is_chunk_of(s, c, q))
            return 1;
        void *next = pool_link_read(q);
        tool_noaccess(q, sizeof(void *));
        q = next;
    }
    return (n != c->cached) + (c->cached > c->cache_max) + (s->flags != 0 && c->cached != 0);
}

static size_t check_class(const slabs_t *s, size_t cls, size_t *slabs)
{
    const slabs_class_t *c = &s->classes[cls];
    tally_t t = {0, 0, 0};
    size_t bad = 0;
    for (int l = 0; l < SLAB_LISTS; l++)
        bad += check_list(s, cls, l, &t);
    *slabs += t.slabs;
    if (bad)
        return bad;
    bad += check_cache(s, c);
    if (s->flags & SLABS_CHECKED)
        bad += (t.requested != c->requested);
    else if (slabs_tracks_sizes(s))
        bad += (c->requested < t.used * c->smallest || c->requested > t.used * c->size);
    else
        bad += (c->requested != 0);
    return bad;
}

/* ---- large objects and the side table ------------------------------------- */

static size_t check_large(const slabs_t *s)
{
    size_t n = 0, bytes = 0, requested = 0, bad = 0;
    const slabs_large_t *prev = NULL;
    for (const slabs_large_t *l = s->large; l != NULL; prev = l, l = l->next) {
        if (n == s->large_count || !align_ptr_is(l->block, s->slab_size) || l->prev != prev ||
            addrmap_get(&s->map, (uintptr_t)l->block) != (void *)((uintptr_t)l | SLABS_LARGE_TAG))
            return bad + 1; /* not a large block of ours: stop here */
        bool aligned = slabs_large_is_aligned(l); /* any size; else only sizes above max_size */
        size_t body = l->block_bytes - SLABS_LARGE_OFFSET;
        bad += ((aligned ? l->requested == 0 : l->requested <= s->max_size) || l->requested > body);
        bad += aligned ? (char *)l != l->block + body : (l->block != (char *)l || l->obj != l->block + SLABS_LARGE_OFFSET);
        bytes += l->block_bytes;
        requested += l->requested;
        n++;
    }
    bad += (n != s->large_count) + (bytes != s->large_bytes) + (requested != s->large_requested);
    return bad;
}

/* The side table holds one key per slab and large block (each of which
 * the walks above found mapped), and nothing else. */
static size_t check_map(const slabs_t *s, size_t slabs)
{
    size_t used = 0;
    for (size_t i = 0; i < s->map.cap; i++)
        used += (s->map.slots[i].key != 0);
    return (s->map.count != slabs + s->large_count) + (used != s->map.count);
}

/* ---- the whole allocator ------------------------------------------------ */

size_t slabs_check(const slabs_t *s)
{
    if (s == NULL || s->classes == NULL || s->n_classes == 0)
        return 1;
    size_t bad = check_tables(s) + pool_check(&s->descs);
    size_t slabs = 0;
    for (size_t i = 0; i < s->n_classes; i++)
        bad += check_class(s, i, &slabs);
    bad += (s->descs.live != slabs);
    bad += check_large(s);
    bad += check_map(s, slabs);
    size_t held = s->meta_bytes + s->descs.bytes_from_source + slabs * s->slab_size +
                  s->large_bytes + s->map.cap * sizeof(addrmap_slot_t);
    bad += (held != s->bytes_from_source);
    bad += (s->peak_bytes_from_source < s->bytes_from_source);
    bad += (s->max_bytes && s->bytes_from_source > s->max_bytes);
    return bad;
}

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
 *    live) and a stage-01 pool that passes pool_check();
 *  - per class: used = sum of the slabs' live objects; requested within
 *    [used * smallest, used * size], and with SLABS_CHECKED exactly the sum
 *    of the table entries of the live chunks (stage 01's bitmap says which);
 *  - the descriptor pool passes pool_check() and holds one live descriptor
 *    per slab;
 *  - the large objects: headers (owner NULL, cookie), links, and count,
 *    bytes and requested bytes matching the counters;
 *  - SLABS_CHECKED: the registry holds exactly the slab and large blocks;
 *  - bytes: bytes_from_source is the sum of what is held, within max_bytes,
 *    and not above the peak.
 * A walk never follows a link it has not validated: a list walk stops at
 * the first slab that is not one of ours (it is counted once).
 */
#include "pool.h"
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
        if (slabs_pool_bit(d->pool.head, i))
            sum += c->size - slabs_table_get(d->table, c, i);
    return sum;
}

/* Problems of one slab on list l of class cls, first if it is the list's
 * head; the slab is known to be ours (its descriptor is a live chunk of the
 * descriptor pool). */
static size_t check_slab(const slabs_t *s, size_t cls, int l, const slab_t *d, bool first)
{
    const slabs_class_t *c = &s->classes[cls];
    size_t bad = pool_check(&d->pool);
    bad += (d->cls != cls) + (d->list != l);
    bad += (d->pool.head == NULL || !align_ptr_is(d->pool.head, s->slab_size) ||
            d->pool.blocks != 1);
    if (bad)
        return bad;
    size_t used = slabs_slab_used(c, d);
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
    const pool_block_t *b = s->descs.head;
    for (size_t n = 0; b != NULL && n < s->descs.blocks; n++, b = b->next) {
        const char *first = (const char *)b + s->descs.first_offset;
        const char *q = (const char *)d;
        if (q >= first && q < first + s->descs.per_block * s->descs.stride)
            return (size_t)(q - first) % s->descs.stride == 0 && d->owner == s;
    }
    return false;
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
        bad += check_slab(s, cls, l, d, n == 0);
        t->used += slabs_slab_used(c, d);
        if (s->flags & SLABS_CHECKED)
            t->requested += slab_requested(c, d);
        n++;
    }
    t->slabs += n;
    return bad + (head->prev != prev) + (n != c->n[l]);
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
    bad += (t.used != c->used);
    if (s->flags & SLABS_CHECKED)
        bad += (t.requested != c->requested);
    else
        bad += (c->requested < c->used * c->smallest || c->requested > c->used * c->size);
    return bad;
}

/* ---- large objects and the registry ------------------------------------- */

static size_t check_large(const slabs_t *s)
{
    size_t n = 0, bytes = 0, requested = 0, bad = 0;
    const slabs_large_t *prev = NULL;
    for (const slabs_large_t *l = s->large; l != NULL; prev = l, l = l->next) {
        if (n == s->large_count || !align_ptr_is(l, s->slab_size) ||
            l->head.owner != NULL || l->head.cookie != slabs_large_cookie(s, l) || l->prev != prev)
            return bad + 1;
        bad += (l->requested <= s->max_size || l->requested > l->block_bytes - SLABS_LARGE_OFFSET);
        bad += ((s->flags & SLABS_CHECKED) && !slabs_registry_contains(s, l));
        bytes += l->block_bytes;
        requested += l->requested;
        n++;
    }
    bad += (n != s->large_count) + (bytes != s->large_bytes) + (requested != s->large_requested);
    return bad;
}

/* Every slab's block is registered, and nothing else but large blocks. */
static size_t check_registry(const slabs_t *s, size_t slabs)
{
    size_t found = 0, bad = 0;
    for (size_t i = 0; i < s->n_classes; i++)
        for (int l = 0; l < SLAB_LISTS; l++) {
            const slab_link_t *head = &s->classes[i].lists[l];
            size_t n = 0;
            for (const slab_link_t *k = head->next; k != head && n < s->classes[i].n[l]; k = k->next, n++)
                found += slabs_registry_contains(s, slabs_slab_of_link(k)->pool.head);
        }
    bad += (found != slabs);
    bad += (s->registry_count != slabs + s->large_count);
    size_t used = 0;
    for (size_t i = 0; i < s->registry_cap; i++)
        used += (s->registry[i] != 0);
    bad += (used != s->registry_count);
    return bad;
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
    if (s->flags & SLABS_CHECKED)
        bad += check_registry(s, slabs);
    size_t held = s->meta_bytes + s->descs.bytes_from_source + slabs * s->slab_size +
                  s->large_bytes + s->registry_cap * sizeof(uintptr_t);
    bad += (held != s->bytes_from_source);
    bad += (s->peak_bytes_from_source < s->bytes_from_source);
    bad += (s->max_bytes && s->bytes_from_source > s->max_bytes);
    return bad;
}

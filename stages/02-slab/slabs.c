/*
 * slabs.c - stage 02: objects of many sizes, from slabs of one class each.
 * The core: lookup, lists, slabs, allocation and free, trimming, reset.
 *
 * Algorithm.
 *  - Lookup: a table with one 16-bit class index per granule up to max_size,
 *    so size -> class is one shift and one load.
 *  - Slabs: each slab is one block of slab_size bytes, owned by a stage-01
 *    pool configured for the class (chunk = class size, block = slab, cap =
 *    one block).  The pool carves, keeps the free list and, in checked mode,
 *    the live bitmap and the poisoning.  The pool lives in the slab's
 *    descriptor, which comes from another stage-01 pool.
 *  - Lists: per class, partial / full / empty, circular with a sentinel.
 *    Allocation pops from the first partial slab, else reuses the class's
 *    most recently emptied slab, else makes a new one; it never scans.
 *    A slab that empties as the head of its partial list stays there
 *    (emptied in place, unstamped): alternate allocations and frees then
 *    move no slab and read no clock.  Only the head of a partial list can
 *    be empty; the trims, and anything that puts another slab in front of
 *    it, first move it to the empty list stamped now (class_settle).
 *  - Free: mask the pointer to its block; the side table (slabs_t::map)
 *    gives the slab's descriptor, or the header of a large object.
 *  - Fast paths: with no flags, slabs_free() pushes the chunk on its
 *    class's cache and slabs_alloc() pops the class's cache (see struct
 *    slabs_class): the most recently freed chunk of a class is reused
 *    while it is still in the CPU's caches, and neither path touches a
 *    slab.  When the cache is empty, allocation pops a slab's free list
 *    with stage 01's inline fast path (pool_ext.h: pool_pop_fast()); when it
 *    is full, its older half goes back to the slabs (pool_push_fast()).
 *    Everything else goes through pool_alloc() and pool_free().
 *  - Requested sizes (SLABS_STATS, SLABS_CHECKED, SLABS_ZERO): each slab has
 *    a table with one small entry per chunk (chunk size - requested size),
 *    so frees subtract exactly what the allocation added to the class's
 *    requested bytes.  Without those flags nothing per object is kept.
 *  - Memory goes back to the source only in slabs_trim(), slabs_trim_idle(),
 *    slabs_destroy(), when a large object is freed, and (instead of failing)
 *    when max_bytes is reached while another class holds empty slabs.
 *
 * Invariants: see slabs.h (struct slabs) and slabs_check.c.  Configuration
 * is in slabs_config.c, large objects in slabs_large.c, checked mode in
 * slabs_checked.c, the checker in slabs_check.c, statistics in
 * slabs_stats.c.
 */
#include "slabs.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "debug.h"
#include "slabs_internal.h"
#include "tool.h"

/* ---- the size-to-class lookup ----------------------------- exercise 02-lookup */

#ifdef SC_EX_02_LOOKUP
#include "02-lookup/lookup.c"
#else
// [lookup]
/* Fills the lookup table: entry i names the smallest class that holds
 * i granules.  O(max_size / granule + classes). */
static void lookup_build(const slabs_t *s, uint16_t *table)
{
    size_t c = 0;
    for (size_t i = 0; i <= s->max_size / SLABS_GRANULE; i++) {
        while (s->classes[c].size < i * SLABS_GRANULE)
            c++;
        table[i] = (uint16_t)c;
    }
}

/* The class of a size <= max_size: one shift and one load. */
static inline size_t lookup_class(const slabs_t *s, size_t size)
{
    return s->lookup[(size + SLABS_GRANULE - 1) / SLABS_GRANULE];
}
// [lookup]
#endif


/* For slabs_config.c, which fills the table once at slabs_init(). */
void slabs_build_lookup(const slabs_t *s, uint16_t *table)
{
    lookup_build(s, table);
}

/* ---- lists ------------------------------------------------------------ */

// [lists]
/* Puts slab d at the head of list l of class c. */
static void list_push(slabs_class_t *c, slab_t *d, int l)
{
    slab_link_t *head = &c->lists[l];
    d->link.prev = head;
    d->link.next = head->next;
    head->next->prev = &d->link;
    head->next = &d->link;
    d->list = (uint8_t)l;
    c->n[l]++;
}

/* Takes slab d off its list. */
static void list_unlink(slabs_class_t *c, slab_t *d)
{
    d->link.prev->next = d->link.next;
    d->link.next->prev = d->link.prev;
    c->n[d->list]--;
}

static void list_move(slabs_class_t *c, slab_t *d, int l)
{
    list_unlink(c, d);
    list_push(c, d, l);
}

/* The first slab of list l, or NULL. */
static inline slab_t *list_first(const slabs_class_t *c, int l)
{
    const slab_link_t *head = &c->lists[l];
    return head->next == head ? NULL : slabs_slab_of_link(head->next);
}

/* The last slab of list l (on the empty list: the longest empty), or NULL. */
static inline slab_t *list_last(const slabs_class_t *c, int l)
{
    const slab_link_t *head = &c->lists[l];
    return head->prev == head ? NULL : slabs_slab_of_link(head->prev);
}
// [lists]

static uint64_t slabs_now(const slabs_t *s)
{
    return s->now_ns();
}

/* Slab d joins the head of its class's empty list, stamped now, so the
 * empty list runs from most to least recently stamped. */
static void slab_to_empty(slabs_class_t *c, slab_t *d, uint64_t now)
{
    list_move(c, d, SLAB_EMPTY);
    d->emptied_at = now;
}

/* True if slab d is the head of its class's partial list. */
static inline bool slab_is_partial_head(const slabs_class_t *c, const slab_t *d)
{
    return d->list == SLAB_PARTIAL && c->lists[SLAB_PARTIAL].next == &d->link;
}

/* Slab d has no live object left.  If it is the head of its class's partial
 * list it stays there, unstamped: the next allocation of the class takes it
 * again, with no list move and no clock read (a pair of alloc and free on
 * one slab would otherwise bounce it between two lists).  Any other slab
 * joins the head of the empty list, stamped. */
static SLABS_COLD void slab_emptied_elsewhere(slabs_t *s, slabs_class_t *c, slab_t *d)
{
    slab_to_empty(c, d, slabs_now(s));
}

static inline void slab_became_empty(slabs_t *s, slabs_class_t *c, slab_t *d)
{
    if (!slab_is_partial_head(c, d))
        slab_emptied_elsewhere(s, c, d);
}

/* If the head of class c's partial list has no live object (it emptied
 * there, see slab_became_empty), it moves to the empty list stamped now:
 * its age counts from this moment, never from earlier.  Returns 1 if it
 * moved. */
static size_t class_settle(slabs_class_t *c, uint64_t now)
{
    slab_t *d = list_first(c, SLAB_PARTIAL);
    if (d == NULL || slabs_slab_used(d) != 0)
        return 0;
    slab_to_empty(c, d, now);
    return 1;
}

/* Settles every class (see class_settle), reading the clock only if some
 * class needs it. */
static void slabs_settle(slabs_t *s)
{
    uint64_t now = 0;
    bool have_now = false;
    for (size_t i = 0; i < s->n_classes; i++) {
        slabs_class_t *c = &s->classes[i];
        slab_t *d = list_first(c, SLAB_PARTIAL);
        if (d == NULL || slabs_slab_used(d) != 0)
            continue;
        if (!have_now) {
            now = slabs_now(s);
            have_now = true;
        }
        class_settle(c, now);
    }
}

/* Slab d, full until now, has a free chunk again: it goes to the head of
 * the partial list, where allocation takes it next.  A slab that sat there
 * empty is settled first, so only the head of a partial list is ever
 * empty. */
static SLABS_COLD void slab_unfull(slabs_t *s, slabs_class_t *c, slab_t *d)
{
    slab_t *head = list_first(c, SLAB_PARTIAL);
    if (head != NULL && slabs_slab_used(head) == 0)
        class_settle(c, slabs_now(s));
    list_move(c, d, SLAB_PARTIAL);
}

/* No chunk left (stage 01's checked mode may withhold damaged ones). */
static inline bool slab_is_full(const slabs_class_t *c, const slab_t *d)
{
    return d->pool.live + d->pool.quarantined == c->chunks; /* quarantined: 0 unchecked */
}

/* ---- slabs -------------------------------------------------------------- */

/* Takes the table's chunks from first on, from a slab's fresh (or reset)
 * pool: the pool carves in address order, so they are chunks first ..
 * table_chunks - 1. */
static void slab_take_table(slabs_class_t *c, slab_t *d, size_t first)
{
    for (size_t i = first; i < c->table_chunks; i++) {
        void *chunk = pool_alloc(&d->pool);
        SC_ASSERT(chunk == slabs_chunk0(d) + i * c->size);
        (void)chunk;
    }
}

/* Frees every object of slab d's pool and retakes its table chunks, cleared
 * as in a new slab. */
static void slab_reset(slabs_class_t *c, slab_t *d)
{
    pool_reset(&d->pool);
    slab_take_table(c, d, 0);
    if (d->table)
        memset(d->table, 0, c->table_bytes);
    d->stale = false;
}

/* A stale slab about to be used again gets its pool reset. */
static inline void slab_refresh(slabs_class_t *c, slab_t *d)
{
    if (d->stale)
        slab_reset(c, d);
}

/* Gives slab d's requested-size table its memory (when sizes are tracked):
 * the first chunks of the slab (chunk 0 is already allocated), or the
 * descriptor's inline table. */
static void slab_init_table(slabs_class_t *c, slab_t *d, void *chunk0)
{
    if (c->table_chunks) {
        d->table = chunk0;
        slab_take_table(c, d, 1);
        SC_ASSERT(d->pool.live == c->table_chunks);
    } else {
        d->table = c->table_bytes ? (unsigned char *)d->inline_table : NULL;
        pool_free(&d->pool, chunk0);
    }
    if (d->table)
        memset(d->table, 0, c->table_bytes);
}

/* One try at a slab of class *cp: a descriptor from the descriptor pool,
 * its pool initialised, its block acquired (by allocating chunk 0), its
 * side-table slot.  NULL, with nothing kept, if any of them cannot be had. */
static void *slab_try_new(slabs_t *s, void *cp)
{
    slabs_class_t *c = cp;
    if (!addrmap_reserve(&s->map))
        return NULL;
    slab_t *d = pool_alloc(&s->descs);
    if (d == NULL)
        return NULL;
    memset(d, 0, slabs_desc_size(s->flags));
    pool_config_t pc = slabs_class_pool_config(s, c);
    int rc = pool_init(&d->pool, &pc);
    SC_ASSERT(rc == 0);
    (void)rc;
    void *chunk0 = pool_alloc(&d->pool);
    if (chunk0 == NULL) {
        pool_destroy(&d->pool);
        pool_free(&s->descs, d);
        return NULL;
    }
    d->owner = s;
    d->klass = c;
    slab_init_table(c, d, chunk0);
    addrmap_insert(&s->map, (uintptr_t)slabs_slab_block(d), c);
    list_push(c, d, SLAB_PARTIAL);
    SC_ASSERT_EXPENSIVE(slabs_slab_problems(s, d) == 0);
    return d;
}

/* Gives slab d back: its block to the source, its descriptor to the pool.
 * Returns the bytes released. */
static size_t slab_release(slabs_t *s, slab_t *d)
{
    list_unlink(d->klass, d);
    addrmap_remove(&s->map, (uintptr_t)slabs_slab_block(d));
    pool_destroy(&d->pool);
    pool_free(&s->descs, d);
    return s->slab_size;
}

/* max_bytes is in the way: gives back the longest-empty slab of any class
 * (after the caches went back to their slabs, which may empty some).
 * O(classes + cached chunks).  False if no class holds an empty slab. */
static bool release_oldest_empty(slabs_t *s)
{
    slabs_flush_all(s);
    slabs_settle(s);
    slab_t *oldest = NULL;
    for (size_t i = 0; i < s->n_classes; i++) {
        slab_t *d = list_last(&s->classes[i], SLAB_EMPTY);
        if (d && (oldest == NULL || d->emptied_at < oldest->emptied_at))
            oldest = d;
    }
    if (oldest == NULL)
        return false;
    slab_release(s, oldest);
    return true;
}

void *slabs_with_room(slabs_t *s, void *(*attempt)(slabs_t *, void *), void *arg)
{
    for (;;) {
        s->cap_refused = false;
        void *r = attempt(s, arg);
        if (r != NULL || !s->cap_refused || !release_oldest_empty(s))
            return r;
    }
}

/* A new slab for class c, on its partial list.  If max_bytes refuses and
 * another class holds empty slabs, they go back first (oldest first). */
static slab_t *slab_new(slabs_t *s, slabs_class_t *c)
{
    return slabs_with_room(s, slab_try_new, c);
}

/* ---- allocation and free ------------------------------------------------ */

/* Books a new object of size bytes in chunk obj of slab d, when sizes are
 * tracked. */
static void note_alloc(slabs_class_t *c, slab_t *d, void *obj, size_t size)
{
    if (d->table == NULL)
        return;
    c->requested += size;
    slabs_table_put(d->table, c, slabs_slab_index(d, obj), c->size - size);
}

/* Everything but a pop from the free list of the first partial slab with no
 * flags: carving, flags, a new or reused slab.  (A partial slab can turn out
 * full only in checked mode, when stage 01 withholds damaged chunks; it
 * moves to the full list.) */
static SLABS_COLD void *alloc_slow(slabs_t *s, slabs_class_t *c, size_t size)
{
    for (;;) {
        slab_t *d = list_first(c, SLAB_PARTIAL);
        if (d == NULL) {
            d = list_first(c, SLAB_EMPTY);
            if (d != NULL) {
                slab_refresh(c, d);
                list_move(c, d, SLAB_PARTIAL);
            }
            else if ((d = slab_new(s, c)) == NULL) {
                errno = ENOMEM;
                return NULL;
            }
        }
        void *obj = pool_alloc(&d->pool);
        if (obj != NULL) {
            note_alloc(c, d, obj, size);
            if (slab_is_full(c, d))
                list_move(c, d, SLAB_FULL);
            return obj;
        }
        /* no chunk left: the pool withheld damaged ones (checked mode) */
        if (slabs_slab_used(d) == 0)
            slab_release(s, d); /* nothing live: holding it would strand it */
        else
            list_move(c, d, SLAB_FULL);
    }
}

/* NULL allocator, size 0, or a large size. */
static SLABS_COLD void *alloc_other(slabs_t *s, size_t size)
{
    if (s == NULL || size == 0) {
        errno = EINVAL;
        return NULL;
    }
    return slabs_large_alloc(s, size, size);
}

/* The class's cache is empty (or there are flags, which never fill it):
 * the first partial slab's free list, in line, else alloc_slow(). */
static void *alloc_from_slab(slabs_t *s, slabs_class_t *c, size_t size)
{
    slab_link_t *head = c->lists[SLAB_PARTIAL].next;
    slab_t *d = slabs_slab_of_link(head);
    if (head == &c->lists[SLAB_PARTIAL] || s->flags != 0 || d->pool.free_list == NULL)
        return alloc_slow(s, c, size);
    void *obj = pool_pop_fast(&d->pool); /* stage 01's pool_alloc(), in line */
    if (d->pool.live == c->chunks) /* full: nothing is withheld unchecked */
        list_move(c, d, SLAB_FULL);
    return obj;
}

// [alloc]
void *slabs_alloc(slabs_t *s, size_t size)
{
    if (s == NULL || size - 1 >= s->max_size) /* size 0 wraps around */
        return alloc_other(s, size);
    slabs_class_t *c = &s->classes[lookup_class(s, size)];
    void *obj = c->cache; /* never filled with flags */
    if (obj == NULL)
        return alloc_from_slab(s, c, size);
    c->cache = pool_link_read(obj);
    c->cached--;
    tool_undefined(obj, c->size); /* the caller's now (contents undefined) */
    return obj;
}
// [alloc]

/* After a free in slab d, which is now empty or not: d moves between lists
 * if it must.  Last, so that the common case ends without a call. */
static inline void slab_after_free(slabs_t *s, slabs_class_t *c, slab_t *d, bool empty)
{
    if (empty)
        slab_became_empty(s, c, d);
    else if (d->list == SLAB_FULL)
        slab_unfull(s, c, d);
}

/* A free with flags: chunk i of slab d, located and (checked mode)
 * validated.  The books, then the chunk goes back through stage 01's
 * pool_free(), which cannot refuse it: slabs_checked_locate() has verified
 * everything stage 01 would (ownership, chunk start, live bit; a class
 * chunk has no padding to guard). */
static void free_in_slab(slabs_t *s, slab_t *d, void *p, size_t i)
{
    slabs_class_t *c = d->klass;
    if (d->table != NULL)
        c->requested -= c->size - slabs_table_get(d->table, c, i);
    pool_free(&d->pool, p);
    slab_after_free(s, c, d, d->pool.live == c->table_chunks);
}

/* Where p lives, trusting it (no SLABS_CHECKED). */
static void locate(const slabs_t *s, const void *p, slabs_loc_t *loc)
{
    void *meta = slabs_block_meta(s, p);
    SC_ASSERT(meta != NULL);
    loc->large = slabs_meta_is_large(meta) ? slabs_meta_large(meta) : NULL;
    loc->slab = loc->large ? NULL : slabs_slab_of(s, p);
    loc->index = loc->slab ? slabs_slab_index(loc->slab, p) : 0;
}

/* Where p lives, checked or trusted; false (reported) if checked mode
 * refuses it. */
static bool find(const slabs_t *s, const void *p, slabs_loc_t *loc, const char *not_live)
{
    if (s->flags & SLABS_CHECKED)
        return slabs_checked_locate(s, p, loc, not_live);
    locate(s, p, loc);
    return true;
}

/* A free with flags (checked mode: nothing is read at p's block before the
 * side table says the block is ours). */
static SLABS_COLD void free_flagged(slabs_t *s, void *p)
{
    slabs_loc_t loc;
    if (!find(s, p, &loc, "double-free"))
        return;
    if (loc.large)
        slabs_large_free(s, loc.large);
    else
        free_in_slab(s, loc.slab, p, loc.index);
}

/* Gives chunk p of a class's cache back to its slab: stage 01's
 * pool_free() fast path, in line, then the slab's list moves. */
static void cache_return(slabs_t *s, void *p)
{
    slab_t *d = slabs_slab_of(s, p);
    pool_push_fast(&d->pool, p);
    slab_after_free(s, d->klass, d, d->pool.live == 0); /* no flags: no table chunks */
}

/* The chunk after q on a class's cache; q's link word is hidden again. */
static void *cache_next(void *q)
{
    void *next = pool_link_read(q);
    tool_noaccess(q, sizeof(void *));
    return next;
}

/* Gives all but the keep most recently freed chunks of class c's cache back
 * to their slabs.  O(cached). */
static void cache_flush(slabs_t *s, slabs_class_t *c, uint32_t keep)
{
    if (c->cached <= keep)
        return;
    void *rest = c->cache;
    if (keep == 0) {
        c->cache = NULL;
    } else {
        void *last = c->cache; /* the keep-th chunk: the new end */
        for (uint32_t i = 1; i < keep; i++)
            last = cache_next(last);
        rest = pool_link_read(last);
        pool_link_write(last, NULL);
        tool_noaccess(last, sizeof(void *));
    }
    c->cached = keep;
    while (rest != NULL) {
        void *next = pool_link_read(rest);
        cache_return(s, rest);
        rest = next;
    }
}

void slabs_flush_all(slabs_t *s)
{
    for (size_t i = 0; i < s->n_classes; i++)
        cache_flush(s, &s->classes[i], 0);
}

/* The cache of class c is full: its older half goes back to the slabs. */
static SLABS_COLD void cache_full(slabs_t *s, slabs_class_t *c)
{
    cache_flush(s, c, c->cache_max / 2);
}

// [free-by-mask]
/* No flags: the side table names the class of p's slab (or p's large
 * block); the chunk goes on the class's cache. */
void slabs_free(slabs_t *s, void *p)
{
    if (s == NULL || p == NULL)
        return;
    if (s->flags != 0) {
        free_flagged(s, p);
        return;
    }
    void *meta = slabs_block_meta(s, p);
    if (slabs_meta_is_large(meta)) {
        slabs_large_free(s, slabs_meta_large(meta));
        return;
    }
    slabs_class_t *c = meta;
    if (c->cached == c->cache_max)
        cache_full(s, c);
    pool_link_write(p, c->cache);
    tool_noaccess(p, c->size);
    c->cache = p;
    c->cached++;
}
// [free-by-mask]

size_t slabs_usable_size(const slabs_t *s, const void *p)
{
    slabs_loc_t loc;
    if (s == NULL || p == NULL || !find(s, p, &loc, "use-after-free"))
        return 0;
    if (loc.large)
        return loc.large->block_bytes - SLABS_LARGE_OFFSET;
    return loc.slab->klass->size;
}

/* ---- realloc ------------------------------------------------------------ */

/* The size the caller asked for when it got the slab object at loc, or its
 * chunk size when sizes are not tracked (the bytes a move must keep). */
static size_t slab_requested(const slabs_loc_t *loc)
{
    const slab_t *d = loc->slab;
    const slabs_class_t *c = d->klass;
    return d->table ? c->size - slabs_table_get(d->table, c, loc->index) : c->size;
}

/* Resizes slab object p in place if its class also serves size; false if
 * it must move. */
static bool slab_resize_in_place(slabs_t *s, const slabs_loc_t *loc, char *p, size_t old, size_t size)
{
    slab_t *d = loc->slab;
    slabs_class_t *c = d->klass;
    if (size > s->max_size || &s->classes[lookup_class(s, size)] != c)
        return false;
    if (d->table != NULL) {
        c->requested += size - old; /* wraps correctly when shrinking */
        slabs_table_put(d->table, c, loc->index, c->size - size);
    }
    if ((s->flags & SLABS_ZERO) && size > old)
        memset(p + old, 0, size - old);
    return true;
}

void *slabs_realloc(slabs_t *s, void *p, size_t size)
{
    if (p == NULL)
        return slabs_alloc(s, size);
    slabs_loc_t loc;
    if (s == NULL || size == 0) {
        errno = EINVAL;
        return NULL;
    }
    if (!find(s, p, &loc, "use-after-free")) {
        errno = EINVAL;
        return NULL;
    }
    if (loc.large && size > s->max_size)
        return slabs_large_realloc(s, loc.large, size);
    size_t old = loc.large ? loc.large->requested : slab_requested(&loc);
    if (loc.slab && slab_resize_in_place(s, &loc, p, old, size))
        return p;
    void *q = slabs_alloc(s, size);
    if (q == NULL)
        return NULL;
    memcpy(q, p, old < size ? old : size);
    slabs_free(s, p);
    return q;
}

/* ---- giving memory back ------------------------------------------ exercise 02-trim */

/* Both trims first settle every class (see class_settle): a slab that
 * emptied at the head of its partial list joins the empty list, stamped
 * now, and from there on is trimmed like any other empty slab. */

#ifdef SC_EX_02_TRIM
#include "02-trim/trim.c"
#else
// [trim]
/* Releases the longest-empty slabs of every class until each has at most
 * keep_empty on its empty list. */
static size_t trim_empty(slabs_t *s, size_t keep_empty)
{
    size_t bytes = 0;
    for (size_t i = 0; i < s->n_classes; i++) {
        slabs_class_t *c = &s->classes[i];
        while (c->n[SLAB_EMPTY] > keep_empty)
            bytes += slab_release(s, list_last(c, SLAB_EMPTY));
    }
    return bytes;
}

/* Releases every slab of an empty list stamped more than idle_ns before
 * now. */
static size_t trim_empty_idle(slabs_t *s, uint64_t now, uint64_t idle_ns)
{
    size_t bytes = 0;
    for (size_t i = 0; i < s->n_classes; i++) {
        slabs_class_t *c = &s->classes[i];
        slab_t *d;
        /* the empty list is ordered: stop at the first slab young enough */
        while ((d = list_last(c, SLAB_EMPTY)) != NULL &&
               now > d->emptied_at && now - d->emptied_at > idle_ns)
            bytes += slab_release(s, d);
    }
    return bytes;
}
// [trim]
#endif

size_t slabs_trim(slabs_t *s, size_t keep_empty)
{
    if (s == NULL || s->classes == NULL)
        return 0;
    slabs_flush_all(s);
    slabs_settle(s);
    size_t bytes = trim_empty(s, keep_empty);
    SC_ASSERT_EXPENSIVE(slabs_check(s) == 0);
    return bytes;
}

size_t slabs_trim_idle(slabs_t *s, uint64_t idle_ns)
{
    if (s == NULL || s->classes == NULL)
        return 0;
    slabs_flush_all(s);
    uint64_t now = slabs_now(s);
    for (size_t i = 0; i < s->n_classes; i++)
        class_settle(&s->classes[i], now);
    size_t bytes = trim_empty_idle(s, now, idle_ns);
    SC_ASSERT_EXPENSIVE(slabs_check(s) == 0);
    return bytes;
}

/* ---- whole-allocator operations ----------------------------------------- */

/* Reset, lazily.  slabs_reset() must be cheap for an allocator with many
 * slabs: it writes only the first cache line of each descriptor (the list
 * tag, the stamp, the stale mark) and moves whole lists in O(1).  A slab
 * it empties is "stale": its stage-01 pool still counts the old objects
 * until the slab is reused, when slab_refresh() resets the pool.  Checked
 * mode resets every pool at once instead: its live bitmaps must refuse a
 * free of an object from before the reset. */

/* Slab d of class c holds no object any more, by slabs_reset(): it joins
 * the empty list (the caller moves the lists), stamped now. */
static void slab_reset_mark(const slabs_t *s, slabs_class_t *c, slab_t *d, uint64_t now)
{
    if (d->list != SLAB_EMPTY || d->stale) {
        if (s->flags & SLABS_CHECKED) {
            slab_reset(c, d);
        } else {
            d->stale = true;
            /* every object of it is dead: memcheck and ASan see it now */
            tool_noaccess(slabs_chunk0(d), s->slab_size - c->first_offset);
        }
    }
    d->list = SLAB_EMPTY;
    d->emptied_at = now;
}

/* Moves every slab of list from to the tail of list to, in O(1). */
static void list_splice_tail(slabs_class_t *c, int from, int to)
{
    slab_link_t *f = &c->lists[from], *t = &c->lists[to];
    if (f->next == f)
        return;
    f->next->prev = t->prev;
    t->prev->next = f->next;
    f->prev->next = t;
    t->prev = f->prev;
    f->next = f->prev = f;
    c->n[to] += c->n[from];
    c->n[from] = 0;
}

/* Lists walked together by reset_mark_all(). */
#define RESET_WAYS 16

/* Marks every slab of every class (slab_reset_mark()).  A list walk is a
 * chain of dependent loads, each a likely cache miss on a big allocator, so
 * up to RESET_WAYS lists are walked together, one step of each in turn:
 * their misses overlap instead of following one another.  O(slabs). */
static void reset_mark_all(const slabs_t *s, uint64_t now)
{
    slab_link_t *at[RESET_WAYS];     /* the next link of each walk */
    slabs_class_t *cls[RESET_WAYS];  /* the class of each walk */
    int list[RESET_WAYS];            /* the list of each walk */
    size_t ways = 0, next = 0;       /* walks under way; next (class, list) to start */
    for (;;) {
        while (ways < RESET_WAYS && next < s->n_classes * SLAB_LISTS) {
            cls[ways] = &s->classes[next / SLAB_LISTS];
            list[ways] = (int)(next++ % SLAB_LISTS);
            at[ways] = cls[ways]->lists[list[ways]].next;
            ways++;
        }
        if (ways == 0)
            return;
        for (size_t w = 0; w < ways;) {
            if (at[w] == &cls[w]->lists[list[w]]) { /* done: the last walk takes its place */
                ways--;
                at[w] = at[ways], cls[w] = cls[ways], list[w] = list[ways];
                continue;
            }
            slab_t *d = slabs_slab_of_link(at[w]);
            at[w] = at[w]->next;
            slab_reset_mark(s, cls[w], d, now);
            w++;
        }
    }
}

/* Class c after reset_mark_all(): every slab on its empty list, in O(1). */
static void class_reset(slabs_class_t *c)
{
    c->cache = NULL; /* its chunks are freed with the rest */
    c->cached = 0;
    c->requested = 0;
    list_splice_tail(c, SLAB_FULL, SLAB_PARTIAL);
    list_splice_tail(c, SLAB_EMPTY, SLAB_PARTIAL);
    list_splice_tail(c, SLAB_PARTIAL, SLAB_EMPTY);
}

void slabs_reset(slabs_t *s)
{
    if (s == NULL || s->classes == NULL)
        return;
    uint64_t now = slabs_now(s);
    reset_mark_all(s, now);
    for (size_t i = 0; i < s->n_classes; i++)
        class_reset(&s->classes[i]);
    while (s->large != NULL)
        slabs_large_free(s, s->large);
    SC_ASSERT_EXPENSIVE(slabs_check(s) == 0);
}

void slabs_destroy(slabs_t *s)
{
    if (s == NULL || s->classes == NULL) {
        if (s != NULL)
            memset(s, 0, sizeof *s);
        return;
    }
    for (size_t i = 0; i < s->n_classes; i++) {
        slabs_class_t *c = &s->classes[i];
        for (int l = 0; l < SLAB_LISTS; l++) {
            slab_t *d;
            while ((d = list_first(c, l)) != NULL) {
                list_unlink(c, d);
                pool_destroy(&d->pool);
            }
        }
    }
    while (s->large != NULL)
        slabs_large_free(s, s->large);
    addrmap_free(&s->map);
    pool_destroy(&s->descs);
    s->source.release(s, s->meta, s->meta_bytes);
    memset(s, 0, sizeof *s);
}

/* ---- classes ------------------------------------------------------------ */

size_t slabs_class_count(const slabs_t *s)
{
    return s ? s->n_classes : 0;
}

size_t slabs_class_of(const slabs_t *s, size_t size)
{
    if (s == NULL)
        return 0;
    if (size > s->max_size)
        return s->n_classes;
    return lookup_class(s, size == 0 ? 1 : size);
}

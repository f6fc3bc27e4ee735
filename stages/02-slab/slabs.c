/*
 * slabs.c - stage 02: objects of many sizes, from slabs of one class each.
 *
 * Algorithm.
 *  - Classes: from the smallest size, each next class is the previous one
 *    times the growth factor, rounded up to the granule (16 bytes), and at
 *    least one granule more; the last class is exactly max_size.  A request
 *    of n bytes in class c wastes under (growth - 1) of the chunk plus one
 *    granule, and never more than the gap to the previous class.
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
 *  - Fast paths: with no flags, slabs_alloc() and slabs_free() pop and push
 *    the slab pool's free list in line (stage 01's pool_alloc() and
 *    pool_free() fast paths, through pool_internal.h's chunk helpers) and
 *    end without a call; everything else goes through stage 01.
 *  - Free: mask the pointer to its slab, follow the block header's owner to
 *    the pool and so to the descriptor; owner NULL means a large object.
 *  - Requested sizes: each slab has a table with one small entry per chunk
 *    (chunk size - requested size), so frees subtract exactly what the
 *    allocation added to the class's requested_bytes.
 *  - Memory goes back to the source only in slabs_trim(), slabs_trim_idle(),
 *    slabs_destroy(), when a large object is freed, and (instead of failing)
 *    when max_bytes is reached while another class holds empty slabs.
 *
 * Every byte comes through slabs_t::source, a wrapper around the caller's
 * source that counts bytes_from_source and its peak and refuses past
 * max_bytes; every stage-01 pool of the allocator is given that wrapper.
 *
 * Invariants: see slabs.h (struct slabs) and slabs_check.c.  Checked mode
 * lives in slabs_checked.c, the checker in slabs_check.c, statistics in
 * slabs_stats.c.
 */
#define _POSIX_C_SOURCE 200809L
#include "slabs.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdalign.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "debug.h"
#include "fill.h"
#include "pool_internal.h"
#include "secret.h"
#include "slabs_internal.h"
#include "tool.h"

/* ---- the counting, limiting page source --------------------------------- */

/* Forwards to the caller's source, unless max_bytes would be passed.  A block
 * that comes back misaligned breaks masking, so it is returned and refused. */
static void *src_acquire(void *ctx, size_t size, size_t align)
{
    slabs_t *s = ctx;
    if (s->max_bytes && s->max_bytes - s->bytes_from_source < size) {
        s->cap_refused = true;
        return NULL;
    }
    void *p = s->upstream->acquire(s->upstream->ctx, size, align);
    if (p == NULL)
        return NULL;
    if (!align_ptr_is(p, align)) {
        s->upstream->release(s->upstream->ctx, p, size);
        return NULL;
    }
    s->bytes_from_source += size;
    if (s->bytes_from_source > s->peak_bytes_from_source)
        s->peak_bytes_from_source = s->bytes_from_source;
    return p;
}

static void src_release(void *ctx, void *addr, size_t size)
{
    slabs_t *s = ctx;
    SC_ASSERT(s->bytes_from_source >= size);
    s->bytes_from_source -= size;
    s->upstream->release(s->upstream->ctx, addr, size);
}

/* ---- the clock ---------------------------------------------------------- */


/* ---- building the class table ----------------------------- exercise 02-classes */

#ifdef SC_EX_02_CLASSES
#include "02-classes/classes.c"
#else
// [classes]
/* The class after prev (prev < max): prev * growth rounded up to the
 * granule, at least one granule more than prev, at most max. */
static size_t class_next(size_t prev, size_t max, double growth)
{
    double want = (double)prev * growth;
    if (want >= (double)max)
        return max;
    size_t next = (size_t)want;
    if ((double)next < want)
        next++;
    next = align_up(next, SLABS_GRANULE);
    if (next < prev + SLABS_GRANULE)
        next = prev + SLABS_GRANULE;
    return next < max ? next : max;
}

/* Writes the class sizes from min to max (multiples of the granule,
 * min <= max) into out, if out is not NULL, and returns how many there are;
 * 0 if there would be more than cap. */
static size_t classes_from_growth(size_t min, size_t max, double growth,
                                  size_t *out, size_t cap)
{
    size_t n = 0;
    for (size_t size = min;; size = class_next(size, max, growth)) {
        if (n == cap)
            return 0;
        if (out != NULL)
            out[n] = size;
        n++;
        if (size == max)
            return n;
    }
}
// [classes]
#endif

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

/* ---- configuration ------------------------------------------------------ */

/* A configuration with its defaults resolved and validated: what slabs_init()
 * needs before it acquires anything. */
typedef struct plan {
    size_t min;            /* first class */
    size_t max;            /* last class */
    double growth;         /* factor, when sizes is NULL */
    const size_t *sizes;   /* explicit list, or NULL */
    size_t n_classes;      /* classes */
    size_t slab_size;      /* bytes per slab */
    size_t meta_bytes;     /* classes + sizes + lookup */
    unsigned flags;        /* SLABS_* */
} plan_t;

/* The stage-01 configuration of a slab of a class of size bytes. */
static pool_config_t class_pool_config(const slabs_t *s, size_t size, size_t align,
                                       size_t slab_size, unsigned flags)
{
    pool_config_t pc = {
        .obj_size = size,
        .align = align,
        .block_size = slab_size,
        .max_bytes = slab_size,
        .source = s ? &s->source : page_source_default(),
        .flags = ((flags & SLABS_ZERO) ? POOL_ZERO : 0u) |
                 ((flags & SLABS_CHECKED) ? POOL_CHECKED : 0u),
    };
    return pc;
}

/* Lays out a stage-01 pool for a class in *scratch (nothing is acquired):
 * naturally aligned if size is a power of two and that fits, else aligned
 * to the granule.  Returns the alignment used, 0 if no chunk fits. */
static size_t class_layout(const slabs_t *s, size_t size, size_t slab_size,
                           unsigned flags, pool_t *scratch)
{
    size_t align = align_is_pow2(size) ? size : SLABS_GRANULE;
    for (;;) {
        pool_config_t pc = class_pool_config(s, size, align, slab_size, flags);
        if (pool_init(scratch, &pc) == 0)
            return align;
        if (align == SLABS_GRANULE)
            return 0;
        align = SLABS_GRANULE;
    }
}

/* Checks an explicit list: not empty, sizes > 0, multiples of the granule,
 * strictly ascending, not too many. */
static bool plan_list(plan_t *pl, const slabs_config_t *cfg)
{
    if (cfg->n_sizes == 0 || cfg->n_sizes > SLABS_MAX_CLASSES)
        return false;
    for (size_t i = 0; i < cfg->n_sizes; i++) {
        size_t z = cfg->sizes[i];
        if (z == 0 || z % SLABS_GRANULE != 0 || (i > 0 && z <= cfg->sizes[i - 1]))
            return false;
    }
    pl->sizes = cfg->sizes;
    pl->n_classes = cfg->n_sizes;
    pl->min = cfg->sizes[0];
    pl->max = cfg->sizes[cfg->n_sizes - 1];
    return true;
}

/* The default slab for a largest class of max bytes: 64 KiB, or the
 * smallest power of two that holds 8 such chunks.  0 if that is too big. */
static size_t default_slab_for(size_t max)
{
    if (max > SLABS_MAX_SLAB_SIZE / 8)
        return 0;
    size_t want = align_next_pow2(8 * max);
    return want > SLABS_DEFAULT_SLAB_SIZE ? want : SLABS_DEFAULT_SLAB_SIZE;
}

/* Resolves min and max for a growth-built table (slab_size may still be 0
 * when max_size is given: it then follows from max). */
static bool plan_growth(plan_t *pl, const slabs_config_t *cfg)
{
    pl->growth = cfg->growth == 0 ? SLABS_DEFAULT_GROWTH : cfg->growth;
    if (!(pl->growth > 1.0) || !isfinite(pl->growth))
        return false;
    size_t min = cfg->min_size ? cfg->min_size : SLABS_DEFAULT_MIN_SIZE;
    if (!align_up_checked(min, SLABS_GRANULE, &pl->min))
        return false;
    if (cfg->max_size) {
        if (!align_up_checked(cfg->max_size, SLABS_GRANULE, &pl->max))
            return false;
    } else {
        pl->max = pl->slab_size / 8 > pl->min ? pl->slab_size / 8 : pl->min;
    }
    return pl->min <= pl->max;
}

/* Validates cfg into pl; false (nothing acquired) if it is unusable. */
static bool plan_make(plan_t *pl, const slabs_config_t *cfg)
{
    memset(pl, 0, sizeof *pl);
    if (cfg->flags & ~(unsigned)(SLABS_ZERO | SLABS_CHECKED))
        return false;
    if (cfg->slab_size && (!align_is_pow2(cfg->slab_size) || cfg->slab_size > SLABS_MAX_SLAB_SIZE))
        return false;
    if ((cfg->sizes == NULL) != (cfg->n_sizes == 0))
        return false;
    pl->flags = cfg->flags;
    pl->slab_size = cfg->slab_size;
    if (pl->slab_size == 0 && cfg->sizes == NULL && cfg->max_size == 0)
        pl->slab_size = SLABS_DEFAULT_SLAB_SIZE;
    if (cfg->sizes ? !plan_list(pl, cfg) : !plan_growth(pl, cfg))
        return false;
    if (pl->slab_size == 0 && (pl->slab_size = default_slab_for(pl->max)) == 0)
        return false;
    if (pl->slab_size <= SLABS_LARGE_OFFSET)
        return false; /* a large object would not mask back to its header */
    pool_t scratch;
    if (pl->max > pl->slab_size || class_layout(NULL, pl->max, pl->slab_size, pl->flags, &scratch) == 0)
        return false; /* the slab cannot hold one chunk of the largest class */
    if (!cfg->sizes) {
        pl->n_classes = classes_from_growth(pl->min, pl->max, pl->growth, NULL, SLABS_MAX_CLASSES);
        if (pl->n_classes == 0)
            return false;
    }
    pl->meta_bytes = align_up(pl->n_classes * sizeof(slabs_class_t), 8) +
                     pl->n_classes * sizeof(size_t) +
                     align_up((pl->max / SLABS_GRANULE + 1) * sizeof(uint16_t), 8);
    /* max_bytes must allow the metadata, one descriptor block and one slab
     * (and, checked, the first registry) */
    size_t least = pl->meta_bytes + SLABS_DESC_BLOCK_SIZE + pl->slab_size +
                   ((pl->flags & SLABS_CHECKED) ? SLABS_REGISTRY_MIN * sizeof(uintptr_t) : 0);
    return cfg->max_bytes == 0 || cfg->max_bytes >= least;
}

/* ---- filling in the classes --------------------------------------------- */

/* Bits needed for entries up to v. */
static unsigned delta_shift_for(size_t v)
{
    return v < 16 ? 2 : v < 256 ? 3 : v < 65536 ? 4 : 5;
}

/* Fills in class c from its size and the stage-01 geometry.  False if no
 * chunk is left for objects once the table has its chunks. */
static bool class_fill(slabs_t *s, slabs_class_t *c, size_t size, size_t prev)
{
    pool_t scratch;
    c->size = size;
    c->smallest = prev + 1;
    c->align = class_layout(s, size, s->slab_size, s->flags, &scratch);
    if (c->align == 0)
        return false;
    SC_ASSERT(scratch.stride == size);
    c->stride = scratch.stride;
    c->div_magic = (uint32_t)(((uint64_t)1 << 32) / c->stride + 1);
    c->delta_shift = (uint8_t)delta_shift_for(size - c->smallest);
    c->delta_bits = (uint8_t)(1u << c->delta_shift);
    c->delta_mask = (uint32_t)(((uint64_t)1 << c->delta_bits) - 1);
    c->first_offset = (uint32_t)scratch.first_offset;
    c->table_bytes = (scratch.per_block * c->delta_bits + 7) / 8 + SLABS_TABLE_SLACK;
    c->table_chunks = c->table_bytes <= SLAB_INLINE_TABLE ? 0
                    : (c->table_bytes + c->stride - 1) / c->stride;
    if (c->table_chunks >= scratch.per_block)
        return false;
    c->chunks = scratch.per_block;
    c->per_slab = scratch.per_block - c->table_chunks;
    for (int l = 0; l < SLAB_LISTS; l++)
        c->lists[l].prev = c->lists[l].next = &c->lists[l];
    return true;
}

/* Carves the metadata block into classes, sizes and lookup, and fills them. */
static bool meta_fill(slabs_t *s, const plan_t *pl)
{
    char *m = s->meta;
    s->classes = (slabs_class_t *)(void *)m;
    size_t *sizes = (size_t *)(void *)(m + align_up(pl->n_classes * sizeof(slabs_class_t), 8));
    uint16_t *lookup = (uint16_t *)(void *)(sizes + pl->n_classes);
    if (pl->sizes)
        memcpy(sizes, pl->sizes, pl->n_classes * sizeof *sizes);
    else
        classes_from_growth(pl->min, pl->max, pl->growth, sizes, pl->n_classes);
    for (size_t i = 0; i < pl->n_classes; i++)
        if (!class_fill(s, &s->classes[i], sizes[i], i ? sizes[i - 1] : 0))
            return false;
    lookup_build(s, lookup);
    s->lookup = lookup;
    return true;
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
    if (d == NULL || slabs_slab_used(c, d) != 0)
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
        if (d == NULL || slabs_slab_used(c, d) != 0)
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
    if (head != NULL && slabs_slab_used(c, head) == 0)
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
        SC_ASSERT(chunk == slabs_chunk0(d) + i * c->stride);
        (void)chunk;
    }
}

/* Makes a slab of class c: a descriptor from the descriptor pool, its pool
 * initialised, its block acquired (by allocating chunk 0).  NULL, with
 * nothing kept, if a descriptor, the block or registry room cannot be had. */
static slab_t *slab_try_new(slabs_t *s, slabs_class_t *c)
{
    if ((s->flags & SLABS_CHECKED) && !slabs_registry_reserve(s))
        return NULL;
    slab_t *d = pool_alloc(&s->descs);
    if (d == NULL)
        return NULL;
    memset(d, 0, sizeof *d);
    pool_config_t pc = class_pool_config(s, c->size, c->align, s->slab_size, s->flags);
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
    d->cls = (uint32_t)(c - s->classes);
    d->klass = c;
    d->base = slabs_chunk0(d);
    if (c->table_chunks) {
        d->table = chunk0;
        slab_take_table(c, d, 1);
        SC_ASSERT(d->pool.live == c->table_chunks);
    } else {
        d->table = d->inline_table;
        pool_free(&d->pool, chunk0);
    }
    memset(d->table, 0, c->table_bytes);
    if (s->flags & SLABS_CHECKED)
        slabs_registry_insert(s, d->pool.head);
    list_push(c, d, SLAB_PARTIAL);
    return d;
}

/* Gives slab d back: its block to the source, its descriptor to the pool.
 * Returns the bytes released. */
static size_t slab_release(slabs_t *s, slab_t *d)
{
    list_unlink(&s->classes[d->cls], d);
    if (s->flags & SLABS_CHECKED)
        slabs_registry_remove(s, d->pool.head);
    pool_destroy(&d->pool);
    pool_free(&s->descs, d);
    return s->slab_size;
}

/* max_bytes is in the way: gives back the longest-empty slab of any class.
 * O(classes).  False if no class holds an empty slab. */
static bool release_oldest_empty(slabs_t *s)
{
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

/* A new slab for class c, on its partial list.  If max_bytes refuses and
 * another class holds empty slabs, they go back first (oldest first). */
static slab_t *slab_new(slabs_t *s, slabs_class_t *c)
{
    for (;;) {
        s->cap_refused = false;
        slab_t *d = slab_try_new(s, c);
        if (d != NULL)
            return d;
        if (!s->cap_refused || !release_oldest_empty(s))
            return NULL;
    }
}

/* ---- large objects ------------------------------------------------------ */

// [large]
/* Acquires a block of bytes for a large object, aligned to slab_size so
 * that masking any pointer into its first slab_size bytes finds the header. */
static slabs_large_t *large_acquire(slabs_t *s, size_t bytes)
{
    for (;;) {
        s->cap_refused = false;
        if (!(s->flags & SLABS_CHECKED) || slabs_registry_reserve(s)) {
            slabs_large_t *l = s->source.acquire(s, bytes, s->slab_size);
            if (l != NULL)
                return l;
        }
        if (!s->cap_refused || !release_oldest_empty(s))
            return NULL;
    }
}

static void *large_alloc(slabs_t *s, size_t size)
{
    size_t body;
    if (!align_up_checked(size, SLABS_GRANULE, &body) || body > SIZE_MAX - SLABS_LARGE_OFFSET) {
        errno = EINVAL;
        return NULL;
    }
    /* like malloc, no object above PTRDIFF_MAX: pointer differences must work */
    slabs_large_t *l = body > PTRDIFF_MAX - SLABS_LARGE_OFFSET ? NULL
                     : large_acquire(s, SLABS_LARGE_OFFSET + body);
    if (l == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    l->head.next = NULL;
    l->head.owner = NULL; /* marks the block large */
    l->head.cookie = slabs_large_cookie(s, l);
    l->block_bytes = SLABS_LARGE_OFFSET + body;
    l->requested = size;
    l->prev = NULL;
    l->next = s->large;
    if (s->large)
        s->large->prev = l;
    s->large = l;
    s->large_count++;
    s->large_bytes += l->block_bytes;
    s->large_requested += size;
    if (s->flags & SLABS_CHECKED)
        slabs_registry_insert(s, l);
    char *obj = slabs_large_obj(l);
    tool_noaccess((char *)l + sizeof *l, SLABS_LARGE_OFFSET - sizeof *l);
    tool_undefined(obj, body);
    if (s->flags & SLABS_ZERO)
        memset(obj, 0, body);
    else if (s->flags & SLABS_CHECKED)
        memset(obj, FILL_FRESH, body);
    return obj;
}

static void large_free(slabs_t *s, slabs_large_t *l)
{
    if (l->prev)
        l->prev->next = l->next;
    else
        s->large = l->next;
    if (l->next)
        l->next->prev = l->prev;
    s->large_count--;
    s->large_bytes -= l->block_bytes;
    s->large_requested -= l->requested;
    if (s->flags & SLABS_CHECKED)
        slabs_registry_remove(s, l);
    size_t bytes = l->block_bytes;
    tool_undefined(l, bytes);
    s->source.release(s, l, bytes);
}
// [large]

/* ---- allocation and free ------------------------------------------------ */

/* Books a new object of size bytes in chunk obj of slab d.  (The table
 * store sits between the two counter updates on purpose: it keeps the
 * compiler from merging them into one 16-byte access, which would stall
 * on the separate stores of the free before it.) */
static inline void note_alloc(slabs_class_t *c, slab_t *d, void *obj, size_t size)
{
    size_t i = slabs_slab_index(c, d, obj);
    c->requested += size;
    slabs_table_put(d->table, c, i, c->size - size);
    c->used++;
}

/* No partial slab could serve: reuse an empty slab of the class, else a
 * new one.  (A partial slab can turn out full only in checked mode, when
 * stage 01 withholds damaged chunks; it moves to the full list.) */
static SLABS_COLD void *alloc_slow(slabs_t *s, slabs_class_t *c, size_t size)
{
    for (;;) {
        slab_t *d = list_first(c, SLAB_PARTIAL);
        if (d == NULL) {
            d = list_first(c, SLAB_EMPTY);
            if (d != NULL)
                list_move(c, d, SLAB_PARTIAL);
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
        if (slabs_slab_used(c, d) == 0)
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
    return large_alloc(s, size);
}

void *slabs_alloc(slabs_t *s, size_t size)
{
    if (s == NULL || size - 1 >= s->max_size) /* size 0 wraps around */
        return alloc_other(s, size);
    slabs_class_t *c = &s->classes[lookup_class(s, size)];
    slab_t *d = list_first(c, SLAB_PARTIAL);
    void *obj;
    if (d == NULL || s->flags != 0 || (obj = d->pool.free_list) == NULL)
        return alloc_slow(s, c, size);
    /* stage 01's pool_alloc() fast path, in line (pool.h documents the free
     * list, pool_internal.h gives the chunk helpers): no flags, a free chunk */
    d->pool.free_list = link_read(obj);
    chunk_expose(&d->pool, obj);
    d->pool.live++;
    note_alloc(c, d, obj, size);
    if (d->pool.live == c->chunks) /* full: nothing is withheld unchecked */
        list_move(c, d, SLAB_FULL);
    return obj;
}

/* Frees the object at p, chunk i of slab d: the books, then the chunk goes
 * back to d's stage-01 pool, then d moves between lists if it must (last,
 * so that the common case ends without a call).  The pool cannot refuse
 * the chunk: unchecked (trusted), p is trusted and the pool is not checked
 * either, so the push is stage 01's pool_free() in line; checked,
 * slabs_checked_locate() has verified everything stage 01 would (ownership,
 * chunk start, live bit; a class chunk has no padding to guard). */
static inline void free_in_slab(slabs_t *s, slab_t *d, void *p, size_t i, bool trusted)
{
    slabs_class_t *c = d->klass;
    c->requested -= c->size - slabs_table_get(d->table, c, i);
    c->used--;
    if (trusted) {
        /* stage 01's pool_free() for a pool that is not checked, in line */
        link_write(p, d->pool.free_list);
        chunk_hide(&d->pool, p);
        d->pool.free_list = p;
        d->pool.live--;
    } else {
        pool_free(&d->pool, p);
    }
    if (d->pool.live == c->table_chunks)
        slab_became_empty(s, c, d);
    else if (d->list == SLAB_FULL)
        slab_unfull(s, c, d);
}

/* Checked mode: nothing is read at p's block before the registry says the
 * block is ours. */
static SLABS_COLD void free_checked(slabs_t *s, void *p)
{
    slabs_loc_t loc;
    if (!slabs_checked_locate(s, p, &loc, "double-free"))
        return;
    if (loc.large)
        large_free(s, loc.large);
    else
        free_in_slab(s, loc.slab, p, loc.index, false);
}

// [free-by-mask]
/* Masks p to its block, whose header names the slab's pool (the pool sits
 * in the slab's descriptor), or no owner at all for a large object. */
static void free_trusted(slabs_t *s, void *p)
{
    pool_block_t *b = slabs_block_of(s, p);
    if (b->owner == NULL) {
        large_free(s, (slabs_large_t *)b);
        return;
    }
    slab_t *d = slabs_slab_of_pool(b->owner);
    free_in_slab(s, d, p, slabs_slab_index(d->klass, d, p), true);
}

void slabs_free(slabs_t *s, void *p)
{
    if (s == NULL || p == NULL)
        return;
    if (s->flags & SLABS_CHECKED)
        free_checked(s, p);
    else
        free_trusted(s, p);
}
// [free-by-mask]

/* Where p lives, trusting it (unchecked mode). */
static void locate(const slabs_t *s, const void *p, slabs_loc_t *loc)
{
    pool_block_t *b = slabs_block_of(s, p);
    loc->large = b->owner == NULL ? (slabs_large_t *)b : NULL;
    loc->slab = loc->large ? NULL : slabs_slab_of_pool(b->owner);
    loc->index = loc->slab ? slabs_chunk_index(&s->classes[loc->slab->cls], b, p) : 0;
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

size_t slabs_usable_size(const slabs_t *s, const void *p)
{
    slabs_loc_t loc;
    if (s == NULL || p == NULL || !find(s, p, &loc, "use-after-free"))
        return 0;
    if (loc.large)
        return loc.large->block_bytes - SLABS_LARGE_OFFSET;
    return s->classes[loc.slab->cls].size;
}

/* ---- realloc ------------------------------------------------------------ */

/* The size the caller asked for when it got the object at loc. */
static size_t requested_of(const slabs_t *s, const slabs_loc_t *loc)
{
    if (loc->large)
        return loc->large->requested;
    const slabs_class_t *c = &s->classes[loc->slab->cls];
    return c->size - slabs_table_get(loc->slab->table, c, loc->index);
}

/* Resizes in place if p's chunk or block suits size; false if it must move. */
static bool resize_in_place(slabs_t *s, const slabs_loc_t *loc, char *p, size_t old, size_t size)
{
    if (loc->large) {
        slabs_large_t *l = loc->large;
        size_t usable = l->block_bytes - SLABS_LARGE_OFFSET;
        if (size <= s->max_size || size > usable || size < usable / 2)
            return false;
        s->large_requested += size - old; /* wraps correctly when shrinking */
        l->requested = size;
    } else {
        slabs_class_t *c = &s->classes[loc->slab->cls];
        if (size > s->max_size || &s->classes[lookup_class(s, size)] != c)
            return false;
        c->requested += size - old;
        slabs_table_put(loc->slab->table, c, loc->index, c->size - size);
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
    size_t old = requested_of(s, &loc);
    if (resize_in_place(s, &loc, p, old, size))
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
    slabs_settle(s);
    return trim_empty(s, keep_empty);
}

size_t slabs_trim_idle(slabs_t *s, uint64_t idle_ns)
{
    if (s == NULL || s->classes == NULL)
        return 0;
    uint64_t now = slabs_now(s);
    for (size_t i = 0; i < s->n_classes; i++)
        class_settle(&s->classes[i], now);
    return trim_empty_idle(s, now, idle_ns);
}

/* ---- whole-allocator operations ----------------------------------------- */

/* Frees every object of slab d (which is on no list) and retakes its table
 * chunks, cleared as in a new slab. */
static void slab_reset(slabs_class_t *c, slab_t *d)
{
    pool_reset(&d->pool);
    slab_take_table(c, d, 0);
    memset(d->table, 0, c->table_bytes);
}

/* Empties every slab of class c onto its empty list, all stamped now. */
static void class_reset(slabs_class_t *c, uint64_t now)
{
    slab_link_t done = {&done, &done};
    for (int l = 0; l < SLAB_LISTS; l++) {
        slab_t *d;
        while ((d = list_first(c, l)) != NULL) {
            list_unlink(c, d);
            slab_reset(c, d);
            d->emptied_at = now;
            d->link.next = done.next; /* keep the order: push then reverse */
            d->link.prev = &done;
            done.next->prev = &d->link;
            done.next = &d->link;
        }
    }
    while (done.prev != &done) {
        slab_t *d = slabs_slab_of_link(done.prev);
        done.prev = d->link.prev;
        list_push(c, d, SLAB_EMPTY);
    }
    c->used = 0;
    c->requested = 0;
}

void slabs_reset(slabs_t *s)
{
    if (s == NULL || s->classes == NULL)
        return;
    uint64_t now = slabs_now(s);
    for (size_t i = 0; i < s->n_classes; i++)
        class_reset(&s->classes[i], now);
    while (s->large != NULL)
        large_free(s, s->large);
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
        large_free(s, s->large);
    slabs_registry_free(s);
    pool_destroy(&s->descs);
    s->source.release(s, s->meta, s->meta_bytes);
    memset(s, 0, sizeof *s);
}

/* ---- init --------------------------------------------------------------- */

/* Everything of s that does not depend on the class table. */
static void init_fields(slabs_t *s, const slabs_config_t *cfg, const plan_t *pl)
{
    s->flags = pl->flags;
    s->slab_size = pl->slab_size;
    s->max_size = pl->max;
    s->n_classes = pl->n_classes;
    s->max_bytes = cfg->max_bytes;
    s->upstream = cfg->source ? cfg->source : page_source_default();
    s->source = (page_source_t){src_acquire, src_release, s, "slabs"};
    s->now_ns = cfg->now_ns ? cfg->now_ns : clock_coarse_ns;
    s->secret = secret_make(s);
}

int slabs_init(slabs_t *s, const slabs_config_t *cfg)
{
    plan_t pl;
    if (s == NULL)
        return -EINVAL;
    memset(s, 0, sizeof *s);
    if (cfg == NULL || !plan_make(&pl, cfg))
        return -EINVAL;
    init_fields(s, cfg, &pl);
    pool_config_t dc = {
        .obj_size = sizeof(slab_t),
        .align = SLAB_DESC_ALIGN,
        .block_size = SLABS_DESC_BLOCK_SIZE,
        .source = &s->source,
        .flags = (pl.flags & SLABS_CHECKED) ? POOL_CHECKED : 0u,
    };
    if (pool_init(&s->descs, &dc) != 0) {
        memset(s, 0, sizeof *s);
        return -EINVAL;
    }
    s->meta = s->source.acquire(s, pl.meta_bytes, 64);
    if (s->meta == NULL) {
        memset(s, 0, sizeof *s);
        return -ENOMEM;
    }
    s->meta_bytes = pl.meta_bytes;
    memset(s->meta, 0, pl.meta_bytes);
    if (!meta_fill(s, &pl)) {
        s->source.release(s, s->meta, s->meta_bytes);
        memset(s, 0, sizeof *s);
        return -EINVAL;
    }
    return 0;
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

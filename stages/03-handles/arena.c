/*
 * arena.c - stage 03: the handle table, objects, references.
 *
 * The table (see arena.h) is a directory of pages inside arena_t; page k
 * holds page_slots(k) slots (64, 64, 128, ...) followed by their count
 * words, and is acquired the first time a slot in it is needed, so a slot
 * never moves.
 * Slot 0 is never used: the null handle names nothing.
 *
 * A slot's life: fresh (index >= used) -> live (generation g) -> free, with
 * its handle word remembering g, on the free list -> live again with g + 1
 * -> ... -> retired when g reaches gen_max.  The free list is LIFO and
 * threaded through the index bits of the free slots' handle words.
 *
 * Order of work in every call that can fail: everything that can fail
 * first (a slot, the object's memory), then the state changes, so a failure
 * leaves the arena as it was.
 *
 * Interning is in arena_intern.c, cleanups and the cascade of releases in
 * arena_cleanup.c, the report and statistics in arena_report.c, the checker
 * in arena_check.c.
 */
#include "arena.h"

#include <errno.h>
#include <string.h>

#include "arena_internal.h"
#include "debug.h"
#include "hint.h"
#include "misuse.h"
#include "secret.h"

/* ---- the page source every part of the arena uses ----------------------- */

/* Counts what the arena holds from upstream, and refuses past max_bytes. */
static void *arena_acquire(void *ctx, size_t size, size_t align)
{
    arena_t *a = ctx;
    if (a->max_bytes && size > a->max_bytes - a->bytes_from_source)
        return NULL;
    void *p = a->upstream->acquire(a->upstream->ctx, size, align);
    if (p)
        a->bytes_from_source += size;
    return p;
}

static void arena_release_block(void *ctx, void *addr, size_t size)
{
    arena_t *a = ctx;
    a->upstream->release(a->upstream->ctx, addr, size);
    a->bytes_from_source -= size;
}

/* ---- init ------------------------------------------------------------------ */

static bool config_ok(const arena_config_t *cfg)
{
    unsigned bits = cfg->index_bits ? cfg->index_bits : ARENA_DEFAULT_INDEX_BITS;
    if (bits < ARENA_MIN_INDEX_BITS || bits > ARENA_MAX_INDEX_BITS)
        return false;
    if (cfg->max_handles > (UINT32_C(1) << bits) - 1)
        return false;
    return (cfg->flags & ~(unsigned)(ARENA_ZERO | ARENA_CHECKED | ARENA_LEAK_REPORT)) == 0;
}

static void init_fields(arena_t *a, const arena_config_t *cfg)
{
    unsigned bits = cfg->index_bits ? cfg->index_bits : ARENA_DEFAULT_INDEX_BITS;
    memset(a, 0, sizeof *a);
    a->index_bits = bits;
    a->index_mask = (UINT32_C(1) << bits) - 1;
    a->gen_max = (uint32_t)((UINT64_C(1) << (32 - bits)) - 1);
    a->max_slots = (cfg->max_handles ? cfg->max_handles : a->index_mask) + 1;
    a->flags = cfg->flags;
    a->upstream = cfg->slabs.source ? cfg->slabs.source : page_source_default();
    a->max_bytes = cfg->slabs.max_bytes;
    a->source = (page_source_t){arena_acquire, arena_release_block, a, "arena"};
    a->intern.seed = (uint64_t)secret_make(a);
}

int arena_init(arena_t *a, const arena_config_t *cfg)
{
    if (!a)
        return -EINVAL;
    if (!cfg || !config_ok(cfg)) {
        memset(a, 0, sizeof *a);
        return -EINVAL;
    }
    init_fields(a, cfg);
    slabs_config_t sc = cfg->slabs;
    sc.source = &a->source;
    if (a->flags & ARENA_ZERO)
        sc.flags |= SLABS_ZERO;
    if (a->flags & ARENA_CHECKED)
        sc.flags |= SLABS_CHECKED;
    int rc = slabs_init(&a->slabs, &sc);
    if (rc == 0) {
        pool_config_t pc = {.obj_size = 4 * sizeof(void *), .block_size = 4096, .source = &a->source};
        rc = pool_init(&a->records, &pc);
        if (rc != 0)
            slabs_destroy(&a->slabs);
    }
    if (rc != 0) {
        memset(a, 0, sizeof *a);
        return rc;
    }
    addrmap_init(&a->cleanup_map, sizeof(arena_slot_t), &a->source);
    addrmap_init(&a->placed, sizeof(arena_slot_t), &a->source);
    SC_ASSERT_EXPENSIVE(arena_check(a) == 0);
    return 0;
}

/* ---- the table ------------------------------------------------------------ */

/* Adds page n_pages, so that capacity grows; false if the source refuses.
 * The new slots are not written: a slot at or past used is never read. */
static bool table_grow(arena_t *a)
{
    unsigned k = a->n_pages;
    if (k == ARENA_MAX_PAGES)
        return false;
    arena_slot_t *page = a->source.acquire(a, page_bytes(k), 64);
    if (!page)
        return false;
    a->slot_base[k] = (uintptr_t)page - (uintptr_t)page_first(k) * sizeof(arena_slot_t);
    a->size_base[k] = (uintptr_t)(page + page_slots(k)) - (uintptr_t)page_first(k) * sizeof(uint32_t);
    a->n_pages = k + 1;
    a->capacity += page_slots(k);
    if (k == 0) {
        /* slot 0 never holds an object: its handle word links to slot 1,
         * so no handle (0 included) matches it */
        page[0] = (arena_slot_t){.obj = NULL, .handle = 1, .word = 0};
        *arena_size_of(a, 0) = 0;
        a->used = 1;
    }
    return true;
}

/* Pushes slot i onto the list *head (the free or the dying list): its
 * index bits link to the next, its generation bits are gen. */
void arena_slot_push(arena_t *a, uint32_t i, uint32_t gen, uint32_t *head)
{
    arena_slot_t *s = arena_slot_(a, i);
    s->handle = handle_make(a, gen, *head);
    *head = i;
}

/* The handle of generation 1 in a slot never used before; HANDLE_NULL
 * when none is left (errno ENOSPC) or the table cannot grow (ENOMEM). */
static SC_COLD handle_t slot_fresh(arena_t *a)
{
    if (a->used == a->max_slots) {
        errno = ENOSPC;
        return HANDLE_NULL;
    }
    if (a->used == a->capacity && !table_grow(a)) {
        errno = ENOMEM;
        return HANDLE_NULL;
    }
    return handle_make(a, 1, a->used++);
}

/* ---- taking and giving back slots ---------------------------- exercise 03-slots */

#ifdef SC_EX_03_SLOTS
#include "03-slots/slots.c"
#else
// [slots]
/* A slot for a new object, and in *h the handle the object gets; 0 when
 * none is left (errno says why).  The last freed slot first: its handle
 * word already holds the generation its next object gets. */
static inline uint32_t slot_take(arena_t *a, handle_t *h)
{
    uint32_t i = a->free_head;
    if (i == 0) {
        *h = slot_fresh(a);
        return handle_slot(a, *h); /* 0 for HANDLE_NULL */
    }
    arena_slot_t *s = arena_slot_(a, i);
    a->free_head = handle_slot(a, s->handle);
    a->free_count--;
    *h = (s->handle & ~a->index_mask) | i;
    return i;
}

/* Gives back slot s (index i), whose object h is gone: onto the free list
 * with the next generation, or retired when h had the last one.  Setting
 * h's index bits and adding one gives the next generation, or wraps to 0
 * after the last. */
static inline void slot_give_back(arena_t *a, arena_slot_t *s, uint32_t i, handle_t h)
{
    s->obj = NULL;
    s->word = 0;
    uint32_t next = (h | a->index_mask) + 1; /* the next generation, index bits 0 */
    if (next == 0) {                           /* h had the last one: it wrapped */
        s->handle = 0; /* retired: on no list, and 0 names slot 0, never this one */
        a->retired++;
        return;
    }
    s->handle = next | a->free_head;
    a->free_head = i;
    a->free_count++;
}
// [slots]
#endif

/* ---- objects ------------------------------------------------------------- */

/* After the slabs refused memory: when a cap is set, gives the slabs'
 * empty slabs back and tries once more (old: resize that object). */
static SC_COLD void *memory_retry(arena_t *a, void *old, size_t size)
{
    if (!a->max_bytes || slabs_trim(&a->slabs, 0) == 0)
        return NULL;
    return old ? slabs_realloc(&a->slabs, old, size) : slabs_alloc(&a->slabs, size);
}

/* Puts object p (size bytes asked for) in a slot with one reference and the
 * count word's flags; HANDLE_NULL and errno (p freed) when no slot can be
 * had after all. */
static SC_INLINE handle_t object_adopt(arena_t *a, void *p, size_t size, uint32_t flags)
{
    handle_t h;
    uint32_t i = slot_take(a, &h);
    if (SC_UNLIKELY(i == 0)) {
        int err = errno;
        slabs_free(&a->slabs, p);
        errno = err;
        return HANDLE_NULL;
    }
    *arena_slot_(a, i) = (arena_slot_t){.obj = p, .handle = h, .word = 1 | flags};
    *arena_size_of(a, i) = (uint32_t)size;
    return h;
}

handle_t arena_adopt(arena_t *a, void *p, size_t size)
{
    return object_adopt(a, p, size, 0);
}

/* A live object of size bytes (memory for bytes) with one reference and
 * the count word's flags; HANDLE_NULL and errno when memory or slots run
 * out, and then nothing has changed.  Running out of slots is ENOSPC even
 * when memory is short too; otherwise the memory comes first, because
 * giving it back is simpler than giving back a slot. */
static SC_INLINE handle_t object_new(arena_t *a, size_t size, size_t bytes, uint32_t flags)
{
    if (SC_UNLIKELY(!arena_slot_available(a))) {
        errno = ENOSPC; /* no slot can be had: say so, whatever memory would do */
        return HANDLE_NULL;
    }
    void *p = slabs_alloc(&a->slabs, bytes);
    if (SC_UNLIKELY(!p) && !(p = memory_retry(a, NULL, bytes))) {
        errno = ENOMEM;
        return HANDLE_NULL;
    }
    return object_adopt(a, p, size, flags);
}

handle_t arena_alloc(arena_t *a, size_t size)
{
    if (SC_UNLIKELY(size - 1 >= ARENA_MAX_SIZE)) { /* 0 wraps to SIZE_MAX */
        errno = EINVAL;
        return HANDLE_NULL;
    }
    handle_t h = object_new(a, size, size, 0);
    SC_ASSERT_EXPENSIVE(arena_check(a) == 0);
    return h;
}

/* A new interned object for len bytes and their NUL (arena_intern.c fills
 * it and adds it to the set). */
handle_t arena_new_interned(arena_t *a, size_t len)
{
    return object_new(a, len, len + 1, ARENA_W_INTERNED);
}

size_t arena_size(const arena_t *a, handle_t h)
{
    return arena_live_slot(a, h) ? *arena_size_of(a, handle_slot(a, h)) : 0;
}

int arena_resize(arena_t *a, handle_t h, size_t size)
{
    arena_slot_t *s = arena_live_slot(a, h);
    if (!s)
        return -ESTALE;
    if (size == 0 || size > ARENA_MAX_SIZE || (s->word & ARENA_W_INTERNED))
        return -EINVAL;
    if (a->placed.count && arena_placed_align(a, h)) /* placed: keeps its alignment */
        return arena_placed_resize(a, h, size);
    void *p = slabs_realloc(&a->slabs, s->obj, size);
    if (!p && !(p = memory_retry(a, s->obj, size)))
        return -ENOMEM;
    s->obj = p;
    *arena_size_of(a, handle_slot(a, h)) = (uint32_t)size;
    SC_ASSERT_EXPENSIVE(arena_check(a) == 0);
    return 0;
}

/* ---- references ---------------------------------------------------------- */

int arena_share(arena_t *a, handle_t h)
{
    arena_slot_t *s = arena_live_slot(a, h);
    if (!s || (s->word & ARENA_W_REFS) == 0) /* count 0: dead, readable only while arena_reset() runs cleanups */
        return -ESTALE;
    if ((s->word & ARENA_W_REFS) == ARENA_MAX_REFS)
        return -EOVERFLOW;
    s->word++;
    return 0;
}

uint32_t arena_refcount(const arena_t *a, handle_t h)
{
    const arena_slot_t *s = arena_live_slot(a, h);
    return s ? s->word & ARENA_W_REFS : 0;
}

void arena_report_stale(const arena_t *a, handle_t h, const char *what)
{
    (void)a;
    misuse_report(&(misuse_report_t){
        .allocator = "arena",
        .kind = "stale-handle",
        .addr = (const void *)(uintptr_t)h,
        .message = what,
    });
}

/* The release of a handle whose object has flags (interned, cleanups), or
 * while arena_reset() runs cleanups, or of a handle that is not live. */
static SC_COLD int release_slow(arena_t *a, arena_slot_t *s, handle_t h)
{
    if (!s || (s->word & ARENA_W_REFS) == 0) { /* count 0: only while arena_reset() runs cleanups */
        arena_report_stale(a, h, "arena_release() of a handle that is not live (a double release?)");
        return -ESTALE;
    }
    uint32_t left = (--s->word) & ARENA_W_REFS;
    if (left > 0)
        return (int)left;
    a->held_dead++; /* until arena_free_object(), or the end of arena_reset() */
    if (a->resetting)
        return 0;
    arena_die(a, handle_slot(a, h));
    SC_ASSERT_EXPENSIVE(a->draining || arena_check(a) == 0);
    return 0;
}

// [release]
int arena_release(arena_t *a, handle_t h)
{
    arena_slot_t *s = arena_live_slot(a, h);
    if (SC_LIKELY(s && s->word == 1 && !a->resetting)) { /* the last reference, no flags */
        slabs_free(&a->slabs, s->obj);
        slot_give_back(a, s, handle_slot(a, h), h);
        SC_ASSERT_EXPENSIVE(a->draining || arena_check(a) == 0);
        return 0;
    }
    if (SC_LIKELY(s && (s->word & ARENA_W_REFS) > 1)) {
        s->word--;
        return (int)(s->word & ARENA_W_REFS);
    }
    return release_slow(a, s, h);
}
// [release]

/* Frees the object in slot i (its count is 0, counted in held_dead; its
 * cleanups have run) and gives the slot back.  Its handle word may be a list link: the generation
 * bits are the object's. */
void arena_free_object(arena_t *a, uint32_t i)
{
    arena_slot_t *s = arena_slot_(a, i);
    handle_t h = handle_make(a, handle_gen(a, s->handle), i);
    if (s->word & ARENA_W_INTERNED)
        arena_intern_remove(a, h);
    slabs_free(&a->slabs, s->obj);
    slot_give_back(a, s, i, h);
    a->held_dead--;
}

/* ---- reset and destroy ----------------------------------------------------- */

/* Every slot that holds an object gives it up: the slabs are reset as a
 * whole, so the objects need no free each. */
static void reset_slots(arena_t *a)
{
    for (uint32_t i = a->used; i-- > 1;) {
        arena_slot_t *s = arena_slot_(a, i);
        if (s->obj)
            slot_give_back(a, s, i, handle_make(a, handle_gen(a, s->handle), i));
    }
    a->held_dead = 0;
    a->dying_head = 0;
}

void arena_reset(arena_t *a)
{
    arena_run_all_cleanups(a);
    arena_intern_drop(a);
    addrmap_free(&a->placed); /* every handle in it is stale now */
    reset_slots(a);
    slabs_reset(&a->slabs);
    SC_ASSERT_EXPENSIVE(arena_check(a) == 0);
}

void arena_destroy(arena_t *a)
{
    if (!a->source.acquire)
        return; /* zeroed: init failed, or destroyed already */
    if ((a->flags & ARENA_LEAK_REPORT) && arena_live(a) > 0)
        arena_report_live(a, stderr);
    arena_run_all_cleanups(a);
    arena_intern_drop(a);
    arena_cleanup_drop(a);
    addrmap_free(&a->placed);
    for (unsigned k = 0; k < a->n_pages; k++)
        a->source.release(a, page_start(a, k), page_bytes(k));
    pool_destroy(&a->records);
    slabs_destroy(&a->slabs);
    memset(a, 0, sizeof *a);
}

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
    SC_ASSERT_EXPENSIVE(arena_check(a) == 0);
    return 0;
}

/* ---- the slots ------------------------------------------------------------- */

/* Adds page n_pages, so that capacity grows; false if the source refuses.
 * The new slots are not written: a slot at or past used is never read. */
static bool table_grow(arena_t *a)
{
    unsigned k = a->n_pages;
    if (k == ARENA_MAX_PAGES)
        return false;
    size_t n = page_slots(k);
    arena_slot_t *page = a->source.acquire(a, n * (sizeof(arena_slot_t) + sizeof(uint32_t)), 64);
    if (!page)
        return false;
    a->pages[k] = page;
    a->n_pages = k + 1;
    a->capacity += (uint32_t)n;
    if (k == 0) {
        /* slot 0 never holds an object: its handle word links to slot 1,
         * so no handle (0 included) matches it */
        page[0] = (arena_slot_t){.obj = NULL, .handle = 1, .size = 0};
        *arena_word(a, 0) = 0;
        a->used = 1;
    }
    return true;
}

/* Pushes slot i onto the list *head (the free or the dying list): its
 * handle word keeps its generation, and its index bits link to the next. */
void arena_slot_push(arena_t *a, uint32_t i, uint32_t *head)
{
    arena_slot_t *s = arena_slot_(a, i);
    s->handle = handle_make(a, handle_gen(a, s->handle), *head);
    *head = i;
}

/* ---- taking and giving back slots ---------------------------- exercise 03-slots */

#ifdef SC_EX_03_SLOTS
#include "03-slots/slots.c"
#else
// [slots]
/* A slot for a new object and the generation it will carry, or 0 when
 * none is left (*err says why).  Reuses the last freed slot first. */
static uint32_t slot_take(arena_t *a, uint32_t *gen, int *err)
{
    uint32_t i = a->free_head;
    if (i != 0) {
        uint32_t word = arena_slot_(a, i)->handle;
        a->free_head = handle_slot(a, word);
        a->free_count--;
        *gen = handle_gen(a, word) + 1;
        return i;
    }
    if (a->used == a->max_slots) {
        *err = ENOSPC;
        return 0;
    }
    if (a->used == a->capacity && !table_grow(a)) {
        *err = ENOMEM;
        return 0;
    }
    *gen = 1;
    return a->used++;
}

/* Gives back slot i, whose object (generation gen) is gone: on the free
 * list for its next generation, or retired when gen was the last. */
static void slot_give_back(arena_t *a, uint32_t i, uint32_t gen)
{
    arena_slot_t *s = arena_slot_(a, i);
    s->obj = NULL;
    *arena_word(a, i) = 0;
    if (gen == a->gen_max) {
        s->handle = handle_make(a, gen, 0); /* on no list; index 0 is never its own */
        a->retired++;
        return;
    }
    s->handle = handle_make(a, gen, 0);
    arena_slot_push(a, i, &a->free_head);
    a->free_count++;
}
// [slots]
#endif

/* Undoes slot_take() of slot i with generation gen: the object could not
 * be made, so the slot goes back exactly where it came from. */
static void slot_untake(arena_t *a, uint32_t i, uint32_t gen)
{
    if (gen == 1 && i == a->used - 1) {
        a->used--;
        return;
    }
    arena_slot_t *s = arena_slot_(a, i);
    s->handle = handle_make(a, gen - 1, 0);
    arena_slot_push(a, i, &a->free_head);
    a->free_count++;
}

/* ---- objects ------------------------------------------------------------- */

/* Memory for size bytes; when the cap refused it, once more after giving
 * the slabs' empty slabs back. */
static void *object_memory(arena_t *a, void *old, size_t size)
{
    void *p = old ? slabs_realloc(&a->slabs, old, size) : slabs_alloc(&a->slabs, size);
    if (!p && a->max_bytes && slabs_trim(&a->slabs, 0) > 0)
        p = old ? slabs_realloc(&a->slabs, old, size) : slabs_alloc(&a->slabs, size);
    return p;
}

/* A live object in a new slot, with one reference and the count word's
 * flags; HANDLE_NULL and errno when memory or slots run out. */
static handle_t object_new(arena_t *a, size_t size, size_t bytes, uint32_t flags)
{
    uint32_t gen = 0;
    int err = 0;
    uint32_t i = slot_take(a, &gen, &err);
    if (i == 0) {
        errno = err;
        return HANDLE_NULL;
    }
    void *p = object_memory(a, NULL, bytes);
    if (!p) {
        slot_untake(a, i, gen);
        errno = ENOMEM;
        return HANDLE_NULL;
    }
    handle_t h = handle_make(a, gen, i);
    *arena_slot_(a, i) = (arena_slot_t){.obj = p, .handle = h, .size = (uint32_t)size};
    *arena_word(a, i) = 1 | flags;
    a->live++;
    a->in_use++;
    return h;
}

handle_t arena_alloc(arena_t *a, size_t size)
{
    if (size == 0 || size > ARENA_MAX_SIZE) {
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
    const arena_slot_t *s = arena_live_slot(a, h);
    return s ? s->size : 0;
}

int arena_resize(arena_t *a, handle_t h, size_t size)
{
    arena_slot_t *s = arena_live_slot(a, h);
    if (!s)
        return -ESTALE;
    if (size == 0 || size > ARENA_MAX_SIZE || (*arena_word(a, handle_slot(a, h)) & ARENA_W_INTERNED))
        return -EINVAL;
    void *p = object_memory(a, s->obj, size);
    if (!p)
        return -ENOMEM;
    s->obj = p;
    s->size = (uint32_t)size;
    SC_ASSERT_EXPENSIVE(arena_check(a) == 0);
    return 0;
}

/* ---- references ---------------------------------------------------------- */

int arena_share(arena_t *a, handle_t h)
{
    if (!arena_live_slot(a, h))
        return -ESTALE;
    uint32_t *w = arena_word(a, handle_slot(a, h));
    if ((*w & ARENA_W_REFS) == 0)
        return -ESTALE; /* dead, readable only while arena_reset() runs cleanups */
    if ((*w & ARENA_W_REFS) == ARENA_MAX_REFS)
        return -EOVERFLOW;
    ++*w;
    return 0;
}

uint32_t arena_refcount(const arena_t *a, handle_t h)
{
    if (!arena_live_slot(a, h))
        return 0;
    return *arena_word(a, handle_slot(a, h)) & ARENA_W_REFS;
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

int arena_release(arena_t *a, handle_t h)
{
    uint32_t *w = arena_live_slot(a, h) ? arena_word(a, handle_slot(a, h)) : NULL;
    if (!w || (*w & ARENA_W_REFS) == 0) { /* count 0: only while arena_reset() runs cleanups */
        arena_report_stale(a, h, "arena_release() of a handle that is not live (a double release?)");
        return -ESTALE;
    }
    uint32_t left = (*w & ARENA_W_REFS) - 1;
    --*w;
    if (left == 0)
        a->live--;
    if (left > 0 || a->resetting)
        return (int)left;
    arena_die(a, handle_slot(a, h));
    SC_ASSERT_EXPENSIVE(a->draining || arena_check(a) == 0);
    return 0;
}

/* Frees the object in slot i (its count is 0, its cleanups have run) and
 * gives the slot back. */
void arena_free_object(arena_t *a, uint32_t i)
{
    arena_slot_t *s = arena_slot_(a, i);
    uint32_t *w = arena_word(a, i);
    if (*w & ARENA_W_INTERNED)
        arena_intern_remove(a, handle_make(a, handle_gen(a, s->handle), i));
    slabs_free(&a->slabs, s->obj);
    a->in_use--;
    slot_give_back(a, i, handle_gen(a, s->handle));
}

/* ---- reset and destroy ----------------------------------------------------- */

/* Every slot that holds an object gives it up: the slabs are reset as a
 * whole, so the objects need no free each. */
static void reset_slots(arena_t *a)
{
    for (uint32_t i = a->used; i-- > 1;) {
        arena_slot_t *s = arena_slot_(a, i);
        if (s->obj)
            slot_give_back(a, i, handle_gen(a, s->handle));
    }
    a->live = a->in_use = 0;
    a->dying_head = 0;
}

void arena_reset(arena_t *a)
{
    arena_run_all_cleanups(a);
    arena_intern_drop(a);
    reset_slots(a);
    slabs_reset(&a->slabs);
    SC_ASSERT_EXPENSIVE(arena_check(a) == 0);
}

void arena_destroy(arena_t *a)
{
    if (!a->source.acquire)
        return; /* zeroed: init failed, or destroyed already */
    if ((a->flags & ARENA_LEAK_REPORT) && a->live > 0)
        arena_report_live(a, stderr);
    arena_run_all_cleanups(a);
    arena_intern_drop(a);
    arena_cleanup_drop(a);
    for (unsigned k = 0; k < a->n_pages; k++)
        a->source.release(a, a->pages[k], page_slots(k) * (sizeof(arena_slot_t) + sizeof(uint32_t)));
    pool_destroy(&a->records);
    slabs_destroy(&a->slabs);
    memset(a, 0, sizeof *a);
}

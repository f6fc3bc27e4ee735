/*
 * arena_internal.h - what the sources of stage 03 share, and nothing else
 * includes (its tests may).
 *
 * A slot's 32-bit count word, in the slot (arena_slot_t::word):
 *   bits 0..29  the reference count (0 when the slot holds no live object)
 *   bit  30     ARENA_W_INTERNED: the object is in the intern set
 *   bit  31     ARENA_W_CLEANUP: the object has cleanup records
 * A slot is in one of four states, told by its handle word h and count:
 *   live     h & index_mask == its own index, count >= 1
 *   dying    on the dying list (cleanups pending), count 0, obj kept
 *   free     on the free list, obj NULL, generation bits: the next one
 *   retired  on no list, obj NULL, handle word 0
 * Only a live slot's handle word has its own index in the index bits, so
 * arena_get() needs one comparison to tell a live slot from all others.
 */
#ifndef SLABCRAFT_ARENA_INTERNAL_H
#define SLABCRAFT_ARENA_INTERNAL_H

#include "arena.h"

#define ARENA_W_REFS ((uint32_t)ARENA_MAX_REFS)
#define ARENA_W_INTERNED ((uint32_t)1 << 30)
#define ARENA_W_CLEANUP ((uint32_t)1 << 31)

/** One entry of the intern set: a handle and 32 bits of its bytes' hash. */
struct arena_intern_entry {
    handle_t h;    /**< an interned object's handle; HANDLE_NULL = empty */
    uint32_t hash; /**< low 32 bits of hash_bytes() of its bytes; its home is hash & (cap - 1) */
};

/* Entries read and objects compared by intern lookups on this thread, in
 * builds without NDEBUG only: the scorer of exercise 03-intern reads them. */
#ifndef NDEBUG
extern _Thread_local size_t arena_intern_probes, arena_intern_compares;
#endif

/* ---- handles -------------------------------------------------------------- */

/* The slot index a handle names. */
static inline uint32_t handle_slot(const arena_t *a, handle_t h)
{
    return h & a->index_mask;
}

/* The generation a handle carries. */
static inline uint32_t handle_gen(const arena_t *a, handle_t h)
{
    return h >> a->index_bits;
}

/* The handle of generation gen in slot i. */
static inline handle_t handle_make(const arena_t *a, uint32_t gen, uint32_t i)
{
    return (handle_t)(gen << a->index_bits) | i;
}

/* Slots in page k: 64, 64, 128, 256, ... (see arena_page_()). */
static inline uint32_t page_slots(unsigned k)
{
    return k ? ARENA_PAGE0_SLOTS << (k - 1) : ARENA_PAGE0_SLOTS;
}

/* The index of page k's first slot: 0, 64, 128, 256, ... */
static inline uint32_t page_first(unsigned k)
{
    return k ? ARENA_PAGE0_SLOTS << (k - 1) : 0;
}

/* Bytes of page k: its slots, then their sizes. */
static inline size_t page_bytes(unsigned k)
{
    return (size_t)page_slots(k) * (sizeof(arena_slot_t) + sizeof(uint32_t));
}

/* The start of page k (k < n_pages). */
static inline arena_slot_t *page_start(const arena_t *a, unsigned k)
{
    return arena_slot_(a, page_first(k));
}

/* The count word of slot i < capacity. */
static inline uint32_t *arena_word(const arena_t *a, uint32_t i)
{
    return &arena_slot_(a, i)->word;
}

/* The size of slot i's object (i < capacity): the page's sizes follow its
 * slots, one uint32_t per slot, reached like the slots through a biased
 * base. */
static inline uint32_t *arena_size_of(const arena_t *a, uint32_t i)
{
    return (uint32_t *)(a->size_base[arena_page_(i)] + (uintptr_t)i * sizeof(uint32_t));
}

/* Slots that hold an object (live or dying): every slot ever used but
 * slot 0, less the free and the retired ones. */
static inline size_t arena_in_use(const arena_t *a)
{
    return a->used ? a->used - 1u - a->free_count - a->retired : 0;
}

/* Live objects: those held, less those whose count reached 0 (counted
 * only where that happens, off the fast paths). */
static inline size_t arena_live(const arena_t *a)
{
    return arena_in_use(a) - a->held_dead;
}

/* The slot of a live handle, or NULL: arena_get()'s test. */
static inline arena_slot_t *arena_live_slot(const arena_t *a, handle_t h)
{
    uint32_t i = handle_slot(a, h);
    if (i >= a->used)
        return NULL;
    arena_slot_t *s = arena_slot_(a, i);
    return s->handle == h ? s : NULL;
}

/* ---- across the sources ----------------------------------------------------- */

/* arena.c */
void arena_free_object(arena_t *a, uint32_t i);
/* True if a slot can be had for a new object (a free one, or a fresh one
 * below max_slots). */
static inline bool arena_slot_available(const arena_t *a)
{
    return a->free_head != 0 || a->used < a->max_slots;
}
/* Puts object p of the arena's slabs (size bytes asked for) in a new slot
 * with one reference; HANDLE_NULL and errno, p freed, if no slot is had. */
handle_t arena_adopt(arena_t *a, void *p, size_t size);
/* Placed objects (arena_place.c): the alignment h was placed with, 0 if it
 * was not placed; its resize, which keeps that alignment. */
size_t arena_placed_align(const arena_t *a, handle_t h);
int arena_placed_resize(arena_t *a, handle_t h, size_t size);
void arena_slot_push(arena_t *a, uint32_t i, uint32_t gen, uint32_t *head);
handle_t arena_new_interned(arena_t *a, size_t len);

/* arena_intern.c */
void arena_intern_remove(arena_t *a, handle_t h);
void arena_intern_drop(arena_t *a);
size_t arena_intern_check(const arena_t *a);

/* arena_cleanup.c */
void arena_die(arena_t *a, uint32_t i);
void arena_run_all_cleanups(arena_t *a);
size_t arena_cleanup_check(const arena_t *a);
void arena_cleanup_drop(arena_t *a);

/* the misuse report of a release of handle h that is not live */
void arena_report_stale(const arena_t *a, handle_t h, const char *what);

#endif

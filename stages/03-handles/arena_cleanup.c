/*
 * arena_cleanup.c - stage 03: cleanups, and the death of objects.
 *
 * An object's cleanups are records in a stage-01 pool, chained newest
 * first; a side table (common/addrmap.h) maps the address of the object's
 * slot to its newest record.  An object without cleanups pays one bit of
 * its count word (ARENA_W_CLEANUP) and nothing else.
 *
 * When the last reference goes, an object without cleanups is freed at
 * once.  One with cleanups is pushed on the dying list; the first release
 * to get there drains the list: it pops an object, runs its cleanups, frees
 * it, and goes on until the list is empty.  A cleanup that releases other
 * objects only pushes them, so a chain of any length is freed by one loop
 * on one C stack frame, never by recursion.
 */
#include "arena.h"

#include <errno.h>

#include "arena_internal.h"
#include "debug.h"

/** A cleanup: what to call, and the next older record of the object. */
typedef struct cleanup_rec {
    arena_cleanup_fn *fn;      /**< never NULL */
    void *ctx;                 /**< passed to fn */
    struct cleanup_rec *next;  /**< the object's next older record, or NULL */
    uint32_t slot;             /**< the slot of the object it belongs to */
} cleanup_rec_t;

_Static_assert(sizeof(cleanup_rec_t) <= 4 * sizeof(void *), "records are the pool's 4-word objects");

static uintptr_t slot_key(const arena_t *a, uint32_t i)
{
    return (uintptr_t)arena_slot_(a, i);
}

int arena_on_free(arena_t *a, handle_t h, arena_cleanup_fn *fn, void *ctx)
{
    if (!arena_live_slot(a, h) || (*arena_word(a, handle_slot(a, h)) & ARENA_W_REFS) == 0)
        return -ESTALE;
    if (!fn)
        return -EINVAL;
    uint32_t i = handle_slot(a, h);
    uint32_t *w = arena_word(a, i);
    bool first = !(*w & ARENA_W_CLEANUP);
    if (first && !addrmap_reserve(&a->cleanup_map))
        return -ENOMEM;
    cleanup_rec_t *r = pool_alloc(&a->records);
    if (!r)
        return -ENOMEM;
    *r = (cleanup_rec_t){fn, ctx, NULL, i};
    if (first) {
        addrmap_insert(&a->cleanup_map, slot_key(a, i), r);
        *w |= ARENA_W_CLEANUP;
    } else {
        /* the map keeps pointing at the head record: the old head's
         * contents move to r, and the head takes the new cleanup */
        cleanup_rec_t *head = addrmap_get(&a->cleanup_map, slot_key(a, i));
        cleanup_rec_t tmp = *head;
        *head = *r;
        *r = tmp;
        head->next = r;
    }
    a->cleanups++;
    return 0;
}

/* Runs slot i's cleanups, newest first, each exactly once: a record leaves
 * the map and the pool before its function is called. */
static void run_cleanups(arena_t *a, uint32_t i)
{
    arena_slot_t *s = arena_slot_(a, i);
    cleanup_rec_t *r = addrmap_get(&a->cleanup_map, slot_key(a, i));
    addrmap_remove(&a->cleanup_map, slot_key(a, i));
    *arena_word(a, i) &= ~ARENA_W_CLEANUP;
    while (r) {
        cleanup_rec_t rec = *r;
        pool_free(&a->records, r);
        a->cleanups--;
        rec.fn(s->obj, *arena_size_of(a, i), rec.ctx);
        r = rec.next;
    }
}

/* ---- the cascade -------------------------------------------------------- exercise 03-cascade */

#ifdef SC_EX_03_CASCADE
#include "03-cascade/cascade.c"
#else
// [cascade]
/* Frees every object on the dying list, and every object their cleanups
 * send there, one at a time: the loop, not the C stack, holds the chain. */
static void drain_dying(arena_t *a)
{
    a->draining = true;
    while (a->dying_head != 0) {
        uint32_t i = a->dying_head;
        arena_slot_t *s = arena_slot_(a, i);
        a->dying_head = handle_slot(a, s->handle);
        s->handle = handle_make(a, handle_gen(a, s->handle), 0);
        run_cleanups(a, i);
        arena_free_object(a, i);
    }
    a->draining = false;
}

/* Slot i's object lost its last reference.  Without cleanups it is freed
 * now; with them it joins the dying list, which the outermost release
 * drains. */
void arena_die(arena_t *a, uint32_t i)
{
    if (!(*arena_word(a, i) & ARENA_W_CLEANUP)) {
        arena_free_object(a, i);
        return;
    }
    arena_slot_push(a, i, handle_gen(a, arena_slot_(a, i)->handle), &a->dying_head);
    if (!a->draining)
        drain_dying(a);
}
// [cascade]
#endif

/* ---- reset and destroy ---------------------------------------------------- */

/* Runs every pending cleanup exactly once, while every object is still
 * readable; releases made meanwhile only count down (a->resetting).  A
 * cleanup may register more cleanups: passes repeat until none is left. */
void arena_run_all_cleanups(arena_t *a)
{
    a->resetting = true;
    while (a->cleanups > 0)
        for (uint32_t i = 1; i < a->used; i++)
            if (*arena_word(a, i) & ARENA_W_CLEANUP)
                run_cleanups(a, i);
    a->resetting = false;
}

/* Gives the side table back (arena_destroy; the records go with their pool). */
void arena_cleanup_drop(arena_t *a)
{
    addrmap_free(&a->cleanup_map);
}

/* ---- checking ---------------------------------------------------------------- */

/* Broken invariants: a flagged slot without records or holding no object,
 * a record of another slot, record and map counts that disagree. */
size_t arena_cleanup_check(const arena_t *a)
{
    size_t bad = 0, flagged = 0, records = 0;
    for (uint32_t i = 1; i < a->used; i++) {
        if (!(*arena_word(a, i) & ARENA_W_CLEANUP))
            continue;
        flagged++;
        const cleanup_rec_t *r = addrmap_get(&a->cleanup_map, slot_key(a, i));
        if (!r || !arena_slot_(a, i)->obj)
            bad++;
        for (; r && records <= a->cleanups; r = r->next, records++)
            if (r->slot != i || !r->fn)
                bad++;
    }
    if (flagged != a->cleanup_map.count || records != a->cleanups)
        bad++;
    return bad;
}

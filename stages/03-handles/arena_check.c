/*
 * arena_check.c - stage 03: the invariant checker.
 *
 * arena_check() walks every slot ever used and every list, and counts what
 * disagrees with the invariants in arena.h and arena_internal.h.  It never
 * follows a link outside [1, used) and never walks a list further than
 * there are slots, so a damaged arena cannot send it out of bounds.
 */
#include "arena.h"

#include "arena_internal.h"

/* Counts of the slots by state, from one walk of the table. */
typedef struct census {
    size_t live, holding, retired, interned, bad;
} census_t;

/* One slot's state against its count word: a live slot names itself and
 * has references; a slot without an object has a clear count word. */
static void census_slot(const arena_t *a, uint32_t i, census_t *c)
{
    const arena_slot_t *s = arena_slot_(a, i);
    uint32_t w = s->word, gen = handle_gen(a, s->handle);
    if (s->obj) {
        c->holding++;
        if (handle_slot(a, s->handle) == i && (w & ARENA_W_REFS) > 0)
            c->live++;
        else if (handle_slot(a, s->handle) == i && !a->resetting)
            c->bad++; /* resolves, yet nobody holds it */
        if (w & ARENA_W_INTERNED)
            c->interned++;
        if (gen == 0)
            c->bad++;
    } else {
        if (w != 0 || handle_slot(a, s->handle) == i)
            c->bad++;
        if (s->handle == 0)
            c->retired++;
        else if (gen < 2)
            c->bad++; /* a free slot's next object gets generation 2 or more */
    }
}

/* The length of a list through the slots' index bits, or SIZE_MAX when it
 * leaves [1, used), loops, or reaches a slot in the wrong state. */
static size_t list_length(const arena_t *a, uint32_t head, bool holding)
{
    size_t n = 0;
    for (uint32_t i = head; i != 0; n++) {
        if (i >= a->used || n >= a->used)
            return SIZE_MAX;
        const arena_slot_t *s = arena_slot_(a, i);
        if ((s->obj != NULL) != holding)
            return SIZE_MAX;
        i = handle_slot(a, s->handle);
    }
    return n;
}

static size_t table_check(const arena_t *a)
{
    size_t bad = 0;
    if (a->used > a->capacity || a->capacity != (a->n_pages ? UINT32_C(32) << a->n_pages : 0))
        return 1; /* nothing else can be trusted */
    if (a->used > 0 && arena_slot_(a, 0)->handle == HANDLE_NULL)
        bad++; /* slot 0 would resolve the null handle */
    census_t c = {0};
    for (uint32_t i = 1; i < a->used; i++)
        census_slot(a, i, &c);
    size_t free_len = list_length(a, a->free_head, false);
    size_t dying_len = list_length(a, a->dying_head, true);
    bad += c.bad;
    bad += c.live != arena_live(a);
    bad += c.holding != arena_in_use(a);
    bad += c.retired != a->retired;
    bad += c.interned != a->intern.count; /* an interned object missing from the set */
    bad += free_len != a->free_count;
    bad += dying_len == SIZE_MAX;
        return bad;
}

size_t arena_check(const arena_t *a)
{
    size_t bad = table_check(a);
    bad += arena_intern_check(a);
    bad += arena_cleanup_check(a);
    if (a->max_bytes && a->bytes_from_source > a->max_bytes)
        bad++;
    return bad + slabs_check(&a->slabs);
}

/*
 * exercises/03-slots/slots.c - exercise 03-slots: taking and giving back
 * slots of the handle table (see README.md).
 *
 * `make exercise EX=03-slots` compiles stage 03 with this file in place of
 * slot_take() and slot_give_back() in stages/03-handles/arena.c (which
 * #includes it), then runs the tests tagged 03-slots.  This file sees
 * everything arena.c sees: table_grow(), arena_slot_push(), arena_slot_(),
 * arena_word(), handle_make(), handle_slot(), handle_gen(), and the fields
 * free_head, free_count, retired, used, capacity, max_slots, gen_max.
 *
 * This stub never reuses a slot: every object takes a fresh one, and a
 * freed slot is forgotten.  Handles never go wrong that way, but the table
 * grows for ever, and the arena's counts no longer add up.
 */

/* A slot for a new object and the generation it will carry, or 0 when
 * none is left (*err says why: ENOSPC or ENOMEM). */
static uint32_t slot_take(arena_t *a, uint32_t *gen, int *err)
{
    /* TODO 1: reuse the slot freed last, if there is one: it is
     *         a->free_head, and its handle word holds the generation it had
     *         last and, in its index bits, the next free slot.  The new
     *         object carries the next generation. */
    /* TODO 2: no fresh slot past max_slots: that is ENOSPC, and nothing
     *         may change. */
    if (a->used == a->capacity && !table_grow(a)) {
        *err = ENOMEM;
        return 0;
    }
    *gen = 1; /* a fresh slot's first generation (slot_untake() relies on it) */
    return a->used++;
}

/* Gives back slot i, whose object (generation gen) is gone. */
static void slot_give_back(arena_t *a, uint32_t i, uint32_t gen)
{
    arena_slot_t *s = arena_slot_(a, i);
    s->obj = NULL;
    *arena_word(a, i) = 0;
    /* TODO 3: the slot goes on the free list (arena_slot_push(),
     *         a->free_count), its handle word remembering gen, so that the
     *         next object in it carries gen + 1 ... */
    /* TODO 4: ... unless gen is a->gen_max: then gen + 1 would wrap to an
     *         old generation, and the slot is retired instead (a->retired),
     *         on no list, for the arena's whole life. */
    s->handle = handle_make(a, gen, 0); /* stale: index 0 is never its own */
}

/*
 * exercises/03-slots/slots.c - exercise 03-slots: taking and giving back
 * slots of the handle table (see README.md).
 *
 * `make exercise EX=03-slots` compiles stage 03 with this file in place of
 * slot_take() and slot_give_back() in stages/03-handles/arena.c (which
 * #includes it), then runs the tests tagged 03-slots.  This file sees
 * everything arena.c sees: slot_fresh(), arena_slot_push(), arena_slot_(),
 * handle_make(), handle_slot(), handle_gen(), and the fields free_head,
 * free_count, retired, index_mask, gen_max.
 *
 * This stub never reuses a slot: every object takes a fresh one, and a
 * freed slot is forgotten.  Handles never go wrong that way, but the table
 * grows for ever, and the arena's counts no longer add up.
 */

/* A slot for a new object, and in *h the handle the object gets; 0 when
 * none is left (errno says why; slot_fresh() sets it). */
static inline uint32_t slot_take(arena_t *a, handle_t *h)
{
    /* TODO 1: reuse the slot freed last, if there is one: it is
     *         a->free_head.  Its handle word holds, in its index bits, the
     *         next free slot, and in its generation bits the generation
     *         the new object gets (slot_give_back() put it there).  The
     *         new handle is that generation with this slot's index. */
    *h = slot_fresh(a); /* a slot never used: generation 1 */
    return handle_slot(a, *h); /* 0 when there is none: HANDLE_NULL's index */
}

/* Gives back slot s (index i), whose object h is gone. */
static inline void slot_give_back(arena_t *a, arena_slot_t *s, uint32_t i, handle_t h)
{
    s->obj = NULL;
    s->word = 0;
    /* TODO 2: the slot goes on the free list (arena_slot_push(),
     *         a->free_count), its handle word holding the generation after
     *         h's, so that the next object in it carries that one ... */
    /* TODO 3: ... unless h has generation a->gen_max: the next would wrap
     *         to an old generation, so the slot is retired instead
     *         (a->retired), on no list, its handle word 0, for the arena's
     *         whole life. */
    (void)a;
    (void)i;
    (void)h;
    s->handle = 0; /* names nothing: 0 is slot 0's index, never this one's */
}

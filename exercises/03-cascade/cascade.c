/*
 * exercises/03-cascade/cascade.c - exercise 03-cascade: the death of
 * objects, and the cascade of releases it starts (see README.md).
 *
 * `make exercise EX=03-cascade` compiles stage 03 with this file in place
 * of drain_dying() and arena_die() in stages/03-handles/arena_cleanup.c
 * (which #includes it), then runs the tests tagged 03-cascade.  This file
 * sees everything arena_cleanup.c sees: run_cleanups(), arena_free_object(),
 * arena_slot_push(), arena_word(), arena_slot_(), handle_slot(),
 * handle_gen(), handle_make(), ARENA_W_CLEANUP, a->dying_head,
 * a->draining.
 *
 * arena_release() calls arena_die(a, i) when slot i's object has lost its
 * last reference (its count is 0; a->live already counts it out).
 *
 * This stub is the obvious version: it runs the cleanups at once.  A
 * cleanup that releases another object comes back into arena_die() one C
 * stack frame deeper, so a chain of a million objects, each releasing the
 * next, needs a million nested calls: on a small stack it crashes.
 */

/* Frees every object on the dying list, and every object their cleanups
 * send there.  (Called by this file only.) */
static void drain_dying(arena_t *a)
{
    /* TODO 2: while a->dying_head is not 0: take the slot at the head off
     *         the list (its handle word's index bits link to the next one;
     *         give it an index that is not its own, as every slot that is
     *         not live has), run its cleanups, free it.  A cleanup may push
     *         more slots while you do: the loop picks them up.  Keep
     *         a->draining true while the loop runs. */
    (void)a;
}

/* Slot i's object lost its last reference: run its cleanups (if it has
 * any) and free it. */
void arena_die(arena_t *a, uint32_t i)
{
    /* TODO 1: an object without cleanups can be freed at once.  One with
     *         cleanups goes on the dying list (arena_slot_push()); only
     *         the outermost call, the one not already inside drain_dying(),
     *         drains it. */
    if (*arena_word(a, i) & ARENA_W_CLEANUP)
        run_cleanups(a, i); /* may call arena_release(), and so arena_die(), again */
    arena_free_object(a, i);
    drain_dying(a);
}

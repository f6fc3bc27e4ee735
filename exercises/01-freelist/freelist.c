/*
 * exercises/01-freelist/freelist.c - exercise 01-freelist: push and pop on
 * the pool's free list.
 *
 * `make exercise EX=01-freelist` compiles stage 01 with this file in place
 * of the free-list functions of stages/01-pool/pool.c (pool.c #includes it),
 * then runs the tests tagged 01-freelist.  Read README.md in this directory
 * first.
 *
 * The free list is a LIFO stack threaded through the free chunks themselves:
 * p->free_list is the first free chunk (NULL: none), and the first word of
 * every free chunk holds the next one (NULL after the last).  It costs no
 * memory beyond the chunks, and both operations are O(1).
 *
 * Everything in pool_ext.h is in scope here; you need pool_link_read(),
 * pool_link_write() and pool_chunk_hide().
 */

/* Pushes obj, a chunk that has just become free, on the free list.
 * Called by pool_free() after the checks of checked mode; pool_free()
 * itself updates p->live. */
static inline void pool_freelist_push(pool_t *p, void *obj)
{
    /* TODO 1: make obj's first word remember the chunk that is the head of
     *         the list now.  Write it with the helper meant for links, so
     *         that Valgrind and ASan are told what happens. */
    /* TODO 2: obj is free from now on: nothing outside the pool may touch
     *         any of its bytes.  Say so to the tools.  (Does it matter
     *         whether this comes before or after TODO 1?) */
    /* TODO 3: obj becomes the head. */
    (void)p;
    (void)obj;
}

/* Pops the most recently freed chunk and returns it, or returns NULL if the
 * list is empty.  The caller (pool_alloc()) makes the chunk usable again
 * and updates p->live. */
static inline void *pool_freelist_pop(pool_t *p)
{
    /* TODO 1: an empty list gives NULL, and must stay empty. */
    /* TODO 2: otherwise the head goes to the caller, and the chunk it links
     *         to becomes the new head.  Read that link with the helper meant
     *         for links: the chunk is still hidden from the tools. */
    (void)p;
    return NULL;
}

/*
 * exercises/01-checked/checked.c - exercise 01-checked: deciding whether a
 * free is legal, in checked mode (POOL_CHECKED).
 *
 * `make exercise EX=01-checked` compiles stage 01 with this file in place
 * of free_problem() in stages/01-pool/pool_checked.c (which #includes it),
 * then runs the tests tagged 01-checked.  Read README.md in this directory
 * first.
 *
 * pool_checked_on_free() calls free_problem() before it touches anything.
 * NULL means "this free is fine": the object is then marked free and pushed
 * on the free list.  Any other value is the kind of misuse, which goes to
 * the misuse handler, and the free does not happen.  The kinds are exactly
 * these strings: "foreign-pointer", "interior-pointer",
 * "misaligned-pointer", "double-free".
 *
 * Everything in pool_internal.h and pool_ext.h is in scope here; you need
 * pool_block_of(), block_is_ours(), pool_chunk_index() and
 * pool_chunk_is_live().
 * Every step must be O(1): no walk over the blocks or the free list.
 */

/* Returns NULL if obj may be freed, else the kind of misuse it is. */
static const char *free_problem(const pool_t *p, const void *obj)
{
    /* TODO 1: find the block that would hold obj, without searching. */
    /* TODO 2: if that block is not one of p's blocks, obj did not come from
     *         p.  Nothing else in the block can be trusted until you know. */
    /* TODO 3: obj must be the start of one of the block's chunks; if it is
     *         not, a helper already knows which kind of misuse it is. */
    /* TODO 4: a chunk start is legal to free only if it is handed out now. */
    (void)p;
    (void)obj;
    return NULL;
}

/*
 * exercises/01-reset/reset.c - exercise 01-reset: free every object of a
 * pool at once, keeping its blocks.
 *
 * `make exercise EX=01-reset` compiles stage 01 with this file in place of
 * pool_reset() in stages/01-pool/pool.c (pool.c #includes it), then runs
 * the tests tagged 01-reset.  Read README.md in this directory first.
 *
 * After a reset the pool must look like a pool that has just been
 * initialised and then acquired the same blocks: nothing live, nothing on
 * the free list, nothing carved, every block kept for reuse, and carving
 * starting again from the first chunk of the first block.  The peak count
 * is history and stays.  O(blocks): never a pass over the chunks.
 *
 * Everything in pool.c before this point is in scope; you need
 * carve_start(), pool_block_bitmap(), pool_block_chunks() and tool_noaccess().
 */

void pool_reset(pool_t *p)
{
    /* TODO 1: pool_reset(NULL) does nothing. */
    /* TODO 2: for every block of the chain: checked mode keeps a bitmap of
     *         live chunks per block (p->bitmap_words words of it; 0 when
     *         not checked), and no chunk is live any more.  Tell the tools
     *         that no chunk of the block may be touched now. */
    /* TODO 3: the counters of pool_t that describe objects (not blocks, not
     *         history) go back to what pool_init() left. */
    /* TODO 4: carving restarts at the first block. */
    (void)p;
}

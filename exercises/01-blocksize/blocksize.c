/*
 * exercises/01-blocksize/blocksize.c - exercise 01-blocksize: the block
 * size that makes a pool hold the fewest bytes per object.
 *
 * `make exercise EX=01-blocksize` compiles tests/01-pool/test_ex_blocksize.c
 * with this file in place of its reference, runs a list of workloads (object
 * size, alignment, flags, objects live at once) through pools built with
 * your block sizes, and compares the bytes they take from the source with
 * the best power of two.  Read README.md in this directory first.
 *
 * Everything in pool.h is in scope here (pool_config_t, pool_init(),
 * pool_stats(), pool_t and its documented fields, ...).
 */

/* Returns the block size for a pool made with cfg (obj_size, align and
 * flags set; block_size 0) that will hold up to n objects at once and never
 * more: a power of two, or 0 for the pool's default (64 KiB, or more for
 * big objects).  Fewer bytes from the source is better. */
static size_t choose_block_size(const pool_config_t *cfg, size_t n)
{
    /* TODO: what does a block cost, and how many objects does it hold?
     *       Which block size makes blocks * block_size smallest for n? */
    (void)cfg;
    (void)n;
    return 0;
}

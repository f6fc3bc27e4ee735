/*
 * exercises/05-release/release.c - exercise 05-release: when empty pages
 * go back to the kernel (see README.md).
 *
 * `make exercise EX=05-release` compiles stage 05 with this file in place
 * of give_back_oldest() and decay() in stages/05-align-mmap/vmem.c (which
 * #includes it), then runs the tests tagged 05-release; the scorer counts
 * your system calls and the memory you leave resident.  This file sees
 * everything vmem.c sees: v->fifo_head, v->fifo_pages, v->clock, pg->stamp,
 * pg->run, pg->state, fifo_remove(), partial_remove(), pages_free(),
 * page_addr(), page_index(), vmem_sys_advise(), tool_undefined(), HP_SHIFT,
 * VMEM_KEEP_PAGES, VMEM_DECAY_OPS, MADV_DONTNEED, MADV_FREE.
 *
 * This stub keeps everything: the oldest waiting entry leaves the FIFO and
 * its pages become FREE, still resident, and nothing is ever given back to
 * the kernel, as if the release policy were VMEM_RELEASE_KEEP.  And
 * decay() never calls it.
 */

/* Takes the oldest FIFO entry (an empty small page, or a freed run of
 * pg->run pages) off the FIFO and gives it back to the kernel; its pages
 * become FREE. */
static void give_back_oldest(vmem_t *v)
{
    vmem_page_t *pg = v->fifo_head;
    size_t n = pg->run;
    fifo_remove(v, pg);
    if (pg->state == VMEM_PG_SMALL)
        partial_remove(v, pg);
    /* TODO 1: one madvise() for the whole entry, as v->release says, and
     *         count what went back in v->st.released.  Pages the kernel
     *         took back are not dirty any more. */
    tool_undefined(page_addr(pg), n << HP_SHIFT); /* free pages are no extent's: no stale poison */
    pages_free(pg->region, page_index(pg), n, true);
}

/* Called after every acquisition and release: gives back the waiting
 * entries that should go. */
static void decay(vmem_t *v)
{
    (void)v;
    /* TODO 2: too many pages waiting? */
    /* TODO 3: the oldest waited too long? */
}

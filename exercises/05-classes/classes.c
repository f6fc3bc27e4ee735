/*
 * exercises/05-classes/classes.c - exercise 05-classes: the class an
 * aligned object comes from (see README.md).
 *
 * `make exercise EX=05-classes` compiles stage 05 with this file in place
 * of aligned_class() in stages/05-align-mmap/aligned.c (which #includes
 * it), then runs the tests tagged 05-classes.  This file sees what
 * aligned.c sees: the public functions of slabs.h (slabs_class_count(),
 * slabs_class_of(), slabs_class_size(), slabs_class_align()) and align.h.
 *
 * This stub sends every request to the large path: each aligned object,
 * even 16 bytes aligned to 32, takes a block of its own from the page
 * source.  Right, and as wasteful as it can be.
 */

/* The class slabs_alloc_aligned() serves size bytes aligned to align from,
 * or slabs_class_count(s) for the large path. */
size_t aligned_class(const slabs_t *s, size_t size, size_t align)
{
    (void)size;
    (void)align;
    /* TODO 1: the classes that hold size: which is the first? */
    /* TODO 2: of those, the first whose objects all have the alignment. */
    return slabs_class_count(s); /* TODO 3: the large path only when no class fits */
}

/*
 * slabs_aligned.c - what stage 02 offers aligned allocation (stage 05's
 * aligned.h): the geometry of each class, and large objects aligned beyond
 * the 64 bytes of the plain layout.
 *
 * A pointer aligned to slab_size or more masks to itself, so it cannot sit
 * 64 bytes into its block behind a header: an aligned large object sits at
 * its block's start, and its header at the block's end, where the side
 * table, keyed by the block's start (the object), finds it.  The free path
 * is the one of every large object (slabs_large.c): the header records
 * where its block and its object are.
 */
#include <errno.h>

#include "debug.h"
#include "slabs_internal.h"

size_t slabs_class_size(const slabs_t *s, size_t cls)
{
    return s && cls < s->n_classes ? s->classes[cls].size : 0;
}

size_t slabs_class_align(const slabs_t *s, size_t cls)
{
    return s && cls < s->n_classes ? s->classes[cls].align : 0;
}

void *slabs_alloc_large_aligned(slabs_t *s, size_t size, size_t align)
{
    if (s == NULL || size == 0 || !align_is_pow2(align) || align > SLABS_MAX_SLAB_SIZE) {
        errno = EINVAL;
        return NULL;
    }
    void *p = slabs_large_new(s, size, size, align);
    SC_ASSERT_EXPENSIVE(slabs_check(s) == 0);
    return p;
}

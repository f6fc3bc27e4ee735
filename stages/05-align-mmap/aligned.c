/*
 * aligned.c - aligned objects over the slabs of stage 02 and the arena of
 * stage 03, through their public headers only.  aligned.h says which path
 * serves what, and what each wastes.
 */
#include <errno.h>

#include "aligned.h"
#include "align.h"

#ifdef SC_EX_05_CLASSES
#include "05-classes/classes.c"
#else
// [aligned-class]
size_t aligned_class(const slabs_t *s, size_t size, size_t align)
{
    size_t n = slabs_class_count(s);
    for (size_t c = slabs_class_of(s, size); c < n; c++)
        if (slabs_class_align(s, c) >= align)
            return c;
    return n;
}
// [aligned-class]
#endif

static bool bad_align(size_t align)
{
    return !align_is_pow2(align) || align > SLABS_MAX_SLAB_SIZE;
}

// [alloc-aligned]
void *slabs_alloc_aligned(slabs_t *s, size_t size, size_t align)
{
    if (!s || size == 0 || bad_align(align)) {
        errno = EINVAL;
        return NULL;
    }
    if (align <= SLABS_GRANULE)
        return slabs_alloc(s, size);
    size_t c = aligned_class(s, size, align);
    if (c < slabs_class_count(s)) /* a request of the chunk's size lands in that class */
        return slabs_alloc(s, slabs_class_size(s, c));
    return slabs_alloc_large_aligned(s, size, align);
}
// [alloc-aligned]

handle_t arena_alloc_aligned(arena_t *a, size_t size, size_t align)
{
    if (!a || bad_align(align)) {
        errno = EINVAL;
        return HANDLE_NULL;
    }
    if (align <= SLABS_GRANULE) /* every object has it: no side entry needed */
        return arena_alloc(a, size);
    return arena_alloc_placed(a, size, align, slabs_alloc_aligned);
}

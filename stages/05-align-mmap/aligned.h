/**
 * @file aligned.h
 * @brief Stage 05: objects aligned to any power of two, from the slabs of
 *        stage 02 and the arena of stage 03, freed like any other object.
 *
 * Two paths, chosen per call:
 *  - small alignments: the first class that holds @c size and whose
 *    objects are all aligned to @c align.  A class whose size is a power of
 *    two is laid out naturally aligned (every chunk at a multiple of its
 *    size), so it serves any alignment up to its size; slabs_class_align()
 *    says what each class gives.  Waste: the chunk minus @c size.  When
 *    every power of two from 16 to max_size is a class, the chunk is below
 *    2 * max(size, align), so the waste is below max(size, align).  The
 *    default table (growth 1.25) has only 16, 32, 64 and 2048 among its
 *    classes: there, 65 to 2048 bytes aligned to 32 .. 2048 take a
 *    2048-byte chunk (up to 1983 bytes wasted).  A program that allocates
 *    many such objects should give slabs_config an explicit size list with
 *    the powers of two in it;
 *  - everything else (no class is big enough or aligned enough): a large
 *    object whose block comes from the source aligned to max(align,
 *    slab_size), with the object at the block's start and its 64-byte
 *    header at the block's end (slabs_alloc_large_aligned()).  Waste in the
 *    block: 64 bytes and the rounding of @c size to 16; the source may add
 *    more to align the block (posix_memalign() keeps up to the alignment
 *    aside; vmem rounds an extent up to a multiple of its alignment).
 * The result is freed by slabs_free(), counts in live_objects, is zeroed
 * with SLABS_ZERO, and slabs_usable_size() tells its room; slabs_realloc()
 * of it keeps only the default alignment, as C's realloc() does.
 */
#ifndef SLABCRAFT_ALIGNED_H
#define SLABCRAFT_ALIGNED_H

#include <stddef.h>

#include "arena.h"
#include "slabs.h"

/**
 * @brief The class that slabs_alloc_aligned() serves @p size bytes aligned
 *        to @p align from.  O(classes) at worst, usually O(1).
 * @param s     the allocator
 * @param size  bytes, > 0
 * @param align a power of two
 * @return the class index, or slabs_class_count(s) when the large path
 *         serves it
 */
size_t aligned_class(const slabs_t *s, size_t size, size_t align);

/**
 * @brief @p size bytes aligned to @p align; freed with slabs_free().
 * @param s     the allocator
 * @param size  bytes, > 0
 * @param align any power of two from 1 to SLABS_MAX_SLAB_SIZE
 * @return the object; NULL with errno EINVAL for a NULL @p s, @p size 0 or
 *         too big to round, an @p align that is 0, not a power of two or
 *         above SLABS_MAX_SLAB_SIZE; NULL with errno ENOMEM as
 *         slabs_alloc() says it.
 */
void *slabs_alloc_aligned(slabs_t *s, size_t size, size_t align);

/**
 * @brief A new object of @p size bytes aligned to @p align, with one
 *        reference; arena_resize() of it keeps the alignment.
 * @param a     the arena
 * @param size  bytes, 1..ARENA_MAX_SIZE
 * @param align any power of two from 1 to SLABS_MAX_SLAB_SIZE
 * @return its handle; HANDLE_NULL with errno EINVAL (NULL @p a, bad size or
 *         alignment), ENOMEM, or ENOSPC as arena_alloc() says.
 */
handle_t arena_alloc_aligned(arena_t *a, size_t size, size_t align);

#endif

/**
 * @file page_source.h
 * @brief Where allocators get their big blocks from.
 *
 * No stage calls malloc() or mmap() for a block directly: it asks a page
 * source.  A source hands out @c size bytes aligned to @c align and takes them
 * back.  Swapping the source changes where memory comes from without touching
 * the allocator: the C library (page_source_default()), a failing source for
 * tests, an mmap source with huge pages (stage 05).
 *
 * Contract for every source:
 *  - acquire(ctx, size, align): @c size > 0, @c align a power of two; returns
 *    memory aligned to @c align, or NULL when it cannot (errno need not be set).
 *  - release(ctx, addr, size): @c addr came from acquire() of the same source
 *    with the same @c size; releasing NULL is not allowed.
 *  - The contents of acquired memory are unspecified.
 */
#ifndef SLABCRAFT_PAGE_SOURCE_H
#define SLABCRAFT_PAGE_SOURCE_H

#include <stddef.h>

/** A provider of large aligned blocks. */
typedef struct page_source {
    /** Returns @p size bytes aligned to @p align (a power of two), or NULL. */
    void *(*acquire)(void *ctx, size_t size, size_t align);
    /** Gives back a block from acquire(); @p size is the size acquired. */
    void  (*release)(void *ctx, void *addr, size_t size);
    void  *ctx;         /**< passed unchanged to acquire() and release() */
    const char *name;   /**< short name for reports, e.g. "libc" */
} page_source_t;

/**
 * @brief The source an allocator uses when its configuration names none:
 *        the C library's (posix_memalign() and free()) unless
 *        page_source_set_default() chose another.
 * @return the default source; never NULL.
 */
const page_source_t *page_source_default(void);

/**
 * @brief Makes @p src the default source of the whole process, so that every
 *        allocator built afterwards without a source of its own takes its
 *        memory from it (the test runner uses this to run every suite on the
 *        mmap source of stage 05).
 *
 * Not thread-safe, and only for allocators built after the call: an
 * allocator keeps the source it was built with.  @p src must outlive them.
 * @param src the new default, or NULL for the C library's again
 * @return the previous default
 */
const page_source_t *page_source_set_default(const page_source_t *src);

#endif

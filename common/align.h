/**
 * @file align.h
 * @brief Alignment arithmetic: powers of two, rounding, overflow-checked.
 *
 * Every helper takes an alignment that is a non-zero power of two (checked by
 * align_is_pow2() at the API boundary, never again on hot paths).
 */
#ifndef SLABCRAFT_ALIGN_H
#define SLABCRAFT_ALIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** @return true if @p x is a non-zero power of two. */
static inline bool align_is_pow2(size_t x)
{
    return x != 0 && (x & (x - 1)) == 0;
}

/**
 * @brief Rounds @p x up to a multiple of @p a without overflowing.
 * @param x   the value
 * @param a   a power of two
 * @param out receives the result
 * @return false (and @p out untouched) if the result does not fit a size_t
 */
static inline bool align_up_checked(size_t x, size_t a, size_t *out)
{
    if (x > SIZE_MAX - (a - 1))
        return false;
    *out = (x + (a - 1)) & ~(a - 1);
    return true;
}

/** @return @p x rounded down to a multiple of the power of two @p a. */
static inline size_t align_down(size_t x, size_t a)
{
    return x & ~(a - 1);
}

/** @return @p x rounded up to a multiple of @p a; the caller knows it fits. */
static inline size_t align_up(size_t x, size_t a)
{
    return (x + (a - 1)) & ~(a - 1);
}

/** @return true if @p p is a multiple of the power of two @p a. */
static inline bool align_ptr_is(const void *p, size_t a)
{
    return ((uintptr_t)p & (a - 1)) == 0;
}

/** @return @p p rounded down to a multiple of @p a: the block that holds it. */
static inline void *align_ptr_down(const void *p, size_t a)
{
    return (void *)((uintptr_t)p & ~(uintptr_t)(a - 1));
}

/**
 * @brief The smallest power of two >= @p x.
 * @return 0 if @p x is 0 or the result does not fit a size_t
 */
static inline size_t align_next_pow2(size_t x)
{
    if (x == 0 || x > (SIZE_MAX >> 1) + 1)
        return 0;
    size_t p = 1;
    while (p < x)
        p <<= 1;
    return p;
}

#endif

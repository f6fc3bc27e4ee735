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

/**
 * @brief Tells whether @p x is a usable alignment.
 * @param x the value to test
 * @return true if @p x is a non-zero power of two
 */
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

// [round]
/**
 * @brief Rounds @p x down to a multiple of @p a.
 * @param x the value
 * @param a a power of two
 * @return the largest multiple of @p a that is <= @p x
 */
static inline size_t align_down(size_t x, size_t a)
{
    return x & ~(a - 1);
}

/**
 * @brief Rounds @p x up to a multiple of @p a, unchecked.
 * @param x the value
 * @param a a power of two
 * @return the smallest multiple of @p a that is >= @p x
 * @pre the result fits a size_t (else use align_up_checked())
 */
static inline size_t align_up(size_t x, size_t a)
{
    return (x + (a - 1)) & ~(a - 1);
}
// [round]

/**
 * @brief Tells whether a pointer is aligned.
 * @param p the pointer
 * @param a a power of two
 * @return true if the address @p p is a multiple of @p a
 */
static inline bool align_ptr_is(const void *p, size_t a)
{
    return ((uintptr_t)p & (a - 1)) == 0;
}

/**
 * @brief Rounds a pointer down to a multiple of @p a: the start of the
 *        @p a-aligned block of @p a bytes that holds it.
 * @param p the pointer
 * @param a a power of two
 * @return @p p with its low log2(@p a) bits cleared
 */
static inline void *align_ptr_down(const void *p, size_t a)
{
    return (void *)((uintptr_t)p & ~(uintptr_t)(a - 1));
}

/**
 * @brief The smallest power of two >= @p x.
 * @param x the value
 * @return that power of two, or 0 if @p x is 0 or the result does not fit
 *         a size_t
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

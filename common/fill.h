/**
 * @file fill.h
 * @brief The fill bytes, documented in one place.
 *
 * Checked modes write these patterns so that a stray read shows where it came
 * from in a debugger, and so that a write after free or past the end of an
 * object can be detected later by finding the pattern damaged.
 *
 * | byte | name            | where it is written                                  |
 * |------|-----------------|------------------------------------------------------|
 * | 0xCD | FILL_FRESH      | a newly carved object (unless zeroing was asked for) |
 * | 0xDD | FILL_FREED      | a freed object, after its link and link-check words  |
 * | 0xFD | FILL_GUARD      | padding between an object's size and its chunk size  |
 *
 * The values are odd, far from 0 and from small integers, and differ from
 * each other, so none of them is a plausible pointer, count or character.
 */
#ifndef SLABCRAFT_FILL_H
#define SLABCRAFT_FILL_H

#include <stdbool.h>
#include <stddef.h>

#define FILL_FRESH 0xCD /**< fresh, never written by the caller */
#define FILL_FREED 0xDD /**< freed: must stay intact until reuse */
#define FILL_GUARD 0xFD /**< guard padding: must never be written */

/**
 * @brief Checks that @p n bytes at @p p all equal @p byte.
 * @param p    the first byte
 * @param n    how many bytes to check
 * @param byte the fill expected, e.g. #FILL_FREED
 * @return the offset of the first byte that differs, or @p n if none does
 */
static inline size_t fill_find_damage(const void *p, size_t n, unsigned char byte)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        if (b[i] != byte)
            return i;
    return n;
}

#endif

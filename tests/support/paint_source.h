/*
 * paint_source.h - a page source for tests that fills every block it hands
 * out with one known byte.
 *
 * Memory from the C library is often zero already, which would hide a
 * missing memset and make "untouched" indistinguishable from "zeroed".
 * With every new block painted, a test can prove that an allocator zeroes
 * what it promises to zero, and that it never writes the parts of a block
 * it has not handed out yet (lazy carving).
 */
#ifndef SLABCRAFT_PAINT_SOURCE_H
#define SLABCRAFT_PAINT_SOURCE_H

#include "page_source.h"

/* The byte every new block is filled with: not a fill byte of fill.h, not 0. */
#define PAINT_BYTE 0xA5

/* A source that takes its memory from page_source_default() and paints it
 * with PAINT_BYTE.  Wrap it in a failing source to count and fail. */
const page_source_t *paint_source(void);

#endif

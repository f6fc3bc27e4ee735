/*
 * sneak.h - test-only access to bytes an allocator has declared off limits
 * (free chunks, guard padding, never-carved space), without the tools
 * noticing.
 *
 * Negative tests must damage memory the way a buggy program would (a write
 * after free, a write past the end) and then see the allocator or its
 * checker find the damage.  Under memcheck or ASan such a write is itself
 * reported, which would fail the run.  These helpers first tell the tool
 * that the region may be touched, do the access, and then mark the region
 * off limits again, so the tool's view is exactly what it was.
 *
 * Precondition: the whole region [region, region + len) is off limits
 * before the call (it is off limits again after it), and it ends on an
 * 8-byte boundary (ASan's granule) so that restoring it is exact.  In a
 * build without tools the helpers are plain reads and writes.
 */
#ifndef SLABCRAFT_SNEAK_H
#define SLABCRAFT_SNEAK_H

#include <stddef.h>
#include <string.h>

#include "tool.h"

/* Copies n bytes from src to region + off, unseen by the tools. */
static inline void sneak_write(void *region, size_t len, size_t off,
                               const void *src, size_t n)
{
    tool_defined(region, len);
    memcpy((char *)region + off, src, n);
    tool_noaccess(region, len);
}

/* Copies n bytes from region + off to dst, unseen by the tools. */
static inline void sneak_read(const void *region, size_t len, size_t off,
                              void *dst, size_t n)
{
    tool_defined(region, len);
    memcpy(dst, (const char *)region + off, n);
    tool_noaccess(region, len);
}

/* Reads the byte at region + off, unseen by the tools. */
static inline unsigned char sneak_byte(const void *region, size_t len, size_t off)
{
    unsigned char b;
    sneak_read(region, len, off, &b, 1);
    return b;
}

/* Overwrites the byte at region + off with v, unseen by the tools. */
static inline void sneak_poke(void *region, size_t len, size_t off, unsigned char v)
{
    sneak_write(region, len, off, &v, 1);
}

#endif

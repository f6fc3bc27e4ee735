/**
 * @file fmt.h
 * @brief Byte counts for people: "35,323,904 bytes (33.7 MiB)".
 *
 * Used by the demos and tools that narrate what the allocators do.
 */
#ifndef SLABCRAFT_FMT_H
#define SLABCRAFT_FMT_H

#include <stddef.h>

/** Bytes a buffer for fmt_bytes() needs: enough for SIZE_MAX. */
#define FMT_BYTES_LEN 64

/**
 * @brief Writes @p n grouped by thousands, then (from 1 KiB on) in binary
 *        units: "512 bytes", "35,323,904 bytes (33.7 MiB)".
 *
 * Several calls in one printf() each take their own buffer, for example a
 * compound literal: fmt_bytes((char[FMT_BYTES_LEN]){0}, n).
 * @param buf receives the text; FMT_BYTES_LEN bytes
 * @param n   the byte count
 * @return @p buf
 */
char *fmt_bytes(char *buf, size_t n);

#endif

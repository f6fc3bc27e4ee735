/*
 * fuzz_input.h - the fuzz targets' view of their input: a stream of bytes
 * read one at a time that reads as 0 past its end, so every input, however
 * short, decodes to a valid run.
 *
 * Invariant: pos <= size at all times; in_byte() never reads past size.
 */
#ifndef SLABCRAFT_FUZZ_INPUT_H
#define SLABCRAFT_FUZZ_INPUT_H

#include <stddef.h>
#include <stdint.h>

/* The input as a stream of bytes that reads as 0 past its end. */
typedef struct fz_input {
    const uint8_t *data; /* the bytes */
    size_t size;         /* how many */
    size_t pos;          /* next to read */
} fz_input_t;

/* The next byte of the input, or 0 once it is used up. */
static inline uint8_t in_byte(fz_input_t *in)
{
    return in->pos < in->size ? in->data[in->pos++] : 0;
}

#endif

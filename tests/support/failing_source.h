/*
 * failing_source.h - a page source for tests that fails on demand and counts.
 *
 * It wraps another source (normally page_source_default()) and refuses an
 * acquisition when told to: after N successful acquisitions, or when the
 * bytes held would pass a limit.  It counts everything, so a test can prove
 * that every byte came back.
 */
#ifndef SLABCRAFT_FAILING_SOURCE_H
#define SLABCRAFT_FAILING_SOURCE_H

#include <stdbool.h>
#include <stddef.h>

#include "page_source.h"

typedef struct failing_source {
    page_source_t base;          /* give &fs->base to an allocator */
    const page_source_t *inner;  /* where granted memory really comes from */
    long fail_after;             /* successful acquisitions left before failing; < 0 = never fail */
    size_t byte_limit;           /* refuse when live_bytes would exceed it; 0 = no limit */
    size_t acquisitions;         /* successful acquire() calls */
    size_t failures;             /* refused acquire() calls */
    size_t releases;             /* release() calls */
    size_t live_acquisitions;    /* acquisitions not yet released */
    size_t live_bytes;           /* bytes acquired and not yet released */
    size_t peak_bytes;           /* highest live_bytes */
    bool misaligned;             /* hand out addresses 16 bytes past the alignment (checker tests) */
    size_t misaligned_extra;     /* bytes added to each misaligned acquisition (one alignment per source) */
} failing_source_t;

/* Initialises fs around inner (NULL = page_source_default()), never failing. */
void failing_source_init(failing_source_t *fs, const page_source_t *inner);

/* Fails every acquisition after n more successful ones (n = 0: fail now). */
void failing_source_fail_after(failing_source_t *fs, long n);

/* Stops failing (the source "recovers"). */
void failing_source_recover(failing_source_t *fs);

#endif

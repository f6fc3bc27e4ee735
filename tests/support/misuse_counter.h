/*
 * misuse_counter.h - a misuse handler for tests: counts reports and keeps
 * the last one, instead of aborting.
 */
#ifndef SLABCRAFT_MISUSE_COUNTER_H
#define SLABCRAFT_MISUSE_COUNTER_H

#include <stddef.h>

#include "misuse.h"

typedef struct misuse_counter {
    size_t count;           /* reports received since install */
    misuse_report_t last;   /* the last report (its strings are static) */
} misuse_counter_t;

/* Installs a counting handler that records into mc (zeroed first). */
void misuse_counter_install(misuse_counter_t *mc);

/* Restores the default handler. */
void misuse_counter_remove(void);

/* In the child process of a death test (the default handler, which prints
 * and aborts): sends stderr to /dev/null, so the expected report does not
 * clutter the test output. */
void misuse_silence_stderr(void);

#endif

/* debug.c - what a failed slabcraft assertion does: say where, then abort. */
#include "debug.h"

#include <stdio.h>
#include <stdlib.h>

void debug_assert_fail(const char *cond, const char *file, int line)
{
    fprintf(stderr, "slabcraft: internal assertion failed: %s (%s:%d)\n",
            cond, file, line);
    fflush(stderr);
    abort();
}

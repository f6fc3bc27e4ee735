/*
 * tool_query.h - test-only questions to Valgrind and ASan: is this program
 * running under the tool, and may this byte be touched?  Kept out of
 * common/tool.h so the teaching code holds only the annotations.
 */
#ifndef SLABCRAFT_TOOL_QUERY_H
#define SLABCRAFT_TOOL_QUERY_H

#include <stdbool.h>

/* True if running under Valgrind (and built with its headers). */
bool tq_under_valgrind(void);

/* True if built with AddressSanitizer. */
bool tq_asan(void);

/* True if the tool in use considers the byte at p off limits: memcheck
 * marks it unaddressable, or ASan poisoned.  False when no tool runs. */
bool tq_inaccessible(const void *p);

#endif

/*
 * misuse.c - the process-wide misuse handler and its default.
 *
 * The default prints one line naming the allocator, the broken rule and the
 * pointer, then aborts: continuing after a double free only moves the crash
 * somewhere harder to understand.
 */
#include "misuse.h"

#include <stdio.h>
#include <stdlib.h>

static void misuse_default(const misuse_report_t *r, void *ctx)
{
    (void)ctx;
    fprintf(stderr, "slabcraft: %s: %s at %p: %s\n",
            r->allocator, r->kind, r->addr, r->message);
    fflush(stderr);
    abort();
}

static misuse_fn handler = misuse_default;  /* never NULL */
static void *handler_ctx;                   /* given to handler */

void misuse_set_handler(misuse_fn fn, void *ctx)
{
    handler = fn ? fn : misuse_default;
    handler_ctx = fn ? ctx : NULL;
}

void misuse_report(const misuse_report_t *r)
{
    handler(r, handler_ctx);
}

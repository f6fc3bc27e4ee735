/* paint_source.c - see paint_source.h. */
#include "paint_source.h"

#include <string.h>

static void *paint_acquire(void *ctx, size_t size, size_t align)
{
    (void)ctx;
    const page_source_t *inner = page_source_default();
    void *p = inner->acquire(inner->ctx, size, align);
    if (p != NULL)
        memset(p, PAINT_BYTE, size);
    return p;
}

static void paint_release(void *ctx, void *addr, size_t size)
{
    (void)ctx;
    const page_source_t *inner = page_source_default();
    inner->release(inner->ctx, addr, size);
}

static const page_source_t paint = {
    .acquire = paint_acquire,
    .release = paint_release,
    .ctx = NULL,
    .name = "paint",
};

const page_source_t *paint_source(void)
{
    return &paint;
}

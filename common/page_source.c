/*
 * page_source.c - the default page source: the C library's posix_memalign().
 *
 * posix_memalign() wants an alignment that is a power of two and a multiple
 * of sizeof(void *); smaller alignments are rounded up to that, which still
 * satisfies the caller.  page_source_set_default() can make another source
 * the default (a process-wide choice, made before allocators are built).
 */
#define _POSIX_C_SOURCE 200809L
#include "page_source.h"

#include <stdlib.h>

static void *libc_acquire(void *ctx, size_t size, size_t align)
{
    (void)ctx;
    if (size == 0 || align == 0 || (align & (align - 1)) != 0)
        return NULL;
    if (align < sizeof(void *))
        align = sizeof(void *);
    void *p = NULL;
    if (posix_memalign(&p, align, size) != 0)
        return NULL;
    return p;
}

static void libc_release(void *ctx, void *addr, size_t size)
{
    (void)ctx;
    (void)size;
    free(addr);
}

static const page_source_t libc_source = {
    .acquire = libc_acquire,
    .release = libc_release,
    .ctx = NULL,
    .name = "libc",
};

/* what page_source_default() returns; never NULL */
static const page_source_t *default_source = &libc_source;

const page_source_t *page_source_default(void)
{
    return default_source;
}

const page_source_t *page_source_set_default(const page_source_t *src)
{
    const page_source_t *old = default_source;
    default_source = src ? src : &libc_source;
    return old;
}

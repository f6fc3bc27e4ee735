/*
 * slabs_large.c - stage 02's large objects: requests above max_size.
 *
 * Each large object takes a block of its own from the page source, aligned
 * to slab_size, with a header in its first SLABS_LARGE_OFFSET bytes; the
 * side table maps the block to the header, tagged as large.  The live large
 * objects are on a doubly linked list (for slabs_reset(), slabs_destroy()
 * and slabs_check()), and their block goes back to the source when they
 * are freed.
 *
 * Growth by realloc is amortised O(1).  A large object that must move for
 * a small step (less than a quarter of its usable size) gets a block twice
 * its old usable size, so a loop that grows one object a few bytes at a
 * time copies it O(log n) times, each copy paid for by the growth since the
 * one before (every byte is copied at most twice in all); later growth
 * fills that room in place.  A caller that grows by a quarter or more at
 * each step already grows geometrically, and gets exactly what it asks
 * for (a string builder that grows by half wastes nothing).  A large
 * object that is allocated, not grown, gets no room: only objects that grow
 * pay for it.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "fill.h"
#include "slabs_internal.h"
#include "tool.h"

// [large]
/* What one try at a large block needs: its bytes and its alignment. */
typedef struct large_ask {
    size_t bytes; /**< the block's size */
    size_t align; /**< its alignment: slab_size, or more for the aligned layout */
} large_ask_t;

/* One try at a block for a large object (with side-table room for it),
 * aligned to at least slab_size so that masking any pointer into its first
 * slab_size bytes gives the block's start. */
static void *large_try_acquire(slabs_t *s, void *ask)
{
    const large_ask_t *a = ask;
    if (!addrmap_reserve(&s->map))
        return NULL;
    return s->source.acquire(s, a->bytes, a->align);
}

/* A large object of size bytes in a block with room for capacity (>= size);
 * the plain layout for align 0, else the aligned one. */
void *slabs_large_new(slabs_t *s, size_t size, size_t capacity, size_t align)
{
    size_t body;
    if (!align_up_checked(capacity, SLABS_GRANULE, &body) || body > SIZE_MAX - SLABS_LARGE_OFFSET) {
        errno = EINVAL;
        return NULL;
    }
    /* like malloc, no object above PTRDIFF_MAX: pointer differences must work */
    large_ask_t ask = {SLABS_LARGE_OFFSET + body, align > s->slab_size ? align : s->slab_size};
    char *block = body > PTRDIFF_MAX - SLABS_LARGE_OFFSET ? NULL
                : slabs_with_room(s, large_try_acquire, &ask);
    if (block == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    slabs_large_t *l = (slabs_large_t *)(void *)(align ? block + body : block);
    char *obj = align ? block : block + SLABS_LARGE_OFFSET;
    *l = (slabs_large_t){.prev = NULL, .next = s->large, .block_bytes = ask.bytes, .requested = size,
                         .block = block, .obj = obj};
    if (s->large)
        s->large->prev = l;
    s->large = l;
    s->large_count++;
    s->large_bytes += ask.bytes;
    s->large_requested += size;
    addrmap_insert(&s->map, (uintptr_t)block, (void *)((uintptr_t)l | SLABS_LARGE_TAG));
    tool_noaccess((char *)l + sizeof *l, SLABS_LARGE_OFFSET - sizeof *l);
    tool_undefined(obj, body);
    if (s->flags & SLABS_ZERO)
        memset(obj, 0, body);
    else if (s->flags & SLABS_CHECKED)
        memset(obj, FILL_FRESH, body);
    return obj;
}

void *slabs_large_alloc(slabs_t *s, size_t size, size_t capacity)
{
    return slabs_large_new(s, size, capacity, 0);
}

void slabs_large_free(slabs_t *s, slabs_large_t *l)
{
    if (l->prev)
        l->prev->next = l->next;
    else
        s->large = l->next;
    if (l->next)
        l->next->prev = l->prev;
    s->large_count--;
    s->large_bytes -= l->block_bytes;
    s->large_requested -= l->requested;
    addrmap_remove(&s->map, (uintptr_t)l->block);
    size_t bytes = l->block_bytes;
    char *block = l->block;
    tool_undefined(block, bytes);
    s->source.release(s, block, bytes);
}
// [large]

/* ---- realloc ------------------------------------------------------------ */

/* Resizes large object l to size (> max_size) in place when its block holds
 * size and at least half of it stays used; else moves it, with room to
 * grow if it grows.  NULL (l untouched) if the move fails. */
void *slabs_large_realloc(slabs_t *s, slabs_large_t *l, size_t size)
{
    char *obj = slabs_large_obj(l);
    size_t usable = l->block_bytes - SLABS_LARGE_OFFSET;
    size_t old = l->requested;
    if (size <= usable && size >= usable / 2) {
        s->large_requested += size - old; /* wraps correctly when shrinking */
        l->requested = size;
        if ((s->flags & SLABS_ZERO) && size > old)
            memset(obj + old, 0, size - old);
        return obj;
    }
    size_t room = size > usable && size - usable < usable / 4 ? 2 * usable : size;
    char *q = slabs_large_alloc(s, size, room);
    if (q == NULL)
        return NULL;
    memcpy(q, obj, old < size ? old : size); /* with SLABS_ZERO the rest is zero already */
    slabs_large_free(s, l);
    return q;
}

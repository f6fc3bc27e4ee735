/*
 * arena_place.c - objects whose memory a caller's function places in the
 * arena's slabs (stage 05 aligns them), and their resize, which places them
 * again the same way.
 *
 * The alignment is remembered in a side table keyed by the slot's address:
 * slot -> the handle it was placed under and log2 of the alignment.  The
 * release path does not touch the table (it stays as fast as for any
 * object); an entry is trusted only while its handle is the slot's live
 * handle, and handles are never reused, so a stale entry is ignored and
 * overwritten when the slot next holds a placed object.  arena_reset()
 * drops the table.
 */
#include <errno.h>
#include <string.h>

#include "arena_internal.h"
#include "debug.h"

static uintptr_t slot_key(const arena_t *a, handle_t h)
{
    return (uintptr_t)arena_slot_(a, handle_slot(a, h));
}

size_t arena_placed_align(const arena_t *a, handle_t h)
{
    uintptr_t e = (uintptr_t)addrmap_get(&a->placed, slot_key(a, h));
    return e && (handle_t)(e >> 8) == h ? (size_t)1 << (e & 0xff) : 0;
}

/* Placed memory, retried once after giving empty slabs back when a cap is set. */
static void *place_mem(arena_t *a, size_t size, size_t align)
{
    void *p = a->place(&a->slabs, size, align);
    if (!p && errno == ENOMEM && a->max_bytes && slabs_trim(&a->slabs, 0) > 0)
        p = a->place(&a->slabs, size, align);
    return p;
}

handle_t arena_alloc_placed(arena_t *a, size_t size, size_t align, arena_place_fn place)
{
    if (!a || !place || size - 1 >= ARENA_MAX_SIZE || align == 0 || (align & (align - 1)) ||
        align > ((size_t)1 << 56) || (a->place && a->place != place)) {
        errno = EINVAL;
        return HANDLE_NULL;
    }
    if (!arena_slot_available(a)) {
        errno = ENOSPC;
        return HANDLE_NULL;
    }
    if (!addrmap_reserve(&a->placed)) {
        errno = ENOMEM;
        return HANDLE_NULL;
    }
    arena_place_fn was = a->place;
    a->place = place;
    void *p = place_mem(a, size, align);
    if (!p) {
        a->place = was;
        return HANDLE_NULL; /* errno from place */
    }
    handle_t h = arena_adopt(a, p, size);
    if (h == HANDLE_NULL)
        return HANDLE_NULL;
    uintptr_t key = slot_key(a, h), e = (uintptr_t)h << 8 | (uintptr_t)__builtin_ctzll(align);
    if (addrmap_get(&a->placed, key))
        addrmap_remove(&a->placed, key); /* a stale entry of an earlier object */
    addrmap_insert(&a->placed, key, (void *)e);
    SC_ASSERT_EXPENSIVE(arena_check(a) == 0);
    return h;
}

int arena_placed_resize(arena_t *a, handle_t h, size_t size)
{
    arena_slot_t *s = arena_live_slot(a, h);
    uint32_t *sz = arena_size_of(a, handle_slot(a, h));
    void *p = place_mem(a, size, arena_placed_align(a, h));
    if (!p)
        return -ENOMEM;
    memcpy(p, s->obj, *sz < size ? *sz : size);
    slabs_free(&a->slabs, s->obj);
    s->obj = p;
    *sz = (uint32_t)size;
    SC_ASSERT_EXPENSIVE(arena_check(a) == 0);
    return 0;
}

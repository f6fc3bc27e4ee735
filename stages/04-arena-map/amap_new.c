/*
 * amap_new.c - stage 04: maps that live in the arena.
 *
 * amap_new() puts the amap_t itself in an arena object and registers a
 * stage-03 cleanup on it: when the map's last reference goes, the cleanup
 * gives back every string, every handle and the table.  A map holding
 * handles of other maps releases them from its cleanup, and stage 03 runs
 * such cascades in a loop, so a tree of any depth is freed by releasing
 * its root, on constant C stack.
 */
#include "amap.h"

#include <errno.h>

#include "amap_internal.h"

/* The cleanup of a map in the arena. */
static void map_cleanup(void *obj, size_t size, void *ctx)
{
    (void)size;
    (void)ctx;
    amap_t *m = obj;
    amap_release_all(m);
    m->magic = 0;
}

handle_t amap_new(arena_t *a, const amap_config_t *cfg)
{
    if (!a) {
        errno = EINVAL;
        return HANDLE_NULL;
    }
    handle_t h = arena_alloc(a, sizeof(amap_t));
    if (h == HANDLE_NULL)
        return HANDLE_NULL;
    amap_t *m = arena_get(a, h);
    int rc = amap_init(m, a, cfg);
    if (rc == 0) {
        m->in_arena = true;
        rc = arena_on_free(a, h, map_cleanup, NULL);
        if (rc != 0)
            amap_release_all(m);
    }
    if (rc != 0) {
        arena_release(a, h);
        errno = -rc;
        return HANDLE_NULL;
    }
    return h;
}

amap_t *amap_of(const arena_t *a, handle_t h)
{
    amap_t *m = arena_get(a, h);
    if (!m || arena_size(a, h) != sizeof(amap_t) || m->magic != (AMAP_MAGIC ^ (uintptr_t)m) || !m->in_arena)
        return NULL;
    return m;
}

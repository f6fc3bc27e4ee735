/*
 * amap_iter.c - stage 04: iteration, merge (a join) and filter.
 *
 * Iteration walks the table in slot order.  Deletion never moves an
 * entry, so amap_del() between two amap_next() calls is safe; any other
 * mutation may move entries (a put may rebuild the table), so with
 * AMAP_CHECKED the iterator remembers the map's mutation count and
 * amap_next() reports a change.
 */
#include "amap.h"

#include <errno.h>

#include "amap_internal.h"

#define POS_BITS 40
#define POS_MASK (((size_t)1 << POS_BITS) - 1)

/* The mutation count an iterator keeps: 24 bits of it. */
static size_t mods_tag(const amap_t *m)
{
    return (size_t)(m->mods & 0xFFFFFF) << POS_BITS;
}

amap_iter_t amap_iter(const amap_t *m)
{
    return (amap_iter_t){m, mods_tag(m)};
}

bool amap_next(amap_iter_t *it, amap_val_t *key, amap_val_t *value)
{
    const amap_t *m = it->m;
    if ((m->flags & AMAP_CHECKED) && (it->pos & ~POS_MASK) != mods_tag(m))
        amap_report(m, "mutation-during-iteration", "the map changed (other than by amap_del) while being iterated");
    for (size_t i = it->pos & POS_MASK; i < m->capacity; i++) {
        if (m->ctrl[i] & CTRL_EMPTY)
            continue;
        if (key)
            *key = amap_unpack(m, m->key_type, m->slots[i].key, true);
        if (value)
            *value = amap_unpack(m, m->value_type, m->slots[i].val, false);
        it->pos = (it->pos & ~POS_MASK) | (i + 1);
        return true;
    }
    it->pos = (it->pos & ~POS_MASK) | m->capacity;
    return false;
}

int amap_merge(amap_t *dst, const amap_t *src, bool overwrite)
{
    if (dst->key_type != src->key_type || dst->value_type != src->value_type || dst->arena != src->arena)
        return -EINVAL;
    if (dst == src)
        return 0;
    int n = 0;
    for (size_t i = 0; i < src->capacity; i++) {
        if (src->ctrl[i] & CTRL_EMPTY)
            continue;
        amap_val_t k = amap_unpack(src, src->key_type, src->slots[i].key, true);
        if (!overwrite && amap_has(dst, k))
            continue;
        int rc = amap_put(dst, k, amap_unpack(src, src->value_type, src->slots[i].val, false));
        if (rc < 0)
            return rc;
        n++;
    }
    return n;
}

size_t amap_filter(amap_t *m, amap_keep_fn *keep, void *ctx)
{
    size_t n = 0;
    for (size_t i = 0; i < m->capacity; i++) {
        if (m->ctrl[i] & CTRL_EMPTY)
            continue;
        amap_val_t k = amap_unpack(m, m->key_type, m->slots[i].key, true);
        amap_val_t v = amap_unpack(m, m->value_type, m->slots[i].val, false);
        if (!keep(k, v, ctx)) {
            amap_erase_at(m, i);
            n++;
        }
    }
    amap_after_mutation(m);
    return n;
}

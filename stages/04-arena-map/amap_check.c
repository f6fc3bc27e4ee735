/*
 * amap_check.c - stage 04: statistics and the invariant checker.
 */
#include "amap.h"

#include "amap_internal.h"

/* Groups a lookup of the key in slot i visits: 1 when it is in its home
 * group, and one more for each group of the probe sequence before it; 0
 * if the sequence never reaches it (a broken table). */
static size_t probe_length(const amap_t *m, size_t i)
{
    size_t g = amap_home(m, amap_slot_hash(m, &m->slots[i]));
    size_t groups = m->group_mask + 1;
    for (size_t n = 1, step = 1; n <= groups; n++, g = (g + step++) & m->group_mask) {
        if (g == i / AMAP_GROUP)
            return n;
        if (group_empty(m->ctrl + g * AMAP_GROUP))
            return 0; /* a lookup stops here, before reaching i */
    }
    return 0;
}

void amap_stats(const amap_t *m, amap_stats_t *out)
{
    size_t sum = 0, max = 0;
    for (size_t i = 0; i < m->capacity; i++) {
        if (m->ctrl[i] & CTRL_EMPTY)
            continue;
        size_t n = probe_length(m, i);
        sum += n;
        max = n > max ? n : max;
    }
    *out = (amap_stats_t){
        .len = m->len,
        .capacity = m->capacity,
        .tombstones = m->tombstones,
        .mean_probe = m->len ? (double)sum / (double)m->len : 0.0,
        .max_probe = (double)max,
        .table_bytes = m->capacity ? m->capacity + m->capacity * sizeof(amap_slot_t) : 0,
        .key_bytes = m->key_bytes,
        .value_bytes = m->value_bytes,
    };
}

/* Broken invariants of the entry in slot i: its tag, its reachability,
 * what it holds; adds its strings' bytes to *kb and *vb. */
static size_t check_entry(const amap_t *m, size_t i, size_t *kb, size_t *vb)
{
    const amap_slot_t *s = &m->slots[i];
    size_t bad = 0;
    if (amap_tag(amap_slot_hash(m, s)) != m->ctrl[i] || probe_length(m, i) == 0)
        bad++;
    if (m->key_type == AMAP_STR && !amap_string(m, (handle_t)(s->key >> 32)))
        return bad + 1;
    amap_key_t k;
    amap_slot_key(m, s, &k);
    if (amap_find(m, &k) != i)
        bad++; /* a lookup of this key finds another slot: the key is in the map twice */
    if (m->key_type == AMAP_STR) {
        const amap_string_t *str = amap_string(m, (handle_t)(s->key >> 32));
        *kb += sizeof *str + str->len + 1;
        if (amap_hash_string(m, str->bytes, str->len) != (uint32_t)s->key)
            bad++;
    }
    if (m->value_type == AMAP_STR) {
        const amap_string_t *str = amap_string(m, (handle_t)s->val);
        if (!str)
            return bad + 1;
        *vb += sizeof *str + str->len + 1;
    } else if (m->value_type == AMAP_HANDLE && (handle_t)s->val != HANDLE_NULL && arena_refcount(m->arena, (handle_t)s->val) == 0) {
        bad++; /* the map holds a reference: the handle must be live */
    }
    return bad;
}

/* The shape of the table: capacity, group mask, where the slots are. */
static size_t check_shape(const amap_t *m)
{
    if (m->capacity == 0)
        return m->ctrl != NULL || m->slots != NULL || m->group_mask != 0;
    size_t bad = 0;
    bad += (m->capacity & (m->capacity - 1)) != 0 || m->capacity < AMAP_GROUP;
    bad += m->group_mask != m->capacity / AMAP_GROUP - 1;
    bad += (const void *)m->slots != (const void *)(m->ctrl + m->capacity);
    return bad;
}

size_t amap_check(const amap_t *m)
{
    if (m->magic != (AMAP_MAGIC ^ (uintptr_t)m))
        return 1;
    size_t shape = check_shape(m);
    if (shape)
        return shape; /* nothing else can be trusted */
    size_t bad = 0, full = 0, deleted = 0, kb = 0, vb = 0;
    for (size_t i = 0; i < m->capacity; i++) {
        if (m->ctrl[i] == CTRL_DELETED) {
            deleted++;
        } else if (m->ctrl[i] == CTRL_EMPTY) {
            continue;
        } else if (m->ctrl[i] & CTRL_EMPTY) {
            bad++; /* neither empty, deleted nor a tag */
        } else {
            full++;
            bad += check_entry(m, i, &kb, &vb);
        }
    }
    bad += full != m->len;
    bad += deleted != m->tombstones;
    bad += m->capacity && m->len + m->tombstones + m->growth_left != m->capacity / 8 * 7;
    bad += kb != m->key_bytes;
    bad += vb != m->value_bytes;
    if (m->capacity && (m->table == HANDLE_NULL || arena_get(m->arena, m->table) != m->ctrl))
        bad++;
    return bad;
}

/*
 * addrmap.c - growing and shrinking the address map (see addrmap.h).
 */
#include "addrmap.h"

#include <string.h>

#include "align.h"
#include "debug.h"

/* An empty map probes these: every home is 0 or 1 (hshift 63, mask 1), and
 * both slots are empty, so a lookup ends at once, without a test for an
 * empty map on the hot path. */
const addrmap_slot_t addrmap_empty_slots[2] = {{0, NULL}, {0, NULL}};

void addrmap_init(addrmap_t *m, size_t align, const page_source_t *source)
{
    SC_ASSERT(align_is_pow2(align));
    memset(m, 0, sizeof *m);
    m->slots = (addrmap_slot_t *)(uintptr_t)addrmap_empty_slots;
    m->mask = 1;
    m->hshift = 63;
    m->align_bits = (unsigned)__builtin_ctzll((unsigned long long)align);
    m->source = source;
}

/* The slot holding key, or the empty slot where it would go. */
static size_t slot_of(const addrmap_t *m, uintptr_t key)
{
    size_t i = addrmap_home(m, key);
    while (m->slots[i].key != 0 && m->slots[i].key != key)
        i = (i + 1) & m->mask;
    return i;
}

bool addrmap_reserve(addrmap_t *m)
{
    if ((m->count + 1) * 2 <= m->cap)
        return true;
    size_t cap = m->cap ? m->cap * 2 : ADDRMAP_MIN;
    addrmap_slot_t *fresh = m->source->acquire(m->source->ctx, cap * sizeof *fresh, 64);
    if (fresh == NULL)
        return false;
    memset(fresh, 0, cap * sizeof *fresh);
    addrmap_t old = *m;
    m->slots = fresh;
    m->cap = cap;
    m->mask = cap - 1;
    m->hshift = 64 - (unsigned)__builtin_ctzll((unsigned long long)cap);
    for (size_t i = 0; i < old.cap; i++)
        if (old.slots[i].key != 0)
            m->slots[slot_of(m, old.slots[i].key)] = old.slots[i];
    if (old.cap != 0)
        m->source->release(m->source->ctx, old.slots, old.cap * sizeof *old.slots);
    return true;
}

void addrmap_insert(addrmap_t *m, uintptr_t key, void *val)
{
    SC_ASSERT(key != 0 && (key & (((uintptr_t)1 << m->align_bits) - 1)) == 0);
    SC_ASSERT((m->count + 1) * 2 <= m->cap);
    size_t i = slot_of(m, key);
    SC_ASSERT(m->slots[i].key == 0);
    m->slots[i] = (addrmap_slot_t){key, val};
    m->count++;
}

/* True if home slot h lies cyclically in (i, j]: the entry at j may not
 * move back to i. */
static bool between(size_t i, size_t h, size_t j)
{
    return i <= j ? (i < h && h <= j) : (i < h || h <= j);
}

void addrmap_remove(addrmap_t *m, uintptr_t key)
{
    size_t i = slot_of(m, key);
    SC_ASSERT(m->cap != 0 && m->slots[i].key == key);
    m->slots[i].key = 0;
    m->count--;
    for (size_t j = (i + 1) & m->mask; m->slots[j].key != 0; j = (j + 1) & m->mask) {
        if (between(i, addrmap_home(m, m->slots[j].key), j))
            continue;
        m->slots[i] = m->slots[j];
        m->slots[j].key = 0;
        i = j;
    }
}

void addrmap_free(addrmap_t *m)
{
    if (m->cap != 0)
        m->source->release(m->source->ctx, m->slots, m->cap * sizeof *m->slots);
    addrmap_init(m, (size_t)1 << m->align_bits, m->source);
}

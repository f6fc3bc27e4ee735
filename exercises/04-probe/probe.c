/*
 * exercises/04-probe/probe.c - exercise 04-probe: the probe loop behind
 * every lookup of the arena map (see README.md).
 *
 * `make exercise EX=04-probe` compiles stage 04 with this file in place of
 * find() in stages/04-arena-map/amap.c (which #includes it), then runs the
 * tests tagged 04-probe, and the scorer prints how many keys your lookups
 * compared.  This file sees everything amap.c sees: amap_t, amap_key_t,
 * amap_key_equal(), amap_tag(), amap_home(), group_match(), group_empty(),
 * AMAP_GROUP, CTRL_EMPTY.
 *
 * The table: m->capacity slots (0, or a power of two >= 16) in groups of
 * AMAP_GROUP = 16, m->group_mask + 1 groups.  Control byte m->ctrl[i] is
 * CTRL_EMPTY (0x80), CTRL_DELETED (0xFE), or, for a full slot, the tag of
 * its key: the low 7 bits of the key's 32-bit hash.  An insert puts a key
 * in the first empty or deleted slot of the first group that has one, on
 * the key's probe sequence: its home group amap_home(m, h32), then the
 * groups g + 1, g + 1 + 2, g + 1 + 2 + 3, ... (mod the number of groups).
 *
 * This stub is correct and slow: it compares the key of every full slot in
 * the table, in order.  The answers pass the tests; the scorer says how
 * many keys they took.
 */

/* The slot holding key k, or SIZE_MAX. */
static size_t find(const amap_t *m, const amap_key_t *k)
{
    /* TODO 1: start at k's home group, and go from group to group along
     *         the probe sequence an insert follows. */
    /* TODO 2: in a group, compare only the slots whose control byte is
     *         k's tag: group_match() finds them all at once. */
    /* TODO 3: a group with an empty slot ends the search: an insert would
     *         have stopped there. */
    for (size_t i = 0; i < m->capacity; i++)
        if (!(m->ctrl[i] & CTRL_EMPTY) && amap_key_equal(m, &m->slots[i], k))
            return i;
    return SIZE_MAX;
}

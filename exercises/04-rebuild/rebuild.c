/*
 * exercises/04-rebuild/rebuild.c - exercise 04-rebuild: moving every entry
 * of the arena map into a new table, to grow it or to clear its tombstones
 * (see README.md).
 *
 * `make exercise EX=04-rebuild` compiles stage 04 with this file in place
 * of rebuild() in stages/04-arena-map/amap.c (which #includes it), then
 * runs the tests tagged 04-rebuild.  This file sees everything amap.c
 * sees: table_t, table_new(), find_free(), amap_slot_hash(), amap_tag(),
 * arena_release(), AMAP_GROUP, CTRL_EMPTY.
 *
 * rebuild() is called by amap_init() (a first table, when the
 * configuration asks for a capacity), by an insert that finds no room left
 * (a table twice the size, or the same size when tombstones took the room)
 * and by amap_reserve().  cap is always a power of two >= AMAP_GROUP, big
 * enough for m->len entries at 7/8 load.
 *
 * This stub behaves as if the arena had refused the new table: the map
 * stays as it is, so it never gets a table, and every insert fails with
 * -ENOMEM.
 */

/* Moves every entry into a new table of cap slots and gives the old table
 * back; no tombstone survives.  false, the map unchanged, if the arena
 * refuses the new table. */
static bool rebuild(amap_t *m, size_t cap)
{
    /* TODO 1: the new table: table_new(m, cap, &t) (all its slots empty),
     *         or false if the arena refuses it. */
    /* TODO 2: every full slot of the old table moves to the new one, where
     *         an insert would put it: find_free() on the new control bytes,
     *         with the entry's hash.  amap_slot_hash() gives the hash of
     *         the key in a slot without reading a string; the slot itself
     *         is copied as it is.  Deleted slots are left behind. */
    /* TODO 3: the old table goes back to the arena (m->table, unless it is
     *         HANDLE_NULL), and every field that describes the table
     *         describes the new one: ctrl, slots, table, capacity,
     *         group_mask, tombstones, growth_left (and mods, which tells a
     *         checked iterator that entries moved). */
    (void)table_new; /* the helper of TODO 1 (named here so the stub compiles without it) */
    (void)m;
    (void)cap;
    return false;
}

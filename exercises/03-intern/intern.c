/*
 * exercises/03-intern/intern.c - exercise 03-intern: the lookup of the
 * intern set (see README.md).
 *
 * `make exercise EX=03-intern` compiles stage 03 with this file in place of
 * intern_find() in stages/03-handles/arena_intern.c (which #includes it),
 * then runs the tests tagged 03-intern, and the scorer prints what your
 * lookups cost.  This file sees everything arena_intern.c sees: entry_t,
 * entry_at(), entry_bytes_equal(), HANDLE_NULL.
 *
 * The set: a->intern.tab holds a->intern.cap entries (a power of two), at
 * most 3/4 of them full.  Entry {h, hash}: h is an interned object's handle
 * (HANDLE_NULL: the entry is empty), hash the low 32 bits of its bytes'
 * hash.  An entry's home is hash & (cap - 1); linear probing puts it in the
 * first empty entry at or after its home (wrapping), and deletions shift
 * later entries back, so there are no tombstones.
 *
 * This stub is correct and slow: it reads every entry of the table, and
 * compares the bytes of every object it meets.  The answers are right; the
 * scorer says how much work they took.
 */

/* The position of the entry holding these bytes, or of the empty entry
 * where they would go; *found says which.  hash is the low 32 bits of the
 * bytes' hash. */
static uint32_t intern_find(const arena_t *a, uint32_t hash, const void *bytes, size_t len, bool *found)
{
    const arena_intern_set_t *set = &a->intern;
    uint32_t mask = set->cap - 1;
    uint32_t empty = UINT32_MAX;
    /* TODO 1: an entry whose cached hash differs from hash cannot hold
     *         these bytes: do not read its object (entry_bytes_equal()
     *         does, and the scorer counts it). */
    /* TODO 2: linear probing never leaves a gap between an entry and its
     *         home: the bytes are in the run that starts at the home, or
     *         nowhere.  Stop at the first empty entry. */
    for (uint32_t n = 0, i = hash & mask; n < set->cap; n++, i = (i + 1) & mask) {
        const entry_t *e = entry_at(set, i);
        if (e->h == HANDLE_NULL) {
            if (empty == UINT32_MAX)
                empty = i;
            continue;
        }
        if (entry_bytes_equal(a, e, bytes, len)) {
            *found = true;
            return i;
        }
    }
    *found = false;
    return empty;
}

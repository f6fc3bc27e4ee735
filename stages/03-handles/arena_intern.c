/*
 * arena_intern.c - stage 03: interning.  Equal byte strings share one
 * object, found through a hash set of handles.
 *
 * The set is open addressing with linear probing over 8-byte entries
 * (handle, low 32 bits of the bytes' hash).  The cached hash answers most
 * "is this the one?" questions without reading the object: only an entry
 * whose 32 bits match has its length and bytes compared.  The set is at
 * most 3/4 full, grows by doubling (rehashing from the cached hashes, never
 * from the bytes), and deletes by shifting later entries of the run back,
 * so there are no tombstones and a lookup stops at the first empty entry.
 *
 * The hash is common/hash.h's hash_bytes(), seeded per arena.
 */
#include "arena.h"

#include <errno.h>
#include <string.h>

#include "arena_internal.h"
#include "debug.h"
#include "hash.h"

#define INTERN_MIN_CAP 16u

typedef struct arena_intern_entry entry_t;

/* Bytes of a table of cap entries. */
static size_t table_bytes(uint32_t cap)
{
    return (size_t)cap * sizeof(entry_t);
}

/* Counters read by the scorer of exercise 03-intern (tests/03-handles/
 * test_ex_intern.c): entries read by lookups, and objects whose bytes they
 * compared, on this thread.  Builds with NDEBUG (release) count nothing. */
#ifndef NDEBUG
_Thread_local size_t arena_intern_probes, arena_intern_compares;
#define INTERN_COUNT(n) ((void)(n)++)
#else
#define INTERN_COUNT(n) ((void)0)
#endif

/* Entry i of the set, read by a lookup (counted). */
static const entry_t *entry_at(const arena_intern_set_t *set, uint32_t i)
{
    INTERN_COUNT(arena_intern_probes);
    return &set->tab[i];
}

/* Does entry e's object hold exactly these bytes?  Reads the object: a
 * cache miss, and len bytes compared (counted). */
static bool entry_bytes_equal(const arena_t *a, const entry_t *e, const void *bytes, size_t len)
{
    INTERN_COUNT(arena_intern_compares);
    uint32_t i = handle_slot(a, e->h);
    return *arena_size_of(a, i) == len && memcmp(arena_slot_(a, i)->obj, bytes, len) == 0;
}

/* ---- the lookup ----------------------------------------------------- exercise 03-intern */

#ifdef SC_EX_03_INTERN
#include "03-intern/intern.c"
#else
// [intern]
/* The position of the entry holding these bytes, or of the empty entry
 * where they would go; *found says which.  The set has at least one empty
 * entry (it is at most 3/4 full), so the probe ends.  The cached 32 bits
 * answer most "is this the one?" questions without reading the object: only
 * an entry whose hash agrees has its bytes compared. */
static uint32_t intern_find(const arena_t *a, uint32_t hash, const void *bytes, size_t len, bool *found)
{
    const arena_intern_set_t *set = &a->intern;
    uint32_t mask = set->cap - 1;
    for (uint32_t i = hash & mask;; i = (i + 1) & mask) {
        const entry_t *e = entry_at(set, i);
        if (e->h == HANDLE_NULL || (e->hash == hash && entry_bytes_equal(a, e, bytes, len))) {
            *found = e->h != HANDLE_NULL;
            return i;
        }
    }
}
// [intern]
#endif

/* ---- growth ---------------------------------------------------------------- */

/* Puts e in the first empty entry of its run in tab (cap entries). */
static void place(entry_t *tab, uint32_t cap, entry_t e)
{
    uint32_t i = e.hash & (cap - 1);
    while (tab[i].h != HANDLE_NULL)
        i = (i + 1) & (cap - 1);
    tab[i] = e;
}

/* Makes room for one more entry; false (the set unchanged) if the source
 * refuses. */
static bool set_reserve(arena_t *a)
{
    arena_intern_set_t *set = &a->intern;
    if (set->cap && (size_t)(set->count + 1) * 4 <= (size_t)set->cap * 3)
        return true;
    uint32_t cap = set->cap ? set->cap * 2 : INTERN_MIN_CAP;
    if (cap == 0 || cap > (UINT32_C(1) << 30))
        return false;
    entry_t *tab = a->source.acquire(a, table_bytes(cap), 64);
    if (!tab)
        return false;
    memset(tab, 0, table_bytes(cap));
    for (uint32_t i = 0; i < set->cap; i++)
        if (set->tab[i].h != HANDLE_NULL)
            place(tab, cap, set->tab[i]);
    if (set->tab)
        a->source.release(a, set->tab, table_bytes(set->cap));
    set->tab = tab;
    set->cap = cap;
    return true;
}

/* ---- intern ---------------------------------------------------------------- */

/* One more reference to the interned string h. */
static handle_t intern_hit(arena_t *a, handle_t h)
{
    int rc = arena_share(a, h);
    if (rc != 0) {
        errno = -rc;
        return HANDLE_NULL;
    }
    a->intern_hits++;
    return h;
}

/* A new interned copy of the bytes, entered at position pos. */
static handle_t intern_miss(arena_t *a, uint32_t hash, const void *bytes, size_t len)
{
    if (!set_reserve(a)) {
        errno = ENOMEM;
        return HANDLE_NULL;
    }
    handle_t h = arena_new_interned(a, len);
    if (h == HANDLE_NULL)
        return HANDLE_NULL;
    char *obj = arena_get(a, h);
    if (len)
        memcpy(obj, bytes, len);
    obj[len] = '\0';
    place(a->intern.tab, a->intern.cap, (entry_t){h, hash});
    a->intern.count++;
    return h;
}

handle_t arena_intern(arena_t *a, const void *bytes, size_t len)
{
    if ((!bytes && len > 0) || len >= ARENA_MAX_SIZE) {
        errno = EINVAL;
        return HANDLE_NULL;
    }
    uint32_t hash = (uint32_t)hash_bytes(bytes ? bytes : "", len, a->intern.seed);
    handle_t h = HANDLE_NULL;
    if (a->intern.count > 0) {
        bool found = false;
        uint32_t pos = intern_find(a, hash, bytes ? bytes : "", len, &found);
        if (found)
            h = intern_hit(a, a->intern.tab[pos].h);
        else
            h = intern_miss(a, hash, bytes, len);
    } else {
        h = intern_miss(a, hash, bytes, len);
    }
    SC_ASSERT_EXPENSIVE(arena_check(a) == 0);
    return h;
}

/* ---- removal ---------------------------------------------------------------- */

/* Empties entry i and shifts the later entries of its run back, so that
 * every entry stays reachable from its home without tombstones. */
static void set_delete_at(arena_intern_set_t *set, uint32_t i)
{
    uint32_t mask = set->cap - 1;
    for (uint32_t j = (i + 1) & mask; set->tab[j].h != HANDLE_NULL; j = (j + 1) & mask) {
        uint32_t home = set->tab[j].hash & mask;
        /* j may move back to i if its home is not in (i, j] (cyclically) */
        if (((j - home) & mask) >= ((j - i) & mask)) {
            set->tab[i] = set->tab[j];
            i = j;
        }
    }
    set->tab[i].h = HANDLE_NULL;
    set->count--;
}

/* Removes the interned object h (dying) from the set.  Its home comes from
 * its bytes' hash; if the bytes were changed (forbidden, and found by
 * arena_check() with ARENA_CHECKED) the whole table is searched. */
void arena_intern_remove(arena_t *a, handle_t h)
{
    arena_intern_set_t *set = &a->intern;
    const arena_slot_t *s = arena_slot_(a, handle_slot(a, h));
    uint32_t mask = set->cap - 1;
    uint32_t i = (uint32_t)hash_bytes(s->obj, *arena_size_of(a, handle_slot(a, h)), set->seed) & mask;
    for (uint32_t n = 0; n < set->cap; n++, i = (i + 1) & mask)
        if (set->tab[i].h == h) {
            set_delete_at(set, i);
            return;
        }
    SC_ASSERT(!"an interned object is missing from the intern set");
}

/* Forgets every entry and gives the table back (arena_reset, destroy). */
void arena_intern_drop(arena_t *a)
{
    arena_intern_set_t *set = &a->intern;
    if (set->tab)
        a->source.release(a, set->tab, table_bytes(set->cap));
    set->tab = NULL;
    set->cap = set->count = 0;
}

/* ---- checking ---------------------------------------------------------------- */

/* Broken invariants of the set: entries that name no live interned object,
 * entries unreachable from their home, a wrong count, and (ARENA_CHECKED)
 * cached hashes that no longer match the bytes. */
size_t arena_intern_check(const arena_t *a)
{
    const arena_intern_set_t *set = &a->intern;
    size_t bad = 0, n = 0;
    uint32_t mask = set->cap ? set->cap - 1 : 0;
    for (uint32_t i = 0; i < set->cap; i++) {
        const entry_t *e = &set->tab[i];
        if (e->h == HANDLE_NULL)
            continue;
        n++;
        const arena_slot_t *s = arena_live_slot(a, e->h);
        if (!s || !(*arena_word(a, handle_slot(a, e->h)) & ARENA_W_INTERNED)) {
            bad++;
            continue;
        }
        for (uint32_t j = e->hash & mask; j != i; j = (j + 1) & mask)
            if (set->tab[j].h == HANDLE_NULL) {
                bad++; /* a gap between its home and it: lookups miss it */
                break;
            }
        if ((a->flags & ARENA_CHECKED) && (uint32_t)hash_bytes(s->obj, *arena_size_of(a, handle_slot(a, e->h)), set->seed) != e->hash)
            bad++; /* interned bytes were changed */
    }
    if (n != set->count || (set->cap && (size_t)set->count * 4 > (size_t)set->cap * 3))
        bad++;
    return bad;
}

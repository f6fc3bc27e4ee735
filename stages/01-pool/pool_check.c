/*
 * pool_check.c - stage 01's invariant checker, pool_check().
 *
 * It trusts nothing it has not verified: a free-list link is followed only
 * after it is found to be the start of a carved chunk of a block on the
 * pool's own chain, so a corrupt link is counted, never dereferenced.
 * Structural damage (a bad block link, a bad free-list link, a cycle, in
 * checked mode a link that no longer matches its check word) ends
 * the walk it breaks and is counted once; the counters are then compared
 * only if both walks completed, so one corruption gives one count.
 *
 * Cost: O(blocks + free chunks x blocks) in the worst case (finding the
 * block of a free chunk scans the chain, with a one-entry cache).
 */
#include <stdbool.h>

#include "pool_internal.h"

/* What the block walk learned, for the other checks. */
typedef struct walk {
    size_t blocks;     /* blocks reached on the chain */
    bool complete;     /* the chain was walked to its end without damage */
    bool carve_found;  /* p->carve is on the chain (or NULL) */
    size_t carved_blocks; /* blocks up to and including p->carve: the only ones carved from */
    const pool_block_t *cache; /* last block a chunk was found in */
} walk_t;

/* Checks each block's alignment, owner and cookie, the chain's length and
 * ends, and the carve block. */
static size_t check_blocks(const pool_t *p, walk_t *w)
{
    size_t bad = 0;
    const pool_block_t *last = NULL;
    w->carve_found = (p->carve == NULL);
    for (const pool_block_t *b = p->head; b != NULL; b = b->next) {
        if (!align_ptr_is(b, p->block_size) || !block_is_ours(p, b) || w->blocks == p->blocks)
            return bad + 1; /* misaligned, foreign or endless: stop here */
        if (b == p->carve) {
            w->carve_found = true;
            w->carved_blocks = w->blocks + 1;
        }
        last = b;
        w->blocks++;
    }
    w->complete = true;
    bad += (w->blocks != p->blocks);
    bad += (last != p->tail);
    bad += !w->carve_found;
    bad += (p->bytes_from_source != p->blocks * p->block_size);
    return bad;
}

/* Is ptr a carved chunk of a block on the chain?  Blocks after the carve
 * block have not been carved from since init or the last reset. */
static bool is_carved_chunk(const pool_t *p, walk_t *w, const void *ptr)
{
    const pool_block_t *b = pool_block_of(p, ptr);
    if (b != w->cache) {
        const pool_block_t *c = p->head;
        size_t i = 0;
        for (; c != NULL && c != b && i < w->blocks; i++)
            c = c->next;
        if (c != b || i >= w->carved_blocks)
            return false;
        w->cache = b;
    }
    if (pool_chunk_index(p, b, ptr, NULL) == p->per_block)
        return false;
    return b != p->carve || (const char *)ptr < p->bump; /* carved already */
}

/* Damage inside one free chunk (checked mode): marked live, or its freed
 * fill written. */
static size_t check_free_chunk(const pool_t *p, void *c)
{
    if (!(p->flags & POOL_CHECKED))
        return 0;
    const pool_block_t *b = pool_block_of(p, c);
    size_t bad = pool_chunk_is_live(p, b, pool_chunk_index(p, b, c, NULL));
    return bad + !freed_fill_intact(p, c);
}

// [free-list-walk]
/* Checked mode: does word 1 of free chunk c still hold its link ^ secret? */
static bool link_check_intact(const pool_t *p, void *c)
{
    return !(p->flags & POOL_CHECKED) || link_check_matches(p, c, pool_link_read(c));
}

/* Walks the free list; *n receives its length, *complete whether the walk
 * reached the end. */
static size_t check_free_list(const pool_t *p, walk_t *w, size_t *n, bool *complete)
{
    size_t bad = 0;
    *n = 0;
    *complete = false;
    for (void *c = p->free_list; c != NULL; c = pool_link_read(c)) {
        if (*n == p->carved || !is_carved_chunk(p, w, c))
            return bad + 1; /* a cycle, or a link to something not ours */
        bad += check_free_chunk(p, c);
        (*n)++;
        if (!link_check_intact(p, c))
            return bad + 1; /* checked mode: the link was overwritten */
    }
    *complete = true;
    return bad;
}
// [free-list-walk]

/* Re-hides the link words that the walk made readable. */
static void rehide_free_list(const pool_t *p, size_t n)
{
    void *c = p->free_list;
    for (size_t i = 0; i < n; i++) {
        void *next = pool_link_read(c);
        pool_chunk_hide(p, c);
        c = next;
    }
}

/* Sum of the live bitmaps (checked mode). */
static size_t bitmap_live(const pool_t *p)
{
    size_t sum = 0;
    for (const pool_block_t *b = p->head; b != NULL; b = b->next)
        for (size_t i = 0; i < p->bitmap_words; i++)
            sum += (size_t)__builtin_popcountll(pool_block_bitmap(b)[i]);
    return sum;
}

size_t pool_check(const pool_t *p)
{
    if (p == NULL)
        return 1;
    walk_t w = {0};
    size_t bad = check_blocks(p, &w);
    size_t nfree = 0;
    bool list_ok = false;
    if (w.complete) {
        bad += check_free_list(p, &w, &nfree, &list_ok);
        rehide_free_list(p, nfree);
    }
    bad += (p->peak_live < p->live);
    if (w.complete && list_ok) {
        bad += (p->live + p->quarantined + nfree != p->carved);
        if (p->flags & POOL_CHECKED)
            bad += (bitmap_live(p) + p->quarantined + nfree != p->carved);
    }
    return bad;
}

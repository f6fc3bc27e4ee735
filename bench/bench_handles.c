/*
 * bench_handles.c - stage 03 benchmark: what a handle costs against the
 * raw pointer it replaces, what an arena object costs against the slabs
 * pair underneath it, and interning against GLib's GStringChunk.
 *
 * Usage:
 *   bench_handles [--quick] [--reps N] [--csv FILE] [--svg FILE]
 *                 [--no-callgrind] [--root DIR]
 *       the driver: runs every measurement in a fresh worker process and
 *       prints the tables, the instruction counts and the targets.  --root
 *       names the repository whose README.md and docs/NAME.md files give the words
 *       interned (default: the current directory, which is the root when
 *       scripts/bench.sh runs it).
 *   bench_handles --worker ALLOC WORKLOAD ARG N
 *       one measurement; prints one line:
 *       ns_per_op=X ops=N peak_rss_kib=K malloc=NAME
 *   bench_handles --probe
 *       prints the name and version of the malloc the process runs on
 *
 * Every cell compares the arena with one baseline, in the same worker
 * program, interleaved (baseline, arena, baseline, arena ...):
 *   resolve-hot   ALLOC pointer|handle, ARG the object's size.  One object
 *                 from arena_alloc(); n times, its name is loaded from a
 *                 volatile variable (a handle_t for handle, a pointer to
 *                 the object for pointer), resolved (arena_get(), with the
 *                 NULL check a caller makes; nothing for the pointer) and
 *                 its first word added to a sum.  The volatile load keeps
 *                 the compiler from hoisting the resolve out of the loop,
 *                 and both loops do it, so they differ only by the resolve.
 *                 One op = one access.
 *   resolve-cold  ALLOC pointer|handle, ARG "LO-HI" object sizes.  10^6
 *                 objects from arena_alloc(), sizes drawn uniformly from
 *                 LO..HI (fixed seed), first word = allocation number; a
 *                 random permutation of them (fixed seed) goes into an
 *                 array of handles and, in the same order, an array of
 *                 pointers to the same objects (from arena_get() before the
 *                 clock starts).  Both workers build the same arena, so the
 *                 objects sit at the same addresses; they differ only in
 *                 which array they walk.  Passes over the array until n
 *                 accesses; one op = one access.
 *   pair-hot      ALLOC slabs|arena, ARG "LO-HI".  n times: allocate one
 *                 object (slabs_alloc(), or arena_alloc() on an arena with
 *                 the default configuration, whose objects live in a
 *                 slabs_t with the same default configuration), write a
 *                 word into it (through arena_get() for the arena: that is
 *                 how its user reaches the object), free it (slabs_free(),
 *                 arena_release()).  Sizes from a ring drawn before the
 *                 clock starts.  One op = one pair.
 *   pair-batch    the same, 1000 allocations then their frees in
 *                 allocation order, per round; one op = one pair.
 *   intern-miss   ALLOC chunk|arena, ARG the repository root.  The words
 *                 (below), each distinct word once, in order of first
 *                 appearance, inserted into a fresh GStringChunk
 *                 (g_string_chunk_new(16384), the arena's slab size;
 *                 g_string_chunk_insert_const()) or a fresh arena
 *                 (arena_intern() with the word's length, which a tokenizer
 *                 knows; GLib's call finds it by the NUL).  Rounds of all
 *                 the words until n; creating and freeing the chunk or arena
 *                 is outside the clock.  One op = one call.
 *   intern-hit    one untimed pass as above, then rounds inserting every
 *                 word again, each call's answer compared with the first
 *                 one's (both loops do the comparison).  One op = one call.
 * Words: maximal runs of letters, digits and '_' in README.md and the
 * docs/NAME.md files under ARG (read by the worker before the clock starts),
 * or, if none can be read, a fixed generated vocabulary of 4096 words.
 * Every worker checks its results: the sums, the objects' contents, the
 * intern answers, arena_check() and slabs_check() after the run.
 *
 * Instruction counts come from callgrind (the count for 2N ops minus the
 * count for N, over N), inside the functions named: arena_alloc and
 * arena_release against slabs_alloc and slabs_free (and what they call);
 * for resolve-hot and resolve-cold, the whole timed loop (hb_hot_handle,
 * hb_hot_pointer, hb_cold_handle, hb_cold_pointer; cold counts whole
 * passes, N = 10^6);
 * arena_intern against g_string_chunk_insert_const.
 *
 * The targets (DESIGN T5):
 *   resolve, hot and cold: a handle costs at most 2x a raw pointer;
 *   an arena alloc+release pair at most 1.5x the slabs pair.
 * Interning has no target: its ratios are reported.
 */
#define _GNU_SOURCE

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "arena.h"
#include "clock.h"
#include "harness.h"
#include "rng.h"
#include "slabs.h"

#define HB_INLINE static inline __attribute__((always_inline))
/* A loop callgrind counts by its name: never inlined, cloned or renamed. */
#if defined(__clang__)
#define HB_COUNTED static __attribute__((noinline))
#else
#define HB_COUNTED static __attribute__((noipa))
#endif

#define HB_COLD_LIVE 1000000 /* live objects of resolve-cold */
#define HB_BATCH 1000        /* objects per round of pair-batch */
#define HB_RING 65536u       /* sizes in the ring the pair workloads walk */
#define HB_CHUNK_SIZE 16384  /* GStringChunk's block size: the arena's default slab size */
#define HB_VOCABULARY 4096   /* words generated when no file can be read */

/* ---- the worker: common parts ----------------------------------------------- */

static _Noreturn void hb_fail(const char *what)
{
    fprintf(stderr, "bench_handles worker: %s\n", what);
    exit(1);
}

/* Parses ARG as "LO-HI" or one size into [*lo, *hi]; dies on nonsense. */
static void hb_sizes(const char *arg, size_t *lo, size_t *hi)
{
    char tail;
    if (sscanf(arg, "%zu-%zu%c", lo, hi, &tail) != 2) {
        *lo = *hi = bh_count(arg, "size");
    }
    if (*lo < sizeof(uint64_t) || *hi < *lo || *hi > 65535)
        bh_die("sizes must be %zu to 65535 bytes, LO <= HI: %s", sizeof(uint64_t), arg);
}

/* A size drawn uniformly from [lo, hi]. */
static size_t hb_draw(rng_t *r, size_t lo, size_t hi)
{
    return lo + (size_t)rng_below(r, hi - lo + 1);
}

/* An arena with the default configuration. */
static void hb_arena_init(arena_t *a)
{
    if (arena_init(a, &(arena_config_t){0}) != 0)
        hb_fail("arena_init failed");
}

/* After a run: the arena's invariants hold and live objects are as many as
 * expected; then it is destroyed. */
static void hb_arena_done(arena_t *a, size_t live)
{
    arena_stats_t st;
    arena_stats(a, &st);
    if (st.live != live || arena_check(a) != 0)
        hb_fail("the arena's counters or invariants are wrong after the run");
    arena_destroy(a);
}

/* ---- the worker: resolving ------------------------------------------------- */

/* The names the hot loops load on every access. */
static handle_t volatile hb_hot_h;
static const uint64_t *volatile hb_hot_p;

// [resolve-hot]
/* n accesses through the handle in hb_hot_h: resolve, check, read. */
HB_COUNTED uint64_t hb_hot_handle(const arena_t *a, size_t n)
{
    uint64_t sum = 0;
    for (size_t i = 0; i < n; i++) {
        const uint64_t *p = arena_get(a, hb_hot_h);
        if (p == NULL)
            hb_fail("resolve-hot: a live handle resolved to NULL");
        sum += *p;
    }
    return sum;
}

/* n accesses through the pointer in hb_hot_p: read. */
HB_COUNTED uint64_t hb_hot_pointer(size_t n)
{
    uint64_t sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += *hb_hot_p;
    return sum;
}
// [resolve-hot]

/* resolve-hot: one object of size bytes holding 3; n accesses. */
static uint64_t hb_resolve_hot(bool handle, size_t size, size_t n)
{
    arena_t a;
    hb_arena_init(&a);
    handle_t h = arena_alloc(&a, size);
    uint64_t *obj = arena_get(&a, h);
    if (obj == NULL)
        hb_fail("arena_alloc failed");
    *obj = 3;
    hb_hot_h = h;
    hb_hot_p = obj;
    uint64_t t0 = clock_now_ns();
    uint64_t sum = handle ? hb_hot_handle(&a, n) : hb_hot_pointer(n);
    uint64_t t = clock_now_ns() - t0;
    if (sum != 3 * (uint64_t)n)
        hb_fail("resolve-hot: wrong sum");
    hb_arena_done(&a, 1);
    return t;
}

/* passes over the live objects through their handles. */
HB_COUNTED uint64_t hb_cold_handle(const arena_t *a, const handle_t *hs, size_t live, size_t passes)
{
    uint64_t sum = 0;
    for (size_t r = 0; r < passes; r++)
        for (size_t k = 0; k < live; k++) {
            const uint64_t *p = arena_get(a, hs[k]);
            if (p == NULL)
                hb_fail("resolve-cold: a live handle resolved to NULL");
            sum += *p;
        }
    return sum;
}

/* passes over the same objects, in the same order, through pointers. */
HB_COUNTED uint64_t hb_cold_pointer(const uint64_t *const *ps, size_t live, size_t passes)
{
    uint64_t sum = 0;
    for (size_t r = 0; r < passes; r++)
        for (size_t k = 0; k < live; k++)
            sum += *ps[k];
    return sum;
}

/* resolve-cold: HB_COLD_LIVE objects, a random permutation of them, whole
 * passes until at least n accesses; *ops = accesses made. */
static uint64_t hb_resolve_cold(bool handle, size_t lo, size_t hi, size_t n, size_t *ops)
{
    arena_t a;
    hb_arena_init(&a);
    size_t live = HB_COLD_LIVE, passes = (n + live - 1) / live;
    handle_t *hs = bh_xmalloc(live * sizeof *hs);
    const uint64_t **ps = bh_xmalloc(live * sizeof *ps);
    rng_t r = {0xc01d};
    for (size_t j = 0; j < live; j++) {
        hs[j] = arena_alloc(&a, hb_draw(&r, lo, hi));
        if (hs[j] == HANDLE_NULL)
            hb_fail("arena_alloc failed");
        *(uint64_t *)arena_get(&a, hs[j]) = j;
    }
    for (size_t j = live - 1; j > 0; j--) { /* Fisher-Yates */
        size_t k = (size_t)rng_below(&r, j + 1);
        handle_t t = hs[j];
        hs[j] = hs[k];
        hs[k] = t;
    }
    for (size_t j = 0; j < live; j++)
        ps[j] = arena_get(&a, hs[j]);
    uint64_t t0 = clock_now_ns();
    uint64_t sum = handle ? hb_cold_handle(&a, hs, live, passes) : hb_cold_pointer(ps, live, passes);
    uint64_t t = clock_now_ns() - t0;
    if (sum != (uint64_t)passes * live * (live - 1) / 2)
        hb_fail("resolve-cold: wrong sum");
    hb_arena_done(&a, live);
    free(hs);
    free(ps);
    *ops = passes * live;
    return t;
}

/* ---- the worker: alloc+free pairs ------------------------------------------ */

/* The allocator of a pair worker. */
typedef struct hb_heap {
    bool arena;     /* arena_alloc/arena_release, else slabs_alloc/slabs_free */
    arena_t a;      /* the arena */
    slabs_t s;      /* the slabs */
    uint16_t *ring; /* HB_RING object sizes, walked in order */
} hb_heap_t;

/* An object's name: a handle, or a pointer for slabs. */
typedef union hb_name {
    handle_t h;
    void *p;
} hb_name_t;

/* Every object of pair-hot is stored here, so the compiler keeps the pair. */
static volatile uint64_t hb_sink;

/* Allocates size bytes, writes v into the first word, returns the name.
 * arena is a constant at every call site, so each loop calls one allocator. */
HB_INLINE hb_name_t hb_alloc(hb_heap_t *hp, bool arena, size_t size, uint64_t v)
{
    hb_name_t n;
    uint64_t *p;
    if (arena) {
        n.h = arena_alloc(&hp->a, size);
        p = arena_get(&hp->a, n.h);
    } else {
        p = n.p = slabs_alloc(&hp->s, size);
    }
    if (p == NULL)
        hb_fail("allocation failed");
    *p = v;
    return n;
}

HB_INLINE void hb_free(hb_heap_t *hp, bool arena, hb_name_t n)
{
    if (arena)
        arena_release(&hp->a, n.h);
    else
        slabs_free(&hp->s, n.p);
}

/* pair-hot: n times allocate, write, free. */
HB_INLINE uint64_t hb_pair_hot(hb_heap_t *hp, bool arena, size_t n)
{
    uint64_t t0 = clock_now_ns();
    for (size_t i = 0; i < n; i++) {
        hb_name_t o = hb_alloc(hp, arena, hp->ring[i & (HB_RING - 1)], i);
        hb_sink = arena ? o.h : (uint64_t)(uintptr_t)o.p;
        hb_free(hp, arena, o);
    }
    return clock_now_ns() - t0;
}

/* One round of pair-batch from object number first; if check, the objects
 * are verified before they are freed. */
HB_INLINE void hb_batch_round(hb_heap_t *hp, bool arena, size_t first, bool check)
{
    static hb_name_t obj[HB_BATCH];
    for (size_t i = 0; i < HB_BATCH; i++)
        obj[i] = hb_alloc(hp, arena, hp->ring[(first + i) & (HB_RING - 1)], i);
    for (size_t i = 0; check && i < HB_BATCH; i++) {
        const uint64_t *p = arena ? arena_get(&hp->a, obj[i].h) : obj[i].p;
        if (p == NULL || *p != i)
            hb_fail("pair-batch: an object lost its contents");
    }
    for (size_t i = 0; i < HB_BATCH; i++)
        hb_free(hp, arena, obj[i]);
}

/* pair-batch: rounds of hb_batch_round(), then one untimed, checked round. */
HB_INLINE uint64_t hb_pair_batch(hb_heap_t *hp, bool arena, size_t rounds)
{
    uint64_t t0 = clock_now_ns();
    for (size_t r = 0; r < rounds; r++)
        hb_batch_round(hp, arena, r * HB_BATCH, false);
    uint64_t t = clock_now_ns() - t0;
    hb_batch_round(hp, arena, rounds * HB_BATCH, true);
    return t;
}

/* The pair loops for each allocator, each with its calls direct. */
static uint64_t hb_pairs_arena(hb_heap_t *hp, bool batch, size_t n)
{
    return batch ? hb_pair_batch(hp, true, n / HB_BATCH) : hb_pair_hot(hp, true, n);
}

static uint64_t hb_pairs_slabs(hb_heap_t *hp, bool batch, size_t n)
{
    return batch ? hb_pair_batch(hp, false, n / HB_BATCH) : hb_pair_hot(hp, false, n);
}

/* pair-hot or pair-batch (rounded up to whole rounds); *ops = pairs. */
static uint64_t hb_pairs(bool arena, bool batch, size_t lo, size_t hi, size_t n, size_t *ops)
{
    static hb_heap_t hp;
    hp.arena = arena;
    hp.ring = bh_xmalloc(HB_RING * sizeof *hp.ring);
    rng_t r = {0x9a1e};
    for (size_t i = 0; i < HB_RING; i++)
        hp.ring[i] = (uint16_t)hb_draw(&r, lo, hi);
    *ops = batch ? (n + HB_BATCH - 1) / HB_BATCH * HB_BATCH : n;
    uint64_t t;
    if (arena) {
        hb_arena_init(&hp.a);
        t = hb_pairs_arena(&hp, batch, *ops);
        hb_arena_done(&hp.a, 0);
    } else {
        if (slabs_init(&hp.s, &(slabs_config_t){0}) != 0)
            hb_fail("slabs_init failed");
        t = hb_pairs_slabs(&hp, batch, *ops);
        if (slabs_check(&hp.s) != 0)
            hb_fail("slabs_check failed after the run");
        slabs_destroy(&hp.s);
    }
    free(hp.ring);
    return t;
}

/* ---- the worker: interning -------------------------------------------------- */

/* The distinct words, in order of first appearance. */
typedef struct hb_words {
    char **word;     /* NUL-terminated */
    size_t *len;     /* their lengths */
    size_t n;        /* distinct words */
    size_t tokens;   /* words read, repeats included */
    size_t files;    /* files read; 0 = the generated vocabulary */
} hb_words_t;

/* Adds the word w[0..len) if it is new (seen dedups, untimed). */
static void hb_words_add(hb_words_t *w, GHashTable *seen, const char *s, size_t len, size_t *cap)
{
    w->tokens++;
    char *copy = g_strndup(s, len);
    if (g_hash_table_contains(seen, copy)) {
        g_free(copy);
        return;
    }
    g_hash_table_add(seen, copy);
    if (w->n == *cap) {
        *cap = *cap ? 2 * *cap : 1024;
        w->word = g_realloc(w->word, *cap * sizeof *w->word);
        w->len = g_realloc(w->len, *cap * sizeof *w->len);
    }
    w->word[w->n] = copy;
    w->len[w->n++] = len;
}

static bool hb_word_char(char c)
{
    return g_ascii_isalnum(c) || c == '_';
}

/* Adds the words of one file; false if it cannot be read. */
static bool hb_words_file(hb_words_t *w, GHashTable *seen, const char *path, size_t *cap)
{
    gchar *text;
    gsize size;
    if (!g_file_get_contents(path, &text, &size, NULL))
        return false;
    for (gsize i = 0; i < size;) {
        gsize j = i;
        while (j < size && hb_word_char(text[j]))
            j++;
        if (j > i)
            hb_words_add(w, seen, text + i, j - i, cap);
        i = j + 1;
    }
    g_free(text);
    w->files++;
    return true;
}

/* Names in dir ending in ".md", sorted, as scandir() filters them. */
static int hb_is_md(const struct dirent *d)
{
    size_t n = strlen(d->d_name);
    return n > 3 && strcmp(d->d_name + n - 3, ".md") == 0;
}

/* The words of ROOT/README.md and ROOT/docs/NAME.md, or the generated
 * vocabulary. */
static void hb_words_load(hb_words_t *w, const char *root)
{
    GHashTable *seen = g_hash_table_new(g_str_hash, g_str_equal); /* keys owned by w */
    size_t cap = 0;
    char path[4096];
    *w = (hb_words_t){0};
    snprintf(path, sizeof path, "%s/README.md", root);
    hb_words_file(w, seen, path, &cap);
    snprintf(path, sizeof path, "%s/docs", root);
    struct dirent **names;
    int n = scandir(path, &names, hb_is_md, alphasort);
    for (int i = 0; i < n; i++) {
        snprintf(path, sizeof path, "%s/docs/%s", root, names[i]->d_name);
        hb_words_file(w, seen, path, &cap);
        free(names[i]);
    }
    if (n >= 0)
        free(names);
    if (w->n == 0) {
        rng_t r = {0x707d};
        char word[16];
        w->files = 0;
        for (size_t k = 0; k < HB_VOCABULARY; k++) {
            size_t len = hb_draw(&r, 2, 12);
            for (size_t c = 0; c < len; c++)
                word[c] = (char)('a' + rng_below(&r, 26));
            hb_words_add(w, seen, word, len, &cap);
        }
    }
    g_hash_table_destroy(seen);
}

/* The interner of an intern worker: GStringChunk or arena. */
typedef struct hb_interner {
    bool arena;          /* arena_intern, else g_string_chunk_insert_const */
    arena_t a;           /* the arena */
    GStringChunk *chunk; /* the chunk */
} hb_interner_t;

/* An intern call's answer: a handle (as a number) or a pointer. */
HB_INLINE uintptr_t hb_intern(hb_interner_t *in, bool arena, const hb_words_t *w, size_t i)
{
    if (arena)
        return arena_intern(&in->a, w->word[i], w->len[i]);
    return (uintptr_t)g_string_chunk_insert_const(in->chunk, w->word[i]);
}

static void hb_interner_new(hb_interner_t *in)
{
    if (in->arena)
        hb_arena_init(&in->a);
    else
        in->chunk = g_string_chunk_new(HB_CHUNK_SIZE);
}

/* Checks that answer[i] holds word i, then frees the interner; hits: the
 * arena's count of hits (ignored for the chunk). */
static void hb_interner_done(hb_interner_t *in, const hb_words_t *w, const uintptr_t *answer, size_t hits)
{
    for (size_t i = 0; i < w->n; i++) {
        const char *s = in->arena ? arena_get(&in->a, (handle_t)answer[i]) : (const char *)answer[i];
        if (s == NULL || strcmp(s, w->word[i]) != 0)
            hb_fail("intern: an answer does not hold its word");
    }
    if (!in->arena) {
        g_string_chunk_free(in->chunk);
        return;
    }
    arena_stats_t st;
    arena_stats(&in->a, &st);
    if (st.interned != w->n || st.intern_hits != hits)
        hb_fail("intern: the arena's counts are wrong");
    hb_arena_done(&in->a, w->n);
}

/* intern-miss: rounds of every word into a fresh interner. */
HB_INLINE uint64_t hb_intern_miss(hb_interner_t *in, bool arena, const hb_words_t *w, uintptr_t *answer,
                                  size_t rounds)
{
    uint64_t t = 0;
    for (size_t r = 0; r < rounds; r++) {
        hb_interner_new(in);
        uint64_t t0 = clock_now_ns();
        for (size_t i = 0; i < w->n; i++)
            answer[i] = hb_intern(in, arena, w, i);
        t += clock_now_ns() - t0;
        hb_interner_done(in, w, answer, 0);
    }
    return t;
}

/* intern-hit: one untimed pass, then rounds of every word again. */
HB_INLINE uint64_t hb_intern_hit(hb_interner_t *in, bool arena, const hb_words_t *w, uintptr_t *answer,
                                 size_t rounds)
{
    hb_interner_new(in);
    for (size_t i = 0; i < w->n; i++)
        answer[i] = hb_intern(in, arena, w, i);
    uintptr_t bad = 0;
    uint64_t t0 = clock_now_ns();
    for (size_t r = 0; r < rounds; r++)
        for (size_t i = 0; i < w->n; i++)
            bad |= hb_intern(in, arena, w, i) ^ answer[i];
    uint64_t t = clock_now_ns() - t0;
    if (bad)
        hb_fail("intern-hit: a second insert gave another answer than the first");
    hb_interner_done(in, w, answer, rounds * w->n);
    return t;
}

static uint64_t hb_intern_arena(hb_interner_t *in, bool hit, const hb_words_t *w, uintptr_t *ans, size_t rounds)
{
    return hit ? hb_intern_hit(in, true, w, ans, rounds) : hb_intern_miss(in, true, w, ans, rounds);
}

static uint64_t hb_intern_chunk(hb_interner_t *in, bool hit, const hb_words_t *w, uintptr_t *ans, size_t rounds)
{
    return hit ? hb_intern_hit(in, false, w, ans, rounds) : hb_intern_miss(in, false, w, ans, rounds);
}

/* intern-miss or intern-hit over the words under root: whole rounds until
 * at least n calls; *ops = calls. */
static uint64_t hb_interning(bool arena, bool hit, const char *root, size_t n, size_t *ops)
{
    static hb_interner_t in;
    hb_words_t w;
    hb_words_load(&w, root);
    uintptr_t *answer = bh_xmalloc(w.n * sizeof *answer);
    size_t rounds = (n + w.n - 1) / w.n;
    in.arena = arena;
    uint64_t t = arena ? hb_intern_arena(&in, hit, &w, answer, rounds) : hb_intern_chunk(&in, hit, &w, answer, rounds);
    *ops = rounds * w.n;
    free(answer);
    return t;
}

/* bench_handles --worker ALLOC WORKLOAD ARG N */
static int hb_worker(int argc, char **argv)
{
    if (argc != 6)
        bh_die("usage: bench_handles --worker pointer|handle resolve-hot|resolve-cold SIZES N\n"
               "       bench_handles --worker slabs|arena pair-hot|pair-batch SIZES N\n"
               "       bench_handles --worker chunk|arena intern-miss|intern-hit ROOT N");
    const char *alloc = argv[2], *work = argv[3], *arg = argv[4];
    size_t n = bh_count(argv[5], "N"), ops = n, lo = 0, hi = 0;
    uint64_t ns;
    bool resolve = strncmp(work, "resolve-", 8) == 0, pair = strncmp(work, "pair-", 5) == 0;
    if (resolve || pair)
        hb_sizes(arg, &lo, &hi);
    if (resolve && (strcmp(alloc, "pointer") == 0 || strcmp(alloc, "handle") == 0)) {
        bool handle = strcmp(alloc, "handle") == 0;
        if (strcmp(work, "resolve-hot") == 0)
            ns = hb_resolve_hot(handle, hi, n);
        else if (strcmp(work, "resolve-cold") == 0)
            ns = hb_resolve_cold(handle, lo, hi, n, &ops);
        else
            bh_die("unknown workload %s", work);
    } else if (pair && (strcmp(alloc, "slabs") == 0 || strcmp(alloc, "arena") == 0)) {
        if (strcmp(work, "pair-hot") != 0 && strcmp(work, "pair-batch") != 0)
            bh_die("unknown workload %s", work);
        ns = hb_pairs(strcmp(alloc, "arena") == 0, strcmp(work, "pair-batch") == 0, lo, hi, n, &ops);
    } else if ((strcmp(work, "intern-miss") == 0 || strcmp(work, "intern-hit") == 0) &&
               (strcmp(alloc, "chunk") == 0 || strcmp(alloc, "arena") == 0)) {
        ns = hb_interning(strcmp(alloc, "arena") == 0, strcmp(work, "intern-hit") == 0, arg, n, &ops);
    } else {
        bh_die("unknown allocator %s for workload %s", alloc, work);
    }
    char name[64], version[128];
    bh_malloc_identity(name, sizeof name, version, sizeof version);
    printf("ns_per_op=%.4f ops=%zu peak_rss_kib=%ld malloc=%s\n", (double)ns / (double)ops, ops, bh_peak_rss_kib(),
           name);
    return 0;
}

/* ---- the driver: cells ------------------------------------------------------------ */

/* Callgrind toggles: the functions counted for each side of each cell. */
static const char *const hb_tg_arena_pair[] = {"arena_alloc", "arena_release", NULL};
static const char *const hb_tg_slabs_pair[] = {"slabs_alloc", "slabs_free", NULL};
static const char *const hb_tg_hot_handle[] = {"hb_hot_handle", NULL};
static const char *const hb_tg_hot_pointer[] = {"hb_hot_pointer", NULL};
static const char *const hb_tg_cold_handle[] = {"hb_cold_handle", NULL};
static const char *const hb_tg_cold_pointer[] = {"hb_cold_pointer", NULL};
static const char *const hb_tg_arena_intern[] = {"arena_intern", NULL};
static const char *const hb_tg_chunk_intern[] = {"g_string_chunk_insert_const", NULL};

/* The two sides of a cell: the baseline, then the arena. */
enum { HB_BASE, HB_OWN, HB_NSIDE };

/* One cell: a workload measured for its baseline and for the arena. */
typedef struct hb_cell {
    const char *label;                      /* table and chart label */
    const char *workload;                   /* the worker's WORKLOAD */
    const char *sizes;                      /* the worker's ARG (NULL: the repository root) */
    const char *alloc[HB_NSIDE];            /* the worker's ALLOC, baseline and arena */
    const char *name[HB_NSIDE];             /* what the table calls them */
    const char *unit;                       /* what one op is */
    size_t n_full;                          /* ops per measurement in a full run */
    size_t n_quick;                         /* ops in a quick run */
    double target;                          /* largest arena / baseline time; 0 = no target */
    const char *const *toggles[HB_NSIDE];   /* callgrind: functions counted; NULL = not counted */
    size_t n_count;                         /* callgrind: ops of the first count (0 = the default) */
} hb_cell_t;

static const hb_cell_t hb_cells[] = {
    {"resolve hot", "resolve-hot", "64", {"pointer", "handle"}, {"raw pointer", "handle"}, "access", 100000000,
     1000000, 2.0, {hb_tg_hot_pointer, hb_tg_hot_handle}, 0},
    {"resolve cold", "resolve-cold", "16-64", {"pointer", "handle"}, {"raw pointer", "handle"}, "access", 10000000,
     1000000, 2.0, {hb_tg_cold_pointer, hb_tg_cold_handle}, HB_COLD_LIVE},
    {"pair hot", "pair-hot", "16-64", {"slabs", "arena"}, {"slabs pair", "arena pair"}, "alloc+free pair",
     10000000, 200000, 1.5, {hb_tg_slabs_pair, hb_tg_arena_pair}, 0},
    {"pair batch", "pair-batch", "16-64", {"slabs", "arena"}, {"slabs pair", "arena pair"}, "alloc+free pair",
     10000000, 100000, 1.5, {hb_tg_slabs_pair, hb_tg_arena_pair}, 0},
    {"intern miss", "intern-miss", NULL, {"chunk", "arena"}, {"GStringChunk", "arena_intern"}, "call", 2000000,
     50000, 0, {hb_tg_chunk_intern, hb_tg_arena_intern}, 0},
    {"intern hit", "intern-hit", NULL, {"chunk", "arena"}, {"GStringChunk", "arena_intern"}, "call", 10000000,
     50000, 0, {hb_tg_chunk_intern, hb_tg_arena_intern}, 0},
};
#define HB_NCELL (sizeof hb_cells / sizeof hb_cells[0])

/* The statistics of one side of one cell. */
typedef struct hb_result {
    double ns[64]; /* samples of ns per op */
    double med;    /* median */
    double lo;     /* min */
    double hi;     /* max */
    double rss;    /* peak RSS in KiB, median */
    double instr;  /* instructions per op; NAN = not counted */
} hb_result_t;

/* The driver's options and results. */
typedef struct hb_state {
    bh_opts_t opt;                       /* the command line (harness.h) */
    const char *root;                    /* where the words come from (--root) */
    bh_comp_t comp;                      /* what every worker must run on (glibc, no preload) */
    hb_result_t res[HB_NCELL][HB_NSIDE]; /* results */
} hb_state_t;

/* What a worker's line must hold, and its sensible bounds. */
static const bh_line_spec_t hb_line = {"ns_per_op", 1e-4, 1e6, "ops", 1e8};

/* The worker's command line for side s of cell c with n ops (numbuf holds
 * the number). */
static void hb_argv(const hb_state_t *st, size_t c, size_t s, size_t n, char *numbuf, size_t size, char **argv)
{
    snprintf(numbuf, size, "%zu", n);
    argv[0] = (char *)st->opt.self;
    argv[1] = (char *)"--worker";
    argv[2] = (char *)hb_cells[c].alloc[s];
    argv[3] = (char *)hb_cells[c].workload;
    argv[4] = (char *)(hb_cells[c].sizes ? hb_cells[c].sizes : st->root);
    argv[5] = numbuf;
    argv[6] = NULL;
}

/* The cell hb_rounds_measure() measures. */
typedef struct hb_at {
    const hb_state_t *st; /* the run */
    size_t c;             /* the cell */
} hb_at_t;

/* One measurement of side i for bh_rounds(): ns per op, peak RSS. */
static void hb_rounds_measure(void *ctx, size_t i, double *v)
{
    const hb_at_t *at = ctx;
    const hb_cell_t *cell = &hb_cells[at->c];
    size_t n = at->st->opt.quick ? cell->n_quick : cell->n_full;
    char num[32], out[512], *argv[7];
    hb_argv(at->st, at->c, i, n, num, sizeof num, argv);
    v[0] = bh_measure(&at->st->comp, argv, at->st->opt.quick ? 60 : 300, &hb_line, n, &v[1], out, sizeof out);
}

/* Measures one cell (warm-up, then reps rounds, the sides interleaved) and
 * prints its table. */
static void hb_run_cell(hb_state_t *st, size_t c)
{
    static double sample[HB_NSIDE][BH_NQ][64];
    const bool on[HB_NSIDE] = {true, true};
    const hb_cell_t *cell = &hb_cells[c];
    bh_rounds(HB_NSIDE, on, st->opt.quick, st->opt.reps, hb_rounds_measure, &(hb_at_t){st, c}, sample);
    printf("\n%s: ns per %s (median of %zu%s)\n", cell->label, cell->unit, st->opt.reps,
           bh_warmup_note(st->opt.quick));
    printf("  %-14s %9s %9s %9s %14s %12s\n", "", "median", "min", "max", "time / base", "peak RSS KiB");
    for (size_t s = 0; s < HB_NSIDE; s++) {
        hb_result_t *r = &st->res[c][s];
        memcpy(r->ns, sample[s][0], st->opt.reps * sizeof(double));
        bh_stats(r->ns, st->opt.reps, &r->med, &r->lo, &r->hi);
        r->rss = bh_median(sample[s][1], st->opt.reps);
    }
    for (size_t s = 0; s < HB_NSIDE; s++) {
        const hb_result_t *r = &st->res[c][s];
        printf("  %-14s %9.3f %9.3f %9.3f %13.2fx %12.0f\n", cell->name[s], r->med, r->lo, r->hi,
               r->med / st->res[c][HB_BASE].med, r->rss);
    }
    fflush(stdout);
}

/* arena (or handle) time / baseline time of cell c. */
static double hb_ratio(const hb_state_t *st, size_t c)
{
    return st->res[c][HB_OWN].med / st->res[c][HB_BASE].med;
}

/* Every cell's ratio at a glance. */
static void hb_print_summary(const hb_state_t *st)
{
    printf("\nTime relative to the baseline (arena median / baseline median; < 1 = the arena is faster)\n");
    printf("  %-14s %-16s %12s %-16s %12s %10s\n", "cell", "baseline", "ns/op", "arena side", "ns/op", "ratio");
    for (size_t c = 0; c < HB_NCELL; c++)
        printf("  %-14s %-16s %12.3f %-16s %12.3f %9.2fx\n", hb_cells[c].label, hb_cells[c].name[HB_BASE],
               st->res[c][HB_BASE].med, hb_cells[c].name[HB_OWN], st->res[c][HB_OWN].med, hb_ratio(st, c));
}

/* ---- the driver: instruction counts ----------------------------------------------- */

/* A count, or n/a, right-aligned in width w, into buf. */
static const char *hb_count_text(double v, int w, char *buf, size_t size)
{
    if (isnan(v))
        snprintf(buf, size, "%*s", w, "n/a");
    else
        snprintf(buf, size, "%*.2f", w, v);
    return buf;
}

/* One line of the instruction table: both sides, their ratio, the
 * functions counted. */
static void hb_print_instructions(const hb_state_t *st, size_t c)
{
    const hb_cell_t *cell = &hb_cells[c];
    const char *const *tb = cell->toggles[HB_BASE], *const *to = cell->toggles[HB_OWN];
    double base = st->res[c][HB_BASE].instr, own = st->res[c][HB_OWN].instr;
    char b[32], o[32], r[32] = "     n/a";
    if (!isnan(own / base))
        snprintf(r, sizeof r, "%7.2fx", own / base);
    printf("  %-14s %s %s %s   %s%s%s vs %s%s%s\n", cell->label, hb_count_text(base, 12, b, sizeof b),
           hb_count_text(own, 12, o, sizeof o), r, tb[0],
           tb[1] ? " + " : "", tb[1] ? tb[1] : "", to[0], to[1] ? " + " : "", to[1] ? to[1] : "");
    fflush(stdout);
}

/* Instructions per op with callgrind for every cell that names toggles (the
 * arena side of pair-hot alone in a quick run, which fails if callgrind
 * runs but counts nothing: the harness would be broken). */
static void hb_count_instructions(hb_state_t *st)
{
    for (size_t c = 0; c < HB_NCELL; c++)
        st->res[c][HB_BASE].instr = st->res[c][HB_OWN].instr = NAN;
    if (!bh_callgrind_ready(st->opt.callgrind))
        return;
    size_t n0 = st->opt.quick ? 2000 : 100000;
    printf("\nInstructions per op (callgrind; counted inside the functions named and their callees;\n"
           "(count(2N ops) - count(N ops)) / N, N = %zu, or %d for resolve cold: whole passes)\n", n0,
           HB_COLD_LIVE);
    printf("  %-14s %12s %12s %8s   %s\n", "cell", "baseline", "arena side", "ratio", "functions");
    for (size_t c = 0; c < HB_NCELL; c++) {
        const hb_cell_t *cell = &hb_cells[c];
        if (cell->toggles[HB_OWN] == NULL || (st->opt.quick && strcmp(cell->workload, "pair-hot") != 0))
            continue;
        size_t n = cell->n_count ? cell->n_count : n0;
        for (size_t k = 0; k < HB_NSIDE; k++) {
            size_t s = HB_NSIDE - 1 - k; /* the arena side first */
            if (st->opt.quick && s == HB_BASE)
                continue;
            bool ran = true;
            char num[32], *argv[7];
            hb_argv(st, c, s, n, num, sizeof num, argv);
            st->res[c][s].instr = bh_callgrind_slope(argv, 5, n, NULL, cell->toggles[s], 600, &ran);
            if (!ran) {
                printf("  note: callgrind could not run this program (see its messages above); no counts\n");
                return;
            }
            if (st->opt.quick && isnan(st->res[c][s].instr))
                bh_die("callgrind ran but counted nothing in arena_alloc and arena_release");
        }
        hb_print_instructions(st, c);
    }
}

/* ---- the driver: targets, CSV, SVG ------------------------------------------------- */

static void hb_print_targets(const hb_state_t *st)
{
    printf("\nTargets (T5: time of the arena side / time of the baseline)\n");
    if (st->opt.quick) {
        printf("  not evaluated in a quick run\n");
        return;
    }
    for (size_t c = 0; c < HB_NCELL; c++) {
        const hb_cell_t *cell = &hb_cells[c];
        char label[96];
        if (cell->target == 0)
            continue;
        snprintf(label, sizeof label, "T5 %s, %s vs %s: <= %gx", cell->label, cell->name[HB_OWN],
                 cell->name[HB_BASE], cell->target);
        printf("  %-54s %6.2fx  %s\n", label, hb_ratio(st, c), hb_ratio(st, c) <= cell->target ? "MET" : "MISSED");
    }
}

/* Every sample as CSV, then the instruction counts (ctx: the run). */
static void hb_write_csv(const void *ctx)
{
    const hb_state_t *st = ctx;
    FILE *f = bh_csv_open(st->opt.csv, "cell,workload,side,name,unit,reps,median_ns,min_ns,max_ns,"
                                       "ratio_to_baseline,peak_rss_kib,instructions_per_op,samples_ns\n");
    for (size_t c = 0; c < HB_NCELL; c++)
        for (size_t s = 0; s < HB_NSIDE; s++) {
            const hb_result_t *r = &st->res[c][s];
            fprintf(f, "%s,%s,%s,%s,ns per %s,%zu,%.4f,%.4f,%.4f,%.4f,%.0f,", hb_cells[c].label,
                    hb_cells[c].workload, s == HB_BASE ? "baseline" : "arena", hb_cells[c].name[s], hb_cells[c].unit,
                    st->opt.reps, r->med, r->lo, r->hi, r->med / st->res[c][HB_BASE].med, r->rss);
            if (!isnan(r->instr))
                fprintf(f, "%.2f", r->instr);
            fputc(',', f);
            bh_csv_samples(f, r->ns, st->opt.reps);
        }
    bh_csv_close(f, st->opt.csv);
}

/* The chart: each cell's arena time over its baseline's, on a log2 axis
 * around the baseline line (ctx: the run). */
static void hb_write_svg(const void *ctx)
{
    const hb_state_t *st = ctx;
    const char *label[HB_NCELL], *section[HB_NCELL];
    double value[HB_NCELL];
    char subtitle[512];
    static const char *const series[] = {"arena side (handle, arena pair, arena_intern)"};
    static const char *const colour[] = {"#e15759"};
    for (size_t c = 0; c < HB_NCELL; c++) {
        label[c] = hb_cells[c].label;
        section[c] = hb_cells[c].name[HB_BASE];
        value[c] = hb_ratio(st, c);
    }
    bh_chart_subtitle(subtitle, sizeof subtitle, st->opt.reps);
    bh_chart_t chart = {
        .title = "Stage 03: time relative to the baseline (lower is faster; targets 2x resolve, 1.5x pairs)",
        .subtitle = subtitle,
        .y_label = "arena time / baseline time (log scale)",
        .groups = HB_NCELL,
        .group_label = label,
        .group_section = section,
        .series = 1,
        .series_name = series,
        .series_colour = colour,
        .value = value,
        .log_scale = true,
        .reference = 1.0,
        .reference_label = "baseline = 1",
        .highlight = 0,
    };
    if (!bh_svg_write(st->opt.svg, &chart))
        bh_die("cannot write %s", st->opt.svg);
    printf("wrote %s\n", st->opt.svg);
}

/* ---- the driver: putting it together ------------------------------------------------ */

static _Noreturn void hb_usage(void)
{
    fprintf(stderr, "usage: bench_handles [--quick] [--reps N] [--csv FILE] [--svg FILE] [--no-callgrind]\n"
                    "                     [--root DIR]\n"
                    "       bench_handles --worker ALLOC WORKLOAD ARG N\n"
                    "       bench_handles --probe\n");
    exit(2);
}

/* This program's own option for bh_parse_opts() (ctx: the run): --root DIR. */
static bool hb_parse_own(void *ctx, int argc, char **argv, int *i)
{
    hb_state_t *st = ctx;
    if (strcmp(argv[*i], "--root") != 0 || *i + 1 >= argc)
        return false;
    st->root = argv[++*i];
    return true;
}

/* Probes that the workers run (on glibc, nothing preloaded) and says where
 * the words come from. */
static void hb_prepare(hb_state_t *st)
{
    static const char *const none[] = {NULL};
    st->comp = (bh_comp_t){"arena", "arena", NULL, NULL, "glibc", none, false, "", ""};
    bh_probe_all(&st->comp, 1);
    if (!st->comp.present)
        bh_die("the workers do not run on glibc's malloc (is LD_PRELOAD set?)");
    hb_words_t w;
    hb_words_load(&w, st->root);
    printf("gstring  : GLib %u.%u.%u, g_string_chunk_insert_const, chunks of %d bytes\n", glib_major_version,
           glib_minor_version, glib_micro_version, HB_CHUNK_SIZE);
    if (w.files)
        printf("words    : %zu distinct of %zu, from %s/README.md and %s/docs/*.md (%zu files)\n", w.n, w.tokens,
               st->root, st->root, w.files);
    else
        printf("words    : %zu distinct, generated (no README.md or docs/*.md under %s)\n", w.n, st->root);
}

static int hb_driver(int argc, char **argv)
{
    static hb_state_t st;
    st.root = ".";
    bh_parse_opts(&st.opt, argc, argv, hb_parse_own, &st, hb_usage);
    uint64_t t0 = bh_driver_begin(&st.opt, "stage 03 benchmark: handles vs raw pointers, arena vs slabs, interning");
    hb_prepare(&st);
    printf("\nEach cell: the arena side against its baseline, interleaved, in fresh worker processes.\n"
           "resolve: one object (hot) or 10^6 objects of 16-64 B in random order (cold), the first word of\n"
           "each read through arena_get() or through a raw pointer to the same object; pair: arena_alloc +\n"
           "arena_release against slabs_alloc + slabs_free, 16-64 B, one at a time (hot) or 1000 then all\n"
           "freed (batch); intern: arena_intern against g_string_chunk_insert_const, every distinct word\n"
           "into a fresh one (miss), then all of them again (hit).\n");
    for (size_t c = 0; c < HB_NCELL; c++)
        hb_run_cell(&st, c);
    hb_print_summary(&st);
    hb_count_instructions(&st);
    hb_print_targets(&st);
    return bh_driver_end(&st.opt, t0, hb_write_csv, hb_write_svg, &st);
}

int main(int argc, char **argv)
{
    return bh_main(argc, argv, hb_worker, hb_driver);
}

/*
 * bench_amap.c - stage 04 benchmark: the arena map (amap.h) against GLib's
 * GHashTable, uthash and the C++ flat maps, per operation, per byte, and
 * for a whole request's attributes.
 *
 * Usage:
 *   bench_amap [--quick] [--reps N] [--csv FILE] [--svg FILE]
 *       the driver: runs every measurement in a fresh worker process and
 *       prints the tables and the targets
 *   bench_amap --worker MAP WORKLOAD ARG N
 *       one measurement; prints one line of key=value fields ending in
 *       ops=N peak_rss_kib=K malloc=NAME
 *   bench_amap --probe
 *       prints the name and version of the malloc the process runs on
 *
 * Sizes: 10^3, 2*10^5, 2*10^6 and 2*10^7 entries; the largest only when
 * /proc/meminfo's MemAvailable is 8 GiB or more, only for the maps targets
 * T7 compares (amap, GHashTable, the C++ flat maps: the node-based maps
 * take minutes per run there), and without a warm-up round.  --quick: 10^3
 * and 2*10^4 entries, 2*10^4 operations per phase, one repetition.
 *
 * Workloads:
 *   u64, str    MAP amap|ghash|uthash|std|absl|boost, ARG the entries S,
 *               N the operations per phase.  Keys: u64 keys are
 *               rng_mix(i) (distinct: it is a bijection); string keys are
 *               the 16 hex digits of the same numbers (16 bytes, then a
 *               NUL the maps do not store).  Entry i has the value i + 1.
 *               Absent keys for misses come from i >= S.  A round: a new
 *               empty map (no reservation), then five timed phases:
 *                 insert  the S keys in order (keys are random, so the
 *                         order in the table is random);
 *                 hit     min(S, N) lookups of present keys in a random
 *                         permutation (fixed seed), values summed;
 *                 miss    as many lookups of absent keys;
 *                 iterate every entry once, values summed (ns per entry);
 *                 erase   min(S, N) keys in the permutation's order;
 *               then the map is destroyed (at 2*10^7 entries it is left to
 *               the process's exit, which is quicker).  Rounds repeat until each phase
 *               has done at least N operations (one round when S >= N).
 *               Every result is checked (sums, counts, lengths).  Bytes
 *               per entry, in the first round after the inserts: the peak
 *               RSS growth of the process (getrusage) over S, for every
 *               map; for amap also its own accounting (amap_stats():
 *               table_bytes + key_bytes + value_bytes) and the peak bytes
 *               the arena held from its page source during the inserts.
 *   mem         MAP amap, ARG the entries S: target T8.  A u64 -> u64 map
 *               filled to the growth point of the largest table whose
 *               growth point is at most S (7/8 of its slots: one more
 *               insert grows it); measured there (table bytes, bytes held
 *               from the source, RSS growth, each per entry); then one
 *               more insert: the peak bytes from the source while the
 *               table grows, per entry; then amap_destroy(): the bytes
 *               the arena holds from its source, against what it held
 *               after arena_init() and before amap_init().
 *   request     MAP ghash|amap-arena|amap-reset|amap-destroy, ARG unused,
 *               N requests.
 *               Each request builds the attributes of one request (10 to
 *               50, string keys of 6 to 31 bytes, 60% string values of 4 to
 *               40 bytes, 40% integers; 64 such requests made before the
 *               clock starts, in turn), as two maps (strings and integers,
 *               one value type per map), reads every attribute back, and
 *               drops everything: GHashTable owning its copies
 *               (g_strdup, g_hash_table_destroy with g_free); amap-arena
 *               with a fresh arena per request, dropped by arena_destroy()
 *               alone; amap-reset in one long-lived arena emptied by
 *               arena_reset() after each request (it keeps its slabs);
 *               amap-destroy in one long-lived arena, each map dropped by
 *               amap_destroy().  ns per request.
 *
 * How each map is used.  amap: amap_put/amap_get/amap_del/amap_next on a
 * map in an arena with the default configuration (index bits enough for
 * one handle per string key).  GHashTable: g_int64_hash with keys pointing
 * into the benchmark's own key array and values in the pointer (its best
 * case: no allocation per key), g_str_hash with keys copied by g_strdup and
 * freed by the table.  uthash: one malloc'd item per entry, the key inside
 * it (8 or 16 bytes), HASH_FIND before HASH_ADD.  C++ maps (amap_shim.h):
 * insert_or_assign, find, erase; std::string keys.  Every map but uthash
 * (macros) is called out of line.
 *
 * Targets (DESIGN §8.2):
 *   T6  up to 2*10^5 keys: hit, miss and insert each >= 2.5x faster than
 *       GHashTable and within 1.2x of the best C++ flat map (absl, boost);
 *   T7  2*10^7 keys: the same, string keys included;
 *   T8  u64 -> u64: <= 22 bytes per entry at peak; after destroy, the
 *       memory held back where it started.
 */
#define _GNU_SOURCE

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "amap.h"
#include "amap_shim.h"
#include "arena.h"
#include "clock.h"
#include "harness.h"
#include "rng.h"
#include "slabs.h"

#if defined(__has_include)
#if __has_include(<uthash.h>)
#include <uthash.h>
#define AB_HAVE_UTHASH 1
#endif
#endif

#define AB_STRING_OF(x) #x
#define AB_STRINGIFY(x) AB_STRING_OF(x) /* uthash's version is a bare 2.3.0 */

#define AB_STR_LEN 16        /* bytes of a string key */
#define AB_REQ_TEMPLATES 64  /* different requests, made before the clock starts */
#define AB_REQ_NAMES 256     /* attribute names to draw from */
#define AB_BIG ((size_t)20000000) /* the largest size, run only when memory allows */
#define AB_BIG_NEED_KIB ((size_t)8 << 20) /* MemAvailable it needs: 8 GiB */

/* ---- the worker: keys ---------------------------------------------------------- */

static _Noreturn void ab_fail(const char *what)
{
    fprintf(stderr, "bench_amap worker: %s\n", what);
    exit(1);
}

/* Key number i: as u64, and as 16 hex digits plus a NUL into s. */
static uint64_t ab_key(size_t i)
{
    return rng_mix((uint64_t)i);
}

static void ab_key_str(size_t i, char *s)
{
    static const char hex[] = "0123456789abcdef";
    uint64_t k = ab_key(i);
    for (int d = 0; d < AB_STR_LEN; d++)
        s[d] = hex[(k >> (4 * d)) & 15];
    s[AB_STR_LEN] = '\0';
}

/* The keys of one run, made (and touched) before the clock starts. */
typedef struct ab_keys {
    bool str;        /* string keys */
    size_t n;        /* present keys: entries */
    size_t m;        /* absent keys, for misses */
    uint64_t *u;     /* n + m u64 keys (str false) */
    char *s;         /* n + m strings of AB_STR_LEN + 1 bytes (str true) */
    uint32_t *perm;  /* a random permutation of 0..n-1 */
} ab_keys_t;

static void ab_keys_make(ab_keys_t *k, bool str, size_t n, size_t m)
{
    *k = (ab_keys_t){.str = str, .n = n, .m = m};
    if (str) {
        k->s = bh_xmalloc((n + m) * (AB_STR_LEN + 1));
        for (size_t i = 0; i < n + m; i++)
            ab_key_str(i, k->s + i * (AB_STR_LEN + 1));
    } else {
        k->u = bh_xmalloc((n + m) * sizeof *k->u);
        for (size_t i = 0; i < n + m; i++)
            k->u[i] = ab_key(i);
    }
    k->perm = bh_xmalloc(n * sizeof *k->perm);
    for (size_t i = 0; i < n; i++)
        k->perm[i] = (uint32_t)i;
    rng_t r = {0xa3a9};
    for (size_t i = n - 1; i > 0; i--) { /* Fisher-Yates */
        size_t j = (size_t)rng_below(&r, i + 1);
        uint32_t t = k->perm[i];
        k->perm[i] = k->perm[j];
        k->perm[j] = t;
    }
}

static const char *ab_str(const ab_keys_t *k, size_t i)
{
    return k->s + i * (AB_STR_LEN + 1);
}

/* ---- the worker: the maps behind one interface ---------------------------------- */

/* The page source of amap's arena: the default one, counted. */
typedef struct ab_counted {
    size_t now;  /* bytes acquired and not released */
    size_t peak; /* highest now */
} ab_counted_t;

static void *ab_counted_acquire(void *ctx, size_t size, size_t align)
{
    ab_counted_t *c = ctx;
    const page_source_t *d = page_source_default();
    void *p = d->acquire(d->ctx, size, align);
    if (p != NULL && (c->now += size) > c->peak)
        c->peak = c->now;
    return p;
}

static void ab_counted_release(void *ctx, void *addr, size_t size)
{
    ab_counted_t *c = ctx;
    const page_source_t *d = page_source_default();
    d->release(d->ctx, addr, size);
    c->now -= size;
}

static ab_counted_t ab_count;
static const page_source_t ab_source = {ab_counted_acquire, ab_counted_release, &ab_count, "counted libc"};

#ifdef AB_HAVE_UTHASH
/* A uthash item: the key inside it. */
typedef struct ab_uh {
    union {
        uint64_t u;
        char s[AB_STR_LEN];
    } key;
    uint64_t value;
    UT_hash_handle hh;
} ab_uh_t;
#endif

/* Which map a worker runs. */
enum ab_kind { AB_AMAP, AB_GHASH, AB_UTHASH, AB_CXX };

/* One map of a u64 or str worker. */
typedef struct ab_map {
    enum ab_kind kind;
    bool str;               /* string keys */
    arena_t a;              /* amap: the arena (kept across rounds) */
    amap_t m;               /* amap: the map */
    GHashTable *g;          /* GHashTable */
#ifdef AB_HAVE_UTHASH
    ab_uh_t *uh;            /* uthash: the head */
#endif
    const shim_ops_t *cxx;  /* the C++ map's calls */
    void *c;                /* the C++ map */
} ab_map_t;

static void ab_map_new(ab_map_t *mp)
{
    switch (mp->kind) {
    case AB_AMAP: {
        amap_config_t cfg = {mp->str ? AMAP_STR : AMAP_U64, AMAP_U64, 0, 0};
        if (amap_init(&mp->m, &mp->a, &cfg) != 0)
            ab_fail("amap_init failed");
        break;
    }
    case AB_GHASH:
        mp->g = mp->str ? g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL)
                        : g_hash_table_new(g_int64_hash, g_int64_equal);
        break;
    case AB_UTHASH:
#ifdef AB_HAVE_UTHASH
        mp->uh = NULL;
#endif
        break;
    case AB_CXX:
        if ((mp->c = mp->cxx->create()) == NULL)
            ab_fail("the C++ map could not be made");
        break;
    }
}

/* Every phase's loop, for one kind: kind is a constant at each call. */
static inline __attribute__((always_inline)) void ab_put(ab_map_t *mp, enum ab_kind kind, const ab_keys_t *k,
                                                         size_t i)
{
    uint64_t v = i + 1;
    bool ok = false;
    if (kind == AB_AMAP) {
        amap_val_t key = k->str ? amap_str(ab_str(k, i), AB_STR_LEN) : amap_u64(k->u[i]);
        ok = amap_put(&mp->m, key, amap_u64(v)) == 1;
    } else if (kind == AB_GHASH) {
        if (k->str)
            ok = g_hash_table_insert(mp->g, g_strdup(ab_str(k, i)), (gpointer)(uintptr_t)v);
        else
            ok = g_hash_table_insert(mp->g, (gpointer)&k->u[i], (gpointer)(uintptr_t)v);
    } else if (kind == AB_UTHASH) {
#ifdef AB_HAVE_UTHASH
        ab_uh_t *it;
        const void *key = k->str ? (const void *)ab_str(k, i) : (const void *)&k->u[i];
        size_t len = k->str ? AB_STR_LEN : sizeof(uint64_t);
        HASH_FIND(hh, mp->uh, key, len, it);
        if (it == NULL) {
            it = bh_xmalloc(sizeof *it);
            memcpy(&it->key, key, len);
            it->value = v;
            HASH_ADD(hh, mp->uh, key, len, it);
            ok = true;
        }
#endif
    } else {
        ok = k->str ? mp->cxx->put_str(mp->c, ab_str(k, i), AB_STR_LEN, v) : mp->cxx->put_u64(mp->c, k->u[i], v);
    }
    if (!ok)
        ab_fail("an insert of a new key did not insert");
}

/* Looks up key i (present or not); the value, or 0. */
static inline __attribute__((always_inline)) uint64_t ab_get(const ab_map_t *mp, enum ab_kind kind,
                                                             const ab_keys_t *k, size_t i)
{
    if (kind == AB_AMAP) {
        amap_val_t key = k->str ? amap_str(ab_str(k, i), AB_STR_LEN) : amap_u64(k->u[i]);
        amap_val_t out;
        return amap_get(&mp->m, key, &out) == 0 ? out.u64 : 0;
    }
    if (kind == AB_GHASH)
        return (uintptr_t)g_hash_table_lookup(mp->g, k->str ? (gconstpointer)ab_str(k, i) : (gconstpointer)&k->u[i]);
    if (kind == AB_UTHASH) {
#ifdef AB_HAVE_UTHASH
        ab_uh_t *it;
        const void *key = k->str ? (const void *)ab_str(k, i) : (const void *)&k->u[i];
        HASH_FIND(hh, mp->uh, key, k->str ? AB_STR_LEN : sizeof(uint64_t), it);
        return it ? it->value : 0;
#endif
    }
    uint64_t v = 0;
    if (k->str ? mp->cxx->get_str(mp->c, ab_str(k, i), AB_STR_LEN, &v) : mp->cxx->get_u64(mp->c, k->u[i], &v))
        return v;
    return 0;
}

static inline __attribute__((always_inline)) void ab_del(ab_map_t *mp, enum ab_kind kind, const ab_keys_t *k,
                                                         size_t i)
{
    bool ok = false;
    if (kind == AB_AMAP) {
        amap_val_t key = k->str ? amap_str(ab_str(k, i), AB_STR_LEN) : amap_u64(k->u[i]);
        ok = amap_del(&mp->m, key) == 0;
    } else if (kind == AB_GHASH) {
        ok = g_hash_table_remove(mp->g, k->str ? (gconstpointer)ab_str(k, i) : (gconstpointer)&k->u[i]);
    } else if (kind == AB_UTHASH) {
#ifdef AB_HAVE_UTHASH
        ab_uh_t *it;
        const void *key = k->str ? (const void *)ab_str(k, i) : (const void *)&k->u[i];
        HASH_FIND(hh, mp->uh, key, k->str ? AB_STR_LEN : sizeof(uint64_t), it);
        if (it != NULL) {
            HASH_DEL(mp->uh, it);
            free(it);
            ok = true;
        }
#endif
    } else {
        ok = k->str ? mp->cxx->del_str(mp->c, ab_str(k, i), AB_STR_LEN) : mp->cxx->del_u64(mp->c, k->u[i]);
    }
    if (!ok)
        ab_fail("an erase of a present key did not erase");
}

/* Sum of the values; *n = entries visited. */
static inline __attribute__((always_inline)) uint64_t ab_sum(const ab_map_t *mp, enum ab_kind kind, size_t *n)
{
    uint64_t s = 0;
    size_t c = 0;
    if (kind == AB_AMAP) {
        amap_iter_t it = amap_iter(&mp->m);
        amap_val_t key, v;
        while (amap_next(&it, &key, &v)) {
            s += v.u64;
            c++;
        }
    } else if (kind == AB_GHASH) {
        GHashTableIter it;
        gpointer key, v;
        g_hash_table_iter_init(&it, mp->g);
        while (g_hash_table_iter_next(&it, &key, &v)) {
            s += (uintptr_t)v;
            c++;
        }
    } else if (kind == AB_UTHASH) {
#ifdef AB_HAVE_UTHASH
        for (const ab_uh_t *it = mp->uh; it != NULL; it = it->hh.next) {
            s += it->value;
            c++;
        }
#endif
    } else {
        s = mp->cxx->sum(mp->c, &c);
    }
    *n = c;
    return s;
}

static size_t ab_map_len(const ab_map_t *mp)
{
    switch (mp->kind) {
    case AB_AMAP:
        return amap_len(&mp->m);
    case AB_GHASH:
        return g_hash_table_size(mp->g);
    case AB_UTHASH:
#ifdef AB_HAVE_UTHASH
        return HASH_COUNT(mp->uh);
#else
        return 0;
#endif
    case AB_CXX:
        return mp->cxx->len(mp->c);
    }
    return 0;
}

static void ab_map_free(ab_map_t *mp)
{
    switch (mp->kind) {
    case AB_AMAP:
        if (amap_check(&mp->m) != 0)
            ab_fail("amap_check found a broken invariant");
        amap_destroy(&mp->m);
        break;
    case AB_GHASH:
        g_hash_table_destroy(mp->g);
        break;
    case AB_UTHASH: {
#ifdef AB_HAVE_UTHASH
        ab_uh_t *it, *tmp;
        HASH_ITER(hh, mp->uh, it, tmp) {
            HASH_DEL(mp->uh, it);
            free(it);
        }
#endif
        break;
    }
    case AB_CXX:
        mp->cxx->destroy(mp->c);
        break;
    }
}

/* ---- the worker: one round of the five phases ----------------------------------- */

/* Nanoseconds of each phase, summed over rounds. */
typedef struct ab_times {
    uint64_t ins, hit, miss, iter, erase;
} ab_times_t;

/* The bytes of the first round, taken right after its inserts. */
typedef struct ab_bytes {
    long rss0;         /* peak RSS before, KiB */
    long rss1;         /* peak RSS after the inserts, KiB */
    size_t own;        /* amap: table + key + value bytes */
    size_t peak;       /* amap: peak bytes from the source during the inserts, over what it held before */
} ab_bytes_t;

static inline __attribute__((always_inline)) void ab_round(ab_map_t *mp, enum ab_kind kind, const ab_keys_t *k,
                                                           size_t ops, ab_times_t *t, ab_bytes_t *b)
{
    size_t n = k->n, h = ops < n ? ops : n, visited;
    uint64_t want = 0, got = 0, miss = 0;
    size_t source0 = ab_count.now;
    ab_count.peak = ab_count.now;
    ab_map_new(mp);
    uint64_t t0 = clock_now_ns();
    for (size_t i = 0; i < n; i++)
        ab_put(mp, kind, k, i);
    uint64_t t1 = clock_now_ns();
    if (b != NULL) {
        b->rss1 = bh_peak_rss_kib();
        if (kind == AB_AMAP) {
            amap_stats_t st;
            amap_stats(&mp->m, &st);
            b->own = st.table_bytes + st.key_bytes + st.value_bytes;
            b->peak = ab_count.peak - source0;
        }
    }
    for (size_t j = 0; j < h; j++) {
        got += ab_get(mp, kind, k, k->perm[j]);
        want += k->perm[j] + 1;
    }
    uint64_t t2 = clock_now_ns();
    for (size_t j = 0; j < h; j++)
        miss += ab_get(mp, kind, k, n + j % k->m);
    uint64_t t3 = clock_now_ns();
    uint64_t sum = ab_sum(mp, kind, &visited);
    uint64_t t4 = clock_now_ns();
    for (size_t j = 0; j < h; j++)
        ab_del(mp, kind, k, k->perm[j]);
    uint64_t t5 = clock_now_ns();
    if (got != want || miss != 0 || visited != n || sum != (uint64_t)n * (n + 1) / 2 || ab_map_len(mp) != n - h)
        ab_fail("a lookup, the iteration or an erase gave a wrong answer");
    if (n < AB_BIG)
        ab_map_free(mp); /* the largest maps are left to the process's exit: freeing them takes seconds */
    t->ins += t1 - t0;
    t->hit += t2 - t1;
    t->miss += t3 - t2;
    t->iter += t4 - t3;
    t->erase += t5 - t4;
}

/* The rounds with the kind a constant in each loop. */
static void ab_rounds_of(ab_map_t *mp, const ab_keys_t *k, size_t ops, size_t rounds, ab_times_t *t, ab_bytes_t *b)
{
    for (size_t r = 0; r < rounds; r++) {
        ab_bytes_t *first = r == 0 ? b : NULL;
        switch (mp->kind) {
        case AB_AMAP:
            ab_round(mp, AB_AMAP, k, ops, t, first);
            break;
        case AB_GHASH:
            ab_round(mp, AB_GHASH, k, ops, t, first);
            break;
        case AB_UTHASH:
            ab_round(mp, AB_UTHASH, k, ops, t, first);
            break;
        case AB_CXX:
            ab_round(mp, AB_CXX, k, ops, t, first);
            break;
        }
    }
}

/* The index bits an arena needs for one handle per string key of n. */
static unsigned ab_index_bits(size_t n)
{
    unsigned bits = ARENA_DEFAULT_INDEX_BITS;
    while (bits < ARENA_MAX_INDEX_BITS && ((size_t)1 << bits) < n + n / 4 + 1024)
        bits++;
    return bits;
}

static void ab_arena_init(arena_t *a, size_t handles)
{
    arena_config_t cfg = {.index_bits = ab_index_bits(handles)};
    cfg.slabs.source = &ab_source;
    if (arena_init(a, &cfg) != 0)
        ab_fail("arena_init failed");
}

/* The map a worker's MAP names; false if it is not there. */
static bool ab_map_kind(ab_map_t *mp, const char *name, bool str)
{
    static const char *const cxx[] = {"std", "absl", "boost"};
    *mp = (ab_map_t){.str = str};
    if (strcmp(name, "amap") == 0) {
        mp->kind = AB_AMAP;
        return true;
    }
    if (strcmp(name, "ghash") == 0) {
        mp->kind = AB_GHASH;
        return true;
    }
    if (strcmp(name, "uthash") == 0) {
        mp->kind = AB_UTHASH;
#ifdef AB_HAVE_UTHASH
        return true;
#else
        return false;
#endif
    }
    for (size_t i = 0; i < 3; i++)
        if (strcmp(name, cxx[i]) == 0 && shim_maps != NULL) {
            mp->kind = AB_CXX;
            mp->cxx = &shim_maps(str)[i];
            return true;
        }
    return false;
}

/* u64 or str: prints the worker's line. */
static void ab_ops_worker(const char *name, bool str, size_t n, size_t ops)
{
    static ab_map_t mp;
    if (!ab_map_kind(&mp, name, str))
        bh_die("map %s is not built into this program", name);
    ab_keys_t k;
    size_t h = ops < n ? ops : n, rounds = (ops + n - 1) / n;
    ab_keys_make(&k, str, n, h);
    if (mp.kind == AB_AMAP)
        ab_arena_init(&mp.a, str ? n : 0);
    ab_times_t t = {0};
    ab_bytes_t b = {.rss0 = bh_peak_rss_kib()};
    ab_rounds_of(&mp, &k, ops, rounds, &t, &b);
    if (mp.kind == AB_AMAP && n < AB_BIG) {
        arena_stats_t st;
        arena_stats(&mp.a, &st);
        if (st.live != 0 || arena_check(&mp.a) != 0)
            ab_fail("the arena holds objects after every map was destroyed, or is broken");
        arena_destroy(&mp.a);
        if (ab_count.now != 0)
            ab_fail("the arena kept bytes from its source after arena_destroy()");
    }
    double per = (double)rounds * (double)h, dn = (double)n;
    char mname[64], version[128];
    bh_malloc_identity(mname, sizeof mname, version, sizeof version);
    printf("insert=%.4f hit=%.4f miss=%.4f iter=%.4f erase=%.4f rss_bpe=%.3f own_bpe=%.3f peak_bpe=%.3f "
           "ops=%.0f peak_rss_kib=%ld malloc=%s\n",
           (double)t.ins / (rounds * dn), (double)t.hit / per, (double)t.miss / per, (double)t.iter / (rounds * dn),
           (double)t.erase / per, (double)(b.rss1 - b.rss0) * 1024.0 / dn, (double)b.own / dn,
           (double)b.peak / dn, per, bh_peak_rss_kib(), mname);
}

/* ---- the worker: T8 ----------------------------------------------------------------- */

static void ab_mem_worker(size_t n)
{
    size_t cap = 2 * AMAP_GROUP;
    while ((cap * 2) / 8 * 7 <= n)
        cap *= 2;
    size_t fill = cap / 8 * 7; /* the growth point of a table of cap slots */
    static arena_t a;
    amap_t m;
    ab_arena_init(&a, 0);
    arena_stats_t as;
    arena_stats(&a, &as);
    size_t held0 = as.bytes_from_source;
    long rss0 = bh_peak_rss_kib();
    if (amap_init(&m, &a, &(amap_config_t){AMAP_U64, AMAP_U64, 0, 0}) != 0)
        ab_fail("amap_init failed");
    for (size_t i = 0; i < fill; i++)
        if (amap_put(&m, amap_u64(ab_key(i)), amap_u64(i)) != 1)
            ab_fail("amap_put did not insert");
    amap_stats_t st;
    amap_stats(&m, &st);
    arena_stats(&a, &as);
    if (st.capacity != cap)
        ab_fail("the table grew at another point than 7/8 of its slots");
    long rss1 = bh_peak_rss_kib();
    size_t held = as.bytes_from_source - held0;
    ab_count.peak = ab_count.now;
    size_t before = ab_count.now;
    if (amap_put(&m, amap_u64(ab_key(fill)), amap_u64(fill)) != 1)
        ab_fail("amap_put did not insert");
    size_t peak = ab_count.peak - before + held;
    amap_stats_t st2;
    amap_stats(&m, &st2);
    if (st2.capacity != 2 * cap)
        ab_fail("the table did not grow one entry past 7/8 of its slots");
    amap_destroy(&m);
    arena_stats(&a, &as);
    long back = (long)as.bytes_from_source - (long)held0;
    slabs_trim(&a.slabs, 0); /* the empty slabs the table's sizes left in their classes */
    arena_stats(&a, &as);
    long trimmed = (long)as.bytes_from_source - (long)held0;
    arena_destroy(&a);
    if (ab_count.now != 0)
        ab_fail("the arena kept bytes from its source after arena_destroy()");
    double f = (double)fill;
    char mname[64], version[128];
    bh_malloc_identity(mname, sizeof mname, version, sizeof version);
    printf("entries=%zu table_bpe=%.3f held_bpe=%.3f rss_bpe=%.3f growth_bpe=%.3f after_destroy=%ld "
           "after_trim=%ld ops=%zu peak_rss_kib=%ld malloc=%s\n",
           fill, (double)st.table_bytes / f, (double)held / f, (double)(rss1 - rss0) * 1024.0 / f,
           (double)peak / (f + 1), back, trimmed, fill, bh_peak_rss_kib(), mname);
}

/* ---- the worker: whole requests ------------------------------------------------------- */

/* One attribute of a request. */
typedef struct ab_attr {
    const char *key;  /* NUL-terminated */
    size_t klen;
    bool is_str;      /* a string value, else an integer */
    const char *sval; /* the string value, NUL-terminated */
    size_t slen;
    int64_t ival;     /* the integer value */
} ab_attr_t;

typedef struct ab_request {
    ab_attr_t attr[50];
    size_t n;         /* 10..50 */
    uint64_t check;   /* sum of the integers and of the string lengths */
} ab_request_t;

static void ab_requests_make(ab_request_t *req)
{
    static char names[AB_REQ_NAMES][32];
    static const char *const part[] = {"http", "request", "header", "user", "agent", "span", "db", "route", "status",
                                       "peer", "net", "host", "client", "trace", "id", "size"};
    rng_t r = {0x4e9};
    for (size_t i = 0; i < AB_REQ_NAMES; i++) {
        size_t len = 0;
        int parts = 1 + (int)rng_below(&r, 3);
        for (int p = 0; p < parts; p++)
            len += (size_t)snprintf(names[i] + len, sizeof names[i] - len, "%s%s", p ? "." : "",
                                    part[rng_below(&r, 16)]);
        snprintf(names[i] + len, sizeof names[i] - len, ".%zu", i); /* distinct, 6 to 31 bytes */
    }
    static char text[AB_REQ_TEMPLATES][50][41];
    for (size_t q = 0; q < AB_REQ_TEMPLATES; q++) {
        ab_request_t *rq = &req[q];
        rq->n = 10 + (size_t)rng_below(&r, 41);
        rq->check = 0;
        size_t first = (size_t)rng_below(&r, AB_REQ_NAMES);
        for (size_t j = 0; j < rq->n; j++) {
            ab_attr_t *at = &rq->attr[j];
            at->key = names[(first + j * 5) % AB_REQ_NAMES]; /* 5 is coprime with 256: distinct */
            at->klen = strlen(at->key);
            at->is_str = rng_below(&r, 10) < 6;
            if (at->is_str) {
                at->slen = 4 + (size_t)rng_below(&r, 37);
                for (size_t c = 0; c < at->slen; c++)
                    text[q][j][c] = (char)('a' + rng_below(&r, 26));
                text[q][j][at->slen] = '\0';
                at->sval = text[q][j];
                rq->check += at->slen;
            } else {
                at->ival = (int64_t)rng_below(&r, 1000000);
                rq->check += (uint64_t)at->ival;
            }
        }
    }
}

/* How a request's maps are dropped. */
enum ab_drop { AB_DROP_GHASH, AB_DROP_ARENA, AB_DROP_RESET, AB_DROP_MAPS };

/* One request with amap in arena a; drop: arena_destroy() of a fresh arena
 * per request, arena_reset() of a long-lived one, or amap_destroy(). */
static uint64_t ab_request_amap(arena_t *a, const ab_request_t *rq, enum ab_drop drop)
{
    amap_t strs, ints;
    if (drop == AB_DROP_ARENA && arena_init(a, &(arena_config_t){0}) != 0)
        ab_fail("arena_init failed");
    if (amap_init(&strs, a, &(amap_config_t){AMAP_STR, AMAP_STR, 0, 0}) != 0 ||
        amap_init(&ints, a, &(amap_config_t){AMAP_STR, AMAP_I64, 0, 0}) != 0)
        ab_fail("amap_init failed");
    for (size_t j = 0; j < rq->n; j++) {
        const ab_attr_t *at = &rq->attr[j];
        amap_val_t key = amap_str(at->key, at->klen);
        int rc = at->is_str ? amap_put(&strs, key, amap_str(at->sval, at->slen)) : amap_put(&ints, key, amap_i64(at->ival));
        if (rc != 1)
            ab_fail("amap_put did not insert");
    }
    uint64_t sum = 0;
    for (size_t j = 0; j < rq->n; j++) {
        const ab_attr_t *at = &rq->attr[j];
        amap_val_t out;
        if (amap_get(at->is_str ? &strs : &ints, amap_str(at->key, at->klen), &out) != 0)
            ab_fail("amap_get lost an attribute");
        sum += at->is_str ? out.len : (uint64_t)out.i64;
    }
    if (drop == AB_DROP_ARENA) {
        arena_destroy(a);
    } else if (drop == AB_DROP_RESET) {
        arena_reset(a);
    } else {
        amap_destroy(&strs);
        amap_destroy(&ints);
    }
    return sum;
}

static uint64_t ab_request_ghash(const ab_request_t *rq)
{
    GHashTable *strs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    GHashTable *ints = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    for (size_t j = 0; j < rq->n; j++) {
        const ab_attr_t *at = &rq->attr[j];
        if (at->is_str)
            g_hash_table_insert(strs, g_strdup(at->key), g_strdup(at->sval));
        else
            g_hash_table_insert(ints, g_strdup(at->key), (gpointer)(intptr_t)at->ival);
    }
    uint64_t sum = 0;
    for (size_t j = 0; j < rq->n; j++) {
        const ab_attr_t *at = &rq->attr[j];
        if (at->is_str) {
            const char *s = g_hash_table_lookup(strs, at->key);
            if (s == NULL)
                ab_fail("GHashTable lost an attribute");
            sum += strlen(s);
        } else {
            gpointer v;
            if (!g_hash_table_lookup_extended(ints, at->key, NULL, &v))
                ab_fail("GHashTable lost an attribute");
            sum += (uint64_t)(intptr_t)v;
        }
    }
    g_hash_table_destroy(strs);
    g_hash_table_destroy(ints);
    return sum;
}

static void ab_request_worker(const char *name, size_t n)
{
    static ab_request_t req[AB_REQ_TEMPLATES];
    static arena_t a;
    ab_requests_make(req);
    enum ab_drop drop = AB_DROP_GHASH;
    if (strcmp(name, "amap-arena") == 0)
        drop = AB_DROP_ARENA;
    else if (strcmp(name, "amap-reset") == 0)
        drop = AB_DROP_RESET;
    else if (strcmp(name, "amap-destroy") == 0)
        drop = AB_DROP_MAPS;
    else if (strcmp(name, "ghash") != 0)
        bh_die("unknown map %s for workload request", name);
    bool kept = drop == AB_DROP_RESET || drop == AB_DROP_MAPS; /* one arena for every request */
    if (kept && arena_init(&a, &(arena_config_t){0}) != 0)
        ab_fail("arena_init failed");
    uint64_t want = 0, got = 0;
    uint64_t t0 = clock_now_ns();
    for (size_t i = 0; i < n; i++) {
        const ab_request_t *rq = &req[i % AB_REQ_TEMPLATES];
        got += drop == AB_DROP_GHASH ? ab_request_ghash(rq) : ab_request_amap(&a, rq, drop);
        want += rq->check;
    }
    uint64_t t = clock_now_ns() - t0;
    if (got != want)
        ab_fail("a request read back other values than it stored");
    if (kept) {
        arena_stats_t st;
        arena_stats(&a, &st);
        if (st.live != 0 || arena_check(&a) != 0)
            ab_fail("amap_destroy left objects in the arena");
        arena_destroy(&a);
    }
    char mname[64], version[128];
    bh_malloc_identity(mname, sizeof mname, version, sizeof version);
    printf("ns_per_request=%.4f ops=%zu peak_rss_kib=%ld malloc=%s\n", (double)t / (double)n, n, bh_peak_rss_kib(),
           mname);
}

/* bench_amap --worker MAP WORKLOAD ARG N */
static int ab_worker(int argc, char **argv)
{
    if (argc != 6)
        bh_die("usage: bench_amap --worker amap|ghash|uthash|std|absl|boost u64|str ENTRIES OPS\n"
               "       bench_amap --worker amap mem ENTRIES 1\n"
               "       bench_amap --worker ghash|amap-arena|amap-reset|amap-destroy request - REQUESTS");
    const char *map = argv[2], *work = argv[3];
    size_t n = bh_count(argv[5], "N");
    if (strcmp(work, "u64") == 0 || strcmp(work, "str") == 0)
        ab_ops_worker(map, strcmp(work, "str") == 0, bh_count(argv[4], "ENTRIES"), n);
    else if (strcmp(work, "mem") == 0 && strcmp(map, "amap") == 0)
        ab_mem_worker(bh_count(argv[4], "ENTRIES"));
    else if (strcmp(work, "request") == 0)
        ab_request_worker(map, n);
    else
        bh_die("unknown workload %s for map %s", work, map);
    return 0;
}

/* ---- the driver: what is measured ------------------------------------------------------ */

/* The maps of the u64 and str cells, in table order; amap first. */
typedef struct ab_comp {
    const char *arg;  /* the worker's MAP */
    const char *name; /* what the tables call it */
    bool flat;        /* a C++ flat map: the T6/T7 comparison */
    bool present;     /* built into this program */
} ab_comp_t;

enum { AB_OWN = 0, AB_GH = 1, AB_NCOMP = 6 };
static ab_comp_t ab_comps[AB_NCOMP] = {
    {"amap", "arena map (amap)", false, true},
    {"ghash", "GHashTable", false, true},
    {"uthash", "uthash", false, false},
    {"std", "std::unordered_map", false, false},
    {"absl", "absl::flat_hash_map", true, false},
    {"boost", "boost::unordered_flat_map", true, false},
};

/* The quantities of a u64 or str measurement, in the worker's fields. */
enum { Q_INS, Q_HIT, Q_MISS, Q_ITER, Q_ERASE, Q_RSS, Q_OWN, Q_PEAK, AB_NQ };
static const char *const ab_qkey[AB_NQ] = {"insert", "hit", "miss", "iter", "erase", "rss_bpe", "own_bpe", "peak_bpe"};
static const char *const ab_qname[AB_NQ] = {"insert", "hit", "miss", "iterate", "erase",
                                            "bytes/entry (peak RSS)", "bytes/entry (amap_stats)",
                                            "bytes/entry (peak from source)"};

/* The quantities of a mem measurement. */
enum { M_TABLE, M_HELD, M_RSS, M_GROWTH, M_BACK, M_TRIM, M_ENTRIES, AB_NM };
static const char *const ab_mkey[AB_NM] = {"table_bpe", "held_bpe", "rss_bpe", "growth_bpe", "after_destroy",
                                           "after_trim", "entries"};

/* The sides of the request cell. */
enum { R_GHASH, R_ARENA, R_RESET, R_DESTROY, AB_NR };
static const char *const ab_rarg[AB_NR] = {"ghash", "amap-arena", "amap-reset", "amap-destroy"};
static const char *const ab_rname[AB_NR] = {"GHashTable", "amap, arena per request", "amap, arena_reset",
                                            "amap, amap_destroy"};

#define AB_NSIZE 4
static const size_t ab_sizes_full[AB_NSIZE] = {1000, 200000, 2000000, AB_BIG};
static const size_t ab_sizes_quick[AB_NSIZE] = {1000, 20000, 0, 0};

/* One cell's medians, mins, maxes and samples of one map's quantity. */
typedef struct ab_res {
    double s[64];
    double med, lo, hi;
} ab_res_t;

/* The driver's options and results. */
typedef struct ab_state {
    bh_opts_t opt;
    bh_comp_t comp;                              /* the malloc every worker must run on */
    size_t sizes[AB_NSIZE];                      /* entries per cell; 0 = not run */
    const char *skip;                            /* why the largest size is not run; NULL = it is */
    ab_res_t ops[2][AB_NSIZE][AB_NCOMP][AB_NQ];  /* [str][size][map][quantity] */
    bool ran[2][AB_NSIZE];                       /* cells measured */
    bool on[2][AB_NSIZE][AB_NCOMP];              /* maps measured in each */
    ab_res_t mem[AB_NSIZE][AB_NM];               /* T8 */
    ab_res_t req[AB_NR];                         /* whole requests */
    size_t ops_per_phase;                        /* N of the u64 and str workers */
} ab_state_t;

static void ab_res_set(ab_res_t *r, const double *samples, size_t reps)
{
    memcpy(r->s, samples, reps * sizeof *samples);
    bh_stats(r->s, reps, &r->med, &r->lo, &r->hi);
}

/* Runs one worker and reads its fields keys[0..nk) into v. */
static void ab_run_worker(const ab_state_t *st, const char *map, const char *work, size_t arg, size_t n,
                          const char *const *keys, size_t nk, double *v)
{
    char a[32], num[32], out[1024];
    snprintf(a, sizeof a, "%zu", arg);
    snprintf(num, sizeof num, "%zu", n);
    char *argv[] = {(char *)st->opt.self, (char *)"--worker", (char *)map, (char *)work, a, num, NULL};
    bh_child_t child = {argv, NULL, st->opt.quick ? 120 : 1800};
    if (!bh_run(&child, out, sizeof out))
        exit(1);
    double rss, done;
    if (strchr(out, '\n') != strrchr(out, '\n') || strstr(out, " malloc=glibc") == NULL ||
        !bh_field_number(out, "peak_rss_kib", 1, 1e9, &rss) || !bh_field_number(out, "ops", 1, 1e13, &done))
        bh_die("worker %s %s %zu printed nonsense: \"%s\"", map, work, arg, out);
    for (size_t q = 0; q < nk; q++)
        if (!bh_field_number(out, keys[q], -1e12, 1e12, &v[q]))
            bh_die("worker %s %s %zu printed no %s: \"%s\"", map, work, arg, keys[q], out);
}

/* ---- the driver: u64 and str cells ----------------------------------------------------- */

typedef struct ab_at {
    const ab_state_t *st;
    bool str;
    size_t size;
} ab_at_t;

static void ab_measure_ops(void *ctx, size_t i, double *v)
{
    const ab_at_t *at = ctx;
    ab_run_worker(at->st, ab_comps[i].arg, at->str ? "str" : "u64", at->size, at->st->ops_per_phase, ab_qkey,
                  AB_NQ, v);
}

/* "median (min-max)" of r, into buf. */
static const char *ab_mmm(const ab_res_t *r, char *buf, size_t size)
{
    snprintf(buf, size, "%7.2f (%.2f-%.2f)", r->med, r->lo, r->hi);
    return buf;
}

static void ab_run_ops_cell(ab_state_t *st, bool str, size_t z)
{
    static double sample[AB_NCOMP][BH_NQ][64];
    bool on[AB_NCOMP];
    size_t size = st->sizes[z];
    for (size_t i = 0; i < AB_NCOMP; i++) /* the largest: only the maps T7 compares */
        on[i] = st->on[str][z][i] =
            ab_comps[i].present && (size != AB_BIG || i == AB_OWN || i == AB_GH || ab_comps[i].flat);
    bool cold = st->opt.quick || size == AB_BIG; /* no warm-up round for the largest maps: each run builds one */
    bh_rounds(AB_NCOMP, on, cold, st->opt.reps, ab_measure_ops, &(ab_at_t){st, str, size}, sample);
    st->ran[str][z] = true;
    printf("\n%s keys, %zu entries: ns per op, median (min-max) of %zu%s\n", str ? "16-byte string" : "u64", size,
           st->opt.reps, bh_warmup_note(cold));
    printf("  %-26s %-24s %-24s %-24s %-24s %-24s %9s %9s %9s\n", "map", "insert", "hit", "miss", "iterate (per entry)",
           "erase", "B/e RSS", "B/e own", "B/e peak");
    for (size_t i = 0; i < AB_NCOMP; i++) {
        if (!on[i])
            continue;
        ab_res_t *r = st->ops[str][z][i];
        char b[5][64];
        for (size_t q = 0; q < AB_NQ; q++)
            ab_res_set(&r[q], sample[i][q], st->opt.reps);
        printf("  %-26s %-24s %-24s %-24s %-24s %-24s %9.1f", ab_comps[i].name, ab_mmm(&r[Q_INS], b[0], 64),
               ab_mmm(&r[Q_HIT], b[1], 64), ab_mmm(&r[Q_MISS], b[2], 64), ab_mmm(&r[Q_ITER], b[3], 64),
               ab_mmm(&r[Q_ERASE], b[4], 64), r[Q_RSS].med);
        if (i == AB_OWN)
            printf(" %9.1f %9.1f\n", r[Q_OWN].med, r[Q_PEAK].med);
        else
            printf(" %9s %9s\n", "-", "-");
    }
    fflush(stdout);
}

/* ---- the driver: T8 and whole requests ----------------------------------------------- */

typedef struct ab_mem_at {
    const ab_state_t *st;
    size_t size;
} ab_mem_at_t;

static void ab_measure_mem(void *ctx, size_t i, double *v)
{
    const ab_mem_at_t *at = ctx;
    (void)i;
    ab_run_worker(at->st, "amap", "mem", at->size, 1, ab_mkey, AB_NM, v);
}

static void ab_run_mem(ab_state_t *st)
{
    static double sample[1][BH_NQ][64];
    const bool on[1] = {true};
    printf("\nMemory of a u64 -> u64 arena map at a growth point (T8), median of %zu%s\n", st->opt.reps,
           bh_warmup_note(st->opt.quick));
    printf("  filled to 7/8 of its slots (one more insert grows the table); bytes per entry:\n");
    printf("  %10s %10s %8s %12s %9s %12s %24s %14s\n", "size", "entries", "table", "from source", "peak RSS",
           "growth peak", "after amap_destroy (B)", "after trim (B)");
    for (size_t z = 0; z < AB_NSIZE; z++) {
        if (st->sizes[z] == 0)
            continue;
        bh_rounds(1, on, st->opt.quick, st->opt.reps, ab_measure_mem, &(ab_mem_at_t){st, st->sizes[z]}, sample);
        ab_res_t *r = st->mem[z];
        for (size_t q = 0; q < AB_NM; q++)
            ab_res_set(&r[q], sample[0][q], st->opt.reps);
        printf("  %10zu %10.0f %8.2f %12.2f %9.2f %12.2f %24.0f %14.0f\n", st->sizes[z], r[M_ENTRIES].med,
               r[M_TABLE].med, r[M_HELD].med, r[M_RSS].med, r[M_GROWTH].med, r[M_BACK].hi, r[M_TRIM].hi);
        fflush(stdout);
    }
    printf("  table: amap_stats() table_bytes; from source: what the arena holds from its page source for the\n"
           "  map, over what it held before amap_init(); growth peak: the most it held while the table grew\n"
           "  (old and new table at once), over the entries then; after amap_destroy: bytes the arena still\n"
           "  holds beyond what it held before amap_init(); after trim: the same once slabs_trim(&arena.slabs, 0)\n"
           "  has given back the empty slabs (both the largest of the repetitions).\n");
}

static void ab_measure_req(void *ctx, size_t i, double *v)
{
    const ab_state_t *st = ctx;
    static const char *const key[] = {"ns_per_request"};
    ab_run_worker(st, ab_rarg[i], "request", 0, st->opt.quick ? 2000 : 200000, key, 1, v);
}

static void ab_run_requests(ab_state_t *st)
{
    static double sample[AB_NR][BH_NQ][64];
    const bool on[AB_NR] = {true, true, true, true};
    bh_rounds(AB_NR, on, st->opt.quick, st->opt.reps, ab_measure_req, st, sample);
    printf("\nWhole request: 10-50 attributes into two maps (string and integer values), read back, dropped;\n"
           "ns per request, median of %zu%s\n", st->opt.reps, bh_warmup_note(st->opt.quick));
    printf("  %-26s %10s %10s %10s %16s\n", "", "median", "min", "max", "GHashTable / it");
    for (size_t i = 0; i < AB_NR; i++) {
        ab_res_t *r = &st->req[i];
        ab_res_set(r, sample[i][0], st->opt.reps);
        printf("  %-26s %10.1f %10.1f %10.1f %15.2fx\n", ab_rname[i], r->med, r->lo, r->hi,
               st->req[R_GHASH].med / r->med);
    }
}

/* ---- the driver: targets ---------------------------------------------------------------- */

/* The fastest C++ flat map's median of quantity q in a cell; its index in *who. */
static double ab_best_flat(const ab_state_t *st, bool str, size_t z, size_t q, size_t *who)
{
    double best = INFINITY;
    *who = AB_NCOMP;
    for (size_t i = 0; i < AB_NCOMP; i++)
        if (ab_comps[i].flat && ab_comps[i].present && st->ops[str][z][i][q].med < best) {
            best = st->ops[str][z][i][q].med;
            *who = i;
        }
    return best;
}

/* T6 or T7 for one cell. */
static void ab_target_cell(const ab_state_t *st, const char *t, bool str, size_t z)
{
    static const size_t qs[] = {Q_HIT, Q_MISS, Q_INS};
    for (size_t k = 0; k < 3; k++) {
        size_t q = qs[k], who;
        double own = st->ops[str][z][AB_OWN][q].med;
        double vs_gh = st->ops[str][z][AB_GH][q].med / own;
        double best = ab_best_flat(st, str, z, q, &who);
        char label[80];
        snprintf(label, sizeof label, "%s %s %zu %s:", t, str ? "str" : "u64", st->sizes[z], ab_qname[q]);
        printf("  %-24s GHashTable / amap %5.2fx (>= 2.5) %-6s", label, vs_gh, vs_gh >= 2.5 ? "MET" : "MISSED");
        if (who == AB_NCOMP) {
            printf("  best flat map: none built in\n");
            continue;
        }
        double r = own / best;
        printf("  amap / %-5s %5.2fx (<= 1.2) %s\n", ab_comps[who].arg, r, r <= 1.2 ? "MET" : "MISSED");
    }
}

static void ab_print_targets(const ab_state_t *st)
{
    printf("\nTargets (T6: <= 2*10^5 keys, T7: 2*10^7 keys; hit, miss, insert >= 2.5x faster than GHashTable\n"
           "and within 1.2x of the best C++ flat map; T8: u64 -> u64 <= 22 B per entry at peak, memory back\n"
           "after destroy.  Ratios of medians: GHashTable's time / amap's, amap's / the fastest flat map's)\n");
    if (st->opt.quick) {
        printf("  not evaluated in a quick run\n");
        return;
    }
    for (size_t z = 0; z < AB_NSIZE; z++)
        for (int str = 0; str < 2; str++) {
            if (!st->ran[str][z] || (st->sizes[z] > 200000 && st->sizes[z] != AB_BIG))
                continue;
            ab_target_cell(st, st->sizes[z] == AB_BIG ? "T7" : "T6", str, z);
        }
    if (st->sizes[AB_NSIZE - 1] == 0)
        printf("  T7 not evaluated: %s\n", st->skip);
    for (size_t z = 0; z < AB_NSIZE; z++) {
        if (st->sizes[z] == 0)
            continue;
        const ab_res_t *r = st->mem[z];
        printf("  T8 %-9zu at the growth point %6.2f B/entry (<= 22) %-6s  during growth %6.2f B/entry %-6s\n"
               "     %-9s after amap_destroy %+.0f B (0) %-6s  after trimming the empty slabs %+.0f B %s\n",
               st->sizes[z], r[M_HELD].med, r[M_HELD].med <= 22 ? "MET" : "MISSED", r[M_GROWTH].med,
               r[M_GROWTH].med <= 22 ? "MET" : "MISSED", "", r[M_BACK].hi, r[M_BACK].hi == 0 ? "MET" : "MISSED",
               r[M_TRIM].hi, r[M_TRIM].hi == 0 ? "MET" : "MISSED");
    }
}

/* ---- the driver: CSV and SVG ----------------------------------------------------------- */

static void ab_csv_row(FILE *f, const char *cell, const char *map, const char *q, const char *unit, size_t reps,
                       const ab_res_t *r)
{
    fprintf(f, "%s,%s,%s,%s,%zu,%.4f,%.4f,%.4f,", cell, map, q, unit, reps, r->med, r->lo, r->hi);
    bh_csv_samples(f, r->s, reps);
}

static void ab_write_csv(const void *ctx)
{
    const ab_state_t *st = ctx;
    FILE *f = bh_csv_open(st->opt.csv, "cell,map,quantity,unit,reps,median,min,max,samples\n");
    char cell[64];
    for (size_t z = 0; z < AB_NSIZE; z++)
        for (int str = 0; str < 2; str++) {
            if (!st->ran[str][z])
                continue;
            snprintf(cell, sizeof cell, "%s %zu", str ? "str" : "u64", st->sizes[z]);
            for (size_t i = 0; i < AB_NCOMP; i++)
                for (size_t q = 0; st->on[str][z][i] && q < AB_NQ; q++) {
                    if (q >= Q_OWN && i != AB_OWN)
                        continue;
                    ab_csv_row(f, cell, ab_comps[i].arg, ab_qkey[q], q >= Q_RSS ? "bytes per entry" : "ns per op",
                               st->opt.reps, &st->ops[str][z][i][q]);
                }
        }
    for (size_t z = 0; z < AB_NSIZE; z++) {
        if (st->sizes[z] == 0)
            continue;
        snprintf(cell, sizeof cell, "mem %zu", st->sizes[z]);
        for (size_t q = 0; q < AB_NM; q++)
            ab_csv_row(f, cell, "amap", ab_mkey[q], q == M_BACK || q == M_TRIM ? "bytes" : q == M_ENTRIES ? "entries" : "bytes per entry",
                       st->opt.reps, &st->mem[z][q]);
    }
    for (size_t i = 0; i < AB_NR; i++)
        ab_csv_row(f, "request", ab_rarg[i], "request", "ns per request", st->opt.reps, &st->req[i]);
    bh_csv_close(f, st->opt.csv);
}

/* The chart: every map's time over amap's, for insert, hit and miss in every cell. */
static void ab_write_svg(const void *ctx)
{
    const ab_state_t *st = ctx;
    static const size_t qs[] = {Q_INS, Q_HIT, Q_MISS};
    static char labels[2 * AB_NSIZE * 3][16], sections[2 * AB_NSIZE * 3][32];
    const char *label[2 * AB_NSIZE * 3], *section[2 * AB_NSIZE * 3], *series[AB_NCOMP];
    double value[2 * AB_NSIZE * 3 * AB_NCOMP];
    size_t map[AB_NCOMP], ns = 0, g = 0;
    for (size_t i = 1; i < AB_NCOMP; i++)
        if (ab_comps[i].present) {
            map[ns] = i;
            series[ns++] = ab_comps[i].name;
        }
    for (int str = 0; str < 2; str++)
        for (size_t z = 0; z < AB_NSIZE; z++) {
            if (!st->ran[str][z])
                continue;
            for (size_t k = 0; k < 3; k++, g++) {
                snprintf(labels[g], sizeof labels[g], "%s", ab_qname[qs[k]]);
                snprintf(sections[g], sizeof sections[g], "%s %zu", str ? "str" : "u64", st->sizes[z]);
                label[g] = labels[g];
                section[g] = sections[g];
                for (size_t s = 0; s < ns; s++)
                    value[g * ns + s] = st->on[str][z][map[s]]
                                            ? st->ops[str][z][map[s]][qs[k]].med / st->ops[str][z][AB_OWN][qs[k]].med
                                            : NAN;
            }
        }
    char subtitle[512];
    bh_chart_subtitle(subtitle, sizeof subtitle, st->opt.reps);
    bh_chart_t chart = {
        .title = "Stage 04: each map's time relative to the arena map (above 1: slower than amap)",
        .subtitle = subtitle,
        .y_label = "time / arena map time (log scale)",
        .groups = g,
        .group_label = label,
        .group_section = section,
        .series = ns,
        .series_name = series,
        .value = value,
        .log_scale = true,
        .reference = 1.0,
        .reference_label = "amap = 1",
        .highlight = ns,
    };
    if (!bh_svg_write(st->opt.svg, &chart))
        bh_die("cannot write %s", st->opt.svg);
    printf("wrote %s\n", st->opt.svg);
}

/* ---- the driver: putting it together ------------------------------------------------------ */

static _Noreturn void ab_usage(void)
{
    fprintf(stderr, "usage: bench_amap [--quick] [--reps N] [--csv FILE] [--svg FILE]\n"
                    "       bench_amap --worker MAP WORKLOAD ARG N\n"
                    "       bench_amap --probe\n");
    exit(2);
}

/* MemAvailable in KiB, or 0 if /proc/meminfo does not say. */
static size_t ab_mem_available_kib(void)
{
    FILE *f = fopen("/proc/meminfo", "r");
    char line[256];
    size_t kib = 0;
    while (f != NULL && fgets(line, sizeof line, f) != NULL)
        if (sscanf(line, "MemAvailable: %zu kB", &kib) == 1)
            break;
    if (f != NULL)
        fclose(f);
    return kib;
}

static void ab_prepare(ab_state_t *st)
{
    static const char *const none[] = {NULL};
    static char reason[160];
    st->comp = (bh_comp_t){"glibc", "malloc", NULL, NULL, "glibc", none, false, "", ""};
    bh_probe_all(&st->comp, 1);
    if (!st->comp.present)
        bh_die("the workers do not run on glibc's malloc (is LD_PRELOAD set?)");
    memcpy(st->sizes, st->opt.quick ? ab_sizes_quick : ab_sizes_full, sizeof st->sizes);
    st->ops_per_phase = st->opt.quick ? 20000 : 2000000;
    size_t avail = ab_mem_available_kib();
    if (!st->opt.quick && avail < AB_BIG_NEED_KIB) {
        snprintf(reason, sizeof reason, "MemAvailable is %zu MiB, below the %zu MiB the largest maps need",
                 avail >> 10, AB_BIG_NEED_KIB >> 10);
        st->skip = reason;
        st->sizes[AB_NSIZE - 1] = 0;
    }
#ifdef AB_HAVE_UTHASH
    ab_comps[2].present = true;
#endif
    for (size_t i = 3; i < AB_NCOMP; i++)
        ab_comps[i].present = shim_maps != NULL;
    printf("amap     : slabcraft stage 04, group match %s, arena with the default configuration\n", amap_group_impl());
    printf("ghash    : GLib %u.%u.%u (g_int64_hash, g_str_hash)\n", glib_major_version, glib_minor_version,
           glib_micro_version);
#ifdef AB_HAVE_UTHASH
    printf("uthash   : %s (HASH_JEN, one malloc'd item per entry)\n", AB_STRINGIFY(UTHASH_VERSION));
#else
    printf("uthash   : not measured: uthash.h was not found when this program was built\n");
#endif
    if (shim_maps != NULL)
        printf("C++ maps : %s (g++ -O2 -std=c++20, no -march)\n", shim_versions());
    else
        printf("C++ maps : not measured: built without a C++ compiler or the abseil and Boost headers\n");
    if (st->skip != NULL)
        printf("2*10^7   : not measured: %s\n", st->skip);
    else if (!st->opt.quick)
        printf("2*10^7   : measured (MemAvailable %zu MiB)\n", avail >> 10);
}

static int ab_driver(int argc, char **argv)
{
    static ab_state_t st;
    bh_parse_opts(&st.opt, argc, argv, NULL, NULL, ab_usage);
    uint64_t t0 = bh_driver_begin(&st.opt, "stage 04 benchmark: the arena map against GHashTable, uthash, C++ maps");
    ab_prepare(&st);
    ab_run_requests(&st);
    ab_run_mem(&st);
    printf("\nEach cell: every map in turn (interleaved), each measurement in a fresh worker process: insert the\n"
           "entries into an empty map, look up present keys in random order (hit) and as many absent ones\n"
           "(miss), visit every entry (iterate), erase keys in random order: each at most %zu a round, rounds\n"
           "repeated until each phase has done %zu.  Keys: random u64, or 16-byte strings; values u64.  B/e:\n"
           "bytes per entry (peak RSS growth; amap's own accounting; the peak the arena held from its source\n"
           "while inserting).  At 2*10^7 entries only the maps T7 compares run (uthash and std::unordered_map\n"
           "take minutes per run there), without a warm-up round, and the maps are left to the process's exit.\n",
           st.ops_per_phase, st.ops_per_phase);
    for (size_t z = 0; z < AB_NSIZE; z++)
        for (int str = 0; str < 2; str++)
            if (st.sizes[z] != 0)
                ab_run_ops_cell(&st, str, z);
    ab_print_targets(&st);
    return bh_driver_end(&st.opt, t0, ab_write_csv, ab_write_svg, &st);
}

int main(int argc, char **argv)
{
    return bh_main(argc, argv, ab_worker, ab_driver);
}

/*
 * bench_slabs.c - stage 02 benchmark: slab classes against the
 * general-purpose allocators (glibc, jemalloc, mimalloc, tcmalloc) and GLib's
 * GSlice, on objects of many sizes; releasing a million objects at once;
 * growing one object by realloc; and space utilisation on the shipped
 * traces (through tools/replay).
 *
 * Usage:
 *   bench_slabs [--quick] [--reps N] [--csv FILE] [--svg FILE]
 *               [--no-callgrind] [--no-replay]
 *       the driver: runs every measurement in a fresh worker process and
 *       prints the tables, the instruction counts, the utilisation and the
 *       targets.  --svg FILE writes the mixed-size chart to FILE and the
 *       per-size chart next to it (FILE with "_sizes" before ".svg").
 *   bench_slabs --worker ALLOC PATTERN SIZES N
 *       one measurement.  ALLOC: slabs (slabs_alloc/slabs_free, default
 *       configuration), malloc (whatever malloc the process has: the driver
 *       picks it with LD_PRELOAD), gslice (g_slice_alloc/g_slice_free1); for
 *       PATTERN release also slabs-reset, slabs-destroy and
 *       slabs-destroy-region.  SIZES: a size in bytes, uniform or skewed
 *       (below); for realloc-grow the object's final size.  Prints one line:
 *       ns_per_op=X ops=N peak_rss_kib=K malloc=NAME source=SRC [util=U]
 *       [destroy_ns_per_op=D: slabs-destroy-region, slabs_destroy() alone]
 *       The page source is the C library's unless SC_BENCH_SOURCE=vmem
 *       (harness.h, bh_worker_source()): bench_vmem runs these workers on
 *       stage 05's source that way.
 *   bench_slabs --probe
 *       prints the name and version of the malloc the process runs on
 *
 * Sizes.  Every object's size is drawn before the clock starts, from a
 * fixed-seed generator, into a ring of 65536 sizes that the workload walks
 * through, so the generator is never measured and every allocator sees the
 * same sequence:
 *   uniform   16 to 1024 bytes, each equally likely (mean 520 B);
 *   skewed    small-heavy: 70 % of the objects 16-64 B, 25 % 65-256 B,
 *             5 % 257-1024 B, uniform within each band (mean about 100 B);
 *   a number  every object that size (16, 32, ... 1024 in the per-size
 *             tables: one class at a time).
 *
 * Patterns (one op = one alloc+free pair, except release):
 *   pair        allocate one object and free it at once, N times;
 *   batch-1000  allocate 1000 objects, then free them in allocation order;
 *   random-1e4, random-1e6
 *               fill to L live objects (not timed), then N steps of: free a
 *               random live object and allocate the next size into its slot.
 *               The slot numbers are drawn into an array before the clock
 *               starts;
 *   release     allocate N objects (not timed), then release all of them:
 *               one free per object (malloc, gslice, slabs), or one
 *               slabs_reset() (slabs-reset) or slabs_destroy() (slabs-destroy)
 *               for all; one op = one object released.  slabs-destroy-region
 *               runs slabs on a page source that carves one reservation of
 *               address space and gives it back with a single munmap after
 *               slabs_destroy(): with the default source (posix_memalign),
 *               every slab is a mapping of its own and slabs_destroy() makes
 *               one munmap per slab;
 *   realloc-grow
 *               N times: allocate one object of 16 B and grow it by realloc
 *               (slabs_realloc for slabs; GSlice has none) in random steps
 *               of 16-64 B (fixed seed, drawn before the clock starts) up to
 *               SIZES bytes, each step writing the bytes it added, as a
 *               string builder appends; one op = one whole growth loop.  The
 *               object is verified and freed after the clock stops.  The
 *               driver measures it to 64 KiB (the quick run too) and to
 *               1 MiB.
 * GSlice must be told the size at free, so the workloads keep each live
 * object's size beside its pointer, for every allocator alike.  Every new
 * object gets a word written into it (lazily mapped memory pays its page
 * faults) and every pointer escapes; the workloads end by checking that the
 * live objects kept what was written, and the slabs worker that
 * slabs_check() finds nothing wrong.
 *
 * Utilisation.  tools/replay (built with the benchmarks by scripts/bench.sh,
 * or by `make MODE=release tools`) replays a trace in the CS:APP malloc-lab
 * format against slabs and against malloc and prints a table with
 * U = peak live payload / peak bytes held; the driver runs it once
 * (`replay -r 1`: U does not depend on the run) on every *.rep file in
 * tools/traces/ and reads the table.  The slabs worker of a random pattern
 * also prints its own U: live requested bytes / peak bytes from the source,
 * at the end of the run.
 *
 * The targets this stage is measured against:
 *   T3  mixed sizes 16 B - 1 KiB: slabs at least as fast as the best general
 *       malloc at every size (every cell: each fixed size and each mix, each
 *       pattern), and for each pattern no size slower than 2x the median of
 *       slabs' own times over the sizes; U >= 0.80 on trace replay;
 *   T3b growing one object by realloc in 16-64 B steps to 1 MiB: at most 2x
 *       the time of glibc's realloc loop (amortised O(1) growth);
 *   T4  releasing 10^6 live objects with slabs_reset / slabs_destroy at
 *       least 100x faster than freeing them one by one with glibc.
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
#include <sys/mman.h>
#include <unistd.h>

#include <glib.h>

#include "clock.h"
#include "harness.h"
#include "rng.h"
#include "slabs.h"

#define BS_INLINE static inline __attribute__((always_inline))

/* ---- the worker ------------------------------------------------------------- */

/* The allocator a worker measures. */
enum bs_kind {
    BS_SLABS,  /* slabs_alloc / slabs_free */
    BS_MALLOC, /* malloc / free: glibc or whatever LD_PRELOAD brought */
    BS_GSLICE, /* g_slice_alloc / g_slice_free1 */
};

/* How a release workload lets go of its objects. */
enum bs_release {
    BS_FREE_EACH,      /* one free per object */
    BS_RESET,          /* slabs_reset() */
    BS_DESTROY,        /* slabs_destroy() */
    BS_DESTROY_REGION, /* slabs_destroy() on a region source, then the region's one munmap */
};

#define BS_RING 65536u /* sizes in the ring the workloads walk through */
#define BS_BATCH 1000  /* objects per round of batch-1000 */

/* A page source over one reservation of address space, for the release
 * pattern's slabs-destroy-region: blocks are carved from it in order and
 * never reused, release does nothing, and the whole region goes back to the
 * kernel with one munmap after slabs_destroy().  It separates what
 * slabs_destroy() itself costs from what thousands of separate unmaps cost. */
typedef struct bs_region {
    char *base;   /* start of the reservation */
    char *next;   /* first byte not handed out */
    char *end;    /* end of the reservation */
} bs_region_t;

/* One worker's allocator and the sizes it asks for. */
typedef struct bs_heap {
    enum bs_kind kind;  /* which allocator */
    slabs_t slabs;      /* the allocator, when kind == BS_SLABS */
    bs_region_t region; /* slabs' memory, for slabs-destroy-region */
    page_source_t source; /* the region as a page source */
    uint16_t *ring;     /* BS_RING object sizes, walked in order */
} bs_heap_t;

#define BS_REGION_BYTES ((size_t)4 << 30) /* address space reserved (not memory) */

static void *bs_region_acquire(void *ctx, size_t size, size_t align)
{
    bs_region_t *r = ctx;
    uintptr_t at = ((uintptr_t)r->next + align - 1) & ~(uintptr_t)(align - 1);
    if (at > (uintptr_t)r->end || size > (size_t)((uintptr_t)r->end - at))
        return NULL;
    r->next = (char *)at + size;
    return (void *)at;
}

static void bs_region_release(void *ctx, void *addr, size_t size)
{
    (void)ctx, (void)addr, (void)size; /* the region goes back as a whole */
}

/* Reserves the region and makes it h's page source. */
static void bs_region_init(bs_heap_t *h)
{
    void *p = mmap(NULL, BS_REGION_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        bh_die("cannot reserve %zu bytes of address space: %s", BS_REGION_BYTES, strerror(errno));
    h->region = (bs_region_t){p, p, (char *)p + BS_REGION_BYTES};
    h->source = (page_source_t){bs_region_acquire, bs_region_release, &h->region, "region"};
}

/* Every object of the pair workload is stored here, so its address escapes
 * and the compiler must keep the allocation. */
static void *volatile bs_sink;

static _Noreturn void bs_fail(const char *what)
{
    fprintf(stderr, "bench_slabs worker: %s\n", what);
    exit(1);
}

/* The allocator under test; k is a constant at every call site, so the
 * switch folds away and each loop calls its allocator directly. */
BS_INLINE void *bs_alloc(bs_heap_t *h, enum bs_kind k, size_t size)
{
    void *p = k == BS_SLABS ? slabs_alloc(&h->slabs, size) : k == BS_MALLOC ? malloc(size) : g_slice_alloc(size);
    if (p == NULL)
        bs_fail("allocation failed");
    return p;
}

BS_INLINE void bs_free(bs_heap_t *h, enum bs_kind k, void *p, size_t size)
{
    if (k == BS_SLABS)
        slabs_free(&h->slabs, p);
    else if (k == BS_MALLOC)
        free(p);
    else
        g_slice_free1(size, p);
}

/* realloc for the realloc-grow pattern: slabs_realloc() or realloc(); GSlice
 * has none (bs_pick() refuses it). */
BS_INLINE void *bs_realloc(bs_heap_t *h, enum bs_kind k, void *p, size_t size)
{
    void *q = k == BS_SLABS ? slabs_realloc(&h->slabs, p, size) : realloc(p, size);
    if (q == NULL)
        bs_fail("realloc failed");
    return q;
}

/* The size of the i-th object of the run. */
BS_INLINE size_t bs_size(const bs_heap_t *h, size_t i)
{
    return h->ring[i & (BS_RING - 1)];
}

/* pair: n times, allocate, touch, free. */
BS_INLINE uint64_t bs_pair(bs_heap_t *h, enum bs_kind k, size_t n)
{
    uint64_t t0 = clock_now_ns();
    for (size_t i = 0; i < n; i++) {
        size_t size = bs_size(h, i);
        void *p = bs_alloc(h, k, size);
        *(size_t *)p = i;
        bs_sink = p;
        bs_free(h, k, p, size);
    }
    return clock_now_ns() - t0;
}

/* One round of batch-1000 from object number first: BS_BATCH allocations,
 * each touched, then their frees in the same order.  If check, the objects
 * are verified before they are freed. */
BS_INLINE void bs_batch_round(bs_heap_t *h, enum bs_kind k, size_t first, bool check)
{
    static void *obj[BS_BATCH];
    static uint16_t size[BS_BATCH];
    for (size_t i = 0; i < BS_BATCH; i++) {
        size[i] = (uint16_t)bs_size(h, first + i);
        obj[i] = bs_alloc(h, k, size[i]);
        *(size_t *)obj[i] = i;
    }
    for (size_t i = 0; check && i < BS_BATCH; i++)
        if (*(size_t *)obj[i] != i)
            bs_fail("batch: an object lost its contents (the same memory handed out twice?)");
    for (size_t i = 0; i < BS_BATCH; i++)
        bs_free(h, k, obj[i], size[i]);
}

/* batch-1000: rounds of bs_batch_round(), then one untimed, checked round. */
BS_INLINE uint64_t bs_batch(bs_heap_t *h, enum bs_kind k, size_t rounds)
{
    uint64_t t0 = clock_now_ns();
    for (size_t r = 0; r < rounds; r++)
        bs_batch_round(h, k, r * BS_BATCH, false);
    uint64_t t = clock_now_ns() - t0;
    bs_batch_round(h, k, rounds * BS_BATCH, true);
    return t;
}

/* realloc-grow: the object grows from BS_GROW_FIRST bytes by a random
 * BS_GROW_STEP_MIN to BS_GROW_STEP_MAX bytes per realloc up to the limit. */
#define BS_GROW_FIRST 16
#define BS_GROW_STEP_MIN 16
#define BS_GROW_STEP_MAX 64
#define BS_GROW_LIMIT_MAX ((size_t)1 << 30) /* the largest limit a worker takes */

/* The successive sizes of the growing object, drawn with a fixed seed:
 * BS_GROW_FIRST, then one more per realloc, the last one clamped to limit
 * (> BS_GROW_FIRST).  Returns how many (reallocs + 1) and the array in
 * *sizes. */
static size_t bs_grow_sizes(size_t limit, uint32_t **sizes)
{
    uint32_t *v = bh_xmalloc(((limit - BS_GROW_FIRST) / BS_GROW_STEP_MIN + 2) * sizeof *v);
    rng_t r = {0x9e0};
    size_t n = 0;
    v[n++] = BS_GROW_FIRST;
    while (v[n - 1] < limit) {
        size_t next = v[n - 1] + BS_GROW_STEP_MIN + rng_below(&r, BS_GROW_STEP_MAX - BS_GROW_STEP_MIN + 1);
        v[n++] = (uint32_t)(next < limit ? next : limit);
    }
    *sizes = v;
    return n;
}

/* Byte i of the grown object: what the step that added it wrote (step 0
 * is the first allocation).  Checked untimed after each loop. */
static void bs_grow_verify(const unsigned char *p, const uint32_t *size, size_t sizes)
{
    for (size_t s = 0; s < sizes; s++)
        for (size_t i = s ? size[s - 1] : 0; i < size[s]; i++)
            if (p[i] != (unsigned char)s)
                bs_fail("realloc-grow: the object lost its contents");
}

/* realloc-grow: loops times, allocate the object at size[0] bytes, realloc
 * it through every size, each step writing the bytes it added (as a string
 * builder appends), then (untimed) verify it and free it.  The time of the
 * allocation and the reallocs counts. */
BS_INLINE uint64_t bs_grow(bs_heap_t *h, enum bs_kind k, const uint32_t *size, size_t sizes, size_t loops)
{
    uint64_t t = 0;
    for (size_t l = 0; l < loops; l++) {
        uint64_t t0 = clock_now_ns();
        unsigned char *p = bs_alloc(h, k, size[0]);
        memset(p, 0, size[0]);
        for (size_t s = 1; s < sizes; s++) {
            p = bs_realloc(h, k, p, size[s]);
            memset(p + size[s - 1], (unsigned char)s, size[s] - size[s - 1]);
        }
        t += clock_now_ns() - t0;
        bs_grow_verify(p, size, sizes);
        bs_free(h, k, p, size[sizes - 1]);
    }
    return t;
}

/* The live set of a random or release workload. */
typedef struct bs_live {
    void **slot;      /* live objects */
    uint16_t *size;   /* their sizes (GSlice needs them back at free) */
    size_t n;         /* slots */
} bs_live_t;

/* Fills every slot (untimed); each object holds its slot number. */
BS_INLINE void bs_fill(bs_heap_t *h, enum bs_kind k, bs_live_t *l)
{
    for (size_t j = 0; j < l->n; j++) {
        l->size[j] = (uint16_t)bs_size(h, j);
        l->slot[j] = bs_alloc(h, k, l->size[j]);
        *(size_t *)l->slot[j] = j;
    }
}

static void bs_verify(const bs_live_t *l, const char *what)
{
    for (size_t j = 0; j < l->n; j++)
        if (*(size_t *)l->slot[j] != j)
            bs_fail(what);
}

/* random-L: fill, then for each idx[s] free that slot's object and allocate
 * the next size in its place. */
BS_INLINE uint64_t bs_random(bs_heap_t *h, enum bs_kind k, bs_live_t *l, const uint32_t *idx, size_t steps)
{
    bs_fill(h, k, l);
    uint64_t t0 = clock_now_ns();
    for (size_t s = 0; s < steps; s++) {
        size_t j = idx[s];
        bs_free(h, k, l->slot[j], l->size[j]);
        size_t size = bs_size(h, l->n + s);
        void *p = bs_alloc(h, k, size);
        *(size_t *)p = j;
        l->slot[j] = p;
        l->size[j] = (uint16_t)size;
    }
    uint64_t t = clock_now_ns() - t0;
    bs_verify(l, "random: an object lost its contents (the same memory handed out twice?)");
    return t;
}

/* Nanoseconds of slabs_destroy() alone in the last slabs-destroy-region run
 * (the rest of its time is the one munmap). */
static uint64_t bs_destroy_only_ns;

/* release: fill (untimed), verify, then let go of every object the way rel
 * says. */
BS_INLINE uint64_t bs_release(bs_heap_t *h, enum bs_kind k, bs_live_t *l, enum bs_release rel)
{
    bs_fill(h, k, l);
    bs_verify(l, "release: an object lost its contents (the same memory handed out twice?)");
    uint64_t t0 = clock_now_ns();
    if (rel == BS_RESET) {
        slabs_reset(&h->slabs);
    } else if (rel == BS_DESTROY) {
        slabs_destroy(&h->slabs);
    } else if (rel == BS_DESTROY_REGION) {
        slabs_destroy(&h->slabs);
        bs_destroy_only_ns = clock_now_ns() - t0;
        if (munmap(h->region.base, BS_REGION_BYTES) != 0)
            bs_fail("munmap of the region failed");
    } else
        for (size_t j = 0; j < l->n; j++)
            bs_free(h, k, l->slot[j], l->size[j]);
    return clock_now_ns() - t0;
}

/* One measurement, as the command line gave it. */
typedef struct bs_job {
    const char *pattern;  /* pair, batch-1000, random-1e4, random-1e6 or release */
    size_t n;             /* ops asked for */
    size_t ops;           /* ops done (batch rounds n up to whole rounds) */
    enum bs_release rel;  /* release: how */
    bs_live_t live;       /* random and release: the live set */
    uint32_t *idx;        /* random: the slot to replace at each step */
    uint32_t *grow;       /* realloc-grow: the object's successive sizes */
    size_t grow_n;        /* realloc-grow: how many (reallocs + 1) */
} bs_job_t;

/* Runs the job on allocator k; returns the timed nanoseconds. */
BS_INLINE uint64_t bs_run(bs_heap_t *h, bs_job_t *j, enum bs_kind k)
{
    j->ops = j->n;
    if (strcmp(j->pattern, "pair") == 0)
        return bs_pair(h, k, j->n);
    if (strcmp(j->pattern, "batch-1000") == 0) {
        size_t rounds = (j->n + BS_BATCH - 1) / BS_BATCH;
        j->ops = rounds * BS_BATCH;
        return bs_batch(h, k, rounds);
    }
    if (strcmp(j->pattern, "release") == 0)
        return bs_release(h, k, &j->live, j->rel);
    if (strcmp(j->pattern, "realloc-grow") == 0)
        return bs_grow(h, k, j->grow, j->grow_n, j->n);
    return bs_random(h, k, &j->live, j->idx, j->n);
}

static uint64_t bs_run_slabs(bs_heap_t *h, bs_job_t *j) { return bs_run(h, j, BS_SLABS); }
static uint64_t bs_run_malloc(bs_heap_t *h, bs_job_t *j) { return bs_run(h, j, BS_MALLOC); }
static uint64_t bs_run_gslice(bs_heap_t *h, bs_job_t *j) { return bs_run(h, j, BS_GSLICE); }

/* One size from the named distribution: uniform, skewed or a number. */
static size_t bs_draw(rng_t *r, const char *dist, size_t fixed)
{
    if (strcmp(dist, "uniform") == 0)
        return 16 + rng_below(r, 1009);
    if (strcmp(dist, "skewed") == 0) {
        uint64_t band = rng_below(r, 100);
        if (band < 70)
            return 16 + rng_below(r, 49);
        if (band < 95)
            return 65 + rng_below(r, 192);
        return 257 + rng_below(r, 768);
    }
    return fixed;
}

/* The ring of sizes for SIZES (uniform, skewed, or a size in bytes). */
static uint16_t *bs_ring_make(const char *dist)
{
    size_t fixed = 0;
    if (strcmp(dist, "uniform") != 0 && strcmp(dist, "skewed") != 0) {
        fixed = bh_count(dist, "size");
        if (fixed < sizeof(size_t) || fixed > 65535)
            bh_die("size must be %zu to 65535 bytes", sizeof(size_t));
    }
    uint16_t *ring = bh_xmalloc(BS_RING * sizeof *ring);
    rng_t r = {0x51ab5};
    for (size_t i = 0; i < BS_RING; i++)
        ring[i] = (uint16_t)bs_draw(&r, dist, fixed);
    return ring;
}

/* Chooses the worker's allocator from ALLOC; sets up slabs if it is one. */
static uint64_t (*bs_pick(bs_heap_t *h, bs_job_t *j, const char *alloc))(bs_heap_t *, bs_job_t *)
{
    bool release = strcmp(j->pattern, "release") == 0;
    if (strcmp(alloc, "malloc") == 0) {
        h->kind = BS_MALLOC;
        return bs_run_malloc;
    }
    if (strcmp(alloc, "gslice") == 0) {
        if (j->grow)
            bh_die("gslice has no realloc: no pattern realloc-grow");
        h->kind = BS_GSLICE;
        return bs_run_gslice;
    }
    if (strcmp(alloc, "slabs") == 0)
        j->rel = BS_FREE_EACH;
    else if (release && strcmp(alloc, "slabs-reset") == 0)
        j->rel = BS_RESET;
    else if (release && strcmp(alloc, "slabs-destroy") == 0)
        j->rel = BS_DESTROY;
    else if (release && strcmp(alloc, "slabs-destroy-region") == 0)
        j->rel = BS_DESTROY_REGION;
    else
        bh_die("unknown allocator %s for pattern %s", alloc, j->pattern);
    h->kind = BS_SLABS;
    slabs_config_t cfg = {0};
    if (j->rel == BS_DESTROY_REGION) {
        bs_region_init(h);
        cfg.source = &h->source;
    }
    if (slabs_init(&h->slabs, &cfg) != 0)
        bs_fail("slabs_init failed");
    return bs_run_slabs;
}

/* Prepares the live set and the slot numbers of a random or release job. */
static void bs_job_prepare(bs_job_t *j)
{
    size_t live = 0;
    if (strcmp(j->pattern, "random-1e4") == 0)
        live = 10000;
    else if (strcmp(j->pattern, "random-1e6") == 0)
        live = 1000000;
    else if (strcmp(j->pattern, "release") == 0)
        live = j->n;
    else if (strcmp(j->pattern, "pair") != 0 && strcmp(j->pattern, "batch-1000") != 0 &&
             strcmp(j->pattern, "realloc-grow") != 0)
        bh_die("unknown pattern %s", j->pattern);
    if (live == 0)
        return;
    j->live.n = live;
    j->live.slot = bh_xmalloc(live * sizeof *j->live.slot);
    j->live.size = bh_xmalloc(live * sizeof *j->live.size);
    if (strcmp(j->pattern, "release") == 0)
        return;
    j->idx = bh_xmalloc(j->n * sizeof *j->idx);
    rng_t r = {42};
    for (size_t s = 0; s < j->n; s++)
        j->idx[s] = (uint32_t)rng_below(&r, live);
}

/* After a slabs run: the counters must match the live set, the invariants
 * must hold.  Returns U = live requested bytes / peak bytes from the source. */
static double bs_slabs_after(bs_heap_t *h, const bs_job_t *j)
{
    if (j->rel == BS_DESTROY || j->rel == BS_DESTROY_REGION)
        return NAN; /* nothing left to look at */
    slabs_stats_t st;
    slabs_stats(&h->slabs, &st);
    size_t want = j->rel == BS_RESET || strcmp(j->pattern, "release") == 0 ? 0 : j->live.n;
    if (st.live_objects != want || slabs_check(&h->slabs) != 0)
        bs_fail("the allocator's counters or invariants are wrong after the run");
    return (double)st.live_requested_bytes / (double)st.peak_bytes_from_source;
}

/* The growing object's sizes for realloc-grow, up to LIMIT. */
static void bs_grow_prepare(bs_job_t *j, const char *limit)
{
    size_t max = bh_count(limit, "limit");
    if (max <= BS_GROW_FIRST || max > BS_GROW_LIMIT_MAX)
        bh_die("limit must be %d to %zu bytes", BS_GROW_FIRST + 1, BS_GROW_LIMIT_MAX);
    j->grow_n = bs_grow_sizes(max, &j->grow);
}

/* bench_slabs --worker ALLOC PATTERN SIZES N */
static int bs_worker(int argc, char **argv)
{
    if (argc != 6)
        bh_die("usage: bench_slabs --worker slabs|malloc|gslice|slabs-reset|slabs-destroy|slabs-destroy-region "
               "pair|batch-1000|random-1e4|random-1e6|release|realloc-grow uniform|skewed|SIZE|LIMIT N");
    const char *source = bh_worker_source();
    bool grow = strcmp(argv[3], "realloc-grow") == 0;
    bs_heap_t h = {.ring = grow ? NULL : bs_ring_make(argv[4])};
    bs_job_t j = {.pattern = argv[3], .n = bh_count(argv[5], "N")};
    if (grow)
        bs_grow_prepare(&j, argv[4]);
    bs_job_prepare(&j);
    uint64_t (*run)(bs_heap_t *, bs_job_t *) = bs_pick(&h, &j, argv[2]);

    uint64_t ns = run(&h, &j);

    char name[64], version[128], util[64] = "";
    if (h.kind == BS_SLABS) {
        double u = bs_slabs_after(&h, &j);
        if (j.live.n && strcmp(j.pattern, "release") != 0)
            snprintf(util, sizeof util, " util=%.4f", u);
        if (j.rel == BS_DESTROY_REGION)
            snprintf(util, sizeof util, " destroy_ns_per_op=%.4f", (double)bs_destroy_only_ns / (double)j.ops);
        slabs_destroy(&h.slabs);
    }
    bh_malloc_identity(name, sizeof name, version, sizeof version);
    printf("ns_per_op=%.4f ops=%zu peak_rss_kib=%ld malloc=%s source=%s%s\n", (double)ns / (double)j.ops, j.ops,
           bh_peak_rss_kib(), name, source, util);
    return 0;
}

/* ---- the driver: competitors and cells ---------------------------------------- */

/* The functions whose instructions are counted for slabs (the others' are
 * in harness.h; only the instructions inside them and their callees
 * count). */
static const char *const bs_tg_slabs[] = {"slabs_alloc", "slabs_free", NULL};

/* Competitors.  The last three release objects only in the release cell. */
enum { BS_GLIBC, BS_JE, BS_MI, BS_TC, BS_GS, BS_SL, BS_SL_RESET, BS_SL_DESTROY, BS_SL_REGION, BS_NCOMP };
#define BS_NSPEED BS_SL_RESET /* competitors of the speed cells: glibc .. slabs */

static bh_comp_t bs_comps[BS_NCOMP] = {
    BH_GENERAL_COMPETITORS,
    {"slabs", "slabs", NULL, NULL, "glibc", bs_tg_slabs, false, "", ""},
    {"slabs_reset", "slabs-reset", NULL, NULL, "glibc", bs_tg_slabs, false, "", ""},
    {"slabs_destroy", "slabs-destroy", NULL, NULL, "glibc", bs_tg_slabs, false, "", ""},
    {"slabs_destroy_region", "slabs-destroy-region", NULL, NULL, "glibc", bs_tg_slabs, false, "", ""},
};

/* What the release cell calls each competitor's way of letting go. */
static const char *const bs_release_name[BS_NCOMP] = {
    "glibc free() each", "jemalloc free() each", "mimalloc free() each", "tcmalloc free() each",
    "g_slice_free1() each", "slabs_free() each", "slabs_reset()", "slabs_destroy()",
    "slabs_destroy(), region",
};

/* Which table a cell belongs to. */
enum bs_section {
    BS_MIXED,   /* uniform and skewed mixes */
    BS_SIZES,   /* one fixed size at a time */
    BS_RELEASE, /* T4 */
    BS_GROW,    /* T3b: realloc growth; no GSlice (it has no realloc) */
};

/* One cell: a pattern on one set of sizes, measured for every competitor. */
typedef struct bs_cell {
    enum bs_section section; /* its table */
    const char *pattern;     /* the worker's PATTERN */
    const char *sizes;       /* the worker's SIZES */
    size_t n_full;           /* ops per measurement in a full run */
    size_t n_quick;          /* ops in a quick run; 0 = not in a quick run */
} bs_cell_t;

#define BS_N 2000000 /* ops per measurement of the speed cells */

/* The per-size cells of one pattern, 16 B to 1 KiB; q64 is the 64 B cell's
 * ops in a quick run (0 = not in it). */
#define BS_SIZE_CELLS(pattern, q64)                                                                      \
    {BS_SIZES, pattern, "16", BS_N, 0}, {BS_SIZES, pattern, "32", BS_N, 0}, {BS_SIZES, pattern, "64", BS_N, q64}, \
    {BS_SIZES, pattern, "128", BS_N, 0}, {BS_SIZES, pattern, "256", BS_N, 0},                            \
    {BS_SIZES, pattern, "512", BS_N, 0}, {BS_SIZES, pattern, "1024", BS_N, 0}

static const bs_cell_t bs_cells[] = {
    {BS_MIXED, "pair", "uniform", BS_N, 0},
    {BS_MIXED, "pair", "skewed", BS_N, 0},
    {BS_MIXED, "batch-1000", "uniform", BS_N, 200000},
    {BS_MIXED, "batch-1000", "skewed", BS_N, 0},
    {BS_MIXED, "random-1e4", "uniform", BS_N, 0},
    {BS_MIXED, "random-1e4", "skewed", BS_N, 0},
    {BS_MIXED, "random-1e6", "uniform", 1000000, 0},
    {BS_MIXED, "random-1e6", "skewed", 1000000, 0},
    BS_SIZE_CELLS("pair", 200000),
    BS_SIZE_CELLS("batch-1000", 0),
    BS_SIZE_CELLS("random-1e4", 0),
    {BS_RELEASE, "release", "uniform", 1000000, 100000},
    {BS_GROW, "realloc-grow", "65536", 20, 3},
    {BS_GROW, "realloc-grow", "1048576", 1, 0},
};
#define BS_NCELL (sizeof bs_cells / sizeof bs_cells[0])

/* The patterns, in table order; T3's "2x its own median" is per pattern. */
static const char *const bs_patterns[] = {"pair", "batch-1000", "random-1e4", "random-1e6"};
#define BS_NPAT (sizeof bs_patterns / sizeof bs_patterns[0])

/* The statistics of one competitor in one cell. */
typedef struct bs_result {
    double *ns;  /* samples of ns per op, reps of them; NULL = not run */
    double med;  /* median; NAN = not run */
    double lo;   /* min */
    double hi;   /* max */
    double rss;  /* peak RSS in KiB, median */
    double util; /* slabs, random patterns: U reported by the worker (median); NAN = none */
    double part; /* slabs-destroy-region: ns per object of slabs_destroy() alone (median); NAN = none */
} bs_result_t;

/* A trace's utilisation, as tools/replay reports it. */
typedef struct bs_trace {
    char name[256];       /* file name under tools/traces */
    double ops;           /* operations in the trace */
    double payload;       /* peak live payload, bytes */
    double held[2];       /* peak bytes held: slabs, malloc */
    double util[2];       /* U: slabs, malloc */
    double heap_util;     /* slabs: U against what glibc held for its blocks ("U heap") */
} bs_trace_t;

#define BS_MAXTRACE 32

/* Where instructions are counted: pattern and sizes (the first alone in a
 * quick run). */
static const char *const bs_instr_cells[][2] = {{"pair", "64"}, {"pair", "uniform"}, {"random-1e4", "uniform"}};
#define BS_NINSTR (sizeof bs_instr_cells / sizeof bs_instr_cells[0])

/* The driver's options and results. */
typedef struct bs_state {
    bh_opts_t opt;           /* the command line (harness.h); opt.svg: the mixed-size chart */
    bool replay;             /* run tools/replay on the traces */
    const char *trace_dir;   /* the directory of the traces (--traces) */
    bool cell_on[BS_NCELL];  /* cells measured in this run */
    bs_result_t res[BS_NCELL][BS_NCOMP]; /* results */
    double instr[BS_NINSTR][BS_NSPEED]; /* instructions per pair, bs_instr_cells order; NAN = not counted */
    bs_trace_t trace[BS_MAXTRACE];       /* replay results */
    size_t traces;           /* entries in trace */
    char replay_note[512];   /* why there are no replay results, if there are none */
} bs_state_t;

/* Is cell c one of alloc+free pairs (a mix or a fixed size)? */
static bool bs_speed_cell(size_t c)
{
    return bs_cells[c].section == BS_MIXED || bs_cells[c].section == BS_SIZES;
}

/* Does competitor i take part in cell c? */
static bool bs_in_cell(size_t c, size_t i)
{
    if (!bs_comps[i].present)
        return false;
    if (bs_cells[c].section == BS_GROW)
        return i < BS_NSPEED && i != BS_GS;
    return i < BS_NSPEED || bs_cells[c].section == BS_RELEASE;
}

/* What a worker's line must hold, and its sensible bounds: per op, or per
 * growth loop (which takes seconds when every realloc copies). */
static const bh_line_spec_t bs_line = {"ns_per_op", 1e-6, 1e7, "ops", 1e10};
static const bh_line_spec_t bs_grow_line = {"ns_per_op", 1, 1e12, "ops", 1e10};

/* Runs one worker; returns its ns per op, peak RSS, U and the destroy-only
 * time (NAN if the worker reports none). */
static double bs_measure(const bs_state_t *st, size_t c, size_t i, double *rss, double *util, double *part)
{
    const bh_comp_t *comp = &bs_comps[i];
    const bs_cell_t *cell = &bs_cells[c];
    char n[32], out[512];
    size_t ops = st->opt.quick ? cell->n_quick : cell->n_full;
    snprintf(n, sizeof n, "%zu", ops);
    char *argv[] = {(char *)st->opt.self, (char *)"--worker", (char *)comp->alloc, (char *)cell->pattern,
                    (char *)cell->sizes, n, NULL};
    const bh_line_spec_t *spec = cell->section == BS_GROW ? &bs_grow_line : &bs_line;
    double ns = bh_measure(comp, argv, st->opt.quick ? 60 : 300, spec, ops, rss, out, sizeof out);
    *util = NAN;
    if (strstr(out, " util=") && !bh_field_number(out, "util", 1e-3, 1, util))
        bh_die("worker %s %s %s printed a bad util: \"%s\"", comp->name, cell->pattern, cell->sizes, out);
    *part = NAN;
    if (strstr(out, " destroy_ns_per_op=") && !bh_field_number(out, "destroy_ns_per_op", 0, 1e7, part))
        bh_die("worker %s %s %s printed a bad destroy time: \"%s\"", comp->name, cell->pattern, cell->sizes, out);
    return ns;
}

/* Median, min and max of the samples of one result; also the RSS, U and
 * the destroy-only time. */
static void bs_summarise(bs_result_t *r, double *rss, double *util, double *part, size_t reps)
{
    bh_stats(r->ns, reps, &r->med, &r->lo, &r->hi);
    r->rss = bh_median(rss, reps);
    r->util = isnan(util[0]) ? NAN : bh_median(util, reps);
    r->part = isnan(part[0]) ? NAN : bh_median(part, reps);
}

/* The cell bs_rounds_measure() measures. */
typedef struct bs_at {
    const bs_state_t *st; /* the run */
    size_t c;             /* the cell */
} bs_at_t;

/* One measurement of competitor i for bh_rounds(): ns per op, peak RSS, U
 * and the destroy-only time. */
static void bs_rounds_measure(void *ctx, size_t i, double *v)
{
    const bs_at_t *at = ctx;
    v[0] = bs_measure(at->st, at->c, i, &v[1], &v[2], &v[3]);
}

/* Measures one cell: a warm-up round (full runs), then reps rounds, each
 * round running every competitor once in turn (A B C A B C ...). */
static void bs_run_cell(bs_state_t *st, size_t c)
{
    bool on[BS_NCOMP];
    static double sample[BS_NCOMP][BH_NQ][64];
    for (size_t i = 0; i < BS_NCOMP; i++)
        on[i] = bs_in_cell(c, i);
    bh_rounds(BS_NCOMP, on, st->opt.quick, st->opt.reps, bs_rounds_measure, &(bs_at_t){st, c}, sample);
    for (size_t i = 0; i < BS_NCOMP; i++) {
        if (!on[i])
            continue;
        st->res[c][i].ns = bh_xmalloc(st->opt.reps * sizeof(double));
        memcpy(st->res[c][i].ns, sample[i][0], st->opt.reps * sizeof(double));
        bs_summarise(&st->res[c][i], sample[i][1], sample[i][2], sample[i][3], st->opt.reps);
    }
}

/* The best (lowest median) general malloc of cell c; BS_NCOMP if none ran. */
static size_t bs_best_malloc(const bs_state_t *st, size_t c)
{
    size_t best = BS_NCOMP;
    for (size_t i = BS_GLIBC; i <= BS_TC; i++)
        if (st->res[c][i].ns && (best == BS_NCOMP || st->res[c][i].med < st->res[c][best].med))
            best = i;
    return best;
}

/* ---- the driver: printing ------------------------------------------------------- */

static const char *bs_sizes_label(const char *sizes, char *buf, size_t size)
{
    if (strcmp(sizes, "uniform") == 0)
        return "uniform 16 B-1 KiB";
    if (strcmp(sizes, "skewed") == 0)
        return "skewed small-heavy";
    snprintf(buf, size, "%s B", sizes);
    return buf;
}

/* One mixed cell as a table: every competitor with median, min, max, its
 * speed relative to glibc and peak RSS. */
static void bs_print_mixed_cell(const bs_state_t *st, size_t c)
{
    char buf[32], what[96];
    const bs_result_t *r = st->res[c];
    snprintf(what, sizeof what, "%s, %s", bs_cells[c].pattern, bs_sizes_label(bs_cells[c].sizes, buf, sizeof buf));
    bh_cell_head(what, st->opt.reps, st->opt.quick);
    for (size_t i = 0; i < BS_NSPEED; i++)
        if (r[i].ns)
            bh_cell_row(bs_comps[i].name, r[i].med, r[i].lo, r[i].hi, r[BS_GLIBC].med, r[i].rss);
    if (r[BS_SL].ns && !isnan(r[BS_SL].util))
        printf("  slabs utilisation at the end (live requested bytes / peak bytes from the source): %.3f\n",
               r[BS_SL].util);
    fflush(stdout);
}

/* The per-size table of one pattern: one row per size, the medians of every
 * competitor, the best general malloc and slabs' speed relative to it. */
static void bs_print_sizes(const bs_state_t *st, const char *pattern)
{
    bool header = false;
    for (size_t c = 0; c < BS_NCELL; c++) {
        if (!st->cell_on[c] || bs_cells[c].section != BS_SIZES || strcmp(bs_cells[c].pattern, pattern) != 0)
            continue;
        const bs_result_t *r = st->res[c];
        if (!header) {
            printf("\n%s by object size: median ns per alloc+free pair (%zu rep%s; min and max in the CSV)\n",
                   pattern, st->opt.reps, st->opt.reps == 1 ? "" : "s");
            printf("  %-7s", "size");
            for (size_t i = 0; i < BS_NSPEED; i++)
                if (bs_comps[i].present)
                    printf(" %9s", bs_comps[i].name);
            printf("   %-9s %13s\n", "best", "slabs vs best");
            header = true;
        }
        printf("  %4s B ", bs_cells[c].sizes);
        for (size_t i = 0; i < BS_NSPEED; i++)
            if (bs_comps[i].present)
                printf(" %9.2f", r[i].med);
        size_t b = bs_best_malloc(st, c);
        printf("   %-9s %12.2fx\n", bs_comps[b].name, r[b].med / r[BS_SL].med);
    }
    fflush(stdout);
}

/* The release cell: milliseconds to let go of every object. */
static void bs_print_release(const bs_state_t *st, size_t c)
{
    const bs_result_t *r = st->res[c];
    double n = (double)(st->opt.quick ? bs_cells[c].n_quick : bs_cells[c].n_full);
    printf("\nReleasing %.0f live objects (uniform 16 B-1 KiB; allocated untimed): ms for all of them\n"
           "(median of %zu%s)\n", n, st->opt.reps, bh_warmup_note(st->opt.quick));
    printf("  %-22s %10s %10s %10s %12s %12s\n", "how", "median ms", "min ms", "max ms", "ns/object",
           "vs glibc");
    for (size_t i = 0; i < BS_NCOMP; i++)
        if (r[i].ns)
            printf("  %-22s %10.3f %10.3f %10.3f %12.3f %11.1fx\n", bs_release_name[i], r[i].med * n / 1e6,
                   r[i].lo * n / 1e6, r[i].hi * n / 1e6, r[i].med, r[BS_GLIBC].med / r[i].med);
    if (r[BS_SL_REGION].ns)
        printf("  (region: every slab carved from one reservation of address space; of its time,\n"
               "  slabs_destroy() itself took %.3f ms, the one munmap that gives the memory back the rest)\n",
               r[BS_SL_REGION].part * n / 1e6);
    fflush(stdout);
}

/* "64 KiB" or "1 MiB" for n bytes, in buf. */
static const char *bs_bytes_label(size_t n, char *buf, size_t size)
{
    if (n % ((size_t)1 << 20) == 0)
        snprintf(buf, size, "%zu MiB", n >> 20);
    else if (n % 1024 == 0)
        snprintf(buf, size, "%zu KiB", n >> 10);
    else
        snprintf(buf, size, "%zu B", n);
    return buf;
}

/* The limit of realloc-grow cell c, in buf ("1 MiB"). */
static const char *bs_grow_label(size_t c, char *buf, size_t size)
{
    return bs_bytes_label(bh_count(bs_cells[c].sizes, "limit"), buf, size);
}

/* A realloc-grow cell: ms per whole growth loop, and each allocator's time
 * as a multiple of glibc's. */
static void bs_print_grow(const bs_state_t *st, size_t c)
{
    const bs_result_t *r = st->res[c];
    uint32_t *sizes;
    size_t reallocs = bs_grow_sizes(bh_count(bs_cells[c].sizes, "limit"), &sizes) - 1;
    char limit[32];
    free(sizes);
    printf("\nrealloc growth (T3b): one object from %d B to %s by realloc, in random %d-%d B steps\n"
           "(%zu reallocs, fixed seed), each step writing its new bytes: ms per whole loop\n"
           "(median of %zu%s; no gslice, which has no realloc)\n", BS_GROW_FIRST,
           bs_grow_label(c, limit, sizeof limit), BS_GROW_STEP_MIN, BS_GROW_STEP_MAX, reallocs, st->opt.reps,
           bh_warmup_note(st->opt.quick));
    printf("  %-10s %10s %10s %10s %13s %12s\n", "allocator", "median ms", "min ms", "max ms", "time / glibc",
           "peak RSS KiB");
    for (size_t i = 0; i < BS_NSPEED; i++)
        if (r[i].ns)
            printf("  %-10s %10.3f %10.3f %10.3f %12.1fx %12.0f\n", bs_comps[i].name, r[i].med / 1e6, r[i].lo / 1e6,
                   r[i].hi / 1e6, r[i].med / r[BS_GLIBC].med, r[i].rss);
    fflush(stdout);
}

/* The matrix of ratios to glibc, every speed cell at a glance. */
static void bs_print_summary(const bs_state_t *st)
{
    bh_summary_head(bs_comps, BS_NSPEED, 30, "pattern, sizes", "slabs ns/op");
    for (size_t c = 0; c < BS_NCELL; c++) {
        if (!st->cell_on[c] || !bs_speed_cell(c))
            continue;
        char label[64], buf[32];
        snprintf(label, sizeof label, "%s, %s", bs_cells[c].pattern,
                 bs_sizes_label(bs_cells[c].sizes, buf, sizeof buf));
        printf("  %-30s", label);
        for (size_t i = 0; i < BS_NSPEED; i++)
            if (bs_comps[i].present)
                printf(" %8.2fx", st->res[c][BS_GLIBC].med / st->res[c][i].med);
        printf(" %12.2f\n", st->res[c][BS_SL].med);
    }
}

/* ---- the driver: instruction counts ---------------------------------------------- */

/* Counts instructions per pair with callgrind in the bs_instr_cells: the
 * hot pair at 64 B and on the uniform mix, and the steady state of
 * random-1e4 (whose fill does not depend on N, so it drops out of the
 * difference).  Every competitor in a full run; slabs alone, first cell
 * alone, in a quick one, which fails if callgrind runs but counts nothing in
 * slabs_alloc and slabs_free (the harness would be broken). */
static void bs_count_instructions(bs_state_t *st)
{
    static const size_t order[BS_NSPEED] = {BS_SL, BS_GLIBC, BS_JE, BS_MI, BS_TC, BS_GS};
    size_t cells = st->opt.quick ? 1 : BS_NINSTR;
    for (size_t k = 0; k < BS_NINSTR; k++)
        for (size_t i = 0; i < BS_NSPEED; i++)
            st->instr[k][i] = NAN;
    if (!bh_callgrind_ready(st->opt.callgrind))
        return;
    size_t n = st->opt.quick ? 2000 : 100000;
    printf("\nInstructions per alloc+free pair (callgrind; counted inside the alloc and free functions and\n"
           "their callees only; (count(%zu pairs) - count(%zu pairs)) / %zu)\n", 2 * n, n, n);
    printf("  %-10s", "allocator");
    for (size_t k = 0; k < cells; k++) {
        char head[48];
        const char *z = bs_instr_cells[k][1];
        snprintf(head, sizeof head, "%s, %s%s", bs_instr_cells[k][0], z, z[0] >= '0' && z[0] <= '9' ? " B" : "");
        printf(" %20s", head);
    }
    printf("\n");
    for (size_t o = 0; o < (st->opt.quick ? 1 : BS_NSPEED); o++) {
        size_t i = order[o];
        if (!bs_comps[i].present)
            continue;
        printf("  %-10s", bs_comps[i].name);
        for (size_t k = 0; k < cells; k++) {
            bool ran = true;
            char *argv[] = {st->opt.self, (char *)"--worker", (char *)bs_comps[i].alloc, (char *)bs_instr_cells[k][0],
                            (char *)bs_instr_cells[k][1], NULL, NULL};
            st->instr[k][i] = bh_callgrind_slope(argv, 5, n, bs_comps[i].lib ? bs_comps[i].preload : NULL,
                                                 bs_comps[i].toggles, 300, &ran);
            if (!ran && i == BS_SL) {
                printf("\n  note: callgrind could not run this program (see its messages above); no counts\n");
                return;
            }
            printf(" %20.2f", st->instr[k][i]);
            fflush(stdout);
            if (st->opt.quick && i == BS_SL && isnan(st->instr[k][i]))
                bh_die("callgrind ran but counted nothing in slabs_alloc and slabs_free");
        }
        printf("   (%s + %s)\n", bs_comps[i].toggles[0], bs_comps[i].toggles[1]);
    }
}

/* ---- the driver: utilisation from tools/replay ----------------------------------- */

/* The replay tool of this build: the release tree's tools/replay, beside the
 * bench directory this program lives in. */
static void bs_replay_path(const bs_state_t *st, char *out, size_t size)
{
    snprintf(out, size, "%s", st->opt.self);
    for (int up = 0; up < 2; up++) {
        char *slash = strrchr(out, '/');
        if (slash)
            *slash = '\0';
    }
    size_t len = strlen(out);
    snprintf(out + len, size - len, "/tools/replay");
}

/* Reads one line of replay's table into t: the trace line ("PATH: N ops,
 * ...") gives the operations, an allocator line ("  slabs  time ns/op
 * payload held U heap Uheap") the rest (slot k: 0 slabs, 1 malloc).
 * Other lines are ignored.  The table is made for people; a line that looks
 * like an allocator's but does not parse makes the run fail. */
static bool bs_replay_line(const char *line, const char *path, bs_trace_t *t)
{
    size_t plen = strlen(path);
    if (strncmp(line, path, plen) == 0 && line[plen] == ':')
        return sscanf(line + plen + 1, " %lf ops", &t->ops) == 1;
    char who[32], heap[32], uheap[32];
    double ms, nsop, payload, held, u;
    if (sscanf(line, " %31s", who) != 1 || (strcmp(who, "slabs") != 0 && strcmp(who, "malloc") != 0))
        return true;
    size_t k = strcmp(who, "slabs") == 0 ? 0 : 1;
    if (sscanf(line, " %31s %lf %lf %lf %lf %lf %31s %31s", who, &ms, &nsop, &payload, &held, &u, heap, uheap) != 8 ||
        !(u > 0 && u <= 1))
        return false;
    t->payload = payload;
    t->held[k] = held;
    t->util[k] = u;
    if (k == 0)
        t->heap_util = strtod(uheap, NULL);
    return true;
}

/* Replays one trace file (one run: utilisation does not depend on the
 * run); false (with a message) if the tool fails or its output cannot be
 * read. */
static bool bs_replay_one(const char *tool, const char *path, bs_trace_t *t)
{
    char out[8192];
    char *argv[] = {(char *)tool, (char *)"-r", (char *)"1", (char *)path, NULL};
    bh_child_t child = {argv, NULL, 300};
    if (!bh_run(&child, out, sizeof out))
        return false;
    t->util[0] = t->util[1] = t->heap_util = t->ops = NAN;
    bool ok = true;
    for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n"))
        ok = bs_replay_line(line, path, t) && ok;
    if (!ok || isnan(t->util[0]) || isnan(t->util[1]) || isnan(t->ops)) {
        fprintf(stderr, "bench: cannot read the output of %s -r 1 %s\n", tool, path);
        return false;
    }
    return true;
}

/* Runs tools/replay on every file of tools/traces (a quick run: the first
 * one only); fills st->trace.  Missing tool or traces: a note, no failure;
 * a tool that fails or prints nonsense: the run fails. */
static void bs_replay_all(bs_state_t *st, const char *dir)
{
    char tool[4096];
    bs_replay_path(st, tool, sizeof tool);
    if (!st->replay) {
        snprintf(st->replay_note, sizeof st->replay_note, "not run (--no-replay)");
        return;
    }
    if (access(tool, X_OK) != 0) {
        snprintf(st->replay_note, sizeof st->replay_note, "%s not built (make MODE=release tools)", tool);
        return;
    }
    struct dirent **names;
    int n = scandir(dir, &names, NULL, alphasort);
    if (n < 0) {
        snprintf(st->replay_note, sizeof st->replay_note, "no trace directory %s", dir);
        return;
    }
    for (int i = 0; i < n; i++) {
        const char *name = names[i]->d_name;
        size_t len = strlen(name);
        bool trace = len > 4 && strcmp(name + len - 4, ".rep") == 0 && st->traces < BS_MAXTRACE &&
                     !(st->opt.quick && st->traces == 1);
        if (trace) {
            char path[4096];
            bs_trace_t *t = &st->trace[st->traces];
            snprintf(path, sizeof path, "%s/%s", dir, name);
            snprintf(t->name, sizeof t->name, "%s", name);
            if (!bs_replay_one(tool, path, t))
                exit(1);
            st->traces++;
        }
        free(names[i]);
    }
    free(names);
    if (st->traces == 0)
        snprintf(st->replay_note, sizeof st->replay_note, "no traces in %s", dir);
}

/* The utilisation table. */
static void bs_print_replay(const bs_state_t *st)
{
    printf("\nSpace utilisation on trace replay (tools/replay; U = peak live payload / peak bytes held)\n");
    if (st->traces == 0) {
        printf("  %s\n", st->replay_note);
        return;
    }
    printf("  %-16s %8s %13s %13s %8s %13s %8s %12s\n", "trace", "ops", "peak payload", "slabs held", "slabs U",
           "malloc held", "malloc U", "slabs U heap");
    for (size_t i = 0; i < st->traces; i++) {
        const bs_trace_t *t = &st->trace[i];
        printf("  %-16s %8.0f %13.0f %13.0f %8.3f %13.0f %8.3f %12.3f\n", t->name, t->ops, t->payload, t->held[0],
               t->util[0], t->held[1], t->util[1], t->heap_util);
    }
    printf("  (held: slabs = its peak bytes from the page source; malloc = glibc's mallinfo2 arena + hblkhd.\n"
           "  U heap: slabs against what glibc itself held to serve the page source's posix_memalign blocks)\n");
}

/* ---- the driver: targets ------------------------------------------------------------ */

/* T3, first half: slabs against the best general malloc in every speed
 * cell; the worst ratio counts. */
static void bs_target_best(const bs_state_t *st)
{
    double worst = INFINITY;
    size_t worst_cell = 0, slower = 0, cells = 0;
    for (size_t c = 0; c < BS_NCELL; c++) {
        if (!st->cell_on[c] || !bs_speed_cell(c))
            continue;
        size_t b = bs_best_malloc(st, c);
        double ratio = st->res[c][b].med / st->res[c][BS_SL].med;
        cells++;
        slower += ratio < 1;
        if (ratio < worst) {
            worst = ratio;
            worst_cell = c;
        }
    }
    char buf[32];
    printf("  %-70s %6.2fx  %-6s (worst: %s, %s vs %s; slower in %zu of %zu cells)\n",
           "T3 slabs vs best general malloc, every size and pattern: >= 1x", worst, worst >= 1 ? "MET" : "MISSED",
           bs_cells[worst_cell].pattern, bs_sizes_label(bs_cells[worst_cell].sizes, buf, sizeof buf),
           bs_comps[bs_best_malloc(st, worst_cell)].name, slower, cells);
}

/* T3, second half: per pattern, slabs' slowest size against the median of
 * its own times over the sizes (fixed sizes and the two mixes). */
static void bs_target_spread(const bs_state_t *st)
{
    double worst = 0;
    char detail[512] = "";
    size_t used = 0;
    for (size_t p = 0; p < BS_NPAT; p++) {
        double v[BS_NCELL], hi = 0;
        size_t n = 0;
        for (size_t c = 0; c < BS_NCELL; c++)
            if (st->cell_on[c] && strcmp(bs_cells[c].pattern, bs_patterns[p]) == 0) {
                v[n++] = st->res[c][BS_SL].med;
                hi = st->res[c][BS_SL].med > hi ? st->res[c][BS_SL].med : hi;
            }
        if (n == 0)
            continue;
        double spread = hi / bh_median(v, n);
        worst = spread > worst ? spread : worst;
        used += (size_t)snprintf(detail + used, sizeof detail - used, "%s%s %.2f", used ? ", " : "",
                                 bs_patterns[p], spread);
    }
    printf("  %-70s %6.2fx  %-6s (slowest / median per pattern: %s)\n",
           "T3 slabs, no size slower than 2x its own median per pattern", worst, worst <= 2 ? "MET" : "MISSED",
           detail);
}

/* T3 utilisation and T4. */
static void bs_target_util_release(const bs_state_t *st)
{
    const char *label = "T3 slabs utilisation on trace replay: U >= 0.80 on every trace";
    if (st->traces == 0) {
        printf("  %-70s n/a (%s)\n", label, st->replay_note);
    } else {
        size_t worst = 0;
        for (size_t i = 1; i < st->traces; i++)
            if (st->trace[i].util[0] < st->trace[worst].util[0])
                worst = i;
        double u = st->trace[worst].util[0];
        printf("  %-70s %7.3f  %-6s (lowest: %s)\n", label, u, u >= 0.80 ? "MET" : "MISSED", st->trace[worst].name);
    }
    for (size_t c = 0; c < BS_NCELL; c++) {
        if (!st->cell_on[c] || bs_cells[c].section != BS_RELEASE)
            continue;
        const bs_result_t *r = st->res[c];
        for (size_t i = BS_SL_RESET; i <= BS_SL_REGION; i++) {
            char lab[96];
            snprintf(lab, sizeof lab, "T4 10^6 objects, %s vs glibc free() each: >= 100x", bs_release_name[i]);
            double ratio = r[BS_GLIBC].med / r[i].med;
            printf("  %-70s %6.0fx  %s\n", lab, ratio, ratio >= 100 ? "MET" : "MISSED");
        }
        if (r[BS_SL_REGION].ns && !isnan(r[BS_SL_REGION].part)) {
            double ratio = r[BS_GLIBC].med / r[BS_SL_REGION].part;
            printf("  %-70s %6.0fx  %s (the allocator's own work; not the target's figure)\n",
                   "   (slabs_destroy() alone, region source, munmap excluded)", ratio, ratio >= 100 ? "met" : "missed");
        }
    }
}

/* T3b: slabs' realloc growth loop against glibc's, on the last (largest)
 * limit measured. */
static void bs_target_grow(const bs_state_t *st)
{
    size_t last = BS_NCELL;
    for (size_t c = 0; c < BS_NCELL; c++)
        if (st->cell_on[c] && bs_cells[c].section == BS_GROW)
            last = c;
    if (last == BS_NCELL)
        return;
    char limit[32], label[96];
    double ratio = st->res[last][BS_SL].med / st->res[last][BS_GLIBC].med;
    snprintf(label, sizeof label, "T3b realloc growth to %s, 16-64 B steps: slabs / glibc time <= 2x",
             bs_grow_label(last, limit, sizeof limit));
    printf("  %-70s %6.1fx  %s\n", label, ratio, ratio <= 2 ? "MET" : "MISSED");
}

/* Each target with the measured value, MET or MISSED. */
static void bs_print_targets(const bs_state_t *st)
{
    printf("\nTargets\n");
    if (st->opt.quick) {
        printf("  not evaluated in a quick run\n");
        return;
    }
    bs_target_best(st);
    bs_target_spread(st);
    bs_target_grow(st);
    bs_target_util_release(st);
}

/* ---- the driver: CSV and SVG ------------------------------------------------------- */

static const char *const bs_section_name[] = {"mixed", "sizes", "release", "grow"};

/* The unit of a cell's times. */
static const char *const bs_section_unit[] = {"ns per alloc+free pair", "ns per alloc+free pair",
                                              "ns per object released", "ns per growth loop"};

/* Every measurement as CSV: one row per cell and competitor (ns per op and
 * every sample), then the instruction counts and the replay results (ctx:
 * the run). */
static void bs_write_csv(const void *ctx)
{
    const bs_state_t *st = ctx;
    FILE *f = bh_csv_open(st->opt.csv, "section,pattern,sizes,allocator,version,unit,reps,median,min,max,"
                                       "ratio_vs_glibc,peak_rss_kib,slabs_util,destroy_only_ns,samples\n");
    for (size_t c = 0; c < BS_NCELL; c++) {
        for (size_t i = 0; st->cell_on[c] && i < BS_NCOMP; i++) {
            const bs_result_t *r = &st->res[c][i];
            if (r->ns == NULL)
                continue;
            fprintf(f, "%s,%s,%s,%s,\"%s\",%s,%zu,%.4f,%.4f,%.4f,%.4f,%.0f,", bs_section_name[bs_cells[c].section],
                    bs_cells[c].pattern, bs_cells[c].sizes, bs_comps[i].name, bs_comps[i].version,
                    bs_section_unit[bs_cells[c].section],
                    st->opt.reps, r->med, r->lo, r->hi, st->res[c][BS_GLIBC].med / r->med, r->rss);
            if (!isnan(r->util))
                fprintf(f, "%.4f", r->util);
            fputc(',', f);
            if (!isnan(r->part))
                fprintf(f, "%.4f", r->part);
            fputc(',', f);
            bh_csv_samples(f, r->ns, st->opt.reps);
        }
    }
    for (size_t k = 0; k < BS_NINSTR; k++)
        for (size_t i = 0; i < BS_NSPEED; i++)
            if (!isnan(st->instr[k][i]))
                fprintf(f, "instructions,%s,%s,%s,\"%s\",instructions per pair,1,%.2f,,,,,,,\n",
                        bs_instr_cells[k][0], bs_instr_cells[k][1], bs_comps[i].name, bs_comps[i].version,
                        st->instr[k][i]);
    for (size_t t = 0; t < st->traces; t++) {
        const bs_trace_t *tr = &st->trace[t];
        fprintf(f, "replay,%s,trace,payload,\"\",peak live payload bytes,1,%.0f,,,,,,,\n", tr->name, tr->payload);
        for (size_t k = 0; k < 2; k++) {
            const char *who = k == 0 ? "slabs" : "malloc", *version = k == 0 ? "slabcraft" : "glibc";
            fprintf(f, "replay,%s,trace,%s,\"%s\",peak bytes held,1,%.0f,,,,,,,\n", tr->name, who, version,
                    tr->held[k]);
            fprintf(f, "replay,%s,trace,%s,\"%s\",utilisation,1,%.4f,,,,,,,\n", tr->name, who, version,
                    tr->util[k]);
        }
    }
    bh_csv_close(f, st->opt.csv);
}

/* One chart: the speed cells of one section, medians relative to glibc on a
 * log2 axis, each bar growing from the glibc line (glibc itself is that
 * line); slabs' bars carry their value. */
static void bs_write_chart(const bs_state_t *st, enum bs_section sec, const char *path, const char *title)
{
    static const char *const colour[BS_NSPEED] = {"#8c8c8c", "#4e79a7", "#59a14f", "#edc948", "#b07aa1",
                                                  "#e15759"};
    const char *glabel[BS_NCELL], *gsection[BS_NCELL];
    char label[BS_NCELL][24];
    double value[BS_NCELL * BS_NSPEED];
    size_t ng = 0;
    bh_series_t series;
    bh_series_pick(&series, bs_comps, BS_JE, BS_NSPEED, BS_SL, colour);
    for (size_t c = 0; c < BS_NCELL; c++) {
        if (!st->cell_on[c] || bs_cells[c].section != sec)
            continue;
        snprintf(label[ng], sizeof label[ng], sec == BS_SIZES ? "%s B" : "%s", bs_cells[c].sizes);
        glabel[ng] = label[ng];
        gsection[ng] = bs_cells[c].pattern;
        for (size_t k = 0; k < series.n; k++)
            value[ng * series.n + k] = st->res[c][BS_GLIBC].med / st->res[c][series.map[k]].med;
        ng++;
    }
    if (ng > 0)
        bh_ratio_chart(path, title, st->opt.reps, ng, glabel, gsection, &series, value);
}

/* The two charts: the mixes to --svg FILE, the fixed sizes to FILE_sizes.svg
 * (ctx: the run). */
static void bs_write_svg(const void *ctx)
{
    const bs_state_t *st = ctx;
    char sizes[4096];
    size_t len = strlen(st->opt.svg);
    if (len > 4 && strcmp(st->opt.svg + len - 4, ".svg") == 0)
        snprintf(sizes, sizeof sizes, "%.*s_sizes.svg", (int)(len - 4), st->opt.svg);
    else
        snprintf(sizes, sizeof sizes, "%s_sizes.svg", st->opt.svg);
    bs_write_chart(st, BS_MIXED, st->opt.svg,
                   "Stage 02: mixed sizes, alloc+free pairs, speed relative to glibc malloc (higher is faster)");
    bs_write_chart(st, BS_SIZES, sizes,
                   "Stage 02: one size at a time, speed relative to glibc malloc (higher is faster)");
}

/* ---- the driver: putting it together ------------------------------------------------ */

static _Noreturn void bs_usage(void)
{
    fprintf(stderr, "usage: bench_slabs [--quick] [--reps N] [--csv FILE] [--svg FILE] [--no-callgrind]\n"
                    "                   [--no-replay] [--traces DIR]\n"
                    "       bench_slabs --worker ALLOC PATTERN SIZES N\n"
                    "       bench_slabs --probe\n");
    exit(2);
}

/* This program's own options for bh_parse_opts() (ctx: the run):
 * --no-replay and --traces DIR. */
static bool bs_parse_own(void *ctx, int argc, char **argv, int *i)
{
    bs_state_t *st = ctx;
    if (strcmp(argv[*i], "--no-replay") == 0)
        st->replay = false;
    else if (strcmp(argv[*i], "--traces") == 0 && *i + 1 < argc)
        st->trace_dir = argv[++*i];
    else
        return false;
    return true;
}

static void bs_parse(bs_state_t *st, int argc, char **argv)
{
    st->trace_dir = "tools/traces";
    st->replay = true;
    bh_parse_opts(&st->opt, argc, argv, bs_parse_own, st, bs_usage);
}

/* True if c is the last cell of its per-size table that this run measures. */
static bool bs_last_of_table(const bs_state_t *st, size_t c)
{
    for (size_t d = c + 1; d < BS_NCELL; d++)
        if (st->cell_on[d])
            return bs_cells[d].section != BS_SIZES || strcmp(bs_cells[d].pattern, bs_cells[c].pattern) != 0;
    return true;
}

/* Every cell, in table order, each table printed as soon as it is complete. */
static void bs_run_all(bs_state_t *st)
{
    for (size_t c = 0; c < BS_NCELL; c++) {
        st->cell_on[c] = !st->opt.quick || bs_cells[c].n_quick > 0;
        for (size_t i = 0; i < BS_NCOMP; i++)
            st->res[c][i].med = st->res[c][i].util = st->res[c][i].part = NAN;
    }
    for (size_t c = 0; c < BS_NCELL; c++) {
        if (!st->cell_on[c])
            continue;
        bs_run_cell(st, c);
        if (bs_cells[c].section == BS_MIXED)
            bs_print_mixed_cell(st, c);
        else if (bs_cells[c].section == BS_RELEASE)
            bs_print_release(st, c);
        else if (bs_cells[c].section == BS_GROW)
            bs_print_grow(st, c);
        else if (bs_last_of_table(st, c))
            bs_print_sizes(st, bs_cells[c].pattern);
    }
}

static int bs_driver(int argc, char **argv)
{
    static bs_state_t st;
    bs_parse(&st, argc, argv);
    uint64_t t0 = bh_driver_begin(&st.opt, "stage 02 benchmark: slab classes vs general-purpose allocators");
    bh_probe_local(bs_comps, BS_NCOMP, BS_GS, BS_SL);
    printf("\nEvery speed figure: nanoseconds per alloc+free pair; slabs with its default configuration\n"
           "(classes from %zu B by x%.2f, %zu KiB slabs).  Sizes: uniform = 16 B-1 KiB, each size equally\n"
           "likely; skewed = 70 %% 16-64 B, 25 %% 65-256 B, 5 %% 257-1024 B; or one fixed size.  pair: alloc\n"
           "and free at once; batch-1000: 1000 allocations, then their frees in order; random-L: free a\n"
           "random live object and allocate the next size in its place (L live).  Competitors interleaved.\n"
           "realloc-grow (T3b): one object grown by realloc, time per whole growth loop.\n",
           SLABS_DEFAULT_MIN_SIZE, SLABS_DEFAULT_GROWTH, SLABS_DEFAULT_SLAB_SIZE / 1024);
    bs_run_all(&st);
    bs_print_summary(&st);
    bs_count_instructions(&st);
    bs_replay_all(&st, st.trace_dir);
    bs_print_replay(&st);
    bs_print_targets(&st);
    return bh_driver_end(&st.opt, t0, bs_write_csv, bs_write_svg, &st);
}

int main(int argc, char **argv)
{
    return bh_main(argc, argv, bs_worker, bs_driver);
}

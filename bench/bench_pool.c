/*
 * bench_pool.c - stage 01 benchmark: the pool against the general-purpose
 * allocators (glibc, jemalloc, mimalloc, tcmalloc) and GLib's GSlice.
 *
 * Usage:
 *   bench_pool [--quick] [--reps N] [--csv FILE] [--svg FILE] [--no-callgrind]
 *       the driver: runs every measurement in a fresh worker process and
 *       prints the tables, the instruction counts and the targets
 *   bench_pool --worker ALLOC WORKLOAD SIZE N
 *       one measurement; ALLOC is pool, malloc (whatever malloc the process
 *       has: the driver picks it with LD_PRELOAD) or gslice
 *       (g_slice_alloc/g_slice_free1); prints one line:
 *       ns_per_pair=X pairs=N peak_rss_kib=K malloc=NAME
 *   bench_pool --probe
 *       prints the name and version of the malloc the process runs on
 *
 * Workloads (every figure is nanoseconds per alloc+free pair):
 *   pair        allocate one object and free it at once, N times: the hot
 *               path of both calls;
 *   batch-1000  allocate 1000 objects, then free them in allocation order;
 *               N/1000 rounds, 1000 pairs each;
 *   random-1e4, random-1e6
 *               fill to L live objects (not timed), then N steps of: free a
 *               random live object and allocate its replacement into the
 *               same slot (one step = one pair).  The random slot numbers
 *               come from a fixed-seed generator and are computed into an
 *               array before the clock starts, so the generator is not
 *               measured; all allocators see the same sequence.
 * Every new object has a word written into it, so allocators that hand out
 * untouched memory pay for its page faults, and every pointer escapes (a
 * volatile store or an array), so the compiler cannot drop a malloc/free
 * pair.  The random workloads end by checking every live object still holds
 * the word written into it; a mismatch fails the worker.
 *
 * Instruction counts come from callgrind: collection is on only inside the
 * allocator's alloc and free functions, and the count is taken twice, with
 * N and 2N pairs; the difference divided by N is the cost of one steady
 * pair, free of one-time costs (the first block, lazy initialisation).
 *
 * The targets this stage is measured against:
 *   T1  pair, 16-256 B: >= 4x glibc, >= 2.5x the best of jemalloc, mimalloc
 *       and tcmalloc, <= 20 instructions per pair through the public API;
 *   T2  random replacement with 10^6 live: >= 3x glibc, >= 1.5x jemalloc.
 */
#define _GNU_SOURCE

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>

#include "clock.h"
#include "harness.h"
#include "rng.h"
#include "pool.h"

#define BP_INLINE static inline __attribute__((always_inline))

/* ---- the worker ------------------------------------------------------------- */

/* The allocator a worker measures. */
enum bp_kind {
    BP_POOL,   /* pool_alloc / pool_free */
    BP_MALLOC, /* malloc / free: glibc or whatever LD_PRELOAD brought */
    BP_GSLICE, /* g_slice_alloc / g_slice_free1 */
};

/* One worker's allocator and the object size it asks for. */
typedef struct bp_heap {
    enum bp_kind kind; /* which allocator */
    size_t size;       /* bytes per object */
    pool_t pool;       /* the pool, when kind == BP_POOL */
} bp_heap_t;

/* Every object handed out in the pair workload is stored here, so its
 * address escapes and the compiler must keep the malloc and free calls. */
static void *volatile bp_sink;

#define BP_BATCH 1000 /* objects per round of batch-1000 */

static _Noreturn void bp_fail(const char *what)
{
    fprintf(stderr, "bench_pool worker: %s\n", what);
    exit(1);
}

/* The allocator under test; k is a constant at every call site, so the
 * switch folds away and each loop calls its allocator directly. */
BP_INLINE void *bp_alloc(bp_heap_t *h, enum bp_kind k)
{
    void *p = k == BP_POOL ? pool_alloc(&h->pool) : k == BP_MALLOC ? malloc(h->size) : g_slice_alloc(h->size);
    if (p == NULL)
        bp_fail("allocation failed");
    return p;
}

BP_INLINE void bp_free(bp_heap_t *h, enum bp_kind k, void *p)
{
    if (k == BP_POOL)
        pool_free(&h->pool, p);
    else if (k == BP_MALLOC)
        free(p);
    else
        g_slice_free1(h->size, p);
}

/* pair: n times, allocate, touch, free. */
BP_INLINE uint64_t bp_pair(bp_heap_t *h, enum bp_kind k, size_t n)
{
    uint64_t t0 = clock_now_ns();
    for (size_t i = 0; i < n; i++) {
        void *p = bp_alloc(h, k);
        *(size_t *)p = i;
        bp_sink = p;
        bp_free(h, k, p);
    }
    return clock_now_ns() - t0;
}

/* batch-1000: rounds of BP_BATCH allocations, then their frees in the same
 * order.  A last, untimed round checks the objects keep what was written. */
BP_INLINE uint64_t bp_batch(bp_heap_t *h, enum bp_kind k, size_t rounds)
{
    static void *obj[BP_BATCH];
    uint64_t t0 = clock_now_ns();
    for (size_t r = 0; r < rounds; r++) {
        for (size_t i = 0; i < BP_BATCH; i++) {
            obj[i] = bp_alloc(h, k);
            *(size_t *)obj[i] = i;
        }
        for (size_t i = 0; i < BP_BATCH; i++)
            bp_free(h, k, obj[i]);
    }
    uint64_t t = clock_now_ns() - t0;
    for (size_t i = 0; i < BP_BATCH; i++) {
        obj[i] = bp_alloc(h, k);
        *(size_t *)obj[i] = i;
    }
    for (size_t i = 0; i < BP_BATCH; i++)
        if (*(size_t *)obj[i] != i)
            bp_fail("batch: an object lost its contents (the same memory handed out twice?)");
    for (size_t i = 0; i < BP_BATCH; i++)
        bp_free(h, k, obj[i]);
    return t;
}

/* random-L: fill slot[0..live) (untimed), then for each idx[s] free that
 * slot's object and allocate its replacement.  Each object holds its slot
 * number, checked at the end. */
BP_INLINE uint64_t bp_random(bp_heap_t *h, enum bp_kind k, void **slot, size_t live, const uint32_t *idx,
                             size_t steps)
{
    for (size_t j = 0; j < live; j++) {
        slot[j] = bp_alloc(h, k);
        *(size_t *)slot[j] = j;
    }
    uint64_t t0 = clock_now_ns();
    for (size_t s = 0; s < steps; s++) {
        size_t j = idx[s];
        bp_free(h, k, slot[j]);
        void *p = bp_alloc(h, k);
        *(size_t *)p = j;
        slot[j] = p;
    }
    uint64_t t = clock_now_ns() - t0;
    for (size_t j = 0; j < live; j++)
        if (*(size_t *)slot[j] != j)
            bp_fail("random: an object lost its contents (the same memory handed out twice?)");
    return t;
}

/* One measurement, as the command line gave it. */
typedef struct bp_job {
    const char *workload; /* pair, batch-1000, random-1e4 or random-1e6 */
    size_t live;          /* live objects of a random workload; 0 otherwise */
    size_t n;             /* pairs asked for */
    size_t pairs;         /* pairs done (batch rounds n up to whole rounds) */
    void **slot;          /* random: live slots */
    uint32_t *idx;        /* random: the slot to replace at each step */
} bp_job_t;

/* Runs the job on allocator k; returns the timed nanoseconds. */
BP_INLINE uint64_t bp_run(bp_heap_t *h, bp_job_t *j, enum bp_kind k)
{
    if (strcmp(j->workload, "pair") == 0) {
        j->pairs = j->n;
        return bp_pair(h, k, j->n);
    }
    if (strcmp(j->workload, "batch-1000") == 0) {
        size_t rounds = (j->n + BP_BATCH - 1) / BP_BATCH;
        j->pairs = rounds * BP_BATCH;
        return bp_batch(h, k, rounds);
    }
    j->pairs = j->n;
    return bp_random(h, k, j->slot, j->live, j->idx, j->n);
}

static uint64_t bp_run_pool(bp_heap_t *h, bp_job_t *j) { return bp_run(h, j, BP_POOL); }
static uint64_t bp_run_malloc(bp_heap_t *h, bp_job_t *j) { return bp_run(h, j, BP_MALLOC); }
static uint64_t bp_run_gslice(bp_heap_t *h, bp_job_t *j) { return bp_run(h, j, BP_GSLICE); }

/* bench_pool --worker ALLOC WORKLOAD SIZE N */
static int bp_worker(int argc, char **argv)
{
    if (argc != 6)
        bh_die("usage: bench_pool --worker pool|malloc|gslice pair|batch-1000|random-1e4|random-1e6 SIZE N");
    bp_heap_t h = {.size = bh_count(argv[4], "size")};
    bp_job_t j = {.workload = argv[3], .n = bh_count(argv[5], "N")};
    uint64_t (*run)(bp_heap_t *, bp_job_t *);
    if (strcmp(argv[2], "pool") == 0) {
        h.kind = BP_POOL;
        run = bp_run_pool;
        if (pool_init(&h.pool, &(pool_config_t){.obj_size = h.size}) != 0)
            bp_fail("pool_init failed");
    } else if (strcmp(argv[2], "malloc") == 0) {
        h.kind = BP_MALLOC;
        run = bp_run_malloc;
    } else if (strcmp(argv[2], "gslice") == 0) {
        h.kind = BP_GSLICE;
        run = bp_run_gslice;
    } else {
        bh_die("unknown allocator %s", argv[2]);
    }
    if (h.size < sizeof(size_t))
        bh_die("size must be at least %zu", sizeof(size_t));
    if (strcmp(j.workload, "random-1e4") == 0 || strcmp(j.workload, "random-1e6") == 0) {
        j.live = strcmp(j.workload, "random-1e4") == 0 ? 10000 : 1000000;
        j.slot = bh_xmalloc(j.live * sizeof *j.slot);
        j.idx = bh_xmalloc(j.n * sizeof *j.idx);
        rng_t r = {42};
        for (size_t s = 0; s < j.n; s++)
            j.idx[s] = (uint32_t)rng_below(&r, j.live);
    } else if (strcmp(j.workload, "pair") != 0 && strcmp(j.workload, "batch-1000") != 0) {
        bh_die("unknown workload %s", j.workload);
    }

    uint64_t ns = run(&h, &j);

    if (h.kind == BP_POOL) {
        pool_stats_t st;
        pool_stats(&h.pool, &st);
        if (st.live != j.live || pool_check(&h.pool) != 0)
            bp_fail("the pool's counters or invariants are wrong after the run");
    }
    char name[64], version[128];
    bh_malloc_identity(name, sizeof name, version, sizeof version);
    printf("ns_per_pair=%.4f pairs=%zu peak_rss_kib=%ld malloc=%s\n", (double)ns / (double)j.pairs, j.pairs,
           bh_peak_rss_kib(), name);
    return 0;
}

/* ---- the driver --------------------------------------------------------------- */

/* A competitor: one column of every table (harness.h). */
typedef bh_comp_t bp_comp_t;

/* The functions whose instructions are counted for the pool (the others'
 * are in harness.h, with what the count takes in). */
static const char *const bp_tg_pool[] = {"pool_alloc", "pool_free", NULL};

enum { BP_GLIBC, BP_JE, BP_MI, BP_TC, BP_GS, BP_PL, BP_NCOMP };

static bp_comp_t bp_comps[BP_NCOMP] = {
    BH_GENERAL_COMPETITORS,
    {"pool", "pool", NULL, NULL, "glibc", bp_tg_pool, false, "", ""},
};

/* A workload as the driver schedules it. */
typedef struct bp_workload {
    const char *name; /* the worker's WORKLOAD argument */
    size_t n_full;    /* pairs per measurement in a full run */
} bp_workload_t;

static const bp_workload_t bp_workloads[] = {
    {"pair", 10000000},
    {"batch-1000", 10000000},
    {"random-1e4", 10000000},
    {"random-1e6", 3000000},
};
#define BP_NWORK (sizeof bp_workloads / sizeof bp_workloads[0])
static const size_t bp_sizes[] = {16, 64, 256};
#define BP_NSIZE (sizeof bp_sizes / sizeof bp_sizes[0])
#define BP_NCELL (BP_NWORK * BP_NSIZE)

/* The driver's options and results. */
typedef struct bp_run {
    bh_opts_t opt;                            /* the command line (harness.h) */
    bool cell_on[BP_NCELL];                   /* cells measured in this run */
    double *ns[BP_NCELL][BP_NCOMP];           /* samples, reps of them (NULL = not run) */
    double rss[BP_NCELL][BP_NCOMP];           /* peak RSS in KiB, median */
    double med[BP_NCELL][BP_NCOMP];           /* median ns per pair; NAN = not run */
    double lo[BP_NCELL][BP_NCOMP];            /* min */
    double hi[BP_NCELL][BP_NCOMP];            /* max */
    double instr[BP_NCOMP];                   /* instructions per pair; NAN = not counted */
} bp_run_t;

static size_t bp_cell(size_t w, size_t s) { return w * BP_NSIZE + s; }

/* What a worker's line must hold, and its sensible bounds. */
static const bh_line_spec_t bp_line = {"ns_per_pair", 1e-3, 1e6, "pairs", 1e9};

/* Runs one worker; returns its ns per pair and peak RSS, or dies. */
static double bp_measure(const bp_run_t *r, const bp_comp_t *c, size_t w, size_t s, double *rss)
{
    char size[32], n[32], out[512];
    size_t pairs = r->opt.quick ? (w == 0 ? 200000 : 100000) : bp_workloads[w].n_full;
    snprintf(size, sizeof size, "%zu", bp_sizes[s]);
    snprintf(n, sizeof n, "%zu", pairs);
    char *argv[] = {(char *)r->opt.self, (char *)"--worker", (char *)c->alloc, (char *)bp_workloads[w].name,
                    size, n, NULL};
    return bh_measure(c, argv, r->opt.quick ? 30 : 300, &bp_line, pairs, rss, out, sizeof out);
}

/* Prints one cell's table. */
static void bp_print_cell(const bp_run_t *r, size_t w, size_t s)
{
    size_t c0 = bp_cell(w, s);
    char what[64];
    snprintf(what, sizeof what, "%s, %zu B", bp_workloads[w].name, bp_sizes[s]);
    bh_cell_head(what, r->opt.reps, r->opt.quick);
    for (size_t i = 0; i < BP_NCOMP; i++)
        if (r->ns[c0][i] != NULL)
            bh_cell_row(bp_comps[i].name, r->med[c0][i], r->lo[c0][i], r->hi[c0][i], r->med[c0][BP_GLIBC],
                        r->rss[c0][i]);
    fflush(stdout);
}

/* The cell bp_rounds_measure() measures. */
typedef struct bp_at {
    const bp_run_t *r; /* the run */
    size_t w;          /* workload */
    size_t s;          /* size */
} bp_at_t;

/* One measurement of competitor i for bh_rounds(): ns per pair, peak RSS. */
static void bp_rounds_measure(void *ctx, size_t i, double *v)
{
    const bp_at_t *at = ctx;
    v[0] = bp_measure(at->r, &bp_comps[i], at->w, at->s, &v[1]);
}

/* Measures one cell: a warm-up round (full runs), then reps rounds, each
 * round running every competitor once in turn. */
static void bp_run_cell(bp_run_t *r, size_t w, size_t s)
{
    size_t c0 = bp_cell(w, s);
    bool on[BP_NCOMP];
    static double sample[BP_NCOMP][BH_NQ][64];
    for (size_t i = 0; i < BP_NCOMP; i++)
        on[i] = bp_comps[i].present;
    bh_rounds(BP_NCOMP, on, r->opt.quick, r->opt.reps, bp_rounds_measure, &(bp_at_t){r, w, s}, sample);
    for (size_t i = 0; i < BP_NCOMP; i++) {
        if (!on[i])
            continue;
        r->ns[c0][i] = bh_xmalloc(r->opt.reps * sizeof(double));
        memcpy(r->ns[c0][i], sample[i][0], r->opt.reps * sizeof(double));
        bh_stats(r->ns[c0][i], r->opt.reps, &r->med[c0][i], &r->lo[c0][i], &r->hi[c0][i]);
        r->rss[c0][i] = bh_median(sample[i][1], r->opt.reps);
    }
    bp_print_cell(r, w, s);
}

/* The matrix of ratios to glibc, all cells at a glance. */
static void bp_print_summary(const bp_run_t *r)
{
    bh_summary_head(bp_comps, BP_NCOMP, 18, "workload, size", "pool ns/pair");
    for (size_t c0 = 0; c0 < BP_NCELL; c0++) {
        if (!r->cell_on[c0])
            continue;
        char label[64];
        snprintf(label, sizeof label, "%s, %zu B", bp_workloads[c0 / BP_NSIZE].name, bp_sizes[c0 % BP_NSIZE]);
        printf("  %-18s", label);
        for (size_t i = 0; i < BP_NCOMP; i++)
            if (bp_comps[i].present)
                printf(" %8.2fx", r->med[c0][BP_GLIBC] / r->med[c0][i]);
        printf(" %12.2f\n", r->med[c0][BP_PL]);
    }
}

/* Instructions per pair for competitor c: callgrind over n and 2n pairs of
 * the pair workload at 64 B; NAN if it cannot be counted (*ran = false if
 * callgrind itself failed). */
static double bp_instructions(const bp_run_t *r, const bp_comp_t *c, size_t n, bool *ran)
{
    char *argv[] = {(char *)r->opt.self, (char *)"--worker", (char *)c->alloc, (char *)"pair", (char *)"64", NULL,
                    NULL};
    return bh_callgrind_slope(argv, 5, n, c->lib ? c->preload : NULL, c->toggles, 300, ran);
}

/* Counts instructions per pair with callgrind for every competitor, the
 * pool first.  If callgrind cannot run this binary at all (valgrind 3.19
 * gives up on clang 14's DWARF 5 debug information, for one), there are no
 * counts, with a note.  If it runs but counts nothing in pool_alloc and
 * pool_free, something is wrong with the harness: a quick run fails. */
static void bp_count_instructions(bp_run_t *r)
{
    static const size_t order[BP_NCOMP] = {BP_PL, BP_GLIBC, BP_JE, BP_MI, BP_TC, BP_GS};
    for (size_t i = 0; i < BP_NCOMP; i++)
        r->instr[i] = NAN;
    if (!bh_callgrind_ready(r->opt.callgrind))
        return;
    size_t n = r->opt.quick ? 2000 : 100000;
    printf("\nInstructions per alloc+free pair (callgrind; pair workload, 64 B; counted inside the\n"
           "alloc and free functions only; (count(%zu pairs) - count(%zu pairs)) / %zu)\n",
           2 * n, n, n);
    for (size_t k = 0; k < BP_NCOMP; k++) {
        size_t i = order[k];
        if (!bp_comps[i].present)
            continue;
        bool ran = true;
        r->instr[i] = bp_instructions(r, &bp_comps[i], n, &ran);
        if (!ran && i == BP_PL) {
            printf("  note: callgrind could not run this program (see its messages above); no counts\n");
#ifdef __clang__
            printf("  (valgrind 3.19 cannot read clang 14's DWARF 5 debug information: CFLAGS=-gdwarf-4 helps)\n");
#endif
            return;
        }
        if (isnan(r->instr[i]))
            printf("  %-10s %9s   (%s)\n", bp_comps[i].name, "n/a",
                   ran ? "the toggled functions matched nothing" : "callgrind failed");
        else
            printf("  %-10s %9.2f   (%s + %s)\n", bp_comps[i].name, r->instr[i], bp_comps[i].toggles[0],
                   bp_comps[i].toggles[1]);
        fflush(stdout);
        if (r->opt.quick && i == BP_PL && isnan(r->instr[i]))
            bh_die("callgrind ran but counted nothing in pool_alloc and pool_free");
    }
}

/* Prints one target line: the worst ratio over the sizes, MET or MISSED. */
static void bp_target(const bp_run_t *r, const char *label, size_t w, size_t vs, bool best_general, double need)
{
    double worst = INFINITY;
    char detail[256] = "";
    size_t used = 0;
    for (size_t s = 0; s < BP_NSIZE; s++) {
        size_t c0 = bp_cell(w, s);
        double other = NAN;
        if (best_general) {
            for (size_t i = BP_JE; i <= BP_TC; i++)
                if (bp_comps[i].present && (isnan(other) || r->med[c0][i] < other))
                    other = r->med[c0][i];
        } else if (bp_comps[vs].present) {
            other = r->med[c0][vs];
        }
        if (isnan(other)) {
            printf("  %-62s n/a (competitor missing)\n", label);
            return;
        }
        double ratio = other / r->med[c0][BP_PL];
        worst = ratio < worst ? ratio : worst;
        used += (size_t)snprintf(detail + used, sizeof detail - used, "%s%zu B %.2fx", s ? ", " : "", bp_sizes[s],
                                 ratio);
    }
    printf("  %-62s %6.2fx  %-6s (%s)\n", label, worst, worst >= need ? "MET" : "MISSED", detail);
}

/* Each target with the measured value, MET or MISSED. */
static void bp_print_targets(const bp_run_t *r)
{
    printf("\nTargets (worst size counts)\n");
    if (r->opt.quick) {
        printf("  not evaluated in a quick run\n");
        return;
    }
    bp_target(r, "T1 pair, pool vs glibc: >= 4x", 0, BP_GLIBC, false, 4);
    bp_target(r, "T1 pair, pool vs best of jemalloc/mimalloc/tcmalloc: >= 2.5x", 0, 0, true, 2.5);
    if (isnan(r->instr[BP_PL]))
        printf("  %-62s n/a (no callgrind)\n", "T1 instructions per pair, pool: <= 20");
    else
        printf("  %-62s %6.2f   %s\n", "T1 instructions per pair, pool: <= 20", r->instr[BP_PL],
               r->instr[BP_PL] <= 20 ? "MET" : "MISSED");
    bp_target(r, "T2 random-1e6, pool vs glibc: >= 3x", 3, BP_GLIBC, false, 3);
    bp_target(r, "T2 random-1e6, pool vs jemalloc: >= 1.5x", 3, BP_JE, false, 1.5);
}

/* Every sample as CSV: one row per cell and competitor (ctx: the run). */
static void bp_write_csv(const void *ctx)
{
    const bp_run_t *r = ctx;
    FILE *f = bh_csv_open(r->opt.csv, "workload,size_bytes,allocator,version,unit,reps,median_ns,min_ns,max_ns,"
                                      "ratio_vs_glibc,peak_rss_kib,instructions_per_pair,samples_ns\n");
    for (size_t c0 = 0; c0 < BP_NCELL; c0++) {
        for (size_t i = 0; i < BP_NCOMP; i++) {
            if (r->ns[c0][i] == NULL) /* a cell not run, or a competitor missing */
                continue;
            fprintf(f, "%s,%zu,%s,\"%s\",ns per alloc+free pair,%zu,%.4f,%.4f,%.4f,%.4f,%.0f,",
                    bp_workloads[c0 / BP_NSIZE].name, bp_sizes[c0 % BP_NSIZE], bp_comps[i].name,
                    bp_comps[i].version, r->opt.reps, r->med[c0][i], r->lo[c0][i], r->hi[c0][i],
                    r->med[c0][BP_GLIBC] / r->med[c0][i], r->rss[c0][i]);
            if (!isnan(r->instr[i]) && c0 == bp_cell(0, 1))
                fprintf(f, "%.2f", r->instr[i]);
            fputc(',', f);
            bh_csv_samples(f, r->ns[c0][i], r->opt.reps);
        }
    }
    bh_csv_close(f, r->opt.csv);
}

/* The chart for the chapter: every cell's medians relative to glibc, on a
 * log2 axis (twice as fast and twice as slow look the same size), each bar
 * growing from the glibc line.  glibc itself is that line (ctx: the run). */
static void bp_write_svg(const void *ctx)
{
    static const char *const colour[BP_NCOMP] = {"#8c8c8c", "#4e79a7", "#59a14f", "#edc948", "#b07aa1", "#e15759"};
    const bp_run_t *r = ctx;
    const char *glabel[BP_NCELL], *gsection[BP_NCELL];
    char sizes[BP_NCELL][16];
    double value[BP_NCELL * BP_NCOMP];
    size_t ng = 0;
    bh_series_t series;
    bh_series_pick(&series, bp_comps, BP_GLIBC + 1, BP_NCOMP, BP_PL, colour);
    for (size_t c0 = 0; c0 < BP_NCELL; c0++) {
        if (!r->cell_on[c0])
            continue;
        snprintf(sizes[ng], sizeof sizes[ng], "%zu B", bp_sizes[c0 % BP_NSIZE]);
        glabel[ng] = sizes[ng];
        gsection[ng] = bp_workloads[c0 / BP_NSIZE].name;
        for (size_t k = 0; k < series.n; k++)
            value[ng * series.n + k] = r->med[c0][BP_GLIBC] / r->med[c0][series.map[k]];
        ng++;
    }
    bh_ratio_chart(r->opt.svg, "Stage 01: alloc+free pairs, speed relative to glibc malloc (higher is faster)",
                   r->opt.reps, ng, glabel, gsection, &series, value);
}

static _Noreturn void bp_usage(void)
{
    fprintf(stderr, "usage: bench_pool [--quick] [--reps N] [--csv FILE] [--svg FILE] [--no-callgrind]\n"
                    "       bench_pool --worker pool|malloc|gslice WORKLOAD SIZE N\n"
                    "       bench_pool --probe\n");
    exit(2);
}

static int bp_driver(int argc, char **argv)
{
    static bp_run_t r;
    bh_parse_opts(&r.opt, argc, argv, NULL, NULL, bp_usage);
    uint64_t t0 = bh_driver_begin(&r.opt, "stage 01 benchmark: pool vs general-purpose allocators");
    bh_probe_local(bp_comps, BP_NCOMP, BP_GS, BP_PL);
    printf("\nEvery figure: nanoseconds per alloc+free pair.  random-L: one step = free a random live\n"
           "object and allocate its replacement (L objects stay live); batch-1000: 1000 allocations,\n"
           "then 1000 frees in allocation order.  Competitors interleaved within each round.\n");
    for (size_t c0 = 0; c0 < BP_NCELL; c0++)
        r.cell_on[c0] = !r.opt.quick || c0 == bp_cell(0, 1) || c0 == bp_cell(2, 1);
    for (size_t c0 = 0; c0 < BP_NCELL; c0++)
        for (size_t i = 0; i < BP_NCOMP; i++)
            r.med[c0][i] = NAN;
    for (size_t c0 = 0; c0 < BP_NCELL; c0++)
        if (r.cell_on[c0])
            bp_run_cell(&r, c0 / BP_NSIZE, c0 % BP_NSIZE);
    bp_print_summary(&r);
    bp_count_instructions(&r);
    bp_print_targets(&r);
    return bh_driver_end(&r.opt, t0, bp_write_csv, bp_write_svg, &r);
}

int main(int argc, char **argv)
{
    return bh_main(argc, argv, bp_worker, bp_driver);
}

/*
 * bench_vmem.c - stage 05 benchmark: the vmem page source (vmem.h) with
 * transparent huge pages and without, against plain mmap and malloc and
 * against the C library's page source (page_source_default()).
 *
 * Usage:
 *   bench_vmem [--quick] [--reps N] [--csv FILE] [--svg FILE]
 *       the driver: runs every measurement in a fresh worker process and
 *       prints the tables and the targets.  --svg FILE writes a chart of
 *       first-touch time and random-read latency, THP against 4 KiB pages.
 *   bench_vmem --worker WORK VARIANT ARG N
 *       one measurement (below); prints one line of key=value fields.
 *   bench_vmem --probe
 *       prints the name and version of the malloc the process runs on
 *
 * The cells (full run; the quick run uses 64 MiB instead of 1 GiB, and
 * fewer operations):
 *   touch     first touch of 1 GiB: one extent acquired from a vmem_t with
 *             huge pages (VMEM_HUGE_AUTO) or without (VMEM_HUGE_OFF), with
 *             populate or not, against one anonymous mmap() and one
 *             malloc(); the clock covers the acquisition and one write per
 *             4 KiB.  Reports the milliseconds, the minor faults
 *             (getrusage), the share of the bytes in huge pages
 *             (vmem_residency()'s anon_huge for vmem, AnonHugePages of
 *             /proc/self/smaps_rollup for the others), the RSS (of the
 *             regions for vmem, the growth of the process's anonymous RSS
 *             for the others), and the kernel's direct compaction stalls
 *             meanwhile (compact_stall of /proc/vmstat: system-wide, so
 *             other processes' count too).
 *   reads     dependent random reads over 1 GiB, THP against 4 KiB pages:
 *             one cache line in each 4 KiB page (at a line offset that
 *             varies with the page) points to the next page's, in the
 *             order of a random cyclic permutation (Sattolo's shuffle of
 *             the pages, fixed seed), so each read waits for the one
 *             before it: ns per read is a latency, TLB misses included.
 *   create    vmem_init() reserving 1 GiB and 64 GiB; slabs_init() and
 *             arena_init() on a fresh vmem_t of 64 GiB against the same on
 *             the C library's source: ns per creation (mean of many in one
 *             process) and the anonymous memory the first creation makes
 *             resident (/proc/self/statm).
 *   mixed     bench_slabs' own workers (SC_BENCH_SOURCE picks the source,
 *             see harness.h): slabs on vmem against slabs on the C
 *             library's source and glibc malloc, 16-1024 B uniform sizes,
 *             patterns random-1e6 and pair (see bench_slabs.c).
 *   replay    each trace of tools/traces replayed on slabs over vmem, slabs
 *             over the C library's source and glibc malloc; each object is
 *             written in full.  U = peak live requested bytes / peak bytes
 *             the process holds from the kernel: for vmem the RSS of its
 *             regions (vmem_residency()), otherwise the process's anonymous
 *             RSS above what it had before the replay (/proc/self/statm);
 *             sampled every 1/256 of the trace and at its end.  vmem runs
 *             with THP and with VMEM_HUGE_OFF.
 *   destroy   bench_slabs' release workers: slabs_destroy() of 10^6 live
 *             objects (16-1024 B) on vmem (default release, and
 *             VMEM_RELEASE_KEEP: no page goes back to the kernel) and on the
 *             C library's source, against glibc free() of each.
 *   syscalls  slabs on vmem: 10^5 live objects of 16-1024 B, then 10^6
 *             steps of freeing a random one and allocating another, then
 *             10^6 alloc+free pairs; vmem_stats().syscalls in each phase.
 *   policy    slabs on vmem, 256 B objects: grow to 256 MiB, free all,
 *             slabs_trim(), 4 times; for each release policy
 *             (DONTNEED, FREE, KEEP) with THP and without: the time of the
 *             whole run, the system calls, and the RSS of the regions after
 *             the last trim and at the peak.
 *
 * The targets (DESIGN §8.2):
 *   T4  releasing 10^6 live objects with slabs_destroy at least 100x faster
 *       than freeing them one by one with glibc (here on the vmem source);
 *   T9  100 % huge pages where the kernel allows; first touch at least 3.5x
 *       faster with THP than with 4 KiB pages;
 *   T10 no system call per object: syscalls per allocate/free pair of slabs
 *       over vmem is 0.
 */
#define _GNU_SOURCE

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "arena.h"
#include "clock.h"
#include "harness.h"
#include "rng.h"
#include "slabs.h"
#include "vmem.h"

#define BV_MIB ((size_t)1 << 20)

/* ---- the worker: small utilities ------------------------------------------ */

static _Noreturn void bv_fail(const char *what, int err)
{
    fprintf(stderr, "bench_vmem worker: %s%s%s\n", what, err ? ": " : "", err ? strerror(err) : "");
    exit(1);
}

/* Minor page faults of this process so far. */
static long bv_minflt(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_minflt;
}

/* Anonymous resident bytes of the process: statm's resident less shared
 * (file-backed) pages. */
static size_t bv_anon_rss(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long size, res, shared;
    if (f == NULL || fscanf(f, "%lu %lu %lu", &size, &res, &shared) != 3)
        bv_fail("cannot read /proc/self/statm", errno);
    fclose(f);
    return (size_t)(res - shared) * (size_t)sysconf(_SC_PAGESIZE);
}

/* A counter of /proc/vmstat (system-wide), or 0 where there is none. */
static long bv_vmstat(const char *key)
{
    FILE *f = fopen("/proc/vmstat", "r");
    char name[64];
    long v, found = 0;
    while (f && fscanf(f, "%63s %ld", name, &v) == 2)
        if (strcmp(name, key) == 0) {
            found = v;
            break;
        }
    if (f)
        fclose(f);
    return found;
}

/* The process's AnonHugePages, in bytes (/proc/self/smaps_rollup). */
static size_t bv_anon_huge(void)
{
    FILE *f = fopen("/proc/self/smaps_rollup", "r");
    char line[256];
    size_t kib = 0;
    if (f == NULL)
        bv_fail("cannot read /proc/self/smaps_rollup", errno);
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "AnonHugePages: %zu kB", &kib) == 1)
            break;
    fclose(f);
    return kib << 10;
}

static void bv_vmem_open(vmem_t *v, enum vmem_huge huge, enum vmem_release rel, bool populate, size_t reserve)
{
    int rc = vmem_init(v, &(vmem_config_t){.reserve = reserve, .huge = huge, .release = rel, .populate = populate});
    if (rc != 0)
        bv_fail("vmem_init failed", -rc);
}

static size_t bv_vmem_rss(const vmem_t *v, size_t *huge)
{
    vmem_residency_t r;
    int rc = vmem_residency(v, &r);
    if (rc != 0)
        bv_fail("vmem_residency failed", -rc);
    if (huge)
        *huge = r.anon_huge;
    return r.rss;
}

/* One extent of bytes from v, through its page source. */
static char *bv_acquire(vmem_t *v, size_t bytes)
{
    const page_source_t *src = vmem_source(v);
    return src->acquire(src->ctx, bytes, VMEM_HUGE_PAGE);
}

static void *volatile bv_sink;

/* ---- worker: first touch -------------------------------------------------- */

/* VARIANT: thp, 4k, thp-populate, 4k-populate, mmap or malloc. */
static void bv_touch(const char *variant, size_t mib)
{
    size_t bytes = mib * BV_MIB, huge = 0, rss = 0;
    bool is_vmem = strncmp(variant, "thp", 3) == 0 || strncmp(variant, "4k", 2) == 0;
    vmem_t v;
    if (is_vmem)
        bv_vmem_open(&v, variant[0] == 't' ? VMEM_HUGE_AUTO : VMEM_HUGE_OFF, VMEM_RELEASE_DONTNEED,
                     strstr(variant, "populate") != NULL, 2 * bytes);
    else if (strcmp(variant, "mmap") != 0 && strcmp(variant, "malloc") != 0)
        bv_fail("touch: unknown variant", 0);
    size_t rss0 = bv_anon_rss();
    long f0 = bv_minflt(), stall0 = bv_vmstat("compact_stall");
    uint64_t t0 = clock_now_ns();
    char *p;
    if (is_vmem)
        p = bv_acquire(&v, bytes);
    else if (variant[1] == 'm') {
        p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        p = p == MAP_FAILED ? NULL : p;
    } else
        p = malloc(bytes);
    if (p == NULL)
        bv_fail("touch: no memory", errno);
    for (size_t off = 0; off < bytes; off += VMEM_BASE_PAGE)
        p[off] = 1;
    uint64_t ns = clock_now_ns() - t0;
    long faults = bv_minflt() - f0, stalls = bv_vmstat("compact_stall") - stall0;
    bv_sink = p;
    if (is_vmem) {
        rss = bv_vmem_rss(&v, &huge);
    } else {
        size_t now = bv_anon_rss();
        rss = now > rss0 ? now - rss0 : 0;
        huge = bv_anon_huge();
    }
    printf("ms=%.3f faults=%ld huge_pct=%.2f rss_mib=%.1f compact_stalls=%ld\n", (double)ns / 1e6, faults,
           100.0 * (double)huge / (double)bytes, (double)rss / (double)BV_MIB, stalls < 0 ? 0 : stalls);
    if (is_vmem)
        vmem_destroy(&v);
}

/* ---- worker: dependent random reads --------------------------------------- */

/* The cache line of page i that the chain goes through: it varies with the
 * page, so the lines spread over the cache's sets. */
static inline char *bv_line(char *base, size_t i)
{
    return base + i * VMEM_BASE_PAGE + (rng_mix(i) % (VMEM_BASE_PAGE / 64)) * 64;
}

static void bv_reads(const char *variant, size_t mib, size_t n)
{
    size_t bytes = mib * BV_MIB, pages = bytes / VMEM_BASE_PAGE, huge;
    vmem_t v;
    if (strcmp(variant, "thp") != 0 && strcmp(variant, "4k") != 0)
        bv_fail("reads: unknown variant", 0);
    bv_vmem_open(&v, variant[0] == 't' ? VMEM_HUGE_AUTO : VMEM_HUGE_OFF, VMEM_RELEASE_DONTNEED, false, 2 * bytes);
    char *p = bv_acquire(&v, bytes);
    uint32_t *next = malloc(pages * sizeof *next);
    if (p == NULL || next == NULL)
        bv_fail("reads: no memory", errno);
    for (size_t i = 0; i < pages; i++)
        next[i] = (uint32_t)i;
    rng_t r = {0x5a77010};
    for (size_t i = pages - 1; i > 0; i--) { /* Sattolo: one cycle through every page */
        size_t j = rng_below(&r, i);
        uint32_t t = next[i];
        next[i] = next[j];
        next[j] = t;
    }
    for (size_t i = 0; i < pages; i++)
        *(char **)bv_line(p, i) = bv_line(p, next[i]);
    free(next);
    char **q = (char **)bv_line(p, 0);
    for (size_t i = 0; i < pages; i++) /* one untimed lap */
        q = (char **)*q;
    uint64_t t0 = clock_now_ns();
    for (size_t i = 0; i < n; i++)
        q = (char **)*q;
    uint64_t ns = clock_now_ns() - t0;
    bv_sink = q;
    bv_vmem_rss(&v, &huge);
    printf("ns_per_read=%.3f reads=%zu huge_pct=%.2f\n", (double)ns / (double)n, n,
           100.0 * (double)huge / (double)bytes);
    vmem_destroy(&v);
}

/* ---- worker: creating a source, slabs, an arena --------------------------- */

typedef struct bv_made {
    vmem_t vmem;
    slabs_t slabs;
    arena_t arena;
    bool has_vmem, has_slabs, has_arena;
} bv_made_t;

/* VARIANT: vmem-1g, vmem-64g, slabs-vmem, slabs-libc, arena-vmem,
 * arena-libc. */
static void bv_make(bv_made_t *m, const char *variant)
{
    bool on_vmem = strstr(variant, "vmem") != NULL;
    *m = (bv_made_t){.has_vmem = on_vmem};
    if (on_vmem) {
        size_t reserve = strcmp(variant, "vmem-1g") == 0 ? (size_t)1 << 30 : (size_t)64 << 30;
        bv_vmem_open(&m->vmem, VMEM_HUGE_AUTO, VMEM_RELEASE_DONTNEED, false, reserve);
    }
    slabs_config_t sc = {.source = on_vmem ? vmem_source(&m->vmem) : page_source_default()};
    int rc = 0;
    if (strncmp(variant, "slabs", 5) == 0) {
        rc = slabs_init(&m->slabs, &sc);
        m->has_slabs = rc == 0;
    } else if (strncmp(variant, "arena", 5) == 0) {
        rc = arena_init(&m->arena, &(arena_config_t){.slabs = sc});
        m->has_arena = rc == 0;
    } else if (!on_vmem)
        bv_fail("create: unknown variant", 0);
    if (rc != 0)
        bv_fail("create: init failed", rc < 0 ? -rc : rc);
}

static void bv_unmake(bv_made_t *m)
{
    if (m->has_arena)
        arena_destroy(&m->arena);
    if (m->has_slabs)
        slabs_destroy(&m->slabs);
    if (m->has_vmem)
        vmem_destroy(&m->vmem);
}

static void bv_create(const char *variant, size_t n)
{
    static bv_made_t m;
    size_t before = bv_anon_rss();
    bv_make(&m, variant); /* the first one: what it makes resident */
    size_t rss = bv_anon_rss() - before;
    size_t reserved = m.has_vmem ? m.vmem.st.reserved : 0;
    bv_unmake(&m);
    uint64_t ns = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t t0 = clock_now_ns();
        bv_make(&m, variant);
        ns += clock_now_ns() - t0;
        bv_unmake(&m);
    }
    printf("ns=%.1f rss_kib=%.1f reserved_mib=%.0f made=%zu\n", (double)ns / (double)n, (double)rss / 1024.0,
           (double)reserved / (double)BV_MIB, n);
}

/* ---- worker: trace replay --------------------------------------------------- */

typedef struct bv_op {
    char kind;
    uint32_t id;
    size_t size;
} bv_op_t;

/* Reads a trace in the CS:APP malloc-lab format (see tools/replay.c):
 * four header numbers, then "a id size", "r id size", "f id" lines. */
static bv_op_t *bv_trace_load(const char *path, size_t *n, uint32_t *ids)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        bv_fail("replay: cannot open the trace", errno);
    size_t cap = 1024, header = 0;
    bv_op_t *ops = malloc(cap * sizeof *ops);
    char line[256];
    *n = 0;
    *ids = 0;
    while (ops && fgets(line, sizeof line, f)) {
        char *s = line + strspn(line, " \t");
        long hv;
        unsigned long id;
        size_t size = 0;
        char kind;
        if (*s == '#' || *s == '\n' || *s == '\r' || *s == '\0')
            continue;
        if (header < 4 && sscanf(s, "%ld", &hv) == 1) {
            header++;
            continue;
        }
        if (sscanf(s, "%c %lu %zu", &kind, &id, &size) < 2 || (kind != 'a' && kind != 'r' && kind != 'f') ||
            id >= UINT32_MAX)
            bv_fail("replay: a line of the trace is not an operation", 0);
        if (*n == cap)
            ops = realloc(ops, (cap *= 2) * sizeof *ops);
        if (ops == NULL)
            break;
        ops[(*n)++] = (bv_op_t){kind, (uint32_t)id, size ? size : 1};
        if (id + 1 > *ids)
            *ids = (uint32_t)id + 1;
    }
    fclose(f);
    if (ops == NULL)
        bv_fail("replay: no memory for the trace", ENOMEM);
    return ops;
}

/* VARIANT: vmem (slabs over vmem, THP), vmem-4k (the same, VMEM_HUGE_OFF),
 * libc (slabs over the C library's source) or malloc (glibc). */
static void bv_replay(const char *variant, const char *path)
{
    size_t nops;
    uint32_t ids;
    bv_op_t *ops = bv_trace_load(path, &nops, &ids);
    char **ptr = calloc(ids, sizeof *ptr);
    size_t *size = calloc(ids, sizeof *size);
    if (ptr == NULL || size == NULL)
        bv_fail("replay: no memory", ENOMEM);
    bool is_malloc = strcmp(variant, "malloc") == 0, is_vmem = strncmp(variant, "vmem", 4) == 0;
    if (!is_malloc && strcmp(variant, "vmem") != 0 && strcmp(variant, "vmem-4k") != 0 && strcmp(variant, "libc") != 0)
        bv_fail("replay: unknown variant", 0);
    static vmem_t v;
    static slabs_t s;
    if (is_vmem)
        bv_vmem_open(&v, variant[4] ? VMEM_HUGE_OFF : VMEM_HUGE_AUTO, VMEM_RELEASE_DONTNEED, false, 0);
    if (!is_malloc && slabs_init(&s, &(slabs_config_t){.source = is_vmem ? vmem_source(&v) : page_source_default()}))
        bv_fail("replay: slabs_init failed", 0);
    size_t base = bv_anon_rss(), payload = 0, peak_payload = 0, peak_held = 0;
    size_t every = nops / 256 ? nops / 256 : 1;
    for (size_t k = 0; k < nops; k++) {
        bv_op_t o = ops[k];
        if (o.kind == 'f' || o.kind == 'r') {
            if (ptr[o.id] == NULL)
                bv_fail("replay: the trace frees or reallocates an id that is not live", 0);
            payload -= size[o.id];
        }
        if (o.kind == 'f') {
            is_malloc ? free(ptr[o.id]) : slabs_free(&s, ptr[o.id]);
            ptr[o.id] = NULL;
        } else {
            size_t old = o.kind == 'r' ? size[o.id] : 0;
            char *p = o.kind == 'a' ? (is_malloc ? malloc(o.size) : slabs_alloc(&s, o.size))
                                    : (is_malloc ? realloc(ptr[o.id], o.size) : slabs_realloc(&s, ptr[o.id], o.size));
            if (p == NULL)
                bv_fail("replay: allocation failed", ENOMEM);
            if (o.size > old)
                memset(p + old, (int)(o.id & 0xff), o.size - old);
            ptr[o.id] = p;
            size[o.id] = o.size;
            payload += o.size;
            peak_payload = payload > peak_payload ? payload : peak_payload;
        }
        if (k % every == every - 1 || k + 1 == nops) {
            size_t now = is_vmem ? 0 : bv_anon_rss();
            size_t held = is_vmem ? bv_vmem_rss(&v, NULL) : now > base ? now - base : 0;
            peak_held = held > peak_held ? held : peak_held;
        }
    }
    printf("util=%.4f peak_payload_kib=%.1f peak_held_kib=%.1f ops=%zu\n",
           peak_held ? (double)peak_payload / (double)peak_held : 0.0, (double)peak_payload / 1024.0,
           (double)peak_held / 1024.0, nops);
}

/* ---- worker: system calls per object ---------------------------------------- */

#define BV_LIVE 100000 /* live objects in the steady phase */

static void bv_syscalls(size_t n)
{
    static vmem_t v;
    static slabs_t s;
    bv_vmem_open(&v, VMEM_HUGE_AUTO, VMEM_RELEASE_DONTNEED, false, 0);
    if (slabs_init(&s, &(slabs_config_t){.source = vmem_source(&v)}) != 0)
        bv_fail("syscalls: slabs_init failed", 0);
    void **live = malloc(BV_LIVE * sizeof *live);
    uint32_t *pick = malloc(n * sizeof *pick);
    uint16_t *sz = malloc(n * sizeof *sz);
    if (live == NULL || pick == NULL || sz == NULL)
        bv_fail("syscalls: no memory", ENOMEM);
    rng_t r = {0x5c5};
    for (size_t i = 0; i < n; i++) {
        pick[i] = (uint32_t)rng_below(&r, BV_LIVE);
        sz[i] = (uint16_t)(16 + rng_below(&r, 1009));
    }
    vmem_stats_t st;
    vmem_stats(&v, &st);
    size_t s0 = st.syscalls;
    for (size_t i = 0; i < BV_LIVE; i++)
        if ((live[i] = slabs_alloc(&s, sz[i % n])) == NULL)
            bv_fail("syscalls: allocation failed", ENOMEM);
    vmem_stats(&v, &st);
    size_t s1 = st.syscalls;
    uint64_t t0 = clock_now_ns();
    for (size_t i = 0; i < n; i++) {
        slabs_free(&s, live[pick[i]]);
        if ((live[pick[i]] = slabs_alloc(&s, sz[i])) == NULL)
            bv_fail("syscalls: allocation failed", ENOMEM);
        *(size_t *)live[pick[i]] = i;
    }
    uint64_t ns = clock_now_ns() - t0;
    vmem_stats(&v, &st);
    size_t s2 = st.syscalls;
    for (size_t i = 0; i < n; i++) {
        void *p = slabs_alloc(&s, 64);
        if (p == NULL)
            bv_fail("syscalls: allocation failed", ENOMEM);
        bv_sink = p;
        slabs_free(&s, p);
    }
    vmem_stats(&v, &st);
    size_t s3 = st.syscalls;
    printf("ns_per_op=%.3f syscalls_fill=%zu syscalls_random=%zu syscalls_pairs=%zu per_object=%.6f ops=%zu\n",
           (double)ns / (double)n, s1 - s0, s2 - s1, s3 - s2, (double)(s3 - s1) / (double)(2 * n), n);
}

/* ---- worker: release policies ----------------------------------------------- */

/* VARIANT: dontneed, free or keep, then -thp or -4k. */
static void bv_policy(const char *variant, size_t mib, size_t cycles)
{
    enum vmem_release rel = strncmp(variant, "dontneed", 8) == 0 ? VMEM_RELEASE_DONTNEED
                            : strncmp(variant, "free", 4) == 0   ? VMEM_RELEASE_FREE
                            : strncmp(variant, "keep", 4) == 0   ? VMEM_RELEASE_KEEP
                                                                 : (bv_fail("policy: unknown variant", 0), 0);
    static vmem_t v;
    static slabs_t s;
    bv_vmem_open(&v, strstr(variant, "-thp") ? VMEM_HUGE_AUTO : VMEM_HUGE_OFF, rel, false, 0);
    if (slabs_init(&s, &(slabs_config_t){.source = vmem_source(&v)}) != 0)
        bv_fail("policy: slabs_init failed", 0);
    size_t n = mib * BV_MIB / 256, peak = 0, after = 0, trims = 0;
    void **obj = malloc(n * sizeof *obj);
    if (obj == NULL)
        bv_fail("policy: no memory", ENOMEM);
    uint64_t ns = 0, trim_ns = 0;
    for (size_t c = 0; c < cycles; c++) {
        uint64_t t0 = clock_now_ns();
        for (size_t i = 0; i < n; i++) {
            if ((obj[i] = slabs_alloc(&s, 256)) == NULL)
                bv_fail("policy: allocation failed", ENOMEM);
            *(size_t *)obj[i] = i;
        }
        ns += clock_now_ns() - t0;
        size_t rss = bv_vmem_rss(&v, NULL); /* untimed */
        peak = rss > peak ? rss : peak;
        t0 = clock_now_ns();
        for (size_t i = 0; i < n; i++)
            slabs_free(&s, obj[i]);
        uint64_t t1 = clock_now_ns();
        trims += slabs_trim(&s, 0);
        trim_ns += clock_now_ns() - t1;
        ns += clock_now_ns() - t0;
        after = bv_vmem_rss(&v, NULL);
    }
    vmem_stats_t st;
    vmem_stats(&v, &st);
    printf("ms=%.3f trim_ms=%.3f syscalls=%zu rss_trim_mib=%.1f peak_mib=%.1f trimmed_mib=%.1f\n", (double)ns / 1e6,
           (double)trim_ns / 1e6, st.syscalls, (double)after / (double)BV_MIB, (double)peak / (double)BV_MIB,
           (double)trims / (double)BV_MIB);
}

static int bv_worker(int argc, char **argv)
{
    if (argc != 6)
        bh_die("usage: bench_vmem --worker touch|reads|create|replay|syscalls|policy VARIANT ARG N");
    const char *work = argv[2], *variant = argv[3], *arg = argv[4];
    size_t n = bh_count(argv[5], "N");
    if (strcmp(work, "touch") == 0)
        bv_touch(variant, bh_count(arg, "MiB"));
    else if (strcmp(work, "reads") == 0)
        bv_reads(variant, bh_count(arg, "MiB"), n);
    else if (strcmp(work, "create") == 0)
        bv_create(variant, n);
    else if (strcmp(work, "replay") == 0)
        bv_replay(variant, arg);
    else if (strcmp(work, "syscalls") == 0)
        bv_syscalls(n);
    else if (strcmp(work, "policy") == 0)
        bv_policy(variant, bh_count(arg, "MiB"), n);
    else
        bh_die("bench_vmem --worker: unknown work %s", work);
    return 0;
}

/* ---- the driver: cells -------------------------------------------------------- */

#define BV_MAXVAR 8

/* One variant of a cell: a worker command line.  prog NULL = this program,
 * else a sibling benchmark in the same directory (bench_slabs); source:
 * SC_BENCH_SOURCE for the child, NULL = unset. */
typedef struct bv_var {
    const char *label;
    const char *prog;
    const char *source;
    const char *arg[4];
} bv_var_t;

typedef struct bv_cell {
    const char *id;        /* CSV name */
    const char *title;     /* table title */
    const char *key[BH_NQ]; /* quantities; key[0] is the one ranked, NULL ends */
    const char *unit;      /* of key[0] */
    size_t ref;            /* the variant the ratios are to */
    bool once;             /* one run per variant: the figures do not depend on the run */
    size_t nvar;
    bv_var_t var[BV_MAXVAR];
    double s[BV_MAXVAR][BH_NQ][64]; /* samples */
    double med[BV_MAXVAR][BH_NQ];
    size_t reps;
} bv_cell_t;

typedef struct bv_state {
    bh_opts_t opt;
    bv_cell_t *cell[64];
    size_t ncell;
    char slabs_prog[4096];
    char traces[4096];
} bv_state_t;

static bv_state_t bv_st;

/* Runs variant i of the cell once and parses its line into v. */
static void bv_measure(void *ctx, size_t i, double *v)
{
    bv_cell_t *c = ctx;
    const bv_var_t *x = &c->var[i];
    char *argv[8] = {x->prog ? bv_st.slabs_prog : bv_st.opt.self, "--worker", (char *)x->arg[0], (char *)x->arg[1],
                     (char *)x->arg[2], (char *)x->arg[3], NULL};
    if (x->source)
        setenv(BH_SOURCE_ENV, x->source, 1);
    else
        unsetenv(BH_SOURCE_ENV);
    char out[1024];
    bool ok = bh_run(&(bh_child_t){argv, NULL, 600}, out, sizeof out);
    unsetenv(BH_SOURCE_ENV);
    if (!ok)
        bh_die("%s, %s: the worker failed", c->title, x->label);
    for (size_t q = 0; q < BH_NQ && c->key[q]; q++)
        if (!bh_field_number(out, c->key[q], q == 0 && !c->once ? 1e-9 : 0, 1e15, &v[q]))
            bh_die("%s, %s: no sensible %s in \"%s\"", c->title, x->label, c->key[q], out);
    if (x->prog) { /* bench_slabs: on glibc's malloc and on the source asked for */
        const char *want = x->source ? x->source : "libc";
        char field[64];
        snprintf(field, sizeof field, " source=%s", want);
        const char *at = strstr(out, field);
        char after = at ? at[strlen(field)] : 'x';
        if (!strstr(out, " malloc=glibc ") || (after != ' ' && after != '\n' && after != '\0'))
            bh_die("%s, %s: the worker did not run on glibc and the %s source: \"%s\"", c->title, x->label, want,
                   out);
    }
}

static void bv_run_cell(bv_cell_t *c)
{
    bool on[BV_MAXVAR];
    for (size_t i = 0; i < c->nvar; i++)
        on[i] = true;
    c->reps = c->once ? 1 : bv_st.opt.reps;
    bh_rounds(c->nvar, on, c->once || bv_st.opt.quick, c->reps, bv_measure, c, c->s);
    printf("\n%s\n", c->title);
    if (c->once)
        printf("  %-34s", "variant");
    else
        printf("  (%s; median of %zu%s)\n  %-34s %10s %10s %10s %9s", c->unit, c->reps, bh_warmup_note(bv_st.opt.quick),
               "variant", "median", "min", "max", "ratio");
    for (size_t q = c->once ? 0 : 1; q < BH_NQ && c->key[q]; q++)
        printf(" %14s", c->key[q]);
    printf("\n");
    for (size_t i = 0; i < c->nvar; i++)
        for (size_t q = 0; q < BH_NQ && c->key[q]; q++) {
            double lo, hi;
            bh_stats(c->s[i][q], c->reps, &c->med[i][q], &lo, &hi);
        }
    for (size_t i = 0; i < c->nvar; i++) {
        printf("  %-34s", c->var[i].label);
        if (!c->once) {
            double lo, hi, med;
            bh_stats(c->s[i][0], c->reps, &med, &lo, &hi);
            printf(" %10.3f %10.3f %10.3f %8.2fx", med, lo, hi, c->med[c->ref][0] / med);
        }
        for (size_t q = c->once ? 0 : 1; q < BH_NQ && c->key[q]; q++)
            printf(" %14.6g", c->med[i][q]);
        printf("\n");
    }
    if (!c->once)
        printf("  ratio = %s's median / the variant's (> 1: faster than %s)\n", c->var[c->ref].label,
               c->var[c->ref].label);
}

static bv_cell_t *bv_new_cell(const char *id, const char *title, const char *unit, size_t ref, bool once)
{
    if (bv_st.ncell == 64)
        bh_die("too many cells");
    bv_cell_t *c = calloc(1, sizeof *c);
    if (c == NULL)
        bh_die("no memory");
    *c = (bv_cell_t){.id = id, .title = title, .unit = unit, .ref = ref, .once = once};
    bv_st.cell[bv_st.ncell++] = c;
    return c;
}

static void bv_keys(bv_cell_t *c, const char *const *keys)
{
    for (size_t q = 0; keys[q] && q < BH_NQ; q++)
        c->key[q] = keys[q];
}

static void bv_add(bv_cell_t *c, const char *label, const char *prog, const char *source, const char *a0,
                   const char *a1, const char *a2, const char *a3)
{
    if (c->nvar == BV_MAXVAR)
        bh_die("too many variants");
    c->var[c->nvar++] = (bv_var_t){label, prog, source, {a0, a1, a2, a3}};
}

/* A string that lives as long as the run. */
static const char *bv_str(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static const char *bv_str(const char *fmt, ...)
{
    char buf[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    char *s = strdup(buf);
    if (s == NULL)
        bh_die("no memory");
    return s;
}

/* The cells, in the order they run. */
enum { BV_TOUCH, BV_READS, BV_CREATE, BV_MIXED, BV_PAIR, BV_DESTROY, BV_SYSCALLS, BV_POLICY, BV_REPLAY0 };

static void bv_plan(void)
{
    bool q = bv_st.opt.quick;
    const char *mib = q ? "64" : "1024";
    const char *space = q ? "64 MiB" : "1 GiB";
    bv_cell_t *c;

    c = bv_new_cell("touch", bv_str("First touch of %s: acquire + one write per 4 KiB", space), "ms", 1, false);
    bv_keys(c, (const char *[]){"ms", "faults", "huge_pct", "rss_mib", "compact_stalls", NULL});
    bv_add(c, "vmem, THP", NULL, NULL, "touch", "thp", mib, "1");
    bv_add(c, "vmem, 4 KiB (HUGE_OFF)", NULL, NULL, "touch", "4k", mib, "1");
    bv_add(c, "vmem, THP, populate", NULL, NULL, "touch", "thp-populate", mib, "1");
    bv_add(c, "vmem, 4 KiB, populate", NULL, NULL, "touch", "4k-populate", mib, "1");
    bv_add(c, "mmap", NULL, NULL, "touch", "mmap", mib, "1");
    bv_add(c, "malloc", NULL, NULL, "touch", "malloc", mib, "1");

    const char *reads = q ? "200000" : "4000000";
    c = bv_new_cell("reads", bv_str("Dependent random reads over %s, one line per 4 KiB page, %s reads", space, reads),
                    "ns per read", 1, false);
    bv_keys(c, (const char *[]){"ns_per_read", "huge_pct", NULL});
    bv_add(c, "vmem, THP", NULL, NULL, "reads", "thp", mib, reads);
    bv_add(c, "vmem, 4 KiB (HUGE_OFF)", NULL, NULL, "reads", "4k", mib, reads);

    const char *made = q ? "8" : "256";
    c = bv_new_cell("create", "Creating a source, slabs or an arena (mean of many in one process; RSS of the first)",
                    "ns per creation", 3, false);
    bv_keys(c, (const char *[]){"ns", "rss_kib", "reserved_mib", NULL});
    bv_add(c, "vmem_init, 1 GiB", NULL, NULL, "create", "vmem-1g", "-", made);
    bv_add(c, "vmem_init, 64 GiB", NULL, NULL, "create", "vmem-64g", "-", made);
    bv_add(c, "slabs_init on vmem 64 GiB", NULL, NULL, "create", "slabs-vmem", "-", made);
    bv_add(c, "slabs_init on libc", NULL, NULL, "create", "slabs-libc", "-", made);
    bv_add(c, "arena_init on vmem 64 GiB", NULL, NULL, "create", "arena-vmem", "-", made);
    bv_add(c, "arena_init on libc", NULL, NULL, "create", "arena-libc", "-", made);

    const char *pat = q ? "random-1e4" : "random-1e6", *nr = q ? "100000" : "2000000";
    c = bv_new_cell("mixed", bv_str("Stage 02 mixed sizes 16-1024 B, %s (bench_slabs workers), %s steps", pat, nr),
                    "ns per alloc+free pair", 1, false);
    bv_keys(c, (const char *[]){"ns_per_op", "peak_rss_kib", NULL});
    bv_add(c, "slabs on vmem", "bench_slabs", "vmem", "slabs", pat, "uniform", nr);
    bv_add(c, "slabs on libc source", "bench_slabs", NULL, "slabs", pat, "uniform", nr);
    bv_add(c, "glibc malloc", "bench_slabs", NULL, "malloc", pat, "uniform", nr);

    const char *np = q ? "100000" : "10000000";
    c = bv_new_cell("pair", bv_str("Stage 02 mixed sizes 16-1024 B, pair (bench_slabs workers), %s pairs", np),
                    "ns per alloc+free pair", 1, false);
    bv_keys(c, (const char *[]){"ns_per_op", "peak_rss_kib", NULL});
    bv_add(c, "slabs on vmem", "bench_slabs", "vmem", "slabs", "pair", "uniform", np);
    bv_add(c, "slabs on libc source", "bench_slabs", NULL, "slabs", "pair", "uniform", np);
    bv_add(c, "glibc malloc", "bench_slabs", NULL, "malloc", "pair", "uniform", np);

    const char *nd = q ? "100000" : "1000000";
    c = bv_new_cell("destroy", bv_str("Releasing %s live objects of 16-1024 B (bench_slabs release workers)", nd),
                    "ns per object released", 3, false);
    bv_keys(c, (const char *[]){"ns_per_op", "peak_rss_kib", NULL});
    bv_add(c, "slabs_destroy on vmem", "bench_slabs", "vmem", "slabs-destroy", "release", "uniform", nd);
    bv_add(c, "slabs_destroy on vmem, KEEP", "bench_slabs", "vmem-keep", "slabs-destroy", "release", "uniform", nd);
    bv_add(c, "slabs_destroy on libc source", "bench_slabs", NULL, "slabs-destroy", "release", "uniform", nd);
    bv_add(c, "glibc free, one by one", "bench_slabs", NULL, "malloc", "release", "uniform", nd);

    const char *ns = q ? "100000" : "1000000";
    c = bv_new_cell("syscalls",
                    bv_str("System calls of slabs over vmem: 10^5 live objects, then %s random replacements, "
                           "then %s pairs", ns, ns),
                    "", 0, true);
    bv_keys(c, (const char *[]){"syscalls_fill", "syscalls_random", "syscalls_pairs", "per_object", NULL});
    bv_add(c, "slabs on vmem (THP)", NULL, NULL, "syscalls", "-", "-", ns);

    const char *pm = q ? "16" : "256", *pc = q ? "2" : "4";
    c = bv_new_cell("policy",
                    bv_str("Release policies: slabs over vmem, 256 B objects, grow to %s MiB, free all, slabs_trim(), "
                           "%s cycles", pm, pc),
                    "ms, the whole run", 0, false);
    bv_keys(c, (const char *[]){"ms", "syscalls", "rss_trim_mib", "peak_mib", "trim_ms", NULL});
    bv_add(c, "DONTNEED, THP", NULL, NULL, "policy", "dontneed-thp", pm, pc);
    bv_add(c, "FREE, THP", NULL, NULL, "policy", "free-thp", pm, pc);
    bv_add(c, "KEEP, THP", NULL, NULL, "policy", "keep-thp", pm, pc);
    bv_add(c, "DONTNEED, 4 KiB", NULL, NULL, "policy", "dontneed-4k", pm, pc);
    bv_add(c, "FREE, 4 KiB", NULL, NULL, "policy", "free-4k", pm, pc);
    bv_add(c, "KEEP, 4 KiB", NULL, NULL, "policy", "keep-4k", pm, pc);

    static const char *const traces[] = {"append", "grow", "phases", "requests", "steady"};
    for (size_t t = 0; t < sizeof traces / sizeof *traces; t++) {
        const char *path = bv_str("%s/%s.rep", bv_st.traces, traces[t]);
        if (access(path, R_OK) != 0) {
            printf("note: %s is not there; its replay is skipped\n", path);
            continue;
        }
        c = bv_new_cell(bv_str("replay-%s", traces[t]),
                        bv_str("Replay of %s.rep: U = peak live bytes / peak bytes held from the kernel", traces[t]),
                        "", 0, true);
        bv_keys(c, (const char *[]){"util", "peak_payload_kib", "peak_held_kib", NULL});
        bv_add(c, "slabs on vmem, THP (region RSS)", NULL, NULL, "replay", "vmem", path, "1");
        bv_add(c, "slabs on vmem, 4 KiB (region RSS)", NULL, NULL, "replay", "vmem-4k", path, "1");
        bv_add(c, "slabs on libc source (RSS)", NULL, NULL, "replay", "libc", path, "1");
        bv_add(c, "glibc malloc (RSS)", NULL, NULL, "replay", "malloc", path, "1");
        if (q)
            break; /* one trace is enough for a smoke run */
    }
}

/* ---- the driver: targets, CSV, chart --------------------------------------------- */

static double bv_med(size_t cell, size_t var, size_t q)
{
    return bv_st.cell[cell]->med[var][q];
}

static const char *bv_thp_state(char *buf, size_t size)
{
    FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
    snprintf(buf, size, "not offered");
    if (f) {
        char line[128];
        if (fgets(line, sizeof line, f)) {
            char *a = strchr(line, '['), *b = a ? strchr(a, ']') : NULL;
            if (a && b)
                snprintf(buf, size, "%.*s", (int)(b - a - 1), a + 1);
        }
        fclose(f);
    }
    return buf;
}

static void bv_targets(void)
{
    char thp[64];
    bv_thp_state(thp, sizeof thp);
    printf("\nTargets (DESIGN §8.2)%s\n", bv_st.opt.quick ? " - quick run, not a verdict" : "");
    double huge = bv_med(BV_TOUCH, 0, 2), speed = bv_med(BV_TOUCH, 1, 0) / bv_med(BV_TOUCH, 0, 0);
    double speed_pop = bv_med(BV_TOUCH, 3, 0) / bv_med(BV_TOUCH, 2, 0);
    bool allowed = strcmp(thp, "never") != 0 && strcmp(thp, "not offered") != 0;
    printf("  T9  huge pages: %.1f %% of the touched bytes with THP (kernel THP: %s) -> %s\n", huge, thp,
           !allowed ? "n/a (the kernel allows none)" : huge >= 99.0 ? "met" : "MISSED");
    printf("  T9  first touch, 4 KiB time / THP time: %.2fx (populate: %.2fx), target >= 3.5x -> %s\n", speed,
           speed_pop, !allowed ? "n/a" : speed >= 3.5 ? "met" : "MISSED");
    double rd = bv_med(BV_READS, 1, 0) / bv_med(BV_READS, 0, 0);
    printf("      (random reads, 4 KiB / THP: %.2fx; no target)\n", rd);
    double t4v = bv_med(BV_DESTROY, 3, 0) / bv_med(BV_DESTROY, 0, 0);
    double t4k = bv_med(BV_DESTROY, 3, 0) / bv_med(BV_DESTROY, 1, 0);
    double t4l = bv_med(BV_DESTROY, 3, 0) / bv_med(BV_DESTROY, 2, 0);
    printf("  T4  slabs_destroy vs glibc free one by one: %.0fx on vmem (DONTNEED), %.0fx on vmem with KEEP, %.0fx on "
           "the libc source, target >= 100x -> %s\n", t4v, t4k, t4l, t4v >= 100 ? "met" : "MISSED");
    double fill = bv_med(BV_SYSCALLS, 0, 0), rnd = bv_med(BV_SYSCALLS, 0, 1), pairs = bv_med(BV_SYSCALLS, 0, 2);
    double per = bv_med(BV_SYSCALLS, 0, 3);
    printf("  T10 syscalls per object over vmem: %.6f (%.0f in the fill, %.0f in the random steps, %.0f in the "
           "pairs) -> %s\n", per, fill, rnd, pairs, rnd + pairs == 0 ? "met" : "MISSED");
}

static void bv_write_csv(const void *ctx)
{
    (void)ctx;
    FILE *f = bh_csv_open(bv_st.opt.csv, "cell,variant,quantity,median,min,max,samples");
    for (size_t k = 0; k < bv_st.ncell; k++) {
        const bv_cell_t *c = bv_st.cell[k];
        for (size_t i = 0; i < c->nvar; i++)
            for (size_t q = 0; q < BH_NQ && c->key[q]; q++) {
                double med, lo, hi;
                bh_stats(c->s[i][q], c->reps, &med, &lo, &hi);
                fprintf(f, "%s,\"%s\",%s,%.6g,%.6g,%.6g,", c->id, c->var[i].label, c->key[q], med, lo, hi);
                bh_csv_samples(f, c->s[i][q], c->reps);
            }
    }
    bh_csv_close(f, bv_st.opt.csv);
}

/* First touch (plain and populate) and random reads, THP against 4 KiB
 * pages, each relative to 4 KiB pages. */
static void bv_write_svg(const void *ctx)
{
    (void)ctx;
    static const char *const label[] = {"first touch", "first touch, populate", "random read"};
    static const char *const name[] = {"4 KiB pages (VMEM_HUGE_OFF)", "THP (VMEM_HUGE_AUTO)"};
    static const char *const colour[] = {"#9e9e9e", "#d95f02"};
    double value[6] = {1, bv_med(BV_TOUCH, 0, 0) / bv_med(BV_TOUCH, 1, 0), 1,
                       bv_med(BV_TOUCH, 2, 0) / bv_med(BV_TOUCH, 3, 0), 1,
                       bv_med(BV_READS, 0, 0) / bv_med(BV_READS, 1, 0)};
    char sub[512];
    bh_chart_subtitle(sub, sizeof sub, bv_st.opt.reps);
    bh_chart_t chart = {
        .title = bv_st.opt.quick ? "Stage 05 (quick run): time relative to 4 KiB pages, 64 MiB"
                                 : "Stage 05: time relative to 4 KiB pages, 1 GiB (lower is faster)",
        .subtitle = sub,
        .y_label = "time / time with 4 KiB pages",
        .groups = 3,
        .group_label = label,
        .series = 2,
        .series_name = name,
        .series_colour = colour,
        .value = value,
        .log_scale = true,
        .reference = 1.0,
        .reference_label = "4 KiB = 1",
        .highlight = 1,
    };
    if (!bh_svg_write(bv_st.opt.svg, &chart))
        bh_die("cannot write %s", bv_st.opt.svg);
    printf("wrote %s\n", bv_st.opt.svg);
}

/* ---- the driver ---------------------------------------------------------------------- */

static _Noreturn void bv_usage(void)
{
    fprintf(stderr, "usage: bench_vmem [--quick] [--reps N] [--csv FILE] [--svg FILE] [--traces DIR]\n"
                    "       bench_vmem --worker touch|reads|create|replay|syscalls|policy VARIANT ARG N\n"
                    "       bench_vmem --probe\n");
    exit(2);
}

/* This program's own option (ctx unused): --traces DIR. */
static bool bv_parse_own(void *ctx, int argc, char **argv, int *i)
{
    (void)ctx;
    if (strcmp(argv[*i], "--traces") != 0 || *i + 1 >= argc)
        return false;
    snprintf(bv_st.traces, sizeof bv_st.traces, "%s", argv[++*i]);
    return true;
}

static int bv_driver(int argc, char **argv)
{
    snprintf(bv_st.traces, sizeof bv_st.traces, "tools/traces");
    bh_parse_opts(&bv_st.opt, argc, argv, bv_parse_own, NULL, bv_usage);
    uint64_t t0 = bh_driver_begin(&bv_st.opt, "stage 05 benchmark: vmem, huge pages, release policies");
    const char *slash = strrchr(bv_st.opt.self, '/'); /* bench_slabs is built beside this program */
    int dir = slash ? (int)(slash + 1 - bv_st.opt.self) : 0;
    snprintf(bv_st.slabs_prog, sizeof bv_st.slabs_prog, "%.*sbench_slabs", dir, bv_st.opt.self);
    if (access(bv_st.slabs_prog, X_OK) != 0)
        bh_die("%s is not there: the mixed and release cells run its workers (make MODE=release benches)",
               bv_st.slabs_prog);
    char thp[64];
    printf("vmem     : THP %s; pages of %zu KiB over base pages of %zu KiB; %d empty pages kept, decay %d ops\n",
           bv_thp_state(thp, sizeof thp), VMEM_HUGE_PAGE >> 10, VMEM_BASE_PAGE >> 10, VMEM_KEEP_PAGES, VMEM_DECAY_OPS);
    bv_plan();
    for (size_t k = 0; k < bv_st.ncell; k++) {
        bv_run_cell(bv_st.cell[k]);
        fflush(stdout);
    }
    bv_targets();
    return bh_driver_end(&bv_st.opt, t0, bv_write_csv, bv_write_svg, NULL);
}

int main(int argc, char **argv)
{
    return bh_main(argc, argv, bv_worker, bv_driver);
}

/*
 * demo.c - stage 02 narrated: the default class table, a mixed workload and
 * its per-class statistics, free without a size, an empty slab given back,
 * and the cost of an allocation against malloc.  Every number printed is
 * measured in this run.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "fmt.h"
#include "rng.h"
#include "slabs.h"

#define OBJECTS 200000   /* objects in the mixed workload */
#define WINDOW 4096      /* live objects while timing */
#define PAIRS 2000000    /* alloc/free pairs per timing run */
#define RUNS 5           /* timing runs; the median is printed */

/* ---- printing ------------------------------------------------------------ */

/* "35,323,904 bytes (33.7 MiB)" (fmt.h); each call its own buffer. */
#define bytes(n) fmt_bytes((char[FMT_BYTES_LEN]){0}, (n))

/* ---- the workload ------------------------------------------------------- */

/* A small deterministic generator, so every run does the same work. */
static rng_t rng = {0x5eed};

static uint64_t rnd(void)
{
    return rng_next(&rng);
}

/* Sizes skewed to the small end, as per-request attributes are:
 * half up to 32 bytes, most of the rest up to 256, a few up to 4 KiB, and
 * one in a thousand of 10-40 KB. */
static size_t mixed_size(void)
{
    if (rnd() % 1000 == 0)
        return 10000 + rnd() % 30000; /* now and then a large one */
    uint64_t r = rnd() % 100;
    if (r < 50)
        return 1 + rnd() % 32;
    if (r < 90)
        return 33 + rnd() % 224;
    if (r < 99)
        return 257 + rnd() % 768;
    return 1025 + rnd() % 3072;
}

/* The chunk size of class i. */
static size_t chunk_size(const slabs_t *s, size_t i)
{
    slabs_class_stats_t cs;
    slabs_class_stats(s, i, &cs);
    return cs.chunk_size;
}

/* ---- the sections ------------------------------------------------------- */

static void show_classes(const slabs_t *s)
{
    size_t n = slabs_class_count(s), largest = chunk_size(s, n - 1);
    printf("1. The class table with the default configuration\n\n");
    printf("  Classes from %zu bytes up, each the previous one x %.2f rounded up to\n"
           "  %zu bytes, up to %s, in slabs of %s.\n"
           "  'worst' is the most a request can waste in its class.\n\n",
           chunk_size(s, 0), SLABS_DEFAULT_GROWTH, SLABS_GRANULE, bytes(largest),
           bytes(s->slab_size));
    printf("    class  chunk  per slab  serves      worst\n");
    size_t prev = 0;
    for (size_t i = 0; i < n; i++) {
        slabs_class_stats_t cs;
        slabs_class_stats(s, i, &cs);
        printf("    %5zu %6zu %9zu  %5zu-%-5zu %5.1f %%\n", i, cs.chunk_size, cs.chunks_per_slab,
               prev + 1, cs.chunk_size, 100.0 * (double)(cs.chunk_size - prev - 1) / (double)cs.chunk_size);
        prev = cs.chunk_size;
    }
    printf("\n  Above %s: a block of its own from the page source.\n\n", bytes(largest));
}

/* Allocates OBJECTS mixed objects, frees a random half, prints the table. */
static void **mixed_workload(slabs_t *s)
{
    void **objs = calloc(OBJECTS, sizeof *objs);
    if (objs == NULL)
        return NULL;
    for (size_t i = 0; i < OBJECTS; i++) {
        size_t n = mixed_size();
        objs[i] = slabs_alloc(s, n);
        if (objs[i] != NULL)
            memset(objs[i], (int)(i & 0xff), n);
    }
    for (size_t i = 0; i < OBJECTS; i++)
        if (rnd() % 2 && objs[i] != NULL) {
            slabs_free(s, objs[i]);
            objs[i] = NULL;
        }
    slabs_stats_t st;
    slabs_stats(s, &st);
    printf("2. A mixed workload\n\n");
    printf("  %d objects of 1 B - 4 KiB (skewed small, and 1 in 1000 of 10-40 KB),\n"
           "  then a random half of them freed: %zu objects live,\n"
           "  %s asked for, %s held.\n"
           "  Freeing a random half leaves every slab about half used; its free\n"
           "  chunks wait for the next objects of its class.  Per class (what\n"
           "  memcached calls \"stats slabs\"; this allocator has SLABS_STATS, which\n"
           "  keeps each object's requested size in 4-32 bits so the waste is known;\n"
           "  by default nothing per object is kept and waste shows as -):\n\n",
           OBJECTS, st.live_objects, bytes(st.live_requested_bytes), bytes(st.bytes_from_source));
    slabs_print_stats(s, stdout);
    size_t in_chunks = 0, asked = 0;
    for (size_t i = 0; i < slabs_class_count(s); i++) {
        slabs_class_stats_t cs;
        slabs_class_stats(s, i, &cs);
        in_chunks += cs.used * cs.chunk_size;
        asked += cs.requested_bytes;
    }
    printf("\n  waste = bytes inside used chunks that nobody asked for (the rounding up\n"
           "  to the class): %.1f %% of the bytes in used chunks here.\n\n",
           100.0 * (double)(in_chunks - asked) / (double)in_chunks);
    return objs;
}

static void show_free_by_mask(slabs_t *s, void **objs)
{
    void *p = NULL;
    for (size_t i = 0; i < OBJECTS && p == NULL; i++)
        p = objs[i];
    if (p == NULL)
        return;
    uintptr_t slab = (uintptr_t)p & ~(uintptr_t)(s->slab_size - 1);
    printf("3. Free without a size\n\n");
    printf("  The object at %p, masked with ~(%zu - 1), gives its\n"
           "  slab, %p.  A side table maps that address to the slab's\n"
           "  descriptor, its pool and so its class (chunks of %zu bytes):\n"
           "  slabs_free(s, p) needs nothing else.\n\n",
           p, s->slab_size, (void *)slab, slabs_usable_size(s, p));
}

static void show_trim(slabs_t *s, void **objs)
{
    for (size_t i = 0; i < OBJECTS; i++)
        slabs_free(s, objs[i]);
    slabs_stats_t before, after;
    slabs_stats(s, &before);
    size_t empty = 0;
    for (size_t i = 0; i < slabs_class_count(s); i++) {
        slabs_class_stats_t cs;
        slabs_class_stats(s, i, &cs);
        empty += cs.slabs;
    }
    size_t released = slabs_trim(s, 0);
    slabs_stats(s, &after);
    printf("4. Memory that goes back\n\n");
    printf("  Every object freed: %zu slabs are now empty, and nothing goes back by\n"
           "  itself.  slabs_trim(s, 0) gives the empty slabs back (memcached never\n"
           "  does this):\n\n"
           "    held before the trim  %s\n"
           "    released              %s\n"
           "    held after            %s: slab descriptors, class tables\n\n",
           empty, bytes(before.bytes_from_source), bytes(released), bytes(after.bytes_from_source));
}

/* ---- timing ------------------------------------------------------------- */

typedef void *(*alloc_fn)(void *ctx, size_t n);
typedef void (*free_fn)(void *ctx, void *p);

static void *a_slabs(void *ctx, size_t n) { return slabs_alloc(ctx, n); }
static void f_slabs(void *ctx, void *p) { slabs_free(ctx, p); }
static void *a_malloc(void *ctx, size_t n) { (void)ctx; return malloc(n); }
static void f_malloc(void *ctx, void *p) { (void)ctx; free(p); }

/* ns per pair: a window of WINDOW live objects, each step frees a random
 * one and allocates a new one of a mixed size, touching its first byte. */
static double time_pairs(alloc_fn af, free_fn ff, void *ctx, const uint16_t *sizes)
{
    static void *win[WINDOW];
    for (size_t i = 0; i < WINDOW; i++)
        win[i] = af(ctx, sizes[i]);
    uint64_t t0 = clock_now_ns();
    for (size_t i = 0; i < PAIRS; i++) {
        size_t k = (i * 2654435761u) % WINDOW;
        ff(ctx, win[k]);
        win[k] = af(ctx, sizes[i % 65536]);
        *(volatile char *)win[k] = 1;
    }
    uint64_t t1 = clock_now_ns();
    for (size_t i = 0; i < WINDOW; i++)
        ff(ctx, win[i]);
    return (double)(t1 - t0) / PAIRS;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void show_timing(void)
{
    slabs_t plain;
    slabs_config_t cfg = {0}; /* the defaults: no flags, the fast paths */
    if (slabs_init(&plain, &cfg) != 0)
        return;
    slabs_t *s = &plain;
    static uint16_t sizes[65536];
    for (size_t i = 0; i < 65536; i++)
        sizes[i] = (uint16_t)(16 + rnd() % 1009); /* 16 B - 1 KiB, uniform */
    double ts[RUNS], tm[RUNS];
    time_pairs(a_slabs, f_slabs, s, sizes); /* warm-up */
    time_pairs(a_malloc, f_malloc, NULL, sizes);
    for (int r = 0; r < RUNS; r++) { /* interleaved: A B A B ... */
        ts[r] = time_pairs(a_slabs, f_slabs, s, sizes);
        tm[r] = time_pairs(a_malloc, f_malloc, NULL, sizes);
    }
    qsort(ts, RUNS, sizeof *ts, cmp_double);
    qsort(tm, RUNS, sizeof *tm, cmp_double);
    printf("5. Speed: ns per free + alloc pair\n\n");
    printf("  A new allocator with the default configuration (no flags).\n"
           "  Sizes 16 B - 1 KiB, %d objects live, median of %d runs of %d pairs\n"
           "  (min - max):\n\n"
           "    slabs   %6.1f ns  (%.1f - %.1f)\n"
           "    malloc  %6.1f ns  (%.1f - %.1f)\n\n"
           "  slabs is %.2fx the speed of malloc here (a shared 2-core machine is noisy:\n"
           "  the benchmarks in bench/ measure this properly).\n",
           WINDOW, RUNS, PAIRS, ts[RUNS / 2], ts[0], ts[RUNS - 1], tm[RUNS / 2], tm[0],
           tm[RUNS - 1], tm[RUNS / 2] / ts[RUNS / 2]);
    slabs_destroy(&plain);
}

int main(void)
{
    slabs_t s;
    slabs_config_t cfg = {.flags = SLABS_STATS};
    if (slabs_init(&s, &cfg) != 0) {
        fprintf(stderr, "slabs_init failed\n");
        return 1;
    }
    printf("slabcraft stage 02: slab classes, objects of any size\n\n");
    show_classes(&s);
    void **objs = mixed_workload(&s);
    if (objs == NULL) {
        slabs_destroy(&s);
        return 1;
    }
    show_free_by_mask(&s, objs);
    show_trim(&s, objs);
    free(objs);
    show_timing();
    size_t bad = slabs_check(&s);
    slabs_destroy(&s);
    printf("\n  slabs_check() at the end: %zu problems (0 = healthy); slabs_destroy()\n"
           "  gave everything back.\n", bad);
    return bad != 0;
}

/*
 * demo.c - stage 01 in one narrated run: a learner watches a pool carve a
 * block, grow and shrink its free list, reset, catch misuse in checked mode,
 * and race malloc.
 *
 * The pictures read the pool's public fields (pool.h documents them) and
 * follow the free list through the freed objects, which only the allocator
 * itself should do: fine for a demonstration, never in real code.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "fmt.h"
#include "misuse.h"
#include "pool.h"

/* ---- printing ------------------------------------------------------------ */

/* "35,323,904 bytes (33.7 MiB)" (fmt.h); each call its own buffer. */
#define bytes(n) fmt_bytes((char[FMT_BYTES_LEN]){0}, (n))

/* ---- pictures ------------------------------------------------------------ */

/* Position (1-based) of chunk c in the free list, or 0 if it is not free. */
static size_t free_position(const pool_t *p, const char *c)
{
    size_t pos = 1;
    for (void *f = p->free_list; f != NULL; f = *(void **)f, pos++)
        if (f == c)
            return pos;
    return 0;
}

/* One character per chunk of block b:
 * '#' live, '1'..'9' free (its place in the free list, '+' past 9),
 * '.' never carved.  Chunks below `end` have been carved. */
static void draw_block(const pool_t *p, const pool_block_t *b, const char *end)
{
    const char *first = (const char *)b + p->first_offset;
    printf("    [");
    for (size_t i = 0; i < p->per_block; i++) {
        const char *c = first + i * p->stride;
        bool carved = c < end;
        size_t pos = carved ? free_position(p, c) : 0;
        putchar(!carved ? '.' : pos == 0 ? '#' : pos <= 9 ? (int)('0' + pos) : '+');
    }
    printf("]\n");
}

static void draw(const char *title, const pool_t *p)
{
    pool_stats_t s;
    pool_stats(p, &s);
    printf("  %s\n", title);
    /* blocks before the carve block are carved whole, those after not at all */
    bool before = p->carve != NULL;
    for (const pool_block_t *b = p->head; b != NULL; b = b->next) {
        const char *start = (const char *)b + p->first_offset;
        const char *end = b == p->carve ? p->bump : before ? start + p->per_block * p->stride : start;
        draw_block(p, b, end);
        if (b == p->carve)
            before = false;
    }
    printf("    live %zu, capacity %zu, blocks %zu, %s from the source\n\n",
           s.live, s.capacity, s.blocks, bytes(s.bytes_from_source));
}

/* ---- 1. the API in six lines ---------------------------------------------- */

struct point {
    double x, y;
};

static void show_usage(void)
{
    printf("1. The whole API in use: init, alloc, free, destroy\n\n");
    // [usage]
    pool_t pool;
    pool_config_t cfg = {.obj_size = sizeof(struct point)};
    if (pool_init(&pool, &cfg) != 0)
        exit(1);
    struct point *pt = pool_alloc(&pool);
    if (pt == NULL)
        exit(1);
    *pt = (struct point){1.5, -2.0};
    pool_free(&pool, pt);
    pool_destroy(&pool);
    // [usage]
    printf("  A %zu-byte point was allocated and freed: no header, no size passed.\n\n",
           sizeof(struct point));
}

/* ---- 2. carving and the free list ----------------------------------------- */

static void show_carving(void)
{
    printf("2. Carving a block and threading the free list\n\n");
    pool_t p;
    pool_config_t cfg = {.obj_size = 100, .block_size = 4096};
    if (pool_init(&p, &cfg) != 0)
        exit(1);
    printf("  A pool of %zu-byte objects in blocks of %s: each chunk\n"
           "  takes %zu bytes (the size rounded up to the %zu-byte alignment); the block\n"
           "  header and padding take %zu bytes, so one block holds %zu objects.\n\n",
           p.obj_size, bytes(p.block_size), p.stride, p.align, p.first_offset, p.per_block);
    void *obj[40];
    for (int i = 0; i < 12; i++)
        obj[i] = pool_alloc(&p);
    draw("After 12 allocations: chunks are carved in order, the rest untouched ('.'):", &p);
    pool_free(&p, obj[3]);
    pool_free(&p, obj[7]);
    pool_free(&p, obj[5]);
    draw("After freeing objects 3, 7 and 5: the free list runs 5 -> 7 -> 3 (1 = head):", &p);
    void *again = pool_alloc(&p);
    printf("  The next allocation pops the head of the list: object %s.\n\n",
           again == obj[5] ? "5 again, still warm in cache" : "?? (unexpected)");
    for (int i = 12; i < 40; i++)
        obj[i] = pool_alloc(&p);
    draw("28 more allocations use the 2 free chunks first, then carve, then take a new block:", &p);

    pool_reset(&p);
    draw("pool_reset(): every object freed at once, in O(blocks); the blocks stay:", &p);
    pool_destroy(&p);
    printf("  pool_destroy() gives every block back to the source (here the C library).\n\n");
}

/* ---- 3. checked mode -------------------------------------------------------- */

static void print_report(const misuse_report_t *r, void *ctx)
{
    (void)ctx;
    printf("    misuse handler: %s: %s at %p: %s\n", r->allocator, r->kind, r->addr,
           r->message);
}

static void show_checked(void)
{
    printf("3. Checked mode catches misuse\n\n");
    printf("  A demo handler prints each report instead of aborting.\n\n");
    misuse_set_handler(print_report, NULL);
    pool_t p, other;
    pool_config_t cfg = {.obj_size = 32, .flags = POOL_CHECKED};
    if (pool_init(&p, &cfg) != 0 || pool_init(&other, &cfg) != 0)
        exit(1);
    char *a = pool_alloc(&p);
    char *b = pool_alloc(&other);
    printf("  Freeing the same object twice:\n");
    pool_free(&p, a);
    pool_free(&p, a);
    printf("  Freeing an object of another pool, and a pointer into the middle of one:\n");
    pool_free(&p, b);
    pool_free(&other, b + 16);
    printf("  Writing into an object after freeing it, then allocating again:\n");
    a[20] = 'x'; /* use after free: the demo does it on purpose */
    char *c = pool_alloc(&p);
    printf("    the damaged object is withheld; the allocation got a fresh one: %s\n\n",
           c != a ? "yes" : "no");
    misuse_set_handler(NULL, NULL);
    printf("  pool_check() after all that: %zu problems (0 = healthy)\n\n", pool_check(&p));
    pool_destroy(&p);
    pool_destroy(&other);
}

/* ---- 4. speed ------------------------------------------------------------- */

enum { PAIRS = 2000000, RUNS = 5 };

static int cmp_u64(const void *x, const void *y)
{
    uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    return (a > b) - (a < b);
}

/* Median over RUNS of the ns per alloc+free pair. */
static double time_pairs(pool_t *p, size_t size)
{
    uint64_t ns[RUNS];
    void *volatile sink;
    for (int r = 0; r < RUNS; r++) {
        uint64_t t0 = clock_now_ns();
        for (int i = 0; i < PAIRS; i++) {
            void *o = p ? pool_alloc(p) : malloc(size);
            *(volatile char *)o = (char)i;
            sink = o;
            if (p)
                pool_free(p, o);
            else
                free(o);
        }
        ns[r] = clock_now_ns() - t0;
    }
    (void)sink;
    qsort(ns, RUNS, sizeof ns[0], cmp_u64);
    return (double)ns[RUNS / 2] / PAIRS;
}

static void show_speed(void)
{
    printf("4. Speed: ns per alloc + free pair\n\n");
    printf("  One object at a time (hot in cache), median of %d runs of %d pairs:\n\n",
           RUNS, PAIRS);
    printf("    size    pool  malloc  pool is\n");
    size_t sizes[] = {16, 64, 256};
    for (size_t i = 0; i < 3; i++) {
        pool_t p;
        pool_config_t cfg = {.obj_size = sizes[i]};
        if (pool_init(&p, &cfg) != 0)
            exit(1);
        double tp = time_pairs(&p, sizes[i]);
        double tm = time_pairs(NULL, sizes[i]);
        printf("    %4zu  %6.2f  %6.2f  %4.1fx faster\n", sizes[i], tp, tm, tm / tp);
        pool_destroy(&p);
    }
    printf("\n  (make bench runs the full comparison, with jemalloc, mimalloc, tcmalloc\n"
           "   and GSlice; docs/01-pool.md has the table.)\n");
}

int main(void)
{
    printf("slabcraft stage 01: a pool of fixed-size objects\n\n");
    show_usage();
    show_carving();
    show_checked();
    show_speed();
    return 0;
}

/*
 * gen_trace.c - writes the malloc traces shipped in tools/traces/, in the
 * CS:APP malloc-lab format that tools/replay reads.
 *
 * Usage: gen_trace NAME [SEED] > file.rep
 * The same name and seed always give the same file (splitmix64 from
 * tests/support/rng.h, integer arithmetic only).  Each allocation gets a
 * new id, as in the lab's traces; a realloc keeps its id.  The header's
 * suggested heap size is the trace's peak payload.  Workloads:
 *
 *   requests   per-request attributes: 160 requests, each allocating
 *              50-600 objects (half 1-32 B, 40 % 33-256 B, 9 % up to 1 KiB,
 *              1 % up to 16 KiB), 1 in 50 of them a string grown by
 *              realloc, then all freed at once (in random order); 64
 *              requests are open at a time.
 *   steady     a steady state: 20000 live objects of the same skewed sizes;
 *              each of 40000 steps frees a random one and allocates a new
 *              one (random replacement), or 1 in 20 reallocs one instead.
 *   phases     the size mix changes: 30000 objects of 16-64 B, then 90 %
 *              of them freed at random, then 12000 objects of 200-600 B,
 *              then the small survivors freed, then 1500 objects of
 *              1-8 KiB, then everything freed.  Memory that stays in the
 *              wrong class shows here.
 *   grow       string builders: 600 ids grown by realloc from 8 B by x1.5
 *              steps to 64 B - 24 KiB, interleaved with short-lived small
 *              objects, most builders freed once done.
 *   append     one object appended to: allocated at 16 B, grown by realloc
 *              in random steps of 16-64 B up to 128 KiB (about 3300
 *              reallocs), then freed.  The pattern of bench_slabs'
 *              realloc-grow (target T3b), on a smaller scale.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rng.h"

/* ---- deterministic randomness ------------------------------------------- */

static rng_t rng; /* seeded from the command line */

/* Uniform in [0, n). */
static uint64_t below(uint64_t n)
{
    return rng_below(&rng, n);
}

/* Uniform in [lo, hi]. */
static size_t between(size_t lo, size_t hi)
{
    return lo + (size_t)below(hi - lo + 1);
}

/* The skewed mix of small sizes. */
static size_t skewed(void)
{
    uint64_t r = below(100);
    if (r < 50)
        return between(1, 32);
    if (r < 90)
        return between(33, 256);
    if (r < 99)
        return between(257, 1024);
    return between(1025, 16384);
}

/* ---- the trace being built ---------------------------------------------- */

typedef struct op {
    char kind;
    uint32_t id;
    size_t size;
} op_t;

static op_t *ops;          /* operations so far */
static size_t n_ops, cap_ops;
static size_t *live_size;  /* per id: live size, 0 = not live */
static size_t n_ids, cap_ids;
static size_t payload, peak;

static void *grow(void *p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return p;
    size_t c = *cap ? *cap * 2 : 1024;
    while (c < need)
        c *= 2;
    p = realloc(p, c * elem);
    if (p == NULL) {
        fprintf(stderr, "gen_trace: out of memory\n");
        exit(1);
    }
    memset((char *)p + *cap * elem, 0, (c - *cap) * elem);
    *cap = c;
    return p;
}

static void emit(char kind, uint32_t id, size_t size)
{
    ops = grow(ops, &cap_ops, n_ops + 1, sizeof *ops);
    ops[n_ops++] = (op_t){kind, id, size};
}

static uint32_t t_alloc(size_t size)
{
    live_size = grow(live_size, &cap_ids, n_ids + 1, sizeof *live_size);
    uint32_t id = (uint32_t)n_ids++;
    emit('a', id, size);
    live_size[id] = size;
    payload += size;
    if (payload > peak)
        peak = payload;
    return id;
}

static void t_realloc(uint32_t id, size_t size)
{
    emit('r', id, size);
    payload = payload - live_size[id] + size;
    live_size[id] = size;
    if (payload > peak)
        peak = payload;
}

static void t_free(uint32_t id)
{
    emit('f', id, 0);
    payload -= live_size[id];
    live_size[id] = 0;
}

/* Frees ids[0..n) in random order. */
static void free_shuffled(uint32_t *ids, size_t n)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)below(i);
        uint32_t t = ids[i - 1];
        ids[i - 1] = ids[j];
        ids[j] = t;
    }
    for (size_t i = 0; i < n; i++)
        t_free(ids[i]);
}

/* ---- workloads ---------------------------------------------------------- */

#define MAX_OPEN 64

static void gen_requests(void)
{
    static uint32_t ids[MAX_OPEN][600];
    size_t n[MAX_OPEN] = {0};
    for (int req = 0; req < 160; req++) {
        int slot = req % MAX_OPEN;
        free_shuffled(ids[slot], n[slot]);
        n[slot] = between(50, 600);
        for (size_t i = 0; i < n[slot]; i++) {
            ids[slot][i] = t_alloc(skewed());
            if (below(50) == 0) /* a string that grows */
                t_realloc(ids[slot][i], live_size[ids[slot][i]] * 2 + 1);
        }
    }
    for (int slot = 0; slot < MAX_OPEN; slot++)
        free_shuffled(ids[slot], n[slot]);
}

static void gen_steady(void)
{
    enum { LIVE = 20000, STEPS = 40000 };
    static uint32_t ids[LIVE];
    for (size_t i = 0; i < LIVE; i++)
        ids[i] = t_alloc(skewed());
    for (size_t s = 0; s < STEPS; s++) {
        size_t k = (size_t)below(LIVE);
        if (below(20) == 0) {
            t_realloc(ids[k], skewed());
        } else {
            t_free(ids[k]);
            ids[k] = t_alloc(skewed());
        }
    }
    free_shuffled(ids, LIVE);
}

static void gen_phases(void)
{
    enum { SMALL = 30000, MID = 12000, BIG = 1500 };
    static uint32_t small[SMALL], mid[MID], big[BIG], keep[SMALL];
    size_t kept = 0, gone = 0;
    for (size_t i = 0; i < SMALL; i++)
        small[i] = t_alloc(between(16, 64));
    for (size_t i = 0; i < SMALL; i++) { /* 90 % freed, at random */
        if (below(10) == 0)
            keep[kept++] = small[i];
        else
            small[gone++] = small[i];
    }
    free_shuffled(small, gone);
    for (size_t i = 0; i < MID; i++)
        mid[i] = t_alloc(between(200, 600));
    free_shuffled(keep, kept);
    for (size_t i = 0; i < BIG; i++)
        big[i] = t_alloc(between(1024, 8192));
    free_shuffled(mid, MID);
    free_shuffled(big, BIG);
}

static void gen_grow(void)
{
    enum { BUILDERS = 600, OPEN = 40 };
    static uint32_t open[OPEN], done[BUILDERS];
    size_t target[OPEN], n_done = 0, started = 0;
    for (size_t i = 0; i < OPEN; i++) {
        open[i] = t_alloc(8);
        target[i] = between(64, 24576);
        started++;
    }
    while (started < BUILDERS + OPEN) {
        size_t k = (size_t)below(OPEN);
        size_t now = live_size[open[k]];
        if (now < target[k]) {
            t_realloc(open[k], now + now / 2 + 1);
        } else { /* done: keep 1 in 4, start another */
            if (below(4) == 0)
                done[n_done++] = open[k];
            else
                t_free(open[k]);
            open[k] = t_alloc(8);
            target[k] = between(64, 24576);
            started++;
        }
        if (below(3) == 0) /* a short-lived small object */
            t_free(t_alloc(skewed()));
    }
    free_shuffled(open, OPEN);
    free_shuffled(done, n_done);
}

static void gen_append(void)
{
    enum { FIRST = 16, STEP_MIN = 16, STEP_MAX = 64, LIMIT = 128 * 1024 };
    uint32_t id = t_alloc(FIRST);
    while (live_size[id] < LIMIT) {
        size_t next = live_size[id] + STEP_MIN + (size_t)below(STEP_MAX - STEP_MIN + 1);
        t_realloc(id, next < LIMIT ? next : LIMIT);
    }
    t_free(id);
}

static const struct workload {
    const char *name;
    void (*gen)(void);
} workloads[] = {
    {"requests", gen_requests},
    {"steady", gen_steady},
    {"phases", gen_phases},
    {"grow", gen_grow},
    {"append", gen_append},
};

int main(int argc, char **argv)
{
    const struct workload *w = NULL;
    for (size_t i = 0; argc >= 2 && i < sizeof workloads / sizeof workloads[0]; i++)
        if (strcmp(argv[1], workloads[i].name) == 0)
            w = &workloads[i];
    if (w == NULL || argc > 3) {
        fprintf(stderr, "usage: gen_trace requests|steady|phases|grow|append [SEED] > file.rep\n");
        return 2;
    }
    rng.state = argc == 3 ? strtoull(argv[2], NULL, 0) : 1;
    w->gen();
    printf("%zu\n%zu\n%zu\n1\n", peak, n_ids, n_ops);
    for (size_t i = 0; i < n_ops; i++) {
        if (ops[i].kind == 'f')
            printf("f %u\n", (unsigned)ops[i].id);
        else
            printf("%c %u %zu\n", ops[i].kind, (unsigned)ops[i].id, ops[i].size);
    }
    free(ops);
    free(live_size);
    return 0;
}

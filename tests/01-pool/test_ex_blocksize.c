/*
 * test_ex_blocksize.c - stage 01, exercise 01-blocksize: choosing a pool's
 * block size for the fewest bytes per object, scored by pool_stats().
 *
 * choose_block_size() is exercises/01-blocksize/blocksize.c in the
 * exercise's build (`make exercise EX=01-blocksize`), else the reference
 * below.  For each workload (object size, alignment, flags, and how many
 * objects will be live at once) the test builds a pool with the chosen
 * block size, allocates that many objects, and reads bytes_from_source from
 * pool_stats().  The best any power of two can do is found by trying them
 * all (pool_init() acquires nothing, and a pool that never frees holds
 * ceil(n / per_block) blocks).  Efficiency = best bytes / your bytes must
 * reach BLOCKSIZE_TARGET on every workload.
 *
 * Deterministic: bytes, not time.  With SC_SCORE set in the environment
 * (`make exercise` sets it) the test prints every workload and the score.
 */
#include <check.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "failing_source.h"
#include "pool.h"

/* Bytes a pool made with cfg and block size bs holds for n live objects;
 * 0 if pool_init() refuses bs.  Nothing is acquired: the layout says it. */
static size_t bytes_for(pool_config_t cfg, size_t bs, size_t n)
{
    pool_t p;
    cfg.block_size = bs;
    if (pool_init(&p, &cfg) != 0)
        return 0;
    size_t blocks = (n + p.per_block - 1) / p.per_block;
    pool_destroy(&p);
    return blocks > SIZE_MAX / bs ? 0 : blocks * bs;
}

#define BLOCKSIZE_MIN ((size_t)4096) /* a page: the smallest block allowed */

/* The power of two from BLOCKSIZE_MIN to 2^30 for which bytes_for() is
 * least (the smallest of equals). */
static size_t best_block_size(const pool_config_t *cfg, size_t n)
{
    size_t best = 0, best_bytes = SIZE_MAX;
    for (size_t bs = BLOCKSIZE_MIN; bs <= ((size_t)1 << 30); bs *= 2) {
        size_t b = bytes_for(*cfg, bs, n);
        if (b != 0 && b < best_bytes)
            best = bs, best_bytes = b;
    }
    return best;
}

#ifdef SC_EX_01_BLOCKSIZE
#include "01-blocksize/blocksize.c"
#else
/* The reference: try every power of two and keep the cheapest.  (The
 * scorer's own search; a closed form from the layout in pool.h is just as
 * good, and harder to get right.) */
static size_t choose_block_size(const pool_config_t *cfg, size_t n)
{
    return best_block_size(cfg, n);
}
#endif

#define BLOCKSIZE_TARGET 0.98 /* best bytes / your bytes, every workload */

typedef struct workload {
    size_t obj_size, align, n; /* objects of obj_size, align (0 = default), n live at once */
    unsigned flags;            /* POOL_CHECKED or 0 */
    const char *what;          /* what it models */
} workload_t;

static const workload_t workloads[] = {
    {24, 0, 10, 0, "a handful of list nodes"},
    {48, 0, 1000, 0, "a thousand small records"},
    {48, 0, 100000, 0, "many small records"},
    {200, 0, 3000, 0, "medium objects"},
    {640, 0, 7, 0, "a few medium objects"},
    {3000, 0, 100, 0, "big objects, tail matters"},
    {4100, 0, 64, 0, "just over a page each"},
    {100, 64, 2000, 0, "cache-line aligned objects"},
    {16, 0, 300000, POOL_CHECKED, "tiny objects, checked (bitmap per block)"},
    {5000, 0, 40, POOL_CHECKED, "a few big objects, checked"},
};
#define N_WORKLOADS (sizeof workloads / sizeof workloads[0])

/* Bytes from the source after allocating w->n objects with block size bs
 * (0 = the pool's default), and in *used the block size the pool used;
 * fails the test if the pool refuses. */
static size_t measure(const workload_t *w, size_t bs, size_t *used)
{
    pool_config_t cfg = {.obj_size = w->obj_size, .align = w->align, .block_size = bs,
                         .flags = w->flags};
    pool_t p;
    ck_assert_msg(pool_init(&p, &cfg) == 0, "pool_init() refuses block size %zu for %zu-byte "
                  "objects (it must be a power of two that holds one object)", bs, w->obj_size);
    for (size_t i = 0; i < w->n; i++) {
        unsigned char *o = pool_alloc(&p);
        ck_assert_msg(o != NULL, "pool_alloc() failed after %zu objects with block size %zu",
                      i, bs);
        o[0] = 1;
    }
    pool_stats_t st;
    pool_stats(&p, &st);
    *used = p.block_size;
    pool_destroy(&p);
    return st.bytes_from_source;
}

START_TEST(block_size_is_nearly_the_best_on_every_workload)
{
    bool show = getenv("SC_SCORE") != NULL;
    double worst = 2.0;
    size_t at = 0, at_bs = 0, at_mine = 0, at_best_bs = 0, at_best = 0;
    if (show)
        printf("bytes from the source per object, your block size against the best power of two\n"
               "  %6s %5s %7s %7s | %9s %9s | %9s %9s | %6s\n", "object", "align", "checked",
               "n", "block", "bytes/obj", "best", "bytes/obj", "score");
    for (size_t i = 0; i < N_WORKLOADS; i++) {
        const workload_t *w = &workloads[i];
        failing_source_t fs; /* counts what choose_block_size() acquires: nothing */
        failing_source_init(&fs, NULL);
        pool_config_t cfg = {.obj_size = w->obj_size, .align = w->align, .flags = w->flags,
                             .source = &fs.base};
        size_t bs = choose_block_size(&cfg, w->n);
        ck_assert_msg(fs.acquisitions == 0, "%s: choose_block_size() took %zu blocks from the "
                      "source; it may only look at the layout", w->what, fs.acquisitions);
        ck_assert_msg(bs == 0 || bs >= BLOCKSIZE_MIN, "%s: block size %zu is below the "
                      "smallest allowed, %zu", w->what, bs, BLOCKSIZE_MIN);
        size_t mine = measure(w, bs, &bs);
        size_t best_bs = best_block_size(&cfg, w->n);
        size_t best = bytes_for(cfg, best_bs, w->n);
        double eff = (double)best / (double)mine;
        if (eff < worst)
            worst = eff, at = i, at_bs = bs, at_mine = mine, at_best_bs = best_bs, at_best = best;
        if (show)
            printf("  %6zu %5zu %7s %7zu | %9zu %9.1f | %9zu %9.1f | %6.3f%s\n", w->obj_size,
                   w->align, w->flags ? "yes" : "no", w->n, bs, (double)mine / (double)w->n,
                   best_bs, (double)best / (double)w->n, eff,
                   eff >= BLOCKSIZE_TARGET ? "" : "  below the target");
    }
    if (show)
        printf("score: %.3f, the lowest (%s); target %.2f on every workload: %s\n", worst,
               workloads[at].what, BLOCKSIZE_TARGET,
               worst >= BLOCKSIZE_TARGET ? "reached" : "not yet");
    ck_assert_msg(worst >= BLOCKSIZE_TARGET, "%s (%zu objects of %zu bytes): block size %zu "
                  "takes %zu bytes, block size %zu only %zu (score %.3f, target %.2f)",
                  workloads[at].what, workloads[at].n, workloads[at].obj_size, at_bs, at_mine,
                  at_best_bs, at_best, worst, BLOCKSIZE_TARGET);
}
END_TEST

Suite *pool_ex_blocksize_suite(void)
{
    Suite *s = suite_create("pool-ex-blocksize");
    TCase *tc = tcase_create("blocksize");
    tcase_set_tags(tc, "core 01-blocksize");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, block_size_is_nearly_the_best_on_every_workload);
    suite_add_tcase(s, tc);
    return s;
}

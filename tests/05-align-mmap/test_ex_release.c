/*
 * test_ex_release.c - stage 05, exercise 05-release: give_back_oldest()
 * and decay(), the policy that decides when empty pages go back to the
 * kernel; checked for its rules and scored by the system calls it makes
 * and the memory it leaves resident.
 *
 * The source runs on real mmap() and munmap(), but its madvise() goes to
 * the test, which makes no real call: it checks each one and keeps a model
 * of what is resident.  In the model a base page becomes resident when an
 * extent that covers it is handed out (its user writes it) and stops being
 * resident when an madvise(MADV_DONTNEED or MADV_FREE) covers it.  No
 * memory is touched, so every figure is a count: the same on every machine
 * and every run.
 *
 * The rules, checked at every call (release_rules, release_advise_fails,
 * release_runs_whole, release_oldest_first, and every workload of the
 * score):
 *  - memory goes back in whole 2 MiB pages (a huge page is never split),
 *    inside a region, and no extent handed out is in it, not even the one
 *    an acquisition is about to return;
 *  - with the advice of the release policy: MADV_DONTNEED, MADV_FREE, or
 *    none at all for VMEM_RELEASE_KEEP;
 *  - stats.committed is exactly the bytes handed out, stats.released
 *    exactly the bytes of the madvise() calls that succeeded;
 *  - once everything is released, at most VMEM_KEEP_PAGES pages stay
 *    resident (the model says which);
 *  - the oldest waiting page goes first (release_oldest_first).
 *
 * The score: four workloads on a 256 MiB region, release MADV_DONTNEED,
 * each compared with the least a policy can do, or with what vmem.h
 * promises where the least would cost something else:
 *   cycle   one 16 KiB extent acquired and released 100 000 times, alone
 *           in its page: madvise() calls, least 0 (the page is wanted
 *           again at once);
 *   trim    64 pages of 16 KiB extents acquired, then all released in a
 *           shuffled order: pages left resident, allowed VMEM_KEEP_PAGES;
 *           and madvise() calls, allowed one per page given back;
 *   idle    3 pages of 16 KiB extents released, then a 64 KiB extent
 *           acquired and released VMEM_DECAY_OPS times: the idle pages
 *           still resident, least 0 (they waited past VMEM_DECAY_OPS);
 *   burst   8 pages of 16 KiB extents acquired and released, 50 times:
 *           madvise() calls, least 50 * (8 - VMEM_KEEP_PAGES) for a policy
 *           that keeps no more than VMEM_KEEP_PAGES pages waiting.
 * Each figure scores min(1, (allowed + 1) / (yours + 1)); the exercise's
 * score is the lowest, and must reach RELEASE_TARGET.  With SC_SCORE set
 * in the environment (`make exercise` sets it) the scoring test prints a
 * line per figure and the score.
 */
#define _DEFAULT_SOURCE
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "align.h"
#include "require.h"
#include "rng.h"
#include "vmem_internal.h"

#define HP VMEM_HUGE_PAGE
#define BP VMEM_BASE_PAGE
#define MiB ((size_t)1 << 20)
#define RESERVE (256 * MiB)
#define RELEASE_TARGET 0.95 /* on every figure; the README says why */
#define OP_ADVICES 64       /* advice calls remembered per acquisition or release */

typedef struct extent {
    char *p;
    size_t size;
} extent_t;

/* ---- the watched source ------------------------------------------------------- */

static struct watch {
    vmem_t v;
    const page_source_t *src;
    int advice;              /* the advice the policy gives back with; -1: none (KEEP) */
    bool fail;               /* the advice calls fail */
    size_t calls;            /* MADV_DONTNEED and MADV_FREE calls */
    size_t advised;          /* bytes of those that succeeded */
    char problem[320];       /* the first rule broken; "" = none */
    extent_t *live;          /* extents handed out */
    size_t n_live, cap_live, live_bytes;
    char *base;              /* the region the model covers */
    size_t len;
    unsigned char *res;      /* per base page of it: 1 = resident */
    size_t resident;         /* base pages resident */
    extent_t op[OP_ADVICES]; /* what the current call advised */
    size_t n_op;
} w;

#define BROKEN(...)                                                            \
    do {                                                                       \
        if (w.problem[0] == '\0')                                              \
            snprintf(w.problem, sizeof w.problem, __VA_ARGS__);                \
    } while (0)

static void *watch_map(size_t len, int prot)
{
    return vmem_os_real.map(len, prot);
}

static int watch_unmap(void *addr, size_t len)
{
    return vmem_os_real.unmap(addr, len);
}

static int watch_advise(void *addr, size_t len, int advice)
{
    if (advice != MADV_DONTNEED && advice != MADV_FREE)
        return 0; /* MADV_HUGEPAGE, MADV_NOHUGEPAGE of a new region */
    char *a = addr;
    w.calls++;
    if (w.advice < 0)
        BROKEN("madvise(%p, %zu KiB) gave memory back under VMEM_RELEASE_KEEP", addr, len >> 10);
    else if (advice != w.advice)
        BROKEN("madvise(%p, %zu KiB, %s) under a policy that gives back with %s", addr, len >> 10,
               advice == MADV_FREE ? "MADV_FREE" : "MADV_DONTNEED",
               w.advice == MADV_FREE ? "MADV_FREE" : "MADV_DONTNEED");
    if (!align_ptr_is(a, HP) || len == 0 || len % HP)
        BROKEN("madvise(%p, %zu KiB) is not whole 2 MiB pages: it splits a huge page", addr,
               len >> 10);
    if (a < w.base || a + len > w.base + w.len || a + len < a)
        BROKEN("madvise(%p, %zu KiB) is not inside the region [%p, %p)", addr, len >> 10,
               (void *)w.base, (void *)(w.base + w.len));
    for (size_t i = 0; i < w.n_live; i++)
        if (w.live[i].p < a + len && a < w.live[i].p + w.live[i].size) {
            BROKEN("madvise(%p, %zu KiB) gave back the extent at %p (%zu KiB), which is in use",
                   addr, len >> 10, (void *)w.live[i].p, w.live[i].size >> 10);
            break;
        }
    if (w.n_op < OP_ADVICES)
        w.op[w.n_op++] = (extent_t){a, len};
    if (w.fail)
        return -1;
    w.advised += len;
    if (a >= w.base && a + len <= w.base + w.len)
        for (size_t k = (size_t)(a - w.base) / BP; k < (size_t)(a + len - w.base) / BP; k++)
            if (w.res[k])
                w.res[k] = 0, w.resident--;
    return 0;
}

static const vmem_os_t watch_os = {.map = watch_map, .unmap = watch_unmap, .advise = watch_advise};

static void watch_start(enum vmem_release release)
{
    memset(&w, 0, sizeof w);
    w.advice = release == VMEM_RELEASE_DONTNEED ? MADV_DONTNEED
               : release == VMEM_RELEASE_FREE   ? MADV_FREE
                                                : -1;
    vmem_config_t cfg = {.reserve = RESERVE, .huge = VMEM_HUGE_OFF, .release = release, .os = &watch_os};
    ck_assert_int_eq(vmem_init(&w.v, &cfg), 0);
    w.src = vmem_source(&w.v);
    w.base = w.v.regions->base;
    w.len = w.v.regions->len;
    w.res = calloc(w.len / BP, 1);
    w.cap_live = 1024;
    w.live = malloc(w.cap_live * sizeof *w.live);
    ck_assert(w.res && w.live);
}

static void watch_stop(void)
{
    vmem_destroy(&w.v);
    free(w.res);
    free(w.live);
    memset(&w, 0, sizeof w);
}

/* The counters must say exactly what the test saw. */
static void check_counters(const char *after)
{
    REQUIRE(w.problem[0] == '\0', "after %s: %s", after, w.problem);
    REQUIRE(w.v.st.committed == w.live_bytes, "after %s: stats.committed is %zu, but %zu bytes "
            "are handed out", after, w.v.st.committed, w.live_bytes);
    REQUIRE(w.v.st.released == w.advised, "after %s: stats.released is %zu, but the madvise() "
            "calls that succeeded gave back %zu bytes", after, w.v.st.released, w.advised);
    REQUIRE(w.v.st.regions == 1, "after %s: a second region; the workload fits one", after);
}

/* Acquires an extent of size bytes; returns its index among the live ones. */
static size_t get(size_t size)
{
    w.n_op = 0;
    char *p = w.src->acquire(w.src->ctx, size, BP);
    REQUIRE(p != NULL, "acquire(%zu KiB) failed", size >> 10);
    for (size_t i = 0; i < w.n_op; i++)
        REQUIRE(!(w.op[i].p < p + size && p < w.op[i].p + w.op[i].size), "acquire(%zu KiB) "
                "returned %p, which it had just given back to the kernel (madvise(%p, %zu KiB))",
                size >> 10, (void *)p, (void *)w.op[i].p, w.op[i].size >> 10);
    REQUIRE(p >= w.base && p + size <= w.base + w.len, "acquire(%zu KiB) returned %p, outside "
            "the region", size >> 10, (void *)p);
    if (w.n_live == w.cap_live) {
        w.cap_live *= 2;
        w.live = realloc(w.live, w.cap_live * sizeof *w.live);
        ck_assert(w.live);
    }
    w.live[w.n_live] = (extent_t){p, size};
    w.live_bytes += size;
    for (size_t k = (size_t)(p - w.base) / BP; k < (size_t)(p + size - w.base + BP - 1) / BP; k++)
        if (!w.res[k])
            w.res[k] = 1, w.resident++;
    check_counters("an acquisition");
    return w.n_live++;
}

/* Releases live extent i (the last one takes its index). */
static void put(size_t i)
{
    extent_t e = w.live[i];
    w.live[i] = w.live[--w.n_live]; /* out of the live set before the call */
    w.live_bytes -= e.size;
    w.n_op = 0;
    w.src->release(w.src->ctx, e.p, e.size);
    check_counters("a release");
}

static void put_all(uint64_t seed)
{
    rng_t r = {seed};
    while (w.n_live > 0)
        put((size_t)rng_below(&r, w.n_live));
}

/* Base pages resident and not handed out, in 2 MiB pages, rounded up. */
static size_t waiting_pages(void)
{
    size_t live_pages = 0;
    for (size_t i = 0; i < w.n_live; i++)
        live_pages += (w.live[i].size + BP - 1) / BP;
    return ((w.resident - live_pages) * BP + HP - 1) / HP;
}

/* ---- the rules -------------------------------------------------------------------- */

/* A random mix of small extents (4 KiB .. 1 MiB) and runs (to 6 MiB), at
 * most 48 MiB handed out at once. */
static void random_work(size_t ops, uint64_t seed)
{
    rng_t r = {seed};
    for (size_t i = 0; i < ops; i++) {
        if (w.n_live > 0 && (rng_below(&r, 2) || w.live_bytes > 48 * MiB)) {
            put((size_t)rng_below(&r, w.n_live));
            continue;
        }
        size_t size = rng_below(&r, 10) < 8 ? BP * (1 + (size_t)rng_below(&r, 256))
                                             : MiB + 1 + (size_t)rng_below(&r, 5 * MiB);
        get(size);
    }
}

static const enum vmem_release policies[] = {VMEM_RELEASE_DONTNEED, VMEM_RELEASE_FREE, VMEM_RELEASE_KEEP};
static const char *const policy_names[] = {"VMEM_RELEASE_DONTNEED", "VMEM_RELEASE_FREE", "VMEM_RELEASE_KEEP"};

START_TEST(release_rules)
{
    watch_start(policies[_i]);
    random_work(20000, 0x243f6a8885a308d3u + (uint64_t)_i);
    put_all(0x13198a2e03707344u);
    if (policies[_i] == VMEM_RELEASE_KEEP) {
        ck_assert_msg(w.calls == 0 && w.v.st.released == 0, "VMEM_RELEASE_KEEP: %zu madvise() "
                      "calls gave back %zu bytes", w.calls, w.v.st.released);
    } else {
        ck_assert_msg(w.calls > 0, "%s: nothing was ever given back", policy_names[_i]);
        size_t left = waiting_pages();
        ck_assert_msg(left <= VMEM_KEEP_PAGES, "%s: with everything released, %zu pages stay "
                      "resident; at most VMEM_KEEP_PAGES = %d may wait", policy_names[_i], left,
                      VMEM_KEEP_PAGES);
    }
    watch_stop();
}
END_TEST

/* madvise() fails: nothing counts as released, nothing is lost, and the
 * pages it could not give back are used again. */
START_TEST(release_advise_fails)
{
    watch_start(VMEM_RELEASE_DONTNEED);
    w.fail = true;
    random_work(5000, 0xa4093822299f31d0u);
    put_all(0x082efa98ec4e6c89u);
    ck_assert_msg(w.calls > 0, "the workload gave nothing back: the test needs it to try");
    ck_assert_uint_eq(w.v.st.released, 0);
    w.fail = false;
    random_work(5000, 0x452821e638d01377u);
    put_all(0xbe5466cf34e90c6cu);
    watch_stop();
}
END_TEST

/* A freed run goes back in one call for all its pages. */
START_TEST(release_runs_whole)
{
    watch_start(VMEM_RELEASE_DONTNEED);
    for (size_t i = 0; i < 6; i++)
        get(6 * MiB);
    put_all(0xc0ac29b7c97c50ddu);
    ck_assert_msg(w.advised >= 5 * 6 * MiB, "6 runs of 3 pages released, but only %zu MiB given "
                  "back: at most VMEM_KEEP_PAGES = %d pages may wait", w.advised / MiB,
                  VMEM_KEEP_PAGES);
    ck_assert_msg(w.advised % (6 * MiB) == 0 && w.calls <= w.advised / (6 * MiB),
                  "runs of 6 MiB gave back %zu MiB in %zu calls: one call per run, all of it",
                  w.advised / MiB, w.calls);
    ck_assert_uint_le(waiting_pages(), VMEM_KEEP_PAGES);
    watch_stop();
}
END_TEST

/* The oldest empty page goes first: six pages emptied one after the other,
 * the fifth and the sixth push out the first and the second. */
START_TEST(release_oldest_first)
{
    watch_start(VMEM_RELEASE_DONTNEED);
    const size_t per_page = HP / (16 << 10);
    char *page[6];
    for (size_t i = 0; i < 6 * per_page; i++) {
        size_t k = get(16 << 10);
        if (i % per_page == 0)
            page[i / per_page] = align_ptr_down(w.live[k].p, HP);
    }
    for (size_t j = 0; j < 6; j++) {
        size_t c0 = w.calls;
        for (size_t i = w.n_live; i-- > 0;) /* every extent of page j, and no other */
            if (align_ptr_down(w.live[i].p, HP) == page[j])
                put(i);
        size_t gave = w.calls - c0;
        if (j < VMEM_KEEP_PAGES) {
            ck_assert_msg(gave == 0, "page %zu emptied with %zu pages waiting before it: it gave "
                          "%zu pages back, yet VMEM_KEEP_PAGES = %d may wait", j, j, gave,
                          VMEM_KEEP_PAGES);
            continue;
        }
        char *oldest = page[j - VMEM_KEEP_PAGES];
        ck_assert_msg(gave == 1 && w.n_op == 1 && w.op[0].p == oldest && w.op[0].size == HP,
                      "page %zu emptied, the %zuth to wait: the oldest, page %zu at %p, should "
                      "have gone back, alone (calls made: %zu; the first for %p)", j, j + 1,
                      j - VMEM_KEEP_PAGES, (void *)oldest, gave,
                      w.n_op ? (void *)w.op[0].p : NULL);
    }
    watch_stop();
}
END_TEST

/* ---- the score ---------------------------------------------------------------------- */

typedef struct figure {
    const char *workload, *what;
    size_t allowed, yours;
} figure_t;

static double figure_score(const figure_t *f)
{
    double s = (double)(f->allowed + 1) / (double)(f->yours + 1);
    return s > 1.0 ? 1.0 : s;
}

static void workload_cycle(figure_t *out)
{
    watch_start(VMEM_RELEASE_DONTNEED);
    size_t c0 = w.calls;
    for (size_t i = 0; i < 100000; i++)
        put(get(16 << 10));
    out[0] = (figure_t){"cycle", "madvise() calls", 0, w.calls - c0};
    watch_stop();
}

static void workload_trim(figure_t *out)
{
    watch_start(VMEM_RELEASE_DONTNEED);
    for (size_t i = 0; i < 64 * (HP / (16 << 10)); i++)
        get(16 << 10);
    size_t c0 = w.calls, a0 = w.advised;
    put_all(0x3f84d5b5b5470917u);
    out[0] = (figure_t){"trim", "pages left resident", VMEM_KEEP_PAGES, waiting_pages()};
    out[1] = (figure_t){"trim", "madvise() calls", (w.advised - a0) / HP, w.calls - c0};
    watch_stop();
}

static void workload_idle(figure_t *out)
{
    watch_start(VMEM_RELEASE_DONTNEED);
    for (size_t i = 0; i < 3 * (HP / (16 << 10)); i++)
        get(16 << 10);
    put_all(0x9216d5d98979fb1bu);
    char *cycler = NULL;
    for (size_t i = 0; i < VMEM_DECAY_OPS; i++) {
        size_t k = get(64 << 10);
        cycler = w.live[k].p;
        put(k);
    }
    /* the cycler's page may wait: it was emptied a moment ago */
    char *page = align_ptr_down(cycler, HP);
    size_t mine = 0;
    for (size_t k = (size_t)(page - w.base) / BP; k < (size_t)(page + HP - w.base) / BP; k++)
        mine += w.res[k];
    size_t idle = ((w.resident - mine) * BP + HP - 1) / HP;
    out[0] = (figure_t){"idle", "idle pages left resident", 0, idle};
    watch_stop();
}

static void workload_burst(figure_t *out)
{
    watch_start(VMEM_RELEASE_DONTNEED);
    for (size_t b = 0; b < 50; b++) {
        for (size_t i = 0; i < 8 * (HP / (16 << 10)); i++)
            get(16 << 10);
        put_all(0xd1310ba698dfb5acu + b);
    }
    out[0] = (figure_t){"burst", "madvise() calls", 50 * (8 - VMEM_KEEP_PAGES), w.calls};
    watch_stop();
}

static const struct {
    const char *name;
    void (*run)(figure_t *);
    size_t figures;
} workloads[] = {
    {"cycle", workload_cycle, 1},
    {"trim", workload_trim, 2},
    {"idle", workload_idle, 1},
    {"burst", workload_burst, 1},
};
#define N_WORKLOADS (sizeof workloads / sizeof workloads[0])

START_TEST(release_score)
{
    bool show = getenv("SC_SCORE") != NULL;
    double worst = 2.0;
    figure_t at = {0};
    if (show)
        printf("what the policy costs: the least a policy can do (or what vmem.h allows), and yours\n"
               "  %-8s %-25s %8s %8s %7s\n", "workload", "figure", "allowed", "yours", "score");
    for (size_t i = 0; i < N_WORKLOADS; i++) {
        figure_t f[2];
        workloads[i].run(f);
        for (size_t j = 0; j < workloads[i].figures; j++) {
            double s = figure_score(&f[j]);
            if (s < worst)
                worst = s, at = f[j];
            if (show)
                printf("  %-8s %-25s %8zu %8zu %7.3f  %s\n", f[j].workload, f[j].what,
                       f[j].allowed, f[j].yours, s, s >= RELEASE_TARGET ? "ok" : "below the target");
        }
    }
    if (show)
        printf("score: %.3f, the lowest (%s, %s); target %.2f on every figure: %s\n", worst,
               at.workload, at.what, RELEASE_TARGET, worst >= RELEASE_TARGET ? "reached" : "not yet");
    ck_assert_msg(worst >= RELEASE_TARGET, "%s scores %.3f, below the target %.2f: %zu %s where "
                  "%zu would do", at.workload, worst, RELEASE_TARGET, at.yours, at.what, at.allowed);
}
END_TEST

Suite *vmem_ex_release_suite(void)
{
    Suite *s = suite_create("vmem-ex-release");
    TCase *tc = tcase_create("release");
    tcase_set_tags(tc, "core 05-release");
    tcase_set_timeout(tc, 300); /* a policy that gives back every page at once is slow under Valgrind */
    tcase_add_loop_test(tc, release_rules, 0, 3);
    tcase_add_test(tc, release_advise_fails);
    tcase_add_test(tc, release_runs_whole);
    tcase_add_test(tc, release_oldest_first);
    tcase_add_test(tc, release_score);
    suite_add_tcase(s, tc);
    return s;
}

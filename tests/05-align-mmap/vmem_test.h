/*
 * vmem_test.h - helpers shared by the stage 05 suites (header only, so that
 * every test file still defines exactly one suite).
 *
 *  - vt_config(): a configuration with a small reservation (64 MiB), so a
 *    test that makes regions does not reserve gigabytes;
 *  - vt_os_calls() and vt_os: system calls that count every call by kind, record the bytes
 *    given back, and fail on demand (the Nth map, unmap or advise call, or
 *    every one from the Nth on, optionally only for one advice);
 *  - vt_mapped(): how many bytes of a range /proc/self/maps still lists;
 *  - vt_fill() / vt_damage() / VT_VERIFY: content stamps for an extent or
 *    an object, so an overlap or a stray write shows;
 *  - vt_thp_usable(): whether the kernel backs a madvised range with huge
 *    pages (enabled = always or madvise, defrag not never), and why not;
 *  - small wrappers: vt_stats(), vt_residency(), vt_acquire(), vt_release().
 *
 * vt_os is one set of counters per test file (the vmem_os_t functions take
 * no context): vt_os_reset() before each use.
 */
#ifndef SLABCRAFT_VMEM_TEST_H
#define SLABCRAFT_VMEM_TEST_H

#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE /* MADV_FREE, MADV_HUGEPAGE: include this header first */
#endif
#include <check.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "require.h"
#include "rng.h"
#include "vmem.h"

/* Comparisons for hot loops, in the manner of REQUIRE (require.h); each
 * operand is evaluated once. */
#define VT_CMP(a, op, b)                                                        \
    do {                                                                        \
        uintmax_t vt_a_ = (uintmax_t)(a), vt_b_ = (uintmax_t)(b);               \
        REQUIRE(vt_a_ op vt_b_, "assertion %s %s %s failed: %ju, %ju",          \
                #a, #op, #b, vt_a_, vt_b_);                                     \
    } while (0)
#define VT_EQ(a, b) VT_CMP(a, ==, b)

#define VT_MIB ((size_t)1 << 20)
/* The reservation of vt_config(): 32 pages of 2 MiB. */
#define VT_RESERVE (64 * VT_MIB)

/* ---- configuration -------------------------------------------------------- */

/* A configuration with a 64 MiB reservation, the given huge-page and
 * release policies, and the real system calls. */
static inline vmem_config_t vt_config(enum vmem_huge huge, enum vmem_release release)
{
    return (vmem_config_t){.reserve = VT_RESERVE, .huge = huge, .release = release};
}

/* vmem_init(v, cfg) asserted 0. */
static inline void vt_init(vmem_t *v, vmem_config_t cfg)
{
    int rc = vmem_init(v, &cfg);
    ck_assert_msg(rc == 0, "vmem_init failed: %d (%s)", rc, strerror(-rc));
}

static inline vmem_stats_t vt_stats(const vmem_t *v)
{
    vmem_stats_t st;
    vmem_stats(v, &st);
    return st;
}

/* vmem_residency() asserted 0. */
static inline vmem_residency_t vt_residency(const vmem_t *v)
{
    vmem_residency_t r;
    int rc = vmem_residency(v, &r);
    ck_assert_msg(rc == 0, "vmem_residency failed: %d", rc);
    return r;
}

/* An extent from v's page source, asserted non-NULL. */
static inline void *vt_acquire(vmem_t *v, size_t size, size_t align)
{
    const page_source_t *src = vmem_source(v);
    void *p = src->acquire(src->ctx, size, align);
    REQUIRE(p != NULL, "acquire(%zu, %zu) failed, errno %d", size, align, errno);
    return p;
}

static inline void vt_release(vmem_t *v, void *p, size_t size)
{
    const page_source_t *src = vmem_source(v);
    src->release(src->ctx, p, size);
}

/* ---- counting, failing system calls --------------------------------------- */

/* One kind of call: how many were made, and which fail.  Call number k
 * (from 1) fails when fail_at != 0, k >= fail_at and (fail_count == 0 or
 * k < fail_at + fail_count): fail_at = N, fail_count = 1 fails the Nth call
 * only; fail_count = 0 fails every call from the Nth on. */
typedef struct vt_call {
    size_t calls;      /* calls made (failed ones included) */
    size_t failures;   /* calls refused */
    size_t fail_at;    /* first call to refuse; 0 = none */
    size_t fail_count; /* calls refused from fail_at on; 0 = all */
} vt_call_t;

typedef struct vt_os_state {
    vt_call_t map, unmap, advise;
    int fail_advice;     /* refuse only advise calls with this advice; -1 = any (vt_os_reset) */
    size_t hugepage;     /* MADV_HUGEPAGE calls */
    size_t nohugepage;   /* MADV_NOHUGEPAGE calls */
    size_t dontneed;     /* MADV_DONTNEED calls */
    size_t free_;        /* MADV_FREE calls */
    size_t given_back;   /* bytes of successful MADV_DONTNEED and MADV_FREE calls */
    size_t mapped;       /* bytes of successful map calls minus bytes of successful unmap calls */
} vt_os_state_t;

/* The counters of this test file's calls. */
static inline vt_os_state_t *vt_os_state(void)
{
    static vt_os_state_t state;
    return &state;
}
#define vt_os (*vt_os_state())

/* Zeroes the counters; nothing fails. */
static inline void vt_os_reset(void)
{
    memset(&vt_os, 0, sizeof vt_os);
    vt_os.fail_advice = -1;
}

/* Counts a call of kind c; true if it is to be refused. */
static inline bool vt_call_fails(vt_call_t *c)
{
    size_t k = ++c->calls;
    bool fail = c->fail_at && k >= c->fail_at && (c->fail_count == 0 || k < c->fail_at + c->fail_count);
    c->failures += fail;
    return fail;
}

static inline void *vt_map(size_t len, int prot)
{
    if (vt_call_fails(&vt_os.map))
        return NULL;
    void *p = mmap(NULL, len, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    vt_os.mapped += len;
    return p;
}

/* A refused unmap leaves the mapping in place, as a failing munmap would. */
static inline int vt_unmap(void *addr, size_t len)
{
    if (vt_call_fails(&vt_os.unmap)) {
        errno = EINVAL;
        return -1;
    }
    int rc = munmap(addr, len);
    if (rc == 0)
        vt_os.mapped -= len;
    return rc;
}

static inline int vt_advise(void *addr, size_t len, int advice)
{
    vt_os.hugepage += advice == MADV_HUGEPAGE;
    vt_os.nohugepage += advice == MADV_NOHUGEPAGE;
    vt_os.dontneed += advice == MADV_DONTNEED;
    vt_os.free_ += advice == MADV_FREE;
    bool refuse = vt_call_fails(&vt_os.advise);
    if (refuse && vt_os.fail_advice >= 0 && advice != vt_os.fail_advice) {
        vt_os.advise.failures--; /* not the advice being refused */
        refuse = false;
    }
    if (refuse) {
        errno = EINVAL;
        return -1;
    }
    int rc = madvise(addr, len, advice);
    if (rc == 0 && (advice == MADV_DONTNEED || advice == MADV_FREE))
        vt_os.given_back += len;
    return rc;
}

/* The counting system calls, for vmem_config_t.os. */
static inline const vmem_os_t *vt_os_calls(void)
{
    static const vmem_os_t os = {.map = vt_map, .unmap = vt_unmap, .advise = vt_advise};
    return &os;
}

/* vt_config() on the counting system calls, their counters reset. */
static inline vmem_config_t vt_config_counted(enum vmem_huge huge, enum vmem_release release)
{
    vt_os_reset();
    vmem_config_t cfg = vt_config(huge, release);
    cfg.os = vt_os_calls();
    return cfg;
}

/* All calls made through vt_os_calls. */
static inline size_t vt_os_calls_made(void)
{
    return vt_os.map.calls + vt_os.unmap.calls + vt_os.advise.calls;
}

/* ---- /proc/self/maps ------------------------------------------------------ */

/* Bytes of [addr, addr + len) that /proc/self/maps lists as mapped, or
 * (size_t)-1 if it cannot be read.  0 once a region is unmapped (unless
 * something else was mapped there since). */
static inline size_t vt_mapped(const void *addr, size_t len)
{
    FILE *f = fopen("/proc/self/maps", "r");
    if (!f)
        return (size_t)-1;
    uintptr_t lo = (uintptr_t)addr, hi = lo + len;
    size_t in = 0;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        uintptr_t a, b;
        if (sscanf(line, "%" SCNxPTR "-%" SCNxPTR, &a, &b) != 2)
            continue;
        uintptr_t s = a > lo ? a : lo, e = b < hi ? b : hi;
        if (s < e)
            in += e - s;
        if (strchr(line, '\n') == NULL) /* a long line: skip its rest */
            for (int c = fgetc(f); c != EOF && c != '\n'; c = fgetc(f))
                ;
    }
    fclose(f);
    return in;
}

/* ---- content stamps ------------------------------------------------------- */

/* Writes every byte of [p, p + n) from seed (rng_stamp). */
static inline void vt_fill(void *p, size_t n, uint64_t seed)
{
    rng_stamp(p, n, seed);
}

/* The first offset of [p, p + n) whose byte is not vt_fill()'s for seed,
 * or n if every byte is. */
static inline size_t vt_damage(const void *p, size_t n, uint64_t seed)
{
    return rng_stamp_damage(p, n, seed);
}

/* Asserts that [p, p + n) still holds vt_fill(p, n, seed)'s bytes. */
#define VT_VERIFY(p, n, seed)                                                   \
    do {                                                                        \
        size_t vt_n_ = (n), vt_bad_ = vt_damage((p), vt_n_, (seed));            \
        REQUIRE(vt_bad_ == vt_n_, "%s (%zu bytes) damaged at offset %zu",       \
                #p, vt_n_, vt_bad_);                                            \
    } while (0)

/* ---- transparent huge pages ----------------------------------------------- */

/* The bracketed word of /sys/kernel/mm/transparent_hugepage/<file> into
 * out (n bytes), or "" when unreadable. */
static inline void vt_thp_setting(const char *file, char *out, size_t n)
{
    /* read independently of vmem_os.c (which the tests check against
     * this): skip to the '[', then take the word up to the ']' */
    char path[128], word[64] = "";
    snprintf(path, sizeof path, "/sys/kernel/mm/transparent_hugepage/%s", file);
    FILE *f = fopen(path, "r");
    if (f) {
        int c;
        while ((c = fgetc(f)) != EOF && c != '[')
            ;
        if (c != '[' || fscanf(f, "%63[^]]", word) != 1)
            word[0] = '\0';
        fclose(f);
    }
    size_t len = strlen(word);
    if (len >= n)
        len = 0; /* does not fit: as if unreadable */
    memcpy(out, word, len);
    out[len] = '\0';
}

/* True when a range advised MADV_HUGEPAGE is backed by huge pages at its
 * first touch: enabled is always or madvise and defrag is not never.
 * Otherwise false, with the reason in why (n bytes; may be NULL). */
static inline bool vt_thp_usable(char *why, size_t n)
{
    char enabled[32], defrag[32], dummy[160];
    if (!why) {
        why = dummy;
        n = sizeof dummy;
    }
    vt_thp_setting("enabled", enabled, sizeof enabled);
    vt_thp_setting("defrag", defrag, sizeof defrag);
    if (enabled[0] == '\0') {
        snprintf(why, n, "no transparent huge pages in this kernel (no /sys/kernel/mm/transparent_hugepage/enabled)");
        return false;
    }
    if (strcmp(enabled, "never") == 0) {
        snprintf(why, n, "transparent_hugepage/enabled is never");
        return false;
    }
    if (strcmp(defrag, "never") == 0) {
        snprintf(why, n, "transparent_hugepage/defrag is never: huge pages only when free ones happen to exist");
        return false;
    }
    snprintf(why, n, "enabled = %s, defrag = %s", enabled, defrag);
    return true;
}

/* In a test that needs THP: returns from it (the test passes) after
 * printing why, when vt_thp_usable() says no. */
#define VT_REQUIRE_THP(test)                                                    \
    do {                                                                        \
        char vt_why_[160];                                                      \
        if (!vt_thp_usable(vt_why_, sizeof vt_why_)) {                          \
            fprintf(stderr, "%s: skipped: %s\n", (test), vt_why_);              \
            return;                                                             \
        }                                                                       \
    } while (0)

#endif

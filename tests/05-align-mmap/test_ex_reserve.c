/*
 * test_ex_reserve.c - stage 05, exercise 05-reserve: vmem_map_aligned(),
 * which reserves len bytes of address space at an address aligned to
 * align (2 MiB to 1 GiB) when the kernel only promises 4 KiB.
 *
 * The system calls go to a pretend kernel (a vmem_os_t): it hands out
 * addresses from one big reservation of its own, at an offset the test
 * chooses past a 1 GiB boundary (so the test decides how misaligned each
 * mapping is, where the real kernel would decide by chance), and records
 * what is mapped: what its map() gave, less what its unmap() took back.
 * After each call the test checks that exactly [result, result + len) is
 * left mapped, aligned, in at most three system calls made through
 * vmem_sys_map() and vmem_sys_unmap() (so that stats.syscalls counts
 * them); that a refused map() gives NULL with nothing left mapped; and
 * that a len + align that does not fit a size_t is refused before any
 * call.  Then the same through the page source: every region a vmem_t
 * reserves for an aligned extent is aligned, and vmem_destroy() leaves
 * nothing mapped.
 */
#define _DEFAULT_SOURCE
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "align.h"
#include "require.h"
#include "vmem_internal.h"

#define MiB ((size_t)1 << 20)
#define GiB ((size_t)1 << 30)
#define SPACE (5 * GiB) /* the pretend kernel's address space: 4 GiB from a 1 GiB boundary */
#define MAX_RANGES 256

/* ---- the pretend kernel ----------------------------------------------------- */

typedef struct range {
    uintptr_t lo, hi;
} range_t;

static struct kernel {
    char *space;            /* its reservation (real, MAP_NORESERVE) */
    uintptr_t base, end;    /* the part it hands out: base is a 1 GiB boundary */
    uintptr_t cursor;       /* the next mapping starts at or after it */
    size_t skew;            /* ... this many bytes after it */
    bool refuse;            /* map() fails */
    range_t mapped[MAX_RANGES];
    size_t n_mapped;
    size_t maps, unmaps;    /* calls */
    size_t last_map_len;
    bool stray;             /* an unmap() of bytes that were not mapped */
} k;

static void mapped_add(uintptr_t lo, uintptr_t hi)
{
    ck_assert_msg(k.n_mapped < MAX_RANGES, "the pretend kernel holds too many mappings");
    k.mapped[k.n_mapped++] = (range_t){lo, hi};
}

/* Removes [lo, hi) from the mapped ranges; returns the bytes that were mapped. */
static size_t mapped_remove(uintptr_t lo, uintptr_t hi)
{
    size_t was = 0, n = k.n_mapped;
    for (size_t i = 0; i < n; i++) {
        range_t r = k.mapped[i];
        if (r.hi <= lo || hi <= r.lo)
            continue;
        uintptr_t a = r.lo > lo ? r.lo : lo, b = r.hi < hi ? r.hi : hi;
        was += b - a;
        k.mapped[i] = (range_t){r.lo, a}; /* what is left below; maybe empty */
        if (b < r.hi)
            mapped_add(b, r.hi);
    }
    size_t j = 0; /* drop the empty ranges */
    for (size_t i = 0; i < k.n_mapped; i++)
        if (k.mapped[i].lo < k.mapped[i].hi)
            k.mapped[j++] = k.mapped[i];
    k.n_mapped = j;
    return was;
}

static void *fake_map(size_t len, int prot)
{
    (void)prot;
    k.maps++;
    k.last_map_len = len;
    if (k.refuse || len == 0 || len > SPACE)
        return NULL;
    len = align_up(len, VMEM_BASE_PAGE);
    uintptr_t at = align_up(k.cursor, VMEM_BASE_PAGE) + k.skew;
    if (at + len > k.end || at + len < at)
        return NULL; /* ENOMEM */
    k.cursor = at + len;
    mapped_add(at, at + len);
    return (void *)at;
}

static int fake_unmap(void *addr, size_t len)
{
    k.unmaps++;
    uintptr_t lo = (uintptr_t)addr;
    if (lo % VMEM_BASE_PAGE || len == 0)
        return -1; /* EINVAL, as munmap() */
    uintptr_t hi = lo + align_up(len, VMEM_BASE_PAGE);
    if (mapped_remove(lo, hi) != hi - lo)
        k.stray = true;
    return 0;
}

static int fake_advise(void *addr, size_t len, int advice)
{
    (void)addr, (void)len, (void)advice;
    return 0;
}

static const vmem_os_t fake_os = {.map = fake_map, .unmap = fake_unmap, .advise = fake_advise};

static void kernel_up(void)
{
    memset(&k, 0, sizeof k);
    k.space = mmap(NULL, SPACE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    ck_assert_msg(k.space != MAP_FAILED, "cannot reserve %zu GiB of address space for the test",
                  SPACE / GiB);
    k.base = align_up((uintptr_t)k.space, GiB);
    k.end = k.base + 4 * GiB;
}

static void kernel_down(void)
{
    if (k.space && k.space != MAP_FAILED)
        munmap(k.space, SPACE);
    memset(&k, 0, sizeof k);
}

/* Forgets every mapping; the next one lands skew bytes past the first 1 GiB boundary. */
static void kernel_reset(size_t skew)
{
    k.cursor = k.base;
    k.skew = skew;
    k.refuse = k.stray = false;
    k.n_mapped = 0;
    k.maps = k.unmaps = 0;
}

/* A vmem_t with nothing but the pretend kernel's system calls: what
 * vmem_map_aligned() needs. */
static void bare_vmem(vmem_t *v)
{
    memset(v, 0, sizeof *v);
    v->os = fake_os;
}

static void show_mapped(char *buf, size_t n)
{
    size_t at = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < k.n_mapped && at + 64 < n; i++)
        at += (size_t)snprintf(buf + at, n - at, "%s[%#lx, %#lx)", i ? " " : "",
                               (unsigned long)k.mapped[i].lo, (unsigned long)k.mapped[i].hi);
    if (k.n_mapped == 0)
        snprintf(buf, n, "nothing");
}

/* ---- vmem_map_aligned() itself ---------------------------------------------- */

/* One call: the kernel maps skew bytes past a 1 GiB boundary. */
static void one_reservation(size_t len, size_t align, size_t skew)
{
    vmem_t v;
    bare_vmem(&v);
    kernel_reset(skew);
    char *p = vmem_map_aligned(&v, len, align);
    char what[160], left[512];
    snprintf(what, sizeof what, "vmem_map_aligned(len %zu MiB, align %zu MiB), the kernel "
             "mapping %#zx bytes past a 1 GiB boundary,", len / MiB, align / MiB, skew);
    show_mapped(left, sizeof left);
    REQUIRE(p != NULL, "%s gave NULL", what);
    REQUIRE(align_ptr_is(p, align), "%s gave %p, not aligned to %zu MiB", what, (void *)p,
            align / MiB);
    REQUIRE(!k.stray, "%s unmapped bytes that were not mapped (left mapped: %s)", what, left);
    REQUIRE(k.n_mapped == 1 && k.mapped[0].lo == (uintptr_t)p && k.mapped[0].hi == (uintptr_t)p + len,
            "%s gave %p, but left mapped %s instead of exactly [%p, %p)", what, (void *)p, left,
            (void *)p, (void *)(p + len));
    REQUIRE(k.maps + k.unmaps <= 3, "%s made %zu system calls (%zu maps, %zu unmaps); 3 are "
            "enough", what, k.maps + k.unmaps, k.maps, k.unmaps);
    REQUIRE(v.st.syscalls == k.maps + k.unmaps, "%s made %zu system calls, but stats.syscalls "
            "counts %zu: make them through vmem_sys_map() and vmem_sys_unmap()", what,
            k.maps + k.unmaps, v.st.syscalls);
}

START_TEST(reserve_every_alignment)
{
    static const size_t lens[] = {2 * MiB, 6 * MiB, 64 * MiB, GiB};
    for (size_t align = 2 * MiB; align <= GiB; align *= 2) {
        size_t skews[] = {0, 4096, align - 4096, align / 2, align + 4096, 3 * MiB + 8192, GiB - 4096};
        for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++)
            for (size_t j = 0; j < sizeof skews / sizeof skews[0]; j++)
                if (skews[j] < GiB)
                    one_reservation(lens[i], align, skews[j]);
    }
}
END_TEST

START_TEST(reserve_refused)
{
    for (size_t align = 2 * MiB; align <= GiB; align *= 2) {
        vmem_t v;
        bare_vmem(&v);
        kernel_reset(4096);
        k.refuse = true;
        char *p = vmem_map_aligned(&v, 4 * MiB, align);
        ck_assert_msg(p == NULL, "vmem_map_aligned(4 MiB, align %zu MiB) gave %p when the "
                      "kernel refused to map", align / MiB, (void *)p);
        ck_assert_msg(k.maps >= 1, "vmem_map_aligned(4 MiB, align %zu MiB) did not ask the "
                      "kernel", align / MiB);
        ck_assert_msg(k.n_mapped == 0 && !k.stray, "vmem_map_aligned() left something mapped, "
                      "or unmapped what it had not mapped, when the kernel refused");
    }
}
END_TEST

START_TEST(reserve_overflow)
{
    for (size_t align = 2 * MiB; align <= GiB; align *= 2) {
        vmem_t v;
        bare_vmem(&v);
        kernel_reset(0);
        size_t len = SIZE_MAX - align + 1; /* len + align is 2^64: 0 in a size_t */
        char *p = vmem_map_aligned(&v, len, align);
        ck_assert_msg(p == NULL && k.maps == 0, "vmem_map_aligned(len %#zx, align %zu MiB): len "
                      "+ align does not fit a size_t, yet it %s", len, align / MiB,
                      p ? "gave an address" : "asked the kernel for a mapping: refuse it before any call");

        /* the largest len whose len + align fits: the kernel's to refuse, not the function's */
        kernel_reset(0);
        len = SIZE_MAX - 2 * align + 1;
        p = vmem_map_aligned(&v, len, align);
        ck_assert_msg(p == NULL, "the kernel cannot map %#zx bytes, yet vmem_map_aligned() gave %p",
                      len, (void *)p);
        ck_assert_msg(k.maps == 1 && k.last_map_len >= len, "vmem_map_aligned(len %#zx, align "
                      "%zu MiB): len + align fits a size_t, so the kernel should have been asked "
                      "for at least len bytes, once (it was asked %zu times, last for %#zx)", len,
                      align / MiB, k.maps, k.last_map_len);
    }
}
END_TEST

/* ---- through the page source ------------------------------------------------- */

/* What the pretend kernel holds must be exactly the regions of v and their
 * descriptors. */
static void only_regions_mapped(const vmem_t *v, const char *when)
{
    size_t want = 0, held = 0;
    for (const vmem_region_t *r = v->regions; r; r = r->next) {
        ck_assert_msg(align_ptr_is(r->base, VMEM_HUGE_PAGE), "%s: a region at %p, not aligned "
                      "to 2 MiB", when, (void *)r->base);
        want += r->len + r->meta_bytes;
        for (size_t i = 0; i < k.n_mapped; i++) {
            const range_t *m = &k.mapped[i];
            if (m->lo <= (uintptr_t)r->base && (uintptr_t)r->base + r->len <= m->hi)
                held += r->len;
            if (m->lo <= (uintptr_t)r && (uintptr_t)r + r->meta_bytes <= m->hi)
                held += r->meta_bytes;
        }
    }
    size_t total = 0;
    for (size_t i = 0; i < k.n_mapped; i++)
        total += k.mapped[i].hi - k.mapped[i].lo;
    char left[512];
    show_mapped(left, sizeof left);
    ck_assert_msg(held == want && total == want, "%s: the regions and their descriptors are %zu "
                  "bytes, but the kernel holds %zu bytes mapped (%s)", when, want, total, left);
}

START_TEST(reserve_regions_aligned)
{
    kernel_reset(4096); /* every mapping 4 KiB past the end of the one before */
    vmem_t v;
    vmem_config_t cfg = {.reserve = 64 * MiB, .huge = VMEM_HUGE_OFF, .release = VMEM_RELEASE_KEEP,
                         .os = &fake_os};
    ck_assert_int_eq(vmem_init(&v, &cfg), 0);
    only_regions_mapped(&v, "after vmem_init()");
    const page_source_t *src = vmem_source(&v);
    void *got[16];
    size_t n = 0;
    for (size_t align = 4 * MiB; align <= GiB; align *= 2) {
        void *p = src->acquire(src->ctx, 2 * MiB, align);
        ck_assert_msg(p != NULL, "acquire(2 MiB, align %zu MiB) failed", align / MiB);
        ck_assert_msg(align_ptr_is(p, align), "acquire(2 MiB, align %zu MiB) gave %p, not "
                      "aligned: its region was not", align / MiB, p);
        char when[64];
        snprintf(when, sizeof when, "after an extent aligned to %zu MiB", align / MiB);
        only_regions_mapped(&v, when);
        got[n++] = p;
    }
    vmem_stats_t st;
    vmem_stats(&v, &st);
    ck_assert_msg(st.regions >= 2, "no extent needed a region of its own?");
    for (size_t i = 0; i < n; i++)
        src->release(src->ctx, got[i], 2 * MiB);
    vmem_destroy(&v);
    char left[512];
    show_mapped(left, sizeof left);
    ck_assert_msg(k.n_mapped == 0 && !k.stray, "after vmem_destroy() the kernel still holds %s%s",
                  left, k.stray ? ", and something unmapped what was not mapped" : "");
}
END_TEST

Suite *vmem_ex_reserve_suite(void)
{
    Suite *s = suite_create("vmem-ex-reserve");
    TCase *tc = tcase_create("reserve");
    tcase_set_tags(tc, "core 05-reserve");
    tcase_add_checked_fixture(tc, kernel_up, kernel_down);
    tcase_add_test(tc, reserve_every_alignment);
    tcase_add_test(tc, reserve_refused);
    tcase_add_test(tc, reserve_overflow);
    tcase_add_test(tc, reserve_regions_aligned);
    suite_add_tcase(s, tc);
    return s;
}

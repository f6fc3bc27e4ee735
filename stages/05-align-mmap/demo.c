/*
 * demo.c - stage 05 narrated: memory straight from the kernel.  A 1 GiB
 * reservation that costs nothing resident; the first touch of 1 GiB with
 * and without transparent huge pages (time, minor faults, bytes in huge
 * pages) and random reads over it; slabs on a vmem source, trimmed, with
 * the resident bytes falling and the system calls counted; objects aligned
 * to 64 bytes, 4 KiB and 2 MiB, and which path served each; an arena
 * object that keeps its alignment when it is resized.
 *
 * Determinism.  Three kinds of figure change from run to run or from
 * machine to machine: addresses, timings, and what the kernel reports
 * (resident bytes, bytes in huge pages, page faults: whether the kernel
 * had a free huge page at that moment decides them).  The demo prints the
 * kernel's figures with a leading '~', and scripts/demo_outputs.sh masks
 * them, the timings and the addresses in the saved output
 * docs/data/demo-05.txt.  Everything else (vmem's own counters, the
 * classes, the offsets) is the same on every run on the same kernel; the
 * system calls of a reservation depend on whether the kernel already
 * aligns large mappings to 2 MiB (Linux 6.7 and later do).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aligned.h"
#include "clock.h"
#include "fmt.h"
#include "rng.h"
#include "vmem.h"

/* ---- printing and failing ------------------------------------------------ */

#define KiB ((size_t)1 << 10)
#define MiB ((size_t)1 << 20)
#define GiB ((size_t)1 << 30)

/* "35,323,904 bytes (33.7 MiB)" (fmt.h); each call its own buffer. */
#define bytes(n) fmt_bytes((char[FMT_BYTES_LEN]){0}, (n))
/* "33.7 MiB", "1,072 B"; each call its own buffer. */
#define sz(n) size_text((char[32]){0}, (n))

static char *size_text(char *buf, size_t n)
{
    if (n < KiB)
        snprintf(buf, 32, "%zu B", n);
    else if (n < MiB)
        snprintf(buf, 32, "%.1f KiB", (double)n / (double)KiB);
    else if (n < GiB)
        snprintf(buf, 32, "%.1f MiB", (double)n / (double)MiB);
    else
        snprintf(buf, 32, "%.2f GiB", (double)n / (double)GiB);
    return buf;
}

/* "~33.7 MiB": a figure the kernel reports (see the file comment); each
 * call its own buffer. */
#define kern(n) kern_text((char[32]){0}, (n))

static char *kern_text(char *buf, size_t n)
{
    char t[32];
    snprintf(buf, 32, "~%s", size_text(t, n));
    return buf;
}

/* "~123.4 ms" and the like: a measured figure with its unit. */
#define kernf(fmt, x) kernf_text((char[32]){0}, (fmt), (x))

static char *kernf_text(char *buf, const char *fmt, double x)
{
    buf[0] = '~';
    snprintf(buf + 1, 31, fmt, x);
    return buf;
}

/* "none (~0 B)" for 0 resident bytes, else "~12.0 MiB"; each call its own
 * buffer. */
#define resident(n) resident_text((char[48]){0}, (n))

static char *resident_text(char *buf, size_t n)
{
    char t[32];
    snprintf(buf, 48, n ? "%s" : "none (%s)", kern_text(t, n));
    return buf;
}

/* "403,200": n grouped by thousands; each call its own buffer. */
#define num(n) num_text((char[32]){0}, (n))

static char *num_text(char *buf, size_t n)
{
    char digits[24];
    int len = snprintf(digits, sizeof digits, "%zu", n), o = 0;
    for (int i = 0; i < len; i++) {
        if (i > 0 && (len - i) % 3 == 0)
            buf[o++] = ',';
        buf[o++] = digits[i];
    }
    buf[o] = '\0';
    return buf;
}

/* The demo cannot go on after a failed call: says which, and exits. */
static void need(bool ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "demo: %s failed\n", what);
        exit(1);
    }
}

static void source_new(vmem_t *v, enum vmem_huge huge)
{
    int rc = vmem_init(v, &(vmem_config_t){.huge = huge});
    if (rc != 0) {
        fprintf(stderr, "demo: vmem_init failed: %s\n", strerror(-rc));
        exit(1);
    }
}

static vmem_residency_t residency(const vmem_t *v)
{
    vmem_residency_t r;
    need(vmem_residency(v, &r) == 0, "vmem_residency (is /proc mounted?)");
    return r;
}

static vmem_stats_t stats(const vmem_t *v)
{
    vmem_stats_t st;
    vmem_stats(v, &st);
    return st;
}

/* The bracketed word of /sys/kernel/mm/transparent_hugepage/<file>, or
 * "(none)" when the kernel has no such file. */
static const char *thp_setting(const char *file, char *out, size_t n)
{
    char path[96], line[256];
    snprintf(path, sizeof path, "/sys/kernel/mm/transparent_hugepage/%s", file);
    snprintf(out, n, "(none)");
    FILE *f = fopen(path, "r");
    if (!f)
        return out;
    if (fgets(line, sizeof line, f)) {
        char *a = strchr(line, '['), *b = a ? strchr(a, ']') : NULL;
        if (a && b)
            snprintf(out, n, "%.*s", (int)(b - a - 1), a + 1);
    }
    fclose(f);
    return out;
}

static void show_kernel(void)
{
    char enabled[32], defrag[32];
    thp_setting("enabled", enabled, sizeof enabled);
    thp_setting("defrag", defrag, sizeof defrag);
    printf("Transparent huge pages on this kernel: enabled [%s], defrag [%s]\n"
           "(from /sys/kernel/mm/transparent_hugepage/).  With \"madvise\", only\n"
           "memory a program advises with MADV_HUGEPAGE gets huge pages; vmem does.\n"
           "Figures marked ~ are the kernel's (/proc/self/smaps, getrusage): they\n"
           "depend on the moment, above all on whether a free huge page was at hand.\n\n",
           enabled, defrag);
}

/* ---- 1. a reservation ----------------------------------------------------- */

static void show_reserve(void)
{
    vmem_t v;
    source_new(&v, VMEM_HUGE_AUTO);
    vmem_stats_t st = stats(&v);
    vmem_residency_t r = residency(&v);
    printf("1. Reserving 1 GiB costs no memory\n\n");
    printf("  vmem_init() with a zeroed configuration:\n\n"
           "    reserved         %s in %zu region\n"
           "    system calls     %zu (mmap, munmap and madvise, counted by vmem)\n"
           "    resident         %s, of which in huge pages %s\n\n",
           bytes(st.reserved), st.regions, st.syscalls, resident(r.rss), kern(r.anon_huge));
    const page_source_t *src = vmem_source(&v);
    size_t n = 256 * MiB;
    char *p = src->acquire(src->ctx, n, VMEM_HUGE_PAGE);
    need(p != NULL, "acquire");
    size_t calls = stats(&v).syscalls - st.syscalls;
    r = residency(&v);
    printf("  Then 256 MiB acquired from it through its page source:\n\n"
           "    committed        %s\n"
           "    system calls     %zu more\n"
           "    resident         %s\n\n"
           "  What to notice: committed means handed out, not resident.  The kernel\n"
           "  gives a page only when it is first touched, and vmem made no system\n"
           "  call: the extent was carved from the region already reserved.\n\n",
           bytes(stats(&v).committed), calls, resident(r.rss));
    src->release(src->ctx, p, n);
    vmem_destroy(&v);
}

/* ---- 2. the first touch, and random reads ---------------------------------- */

enum { READS = 1000000 };

/* ns per read: READS dependent 8-byte reads at random places in p[0, n),
 * each address depending on the value read before, so no two overlap. */
static double random_reads(const char *p, size_t n)
{
    rng_t rng = {42};
    uint64_t sum = 0, mask = (uint64_t)n - 8;
    uint64_t t0 = clock_now_ns();
    for (size_t i = 0; i < READS; i++) {
        uint64_t at = (rng_next(&rng) + sum) & mask & ~(uint64_t)7;
        sum += *(const volatile uint64_t *)(const void *)(p + at);
    }
    uint64_t t1 = clock_now_ns();
    return (double)(t1 - t0) / READS;
}

/* ms to write one byte in every 4 KiB page of p[0, n). */
static double touch(char *p, size_t n)
{
    uint64_t t0 = clock_now_ns();
    for (size_t k = 0; k < n; k += VMEM_BASE_PAGE)
        ((volatile char *)p)[k] = 1;
    return (double)(clock_now_ns() - t0) / 1e6;
}

typedef struct touched {
    double first_ms, again_ms, read_ns;
    vmem_residency_t r;
} touched_t;

/* From a fresh source: 1 GiB acquired and touched; random reads over it;
 * released (vmem gives it back to the kernel at once: it is more than
 * VMEM_KEEP_PAGES pages), acquired and touched again. */
static touched_t touch_gib(enum vmem_huge huge)
{
    vmem_t v;
    source_new(&v, huge);
    const page_source_t *src = vmem_source(&v);
    touched_t t;
    char *p = src->acquire(src->ctx, GiB, VMEM_HUGE_PAGE);
    need(p != NULL, "acquire of 1 GiB");
    t.first_ms = touch(p, GiB);
    t.r = residency(&v);
    t.read_ns = random_reads(p, GiB);
    src->release(src->ctx, p, GiB);
    p = src->acquire(src->ctx, GiB, VMEM_HUGE_PAGE);
    need(p != NULL, "acquire of 1 GiB");
    t.again_ms = touch(p, GiB);
    src->release(src->ctx, p, GiB);
    vmem_destroy(&v);
    return t;
}

static void touch_row(const char *what, const touched_t *t)
{
    char faults[32];
    snprintf(faults, sizeof faults, "~%s", num(t->r.minor_faults));
    printf("    %-15s %12s %13s %10s %14s %12s %12s\n", what, kernf("%.1f ms", t->first_ms), faults,
           kern(t->r.rss), kern(t->r.anon_huge), kernf("%.1f ns", t->read_ns), kernf("%.1f ms", t->again_ms));
}

static void show_touch(void)
{
    printf("2. Touching 1 GiB, with and without huge pages\n\n");
    printf("  A fresh vmem_t each time: 1 GiB acquired, one byte written in each\n"
           "  4 KiB page (the first touch); %s random 8-byte reads over it, each\n"
           "  at an address that depends on the value read before; the 1 GiB\n"
           "  released (given back to the kernel), acquired and touched again:\n\n", num(READS));
    touched_t on = touch_gib(VMEM_HUGE_AUTO), off = touch_gib(VMEM_HUGE_OFF);
    printf("    huge              first touch  minor faults   resident  in huge pages  random read  touch again\n");
    touch_row("VMEM_HUGE_AUTO", &on);
    touch_row("VMEM_HUGE_OFF", &off);
    printf("\n");
    printf("  Huge pages against base pages: ~%.0fx fewer faults; the first touch\n"
           "  ~%.2fx the time, the touch again ~%.2fx, random reads ~%.2fx.\n\n",
           (double)off.r.minor_faults / (double)(on.r.minor_faults ? on.r.minor_faults : 1),
           on.first_ms / off.first_ms, on.again_ms / off.again_ms, on.read_ns / off.read_ns);
    printf("  What to notice: 1 GiB is 262,144 pages of 4 KiB or 512 of 2 MiB, one\n"
           "  fault each.  The kernel zeroes the same bytes either way, so the time\n"
           "  falls less than the faults.  The first touch of huge pages can be the\n"
           "  slowest of all: the kernel must find free 2 MiB blocks, compacting\n"
           "  memory if it must, and a virtual machine's host must back them; the\n"
           "  touch again reuses blocks just freed.  Random reads miss the TLB far\n"
           "  less often when each entry covers 2 MiB.  Without a free huge page\n"
           "  (or with THP \"never\") the first row looks like the second.\n\n");
}

/* ---- 3. slabs on vmem, trimmed --------------------------------------------- */

enum { OBJ_SIZE = 256, OBJECTS = 403200, CYCLES = 10000 };

static void slabs_row(const char *what, const vmem_t *v)
{
    vmem_stats_t st = stats(v);
    vmem_residency_t r = residency(v);
    printf("    %-22s %11s %11s  %10s  %10s  %5zu\n", what, kern(r.rss), kern(r.anon_huge), sz(st.committed),
           sz(st.released), st.syscalls);
}

static void show_slabs(void)
{
    vmem_t v;
    source_new(&v, VMEM_HUGE_AUTO);
    slabs_t s;
    need(slabs_init(&s, &(slabs_config_t){.source = vmem_source(&v)}) == 0, "slabs_init");
    void **objs = malloc(OBJECTS * sizeof *objs);
    need(objs != NULL, "malloc");
    printf("3. Slabs on vmem, and memory that goes back\n\n");
    printf("  A slabs_t whose page source is vmem_source(&v): %s objects of %d\n"
           "  bytes, each one written, then all freed, then slabs_trim(s, 0):\n\n", num(OBJECTS), OBJ_SIZE);
    printf("    %-22s %11s %11s  %10s  %10s  %5s\n", "", "resident", "huge pages", "committed", "released",
           "calls");
    slabs_row("after slabs_init()", &v);
    for (size_t i = 0; i < OBJECTS; i++) {
        objs[i] = slabs_alloc(&s, OBJ_SIZE);
        need(objs[i] != NULL, "slabs_alloc");
        memset(objs[i], 0x5A, OBJ_SIZE);
    }
    slabs_row("objects allocated", &v);
    for (size_t i = 0; i < OBJECTS; i++)
        slabs_free(&s, objs[i]);
    slabs_row("all of them freed", &v);
    vmem_stats_t before = stats(&v);
    vmem_residency_t rb = residency(&v);
    size_t trimmed = slabs_trim(&s, 0);
    slabs_row("slabs_trim(s, 0)", &v);
    vmem_stats_t after = stats(&v);
    vmem_residency_t ra = residency(&v);
    size_t released = after.released - before.released, calls = after.syscalls - before.syscalls;
    printf("\n  What to notice: freeing every object gave nothing back; the empty\n"
           "  slabs stay with their class.  Then:\n"
           "    slabs_trim() gave vmem   %s slabs of %s, %s: committed\n"
           "                             fell by exactly that;\n"
           "    vmem gave the kernel     %s in %zu madvise() calls, one per emptied\n"
           "                             2 MiB page, not one per slab;\n"
           "    vmem keeps waiting       the last %d pages emptied (%s) on its FIFO\n"
           "                             (VMEM_KEEP_PAGES), for reuse without a fault,\n"
           "                             until %s more acquisitions and releases\n"
           "                             have passed (VMEM_DECAY_OPS).\n",
           num(trimmed / s.slab_size), sz(s.slab_size), sz(trimmed), sz(released), calls, VMEM_KEEP_PAGES,
           sz(VMEM_KEEP_PAGES * VMEM_HUGE_PAGE), num(VMEM_DECAY_OPS));
    bool dropped = rb.rss > ra.rss && (rb.rss - ra.rss) >= trimmed / 4 * 3;
    printf("  Resident bytes fell by three quarters of the bytes trimmed or more: %s.\n"
           "  (The first row shows what huge pages cost: the few KiB slabs_init()\n"
           "  writes can make a whole 2 MiB page resident.)\n\n",
           dropped ? "yes" : "no (the kernel counted otherwise; see the ~ figures)");

    size_t c0 = stats(&v).syscalls;
    for (int i = 0; i < CYCLES; i++) {
        void *p = slabs_alloc(&s, OBJ_SIZE);
        need(p != NULL, "slabs_alloc");
        slabs_free(&s, p);
        slabs_trim(&s, 0);
    }
    printf("  %s times: allocate one object, free it, slabs_trim(s, 0).  A slab goes\n"
           "  to vmem and comes back each time, its page empties each time, and vmem\n"
           "  made %zu system calls in all: an emptied page waits on the FIFO, and\n"
           "  the next acquisition takes a waiting page back.\n\n",
           num(CYCLES), stats(&v).syscalls - c0);
    slabs_destroy(&s);
    printf("  Then slabs_destroy(s):\n\n");
    slabs_row("slabs_destroy(s)", &v);
    vmem_destroy(&v);
    printf("\n  slabs_destroy() gave back the rest (descriptors, side table, metadata);\n"
           "  the waiting pages are still resident, still the source's.  vmem_destroy()\n"
           "  unmaps the regions: %zu bytes reserved now.\n\n", stats(&v).reserved);
    free(objs);
}

/* ---- 4. aligned objects ------------------------------------------------------ */

/* "0x7f38d6204800 (2 MiB page + 18,432)": an address and its offset in its
 * 2 MiB page (the offset is the same on every run: vmem's regions are
 * 2 MiB-aligned). */
#define where(p) where_text((char[64]){0}, (p))

static char *where_text(char *buf, const void *p)
{
    snprintf(buf, 64, "%p (+%s)", p, num((uintptr_t)p % VMEM_HUGE_PAGE));
    return buf;
}

/* One aligned object from s: its address, its path, what it holds. */
static void *aligned_row(slabs_t *s, size_t size, size_t align)
{
    slabs_stats_t b, a;
    slabs_stats(s, &b);
    size_t c = aligned_class(s, size, align);
    void *p = slabs_alloc_aligned(s, size, align);
    need(p != NULL, "slabs_alloc_aligned");
    slabs_stats(s, &a);
    char path[64];
    if (c < slabs_class_count(s))
        snprintf(path, sizeof path, "class %zu: chunks of %zu, aligned to %zu", c, slabs_class_size(s, c),
                 slabs_class_align(s, c));
    else
        snprintf(path, sizeof path, "large: a block of %s", num(a.large_bytes - b.large_bytes));
    printf("    %7s %7s  %-24s %-3s  %-42s %s\n", sz(size), sz(align), where(p),
           (uintptr_t)p % align == 0 ? "yes" : "NO", path, num(slabs_usable_size(s, p)));
    return p;
}

static void show_aligned(void)
{
    vmem_t v;
    source_new(&v, VMEM_HUGE_AUTO);
    slabs_t s;
    need(slabs_init(&s, &(slabs_config_t){.source = vmem_source(&v)}) == 0, "slabs_init");
    printf("4. Aligned objects\n\n");
    printf("  slabs_alloc_aligned() on the default classes (slabs of 16 KiB), on vmem.\n"
           "  Each address is followed by its offset in its 2 MiB page; ok says that\n"
           "  it is a multiple of the alignment; usable is slabs_usable_size():\n\n");
    printf("    %7s %7s  %-24s %-3s  %-42s %s\n", "size", "align", "address (+ in its page)", "ok",
           "served by", "usable");
    static const size_t ask[][2] = {
        {48, 64}, {100, 64}, {1000, 4 * 1024}, {1 << 20, 2 << 20},
    };
    void *p[4];
    for (size_t i = 0; i < 4; i++)
        p[i] = aligned_row(&s, ask[i][0], ask[i][1]);
    slabs_stats_t st;
    slabs_stats(&s, &st);
    printf("\n  What to notice: a class whose chunk is a power of two is laid out\n"
           "  naturally aligned (chunk 0 at 64: the slab's header comes first), so\n"
           "  it serves any alignment up to its size: 48 bytes aligned to 64 take a\n"
           "  64-byte chunk.  Of the default classes only 16, 32, 64 and 2048 are\n"
           "  powers of two, so 100 bytes aligned to 64 take a 2048-byte chunk.  No\n"
           "  class is aligned to 4 KiB or 2 MiB: those are large objects, each at\n"
           "  the start of a block aligned to max(align, 16 KiB), with its 64-byte\n"
           "  header at the block's end.  live_objects %zu, of which large %zu.\n",
           st.live_objects, st.large_objects);
    for (size_t i = 0; i < 4; i++)
        slabs_free(&s, p[i]);
    slabs_stats(&s, &st);
    printf("  slabs_free() of all four, no size or alignment given: live_objects %zu.\n\n", st.live_objects);
    slabs_destroy(&s);

    static const size_t pow2[] = {16, 32, 64, 128, 256, 512, 1024, 2048};
    slabs_config_t cfg = {.sizes = pow2, .n_sizes = 8, .source = vmem_source(&v)};
    need(slabs_init(&s, &cfg) == 0, "slabs_init with powers of two");
    printf("  The same 100 bytes aligned to 64 from a slabs_t whose classes are the\n"
           "  powers of two from 16 to 2048 (slabs_config_t.sizes):\n\n");
    slabs_free(&s, aligned_row(&s, 100, 64));
    printf("\n");
    slabs_destroy(&s);
    vmem_destroy(&v);
}

/* ---- 5. an aligned arena object ----------------------------------------------- */

static void arena_row(const arena_t *a, handle_t h, size_t align, const char *what)
{
    const char *p = arena_get(a, h);
    printf("    %-31s %5zu B  %-24s %-3s  \"%s\"\n", what, arena_size(a, h), where(p),
           (uintptr_t)p % align == 0 ? "yes" : "NO", p);
}

static void show_arena(void)
{
    vmem_t v;
    source_new(&v, VMEM_HUGE_AUTO);
    arena_t a;
    need(arena_init(&a, &(arena_config_t){.slabs.source = vmem_source(&v)}) == 0, "arena_init");
    printf("5. An arena object keeps its alignment\n\n");
    printf("  One object aligned to 4 KiB, on vmem, resized twice (aligned: ok):\n\n");
    printf("    %-31s %7s  %-24s %-3s  %s\n", "", "size", "address (+ in its page)", "ok", "contents");
    handle_t h = arena_alloc_aligned(&a, 100, 4096);
    need(h != HANDLE_NULL, "arena_alloc_aligned");
    memcpy(arena_get(&a, h), "aligned", 8);
    arena_row(&a, h, 4096, "arena_alloc_aligned(100, 4096)");
    need(arena_resize(&a, h, 6000) == 0, "arena_resize");
    arena_row(&a, h, 4096, "arena_resize() to 6000");
    need(arena_resize(&a, h, 40) == 0, "arena_resize");
    arena_row(&a, h, 4096, "arena_resize() to 40");
    printf("\n  The arena remembers each aligned object's alignment beside its slot,\n"
           "  so a resize that moves the object places it again the same way.\n");
    arena_release(&a, h);
    arena_destroy(&a);
    vmem_destroy(&v);
}

int main(void)
{
    printf("slabcraft stage 05: alignment, reserved address space, huge pages\n\n");
    show_kernel();
    show_reserve();
    show_touch();
    show_slabs();
    show_aligned();
    show_arena();
    return 0;
}

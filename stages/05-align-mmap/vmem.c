/*
 * vmem.c - stage 05's page source: regions of reserved address space, cut
 * into 2 MiB pages, carved into extents, given back a whole page at a time.
 * The file comment of vmem.h says what and why; vmem_internal.h says what
 * each page descriptor holds.
 */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>

#include "align.h"
#include "debug.h"
#include "misuse.h"
#include "tool.h"
#include "vmem_internal.h"

#define HP VMEM_HUGE_PAGE
#define HP_SHIFT 21

/* ---- extent classes ------------------------------------------------------ */

// [extent-class]
/* Class of a small extent of `bytes`: base pages 1..8 one class each, then
 * four classes per doubling (10, 12, 14, 16, 20, 24, ... 256 base pages),
 * so an extent is rounded up by less than a quarter. */
unsigned vmem_class_of(size_t bytes)
{
    size_t n = (bytes + VMEM_BASE_PAGE - 1) / VMEM_BASE_PAGE; /* base pages, 1..256 */
    if (n <= 8)
        return (unsigned)(n - 1);
    unsigned lg = 63u - (unsigned)__builtin_clzll((unsigned long long)(n - 1)); /* 2^lg < n <= 2^(lg+1) */
    return 8 + (lg - 3) * 4 + (unsigned)((n - 1) >> (lg - 2)) - 4;
}

size_t vmem_class_size(unsigned cls)
{
    if (cls < 8)
        return (cls + 1) * VMEM_BASE_PAGE;
    unsigned lg = (cls - 8) / 4 + 3, k = (cls - 8) % 4 + 5; /* k steps of 2^(lg-2) base pages */
    return ((size_t)k << (lg - 2)) * VMEM_BASE_PAGE;
}
// [extent-class]

/* ---- pages and regions --------------------------------------------------- */

static size_t page_index(const vmem_page_t *pg)
{
    return (size_t)(pg - pg->region->pages_);
}

static char *page_addr(const vmem_page_t *pg)
{
    return pg->region->base + (page_index(pg) << HP_SHIFT);
}

/* The region that holds addr, or NULL.  O(regions). */
static vmem_region_t *region_of(const vmem_t *v, const void *addr)
{
    for (vmem_region_t *r = v->regions; r; r = r->next)
        if ((uintptr_t)addr - (uintptr_t)r->base < r->len)
            return r;
    return NULL;
}

/* ---- lists: a class's partial pages, and the FIFO ------------------------ */

/* A class's partial list is circular and doubly linked: v->partial[cls] is
 * its head, and the head's prev its tail, so both ends are O(1). */
static void partial_remove(vmem_t *v, vmem_page_t *pg)
{
    if (pg->next == pg) {
        v->partial[pg->cls] = NULL;
    } else {
        pg->prev->next = pg->next;
        pg->next->prev = pg->prev;
        if (v->partial[pg->cls] == pg)
            v->partial[pg->cls] = pg->next;
    }
    pg->prev = pg->next = NULL;
}

/* Links pg in before the head; as_head makes it the head, else the tail. */
static void partial_insert(vmem_t *v, vmem_page_t *pg, bool as_head)
{
    vmem_page_t *h = v->partial[pg->cls];
    if (!h) {
        pg->prev = pg->next = pg;
        v->partial[pg->cls] = pg;
        return;
    }
    pg->next = h;
    pg->prev = h->prev;
    h->prev->next = pg;
    h->prev = pg;
    if (as_head)
        v->partial[pg->cls] = pg;
}

/* Pages with a free extent go first; empty pages go last, so that partly
 * used pages fill up first and empty ones stay empty long enough to go
 * back. */
static void partial_push_head(vmem_t *v, vmem_page_t *pg)
{
    partial_insert(v, pg, true);
}

static void partial_push_tail(vmem_t *v, vmem_page_t *pg)
{
    partial_insert(v, pg, false);
}

static void fifo_remove(vmem_t *v, vmem_page_t *pg)
{
    SC_ASSERT(pg->on_fifo);
    if (pg->fprev)
        pg->fprev->fnext = pg->fnext;
    else
        v->fifo_head = pg->fnext;
    if (pg->fnext)
        pg->fnext->fprev = pg->fprev;
    else
        v->fifo_tail = pg->fprev;
    pg->fprev = pg->fnext = NULL;
    pg->on_fifo = false;
    v->fifo_pages -= pg->run;
}

static void fifo_push(vmem_t *v, vmem_page_t *pg)
{
    pg->fnext = NULL;
    pg->fprev = v->fifo_tail;
    if (v->fifo_tail)
        v->fifo_tail->fnext = pg;
    else
        v->fifo_head = pg;
    v->fifo_tail = pg;
    pg->on_fifo = true;
    pg->stamp = v->clock;
    v->fifo_pages += pg->run;
}

/* Marks pages [i, i + n) of r FREE (not dirty when given back). */
static void pages_free(vmem_region_t *r, size_t i, size_t n, bool dirty)
{
    for (size_t k = i; k < i + n; k++) {
        vmem_page_t *pg = &r->pages_[k];
        pg->state = VMEM_PG_FREE;
        pg->run = 1;
        pg->used = pg->slots = 0;
        pg->in_use = false;
        pg->dirty = dirty;
    }
    if (i < r->hint)
        r->hint = i;
}

#ifdef SC_EX_05_RELEASE
#include "05-release/release.c"
#else
// [give-back]
/* Gives the oldest FIFO entry back to the kernel: an empty small page or a
 * freed run, one madvise() for all of it.  Its pages become FREE.  With
 * VMEM_RELEASE_KEEP, or when madvise() fails, they stay resident (dirty)
 * but free for any use. */
static void give_back_oldest(vmem_t *v)
{
    vmem_page_t *pg = v->fifo_head;
    size_t n = pg->run, bytes = n << HP_SHIFT;
    fifo_remove(v, pg);
    if (pg->state == VMEM_PG_SMALL)
        partial_remove(v, pg);
    bool dirty = true;
    if (v->release != VMEM_RELEASE_KEEP) {
        int advice = v->release == VMEM_RELEASE_FREE ? MADV_FREE : MADV_DONTNEED;
        if (vmem_sys_advise(v, page_addr(pg), bytes, advice) == 0) {
            v->st.released += bytes;
            dirty = false;
        }
    }
    tool_undefined(page_addr(pg), bytes); /* free pages are no extent's: no stale poison */
    pages_free(pg->region, page_index(pg), n, dirty);
}

/* The hysteresis: the oldest waiting pages go back while too many wait or
 * the oldest has waited too long. */
static void decay(vmem_t *v)
{
    while (v->fifo_head && (v->fifo_pages > VMEM_KEEP_PAGES ||
                            v->clock - v->fifo_head->stamp > VMEM_DECAY_OPS))
        give_back_oldest(v);
}
// [give-back]
#endif

/* ---- reserving regions --------------------------------------------------- */

#ifdef SC_EX_05_RESERVE
#include "05-reserve/reserve.c"
#else
// [map-aligned]
/* Maps len bytes aligned to align (>= 2 MiB): maps len + align, then unmaps
 * the ends.  NULL if the kernel refuses. */
char *vmem_map_aligned(vmem_t *v, size_t len, size_t align)
{
    if (len > SIZE_MAX - align)
        return NULL;
    char *m = vmem_sys_map(v, len + align, PROT_READ | PROT_WRITE);
    if (!m)
        return NULL;
    char *a = align_ptr_down(m + align - 1, align);
    if (a > m)
        vmem_sys_unmap(v, m, (size_t)(a - m));
    size_t tail = (size_t)(m + len + align - (a + len));
    if (tail)
        vmem_sys_unmap(v, a + len, tail);
    return a;
}
// [map-aligned]
#endif

/* Reserves a region of len bytes (a multiple of 2 MiB) aligned to align;
 * NULL with errno ENOMEM if the kernel refuses it or its descriptors, or
 * EOPNOTSUPP if MADV_HUGEPAGE fails and THP is required (then the region
 * is undone: it is not what was asked; with VMEM_HUGE_AUTO it is kept, in
 * base pages). */
static vmem_region_t *region_new(vmem_t *v, size_t len, size_t align)
{
    size_t pages = len >> HP_SHIFT;
    size_t meta = align_up(sizeof(vmem_region_t) + pages * sizeof(vmem_page_t), VMEM_BASE_PAGE);
    vmem_region_t *r = vmem_sys_map(v, meta, PROT_READ | PROT_WRITE);
    char *base = r ? vmem_map_aligned(v, len, align < HP ? HP : align) : NULL;
    if (!base) {
        if (r)
            vmem_sys_unmap(v, r, meta);
        errno = ENOMEM;
        return NULL;
    }
    if (v->thp && vmem_sys_advise(v, base, len, MADV_HUGEPAGE) != 0 && v->thp_required) {
        vmem_sys_unmap(v, base, len);
        vmem_sys_unmap(v, r, meta);
        errno = EOPNOTSUPP;
        return NULL;
    }
    if (v->nohuge)
        (void)vmem_sys_advise(v, base, len, MADV_NOHUGEPAGE); /* a kernel without THP says EINVAL: no matter */
    /* The descriptors are left as the kernel maps them, zero: a zero
     * descriptor is a FREE, clean page, so reserving is O(1) whatever the
     * size, and a descriptor is written (and resident) only once its page
     * is used. */
    *r = (vmem_region_t){.next = v->regions, .base = base, .len = len, .pages = pages, .meta_bytes = meta};
    v->regions = r;
    v->st.reserved += len;
    v->st.regions++;
    return r;
}

/* ---- runs of pages ------------------------------------------------------- */

/* First run of n FREE pages in r whose address is a multiple of align;
 * its first index, or r->pages if none. */
static size_t run_find(vmem_region_t *r, size_t n, size_t align)
{
    size_t i = r->hint;
    while (i < r->pages && r->pages_[i].state != VMEM_PG_FREE)
        i++;
    r->hint = i; /* nothing FREE below i */
    while (i + n <= r->pages) {
        uintptr_t at = (uintptr_t)r->base + (i << HP_SHIFT);
        if (at & (align - 1)) {
            i += (align_up(at, align) - at) >> HP_SHIFT;
            continue;
        }
        size_t k = 0;
        while (k < n && r->pages_[i + k].state == VMEM_PG_FREE)
            k++;
        if (k == n)
            return i;
        i += k + 1;
    }
    return r->pages;
}

/* Marks pages [i, i + n) of r as a run in use; returns its first page. */
static vmem_page_t *run_take(vmem_region_t *r, size_t i, size_t n)
{
    vmem_page_t *pg = &r->pages_[i];
    for (size_t k = 0; k < n; k++) {
        pg[k].region = r;
        pg[k].state = VMEM_PG_RUN_TAIL;
    }
    if (i + n > r->top)
        r->top = i + n;
    pg->state = VMEM_PG_RUN;
    pg->run = (uint32_t)n;
    pg->in_use = true;
    return pg;
}

/* A freed run of exactly n pages at a multiple of align, from the FIFO. */
static vmem_page_t *run_reuse(vmem_t *v, size_t n, size_t align)
{
    for (vmem_page_t *pg = v->fifo_head; pg; pg = pg->fnext)
        if (pg->state == VMEM_PG_RUN && pg->run == n && align_ptr_is(page_addr(pg), align)) {
            fifo_remove(v, pg);
            pg->in_use = true;
            return pg;
        }
    return NULL;
}

/* n FREE pages at a multiple of align: from the regions held, else from
 * the FIFO's pages given back, else from a new region (of its own when n
 * pages are more than a region).  NULL if the kernel refuses. */
static vmem_page_t *run_new(vmem_t *v, size_t n, size_t align)
{
    for (int pass = 0; pass < 2; pass++) {
        for (vmem_region_t *r = v->regions; r; r = r->next) {
            size_t i = run_find(r, n, align);
            if (i < r->pages)
                return run_take(r, i, n);
        }
        if (!v->fifo_head)
            break;
        while (v->fifo_head) /* waiting pages may be what is in the way */
            give_back_oldest(v);
    }
    size_t len = n << HP_SHIFT;
    vmem_region_t *r = region_new(v, len > v->reserve ? len : v->reserve, align);
    return r ? run_take(r, 0, n) : NULL;
}

/* ---- small extents -------------------------------------------------------- */

/* Makes FREE (or reused) page pg a SMALL page of class cls, all free. */
static void small_page_init(vmem_t *v, vmem_page_t *pg, unsigned cls)
{
    size_t slots = HP / vmem_class_size(cls);
    pg->state = VMEM_PG_SMALL;
    pg->cls = (uint8_t)cls;
    pg->slots = (uint16_t)slots;
    pg->used = 0;
    pg->run = 1;
    memset(pg->free, 0, sizeof pg->free);
    for (size_t w = 0; w < slots / 64; w++)
        pg->free[w] = ~(uint64_t)0;
    if (slots % 64)
        pg->free[slots / 64] = ((uint64_t)1 << (slots % 64)) - 1;
    partial_push_head(v, pg);
}

/* A page for class cls: an empty small page waiting on the FIFO (resident,
 * so no fault and no system call), else a FREE page, else NULL. */
static vmem_page_t *small_page_new(vmem_t *v, unsigned cls)
{
    vmem_page_t *pg = v->fifo_head;
    while (pg && pg->state != VMEM_PG_SMALL)
        pg = pg->fnext;
    if (pg) {
        fifo_remove(v, pg);
        partial_remove(v, pg);
    } else if (!(pg = run_new(v, 1, HP))) {
        return NULL;
    } else {
        pg->in_use = false;
    }
    small_page_init(v, pg, cls);
    return pg;
}

// [small]
/* An extent of class cls: the first free one of the class's first page
 * with room.  O(1): a scan of at most 8 bitmap words. */
static char *small_acquire(vmem_t *v, unsigned cls)
{
    vmem_page_t *pg = v->partial[cls];
    if (!pg && !(pg = small_page_new(v, cls)))
        return NULL;
    if (pg->on_fifo) /* an empty page, taken back before it went */
        fifo_remove(v, pg);
    size_t w = 0;
    while (pg->free[w] == 0)
        w++;
    size_t i = w * 64 + (size_t)__builtin_ctzll(pg->free[w]);
    pg->free[w] &= pg->free[w] - 1;
    if (++pg->used == pg->slots)
        partial_remove(v, pg);
    pg->dirty = true;
    return page_addr(pg) + i * vmem_class_size(cls);
}

/* Gives back the extent at addr in small page pg; false (nothing changed)
 * if addr is not a handed-out extent of it. */
static bool small_release(vmem_t *v, vmem_page_t *pg, const char *addr)
{
    size_t size = vmem_class_size(pg->cls), off = (size_t)(addr - page_addr(pg));
    size_t i = off / size;
    if (off % size || i >= pg->slots || (pg->free[i / 64] >> (i % 64) & 1))
        return false;
    pg->free[i / 64] |= (uint64_t)1 << (i % 64);
    if (pg->used-- == pg->slots)
        partial_push_head(v, pg);
    if (pg->used == 0) { /* empty: last of its class's pages, and onto the FIFO */
        partial_remove(v, pg);
        partial_push_tail(v, pg);
        fifo_push(v, pg);
    }
    return true;
}
// [small]

/* ---- the page source ------------------------------------------------------ */

static void populate(char *p, size_t n)
{
    for (size_t k = 0; k < n; k += VMEM_BASE_PAGE)
        ((volatile char *)p)[k] = 0;
}

// [acquire]
/* The class for size bytes aligned to align, or VMEM_CLASSES if the
 * extent must be a run: the smallest class that holds size and whose size
 * is a multiple of align (every class of a power of two is). */
static unsigned class_for(size_t size, size_t align)
{
    if (size > VMEM_SMALL_MAX || align > VMEM_SMALL_MAX)
        return VMEM_CLASSES;
    unsigned c = vmem_class_of(size);
    while (c < VMEM_CLASSES && vmem_class_size(c) % align)
        c++;
    return c;
}

static void *vmem_acquire(void *ctx, size_t size, size_t align)
{
    vmem_t *v = ctx;
    if (size == 0 || !align_is_pow2(align)) {
        errno = EINVAL;
        return NULL;
    }
    if ((v->max_bytes && size > v->max_bytes - v->st.committed) || size > PTRDIFF_MAX) {
        errno = ENOMEM;
        return NULL;
    }
    v->clock++;
    unsigned cls = class_for(size, align);
    char *p;
    if (cls < VMEM_CLASSES) {
        p = small_acquire(v, cls);
    } else {
        size_t n = align_up(size, HP) >> HP_SHIFT, a = align < HP ? HP : align;
        vmem_page_t *pg = run_reuse(v, n, a);
        if (!pg && (pg = run_new(v, n, a)))
            for (size_t k = 0; k < n; k++)
                pg[k].dirty = true;
        p = pg ? page_addr(pg) : NULL;
    }
    if (!p) {
        errno = ENOMEM;
        return NULL;
    }
    v->st.committed += size;
    if (v->st.committed > v->st.peak_committed)
        v->st.peak_committed = v->st.committed;
    tool_undefined(p, size); /* before populate() writes it: a reused extent is still poisoned */
    if (v->populate)
        populate(p, size);
    decay(v);
    return p;
}
// [acquire]

static void report(const void *addr, const char *kind, const char *message)
{
    misuse_report(&(misuse_report_t){.allocator = "vmem", .kind = kind, .addr = addr, .message = message});
}

// [release]
static void vmem_release(void *ctx, void *addr, size_t size)
{
    vmem_t *v = ctx;
    vmem_region_t *r = region_of(v, addr);
    if (!r) {
        report(addr, "foreign-extent", "released an address that is in none of this source's regions");
        return;
    }
    vmem_page_t *pg = &r->pages_[((size_t)((char *)addr - r->base)) >> HP_SHIFT];
    bool ok;
    if (pg->state == VMEM_PG_SMALL) {
        ok = size <= vmem_class_size(pg->cls) && small_release(v, pg, addr);
    } else {
        ok = pg->state == VMEM_PG_RUN && pg->in_use && (char *)addr == page_addr(pg) &&
             align_up(size, HP) >> HP_SHIFT == pg->run;
        if (ok) {
            pg->in_use = false;
            fifo_push(v, pg);
        }
    }
    if (!ok) {
        report(addr, "bad-release", "released an address or size that is not an extent handed out");
        return;
    }
    /* the whole extent, not just size bytes: ASan poisons in 8-byte
     * granules and cannot forbid the first bytes of a granule whose rest
     * is allowed, so a released 1-byte extent would stay readable */
    tool_noaccess(addr, pg->state == VMEM_PG_SMALL ? vmem_class_size(pg->cls) : (size_t)pg->run << HP_SHIFT);
    v->clock++;
    v->st.committed -= size;
    decay(v);
}
// [release]

/* ---- init and destroy ----------------------------------------------------- */

/* Resolves cfg->huge against what the kernel offers; 0 or -EOPNOTSUPP. */
static int choose_huge(vmem_t *v, enum vmem_huge huge)
{
    int mode = vmem_thp_mode(NULL);
    /* LCOV_EXCL_START: only a kernel without THP (or with enabled = never)
     * comes here; the machines that measure coverage have THP */
    if (huge == VMEM_HUGE_THP && mode != 1)
        return -EOPNOTSUPP;
    /* LCOV_EXCL_STOP */
    v->thp = huge != VMEM_HUGE_OFF && mode == 1;
    v->thp_required = huge == VMEM_HUGE_THP;
    v->nohuge = huge == VMEM_HUGE_OFF && mode >= 0;
    return 0;
}

int vmem_init(vmem_t *v, const vmem_config_t *cfg)
{
    if (!v)
        return -EINVAL;
    memset(v, 0, sizeof *v);
    if (!cfg || (unsigned)cfg->huge > VMEM_HUGE_THP || (unsigned)cfg->release > VMEM_RELEASE_KEEP)
        return -EINVAL;
    int rc = choose_huge(v, cfg->huge);
    if (rc)
        return rc; /* LCOV_EXCL_LINE: VMEM_HUGE_THP on a kernel without THP only */
    v->os = cfg->os ? *cfg->os : vmem_os_real;
    v->max_bytes = cfg->max_bytes;
    v->populate = cfg->populate;
    v->release = cfg->release;
    size_t want = cfg->reserve ? cfg->reserve : VMEM_DEFAULT_RESERVE;
    if (want > SIZE_MAX / 2)
        want = SIZE_MAX / 2;
    v->reserve = align_up(want, HP);
    /* the kernel (overcommit_memory = 2, ulimit -v) may refuse a big
     * reservation: halve it until it is accepted, down to one 2 MiB page */
    while (!region_new(v, v->reserve, HP)) {
        if (v->reserve == HP || errno == EOPNOTSUPP) {
            rc = errno == EOPNOTSUPP ? -EOPNOTSUPP : -ENOMEM;
            memset(v, 0, sizeof *v);
            return rc;
        }
        v->reserve = align_up(v->reserve / 2, HP);
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    v->minflt_at_init = ru.ru_minflt;
    v->source = (page_source_t){.acquire = vmem_acquire, .release = vmem_release, .ctx = v, .name = "vmem"};
    return 0;
}

const page_source_t *vmem_source(vmem_t *v)
{
    return v ? &v->source : NULL;
}

void vmem_stats(const vmem_t *v, vmem_stats_t *out)
{
    if (!out)
        return;
    if (!v) {
        memset(out, 0, sizeof *out);
        return;
    }
    *out = v->st;
}

void vmem_destroy(vmem_t *v)
{
    if (!v)
        return;
    for (vmem_region_t *r = v->regions, *next; r; r = next) {
        next = r->next;
        for (size_t i = 0; i < r->top; i++) /* no poison outlives the mapping */
            if (r->pages_[i].state != VMEM_PG_FREE || r->pages_[i].dirty)
                tool_undefined(r->base + (i << HP_SHIFT), HP);
        vmem_sys_unmap(v, r->base, r->len);
        vmem_sys_unmap(v, r, r->meta_bytes);
    }
    memset(v, 0, sizeof *v);
}

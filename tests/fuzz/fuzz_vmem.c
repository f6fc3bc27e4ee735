/*
 * fuzz_vmem.c - libFuzzer target for stage 05: three vmem sources, each with
 * its own policies, driven by the operations the input encodes and checked
 * against a model.
 *
 * The sources make their system calls through a vmem_os_t of this file: real
 * mmap, munmap and madvise, counted, and refused on demand (a map after N
 * more, the release advices, the MADV_HUGEPAGE advice).  It also keeps the
 * bytes mapped and not unmapped, so that a region or a trimmed end that
 * leaks shows at the end of the run.
 *
 * Input.  Two header bytes b, c configure source 0 (as below).  Then one
 * byte per operation, its high nibble the operation and its low nibble n a
 * parameter; some read more bytes (b, c; missing bytes read 0):
 *   0-3  acquire 1 + (n << 8 | b) << (0, 4, 8, 11) bytes (up to 4 KiB,
 *        64 KiB, 1 MiB, 8 MiB) aligned to 1 << c % 24
 *   4    acquire (1 + n) * 4 KiB << b % 8 bytes (class and page edges)
 *        aligned to 1 << c % 24
 *   5    release live extent b of the current source
 *   6    release every (2 + n % 3)-th live extent of the current source
 *   7    1 + n acquisitions of 4 KiB << b % 9 bytes (fills pages)
 *   8    verify the bytes of every extent of every source
 *   9    n < 8: a map fails after n more; else maps succeed again
 *   A    bit 0: the release advices fail; bit 1: MADV_HUGEPAGE fails
 *   B    misuse: n odd: release an address of no region; n even: live
 *        extent b with a wrong size, or 64 bytes into it (b odd)
 *   C    make source n % 3 current; if it is down, init it from b and c
 *   D    destroy the current source and init it again from b and c
 *   E    release every extent of the current source
 *   F    vmem_residency() of the current source
 * A source's configuration from b and c:
 *   huge = b % 3, release = b / 3 % 3, populate = b / 9 & 1,
 *   reserve = (1 + c % 16) * 2 MiB (c = 0xFF: 0, the default 1 GiB),
 *   max_bytes = c >> 4 ? (c >> 4) * 3 MiB + 20 KiB + 7 : 0.
 *
 * The model keeps every live extent of every source with its size and the
 * seed of its bytes (its first and last 256 bytes are stamped).  An
 * acquisition must fail (ENOMEM, nothing changed, no system call) exactly
 * when it would pass max_bytes; otherwise it may fail only when a map or a
 * required MADV_HUGEPAGE was refused during the call.  A success must be
 * aligned to the alignment asked and to 4 KiB (2 MiB above 1 MiB), and
 * overlap no live extent of any source.  After every operation each
 * source's committed and peak_committed equal the model's; syscalls grew by
 * exactly the calls the os saw; released grew by exactly the bytes of the
 * release advices that succeeded (never with VMEM_RELEASE_KEEP).  A misuse
 * is reported once and changes nothing.  At the end every source is
 * destroyed (zeroed) and every byte mapped is unmapped.  Any failure prints
 * what broke and aborts, which libFuzzer records as a crash.
 */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "fuzz_input.h"
#include "misuse.h"
#include "vmem.h"
#include "vmem_internal.h" /* vmem_thp_mode(): what the kernel offers */

#define REQUIRE_FAILED(text, msg) fz_fail(__LINE__, text, msg)
#include "require.h"
#include "rng.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_SOURCES 3
#define FZ_MAX_LIVE 512                      /* extents per source; more acquisitions are skipped */
#define FZ_MAX_COMMITTED ((size_t)192 << 20) /* over all sources; more acquisitions are skipped */
#define FZ_STAMP 256                         /* bytes stamped at each end of an extent */
#define MIB ((size_t)1 << 20)

/* ---- the system calls ---------------------------------------------------------- */

typedef struct fz_os {
    size_t calls;           /* map, unmap and advise calls */
    long map_fail_after;    /* maps left before they fail; < 0 = never */
    size_t maps_refused;
    bool fail_release;      /* MADV_DONTNEED and MADV_FREE fail */
    bool fail_huge;         /* MADV_HUGEPAGE fails */
    size_t huge_refused;
    size_t released;        /* bytes of release advices that succeeded */
    size_t mapped;          /* bytes mapped and not unmapped */
} fz_os_t;

static fz_os_t os;

static void *os_map(size_t len, int prot)
{
    os.calls++;
    if (os.map_fail_after == 0) {
        os.maps_refused++;
        return NULL;
    }
    if (os.map_fail_after > 0)
        os.map_fail_after--;
    void *p = mmap(NULL, len, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    os.mapped += len;
    return p;
}

static int os_unmap(void *addr, size_t len)
{
    os.calls++;
    int rc = munmap(addr, len);
    if (rc == 0)
        os.mapped -= len;
    return rc;
}

static int os_advise(void *addr, size_t len, int advice)
{
    os.calls++;
    bool release = advice == MADV_DONTNEED || advice == MADV_FREE;
    if ((release && os.fail_release) || (advice == MADV_HUGEPAGE && os.fail_huge)) {
        os.huge_refused += advice == MADV_HUGEPAGE;
        errno = EAGAIN;
        return -1;
    }
    int rc = madvise(addr, len, advice);
    if (rc == 0 && release)
        os.released += len;
    return rc;
}

static const vmem_os_t fz_vmem_os = {.map = os_map, .unmap = os_unmap, .advise = os_advise};

/* ---- the model ---------------------------------------------------------------- */

typedef struct fz_ext {
    char *p;
    size_t size;
    uint64_t seed;
} fz_ext_t;

typedef struct fz_src {
    vmem_t v;
    vmem_config_t cfg;
    bool up;
    fz_ext_t live[FZ_MAX_LIVE];
    size_t n_live;
    size_t committed, peak;
} fz_src_t;

typedef struct fz_state {
    fz_src_t src[FZ_SOURCES];
    unsigned cur;
    size_t committed;       /* over all sources */
    size_t misuse_seen, misuse_expected;
    size_t op;
    uint64_t seeds;
} fz_state_t;

static fz_state_t st;

static _Noreturn void fz_fail(int line, const char *cond, const char *msg)
{
    const fz_src_t *s = &st.src[st.cur];
    fprintf(stderr, "fuzz_vmem: operation %zu: %s (%s, line %d)\n"
            "  source %u: huge %d, release %d, populate %d, reserve %zu, max_bytes %zu; "
            "%zu live extents, %zu bytes\n",
            st.op, msg, cond, line, st.cur, (int)s->cfg.huge, (int)s->cfg.release,
            (int)s->cfg.populate, s->cfg.reserve, s->cfg.max_bytes, s->n_live, s->committed);
    fflush(stderr);
    abort();
}

static void fz_on_misuse(const misuse_report_t *r, void *ctx)
{
    (void)ctx;
    REQUIRE(strcmp(r->allocator, "vmem") == 0, "misuse reported by another allocator");
    REQUIRE(strcmp(r->kind, "bad-release") == 0 || strcmp(r->kind, "foreign-extent") == 0,
            "misuse reported with an unknown kind");
    st.misuse_seen++;
}

/* Bytes stamped at the head of an extent of size bytes; the tail stamp
 * takes up to FZ_STAMP of the rest. */
static size_t head_of(size_t size)
{
    return size < FZ_STAMP ? size : FZ_STAMP;
}

static size_t tail_of(size_t size)
{
    return head_of(size - head_of(size));
}

static void stamp(const fz_ext_t *e)
{
    size_t h = head_of(e->size), t = tail_of(e->size);
    rng_stamp(e->p, h, e->seed);
    rng_stamp(e->p + e->size - t, t, ~e->seed);
}

static void verify_ext(const fz_ext_t *e)
{
    size_t h = head_of(e->size), t = tail_of(e->size);
    REQUIRE(rng_stamp_damage(e->p, h, e->seed) == h, "the head of a live extent changed");
    REQUIRE(rng_stamp_damage(e->p + e->size - t, t, ~e->seed) == t, "the tail of a live extent changed");
}

static void verify_all(void)
{
    for (unsigned k = 0; k < FZ_SOURCES; k++)
        for (size_t i = 0; i < st.src[k].n_live; i++)
            verify_ext(&st.src[k].live[i]);
}

/* The source's counters agree with the model. */
static void agree(const fz_src_t *s)
{
    if (!s->up)
        return;
    vmem_stats_t vs;
    vmem_stats(&s->v, &vs);
    REQUIRE(vs.committed == s->committed, "committed differs from the model");
    REQUIRE(vs.peak_committed == s->peak, "peak_committed differs from the model");
    REQUIRE(vs.regions >= 1 && vs.reserved % VMEM_HUGE_PAGE == 0, "reserved is not whole 2 MiB pages");
    REQUIRE(vs.reserved >= vs.committed, "more committed than reserved");
    REQUIRE(!s->cfg.max_bytes || vs.committed <= s->cfg.max_bytes, "committed passed max_bytes");
    if (s->cfg.release == VMEM_RELEASE_KEEP)
        REQUIRE(vs.released == 0, "VMEM_RELEASE_KEEP gave memory back");
    REQUIRE(st.misuse_seen == st.misuse_expected, "misuse reports differ from the misuse done");
}

/* What an operation on source s may change: the counters before it. */
typedef struct fz_before {
    vmem_stats_t vs;
    size_t calls, released, maps_refused, huge_refused;
} fz_before_t;

static fz_before_t before(const fz_src_t *s)
{
    fz_before_t b = {.calls = os.calls, .released = os.released, .maps_refused = os.maps_refused,
                     .huge_refused = os.huge_refused};
    vmem_stats(&s->v, &b.vs);
    return b;
}

/* After an operation on source s: its system calls and releases are the
 * ones the os saw. */
static void accounted(const fz_src_t *s, const fz_before_t *b)
{
    vmem_stats_t vs;
    vmem_stats(&s->v, &vs);
    REQUIRE(vs.syscalls - b->vs.syscalls == os.calls - b->calls, "syscalls differs from the calls made");
    REQUIRE(vs.released - b->vs.released == os.released - b->released,
            "released differs from the bytes the kernel took back");
    REQUIRE(vs.released >= b->vs.released && vs.reserved >= b->vs.reserved,
            "released or reserved went down");
}

/* ---- operations ---------------------------------------------------------------- */

static void do_acquire(size_t size, size_t align)
{
    fz_src_t *s = &st.src[st.cur];
    if (!s->up || s->n_live == FZ_MAX_LIVE || size > FZ_MAX_COMMITTED - st.committed)
        return;
    const page_source_t *ps = vmem_source(&s->v);
    fz_before_t b = before(s);
    bool over = s->cfg.max_bytes && size > s->cfg.max_bytes - s->committed;
    errno = 0;
    char *p = ps->acquire(ps->ctx, size, align);
    accounted(s, &b);
    if (over) {
        REQUIRE(p == NULL && errno == ENOMEM, "an acquisition past max_bytes did not fail with ENOMEM");
        REQUIRE(os.calls == b.calls, "an acquisition past max_bytes made a system call");
        return;
    }
    if (!p) {
        REQUIRE(errno == ENOMEM, "a failed acquisition did not say ENOMEM");
        REQUIRE(os.maps_refused > b.maps_refused ||
                    (s->cfg.huge == VMEM_HUGE_THP && os.huge_refused > b.huge_refused),
                "an acquisition failed though the kernel refused nothing");
        return;
    }
    REQUIRE(((uintptr_t)p & (align - 1)) == 0, "an extent is not aligned as asked");
    REQUIRE(((uintptr_t)p & (VMEM_BASE_PAGE - 1)) == 0, "an extent does not start a base page");
    if (size > VMEM_SMALL_MAX)
        REQUIRE(((uintptr_t)p & (VMEM_HUGE_PAGE - 1)) == 0, "a run is not 2 MiB-aligned");
    for (unsigned k = 0; k < FZ_SOURCES; k++)
        for (size_t i = 0; i < st.src[k].n_live; i++) {
            const fz_ext_t *e = &st.src[k].live[i];
            REQUIRE(p + size <= e->p || e->p + e->size <= p, "a new extent overlaps a live one");
        }
    fz_ext_t *e = &s->live[s->n_live++];
    *e = (fz_ext_t){.p = p, .size = size, .seed = ++st.seeds * RNG_GAMMA};
    stamp(e);
    s->committed += size;
    st.committed += size;
    if (s->committed > s->peak)
        s->peak = s->committed;
}

static void do_release(fz_src_t *s, size_t i)
{
    fz_ext_t e = s->live[i];
    verify_ext(&e);
    s->live[i] = s->live[--s->n_live];
    const page_source_t *ps = vmem_source(&s->v);
    fz_before_t b = before(s);
    ps->release(ps->ctx, e.p, e.size);
    accounted(s, &b);
    REQUIRE(!os.fail_release || os.released == b.released, "a failed advice was counted as released");
    s->committed -= e.size;
    st.committed -= e.size;
}

static void do_misuse(unsigned n, uint8_t b)
{
    fz_src_t *s = &st.src[st.cur];
    if (!s->up)
        return;
    const page_source_t *ps = vmem_source(&s->v);
    char *addr;
    size_t size;
    if (n & 1 || s->n_live == 0) {
        static char not_an_extent[64];
        addr = not_an_extent;
        size = sizeof not_an_extent;
    } else {
        const fz_ext_t *e = &s->live[b % s->n_live];
        addr = (b & 1) ? e->p + 64 : e->p;
        size = (b & 1) ? 64 : e->size + VMEM_HUGE_PAGE; /* a size no extent at e->p has */
    }
    fz_before_t bf = before(s);
    st.misuse_expected++;
    ps->release(ps->ctx, addr, size);
    accounted(s, &bf);
    REQUIRE(st.misuse_seen == st.misuse_expected, "a bad release was not reported once");
    REQUIRE(os.calls == bf.calls, "a bad release made a system call");
}

static bool zeroed(const vmem_t *v)
{
    const unsigned char *b = (const unsigned char *)v;
    for (size_t i = 0; i < sizeof *v; i++)
        if (b[i])
            return false;
    return true;
}

static void src_init(fz_src_t *s, uint8_t b, uint8_t c)
{
    s->cfg = (vmem_config_t){.huge = (enum vmem_huge)(b % 3), .release = (enum vmem_release)(b / 3 % 3),
                             .populate = (b / 9) & 1, .os = &fz_vmem_os};
    s->cfg.reserve = c == 0xFF ? 0 : (1 + (size_t)(c % 16)) * VMEM_HUGE_PAGE;
    s->cfg.max_bytes = (c >> 4) ? (size_t)(c >> 4) * 3 * MIB + 20 * 1024 + 7 : 0;
    s->n_live = s->committed = s->peak = 0;
    size_t mapped = os.mapped, refused = os.maps_refused, huge_refused = os.huge_refused;
    int rc = vmem_init(&s->v, &s->cfg);
    s->up = rc == 0;
    if (rc == 0) {
        REQUIRE(vmem_source(&s->v) != NULL, "an initialised source has no page source");
        return;
    }
    REQUIRE(zeroed(&s->v), "a failed vmem_init did not zero the vmem_t");
    REQUIRE(os.mapped == mapped, "a failed vmem_init left something mapped");
    if (rc == -ENOMEM)
        REQUIRE(os.maps_refused > refused, "vmem_init said -ENOMEM though no map was refused");
    else
        REQUIRE(rc == -EOPNOTSUPP && s->cfg.huge == VMEM_HUGE_THP, "vmem_init failed with an unknown error");
    if (rc == -EOPNOTSUPP)
        REQUIRE(os.huge_refused > huge_refused || vmem_thp_mode(NULL) != 1,
                "vmem_init said -EOPNOTSUPP though the kernel has THP and took the advice");
}

static void src_destroy(fz_src_t *s)
{
    if (!s->up)
        return;
    for (size_t i = 0; i < s->n_live; i++)
        verify_ext(&s->live[i]);
    st.committed -= s->committed;
    vmem_destroy(&s->v);
    REQUIRE(zeroed(&s->v), "vmem_destroy did not zero the vmem_t");
    vmem_destroy(&s->v); /* a no-op */
    s->up = false;
    s->n_live = s->committed = s->peak = 0;
}

static void run_op(fz_input_t *in, uint8_t op)
{
    unsigned n = op & 0x0F;
    fz_src_t *s = &st.src[st.cur];
    switch (op >> 4) {
    case 0: case 1: case 2: case 3: {
        static const unsigned shift[4] = {0, 4, 8, 11};
        size_t size = 1 + ((((size_t)n << 8) | in_byte(in)) << shift[op >> 4]);
        do_acquire(size, (size_t)1 << (in_byte(in) % 24));
        break;
    }
    case 4: {
        size_t size = ((size_t)1 + n) * VMEM_BASE_PAGE << (in_byte(in) % 8);
        do_acquire(size, (size_t)1 << (in_byte(in) % 24));
        break;
    }
    case 5: {
        uint8_t b = in_byte(in);
        if (s->up && s->n_live)
            do_release(s, b % s->n_live);
        break;
    }
    case 6:
        for (size_t k = s->n_live; k-- > 0;)
            if (k < s->n_live && k % (2 + n % 3) == 0)
                do_release(s, k);
        break;
    case 7: {
        size_t size = VMEM_BASE_PAGE << (in_byte(in) % 9);
        for (unsigned i = 0; i <= n; i++)
            do_acquire(size, 1);
        break;
    }
    case 8:
        verify_all();
        break;
    case 9:
        os.map_fail_after = n < 8 ? (long)n : -1;
        break;
    case 10:
        os.fail_release = n & 1;
        os.fail_huge = n & 2;
        break;
    case 11:
        do_misuse(n, in_byte(in));
        break;
    case 12: {
        uint8_t b = in_byte(in), c = in_byte(in);
        st.cur = n % FZ_SOURCES;
        if (!st.src[st.cur].up)
            src_init(&st.src[st.cur], b, c);
        break;
    }
    case 13: {
        uint8_t b = in_byte(in), c = in_byte(in);
        src_destroy(s);
        src_init(s, b, c);
        break;
    }
    case 14:
        while (s->n_live)
            do_release(s, s->n_live - 1);
        if (s->up) {
            vmem_stats_t vs;
            vmem_stats(&s->v, &vs);
            REQUIRE(vs.committed == 0, "committed is not 0 with every extent released");
        }
        break;
    default:
        if (s->up) {
            vmem_residency_t r;
            REQUIRE(vmem_residency(&s->v, &r) == 0, "vmem_residency failed");
            REQUIRE(r.anon_huge <= r.rss + VMEM_BASE_PAGE, "more in huge pages than resident");
        }
        break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_input_t in = {data, size, 0};
    memset(&st, 0, sizeof st);
    os = (fz_os_t){.map_fail_after = -1};
    misuse_set_handler(fz_on_misuse, NULL);
    uint8_t b = in_byte(&in), c = in_byte(&in);
    src_init(&st.src[0], b, c);
    while (in.pos < in.size) {
        run_op(&in, in_byte(&in));
        st.op++;
        for (unsigned k = 0; k < FZ_SOURCES; k++)
            agree(&st.src[k]);
    }
    verify_all();
    os = (fz_os_t){.map_fail_after = -1, .mapped = os.mapped};
    for (unsigned k = 0; k < FZ_SOURCES; k++)
        src_destroy(&st.src[k]);
    misuse_set_handler(NULL, NULL);
    REQUIRE(os.mapped == 0, "bytes mapped by the sources were never unmapped");
    return 0;
}

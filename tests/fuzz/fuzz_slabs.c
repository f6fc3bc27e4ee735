/*
 * fuzz_slabs.c - libFuzzer target for stage 02: one slab allocator, driven
 * by the operations the input encodes, checked against a model.
 *
 * Input.  Six header bytes choose the configuration:
 *   h0  max_size  = 64 << (h0 % 6)                    (64 .. 2048 bytes)
 *       min_size  = 16 * (1 + (h0 >> 4) % 4), at most max_size
 *   h1  h1 < 0xC0: growth = 1.01 + (h1 % 48) / 16     (1.01 .. 3.95)
 *       else an explicit list: 16 * k for each bit k - 1 set in
 *       (h1 & 0x3F) + 1, k in 1..6 and below max_size, then max_size
 *   h2  slab_size = 0 (the default) if h2 & 0x80, else the smallest power of
 *       two >= max(2 * max_size, 1024), times 1 << (h2 % 4)
 *   h3  flags: bit 0 SLABS_ZERO, bit 1 SLABS_CHECKED, bit 2 SLABS_STATS
 *   h4  max_bytes: 0 = none, else the metadata, one descriptor block,
 *       1 + h4 % 16 slabs and 1 + h4 / 16 KiB
 *   h5  the source fails after (h5 - 1) % 32 acquisitions past init; 0 = never
 * Then one byte per operation, its high nibble the operation and its low
 * nibble n a parameter; some read more bytes (b, c; missing bytes read as 0):
 *   0-3  alloc 1 + ((op & 0x3F) << 8 | b) % (2 * max_size) bytes
 *   4    alloc 1 + n objects of 1 + b % 64 bytes
 *   5    free slot b                   9  trim(n % 3)
 *   6    free oldest, 1 + n times      A  clock += n * 1000; trim_idle(b * 100)
 *   7    free newest, 1 + n times      B  n = 0: reset; else verify every object
 *   8    realloc slot b to 1 + (n << 8 | c) % (2 * max_size) bytes
 *   C    slabs_check() and verify every object
 *   D    source: n < 8 fails after n more acquisitions, else it recovers
 *   E    n < 8 or unchecked: usable size and class of slot b; n >= 8 with
 *        SLABS_CHECKED: misuse of slot b (n even: free it twice; odd: free
 *        a pointer 16 bytes into it), which must be reported exactly once
 *   F    free every (2 + n % 3)-th object
 *
 * The model keeps every live object with its requested size and a stamp:
 * every byte is written from the stamp when the object is allocated (or
 * reallocated) and verified before it is freed, so an overlap or a stray
 * write shows.  After every operation the counters must agree with the model
 * and with the counting source; slabs_check() must be 0 every FZ_CHECK_EVERY
 * operations and after every failure, reset, trim and misuse.  A failed
 * allocation must be NULL with ENOMEM, only when no free chunk of its class
 * existed (or it was a large object); a failed realloc leaves the object as
 * it was.  slabs_destroy() must give every byte back.  Any failure prints
 * what broke and aborts, which libFuzzer records as a crash.
 */
#include <errno.h>
#include <stdalign.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "failing_source.h"
#include "fuzz_input.h"
#include "misuse.h"
#include "slabs.h"

/* A REQUIRE that fails prints what broke and aborts (fz_fail()), which
 * libFuzzer records as a crash. */
#define REQUIRE_FAILED(text, msg) fz_fail(__LINE__, text, msg)
#include "require.h"
#include "rng.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_MAX_LIVE 4096   /* objects the model tracks; more allocs are skipped */
#define FZ_CHECK_EVERY 32  /* operations between two slabs_check() calls */


/* One live object of the model. */
typedef struct fz_obj {
    unsigned char *ptr; /* what slabs_alloc() or slabs_realloc() returned */
    size_t size;        /* bytes requested, all stamped */
    uint64_t stamp;     /* seeds the byte pattern */
} fz_obj_t;

/* Everything one run uses; static because it is large. */
typedef struct fz_state {
    slabs_t s;                   /* the allocator under test */
    failing_source_t fs;         /* counts bytes, fails on demand */
    slabs_config_t cfg;          /* the configuration from the header */
    size_t classes[8];           /* explicit class list, if any */
    fz_obj_t objs[FZ_MAX_LIVE];  /* live objects, oldest first */
    size_t n;                    /* live objects */
    size_t requested;            /* sum of counted(size) over them */
    uint64_t next_stamp;         /* stamp for the next object */
    uint64_t clock_ns;           /* the fake clock */
    size_t misuse_seen;          /* reports received by fz_on_misuse() */
    size_t misuse_expected;      /* reports the run has provoked */
    const char *misuse_kind;     /* kind of the last report */
    size_t op;                   /* index of the operation running */
} fz_state_t;

static fz_state_t st;

static _Noreturn void fz_fail(int line, const char *cond, const char *msg)
{
    fprintf(stderr, "fuzz_slabs: operation %zu: %s (%s, line %d)\n"
            "  config: min %zu, max %zu, growth %g, n_sizes %zu, slab %zu, max_bytes %zu,"
            " flags %u; live %zu\n", st.op, msg, cond, line, st.cfg.min_size,
            st.cfg.max_size, st.cfg.growth, st.cfg.n_sizes, st.cfg.slab_size,
            st.cfg.max_bytes, st.cfg.flags, st.n);
    fflush(stderr);
    abort();
}

static uint64_t fz_now(void)
{
    return st.clock_ns;
}

/* Counts reports instead of aborting (misuse is provoked on purpose). */
static void fz_on_misuse(const misuse_report_t *r, void *ctx)
{
    (void)ctx;
    st.misuse_seen++;
    st.misuse_kind = r->kind;
}

/* ---- the model ----------------------------------------------------------- */

static void verify(size_t k)
{
    REQUIRE(rng_stamp_damage(st.objs[k].ptr, st.objs[k].size, st.objs[k].stamp) == st.objs[k].size,
            "a live object lost its content");
}

static void verify_all(void)
{
    for (size_t k = 0; k < st.n; k++)
        verify(k);
}

/* What live_requested_bytes counts for an object of size bytes: the size
 * when requested sizes are tracked or the object is large, else its chunk
 * size (slabs.h). */
static size_t counted(size_t size)
{
    size_t cls = slabs_class_of(&st.s, size);
    if ((st.cfg.flags & (SLABS_ZERO | SLABS_CHECKED | SLABS_STATS)) || cls == slabs_class_count(&st.s))
        return size;
    slabs_class_stats_t cs;
    REQUIRE(slabs_class_stats(&st.s, cls, &cs) == 0, "class_stats failed");
    return cs.chunk_size;
}

/* The counters agree with the model and with the counting source. */
static void agree(void)
{
    slabs_stats_t ss;
    slabs_stats(&st.s, &ss);
    REQUIRE(ss.live_objects == st.n, "live_objects differs from the model");
    REQUIRE(ss.live_requested_bytes == st.requested, "live_requested_bytes differs");
    REQUIRE(ss.bytes_from_source == st.fs.live_bytes, "bytes_from_source differs from the source");
    REQUIRE(ss.peak_bytes_from_source >= ss.bytes_from_source, "peak below current");
    if (st.cfg.max_bytes)
        REQUIRE(ss.bytes_from_source <= st.cfg.max_bytes, "max_bytes exceeded");
}

static void check(void)
{
    REQUIRE(slabs_check(&st.s) == 0, "slabs_check() found a problem");
}

/* A failed allocation of size: ENOMEM, and nothing fitting was free. */
static void failed_ok(size_t size)
{
    REQUIRE(errno == ENOMEM, "allocation failed without ENOMEM");
    size_t cls = slabs_class_of(&st.s, size);
    if (cls < slabs_class_count(&st.s)) {
        slabs_class_stats_t cs;
        REQUIRE(slabs_class_stats(&st.s, cls, &cs) == 0, "class_stats failed");
        REQUIRE(cs.free == 0, "allocation failed while its class had a free chunk");
    }
    check();
}

/* Checks a new object of size at p. */
static void accept_new(const unsigned char *p, size_t size)
{
    REQUIRE(((uintptr_t)p & (alignof(max_align_t) - 1)) == 0, "misaligned object");
    REQUIRE(slabs_usable_size(&st.s, p) >= size, "usable size below request");
    if (st.cfg.flags & SLABS_ZERO)
        for (size_t i = 0; i < size; i++)
            REQUIRE(p[i] == 0, "SLABS_ZERO object not zeroed");
}

static void do_alloc(size_t size)
{
    if (st.n == FZ_MAX_LIVE)
        return;
    errno = 0;
    unsigned char *p = slabs_alloc(&st.s, size);
    if (p == NULL) {
        failed_ok(size);
        return;
    }
    accept_new(p, size);
    fz_obj_t o = {p, size, ++st.next_stamp};
    rng_stamp(p, size, o.stamp);
    st.objs[st.n++] = o;
    st.requested += counted(size);
}

/* Frees slot k, keeping the others in allocation order. */
static void do_free(size_t k)
{
    verify(k);
    slabs_free(&st.s, st.objs[k].ptr);
    st.requested -= counted(st.objs[k].size);
    memmove(&st.objs[k], &st.objs[k + 1], (st.n - k - 1) * sizeof st.objs[0]);
    st.n--;
}

static void do_realloc(size_t k, size_t size)
{
    fz_obj_t *o = &st.objs[k];
    verify(k);
    errno = 0;
    unsigned char *q = slabs_realloc(&st.s, o->ptr, size);
    if (q == NULL) {
        failed_ok(size);
        verify(k);
        return;
    }
    size_t keep = o->size < size ? o->size : size;
    REQUIRE(rng_stamp_damage(q, keep, o->stamp) == keep, "realloc lost the content");
    REQUIRE(slabs_usable_size(&st.s, q) >= size, "usable size below request after realloc");
    if (st.cfg.flags & SLABS_ZERO)
        for (size_t i = keep; i < size; i++)
            REQUIRE(q[i] == 0, "SLABS_ZERO realloc did not zero the new bytes");
    st.requested += counted(size) - counted(o->size);
    o->ptr = q;
    o->size = size;
    o->stamp = ++st.next_stamp;
    rng_stamp(q, size, o->stamp);
}

/* After a trim that reported released bytes, starting from before. */
static void trimmed(size_t released, size_t before)
{
    REQUIRE(st.fs.live_bytes + released == before, "trim's count differs from the source");
    REQUIRE(released % st.s.slab_size == 0, "trim released part of a slab");
    check();
}

static void do_reset(void)
{
    size_t bytes = st.fs.live_bytes;
    slabs_stats_t ss;
    slabs_stats(&st.s, &ss);
    slabs_reset(&st.s);
    st.n = 0;
    st.requested = 0;
    REQUIRE(st.fs.live_bytes + ss.large_bytes == bytes,
            "reset must give back the large objects and nothing else");
    check();
}

/* Checked mode only: provokes one misuse with slot k (a second free, or a
 * pointer 16 bytes into it) and expects exactly one report of the
 * documented kind, and no change. */
static void do_misuse(size_t k, unsigned how)
{
    unsigned char *p = st.objs[k].ptr;
    size_t usable = slabs_usable_size(&st.s, p);
    bool large = st.objs[k].size > st.s.max_size;
    const char *want;
    void *bad;
    if (how % 2 == 0 || usable < 32) {
        do_free(k);
        bad = p;   /* a freed large block is no block of ours any more */
        want = large ? "foreign-pointer" : "double-free";
    } else {
        bad = p + 16;
        want = "interior-pointer";
    }
    slabs_stats_t before, after;
    slabs_stats(&st.s, &before);
    size_t seen = st.misuse_seen;
    slabs_free(&st.s, bad);
    st.misuse_expected++;
    REQUIRE(st.misuse_seen == seen + 1, "misuse not reported exactly once");
    REQUIRE(strcmp(st.misuse_kind, want) == 0, "misuse reported with the wrong kind");
    slabs_stats(&st.s, &after);
    REQUIRE(memcmp(&before, &after, sizeof before) == 0, "misuse changed the allocator");
    check();
}

/* Usable size and class of slot k. */
static void do_query(size_t k)
{
    const fz_obj_t *o = &st.objs[k];
    REQUIRE(slabs_usable_size(&st.s, o->ptr) >= o->size, "usable size below request");
    size_t cls = slabs_class_of(&st.s, o->size);
    if (cls == slabs_class_count(&st.s)) {
        REQUIRE(o->size > st.s.max_size, "a class size mapped to the large path");
        return;
    }
    slabs_class_stats_t cs;
    REQUIRE(slabs_class_stats(&st.s, cls, &cs) == 0, "class_stats failed");
    REQUIRE(cs.chunk_size >= o->size, "class too small for its size");
    REQUIRE(cs.used >= 1, "class of a live object has no used chunk");
    REQUIRE(cs.requested_bytes >= o->size, "class requested_bytes below one of its objects");
    REQUIRE(cls == 0 || slabs_class_stats(&st.s, cls - 1, &cs) != 0 ||
            cs.chunk_size < o->size, "not the smallest class that fits");
}

/* ---- configuration ------------------------------------------------------- */

static size_t pow2_at_least(size_t x)
{
    size_t p = 1;
    while (p < x)
        p <<= 1;
    return p;
}

/* Builds st.cfg from the header: always a valid configuration.  A cap is
 * set relative to what an uncapped allocator of the same configuration
 * holds after init (its metadata), so that it is never below the minimum
 * slabs_init() accepts.  *fail_after receives the source's failure point
 * (-1 = never), applied once init is done. */
static void configure(fz_input_t *in, long *fail_after)
{
    uint8_t h0 = in_byte(in), h1 = in_byte(in), h2 = in_byte(in);
    uint8_t h3 = in_byte(in), h4 = in_byte(in), h5 = in_byte(in);
    slabs_config_t *c = &st.cfg;
    memset(c, 0, sizeof *c);
    c->max_size = (size_t)64 << (h0 % 6);
    c->min_size = 16 * (size_t)(1 + (h0 >> 4) % 4);
    if (c->min_size > c->max_size)
        c->min_size = c->max_size;
    if (h1 < 0xC0) {
        c->growth = 1.01 + (double)(h1 % 48) / 16.0;
    } else {
        size_t n = 0;
        unsigned bits = (unsigned)(h1 & 0x3F) + 1;
        for (unsigned k = 1; k <= 6; k++)
            if (((bits >> (k - 1)) & 1) && 16 * k < c->max_size)
                st.classes[n++] = 16 * k;
        st.classes[n++] = c->max_size;
        c->sizes = st.classes;
        c->n_sizes = n;
    }
    size_t base = pow2_at_least(2 * c->max_size < 1024 ? 1024 : 2 * c->max_size);
    c->slab_size = (h2 & 0x80) ? 0 : base << (h2 % 4);
    c->flags = h3 & 7u;
    c->now_ns = fz_now;
    c->source = &st.fs.base;
    if (h4) {
        slabs_t probe;
        REQUIRE(slabs_init(&probe, c) == 0, "a valid configuration was refused");
        size_t meta = probe.meta_bytes, slab = probe.slab_size;
        slabs_destroy(&probe);
        /* + 1 KiB: room for checked mode's first registry */
        c->max_bytes = meta + SLABS_DESC_BLOCK_SIZE + (size_t)(1 + h4 % 16) * slab +
                       (size_t)(1 + h4 / 16) * 1024;
    }
    *fail_after = h5 ? (long)((h5 - 1) % 32) : -1;
}

/* ---- operations ---------------------------------------------------------- */

static size_t any_size(size_t hi, uint8_t lo)
{
    return 1 + ((hi << 8) | lo) % (2 * st.cfg.max_size);
}

static void run_op(fz_input_t *in, uint8_t op)
{
    unsigned n = op & 0x0F;
    size_t before = st.fs.live_bytes;
    switch (op >> 4) {
    case 0: case 1: case 2: case 3:
        do_alloc(any_size(op & 0x3F, in_byte(in)));
        break;
    case 4: {
        size_t size = 1 + in_byte(in) % 64;
        for (unsigned i = 0; i <= n; i++)
            do_alloc(size);
        break;
    }
    case 5:
        if (st.n)
            do_free(in_byte(in) % st.n);
        break;
    case 6:
        for (unsigned i = 0; i <= n && st.n; i++)
            do_free(0);
        break;
    case 7:
        for (unsigned i = 0; i <= n && st.n; i++)
            do_free(st.n - 1);
        break;
    case 8:
        if (st.n) {
            size_t k = in_byte(in) % st.n;
            do_realloc(k, any_size(n, in_byte(in)));
        }
        break;
    case 9:
        trimmed(slabs_trim(&st.s, n % 3), before);
        break;
    case 10:
        st.clock_ns += (uint64_t)n * 1000;
        trimmed(slabs_trim_idle(&st.s, (uint64_t)in_byte(in) * 100), before);
        break;
    case 11:
        if (n == 0)
            do_reset();
        else
            verify_all();
        break;
    case 12:
        check();
        verify_all();
        break;
    case 13:
        if (n < 8)
            failing_source_fail_after(&st.fs, (long)n);
        else
            failing_source_recover(&st.fs);
        break;
    case 14:
        if (st.n && n >= 8 && (st.cfg.flags & SLABS_CHECKED))
            do_misuse(in_byte(in) % st.n, n);
        else if (st.n)
            do_query(in_byte(in) % st.n);
        break;
    default:
        for (size_t k = st.n; k-- > 0;)
            if (k % (2 + n % 3) == 0)
                do_free(k);
        break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_input_t in = {data, size, 0};
    long fail_after;
    memset(&st, 0, sizeof st);
    failing_source_init(&st.fs, NULL);
    configure(&in, &fail_after);
    REQUIRE(st.fs.live_bytes == 0, "the probe allocator kept memory");
    REQUIRE(slabs_init(&st.s, &st.cfg) == 0, "a valid configuration was refused");
    REQUIRE(st.fs.live_acquisitions == 1, "init acquired more than its metadata block");
    if (fail_after >= 0)
        failing_source_fail_after(&st.fs, fail_after);
    misuse_set_handler(fz_on_misuse, NULL);
    while (in.pos < in.size) {
        run_op(&in, in_byte(&in));
        st.op++;
        agree();
        if (st.op % FZ_CHECK_EVERY == 0)
            check();
    }
    misuse_set_handler(NULL, NULL);
    REQUIRE(st.misuse_seen == st.misuse_expected, "misuse reports differ from the misuse done");
    check();
    verify_all();
    failing_source_recover(&st.fs);
    for (size_t k = 0; k < st.n; k += 2)   /* some freed one by one, the rest by destroy */
        slabs_free(&st.s, st.objs[k].ptr);
    slabs_destroy(&st.s);
    REQUIRE(st.fs.live_bytes == 0, "destroy did not return every byte");
    REQUIRE(st.fs.live_acquisitions == 0, "destroy did not release every acquisition");
    return 0;
}

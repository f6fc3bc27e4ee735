/*
 * fuzz_pool.c - libFuzzer target for stage 01: one pool, driven by the
 * operations the input encodes, checked against a model after each of them.
 *
 * Input.  Eight header bytes choose the configuration:
 *   h0 h1  obj_size = 1 + (h0 << 8 | h1) % 300
 *   h2     align      = {0, 8, 16, 64}[h2 % 4]        (0 = alignof(max_align_t))
 *   h3     block_size = {0, 4096, 16384}[h3 % 3]      (0 = the default)
 *   h4     flags      = h4 & 3                        (POOL_ZERO, POOL_CHECKED)
 *   h5     max_bytes: 0 = none, else (1 + (h5-1) % 8) blocks + 64 * ((h5-1) / 8) bytes
 *   h6     source fails after (h6-1) % 16 more acquisitions; 0 = never
 *   h7     source byte limit: 0 = none, else (1 + (h7-1) % 8) blocks
 * Then one byte per operation, its high nibble the operation and its low
 * nibble n a parameter; some read one or two more bytes (k, d):
 *   0-3  alloc                      8  verify object k           C  source: n<8 fail after n, else recover
 *   4    alloc 1 + 8*n objects      9  rewrite object k          D  misuse and damage (checked mode), op_misuse()
 *   5    free object k              A  pool_check + verify all   E  free(NULL), stats unchanged
 *   6    free oldest, 1+n times     B  n=0: reset, else alloc    F  free every (2 + n%3)-th object
 *   7    free newest, 1+n times
 * Missing bytes read as 0, so every input is valid.
 *
 * The model.  `objs` lists the live objects in allocation order (with holes
 * where objects were freed, squeezed out now and then), each with the stamp
 * whose pattern fills every byte of it.  `freed` is the stack of freed
 * objects, which the pool must hand out again in LIFO order before carving
 * anything new.  A recording page source between the pool and the failing
 * source keeps every block the pool holds, and for each block an occupancy
 * map (one bit per 8-byte granule), so each new object is proved to lie
 * inside a held block, past its header, and to share no byte with a live
 * object.  In checked mode the harness also plays the buggy caller: it
 * writes into a freed object (its body, its link, or the link's check word)
 * or past the end of a live one, frees twice, frees interior, foreign and
 * header pointers; the model predicts every report, every object withheld
 * (quarantined), and the exact count pool_check() must give.
 *
 * What is checked: an allocation fails only with ENOMEM, only when nothing
 * free is left and the cap or the source said no, and then changes nothing
 * visible; a block is acquired only when nothing free is left; objects are
 * aligned, inside a held block, disjoint from every live object, zeroed with
 * POOL_ZERO, and keep their contents until freed; stats agree with the model
 * after every operation; pool_check() gives the predicted count every
 * FZ_CHECK_EVERY operations and after every failure, reset and misuse;
 * misuse is reported exactly when provoked, with the right kind, and changes
 * nothing; pool_destroy() gives every byte back.  Any failure prints what
 * broke and aborts, which libFuzzer records as a crash.
 *
 * (memmove is slow behind ASan's interceptor, so the hot paths avoid it.)
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
#include "pool.h"
#include "tool.h"

/* A REQUIRE that fails prints what broke and aborts (fz_fail()), which
 * libFuzzer records as a crash. */
#define REQUIRE_FAILED(text, msg) fz_fail(__LINE__, text, msg)
#include "require.h"
#include "rng.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_MAX_LIVE 8192      /* live objects the model tracks; more allocations are skipped */
#define FZ_MAX_BLOCKS 2048    /* blocks the recorder grants; then it refuses */
#define FZ_MAX_BLOCK 65536    /* largest block size any header can lead to */
#define FZ_GRANULE 8          /* bytes per occupancy bit: every object is 8-aligned */
#define FZ_MAP_WORDS (FZ_MAX_BLOCK / FZ_GRANULE / 64) /* 64-bit words per occupancy map */
#define FZ_CHECK_EVERY 16     /* operations between two pool_check() calls */
#define FZ_MAX_OBJ 300        /* obj_size is 1..FZ_MAX_OBJ */


/* One object of the model. */
typedef struct fz_obj {
    unsigned char *ptr; /* what pool_alloc() returned; NULL = a hole (freed) */
    uint32_t stamp;     /* seeds the byte pattern the object must hold */
    bool guard_broken;  /* the harness wrote past its end: every free is refused */
} fz_obj_t;

/* Damage the harness did to a freed object (checked mode). */
enum fz_damage {
    FZ_DMG_BODY = 1,  /* a byte after the two link words */
    FZ_DMG_LINK = 2,  /* word 0, the free-list link: now points outside the pool */
    FZ_DMG_CHECK = 4, /* word 1, the link's check */
};

/* One object on the free list, as the model sees it. */
typedef struct fz_freed {
    unsigned char *ptr; /* the freed object */
    unsigned damage;    /* fz_damage bits */
} fz_freed_t;

/* One block the pool holds. */
typedef struct fz_block {
    uintptr_t addr; /* its address */
    size_t map;     /* its occupancy map: index into fz_state::cover and ::start */
} fz_block_t;

/* A page source that records the blocks it hands out. */
typedef struct fz_recorder {
    page_source_t base;               /* give &base to the pool */
    const page_source_t *inner;       /* the failing source it wraps */
    size_t block_size;                /* the only size and alignment the pool may ask for */
    fz_block_t blocks[FZ_MAX_BLOCKS]; /* held blocks, by ascending address */
    size_t n;                         /* entries of blocks[] in use */
    size_t acquired;                  /* successful acquisitions, = maps handed out */
    size_t refused;                   /* acquisitions refused because blocks[] was full */
} fz_recorder_t;

/* Everything one run uses; static because it is large. */
typedef struct fz_state {
    pool_t pool;                     /* the pool under test */
    failing_source_t fs;             /* counts bytes, fails on demand */
    fz_recorder_t rec;               /* between pool and fs */
    size_t obj_size;                 /* from the header */
    size_t align;                    /* alignment every object must have */
    size_t block_size;               /* the pool's block size, after init */
    size_t stride;                   /* bytes per chunk, as pool.h defines it */
    size_t max_bytes;                /* the cap given to the pool; 0 = none */
    unsigned flags;                  /* the pool's flags */
    size_t head;                     /* objs[head..len) holds the live objects, oldest first, and holes */
    size_t len;                      /* end of the used part of objs[]; objs[len-1] is live if n > 0 */
    size_t n;                        /* live objects */
    size_t nfreed;                   /* entries of freed[] */
    size_t quarantined;              /* freed objects the pool must have withheld */
    void *last_freed;                /* the most recently freed object, kept across resets */
    uint32_t next_stamp;             /* stamp for the next write */
    size_t misuse_seen;              /* reports received by fz_on_misuse() */
    size_t misuse_expected;          /* reports the run has provoked */
    const char *misuse_kind;         /* kind of the last report */
    pool_t other;                    /* a second pool, for foreign pointers */
    void *other_obj;                 /* one live object of `other`, or NULL */
    size_t op;                       /* index of the operation running */
    size_t since_check;              /* operations since the last pool_check() */
    /* big arrays last: setup() clears only what is above */
    fz_obj_t objs[FZ_MAX_LIVE];      /* live objects and holes, see head and len */
    fz_freed_t freed[FZ_MAX_LIVE];   /* the free list: freed since the last reset, most recent last */
    uint64_t cover[FZ_MAX_BLOCKS][FZ_MAP_WORDS]; /* per block: granules some live object covers */
    uint64_t start[FZ_MAX_BLOCKS][FZ_MAP_WORDS]; /* per block: granules where a live object starts */
} fz_state_t;

static fz_state_t st;

/* ---- failing ------------------------------------------------------------- */

static _Noreturn void fz_fail(int line, const char *cond, const char *msg)
{
    fprintf(stderr, "fuzz_pool: operation %zu: %s (%s, line %d)\n"
            "  config: obj_size %zu, align %zu, block_size %zu, max_bytes %zu, flags %u;"
            " live %zu\n", st.op, msg, cond, line, st.obj_size, st.align,
            st.block_size, st.max_bytes, st.flags, st.n);
    fflush(stderr);
    abort();
}

/* ---- the recording source ------------------------------------------------- */

/* Index of the first recorded block at or above addr. */
static size_t rec_find(const fz_recorder_t *r, uintptr_t addr)
{
    size_t lo = 0, hi = r->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (r->blocks[mid].addr < addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The recorded block at addr, or NULL. */
static const fz_block_t *rec_block(const fz_recorder_t *r, uintptr_t addr)
{
    size_t i = rec_find(r, addr);
    return i < r->n && r->blocks[i].addr == addr ? &r->blocks[i] : NULL;
}

static void *rec_acquire(void *ctx, size_t size, size_t align)
{
    fz_recorder_t *r = ctx;
    REQUIRE(size == r->block_size && align == size, "pool asked for an unexpected block");
    if (r->acquired == FZ_MAX_BLOCKS) {
        r->refused++;
        return NULL;
    }
    void *b = r->inner->acquire(r->inner->ctx, size, align);
    if (b == NULL)
        return NULL;
    size_t i = rec_find(r, (uintptr_t)b);
    for (size_t j = r->n; j > i; j--)
        r->blocks[j] = r->blocks[j - 1];
    r->blocks[i] = (fz_block_t){(uintptr_t)b, r->acquired};
    memset(st.cover[r->acquired], 0, sizeof st.cover[0]);
    memset(st.start[r->acquired], 0, sizeof st.start[0]);
    r->n++;
    r->acquired++;
    return b;
}

static void rec_release(void *ctx, void *addr, size_t size)
{
    fz_recorder_t *r = ctx;
    size_t i = rec_find(r, (uintptr_t)addr);
    REQUIRE(i < r->n && r->blocks[i].addr == (uintptr_t)addr, "release of a block never acquired");
    REQUIRE(size == r->block_size, "release with the wrong size");
    for (size_t j = i; j + 1 < r->n; j++)
        r->blocks[j] = r->blocks[j + 1];
    r->n--;
    r->inner->release(r->inner->ctx, addr, size);
}

static void rec_init(fz_recorder_t *r, const page_source_t *inner, size_t block_size)
{
    r->base = (page_source_t){rec_acquire, rec_release, r, "recorder"};
    r->inner = inner;
    r->block_size = block_size;
    r->n = 0;
    r->acquired = 0;
    r->refused = 0;
}

/* ---- occupancy: which bytes of the blocks live objects cover ---------------- */

static bool bit_get(const uint64_t *map, size_t i)
{
    return (map[i / 64] >> (i % 64)) & 1u;
}

static void bit_put(uint64_t *map, size_t i, bool v)
{
    uint64_t m = (uint64_t)1 << (i % 64);
    map[i / 64] = v ? map[i / 64] | m : map[i / 64] & ~m;
}

/* The map of the held block that contains p, and p's first granule in it. */
static size_t occ_locate(const void *p, size_t *granule)
{
    uintptr_t block = (uintptr_t)p & ~(uintptr_t)(st.block_size - 1);
    const fz_block_t *b = rec_block(&st.rec, block);
    REQUIRE(b != NULL, "object outside every block the pool holds");
    *granule = ((uintptr_t)p - block) / FZ_GRANULE;
    return b->map;
}

/* Marks a new object; it must share no granule with a live one. */
static void occ_claim(const void *p)
{
    size_t g, m = occ_locate(p, &g);
    size_t last = g + (st.obj_size - 1) / FZ_GRANULE;
    for (size_t i = g; i <= last; i++) {
        REQUIRE(!bit_get(st.cover[m], i), "object overlaps a live object");
        bit_put(st.cover[m], i, true);
    }
    bit_put(st.start[m], g, true);
}

static void occ_release(const void *p)
{
    size_t g, m = occ_locate(p, &g);
    size_t last = g + (st.obj_size - 1) / FZ_GRANULE;
    REQUIRE(bit_get(st.start[m], g), "model lost an object");
    for (size_t i = g; i <= last; i++)
        bit_put(st.cover[m], i, false);
    bit_put(st.start[m], g, false);
}

/* True if a live object of the model starts at p (p in a held block). */
static bool occ_is_live(const void *p)
{
    size_t g, m = occ_locate(p, &g);
    return bit_get(st.start[m], g);
}

/* ---- misuse ---------------------------------------------------------------- */

static void fz_on_misuse(const misuse_report_t *r, void *ctx)
{
    (void)ctx;
    st.misuse_seen++;
    st.misuse_kind = r->kind;
}

/* ---- live objects ----------------------------------------------------------- */

/* The pattern of an object stamped s is the obj_size bytes at
 * fz_patterns + s % FZ_PATTERNS: a pseudo-random sequence, so neighbouring
 * stamps differ in every byte, and objects are written and compared with
 * memcpy and memcmp (byte loops are slow under the fuzzer's
 * instrumentation). */
#define FZ_PATTERNS 251
static unsigned char fz_patterns[FZ_PATTERNS + FZ_MAX_OBJ];

static void patterns_init(void)
{
    rng_t r = {0x2545F491u};
    for (size_t i = 0; i < sizeof fz_patterns; i++)
        fz_patterns[i] = (unsigned char)(rng_next(&r) >> 56);
}

static void stamp_write(fz_obj_t *o)
{
    o->stamp = st.next_stamp++;
    memcpy(o->ptr, fz_patterns + o->stamp % FZ_PATTERNS, st.obj_size);
}

static void stamp_verify(const fz_obj_t *o)
{
    REQUIRE(memcmp(o->ptr, fz_patterns + o->stamp % FZ_PATTERNS, st.obj_size) == 0,
            "a live object's contents changed");
}

/* Squeezes the holes out of objs[]. */
static void objs_compact(void)
{
    size_t j = 0;
    for (size_t i = st.head; i < st.len; i++)
        if (st.objs[i].ptr != NULL)
            st.objs[j++] = st.objs[i];
    st.head = 0;
    st.len = j;
}

static void objs_append(fz_obj_t o)
{
    if (st.len == FZ_MAX_LIVE)
        objs_compact();
    st.objs[st.len++] = o;
    st.n++;
}

/* Makes objs[i] a hole; keeps objs[head] and objs[len-1] live.  Indices
 * stay valid until the next objs_tidy() or objs_append(). */
static void objs_remove(size_t i)
{
    st.objs[i].ptr = NULL;
    st.n--;
    while (st.head < st.len && st.objs[st.head].ptr == NULL)
        st.head++;
    while (st.len > st.head && st.objs[st.len - 1].ptr == NULL)
        st.len--;
}

/* Between operations: squeezes the holes out once they outnumber the live
 * objects, so that the cost stays linear overall. */
static void objs_tidy(void)
{
    if (st.len - st.head > 2 * st.n + 64)
        objs_compact();
}

/* Index of "live object k": a slot chosen by k, then the next live one. */
static size_t objs_pick(size_t k)
{
    size_t i = st.head + k % (st.len - st.head);
    while (st.objs[i].ptr == NULL)
        i++; /* objs[len-1] is live: this stops */
    return i;
}

/* ---- whole-pool checks ------------------------------------------------------ */

static void stats_equal(const pool_stats_t *a, const pool_stats_t *b)
{
    REQUIRE(a->live == b->live && a->peak_live == b->peak_live &&
            a->capacity == b->capacity && a->blocks == b->blocks &&
            a->bytes_from_source == b->bytes_from_source,
            "the pool changed where it must not");
}

/* Cheap checks, after every operation. */
static void check_cheap(void)
{
    pool_stats_t s;
    pool_stats(&st.pool, &s);
    REQUIRE(s.live == st.n, "stats live differs from the model");
    REQUIRE(s.peak_live >= s.live, "peak_live below live");
    REQUIRE(s.capacity >= s.live + st.nfreed + st.quarantined, "capacity below live + free");
    REQUIRE(s.blocks == st.rec.n, "stats blocks differs from the blocks held");
    REQUIRE(s.bytes_from_source == s.blocks * st.block_size, "bytes_from_source != blocks * block_size");
    REQUIRE(s.bytes_from_source == st.fs.live_bytes, "bytes_from_source differs from the source's count");
    REQUIRE(s.blocks == 0 || (s.capacity % s.blocks == 0 && s.capacity >= s.blocks),
            "capacity is not a whole number of chunks per block");
    REQUIRE(!st.max_bytes || s.bytes_from_source <= st.max_bytes, "pool went past max_bytes");
    REQUIRE(st.misuse_seen == st.misuse_expected, "misuse reported where none was made");
}

/* What pool_check() must count: each free object with a damaged body, down
 * the list to the first damaged link or check word, which ends the walk and
 * counts one. */
static size_t expected_check(void)
{
    size_t bad = 0;
    for (size_t i = st.nfreed; i-- > 0;) {
        bad += (st.freed[i].damage & FZ_DMG_BODY) != 0;
        if (st.freed[i].damage & (FZ_DMG_LINK | FZ_DMG_CHECK))
            return bad + 1;
    }
    return bad;
}

/* pool_check() now, or when FZ_CHECK_EVERY operations have passed. */
static void check_full(bool now)
{
    if (!now && ++st.since_check < FZ_CHECK_EVERY)
        return;
    st.since_check = 0;
    REQUIRE(pool_check(&st.pool) == expected_check(), "pool_check() count differs from the model");
}

static void verify_all(void)
{
    for (size_t i = st.head; i < st.len; i++)
        if (st.objs[i].ptr != NULL)
            stamp_verify(&st.objs[i]);
}

/* ---- allocation ------------------------------------------------------------ */

/* An allocation that failed: it had to, and it changed nothing visible. */
static void alloc_failed(const pool_stats_t *before, size_t failures_before, size_t refused_before)
{
    REQUIRE(errno == ENOMEM, "failed allocation without ENOMEM");
    REQUIRE(st.n + st.quarantined == before->capacity, "allocation failed with fresh chunks left");
    bool capped = st.max_bytes && before->bytes_from_source + st.block_size > st.max_bytes;
    bool refused = st.fs.failures > failures_before || st.rec.refused > refused_before;
    REQUIRE(capped || refused, "allocation failed though cap and source allowed a block");
    REQUIRE(!(capped && refused), "the pool asked the source for a block past its cap");
    pool_stats_t after;
    pool_stats(&st.pool, &after);
    stats_equal(before, &after);
    check_full(true);
}

/* A new object: where it may be, and what it must hold. */
static void alloc_placed(unsigned char *p)
{
    REQUIRE((uintptr_t)p % st.align == 0, "object misaligned");
    uintptr_t block = (uintptr_t)p & ~(uintptr_t)(st.block_size - 1);
    REQUIRE((uintptr_t)p >= block + sizeof(pool_block_t), "object overlaps its block's header");
    REQUIRE((uintptr_t)p + st.obj_size <= block + st.block_size, "object runs past its block");
    occ_claim(p);
    static const unsigned char zeros[FZ_MAX_OBJ];
    if (st.flags & POOL_ZERO)
        REQUIRE(memcmp(p, zeros, st.obj_size) == 0, "POOL_ZERO object not zeroed");
}

/* What pool_alloc() must do with the free list: pop objects, reporting and
 * withholding each damaged one, until an intact one, which it returns; a
 * damaged link (or check word) withholds that object and the rest of the list.
 * Returns the object expected, or NULL if a fresh chunk must be carved. */
static unsigned char *expect_pop(void)
{
    while (st.nfreed > 0) {
        fz_freed_t e = st.freed[--st.nfreed];
        if (e.damage & (FZ_DMG_LINK | FZ_DMG_CHECK)) {
            st.misuse_expected++; /* one report; the object goes with the list */
            st.quarantined += st.nfreed + 1;
            st.nfreed = 0;
            return NULL;
        }
        if (!(e.damage & FZ_DMG_BODY))
            return e.ptr;
        st.misuse_expected++;
        st.quarantined++;
    }
    return NULL;
}

static void op_alloc(void)
{
    if (st.n == FZ_MAX_LIVE)
        return;
    pool_stats_t before;
    pool_stats(&st.pool, &before);
    size_t failures = st.fs.failures, refused = st.rec.refused, acquired = st.rec.acquired;
    size_t reports = st.misuse_expected;
    unsigned char *expect = expect_pop();
    errno = 0;
    unsigned char *p = pool_alloc(&st.pool);
    if (st.misuse_expected != reports)
        REQUIRE(st.misuse_seen == st.misuse_expected && strcmp(st.misuse_kind, "use-after-free") == 0,
                "damage to a freed object not reported as use-after-free");
    if (p == NULL) {
        REQUIRE(expect == NULL, "allocation failed with free objects in the pool");
        alloc_failed(&before, failures, refused);
        return;
    }
    REQUIRE(expect == NULL || p == expect, "not the most recently freed intact object (LIFO)");
    if (st.rec.acquired != acquired) {
        REQUIRE(st.rec.acquired == acquired + 1, "several blocks for one object");
        REQUIRE(st.n + st.quarantined == before.capacity, "new block acquired while fresh chunks were left");
    }
    alloc_placed(p);
    fz_obj_t o = {p, 0, false};
    stamp_write(&o);
    objs_append(o);
}

/* ---- freeing ---------------------------------------------------------------- */

/* Frees bad, expecting exactly one report of kind and no change at all. */
static void misuse_expect(void *bad, const char *kind)
{
    pool_stats_t before, after;
    pool_stats(&st.pool, &before);
    st.misuse_expected++;
    pool_free(&st.pool, bad);
    REQUIRE(st.misuse_seen == st.misuse_expected, "misuse not reported");
    REQUIRE(strcmp(st.misuse_kind, kind) == 0, "misuse reported as the wrong kind");
    pool_stats(&st.pool, &after);
    stats_equal(&before, &after);
    check_full(true);
}

/* Frees objs[i] and moves it to the model's free list; if its guard was
 * overwritten, the pool must refuse instead, and nothing changes. */
static void free_slot(size_t i)
{
    fz_obj_t *o = &st.objs[i];
    stamp_verify(o);
    if (o->guard_broken) {
        misuse_expect(o->ptr, "buffer-overflow");
        stamp_verify(o);
        return;
    }
    pool_free(&st.pool, o->ptr);
    occ_release(o->ptr);
    st.freed[st.nfreed++] = (fz_freed_t){o->ptr, 0};
    st.last_freed = o->ptr;
    objs_remove(i);
}

static void op_free_pick(size_t k)
{
    if (st.n > 0)
        free_slot(objs_pick(k));
}

/* Frees the oldest (or newest) live object, `times` times. */
static void op_free_end(unsigned times, bool newest)
{
    for (unsigned t = 0; t < times && st.n > 0; t++)
        free_slot(newest ? st.len - 1 : st.head);
}

/* Frees every step-th slot of objs[], newest first. */
static void op_free_every(size_t step)
{
    size_t first = st.head;
    for (size_t i = st.len; i-- > first;)
        if ((i - first) % step == 0 && i >= st.head && i < st.len && st.objs[i].ptr != NULL)
            free_slot(i);
}

static void op_free_null(void)
{
    pool_stats_t before, after;
    pool_stats(&st.pool, &before);
    pool_free(&st.pool, NULL);
    pool_stats(&st.pool, &after);
    stats_equal(&before, &after);
}

static void op_reset(void)
{
    pool_stats_t before, after;
    pool_stats(&st.pool, &before);
    pool_reset(&st.pool);
    pool_stats(&st.pool, &after);
    REQUIRE(after.live == 0, "live objects after reset");
    REQUIRE(after.blocks == before.blocks && after.capacity == before.capacity &&
            after.bytes_from_source == before.bytes_from_source, "reset changed the blocks");
    REQUIRE(after.peak_live == before.peak_live, "reset changed peak_live");
    for (size_t i = st.head; i < st.len; i++)
        if (st.objs[i].ptr != NULL)
            occ_release(st.objs[i].ptr);
    st.head = st.len = st.n = 0;
    st.nfreed = 0;
    st.quarantined = 0;
    check_full(true);
}

static void op_source(unsigned n)
{
    if (n < 8)
        failing_source_fail_after(&st.fs, (long)n);
    else
        failing_source_recover(&st.fs);
}

/* ---- misuse and damage (checked mode) ---------------------------------------- */

/* A pointer from a second pool of the same geometry. */
static void *foreign_object(void)
{
    if (st.other_obj == NULL) {
        pool_config_t cfg = {.obj_size = st.obj_size, .align = st.align,
                             .block_size = st.block_size, .flags = POOL_CHECKED};
        REQUIRE(pool_init(&st.other, &cfg) == 0, "second pool refused its config");
        st.other_obj = pool_alloc(&st.other);
        REQUIRE(st.other_obj != NULL, "second pool could not allocate");
    }
    return st.other_obj;
}

/* Writes into free object e, as a buggy caller would: the byte at offset
 * off of its chunk gets x xored in. */
static void damage_freed(fz_freed_t *e, size_t off, unsigned char x, unsigned kind)
{
    if (e->damage & kind)
        return; /* a second xor could undo the first */
    tool_defined(e->ptr, st.stride);
    e->ptr[off] ^= x;
    tool_noaccess(e->ptr, st.stride);
    e->damage |= kind;
}

/* Writes into the padding after live object o (its guard bytes). */
static void damage_guard(fz_obj_t *o, uint8_t d)
{
    size_t pad = st.stride - st.obj_size;
    if (pad == 0 || o->guard_broken)
        return;
    tool_defined(o->ptr, st.stride);
    o->ptr[st.obj_size + d % pad] ^= 0x21;
    tool_noaccess(o->ptr, st.stride);
    tool_defined(o->ptr, st.obj_size);
    o->guard_broken = true;
}

/* Damage: n % 8 = 4 the body of free object k (byte d), 5 its link, 6 its
 * link's check word, 7 the guard of live object k. */
static void op_damage(unsigned n, uint8_t k, uint8_t d)
{
    const size_t word = sizeof(void *);
    if (n % 8 == 7) {
        if (st.n > 0)
            damage_guard(&st.objs[objs_pick(k)], d);
        return;
    }
    if (st.nfreed == 0)
        return;
    fz_freed_t *e = &st.freed[k % st.nfreed];
    if (n % 8 == 4 && st.stride > 2 * word)
        damage_freed(e, 2 * word + d % (st.stride - 2 * word), 0x01, FZ_DMG_BODY);
    else if (n % 8 == 5)
        damage_freed(e, word - 1, 0x5A, FZ_DMG_LINK); /* top byte: the link leaves our blocks */
    else if (n % 8 == 6)
        damage_freed(e, word, 0x01, FZ_DMG_CHECK);
}

/* Misuse, checked mode only: n % 8 = 0 double free of the last freed
 * object, 1 pointer into live object k (byte d), 2 object of another pool,
 * 3 a block's header; 4-7 damage, see op_damage(). */
static void op_misuse(unsigned n, uint8_t k, uint8_t d)
{
    if (!(st.flags & POOL_CHECKED))
        return;
    if (n % 8 == 0 && st.last_freed && !occ_is_live(st.last_freed)) {
        misuse_expect(st.last_freed, "double-free");
    } else if (n % 8 == 1 && st.n > 0 && st.obj_size > 1) {
        size_t off = 1 + d % (st.obj_size - 1);
        const fz_obj_t *o = &st.objs[objs_pick(k)];
        misuse_expect(o->ptr + off, off % st.align == 0 ? "interior-pointer" : "misaligned-pointer");
        stamp_verify(o);
    } else if (n % 8 == 2) {
        misuse_expect(foreign_object(), "foreign-pointer");
    } else if (n % 8 == 3 && st.n > 0) {
        uintptr_t p = (uintptr_t)st.objs[objs_pick(k)].ptr;
        misuse_expect((void *)(p & ~(uintptr_t)(st.block_size - 1)), "foreign-pointer");
    } else if (n % 8 >= 4) {
        op_damage(n, k, d);
        check_full(true);
    }
}

/* ---- one operation ---------------------------------------------------------- */

static void run_op(fz_input_t *in)
{
    uint8_t b = in_byte(in);
    unsigned n = b & 15u;
    bool forced = false;
    switch (b >> 4) {
    case 0: case 1: case 2: case 3: op_alloc(); break;
    case 4: for (unsigned i = 0; i < 1 + 8 * n; i++) op_alloc(); break;
    case 5: op_free_pick(in_byte(in)); break;
    case 6: op_free_end(n + 1, false); break;
    case 7: op_free_end(n + 1, true); break;
    case 8: { uint8_t k = in_byte(in); if (st.n) stamp_verify(&st.objs[objs_pick(k)]); } break;
    case 9: { uint8_t k = in_byte(in); if (st.n) stamp_write(&st.objs[objs_pick(k)]); } break;
    case 10: verify_all(); forced = true; break;
    case 11: if (n == 0) op_reset(); else op_alloc(); break;
    case 12: op_source(n); break;
    case 13: { uint8_t k = in_byte(in), d = in_byte(in); op_misuse(n, k, d); } break;
    case 14: op_free_null(); break;
    default: op_free_every(2 + n % 3); break;
    }
    objs_tidy();
    check_cheap();
    check_full(forced);
}

/* ---- set-up and tear-down ---------------------------------------------------- */

static const size_t aligns[] = {0, 8, 16, 64};
static const size_t block_sizes[] = {0, 4096, 16384};

/* Decodes the header into cfg (source and caps set up later). */
static void decode_config(fz_input_t *in, pool_config_t *cfg, uint8_t *cap, uint8_t *fail, uint8_t *limit)
{
    uint8_t h0 = in_byte(in), h1 = in_byte(in);
    cfg->obj_size = 1 + (((size_t)h0 << 8) | h1) % FZ_MAX_OBJ;
    cfg->align = aligns[in_byte(in) % 4];
    cfg->block_size = block_sizes[in_byte(in) % 3];
    cfg->flags = in_byte(in) & 3u;
    *cap = in_byte(in);
    *fail = in_byte(in);
    *limit = in_byte(in);
}

/* Bytes per chunk (pool.h): obj_size rounded up to the alignment, at least
 * one word (checked mode: two). */
static size_t expected_stride(void)
{
    size_t min = (st.flags & POOL_CHECKED) ? 2 * sizeof(void *) : sizeof(void *);
    size_t base = st.obj_size < min ? min : st.obj_size;
    return (base + st.align - 1) / st.align * st.align;
}

/* The block size pool_init() picks for cfg (it acquires nothing). */
static size_t probe_block_size(const pool_config_t *cfg)
{
    pool_t probe;
    REQUIRE(pool_init(&probe, cfg) == 0, "pool_init refused a valid config");
    size_t bs = probe.block_size;
    pool_destroy(&probe);
    REQUIRE(bs >= 4096 && bs <= FZ_MAX_BLOCK && (bs & (bs - 1)) == 0,
            "block size not a power of two in [4096, 64 KiB]");
    return bs;
}

static void setup(fz_input_t *in)
{
    pool_config_t cfg = {0};
    uint8_t cap, fail, limit;
    decode_config(in, &cfg, &cap, &fail, &limit);
    memset(&st, 0, offsetof(fz_state_t, objs));
    patterns_init();
    st.obj_size = cfg.obj_size;
    st.flags = cfg.flags;
    st.align = cfg.align ? cfg.align : alignof(max_align_t);
    st.block_size = probe_block_size(&cfg);
    st.stride = expected_stride();
    if (cap)
        cfg.max_bytes = (1 + (size_t)(cap - 1) % 8) * st.block_size + 64 * (size_t)((cap - 1) / 8);
    st.max_bytes = cfg.max_bytes;
    failing_source_init(&st.fs, NULL);
    if (fail)
        failing_source_fail_after(&st.fs, (fail - 1) % 16);
    if (limit)
        st.fs.byte_limit = (1 + (size_t)(limit - 1) % 8) * st.block_size;
    rec_init(&st.rec, &st.fs.base, st.block_size);
    cfg.source = &st.rec.base;
    REQUIRE(pool_init(&st.pool, &cfg) == 0, "pool_init refused a valid config");
    REQUIRE(st.fs.acquisitions == 0, "pool_init acquired memory");
    REQUIRE(st.pool.stride == st.stride, "stride differs from pool.h's definition");
    misuse_set_handler(fz_on_misuse, NULL);
}

static void teardown(void)
{
    verify_all();
    check_full(true);
    pool_destroy(&st.pool);
    REQUIRE(st.rec.n == 0, "blocks still held after pool_destroy");
    REQUIRE(st.fs.live_bytes == 0 && st.fs.live_acquisitions == 0, "bytes not returned by pool_destroy");
    if (st.other_obj) {
        pool_free(&st.other, st.other_obj);
        REQUIRE(pool_check(&st.other) == 0, "the second pool is broken");
        pool_destroy(&st.other);
    }
    misuse_set_handler(NULL, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_input_t in = {data, size, 0};
    setup(&in);
    while (in.pos < in.size) {
        run_op(&in);
        st.op++;
    }
    teardown();
    return 0;
}

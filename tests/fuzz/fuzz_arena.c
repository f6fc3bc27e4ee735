/*
 * fuzz_arena.c - libFuzzer target for stage 03: one arena, driven by the
 * operations the input encodes, checked against a model.
 *
 * Input.  Four header bytes choose the configuration:
 *   h0  index_bits = 8 + h0 % 21                       (8 .. 28)
 *   h1  max_handles = 1 + (h1 & 0x7F) if h1 & 0x80, else 0 (all the bits allow)
 *   h2  flags: bit 0 ARENA_ZERO, bit 1 ARENA_CHECKED
 *   h3  the source fails after (h3 - 1) % 64 acquisitions past init; 0 = never
 * Then one byte per operation, its high nibble the operation and its low
 * nibble n a parameter; some read more bytes (b, c; missing bytes read as 0):
 *   0-2  alloc 1 + ((op & 0x3F) << 8 | b) % 3000 bytes
 *   3    intern word n of a vocabulary of 16
 *   4    share live object b              5  release live object b
 *   6    resize live object b to 1 + (n << 8 | c) % 3000 bytes
 *   7    a cleanup on live object b; n odd: it holds a reference to live
 *        object c and releases it when it runs (so releases cascade)
 *   8    every call on handle record b, which is dead (stale)
 *   9    a forged value from the next four bytes: it must resolve only if
 *        it is a live handle, and every call on it must fail if not
 *   A    n = 0: reset; else verify every object
 *   B    arena_check() and every counter
 *   C    source: n < 8 fails after n more acquisitions, else it recovers
 *   D    intern the next n bytes of the input
 *   E    release every (2 + n % 3)-th reference held
 *   F    alloc 1 + n objects of 1 + b % 64 bytes
 *
 * The model keeps every handle ever given out: live or not, its size, its
 * bytes (a stamp, or the interned string), its reference count (those the
 * run holds and those its cleanups hold), its pending cleanups.  A new
 * handle must take a free slot with the next generation, or the next fresh
 * slot when none is free, and ENOSPC must come exactly when no slot is
 * left; an ENOMEM is accepted only when the source refused something, and
 * then nothing may have changed.  Before a release the model predicts which
 * objects die and which cleanups run; each cleanup checks it was predicted,
 * runs after its object's newer cleanups and sees intact bytes.  After
 * every operation the counters must agree with the model; arena_check()
 * must be 0 every FZ_CHECK_EVERY operations and after every failure and
 * reset.  arena_destroy() must give every byte back.  Any failure prints
 * what broke and aborts, which libFuzzer records as a crash.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "failing_source.h"
#include "fuzz_input.h"
#include "misuse.h"

/* A REQUIRE that fails prints what broke and aborts (fz_fail()), which
 * libFuzzer records as a crash. */
#define REQUIRE_FAILED(text, msg) fz_fail(__LINE__, text, msg)
#include "require.h"
#include "rng.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NONE UINT32_MAX
#define FZ_MAX_RECS 8192     /* handles the model remembers; more allocs are skipped */
#define FZ_MAX_CLEANUPS 4096 /* cleanups the model remembers; more are skipped */
#define FZ_MAX_BYTES 16      /* longest interned string */
#define FZ_CHECK_EVERY 16    /* operations between two arena_check() calls */

typedef struct fz_rec {
    handle_t h;
    bool live, interned;
    uint32_t size;
    uint64_t stamp;                /* not interned: the seed of its bytes */
    unsigned char str[FZ_MAX_BYTES]; /* interned: its bytes */
    uint32_t refs, held;           /* references; those the run holds */
    uint32_t top, n_cleanups;      /* newest pending cleanup (or NONE), how many */
    uint32_t live_pos;             /* index in st.live */
    uint64_t last_run;             /* seq of its cleanup that ran last */
    uint32_t sim_epoch, sim_refs;  /* the count during a prediction */
} fz_rec_t;

typedef struct fz_clean {
    uint32_t owner, target, prev;  /* records; target and prev may be NONE */
    uint64_t seq;
    uint32_t ran;
    bool expected;
} fz_clean_t;

typedef struct fz_state {
    arena_t a;
    failing_source_t fs;
    arena_config_t cfg;
    unsigned bits;
    uint32_t mask, gen_max, max_slots;
    fz_rec_t recs[FZ_MAX_RECS];
    size_t n_recs;
    uint32_t live[FZ_MAX_RECS];
    size_t n_live;
    fz_clean_t cl[FZ_MAX_CLEANUPS];
    size_t n_cl;
    uint32_t slot_gen[FZ_MAX_RECS + 2], slot_rec[FZ_MAX_RECS + 2];
    size_t distinct, retired, interned, hits, pending;
    uint64_t seq;
    uint32_t epoch;
    size_t runs;
    bool in_reset;
    size_t misuse_seen, misuse_expected;
    uint32_t dead[FZ_MAX_RECS];
    size_t op;
} fz_state_t;

static fz_state_t st;

static _Noreturn void fz_fail(int line, const char *cond, const char *msg)
{
    fprintf(stderr, "fuzz_arena: operation %zu: %s (%s, line %d)\n"
            "  config: index_bits %u, max_handles %u, flags %u; live %zu, handles %zu\n",
            st.op, msg, cond, line, st.bits, st.cfg.max_handles, st.cfg.flags, st.n_live,
            st.n_recs);
    fflush(stderr);
    abort();
}

static void fz_on_misuse(const misuse_report_t *r, void *ctx)
{
    (void)ctx;
    REQUIRE(strcmp(r->allocator, "arena") == 0 && strcmp(r->kind, "stale-handle") == 0,
            "misuse reported with the wrong allocator or kind");
    st.misuse_seen++;
}

static const char *const vocab[16] = {
    "", "a", "b", "handle", "slot", "generation", "arena", "slab",
    "the", "of", "weak", "stale", "a\xff", "cleanup", "retired slot", "sixteen bytes..",
};

/* ---- checks ------------------------------------------------------------------ */

static void verify_bytes(const fz_rec_t *r, const unsigned char *p)
{
    if (r->interned)
        REQUIRE(memcmp(p, r->str, r->size) == 0 && p[r->size] == 0, "an interned string changed");
    else
        REQUIRE(rng_stamp_damage(p, r->size, r->stamp) == r->size, "a live object lost its bytes");
}

static void verify_rec(const fz_rec_t *r)
{
    const unsigned char *p = arena_get(&st.a, r->h);
    if (!r->live) {
        REQUIRE(p == NULL, "a dead handle resolves");
        REQUIRE(arena_size(&st.a, r->h) == 0 && arena_refcount(&st.a, r->h) == 0,
                "a dead handle has a size or references");
        return;
    }
    REQUIRE(p != NULL, "a live handle resolves to NULL");
    REQUIRE(arena_size(&st.a, r->h) == r->size, "arena_size differs from the model");
    REQUIRE(arena_refcount(&st.a, r->h) == r->refs, "arena_refcount differs from the model");
    verify_bytes(r, p);
}

static void verify_all(void)
{
    for (size_t k = 0; k < st.n_live; k++)
        verify_rec(&st.recs[st.live[k]]);
}

static void agree(void)
{
    arena_stats_t s;
    arena_stats(&st.a, &s);
    REQUIRE(s.live == st.n_live && s.slots == st.n_live, "live count differs from the model");
    REQUIRE(s.interned == st.interned, "interned count differs");
    REQUIRE(s.intern_hits == st.hits, "intern_hits differs");
    REQUIRE(s.cleanups == st.pending, "pending cleanups differ");
    REQUIRE(s.retired == st.retired, "retired slots differ");
    REQUIRE(s.free_slots == st.distinct - st.n_live - st.retired, "free slots differ");
    REQUIRE(s.bytes_from_source == st.fs.live_bytes, "bytes_from_source differs from the source");
    REQUIRE(st.misuse_seen == st.misuse_expected, "misuse reports differ from the misuse done");
}

static void check(void)
{
    REQUIRE(arena_check(&st.a) == 0, "arena_check() found a problem");
}

/* A call failed with ENOMEM: only allowed if the source refused, and
 * nothing changed. */
static void failed_ok(size_t refused_before)
{
    REQUIRE(st.fs.failures > refused_before, "ENOMEM without a refusal of the source");
    check();
    agree();
    verify_all();
}

/* ---- records ---------------------------------------------------------------------- */

static size_t free_slots(void)
{
    return st.distinct - st.n_live - st.retired;
}

static bool no_slot_left(void)
{
    return free_slots() == 0 && st.distinct == st.max_slots;
}

static fz_rec_t *rec_new(handle_t h, uint32_t size)
{
    uint32_t slot = h & st.mask, gen = h >> st.bits;
    REQUIRE(slot != 0 && slot <= FZ_MAX_RECS + 1, "a new handle names slot 0 or a far slot");
    if (free_slots() > 0) {
        REQUIRE(st.slot_gen[slot] != 0, "a fresh slot was taken while others were free");
        REQUIRE(!st.recs[st.slot_rec[slot]].live, "the slot of a live object was reused");
        REQUIRE(st.slot_gen[slot] < st.gen_max, "a retired slot was reused");
        REQUIRE(gen == st.slot_gen[slot] + 1, "a reused slot skipped a generation");
    } else {
        REQUIRE(slot == st.distinct + 1 && gen == 1, "not the next fresh slot, or not generation 1");
        st.distinct++;
    }
    uint32_t id = (uint32_t)st.n_recs++;
    fz_rec_t *r = &st.recs[id];
    *r = (fz_rec_t){.h = h, .live = true, .size = size, .refs = 1, .held = 1, .top = NONE,
                    .live_pos = (uint32_t)st.n_live};
    st.live[st.n_live++] = id;
    st.slot_gen[slot] = gen;
    st.slot_rec[slot] = id;
    return r;
}

static void rec_dead(fz_rec_t *r)
{
    r->live = false;
    r->refs = r->held = 0;
    uint32_t last = st.live[--st.n_live];
    st.live[r->live_pos] = last;
    st.recs[last].live_pos = r->live_pos;
    if (r->interned)
        st.interned--;
    st.pending -= r->n_cleanups;
    r->n_cleanups = 0;
    r->top = NONE;
    if ((r->h >> st.bits) == st.gen_max)
        st.retired++;
}

/* ---- cleanups and cascades --------------------------------------------------------- */

static void on_cleanup(void *obj, size_t size, void *ctx)
{
    fz_clean_t *c = ctx;
    fz_rec_t *o = &st.recs[c->owner];
    st.runs++;
    c->ran++;
    REQUIRE(c->expected, "a cleanup ran that the model did not predict");
    REQUIRE(c->seq < o->last_run, "an object's cleanups ran out of order");
    o->last_run = c->seq;
    REQUIRE(size == o->size, "a cleanup got the wrong size");
    verify_bytes(o, obj);
    if (st.in_reset)
        REQUIRE(arena_get(&st.a, o->h) == obj, "during reset an object is not readable");
    if (c->target != NONE)
        REQUIRE(arena_release(&st.a, st.recs[c->target].h) >= 0, "a cleanup's release failed");
}

static uint32_t *sim_refs(uint32_t id)
{
    fz_rec_t *r = &st.recs[id];
    if (r->sim_epoch != st.epoch) {
        r->sim_epoch = st.epoch;
        r->sim_refs = r->refs;
    }
    return &r->sim_refs;
}

static void release_rec(uint32_t id)
{
    fz_rec_t *r = &st.recs[id];
    size_t n_dead = 0, top = 0, runs = 0;
    st.epoch++;
    if (--*sim_refs(id) == 0)
        st.dead[top++] = id;
    while (n_dead < top) {
        uint32_t x = st.dead[n_dead++];
        st.recs[x].last_run = UINT64_MAX;
        for (uint32_t c = st.recs[x].top; c != NONE; c = st.cl[c].prev) {
            st.cl[c].expected = true;
            runs++;
            uint32_t t = st.cl[c].target;
            if (t != NONE && --*sim_refs(t) == 0)
                st.dead[top++] = t;
        }
    }
    uint32_t left = *sim_refs(id);
    st.runs = 0;
    r->held--;
    int rc = arena_release(&st.a, r->h);
    REQUIRE(rc >= 0 && (uint32_t)rc == left, "arena_release returned the wrong count");
    REQUIRE(st.runs == runs, "not the predicted number of cleanups ran");
    for (size_t k = 0; k < n_dead; k++)
        for (uint32_t c = st.recs[st.dead[k]].top; c != NONE; c = st.cl[c].prev) {
            REQUIRE(st.cl[c].ran == 1, "a cleanup did not run exactly once");
            st.cl[c].expected = false;
        }
    for (size_t k = 0; k < n_dead; k++)
        rec_dead(&st.recs[st.dead[k]]);
    for (size_t k = 0; k < st.n_live; k++) {
        fz_rec_t *x = &st.recs[st.live[k]];
        if (x->sim_epoch == st.epoch)
            x->refs = x->sim_refs;
    }
    for (size_t k = 0; k < n_dead; k++)
        verify_rec(&st.recs[st.dead[k]]);
    if (r->live)
        verify_rec(r);
}

/* ---- operations ------------------------------------------------------------------ */

static void do_alloc(size_t size, uint64_t stamp)
{
    if (st.n_recs == FZ_MAX_RECS)
        return;
    bool full = no_slot_left();
    size_t refused = st.fs.failures;
    errno = 0;
    handle_t h = arena_alloc(&st.a, size);
    if (full) {
        REQUIRE(h == HANDLE_NULL && errno == ENOSPC, "alloc with no slot left did not fail with ENOSPC");
        return;
    }
    if (h == HANDLE_NULL) {
        REQUIRE(errno == ENOMEM, "alloc failed without ENOMEM");
        failed_ok(refused);
        return;
    }
    fz_rec_t *r = rec_new(h, (uint32_t)size);
    unsigned char *p = arena_get(&st.a, h);
    REQUIRE(p != NULL, "a new handle does not resolve");
    if (st.cfg.flags & ARENA_ZERO)
        for (size_t i = 0; i < size; i++)
            REQUIRE(p[i] == 0, "an ARENA_ZERO object is not zeroed");
    r->stamp = stamp;
    rng_stamp(p, size, stamp);
}

static void do_intern(const void *bytes, size_t len)
{
    uint32_t id = NONE;
    for (size_t k = 0; k < st.n_live && id == NONE; k++) {
        fz_rec_t *x = &st.recs[st.live[k]];
        if (x->interned && x->size == len && memcmp(x->str, bytes, len) == 0)
            id = st.live[k];
    }
    if (id == NONE && st.n_recs == FZ_MAX_RECS)
        return;
    bool full = id == NONE && no_slot_left();
    size_t refused = st.fs.failures;
    errno = 0;
    handle_t h = arena_intern(&st.a, bytes, len);
    if (id != NONE) {
        REQUIRE(h == st.recs[id].h, "equal bytes interned to another handle");
        st.recs[id].refs++;
        st.recs[id].held++;
        st.hits++;
        verify_rec(&st.recs[id]);
        return;
    }
    if (full) {
        /* (the set may have needed to grow first, and been refused) */
        REQUIRE(h == HANDLE_NULL && (errno == ENOSPC || errno == ENOMEM),
                "intern with no slot left did not fail");
        if (errno == ENOMEM)
            failed_ok(refused);
        return;
    }
    if (h == HANDLE_NULL) {
        REQUIRE(errno == ENOMEM, "intern failed without ENOMEM");
        failed_ok(refused);
        return;
    }
    fz_rec_t *r = rec_new(h, (uint32_t)len);
    r->interned = true;
    memcpy(r->str, bytes, len);
    st.interned++;
    verify_rec(r);
}

static void do_resize(fz_rec_t *r, size_t size, uint64_t stamp)
{
    size_t refused = st.fs.failures;
    const void *before = arena_get(&st.a, r->h);
    int rc = arena_resize(&st.a, r->h, size);
    if (r->interned) {
        REQUIRE(rc == -EINVAL, "resize of an interned string was not refused");
        verify_rec(r);
        return;
    }
    if (rc != 0) {
        REQUIRE(rc == -ENOMEM, "resize failed without -ENOMEM");
        REQUIRE(arena_get(&st.a, r->h) == before, "a failed resize moved the object");
        failed_ok(refused);
        return;
    }
    unsigned char *p = arena_get(&st.a, r->h);
    size_t keep = r->size < size ? r->size : size;
    REQUIRE(rng_stamp_damage(p, keep, r->stamp) == keep, "resize lost the bytes");
    if (st.cfg.flags & ARENA_ZERO)
        for (size_t i = keep; i < size; i++)
            REQUIRE(p[i] == 0, "an ARENA_ZERO resize did not zero the new bytes");
    r->size = (uint32_t)size;
    r->stamp = stamp;
    rng_stamp(p, size, stamp);
}

static void do_on_free(fz_rec_t *r, fz_rec_t *target)
{
    if (st.n_cl == FZ_MAX_CLEANUPS)
        return;
    size_t refused = st.fs.failures;
    uint32_t c = (uint32_t)st.n_cl;
    st.cl[c] = (fz_clean_t){.owner = (uint32_t)(r - st.recs), .target = NONE, .prev = r->top,
                            .seq = st.seq + 1};
    int rc = arena_on_free(&st.a, r->h, on_cleanup, &st.cl[c]);
    if (rc != 0) {
        REQUIRE(rc == -ENOMEM, "on_free failed without -ENOMEM");
        failed_ok(refused);
        return;
    }
    if (target) {
        REQUIRE(arena_share(&st.a, target->h) == 0, "share of a live object failed");
        target->refs++;
        st.cl[c].target = (uint32_t)(target - st.recs);
    }
    st.n_cl++;
    st.seq++;
    r->top = c;
    r->n_cleanups++;
    st.pending++;
}

/* Every call on value v, which is not a live handle, fails. */
static void stale_calls(handle_t v)
{
    REQUIRE(arena_get(&st.a, v) == NULL, "a value that is no live handle resolves");
    REQUIRE(arena_size(&st.a, v) == 0 && arena_refcount(&st.a, v) == 0, "a stale value has a size");
    REQUIRE(arena_share(&st.a, v) == -ESTALE, "share of a stale value did not fail");
    REQUIRE(arena_resize(&st.a, v, 8) == -ESTALE, "resize of a stale value did not fail");
    REQUIRE(arena_on_free(&st.a, v, on_cleanup, NULL) == -ESTALE, "on_free of a stale value did not fail");
    st.misuse_expected++;
    REQUIRE(arena_release(&st.a, v) == -ESTALE, "release of a stale value did not fail");
    REQUIRE(st.misuse_seen == st.misuse_expected, "a stale release was not reported once");
}

static void do_forged(handle_t v)
{
    uint32_t slot = v & st.mask;
    if (slot != 0 && slot <= st.distinct) {
        fz_rec_t *r = &st.recs[st.slot_rec[slot]];
        if (r->live && r->h == v) {
            verify_rec(r);
            return;
        }
    }
    stale_calls(v);
}

static void do_reset(void)
{
    size_t runs = 0;
    for (size_t k = 0; k < st.n_live; k++) {
        fz_rec_t *r = &st.recs[st.live[k]];
        r->last_run = UINT64_MAX;
        for (uint32_t c = r->top; c != NONE; c = st.cl[c].prev) {
            st.cl[c].expected = true;
            runs++;
        }
    }
    st.runs = 0;
    st.in_reset = true;
    arena_reset(&st.a);
    st.in_reset = false;
    REQUIRE(st.runs == runs, "reset did not run every pending cleanup");
    while (st.n_live) {
        fz_rec_t *r = &st.recs[st.live[st.n_live - 1]];
        for (uint32_t c = r->top; c != NONE; c = st.cl[c].prev) {
            REQUIRE(st.cl[c].ran == 1, "reset did not run a cleanup exactly once");
            st.cl[c].expected = false;
        }
        rec_dead(r);
        verify_rec(r);
    }
    check();
}

/* The live record b chooses, or NULL. */
static fz_rec_t *live_at(uint8_t b)
{
    return st.n_live ? &st.recs[st.live[b % st.n_live]] : NULL;
}

/* A live record with a reference the run holds, from b on, or NONE. */
static uint32_t held_from(uint8_t b)
{
    for (size_t n = 0, k = st.n_live ? b % st.n_live : 0; n < st.n_live; n++, k = (k + 1) % st.n_live)
        if (st.recs[st.live[k]].held > 0)
            return st.live[k];
    return NONE;
}

static void run_op(fz_input_t *in, uint8_t op)
{
    unsigned n = op & 0x0F;
    switch (op >> 4) {
    case 0: case 1: case 2: {
        size_t size = 1 + (((size_t)(op & 0x3F) << 8) | in_byte(in)) % 3000;
        do_alloc(size, st.op * 0x9E3779B97F4A7C15u + 1);
        break;
    }
    case 3:
        do_intern(vocab[n], strlen(vocab[n]));
        break;
    case 4: {
        fz_rec_t *r = live_at(in_byte(in));
        if (r) {
            REQUIRE(arena_share(&st.a, r->h) == 0, "share of a live object failed");
            r->refs++;
            r->held++;
        }
        break;
    }
    case 5: {
        uint32_t id = held_from(in_byte(in));
        if (id != NONE)
            release_rec(id);
        break;
    }
    case 6: {
        fz_rec_t *r = live_at(in_byte(in));
        size_t size = 1 + (((size_t)n << 8) | in_byte(in)) % 3000;
        if (r)
            do_resize(r, size, st.op * 0x9E3779B97F4A7C15u + 2);
        break;
    }
    case 7: {
        fz_rec_t *r = live_at(in_byte(in));
        fz_rec_t *t = live_at(in_byte(in));
        if (r)
            do_on_free(r, (n & 1) ? t : NULL);
        break;
    }
    case 8: {
        uint8_t b = in_byte(in);
        if (st.n_recs > st.n_live) {
            size_t k = b % st.n_recs;
            while (st.recs[k].live)
                k = (k + 1) % st.n_recs;
            stale_calls(st.recs[k].h);
        }
        break;
    }
    case 9: {
        uint32_t v = 0;
        for (int i = 0; i < 4; i++)
            v = v << 8 | in_byte(in);
        do_forged(v);
        break;
    }
    case 10:
        if (n == 0)
            do_reset();
        else
            verify_all();
        break;
    case 11:
        check();
        verify_all();
        break;
    case 12:
        if (n < 8)
            failing_source_fail_after(&st.fs, (long)n);
        else
            failing_source_recover(&st.fs);
        break;
    case 13: {
        unsigned char buf[FZ_MAX_BYTES];
        size_t len = n < FZ_MAX_BYTES ? n : FZ_MAX_BYTES - 1;
        for (size_t i = 0; i < len; i++)
            buf[i] = in_byte(in);
        do_intern(buf, len);
        break;
    }
    case 14:
        for (size_t k = st.n_live; k-- > 0;)
            if (k < st.n_live && k % (2 + n % 3) == 0 && st.recs[st.live[k]].held > 0)
                release_rec(st.live[k]);
        break;
    default: {
        size_t size = 1 + in_byte(in) % 64;
        for (unsigned i = 0; i <= n; i++)
            do_alloc(size, (st.op << 4 | i) * 0x9E3779B97F4A7C15u + 3);
        break;
    }
    }
}

static void configure(fz_input_t *in, long *fail_after)
{
    uint8_t h0 = in_byte(in), h1 = in_byte(in), h2 = in_byte(in), h3 = in_byte(in);
    arena_config_t *c = &st.cfg;
    *c = (arena_config_t){.slabs = {.min_size = 16, .max_size = 1024, .slab_size = 1u << 14,
                                    .source = &st.fs.base}};
    c->index_bits = 8 + h0 % 21u;
    c->max_handles = (h1 & 0x80) ? 1u + (h1 & 0x7Fu) : 0;
    c->flags = h2 & 3u;
    st.bits = c->index_bits;
    st.mask = (UINT32_C(1) << st.bits) - 1;
    st.gen_max = (uint32_t)((UINT64_C(1) << (32 - st.bits)) - 1);
    st.max_slots = c->max_handles ? c->max_handles : st.mask;
    *fail_after = h3 ? (long)((h3 - 1) % 64) : -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_input_t in = {data, size, 0};
    long fail_after;
    memset(&st, 0, sizeof st);
    failing_source_init(&st.fs, NULL);
    configure(&in, &fail_after);
    REQUIRE(arena_init(&st.a, &st.cfg) == 0, "a valid configuration was refused");
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
    check();
    verify_all();
    failing_source_recover(&st.fs);
    /* some references given back one by one (cascades included), the rest
     * by destroy, which runs the pending cleanups */
    for (size_t k = st.n_live; k-- > 0;)
        if (k < st.n_live && k % 2 == 0 && st.recs[st.live[k]].held > 0)
            release_rec(st.live[k]);
    agree();
    st.in_reset = true; /* destroy runs the cleanups as a reset does */
    for (size_t k = 0; k < st.n_live; k++) {
        fz_rec_t *r = &st.recs[st.live[k]];
        r->last_run = UINT64_MAX;
        for (uint32_t c = r->top; c != NONE; c = st.cl[c].prev)
            st.cl[c].expected = true;
    }
    st.runs = 0;
    size_t pending = st.pending;
    arena_destroy(&st.a);
    misuse_set_handler(NULL, NULL);
    REQUIRE(st.runs == pending, "destroy did not run every pending cleanup");
    REQUIRE(st.fs.live_bytes == 0, "destroy did not return every byte");
    REQUIRE(st.fs.live_acquisitions == 0, "destroy did not release every acquisition");
    return 0;
}

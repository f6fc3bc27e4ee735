/*
 * test_model.c - stage 03 against a model: a random workload of every
 * operation, each result predicted before the call and compared after it.
 *
 * The model keeps a record for every handle the arena ever gave out: live
 * or not, its size, the seed of its bytes (or, interned, the word it
 * holds), its reference count and its pending cleanups.  Every new handle
 * must name a slot that was free (or a fresh one when none was), with the
 * next generation of that slot, so that no handle value is ever given out
 * twice.  The operations:
 *  - alloc and intern (from a small vocabulary, so that hits are common),
 *    expected to fail with ENOSPC exactly when no slot is left;
 *  - resize (refused for interned strings), share, release;
 *  - on_free, with cleanups that record each run and some that release
 *    another object they hold a reference to, so releases cascade.  Before
 *    a release the model predicts which objects die and which cleanups run;
 *    each cleanup checks that it was predicted, that it runs after the
 *    newer cleanups of its object, and that the object's bytes are intact;
 *  - stale handles (every call on them fails, a release is reported as
 *    misuse) and forged values (random, wrong generation, generation 0,
 *    slot never used), which must resolve only if they are a live handle;
 *  - arena_reset(), after which every cleanup has run once while every
 *    object was still readable, and every handle is stale.
 * After every step the touched objects are verified (bytes, size, count);
 * every CHECK_EVERY steps arena_check() must be 0 and every live object and
 * every counter of arena_stats() must agree with the model.
 *
 * Configurations: the defaults, index_bits 28 (15 generations: slots retire
 * all through the run), ARENA_CHECKED, ARENA_ZERO, a small max_handles, 8
 * index bits, and max_handles with 28 index bits, where in the end every
 * slot retires and every allocation fails.
 */
#include <check.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "failing_source.h"
#include "misuse_counter.h"
#include "paint_source.h"
#include "require.h"
#include "rng.h"
#include "tool_query.h"

#define NONE UINT32_MAX
#define MAX_RECS (1u << 18)      /* handles the model can remember */
#define MAX_CLEANUPS (1u << 17)  /* cleanups the model can remember */
#define CHECK_EVERY 251u         /* steps between two full sweeps */

#define M_EQ(a, b)                                                                         \
    do {                                                                                   \
        uintmax_t m_a_ = (uintmax_t)(a), m_b_ = (uintmax_t)(b);                            \
        REQUIRE(m_a_ == m_b_, "step %zu: %s == %s failed: %ju, %ju", M.step, #a, #b, m_a_, \
                m_b_);                                                                     \
    } while (0)

/* ---- the vocabulary of interned strings ------------------------------------- */

typedef struct word {
    const char *s;
    size_t len;
} word_t;

#define W(lit) {lit, sizeof lit - 1}
static const word_t words[] = {
    W(""), W("a"), W("b"), W("handle"), W("slot"), W("generation"), W("arena"), W("slab"),
    W("pool"), W("the"), W("of"), W("and"), W("interned strings are shared"),
    W("a\0b"), W("a\0c"), W("\xff\xfe"), W("resolve"), W("retired"), W("stale"),
    W("a much longer string, longer than sixteen bytes, to cross classes"),
    W("cleanup"), W("cascade"), W("reference"), W("weak"),
};
#undef W
#define N_WORDS (sizeof words / sizeof words[0])

/* ---- the model ------------------------------------------------------------- */

typedef struct mrec {
    handle_t h;            /* the handle given out */
    bool live;             /* not released to 0 and not reset */
    bool interned;         /* an interned string: holds words[word] */
    uint32_t word;
    uint32_t size;         /* bytes asked for */
    uint64_t seed;         /* not interned: the stamp of its bytes */
    uint32_t refs;         /* reference count */
    uint32_t held;         /* references the test holds (the others: its cleanups') */
    uint32_t top;          /* newest pending cleanup, or NONE */
    uint32_t n_cleanups;   /* pending cleanups */
    uint32_t live_pos;     /* index in M.live */
    uint64_t last_run;     /* seq of the cleanup of it that ran last (order check) */
    uint32_t sim_epoch;    /* the prediction that last touched sim_refs */
    uint32_t sim_refs;     /* the count during a prediction */
} mrec_t;

typedef struct mclean {
    uint32_t owner;        /* the record it belongs to */
    uint32_t target;       /* the record it releases when it runs, or NONE */
    uint32_t prev;         /* the next older cleanup of its owner, or NONE */
    uint64_t seq;          /* registration order, from 1 */
    uint32_t ran;          /* times it ran */
    bool expected;         /* the call running now is predicted to run it */
} mclean_t;

typedef struct model {
    arena_config_t cfg;
    unsigned bits;              /* index bits */
    uint32_t mask, gen_max, max_slots; /* max_slots: slots usable (max_handles) */
    mrec_t *recs;               /* every handle given out */
    size_t n_recs;
    uint32_t *live;             /* records of the live objects */
    size_t n_live;
    mclean_t *cl;               /* every cleanup registered */
    size_t n_cl;
    uint32_t *slot_gen;         /* per slot: the last generation given out, 0 = never */
    uint32_t *slot_rec;         /* per slot: the record of that generation */
    size_t slots_cap;
    size_t distinct;            /* slots ever used: 1..distinct */
    size_t retired;             /* slots whose last generation was gen_max and is dead */
    uint32_t word_rec[N_WORDS]; /* live interned record of each word, or NONE */
    size_t interned, hits, pending;
    uint64_t seq;               /* last cleanup seq */
    uint32_t epoch;             /* predictions made */
    size_t runs;                /* cleanup runs seen by the callback */
    bool in_reset;
    size_t misuse_expected;
    size_t enospc;              /* allocations refused for want of a slot */
    size_t step;
} model_t;

static model_t M;
static arena_t A;
static failing_source_t fs;
static misuse_counter_t mc;

/* Steps of a workload: fewer under Valgrind, and with the expensive
 * checks, which run arena_check() inside every allocation and release. */
static size_t scaled(size_t n)
{
#ifdef SC_EXPENSIVE_CHECKS
    n /= 3;
#endif
    return tq_under_valgrind() ? n / 4 : n;
}

static void model_open(arena_config_t cfg)
{
    memset(&M, 0, sizeof M);
    M.cfg = cfg;
    M.bits = cfg.index_bits ? cfg.index_bits : ARENA_DEFAULT_INDEX_BITS;
    M.mask = (UINT32_C(1) << M.bits) - 1;
    M.gen_max = (uint32_t)((UINT64_C(1) << (32 - M.bits)) - 1);
    M.max_slots = cfg.max_handles ? cfg.max_handles : M.mask;
    M.recs = calloc(MAX_RECS, sizeof *M.recs);
    M.live = calloc(MAX_RECS, sizeof *M.live);
    M.cl = calloc(MAX_CLEANUPS, sizeof *M.cl);
    M.slots_cap = MAX_RECS + 2;
    M.slot_gen = calloc(M.slots_cap, sizeof *M.slot_gen);
    M.slot_rec = calloc(M.slots_cap, sizeof *M.slot_rec);
    ck_assert(M.recs && M.live && M.cl && M.slot_gen && M.slot_rec);
    for (size_t w = 0; w < N_WORDS; w++)
        M.word_rec[w] = NONE;
    failing_source_init(&fs, paint_source());
    cfg.slabs.source = &fs.base;
    ck_assert_int_eq(arena_init(&A, &cfg), 0);
    misuse_counter_install(&mc);
}

static void model_close(void)
{
    misuse_counter_remove();
    ck_assert_uint_eq(arena_check(&A), 0);
    arena_destroy(&A);
    ck_assert_uint_eq(fs.live_bytes, 0);
    ck_assert_uint_eq(fs.live_acquisitions, 0);
    free(M.recs);
    free(M.live);
    free(M.cl);
    free(M.slot_gen);
    free(M.slot_rec);
}

/* The slabs underneath: small classes and 16 KiB slabs, so objects above
 * 1 KiB take the large path. */
static arena_config_t config(unsigned bits, uint32_t max_handles, unsigned flags)
{
    return (arena_config_t){.slabs = {.min_size = 16, .max_size = 1024, .slab_size = 1u << 14},
                            .index_bits = bits, .max_handles = max_handles, .flags = flags};
}

/* ---- checks ------------------------------------------------------------------ */

/* The bytes of record r at p are what the model says. */
static void verify_bytes(const mrec_t *r, const unsigned char *p)
{
    if (r->interned) {
        const word_t *w = &words[r->word];
        REQUIRE(memcmp(p, w->s, w->len) == 0 && p[w->len] == 0,
                "step %zu: interned string %u lost its bytes", M.step, r->word);
    } else {
        size_t bad = rng_stamp_damage(p, r->size, r->seed);
        REQUIRE(bad == r->size, "step %zu: handle %#x (%u bytes) damaged at offset %zu", M.step,
                r->h, r->size, bad);
    }
}

/* Record r, live, resolves to its bytes with its size and count; dead,
 * resolves to nothing. */
static void verify_rec(const mrec_t *r)
{
    const unsigned char *p = arena_get(&A, r->h);
    if (!r->live) {
        REQUIRE(p == NULL, "step %zu: dead handle %#x resolves", M.step, r->h);
        M_EQ(arena_size(&A, r->h), 0);
        M_EQ(arena_refcount(&A, r->h), 0);
        return;
    }
    REQUIRE(p != NULL, "step %zu: live handle %#x resolves to NULL", M.step, r->h);
    M_EQ(arena_size(&A, r->h), r->size);
    M_EQ(arena_refcount(&A, r->h), r->refs);
    verify_bytes(r, p);
}

static void verify_stats(void)
{
    arena_stats_t st;
    arena_stats(&A, &st);
    M_EQ(st.live, M.n_live);
    M_EQ(st.slots, M.n_live);
    M_EQ(st.interned, M.interned);
    M_EQ(st.intern_hits, M.hits);
    M_EQ(st.cleanups, M.pending);
    M_EQ(st.retired, M.retired);
    M_EQ(st.free_slots, M.distinct - M.n_live - M.retired);
    M_EQ(st.bytes_from_source, fs.live_bytes);
    M_EQ(mc.count, M.misuse_expected);
}

static void sweep(void)
{
    M_EQ(arena_check(&A), 0);
    for (size_t k = 0; k < M.n_live; k++)
        verify_rec(&M.recs[M.live[k]]);
    verify_stats();
}

/* ---- records ------------------------------------------------------------------ */

static mrec_t *rec_live(size_t k)
{
    return &M.recs[M.live[k]];
}

static size_t free_slots(void)
{
    return M.distinct - M.n_live - M.retired;
}

/* Whether the next new object must fail for want of a slot. */
static bool no_slot_left(void)
{
    return free_slots() == 0 && M.distinct == M.max_slots;
}

/* Takes in a new handle h: a free slot with its next generation, or the
 * next fresh slot when none is free; returns its new record. */
static mrec_t *rec_new(handle_t h, uint32_t size)
{
    uint32_t slot = h & M.mask, gen = h >> M.bits;
    REQUIRE(slot != 0 && slot < M.slots_cap, "step %zu: handle %#x names slot %u", M.step, h, slot);
    if (free_slots() > 0) {
        REQUIRE(M.slot_gen[slot] != 0, "step %zu: a fresh slot %u taken while %zu were free",
                M.step, slot, free_slots());
        REQUIRE(!M.recs[M.slot_rec[slot]].live, "step %zu: slot %u of a live object reused", M.step,
                slot);
        REQUIRE(M.slot_gen[slot] < M.gen_max, "step %zu: retired slot %u reused", M.step, slot);
        M_EQ(gen, M.slot_gen[slot] + 1);
    } else {
        M_EQ(slot, M.distinct + 1);
        M_EQ(gen, 1);
        M.distinct++;
    }
    REQUIRE(M.n_recs < MAX_RECS, "the model is full");
    uint32_t id = (uint32_t)M.n_recs++;
    mrec_t *r = &M.recs[id];
    *r = (mrec_t){.h = h, .live = true, .size = size, .refs = 1, .held = 1, .top = NONE,
                  .live_pos = (uint32_t)M.n_live};
    M.live[M.n_live++] = id;
    M.slot_gen[slot] = gen;
    M.slot_rec[slot] = id;
    return r;
}

/* Record r died: off the live list, its word and cleanups forgotten. */
static void rec_dead(mrec_t *r)
{
    r->live = false;
    r->refs = r->held = 0;
    uint32_t last = M.live[--M.n_live];
    M.live[r->live_pos] = last;
    M.recs[last].live_pos = r->live_pos;
    if (r->interned) {
        M.word_rec[r->word] = NONE;
        M.interned--;
    }
    M.pending -= r->n_cleanups;
    r->n_cleanups = 0;
    r->top = NONE;
    if ((r->h >> M.bits) == M.gen_max)
        M.retired++;
}

/* ---- cleanups ------------------------------------------------------------------ */

/* A cleanup: it must have been predicted, run after the newer cleanups of
 * its object, see the object intact, and (during a reset) see it and its
 * target still readable.  Then it gives back the reference it holds. */
static void on_cleanup(void *obj, size_t size, void *ctx)
{
    mclean_t *c = ctx;
    mrec_t *o = &M.recs[c->owner];
    M.runs++;
    c->ran++;
    REQUIRE(c->expected, "step %zu: cleanup %ju of handle %#x ran unpredicted", M.step,
            (uintmax_t)c->seq, o->h);
    REQUIRE(c->seq < o->last_run, "step %zu: cleanups of %#x out of order", M.step, o->h);
    o->last_run = c->seq;
    M_EQ(size, o->size);
    verify_bytes(o, obj);
    if (M.in_reset)
        REQUIRE(arena_get(&A, o->h) == obj, "step %zu: during reset %#x is not readable", M.step,
                o->h);
    if (c->target != NONE) {
        handle_t t = M.recs[c->target].h;
        if (M.in_reset)
            REQUIRE(arena_get(&A, t) != NULL, "step %zu: during reset %#x is not readable",
                    M.step, t);
        int rc = arena_release(&A, t);
        REQUIRE(rc >= 0, "step %zu: a cleanup's release of %#x gave %d", M.step, t, rc);
        if (M.in_reset && rc == 0) {
            /* its last reference went during the reset: still readable,
             * but dead, so it cannot be shared again */
            REQUIRE(arena_get(&A, t) != NULL, "step %zu: during reset %#x was freed", M.step, t);
            M_EQ(arena_refcount(&A, t), 0);
            M_EQ(arena_share(&A, t), -ESTALE);
        }
    }
}

/* The count of record id during the current prediction. */
static uint32_t *sim_refs(uint32_t id)
{
    mrec_t *r = &M.recs[id];
    if (r->sim_epoch != M.epoch) {
        r->sim_epoch = M.epoch;
        r->sim_refs = r->refs;
    }
    return &r->sim_refs;
}

/* Predicts a release of record root: marks every cleanup that will run,
 * collects the records that die in dead[] (returns how many), and the
 * cleanups expected in *runs. */
static size_t predict_release(uint32_t root, uint32_t *dead, size_t *runs)
{
    M.epoch++;
    size_t n_dead = 0, top = 0;
    uint32_t *stack = dead; /* dead[n_dead..top) is the stack of dying records */
    *runs = 0;
    if (--*sim_refs(root) == 0)
        stack[top++] = root;
    while (n_dead < top) {
        uint32_t x = stack[n_dead++];
        M.recs[x].last_run = UINT64_MAX;
        for (uint32_t c = M.recs[x].top; c != NONE; c = M.cl[c].prev) {
            M.cl[c].expected = true;
            ++*runs;
            uint32_t t = M.cl[c].target;
            if (t != NONE && --*sim_refs(t) == 0)
                stack[top++] = t;
        }
    }
    return n_dead;
}

/* ---- the operations -------------------------------------------------------------- */

static size_t pick_size(rng_t *r)
{
    switch (rng_below(r, 16)) {
    case 0:
        return 1 + rng_below(r, 5000);
    case 1: case 2: case 3:
        return 1 + rng_below(r, 1024);
    default:
        return 1 + rng_below(r, 96);
    }
}

static void do_alloc(rng_t *rg)
{
    size_t size = pick_size(rg);
    bool full = no_slot_left();
    errno = 0;
    handle_t h = arena_alloc(&A, size);
    if (full) {
        REQUIRE(h == HANDLE_NULL && errno == ENOSPC, "step %zu: alloc with no slot left gave %#x, errno %d",
                M.step, h, errno);
        M.enospc++;
        return;
    }
    REQUIRE(h != HANDLE_NULL, "step %zu: alloc(%zu) failed, errno %d", M.step, size, errno);
    mrec_t *r = rec_new(h, (uint32_t)size);
    unsigned char *p = arena_get(&A, h);
    REQUIRE(p != NULL, "step %zu: new handle does not resolve", M.step);
    if (M.cfg.flags & ARENA_ZERO)
        for (size_t i = 0; i < size; i++)
            REQUIRE(p[i] == 0, "step %zu: ARENA_ZERO object has byte %zu = %#x", M.step, i, p[i]);
    r->seed = rng_next(rg);
    rng_stamp(p, size, r->seed);
    verify_rec(r);
}

static void do_intern(rng_t *rg)
{
    uint32_t w = (uint32_t)rng_below(rg, N_WORDS);
    uint32_t id = M.word_rec[w];
    bool full = id == NONE && no_slot_left();
    errno = 0;
    handle_t h = arena_intern(&A, words[w].s, words[w].len);
    if (id != NONE) {
        mrec_t *r = &M.recs[id];
        REQUIRE(h == r->h, "step %zu: intern of word %u gave %#x, not %#x", M.step, w, h, r->h);
        r->refs++;
        r->held++;
        M.hits++;
        verify_rec(r);
        return;
    }
    if (full) {
        REQUIRE(h == HANDLE_NULL && errno == ENOSPC, "step %zu: intern with no slot left gave %#x",
                M.step, h);
        M.enospc++;
        return;
    }
    REQUIRE(h != HANDLE_NULL, "step %zu: intern of word %u failed, errno %d", M.step, w, errno);
    mrec_t *r = rec_new(h, (uint32_t)words[w].len);
    r->interned = true;
    r->word = w;
    M.word_rec[w] = (uint32_t)(r - M.recs);
    M.interned++;
    verify_rec(r);
}

static void do_resize(rng_t *rg)
{
    mrec_t *r = rec_live(rng_below(rg, M.n_live));
    size_t size = pick_size(rg);
    int rc = arena_resize(&A, r->h, size);
    if (r->interned) {
        M_EQ(rc, -EINVAL);
        verify_rec(r);
        return;
    }
    REQUIRE(rc == 0, "step %zu: resize of %#x to %zu gave %d", M.step, r->h, size, rc);
    unsigned char *p = arena_get(&A, r->h);
    REQUIRE(p != NULL, "step %zu: resized handle does not resolve", M.step);
    size_t keep = r->size < size ? r->size : size;
    M_EQ(rng_stamp_damage(p, keep, r->seed), keep);
    if (M.cfg.flags & ARENA_ZERO)
        for (size_t i = keep; i < size; i++)
            REQUIRE(p[i] == 0, "step %zu: ARENA_ZERO resize left byte %zu = %#x", M.step, i, p[i]);
    r->size = (uint32_t)size;
    r->seed = rng_next(rg);
    rng_stamp(p, size, r->seed);
    verify_rec(r);
}

static void do_share(rng_t *rg)
{
    mrec_t *r = rec_live(rng_below(rg, M.n_live));
    M_EQ(arena_share(&A, r->h), 0);
    r->refs++;
    r->held++;
    verify_rec(r);
}

static void do_release_rec(uint32_t id)
{
    static uint32_t dead[MAX_RECS];
    mrec_t *r = &M.recs[id];
    size_t runs = 0;
    size_t n_dead = predict_release(id, dead, &runs);
    uint32_t left = *sim_refs(id);
    M.runs = 0;
    REQUIRE(r->held > 0, "the test releases a reference it does not hold");
    r->held--;
    int rc = arena_release(&A, r->h);
    M_EQ(rc, left);
    M_EQ(M.runs, runs);
    /* every predicted cleanup ran once; the counts of the survivors are the
     * predicted ones */
    for (size_t k = 0; k < n_dead; k++)
        for (uint32_t c = M.recs[dead[k]].top; c != NONE; c = M.cl[c].prev) {
            M_EQ(M.cl[c].ran, 1);
            M.cl[c].expected = false;
        }
    for (size_t k = 0; k < n_dead; k++)
        rec_dead(&M.recs[dead[k]]);
    for (size_t k = 0; k < M.n_live; k++) {
        mrec_t *x = rec_live(k);
        if (x->sim_epoch == M.epoch && x->refs != x->sim_refs) {
            x->refs = x->sim_refs;
            verify_rec(x);
        }
    }
    for (size_t k = 0; k < n_dead; k++)
        verify_rec(&M.recs[dead[k]]);
    if (r->live)
        verify_rec(r);
}

/* Releases a reference the test holds, from a random live object on. */
static void do_release(rng_t *rg)
{
    size_t k = rng_below(rg, M.n_live);
    for (size_t n = 0; n < M.n_live; n++, k = (k + 1) % M.n_live)
        if (rec_live(k)->held > 0) {
            do_release_rec(M.live[k]);
            return;
        }
}

static void do_on_free(rng_t *rg)
{
    mrec_t *r = rec_live(rng_below(rg, M.n_live));
    uint32_t target = NONE;
    if (rng_below(rg, 2)) {
        target = M.live[rng_below(rg, M.n_live)];
        M_EQ(arena_share(&A, M.recs[target].h), 0); /* the reference the cleanup holds */
        M.recs[target].refs++;
    }
    REQUIRE(M.n_cl < MAX_CLEANUPS, "the model has no room for more cleanups");
    uint32_t c = (uint32_t)M.n_cl++;
    M.cl[c] = (mclean_t){.owner = (uint32_t)(r - M.recs), .target = target, .prev = r->top,
                         .seq = ++M.seq};
    M_EQ(arena_on_free(&A, r->h, on_cleanup, &M.cl[c]), 0);
    r->top = c;
    r->n_cleanups++;
    M.pending++;
    verify_rec(r);
}

/* Every call on a handle that is not live fails; a release is misuse. */
static void stale_calls(handle_t h)
{
    REQUIRE(arena_get(&A, h) == NULL, "step %zu: %#x resolves", M.step, h);
    M_EQ(arena_size(&A, h), 0);
    M_EQ(arena_refcount(&A, h), 0);
    M_EQ(arena_share(&A, h), -ESTALE);
    M_EQ(arena_resize(&A, h, 8), -ESTALE);
    M_EQ(arena_on_free(&A, h, on_cleanup, NULL), -ESTALE);
    M_EQ(mc.count, M.misuse_expected);
    M_EQ(arena_release(&A, h), -ESTALE);
    M.misuse_expected++;
    M_EQ(mc.count, M.misuse_expected);
    REQUIRE(strcmp(mc.last.allocator, "arena") == 0 && strcmp(mc.last.kind, "stale-handle") == 0,
            "step %zu: misuse reported as %s/%s", M.step, mc.last.allocator, mc.last.kind);
}

static void do_stale(rng_t *rg)
{
    if (M.n_recs == M.n_live)
        return;
    mrec_t *r;
    do
        r = &M.recs[rng_below(rg, M.n_recs)];
    while (r->live);
    stale_calls(r->h);
}

/* A value that is a live handle exactly when the model says so. */
static void check_forged(handle_t v)
{
    uint32_t slot = v & M.mask;
    bool live = slot != 0 && slot <= M.distinct && M.slot_gen[slot] != 0 &&
                M.recs[M.slot_rec[slot]].live && M.recs[M.slot_rec[slot]].h == v;
    if (live) {
        verify_rec(&M.recs[M.slot_rec[slot]]);
        return;
    }
    stale_calls(v);
}

static void do_forged(rng_t *rg)
{
    check_forged((handle_t)rng_next(rg));
    check_forged(HANDLE_NULL);
    uint32_t beyond = (uint32_t)(M.distinct + 1 + rng_below(rg, 1000));
    if (beyond <= M.mask)
        check_forged(((uint32_t)(1 + rng_below(rg, M.gen_max)) << M.bits) | beyond);
    if (M.n_live) {
        handle_t h = rec_live(rng_below(rg, M.n_live))->h;
        check_forged(h & M.mask); /* generation 0 */
        uint32_t gen = h >> M.bits;
        uint32_t other = 1 + (uint32_t)((gen + rng_below(rg, M.gen_max - 1)) % M.gen_max);
        check_forged((other << M.bits) | (h & M.mask));
    }
}

static void do_reset(void)
{
    size_t runs = 0;
    for (size_t k = 0; k < M.n_live; k++) {
        mrec_t *r = rec_live(k);
        r->last_run = UINT64_MAX;
        for (uint32_t c = r->top; c != NONE; c = M.cl[c].prev) {
            M.cl[c].expected = true;
            runs++;
        }
    }
    M_EQ(runs, M.pending);
    M.runs = 0;
    M.in_reset = true;
    arena_reset(&A);
    M.in_reset = false;
    M_EQ(M.runs, runs);
    while (M.n_live) {
        mrec_t *r = rec_live(M.n_live - 1);
        for (uint32_t c = r->top; c != NONE; c = M.cl[c].prev) {
            M_EQ(M.cl[c].ran, 1);
            M.cl[c].expected = false;
        }
        rec_dead(r);
        verify_rec(r);
    }
    M_EQ(M.pending, 0);
    M_EQ(M.interned, 0);
    sweep();
}

/* One workload of steps operations, the live count kept around target; a
 * reset about once in reset_odds steps. */
static void workload_r(arena_config_t cfg, size_t steps, size_t target, uint64_t seed,
                       uint64_t reset_odds)
{
    model_open(cfg);
    rng_t rg = {seed};
    for (M.step = 0; M.step < steps; M.step++) {
        bool grow = M.n_live < target;
        uint64_t c = rng_below(&rg, 1000);
        if (rng_below(&rg, reset_odds) == 0) {
            do_reset();
        } else if (M.n_live == 0 || c < (grow ? 300u : 150u)) {
            if (rng_below(&rg, 3) == 0)
                do_intern(&rg);
            else
                do_alloc(&rg);
        } else if (c < 450) {
            do_release(&rg);
        } else if (c < 550) {
            do_resize(&rg);
        } else if (c < 640) {
            do_share(&rg);
        } else if (c < 740) {
            do_on_free(&rg);
        } else if (c < 800) {
            do_stale(&rg);
        } else if (c < 840) {
            do_forged(&rg);
        } else if (c < 900) {
            do_intern(&rg);
        } else if (grow) {
            do_alloc(&rg);
        } else {
            do_release(&rg);
        }
        if (M.step % CHECK_EVERY == 0)
            sweep();
    }
    sweep();
    /* release every reference the test holds, most objects dying in
     * cascades; what cleanups keep alive (cycles) goes with a reset */
    for (size_t k = M.n_live; k-- > 0;) {
        if (k >= M.n_live)
            continue;
        while (k < M.n_live && rec_live(k)->held > 0)
            do_release_rec(M.live[k]);
    }
    sweep();
    do_reset();
    model_close();
}

static void workload(arena_config_t cfg, size_t steps, size_t target, uint64_t seed)
{
    workload_r(cfg, steps, target, seed, 4000);
}

START_TEST(model_default)
{
    workload(config(0, 0, 0), scaled(150000), 1500, 1);
    ck_assert_uint_eq(M.enospc, 0);
}
END_TEST

START_TEST(model_fast_retirement)
{
    workload(config(28, 0, 0), scaled(150000), 300, 2);
    ck_assert_uint_gt(M.retired, 20); /* slots retired all through the run */
}
END_TEST

START_TEST(model_checked)
{
    workload(config(0, 0, ARENA_CHECKED), scaled(60000), 800, 3);
}
END_TEST

START_TEST(model_zero)
{
    workload(config(0, 0, ARENA_ZERO), scaled(100000), 1000, 4);
}
END_TEST

START_TEST(model_small_max_handles)
{
    workload(config(0, 200, 0), scaled(60000), 400, 5);
    ck_assert_uint_gt(M.enospc, 0);
    ck_assert_uint_eq(M.distinct, 200);
}
END_TEST

START_TEST(model_eight_index_bits)
{
    workload(config(8, 0, ARENA_ZERO | ARENA_CHECKED), scaled(40000), 400, 6);
    ck_assert_uint_gt(M.enospc, 0);
    ck_assert_uint_eq(M.distinct, 255);
}
END_TEST

START_TEST(model_every_slot_retires)
{
    /* 100 slots of 15 generations: 1500 objects, then nothing more */
    workload_r(config(28, 100, 0), 20000, 60, 7, 200);
    ck_assert_uint_eq(M.retired, 100);
    ck_assert_uint_eq(M.n_recs, 1500);
    ck_assert_uint_gt(M.enospc, 0);
}
END_TEST

Suite *arena_model_suite(void)
{
    Suite *s = suite_create("arena-model");
    TCase *tc = tcase_create("model");
    tcase_set_tags(tc, "core");
    tcase_set_timeout(tc, 240);
    tcase_add_test(tc, model_default);
    tcase_add_test(tc, model_fast_retirement);
    tcase_add_test(tc, model_checked);
    tcase_add_test(tc, model_zero);
    tcase_add_test(tc, model_small_max_handles);
    tcase_add_test(tc, model_eight_index_bits);
    tcase_add_test(tc, model_every_slot_retires);
    suite_add_tcase(s, tc);
    return s;
}

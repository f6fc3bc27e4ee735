/*
 * slab_test.h - helpers shared by the stage 02 suites (header only, so that
 * every test file still defines exactly one suite).
 *
 *  - a fixture: one slabs_t on a counting failing_source (around the paint
 *    source, so fresh memory is never zero by luck), checked and destroyed
 *    in teardown, which also proves every byte went back;
 *  - a model of the live objects: pointer, requested size and a seed; every
 *    byte of an object is stamped from (seed, offset) when it is allocated
 *    and verified before it is freed, so any overlap or stray write shows;
 *  - a tiny test clock for idle trimming.
 */
#ifndef SLABCRAFT_SLAB_TEST_H
#define SLABCRAFT_SLAB_TEST_H

#include <check.h>
#include <errno.h>
#include <stdalign.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "failing_source.h"
#include "paint_source.h"
#include "require.h"
#include "rng.h"
#include "slabs.h"

/* Comparisons for hot loops, in the manner of REQUIRE (require.h); each
 * operand is evaluated once. */
#define ST_CMP(a, op, b)                                                        \
    do {                                                                        \
        uintmax_t st_a_ = (uintmax_t)(a), st_b_ = (uintmax_t)(b);               \
        REQUIRE(st_a_ op st_b_, "assertion %s %s %s failed: %ju, %ju",          \
                #a, #op, #b, st_a_, st_b_);                                     \
    } while (0)
#define ST_EQ(a, b) ST_CMP(a, ==, b)
#define ST_NONNULL(p) REQUIRE((p) != NULL, "%s is NULL", #p)

/* The alignment granule of every class size and every object. */
#define ST_GRANULE ((size_t)alignof(max_align_t))

/* ---- fixture -------------------------------------------------------------- */

static failing_source_t st_fs;   /* the counting source of the fixture */
static slabs_t st_s;             /* the allocator of the fixture */

/* Initialises st_s on st_fs with cfg (the source is filled in); asserts 0. */
static inline void st_init(slabs_config_t cfg)
{
    failing_source_init(&st_fs, paint_source());
    cfg.source = &st_fs.base;
    ck_assert_int_eq(slabs_init(&st_s, &cfg), 0);
}

/* Checks, destroys and proves that every byte went back to the source. */
static inline void st_finish(void)
{
    ck_assert_uint_eq(slabs_check(&st_s), 0);
    slabs_destroy(&st_s);
    ck_assert_uint_eq(st_fs.live_bytes, 0);
    ck_assert_uint_eq(st_fs.live_acquisitions, 0);
}

/* ---- content stamps ------------------------------------------------------- */

/* The bytes of an object stamped with seed (rng.h's stamps). */
static inline void st_stamp(void *p, size_t n, uint64_t seed)
{
    rng_stamp(p, n, seed);
}

/* Returns the first offset < n whose byte is wrong, or n if none is. */
static inline size_t st_damage(const void *p, size_t n, uint64_t seed)
{
    return rng_stamp_damage(p, n, seed);
}

/* ---- the model ------------------------------------------------------------ */

/* What live_requested_bytes counts for a live object of size bytes in s:
 * size itself when s tracks requested sizes (SLABS_STATS, implied by
 * SLABS_CHECKED and SLABS_ZERO) or the object is large, else the chunk size
 * of its class (slabs.h: an upper bound, without per-object memory). */
static inline size_t st_counted(const slabs_t *s, size_t size)
{
    size_t cls = slabs_class_of(s, size);
    if ((s->flags & (SLABS_STATS | SLABS_CHECKED | SLABS_ZERO)) || cls == slabs_class_count(s))
        return size;
    slabs_class_stats_t cs;
    slabs_class_stats(s, cls, &cs);
    return cs.chunk_size;
}

typedef struct st_obj {
    unsigned char *p;   /* the object; NULL = slot unused */
    size_t size;        /* bytes requested (and stamped) */
    uint64_t seed;      /* stamp seed */
} st_obj_t;

typedef struct st_model {
    st_obj_t *obj;      /* live objects, obj[0..n) */
    size_t n;           /* live count */
    size_t cap;         /* capacity of obj */
    size_t requested;   /* sum of st_counted(obj[i].size) */
    uint64_t next_seed; /* seed for the next object */
} st_model_t;

static inline void st_model_init(st_model_t *m, size_t cap)
{
    m->obj = calloc(cap, sizeof *m->obj);
    ck_assert_ptr_nonnull(m->obj);
    m->n = 0;
    m->cap = cap;
    m->requested = 0;
    m->next_seed = 1;
}

static inline void st_model_free(st_model_t *m)
{
    free(m->obj);
    m->obj = NULL;
    m->n = m->cap = 0;
}

/* Records a new object and stamps it. */
static inline void st_model_add(st_model_t *m, void *p, size_t size)
{
    REQUIRE(m->n < m->cap, "model full");
    st_obj_t o = {p, size, m->next_seed++ * 0x100000001B3u};
    st_stamp(p, size, o.seed);
    m->obj[m->n++] = o;
    m->requested += st_counted(&st_s, size);
}

/* Asserts that object k still holds its stamp. */
static inline void st_model_verify_one(const st_model_t *m, size_t k)
{
    const st_obj_t *o = &m->obj[k];
    size_t bad = st_damage(o->p, o->size, o->seed);
    REQUIRE(bad == o->size, "object %zu (%p, %zu bytes) damaged at offset %zu",
            k, (void *)o->p, o->size, bad);
}

static inline void st_model_verify_all(const st_model_t *m)
{
    for (size_t k = 0; k < m->n; k++)
        st_model_verify_one(m, k);
}

/* Removes object k from the model (order not kept) and returns it. */
static inline st_obj_t st_model_take(st_model_t *m, size_t k)
{
    st_obj_t o = m->obj[k];
    m->obj[k] = m->obj[--m->n];
    m->requested -= st_counted(&st_s, o.size);
    return o;
}

/* Verifies object k, frees it in s and removes it from the model. */
static inline void st_model_free_one(st_model_t *m, slabs_t *s, size_t k)
{
    st_model_verify_one(m, k);
    st_obj_t o = st_model_take(m, k);
    slabs_free(s, o.p);
}

/* Asserts the allocator's counters agree with the model. */
static inline void st_model_agrees(const st_model_t *m, const slabs_t *s)
{
    slabs_stats_t st;
    slabs_stats(s, &st);
    REQUIRE(st.live_objects == m->n, "live_objects %zu, model %zu", st.live_objects, m->n);
    REQUIRE(st.live_requested_bytes == m->requested, "live_requested_bytes %zu, model %zu",
            st.live_requested_bytes, m->requested);
}

/* ---- a test clock ----------------------------------------------------------- */

static uint64_t st_clock_ns;  /* what st_now() returns; tests advance it */

static inline uint64_t st_now(void)
{
    return st_clock_ns;
}

/* ---- small helpers ---------------------------------------------------------- */

static inline size_t st_round_up(size_t x, size_t a)
{
    return (x + a - 1) / a * a;
}

/* chunk_size of class cls (asserts the class exists). */
static inline size_t st_chunk(const slabs_t *s, size_t cls)
{
    slabs_class_stats_t cs;
    REQUIRE(slabs_class_stats(s, cls, &cs) == 0, "no class %zu", cls);
    return cs.chunk_size;
}

static inline slabs_class_stats_t st_cstats(const slabs_t *s, size_t cls)
{
    slabs_class_stats_t cs;
    REQUIRE(slabs_class_stats(s, cls, &cs) == 0, "no class %zu", cls);
    return cs;
}

static inline slabs_stats_t st_stats(const slabs_t *s)
{
    slabs_stats_t st;
    slabs_stats(s, &st);
    return st;
}

/* True if [a, a+n) and [b, b+m) overlap. */
static inline bool st_overlap(const void *a, size_t n, const void *b, size_t m)
{
    uintptr_t x = (uintptr_t)a, y = (uintptr_t)b;
    return x < y + m && y < x + n;
}

/* Bytes held from the source that are neither slabs nor large objects: the
 * metadata block, the descriptor pool's blocks and the side table.
 * slabs.h documents this accounting. */
static inline size_t st_overhead(void)
{
    return st_s.meta_bytes + st_s.descs.bytes_from_source +
           st_s.map.cap * sizeof(addrmap_slot_t);
}

/* Bytes of all slabs held, from the per-class counters. */
static inline size_t st_slab_bytes(void)
{
    size_t sum = 0;
    for (size_t c = 0; c < slabs_class_count(&st_s); c++) {
        sum += st_cstats(&st_s, c).slabs * st_s.slab_size;
    }
    return sum;
}

#endif

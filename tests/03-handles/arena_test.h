/*
 * arena_test.h - helpers shared by the stage 03 suites (header only, so that
 * every test file still defines exactly one suite).
 *
 *  - a fixture: one arena_t on a counting failing_source (around the paint
 *    source, so fresh memory is never zero by luck), checked and destroyed
 *    in teardown, which also proves every byte went back;
 *  - a misuse handler that counts reports instead of aborting;
 *  - content stamps derived from a handle: at_fill() writes every byte of
 *    an object from (handle, offset), at_verify() proves they are still
 *    there, so an object read through the wrong handle, moved without its
 *    bytes or overwritten by another shows.
 */
#ifndef SLABCRAFT_ARENA_TEST_H
#define SLABCRAFT_ARENA_TEST_H

#include <check.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "failing_source.h"
#include "misuse_counter.h"
#include "paint_source.h"
#include "require.h"
#include "rng.h"

/* Comparisons for hot loops, in the manner of REQUIRE (require.h); each
 * operand is evaluated once. */
#define AT_CMP(a, op, b)                                                        \
    do {                                                                        \
        uintmax_t at_a_ = (uintmax_t)(a), at_b_ = (uintmax_t)(b);               \
        REQUIRE(at_a_ op at_b_, "assertion %s %s %s failed: %ju, %ju",          \
                #a, #op, #b, at_a_, at_b_);                                     \
    } while (0)
#define AT_EQ(a, b) AT_CMP(a, ==, b)
#define AT_NONNULL(p) REQUIRE((p) != NULL, "%s is NULL", #p)

/* ---- fixture -------------------------------------------------------------- */

static failing_source_t at_fs;  /* the counting source of the fixture */
static arena_t at_a;            /* the arena of the fixture */
static misuse_counter_t at_mc;  /* misuse reports, once at_misuse_install() ran */

/* A configuration on the fixture's source: cfg with slabs.source set. */
static inline arena_config_t at_config(arena_config_t cfg)
{
    cfg.slabs.source = &at_fs.base;
    return cfg;
}

/* Initialises at_a on a fresh at_fs with cfg (the source is filled in);
 * asserts 0. */
static inline void at_init(arena_config_t cfg)
{
    failing_source_init(&at_fs, paint_source());
    cfg = at_config(cfg);
    ck_assert_int_eq(arena_init(&at_a, &cfg), 0);
}

/* at_init() with the default configuration (zeroed: 20 index bits). */
static inline void at_setup(void)
{
    at_init((arena_config_t){0});
}

/* Checks, destroys and proves that every byte went back to the source. */
static inline void at_finish(void)
{
    ck_assert_uint_eq(arena_check(&at_a), 0);
    arena_destroy(&at_a);
    ck_assert_uint_eq(at_fs.live_bytes, 0);
    ck_assert_uint_eq(at_fs.live_acquisitions, 0);
}

/* The fixture's teardown: at_finish(). */
static inline void at_teardown(void)
{
    at_finish();
}

/* ---- misuse --------------------------------------------------------------- */

/* Installs the counting handler (at_mc zeroed). */
static inline void at_misuse_install(void)
{
    misuse_counter_install(&at_mc);
}

/* Restores the default handler (print and abort). */
static inline void at_misuse_remove(void)
{
    misuse_counter_remove();
}

/* Asserts that reports misuse reports were received in all, the last one a
 * stale handle in the arena. */
static inline void at_expect_stale_reports(size_t reports)
{
    ck_assert_uint_eq(at_mc.count, reports);
    if (reports > 0) {
        ck_assert_str_eq(at_mc.last.allocator, "arena");
        ck_assert_str_eq(at_mc.last.kind, "stale-handle");
        ck_assert_ptr_nonnull(at_mc.last.message);
    }
}

/* ---- content stamps ------------------------------------------------------- */

/* The stamp seed of the object named h: distinct handles, distinct seeds. */
static inline uint64_t at_seed(handle_t h)
{
    return ((uint64_t)h << 1 | 1u) * 0x9E3779B97F4A7C15u;
}

/* Writes every byte of h's object (arena_size() bytes) from (h, offset).
 * Asserts h is live. */
static inline void at_fill(arena_t *a, handle_t h)
{
    void *p = arena_get(a, h);
    REQUIRE(p != NULL, "handle %#x is not live", (unsigned)h);
    rng_stamp(p, arena_size(a, h), at_seed(h));
}

/* The first offset of h's object whose byte is not at_fill()'s, or its
 * size if every byte is.  Asserts h is live. */
static inline size_t at_damage(const arena_t *a, handle_t h)
{
    const void *p = arena_get(a, h);
    REQUIRE(p != NULL, "handle %#x is not live", (unsigned)h);
    return rng_stamp_damage(p, arena_size(a, h), at_seed(h));
}

/* Asserts that h is live and its object still holds at_fill()'s bytes. */
static inline void at_verify(const arena_t *a, handle_t h)
{
    size_t n = arena_size(a, h);
    size_t bad = at_damage(a, h);
    REQUIRE(bad == n, "handle %#x (%zu bytes) damaged at offset %zu", (unsigned)h, n, bad);
}

/* A new object of size bytes, asserted, filled with its handle's stamp. */
static inline handle_t at_alloc_filled(arena_t *a, size_t size)
{
    handle_t h = arena_alloc(a, size);
    REQUIRE(h != HANDLE_NULL, "arena_alloc(%zu) failed, errno %d", size, errno);
    at_fill(a, h);
    return h;
}

/* ---- small helpers ---------------------------------------------------------- */

static inline arena_stats_t at_stats(const arena_t *a)
{
    arena_stats_t st;
    arena_stats(a, &st);
    return st;
}

/* Asserts that h resolves to nothing: no object, size 0, count 0. */
static inline void at_expect_stale(const arena_t *a, handle_t h)
{
    REQUIRE(arena_get(a, h) == NULL, "handle %#x resolves", (unsigned)h);
    REQUIRE(arena_size(a, h) == 0, "handle %#x has a size", (unsigned)h);
    REQUIRE(arena_refcount(a, h) == 0, "handle %#x has references", (unsigned)h);
}

#endif

/*
 * test_stress.c - stage 03 at scale.
 *
 *  - The deep cascade: a chain of 10^6 objects, each holding the only
 *    reference to the next and releasing it from its cleanup, freed by one
 *    arena_release() on a thread whose whole stack is 64 KiB.  Freeing the
 *    chain by recursion would need a few frames per object, hundreds of
 *    bytes each: it would overflow that stack in the first few hundred
 *    objects and kill the test with SIGSEGV.  Every cleanup must run exactly
 *    once, in chain order, on intact bytes; afterwards nothing is live and
 *    arena_check() is 0.  A tree of cleanups (each object releasing two
 *    others) is freed the same way.
 *  - A large workload: 10^6 live objects, then 10^6 random replacements
 *    (verify, release, check the handle is stale, allocate, fill), every
 *    object's bytes verified at the end.
 *
 * Natively the whole file runs in a few seconds; under Valgrind the sizes
 * are divided by 10, with the expensive checks (make test-expensive) by
 * 1000.
 */
#include <pthread.h>

#include "arena_test.h"
#include "tool_query.h"

#define SMALL_STACK ((size_t)64 * 1024)

static void setup(void)
{
    at_init((arena_config_t){.slabs = {.min_size = 16, .max_size = 1024}});
}

static void teardown(void)
{
    at_finish();
}

/* Objects: fewer under Valgrind; far fewer with the expensive checks, which
 * walk the whole arena inside every allocation (quadratic at this size). */
static size_t scaled(size_t n)
{
#ifdef SC_EXPENSIVE_CHECKS
    n /= 1000;
#endif
    return tq_under_valgrind() ? n / 10 : n;
}

/* ---- the deep cascade --------------------------------------------------------- */

/* What the cleanups of a cascade saw.  The cleanups run on the small
 * thread, so they only count; the test thread asserts. */
typedef struct chain {
    handle_t *h;           /* the objects, h[0] first */
    unsigned char *ran;    /* times each cleanup ran */
    size_t n;              /* objects */
    size_t fanout;         /* object i releases objects fanout*i+1 .. fanout*i+fanout */
    size_t next;           /* the object whose cleanup should run next (chain order) */
    size_t out_of_order;   /* cleanups that ran out of chain order */
    size_t damaged;        /* cleanups that saw wrong bytes or a wrong size */
    size_t bad_release;    /* releases from cleanups that did not return 0 */
    int first_rc;          /* what the first release returned */
} chain_t;

static chain_t ch;

/* The cleanup of object i (ctx): checks its bytes, then releases its
 * children. */
static void chain_cleanup(void *obj, size_t size, void *ctx)
{
    size_t i = (size_t)(uintptr_t)ctx;
    ch.ran[i]++;
    if (ch.fanout == 1 && i != ch.next++)
        ch.out_of_order++;
    if (size != 16 + i % 17 || rng_stamp_damage(obj, size, at_seed(ch.h[i])) != size)
        ch.damaged++;
    for (size_t c = ch.fanout * i + 1; c <= ch.fanout * i + ch.fanout && c < ch.n; c++)
        if (arena_release(&at_a, ch.h[c]) != 0)
            ch.bad_release++;
}

static void *release_root(void *unused)
{
    (void)unused;
    ch.first_rc = arena_release(&at_a, ch.h[0]);
    return NULL;
}

/* Builds n objects, object i owning the only reference to its children,
 * each with a cleanup; releases the root on a thread with a 64 KiB stack;
 * asserts that every cleanup ran once and nothing is left. */
static void cascade(size_t n, size_t fanout)
{
    ch = (chain_t){.n = n, .fanout = fanout};
    ch.h = malloc(n * sizeof *ch.h);
    ch.ran = calloc(n, 1);
    ck_assert(ch.h && ch.ran);
    for (size_t i = 0; i < n; i++) {
        ch.h[i] = at_alloc_filled(&at_a, 16 + i % 17);
        REQUIRE(arena_on_free(&at_a, ch.h[i], chain_cleanup, (void *)(uintptr_t)i) == 0,
                "on_free of object %zu failed", i);
    }
    arena_stats_t st = at_stats(&at_a);
    ck_assert_uint_eq(st.live, n);
    ck_assert_uint_eq(st.cleanups, n);

    pthread_attr_t attr;
    pthread_t t;
    ck_assert_int_eq(pthread_attr_init(&attr), 0);
    ck_assert_int_eq(pthread_attr_setstacksize(&attr, SMALL_STACK), 0);
    ck_assert_int_eq(pthread_create(&t, &attr, release_root, NULL), 0);
    ck_assert_int_eq(pthread_join(t, NULL), 0);
    pthread_attr_destroy(&attr);

    ck_assert_int_eq(ch.first_rc, 0);
    ck_assert_uint_eq(ch.out_of_order, 0);
    ck_assert_uint_eq(ch.damaged, 0);
    ck_assert_uint_eq(ch.bad_release, 0);
    if (fanout == 1)
        ck_assert_uint_eq(ch.next, n);
    for (size_t i = 0; i < n; i++) {
        REQUIRE(ch.ran[i] == 1, "the cleanup of object %zu ran %u times", i, ch.ran[i]);
        REQUIRE(arena_get(&at_a, ch.h[i]) == NULL, "object %zu survived the cascade", i);
    }
    st = at_stats(&at_a);
    ck_assert_uint_eq(st.live, 0);
    ck_assert_uint_eq(st.slots, 0);
    ck_assert_uint_eq(st.cleanups, 0);
    ck_assert_uint_eq(st.free_slots, n);
    ck_assert_uint_eq(arena_check(&at_a), 0);
    free(ch.h);
    free(ch.ran);
}

START_TEST(deep_chain_frees_on_a_small_stack)
{
    cascade(scaled(1000000), 1);
}
END_TEST

START_TEST(tree_of_cleanups_frees_on_a_small_stack)
{
    cascade(scaled(300000), 2);
}
END_TEST

/* ---- a million live objects ---------------------------------------------------------- */

START_TEST(million_live_objects_random_replacement)
{
    size_t n = scaled(1000000);
    handle_t *h = malloc(n * sizeof *h);
    ck_assert_ptr_nonnull(h);
    rng_t r = {42};
    for (size_t i = 0; i < n; i++)
        h[i] = at_alloc_filled(&at_a, 1 + rng_below(&r, 48));
    ck_assert_uint_eq(at_stats(&at_a).live, n);
    ck_assert_uint_eq(arena_check(&at_a), 0);
    for (size_t step = 0; step < n; step++) {
        size_t k = rng_below(&r, n);
        at_verify(&at_a, h[k]);
        REQUIRE(arena_release(&at_a, h[k]) == 0, "release of %#x", (unsigned)h[k]);
        REQUIRE(arena_get(&at_a, h[k]) == NULL, "released %#x resolves", (unsigned)h[k]);
        handle_t old = h[k];
        h[k] = at_alloc_filled(&at_a, 1 + rng_below(&r, 300));
        REQUIRE(h[k] != old, "handle %#x given out twice", (unsigned)old);
    }
    arena_stats_t st = at_stats(&at_a);
    ck_assert_uint_eq(st.live, n);
    ck_assert_uint_eq(st.slots, n);
    ck_assert_uint_eq(st.free_slots, 0); /* every freed slot was reused */
    ck_assert_uint_eq(arena_check(&at_a), 0);
    for (size_t i = 0; i < n; i++)
        at_verify(&at_a, h[i]);
    for (size_t i = 0; i < n; i++)
        REQUIRE(arena_release(&at_a, h[i]) == 0, "final release of %#x", (unsigned)h[i]);
    ck_assert_uint_eq(at_stats(&at_a).live, 0);
    free(h);
}
END_TEST

Suite *arena_stress_suite(void)
{
    Suite *s = suite_create("arena-stress");
    TCase *tc = tcase_create("stress");
    tcase_set_tags(tc, "stress");
    tcase_set_timeout(tc, 240);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, deep_chain_frees_on_a_small_stack);
    tcase_add_test(tc, tree_of_cleanups_frees_on_a_small_stack);
    tcase_add_test(tc, million_live_objects_random_replacement);
    suite_add_tcase(s, tc);
    return s;
}

/*
 * test_ex_cascade.c - stage 03, exercise 03-cascade: drain_dying() and
 * arena_die(), the death of objects and the cascade of releases their
 * cleanups start.
 *
 *   deep-chain  CHAIN_LEN objects, each one's cleanup releasing the next,
 *               freed by one release on a thread whose whole stack is
 *               64 KiB: a death that runs the next one's cleanups from
 *               inside the current one's (recursion) needs a stack frame
 *               per object and overflows it.  Every cleanup runs exactly
 *               once, in chain order, each seeing its object's bytes.
 *   no-nesting  a release made inside a cleanup only queues the object:
 *               its cleanups run after every cleanup of the object being
 *               freed (newest first) has run, never in the middle of them
 *   dag         a tree of objects in which some children are shared by two
 *               parents and the leaves have no cleanups: every cleanup runs
 *               exactly once, after its parents' cleanups, while its object
 *               is intact; a shared child dies only at its last release;
 *               afterwards nothing is live, pending or left in the table
 */
#include <check.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"

/* Objects in the deep chain.  With SC_EXPENSIVE_CHECKS every arena_alloc()
 * runs arena_check(), O(slots), so building the chain is quadratic: that
 * build makes a shorter one, still a hundred times longer than a recursive
 * death can go on the small stack. */
#ifdef SC_EXPENSIVE_CHECKS
#define CHAIN_LEN 10000u
#else
#define CHAIN_LEN 200000u
#endif
#define SMALL_STACK ((size_t)64 << 10) /* the chain's thread stack */

static void cascade_healthy(const arena_t *a, const char *after)
{
    arena_stats_t st;
    arena_stats(a, &st);
    ck_assert_msg(st.live == 0 && st.slots == 0 && st.cleanups == 0,
                  "after %s: %zu objects live, %zu slots still hold an object, %zu cleanups "
                  "pending; want 0, 0, 0 (an object left on the dying list is never freed)",
                  after, st.live, st.slots, st.cleanups);
    size_t bad = arena_check(a);
    ck_assert_msg(bad == 0, "after %s, arena_check() finds %zu broken invariants", after, bad);
}

/* ---- the deep chain ------------------------------------------------------------ */

/* Object k of the chain: its index and the handle of object k + 1. */
typedef struct link {
    uint32_t index;
    handle_t next; /* HANDLE_NULL for the last */
} link_t;

typedef struct chain {
    arena_t *a;
    handle_t first;    /* the head of the chain, released by the thread */
    uint32_t expected; /* the index whose cleanup must run next */
    uint32_t out_of_order;
    unsigned char *runs; /* cleanups run per object */
} chain_t;

static void chain_cleanup(void *obj, size_t size, void *ctx)
{
    chain_t *c = ctx;
    link_t l;
    memcpy(&l, obj, sizeof l);
    if (size != sizeof l || l.index >= CHAIN_LEN) {
        c->out_of_order++;
        return;
    }
    if (l.index != c->expected)
        c->out_of_order++;
    c->expected = l.index + 1;
    if (c->runs[l.index] < 255)
        c->runs[l.index]++;
    if (l.next != HANDLE_NULL)
        arena_release(c->a, l.next);
}

/* The small-stack thread: releases the chain's first object. */
static void *chain_release(void *arg)
{
    chain_t *c = arg;
    return (void *)(intptr_t)arena_release(c->a, c->first);
}

START_TEST(cascade_deep_chain_on_a_small_stack)
{
    arena_t a;
    ck_assert_int_eq(arena_init(&a, &(arena_config_t){0}), 0);
    chain_t c = {.a = &a, .runs = calloc(CHAIN_LEN, 1)};
    ck_assert_ptr_nonnull(c.runs);
    for (uint32_t k = CHAIN_LEN; k-- > 0;) {
        handle_t h = arena_alloc(&a, sizeof(link_t));
        ck_assert_msg(h != HANDLE_NULL, "arena_alloc() failed at object %u of the chain", k);
        memcpy(arena_get(&a, h), &(link_t){k, c.first}, sizeof(link_t));
        ck_assert_int_eq(arena_on_free(&a, h, chain_cleanup, &c), 0);
        c.first = h;
    }

    pthread_attr_t attr;
    pthread_t t;
    ck_assert_int_eq(pthread_attr_init(&attr), 0);
    ck_assert_int_eq(pthread_attr_setstacksize(&attr, SMALL_STACK), 0);
    ck_assert_int_eq(pthread_create(&t, &attr, chain_release, &c), 0);
    void *rc;
    ck_assert_int_eq(pthread_join(t, &rc), 0);
    pthread_attr_destroy(&attr);
    ck_assert_msg((intptr_t)rc == 0, "the release of the chain's first object returned %ld",
                  (long)(intptr_t)rc);

    size_t never = 0, twice = 0;
    for (uint32_t k = 0; k < CHAIN_LEN; k++) {
        never += c.runs[k] == 0;
        twice += c.runs[k] > 1;
    }
    ck_assert_msg(never == 0 && twice == 0 && c.out_of_order == 0,
                  "of %u cleanups in the chain, %zu never ran, %zu ran more than once, %u ran "
                  "out of chain order or saw a damaged object", CHAIN_LEN, never, twice,
                  c.out_of_order);
    cascade_healthy(&a, "the chain");
    free(c.runs);
    arena_destroy(&a);
}
END_TEST

/* ---- no nesting -------------------------------------------------------------- */

typedef struct trace {
    arena_t *a;
    char log[16];
    size_t n;
    handle_t b;
    int b_left;           /* what arena_release(b) returned inside A's cleanup */
    size_t log_at_return; /* entries in the log when it returned */
} trace_t;

static void note(trace_t *t, char c)
{
    if (t->n < sizeof t->log - 1)
        t->log[t->n++] = c;
}

static void a_older(void *obj, size_t size, void *ctx)
{
    (void)obj, (void)size;
    note(ctx, '1');
}

static void a_newer(void *obj, size_t size, void *ctx)
{
    (void)obj, (void)size;
    trace_t *t = ctx;
    note(t, '2');
    t->b_left = arena_release(t->a, t->b);
    t->log_at_return = t->n;
}

static void b_cleanup(void *obj, size_t size, void *ctx)
{
    (void)obj, (void)size;
    note(ctx, 'B');
}

START_TEST(cascade_releases_from_cleanups_queue)
{
    arena_t a;
    ck_assert_int_eq(arena_init(&a, &(arena_config_t){0}), 0);
    trace_t t = {.a = &a, .b_left = -1};
    handle_t ha = arena_alloc(&a, 8);
    t.b = arena_alloc(&a, 8);
    ck_assert(ha != HANDLE_NULL && t.b != HANDLE_NULL);
    ck_assert_int_eq(arena_on_free(&a, ha, a_older, &t), 0);
    ck_assert_int_eq(arena_on_free(&a, ha, a_newer, &t), 0); /* runs first */
    ck_assert_int_eq(arena_on_free(&a, t.b, b_cleanup, &t), 0);
    ck_assert_int_eq(arena_release(&a, ha), 0);
    ck_assert_msg(t.b_left == 0, "arena_release(B) inside A's cleanup returned %d, want 0 (its "
                  "last reference is gone)", t.b_left);
    ck_assert_msg(strcmp(t.log, "21B") == 0, "the cleanups ran in the order \"%s\"; want \"21B\": "
                  "A's newer cleanup, A's older one, then B's.  B was released from inside A's "
                  "newer cleanup: its cleanups must wait on the dying list until A is done, not "
                  "run there, one stack frame deeper", t.log);
    ck_assert_msg(t.log_at_return == 1, "when arena_release(B) returned inside A's cleanup, %zu "
                  "cleanups had run (\"%.*s\"); want 1: the release only queues B", t.log_at_return,
                  (int)t.log_at_return, t.log);
    cascade_healthy(&a, "A and B");
    arena_destroy(&a);
}
END_TEST

/* ---- a DAG -------------------------------------------------------------------- */

#define DAG_FANOUT 3u
#define DAG_DEPTH 7u                            /* levels 0..6 */
#define DAG_NODES 1093u                         /* (3^7 - 1) / 2 */
#define DAG_INNER 364u                          /* nodes with children: levels 0..5 */
#define DAG_SIZE 40u

typedef struct dag {
    arena_t *a;
    handle_t h[DAG_NODES];
    unsigned runs[DAG_NODES];
    unsigned order[DAG_NODES]; /* when each node's cleanup ran, from 1 */
    unsigned clock;
    unsigned damaged;
} dag_t;

/* Node n's children are 3n + 1 .. 3n + 3; node n also shares its first
 * child with its right neighbour on the same level (an extra reference). */
static void dag_cleanup(void *obj, size_t size, void *ctx)
{
    dag_t *d = ctx;
    const unsigned char *p = obj;
    unsigned n = p[0] | (unsigned)p[1] << 8;
    if (size != DAG_SIZE || n >= DAG_INNER) {
        d->damaged++;
        return;
    }
    for (size_t j = 2; j < DAG_SIZE; j++)
        if (p[j] != (unsigned char)(n * 7 + j))
            d->damaged++;
    d->runs[n]++;
    d->order[n] = ++d->clock;
    for (unsigned c = 1; c <= DAG_FANOUT; c++)
        arena_release(d->a, d->h[DAG_FANOUT * n + c]);
    /* the extra reference this node holds on its right neighbour's first child */
    unsigned level_end = 0, width = 1;
    while (level_end + width <= n)
        level_end += width, width *= DAG_FANOUT;
    if (n + 1 < level_end + width)
        arena_release(d->a, d->h[DAG_FANOUT * (n + 1) + 1]);
}

START_TEST(cascade_dag_exactly_once)
{
    arena_t a;
    ck_assert_int_eq(arena_init(&a, &(arena_config_t){0}), 0);
    static dag_t d;
    memset(&d, 0, sizeof d);
    d.a = &a;
    for (unsigned n = 0; n < DAG_NODES; n++) {
        d.h[n] = arena_alloc(&a, DAG_SIZE);
        ck_assert(d.h[n] != HANDLE_NULL);
        unsigned char *p = arena_get(&a, d.h[n]);
        p[0] = (unsigned char)n, p[1] = (unsigned char)(n >> 8);
        for (size_t j = 2; j < DAG_SIZE; j++)
            p[j] = (unsigned char)(n * 7 + j);
        if (n < DAG_INNER)
            ck_assert_int_eq(arena_on_free(&a, d.h[n], dag_cleanup, &d), 0); /* leaves: none */
    }
    /* the shared first children: one more reference each */
    unsigned level_end = 0, width = 1;
    for (unsigned lvl = 0; lvl + 1 < DAG_DEPTH; lvl++, level_end += width, width *= DAG_FANOUT)
        for (unsigned n = level_end + 1; n < level_end + width; n++)
            ck_assert_int_eq(arena_share(&a, d.h[DAG_FANOUT * n + 1]), 0);

    ck_assert_int_eq(arena_release(&a, d.h[0]), 0);
    ck_assert_msg(d.damaged == 0, "%u cleanups saw a damaged object (or another object's "
                  "bytes): an object must stay intact until its cleanups have run", d.damaged);
    for (unsigned n = 0; n < DAG_INNER; n++) {
        ck_assert_msg(d.runs[n] == 1, "node %u's cleanup ran %u times, want exactly once", n,
                      d.runs[n]);
        if (n > 0)
            ck_assert_msg(d.order[n] > d.order[(n - 1) / DAG_FANOUT],
                          "node %u's cleanup ran before its parent's, which releases it", n);
    }
    for (unsigned n = 0; n < DAG_NODES; n++)
        ck_assert_msg(arena_get(&a, d.h[n]) == NULL, "node %u is still live", n);
    cascade_healthy(&a, "the DAG");
    arena_destroy(&a);
}
END_TEST

Suite *arena_ex_cascade_suite(void)
{
    Suite *s = suite_create("arena-ex-cascade");
    TCase *tc = tcase_create("cascade");
    tcase_set_tags(tc, "core 03-cascade");
    tcase_set_timeout(tc, 120); /* the chain: slow only under Valgrind */
    tcase_add_test(tc, cascade_releases_from_cleanups_queue);
    tcase_add_test(tc, cascade_dag_exactly_once);
    tcase_add_test(tc, cascade_deep_chain_on_a_small_stack);
    suite_add_tcase(s, tc);
    return s;
}

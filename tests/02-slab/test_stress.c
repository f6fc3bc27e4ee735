/*
 * test_stress.c - stage 02 under load, against a model.
 *
 * Random workloads over mixed sizes 1..2*max_size (so the large path is
 * part of every run) with every byte of every object stamped and verified
 * before it is freed, in three free orders: random, FIFO and LIFO.  Trims
 * and resets are mixed in.  Then failure injection: the source fails after n
 * acquisitions for a range of n (and past a byte limit); every failure must
 * be NULL with ENOMEM, happen only when no fitting free chunk existed, leave
 * the checker at 0 and every live object intact, and allocation must work
 * again once the source recovers.
 *
 * Natively the workloads run over 10^6 operations in well under a second
 * (the hot loops use REQUIRE, not ck_assert, whose bookkeeping costs a
 * system call each); under Valgrind they are halved.
 */
#include "slab_test.h"
#include "tool_query.h"

#define SLAB ((size_t)1 << 13)
#define MAX_SIZE ((size_t)512)

static void setup(void)
{
    st_clock_ns = 0;
    st_init((slabs_config_t){.min_size = 16, .max_size = MAX_SIZE, .growth = 1.25,
                             .slab_size = SLAB, .now_ns = st_now});
}

static void teardown(void)
{
    st_finish();
}

/* Operations per workload: fewer under Valgrind, whose overhead is ~50x. */
static size_t scaled(size_t n)
{
    return tq_under_valgrind() ? n / 2 : n;
}

/* ---- a deque of live objects (the model, in allocation order) ------------ */

typedef struct deque {
    st_obj_t *o;        /* ring of cap entries */
    size_t cap;         /* a power of two */
    size_t head;        /* index of the oldest */
    size_t n;           /* live entries */
    size_t requested;   /* sum of st_counted(size) */
} deque_t;

static void dq_init(deque_t *d, size_t cap)
{
    d->o = calloc(cap, sizeof *d->o);
    ST_NONNULL(d->o);
    d->cap = cap;
    d->head = d->n = d->requested = 0;
}

static st_obj_t *dq_at(deque_t *d, size_t k)
{
    return &d->o[(d->head + k) & (d->cap - 1)];
}

static void dq_push(deque_t *d, void *p, size_t size, uint64_t seed)
{
    ST_CMP(d->n, <, d->cap);
    *dq_at(d, d->n) = (st_obj_t){p, size, seed};
    d->n++;
    d->requested += st_counted(&st_s, size);
}

enum order { ORDER_RANDOM, ORDER_FIFO, ORDER_LIFO };

/* Removes an object in the given order and returns it. */
static st_obj_t dq_take(deque_t *d, enum order ord, rng_t *r)
{
    st_obj_t o;
    if (ord == ORDER_FIFO) {
        o = *dq_at(d, 0);
        d->head = (d->head + 1) & (d->cap - 1);
    } else {
        st_obj_t *last = dq_at(d, d->n - 1);
        st_obj_t *pick = ord == ORDER_LIFO ? last : dq_at(d, rng_below(r, d->n));
        o = *pick;
        *pick = *last;
    }
    d->n--;
    d->requested -= st_counted(&st_s, o.size);
    return o;
}

static void verify_obj(const st_obj_t *o)
{
    size_t bad = st_damage(o->p, o->size, o->seed);
    REQUIRE(bad == o->size, "object %p (%zu bytes) damaged at offset %zu",
            (void *)o->p, o->size, bad);
}

static void dq_verify_all(deque_t *d)
{
    for (size_t k = 0; k < d->n; k++)
        verify_obj(dq_at(d, k));
}

static void dq_free_all(deque_t *d, rng_t *r)
{
    while (d->n) {
        st_obj_t o = dq_take(d, ORDER_RANDOM, r);
        verify_obj(&o);
        slabs_free(&st_s, o.p);
    }
}

static void dq_agrees(const deque_t *d)
{
    slabs_stats_t st = st_stats(&st_s);
    ST_EQ(st.live_objects, d->n);
    ST_EQ(st.live_requested_bytes, d->requested);
}

/* A size in 1..2*MAX_SIZE, small sizes more likely (as in real programs). */
static size_t pick_size(rng_t *r)
{
    switch (rng_below(r, 8)) {
    case 0:
        return 1 + rng_below(r, 2 * MAX_SIZE);
    case 1: case 2:
        return 1 + rng_below(r, MAX_SIZE);
    default:
        return 1 + rng_below(r, 128);
    }
}

/* Allocates one object, stamps it and records it. */
static void do_alloc(deque_t *d, rng_t *r)
{
    size_t size = pick_size(r);
    unsigned char *p = slabs_alloc(&st_s, size);
    REQUIRE(p != NULL, "alloc(%zu) failed with errno %d", size, errno);
    ST_EQ((uintptr_t)p % ST_GRANULE, 0);
    ST_CMP(slabs_usable_size(&st_s, p), >=, size);
    if (st_s.flags & SLABS_ZERO)
        for (size_t i = 0; i < size; i++)
            REQUIRE(p[i] == 0, "byte %zu of a %zu-byte SLABS_ZERO object is %#x", i, size, p[i]);
    uint64_t seed = rng_next(r);
    st_stamp(p, size, seed);
    dq_push(d, p, size, seed);
}

/* ---- model-checked workloads ------------------------------------------------ */

/* ops operations: the live count swings between 0 and about 3000 in waves,
 * frees in order ord; now and then a trim, a checker run, a full verify. */
static void workload(enum order ord, size_t ops, uint64_t seed)
{
    deque_t d;
    dq_init(&d, 1u << 13);
    rng_t r = {seed};
    size_t wave = 3000;
    bool growing = true;
    for (size_t op = 0; op < ops; op++) {
        if (d.n == 0)
            growing = true;
        else if (d.n >= wave || d.n == d.cap)
            growing = false;
        bool alloc = rng_below(&r, 4) != 0 ? growing : !growing;
        if (alloc && d.n < d.cap) {
            do_alloc(&d, &r);
        } else if (d.n > 0) {
            st_obj_t o = dq_take(&d, ord, &r);
            verify_obj(&o);
            slabs_free(&st_s, o.p);
        }
        if (op % 20011 == 20010) {
            st_clock_ns += 1000;
            size_t before = st_fs.live_bytes;
            size_t released = rng_below(&r, 2) ? slabs_trim(&st_s, rng_below(&r, 3))
                                               : slabs_trim_idle(&st_s, 500);
            ST_EQ(st_fs.live_bytes, before - released);
            ST_EQ(released % SLAB, 0);
        }
        if (op % 50021 == 0) {
            ST_EQ(slabs_check(&st_s), 0);
            dq_agrees(&d);
            dq_verify_all(&d);
            wave = 500 + rng_below(&r, 4000);
        }
    }
    dq_agrees(&d);
    dq_verify_all(&d);
    ST_EQ(slabs_check(&st_s), 0);
    dq_free_all(&d, &r);
    dq_agrees(&d);
    slabs_trim(&st_s, 0);
    ST_EQ(st_fs.live_bytes, st_overhead());
    free(d.o);
}

START_TEST(random_order_workload)
{
    workload(ORDER_RANDOM, scaled(400000), 1);
}
END_TEST

START_TEST(fifo_order_workload)
{
    workload(ORDER_FIFO, scaled(300000), 2);
}
END_TEST

START_TEST(lifo_order_workload)
{
    workload(ORDER_LIFO, scaled(300000), 3);
}
END_TEST

START_TEST(checked_zeroed_workload)
{
    slabs_destroy(&st_s);
    st_init((slabs_config_t){.min_size = 16, .max_size = MAX_SIZE, .growth = 1.25,
                             .slab_size = SLAB, .now_ns = st_now,
                             .flags = SLABS_CHECKED | SLABS_ZERO});
    workload(ORDER_RANDOM, scaled(200000), 5);
}
END_TEST

START_TEST(workload_with_resets_and_reallocs)
{
    deque_t d;
    dq_init(&d, 1u << 12);
    rng_t r = {4};
    size_t ops = scaled(100000);
    for (size_t op = 0; op < ops; op++) {
        uint64_t c = rng_below(&r, 1000);
        if (c == 0) {
            slabs_reset(&st_s);
            d.n = d.head = d.requested = 0;
            ST_EQ(slabs_check(&st_s), 0);
            dq_agrees(&d);
        } else if (c < 300 && d.n > 0) {
            /* realloc a random object to a new size */
            st_obj_t *o = dq_at(&d, rng_below(&r, d.n));
            size_t ns = pick_size(&r);
            unsigned char *q = slabs_realloc(&st_s, o->p, ns);
            ST_NONNULL(q);
            size_t keep = o->size < ns ? o->size : ns;
            ST_EQ(st_damage(q, keep, o->seed), keep);
            d.requested += st_counted(&st_s, ns) - st_counted(&st_s, o->size);
            o->p = q;
            o->size = ns;
            o->seed = rng_next(&r);
            st_stamp(q, ns, o->seed);
        } else if (c < 650 && d.n < d.cap) {
            do_alloc(&d, &r);
        } else if (d.n > 0) {
            st_obj_t o = dq_take(&d, ORDER_RANDOM, &r);
            verify_obj(&o);
            slabs_free(&st_s, o.p);
        }
        if (op % 9973 == 0) {
            dq_agrees(&d);
            ST_EQ(slabs_check(&st_s), 0);
        }
    }
    dq_verify_all(&d);
    dq_free_all(&d, &r);
    free(d.o);
}
END_TEST

/* ---- failure injection ----------------------------------------------------- */

/* After a failed alloc(size): ENOMEM, and no free chunk of its class existed
 * (or it was a large object); the checker passes; the model is intact. */
static void failed_alloc_ok(deque_t *d, size_t size)
{
    ST_EQ(errno, ENOMEM);
    size_t cls = slabs_class_of(&st_s, size);
    if (cls < slabs_class_count(&st_s))
        REQUIRE(st_cstats(&st_s, cls).free == 0,
                "alloc(%zu) failed while class %zu had %zu free chunks",
                size, cls, st_cstats(&st_s, cls).free);
    ST_EQ(slabs_check(&st_s), 0);
    dq_agrees(d);
}

/* A workload that tolerates failures and checks each one; returns them. */
static size_t run_failing(deque_t *d, rng_t *r, size_t ops)
{
    size_t failures = 0;
    for (size_t op = 0; op < ops; op++) {
        if (rng_below(r, 3) != 0 && d->n < d->cap) {
            size_t size = pick_size(r);
            errno = 0;
            unsigned char *p = slabs_alloc(&st_s, size);
            if (p == NULL) {
                failed_alloc_ok(d, size);
                failures++;
                continue;
            }
            uint64_t seed = rng_next(r);
            st_stamp(p, size, seed);
            dq_push(d, p, size, seed);
        } else if (d->n > 0) {
            st_obj_t o = dq_take(d, ORDER_RANDOM, r);
            verify_obj(&o);
            slabs_free(&st_s, o.p);
        }
        if (op % 97 == 0)
            slabs_trim(&st_s, rng_below(r, 2));
    }
    return failures;
}

START_TEST(source_fails_after_n)
{
    size_t nmax = 48;
    for (size_t n = 0; n < nmax; n++) {
        size_t acq = st_fs.acquisitions;
        failing_source_fail_after(&st_fs, (long)n);
        deque_t d;
        dq_init(&d, 1u << 11);
        rng_t r = {100 + n};
        size_t failures = run_failing(&d, &r, 3000);
        REQUIRE(failures > 0, "n = %zu: the source never failed", n);
        ST_EQ(st_fs.acquisitions - acq, n);
        dq_verify_all(&d);
        /* recovery: every class and the large path work again */
        failing_source_recover(&st_fs);
        for (size_t size = 1; size <= 2 * MAX_SIZE && d.n < d.cap; size += 37)
            do_alloc(&d, &r);
        ST_EQ(slabs_check(&st_s), 0);
        dq_agrees(&d);
        dq_free_all(&d, &r);
        free(d.o);
        slabs_trim(&st_s, 0);
        ST_EQ(st_fs.live_bytes, st_overhead());
    }
}
END_TEST

START_TEST(source_byte_limit)
{
    size_t kmax = 24;
    for (size_t k = 1; k <= kmax; k++) {
        st_fs.byte_limit = k * SLAB;
        deque_t d;
        dq_init(&d, 1u << 11);
        rng_t r = {200 + k};
        size_t failures = run_failing(&d, &r, 4000);
        ST_CMP(failures, >, 0);
        ST_CMP(st_fs.peak_bytes, <=, k * SLAB);
        dq_verify_all(&d);
        failing_source_recover(&st_fs);
        do_alloc(&d, &r);
        dq_free_all(&d, &r);
        free(d.o);
        slabs_trim(&st_s, 0);
        ST_EQ(st_fs.live_bytes, st_overhead());
        st_fs.peak_bytes = 0;
    }
}
END_TEST

START_TEST(failure_in_realloc_keeps_everything)
{
    deque_t d;
    dq_init(&d, 1u << 11);
    rng_t r = {300};
    for (int i = 0; i < 500; i++)
        do_alloc(&d, &r);
    size_t moves_failed = 0;
    failing_source_fail_after(&st_fs, 0);
    for (int i = 0; i < 2000; i++) {
        st_obj_t *o = dq_at(&d, rng_below(&r, d.n));
        size_t ns = pick_size(&r);
        errno = 0;
        unsigned char *q = slabs_realloc(&st_s, o->p, ns);
        if (q == NULL) {
            ST_EQ(errno, ENOMEM);
            verify_obj(o);
            moves_failed++;
            continue;
        }
        size_t keep = o->size < ns ? o->size : ns;
        ST_EQ(st_damage(q, keep, o->seed), keep);
        d.requested += st_counted(&st_s, ns) - st_counted(&st_s, o->size);
        o->p = q;
        o->size = ns;
        o->seed = rng_next(&r);
        st_stamp(q, ns, o->seed);
    }
    ST_CMP(moves_failed, >, 0);
    ST_EQ(slabs_check(&st_s), 0);
    dq_agrees(&d);
    dq_verify_all(&d);
    failing_source_recover(&st_fs);
    dq_free_all(&d, &r);
    free(d.o);
}
END_TEST

Suite *slabs_stress_suite(void)
{
    Suite *s = suite_create("slabs-stress");
    TCase *tc = tcase_create("workloads");
    tcase_set_tags(tc, "stress");
    tcase_set_timeout(tc, 240);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, random_order_workload);
    tcase_add_test(tc, fifo_order_workload);
    tcase_add_test(tc, lifo_order_workload);
    tcase_add_test(tc, checked_zeroed_workload);
    tcase_add_test(tc, workload_with_resets_and_reallocs);
    suite_add_tcase(s, tc);

    tc = tcase_create("failures");
    tcase_set_tags(tc, "stress");
    tcase_set_timeout(tc, 240);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, source_fails_after_n);
    tcase_add_test(tc, source_byte_limit);
    tcase_add_test(tc, failure_in_realloc_keeps_everything);
    suite_add_tcase(s, tc);
    return s;
}

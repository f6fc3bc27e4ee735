/*
 * test_faults.c - stage 03 when memory runs out.
 *
 * Failure injection at every acquisition: a fixed script of operations
 * (init, allocations of small and large objects, interning of 80 strings,
 * resizes, cleanups, shares, releases, a reset, enough handles for three
 * pages of the table) runs once to count its acquisitions, then once for
 * every k with the source failing its k-th acquisition.  The call that
 * meets the failure must return the documented error (arena_init -ENOMEM,
 * HANDLE_NULL with errno ENOMEM, -ENOMEM) and change nothing: arena_check()
 * is 0, every live object keeps its handle and its bytes, every counter of
 * arena_stats() but bytes_from_source (a table page or a larger set may be
 * kept) is as before, and a cleanup whose registration failed never runs.
 * Then the source recovers, the same call succeeds, and the script goes on;
 * at the end every cleanup has run once and every byte is back.
 *
 * The slabs' max_bytes cap, each limit met exactly (the bytes measured by
 * the same steps on an uncapped arena): allocation (objects and large
 * objects), resize (the object untouched, then the same resize succeeds
 * once memory is released), the growth of the intern set, the first cleanup
 * of an object (the side table, then the record pool), the growth of the
 * record pool, and a new page of the handle table.
 */
#include "arena_test.h"

#define SLABS_CFG {.min_size = 16, .max_size = 1024, .slab_size = 1u << 14}

static void teardown(void)
{
    at_finish();
}

/* at_init() with the test slabs, flags and a cap. */
static void init_capped(size_t max_bytes, unsigned flags)
{
    arena_config_t cfg = {.slabs = SLABS_CFG, .flags = flags};
    cfg.slabs.max_bytes = max_bytes;
    at_init(cfg);
}

/* arena_stats() without bytes_from_source, for before/after comparisons. */
static arena_stats_t counters(void)
{
    arena_stats_t st = at_stats(&at_a);
    st.bytes_from_source = 0;
    return st;
}

static void same_counters(const arena_stats_t *before)
{
    arena_stats_t now = counters();
    AT_EQ(now.live, before->live);
    AT_EQ(now.slots, before->slots);
    AT_EQ(now.free_slots, before->free_slots);
    AT_EQ(now.retired, before->retired);
    AT_EQ(now.interned, before->interned);
    AT_EQ(now.intern_hits, before->intern_hits);
    AT_EQ(now.cleanups, before->cleanups);
}

/* ---- the script's model ----------------------------------------------------------- */

#define MAX_OBJS 1024
#define MAX_REGS 4096
#define N_STRINGS 80

typedef struct fobj {
    handle_t h;
    int word;        /* interned: the string's number; -1: stamped with at_fill() */
} fobj_t;

typedef struct script {
    fobj_t o[MAX_OBJS];
    size_t n;
    unsigned ran[MAX_REGS];   /* runs of each registered cleanup */
    bool registered[MAX_REGS];
    size_t n_regs;
    size_t failures;          /* calls that met the injected failure */
    size_t by_kind[6];        /* which calls: init, alloc, intern, resize, on_free, other */
} script_t;

static script_t sc;

enum { K_INIT, K_ALLOC, K_INTERN, K_RESIZE, K_ON_FREE };

static const char *string_of(int w, size_t *len)
{
    static char buf[N_STRINGS][48];
    *len = (size_t)snprintf(buf[w], sizeof buf[w], "string number %d%s", w,
                            w % 3 ? "" : " with a longer tail");
    return buf[w];
}

static void verify_obj(const fobj_t *o)
{
    if (o->word < 0) {
        at_verify(&at_a, o->h);
        return;
    }
    size_t len;
    const char *s = string_of(o->word, &len);
    const char *p = arena_get(&at_a, o->h);
    REQUIRE(p != NULL, "interned %#x does not resolve", (unsigned)o->h);
    REQUIRE(arena_size(&at_a, o->h) == len && memcmp(p, s, len + 1) == 0,
            "interned string %d lost its bytes", o->word);
}

static void verify_all(void)
{
    for (size_t k = 0; k < sc.n; k++)
        verify_obj(&sc.o[k]);
}

/* After a call that failed: nothing changed. */
static void failed_call(int kind, const arena_stats_t *before)
{
    sc.failures++;
    sc.by_kind[kind]++;
    AT_EQ(arena_check(&at_a), 0);
    same_counters(before);
    verify_all();
    failing_source_recover(&at_fs);
}

static void count_cleanup(void *obj, size_t size, void *ctx)
{
    (void)obj;
    (void)size;
    sc.ran[(unsigned *)ctx - sc.ran]++;
}

static size_t sizes_of(rng_t *r)
{
    switch (rng_below(r, 10)) {
    case 0:
        return 2000 + rng_below(r, 30000); /* large */
    case 1: case 2:
        return 200 + rng_below(r, 824);
    default:
        return 1 + rng_below(r, 120);
    }
}

static void s_alloc(rng_t *r)
{
    size_t size = sizes_of(r);
    if (sc.n == MAX_OBJS)
        return;
    arena_stats_t before = counters();
    errno = 0;
    handle_t h = arena_alloc(&at_a, size);
    if (h == HANDLE_NULL) {
        AT_EQ(errno, ENOMEM);
        failed_call(K_ALLOC, &before);
        h = arena_alloc(&at_a, size);
        REQUIRE(h != HANDLE_NULL, "alloc(%zu) failed after the source recovered", size);
    }
    at_fill(&at_a, h);
    sc.o[sc.n++] = (fobj_t){h, -1};
}

static void s_intern(rng_t *r)
{
    int w = (int)rng_below(r, N_STRINGS);
    size_t len;
    const char *s = string_of(w, &len);
    if (sc.n == MAX_OBJS)
        return;
    arena_stats_t before = counters();
    errno = 0;
    handle_t h = arena_intern(&at_a, s, len);
    if (h == HANDLE_NULL) {
        AT_EQ(errno, ENOMEM);
        failed_call(K_INTERN, &before);
        h = arena_intern(&at_a, s, len);
        REQUIRE(h != HANDLE_NULL, "intern failed after the source recovered");
    }
    sc.o[sc.n++] = (fobj_t){h, w};
    verify_obj(&sc.o[sc.n - 1]);
}

static void s_resize(rng_t *r)
{
    fobj_t *o = &sc.o[rng_below(r, sc.n)];
    size_t size = sizes_of(r);
    if (o->word >= 0)
        return;
    const void *p = arena_get(&at_a, o->h);
    size_t old = arena_size(&at_a, o->h);
    arena_stats_t before = counters();
    int rc = arena_resize(&at_a, o->h, size);
    if (rc != 0) {
        AT_EQ(rc, -ENOMEM);
        REQUIRE(arena_get(&at_a, o->h) == p && arena_size(&at_a, o->h) == old,
                "a failed resize moved or resized %#x", (unsigned)o->h);
        failed_call(K_RESIZE, &before);
        AT_EQ(arena_resize(&at_a, o->h, size), 0);
    }
    at_fill(&at_a, o->h);
}

static void s_on_free(rng_t *r)
{
    fobj_t *o = &sc.o[rng_below(r, sc.n)];
    REQUIRE(sc.n_regs + 1 < MAX_REGS, "too many cleanups");
    arena_stats_t before = counters();
    int rc = arena_on_free(&at_a, o->h, count_cleanup, &sc.ran[sc.n_regs]);
    if (rc != 0) {
        AT_EQ(rc, -ENOMEM);
        failed_call(K_ON_FREE, &before);
        sc.n_regs++; /* this one was refused: it must never run */
        AT_EQ(arena_on_free(&at_a, o->h, count_cleanup, &sc.ran[sc.n_regs]), 0);
    }
    sc.registered[sc.n_regs++] = true;
}

/* Releases object k (one reference of the model's; shared ones come in
 * pairs in the model, see s_share). */
static void s_release(size_t k)
{
    AT_CMP(arena_release(&at_a, sc.o[k].h), >=, 0);
    sc.o[k] = sc.o[--sc.n];
}

static void s_share(rng_t *r)
{
    if (sc.n == MAX_OBJS)
        return;
    fobj_t o = sc.o[rng_below(r, sc.n)];
    AT_EQ(arena_share(&at_a, o.h), 0);
    sc.o[sc.n++] = o; /* one entry per reference */
}

/* Every registered cleanup ran exactly once, every refused one never. */
static void cleanups_ran_once(void)
{
    for (size_t i = 0; i < sc.n_regs; i++)
        REQUIRE(sc.ran[i] == (sc.registered[i] ? 1u : 0u), "cleanup %zu ran %u times (registered: %d)",
                i, sc.ran[i], sc.registered[i]);
}

/* The script, with the source failing its k-th acquisition (k < 0: never). */
static void run_script(long k)
{
    memset(&sc, 0, sizeof sc);
    failing_source_init(&at_fs, paint_source());
    failing_source_fail_after(&at_fs, k);
    arena_config_t cfg = at_config((arena_config_t){.slabs = SLABS_CFG});
    int rc = arena_init(&at_a, &cfg);
    if (rc != 0) {
        AT_EQ(rc, -ENOMEM);
        AT_EQ(at_fs.live_bytes, 0);
        arena_destroy(&at_a); /* zeroed: a no-op */
        sc.failures++;
        sc.by_kind[K_INIT]++;
        failing_source_recover(&at_fs);
        AT_EQ(arena_init(&at_a, &cfg), 0);
    }
    rng_t r = {7};
    for (int phase = 0; phase < 2; phase++) {
        for (int step = 0; step < 700; step++) {
            uint64_t c = rng_below(&r, 20);
            if (c < 7 || sc.n == 0)
                s_alloc(&r);
            else if (c < 11)
                s_intern(&r);
            else if (c < 13)
                s_resize(&r);
            else if (c < 15)
                s_on_free(&r);
            else if (c < 16)
                s_share(&r);
            else if (sc.n > 350 || c < 17)
                s_release(rng_below(&r, sc.n));
            if (step % 64 == 0)
                AT_EQ(arena_check(&at_a), 0);
        }
        verify_all();
        AT_EQ(arena_check(&at_a), 0);
        if (phase == 0) {
            arena_reset(&at_a);
            sc.n = 0;
        }
    }
    while (sc.n)
        s_release(sc.n - 1);
    cleanups_ran_once();
    AT_EQ(at_stats(&at_a).live, 0);
    AT_EQ(arena_check(&at_a), 0);
}

START_TEST(every_acquisition_fails_once)
{
    run_script(-1);
    size_t total = at_fs.acquisitions;
    AT_EQ(sc.failures, 0);
    at_finish();
    ck_assert_uint_gt(total, 40);
    size_t by_kind[6] = {0};
    for (size_t k = 0; k < total; k++) {
        run_script((long)k);
        REQUIRE(at_fs.failures == 1 && sc.failures == 1,
                "k = %zu: %zu acquisitions refused, %zu calls failed", k, at_fs.failures, sc.failures);
        for (int i = 0; i < 6; i++)
            by_kind[i] += sc.by_kind[i];
        at_finish();
    }
    /* every kind of call met a failure somewhere */
    ck_assert_uint_gt(by_kind[K_INIT], 0);
    ck_assert_uint_gt(by_kind[K_ALLOC], 0);
    ck_assert_uint_gt(by_kind[K_INTERN], 0);
    ck_assert_uint_gt(by_kind[K_RESIZE], 0);
    ck_assert_uint_gt(by_kind[K_ON_FREE], 0);
    at_init((arena_config_t){0}); /* for the teardown */
}
END_TEST

/* ---- the max_bytes cap ------------------------------------------------------------------- */

#define CAP ((size_t)256 * 1024)

/* Fills the capped arena with objects of size bytes until ENOMEM; returns
 * how many; the failure changed nothing. */
static size_t fill(handle_t *h, size_t max, size_t size)
{
    for (size_t n = 0; n < max; n++) {
        arena_stats_t before = counters();
        errno = 0;
        h[n] = arena_alloc(&at_a, size);
        if (h[n] == HANDLE_NULL) {
            AT_EQ(errno, ENOMEM);
            AT_EQ(arena_check(&at_a), 0);
            same_counters(&before);
            for (size_t i = 0; i < n; i++)
                at_verify(&at_a, h[i]);
            return n;
        }
        at_fill(&at_a, h[n]);
    }
    ck_abort_msg("the cap never refused");
}

START_TEST(cap_refuses_alloc_cleanly)
{
    static handle_t h[10000];
    init_capped(CAP, 0);
    size_t n = fill(h, 10000, 100);
    ck_assert_uint_gt(n, 100);
    ck_assert_uint_le(at_stats(&at_a).bytes_from_source, CAP);
    ck_assert_uint_le(at_fs.peak_bytes, CAP);
    /* a large object does not fit either */
    errno = 0;
    ck_assert_uint_eq(arena_alloc(&at_a, 100000), HANDLE_NULL);
    ck_assert_int_eq(errno, ENOMEM);
    /* one released, one allocated in its place */
    handle_t gone = h[n / 2];
    ck_assert_int_eq(arena_release(&at_a, gone), 0);
    h[n / 2] = at_alloc_filled(&at_a, 100);
    ck_assert_uint_ne(h[n / 2], gone);
    for (size_t i = 0; i < n; i++)
        at_verify(&at_a, h[i]);
    /* everything released: the empty slabs make room for a large object */
    for (size_t i = 0; i < n; i++)
        ck_assert_int_eq(arena_release(&at_a, h[i]), 0);
    handle_t big = at_alloc_filled(&at_a, 100000);
    at_verify(&at_a, big);
    ck_assert_int_eq(arena_release(&at_a, big), 0);
}
END_TEST

START_TEST(cap_refuses_resize_and_leaves_the_object)
{
    static handle_t h[10000];
    init_capped(CAP, ARENA_ZERO);
    handle_t x = at_alloc_filled(&at_a, 500);
    size_t n = fill(h, 10000, 100);
    const void *p = arena_get(&at_a, x);
    arena_stats_t before = counters();
    ck_assert_int_eq(arena_resize(&at_a, x, 100000), -ENOMEM);
    ck_assert_ptr_eq(arena_get(&at_a, x), p);
    ck_assert_uint_eq(arena_size(&at_a, x), 500);
    at_verify(&at_a, x);
    same_counters(&before);
    ck_assert_uint_eq(arena_check(&at_a), 0);
    for (size_t i = 0; i < n; i++)
        ck_assert_int_eq(arena_release(&at_a, h[i]), 0);
    /* the same resize once the memory is free: the bytes kept, the rest zero */
    ck_assert_int_eq(arena_resize(&at_a, x, 100000), 0);
    const unsigned char *q = arena_get(&at_a, x);
    ck_assert_uint_eq(rng_stamp_damage(q, 500, at_seed(x)), 500);
    for (size_t i = 500; i < 100000; i++)
        REQUIRE(q[i] == 0, "ARENA_ZERO resize: byte %zu is %#x", i, q[i]);
    ck_assert_int_eq(arena_release(&at_a, x), 0);
}
END_TEST

/* The steps the cap tests measure and then repeat under a cap: n strings
 * interned, handles kept in h. */
static void intern_strings(handle_t *h, int n)
{
    for (int w = 0; w < n; w++) {
        size_t len;
        const char *s = string_of(w, &len);
        h[w] = arena_intern(&at_a, s, len);
        REQUIRE(h[w] != HANDLE_NULL, "intern %d failed, errno %d", w, errno);
    }
}

START_TEST(cap_refuses_intern_set_growth)
{
    /* the set starts with 16 entries and holds 12; the 13th string needs 32 */
    handle_t h[13];
    init_capped(0, 0);
    intern_strings(h, 12);
    size_t bytes = at_stats(&at_a).bytes_from_source;
    intern_strings(h, 13);
    ck_assert_uint_gt(at_stats(&at_a).bytes_from_source, bytes); /* the set grew */
    at_finish();

    init_capped(bytes, 0);
    intern_strings(h, 12);
    ck_assert_uint_eq(at_stats(&at_a).bytes_from_source, bytes);
    size_t len;
    const char *s = string_of(12, &len);
    arena_stats_t before = counters();
    errno = 0;
    ck_assert_uint_eq(arena_intern(&at_a, s, len), HANDLE_NULL);
    ck_assert_int_eq(errno, ENOMEM);
    same_counters(&before);
    ck_assert_uint_eq(arena_check(&at_a), 0);
    /* the twelve are all still found */
    handle_t again[12];
    intern_strings(again, 12);
    for (int w = 0; w < 12; w++)
        ck_assert_uint_eq(again[w], h[w]);
    ck_assert_uint_eq(at_stats(&at_a).intern_hits, 12);
    for (int w = 0; w < 12; w++)
        ck_assert_int_eq(arena_release(&at_a, again[w]), 1);
    /* with one gone, the 13th fits in the set as it is */
    ck_assert_int_eq(arena_release(&at_a, h[0]), 0);
    handle_t t = arena_intern(&at_a, s, len);
    ck_assert_uint_ne(t, HANDLE_NULL);
    ck_assert_uint_eq(at_stats(&at_a).interned, 12);
    ck_assert_int_eq(arena_release(&at_a, t), 0);
    for (int w = 1; w < 12; w++)
        ck_assert_int_eq(arena_release(&at_a, h[w]), 0);
}
END_TEST

static unsigned runs[300];

static void count_run(void *obj, size_t size, void *ctx)
{
    (void)obj;
    (void)size;
    runs[(unsigned *)ctx - runs]++;
}

/* Three objects; returns the bytes held then. */
static size_t three_objects(handle_t *h)
{
    for (int i = 0; i < 3; i++)
        h[i] = at_alloc_filled(&at_a, 40);
    return at_stats(&at_a).bytes_from_source;
}

/* Under the cap, the first cleanup of h[1] is refused and never runs. */
static void first_cleanup_refused(size_t cap)
{
    handle_t h[3];
    memset(runs, 0, sizeof runs);
    init_capped(cap, 0);
    three_objects(h);
    arena_stats_t before = counters();
    ck_assert_int_eq(arena_on_free(&at_a, h[1], count_run, &runs[0]), -ENOMEM);
    same_counters(&before);
    ck_assert_uint_eq(arena_check(&at_a), 0);
    for (int i = 0; i < 3; i++) {
        at_verify(&at_a, h[i]);
        ck_assert_int_eq(arena_release(&at_a, h[i]), 0);
    }
    ck_assert_uint_eq(runs[0], 0);
    at_finish();
}

START_TEST(cap_refuses_the_first_cleanup)
{
    /* measured: the bytes with three objects, then with the side table
     * grown but the record pool refused (the source fails its second
     * acquisition) */
    handle_t h[3];
    init_capped(0, 0);
    size_t b0 = three_objects(h);
    failing_source_fail_after(&at_fs, 1);
    ck_assert_int_eq(arena_on_free(&at_a, h[1], count_run, &runs[0]), -ENOMEM);
    size_t b1 = at_stats(&at_a).bytes_from_source;
    ck_assert_uint_gt(b1, b0);
    failing_source_recover(&at_fs);
    ck_assert_int_eq(arena_on_free(&at_a, h[1], count_run, &runs[0]), 0);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(arena_release(&at_a, h[i]), 0);
    at_finish();

    first_cleanup_refused(b0); /* the side table is refused */
    first_cleanup_refused(b1); /* the side table fits, the record pool does not */

    init_capped(0, 0); /* for the teardown */
}
END_TEST

START_TEST(cap_refuses_record_pool_growth)
{
    /* measured: the registration that needs a second block of records */
    handle_t x;
    init_capped(0, 0);
    x = at_alloc_filled(&at_a, 40);
    ck_assert_int_eq(arena_on_free(&at_a, x, count_run, &runs[0]), 0);
    size_t bytes = at_stats(&at_a).bytes_from_source, n = 1;
    while (at_stats(&at_a).bytes_from_source == bytes) {
        ck_assert_uint_lt(n, 300);
        ck_assert_int_eq(arena_on_free(&at_a, x, count_run, &runs[n]), 0);
        n++;
    }
    ck_assert_int_eq(arena_release(&at_a, x), 0);
    at_finish();

    /* n - 1 registrations fit in the first block; the n-th is refused */
    memset(runs, 0, sizeof runs);
    init_capped(bytes, 0);
    x = at_alloc_filled(&at_a, 40);
    for (size_t i = 0; i + 1 < n; i++)
        ck_assert_int_eq(arena_on_free(&at_a, x, count_run, &runs[i]), 0);
    arena_stats_t before = counters();
    ck_assert_int_eq(arena_on_free(&at_a, x, count_run, &runs[n - 1]), -ENOMEM);
    same_counters(&before);
    ck_assert_uint_eq(at_stats(&at_a).cleanups, n - 1);
    ck_assert_uint_eq(arena_check(&at_a), 0);
    at_verify(&at_a, x);
    ck_assert_int_eq(arena_release(&at_a, x), 0);
    for (size_t i = 0; i + 1 < n; i++)
        ck_assert_uint_eq(runs[i], 1);
    ck_assert_uint_eq(runs[n - 1], 0);
}
END_TEST

START_TEST(cap_refuses_every_growth_for_cleanups)
{
    /* measured: which of 300 first cleanups (one per object) made the side
     * table or the record pool grow, the bytes held before each, and the
     * peak before and after each (a table that grows holds the old and the
     * new one for a moment) */
    enum { N = 300 };
    static handle_t h[N];
    static size_t cap[N], peak_after[N];
    static bool grew[N];
    init_capped(0, 0);
    for (int i = 0; i < N; i++)
        h[i] = at_alloc_filled(&at_a, 24);
    for (int i = 0; i < N; i++) {
        size_t bytes = at_stats(&at_a).bytes_from_source;
        cap[i] = at_fs.peak_bytes > bytes ? at_fs.peak_bytes : bytes;
        ck_assert_int_eq(arena_on_free(&at_a, h[i], count_run, &runs[i]), 0);
        grew[i] = at_stats(&at_a).bytes_from_source != bytes;
        peak_after[i] = at_fs.peak_bytes;
    }
    for (int i = 0; i < N; i++)
        ck_assert_int_eq(arena_release(&at_a, h[i]), 0);
    at_finish();

    /* the same steps under each cap: the cleanup g is refused exactly when
     * it needed more than the cap, and then it changed nothing */
    size_t refused = 0;
    for (int g = 0; g < N; g++) {
        if (!grew[g])
            continue;
        memset(runs, 0, sizeof runs);
        init_capped(cap[g], 0);
        for (int i = 0; i < N; i++)
            h[i] = at_alloc_filled(&at_a, 24);
        for (int i = 0; i < g; i++)
            ck_assert_int_eq(arena_on_free(&at_a, h[i], count_run, &runs[i]), 0);
        arena_stats_t was = counters();
        bool refuse = peak_after[g] > cap[g];
        ck_assert_int_eq(arena_on_free(&at_a, h[g], count_run, &runs[g]), refuse ? -ENOMEM : 0);
        if (refuse) {
            refused++;
            same_counters(&was);
        }
        ck_assert_uint_eq(arena_check(&at_a), 0);
        for (int i = 0; i < N; i++) {
            at_verify(&at_a, h[i]);
            ck_assert_int_eq(arena_release(&at_a, h[i]), 0);
            ck_assert_uint_eq(runs[i], i < g || (i == g && !refuse) ? 1 : 0);
        }
        at_finish();
    }
    /* at least the side table's first and a later size, and a pool block */
    ck_assert_uint_ge(refused, 3);
    init_capped(0, 0); /* for the teardown */
}
END_TEST

START_TEST(cap_refuses_a_new_table_page)
{
    /* page 0 holds slots 1..63: the 64th handle needs page 1 */
    enum { N = ARENA_PAGE0_SLOTS - 1 };
    handle_t h[N];
    init_capped(0, 0);
    for (int i = 0; i < N; i++)
        h[i] = at_alloc_filled(&at_a, 16);
    size_t bytes = at_stats(&at_a).bytes_from_source;
    handle_t more = at_alloc_filled(&at_a, 16);
    ck_assert_uint_gt(at_stats(&at_a).bytes_from_source, bytes); /* page 1 */
    ck_assert_int_eq(arena_release(&at_a, more), 0);
    for (int i = 0; i < N; i++)
        ck_assert_int_eq(arena_release(&at_a, h[i]), 0);
    at_finish();

    init_capped(bytes, 0);
    for (int i = 0; i < N; i++)
        h[i] = at_alloc_filled(&at_a, 16);
    arena_stats_t before = counters();
    errno = 0;
    ck_assert_uint_eq(arena_alloc(&at_a, 16), HANDLE_NULL);
    ck_assert_int_eq(errno, ENOMEM);
    errno = 0;
    ck_assert_uint_eq(arena_intern(&at_a, "x", 1), HANDLE_NULL);
    ck_assert_int_eq(errno, ENOMEM);
    same_counters(&before);
    ck_assert_uint_eq(arena_check(&at_a), 0);
    for (int i = 0; i < N; i++)
        at_verify(&at_a, h[i]);
    /* a released slot is reused without a new page */
    ck_assert_int_eq(arena_release(&at_a, h[7]), 0);
    h[7] = at_alloc_filled(&at_a, 16);
    ck_assert_uint_eq(h[7] & ((1u << ARENA_DEFAULT_INDEX_BITS) - 1), 8);
    for (int i = 0; i < N; i++)
        ck_assert_int_eq(arena_release(&at_a, h[i]), 0);
}
END_TEST

Suite *arena_faults_suite(void)
{
    Suite *s = suite_create("arena-faults");
    TCase *tc = tcase_create("injection");
    tcase_set_tags(tc, "edge");
    tcase_set_timeout(tc, 120);
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_add_test(tc, every_acquisition_fails_once);
    suite_add_tcase(s, tc);

    tc = tcase_create("cap");
    tcase_set_tags(tc, "edge");
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_add_test(tc, cap_refuses_alloc_cleanly);
    tcase_add_test(tc, cap_refuses_resize_and_leaves_the_object);
    tcase_add_test(tc, cap_refuses_intern_set_growth);
    tcase_add_test(tc, cap_refuses_the_first_cleanup);
    tcase_add_test(tc, cap_refuses_record_pool_growth);
    tcase_add_test(tc, cap_refuses_every_growth_for_cleanups);
    tcase_add_test(tc, cap_refuses_a_new_table_page);
    suite_add_tcase(s, tc);
    return s;
}

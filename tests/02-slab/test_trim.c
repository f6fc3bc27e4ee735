/*
 * test_trim.c - stage 02, memory that goes back: slabs_trim() and
 * slabs_trim_idle() give empty slabs to the source, and nothing else does;
 * slabs_reset() frees every object but keeps the memory; slabs_destroy()
 * returns every byte.  The counting source proves each claim in bytes.
 *
 * The clock is a test clock (st_now, through trim_now, which counts its
 * reads) that the tests move by hand, so the idle ages are exact and no
 * test depends on timing.
 */
#include "slab_test.h"

#define SLAB ((size_t)1 << 14)   /* 16 KiB slabs: few chunks of the big classes */

static size_t clock_reads;       /* calls of trim_now() since setup */

static uint64_t trim_now(void)
{
    clock_reads++;
    return st_now();
}

/* classes 16 32 ... 2048 */
static void setup_with(unsigned flags)
{
    st_clock_ns = 1000;
    clock_reads = 0;
    st_init((slabs_config_t){.min_size = 16, .max_size = 2048, .growth = 2.0,
                             .slab_size = SLAB, .now_ns = trim_now, .flags = flags});
}

static void setup(void)
{
    setup_with(0);
}

static void teardown(void)
{
    st_finish();
}

/* The slab that holds p. */
static uintptr_t slab_of(const void *p)
{
    return (uintptr_t)p & ~(uintptr_t)(SLAB - 1);
}

/* Allocates objects of size until nslabs slabs of its class are full;
 * returns them in a new array of *n. */
static void **fill_slabs(size_t size, size_t nslabs, size_t *n)
{
    size_t cls = slabs_class_of(&st_s, size);
    size_t per = st_cstats(&st_s, cls).chunks_per_slab;
    size_t start = st_cstats(&st_s, cls).slabs;
    *n = per * nslabs;
    void **p = malloc(*n * sizeof *p);
    ck_assert_ptr_nonnull(p);
    for (size_t i = 0; i < *n; i++)
        ck_assert_ptr_nonnull(p[i] = slabs_alloc(&st_s, size));
    ck_assert_uint_eq(st_cstats(&st_s, cls).slabs, start + nslabs);
    ck_assert_uint_eq(st_cstats(&st_s, cls).free, 0);
    return p;
}

static void free_all(void **p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        slabs_free(&st_s, p[i]);
    free(p);
}

/* Frees every object of p that lives in slab sl. */
static void free_slab(void **p, size_t n, uintptr_t sl)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] && slab_of(p[i]) == sl) {
            slabs_free(&st_s, p[i]);
            p[i] = NULL;
        }
}

/* ---- trim ----------------------------------------------------------- 02-trim */

START_TEST(nothing_goes_back_without_trim)
{
    size_t n;
    void **p = fill_slabs(100, 3, &n);
    size_t bytes = st_stats(&st_s).bytes_from_source;
    size_t live = st_fs.live_bytes;
    free_all(p, n);
    ck_assert_uint_eq(st_stats(&st_s).bytes_from_source, bytes);
    ck_assert_uint_eq(st_fs.live_bytes, live);
    ck_assert_uint_eq(st_fs.releases, 0);
    /* allocating and freeing in other classes does not release it either */
    for (int i = 0; i < 100; i++)
        slabs_free(&st_s, slabs_alloc(&st_s, 16 + (size_t)i * 20));
    ck_assert_uint_eq(st_fs.releases, 0);
    ck_assert_uint_eq(st_cstats(&st_s, slabs_class_of(&st_s, 100)).slabs, 3);
}
END_TEST

START_TEST(trim_zero_releases_every_empty_slab)
{
    size_t n1, n2;
    void **a = fill_slabs(100, 3, &n1);
    void **b = fill_slabs(1500, 2, &n2);
    size_t held = st_fs.live_bytes;
    ck_assert_uint_eq(held, st_overhead() + 5 * SLAB);
    ck_assert_uint_eq(st_slab_bytes(), 5 * SLAB);
    ck_assert_uint_eq(st_stats(&st_s).bytes_from_source, held);
    free_all(a, n1);
    free_all(b, n2);
    size_t released = slabs_trim(&st_s, 0);
    ck_assert_uint_eq(released, 5 * SLAB);
    ck_assert_uint_eq(st_fs.live_bytes, held - 5 * SLAB);
    ck_assert_uint_eq(st_fs.live_bytes, st_overhead());
    ck_assert_uint_eq(st_fs.releases, 5);
    ck_assert_uint_eq(st_slab_bytes(), 0);
    ck_assert_uint_eq(st_stats(&st_s).bytes_from_source, st_overhead());
    ck_assert_uint_eq(st_cstats(&st_s, slabs_class_of(&st_s, 100)).slabs, 0);
    ck_assert_uint_eq(st_cstats(&st_s, slabs_class_of(&st_s, 100)).free, 0);
    ck_assert_uint_eq(slabs_trim(&st_s, 0), 0);   /* nothing left to give */
    /* and the class works again afterwards */
    void *q = slabs_alloc(&st_s, 100);
    ck_assert_ptr_nonnull(q);
    ck_assert_uint_eq(st_fs.live_bytes, st_overhead() + SLAB);
    slabs_free(&st_s, q);
}
END_TEST

START_TEST(trim_keeps_empty_per_class)
{
    size_t n1, n2, n3;
    void **a = fill_slabs(100, 4, &n1);   /* class 128 */
    void **b = fill_slabs(1500, 2, &n2);  /* class 2048 */
    void **c = fill_slabs(20, 1, &n3);    /* class 32 */
    free_all(a, n1);
    free_all(b, n2);
    free_all(c, n3);
    size_t before = st_fs.live_bytes;
    size_t released = slabs_trim(&st_s, 2);
    ck_assert_uint_eq(released, 2 * SLAB);   /* only class 128 had more than 2 */
    ck_assert_uint_eq(st_fs.live_bytes, before - released);
    ck_assert_uint_eq(st_cstats(&st_s, slabs_class_of(&st_s, 100)).slabs, 2);
    ck_assert_uint_eq(st_cstats(&st_s, slabs_class_of(&st_s, 1500)).slabs, 2);
    ck_assert_uint_eq(st_cstats(&st_s, slabs_class_of(&st_s, 20)).slabs, 1);
    released = slabs_trim(&st_s, 1);
    ck_assert_uint_eq(released, 2 * SLAB);
    ck_assert_uint_eq(st_cstats(&st_s, slabs_class_of(&st_s, 100)).slabs, 1);
    ck_assert_uint_eq(st_cstats(&st_s, slabs_class_of(&st_s, 1500)).slabs, 1);
    ck_assert_uint_eq(st_cstats(&st_s, slabs_class_of(&st_s, 20)).slabs, 1);
    ck_assert_uint_eq(st_fs.live_bytes, st_overhead() + 3 * SLAB);
    ck_assert_uint_eq(slabs_trim(&st_s, 1), 0);
    ck_assert_uint_eq(slabs_trim(&st_s, SIZE_MAX), 0);
}
END_TEST

START_TEST(trim_never_releases_a_slab_with_live_objects)
{
    size_t n;
    void **p = fill_slabs(500, 3, &n);   /* class 512 */
    /* slab 0 empty, slab 1 keeps one object, slab 2 stays full */
    uintptr_t s0 = slab_of(p[0]), s1 = 0, s2 = 0;
    for (size_t i = 0; i < n; i++) {
        uintptr_t sl = slab_of(p[i]);
        if (sl != s0 && s1 == 0)
            s1 = sl;
        else if (sl != s0 && sl != s1 && s2 == 0)
            s2 = sl;
    }
    ck_assert_uint_ne(s1, 0);
    ck_assert_uint_ne(s2, 0);
    void *keep = NULL;
    for (size_t i = 0; i < n; i++)
        if (slab_of(p[i]) == s1 && keep == NULL) {
            keep = p[i];
            p[i] = NULL;
        }
    st_stamp(keep, 500, 21);
    free_slab(p, n, s0);
    free_slab(p, n, s1);
    size_t cls = slabs_class_of(&st_s, 500);
    size_t per = st_cstats(&st_s, cls).chunks_per_slab;
    ck_assert_uint_eq(st_cstats(&st_s, cls).used, per + 1);
    ck_assert_uint_eq(slabs_trim(&st_s, 0), SLAB);
    ck_assert_uint_eq(st_cstats(&st_s, cls).slabs, 2);
    ck_assert_uint_eq(st_cstats(&st_s, cls).used, per + 1);
    ck_assert_uint_eq(st_damage(keep, 500, 21), 500);
    ck_assert_uint_eq(slabs_check(&st_s), 0);
    ck_assert_uint_eq(slabs_trim(&st_s, 0), 0);
    slabs_free(&st_s, keep);
    ck_assert_uint_eq(slabs_trim(&st_s, 0), SLAB);   /* slab 1 is empty now */
    for (size_t i = 0; i < n; i++)
        slabs_free(&st_s, p[i]);   /* slab 2; NULLs are no-ops */
    free(p);
    ck_assert_uint_eq(slabs_trim(&st_s, 0), SLAB);
    ck_assert_uint_eq(st_fs.live_bytes, st_overhead());
}
END_TEST

START_TEST(trim_leaves_large_objects_alone)
{
    char *big = slabs_alloc(&st_s, 10000);
    ck_assert_ptr_nonnull(big);
    st_stamp(big, 10000, 22);
    size_t live = st_fs.live_bytes;
    ck_assert_uint_eq(slabs_trim(&st_s, 0), 0);
    ck_assert_uint_eq(st_fs.live_bytes, live);
    ck_assert_uint_eq(st_damage(big, 10000, 22), 10000);
    slabs_free(&st_s, big);
    ck_assert_uint_eq(st_fs.live_bytes, st_overhead());   /* a large object goes back when freed */
    ck_assert_uint_eq(st_fs.releases, 1);
}
END_TEST

START_TEST(trim_idle_releases_only_old_empty_slabs)
{
    size_t na, nb;
    void **a = fill_slabs(100, 2, &na);
    void **b = fill_slabs(1000, 1, &nb);
    st_clock_ns = 1000;
    free_all(a, na);             /* two slabs empty since t = 1000 */
    /* The last slab of a class to empty stays at the head of its partial
     * list, unstamped, until a trim looks at it (slabs.h): a trim that
     * releases nothing stamps it now, so the ages below are exact. */
    ck_assert_uint_eq(slabs_trim_idle(&st_s, UINT64_MAX), 0);
    st_clock_ns = 1000 + 5000;
    free_all(b, nb);             /* one slab empty since t = 6000 */
    ck_assert_uint_eq(slabs_trim_idle(&st_s, UINT64_MAX), 0);
    st_clock_ns = 1000 + 8000;   /* ages: 8000, 8000, 3000 */
    ck_assert_uint_eq(slabs_trim_idle(&st_s, 10000), 0);
    ck_assert_uint_eq(slabs_trim_idle(&st_s, 8000), 0);   /* strictly longer */
    ck_assert_uint_eq(st_fs.live_bytes, st_overhead() + 3 * SLAB);
    ck_assert_uint_eq(slabs_trim_idle(&st_s, 4000), 2 * SLAB);
    ck_assert_uint_eq(st_fs.live_bytes, st_overhead() + SLAB);
    ck_assert_uint_eq(st_cstats(&st_s, slabs_class_of(&st_s, 100)).slabs, 0);
    ck_assert_uint_eq(st_cstats(&st_s, slabs_class_of(&st_s, 1000)).slabs, 1);
    ck_assert_uint_eq(slabs_trim_idle(&st_s, 4000), 0);
    st_clock_ns += 2000;         /* age 5000 */
    ck_assert_uint_eq(slabs_trim_idle(&st_s, 4000), SLAB);
    ck_assert_uint_eq(st_fs.live_bytes, st_overhead());
}
END_TEST

START_TEST(trim_idle_age_restarts_when_slab_is_reused)
{
    size_t n;
    void **p = fill_slabs(300, 1, &n);
    st_clock_ns = 1000;
    for (size_t i = 0; i < n; i++)
        slabs_free(&st_s, p[i]);     /* empty at 1000 */
    st_clock_ns = 50000;
    void *q = slabs_alloc(&st_s, 300);   /* reused: no longer empty */
    ck_assert_ptr_nonnull(q);
    ck_assert_uint_eq(slabs_trim_idle(&st_s, 0), 0);   /* not empty: never released */
    st_clock_ns = 60000;
    slabs_free(&st_s, q);            /* empty again at 60000 */
    st_clock_ns = 61000;             /* age 1000, though first emptied at 1000 */
    ck_assert_uint_eq(slabs_trim_idle(&st_s, 5000), 0);
    ck_assert_uint_eq(st_fs.live_bytes, st_overhead() + SLAB);
    st_clock_ns = 70000;             /* age 10000 */
    ck_assert_uint_eq(slabs_trim_idle(&st_s, 5000), SLAB);
    free(p);
}
END_TEST

START_TEST(trim_idle_never_touches_partial_slabs)
{
    size_t n;
    void **p = fill_slabs(64, 1, &n);
    for (size_t i = 1; i < n; i++)
        slabs_free(&st_s, p[i]);
    st_clock_ns += (uint64_t)1 << 40;
    ck_assert_uint_eq(slabs_trim_idle(&st_s, 0), 0);
    ck_assert_uint_eq(slabs_trim(&st_s, 0), 0);
    slabs_free(&st_s, p[0]);
    free(p);
    st_clock_ns += 10;
    /* it emptied at the head of its partial list: its age counts from the
     * first trim that sees it empty (this one), never from earlier */
    ck_assert_uint_eq(slabs_trim_idle(&st_s, 1), 0);
    st_clock_ns += 10;
    ck_assert_uint_eq(slabs_trim_idle(&st_s, 1), SLAB);
}
END_TEST

/* A class's only slab, emptied and used again, stays where allocation finds
 * it: no clock read, no memory back.  Its idle age counts from the first
 * trim that finds it empty, so trim_idle may give it back late (by at most
 * the time between its emptying and that trim), never early. */
START_TEST(slab_emptied_in_place_is_aged_from_the_first_trim)
{
    size_t cls = slabs_class_of(&st_s, 100);
    void *p = slabs_alloc(&st_s, 100);
    ck_assert_ptr_nonnull(p);
    size_t reads = clock_reads;
    st_clock_ns = 1000;
    for (int i = 0; i < 1000; i++) {      /* the slab empties 1000 times */
        slabs_free(&st_s, p);
        ck_assert_ptr_eq(slabs_alloc(&st_s, 100), p);   /* the same chunk again */
    }
    slabs_free(&st_s, p);                 /* empty since t = 1000 */
    ck_assert_uint_eq(clock_reads, reads);
    ck_assert_uint_eq(st_cstats(&st_s, cls).slabs, 1);
    ck_assert_uint_eq(slabs_check(&st_s), 0);
    st_clock_ns = 1000000;
    ck_assert_uint_eq(slabs_trim_idle(&st_s, 5000), 0);     /* seen empty: stamped now */
    ck_assert_uint_eq(st_cstats(&st_s, cls).slabs, 1);
    ck_assert_uint_eq(slabs_check(&st_s), 0);
    st_clock_ns += 5000;
    ck_assert_uint_eq(slabs_trim_idle(&st_s, 5000), 0);     /* age 5000: not strictly longer */
    st_clock_ns += 1;
    ck_assert_uint_eq(slabs_trim_idle(&st_s, 5000), SLAB);
    ck_assert_uint_eq(st_cstats(&st_s, cls).slabs, 0);
    ck_assert_uint_eq(st_fs.live_bytes, st_overhead());
}
END_TEST

/* Without flags a freed object waits on its class's cache (at most
 * cache_max of them, about 8 KiB), and reaches its slab when the cache
 * overflows or a trim empties it: the slab's age counts from then. */
START_TEST(free_waits_on_the_class_cache)
{
    size_t n;
    void **p = fill_slabs(100, 2, &n);   /* class 128: 64 on its cache at most */
    size_t cls = slabs_class_of(&st_s, 100);
    void *last = p[n - 1];
    free_all(p, n);
    ck_assert_uint_eq(st_cstats(&st_s, cls).used, 0);       /* freed, whatever waits */
    ck_assert_uint_eq(st_cstats(&st_s, cls).free, n);
    ck_assert_uint_eq(slabs_check(&st_s), 0);               /* cached <= cache_max */
    ck_assert_ptr_eq(slabs_alloc(&st_s, 120), last);        /* LIFO: the hottest first */
    slabs_free(&st_s, last);
    st_clock_ns = 5000;
    ck_assert_uint_eq(slabs_trim_idle(&st_s, 1000), SLAB);  /* the slab the overflows emptied */
    ck_assert_uint_eq(slabs_trim_idle(&st_s, 1000), 0);     /* the other: emptied by this trim's flush */
    st_clock_ns = 6001;
    ck_assert_uint_eq(slabs_trim_idle(&st_s, 1000), SLAB);
    ck_assert_uint_eq(st_fs.live_bytes, st_overhead());
}
END_TEST

/* A slab that empties anywhere but at the head of its partial list goes to
 * the empty list at once, stamped with the clock: its age is exact. */
START_TEST(slab_emptied_behind_the_head_is_stamped_at_once)
{
    /* with a flag no freed object waits on its class's cache: every free
     * reaches its slab at once */
    st_finish();
    setup_with(SLABS_STATS);
    size_t n;
    void **p = fill_slabs(100, 2, &n);
    size_t half = n / 2;                  /* p[0..half) in slab A, the rest in B */
    ck_assert_uint_ne(slab_of(p[0]), slab_of(p[n - 1]));
    ck_assert_uint_eq(slab_of(p[0]), slab_of(p[half - 1]));
    slabs_free(&st_s, p[0]);              /* A: full -> partial (head) */
    slabs_free(&st_s, p[n - 1]);          /* B: full -> partial (head), A behind */
    st_clock_ns = 1000;
    for (size_t i = 1; i < half; i++)     /* A empties behind the head */
        slabs_free(&st_s, p[i]);
    ck_assert_uint_eq(slabs_check(&st_s), 0);
    st_clock_ns = 2000;
    ck_assert_uint_eq(slabs_trim_idle(&st_s, 1000), 0);     /* age 1000 */
    ck_assert_uint_eq(slabs_trim_idle(&st_s, 999), SLAB);   /* A goes back */
    ck_assert_uint_eq(slab_of(p[n - 2]), slab_of(p[n - 1]));
    for (size_t i = half; i < n - 1; i++)
        slabs_free(&st_s, p[i]);
    free(p);
    ck_assert_uint_eq(slabs_trim(&st_s, 0), SLAB);          /* B, emptied in place */
    ck_assert_uint_eq(st_fs.live_bytes, st_overhead());
}
END_TEST

START_TEST(trim_idle_counts_age_from_reset)
{
    size_t na, nb;
    void **a = fill_slabs(100, 2, &na);
    void **b = fill_slabs(2000, 1, &nb);
    free(a);
    free(b);
    st_clock_ns = 5000;
    slabs_reset(&st_s);                  /* every slab empty since 5000 */
    ck_assert_uint_eq(slabs_trim_idle(&st_s, 0), 0);   /* the clock has not moved */
    st_clock_ns = 6000;
    ck_assert_uint_eq(slabs_trim_idle(&st_s, 2000), 0);
    ck_assert_uint_eq(st_slab_bytes(), 3 * SLAB);
    st_clock_ns = 7001;
    ck_assert_uint_eq(slabs_trim_idle(&st_s, 2000), 3 * SLAB);
    ck_assert_uint_eq(st_slab_bytes(), 0);
    ck_assert_uint_eq(st_fs.live_bytes, st_overhead());
}
END_TEST

START_TEST(trim_keeps_the_most_recently_emptied)
{
    size_t n;
    void **p = fill_slabs(700, 3, &n);   /* class 1024 */
    uintptr_t order[3];
    size_t k = 0;
    for (size_t i = 0; i < n && k < 3; i++) {
        uintptr_t sl = slab_of(p[i]);
        bool seen = false;
        for (size_t j = 0; j < k; j++)
            seen |= order[j] == sl;
        if (!seen)
            order[k++] = sl;
    }
    ck_assert_uint_eq(k, 3);
    for (size_t j = 0; j < 3; j++) {     /* empty them in order 0, 1, 2 */
        st_clock_ns += 100;
        free_slab(p, n, order[j]);
    }
    free(p);
    ck_assert_uint_eq(slabs_trim(&st_s, 1), 2 * SLAB);
    /* the survivor is slab 2: the next allocation lands in it */
    void *q = slabs_alloc(&st_s, 700);
    ck_assert_ptr_nonnull(q);
    ck_assert_uint_eq(slab_of(q), order[2]);
    slabs_free(&st_s, q);
}
END_TEST

/* ---- reset and destroy ---------------------------------------------------------- */

START_TEST(reset_frees_objects_and_keeps_memory)
{
    size_t na, nb;
    void **a = fill_slabs(100, 2, &na);
    void **b = fill_slabs(700, 1, &nb);
    free(a);
    free(b);
    void *big = slabs_alloc(&st_s, 5000);
    ck_assert_ptr_nonnull(big);
    size_t slab_bytes = 3 * SLAB;
    slabs_reset(&st_s);
    slabs_stats_t st = st_stats(&st_s);
    ck_assert_uint_eq(st.live_objects, 0);
    ck_assert_uint_eq(st.live_requested_bytes, 0);
    ck_assert_uint_eq(st.large_objects, 0);
    ck_assert_uint_eq(st.large_bytes, 0);
    ck_assert_uint_eq(st.bytes_from_source, st_overhead() + slab_bytes);   /* slabs kept, large gone */
    ck_assert_uint_eq(st_fs.live_bytes, st.bytes_from_source);
    ck_assert_uint_eq(st_slab_bytes(), slab_bytes);
    size_t cls = slabs_class_of(&st_s, 100);
    slabs_class_stats_t cs = st_cstats(&st_s, cls);
    ck_assert_uint_eq(cs.used, 0);
    ck_assert_uint_eq(cs.requested_bytes, 0);
    ck_assert_uint_eq(cs.slabs, 2);
    ck_assert_uint_eq(cs.free, 2 * cs.chunks_per_slab);
    ck_assert_uint_eq(slabs_check(&st_s), 0);
    /* refilling takes nothing from the source */
    size_t acq = st_fs.acquisitions;
    for (size_t i = 0; i < 2 * cs.chunks_per_slab; i++)
        ck_assert_ptr_nonnull(slabs_alloc(&st_s, 100));
    ck_assert_uint_eq(st_fs.acquisitions, acq);
    slabs_reset(&st_s);
    ck_assert_uint_eq(slabs_trim(&st_s, 0), slab_bytes);   /* all empty after reset */
    ck_assert_uint_eq(st_fs.live_bytes, st_overhead());
}
END_TEST

START_TEST(reset_of_empty_allocator)
{
    slabs_reset(&st_s);
    ck_assert_uint_eq(st_stats(&st_s).live_objects, 0);
    ck_assert_uint_eq(st_fs.acquisitions, 1);   /* the metadata only */
    ck_assert_uint_eq(slabs_trim(&st_s, 0), 0);
    slabs_reset(NULL);
}
END_TEST

START_TEST(destroy_returns_every_byte)
{
    rng_t r = {3};
    for (int i = 0; i < 2000; i++)
        ck_assert_ptr_nonnull(slabs_alloc(&st_s, 1 + rng_below(&r, 3000)));
    ck_assert_uint_gt(st_fs.live_bytes, 0);
    slabs_destroy(&st_s);
    ck_assert_uint_eq(st_fs.live_bytes, 0);
    ck_assert_uint_eq(st_fs.releases, st_fs.acquisitions);
    slabs_destroy(&st_s);   /* a destroyed allocator: a no-op */
    slabs_destroy(NULL);
    /* the fixture's teardown needs an allocator */
    st_init((slabs_config_t){0});
}
END_TEST

Suite *slabs_trim_suite(void)
{
    Suite *s = suite_create("slabs-trim");
    TCase *tc = tcase_create("trim");
    tcase_set_tags(tc, "core 02-trim");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, nothing_goes_back_without_trim);
    tcase_add_test(tc, trim_zero_releases_every_empty_slab);
    tcase_add_test(tc, trim_keeps_empty_per_class);
    tcase_add_test(tc, trim_never_releases_a_slab_with_live_objects);
    tcase_add_test(tc, trim_leaves_large_objects_alone);
    tcase_add_test(tc, trim_idle_releases_only_old_empty_slabs);
    tcase_add_test(tc, trim_idle_age_restarts_when_slab_is_reused);
    tcase_add_test(tc, trim_idle_never_touches_partial_slabs);
    tcase_add_test(tc, slab_emptied_in_place_is_aged_from_the_first_trim);
    tcase_add_test(tc, slab_emptied_behind_the_head_is_stamped_at_once);
    tcase_add_test(tc, free_waits_on_the_class_cache);
    tcase_add_test(tc, trim_idle_counts_age_from_reset);
    tcase_add_test(tc, trim_keeps_the_most_recently_emptied);
    suite_add_tcase(s, tc);

    tc = tcase_create("reset");
    tcase_set_tags(tc, "core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, reset_frees_objects_and_keeps_memory);
    tcase_add_test(tc, reset_of_empty_allocator);
    tcase_add_test(tc, destroy_returns_every_byte);
    suite_add_tcase(s, tc);
    return s;
}

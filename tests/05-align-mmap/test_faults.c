/*
 * test_faults.c - stage 05 when the kernel says no.
 *
 * Every system call goes through vmem_config_t.os (vmem_test.h's counting,
 * failing calls), so a test can refuse the Nth map or every advice of a
 * kind and watch what vmem and the stages above it make of it:
 *  - vmem_init() with every map refused is -ENOMEM, with v zeroed and
 *    nothing left mapped; with one map refused it retries a smaller
 *    reservation;
 *  - a region refused later fails that acquisition (NULL, ENOMEM) and
 *    nothing else: the slabs of stage 02, the arena of stage 03 and the map
 *    of stage 04 on top fail their call cleanly, keep every object and
 *    entry with its bytes, pass their checkers, and work again once the
 *    kernel does;
 *  - a release advice refused: the pages stay resident and reusable,
 *    nothing is counted as released, nothing handed out is lost;
 *  - MADV_HUGEPAGE refused: VMEM_HUGE_AUTO goes on in base pages,
 *    VMEM_HUGE_THP refuses (-EOPNOTSUPP at init, ENOMEM for a later
 *    region);
 *  - max_bytes met exactly, on vmem alone and under stages 02 and 03;
 *  - a kernel that refuses big reservations (overcommit_memory = 2 or
 *    ulimit -v, modelled by a map that refuses lengths above a limit, then
 *    for real with RLIMIT_AS in a child process): a smaller reservation or
 *    -ENOMEM, never a crash.
 */
#include "vmem_test.h"

#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "aligned.h"
#include "amap.h"
#include "failing_source.h"
#include "tool_query.h"
#include "vmem_internal.h"

#define KIB ((size_t)1 << 10)
#define GIB ((size_t)1 << 30)

static vmem_t v;

static void teardown(void)
{
    vmem_destroy(&v);
    ck_assert_ptr_null(v.regions);
}

static bool all_zero(const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        if (b[i])
            return false;
    return true;
}

/* Every map call from the next one on is refused. */
static void refuse_maps(void)
{
    vt_os.map.fail_at = vt_os.map.calls + 1;
    vt_os.map.fail_count = 0;
}

static void allow_maps(void)
{
    vt_os.map.fail_at = 0;
}

/* A vmem on the counting calls with a reservation of `pages` 2 MiB pages. */
static void init_small(size_t pages, enum vmem_release release)
{
    vmem_config_t cfg = vt_config_counted(VMEM_HUGE_AUTO, release);
    cfg.reserve = pages * VMEM_HUGE_PAGE;
    vt_init(&v, cfg);
}

/* ---- vmem_init ------------------------------------------------------------------ */

START_TEST(init_with_every_map_refused_is_enomem_and_maps_nothing)
{
    /* from the first map (the descriptors) or the second (the region) on */
    for (size_t n = 1; n <= 2; n++) {
        vmem_config_t cfg = vt_config_counted(VMEM_HUGE_AUTO, VMEM_RELEASE_DONTNEED);
        vt_os.map.fail_at = n;
        memset(&v, 0xA5, sizeof v);
        ck_assert_int_eq(vmem_init(&v, &cfg), -ENOMEM);
        ck_assert_msg(all_zero(&v, sizeof v), "failing from map %zu: v is not zeroed", n);
        ck_assert_uint_eq(vt_os.mapped, 0);
        ck_assert_uint_gt(vt_os.map.failures, 0);
        vmem_stats_t st = vt_stats(&v);
        ck_assert_uint_eq(st.reserved, 0);
        ck_assert_uint_eq(st.regions, 0);
        size_t calls = vt_os_calls_made();
        vmem_destroy(&v); /* a no-op on the zeroed v */
        ck_assert_uint_eq(vt_os_calls_made(), calls);
        ck_assert(all_zero(&v, sizeof v));
    }
}
END_TEST

START_TEST(init_with_one_map_refused_takes_half_the_reservation)
{
    for (size_t n = 1; n <= 2; n++) {
        vmem_config_t cfg = vt_config_counted(VMEM_HUGE_AUTO, VMEM_RELEASE_DONTNEED);
        vt_os.map.fail_at = n;
        vt_os.map.fail_count = 1;
        vt_init(&v, cfg);
        vmem_stats_t st = vt_stats(&v);
        ck_assert_uint_eq(st.reserved, VT_RESERVE / 2);
        ck_assert_uint_eq(st.regions, 1);
        ck_assert_uint_eq(st.syscalls, vt_os_calls_made());
        ck_assert_uint_eq(vt_os.map.failures, 1);
        char *p = vt_acquire(&v, 3 * VMEM_HUGE_PAGE, 1);
        vt_fill(p, 3 * VMEM_HUGE_PAGE, n);
        VT_VERIFY(p, 3 * VMEM_HUGE_PAGE, n);
        vmem_destroy(&v);
        ck_assert_uint_eq(vt_os.mapped, 0);
    }
}
END_TEST

/* ---- a region refused later, on vmem alone --------------------------------------- */

START_TEST(a_refused_region_fails_only_that_acquisition)
{
    init_small(2, VMEM_RELEASE_DONTNEED);
    char *a = vt_acquire(&v, VMEM_HUGE_PAGE, 1), *b = vt_acquire(&v, VMEM_HUGE_PAGE, 1);
    vt_fill(a, VMEM_HUGE_PAGE, 1);
    vt_fill(b, VMEM_HUGE_PAGE, 2);
    vmem_stats_t before = vt_stats(&v);
    size_t mapped = vt_os.mapped;
    refuse_maps();
    const page_source_t *src = vmem_source(&v);
    static const size_t sizes[] = {1, 4 * KIB, 100 * KIB, VMEM_HUGE_PAGE, 5 * VMEM_HUGE_PAGE};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        errno = 0;
        ck_assert_ptr_null(src->acquire(src->ctx, sizes[i], 1));
        ck_assert_int_eq(errno, ENOMEM);
    }
    vmem_stats_t st = vt_stats(&v);
    ck_assert_uint_eq(st.committed, before.committed);
    ck_assert_uint_eq(st.peak_committed, before.peak_committed);
    ck_assert_uint_eq(st.regions, before.regions);
    ck_assert_uint_eq(st.reserved, before.reserved);
    ck_assert_uint_eq(st.syscalls, vt_os_calls_made());
    ck_assert_uint_eq(vt_os.mapped, mapped); /* a refused region leaves nothing behind */
    VT_VERIFY(a, VMEM_HUGE_PAGE, 1);
    VT_VERIFY(b, VMEM_HUGE_PAGE, 2);
    /* a released page serves a small extent without a map */
    vt_release(&v, b, VMEM_HUGE_PAGE);
    size_t maps = vt_os.map.calls;
    char *c = vt_acquire(&v, 8 * KIB, 1);
    ck_assert_uint_eq(vt_os.map.calls, maps);
    vt_fill(c, 8 * KIB, 3);
    allow_maps();
    char *d = vt_acquire(&v, 5 * VMEM_HUGE_PAGE, 1);
    ck_assert_uint_eq(vt_stats(&v).regions, 2);
    vt_fill(d, 5 * VMEM_HUGE_PAGE, 4);
    VT_VERIFY(a, VMEM_HUGE_PAGE, 1);
    VT_VERIFY(c, 8 * KIB, 3);
    VT_VERIFY(d, 5 * VMEM_HUGE_PAGE, 4);
    vt_release(&v, a, VMEM_HUGE_PAGE);
    vt_release(&v, c, 8 * KIB);
    vt_release(&v, d, 5 * VMEM_HUGE_PAGE);
    ck_assert_uint_eq(vt_stats(&v).committed, 0);
    vmem_destroy(&v);
    ck_assert_uint_eq(vt_os.mapped, 0);
}
END_TEST

/* ---- stages 02, 03 and 04 on top ------------------------------------------------- */

#define MAX_OBJS 20000

typedef struct obj {
    void *p;
    size_t size;
} obj_t;

static obj_t objs[MAX_OBJS];
static size_t n_objs;

static size_t some_size(rng_t *r)
{
    switch (rng_below(r, 8)) {
    case 0:
        return 2000 + rng_below(r, 60000); /* large objects: a block each */
    case 1: case 2:
        return 200 + rng_below(r, 824);
    default:
        return 1 + rng_below(r, 180);
    }
}

static void verify_objs(void)
{
    for (size_t i = 0; i < n_objs; i++)
        VT_VERIFY(objs[i].p, objs[i].size, (uint64_t)(uintptr_t)objs[i].p);
}

/* slabs_alloc() until one fails (it must, within MAX_OBJS); asserts that
 * the failure is clean.  Returns the objects allocated; *failed receives
 * the size that failed. */
static size_t slabs_until_failure(slabs_t *s, rng_t *r, size_t *failed)
{
    size_t made = 0;
    for (;;) {
        ck_assert_uint_lt(n_objs, MAX_OBJS);
        size_t size = some_size(r);
        slabs_stats_t before;
        slabs_stats(s, &before);
        errno = 0;
        void *p = slabs_alloc(s, size);
        if (!p) {
            ck_assert_int_eq(errno, ENOMEM);
            slabs_stats_t after;
            slabs_stats(s, &after);
            ck_assert_uint_eq(after.live_objects, before.live_objects);
            ck_assert_uint_eq(after.bytes_from_source, before.bytes_from_source);
            *failed = size;
            return made;
        }
        vt_fill(p, size, (uint64_t)(uintptr_t)p);
        objs[n_objs++] = (obj_t){p, size};
        made++;
    }
}

/* The slabs hold exactly what vmem says is committed, and are sound. */
static void slabs_agree(const slabs_t *s)
{
    slabs_stats_t st;
    slabs_stats(s, &st);
    ck_assert_uint_eq(slabs_check(s), 0);
    ck_assert_uint_eq(st.live_objects, n_objs);
    ck_assert_uint_eq(st.bytes_from_source, vt_stats(&v).committed);
    verify_objs();
}

START_TEST(slabs_on_a_refused_region_fail_cleanly_and_recover)
{
    rng_t r = {0x05fa17};
    init_small(4, VMEM_RELEASE_DONTNEED);
    slabs_t s;
    slabs_config_t cfg = {.max_size = 1024, .slab_size = 64 * KIB, .source = vmem_source(&v)};
    ck_assert_int_eq(slabs_init(&s, &cfg), 0);
    n_objs = 0;
    refuse_maps();
    size_t failed;
    ck_assert_uint_gt(slabs_until_failure(&s, &r, &failed), 100); /* 8 MiB hold many objects */
    slabs_agree(&s);
    ck_assert_uint_eq(vt_stats(&v).regions, 1);
    /* the same call fails again, and nothing changes */
    errno = 0;
    ck_assert_ptr_null(slabs_alloc(&s, failed));
    ck_assert_int_eq(errno, ENOMEM);
    slabs_agree(&s);
    allow_maps();
    for (size_t i = 0; i < 2000; i++) {
        size_t size = some_size(&r);
        void *p = slabs_alloc(&s, size);
        REQUIRE(p != NULL, "slabs_alloc(%zu) failed after the kernel recovered", size);
        vt_fill(p, size, (uint64_t)(uintptr_t)p);
        objs[n_objs++] = (obj_t){p, size};
    }
    ck_assert_uint_ge(vt_stats(&v).regions, 2);
    slabs_agree(&s);
    for (size_t i = 0; i < n_objs; i++)
        slabs_free(&s, objs[i].p);
    n_objs = 0;
    slabs_destroy(&s);
    ck_assert_uint_eq(vt_stats(&v).committed, 0);
}
END_TEST

static void verify_handles(const arena_t *a, const handle_t *h, const size_t *size, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const void *p = arena_get(a, h[i]);
        REQUIRE(p != NULL, "handle %zu no longer resolves", i);
        REQUIRE(arena_size(a, h[i]) == size[i], "handle %zu changed size", i);
        VT_VERIFY(p, size[i], h[i]);
    }
}

START_TEST(arena_and_map_on_a_refused_region_fail_cleanly_and_recover)
{
    enum { N = 6000 };
    static handle_t h[N];
    static size_t size[N];
    rng_t r = {0xa4e4a};
    init_small(4, VMEM_RELEASE_FREE);
    arena_t a;
    arena_config_t acfg = {.slabs = {.max_size = 1024, .source = vmem_source(&v)}};
    ck_assert_int_eq(arena_init(&a, &acfg), 0);
    amap_t m;
    amap_config_t mcfg = {.key_type = AMAP_I64, .value_type = AMAP_STR};
    ck_assert_int_eq(amap_init(&m, &a, &mcfg), 0);
    refuse_maps();

    /* objects until the arena fails */
    size_t n = 0;
    for (;; n++) {
        ck_assert_uint_lt(n, N);
        size[n] = some_size(&r);
        arena_stats_t before;
        arena_stats(&a, &before);
        errno = 0;
        h[n] = arena_alloc(&a, size[n]);
        if (h[n] == HANDLE_NULL) {
            ck_assert_int_eq(errno, ENOMEM);
            arena_stats_t after;
            arena_stats(&a, &after);
            ck_assert_uint_eq(after.live, before.live);
            break;
        }
        vt_fill(arena_get(&a, h[n]), size[n], h[n]);
    }
    ck_assert_uint_gt(n, 10);
    ck_assert_uint_eq(arena_check(&a), 0);
    verify_handles(&a, h, size, n);

    /* entries until the map fails (memory is short already) */
    char text[64];
    int64_t k = 0;
    for (;; k++) {
        int len = snprintf(text, sizeof text, "value %" PRId64 " of the map", k);
        int rc = amap_put(&m, amap_i64(k), amap_str(text, (size_t)len));
        if (rc < 0) {
            ck_assert_int_eq(rc, -ENOMEM);
            break;
        }
        ck_assert_int_eq(rc, 1);
        ck_assert_int_lt(k, 1000000);
    }
    ck_assert_uint_eq((size_t)k, amap_len(&m));
    ck_assert_uint_eq(amap_check(&m), 0);
    ck_assert_uint_eq(arena_check(&a), 0);
    verify_handles(&a, h, size, n);
    for (int64_t i = 0; i < k; i++) {
        amap_val_t out;
        int len = snprintf(text, sizeof text, "value %" PRId64 " of the map", i);
        REQUIRE(amap_get(&m, amap_i64(i), &out) == 0, "key %" PRId64 " lost", i);
        REQUIRE(out.len == (uint32_t)len && memcmp(out.str, text, (size_t)len) == 0,
                "the value of key %" PRId64 " changed", i);
    }

    /* the kernel recovers: both go on */
    allow_maps();
    int64_t more = k + 5000;
    for (; k < more; k++) {
        int len = snprintf(text, sizeof text, "value %" PRId64 " of the map", k);
        REQUIRE(amap_put(&m, amap_i64(k), amap_str(text, (size_t)len)) == 1,
                "amap_put of key %" PRId64 " failed after the kernel recovered", k);
    }
    handle_t extra = arena_alloc(&a, 3000);
    ck_assert_uint_ne(extra, HANDLE_NULL);
    ck_assert_uint_eq(amap_check(&m), 0);
    ck_assert_uint_eq(arena_check(&a), 0);
    ck_assert_uint_eq(amap_len(&m), (size_t)more);
    verify_handles(&a, h, size, n);
    amap_destroy(&m);
    arena_destroy(&a);
    ck_assert_uint_eq(vt_stats(&v).committed, 0);
}
END_TEST

/* ---- aligned objects when memory runs out ---------------------------------------- */

/* The aligned objects of a script, each with its handle, size and alignment. */
typedef struct aligned_obj {
    handle_t h;
    size_t size, align;
} aligned_obj_t;

static void verify_aligned(const arena_t *a, const aligned_obj_t *o, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *p = arena_get(a, o[i].h);
        REQUIRE(p != NULL, "aligned object %zu no longer resolves", i);
        REQUIRE(((uintptr_t)p & (o[i].align - 1)) == 0, "aligned object %zu lost its alignment", i);
        REQUIRE(arena_size(a, o[i].h) == o[i].size, "aligned object %zu changed size", i);
        VT_VERIFY(p, o[i].size, o[i].h);
    }
}

/* One step of the script failed: the documented error, and nothing lost. */
static void aligned_failure(failing_source_t *fs, const arena_t *a, const aligned_obj_t *o, size_t n,
                            size_t *failures)
{
    ck_assert_uint_eq(arena_check(a), 0);
    verify_aligned(a, o, n);
    failing_source_recover(fs);
    (*failures)++;
}

/* Aligned allocations and resizes of an arena on vmem (through a source
 * that refuses its k-th acquisition after init); returns the calls that met
 * the refusal (0 once k is past the script's last acquisition). */
static size_t aligned_script(long k)
{
    enum { N = 80 };
    aligned_obj_t o[N];
    size_t n = 0, failures = 0;
    failing_source_t fs;
    failing_source_init(&fs, vmem_source(&v));
    arena_t a;
    arena_config_t cfg = {.slabs = {.max_size = 1024, .slab_size = 64 * KIB, .source = &fs.base}};
    ck_assert_int_eq(arena_init(&a, &cfg), 0);
    failing_source_fail_after(&fs, k);
    static const size_t sizes[][2] = {{100, 64},       {5000, 4096},  {40000, 65536}, {200, 256},
                                      {3000, 1024},    {1, 512},      {70000, 1 << 20}};
    for (size_t i = 0; i < N; i++) {
        size_t size = sizes[i % 7][0], align = sizes[i % 7][1];
        errno = 0;
        handle_t h = arena_alloc_aligned(&a, size, align);
        if (h == HANDLE_NULL) {
            ck_assert_int_eq(errno, ENOMEM);
            aligned_failure(&fs, &a, o, n, &failures);
            h = arena_alloc_aligned(&a, size, align);
            ck_assert_uint_ne(h, HANDLE_NULL);
        }
        o[n++] = (aligned_obj_t){h, size, align};
        vt_fill(arena_get(&a, h), size, h);
        if (i % 5 == 4) { /* a resize that keeps the alignment and moves the object */
            aligned_obj_t *x = &o[n / 2];
            size_t to = x->size * 2 + 4096;
            const void *was = arena_get(&a, x->h);
            int rc = arena_resize(&a, x->h, to);
            if (rc != 0) {
                ck_assert_int_eq(rc, -ENOMEM);
                ck_assert_ptr_eq(arena_get(&a, x->h), was);
                aligned_failure(&fs, &a, o, n, &failures);
                ck_assert_int_eq(arena_resize(&a, x->h, to), 0);
            }
            REQUIRE(((uintptr_t)arena_get(&a, x->h) & (x->align - 1)) == 0, "a resize lost the alignment");
            x->size = to;
            vt_fill(arena_get(&a, x->h), to, x->h);
        }
        if (i % 7 == 6) { /* a release: its slot comes back for a later object */
            ck_assert_int_eq(arena_release(&a, o[0].h), 0);
            o[0] = o[--n];
        }
    }
    ck_assert_uint_eq(arena_check(&a), 0);
    verify_aligned(&a, o, n);
    arena_destroy(&a);
    ck_assert_uint_eq(fs.live_bytes, 0);
    return failures;
}

START_TEST(aligned_objects_fail_cleanly_at_every_acquisition)
{
    vt_init(&v, vt_config(VMEM_HUGE_AUTO, VMEM_RELEASE_DONTNEED));
    size_t met = 0;
    long k = 0;
    for (; k < 2000; k++) {
        size_t f = aligned_script(k);
        if (f == 0)
            break;
        met += f;
    }
    ck_assert_int_lt(k, 2000);  /* the script ran through without a refusal */
    ck_assert_uint_ge(met, 10); /* and the refusals met allocations and resizes */
    ck_assert_uint_eq(vt_stats(&v).committed, 0);
}
END_TEST

START_TEST(aligned_objects_under_a_cap_trim_and_retry)
{
    vt_init(&v, vt_config(VMEM_HUGE_AUTO, VMEM_RELEASE_DONTNEED));
    arena_t a;
    arena_config_t cfg = {.slabs = {.max_size = 1024, .max_bytes = 512 * KIB, .source = vmem_source(&v)}};
    ck_assert_int_eq(arena_init(&a, &cfg), 0);
    /* small objects up to the cap, then all released: their slabs stay, empty */
    enum { N = 8000 };
    static handle_t h[N];
    size_t n = 0;
    while (n < N && (h[n] = arena_alloc(&a, 200)) != HANDLE_NULL)
        n++;
    ck_assert_uint_lt(n, N);
    ck_assert_int_eq(errno, ENOMEM);
    for (size_t i = 0; i < n; i++)
        ck_assert_int_eq(arena_release(&a, h[i]), 0);
    /* an aligned large object fits only once the empty slabs go back */
    handle_t big = arena_alloc_aligned(&a, 200 * KIB, 64 * KIB);
    ck_assert_uint_ne(big, HANDLE_NULL);
    ck_assert_uint_eq((uintptr_t)arena_get(&a, big) % (64 * KIB), 0);
    vt_fill(arena_get(&a, big), 200 * KIB, big);
    /* more than the cap: ENOMEM, the object untouched */
    errno = 0;
    ck_assert_uint_eq(arena_alloc_aligned(&a, 400 * KIB, 4096), HANDLE_NULL);
    ck_assert_int_eq(errno, ENOMEM);
    ck_assert_int_eq(arena_resize(&a, big, 600 * KIB), -ENOMEM);
    VT_VERIFY(arena_get(&a, big), 200 * KIB, big);
    ck_assert_uint_eq(arena_check(&a), 0);
    arena_destroy(&a);
}
END_TEST

START_TEST(aligned_objects_without_a_slot_or_with_bad_arguments)
{
    vt_init(&v, vt_config(VMEM_HUGE_AUTO, VMEM_RELEASE_DONTNEED));
    arena_t a;
    arena_config_t cfg = {.slabs = {.max_size = 1024, .source = vmem_source(&v)}, .max_handles = 2};
    ck_assert_int_eq(arena_init(&a, &cfg), 0);
    handle_t x = arena_alloc_aligned(&a, 100, 4096), y = arena_alloc_aligned(&a, 100, 4096);
    ck_assert_uint_ne(x, HANDLE_NULL);
    ck_assert_uint_ne(y, HANDLE_NULL);
    errno = 0;
    ck_assert_uint_eq(arena_alloc_aligned(&a, 100, 4096), HANDLE_NULL);
    ck_assert_int_eq(errno, ENOSPC);
    errno = 0;
    ck_assert_uint_eq(arena_alloc_placed(&a, 100, 64, NULL), HANDLE_NULL);
    ck_assert_int_eq(errno, EINVAL);
    ck_assert_int_eq(arena_release(&a, x), 0);
    errno = 0; /* one placing function per arena */
    ck_assert_uint_eq(arena_alloc_placed(&a, 100, 64, slabs_alloc_large_aligned), HANDLE_NULL);
    ck_assert_int_eq(errno, EINVAL);
    ck_assert_uint_eq(arena_check(&a), 0);
    arena_destroy(&a);

    slabs_t s;
    slabs_config_t scfg = {.source = vmem_source(&v)};
    ck_assert_int_eq(slabs_init(&s, &scfg), 0);
    static const size_t bad[][2] = {{0, 64}, {10, 0}, {10, 48}, {10, SLABS_MAX_SLAB_SIZE * 2}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        errno = 0;
        ck_assert_ptr_null(slabs_alloc_large_aligned(&s, bad[i][0], bad[i][1]));
        ck_assert_int_eq(errno, EINVAL);
    }
    errno = 0;
    ck_assert_ptr_null(slabs_alloc_large_aligned(NULL, 10, 64));
    ck_assert_int_eq(errno, EINVAL);
    slabs_stats_t st;
    slabs_stats(&s, &st);
    ck_assert_uint_eq(st.live_objects, 0);
    slabs_destroy(&s);
}
END_TEST

/* ---- advice refused ---------------------------------------------------------------- */

START_TEST(a_refused_release_advice_loses_nothing)
{
    enum { RUNS = 8, SMALL = 40 };
    init_small(32, VMEM_RELEASE_DONTNEED);
    vt_os.advise.fail_at = vt_os.advise.calls + 1;
    vt_os.fail_advice = MADV_DONTNEED;
    /* small extents that stay live throughout, and runs that come and go */
    char *small[SMALL];
    for (size_t i = 0; i < SMALL; i++) {
        small[i] = vt_acquire(&v, 12 * KIB, 1);
        vt_fill(small[i], 12 * KIB, i);
    }
    char *run[RUNS];
    for (size_t i = 0; i < RUNS; i++) {
        run[i] = vt_acquire(&v, VMEM_HUGE_PAGE, 1);
        vt_fill(run[i], VMEM_HUGE_PAGE, 100 + i);
    }
    vmem_residency_t touched = vt_residency(&v);
    for (size_t i = 0; i < RUNS; i++)
        vt_release(&v, run[i], VMEM_HUGE_PAGE);
    vmem_stats_t st = vt_stats(&v);
    ck_assert_uint_gt(vt_os.dontneed, 0);           /* vmem tried to give pages back */
    ck_assert_uint_eq(vt_os.advise.failures, vt_os.dontneed);
    ck_assert_uint_eq(st.released, 0);              /* and counted nothing it could not */
    ck_assert_uint_eq(st.committed, SMALL * 12 * KIB);
    ck_assert_uint_eq(st.syscalls, vt_os_calls_made());
    /* the pages it could not give back are still resident */
    vmem_residency_t now = vt_residency(&v);
    ck_assert_uint_ge(now.rss + VMEM_HUGE_PAGE, touched.rss);
    for (size_t i = 0; i < SMALL; i++)
        VT_VERIFY(small[i], 12 * KIB, i);
    /* and are used again */
    for (size_t i = 0; i < RUNS; i++) {
        run[i] = vt_acquire(&v, VMEM_HUGE_PAGE, 1);
        vt_fill(run[i], VMEM_HUGE_PAGE, 200 + i);
    }
    ck_assert_uint_eq(vt_stats(&v).regions, 1);
    /* the kernel takes advice again: what goes back now is counted */
    vt_os.advise.fail_at = 0;
    for (size_t i = 0; i < RUNS; i++) {
        VT_VERIFY(run[i], VMEM_HUGE_PAGE, 200 + i);
        vt_release(&v, run[i], VMEM_HUGE_PAGE);
    }
    st = vt_stats(&v);
    ck_assert_uint_gt(st.released, 0);
    ck_assert_uint_eq(st.released, vt_os.given_back);
    for (size_t i = 0; i < SMALL; i++) {
        VT_VERIFY(small[i], 12 * KIB, i);
        vt_release(&v, small[i], 12 * KIB);
    }
    ck_assert_uint_eq(vt_stats(&v).committed, 0);
}
END_TEST

/* True when the kernel offers THP (enabled = always or madvise). */
static bool kernel_has_thp(void)
{
    char enabled[32];
    vt_thp_setting("enabled", enabled, sizeof enabled);
    return enabled[0] != '\0' && strcmp(enabled, "never") != 0;
}

START_TEST(a_refused_hugepage_advice_falls_back_with_auto)
{
    vmem_config_t cfg = vt_config_counted(VMEM_HUGE_AUTO, VMEM_RELEASE_DONTNEED);
    vt_os.advise.fail_at = 1;
    vt_os.fail_advice = MADV_HUGEPAGE;
    vt_init(&v, cfg);
    if (kernel_has_thp())
        ck_assert_uint_eq(vt_os.advise.failures, 1); /* the region was advised, refused, kept */
    else
        ck_assert_uint_eq(vt_os.hugepage, 0);
    char *p = vt_acquire(&v, 3 * VMEM_HUGE_PAGE, 1);
    char *q = vt_acquire(&v, VT_RESERVE + VMEM_HUGE_PAGE, 1); /* a region of its own */
    vt_fill(p, 3 * VMEM_HUGE_PAGE, 1);
    vt_fill(q, VMEM_HUGE_PAGE, 2);
    ck_assert_uint_eq(vt_stats(&v).regions, 2);
    VT_VERIFY(p, 3 * VMEM_HUGE_PAGE, 1);
    VT_VERIFY(q, VMEM_HUGE_PAGE, 2);
    vt_release(&v, p, 3 * VMEM_HUGE_PAGE);
    vt_release(&v, q, VT_RESERVE + VMEM_HUGE_PAGE);
}
END_TEST

START_TEST(a_refused_hugepage_advice_fails_thp_required)
{
    if (!kernel_has_thp()) {
        vmem_config_t cfg = vt_config_counted(VMEM_HUGE_THP, VMEM_RELEASE_DONTNEED);
        ck_assert_int_eq(vmem_init(&v, &cfg), -EOPNOTSUPP);
        fprintf(stderr, "a_refused_hugepage_advice_fails_thp_required: no THP in this kernel: "
                        "only the -EOPNOTSUPP of init checked\n");
        return;
    }
    /* at init: the region is undone */
    vmem_config_t cfg = vt_config_counted(VMEM_HUGE_THP, VMEM_RELEASE_DONTNEED);
    vt_os.advise.fail_at = 1;
    vt_os.fail_advice = MADV_HUGEPAGE;
    memset(&v, 0x5A, sizeof v);
    ck_assert_int_eq(vmem_init(&v, &cfg), -EOPNOTSUPP);
    ck_assert(all_zero(&v, sizeof v));
    ck_assert_uint_eq(vt_os.mapped, 0);
    ck_assert_uint_eq(vt_os.hugepage, 1); /* no smaller retry: it is not a matter of size */

    /* later: that acquisition fails, the others go on */
    cfg = vt_config_counted(VMEM_HUGE_THP, VMEM_RELEASE_DONTNEED);
    vt_init(&v, cfg);
    char *p = vt_acquire(&v, 64 * KIB, 1);
    vt_fill(p, 64 * KIB, 7);
    size_t mapped = vt_os.mapped;
    vt_os.advise.fail_at = vt_os.advise.calls + 1;
    vt_os.fail_advice = MADV_HUGEPAGE;
    const page_source_t *src = vmem_source(&v);
    errno = 0;
    ck_assert_ptr_null(src->acquire(src->ctx, VT_RESERVE + VMEM_HUGE_PAGE, 1));
    ck_assert_int_eq(errno, ENOMEM);
    ck_assert_uint_eq(vt_os.mapped, mapped);
    ck_assert_uint_eq(vt_stats(&v).regions, 1);
    char *q = vt_acquire(&v, 64 * KIB, 1); /* room in the region: no advice needed */
    vt_os.advise.fail_at = 0;
    char *big = vt_acquire(&v, VT_RESERVE + VMEM_HUGE_PAGE, 1);
    ck_assert_uint_eq(vt_stats(&v).regions, 2);
    VT_VERIFY(p, 64 * KIB, 7);
    vt_release(&v, p, 64 * KIB);
    vt_release(&v, q, 64 * KIB);
    vt_release(&v, big, VT_RESERVE + VMEM_HUGE_PAGE);
}
END_TEST

/* ---- max_bytes ---------------------------------------------------------------------- */

START_TEST(max_bytes_is_met_exactly)
{
    static const size_t caps[] = {1, 4 * KIB, 5000, VMEM_SMALL_MAX + 1, 3 * VMEM_HUGE_PAGE + 5};
    for (size_t i = 0; i < sizeof caps / sizeof caps[0]; i++) {
        size_t cap = caps[i];
        vmem_config_t cfg = vt_config_counted(VMEM_HUGE_AUTO, VMEM_RELEASE_DONTNEED);
        cfg.max_bytes = cap;
        vt_init(&v, cfg);
        const page_source_t *src = vmem_source(&v);
        size_t calls = vt_os_calls_made();
        errno = 0;
        ck_assert_ptr_null(src->acquire(src->ctx, cap + 1, 1));
        ck_assert_int_eq(errno, ENOMEM);
        ck_assert_uint_eq(vt_os_calls_made(), calls); /* refused before any work */
        char *p = vt_acquire(&v, cap, 1);               /* exactly the cap fits */
        vt_fill(p, cap, cap);
        errno = 0;
        ck_assert_ptr_null(src->acquire(src->ctx, 1, 1));
        ck_assert_int_eq(errno, ENOMEM);
        ck_assert_uint_eq(vt_stats(&v).committed, cap);
        VT_VERIFY(p, cap, cap);
        vt_release(&v, p, cap);
        if (cap > 1) { /* two parts that add up to the cap */
            size_t a = cap / 3, b = cap - a;
            char *x = vt_acquire(&v, a, 1);
            errno = 0;
            ck_assert_ptr_null(src->acquire(src->ctx, b + 1, 1));
            ck_assert_int_eq(errno, ENOMEM);
            char *y = vt_acquire(&v, b, 1);
            ck_assert_uint_eq(vt_stats(&v).committed, cap);
            ck_assert_uint_eq(vt_stats(&v).peak_committed, cap);
            vt_release(&v, x, a);
            vt_release(&v, y, b);
        }
        ck_assert_uint_eq(vt_stats(&v).committed, 0);
        vmem_destroy(&v);
        ck_assert_uint_eq(vt_os.mapped, 0);
    }
}
END_TEST

START_TEST(max_bytes_under_slabs_fails_cleanly_and_recovers_after_frees)
{
    rng_t r = {0xca9};
    const size_t cap = VMEM_HUGE_PAGE / 2 + 12345;
    vmem_config_t vcfg = vt_config_counted(VMEM_HUGE_AUTO, VMEM_RELEASE_DONTNEED);
    vcfg.max_bytes = cap;
    vt_init(&v, vcfg);
    slabs_t s;
    slabs_config_t cfg = {.max_size = 1024, .source = vmem_source(&v), .flags = SLABS_CHECKED};
    ck_assert_int_eq(slabs_init(&s, &cfg), 0);
    n_objs = 0;
    size_t failed;
    ck_assert_uint_gt(slabs_until_failure(&s, &r, &failed), 50);
    ck_assert_uint_le(vt_stats(&v).committed, cap);
    ck_assert_uint_eq(vt_stats(&v).regions, 1); /* the cap, not the kernel, said no */
    slabs_agree(&s);
    /* free most objects, trim, and it serves again */
    size_t kept = 0;
    for (size_t i = 0; i < n_objs; i++)
        if (i % 4 == 0)
            objs[kept++] = objs[i];
        else
            slabs_free(&s, objs[i].p);
    n_objs = kept;
    slabs_trim(&s, 0);
    slabs_agree(&s);
    for (size_t i = 0; i < 20; i++) {
        size_t size = some_size(&r);
        void *p = slabs_alloc(&s, size);
        REQUIRE(p != NULL, "slabs_alloc(%zu) failed after frees below the cap", size);
        vt_fill(p, size, (uint64_t)(uintptr_t)p);
        objs[n_objs++] = (obj_t){p, size};
    }
    slabs_agree(&s);
    for (size_t i = 0; i < n_objs; i++)
        slabs_free(&s, objs[i].p);
    n_objs = 0;
    slabs_destroy(&s);
    ck_assert_uint_eq(vt_stats(&v).committed, 0);
}
END_TEST

START_TEST(max_bytes_under_an_arena_fails_cleanly_and_recovers_after_releases)
{
    enum { N = 8000 };
    static handle_t h[N];
    static size_t size[N];
    rng_t r = {0xa7e};
    vmem_config_t vcfg = vt_config_counted(VMEM_HUGE_AUTO, VMEM_RELEASE_KEEP);
    vcfg.max_bytes = VMEM_HUGE_PAGE + 777;
    vt_init(&v, vcfg);
    arena_t a;
    arena_config_t acfg = {.slabs = {.max_size = 1024, .source = vmem_source(&v)}};
    ck_assert_int_eq(arena_init(&a, &acfg), 0);
    size_t n = 0;
    for (;; n++) {
        ck_assert_uint_lt(n, N);
        size[n] = some_size(&r);
        errno = 0;
        h[n] = arena_alloc(&a, size[n]);
        if (h[n] == HANDLE_NULL) {
            ck_assert_int_eq(errno, ENOMEM);
            break;
        }
        vt_fill(arena_get(&a, h[n]), size[n], h[n]);
    }
    ck_assert_uint_gt(n, 50);
    ck_assert_uint_le(vt_stats(&v).committed, vcfg.max_bytes);
    ck_assert_uint_eq(arena_check(&a), 0);
    verify_handles(&a, h, size, n);
    /* release the large objects (a block each) and every other small one */
    size_t kept = 0;
    for (size_t i = 0; i < n; i++)
        if (size[i] < 2000 && i % 2 == 0) {
            h[kept] = h[i];
            size[kept++] = size[i];
        } else {
            ck_assert_int_eq(arena_release(&a, h[i]), 0);
        }
    n = kept;
    ck_assert_uint_eq(arena_check(&a), 0);
    verify_handles(&a, h, size, n);
    handle_t big = arena_alloc(&a, 30000);
    ck_assert_uint_ne(big, HANDLE_NULL);
    vt_fill(arena_get(&a, big), 30000, big);
    VT_VERIFY(arena_get(&a, big), 30000, big);
    verify_handles(&a, h, size, n);
    arena_destroy(&a);
    ck_assert_uint_eq(vt_stats(&v).committed, 0);
}
END_TEST

/* ---- a kernel that refuses big reservations ------------------------------------------ */

static size_t map_limit; /* limited_map() refuses lengths above it */

static void *limited_map(size_t len, int prot)
{
    if (len > map_limit) {
        vt_os.map.calls++;
        vt_os.map.failures++;
        return NULL;
    }
    return vt_map(len, prot);
}

static const vmem_os_t limited_os = {.map = limited_map, .unmap = vt_unmap, .advise = vt_advise};

START_TEST(a_refused_big_reservation_falls_back_to_a_smaller_one)
{
    vt_os_reset();
    map_limit = 100 * VT_MIB; /* as if overcommit_memory = 2 allowed only this */
    vmem_config_t cfg = {.os = &limited_os}; /* the default 1 GiB */
    vt_init(&v, cfg);
    vmem_stats_t st = vt_stats(&v);
    /* 1 GiB, 512, 256, 128 MiB refused (each with 2 MiB of alignment slack); 64 MiB fits */
    ck_assert_uint_eq(st.reserved, 64 * VT_MIB);
    ck_assert_uint_eq(v.reserve, 64 * VT_MIB);
    ck_assert_uint_eq(vt_os.map.failures, 4);
    /* later regions take the smaller size too; a run of its own may be bigger */
    char *p = vt_acquire(&v, 40 * VT_MIB, 1), *q = vt_acquire(&v, 40 * VT_MIB, 1);
    char *r = vt_acquire(&v, 80 * VT_MIB, 1);
    ck_assert_uint_eq(vt_stats(&v).regions, 3);
    ck_assert_uint_eq(vt_stats(&v).reserved, 64 * VT_MIB * 2 + 80 * VT_MIB);
    const page_source_t *src = vmem_source(&v);
    errno = 0;
    ck_assert_ptr_null(src->acquire(src->ctx, 120 * VT_MIB, 1)); /* no region can hold it */
    ck_assert_int_eq(errno, ENOMEM);
    vt_release(&v, p, 40 * VT_MIB);
    vt_release(&v, q, 40 * VT_MIB);
    vt_release(&v, r, 80 * VT_MIB);
    vmem_destroy(&v);
    ck_assert_uint_eq(vt_os.mapped, 0);

    /* nothing at all: -ENOMEM after trying down to one 2 MiB page */
    vt_os_reset();
    map_limit = VMEM_HUGE_PAGE;
    ck_assert_int_eq(vmem_init(&v, &cfg), -ENOMEM);
    ck_assert(all_zero(&v, sizeof v));
    ck_assert_uint_eq(vt_os.mapped, 0);
}
END_TEST

START_TEST(a_reserve_of_size_max_is_clamped_then_halved)
{
    vt_os_reset();
    map_limit = 100 * VT_MIB;
    vmem_config_t cfg = {.reserve = SIZE_MAX, .os = &limited_os};
    vt_init(&v, cfg);
    ck_assert_uint_eq(vt_stats(&v).reserved, 64 * VT_MIB);
    /* from SIZE_MAX / 2 rounded to 2 MiB (2^63) down to 2^26: 37 refusals */
    ck_assert_uint_eq(vt_os.map.failures, 37);
    vmem_destroy(&v);
    ck_assert_uint_eq(vt_os.mapped, 0);
}
END_TEST

/* A map that grants lengths of 2^40 bytes or more without mapping anything
 * (a token address, never touched), to reach what vmem does with lengths
 * no kernel grants; its unmap forgets the token. */
static char token[VMEM_BASE_PAGE] __attribute__((aligned(4096)));

static void *generous_map(size_t len, int prot)
{
    if (len >= ((size_t)1 << 40)) {
        vt_os.map.calls++;
        return token;
    }
    return vt_map(len, prot);
}

static int generous_unmap(void *addr, size_t len)
{
    if (addr == token) {
        vt_os.unmap.calls++;
        return 0;
    }
    return vt_unmap(addr, len);
}

static const vmem_os_t generous_os = {.map = generous_map, .unmap = generous_unmap, .advise = vt_advise};

START_TEST(an_extent_too_big_to_align_fails_cleanly)
{
    vmem_config_t cfg = vt_config_counted(VMEM_HUGE_AUTO, VMEM_RELEASE_DONTNEED);
    cfg.os = &generous_os;
    vt_init(&v, cfg);
    size_t mapped = vt_os.mapped, unmaps = vt_os.unmap.calls;
    const page_source_t *src = vmem_source(&v);
    /* 2^63 bytes of pages aligned to 2^63: the descriptors are granted,
     * the region's length plus its alignment overflows */
    errno = 0;
    ck_assert_ptr_null(src->acquire(src->ctx, PTRDIFF_MAX, (size_t)1 << 63));
    ck_assert_int_eq(errno, ENOMEM);
    ck_assert_uint_eq(vt_os.unmap.calls, unmaps + 1); /* the descriptors given back */
    /* bigger than PTRDIFF_MAX: refused before any call */
    size_t calls = vt_os_calls_made();
    errno = 0;
    ck_assert_ptr_null(src->acquire(src->ctx, (size_t)PTRDIFF_MAX + 1, 1));
    ck_assert_int_eq(errno, ENOMEM);
    ck_assert_uint_eq(vt_os_calls_made(), calls);
    vmem_stats_t st = vt_stats(&v);
    ck_assert_uint_eq(st.committed, 0);
    ck_assert_uint_eq(st.regions, 1);
    ck_assert_uint_eq(vt_os.mapped, mapped);
    char *p = vt_acquire(&v, 4 * KIB, 1); /* and it still works */
    vt_fill(p, 4 * KIB, 9);
    vt_release(&v, p, 4 * KIB);
}
END_TEST

START_TEST(thp_mode_reads_what_sys_says)
{
    char enabled[32], defrag[32];
    vt_thp_setting("enabled", enabled, sizeof enabled);
    vt_thp_setting("defrag", defrag, sizeof defrag);
    int expected = enabled[0] == '\0' ? -1 : strcmp(enabled, "never") != 0;
    for (int start = 0; start < 2; start++) {
        bool defrag_never = start;
        ck_assert_int_eq(vmem_thp_mode(&defrag_never), expected);
        ck_assert(defrag_never == (strcmp(defrag, "never") == 0));
    }
    ck_assert_int_eq(vmem_thp_mode(NULL), expected);
}
END_TEST

START_TEST(residency_is_an_error_when_smaps_cannot_be_read)
{
    vt_init(&v, vt_config(VMEM_HUGE_AUTO, VMEM_RELEASE_DONTNEED));
    vmem_residency_t r;
    ck_assert_int_eq(vmem_residency(NULL, &r), -EINVAL);
    ck_assert_int_eq(vmem_residency(&v, NULL), -EINVAL);
    if (tq_under_valgrind()) { /* Valgrind keeps file descriptors of its own above the limit */
        fprintf(stderr, "residency_is_an_error_when_smaps_cannot_be_read: the RLIMIT_NOFILE part "
                        "is skipped under Valgrind\n");
        return;
    }
    /* in a child without a free file descriptor: /proc/self/smaps cannot be opened */
    fflush(NULL);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        struct rlimit was, none;
        if (getrlimit(RLIMIT_NOFILE, &was) != 0)
            _exit(2);
        none = (struct rlimit){0, was.rlim_max};
        if (setrlimit(RLIMIT_NOFILE, &none) != 0)
            _exit(2);
        vmem_residency_t cr = {.rss = 12345};
        int rc = vmem_residency(&v, &cr);
        /* the limit back, so that exit() can write what it must (coverage counters) */
        if (setrlimit(RLIMIT_NOFILE, &was) != 0)
            _exit(2);
        exit(rc == -EMFILE && cr.rss == 12345 ? 0 : 1);
    }
    int ws;
    ck_assert_int_eq(waitpid(pid, &ws, 0), pid);
    ck_assert_msg(WIFEXITED(ws) && WEXITSTATUS(ws) == 0,
                  "vmem_residency without a file descriptor did not return -EMFILE (child status %d)", ws);
}
END_TEST

/* Bytes of address space the process has now (VmSize of /proc/self/status),
 * or 0 if unknown. */
static size_t address_space_now(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return 0;
    char line[256];
    size_t kb = 0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmSize: %zu kB", &kb) == 1)
            break;
    fclose(f);
    return kb * KIB;
}

enum { CHILD_SMALLER = 10, CHILD_ENOMEM, CHILD_FULL, CHILD_OTHER, CHILD_NO_EXTENT };

/* In a child: RLIMIT_AS at `room` bytes above what the process has, then
 * vmem_init() with the default 1 GiB; the exit status says what happened. */
static int child_under_rlimit(size_t room)
{
    size_t now = address_space_now();
    if (now == 0)
        return CHILD_OTHER;
    struct rlimit rl = {.rlim_cur = now + room, .rlim_max = now + room};
    if (setrlimit(RLIMIT_AS, &rl) != 0)
        return CHILD_OTHER;
    vmem_t cv;
    int rc = vmem_init(&cv, &(vmem_config_t){0});
    if (rc == -ENOMEM)
        return all_zero(&cv, sizeof cv) ? CHILD_ENOMEM : CHILD_OTHER;
    if (rc != 0)
        return CHILD_OTHER;
    vmem_stats_t st;
    vmem_stats(&cv, &st);
    int status = st.reserved < VMEM_DEFAULT_RESERVE ? CHILD_SMALLER : CHILD_FULL;
    const page_source_t *src = vmem_source(&cv);
    char *p = src->acquire(src->ctx, 64 * KIB, 1);
    if (!p)
        return CHILD_NO_EXTENT;
    memset(p, 0x5C, 64 * KIB);
    src->release(src->ctx, p, 64 * KIB);
    vmem_destroy(&cv);
    return status;
}

/* Forks a child_under_rlimit(room); its exit status, or -1 if it did not exit. */
static int run_child(size_t room)
{
    fflush(NULL);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0)
        _exit(child_under_rlimit(room));
    int ws;
    ck_assert_int_eq(waitpid(pid, &ws, 0), pid);
    ck_assert_msg(WIFEXITED(ws), "the child under RLIMIT_AS did not exit (signal %d)",
                  WIFSIGNALED(ws) ? WTERMSIG(ws) : 0);
    return WEXITSTATUS(ws);
}

START_TEST(a_small_rlimit_as_gives_a_smaller_reservation_or_enomem)
{
    /* room for 256 MiB: 1 GiB and 512 MiB are refused, a smaller one fits */
    int st = run_child(256 * VT_MIB);
    ck_assert_msg(st == CHILD_SMALLER, "RLIMIT_AS of 256 MiB more: child status %d, expected %d "
                  "(a reservation below 1 GiB)", st, CHILD_SMALLER);
    /* almost no room: a tiny reservation or -ENOMEM, never a crash */
    st = run_child(1 * VT_MIB);
    ck_assert_msg(st == CHILD_SMALLER || st == CHILD_ENOMEM,
                  "RLIMIT_AS of 1 MiB more: child status %d, expected %d or %d", st, CHILD_SMALLER,
                  CHILD_ENOMEM);
}
END_TEST

Suite *vmem_faults_suite(void)
{
    Suite *s = suite_create("vmem-faults");
    TCase *tc = tcase_create("core");
    tcase_set_tags(tc, "core");
    tcase_set_timeout(tc, 120);
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_add_test(tc, init_with_every_map_refused_is_enomem_and_maps_nothing);
    tcase_add_test(tc, init_with_one_map_refused_takes_half_the_reservation);
    tcase_add_test(tc, a_refused_region_fails_only_that_acquisition);
    tcase_add_test(tc, slabs_on_a_refused_region_fail_cleanly_and_recover);
    tcase_add_test(tc, arena_and_map_on_a_refused_region_fail_cleanly_and_recover);
    tcase_add_test(tc, aligned_objects_fail_cleanly_at_every_acquisition);
    tcase_add_test(tc, aligned_objects_under_a_cap_trim_and_retry);
    tcase_add_test(tc, aligned_objects_without_a_slot_or_with_bad_arguments);
    tcase_add_test(tc, a_refused_release_advice_loses_nothing);
    tcase_add_test(tc, a_refused_hugepage_advice_falls_back_with_auto);
    tcase_add_test(tc, a_refused_hugepage_advice_fails_thp_required);
    tcase_add_test(tc, max_bytes_under_slabs_fails_cleanly_and_recovers_after_frees);
    tcase_add_test(tc, max_bytes_under_an_arena_fails_cleanly_and_recovers_after_releases);
    suite_add_tcase(s, tc);
    TCase *edge = tcase_create("edge");
    tcase_set_tags(edge, "edge");
    tcase_set_timeout(edge, 120);
    tcase_add_checked_fixture(edge, NULL, teardown);
    tcase_add_test(edge, max_bytes_is_met_exactly);
    tcase_add_test(edge, a_refused_big_reservation_falls_back_to_a_smaller_one);
    tcase_add_test(edge, a_reserve_of_size_max_is_clamped_then_halved);
    tcase_add_test(edge, an_extent_too_big_to_align_fails_cleanly);
    tcase_add_test(edge, thp_mode_reads_what_sys_says);
    tcase_add_test(edge, residency_is_an_error_when_smaps_cannot_be_read);
    tcase_add_test(edge, a_small_rlimit_as_gives_a_smaller_reservation_or_enomem);
    suite_add_tcase(s, edge);
    return s;
}

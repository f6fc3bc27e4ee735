/*
 * test_core.c - stage 03's ordinary use: objects under handles (alloc, get,
 * size, resize), references, the counters, the leak report, reset and
 * destroy.  Every object is stamped from its handle (arena_test.h), so an
 * object reached through the wrong handle, or moved without its bytes,
 * shows.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <unistd.h>

#include "arena_test.h"

static void setup_zero(void)
{
    at_init((arena_config_t){.flags = ARENA_ZERO});
}

/* ---- alloc, get, size ---------------------------------------------------------- */

START_TEST(alloc_gives_distinct_live_objects)
{
    enum { N = 300 };
    handle_t h[N];
    for (size_t k = 0; k < N; k++) {
        h[k] = at_alloc_filled(&at_a, 1 + k * 7);
        ck_assert_uint_ne(h[k], HANDLE_NULL);
        ck_assert_uint_eq(arena_size(&at_a, h[k]), 1 + k * 7);
        ck_assert_uint_eq(arena_refcount(&at_a, h[k]), 1);
        for (size_t j = 0; j < k; j++)
            ck_assert_uint_ne(h[j], h[k]);
    }
    for (size_t k = 0; k < N; k++)
        at_verify(&at_a, h[k]);
    arena_stats_t st = at_stats(&at_a);
    ck_assert_uint_eq(st.live, N);
    ck_assert_uint_eq(st.slots, N);
    ck_assert_uint_eq(st.free_slots, 0);
    ck_assert_uint_eq(arena_check(&at_a), 0);
    for (size_t k = 0; k < N; k++)
        ck_assert_int_eq(arena_release(&at_a, h[k]), 0);
}
END_TEST

START_TEST(freed_object_is_stale_and_slot_is_reused)
{
    handle_t keep = at_alloc_filled(&at_a, 40);
    handle_t h = at_alloc_filled(&at_a, 40);
    ck_assert_int_eq(arena_release(&at_a, h), 0);
    at_expect_stale(&at_a, h);
    handle_t g = at_alloc_filled(&at_a, 40);
    /* the free slot is reused, under the next generation */
    ck_assert_uint_eq(g & at_a.index_mask, h & at_a.index_mask);
    ck_assert_uint_eq(g >> at_a.index_bits, (h >> at_a.index_bits) + 1);
    ck_assert_ptr_null(arena_get(&at_a, h));
    at_verify(&at_a, g);
    at_verify(&at_a, keep);
    ck_assert_int_eq(arena_release(&at_a, g), 0);
    ck_assert_int_eq(arena_release(&at_a, keep), 0);
}
END_TEST

START_TEST(free_slots_are_reused_last_freed_first)
{
    handle_t h[4];
    for (int k = 0; k < 4; k++)
        h[k] = at_alloc_filled(&at_a, 8);
    ck_assert_int_eq(arena_release(&at_a, h[1]), 0);
    ck_assert_int_eq(arena_release(&at_a, h[3]), 0);
    ck_assert_int_eq(arena_release(&at_a, h[2]), 0);
    uint32_t m = at_a.index_mask;
    handle_t a = arena_alloc(&at_a, 8), b = arena_alloc(&at_a, 8), c = arena_alloc(&at_a, 8);
    ck_assert_uint_eq(a & m, h[2] & m);
    ck_assert_uint_eq(b & m, h[3] & m);
    ck_assert_uint_eq(c & m, h[1] & m);
    ck_assert_uint_eq(at_stats(&at_a).free_slots, 0);
    handle_t all[] = {h[0], a, b, c};
    for (int k = 0; k < 4; k++)
        ck_assert_int_eq(arena_release(&at_a, all[k]), 0);
}
END_TEST

START_TEST(large_object_is_a_handle_too)
{
    handle_t h = at_alloc_filled(&at_a, 200000);
    ck_assert_uint_eq(arena_size(&at_a, h), 200000);
    at_verify(&at_a, h);
    ck_assert_int_eq(arena_release(&at_a, h), 0);
    at_expect_stale(&at_a, h);
}
END_TEST

/* ---- resize ---------------------------------------------------------------------- */

START_TEST(resize_keeps_content_and_handle)
{
    handle_t h = arena_alloc(&at_a, 24);
    unsigned char *p = arena_get(&at_a, h);
    for (int k = 0; k < 24; k++)
        p[k] = (unsigned char)(k * 3 + 1);
    /* growing past its class (and past every class) moves the object */
    static const size_t sizes[] = {5000, 100000, 30, 24};
    for (size_t n = 0; n < sizeof sizes / sizeof sizes[0]; n++) {
        void *before = arena_get(&at_a, h);
        ck_assert_int_eq(arena_resize(&at_a, h, sizes[n]), 0);
        unsigned char *q = arena_get(&at_a, h);
        ck_assert_ptr_nonnull(q);
        if (n < 2)
            ck_assert_ptr_ne(q, before);
        ck_assert_uint_eq(arena_size(&at_a, h), sizes[n]);
        ck_assert_uint_eq(arena_refcount(&at_a, h), 1);
        for (int k = 0; k < 24; k++)
            ck_assert_uint_eq(q[k], (unsigned char)(k * 3 + 1));
        ck_assert_uint_eq(arena_check(&at_a), 0);
    }
    ck_assert_int_eq(arena_release(&at_a, h), 0);
}
END_TEST

START_TEST(resize_among_neighbours_damages_none)
{
    enum { N = 64 };
    handle_t h[N];
    for (size_t k = 0; k < N; k++)
        h[k] = at_alloc_filled(&at_a, 16 + k);
    for (size_t k = 0; k < N; k += 2) {
        ck_assert_int_eq(arena_resize(&at_a, h[k], 700 + k * 13), 0);
        at_fill(&at_a, h[k]);
    }
    for (size_t k = 0; k < N; k++) {
        at_verify(&at_a, h[k]);
        ck_assert_uint_eq(arena_size(&at_a, h[k]), k % 2 ? 16 + k : 700 + k * 13);
    }
    for (size_t k = 0; k < N; k++)
        ck_assert_int_eq(arena_release(&at_a, h[k]), 0);
}
END_TEST

START_TEST(zero_flag_zeroes_new_objects)
{
    /* the paint source fills fresh memory with PAINT_BYTE; freed objects
     * hold stamps: both must be gone from every new object */
    handle_t h[50];
    for (size_t k = 0; k < 50; k++)
        h[k] = at_alloc_filled(&at_a, 10 + 37 * k);
    for (size_t k = 0; k < 50; k++)
        ck_assert_int_eq(arena_release(&at_a, h[k]), 0);
    for (size_t k = 0; k < 50; k++) {
        h[k] = arena_alloc(&at_a, 10 + 37 * k);
        const unsigned char *p = arena_get(&at_a, h[k]);
        for (size_t j = 0; j < 10 + 37 * k; j++)
            AT_EQ(p[j], 0);
    }
    for (size_t k = 0; k < 50; k++)
        ck_assert_int_eq(arena_release(&at_a, h[k]), 0);
}
END_TEST

START_TEST(zero_flag_zeroes_grown_bytes)
{
    handle_t h = arena_alloc(&at_a, 100);
    memset(arena_get(&at_a, h), 0x5C, 100);
    /* shrink, then grow back inside the same chunk: the bytes past 10 held
     * 0x5C and must read 0 now */
    ck_assert_int_eq(arena_resize(&at_a, h, 10), 0);
    ck_assert_int_eq(arena_resize(&at_a, h, 100), 0);
    const unsigned char *p = arena_get(&at_a, h);
    for (size_t j = 0; j < 10; j++)
        ck_assert_uint_eq(p[j], 0x5C);
    for (size_t j = 10; j < 100; j++)
        ck_assert_uint_eq(p[j], 0);
    /* grow past the class and past every class */
    static const size_t sizes[] = {3000, 70000};
    size_t old = 100;
    for (size_t n = 0; n < 2; n++) {
        memset(arena_get(&at_a, h), 0x11, old);
        ck_assert_int_eq(arena_resize(&at_a, h, sizes[n]), 0);
        p = arena_get(&at_a, h);
        for (size_t j = 0; j < old; j++)
            AT_EQ(p[j], 0x11);
        for (size_t j = old; j < sizes[n]; j++)
            AT_EQ(p[j], 0);
        old = sizes[n];
    }
    ck_assert_int_eq(arena_release(&at_a, h), 0);
}
END_TEST

/* ---- references ---------------------------------------------------------------- */

START_TEST(share_and_release_count)
{
    handle_t h = at_alloc_filled(&at_a, 64);
    for (uint32_t k = 2; k <= 10; k++) {
        ck_assert_int_eq(arena_share(&at_a, h), 0);
        ck_assert_uint_eq(arena_refcount(&at_a, h), k);
    }
    for (int left = 9; left >= 1; left--) {
        ck_assert_int_eq(arena_release(&at_a, h), left);
        ck_assert_uint_eq(arena_refcount(&at_a, h), (uint32_t)left);
        at_verify(&at_a, h);
        ck_assert_uint_eq(at_stats(&at_a).live, 1);
    }
    ck_assert_int_eq(arena_release(&at_a, h), 0);
    at_expect_stale(&at_a, h);
    ck_assert_uint_eq(at_stats(&at_a).live, 0);
}
END_TEST

START_TEST(refcount_of_each_object_is_its_own)
{
    handle_t a = arena_alloc(&at_a, 8), b = arena_alloc(&at_a, 8);
    ck_assert_int_eq(arena_share(&at_a, a), 0);
    ck_assert_int_eq(arena_share(&at_a, a), 0);
    ck_assert_uint_eq(arena_refcount(&at_a, a), 3);
    ck_assert_uint_eq(arena_refcount(&at_a, b), 1);
    ck_assert_int_eq(arena_release(&at_a, b), 0);
    ck_assert_uint_eq(arena_refcount(&at_a, a), 3);
    for (int k = 2; k >= 0; k--)
        ck_assert_int_eq(arena_release(&at_a, a), k);
}
END_TEST

/* ---- counters ---------------------------------------------------------------- */

static void count_cleanup(void *obj, size_t size, void *ctx)
{
    (void)obj;
    (void)size;
    ++*(int *)ctx;
}

START_TEST(stats_follow_every_operation)
{
    arena_stats_t st = at_stats(&at_a);
    ck_assert_uint_eq(st.live + st.slots + st.free_slots + st.retired + st.interned + st.intern_hits +
                          st.cleanups, 0);
    ck_assert_uint_eq(st.bytes_from_source, at_fs.live_bytes);
    ck_assert_uint_gt(st.bytes_from_source, 0); /* the slabs' metadata */

    handle_t a = arena_alloc(&at_a, 10), b = arena_alloc(&at_a, 1000), c = arena_alloc(&at_a, 20000);
    handle_t s1 = arena_intern(&at_a, "abc", 3), s2 = arena_intern(&at_a, "abc", 3);
    handle_t s3 = arena_intern(&at_a, "xyz", 3);
    ck_assert_uint_eq(s1, s2);
    int ran = 0;
    ck_assert_int_eq(arena_on_free(&at_a, a, count_cleanup, &ran), 0);
    ck_assert_int_eq(arena_on_free(&at_a, a, count_cleanup, &ran), 0);
    ck_assert_int_eq(arena_on_free(&at_a, s3, count_cleanup, &ran), 0);
    st = at_stats(&at_a);
    ck_assert_uint_eq(st.live, 5);
    ck_assert_uint_eq(st.slots, 5);
    ck_assert_uint_eq(st.free_slots, 0);
    ck_assert_uint_eq(st.retired, 0);
    ck_assert_uint_eq(st.interned, 2);
    ck_assert_uint_eq(st.intern_hits, 1);
    ck_assert_uint_eq(st.cleanups, 3);
    ck_assert_uint_eq(st.bytes_from_source, at_fs.live_bytes);

    ck_assert_int_eq(arena_release(&at_a, a), 0);
    ck_assert_int_eq(ran, 2);
    ck_assert_int_eq(arena_release(&at_a, s1), 1);
    ck_assert_int_eq(arena_release(&at_a, s3), 0);
    ck_assert_int_eq(ran, 3);
    st = at_stats(&at_a);
    ck_assert_uint_eq(st.live, 3);
    ck_assert_uint_eq(st.slots, 3);
    ck_assert_uint_eq(st.free_slots, 2);
    ck_assert_uint_eq(st.interned, 1);
    ck_assert_uint_eq(st.intern_hits, 1);
    ck_assert_uint_eq(st.cleanups, 0);
    ck_assert_uint_eq(st.bytes_from_source, at_fs.live_bytes);

    ck_assert_int_eq(arena_release(&at_a, b), 0);
    ck_assert_int_eq(arena_release(&at_a, c), 0);
    ck_assert_int_eq(arena_release(&at_a, s2), 0);
    st = at_stats(&at_a);
    ck_assert_uint_eq(st.live, 0);
    ck_assert_uint_eq(st.slots, 0);
    ck_assert_uint_eq(st.free_slots, 5);
    ck_assert_uint_eq(st.interned, 0);
    ck_assert_uint_eq(st.intern_hits, 1); /* since init: never goes down */
}
END_TEST

/* ---- the leak report ------------------------------------------------------------ */

/* The report of at_a, in a buffer the caller frees; *lines gets the return. */
static char *report(size_t *lines)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ck_assert_ptr_nonnull(f);
    *lines = arena_report_live(&at_a, f);
    ck_assert_int_eq(fclose(f), 0);
    return buf;
}

/* Counts the lines of s (each ends in '\n'; asserts it does). */
static size_t count_lines(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += *s == '\n';
    ck_assert(n == 0 || s[-1] == '\n');
    return n;
}

START_TEST(report_of_empty_arena_is_empty)
{
    size_t lines = 9;
    char *r = report(&lines);
    ck_assert_uint_eq(lines, 0);
    ck_assert_str_eq(r, "");
    free(r);
    handle_t h = arena_alloc(&at_a, 5);
    ck_assert_int_eq(arena_release(&at_a, h), 0);
    r = report(&lines);
    ck_assert_uint_eq(lines, 0);
    ck_assert_str_eq(r, "");
    free(r);
}
END_TEST

START_TEST(report_has_one_exact_line_per_live_object)
{
    handle_t dead = arena_alloc(&at_a, 3);
    handle_t a = arena_alloc(&at_a, 5);
    memcpy(arena_get(&at_a, a), "hi\n\x7f!", 5);
    ck_assert_int_eq(arena_share(&at_a, a), 0);
    handle_t s = arena_intern(&at_a, "hello", 5);
    handle_t big = arena_alloc(&at_a, 40);
    unsigned char *p = arena_get(&at_a, big);
    for (int k = 0; k < 40; k++)
        p[k] = (unsigned char)('A' + k);
    ck_assert_int_eq(arena_release(&at_a, dead), 0);

    size_t lines = 0;
    char *r = report(&lines);
    ck_assert_uint_eq(lines, 3);
    ck_assert_uint_eq(count_lines(r), 3);
    char want[3][200];
    uint32_t m = at_a.index_mask, b = at_a.index_bits;
    snprintf(want[0], sizeof want[0], "%u.%u size 5 refs 2 - 68 69 0a 7f 21 |hi..!|", a & m, a >> b);
    snprintf(want[1], sizeof want[1], "%u.%u size 5 refs 1 interned 68 65 6c 6c 6f |hello|", s & m, s >> b);
    snprintf(want[2], sizeof want[2],
             "%u.%u size 40 refs 1 - 41 42 43 44 45 46 47 48 49 4a 4b 4c 4d 4e 4f 50 |ABCDEFGHIJKLMNOP|",
             big & m, big >> b);
    /* in slot order, which here is allocation order (dead's slot is free) */
    char *line = r;
    for (int k = 0; k < 3; k++) {
        char *end = strchr(line, '\n');
        ck_assert_ptr_nonnull(end);
        *end = '\0';
        size_t n = strlen(want[k]);
        ck_assert_msg(strncmp(line, want[k], n) == 0, "line %d: '%s', want '%s'", k, line, want[k]);
        /* after the printable column, at most a mark that bytes were cut */
        ck_assert_msg(line[n] == '\0' || (k == 2 && strcmp(line + n, "...") == 0),
                      "line %d ends in '%s'", k, line + n);
        line = end + 1;
    }
    free(r);
    /* parsing the slot and generation back gives the handle */
    r = report(&lines);
    unsigned slot = 0, gen = 0, size = 0, refs = 0;
    ck_assert_int_eq(sscanf(r, "%u.%u size %u refs %u", &slot, &gen, &size, &refs), 4);
    ck_assert_uint_eq(((handle_t)gen << b) | slot, a);
    free(r);
    ck_assert_int_eq(arena_release(&at_a, a), 1);
    ck_assert_int_eq(arena_release(&at_a, a), 0);
    ck_assert_int_eq(arena_release(&at_a, s), 0);
    ck_assert_int_eq(arena_release(&at_a, big), 0);
}
END_TEST

START_TEST(report_counts_many_objects)
{
    enum { N = 1000 };
    handle_t h[N];
    for (size_t k = 0; k < N; k++)
        h[k] = at_alloc_filled(&at_a, 1 + k % 50);
    for (size_t k = 0; k < N; k += 3)
        ck_assert_int_eq(arena_release(&at_a, h[k]), 0);
    size_t lines = 0;
    char *r = report(&lines);
    ck_assert_uint_eq(lines, N - (N + 2) / 3);
    ck_assert_uint_eq(count_lines(r), lines);
    free(r);
    for (size_t k = 0; k < N; k++)
        if (k % 3)
            ck_assert_int_eq(arena_release(&at_a, h[k]), 0);
}
END_TEST

/* Runs fn with stderr sent to a temporary file; returns what it wrote (the
 * caller frees it). */
static char *stderr_of(void (*fn)(void))
{
    FILE *tmp = tmpfile();
    ck_assert_ptr_nonnull(tmp);
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    ck_assert_int_ge(saved, 0);
    ck_assert_int_ge(dup2(fileno(tmp), STDERR_FILENO), 0);
    fn();
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    ck_assert_int_eq(fseek(tmp, 0, SEEK_END), 0);
    long n = ftell(tmp);
    ck_assert_int_ge(n, 0);
    rewind(tmp);
    char *buf = calloc((size_t)n + 1, 1);
    ck_assert_ptr_nonnull(buf);
    ck_assert_uint_eq(fread(buf, 1, (size_t)n, tmp), (size_t)n);
    fclose(tmp);
    return buf;
}

static void destroy_fixture(void)
{
    arena_destroy(&at_a);
}

START_TEST(leak_report_on_destroy_prints_live_objects)
{
    at_init((arena_config_t){.flags = ARENA_LEAK_REPORT});
    handle_t a = arena_alloc(&at_a, 5);
    memcpy(arena_get(&at_a, a), "leak!", 5);
    handle_t s = arena_intern(&at_a, "kept", 4);
    handle_t gone = arena_alloc(&at_a, 9);
    ck_assert_int_eq(arena_release(&at_a, gone), 0);
    size_t lines = 0;
    char *want = report(&lines);
    ck_assert_uint_eq(lines, 2);
    (void)s;
    char *got = stderr_of(destroy_fixture);
    ck_assert_str_eq(got, want);
    free(got);
    free(want);
    ck_assert_uint_eq(at_fs.live_bytes, 0);
    ck_assert_uint_eq(at_fs.live_acquisitions, 0);
}
END_TEST

START_TEST(leak_report_on_destroy_is_silent_without_live_objects)
{
    at_init((arena_config_t){.flags = ARENA_LEAK_REPORT});
    handle_t a = arena_alloc(&at_a, 5);
    handle_t s = arena_intern(&at_a, "x", 1);
    ck_assert_int_eq(arena_release(&at_a, a), 0);
    ck_assert_int_eq(arena_release(&at_a, s), 0);
    char *got = stderr_of(destroy_fixture);
    ck_assert_str_eq(got, "");
    free(got);
    ck_assert_uint_eq(at_fs.live_bytes, 0);
}
END_TEST

START_TEST(no_leak_report_without_the_flag)
{
    at_init((arena_config_t){0});
    (void)arena_alloc(&at_a, 5);
    char *got = stderr_of(destroy_fixture);
    ck_assert_str_eq(got, "");
    free(got);
    ck_assert_uint_eq(at_fs.live_bytes, 0);
}
END_TEST

/* ---- reset and destroy ------------------------------------------------------------ */

START_TEST(reset_makes_every_handle_stale_and_reuses_slots)
{
    enum { N = 200 };
    handle_t h[N];
    for (size_t k = 0; k < N; k++)
        h[k] = at_alloc_filled(&at_a, 8 + k);
    ck_assert_int_eq(arena_share(&at_a, h[7]), 0);
    handle_t s = arena_intern(&at_a, "word", 4);
    ck_assert_int_eq(arena_release(&at_a, h[3]), 0);
    uint32_t used = at_a.used;
    arena_reset(&at_a);
    ck_assert_uint_eq(arena_check(&at_a), 0);
    for (size_t k = 0; k < N; k++)
        at_expect_stale(&at_a, h[k]);
    at_expect_stale(&at_a, s);
    arena_stats_t st = at_stats(&at_a);
    ck_assert_uint_eq(st.live, 0);
    ck_assert_uint_eq(st.slots, 0);
    ck_assert_uint_eq(st.interned, 0);
    ck_assert_uint_eq(st.free_slots, used - 1u); /* every slot ever used is free */
    /* new objects take the old slots, never a fresh one, under new generations */
    for (size_t k = 0; k < N; k++) {
        handle_t g = at_alloc_filled(&at_a, 8);
        ck_assert_uint_lt(g & at_a.index_mask, used);
        for (size_t j = 0; j < N; j++)
            AT_CMP(g, !=, h[j]);
        at_expect_stale(&at_a, h[k]);
    }
    ck_assert_uint_eq(at_a.used, used);
    /* a second intern of the same bytes is a new object */
    handle_t s2 = arena_intern(&at_a, "word", 4);
    ck_assert_uint_ne(s2, s);
    ck_assert_uint_eq(at_stats(&at_a).interned, 1);
    arena_reset(&at_a);
    ck_assert_uint_eq(at_stats(&at_a).live, 0);
}
END_TEST

START_TEST(destroy_returns_every_byte)
{
    at_init((arena_config_t){.flags = ARENA_CHECKED});
    handle_t h[500];
    for (size_t k = 0; k < 500; k++)
        h[k] = at_alloc_filled(&at_a, 1 + (k * 97) % 5000);
    for (size_t k = 0; k < 500; k += 2)
        ck_assert_int_eq(arena_release(&at_a, h[k]), 0);
    char word[16];
    for (int k = 0; k < 300; k++) {
        int n = snprintf(word, sizeof word, "w%d", k);
        ck_assert_uint_ne(arena_intern(&at_a, word, (size_t)n), HANDLE_NULL);
    }
    int ran = 0;
    ck_assert_int_eq(arena_on_free(&at_a, h[1], count_cleanup, &ran), 0);
    ck_assert_uint_gt(at_fs.live_bytes, 0);
    ck_assert_uint_eq(at_stats(&at_a).bytes_from_source, at_fs.live_bytes);
    ck_assert_uint_eq(arena_check(&at_a), 0);
    arena_destroy(&at_a);
    ck_assert_int_eq(ran, 1);
    ck_assert_uint_eq(at_fs.live_bytes, 0);
    ck_assert_uint_eq(at_fs.live_acquisitions, 0);
    ck_assert_uint_eq(at_fs.releases, at_fs.acquisitions);
    /* destroyed: zeroed, and a second destroy is a no-op */
    arena_destroy(&at_a);
    ck_assert_uint_eq(at_fs.live_bytes, 0);
}
END_TEST

START_TEST(destroy_of_unused_arena_returns_everything)
{
    at_init((arena_config_t){0});
    arena_destroy(&at_a);
    ck_assert_uint_eq(at_fs.live_bytes, 0);
    ck_assert_uint_eq(at_fs.live_acquisitions, 0);
}
END_TEST

Suite *arena_core_suite(void)
{
    Suite *s = suite_create("arena-core");
    TCase *tc = tcase_create("objects");
    tcase_set_tags(tc, "core");
    tcase_add_checked_fixture(tc, at_setup, at_teardown);
    tcase_add_test(tc, alloc_gives_distinct_live_objects);
    tcase_add_test(tc, freed_object_is_stale_and_slot_is_reused);
    tcase_add_test(tc, free_slots_are_reused_last_freed_first);
    tcase_add_test(tc, large_object_is_a_handle_too);
    tcase_add_test(tc, resize_keeps_content_and_handle);
    tcase_add_test(tc, resize_among_neighbours_damages_none);
    tcase_add_test(tc, share_and_release_count);
    tcase_add_test(tc, refcount_of_each_object_is_its_own);
    tcase_add_test(tc, stats_follow_every_operation);
    tcase_add_test(tc, report_of_empty_arena_is_empty);
    tcase_add_test(tc, report_has_one_exact_line_per_live_object);
    tcase_add_test(tc, report_counts_many_objects);
    tcase_add_test(tc, reset_makes_every_handle_stale_and_reuses_slots);
    suite_add_tcase(s, tc);

    tc = tcase_create("zero");
    tcase_set_tags(tc, "core");
    tcase_add_checked_fixture(tc, setup_zero, at_teardown);
    tcase_add_test(tc, zero_flag_zeroes_new_objects);
    tcase_add_test(tc, zero_flag_zeroes_grown_bytes);
    suite_add_tcase(s, tc);

    /* these build and destroy their own arena */
    tc = tcase_create("destroy");
    tcase_set_tags(tc, "core");
    tcase_add_test(tc, leak_report_on_destroy_prints_live_objects);
    tcase_add_test(tc, leak_report_on_destroy_is_silent_without_live_objects);
    tcase_add_test(tc, no_leak_report_without_the_flag);
    tcase_add_test(tc, destroy_returns_every_byte);
    tcase_add_test(tc, destroy_of_unused_arena_returns_everything);
    suite_add_tcase(s, tc);
    return s;
}

/*
 * test_core.c - stage 02, the ordinary life of a slab allocator: objects of
 * mixed sizes, alignment, no overlap, free without a size, reuse of an empty
 * slab by its class, the large path, counters and the statistics table.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>

#include "slab_test.h"

/* classes 16 32 64 ... 4096, slabs of 64 KiB */
static const slabs_config_t pow2_cfg = {.min_size = 16, .max_size = 4096, .growth = 2.0,
                                        .slab_size = 1u << 16};

static void setup_default(void)
{
    st_init((slabs_config_t){0});
}

static void setup_pow2(void)
{
    st_init(pow2_cfg);
}

static void teardown(void)
{
    st_finish();
}

/* ---- objects ------------------------------------------------------------ */

START_TEST(mixed_sizes_hold_their_content)
{
    st_model_t m;
    st_model_init(&m, 600);
    size_t max = st_chunk(&st_s, slabs_class_count(&st_s) - 1);
    for (size_t i = 0; i < 600; i++) {
        size_t size = 1 + (i * 7919) % (max + max / 4);
        void *p = slabs_alloc(&st_s, size);
        ck_assert_ptr_nonnull(p);
        st_model_add(&m, p, size);
    }
    st_model_verify_all(&m);
    st_model_agrees(&m, &st_s);
    while (m.n > 0)
        st_model_free_one(&m, &st_s, m.n / 2);
    st_model_agrees(&m, &st_s);
    st_model_free(&m);
}
END_TEST

START_TEST(usable_size_covers_request)
{
    size_t max = st_chunk(&st_s, slabs_class_count(&st_s) - 1);
    for (size_t size = 1; size <= max + 100; size += 13) {
        char *p = slabs_alloc(&st_s, size);
        ck_assert_ptr_nonnull(p);
        size_t u = slabs_usable_size(&st_s, p);
        ck_assert_uint_ge(u, size);
        size_t cls = slabs_class_of(&st_s, size);
        if (cls < slabs_class_count(&st_s))
            ck_assert_uint_eq(u, st_chunk(&st_s, cls));
        memset(p, 0x5A, u);   /* all of it is the caller's */
        slabs_free(&st_s, p);
    }
}
END_TEST

START_TEST(every_object_is_max_aligned)
{
    void *p[300];
    size_t max = st_chunk(&st_s, slabs_class_count(&st_s) - 1);
    for (size_t i = 0; i < 300; i++) {
        p[i] = slabs_alloc(&st_s, 1 + (i * 131) % (max + 512));
        ck_assert_ptr_nonnull(p[i]);
        ck_assert_uint_eq((uintptr_t)p[i] % ST_GRANULE, 0);
    }
    for (size_t i = 0; i < 300; i++)
        slabs_free(&st_s, p[i]);
}
END_TEST

START_TEST(power_of_two_classes_are_naturally_aligned)
{
    size_t n = slabs_class_count(&st_s);
    ck_assert_uint_eq(n, 9);
    for (size_t cls = 0; cls < n; cls++) {
        size_t c = st_chunk(&st_s, cls);
        ck_assert_uint_eq(c, (size_t)16 << cls);
        size_t per = st_cstats(&st_s, cls).chunks_per_slab;
        size_t count = per + 2 < 40 ? per + 2 : 40;   /* spill into a second slab */
        void *p[40];
        for (size_t i = 0; i < count; i++) {
            p[i] = slabs_alloc(&st_s, c - (i % 3));
            ck_assert_ptr_nonnull(p[i]);
            ck_assert_msg((uintptr_t)p[i] % c == 0, "%p in class %zu not aligned to %zu",
                          p[i], cls, c);
        }
        for (size_t i = 0; i < count; i++)
            slabs_free(&st_s, p[i]);
    }
}
END_TEST

START_TEST(power_of_two_classes_of_default_table_are_aligned)
{
    size_t n = slabs_class_count(&st_s);
    for (size_t cls = 0; cls < n; cls++) {
        size_t c = st_chunk(&st_s, cls);
        if ((c & (c - 1)) != 0)
            continue;
        for (int i = 0; i < 20; i++) {
            void *p = slabs_alloc(&st_s, c);
            ck_assert_ptr_nonnull(p);
            ck_assert_uint_eq((uintptr_t)p % c, 0);
            /* kept live so the next one is a different chunk; reset below */
        }
    }
    slabs_reset(&st_s);
}
END_TEST

static int by_address(const void *a, const void *b)
{
    uintptr_t x = (uintptr_t)*(void *const *)a, y = (uintptr_t)*(void *const *)b;
    return (x > y) - (x < y);
}

START_TEST(objects_never_overlap)
{
    enum { N = 2000 };
    void **p = malloc(N * sizeof *p);
    ck_assert_ptr_nonnull(p);
    size_t max = st_chunk(&st_s, slabs_class_count(&st_s) - 1);
    rng_t r = {42};
    for (size_t i = 0; i < N; i++) {
        p[i] = slabs_alloc(&st_s, 1 + rng_below(&r, i % 50 == 0 ? 2 * max : max));
        ck_assert_ptr_nonnull(p[i]);
    }
    qsort(p, N, sizeof *p, by_address);
    for (size_t i = 1; i < N; i++) {
        size_t u = slabs_usable_size(&st_s, p[i - 1]);
        ck_assert_msg((uintptr_t)p[i - 1] + u <= (uintptr_t)p[i],
                      "%p (+%zu) overlaps %p", p[i - 1], u, p[i]);
    }
    for (size_t i = 0; i < N; i++)
        slabs_free(&st_s, p[i]);
    free(p);
}
END_TEST

START_TEST(free_null_is_a_no_op)
{
    slabs_stats_t before = st_stats(&st_s);
    slabs_free(&st_s, NULL);
    slabs_stats_t after = st_stats(&st_s);
    ck_assert_mem_eq(&before, &after, sizeof before);
    slabs_free(NULL, NULL);
}
END_TEST

START_TEST(freed_chunk_is_reused_by_its_class)
{
    void *a = slabs_alloc(&st_s, 100);
    void *keep = slabs_alloc(&st_s, 100);
    ck_assert_ptr_nonnull(a);
    slabs_free(&st_s, a);
    ck_assert_uint_eq(slabs_class_of(&st_s, 90), slabs_class_of(&st_s, 100));
    void *b = slabs_alloc(&st_s, 90);   /* same class */
    ck_assert_ptr_eq(b, a);
    slabs_free(&st_s, b);
    slabs_free(&st_s, keep);
}
END_TEST

START_TEST(empty_slab_is_reused_by_its_class)
{
    size_t cls = slabs_class_of(&st_s, 200);
    size_t chunk = st_chunk(&st_s, cls);
    ck_assert_uint_eq(slabs_class_of(&st_s, chunk - 7), cls);
    size_t per = st_cstats(&st_s, cls).chunks_per_slab;
    void **p = malloc(per * sizeof *p);
    ck_assert_ptr_nonnull(p);
    for (size_t i = 0; i < per; i++)
        ck_assert_ptr_nonnull(p[i] = slabs_alloc(&st_s, 200));
    ck_assert_uint_eq(st_cstats(&st_s, cls).slabs, 1);
    size_t acq = st_fs.acquisitions, bytes = st_stats(&st_s).bytes_from_source;
    for (size_t i = 0; i < per; i++)
        slabs_free(&st_s, p[i]);
    slabs_class_stats_t cs = st_cstats(&st_s, cls);
    ck_assert_uint_eq(cs.slabs, 1);   /* still held: nothing goes back without trim */
    ck_assert_uint_eq(cs.used, 0);
    ck_assert_uint_eq(cs.free, per);
    /* the same class fills it again without asking the source */
    for (size_t i = 0; i < per; i++)
        ck_assert_ptr_nonnull(p[i] = slabs_alloc(&st_s, chunk - 7));
    ck_assert_uint_eq(st_fs.acquisitions, acq);
    ck_assert_uint_eq(st_stats(&st_s).bytes_from_source, bytes);
    ck_assert_uint_eq(st_cstats(&st_s, cls).slabs, 1);
    ck_assert_uint_eq(st_cstats(&st_s, cls).used, per);
    for (size_t i = 0; i < per; i++)
        slabs_free(&st_s, p[i]);
    free(p);
}
END_TEST

START_TEST(full_slab_makes_class_take_another)
{
    size_t cls = slabs_class_of(&st_s, 1000);
    size_t per = st_cstats(&st_s, cls).chunks_per_slab;
    void **p = malloc((per + 1) * sizeof *p);
    ck_assert_ptr_nonnull(p);
    for (size_t i = 0; i < per; i++)
        ck_assert_ptr_nonnull(p[i] = slabs_alloc(&st_s, 1000));
    ck_assert_uint_eq(st_cstats(&st_s, cls).slabs, 1);
    ck_assert_uint_eq(st_cstats(&st_s, cls).free, 0);
    size_t acq = st_fs.acquisitions;
    ck_assert_ptr_nonnull(p[per] = slabs_alloc(&st_s, 1000));
    ck_assert_uint_eq(st_fs.acquisitions, acq + 1);
    slabs_class_stats_t cs = st_cstats(&st_s, cls);
    ck_assert_uint_eq(cs.slabs, 2);
    ck_assert_uint_eq(cs.used, per + 1);
    ck_assert_uint_eq(cs.free, per - 1);
    for (size_t i = 0; i <= per; i++)
        slabs_free(&st_s, p[i]);
    free(p);
}
END_TEST

START_TEST(zero_flag_zeroes_every_object)
{
    slabs_destroy(&st_s);
    st_init((slabs_config_t){.flags = SLABS_ZERO, .max_size = 2048});
    for (int round = 0; round < 3; round++) {
        void *p[50];
        for (size_t i = 0; i < 50; i++) {
            size_t size = 1 + i * 53;   /* up to 2598: includes large objects */
            unsigned char *b = p[i] = slabs_alloc(&st_s, size);
            ck_assert_ptr_nonnull(b);
            for (size_t k = 0; k < size; k++)
                ck_assert_uint_eq(b[k], 0);
            memset(b, 0xEE, size);   /* dirty it for the next round */
        }
        for (size_t i = 0; i < 50; i++)
            slabs_free(&st_s, p[i]);
    }
}
END_TEST

/* ---- the large path -------------------------------------------------------- */

START_TEST(large_object_comes_from_source_and_goes_back)
{
    size_t max = st_chunk(&st_s, slabs_class_count(&st_s) - 1);
    size_t live = st_fs.live_bytes, acq = st_fs.acquisitions;
    size_t size = max + 1;
    ck_assert_uint_eq(slabs_class_of(&st_s, size), slabs_class_count(&st_s));
    char *p = slabs_alloc(&st_s, size);
    ck_assert_ptr_nonnull(p);
    ck_assert_uint_eq((uintptr_t)p % 64, 0);   /* documented: large objects on 64 bytes */
    /* the block, and (the first block of any kind) the side table */
    size_t map = ADDRMAP_MIN * sizeof(addrmap_slot_t);
    ck_assert_uint_eq(st_fs.acquisitions, acq + 2);
    ck_assert_uint_eq(slabs_usable_size(&st_s, p), st_round_up(size, ST_GRANULE));
    size_t block = 64 + st_round_up(size, ST_GRANULE);   /* header + usable size */
    ck_assert_uint_eq(st_fs.live_bytes, live + map + block);
    ck_assert_uint_ge(slabs_usable_size(&st_s, p), size);
    st_stamp(p, size, 7);
    slabs_stats_t st = st_stats(&st_s);
    ck_assert_uint_eq(st.large_objects, 1);
    ck_assert_uint_eq(st.large_bytes, block);
    ck_assert_uint_eq(st.live_objects, 1);
    ck_assert_uint_eq(st.live_requested_bytes, size);
    ck_assert_uint_eq(st_damage(p, size, 7), size);
    slabs_free(&st_s, p);
    ck_assert_uint_eq(st_fs.live_bytes, live + map);   /* the side table stays */
    st = st_stats(&st_s);
    ck_assert_uint_eq(st.large_objects, 0);
    ck_assert_uint_eq(st.large_bytes, 0);
    ck_assert_uint_eq(st.live_objects, 0);
}
END_TEST

START_TEST(many_large_objects)
{
    size_t max = st_chunk(&st_s, slabs_class_count(&st_s) - 1);
    st_model_t m;
    st_model_init(&m, 40);
    size_t bytes = 0;
    for (size_t i = 0; i < 40; i++) {
        size_t size = max + 1 + i * 4099;
        void *p = slabs_alloc(&st_s, size);
        ck_assert_ptr_nonnull(p);
        st_model_add(&m, p, size);
        bytes += size;
        ck_assert_uint_eq(slabs_class_of(&st_s, size), slabs_class_count(&st_s));
    }
    slabs_stats_t st = st_stats(&st_s);
    ck_assert_uint_eq(st.large_objects, 40);
    ck_assert_uint_ge(st.large_bytes, bytes);
    ck_assert_uint_eq(st.live_requested_bytes, bytes);
    ck_assert_uint_eq(slabs_check(&st_s), 0);
    st_model_verify_all(&m);
    for (size_t i = 0; i < 40; i += 2)
        st_model_free_one(&m, &st_s, i % m.n);
    st_model_agrees(&m, &st_s);
    while (m.n)
        st_model_free_one(&m, &st_s, 0);
    st_model_free(&m);
    ck_assert_uint_eq(st_stats(&st_s).large_objects, 0);
    ck_assert_uint_eq(st_stats(&st_s).large_bytes, 0);
    ck_assert_uint_eq(st_fs.live_bytes, st_stats(&st_s).bytes_from_source);
    ck_assert_uint_eq(st_fs.live_bytes, st_overhead());   /* never a slab */
}
END_TEST

START_TEST(large_objects_are_freed_by_destroy)
{
    size_t max = st_chunk(&st_s, slabs_class_count(&st_s) - 1);
    for (int i = 0; i < 5; i++)
        ck_assert_ptr_nonnull(slabs_alloc(&st_s, max * 3 + (size_t)i));
    ck_assert_ptr_nonnull(slabs_alloc(&st_s, 24));
    /* teardown destroys with everything live and proves live_bytes == 0 */
}
END_TEST

/* ---- counters ---------------------------------------------------------------- */

START_TEST(stats_follow_the_model)
{
    size_t n = slabs_class_count(&st_s);
    size_t *req = calloc(n + 1, sizeof *req), *used = calloc(n + 1, sizeof *used);
    ck_assert_ptr_nonnull(req);
    ck_assert_ptr_nonnull(used);
    st_model_t m;
    st_model_init(&m, 500);
    size_t max = st_chunk(&st_s, n - 1);
    rng_t r = {5};
    for (int op = 0; op < 3000; op++) {
        if (m.n < m.cap && (m.n == 0 || rng_below(&r, 3) != 0)) {
            size_t size = 1 + rng_below(&r, max + max / 8);
            void *p = slabs_alloc(&st_s, size);
            ck_assert_ptr_nonnull(p);
            st_model_add(&m, p, size);
            size_t cls = slabs_class_of(&st_s, size);
            req[cls] += st_counted(&st_s, size);
            used[cls]++;
        } else {
            size_t k = rng_below(&r, m.n);
            size_t cls = slabs_class_of(&st_s, m.obj[k].size);
            req[cls] -= st_counted(&st_s, m.obj[k].size);
            used[cls]--;
            st_model_free_one(&m, &st_s, k);
        }
        if (op % 500 != 499)
            continue;
        st_model_agrees(&m, &st_s);
        size_t slabs = 0, live = 0;
        for (size_t c = 0; c < n; c++) {
            slabs_class_stats_t cs = st_cstats(&st_s, c);
            ck_assert_uint_eq(cs.used, used[c]);
            ck_assert_uint_eq(cs.requested_bytes, req[c]);
            ck_assert_uint_eq(cs.used + cs.free, cs.slabs * cs.chunks_per_slab);
            live += cs.used;
            slabs += cs.slabs;
        }
        slabs_stats_t st = st_stats(&st_s);
        ck_assert_uint_eq(st.large_objects, used[n]);
        ck_assert_uint_eq(live + st.large_objects, st.live_objects);
        ck_assert_uint_ge(st.peak_bytes_from_source, st.bytes_from_source);
        ck_assert_uint_eq(st.bytes_from_source, st_fs.live_bytes);
        ck_assert_uint_eq(st.peak_bytes_from_source, st_fs.peak_bytes);
        ck_assert_uint_eq(st.bytes_from_source,
                          st_overhead() + slabs * st_s.slab_size + st.large_bytes);
    }
    while (m.n)
        st_model_free_one(&m, &st_s, 0);
    st_model_free(&m);
    free(req);
    free(used);
}
END_TEST

START_TEST(slab_bytes_are_slab_size_each)
{
    size_t n = slabs_class_count(&st_s);
    void *p[9];
    for (size_t c = 0; c < n; c++)
        ck_assert_ptr_nonnull(p[c] = slabs_alloc(&st_s, st_chunk(&st_s, c)));
    slabs_stats_t st = st_stats(&st_s);
    /* the metadata, one descriptor block, the side table, one slab per class */
    ck_assert_uint_eq(st_s.descs.bytes_from_source, SLABS_DESC_BLOCK_SIZE);
    ck_assert_uint_eq(st.bytes_from_source, st_s.meta_bytes + SLABS_DESC_BLOCK_SIZE +
                                                ADDRMAP_MIN * sizeof(addrmap_slot_t) +
                                                n * pow2_cfg.slab_size);
    ck_assert_uint_eq(st_fs.acquisitions, n + 3);
    ck_assert_uint_eq(st_fs.live_bytes, st.bytes_from_source);
    for (size_t c = 0; c < n; c++) {
        ck_assert_uint_eq(st_cstats(&st_s, c).slabs, 1);
        ck_assert_uint_eq(st_cstats(&st_s, c).requested_bytes, st_chunk(&st_s, c));
        slabs_free(&st_s, p[c]);
        ck_assert_uint_eq(st_cstats(&st_s, c).requested_bytes, 0);
    }
}
END_TEST

START_TEST(class_stats_rejects_bad_class)
{
    slabs_class_stats_t cs;
    ck_assert_int_eq(slabs_class_stats(&st_s, slabs_class_count(&st_s), &cs), -EINVAL);
    ck_assert_int_eq(slabs_class_stats(&st_s, SIZE_MAX, &cs), -EINVAL);
    ck_assert_int_eq(slabs_class_stats(&st_s, 0, NULL), -EINVAL);
    ck_assert_int_eq(slabs_class_stats(NULL, 0, &cs), -EINVAL);
}
END_TEST

START_TEST(peak_bytes_stay_after_frees)
{
    void *p[100];
    for (int i = 0; i < 100; i++)
        ck_assert_ptr_nonnull(p[i] = slabs_alloc(&st_s, 4096));
    slabs_stats_t full = st_stats(&st_s);
    for (int i = 0; i < 100; i++)
        slabs_free(&st_s, p[i]);
    slabs_trim(&st_s, 0);
    slabs_stats_t after = st_stats(&st_s);
    ck_assert_uint_eq(after.bytes_from_source, st_overhead());
    ck_assert_uint_eq(after.peak_bytes_from_source, full.bytes_from_source);
    ck_assert_uint_gt(full.bytes_from_source, st_overhead());
}
END_TEST

/* ---- the statistics table ---------------------------------------------------- */

/* Lines of text in buf that contain needle as a whole field. */
static size_t count_lines(const char *buf)
{
    size_t n = 0;
    for (const char *c = buf; *c; c++)
        n += (*c == '\n');
    return n;
}

/* True if some line of buf starts (after blanks) with the number v as its
 * first or second field. */
static bool has_row_for(const char *buf, size_t chunk)
{
    char want[32];
    snprintf(want, sizeof want, "%zu", chunk);
    size_t wl = strlen(want);
    for (const char *line = buf; *line; ) {
        const char *end = strchr(line, '\n');
        if (end == NULL)
            end = line + strlen(line);
        /* fields of the line: look at the first three */
        const char *c = line;
        for (int field = 0; field < 3 && c < end; field++) {
            while (c < end && (*c == ' ' || *c == '\t' || *c == '|'))
                c++;
            const char *f = c;
            while (c < end && *c != ' ' && *c != '\t' && *c != '|')
                c++;
            if ((size_t)(c - f) == wl && strncmp(f, want, wl) == 0)
                return true;
        }
        line = *end ? end + 1 : end;
    }
    return false;
}

START_TEST(print_stats_has_header_and_row_per_class_in_use)
{
    /* classes 16 .. 4096: use 32, 256 and 4096, and one large object */
    void *a = slabs_alloc(&st_s, 20), *b = slabs_alloc(&st_s, 200);
    void *c = slabs_alloc(&st_s, 4000), *d = slabs_alloc(&st_s, 5000);
    char buf[8192];
    memset(buf, 0, sizeof buf);
    FILE *f = fmemopen(buf, sizeof buf - 1, "w");
    ck_assert_ptr_nonnull(f);
    slabs_print_stats(&st_s, f);
    fclose(f);
    ck_assert_msg(strlen(buf) > 0, "nothing printed");
    ck_assert_msg(strstr(buf, "chunk") != NULL || strstr(buf, "size") != NULL,
                  "no header naming the chunk size:\n%s", buf);
    ck_assert_msg(has_row_for(buf, 32), "no row for class 32:\n%s", buf);
    ck_assert_msg(has_row_for(buf, 256), "no row for class 256:\n%s", buf);
    ck_assert_msg(has_row_for(buf, 4096), "no row for class 4096:\n%s", buf);
    ck_assert_msg(!has_row_for(buf, 64) && !has_row_for(buf, 1024),
                  "rows for classes not in use:\n%s", buf);
    size_t lines_3 = count_lines(buf);
    slabs_free(&st_s, a);
    slabs_free(&st_s, b);
    slabs_free(&st_s, c);
    /* no object left in them, but they still hold (empty) slabs */
    memset(buf, 0, sizeof buf);
    f = fmemopen(buf, sizeof buf - 1, "w");
    ck_assert_ptr_nonnull(f);
    slabs_print_stats(&st_s, f);
    fclose(f);
    ck_assert_msg(has_row_for(buf, 32) && has_row_for(buf, 256) && has_row_for(buf, 4096),
                  "classes holding empty slabs lost their rows:\n%s", buf);
    ck_assert_uint_eq(count_lines(buf), lines_3);
    slabs_trim(&st_s, 0);
    memset(buf, 0, sizeof buf);
    f = fmemopen(buf, sizeof buf - 1, "w");
    ck_assert_ptr_nonnull(f);
    slabs_print_stats(&st_s, f);
    fclose(f);
    ck_assert_uint_eq(count_lines(buf) + 3, lines_3);  /* three rows fewer */
    ck_assert_msg(!has_row_for(buf, 32) && !has_row_for(buf, 256) && !has_row_for(buf, 4096),
                  "rows for classes that hold no slab:\n%s", buf);
    slabs_free(&st_s, d);
}
END_TEST

Suite *slabs_core_suite(void)
{
    Suite *s = suite_create("slabs-core");
    TCase *tc = tcase_create("objects");
    tcase_set_tags(tc, "core");
    tcase_add_checked_fixture(tc, setup_default, teardown);
    tcase_add_test(tc, mixed_sizes_hold_their_content);
    tcase_add_test(tc, usable_size_covers_request);
    tcase_add_test(tc, every_object_is_max_aligned);
    tcase_add_test(tc, power_of_two_classes_of_default_table_are_aligned);
    tcase_add_test(tc, objects_never_overlap);
    tcase_add_test(tc, free_null_is_a_no_op);
    tcase_add_test(tc, freed_chunk_is_reused_by_its_class);
    tcase_add_test(tc, empty_slab_is_reused_by_its_class);
    tcase_add_test(tc, full_slab_makes_class_take_another);
    tcase_add_test(tc, zero_flag_zeroes_every_object);
    tcase_add_test(tc, large_object_comes_from_source_and_goes_back);
    tcase_add_test(tc, many_large_objects);
    tcase_add_test(tc, large_objects_are_freed_by_destroy);
    tcase_add_test(tc, stats_follow_the_model);
    tcase_add_test(tc, class_stats_rejects_bad_class);
    suite_add_tcase(s, tc);

    tc = tcase_create("pow2");
    tcase_set_tags(tc, "core");
    tcase_add_checked_fixture(tc, setup_pow2, teardown);
    tcase_add_test(tc, power_of_two_classes_are_naturally_aligned);
    tcase_add_test(tc, slab_bytes_are_slab_size_each);
    tcase_add_test(tc, peak_bytes_stay_after_frees);
    tcase_add_test(tc, print_stats_has_header_and_row_per_class_in_use);
    suite_add_tcase(s, tc);
    return s;
}

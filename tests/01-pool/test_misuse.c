/*
 * test_misuse.c - stage 01's checked mode (POOL_CHECKED) facing a buggy
 * caller.
 *
 * TCases:
 *   checked          (also exercise 01-checked) every bad free is reported
 *                    once, with the right kind and pointer, and changes
 *                    nothing: double free, a pointer from another pool, an
 *                    interior or misaligned pointer, a pointer into a block
 *                    header, a chunk never handed out;
 *   fills            writes the pool finds later through its fill bytes: past
 *                    the end of an object, into a freed object, over a freed
 *                    object's link; fresh objects hold FILL_FRESH;
 *   default-handler  (tag misuse: death tests, fork mode only) without a
 *                    handler installed, misuse prints one line naming the
 *                    pool and the rule, and aborts.
 *
 * The tests damage freed memory and guard padding on purpose; they do it
 * through sneak.h, so memcheck and ASan do not report the test's own
 * writes, and the pool's detection is tested under the tools as well.
 */
#define _POSIX_C_SOURCE 200809L
#include <check.h>
#include <signal.h>
#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "failing_source.h"
#include "fill.h"
#include "misuse_counter.h"
#include "pool.h"
#include "sneak.h"

#define BS 4096u
#define OBJ 64u

static failing_source_t fs;
static pool_t pool, other;
static misuse_counter_t mc;

static pool_config_t checked_config(size_t obj_size)
{
    pool_config_t cfg = {.obj_size = obj_size, .block_size = BS, .source = &fs.base,
                         .flags = POOL_CHECKED};
    return cfg;
}

static void setup(void)
{
    failing_source_init(&fs, NULL);
    pool_config_t cfg = checked_config(OBJ);
    ck_assert_int_eq(pool_init(&pool, &cfg), 0);
    ck_assert_int_eq(pool_init(&other, &cfg), 0);
    misuse_counter_install(&mc);
}

static void teardown(void)
{
    misuse_counter_remove();
    ck_assert_uint_eq(pool_check(&pool), 0);
    ck_assert_uint_eq(pool_check(&other), 0);
    pool_destroy(&pool);
    pool_destroy(&other);
    ck_assert_uint_eq(fs.live_bytes, 0);
}

/* Replaces the fixture's pool by a checked one with other objects. */
static void reinit_aligned(size_t obj_size, size_t align, unsigned extra_flags)
{
    pool_destroy(&pool);
    pool_config_t cfg = checked_config(obj_size);
    cfg.align = align;
    cfg.flags |= extra_flags;
    ck_assert_int_eq(pool_init(&pool, &cfg), 0);
}

static void reinit(size_t obj_size, unsigned extra_flags)
{
    reinit_aligned(obj_size, 0, extra_flags);
}

static pool_stats_t stats(const pool_t *p)
{
    pool_stats_t s;
    pool_stats(p, &s);
    return s;
}

/* Frees bad on the pool and expects exactly one report of kind about bad,
 * with the pool left exactly as it was and still working. */
static void expect_refused(void *bad, const char *kind)
{
    pool_stats_t before = stats(&pool);
    void *list = pool.free_list;
    size_t reports = mc.count;
    pool_free(&pool, bad);
    ck_assert_msg(mc.count == reports + 1, "%s: %zu reports, expected 1", kind, mc.count - reports);
    ck_assert_str_eq(mc.last.kind, kind);
    ck_assert_str_eq(mc.last.allocator, "pool");
    ck_assert_ptr_eq(mc.last.addr, bad);
    ck_assert_ptr_nonnull(mc.last.message);
    ck_assert_uint_gt(strlen(mc.last.message), 0);
    pool_stats_t after = stats(&pool);
    ck_assert(memcmp(&before, &after, sizeof before) == 0);
    ck_assert_ptr_eq(pool.free_list, list);
    ck_assert_uint_eq(pool_check(&pool), 0);

    /* the pool still works: a round trip, no further report */
    void *p = pool_alloc(&pool);
    ck_assert_ptr_nonnull(p);
    pool_free(&pool, p);
    ck_assert_uint_eq(mc.count, reports + 1);
    ck_assert_uint_eq(pool_check(&pool), 0);
}

static char *block_of(const void *obj)
{
    return (char *)((uintptr_t)obj & ~(uintptr_t)(BS - 1));
}

/* ---- checked: bad frees (exercise 01-checked) -------------------------------- */

START_TEST(double_free)
{
    char *a = pool_alloc(&pool), *b = pool_alloc(&pool);
    pool_free(&pool, a);
    expect_refused(a, "double-free");
    /* a is still free exactly once: it comes back once, then fresh memory */
    ck_assert_ptr_eq(pool_alloc(&pool), a);
    char *c = pool_alloc(&pool);
    ck_assert_ptr_ne(c, a);
    ck_assert_ptr_ne(c, b);
    pool_free(&pool, a);
    pool_free(&pool, b);
    pool_free(&pool, c);
    expect_refused(b, "double-free");
    ck_assert_uint_eq(mc.count, 2);
}
END_TEST

START_TEST(pointer_from_another_pool)
{
    char *mine = pool_alloc(&pool);
    char *theirs = pool_alloc(&other);
    pool_stats_t other_before = stats(&other);
    expect_refused(theirs, "foreign-pointer");
    pool_stats_t other_after = stats(&other);
    ck_assert(memcmp(&other_before, &other_after, sizeof other_before) == 0);
    ck_assert_uint_eq(pool_check(&other), 0);
    /* the other way round, with a freed object of ours */
    pool_free(&pool, mine);
    size_t reports = mc.count;
    pool_free(&other, mine);
    ck_assert_uint_eq(mc.count, reports + 1);
    ck_assert_str_eq(mc.last.kind, "foreign-pointer");
    ck_assert_uint_eq(pool_check(&pool), 0);
    pool_free(&other, theirs);
    ck_assert_uint_eq(mc.count, reports + 1);
}
END_TEST

/* Interior: aligned to the pool's alignment (the default, 16 on x86-64),
 * but not a chunk's start. */
START_TEST(interior_pointer)
{
    char *a = pool_alloc(&pool);
    expect_refused(a + 16, "interior-pointer");
    expect_refused(a + OBJ - 16, "interior-pointer");
    pool_free(&pool, a);
    expect_refused(a + 32, "interior-pointer"); /* freed or not */

    reinit_aligned(OBJ, 8, 0); /* with 8-byte alignment, a + 8 is interior */
    a = pool_alloc(&pool);
    expect_refused(a + 8, "interior-pointer");
    pool_free(&pool, a);
}
END_TEST

/* Misaligned: not even aligned to the pool's alignment. */
START_TEST(misaligned_pointer)
{
    char *a = pool_alloc(&pool);
    expect_refused(a + 1, "misaligned-pointer");
    expect_refused(a + OBJ - 1, "misaligned-pointer");
    if (alignof(max_align_t) > 8)
        expect_refused(a + 8, "misaligned-pointer");
    pool_free(&pool, a);
}
END_TEST

START_TEST(pointer_into_block_header)
{
    char *a = pool_alloc(&pool);
    char *block = block_of(a);
    expect_refused(block, "foreign-pointer");
    expect_refused(block + sizeof(pool_block_t), "foreign-pointer"); /* the live bitmap */
    expect_refused(a - 8, "foreign-pointer");
    pool_free(&pool, a);
}
END_TEST

/* Past the last whole chunk of a block: the tail is not a chunk. */
START_TEST(pointer_into_block_tail)
{
    char *a = pool_alloc(&pool);
    size_t tail = (BS - pool.first_offset) % pool.stride;
    ck_assert_uint_gt(tail, 0);
    expect_refused(block_of(a) + BS - tail, "foreign-pointer");
    pool_free(&pool, a);
}
END_TEST

START_TEST(never_carved_chunk)
{
    char *a = pool_alloc(&pool);
    expect_refused(a + 5 * OBJ, "double-free");
    expect_refused(a + 1 * OBJ, "double-free"); /* the very next chunk */
    pool_free(&pool, a);
    ck_assert_uint_eq(stats(&pool).live, 0);
}
END_TEST

/* ---- fills: damage found later ---------------------------------------------- */

/* A write into the guard padding of a live object is found when it is
 * freed; the free is refused until the guard is whole again. */
START_TEST(write_past_the_end)
{
    reinit(20, 0);
    char *a = pool_alloc(&pool);
    size_t pad = pool.stride - pool.obj_size;
    ck_assert_uint_eq(pad, 12);
    unsigned char old = sneak_byte(a + 20, pad, 0);
    ck_assert_uint_eq(old, FILL_GUARD);
    sneak_poke(a + 20, pad, 0, 'x'); /* a[20]: one byte too far */
    expect_refused(a, "buffer-overflow");
    ck_assert_uint_eq(stats(&pool).live, 1);
    sneak_poke(a + 20, pad, 0, old);
    pool_free(&pool, a);
    ck_assert_uint_eq(mc.count, 1);
    ck_assert_uint_eq(stats(&pool).live, 0);

    a = pool_alloc(&pool);
    sneak_poke(a + 20, pad, pad - 1, 0); /* the last byte of the padding */
    expect_refused(a, "buffer-overflow");
    sneak_poke(a + 20, pad, pad - 1, FILL_GUARD);
    pool_free(&pool, a);
}
END_TEST

/* A write into a freed object is found when the allocation that would reuse
 * it pops it: it is reported, withheld, and the allocation goes on. */
START_TEST(write_after_free)
{
    char *a = pool_alloc(&pool), *b = pool_alloc(&pool);
    pool_free(&pool, a);
    sneak_poke(a, pool.stride, 40, 0x42);
    ck_assert_uint_eq(mc.count, 0);
    char *c = pool_alloc(&pool);
    ck_assert_uint_eq(mc.count, 1);
    ck_assert_str_eq(mc.last.kind, "use-after-free");
    ck_assert_str_eq(mc.last.allocator, "pool");
    ck_assert_ptr_eq(mc.last.addr, a);
    ck_assert_ptr_nonnull(c);
    ck_assert_ptr_ne(c, a);
    ck_assert_ptr_ne(c, b);
    ck_assert_uint_eq(stats(&pool).live, 2);
    ck_assert_uint_eq(pool_check(&pool), 0);

    /* a stays withheld: churn never hands it out again */
    for (int i = 0; i < 10; i++) {
        char *p = pool_alloc(&pool), *q = pool_alloc(&pool);
        ck_assert(p != a && q != a);
        pool_free(&pool, q);
        pool_free(&pool, p);
    }
    ck_assert_uint_eq(mc.count, 1);
    pool_free(&pool, b);
    pool_free(&pool, c);
    ck_assert_uint_eq(pool_check(&pool), 0);
}
END_TEST

/* Overwriting the link word of a freed object: the link cannot be trusted,
 * so the rest of the list is withheld, and the damaged object with it: a
 * damaged free object is never handed out again. */
START_TEST(freed_link_overwritten)
{
    char *o[5];
    for (int i = 0; i < 5; i++)
        o[i] = pool_alloc(&pool);
    for (int i = 0; i < 4; i++)
        pool_free(&pool, o[i]); /* list: o3 -> o2 -> o1 -> o0 */
    int on_stack;
    void *bogus = &on_stack;
    sneak_write(o[3], pool.stride, 0, &bogus, sizeof bogus);
    char *p = pool_alloc(&pool);
    ck_assert_uint_eq(mc.count, 1);
    ck_assert_str_eq(mc.last.kind, "use-after-free");
    ck_assert_ptr_eq(mc.last.addr, o[3]);
    ck_assert_ptr_eq(p, o[4] + pool.stride); /* o0..o3 withheld: fresh chunks */
    ck_assert_ptr_null(pool.free_list);
    ck_assert_uint_eq(pool_check(&pool), 0);
    char *q = pool_alloc(&pool);
    ck_assert_ptr_eq(q, o[4] + 2 * pool.stride);
    ck_assert_uint_eq(stats(&pool).live, 3);
    ck_assert_uint_eq(pool_check(&pool), 0);
    ck_assert_uint_eq(mc.count, 1);
    pool_free(&pool, p);
    pool_free(&pool, q);
    pool_free(&pool, o[4]);
    ck_assert_uint_eq(pool_check(&pool), 0);
}
END_TEST

/* The link's check word (the second word of a freed object) damaged. */
START_TEST(freed_link_check_overwritten)
{
    char *a = pool_alloc(&pool), *b = pool_alloc(&pool);
    pool_free(&pool, a);
    pool_free(&pool, b);
    sneak_poke(b, pool.stride, sizeof(void *), 0x5A);
    char *p = pool_alloc(&pool);
    ck_assert_uint_eq(mc.count, 1);
    ck_assert_str_eq(mc.last.kind, "use-after-free");
    ck_assert_ptr_ne(p, b); /* b is withheld, and a with the rest of the list */
    ck_assert_ptr_ne(p, a);
    ck_assert_ptr_ne(pool_alloc(&pool), a);
    ck_assert_uint_eq(pool_check(&pool), 0);
}
END_TEST

START_TEST(fresh_objects_hold_fill_fresh)
{
    char *a = pool_alloc(&pool);
    ck_assert_uint_eq(fill_find_damage(a, OBJ, FILL_FRESH), OBJ);
    memset(a, 0, OBJ);
    pool_free(&pool, a);
    ck_assert_uint_eq(sneak_byte(a, pool.stride, pool.stride - 1), FILL_FREED);
    char *again = pool_alloc(&pool);
    ck_assert_ptr_eq(again, a);
    ck_assert_uint_eq(fill_find_damage(a, OBJ, FILL_FRESH), OBJ); /* reused: filled again */
    pool_free(&pool, a);

    reinit(20, 0); /* guard padding after the object */
    a = pool_alloc(&pool);
    ck_assert_uint_eq(fill_find_damage(a, 20, FILL_FRESH), 20);
    unsigned char guard[12];
    sneak_read(a + 20, sizeof guard, 0, guard, sizeof guard);
    ck_assert_uint_eq(fill_find_damage(guard, sizeof guard, FILL_GUARD), sizeof guard);
    pool_free(&pool, a);

    reinit(OBJ, POOL_ZERO); /* zeroing wins over the fresh fill */
    static const char zero[OBJ];
    a = pool_alloc(&pool);
    ck_assert(memcmp(a, zero, OBJ) == 0);
    memset(a, 0x77, OBJ);
    pool_free(&pool, a);
    a = pool_alloc(&pool);
    ck_assert(memcmp(a, zero, OBJ) == 0);
    pool_free(&pool, a);
    ck_assert_uint_eq(mc.count, 0);
}
END_TEST

/* ---- default handler: death tests ----------------------------------------------- */

static void setup_default(void)
{
    failing_source_init(&fs, NULL);
    pool_config_t cfg = checked_config(OBJ);
    ck_assert_int_eq(pool_init(&pool, &cfg), 0);
    ck_assert_int_eq(pool_init(&other, &cfg), 0);
    misuse_set_handler(NULL, NULL);
}

static void teardown_default(void)
{
    pool_destroy(&pool);
    pool_destroy(&other);
}

START_TEST(double_free_aborts)
{
    void *a = pool_alloc(&pool);
    pool_free(&pool, a);
    misuse_silence_stderr();
    pool_free(&pool, a);
    ck_abort_msg("double free returned with the default handler");
}
END_TEST

START_TEST(foreign_pointer_aborts)
{
    void *theirs = pool_alloc(&other);
    misuse_silence_stderr();
    pool_free(&pool, theirs);
    ck_abort_msg("foreign pointer returned with the default handler");
}
END_TEST

/* Runs a double free in a child whose stderr is a pipe; returns what the
 * child wrote, and its wait status in *status. */
static char *stderr_of_double_free(int *status)
{
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    fflush(NULL);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        dup2(fds[1], STDERR_FILENO);
        close(fds[0]);
        close(fds[1]);
        void *a = pool_alloc(&pool);
        pool_free(&pool, a);
        fprintf(stderr, "%p|", a);
        pool_free(&pool, a);
        _exit(0); /* not reached with the default handler */
    }
    close(fds[1]);
    static char buf[1024];
    size_t n = 0;
    ssize_t r;
    while (n < sizeof buf - 1 && (r = read(fds[0], buf + n, sizeof buf - 1 - n)) > 0)
        n += (size_t)r;
    buf[n] = '\0';
    close(fds[0]);
    ck_assert_int_eq(waitpid(pid, status, 0), pid);
    return buf;
}

START_TEST(default_handler_names_pool_and_rule)
{
    int status;
    char *out = stderr_of_double_free(&status);
    ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT,
                  "the child did not abort (status %d)", status);
    char *bar = strchr(out, '|');
    ck_assert_ptr_nonnull(bar);
    *bar = '\0';
    const char *addr = out, *msg = bar + 1;
    ck_assert_msg(strstr(msg, "pool") != NULL, "no allocator named in: %s", msg);
    ck_assert_msg(strstr(msg, "double-free") != NULL, "no rule named in: %s", msg);
    ck_assert_msg(strstr(msg, addr) != NULL, "pointer %s not named in: %s", addr, msg);
    ck_assert_msg(strchr(msg, '\n') == msg + strlen(msg) - 1, "not one line: %s", msg);
}
END_TEST

Suite *pool_misuse_suite(void)
{
    Suite *s = suite_create("pool-misuse");
    TCase *tc = tcase_create("checked");
    tcase_set_tags(tc, "edge 01-checked");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, double_free);
    tcase_add_test(tc, pointer_from_another_pool);
    tcase_add_test(tc, interior_pointer);
    tcase_add_test(tc, misaligned_pointer);
    tcase_add_test(tc, pointer_into_block_header);
    tcase_add_test(tc, pointer_into_block_tail);
    tcase_add_test(tc, never_carved_chunk);
    suite_add_tcase(s, tc);

    tc = tcase_create("fills");
    tcase_set_tags(tc, "edge");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, write_past_the_end);
    tcase_add_test(tc, write_after_free);
    tcase_add_test(tc, freed_link_overwritten);
    tcase_add_test(tc, freed_link_check_overwritten);
    tcase_add_test(tc, fresh_objects_hold_fill_fresh);
    suite_add_tcase(s, tc);

    tc = tcase_create("default-handler");
    tcase_set_tags(tc, "misuse");
    tcase_add_checked_fixture(tc, setup_default, teardown_default);
    tcase_add_test_raise_signal(tc, double_free_aborts, SIGABRT);
    tcase_add_test_raise_signal(tc, foreign_pointer_aborts, SIGABRT);
    tcase_add_test(tc, default_handler_names_pool_and_rule);
    suite_add_tcase(s, tc);
    return s;
}

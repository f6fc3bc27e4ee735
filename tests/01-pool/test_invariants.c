/*
 * test_invariants.c - stage 01's checker, pool_check(), on purpose-made
 * damage.
 *
 * Each test corrupts exactly one thing (a free-list link, a counter, a block
 * header, a live bit, a fill byte), expects the exact number of broken
 * invariants pool_check() must report for it, then undoes the damage and
 * expects 0 again, so the teardown can destroy the pool normally.
 *
 * The counts follow from how pool_check() walks (see pool_check.c): a
 * broken link ends the walk it breaks and counts once, and the counters are
 * compared only when both walks completed.  Writes into free chunks go
 * through sneak.h, so that memcheck and ASan, which rightly consider those
 * bytes off limits, do not report the test's own damage.
 *
 * A last TCase (tag misuse, a death test) shows the pool's debug assertion
 * stopping a page source that ignores the alignment it was asked for.
 */
#define _POSIX_C_SOURCE 200809L
#include <check.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "failing_source.h"
#include "fill.h"
#include "pool.h"
#include "sneak.h"

#define BS 4096u

static failing_source_t fs;
static pool_t pool;

static void setup(void)
{
    failing_source_init(&fs, NULL);
    pool_config_t cfg = {.obj_size = 24, .block_size = BS, .source = &fs.base};
    ck_assert_int_eq(pool_init(&pool, &cfg), 0);
}

static void teardown(void)
{
    ck_assert_uint_eq(pool_check(&pool), 0);
    pool_destroy(&pool);
    ck_assert_uint_eq(fs.live_bytes, 0);
}

/* Replaces the fixture's pool by a checked one with 64-byte objects. */
static void reinit_checked(void)
{
    pool_destroy(&pool);
    pool_config_t cfg = {.obj_size = 64, .block_size = BS, .source = &fs.base,
                         .flags = POOL_CHECKED};
    ck_assert_int_eq(pool_init(&pool, &cfg), 0);
}

#define EXPECT_CHECK(n, what)                                                     \
    do {                                                                          \
        size_t found_ = pool_check(&pool);                                        \
        ck_assert_msg(found_ == (size_t)(n), "%s: pool_check() found %zu, expected %zu", \
                      what, found_, (size_t)(n));                                 \
    } while (0)

/* The free-list link stored in the first word of the free chunk c. */
static void *link_get(void *c)
{
    void *next;
    sneak_read(c, pool.stride, 0, &next, sizeof next);
    return next;
}

static void link_set(void *c, const void *next)
{
    sneak_write(c, pool.stride, 0, &next, sizeof next);
}

static pool_block_t *block_of(const void *obj)
{
    return (pool_block_t *)((uintptr_t)obj & ~(uintptr_t)(BS - 1));
}

/* Bit i of a block's live bitmap (checked mode): it follows the header. */
static uint64_t *bitmap_word(const void *obj)
{
    pool_block_t *b = block_of(obj);
    size_t i = (size_t)((const char *)obj - ((char *)b + pool.first_offset)) / pool.stride;
    return (uint64_t *)(b + 1) + i / 64;
}

static uint64_t bitmap_bit(const void *obj)
{
    pool_block_t *b = block_of(obj);
    size_t i = (size_t)((const char *)obj - ((char *)b + pool.first_offset)) / pool.stride;
    return (uint64_t)1 << (i % 64);
}

/* a, b, c allocated, then freed in that order: the list is c -> b -> a. */
static void three_free(char **a, char **b, char **c)
{
    *a = pool_alloc(&pool);
    *b = pool_alloc(&pool);
    *c = pool_alloc(&pool);
    ck_assert(*a && *b && *c);
    pool_free(&pool, *a);
    pool_free(&pool, *b);
    pool_free(&pool, *c);
    EXPECT_CHECK(0, "three free chunks");
}

/* ---- the free list ---------------------------------------------------------- */

START_TEST(link_outside_the_blocks)
{
    char *a, *b, *c;
    three_free(&a, &b, &c);
    int on_stack = 0;
    void *old = link_get(c);
    ck_assert_ptr_eq(old, b);
    link_set(c, &on_stack);
    EXPECT_CHECK(1, "link to a stack variable");
    link_set(c, old);
    EXPECT_CHECK(0, "link restored");

    void *head = pool.free_list;
    pool.free_list = &on_stack;
    EXPECT_CHECK(1, "list head outside the blocks");
    pool.free_list = head;
}
END_TEST

/* After a reset, blocks past the carve block hold no carved chunk: a link
 * into one of them is damage, even though it names a chunk start. */
START_TEST(link_into_a_block_not_carved_since_reset)
{
    size_t per = pool.per_block;
    for (size_t i = 0; i <= per; i++) /* two blocks */
        ck_assert_ptr_nonnull(pool_alloc(&pool));
    ck_assert_ptr_nonnull(pool.head->next);
    pool_reset(&pool);
    char *a = pool_alloc(&pool); /* carved from the first block again */
    pool_free(&pool, a);
    EXPECT_CHECK(0, "one free chunk after the reset");
    char *second = (char *)pool.head->next + pool.first_offset;
    link_set(second, NULL); /* a walk into it would end cleanly, one chunk long */
    void *head = pool.free_list;
    pool.free_list = second;
    EXPECT_CHECK(1, "list head in a block not carved since the reset");
    pool.free_list = head;
    EXPECT_CHECK(0, "restored");
}
END_TEST

START_TEST(free_list_cycle)
{
    char *a, *b, *c;
    three_free(&a, &b, &c);
    ck_assert_ptr_null(link_get(a));
    link_set(a, c);
    EXPECT_CHECK(1, "last free chunk linked to the first");
    link_set(a, NULL);
    EXPECT_CHECK(0, "cycle undone");

    void *old = link_get(c);
    link_set(c, c);
    EXPECT_CHECK(1, "a chunk linked to itself");
    link_set(c, old);
}
END_TEST

/* _i picks a target inside a block that is not a free chunk's start. */
START_TEST(link_into_a_block_but_not_to_a_chunk)
{
    char *a, *b, *c;
    three_free(&a, &b, &c);
    char *block = (char *)block_of(a);
    const struct {
        const char *what;
        const void *target;
    } targets[] = {
        {"interior of a chunk", b + 8},
        {"misaligned address", b + 1},
        {"block header", block},
        {"live bitmap / header padding", block + sizeof(pool_block_t)},
        {"never-carved chunk", c + pool.stride},
        {"last bytes of the block", block + BS - 8},
    };
    void *old = link_get(c);
    link_set(c, targets[_i].target);
    EXPECT_CHECK(1, targets[_i].what);
    link_set(c, old);
}
END_TEST

/* A link to a live object makes the walk take that object for free: the
 * counts no longer add up, once. */
START_TEST(link_to_a_live_object)
{
    char *a = pool_alloc(&pool), *b = pool_alloc(&pool), *c = pool_alloc(&pool);
    void **live = pool_alloc(&pool);
    pool_free(&pool, a);
    pool_free(&pool, b);
    pool_free(&pool, c);
    *live = NULL;                        /* reads as the end of the list */
    void *old = link_get(c);
    link_set(c, live);
    EXPECT_CHECK(1, "link to a live object");
    link_set(c, old);
    EXPECT_CHECK(0, "restored");
    pool_free(&pool, live);
}
END_TEST

/* ---- counters ----------------------------------------------------------------- */

START_TEST(live_count_wrong)
{
    char *o[3];
    for (int i = 0; i < 3; i++)
        o[i] = pool_alloc(&pool);
    pool_free(&pool, o[1]); /* live 2, peak 3: live++ keeps peak >= live */
    pool.live++;
    EXPECT_CHECK(1, "live one too high");
    pool.live -= 2;
    EXPECT_CHECK(1, "live one too low");
    pool.live++;
    EXPECT_CHECK(0, "restored");
    pool_free(&pool, o[0]);
    pool_free(&pool, o[2]);
}
END_TEST

START_TEST(peak_below_live)
{
    void *o[3];
    for (int i = 0; i < 3; i++)
        o[i] = pool_alloc(&pool);
    pool.peak_live = pool.live - 1;
    EXPECT_CHECK(1, "peak_live < live");
    pool.peak_live = 3;
    for (int i = 0; i < 3; i++)
        pool_free(&pool, o[i]);
}
END_TEST

START_TEST(carved_and_quarantined_counts_wrong)
{
    char *a, *b, *c;
    three_free(&a, &b, &c);
    pool.carved++;
    EXPECT_CHECK(1, "carved one too high");
    pool.carved--;
    pool.quarantined++;
    EXPECT_CHECK(1, "quarantined one too high");
    pool.quarantined--;
}
END_TEST

START_TEST(bytes_from_source_wrong)
{
    void *a = pool_alloc(&pool);
    pool.bytes_from_source += 1;
    EXPECT_CHECK(1, "bytes_from_source off by one");
    pool.bytes_from_source -= 1;
    pool_free(&pool, a);
}
END_TEST

/* The block count feeds two invariants: the chain's length and
 * bytes_from_source == blocks * block_size. */
START_TEST(block_count_wrong)
{
    void *a = pool_alloc(&pool);
    pool.blocks++;
    EXPECT_CHECK(2, "blocks one too high");
    pool.blocks--;
    pool_free(&pool, a);
}
END_TEST

/* ---- the block chain ---------------------------------------------------------- */

/* Two blocks, the second one the carve block. */
static void *two_blocks(void **first)
{
    size_t per_block = (BS - pool.first_offset) / pool.stride;
    *first = pool_alloc(&pool);
    for (size_t i = 1; i < per_block; i++)
        ck_assert_ptr_nonnull(pool_alloc(&pool));
    void *second = pool_alloc(&pool);
    ck_assert_uint_eq(pool.blocks, 2);
    ck_assert_ptr_ne(block_of(*first), block_of(second));
    return second;
}

START_TEST(block_next_misaligned)
{
    void *first;
    two_blocks(&first);
    pool_block_t *head = pool.head, *next = head->next;
    head->next = (pool_block_t *)((char *)next + 8);
    EXPECT_CHECK(1, "a block's next pointer misaligned");
    head->next = next;
}
END_TEST

START_TEST(block_chain_cycle)
{
    void *first;
    two_blocks(&first);
    pool.tail->next = pool.head;
    EXPECT_CHECK(1, "the last block linked to the first");
    pool.tail->next = NULL;
}
END_TEST

START_TEST(block_header_owner_or_cookie_wrong)
{
    void *first;
    two_blocks(&first);
    pool_block_t *b = _i ? pool.tail : pool.head;
    const pool_t *owner = b->owner;
    b->owner = (const pool_t *)&fs;
    EXPECT_CHECK(1, "a block's owner wrong");
    b->owner = owner;
    b->cookie ^= 1;
    EXPECT_CHECK(1, "a block's cookie wrong");
    b->cookie ^= 1;
}
END_TEST

START_TEST(pool_block_pointers_wrong)
{
    void *first;
    two_blocks(&first);
    pool_block_t *head = pool.head, *tail = pool.tail, *carve = pool.carve;

    pool.head = (pool_block_t *)((char *)head + 16);
    EXPECT_CHECK(1, "head misaligned");
    pool.head = head;

    pool.tail = head;
    EXPECT_CHECK(1, "tail is not the last block");
    pool.tail = tail;

    static _Alignas(BS) pool_block_t elsewhere; /* aligned, but not on the chain */
    pool.carve = &elsewhere;
    EXPECT_CHECK(1, "carve block not on the chain");
    pool.carve = carve;
}
END_TEST

/* ---- checked mode: live bitmaps and freed fill ----------------------------------- */

START_TEST(live_bit_of_a_live_chunk_cleared)
{
    reinit_checked();
    char *a = pool_alloc(&pool), *b = pool_alloc(&pool), *c = pool_alloc(&pool);
    pool_free(&pool, a);
    EXPECT_CHECK(0, "two live, one free");
    *bitmap_word(b) &= ~bitmap_bit(b);
    EXPECT_CHECK(1, "live bit of a live chunk cleared");
    *bitmap_word(b) |= bitmap_bit(b);
    pool_free(&pool, b);
    pool_free(&pool, c);
}
END_TEST

/* A free chunk marked live breaks two invariants: the chunk's own bit, and
 * the sum of the bitmaps. */
START_TEST(live_bit_of_a_free_chunk_set)
{
    reinit_checked();
    char *a = pool_alloc(&pool), *b = pool_alloc(&pool);
    pool_free(&pool, a);
    *bitmap_word(a) |= bitmap_bit(a);
    EXPECT_CHECK(2, "live bit of a free chunk set");
    *bitmap_word(a) &= ~bitmap_bit(a);

    char *never = b + 5 * pool.stride; /* never carved: only the sum is off */
    *bitmap_word(never) |= bitmap_bit(never);
    EXPECT_CHECK(1, "live bit of a never-carved chunk set");
    *bitmap_word(never) &= ~bitmap_bit(never);
    pool_free(&pool, b);
}
END_TEST

START_TEST(freed_fill_damaged)
{
    reinit_checked();
    char *a, *b, *c;
    three_free(&a, &b, &c);
    size_t body = 2 * sizeof(void *); /* after the link and its check */
    size_t offsets[] = {body, pool.stride - 1};
    for (int i = 0; i < 2; i++) {
        size_t off = offsets[i];
        unsigned char old = sneak_byte(b, pool.stride, off);
        ck_assert_uint_eq(old, FILL_FREED);
        sneak_poke(b, pool.stride, off, (unsigned char)~FILL_FREED);
        EXPECT_CHECK(1, "one byte of a freed chunk written");
        sneak_poke(a, pool.stride, off, 0);
        EXPECT_CHECK(2, "and one of another");
        sneak_poke(a, pool.stride, off, old);
        sneak_poke(b, pool.stride, off, old);
        EXPECT_CHECK(0, "restored");
    }
}
END_TEST

/* The second word of a free chunk holds its link ^ the pool's secret: a
 * write there is damage to the list, found before the link is followed,
 * and ends the walk (one count, even with the rest of the list unread). */
START_TEST(link_check_word_damaged)
{
    reinit_checked();
    char *a, *b, *c;
    three_free(&a, &b, &c);
    uintptr_t old, bad;
    sneak_read(b, pool.stride, sizeof(void *), &old, sizeof old);
    bad = old ^ 1;
    sneak_write(b, pool.stride, sizeof(void *), &bad, sizeof bad);
    EXPECT_CHECK(1, "check word of a freed chunk written");
    sneak_write(b, pool.stride, sizeof(void *), &old, sizeof old);
    EXPECT_CHECK(0, "restored");
}
END_TEST

/* ---- a page source that ignores alignment (death test) -------------------------- */

START_TEST(misaligned_source_is_caught)
{
    failing_source_t bad;
    failing_source_init(&bad, NULL);
    bad.misaligned = true;
    pool_t p;
    pool_config_t cfg = {.obj_size = 24, .block_size = BS, .source = &bad.base};
    ck_assert_int_eq(pool_init(&p, &cfg), 0);
    int devnull = open("/dev/null", O_WRONLY); /* the expected message is noise */
    if (devnull >= 0)
        dup2(devnull, STDERR_FILENO);
    pool_alloc(&p); /* the block is 16 bytes past its alignment: SC_ASSERT aborts */
    ck_abort_msg("a block not aligned to its size was accepted");
}
END_TEST

Suite *pool_invariants_suite(void)
{
    Suite *s = suite_create("pool-invariants");
    TCase *tc = tcase_create("invariants");
    tcase_set_tags(tc, "invariants");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, link_outside_the_blocks);
    tcase_add_test(tc, link_into_a_block_not_carved_since_reset);
    tcase_add_test(tc, free_list_cycle);
    tcase_add_loop_test(tc, link_into_a_block_but_not_to_a_chunk, 0, 6);
    tcase_add_test(tc, link_to_a_live_object);
    tcase_add_test(tc, live_count_wrong);
    tcase_add_test(tc, peak_below_live);
    tcase_add_test(tc, carved_and_quarantined_counts_wrong);
    tcase_add_test(tc, bytes_from_source_wrong);
    tcase_add_test(tc, block_count_wrong);
    tcase_add_test(tc, block_next_misaligned);
    tcase_add_test(tc, block_chain_cycle);
    tcase_add_loop_test(tc, block_header_owner_or_cookie_wrong, 0, 2);
    tcase_add_test(tc, pool_block_pointers_wrong);
    tcase_add_test(tc, live_bit_of_a_live_chunk_cleared);
    tcase_add_test(tc, live_bit_of_a_free_chunk_set);
    tcase_add_test(tc, freed_fill_damaged);
    tcase_add_test(tc, link_check_word_damaged);
    suite_add_tcase(s, tc);

#ifndef NDEBUG /* SC_ASSERT is compiled out with NDEBUG */
    tc = tcase_create("assertions");
    tcase_set_tags(tc, "misuse");
    tcase_add_test_raise_signal(tc, misaligned_source_is_caught, SIGABRT);
    suite_add_tcase(s, tc);
#endif
    return s;
}

/*
 * test_ex_checked.c - stage 01, exercise 01-checked: the rule "O(1): never
 * walk the block chain or the free list", made visible.
 *
 * A checked pool with several blocks and a long free list judges bad frees
 * and a legal one while its block chain is hidden (head and tail NULL) and,
 * for the bad frees, while its free list points at a page that may not be
 * read.  A free_problem() that finds blocks by masking gives the same
 * answers as ever; one that walks the chain calls every pointer foreign,
 * and one that searches the free list faults.  The pool is put back before
 * it is checked and destroyed.
 */
#define _DEFAULT_SOURCE
#include <check.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "misuse_counter.h"
#include "pool.h"

#define BS 4096u
#define OBJ 40u
#define N 400u /* several blocks' worth */

/* Frees bad and expects one report of kind; want NULL: a legal free. */
static void judged(pool_t *p, misuse_counter_t *mc, void *obj, const char *want)
{
    size_t before = mc->count;
    pool_free(p, obj);
    if (want == NULL) {
        ck_assert_msg(mc->count == before, "with the block chain hidden, a legal free was "
                      "reported as %s: find the block by masking, not by walking p->head",
                      mc->last.kind);
        return;
    }
    ck_assert_msg(mc->count == before + 1 && strcmp(mc->last.kind, want) == 0,
                  "with the block chain and the free list hidden, a %s was reported as %s: "
                  "free_problem() must find the block by masking, never walk p->head or "
                  "p->free_list", want, mc->count == before ? "nothing" : mc->last.kind);
}

START_TEST(free_problem_walks_no_list)
{
    pool_t pool, other;
    pool_config_t cfg = {.obj_size = OBJ, .block_size = BS, .flags = POOL_CHECKED};
    ck_assert_int_eq(pool_init(&pool, &cfg), 0);
    ck_assert_int_eq(pool_init(&other, &cfg), 0);
    void *o[N];
    for (size_t i = 0; i < N; i++)
        ck_assert_ptr_nonnull(o[i] = pool_alloc(&pool));
    for (size_t i = 0; i < N; i += 2)
        pool_free(&pool, o[i]);
    void *stranger = pool_alloc(&other);
    ck_assert_ptr_nonnull(stranger);
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    void *unreadable = mmap(NULL, page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ck_assert_ptr_ne(unreadable, MAP_FAILED);

    misuse_counter_t mc;
    misuse_counter_install(&mc);
    pool_block_t *head = pool.head, *tail = pool.tail;
    void *list = pool.free_list;
    pool.head = pool.tail = NULL;
    pool.free_list = unreadable;
    /* A signal 11 (segmentation fault) reported at mark_point() below means
     * free_problem() read p->free_list: it searches the free list for a
     * double free, where the live bitmap answers in O(1). */
    mark_point();
    judged(&pool, &mc, o[N - 2], "double-free");  /* freed, in the last block */
    judged(&pool, &mc, (char *)o[N - 1] + 16, "interior-pointer");
    judged(&pool, &mc, stranger, "foreign-pointer");
    pool.free_list = list;
    judged(&pool, &mc, o[N - 1], NULL);            /* live, in the last block */
    pool.head = head;
    pool.tail = tail;
    misuse_counter_remove();

    munmap(unreadable, page);
    ck_assert_uint_eq(pool_check(&pool), 0);
    pool_free(&other, stranger);
    pool_destroy(&pool);
    pool_destroy(&other);
}
END_TEST

Suite *pool_ex_checked_suite(void)
{
    Suite *s = suite_create("pool-ex-checked");
    TCase *tc = tcase_create("checked-o1");
    tcase_set_tags(tc, "edge 01-checked");
    tcase_add_test(tc, free_problem_walks_no_list);
    suite_add_tcase(s, tc);
    return s;
}

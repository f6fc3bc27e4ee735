/*
 * test_ex_slots.c - stage 03, exercise 03-slots: slot_take() and
 * slot_give_back(), the free list of the handle table with its
 * generations and its retirement.
 *
 *   lifo        a freed slot is the next one taken, the last freed first,
 *               and a fresh slot only when the free list is empty
 *   generation  each reuse of a slot carries the next generation, and every
 *               earlier handle of the slot stays stale
 *   retirement  with index_bits 28 (15 generations) a slot whose generation
 *               15 dies is retired: never taken again, counted in
 *               arena_stats_t::retired, its handles stale, arena_reset()
 *               included; retired slots count toward max_handles
 *   limits      ENOSPC at max_handles and when the index bits are used up,
 *               ENOMEM when the table cannot grow, and a slot taken for an
 *               object whose memory is refused goes back exactly where it
 *               was: after each failure nothing has changed
 *
 * arena_check() runs after every step: a slot given back onto no list, or
 * a free count that disagrees with the list, shows there first.
 */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "arena.h"
#include "arena_internal.h"
#include "failing_source.h"

/* What a failed call must leave as it was. */
typedef struct slots_state {
    arena_stats_t st;
    uint32_t used, capacity, free_head;
} slots_state_t;

static slots_state_t slots_state(const arena_t *a)
{
    slots_state_t s = {.used = a->used, .capacity = a->capacity, .free_head = a->free_head};
    arena_stats(a, &s.st);
    return s;
}

static void slots_same(const slots_state_t *was, const arena_t *a, const char *what)
{
    slots_state_t now = slots_state(a);
    ck_assert_msg(memcmp(&was->st, &now.st, sizeof now.st) == 0 && was->used == now.used &&
                  was->capacity == now.capacity && was->free_head == now.free_head,
                  "%s changed the arena: slots in use %zu -> %zu, free %zu -> %zu, retired "
                  "%zu -> %zu, used %u -> %u, free_head %u -> %u (a call that fails must "
                  "leave everything as it was)", what, was->st.slots, now.st.slots,
                  was->st.free_slots, now.st.free_slots, was->st.retired, now.st.retired,
                  was->used, now.used, was->free_head, now.free_head);
}

static void slots_checked(const arena_t *a, const char *after)
{
    size_t bad = arena_check(a);
    arena_stats_t st;
    arena_stats(a, &st);
    ck_assert_msg(bad == 0, "after %s, arena_check() finds %zu broken invariants (%zu slots in "
                  "use, %zu free, %zu retired, %u used): every slot given back must be on the "
                  "free list (and counted in free_count) or retired (and counted in retired)",
                  after, bad, st.slots, st.free_slots, st.retired, a->used - 1u);
}

static handle_t slots_alloc(arena_t *a, size_t size)
{
    errno = 0;
    handle_t h = arena_alloc(a, size);
    ck_assert_msg(h != HANDLE_NULL, "arena_alloc(%zu) failed (errno %d) where a slot is left",
                  size, errno);
    ck_assert_msg(arena_get(a, h) != NULL, "a new handle does not resolve");
    return h;
}

static void slots_release(arena_t *a, handle_t h)
{
    ck_assert_int_eq(arena_release(a, h), 0);
    ck_assert_msg(arena_get(a, h) == NULL, "a released handle still resolves");
}

START_TEST(slots_reuse_is_lifo)
{
    arena_t a;
    ck_assert_int_eq(arena_init(&a, &(arena_config_t){0}), 0);
    handle_t h[5];
    for (int k = 0; k < 5; k++)
        h[k] = slots_alloc(&a, 24);
    uint32_t s1 = handle_slot(&a, h[1]), s3 = handle_slot(&a, h[3]);
    slots_release(&a, h[1]);
    slots_release(&a, h[3]);
    slots_checked(&a, "two releases");
    arena_stats_t st;
    arena_stats(&a, &st);
    ck_assert_msg(st.free_slots == 2, "two slots were given back, free_slots says %zu",
                  st.free_slots);
    handle_t n1 = slots_alloc(&a, 24), n2 = slots_alloc(&a, 24), n3 = slots_alloc(&a, 24);
    ck_assert_msg(handle_slot(&a, n1) == s3 && handle_slot(&a, n2) == s1,
                  "after freeing slot %u and then slot %u, the next objects went to slots %u and "
                  "%u: the free list is last in, first out (slot %u, then %u)", s1, s3,
                  handle_slot(&a, n1), handle_slot(&a, n2), s3, s1);
    uint32_t fresh = handle_slot(&a, h[4]) + 1;
    ck_assert_msg(handle_slot(&a, n3) == fresh && handle_gen(&a, n3) == 1,
                  "with the free list empty, the next object went to slot %u generation %u, "
                  "not to the fresh slot %u generation 1", handle_slot(&a, n3),
                  handle_gen(&a, n3), fresh);
    arena_stats(&a, &st);
    ck_assert_msg(st.free_slots == 0 && st.slots == 6, "free_slots %zu, slots %zu: want 0, 6",
                  st.free_slots, st.slots);
    slots_checked(&a, "reusing both");
    arena_destroy(&a);
}
END_TEST

START_TEST(slots_generation_goes_up_by_one)
{
    arena_t a;
    ck_assert_int_eq(arena_init(&a, &(arena_config_t){.index_bits = 16}), 0);
    enum { ROUNDS = 1000 };
    static handle_t old[ROUNDS];
    handle_t keep = slots_alloc(&a, 8); /* slot 1 stays live throughout */
    for (int r = 0; r < ROUNDS; r++) {
        old[r] = slots_alloc(&a, 8);
        ck_assert_msg(handle_slot(&a, old[r]) == 2 && handle_gen(&a, old[r]) == (uint32_t)r + 1,
                      "round %d: the object went to slot %u generation %u, want slot 2 "
                      "generation %d (the slot freed last, one generation up)", r,
                      handle_slot(&a, old[r]), handle_gen(&a, old[r]), r + 1);
        slots_release(&a, old[r]);
    }
    for (int r = 0; r < ROUNDS; r++)
        ck_assert_msg(arena_get(&a, old[r]) == NULL, "generation %d of slot 2 resolves again",
                      r + 1);
    ck_assert_ptr_nonnull(arena_get(&a, keep));
    slots_checked(&a, "a thousand reuses of one slot");
    arena_destroy(&a);
}
END_TEST

START_TEST(slots_retire_at_gen_max)
{
    arena_t a;
    ck_assert_int_eq(arena_init(&a, &(arena_config_t){.index_bits = 28}), 0);
    ck_assert_uint_eq(a.gen_max, 15);
    handle_t seen[16];
    for (uint32_t g = 1; g <= 15; g++) {
        seen[g] = slots_alloc(&a, 16);
        ck_assert_msg(handle_slot(&a, seen[g]) == 1 && handle_gen(&a, seen[g]) == g,
                      "object %u went to slot %u generation %u, want slot 1 generation %u", g,
                      handle_slot(&a, seen[g]), handle_gen(&a, seen[g]), g);
        slots_release(&a, seen[g]);
        slots_checked(&a, "a release");
    }
    arena_stats_t st;
    arena_stats(&a, &st);
    ck_assert_msg(st.retired == 1 && st.free_slots == 0,
                  "slot 1 has used its last generation (15 with index_bits 28): it must be "
                  "retired, not free (retired %zu, free_slots %zu)", st.retired, st.free_slots);
    handle_t next = slots_alloc(&a, 16);
    ck_assert_msg(handle_slot(&a, next) == 2 && handle_gen(&a, next) == 1,
                  "after slot 1 retired, the next object went to slot %u generation %u: a "
                  "retired slot is never taken again (generation 16 would wrap to 0)",
                  handle_slot(&a, next), handle_gen(&a, next));
    for (uint32_t g = 1; g <= 15; g++)
        ck_assert_ptr_null(arena_get(&a, seen[g]));
    ck_assert_ptr_null(arena_get(&a, handle_make(&a, 0, 1)));
    slots_checked(&a, "the retirement");

    /* arena_reset() gives slots back the same way: a slot at generation 15
     * retires there too, and no handle of it comes back */
    slots_release(&a, next);
    for (uint32_t g = 2; g < 15; g++)
        slots_release(&a, slots_alloc(&a, 16)); /* slot 2, generations 2..14 in turn */
    ck_assert_uint_eq(a.free_head, 2);
    handle_t last = slots_alloc(&a, 16);
    ck_assert_msg(handle_slot(&a, last) == 2 && handle_gen(&a, last) == 15,
                  "slot %u generation %u, want slot 2 generation 15", handle_slot(&a, last),
                  handle_gen(&a, last));
    arena_reset(&a);
    arena_stats(&a, &st);
    ck_assert_msg(st.retired == 2 && st.free_slots == 0 && st.slots == 0,
                  "after arena_reset() of slot 2 at generation 15: retired %zu, free %zu, "
                  "slots %zu; want 2, 0, 0", st.retired, st.free_slots, st.slots);
    ck_assert_ptr_null(arena_get(&a, last));
    handle_t after = slots_alloc(&a, 16);
    ck_assert_uint_eq(handle_slot(&a, after), 3);
    slots_checked(&a, "arena_reset()");
    arena_destroy(&a);
}
END_TEST

START_TEST(slots_enospc_at_max_handles)
{
    arena_t a;
    ck_assert_int_eq(arena_init(&a, &(arena_config_t){.max_handles = 5}), 0);
    handle_t h[5];
    for (int k = 0; k < 5; k++)
        h[k] = slots_alloc(&a, 40);
    slots_state_t was = slots_state(&a);
    errno = 0;
    handle_t no = arena_alloc(&a, 40);
    ck_assert_msg(no == HANDLE_NULL && errno == ENOSPC, "the 6th object with max_handles 5: "
                  "handle %u, errno %d; want HANDLE_NULL and ENOSPC (%d)", no, errno, ENOSPC);
    slots_same(&was, &a, "arena_alloc() refused with ENOSPC");
    slots_checked(&a, "ENOSPC");
    slots_release(&a, h[2]);
    handle_t again = slots_alloc(&a, 40);
    ck_assert_uint_eq(handle_slot(&a, again), handle_slot(&a, h[2]));
    arena_destroy(&a);

    /* the index bits used up: index_bits 8 names slots 1..255 */
    ck_assert_int_eq(arena_init(&a, &(arena_config_t){.index_bits = 8}), 0);
    for (int k = 0; k < 255; k++)
        slots_alloc(&a, 8);
    was = slots_state(&a);
    errno = 0;
    ck_assert_msg(arena_alloc(&a, 8) == HANDLE_NULL && errno == ENOSPC,
                  "index_bits 8 leaves 255 slots (slot 0 names nothing): the 256th object must "
                  "fail with ENOSPC (errno %d)", errno);
    slots_same(&was, &a, "arena_alloc() refused with ENOSPC");
    arena_destroy(&a);

    /* retired slots count toward max_handles: 3 slots x 15 generations */
    ck_assert_int_eq(arena_init(&a, &(arena_config_t){.index_bits = 28, .max_handles = 3}), 0);
    for (int k = 0; k < 45; k++)
        slots_release(&a, slots_alloc(&a, 8));
    arena_stats_t st;
    arena_stats(&a, &st);
    ck_assert_msg(st.retired == 3, "45 objects in 3 slots of 15 generations: %zu retired, want "
                  "3", st.retired);
    was = slots_state(&a);
    errno = 0;
    ck_assert_msg(arena_alloc(&a, 8) == HANDLE_NULL && errno == ENOSPC,
                  "every slot allowed by max_handles is retired: the next object must fail "
                  "with ENOSPC (errno %d)", errno);
    slots_same(&was, &a, "arena_alloc() refused with ENOSPC");
    slots_checked(&a, "retiring every slot");
    arena_destroy(&a);
}
END_TEST

START_TEST(slots_failures_change_nothing)
{
    failing_source_t fs;
    failing_source_init(&fs, NULL);
    arena_t a;
    arena_config_t cfg = {.slabs = {.source = &fs.base, .max_bytes = (size_t)4 << 20}};
    ck_assert_int_eq(arena_init(&a, &cfg), 0);

    /* the first page of the table refused */
    failing_source_fail_after(&fs, 0);
    slots_state_t was = slots_state(&a);
    errno = 0;
    ck_assert(arena_alloc(&a, 32) == HANDLE_NULL && errno == ENOMEM);
    slots_same(&was, &a, "arena_alloc() refused with ENOMEM (no table page)");
    failing_source_recover(&fs);

    /* fill page 0 (slots 1..63), then page 1 refused */
    for (uint32_t k = 1; k < ARENA_PAGE0_SLOTS; k++)
        slots_alloc(&a, 32);
    failing_source_fail_after(&fs, 0);
    was = slots_state(&a);
    errno = 0;
    ck_assert_msg(arena_alloc(&a, 32) == HANDLE_NULL && errno == ENOMEM,
                  "with page 0 full and the source refusing page 1, want HANDLE_NULL and "
                  "ENOMEM (errno %d)", errno);
    slots_same(&was, &a, "arena_alloc() refused with ENOMEM (the table could not grow)");
    slots_checked(&a, "ENOMEM");
    failing_source_recover(&fs);

    /* a free slot taken, then the object's memory refused (beyond the cap):
     * the slot goes back with the generation it had */
    handle_t h = slots_alloc(&a, 32);
    uint32_t s = handle_slot(&a, h), g = handle_gen(&a, h);
    slots_release(&a, h);
    was = slots_state(&a);
    errno = 0;
    ck_assert(arena_alloc(&a, (size_t)8 << 20) == HANDLE_NULL && errno == ENOMEM);
    slots_same(&was, &a, "arena_alloc() of an object beyond max_bytes");
    handle_t n = slots_alloc(&a, 32);
    ck_assert_msg(handle_slot(&a, n) == s && handle_gen(&a, n) == g + 1,
                  "after a refused object, the next one went to slot %u generation %u; want "
                  "slot %u generation %u (the refused one must not use up a generation)",
                  handle_slot(&a, n), handle_gen(&a, n), s, g + 1);
    slots_checked(&a, "a refused object");
    arena_destroy(&a);
    ck_assert_uint_eq(fs.live_bytes, 0);
}
END_TEST

Suite *arena_ex_slots_suite(void)
{
    Suite *s = suite_create("arena-ex-slots");
    TCase *tc = tcase_create("slots");
    tcase_set_tags(tc, "core 03-slots");
    tcase_add_test(tc, slots_reuse_is_lifo);
    tcase_add_test(tc, slots_generation_goes_up_by_one);
    tcase_add_test(tc, slots_retire_at_gen_max);
    tcase_add_test(tc, slots_enospc_at_max_handles);
    tcase_add_test(tc, slots_failures_change_nothing);
    suite_add_tcase(s, tc);
    return s;
}

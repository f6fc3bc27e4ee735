/**
 * @file debug.h
 * @brief Tiered assertions.
 *
 * - SC_ASSERT(cond): cheap checks (a comparison, a mask).  On in every build
 *   without NDEBUG, which is how the tests are built; off in release builds.
 * - SC_ASSERT_EXPENSIVE(cond): checks that walk a structure (an invariant
 *   checker after every operation).  On only with -DSC_EXPENSIVE_CHECKS.
 *
 * A failed assertion is a bug in slabcraft, not misuse by the caller, so it
 * does not go to the misuse handler: it prints the condition and aborts.
 */
#ifndef SLABCRAFT_DEBUG_H
#define SLABCRAFT_DEBUG_H

/**
 * @brief Prints a failed assertion and aborts; used by the macros below.
 * @param cond the failed condition as text
 * @param file the source file
 * @param line the source line
 */
_Noreturn void debug_assert_fail(const char *cond, const char *file, int line);

/**
 * @def SC_ASSERT(cond)
 * @brief Cheap assertion: aborts through debug_assert_fail() if @p cond is
 *        false.  Compiled out with NDEBUG (release builds).
 * @param cond a condition that costs O(1) to evaluate
 */
#ifdef NDEBUG
#define SC_ASSERT(cond) ((void)0)
#else
#define SC_ASSERT(cond) \
    ((cond) ? (void)0 : debug_assert_fail(#cond, __FILE__, __LINE__))
#endif

/**
 * @def SC_ASSERT_EXPENSIVE(cond)
 * @brief Expensive assertion (walks a structure): aborts through
 *        debug_assert_fail() if @p cond is false.  Compiled in only with
 *        -DSC_EXPENSIVE_CHECKS.
 * @param cond a condition that may cost O(n) to evaluate
 */
#ifdef SC_EXPENSIVE_CHECKS
#define SC_ASSERT_EXPENSIVE(cond) \
    ((cond) ? (void)0 : debug_assert_fail(#cond, __FILE__, __LINE__))
#else
#define SC_ASSERT_EXPENSIVE(cond) ((void)0)
#endif

#endif

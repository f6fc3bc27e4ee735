/*
 * require.h - REQUIRE(cond, fmt, ...), an assertion for the hot loops of
 * tests.
 *
 * Check's ck_assert*() record the place of every assertion that passes (in
 * fork mode a message to the parent process for each), which dominates the
 * run time of a loop of a million steps.  REQUIRE costs a comparison until
 * it fails, and then fails the test with ck_abort_msg() like any other.
 */
#ifndef SLABCRAFT_REQUIRE_H
#define SLABCRAFT_REQUIRE_H

#include <check.h>

#define REQUIRE(cond, ...)             \
    do {                               \
        if (!(cond))                   \
            ck_abort_msg(__VA_ARGS__); \
    } while (0)

#endif

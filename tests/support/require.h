/*
 * require.h - REQUIRE(cond, fmt, ...), the one "fail unless this holds"
 * check of the tests and the fuzz targets, cheap enough for hot loops.
 *
 * Check's ck_assert*() record the place of every assertion that passes (in
 * fork mode a message to the parent process for each), which dominates the
 * run time of a loop of a million steps.  REQUIRE costs a comparison until
 * it fails.  Then it calls REQUIRE_FAILED(text, fmt, ...), text being the
 * condition as written:
 *  - by default (a Check suite) that is ck_abort_msg(fmt, ...), which fails
 *    the test like any other assertion;
 *  - a program without Check (a fuzz target) defines REQUIRE_FAILED itself
 *    before including this header, for instance to print what broke and
 *    abort.  It must not return.
 * REQUIRE is a statement (do ... while (0)); cond is evaluated once.
 */
#ifndef SLABCRAFT_REQUIRE_H
#define SLABCRAFT_REQUIRE_H

#ifndef REQUIRE_FAILED
#include <check.h>
#define REQUIRE_FAILED(text, ...) ck_abort_msg(__VA_ARGS__)
#endif

#define REQUIRE(cond, ...)                        \
    do {                                          \
        if (!(cond))                              \
            REQUIRE_FAILED(#cond, __VA_ARGS__);   \
    } while (0)

#endif

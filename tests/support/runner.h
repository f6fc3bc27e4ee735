/*
 * runner.h - what the generated registry gives the test runner.
 *
 * Each test topic file defines one `Suite *xxx_suite(void)`; the Makefile
 * collects them (scripts/gen_registry.sh) into registry_suites.
 */
#ifndef SLABCRAFT_TEST_RUNNER_H
#define SLABCRAFT_TEST_RUNNER_H

#include <check.h>

typedef Suite *suite_fn(void);

extern const char *const registry_name;   /* "01-pool", or "all" */
extern suite_fn *const registry_suites[]; /* NULL-terminated */

#endif

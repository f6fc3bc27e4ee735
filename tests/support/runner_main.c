/*
 * runner_main.c - runs the suites of one stage (or all stages).
 *
 *   run                      every suite; Check's own output
 *   run --summary NAME       one line "NAME: P of N tests pass", and the
 *                            first failure explained (used by make exercise)
 *
 * Check's environment variables select what runs: CK_FORK, CK_RUN_SUITE,
 * CK_RUN_CASE, CK_INCLUDE_TAGS, CK_EXCLUDE_TAGS, CK_VERBOSITY.
 * SC_PAGE_SOURCE=vmem runs every suite with stage 05's mmap source as the
 * default page source (page_source_set_default()), so every allocator a
 * test builds without a source of its own takes its memory from it
 * (`make test-vmem`); SC_PAGE_SOURCE=libc, or unset, keeps the C library's.
 * Exit status: 0 if every test that ran passed and at least one ran.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "page_source.h"
#include "runner.h"
#include "vmem.h"

#ifdef SC_COVERAGE
#include <signal.h>
/* Death tests end their child with abort(), which skips gcov's exit hook:
 * write the counters first, so the code a death test reaches is counted. */
void __gcov_dump(void);
static void flush_then_abort(int sig)
{
    __gcov_dump();
    signal(sig, SIG_DFL);
    raise(sig);
}
#endif

/* The source every suite runs on, from SC_PAGE_SOURCE; false (and a
 * message) for an unknown name or a source that cannot be built. */
static bool choose_source(void)
{
    static vmem_t vmem; /* lives as long as the process: allocators keep pointing at it */
    const char *name = getenv("SC_PAGE_SOURCE");
    if (name == NULL || *name == '\0' || strcmp(name, "libc") == 0)
        return true;
    if (strcmp(name, "vmem") != 0) {
        fprintf(stderr, "SC_PAGE_SOURCE=%s: unknown source (libc or vmem)\n", name);
        return false;
    }
    int rc = vmem_init(&vmem, &(vmem_config_t){0});
    if (rc != 0) {
        fprintf(stderr, "SC_PAGE_SOURCE=vmem: vmem_init failed: %s\n", strerror(-rc));
        return false;
    }
    page_source_set_default(vmem_source(&vmem));
    fprintf(stderr, "page source: vmem (stage 05), %zu MiB reserved\n", vmem.reserve >> 20);
    return true;
}

static SRunner *build_runner(void)
{
    SRunner *sr = NULL;
    for (size_t i = 0; registry_suites[i] != NULL; i++) {
        Suite *s = registry_suites[i]();
        if (sr == NULL)
            sr = srunner_create(s);
        else
            srunner_add_suite(sr, s);
    }
    return sr;
}

/* Prints the exercise summary: passes, total, and the first failure. */
static void print_summary(SRunner *sr, const char *name)
{
    int run = srunner_ntests_run(sr);
    int failed = srunner_ntests_failed(sr);
    printf("%s: %d of %d tests pass\n", name, run - failed, run);
    if (failed == 0)
        return;
    TestResult **res = srunner_failures(sr);
    printf("first failure: %s (%s:%d)\n  %s\n", tr_tcname(res[0]),
           tr_lfile(res[0]) ? tr_lfile(res[0]) : "?", tr_lno(res[0]), tr_msg(res[0]));
    free(res);
}

int main(int argc, char **argv)
{
#ifdef SC_COVERAGE
    signal(SIGABRT, flush_then_abort);
#endif
    const char *summary = NULL;
    if (argc == 3 && strcmp(argv[1], "--summary") == 0)
        summary = argv[2];
    else if (argc != 1) {
        fprintf(stderr, "usage: %s [--summary NAME]\n", argv[0]);
        return 2;
    }
    if (!choose_source())
        return 2;
    SRunner *sr = build_runner();
    if (sr == NULL) {
        fprintf(stderr, "%s: no suites\n", registry_name);
        return 1;
    }
    srunner_run_all(sr, summary ? CK_SILENT : CK_ENV);
    if (summary)
        print_summary(sr, summary);
    int run = srunner_ntests_run(sr);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    if (run == 0)
        fprintf(stderr, "%s: no test ran (check CK_INCLUDE_TAGS / CK_RUN_CASE)\n", registry_name);
    return (failed == 0 && run > 0) ? 0 : 1;
}

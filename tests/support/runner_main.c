/*
 * runner_main.c - runs the suites of one stage (or all stages).
 *
 *   run                      every suite; Check's own output
 *   run --summary NAME       one line "NAME: P of N tests pass", and the
 *                            first failure explained (used by make exercise)
 *
 * Check's environment variables select what runs: CK_FORK, CK_RUN_SUITE,
 * CK_RUN_CASE, CK_INCLUDE_TAGS, CK_EXCLUDE_TAGS, CK_VERBOSITY.
 * Exit status: 0 if every test that ran passed and at least one ran.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runner.h"

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

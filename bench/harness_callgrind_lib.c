/*
 * harness_callgrind_lib.c - instruction counts for the benchmark harness
 * (see harness.h): a worker runs under valgrind --tool=callgrind with
 * collection switched on only inside the allocator's own functions, once
 * with n and once with 2n operations; the difference over n is the cost of
 * one steady operation, free of one-time costs.
 *
 * Bounds: two callgrind runs per figure (each tens of times slower than a
 * plain run, so the counts use small n); at most 8 toggled functions.
 */
#define _GNU_SOURCE

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

/* Finds program on PATH; copies its full path into out.  False if absent. */
static bool bh_which(const char *program, char *out, size_t size)
{
    const char *path = getenv("PATH");
    while (path && *path) {
        size_t len = strcspn(path, ":");
        snprintf(out, size, "%.*s/%s", (int)len, path, program);
        if (len && access(out, X_OK) == 0)
            return true;
        path += len + (path[len] == ':');
    }
    return false;
}

/* Runs argv (a worker command, argv[0] its path) under callgrind with
 * collection switched on only inside the functions named in toggles
 * (NULL-terminated), and returns the instructions executed there, or -1 on
 * failure.  Callgrind runs the program's real malloc (unlike memcheck, it
 * replaces no allocator), so glibc and preloaded allocators are measured as
 * they are.  A toggled function that calls another toggled function would
 * switch collection off inside it: name only functions that do not call
 * each other. */
static int64_t bh_callgrind(char *const *argv, const char *preload, const char *const *toggles,
                            unsigned timeout_s)
{
    char file[128];
    snprintf(file, sizeof file, "/tmp/slabcraft-bench-%ld-XXXXXX", (long)getpid());
    int fd = mkstemp(file);
    if (fd < 0)
        return -1;
    close(fd);
    char *args[64];
    char opts[8][160];
    size_t n = 0, k = 0;
    args[n++] = (char *)"valgrind";
    args[n++] = (char *)"--tool=callgrind";
    args[n++] = (char *)"--collect-atstart=no";
    snprintf(opts[k], sizeof opts[k], "--callgrind-out-file=%s", file);
    args[n++] = opts[k++];
    for (size_t i = 0; toggles[i] && k < 8; i++, k++) {
        snprintf(opts[k], sizeof opts[k], "--toggle-collect=%s", toggles[i]);
        args[n++] = opts[k];
    }
    for (size_t i = 0; argv[i] && n < 63; i++)
        args[n++] = argv[i];
    args[n] = NULL;

    char path[4096], out[512];
    if (!bh_which("valgrind", path, sizeof path)) {
        unlink(file);
        return -1;
    }
    args[0] = path;
    bh_child_t child = {args, preload, timeout_s};
    int64_t total = -1;
    if (bh_run(&child, out, sizeof out)) {
        FILE *f = fopen(file, "r");
        char line[512];
        while (f && fgets(line, sizeof line, f)) {
            unsigned long long v;
            if (sscanf(line, "totals: %llu", &v) == 1 || sscanf(line, "summary: %llu", &v) == 1) {
                total = (int64_t)v;
                break;
            }
        }
        if (f)
            fclose(f);
    }
    unlink(file);
    return total;
}

double bh_callgrind_slope(char **argv, size_t n_arg, size_t n, const char *preload,
                          const char *const *toggles, unsigned timeout_s, bool *ran)
{
    int64_t count[2];
    char num[32];
    char *keep = argv[n_arg];
    *ran = true;
    for (size_t k = 0; k < 2; k++) {
        snprintf(num, sizeof num, "%zu", n << k);
        argv[n_arg] = num;
        count[k] = bh_callgrind(argv, preload, toggles, timeout_s);
        if (count[k] < 0) {
            argv[n_arg] = keep;
            *ran = false;
            return NAN;
        }
    }
    argv[n_arg] = keep;
    if (count[0] <= 0 || count[1] <= count[0])
        return NAN;
    return (double)(count[1] - count[0]) / (double)n;
}

bool bh_callgrind_ready(bool wanted)
{
    char vg[4096];
    if (!wanted)
        return false;
    if (!bh_which("valgrind", vg, sizeof vg)) {
        printf("\nnote: valgrind not found, no instruction counts\n");
        return false;
    }
    return true;
}

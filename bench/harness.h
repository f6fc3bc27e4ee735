/*
 * harness.h - what every slabcraft benchmark program shares: running itself
 * as a worker process, probing the competitors (bh_comp_t, and the general
 * ones every benchmark measures), medians, the environment header, the SVG
 * chart, instruction counts from callgrind, and the driver's common parts
 * (options, main, rounds of measurements, table rows, CSV and the chart
 * relative to glibc).
 *
 * Method.  A benchmark program is both a driver and a worker.  The driver
 * never measures anything itself: it re-executes its own binary
 * (/proc/self/exe) once per measurement, so every figure comes from a fresh
 * process whose heap has seen nothing else, and a general-purpose malloc can
 * be swapped in with LD_PRELOAD in that child's environment only.  The
 * driver interleaves the competitors (A B C A B C ...), discards a warm-up
 * round, and reports the median with min and max of the rest, always as a
 * ratio to glibc measured in the same run.
 *
 * A worker prints exactly one line on stdout, "key=value" fields separated by
 * spaces; anything else, a non-zero exit, a signal or a timeout makes the
 * driver fail, so a broken benchmark cannot pass as a fast one.
 *
 * Convention for scripts/bench.sh: every bench/bench_NAME.c driver accepts
 *   --quick          a seconds-long smoke run (used by `make check`)
 *   --csv FILE       every measurement as CSV
 *   --svg FILE       a bar chart of medians relative to glibc
 *   --reps N         repetitions after the warm-up
 * and exits non-zero when any worker fails.
 *
 * Everything here is static (inline functions, two constant tables) so each
 * program includes only what it uses.  Include this header first: it asks
 * for GNU extensions (dlsym with RTLD_DEFAULT, gnu_get_libc_version).  It
 * also includes glib.h (GSlice is a competitor everywhere) and clock.h.
 */
#ifndef SLABCRAFT_BENCH_HARNESS_H
#define SLABCRAFT_BENCH_HARNESS_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <gnu/libc-version.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib.h>

#include "clock.h"

/* ---- small utilities ----------------------------------------------------- */

/* Prints a message to stderr and exits with status 1. */
static inline _Noreturn void bh_die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("bench: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

/* malloc that cannot fail (the driver has no use for half a result). */
static inline void *bh_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (p == NULL)
        bh_die("out of memory (%zu bytes)", n);
    return p;
}

/* Copies the first line of a file (without its newline) into buf; returns
 * false and leaves "unknown" if the file cannot be read. */
static inline bool bh_first_line(const char *path, char *buf, size_t size)
{
    snprintf(buf, size, "unknown");
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return false;
    bool ok = fgets(buf, (int)size, f) != NULL;
    fclose(f);
    if (!ok) {
        snprintf(buf, size, "unknown");
        return false;
    }
    buf[strcspn(buf, "\n")] = '\0';
    return true;
}

/* The value of the first "key : value" line of /proc/cpuinfo whose key is
 * key, or "unknown". */
static inline void bh_cpuinfo(const char *key, char *buf, size_t size)
{
    char line[512];
    snprintf(buf, size, "unknown");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (f == NULL)
        return;
    size_t klen = strlen(key);
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, key, klen) != 0)
            continue;
        char *colon = strchr(line, ':');
        if (colon == NULL)
            continue;
        colon += 1 + (colon[1] == ' ');
        colon[strcspn(colon, "\n")] = '\0';
        snprintf(buf, size, "%s", colon);
        break;
    }
    fclose(f);
}

/* The absolute path of the running program, from /proc/self/exe. */
static inline void bh_self_path(char *buf, size_t size)
{
    ssize_t n = readlink("/proc/self/exe", buf, size - 1);
    if (n <= 0 || (size_t)n >= size - 1)
        bh_die("cannot read /proc/self/exe");
    buf[n] = '\0';
}

/* Peak resident set of this process in KiB. */
static inline long bh_peak_rss_kib(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

/* Sorts n doubles ascending (insertion sort: n is a handful of reps). */
static inline void bh_sort(double *v, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        double x = v[i];
        size_t j = i;
        for (; j > 0 && v[j - 1] > x; j--)
            v[j] = v[j - 1];
        v[j] = x;
    }
}

/* Median of n > 0 values (sorts them in place). */
static inline double bh_median(double *v, size_t n)
{
    bh_sort(v, n);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Parses a positive whole count (digits, or a form like 1e6); dies naming
 * what on anything else. */
static inline size_t bh_count(const char *s, const char *what)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || *end || !(v >= 1) || v > 1e12 || v != floor(v))
        bh_die("bad %s: %s", what, s);
    return (size_t)v;
}

/* Finds a shared library for LD_PRELOAD: the environment variable envvar
 * (if set) wins, else the first of the usual library directories that holds
 * file.  Returns false if there is none. */
static inline bool bh_find_library(const char *envvar, const char *file, char *out, size_t size)
{
    static const char *const dirs[] = {
        "/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64",
        "/usr/lib", "/usr/local/lib", "/lib/x86_64-linux-gnu",
    };
    const char *forced = envvar ? getenv(envvar) : NULL;
    if (forced && *forced) {
        snprintf(out, size, "%s", forced);
        return access(out, R_OK) == 0;
    }
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        snprintf(out, size, "%s/%s", dirs[i], file);
        if (access(out, R_OK) == 0)
            return true;
    }
    return false;
}

/* Finds program on PATH; copies its full path into out.  False if absent. */
static inline bool bh_which(const char *program, char *out, size_t size)
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

/* ---- which malloc is this process using? -------------------------------- */

/* Looks a function up among the loaded objects (LD_PRELOAD'ed ones first). */
static inline void *bh_symbol(const char *name)
{
    return dlsym(RTLD_DEFAULT, name);
}

/* Names the malloc the process actually runs on, and its version, by
 * looking for each allocator's own introspection symbol: jemalloc's
 * mallctl, mimalloc's mi_version, gperftools' tc_version; otherwise glibc.
 * Workers report it so the driver can tell a preload that silently failed. */
static inline void bh_malloc_identity(char *name, size_t nsize, char *version, size_t vsize)
{
    void *sym;
    if ((sym = bh_symbol("mallctl")) != NULL) {
        int (*mallctl)(const char *, void *, size_t *, void *, size_t);
        memcpy(&mallctl, &sym, sizeof sym);
        const char *v = NULL;
        size_t len = sizeof v;
        snprintf(name, nsize, "jemalloc");
        if (mallctl("version", (void *)&v, &len, NULL, 0) != 0 || v == NULL)
            v = "unknown";
        snprintf(version, vsize, "%s", v);
        version[strcspn(version, "-")] = '\0'; /* 5.3.0-0-g<hash>: keep 5.3.0 */
    } else if ((sym = bh_symbol("mi_version")) != NULL) {
        int (*mi_version)(void);
        memcpy(&mi_version, &sym, sizeof sym);
        int v = mi_version();
        snprintf(name, nsize, "mimalloc");
        snprintf(version, vsize, "%d.%d.%d", v / 100, v / 10 % 10, v % 10);
    } else if ((sym = bh_symbol("tc_version")) != NULL) {
        const char *(*tc_version)(int *, int *, const char **);
        memcpy(&tc_version, &sym, sizeof sym);
        int major = 0, minor = 0;
        const char *patch = NULL;
        const char *v = tc_version(&major, &minor, &patch);
        snprintf(name, nsize, "tcmalloc");
        snprintf(version, vsize, "%s", v ? v : "unknown");
    } else {
        snprintf(name, nsize, "glibc");
        snprintf(version, vsize, "%s", gnu_get_libc_version());
    }
}

/* The worker side of a probe (PROGRAM --probe): prints the malloc this
 * process runs on and its version, "malloc=NAME version=VERSION". */
static inline int bh_probe_main(void)
{
    char name[64], version[128];
    bh_malloc_identity(name, sizeof name, version, sizeof version);
    printf("malloc=%s version=%s\n", name, version);
    return 0;
}

/* ---- the environment header ----------------------------------------------- */

#define BH_STR_(x) #x
#define BH_STR(x) BH_STR_(x)
#if defined(__clang__)
#define BH_COMPILER "clang " BH_STR(__clang_major__) "." BH_STR(__clang_minor__) "." BH_STR(__clang_patchlevel__)
#elif defined(__GNUC__)
#define BH_COMPILER "gcc " __VERSION__
#else
#define BH_COMPILER "unknown compiler"
#endif

/* The build: SC_BUILD_FLAGS if the build passes its flags in as a string,
 * else what the predefined macros tell (optimised, NDEBUG, SC_NO_VALGRIND
 * are what the Makefile's release mode sets). */
#if defined(__OPTIMIZE__) && defined(NDEBUG) && defined(SC_NO_VALGRIND)
#define BH_IS_RELEASE 1
#ifdef SC_BUILD_FLAGS
#define BH_BUILD "release: " SC_BUILD_FLAGS
#else
#define BH_BUILD "release (optimised, -DNDEBUG -DSC_NO_VALGRIND: make MODE=release)"
#endif
#else
#define BH_IS_RELEASE 0
#define BH_BUILD "NOT a release build: figures are meaningless (build with MODE=release)"
#endif

/* Prints where the figures come from: CPU, kernel, compiler and build,
 * transparent huge pages, glibc, and the load when the run started. */
static inline void bh_print_environment(FILE *out)
{
    char cpu[256], thp[256], load[256];
    struct utsname u;
    bh_cpuinfo("model name", cpu, sizeof cpu);
    bh_first_line("/sys/kernel/mm/transparent_hugepage/enabled", thp, sizeof thp);
    bh_first_line("/proc/loadavg", load, sizeof load);
    if (uname(&u) != 0)
        memset(&u, 0, sizeof u);
    fprintf(out, "cpu      : %s (%ld online)\n", cpu, sysconf(_SC_NPROCESSORS_ONLN));
    fprintf(out, "kernel   : %s %s %s\n", u.sysname, u.release, u.machine);
    fprintf(out, "compiler : %s\n", BH_COMPILER);
    fprintf(out, "build    : %s\n", BH_BUILD);
    fprintf(out, "thp      : %s\n", thp);
    fprintf(out, "glibc    : %s\n", gnu_get_libc_version());
    fprintf(out, "loadavg  : %s\n", load);
}

/* ---- running a worker ------------------------------------------------------ */

/* How to run one child. */
typedef struct bh_child {
    char *const *argv;   /* program and arguments; argv[0] is the path executed */
    const char *preload; /* LD_PRELOAD for the child; NULL = none (any inherited one is removed) */
    unsigned timeout_s;  /* the child is killed by SIGALRM after this many seconds; 0 = none */
} bh_child_t;

/* Prints the last n (<= 32) lines of f to stderr, indented. */
static inline void bh_tail(FILE *f, size_t n)
{
    char ring[32][256];
    size_t seen = 0;
    n = n > 32 ? 32 : n;
    rewind(f);
    while (fgets(ring[seen % n], sizeof ring[0], f))
        seen++;
    if (seen > n)
        fprintf(stderr, "  stderr: (%zu lines before these left out)\n", seen - n);
    for (size_t i = seen > n ? seen - n : 0; i < seen; i++)
        fprintf(stderr, "  stderr: %s%s", ring[i % n], strchr(ring[i % n], '\n') ? "" : "\n");
}

/* Runs a child with its stdout captured into out (NUL-terminated, at most
 * size - 1 bytes) and its stderr kept aside.  Returns true if it exited with
 * status 0; otherwise prints the command, how it ended and its stderr, and
 * returns false. */
static inline bool bh_run(const bh_child_t *c, char *out, size_t size)
{
    int pipefd[2];
    FILE *err = tmpfile();
    if (err == NULL || pipe(pipefd) != 0)
        bh_die("cannot create pipe or temporary file: %s", strerror(errno));
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        bh_die("fork: %s", strerror(errno));
    if (pid == 0) {
        dup2(pipefd[1], STDOUT_FILENO);
        dup2(fileno(err), STDERR_FILENO);
        close(pipefd[0]);
        close(pipefd[1]);
        if (c->preload)
            setenv("LD_PRELOAD", c->preload, 1);
        else
            unsetenv("LD_PRELOAD");
        unsetenv("G_SLICE"); /* G_SLICE=always-malloc would turn GSlice into malloc */
        if (c->timeout_s)
            alarm(c->timeout_s); /* a pending alarm survives execve */
        execv(c->argv[0], c->argv);
        fprintf(stderr, "exec %s: %s\n", c->argv[0], strerror(errno));
        _exit(127);
    }
    close(pipefd[1]);
    size_t used = 0;
    for (;;) {
        char sink[256];
        char *dst = used < size - 1 ? out + used : sink;
        size_t room = used < size - 1 ? size - 1 - used : sizeof sink;
        ssize_t n = read(pipefd[0], dst, room);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        if (dst != sink)
            used += (size_t)n;
    }
    out[used] = '\0';
    close(pipefd[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    if (!ok) {
        fprintf(stderr, "bench: command failed:");
        if (c->preload)
            fprintf(stderr, " LD_PRELOAD=%s", c->preload);
        for (char *const *a = c->argv; *a; a++)
            fprintf(stderr, " %s", *a);
        if (WIFSIGNALED(status))
            fprintf(stderr, "\n  killed by signal %d%s\n", WTERMSIG(status),
                    WTERMSIG(status) == SIGALRM ? " (timeout)" : "");
        else
            fprintf(stderr, "\n  exit status %d\n", WEXITSTATUS(status));
        fprintf(stderr, "  stdout: %s\n", out);
        bh_tail(err, 12);
    }
    fclose(err);
    return ok;
}

/* Finds " key=" (or "key=" at the start) in a worker's line and copies the
 * value (up to the next blank) into buf.  Returns false if absent. */
static inline bool bh_field(const char *line, const char *key, char *buf, size_t size)
{
    size_t klen = strlen(key);
    for (const char *s = line; (s = strstr(s, key)) != NULL; s += klen) {
        if ((s != line && s[-1] != ' ') || s[klen] != '=')
            continue;
        const char *v = s + klen + 1;
        size_t n = strcspn(v, " \t\r\n");
        if (n == 0 || n >= size)
            return false;
        memcpy(buf, v, n);
        buf[n] = '\0';
        return true;
    }
    return false;
}

/* Parses field key of a worker's line as a finite number in [lo, hi]. */
static inline bool bh_field_number(const char *line, const char *key, double lo, double hi, double *out)
{
    char buf[64], *end;
    if (!bh_field(line, key, buf, sizeof buf))
        return false;
    errno = 0;
    double v = strtod(buf, &end);
    if (errno || *end || !isfinite(v) || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

/* True if the captured output is exactly one non-empty line. */
static inline bool bh_one_line(const char *out)
{
    const char *nl = strchr(out, '\n');
    return nl != NULL && nl != out && nl[1] == '\0';
}

/* ---- competitors ------------------------------------------------------------ */

/* A competitor: one column of a benchmark's tables. */
typedef struct bh_comp {
    const char *name;           /* column name */
    const char *alloc;          /* the worker's ALLOC argument */
    const char *lib;            /* library to LD_PRELOAD; NULL = none */
    const char *env;            /* environment variable that may name the library's path */
    const char *identity;       /* the malloc the worker must find itself running on */
    const char *const *toggles; /* callgrind: the alloc and free functions to count inside */
    bool present;               /* false: library missing or not taking effect; skipped */
    char preload[1024];         /* the library's path */
    char version[128];          /* its version, from a probe */
} bh_comp_t;

/* The functions whose instructions callgrind counts for the general
 * competitors, by the symbol names it reports (every malloc here exports
 * plain malloc and free; a name that matches nothing gives no count,
 * reported as n/a).  Only the instructions inside them count: the caller's
 * call instruction and argument set-up do not. */
static const char *const bh_tg_malloc[] = {"malloc", "free", NULL};
static const char *const bh_tg_gslice[] = {"g_slice_alloc", "g_slice_free1", NULL};

/* The competitors every benchmark measures its allocator against, first in
 * its table and in this order: glibc (the reference, index 0), jemalloc,
 * mimalloc and tcmalloc (each preloaded, its path from the environment
 * variable if set), then GSlice. */
#define BH_GENERAL_COMPETITORS                                                                                     \
    {"glibc", "malloc", NULL, NULL, "glibc", bh_tg_malloc, false, "", ""},                                          \
    {"jemalloc", "malloc", "libjemalloc.so.2", "BENCH_JEMALLOC", "jemalloc", bh_tg_malloc, false, "", ""},          \
    {"mimalloc", "malloc", "libmimalloc.so.2", "BENCH_MIMALLOC", "mimalloc", bh_tg_malloc, false, "", ""},          \
    {"tcmalloc", "malloc", "libtcmalloc_minimal.so.4", "BENCH_TCMALLOC", "tcmalloc", bh_tg_malloc, false, "", ""},  \
    {"gslice", "gslice", NULL, NULL, "glibc", bh_tg_gslice, false, "", ""}

/* Probes each of the n competitors: is its library there, does the preload
 * take effect (a child run with `PROGRAM --probe`, see bh_probe_main(), must
 * report the expected malloc), which version.  Sets present and version,
 * prints a note for each one skipped and a line for each preloaded one.
 * Dies if a probe fails outright. */
static inline void bh_probe_all(bh_comp_t *comps, size_t n)
{
    char self[4096];
    bh_self_path(self, sizeof self);
    for (size_t i = 0; i < n; i++) {
        bh_comp_t *c = &comps[i];
        if (c->lib && !bh_find_library(c->env, c->lib, c->preload, sizeof c->preload)) {
            if (getenv(c->env) && *getenv(c->env))
                printf("note     : %s skipped: %s=%s is not a readable file\n", c->name, c->env, getenv(c->env));
            else
                printf("note     : %s skipped: %s not found (install it, or set %s to its path)\n", c->name, c->lib,
                       c->env);
            continue;
        }
        char out[512], who[64];
        char *argv[] = {self, (char *)"--probe", NULL};
        bh_child_t child = {argv, c->lib ? c->preload : NULL, 30};
        const char *v = NULL;
        if (!bh_run(&child, out, sizeof out) || !bh_field(out, "malloc", who, sizeof who) ||
            (v = strstr(out, " version=")) == NULL)
            bh_die("probe for %s failed", c->name);
        snprintf(c->version, sizeof c->version, "%s", v + strlen(" version="));
        c->version[strcspn(c->version, "\n")] = '\0';
        if (strcmp(who, c->identity) != 0) {
            printf("note     : %s skipped: with LD_PRELOAD=%s the process still runs on %s\n", c->name,
                   c->preload, who);
            continue;
        }
        c->present = true;
    }
    for (size_t i = 0; i < n; i++)
        if (comps[i].present && comps[i].lib)
            printf("%-9s: %s, LD_PRELOAD=%s\n", comps[i].name, comps[i].version, comps[i].preload);
}

/* ---- an SVG bar chart, written by hand ------------------------------------- */

/* A grouped bar chart: groups along x, one bar per series in each group. */
typedef struct bh_chart {
    const char *title;                /* first line at the top */
    const char *subtitle;             /* second line (the environment, say); NULL = none */
    const char *y_label;              /* what the bars measure */
    size_t groups;                    /* bar groups along x, >= 1 */
    const char *const *group_label;   /* groups labels, first row under the axis */
    const char *const *group_section; /* groups labels, second row; runs of equal ones share one label; NULL = none */
    size_t series;                    /* bars per group, >= 1 */
    const char *const *series_name;   /* series names, for the legend */
    const char *const *series_colour; /* series fill colours; NULL = a built-in palette */
    const double *value;              /* value[g * series + s] > 0; NAN = missing (no bar) */
    bool log_scale;                   /* true: log2 y axis, bars grow up or down from reference */
    double reference;                 /* a dashed horizontal line here (> 0 with log_scale); 0 = none */
    const char *reference_label;      /* its label, in the right margin */
    size_t highlight;                 /* the series whose bars carry their value; >= series = none */
} bh_chart_t;

/* Maps values to heights in the plot: linear from 0, or log2. */
typedef struct bh_scale {
    bool log;  /* log2 axis */
    double lo; /* value at the bottom of the plot */
    double hi; /* value at the top */
    double y0; /* y coordinate of the bottom */
    double h;  /* height of the plot */
} bh_scale_t;

static inline double bh_scale_y(const bh_scale_t *sc, double v)
{
    double t = sc->log ? (log2(v) - log2(sc->lo)) / (log2(sc->hi) - log2(sc->lo)) : (v - sc->lo) / (sc->hi - sc->lo);
    return sc->y0 - t * sc->h;
}

/* Writes s with the XML special characters escaped. */
static inline void bh_svg_text(FILE *f, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        default: fputc(*s, f);
        }
    }
}

/* Writes <text ...>s</text> with the given attributes after x and y. */
static inline void bh_svg_label(FILE *f, double x, double y, const char *attrs, const char *s)
{
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" %s>", x, y, attrs);
    bh_svg_text(f, s);
    fputs("</text>\n", f);
}

/* Chooses the axis range: linear from 0 to a round top with about five
 * ticks, or log2 from the power of two below the smallest value to the one
 * above the largest.  Returns the tick step (linear) or factor (log). */
static inline double bh_scale_fit(bh_scale_t *sc, const bh_chart_t *c)
{
    double vmin = c->reference > 0 ? c->reference : INFINITY, vmax = c->reference;
    for (size_t i = 0; i < c->groups * c->series; i++) {
        double v = c->value[i];
        if (!isnan(v) && v > 0) {
            vmin = v < vmin ? v : vmin;
            vmax = v > vmax ? v : vmax;
        }
    }
    if (!(vmax > 0))
        vmax = vmin = 1;
    sc->log = c->log_scale;
    if (sc->log) {
        sc->lo = exp2(floor(log2(vmin)));
        sc->hi = exp2(ceil(log2(vmax * 1.15)));
        return 2;
    }
    double top = vmax * 1.08, raw = top / 5, mag = pow(10, floor(log10(raw))), norm = raw / mag;
    double step = (norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 5 ? 5 : 10) * mag;
    sc->lo = 0;
    sc->hi = ceil(top / step) * step;
    return step;
}

/* Draws the horizontal grid lines with their tick labels. */
static inline void bh_svg_grid(FILE *f, const bh_scale_t *sc, double step, double x0, double x1)
{
    for (double t = sc->lo; t <= sc->hi * (1 + 1e-9); t = sc->log ? t * step : t + step) {
        double y = bh_scale_y(sc, t);
        char num[32];
        snprintf(num, sizeof num, "%g", t);
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n", x0, y, x1, y);
        bh_svg_label(f, x0 - 6, y + 4, "text-anchor=\"end\" font-size=\"11\"", num);
    }
}

/* Writes the legend: one swatch and name per series, in a row. */
static inline void bh_svg_legend(FILE *f, const bh_chart_t *c, const char *const *colour, double x, double y)
{
    for (size_t s = 0; s < c->series; s++) {
        fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"12\" fill=\"%s\"/>\n", x, y - 10, colour[s]);
        bh_svg_label(f, x + 16, y, "font-size=\"12\"", c->series_name[s]);
        x += 28 + 7.5 * (double)strlen(c->series_name[s]);
    }
}

/* Draws the bars of group g, between x and x + width. */
static inline void bh_svg_bars(FILE *f, const bh_chart_t *c, const bh_scale_t *sc, const char *const *colour,
                               size_t g, double x, double width)
{
    double bw = width / (double)c->series, base = sc->log ? bh_scale_y(sc, c->reference) : sc->y0;
    for (size_t s = 0; s < c->series; s++) {
        double v = c->value[g * c->series + s];
        if (isnan(v) || (sc->log && !(v > 0)))
            continue;
        double y = bh_scale_y(sc, v), top = y < base ? y : base, h = fabs(base - y), bx = x + (double)s * bw;
        fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"><title>", bx, top,
                bw - 1, h < 1 ? 1 : h, colour[s]);
        bh_svg_text(f, c->series_name[s]);
        fprintf(f, ": %.2f</title></rect>\n", v);
        if (s == c->highlight) {
            char num[32];
            snprintf(num, sizeof num, "%.1f", v);
            bh_svg_label(f, bx + bw / 2, y < base ? y - 3 : y + 11, "text-anchor=\"middle\" font-size=\"10\"", num);
        }
    }
}

/* Writes the chart to path.  Returns false if the file cannot be written. */
static inline bool bh_svg_write(const char *path, const bh_chart_t *c)
{
    static const char *const palette[] = {"#4e79a7", "#59a14f", "#edc948", "#b07aa1",
                                          "#e15759", "#76b7b2", "#f28e2b", "#8c8c8c"};
    const char *colour[64];
    const double W = 1000, H = 480, left = 70, right = 70, top = 86, bottom = 70;
    const double pw = W - left - right, ph = H - top - bottom, y0 = top + ph;
    if (c->series > 64 || c->groups == 0)
        return false;
    for (size_t s = 0; s < c->series; s++)
        colour[s] = c->series_colour ? c->series_colour[s] : palette[s % 8];
    bh_scale_t sc = {.y0 = y0, .h = ph};
    double step = bh_scale_fit(&sc, c);

    FILE *f = fopen(path, "w");
    if (f == NULL)
        return false;
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
               "viewBox=\"0 0 %.0f %.0f\" font-family=\"sans-serif\">\n", W, H, W, H);
    fprintf(f, "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n");
    bh_svg_label(f, left, 22, "font-size=\"16\" font-weight=\"bold\"", c->title);
    if (c->subtitle)
        bh_svg_label(f, left, 40, "font-size=\"11\" fill=\"#555\"", c->subtitle);
    bh_svg_legend(f, c, colour, left, 64);
    bh_svg_grid(f, &sc, step, left, left + pw);
    fprintf(f, "<text transform=\"translate(18 %.1f) rotate(-90)\" text-anchor=\"middle\" font-size=\"12\">",
            top + ph / 2);
    bh_svg_text(f, c->y_label);
    fputs("</text>\n", f);

    double gw = pw / (double)c->groups;
    for (size_t g = 0; g < c->groups; g++) {
        bh_svg_bars(f, c, &sc, colour, g, left + (double)g * gw + gw * 0.1, gw * 0.8);
        bh_svg_label(f, left + ((double)g + 0.5) * gw, y0 + 16, "text-anchor=\"middle\" font-size=\"11\"",
                     c->group_label[g]);
    }
    /* second row: one label per run of equal sections, with a separator */
    for (size_t g = 0; c->group_section && g < c->groups;) {
        size_t e = g;
        while (e < c->groups && strcmp(c->group_section[e], c->group_section[g]) == 0)
            e++;
        bh_svg_label(f, left + ((double)g + (double)e) / 2 * gw, y0 + 36,
                     "text-anchor=\"middle\" font-size=\"12\" font-weight=\"bold\"", c->group_section[g]);
        if (e < c->groups)
            fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#999\"/>\n",
                    left + (double)e * gw, top, left + (double)e * gw, y0 + 40);
        g = e;
    }
    if (c->reference > 0) {
        double y = bh_scale_y(&sc, c->reference);
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333\" "
                   "stroke-dasharray=\"5,4\"/>\n", left, y, left + pw, y);
        bh_svg_label(f, left + pw + 4, y + 4, "font-size=\"11\"", c->reference_label ? c->reference_label : "");
    }
    fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333\"/>\n", left, y0, left + pw, y0);
    fputs("</svg>\n", f);
    return fclose(f) == 0;
}

/* ---- instruction counts from callgrind -------------------------------------- */

/* Runs argv (a worker command, argv[0] its path) under callgrind with
 * collection switched on only inside the functions named in toggles
 * (NULL-terminated), and returns the instructions executed there, or -1 on
 * failure.  Callgrind runs the program's real malloc (unlike memcheck, it
 * replaces no allocator), so glibc and preloaded allocators are measured as
 * they are.  A toggled function that calls another toggled function would
 * switch collection off inside it: name only functions that do not call
 * each other. */
static inline int64_t bh_callgrind(char *const *argv, const char *preload, const char *const *toggles,
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

/* Instructions per operation: runs argv under callgrind twice, with
 * argv[n_arg] set to n and to 2n operations, and returns the difference
 * divided by n, the cost of one steady operation free of one-time costs
 * (first block, lazy initialisation).  NAN if nothing was counted; *ran is
 * set to false if callgrind itself failed. */
static inline double bh_callgrind_slope(char **argv, size_t n_arg, size_t n, const char *preload,
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

/* ---- the driver's common parts -------------------------------------------------- */

/* The options every driver takes (see the convention at the top). */
typedef struct bh_opts {
    bool quick;      /* smoke run: a few cells, small N, one repetition */
    bool callgrind;  /* count instructions if valgrind is there */
    size_t reps;     /* measured repetitions per cell and competitor, 1 to 64 */
    const char *csv; /* CSV output; NULL = none */
    const char *svg; /* SVG output; NULL = none */
    char self[4096]; /* this program's path */
} bh_opts_t;

/* Takes the common option at argv[*i] (and its value, advancing *i) into o;
 * false if argv[*i] is none of them. */
static inline bool bh_parse_common(bh_opts_t *o, int argc, char **argv, int *i)
{
    const char *a = argv[*i];
    bool value = *i + 1 < argc;
    if (strcmp(a, "--quick") == 0)
        o->quick = true;
    else if (strcmp(a, "--no-callgrind") == 0)
        o->callgrind = false;
    else if (strcmp(a, "--reps") == 0 && value)
        o->reps = bh_count(argv[++*i], "--reps");
    else if (strcmp(a, "--csv") == 0 && value)
        o->csv = argv[++*i];
    else if (strcmp(a, "--svg") == 0 && value)
        o->svg = argv[++*i];
    else
        return false;
    return true;
}

/* Parses a driver's command line into o: the common options, then own (if
 * not NULL) for the program's own ones (it returns false for an unknown
 * option, advancing *i past any value it takes); usage() on anything
 * unknown.  reps defaults to 1 in a quick run, else 5. */
static inline void bh_parse_opts(bh_opts_t *o, int argc, char **argv, bool (*own)(void *, int, char **, int *),
                                 void *ctx, void (*usage)(void))
{
    o->callgrind = true;
    o->reps = 0;
    for (int i = 1; i < argc; i++)
        if (!bh_parse_common(o, argc, argv, &i) && !(own && own(ctx, argc, argv, &i)))
            usage();
    if (o->reps == 0)
        o->reps = o->quick ? 1 : 5;
    if (o->reps > 64)
        bh_die("--reps: at most 64");
}

/* Starts a driver: finds its own path, takes the start time, prints the
 * title (marked when quick) and the environment.  Returns the start time. */
static inline uint64_t bh_driver_begin(bh_opts_t *o, const char *title)
{
    bh_self_path(o->self, sizeof o->self);
    uint64_t t0 = clock_now_ns();
    printf("slabcraft %s%s\n", title, o->quick ? " (quick)" : "");
    bh_print_environment(stdout);
    return t0;
}

/* Ends a driver: the CSV and the SVG through the program's writers (each
 * called with ctx) when the options ask for them, then the total time since
 * t0.  Returns the driver's exit status, 0. */
static inline int bh_driver_end(const bh_opts_t *o, uint64_t t0, void (*csv)(const void *), void (*svg)(const void *),
                                const void *ctx)
{
    if (o->csv)
        csv(ctx);
    if (o->svg)
        svg(ctx);
    printf("\ntotal time: %.1f s\n", (double)(clock_now_ns() - t0) / 1e9);
    return 0;
}

/* A benchmark program's main: --worker ... runs worker, --probe
 * bh_probe_main(), anything else driver. */
static inline int bh_main(int argc, char **argv, int (*worker)(int, char **), int (*driver)(int, char **))
{
    if (argc > 1 && strcmp(argv[1], "--worker") == 0)
        return worker(argc, argv);
    if (argc == 2 && strcmp(argv[1], "--probe") == 0)
        return bh_probe_main();
    return driver(argc, argv);
}

/* Probes the n competitors (bh_probe_all()), then names the versions of
 * those that are not a preloaded malloc: GSlice (index gslice) gets GLib's,
 * this project's own allocators (index own and every one after it)
 * "slabcraft".  Prints the GSlice line; dies unless glibc (index 0) and own
 * both run. */
static inline void bh_probe_local(bh_comp_t *comps, size_t n, size_t gslice, size_t own)
{
    bh_probe_all(comps, n);
    snprintf(comps[gslice].version, sizeof comps[gslice].version, "GLib %u.%u.%u", glib_major_version,
             glib_minor_version, glib_micro_version);
    for (size_t i = own; i < n; i++)
        snprintf(comps[i].version, sizeof comps[i].version, "slabcraft");
    if (comps[gslice].present)
        printf("%-9s: %s, g_slice_alloc/g_slice_free1, G_SLICE unset\n", "gslice", comps[gslice].version);
    if (!comps[0].present || !comps[own].present)
        bh_die("glibc and %s must both run", comps[own].name);
}

/* What a worker's line must hold besides peak_rss_kib and malloc, with the
 * bounds outside which it is nonsense. */
typedef struct bh_line_spec {
    const char *time_key;  /* nanoseconds per operation */
    double time_lo;        /* its smallest sensible value */
    double time_hi;        /* its largest */
    const char *count_key; /* operations done: at least as many as asked for */
    double rss_hi;         /* largest sensible peak_rss_kib */
} bh_line_spec_t;

/* Runs the worker argv (argv[0] this program, then --worker ALLOC WHAT
 * SIZE N) for competitor c, want operations, and checks its line against
 * spec and c's malloc.  Returns the nanoseconds per operation and sets
 * *rss; the line is left in out.  A worker that fails exits the driver; one
 * that prints nonsense or runs on the wrong malloc kills it. */
static inline double bh_measure(const bh_comp_t *c, char **argv, unsigned timeout_s, const bh_line_spec_t *spec,
                                size_t want, double *rss, char *out, size_t size)
{
    bh_child_t child = {argv, c->lib ? c->preload : NULL, timeout_s};
    if (!bh_run(&child, out, size))
        exit(1);
    double ns = 0, done = 0;
    char who[64];
    if (!bh_one_line(out) || !bh_field_number(out, spec->time_key, spec->time_lo, spec->time_hi, &ns) ||
        !bh_field_number(out, "peak_rss_kib", 1, spec->rss_hi, rss) ||
        !bh_field_number(out, spec->count_key, 1, 1e13, &done) || done < (double)want ||
        !bh_field(out, "malloc", who, sizeof who))
        bh_die("worker %s %s %s printed nonsense: \"%s\"", c->name, argv[3], argv[4], out);
    if (strcmp(who, c->identity) != 0)
        bh_die("worker for %s runs on %s's malloc: the preload did not take effect", c->name, who);
    return ns;
}

#define BH_NQ 4 /* quantities one measurement may report */

/* Measures one cell: a warm-up round unless quick, then reps rounds, each
 * round calling measure(ctx, i, v) once for every competitor i with on[i],
 * in turn (A B C A B C ...); measure fills v[0..BH_NQ).  The kept rounds
 * land in samples[i][q][rep]. */
static inline void bh_rounds(size_t n, const bool *on, bool quick, size_t reps,
                             void (*measure)(void *, size_t, double *), void *ctx, double (*samples)[BH_NQ][64])
{
    size_t warm = quick ? 0 : 1;
    for (size_t rep = 0; rep < warm + reps; rep++) {
        for (size_t i = 0; i < n; i++) {
            double v[BH_NQ] = {NAN, NAN, NAN, NAN};
            if (!on[i])
                continue;
            measure(ctx, i, v);
            for (size_t q = 0; rep >= warm && q < BH_NQ; q++)
                samples[i][q][rep - warm] = v[q];
        }
    }
}

/* Median, min and max of n > 0 samples (left as they were). */
static inline void bh_stats(const double *samples, size_t n, double *med, double *lo, double *hi)
{
    double v[64];
    memcpy(v, samples, n * sizeof *v);
    *med = bh_median(v, n);
    *lo = v[0];
    *hi = v[n - 1];
}

/* How a table's medians were taken, after "median of REPS". */
static inline const char *bh_warmup_note(bool quick)
{
    return quick ? ", no warm-up" : " after 1 warm-up round";
}

/* The head of a cell's table: its title, then the column names. */
static inline void bh_cell_head(const char *what, size_t reps, bool quick)
{
    printf("\n%s: ns per alloc+free pair (median of %zu%s)\n", what, reps, bh_warmup_note(quick));
    printf("  %-10s %9s %9s %9s %9s %12s\n", "allocator", "median", "min", "max", "vs glibc", "peak RSS KiB");
}

/* One row of a cell's table; base is glibc's median. */
static inline void bh_cell_row(const char *name, double med, double lo, double hi, double base, double rss)
{
    printf("  %-10s %9.2f %9.2f %9.2f %8.2fx %12.0f\n", name, med, lo, hi, base / med, rss);
}

/* The head of the summary of ratios to glibc: its title, the label column
 * (width wide), one column per present competitor among the first n, and
 * the last column (the project's own ns per operation). */
static inline void bh_summary_head(const bh_comp_t *comps, size_t n, int width, const char *label, const char *last)
{
    printf("\nSpeed relative to glibc (glibc median / median; > 1 = faster than glibc)\n");
    printf("  %-*s", width, label);
    for (size_t i = 0; i < n; i++)
        if (comps[i].present)
            printf(" %9s", comps[i].name);
    printf(" %12s\n", last);
}

/* True, once a run may count instructions: it asked to, and valgrind is
 * there (if not, a note says so). */
static inline bool bh_callgrind_ready(bool wanted)
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

/* Opens path for the CSV and writes its header line; dies if it cannot. */
static inline FILE *bh_csv_open(const char *path, const char *header)
{
    FILE *f = fopen(path, "w");
    if (f == NULL)
        bh_die("cannot write %s: %s", path, strerror(errno));
    fputs(header, f);
    return f;
}

/* Ends a CSV row with its n samples, separated by semicolons. */
static inline void bh_csv_samples(FILE *f, const double *samples, size_t n)
{
    for (size_t k = 0; k < n; k++)
        fprintf(f, "%s%.4f", k ? ";" : "", samples[k]);
    fputc('\n', f);
}

/* Closes the CSV; dies if it could not be written, else says so. */
static inline void bh_csv_close(FILE *f, const char *path)
{
    if (fclose(f) != 0)
        bh_die("cannot write %s", path);
    printf("\nwrote %s\n", path);
}

/* The series of a chart of speeds relative to glibc: the present
 * competitors from first to last (glibc, index 0, is the reference line). */
typedef struct bh_series {
    size_t n;              /* series */
    size_t map[64];        /* the competitor of each */
    const char *name[64];  /* its name */
    const char *colour[64]; /* its colour */
    size_t highlight;      /* the series of the project's own allocator; n or more = none */
} bh_series_t;

/* Picks the series: every present competitor i in [first, last), coloured
 * colour[i]; the one at index own is highlighted. */
static inline void bh_series_pick(bh_series_t *s, const bh_comp_t *comps, size_t first, size_t last, size_t own,
                                  const char *const *colour)
{
    s->n = 0;
    s->highlight = last;
    for (size_t i = first; i < last && s->n < 64; i++)
        if (comps[i].present) {
            if (i == own)
                s->highlight = s->n;
            s->map[s->n] = i;
            s->colour[s->n] = colour[i];
            s->name[s->n++] = comps[i].name;
        }
}

/* Writes a chart of speeds relative to glibc to path: groups bars per
 * group (labels, sections), value[g * s->n + k] for series k, on a log2
 * axis with every bar growing from the glibc line; the subtitle tells the
 * repetitions, the CPU and the compiler.  Dies if it cannot write. */
static inline void bh_ratio_chart(const char *path, const char *title, size_t reps, size_t groups,
                                  const char *const *label, const char *const *section, const bh_series_t *s,
                                  const double *value)
{
    char subtitle[512], cpu[200];
    bh_cpuinfo("model name", cpu, sizeof cpu);
    snprintf(subtitle, sizeof subtitle, "median of %zu run%s per bar; %s, %ld CPUs; %s", reps,
             reps == 1 ? "" : "s", cpu, sysconf(_SC_NPROCESSORS_ONLN), BH_COMPILER);
    bh_chart_t chart = {
        .title = title,
        .subtitle = subtitle,
        .y_label = "glibc time / allocator time (log scale)",
        .groups = groups,
        .group_label = label,
        .group_section = section,
        .series = s->n,
        .series_name = s->name,
        .series_colour = s->colour,
        .value = value,
        .log_scale = true,
        .reference = 1.0,
        .reference_label = "glibc = 1",
        .highlight = s->highlight,
    };
    if (!bh_svg_write(path, &chart))
        bh_die("cannot write %s", path);
    printf("wrote %s\n", path);
}

#endif

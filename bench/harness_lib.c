/*
 * harness_lib.c - the core of the benchmark harness (see harness.h):
 * small utilities and statistics, which malloc a process runs on, the
 * environment header, running a worker process and reading its one line,
 * probing the competitors, and the driver's skeleton (options, main, one
 * measurement, rounds of interleaved measurements).
 *
 * A worker runs with its stdout in a pipe and its stderr in a temporary
 * file, so a failure can show both; a timeout is a SIGALRM set before
 * exec.  Bounds: a worker's output is read up to the caller's buffer (the
 * rest is drained and dropped), a failure shows at most its last 12 lines
 * of stderr, and medians sort at most 64 samples.
 */
#define _GNU_SOURCE

#include <dlfcn.h>
#include <errno.h>
#include <gnu/libc-version.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib.h>

#include "clock.h"
#include "harness.h"
#include "page_source.h"
#include "vmem.h"

/* ---- small utilities ------------------------------------------------------ */

_Noreturn void bh_die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("bench: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

void *bh_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (p == NULL)
        bh_die("out of memory (%zu bytes)", n);
    return p;
}

/* Copies the first line of a file (without its newline) into buf; returns
 * false and leaves "unknown" if the file cannot be read. */
static bool bh_first_line(const char *path, char *buf, size_t size)
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

void bh_cpuinfo(const char *key, char *buf, size_t size)
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
static void bh_self_path(char *buf, size_t size)
{
    ssize_t n = readlink("/proc/self/exe", buf, size - 1);
    if (n <= 0 || (size_t)n >= size - 1)
        bh_die("cannot read /proc/self/exe");
    buf[n] = '\0';
}

long bh_peak_rss_kib(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

/* Sorts n doubles ascending (insertion sort: n is a handful of reps). */
static void bh_sort(double *v, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        double x = v[i];
        size_t j = i;
        for (; j > 0 && v[j - 1] > x; j--)
            v[j] = v[j - 1];
        v[j] = x;
    }
}

double bh_median(double *v, size_t n)
{
    bh_sort(v, n);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

void bh_stats(const double *samples, size_t n, double *med, double *lo, double *hi)
{
    double v[64];
    memcpy(v, samples, n * sizeof *v);
    *med = bh_median(v, n);
    *lo = v[0];
    *hi = v[n - 1];
}

size_t bh_count(const char *s, const char *what)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || *end || !(v >= 1) || v > 1e12 || v != floor(v))
        bh_die("bad %s: %s", what, s);
    return (size_t)v;
}

/* ---- which malloc is this process using? ---------------------------------- */

/* Finds a shared library for LD_PRELOAD: the environment variable envvar
 * (if set) wins, else the first of the usual library directories that holds
 * file.  Returns false if there is none. */
static bool bh_find_library(const char *envvar, const char *file, char *out, size_t size)
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

/* Looks a function up among the loaded objects (LD_PRELOAD'ed ones first). */
static void *bh_symbol(const char *name)
{
    return dlsym(RTLD_DEFAULT, name);
}

void bh_malloc_identity(char *name, size_t nsize, char *version, size_t vsize)
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
static int bh_probe_main(void)
{
    char name[64], version[128];
    bh_malloc_identity(name, sizeof name, version, sizeof version);
    printf("malloc=%s version=%s\n", name, version);
    return 0;
}

/* ---- the worker's page source --------------------------------------------- */

const char *bh_worker_source(void)
{
    static vmem_t vmem; /* lives as long as the process: the allocators point at it */
    const char *name = getenv(BH_SOURCE_ENV);
    if (name == NULL || strcmp(name, "libc") == 0)
        return "libc";
    bool keep = strcmp(name, "vmem-keep") == 0;
    if (strcmp(name, "vmem") != 0 && !keep)
        bh_die("%s=%s: unknown page source (libc, vmem or vmem-keep)", BH_SOURCE_ENV, name);
    int rc = vmem_init(&vmem, &(vmem_config_t){.release = keep ? VMEM_RELEASE_KEEP : VMEM_RELEASE_DONTNEED});
    if (rc != 0)
        bh_die("%s=%s: vmem_init failed: %s", BH_SOURCE_ENV, name, strerror(-rc));
    page_source_set_default(vmem_source(&vmem));
    return keep ? "vmem-keep" : "vmem";
}

/* ---- the environment header ----------------------------------------------- */

#define BH_STR_(x) #x
#define BH_STR(x) BH_STR_(x)

const char *bh_compiler(void)
{
#if defined(__clang__)
    return "clang " BH_STR(__clang_major__) "." BH_STR(__clang_minor__) "." BH_STR(__clang_patchlevel__);
#elif defined(__GNUC__)
    return "gcc " __VERSION__;
#else
    return "unknown compiler";
#endif
}

/* The build: SC_BUILD_FLAGS if the build passes its flags in as a string,
 * else what the predefined macros tell (optimised, NDEBUG, SC_NO_VALGRIND
 * are what the Makefile's release mode sets). */
#if defined(__OPTIMIZE__) && defined(NDEBUG) && defined(SC_NO_VALGRIND)
#ifdef SC_BUILD_FLAGS
#define BH_BUILD "release: " SC_BUILD_FLAGS
#else
#define BH_BUILD "release (optimised, -DNDEBUG -DSC_NO_VALGRIND: make MODE=release)"
#endif
#else
#define BH_BUILD "NOT a release build: figures are meaningless (build with MODE=release)"
#endif

/* Prints where the figures come from: CPU, kernel, compiler and build,
 * transparent huge pages, glibc, and the load when the run started. */
static void bh_print_environment(FILE *out)
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
    fprintf(out, "compiler : %s\n", bh_compiler());
    fprintf(out, "build    : %s\n", BH_BUILD);
    fprintf(out, "thp      : %s\n", thp);
    fprintf(out, "glibc    : %s\n", gnu_get_libc_version());
    fprintf(out, "loadavg  : %s\n", load);
}

/* ---- running a worker ----------------------------------------------------- */

/* Prints the last n (<= 32) lines of f to stderr, indented. */
static void bh_tail(FILE *f, size_t n)
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

bool bh_run(const bh_child_t *c, char *out, size_t size)
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
static bool bh_field(const char *line, const char *key, char *buf, size_t size)
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

bool bh_field_number(const char *line, const char *key, double lo, double hi, double *out)
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
static bool bh_one_line(const char *out)
{
    const char *nl = strchr(out, '\n');
    return nl != NULL && nl != out && nl[1] == '\0';
}

/* ---- competitors ---------------------------------------------------------- */

/* The callgrind toggles of the general competitors (see harness.h). */
const char *const bh_tg_malloc[] = {"malloc", "free", NULL};
const char *const bh_tg_gslice[] = {"g_slice_alloc", "g_slice_free1", NULL};

void bh_probe_all(bh_comp_t *comps, size_t n)
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

void bh_probe_local(bh_comp_t *comps, size_t n, size_t gslice, size_t own)
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

/* ---- the driver's skeleton ------------------------------------------------ */

/* Takes the common option at argv[*i] (and its value, advancing *i) into o;
 * false if argv[*i] is none of them. */
static bool bh_parse_common(bh_opts_t *o, int argc, char **argv, int *i)
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

void bh_parse_opts(bh_opts_t *o, int argc, char **argv, bool (*own)(void *, int, char **, int *),
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

uint64_t bh_driver_begin(bh_opts_t *o, const char *title)
{
    bh_self_path(o->self, sizeof o->self);
    uint64_t t0 = clock_now_ns();
    printf("slabcraft %s%s\n", title, o->quick ? " (quick)" : "");
    bh_print_environment(stdout);
    return t0;
}

int bh_driver_end(const bh_opts_t *o, uint64_t t0, void (*csv)(const void *), void (*svg)(const void *),
                  const void *ctx)
{
    if (o->csv)
        csv(ctx);
    if (o->svg)
        svg(ctx);
    printf("\ntotal time: %.1f s\n", (double)(clock_now_ns() - t0) / 1e9);
    return 0;
}

int bh_main(int argc, char **argv, int (*worker)(int, char **), int (*driver)(int, char **))
{
    if (argc > 1 && strcmp(argv[1], "--worker") == 0)
        return worker(argc, argv);
    if (argc == 2 && strcmp(argv[1], "--probe") == 0)
        return bh_probe_main();
    return driver(argc, argv);
}

double bh_measure(const bh_comp_t *c, char **argv, unsigned timeout_s, const bh_line_spec_t *spec,
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

void bh_rounds(size_t n, const bool *on, bool quick, size_t reps,
               void (*measure)(void *, size_t, double *), void *ctx, double (*samples)[BH_NQ][64])
{
    size_t warm = quick ? 0 : 1;
    for (size_t rep = 0; rep < warm + reps; rep++) {
        for (size_t i = 0; i < n; i++) {
            double v[BH_NQ];
            if (!on[i])
                continue;
            for (size_t q = 0; q < BH_NQ; q++)
                v[q] = NAN;
            measure(ctx, i, v);
            for (size_t q = 0; rep >= warm && q < BH_NQ; q++)
                samples[i][q][rep - warm] = v[q];
        }
    }
}

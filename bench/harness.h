/*
 * harness.h - what every slabcraft benchmark program shares: running itself
 * as a worker process, probing the competitors (bh_comp_t, and the general
 * ones every benchmark measures), medians, the environment header, tables,
 * CSV, an SVG chart, instruction counts from callgrind, and the driver's
 * common parts (options, main, rounds of measurements).
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
 * The code is in three helper files that the Makefile links into every
 * benchmark program (the bench/NAME_lib.c files are helpers, not programs):
 *   harness_lib.c            processes, competitors, statistics, the
 *                            environment and the driver's skeleton;
 *   harness_report_lib.c     tables, CSV and the SVG chart;
 *   harness_callgrind_lib.c  instruction counts.
 * Bounds: each call is linear in what it handles (a child's output, a
 * chart's bars, a cell's repetitions, at most 64); nothing keeps state
 * between calls.  A benchmark includes what it uses itself: this header
 * brings only the C types its declarations need.
 */
#ifndef SLABCRAFT_BENCH_HARNESS_H
#define SLABCRAFT_BENCH_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ---- small utilities ------------------------------------------------------ */

/* Prints a message to stderr and exits with status 1. */
_Noreturn void bh_die(const char *fmt, ...);

/* malloc that cannot fail (the driver has no use for half a result). */
void *bh_xmalloc(size_t n);

/* The value of the first "key : value" line of /proc/cpuinfo whose key is
 * key, or "unknown". */
void bh_cpuinfo(const char *key, char *buf, size_t size);

/* Peak resident set of this process in KiB. */
long bh_peak_rss_kib(void);

/* Median of n > 0 values (sorts them in place). */
double bh_median(double *v, size_t n);

/* Median, min and max of n > 0 samples (left as they were). */
void bh_stats(const double *samples, size_t n, double *med, double *lo, double *hi);

/* Parses a positive whole count (digits, or a form like 1e6); dies naming
 * what on anything else. */
size_t bh_count(const char *s, const char *what);

/* ---- the environment ------------------------------------------------------ */

/* The compiler that built the benchmarks, as "gcc 12.2.0" or "clang 14.0.6". */
const char *bh_compiler(void);

/* Names the malloc the process actually runs on, and its version, by
 * looking for each allocator's own introspection symbol: jemalloc's
 * mallctl, mimalloc's mi_version, gperftools' tc_version; otherwise glibc.
 * Workers report it so the driver can tell a preload that silently failed. */
void bh_malloc_identity(char *name, size_t nsize, char *version, size_t vsize);

/* The page source a worker's allocators take their blocks from, chosen by
 * the environment variable BH_SOURCE_ENV: "vmem" makes a stage 05 vmem_t
 * (default configuration, living as long as the process) the process's
 * default source, "vmem-keep" the same with VMEM_RELEASE_KEEP (freed pages
 * never go back to the kernel); unset or "libc" keeps the C library's.  Call it first
 * thing in a worker; returns the name of the source in use, which the
 * worker prints as source=NAME so the driver can check it took effect.
 * Dies on an unknown name or when vmem_init() fails. */
#define BH_SOURCE_ENV "SC_BENCH_SOURCE"
const char *bh_worker_source(void);

/* ---- running a worker ----------------------------------------------------- */

/* How to run one child. */
typedef struct bh_child {
    char *const *argv;   /* program and arguments; argv[0] is the path executed */
    const char *preload; /* LD_PRELOAD for the child; NULL = none (any inherited one is removed) */
    unsigned timeout_s;  /* the child is killed by SIGALRM after this many seconds; 0 = none */
} bh_child_t;

/* Runs a child with its stdout captured into out (NUL-terminated, at most
 * size - 1 bytes) and its stderr kept aside.  Returns true if it exited with
 * status 0; otherwise prints the command, how it ended and its stderr, and
 * returns false. */
bool bh_run(const bh_child_t *c, char *out, size_t size);

/* Parses field key of a worker's line as a finite number in [lo, hi]. */
bool bh_field_number(const char *line, const char *key, double lo, double hi, double *out);

/* ---- competitors ---------------------------------------------------------- */

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
 * competitors (malloc and free; g_slice_alloc and g_slice_free1 for
 * GSlice), by the symbol names it reports (every malloc here exports
 * plain malloc and free; a name that matches nothing gives no count,
 * reported as n/a).  Only the instructions inside them count: the caller's
 * call instruction and argument set-up do not. */
extern const char *const bh_tg_malloc[];
extern const char *const bh_tg_gslice[];

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
 * take effect (a child run with `PROGRAM --probe` must report the
 * competitor's identity), which version.  Sets present and version, prints
 * a note for each one skipped and a line for each preloaded one.  Dies if a
 * probe fails outright. */
void bh_probe_all(bh_comp_t *comps, size_t n);

/* Probes the n competitors (is each library there, does its preload take
 * effect, which version; a note for each one skipped, a line for each one
 * preloaded), then names the versions of those that are not a preloaded
 * malloc: GSlice (index gslice) gets GLib's, this project's own allocators
 * (index own and every one after it) "slabcraft".  Prints the GSlice line;
 * dies unless glibc (index 0) and own both run. */
void bh_probe_local(bh_comp_t *comps, size_t n, size_t gslice, size_t own);

/* ---- the driver's skeleton ------------------------------------------------ */

/* The options every driver takes (see the convention at the top). */
typedef struct bh_opts {
    bool quick;      /* smoke run: a few cells, small N, one repetition */
    bool callgrind;  /* count instructions if valgrind is there */
    size_t reps;     /* measured repetitions per cell and competitor, 1 to 64 */
    const char *csv; /* CSV output; NULL = none */
    const char *svg; /* SVG output; NULL = none */
    char self[4096]; /* this program's path */
} bh_opts_t;

/* Parses a driver's command line into o: the common options, then own (if
 * not NULL) for the program's own ones (it returns false for an unknown
 * option, advancing *i past any value it takes); usage() on anything
 * unknown.  reps defaults to 1 in a quick run, else 5. */
void bh_parse_opts(bh_opts_t *o, int argc, char **argv, bool (*own)(void *, int, char **, int *),
                   void *ctx, void (*usage)(void));

/* Starts a driver: finds its own path, takes the start time, prints the
 * title (marked when quick) and the environment.  Returns the start time. */
uint64_t bh_driver_begin(bh_opts_t *o, const char *title);

/* Ends a driver: the CSV and the SVG through the program's writers (each
 * called with ctx) when the options ask for them, then the total time since
 * t0.  Returns the driver's exit status, 0. */
int bh_driver_end(const bh_opts_t *o, uint64_t t0, void (*csv)(const void *), void (*svg)(const void *),
                  const void *ctx);

/* A benchmark program's main: --worker ... runs worker, --probe prints
 * "malloc=NAME version=VERSION" for the malloc the process runs on (what
 * the driver's probes read), anything else runs driver. */
int bh_main(int argc, char **argv, int (*worker)(int, char **), int (*driver)(int, char **));

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
double bh_measure(const bh_comp_t *c, char **argv, unsigned timeout_s, const bh_line_spec_t *spec,
                  size_t want, double *rss, char *out, size_t size);

#define BH_NQ 8 /* quantities one measurement may report */

/* Measures one cell: a warm-up round unless quick, then reps rounds, each
 * round calling measure(ctx, i, v) once for every competitor i with on[i],
 * in turn (A B C A B C ...); measure fills v[0..BH_NQ).  The kept rounds
 * land in samples[i][q][rep]. */
void bh_rounds(size_t n, const bool *on, bool quick, size_t reps,
               void (*measure)(void *, size_t, double *), void *ctx, double (*samples)[BH_NQ][64]);

/* ---- tables and CSV (harness_report_lib.c) -------------------------------- */

/* How a table's medians were taken, after "median of REPS". */
const char *bh_warmup_note(bool quick);

/* The head of a cell's table: its title, then the column names. */
void bh_cell_head(const char *what, size_t reps, bool quick);

/* One row of a cell's table; base is glibc's median. */
void bh_cell_row(const char *name, double med, double lo, double hi, double base, double rss);

/* The head of the summary of ratios to glibc: its title, the label column
 * (width wide), one column per present competitor among the first n, and
 * the last column (the project's own ns per operation). */
void bh_summary_head(const bh_comp_t *comps, size_t n, int width, const char *label, const char *last);

/* Opens path for the CSV and writes its header line; dies if it cannot. */
FILE *bh_csv_open(const char *path, const char *header);

/* Ends a CSV row with its n samples, separated by semicolons. */
void bh_csv_samples(FILE *f, const double *samples, size_t n);

/* Closes the CSV; dies if it could not be written, else says so. */
void bh_csv_close(FILE *f, const char *path);

/* ---- the SVG chart (harness_report_lib.c) --------------------------------- */

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

/* Writes the chart to path.  Returns false if the file cannot be written. */
bool bh_svg_write(const char *path, const bh_chart_t *c);

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
void bh_series_pick(bh_series_t *s, const bh_comp_t *comps, size_t first, size_t last, size_t own,
                    const char *const *colour);

/* The subtitle every chart carries: the repetitions behind each bar, the
 * CPU and the compiler, in buf. */
void bh_chart_subtitle(char *buf, size_t size, size_t reps);

/* Writes a chart of speeds relative to glibc to path: groups bars per
 * group (labels, sections), value[g * s->n + k] for series k, on a log2
 * axis with every bar growing from the glibc line; the subtitle tells the
 * repetitions, the CPU and the compiler.  Dies if it cannot write. */
void bh_ratio_chart(const char *path, const char *title, size_t reps, size_t groups,
                    const char *const *label, const char *const *section, const bh_series_t *s,
                    const double *value);

/* ---- instruction counts (harness_callgrind_lib.c) ------------------------- */

/* True, once a run may count instructions: it asked to, and valgrind is
 * there (if not, a note says so). */
bool bh_callgrind_ready(bool wanted);

/* Instructions per operation: runs argv under callgrind twice, with
 * argv[n_arg] set to n and to 2n operations, and returns the difference
 * divided by n, the cost of one steady operation free of one-time costs
 * (first block, lazy initialisation).  NAN if nothing was counted; *ran is
 * set to false if callgrind itself failed. */
double bh_callgrind_slope(char **argv, size_t n_arg, size_t n, const char *preload,
                          const char *const *toggles, unsigned timeout_s, bool *ran);

#endif

/*
 * replay.c - replays malloc traces (the CS:APP malloc-lab format) against
 * slabs and against the C library's malloc, and measures time and space.
 *
 * Trace format (the lab's files are accepted unchanged):
 *     <suggested heap size>      header: four integers, one per line
 *     <number of ids>
 *     <number of operations>
 *     <weight>
 *     a <id> <size>              allocate size bytes, call it id
 *     r <id> <size>              realloc id to size bytes
 *     f <id>                     free id
 * Blank lines, lines starting with '#', CR LF line ends and extra spaces
 * are ignored.  The header counts are checked against the operations but
 * only warned about: the operations are what is replayed.  A size of 0 is
 * replayed as 1 byte (slabs_alloc(0) is an error by design) and counts as
 * 0 bytes of payload.
 *
 * What is measured, per allocator:
 *  - time: the whole trace, in a fresh child process each run (so every run
 *    starts from an untouched heap), median of -r runs, runs of the
 *    allocators interleaved; each allocation has its first byte written;
 *  - peak payload: the highest sum of the sizes of live ids (from the trace,
 *    the same for both allocators);
 *  - peak held: the highest number of bytes the allocator held at once.
 *    slabs: its own peak_bytes_from_source (slabs, descriptors, tables,
 *    large objects).  malloc: after every a and r operation, mallinfo2()
 *    arena + hblkhd (bytes glibc holds from the kernel, sbrk and mmap), less
 *    the bytes that were in use before the replay started (stdio buffers:
 *    the free rest of glibc's first heap counts, as a fresh program would
 *    have to take it too); this is sampled in a separate, untimed run;
 *  - U = peak payload / peak held: 1 is perfect.
 * slabs takes its blocks from the default page source, which is
 * posix_memalign(): the C library adds its own overhead to those blocks,
 * which the "heap" column shows (mallinfo2 during the slabs run), with the
 * utilisation computed from it.
 *
 * The trace is kept in mmap()ed memory so that the malloc heap holds
 * nothing but what the replay allocates.  Contents are verified: each
 * object is filled with a byte derived from its id and checked when it is
 * reallocated or freed (in the untimed run).
 *
 * Usage: replay [-r runs] [-s slab_size] [-g growth] [-m max_size]
 *               [-S size,size,...] [-t trim_every] [-c] trace...
 *   -S    an explicit class list (slabs_config_t::sizes) instead of -g/-m
 *   -t N  also replay slabs calling slabs_trim(s, 1) every N operations
 *   -c    slabs with SLABS_CHECKED
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "slabs.h"

#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
#define HAVE_MALLINFO2 1
#endif

/* ---- the trace ---------------------------------------------------------- */

typedef struct op {
    char kind;      /* 'a', 'r' or 'f' */
    uint32_t id;    /* which object */
    size_t size;    /* bytes, for 'a' and 'r' */
} op_t;

typedef struct trace {
    const char *path;      /* file name */
    long header[4];        /* suggested heap, ids, ops, weight; -1 = absent */
    op_t *ops;             /* the operations (mmap'ed) */
    size_t n_ops;          /* how many */
    size_t n_ids;          /* 1 + the largest id */
    size_t ops_bytes;      /* bytes mapped for ops */
} trace_t;

/* Memory that is not from malloc. */
static void *map(size_t bytes)
{
    void *p = mmap(NULL, bytes ? bytes : 1, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

/* Reads a whole file into mmap'ed memory, NUL-terminated. */
static char *read_file(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    char *buf = map((size_t)st.st_size + 1);
    size_t got = 0;
    while (buf && got < (size_t)st.st_size) {
        ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    if (buf)
        buf[got] = '\0';
    *len = got;
    return buf;
}

/* Parses one operation line; false if it is not one. */
static bool parse_op(const char *line, op_t *op)
{
    char kind;
    unsigned long id, size = 0;
    int n = sscanf(line, " %c %lu %lu", &kind, &id, &size);
    if (n < 2 || (kind != 'a' && kind != 'r' && kind != 'f') || (kind != 'f' && n < 3) || id > UINT32_MAX)
        return false;
    op->kind = kind;
    op->id = (uint32_t)id;
    op->size = size;
    return true;
}

/* Splits text into lines (CR LF or LF), skipping blank and '#' lines; calls
 * fn on each.  Lines are modified in place (terminated). */
static bool each_line(char *text, bool (*fn)(void *ctx, char *line, size_t no), void *ctx)
{
    size_t no = 0;
    for (char *line = text; *line != '\0';) {
        char *end = line + strcspn(line, "\n");
        char *next = *end ? end + 1 : end;
        *end = '\0';
        if (end > line && end[-1] == '\r')
            end[-1] = '\0';
        no++;
        char *t = line + strspn(line, " \t");
        if (*t != '\0' && *t != '#' && !fn(ctx, t, no))
            return false;
        line = next;
    }
    return true;
}

typedef struct parse {
    trace_t *t;     /* filled in */
    int headers;    /* header integers read so far */
    bool count_only;/* first pass: count operations */
} parse_t;

static bool on_line(void *ctx, char *line, size_t no)
{
    parse_t *ps = ctx;
    op_t op;
    if (ps->t->n_ops == 0 && ps->headers < 4 && !parse_op(line, &op)) {
        char *end;
        long v = strtol(line, &end, 10);
        if (end == line) {
            fprintf(stderr, "%s:%zu: expected a header number or an operation\n", ps->t->path, no);
            return false;
        }
        ps->t->header[ps->headers++] = v;
        return true;
    }
    if (!parse_op(line, &op)) {
        fprintf(stderr, "%s:%zu: not an operation: %s\n", ps->t->path, no, line);
        return false;
    }
    if (!ps->count_only)
        ps->t->ops[ps->t->n_ops] = op;
    ps->t->n_ops++;
    if (op.id + (size_t)1 > ps->t->n_ids)
        ps->t->n_ids = op.id + (size_t)1;
    return true;
}

/* Loads a trace: one pass to count, one to fill. */
static bool trace_load(trace_t *t, const char *path)
{
    memset(t, 0, sizeof *t);
    t->path = path;
    size_t len;
    char *text = read_file(path, &len);
    if (text == NULL) {
        fprintf(stderr, "%s: %s\n", path, strerror(errno));
        return false;
    }
    char *copy = map(len + 1);
    if (copy == NULL)
        return false;
    memcpy(copy, text, len + 1);
    parse_t ps = {t, 0, true};
    for (int i = 0; i < 4; i++)
        t->header[i] = -1;
    bool ok = each_line(text, on_line, &ps);
    if (ok) {
        t->ops_bytes = t->n_ops * sizeof(op_t);
        t->ops = map(t->ops_bytes);
        t->n_ops = 0;
        t->n_ids = 0;
        ps = (parse_t){t, 0, false};
        ok = t->ops != NULL && each_line(copy, on_line, &ps);
    }
    munmap(text, len + 1);
    munmap(copy, len + 1);
    if (ok && t->header[2] >= 0 && (size_t)t->header[2] != t->n_ops)
        fprintf(stderr, "%s: warning: header says %ld operations, file has %zu\n", path,
                t->header[2], t->n_ops);
    if (ok && t->header[1] >= 0 && (size_t)t->header[1] < t->n_ids)
        fprintf(stderr, "%s: warning: header says %ld ids, file uses %zu\n", path,
                t->header[1], t->n_ids);
    return ok;
}

/* ---- allocators --------------------------------------------------------- */

typedef struct options {
    int runs;               /* timing runs */
    slabs_config_t cfg;     /* slabs configuration */
    long trim_every;        /* 0 = never trim */
} options_t;

typedef struct alloc_if {
    const char *name;
    bool is_slabs;          /* slabs or malloc */
    long trim_every;        /* slabs: trim every this many ops; 0 = never */
} alloc_if_t;

typedef struct result {
    int failed;             /* a step failed (out of memory, damaged content) */
    uint64_t ns;            /* time for the whole trace */
    size_t peak_payload;    /* highest sum of live sizes */
    size_t peak_held;       /* highest bytes held by the allocator */
    size_t peak_heap;       /* highest mallinfo2 heap, less the baseline (0 = unknown) */
    size_t checks;          /* slabs_check() problems at the end (slabs only) */
} result_t;

/* Bytes the C library holds from the kernel (in_use false), or hands out
 * (in_use true). */
static size_t heap_now(bool in_use)
{
#ifdef HAVE_MALLINFO2
    struct mallinfo2 mi = mallinfo2();
    return (in_use ? mi.uordblks : mi.arena) + mi.hblkhd;
#else
    (void)in_use;
    return 0;
#endif
}

/* The state of one replay. */
typedef struct replay {
    const trace_t *t;
    const alloc_if_t *a;
    slabs_t s;              /* when is_slabs */
    void **ptr;             /* per id: the object, or NULL */
    size_t *size;           /* per id: its size in the trace */
    bool measure;           /* verify contents and sample the heap */
    size_t heap_base;       /* heap bytes in use before the replay (stdio buffers and such) */
    result_t r;
} replay_t;

static void *r_alloc(replay_t *rp, size_t n)
{
    return rp->a->is_slabs ? slabs_alloc(&rp->s, n ? n : 1) : malloc(n ? n : 1);
}

static void *r_realloc(replay_t *rp, void *p, size_t n)
{
    return rp->a->is_slabs ? slabs_realloc(&rp->s, p, n ? n : 1) : realloc(p, n ? n : 1);
}

static void r_free(replay_t *rp, void *p)
{
    if (rp->a->is_slabs)
        slabs_free(&rp->s, p);
    else
        free(p);
}

static unsigned char tag_of(uint32_t id)
{
    return (unsigned char)(id * 131u + 7u);
}

/* In the measuring run: are the first n bytes of id's object intact? */
static bool intact(const replay_t *rp, uint32_t id, size_t n)
{
    const unsigned char *p = rp->ptr[id];
    for (size_t i = 0; i < n; i++)
        if (p[i] != tag_of(id))
            return false;
    return true;
}

static void stamp(replay_t *rp, uint32_t id)
{
    if (rp->measure)
        memset(rp->ptr[id], tag_of(id), rp->size[id]);
    else
        *(volatile unsigned char *)rp->ptr[id] = 1;
}

/* One operation; false if it failed. */
static bool step(replay_t *rp, const op_t *op, size_t *payload)
{
    uint32_t id = op->id;
    if (op->kind == 'f' || (op->kind == 'a' && rp->ptr[id] != NULL)) {
        if (rp->ptr[id] == NULL)
            return true; /* freeing what is not live: nothing to do */
        if (rp->measure && !intact(rp, id, rp->size[id]))
            return false;
        r_free(rp, rp->ptr[id]);
        *payload -= rp->size[id];
        rp->ptr[id] = NULL;
        if (op->kind == 'f')
            return true;
    }
    if (op->kind == 'r' && rp->ptr[id] != NULL) {
        size_t keep = rp->size[id] < op->size ? rp->size[id] : op->size;
        void *q = r_realloc(rp, rp->ptr[id], op->size);
        if (q == NULL)
            return false;
        rp->ptr[id] = q;
        if (rp->measure && !intact(rp, id, keep))
            return false;
        *payload -= rp->size[id];
    } else {
        rp->ptr[id] = r_alloc(rp, op->size);
        if (rp->ptr[id] == NULL)
            return false;
    }
    rp->size[id] = op->size;
    *payload += op->size;
    stamp(rp, id);
    return true;
}

static void sample(replay_t *rp, size_t payload)
{
    if (payload > rp->r.peak_payload)
        rp->r.peak_payload = payload;
    size_t heap = heap_now(false);
    heap = heap > rp->heap_base ? heap - rp->heap_base : 0;
    if (heap > rp->r.peak_heap)
        rp->r.peak_heap = heap;
    if (!rp->a->is_slabs && heap > rp->r.peak_held)
        rp->r.peak_held = heap;
}

/* Replays the whole trace once. */
static void replay_run(replay_t *rp, const options_t *o)
{
    const trace_t *t = rp->t;
    size_t payload = 0;
    if (rp->a->is_slabs && slabs_init(&rp->s, &o->cfg) != 0) {
        rp->r.failed = 1;
        return;
    }
    rp->heap_base = heap_now(true);
    uint64_t t0 = clock_now_ns();
    for (size_t i = 0; i < t->n_ops && !rp->r.failed; i++) {
        rp->r.failed = !step(rp, &t->ops[i], &payload);
        if (rp->measure && t->ops[i].kind != 'f')
            sample(rp, payload);
        if (rp->a->trim_every && (i + 1) % (size_t)rp->a->trim_every == 0)
            slabs_trim(&rp->s, 1);
    }
    rp->r.ns = clock_now_ns() - t0;
    for (size_t id = 0; id < t->n_ids; id++)
        if (rp->ptr[id] != NULL)
            r_free(rp, rp->ptr[id]);
    if (rp->a->is_slabs) {
        slabs_stats_t st;
        slabs_stats(&rp->s, &st);
        rp->r.peak_held = st.peak_bytes_from_source;
        rp->r.checks = slabs_check(&rp->s);
        slabs_destroy(&rp->s);
    }
}

/* Runs one replay in a child process; its result comes back through a pipe. */
static result_t replay_in_child(const trace_t *t, const alloc_if_t *a, const options_t *o, bool measure)
{
    result_t r = {.failed = 1};
    int fds[2];
    if (pipe(fds) != 0)
        return r;
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        replay_t rp = {.t = t, .a = a, .measure = measure};
        rp.ptr = map(t->n_ids * sizeof *rp.ptr);
        rp.size = map(t->n_ids * sizeof *rp.size);
        if (rp.ptr && rp.size)
            replay_run(&rp, o);
        else
            rp.r.failed = 1;
        ssize_t w = write(fds[1], &rp.r, sizeof rp.r);
        _exit(w == (ssize_t)sizeof rp.r ? 0 : 1);
    }
    close(fds[1]);
    if (pid > 0 && read(fds[0], &r, sizeof r) != (ssize_t)sizeof r)
        r.failed = 1;
    close(fds[0]);
    if (pid > 0)
        waitpid(pid, NULL, 0);
    return r;
}

/* ---- reporting ---------------------------------------------------------- */

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static double ratio(size_t a, size_t b)
{
    return b ? (double)a / (double)b : 0.0;
}

#define MAX_ALLOCS 3
#define MAX_RUNS 99

static void report(const trace_t *t, const alloc_if_t *as, int n, const options_t *o)
{
    uint64_t ns[MAX_ALLOCS][MAX_RUNS];
    for (int run = 0; run < o->runs; run++) /* interleaved: A B C A B C ... */
        for (int k = 0; k < n; k++) {
            result_t r = replay_in_child(t, &as[k], o, false);
            ns[k][run] = r.failed ? UINT64_MAX : r.ns;
        }
    printf("\n%s: %zu ops, %zu ids", t->path, t->n_ops, t->n_ids);
    if (t->header[3] >= 0)
        printf(", weight %ld", t->header[3]);
    printf("\n  %-16s %9s %8s %13s %13s %6s %13s %6s\n", "allocator", "time ms", "ns/op",
           "peak payload", "peak held", "U", "heap", "U heap");
    for (int k = 0; k < n; k++) {
        result_t m = replay_in_child(t, &as[k], o, true);
        qsort(ns[k], (size_t)o->runs, sizeof ns[k][0], cmp_u64);
        uint64_t med = ns[k][o->runs / 2];
        if (m.failed || med == UINT64_MAX) {
            printf("  %-16s failed (out of memory or damaged content)\n", as[k].name);
            continue;
        }
        printf("  %-16s %9.2f %8.1f %13zu %13zu %6.3f", as[k].name, (double)med / 1e6,
               (double)med / (double)t->n_ops, m.peak_payload, m.peak_held,
               ratio(m.peak_payload, m.peak_held));
        if (m.peak_heap)
            printf(" %13zu %6.3f", m.peak_heap, ratio(m.peak_payload, m.peak_heap));
        else
            printf(" %13s %6s", "-", "-");
        if (as[k].is_slabs && m.checks)
            printf("  slabs_check: %zu problems!", m.checks);
        printf("\n");
    }
}

static void usage(void)
{
    fprintf(stderr, "usage: replay [-r runs] [-s slab_size] [-g growth] [-m max_size]\n"
                    "              [-S size,size,...] [-t trim_every] [-c] trace...\n");
    exit(2);
}

/* -S 16,32,48: the sizes into out (at most cap); how many, 0 if too many. */
static size_t parse_sizes(const char *arg, size_t *out, size_t cap)
{
    size_t n = 0;
    for (char *end; *arg != '\0' && n < cap; arg = *end ? end + 1 : end)
        out[n++] = strtoul(arg, &end, 0);
    return *arg ? 0 : n;
}

static int parse_args(int argc, char **argv, options_t *o)
{
    static size_t sizes[1024];
    int opt;
    o->runs = 5;
    while ((opt = getopt(argc, argv, "r:s:g:m:S:t:c")) != -1) {
        switch (opt) {
        case 'r': o->runs = atoi(optarg); break;
        case 's': o->cfg.slab_size = strtoul(optarg, NULL, 0); break;
        case 'g': o->cfg.growth = strtod(optarg, NULL); break;
        case 'm': o->cfg.max_size = strtoul(optarg, NULL, 0); break;
        case 'S': o->cfg.sizes = sizes; o->cfg.n_sizes = parse_sizes(optarg, sizes, 1024); break;
        case 't': o->trim_every = atol(optarg); break;
        case 'c': o->cfg.flags |= SLABS_CHECKED; break;
        default: usage();
        }
    }
    if (optind >= argc || o->runs < 1 || o->runs > MAX_RUNS)
        usage();
    return optind;
}

int main(int argc, char **argv)
{
    options_t o = {0};
    int first = parse_args(argc, argv, &o);
    slabs_t probe;
    if (slabs_init(&probe, &o.cfg) != 0) {
        fprintf(stderr, "replay: that slabs configuration is not valid\n");
        return 2;
    }
    slabs_destroy(&probe);
    alloc_if_t as[MAX_ALLOCS] = {{"slabs", true, 0}, {"malloc", false, 0}, {"slabs+trim", true, o.trim_every}};
    int n = o.trim_every > 0 ? 3 : 2;
    printf("replay: median of %d runs; U = peak payload / peak held%s\n", o.runs,
#ifdef HAVE_MALLINFO2
           "; heap = mallinfo2 arena + hblkhd, less the start"
#else
           "; (no mallinfo2: malloc's held bytes unknown)"
#endif
    );
    int status = 0;
    for (int i = first; i < argc; i++) {
        trace_t t;
        if (!trace_load(&t, argv[i])) {
            status = 1;
            continue;
        }
        report(&t, as, n, &o);
        munmap(t.ops, t.ops_bytes ? t.ops_bytes : 1);
    }
    return status;
}

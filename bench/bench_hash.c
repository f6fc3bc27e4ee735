/*
 * bench_hash.c - common/hash.h benchmark: hash_bytes() against xxHash
 * (XXH3_64bits and XXH64, from Debian's libxxhash), GLib's g_str_hash and
 * g_bytes_hash, and FNV-1a, at lengths 4 B to 1 MiB.
 *
 * Usage:
 *   bench_hash [--quick] [--reps N] [--csv FILE] [--svg FILE]
 *       the driver: runs every measurement in a fresh worker process and
 *       prints the tables (ns per hash, GB/s, speed relative to hash_bytes)
 *   bench_hash --worker HASH LEN MS
 *       one measurement: hashes LEN-byte keys for about MS milliseconds; prints
 *       ns_per_hash=X hashes=N peak_rss_kib=K
 *
 * Workload.  The keys lie back to back in a 256 KiB buffer of random bytes
 * (none zero, so g_str_hash sees each whole key before its NUL), at every
 * alignment, and are hashed in turn, round and round; a 1 MiB key is the
 * whole of a 1 MiB buffer, hashed again and again.  The buffers fit the
 * L2 or L3 cache: this measures the hash, not the memory.  Each hash is
 * independent of the one before (what a hash table's lookups see), and the
 * results are summed into a value that the worker prints, so none can be
 * dropped.  The seed comes from the command line, so no hash is folded
 * with a constant seed.  The worker runs the loop in chunks until its time
 * is up and reports the mean time per hash.
 *
 * Competitors:
 *   hash_bytes       this repository's, inline for keys up to 16 bytes;
 *   hash_bytes/call  the same through a function that is never inlined:
 *                    what inlining the short path is worth, and the fair
 *                    comparison with xxHash, which is called in its shared
 *                    library;
 *   XXH3_64bits      xxHash's XXH3_64bits_withSeed;
 *   XXH64            xxHash's XXH64;
 *   g_str_hash       GLib's hash of a NUL-terminated string (djb: h * 33
 *                    + c), the key followed by its NUL;
 *   g_bytes_hash     GLib's hash of a GBytes (the same loop over its
 *                    bytes), one GBytes made before the clock starts per key;
 *   fnv1a            FNV-1a, 64-bit, five lines in tests/support/fnv1a.h.
 */
#define _GNU_SOURCE

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <xxhash.h>

#include "clock.h"
#include "fnv1a.h"
#include "harness.h"
#include "hash.h"
#include "rng.h"

/* ---- the competitors' functions --------------------------------------------- */

/* hash_bytes() behind a call the compiler may not inline. */
static __attribute__((noinline)) uint64_t hash_bytes_call(const void *p, size_t len, uint64_t seed)
{
    return hash_bytes(p, len, seed);
}

enum hb_kind { HB_OWN, HB_CALL, HB_XXH3, HB_XXH64, HB_GSTR, HB_GBYTES, HB_FNV, HB_NCOMP };

static const char *const hb_names[HB_NCOMP] = {"hash_bytes", "hash_bytes/call", "XXH3_64bits", "XXH64",
                                               "g_str_hash", "g_bytes_hash", "fnv1a"};

/* ---- the worker ------------------------------------------------------------- */

#define HB_BUF ((size_t)256 << 10) /* the keys' buffer, for keys up to 4096 B */
#define HB_MIB ((size_t)1 << 20)

/* Everything a worker's loop needs. */
typedef struct hb_keys {
    unsigned char *buf; /* the keys' bytes: key i at buf + off[i], NUL after it */
    size_t len;         /* bytes per key */
    size_t n;           /* keys */
    size_t *off;        /* where each starts */
    GBytes **gb;        /* each as a GBytes (g_bytes_hash only) */
    uint64_t seed;      /* the seed passed to every seeded hash */
} hb_keys_t;

static _Noreturn void hb_fail(const char *what)
{
    fprintf(stderr, "bench_hash worker: %s\n", what);
    exit(1);
}

/* One pass over every key with hash k: the XOR of the hashes.  k is a
 * constant at each call site, so the switch folds away. */
static inline __attribute__((always_inline)) uint64_t hb_pass(const hb_keys_t *h, enum hb_kind k)
{
    uint64_t sum = 0;
    for (size_t i = 0; i < h->n; i++) {
        const unsigned char *p = h->buf + h->off[i];
        switch (k) {
        case HB_OWN: sum ^= hash_bytes(p, h->len, h->seed); break;
        case HB_CALL: sum ^= hash_bytes_call(p, h->len, h->seed); break;
        case HB_XXH3: sum ^= XXH3_64bits_withSeed(p, h->len, h->seed); break;
        case HB_XXH64: sum ^= XXH64(p, h->len, h->seed); break;
        case HB_GSTR: sum ^= g_str_hash(p); break;
        case HB_GBYTES: sum ^= g_bytes_hash(h->gb[i]); break;
        default: sum ^= fnv1a(p, h->len, h->seed); break;
        }
    }
    return sum;
}

/* Passes until budget_ns has gone by; returns the hashes done and the
 * nanoseconds taken, and in *sum the sum of the passes. */
static inline __attribute__((always_inline)) uint64_t hb_loop(const hb_keys_t *h, enum hb_kind k,
                                                              uint64_t budget_ns, uint64_t *ns, uint64_t *sum)
{
    uint64_t t0 = clock_now_ns(), t = t0, done = 0;
    *sum = 0;
    while (t - t0 < budget_ns) {
        *sum += hb_pass(h, k);
        done += h->n;
        t = clock_now_ns();
    }
    *ns = t - t0;
    return done;
}

static uint64_t hb_run(const hb_keys_t *h, enum hb_kind k, uint64_t budget_ns, uint64_t *ns, uint64_t *sum)
{
    switch (k) {
    case HB_OWN: return hb_loop(h, HB_OWN, budget_ns, ns, sum);
    case HB_CALL: return hb_loop(h, HB_CALL, budget_ns, ns, sum);
    case HB_XXH3: return hb_loop(h, HB_XXH3, budget_ns, ns, sum);
    case HB_XXH64: return hb_loop(h, HB_XXH64, budget_ns, ns, sum);
    case HB_GSTR: return hb_loop(h, HB_GSTR, budget_ns, ns, sum);
    case HB_GBYTES: return hb_loop(h, HB_GBYTES, budget_ns, ns, sum);
    default: return hb_loop(h, HB_FNV, budget_ns, ns, sum);
    }
}

/* Lays out the keys: back to back in the buffer, one NUL after each. */
static void hb_layout(hb_keys_t *h, enum hb_kind k)
{
    size_t size = h->len >= HB_MIB ? h->len + 1 : HB_BUF;
    h->buf = bh_xmalloc(size);
    rng_t r = {42};
    for (size_t i = 0; i < size; i++)
        h->buf[i] = (unsigned char)(1 + rng_below(&r, 255));
    h->n = size / (h->len + 1);
    h->off = bh_xmalloc(h->n * sizeof *h->off);
    h->gb = k == HB_GBYTES ? bh_xmalloc(h->n * sizeof *h->gb) : NULL;
    for (size_t i = 0; i < h->n; i++) {
        h->off[i] = i * (h->len + 1);
        h->buf[h->off[i] + h->len] = 0;
        if (h->gb)
            h->gb[i] = g_bytes_new_static(h->buf + h->off[i], h->len);
    }
}

/* bench_hash --worker HASH LEN MS */
static int hb_worker(int argc, char **argv)
{
    if (argc != 5)
        bh_die("usage: bench_hash --worker HASH LEN MS");
    size_t k = 0;
    while (k < HB_NCOMP && strcmp(argv[2], hb_names[k]) != 0)
        k++;
    if (k == HB_NCOMP)
        bh_die("unknown hash %s", argv[2]);
    hb_keys_t h = {.len = bh_count(argv[3], "LEN"), .seed = strtoull(argv[4], NULL, 10) ^ 0x5EED};
    double secs = atof(argv[4]) / 1000;
    if (!(secs > 0 && secs < 100))
        bh_die("MS must be in (0, 100000)");
    hb_layout(&h, (enum hb_kind)k);
    uint64_t ns, sum;
    uint64_t done = hb_run(&h, (enum hb_kind)k, (uint64_t)(secs * 1e9), &ns, &sum);
    if (done == 0)
        hb_fail("no hash done");
    printf("ns_per_hash=%.4f hashes=%llu sum=%016llx peak_rss_kib=%ld\n", (double)ns / (double)done,
           (unsigned long long)done, (unsigned long long)sum, bh_peak_rss_kib());
    return 0;
}

/* ---- the driver --------------------------------------------------------------- */

static const size_t hb_lens[] = {4, 8, 16, 32, 64, 256, 4096, 1 << 20};
#define HB_NLEN (sizeof hb_lens / sizeof hb_lens[0])

/* The driver's options and results. */
typedef struct hb_result {
    bh_opts_t opt;                   /* the command line (harness.h) */
    bool len_on[HB_NLEN];            /* lengths measured in this run */
    double ns[HB_NLEN][HB_NCOMP][64]; /* samples: ns per hash, reps of them */
    double med[HB_NLEN][HB_NCOMP];   /* median ns per hash; NAN = not run */
    double lo[HB_NLEN][HB_NCOMP];    /* min */
    double hi[HB_NLEN][HB_NCOMP];    /* max */
} hb_result_t;

/* The cell hb_measure() measures. */
typedef struct hb_at {
    const hb_result_t *r; /* the run */
    size_t l;             /* length index */
} hb_at_t;

/* One worker for competitor i at length l: v[0] = ns per hash. */
static void hb_measure(void *ctx, size_t i, double *v)
{
    const hb_at_t *at = ctx;
    char len[32], ms[32], out[512];
    snprintf(len, sizeof len, "%zu", hb_lens[at->l]);
    snprintf(ms, sizeof ms, "%d", at->r->opt.quick ? 5 : 200);
    char *argv[] = {(char *)at->r->opt.self, (char *)"--worker", (char *)hb_names[i], len, ms, NULL};
    bh_child_t c = {argv, NULL, at->r->opt.quick ? 30 : 120};
    if (!bh_run(&c, out, sizeof out))
        bh_die("a worker failed: %s %s", hb_names[i], len);
    double hashes;
    if (!bh_field_number(out, "ns_per_hash", 1e-2, 1e9, &v[0]) || !bh_field_number(out, "hashes", 1, 1e12, &hashes))
        bh_die("nonsense from the worker %s %s: %s", hb_names[i], len, out);
}

static double hb_gbps(double ns, size_t len)
{
    return (double)len / ns;
}

/* Measures one length, every competitor interleaved, and prints its table. */
static void hb_run_len(hb_result_t *r, size_t l)
{
    static double sample[HB_NCOMP][BH_NQ][64];
    bool on[HB_NCOMP];
    for (size_t i = 0; i < HB_NCOMP; i++)
        on[i] = true;
    bh_rounds(HB_NCOMP, on, r->opt.quick, r->opt.reps, hb_measure, &(hb_at_t){r, l}, sample);
    printf("\n%zu-byte keys: ns per hash, median of %zu%s\n", hb_lens[l], r->opt.reps, bh_warmup_note(r->opt.quick));
    printf("  %-16s %11s %11s %11s %9s %12s\n", "hash", "median", "min", "max", "GB/s", "vs hash_bytes");
    for (size_t i = 0; i < HB_NCOMP; i++) {
        memcpy(r->ns[l][i], sample[i][0], r->opt.reps * sizeof(double));
        bh_stats(r->ns[l][i], r->opt.reps, &r->med[l][i], &r->lo[l][i], &r->hi[l][i]);
        printf("  %-16s %11.3f %11.3f %11.3f %9.2f %11.2fx\n", hb_names[i], r->med[l][i], r->lo[l][i],
               r->hi[l][i], hb_gbps(r->med[l][i], hb_lens[l]), r->med[l][HB_OWN] / r->med[l][i]);
    }
    fflush(stdout);
}

/* Every length at a glance: GB/s, then speed relative to hash_bytes. */
static void hb_print_summary(const hb_result_t *r)
{
    for (int pass = 0; pass < 2; pass++) {
        printf(pass ? "\nSpeed relative to hash_bytes (hash_bytes median / median; > 1 = faster)\n"
                    : "\nThroughput, GB/s (median; 1 GB = 10^9 bytes)\n");
        printf("  %-8s", "length");
        for (size_t i = 0; i < HB_NCOMP; i++)
            printf(" %16s", hb_names[i]);
        printf("\n");
        for (size_t l = 0; l < HB_NLEN; l++) {
            if (!r->len_on[l])
                continue;
            printf("  %-8zu", hb_lens[l]);
            for (size_t i = 0; i < HB_NCOMP; i++)
                printf(pass ? " %15.2fx" : " %16.2f",
                       pass ? r->med[l][HB_OWN] / r->med[l][i] : hb_gbps(r->med[l][i], hb_lens[l]));
            printf("\n");
        }
    }
}

/* Every sample as CSV: one row per length and hash (ctx: the run). */
static void hb_write_csv(const void *ctx)
{
    const hb_result_t *r = ctx;
    FILE *f = bh_csv_open(r->opt.csv, "length_bytes,hash,reps,median_ns,min_ns,max_ns,gb_per_s,"
                                      "ratio_vs_hash_bytes,samples_ns\n");
    for (size_t l = 0; l < HB_NLEN; l++)
        for (size_t i = 0; r->len_on[l] && i < HB_NCOMP; i++) {
            fprintf(f, "%zu,%s,%zu,%.4f,%.4f,%.4f,%.4f,%.4f,", hb_lens[l], hb_names[i], r->opt.reps,
                    r->med[l][i], r->lo[l][i], r->hi[l][i], hb_gbps(r->med[l][i], hb_lens[l]),
                    r->med[l][HB_OWN] / r->med[l][i]);
            bh_csv_samples(f, r->ns[l][i], r->opt.reps);
        }
    bh_csv_close(f, r->opt.csv);
}

/* The chart: each competitor's speed relative to hash_bytes, per length,
 * on a log2 axis from the hash_bytes line (ctx: the run). */
static void hb_write_svg(const void *ctx)
{
    static const char *const colour[HB_NCOMP - 1] = {"#e15759", "#4e79a7", "#76b7b2", "#59a14f", "#edc948",
                                                     "#8c8c8c"};
    const hb_result_t *r = ctx;
    const char *label[HB_NLEN];
    char text[HB_NLEN][32];
    double value[HB_NLEN * (HB_NCOMP - 1)];
    size_t ng = 0;
    for (size_t l = 0; l < HB_NLEN; l++) {
        if (!r->len_on[l])
            continue;
        if (hb_lens[l] >= HB_MIB)
            snprintf(text[ng], sizeof text[ng], "%zu MiB", hb_lens[l] >> 20);
        else
            snprintf(text[ng], sizeof text[ng], "%zu B", hb_lens[l]);
        label[ng] = text[ng];
        for (size_t i = 1; i < HB_NCOMP; i++)
            value[ng * (HB_NCOMP - 1) + i - 1] = r->med[l][HB_OWN] / r->med[l][i];
        ng++;
    }
    char sub[256], cpu[128];
    bh_cpuinfo("model name", cpu, sizeof cpu);
    snprintf(sub, sizeof sub, "median of %zu; %s; %s", r->opt.reps, cpu, bh_compiler());
    bh_chart_t c = {
        .title = "common/hash.h: speed relative to hash_bytes, by key length (higher is faster)",
        .subtitle = sub,
        .y_label = "hash_bytes time / hash time (log scale)",
        .groups = ng,
        .group_label = label,
        .series = HB_NCOMP - 1,
        .series_name = hb_names + 1,
        .series_colour = colour,
        .value = value,
        .log_scale = true,
        .reference = 1,
        .reference_label = "hash_bytes = 1",
        .highlight = HB_NCOMP,
    };
    if (!bh_svg_write(r->opt.svg, &c))
        bh_die("cannot write %s", r->opt.svg);
    printf("wrote %s\n", r->opt.svg);
}

static _Noreturn void hb_usage(void)
{
    fprintf(stderr, "usage: bench_hash [--quick] [--reps N] [--csv FILE] [--svg FILE]\n"
                    "       bench_hash --worker HASH LEN MS\n");
    exit(2);
}

static int hb_driver(int argc, char **argv)
{
    static hb_result_t r;
    bh_parse_opts(&r.opt, argc, argv, NULL, NULL, hb_usage);
    uint64_t t0 = bh_driver_begin(&r.opt, "common/hash.h benchmark: hash_bytes vs xxHash, GLib and FNV-1a");
    printf("xxhash   : %u.%u.%u (shared library; XXH_versionNumber %u)\n", XXH_VERSION_MAJOR, XXH_VERSION_MINOR,
           XXH_VERSION_RELEASE, XXH_versionNumber());
    printf("glib     : %u.%u.%u\n", glib_major_version, glib_minor_version, glib_micro_version);
    printf("\nEvery figure: time per hash of one key, keys independent (as a hash table's lookups),\n"
           "read from a buffer that fits the cache, at every alignment.  GB/s = key bytes / time.\n"
           "Competitors interleaved within each round, each in a fresh process.\n");
    for (size_t l = 0; l < HB_NLEN; l++) {
        r.len_on[l] = !r.opt.quick || l == 1 || l == 5 || l == HB_NLEN - 1;
        for (size_t i = 0; i < HB_NCOMP; i++)
            r.med[l][i] = NAN;
    }
    for (size_t l = 0; l < HB_NLEN; l++)
        if (r.len_on[l])
            hb_run_len(&r, l);
    hb_print_summary(&r);
    return bh_driver_end(&r.opt, t0, hb_write_csv, hb_write_svg, &r);
}

int main(int argc, char **argv)
{
    return bh_main(argc, argv, hb_worker, hb_driver);
}

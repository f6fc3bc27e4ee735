/*
 * demo.c - stage 04 narrated: the use case the arena map exists for.  One
 * web request's attributes are collected into maps in a request arena
 * (headers and parameters as strings, counters as integers, timings as
 * doubles, flags as booleans, all hung under one root map by handles);
 * two maps are joined, one is filtered, one is converted into a new map of
 * numbers; then the whole request is dropped in one call.  Along the way:
 * the bytes each map and the arena hold, what the map owns and gives back,
 * the probe lengths at each load, and the time each step takes against the
 * same steps with GLib's GHashTable.
 *
 * Determinism.  Each map hashes with a seed of its own, which differs
 * from run to run, and so do the order of a map's table and its exact
 * probe lengths: the demo prints entries sorted by key, and probe lengths to
 * one decimal (the second one changes between runs).  Everything else it
 * prints, but for timings (masked in the saved output), is the same on
 * every run on the same machine.
 *
 * GLib.  Built with SC_HAVE_GLIB (the Makefile defines it when pkg-config
 * finds glib-2.0), section 8 times the same steps with GHashTable, and on
 * glibc counts the bytes malloc() hands GLib for one request (with
 * G_SLICE=always-malloc, as GLib 2.76 and later always are).  Without
 * GLib it says that comparison is not available.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "amap.h"
#include "clock.h"
#include "fmt.h"
#include "rng.h"

#ifdef SC_HAVE_GLIB
#include <glib.h>
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
#include <malloc.h> /* mallinfo2() */
#define HAVE_MALLINFO2 1
#endif
#endif

/* ---- printing and failing ------------------------------------------------ */

/* "35,323,904 bytes (33.7 MiB)" (fmt.h); each call its own buffer. */
#define bytes(n) fmt_bytes((char[FMT_BYTES_LEN]){0}, (n))

/* The demo cannot go on after a failed call: says which, and exits. */
static void need(bool ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "demo: %s failed\n", what);
        exit(1);
    }
}

/* ---- a page source that counts ------------------------------------------- */

/* The C library's source, counting the bytes it holds for the arena, so
 * the demo can show what arena_destroy() gives back. */
static size_t held_bytes;

static void *counted_acquire(void *ctx, size_t size, size_t align)
{
    const page_source_t *libc = ctx;
    void *p = libc->acquire(libc->ctx, size, align);
    if (p)
        held_bytes += size;
    return p;
}

static void counted_release(void *ctx, void *addr, size_t size)
{
    const page_source_t *libc = ctx;
    libc->release(libc->ctx, addr, size);
    held_bytes -= size;
}

static page_source_t counted = {counted_acquire, counted_release, NULL, "counted libc"};

static void arena_open(arena_t *a)
{
    counted.ctx = (void *)page_source_default();
    arena_config_t cfg = {.slabs.source = &counted};
    need(arena_init(a, &cfg) == 0, "arena_init");
}

/* ---- one request's attributes -------------------------------------------- */

typedef struct str_attr {
    const char *key, *value;
} str_attr_t;

static const str_attr_t headers_in[] = {
    {"host", "shop.example"},
    {"user-agent", "curl/8.1.2"},
    {"accept", "application/json"},
    {"accept-encoding", "gzip, br"},
    {"content-type", "application/x-www-form-urlencoded"},
    {"content-length", "38"},
    {"cookie", "session=4f2a9c1e77d0b3a5"},
    {"authorization", "Bearer 9f86d081884c7d65"},
    {"x-request-id", "7d1c2e90-5b7a-4e31"},
    {"x-internal-route", "eu-west/pod-3"},
};
static const str_attr_t query_in[] = {
    {"q", "red shoes"}, {"page", "3"}, {"limit", "50"}, {"lat", "52.37"}, {"lon", "4.89"},
};
static const str_attr_t form_in[] = {
    {"sku", "AB-1234"}, {"qty", "2"}, {"limit", "20"}, {"gift", "yes"},
};
static const struct {
    const char *key;
    int64_t value;
} counters_in[] = {
    {"status", 200}, {"bytes_in", 512}, {"bytes_out", 18342}, {"retries", 0}, {"upstream_port", 8443},
};
static const struct {
    const char *key;
    double value;
} timings_in[] = {
    {"dns", 1.25}, {"connect", 3.5}, {"tls", 7.75}, {"first_byte", 21.0}, {"total", 24.5},
};
static const struct {
    const char *key;
    bool value;
} flags_in[] = {
    {"keep_alive", true}, {"tls", true}, {"cached", false}, {"bot", false},
};

#define COUNT(array) (sizeof(array) / sizeof((array)[0]))

/* A request in its arena: the root map (string -> handle) holds the only
 * reference to each child map; the pointers are the children, from
 * amap_of(), valid while the root holds them. */
typedef struct request {
    arena_t arena;
    handle_t root;
    amap_t *headers, *query, *form, *counters, *timings, *flags, *numbers;
} request_t;

/* A new map in r's arena, hung under the root as name. */
static amap_t *child(request_t *r, const char *name, amap_type_t value_type)
{
    amap_config_t cfg = {.key_type = AMAP_STR, .value_type = value_type};
    handle_t h = amap_new(&r->arena, &cfg);
    need(h != HANDLE_NULL, "amap_new");
    need(amap_put(amap_of(&r->arena, r->root), amap_cstr(name), amap_handle(h)) == 1, "amap_put");
    arena_release(&r->arena, h); /* the root's reference is now the only one */
    return amap_of(&r->arena, h);
}

static void put_strings(amap_t *m, const str_attr_t *in, size_t n)
{
    for (size_t i = 0; i < n; i++)
        need(amap_put(m, amap_cstr(in[i].key), amap_cstr(in[i].value)) == 1, "amap_put");
}

// [collect]
/* Step 1: the request's attributes, as a server collects them, in maps
 * under one root, in r's arena. */
static void fill(request_t *r)
{
    amap_config_t root = {.key_type = AMAP_STR, .value_type = AMAP_HANDLE};
    r->root = amap_new(&r->arena, &root);
    need(r->root != HANDLE_NULL, "amap_new");
    r->headers = child(r, "headers", AMAP_STR);
    r->query = child(r, "query", AMAP_STR);
    r->form = child(r, "form", AMAP_STR);
    r->counters = child(r, "counters", AMAP_I64);
    r->timings = child(r, "timings", AMAP_F64);
    r->flags = child(r, "flags", AMAP_BOOL);
    put_strings(r->headers, headers_in, COUNT(headers_in));
    put_strings(r->query, query_in, COUNT(query_in));
    put_strings(r->form, form_in, COUNT(form_in));
    for (size_t i = 0; i < COUNT(counters_in); i++)
        amap_put(r->counters, amap_cstr(counters_in[i].key), amap_i64(counters_in[i].value));
    for (size_t i = 0; i < COUNT(timings_in); i++)
        amap_put(r->timings, amap_cstr(timings_in[i].key), amap_f64(timings_in[i].value));
    for (size_t i = 0; i < COUNT(flags_in); i++)
        amap_put(r->flags, amap_cstr(flags_in[i].key), amap_bool(flags_in[i].value));
}
// [collect]

/* Step 1 with an arena of the request's own. */
static void collect(request_t *r)
{
    arena_open(&r->arena);
    fill(r);
}

// [steps]
/* Step 2, a join: the form's fields into the query's parameters; on a
 * clash the query keeps its own value.  Returns the entries added. */
static int join(request_t *r)
{
    return amap_merge(r->query, r->form, false);
}

/* Step 3, a filter: headers that must not be logged or passed on. */
static bool public_header(amap_val_t key, amap_val_t value, void *ctx)
{
    (void)value;
    (void)ctx;
    return strcmp(key.str, "cookie") != 0 && strcmp(key.str, "authorization") != 0 &&
           strncmp(key.str, "x-internal-", 11) != 0;
}

static size_t filter(request_t *r)
{
    return amap_filter(r->headers, public_header, NULL);
}

/* A whole string that reads as a finite number, in *out. */
static bool parse_number(const char *s, double *out)
{
    char *end;
    errno = 0;
    *out = strtod(s, &end);
    return end != s && *end == '\0' && errno == 0 && isfinite(*out);
}

/* Step 4, a conversion: the parameters that are numbers, as doubles, in
 * a new map. */
static void convert(request_t *r)
{
    r->numbers = child(r, "numbers", AMAP_F64);
    amap_iter_t it = amap_iter(r->query);
    amap_val_t k, v;
    double d;
    while (amap_next(&it, &k, &v))
        if (parse_number(v.str, &d))
            need(amap_put(r->numbers, k, amap_f64(d)) == 1, "amap_put");
}

/* Step 5: everything the request holds, in one call. */
static void drop(request_t *r)
{
    arena_destroy(&r->arena);
}
// [steps]

/* ---- printing a map ---------------------------------------------------- */

typedef struct entry {
    amap_val_t key, value;
} entry_t;

static int by_key(const void *x, const void *y)
{
    return strcmp(((const entry_t *)x)->key.str, ((const entry_t *)y)->key.str);
}

/* A value as text, in buf. */
static const char *value_text(char *buf, size_t size, const arena_t *a, amap_val_t v)
{
    switch (v.type) {
    case AMAP_STR:
        snprintf(buf, size, "\"%s\"", v.str);
        break;
    case AMAP_I64:
        snprintf(buf, size, "%lld", (long long)v.i64);
        break;
    case AMAP_F64:
        snprintf(buf, size, "%g", v.f64);
        break;
    case AMAP_BOOL:
        snprintf(buf, size, "%s", v.b ? "true" : "false");
        break;
    case AMAP_HANDLE:
        snprintf(buf, size, "(a map of %zu)", amap_len(amap_of(a, v.h)));
        break;
    default:
        snprintf(buf, size, "?");
    }
    return buf;
}

/* A map with string keys, its entries sorted by key (the table's own order
 * depends on the map's seed), several on a line. */
static void print_map(const arena_t *a, const char *name, const amap_t *m)
{
    entry_t e[32];
    size_t n = 0;
    amap_iter_t it = amap_iter(m);
    while (n < COUNT(e) && amap_next(&it, &e[n].key, &e[n].value))
        n++;
    qsort(e, n, sizeof e[0], by_key);
    printf("    %-9s", name);
    char text[96];
    for (size_t i = 0, col = 14; i < n; i++) {
        int w = snprintf(text, sizeof text, " %s=%s%s", e[i].key.str,
                         value_text((char[64]){0}, 64, a, e[i].value), i + 1 < n ? "," : "");
        if (col + (size_t)w > 76) {
            printf("\n%13s", "");
            col = 13;
        }
        col += (size_t)printf("%s", text);
    }
    printf("\n");
}

static const char *type_name(uint32_t t)
{
    static const char *names[] = {"?", "i64", "u64", "f64", "bool", "string", "handle"};
    return t <= AMAP_HANDLE ? names[t] : "?";
}

/* One line of the bytes table: a map's entries, slots and arena bytes. */
static size_t print_bytes_row(const char *name, const amap_t *m, const char *value_type)
{
    amap_stats_t st;
    amap_stats(m, &st);
    size_t total = st.table_bytes + st.key_bytes + st.value_bytes;
    printf("    %-9s %-7s %7zu %6zu %7zu %7zu %7zu %7zu\n", name, value_type, st.len, st.capacity,
           st.table_bytes, st.key_bytes, st.value_bytes, total);
    return total;
}

/* ---- 1. collecting -------------------------------------------------------- */

static size_t arena_live(const arena_t *a)
{
    arena_stats_t st;
    arena_stats(a, &st);
    return st.live;
}

static void show_bytes(const request_t *r)
{
    const arena_t *a = &r->arena;
    const amap_t *root = amap_of(a, r->root);
    printf("  What each map holds in the arena (bytes; a map's own amap_t, %zu\n"
           "  bytes, is one more object):\n\n"
           "    map       type    entries  slots   table    keys  values   total\n",
           sizeof(amap_t));
    size_t total = print_bytes_row("root", root, "handle");
    struct {
        const char *name;
        const amap_t *m;
    } kids[] = {{"headers", r->headers}, {"query", r->query},     {"form", r->form},
                {"counters", r->counters}, {"timings", r->timings}, {"flags", r->flags}};
    for (size_t i = 0; i < COUNT(kids); i++)
        total += print_bytes_row(kids[i].name, kids[i].m, type_name(kids[i].m->value_type));
    total += 7 * sizeof(amap_t);
    printf("\n  In all %s in %zu live objects: 7 maps, their tables and\n"
           "  strings.  The arena holds %s from the C library for\n"
           "  them, mostly slabs: stage 02 keeps a 16 KiB slab for each size\n"
           "  class in use, however little of it is used.\n\n",
           bytes(total), arena_live(a), bytes(held_bytes));
}

static void show_collect(request_t *r)
{
    printf("1. One request's attributes, collected\n\n");
    collect(r);
    printf("  A root map (string -> handle) holds six maps made with amap_new(),\n"
           "  one per kind of attribute (sorted by key here: a map's own order\n"
           "  depends on its hash seed):\n\n");
    print_map(&r->arena, "root", amap_of(&r->arena, r->root));
    print_map(&r->arena, "headers", r->headers);
    print_map(&r->arena, "query", r->query);
    print_map(&r->arena, "form", r->form);
    print_map(&r->arena, "counters", r->counters);
    print_map(&r->arena, "timings", r->timings);
    print_map(&r->arena, "flags", r->flags);
    printf("\n");
    show_bytes(r);
}

/* ---- 2-5. join, filter, convert, drop -------------------------------------- */

static void show_join(request_t *r)
{
    printf("2. A join: amap_merge(query, form, false)\n\n");
    int n = join(r);
    printf("  The form's fields go into the query's map; \"limit\" is in both, and\n"
           "  without overwrite the query keeps its own.  Entries added: %d.\n\n",
           n);
    print_map(&r->arena, "query", r->query);
    printf("\n");
}

static void show_filter(request_t *r)
{
    printf("3. A filter: amap_filter(headers, public_header, NULL)\n\n");
    amap_stats_t before, after;
    amap_stats(r->headers, &before);
    size_t live = arena_live(&r->arena);
    size_t n = filter(r);
    amap_stats(r->headers, &after);
    printf("  Cookies, credentials and internal routing must not reach the logs.\n"
           "  Deleted: %zu entries.  Each deletion freed its key and its value:\n\n"
           "    key bytes     %5zu -> %zu\n"
           "    value bytes   %5zu -> %zu\n"
           "    live objects  %5zu -> %zu\n\n",
           n, before.key_bytes, after.key_bytes, before.value_bytes, after.value_bytes, live,
           arena_live(&r->arena));
    print_map(&r->arena, "headers", r->headers);
    printf("\n");
}

static void show_convert(request_t *r)
{
    printf("4. A conversion: the parameters that are numbers, into a new map\n\n");
    convert(r);
    printf("  A string -> f64 map, also under the root; \"q\", \"sku\" and \"gift\"\n"
           "  are not numbers and stay behind:\n\n");
    print_map(&r->arena, "numbers", r->numbers);
    printf("\n");
}

static void show_drop(request_t *r)
{
    printf("5. Dropping the request\n\n");
    size_t live = arena_live(&r->arena), held = held_bytes;
    printf("  Before: %zu live objects; the arena holds %s.\n", live, bytes(held));
    drop(r);
    printf("  arena_destroy(), one call: each map made with amap_new() has a\n"
           "  cleanup, which walks its own table and counts down what it holds;\n"
           "  then the slabs and the handle table go back whole, with no free()\n"
           "  per string.  Held from the C library after it: %s.\n\n",
           bytes(held_bytes));
}

/* ---- 6. what the map owns ---------------------------------------------------- */

/* Strings from amap_get() stay where they are while the table moves. */
static void show_stable_strings(arena_t *a)
{
    amap_t m;
    amap_config_t cfg = {.key_type = AMAP_STR, .value_type = AMAP_STR};
    need(amap_init(&m, a, &cfg) == 0, "amap_init");
    amap_put(&m, amap_cstr("host"), amap_cstr("shop.example"));
    amap_val_t v;
    amap_get(&m, amap_cstr("host"), &v);
    const char *kept = v.str;
    amap_stats_t st0, st1;
    amap_stats(&m, &st0);
    char key[32];
    for (int i = 0; i < 100000; i++) {
        snprintf(key, sizeof key, "key-%d", i);
        need(amap_put(&m, amap_cstr(key), amap_cstr(key)) == 1, "amap_put");
    }
    amap_stats(&m, &st1);
    for (int i = 0; i < 100000; i++) {
        snprintf(key, sizeof key, "key-%d", i);
        amap_del(&m, amap_cstr(key));
    }
    printf("  A string kept from amap_get(): \"host\" -> \"%s\".  Then\n"
           "  100000 other entries put and deleted: the table grew from %zu to\n"
           "  %zu slots, moving every entry at each growth.  The kept string\n"
           "  still reads \"%s\": a string is an arena object of its own,\n"
           "  and nothing moves or collects it behind the map's back (the Go\n"
           "  arena map's strings broke after a garbage collection).\n\n",
           v.str, st0.capacity, st1.capacity, kept);
    amap_destroy(&m);
}

/* Random puts, overwrites and deletes; then every entry deleted. */
static void show_no_leaks(arena_t *a)
{
    amap_t m;
    amap_config_t cfg = {.key_type = AMAP_STR, .value_type = AMAP_STR};
    need(amap_init(&m, a, &cfg) == 0, "amap_init");
    size_t live0 = arena_live(a);
    rng_t rng = {2024};
    char key[16], value[64];
    size_t puts = 0, replaced = 0, dels = 0;
    for (int i = 0; i < 200000; i++) {
        snprintf(key, sizeof key, "k%llu", (unsigned long long)rng_below(&rng, 1000));
        if (rng_below(&rng, 4) == 0) {
            dels += amap_del(&m, amap_cstr(key)) == 0;
            continue;
        }
        size_t len = 1 + rng_below(&rng, sizeof value - 1);
        memset(value, 'a' + (int)rng_below(&rng, 26), len);
        int rc = amap_put(&m, amap_cstr(key), amap_str(value, len));
        need(rc >= 0, "amap_put");
        puts++;
        replaced += rc == 0;
    }
    amap_stats_t st;
    amap_stats(&m, &st);
    printf("  200000 random operations on 1000 string keys, values of 1 to 63\n"
           "  bytes: %zu puts (%zu of them overwrites), %zu deletes.  Left:\n"
           "  %zu entries, %zu key bytes, %zu value bytes, %zu live objects (a\n"
           "  key and a value per entry, and the table).\n",
           puts, replaced, dels, st.len, st.key_bytes, st.value_bytes, arena_live(a) - live0);
    for (int k = 0; k < 1000; k++) {
        snprintf(key, sizeof key, "k%d", k);
        amap_del(&m, amap_cstr(key));
    }
    amap_stats(&m, &st);
    printf("  Every key deleted: %zu entries, %zu key bytes, %zu value bytes, and\n"
           "  %zu live objects besides the table: every overwrite and delete freed\n"
           "  what it replaced (the Go arena map leaked both).\n\n",
           st.len, st.key_bytes, st.value_bytes, arena_live(a) - live0 - 1);
    amap_destroy(&m);
}

/* A small tree of maps goes away when its root is released. */
static void show_cascade(arena_t *a)
{
    amap_config_t maps = {.key_type = AMAP_STR, .value_type = AMAP_HANDLE};
    amap_config_t leaf = {.key_type = AMAP_I64, .value_type = AMAP_STR};
    size_t live0 = arena_live(a);
    handle_t root = amap_new(a, &maps);
    need(root != HANDLE_NULL, "amap_new");
    char name[16];
    for (int i = 0; i < 3; i++) {
        handle_t mid = amap_new(a, &maps);
        need(mid != HANDLE_NULL, "amap_new");
        snprintf(name, sizeof name, "user-%d", i);
        amap_put(amap_of(a, root), amap_cstr(name), amap_handle(mid));
        arena_release(a, mid);
        for (int j = 0; j < 4; j++) {
            handle_t h = amap_new(a, &leaf);
            need(h != HANDLE_NULL, "amap_new");
            for (int k = 0; k < 10; k++)
                amap_put(amap_of(a, h), amap_i64(k), amap_cstr("an event"));
            snprintf(name, sizeof name, "session-%d", j);
            amap_put(amap_of(a, mid), amap_cstr(name), amap_handle(h));
            arena_release(a, h);
        }
    }
    size_t live = arena_live(a) - live0;
    arena_release(a, root);
    printf("  A tree: a root map of 3 maps, each of 4 maps of 10 strings: %zu live\n"
           "  objects.  arena_release() of the root: each map's cleanup releases\n"
           "  what it holds, in a loop, not by recursion.  Live objects left: %zu.\n\n",
           live, arena_live(a) - live0);
}

static void show_ownership(void)
{
    printf("6. What the map owns, and gives back\n\n");
    arena_t a;
    arena_open(&a);
    show_stable_strings(&a);
    show_no_leaks(&a);
    show_cascade(&a);
    arena_destroy(&a);
}

/* ---- 7. load and probe lengths ------------------------------------------------- */

static void print_load_row(const amap_t *m, const char *load)
{
    amap_stats_t st;
    amap_stats(m, &st);
    printf("    %-6s %8zu %8zu %8.1f %12.1f\n", load, st.len, st.capacity, st.mean_probe,
           (double)st.table_bytes / (double)st.len);
}

static void show_probes(void)
{
    printf("7. Load and probe lengths (u64 -> u64)\n\n");
    printf("  Group match in this build: %s (16 control bytes compared at once;\n"
           "  make test-swar runs the suites with SWAR forced).\n\n"
           "  One map of 65536 slots, filled to each load; 'groups' is the mean\n"
           "  number of groups a successful lookup visits (amap_stats), to one\n"
           "  decimal because the seed, and so the next decimal, changes from run\n"
           "  to run:\n\n"
           "    load    entries    slots   groups  table bytes per entry\n",
           amap_group_impl());
    arena_t a;
    arena_open(&a);
    amap_t m;
    amap_config_t cfg = {.key_type = AMAP_U64, .value_type = AMAP_U64, .capacity = 65536 / 8 * 7};
    need(amap_init(&m, &a, &cfg) == 0, "amap_init");
    const struct {
        size_t n;
        const char *load;
    } steps[] = {{65536 / 16 * 7, "7/16"}, {65536 / 2, "1/2"}, {65536 / 4 * 3, "3/4"}, {65536 / 8 * 7, "7/8"}};
    uint64_t k = 0;
    for (size_t s = 0; s < COUNT(steps); s++) {
        for (; k < steps[s].n; k++)
            need(amap_put(&m, amap_u64(k), amap_u64(k)) == 1, "amap_put");
        print_load_row(&m, steps[s].load);
    }
    need(amap_put(&m, amap_u64(k), amap_u64(k)) == 1, "amap_put");
    print_load_row(&m, "+1");
    printf("\n  One entry past 7/8 doubles the table: back to 7/16, twice the slots.\n\n");
    amap_destroy(&m);
    arena_destroy(&a);
}

/* ---- 8. time per step, against GHashTable ---------------------------------------- */

enum { STEPS = 5, REQUESTS = 2000, RUNS = 5 };
static const char *step_names[STEPS] = {"collect", "join", "filter", "convert", "drop"};

typedef struct timing {
    double ns[STEPS]; /* per request, this run */
} timing_t;

static int cmp_double(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

/* REQUESTS requests through the five steps with the arena map: each in
 * an arena of its own (reuse false), or all in one arena that
 * arena_reset() empties after each (reuse true). */
static void time_amap(timing_t *t, bool reuse)
{
    static request_t r;
    uint64_t sum[STEPS] = {0};
    if (reuse)
        arena_open(&r.arena);
    for (int i = 0; i < REQUESTS; i++) {
        uint64_t t0 = clock_now_ns();
        if (reuse)
            fill(&r);
        else
            collect(&r);
        uint64_t t1 = clock_now_ns();
        join(&r);
        uint64_t t2 = clock_now_ns();
        filter(&r);
        uint64_t t3 = clock_now_ns();
        convert(&r);
        uint64_t t4 = clock_now_ns();
        if (reuse)
            arena_reset(&r.arena);
        else
            drop(&r);
        uint64_t t5 = clock_now_ns();
        sum[0] += t1 - t0, sum[1] += t2 - t1, sum[2] += t3 - t2, sum[3] += t4 - t3, sum[4] += t5 - t4;
    }
    if (reuse)
        arena_destroy(&r.arena);
    for (int s = 0; s < STEPS; s++)
        t->ns[s] = (double)sum[s] / REQUESTS;
}

#ifdef SC_HAVE_GLIB
/* The same request with GHashTable, as GLib code usually writes it: keys
 * and string values g_strdup()ed, numbers boxed, the children in a root
 * table that unrefs them. */
typedef struct grequest {
    GHashTable *root, *headers, *query, *form, *counters, *timings, *flags, *numbers;
} grequest_t;

static GHashTable *gchild(grequest_t *r, const char *name, GDestroyNotify free_value)
{
    GHashTable *t = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, free_value);
    g_hash_table_insert(r->root, g_strdup(name), t);
    return t;
}

static void gcollect(grequest_t *r)
{
    r->root = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)g_hash_table_unref);
    r->headers = gchild(r, "headers", g_free);
    r->query = gchild(r, "query", g_free);
    r->form = gchild(r, "form", g_free);
    r->counters = gchild(r, "counters", g_free);
    r->timings = gchild(r, "timings", g_free);
    r->flags = gchild(r, "flags", NULL);
    for (size_t i = 0; i < COUNT(headers_in); i++)
        g_hash_table_insert(r->headers, g_strdup(headers_in[i].key), g_strdup(headers_in[i].value));
    for (size_t i = 0; i < COUNT(query_in); i++)
        g_hash_table_insert(r->query, g_strdup(query_in[i].key), g_strdup(query_in[i].value));
    for (size_t i = 0; i < COUNT(form_in); i++)
        g_hash_table_insert(r->form, g_strdup(form_in[i].key), g_strdup(form_in[i].value));
    for (size_t i = 0; i < COUNT(counters_in); i++)
        g_hash_table_insert(r->counters, g_strdup(counters_in[i].key), g_memdup2(&counters_in[i].value, sizeof(int64_t)));
    for (size_t i = 0; i < COUNT(timings_in); i++)
        g_hash_table_insert(r->timings, g_strdup(timings_in[i].key), g_memdup2(&timings_in[i].value, sizeof(double)));
    for (size_t i = 0; i < COUNT(flags_in); i++)
        g_hash_table_insert(r->flags, g_strdup(flags_in[i].key), GINT_TO_POINTER(flags_in[i].value));
}

static void gjoin(grequest_t *r)
{
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, r->form);
    while (g_hash_table_iter_next(&it, &k, &v))
        if (!g_hash_table_contains(r->query, k))
            g_hash_table_insert(r->query, g_strdup(k), g_strdup(v));
}

static gboolean gprivate_header(gpointer key, gpointer value, gpointer ctx)
{
    (void)value;
    (void)ctx;
    return !public_header(amap_cstr(key), amap_cstr(NULL), NULL);
}

static void gfilter(grequest_t *r)
{
    g_hash_table_foreach_remove(r->headers, gprivate_header, NULL);
}

static void gconvert(grequest_t *r)
{
    r->numbers = gchild(r, "numbers", g_free);
    GHashTableIter it;
    gpointer k, v;
    double d;
    g_hash_table_iter_init(&it, r->query);
    while (g_hash_table_iter_next(&it, &k, &v))
        if (parse_number(v, &d))
            g_hash_table_insert(r->numbers, g_strdup(k), g_memdup2(&d, sizeof d));
}

static void gdrop(grequest_t *r)
{
    g_hash_table_unref(r->root); /* and each child, through the root's value destructor */
}

static void time_glib(timing_t *t)
{
    grequest_t r;
    uint64_t sum[STEPS] = {0};
    for (int i = 0; i < REQUESTS; i++) {
        uint64_t t0 = clock_now_ns();
        gcollect(&r);
        uint64_t t1 = clock_now_ns();
        gjoin(&r);
        uint64_t t2 = clock_now_ns();
        gfilter(&r);
        uint64_t t3 = clock_now_ns();
        gconvert(&r);
        uint64_t t4 = clock_now_ns();
        gdrop(&r);
        uint64_t t5 = clock_now_ns();
        sum[0] += t1 - t0, sum[1] += t2 - t1, sum[2] += t3 - t2, sum[3] += t4 - t3, sum[4] += t5 - t4;
    }
    for (int s = 0; s < STEPS; s++)
        t->ns[s] = (double)sum[s] / REQUESTS;
}

/* Bytes malloc() has handed out and not taken back, where glibc can say. */
static size_t malloc_in_use(void)
{
#ifdef HAVE_MALLINFO2
    struct mallinfo2 mi = mallinfo2();
    return mi.uordblks + mi.hblkhd;
#else
    return 0;
#endif
}

/* Bytes malloc() holds for one request in GHashTables; measured first
 * thing in main(), while the heap's state is the same on every run (later,
 * freed blocks left by the other sections decide which chunks are reused
 * and how much of them is counted). */
static size_t glib_request_bytes;

static void measure_glib_bytes(void)
{
    grequest_t r;
    gcollect(&r); /* once first, so GLib's own one-time allocations are not counted */
    gdrop(&r);
    size_t before = malloc_in_use();
    gcollect(&r);
    glib_request_bytes = malloc_in_use() - before;
    gdrop(&r);
}

static void show_glib_bytes(void)
{
#ifdef HAVE_MALLINFO2
    printf("  The same request in GHashTables holds %s from malloc()\n"
           "  (glibc's mallinfo2(), chunk headers included): a block per key, per\n"
           "  string or boxed number and per table, each freed on its own when the\n"
           "  root is unrefed.\n\n",
           bytes(glib_request_bytes));
#endif
}
#endif

static void median_of(timing_t *runs, double *out)
{
    double v[RUNS];
    for (int s = 0; s < STEPS; s++) {
        for (int r = 0; r < RUNS; r++)
            v[r] = runs[r].ns[s];
        qsort(v, RUNS, sizeof v[0], cmp_double);
        out[s] = v[RUNS / 2];
    }
}

static void show_timing(void)
{
    printf("8. Time per step, against GLib's GHashTable\n\n");
    timing_t fresh[RUNS], reused[RUNS], gl[RUNS];
    double f[STEPS], r[STEPS], g[STEPS];
    time_amap(&fresh[0], false); /* warm-up */
    time_amap(&reused[0], true);
#ifdef SC_HAVE_GLIB
    time_glib(&gl[0]);
#endif
    for (int i = 0; i < RUNS; i++) { /* interleaved: A B C A B C ... */
        time_amap(&fresh[i], false);
        time_amap(&reused[i], true);
#ifdef SC_HAVE_GLIB
        time_glib(&gl[i]);
#endif
    }
    median_of(fresh, f);
    median_of(reused, r);
    printf("  The five steps for %d requests, median of %d runs, ns per request.\n"
           "  'own arena': arena_init() in collect, arena_destroy() as the drop;\n"
           "  'reused': one arena for all requests, arena_reset() as the drop.\n\n",
           REQUESTS, RUNS);
#ifdef SC_HAVE_GLIB
    median_of(gl, g);
    printf("    step        own arena      reused   GHashTable\n");
    double tf = 0, tr = 0, tg = 0;
    for (int s = 0; s < STEPS; s++) {
        printf("    %-9s %9.0f ns %9.0f ns %9.0f ns\n", step_names[s], f[s], r[s], g[s]);
        tf += f[s], tr += r[s], tg += g[s];
    }
    printf("    %-9s %9.0f ns %9.0f ns %9.0f ns\n\n", "in all", tf, tr, tg);
    printf("  Against GHashTable: own arena %.2fx the time, reused %.2fx.\n\n", tf / tg, tr / tg);
    show_glib_bytes();
#else
    (void)gl;
    (void)g;
    printf("    step        own arena      reused\n");
    for (int s = 0; s < STEPS; s++)
        printf("    %-9s %9.0f ns %9.0f ns\n", step_names[s], f[s], r[s]);
    printf("\n  The comparison with GLib's GHashTable is not available: this demo\n"
           "  was built without GLib (pkg-config did not find glib-2.0).\n\n");
#endif
    printf("  Rough figures on a shared machine: make bench STAGE=04 measures each\n"
           "  operation carefully, against more maps.\n");
}

int main(void)
{
    static request_t r; /* arena_t must not move after arena_init() */
#ifdef SC_HAVE_GLIB
    /* GLib before 2.76 keeps small blocks in its own slice allocator, which
     * gives memory back on a timer, so malloc()'s count of GLib's bytes
     * would change from run to run; from 2.76 on, slices are malloc()
     * anyway.  Plain malloc() for every GLib version, before GLib starts: */
    setenv("G_SLICE", "always-malloc", 1);
    measure_glib_bytes();
#endif
    printf("slabcraft stage 04: the arena map, one request end to end\n\n");
    show_collect(&r);
    show_join(&r);
    show_filter(&r);
    show_convert(&r);
    show_drop(&r);
    show_ownership();
    show_probes();
    show_timing();
    return 0;
}

/*
 * demo.c - stage 03 narrated: handles given out and resolved, a stale
 * handle that never reaches the object that reused its slot, an object
 * that moves under its handle, shared and weak references, the words of
 * this repository's README interned, a cleanup cascade, the leak report,
 * and what a resolve costs against a raw pointer.
 *
 * Handles print as slot.generation.  The helper that splits them reads
 * arena_t::index_bits, a public field: fine for a demonstration; a program
 * never needs to look inside a handle.
 *
 * Section 6 reads README.md (from the current directory, else from the
 * directories above the executable), so its figures follow that file: when
 * README.md changes, the saved output docs/data/demo-03.txt must be saved
 * again (make docs-refresh).  Without the file it interns a built-in
 * paragraph, and says so.
 */
#define _POSIX_C_SOURCE 200809L /* open_memstream() */

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "clock.h"
#include "fmt.h"
#include "misuse.h"

/* ---- printing ------------------------------------------------------------ */

/* "35,323,904 bytes (33.7 MiB)" (fmt.h); each call its own buffer. */
#define bytes(n) fmt_bytes((char[FMT_BYTES_LEN]){0}, (n))

/* "slot.generation"; each call its own buffer. */
#define hstr(a, h) handle_text((char[24]){0}, (a), (h))

static char *handle_text(char *buf, const arena_t *a, handle_t h)
{
    snprintf(buf, 24, "%lu.%lu", (unsigned long)(h & a->index_mask),
             (unsigned long)(h >> a->index_bits));
    return buf;
}

/* What arena_get() gives, as text: the object's first bytes or NULL. */
static const char *shown(const arena_t *a, handle_t h)
{
    const char *p = arena_get(a, h);
    return p ? p : "NULL";
}

/* An arena, or exit: the demo cannot go on without one. */
static void arena_new(arena_t *a, unsigned index_bits)
{
    arena_config_t cfg = {.index_bits = index_bits};
    if (arena_init(a, &cfg) != 0) {
        fprintf(stderr, "arena_init failed\n");
        exit(1);
    }
}

/* A new object holding the string s (with its NUL), or exit. */
static handle_t new_string(arena_t *a, const char *s)
{
    handle_t h = arena_alloc(a, strlen(s) + 1);
    if (h == HANDLE_NULL) {
        fprintf(stderr, "arena_alloc failed\n");
        exit(1);
    }
    memcpy(arena_get(a, h), s, strlen(s) + 1);
    return h;
}

/* ---- 1. handles ------------------------------------------------------------ */

static void show_handles(void)
{
    arena_t a;
    arena_new(&a, 0);
    printf("1. Handles given out and resolved\n\n");
    printf("  A handle is 32 bits: the low %u (the default index_bits) name a slot,\n"
           "  the high %u count its generations, 1 to %lu.  Three objects:\n\n",
           a.index_bits, 32 - a.index_bits, (unsigned long)a.gen_max);
    const char *names[] = {"alpha", "beta", "gamma"};
    for (int i = 0; i < 3; i++) {
        handle_t h = new_string(&a, names[i]);
        printf("    handle %-5s (the number %8lu) -> \"%s\"\n", hstr(&a, h), (unsigned long)h,
               shown(&a, h));
    }
    printf("\n  Slot 0 is never used, so 0 (HANDLE_NULL) names nothing.  A slot takes\n"
           "  %zu bytes, its count included, and its size %zu more; the table's first\n"
           "  page has %u slots.\n\n",
           sizeof(arena_slot_t), sizeof(uint32_t), ARENA_PAGE0_SLOTS);
    arena_destroy(&a);
}

/* ---- 2. stale handles ------------------------------------------------------- */

static void print_report(const misuse_report_t *r, void *ctx)
{
    (void)ctx;
    printf("    misuse handler: %s: %s: %s\n", r->allocator, r->kind, r->message);
}

/* Uses one slot of an arena with index_bits 28 until it retires. */
static void show_retirement(void)
{
    arena_t a;
    arena_new(&a, ARENA_MAX_INDEX_BITS);
    unsigned n = 0;
    handle_t h = HANDLE_NULL;
    for (;; n++) {
        handle_t next = arena_alloc(&a, 8);
        if ((next & a.index_mask) != 1) { /* slot 1 has retired: a fresh slot */
            arena_release(&a, next);
            break;
        }
        h = next;
        arena_release(&a, h);
    }
    arena_stats_t st;
    arena_stats(&a, &st);
    printf("  With %u index bits a slot has %lu generations: allocating and\n"
           "  releasing again and again used slot 1 %u times (last handle %s); then\n"
           "  it retired (retired slots: %zu) and the next object took slot 2.\n\n",
           a.index_bits, (unsigned long)a.gen_max, n, hstr(&a, h), st.retired);
    arena_destroy(&a);
}

static void show_stale(void)
{
    arena_t a;
    arena_new(&a, 0);
    printf("2. A freed object's handle turns stale\n\n");
    handle_t first = new_string(&a, "first");
    handle_t keep = new_string(&a, "kept");
    arena_release(&a, first);
    handle_t second = new_string(&a, "second");
    printf("  \"first\" got %s and was released; \"second\" reused its slot, the\n"
           "  last one freed, with the next generation:\n\n"
           "    old handle %s -> %s\n"
           "    new handle %s -> \"%s\"\n\n",
           hstr(&a, first), hstr(&a, first), shown(&a, first), hstr(&a, second), shown(&a, second));
    handle_t forged = (handle_t)((7u << a.index_bits) | 999u);
    printf("  A forged handle (%s: a slot never used) -> %s; HANDLE_NULL -> %s.\n"
           "  Releasing the old handle again is a double release:\n",
           hstr(&a, forged), shown(&a, forged), shown(&a, HANDLE_NULL));
    misuse_set_handler(print_report, NULL);
    int rc = arena_release(&a, first);
    misuse_set_handler(NULL, NULL);
    printf("    arena_release() returned %s; nothing changed (\"%s\" and \"%s\" live).\n\n",
           rc == -ESTALE ? "-ESTALE" : "?? (unexpected)", shown(&a, keep), shown(&a, second));
    arena_destroy(&a);
    show_retirement();
}

/* ---- 3. resize ---------------------------------------------------------------- */

static void show_resize(void)
{
    arena_t a;
    arena_new(&a, 0);
    printf("3. An object moves, its handle stays\n\n");
    handle_t h = new_string(&a, "a growing record");
    void *before = arena_get(&a, h);
    size_t old_size = arena_size(&a, h);
    if (arena_resize(&a, h, 3000) != 0)
        exit(1);
    void *after = arena_get(&a, h);
    printf("  Handle %s, %zu bytes at %p; arena_resize() to %zu bytes:\n"
           "    now at %p (moved: %s); the same handle gives \"%s\"\n"
           "  A pointer kept from before the resize would point at freed memory.\n\n",
           hstr(&a, h), old_size, before, arena_size(&a, h), after, after != before ? "yes" : "no",
           shown(&a, h));
    arena_destroy(&a);
}

/* ---- 4. references ----------------------------------------------------------- */

static void show_sharing(void)
{
    arena_t a;
    arena_new(&a, 0);
    printf("4. Sharing and releasing\n\n");
    handle_t h = new_string(&a, "shared");
    printf("  arena_alloc()                %s refs %lu\n", hstr(&a, h), (unsigned long)arena_refcount(&a, h));
    arena_share(&a, h);
    arena_share(&a, h);
    printf("  arena_share() twice          %s refs %lu\n", hstr(&a, h), (unsigned long)arena_refcount(&a, h));
    for (int i = 0; i < 3; i++) {
        int left = arena_release(&a, h);
        printf("  arena_release() returns %d   %s refs %lu, arena_get() -> %s\n", left, hstr(&a, h),
               (unsigned long)arena_refcount(&a, h), arena_get(&a, h) ? "the object" : "NULL");
    }
    printf("\n");
    arena_destroy(&a);
}

static void show_weak(void)
{
    arena_t a;
    arena_new(&a, 0);
    printf("5. A weak handle\n\n");
    handle_t owner = new_string(&a, "cached page");
    handle_t weak = owner; /* a copy of the handle, without a reference */
    printf("  The owner holds %s with its reference; a cache keeps the same handle\n"
           "  without one.  While the owner keeps it: arena_get(weak) -> \"%s\".\n",
           hstr(&a, owner), shown(&a, weak));
    arena_release(&a, owner);
    int rc = arena_share(&a, weak);
    printf("  The owner releases it: arena_get(weak) -> %s, and arena_share(weak),\n"
           "  the upgrade to a strong reference, returns %s (nothing reported).\n\n",
           shown(&a, weak), rc == -ESTALE ? "-ESTALE" : "?? (unexpected)");
    arena_destroy(&a);
}

/* ---- 6. interning --------------------------------------------------------------- */

static const char fallback_text[] =
    "A pointer says where an object is, never whether it is still the object "
    "you meant. A handle is an index into a table plus a generation; the table "
    "says where the object is now and which generation lives there.";

/* The contents of path, NUL-terminated, or NULL. */
static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t cap = 0, n = 0;
    for (;;) {
        if (n + 4096 + 1 > cap) {
            char *bigger = realloc(buf, cap = 2 * cap + 4096 + 1);
            if (!bigger) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = bigger;
        }
        size_t got = fread(buf + n, 1, 4096, f);
        n += got;
        if (got < 4096)
            break;
    }
    fclose(f);
    buf[n] = '\0';
    *len = n;
    return buf;
}

/* README.md from the current directory, or from a directory above the
 * executable (build/<cc>/release/stages/03-handles/ is five levels down). */
static char *read_readme(const char *argv0, size_t *len)
{
    char *text = read_file("README.md", len);
    char path[4096];
    size_t dir = strlen(argv0);
    while (dir > 0 && argv0[dir - 1] != '/')
        dir--;
    for (int up = 0; !text && dir > 0 && up <= 6; up++) {
        int n = snprintf(path, sizeof path, "%.*s", (int)dir, argv0);
        for (int k = 0; k < up && n > 0 && (size_t)n < sizeof path; k++)
            n += snprintf(path + n, sizeof path - (size_t)n, "../");
        if (n > 0 && (size_t)n + sizeof "README.md" <= sizeof path) {
            memcpy(path + n, "README.md", sizeof "README.md");
            text = read_file(path, len);
        }
    }
    return text;
}

static bool word_char(char c)
{
    return isalnum((unsigned char)c) || c == '_';
}

static void show_interning(const char *argv0)
{
    arena_t a;
    arena_new(&a, 0);
    size_t len = 0;
    char *text = read_readme(argv0, &len);
    const char *what = "the words of this repository's README.md";
    if (!text) {
        what = "a built-in paragraph (README.md was not found)";
        len = strlen(fallback_text);
    }
    const char *t = text ? text : fallback_text;
    handle_t *words = malloc((len / 2 + 1) * sizeof *words);
    if (!words)
        exit(1);
    size_t n = 0, word_bytes = 0, object_bytes = 0;
    for (size_t i = 0; i < len;) {
        if (!word_char(t[i])) {
            i++;
            continue;
        }
        size_t start = i;
        while (i < len && word_char(t[i]))
            i++;
        handle_t h = arena_intern(&a, t + start, i - start);
        if (h == HANDLE_NULL)
            exit(1);
        if (arena_refcount(&a, h) == 1)
            object_bytes += i - start + 1; /* a new string: its bytes and NUL */
        word_bytes += i - start;
        words[n++] = h;
    }
    arena_stats_t st;
    arena_stats(&a, &st);
    handle_t the = arena_intern(&a, "the", 3);
    uint32_t the_count = arena_refcount(&a, the) - 1;
    arena_release(&a, the);
    printf("6. Interning %s\n\n", what);
    printf("  Each word (a run of letters, digits and '_') goes to arena_intern():\n\n"
           "    the text               %s\n"
           "    words                  %zu, %s of letters\n"
           "    distinct words         %zu: the interned objects\n"
           "    intern hits            %zu: calls answered by an existing string\n"
           "    bytes in the objects   %s: each distinct word once, and a NUL\n"
           "    a handle per word      %s; a pointer per word: %s\n"
           "    held from the source   %s: slabs, handle table, intern set\n\n",
           bytes(len), n, bytes(word_bytes), st.interned, st.intern_hits, bytes(object_bytes),
           bytes(n * sizeof(handle_t)), bytes(n * sizeof(void *)), bytes(st.bytes_from_source));
    printf("  \"the\" occurs %lu times: that is its reference count.\n", (unsigned long)the_count);
    for (size_t i = 0; i < n; i++)
        arena_release(&a, words[i]);
    arena_stats(&a, &st);
    printf("  After one release per word: %zu interned, %zu live.\n\n", st.interned, st.live);
    free(words);
    free(text);
    arena_destroy(&a);
}

/* ---- 7. a cleanup cascade ----------------------------------------------------------- */

// [node]
/* A list node in the arena: its number and the handle of the next node. */
typedef struct node {
    int number;
    handle_t next;
} node_t;

static int depth; /* cleanups running now, one inside another */

/* A node's cleanup: gives back its reference to the next node. */
static void node_cleanup(void *obj, size_t size, void *ctx)
{
    arena_t *a = ctx;
    const node_t *nd = obj; /* still readable: it is freed after this returns */
    (void)size;
    depth++;
    if (nd->next == HANDLE_NULL) {
        printf("    cleanup of node %d (depth %d), the last\n", nd->number, depth);
    } else {
        const node_t *next = arena_get(a, nd->next);
        printf("    cleanup of node %d (depth %d) releases node %d\n", nd->number, depth, next->number);
        arena_release(a, nd->next); /* the last reference: the next node is queued, not freed here */
    }
    depth--;
}
// [node]

static void show_cascade(void)
{
    arena_t a;
    arena_new(&a, 0);
    printf("7. A cleanup cascade\n\n");
    handle_t next = HANDLE_NULL;
    for (int k = 5; k >= 1; k--) { /* node k holds the only reference to node k + 1 */
        handle_t h = arena_alloc(&a, sizeof(node_t));
        if (h == HANDLE_NULL || arena_on_free(&a, h, node_cleanup, &a) != 0)
            exit(1);
        *(node_t *)arena_get(&a, h) = (node_t){k, next};
        next = h;
    }
    printf("  Five nodes, each holding the only reference to the next, each with a\n"
           "  cleanup that releases it.  Releasing node 1:\n\n");
    arena_release(&a, next);
    arena_stats_t st;
    arena_stats(&a, &st);
    printf("\n  A release inside a cleanup only queues the next object, and the first\n"
           "  release frees them in a loop: depth 1 for any length.  Live now: %zu.\n\n",
           st.live);
    arena_destroy(&a);
}

/* ---- 8. the leak report -------------------------------------------------------------- */

/* arena_report_live(), each line indented like the rest of the demo. */
static size_t report_indented(const arena_t *a)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    if (!mem)
        return arena_report_live(a, stdout);
    size_t n = arena_report_live(a, mem);
    fclose(mem);
    for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n"))
        printf("    %s\n", line);
    free(buf);
    return n;
}

static void show_leaks(void)
{
    arena_t a;
    arena_new(&a, 0);
    printf("8. The leak report\n\n");
    new_string(&a, "a session token");
    handle_t s = new_string(&a, "shared config");
    arena_share(&a, s);
    arena_intern(&a, "interned name", 13);
    handle_t h = arena_alloc(&a, 40);
    if (h == HANDLE_NULL)
        exit(1);
    memset(arena_get(&a, h), 0xAB, 40);
    printf("  Four objects still live; arena_report_live() prints one line each\n"
           "  (handle, size, references, interned or -, the first 16 bytes):\n\n");
    size_t n = report_indented(&a);
    size_t bad = arena_check(&a);
    printf("\n  It returned %zu.  With ARENA_LEAK_REPORT, arena_destroy() prints the\n"
           "  same to stderr whenever objects are live.  arena_check(): %zu problems.\n\n",
           n, bad);
    arena_destroy(&a);
}

/* ---- 9. what a resolve costs ------------------------------------------------------------ */

enum { OBJECTS = 1024, ACCESSES = 20000000, RUNS = 5 };

static int cmp_double(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

/* ns per access: ACCESSES reads of the first word of OBJECTS objects in
 * turn, through handles (a != NULL) or through raw pointers. */
static double time_accesses(const arena_t *a, const handle_t *hs, uint64_t *const *ps)
{
    uint64_t sum = 0;
    uint64_t t0 = clock_now_ns();
    if (a) {
        for (size_t i = 0; i < ACCESSES; i++)
            sum += *(const uint64_t *)arena_get(a, hs[i % OBJECTS]);
    } else {
        for (size_t i = 0; i < ACCESSES; i++)
            sum += *ps[i % OBJECTS];
    }
    uint64_t t1 = clock_now_ns();
    volatile uint64_t sink = sum;
    (void)sink;
    return (double)(t1 - t0) / ACCESSES;
}

static void show_cost(void)
{
    arena_t a;
    arena_new(&a, 0);
    static handle_t hs[OBJECTS];
    static uint64_t *ps[OBJECTS];
    for (size_t i = 0; i < OBJECTS; i++) {
        hs[i] = arena_alloc(&a, 64);
        if (hs[i] == HANDLE_NULL)
            exit(1);
        ps[i] = arena_get(&a, hs[i]);
        *ps[i] = i;
    }
    double th[RUNS], tp[RUNS];
    time_accesses(&a, hs, ps); /* warm-up */
    time_accesses(NULL, hs, ps);
    for (int r = 0; r < RUNS; r++) { /* interleaved: A B A B ... */
        th[r] = time_accesses(&a, hs, ps);
        tp[r] = time_accesses(NULL, hs, ps);
    }
    qsort(th, RUNS, sizeof *th, cmp_double);
    qsort(tp, RUNS, sizeof *tp, cmp_double);
    printf("9. What a resolve costs\n\n");
    printf("  Reading the first word of %d objects in turn, %d times in all, through\n"
           "  handles and through pointers to them (all in cache); median of %d runs:\n\n"
           "    raw pointer   %5.2f ns per access\n"
           "    handle        %5.2f ns per access\n\n"
           "  A handle costs %.2fx a raw pointer here: a rough figure on a shared\n"
           "  machine; make bench STAGE=03 measures hot and cold resolves carefully.\n",
           OBJECTS, ACCESSES, RUNS, tp[RUNS / 2], th[RUNS / 2], th[RUNS / 2] / tp[RUNS / 2]);
    arena_destroy(&a);
}

int main(int argc, char **argv)
{
    (void)argc;
    printf("slabcraft stage 03: handles, references, interning, cleanups\n\n");
    show_handles();
    show_stale();
    show_resize();
    show_sharing();
    show_weak();
    show_interning(argv[0] ? argv[0] : "");
    show_cascade();
    show_leaks();
    show_cost();
    return 0;
}

/*
 * smoke.c - the installed library, used the way a stranger would: headers
 * as <slabcraft/...> and link flags from `pkg-config slabcraft`, nothing
 * from the source tree.  scripts/install_smoke.sh builds it against the
 * static and against the shared library.
 *
 * Stage 01: allocates, writes, frees and reuses objects of a checked pool.
 * Stage 02: objects of many sizes and one large one from a checked slabs_t,
 * every byte read back, everything freed.  Stage 03: objects named by
 * handles, one shared, a string interned twice, a cleanup, a stale handle.
 * Stage 04: a string -> i64 map in an arena, grown, read, filtered by
 * deletion, destroyed with nothing left live.  Stage 05: a slabs_t on a
 * vmem source (reserved address space), objects aligned to 64 bytes, 4 KiB
 * and 2 MiB, written, freed and trimmed until nothing is committed.  Exits
 * 0 and prints one line if everything holds, 1 otherwise.
 */
#include <stdio.h>
#include <string.h>

#include <stdint.h>

#include <slabcraft/aligned.h>
#include <slabcraft/amap.h>
#include <slabcraft/arena.h>
#include <slabcraft/misuse.h>
#include <slabcraft/pool.h>
#include <slabcraft/slabs.h>
#include <slabcraft/vmem.h>

enum { N = 100 };

/* Stage 01: returns the number of checks that failed. */
static int pool_smoke(void)
{
    pool_t pool;
    pool_config_t cfg = {.obj_size = 48, .flags = POOL_CHECKED};
    if (pool_init(&pool, &cfg) != 0)
        return 1;
    char *obj[N];
    int bad = 0;
    for (int i = 0; i < N; i++) {
        obj[i] = pool_alloc(&pool);
        if (obj[i] == NULL)
            return 1;
        memset(obj[i], i, 48);
    }
    for (int i = 0; i < N; i++)
        bad += obj[i][0] != (char)i || obj[i][47] != (char)i;
    pool_free(&pool, obj[42]);
    bad += pool_alloc(&pool) != obj[42]; /* the freed object comes back first */
    pool_stats_t s;
    pool_stats(&pool, &s);
    bad += s.live != N;
    bad += pool_check(&pool) != 0;
    pool_destroy(&pool);
    return bad;
}

/* Stage 02: returns the number of checks that failed. */
static int slabs_smoke(void)
{
    slabs_t s;
    slabs_config_t cfg = {.flags = SLABS_CHECKED};
    if (slabs_init(&s, &cfg) != 0)
        return 1;
    char *obj[N];
    size_t size[N];
    int bad = 0;
    for (int i = 0; i < N; i++) {
        size[i] = i == N - 1 ? 1000000 : 1 + (size_t)i * 61; /* 1 B - 6 KB, and a large one */
        obj[i] = slabs_alloc(&s, size[i]);
        if (obj[i] == NULL)
            return 1;
        memset(obj[i], i, size[i]);
        bad += slabs_usable_size(&s, obj[i]) < size[i];
    }
    for (int i = 0; i < N; i++) {
        bad += obj[i][0] != (char)i || obj[i][size[i] - 1] != (char)i;
        slabs_free(&s, obj[i]);
    }
    slabs_stats_t st;
    slabs_stats(&s, &st);
    bad += st.live_objects != 0;
    bad += slabs_check(&s) != 0;
    slabs_destroy(&s);
    return bad;
}

static void count_cleanup(void *obj, size_t size, void *ctx)
{
    (void)obj;
    (void)size;
    ++*(int *)ctx;
}

/* Stage 03: returns the number of checks that failed. */
static int arena_smoke(void)
{
    arena_t a;
    arena_config_t cfg = {.flags = ARENA_CHECKED};
    if (arena_init(&a, &cfg) != 0)
        return 1;
    int bad = 0, cleaned = 0;
    handle_t h[N];
    for (int i = 0; i < N; i++) {
        h[i] = arena_alloc(&a, 1 + (size_t)i * 7);
        if (h[i] == HANDLE_NULL)
            return 1;
        memset(arena_get(&a, h[i]), i, 1 + (size_t)i * 7);
    }
    for (int i = 0; i < N; i++)
        bad += ((char *)arena_get(&a, h[i]))[i * 7] != (char)i;
    bad += arena_share(&a, h[7]) != 0 || arena_release(&a, h[7]) != 1;
    bad += arena_on_free(&a, h[9], count_cleanup, &cleaned) != 0;
    handle_t s1 = arena_intern(&a, "installed", 9), s2 = arena_intern(&a, "installed", 9);
    bad += s1 == HANDLE_NULL || s1 != s2 || arena_refcount(&a, s1) != 2;
    for (int i = 0; i < N; i++)
        bad += arena_release(&a, h[i]) != 0;
    bad += cleaned != 1 || arena_get(&a, h[9]) != NULL;
    bad += arena_check(&a) != 0;
    arena_destroy(&a);
    return bad;
}

/* Stage 04: returns the number of checks that failed. */
static int amap_smoke(void)
{
    arena_t a;
    arena_config_t acfg = {0};
    if (arena_init(&a, &acfg) != 0)
        return 1;
    amap_t m;
    amap_config_t cfg = {.key_type = AMAP_STR, .value_type = AMAP_I64, .flags = AMAP_CHECKED};
    int bad = amap_init(&m, &a, &cfg) != 0;
    char key[32];
    for (int i = 0; i < 1000 && !bad; i++) {
        int n = snprintf(key, sizeof key, "attribute-%d", i);
        bad += amap_put(&m, amap_str(key, (size_t)n), amap_i64(i)) != 1;
    }
    amap_val_t v;
    bad += amap_get(&m, amap_cstr("attribute-777"), &v) != 0 || v.i64 != 777;
    bad += amap_del(&m, amap_cstr("attribute-777")) != 0 || amap_has(&m, amap_cstr("attribute-777"));
    bad += amap_len(&m) != 999 || amap_check(&m) != 0;
    amap_destroy(&m);
    arena_stats_t st;
    arena_stats(&a, &st);
    bad += st.live != 0;
    arena_destroy(&a);
    return bad;
}

/* Stage 05: returns the number of checks that failed. */
static int vmem_smoke(void)
{
    vmem_t v;
    vmem_config_t vcfg = {0};
    if (vmem_init(&v, &vcfg) != 0)
        return 1;
    slabs_t s;
    slabs_config_t cfg = {.source = vmem_source(&v), .flags = SLABS_CHECKED};
    if (slabs_init(&s, &cfg) != 0) {
        vmem_destroy(&v);
        return 1;
    }
    static const size_t align[] = {64, 4096, (size_t)2 << 20};
    char *obj[3];
    int bad = 0;
    for (int i = 0; i < 3; i++) {
        obj[i] = slabs_alloc_aligned(&s, 100 + (size_t)i, align[i]);
        if (obj[i] == NULL)
            return 1;
        bad += (uintptr_t)obj[i] % align[i] != 0;
        memset(obj[i], i + 1, 100 + (size_t)i);
    }
    for (int i = 0; i < 3; i++) {
        bad += obj[i][0] != (char)(i + 1) || obj[i][99 + i] != (char)(i + 1);
        slabs_free(&s, obj[i]);
    }
    vmem_stats_t before, after;
    vmem_stats(&v, &before);
    size_t trimmed = slabs_trim(&s, 0);
    vmem_stats(&v, &after);
    bad += trimmed == 0 || before.committed - after.committed != trimmed;
    bad += slabs_check(&s) != 0;
    slabs_destroy(&s);
    vmem_stats(&v, &after);
    bad += after.committed != 0 || after.reserved == 0;
    vmem_destroy(&v);
    return bad;
}

int main(int argc, char **argv)
{
    const char *name = argc > 0 && strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : "smoke";
    misuse_set_handler(NULL, NULL);
    int bad = pool_smoke() + slabs_smoke() + arena_smoke() + amap_smoke() + vmem_smoke();
    if (bad) {
        fprintf(stderr, "install smoke: %s: %d check(s) failed\n", name, bad);
        return 1;
    }
    printf("install smoke: %s: the installed pool, slabs, arena, map and vmem build, link and run\n", name);
    return 0;
}

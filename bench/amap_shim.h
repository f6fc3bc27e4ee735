/*
 * amap_shim.h - the C++ hash maps bench_amap measures the arena map
 * against, called from C: std::unordered_map, absl::flat_hash_map and
 * boost::unordered_flat_map, each with u64 keys or string keys, u64 values.
 *
 * bench/amap_shim.cc implements it; the Makefile compiles it (g++ -O2, no
 * -march) and links it into bench_amap only when a C++ compiler and the
 * abseil and Boost headers are there.  Every function is declared weak, so
 * bench_amap links without it: shim_maps() is then NULL, and the driver
 * leaves the C++ columns out.
 *
 * A shim map owns copies of its string keys (std::string); lookups and
 * erases by string take a pointer and a length (a std::string_view, no
 * copy).  Each call is one out-of-line call, as amap_put() and amap_get()
 * are for the arena map.
 */
#ifndef SLABCRAFT_BENCH_AMAP_SHIM_H
#define SLABCRAFT_BENCH_AMAP_SHIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One map kind with one key type: its calls. */
typedef struct shim_ops {
    const char *name;    /* "std::unordered_map", "absl::flat_hash_map", "boost::unordered_flat_map" */
    void *(*create)(void);                                              /* an empty map, or NULL */
    void (*destroy)(void *m);                                           /* frees it and all it holds */
    bool (*put_u64)(void *m, uint64_t key, uint64_t value);             /* true: inserted; false: replaced */
    bool (*get_u64)(const void *m, uint64_t key, uint64_t *value);      /* true: found */
    bool (*del_u64)(void *m, uint64_t key);                             /* true: erased */
    bool (*put_str)(void *m, const char *key, size_t len, uint64_t value);
    bool (*get_str)(const void *m, const char *key, size_t len, uint64_t *value);
    bool (*del_str)(void *m, const char *key, size_t len);
    uint64_t (*sum)(const void *m, size_t *n);                          /* sum of the values, *n entries visited */
    size_t (*len)(const void *m);
} shim_ops_t;

/* The maps, index 0..2 as named above, with u64 keys (str false) or string
 * keys (str true); NULL when the shim is not linked in. */
const shim_ops_t *shim_maps(bool str) __attribute__((weak));

/* The versions the shim was built with, as "GCC 12.2.0, abseil 20220623,
 * Boost 1.81". */
const char *shim_versions(void) __attribute__((weak));

#ifdef __cplusplus
}
#endif

#endif

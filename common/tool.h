/**
 * @file tool.h
 * @brief The one place that tells Valgrind memcheck and AddressSanitizer which
 *        bytes inside our blocks may be touched.
 *
 * To memcheck and ASan a block from the page source is one big allocation:
 * a read of an object freed inside it looks perfectly legal.  These
 * annotations describe the inside of the block to them:
 *
 *  - tool_noaccess(p, n): @p n bytes at @p p must not be touched at all
 *    (freed objects, never-carved space, padding);
 *  - tool_undefined(p, n): may be touched, contents not yet written
 *    (a freshly allocated object);
 *  - tool_defined(p, n): may be touched and hold meaningful bytes
 *    (the allocator is about to read its own link word in a free object).
 *
 * Each compiles to nothing when neither tool is built in, so the hot paths of
 * an ordinary build carry no cost.  Valgrind's requests also cost only a few
 * no-op instructions when the program is not running under Valgrind; build
 * with -DSC_NO_VALGRIND to remove even those.
 */
#ifndef SLABCRAFT_TOOL_H
#define SLABCRAFT_TOOL_H

#include <stddef.h>

/* ---- AddressSanitizer: built in with -fsanitize=address ---------------- */
#if defined(__SANITIZE_ADDRESS__)
#define TOOL_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TOOL_ASAN 1
#endif
#endif

/**
 * @def TOOL_ASAN_POISON(p, n)
 * @brief ASan only: @p n bytes at @p p become poisoned; nothing otherwise.
 * @param p first byte
 * @param n byte count
 * @def TOOL_ASAN_UNPOISON(p, n)
 * @brief ASan only: @p n bytes at @p p become addressable; nothing otherwise.
 * @param p first byte
 * @param n byte count
 */
#ifdef TOOL_ASAN
#include <sanitizer/asan_interface.h>
#define TOOL_ASAN_POISON(p, n)   ASAN_POISON_MEMORY_REGION((p), (n))
#define TOOL_ASAN_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define TOOL_ASAN_POISON(p, n)   ((void)(p), (void)(n))
#define TOOL_ASAN_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

/* ---- Valgrind memcheck: client requests, if the headers are installed --- */
#if !defined(SC_NO_VALGRIND) && !defined(TOOL_ASAN) && defined(__has_include)
#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#define TOOL_VALGRIND 1
#endif
#endif

/**
 * @def TOOL_VG_NOACCESS(p, n)
 * @brief Valgrind only: @p n bytes at @p p become inaccessible.
 * @param p first byte
 * @param n byte count
 * @def TOOL_VG_UNDEFINED(p, n)
 * @brief Valgrind only: @p n bytes at @p p become accessible, undefined.
 * @param p first byte
 * @param n byte count
 * @def TOOL_VG_DEFINED(p, n)
 * @brief Valgrind only: @p n bytes at @p p become accessible and defined.
 * @param p first byte
 * @param n byte count
 */
#ifdef TOOL_VALGRIND
#define TOOL_VG_NOACCESS(p, n)  ((void)VALGRIND_MAKE_MEM_NOACCESS((p), (n)))
#define TOOL_VG_UNDEFINED(p, n) ((void)VALGRIND_MAKE_MEM_UNDEFINED((p), (n)))
#define TOOL_VG_DEFINED(p, n)   ((void)VALGRIND_MAKE_MEM_DEFINED((p), (n)))
#else
#define TOOL_VG_NOACCESS(p, n)  ((void)(p), (void)(n))
#define TOOL_VG_UNDEFINED(p, n) ((void)(p), (void)(n))
#define TOOL_VG_DEFINED(p, n)   ((void)(p), (void)(n))
#endif

/** 1 when some tool is built in and the annotations do something. */
#if defined(TOOL_ASAN) || defined(TOOL_VALGRIND)
#define TOOL_ACTIVE 1
#else
#define TOOL_ACTIVE 0
#endif

/**
 * @brief Marks @p n bytes at @p p as off limits (freed, uncarved, padding).
 * @param p first byte
 * @param n byte count
 */
static inline void tool_noaccess(const void *p, size_t n)
{
    TOOL_ASAN_POISON(p, n);
    TOOL_VG_NOACCESS(p, n);
}

/**
 * @brief Marks @p n bytes at @p p as usable but not yet written.
 * @param p first byte
 * @param n byte count
 */
static inline void tool_undefined(const void *p, size_t n)
{
    TOOL_ASAN_UNPOISON(p, n);
    TOOL_VG_UNDEFINED(p, n);
}

/**
 * @brief Marks @p n bytes at @p p as usable and holding meaningful bytes.
 * @param p first byte
 * @param n byte count
 */
static inline void tool_defined(const void *p, size_t n)
{
    TOOL_ASAN_UNPOISON(p, n);
    TOOL_VG_DEFINED(p, n);
}

#endif

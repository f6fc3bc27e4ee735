/**
 * @file hint.h
 * @brief Hints to the compiler about which paths are hot: the few words
 *        that keep an allocator's fast path short, in one place.
 *
 * SC_COLD keeps a rarely taken function out of line, so that the fast
 * path that calls it needs no stack frame of its own; SC_INLINE puts a
 * fast path that two callers share into both; SC_LIKELY and
 * SC_UNLIKELY say which way a branch usually goes, so the compiler lays
 * the usual way out straight.  Each is a plain no-op on a compiler without
 * the GNU extensions; none changes what the code does.
 */
#ifndef SLABCRAFT_HINT_H
#define SLABCRAFT_HINT_H

#if defined(__GNUC__)
/** Keeps a rarely called function out of line. */
#define SC_COLD __attribute__((noinline))
/** Inlines a static function even where the compiler would not (a fast path used twice). */
#define SC_INLINE inline __attribute__((always_inline))
/** The condition is usually true. */
#define SC_LIKELY(x) __builtin_expect(!!(x), 1)
/** The condition is usually false. */
#define SC_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
/** Without GNU extensions: no hint. */
#define SC_COLD
/** Without GNU extensions: a plain inline. */
#define SC_INLINE inline
/** Without GNU extensions: the condition as it is. */
#define SC_LIKELY(x) (x)
/** Without GNU extensions: the condition as it is. */
#define SC_UNLIKELY(x) (x)
#endif

#endif

/**
 * @file clock.h
 * @brief A monotonic clock in nanoseconds, for benchmarks, demos and idle ages.
 */
#ifndef SLABCRAFT_CLOCK_H
#define SLABCRAFT_CLOCK_H

#include <stdint.h>

/**
 * @brief Nanoseconds on CLOCK_MONOTONIC: only differences are meaningful.
 * @return the current time; never goes backwards
 */
uint64_t clock_now_ns(void);

/**
 * @brief Nanoseconds on CLOCK_MONOTONIC_COARSE where the system has it (a
 *        few ns per call, about a millisecond of resolution), else the same
 *        as clock_now_ns().  For ages that need no precision.
 * @return the current time; never goes backwards
 */
uint64_t clock_coarse_ns(void);

#endif

/** @file mono.h
 *  @brief The monotonic clock, for deadlines and durations (never for
 *         dates: it does not jump with the wall clock).
 */
#ifndef HRSS_MONO_H
#define HRSS_MONO_H
#include <stdint.h>

/** CLOCK_MONOTONIC in milliseconds. */
int64_t mono_ms(void);

/** CLOCK_MONOTONIC in seconds, with its nanoseconds. */
double mono_s(void);

#endif

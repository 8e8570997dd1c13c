/* SPDX-License-Identifier: GPL-2.0-only */
/* Nanosecond clocks: one definition for every module that times or schedules something. */
#ifndef AOD_CLOCK_H
#define AOD_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t clock_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* CLOCK_MONOTONIC: deadlines, durations and the loop's notion of now. */
static inline uint64_t mono_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

/* CLOCK_REALTIME: bundle names, retention ages, anything a person reads as a date. */
static inline int64_t wall_ns(void)
{
	return (int64_t)clock_ns(CLOCK_REALTIME);
}

#endif /* AOD_CLOCK_H */

/* SPDX-License-Identifier: GPL-2.0-only */
/* The unit tests' CHECK macro: count, report the failing expression, keep going. */
#ifndef AOD_CHECK_H
#define AOD_CHECK_H

#include <stdio.h>

static int check_passed, check_failed;

#define CHECK(cond)                                                              \
	do {                                                                     \
		if (cond) {                                                      \
			check_passed++;                                          \
		} else {                                                         \
			check_failed++;                                          \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__,  \
				__LINE__, #cond);                                \
		}                                                                \
	} while (0)

/* Each unit test binary ends with this; the runner sums the lines. */
#define CHECK_DONE()                                                             \
	(printf("%d passed, %d failed\n", check_passed, check_failed),           \
	 check_failed ? 1 : 0)

#endif /* AOD_CHECK_H */

// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for stall_pick: the age bar, exempt and expired entries, the oldest named, each request once. */
#include "../../src/stall.c"
#include "check.h"

#define MS 1000000ull
#define SEC 1000000000ull
#define NOW (5000 * SEC)
#define MAX_AGE (60 * SEC)

int main(void)
{
	struct stall_entry e[6] = { { 0, false } };
	uint64_t rep = 0;
	uint32_t count = 99;

	/* nothing pending */
	CHECK(stall_pick(e, 0, NOW, 3 * SEC, MAX_AGE, &rep, &count) == -1 && count == 0 && rep == 0);
	e[0] = (struct stall_entry){ NOW - 2999 * MS, false };	/* young */
	e[1] = (struct stall_entry){ NOW - 4 * SEC, false };		/* stalled */
	e[2] = (struct stall_entry){ NOW - 9 * SEC, true };		/* a lock: exempt however old */
	e[3] = (struct stall_entry){ NOW - 61 * SEC, false };		/* past the sweep's age */
	e[4] = (struct stall_entry){ NOW + 5 * MS, false };		/* written after the clock was read */
	e[5] = (struct stall_entry){ NOW - 3 * SEC, false };		/* exactly at the bar */
	CHECK(stall_pick(e, 4, NOW, 3 * SEC, MAX_AGE, &rep, &count) == 1 && count == 1);
	CHECK(rep == NOW - 4 * SEC);
	/* the same request on the next scan is not news */
	CHECK(stall_pick(e, 5, NOW, 3 * SEC, MAX_AGE, &rep, &count) == -1 && count == 1);
	/* the young one crosses a second later: reported, the oldest of both named */
	CHECK(stall_pick(e, 5, NOW + SEC, 3 * SEC, MAX_AGE, &rep, &count) == 1 && count == 2);
	CHECK(rep == NOW - 2999 * MS);
	CHECK(stall_pick(e, 5, NOW + 2 * SEC, 3 * SEC, MAX_AGE, &rep, &count) == -1 && count == 2);
	/* a request exactly at stall_ns counts, but it started before one already reported */
	CHECK(stall_pick(e, 6, NOW, 3 * SEC, MAX_AGE, &rep, &count) == -1 && count == 2);
	CHECK(rep == NOW - 2999 * MS);	/* the newest reported start stays */
	/* a fresh episode after the old ones completed */
	rep = NOW - SEC;
	e[0] = (struct stall_entry){ NOW + 10 * SEC, false };
	CHECK(stall_pick(e, 1, NOW + 14 * SEC, 3 * SEC, MAX_AGE, &rep, &count) == 0 && count == 1);
	CHECK(rep == NOW + 10 * SEC);
	return CHECK_DONE();
}

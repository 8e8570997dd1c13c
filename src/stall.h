/* SPDX-License-Identifier: GPL-2.0-only */
/* Which pending requests have stalled: pure logic over their start times, for modsrc's pending-map scan. */
#ifndef AOD_STALL_H
#define AOD_STALL_H

#include <stdbool.h>
#include <stdint.h>

/* One pending request as the scan read it. */
struct stall_entry {
	uint64_t start_ns;		/* CLOCK_MONOTONIC at send */
	bool exempt;			/* waits on the server by design (a change notification, a lock) */
};

/*
 * Over n entries at now: *count = the entries pending at least stall_ns (exempt ones
 * and ones older than max_age_ns, which the sweep expires, left out).  Returns the
 * index of the oldest of them when one crossed stall_ns since the last report (its
 * start is after *reported), else -1; *reported moves to the newest stalled start,
 * so each request is reported once, however long it hangs.
 */
int stall_pick(const struct stall_entry *e, int n, uint64_t now_ns, uint64_t stall_ns, uint64_t max_age_ns,
	       uint64_t *reported, uint32_t *count);

#endif /* AOD_STALL_H */

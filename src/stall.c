// SPDX-License-Identifier: GPL-2.0-only
/* Which pending requests have stalled: pure logic over their start times, for modsrc's pending-map scan. */
#include "stall.h"

int stall_pick(const struct stall_entry *e, int n, uint64_t now_ns, uint64_t stall_ns, uint64_t max_age_ns,
	       uint64_t *reported, uint32_t *count)
{
	uint64_t newest = *reported;
	int oldest = -1;
	bool fresh = false;

	*count = 0;
	for (int i = 0; i < n; i++) {
		uint64_t age;

		/* an entry written after now was read (the scan is not atomic) is not old */
		if (e[i].exempt || e[i].start_ns > now_ns)
			continue;
		age = now_ns - e[i].start_ns;
		if (age < stall_ns || age > max_age_ns)
			continue;
		(*count)++;
		if (oldest < 0 || e[i].start_ns < e[oldest].start_ns)
			oldest = i;
		if (e[i].start_ns > *reported)
			fresh = true;
		if (e[i].start_ns > newest)
			newest = e[i].start_ns;
	}
	*reported = newest;
	return fresh ? oldest : -1;
}

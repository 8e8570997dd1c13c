// SPDX-License-Identifier: GPL-2.0-only
/* Log2 latency histograms: printing them in 80 columns, percentiles, and latency formatting. */
#include "hist.h"

#include <inttypes.h>
#include <string.h>

int hist_slot(uint64_t v, int nslots)
{
	/* floor(log2 v), 0 for 0 and 1: replay calls this for every record */
	int s = v > 1 ? 63 - __builtin_clzll(v) : 0;

	return s < nslots ? s : nslots - 1;
}

static void slot_range(int i, uint64_t *lo, uint64_t *hi)
{
	*lo = i == 0 ? 0 : (uint64_t)1 << i;
	*hi = ((uint64_t)1 << (i + 1)) - 1;
}

void hist_print(FILE *out, const __u64 *slots, int nslots, const char *unit)
{
	char bar[HIST_BAR_WIDTH + 1];
	uint64_t max = 0, lo, hi;
	int first = -1, last = -1, i, n;

	for (i = 0; i < nslots && i < 63; i++) {
		if (!slots[i])
			continue;
		if (first < 0)
			first = i;
		last = i;
		if (slots[i] > max)
			max = slots[i];
	}
	/* 10 + 4 + 10 + 3 + 10 + 2 + 38 + 1 = 78 columns at most */
	fprintf(out, "%10s%-14s : %-10s distribution\n", unit, "", "count");
	if (first < 0) {
		fprintf(out, "%-24s : 0\n", "  (no events)");
		return;
	}
	for (i = first; i <= last; i++) {
		/* round up so any non-zero slot shows at least one star */
		n = (int)((slots[i] * HIST_BAR_WIDTH + max - 1) / max);
		memset(bar, '*', (size_t)n);
		memset(bar + n, ' ', (size_t)(HIST_BAR_WIDTH - n));
		bar[HIST_BAR_WIDTH] = 0;
		slot_range(i, &lo, &hi);
		fprintf(out, "%10" PRIu64 " -> %-10" PRIu64 " : %-10" PRIu64 " |%s|\n", lo, hi, (uint64_t)slots[i], bar);
	}
}

uint64_t hist_percentile(const __u64 *slots, int nslots, double p)
{
	uint64_t total = 0, seen = 0, lo, hi, want;
	int i;

	for (i = 0; i < nslots && i < 63; i++)
		total += slots[i];
	if (!total)
		return 0;
	want = (uint64_t)((double)total * p / 100.0 + 0.5);
	if (want < 1)
		want = 1;
	for (i = 0; i < nslots && i < 63; i++) {
		seen += slots[i];
		if (seen >= want)
			break;
	}
	if (i >= nslots || i >= 63)
		i = (nslots < 63 ? nslots : 63) - 1;
	slot_range(i, &lo, &hi);
	return hi;
}

char *hist_fmt_ns(char *buf, size_t len, uint64_t ns)
{
	if (ns < 1000)
		snprintf(buf, len, "%" PRIu64 " ns", ns);
	else if (ns < 10000000)
		snprintf(buf, len, "%" PRIu64 " us", ns / 1000);
	else if (ns < 1000000000ull)
		snprintf(buf, len, "%.1f ms", (double)ns / 1e6);
	else
		snprintf(buf, len, "%.2f s", (double)ns / 1e9);
	return buf;
}

/* SPDX-License-Identifier: GPL-2.0-only */
/* Log2 latency histograms: printing them in 80 columns, percentiles, and latency formatting. */
#ifndef AOD_HIST_H
#define AOD_HIST_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <linux/types.h>

#define HIST_BAR_WIDTH 38

/*
 * Slot i holds [2^i, 2^(i+1)) of `unit` and slot 0 also holds 0, as the BPF side
 * (aod_hist_add in bpf/health.h) fills them. Prints the rows from the first to the
 * last non-empty slot, bcc style; nothing but a "(no events)" row when all are empty.
 */
void hist_print(FILE *out, const __u64 *slots, int nslots, const char *unit);
/* The slot a value falls in (the userspace twin of the BPF side, for tests and replay). */
int hist_slot(uint64_t v, int nslots);
/* Upper bound (in the slots' unit) of the slot holding the p-th percentile, 0 when empty. */
uint64_t hist_percentile(const __u64 *slots, int nslots, double p);
/* "850 us", "12.3 ms", "2.05 s" into buf; returns buf. */
char *hist_fmt_ns(char *buf, size_t len, uint64_t ns);

#endif /* AOD_HIST_H */

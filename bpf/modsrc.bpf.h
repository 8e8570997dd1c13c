/* SPDX-License-Identifier: GPL-2.0-only */
/* What the module-backed families (smb, nfs) share in the kernel: src/modsrc.c's per-row log2 histogram. */
#ifndef AOD_MODSRC_BPF_H
#define AOD_MODSRC_BPF_H

#include "health.h"	/* aod_hist_slot */

#define MODSRC_HIST_BUCKETS 32	/* src/modsrc.h MODSRC_HIST_BUCKETS: log2(us) */
/* One row (command, procedure): [0] completions, [1] errors, [2..33] the buckets. */
#define MODSRC_HIST_SLOTS (2 + MODSRC_HIST_BUCKETS)

/* Count one completion of `row` into an array map of __u64[MODSRC_HIST_SLOTS] rows. */
static __always_inline void modsrc_hist_add(void *map, __u32 row, __u64 lat_ns, bool err)
{
	__u64 *h = bpf_map_lookup_elem(map, &row);
	__u32 b = aod_hist_slot(lat_ns);

	if (!h)
		return;
	barrier_var(b);	/* already clamped; the mask below is the bound the verifier sees */
	__sync_fetch_and_add(&h[0], 1);
	if (err)
		__sync_fetch_and_add(&h[1], 1);
	__sync_fetch_and_add(&h[2 + (b & (MODSRC_HIST_BUCKETS - 1))], 1);
}

#endif /* AOD_MODSRC_BPF_H */

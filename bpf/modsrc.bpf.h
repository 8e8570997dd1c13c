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

/*
 * Reserve a reconnect record in ringbuf and fill what every client's record has: the header (whoever
 * runs now), proto, what, conn_id, the server's port from its sockaddr and its name (either may be
 * NULL).  NULL when the ring buffer is full (counted); the caller adds its own fields and submits.
 */
static __always_inline struct aod_ev_reconnect *modsrc_reconn_start(void *ringbuf, struct aod_loss *loss, __u16 proto,
								    __u16 what, __u64 conn_id, const void *addr,
								    const char *host)
{
	struct aod_ev_reconnect *e = bpf_ringbuf_reserve(ringbuf, sizeof(*e), 0);
	__u64 id = bpf_get_current_pid_tgid();
	__u16 sa[2] = {};

	if (!e) {
		__sync_fetch_and_add(&loss->ringbuf_full, 1);
		return 0;
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->h.kind = AOD_EV_RECONNECT;
	e->h.size = sizeof(*e);
	e->h.cpu = bpf_get_smp_processor_id();
	e->h.ts_ns = bpf_ktime_get_ns();
	e->h.pid = id >> 32;
	e->h.tid = (__u32)id;
	bpf_get_current_comm(e->h.comm, sizeof(e->h.comm));
	e->conn_id = conn_id;
	e->proto = proto;
	e->what = what;
	/* sockaddr_in and sockaddr_in6 both start with the family, then the port in network order */
	if (addr && !bpf_probe_read_kernel(sa, sizeof(sa), addr))
		e->port = __builtin_bswap16(sa[1]);
	if (host)
		bpf_probe_read_kernel_str(e->host, sizeof(e->host), host);
	return e;
}

#endif /* AOD_MODSRC_BPF_H */

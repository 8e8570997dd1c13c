/* SPDX-License-Identifier: GPL-2.0-only */
/* What the health probes share: the in-kernel latency histogram layout and BPF-side helpers. */
#ifndef AOD_HEALTH_H
#define AOD_HEALTH_H

/*
 * Included by BPF programs (after vmlinux.h) and by userspace (after <linux/types.h>).
 * A histogram lives in a one-entry BPF_MAP_TYPE_PERCPU_ARRAY so the hot path needs no
 * atomics; userspace sums the CPUs.  Every measured latency is counted, not only the
 * ones over the floor, so `aod monitor -q` has the true totals.
 */
#define AOD_HIST_SLOTS 32	/* log2(usec): slot i holds [2^i, 2^(i+1)) us, slot 0 also 0 us */

struct aod_hist {
	__u64 slots[AOD_HIST_SLOTS];
	__u64 count;		/* every measured latency */
	__u64 over;		/* those at or over the warn floor (what the ring buffer was offered) */
	__u64 max_ns;
	__u64 sum_ns;
};

/* Per-family event counters for the families without a latency (oom, tcp, drops, faults). */
struct aod_count {
	__u64 oom;
	__u64 tcp_retrans;
	__u64 drops;
	__u64 faults;
};

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif


/* floor(log2(v)), 0 for 0 and 1: five compares and shifts, no loop (this runs on every measurement) */
static __always_inline __u32 aod_log2l(__u64 v)
{
	__u32 r, s;

	r = (v > 0xffffffffULL) << 5;
	v >>= r;
	s = (v > 0xffff) << 4;
	v >>= s;
	r |= s;
	s = (v > 0xff) << 3;
	v >>= s;
	r |= s;
	s = (v > 0xf) << 2;
	v >>= s;
	r |= s;
	s = (v > 0x3) << 1;
	v >>= s;
	r |= s;
	return r | (__u32)(v >> 1);
}

/*
 * Slot floor(log2(ns / 1000)) without the 64-bit division (the costliest instruction on this
 * path): with L = floor(log2(ns)), 1000 << (L - 10) <= ns always holds and 1000 << (L - 9)
 * may, so the slot is L - 10 plus that one compare. Below 1 us it is slot 0.
 */
static __always_inline __u32 aod_hist_slot(__u64 ns)
{
	__u32 l;

	if (ns < 1000)
		return 0;
	l = aod_log2l(ns);	/* >= 9 here */
	return l - 10 + (ns >= (1000ULL << (l - 9)));
}

#ifdef __bpf__

static __always_inline void aod_hist_add(struct aod_hist *h, __u64 ns, int over)
{
	__u32 slot = aod_hist_slot(ns);

	if (slot >= AOD_HIST_SLOTS)
		slot = AOD_HIST_SLOTS - 1;
	/*
	 * A no-op after the clamp, but clang may index with a copy of the register it clamped;
	 * the opaque barrier keeps the mask, which is a bound the verifier sees on that register.
	 */
	barrier_var(slot);
	h->slots[slot & (AOD_HIST_SLOTS - 1)]++;
	h->count++;
	h->sum_ns += ns;
	if (over)
		h->over++;
	if (ns > h->max_ns)
		h->max_ns = ns;
}

/* Fill the common header for the current task; `kind` and `size` from the record type. */
#define AOD_FILL_HDR(e, K)                                                       \
	do {                                                                     \
		__u64 __pt = bpf_get_current_pid_tgid();                         \
		(e)->h.kind = (K);                                               \
		(e)->h.size = sizeof(*(e));                                      \
		(e)->h.cpu = bpf_get_smp_processor_id();                         \
		(e)->h.ts_ns = bpf_ktime_get_ns();                               \
		(e)->h.pid = __pt >> 32;                                         \
		(e)->h.tid = (__u32)__pt;                                        \
		bpf_get_current_comm((e)->h.comm, sizeof((e)->h.comm));          \
	} while (0)

#define AOD_LOSS_INC(field) __sync_fetch_and_add(&loss.field, 1)

/* The maps every latency family (sched, block, vfs) has: its log2 histogram and its ring buffer. */
#define AOD_LATENCY_MAPS                                                         \
	struct {                                                                 \
		__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);                         \
		__uint(max_entries, 1);                                          \
		__type(key, __u32);                                              \
		__type(value, struct aod_hist);                                  \
	} hist SEC(".maps");                                                     \
	struct {                                                                 \
		__uint(type, BPF_MAP_TYPE_RINGBUF);                              \
		__uint(max_entries, 256 * 1024);                                 \
	} events SEC(".maps")

#endif /* __bpf__ */

#endif /* AOD_HEALTH_H */

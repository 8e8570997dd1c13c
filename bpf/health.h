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
	__u64 ioerr;		/* failed io operations that passed the filter and were offered to the ring */
};

/*
 * io.error's in-kernel filter (bpf/ioerr.bpf.c's .bss, written by userspace after load and on a
 * HUP): the union of the rules' operations and errno codes, so only failures some rule can count
 * leave the kernel. Excluded codes are left to detection.
 */
/* The syscall-level hook's table (rodata nr_op, indexed by syscall number: above every number of
 * x86_64 and arm64): the op plus one (0: no io syscall) and the flags below. */
#define AOD_IOERR_NR 512
#define AOD_IOERR_NR_FD 0x80
#define AOD_IOERR_NR_UNLINKAT 0x40	/* unlinkat: its third argument may say AT_REMOVEDIR (then it is rmdir) */
#define AOD_IOERR_NR_OP 0x3f		/* the op plus one */
#define AOD_IOERR_ERRNO_MAX 1024	/* errnos at or above this pass only with all_errnos */
struct aod_ioerr_filter {
	__u32 ops;		/* bit (1 << enum aod_io_op): watched */
	__u32 all_errnos;	/* a rule tracks every code */
	__u64 errnos[AOD_IOERR_ERRNO_MAX / 64];	/* bit e: errno e tracked */
};

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif


/*
 * 1 when a > b, else 0, for values below 2^63, with no branch: the sign of b - a. BPF has no
 * conditional move, so a compare is a jump, and every jump here used to double the paths the
 * verifier walked (1800 instructions for a 160-instruction program, a millisecond per load).
 */
#define AOD_GT(a, b) ((__u32)(((__u64)(b) - (__u64)(a)) >> 63))

/* floor(log2(v)), 0 for 0 and 1, for v below 2^63: five shifts, no loop and no branch */
static __always_inline __u32 aod_log2l(__u64 v)
{
	__u32 r, s;

	r = AOD_GT(v, 0xffffffffULL) << 5;
	v >>= r;
	s = AOD_GT(v, 0xffff) << 4;
	v >>= s;
	r |= s;
	s = AOD_GT(v, 0xff) << 3;
	v >>= s;
	r |= s;
	s = AOD_GT(v, 0xf) << 2;
	v >>= s;
	r |= s;
	s = AOD_GT(v, 0x3) << 1;
	v >>= s;
	r |= s;
	return r | (__u32)(v >> 1);
}

/*
 * Slot floor(log2(ns / 1000)), clamped to the last slot, with neither the 64-bit division
 * (the costliest instruction on this path) nor a branch. With L = floor(log2(max(ns, 1024))),
 * 1000 << (L - 10) <= max(ns, 1024) always holds and 1000 << (L - 9) may, so the slot is
 * L - 10 plus that one compare. Latencies are below 2^63 ns (292 years); the top bit is dropped.
 */
static __always_inline __u32 aod_hist_slot(__u64 ns)
{
	__u64 v = ns & 0x7fffffffffffffffULL;
	__u32 l = aod_log2l(v | 1024);	/* >= 10 */
	__u32 slot = l - 10 + (1 - AOD_GT(1000ULL << (l - 9), v));

	/* min(slot, AOD_HIST_SLOTS - 1) */
	return slot - ((slot - (AOD_HIST_SLOTS - 1)) & -AOD_GT(slot, AOD_HIST_SLOTS - 1));
}

#ifdef __bpf__

static __always_inline void aod_hist_add(struct aod_hist *h, __u64 ns, int over)
{
	__u32 slot = aod_hist_slot(ns);

	/*
	 * A no-op (the slot is already clamped), but it is the bound the verifier sees; the
	 * opaque barrier keeps clang from dropping it.
	 */
	barrier_var(slot);
	h->slots[slot & (AOD_HIST_SLOTS - 1)]++;
	h->count++;
	h->sum_ns += ns;
	h->over += over != 0;
	if (ns > h->max_ns)
		h->max_ns = ns;
}

/*
 * One measured latency, start to now, into the family's histogram map (every latency family's
 * `hist`). *delta gets the latency; the result says whether it is at or over the floor, the one
 * case the caller sends on the ring buffer.
 */
static __always_inline int aod_hist_record(void *hist_map, __u64 now, __u64 start, __u64 floor, __u64 *delta)
{
	struct aod_hist *h;
	__u32 zero = 0;
	int over;

	*delta = now > start ? now - start : 0;
	over = *delta >= floor;
	h = bpf_map_lookup_elem(hist_map, &zero);
	if (h)
		aod_hist_add(h, *delta, over);
	return over;
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

#define AOD_AF_INET6 10

/*
 * The socket fields the health probes read, and no more: CO-RE finds them in the running kernel's
 * struct sock (the ___min suffix is dropped; members of its anonymous unions are found by name),
 * and an object naming these carries a few BTF types instead of vmlinux.h's struct sock and its
 * graph (see sched.bpf.c).
 */
struct in6_addr___min {
	union {
		__u8 u6_addr8[16];
	} in6_u;
} __attribute__((preserve_access_index));

struct sock_common___min {
	__u32 skc_daddr;
	__u32 skc_rcv_saddr;
	__u16 skc_dport;
	__u16 skc_num;
	unsigned short skc_family;
	unsigned char skc_state;
	struct in6_addr___min skc_v6_daddr;
	struct in6_addr___min skc_v6_rcv_saddr;
} __attribute__((preserve_access_index));

struct sock___min {
	struct sock_common___min __sk_common;
} __attribute__((preserve_access_index));

/* A socket's family and its two addresses (IPv4 in the first 4 bytes, network order), as the tcp and
 * sockconn records carry them. p is a struct sock. */
static __always_inline void aod_sock_addrs(const void *p, __u16 *family, __u8 saddr[16], __u8 daddr[16])
{
	const struct sock___min *sk = p;

	__builtin_memset(saddr, 0, 16);
	__builtin_memset(daddr, 0, 16);
	*family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (*family == AOD_AF_INET6) {
		BPF_CORE_READ_INTO((__u8 (*)[16])saddr, sk, __sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8);
		BPF_CORE_READ_INTO((__u8 (*)[16])daddr, sk, __sk_common.skc_v6_daddr.in6_u.u6_addr8);
	} else {
		BPF_CORE_READ_INTO((__u32 *)saddr, sk, __sk_common.skc_rcv_saddr);
		BPF_CORE_READ_INTO((__u32 *)daddr, sk, __sk_common.skc_daddr);
	}
}

/* The current task's file of fd, NULL when fd is out of its table (the syscall-level hooks only have the fd). */
static __always_inline struct file *aod_file_of_fd(long fd)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	struct file **fds;
	struct file *f = NULL;

	if (fd < 0 || fd >= BPF_CORE_READ(t, files, fdt, max_fds))
		return NULL;
	fds = BPF_CORE_READ(t, files, fdt, fd);
	bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]);
	return f;
}

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

// SPDX-License-Identifier: GPL-2.0-only
/* TCP retransmits (addresses, ports, state) and packet drops with their reason, counted per reason in the kernel. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "events.h"
#include "health.h"


const volatile __u32 targ_tgid = 0;
/* Set by userspace from kfree_skb's BTF prototype: the reason argument exists since 5.17. */
const volatile bool drop_has_reason = true;
/*
 * Set by userspace when tcp_retransmit_skb has the err argument (sock, skb, err): such kernels
 * fire it for failed attempts too (EBUSY: the original still in a host queue), which sent nothing.
 */
const volatile bool retrans_has_err = false;

struct aod_loss loss = {};
struct aod_count counts = {};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);	/* one entry per reason seen; nothing to allocate at load */
	__uint(max_entries, 1024);
	__type(key, __u32);	/* enum skb_drop_reason */
	__type(value, __u64);
} drop_reasons SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

/*
 * tcp's own ring and loss count: when both are asked for, tcp and drops are loaded together (one
 * loader run), and a storm of drops must neither crowd out a retransmit nor have its losses counted
 * under tcp.
 */
struct aod_loss tcp_loss = {};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} tcp_events SEC(".maps");

/* The other kernel struct read here, cut to its field (see health.h's sock___min). */
struct sk_buff___min {
	__u16 protocol;
} __attribute__((preserve_access_index));

static __always_inline int filtered(void)
{
	return targ_tgid && (bpf_get_current_pid_tgid() >> 32) != targ_tgid;
}

static __always_inline int on_retransmit(const struct sock___min *sk)
{
	struct aod_ev_tcp *e;

	if (filtered())
		return 0;
	__sync_fetch_and_add(&counts.tcp_retrans, 1);
	e = bpf_ringbuf_reserve(&tcp_events, sizeof(*e), 0);
	if (!e) {
		__sync_fetch_and_add(&tcp_loss.ringbuf_full, 1);
		return 0;
	}
	AOD_FILL_HDR(e, AOD_EV_TCP_RETRANS);
	aod_sock_addrs(sk, &e->family, e->saddr, e->daddr);
	e->sport = BPF_CORE_READ(sk, __sk_common.skc_num);
	e->dport = __builtin_bswap16(BPF_CORE_READ(sk, __sk_common.skc_dport));
	e->state = BPF_CORE_READ(sk, __sk_common.skc_state);
	e->pad = 0;
	bpf_ringbuf_submit(e, 0);
	return 0;
}

/*
 * SKB_CONSUMED (6.3+), declared here so the object also builds against an older vmlinux.h (the arm64
 * one is 6.1): CO-RE matches the enumerator by its name without the ___new suffix and takes the value
 * from the running kernel.
 */
enum skb_drop_reason___new { SKB_CONSUMED___new = 1 };

static __always_inline int on_drop(struct sk_buff___min *skb, void *location, __u32 reason)
{
	struct aod_ev_drop *e;
	__u64 zero = 0, *cnt;

	/* Not drops: freed before any verdict (5.19+), and consume_skb folded into kfree_skb (6.3+). */
	if (bpf_core_enum_value_exists(enum skb_drop_reason, SKB_NOT_DROPPED_YET) &&
	    reason == bpf_core_enum_value(enum skb_drop_reason, SKB_NOT_DROPPED_YET))
		return 0;
	if (bpf_core_enum_value_exists(enum skb_drop_reason___new, SKB_CONSUMED___new) &&
	    reason == bpf_core_enum_value(enum skb_drop_reason___new, SKB_CONSUMED___new))
		return 0;
	if (filtered())
		return 0;
	__sync_fetch_and_add(&counts.drops, 1);
	cnt = bpf_map_lookup_elem(&drop_reasons, &reason);
	if (!cnt) {
		/* NOEXIST may lose a race with another CPU; the second lookup finds its entry. */
		bpf_map_update_elem(&drop_reasons, &reason, &zero, BPF_NOEXIST);
		cnt = bpf_map_lookup_elem(&drop_reasons, &reason);
	}
	if (cnt)
		__sync_fetch_and_add(cnt, 1);
	else
		AOD_LOSS_INC(map_full);
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		AOD_LOSS_INC(ringbuf_full);
		return 0;
	}
	AOD_FILL_HDR(e, AOD_EV_DROP);
	e->location = (__u64)location;
	e->reason = reason;
	e->protocol = __builtin_bswap16(BPF_CORE_READ(skb, protocol));
	e->pad = 0;
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("tp_btf/tcp_retransmit_skb")
int BPF_PROG(tcp_retransmit_btf, const struct sock___min *sk)
{
	if (retrans_has_err && (int)ctx[2])
		return 0;
	return on_retransmit(sk);
}

SEC("raw_tp/tcp_retransmit_skb")
int BPF_PROG(tcp_retransmit_raw, const struct sock___min *sk)
{
	if (retrans_has_err && (int)ctx[2])
		return 0;
	return on_retransmit(sk);
}

SEC("tp_btf/kfree_skb")
int BPF_PROG(kfree_skb_btf, struct sk_buff___min *skb, void *location)
{
	if (drop_has_reason)
		return on_drop(skb, location, (__u32)ctx[2]);
	return on_drop(skb, location, AOD_DROP_REASON_UNKNOWN);
}

SEC("raw_tp/kfree_skb")
int BPF_PROG(kfree_skb_raw, struct sk_buff___min *skb, void *location)
{
	if (drop_has_reason)
		return on_drop(skb, location, (__u32)ctx[2]);
	return on_drop(skb, location, AOD_DROP_REASON_UNKNOWN);
}

char LICENSE[] SEC("license") = "GPL";

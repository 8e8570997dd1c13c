// SPDX-License-Identifier: GPL-2.0-only
/* sockconn: TCP state changes of the kernel's connections to the SMB and NFS ports, filtered here by remote port. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "events.h"
#include "health.h"

#define IPPROTO_TCP 6
#define TCP_ESTABLISHED 1
#define TCP_SYN_SENT 2
#define TCP_CLOSE 7

/* The remote ports watched, host order; 0 = that protocol is not watched. */
const volatile __u16 smb_port = 445;
const volatile __u16 nfs_port = 2049;

struct aod_loss loss = {};
__u64 seen = 0;		/* records sent */

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} events SEC(".maps");

/*
 * Only what changes the established set, or a connect that failed: the handshake's and the
 * teardown's intermediate steps (SYN_SENT, FIN_WAIT1 -> FIN_WAIT2 ...) stay in the kernel.
 */
static __always_inline int wanted(int oldstate, int newstate)
{
	return oldstate == TCP_ESTABLISHED || newstate == TCP_ESTABLISHED ||
	       (oldstate == TCP_SYN_SENT && newstate == TCP_CLOSE);
}

static __always_inline int on_state(const struct sock *sk, int oldstate, int newstate)
{
	struct aod_ev_sockconn *e;
	__u16 dport, proto;

	if (!wanted(oldstate, newstate))
		return 0;
	/* DCCP and MPTCP's own sockets pass here too; sk_protocol was a bitfield before 5.6 */
	if (BPF_CORE_READ_BITFIELD_PROBED(sk, sk_protocol) != IPPROTO_TCP)
		return 0;
	dport = __builtin_bswap16(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (smb_port && dport == smb_port)
		proto = 0;
	else if (nfs_port && dport == nfs_port)
		proto = 1;
	else
		return 0;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		AOD_LOSS_INC(ringbuf_full);
		return 0;
	}
	AOD_FILL_HDR(e, AOD_EV_SOCKCONN);
	aod_sock_addrs(sk, &e->family, e->saddr, e->daddr);
	/* a failed connect has given its port back (skc_num 0) by now; inet_sport keeps it, as the tracepoint's own format does */
	e->sport = __builtin_bswap16(BPF_CORE_READ((const struct inet_sock *)sk, inet_sport));
	if (!e->sport)
		e->sport = BPF_CORE_READ(sk, __sk_common.skc_num);
	e->dport = dport;
	e->oldstate = oldstate;
	e->newstate = newstate;
	e->proto = proto;
	e->method = AOD_SOCKCONN_M_BPF;
	__builtin_memset(e->pad, 0, sizeof(e->pad));
	__sync_fetch_and_add(&seen, 1);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

/* sock:inet_sock_set_state (4.16+): tp_btf where the kernel has BTF for it, raw_tp otherwise. */
SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(sockconn_btf, const struct sock *sk, int oldstate, int newstate)
{
	return on_state(sk, oldstate, newstate);
}

SEC("raw_tp/inet_sock_set_state")
int BPF_PROG(sockconn_raw, const struct sock *sk, int oldstate, int newstate)
{
	return on_state(sk, oldstate, newstate);
}

char LICENSE[] SEC("license") = "GPL";

// SPDX-License-Identifier: GPL-2.0-only
/* Empty programs `aod probes` loads and attaches one at a time to learn what this kernel allows. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

/*
 * Each program is "?"-prefixed (not loaded unless chosen) and retargeted at
 * run time: bpf_program__set_attach_target for the BTF-based kinds, the
 * attach call's own argument for raw_tp, tracepoint and kprobe.  The
 * section targets below are only defaults.
 */

SEC("?tp_btf/sched_switch")
int BPF_PROG(probe_tp_btf)
{
	return 0;
}

SEC("?raw_tp/sched_switch")
int BPF_PROG(probe_raw_tp)
{
	return 0;
}

SEC("?tracepoint/sched/sched_switch")
int probe_tracepoint(void *ctx)
{
	return 0;
}

SEC("?fentry/vfs_read")
int BPF_PROG(probe_fentry)
{
	return 0;
}

SEC("?fexit/vfs_read")
int BPF_PROG(probe_fexit)
{
	return 0;
}

SEC("?kprobe/vfs_read")
int BPF_KPROBE(probe_kprobe)
{
	return 0;
}

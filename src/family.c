// SPDX-License-Identifier: GPL-2.0-only
/* The health families as one table, read by the loader, aod probes, aod monitor, detection and the manifest. */
#include "family.h"

#include <stddef.h>
#include <linux/types.h>

#include "../bpf/events.h"
#include "../bpf/health.h"
#include "array.h"

/* ---- the methods of each family, best first (program names of their BPF file) ---- */

static const struct family_method sched_methods[] = {
	/* two builds of one method (the first needs 6.2's bpf_rdonly_cast): health_source.c skips
	 * the first's failure silently */
	{ "tp_btf sched_switch + sched_info", { "sched_switch_si" }, "start" },
	{ "tp_btf sched_switch + sched_info", { "sched_switch_si_direct" }, "start" },
	{ "tp_btf", { "sched_wakeup_btf", "sched_wakeup_new_btf", "sched_switch_btf" }, "start" },
	{ "raw_tp", { "sched_wakeup_raw", "sched_wakeup_new_raw", "sched_switch_raw" }, "start_ts" },
};
/*
 * raw_tp before tp_btf where both programs run the same code (block, oom, tcp, drops: every field
 * read through BPF_CORE_READ, none through tp_btf's typed pointers): per event they cost the same
 * (bpf_stats, 7 runs each: a block I/O 466 ns tp_btf, 468 raw_tp; a drop 6.1 us either way), but a
 * tp_btf program makes the kernel look up its tracepoint's typedef and its __bpf_trace_ function in
 * the vmlinux BTF by linear search, 0.1-0.2 ms of every start per program. sched keeps tp_btf
 * first: its typed loads are what make it cheap per switch.
 */
static const struct family_method block_methods[] = {
	{ "raw_tp", { "block_rq_issue_raw", "block_rq_complete_raw" }, NULL },
	{ "tp_btf", { "block_rq_issue_btf", "block_rq_complete_btf" }, NULL },
	{ "tracepoint", { "block_rq_issue_tp", "block_rq_complete_tp" }, NULL },
};
static const struct family_method vfs_methods[] = {
	{ "fentry", { "vfs_read_fentry", "vfs_read_fexit", "vfs_write_fentry", "vfs_write_fexit" }, "start_ts" },
	{ "kprobe", { "vfs_read_kprobe", "vfs_read_kretprobe", "vfs_write_kprobe", "vfs_write_kretprobe" },
	  "start_ts" },
	{ "syscall-level (syscalls tracepoints)",
	  { "sys_enter_read", "sys_exit_read", "sys_enter_write", "sys_exit_write", "sys_enter_pread64",
	    "sys_exit_pread64", "sys_enter_pwrite64", "sys_exit_pwrite64", "sys_enter_readv", "sys_exit_readv",
	    "sys_enter_writev", "sys_exit_writev" }, "start_ts" },
	{ "syscall-level (raw_syscalls tp_btf)", { "sys_enter_btf", "sys_exit_btf" }, "start" },
	{ "syscall-level (raw_syscalls raw_tp)", { "sys_enter_raw", "sys_exit_raw" }, "start_ts" },
};
static const struct family_method oom_methods[] = {
	{ "raw_tp", { "mark_victim_raw" }, NULL },
	{ "tp_btf", { "mark_victim_btf" }, NULL },
};
static const struct family_method tcp_methods[] = {
	{ "raw_tp", { "tcp_retransmit_raw" }, NULL },
	{ "tp_btf", { "tcp_retransmit_btf" }, NULL },
};
static const struct family_method drop_methods[] = {
	{ "raw_tp", { "kfree_skb_raw" }, NULL },
	{ "tp_btf", { "kfree_skb_btf" }, NULL },
};
/* No tracepoint says "major fault"; without fexit the system-wide vmstat counter is what is left. */
static const struct family_method fault_methods[] = {
	{ "fexit", { "handle_mm_fault_fexit" }, NULL },
	{ "/proc/vmstat pgmajfault, system-wide", { NULL }, NULL },
};

/*
 * io.error: fexit on the vfs functions where the kernel allows it (their callers only pay), else
 * the syscalls' exits, which every syscall pays for (the cost rule). There is no kretprobe method
 * yet: a kernel with kprobes but no fentry (vfs's second method) gets io only at syscall level.
 */
static const struct family_method ioerr_methods[] = {
	{ "fexit", { "io_open_fexit", "io_read_fexit", "io_write_fexit", "io_fsync_fexit" }, NULL },
	{ "syscall-level (raw_syscalls tp_btf)", { "io_sys_exit_btf" }, NULL },
	{ "syscall-level (raw_syscalls raw_tp)", { "io_sys_exit_raw" }, NULL },
};

#define EV(kind, type) kind, sizeof(struct type)
#define COUNTER(field) .count_at = offsetof(struct aod_count, field) / sizeof(__u64) + 1
#define METHODS(a) .methods = a, .nmethods = (int)ARRAY_SIZE(a)

const struct family family_table[CFG_H_COUNT] = {
	[CFG_H_SCHED] = { "sched", "sched_latency", EV(AOD_EV_SCHED, aod_ev_sched), METHODS(sched_methods),
			  .detect = FAMILY_LATENCY, .measures = "run-queue latency", .threshold_us = 10000, .count = 20,
			  .mon_opt = "sched", .mon_warn = 1000,
			  .advice = { "tasks waited up to ", " for a CPU: look at the load (loadavg, top CPU users), CPU "
				      "quotas and affinity of busy cgroups." },
			  .actions = { "ps", "loadavg", "pressure", "interrupts" } },
	[CFG_H_BIO] = { "block", "bio_latency", EV(AOD_EV_BIO, aod_ev_bio), METHODS(block_methods),
			.detect = FAMILY_LATENCY, .measures = "I/O latency", .threshold_us = 100000, .count = 5,
			.mon_opt = "bio", .mon_warn = 10000,
			.advice = { "block requests took up to ", ": check /proc/diskstats, device health and queue "
				    "depth, and who else does I/O on the device." },
			.actions = { "diskstats", "pressure", "meminfo", "dmesg" } },
	[CFG_H_VFS] = { "vfs", "vfs_latency", EV(AOD_EV_VFS, aod_ev_vfs), "health.vfs_latency.attach: syscall", "fentry or kprobes",
			METHODS(vfs_methods),
			.detect = FAMILY_LATENCY, .measures = "read/write latency", .threshold_us = 50000, .count = 10,
			.mon_opt = "vfs", .mon_warn = 5000,
			.advice = { "reads/writes took up to ", ": find the files behind the slow calls (at syscall "
				    "level a read also waits for pipes, sockets and ttys)." },
			.actions = { "ps", "pressure", "diskstats", "mounts" } },
	[CFG_H_OOM] = { "oom", "oom_kill", EV(AOD_EV_OOM, aod_ev_oom), METHODS(oom_methods),
			COUNTER(oom), .detect = FAMILY_IMMEDIATE, .count = 1, .actions = { "dmesg", "meminfo", "vmstat", "cgroup", "ps" },
			.mon_any = FAMILY_LEVEL_CRITICAL,
			.advice = { "the OOM killer ran (victims:", "): check memory limits (memory.max or "
				    "memory.limit_in_bytes), leaks and swap." } },
	[CFG_H_TCP] = { "tcp", "tcp_retransmit", EV(AOD_EV_TCP_RETRANS, aod_ev_tcp), METHODS(tcp_methods),
			COUNTER(tcp_retrans), .detect = FAMILY_COUNT, .count = 50, .actions = { "netstat", "dmesg" }, .mon_any = FAMILY_LEVEL_WARNING,
			.advice = { "TCP retransmitted: loss or congestion on the path; check `ip -s link` and "
				    "/proc/net/netstat." } },
	[CFG_H_DROP] = { "drops", "packet_drop", EV(AOD_EV_DROP, aod_ev_drop), METHODS(drop_methods),
			 COUNTER(drops), .detect = FAMILY_COUNT, .count = 500, .actions = { "netstat", "dmesg" }, .mon_any = FAMILY_LEVEL_WARNING,
			 .advice = { "packets were dropped, most for ", " (NO_SOCKET: traffic to a closed port); the "
				     "per-reason counts are below." } },
	[CFG_H_FAULT] = { "faults", "major_fault", EV(AOD_EV_FAULT, aod_ev_fault), METHODS(fault_methods),
			  COUNTER(faults), .detect = FAMILY_COUNT, .count = 1000, .actions = { "meminfo", "vmstat", "pressure", "ps" },
			  .mon_warn = 100,	/* major faults in one second */
			  .advice = { "up to ", " major faults a second: memory pressure or a cold page cache; check "
				      "free memory and swap-in." } },
	/* io's anomaly is anomalies.io.error: config.c's error schema, its actions there */
	[CFG_H_IOERR] = { "io", "io.error", EV(AOD_EV_IOERR, aod_ev_ioerr), "anomalies.io.error.attach: syscall", "fexit",
			  METHODS(ioerr_methods),
			  COUNTER(ioerr), .detect = FAMILY_ERRORS, .mon_any = FAMILY_LEVEL_WARNING },
	/* read from /dev/kmsg (kmsg.c), no methods */
	[CFG_H_KMSG] = { "kmsg", "kmsg", EV(AOD_EV_KMSG, aod_ev_kmsg), .detect = FAMILY_PATTERNS, .count = 1,
			 .actions = { "dmesg", "meminfo", "ps" },
			 .advice = { "the kernel log matched a pattern: read `dmesg` around the lines marked KMSG above." } },
};

int family_of_event(uint16_t ev_kind)
{
	for (int f = 0; f < CFG_H_COUNT; f++)
		if (family_table[f].ev_kind == ev_kind)
			return f;
	return -1;
}

const char *attach_method_name(enum attach_method m)
{
	static const char *const method_names[ATTACH_METHOD_COUNT] = {
		"tp_btf", "raw_tp", "tracepoint", "fentry", "fexit", "kprobe",
	};

	return (unsigned)m < ATTACH_METHOD_COUNT ? method_names[m] : "?";
}

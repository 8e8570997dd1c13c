// SPDX-License-Identifier: GPL-2.0-only
/* OOM victims with their memory figures, and major page faults where fexit is allowed. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "events.h"
#include "health.h"

const volatile __u32 targ_tgid = 0;
const volatile __u32 page_kb = 4;
/* Set by userspace from mark_victim's BTF prototype: (task, uid) since 6.2, (int pid) before. */
const volatile bool victim_is_task = true;

struct aod_loss loss = {};
struct aod_count counts = {};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} events SEC(".maps");

/*
 * The faults' own ring and loss count: oom and faults are loaded together when both are asked
 * for, and a storm of major faults must not crowd out an OOM kill.
 */
struct aod_loss fault_loss = {};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} fault_events SEC(".maps");

/*
 * The kernel structs this file reads, cut to the fields it reads: CO-RE finds each field in the
 * running kernel's type of the same name (the ___min suffix is dropped), and the object carries 90
 * BTF types, not the 500 of vmlinux.h's task_struct and its graph (see sched.bpf.c).
 */
struct mm_struct___min {
	unsigned long total_vm;
} __attribute__((preserve_access_index));

struct cred___min {
	struct {
		__u32 val;
	} uid;
} __attribute__((preserve_access_index));

struct signal_struct___min {
	short oom_score_adj;
} __attribute__((preserve_access_index));

struct task_struct___min {
	struct mm_struct___min *mm;
	int tgid;
	const struct cred___min *cred;
	char comm[16];
	struct signal_struct___min *signal;
} __attribute__((preserve_access_index));

/* Before 6.2 the RSS counters were atomics in struct mm_rss_stat; since then percpu_counters. */
struct mm_rss_stat___old {
	atomic_long_t count[4];	/* a named type: the element is where CO-RE relocates .counter from */
} __attribute__((preserve_access_index));

struct mm_struct___old {
	struct mm_rss_stat___old rss_stat;
} __attribute__((preserve_access_index));

/* The 6.2+ layout, spelled out so the object also builds against an older vmlinux.h (the arm64 one is 6.1). */
struct mm_struct___new {
	struct percpu_counter rss_stat[4];	/* vmlinux.h's: the index steps by its size, which CO-RE does not relocate */
} __attribute__((preserve_access_index));

static __always_inline __u64 rss_pages(struct mm_struct___min *mm, int i)
{
	long v;

	if (!mm)
		return 0;
	if (bpf_core_type_exists(struct mm_rss_stat___old))
		v = BPF_CORE_READ((struct mm_struct___old *)mm, rss_stat.count[i].counter);
	else
		v = BPF_CORE_READ((struct mm_struct___new *)mm, rss_stat[i].count);
	return v > 0 ? v : 0;
}

static __always_inline void fill_victim(struct aod_ev_oom *e, struct task_struct___min *t)
{
	struct mm_struct___min *mm = BPF_CORE_READ(t, mm);

	e->victim_pid = BPF_CORE_READ(t, tgid);
	BPF_CORE_READ_STR_INTO(&e->victim_comm, t, comm);
	e->victim_uid = BPF_CORE_READ(t, cred, uid.val);
	e->oom_score_adj = BPF_CORE_READ(t, signal, oom_score_adj);
	if (!mm)
		return;
	e->total_vm_kb = BPF_CORE_READ(mm, total_vm) * page_kb;
	/* MM_FILEPAGES 0, MM_ANONPAGES 1, MM_SWAPENTS 2, MM_SHMEMPAGES 3 */
	e->file_rss_kb = rss_pages(mm, 0) * page_kb;
	e->anon_rss_kb = rss_pages(mm, 1) * page_kb;
	e->shmem_rss_kb = rss_pages(mm, 3) * page_kb;
}

static __always_inline int on_victim(struct task_struct___min *t, __u32 pid)
{
	struct aod_ev_oom *e;

	__sync_fetch_and_add(&counts.oom, 1);
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		AOD_LOSS_INC(ringbuf_full);
		return 0;
	}
	__builtin_memset(e, 0, sizeof(*e));
	AOD_FILL_HDR(e, AOD_EV_OOM);
	if (t)
		fill_victim(e, t);
	else
		e->victim_pid = pid;
	bpf_ringbuf_submit(e, 0);
	return 0;
}

/* No pid filter for OOM: a kill is news whoever the victim is. */
SEC("tp_btf/mark_victim")
int BPF_PROG(mark_victim_btf)
{
	if (victim_is_task)
		return on_victim((struct task_struct___min *)ctx[0], 0);
	return on_victim(NULL, (__u32)ctx[0]);
}

SEC("raw_tp/mark_victim")
int BPF_PROG(mark_victim_raw)
{
	if (victim_is_task)
		return on_victim((struct task_struct___min *)ctx[0], 0);
	return on_victim(NULL, (__u32)ctx[0]);
}

SEC("fexit/handle_mm_fault")
int BPF_PROG(handle_mm_fault_fexit, void *vma, unsigned long address, unsigned int flags,
	     void *regs, vm_fault_t ret)
{
	struct aod_ev_fault *e;

	if (!(ret & bpf_core_enum_value(enum vm_fault_reason, VM_FAULT_MAJOR)))
		return 0;
	if (targ_tgid && (bpf_get_current_pid_tgid() >> 32) != targ_tgid)
		return 0;
	__sync_fetch_and_add(&counts.faults, 1);
	e = bpf_ringbuf_reserve(&fault_events, sizeof(*e), 0);
	if (!e) {
		__sync_fetch_and_add(&fault_loss.ringbuf_full, 1);
		return 0;
	}
	AOD_FILL_HDR(e, AOD_EV_FAULT);
	e->address = address;
	e->count = 1;
	e->method = AOD_FAULT_M_FEXIT;
	__builtin_memset(e->pad, 0, sizeof(e->pad));
	bpf_ringbuf_submit(e, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";

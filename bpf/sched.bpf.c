// SPDX-License-Identifier: GPL-2.0-only
/* Run-queue latency (wakeup or preemption to running): log2 histogram in the kernel, slow ones to the ring buffer. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "events.h"
#include "health.h"

#define TASK_RUNNING 0

const volatile __u64 min_ns = 1000000;	/* warn floor: only latencies at or over it cross the ring buffer */
const volatile __u32 targ_tgid = 0;	/* 0 = every process */

struct aod_loss loss = {};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);	/* tid */
	__type(value, __u64);	/* when it became runnable */
} start SEC(".maps");

AOD_LATENCY_MAPS;

/* 5.14 renamed task_struct::state to __state (and made it unsigned int). */
struct task_struct___old {
	long state;
} __attribute__((preserve_access_index));

static __always_inline long task_state(struct task_struct *t)
{
	if (bpf_core_field_exists(t->__state))
		return BPF_CORE_READ(t, __state);
	return BPF_CORE_READ((struct task_struct___old *)t, state);
}

static __always_inline int enqueue(struct task_struct *p)
{
	__u32 tid = BPF_CORE_READ(p, pid);
	__u64 ts;

	if (!tid)
		return 0;
	if (targ_tgid && BPF_CORE_READ(p, tgid) != targ_tgid)
		return 0;
	ts = bpf_ktime_get_ns();
	if (bpf_map_update_elem(&start, &tid, &ts, BPF_ANY))
		AOD_LOSS_INC(map_full);
	return 0;
}

static __always_inline void emit(struct task_struct *prev, struct task_struct *next, __u64 now, __u64 delta)
{
	struct aod_ev_sched *e;

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		AOD_LOSS_INC(ringbuf_full);
		return;
	}
	e->h.kind = AOD_EV_SCHED;
	e->h.size = sizeof(*e);
	e->h.cpu = bpf_get_smp_processor_id();
	e->h.ts_ns = now;
	e->h.pid = BPF_CORE_READ(next, tgid);
	e->h.tid = BPF_CORE_READ(next, pid);
	BPF_CORE_READ_STR_INTO(&e->h.comm, next, comm);
	e->latency_ns = delta;
	e->prev_pid = BPF_CORE_READ(prev, pid);
	e->prio = BPF_CORE_READ(next, prio);
	BPF_CORE_READ_STR_INTO(&e->prev_comm, prev, comm);
	bpf_ringbuf_submit(e, 0);
}

static __always_inline int on_switch(struct task_struct *prev, struct task_struct *next)
{
	__u32 tid, zero = 0;
	struct aod_hist *h;
	__u64 *tsp, now, delta;
	int over;

	/* A preempted task is still runnable: its wait starts now, as in runqlat. */
	if (task_state(prev) == TASK_RUNNING)
		enqueue(prev);
	tid = BPF_CORE_READ(next, pid);
	tsp = bpf_map_lookup_elem(&start, &tid);
	if (!tsp)
		return 0;
	now = bpf_ktime_get_ns();
	delta = now > *tsp ? now - *tsp : 0;
	bpf_map_delete_elem(&start, &tid);
	over = delta >= min_ns;
	h = bpf_map_lookup_elem(&hist, &zero);
	if (h)
		aod_hist_add(h, delta, over);
	if (over)
		emit(prev, next, now, delta);
	return 0;
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(sched_wakeup_btf, struct task_struct *p)
{
	return enqueue(p);
}

SEC("tp_btf/sched_wakeup_new")
int BPF_PROG(sched_wakeup_new_btf, struct task_struct *p)
{
	return enqueue(p);
}

SEC("tp_btf/sched_switch")
int BPF_PROG(sched_switch_btf, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	return on_switch(prev, next);
}

/* raw_tp: the same tracepoints without BTF-typed arguments (kernels before 5.5 or without tp_btf). */
SEC("raw_tp/sched_wakeup")
int BPF_PROG(sched_wakeup_raw, struct task_struct *p)
{
	return enqueue(p);
}

SEC("raw_tp/sched_wakeup_new")
int BPF_PROG(sched_wakeup_new_raw, struct task_struct *p)
{
	return enqueue(p);
}

SEC("raw_tp/sched_switch")
int BPF_PROG(sched_switch_raw, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	return on_switch(prev, next);
}

char LICENSE[] SEC("license") = "GPL";

// SPDX-License-Identifier: GPL-2.0-only
/* Run-queue latency (wakeup or preemption to running): log2 histogram in the kernel, slow ones to the ring buffer. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "events.h"
#include "health.h"

#define TASK_RUNNING 0

/*
 * The kernel structs this file reads, cut to the fields it reads: CO-RE finds each field in the
 * running kernel's type of the same name (the ___min suffix is dropped). Naming vmlinux.h's
 * task_struct instead put its whole type graph, 470 BTF types, into the object, which libbpf
 * parses and copies and the kernel checks at every start (1 ms of aod run's, 70 page faults).
 */
struct rq___min {
	__u64 clock;
} __attribute__((preserve_access_index));

struct cfs_rq___min {
	struct rq___min *rq;
} __attribute__((preserve_access_index));

struct sched_entity___min {
	struct cfs_rq___min *cfs_rq;
} __attribute__((preserve_access_index));

struct sched_info___min {
	unsigned long long last_queued;
} __attribute__((preserve_access_index));

struct task_struct___min {
	unsigned int __state;
	int prio;
	struct sched_entity___min se;
	struct sched_info___min sched_info;
	int pid;
	int tgid;
	char comm[16];
} __attribute__((preserve_access_index));

const volatile __u64 min_ns = 1000000;	/* warn floor: only latencies at or over it cross the ring buffer */
const volatile __u32 targ_tgid = 0;	/* 0 = every process */

struct aod_loss loss = {};

/*
 * When each task became runnable. The tp_btf programs keep it in task-local storage (one load
 * through task->bpf_storage, no hashing, no update+delete pair per switch); the raw_tp fallback
 * has no typed task pointer for that helper and keeps the hash keyed by tid. Userspace creates
 * only the map its method uses.
 */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, __u64);	/* when it became runnable; 0 = not waiting */
} start_ts SEC(".maps");

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

/*
 * Field reads: tp_btf arguments are typed kernel pointers the verifier lets us load from directly;
 * raw_tp ones are plain numbers that need bpf_probe_read_kernel. `btf` is a constant at every
 * call site, so each program keeps only its own branch.
 */
#define RD(btf, p, f) ((btf) ? (p)->f : BPF_CORE_READ(p, f))

static __always_inline long task_state(struct task_struct___min *t, const bool btf)
{
	if (bpf_core_field_exists(t->__state))
		return RD(btf, t, __state);
	return RD(btf, (struct task_struct___old *)(void *)t, state);
}

static __always_inline int enqueue(struct task_struct___min *p, const bool btf)
{
	__u32 tid = RD(btf, p, pid);
	__u64 ts, *tsp;

	if (!tid)
		return 0;
	if (targ_tgid && RD(btf, p, tgid) != targ_tgid)
		return 0;
	ts = bpf_ktime_get_ns();
	if (btf) {
		tsp = bpf_task_storage_get(&start_ts, (struct task_struct *)p, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
		if (tsp)
			*tsp = ts;
		else
			AOD_LOSS_INC(map_full);
	} else if (bpf_map_update_elem(&start, &tid, &ts, BPF_ANY)) {
		AOD_LOSS_INC(map_full);
	}
	return 0;
}

static __always_inline void emit(struct task_struct___min *prev, struct task_struct___min *next, __u64 now, __u64 delta,
				 const bool btf)
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
	e->h.pid = RD(btf, next, tgid);
	e->h.tid = RD(btf, next, pid);
	BPF_CORE_READ_STR_INTO(&e->h.comm, next, comm);
	e->latency_ns = delta;
	e->prev_pid = RD(btf, prev, pid);
	e->prio = RD(btf, next, prio);
	BPF_CORE_READ_STR_INTO(&e->prev_comm, prev, comm);
	bpf_ringbuf_submit(e, 0);
}

/* The start time of next, taken out of its slot; 0 when it was not waiting (or not tracked). */
static __always_inline __u64 take_start(struct task_struct___min *next, const bool btf)
{
	__u64 *tsp, ts;
	__u32 tid;

	if (btf) {
		tsp = bpf_task_storage_get(&start_ts, (struct task_struct *)next, 0, 0);
		if (!tsp)
			return 0;
		ts = *tsp;
		*tsp = 0;
		return ts;
	}
	tid = RD(btf, next, pid);
	tsp = bpf_map_lookup_elem(&start, &tid);
	if (!tsp)
		return 0;
	ts = *tsp;
	bpf_map_delete_elem(&start, &tid);
	return ts;
}

/*
 * One measured wait, from start to now, into the histogram and, at or over the floor, onto
 * the ring buffer. The record's timestamp is bpf_ktime_get_ns(); `now` is that clock or another
 * (the runqueue's) as `now_is_ktime` says.
 */
static __always_inline void record(struct task_struct___min *prev, struct task_struct___min *next, __u64 now, __u64 start,
				   const bool now_is_ktime, const bool btf)
{
	__u64 delta;

	if (aod_hist_record(&hist, now, start, min_ns, &delta))
		emit(prev, next, now_is_ktime ? now : bpf_ktime_get_ns(), delta, btf);
}

static __always_inline int on_switch(struct task_struct___min *prev, struct task_struct___min *next, const bool btf)
{
	__u64 ts;

	/* A preempted task is still runnable: its wait starts now, as in runqlat. */
	if (task_state(prev, btf) == TASK_RUNNING)
		enqueue(prev, btf);
	/* the idle task never waits in a queue: skip the lookup */
	if (!RD(btf, next, pid))
		return 0;
	ts = take_start(next, btf);
	if (!ts)
		return 0;
	record(prev, next, bpf_ktime_get_ns(), ts, true, btf);
	return 0;
}

/*
 * First choice, one hook: the scheduler already times every wait. enqueue_task stamps
 * p->sched_info.last_queued with the runqueue clock (CONFIG_SCHED_INFO, always on with
 * delay accounting or /proc/PID/schedstat), a preempted task is stamped as it leaves the CPU,
 * and the stamp is cleared only after this tracepoint, in sched_info_arrive, which adds
 * rq->clock - last_queued to run_delay. Reading the same two values here gives the same
 * wait, with no wakeup hooks and no per-task map. The runqueue is reached through next's
 * sched_entity (se.cfs_rq->rq: CONFIG_FAIR_GROUP_SCHED, on in distribution kernels; the
 * per-CPU `runqueues` symbol is not in kallsyms without CONFIG_KALLSYMS_ALL). A kernel without
 * either field fails the CO-RE relocation and gets the wakeup-hook methods below.
 */
/*
 * The verifier checks every pointer loaded through a trusted pointer (a tp_btf argument) for a
 * "<type>__safe_*" declaration, four linear searches of the kernel's BTF each: about a
 * millisecond of every start, for next->se.cfs_rq alone. Walking from an untrusted alias
 * (bpf_rdonly_cast, 6.2+, which the verifier turns into a register move) skips them; a kernel
 * without that kfunc takes the second program, which walks next directly.
 */
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym;

static __always_inline int switch_si(struct task_struct___min *prev, struct task_struct___min *next, struct task_struct___min *n)
{
	struct rq___min *rq;
	__u64 q;

	q = n->sched_info.last_queued;
	if (!q)
		return 0;
	if (targ_tgid && n->tgid != targ_tgid)
		return 0;
	/* next is being switched in here, so its cfs_rq is this CPU's: rq is the one that stamped q */
	rq = n->se.cfs_rq->rq;
	if (!rq)
		return 0;
	record(prev, next, rq->clock, q, false, true);
	return 0;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(sched_switch_si, bool preempt, struct task_struct___min *prev, struct task_struct___min *next)
{
	return switch_si(prev, next, bpf_rdonly_cast(next, bpf_core_type_id_kernel(struct task_struct___min)));
}

SEC("tp_btf/sched_switch")
int BPF_PROG(sched_switch_si_direct, bool preempt, struct task_struct___min *prev, struct task_struct___min *next)
{
	return switch_si(prev, next, next);
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(sched_wakeup_btf, struct task_struct___min *p)
{
	return enqueue(p, true);
}

SEC("tp_btf/sched_wakeup_new")
int BPF_PROG(sched_wakeup_new_btf, struct task_struct___min *p)
{
	return enqueue(p, true);
}

SEC("tp_btf/sched_switch")
int BPF_PROG(sched_switch_btf, bool preempt, struct task_struct___min *prev, struct task_struct___min *next)
{
	return on_switch(prev, next, true);
}

/* raw_tp: the same tracepoints without BTF-typed arguments (kernels before 5.5 or without tp_btf). */
SEC("raw_tp/sched_wakeup")
int BPF_PROG(sched_wakeup_raw, struct task_struct___min *p)
{
	return enqueue(p, false);
}

SEC("raw_tp/sched_wakeup_new")
int BPF_PROG(sched_wakeup_new_raw, struct task_struct___min *p)
{
	return enqueue(p, false);
}

SEC("raw_tp/sched_switch")
int BPF_PROG(sched_switch_raw, bool preempt, struct task_struct___min *prev, struct task_struct___min *next)
{
	return on_switch(prev, next, false);
}

char LICENSE[] SEC("license") = "GPL";

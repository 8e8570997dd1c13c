// SPDX-License-Identifier: GPL-2.0-only
/* Block request latency, issue to complete, with device and op: log2 histogram in the kernel, slow ones to the ring buffer. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "events.h"
#include "health.h"

#define REQ_OP_MASK 0xff	/* REQ_OP_BITS is 8 since 4.10 */

const volatile __u64 min_ns = 10000000;
const volatile __u32 targ_tgid = 0;
/* Set by userspace from the tracepoint's BTF prototype: before 5.11 block_rq_issue was (q, rq). */
const volatile bool issue_has_q = false;

struct aod_loss loss = {};

struct bio_key {
	__u64 a;	/* request pointer, or dev for the classic tracepoints */
	__u64 b;	/* 0, or the start sector */
};

struct bio_start {
	__u64 ts;
	__u32 pid, tid;
	__u32 bytes;
	__u32 major, minor;
	__u8 op;
	char comm[AOD_COMM_LEN];
};

/*
 * Preallocated, as biolatency's: an update of a BPF_F_NO_PREALLOC hash allocates and the delete
 * frees, 176 ns of every I/O's issue program here (bpf_stats, 3 runs each: 852 ns -> 676 ns). 10240
 * requests in flight at once, as biolatency allows; more are counted as map_full.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, struct bio_key);
	__type(value, struct bio_start);
} start SEC(".maps");

AOD_LATENCY_MAPS;

/* 5.16 (or so) dropped request::rq_disk; the disk is reached through the queue since then. */
/*
 * The kernel structs this file reads, cut to the fields it reads: CO-RE finds each field in the
 * running kernel's type of the same name (the ___min suffix is dropped), and the object carries
 * 80 BTF types, not the 250 of vmlinux.h's request and its graph (see sched.bpf.c).
 */
struct gendisk___min {
	int major;
	int first_minor;
} __attribute__((preserve_access_index));

struct request_queue___min {
	struct gendisk___min *disk;
} __attribute__((preserve_access_index));

struct request___min {
	struct request_queue___min *q;
	unsigned int cmd_flags;
	unsigned int __data_len;
	__u64 __sector;
} __attribute__((preserve_access_index));

struct request___old {
	struct gendisk___min *rq_disk;
} __attribute__((preserve_access_index));

struct trace_event_raw_block_rq___min {
	__u32 dev;
	__u64 sector;
	unsigned int bytes;
	char rwbs[8];
} __attribute__((preserve_access_index));

struct trace_event_raw_block_rq_completion___min {
	__u32 dev;
	__u64 sector;
	int error;
} __attribute__((preserve_access_index));

static __always_inline __u8 op_of(__u32 flags)
{
	switch (flags & REQ_OP_MASK) {
	case 0: return AOD_BIO_READ;
	case 1: return AOD_BIO_WRITE;
	case 2: return AOD_BIO_FLUSH;
	case 3: return AOD_BIO_DISCARD;
	}
	return AOD_BIO_OTHER;
}

static __always_inline int start_common(struct bio_key *k, struct bio_start *s)
{
	__u64 pt = bpf_get_current_pid_tgid();

	s->pid = pt >> 32;
	s->tid = (__u32)pt;
	if (targ_tgid && s->pid != targ_tgid)
		return 0;
	s->ts = bpf_ktime_get_ns();
	bpf_get_current_comm(s->comm, sizeof(s->comm));
	if (bpf_map_update_elem(&start, k, s, BPF_ANY))
		AOD_LOSS_INC(map_full);
	return 0;
}

static __always_inline int issue_rq(struct request___min *rq)
{
	struct bio_key k = { .a = (__u64)rq };
	struct bio_start s = {};
	struct gendisk___min *disk;

	if (bpf_core_field_exists(((struct request___old *)rq)->rq_disk))
		disk = BPF_CORE_READ((struct request___old *)rq, rq_disk);
	else
		disk = BPF_CORE_READ(rq, q, disk);
	s.major = BPF_CORE_READ(disk, major);
	s.minor = BPF_CORE_READ(disk, first_minor);
	s.bytes = BPF_CORE_READ(rq, __data_len);
	s.op = op_of(BPF_CORE_READ(rq, cmd_flags));
	return start_common(&k, &s);
}

static __always_inline int complete(struct bio_key *k, __u64 sector, int error)
{
	struct aod_ev_bio *e;
	struct bio_start *s;
	__u64 now, delta;

	s = bpf_map_lookup_elem(&start, k);
	if (!s)
		return 0;
	now = bpf_ktime_get_ns();
	if (aod_hist_record(&hist, now, s->ts, min_ns, &delta)) {
		e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
		if (e) {
			e->h.kind = AOD_EV_BIO;
			e->h.size = sizeof(*e);
			e->h.cpu = bpf_get_smp_processor_id();
			e->h.ts_ns = now;
			e->h.pid = s->pid;
			e->h.tid = s->tid;
			__builtin_memcpy(e->h.comm, s->comm, sizeof(e->h.comm));
			e->latency_ns = delta;
			e->sector = sector;
			e->bytes = s->bytes;
			e->major = s->major;
			e->minor = s->minor;
			e->op = s->op;
			e->pad = 0;
			e->error = error;
			bpf_ringbuf_submit(e, 0);
		} else {
			AOD_LOSS_INC(ringbuf_full);
		}
	}
	bpf_map_delete_elem(&start, k);
	return 0;
}

static __always_inline int complete_rq(struct request___min *rq, int error)
{
	struct bio_key k = { .a = (__u64)rq };

	return complete(&k, BPF_CORE_READ(rq, __sector), error);
}

SEC("tp_btf/block_rq_issue")
int BPF_PROG(block_rq_issue_btf)
{
	if (issue_has_q)
		return issue_rq((struct request___min *)ctx[1]);
	return issue_rq((struct request___min *)ctx[0]);
}

SEC("tp_btf/block_rq_complete")
int BPF_PROG(block_rq_complete_btf, struct request___min *rq, int error)
{
	return complete_rq(rq, error);
}

SEC("raw_tp/block_rq_issue")
int BPF_PROG(block_rq_issue_raw)
{
	if (issue_has_q)
		return issue_rq((struct request___min *)ctx[1]);
	return issue_rq((struct request___min *)ctx[0]);
}

SEC("raw_tp/block_rq_complete")
int BPF_PROG(block_rq_complete_raw, struct request___min *rq, int error)
{
	return complete_rq(rq, error);
}

/* Classic tracepoints carry no request pointer: key on (dev, sector), as biosnoop's old form did. */
static __always_inline __u8 op_of_rwbs(const char *rwbs)
{
	for (int i = 0; i < 4; i++) {
		switch (rwbs[i]) {
		case 'D': return AOD_BIO_DISCARD;
		case 'W': return AOD_BIO_WRITE;
		case 'R': return AOD_BIO_READ;
		case 'F': return AOD_BIO_FLUSH;
		case 0: return AOD_BIO_OTHER;
		}
	}
	return AOD_BIO_OTHER;
}

SEC("tracepoint/block/block_rq_issue")
int block_rq_issue_tp(struct trace_event_raw_block_rq___min *ctx)
{
	struct bio_key k = { .a = ctx->dev, .b = ctx->sector };
	struct bio_start s = {};
	char rwbs[8];

	s.major = ctx->dev >> 20;	/* the kernel's internal dev_t: MINORBITS is 20 */
	s.minor = ctx->dev & 0xfffff;
	s.bytes = ctx->bytes;
	__builtin_memcpy(rwbs, ctx->rwbs, sizeof(rwbs));
	s.op = op_of_rwbs(rwbs);
	return start_common(&k, &s);
}

SEC("tracepoint/block/block_rq_complete")
int block_rq_complete_tp(struct trace_event_raw_block_rq_completion___min *ctx)
{
	struct bio_key k = { .a = ctx->dev, .b = ctx->sector };

	return complete(&k, ctx->sector, ctx->error);
}

char LICENSE[] SEC("license") = "GPL";

// SPDX-License-Identifier: GPL-2.0-only
/* Latency (queue/rtt split) and status errors of every NFS RPC the kernel's sunrpc client sends, v3 and v4. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "events.h"
#include "modsrc.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/*
 * Ways in, chosen by userspace (src/nfs_source.c) with
 * bpf_program__set_autoload; every program is "?"-prefixed:
 *
 *  tp  — sunrpc:rpc_stats_latency (task, backlog, rtt, execute), fired by
 *        rpc_count_iostats_metrics when a task ends (since 4.20).  It is
 *        what /proc/self/mountstats sums: backlog = first transmit - task
 *        start (queued on the client), rtt = reply - transmit (network and
 *        server), execute = end - task start.  Errors come from the XDR
 *        decoders: nfs:nfs_xdr_status (xdr, error) for v2/v3 and
 *        nfs4:nfs4_xdr_status (xdr, op, error) for v4, the wire status
 *        (NFS3ERR_* / NFS4ERR_*) and, for v4, the operation that failed.
 *        nfs4_xdr_status lives in nfsv4.ko: it is chosen only while that
 *        module is loaded (userspace re-attaches when it appears).
 *        tp_btf needs the modules' BTF; raw_tp only the tracepoints.
 *  fn  — fentry rpc_exit_task, the hook AODv2 used: the same figures read
 *        from the task and its rqst just before rpc_count_iostats takes
 *        them, and errors from tk_status, the errno the decoder mapped
 *        the NFS status to (mapped back below).
 *  kp  — the kprobe form of fn, for kernels that refuse fentry.
 *
 * Only RPCs of program 100003 (NFS) count: MOUNT, NLM, rpcbind and the
 * NFSv4 callback program share sunrpc and are dropped here.
 *
 * Units: `proc` is the procedure index the client keeps statistics by
 * (rpc_procinfo.p_statidx): NFSPROC4_CLNT_* for v4, the procedure number
 * for v3.  `op` is an NFSv4 *operation* number (OP_OPEN = 18 ...).
 */

#define NFS_PROGRAM 100003
/* Rows of thresholds and histograms: the NFSv4 procedure indices, then the NFSv3 procedures, then "other". */
#define NFS4_NPROC 69		/* NFSPROC4_CLNT_NULL .. NFSPROC4_CLNT_READ_PLUS */
#define NFS3_NPROC 22		/* NFS3PROC_NULL .. NFS3PROC_COMMIT */
#define NFS_ROW_OTHER (NFS4_NPROC + NFS3_NPROC)
#define NFS_ROWS (NFS_ROW_OTHER + 1)
/* The globals indexed by row have a power-of-two size, so `row & NFS_ROW_MASK` is a bound the verifier keeps. */
#define NFS_ROW_SLOTS 128
#define NFS_ROW_MASK (NFS_ROW_SLOTS - 1)
#define NFS_HIST_SLOTS MODSRC_HIST_SLOTS
#define NFS_MAX_CODES 32
#define NFS_MAX_OPS 16

/*
 * Filter settings in .bss, rewritten by userspace while attached (HUP).
 * A threshold of all ones means the row's latency is not tracked.
 */
__u64 thr_ns[NFS_ROW_SLOTS];
__u32 err_rows[NFS_ROW_SLOTS / 32];	/* bit per row: its status errors are tracked */
__u32 err_all_codes;			/* 1: every status crosses */
__u32 n_status;
__u32 err_status[NFS_MAX_CODES];	/* NFS3ERR_* / NFS4ERR_* values to pass */
__u32 n_errno;
__s32 err_errno[NFS_MAX_CODES];		/* positive errno values (tk_status = -errno) to pass */
__u32 n_op;
__u32 err_op[NFS_MAX_OPS];		/* NFSv4 operation numbers to pass; none = any */
__u64 emergency_ns = 1000000000ULL;	/* a tracked procedure this slow crosses whatever its threshold */

struct aod_loss loss;
__u64 unmatched;			/* error hooks that found no task (never expected) */

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, NFS_ROWS);
	__type(key, __u32);
	__type(value, __u64[NFS_HIST_SLOTS]);
} nfs_hist SEC(".maps");

/*
 * tp only: tasks whose NFS status error already crossed from an XDR hook,
 * so their end (tk_status < 0, the errno the status became) is not sent
 * again as a second error of the same failure.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, __u8);
} nfs_reported SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 18);
} nfs_events SEC(".maps");

/*
 * NFS RPCs in flight, for the stall scan (src/modsrc.c reads it each watch
 * interval): filled when a task starts executing (rpc_task_begin, or
 * rpc_execute for fentry/kprobe), cleared when it ends (rpc_task_end, fired
 * by rpc_exit_task, or rpc_exit_task itself).  A task its completion
 * handler restarts (an NFS4ERR_DELAY retry) leaves the map at its first
 * end and is not watched again.  Key: the rpc_task pointer.  The value
 * starts with the start time, as modsrc's scan expects.
 */
#define NFS_PENDING_MAX 8192

struct nfs_pending {
	__u64 ts;
	__u64 xprt;		/* the transport: its server's name is in nfs_xprts */
	__u32 pid;		/* tk_owner */
	__u32 thread;		/* 0 when an rpciod worker started it */
	__u32 clid;
	__u16 proc;
	__u16 vers;
	char comm[AOD_COMM_LEN];	/* empty when not started by the owner: userspace reads the owner's */
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, NFS_PENDING_MAX);
	__type(key, __u64);
	__type(value, struct nfs_pending);
} nfs_pending SEC(".maps");

/*
 * The transports that carried an NFS RPC, with their server's address as
 * text: the reconnect hooks fire for every sunrpc transport (rpcbind,
 * MOUNT, NLM too) and report only these; the stall scan names the server.
 */
struct nfs_xprt {
	char host[AOD_STALL_HOST_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 64);
	__type(key, __u64);
	__type(value, struct nfs_xprt);
} nfs_xprts SEC(".maps");

/*
 * sunrpc types live in its module's BTF, not in vmlinux.h; the ___aod
 * flavor keeps them from clashing with a vmlinux.h of a kernel with sunrpc
 * built in, and CO-RE matches them by name.  Field names are those of
 * include/linux/sunrpc/{sched,clnt,xprt,xdr}.h, unchanged from 4.20 to 6.x.
 */
struct rpc_procinfo___aod {
	__u32 p_proc;
	__u32 p_statidx;
} __attribute__((preserve_access_index));

struct rpc_message___aod {
	const struct rpc_procinfo___aod *rpc_proc;
} __attribute__((preserve_access_index));

struct rpc_clnt___aod {
	unsigned int cl_clid;
	__u32 cl_prog;
	__u32 cl_vers;
} __attribute__((preserve_access_index));

struct rpc_rqst___aod {
	struct rpc_task___aod *rq_task;
	struct rpc_xprt___aod *rq_xprt;
	__u32 rq_xid;		/* __be32 */
	__s64 rq_rtt;		/* ktime_t */
	__s64 rq_xtime;
} __attribute__((preserve_access_index));

struct rpc_xprt___aod {
	struct __kernel_sockaddr_storage addr;
	const char *address_strings[6];	/* [RPC_DISPLAY_ADDR = 0]: the server's address as text */
} __attribute__((preserve_access_index));

struct rpc_task___aod {
	int tk_status;
	struct rpc_xprt___aod *tk_xprt;
	struct rpc_message___aod tk_msg;
	struct rpc_clnt___aod *tk_client;
	struct rpc_rqst___aod *tk_rqstp;
	__s64 tk_start;		/* ktime_t: CLOCK_MONOTONIC ns, as bpf_ktime_get_ns */
	int tk_owner;		/* pid_t: tgid of the task's owner */
} __attribute__((preserve_access_index));

struct xdr_stream___aod {
	struct rpc_rqst___aod *rqst;
} __attribute__((preserve_access_index));

/* nfs_server: the superblock's s_fs_info (NFS_SB), with the rpc client its RPCs go on (include/linux/nfs_fs_sb.h). */
struct nfs_server___aod {
	struct rpc_clnt___aod *client;
} __attribute__((preserve_access_index));

/*
 * Which mount an RPC serves.  The rpc_clnt has no pointer back to its nfs_server, but each NFS superblock
 * has its own clnt (nfs_init_server_rpcclient clones the nfs_client's for every nfs_server), so the
 * superblock whose nfs_server->client is the task's clnt is the mount: its s_dev is what
 * /proc/self/mountinfo shows as major:minor.  The superblocks are on their file system type's fs_supers
 * list (nfs_fs_type for v2/v3, nfs4_fs_type for v4, both in nfs.ko); libbpf finds the two in
 * /proc/kallsyms, which lists data only with CONFIG_KALLSYMS_ALL: without it they stay 0, dev is 0 and
 * userspace names the exports the RPC may be.  NFSv4's lease and session RPCs go on the nfs_client's own
 * clnt, which no superblock has: dev 0 as well, rightly, as they serve every mount of that server.
 */
extern const void nfs_fs_type __ksym __weak;
extern const void nfs4_fs_type __ksym __weak;

#define NFS_SB_WALK 32		/* superblocks of one type looked at: mounts of the same superblock count once */

static __always_inline __u32 sb_dev_on(const void *fstype, const struct rpc_clnt___aod *clnt)
{
	struct hlist_node *n;

	if (!fstype || !clnt)
		return 0;
	n = BPF_CORE_READ((struct file_system_type *)fstype, fs_supers.first);
	for (int i = 0; i < NFS_SB_WALK && n; i++) {
		struct super_block *sb = (void *)n - bpf_core_field_offset(struct super_block, s_instances);
		struct nfs_server___aod *srv = BPF_CORE_READ(sb, s_fs_info);

		if (srv && BPF_CORE_READ(srv, client) == clnt)
			return BPF_CORE_READ(sb, s_dev);
		n = BPF_CORE_READ(n, next);
	}
	return 0;
}

/* The s_dev of the mount whose RPCs go on clnt, 0 when none's do (see above). */
static __always_inline __u32 clnt_sb_dev(const struct rpc_clnt___aod *clnt, __u32 vers)
{
	return sb_dev_on(vers == 4 ? &nfs4_fs_type : &nfs_fs_type, clnt);
}

/* What one RPC task says about itself. */
struct rpc_facts {
	const struct rpc_clnt___aod *clnt;
	__u32 prog, vers, proc, clid, xid, owner;
	__s32 status;
	__u16 row;
};

static __always_inline __u32 be32(__u32 v)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return __builtin_bswap32(v);
#else
	return v;
#endif
}

static __always_inline __u16 row_of(__u32 vers, __u32 proc)
{
	if (vers == 4 && proc < NFS4_NPROC)
		return proc;
	if (vers == 3 && proc < NFS3_NPROC)
		return NFS4_NPROC + proc;
	return NFS_ROW_OTHER;
}

/*
 * clang knows row_of() stays under NFS_ROWS and drops a plain mask; the
 * verifier, which sees the arithmetic on proc, needs the mask to be there:
 * the opaque barrier keeps it.
 */
static __always_inline __u64 row_bound(__u64 row)
{
	barrier_var(row);
	return row & NFS_ROW_MASK;
}

/* false for a task that is not an NFS RPC */
static __always_inline bool task_facts(struct rpc_task___aod *t, struct rpc_facts *f)
{
	struct rpc_clnt___aod *c = BPF_CORE_READ(t, tk_client);
	const struct rpc_procinfo___aod *pi;

	if (!c)
		return false;
	f->prog = BPF_CORE_READ(c, cl_prog);
	if (f->prog != NFS_PROGRAM)
		return false;
	f->vers = BPF_CORE_READ(c, cl_vers);
	f->clid = BPF_CORE_READ(c, cl_clid);
	f->clnt = c;
	pi = BPF_CORE_READ(t, tk_msg.rpc_proc);
	f->proc = pi ? BPF_CORE_READ(pi, p_statidx) : 0xffff;
	f->xid = be32(BPF_CORE_READ(t, tk_rqstp, rq_xid));
	f->owner = BPF_CORE_READ(t, tk_owner);
	f->status = BPF_CORE_READ(t, tk_status);
	f->row = row_of(f->vers, f->proc);
	return true;
}

static __always_inline void hist_add(__u32 row, __u64 lat_ns, bool err)
{
	modsrc_hist_add(&nfs_hist, row, lat_ns, err);
}

/* Would an error of this row, NFS status, NFSv4 op and errno count for some rule?  (0: not given.) */
static __always_inline bool err_tracked(__u16 row, __u32 status, __u16 op, __u32 err)
{
	__u64 r = row_bound(row);
	__u32 i, n;
	bool hit = false;

	if (!(err_rows[r / 32] & (1u << (r % 32))))
		return false;
	n = n_op;
	if (n) {
		for (i = 0; i < NFS_MAX_OPS && i < n; i++)
			if (err_op[i] == op)
				hit = true;
		if (!hit)
			return false;
	}
	if (err_all_codes)
		return true;
	n = n_status;
	for (i = 0; i < NFS_MAX_CODES && i < n; i++)
		if (status && err_status[i] == status)
			return true;
	n = n_errno;
	for (i = 0; i < NFS_MAX_CODES && i < n; i++)
		if (err && err_errno[i] == (__s32)err)
			return true;
	return false;
}

static __always_inline void emit(const struct rpc_facts *f, __u64 lat, __u64 queue, __u64 rtt, __u16 op,
				 __u16 flags, __u32 nfs_status, __s32 rpc_status)
{
	struct aod_ev_nfs *e = bpf_ringbuf_reserve(&nfs_events, sizeof(*e), 0);
	__u64 id = bpf_get_current_pid_tgid();

	if (!e) {
		__sync_fetch_and_add(&loss.ringbuf_full, 1);
		return;
	}
	e->h.kind = AOD_EV_NFS;
	e->h.size = sizeof(*e);
	e->h.cpu = bpf_get_smp_processor_id();
	e->h.ts_ns = bpf_ktime_get_ns();
	e->h.pid = f->owner;
	/* Async RPCs end on an rpciod worker: its name would mislead, userspace reads the owner's. */
	if ((id >> 32) == f->owner) {
		e->h.tid = (__u32)id;
		bpf_get_current_comm(e->h.comm, sizeof(e->h.comm));
	} else {
		e->h.tid = 0;
		__builtin_memset(e->h.comm, 0, sizeof(e->h.comm));
	}
	e->latency_ns = lat;
	e->queue_ns = queue;
	e->rtt_ns = rtt;
	e->xid = f->xid;
	e->prog = f->prog;
	e->vers = f->vers;
	e->proc = f->proc;
	e->op = op;
	e->flags = flags;
	e->rpc_status = rpc_status;
	e->nfs_status = nfs_status;
	e->client_id = f->clid;
	e->dev = clnt_sb_dev(f->clnt, f->vers);
	bpf_ringbuf_submit(e, 0);
}

/* One finished RPC: the histogram always, the ring buffer at or over its threshold. */
static __always_inline void rpc_done(const struct rpc_facts *f, __u64 lat, __u64 queue, __u64 rtt, bool split)
{
	__u64 thr = thr_ns[row_bound(f->row)];
	__u16 flags = split ? AOD_NFS_SPLIT : 0;

	hist_add(f->row, lat, false);
	if (thr == ~0ULL)
		return;
	if (lat >= thr)
		flags |= AOD_NFS_OVER;
	/* the 1 s emergency fires even where a threshold was set higher */
	else if (lat < emergency_ns)
		return;
	emit(f, lat, queue, rtt, AOD_NFS_NO_OP, flags, 0, f->status);
}

/* An XDR decoder saw an NFS status error: its record carries that status (rpc_status stays 0). */
static __always_inline void status_error(struct rpc_task___aod *t, __u32 status, __u16 op)
{
	struct rpc_facts f = {};
	__u64 key = (__u64)t;
	__u8 one = 1;

	if (!t) {
		__sync_fetch_and_add(&unmatched, 1);
		return;
	}
	if (!task_facts(t, &f) || !err_tracked(f.row, status, op, 0))
		return;
	emit(&f, 0, 0, 0, op, AOD_NFS_ERR, status, 0);
	if (bpf_map_update_elem(&nfs_reported, &key, &one, BPF_ANY))
		__sync_fetch_and_add(&loss.map_full, 1);
}

/*
 * A task ended.  Detection counts a record with rpc_status < 0 as an error,
 * never as latency, so a failed task gives at most one error record: none
 * when its NFS status already crossed, else one with the errno.
 */
static __always_inline int on_latency(struct rpc_task___aod *t, __s64 backlog, __s64 rtt, __s64 execute)
{
	struct rpc_facts f = {};
	__u64 key = (__u64)t, lat = execute > 0 ? execute : 0;

	if (!t || !task_facts(t, &f))
		return 0;
	if (f.status >= 0) {
		rpc_done(&f, lat, backlog > 0 ? backlog : 0, rtt > 0 ? rtt : 0, true);
		return 0;
	}
	hist_add(f.row, lat, true);
	if (bpf_map_lookup_elem(&nfs_reported, &key)) {
		bpf_map_delete_elem(&nfs_reported, &key);
		return 0;
	}
	if (err_tracked(f.row, 0, AOD_NFS_NO_OP, (__u32)-f.status))
		emit(&f, lat, backlog > 0 ? backlog : 0, rtt > 0 ? rtt : 0, AOD_NFS_NO_OP, AOD_NFS_ERR | AOD_NFS_SPLIT,
		     0, f.status);
	return 0;
}

static __always_inline struct rpc_task___aod *xdr_task(struct xdr_stream___aod *xdr)
{
	return xdr ? BPF_CORE_READ(xdr, rqst, rq_task) : 0;
}

SEC("?tp_btf/rpc_stats_latency")
int BPF_PROG(nfs_btf_latency, struct rpc_task___aod *task, __s64 backlog, __s64 rtt, __s64 execute)
{
	return on_latency(task, backlog, rtt, execute);
}

/* nfs_xdr_status(xdr, error): error is the NFS3ERR_* (or NFSERR_*) value the server sent */
SEC("?tp_btf/nfs_xdr_status")
int BPF_PROG(nfs_btf_xdr, struct xdr_stream___aod *xdr, int error)
{
	status_error(xdr_task(xdr), (__u32)error, AOD_NFS_NO_OP);
	return 0;
}

/* nfs4_xdr_status(xdr, op, error): the NFS4ERR_* value of operation op */
SEC("?tp_btf/nfs4_xdr_status")
int BPF_PROG(nfs_btf_xdr4, struct xdr_stream___aod *xdr, __u32 op, __u32 error)
{
	status_error(xdr_task(xdr), error, (__u16)op);
	return 0;
}

/* raw_tp: the u64 argument array in TP_PROTO order, the same programs */
SEC("?raw_tp/rpc_stats_latency")
int BPF_PROG(nfs_raw_latency, struct rpc_task___aod *task, __s64 backlog, __s64 rtt, __s64 execute)
{
	return on_latency(task, backlog, rtt, execute);
}

SEC("?raw_tp/nfs_xdr_status")
int BPF_PROG(nfs_raw_xdr, struct xdr_stream___aod *xdr, int error)
{
	status_error(xdr_task(xdr), (__u32)error, AOD_NFS_NO_OP);
	return 0;
}

SEC("?raw_tp/nfs4_xdr_status")
int BPF_PROG(nfs_raw_xdr4, struct xdr_stream___aod *xdr, __u32 op, __u32 error)
{
	status_error(xdr_task(xdr), error, (__u16)op);
	return 0;
}

/* ---- RPCs in flight (stalls) ---- */

static __always_inline void task_begin(struct rpc_task___aod *t)
{
	struct nfs_pending p = {};
	struct rpc_facts f = {};
	__u64 key = (__u64)t, id = bpf_get_current_pid_tgid(), x;

	if (!t || !task_facts(t, &f))
		return;
	x = (__u64)BPF_CORE_READ(t, tk_xprt);
	p.ts = bpf_ktime_get_ns();
	p.xprt = x;
	p.pid = f.owner;
	p.clid = f.clid;
	p.proc = f.proc;
	p.vers = f.vers;
	if ((id >> 32) == f.owner) {
		p.thread = (__u32)id;
		bpf_get_current_comm(p.comm, sizeof(p.comm));
	}
	if (bpf_map_lookup_elem(&nfs_pending, &key))
		__sync_fetch_and_add(&loss.expired, 1);	/* a task that ended unseen */
	if (bpf_map_update_elem(&nfs_pending, &key, &p, BPF_ANY))
		__sync_fetch_and_add(&loss.map_full, 1);
	if (x && !bpf_map_lookup_elem(&nfs_xprts, &x)) {
		struct nfs_xprt v = {};
		const char *host = BPF_CORE_READ((struct rpc_xprt___aod *)x, address_strings[0]);

		if (host)
			bpf_probe_read_kernel_str(v.host, sizeof(v.host), host);
		bpf_map_update_elem(&nfs_xprts, &x, &v, BPF_ANY);
	}
}

static __always_inline void task_end(struct rpc_task___aod *t)
{
	__u64 key = (__u64)t;

	bpf_map_delete_elem(&nfs_pending, &key);
}

/* rpc_task_begin(task, action): rpc_execute starts the task (tk_client, tk_msg and tk_xprt are set) */
SEC("?tp_btf/rpc_task_begin")
int BPF_PROG(nfs_btf_begin, struct rpc_task___aod *task, const void *action)
{
	task_begin(task);
	return 0;
}

/* rpc_task_end(task, action): rpc_exit_task, before the statistics and the completion handler */
SEC("?tp_btf/rpc_task_end")
int BPF_PROG(nfs_btf_end, struct rpc_task___aod *task, const void *action)
{
	task_end(task);
	return 0;
}

SEC("?raw_tp/rpc_task_begin")
int BPF_PROG(nfs_raw_begin, struct rpc_task___aod *task, const void *action)
{
	task_begin(task);
	return 0;
}

SEC("?raw_tp/rpc_task_end")
int BPF_PROG(nfs_raw_end, struct rpc_task___aod *task, const void *action)
{
	task_end(task);
	return 0;
}

SEC("?fentry/rpc_execute")
int BPF_PROG(nfs_fentry_begin, struct rpc_task___aod *task)
{
	task_begin(task);
	return 0;
}

SEC("?kprobe/rpc_execute")
int BPF_KPROBE(nfs_kprobe_begin, struct rpc_task___aod *task)
{
	task_begin(task);
	return 0;
}

/* ---- the transport: disconnects, connects, resends (tracepoints only) ---- */

#define TCP_ESTABLISHED 1

static __always_inline void reconn_emit(struct rpc_xprt___aod *x, __u16 what, const struct rpc_facts *f)
{
	struct aod_ev_reconnect *e;
	__u64 key = (__u64)x;

	if (!x || !bpf_map_lookup_elem(&nfs_xprts, &key))
		return;
	e = modsrc_reconn_start(&nfs_events, &loss, AOD_STALL_NFS, what, key,
				(char *)x + bpf_core_field_offset(struct rpc_xprt___aod, addr),
				BPF_CORE_READ(x, address_strings[0]));
	if (!e)
		return;
	if (f) {
		e->xid = f->xid;
		e->proc = f->proc;
		e->vers = f->vers;
	}
	bpf_ringbuf_submit(e, 0);
}

/* xprt_disconnect_force(xprt): the server closed (or reset) the connection, or a connect failed */
SEC("?tp_btf/xprt_disconnect_force")
int BPF_PROG(nfs_btf_disconnect, struct rpc_xprt___aod *xprt)
{
	reconn_emit(xprt, AOD_RECONN_NFS_DISCONNECT, 0);
	return 0;
}

static __always_inline void state_change(struct rpc_xprt___aod *xprt, struct socket *sock)
{
	if (sock && BPF_CORE_READ(sock, sk, __sk_common.skc_state) == TCP_ESTABLISHED)
		reconn_emit(xprt, AOD_RECONN_NFS_CONNECTED, 0);
}

/* rpc_socket_state_change(xprt, sock): every TCP state change of the transport's socket */
SEC("?tp_btf/rpc_socket_state_change")
int BPF_PROG(nfs_btf_state, struct rpc_xprt___aod *xprt, struct socket *sock)
{
	state_change(xprt, sock);
	return 0;
}

static __always_inline void retransmit(struct rpc_rqst___aod *rq)
{
	struct rpc_facts f = {};
	struct rpc_task___aod *t = rq ? BPF_CORE_READ(rq, rq_task) : 0;

	if (t && task_facts(t, &f))
		reconn_emit(BPF_CORE_READ(rq, rq_xprt), AOD_RECONN_NFS_RETRANSMIT, &f);
}

/* xprt_retransmit(rqst): a request sent again, after a reconnect or a major timeout */
SEC("?tp_btf/xprt_retransmit")
int BPF_PROG(nfs_btf_retransmit, struct rpc_rqst___aod *rqst)
{
	retransmit(rqst);
	return 0;
}

SEC("?raw_tp/xprt_disconnect_force")
int BPF_PROG(nfs_raw_disconnect, struct rpc_xprt___aod *xprt)
{
	reconn_emit(xprt, AOD_RECONN_NFS_DISCONNECT, 0);
	return 0;
}

SEC("?raw_tp/rpc_socket_state_change")
int BPF_PROG(nfs_raw_state, struct rpc_xprt___aod *xprt, struct socket *sock)
{
	state_change(xprt, sock);
	return 0;
}

SEC("?raw_tp/xprt_retransmit")
int BPF_PROG(nfs_raw_retransmit, struct rpc_rqst___aod *rqst)
{
	retransmit(rqst);
	return 0;
}

/* ---- rpc_exit_task: fentry, then kprobe ---- */

#define EPERM 1
#define ENOENT 2
#define EIO 5
#define ENXIO 6
#define EAGAIN 11
#define EACCES 13
#define EEXIST 17
#define EXDEV 18
#define ENOTDIR 20
#define EISDIR 21
#define EINVAL 22
#define EFBIG 27
#define ENOSPC 28
#define EROFS 30
#define EMLINK 31
#define EDEADLK 35
#define ENAMETOOLONG 36
#define ENOTEMPTY 39
#define ELOOP 40
#define EOPNOTSUPP 95
#define ESTALE 116
#define EDQUOT 122
#define EBADHANDLE 521
#define EBADCOOKIE 523
#define ENOTSUPP 524
#define ETOOSMALL 525
#define EBADTYPE 527
#define EJUKEBOX 528

/*
 * The errno the NFS decoders made of a wire status (nfs_errtbl in
 * fs/nfs/nfs3xdr.c and nfs4xdr.c), back to that status.  Only the
 * one-to-one pairs: EIO and EREMOTEIO stand for several, and an NFSv4
 * status the client cannot translate is passed on as -status (> 10000).
 */
static __always_inline __u32 status_of_errno(__s32 rc, __u32 vers)
{
	__u32 e = rc < 0 ? (__u32)-rc : 0;

	if (e > 10000 && e < 10100)
		return e;
	switch (e) {
	case EPERM: return 1;
	case ENOENT: return 2;
	case ENXIO: return 6;
	case EACCES: return 13;
	case EEXIST: return 17;
	case EXDEV: return 18;
	case ENOTDIR: return 20;
	case EISDIR: return 21;
	case EINVAL: return 22;
	case EFBIG: return 27;
	case ENOSPC: return 28;
	case EROFS: return 30;
	case EMLINK: return 31;
	case ENAMETOOLONG: return 63;
	case ENOTEMPTY: return 66;
	case EDQUOT: return 69;
	case ESTALE: return 70;
	case EBADHANDLE: return 10001;
	case EBADCOOKIE: return 10003;
	case ENOTSUPP: return 10004;
	case ETOOSMALL: return 10005;
	case EBADTYPE: return 10007;
	case EJUKEBOX: return vers == 3 ? 10008 : 0;
	case EAGAIN: return vers == 4 ? 10012 : 0;	/* NFS4ERR_LOCKED */
	case ELOOP: return vers == 4 ? 10029 : 0;	/* NFS4ERR_SYMLINK */
	case EOPNOTSUPP: return vers == 4 ? 10044 : 0;	/* NFS4ERR_OP_ILLEGAL */
	case EDEADLK: return vers == 4 ? 10045 : 0;
	default: return 0;
	}
}

/* The fallback's one hook: a success is timed, a failure is one error record with its status mapped back. */
static __always_inline void on_exit_task(struct rpc_task___aod *t)
{
	struct rpc_facts f = {};
	struct rpc_rqst___aod *rq;
	__u64 now = bpf_ktime_get_ns(), lat = 0, queue = 0, rtt = 0;
	__s64 start, xtime, r;
	__u32 st;

	task_end(t);
	if (!t || !task_facts(t, &f))
		return;
	/* rpc_count_iostats_metrics gives up without a rqst, and so does the latency here */
	rq = BPF_CORE_READ(t, tk_rqstp);
	if (rq) {
		start = BPF_CORE_READ(t, tk_start);
		xtime = BPF_CORE_READ(rq, rq_xtime);
		r = BPF_CORE_READ(rq, rq_rtt);
		lat = now > (__u64)start ? now - start : 0;
		queue = xtime > start ? xtime - start : 0;
		rtt = r > 0 ? r : 0;
	}
	if (f.status >= 0) {
		if (rq)
			rpc_done(&f, lat, queue, rtt, true);
		return;
	}
	hist_add(f.row, lat, true);
	st = status_of_errno(f.status, f.vers);
	if (err_tracked(f.row, st, AOD_NFS_NO_OP, (__u32)-f.status))
		emit(&f, lat, queue, rtt, AOD_NFS_NO_OP, AOD_NFS_ERR | (rq ? AOD_NFS_SPLIT : 0), st, f.status);
}

SEC("?fentry/rpc_exit_task")
int BPF_PROG(nfs_fentry_exit, struct rpc_task___aod *task)
{
	on_exit_task(task);
	return 0;
}

SEC("?kprobe/rpc_exit_task")
int BPF_KPROBE(nfs_kprobe_exit, struct rpc_task___aod *task)
{
	on_exit_task(task);
	return 0;
}

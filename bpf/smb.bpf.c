// SPDX-License-Identifier: GPL-2.0-only
/* Latency and errors of every SMB2 command the kernel cifs client sends, three interchangeable attach methods. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "events.h"
#include "modsrc.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/*
 * Three ways in, chosen by userspace (src/smb_source.c) with
 * bpf_program__set_autoload; every program is "?"-prefixed so nothing loads
 * unless chosen:
 *
 *  tp  — cifs:smb3_cmd_enter / smb3_cmd_done / smb3_cmd_err (since ~4.18).
 *        tp_btf needs the cifs module's BTF; raw_tp works without it.
 *        TP_PROTO (same in fs/cifs/trace.h of 6.1 and fs/smb/client/trace.h
 *        today; there is no xid argument):
 *          enter, done: (__u32 tid, __u64 sesid, __u16 cmd, __u64 mid)
 *          err:         (__u32 tid, __u64 sesid, __u16 cmd, __u64 mid,
 *                        __u32 status, int rc)
 *        enter fires in smb2_mid_entry_alloc (issuing task), done/err in
 *        map_smb2_to_linux_error (often the cifsd thread), so pid/comm are
 *        taken at enter.  Latency = done - enter: request build + send +
 *        server time + receive, per mid.
 *  fn  — fexit smb2_mid_entry_alloc + fentry __release_mid, as AODv2's
 *        smbslower did.  Latency = mid release - mid allocation: the whole
 *        life of the request inside cifs, which includes the caller's
 *        handling of the response before it drops the last reference, so
 *        it reads a little higher than the tracepoint latency.
 *  kp  — kprobe/kretprobe forms of fn, for kernels that refuse fentry.
 *
 * Pending requests live in an LRU hash.  Key:
 *   tp: (sesid, mid).  SESSION_SETUP's first enter carries sesid 0 while its
 *       done/err carries the new session id, so a miss on SESSION_SETUP is
 *       retried with sesid 0.  The tree id is not part of the key: an async
 *       (STATUS_PENDING) answer reuses the TreeId field for the AsyncId.
 *   fn/kp: the mid_q_entry pointer, unique while the request lives.
 */

#define SMB2_SESSION_SETUP 1
/* per command: [0] completions, [1] errors, [2..33] log2(us) buckets */
#define SMB_HIST_SLOTS MODSRC_HIST_SLOTS
/* slot AOD_SMB2_NCMD counts command ids outside 0..19 */
#define SMB_HIST_ROWS (AOD_SMB2_NCMD + 1)
#define SMB_MAX_CODES 32
#define SMB_PENDING_MAX 16384

/* Set before load. */
const volatile __u64 max_age_ns = 60ULL * 1000000000ULL;

/*
 * Filter settings, in .bss so userspace rewrites them through the mmapped
 * global-data map while attached (after a HUP).  A reader may see a half
 * written table for one event; that is harmless.
 */
__u64 thr_ns[AOD_SMB2_NCMD];	/* latency floor per command */
__u32 lat_mask;			/* commands whose latency anomalies are tracked */
__u32 err_mask;			/* commands whose errors are tracked */
__u32 err_all_codes;		/* 1: every error code crosses */
__u32 n_status;
__u32 err_status[SMB_MAX_CODES];	/* NT status values to pass */
__u32 n_errno;
__s32 err_errno[SMB_MAX_CODES];		/* positive errno values to pass (rc = -errno) */
__u64 emergency_ns = 1000000000ULL;	/* a tracked command this slow crosses whatever its threshold */

/* What could not be delivered; read by userspace from .bss. */
struct aod_loss loss;
__u64 unmatched;		/* completions with no pending enter (attach race, LRU eviction) */

struct pending_key {
	__u64 a;		/* tp: session id; fn/kp: mid_q_entry pointer */
	__u64 mid;
};

struct pending {
	__u64 ts;
	__u64 sesid;
	__u32 pid;
	__u32 thread;
	__u32 tree;
	__u16 cmd;
	__u16 pad;
	char comm[AOD_COMM_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, SMB_PENDING_MAX);
	__type(key, struct pending_key);
	__type(value, struct pending);
} smb_pending SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SMB_HIST_ROWS);
	__type(key, __u32);
	__type(value, __u64[SMB_HIST_SLOTS]);
} smb_hist SEC(".maps");

/* kp only: the request header pointer between kprobe and kretprobe. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, __u64);
} smb_alloc_args SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} smb_events SEC(".maps");

/*
 * cifs types live in the module's BTF, not in vmlinux.h; the ___aod flavor
 * keeps these local definitions from clashing with a vmlinux.h built on a
 * kernel with cifs built in, and CO-RE matches them to "mid_q_entry".
 */
struct mid_q_entry___aod {
	struct kref refcount;
	__u64 mid;
	int mid_state;
	__u16 command;		/* __le16 on the wire and in the struct */
	void *resp_buf;
} __attribute__((preserve_access_index));

/* mid_state values (cifsglob.h, unchanged from 6.1 to today) */
#define MID_REQUEST_SUBMITTED 2
#define MID_RESPONSE_RECEIVED 4
#define MID_RETRY_NEEDED 8
#define MID_RESPONSE_MALFORMED 0x10
#define MID_SHUTDOWN 0x20
#define MID_RESPONSE_READY 0x40

/*
 * SMB2 header (MS-SMB2 2.2.1): a wire format, so fixed offsets are exact on
 * every kernel.  Status @8, Command @12, TreeId @36 (sync form), SessionId @40.
 */
#define SMB2_HDR_STATUS 8
#define SMB2_HDR_TREEID 36
#define SMB2_HDR_SESSIONID 40

#define EIO 5
#define EAGAIN 11
#define EHOSTDOWN 112
#define ECANCELED 125

static __always_inline __u16 le16(__u16 v)
{
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	return __builtin_bswap16(v);
#else
	return v;
#endif
}

static __always_inline __u32 le32(__u32 v)
{
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	return __builtin_bswap32(v);
#else
	return v;
#endif
}

static __always_inline __u64 le64(__u64 v)
{
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	return __builtin_bswap64(v);
#else
	return v;
#endif
}

static __always_inline void pending_start(struct pending_key *key, __u16 cmd, __u64 sesid, __u32 tree)
{
	struct pending p = {};
	__u64 id = bpf_get_current_pid_tgid();

	p.ts = bpf_ktime_get_ns();
	p.sesid = sesid;
	p.pid = id >> 32;
	p.thread = (__u32)id;
	p.tree = tree;
	p.cmd = cmd;
	bpf_get_current_comm(p.comm, sizeof(p.comm));
	/* An entry already under this key is an enter that never completed. */
	if (bpf_map_lookup_elem(&smb_pending, key))
		__sync_fetch_and_add(&loss.expired, 1);
	if (bpf_map_update_elem(&smb_pending, key, &p, BPF_ANY))
		__sync_fetch_and_add(&loss.map_full, 1);
}

static __always_inline void hist_add(__u16 cmd, __u64 lat_ns, bool err)
{
	modsrc_hist_add(&smb_hist, cmd < AOD_SMB2_NCMD ? cmd : AOD_SMB2_NCMD, lat_ns, err);
}

static __always_inline bool err_tracked(__u16 cmd, __u32 status, __s32 rc)
{
	__u32 i, n;

	if (cmd >= AOD_SMB2_NCMD || !(err_mask & (1u << cmd)))
		return false;
	if (err_all_codes)
		return true;
	n = n_status;
	for (i = 0; i < SMB_MAX_CODES && i < n; i++)
		if (status && err_status[i] == status)
			return true;
	n = n_errno;
	for (i = 0; i < SMB_MAX_CODES && i < n; i++)
		if (rc && err_errno[i] == -rc)
			return true;
	return false;
}

static __always_inline void emit(const struct pending *p, __u64 now, __u64 lat, __u64 sesid, __u64 mid,
				 __u16 flags, __u32 status, __s32 rc)
{
	struct aod_ev_smb *e = bpf_ringbuf_reserve(&smb_events, sizeof(*e), 0);

	if (!e) {
		__sync_fetch_and_add(&loss.ringbuf_full, 1);
		return;
	}
	e->h.kind = AOD_EV_SMB;
	e->h.size = sizeof(*e);
	e->h.cpu = bpf_get_smp_processor_id();
	e->h.ts_ns = now;
	e->h.pid = p->pid;
	e->h.tid = p->thread;
	__builtin_memcpy(e->h.comm, p->comm, AOD_COMM_LEN);
	e->sesid = sesid;
	e->mid = mid;
	e->latency_ns = lat;
	e->tid = p->tree;
	e->cmd = p->cmd;
	e->flags = flags;
	e->status = status;
	e->rc = rc;
	bpf_ringbuf_submit(e, 0);
}

/*
 * One completion: histogram for every command, ring buffer only for what
 * detection needs.  `err` says the request failed (status or rc set).
 */
static __always_inline void pending_finish(const struct pending_key *key, __u64 sesid, __u64 mid,
					   bool err, __u32 status, __s32 rc)
{
	struct pending *pp = bpf_map_lookup_elem(&smb_pending, key);
	struct pending p;
	__u64 now, lat;
	__u16 flags = 0;
	bool tracked;

	if (!pp) {
		__sync_fetch_and_add(&unmatched, 1);
		return;
	}
	p = *pp;
	bpf_map_delete_elem(&smb_pending, key);
	now = bpf_ktime_get_ns();
	lat = now - p.ts;
	if (lat > max_age_ns) {
		/* a recycled key: the old enter never completed */
		__sync_fetch_and_add(&loss.expired, 1);
		return;
	}
	hist_add(p.cmd, lat, err);
	if (err && err_tracked(p.cmd, status, rc))
		flags |= AOD_SMB_ERR;
	tracked = p.cmd < AOD_SMB2_NCMD && (lat_mask & (1u << p.cmd));
	if (tracked && lat >= thr_ns[p.cmd])
		flags |= AOD_SMB_OVER;
	/* the 1 s emergency fires even where a threshold was set higher */
	if (!flags && !(tracked && lat >= emergency_ns))
		return;
	emit(&p, now, lat, sesid ? sesid : p.sesid, mid, flags, status, rc);
}

/* ---- tracepoints ---- */

static __always_inline int tp_enter(__u32 tree, __u64 sesid, __u16 cmd, __u64 mid)
{
	struct pending_key key = { .a = sesid, .mid = mid };

	pending_start(&key, cmd, sesid, tree);
	return 0;
}

static __always_inline int tp_finish(__u64 sesid, __u16 cmd, __u64 mid, __u32 status, __s32 rc)
{
	struct pending_key key = { .a = sesid, .mid = mid };
	bool err = status || rc;

	/* Every successful setup answers MORE_PROCESSING_REQUIRED once. */
	if (cmd == SMB2_SESSION_SETUP && status == AOD_NT_STATUS_MORE_PROCESSING_REQUIRED)
		err = false, status = 0, rc = 0;
	if (cmd == SMB2_SESSION_SETUP && sesid && !bpf_map_lookup_elem(&smb_pending, &key))
		key.a = 0;
	pending_finish(&key, sesid, mid, err, status, rc);
	return 0;
}

SEC("?tp_btf/smb3_cmd_enter")
int BPF_PROG(smb_btf_enter, __u32 tid, __u64 sesid, __u16 cmd, __u64 mid)
{
	return tp_enter(tid, sesid, cmd, mid);
}

SEC("?tp_btf/smb3_cmd_done")
int BPF_PROG(smb_btf_done, __u32 tid, __u64 sesid, __u16 cmd, __u64 mid)
{
	return tp_finish(sesid, cmd, mid, 0, 0);
}

SEC("?tp_btf/smb3_cmd_err")
int BPF_PROG(smb_btf_err, __u32 tid, __u64 sesid, __u16 cmd, __u64 mid, __u32 status, int rc)
{
	return tp_finish(sesid, cmd, mid, status, rc);
}

/*
 * raw_tp: the context is the u64 argument array in TP_PROTO order; the
 * kernel rejects the attach if a program reads past the tracepoint's last
 * argument, so enter/done read four slots and err six.
 */
SEC("?raw_tp/smb3_cmd_enter")
int BPF_PROG(smb_raw_enter, __u32 tid, __u64 sesid, __u16 cmd, __u64 mid)
{
	return tp_enter(tid, sesid, cmd, mid);
}

SEC("?raw_tp/smb3_cmd_done")
int BPF_PROG(smb_raw_done, __u32 tid, __u64 sesid, __u16 cmd, __u64 mid)
{
	return tp_finish(sesid, cmd, mid, 0, 0);
}

SEC("?raw_tp/smb3_cmd_err")
int BPF_PROG(smb_raw_err, __u32 tid, __u64 sesid, __u16 cmd, __u64 mid, __u32 status, int rc)
{
	return tp_finish(sesid, cmd, mid, status, rc);
}

/* ---- the connection: lost, expired, reconnecting, connected (tracepoints only) ---- */

/*
 * TP_PROTO in fs/cifs/trace.h of 6.1 (fs/smb/client/trace.h today):
 *   smb3_reconnect(__u64 currmid, __u64 conn_id, char *hostname): cifs marks
 *     the connection for reconnect (cifs_tcp_ses_needs_reconnect), once per outage
 *   smb3_ses_expired(__u32 tid, __u64 sesid, __u16 cmd, __u64 mid): the server
 *     answered STATUS_NETWORK_SESSION_EXPIRED or USER_SESSION_DELETED
 *   smb3_connect_err(char *hostname, __u64 conn_id, const struct
 *     __kernel_sockaddr_storage *dst_addr, int rc): a connect attempt failed
 *   smb3_connect_done(hostname, conn_id, dst_addr): connected
 */
static __always_inline void reconn_emit(__u16 what, __u64 conn_id, const char *host, const void *addr,
					__s32 rc, __u16 cmd)
{
	struct aod_ev_reconnect *e = modsrc_reconn_start(&smb_events, &loss, AOD_STALL_SMB, what, conn_id, addr, host);

	if (!e)
		return;
	e->rc = rc;
	e->proc = cmd;
	bpf_ringbuf_submit(e, 0);
}

SEC("?tp_btf/smb3_reconnect")
int BPF_PROG(smb_btf_reconnect, __u64 currmid, __u64 conn_id, char *hostname)
{
	reconn_emit(AOD_RECONN_SMB_RECONNECT, conn_id, hostname, 0, 0, 0);
	return 0;
}

SEC("?tp_btf/smb3_ses_expired")
int BPF_PROG(smb_btf_ses_expired, __u32 tid, __u64 sesid, __u16 cmd, __u64 mid)
{
	reconn_emit(AOD_RECONN_SMB_SES_EXPIRED, sesid, 0, 0, 0, cmd);
	return 0;
}

SEC("?tp_btf/smb3_connect_err")
int BPF_PROG(smb_btf_connect_err, char *hostname, __u64 conn_id, const void *dst, int rc)
{
	reconn_emit(AOD_RECONN_SMB_CONNECT_ERR, conn_id, hostname, dst, rc, 0);
	return 0;
}

SEC("?tp_btf/smb3_connect_done")
int BPF_PROG(smb_btf_connect_done, char *hostname, __u64 conn_id, const void *dst)
{
	reconn_emit(AOD_RECONN_SMB_CONNECTED, conn_id, hostname, dst, 0, 0);
	return 0;
}

SEC("?raw_tp/smb3_reconnect")
int BPF_PROG(smb_raw_reconnect, __u64 currmid, __u64 conn_id, char *hostname)
{
	reconn_emit(AOD_RECONN_SMB_RECONNECT, conn_id, hostname, 0, 0, 0);
	return 0;
}

SEC("?raw_tp/smb3_ses_expired")
int BPF_PROG(smb_raw_ses_expired, __u32 tid, __u64 sesid, __u16 cmd, __u64 mid)
{
	reconn_emit(AOD_RECONN_SMB_SES_EXPIRED, sesid, 0, 0, 0, cmd);
	return 0;
}

SEC("?raw_tp/smb3_connect_err")
int BPF_PROG(smb_raw_connect_err, char *hostname, __u64 conn_id, const void *dst, int rc)
{
	reconn_emit(AOD_RECONN_SMB_CONNECT_ERR, conn_id, hostname, dst, rc, 0);
	return 0;
}

SEC("?raw_tp/smb3_connect_done")
int BPF_PROG(smb_raw_connect_done, char *hostname, __u64 conn_id, const void *dst)
{
	reconn_emit(AOD_RECONN_SMB_CONNECTED, conn_id, hostname, dst, 0, 0);
	return 0;
}

/* ---- mid allocation / release ---- */

static __always_inline void mid_alloc(struct mid_q_entry___aod *m, const void *shdr)
{
	struct pending_key key = { .a = (__u64)m };
	__u64 sesid = 0;
	__u32 tree = 0;

	if (!m)
		return;
	key.mid = BPF_CORE_READ(m, mid);
	if (shdr) {
		bpf_probe_read_kernel(&sesid, sizeof(sesid), shdr + SMB2_HDR_SESSIONID);
		bpf_probe_read_kernel(&tree, sizeof(tree), shdr + SMB2_HDR_TREEID);
	}
	pending_start(&key, le16(BPF_CORE_READ(m, command)), le64(sesid), le32(tree));
}

/*
 * At release the mid's state says how the request ended.  The NT status is
 * only readable when the response buffer is still attached (async
 * callbacks: reads, writes, echo); synchronous callers take the buffer
 * (resp_buf = NULL) before they release, and then only mid_state is known.
 * The rc mirrors cifs_sync_mid_result's mapping.
 */
static __always_inline void mid_release(struct mid_q_entry___aod *m)
{
	struct pending_key key = { .a = (__u64)m };
	__u32 status = 0;
	__s32 rc = 0;
	void *resp;
	__u16 cmd;
	int state;

	if (!m)
		return;
	key.mid = BPF_CORE_READ(m, mid);
	state = BPF_CORE_READ(m, mid_state);
	resp = BPF_CORE_READ(m, resp_buf);
	cmd = le16(BPF_CORE_READ(m, command));
	if (resp)
		bpf_probe_read_kernel(&status, sizeof(status), resp + SMB2_HDR_STATUS);
	status = le32(status);
	if (cmd == SMB2_SESSION_SETUP && status == AOD_NT_STATUS_MORE_PROCESSING_REQUIRED)
		status = 0;
	switch (state) {
	case MID_RESPONSE_RECEIVED:
	case MID_RESPONSE_READY:
		break;
	case MID_RETRY_NEEDED:
		rc = -EAGAIN;
		break;
	case MID_RESPONSE_MALFORMED:
		rc = -EIO;
		break;
	case MID_SHUTDOWN:
		rc = -EHOSTDOWN;
		break;
	default:
		/* released while still submitted: cancelled or timed out */
		rc = -ECANCELED;
		break;
	}
	pending_finish(&key, 0, key.mid, status || rc, status, rc);
}

/* container_of(refcount, struct mid_q_entry, refcount), offset relocated by CO-RE */
static __always_inline struct mid_q_entry___aod *mid_from_kref(void *kref)
{
	if (!kref)
		return 0;
	return (void *)((char *)kref - bpf_core_field_offset(struct mid_q_entry___aod, refcount));
}

SEC("?fexit/smb2_mid_entry_alloc")
int BPF_PROG(smb_fexit_alloc, const void *shdr, void *server, struct mid_q_entry___aod *ret)
{
	mid_alloc(ret, shdr);
	return 0;
}

/* up to 6.18: void __release_mid(struct kref *refcount) */
SEC("?fentry/__release_mid")
int BPF_PROG(smb_fentry_release_kref, void *refcount)
{
	mid_release(mid_from_kref(refcount));
	return 0;
}

/* 6.19+: void __release_mid(struct TCP_Server_Info *server, struct mid_q_entry *midEntry) */
SEC("?fentry/__release_mid")
int BPF_PROG(smb_fentry_release_mid, void *server, struct mid_q_entry___aod *mid)
{
	mid_release(mid);
	return 0;
}

SEC("?kprobe/smb2_mid_entry_alloc")
int BPF_KPROBE(smb_kprobe_alloc, const void *shdr)
{
	__u64 id = bpf_get_current_pid_tgid(), p = (__u64)shdr;

	if (bpf_map_update_elem(&smb_alloc_args, &id, &p, BPF_ANY))
		__sync_fetch_and_add(&loss.map_full, 1);
	return 0;
}

SEC("?kretprobe/smb2_mid_entry_alloc")
int BPF_KRETPROBE(smb_kretprobe_alloc, struct mid_q_entry___aod *ret)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u64 *shdr = bpf_map_lookup_elem(&smb_alloc_args, &id);

	mid_alloc(ret, shdr ? (const void *)*shdr : 0);
	if (shdr)
		bpf_map_delete_elem(&smb_alloc_args, &id);
	return 0;
}

SEC("?kprobe/__release_mid")
int BPF_KPROBE(smb_kprobe_release_kref, void *refcount)
{
	mid_release(mid_from_kref(refcount));
	return 0;
}

SEC("?kprobe/__release_mid")
int BPF_KPROBE(smb_kprobe_release_mid, void *server, struct mid_q_entry___aod *mid)
{
	mid_release(mid);
	return 0;
}

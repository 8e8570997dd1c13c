/* SPDX-License-Identifier: GPL-2.0-only */
/* Every record that crosses a BPF ring buffer, and the on-disk record stream of `aod run --record`. */
#ifndef AOD_EVENTS_H
#define AOD_EVENTS_H

/*
 * Included by BPF programs (after vmlinux.h, which defines __u8.. __u64) and by
 * userspace (after <linux/types.h>).  Fixed-width types only, no pointers, every
 * record starts with struct aod_ev_hdr so one consumer can dispatch on kind.
 */

#define AOD_COMM_LEN 16

enum aod_ev_kind {
	AOD_EV_SMB = 1,		/* one completed (or failed) SMB2 command */
	AOD_EV_NFS = 2,		/* one completed NFS RPC (latency), or an NFS status error */
	AOD_EV_STALL = 3,	/* a request still pending after stall_ms (userspace scan of a pending map) */
	AOD_EV_RECONNECT = 4,	/* the SMB or NFS client reported a connection lost, a reconnect or a resend */
	AOD_EV_SCHED = 10,	/* run-queue latency over the floor */
	AOD_EV_BIO = 11,	/* block request latency over the floor */
	AOD_EV_VFS = 12,	/* vfs read/write latency over the floor */
	AOD_EV_OOM = 13,	/* OOM victim chosen */
	AOD_EV_TCP_RETRANS = 14,
	AOD_EV_DROP = 15,
	AOD_EV_FAULT = 16,
	AOD_EV_KMSG = 17,	/* a kernel log line matched a pattern (userspace source) */
	AOD_EV_SOCKCONN = 20,	/* a TCP connection to the SMB or NFS port changed state (sockconn) */
	AOD_EV_IOERR = 21,	/* a VFS operation failed (io.error) */
};

struct aod_ev_hdr {
	__u16 kind;		/* enum aod_ev_kind */
	__u16 size;		/* whole record, header included */
	__u32 cpu;
	__u64 ts_ns;		/* CLOCK_MONOTONIC (bpf_ktime_get_ns) at completion */
	__u32 pid;		/* tgid */
	__u32 tid;
	char comm[AOD_COMM_LEN];
};

/* SMB2 command ids, as on the wire (MS-SMB2 2.2.1). */
#define AOD_SMB2_NCMD 20

/* SESSION_SETUP answers this once in every successful setup; never an error. */
#define AOD_NT_STATUS_MORE_PROCESSING_REQUIRED 0xC0000016u

enum aod_smb_flags {
	AOD_SMB_ERR = 1 << 0,		/* came from smb3_cmd_err / non-zero status */
	AOD_SMB_OVER = 1 << 1,		/* latency at or over the command's threshold */
};

struct aod_ev_smb {
	struct aod_ev_hdr h;
	__u64 sesid;
	__u64 mid;
	__u64 latency_ns;
	__u32 tid;		/* SMB tree id */
	__u16 cmd;		/* SMB2 command id, 0..AOD_SMB2_NCMD-1 */
	__u16 flags;		/* enum aod_smb_flags */
	__u32 status;		/* NT status, 0 on success */
	__s32 rc;		/* negative errno from the client, 0 on success */
};

/*
 * NFS (sunrpc client).  One record per completed NFS RPC, from sunrpc's
 * rpc_stats_latency, or per NFS status error, from nfs4_xdr_status /
 * nfs_xdr_status (AOD_NFS_ERR).  The header's pid is the task that owns the
 * RPC (tk_owner), not the rpciod worker that completed it.
 *
 * Units, named because AODv2 mixed them up: `proc` is the client's procedure
 * index (rpc_procinfo.p_statidx): for NFSv4 the NFSPROC4_CLNT_* index 0..68,
 * for NFSv3 the procedure number 0..21.  `op` is the NFSv4 *operation* number
 * (OP_READ = 25 ...) that an nfs4_xdr_status error names, AOD_NFS_NO_OP otherwise.
 */
#define AOD_NFS_NO_OP 0xffff

enum aod_nfs_flags {
	AOD_NFS_ERR = 1 << 0,		/* an NFS status error (nfs_status set), not a latency record */
	AOD_NFS_OVER = 1 << 1,		/* latency at or over the procedure's threshold */
	AOD_NFS_SPLIT = 1 << 2,		/* queue_ns/rtt_ns are valid (rpc_stats_latency gave them) */
};

struct aod_ev_nfs {
	struct aod_ev_hdr h;
	__u64 latency_ns;	/* task start to completion (rpc_stats_latency's execute) */
	__u64 queue_ns;		/* task start to first transmit: queued on the client (backlog) */
	__u64 rtt_ns;		/* transmit to reply: network plus server */
	__u32 xid;
	__u32 prog;		/* RPC program, 100003 for NFS */
	__u16 vers;		/* 3 or 4 */
	__u16 proc;		/* client procedure index, see above */
	__u16 op;		/* NFSv4 operation number of an error, or AOD_NFS_NO_OP */
	__u16 flags;		/* enum aod_nfs_flags */
	__s32 rpc_status;	/* tk_status: negative errno, 0 on success */
	__u32 nfs_status;	/* NFS4ERR_* / NFS3ERR_* value of an error record, 0 otherwise */
	__u32 client_id;	/* rpc_clnt cl_clid: which server (joined with /sys/kernel/sunrpc) */
	/* The mount's superblock s_dev, as the kernel encodes it (major << 20 | minor; mountinfo's major:minor);
	 * 0 not known: no superblock has the RPC's client (NFSv4 lease/session RPCs, a mount's first RPCs before
	 * its superblock exists), the kernel lists no data in kallsyms, or a recording of aod before this field. */
	__u32 dev;
};

/*
 * A stalled request, from the userspace scan of a protocol's pending map on
 * each watch interval (src/modsrc.c): the oldest request pending longer than
 * stall_ms, sent once when a request newly crosses stall_ms.  The header's
 * ts_ns is the scan time, pid/tid/comm the process that sent the request.
 */
enum aod_stall_proto { AOD_STALL_SMB = 0, AOD_STALL_NFS = 1 };	/* as enum names_proto */

/* aod before the server name wrote 80-byte stall records: they stay readable, without `host`. */
#define AOD_EV_STALL_MIN_SIZE 80
#define AOD_STALL_HOST_LEN 48

struct aod_ev_stall {
	struct aod_ev_hdr h;
	__u64 age_ns;		/* pending this long at the scan */
	__u64 sesid;		/* SMB session id; 0 for NFS */
	__u64 mid;		/* SMB message id; NFS xid */
	__u32 tree;		/* SMB tree id; NFS client id (cl_clid) */
	__u32 count;		/* requests of the protocol pending longer than stall_ms at the scan */
	__u16 proto;		/* enum aod_stall_proto */
	__u16 cmd;		/* SMB2 command id, or NFS procedure index */
	__u16 vers;		/* NFS version; 0 for SMB */
	__u16 pad;
	char host[AOD_STALL_HOST_LEN];	/* NFS: the server's address as sunrpc names it; empty for SMB */
};

/*
 * What a client said about its connection to the server, from its own tracepoints (cifs: smb3_*,
 * sunrpc: xprt_* and rpc_socket_*).  Detection counts the losses (AOD_RECONN_LOSS_MASK) once per
 * outage of a connection: a loss on a connection already down (the kernel retries every few
 * seconds and says so each time) is context, and a connect that succeeded ends the outage.
 * pid/comm are whoever ran (often cifsd or an rpciod worker), not the waiting reader.
 */
enum aod_reconn_what {
	AOD_RECONN_SMB_RECONNECT = 0,	/* cifs:smb3_reconnect: the connection was lost, cifs reconnects */
	AOD_RECONN_SMB_SES_EXPIRED = 1,	/* cifs:smb3_ses_expired: the server expired the session (conn_id = sesid) */
	AOD_RECONN_SMB_CONNECT_ERR = 2,	/* cifs:smb3_connect_err: a (re)connect attempt failed with rc */
	AOD_RECONN_SMB_CONNECTED = 3,	/* cifs:smb3_connect_done: connected (a mount, or the end of an outage) */
	AOD_RECONN_NFS_DISCONNECT = 4,	/* sunrpc:xprt_disconnect_force: the transport closed; a loss only with RPCs waiting */
	AOD_RECONN_NFS_CONNECTED = 5,	/* sunrpc:rpc_socket_state_change to ESTABLISHED */
	AOD_RECONN_NFS_RETRANSMIT = 6,	/* sunrpc:xprt_retransmit: a request sent again (xid, proc) */
	AOD_RECONN_NWHAT
};

/* The kinds that count as a reconnect; AOD_RECONN_SMB_SES_EXPIRED counts every time (no connect ends it). */
#define AOD_RECONN_LOSS_MASK ((1u << AOD_RECONN_SMB_RECONNECT) | (1u << AOD_RECONN_SMB_SES_EXPIRED) | \
			      (1u << AOD_RECONN_NFS_DISCONNECT))
#define AOD_RECONN_UP_MASK ((1u << AOD_RECONN_SMB_CONNECTED) | (1u << AOD_RECONN_NFS_CONNECTED))
#define AOD_RECONN_HOST_LEN 48

struct aod_ev_reconnect {
	struct aod_ev_hdr h;
	__u64 conn_id;		/* SMB: the server connection's conn_id (ses_expired: the session id); NFS: the transport, opaque */
	__s32 rc;		/* connect_err: its -errno; 0 otherwise */
	__u32 xid;		/* NFS retransmit: the request's xid; 0 otherwise */
	__u16 proto;		/* enum aod_stall_proto */
	__u16 what;		/* enum aod_reconn_what */
	__u16 port;		/* the server's port, host order; 0 unknown */
	__u16 proc;		/* NFS retransmit: procedure index (vers in `vers`); SMB ses_expired: command */
	__u16 vers;		/* NFS retransmit: 3 or 4; 0 otherwise */
	__u16 waiting;		/* NFS disconnect: RPCs in flight on the transport (userspace counts them) */
	__u16 pad[2];
	char host[AOD_RECONN_HOST_LEN];	/* the server as the client names it (SMB hostname, NFS address); may be empty */
};

/* Counters every family keeps in a BPF global: what it could not deliver. */
struct aod_loss {
	__u64 ringbuf_full;
	__u64 map_full;
	__u64 expired;		/* pending entries aged out (an enter with no done) */
};

/* ---- health families (bpf/sched, block, vfs, net, mm .bpf.c; kmsg from userspace) ---- */

/* Run-queue latency: the header names the task that waited (pid/tid/comm) and the CPU it ran on. */
struct aod_ev_sched {
	struct aod_ev_hdr h;
	__u64 latency_ns;	/* wakeup (or preemption) to running */
	__u32 prev_pid;		/* task that was switched out for it */
	__u32 prio;
	char prev_comm[AOD_COMM_LEN];
};

enum aod_bio_op { AOD_BIO_READ, AOD_BIO_WRITE, AOD_BIO_FLUSH, AOD_BIO_DISCARD, AOD_BIO_OTHER };

/* Block request latency, issue to complete; the header names the task that issued it. */
struct aod_ev_bio {
	struct aod_ev_hdr h;
	__u64 latency_ns;
	__u64 sector;
	__u32 bytes;
	__u32 major;
	__u32 minor;
	__u8 op;		/* enum aod_bio_op */
	__u8 pad;
	__s16 error;		/* blk_status_t / -errno from completion, 0 on success */
};

enum aod_vfs_op { AOD_VFS_READ, AOD_VFS_WRITE };
enum aod_vfs_method {
	AOD_VFS_M_VFS = 0,	/* vfs_read/vfs_write themselves (fentry/fexit or kprobes) */
	AOD_VFS_M_SYSCALL = 1,	/* the read/write syscall family, enter to exit */
};

struct aod_ev_vfs {
	struct aod_ev_hdr h;
	__u64 latency_ns;
	__s64 bytes;		/* return value: bytes moved or -errno */
	__u8 op;		/* enum aod_vfs_op */
	__u8 method;		/* enum aod_vfs_method */
	__u16 syscall_nr;	/* with AOD_VFS_M_SYSCALL: which syscall, else 0 */
	__u8 ftype;		/* file type (S_IFMT >> 12: 1 fifo, 2 chr, 4 dir, 6 blk, 8 reg, 12 sock), 0 unknown */
	__u8 pad[3];
};

/* OOM victim: the header is the task that triggered the kill (current), the victim is separate. */
struct aod_ev_oom {
	struct aod_ev_hdr h;
	__u32 victim_pid;	/* tgid */
	__u32 victim_uid;
	char victim_comm[AOD_COMM_LEN];
	__u64 total_vm_kb;
	__u64 anon_rss_kb;
	__u64 file_rss_kb;
	__u64 shmem_rss_kb;
	__s16 oom_score_adj;
	__u16 pad[3];
};

/*
 * A TCP connection's two ends, as the tcp retransmit and sockconn records carry them (38 bytes, no
 * padding). AOD_CONN_ENDS puts them in a record so that both e->saddr and e->ends (the whole, for
 * the code that copies, compares or prints them once for every kind) name them.
 */
#define AOD_CONN_ENDS_FIELDS                                                              \
	__u8 saddr[16];		/* IPv4 in the first 4 bytes, network order */            \
	__u8 daddr[16];                                                                   \
	__u16 family;		/* AF_INET / AF_INET6 */                                  \
	__u16 sport;		/* host order */                                          \
	__u16 dport;
struct aod_conn_ends {
	AOD_CONN_ENDS_FIELDS
};
_Static_assert(sizeof(struct aod_conn_ends) == 38, "compared and copied whole: no padding");
#define AOD_CONN_ENDS                       \
	union {                             \
		struct {                    \
			AOD_CONN_ENDS_FIELDS \
		};                          \
		struct aod_conn_ends ends;  \
	}

struct aod_ev_tcp {
	struct aod_ev_hdr h;
	AOD_CONN_ENDS;
	__u8 state;		/* TCP_ESTABLISHED ... as in include/net/tcp_states.h */
	__u8 pad;
};

/* A real packet drop (SKB_NOT_DROPPED_YET and SKB_CONSUMED are not sent). */
#define AOD_DROP_REASON_UNKNOWN 0xffffffffu	/* kernels before 5.17 give no reason */
struct aod_ev_drop {
	struct aod_ev_hdr h;
	__u64 location;		/* kernel text address that dropped it */
	__u32 reason;		/* enum skb_drop_reason of the running kernel; names come from its BTF */
	__u16 protocol;		/* ETH_P_*, host order */
	__u16 pad;
};

enum aod_fault_method {
	AOD_FAULT_M_FEXIT = 0,	/* one record per major fault, address set */
	AOD_FAULT_M_VMSTAT = 1,	/* one record per second with the pgmajfault delta, header pid 0 */
};

struct aod_ev_fault {
	struct aod_ev_hdr h;
	__u64 address;
	__u64 count;		/* 1 for fexit, the delta for vmstat */
	__u8 method;		/* enum aod_fault_method */
	__u8 pad[7];
};

#define AOD_KMSG_TEXT 200

/* A /dev/kmsg record that matched a pattern; header pid 0, ts_ns from the record's own clock. */
struct aod_ev_kmsg {
	struct aod_ev_hdr h;
	__u64 seq;		/* the kernel's record sequence number */
	__u16 pattern;		/* built-in index, then user patterns after them */
	__u8 level;		/* syslog level 0..7 */
	__u8 facility;
	char text[AOD_KMSG_TEXT];	/* NUL-terminated, truncated */
};

enum aod_sockconn_method {
	AOD_SOCKCONN_M_BPF = 0,		/* sock:inet_sock_set_state, as it happened */
	AOD_SOCKCONN_M_PROC = 1,	/* a /proc/net/tcp{,6} snapshot diff: old or new state is CLOSE for "not listed" */
};

/*
 * A connection of the kernel's clients to the SMB (445) or NFS (2049) port came, went or failed:
 * the remote port is the watched one (dport), so the host's own servers on those ports are not
 * watched. pid/comm are whoever ran when the state changed (often softirq context: pid 0).
 */
struct aod_ev_sockconn {
	struct aod_ev_hdr h;
	AOD_CONN_ENDS;
	__u8 oldstate;		/* TCP_ESTABLISHED ... as in include/net/tcp_states.h */
	__u8 newstate;
	__u8 proto;		/* 0 SMB, 1 NFS (enum names_proto) */
	__u8 method;		/* enum aod_sockconn_method */
	__u8 pad[6];
};

/*
 * io.error: the io operations, in the order and with the names of src/names.c's io space (the
 * config's track_commands); a record's op is one of these.
 */
enum aod_io_op {
	AOD_IO_OPEN, AOD_IO_READ, AOD_IO_WRITE, AOD_IO_FSYNC, AOD_IO_FDATASYNC, AOD_IO_CLOSE, AOD_IO_TRUNCATE,
	AOD_IO_RENAME, AOD_IO_UNLINK, AOD_IO_MKDIR, AOD_IO_RMDIR, AOD_IO_LINK, AOD_IO_SYMLINK, AOD_IO_READDIR,
	AOD_IO_STAT, AOD_IO_SETATTR, AOD_IO_NOPS
};

enum aod_ioerr_method {
	AOD_IOERR_M_VFS = 0,		/* fexit on the vfs function (do_filp_open, vfs_read, ...) */
	AOD_IOERR_M_SYSCALL = 1,	/* the syscall's exit (raw_syscalls:sys_exit) */
};

/* A failed VFS operation: the header names the task that got the error. */
struct aod_ev_ioerr {
	struct aod_ev_hdr h;
	__u64 ino;		/* the file's inode number, 0 when not known (open and the path operations) */
	__s32 err;		/* the errno, positive (ENOSPC = 28) */
	__s32 fd;		/* the fd the syscall was given, -1 when it takes none or at vfs level */
	__u16 op;		/* enum aod_io_op */
	__u16 syscall_nr;	/* with AOD_IOERR_M_SYSCALL: which syscall (this architecture's number), else 0 */
	__u8 method;		/* enum aod_ioerr_method */
	__u8 pad[3];
};

#endif /* AOD_EVENTS_H */

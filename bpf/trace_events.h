/* SPDX-License-Identifier: GPL-2.0-only */
/* Records and settings shared by bpf/trace.bpf.c and src/trace.c (`aod trace` only). */
#ifndef AOD_TRACE_EVENTS_H
#define AOD_TRACE_EVENTS_H

/*
 * Included after vmlinux.h (BPF) or <linux/types.h> (userspace), and after
 * events.h: every record starts with struct tr_hdr, whose first member is the
 * daemon's struct aod_ev_hdr, so one consumer can dispatch on h.kind.  Kinds
 * start at 100 to stay clear of enum aod_ev_kind.
 */

#define TR_PATH_LEN 256		/* one path as copied from user memory */
#define TR_ARGV_LEN 1024	/* exec argv, NUL-separated */
#define TR_ARG_MAX 256		/* one argv element, at most */
#define TR_ARGC_MAX 20
#define TR_NR_MAX 512		/* syscall numbers the dispatch table covers */
#define TR_HIST_SLOTS 32	/* log2 run-queue latency histogram, us */
#define TR_RINGBUF_BYTES (4u << 20)

/* Capabilities, as bits of a mask and as indices of per-capability counters. */
enum tr_cap {
	TR_CAP_SYSCALL,
	TR_CAP_NETWORK,
	TR_CAP_PROCESS,
	TR_CAP_FILE,
	TR_CAP_PERF,
	TR_CAP_SECURITY,
	TR_NCAPS
};

enum tr_kind {
	TR_EV_SYSCALL = 100,
	TR_EV_CONNECT,
	TR_EV_ACCEPT,
	TR_EV_SENDRECV,
	TR_EV_TCP_STATE,
	TR_EV_RETRANSMIT,
	TR_EV_EXEC,
	TR_EV_FORK,
	TR_EV_EXIT,
	TR_EV_FILE,
	TR_EV_SECURITY,
	TR_EV_SUID_EXEC,
	TR_EV_LAST
};

/* What a syscall number means to the non-syscall_trace capabilities (rodata table nr_kind). */
enum tr_nk {
	TR_NK_NONE,
	TR_NK_CONNECT,		/* fd, sockaddr *, len */
	TR_NK_ACCEPT,		/* accept, accept4: fd, sockaddr *, int *len */
	TR_NK_SEND,		/* sendto, sendmsg: fd, ... */
	TR_NK_RECV,		/* recvfrom, recvmsg */
	TR_NK_EXECVE,		/* filename, argv */
	TR_NK_EXECVEAT,		/* dfd, filename, argv */
	TR_NK_PATH1,		/* open, creat, unlink, mkdir: path in args[0] */
	TR_NK_AT_PATH1,		/* openat, openat2, unlinkat, mkdirat: dfd, path in args[1] */
	TR_NK_RENAME,		/* rename: old, new */
	TR_NK_RENAMEAT,		/* renameat, renameat2: olddfd, old, newdfd, new */
	TR_NK_SETID,		/* setuid, setgid, setre*, setres*, setfs*, capset */
	TR_NK_PTRACE,
	TR_NK_MODULE,		/* init_module (uargs in args[2]), finit_module (uargs in args[1]) */
	TR_NK_DELMODULE,	/* delete_module: name in args[0] */
	TR_NK_BPF,
	TR_NK_COUNT
};

struct tr_hdr {
	struct aod_ev_hdr h;	/* kind is enum tr_kind; ts_ns is CLOCK_MONOTONIC */
	__u32 uid;
	__u32 gid;
};

struct tr_ev_syscall {
	struct tr_hdr t;
	__s64 ret;
	__u64 dur_ns;
	__u32 nr;
	__u32 noreturn;		/* exit/exit_group: no sys_exit will come */
};

/* Addresses in network byte order; IPv4 in the first 4 bytes; ports in host order. */
struct tr_sockaddr {
	__u16 family;
	__u16 port;
	__u8 addr[16];
};

struct tr_ev_conn {		/* TR_EV_CONNECT, TR_EV_ACCEPT */
	struct tr_hdr t;
	__s64 ret;		/* connect: 0 or -errno; accept: the new fd or -errno */
	__u64 dur_ns;
	__s32 fd;		/* the socket the call was made on */
	__u32 has_peer;
	struct tr_sockaddr peer;
};

struct tr_ev_sendrecv {
	struct tr_hdr t;
	__s64 ret;		/* bytes, or -errno */
	__u32 nr;
	__s32 fd;
	__u32 has_sock;		/* the fd resolved to an inet socket */
	__u16 protocol;
	__u16 pad;
	struct tr_sockaddr local, remote;
};

struct tr_ev_sock {		/* TR_EV_TCP_STATE, TR_EV_RETRANSMIT */
	struct tr_hdr t;
	__s32 oldstate;		/* retransmit: the socket state */
	__s32 newstate;
	struct tr_sockaddr local, remote;
};

struct tr_ev_exec {
	struct tr_hdr t;
	__s64 ret;		/* 0: sched_process_exec fired; <0: execve failed */
	__u32 argc;
	__u32 args_len;		/* bytes used in args */
	__u32 old_pid;
	__u32 truncated;	/* more args than TR_ARGC_MAX or TR_ARGV_LEN */
	char filename[TR_PATH_LEN];
	char args[TR_ARGV_LEN];
};

struct tr_ev_fork {
	struct tr_hdr t;
	__u32 child_pid;
	__u32 child_tid;
	char child_comm[AOD_COMM_LEN];
};

struct tr_ev_exit {
	struct tr_hdr t;
	__u32 exit_code;	/* task->exit_code: status << 8 | signal */
	__u32 pad;
};

struct tr_ev_file {
	struct tr_hdr t;
	__s64 ret;
	__u64 dur_ns;
	__u32 nr;
	__s32 dfd;		/* AT_FDCWD (-100) for the non-at forms */
	__u64 flags;		/* open flags, unlinkat/renameat2 flags, mode for mkdir/creat */
	__u32 mode;
	__u32 pad;
	char path[TR_PATH_LEN];
	char path2[TR_PATH_LEN];	/* rename target */
};

struct tr_ev_security {
	struct tr_hdr t;
	__s64 ret;
	__u64 args[6];
	__u32 nr;
	__u32 has_creds;	/* old/new filled (set*id, capset) */
	__u32 old_ids[4];	/* uid, euid, gid, egid before the call */
	__u32 new_ids[4];	/* after */
	char str[TR_PATH_LEN];	/* init_module/finit_module params, delete_module name */
};

struct tr_ev_suid_exec {
	struct tr_hdr t;
	__u32 mode;		/* i_mode of the executed file */
	__u32 file_uid;
	__u32 file_gid;
	__u32 ids[4];		/* uid, euid, gid, egid after the exec */
	__u32 pad;
	char filename[TR_PATH_LEN];
};

/* Value of the perf_oncpu map, keyed by tgid. */
struct tr_oncpu {
	__u64 ns;
	char comm[AOD_COMM_LEN];
};

/* perf_stats array, one slot each. */
enum tr_stat {
	TR_ST_RUNQ_COUNT,
	TR_ST_RUNQ_SUM_NS,
	TR_ST_BIO_COUNT,
	TR_ST_BIO_BYTES,
	TR_ST_BIO_READ,
	TR_ST_BIO_WRITE,
	TR_ST_BIO_ERRORS,
	TR_ST_FAULTS,
	TR_ST_COUNT
};

#endif /* AOD_TRACE_EVENTS_H */

// SPDX-License-Identifier: GPL-2.0-only
/* `aod trace`: syscall, network, process, file, performance and security-event tracing in one object. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "events.h"
#include "trace_events.h"
#include "sysregs.h"

char LICENSE[] SEC("license") = "GPL";

/*
 * Every program exists twice: tp_btf (needs kernel BTF) and raw_tp (any kernel
 * since 4.17, args read with CO-RE probe reads).  The raw_syscalls pair also has a
 * classic tracepoint form for kernels where neither attaches.  The per-syscall
 * "syscalls:sys_enter_*" tracepoints are not used: they attach only through
 * tracefs, which appliances often leave unmounted; raw_syscalls plus a per-number
 * table (nr_kind) covers every syscall without it.
 */

#define S_IFMT 0170000
#define S_IFSOCK 0140000
#define S_ISUID 04000
#define S_ISGID 02000
#define AF_INET 2
#define AF_INET6 10
#define TASK_RUNNING 0
#define AT_FDCWD -100

/* Settings, written by userspace between open and load. */
const volatile __u32 self_pid;			/* aod itself: never traced */
const volatile __u32 filt_pid;			/* 0: any; else this tgid and what it forks */
const volatile __u32 filt_comm_len;		/* 0: any; else bytes to compare, NUL included */
const volatile char filt_comm[AOD_COMM_LEN];
const volatile __u32 prefix_len;		/* file_trace path prefix, 0: any */
const volatile char path_prefix[TR_PATH_LEN];
const volatile __u32 caps;			/* bit per enum tr_cap */
const volatile __u8 nr_kind[TR_NR_MAX];		/* enum tr_nk per syscall number */
/* The few syscalls told apart inside one kind: numbers differ per architecture, so userspace sets them. */
const volatile __u32 nr_exit, nr_exit_group, nr_execveat, nr_renameat2, nr_finit_module;

/* What could not be delivered, per capability: userspace reports both. */
__u64 drops[TR_NCAPS];
__u64 map_full[TR_NCAPS];

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, TR_RINGBUF_BYTES);
} events SEC(".maps");

/* Processes the pid filter follows: the target, then every child forked while tracing. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, __u32);
	__type(value, __u8);
} follow SEC(".maps");

struct sc_start { __u64 ts; __u32 nr; __u32 pad; };

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);		/* tid */
	__type(value, struct sc_start);
} sc_start SEC(".maps");

/* A thread is inside one syscall at a time, so pending records are keyed by tid. */
struct conn_pending { struct tr_ev_conn e; __u64 uaddr; __u32 kind; __u32 pad; };

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct conn_pending);
} pend_conn SEC(".maps");

/* The user pointers stay here, out of the record: a path in a page not yet faulted in
 * reads as "" at enter (BPF cannot fault), and is read again at exit, after the kernel's
 * own getname() brought it in. */
struct file_pending { struct tr_ev_file e; __u64 p1, p2; };

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 2048);
	__type(key, __u32);
	__type(value, struct file_pending);
} pend_file SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, struct tr_ev_security);
} pend_sec SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, struct tr_ev_exec);
} pend_exec SEC(".maps");

/* Records too big for the 512-byte stack are built here first. */
union scratch {
	struct conn_pending conn;
	struct file_pending file;
	struct tr_ev_security sec;
	struct tr_ev_exec exec;
	struct tr_ev_sendrecv sr;
	struct tr_ev_suid_exec suid;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, union scratch);
} scratch SEC(".maps");

/* performance: drained by userspace once a second. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u32);		/* tgid */
	__type(value, struct tr_oncpu);
} perf_oncpu SEC(".maps");

/* Missing an entry here loses one sample, not a record, so LRU is right. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);		/* tid */
	__type(value, __u64);
} perf_start SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, __u64);
} perf_wake SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, TR_HIST_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} perf_hist SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, TR_ST_COUNT);
	__type(key, __u32);
	__type(value, __u64);
} perf_stats SEC(".maps");

static __always_inline bool cap_on(int cap) { return caps & (1u << cap); }

static __always_inline void count(__u64 *arr, int cap)
{
	if (cap >= 0 && cap < TR_NCAPS)
		__sync_fetch_and_add(&arr[cap], 1);
}

static __always_inline bool pid_ok(__u32 tgid)
{
	if (tgid == self_pid)
		return false;
	return !filt_pid || bpf_map_lookup_elem(&follow, &tgid);
}

static __always_inline bool comm_ok(void)
{
	char c[AOD_COMM_LEN];
	int i;

	if (!filt_comm_len)
		return true;
	bpf_get_current_comm(c, sizeof(c));
	for (i = 0; i < AOD_COMM_LEN; i++) {
		if (i >= filt_comm_len)
			break;
		if (c[i] != filt_comm[i])
			return false;
	}
	return true;
}

static __always_inline bool task_ok(void)
{
	return pid_ok(bpf_get_current_pid_tgid() >> 32) && comm_ok();
}

static __always_inline void fill_hdr(struct tr_hdr *t, __u16 kind, __u16 size)
{
	__u64 id = bpf_get_current_pid_tgid(), ug = bpf_get_current_uid_gid();

	t->h.kind = kind;
	t->h.size = size;
	t->h.cpu = bpf_get_smp_processor_id();
	t->h.ts_ns = bpf_ktime_get_ns();
	t->h.pid = id >> 32;
	t->h.tid = (__u32)id;
	bpf_get_current_comm(t->h.comm, sizeof(t->h.comm));
	t->uid = (__u32)ug;
	t->gid = ug >> 32;
}

static __always_inline union scratch *get_scratch(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&scratch, &zero);
}

static __always_inline void emit(void *rec, __u64 size, int cap)
{
	if (bpf_ringbuf_output(&events, rec, size, 0))
		count(drops, cap);
}

static __always_inline void stash(void *map, __u32 tid, void *val, int cap)
{
	if (bpf_map_update_elem(map, &tid, val, BPF_ANY))
		count(map_full, cap);
}

static __always_inline void sk_addrs(const struct sock *sk, struct tr_sockaddr *l, struct tr_sockaddr *r)
{
	__u16 fam = BPF_CORE_READ(sk, __sk_common.skc_family);

	l->family = r->family = fam;
	l->port = BPF_CORE_READ(sk, __sk_common.skc_num);
	r->port = __builtin_bswap16(BPF_CORE_READ(sk, __sk_common.skc_dport));
	__builtin_memset(l->addr, 0, sizeof(l->addr));
	__builtin_memset(r->addr, 0, sizeof(r->addr));
	/* Explicit sizes: BPF_CORE_READ_INTO on a byte array would copy one byte. */
	if (fam == AF_INET) {
		bpf_core_read(l->addr, 4, &sk->__sk_common.skc_rcv_saddr);
		bpf_core_read(r->addr, 4, &sk->__sk_common.skc_daddr);
	} else if (fam == AF_INET6) {
		bpf_core_read(l->addr, 16, &sk->__sk_common.skc_v6_rcv_saddr);
		bpf_core_read(r->addr, 16, &sk->__sk_common.skc_v6_daddr);
	}
}

/* The socket behind fd in the current task, NULL when fd is not a socket. */
static __always_inline struct socket *fd_socket(int fd)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	struct file **fds, *file = NULL;
	umode_t mode;

	if (fd < 0 || (unsigned int)fd >= BPF_CORE_READ(fdt, max_fds))
		return NULL;
	fds = BPF_CORE_READ(fdt, fd);
	bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]);
	if (!file)
		return NULL;
	mode = BPF_CORE_READ(file, f_inode, i_mode);
	if ((mode & S_IFMT) != S_IFSOCK)
		return NULL;
	return (struct socket *)BPF_CORE_READ(file, private_data);
}

/* sockaddr_in / sockaddr_in6 as the user passed them. */
static __always_inline void user_sockaddr(struct tr_sockaddr *sa, __u64 uptr)
{
	struct { __u16 family; __u16 port; __u32 flow_or_v4; __u8 v6[16]; } raw = {};

	if (bpf_probe_read_user(&raw, sizeof(raw), (void *)uptr) < 0)
		bpf_probe_read_user(&raw, 16, (void *)uptr);	/* a short sockaddr_in at a page end */
	sa->family = raw.family;
	sa->port = __builtin_bswap16(raw.port);
	__builtin_memset(sa->addr, 0, sizeof(sa->addr));
	if (raw.family == AF_INET)
		__builtin_memcpy(sa->addr, &raw.flow_or_v4, 4);
	else if (raw.family == AF_INET6)
		__builtin_memcpy(sa->addr, raw.v6, 16);
}

static __always_inline bool prefix_ok(const char *p)
{
	int i;

	if (!prefix_len)
		return true;
	for (i = 0; i < TR_PATH_LEN; i++) {
		if (i >= prefix_len)
			break;
		if (p[i] != path_prefix[i])
			return false;
	}
	return true;
}

static __always_inline void read_creds(__u32 ids[4])
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	const struct cred *cred = BPF_CORE_READ(task, cred);

	ids[0] = BPF_CORE_READ(cred, uid.val);
	ids[1] = BPF_CORE_READ(cred, euid.val);
	ids[2] = BPF_CORE_READ(cred, gid.val);
	ids[3] = BPF_CORE_READ(cred, egid.val);
}

/* ---- enter side of the syscall capabilities ---- */

static __always_inline void enter_conn(__u32 tid, long nr, const __u64 *a, int nk)
{
	union scratch *s = get_scratch();
	struct conn_pending *p;

	if (!s)
		return;
	p = &s->conn;
	fill_hdr(&p->e.t, nk == TR_NK_CONNECT ? TR_EV_CONNECT : TR_EV_ACCEPT, sizeof(p->e));
	p->e.fd = a[0];
	p->e.has_peer = 0;
	p->kind = nk;
	p->uaddr = a[1];
	if (nk == TR_NK_CONNECT && a[1]) {
		user_sockaddr(&p->e.peer, a[1]);
		p->e.has_peer = 1;
	}
	stash(&pend_conn, tid, p, TR_CAP_NETWORK);
}

static __always_inline void enter_sendrecv(__u32 tid, const __u64 *a)
{
	struct conn_pending p = {};

	/* Only the fd and the start time are needed at exit. */
	p.e.fd = a[0];
	p.e.t.h.ts_ns = bpf_ktime_get_ns();
	p.kind = TR_NK_SEND;
	stash(&pend_conn, tid, &p, TR_CAP_NETWORK);
}

static __always_inline void enter_exec(__u32 tid, long nr, const __u64 *a)
{
	union scratch *s = get_scratch();
	const char *const *argv;
	struct tr_ev_exec *e;
	const char *arg;
	__u32 off = 0;
	int i, n;

	if (!s)
		return;
	e = &s->exec;
	fill_hdr(&e->t, TR_EV_EXEC, sizeof(*e));
	e->ret = 0;
	e->argc = 0;
	e->truncated = 0;
	e->old_pid = tid;
	bpf_probe_read_user_str(e->filename, sizeof(e->filename),
				(const char *)(nr == nr_execveat ? a[1] : a[0]));
	argv = (const char *const *)(nr == nr_execveat ? a[2] : a[1]);
	for (i = 0; i < TR_ARGC_MAX; i++) {
		arg = NULL;
		if (!argv || bpf_probe_read_user(&arg, sizeof(arg), &argv[i]) < 0 || !arg)
			break;
		if (off > TR_ARGV_LEN - TR_ARG_MAX) {
			e->truncated = 1;
			break;
		}
		n = bpf_probe_read_user_str(&e->args[off], TR_ARG_MAX, arg);
		if (n <= 0)
			break;
		off += n;
		e->argc++;
	}
	if (i == TR_ARGC_MAX && argv) {
		arg = NULL;
		bpf_probe_read_user(&arg, sizeof(arg), &argv[i]);
		if (arg)
			e->truncated = 1;
	}
	e->args_len = off;
	stash(&pend_exec, tid, e, TR_CAP_PROCESS);
}

static __always_inline void enter_file(__u32 tid, long nr, const __u64 *a, int nk)
{
	union scratch *s = get_scratch();
	struct file_pending *fp;
	struct tr_ev_file *e;

	if (!s)
		return;
	fp = &s->file;
	e = &fp->e;
	fill_hdr(&e->t, TR_EV_FILE, sizeof(*e));
	e->nr = nr;
	e->dfd = AT_FDCWD;
	e->flags = 0;
	e->mode = 0;
	fp->p2 = 0;
	if (nk == TR_NK_PATH1) {
		fp->p1 = a[0];
		e->flags = a[1];	/* open: flags; creat, mkdir: mode */
		e->mode = a[2];
	} else if (nk == TR_NK_AT_PATH1) {
		e->dfd = a[0];
		fp->p1 = a[1];
		e->flags = a[2];	/* openat: flags (openat2: struct open_how *); mkdirat: mode */
		e->mode = a[3];
	} else if (nk == TR_NK_RENAME) {
		fp->p1 = a[0];
		fp->p2 = a[1];
	} else {
		e->dfd = a[0];
		fp->p1 = a[1];
		fp->p2 = a[3];
		e->flags = nr == nr_renameat2 ? a[4] : 0;	/* the fifth argument is stale for renameat */
	}
	e->path[0] = 0;
	e->path2[0] = 0;
	bpf_probe_read_user_str(e->path, sizeof(e->path), (const char *)fp->p1);
	if (fp->p2)
		bpf_probe_read_user_str(e->path2, sizeof(e->path2), (const char *)fp->p2);
	/* Decide on the prefix now when both paths could be read; else at exit. */
	if (e->path[0] && (!fp->p2 || e->path2[0]) && !prefix_ok(e->path) && !(fp->p2 && prefix_ok(e->path2)))
		return;
	stash(&pend_file, tid, fp, TR_CAP_FILE);
}

static __always_inline void enter_security(__u32 tid, long nr, const __u64 *a, int nk)
{
	union scratch *s = get_scratch();
	struct tr_ev_security *e;
	const char *str = 0;
	int i;

	if (!s)
		return;
	e = &s->sec;
	fill_hdr(&e->t, TR_EV_SECURITY, sizeof(*e));
	e->nr = nr;
	for (i = 0; i < 6; i++)
		e->args[i] = a[i];
	e->has_creds = nk == TR_NK_SETID;
	read_creds(e->old_ids);
	e->str[0] = 0;
	if (nk == TR_NK_MODULE)
		str = (const char *)(nr == nr_finit_module ? a[1] : a[2]);
	else if (nk == TR_NK_DELMODULE)
		str = (const char *)a[0];
	if (str)
		bpf_probe_read_user_str(e->str, sizeof(e->str), str);
	stash(&pend_sec, tid, e, TR_CAP_SECURITY);
}

static __always_inline int nk_of(long nr)
{
	if (nr < 0 || nr >= TR_NR_MAX)
		return TR_NK_NONE;
	return nr_kind[nr];
}

static __always_inline bool nr_wanted(long nr)
{
	return cap_on(TR_CAP_SYSCALL) || nk_of(nr) != TR_NK_NONE;
}

static __always_inline void syscall_noreturn(long nr)
{
	struct tr_ev_syscall e = {};

	fill_hdr(&e.t, TR_EV_SYSCALL, sizeof(e));
	e.nr = nr;
	e.noreturn = 1;
	emit(&e, sizeof(e), TR_CAP_SYSCALL);
}

static __always_inline int do_sys_enter(long nr, const __u64 *a)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;
	int nk = nk_of(nr);

	if (!pid_ok(id >> 32))
		return 0;
	/* With --comm, an exec is matched on the new comm at sched_process_exec. */
	if (!comm_ok() && nk != TR_NK_EXECVE && nk != TR_NK_EXECVEAT)
		return 0;
	if (cap_on(TR_CAP_SYSCALL) && comm_ok()) {
		if (nr == nr_exit || nr == nr_exit_group) {
			syscall_noreturn(nr);
		} else {
			struct sc_start st = { .ts = bpf_ktime_get_ns(), .nr = nr };

			stash(&sc_start, tid, &st, TR_CAP_SYSCALL);
		}
	}
	switch (nk) {
	case TR_NK_CONNECT:
	case TR_NK_ACCEPT:
		enter_conn(tid, nr, a, nk);
		break;
	case TR_NK_SEND:
	case TR_NK_RECV:
		enter_sendrecv(tid, a);
		break;
	case TR_NK_EXECVE:
	case TR_NK_EXECVEAT:
		enter_exec(tid, nr, a);
		break;
	case TR_NK_PATH1:
	case TR_NK_AT_PATH1:
	case TR_NK_RENAME:
	case TR_NK_RENAMEAT:
		enter_file(tid, nr, a, nk);
		break;
	case TR_NK_SETID:
	case TR_NK_PTRACE:
	case TR_NK_MODULE:
	case TR_NK_DELMODULE:
	case TR_NK_BPF:
		enter_security(tid, nr, a, nk);
		break;
	}
	return 0;
}

/* ---- exit side ---- */

static __always_inline void exit_syscall(__u32 tid, long ret)
{
	struct sc_start *st = bpf_map_lookup_elem(&sc_start, &tid);
	struct tr_ev_syscall e = {};

	if (!st)
		return;
	fill_hdr(&e.t, TR_EV_SYSCALL, sizeof(e));
	e.nr = st->nr;
	e.ret = ret;
	e.dur_ns = e.t.h.ts_ns - st->ts;
	bpf_map_delete_elem(&sc_start, &tid);
	emit(&e, sizeof(e), TR_CAP_SYSCALL);
}

static __always_inline void exit_sendrecv(struct conn_pending *p, long nr, long ret, int nk)
{
	union scratch *s = get_scratch();
	struct tr_ev_sendrecv *e;
	struct socket *sock;
	struct sock *sk;

	if (!s)
		return;
	e = &s->sr;
	fill_hdr(&e->t, TR_EV_SENDRECV, sizeof(*e));
	e->nr = nr;
	e->ret = ret;
	e->fd = p->e.fd;
	e->has_sock = 0;
	e->protocol = 0;
	sock = fd_socket(e->fd);
	sk = sock ? BPF_CORE_READ(sock, sk) : NULL;
	if (sk) {
		e->protocol = BPF_CORE_READ(sock, type);
		sk_addrs(sk, &e->local, &e->remote);
		e->has_sock = e->local.family == AF_INET || e->local.family == AF_INET6;
	}
	/* Unix and netlink traffic is not network traffic. */
	if (e->has_sock || ret < 0)
		emit(e, sizeof(*e), TR_CAP_NETWORK);
}

static __always_inline void exit_conn(__u32 tid, long nr, long ret, int nk)
{
	struct conn_pending *p = bpf_map_lookup_elem(&pend_conn, &tid);
	struct socket *sock;
	struct sock *sk;
	__u64 now;

	if (!p)
		return;
	if (nk == TR_NK_SEND || nk == TR_NK_RECV) {
		exit_sendrecv(p, nr, ret, nk);
	} else {
		now = bpf_ktime_get_ns();
		p->e.ret = ret;
		p->e.dur_ns = now - p->e.t.h.ts_ns;
		p->e.t.h.ts_ns = now;
		/* accept: the peer of the new fd, whether or not the caller asked for it. */
		if (nk == TR_NK_ACCEPT && ret >= 0) {
			struct tr_sockaddr local;

			sock = fd_socket(ret);
			sk = sock ? BPF_CORE_READ(sock, sk) : NULL;
			if (sk) {
				sk_addrs(sk, &local, &p->e.peer);
				p->e.has_peer = 1;
			}
		}
		emit(&p->e, sizeof(p->e), TR_CAP_NETWORK);
	}
	bpf_map_delete_elem(&pend_conn, &tid);
}

static __always_inline void exit_file(__u32 tid, long ret)
{
	struct file_pending *fp = bpf_map_lookup_elem(&pend_file, &tid);
	__u64 now = bpf_ktime_get_ns();
	struct tr_ev_file *e;

	if (!fp)
		return;
	e = &fp->e;
	if (!e->path[0])
		bpf_probe_read_user_str(e->path, sizeof(e->path), (const char *)fp->p1);
	if (fp->p2 && !e->path2[0])
		bpf_probe_read_user_str(e->path2, sizeof(e->path2), (const char *)fp->p2);
	if (prefix_ok(e->path) || (fp->p2 && prefix_ok(e->path2))) {
		e->ret = ret;
		e->dur_ns = now - e->t.h.ts_ns;
		e->t.h.ts_ns = now;
		emit(e, sizeof(*e), TR_CAP_FILE);
	}
	bpf_map_delete_elem(&pend_file, &tid);
}

static __always_inline void exit_security(__u32 tid, long ret)
{
	struct tr_ev_security *s = bpf_map_lookup_elem(&pend_sec, &tid);

	if (!s)
		return;
	s->ret = ret;
	s->t.h.ts_ns = bpf_ktime_get_ns();
	read_creds(s->new_ids);
	emit(s, sizeof(*s), TR_CAP_SECURITY);
	bpf_map_delete_elem(&pend_sec, &tid);
}

static __always_inline void exit_exec_failed(__u32 tid, long ret)
{
	struct tr_ev_exec *e = bpf_map_lookup_elem(&pend_exec, &tid);

	if (!e)
		return;
	/* A successful exec was already reported (and deleted) by sched_process_exec. */
	if (ret < 0 && comm_ok()) {
		e->ret = ret;
		e->t.h.ts_ns = bpf_ktime_get_ns();
		emit(e, sizeof(*e), TR_CAP_PROCESS);
	}
	bpf_map_delete_elem(&pend_exec, &tid);
}

static __always_inline int do_sys_exit(long nr, long ret)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;
	int nk = nk_of(nr);

	if (!pid_ok(id >> 32))
		return 0;
	if (nk == TR_NK_EXECVE || nk == TR_NK_EXECVEAT)
		exit_exec_failed(tid, ret);
	if (!comm_ok())
		return 0;
	if (cap_on(TR_CAP_SYSCALL))
		exit_syscall(tid, ret);
	switch (nk) {
	case TR_NK_CONNECT:
	case TR_NK_ACCEPT:
	case TR_NK_SEND:
	case TR_NK_RECV:
		exit_conn(tid, nr, ret, nk);
		break;
	case TR_NK_PATH1:
	case TR_NK_AT_PATH1:
	case TR_NK_RENAME:
	case TR_NK_RENAMEAT:
		exit_file(tid, ret);
		break;
	case TR_NK_SETID:
	case TR_NK_PTRACE:
	case TR_NK_MODULE:
	case TR_NK_DELMODULE:
	case TR_NK_BPF:
		exit_security(tid, ret);
		break;
	}
	return 0;
}

/* The syscall's own registers (bpf/sysregs.h names them per architecture). */
static __always_inline int sys_enter_regs(struct pt_regs *regs, long nr)
{
	__u64 a[6];

	if (!nr_wanted(nr))
		return 0;
	a[0] = BPF_CORE_READ(regs, AOD_SC_ARG0);
	a[1] = BPF_CORE_READ(regs, AOD_SC_ARG1);
	a[2] = BPF_CORE_READ(regs, AOD_SC_ARG2);
	a[3] = BPF_CORE_READ(regs, AOD_SC_ARG3);
	a[4] = BPF_CORE_READ(regs, AOD_SC_ARG4);
	a[5] = BPF_CORE_READ(regs, AOD_SC_ARG5);
	return do_sys_enter(nr, a);
}

static __always_inline int sys_exit_regs(struct pt_regs *regs, long ret)
{
	long nr = (long)BPF_CORE_READ(regs, AOD_SC_NR);

	if (!nr_wanted(nr))
		return 0;
	return do_sys_exit(nr, ret);
}

SEC("tp_btf/sys_enter")
int BPF_PROG(btf_sys_enter, struct pt_regs *regs, long id) { return sys_enter_regs(regs, id); }

SEC("raw_tp/sys_enter")
int BPF_PROG(raw_sys_enter, struct pt_regs *regs, long id) { return sys_enter_regs(regs, id); }

SEC("tp_btf/sys_exit")
int BPF_PROG(btf_sys_exit, struct pt_regs *regs, long ret) { return sys_exit_regs(regs, ret); }

SEC("raw_tp/sys_exit")
int BPF_PROG(raw_sys_exit, struct pt_regs *regs, long ret) { return sys_exit_regs(regs, ret); }

SEC("tracepoint/raw_syscalls/sys_enter")
int tp_sys_enter(struct trace_event_raw_sys_enter *ctx)
{
	__u64 a[6];

	if (!nr_wanted(ctx->id))
		return 0;
	/* Constant offsets: the verifier refuses a ctx pointer moved by a loop. */
	a[0] = ctx->args[0];
	a[1] = ctx->args[1];
	a[2] = ctx->args[2];
	a[3] = ctx->args[3];
	a[4] = ctx->args[4];
	a[5] = ctx->args[5];
	return do_sys_enter(ctx->id, a);
}

SEC("tracepoint/raw_syscalls/sys_exit")
int tp_sys_exit(struct trace_event_raw_sys_exit *ctx)
{
	if (!nr_wanted(ctx->id))
		return 0;
	return do_sys_exit(ctx->id, ctx->ret);
}

/* ---- process_trace and the setuid-exec part of security_event ---- */

static __always_inline void exec_process(struct task_struct *p, __u32 old_pid, struct linux_binprm *bprm)
{
	struct tr_ev_exec *e = bpf_map_lookup_elem(&pend_exec, &old_pid);
	union scratch *s;

	if (e) {
		/* The comm (and maybe tid) changed at exec: refresh the header. */
		fill_hdr(&e->t, TR_EV_EXEC, sizeof(*e));
		if (!e->filename[0])
			bpf_probe_read_kernel_str(e->filename, sizeof(e->filename), BPF_CORE_READ(bprm, filename));
		e->ret = 0;
		if (comm_ok())
			emit(e, sizeof(*e), TR_CAP_PROCESS);
		bpf_map_delete_elem(&pend_exec, &old_pid);
		return;
	}
	/* The execve began before the trace did: no argv, the filename from bprm. */
	if (!comm_ok() || !(s = get_scratch()))
		return;
	e = &s->exec;
	fill_hdr(&e->t, TR_EV_EXEC, sizeof(*e));
	e->ret = 0;
	e->argc = 0;
	e->args_len = 0;
	e->truncated = 1;
	e->old_pid = old_pid;
	bpf_probe_read_kernel_str(e->filename, sizeof(e->filename), BPF_CORE_READ(bprm, filename));
	emit(e, sizeof(*e), TR_CAP_PROCESS);
}

static __always_inline void exec_security(struct linux_binprm *bprm)
{
	union scratch *s = get_scratch();
	struct tr_ev_suid_exec *e;
	struct inode *inode;

	if (!s || !comm_ok())
		return;
	e = &s->suid;
	read_creds(e->ids);
	inode = BPF_CORE_READ(bprm, file, f_inode);
	e->mode = BPF_CORE_READ(inode, i_mode);
	/* The mode bits say setuid/setgid; the creds say the exec really changed identity. */
	if (!(e->mode & (S_ISUID | S_ISGID)) && e->ids[0] == e->ids[1] && e->ids[2] == e->ids[3])
		return;
	fill_hdr(&e->t, TR_EV_SUID_EXEC, sizeof(*e));
	e->file_uid = BPF_CORE_READ(inode, i_uid.val);
	e->file_gid = BPF_CORE_READ(inode, i_gid.val);
	bpf_probe_read_kernel_str(e->filename, sizeof(e->filename), BPF_CORE_READ(bprm, filename));
	emit(e, sizeof(*e), TR_CAP_SECURITY);
}

static __always_inline int on_exec(struct task_struct *p, __u32 old_pid, struct linux_binprm *bprm)
{
	if (!pid_ok(bpf_get_current_pid_tgid() >> 32))
		return 0;
	if (cap_on(TR_CAP_PROCESS))
		exec_process(p, old_pid, bprm);
	if (cap_on(TR_CAP_SECURITY))
		exec_security(bprm);
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(btf_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	return on_exec(p, old_pid, bprm);
}

SEC("raw_tp/sched_process_exec")
int BPF_PROG(raw_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	return on_exec(p, old_pid, bprm);
}

static __always_inline int on_fork(struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid = BPF_CORE_READ(parent, tgid), ctgid = BPF_CORE_READ(child, tgid);
	struct tr_ev_fork e = {};
	__u8 one = 1;

	if (ptgid == ctgid)
		return 0;	/* a new thread, not a new process */
	if (filt_pid && bpf_map_lookup_elem(&follow, &ptgid))
		if (bpf_map_update_elem(&follow, &ctgid, &one, BPF_ANY))
			count(map_full, TR_CAP_PROCESS);
	if (!cap_on(TR_CAP_PROCESS) || !task_ok())
		return 0;
	fill_hdr(&e.t, TR_EV_FORK, sizeof(e));
	e.child_pid = ctgid;
	e.child_tid = BPF_CORE_READ(child, pid);
	BPF_CORE_READ_STR_INTO(&e.child_comm, child, comm);
	emit(&e, sizeof(e), TR_CAP_PROCESS);
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(btf_fork, struct task_struct *parent, struct task_struct *child) { return on_fork(parent, child); }

SEC("raw_tp/sched_process_fork")
int BPF_PROG(raw_fork, struct task_struct *parent, struct task_struct *child) { return on_fork(parent, child); }

static __always_inline int on_exit(struct task_struct *p)
{
	__u32 tgid = BPF_CORE_READ(p, tgid);
	struct tr_ev_exit e = {};

	/* do_exit decrements signal->live before the tracepoint: 0 means the last thread. */
	if (BPF_CORE_READ(p, signal, live.counter) != 0)
		return 0;
	if (cap_on(TR_CAP_PROCESS) && task_ok()) {
		fill_hdr(&e.t, TR_EV_EXIT, sizeof(e));
		e.exit_code = BPF_CORE_READ(p, exit_code);
		emit(&e, sizeof(e), TR_CAP_PROCESS);
	}
	if (filt_pid && tgid != filt_pid)
		bpf_map_delete_elem(&follow, &tgid);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(btf_exit, struct task_struct *p) { return on_exit(p); }

SEC("raw_tp/sched_process_exit")
int BPF_PROG(raw_exit, struct task_struct *p) { return on_exit(p); }

/* ---- network_trace: TCP state changes and retransmits ---- */

static __always_inline int on_sock(const struct sock *sk, int oldstate, int newstate, __u16 kind)
{
	struct tr_ev_sock e = {};

	if (!task_ok())
		return 0;
	fill_hdr(&e.t, kind, sizeof(e));
	e.oldstate = oldstate;
	e.newstate = newstate;
	sk_addrs(sk, &e.local, &e.remote);
	emit(&e, sizeof(e), TR_CAP_NETWORK);
	return 0;
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(btf_state, const struct sock *sk, int oldstate, int newstate)
{
	return on_sock(sk, oldstate, newstate, TR_EV_TCP_STATE);
}

SEC("raw_tp/inet_sock_set_state")
int BPF_PROG(raw_state, const struct sock *sk, int oldstate, int newstate)
{
	return on_sock(sk, oldstate, newstate, TR_EV_TCP_STATE);
}

static __always_inline int on_retrans(const struct sock *sk)
{
	int state = BPF_CORE_READ(sk, __sk_common.skc_state);

	return on_sock(sk, state, state, TR_EV_RETRANSMIT);
}

SEC("tp_btf/tcp_retransmit_skb")
int BPF_PROG(btf_retrans, const struct sock *sk) { return on_retrans(sk); }

SEC("raw_tp/tcp_retransmit_skb")
int BPF_PROG(raw_retrans, const struct sock *sk) { return on_retrans(sk); }

/* ---- performance ---- */

static __always_inline void stat_add(__u32 idx, __u64 v)
{
	__u64 *p = bpf_map_lookup_elem(&perf_stats, &idx);

	if (p)
		__sync_fetch_and_add(p, v);
}

static __always_inline __u32 log2_u64(__u64 v)
{
	__u32 r = 0;
	int i;

	for (i = 0; i < 64; i++) {
		if (v <= 1)
			break;
		v >>= 1;
		r++;
	}
	return r;
}

struct task_struct___old { long state; } __attribute__((preserve_access_index));

static __always_inline long task_state(struct task_struct *t)
{
	/* 5.14 renamed task_struct.state to __state. */
	if (bpf_core_field_exists(t->__state))
		return BPF_CORE_READ(t, __state);
	return BPF_CORE_READ((struct task_struct___old *)t, state);
}

static __always_inline void account_oncpu(struct task_struct *prev, __u64 now)
{
	__u32 tid = BPF_CORE_READ(prev, pid), tgid = BPF_CORE_READ(prev, tgid);
	__u64 *start = bpf_map_lookup_elem(&perf_start, &tid);
	struct tr_oncpu *oc, fresh = {};
	__u64 delta;

	if (!start || tid == 0)
		return;
	delta = now - *start;
	if (!task_ok())
		return;
	oc = bpf_map_lookup_elem(&perf_oncpu, &tgid);
	if (oc) {
		__sync_fetch_and_add(&oc->ns, delta);
		return;
	}
	fresh.ns = delta;
	BPF_CORE_READ_STR_INTO(&fresh.comm, prev, group_leader, comm);
	if (bpf_map_update_elem(&perf_oncpu, &tgid, &fresh, BPF_NOEXIST))
		count(map_full, TR_CAP_PERF);
}

static __always_inline void runq_sample(struct task_struct *next, __u64 now)
{
	__u32 tid = BPF_CORE_READ(next, pid), slot;
	__u64 *ts = bpf_map_lookup_elem(&perf_wake, &tid), *h, delta;

	if (!ts)
		return;
	delta = now - *ts;
	bpf_map_delete_elem(&perf_wake, &tid);
	slot = log2_u64(delta / 1000);
	if (slot >= TR_HIST_SLOTS)
		slot = TR_HIST_SLOTS - 1;
	h = bpf_map_lookup_elem(&perf_hist, &slot);
	if (h)
		__sync_fetch_and_add(h, 1);
	stat_add(TR_ST_RUNQ_COUNT, 1);
	stat_add(TR_ST_RUNQ_SUM_NS, delta);
}

static __always_inline void runq_enqueue(struct task_struct *p, __u64 now)
{
	__u32 tid = BPF_CORE_READ(p, pid);

	if (tid)
		bpf_map_update_elem(&perf_wake, &tid, &now, BPF_ANY);
}

static __always_inline int on_switch(struct task_struct *prev, struct task_struct *next)
{
	__u64 now = bpf_ktime_get_ns();
	__u32 ntid = BPF_CORE_READ(next, pid);

	account_oncpu(prev, now);
	/* A preempted task goes straight back on the run queue. */
	if (task_state(prev) == TASK_RUNNING)
		runq_enqueue(prev, now);
	runq_sample(next, now);
	if (ntid)
		bpf_map_update_elem(&perf_start, &ntid, &now, BPF_ANY);
	return 0;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(btf_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	return on_switch(prev, next);
}

SEC("raw_tp/sched_switch")
int BPF_PROG(raw_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	return on_switch(prev, next);
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(btf_wakeup, struct task_struct *p) { runq_enqueue(p, bpf_ktime_get_ns()); return 0; }

SEC("raw_tp/sched_wakeup")
int BPF_PROG(raw_wakeup, struct task_struct *p) { runq_enqueue(p, bpf_ktime_get_ns()); return 0; }

SEC("tp_btf/sched_wakeup_new")
int BPF_PROG(btf_wakeup_new, struct task_struct *p) { runq_enqueue(p, bpf_ktime_get_ns()); return 0; }

SEC("raw_tp/sched_wakeup_new")
int BPF_PROG(raw_wakeup_new, struct task_struct *p) { runq_enqueue(p, bpf_ktime_get_ns()); return 0; }

static __always_inline int on_bio(struct request *rq, int error, unsigned int nr_bytes)
{
	/* REQ_OP_READ is 0 and REQ_OP_WRITE 1 in the low byte of cmd_flags. */
	__u32 op = BPF_CORE_READ(rq, cmd_flags) & 0xff;

	stat_add(TR_ST_BIO_COUNT, 1);
	stat_add(TR_ST_BIO_BYTES, nr_bytes);
	if (op == 0)
		stat_add(TR_ST_BIO_READ, 1);
	else if (op == 1)
		stat_add(TR_ST_BIO_WRITE, 1);
	if (error)
		stat_add(TR_ST_BIO_ERRORS, 1);
	return 0;
}

SEC("tp_btf/block_rq_complete")
int BPF_PROG(btf_bio, struct request *rq, int error, unsigned int nr_bytes) { return on_bio(rq, error, nr_bytes); }

SEC("raw_tp/block_rq_complete")
int BPF_PROG(raw_bio, struct request *rq, int error, unsigned int nr_bytes) { return on_bio(rq, error, nr_bytes); }

static __always_inline int on_fault(void)
{
	if (task_ok())
		stat_add(TR_ST_FAULTS, 1);
	return 0;
}

SEC("tp_btf/page_fault_user")
int BPF_PROG(btf_fault) { return on_fault(); }

SEC("raw_tp/page_fault_user")
int BPF_PROG(raw_fault) { return on_fault(); }

// SPDX-License-Identifier: GPL-2.0-only
/* Read/write latency per thread: vfs_read/vfs_write when the kernel lets us, else the read/write syscall family. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "events.h"
#include "health.h"
#include "sysregs.h"

const volatile __u64 min_ns = 5000000;
const volatile __u32 targ_tgid = 0;
/* This architecture's numbers for read, write, pread64, pwrite64, readv, writev (set by userspace). */
const volatile __s32 nr_read = -1, nr_write = -1, nr_pread = -1, nr_pwrite = -1, nr_readv = -1, nr_writev = -1;

struct aod_loss loss = {};

/* The file type is looked up only for the slow calls that are sent, so enter keeps what finds it. */
struct vfs_start {
	__u64 ts;
	__u64 file;	/* struct file * (vfs level) or the fd (syscall level) */
	__u16 nr;
	__u8 op;
	__u8 method;
};

/*
 * Where enter leaves the start for leave. The tp_btf raw_syscalls programs use task-local storage
 * (found through current->bpf_storage: no hashing, no update+delete pair per call); the other
 * methods keep the hash keyed by tid, which needs no typed task pointer and no 5.11 kernel.
 * Userspace creates only the map its method uses. A zero ts means nothing is in flight.
 */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct vfs_start);
} start_ts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);	/* tid: one read/write in flight per thread */
	__type(value, struct vfs_start);
} start SEC(".maps");

AOD_LATENCY_MAPS;

static __always_inline __u8 ftype_of_file(struct file *f)
{
	if (!f)
		return 0;
	return (BPF_CORE_READ(f, f_inode, i_mode) >> 12) & 0xf;
}

/* The syscall forms only have the fd: look the file up in the task's table. */
static __always_inline __u8 ftype_of_fd(long fd)
{
	return ftype_of_file(aod_file_of_fd(fd));
}

/* `tsk` (a constant at every call site): the task-storage slot, else the hash. */
static __always_inline int enter(__u8 op, __u8 method, __u16 nr, __u64 file, const bool tsk)
{
	struct vfs_start s = { .op = op, .method = method, .nr = nr, .file = file }, *sp;
	__u64 pt;
	__u32 tid;

	if (targ_tgid && (bpf_get_current_pid_tgid() >> 32) != targ_tgid)
		return 0;
	if (tsk) {
		sp = bpf_task_storage_get(&start_ts, bpf_get_current_task_btf(), 0,
					  BPF_LOCAL_STORAGE_GET_F_CREATE);
		if (!sp) {
			AOD_LOSS_INC(map_full);
			return 0;
		}
		s.ts = bpf_ktime_get_ns();
		*sp = s;
		return 0;
	}
	pt = bpf_get_current_pid_tgid();
	tid = (__u32)pt;
	s.ts = bpf_ktime_get_ns();
	if (bpf_map_update_elem(&start, &tid, &s, BPF_ANY))
		AOD_LOSS_INC(map_full);
	return 0;
}

static __always_inline void emit(struct vfs_start *s, __u64 now, __u64 delta, long ret)
{
	struct aod_ev_vfs *e;

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		AOD_LOSS_INC(ringbuf_full);
		return;
	}
	AOD_FILL_HDR(e, AOD_EV_VFS);
	e->h.ts_ns = now;
	e->latency_ns = delta;
	e->bytes = ret;
	e->op = s->op;
	e->method = s->method;
	e->syscall_nr = s->nr;
	e->ftype = s->method == AOD_VFS_M_VFS ? ftype_of_file((struct file *)s->file) : ftype_of_fd((long)s->file);
	e->pad[0] = e->pad[1] = e->pad[2] = 0;
	bpf_ringbuf_submit(e, 0);
}

static __always_inline int leave(long ret, const bool tsk)
{
	struct vfs_start *s;
	__u64 now, delta;
	__u32 tid;

	if (tsk) {
		s = bpf_task_storage_get(&start_ts, bpf_get_current_task_btf(), 0, 0);
		if (!s || !s->ts)
			return 0;
	} else {
		tid = (__u32)bpf_get_current_pid_tgid();
		s = bpf_map_lookup_elem(&start, &tid);
		if (!s)
			return 0;
	}
	now = bpf_ktime_get_ns();
	if (aod_hist_record(&hist, now, s->ts, min_ns, &delta))
		emit(s, now, delta, ret);
	if (tsk)
		s->ts = 0;
	else
		bpf_map_delete_elem(&start, &tid);
	return 0;
}

SEC("fentry/vfs_read")
int BPF_PROG(vfs_read_fentry, struct file *file)
{
	return enter(AOD_VFS_READ, AOD_VFS_M_VFS, 0, (__u64)file, false);
}

SEC("fexit/vfs_read")
int BPF_PROG(vfs_read_fexit, struct file *file, char *buf, size_t count, loff_t *pos, ssize_t ret)
{
	return leave(ret, false);
}

SEC("fentry/vfs_write")
int BPF_PROG(vfs_write_fentry, struct file *file)
{
	return enter(AOD_VFS_WRITE, AOD_VFS_M_VFS, 0, (__u64)file, false);
}

SEC("fexit/vfs_write")
int BPF_PROG(vfs_write_fexit, struct file *file, const char *buf, size_t count, loff_t *pos, ssize_t ret)
{
	return leave(ret, false);
}

/* kprobes: kernels or lockdown modes that refuse fentry but have CONFIG_KPROBES. */
SEC("kprobe/vfs_read")
int BPF_KPROBE(vfs_read_kprobe, struct file *file)
{
	return enter(AOD_VFS_READ, AOD_VFS_M_VFS, 0, (__u64)file, false);
}

SEC("kretprobe/vfs_read")
int BPF_KRETPROBE(vfs_read_kretprobe, long ret)
{
	return leave(ret, false);
}

SEC("kprobe/vfs_write")
int BPF_KPROBE(vfs_write_kprobe, struct file *file)
{
	return enter(AOD_VFS_WRITE, AOD_VFS_M_VFS, 0, (__u64)file, false);
}

SEC("kretprobe/vfs_write")
int BPF_KRETPROBE(vfs_write_kretprobe, long ret)
{
	return leave(ret, false);
}

/* The syscalls tracepoints (CONFIG_FTRACE_SYSCALLS, tracefs mounted): the layout of their records. */
struct sc_enter {
	__u64 common;
	__s32 nr;
	__u32 pad;
	__u64 args[6];
};

struct sc_exit {
	__u64 common;
	__s32 nr;
	__u32 pad;
	__s64 ret;
};

#define SC_PAIR(name, op)                                                        \
	SEC("tracepoint/syscalls/sys_enter_" #name)                              \
	int sys_enter_##name(struct sc_enter *ctx)                               \
	{                                                                        \
		return enter(op, AOD_VFS_M_SYSCALL, ctx->nr, ctx->args[0], false); \
	}                                                                        \
	SEC("tracepoint/syscalls/sys_exit_" #name)                               \
	int sys_exit_##name(struct sc_exit *ctx)                                 \
	{                                                                        \
		return leave(ctx->ret, false);                                   \
	}

SC_PAIR(read, AOD_VFS_READ)
SC_PAIR(write, AOD_VFS_WRITE)
SC_PAIR(pread64, AOD_VFS_READ)
SC_PAIR(pwrite64, AOD_VFS_WRITE)
SC_PAIR(readv, AOD_VFS_READ)
SC_PAIR(writev, AOD_VFS_WRITE)

/*
 * raw_syscalls: every syscall of every task passes here, so both ends first filter on the
 * number, with loads and compares only.
 */
#define SC_NR(btf, regs) ((long)AOD_SC_RD(btf, regs, AOD_SC_NR))

/* AOD_VFS_READ or AOD_VFS_WRITE, -1 for the other syscalls */
static __always_inline int rw_op(long id)
{
	if (id == nr_read || id == nr_pread || id == nr_readv)
		return AOD_VFS_READ;
	if (id == nr_write || id == nr_pwrite || id == nr_writev)
		return AOD_VFS_WRITE;
	return -1;
}

static __always_inline int raw_enter(struct pt_regs *regs, long id, const bool btf)
{
	int op = rw_op(id);

	if (op < 0)
		return 0;
	/* the first argument is the fd in all six */
	return enter(op, AOD_VFS_M_SYSCALL, id, AOD_SC_RD(btf, regs, AOD_SC_ARG0), btf);
}

static __always_inline int raw_leave(struct pt_regs *regs, long ret, const bool btf)
{
	long id = SC_NR(btf, regs);

	if (rw_op(id) < 0)
		return 0;
	return leave(ret, btf);
}

SEC("tp_btf/sys_enter")
int BPF_PROG(sys_enter_btf, struct pt_regs *regs, long id)
{
	return raw_enter(regs, id, true);
}

SEC("tp_btf/sys_exit")
int BPF_PROG(sys_exit_btf, struct pt_regs *regs, long ret)
{
	return raw_leave(regs, ret, true);
}

SEC("raw_tp/sys_enter")
int BPF_PROG(sys_enter_raw, struct pt_regs *regs, long id)
{
	return raw_enter(regs, id, false);
}

SEC("raw_tp/sys_exit")
int BPF_PROG(sys_exit_raw, struct pt_regs *regs, long ret)
{
	return raw_leave(regs, ret, false);
}

char LICENSE[] SEC("license") = "GPL";

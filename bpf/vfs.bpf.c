// SPDX-License-Identifier: GPL-2.0-only
/* Read/write latency per thread: vfs_read/vfs_write when the kernel lets us, else the read/write syscall family. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "events.h"
#include "health.h"

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
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	struct file **fds;
	struct file *f = NULL;

	if (fd < 0 || fd >= BPF_CORE_READ(t, files, fdt, max_fds))
		return 0;
	fds = BPF_CORE_READ(t, files, fdt, fd);
	bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]);
	return ftype_of_file(f);
}

static __always_inline int enter(__u8 op, __u8 method, __u16 nr, __u64 file)
{
	__u64 pt = bpf_get_current_pid_tgid();
	struct vfs_start s = { .op = op, .method = method, .nr = nr, .file = file };
	__u32 tid = (__u32)pt;

	if (targ_tgid && (pt >> 32) != targ_tgid)
		return 0;
	s.ts = bpf_ktime_get_ns();
	if (bpf_map_update_elem(&start, &tid, &s, BPF_ANY))
		AOD_LOSS_INC(map_full);
	return 0;
}

static __always_inline int leave(long ret)
{
	__u64 pt = bpf_get_current_pid_tgid(), now, delta;
	__u32 tid = (__u32)pt, zero = 0;
	struct aod_ev_vfs *e;
	struct vfs_start *s;
	struct aod_hist *h;
	int over;

	s = bpf_map_lookup_elem(&start, &tid);
	if (!s)
		return 0;
	now = bpf_ktime_get_ns();
	delta = now > s->ts ? now - s->ts : 0;
	over = delta >= min_ns;
	h = bpf_map_lookup_elem(&hist, &zero);
	if (h)
		aod_hist_add(h, delta, over);
	if (over) {
		e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
		if (e) {
			AOD_FILL_HDR(e, AOD_EV_VFS);
			e->h.ts_ns = now;
			e->latency_ns = delta;
			e->bytes = ret;
			e->op = s->op;
			e->method = s->method;
			e->syscall_nr = s->nr;
			e->ftype = s->method == AOD_VFS_M_VFS ? ftype_of_file((struct file *)s->file)
							      : ftype_of_fd((long)s->file);
			e->pad[0] = e->pad[1] = e->pad[2] = 0;
			bpf_ringbuf_submit(e, 0);
		} else {
			AOD_LOSS_INC(ringbuf_full);
		}
	}
	bpf_map_delete_elem(&start, &tid);
	return 0;
}

SEC("fentry/vfs_read")
int BPF_PROG(vfs_read_fentry, struct file *file)
{
	return enter(AOD_VFS_READ, AOD_VFS_M_VFS, 0, (__u64)file);
}

SEC("fexit/vfs_read")
int BPF_PROG(vfs_read_fexit, struct file *file, char *buf, size_t count, loff_t *pos, ssize_t ret)
{
	return leave(ret);
}

SEC("fentry/vfs_write")
int BPF_PROG(vfs_write_fentry, struct file *file)
{
	return enter(AOD_VFS_WRITE, AOD_VFS_M_VFS, 0, (__u64)file);
}

SEC("fexit/vfs_write")
int BPF_PROG(vfs_write_fexit, struct file *file, const char *buf, size_t count, loff_t *pos, ssize_t ret)
{
	return leave(ret);
}

/* kprobes: kernels or lockdown modes that refuse fentry but have CONFIG_KPROBES. */
SEC("kprobe/vfs_read")
int BPF_KPROBE(vfs_read_kprobe, struct file *file)
{
	return enter(AOD_VFS_READ, AOD_VFS_M_VFS, 0, (__u64)file);
}

SEC("kretprobe/vfs_read")
int BPF_KRETPROBE(vfs_read_kretprobe, long ret)
{
	return leave(ret);
}

SEC("kprobe/vfs_write")
int BPF_KPROBE(vfs_write_kprobe, struct file *file)
{
	return enter(AOD_VFS_WRITE, AOD_VFS_M_VFS, 0, (__u64)file);
}

SEC("kretprobe/vfs_write")
int BPF_KRETPROBE(vfs_write_kretprobe, long ret)
{
	return leave(ret);
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
		return enter(op, AOD_VFS_M_SYSCALL, ctx->nr, ctx->args[0]);      \
	}                                                                        \
	SEC("tracepoint/syscalls/sys_exit_" #name)                               \
	int sys_exit_##name(struct sc_exit *ctx)                                 \
	{                                                                        \
		return leave(ctx->ret);                                          \
	}

SC_PAIR(read, AOD_VFS_READ)
SC_PAIR(write, AOD_VFS_WRITE)
SC_PAIR(pread64, AOD_VFS_READ)
SC_PAIR(pwrite64, AOD_VFS_WRITE)
SC_PAIR(readv, AOD_VFS_READ)
SC_PAIR(writev, AOD_VFS_WRITE)

/* raw_syscalls: every syscall passes here, so filter on the number first. Works without tracefs. */
static __always_inline int raw_enter(struct pt_regs *regs, long id)
{
	__u8 op;

	if (id == nr_read || id == nr_pread || id == nr_readv)
		op = AOD_VFS_READ;
	else if (id == nr_write || id == nr_pwrite || id == nr_writev)
		op = AOD_VFS_WRITE;
	else
		return 0;
	return enter(op, AOD_VFS_M_SYSCALL, id, PT_REGS_PARM1_CORE(regs));
}

SEC("tp_btf/sys_enter")
int BPF_PROG(sys_enter_btf, struct pt_regs *regs, long id)
{
	return raw_enter(regs, id);
}

SEC("tp_btf/sys_exit")
int BPF_PROG(sys_exit_btf, struct pt_regs *regs, long ret)
{
	return leave(ret);
}

SEC("raw_tp/sys_enter")
int BPF_PROG(sys_enter_raw, struct pt_regs *regs, long id)
{
	return raw_enter(regs, id);
}

SEC("raw_tp/sys_exit")
int BPF_PROG(sys_exit_raw, struct pt_regs *regs, long ret)
{
	return leave(ret);
}

char LICENSE[] SEC("license") = "GPL";

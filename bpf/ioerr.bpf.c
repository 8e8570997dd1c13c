// SPDX-License-Identifier: GPL-2.0-only
/* io.error: failed VFS operations by op and errno, from fexit on the vfs functions or the syscalls' exits. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "events.h"
#include "health.h"
#include "sysregs.h"

const volatile __u32 targ_tgid = 0;
/* This architecture's syscall numbers, op by op, set by userspace from <sys/syscall.h> (src/ioerr.c). */
const volatile __u8 nr_op[AOD_IOERR_NR] = {};

struct aod_loss loss = {};
struct aod_count counts = {};
/* Written by userspace after load and on a HUP: only failures some rule can count leave the kernel. */
struct aod_ioerr_filter filter = {};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} events SEC(".maps");

static __always_inline bool wanted(__u32 op, long err)
{
	__u64 w;

	if (targ_tgid && (bpf_get_current_pid_tgid() >> 32) != targ_tgid)
		return false;
	if (op >= AOD_IO_NOPS || !(filter.ops & (1u << op)))
		return false;
	if (filter.all_errnos)
		return true;
	if (err <= 0 || err >= AOD_IOERR_ERRNO_MAX)
		return false;
	w = filter.errnos[(err >> 6) & (AOD_IOERR_ERRNO_MAX / 64 - 1)];
	return (w >> (err & 63)) & 1;
}

static __always_inline __u64 ino_of_file(struct file *f)
{
	return f ? BPF_CORE_READ(f, f_inode, i_ino) : 0;
}

static __always_inline void emit(__u32 op, long err, __u8 method, __u16 nr, long fd, __u64 ino)
{
	struct aod_ev_ioerr *e;

	__sync_fetch_and_add(&counts.ioerr, 1);
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		AOD_LOSS_INC(ringbuf_full);
		return;
	}
	AOD_FILL_HDR(e, AOD_EV_IOERR);
	e->ino = ino;
	e->err = (__s32)err;
	e->fd = (__s32)fd;
	e->op = (__u16)op;
	e->syscall_nr = nr;
	e->method = method;
	e->pad[0] = e->pad[1] = e->pad[2] = 0;
	bpf_ringbuf_submit(e, 0);
}

static __always_inline int vfs_failed(__u32 op, long ret, struct file *file)
{
	if (ret >= 0 || !wanted(op, -ret))
		return 0;
	emit(op, -ret, AOD_IOERR_M_VFS, 0, -1, ino_of_file(file));
	return 0;
}

/*
 * fexit: only the hooked functions pay, and only a failure does more than one compare. The
 * signatures are those of every kernel with fexit (5.5 on): do_filp_open is what open, openat,
 * openat2 and creat end in; pread64/pwrite64 go through vfs_read/vfs_write; fsync and fdatasync
 * through vfs_fsync_range, which tells them apart by its datasync argument.
 */
SEC("fexit/do_filp_open")
int BPF_PROG(io_open_fexit, int dfd, struct filename *name, const struct open_flags *op, struct file *ret)
{
	/* an ERR_PTR: the last page of the address space holds -errno */
	long err = (unsigned long)ret >= (unsigned long)-4095 ? (long)ret : 0;

	return vfs_failed(AOD_IO_OPEN, err, NULL);
}

SEC("fexit/vfs_read")
int BPF_PROG(io_read_fexit, struct file *file, char *buf, size_t count, loff_t *pos, ssize_t ret)
{
	return vfs_failed(AOD_IO_READ, ret, file);
}

SEC("fexit/vfs_write")
int BPF_PROG(io_write_fexit, struct file *file, const char *buf, size_t count, loff_t *pos, ssize_t ret)
{
	return vfs_failed(AOD_IO_WRITE, ret, file);
}

SEC("fexit/vfs_fsync_range")
int BPF_PROG(io_fsync_fexit, struct file *file, loff_t start, loff_t end, int datasync, int ret)
{
	return vfs_failed(datasync ? AOD_IO_FDATASYNC : AOD_IO_FSYNC, ret, file);
}

/*
 * The syscalls' exits, where fexit is refused: every syscall of every task pays, so the cost rule
 * keeps this off unless asked. raw_syscalls:sys_exit is one program for all the io syscalls; a
 * success leaves after one compare, a failure after a table load.
 *
 * Against the per-syscall syscalls:sys_exit_* tracepoints, measured on the 6.18 development host (a
 * loaded 2-vCPU VM; CPU time per call of a loop pinned to one CPU, median of 6 interleaved rounds,
 * aod run with io.error at syscall level): no hook getppid 988 ns, pread 1150 ns; this program
 * (tp_btf) +122 / +144 ns; one program (bpf_task_pt_regs for the fd) on the 46 io syscalls'
 * sys_exit_* tracepoints +38 / +224 ns. Both put every task on the syscall-tracing slow path; the
 * tracepoints skip the syscalls outside the set with a bitmap test but cost more in it (a perf
 * record is built for each), so they win only where fewer than half the syscalls are io ones,
 * and lose on a read/write storm (bench/pingpong.c). They also took 300 ms to attach (46 perf
 * events, libbpf's load) against 20 ms, and need tracefs: raw_syscalls it is. raw_tp is for
 * kernels before tp_btf (5.5).
 */
#define IOERR_AT_REMOVEDIR 0x200	/* include/uapi/linux/fcntl.h */

static __always_inline int sys_failed(struct pt_regs *regs, long ret, const bool btf)
{
	long id;
	__u32 op;
	__u8 t;

	if (ret >= 0 || ret < -4095)
		return 0;
	id = (long)AOD_SC_RD(btf, regs, AOD_SC_NR);
	if (id < 0 || id >= AOD_IOERR_NR)
		return 0;
	t = nr_op[id];
	if (!t)
		return 0;
	op = (t & AOD_IOERR_NR_OP) - 1;
	if ((t & AOD_IOERR_NR_UNLINKAT) && (AOD_SC_RD(btf, regs, AOD_SC_ARG2) & IOERR_AT_REMOVEDIR))
		op = AOD_IO_RMDIR;
	if (!wanted(op, -ret))
		return 0;
	if (t & AOD_IOERR_NR_FD) {
		long fd = (long)(int)AOD_SC_RD(btf, regs, AOD_SC_ARG0);

		emit(op, -ret, AOD_IOERR_M_SYSCALL, id, fd, ino_of_file(aod_file_of_fd(fd)));
	} else {
		emit(op, -ret, AOD_IOERR_M_SYSCALL, id, -1, 0);
	}
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(io_sys_exit_btf, struct pt_regs *regs, long ret)
{
	return sys_failed(regs, ret, true);
}

SEC("raw_tp/sys_exit")
int BPF_PROG(io_sys_exit_raw, struct pt_regs *regs, long ret)
{
	return sys_failed(regs, ret, false);
}

char LICENSE[] SEC("license") = "GPL";

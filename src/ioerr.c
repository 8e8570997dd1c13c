// SPDX-License-Identifier: GPL-2.0-only
/* io.error's pure parts: the io syscalls of this architecture, and the in-kernel filter from the config. */
#include "ioerr.h"

#include <string.h>
#include <sys/syscall.h>

_Static_assert(AOD_IO_NOPS == NAMES_IO_NOPS, "bpf/events.h's io ops are names.c's io space");
_Static_assert(AOD_IO_NOPS <= 32, "the filter's op mask is 32 bits");
_Static_assert(AOD_IO_NOPS < AOD_IOERR_NR_OP, "the table's op field holds every op plus one");

struct io_syscall {
	long nr;
	uint8_t op;
	bool fd;	/* the first argument is an fd: the record names it and its inode */
};

#define IO_SC(name, op, fd) { SYS_##name, AOD_IO_##op, fd }

/* What each syscall does, as io.error names it; pread/pwrite count as read/write, openat2 and creat as open. */
static const struct io_syscall io_syscalls[] = {
	IO_SC(openat, OPEN, false), IO_SC(openat2, OPEN, false),
	IO_SC(read, READ, true), IO_SC(pread64, READ, true), IO_SC(readv, READ, true), IO_SC(preadv, READ, true),
	IO_SC(preadv2, READ, true),
	IO_SC(write, WRITE, true), IO_SC(pwrite64, WRITE, true), IO_SC(writev, WRITE, true),
	IO_SC(pwritev, WRITE, true), IO_SC(pwritev2, WRITE, true),
	IO_SC(fsync, FSYNC, true), IO_SC(fdatasync, FDATASYNC, true), IO_SC(close, CLOSE, true),
	IO_SC(truncate, TRUNCATE, false), IO_SC(ftruncate, TRUNCATE, true),
	IO_SC(renameat, RENAME, false), IO_SC(renameat2, RENAME, false),
	IO_SC(unlinkat, UNLINK, false), IO_SC(mkdirat, MKDIR, false), IO_SC(linkat, LINK, false),
	IO_SC(symlinkat, SYMLINK, false), IO_SC(getdents64, READDIR, true),
	IO_SC(fstat, STAT, true), IO_SC(newfstatat, STAT, false), IO_SC(statx, STAT, false),
	IO_SC(fchmod, SETATTR, true), IO_SC(fchmodat, SETATTR, false), IO_SC(fchown, SETATTR, true),
	IO_SC(fchownat, SETATTR, false), IO_SC(utimensat, SETATTR, false),
#ifdef SYS_open	/* the older path syscalls: x86_64 has them, the generic table (arm64) only the *at forms */
	IO_SC(open, OPEN, false), IO_SC(creat, OPEN, false), IO_SC(rename, RENAME, false),
	IO_SC(unlink, UNLINK, false), IO_SC(mkdir, MKDIR, false), IO_SC(rmdir, RMDIR, false),
	IO_SC(link, LINK, false), IO_SC(symlink, SYMLINK, false), IO_SC(getdents, READDIR, true),
	IO_SC(stat, STAT, false), IO_SC(lstat, STAT, false),
	IO_SC(chmod, SETATTR, false), IO_SC(chown, SETATTR, false), IO_SC(lchown, SETATTR, false),
	IO_SC(utime, SETATTR, false), IO_SC(utimes, SETATTR, false), IO_SC(futimesat, SETATTR, false),
#endif
};

int ioerr_syscall_table(uint8_t *table, size_t n)
{
	int k = 0;

	memset(table, 0, n);
	for (size_t i = 0; i < sizeof(io_syscalls) / sizeof(io_syscalls[0]); i++) {
		const struct io_syscall *s = &io_syscalls[i];

		if (s->nr < 0 || (size_t)s->nr >= n)
			continue;
		table[s->nr] = (uint8_t)((s->op + 1) | (s->fd ? AOD_IOERR_NR_FD : 0));
#ifdef SYS_unlinkat
		/* unlinkat(dfd, path, AT_REMOVEDIR) is rmdir: the kernel side reads the flags */
		if (s->nr == SYS_unlinkat)
			table[s->nr] |= AOD_IOERR_NR_UNLINKAT;
#endif
		k++;
	}
	return k;
}

static void add_rule(struct aod_ioerr_filter *f, const struct cfg_error_rule *r)
{
	for (unsigned op = 0; op < AOD_IO_NOPS; op++)
		if (cfg_ops_has(&r->ops, op))
			f->ops |= 1u << op;
	if (r->ncodes == 0)
		f->all_errnos = 1;
	for (int k = 0; k < r->ncodes; k++) {
		uint32_t v = r->codes[k].value;

		if (r->codes[k].space != NAMES_CODE_ERRNO || v >= AOD_IOERR_ERRNO_MAX)
			f->all_errnos = 1;	/* cannot be listed: let all through, detection filters */
		else
			f->errnos[v / 64] |= 1ull << (v % 64);
	}
}

bool ioerr_filter_from_config(struct aod_ioerr_filter *f, const struct cfg_config *cfg)
{
	bool any = false;

	memset(f, 0, sizeof(*f));
	for (int i = 0; i < cfg->nanomalies; i++) {
		const struct cfg_anomaly *a = &cfg->anomalies[i];

		if (a->type != CFG_ERROR || a->space != NAMES_IO)
			continue;
		any = true;
		for (int r = 0; r < a->nrules && r < CFG_MAX_RULES; r++)
			add_rule(f, &a->rules[r]);
	}
	return any;
}

bool ioerr_syscall_ok(const struct cfg_config *cfg)
{
	for (int i = 0; i < cfg->nanomalies; i++)
		if (cfg->anomalies[i].type == CFG_ERROR && cfg->anomalies[i].space == NAMES_IO &&
		    cfg->anomalies[i].syscall_level)
			return true;
	return false;
}

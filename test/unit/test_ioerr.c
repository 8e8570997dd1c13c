// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for ioerr.c: the io syscalls of this architecture, the in-kernel filter from io.error's rules. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>

#include "../../src/config_yaml.c"
#include "../../src/arena.c"
#include "../../src/config.c"
#include "../../src/io.c"
#include "../../src/family.c"
#include "../../src/text.c"
#include "../../src/names.c"
#include "../../src/ioerr.c"
#include "config_default.c"	/* build/gen, generated from config/aod.yaml by build.sh */
#include "check.h"

static struct cfg_config cfg;	/* large: keep it off the stack */

static int load(const char *yaml)
{
	FILE *null = fopen("/dev/null", "w");	/* the "no actions" warnings are not what is tested here */
	int rc = config_load_buffer(&cfg, "t.yaml", yaml, strlen(yaml), null ? null : stderr);

	if (null)
		fclose(null);
	return rc;
}

static bool has_errno(const struct aod_ioerr_filter *f, unsigned e)
{
	return f->errnos[e / 64] >> (e % 64) & 1;
}

static void test_table(void)
{
	uint8_t t[AOD_IOERR_NR];
	int n = ioerr_syscall_table(t, sizeof(t));

	CHECK(n >= 32);
	CHECK(t[SYS_write] == ((AOD_IO_WRITE + 1) | AOD_IOERR_NR_FD));
	CHECK(t[SYS_pwrite64] == ((AOD_IO_WRITE + 1) | AOD_IOERR_NR_FD));
	CHECK(t[SYS_read] == ((AOD_IO_READ + 1) | AOD_IOERR_NR_FD));
	CHECK(t[SYS_openat] == AOD_IO_OPEN + 1);		/* a path, no fd */
	CHECK(t[SYS_fsync] == ((AOD_IO_FSYNC + 1) | AOD_IOERR_NR_FD));
	CHECK(t[SYS_fdatasync] == ((AOD_IO_FDATASYNC + 1) | AOD_IOERR_NR_FD));
	CHECK(t[SYS_unlinkat] == ((AOD_IO_UNLINK + 1) | AOD_IOERR_NR_UNLINKAT));
	CHECK(t[SYS_getpid] == 0 && t[SYS_sendto] == 0 && t[SYS_mmap] == 0);
#ifdef SYS_open
	CHECK(t[SYS_open] == AOD_IO_OPEN + 1 && t[SYS_rmdir] == AOD_IO_RMDIR + 1);
	CHECK(t[SYS_unlink] == AOD_IO_UNLINK + 1);	/* only unlinkat has flags to read */
#endif
	for (int i = 0; i < AOD_IOERR_NR; i++)
		CHECK((t[i] & AOD_IOERR_NR_OP) <= AOD_IO_NOPS);
	/* a short table takes what fits and never writes past it */
	memset(t, 0xee, sizeof(t));
	ioerr_syscall_table(t, SYS_write + 1);
	CHECK(t[SYS_write + 1] == 0xee && t[SYS_write] == ((AOD_IO_WRITE + 1) | AOD_IOERR_NR_FD));
}

/* bpf/events.h's op numbers are the config's io names */
static void test_op_names(void)
{
	static const char *const want[AOD_IO_NOPS] = {
		[AOD_IO_OPEN] = "open", [AOD_IO_READ] = "read", [AOD_IO_WRITE] = "write", [AOD_IO_FSYNC] = "fsync",
		[AOD_IO_FDATASYNC] = "fdatasync", [AOD_IO_CLOSE] = "close", [AOD_IO_TRUNCATE] = "truncate",
		[AOD_IO_RENAME] = "rename", [AOD_IO_UNLINK] = "unlink", [AOD_IO_MKDIR] = "mkdir", [AOD_IO_RMDIR] = "rmdir",
		[AOD_IO_LINK] = "link", [AOD_IO_SYMLINK] = "symlink", [AOD_IO_READDIR] = "readdir", [AOD_IO_STAT] = "stat",
		[AOD_IO_SETATTR] = "setattr",
	};

	for (unsigned op = 0; op < AOD_IO_NOPS; op++)
		CHECK(names_op_name(NAMES_IO, op) && !strcmp(names_op_name(NAMES_IO, op), want[op]));
	CHECK(sizeof(struct aod_ev_ioerr) == 64 && sizeof(struct aod_ev_ioerr) % 8 == 0);
}

static void test_filter(void)
{
	struct aod_ioerr_filter f;

	/* no io.error: nothing to attach */
	CHECK(load("anomalies:\n  smb:\n    error:\n      acceptable_count: 1\n") == 0);
	CHECK(!ioerr_filter_from_config(&f, &cfg) && f.ops == 0 && !f.all_errnos && !ioerr_syscall_ok(&cfg));

	/* two rules: the union of their ops and codes; excludes stay with detection */
	CHECK(load("anomalies:\n  io:\n    error:\n      rules:\n"
		   "        - {name: a, acceptable_count: 1, track_commands: [write, fsync], track_errors: [ENOSPC, EIO]}\n"
		   "        - {name: b, acceptable_count: 2, track_commands: [open], track_errors: [EACCES],"
		   " exclude_errors: [ENOENT]}\n") == 0);
	CHECK(ioerr_filter_from_config(&f, &cfg));
	CHECK(f.ops == (1u << AOD_IO_WRITE | 1u << AOD_IO_FSYNC | 1u << AOD_IO_OPEN));
	CHECK(!f.all_errnos && has_errno(&f, ENOSPC) && has_errno(&f, EIO) && has_errno(&f, EACCES));
	CHECK(!has_errno(&f, ENOENT) && !has_errno(&f, EAGAIN));
	CHECK(!ioerr_syscall_ok(&cfg));

	/* the flat form without codes tracks every errno of every op; attach: syscall is the opt-in */
	CHECK(load("anomalies:\n  io:\n    error:\n      acceptable_count: 3\n      attach: syscall\n") == 0);
	CHECK(ioerr_filter_from_config(&f, &cfg) && f.all_errnos && f.ops == (1u << AOD_IO_NOPS) - 1);
	CHECK(ioerr_syscall_ok(&cfg));
	CHECK(load("anomalies:\n  io:\n    error:\n      acceptable_count: 3\n      attach: auto\n") == 0);
	CHECK(!ioerr_syscall_ok(&cfg));
	CHECK(load("anomalies:\n  io:\n    error:\n      acceptable_count: 3\n      attach: sometimes\n") < 0);
}

int main(void)
{
	test_table();
	test_op_names();
	test_filter();
	return CHECK_DONE();
}

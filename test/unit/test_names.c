// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for the SMB2/NFS/io name spaces, the NT status, nfsstat and errno tables and the "did you mean" hints. */
#include "../../src/text.c"
#include "../../src/names.c"

#include <errno.h>
#include <string.h>

#include "check.h"

#define STREQ(a, b) ((a) && (b) && !strcmp((a), (b)))

static void test_commands(void)
{
	CHECK(names_smb2_cmd_id("SMB2_NEGOTIATE") == 0);
	CHECK(names_smb2_cmd_id("smb2_write") == 9);
	CHECK(names_smb2_cmd_id("WRITE") == 9);
	CHECK(names_smb2_cmd_id("read") == 8);
	CHECK(names_smb2_cmd_id("Smb2_Session_Setup") == 1);
	CHECK(names_smb2_cmd_id("SMB2_OPLOCK_BREAK") == 18);
	CHECK(names_smb2_cmd_id("SMB2_SERVER_TO_CLIENT_NOTIFICATION") == 19);
	CHECK(names_smb2_cmd_id("SMB2_") == -ENOENT);
	CHECK(names_smb2_cmd_id("SMB2_WRTIE") == -ENOENT);
	CHECK(names_smb2_cmd_id("") == -ENOENT);
	CHECK(STREQ(names_smb2_cmd_name(14), "SMB2_QUERY_DIRECTORY"));
	CHECK(names_smb2_cmd_name(20) == NULL);
	for (unsigned int i = 0; i < NAMES_SMB2_NCMD; i++)
		CHECK(names_smb2_cmd_id(names_smb2_cmd_name(i)) == (int)i);
}

static void test_ntstatus(void)
{
	static const struct { const char *n; uint32_t v; } want[] = {
		{ "STATUS_SUCCESS", 0 },
		{ "STATUS_MORE_PROCESSING_REQUIRED", 0xC0000016 },
		{ "STATUS_IO_TIMEOUT", 0xC00000B5 },
		{ "STATUS_ACCESS_DENIED", 0xC0000022 },
		{ "STATUS_OBJECT_NAME_NOT_FOUND", 0xC0000034 },
		{ "STATUS_OBJECT_NAME_COLLISION", 0xC0000035 },
		{ "STATUS_OBJECT_PATH_NOT_FOUND", 0xC000003A },
		{ "STATUS_SHARING_VIOLATION", 0xC0000043 },
		{ "STATUS_LOGON_FAILURE", 0xC000006D },
		{ "STATUS_BAD_NETWORK_NAME", 0xC00000CC },
		{ "STATUS_NETWORK_NAME_DELETED", 0xC00000C9 },
		{ "STATUS_USER_SESSION_DELETED", 0xC0000203 },
		{ "STATUS_NETWORK_SESSION_EXPIRED", 0xC000035C },
		{ "STATUS_INSUFFICIENT_RESOURCES", 0xC000009A },
		{ "STATUS_DISK_FULL", 0xC000007F },
		{ "STATUS_MEDIA_WRITE_PROTECTED", 0xC00000A2 },
		{ "STATUS_NOT_SUPPORTED", 0xC00000BB },
		{ "STATUS_INVALID_PARAMETER", 0xC000000D },
		{ "STATUS_END_OF_FILE", 0xC0000011 },
		{ "STATUS_PENDING", 0x00000103 },
		{ "STATUS_CANCELLED", 0xC0000120 },
		{ "STATUS_FILE_IS_A_DIRECTORY", 0xC00000BA },
		{ "STATUS_NOT_A_DIRECTORY", 0xC0000103 },
		{ "STATUS_DIRECTORY_NOT_EMPTY", 0xC0000101 },
		{ "STATUS_DELETE_PENDING", 0xC0000056 },
		{ "STATUS_FILE_CLOSED", 0xC0000128 },
		{ "STATUS_INVALID_HANDLE", 0xC0000008 },
		{ "STATUS_CONNECTION_DISCONNECTED", 0xC000020C },
		{ "STATUS_CONNECTION_RESET", 0xC000020D },
		{ "STATUS_NO_MORE_FILES", 0x80000006 },
		{ "STATUS_BUFFER_OVERFLOW", 0x80000005 },
		{ "STATUS_QUOTA_EXCEEDED", 0xC0000044 },
		{ "STATUS_LOCK_NOT_GRANTED", 0xC0000055 },
		{ "STATUS_FILE_LOCK_CONFLICT", 0xC0000054 },
		{ "STATUS_NOT_FOUND", 0xC0000225 },
	};
	uint32_t v = 1;

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		v = 0xdeadbeef;
		CHECK(names_ntstatus_value(want[i].n, &v) == 0 && v == want[i].v);
		CHECK(STREQ(names_ntstatus_name(want[i].v), want[i].n));
	}
	CHECK(names_ntstatus_value("status_io_timeout", &v) == 0 && v == 0xC00000B5);
	CHECK(names_ntstatus_value("STATUS_IO_TIMEOUTX", &v) == -ENOENT);
	CHECK(names_ntstatus_name(0xC0FFEE00) == NULL);
	/* every name unique, every value unique: a table typo shows up here */
	for (size_t i = 0; i < sizeof(ntstatus) / sizeof(ntstatus[0]); i++)
		for (size_t j = i + 1; j < sizeof(ntstatus) / sizeof(ntstatus[0]); j++)
			CHECK(ntstatus[i].value != ntstatus[j].value && strcmp(ntstatus[i].name, ntstatus[j].name));
}

static void test_errno(void)
{
	CHECK(names_errno_value("EPERM") == EPERM);
	CHECK(names_errno_value("EACCES") == EACCES && EACCES == 13);
	CHECK(names_errno_value("eio") == EIO);
	CHECK(names_errno_value("EAGAIN") == EAGAIN);
	CHECK(names_errno_value("EWOULDBLOCK") == EAGAIN);
	CHECK(names_errno_value("EDEADLOCK") == EDEADLK);
	CHECK(names_errno_value("ENOTSUP") == EOPNOTSUPP);
	CHECK(names_errno_value("ETIMEDOUT") == ETIMEDOUT && ETIMEDOUT == 110);
	CHECK(names_errno_value("EHOSTDOWN") == 112);
	CHECK(names_errno_value("ECONNRESET") == 104);
	CHECK(names_errno_value("EHWPOISON") == 133);
	CHECK(names_errno_value("ERFKILL") == 132);
	CHECK(names_errno_value("EFOO") == -ENOENT);
	CHECK(STREQ(names_errno_name(11), "EAGAIN"));
	CHECK(STREQ(names_errno_name(35), "EDEADLK"));
	CHECK(STREQ(names_errno_name(95), "EOPNOTSUPP"));
	/* the BPF-facing names: the config table plus the kernel-internal ENOTSUPP, which configs do not take */
	CHECK(STREQ(names_kernel_errno_name(524), "ENOTSUPP"));
	CHECK(STREQ(names_kernel_errno_name(1), "EPERM"));
	CHECK(STREQ(names_kernel_errno_name(9), "EBADF"));
	CHECK(names_kernel_errno_name(99999) == NULL);
	CHECK(names_errno_value("ENOTSUPP") == -ENOENT);
	CHECK(STREQ(names_errno_name(133), "EHWPOISON"));
	CHECK(STREQ(names_rc_errno_name(-13), "EACCES"));
	CHECK(names_rc_errno_name(0) == NULL && names_rc_errno_name(13) == NULL);
	CHECK(names_rc_errno_name(INT32_MIN) == NULL);
	CHECK(names_errno_name(41) == NULL);	/* a hole in Linux's numbering */
	CHECK(names_errno_name(0) == NULL);
	/* the libc we build against agrees with the table for every number it names */
	for (int e = 1; e <= 133; e++) {
		const char *n = names_errno_name(e);

		if (n)
			CHECK(names_errno_value(n) == e);
	}
	CHECK(names_errno_value("ENOENT") == ENOENT && names_errno_value("ENOSPC") == ENOSPC &&
	      names_errno_value("ESTALE") == ESTALE && names_errno_value("ENOTCONN") == ENOTCONN &&
	      names_errno_value("EREMOTEIO") == EREMOTEIO && names_errno_value("ENOKEY") == ENOKEY);
}

static void test_nearest(void)
{
	static const char *const keys[] = { "tool", "mode", "acceptable_count", "default_threshold_ms",
					    "track_commands", "exclude_commands", "actions" };

	CHECK(text_distance("kitten", "sitting") == 3);
	CHECK(text_distance("", "abc") == 3);
	CHECK(text_distance("ABC", "abc") == 0);
	CHECK(STREQ(names_nearest("acceptible_count", keys, 7), "acceptable_count"));
	CHECK(STREQ(names_nearest("track_command", keys, 7), "track_commands"));
	CHECK(STREQ(names_nearest("Mode", keys, 7), "mode"));
	CHECK(names_nearest("zzzzzzzz", keys, 7) == NULL);
	CHECK(names_nearest("x", keys, 7) == NULL);
	CHECK(STREQ(names_nearest_cmd("SMB2_WRTIE"), "SMB2_WRITE"));
	CHECK(STREQ(names_nearest_cmd("wrte"), "SMB2_WRITE"));
	CHECK(STREQ(names_nearest_cmd("SMB2_QUERYINFO"), "SMB2_QUERY_INFO"));
	CHECK(STREQ(names_nearest_code("EACESS"), "EACCES"));
	CHECK(STREQ(names_nearest_code("STATUS_IO_TIMEOUTS"), "STATUS_IO_TIMEOUT"));
	CHECK(STREQ(names_nearest_code("STATUS_ACCES_DENIED"), "STATUS_ACCESS_DENIED"));
	CHECK(names_nearest_code("completely_wrong_thing") == NULL);
	/* very long input is compared on its prefix, never overflows */
	char longname[400];
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = 0;
	CHECK(text_distance(longname, "a") == 126);
}

static void test_nfs_procs(void)
{
	/* AODv2's spelling, the kernel's NFSPROC4_CLNT_* indices */
	CHECK(names_op_id(NAMES_NFS, "NFSPROC4_CLNT_NULL") == 0);
	CHECK(names_op_id(NAMES_NFS, "NFSPROC4_CLNT_READ") == 1);
	CHECK(names_op_id(NAMES_NFS, "nfsproc4_clnt_write") == 2);
	CHECK(names_op_id(NAMES_NFS, "NFSPROC4_CLNT_GETATTR") == 18);
	CHECK(names_op_id(NAMES_NFS, "NFSPROC4_CLNT_SEQUENCE") == 41);
	CHECK(names_op_id(NAMES_NFS, "NFSPROC4_CLNT_BIND_CONN_TO_SESSION") == 52);
	CHECK(names_op_id(NAMES_NFS, "NFSPROC4_CLNT_READ_PLUS") == 68);
	/* the short form is NFSv4's */
	CHECK(names_op_id(NAMES_NFS, "READ") == 1 && names_op_id(NAMES_NFS, "Lookup") == 19);
	/* NFSv3 procedures come after the 69 v4 ones, by their RFC 1813 number */
	CHECK(names_op_id(NAMES_NFS, "NFS3PROC_NULL") == 69);
	CHECK(names_op_id(NAMES_NFS, "NFS3PROC_READ") == 69 + 6);
	CHECK(names_op_id(NAMES_NFS, "nfs3proc_write") == 69 + 7);
	CHECK(names_op_id(NAMES_NFS, "NFS3PROC_COMMIT") == 69 + 21);
	CHECK(names_op_id(NAMES_NFS, "READDIRPLUS") == -ENOENT);	/* v3 only: needs NFS3PROC_ */
	CHECK(names_op_id(NAMES_NFS, "NFSPROC4_CLNT_") == -ENOENT);
	CHECK(names_op_id(NAMES_NFS, "SMB2_READ") == -ENOENT);
	CHECK(names_op_id(NAMES_SMB, "NFSPROC4_CLNT_READ") == -ENOENT);
	CHECK(names_op_count(NAMES_NFS) == 91 && names_op_count(NAMES_SMB) == 20);
	CHECK(names_op_count(NAMES_IO) == NAMES_IO_NOPS);
	for (unsigned int i = 0; i < names_op_count(NAMES_NFS); i++)
		CHECK(names_op_id(NAMES_NFS, names_op_name(NAMES_NFS, i)) == (int)i);
	for (unsigned int i = 0; i < names_op_count(NAMES_IO); i++)
		CHECK(names_op_id(NAMES_IO, names_op_name(NAMES_IO, i)) == (int)i);
	CHECK(names_op_name(NAMES_NFS, 91) == NULL);
	CHECK(STREQ(names_nfs_proc_name(4, 1), "NFSPROC4_CLNT_READ"));
	CHECK(STREQ(names_nfs_proc_name(3, 6), "NFS3PROC_READ"));
	CHECK(names_nfs_proc_name(3, 22) == NULL && names_nfs_proc_name(4, 69) == NULL);
	CHECK(names_nfs_proc_name(2, 1) == NULL);
	CHECK(names_nfs_op_index(3, 7) == 76 && names_nfs_op_index(4, 68) == 68 && names_nfs_op_index(4, 69) < 0);
	CHECK(names_op_id(NAMES_IO, "fsync") == 3 && names_op_id(NAMES_IO, "WRITE") == 2);
	CHECK(names_op_id(NAMES_IO, "fsycn") == -ENOENT);
}

static void test_nfs_codes(void)
{
	enum names_code_space sp = NAMES_CODE_ERRNO;
	uint32_t v = 0;
	unsigned int nfs = 1u << NAMES_CODE_NFS4 | 1u << NAMES_CODE_NFS3 | 1u << NAMES_CODE_ERRNO;

	CHECK(names_code_value(nfs, "NFS4ERR_BAD_STATEID", &sp, &v) == 0 && sp == NAMES_CODE_NFS4 && v == 10025);
	CHECK(names_code_value(nfs, "NFS4ERR_OLD_STATEID", &sp, &v) == 0 && v == 10024);
	CHECK(names_code_value(nfs, "nfs4err_rofs", &sp, &v) == 0 && sp == NAMES_CODE_NFS4 && v == 30);
	CHECK(names_code_value(nfs, "NFS4ERR_DELAY", &sp, &v) == 0 && v == 10008);
	CHECK(names_code_value(nfs, "NFS4ERR_XATTR2BIG", &sp, &v) == 0 && v == 10096);
	CHECK(names_code_value(nfs, "NFS3ERR_ROFS", &sp, &v) == 0 && sp == NAMES_CODE_NFS3 && v == 30);
	CHECK(names_code_value(nfs, "NFS3ERR_JUKEBOX", &sp, &v) == 0 && v == 10008);
	CHECK(names_code_value(nfs, "NFS3ERR_NOENT", &sp, &v) == 0 && v == 2);
	CHECK(names_code_value(nfs, "ETIMEDOUT", &sp, &v) == 0 && sp == NAMES_CODE_ERRNO && v == ETIMEDOUT);
	CHECK(names_code_value(nfs, "STATUS_IO_TIMEOUT", &sp, &v) == -ENOENT);	/* not an NFS code */
	CHECK(names_code_value(1u << NAMES_CODE_ERRNO, "NFS4ERR_ROFS", &sp, &v) == -ENOENT);
	CHECK(STREQ(names_code_name(NAMES_CODE_NFS4, 10087), "NFS4ERR_DELEG_REVOKED"));
	CHECK(STREQ(names_code_name(NAMES_CODE_NFS3, 10001), "NFS3ERR_BADHANDLE"));
	CHECK(STREQ(names_code_name(NAMES_CODE_NFS4, 0), "NFS4_OK"));
	CHECK(names_code_name(NAMES_CODE_NFS4, 10073) == NULL);	/* unassigned */
	CHECK(names_code_name(NAMES_CODE_NSPACES, 1) == NULL);
	/* names and values unique in each table */
	for (int t = 0; t < NAMES_CODE_NSPACES; t++) {
		const struct code_table *ct = &code_tables[t];

		for (size_t i = 0; i < ct->n; i++)
			for (size_t j = i + 1; j < ct->n; j++)
				if (!strcmp(ct->t[i].name, ct->t[j].name) ||
				    (ct->t[i].value == ct->t[j].value && t != NAMES_CODE_ERRNO))
					CHECK(!"duplicate name or value in a code table");
	}
	CHECK(STREQ(names_code_nearest(nfs, "NFS4ERR_BAD_STATID"), "NFS4ERR_BAD_STATEID"));
	CHECK(STREQ(names_code_nearest(nfs, "NFS3ERR_ROFFS"), "NFS3ERR_ROFS"));
	CHECK(STREQ(names_code_nearest(nfs, "ETIMEOUT"), "ETIMEDOUT"));
	CHECK(names_code_nearest(nfs, "NOT_EVEN_CLOSE_TO_ANYTHING") == NULL);
	/* NFSv4 operation numbers, for error records' op */
	CHECK(names_nfs4_op_value("OP_READ") == 25 && names_nfs4_op_value("write") == 38);
	CHECK(names_nfs4_op_value("OP_SEQUENCE") == 53 && names_nfs4_op_value("OP_REMOVEXATTR") == 75);
	CHECK(names_nfs4_op_value("OP_ILLEGAL") == 10044 && names_nfs4_op_value("OP_NOPE") == -ENOENT);
	CHECK(STREQ(names_nfs4_op_name(22), "OP_PUTFH") && names_nfs4_op_name(2) == NULL);
	CHECK(STREQ(names_nfs4_op_nearest("OP_PUTHF"), "OP_PUTFH"));
}

static void test_nfs_nearest(void)
{
	CHECK(STREQ(names_op_nearest(NAMES_NFS, "NFSPROC4_CLNT_RAED"), "NFSPROC4_CLNT_READ"));
	CHECK(STREQ(names_op_nearest(NAMES_NFS, "GETATTRS"), "NFSPROC4_CLNT_GETATTR"));
	CHECK(STREQ(names_op_nearest(NAMES_NFS, "NFS3PROC_READDIRPLSU"), "NFS3PROC_READDIRPLUS"));
	CHECK(STREQ(names_op_nearest(NAMES_IO, "fsnyc"), "fsync"));
	CHECK(names_op_nearest(NAMES_NFS, "totally_unrelated_words") == NULL);
	/* a v3-only procedure without its prefix is refused, with the v3 name as the hint */
	CHECK(names_op_id(NAMES_NFS, "READDIRPLUS") == -ENOENT && names_op_id(NAMES_NFS, "MKNOD") == -ENOENT);
	CHECK(STREQ(names_op_nearest(NAMES_NFS, "READDIRPLUS"), "NFS3PROC_READDIRPLUS"));
	CHECK(STREQ(names_op_nearest(NAMES_NFS, "mknod"), "NFS3PROC_MKNOD"));
	CHECK(STREQ(names_op_what(NAMES_NFS), "NFS procedure"));
}

int main(void)
{
	test_commands();
	test_ntstatus();
	test_errno();
	test_nearest();
	test_nfs_procs();
	test_nfs_codes();
	test_nfs_nearest();
	return CHECK_DONE();
}

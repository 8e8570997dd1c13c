// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for the SMB2 command, NT status and errno tables and the "did you mean" hints. */
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

	CHECK(names_distance("kitten", "sitting") == 3);
	CHECK(names_distance("", "abc") == 3);
	CHECK(names_distance("ABC", "abc") == 0);
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
	CHECK(names_distance(longname, "a") == 126);
}

int main(void)
{
	test_commands();
	test_ntstatus();
	test_errno();
	test_nearest();
	return CHECK_DONE();
}

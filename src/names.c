// SPDX-License-Identifier: GPL-2.0-only
/* Name tables for SMB2 commands, NT status codes and errno names, and the "did you mean" distance. */
#include "names.h"

#include <errno.h>
#include <string.h>
#include <strings.h>

/* MS-SMB2 2.2.1.2: command ids as they appear on the wire. */
const char *const names_smb2_cmds[NAMES_SMB2_NCMD] = {
	"SMB2_NEGOTIATE", "SMB2_SESSION_SETUP", "SMB2_LOGOFF", "SMB2_TREE_CONNECT",
	"SMB2_TREE_DISCONNECT", "SMB2_CREATE", "SMB2_CLOSE", "SMB2_FLUSH",
	"SMB2_READ", "SMB2_WRITE", "SMB2_LOCK", "SMB2_IOCTL",
	"SMB2_CANCEL", "SMB2_ECHO", "SMB2_QUERY_DIRECTORY", "SMB2_CHANGE_NOTIFY",
	"SMB2_QUERY_INFO", "SMB2_SET_INFO", "SMB2_OPLOCK_BREAK", "SMB2_SERVER_TO_CLIENT_NOTIFICATION",
};

struct name_value {
	const char *name;
	uint32_t value;
};

/* MS-ERREF 2.3.1; the ones an SMB client sees in practice. */
static const struct name_value ntstatus[] = {
	{ "STATUS_SUCCESS", 0x00000000 },
	{ "STATUS_PENDING", 0x00000103 },
	{ "STATUS_NOTIFY_CLEANUP", 0x0000010B },
	{ "STATUS_NOTIFY_ENUM_DIR", 0x0000010C },
	{ "STATUS_BUFFER_OVERFLOW", 0x80000005 },
	{ "STATUS_NO_MORE_FILES", 0x80000006 },
	{ "STATUS_STOPPED_ON_SYMLINK", 0x8000002D },
	{ "STATUS_UNSUCCESSFUL", 0xC0000001 },
	{ "STATUS_NOT_IMPLEMENTED", 0xC0000002 },
	{ "STATUS_INVALID_INFO_CLASS", 0xC0000003 },
	{ "STATUS_INFO_LENGTH_MISMATCH", 0xC0000004 },
	{ "STATUS_ACCESS_VIOLATION", 0xC0000005 },
	{ "STATUS_INVALID_HANDLE", 0xC0000008 },
	{ "STATUS_INVALID_PARAMETER", 0xC000000D },
	{ "STATUS_NO_SUCH_DEVICE", 0xC000000E },
	{ "STATUS_NO_SUCH_FILE", 0xC000000F },
	{ "STATUS_INVALID_DEVICE_REQUEST", 0xC0000010 },
	{ "STATUS_END_OF_FILE", 0xC0000011 },
	{ "STATUS_MORE_PROCESSING_REQUIRED", 0xC0000016 },
	{ "STATUS_NO_MEMORY", 0xC0000017 },
	{ "STATUS_INVALID_LOCK_SEQUENCE", 0xC000001E },
	{ "STATUS_ACCESS_DENIED", 0xC0000022 },
	{ "STATUS_BUFFER_TOO_SMALL", 0xC0000023 },
	{ "STATUS_OBJECT_TYPE_MISMATCH", 0xC0000024 },
	{ "STATUS_OBJECT_NAME_INVALID", 0xC0000033 },
	{ "STATUS_OBJECT_NAME_NOT_FOUND", 0xC0000034 },
	{ "STATUS_OBJECT_NAME_COLLISION", 0xC0000035 },
	{ "STATUS_OBJECT_PATH_INVALID", 0xC0000039 },
	{ "STATUS_OBJECT_PATH_NOT_FOUND", 0xC000003A },
	{ "STATUS_OBJECT_PATH_SYNTAX_BAD", 0xC000003B },
	{ "STATUS_DATA_ERROR", 0xC000003E },
	{ "STATUS_SHARING_VIOLATION", 0xC0000043 },
	{ "STATUS_QUOTA_EXCEEDED", 0xC0000044 },
	{ "STATUS_EAS_NOT_SUPPORTED", 0xC000004F },
	{ "STATUS_EA_TOO_LARGE", 0xC0000050 },
	{ "STATUS_FILE_LOCK_CONFLICT", 0xC0000054 },
	{ "STATUS_LOCK_NOT_GRANTED", 0xC0000055 },
	{ "STATUS_DELETE_PENDING", 0xC0000056 },
	{ "STATUS_NO_LOGON_SERVERS", 0xC000005E },
	{ "STATUS_NO_SUCH_LOGON_SESSION", 0xC000005F },
	{ "STATUS_PRIVILEGE_NOT_HELD", 0xC0000061 },
	{ "STATUS_NO_SUCH_USER", 0xC0000064 },
	{ "STATUS_WRONG_PASSWORD", 0xC000006A },
	{ "STATUS_LOGON_FAILURE", 0xC000006D },
	{ "STATUS_ACCOUNT_RESTRICTION", 0xC000006E },
	{ "STATUS_INVALID_LOGON_HOURS", 0xC000006F },
	{ "STATUS_INVALID_WORKSTATION", 0xC0000070 },
	{ "STATUS_PASSWORD_EXPIRED", 0xC0000071 },
	{ "STATUS_ACCOUNT_DISABLED", 0xC0000072 },
	{ "STATUS_RANGE_NOT_LOCKED", 0xC000007E },
	{ "STATUS_DISK_FULL", 0xC000007F },
	{ "STATUS_FILE_INVALID", 0xC0000098 },
	{ "STATUS_INSUFFICIENT_RESOURCES", 0xC000009A },
	{ "STATUS_MEDIA_WRITE_PROTECTED", 0xC00000A2 },
	{ "STATUS_DEVICE_NOT_READY", 0xC00000A3 },
	{ "STATUS_PIPE_DISCONNECTED", 0xC00000B0 },
	{ "STATUS_IO_TIMEOUT", 0xC00000B5 },
	{ "STATUS_FILE_IS_A_DIRECTORY", 0xC00000BA },
	{ "STATUS_NOT_SUPPORTED", 0xC00000BB },
	{ "STATUS_DUPLICATE_NAME", 0xC00000BD },
	{ "STATUS_BAD_NETWORK_PATH", 0xC00000BE },
	{ "STATUS_NETWORK_BUSY", 0xC00000BF },
	{ "STATUS_INVALID_NETWORK_RESPONSE", 0xC00000C3 },
	{ "STATUS_UNEXPECTED_NETWORK_ERROR", 0xC00000C4 },
	{ "STATUS_NETWORK_NAME_DELETED", 0xC00000C9 },
	{ "STATUS_NETWORK_ACCESS_DENIED", 0xC00000CA },
	{ "STATUS_BAD_NETWORK_NAME", 0xC00000CC },
	{ "STATUS_REQUEST_NOT_ACCEPTED", 0xC00000D0 },
	{ "STATUS_NOT_SAME_DEVICE", 0xC00000D4 },
	{ "STATUS_FILE_RENAMED", 0xC00000D5 },
	{ "STATUS_OPLOCK_NOT_GRANTED", 0xC00000E2 },
	{ "STATUS_INTERNAL_ERROR", 0xC00000E5 },
	{ "STATUS_DIRECTORY_NOT_EMPTY", 0xC0000101 },
	{ "STATUS_NOT_A_DIRECTORY", 0xC0000103 },
	{ "STATUS_NAME_TOO_LONG", 0xC0000106 },
	{ "STATUS_TOO_MANY_OPENED_FILES", 0xC000011F },
	{ "STATUS_CANCELLED", 0xC0000120 },
	{ "STATUS_CANNOT_DELETE", 0xC0000121 },
	{ "STATUS_FILE_DELETED", 0xC0000123 },
	{ "STATUS_FILE_CLOSED", 0xC0000128 },
	{ "STATUS_INVALID_LEVEL", 0xC0000148 },
	{ "STATUS_PIPE_BROKEN", 0xC000014B },
	{ "STATUS_INVALID_DEVICE_STATE", 0xC0000184 },
	{ "STATUS_TRUSTED_RELATIONSHIP_FAILURE", 0xC000018D },
	{ "STATUS_FS_DRIVER_REQUIRED", 0xC000019C },
	{ "STATUS_USER_SESSION_DELETED", 0xC0000203 },
	{ "STATUS_INSUFF_SERVER_RESOURCES", 0xC0000205 },
	{ "STATUS_CONNECTION_DISCONNECTED", 0xC000020C },
	{ "STATUS_CONNECTION_RESET", 0xC000020D },
	{ "STATUS_PASSWORD_MUST_CHANGE", 0xC0000224 },
	{ "STATUS_NOT_FOUND", 0xC0000225 },
	{ "STATUS_RETRY", 0xC000022D },
	{ "STATUS_ACCOUNT_LOCKED_OUT", 0xC0000234 },
	{ "STATUS_CONNECTION_REFUSED", 0xC0000236 },
	{ "STATUS_NETWORK_UNREACHABLE", 0xC000023C },
	{ "STATUS_HOST_UNREACHABLE", 0xC000023D },
	{ "STATUS_REQUEST_ABORTED", 0xC0000240 },
	{ "STATUS_CONNECTION_ABORTED", 0xC0000241 },
	{ "STATUS_PATH_NOT_COVERED", 0xC0000257 },
	{ "STATUS_VOLUME_DISMOUNTED", 0xC000026E },
	{ "STATUS_NOT_A_REPARSE_POINT", 0xC0000275 },
	{ "STATUS_IO_REPARSE_TAG_NOT_HANDLED", 0xC0000279 },
	{ "STATUS_NETWORK_SESSION_EXPIRED", 0xC000035C },
	{ "STATUS_SERVER_UNAVAILABLE", 0xC0000466 },
	{ "STATUS_FILE_NOT_AVAILABLE", 0xC0000467 },
};

/* Linux asm-generic/errno-base.h and errno.h, which x86_64 uses; musl has no strerrorname_np. */
static const struct name_value errnos[] = {
	{ "EPERM", 1 },
	{ "ENOENT", 2 },
	{ "ESRCH", 3 },
	{ "EINTR", 4 },
	{ "EIO", 5 },
	{ "ENXIO", 6 },
	{ "E2BIG", 7 },
	{ "ENOEXEC", 8 },
	{ "EBADF", 9 },
	{ "ECHILD", 10 },
	{ "EAGAIN", 11 },
	{ "ENOMEM", 12 },
	{ "EACCES", 13 },
	{ "EFAULT", 14 },
	{ "ENOTBLK", 15 },
	{ "EBUSY", 16 },
	{ "EEXIST", 17 },
	{ "EXDEV", 18 },
	{ "ENODEV", 19 },
	{ "ENOTDIR", 20 },
	{ "EISDIR", 21 },
	{ "EINVAL", 22 },
	{ "ENFILE", 23 },
	{ "EMFILE", 24 },
	{ "ENOTTY", 25 },
	{ "ETXTBSY", 26 },
	{ "EFBIG", 27 },
	{ "ENOSPC", 28 },
	{ "ESPIPE", 29 },
	{ "EROFS", 30 },
	{ "EMLINK", 31 },
	{ "EPIPE", 32 },
	{ "EDOM", 33 },
	{ "ERANGE", 34 },
	{ "EDEADLK", 35 },
	{ "ENAMETOOLONG", 36 },
	{ "ENOLCK", 37 },
	{ "ENOSYS", 38 },
	{ "ENOTEMPTY", 39 },
	{ "ELOOP", 40 },
	{ "ENOMSG", 42 },
	{ "EIDRM", 43 },
	{ "ECHRNG", 44 },
	{ "EL2NSYNC", 45 },
	{ "EL3HLT", 46 },
	{ "EL3RST", 47 },
	{ "ELNRNG", 48 },
	{ "EUNATCH", 49 },
	{ "ENOCSI", 50 },
	{ "EL2HLT", 51 },
	{ "EBADE", 52 },
	{ "EBADR", 53 },
	{ "EXFULL", 54 },
	{ "ENOANO", 55 },
	{ "EBADRQC", 56 },
	{ "EBADSLT", 57 },
	{ "EBFONT", 59 },
	{ "ENOSTR", 60 },
	{ "ENODATA", 61 },
	{ "ETIME", 62 },
	{ "ENOSR", 63 },
	{ "ENONET", 64 },
	{ "ENOPKG", 65 },
	{ "EREMOTE", 66 },
	{ "ENOLINK", 67 },
	{ "EADV", 68 },
	{ "ESRMNT", 69 },
	{ "ECOMM", 70 },
	{ "EPROTO", 71 },
	{ "EMULTIHOP", 72 },
	{ "EDOTDOT", 73 },
	{ "EBADMSG", 74 },
	{ "EOVERFLOW", 75 },
	{ "ENOTUNIQ", 76 },
	{ "EBADFD", 77 },
	{ "EREMCHG", 78 },
	{ "ELIBACC", 79 },
	{ "ELIBBAD", 80 },
	{ "ELIBSCN", 81 },
	{ "ELIBMAX", 82 },
	{ "ELIBEXEC", 83 },
	{ "EILSEQ", 84 },
	{ "ERESTART", 85 },
	{ "ESTRPIPE", 86 },
	{ "EUSERS", 87 },
	{ "ENOTSOCK", 88 },
	{ "EDESTADDRREQ", 89 },
	{ "EMSGSIZE", 90 },
	{ "EPROTOTYPE", 91 },
	{ "ENOPROTOOPT", 92 },
	{ "EPROTONOSUPPORT", 93 },
	{ "ESOCKTNOSUPPORT", 94 },
	{ "EOPNOTSUPP", 95 },
	{ "EPFNOSUPPORT", 96 },
	{ "EAFNOSUPPORT", 97 },
	{ "EADDRINUSE", 98 },
	{ "EADDRNOTAVAIL", 99 },
	{ "ENETDOWN", 100 },
	{ "ENETUNREACH", 101 },
	{ "ENETRESET", 102 },
	{ "ECONNABORTED", 103 },
	{ "ECONNRESET", 104 },
	{ "ENOBUFS", 105 },
	{ "EISCONN", 106 },
	{ "ENOTCONN", 107 },
	{ "ESHUTDOWN", 108 },
	{ "ETOOMANYREFS", 109 },
	{ "ETIMEDOUT", 110 },
	{ "ECONNREFUSED", 111 },
	{ "EHOSTDOWN", 112 },
	{ "EHOSTUNREACH", 113 },
	{ "EALREADY", 114 },
	{ "EINPROGRESS", 115 },
	{ "ESTALE", 116 },
	{ "EUCLEAN", 117 },
	{ "ENOTNAM", 118 },
	{ "ENAVAIL", 119 },
	{ "EISNAM", 120 },
	{ "EREMOTEIO", 121 },
	{ "EDQUOT", 122 },
	{ "ENOMEDIUM", 123 },
	{ "EMEDIUMTYPE", 124 },
	{ "ECANCELED", 125 },
	{ "ENOKEY", 126 },
	{ "EKEYEXPIRED", 127 },
	{ "EKEYREVOKED", 128 },
	{ "EKEYREJECTED", 129 },
	{ "EOWNERDEAD", 130 },
	{ "ENOTRECOVERABLE", 131 },
	{ "ERFKILL", 132 },
	{ "EHWPOISON", 133 },
	/* aliases after the primaries, so a number maps back to its usual name */
	{ "EWOULDBLOCK", 11 },
	{ "EDEADLOCK", 35 },
	{ "ENOTSUP", 95 },
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

int names_smb2_cmd_id(const char *name)
{
	size_t i;

	if (!strncasecmp(name, "SMB2_", 5))
		name += 5;
	for (i = 0; i < NAMES_SMB2_NCMD; i++)
		if (!strcasecmp(name, names_smb2_cmds[i] + 5))
			return (int)i;
	return -ENOENT;
}

const char *names_smb2_cmd_name(unsigned int id)
{
	return id < NAMES_SMB2_NCMD ? names_smb2_cmds[id] : NULL;
}

int names_ntstatus_value(const char *name, uint32_t *value)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(ntstatus); i++) {
		if (!strcasecmp(name, ntstatus[i].name)) {
			*value = ntstatus[i].value;
			return 0;
		}
	}
	return -ENOENT;
}

const char *names_ntstatus_name(uint32_t value)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(ntstatus); i++)
		if (ntstatus[i].value == value)
			return ntstatus[i].name;
	return NULL;
}

int names_errno_value(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(errnos); i++)
		if (!strcasecmp(name, errnos[i].name))
			return (int)errnos[i].value;
	return -ENOENT;
}

const char *names_errno_name(int value)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(errnos); i++)
		if ((int)errnos[i].value == value)
			return errnos[i].name;
	return NULL;
}

const char *names_kernel_errno_name(int value)
{
	return value == 524 ? "ENOTSUPP" : names_errno_name(value);
}

static unsigned char lower(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

#define DIST_MAX 127

unsigned int names_distance(const char *a, const char *b)
{
	/* Two rows of the classic table on the stack: config names are short, and no malloc. */
	unsigned int prev[DIST_MAX + 1], cur[DIST_MAX + 1];
	size_t la = strnlen(a, DIST_MAX), lb = strnlen(b, DIST_MAX), i, j;

	for (j = 0; j <= lb; j++)
		prev[j] = (unsigned int)j;
	for (i = 1; i <= la; i++) {
		cur[0] = (unsigned int)i;
		for (j = 1; j <= lb; j++) {
			unsigned int sub = prev[j - 1] + (lower((unsigned char)a[i - 1]) != lower((unsigned char)b[j - 1]));
			unsigned int del = prev[j] + 1, ins = cur[j - 1] + 1;

			cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
		}
		memcpy(prev, cur, (lb + 1) * sizeof(prev[0]));
	}
	return prev[lb];
}

/* A hint helps only when the typo is small next to the word: at most a third of it, at least 2. */
static unsigned int max_hint_distance(const char *bad)
{
	size_t l = strlen(bad);
	unsigned int m = (unsigned int)(l / 3);

	return m < 2 ? 2 : m;
}

struct best {
	const char *name;
	unsigned int dist;
};

static void consider(struct best *b, const char *bad, const char *cand, const char *result)
{
	unsigned int d = names_distance(bad, cand);

	if (d < b->dist && d < strlen(bad)) {
		b->dist = d;
		b->name = result;
	}
}

static const char *verdict(const struct best *b, const char *bad)
{
	return b->name && b->dist <= max_hint_distance(bad) ? b->name : NULL;
}

const char *names_nearest(const char *bad, const char *const *cands, size_t n)
{
	struct best b = { NULL, ~0u };
	size_t i;

	for (i = 0; i < n; i++)
		if (cands[i])
			consider(&b, bad, cands[i], cands[i]);
	return verdict(&b, bad);
}

const char *names_nearest_cmd(const char *bad)
{
	struct best b = { NULL, ~0u };
	size_t i;

	for (i = 0; i < NAMES_SMB2_NCMD; i++) {
		consider(&b, bad, names_smb2_cmds[i], names_smb2_cmds[i]);
		consider(&b, bad, names_smb2_cmds[i] + 5, names_smb2_cmds[i]);
	}
	return verdict(&b, bad);
}

const char *names_nearest_code(const char *bad)
{
	struct best b = { NULL, ~0u };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(ntstatus); i++)
		consider(&b, bad, ntstatus[i].name, ntstatus[i].name);
	for (i = 0; i < ARRAY_SIZE(errnos); i++)
		consider(&b, bad, errnos[i].name, errnos[i].name);
	return verdict(&b, bad);
}

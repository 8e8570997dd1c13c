// SPDX-License-Identifier: GPL-2.0-only
/* Name tables: SMB2 commands, NFS procedures and operations, NT status, nfsstat and errno codes, "did you mean". */
#include "names.h"

#include <errno.h>
#include <string.h>
#include <strings.h>

#include "array.h"
#include "text.h"

/* MS-SMB2 2.2.1.2: command ids as they appear on the wire. */
const char *const names_smb2_cmds[NAMES_SMB2_NCMD] = {
	"SMB2_NEGOTIATE", "SMB2_SESSION_SETUP", "SMB2_LOGOFF", "SMB2_TREE_CONNECT",
	"SMB2_TREE_DISCONNECT", "SMB2_CREATE", "SMB2_CLOSE", "SMB2_FLUSH",
	"SMB2_READ", "SMB2_WRITE", "SMB2_LOCK", "SMB2_IOCTL",
	"SMB2_CANCEL", "SMB2_ECHO", "SMB2_QUERY_DIRECTORY", "SMB2_CHANGE_NOTIFY",
	"SMB2_QUERY_INFO", "SMB2_SET_INFO", "SMB2_OPLOCK_BREAK", "SMB2_SERVER_TO_CLIENT_NOTIFICATION",
};

/*
 * The Linux NFSv4 client's procedure indices (include/linux/nfs4.h, the NFSPROC4_CLNT_* enum),
 * which are what rpc_procinfo.p_statidx holds and what AODv2's configs name.
 */
static const char *const nfs4_procs[NAMES_NFS4_NPROC] = {
	"NFSPROC4_CLNT_NULL", "NFSPROC4_CLNT_READ", "NFSPROC4_CLNT_WRITE", "NFSPROC4_CLNT_COMMIT",
	"NFSPROC4_CLNT_OPEN", "NFSPROC4_CLNT_OPEN_CONFIRM", "NFSPROC4_CLNT_OPEN_NOATTR",
	"NFSPROC4_CLNT_OPEN_DOWNGRADE", "NFSPROC4_CLNT_CLOSE", "NFSPROC4_CLNT_SETATTR",
	"NFSPROC4_CLNT_FSINFO", "NFSPROC4_CLNT_RENEW", "NFSPROC4_CLNT_SETCLIENTID",
	"NFSPROC4_CLNT_SETCLIENTID_CONFIRM", "NFSPROC4_CLNT_LOCK", "NFSPROC4_CLNT_LOCKT",
	"NFSPROC4_CLNT_LOCKU", "NFSPROC4_CLNT_ACCESS", "NFSPROC4_CLNT_GETATTR", "NFSPROC4_CLNT_LOOKUP",
	"NFSPROC4_CLNT_LOOKUP_ROOT", "NFSPROC4_CLNT_REMOVE", "NFSPROC4_CLNT_RENAME", "NFSPROC4_CLNT_LINK",
	"NFSPROC4_CLNT_SYMLINK", "NFSPROC4_CLNT_CREATE", "NFSPROC4_CLNT_PATHCONF", "NFSPROC4_CLNT_STATFS",
	"NFSPROC4_CLNT_READLINK", "NFSPROC4_CLNT_READDIR", "NFSPROC4_CLNT_SERVER_CAPS",
	"NFSPROC4_CLNT_DELEGRETURN", "NFSPROC4_CLNT_GETACL", "NFSPROC4_CLNT_SETACL",
	"NFSPROC4_CLNT_FS_LOCATIONS", "NFSPROC4_CLNT_RELEASE_LOCKOWNER", "NFSPROC4_CLNT_SECINFO",
	"NFSPROC4_CLNT_FSID_PRESENT", "NFSPROC4_CLNT_EXCHANGE_ID", "NFSPROC4_CLNT_CREATE_SESSION",
	"NFSPROC4_CLNT_DESTROY_SESSION", "NFSPROC4_CLNT_SEQUENCE", "NFSPROC4_CLNT_GET_LEASE_TIME",
	"NFSPROC4_CLNT_RECLAIM_COMPLETE", "NFSPROC4_CLNT_LAYOUTGET", "NFSPROC4_CLNT_GETDEVICEINFO",
	"NFSPROC4_CLNT_LAYOUTCOMMIT", "NFSPROC4_CLNT_LAYOUTRETURN", "NFSPROC4_CLNT_SECINFO_NO_NAME",
	"NFSPROC4_CLNT_TEST_STATEID", "NFSPROC4_CLNT_FREE_STATEID", "NFSPROC4_CLNT_GETDEVICELIST",
	"NFSPROC4_CLNT_BIND_CONN_TO_SESSION", "NFSPROC4_CLNT_DESTROY_CLIENTID", "NFSPROC4_CLNT_SEEK",
	"NFSPROC4_CLNT_ALLOCATE", "NFSPROC4_CLNT_DEALLOCATE", "NFSPROC4_CLNT_LAYOUTSTATS",
	"NFSPROC4_CLNT_CLONE", "NFSPROC4_CLNT_COPY", "NFSPROC4_CLNT_OFFLOAD_CANCEL",
	"NFSPROC4_CLNT_LOOKUPP", "NFSPROC4_CLNT_LAYOUTERROR", "NFSPROC4_CLNT_COPY_NOTIFY",
	"NFSPROC4_CLNT_GETXATTR", "NFSPROC4_CLNT_SETXATTR", "NFSPROC4_CLNT_LISTXATTRS",
	"NFSPROC4_CLNT_REMOVEXATTR", "NFSPROC4_CLNT_READ_PLUS",
};

/* RFC 1813 procedure numbers (include/uapi/linux/nfs3.h), which the v3 client's p_statidx holds. */
static const char *const nfs3_procs[NAMES_NFS3_NPROC] = {
	"NFS3PROC_NULL", "NFS3PROC_GETATTR", "NFS3PROC_SETATTR", "NFS3PROC_LOOKUP", "NFS3PROC_ACCESS",
	"NFS3PROC_READLINK", "NFS3PROC_READ", "NFS3PROC_WRITE", "NFS3PROC_CREATE", "NFS3PROC_MKDIR",
	"NFS3PROC_SYMLINK", "NFS3PROC_MKNOD", "NFS3PROC_REMOVE", "NFS3PROC_RMDIR", "NFS3PROC_RENAME",
	"NFS3PROC_LINK", "NFS3PROC_READDIR", "NFS3PROC_READDIRPLUS", "NFS3PROC_FSSTAT", "NFS3PROC_FSINFO",
	"NFS3PROC_PATHCONF", "NFS3PROC_COMMIT",
};

/* The VFS operations io.error names; the io source reports them by these indices. */
static const char *const io_ops[NAMES_IO_NOPS] = {
	"open", "read", "write", "fsync", "fdatasync", "close", "truncate", "rename", "unlink",
	"mkdir", "rmdir", "link", "symlink", "readdir", "stat", "setattr",
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

/* nfsstat4 (RFC 7530 13.1, RFC 5661 15.1, RFC 7862 11.1, RFC 8276), as include/linux/nfs4.h lists them. */
static const struct name_value nfs4errs[] = {
	{ "NFS4_OK", 0 },
	{ "NFS4ERR_PERM", 1 },
	{ "NFS4ERR_NOENT", 2 },
	{ "NFS4ERR_IO", 5 },
	{ "NFS4ERR_NXIO", 6 },
	{ "NFS4ERR_ACCESS", 13 },
	{ "NFS4ERR_EXIST", 17 },
	{ "NFS4ERR_XDEV", 18 },
	{ "NFS4ERR_NOTDIR", 20 },
	{ "NFS4ERR_ISDIR", 21 },
	{ "NFS4ERR_INVAL", 22 },
	{ "NFS4ERR_FBIG", 27 },
	{ "NFS4ERR_NOSPC", 28 },
	{ "NFS4ERR_ROFS", 30 },
	{ "NFS4ERR_MLINK", 31 },
	{ "NFS4ERR_NAMETOOLONG", 63 },
	{ "NFS4ERR_NOTEMPTY", 66 },
	{ "NFS4ERR_DQUOT", 69 },
	{ "NFS4ERR_STALE", 70 },
	{ "NFS4ERR_BADHANDLE", 10001 },
	{ "NFS4ERR_BAD_COOKIE", 10003 },
	{ "NFS4ERR_NOTSUPP", 10004 },
	{ "NFS4ERR_TOOSMALL", 10005 },
	{ "NFS4ERR_SERVERFAULT", 10006 },
	{ "NFS4ERR_BADTYPE", 10007 },
	{ "NFS4ERR_DELAY", 10008 },
	{ "NFS4ERR_SAME", 10009 },
	{ "NFS4ERR_DENIED", 10010 },
	{ "NFS4ERR_EXPIRED", 10011 },
	{ "NFS4ERR_LOCKED", 10012 },
	{ "NFS4ERR_GRACE", 10013 },
	{ "NFS4ERR_FHEXPIRED", 10014 },
	{ "NFS4ERR_SHARE_DENIED", 10015 },
	{ "NFS4ERR_WRONGSEC", 10016 },
	{ "NFS4ERR_CLID_INUSE", 10017 },
	{ "NFS4ERR_RESOURCE", 10018 },
	{ "NFS4ERR_MOVED", 10019 },
	{ "NFS4ERR_NOFILEHANDLE", 10020 },
	{ "NFS4ERR_MINOR_VERS_MISMATCH", 10021 },
	{ "NFS4ERR_STALE_CLIENTID", 10022 },
	{ "NFS4ERR_STALE_STATEID", 10023 },
	{ "NFS4ERR_OLD_STATEID", 10024 },
	{ "NFS4ERR_BAD_STATEID", 10025 },
	{ "NFS4ERR_BAD_SEQID", 10026 },
	{ "NFS4ERR_NOT_SAME", 10027 },
	{ "NFS4ERR_LOCK_RANGE", 10028 },
	{ "NFS4ERR_SYMLINK", 10029 },
	{ "NFS4ERR_RESTOREFH", 10030 },
	{ "NFS4ERR_LEASE_MOVED", 10031 },
	{ "NFS4ERR_ATTRNOTSUPP", 10032 },
	{ "NFS4ERR_NO_GRACE", 10033 },
	{ "NFS4ERR_RECLAIM_BAD", 10034 },
	{ "NFS4ERR_RECLAIM_CONFLICT", 10035 },
	{ "NFS4ERR_BADXDR", 10036 },
	{ "NFS4ERR_LOCKS_HELD", 10037 },
	{ "NFS4ERR_OPENMODE", 10038 },
	{ "NFS4ERR_BADOWNER", 10039 },
	{ "NFS4ERR_BADCHAR", 10040 },
	{ "NFS4ERR_BADNAME", 10041 },
	{ "NFS4ERR_BAD_RANGE", 10042 },
	{ "NFS4ERR_LOCK_NOTSUPP", 10043 },
	{ "NFS4ERR_OP_ILLEGAL", 10044 },
	{ "NFS4ERR_DEADLOCK", 10045 },
	{ "NFS4ERR_FILE_OPEN", 10046 },
	{ "NFS4ERR_ADMIN_REVOKED", 10047 },
	{ "NFS4ERR_CB_PATH_DOWN", 10048 },
	{ "NFS4ERR_BADIOMODE", 10049 },
	{ "NFS4ERR_BADLAYOUT", 10050 },
	{ "NFS4ERR_BAD_SESSION_DIGEST", 10051 },
	{ "NFS4ERR_BADSESSION", 10052 },
	{ "NFS4ERR_BADSLOT", 10053 },
	{ "NFS4ERR_COMPLETE_ALREADY", 10054 },
	{ "NFS4ERR_CONN_NOT_BOUND_TO_SESSION", 10055 },
	{ "NFS4ERR_DELEG_ALREADY_WANTED", 10056 },
	{ "NFS4ERR_BACK_CHAN_BUSY", 10057 },
	{ "NFS4ERR_LAYOUTTRYLATER", 10058 },
	{ "NFS4ERR_LAYOUTUNAVAILABLE", 10059 },
	{ "NFS4ERR_NOMATCHING_LAYOUT", 10060 },
	{ "NFS4ERR_RECALLCONFLICT", 10061 },
	{ "NFS4ERR_UNKNOWN_LAYOUTTYPE", 10062 },
	{ "NFS4ERR_SEQ_MISORDERED", 10063 },
	{ "NFS4ERR_SEQUENCE_POS", 10064 },
	{ "NFS4ERR_REQ_TOO_BIG", 10065 },
	{ "NFS4ERR_REP_TOO_BIG", 10066 },
	{ "NFS4ERR_REP_TOO_BIG_TO_CACHE", 10067 },
	{ "NFS4ERR_RETRY_UNCACHED_REP", 10068 },
	{ "NFS4ERR_UNSAFE_COMPOUND", 10069 },
	{ "NFS4ERR_TOO_MANY_OPS", 10070 },
	{ "NFS4ERR_OP_NOT_IN_SESSION", 10071 },
	{ "NFS4ERR_HASH_ALG_UNSUPP", 10072 },
	{ "NFS4ERR_CLIENTID_BUSY", 10074 },
	{ "NFS4ERR_PNFS_IO_HOLE", 10075 },
	{ "NFS4ERR_SEQ_FALSE_RETRY", 10076 },
	{ "NFS4ERR_BAD_HIGH_SLOT", 10077 },
	{ "NFS4ERR_DEADSESSION", 10078 },
	{ "NFS4ERR_ENCR_ALG_UNSUPP", 10079 },
	{ "NFS4ERR_PNFS_NO_LAYOUT", 10080 },
	{ "NFS4ERR_NOT_ONLY_OP", 10081 },
	{ "NFS4ERR_WRONG_CRED", 10082 },
	{ "NFS4ERR_WRONG_TYPE", 10083 },
	{ "NFS4ERR_DIRDELEG_UNAVAIL", 10084 },
	{ "NFS4ERR_REJECT_DELEG", 10085 },
	{ "NFS4ERR_RETURNCONFLICT", 10086 },
	{ "NFS4ERR_DELEG_REVOKED", 10087 },
	{ "NFS4ERR_PARTNER_NOTSUPP", 10088 },
	{ "NFS4ERR_PARTNER_NO_AUTH", 10089 },
	{ "NFS4ERR_UNION_NOTSUPP", 10090 },
	{ "NFS4ERR_OFFLOAD_DENIED", 10091 },
	{ "NFS4ERR_WRONG_LFS", 10092 },
	{ "NFS4ERR_BADLABEL", 10093 },
	{ "NFS4ERR_OFFLOAD_NO_REQS", 10094 },
	{ "NFS4ERR_NOXATTR", 10095 },
	{ "NFS4ERR_XATTR2BIG", 10096 },
};

/* nfsstat3 (RFC 1813 2.6; include/uapi/linux/nfs.h names them NFSERR_*). */
static const struct name_value nfs3errs[] = {
	{ "NFS3_OK", 0 },
	{ "NFS3ERR_PERM", 1 },
	{ "NFS3ERR_NOENT", 2 },
	{ "NFS3ERR_IO", 5 },
	{ "NFS3ERR_NXIO", 6 },
	{ "NFS3ERR_ACCES", 13 },
	{ "NFS3ERR_EXIST", 17 },
	{ "NFS3ERR_XDEV", 18 },
	{ "NFS3ERR_NODEV", 19 },
	{ "NFS3ERR_NOTDIR", 20 },
	{ "NFS3ERR_ISDIR", 21 },
	{ "NFS3ERR_INVAL", 22 },
	{ "NFS3ERR_FBIG", 27 },
	{ "NFS3ERR_NOSPC", 28 },
	{ "NFS3ERR_ROFS", 30 },
	{ "NFS3ERR_MLINK", 31 },
	{ "NFS3ERR_NAMETOOLONG", 63 },
	{ "NFS3ERR_NOTEMPTY", 66 },
	{ "NFS3ERR_DQUOT", 69 },
	{ "NFS3ERR_STALE", 70 },
	{ "NFS3ERR_REMOTE", 71 },
	{ "NFS3ERR_BADHANDLE", 10001 },
	{ "NFS3ERR_NOT_SYNC", 10002 },
	{ "NFS3ERR_BAD_COOKIE", 10003 },
	{ "NFS3ERR_NOTSUPP", 10004 },
	{ "NFS3ERR_TOOSMALL", 10005 },
	{ "NFS3ERR_SERVERFAULT", 10006 },
	{ "NFS3ERR_BADTYPE", 10007 },
	{ "NFS3ERR_JUKEBOX", 10008 },
};

/* nfs_opnum4 (include/linux/nfs4.h): what an nfs4_xdr_status error names as its op. */
static const struct name_value nfs4ops[] = {
	{ "OP_ACCESS", 3 },
	{ "OP_CLOSE", 4 },
	{ "OP_COMMIT", 5 },
	{ "OP_CREATE", 6 },
	{ "OP_DELEGPURGE", 7 },
	{ "OP_DELEGRETURN", 8 },
	{ "OP_GETATTR", 9 },
	{ "OP_GETFH", 10 },
	{ "OP_LINK", 11 },
	{ "OP_LOCK", 12 },
	{ "OP_LOCKT", 13 },
	{ "OP_LOCKU", 14 },
	{ "OP_LOOKUP", 15 },
	{ "OP_LOOKUPP", 16 },
	{ "OP_NVERIFY", 17 },
	{ "OP_OPEN", 18 },
	{ "OP_OPENATTR", 19 },
	{ "OP_OPEN_CONFIRM", 20 },
	{ "OP_OPEN_DOWNGRADE", 21 },
	{ "OP_PUTFH", 22 },
	{ "OP_PUTPUBFH", 23 },
	{ "OP_PUTROOTFH", 24 },
	{ "OP_READ", 25 },
	{ "OP_READDIR", 26 },
	{ "OP_READLINK", 27 },
	{ "OP_REMOVE", 28 },
	{ "OP_RENAME", 29 },
	{ "OP_RENEW", 30 },
	{ "OP_RESTOREFH", 31 },
	{ "OP_SAVEFH", 32 },
	{ "OP_SECINFO", 33 },
	{ "OP_SETATTR", 34 },
	{ "OP_SETCLIENTID", 35 },
	{ "OP_SETCLIENTID_CONFIRM", 36 },
	{ "OP_VERIFY", 37 },
	{ "OP_WRITE", 38 },
	{ "OP_RELEASE_LOCKOWNER", 39 },
	{ "OP_BACKCHANNEL_CTL", 40 },
	{ "OP_BIND_CONN_TO_SESSION", 41 },
	{ "OP_EXCHANGE_ID", 42 },
	{ "OP_CREATE_SESSION", 43 },
	{ "OP_DESTROY_SESSION", 44 },
	{ "OP_FREE_STATEID", 45 },
	{ "OP_GET_DIR_DELEGATION", 46 },
	{ "OP_GETDEVICEINFO", 47 },
	{ "OP_GETDEVICELIST", 48 },
	{ "OP_LAYOUTCOMMIT", 49 },
	{ "OP_LAYOUTGET", 50 },
	{ "OP_LAYOUTRETURN", 51 },
	{ "OP_SECINFO_NO_NAME", 52 },
	{ "OP_SEQUENCE", 53 },
	{ "OP_SET_SSV", 54 },
	{ "OP_TEST_STATEID", 55 },
	{ "OP_WANT_DELEGATION", 56 },
	{ "OP_DESTROY_CLIENTID", 57 },
	{ "OP_RECLAIM_COMPLETE", 58 },
	{ "OP_ALLOCATE", 59 },
	{ "OP_COPY", 60 },
	{ "OP_COPY_NOTIFY", 61 },
	{ "OP_DEALLOCATE", 62 },
	{ "OP_IO_ADVISE", 63 },
	{ "OP_LAYOUTERROR", 64 },
	{ "OP_LAYOUTSTATS", 65 },
	{ "OP_OFFLOAD_CANCEL", 66 },
	{ "OP_OFFLOAD_STATUS", 67 },
	{ "OP_READ_PLUS", 68 },
	{ "OP_SEEK", 69 },
	{ "OP_WRITE_SAME", 70 },
	{ "OP_CLONE", 71 },
	{ "OP_GETXATTR", 72 },
	{ "OP_SETXATTR", 73 },
	{ "OP_LISTXATTRS", 74 },
	{ "OP_REMOVEXATTR", 75 },
	{ "OP_ILLEGAL", 10044 },
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

/* ---- operation spaces: one numbering per protocol, made of blocks of names with a common prefix ---- */

struct op_block {
	const char *const *names;
	unsigned int n, base;	/* ids base .. base+n-1 */
	size_t prefix;		/* length of the prefix a short name leaves out */
	bool short_ok;		/* whether the name without its prefix is accepted */
};

struct op_space {
	const char *what, *range;
	const struct op_block *blocks;
	int nblocks;
};

static const struct op_block smb_blocks[] = { { names_smb2_cmds, NAMES_SMB2_NCMD, 0, 5, true } };
/* Short NFS names (READ) are NFSv4's, the space AODv2 configs use; v3 is always spelled NFS3PROC_*. */
static const struct op_block nfs_blocks[] = {
	{ nfs4_procs, NAMES_NFS4_NPROC, 0, 14, true },
	{ nfs3_procs, NAMES_NFS3_NPROC, NAMES_NFS3_BASE, 9, false },	/* READDIRPLUS: hinted, not taken */
};
static const struct op_block io_blocks[] = { { io_ops, NAMES_IO_NOPS, 0, 0, false } };

static const struct op_space spaces[NAMES_NPROTO] = {
	[NAMES_SMB] = { "command", "SMB2_NEGOTIATE .. SMB2_SERVER_TO_CLIENT_NOTIFICATION", smb_blocks, 1 },
	[NAMES_NFS] = { "NFS procedure", "NFSPROC4_CLNT_NULL .. NFSPROC4_CLNT_READ_PLUS, READ for short, or "
		      "NFS3PROC_NULL .. NFS3PROC_COMMIT", nfs_blocks, 2 },
	[NAMES_IO] = { "io operation", "open, read, write, fsync, ...", io_blocks, 1 },
};

static const struct op_space *space_of(enum names_proto p)
{
	return (unsigned)p < NAMES_NPROTO ? &spaces[p] : NULL;
}

unsigned int names_op_count(enum names_proto p)
{
	const struct op_space *sp = space_of(p);
	unsigned int n = 0;

	for (int b = 0; sp && b < sp->nblocks; b++)
		n += sp->blocks[b].n;
	return n;
}

int names_op_id(enum names_proto p, const char *name)
{
	const struct op_space *sp = space_of(p);

	for (int b = 0; sp && b < sp->nblocks; b++) {
		const struct op_block *bl = &sp->blocks[b];
		bool prefixed = !strncasecmp(name, bl->names[0], bl->prefix);

		for (unsigned int i = 0; i < bl->n; i++) {
			if ((prefixed && !strcasecmp(name + bl->prefix, bl->names[i] + bl->prefix)) ||
			    (bl->short_ok && !strcasecmp(name, bl->names[i] + bl->prefix)))
				return (int)(bl->base + i);
		}
	}
	return -ENOENT;
}

const char *names_op_name(enum names_proto p, unsigned int id)
{
	const struct op_space *sp = space_of(p);

	for (int b = 0; sp && b < sp->nblocks; b++)
		if (id >= sp->blocks[b].base && id - sp->blocks[b].base < sp->blocks[b].n)
			return sp->blocks[b].names[id - sp->blocks[b].base];
	return NULL;
}

const char *names_op_what(enum names_proto p)
{
	return space_of(p) ? space_of(p)->what : "operation";
}

const char *names_op_range(enum names_proto p)
{
	return space_of(p) ? space_of(p)->range : "";
}

int names_nfs_op_index(unsigned int vers, unsigned int proc)
{
	if (vers == 4 && proc < NAMES_NFS4_NPROC)
		return (int)proc;
	if (vers == 3 && proc < NAMES_NFS3_NPROC)
		return (int)(NAMES_NFS3_BASE + proc);
	return -ENOENT;
}

const char *names_nfs_proc_name(unsigned int vers, unsigned int proc)
{
	int i = names_nfs_op_index(vers, proc);

	return i < 0 ? NULL : names_op_name(NAMES_NFS, (unsigned int)i);
}

int names_smb2_cmd_id(const char *name)
{
	return names_op_id(NAMES_SMB, name);
}

const char *names_smb2_cmd_name(unsigned int id)
{
	return names_op_name(NAMES_SMB, id);
}

const char *names_reconn_what(unsigned int what)
{
	static const char *const what_names[NAMES_RECONN_NWHAT] = {
		"smb3_reconnect", "smb3_ses_expired", "smb3_connect_err", "smb3_connect_done",
		"xprt_disconnect_force", "rpc_socket_state_change", "xprt_retransmit",
	};

	return what < NAMES_RECONN_NWHAT ? what_names[what] : NULL;
}

/* ---- error code spaces ---- */

struct code_table {
	const struct name_value *t;
	size_t n;
};

static const struct code_table code_tables[NAMES_CODE_NSPACES] = {
	[NAMES_CODE_ERRNO] = { errnos, ARRAY_SIZE(errnos) },
	[NAMES_CODE_NTSTATUS] = { ntstatus, ARRAY_SIZE(ntstatus) },
	[NAMES_CODE_NFS4] = { nfs4errs, ARRAY_SIZE(nfs4errs) },
	[NAMES_CODE_NFS3] = { nfs3errs, ARRAY_SIZE(nfs3errs) },
};

static const struct name_value *nv_by_name(const struct name_value *t, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcasecmp(name, t[i].name))
			return &t[i];
	return NULL;
}

static const char *nv_name(const struct name_value *t, size_t n, uint32_t value)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].value == value)
			return t[i].name;
	return NULL;
}

int names_code_value(unsigned int spaces_mask, const char *name, enum names_code_space *space, uint32_t *value)
{
	for (int s = 0; s < NAMES_CODE_NSPACES; s++) {
		const struct name_value *nv;

		if (!(spaces_mask & 1u << s) || !(nv = nv_by_name(code_tables[s].t, code_tables[s].n, name)))
			continue;
		*space = (enum names_code_space)s;
		*value = nv->value;
		return 0;
	}
	return -ENOENT;
}

const char *names_code_name(enum names_code_space space, uint32_t value)
{
	if ((unsigned)space >= NAMES_CODE_NSPACES)
		return NULL;
	return nv_name(code_tables[space].t, code_tables[space].n, value);
}

int names_ntstatus_value(const char *name, uint32_t *value)
{
	enum names_code_space sp;

	return names_code_value(1u << NAMES_CODE_NTSTATUS, name, &sp, value);
}

const char *names_ntstatus_name(uint32_t value)
{
	return names_code_name(NAMES_CODE_NTSTATUS, value);
}

int names_errno_value(const char *name)
{
	const struct name_value *nv = nv_by_name(errnos, ARRAY_SIZE(errnos), name);

	return nv ? (int)nv->value : -ENOENT;
}

const char *names_errno_name(int value)
{
	return value < 0 ? NULL : names_code_name(NAMES_CODE_ERRNO, (uint32_t)value);
}

const char *names_rc_errno_name(int32_t rc)
{
	/* -INT32_MIN overflows; no errno is that large anyway */
	return rc < 0 && rc != INT32_MIN ? names_errno_name(-rc) : NULL;
}

int names_nfs4_op_value(const char *name)
{
	const struct name_value *nv = nv_by_name(nfs4ops, ARRAY_SIZE(nfs4ops), name);

	if (!nv && strncasecmp(name, "OP_", 3))
		for (size_t i = 0; i < ARRAY_SIZE(nfs4ops) && !nv; i++)
			if (!strcasecmp(name, nfs4ops[i].name + 3))
				nv = &nfs4ops[i];
	return nv ? (int)nv->value : -ENOENT;
}

const char *names_nfs4_op_name(unsigned int op)
{
	return nv_name(nfs4ops, ARRAY_SIZE(nfs4ops), op);
}

const char *names_kernel_errno_name(int value)
{
	return value == 524 ? "ENOTSUPP" : names_errno_name(value);
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
	unsigned int d = text_distance(bad, cand);

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

	b.name = text_nearest(bad, cands, n, &b.dist);
	if (b.dist >= strlen(bad))
		b.name = NULL;	/* as consider(): a word all of whose letters change is no typo */
	return verdict(&b, bad);
}

const char *names_op_nearest(enum names_proto p, const char *bad)
{
	const struct op_space *sp = space_of(p);
	struct best b = { NULL, ~0u };

	for (int k = 0; sp && k < sp->nblocks; k++) {
		const struct op_block *bl = &sp->blocks[k];

		for (unsigned int i = 0; i < bl->n; i++) {
			consider(&b, bad, bl->names[i], bl->names[i]);
			if (bl->prefix)
				consider(&b, bad, bl->names[i] + bl->prefix, bl->names[i]);
		}
	}
	return verdict(&b, bad);
}

const char *names_nearest_cmd(const char *bad)
{
	return names_op_nearest(NAMES_SMB, bad);
}

const char *names_code_nearest(unsigned int spaces_mask, const char *bad)
{
	struct best b = { NULL, ~0u };

	/* NT status first, as before: on a tie the earlier space wins */
	static const enum names_code_space order[] = { NAMES_CODE_NTSTATUS, NAMES_CODE_NFS4, NAMES_CODE_NFS3,
						       NAMES_CODE_ERRNO };
	for (size_t o = 0; o < ARRAY_SIZE(order); o++) {
		const struct code_table *ct = &code_tables[order[o]];

		if (!(spaces_mask & 1u << order[o]))
			continue;
		for (size_t i = 0; i < ct->n; i++)
			consider(&b, bad, ct->t[i].name, ct->t[i].name);
	}
	return verdict(&b, bad);
}

const char *names_nearest_code(const char *bad)
{
	return names_code_nearest(1u << NAMES_CODE_NTSTATUS | 1u << NAMES_CODE_ERRNO, bad);
}

const char *names_nfs4_op_nearest(const char *bad)
{
	struct best b = { NULL, ~0u };

	for (size_t i = 0; i < ARRAY_SIZE(nfs4ops); i++) {
		consider(&b, bad, nfs4ops[i].name, nfs4ops[i].name);
		consider(&b, bad, nfs4ops[i].name + 3, nfs4ops[i].name);
	}
	return verdict(&b, bad);
}

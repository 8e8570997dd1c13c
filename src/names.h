/* SPDX-License-Identifier: GPL-2.0-only */
/* Name tables: SMB2 commands, NFS procedures and ops, io ops, NT status, nfsstat and errno codes; "did you mean". Pure. */
#ifndef AOD_NAMES_H
#define AOD_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NAMES_SMB2_NCMD 20
#define NAMES_NFS4_NPROC 69	/* NFSPROC4_CLNT_NULL .. NFSPROC4_CLNT_READ_PLUS */
#define NAMES_NFS3_NPROC 22	/* NFS3PROC_NULL .. NFS3PROC_COMMIT */
#define NAMES_NFS3_BASE NAMES_NFS4_NPROC
#define NAMES_NFS_NOPS (NAMES_NFS4_NPROC + NAMES_NFS3_NPROC)
#define NAMES_IO_NOPS 16

/*
 * Each protocol numbers its operations in one space, which config masks and thresholds index:
 * SMB: the SMB2 command id 0..19; NFS: the NFSv4 client procedure index 0..68, then the NFSv3
 * procedure number at NAMES_NFS3_BASE + proc (69..90); io: the io operations below.
 * Names are accepted in any case; SMB2_ and NFSPROC4_CLNT_ may be left out ("WRITE", "READ"),
 * NFSv3 procedures are always NFS3PROC_* (a short name is NFSv4's, as in AODv2's configs).
 */
enum names_proto { NAMES_SMB, NAMES_NFS, NAMES_IO, NAMES_NPROTO };

unsigned int names_op_count(enum names_proto p);
/* The id of a name in p's space, or -ENOENT. */
int names_op_id(enum names_proto p, const char *name);
/* The full name of an id ("NFSPROC4_CLNT_READ", "NFS3PROC_WRITE"), NULL when out of range. */
const char *names_op_name(enum names_proto p, unsigned int id);
/* Nearest name in p's space (full and short forms compared), or NULL. */
const char *names_op_nearest(enum names_proto p, const char *bad);
/* "command", "NFS procedure", "io operation": what one name of the space is, for messages. */
const char *names_op_what(enum names_proto p);
/* The valid range, for a message about a name too far from any to hint. */
const char *names_op_range(enum names_proto p);
/* The NFS space index of an RPC's (version, p_statidx), or -ENOENT for other versions or a bad index. */
int names_nfs_op_index(unsigned int vers, unsigned int proc);
/* "NFSPROC4_CLNT_READ" for (4, 1), "NFS3PROC_READ" for (3, 6), NULL otherwise. */
const char *names_nfs_proc_name(unsigned int vers, unsigned int proc);

/* NFSv4 operation numbers (nfs_opnum4: OP_READ = 25): by name with or without OP_, or -ENOENT. */
int names_nfs4_op_value(const char *name);
const char *names_nfs4_op_name(unsigned int op);
const char *names_nfs4_op_nearest(const char *bad);

/* Error code spaces; a protocol accepts a set of them (a mask of 1u << space). */
enum names_code_space { NAMES_CODE_ERRNO, NAMES_CODE_NTSTATUS, NAMES_CODE_NFS4, NAMES_CODE_NFS3,
			NAMES_CODE_NSPACES };
/* A code by name in the first of the spaces that knows it: 0, *space and *value; or -ENOENT. */
int names_code_value(unsigned int spaces_mask, const char *name, enum names_code_space *space, uint32_t *value);
/* The name of a value in a space ("NFS4ERR_ROFS" for NFS4 30), or NULL. */
const char *names_code_name(enum names_code_space space, uint32_t value);
/* The nearest code name among the spaces in the mask, or NULL. */
const char *names_code_nearest(unsigned int spaces_mask, const char *bad);

/* "SMB2_NEGOTIATE" .. "SMB2_SERVER_TO_CLIENT_NOTIFICATION", indexed by wire id. */
extern const char *const names_smb2_cmds[NAMES_SMB2_NCMD];

/* Id 0..19 of a command given with or without the "SMB2_" prefix, any case; -ENOENT if unknown. */
int names_smb2_cmd_id(const char *name);
/* "SMB2_WRITE" for 9; NULL when out of range. */
const char *names_smb2_cmd_name(unsigned int id);

/* What a reconnect record reports, indexed by enum aod_reconn_what (bpf/events.h): the client's
 * tracepoint ("smb3_reconnect", "xprt_disconnect_force" ...); NULL when out of range. */
#define NAMES_RECONN_NWHAT 7
const char *names_reconn_what(unsigned int what);

/* NT status by name (any case): 0 and *value, or -ENOENT. */
int names_ntstatus_value(const char *name, uint32_t *value);
/* The name of a known NT status, or NULL. */
const char *names_ntstatus_name(uint32_t value);

/* Linux x86_64 errno number by name (any case; aliases such as EWOULDBLOCK too), or -ENOENT. */
int names_errno_value(const char *name);
/* "EACCES" for 13 (the primary name), or NULL. */
const char *names_errno_name(int value);
/* The errno name of a negative return code (-13: "EACCES"); NULL for 0, a positive value or INT32_MIN. */
const char *names_rc_errno_name(int32_t rc);
/*
 * For errors the kernel's BPF calls return: names_errno_name, plus the kernel-internal
 * ENOTSUPP (524) that leaks to userspace from BPF and tracing code (not a config name).
 */
const char *names_kernel_errno_name(int value);

/* The candidate closest to bad, or NULL when none is close enough to be a plausible typo. */
const char *names_nearest(const char *bad, const char *const *cands, size_t n);
/* Nearest SMB2 command name (compared with and without the prefix). */
const char *names_nearest_cmd(const char *bad);
/* Nearest NT status or errno name. */
const char *names_nearest_code(const char *bad);

#endif /* AOD_NAMES_H */

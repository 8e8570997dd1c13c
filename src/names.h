/* SPDX-License-Identifier: GPL-2.0-only */
/* Name tables: SMB2 commands, NT status codes and errno names, plus "did you mean" hints. Pure, no I/O. */
#ifndef AOD_NAMES_H
#define AOD_NAMES_H

#include <stddef.h>
#include <stdint.h>

#define NAMES_SMB2_NCMD 20

/* "SMB2_NEGOTIATE" .. "SMB2_SERVER_TO_CLIENT_NOTIFICATION", indexed by wire id. */
extern const char *const names_smb2_cmds[NAMES_SMB2_NCMD];

/* Id 0..19 of a command given with or without the "SMB2_" prefix, any case; -ENOENT if unknown. */
int names_smb2_cmd_id(const char *name);
/* "SMB2_WRITE" for 9; NULL when out of range. */
const char *names_smb2_cmd_name(unsigned int id);

/* NT status by name (any case): 0 and *value, or -ENOENT. */
int names_ntstatus_value(const char *name, uint32_t *value);
/* The name of a known NT status, or NULL. */
const char *names_ntstatus_name(uint32_t value);

/* Linux x86_64 errno number by name (any case; aliases such as EWOULDBLOCK too), or -ENOENT. */
int names_errno_value(const char *name);
/* "EACCES" for 13 (the primary name), or NULL. */
const char *names_errno_name(int value);
/*
 * For errors the kernel's BPF calls return: names_errno_name, plus the kernel-internal
 * ENOTSUPP (524) that leaks to userspace from BPF and tracing code (not a config name).
 */
const char *names_kernel_errno_name(int value);

/* Case-insensitive Levenshtein distance; strings are compared up to their first 127 characters. */
unsigned int names_distance(const char *a, const char *b);
/* The candidate closest to bad, or NULL when none is close enough to be a plausible typo. */
const char *names_nearest(const char *bad, const char *const *cands, size_t n);
/* Nearest SMB2 command name (compared with and without the prefix). */
const char *names_nearest_cmd(const char *bad);
/* Nearest NT status or errno name. */
const char *names_nearest_code(const char *bad);

#endif /* AOD_NAMES_H */

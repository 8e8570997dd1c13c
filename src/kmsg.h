/* SPDX-License-Identifier: GPL-2.0-only */
/* A non-blocking /dev/kmsg reader that turns kernel log lines matching known or user patterns into records. */
#ifndef AOD_KMSG_H
#define AOD_KMSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>

#include "../bpf/events.h"
#include "kmsg_record.h"

/* Built-in patterns, in this order; user patterns follow at KMSG_NBUILTIN + i. */
enum kmsg_builtin {
	KMSG_SOFT_LOCKUP,	/* "soft lockup" */
	KMSG_HUNG_TASK,		/* "hung_task" or "blocked for more than" */
	KMSG_OOM,		/* "Out of memory" (also the memory cgroup's "out of memory") */
	KMSG_IO_ERROR,		/* "I/O error" */
	KMSG_CIFS_TIMEOUT,	/* "CIFS: VFS: \\server has not responded" (and the older "CIFS VFS:") */
	KMSG_NBUILTIN
};

#define KMSG_MAX_USER 16
#define KMSG_PATTERN_MAX 160

struct kmsg_matcher {
	char user[KMSG_MAX_USER][KMSG_PATTERN_MAX];
	int nuser;
};

/* Plain substring; -EINVAL for an empty pattern, -ENOSPC past KMSG_MAX_USER, -ENAMETOOLONG. */
int kmsg_matcher_add(struct kmsg_matcher *m, const char *pattern);
/* Index of the first matching pattern (built-ins first), or -1. */
int kmsg_match(const struct kmsg_matcher *m, const char *text);
/* "soft lockup", ..., or the user's pattern text. */
const char *kmsg_pattern_name(const struct kmsg_matcher *m, int idx);
/* The record as it crosses into detection: header kind AOD_EV_KMSG, pid 0, ts from the record. */
void kmsg_to_event(const struct kmsg_record *r, int pattern, struct aod_ev_kmsg *ev);

typedef int (*kmsg_event_fn)(void *ctx, const struct aod_ev_kmsg *ev);

struct kmsg_reader {
	int fd;
	struct kmsg_matcher m;
	uint64_t records;	/* records read */
	uint64_t lost;		/* overwritten before we read them (EPIPE or seq gaps) */
	uint64_t next_seq;
	bool have_seq;
	struct kmsg_record rec;
	char buf[8192];		/* one record: the kernel's limit is about 8 KiB */
};

/* Open /dev/kmsg non-blocking and start at its end: only lines logged from now on count. */
int kmsg_open(struct kmsg_reader *r);
/* Read until EAGAIN; cb for each matching record. Returns matches or -errno. */
int kmsg_read(struct kmsg_reader *r, kmsg_event_fn cb, void *ctx);
void kmsg_close(struct kmsg_reader *r);

#endif /* AOD_KMSG_H */

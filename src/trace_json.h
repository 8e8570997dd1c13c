/* SPDX-License-Identifier: GPL-2.0-only */
/* `aod trace`'s I/O-free half: capability names, the syscall table and its records as JSON lines (trace_json.c). */
#ifndef AOD_TRACE_JSON_H
#define AOD_TRACE_JSON_H

#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "events.h"
#include "trace_events.h"

#define TRACE_LINE_MAX 16384		/* one JSON line, the worst exec escaped included */
#define TRACE_TOP_PROCS 10		/* per-process on-CPU entries in a performance record */

/* The event_type values, in the order the end-of-trace summary counts them. */
enum trace_type {
	TT_SYSCALL,
	TT_NET_CONNECT, TT_NET_ACCEPT, TT_NET_SEND, TT_NET_RECV, TT_TCP_STATE, TT_TCP_RETRANSMIT,
	TT_PROC_EXEC, TT_PROC_FORK, TT_PROC_EXIT,
	TT_FILE_OPEN, TT_FILE_CREAT, TT_FILE_UNLINK, TT_FILE_RENAME, TT_FILE_MKDIR,
	TT_PERF,
	TT_SEC_CRED, TT_SEC_CAPSET, TT_SEC_PTRACE, TT_SEC_MODULE_LOAD, TT_SEC_MODULE_UNLOAD, TT_SEC_BPF,
	TT_SEC_SUID_EXEC,
	TT_COUNT
};

/* One per-second performance sample, already turned into deltas. */
struct trace_perf {
	uint64_t ts_ns;			/* wall clock, ns since the epoch */
	uint64_t interval_ns;
	uint64_t runq_count, runq_sum_ns;
	__u64 hist[TR_HIST_SLOTS];	/* run-queue latency, log2 us slots (hist.h) */
	uint64_t bio_count, bio_bytes, bio_read, bio_write, bio_errors;
	bool faults_traced;		/* exceptions:page_fault_user attached (filters apply) */
	uint64_t faults;
	uint64_t pgfault, pgmajfault;	/* /proc/vmstat deltas, system-wide */
	uint64_t cpu_total_ns;		/* on-CPU time of every process seen */
	uint32_t nprocs;
	uint32_t ntop;
	struct trace_top { uint32_t pid; char comm[AOD_COMM_LEN]; uint64_t ns; } top[TRACE_TOP_PROCS];
};

/* Parse "file,net" style lists (full names and short aliases) into a mask of 1 << enum tr_cap.
 * On an unknown name, err gets "unknown capability 'X' (nearest: Y)" and -EINVAL comes back. */
int trace_parse_caps(const char *list, unsigned *mask, char *err, size_t errlen);
const char *trace_cap_name(int cap);		/* "syscall_trace" ... */
/* The name of syscall NR on the architecture aod is built for, or NULL for a number with no syscall. */
const char *trace_syscall_name(unsigned nr);
const char *trace_type_name(enum trace_type t);

/* Format one ring-buffer record as a JSON line ending in '\n'; mono_to_real_ns turns its
 * CLOCK_MONOTONIC stamp into wall-clock ns.  Returns the length, -EINVAL for a malformed
 * record, -ENOSPC when buf is too small.  *type gets the record's event_type. */
int trace_format(const void *rec, size_t len, int64_t mono_to_real_ns, char *buf, size_t cap,
		 enum trace_type *type);
int trace_format_perf(const struct trace_perf *p, char *buf, size_t cap);

#endif /* AOD_TRACE_JSON_H */

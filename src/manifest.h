/* SPDX-License-Identifier: GPL-2.0-only */
/* manifest.json: what a bundle is about, what each action did, and the host it came from. */
#ifndef AOD_MANIFEST_H
#define AOD_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

#include "actions.h"
#include "config.h"
#include "detect.h"

/* What the daemon knows about its probes, copied into each manifest. */
struct collect_probe_info {
	char smb_method[64];		/* "tracepoint (raw_tp)", "fentry/fexit", "kprobe", "waiting for cifs", "replay" */
	uint64_t ringbuf_full, map_full, expired;
	char nfs_method[64];		/* as smb_method: "tracepoint (tp_btf)", "waiting for sunrpc", "replay" */
	uint64_t nfs_lost;		/* NFS ring buffer full + map full */
	uint64_t events_total;
	char health_methods[768];	/* "sched tp_btf; vfs syscall-level ... (fentry refused ...)" */
	uint64_t health_lost;		/* health ring buffers full + maps full, all families */
	uint64_t kmsg_lost;		/* kernel log records overwritten before aod read them */
};

struct manifest_action {
	const char *name;
	enum cfg_action_kind kind;
	const struct act_result *res;
};

struct manifest_input {
	const char *bundle;			/* the file name */
	const char *proto, *anomaly;
	const struct cfg_anomaly *anom;		/* NULL for snapshot/shutdown */
	const struct detect_anomaly *det;	/* NULL for snapshot/shutdown */
	uint32_t coalesced;			/* anomalies counted into this bundle after it started */
	int64_t wall_ns;			/* CLOCK_REALTIME at detection */
	uint64_t start_ns;			/* CLOCK_MONOTONIC when collection started */
	uint32_t max_events;			/* worst N events written; 0 = all kept */
	const struct manifest_action *acts;
	int nacts;
	const struct collect_probe_info *probe;
	const char (*captures)[CFG_CAPTURE_NAME_MAX];	/* capture bundles cut for this one (aod_capture_*) */
	int ncaptures;
	bool history;				/* the bundle holds history.json */
};

/* Write the manifest into buf; returns its length or -ENOSPC. */
int manifest_build(char *buf, size_t cap, const struct manifest_input *in);
struct json;
/* One record as the manifest's events show it, named by d's share tally (NULL: unnamed, as history.json's
 * worst commands). */
void manifest_write_event(struct json *j, const union detect_event *ev, const struct detect_anomaly *d);
/* The pid a bundle is about: the OOM victim, else the worst event's process; 0 if none. */
uint32_t manifest_event_pid(const struct detect_anomaly *det);

#endif /* AOD_MANIFEST_H */

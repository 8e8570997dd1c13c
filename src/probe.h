/* SPDX-License-Identifier: GPL-2.0-only */
/* What the running kernel lets aod attach, found by loading and attaching tiny programs, never by version. */
#ifndef AOD_PROBE_H
#define AOD_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"


/* The outcome of one real load+attach. err: 0 when it worked, else a negative errno. */
struct probe_try {
	bool tried;
	bool loaded;		/* the verifier accepted it (err then came from attach) */
	int err;
};

/* What a family will use: `method` is a short name ("tp_btf", "raw_tp", "fentry", "kprobe",
 * "syscalls", "vmstat") or "waiting"/"none"; `why` the targets or the exact reason. */
struct probe_choice {
	char method[16];
	char why[320];
	bool usable;		/* it can run now (waiting and none are not) */
};

struct probe_caps {
	char release[65];
	bool btf_vmlinux;
	bool btf_modules;		/* any module BTF in /sys/kernel/btf */
	bool btf_cifs;			/* /sys/kernel/btf/cifs */
	bool cifs_loaded;		/* /sys/module/cifs, live */
	bool nfs_loaded;		/* /sys/module/sunrpc and nfs, live */
	bool tracefs;			/* mounted */
	char tracefs_path[64];		/* where, "" if not */
	bool kprobe_pmu;		/* /sys/bus/event_source/devices/kprobe */
	bool kprobe_events;		/* <tracefs>/kprobe_events */
	bool ringbuf;			/* BPF_MAP_TYPE_RINGBUF creatable */
	bool bpf_ok;			/* a trivial program loads at all */
	int bpf_err;
	uint64_t memlock_cur, memlock_max;	/* RLIM_INFINITY as UINT64_MAX */
	bool memcg_known;		/* the test below ran */
	bool memcg;			/* a map larger than memlock loaded: BPF memory is memcg-charged */
	/* generic methods, on sched_switch (tracepoints) and vfs_read (functions) */
	struct probe_try method[ATTACH_METHOD_COUNT];
	struct probe_choice smb;
	struct probe_choice nfs;
	struct probe_choice family[CFG_H_KMSG];	/* the BPF health families, by enum cfg_health_kind (family.h) */
	struct probe_choice conn;		/* sockconn (conn_source.c) */
	/* With cifs loaded: each SMB attach method tried for real, in the order auto prefers them. */
	struct probe_choice smb_method[3];	/* tracepoint, fentry, kprobe */
};

/* Probe everything; needs root for real answers (without it every load reports EPERM). */
int probe_caps(struct probe_caps *caps);
/* One real attempt: load the `m` test program against `target` and attach it, then detach.
 * target: "sched_switch" (tp_btf, raw_tp), "sched/sched_switch" (tracepoint), "vfs_read". */
int probe_try(enum attach_method m, const char *target, struct probe_try *out);

#endif /* AOD_PROBE_H */

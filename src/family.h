/* SPDX-License-Identifier: GPL-2.0-only */
/* The one table of health families: the name users type and read, the config key, the record kind. */
#ifndef AOD_FAMILY_H
#define AOD_FAMILY_H

#include <stdint.h>

/* The health families, one enum for the config, detection, the loader, aod monitor and the manifest. */
enum cfg_health_kind {
	CFG_H_SCHED, CFG_H_BIO, CFG_H_VFS, CFG_H_OOM, CFG_H_TCP, CFG_H_DROP, CFG_H_FAULT,
	CFG_H_IOERR,			/* no health: key; the probe family of anomalies.io.error */
	CFG_H_KMSG,
	CFG_H_COUNT
};

/* How detection judges a family's anomaly, and so which keys its health: entry takes (config.c). */
enum family_detect {
	FAMILY_ERRORS,		/* io: counted by an error anomaly (anomalies.io.error), no health: key */
	FAMILY_LATENCY,		/* threshold (us) and acceptable_count; records carry a latency */
	FAMILY_COUNT,		/* acceptable_count occurrences in a watch interval */
	FAMILY_IMMEDIATE,	/* every occurrence fires */
	FAMILY_PATTERNS,	/* every kernel log line matching a pattern fires */
};

/* What one occurrence of a family without a latency raises in aod monitor's summary. */
enum family_level {
	FAMILY_LEVEL_OK,
	FAMILY_LEVEL_WARNING,
	FAMILY_LEVEL_CRITICAL,
};

/*
 * The ways aod attaches a BPF program, one vocabulary for the health families' methods, the SMB/NFS
 * probes, aod probes and aod trace's tiers (which are the first three, in this order).
 */
enum attach_method {
	ATTACH_TP_BTF,		/* BTF-typed raw tracepoint */
	ATTACH_RAW_TP,		/* raw tracepoint, untyped u64 arguments */
	ATTACH_TRACEPOINT,	/* classic tracepoint: needs tracefs for its id */
	ATTACH_FENTRY,
	ATTACH_FEXIT,
	ATTACH_KPROBE,
	ATTACH_METHOD_COUNT
};

/* "tp_btf", "raw_tp", "tracepoint", "fentry", "fexit", "kprobe"; "?" out of range. */
const char *attach_method_name(enum attach_method m);

#define FAMILY_MAX_ACTIONS 6

#define FAMILY_MAX_PROGS 12

/*
 * One way to attach a family: the programs of its BPF file (bpf/FAMILY.bpf.c) to load and attach together, and the
 * map those programs never use (the start-time hash or task storage of the other methods), left
 * uncreated so a kernel without that map type still loads the method. A method without programs
 * is a userspace fallback (faults: /proc/vmstat).
 */
struct family_method {
	const char *name;	/* what aod probes, aod monitor, the metrics and the logs say: "tp_btf", ... */
	const char *progs[FAMILY_MAX_PROGS];
	const char *unused_map;
};

struct family {
	const char *name;	/* aod probes, aod monitor --families, the logs: "sched", "block", ... */
	const char *key;	/* its anomaly under health: in the config and the manifest: "sched_latency", ...
				 * (io: anomalies.io.error, an error anomaly of the io protocol) */
	uint16_t ev_kind;	/* AOD_EV_* of its records (bpf/events.h) */
	uint16_t ev_size;	/* and the smallest size such a record has (record files are checked against it) */
	/* A family that may fall back to syscall-level hooks: the config key that allows them (the cost
	 * rule, DESIGN.md), as `aod probes`, `aod check-config` and the logs name it; NULL otherwise. */
	const char *syscall_optin;
	const char *optin_else;	/* what it attaches with unless so allowed: "fentry or kprobes" (check-config) */
	/* How health_source.c attaches it (aod run, aod monitor, aod probes alike): the first method the
	 * running kernel accepts, best first. None for kmsg, which is read from /dev/kmsg (kmsg.c). */
	const struct family_method *methods;
	int nmethods;
	enum family_detect detect;
	/* Families counted in the kernel without a latency: 1 + the index of its __u64 in struct aod_count
	 * (bpf/health.h), which health_source_count reads from the live .bss; 0 for none (COUNTER() in family.c). */
	uint8_t count_at;
	const char *measures;	/* latency families: what aod monitor titles its histogram ("run-queue latency") */
	/*
	 * aod monitor's summary. Latency families: mon_warn is the default warn (us) of the option
	 * --<mon_opt>-warn, which the summary line names too. Others: mon_warn, when set, is the peak
	 * per second that warns (faults), else any occurrence in the run raises mon_any. Critical is
	 * ten times warn in both cases.
	 */
	const char *mon_opt;
	uint32_t mon_warn;
	enum family_level mon_any;
	/* its recommendation when it warns: the text before and after its figure (the worst latency,
	 * the peak per second, or what its decoder gathered: oom's victims, drops' top reason) */
	const char *advice[2];
	/* Its health: anomaly's defaults when the config lists it without them (config/aod.yaml spells
	 * the same values out): threshold, acceptable_count and the built-in actions of its bundles. */
	uint64_t threshold_us;
	uint32_t count;
	const char *actions[FAMILY_MAX_ACTIONS];
};

/* Indexed by enum cfg_health_kind; the BPF families first, kmsg (a userspace source) last.
 * A new family is a row here with its methods, a CFG_H_* kind, its BPF file (and skeleton adapter
 * in health_source.c) and its decoder. */
extern const struct family family_table[CFG_H_COUNT];

/* The family whose records are of kind ev_kind, or -1 for a kind that is no health family's. */
int family_of_event(uint16_t ev_kind);

#endif /* AOD_FAMILY_H */

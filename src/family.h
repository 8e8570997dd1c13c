/* SPDX-License-Identifier: GPL-2.0-only */
/* The one table of health families: the name users type and read, the config key, the record kind. */
#ifndef AOD_FAMILY_H
#define AOD_FAMILY_H

#include <stdint.h>

#include "config.h"

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
	/* A family that may fall back to syscall-level hooks: the config key that allows them (the cost
	 * rule, DESIGN.md), as `aod probes`, `aod check-config` and the logs name it; NULL otherwise. */
	const char *syscall_optin;
	/* How health_source.c attaches it (aod run, aod monitor, aod probes alike): the first method the
	 * running kernel accepts, best first. None for kmsg, which is read from /dev/kmsg (kmsg.c). */
	const struct family_method *methods;
	int nmethods;
};

/* Indexed by enum cfg_health_kind; the BPF families first, kmsg (a userspace source) last.
 * A new family is a row here with its methods, a CFG_H_* kind, its BPF file (and skeleton adapter
 * in health_source.c) and its decoder. */
extern const struct family family_table[CFG_H_COUNT];

/* The family whose records are of kind ev_kind, or -1 for a kind that is no health family's. */
int family_of_event(uint16_t ev_kind);

#endif /* AOD_FAMILY_H */

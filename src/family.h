/* SPDX-License-Identifier: GPL-2.0-only */
/* The one table of health families: the name users type and read, the config key, the record kind. */
#ifndef AOD_FAMILY_H
#define AOD_FAMILY_H

#include <stdint.h>

#include "config.h"

struct family {
	const char *name;	/* aod probes, aod monitor --families, the logs: "sched", "block", ... */
	const char *key;	/* its anomaly under health: in the config and the manifest: "sched_latency", ...
				 * (io: anomalies.io.error, an error anomaly of the io protocol) */
	uint16_t ev_kind;	/* AOD_EV_* of its records (bpf/events.h) */
	/* A family that may fall back to syscall-level hooks: the config key that allows them (the cost
	 * rule, DESIGN.md), as `aod probes`, `aod check-config` and the logs name it; NULL otherwise. */
	const char *syscall_optin;
};

/* Indexed by enum cfg_health_kind; the BPF families first, kmsg (a userspace source) last.
 * A new family is a row here, a CFG_H_* kind, its BPF file and its decoder. */
extern const struct family family_table[CFG_H_COUNT];

/* The family whose records are of kind ev_kind, or -1 for a kind that is no health family's. */
int family_of_event(uint16_t ev_kind);

#endif /* AOD_FAMILY_H */

// SPDX-License-Identifier: GPL-2.0-only
/* The health families as one table, read by the loader, aod probes, aod monitor, detection and the manifest. */
#include "family.h"

#include <linux/types.h>

#include "../bpf/events.h"

const struct family family_table[CFG_H_COUNT] = {
	[CFG_H_SCHED] = { "sched", "sched_latency", AOD_EV_SCHED },
	[CFG_H_BIO] = { "block", "bio_latency", AOD_EV_BIO },
	[CFG_H_VFS] = { "vfs", "vfs_latency", AOD_EV_VFS, "health.vfs_latency.attach: syscall" },
	[CFG_H_OOM] = { "oom", "oom_kill", AOD_EV_OOM },
	[CFG_H_TCP] = { "tcp", "tcp_retransmit", AOD_EV_TCP_RETRANS },
	[CFG_H_DROP] = { "drops", "packet_drop", AOD_EV_DROP },
	[CFG_H_FAULT] = { "faults", "major_fault", AOD_EV_FAULT },
	[CFG_H_IOERR] = { "io", "io.error", AOD_EV_IOERR, "anomalies.io.error.attach: syscall" },
	[CFG_H_KMSG] = { "kmsg", "kmsg", AOD_EV_KMSG },
};

int family_of_event(uint16_t ev_kind)
{
	for (int f = 0; f < CFG_H_COUNT; f++)
		if (family_table[f].ev_kind == ev_kind)
			return f;
	return -1;
}

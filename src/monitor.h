/* SPDX-License-Identifier: GPL-2.0-only */
/* `aod monitor`: the foreground health view (live lines, log2 histograms, summary table). */
#ifndef AOD_MONITOR_H
#define AOD_MONITOR_H

#include <stdint.h>

enum monitor_status { MON_NA, MON_OK, MON_WARNING, MON_CRITICAL };

/* A latency family's status from its worst latency: WARNING at warn, CRITICAL at ten times warn. */
enum monitor_status monitor_latency_status(uint64_t worst_ns, uint32_t warn_us);

/* aod monitor [--duration S] [--sched-warn US] [--bio-warn US] [--vfs-warn US] [--no-histogram] [-q] [--pid N] */
int monitor_main(int argc, char **argv);

#endif /* AOD_MONITOR_H */

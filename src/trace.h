/* SPDX-License-Identifier: GPL-2.0-only */
/* `aod trace`: on-demand syscall, network, process, file, performance and security-event traces as JSON lines. */
#ifndef AOD_TRACE_H
#define AOD_TRACE_H

#define TRACE_DEFAULT_DIR "/var/lib/aod/traces"
#define TRACE_DEFAULT_MAX_AGE_SEC 3600
#define TRACE_DEFAULT_DURATION_SEC 15

int trace_main(int argc, char **argv);

#endif /* AOD_TRACE_H */

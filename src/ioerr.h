/* SPDX-License-Identifier: GPL-2.0-only */
/* io.error's pure parts: which syscalls are which io operation, and the in-kernel filter from the config. */
#ifndef AOD_IOERR_H
#define AOD_IOERR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>

#include "../bpf/events.h"
#include "../bpf/health.h"
#include "config.h"

/* This architecture's io syscalls into table (n entries, indexed by syscall number; bpf/health.h says
 * what an entry holds); returns how many. */
int ioerr_syscall_table(uint8_t *table, size_t n);
/*
 * The union of the io.error rules: their operations and errno codes (every errno when a rule
 * tracks all, or names one at or above AOD_IOERR_ERRNO_MAX). Empty (ops 0) without io.error.
 * Returns true when the config has an io.error anomaly.
 */
bool ioerr_filter_from_config(struct aod_ioerr_filter *f, const struct cfg_config *cfg);
/* Whether an io.error anomaly of cfg allows syscall-level hooks (attach: syscall). */
bool ioerr_syscall_ok(const struct cfg_config *cfg);

#endif /* AOD_IOERR_H */

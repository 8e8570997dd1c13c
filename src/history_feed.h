/* SPDX-License-Identifier: GPL-2.0-only */
/* The daemon's side of the history: set it up, and read the kernel's per-command histograms into it. */
#ifndef AOD_HISTORY_FEED_H
#define AOD_HISTORY_FEED_H

#include <stdbool.h>
#include <stdint.h>

#include "collect.h"
#include "config.h"
#include "history.h"
#include "nfs_source.h"
#include "smb_source.h"

/* history_seconds of cfg from the arena, handed to collect for the bundles; nothing when it is 0.
 * replay: the records are counted, else the kernel's histograms. 0, or -errno (said in the log). */
int history_feed_init(struct history *h, struct arena *a, const struct cfg_config *cfg, bool replay,
		      struct collect *c);
/* Each watch interval and before each bundle: what every SMB command's and NFS procedure's kernel
 * histogram gained since the last read goes into now_ns's second. Either source may be NULL. */
void history_feed_poll(struct history *h, const struct smb_source *smb, const struct nfs_source *nfs,
		       uint64_t now_ns);

#endif /* AOD_HISTORY_FEED_H */

// SPDX-License-Identifier: GPL-2.0-only
/* The daemon's side of the history: the ring from the arena, and the kernel's SMB/NFS histograms read into it. */
#include "history_feed.h"

#include <errno.h>
#include <string.h>

#include "log.h"
#include "names.h"

int history_feed_init(struct history *h, struct arena *a, const struct cfg_config *cfg, bool replay,
		      struct collect *c)
{
	int err;

	memset(h, 0, sizeof(*h));
	if (!cfg->history_seconds)
		return 0;
	/* replay counts the records; the daemon the kernel's histograms, which saw every completion */
	err = history_init(h, a, cfg->history_seconds, !replay);
	if (err < 0) {
		log_error("unable to set up the history (history_seconds %u): %s; raise memory.arena_kb (aod "
			  "check-config says how much is needed) or lower history_seconds", cfg->history_seconds,
			  strerror(-err));
		return err;
	}
	collect_set_history(c, h);
	return 0;
}

/*
 * Every SMB/NFS completion since the last read, from the kernel's histograms, into the history: one
 * batch lookup per protocol, not a ring-buffer record per fast command (README, history.json).
 */
void history_feed_poll(struct history *h, const struct smb_source *smb, const struct nfs_source *nfs,
		       uint64_t now_ns)
{
	static uint64_t rows[NFS_SOURCE_ROWS][HISTORY_KSLOTS];
	unsigned vers, proc;
	int n;

	_Static_assert(HISTORY_KSLOTS == SMB_SOURCE_HIST_SLOTS && HISTORY_KSLOTS == NFS_SOURCE_HIST_SLOTS, "rows");
	if (!h->ring)
		return;
	n = smb_source_attached(smb) ? smb_source_hist_rows(smb, rows) : 0;
	for (int row = 0; row < n; row++)
		history_kernel_row(h, NAMES_SMB, (unsigned)row, 0, (unsigned)row, rows[row], now_ns);
	n = nfs && nfs_source_attached(nfs) ? nfs_source_hist_rows(nfs, rows) : 0;
	for (int row = 0; row < n; row++) {
		nfs_source_row_id((unsigned)row, &vers, &proc);
		history_kernel_row(h, NAMES_NFS, (unsigned)row, vers, proc, rows[row], now_ns);
	}
}

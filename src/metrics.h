/* SPDX-License-Identifier: GPL-2.0-only */
/* Prometheus text-format metrics: rendered from a snapshot, served on a socket or written to a textfile. */
#ifndef AOD_METRICS_H
#define AOD_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sys/select.h>

#include "collect.h"
#include "config.h"

#define METRICS_HIST_BUCKETS 32		/* log2(us), as the BPF histograms */

/* Everything a scrape reports; the daemon fills it, metrics_render only formats it. */
struct metrics_snapshot {
	uint64_t events_total;
	uint64_t anomalies[CFG_MAX_ANOMALIES];	/* fired, per cfg anomaly */
	struct collect_stats bundles;
	struct collect_probe_info probes;
	uint64_t arena_used, arena_size, arena_failures;
	bool smb_attached;
	uint64_t smb_hist[CFG_SMB2_NCMD][METRICS_HIST_BUCKETS];
	uint64_t smb_count[CFG_SMB2_NCMD];
};

/* Pure: the Prometheus text exposition of s into buf. Returns the length, or -ENOSPC. */
int metrics_render(const struct metrics_snapshot *s, const struct cfg_config *cfg, char *buf, size_t cap);

/* Parse "HOST:PORT" / "[V6]:PORT" (as config.c normalises metrics.listen) and listen, non-blocking.
 * Returns the listening fd or -errno. */
int metrics_listen(const char *addr);

#define METRICS_MAX_CONNS 4
#define METRICS_CONN_TIMEOUT_NS 2000000000ull

/* The scrape connections the loop is waiting on: a request is read whole before the reply, because
 * closing a socket with unread input makes the kernel reset it and the scraper lose the reply. */
struct metrics_server {
	int listen_fd;
	struct {
		int fd;			/* -1 when free */
		uint64_t deadline_ns;
		size_t got;
		char req[512];
	} conn[METRICS_MAX_CONNS];
	uint64_t served, dropped;
};

typedef int (*metrics_render_fn)(void *ctx);	/* renders, returns the length; text in *buf */

void metrics_server_init(struct metrics_server *m, int listen_fd);
void metrics_server_fill(struct metrics_server *m, fd_set *rd, int *maxfd, uint64_t *deadline_ns);
/* Accept, read requests, reply to complete ones with render()'s text, drop the slow. Never blocks. */
void metrics_server_poll(struct metrics_server *m, const fd_set *rd, uint64_t now_ns, metrics_render_fn render,
			 void *ctx, const char *const *text);
void metrics_server_close(struct metrics_server *m);
/* node_exporter's textfile collector: write path.part, fsync, rename. 0 or -errno. */
int metrics_write_textfile(const char *path, const char *text, size_t len);

#endif /* AOD_METRICS_H */

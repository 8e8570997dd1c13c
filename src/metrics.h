/* SPDX-License-Identifier: GPL-2.0-only */
/* Prometheus text-format metrics: rendered from a snapshot, served on a socket or written to a textfile. */
#ifndef AOD_METRICS_H
#define AOD_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sys/select.h>

#include "capture.h"
#include "collect.h"
#include "config.h"
#include "names.h"
#include "shares.h"
#include "upload.h"

#define METRICS_HIST_BUCKETS 32		/* log2(us), as the BPF histograms */
#define METRICS_MAX_FAMILIES 12		/* smb, nfs and the health families, with room for more sources */
#define METRICS_METHOD_MAX 32		/* the attach method's first word: a label value stays short */

/* One probe family: how it attached, what the kernel counted, and its latency histogram if it has one. */
struct metrics_family {
	char name[16];			/* "smb", "sched", "block", ... */
	char method[METRICS_METHOD_MAX];	/* e.g. "tp_btf", "raw_tp"; "" when it did not attach */
	bool counts;			/* events is meaningful (the kernel counts this family's events) */
	uint64_t events;
	bool has_hist;
	uint64_t hist[METRICS_HIST_BUCKETS];	/* slot i: [2^i, 2^(i+1)) us; the last also everything above */
	uint64_t hist_sum_ns;
};

/* Per command (SMB) or procedure row (NFS): the in-kernel log2 histogram, completions and errors. */
#define METRICS_NFS_ROWS (NAMES_NFS_NOPS + 1)	/* NFS's op space (v4 procedures, then v3), then "other" */
#define METRICS_OPS_ROWS METRICS_NFS_ROWS
struct metrics_ops {
	uint64_t hist[METRICS_OPS_ROWS][METRICS_HIST_BUCKETS];
	uint64_t count[METRICS_OPS_ROWS];
	uint64_t errors[METRICS_OPS_ROWS];	/* completions that failed (the kernel's error count) */
};

/*
 * Events of fired anomalies per share. A share keeps the series it was first given: the first
 * METRICS_SHARES shares seen have their own, later ones are summed as share="other" per protocol,
 * so every series only grows (a top-N chosen at each scrape would move counts between series,
 * which Prometheus reads as counter resets).
 */
#define METRICS_SHARES 8
struct metrics_shares {
	int n;
	struct {
		uint8_t proto;			/* enum names_proto */
		char share[SHARES_SHARE_LEN];	/* shares_label(): "//127.0.0.1/share", a server, "unknown" */
		uint64_t events, anomalies;
	} e[METRICS_SHARES];
	uint64_t other_events[NAMES_NPROTO], other_anomalies[NAMES_NPROTO];
};
/* Count one fired anomaly's events of share label (NULL: its "other" shares) of protocol proto. */
void metrics_shares_add(struct metrics_shares *m, unsigned proto, const char *label, uint32_t events);

/* The rendering's buffer: every SMB command and NFS procedure row with a full histogram (33 lines of about
 * 90 bytes each, test_metrics renders that worst case) and the rest of the text fit. */
#define METRICS_RENDER_CAP (512 * 1024)

/* Everything a scrape reports; the daemon fills it, metrics_render only formats it. */
struct metrics_snapshot {
	uint64_t events_total;
	uint64_t anomalies[CFG_MAX_ANOMALIES];	/* fired, per cfg anomaly */
	struct collect_stats bundles;
	struct capture_stats captures;
	struct collect_probe_info probes;
	uint64_t arena_used, arena_size, arena_failures;
	uint64_t bundle_dir_bytes;		/* finished bundles in <output_dir>/batches */
	uint64_t bundle_dir_limit;		/* max_total_log_size_mb in bytes */
	bool smb_attached, nfs_attached;
	struct metrics_ops smb;			/* rows 0..CFG_SMB2_NCMD-1 */
	struct metrics_ops nfs;			/* rows 0..METRICS_NFS_ROWS-1 */
	struct metrics_shares shares;
	bool upload_on;				/* upload: configured; the aod_upload_* series only then */
	struct upload_stats upload;
	struct metrics_family fam[METRICS_MAX_FAMILIES];
	int nfam;
};

/* The first word of a probe's method description ("tp_btf", "syscall-level", ...), cut to fit a label. */
void metrics_family_method(struct metrics_family *f, const char *method);

/* Pure: the Prometheus text exposition of s into buf. Returns the length, or -ENOSPC. */
int metrics_render(const struct metrics_snapshot *s, const struct cfg_config *cfg, char *buf, size_t cap);

/* Parse "HOST:PORT" / "[V6]:PORT" (as config.c normalises metrics.listen) and listen, non-blocking.
 * Returns the listening fd or -errno. */
int metrics_listen(const char *addr);

/* Scrapers are one or two per host; the rest of the slots absorb clients that connect and stall, which are
 * evicted oldest first once METRICS_EVICT_AGE_NS old, so a stalled client can delay a scrape, never refuse it. */
#define METRICS_MAX_CONNS 16
/* Absolute from accept, not renewed by a trickle of bytes: a scraper sends its request in one segment,
 * 2 s covers a retransmit of it on a lossy link. */
#define METRICS_CONN_TIMEOUT_NS 2000000000ull
/* A connection younger than this is not evicted: time for a scraper's request to follow its connect.
 * When every slot is that young the newcomer gets 503 rather than a silent close. */
#define METRICS_EVICT_AGE_NS 200000000ull

/* The scrape connections the loop is waiting on: a request is read whole before the reply, because
 * closing a socket with unread input makes the kernel reset it and the scraper lose the reply. */
struct metrics_server {
	int listen_fd;
	struct {
		int fd;			/* -1 when free */
		uint64_t accepted_ns, deadline_ns;
		size_t got;
		char req[512];		/* the request cap: one that fills it unfinished gets 431 */
	} conn[METRICS_MAX_CONNS];
	uint64_t served, dropped;
};

/* Pure: the HTTP status a request head earns: 200 for "GET /metrics HTTP/1.x" (a query string allowed),
 * 404 for another path, 400 for anything that is not a GET request line. */
int metrics_request_status(const char *req);

typedef int (*metrics_render_fn)(void *ctx);	/* renders, returns the length; text in *buf */

void metrics_server_init(struct metrics_server *m, int listen_fd);
void metrics_server_fill(struct metrics_server *m, fd_set *rd, int *maxfd, uint64_t *deadline_ns);
/* Accept, read requests, reply to complete ones with render()'s text, drop the slow. Never blocks. */
void metrics_server_poll(struct metrics_server *m, const fd_set *rd, uint64_t now_ns, metrics_render_fn render,
			 void *ctx, const char *const *text);
void metrics_server_close(struct metrics_server *m);
/*
 * node_exporter's textfile collector, and status.json: write path.part and rename it, without an fsync:
 * rewritten every interval, the file is worth nothing after a crash, and an fsync a second would cost
 * a journal commit a second where /run is on disk (0.9 ms of the daemon's start here). 0 or -errno.
 */
int metrics_write_textfile(const char *path, const char *text, size_t len);

#endif /* AOD_METRICS_H */

/* SPDX-License-Identifier: GPL-2.0-only */
/* The daemon's state shared by setup and its loop (daemon.c) and replay (replay.c). */
#ifndef AOD_DAEMON_H
#define AOD_DAEMON_H

#include <stdbool.h>
#include <stdint.h>

#include "arena.h"
#include "collect.h"
#include "config.h"
#include "detect.h"
#include "history.h"
#include "loop.h"
#include "metrics.h"
#include "record.h"
#include "shares.h"

struct smb_source;
struct nfs_source;
struct health_source;
struct kmsg_reader;
struct capture;
struct upload;

/* aod replay --serve: the per-command latency of the replayed SMB records, for the metrics. */
struct daemon_smb_hist {
	uint64_t slots[CFG_SMB2_NCMD][METRICS_HIST_BUCKETS];
	uint64_t count[CFG_SMB2_NCMD];
};

struct daemon {
	struct cfg_config *cfg;		/* in force; points into cfgs[] */
	struct cfg_config cfgs[2];	/* HUP parses into the spare one, then swaps */
	const char *cli_config;		/* -c FILE, kept for HUP */
	const char *output_dir;		/* --output-dir override (replay, tests) */
	const char *nfs_attach;		/* --nfs-attach: auto, tracepoint, fentry, kprobe */
	struct arena arena;
	struct detect detect;
	struct collect *collect;
	struct smb_source *smb;
	struct nfs_source *nfs;
	struct health_source *health;
	struct kmsg_reader *kmsg;
	struct conn_source *conn;	/* smb/nfs.sockconn at start; NULL when none is configured */
	struct capture *capture;	/* tcpdump/trace-cmd captures; NULL when none configured */
	struct upload *upload;		/* upload: in the config at start; NULL when off */
	struct record_writer rec;
	bool recording;
	bool replay;			/* events come from a file; no kernel sources */
	uint64_t events;		/* decoded records seen */
	uint64_t anomalies;		/* fired by detection */
	uint64_t now_ns;		/* CLOCK_MONOTONIC at the current loop pass (event time in replay) */
	int sigfd;
	struct loop loop;		/* aod run: its sources, ticks and pollers (daemon.c) */
	struct metrics_server metrics;	/* metrics.listen; listen_fd -1 when off */
	char *metrics_buf;		/* rendered text, from the arena */
	size_t metrics_cap;
	uint64_t anomaly_counts[CFG_MAX_ANOMALIES];	/* per cfg anomaly, reset by HUP */
	unsigned reloads;		/* successful HUP reloads */
	uint64_t bundle_dir_bytes;	/* the last sweep's total plus bundles written since: metrics and status */
	struct daemon_smb_hist *replay_hist;	/* aod replay --serve only; NULL otherwise */
	struct history history;		/* history.json's ring; history.ring NULL when history_seconds is 0 */
	struct shares shares;		/* names shares and servers in alerts, manifests and metrics */
	bool names;			/* resolve names: live, or a replay given AOD_SHARES_ROOT (the recorded host's files) */
	struct metrics_shares share_stats;	/* events of fired anomalies per share, for the metrics */
	bool stopping;
};

/* Feed one decoded record (live ring buffer or replay) through record, detect and collect. */
void daemon_handle_event(struct daemon *d, const struct aod_ev_hdr *h, uint64_t now_ns);
/* End of a watch interval: collect a bundle for each anomaly detection reports. */
void daemon_close_window(struct daemon *d, uint64_t now_ns);
/* Start a bundle of the given kind for snapshot (USR1) and shutdown (TERM/INT). */
void daemon_system_bundle(struct daemon *d, const char *what, uint64_t now_ns);
/* HUP: parse the config again; a bad one is reported and the old one stays. */
void daemon_reload(struct daemon *d);
/* SIGUSR2: detach the SMB and NFS probes that hold their kernel modules, so rmmod works. */
void daemon_release_modules(struct daemon *d);
/* /dev/kmsg is readable: match new kernel log lines against the patterns. */
void daemon_read_kmsg(struct daemon *d);
/* The sockconn source is ready, or the watch tick polls its /proc fallback. */
void daemon_read_conn(struct daemon *d, uint64_t now_ns, bool tick);
/* Render the metrics into d->metrics_buf; returns the length or -errno. */
int daemon_metrics_render(void *daemon);
/* The metrics listener and its connections as a loop poller (aod run, aod replay --serve); ctx is the daemon. */
void daemon_metrics_fill(void *d, struct loop_set *s);
void daemon_metrics_poll(void *d, const struct loop_set *s, uint64_t now_ns);
/* The cleanup tick: retention, SMB module re-check, source health. */
void daemon_cleanup_tick(struct daemon *d, uint64_t now_ns);

/* Shared by `aod run` and `aod replay` (replay.c): the config chain with -c and --output-dir applied,
 * then the arena, the output directory (locked) and the partial bundles an earlier crash left. */
int daemon_load_config(struct daemon *d);
void daemon_apply_overrides(struct daemon *d, struct cfg_config *cfg);
int daemon_setup_core(struct daemon *d);
/* metrics.listen / metrics.textfile of the config: the render buffer, and the listener when asked. */
int daemon_setup_metrics(struct daemon *d);

#endif /* AOD_DAEMON_H */

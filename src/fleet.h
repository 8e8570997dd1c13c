/* SPDX-License-Identifier: GPL-2.0-only */
/* The daemon's fleet side: bundle upload, retention that spares unsent bundles, status.json. */
#ifndef AOD_FLEET_H
#define AOD_FLEET_H

#include <stdint.h>

struct cfg_config;
struct collect;
struct smb_source;
struct health_source;
struct kmsg_reader;
struct loop;
struct upload;
struct retain_result;

/*
 * What fleet reads of the daemon, lent for the length of one call and never kept: the daemon
 * (daemon.c) calls down into fleet, and fleet knows nothing of struct daemon.
 */
struct fleet_view {
	const struct cfg_config *cfg;	/* in force: a HUP swaps it, so it is passed at every call */
	struct collect *collect;
	struct smb_source *smb;		/* NULL when off; so the next three */
	struct health_source *health;
	const struct kmsg_reader *kmsg;
	struct upload *upload;		/* upload: in the config at start; NULL when off */
	struct loop *loop;		/* fleet_start: the reactor that reaps the upload commands */
	uint64_t events, anomalies;	/* the daemon's counters, for status.json */
	unsigned reloads;		/* successful HUP reloads: a new value means a new config */
	uint64_t bundle_dir_bytes;	/* the last sweep's total plus bundles written since */
};

/* Opens the upload journal when upload: is on (*upload, NULL otherwise) and writes the first status. */
int fleet_start(const struct fleet_view *v, struct upload **upload);
/* A bundle was renamed into place: status.json's last bundle, and the upload queue. */
void fleet_bundle_written(const struct fleet_view *v, const char *name, int64_t wall_ns);
/* Each watch interval: notice a HUP's new config, write status_file. */
void fleet_watch_tick(const struct fleet_view *v);
/* The cleanup tick's retention: bundles not yet uploaded go last; then the upload rescan.
 * res->kept_bytes is the directory's new total when it returns 0. */
int fleet_sweep(const struct fleet_view *v, struct retain_result *res);
/* Shutdown: stop running uploads, remove status_file. */
void fleet_stop(const struct fleet_view *v);

#endif /* AOD_FLEET_H */

// SPDX-License-Identifier: GPL-2.0-only
/* The daemon's fleet side: bundle upload wiring, retention that spares unsent bundles, status.json. */
#include "fleet.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "collect.h"
#include "config.h"
#include "health_source.h"
#include "io.h"
#include "json.h"
#include "kmsg.h"
#include "log.h"
#include "metrics.h"
#include "retain.h"
#include "smb_source.h"
#include "upload.h"

#define STATUS_BUF (16 * 1024)

/* One daemon per process: what status.json reports beyond the daemon's own counters. */
static struct {
	int64_t started_wall, loaded_wall, last_bundle_wall;
	unsigned reloads_seen;			/* d->reloads at the last watch tick */
	char status_path[PATH_MAX];		/* the status_file in use, to remove it when a HUP moves it */
	char last_bundle[PATH_MAX + 256];
	int status_err;				/* last error writing the file, reported once */
	char buf[STATUS_BUF];
} fs;

static int64_t wall_sec(void)
{
	return (int64_t)(clock_ns(CLOCK_REALTIME) / 1000000000ull);
}

void fleet_bundle_written(const struct fleet_view *d, const char *name, int64_t wall_ns)
{
	snprintf(fs.last_bundle, sizeof(fs.last_bundle), "%s/batches/%s", d->cfg->output_dir, name);
	fs.last_bundle_wall = wall_ns / 1000000000ll;
	if (d->upload)
		upload_bundle_written(d->upload, name);
}

static void status_families(const struct fleet_view *d, struct json *j)
{
	struct aod_loss l = { 0 };
	char method[64] = "off";
	uint64_t total[CFG_SMB2_NCMD], events = 0;
	int f, c, n;

	json_obj_begin(j, "families");
	if (d->smb)
		smb_source_info(d->smb, method, sizeof(method), &l);
	n = d->smb && smb_source_attached(d->smb) ? smb_source_histograms(d->smb, CFG_SMB2_NCMD, NULL, total, NULL) : 0;
	for (c = 0; c < n; c++)
		events += total[c];
	json_obj_begin(j, "smb");
	json_str(j, "method", method);
	json_u64(j, "events", events);
	json_u64(j, "lost", l.ringbuf_full + l.map_full + l.expired);
	json_obj_end(j);
	for (f = 0; d->health && f < HEALTH_NFAM; f++) {
		if (!health_source_attached(d->health, (enum cfg_health_kind)f))
			continue;
		memset(&l, 0, sizeof(l));
		health_source_loss(d->health, (enum cfg_health_kind)f, &l);
		json_obj_begin(j, health_source_family_name((enum cfg_health_kind)f));
		json_str(j, "method", health_source_method(d->health, (enum cfg_health_kind)f));
		json_u64(j, "events", health_source_count(d->health, (enum cfg_health_kind)f));
		json_u64(j, "lost", l.ringbuf_full + l.map_full);
		json_obj_end(j);
	}
	if (d->kmsg) {
		json_obj_begin(j, "kmsg");
		json_str(j, "method", "/dev/kmsg");
		json_null(j, "events");
		json_u64(j, "lost", d->kmsg->lost);
		json_obj_end(j);
	}
	json_obj_end(j);
}

static void status_bundles(const struct fleet_view *d, struct json *j)
{
	struct collect_stats st;
	struct upload_stats us = { 0 };

	collect_get_stats(d->collect, &st);
	json_obj_begin(j, "bundles");
	json_u64(j, "written", st.bundles_written);
	json_u64(j, "failed", st.bundles_failed);
	json_u64(j, "coalesced", st.coalesced);
	json_u64(j, "refused_busy", st.refused_busy);
	if (fs.last_bundle[0]) {
		json_str(j, "last", fs.last_bundle);
		json_i64(j, "last_time", fs.last_bundle_wall);
	} else {
		json_null(j, "last");
		json_null(j, "last_time");
	}
	json_obj_end(j);
	json_obj_begin(j, "upload");
	json_bool(j, "enabled", d->upload != NULL);
	if (d->upload)
		upload_get_stats(d->upload, &us);
	json_u64(j, "backlog", us.backlog);
	json_bool(j, "backlog_more", us.backlog_more);
	json_u64(j, "running", us.running);
	json_u64(j, "uploaded", us.uploaded);
	json_u64(j, "failed", us.failed);
	json_u64(j, "retries", us.retries);
	json_u64(j, "lost", us.lost);
	json_obj_end(j);
	json_obj_begin(j, "bundle_dir");
	json_str(j, "path", d->cfg->output_dir);
	json_u64(j, "bytes", d->bundle_dir_bytes);
	json_u64(j, "limit", d->cfg->max_total_log_bytes);
	json_obj_end(j);
}

/* status.json: what `aod status` prints. Written whole to FILE.part and renamed, each watch interval. */
static void write_status(const struct fleet_view *d)
{
	uint32_t iv = d->cfg->watch_interval_ms ? d->cfg->watch_interval_ms : 1000;
	int64_t now = wall_sec();
	struct json j;
	int n, err;

	if (!d->cfg->status_file[0])
		return;
	json_init(&j, fs.buf, sizeof(fs.buf));
	json_obj_begin(&j, NULL);
	json_u64(&j, "version", 1);
	json_i64(&j, "pid", (int64_t)getpid());
	json_i64(&j, "started", fs.started_wall);
	json_i64(&j, "uptime_sec", now - fs.started_wall);
	json_i64(&j, "written", now);
	json_u64(&j, "interval_ms", iv);
	/* a reader calls the file stale past this: three missed intervals, and slack for a busy loop */
	json_u64(&j, "stale_after_ms", 3ull * iv + 2000);
	json_obj_begin(&j, "config");
	json_str(&j, "path", d->cfg->path);
	json_i64(&j, "loaded", fs.loaded_wall);
	json_obj_end(&j);
	json_u64(&j, "events", d->events);
	json_u64(&j, "anomalies", d->anomalies);
	status_families(d, &j);
	status_bundles(d, &j);
	json_obj_end(&j);
	n = json_finish(&j);
	err = n < 0 ? n : metrics_write_textfile(d->cfg->status_file, fs.buf, (size_t)n);
	if (err && err != fs.status_err)
		log_warn("unable to write status_file %s: %s%s", d->cfg->status_file, strerror(-err),
			 err == -ENOENT || err == -EACCES ? " (create its directory, or set status_file in the config)" : "");
	fs.status_err = err;
}

static void make_status_dir(const char *file)
{
	char dir[PATH_MAX];
	char *slash;
	int err;

	snprintf(dir, sizeof(dir), "%s", file);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return;
	*slash = 0;
	err = io_mkdir_p(dir, 0755, 0755);
	if (err)
		log_warn("unable to create %s for status_file: %s", dir, strerror(-err));
}

int fleet_start(const struct fleet_view *d, struct upload **upload)
{
	struct fleet_view now = *d;
	struct upload_stats us;
	int err;

	fs.started_wall = fs.loaded_wall = wall_sec();
	fs.reloads_seen = d->reloads;
	snprintf(fs.status_path, sizeof(fs.status_path), "%s", d->cfg->status_file);
	*upload = NULL;
	if (d->cfg->upload.enabled) {
		err = upload_open(upload, &d->cfg->upload, d->cfg->output_dir, collect_outdir_fd(d->collect), d->loop);
		if (err < 0) {
			log_error("unable to open the upload journal %s/%s: %s", d->cfg->output_dir, UPLOAD_JOURNAL,
				  strerror(-err));
			return err;
		}
		upload_get_stats(*upload, &us);
		log_info("upload: %s; %u%s bundles waiting", d->cfg->upload.dir[0] ? "copying into upload.dir" :
			 "running upload.command", us.backlog, us.backlog_more ? "+" : "");
	}
	if (d->cfg->status_file[0])
		make_status_dir(d->cfg->status_file);
	now.upload = *upload;	/* the first status already counts the journal's backlog */
	write_status(&now);
	return 0;
}

/* A HUP loaded a new config: upload settings apply to the next attempts; turning upload on or off
 * needs the journal opened or closed, which happens at start only. */
static void config_changed(const struct fleet_view *d)
{
	if (strcmp(fs.status_path, d->cfg->status_file)) {
		if (fs.status_path[0])
			unlink(fs.status_path);
		if (d->cfg->status_file[0])
			make_status_dir(d->cfg->status_file);
		snprintf(fs.status_path, sizeof(fs.status_path), "%s", d->cfg->status_file);
		fs.status_err = 0;
	}
	fs.reloads_seen = d->reloads;
	fs.loaded_wall = wall_sec();
	if (d->upload && d->cfg->upload.enabled)
		upload_set_config(d->upload, &d->cfg->upload);
	else if (!d->upload != !d->cfg->upload.enabled)
		log_warn("HUP: turning upload %s takes effect at restart only", d->upload ? "off" : "on");
}

void fleet_watch_tick(const struct fleet_view *d)
{
	if (d->reloads != fs.reloads_seen)
		config_changed(d);
	write_status(d);
}

int fleet_sweep(const struct fleet_view *d, struct retain_result *res)
{
	struct retain_keep keep = { upload_keeps, upload_lost, d->upload };
	int err;

	err = retain_sweep_keep(collect_outdir_fd(d->collect), d->cfg->max_total_log_bytes, d->cfg->max_log_age_sec,
				wall_sec(), d->upload ? &keep : NULL, NULL, res);
	if (d->upload)
		upload_tick(d->upload);
	return err;
}

void fleet_stop(const struct fleet_view *d)
{
	if (d->upload)
		upload_stop(d->upload);
	/* a clean stop leaves no status behind: `aod status` then says no daemon runs */
	if (fs.status_path[0] && unlink(fs.status_path) && errno != ENOENT)
		log_warn("unable to remove status_file %s: %s", fs.status_path, strerror(errno));
}

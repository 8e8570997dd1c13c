// SPDX-License-Identifier: GPL-2.0-only
/* `aod run`: setup, the event path (record -> detect -> collect), reload and teardown. */
#include "daemon.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "array.h"
#include "clock.h"
#include "cmds.h"
#include "fleet.h"
#include "health_source.h"
#include "history_feed.h"
#include "ioerr.h"
#include "capture.h"
#include "kmsg.h"
#include "loop.h"
#include "conn_source.h"
#include "sockconn.h"
#include "log.h"
#include "malloc_guard.h"
#include "metrics.h"
#include "names.h"
#include "nfs_source.h"
#include "retain.h"
#include "smb_source.h"
#include "upload.h"

static void update_probe_info(struct daemon *d);

/* A stall's alert names the request, its age and the process left waiting, not an event count. */
static bool stall_alert(const struct cfg_anomaly *an, const struct detect_anomaly *a, const char *where)
{
	const struct aod_ev_stall *e = &a->worst_events[0].stall;
	const char *name;

	if (an->type != CFG_STALL || a->nworst < 1 || e->h.kind != AOD_EV_STALL)
		return false;
	name = e->proto == AOD_STALL_NFS ? names_nfs_proc_name(e->vers, e->cmd) : names_smb2_cmd_name(e->cmd);
	/* a record of an earlier aod (80 bytes) has no server name: detection zero-filled the rest */
	log_alert(LOG_ALERT, "AOD detected anomaly: %s %s: %s pending %.1f ms%s%s%.*s (pid %u %.*s; %u request%s "
		  "pending %u ms or more) [fires at once]", an->proto, an->name, name ? name : "unknown command",
		  (double)e->age_ns / 1e6, where, !where[0] && e->host[0] ? " to " : "", AOD_STALL_HOST_LEN,
		  where[0] ? "" : e->host, e->h.pid, AOD_COMM_LEN, e->h.comm, e->count, e->count == 1 ? "" : "s",
		  an->stall_ms);
	return true;
}

/* A reconnect's alert names what the client said and the server, not an event count. */
static bool reconnect_alert(const struct cfg_anomaly *an, const struct detect_anomaly *a)
{
	const struct aod_ev_reconnect *e = &a->worst_events[0].reconn;
	const char *what;

	if (an->type != CFG_RECONNECT || a->nworst < 1 || e->h.kind != AOD_EV_RECONNECT)
		return false;
	what = names_reconn_what(e->what);
	log_alert(LOG_ALERT, "AOD detected anomaly: %s %s: %s, server %.*s%s (%u reconnect%s this interval) "
		  "[fires at once]", an->proto, an->name, what ? what : "unknown", AOD_RECONN_HOST_LEN,
		  e->host[0] ? e->host : "unknown", e->what == AOD_RECONN_SMB_SES_EXPIRED ? ", session expired" : "",
		  a->count, a->count == 1 ? "" : "s");
	return true;
}

/* "//127.0.0.1/share (server 127.0.0.1, user aod)", "127.0.0.1 (one of 127.0.0.1:/a 127.0.0.1:/b)"; the ids when
 * nothing is known of them. */
static void share_text(const struct shares_key *k, const struct shares_name *n, char *out, size_t cap)
{
	if (!n->share[0] && !n->server[0] && !n->candidates[0]) {
		if (k->proto == NAMES_NFS)
			snprintf(out, cap, "rpc client %u (NFSv%u)", k->tree, k->vers);
		else
			snprintf(out, cap, "session 0x%llx tree 0x%x", (unsigned long long)k->sesid, k->tree);
		return;
	}
	const char *sep = n->server[0] && n->user[0] ? ", " : "";

	if (n->share[0] && (n->server[0] || n->user[0]))
		snprintf(out, cap, "%s (%s%s%s%s%s)", n->share, n->server[0] ? "server " : "", n->server, sep,
			 n->user[0] ? "user " : "", n->user);
	else if (n->candidates[0])
		snprintf(out, cap, "%s (one of %s)", shares_label(n), n->candidates);
	else
		snprintf(out, cap, "%s", shares_label(n));
}

/* Name each share the anomaly counted (at detection: the mount may be gone when the bundle is written),
 * log one line per share, count them for the metrics; the alert's suffix names the busiest. */
static void name_shares(struct daemon *d, struct detect_anomaly *a, char *alert, size_t cap)
{
	const struct cfg_anomaly *an = &d->cfg->anomalies[a->anomaly];
	struct shares_name *nm;
	char text[SHARES_SHARE_LEN * 2 + SHARES_SERVER_LEN + SHARES_USER_LEN + 32];
	uint64_t now = mono_ns();
	uint32_t i, more;

	alert[0] = 0;
	for (i = 0; i < a->shares.n && i < SHARES_MAX; i++) {
		nm = &a->share_names[i];
		if (d->names)
			shares_resolve(&d->shares, &a->shares.e[i].key, now, nm);
		metrics_shares_add(&d->share_stats, a->shares.e[i].key.proto, shares_label(nm), a->shares.e[i].count);
		share_text(&a->shares.e[i].key, nm, text, sizeof(text));
		log_info("%s %s: %s: %u event%s, worst %.1f ms", an->proto, an->name, text, a->shares.e[i].count,
			 a->shares.e[i].count == 1 ? "" : "s", (double)a->shares.e[i].worst / 1e6);
		if (i == 0)
			snprintf(alert, cap, " on %s", text);
	}
	if (a->shares.other_count)
		metrics_shares_add(&d->share_stats, a->shares.e[0].key.proto, NULL, a->shares.other_count);
	more = a->shares.n - (a->shares.n ? 1 : 0) + (a->shares.other_count ? 1 : 0);
	if (!a->shares.n || (!a->share_names[0].share[0] && !a->share_names[0].server[0]))
		alert[0] = 0;	/* nothing known: the alert stays as it was */
	else if (more)
		snprintf(alert + strlen(alert), cap - strlen(alert), " and %u more share%s", more, more == 1 ? "" : "s");
}

static void start_bundle(struct daemon *d, struct detect_anomaly *a)
{
	const struct cfg_anomaly *an = &d->cfg->anomalies[a->anomaly];
	struct collect_request req = { .anomaly_idx = a->anomaly, .det = a, .wall_ns = wall_ns() };
	const char *rule = a->rule >= 0 ? an->rules[a->rule].name : NULL;
	char worst[96], where[SHARES_SHARE_LEN * 2 + SHARES_SERVER_LEN + SHARES_USER_LEN + 64];
	int err;

	d->anomalies++;
	d->anomaly_counts[a->anomaly]++;
	snprintf(req.proto, sizeof(req.proto), "%s", an->proto);
	snprintf(req.anomaly, sizeof(req.anomaly), "%s", an->name);
	if (config_worst_is_count(an))	/* worst is a count there, not a latency */
		worst[0] = 0;
	else
		snprintf(worst, sizeof(worst), " (worst %.1f ms)", (double)a->worst / 1e6);
	if (a->bundled)
		snprintf(worst + strlen(worst), sizeof(worst) - strlen(worst), " (%u already in the emergency bundle)",
			 a->bundled);
	name_shares(d, a, where, sizeof(where));
	if (!stall_alert(an, a, where) && !reconnect_alert(an, a))
		log_alert(LOG_ALERT, "AOD detected anomaly: %s %s%s%s with %u events%s%s%s", an->proto, an->name,
			  rule ? " rule " : "", rule ? rule : "", a->count, worst, where,
			  !a->emergency ? "" : an->type == CFG_HEALTH ? " [fires at once]" :
			  " [emergency: one command >= 1 s]");
	update_probe_info(d);
	history_feed_poll(&d->history, d->smb, d->nfs, mono_ns());
	if (an->capture)
		req.ncaptures = capture_trigger(d->capture, an->proto, an->name, req.wall_ns, false, req.captures,
						CFG_CAPTURES_PER_REQ);
	err = collect_start(d->collect, &req, mono_ns());
	if (err == 1)
		log_info("%s %s: counted into the bundle already running", an->proto, an->name);
	else if (err == -EBUSY)
		log_warn("%s %s: %u bundles already running (max_concurrent_bundles); this anomaly is counted, not collected",
			 an->proto, an->name, d->cfg->max_concurrent_bundles);
	else if (err < 0)
		log_error("unable to start bundle for %s %s: %s", an->proto, an->name, strerror(-err));
}

void daemon_handle_event(struct daemon *d, const struct aod_ev_hdr *h, uint64_t now_ns)
{
	struct detect_anomaly a;
	int err;

	/* Ring buffer samples and record_next() are 8-byte aligned and at least their kind's size,
	 * so detection reads the record in place: a copy per event cost two thirds of replay time. */
	if (h->size < record_kind_min_size(h->kind))
		return;
	d->events++;
	d->now_ns = now_ns;
	if (d->recording && (err = record_write(&d->rec, h)) < 0) {
		log_error("unable to write the record stream: %s; recording stopped", strerror(-err));
		d->recording = false;
	}
	if (d->history.ring)
		history_event(d->history.ring, h);
	if (detect_feed(&d->detect, (const union detect_event *)h, &a) != 1)
		return;
	start_bundle(d, &a);
	while (detect_take_pending(&d->detect, &a) == 1)
		start_bundle(d, &a);
}

/* The closed window's anomalies: 64 of about 7 KiB each, too large for the stack (454 KiB); one daemon a process,
 * and the window closes only from the loop, so one static array serves. Untouched pages stay unmapped. */
static struct detect_anomaly close_out[CFG_MAX_ANOMALIES * 2];

void daemon_close_window(struct daemon *d, uint64_t now_ns)
{
	struct detect_anomaly *out = close_out;
	int i, n;

	if (!d->replay)
		history_feed_poll(&d->history, d->smb, d->nfs, now_ns);
	n = detect_close_window(&d->detect, now_ns, out, (int)ARRAY_SIZE(close_out));
	for (i = 0; i < n; i++)
		start_bundle(d, &out[i]);
}

void daemon_system_bundle(struct daemon *d, const char *what, uint64_t now_ns)
{
	struct collect_request req = { .anomaly_idx = -1, .wall_ns = wall_ns() };
	int err;

	snprintf(req.proto, sizeof(req.proto), "aod");
	snprintf(req.anomaly, sizeof(req.anomaly), "%s", what);
	log_info("writing a %s bundle", what);
	update_probe_info(d);
	history_feed_poll(&d->history, d->smb, d->nfs, now_ns);
	req.ncaptures = capture_trigger(d->capture, NULL, what, req.wall_ns, !strcmp(what, "shutdown"), req.captures,
					CFG_CAPTURES_PER_REQ);
	err = collect_start(d->collect, &req, now_ns);
	if (err < 0 && err != -EBUSY)
		log_error("unable to start the %s bundle: %s", what, strerror(-err));
	else if (err == -EBUSY)
		log_warn("%s bundle refused: max_concurrent_bundles reached", what);
}

void daemon_apply_overrides(struct daemon *d, struct cfg_config *cfg)
{
	if (d->output_dir)
		snprintf(cfg->output_dir, sizeof(cfg->output_dir), "%s", d->output_dir);
}

/* The listening socket and the metrics buffer are set up once at start (the buffer from the
 * arena, which does not grow): a HUP that changed these keys said "reloaded" and did nothing. */
static void keep_metrics_keys(const struct cfg_config *cur, struct cfg_config *next)
{
	bool listen = strcmp(next->metrics_listen, cur->metrics_listen) != 0;
	bool textfile = strcmp(next->metrics_textfile, cur->metrics_textfile) != 0;

	if (!listen && !textfile)
		return;
	log_warn("HUP: %s%s%s take%s effect at restart only; keeping the current ones", listen ? "metrics.listen" : "",
		 listen && textfile ? " and " : "", textfile ? "metrics.textfile" : "", listen && textfile ? "" : "s");
	snprintf(next->metrics_listen, sizeof(next->metrics_listen), "%s", cur->metrics_listen);
	snprintf(next->metrics_textfile, sizeof(next->metrics_textfile), "%s", cur->metrics_textfile);
}

void daemon_reload(struct daemon *d)
{
	struct cfg_config *next = d->cfg == &d->cfgs[0] ? &d->cfgs[1] : &d->cfgs[0];
	int err;

	log_info("HUP: reloading the config");
	malloc_guard_pause();	/* libyaml allocates while it parses */
	err = config_load_default_chain(next, d->cli_config, stderr);
	malloc_guard_resume();
	if (err < 0) {
		log_error("unable to reload the config: the new one has errors (above); keeping %s", d->cfg->path);
		return;
	}
	daemon_apply_overrides(d, next);
	if (strcmp(next->output_dir, d->cfg->output_dir) || next->arena_kb != d->cfg->arena_kb)
		log_warn("HUP: aod_output_dir and memory.arena_kb take effect at restart only; keeping the current ones");
	snprintf(next->output_dir, sizeof(next->output_dir), "%s", d->cfg->output_dir);
	next->arena_kb = d->cfg->arena_kb;
	if (next->history_seconds != d->cfg->history_seconds)
		log_warn("HUP: history_seconds takes effect at restart only; keeping %u", d->cfg->history_seconds);
	next->history_seconds = d->cfg->history_seconds;
	keep_metrics_keys(d->cfg, next);
	capture_keep_config(d->capture, d->cfg, next);
	d->cfg = next;
	d->reloads++;
	memset(d->anomaly_counts, 0, sizeof(d->anomaly_counts));	/* indices may now name other anomalies */
	detect_init(&d->detect, d->cfg, mono_ns());
	collect_set_config(d->collect, d->cfg);
	if (d->smb)
		smb_source_update_config(d->smb, d->cfg);
	if (d->nfs)
		nfs_source_update_config(d->nfs, d->cfg);
	if (d->health) {
		struct aod_ioerr_filter io;

		ioerr_filter_from_config(&io, d->cfg);
		health_source_set_io_filter(d->health, &io);
	}
	log_info("config reloaded from %s", d->cfg->path);
}

/* What each health family really measures, for every manifest (a fallback must say so). */
static void health_info(const struct daemon *d, struct collect_probe_info *pi)
{
	struct aod_loss l;
	size_t off = 0;
	int f;

	if (d->kmsg)
		pi->kmsg_lost = d->kmsg->lost;
	if (d->conn) {
		off = (size_t)snprintf(pi->health_methods, sizeof(pi->health_methods), "sockconn %s",
				       conn_source_method(d->conn));
		if (off >= sizeof(pi->health_methods))
			off = sizeof(pi->health_methods) - 1;
		pi->health_lost += conn_source_lost(d->conn);
	}
	if (!d->health)
		return;
	for (f = 0; f < HEALTH_NFAM && off < sizeof(pi->health_methods); f++) {
		if (!health_source_attached(d->health, (enum cfg_health_kind)f))
			continue;
		off += (size_t)snprintf(pi->health_methods + off, sizeof(pi->health_methods) - off, "%s%s %s",
					off ? "; " : "", health_source_family_name((enum cfg_health_kind)f),
					health_source_method(d->health, (enum cfg_health_kind)f));
		if (health_source_loss(d->health, (enum cfg_health_kind)f, &l) == 0)
			pi->health_lost += l.ringbuf_full + l.map_full;
	}
}

static void probe_info(struct daemon *d, struct collect_probe_info *pi)
{
	struct aod_loss loss = { 0 };

	memset(pi, 0, sizeof(*pi));
	if (d->replay)
		snprintf(pi->smb_method, sizeof(pi->smb_method), "replay");
	else if (d->smb)
		smb_source_info(d->smb, pi->smb_method, sizeof(pi->smb_method), &loss);
	pi->ringbuf_full = loss.ringbuf_full;
	pi->map_full = loss.map_full;
	pi->expired = loss.expired;
	memset(&loss, 0, sizeof(loss));
	if (d->replay)
		snprintf(pi->nfs_method, sizeof(pi->nfs_method), "replay");
	else if (d->nfs)
		nfs_source_info(d->nfs, pi->nfs_method, sizeof(pi->nfs_method), &loss);
	pi->nfs_lost = loss.ringbuf_full + loss.map_full;
	pi->events_total = d->events;
	health_info(d, pi);
}

/* Before every bundle, so its manifest has the counts of that moment, not of the last cleanup tick. */
static void update_probe_info(struct daemon *d)
{
	struct collect_probe_info pi;

	probe_info(d, &pi);
	collect_set_probe_info(d->collect, &pi);
}

/* Each family's method, kernel counts and histogram, for the metrics; method "" when it did not attach. */
static void metrics_families(const struct daemon *d, const struct collect_probe_info *pi, struct metrics_snapshot *s)
{
	struct metrics_family *m = &s->fam[s->nfam++];
	struct aod_hist h;
	int f;

	snprintf(m->name, sizeof(m->name), "smb");
	metrics_family_method(m, s->smb_attached ? pi->smb_method : "");
	m = &s->fam[s->nfam++];
	snprintf(m->name, sizeof(m->name), "nfs");
	metrics_family_method(m, s->nfs_attached ? pi->nfs_method : "");
	for (f = 0; f < HEALTH_NFAM && s->nfam < METRICS_MAX_FAMILIES; f++) {
		m = &s->fam[s->nfam++];
		snprintf(m->name, sizeof(m->name), "%s", health_source_family_name((enum cfg_health_kind)f));
		if (!d->health || !health_source_attached(d->health, (enum cfg_health_kind)f))
			continue;
		metrics_family_method(m, health_source_method(d->health, (enum cfg_health_kind)f));
		m->counts = true;
		m->events = health_source_count(d->health, (enum cfg_health_kind)f);
		if (health_source_hist(d->health, (enum cfg_health_kind)f, &h) == 0) {
			_Static_assert(AOD_HIST_SLOTS == METRICS_HIST_BUCKETS, "one log2 layout");
			memcpy(m->hist, h.slots, sizeof(m->hist));
			m->hist_sum_ns = h.sum_ns;
			m->has_hist = true;
		}
	}
}

int daemon_metrics_render(void *daemon)
{
	struct daemon *d = daemon;
	static struct metrics_snapshot s;

	memset(&s, 0, sizeof(s));
	probe_info(d, &s.probes);
	s.events_total = d->events;
	memcpy(s.anomalies, d->anomaly_counts, sizeof(s.anomalies));
	collect_get_stats(d->collect, &s.bundles);
	capture_get_stats(d->capture, &s.captures);
	if ((s.upload_on = d->upload != NULL))
		upload_get_stats(d->upload, &s.upload);
	s.arena_size = d->arena.size;
	s.arena_used = d->arena.high;
	s.arena_failures = d->arena.failures;
	s.smb_attached = d->smb && smb_source_attached(d->smb);
	if (s.smb_attached)
		smb_source_histograms(d->smb, CFG_SMB2_NCMD, s.smb.hist, s.smb.count, s.smb.errors);
	s.nfs_attached = d->nfs && nfs_source_attached(d->nfs);
	if (s.nfs_attached)
		nfs_source_histograms(d->nfs, METRICS_NFS_ROWS, s.nfs.hist, s.nfs.count, s.nfs.errors);
	s.shares = d->share_stats;
	if (d->replay_hist) {
		memcpy(s.smb.hist, d->replay_hist->slots, sizeof(s.smb.hist));
		memcpy(s.smb.count, d->replay_hist->count, sizeof(s.smb.count));
	}
	metrics_families(d, &s.probes, &s);
	s.bundle_dir_bytes = d->bundle_dir_bytes;
	s.bundle_dir_limit = d->cfg->max_total_log_bytes;
	if (!d->metrics_buf)
		return -ENOMEM;
	return metrics_render(&s, d->cfg, d->metrics_buf, d->metrics_cap);
}

static void write_metrics_textfile(struct daemon *d)
{
	int n, err;

	if (!d->cfg->metrics_textfile[0] || (n = daemon_metrics_render(d)) < 0)
		return;
	err = metrics_write_textfile(d->cfg->metrics_textfile, d->metrics_buf, (size_t)n);
	if (err < 0)
		log_warn("unable to write metrics.textfile %s: %s", d->cfg->metrics_textfile, strerror(-err));
}

/* What fleet.c reads of the daemon, lent for one call (fleet.h). */
static struct fleet_view fleet_view(const struct daemon *d)
{
	return (struct fleet_view){ .cfg = d->cfg, .collect = d->collect, .smb = d->smb, .health = d->health,
				    .kmsg = d->kmsg, .upload = d->upload, .events = d->events,
				    .anomalies = d->anomalies, .reloads = d->reloads,
				    .bundle_dir_bytes = d->bundle_dir_bytes };
}

void daemon_cleanup_tick(struct daemon *d, uint64_t now_ns)
{
	struct fleet_view v = fleet_view(d);
	struct retain_result res;
	int err;

	(void)now_ns;
	err = fleet_sweep(&v, &res);
	if (!err)
		d->bundle_dir_bytes = res.kept_bytes;
	if (err < 0)
		log_error("unable to sweep %s/batches: %s", d->cfg->output_dir, strerror(-err));
	else if (res.deleted_files)
		log_info("retention: deleted %u bundles (%llu bytes) from %s/batches", res.deleted_files,
			 (unsigned long long)res.deleted_bytes, d->cfg->output_dir);
	err = retain_traces(d->cfg->trace_dir, d->cfg->trace_max_age_sec, wall_ns() / 1000000000ll);
	if (err > 0)
		log_info("removed %d traces older than %u s from %s", err, d->cfg->trace_max_age_sec, d->cfg->trace_dir);
	else if (err < 0 && err != -ENOENT)
		log_warn("unable to clean up traces in %s: %s", d->cfg->trace_dir, strerror(-err));
	if (d->smb && smb_source_check(d->smb) < 0)
		log_warn("smb: module check failed; will retry on the next cleanup tick");
	if (d->nfs && nfs_source_check(d->nfs) < 0)
		log_warn("nfs: module check failed; will retry after the sunrpc/nfs modules reload");
	write_metrics_textfile(d);
}

void daemon_release_modules(struct daemon *d)
{
	int n = 0;

	n += d->smb ? smb_source_release(d->smb) : 0;
	n += d->nfs ? nfs_source_release(d->nfs) : 0;
	if (!n)
		log_info("SIGUSR2: no probe holds a kernel module; nothing to release");
	update_probe_info(d);
}

static int setup_signals(struct daemon *d)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	/* No SIGCHLD: children are reaped by the loop through their pidfds (loop_add_child), and one it
	 * cannot watch is looked for every 20 ms by its module's poller (actions_exec_fill). */
	/* Blocked before any fork, so no signal is lost between fork and signalfd. */
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	signal(SIGPIPE, SIG_IGN);
	d->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	return d->sigfd < 0 ? -errno : 0;
}

static int ringbuf_event(void *ctx, void *data, size_t size)
{
	struct daemon *d = ctx;
	const struct aod_ev_hdr *h = data;

	if (size < sizeof(*h) || h->size > size)
		return 0;
	daemon_handle_event(d, h, mono_ns());
	return 0;
}

int daemon_load_config(struct daemon *d)
{
	int err = config_load_default_chain(&d->cfgs[0], d->cli_config, stderr);

	if (err < 0)
		return err;
	d->cfg = &d->cfgs[0];
	daemon_apply_overrides(d, d->cfg);
	return 0;
}

/* Every bundle renamed into place, quick or capture: the directory's bytes, the status and the upload. */
static void bundle_written(void *ctx, const char *name, uint64_t size, int64_t wall_ns)
{
	struct daemon *d = ctx;
	struct fleet_view v;

	d->bundle_dir_bytes += size;
	v = fleet_view(d);
	fleet_bundle_written(&v, name, wall_ns);
}

int daemon_setup_core(struct daemon *d)
{
	/* replay polls collect and capture by hand (replay_housekeeping) and never runs d->loop: their
	 * pollers reap its children */
	struct loop *children = d->replay ? NULL : &d->loop;
	size_t arena_bytes = (size_t)d->cfg->arena_kb * 1024;
	unsigned removed = 0;
	int err;

	err = arena_init(&d->arena, arena_bytes);
	if (err < 0) {
		log_error("unable to reserve the %u KiB arena (memory.arena_kb): %s", d->cfg->arena_kb,
			  strerror(-err));
		return err;
	}
	err = collect_init(&d->collect, d->cfg, &d->arena, children);
	if (err == -EBUSY) {
		log_error("unable to lock the output directory %s: aod pid %d uses it; stop it or give another "
			  "directory (--output-dir, aod_output_dir)", d->cfg->output_dir,
			  collect_lock_holder(d->cfg->output_dir));
		return err;
	}
	if (err < 0) {
		log_error("unable to prepare the output directory %s/batches: %s%s", d->cfg->output_dir,
			  strerror(-err), err == -EACCES || err == -EPERM ?
			  " (run as root, or set aod_output_dir in the config to a directory you can write)" : "");
		return err;
	}
	err = history_feed_init(&d->history, &d->arena, d->cfg, d->replay, d->collect);
	if (err < 0)
		return err;
	collect_on_written(d->collect, bundle_written, d);
	err = retain_remove_parts(collect_outdir_fd(d->collect), &removed);
	if (err == 0 && removed)
		log_warn("removed %u partial bundles (*.part) left by an earlier crash in %s/batches", removed,
			 d->cfg->output_dir);
	err = capture_init(&d->capture, d->cfg, &d->arena, d->collect, children);
	if (err == -ENOMEM)
		log_error("unable to set up the captures: memory.arena_kb %u is too small for them (aod check-config "
			  "says how much is needed)", d->cfg->arena_kb);
	if (err < 0)
		return err;
	capture_poll(d->capture, NULL, mono_ns());
	shares_init(&d->shares, NULL);
	/* a recording's ids mean nothing against this host's mounts, unless its files are given */
	d->names = !d->replay || getenv("AOD_SHARES_ROOT");
	return 0;
}

/* Asked for (-h): stdout, as every command's help; after a usage error: stderr. */
static void usage_run(FILE *f)
{
	fprintf(f, "usage: aod run [-c FILE] [--record FILE] [--smb-attach auto|tracepoint|fentry|kprobe]\n"
		   "               [--nfs-attach auto|tracepoint|fentry|kprobe]\n");
}

static int parse_run_args(struct daemon *d, int argc, char **argv, const char **record, const char **attach)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "record", required_argument, NULL, 'r' },
		{ "smb-attach", required_argument, NULL, 'a' },
		{ "nfs-attach", required_argument, NULL, 'n' },
		{ "output-dir", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': d->cli_config = optarg; break;
		case 'r': *record = optarg; break;
		case 'a': *attach = optarg; break;
		case 'n': d->nfs_attach = optarg; break;
		case 'o': d->output_dir = optarg; break;
		case 'h': usage_run(stdout); return 1;
		default: usage_run(stderr); return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "aod run: unexpected argument '%s'\n", argv[optind]);
		usage_run(stderr);
		return -EINVAL;
	}
	for (int i = 0; i < 2; i++) {
		const char *a = i ? d->nfs_attach : *attach;

		if (a && strcmp(a, "auto") && strcmp(a, "tracepoint") && strcmp(a, "fentry") && strcmp(a, "kprobe")) {
			fprintf(stderr, "aod run: --%s-attach must be auto, tracepoint, fentry or kprobe, not '%s'\n",
				i ? "nfs" : "smb", a);
			return -EINVAL;
		}
	}
	return 0;
}

static int health_event(void *ctx, const struct aod_ev_hdr *h, size_t size)
{
	(void)size;
	daemon_handle_event(ctx, h, mono_ns());
	return 0;
}

static int kmsg_event(void *ctx, const struct aod_ev_kmsg *ev)
{
	daemon_handle_event(ctx, &ev->h, mono_ns());
	return 0;
}

static void floor_us(uint32_t *floor, uint64_t threshold_us)
{
	uint32_t t = threshold_us > UINT32_MAX ? UINT32_MAX : (uint32_t)threshold_us;

	if (!*floor || t < *floor)
		*floor = t;
}

/* Families and in-kernel floors from the health anomalies and io.error: only what detection can use crosses. */
static bool health_opts_from_cfg(const struct cfg_config *cfg, struct health_opts *o, bool *want_kmsg)
{
	const struct cfg_anomaly *an;
	int i;

	memset(o, 0, sizeof(*o));
	o->ringbuf_kb = HEALTH_RING_KB;
	*want_kmsg = false;
	for (i = 0; i < cfg->nanomalies; i++) {
		an = &cfg->anomalies[i];
		if (an->type != CFG_HEALTH || an->health >= CFG_H_COUNT)
			continue;
		if (an->health == CFG_H_KMSG) {
			*want_kmsg = true;
			continue;
		}
		o->families |= 1u << an->health;
		if (cfg_health_is_latency(an->health))
			floor_us(&o->floor_us[an->health], an->threshold);
		/* config.c allows attach: syscall only where the family has a syscall opt-in (vfs) */
		if (an->syscall_level)
			o->syscall_ok |= 1u << an->health;
	}
	/* io.error is an error anomaly, but its probes are a family of the health source */
	if (ioerr_filter_from_config(&o->io, cfg)) {
		o->families |= 1u << CFG_H_IOERR;
		if (ioerr_syscall_ok(cfg))
			o->syscall_ok |= 1u << CFG_H_IOERR;
	}
	return o->families != 0;
}

static void start_health(struct daemon *d)
{
	struct health_opts o;
	bool want_kmsg;
	int i, err = 0;

	if (health_opts_from_cfg(d->cfg, &o, &want_kmsg)) {
		o.cb = health_event;
		o.cb_ctx = d;
		err = health_source_open(&d->health, &d->arena, &o);
		/* each family's method or why it is off, also when none attached (io.error alone, left off) */
		for (i = 0; d->health && i < HEALTH_NFAM; i++)
			if (o.families & (1u << i))
				log_info("health: %s: %s", health_source_family_name((enum cfg_health_kind)i),
					 health_source_method(d->health, (enum cfg_health_kind)i));
		if (err < 0) {
			log_warn("health: no probe family could attach (%s); health anomalies other than kmsg, and io.error, "
				 "are off", strerror(-err));
			if (d->health)
				health_source_close(d->health);
			d->health = NULL;
		}
		if (d->health && health_source_cost_note(d->health))
			log_warn("health: %s. Leave attach: auto (the default) to avoid it.",
				 health_source_cost_note(d->health));
	}
	if (!want_kmsg)
		return;
	d->kmsg = arena_new(&d->arena, struct kmsg_reader, 1);
	if (!d->kmsg || (err = kmsg_open(d->kmsg)) < 0) {
		log_warn("unable to read /dev/kmsg: %s; the kmsg anomaly is off",
			 d->kmsg ? strerror(-err) : "arena exhausted (raise memory.arena_kb)");
		d->kmsg = NULL;
		return;
	}
	for (i = 0; i < d->cfg->nkmsg_patterns; i++)
		if (kmsg_matcher_add(&d->kmsg->m, d->cfg->kmsg_patterns[i]) < 0)
			log_warn("kmsg: pattern '%s' not added (at most %d user patterns)", d->cfg->kmsg_patterns[i],
				 KMSG_MAX_USER);
}

void daemon_read_kmsg(struct daemon *d)
{
	if (d->kmsg && kmsg_read(d->kmsg, kmsg_event, d) < 0)
		log_warn("kmsg: read failed; kernel log patterns may be missed");
}

void daemon_read_conn(struct daemon *d, uint64_t now_ns, bool tick)
{
	int err = tick ? conn_source_tick(d->conn, now_ns) : conn_source_consume(d->conn);

	if (err < 0)
		log_warn("sockconn: %s failed: %s; connection changes may be missed", tick ? "reading /proc/net/tcp" :
			 "reading the ring buffer", strerror(-err));
}

/*
 * The ports are those of the protocols with a sockconn anomaly at start (a HUP that adds one
 * needs a restart, as metrics.listen does). The remote port is watched: the kernel's clients.
 */
static void start_conn(struct daemon *d)
{
	uint16_t ports[NAMES_NPROTO] = { 0 };
	int err;

	for (int i = 0; i < d->cfg->nanomalies; i++) {
		const struct cfg_anomaly *an = &d->cfg->anomalies[i];

		if (an->type == CFG_SOCKCONN && an->space == NAMES_SMB)
			ports[NAMES_SMB] = SOCKCONN_SMB_PORT;
		else if (an->type == CFG_SOCKCONN && an->space == NAMES_NFS)
			ports[NAMES_NFS] = SOCKCONN_NFS_PORT;
	}
	if (!ports[NAMES_SMB] && !ports[NAMES_NFS])
		return;
	err = conn_source_open(&d->conn, &d->arena, ports, ringbuf_event, d);
	if (err < 0) {
		log_warn("sockconn: unable to watch connections to port %u/%u: %s; the sockconn anomalies are off",
			 ports[NAMES_SMB], ports[NAMES_NFS], strerror(-err));
		if (d->conn)
			conn_source_close(d->conn);
		d->conn = NULL;
		return;
	}
	log_info("sockconn: watching TCP connections to remote port%s%.0u%s%.0u via %s",
		 ports[NAMES_SMB] && ports[NAMES_NFS] ? "s " : " ", ports[NAMES_SMB],
		 ports[NAMES_SMB] && ports[NAMES_NFS] ? " and " : "", ports[NAMES_NFS], conn_source_method(d->conn));
}

static int start_sources(struct daemon *d)
{
	int err = smb_source_open(&d->smb, d->cfg, ringbuf_event, d);

	if (err < 0) {
		log_error("unable to set up the SMB probes: %s", strerror(-err));
		return err;
	}
	smb_source_check(d->smb);
	err = nfs_source_open(&d->nfs, d->cfg, d->nfs_attach, ringbuf_event, d);
	if (err < 0) {
		log_error("unable to set up the NFS probes: %s", strerror(-err));
		return err;
	}
	nfs_source_check(d->nfs);
	start_health(d);
	start_conn(d);
	return 0;
}

int daemon_setup_metrics(struct daemon *d)
{
	int fd;

	if (!d->cfg->metrics_listen[0] && !d->cfg->metrics_textfile[0])
		return 0;
	d->metrics_cap = METRICS_RENDER_CAP;
	d->metrics_buf = arena_new(&d->arena, char, d->metrics_cap);
	if (!d->metrics_buf) {
		log_error("unable to reserve the metrics buffer: the arena is full (raise memory.arena_kb)");
		return -ENOMEM;
	}
	if (!d->cfg->metrics_listen[0])
		return 0;
	fd = metrics_listen(d->cfg->metrics_listen);
	if (fd < 0) {
		log_error("unable to listen on metrics.listen %s: %s", d->cfg->metrics_listen, strerror(-fd));
		return fd;
	}
	metrics_server_init(&d->metrics, fd);
	log_info("metrics: serving the Prometheus text format on %s", d->cfg->metrics_listen);
	return 0;
}

/* ---- the loop: what the daemon registers on the reactor (loop.c), in the order a pass serves it ---- */

#define SHUTDOWN_GRACE_NS (10ull * 1000000000ull)

static void on_signals(void *ctx, uint64_t now)
{
	struct daemon *d = ctx;
	struct signalfd_siginfo si;

	while (read(d->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGTERM:
		case SIGINT:
			if (!d->stopping)
				log_info("%s: writing the shutdown bundle, then exiting", strsignal((int)si.ssi_signo));
			d->stopping = true;
			loop_stop(&d->loop);	/* after this pass */
			break;
		case SIGUSR1:
			daemon_system_bundle(d, "snapshot", now);
			break;
		case SIGHUP:
			daemon_reload(d);
			break;
		case SIGUSR2:
			daemon_release_modules(d);
			break;
		}
	}
}

/* The ring buffers come and go (a module loaded later, SIGUSR2): the loop asks for their fds each pass. */
static int smb_fd(void *ctx)
{
	struct daemon *d = ctx;

	return d->smb ? smb_source_fd(d->smb) : -1;
}

static void smb_ready(void *ctx, uint64_t now)
{
	struct daemon *d = ctx;

	if (smb_source_consume(d->smb) < 0)
		log_warn("smb: ring buffer read failed; will re-check the probes on the cleanup tick");
}

static int nfs_fd(void *ctx)
{
	struct daemon *d = ctx;

	return d->nfs ? nfs_source_fd(d->nfs) : -1;
}

static void nfs_ready(void *ctx, uint64_t now)
{
	struct daemon *d = ctx;

	if (nfs_source_consume(d->nfs) < 0)
		log_warn("nfs: ring buffer read failed; will re-check the probes on the cleanup tick");
}

static int health_fd(void *ctx)
{
	struct daemon *d = ctx;

	return d->health ? health_source_fd(d->health) : -1;
}

static void health_ready(void *ctx, uint64_t now)
{
	struct daemon *d = ctx;

	if (health_source_consume(d->health) < 0)
		log_warn("health: ring buffer read failed");
}

static int kmsg_fd(void *ctx)
{
	struct daemon *d = ctx;

	return d->kmsg ? d->kmsg->fd : -1;
}

static void kmsg_ready(void *ctx, uint64_t now)
{
	daemon_read_kmsg(ctx);
}

static int conn_fd(void *ctx)
{
	struct daemon *d = ctx;

	return d->conn ? conn_source_fd(d->conn) : -1;
}

static void conn_ready(void *ctx, uint64_t now)
{
	daemon_read_conn(ctx, now, false);
}

static void on_watch(void *ctx, uint64_t now)
{
	struct daemon *d = ctx;
	struct fleet_view v;

	/* the /proc fallback's snapshot belongs to the window that is closing */
	if (d->conn)
		daemon_read_conn(d, now, true);
	/* The vmstat fault fallback samples on this tick, before the window closes. */
	if (d->health)
		health_source_tick(d->health, now);
	/* requests still pending past stall_ms, fed in before the window closes */
	if (d->smb)
		smb_source_scan_stalls(d->smb, now);
	if (d->nfs)
		nfs_source_scan_stalls(d->nfs, now);
	daemon_close_window(d, now);
	v = fleet_view(d);
	fleet_watch_tick(&v);
}

static void on_cleanup(void *ctx, uint64_t now)
{
	daemon_cleanup_tick(ctx, now);
}

void daemon_metrics_fill(void *ctx, struct loop_set *s)
{
	struct daemon *d = ctx;

	metrics_server_fill(&d->metrics, &s->rd, &s->maxfd, &s->deadline_ns);
}

void daemon_metrics_poll(void *ctx, const struct loop_set *s, uint64_t now)
{
	struct daemon *d = ctx;

	metrics_server_poll(&d->metrics, &s->rd, now, daemon_metrics_render, d, (const char *const *)&d->metrics_buf);
}

static void upload_want(void *ctx, struct loop_set *s)
{
	upload_fill(ctx, &s->rd, &s->maxfd, &s->deadline_ns, mono_ns());
}

static void upload_ready(void *ctx, const struct loop_set *s, uint64_t now)
{
	upload_poll(ctx, &s->rd, now);
}

/* Signals first, then the sources, the watch and cleanup ticks, and the modules with children and clients.
 * The children themselves register as they start (loop_add_child): the first captures' during setup. */
static int register_loop(struct daemon *d)
{
	uint64_t watch = (uint64_t)(d->cfg->watch_interval_ms ? d->cfg->watch_interval_ms : 1000) * 1000000ull;
	uint64_t cleanup = (uint64_t)(d->cfg->cleanup_interval_sec ? d->cfg->cleanup_interval_sec : 60) * 1000000000ull;
	uint64_t now = mono_ns();
	int err = 0;

	/* a signalfd past FD_SETSIZE is refused and said by the loop; aod runs on without it, as before */
	if ((err = loop_add_fd(&d->loop, d->sigfd, on_signals, d)) == -EMFILE)
		err = 0;
	if (err >= 0)
		err = loop_add_source(&d->loop, smb_fd, smb_ready, d);
	if (err >= 0)
		err = loop_add_source(&d->loop, nfs_fd, nfs_ready, d);
	if (err >= 0)
		err = loop_add_source(&d->loop, health_fd, health_ready, d);
	if (err >= 0)
		err = loop_add_source(&d->loop, kmsg_fd, kmsg_ready, d);
	if (err >= 0)
		err = loop_add_source(&d->loop, conn_fd, conn_ready, d);
	if (err >= 0)
		err = loop_add_timer(&d->loop, now + watch, watch, on_watch, d);
	if (err >= 0)
		err = loop_add_timer(&d->loop, now + cleanup, cleanup, on_cleanup, d);
	if (err >= 0)
		err = loop_add_poller(&d->loop, daemon_metrics_fill, daemon_metrics_poll, d);
	if (err >= 0)
		err = loop_add_poller(&d->loop, collect_loop_fill, collect_loop_poll, d->collect);
	if (err >= 0 && d->capture)
		err = loop_add_poller(&d->loop, capture_loop_fill, capture_loop_poll, d->capture);
	if (err >= 0 && d->upload)
		err = loop_add_poller(&d->loop, upload_want, upload_ready, d->upload);
	if (err < 0)
		log_error("unable to set up the loop: %s", strerror(-err));
	return err < 0 ? err : 0;
}

static int run_loop(struct daemon *d)
{
	int err = loop_run(&d->loop);
	struct fleet_view v;

	if (err < 0) {
		log_error("unable to wait in select: %s", strerror(-err));
		return 1;
	}
	daemon_system_bundle(d, "shutdown", mono_ns());
	collect_drain(d->collect, SHUTDOWN_GRACE_NS);
	capture_drain(d->capture, CAPTURE_DRAIN_NS);
	v = fleet_view(d);
	fleet_stop(&v);
	log_info("stopped");
	return 0;
}

static void teardown(struct daemon *d)
{
	metrics_server_close(&d->metrics);
	if (d->smb)
		smb_source_close(d->smb);
	if (d->nfs)
		nfs_source_close(d->nfs);
	if (d->health)
		health_source_close(d->health);
	if (d->kmsg)
		kmsg_close(d->kmsg);
	if (d->conn)
		conn_source_close(d->conn);
	if (d->recording)
		record_writer_close(&d->rec);
	if (d->sigfd >= 0)
		close(d->sigfd);
}

int daemon_run_main(int argc, char **argv)
{
	static struct daemon d;	/* zero-initialised: a non-zero initialiser would put 1 MiB into .data */
	const char *record = NULL, *attach = NULL;
	struct fleet_view fv;
	int err, rc = 1;

	d.sigfd = -1;
	metrics_server_init(&d.metrics, -1);
	log_init("aod", LOG_DAEMON);
	err = parse_run_args(&d, argc, argv, &record, &attach);
	if (err)
		return err > 0 ? 0 : 2;
	if (daemon_load_config(&d) < 0)
		return 1;
	if (attach)
		snprintf(d.cfg->smb_attach, sizeof(d.cfg->smb_attach), "%s", attach);
	closelog();
	log_init("aod", d.cfg->syslog_facility);
	log_use_syslog(1);
	/* before setup: the captures start there, and their children register on it */
	loop_init(&d.loop);
	if (setup_signals(&d) < 0 || daemon_setup_core(&d) < 0)
		goto out;
	if (record) {
		err = record_writer_open(&d.rec, record);
		if (err < 0) {
			log_error("unable to open the record file %s: %s", record, strerror(-err));
			goto out;
		}
		d.recording = true;
	}
	if (start_sources(&d) < 0)
		goto out;
	if (daemon_setup_metrics(&d) < 0)
		goto out;
	fv = fleet_view(&d);
	fv.loop = &d.loop;
	if (fleet_start(&fv, &d.upload) < 0)
		goto out;
	if (register_loop(&d) < 0)
		goto out;
	detect_init(&d.detect, d.cfg, mono_ns());
	daemon_cleanup_tick(&d, mono_ns());
	log_info("running: config %s, output %s/batches, watch interval %u ms, pid %d", d.cfg->path,
		 d.cfg->output_dir, d.cfg->watch_interval_ms, (int)getpid());
	malloc_guard_arm();
	rc = run_loop(&d);
	malloc_guard_report("run");
out:
	teardown(&d);
	return rc;
}

// SPDX-License-Identifier: GPL-2.0-only
/* `aod replay`: a recorded event stream through the daemon's event path (detect -> collect), on event time. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "capture.h"
#include "clock.h"
#include "cmds.h"
#include "daemon.h"
#include "hist.h"
#include "log.h"
#include "malloc_guard.h"
#include "record.h"
#include "retain.h"
#include "text.h"

static const char replay_usage[] = "usage: aod replay FILE [-c CONFIG] [--output-dir DIR] [--repeat N] [--serve SECS]\n";

/* A count of at least 1, written with digits only (no blank, no sign), up to UINT_MAX. */
static int parse_repeat(const char *arg, unsigned *repeat)
{
	uint32_t v = 0;

	if (arg[0] < '0' || arg[0] > '9' || text_parse_u32(arg, &v) < 0 || !v) {
		fprintf(stderr, "aod replay: --repeat needs a count of at least 1 and at most %u, not '%s'\n",
			UINT_MAX, arg);
		return -EINVAL;
	}
	*repeat = v;
	return 0;
}

/* --serve: seconds to keep answering metrics.listen after the replay, 1 .. 86400. */
static int parse_serve(const char *arg, unsigned *secs)
{
	uint32_t v = 0;

	if (arg[0] < '0' || arg[0] > '9' || text_parse_u32(arg, &v) < 0 || !v || v > 86400) {
		fprintf(stderr, "aod replay: --serve needs a number of seconds from 1 to 86400, not '%s'\n", arg);
		return -EINVAL;
	}
	*secs = v;
	return 0;
}

static int parse_replay_args(struct daemon *d, int argc, char **argv, const char **file, unsigned *repeat,
			     unsigned *serve)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "output-dir", required_argument, NULL, 'o' },
		{ "repeat", required_argument, NULL, 'r' },
		{ "serve", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "c:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': d->cli_config = optarg; break;
		case 'o': d->output_dir = optarg; break;
		case 'r':
			if (parse_repeat(optarg, repeat))
				return -EINVAL;
			break;
		case 's':
			if (parse_serve(optarg, serve))
				return -EINVAL;
			break;
		case 'h': fputs(replay_usage, stdout); return 1;
		default: fputs(replay_usage, stderr); return -EINVAL;
		}
	}
	if (optind + 1 != argc) {
		fputs(replay_usage, stderr);
		return -EINVAL;
	}
	*file = argv[optind];
	return 0;
}

/* Without --output-dir, a fresh directory of its own: replay must never write into (nor sweep,
 * nor clear the .part files of) the output directory of a daemon that may be running. */
static int replay_default_outdir(struct daemon *d)
{
	static char dir[PATH_MAX];
	const char *tmp = getenv("TMPDIR");

	if (d->output_dir)
		return 0;
	snprintf(dir, sizeof(dir), "%s/aod-replay-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		log_error("unable to create a replay output directory %s: %s; give one with --output-dir",
			  dir, strerror(errno));
		return -errno;
	}
	d->output_dir = dir;
	fprintf(stderr, "aod replay: no --output-dir; writing bundles to %s\n", dir);
	return 0;
}

/* Retention runs on wall time during a long replay too, so a storm cannot fill the disk. */
static void replay_housekeeping(struct daemon *d, uint64_t *next_sweep)
{
	struct retain_result res;
	uint64_t now = mono_ns();

	if (now < *next_sweep)
		return;
	*next_sweep = now + (uint64_t)(d->cfg->cleanup_interval_sec ? d->cfg->cleanup_interval_sec : 60) * 1000000000ull;
	if (retain_sweep(collect_outdir_fd(d->collect), d->cfg->max_total_log_bytes, d->cfg->max_log_age_sec,
			 wall_ns() / 1000000000ll, NULL, &res) == 0)
		d->bundle_dir_bytes = res.kept_bytes;
	collect_poll(d->collect, NULL, now);
	capture_poll(d->capture, NULL, now);
}

/* The kernel's histograms count every command; a recording holds the records that crossed the ring
 * (those at or over a floor, and errors), so this histogram is of the replayed records only. */
static void replay_hist_add(struct daemon_smb_hist *hh, const struct aod_ev_smb *e)
{
	if (e->cmd >= CFG_SMB2_NCMD || (e->flags & AOD_SMB_ERR))
		return;
	hh->slots[e->cmd][hist_slot(e->latency_ns / 1000, METRICS_HIST_BUCKETS)]++;
	hh->count[e->cmd]++;
}

static volatile sig_atomic_t serve_stop;

static void on_serve_signal(int sig)
{
	(void)sig;
	serve_stop = 1;
}

static bool serve_stopped(void *ctx)
{
	return serve_stop;
}

/* --serve: answer metrics.listen with the replay's final counters until SECS pass or TERM/INT. */
static void replay_serve(struct daemon *d, unsigned secs)
{
	struct sigaction sa = { .sa_handler = on_serve_signal };
	int err;

	sigaction(SIGTERM, &sa, NULL);	/* no SA_RESTART: select returns EINTR, and the pass sees the flag */
	sigaction(SIGINT, &sa, NULL);
	log_info("replay: serving metrics on %s for %u s (TERM or INT ends it)", d->cfg->metrics_listen, secs);
	err = loop_serve_until(daemon_metrics_fill, daemon_metrics_poll, serve_stopped, d,
			       mono_ns() + (uint64_t)secs * 1000000000ull);
	if (err < 0)
		log_error("unable to serve the metrics: %s", strerror(-err));
}

/* Event time drives the watch windows, so a recording replays as it happened, only faster.
 * Pass p of --repeat shifts every timestamp by p spans of the file, as if it went on. */
static int replay_stream(struct daemon *d, struct record_reader *r, unsigned repeat)
{
	union detect_event shifted;
	const struct aod_ev_hdr *h;
	uint64_t interval = (uint64_t)(d->cfg->watch_interval_ms ? d->cfg->watch_interval_ms : 1000) * 1000000ull;
	uint64_t end = 0, first_ts = 0, last_ts = 0, shift = 0, next_sweep = 0;
	bool first = true;
	unsigned pass;
	int got = 0;

	for (pass = 0; pass < repeat; pass++) {
		if (pass) {
			shift += last_ts - first_ts + interval;
			record_reader_rewind(r);
		}
		/* times are at most INT64_MAX (record_next): a shift up to half that cannot wrap */
		if (shift > (uint64_t)INT64_MAX / 2) {
			log_error("unable to replay pass %u of %s: the shifted timeline would overflow; lower --repeat",
				  pass + 1, r->path);
			got = -EOVERFLOW;
			break;
		}
		while ((got = record_next(r, &h)) == 1) {
			if (pass && h->size <= sizeof(shifted)) {
				memcpy(&shifted, h, h->size);
				shifted.h.ts_ns += shift;
				h = &shifted.h;
			}
			if (first) {
				detect_init(&d->detect, d->cfg, h->ts_ns);
				end = h->ts_ns + interval;
				first_ts = h->ts_ns;
				first = false;
			}
			if (!pass && h->ts_ns > last_ts)
				last_ts = h->ts_ns;
			while (h->ts_ns >= end) {
				daemon_close_window(d, end);
				end += interval;
			}
			if (d->replay_hist && h->kind == AOD_EV_SMB)
				replay_hist_add(d->replay_hist, (const struct aod_ev_smb *)h);
			daemon_handle_event(d, h, h->ts_ns);
			if (!(d->events & 4095))
				replay_housekeeping(d, &next_sweep);
		}
		if (got < 0)
			break;
	}
	if (!first)
		daemon_close_window(d, end);
	return got;
}

int replay_main(int argc, char **argv)
{
	static struct daemon d;
	static struct record_reader r;
	struct collect_stats st;
	const char *file = NULL;
	unsigned repeat = 1, serve = 0;
	uint64_t t0;
	int err;

	d.sigfd = -1;
	metrics_server_init(&d.metrics, -1);
	d.replay = true;
	log_init("aod", LOG_DAEMON);
	err = parse_replay_args(&d, argc, argv, &file, &repeat, &serve);
	if (err)
		return err > 0 ? 0 : 2;
	if (daemon_load_config(&d) < 0)
		return 1;
	if (serve && !d.cfg->metrics_listen[0]) {
		log_error("--serve answers the config's metrics.listen, and %s sets none; add metrics: {listen: PORT}",
			  d.cfg->path);
		return 2;
	}
	err = record_reader_open(&r, file);
	if (err < 0) {
		log_error("unable to read the record stream %s", record_reader_error(&r));
		return 1;
	}
	/* only once the inputs are good, so a failed start leaves no empty directory behind */
	if (replay_default_outdir(&d) < 0)
		return 1;
	daemon_apply_overrides(&d, d.cfg);
	signal(SIGPIPE, SIG_IGN);
	if (daemon_setup_core(&d) < 0)
		return 1;
	/* Without --serve replay opens no listener: a daemon on this host may own the port. */
	if (serve) {
		d.replay_hist = arena_new(&d.arena, struct daemon_smb_hist, 1);
		if (!d.replay_hist || daemon_setup_metrics(&d) < 0)
			return 1;
	}
	t0 = mono_ns();
	malloc_guard_arm();
	err = replay_stream(&d, &r, repeat);
	collect_drain(d.collect, 60ull * 1000000000ull);
	capture_drain(d.capture, CAPTURE_DRAIN_NS);
	malloc_guard_report("replay");
	collect_get_stats(d.collect, &st);
	printf("replayed %llu events in %.3f s: %llu anomalies, %llu bundles written, %llu coalesced, %llu refused (busy), %llu failed\n",
	       (unsigned long long)d.events, (double)(mono_ns() - t0) / 1e9,
	       (unsigned long long)d.anomalies, (unsigned long long)st.bundles_written,
	       (unsigned long long)st.coalesced, (unsigned long long)st.refused_busy,
	       (unsigned long long)st.bundles_failed);
	if (serve) {
		fflush(stdout);
		replay_serve(&d, serve);
		metrics_server_close(&d.metrics);
	}
	if (err < 0) {
		if (err == -EBADMSG)
			log_error("unable to replay all of %s; replayed what came before", record_reader_error(&r));
		record_reader_close(&r);
		return 1;
	}
	record_reader_close(&r);
	return st.bundles_failed ? 1 : 0;
}

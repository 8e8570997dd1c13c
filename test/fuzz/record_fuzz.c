// SPDX-License-Identifier: GPL-2.0-only
/* libFuzzer target: a record file through record_next, detection and manifest_build, as `aod replay` drives them. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "detect.h"
#include "manifest.h"
#include "record.h"

#define FUZZ_MANIFEST_SIZE (128 * 1024)	/* collect.c's COLLECT_MANIFEST_SIZE */

/* Two configs side by side: the embedded default (SMB and health), and NFS latency and error rules
 * and io.error rules (in no default yet), so NFS and io records reach detection and the manifest too. */
#define NCFG 2
static struct cfg_config cfgs[NCFG];
static struct detect dets[NCFG];
static const char nfs_yaml[] =
	"anomalies:\n"
	"  nfs:\n"
	"    latency:\n"
	"      acceptable_count: 2\n"
	"      default_threshold_ms: 5\n"
	"      track_commands: [{command: READ, threshold: 20}, {command: NFS3PROC_WRITE, threshold: 1}]\n"
	"      actions: [dmesg]\n"
	"    error:\n"
	"      rules:\n"
	"        - {name: rofs, acceptable_count: 1, track_errors: [NFS4ERR_ROFS, NFS3ERR_ROFS]}\n"
	"        - {name: stateid, acceptable_count: 2, track_errors: [NFS4ERR_BAD_STATEID], track_ops: [OP_WRITE]}\n"
	"        - {name: any, acceptable_count: 3, exclude_errors: [NFS4ERR_NOENT, ETIMEDOUT]}\n"
	"      actions: [dmesg]\n"
	"  io:\n"
	"    error:\n"
	"      rules:\n"
	"        - {name: nospace, acceptable_count: 1, track_commands: [write], track_errors: [ENOSPC]}\n"
	"        - {name: anyio, acceptable_count: 2, exclude_errors: [ENOENT]}\n"
	"      actions: [dmesg]\n";
static char manifest[FUZZ_MANIFEST_SIZE];
static char path[64];		/* /proc/self/fd/N of an unlinked temp file: record_reader_open wants a path */
static int fd = -1;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char tmp[] = "/tmp/aod-fuzz-record.XXXXXX";

	(void)argc;
	(void)argv;
	/* The embedded default: SMB latency and error anomalies plus every health kind. */
	if (config_load_buffer(&cfgs[0], "<embedded>", config_default_yaml, config_default_yaml_len, stderr))
		abort();
	if (config_load_buffer(&cfgs[1], "<nfs>", nfs_yaml, sizeof(nfs_yaml) - 1, stderr))
		abort();
	fd = mkstemp(tmp);
	if (fd < 0)
		abort();
	unlink(tmp);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	return 0;
}

/* What collect's build_manifest does for a detected anomaly, retry with one event included. */
static void bundle(const struct cfg_config *cfg, const struct detect_anomaly *a, uint64_t now_ns)
{
	static const struct collect_probe_info probe = { .smb_method = "replay" };
	const struct cfg_anomaly *an = &cfg->anomalies[a->anomaly];
	struct manifest_input in = {
		.bundle = "aod_fuzz.tar.zst", .proto = an->proto, .anomaly = an->name, .anom = an, .det = a,
		.wall_ns = (int64_t)now_ns, .start_ns = now_ns, .max_events = cfg->manifest_events, .probe = &probe,
	};

	if (a->anomaly < 0 || a->anomaly >= cfg->nanomalies)
		abort();
	if (manifest_build(manifest, sizeof(manifest), &in) == -ENOSPC) {
		in.max_events = 1;
		manifest_build(manifest, sizeof(manifest), &in);
	}
	manifest_event_pid(a);
}

static void close_window(int k, uint64_t end_ns)
{
	static struct detect_anomaly out[CFG_MAX_ANOMALIES * 2];
	int n = detect_close_window(&dets[k], end_ns, out, CFG_MAX_ANOMALIES * 2);

	for (int i = 0; i < n; i++)
		bundle(&cfgs[k], &out[i], end_ns);
}

static void feed(int k, const struct aod_ev_hdr *h)
{
	static struct detect_anomaly a;

	if (h->size < record_kind_min_size(h->kind))
		return;
	if (detect_feed(&dets[k], (const union detect_event *)h, &a) != 1)
		return;
	bundle(&cfgs[k], &a, h->ts_ns);
	while (detect_take_pending(&dets[k], &a) == 1)
		bundle(&cfgs[k], &a, h->ts_ns);
}

/* replay_stream's loop, except that a jump in time closes one window and moves to the event's window:
 * stepping window by window over a fuzzed 2^64 ns gap would only measure the loop count. */
static void replay(int k, struct record_reader *r)
{
	const uint64_t interval = (uint64_t)cfgs[k].watch_interval_ms * 1000000ull;
	const struct aod_ev_hdr *h;
	uint64_t end = 0;
	bool first = true;

	while (record_next(r, &h) == 1) {
		if (first) {
			detect_init(&dets[k], &cfgs[k], h->ts_ns);
			end = h->ts_ns + interval;
			first = false;
		}
		if (h->ts_ns >= end) {
			close_window(k, end);
			end = h->ts_ns + interval;
		}
		feed(k, h);
	}
	if (!first)
		close_window(k, end);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct record_reader r;
	const unsigned char *mapped;

	if (ftruncate(fd, 0) || pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	for (int k = 0; k < NCFG; k++) {
		if (record_reader_open(&r, path) < 0) {
			record_reader_error(&r);
			return 0;
		}
		/* Read the records from libFuzzer's exact-size buffer (the same bytes): ASan sees a read one byte
		 * past the end there, while past the end of the mapping it would read the page's zero fill unnoticed. */
		mapped = r.base;
		r.base = data;
		replay(k, &r);
		r.base = mapped;
		record_reader_close(&r);
	}
	return 0;
}

// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for collection: real bundles in a temp dir, read back with the system's zstd, tar and python3. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "../../src/dirlist.c"
#include "../../src/arena.c"
#include "../../src/json.c"
#include "../../src/names.c"
#include "../../src/tar.c"
#include "../../src/io.c"
#include "../../src/archive.c"
#include "../../src/kmsg_record.c"
#include "../../src/text.c"
#include "../../src/topn.c"
#include "../../src/actions.c"
#include "../../src/inet_diag.c"
#include "../../src/family.c"
#include "../../src/shares.c"
#include "../../src/manifest.c"
#include "../../src/tcp_state.c"
#include "../../src/hist.c"
#include "../../src/history.c"
#include "../../src/history_json.c"
#include "../../src/loop.c"
#include "../../src/collect.c"
/* Last: its static `level` would shadow archive.c's parameters under -Wshadow. */
#include "../../src/log.c"

#include <sys/select.h>

#include "check.h"
#include "leaks.h"

static char tdir[] = "/tmp/aod_collect_XXXXXX";
static char outdir[PATH_MAX];
static struct cfg_config cfg;
static struct arena arena;
static bool have_python;

static int add_action(const char *name, enum cfg_action_kind kind, const char *path_or_argv0)
{
	struct cfg_action *a = &cfg.actions[cfg.nactions];

	snprintf(a->name, sizeof(a->name), "%s", name);
	a->kind = kind;
	a->max_bytes = 1 << 20;
	a->timeout_ms = 5000;
	if (kind == CFG_ACT_EXEC) {
		snprintf(a->argv[0], CFG_ARG_MAX, "%s", path_or_argv0);
		a->argc = 1;
	} else {
		snprintf(a->path, sizeof(a->path), "%s", path_or_argv0);
	}
	return cfg.nactions++;
}

static void add_anomaly(const char *proto, const char *name, enum cfg_anomaly_type type, const int *acts, int n)
{
	struct cfg_anomaly *an = &cfg.anomalies[cfg.nanomalies++];
	int i;

	snprintf(an->proto, sizeof(an->proto), "%s", proto);
	snprintf(an->name, sizeof(an->name), "%s", name);
	an->type = type;
	for (i = 0; i < n; i++)
		an->actions[an->nactions++] = (uint16_t)acts[i];
}

static void setup_config(void)
{
	int stats, ps, echo, slow, jctl, cg;

	cfg.watch_interval_sec = 1;
	cfg.max_concurrent_bundles = 2;
	cfg.manifest_events = 16;
	cfg.history_seconds = 5;
	snprintf(cfg.output_dir, sizeof(cfg.output_dir), "%s", outdir);
	stats = add_action("stats", CFG_ACT_FILE, "/proc/loadavg");
	ps = add_action("ps", CFG_ACT_PS, "");
	echo = add_action("echo", CFG_ACT_EXEC, "echo");
	snprintf(cfg.actions[echo].argv[1], CFG_ARG_MAX, "hello {interval}");
	cfg.actions[echo].argc = 2;
	slow = add_action("slow", CFG_ACT_EXEC, "sleep");
	snprintf(cfg.actions[slow].argv[1], CFG_ARG_MAX, "0.3");
	cfg.actions[slow].argc = 2;
	jctl = add_action("journalctl", CFG_ACT_EXEC, "aod-no-such-journalctl");
	add_anomaly("smb", "latency", CFG_LATENCY, (int[]){ stats, ps, echo }, 3);
	add_anomaly("smb", "error", CFG_ERROR, (int[]){ stats, slow }, 2);
	add_anomaly("health", "sched_latency", CFG_HEALTH, (int[]){ ps }, 1);
	cg = add_action("cgroup", CFG_ACT_CGROUP, "");
	add_anomaly("health", "oom_kill", CFG_HEALTH, (int[]){ cg }, 1);
	cfg.anomalies[3].health = CFG_H_OOM;
	(void)jctl;
}

static void fill_det(struct detect_anomaly *d, int anomaly)
{
	struct aod_ev_smb *e;

	memset(d, 0, sizeof(*d));
	d->anomaly = anomaly;
	d->rule = -1;
	d->count = 7;
	d->worst = 1500000000ull;
	d->emergency = true;
	d->ts_ns = 123;
	d->nworst = 2;
	e = &d->worst_events[0].smb;
	e->h.kind = AOD_EV_SMB;
	e->h.size = sizeof(*e);
	e->h.pid = (uint32_t)getpid();
	memcpy(e->h.comm, "we\"ird\n\xff", 9);
	e->cmd = 9;	/* SMB2_WRITE */
	e->mid = 42;
	e->sesid = 0x1234;
	e->tid = 5;
	e->latency_ns = 1500000000ull;
	e = &d->worst_events[1].smb;
	e->h.kind = AOD_EV_SMB;
	e->h.size = sizeof(*e);
	e->cmd = 8;
	e->status = 0xC0000022;	/* STATUS_ACCESS_DENIED */
	e->rc = -13;
	e->flags = AOD_SMB_ERR;
}

/* The daemon's loop in miniature: select on the children, poll, until no bundle runs. */
static int drive(struct collect *c, uint64_t max_ns)
{
	uint64_t end = mono_ns() + max_ns;

	while (collect_running(c) > 0) {
		uint64_t now = mono_ns(), dl = UINT64_MAX, wait;
		struct timeval tv;
		fd_set rd;
		int maxfd = -1;

		if (now > end)
			return -1;
		FD_ZERO(&rd);
		collect_fill_fds(c, &rd, &maxfd, &dl);
		wait = dl == UINT64_MAX ? 100000000ull : dl > now ? dl - now : 0;
		if (wait > 100000000ull)
			wait = 100000000ull;	/* no SIGCHLD here: a zombie is seen on the next pass */
		tv.tv_sec = 0;
		tv.tv_usec = (suseconds_t)(wait / 1000);
		if (select(maxfd + 1, &rd, NULL, NULL, &tv) <= 0)
			FD_ZERO(&rd);
		collect_poll(c, &rd, mono_ns());
	}
	return 0;
}

/* One pass of drive(): true when nothing is left running. */
static bool drive_once(struct collect *c)
{
	uint64_t now = mono_ns(), dl = now + 20000000ull;
	struct timeval tv = { 0, 0 };
	fd_set rd;
	int maxfd = -1;

	FD_ZERO(&rd);
	collect_fill_fds(c, &rd, &maxfd, &dl);
	if (dl > now)
		tv.tv_usec = (suseconds_t)((dl - now) / 1000);
	if (select(maxfd + 1, &rd, NULL, NULL, &tv) <= 0)
		FD_ZERO(&rd);
	collect_poll(c, &rd, mono_ns());
	return collect_running(c) == 0;
}

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

/* Run a python3 snippet against the named bundle's manifest (as `m`); true when it asserts fine. */
static bool manifest_ok(const char *bundle, const char *py)
{
	if (sh("zstd -dc %s/batches/%s | tar -xOf - manifest.json > %s/m.json", outdir, bundle, tdir))
		return false;
	if (!have_python)
		return sh("grep -q '\"actions\"' %s/m.json && grep -q '\"host\"' %s/m.json", tdir, tdir) == 0;
	return sh("python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); %s' %s/m.json", py, tdir) == 0;
}

static int count_files(const char *suffix)
{
	char cmd[PATH_MAX + 64], line[256];
	FILE *p;
	int n = 0;

	snprintf(cmd, sizeof(cmd), "ls -a %s/batches", outdir);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	while (fgets(line, sizeof(line), p)) {
		line[strcspn(line, "\n")] = '\0';
		if (strlen(line) >= strlen(suffix) && !strcmp(line + strlen(line) - strlen(suffix), suffix))
			n++;
	}
	pclose(p);
	return n;
}

static void test_bundles(struct collect *c)
{
	struct collect_request req = { .proto = "smb", .anomaly = "latency", .anomaly_idx = 0,
				       .wall_ns = 1700000000123456789ll };
	struct detect_anomaly det;
	struct collect_stats st;
	char name[128];
	struct stat sb;

	fill_det(&det, 0);
	req.det = &det;
	CHECK(collect_start(c, &req, mono_ns()) == 0);
	CHECK(collect_running(c) == 1);	/* the echo child is running */
	/* Same anomaly while it runs: counted into it. */
	req.wall_ns++;
	CHECK(collect_start(c, &req, mono_ns()) == 1);
	/* Another anomaly: a second bundle (limit 2). */
	struct collect_request req2 = { .proto = "smb", .anomaly = "error", .anomaly_idx = 1,
					.wall_ns = 1700000000999999999ll };
	CHECK(collect_start(c, &req2, mono_ns()) == 0);
	CHECK(collect_running(c) == 2);
	/* A third beyond max_concurrent_bundles: refused and counted. */
	struct collect_request req3 = { .proto = "health", .anomaly = "sched_latency", .anomaly_idx = 2,
					.wall_ns = 1700000001000000000ll };
	CHECK(collect_start(c, &req3, mono_ns()) == -EBUSY);
	CHECK(drive(c, 10000000000ull) == 0);
	collect_get_stats(c, &st);
	CHECK(st.bundles_written == 2 && st.bundles_failed == 0 && st.coalesced == 1 && st.refused_busy == 1);
	CHECK(count_files(".tar.zst") == 2);
	CHECK(count_files("_big.tar.zst.part") == 0);
	CHECK(sh("ls -a %s/batches | grep -q aod_tmp", outdir) != 0);

	snprintf(name, sizeof(name), "aod_quick_1700000000123456789_smb_latency.tar.zst");
	CHECK(fstatat(collect_outdir_fd(c), name, &sb, 0) == 0 && (sb.st_mode & 0777) == 0600);
	CHECK(sh("zstd -t -q %s/batches/%s", outdir, name) == 0);
	CHECK(sh("zstd -dc %s/batches/%s | tar -tf - > %s/list", outdir, name, tdir) == 0);
	CHECK(sh("printf 'manifest.json\\nstats.log\\nps.log\\necho.log\\n' | cmp -s - %s/list", tdir) == 0);
	CHECK(sh("zstd -dc %s/batches/%s | tar -xOf - echo.log | grep -qx 'hello 1'", outdir, name) == 0);
	CHECK(sh("zstd -dc %s/batches/%s | tar -xOf - ps.log | grep -q '^processes: '", outdir, name) == 0);
	CHECK(manifest_ok(name,
		"a=m[\"anomaly\"]; assert a[\"coalesced\"]==1 and a[\"count\"]==7 and a[\"emergency\"] is True, a; "
		"assert a[\"worst_ms\"]==1500.0 and a[\"type\"]==\"latency\" and a[\"proto\"]==\"smb\"; "
		"assert a[\"detected_at\"]==\"2023-11-14T22:13:20.123456789Z\", a; "
		"e=a[\"events\"]; assert e[0][\"command\"]==\"SMB2_WRITE\" and e[0][\"mid\"]==42 and e[0][\"tid\"]==5 and e[0][\"sesid\"]==0x1234 and e[0][\"latency_ms\"]==1500.0; "
		"assert e[0][\"comm\"]==\"we\\\"ird\\n\\ufffd\", e[0]; "
		"assert e[1][\"status\"]==\"0xc0000022\" and e[1][\"status_name\"]==\"STATUS_ACCESS_DENIED\" and e[1][\"errno\"]==\"EACCES\", e[1]; "
		"acts={x[\"name\"]:x for x in m[\"actions\"]}; assert [x[\"name\"] for x in m[\"actions\"]]==[\"stats\",\"ps\",\"echo\"]; "
		"assert acts[\"echo\"][\"status\"]==\"ok\" and acts[\"echo\"][\"exit_code\"]==0 and acts[\"echo\"][\"bytes\"]==8; "
		"assert acts[\"stats\"][\"kind\"]==\"file\" and acts[\"stats\"][\"bytes\"]>0; "
		"assert m[\"probes\"][\"smb_method\"]==\"replay\" and m[\"probes\"][\"ringbuf_full\"]==3; "
		"h=m[\"host\"]; assert h[\"nodename\"] and h[\"release\"] and h[\"nproc\"]>=1 and len(h[\"boot_id\"])==36, h; "
		"assert m[\"bundle\"]==\"aod_quick_1700000000123456789_smb_latency.tar.zst\""));
	CHECK(manifest_ok("aod_quick_1700000000999999999_smb_error.tar.zst",
		"acts=m[\"actions\"]; assert acts[1][\"name\"]==\"slow\" and acts[1][\"status\"]==\"ok\"; "
		"assert acts[1][\"duration_ms\"]>=250, acts[1]; assert m[\"anomaly\"][\"coalesced\"]==0"));
}

static void hist_feed(struct history *h, uint64_t ts, unsigned cmd, uint64_t lat)
{
	struct aod_ev_smb e = { .h = { .kind = AOD_EV_SMB, .size = sizeof(e), .ts_ns = ts }, .cmd = (uint16_t)cmd,
				.latency_ns = lat };

	history_event(h->ring, &e.h);
}

/* history.json follows the manifest and holds the seconds up to the anomaly, as they were when it fired:
 * what the ring takes in while the bundle's actions run is not in it. */
static void test_history(struct collect *c)
{
	struct collect_request req = { .proto = "smb", .anomaly = "error", .anomaly_idx = 1,
				       .wall_ns = 1700000001500000000ll };
	const char *name = "aod_quick_1700000001500000000_smb_error.tar.zst";
	struct detect_anomaly det;
	static struct history h;

	CHECK(history_init(&h, &arena, cfg.history_seconds, false) == 0);
	collect_set_history(c, &h);
	for (uint64_t s = 100; s <= 102; s++)
		for (unsigned k = 0; k < 10; k++)
			hist_feed(&h, s * 1000000000ull + k, 8, (s == 102 ? 300 : 1) * 1000000ull);
	fill_det(&det, 1);
	det.ts_ns = 102500000000ull;
	req.det = &det;
	CHECK(collect_start(c, &req, mono_ns()) == 0);
	CHECK(collect_running(c) == 1);	/* the slow action runs: the ring moves on meanwhile */
	for (uint64_t s = 103; s <= 110; s++)
		hist_feed(&h, s * 1000000000ull, 9, 5000000000ull);
	CHECK(drive(c, 10000000000ull) == 0);
	collect_set_history(c, NULL);
	CHECK(sh("zstd -dc %s/batches/%s | tar -tf - | sed -n 2p | grep -qx history.json", outdir, name) == 0);
	CHECK(manifest_ok(name, "assert m[\"history\"]==\"history.json\""));
	CHECK(sh("zstd -dc %s/batches/%s | tar -xOf - history.json > %s/h.json", outdir, name, tdir) == 0);
	CHECK(sh("grep -q '\"anomaly_mono_s\": 102,' %s/h.json", tdir) == 0);
	CHECK(sh("grep -c '\"mono_s\"' %s/h.json | grep -qx 3", tdir) == 0);
	CHECK(sh("grep -q '\"latency_ms\": 300.0' %s/h.json && ! grep -q 'SMB2_WRITE\\|\"mono_s\": 103' %s/h.json",
		 tdir, tdir) == 0);
	/* a bundle started with no history set has none */
	CHECK(manifest_ok("aod_quick_1700000009000000000_aod_snapshot.tar.zst", "assert m[\"history\"] is None"));
}

static void test_snapshot(struct collect *c)
{
	struct collect_request req = { .proto = "aod", .anomaly = "snapshot", .anomaly_idx = -1,
				       .wall_ns = 1700000002000000000ll };

	CHECK(collect_start(c, &req, mono_ns()) == 0);
	CHECK(drive(c, 10000000000ull) == 0);
	CHECK(manifest_ok("aod_quick_1700000002000000000_aod_snapshot.tar.zst",
		"acts={x[\"name\"]:x for x in m[\"actions\"]}; assert len(acts)==6, acts.keys(); "
		"j=acts[\"journalctl\"]; assert j[\"status\"]==\"skipped\" and j[\"note\"]==\"skipped: aod-no-such-journalctl not found\", j; "
		"assert m[\"anomaly\"][\"type\"]==\"system\" and m[\"anomaly\"][\"events\"]==[]"));
	CHECK(sh("zstd -dc %s/batches/aod_quick_1700000002000000000_aod_snapshot.tar.zst | tar -tf - | grep -qx slow.log",
		 outdir) == 0);
}

static void test_drain(struct collect *c)
{
	struct collect_request req = { .proto = "smb", .anomaly = "error", .anomaly_idx = 1,
				       .wall_ns = 1700000003000000000ll };
	struct collect_stats st;
	uint64_t t0;

	snprintf(cfg.actions[3].argv[1], CFG_ARG_MAX, "30");
	CHECK(collect_start(c, &req, mono_ns()) == 0);
	t0 = mono_ns();
	collect_drain(c, 300000000ull);
	CHECK(mono_ns() - t0 >= 300000000ull && mono_ns() - t0 < 2000000000ull);
	CHECK(collect_running(c) == 0);
	collect_get_stats(c, &st);
	CHECK(st.bundles_written == 4);
	CHECK(manifest_ok("aod_quick_1700000003000000000_smb_error.tar.zst",
		"s=m[\"actions\"][1]; assert s[\"status\"]==\"timeout\" and s[\"signal\"]==9 and \"killed at shutdown\" in s[\"note\"], s"));
	snprintf(cfg.actions[3].argv[1], CFG_ARG_MAX, "0.3");
}

static void test_failure(struct collect *c)
{
	struct collect_request req = { .proto = "health", .anomaly = "sched_latency", .anomaly_idx = 2,
				       .wall_ns = 1700000004000000000ll };
	struct collect_stats st;

	/* A stale .part of the same name makes archive_open refuse: the bundle fails, loudly. */
	CHECK(sh("touch %s/batches/aod_quick_1700000004000000000_health_sched_latency.tar.zst.part", outdir) == 0);
	CHECK(collect_start(c, &req, mono_ns()) == 0);
	collect_get_stats(c, &st);
	CHECK(st.bundles_failed == 1 && collect_running(c) == 0);
	CHECK(count_files("sched_latency.tar.zst") == 0);
	/* The slot is free again. */
	req.wall_ns++;
	CHECK(collect_start(c, &req, mono_ns()) == 0);
	collect_get_stats(c, &st);
	CHECK(st.bundles_written == 5);
}

/* An OOM bundle is about the victim: its cgroup is read, and the manifest names it. */
static void test_oom(struct collect *c)
{
	struct collect_request req = { .proto = "health", .anomaly = "oom_kill", .anomaly_idx = 3,
				       .wall_ns = 1700000005000000000ll };
	struct detect_anomaly det = { .anomaly = 3, .rule = -1, .count = 1, .worst = 1, .nworst = 1 };
	struct aod_ev_oom *o = (struct aod_ev_oom *)det.worst_events[0].raw;
	char py[512];

	o->h.kind = AOD_EV_OOM;
	o->h.size = sizeof(*o);
	o->h.pid = 1;
	o->victim_pid = (uint32_t)getpid();
	memcpy(o->victim_comm, "hog", 4);
	o->anon_rss_kb = 4096;
	req.det = &det;
	CHECK(manifest_event_pid(&det) == (uint32_t)getpid());
	CHECK(collect_start(c, &req, mono_ns()) == 0);
	snprintf(py, sizeof(py),
		 "a=m[\"anomaly\"]; assert a[\"type\"]==\"oom_kill\" and a[\"worst_count\"]==1 and \"worst_ms\" not in a; "
		 "e=a[\"events\"][0]; assert e[\"victim_pid\"]==%d and e[\"victim_comm\"]==\"hog\" and e[\"anon_rss_kb\"]==4096, e; "
		 "x=m[\"actions\"][0]; assert x[\"name\"]==\"cgroup\" and x[\"status\"] in (\"ok\",\"skipped\"), x",
		 (int)getpid());
	CHECK(manifest_ok("aod_quick_1700000005000000000_health_oom_kill.tar.zst", py));
	if (access("/sys/fs/cgroup/memory", F_OK) == 0 || access("/sys/fs/cgroup/memory.stat", F_OK) == 0)
		CHECK(sh("zstd -dc %s/batches/aod_quick_1700000005000000000_health_oom_kill.tar.zst | "
			 "tar -xOf - cgroup.log | grep -q 'memory cgroup (v'", outdir) == 0);
}

/* BIG_SIZE bytes of log-like text, not a multiple of 512, so padding is exercised too. */
#define BIG_SIZE ((16u << 20) + 123)

static int make_big(const char *path)
{
	static char chunk[1 << 16];
	unsigned seed = 5, off = 0;
	FILE *f = fopen(path, "we");
	size_t i, n;

	if (!f)
		return -1;
	while (off < BIG_SIZE) {
		for (i = 0; i < sizeof(chunk); i++) {
			seed = seed * 1103515245u + 12345u;
			chunk[i] = i % 73 == 72 ? '\n' : (char)('a' + (seed >> 16) % 26);
		}
		n = BIG_SIZE - off < sizeof(chunk) ? BIG_SIZE - off : sizeof(chunk);
		if (fwrite(chunk, 1, n, f) != n)
			break;
		off += (unsigned)n;
	}
	return fclose(f) == 0 && off == BIG_SIZE ? 0 : -1;
}

static struct bundle *slot_named(struct collect *c, const char *anomaly)
{
	int i;

	for (i = 0; i < c->nslots; i++)
		if (c->slots[i].active && !strcmp(c->slots[i].anomaly, anomaly))
			return &c->slots[i];
	return NULL;
}

/* The bundle's content, extracted with the system's tools, must be what the action wrote. */
static bool big_intact(const char *bundle)
{
	return sh("rm -rf %s/x && mkdir %s/x && zstd -dc %s/batches/%s | tar -xf - -C %s/x && cmp -s %s/x/big.log %s/big.txt && "
		  "zstd -dc %s/batches/%s | tar -tf - | head -n1 | grep -qx manifest.json",
		  tdir, tdir, outdir, bundle, tdir, tdir, tdir, outdir, bundle) == 0;
}

/*
 * A 16 MiB action output is archived over many passes of the loop, never more than
 * COLLECT_ARCHIVE_STEP tar bytes in one call, while the loop is told to come straight back.
 */
static void test_big_stepped(struct collect *c, int anom)
{
	struct collect_request req = { .proto = "smb", .anomaly = "big", .anomaly_idx = anom,
				       .wall_ns = 1700000006000000000ll };
	struct collect_request small = { .proto = "health", .anomaly = "sched_latency", .anomaly_idx = 2,
					 .wall_ns = 1700000006500000000ll };
	uint64_t t, slowest = 0, total = 0, last = 0, end = mono_ns() + 60000000000ull;
	struct collect_stats st0, st;
	struct bundle *b;
	int passes = 0, polls = 0, deadline_now = 0, small_early = 0;

	collect_get_stats(c, &st0);
	c->step_in_max = 0;
	CHECK(collect_start(c, &req, mono_ns()) == 0);
	b = slot_named(c, "big");
	CHECK(b && b->phase == BUNDLE_ACTIONS);	/* cat is running */
	while (b && b->active && mono_ns() < end) {
		uint64_t dl = UINT64_MAX;
		struct timeval tv = { 0, 20000 };
		bool archiving;
		fd_set rd;
		int maxfd = -1;

		FD_ZERO(&rd);
		collect_fill_fds(c, &rd, &maxfd, &dl);
		archiving = b->phase != BUNDLE_ACTIONS;
		deadline_now += archiving && dl <= mono_ns();
		if (archiving)
			tv.tv_usec = 0;
		if (select(maxfd + 1, &rd, NULL, NULL, &tv) <= 0)
			FD_ZERO(&rd);
		if (archiving && passes == 1) {
			/* Mid-archive: the slot still counts, a repeat is not counted into a written manifest,
			 * another bundle waits its turn, and one more is refused at the limit of 2. */
			CHECK(collect_running(c) == 1);
			CHECK(collect_start(c, &small, mono_ns()) == 0);
			CHECK(slot_named(c, "sched_latency") && slot_named(c, "sched_latency")->phase == BUNDLE_QUEUED);
			CHECK(collect_start(c, &req, mono_ns()) == -EBUSY);
			CHECK(c->step_in_max <= COLLECT_ARCHIVE_STEP);
		}
		t = mono_ns();
		collect_poll(c, &rd, t);
		t = mono_ns() - t;
		polls++;
		small_early += b->active && count_files("aod_quick_1700000006500000000_health_sched_latency.tar.zst") != 0;
		passes += archiving;
		if (archiving && b->active) {
			total += t;
			slowest = t > slowest ? t : slowest;
		} else if (archiving) {
			last = t;	/* with the end of the frame, fsync, rename, directory fsync */
		}
	}
	CHECK(b && !b->active);
	CHECK(b->steps >= BIG_SIZE / COLLECT_ARCHIVE_STEP + 1);
	CHECK(drive(c, 10000000000ull) == 0);
	collect_get_stats(c, &st);
	CHECK(st.bundles_written == st0.bundles_written + 2 && st.bundles_failed == st0.bundles_failed);
	CHECK(st.refused_busy == st0.refused_busy + 1 && st.coalesced == st0.coalesced);
	CHECK(passes > 1 && passes >= (int)(BIG_SIZE / COLLECT_ARCHIVE_STEP));	/* 16 or 17 passes */
	CHECK(c->step_in_max == COLLECT_ARCHIVE_STEP);	/* the bound, used in full */
	CHECK(deadline_now == passes);	/* every pass with archiving left asked for a zero timeout */
	CHECK(big_intact("aod_quick_1700000006000000000_smb_big.tar.zst"));
	/* The bundle queued behind it is written after it, not before. */
	CHECK(small_early == 0);
	CHECK(count_files("aod_quick_1700000006500000000_health_sched_latency.tar.zst") == 1);
	fprintf(stderr, "16 MiB bundle: %d polls, %u archive steps (%d polls after its actions were done), "
		"%.2f ms per archiving poll on average, %.2f ms at most, the last %.2f ms; %zu tar bytes at most in one call\n",
		polls, b->steps, passes, passes > 1 ? (double)total / (passes - 1) / 1e6 : 0.0, (double)slowest / 1e6,
		(double)last / 1e6, c->step_in_max);
}

/* Shutdown finishes an archive begun in the loop, even when the grace is already over. */
static void test_big_drain(struct collect *c, int anom)
{
	struct collect_request req = { .proto = "smb", .anomaly = "big", .anomaly_idx = anom,
				       .wall_ns = 1700000007000000000ll };
	struct collect_stats st0, st;
	struct bundle *b;

	collect_get_stats(c, &st0);
	CHECK(collect_start(c, &req, mono_ns()) == 0);
	b = slot_named(c, "big");
	while (b && b->active && b->phase != BUNDLE_ARCHIVING)
		if (drive_once(c))
			break;
	CHECK(b && b->active && b->phase == BUNDLE_ARCHIVING);	/* begun, not done */
	collect_drain(c, 0);
	CHECK(collect_running(c) == 0);
	collect_get_stats(c, &st);
	CHECK(st.bundles_written == st0.bundles_written + 1 && st.bundles_failed == st0.bundles_failed);
	CHECK(big_intact("aod_quick_1700000007000000000_smb_big.tar.zst"));
	CHECK(count_files("_big.tar.zst.part") == 0);

	/* With a grace long enough, the loop's own passes inside drain write it. */
	req.wall_ns++;
	CHECK(collect_start(c, &req, mono_ns()) == 0);
	collect_drain(c, 30000000000ull);
	CHECK(collect_running(c) == 0);
	CHECK(big_intact("aod_quick_1700000007000000001_smb_big.tar.zst"));
}

static void test_big(struct collect *c)
{
	char path[64];	/* tdir is short; argv strings are CFG_ARG_MAX */
	int act, anom;

	snprintf(path, sizeof(path), "%s/big.txt", tdir);
	CHECK(make_big(path) == 0);
	act = add_action("big", CFG_ACT_EXEC, "cat");
	snprintf(cfg.actions[act].argv[1], CFG_ARG_MAX, "%s", path);
	cfg.actions[act].argc = 2;
	cfg.actions[act].max_bytes = 64u << 20;
	cfg.actions[act].timeout_ms = 30000;
	anom = cfg.nanomalies;
	add_anomaly("smb", "big", CFG_LATENCY, (int[]){ 0, act }, 2);
	test_big_stepped(c, anom);
	test_big_drain(c, anom);
	cfg.nanomalies--;
	cfg.nactions--;
}

static struct loop oloop;
static struct collect *oc;

static void stop_when_idle(void *ctx, const struct loop_set *s, uint64_t now)
{
	if (!collect_running(oc))
		loop_stop(&oloop);
}

static void count_fired(void *ctx, uint64_t now)
{
	(*(int *)ctx)++;
}

/*
 * The daemon's shape: collect on collect_init's loop, its children registered there and reaped through
 * their pidfds, nothing else waking the loop (no SIGCHLD). A child that exits, after its output is read,
 * while a grandchild holds its pipe ends its action at once, with its output and exit status (a poller
 * that reaped only when woken sat until the 5 s timeout). collect_drain serves collect and the children
 * on that same loop, not its other entries. Nothing is left: no child entry, no zombie, no fd.
 */
static void test_on_loop(void)
{
	static struct cfg_config lcfg;
	struct collect_request req = { .proto = "smb", .anomaly = "held", .anomaly_idx = 0,
				       .wall_ns = 1700000010000000000ll };
	struct cfg_action *a = &lcfg.actions[0];
	char saved[PATH_MAX];
	uint64_t t0;
	int fired = 0, fds;

	memcpy(saved, outdir, sizeof(saved));
	snprintf(outdir, sizeof(outdir), "%s/out/loop", tdir);
	lcfg = cfg;
	snprintf(lcfg.output_dir, sizeof(lcfg.output_dir), "%s", outdir);
	lcfg.history_seconds = 0;
	lcfg.nactions = lcfg.nanomalies = 1;
	memset(a, 0, sizeof(*a));
	snprintf(a->name, sizeof(a->name), "held");
	a->kind = CFG_ACT_EXEC;
	a->max_bytes = 1 << 20;
	a->timeout_ms = 5000;
	snprintf(a->argv[0], CFG_ARG_MAX, "sh");
	snprintf(a->argv[1], CFG_ARG_MAX, "-c");
	snprintf(a->argv[2], CFG_ARG_MAX, "echo out; sleep 30 & sleep 0.2; exit 4");
	a->argc = 3;
	memset(&lcfg.anomalies[0], 0, sizeof(lcfg.anomalies[0]));
	snprintf(lcfg.anomalies[0].proto, sizeof(lcfg.anomalies[0].proto), "smb");
	snprintf(lcfg.anomalies[0].name, sizeof(lcfg.anomalies[0].name), "held");
	lcfg.anomalies[0].type = CFG_LATENCY;
	lcfg.anomalies[0].nactions = 1;
	loop_init(&oloop);
	CHECK(collect_init(&oc, &lcfg, &arena, &oloop) == 0);
	CHECK(loop_add_poller(&oloop, collect_loop_fill, collect_loop_poll, oc) >= 0);
	CHECK(loop_add_poller(&oloop, NULL, stop_when_idle, NULL) >= 0);
	fds = fd_count();
	t0 = mono_ns();
	CHECK(collect_start(oc, &req, t0) == 0);
	CHECK(loop_children(&oloop) == 1);
	CHECK(loop_run_until(&oloop, t0 + 4000000000ull) == 0);
	CHECK(collect_running(oc) == 0 && mono_ns() - t0 < 2000000000ull);
	CHECK(manifest_ok("aod_quick_1700000010000000000_smb_held.tar.zst",
		"a=m[\"actions\"][0]; assert a[\"status\"]==\"failed\" and a[\"exit_code\"]==4 and a[\"bytes\"]==4, a"));
	CHECK(sh("zstd -dc %s/batches/aod_quick_1700000010000000000_smb_held.tar.zst | tar -xOf - held.log | grep -qx out",
		 outdir) == 0);

	/* at exit: the drain finishes the bundle on the same loop, and leaves the loop's timer waiting */
	req.wall_ns++;
	CHECK(loop_add_timer(&oloop, mono_ns(), 0, count_fired, &fired) >= 0);
	t0 = mono_ns();
	CHECK(collect_start(oc, &req, t0) == 0);
	CHECK(loop_children(&oloop) == 1);
	collect_drain(oc, 4000000000ull);
	CHECK(collect_running(oc) == 0 && mono_ns() - t0 < 2000000000ull);
	CHECK(fired == 0);
	CHECK(manifest_ok("aod_quick_1700000010000000001_smb_held.tar.zst",
		"a=m[\"actions\"][0]; assert a[\"exit_code\"]==4 and \"shutdown\" not in a.get(\"note\", \"\"), a"));
	CHECK(loop_children(&oloop) == 0 && waitpid(-1, NULL, WNOHANG) <= 0);
	CHECK(fd_count() == fds);
	memcpy(outdir, saved, sizeof(saved));
}

/* A second collector on the same directory is refused (it would clear the first one's .part
 * files) and learns the pid that holds it. */
static void test_lock(void)
{
	struct collect *c2;
	size_t mark = arena_mark(&arena);

	CHECK(collect_init(&c2, &cfg, &arena, NULL) == -EBUSY);
	CHECK(collect_lock_holder(outdir) == (int)getpid());
	CHECK(arena_mark(&arena) == mark);
}

/* A longer pid left in the lock file by an earlier holder is replaced whole, not just overwritten. */
static void test_lock_stale_pid(void)
{
	char saved[sizeof(cfg.output_dir)], dir[sizeof(cfg.output_dir)];
	struct collect *c3;

	memcpy(saved, cfg.output_dir, sizeof(saved));
	snprintf(dir, sizeof(dir), "%s/out2", tdir);
	CHECK(sh("mkdir -p %s && printf '1234567890123\\n' >%s/%s", dir, dir, COLLECT_LOCK_FILE) == 0);
	memcpy(cfg.output_dir, dir, sizeof(dir));
	CHECK(collect_init(&c3, &cfg, &arena, NULL) == 0);
	CHECK(collect_lock_holder(dir) == (int)getpid());
	CHECK(sh("test $(wc -c <%s/%s) = $(echo %d | wc -c)", dir, COLLECT_LOCK_FILE, (int)getpid()) == 0);
	memcpy(cfg.output_dir, saved, sizeof(saved));
}

/* batches/ removed while aod runs: the next bundle recreates it instead of failing with ENOENT. */
static void test_batches_removed(struct collect *c)
{
	struct collect_request req = { .proto = "aod", .anomaly = "snapshot", .anomaly_idx = -1,
				       .wall_ns = 1700000009000000000ll };
	struct collect_stats before, after;

	collect_get_stats(c, &before);
	CHECK(sh("rm -rf %s/batches", outdir) == 0);
	CHECK(collect_start(c, &req, mono_ns()) == 0);
	CHECK(drive(c, 10000000000ull) == 0);
	collect_get_stats(c, &after);
	CHECK(after.bundles_failed == before.bundles_failed && after.bundles_written == before.bundles_written + 1);
	CHECK(count_files("_aod_snapshot.tar.zst") == 1);
}

int main(void)
{
	struct collect_probe_info pi = { .smb_method = "replay", .ringbuf_full = 3, .events_total = 100 };
	struct collect *c;
	struct stat sb;

	if (!mkdtemp(tdir))
		return 1;
	have_python = system("python3 -c 'import json' >/dev/null 2>&1") == 0;
	snprintf(outdir, sizeof(outdir), "%s/out/aod", tdir);
	setup_config();
	CHECK(arena_init(&arena, 8u << 20) == 0);
	CHECK(collect_init(&c, &cfg, &arena, NULL) == 0);
	CHECK(stat(outdir, &sb) == 0 && (sb.st_mode & 0777) == 0700);
	collect_set_probe_info(c, &pi);
	test_bundles(c);
	test_snapshot(c);
	test_drain(c);
	test_failure(c);
	test_oom(c);
	test_big(c);
	test_batches_removed(c);
	test_history(c);
	test_on_loop();
	test_lock();
	test_lock_stale_pid();
	fprintf(stderr, "arena used %zu of %zu\n", arena.used, arena.size);
	if (!getenv("AOD_KEEP"))
		sh("rm -rf %s", tdir);
	else
		fprintf(stderr, "kept %s\n", tdir);
	arena_fini(&arena);
	return CHECK_DONE();
}

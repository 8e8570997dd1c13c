// SPDX-License-Identifier: GPL-2.0-only
/* smbgen: writes a recorded SMB (or NFS) event stream (the `aod run --record` format) for replay tests and benchmarks. */

/*
 * Build (libc only): gcc -std=gnu11 -O2 -Isrc -Ibpf test/tools/smbgen.c -o build/smbgen
 *
 * The scenarios are laid out for this config (guardian layout), with its watch interval
 * equal to --interval-ms (default 1 s):
 *
 *   watch_interval_sec: 1
 *   aod_output_dir: /tmp/aod-replay
 *   guardian:
 *     anomalies:
 *       latency:
 *         type: Latency
 *         tool: smbslower
 *         mode: all
 *         acceptable_count: 10
 *         default_threshold_ms: 10
 *         actions: [stats, mounts]
 *       error:
 *         type: Error
 *         tool: smbiosnoop
 *         mode: trackonly
 *         acceptable_count: 5
 *         track_codes: [EACCES]
 *         actions: [dmesg]
 *
 * Every special event sits between 0.4 and 0.46 of a watch interval past a whole interval
 * from the start (ts 1000 s exactly), so it lands in one window whether windows are aligned
 * to the first record or to whole seconds.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/io.c"
#include "../../src/record.c"
#include "../../src/family.c"

#define MS 1000000ull
#define US 1000ull
#define T0 (1000ull * 1000 * MS)	/* first window starts at monotonic 1000 s */
#define SESID 0x00001d3e00000011ull
#define TREE_ID 5
#define ST_ACCESS_DENIED 0xC0000022u

enum { NEGOTIATE = 0, SESSION_SETUP = 1, TREE_CONNECT = 3, CREATE = 5, CLOSE = 6, READ = 8,
       WRITE = 9, QUERY_INFO = 16 };
/* NFS client procedure indices (NFSPROC4_CLNT_*, NFS3PROC_*), the NFSv4 op and the status the nfs scenario uses */
enum { NFS4_READ = 1, NFS4_WRITE = 2, NFS4_GETATTR = 18, NFS3_READ = 6, NFS3_WRITE = 7 };
#define NFS_OP_WRITE 38
#define NFS_ERR_ROFS 30		/* NFS4ERR_ROFS and NFS3ERR_ROFS */

static const char usage[] =
	"usage: smbgen OUT --scenario NAME [--events N] [--seed S] [--interval-ms MS]\n"
	"Writes an aod record stream of SMB2 completions to OUT (see docs/record-format.md).\n"
	"Timestamps start at 1000 s; I = --interval-ms (default 1000), the watch interval the\n"
	"stream is meant for. Every scenario opens with 4 session records (NEGOTIATE,\n"
	"SESSION_SETUP answering STATUS_MORE_PROCESSING_REQUIRED, SESSION_SETUP, TREE_CONNECT),\n"
	"then N background completions every I/100 (READ/WRITE/CREATE/CLOSE/QUERY_INFO from\n"
	"\"cp\" pid 4242 and \"dd\" pid 4343, 0.1-9 ms: all under 10 ms). Records and anomalies\n"
	"for the config in smbgen.c's comment (latency: all commands 10 ms, acceptable_count\n"
	"10; error: EACCES, acceptable_count 5):\n"
	"  quiet         4 + N records (N default 1000). 0 anomalies.\n"
	"  slow-writes   4 + N + 12 (N default 500): 12 WRITEs of 150-249 ms at 2.4 I + k*5 ms.\n"
	"                1 latency anomaly (count 12, worst 249 ms) at the close of window 3.\n"
	"  emergency     4 + N + 1 (N default 500): one READ of 1.5 s at 2.5 I.\n"
	"                1 latency anomaly, fired at once (emergency), count 1; none at the close.\n"
	"  eacces-burst  4 + N + 8 (N default 500): 8 CREATEs failing STATUS_ACCESS_DENIED,\n"
	"                rc -13 (EACCES), at 2.4 I + k*5 ms. 1 error anomaly (count 8).\n"
	"  flood         4 + 112 N records (N default 30): in each of N intervals, 100 background\n"
	"                records and 12 slow WRITEs as in slow-writes. N latency anomalies,\n"
	"                one per interval.\n"
	"  nfs           4 + N + 15 (N default 500), the background NFS RPCs instead (NFSv4 READ/\n"
	"                WRITE/GETATTR, NFSv3 READ/WRITE, 0.1-9 ms, a tenth of it queued). For\n"
	"                nfs.latency default_threshold_ms 50, acceptable_count 4, and nfs.error\n"
	"                rules on NFS4ERR_ROFS+NFS3ERR_ROFS at 5 and at 6: 6 NFSv4 READs of\n"
	"                150-200 ms (100 ms of it queued on the client) at 2.4 I + k*5 ms, 4 NFSv3\n"
	"                WRITEs of 60-75 ms (1 ms queued) at 3.4 I + k*5 ms, 5 ROFS errors at\n"
	"                4.4 I + k*5 ms (3 NFSv4 WRITEs naming OP_WRITE, 2 NFSv3 WRITEs).\n"
	"                2 latency anomalies (count 6, worst 200 ms; count 4, worst 75 ms) and\n"
	"                1 error anomaly of the rule at 5 (count 5); the rule at 6 does not fire.\n"
	"  stall         4 + N + 1 (N default 500): at 2.5 I, one stall record (kind 3): a READ\n"
	"                of \"dd\" pid 4343 pending 3.2 s, 2 requests stalled. For smb.stall at\n"
	"                stall_ms 3000 (the embedded default): 1 stall anomaly, fired at once.\n"
	"  reconnect     4 + N + 7 (N default 500), reconnect records (kind 4) of conn_id 7 to\n"
	"                192.0.2.10: SMB smb3_reconnect at 2.4 I, smb3_connect_err (rc -111) at\n"
	"                2.42 I, smb3_reconnect again at 3.4 I (the same outage), smb3_connect_done\n"
	"                at 3.42 I, NFS xprt_disconnect_force at 3.44 I and xprt_retransmit (an NFSv3\n"
	"                READ) at 3.46 I; after the background, smb3_reconnect 11 s after the\n"
	"                connect (a new outage). Under the embedded default config: 3 reconnect\n"
	"                anomalies, each fired at once (smb, nfs, smb).\n"
	"  storm         4 + N records (N default 10000000) every 1 us; record i is a 25 ms WRITE\n"
	"                when i % 1048576 == 1048575 (floor(N/1048576) of them, about one per\n"
	"                second), the rest under 10 ms. 0 anomalies for intervals up to 10 s.\n"
	"--seed S (default 1) varies the background; the counts above do not depend on it.\n";

struct gen {
	struct record_writer w;
	uint64_t rng, mid;
	uint64_t interval_ns;
	uint64_t step_ns;		/* between background records */
	uint64_t bg_next_ts;
	bool nfs;			/* background records are NFS RPCs */
	int err;
};

static struct gen g;		/* the writer buffer is large: keep it off the stack */

static uint64_t rnd(void)
{
	/* xorshift64*: fast enough for 50 M records, reproducible from the seed */
	g.rng ^= g.rng >> 12;
	g.rng ^= g.rng << 25;
	g.rng ^= g.rng >> 27;
	return g.rng * 0x2545F4914F6CDD1Dull;
}

static void emit(uint64_t ts, int cmd, uint64_t lat, uint32_t status, int rc, bool dd)
{
	struct aod_ev_smb e;

	memset(&e, 0, sizeof(e));
	e.h.kind = AOD_EV_SMB;
	e.h.size = sizeof(e);
	e.h.cpu = (uint32_t)(g.mid & 3);
	e.h.ts_ns = ts;
	e.h.pid = dd ? 4343 : 4242;
	e.h.tid = e.h.pid;
	memcpy(e.h.comm, dd ? "dd" : "cp", 3);
	e.sesid = cmd == NEGOTIATE ? 0 : SESID;
	e.mid = g.mid++;
	e.latency_ns = lat;
	e.tid = cmd <= SESSION_SETUP ? 0 : TREE_ID;
	e.cmd = (uint16_t)cmd;
	e.status = status;
	e.rc = rc;
	if (status || rc)
		e.flags = AOD_SMB_ERR;
	if (!g.err)
		g.err = record_write(&g.w, &e.h);
}

static void emit_nfs(uint64_t ts, unsigned vers, unsigned proc, uint64_t lat, uint64_t queue, uint32_t status,
		     bool dd)
{
	struct aod_ev_nfs e;

	memset(&e, 0, sizeof(e));
	e.h.kind = AOD_EV_NFS;
	e.h.size = sizeof(e);
	e.h.cpu = (uint32_t)(g.mid & 3);
	e.h.ts_ns = ts;
	e.h.pid = dd ? 4343 : 4242;
	e.h.tid = e.h.pid;
	memcpy(e.h.comm, dd ? "dd" : "cp", 3);
	e.latency_ns = lat;
	e.queue_ns = queue;
	e.rtt_ns = lat - queue;
	e.xid = (uint32_t)(0x5eed0000u + g.mid++);
	e.prog = 100003;
	e.vers = (uint16_t)vers;
	e.proc = (uint16_t)proc;
	e.op = status && vers == 4 ? NFS_OP_WRITE : AOD_NFS_NO_OP;
	e.flags = status ? AOD_NFS_ERR : AOD_NFS_SPLIT;
	e.nfs_status = status;
	e.client_id = 1;
	if (!g.err)
		g.err = record_write(&g.w, &e.h);
}

static void emit_stall(uint64_t ts, int cmd, uint64_t age)
{
	struct aod_ev_stall e;

	memset(&e, 0, sizeof(e));
	e.h.kind = AOD_EV_STALL;
	e.h.size = sizeof(e);
	e.h.ts_ns = ts;
	e.h.pid = 4343;
	e.h.tid = e.h.pid;
	memcpy(e.h.comm, "dd", 3);
	e.age_ns = age;
	e.sesid = SESID;
	e.mid = g.mid++;
	e.tree = TREE_ID;
	e.count = 2;
	e.proto = AOD_STALL_SMB;
	e.cmd = (uint16_t)cmd;
	if (!g.err)
		g.err = record_write(&g.w, &e.h);
}

static void emit_reconn(uint64_t ts, unsigned proto, unsigned what, uint64_t conn, int32_t rc)
{
	struct aod_ev_reconnect e;

	memset(&e, 0, sizeof(e));
	e.h.kind = AOD_EV_RECONNECT;
	e.h.size = sizeof(e);
	e.h.ts_ns = ts;
	e.h.pid = proto == AOD_STALL_SMB ? 311 : 77;
	e.h.tid = e.h.pid;
	memcpy(e.h.comm, proto == AOD_STALL_SMB ? "cifsd" : "kworker/u4:2", proto == AOD_STALL_SMB ? 6 : 13);
	e.conn_id = conn;
	e.rc = rc;
	e.proto = (uint16_t)proto;
	e.what = (uint16_t)what;
	e.port = proto == AOD_STALL_SMB ? 445 : 2049;
	if (what == AOD_RECONN_NFS_RETRANSMIT)
		e.xid = 0x5eed0001, e.vers = 3, e.proc = NFS3_READ;
	if (what == AOD_RECONN_NFS_DISCONNECT)
		e.waiting = 2;	/* the READs left waiting */
	memcpy(e.host, "192.0.2.10", 11);
	if (!g.err)
		g.err = record_write(&g.w, &e.h);
}

static void prologue(void)
{
	emit(T0 + 500 * US, NEGOTIATE, 400 * US, 0, 0, false);
	emit(T0 + 1200 * US, SESSION_SETUP, 600 * US, AOD_NT_STATUS_MORE_PROCESSING_REQUIRED, 0, false);
	emit(T0 + 2100 * US, SESSION_SETUP, 800 * US, 0, 0, false);
	emit(T0 + 2600 * US, TREE_CONNECT, 450 * US, 0, 0, false);
	g.bg_next_ts = T0 + 10 * MS;
}

static void background_one(void)
{
	static const int mix[10] = { READ, READ, READ, READ, WRITE, WRITE, WRITE, CREATE, CLOSE, QUERY_INFO };
	static const unsigned nfs_mix[5][2] = { { 4, NFS4_READ }, { 4, NFS4_WRITE }, { 4, NFS4_GETATTR },
						{ 3, NFS3_READ }, { 3, NFS3_WRITE } };
	uint64_t r = rnd(), lat = 100 * US + (r >> 8) % (8900 * US);

	if (g.nfs)
		emit_nfs(g.bg_next_ts, nfs_mix[r % 5][0], nfs_mix[r % 5][1], lat, lat / 10, 0, (r >> 40) & 1);
	else
		emit(g.bg_next_ts, mix[r % 10], lat, 0, 0, (r >> 40) & 1);
	g.bg_next_ts += g.step_ns;
}

/* Background records due strictly before ts, so time never runs backwards. */
static void background_until(uint64_t ts, uint64_t *left)
{
	while (*left && g.bg_next_ts < ts) {
		background_one();
		--*left;
	}
}

/* One SMB outage said three times, a failed connect, the connect that ends it, an NFS transport loss and a resend;
 * then, long after the SMB connection came back, a second SMB outage. */
static void reconnect_scenario(uint64_t I, uint64_t *left)
{
	static const struct { uint64_t at; unsigned proto, what; int32_t rc; } r[] = {
		{ 240, AOD_STALL_SMB, AOD_RECONN_SMB_RECONNECT, 0 },
		{ 242, AOD_STALL_SMB, AOD_RECONN_SMB_CONNECT_ERR, -111 },
		{ 340, AOD_STALL_SMB, AOD_RECONN_SMB_RECONNECT, 0 },
		{ 342, AOD_STALL_SMB, AOD_RECONN_SMB_CONNECTED, 0 },
		{ 344, AOD_STALL_NFS, AOD_RECONN_NFS_DISCONNECT, 0 },
		{ 346, AOD_STALL_NFS, AOD_RECONN_NFS_RETRANSMIT, 0 },
	};

	for (size_t k = 0; k < sizeof(r) / sizeof(r[0]); k++) {
		uint64_t ts = T0 + I * r[k].at / 100;

		background_until(ts, left);
		emit_reconn(ts, r[k].proto, r[k].what, 7, r[k].rc);
	}
	background_until(UINT64_MAX, left);
	emit_reconn(T0 + I * 342 / 100 + 11000 * MS, AOD_STALL_SMB, AOD_RECONN_SMB_RECONNECT, 7, 0);
}

static void slow_writes(uint64_t at, uint64_t *left)
{
	for (int k = 0; k < 12; k++) {
		uint64_t ts = at + (uint64_t)k * 5 * MS;

		background_until(ts, left);
		emit(ts, WRITE, 150 * MS + (uint64_t)k * 9 * MS, 0, 0, true);
	}
}

static void eacces(uint64_t at, uint64_t *left)
{
	for (int k = 0; k < 8; k++) {
		uint64_t ts = at + (uint64_t)k * 5 * MS;

		background_until(ts, left);
		emit(ts, CREATE, 300 * US + (uint64_t)k * 90 * US, ST_ACCESS_DENIED, -EACCES, false);
	}
}

static void nfs_scenario(uint64_t I, uint64_t *left)
{
	for (int k = 0; k < 6; k++) {
		uint64_t ts = T0 + I * 24 / 10 + (uint64_t)k * 5 * MS;

		background_until(ts, left);
		emit_nfs(ts, 4, NFS4_READ, 150 * MS + (uint64_t)k * 10 * MS, 100 * MS, 0, true);
	}
	for (int k = 0; k < 4; k++) {
		uint64_t ts = T0 + I * 34 / 10 + (uint64_t)k * 5 * MS;

		background_until(ts, left);
		emit_nfs(ts, 3, NFS3_WRITE, 60 * MS + (uint64_t)k * 5 * MS, 1 * MS, 0, false);
	}
	for (int k = 0; k < 5; k++) {
		uint64_t ts = T0 + I * 44 / 10 + (uint64_t)k * 5 * MS;

		background_until(ts, left);
		emit_nfs(ts, k < 3 ? 4 : 3, k < 3 ? NFS4_WRITE : NFS3_WRITE, 2 * MS, 0, NFS_ERR_ROFS, true);
	}
}

static void storm(uint64_t n)
{
	uint64_t ts = T0 + 10 * MS;

	for (uint64_t i = 0; i < n && !g.err; i++, ts += US) {
		uint64_t r = rnd();

		if ((i & 0xFFFFF) == 0xFFFFF)
			emit(ts, WRITE, 25 * MS, 0, 0, true);
		else
			emit(ts, r % 3 ? READ : WRITE, 50 * US + (r >> 8) % (4 * MS), 0, 0, r & 1);
	}
}

static int run(const char *scenario, uint64_t n, bool n_given)
{
	uint64_t I = g.interval_ns, left;

	prologue();
	if (!strcmp(scenario, "storm")) {
		storm(n_given ? n : 10000000);
		return 0;
	}
	if (!strcmp(scenario, "flood")) {
		uint64_t intervals = n_given ? n : 30;

		left = intervals * 100;
		for (uint64_t i = 0; i < intervals; i++)
			slow_writes(T0 + i * I + I * 4 / 10, &left);
		background_until(UINT64_MAX, &left);
		return 0;
	}
	left = n_given ? n : !strcmp(scenario, "quiet") ? 1000 : 500;
	if (!strcmp(scenario, "slow-writes"))
		slow_writes(T0 + I * 24 / 10, &left);
	else if (!strcmp(scenario, "emergency")) {
		background_until(T0 + I * 25 / 10, &left);
		emit(T0 + I * 25 / 10, READ, 1500 * MS, 0, 0, false);
	} else if (!strcmp(scenario, "stall")) {
		background_until(T0 + I * 25 / 10, &left);
		emit_stall(T0 + I * 25 / 10, READ, 3200 * MS);
	} else if (!strcmp(scenario, "reconnect")) {
		reconnect_scenario(I, &left);
	} else if (!strcmp(scenario, "eacces-burst"))
		eacces(T0 + I * 24 / 10, &left);
	else if (!strcmp(scenario, "nfs"))
		g.nfs = true, nfs_scenario(I, &left);
	else if (strcmp(scenario, "quiet") != 0)
		return -EINVAL;
	background_until(UINT64_MAX, &left);
	return 0;
}

static bool parse_u64(const char *s, uint64_t *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 10);
	return s[0] >= '0' && s[0] <= '9' && !*end && !errno;
}

int main(int argc, char **argv)
{
	const char *out = NULL, *scenario = NULL;
	uint64_t n = 0, seed = 1, interval_ms = 1000;
	bool n_given = false;
	int err;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		bool ok = true;

		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			fputs(usage, stdout);
			return 0;
		} else if (!strcmp(a, "--scenario") && v) {
			scenario = v, i++;
		} else if (!strcmp(a, "--events") && v) {
			ok = parse_u64(v, &n), n_given = true, i++;
		} else if (!strcmp(a, "--seed") && v) {
			ok = parse_u64(v, &seed), i++;
		} else if (!strcmp(a, "--interval-ms") && v) {
			ok = parse_u64(v, &interval_ms) && interval_ms >= 10 && interval_ms <= 3600000, i++;
		} else if (a[0] != '-' && !out) {
			out = a;
		} else {
			ok = false;
		}
		if (!ok) {
			fprintf(stderr, "smbgen: bad argument '%s'\n%s", a, usage);
			return 2;
		}
	}
	if (!out || !scenario) {
		fputs(usage, stderr);
		return 2;
	}
	g.rng = seed * 0x9E3779B97F4A7C15ull + 1;
	if (!g.rng)
		g.rng = 1;	/* xorshift never leaves zero */
	g.interval_ns = interval_ms * MS;
	g.step_ns = g.interval_ns / 100;
	err = record_writer_open(&g.w, out);
	if (err) {
		fprintf(stderr, "smbgen: unable to create %s: %s\n", out, strerror(-err));
		return 1;
	}
	if (run(scenario, n, n_given) < 0) {
		fprintf(stderr, "smbgen: unknown scenario '%s' (quiet, slow-writes, emergency, eacces-burst, nfs, stall, reconnect, "
			"flood, storm)\n",
			scenario);
		record_writer_close(&g.w);
		unlink(out);
		return 2;
	}
	err = g.err ? g.err : 0;
	if (!err)
		err = record_writer_close(&g.w);
	else
		record_writer_close(&g.w);
	if (err) {
		fprintf(stderr, "smbgen: unable to write %s: %s\n", out, strerror(-err));
		return 1;
	}
	return 0;
}

// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for the Prometheus text rendering (counters, labels, cumulative histogram buckets, families, overflow)
 * and the scrape server on loopback (request checks, eviction of stalled clients, 503, fd refusal). */
#include "../../src/io.c"
#include "../../src/metrics.c"
#include "../../src/text.c"
#include "../../src/names.c"
#include "check.h"

#include <sys/resource.h>
#include <sys/time.h>

static struct cfg_config cfg;
static struct metrics_snapshot s;
static char buf[65536];

static void setup(void)
{
	memset(&cfg, 0, sizeof(cfg));
	cfg.nanomalies = 2;
	strcpy(cfg.anomalies[0].proto, "smb");
	strcpy(cfg.anomalies[0].name, "latency");
	strcpy(cfg.anomalies[1].proto, "health");
	strcpy(cfg.anomalies[1].name, "oom_kill");
	memset(&s, 0, sizeof(s));
	s.events_total = 12345;
	s.anomalies[0] = 7;
	s.anomalies[1] = 1;
	s.bundles.bundles_written = 6;
	s.bundles.coalesced = 2;
	s.captures = (struct capture_stats){ .written = 4, .failed = 1, .merged = 2, .spawn_failures = 3, .disabled = 1 };
	s.probes.ringbuf_full = 3;
	s.smb_attached = true;
	s.smb.hist[9][7] = 4;	/* SMB2_WRITE: 4 in [128, 256) us */
	s.smb.hist[9][17] = 1;	/* and one in [131 ms, 262 ms) */
	s.smb.count[9] = 5;
}

/* Every sample's metric was declared by a "# TYPE" line before it (histogram samples by their base
 * name), and no metric is declared twice: what promtool and Prometheus' parser insist on. */
static bool well_formed(const char *text)
{
	static char declared[64][64];
	int ndecl = 0, i;
	char name[64];
	const char *l;

	for (l = text; *l; l = strchr(l, '\n') + 1) {
		size_t n = strcspn(l, "{ \n");

		if (!strncmp(l, "# TYPE ", 7)) {
			n = strcspn(l + 7, " ");
			snprintf(name, sizeof(name), "%.*s", (int)n, l + 7);
			for (i = 0; i < ndecl; i++)
				if (!strcmp(declared[i], name))
					return false;
			if (ndecl == 64)
				return false;
			snprintf(declared[ndecl++], sizeof(declared[0]), "%s", name);
		} else if (l[0] != '#') {
			bool found = false;

			snprintf(name, sizeof(name), "%.*s", (int)n, l);
			for (i = 0; i < ndecl && !found; i++) {
				size_t dl = strlen(declared[i]);

				found = !strcmp(declared[i], name) ||
					(!strncmp(declared[i], name, dl) && (!strcmp(name + dl, "_bucket") ||
					 !strcmp(name + dl, "_sum") || !strcmp(name + dl, "_count")));
			}
			if (!found)
				return false;
		}
		if (!strchr(l, '\n'))
			return false;
	}
	return true;
}

/* The families, action, directory and build metrics; the last log2 bucket only in +Inf. */
static void test_families_and_limits(void)
{
	struct metrics_family *f;
	int n;

	setup();
	s.smb.hist[9][31] = 2;	/* clamped by the kernel: slower than 2^31 us, no finite bound */
	f = &s.fam[s.nfam++];
	strcpy(f->name, "smb");
	metrics_family_method(f, "");
	f = &s.fam[s.nfam++];
	strcpy(f->name, "sched");
	metrics_family_method(f, "tp_btf sched_switch + sched_info");
	f->counts = true;
	f->events = 99;
	f->has_hist = true;
	f->hist[3] = 10;	/* [8, 16) us */
	f->hist[31] = 1;
	f->hist_sum_ns = 1500000000ull;
	f = &s.fam[s.nfam++];
	strcpy(f->name, "vfs");
	metrics_family_method(f, "syscall-level read/write latency via raw_syscalls (fentry refused: EPERM)");
	f = &s.fam[s.nfam++];
	strcpy(f->name, "oom");
	metrics_family_method(f, "a_method_name_much_longer_than_thirty_one_characters");
	f->counts = true;
	f->events = 2;
	s.bundles.actions_failed = 3;
	s.bundles.actions_timeout = 1;
	s.bundles.bytes_written = 4096;
	s.bundle_dir_bytes = 12345;
	s.bundle_dir_limit = 104857600;
	n = metrics_render(&s, &cfg, buf, sizeof(buf));
	CHECK(n > 0);
	CHECK(well_formed(buf));
	CHECK(strstr(buf, "command=\"SMB2_WRITE\",le=\"1073.74\"} 5\n") != NULL);
	CHECK(strstr(buf, "command=\"SMB2_WRITE\",le=\"2147.48\"} 5\n") != NULL);
	CHECK(strstr(buf, "le=\"4294.97\"") == NULL);
	CHECK(strstr(buf, "command=\"SMB2_WRITE\",le=\"+Inf\"} 7\n") != NULL);
	CHECK(strstr(buf, "aod_smb_command_latency_seconds_count{command=\"SMB2_WRITE\"} 7\n") != NULL);
	CHECK(strstr(buf, "aod_smb_command_latency_seconds_sum") == NULL);	/* the kernel keeps no sum */
	CHECK(strstr(buf, "aod_probe_attach_info{family=\"smb\",method=\"none\"} 1\n") != NULL);
	CHECK(strstr(buf, "aod_probe_attach_info{family=\"sched\",method=\"tp_btf\"} 1\n") != NULL);
	CHECK(strstr(buf, "aod_probe_attach_info{family=\"vfs\",method=\"syscall-level\"} 1\n") != NULL);
	CHECK(strstr(buf, "{family=\"oom\",method=\"a_method_name_much_longer_than_\"} 1\n") != NULL);
	CHECK(strstr(buf, "aod_health_events_total{family=\"sched\"} 99\n") != NULL);
	CHECK(strstr(buf, "aod_health_events_total{family=\"oom\"} 2\n") != NULL);
	CHECK(strstr(buf, "aod_health_events_total{family=\"vfs\"}") == NULL);	/* not counted */
	CHECK(strstr(buf, "aod_health_latency_seconds_bucket{family=\"sched\",le=\"8e-06\"} 0\n") != NULL);
	CHECK(strstr(buf, "aod_health_latency_seconds_bucket{family=\"sched\",le=\"1.6e-05\"} 10\n") != NULL);
	CHECK(strstr(buf, "aod_health_latency_seconds_bucket{family=\"sched\",le=\"+Inf\"} 11\n") != NULL);
	CHECK(strstr(buf, "aod_health_latency_seconds_sum{family=\"sched\"} 1.500000000\n") != NULL);
	CHECK(strstr(buf, "aod_health_latency_seconds_count{family=\"sched\"} 11\n") != NULL);
	CHECK(strstr(buf, "family=\"oom\",le=") == NULL);
	CHECK(strstr(buf, "aod_action_failures_total{reason=\"failed\"} 3\n") != NULL);
	CHECK(strstr(buf, "aod_action_failures_total{reason=\"timeout\"} 1\n") != NULL);
	CHECK(strstr(buf, "aod_bundle_written_bytes_total 4096\n") != NULL);
	CHECK(strstr(buf, "aod_bundle_dir_bytes 12345\n") != NULL);
	CHECK(strstr(buf, "aod_bundle_dir_limit_bytes 104857600\n") != NULL);
	CHECK(strstr(buf, "aod_build_info{version=\"" AOD_VERSION "\",libbpf=\"") != NULL);
	/* the structure check itself refuses an undeclared sample and a metric declared twice */
	CHECK(!well_formed("aod_x 1\n"));
	CHECK(!well_formed("# TYPE aod_x counter\naod_x 1\n# TYPE aod_x counter\n"));
	CHECK(well_formed("# TYPE aod_h histogram\naod_h_bucket{le=\"+Inf\"} 1\naod_h_count 1\n"));
}

static const char *scrape_text = "aod_events_total 1\n";

static int fake_render(void *ctx)
{
	(void)ctx;
	return (int)strlen(scrape_text);
}

/* Two passes: the first accepts, the second reads what the new connections already sent. */
static void pump(struct metrics_server *m, uint64_t now)
{
	struct timeval tv;
	fd_set rd;
	uint64_t deadline;
	int pass, maxfd;

	for (pass = 0; pass < 2; pass++) {
		FD_ZERO(&rd);
		maxfd = -1;
		deadline = UINT64_MAX;
		metrics_server_fill(m, &rd, &maxfd, &deadline);
		tv = (struct timeval){ .tv_usec = 20000 };
		if (select(maxfd + 1, &rd, NULL, NULL, &tv) <= 0)
			FD_ZERO(&rd);
		metrics_server_poll(m, &rd, now, fake_render, NULL, &scrape_text);
	}
}

static int dial(int port, const char *req)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	struct timeval tv = { .tv_sec = 1 };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || write(fd, req, strlen(req)) != (ssize_t)strlen(req)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Everything the server sent before closing, then close our end. */
static const char *answer(int fd)
{
	static char got[4096];
	size_t n = 0;
	ssize_t r;

	while (n < sizeof(got) - 1 && (r = read(fd, got + n, sizeof(got) - 1 - n)) > 0)
		n += (size_t)r;
	got[n] = 0;
	close(fd);
	return got;
}

static bool starts(const char *text, const char *prefix)
{
	return strncmp(text, prefix, strlen(prefix)) == 0;
}

static int used_slots(const struct metrics_server *m)
{
	int i, n = 0;

	for (i = 0; i < METRICS_MAX_CONNS; i++)
		n += m->conn[i].fd >= 0;
	return n;
}

static void test_request_status(void)
{
	CHECK(metrics_request_status("GET /metrics HTTP/1.0\r\n\r\n") == 200);
	CHECK(metrics_request_status("GET /metrics?x=1 HTTP/1.1\r\nHost: a\r\n\r\n") == 200);
	CHECK(metrics_request_status("GET /metrics HTTP/1.1\n\n") == 200);
	CHECK(metrics_request_status("GET / HTTP/1.0\r\n\r\n") == 404);
	CHECK(metrics_request_status("GET /metricsx HTTP/1.0\r\n\r\n") == 404);
	CHECK(metrics_request_status("BLAH\r\n\r\n") == 400);
	CHECK(metrics_request_status("") == 400);
	CHECK(metrics_request_status("POST /metrics HTTP/1.0\r\n\r\n") == 400);
	CHECK(metrics_request_status("GET /metrics\r\n\r\n") == 400);
	CHECK(metrics_request_status("GET /metrics HTTP/2.0\r\n\r\n") == 400);
	CHECK(metrics_request_status("GET /metrics HTTP/1.0") == 400);
	CHECK(metrics_request_status("GET /metrics HTTP/1.0x\r\n\r\n") == 400);
}

static int server(struct metrics_server *m)
{
	struct sockaddr_in a;
	socklen_t al = sizeof(a);
	int fd = metrics_listen("127.0.0.1:0");

	CHECK(fd >= 0);
	metrics_server_init(m, fd);
	CHECK(getsockname(fd, (struct sockaddr *)&a, &al) == 0);
	return ntohs(a.sin_port);
}

/* Full slots of stalled clients: a newcomer gets 503 while they are young, then evicts the oldest. */
static void test_stalled_clients(void)
{
	const uint64_t t0 = 1000000000ull;
	struct metrics_server m;
	int port = server(&m), stalled[METRICS_MAX_CONNS], i, fd;
	const char *a;

	for (i = 0; i < METRICS_MAX_CONNS; i++) {
		stalled[i] = dial(port, "GET /metrics HTTP/1.1\r\nHost: x\r\n");
		pump(&m, t0 + (uint64_t)i);
	}
	CHECK(used_slots(&m) == METRICS_MAX_CONNS);
	fd = dial(port, "GET /metrics HTTP/1.0\r\n\r\n");
	pump(&m, t0 + METRICS_EVICT_AGE_NS - 1);
	CHECK(starts(answer(fd), "HTTP/1.0 503 Service Unavailable\r\n"));
	CHECK(used_slots(&m) == METRICS_MAX_CONNS);
	fd = dial(port, "GET /metrics HTTP/1.0\r\n\r\n");
	pump(&m, t0 + METRICS_EVICT_AGE_NS);
	a = answer(fd);
	CHECK(starts(a, "HTTP/1.0 200 OK\r\n") && strstr(a, "\r\n\r\naod_events_total 1\n"));
	CHECK(answer(stalled[0])[0] == 0);	/* the oldest was closed */
	CHECK(used_slots(&m) == METRICS_MAX_CONNS - 1);
	/* garbage gets 400, a pipelined pair one reply */
	fd = dial(port, "BLAH\r\n\r\n");
	pump(&m, t0 + METRICS_EVICT_AGE_NS);
	CHECK(starts(answer(fd), "HTTP/1.0 400 Bad Request\r\n"));
	/* a request that fills the buffer without ending is refused, not served (pre-fix: 200 and the metrics) */
	{
		char big[600];

		memset(big, 'a', sizeof(big) - 1);
		big[sizeof(big) - 1] = 0;
		memcpy(big, "GET /metrics HTTP/1.0\r\nX-Pad: ", 30);
		fd = dial(port, big);
		pump(&m, t0 + METRICS_EVICT_AGE_NS);
		a = answer(fd);
		CHECK(starts(a, "HTTP/1.0 431 Request Header Fields Too Large\r\n"));
		CHECK(!strstr(a, "aod_events_total"));
	}
	fd = dial(port, "GET /metrics HTTP/1.0\r\n\r\nGET /metrics HTTP/1.0\r\n\r\n");
	pump(&m, t0 + METRICS_EVICT_AGE_NS);
	a = answer(fd);
	CHECK(strstr(a, "HTTP/1.0 200 OK") == a && !strstr(a + 1, "HTTP/1.0"));
	for (i = 1; i < METRICS_MAX_CONNS; i++)
		close(stalled[i]);
	metrics_server_close(&m);
}

/* An accepted fd select() cannot watch is answered 503 and closed, never put in a slot. */
static void test_fd_past_setsize(void)
{
	struct rlimit rl;
	struct metrics_server m;
	int port = server(&m), fd, filler[FD_SETSIZE], n = 0;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_max < FD_SETSIZE + 16) {
		printf("skip: fd past FD_SETSIZE: RLIMIT_NOFILE hard limit below %d\n", FD_SETSIZE + 16);
		metrics_server_close(&m);
		return;
	}
	rl.rlim_cur = FD_SETSIZE + 16;
	CHECK(setrlimit(RLIMIT_NOFILE, &rl) == 0);
	while (n < FD_SETSIZE && (fd = dup(0)) >= 0 && fd < FD_SETSIZE - 1)
		filler[n++] = fd;
	if (fd >= 0)
		filler[n++] = fd;
	fd = dial(port, "GET /metrics HTTP/1.0\r\n\r\n");	/* its own socket takes FD_SETSIZE */
	CHECK(fd >= FD_SETSIZE);
	pump(&m, 1);
	CHECK(used_slots(&m) == 0 && m.dropped == 1);
	CHECK(starts(answer(fd), "HTTP/1.0 503 Service Unavailable\r\n"));
	while (n)
		close(filler[--n]);
	metrics_server_close(&m);
}

/* NFS per-procedure histograms and error counters through SMB's code, and the bounded per-share counters.
 * With AOD_METRICS_SAMPLE set the text is written there for test/cli/metrics.test to give to promtool. */
static void test_nfs_and_shares(void)
{
	const char *sample = getenv("AOD_METRICS_SAMPLE");
	char label[32];
	int n;

	setup();
	s.smb.errors[9] = 2;
	s.nfs_attached = true;
	s.nfs.hist[1][17] = 3;		/* NFSPROC4_CLNT_READ: 3 in [131 ms, 262 ms) */
	s.nfs.count[1] = 3;
	s.nfs.errors[1] = 1;
	s.nfs.hist[NAMES_NFS3_BASE + 7][10] = 2;	/* NFS3PROC_WRITE */
	s.nfs.count[NAMES_NFS3_BASE + 7] = 2;
	s.nfs.hist[METRICS_NFS_ROWS - 1][0] = 1;	/* a procedure the tables do not know */
	s.nfs.count[METRICS_NFS_ROWS - 1] = 1;
	s.probes.nfs_lost = 4;
	metrics_shares_add(&s.shares, NAMES_SMB, "//127.0.0.1/share", 40);
	metrics_shares_add(&s.shares, NAMES_SMB, "//127.0.0.1/share", 2);
	metrics_shares_add(&s.shares, NAMES_NFS, "127.0.0.1:/", 5);
	metrics_shares_add(&s.shares, NAMES_SMB, "//srv/a \"b\"\\c", 1);
	for (int i = 0; i < 10; i++) {
		snprintf(label, sizeof(label), "//10.0.0.%d/data", i);
		metrics_shares_add(&s.shares, NAMES_SMB, label, 1);
	}
	metrics_shares_add(&s.shares, NAMES_NFS, NULL, 3);	/* an anomaly's shares beyond SHARES_MAX */
	n = metrics_render(&s, &cfg, buf, sizeof(buf));
	CHECK(n > 0);
	CHECK(well_formed(buf));
	CHECK(strstr(buf, "aod_smb_command_errors_total{command=\"SMB2_WRITE\"} 2\n") != NULL);
	CHECK(strstr(buf, "# TYPE aod_nfs_rpc_latency_seconds histogram\n") != NULL);
	CHECK(strstr(buf, "aod_nfs_rpc_latency_seconds_bucket{proc=\"NFSPROC4_CLNT_READ\",le=\"0.131072\"} 0\n") != NULL);
	CHECK(strstr(buf, "aod_nfs_rpc_latency_seconds_bucket{proc=\"NFSPROC4_CLNT_READ\",le=\"0.262144\"} 3\n") != NULL);
	CHECK(strstr(buf, "aod_nfs_rpc_latency_seconds_count{proc=\"NFS3PROC_WRITE\"} 2\n") != NULL);
	CHECK(strstr(buf, "aod_nfs_rpc_latency_seconds_count{proc=\"other\"} 1\n") != NULL);
	CHECK(strstr(buf, "aod_nfs_rpc_errors_total{proc=\"NFSPROC4_CLNT_READ\"} 1\n") != NULL);
	CHECK(strstr(buf, "aod_nfs_rpc_errors_total{proc=\"NFS3PROC_WRITE\"} 0\n") != NULL);
	CHECK(strstr(buf, "NFSPROC4_CLNT_WRITE") == NULL);	/* never seen: no series */
	CHECK(strstr(buf, "aod_nfs_attached 1\n") != NULL);
	CHECK(strstr(buf, "aod_probe_lost_total{family=\"nfs\",reason=\"ringbuf_or_map_full\"} 4\n") != NULL);
	CHECK(strstr(buf, "aod_share_events_total{proto=\"smb\",share=\"//127.0.0.1/share\"} 42\n") != NULL);
	CHECK(strstr(buf, "aod_share_anomalies_total{proto=\"smb\",share=\"//127.0.0.1/share\"} 2\n") != NULL);
	CHECK(strstr(buf, "aod_share_events_total{proto=\"nfs\",share=\"127.0.0.1:/\"} 5\n") != NULL);
	CHECK(strstr(buf, "share=\"//srv/a \\\"b\\\"\\\\c\"} 1\n") != NULL);	/* escaped as the format says */
	/* 8 shares have their own series (the first seen), the other 5 SMB ones and NFS's overflow are "other" */
	CHECK(strstr(buf, "share=\"//10.0.0.4/data\"} 1\n") != NULL);
	CHECK(strstr(buf, "share=\"//10.0.0.5/data\"}") == NULL);
	CHECK(strstr(buf, "aod_share_events_total{proto=\"smb\",share=\"other\"} 5\n") != NULL);
	CHECK(strstr(buf, "aod_share_events_total{proto=\"nfs\",share=\"other\"} 3\n") != NULL);
	CHECK(strstr(buf, "aod_share_anomalies_total{proto=\"nfs\",share=\"other\"} 1\n") != NULL);
	if (sample) {
		FILE *f = fopen(sample, "w");

		CHECK(f && fwrite(buf, 1, (size_t)n, f) == (size_t)n);
		if (f)
			fclose(f);
	}
}

/* Every row of both protocols in use, with counts at their widest, and every family and share: the text fits
 * the daemon's buffer. */
static void test_worst_case_fits(void)
{
	static char big[METRICS_RENDER_CAP];
	char label[SHARES_SHARE_LEN];
	int n;

	setup();
	for (unsigned r = 0; r < METRICS_OPS_ROWS; r++) {
		for (unsigned b = 0; b < METRICS_HIST_BUCKETS; b++)
			s.smb.hist[r][b] = s.nfs.hist[r][b] = UINT64_MAX / 64;
		s.smb.count[r] = s.nfs.count[r] = UINT64_MAX;
		s.smb.errors[r] = s.nfs.errors[r] = UINT64_MAX;
	}
	for (int i = 0; i < METRICS_SHARES + 2; i++) {
		memset(label, 'x', sizeof(label) - 1);
		label[sizeof(label) - 1] = 0;
		label[0] = (char)('a' + i);
		metrics_shares_add(&s.shares, NAMES_SMB, label, UINT32_MAX);
	}
	for (s.nfam = 0; s.nfam < METRICS_MAX_FAMILIES; s.nfam++) {
		snprintf(s.fam[s.nfam].name, sizeof(s.fam[0].name), "family%u", (unsigned)s.nfam % 100);
		metrics_family_method(&s.fam[s.nfam], "a_method_name_much_longer_than_thirty_one_characters");
		s.fam[s.nfam].counts = s.fam[s.nfam].has_hist = true;
		s.fam[s.nfam].events = UINT64_MAX;
		for (unsigned b = 0; b < METRICS_HIST_BUCKETS; b++)
			s.fam[s.nfam].hist[b] = UINT64_MAX / 64;
	}
	n = metrics_render(&s, &cfg, big, sizeof(big));
	CHECK(n > 0 && (size_t)n < sizeof(big));
	CHECK(n > 256 * 1024);	/* what the buffer held before NFS: too small for this */
}

int main(void)
{
	int n;

	test_worst_case_fits();
	test_nfs_and_shares();
	setup();
	n = metrics_render(&s, &cfg, buf, sizeof(buf));
	CHECK(n > 0 && (size_t)n == strlen(buf));
	CHECK(strstr(buf, "# TYPE aod_events_total counter\naod_events_total 12345\n") != NULL);
	CHECK(strstr(buf, "aod_anomalies_total{proto=\"smb\",anomaly=\"latency\"} 7\n") != NULL);
	CHECK(strstr(buf, "aod_anomalies_total{proto=\"health\",anomaly=\"oom_kill\"} 1\n") != NULL);
	CHECK(strstr(buf, "aod_bundles_total{outcome=\"written\"} 6\n") != NULL);
	CHECK(strstr(buf, "aod_bundles_total{outcome=\"coalesced\"} 2\n") != NULL);
	CHECK(strstr(buf, "aod_capture_bundles_total{outcome=\"written\"} 4\naod_capture_bundles_total{outcome=\"failed\"} 1\n"
			  "aod_capture_bundles_total{outcome=\"merged\"} 2\n") != NULL);
	CHECK(strstr(buf, "# TYPE aod_capture_start_failures_total counter\naod_capture_start_failures_total 3\n") != NULL);
	CHECK(strstr(buf, "# TYPE aod_captures_disabled_total counter\naod_captures_disabled_total 1\n") != NULL);
	CHECK(strstr(buf, "aod_probe_lost_total{family=\"smb\",reason=\"ringbuf_full\"} 3\n") != NULL);
	CHECK(strstr(buf, "aod_smb_attached 1\n") != NULL);
	/* buckets are cumulative: 0 below 128 us, 4 from the 256 us bound on, 5 from 262 ms on */
	CHECK(strstr(buf, "command=\"SMB2_WRITE\",le=\"0.000128\"} 0\n") != NULL);
	CHECK(strstr(buf, "command=\"SMB2_WRITE\",le=\"0.000256\"} 4\n") != NULL);
	CHECK(strstr(buf, "command=\"SMB2_WRITE\",le=\"0.262144\"} 5\n") != NULL);
	CHECK(strstr(buf, "command=\"SMB2_WRITE\",le=\"+Inf\"} 5\n") != NULL);
	CHECK(strstr(buf, "aod_smb_command_latency_seconds_count{command=\"SMB2_WRITE\"} 5\n") != NULL);
	CHECK(well_formed(buf));
	/* commands never seen get no series */
	CHECK(strstr(buf, "SMB2_READ") == NULL);
	/* every line is a comment or "name{labels} value" */
	for (char *l = buf; *l; l = strchr(l, '\n') + 1)
		CHECK(l[0] == '#' || (strchr(l, ' ') && strchr(l, ' ') < strchr(l, '\n')));
	/* too small a buffer is an error, never a cut exposition */
	CHECK(metrics_render(&s, &cfg, buf, 100) == -ENOSPC);
	CHECK(metrics_render(&s, &cfg, buf, 0) == -ENOSPC);
	s.smb_attached = false;
	n = metrics_render(&s, &cfg, buf, sizeof(buf));
	CHECK(n > 0 && strstr(buf, "aod_smb_attached 0\n") != NULL);
	/* listen address parsing refuses what config.c would not produce */
	CHECK(metrics_listen("nonsense") == -EINVAL);
	CHECK(metrics_listen("300.1.1.1:80") == -EINVAL);
	test_families_and_limits();
	test_request_status();
	test_stalled_clients();
	test_fd_past_setsize();
	return CHECK_DONE();
}

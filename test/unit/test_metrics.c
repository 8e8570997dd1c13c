// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for the Prometheus text rendering (counters, labels, cumulative histogram buckets, overflow)
 * and the scrape server on loopback (request checks, eviction of stalled clients, 503, fd refusal). */
#include "../../src/io.c"
#include "../../src/metrics.c"
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
	s.smb_hist[9][7] = 4;	/* SMB2_WRITE: 4 in [128, 256) us */
	s.smb_hist[9][17] = 1;	/* and one in [131 ms, 262 ms) */
	s.smb_count[9] = 5;
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

int main(void)
{
	int n;

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
	test_request_status();
	test_stalled_clients();
	test_fd_past_setsize();
	return CHECK_DONE();
}

// SPDX-License-Identifier: GPL-2.0-only
/* Event, anomaly, bundle and loss counters plus SMB latency histograms in the Prometheus text format. */
#include "metrics.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "io.h"
#include "names.h"

struct out {
	char *buf;
	size_t cap, len;
	bool full;
};

__attribute__((format(printf, 2, 3))) static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->cap - o->len)
		o->full = true;
	else
		o->len += (size_t)n;
}

static void counter(struct out *o, const char *name, const char *help, uint64_t v)
{
	put(o, "# HELP %s %s\n# TYPE %s counter\n%s %llu\n", name, help, name, name, (unsigned long long)v);
}

static void render_anomalies(struct out *o, const struct metrics_snapshot *s, const struct cfg_config *cfg)
{
	int i;

	put(o, "# HELP aod_anomalies_total Anomalies detected, by protocol and anomaly.\n"
	       "# TYPE aod_anomalies_total counter\n");
	for (i = 0; i < cfg->nanomalies; i++)
		put(o, "aod_anomalies_total{proto=\"%s\",anomaly=\"%s\"} %llu\n", cfg->anomalies[i].proto,
		    cfg->anomalies[i].name, (unsigned long long)s->anomalies[i]);
}

static void render_bundles(struct out *o, const struct metrics_snapshot *s)
{
	put(o, "# HELP aod_bundles_total Bundles by outcome: written, failed, coalesced into a running one, "
	       "refused at max_concurrent_bundles.\n# TYPE aod_bundles_total counter\n");
	put(o, "aod_bundles_total{outcome=\"written\"} %llu\n", (unsigned long long)s->bundles.bundles_written);
	put(o, "aod_bundles_total{outcome=\"failed\"} %llu\n", (unsigned long long)s->bundles.bundles_failed);
	put(o, "aod_bundles_total{outcome=\"coalesced\"} %llu\n", (unsigned long long)s->bundles.coalesced);
	put(o, "aod_bundles_total{outcome=\"refused\"} %llu\n", (unsigned long long)s->bundles.refused_busy);
}

static void render_losses(struct out *o, const struct metrics_snapshot *s)
{
	const struct collect_probe_info *p = &s->probes;

	put(o, "# HELP aod_probe_lost_total Events the probes could not deliver, by family and reason.\n"
	       "# TYPE aod_probe_lost_total counter\n");
	put(o, "aod_probe_lost_total{family=\"smb\",reason=\"ringbuf_full\"} %llu\n",
	    (unsigned long long)p->ringbuf_full);
	put(o, "aod_probe_lost_total{family=\"smb\",reason=\"map_full\"} %llu\n", (unsigned long long)p->map_full);
	put(o, "aod_probe_lost_total{family=\"health\",reason=\"ringbuf_or_map_full\"} %llu\n",
	    (unsigned long long)p->health_lost);
	put(o, "aod_probe_lost_total{family=\"kmsg\",reason=\"overwritten\"} %llu\n",
	    (unsigned long long)p->kmsg_lost);
	/* Not a loss: compound requests whose first part failed never complete (seen on 6.1). */
	counter(o, "aod_smb_pending_expired_total",
		"SMB requests that never completed and were aged out of the pending map.", p->expired);
}

/* Bucket i of the BPF histogram holds [2^i, 2^(i+1)) us: its upper bound in seconds is 2^(i+1) / 1e6. */
static void render_smb_hist(struct out *o, const struct metrics_snapshot *s)
{
	uint64_t cum;
	unsigned c, b;

	put(o, "# HELP aod_smb_command_latency_seconds Latency of every SMB2 command of the kernel client, "
	       "from the in-kernel log2 histograms.\n# TYPE aod_smb_command_latency_seconds histogram\n");
	for (c = 0; c < CFG_SMB2_NCMD; c++) {
		if (!s->smb_count[c])
			continue;
		cum = 0;
		for (b = 0; b < METRICS_HIST_BUCKETS; b++) {
			cum += s->smb_hist[c][b];
			put(o, "aod_smb_command_latency_seconds_bucket{command=\"%s\",le=\"%g\"} %llu\n",
			    names_smb2_cmd_name(c), (double)(2ull << b) / 1e6, (unsigned long long)cum);
		}
		put(o, "aod_smb_command_latency_seconds_bucket{command=\"%s\",le=\"+Inf\"} %llu\n",
		    names_smb2_cmd_name(c), (unsigned long long)s->smb_count[c]);
		put(o, "aod_smb_command_latency_seconds_count{command=\"%s\"} %llu\n", names_smb2_cmd_name(c),
		    (unsigned long long)s->smb_count[c]);
	}
}

int metrics_render(const struct metrics_snapshot *s, const struct cfg_config *cfg, char *buf, size_t cap)
{
	struct out o = { .buf = buf, .cap = cap };

	if (!cap)
		return -ENOSPC;
	buf[0] = 0;
	counter(&o, "aod_events_total", "Decoded events seen (SMB, health, kmsg).", s->events_total);
	render_anomalies(&o, s, cfg);
	render_bundles(&o, s);
	put(&o, "# HELP aod_capture_bundles_total Capture bundles (tcpdump, trace-cmd) written, failed, and triggers "
		"merged into a cut already queued.\n# TYPE aod_capture_bundles_total counter\n"
		"aod_capture_bundles_total{outcome=\"written\"} %llu\naod_capture_bundles_total{outcome=\"failed\"} %llu\n"
		"aod_capture_bundles_total{outcome=\"merged\"} %llu\n", (unsigned long long)s->captures.written,
	    (unsigned long long)s->captures.failed, (unsigned long long)s->captures.merged);
	counter(&o, "aod_capture_start_failures_total", "Capture starts that failed (3 in a row disable it).",
		s->captures.spawn_failures);
	counter(&o, "aod_captures_disabled_total", "Captures disabled after 3 failed starts in a row.",
		s->captures.disabled);
	render_losses(&o, s);
	put(&o, "# HELP aod_smb_attached Whether the SMB probes are attached (0: waiting for cifs).\n"
			"# TYPE aod_smb_attached gauge\naod_smb_attached %d\n", s->smb_attached ? 1 : 0);
	put(&o, "# HELP aod_arena_bytes The fixed arena: reserved size and high-water mark.\n"
		"# TYPE aod_arena_bytes gauge\naod_arena_bytes{kind=\"size\"} %llu\naod_arena_bytes{kind=\"used\"} %llu\n",
	    (unsigned long long)s->arena_size, (unsigned long long)s->arena_used);
	counter(&o, "aod_arena_failures_total", "Allocations the arena refused (raise memory.arena_kb).",
		s->arena_failures);
	render_smb_hist(&o, s);
	return o.full ? -ENOSPC : (int)o.len;
}

int metrics_listen(const char *addr)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	char host[64];
	const char *colon = strrchr(addr, ':');
	unsigned long port;
	int fd, one = 1;

	memset(&ss, 0, sizeof(ss));
	if (!colon || (size_t)(colon - addr) >= sizeof(host))
		return -EINVAL;
	port = strtoul(colon + 1, NULL, 10);
	memcpy(host, addr, (size_t)(colon - addr));
	host[colon - addr] = 0;
	if (host[0] == '[') {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		host[strlen(host) - 1] = 0;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		if (inet_pton(AF_INET6, host + 1, &s6->sin6_addr) != 1)
			return -EINVAL;
		sl = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		if (inet_pton(AF_INET, host, &s4->sin_addr) != 1)
			return -EINVAL;
		sl = sizeof(*s4);
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (fd >= FD_SETSIZE) {
		close(fd);
		return -EMFILE;	/* the loop's select() could not watch it */
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* Room for a burst of stalled clients in the queue, so a scraper's SYN is not dropped behind them
	 * (a dropped SYN costs it a 1 s retransmit); the loop drains the queue on every pass. */
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0 || listen(fd, 128) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

void metrics_server_init(struct metrics_server *m, int listen_fd)
{
	int i;

	memset(m, 0, sizeof(*m));
	m->listen_fd = listen_fd;
	for (i = 0; i < METRICS_MAX_CONNS; i++)
		m->conn[i].fd = -1;
}

void metrics_server_fill(struct metrics_server *m, fd_set *rd, int *maxfd, uint64_t *deadline_ns)
{
	int i, fd;

	for (i = -1; i < METRICS_MAX_CONNS; i++) {
		fd = i < 0 ? m->listen_fd : m->conn[i].fd;
		if (fd < 0)
			continue;
		FD_SET(fd, rd);
		if (fd > *maxfd)
			*maxfd = fd;
		if (i >= 0 && m->conn[i].deadline_ns < *deadline_ns)
			*deadline_ns = m->conn[i].deadline_ns;
	}
}

static void conn_close(struct metrics_server *m, int i)
{
	close(m->conn[i].fd);
	m->conn[i].fd = -1;
	m->conn[i].got = 0;
}

/* "GET /metrics HTTP/1.1\r\n...": the method, a path up to '?' or ' ', the version, then the line's end. */
int metrics_request_status(const char *req)
{
	const char *path = req + 4, *ver;
	size_t plen;

	if (strncmp(req, "GET /", 5))
		return 400;
	plen = strcspn(path, " \r\n");
	if (path[plen] != ' ')
		return 400;
	ver = path + plen + 1;
	if (strncmp(ver, "HTTP/1.", 7) || ver[7] < '0' || ver[7] > '9' ||
	    !(ver[8] == '\n' || (ver[8] == '\r' && ver[9] == '\n')))
		return 400;
	if (strcspn(path, "? ") != 8 || strncmp(path, "/metrics", 8))
		return 404;
	return 200;
}

static const char *status_text(int status)
{
	switch (status) {
	case 200: return "200 OK";
	case 400: return "400 Bad Request";
	case 404: return "404 Not Found";
	case 503: return "503 Service Unavailable";
	default: return "500 Internal Server Error";
	}
}

/* A fresh socket's send buffer takes a scrape of this size at once; a short write loses the reply.
 * A render failure (len < 0) turns a 200 into a 500. */
static bool send_reply(int fd, int status, const char *text, int len)
{
	char hdr[192];
	int n;

	if (status == 200 && len < 0)
		status = 500;
	if (status != 200)
		len = 0;
	n = snprintf(hdr, sizeof(hdr), "HTTP/1.0 %s\r\n%sContent-Length: %d\r\nConnection: close\r\n\r\n",
		     status_text(status), status == 200 ? "Content-Type: text/plain; version=0.0.4\r\n" : "", len);
	return write(fd, hdr, (size_t)n) == n && (!len || write(fd, text, (size_t)len) == len);
}

/* A free slot, else the oldest connection's once it is METRICS_EVICT_AGE_NS old: every occupied slot is a
 * request not yet complete (complete ones are answered and closed in the same pass). -1 when all are young. */
static int take_slot(struct metrics_server *m, uint64_t now_ns)
{
	int i, old = 0;

	for (i = 0; i < METRICS_MAX_CONNS; i++) {
		if (m->conn[i].fd < 0)
			return i;
		if (m->conn[i].accepted_ns < m->conn[old].accepted_ns)
			old = i;
	}
	if (m->conn[old].accepted_ns + METRICS_EVICT_AGE_NS > now_ns)
		return -1;
	m->dropped++;
	conn_close(m, old);
	return old;
}

static void accept_new(struct metrics_server *m, uint64_t now_ns)
{
	int i, fd;

	while ((fd = accept4(m->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		/* select() cannot watch an fd at or past FD_SETSIZE: refuse it rather than FD_SET past the set. */
		i = fd < FD_SETSIZE ? take_slot(m, now_ns) : -1;
		if (i < 0) {
			send_reply(fd, 503, NULL, 0);
			close(fd);
			m->dropped++;
			continue;
		}
		m->conn[i].fd = fd;
		m->conn[i].got = 0;
		m->conn[i].accepted_ns = now_ns;
		m->conn[i].deadline_ns = now_ns + METRICS_CONN_TIMEOUT_NS;
	}
}

/* One reply, then close, as HTTP/1.0 without keep-alive: of pipelined requests only the first is answered
 * and the scraper reconnects for the next. */
static void reply(struct metrics_server *m, int i, metrics_render_fn render, void *ctx, const char *const *text)
{
	int fd = m->conn[i].fd, status = metrics_request_status(m->conn[i].req);
	int len = status == 200 ? render(ctx) : 0;

	if (send_reply(fd, status, *text, len) && status == 200 && len > 0)
		m->served++;
	else
		m->dropped++;
	shutdown(fd, SHUT_WR);
	conn_close(m, i);
}

/* Read what is ready; answer at the end of the request headers, at EOF, or when the buffer is full. */
static void conn_read(struct metrics_server *m, int i, metrics_render_fn render, void *ctx,
		      const char *const *text)
{
	ssize_t r;

	r = read(m->conn[i].fd, m->conn[i].req + m->conn[i].got, sizeof(m->conn[i].req) - 1 - m->conn[i].got);
	if (r > 0)
		m->conn[i].got += (size_t)r;
	m->conn[i].req[m->conn[i].got] = 0;
	if (r == 0 || strstr(m->conn[i].req, "\r\n\r\n") || strstr(m->conn[i].req, "\n\n") ||
	    m->conn[i].got == sizeof(m->conn[i].req) - 1)
		reply(m, i, render, ctx, text);
	else if (r < 0 && errno != EAGAIN && errno != EINTR)
		conn_close(m, i);
}

void metrics_server_poll(struct metrics_server *m, const fd_set *rd, uint64_t now_ns, metrics_render_fn render,
			 void *ctx, const char *const *text)
{
	int i;

	if (m->listen_fd >= 0 && FD_ISSET(m->listen_fd, rd))
		accept_new(m, now_ns);
	for (i = 0; i < METRICS_MAX_CONNS; i++) {
		if (m->conn[i].fd >= 0 && FD_ISSET(m->conn[i].fd, rd))
			conn_read(m, i, render, ctx, text);
		if (m->conn[i].fd >= 0 && now_ns >= m->conn[i].deadline_ns) {
			m->dropped++;
			conn_close(m, i);
		}
	}
}

void metrics_server_close(struct metrics_server *m)
{
	int i;

	for (i = 0; i < METRICS_MAX_CONNS; i++)
		if (m->conn[i].fd >= 0)
			conn_close(m, i);
	if (m->listen_fd >= 0)
		close(m->listen_fd);
	m->listen_fd = -1;
}

int metrics_write_textfile(const char *path, const char *text, size_t len)
{
	char part[PATH_MAX];
	int fd, err;

	if (snprintf(part, sizeof(part), "%s.part", path) >= (int)sizeof(part))
		return -ENAMETOOLONG;
	fd = open(part, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	err = io_write_all(fd, text, len);
	if (err)
		close(fd);
	else
		err = io_seal_part(fd, AT_FDCWD, part, path);
	if (err)
		unlink(part);
	return err;
}

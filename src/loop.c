// SPDX-License-Identifier: GPL-2.0-only
/* The daemon's one select() loop: signals, interval timers, ring buffers and action children. */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/select.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "capture.h"
#include "clock.h"
#include "conn_source.h"
#include "daemon.h"
#include "log.h"
#include "health_source.h"
#include "kmsg.h"
#include "metrics.h"
#include "nfs_source.h"
#include "smb_source.h"
#include "upload.h"

#define SHUTDOWN_GRACE_NS (10ull * 1000000000ull)

/* FD_SET on an fd >= FD_SETSIZE writes past the set on the stack: refuse it, say so once. */
static void add_fd(int fd, fd_set *rd, int *maxfd)
{
	static bool said;

	if (fd < 0)
		return;
	if (fd >= FD_SETSIZE) {
		if (!said)
			log_error("unable to watch fd %d: select() takes fds below %d; "
				  "lower the fds aod inherits or its open-file count", fd, FD_SETSIZE);
		said = true;
		return;
	}
	FD_SET(fd, rd);
	if (fd > *maxfd)
		*maxfd = fd;
}

/* A timerfd read returns how many periods passed; a missed tick is one late window, not many. */
static int timer_fired(int fd, const fd_set *rd)
{
	uint64_t n;

	if (fd < 0 || !FD_ISSET(fd, rd))
		return 0;
	return read(fd, &n, sizeof(n)) == (ssize_t)sizeof(n);
}

static void handle_signals(struct daemon *d, uint64_t now)
{
	struct signalfd_siginfo si;

	while (read(d->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGTERM:
		case SIGINT:
			if (!d->stopping)
				log_info("%s: writing the shutdown bundle, then exiting", strsignal((int)si.ssi_signo));
			d->stopping = true;
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
		case SIGCHLD:
			/* collect_poll and capture_poll reap with WNOHANG on every pass. */
			break;
		}
	}
}

static struct timeval *select_timeout(uint64_t deadline, uint64_t now, struct timeval *tv)
{
	uint64_t wait;

	if (deadline == UINT64_MAX)
		return NULL;
	wait = deadline > now ? deadline - now : 0;
	tv->tv_sec = (time_t)(wait / 1000000000ull);
	tv->tv_usec = (suseconds_t)((wait % 1000000000ull) / 1000);
	return tv;
}

static void loop_pass(struct daemon *d, const fd_set *rd, uint64_t now)
{
	int smb_fd = d->smb ? smb_source_fd(d->smb) : -1;
	int nfs_fd = d->nfs ? nfs_source_fd(d->nfs) : -1;
	int health_fd = d->health ? health_source_fd(d->health) : -1;

	if (FD_ISSET(d->sigfd, rd))
		handle_signals(d, now);
	if (smb_fd >= 0 && FD_ISSET(smb_fd, rd) && smb_source_consume(d->smb) < 0)
		log_warn("smb: ring buffer read failed; will re-check the probes on the cleanup tick");
	if (nfs_fd >= 0 && FD_ISSET(nfs_fd, rd) && nfs_source_consume(d->nfs) < 0)
		log_warn("nfs: ring buffer read failed; will re-check the probes on the cleanup tick");
	if (health_fd >= 0 && FD_ISSET(health_fd, rd) && health_source_consume(d->health) < 0)
		log_warn("health: ring buffer read failed");
	if (d->kmsg && FD_ISSET(d->kmsg->fd, rd))
		daemon_read_kmsg(d);
	if (d->conn && conn_source_fd(d->conn) >= 0 && FD_ISSET(conn_source_fd(d->conn), rd))
		daemon_read_conn(d, now, false);
	if (timer_fired(d->watch_tfd, rd)) {
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
		fleet_watch_tick(d);
	}
	if (timer_fired(d->cleanup_tfd, rd))
		daemon_cleanup_tick(d, now);
	metrics_server_poll(&d->metrics, rd, now, daemon_metrics_render, d, (const char *const *)&d->metrics_buf);
	collect_poll(d->collect, rd, now);
	capture_poll(d->capture, rd, now);
	if (d->upload)
		upload_poll(d->upload, rd, now);
}

int loop_run(struct daemon *d)
{
	fd_set rd;
	struct timeval tv;
	uint64_t now, deadline;
	int maxfd, n;

	while (!d->stopping) {
		FD_ZERO(&rd);
		maxfd = -1;
		deadline = UINT64_MAX;
		add_fd(d->sigfd, &rd, &maxfd);
		add_fd(d->watch_tfd, &rd, &maxfd);
		add_fd(d->cleanup_tfd, &rd, &maxfd);
		add_fd(d->smb ? smb_source_fd(d->smb) : -1, &rd, &maxfd);
		add_fd(d->nfs ? nfs_source_fd(d->nfs) : -1, &rd, &maxfd);
		add_fd(d->health ? health_source_fd(d->health) : -1, &rd, &maxfd);
		add_fd(d->kmsg ? d->kmsg->fd : -1, &rd, &maxfd);
		add_fd(d->conn ? conn_source_fd(d->conn) : -1, &rd, &maxfd);
		metrics_server_fill(&d->metrics, &rd, &maxfd, &deadline);
		collect_fill_fds(d->collect, &rd, &maxfd, &deadline);
		capture_fill_fds(d->capture, &rd, &maxfd, &deadline);
		if (d->upload)
			upload_fill(d->upload, &rd, &maxfd, &deadline, mono_ns());
		now = mono_ns();
		n = select(maxfd + 1, &rd, NULL, NULL, select_timeout(deadline, now, &tv));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_error("unable to wait in select: %s", strerror(errno));
			return 1;
		}
		if (n == 0)
			FD_ZERO(&rd);
		loop_pass(d, &rd, mono_ns());
	}
	daemon_system_bundle(d, "shutdown", mono_ns());
	collect_drain(d->collect, SHUTDOWN_GRACE_NS);
	capture_drain(d->capture, CAPTURE_DRAIN_NS);
	fleet_stop(d);
	log_info("stopped");
	return 0;
}

// SPDX-License-Identifier: GPL-2.0-only
/* /dev/kmsg read without blocking, parsed, matched against built-in and user patterns. */
#include "kmsg.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const builtin_names[KMSG_NBUILTIN] = {
	"soft lockup", "hung task", "out of memory", "I/O error", "CIFS server not responding",
};

int kmsg_matcher_add(struct kmsg_matcher *m, const char *pattern)
{
	size_t n = strlen(pattern);

	if (!n)
		return -EINVAL;
	if (n >= KMSG_PATTERN_MAX)
		return -ENAMETOOLONG;
	if (m->nuser >= KMSG_MAX_USER)
		return -ENOSPC;
	memcpy(m->user[m->nuser++], pattern, n + 1);
	return 0;
}

static bool builtin_match(int i, const char *t)
{
	switch (i) {
	case KMSG_SOFT_LOCKUP:
		return strstr(t, "soft lockup");
	case KMSG_HUNG_TASK:
		return strstr(t, "hung_task") || strstr(t, "blocked for more than");
	case KMSG_OOM:
		/* "Out of memory: Killed process" and "Memory cgroup out of memory: ..." */
		return strstr(t, "Out of memory") || strstr(t, "out of memory");
	case KMSG_IO_ERROR:
		return strstr(t, "I/O error");
	case KMSG_CIFS_TIMEOUT:
		/* cifs_server_dbg prefixes "CIFS: VFS: \\server "; kernels before 5.5 said "CIFS VFS:" */
		return (strstr(t, "CIFS: VFS:") || strstr(t, "CIFS VFS:")) && strstr(t, "has not responded");
	}
	return false;
}

int kmsg_match(const struct kmsg_matcher *m, const char *text)
{
	int i;

	for (i = 0; i < KMSG_NBUILTIN; i++)
		if (builtin_match(i, text))
			return i;
	for (i = 0; m && i < m->nuser; i++)
		if (strstr(text, m->user[i]))
			return KMSG_NBUILTIN + i;
	return -1;
}

const char *kmsg_pattern_name(const struct kmsg_matcher *m, int idx)
{
	if (idx >= 0 && idx < KMSG_NBUILTIN)
		return builtin_names[idx];
	if (m && idx >= KMSG_NBUILTIN && idx - KMSG_NBUILTIN < m->nuser && idx - KMSG_NBUILTIN < KMSG_MAX_USER)
		return m->user[idx - KMSG_NBUILTIN];
	return "?";
}

void kmsg_to_event(const struct kmsg_record *r, int pattern, struct aod_ev_kmsg *ev)
{
	size_t n = r->len < sizeof(ev->text) - 1 ? r->len : sizeof(ev->text) - 1;

	memset(ev, 0, sizeof(*ev));
	ev->h.kind = AOD_EV_KMSG;
	ev->h.size = sizeof(*ev);
	ev->h.ts_ns = r->usec * 1000;
	memcpy(ev->h.comm, "kernel", 7);
	ev->seq = r->seq;
	ev->pattern = (__u16)pattern;
	ev->level = (__u8)r->level;
	ev->facility = (__u8)r->facility;
	memcpy(ev->text, r->text, n);
}

int kmsg_open(struct kmsg_reader *r)
{
	r->fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (r->fd < 0)
		return -errno;
	/* SEEK_END: the next read returns the first record logged after now */
	if (lseek(r->fd, 0, SEEK_END) < 0) {
		int err = -errno;

		close(r->fd);
		r->fd = -1;
		return err;
	}
	r->have_seq = false;
	return 0;
}

static void note_seq(struct kmsg_reader *r)
{
	if (r->have_seq && r->rec.seq > r->next_seq)
		r->lost += r->rec.seq - r->next_seq;
	r->next_seq = r->rec.seq + 1;
	r->have_seq = true;
	r->records++;
}

int kmsg_read(struct kmsg_reader *r, kmsg_event_fn cb, void *ctx)
{
	struct aod_ev_kmsg ev;
	int matches = 0, idx;
	ssize_t n;

	if (r->fd < 0)
		return -EBADF;
	for (;;) {
		n = read(r->fd, r->buf, sizeof(r->buf) - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EPIPE) {	/* our position was overwritten; the next read resyncs */
				r->lost++;
				continue;
			}
			return errno == EAGAIN ? matches : -errno;
		}
		if (n == 0)
			return matches;
		if (kmsg_parse(r->buf, (size_t)n, &r->rec))
			continue;
		note_seq(r);
		idx = kmsg_match(&r->m, r->rec.text);
		if (idx < 0)
			continue;
		matches++;
		kmsg_to_event(&r->rec, idx, &ev);
		if (cb && cb(ctx, &ev))
			break;
	}
	return matches;
}

void kmsg_close(struct kmsg_reader *r)
{
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
}

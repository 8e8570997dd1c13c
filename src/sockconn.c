// SPDX-License-Identifier: GPL-2.0-only
/* sockconn's /proc fallback: parse /proc/net/tcp{,6} for connections to the watched ports and diff snapshots. */
#include "sockconn.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "io.h"

#define TCP_ESTABLISHED 1
#define TCP_CLOSE 7

/* n 32-bit words as /proc prints them (%08X of each word as it sits in memory) into out. */
static const char *parse_addr(const char *p, int words, uint8_t *out)
{
	for (int i = 0; i < words; i++) {
		char hex[9], *end;
		uint32_t w;

		memcpy(hex, p, 8);
		hex[8] = 0;
		w = (uint32_t)strtoul(hex, &end, 16);
		if (end != hex + 8)
			return NULL;
		memcpy(out + 4 * i, &w, 4);
		p += 8;
	}
	return p;
}

/* "ADDR:PORT" at *p; advances past it. */
static int parse_endpoint(const char **p, int words, uint8_t *addr, uint16_t *port)
{
	const char *q = *p;
	char *end;
	unsigned long v;

	while (*q == ' ')
		q++;
	if (strnlen(q, (size_t)words * 8 + 1) < (size_t)words * 8 + 1 || !(q = parse_addr(q, words, addr)) || *q != ':')
		return -EINVAL;
	v = strtoul(q + 1, &end, 16);
	if (end == q + 1 || v > 0xffff)
		return -EINVAL;
	*port = (uint16_t)v;
	*p = end;
	return 0;
}

int sockconn_parse_line(const char *line, int family, const uint16_t ports[NAMES_NPROTO], struct sockconn_conn *out)
{
	int words = family == AF_INET6 ? 4 : 1;
	const char *p = line;
	char *end;
	unsigned long st;

	while (*p == ' ')
		p++;
	if (!strncmp(p, "sl ", 3))
		return 0;	/* the header */
	strtoul(p, &end, 10);
	if (end == p || *end != ':')
		return -EINVAL;
	p = end + 1;
	memset(out, 0, sizeof(*out));
	if (parse_endpoint(&p, words, out->saddr, &out->sport) || parse_endpoint(&p, words, out->daddr, &out->dport))
		return -EINVAL;
	st = strtoul(p, &end, 16);
	if (end == p || st > 0xff)
		return -EINVAL;
	out->state = (uint8_t)st;
	out->family = (uint16_t)family;
	for (int i = 0; i < NAMES_NPROTO; i++)
		if (ports[i] && out->dport == ports[i]) {
			out->proto = (uint8_t)i;
			return 1;
		}
	return 0;
}

int sockconn_parse(struct sockconn_set *set, const char *text, size_t len, int family)
{
	const char *p = text, *e = text + len;
	char line[256];
	int added = 0;

	while (p < e) {
		const char *nl = memchr(p, '\n', (size_t)(e - p));
		size_t n = (size_t)((nl ? nl : e) - p);

		if (n < sizeof(line)) {
			memcpy(line, p, n);
			line[n] = 0;
			if (sockconn_parse_line(line, family, set->ports, &set->c[set->n < SOCKCONN_MAX ? set->n : 0]) == 1) {
				if (set->n < SOCKCONN_MAX)
					set->n++, added++;
				else
					set->overflow++;
			}
		}
		p += n + 1;
	}
	return added;
}

static bool same_conn(const struct sockconn_conn *a, const struct sockconn_conn *b)
{
	return !memcmp(&a->ends, &b->ends, sizeof(a->ends));	/* no padding in it (bpf/events.h) */
}

/* c's state in set, TCP_CLOSE when the set does not list it. */
static uint8_t state_in(const struct sockconn_set *set, const struct sockconn_conn *c)
{
	for (int i = 0; i < set->n; i++)
		if (same_conn(&set->c[i], c))
			return set->c[i].state;
	return TCP_CLOSE;
}

static void sc_emit(const struct sockconn_conn *c, uint8_t old, uint8_t new, uint64_t ts_ns, sockconn_fn fn, void *ctx)
{
	struct aod_ev_sockconn ev;

	memset(&ev, 0, sizeof(ev));
	ev.h.kind = AOD_EV_SOCKCONN;
	ev.h.size = sizeof(ev);
	ev.h.ts_ns = ts_ns;
	ev.ends = c->ends;
	ev.oldstate = old;
	ev.newstate = new;
	ev.proto = c->proto;
	ev.method = AOD_SOCKCONN_M_PROC;
	fn(ctx, &ev);
}

int sockconn_diff(const struct sockconn_set *prev, const struct sockconn_set *cur, uint64_t ts_ns, sockconn_fn fn,
		  void *ctx)
{
	int n = 0;

	for (int i = 0; i < cur->n; i++) {
		const struct sockconn_conn *c = &cur->c[i];
		uint8_t old;

		if (c->state == TCP_ESTABLISHED && (old = state_in(prev, c)) != TCP_ESTABLISHED)
			sc_emit(c, old, TCP_ESTABLISHED, ts_ns, fn, ctx), n++;
	}
	for (int i = 0; i < prev->n; i++) {
		const struct sockconn_conn *c = &prev->c[i];
		uint8_t now;

		if (c->state == TCP_ESTABLISHED && (now = state_in(cur, c)) != TCP_ESTABLISHED)
			sc_emit(c, TCP_ESTABLISHED, now, ts_ns, fn, ctx), n++;
	}
	return n;
}

void sockconn_src_init(struct sockconn_src *s, const char *root, const uint16_t ports[NAMES_NPROTO])
{
	memset(s, 0, sizeof(*s));
	s->root = root ? root : "/proc/net";
	for (int i = 0; i < 2; i++)
		memcpy(s->sets[i].ports, ports, sizeof(s->sets[i].ports));
}

/*
 * One file into set, a buffer at a time: only whole lines are parsed, the rest moves to the front.
 * A line longer than the buffer cannot be a connection line (they are 150 bytes); it is skipped.
 */
static int read_file(struct sockconn_src *s, struct sockconn_set *set, const char *name, int family)
{
	char path[256];
	size_t have = 0;
	int fd, err = 0;

	snprintf(path, sizeof(path), "%s/%s", s->root, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT && family == AF_INET6 ? 0 : -errno;	/* a kernel without IPv6 */
	for (;;) {
		ssize_t r = io_read(fd, s->buf + have, sizeof(s->buf) - have);
		char *last;

		if (r < 0) {
			err = (int)r;
			break;
		}
		have += (size_t)r;
		last = r ? memrchr(s->buf, '\n', have) : s->buf + have - 1;
		if (!r && !have)
			break;
		if (!last) {
			if (have == sizeof(s->buf))
				have = 0;	/* one overlong line: dropped */
			continue;
		}
		sockconn_parse(set, s->buf, (size_t)(last - s->buf) + 1, family);
		memmove(s->buf, last + 1, have - (size_t)(last - s->buf) - 1);
		have -= (size_t)(last - s->buf) + 1;
		if (!r)
			break;
	}
	close(fd);
	return err;
}

int sockconn_poll(struct sockconn_src *s, uint64_t now_ns, sockconn_fn fn, void *ctx)
{
	struct sockconn_set *prev = &s->sets[s->cur], *cur = &s->sets[!s->cur];
	int err, n = 0;

	cur->n = 0;
	if ((err = read_file(s, cur, "tcp", AF_INET)) < 0 || (err = read_file(s, cur, "tcp6", AF_INET6)) < 0)
		return err;
	if (s->primed)
		n = sockconn_diff(prev, cur, now_ns, fn, ctx);
	s->primed = true;
	s->cur = !s->cur;
	return n;
}

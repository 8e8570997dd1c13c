/* SPDX-License-Identifier: GPL-2.0-only */
/* sockconn's /proc fallback: snapshots of /proc/net/tcp{,6} for the watched ports, diffed each watch interval. */
#ifndef AOD_SOCKCONN_H
#define AOD_SOCKCONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>

#include "../bpf/events.h"
#include "names.h"

/* The ports of the kernel's servers: a connection is watched when its remote port is one of them. */
#define SOCKCONN_SMB_PORT 445
#define SOCKCONN_NFS_PORT 2049
/* Connections kept per snapshot; more are counted in sockconn_src.overflow, not diffed. */
#define SOCKCONN_MAX 256
#define SOCKCONN_BUF 16384

struct sockconn_conn {
	AOD_CONN_ENDS;		/* as the record carries them (bpf/events.h) */
	uint8_t state;		/* include/net/tcp_states.h */
	uint8_t proto;		/* enum names_proto */
};

/* ports[p]: the remote port of protocol p's servers, 0 for a protocol not watched. */
struct sockconn_set {
	uint16_t ports[NAMES_NPROTO];
	struct sockconn_conn c[SOCKCONN_MAX];
	int n;
	uint64_t overflow;	/* watched connections beyond SOCKCONN_MAX */
};

/*
 * One line of /proc/net/tcp (family AF_INET) or tcp6 (AF_INET6) into *out. Returns 1 when it is
 * a connection to a watched port, 0 when not (the header line, other ports), -EINVAL when it is
 * not a connection line at all.
 */
int sockconn_parse_line(const char *line, int family, const uint16_t ports[NAMES_NPROTO], struct sockconn_conn *out);
/* Every line of text (len bytes) added to set; returns how many were added. */
int sockconn_parse(struct sockconn_set *set, const char *text, size_t len, int family);

typedef void (*sockconn_fn)(void *ctx, const struct aod_ev_sockconn *ev);
/*
 * The changes of the established set from prev to cur, one record each, in cur's order then prev's:
 * a connection ESTABLISHED in cur but not in prev (its old state from prev, CLOSE when prev does not
 * list it), and one ESTABLISHED in prev but not in cur (its new state from cur, or CLOSE). Returns
 * how many records were emitted.
 */
int sockconn_diff(const struct sockconn_set *prev, const struct sockconn_set *cur, uint64_t ts_ns, sockconn_fn fn,
		  void *ctx);

/* The fallback source: two snapshots and a read buffer, from the caller's arena. */
struct sockconn_src {
	struct sockconn_set sets[2];
	int cur;
	bool primed;		/* the first snapshot is a baseline, not a change */
	char buf[SOCKCONN_BUF];
	const char *root;	/* "/proc/net" (tests point it elsewhere) */
};

void sockconn_src_init(struct sockconn_src *s, const char *root, const uint16_t ports[NAMES_NPROTO]);
/* Read a new snapshot and emit what changed since the last one; returns the records emitted or -errno. */
int sockconn_poll(struct sockconn_src *s, uint64_t now_ns, sockconn_fn fn, void *ctx);

#endif /* AOD_SOCKCONN_H */

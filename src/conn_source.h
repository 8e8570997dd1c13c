/* SPDX-License-Identifier: GPL-2.0-only */
/* sockconn's event source: sock:inet_sock_set_state filtered by remote port in the kernel, else /proc/net/tcp{,6} diffs. */
#ifndef AOD_CONN_SOURCE_H
#define AOD_CONN_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>

#include "../bpf/events.h"
#include "arena.h"
#include "names.h"

#define CONN_METHOD_MAX 256

/* Every record (struct aod_ev_sockconn) as the ring buffer hands it: the daemon's ring buffer callback. */
typedef int (*conn_event_fn)(void *ctx, void *data, size_t size);

struct conn_source;

/*
 * Not a health family row: its anomalies are smb.sockconn and nfs.sockconn, and its records
 * carry the protocol. ports[p] is protocol p's server port (0: not watched). Methods, best
 * first: tp_btf, raw_tp (each through the kernel-run loader, then libbpf's), then the
 * /proc/net/tcp{,6} snapshot of each watch interval (conn_source_tick), which sees only
 * aod's network namespace. AOD_HEALTH_AVOID names methods to skip, as for the health probes.
 */
int conn_source_open(struct conn_source **out, struct arena *a, const uint16_t ports[NAMES_NPROTO],
		     conn_event_fn cb, void *ctx);
/* The ring buffer's epoll fd, -1 under the /proc fallback. */
int conn_source_fd(const struct conn_source *s);
int conn_source_consume(struct conn_source *s);
/* Each watch interval, before the window closes: the /proc fallback's snapshot and diff. */
int conn_source_tick(struct conn_source *s, uint64_t now_ns);
/* "tp_btf sock:inet_sock_set_state", or the fallback with why the BPF methods failed. */
const char *conn_source_method(const struct conn_source *s);
/* Records lost because the ring buffer was full. */
uint64_t conn_source_lost(const struct conn_source *s);
void conn_source_close(struct conn_source *s);
/*
 * aod probes: the method aod run would use for ports 445 and 2049, found by opening the source
 * and closing it. method: "tp_btf", "raw_tp" or "proc"; why: the whole method line.
 */
int conn_source_probe(char *method, size_t mlen, char *why, size_t wlen);

#endif /* AOD_CONN_SOURCE_H */

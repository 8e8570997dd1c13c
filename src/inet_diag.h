/* SPDX-License-Identifier: GPL-2.0-only */
/* TCP state of connections from netlink INET_DIAG (sock_diag), so no `ss` is run: requests, replies, one query. */
#ifndef AOD_INET_DIAG_H
#define AOD_INET_DIAG_H

#include <stddef.h>
#include <stdint.h>

struct idiag_conn {
	uint8_t family;		/* AF_INET, AF_INET6 */
	uint8_t state;		/* include/net/tcp_states.h */
	uint16_t sport, dport;	/* host order */
	uint8_t saddr[16], daddr[16];	/* network order, IPv4 in the first 4 bytes */
	uint32_t srtt_us, rttvar_us;
	uint32_t retransmits;	/* of the segment in flight (tcpi_retransmits) */
	uint32_t total_retrans;
	uint32_t unacked, lost, cwnd;
	uint32_t inode, uid;
	int has_info;		/* 0 when the kernel sent no tcp_info (a socket going away) */
};

typedef void (*idiag_fn)(void *ctx, const struct idiag_conn *c);

/* A dump request for TCP sockets of family in every state but LISTEN, with tcp_info; returns its length. */
size_t idiag_build_req(void *buf, size_t cap, int family, uint32_t seq);
/*
 * One recv()'s worth of replies: each socket whose remote port is in ports[0..nports) goes to fn.
 * Returns 1 at NLMSG_DONE, 0 when more is to come, -errno for an NLMSG_ERROR or a malformed reply.
 */
int idiag_parse(const void *buf, size_t len, uint32_t seq, const uint16_t *ports, int nports, idiag_fn fn, void *ctx);
/* Both families, over a NETLINK_SOCK_DIAG socket of this network namespace; 0 or -errno. buf: at least 8 KiB. */
int idiag_query(const uint16_t *ports, int nports, idiag_fn fn, void *ctx, char *buf, size_t bufsz);

#endif /* AOD_INET_DIAG_H */

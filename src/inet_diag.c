// SPDX-License-Identifier: GPL-2.0-only
/* TCP state of connections from netlink INET_DIAG: request building, reply parsing, and the query. */
#include "inet_diag.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/tcp.h>

#define IDIAG_TCP_LISTEN 10

size_t idiag_build_req(void *buf, size_t cap, int family, uint32_t seq)
{
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 r;
	} req;

	if (cap < sizeof(req))
		return 0;
	memset(&req, 0, sizeof(req));
	req.nlh.nlmsg_len = sizeof(req);
	req.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	req.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.nlh.nlmsg_seq = seq;
	req.r.sdiag_family = (uint8_t)family;
	req.r.sdiag_protocol = IPPROTO_TCP;
	req.r.idiag_ext = 1 << (INET_DIAG_INFO - 1);
	/* every state the kernel has (1..12, 13 since 6.8) but the listeners: they have no peer */
	req.r.idiag_states = 0x3ffeu & ~(1u << IDIAG_TCP_LISTEN);
	memcpy(buf, &req, sizeof(req));
	return sizeof(req);
}

static void take_info(struct idiag_conn *c, const struct rtattr *a)
{
	struct tcp_info ti;
	size_t n = RTA_PAYLOAD(a);

	/* older kernels send a shorter struct: what they lack stays zero */
	memset(&ti, 0, sizeof(ti));
	memcpy(&ti, RTA_DATA(a), n < sizeof(ti) ? n : sizeof(ti));
	c->srtt_us = ti.tcpi_rtt;
	c->rttvar_us = ti.tcpi_rttvar;
	c->retransmits = ti.tcpi_retransmits;
	c->total_retrans = ti.tcpi_total_retrans;
	c->unacked = ti.tcpi_unacked;
	c->lost = ti.tcpi_lost;
	c->cwnd = ti.tcpi_snd_cwnd;
	c->has_info = 1;
}

static int one_msg(const struct nlmsghdr *h, const uint16_t *ports, int nports, idiag_fn fn, void *ctx)
{
	const struct inet_diag_msg *m = NLMSG_DATA(h);
	const struct rtattr *a;
	struct idiag_conn c;
	int len, i;

	if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*m)))
		return -EBADMSG;
	memset(&c, 0, sizeof(c));
	c.family = m->idiag_family;
	c.state = m->idiag_state;
	c.sport = ntohs(m->id.idiag_sport);
	c.dport = ntohs(m->id.idiag_dport);
	for (i = 0; i < nports && ports[i] != c.dport; i++)
		;
	if (i == nports)
		return 0;
	memcpy(c.saddr, m->id.idiag_src, sizeof(c.saddr));
	memcpy(c.daddr, m->id.idiag_dst, sizeof(c.daddr));
	c.inode = m->idiag_inode;
	c.uid = m->idiag_uid;
	len = (int)(h->nlmsg_len - NLMSG_LENGTH(sizeof(*m)));
	for (a = (const struct rtattr *)(m + 1); RTA_OK(a, len); a = RTA_NEXT(a, len))
		if (a->rta_type == INET_DIAG_INFO)
			take_info(&c, a);
	fn(ctx, &c);
	return 0;
}

int idiag_parse(const void *buf, size_t len, uint32_t seq, const uint16_t *ports, int nports, idiag_fn fn, void *ctx)
{
	const struct nlmsghdr *h = buf;
	int n = (int)len, err;

	for (; NLMSG_OK(h, n); h = NLMSG_NEXT(h, n)) {
		if (h->nlmsg_seq != seq)
			continue;	/* a stale reply of an earlier query */
		if (h->nlmsg_type == NLMSG_DONE)
			return 1;
		if (h->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *e = NLMSG_DATA(h);

			if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
				return -EBADMSG;
			return e->error ? e->error : -EPROTO;
		}
		if (h->nlmsg_type == SOCK_DIAG_BY_FAMILY && (err = one_msg(h, ports, nports, fn, ctx)) < 0)
			return err;
	}
	return n ? -EBADMSG : 0;
}

static int query_family(int fd, int family, uint32_t seq, const uint16_t *ports, int nports, idiag_fn fn, void *ctx,
			char *buf, size_t bufsz)
{
	struct sockaddr_nl nl = { .nl_family = AF_NETLINK };
	size_t n = idiag_build_req(buf, bufsz, family, seq);
	ssize_t r;
	int done = 0;

	if (!n)
		return -ENOBUFS;
	if (sendto(fd, buf, n, 0, (struct sockaddr *)&nl, sizeof(nl)) < 0)
		return -errno;
	while (!done) {
		r = recv(fd, buf, bufsz, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -EPROTO;
		done = idiag_parse(buf, (size_t)r, seq, ports, nports, fn, ctx);
		if (done < 0)
			return done == -ENOENT && family == AF_INET6 ? 0 : done;	/* a kernel without IPv6 */
	}
	return 0;
}

int idiag_query(const uint16_t *ports, int nports, idiag_fn fn, void *ctx, char *buf, size_t bufsz)
{
	/* the dump is bounded by the sockets there are; a kernel that stops answering is cut off here */
	struct timeval tv = { .tv_sec = 2 };
	int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG), err;

	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	err = query_family(fd, AF_INET, 1, ports, nports, fn, ctx, buf, bufsz);
	if (!err)
		err = query_family(fd, AF_INET6, 2, ports, nports, fn, ctx, buf, bufsz);
	close(fd);
	return err;
}

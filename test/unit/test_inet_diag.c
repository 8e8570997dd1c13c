// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for inet_diag.c: the dump request, replies built here (match, filter, error, stale, short), and real loopback sockets. */
#include <arpa/inet.h>
#include <stdbool.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/inet_diag.c"
#include "check.h"

static struct idiag_conn got[8];
static int ngot;

static void collect(void *ctx, const struct idiag_conn *c)
{
	(void)ctx;
	if (ngot < 8)
		got[ngot++] = *c;
}

static void test_request(void)
{
	unsigned char buf[128];
	const struct nlmsghdr *h = (const void *)buf;
	const struct inet_diag_req_v2 *r = NLMSG_DATA(h);

	CHECK(idiag_build_req(buf, 8, AF_INET, 7) == 0);
	CHECK(idiag_build_req(buf, sizeof(buf), AF_INET6, 7) == NLMSG_LENGTH(sizeof(*r)));
	CHECK(h->nlmsg_type == SOCK_DIAG_BY_FAMILY && h->nlmsg_seq == 7);
	CHECK(h->nlmsg_flags == (NLM_F_REQUEST | NLM_F_DUMP));
	CHECK(r->sdiag_family == AF_INET6 && r->sdiag_protocol == IPPROTO_TCP);
	CHECK(r->idiag_ext == 1 << (INET_DIAG_INFO - 1));
	CHECK(!(r->idiag_states & (1u << 10)) && (r->idiag_states & (1u << 1)) && (r->idiag_states & (1u << 7)));
}

/* One SOCK_DIAG_BY_FAMILY reply at p: sport -> dport ESTABLISHED, with a tcp_info of info_len bytes. */
static size_t put_msg(unsigned char *p, uint32_t seq, uint16_t sport, uint16_t dport, size_t info_len)
{
	struct nlmsghdr *h = (void *)p;
	struct inet_diag_msg *m = NLMSG_DATA(h);
	struct rtattr *a = (void *)(m + 1);
	struct tcp_info ti;

	memset(p, 0, NLMSG_SPACE(sizeof(*m)) + RTA_SPACE(sizeof(ti)));
	m->idiag_family = AF_INET;
	m->idiag_state = 1;
	m->id.idiag_sport = htons(sport);
	m->id.idiag_dport = htons(dport);
	m->id.idiag_src[0] = htonl(0x7f000001);
	m->id.idiag_dst[0] = htonl(0x0a000001);
	m->idiag_inode = 4242;
	memset(&ti, 0, sizeof(ti));
	ti.tcpi_rtt = 1500;
	ti.tcpi_rttvar = 250;
	ti.tcpi_snd_cwnd = 10;
	ti.tcpi_unacked = 3;
	ti.tcpi_total_retrans = 5;
	a->rta_type = INET_DIAG_INFO;
	a->rta_len = (unsigned short)RTA_LENGTH(info_len);
	memcpy(RTA_DATA(a), &ti, info_len);
	h->nlmsg_len = NLMSG_LENGTH(sizeof(*m)) + RTA_ALIGN(a->rta_len);
	h->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	h->nlmsg_seq = seq;
	return NLMSG_ALIGN(h->nlmsg_len);
}

static size_t put_ctl(unsigned char *p, uint32_t seq, uint16_t type, int error)
{
	struct nlmsghdr *h = (void *)p;
	struct nlmsgerr *e = NLMSG_DATA(h);

	memset(p, 0, NLMSG_SPACE(sizeof(*e)));
	h->nlmsg_len = NLMSG_LENGTH(type == NLMSG_ERROR ? sizeof(*e) : sizeof(int));
	h->nlmsg_type = type;
	h->nlmsg_seq = seq;
	e->error = error;
	return NLMSG_ALIGN(h->nlmsg_len);
}

static void test_parse(void)
{
	static unsigned char buf[4096];
	const uint16_t ports[] = { 445, 2049 };
	size_t n = 0;
	char a[INET_ADDRSTRLEN];

	n += put_msg(buf + n, 3, 40000, 445, sizeof(struct tcp_info));
	n += put_msg(buf + n, 3, 40001, 22, sizeof(struct tcp_info));	/* not a watched port */
	n += put_msg(buf + n, 2, 40002, 445, sizeof(struct tcp_info));	/* an earlier query's */
	n += put_msg(buf + n, 3, 700, 2049, 8);	/* an old kernel's short tcp_info */
	ngot = 0;
	CHECK(idiag_parse(buf, n, 3, ports, 2, collect, NULL) == 0 && ngot == 2);
	CHECK(got[0].sport == 40000 && got[0].dport == 445 && got[0].state == 1 && got[0].has_info);
	CHECK(got[0].srtt_us == 1500 && got[0].rttvar_us == 250 && got[0].cwnd == 10 && got[0].unacked == 3);
	CHECK(got[0].total_retrans == 5 && got[0].inode == 4242);
	CHECK(inet_ntop(AF_INET, got[0].daddr, a, sizeof(a)) && !strcmp(a, "10.0.0.1"));
	CHECK(got[1].dport == 2049 && got[1].has_info && got[1].srtt_us == 0 && got[1].cwnd == 0);
	n = put_ctl(buf, 3, NLMSG_DONE, 0);
	CHECK(idiag_parse(buf, n, 3, ports, 2, collect, NULL) == 1);
	n = put_ctl(buf, 3, NLMSG_ERROR, -EPERM);
	CHECK(idiag_parse(buf, n, 3, ports, 2, collect, NULL) == -EPERM);
	CHECK(idiag_parse(buf, n - 4, 3, ports, 2, collect, NULL) == -EBADMSG);	/* cut short */
	n = put_msg(buf, 3, 40000, 445, sizeof(struct tcp_info));
	((struct nlmsghdr *)buf)->nlmsg_len = NLMSG_LENGTH(4);	/* claims less than an inet_diag_msg */
	CHECK(idiag_parse(buf, n, 3, ports, 2, collect, NULL) == -EBADMSG);
}

/* Real sockets on loopback: a connection to a listener's port is found with its TCP state. */
/* qemu-user runs the arm64 build of this test: the process's comm is then qemu's own. */
static bool under_qemu_user(void)
{
	char comm[32] = "";
	FILE *f = fopen("/proc/self/comm", "r");

	if (f) {
		if (!fgets(comm, sizeof(comm), f))
			comm[0] = 0;
		fclose(f);
	}
	return strncmp(comm, "qemu-", 5) == 0;
}

static void test_loopback(void)
{
	static char buf[32768];
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	int l = socket(AF_INET, SOCK_STREAM, 0), c = socket(AF_INET, SOCK_STREAM, 0), a;
	uint16_t port, cport;
	char data[4000] = { 0 };
	int rc;

	CHECK(l >= 0 && c >= 0 && !bind(l, (void *)&sa, sizeof(sa)) && !listen(l, 1));
	CHECK(!getsockname(l, (void *)&sa, &len));
	port = ntohs(sa.sin_port);
	CHECK(!connect(c, (void *)&sa, sizeof(sa)));
	a = accept(l, NULL, NULL);
	CHECK(a >= 0 && write(c, data, sizeof(data)) == (ssize_t)sizeof(data) && read(a, data, sizeof(data)) > 0);
	len = sizeof(sa);
	CHECK(!getsockname(c, (void *)&sa, &len));
	cport = ntohs(sa.sin_port);
	ngot = 0;
	rc = idiag_query(&port, 1, collect, NULL, buf, sizeof(buf));
	if (rc < 0 && under_qemu_user()) {
		/* the arm64 suite runs this under qemu-user, which does not translate sock_diag netlink */
		printf("SKIP loopback INET_DIAG query: qemu-user does not emulate NETLINK_SOCK_DIAG (%s)\n", strerror(-rc));
		close(a), close(c), close(l);
		return;
	}
	CHECK(rc == 0);
	/* only the client's side: the server's accepted socket has the client's port as its remote */
	CHECK(ngot == 1 && got[0].sport == cport && got[0].dport == port && got[0].state == 1);
	CHECK(got[0].has_info && got[0].srtt_us > 0 && got[0].cwnd >= 1);
	close(a);
	close(c);
	close(l);
}

int main(void)
{
	test_request();
	test_parse();
	test_loopback();
	return CHECK_DONE();
}

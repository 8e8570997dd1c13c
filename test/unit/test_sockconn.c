// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for sockconn.c: /proc/net/tcp{,6} lines, snapshot diffs, and a poll over files written here. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../src/sockconn.c"
#include "../../src/io.c"
#include "check.h"

static const uint16_t ports[NAMES_NPROTO] = { [NAMES_SMB] = 445, [NAMES_NFS] = 2049 };

#define HDR "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
/* 127.0.0.1:40000 -> 127.0.0.1:445 ESTABLISHED; a listener on 445; 10.0.0.2:700 -> 10.0.0.1:2049 SYN_SENT */
#define L_SMB "   0: 0100007F:9C40 0100007F:01BD 01 00000000:00000000 00:00000000 00000000     0        0 123 1 0 20 4 30 10 -1\n"
#define L_LISTEN "   1: 00000000:01BD 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 124 1\n"
#define L_NFS "   2: 0200000A:02BC 0100000A:0801 02 00000000:00000000 00:00000000 00000000     0        0 125 1\n"
#define L_NFS_EST "   2: 0200000A:02BC 0100000A:0801 01 00000000:00000000 00:00000000 00000000     0        0 125 1\n"
/* [::1]:50000 -> [::1]:445 ESTABLISHED */
#define L6 "   0: 00000000000000000000000001000000:C350 00000000000000000000000001000000:01BD 01 00000000:00000000 00:00000000 00000000     0        0 126 1\n"

static struct aod_ev_sockconn got[16];
static int ngot;

static void collect(void *ctx, const struct aod_ev_sockconn *ev)
{
	(void)ctx;
	if (ngot < 16)
		got[ngot++] = *ev;
}

static void test_line(void)
{
	struct sockconn_conn c;
	struct in_addr a;

	CHECK(sockconn_parse_line(L_SMB, AF_INET, ports, &c) == 1);
	memcpy(&a, c.saddr, 4);
	CHECK(!strcmp(inet_ntoa(a), "127.0.0.1") && c.sport == 40000 && c.dport == 445 && c.state == 1);
	CHECK(c.proto == NAMES_SMB && c.family == AF_INET);
	CHECK(sockconn_parse_line(L_LISTEN, AF_INET, ports, &c) == 0);	/* a server's port: not watched */
	CHECK(sockconn_parse_line(L_NFS, AF_INET, ports, &c) == 1 && c.proto == NAMES_NFS && c.state == 2);
	memcpy(&a, c.daddr, 4);
	CHECK(!strcmp(inet_ntoa(a), "10.0.0.1") && c.sport == 700);
	CHECK(sockconn_parse_line(HDR, AF_INET, ports, &c) == 0);
	CHECK(sockconn_parse_line("garbage", AF_INET, ports, &c) == -EINVAL);
	CHECK(sockconn_parse_line("   0: 0100007F:9C40", AF_INET, ports, &c) == -EINVAL);
	CHECK(sockconn_parse_line("   0: 0100", AF_INET, ports, &c) == -EINVAL);
	CHECK(sockconn_parse_line(L6, AF_INET6, ports, &c) == 1 && c.family == AF_INET6 && c.sport == 50000);
	CHECK(c.daddr[15] == 1 && c.daddr[0] == 0 && c.dport == 445);
	{
		uint16_t none[NAMES_NPROTO] = { 0 };

		CHECK(sockconn_parse_line(L_SMB, AF_INET, none, &c) == 0);
	}
}

static void test_diff(void)
{
	static struct sockconn_set a, b;

	memcpy(a.ports, ports, sizeof(ports));
	memcpy(b.ports, ports, sizeof(ports));
	CHECK(sockconn_parse(&a, HDR L_SMB L_LISTEN L_NFS, strlen(HDR L_SMB L_LISTEN L_NFS), AF_INET) == 2);
	CHECK(a.n == 2);
	/* SMB connection gone, NFS connect completed */
	CHECK(sockconn_parse(&b, HDR L_NFS_EST, strlen(HDR L_NFS_EST), AF_INET) == 1);
	ngot = 0;
	CHECK(sockconn_diff(&a, &b, 77, collect, NULL) == 2 && ngot == 2);
	CHECK(got[0].proto == NAMES_NFS && got[0].oldstate == 2 && got[0].newstate == 1 && got[0].h.ts_ns == 77);
	CHECK(got[1].proto == NAMES_SMB && got[1].sport == 40000 && got[1].oldstate == 1 && got[1].newstate == 7);
	CHECK(got[1].h.kind == AOD_EV_SOCKCONN && got[1].h.size == sizeof(got[1]) && got[1].method == AOD_SOCKCONN_M_PROC);
	/* the same set twice: nothing */
	ngot = 0;
	CHECK(sockconn_diff(&b, &b, 78, collect, NULL) == 0 && ngot == 0);
	/* the set is bounded: more connections are counted, not kept */
	a.n = 0;
	for (int i = 0; i < SOCKCONN_MAX + 3; i++)
		sockconn_parse(&a, L_SMB, strlen(L_SMB), AF_INET);
	CHECK(a.n == SOCKCONN_MAX && a.overflow == 3);
}

static void put(const char *dir, const char *name, const char *text)
{
	char p[256];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	f = fopen(p, "w");
	CHECK(f != NULL);
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static void test_poll(void)
{
	static struct sockconn_src s;
	char dir[] = "/tmp/aod_sockconn_XXXXXX";
	char big[SOCKCONN_BUF * 3];
	size_t off = 0;

	CHECK(mkdtemp(dir) != NULL);
	sockconn_src_init(&s, dir, ports);
	CHECK(sockconn_poll(&s, 1, collect, NULL) == -ENOENT);	/* no tcp file */
	put(dir, "tcp", HDR L_SMB);	/* no tcp6: a kernel without IPv6 */
	ngot = 0;
	CHECK(sockconn_poll(&s, 1, collect, NULL) == 0 && ngot == 0);	/* the baseline */
	put(dir, "tcp6", L6);
	CHECK(sockconn_poll(&s, 2, collect, NULL) == 1 && ngot == 1 && got[0].family == AF_INET6 && got[0].newstate == 1);
	/* many lines across buffer refills, the SMB line last and without a newline */
	off += (size_t)snprintf(big, sizeof(big), HDR);
	while (off + 2 * sizeof(L_LISTEN) + sizeof(L_SMB) < sizeof(big))
		off += (size_t)snprintf(big + off, sizeof(big) - off, "%s", L_LISTEN);
	snprintf(big + off, sizeof(big) - off, "%.*s", (int)strlen(L_SMB) - 1, L_SMB);
	put(dir, "tcp", big);
	ngot = 0;
	CHECK(sockconn_poll(&s, 3, collect, NULL) == 0 && ngot == 0);
	CHECK(s.sets[s.cur].n == 2);
	put(dir, "tcp", HDR);
	CHECK(sockconn_poll(&s, 4, collect, NULL) == 1 && got[0].sport == 40000 && got[0].newstate == 7);
	snprintf(big, sizeof(big), "%s/tcp", dir);
	unlink(big);
	snprintf(big, sizeof(big), "%s/tcp6", dir);
	unlink(big);
	rmdir(dir);
}

int main(void)
{
	test_line();
	test_diff();
	test_poll();
	return CHECK_DONE();
}

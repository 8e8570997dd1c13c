// SPDX-License-Identifier: GPL-2.0-only
/* Packet generator for bench/pktring.sh: TCP segments to port 445 written onto an interface at a set rate. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/*
 * usage: pktflood IFNAME PPS SECONDS [DPORT [PAYLOAD]]; prints "sent N in S s: R pps".
 * The frames go out through an AF_PACKET socket, so no TCP connection or peer application is involved and
 * the rate is the one asked for, not what a TCP stack would make of it. Their destination MAC belongs to no
 * interface: on the far end of a veth pair they are PACKET_OTHERHOST, seen by every packet socket (aod's
 * ring, tcpdump) and then dropped by the IP layer, which answers nothing (no RST doubles the count).
 * Pacing: each millisecond tick sends what the rate owes up to that moment, then sleeps to the next tick.
 */

#define TICK_NS 1000000ll

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

static uint16_t ip_sum(const void *p, size_t n)
{
	const uint16_t *w = p;
	uint32_t s = 0;

	for (; n > 1; n -= 2)
		s += *w++;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* Ethernet + IPv4 + TCP (ACK) + payload; returns the frame length. */
static size_t frame(unsigned char *f, uint16_t dport, size_t payload)
{
	static const unsigned char dst[6] = { 0x02, 0, 0x5e, 0, 0, 0x01 }, src[6] = { 0x02, 0, 0x5e, 0, 0, 0x02 };
	struct ether_header *eh = (void *)f;
	struct iphdr *ip = (void *)(f + sizeof(*eh));
	struct tcphdr *tcp = (void *)((unsigned char *)ip + sizeof(*ip));

	memcpy(eh->ether_dhost, dst, 6);
	memcpy(eh->ether_shost, src, 6);
	eh->ether_type = htons(ETHERTYPE_IP);
	ip->version = 4;
	ip->ihl = 5;
	ip->ttl = 64;
	ip->protocol = IPPROTO_TCP;
	ip->tot_len = htons((uint16_t)(sizeof(*ip) + sizeof(*tcp) + payload));
	ip->saddr = htonl(0x0a4d0902);	/* 10.77.9.2 */
	ip->daddr = htonl(0x0a4d0901);	/* 10.77.9.1 */
	ip->check = ip_sum(ip, sizeof(*ip));
	tcp->source = htons(40000);
	tcp->dest = htons(dport);
	tcp->doff = 5;
	tcp->ack = 1;
	tcp->window = htons(65535);
	memset((unsigned char *)tcp + sizeof(*tcp), 'p', payload);
	return sizeof(*eh) + sizeof(*ip) + sizeof(*tcp) + payload;
}

int main(int argc, char **argv)
{
	unsigned char f[1600];
	struct sockaddr_ll sa = { .sll_family = AF_PACKET, .sll_halen = 6 };
	long pps, secs, dport = 445, payload = 64;
	int64_t t0, end, tick;
	uint64_t sent = 0, errs = 0;
	size_t len;
	int fd;

	if (argc < 4 || (pps = atol(argv[2])) <= 0 || (secs = atol(argv[3])) <= 0 ||
	    (argc > 4 && ((dport = atol(argv[4])) <= 0 || dport > 65535)) ||
	    (argc > 5 && ((payload = atol(argv[5])) < 0 || payload > 1400))) {
		fprintf(stderr, "usage: pktflood IFNAME PPS SECONDS [DPORT [PAYLOAD]]  (PAYLOAD 0..1400 bytes)\n");
		return 2;
	}
	sa.sll_ifindex = (int)if_nametoindex(argv[1]);
	if (!sa.sll_ifindex) {
		fprintf(stderr, "pktflood: no interface %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);	/* protocol 0: it sends, never receives */
	if (fd < 0) {
		fprintf(stderr, "pktflood: unable to open a packet socket: %s (it needs root)\n", strerror(errno));
		return 1;
	}
	len = frame(f, (uint16_t)dport, (size_t)payload);
	memcpy(sa.sll_addr, f, 6);
	t0 = now_ns();
	end = t0 + secs * 1000000000ll;
	for (tick = t0; tick < end; tick += TICK_NS) {
		uint64_t owed = (uint64_t)((double)(tick + TICK_NS - t0) * (double)pps / 1e9);
		struct timespec ts = { .tv_sec = (tick + TICK_NS) / 1000000000ll, .tv_nsec = (tick + TICK_NS) % 1000000000ll };

		while (sent + errs < owed)
			if (sendto(fd, f, len, 0, (struct sockaddr *)&sa, sizeof(sa)) == (ssize_t)len)
				sent++;
			else
				errs++;
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
			;
	}
	printf("sent %llu in %.2f s: %.0f pps (%llu send errors)\n", (unsigned long long)sent,
	       (double)(now_ns() - t0) / 1e9, (double)sent * 1e9 / (double)(now_ns() - t0), (unsigned long long)errs);
	close(fd);
	return errs ? 1 : 0;
}

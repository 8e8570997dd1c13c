// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for the built-in packet ring: the cBPF port filter (run in a small interpreter), the hold ring, the pcap headers. */
#include "../../src/arena.c"
#include "../../src/io.c"
#include "../../src/pktring.c"

#include <netinet/in.h>

#include "check.h"

/* The classic BPF the filter uses, as the kernel runs it on a SOCK_DGRAM packet socket: data starts at the
 * network header, SKF_AD_PROTOCOL is skb->protocol in host order, a load past the end returns 0. */
static uint32_t run(const struct sock_filter *f, int n, const unsigned char *p, uint32_t len, uint16_t proto, int *bad)
{
	uint32_t a = 0, x = 0;

	for (int pc = 0; pc < n; pc++) {
		const struct sock_filter *i = &f[pc];
		uint32_t at;

		switch (i->code) {
		case BPF_LD | BPF_W | BPF_ABS:
			if (i->k != (uint32_t)(SKF_AD_OFF + SKF_AD_PROTOCOL))
				goto fail;
			a = proto;
			break;
		case BPF_LD | BPF_B | BPF_ABS:
			if (i->k >= len)
				return 0;
			a = p[i->k];
			break;
		case BPF_LD | BPF_H | BPF_ABS:
		case BPF_LD | BPF_H | BPF_IND:
			at = i->k + (BPF_MODE(i->code) == BPF_IND ? x : 0);
			if (at + 2 > len)
				return 0;
			a = (uint32_t)p[at] << 8 | p[at + 1];
			break;
		case BPF_LDX | BPF_B | BPF_MSH:
			if (i->k >= len)
				return 0;
			x = 4u * (p[i->k] & 0xf);
			break;
		case BPF_JMP | BPF_JEQ | BPF_K:
			pc += a == i->k ? i->jt : i->jf;
			break;
		case BPF_JMP | BPF_JSET | BPF_K:
			pc += (a & i->k) ? i->jt : i->jf;
			break;
		case BPF_RET | BPF_K:
			return i->k;
		default:
			goto fail;
		}
	}
fail:
	(*bad)++;
	return 0;
}

/* An IPv4 packet: ihl words of header, protocol, fragment field, TCP ports after the header. */
static uint32_t v4(unsigned char *p, int ihl, int proto, uint16_t frag, uint16_t sport, uint16_t dport)
{
	memset(p, 0, 128);
	p[0] = (unsigned char)(0x40 | ihl);
	p[6] = (unsigned char)(frag >> 8);
	p[7] = (unsigned char)frag;
	p[9] = (unsigned char)proto;
	p[ihl * 4] = (unsigned char)(sport >> 8);
	p[ihl * 4 + 1] = (unsigned char)sport;
	p[ihl * 4 + 2] = (unsigned char)(dport >> 8);
	p[ihl * 4 + 3] = (unsigned char)dport;
	return (uint32_t)ihl * 4 + 20;
}

static uint32_t v6(unsigned char *p, int next, uint16_t sport, uint16_t dport)
{
	memset(p, 0, 128);
	p[0] = 0x60;
	p[6] = (unsigned char)next;
	p[40] = (unsigned char)(sport >> 8);
	p[41] = (unsigned char)sport;
	p[42] = (unsigned char)(dport >> 8);
	p[43] = (unsigned char)dport;
	return 60;
}

static void test_filter(void)
{
	struct sock_filter f[PKTRING_FILTER_MAX];
	static const uint16_t smb[] = { 445 }, two[] = { 445, 2049 }, many[9] = { 1 };
	unsigned char p[128];
	int n, bad = 0;
	uint32_t len;

	n = pktring_filter_build(f, PKTRING_FILTER_MAX, smb, 1, 240);
	CHECK(n > 0 && n <= PKTRING_FILTER_MAX);
	CHECK(n > 0 && f[n - 1].code == (BPF_RET | BPF_K) && f[n - 1].k == 0);
	for (int i = 0; i < n; i++)	/* every jump lands inside the program, forward */
		if (BPF_CLASS(f[i].code) == BPF_JMP)
			CHECK(i + 1 + f[i].jt < n && i + 1 + f[i].jf < n);
	len = v4(p, 5, IPPROTO_TCP, 0, 50000, 445);
	CHECK(run(f, n, p, len, ETH_P_IP, &bad) == 240);	/* to the port */
	len = v4(p, 5, IPPROTO_TCP, 0, 445, 50000);
	CHECK(run(f, n, p, len, ETH_P_IP, &bad) == 240);	/* from it */
	len = v4(p, 7, IPPROTO_TCP, 0x4000, 50000, 445);
	CHECK(run(f, n, p, len, ETH_P_IP, &bad) == 240);	/* IP options, DF set */
	len = v4(p, 5, IPPROTO_TCP, 0, 50000, 8445);
	CHECK(run(f, n, p, len, ETH_P_IP, &bad) == 0);		/* another port */
	len = v4(p, 5, IPPROTO_UDP, 0, 50000, 445);
	CHECK(run(f, n, p, len, ETH_P_IP, &bad) == 0);		/* UDP */
	len = v4(p, 5, IPPROTO_TCP, 0x0010, 50000, 445);
	CHECK(run(f, n, p, len, ETH_P_IP, &bad) == 0);		/* a later fragment: no ports in it */
	len = v4(p, 5, IPPROTO_TCP, 0, 50000, 445);
	CHECK(run(f, n, p, len, ETH_P_ARP, &bad) == 0);		/* not IP */
	CHECK(run(f, n, p, 22, ETH_P_IP, &bad) == 0);		/* truncated before the ports */
	len = v6(p, IPPROTO_TCP, 50000, 445);
	CHECK(run(f, n, p, len, ETH_P_IPV6, &bad) == 240);
	len = v6(p, IPPROTO_TCP, 445, 1);
	CHECK(run(f, n, p, len, ETH_P_IPV6, &bad) == 240);
	len = v6(p, IPPROTO_TCP, 2049, 50000);
	CHECK(run(f, n, p, len, ETH_P_IPV6, &bad) == 0);
	len = v6(p, IPPROTO_UDP, 50000, 445);
	CHECK(run(f, n, p, len, ETH_P_IPV6, &bad) == 0);
	CHECK(bad == 0);

	n = pktring_filter_build(f, PKTRING_FILTER_MAX, two, 2, 100);
	CHECK(n > 0);
	len = v4(p, 5, IPPROTO_TCP, 0, 2049, 700);
	CHECK(run(f, n, p, len, ETH_P_IP, &bad) == 100);
	len = v6(p, IPPROTO_TCP, 700, 2049);
	CHECK(run(f, n, p, len, ETH_P_IPV6, &bad) == 100);
	len = v4(p, 5, IPPROTO_TCP, 0, 700, 701);
	CHECK(run(f, n, p, len, ETH_P_IP, &bad) == 0);
	CHECK(bad == 0);

	CHECK(pktring_filter_build(f, PKTRING_FILTER_MAX, smb, 0, 100) == -EINVAL);
	CHECK(pktring_filter_build(f, PKTRING_FILTER_MAX, many, 9, 100) == -EINVAL);
	CHECK(pktring_filter_build(f, 5, smb, 1, 100) == -EINVAL);
}

static size_t put(struct hold *h, uint32_t seq, uint32_t incl)
{
	unsigned char rec[256];

	memset(rec, 0, sizeof(rec));
	pktring_pcap_record(rec, seq, 0, incl, incl);
	return pktring_hold_put(h, rec, PKTRING_REC_HDR + incl) ? 1 : 0;
}

/* The held records, oldest first: their sequence numbers must run without a gap and end at last. */
static bool in_order(const struct hold *h, uint32_t last, uint32_t *first)
{
	const unsigned char *s[2];
	size_t l[2];
	int n = pktring_hold_spans(h, s, l);
	uint32_t want = 0, seq, incl;
	bool started = false;

	for (int i = 0; i < n; i++)
		for (size_t at = 0; at < l[i]; at += PKTRING_REC_HDR + incl) {
			memcpy(&seq, s[i] + at, 4);
			memcpy(&incl, s[i] + at + 8, 4);
			if (started && seq != want)
				return false;
			if (!started)
				*first = seq;
			started = true;
			want = seq + 1;
		}
	return started && want == last + 1;
}

static void test_hold(void)
{
	static unsigned char buf[200];
	struct hold h;
	uint32_t first = 0;
	uint64_t total = 0;

	pktring_hold_init(&h, buf, sizeof(buf));
	CHECK(pktring_hold_bytes(&h) == 0);
	CHECK(put(&h, 1, 20) == 1);
	CHECK(put(&h, 2, 30) == 1);
	CHECK(in_order(&h, 2, &first) && first == 1);
	CHECK(pktring_hold_bytes(&h) == 36 + 46);
	/* a flood of mixed sizes: always at most the capacity, the newest kept, no gap */
	for (uint32_t seq = 3; seq < 500; seq++) {
		CHECK(put(&h, seq, (seq * 7) % 60) == 1);
		total++;
		if (pktring_hold_bytes(&h) > sizeof(buf) || !in_order(&h, seq, &first)) {
			CHECK(!"hold ring out of order or over its capacity");
			break;
		}
	}
	CHECK(h.overwritten > 400 && h.overwritten < total);
	CHECK(h.count + h.overwritten == total + 2);
	CHECK(pktring_hold_bytes(&h) > sizeof(buf) / 2);	/* the space is used, not thrown away */
	CHECK(put(&h, 9, 200) == 0);				/* larger than the ring */
	CHECK(in_order(&h, 499, &first));
	CHECK(put(&h, 500, 200 - PKTRING_REC_HDR) == 1);	/* exactly the ring: the rest goes */
	CHECK(in_order(&h, 500, &first) && first == 500 && h.count == 1);
}

static void test_pcap(void)
{
	unsigned char hdr[PKTRING_PCAP_HDR], rec[PKTRING_REC_HDR];
	uint32_t u;
	uint16_t s;

	pktring_pcap_header(hdr, 256);
	memcpy(&u, hdr, 4);
	CHECK(u == 0xa1b23c4d);
	memcpy(&s, hdr + 4, 2);
	CHECK(s == 2);
	memcpy(&s, hdr + 6, 2);
	CHECK(s == 4);
	memcpy(&u, hdr + 16, 4);
	CHECK(u == 256);
	memcpy(&u, hdr + 20, 4);
	CHECK(u == 113);
	pktring_pcap_record(rec, 1700000000, 123456789, 80, 1514);
	memcpy(&u, rec, 4);
	CHECK(u == 1700000000);
	memcpy(&u, rec + 4, 4);
	CHECK(u == 123456789);
	memcpy(&u, rec + 8, 4);
	CHECK(u == 80);
	memcpy(&u, rec + 12, 4);
	CHECK(u == 1514);
}

int main(void)
{
	test_filter();
	test_hold();
	test_pcap();
	return CHECK_DONE();
}

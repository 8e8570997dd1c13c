// SPDX-License-Identifier: GPL-2.0-only
/* The built-in packet ring: the last packet headers on the SMB/NFS ports, held in memory and written as a pcap on a trigger. */
#include "pktring.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "io.h"

/*
 * Where the packets are held, and why not in the kernel's ring:
 * a TPACKET_V3 ring never overwrites: a block the process has not handed back stays its own, and once
 * every block is the process's the kernel drops new packets. Holding the last N seconds in the kernel's
 * ring would mean keeping retired blocks, and then poll() always reports the socket readable (it looks at
 * the block before the kernel's current one), so the select loop would spin. aod therefore takes each
 * block as it retires (tp_retire_blk_tov bounds how long a quiet block waits), copies its packets, already
 * cut to snaplen by the filter, into its own ring of pcap records, and hands the block straight back. That
 * ring drops its oldest records to make room, so memory stays at memory_kb under any flood: a quarter of it
 * (at least two blocks) is the kernel's ring, the rest the hold ring, an arena of its own reserved at start
 * so that a host without tcpdump needs no larger memory.arena_kb. The held records are already in pcap
 * form: a trigger writes them with two write()s and nothing is written to disk in between.
 */

#define BLOCK_SIZE (64u * 1024u)
#define FRAME_SIZE 2048u		/* TPACKET_V3 ignores frames but the kernel checks the geometry */
#define MIN_BLOCKS 2u
#define MAX_BLOCKS 256u

struct pktring {
	struct arena arena;		/* this struct and the hold ring */
	int fd;
	unsigned char *map;
	size_t map_len;
	unsigned nblocks, cur;
	uint32_t snaplen;
	struct hold hold;
	uint64_t packets, kernel_drops, cap_bytes;
};

/* ---- the filter ---- */

enum { FB_NEXT, FB_ACCEPT, FB_REJECT, FB_V6 };

struct fb {
	struct sock_filter *f;
	unsigned char jt[PKTRING_FILTER_MAX], jf[PKTRING_FILTER_MAX];
	int n, max;
};

static void fb_emit(struct fb *b, uint16_t code, uint32_t k, unsigned char jt, unsigned char jf)
{
	if (b->n < b->max && b->n < PKTRING_FILTER_MAX) {
		b->f[b->n] = (struct sock_filter){ .code = code, .k = k };
		b->jt[b->n] = jt;
		b->jf[b->n] = jf;
	}
	b->n++;
}

/* A matches one of ports: accept; else fall through (last: to reject when final). */
static void fb_ports(struct fb *b, const uint16_t *ports, int nports, bool final)
{
	for (int i = 0; i < nports; i++)
		fb_emit(b, BPF_JMP | BPF_JEQ | BPF_K, ports[i], FB_ACCEPT, final && i == nports - 1 ? FB_REJECT : FB_NEXT);
}

int pktring_filter_build(struct sock_filter *out, int max, const uint16_t *ports, int nports, uint32_t keep)
{
	struct fb b = { .f = out, .max = max };
	int v6 = 0, accept, reject;

	if (nports < 1 || nports > PKTRING_MAX_PORTS || !keep)
		return -EINVAL;
	/* SOCK_DGRAM: no link header in the data, so the protocol comes from skb->protocol (host order) */
	fb_emit(&b, BPF_LD | BPF_W | BPF_ABS, (uint32_t)(SKF_AD_OFF + SKF_AD_PROTOCOL), 0, 0);
	fb_emit(&b, BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IP, FB_NEXT, FB_V6);
	fb_emit(&b, BPF_LD | BPF_B | BPF_ABS, 9, 0, 0);			/* IPv4 protocol */
	fb_emit(&b, BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_TCP, FB_NEXT, FB_REJECT);
	fb_emit(&b, BPF_LD | BPF_H | BPF_ABS, 6, 0, 0);			/* a later fragment has no ports */
	fb_emit(&b, BPF_JMP | BPF_JSET | BPF_K, 0x1fff, FB_REJECT, FB_NEXT);
	fb_emit(&b, BPF_LDX | BPF_B | BPF_MSH, 0, 0, 0);			/* X = IHL * 4 */
	fb_emit(&b, BPF_LD | BPF_H | BPF_IND, 0, 0, 0);			/* source port */
	fb_ports(&b, ports, nports, false);
	fb_emit(&b, BPF_LD | BPF_H | BPF_IND, 2, 0, 0);			/* destination port */
	fb_ports(&b, ports, nports, true);
	v6 = b.n;
	fb_emit(&b, BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IPV6, FB_NEXT, FB_REJECT);
	/* TCP right after the fixed header, as tcpdump's "ip6 and tcp" without extension headers */
	fb_emit(&b, BPF_LD | BPF_B | BPF_ABS, 6, 0, 0);
	fb_emit(&b, BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_TCP, FB_NEXT, FB_REJECT);
	fb_emit(&b, BPF_LD | BPF_H | BPF_ABS, 40, 0, 0);
	fb_ports(&b, ports, nports, false);
	fb_emit(&b, BPF_LD | BPF_H | BPF_ABS, 42, 0, 0);
	fb_ports(&b, ports, nports, true);
	accept = b.n;
	fb_emit(&b, BPF_RET | BPF_K, keep, 0, 0);
	reject = b.n;
	fb_emit(&b, BPF_RET | BPF_K, 0, 0, 0);
	if (b.n > max || b.n > PKTRING_FILTER_MAX)
		return -EINVAL;
	for (int i = 0; i < b.n; i++) {
		int to[2];

		if (BPF_CLASS(out[i].code) != BPF_JMP)
			continue;
		for (int w = 0; w < 2; w++) {
			int t = w ? b.jf[i] : b.jt[i];

			to[w] = t == FB_ACCEPT ? accept : t == FB_REJECT ? reject : t == FB_V6 ? v6 : i + 1;
		}
		out[i].jt = (unsigned char)(to[0] - i - 1);
		out[i].jf = (unsigned char)(to[1] - i - 1);
	}
	return b.n;
}

/* ---- pcap ---- */

void pktring_pcap_header(unsigned char out[PKTRING_PCAP_HDR], uint32_t snaplen)
{
	uint32_t magic = PKTRING_PCAP_MAGIC_NS, zero = 0, link = PKTRING_LINKTYPE_SLL;
	uint16_t major = 2, minor = 4;

	/* host byte order throughout: readers tell it from the magic */
	memcpy(out, &magic, 4);
	memcpy(out + 4, &major, 2);
	memcpy(out + 6, &minor, 2);
	memcpy(out + 8, &zero, 4);
	memcpy(out + 12, &zero, 4);
	memcpy(out + 16, &snaplen, 4);
	memcpy(out + 20, &link, 4);
}

void pktring_pcap_record(unsigned char out[PKTRING_REC_HDR], uint32_t sec, uint32_t nsec, uint32_t incl,
			 uint32_t orig)
{
	memcpy(out, &sec, 4);
	memcpy(out + 4, &nsec, 4);
	memcpy(out + 8, &incl, 4);
	memcpy(out + 12, &orig, 4);
}

/* ---- the hold ring: pcap records back to back; data in [tail, head), or [tail, wrap_end) + [0, head) ---- */

void pktring_hold_init(struct hold *h, void *buf, size_t cap)
{
	memset(h, 0, sizeof(*h));
	h->buf = buf;
	h->cap = cap;
}

static size_t hold_rec_len(const struct hold *h, size_t at)
{
	uint32_t incl;

	memcpy(&incl, h->buf + at + 8, 4);
	return PKTRING_REC_HDR + incl;
}

static void hold_drop_oldest(struct hold *h)
{
	h->tail += hold_rec_len(h, h->tail);
	h->count--;
	h->overwritten++;
	if (h->wrapped && h->tail == h->wrap_end) {
		h->tail = 0;
		h->wrapped = false;
	}
}

bool pktring_hold_put(struct hold *h, const void *rec, size_t n)
{
	if (n > h->cap || n < PKTRING_REC_HDR)
		return false;
	for (;;) {
		if (!h->count) {
			h->head = h->tail = 0;
			h->wrapped = false;
		}
		if (!h->wrapped && h->cap - h->head >= n)
			break;
		if (!h->wrapped) {
			h->wrap_end = h->head;
			h->wrapped = true;
			h->head = 0;
			continue;
		}
		if (h->tail - h->head >= n)
			break;
		hold_drop_oldest(h);
	}
	memcpy(h->buf + h->head, rec, n);
	h->head += n;
	h->count++;
	return true;
}

int pktring_hold_spans(const struct hold *h, const unsigned char *span[2], size_t len[2])
{
	if (!h->count)
		return 0;
	span[0] = h->buf + h->tail;
	len[0] = (h->wrapped ? h->wrap_end : h->head) - h->tail;
	if (!h->wrapped)
		return 1;
	span[1] = h->buf;
	len[1] = h->head;
	return 2;
}

size_t pktring_hold_bytes(const struct hold *h)
{
	const unsigned char *s[2];
	size_t l[2] = { 0, 0 };

	pktring_hold_spans(h, s, l);
	return l[0] + l[1];
}

/* ---- the socket ---- */

int pktring_fd(const struct pktring *r)
{
	return r ? r->fd : -1;
}

static void ring_take_packet(struct pktring *r, const struct tpacket3_hdr *p)
{
	const struct sockaddr_ll *ll = (const void *)((const char *)p + TPACKET_ALIGN(sizeof(*p)));
	unsigned char rec[PKTRING_REC_HDR + PKTRING_SLL_LEN + 65536], *sll = rec + PKTRING_REC_HDR;
	uint32_t snap = p->tp_snaplen;
	uint16_t v;

	if (snap + PKTRING_SLL_LEN > r->snaplen)
		snap = r->snaplen - PKTRING_SLL_LEN;
	pktring_pcap_record(rec, p->tp_sec, p->tp_nsec, snap + PKTRING_SLL_LEN, p->tp_len + PKTRING_SLL_LEN);
	/* LINKTYPE_LINUX_SLL: packet type, ARPHRD type, address length, 8 address bytes, protocol; big-endian */
	v = htons(ll->sll_pkttype);
	memcpy(sll, &v, 2);
	v = htons(ll->sll_hatype);
	memcpy(sll + 2, &v, 2);
	v = htons(ll->sll_halen);
	memcpy(sll + 4, &v, 2);
	memset(sll + 6, 0, 8);
	memcpy(sll + 6, ll->sll_addr, ll->sll_halen < 8 ? ll->sll_halen : 8);
	memcpy(sll + 14, &ll->sll_protocol, 2);
	memcpy(sll + PKTRING_SLL_LEN, (const char *)p + p->tp_mac, snap);
	r->packets++;
	pktring_hold_put(&r->hold, rec, PKTRING_REC_HDR + PKTRING_SLL_LEN + snap);
}

void pktring_consume(struct pktring *r)
{
	if (!r)
		return;
	for (unsigned n = 0; n < r->nblocks; n++) {
		struct tpacket_block_desc *bd = (void *)(r->map + (size_t)r->cur * BLOCK_SIZE);
		const char *p;

		if (!(__atomic_load_n(&bd->hdr.bh1.block_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER))
			return;
		p = (const char *)bd + bd->hdr.bh1.offset_to_first_pkt;
		for (uint32_t i = 0; i < bd->hdr.bh1.num_pkts; i++) {
			const struct tpacket3_hdr *h = (const void *)p;

			ring_take_packet(r, h);
			p += h->tp_next_offset;
		}
		__atomic_store_n(&bd->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
		r->cur = (r->cur + 1) % r->nblocks;
	}
}

int pktring_write_pcap(struct pktring *r, int fd)
{
	unsigned char hdr[PKTRING_PCAP_HDR];
	const unsigned char *span[2];
	size_t len[2];
	int n, err;

	pktring_consume(r);
	pktring_pcap_header(hdr, r->snaplen);
	err = io_write_all(fd, hdr, sizeof(hdr));
	n = pktring_hold_spans(&r->hold, span, len);
	for (int i = 0; !err && i < n; i++)
		err = io_write_all(fd, span[i], len[i]);
	/* the next cut holds what came after this one, as tcpdump's restarted capture would */
	r->hold.count = 0;
	return err;
}

void pktring_get_stats(struct pktring *r, struct pktring_stats *st)
{
	struct tpacket_stats_v3 ks;
	socklen_t kl = sizeof(ks);

	memset(st, 0, sizeof(*st));
	if (!r)
		return;
	/* reading the statistics resets them in the kernel: accumulate */
	if (!getsockopt(r->fd, SOL_PACKET, PACKET_STATISTICS, &ks, &kl))
		r->kernel_drops += ks.tp_drops;
	st->packets = r->packets;
	st->overwritten = r->hold.overwritten;
	st->kernel_drops = r->kernel_drops;
	st->held_packets = r->hold.count;
	st->held_bytes = pktring_hold_bytes(&r->hold);
	st->cap_bytes = r->cap_bytes;
}

static int ring_setup_socket(struct pktring *r, const uint16_t *ports, int nports)
{
	struct sock_filter insns[PKTRING_FILTER_MAX];
	struct sock_fprog prog;
	int v = TPACKET_V3, n;
	struct tpacket_req3 req = {
		.tp_block_size = BLOCK_SIZE, .tp_block_nr = r->nblocks, .tp_frame_size = FRAME_SIZE,
		.tp_frame_nr = BLOCK_SIZE / FRAME_SIZE * r->nblocks, .tp_retire_blk_tov = PKTRING_RETIRE_MS,
	};
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL) };

	n = pktring_filter_build(insns, PKTRING_FILTER_MAX, ports, nports, r->snaplen - PKTRING_SLL_LEN);
	if (n < 0)
		return n;
	prog.len = (unsigned short)n;
	prog.filter = insns;
	/* protocol 0: nothing arrives until bind, which comes after the filter */
	r->fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (r->fd < 0)
		return -errno;
	if (setsockopt(r->fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) ||
	    setsockopt(r->fd, SOL_PACKET, PACKET_VERSION, &v, sizeof(v)) ||
	    setsockopt(r->fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof(req)))
		return -errno;
	r->map_len = (size_t)BLOCK_SIZE * r->nblocks;
	r->map = mmap(NULL, r->map_len, PROT_READ | PROT_WRITE, MAP_SHARED, r->fd, 0);
	if (r->map == MAP_FAILED) {
		r->map = NULL;
		return -errno;
	}
	if (bind(r->fd, (struct sockaddr *)&sll, sizeof(sll)))
		return -errno;
	return 0;
}

int pktring_open(struct pktring **out, const uint16_t *ports, int nports, uint32_t snaplen, uint32_t memory_kb)
{
	size_t total = (size_t)memory_kb * 1024, kring, hold;
	struct arena a;
	struct pktring *r;
	unsigned char *buf;
	unsigned nb;
	int err;

	*out = NULL;
	if (snaplen <= PKTRING_SLL_LEN + 40 || snaplen > 65535)
		return -EINVAL;
	nb = (unsigned)(total / 4 / BLOCK_SIZE);
	nb = nb < MIN_BLOCKS ? MIN_BLOCKS : nb > MAX_BLOCKS ? MAX_BLOCKS : nb;
	kring = (size_t)nb * BLOCK_SIZE;
	if (total < kring + 64 * 1024)
		return -EINVAL;
	hold = total - kring;
	err = arena_init(&a, sizeof(*r) + hold + 64);
	if (err)
		return err;
	r = arena_new(&a, struct pktring, 1);
	buf = arena_reserve(&a, 1, hold, 8);
	if (!r || !buf) {
		arena_fini(&a);
		return -ENOMEM;
	}
	r->arena = a;
	r->fd = -1;
	r->nblocks = nb;
	r->snaplen = snaplen;
	r->cap_bytes = total;
	pktring_hold_init(&r->hold, buf, hold);
	err = ring_setup_socket(r, ports, nports);
	if (err) {
		pktring_close(r);
		return err;
	}
	*out = r;
	return 0;
}

void pktring_close(struct pktring *r)
{
	struct arena a;

	if (!r)
		return;
	if (r->map)
		munmap(r->map, r->map_len);
	if (r->fd >= 0)
		close(r->fd);
	a = r->arena;
	arena_fini(&a);
}

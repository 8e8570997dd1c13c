/* SPDX-License-Identifier: GPL-2.0-only */
/* The built-in packet ring: AF_PACKET TPACKET_V3 with aod's own cBPF port filter, held in memory, written as a pcap. */
#ifndef AOD_PKTRING_H
#define AOD_PKTRING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/filter.h>

#include "arena.h"

#define PKTRING_MAX_PORTS 8
#define PKTRING_RETIRE_MS 200u	/* a block that is not full is handed over this long after its first packet */
#define PKTRING_FILTER_MAX (16 + 4 * PKTRING_MAX_PORTS)
#define PKTRING_SLL_LEN 16		/* LINKTYPE_LINUX_SLL's header, before each packet */
#define PKTRING_PCAP_HDR 24
#define PKTRING_REC_HDR 16
#define PKTRING_LINKTYPE_SLL 113
#define PKTRING_PCAP_MAGIC_NS 0xa1b23c4du	/* libpcap's nanosecond-resolution magic */

struct pktring_stats {
	uint64_t packets;		/* taken from the kernel's ring */
	uint64_t overwritten;		/* oldest packets dropped from the hold ring to make room */
	uint64_t kernel_drops;		/* PACKET_STATISTICS tp_drops: the kernel ring was full */
	uint64_t held_packets, held_bytes;
	uint64_t cap_bytes;		/* memory_kb: kernel ring + hold ring */
};

struct pktring;

/* Build the classic BPF filter for a socket of type SOCK_DGRAM (data starts at the network header):
 * IPv4 (unfragmented or first fragment) and IPv6 (TCP as the next header) TCP with the source or
 * destination port in ports; it returns keep bytes of a match, 0 otherwise. Returns the instruction count,
 * or -EINVAL for no ports or too many. */
int pktring_filter_build(struct sock_filter *out, int max, const uint16_t *ports, int nports, uint32_t keep);

/* The pcap file header for snaplen bytes per record (SLL header included), and one record's header. */
void pktring_pcap_header(unsigned char out[PKTRING_PCAP_HDR], uint32_t snaplen);
void pktring_pcap_record(unsigned char out[PKTRING_REC_HDR], uint32_t sec, uint32_t nsec, uint32_t incl,
			 uint32_t orig);

/* The hold ring alone (no socket), for tests: records are pcap records, oldest dropped to make room. */
struct hold {
	unsigned char *buf;
	size_t cap, head, tail, wrap_end;
	bool wrapped;
	uint64_t count, overwritten;
};
void pktring_hold_init(struct hold *h, void *buf, size_t cap);
/* Append one record (n bytes, a pcap record header first); false when n is larger than the ring. */
bool pktring_hold_put(struct hold *h, const void *rec, size_t n);
/* The held bytes, oldest first, as at most two spans. */
int pktring_hold_spans(const struct hold *h, const unsigned char *span[2], size_t len[2]);
size_t pktring_hold_bytes(const struct hold *h);

/* Open the socket on all interfaces with the filter for ports, snaplen bytes per record (SLL header
 * included) and memory_kb in all (the kernel's ring and the hold ring). The hold ring is an arena of its
 * own. 0 or -errno (-EPERM without CAP_NET_RAW). */
int pktring_open(struct pktring **out, const uint16_t *ports, int nports, uint32_t snaplen, uint32_t memory_kb);
int pktring_fd(const struct pktring *r);
/* Take every retired block into the hold ring and hand it back to the kernel. Never blocks. */
void pktring_consume(struct pktring *r);
/* Write the held packets as a pcap into fd, then empty the hold ring. 0 or -errno. */
int pktring_write_pcap(struct pktring *r, int fd);
void pktring_get_stats(struct pktring *r, struct pktring_stats *st);
void pktring_close(struct pktring *r);

#endif /* AOD_PKTRING_H */

/* SPDX-License-Identifier: GPL-2.0-only */
/* The event flight recorder: per-second SMB/NFS completion counts, log2 histograms and worst commands. */
#ifndef AOD_HISTORY_H
#define AOD_HISTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>

#include "../bpf/events.h"
#include "arena.h"
#include "config.h"

#define HISTORY_MAX_SECONDS CFG_HISTORY_MAX_SECONDS
#define HISTORY_BUCKETS 32	/* log2(us), the layout of the kernel's rows (MODSRC_HIST_BUCKETS) */
#define HISTORY_KSLOTS (2 + HISTORY_BUCKETS)	/* a kernel row: [0] completions, [1] errors, [2..] buckets */
/*
 * Commands itemised per second. One SMB or NFS workload seldom uses more than a dozen commands in a
 * second (open, close, read, write, getattr/query-info, lookup, access, sequence ...); the rows that
 * do not fit are added into one last "other" row, so no completion goes uncounted.
 */
#define HISTORY_ROWS 16
#define HISTORY_WORST 8		/* worst commands kept per second, and in history.json over the window */
#define HISTORY_PROTO_OTHER 0xffff	/* history_row.proto of the "other" row */
#define HISTORY_NPROTO 2	/* enum names_proto: NAMES_SMB, NAMES_NFS */
/* Rows of the kernel's histograms: SMB2 commands; NFSv4 and NFSv3 procedures plus "other" (nfs_source.h). */
#define HISTORY_KROWS { CFG_SMB2_NCMD, CFG_NFS_NOPS + 1 }

/* One command's completions in one second. */
struct history_row {
	uint16_t proto;		/* NAMES_SMB, NAMES_NFS, or HISTORY_PROTO_OTHER */
	uint16_t vers;		/* NFS version (3, 4); 0 for SMB */
	uint16_t op;		/* SMB2 command id, or the NFS client procedure index */
	uint16_t pad;
	uint32_t ok, failed;
	uint32_t hist[HISTORY_BUCKETS];	/* all completions, ok and failed, by log2(us) */
};

/* A worst command, as its record came (the ring buffer, or a recording). */
union history_ev {
	struct aod_ev_hdr h;
	struct aod_ev_smb smb;
	struct aod_ev_nfs nfs;
};

struct history_sec {
	int64_t sec_plus1;	/* CLOCK_MONOTONIC second + 1; 0: never filled, so zeroed memory is an empty ring */
	int32_t nrows, nworst;
	struct history_row rows[HISTORY_ROWS];
	union history_ev worst[HISTORY_WORST];	/* worst first */
};

/* The second a slot holds, -1 when never filled. */
static inline int64_t history_sec(const struct history_sec *x) { return x->sec_plus1 - 1; }

/*
 * The ring: flat, no pointers, so a bundle's snapshot is one memcpy of history_ring_bytes().
 * It holds seconds + 1 entries: the second being filled and the `seconds` whole ones before it.
 */
struct history_ring {
	uint32_t seconds;
	uint32_t cap;
	int64_t newest;		/* newest second held; -1 before the first */
	uint32_t newest_slot;	/* its index in sec[] */
	bool kernel_counts;	/* counts come from the kernel's histograms (daemon), not from records (replay) */
	uint64_t late;		/* completions older than the ring when they arrived */
	struct history_sec sec[];
};

struct history {
	struct history_ring *ring;
	uint32_t krows[HISTORY_NPROTO];		/* rows of each protocol's kernel histogram */
	uint64_t *kprev[HISTORY_NPROTO];	/* krows x HISTORY_KSLOTS: the kernel counters last read */
};

/* Bytes of one ring (a snapshot) of `seconds`; 0 when seconds is 0 (history off). */
size_t history_ring_bytes(uint32_t seconds);
/* Bytes history_init takes from the arena. */
size_t history_arena_need(uint32_t seconds);
/*
 * Everything from the arena, once at startup: the ring, and the last-read kernel counters of
 * HISTORY_KROWS (kernel_counts) or none (replay: the records are counted). -ENOMEM when the arena
 * is too small, -EINVAL for seconds 0 or over HISTORY_MAX_SECONDS.
 */
int history_init(struct history *h, struct arena *a, uint32_t seconds, bool kernel_counts);
/* Count n completions (failed of them failed) of one command at now_ns, buckets[HISTORY_BUCKETS] or NULL. */
void history_count(struct history_ring *r, unsigned proto, unsigned vers, unsigned op, uint64_t n, uint64_t failed,
		   const uint64_t *buckets, uint64_t now_ns);
/*
 * A kernel histogram row as read now (slots[HISTORY_KSLOTS], counted since the programs attached):
 * what it gained since the last read goes into now_ns's second. Counters that went back (the
 * module was reloaded and the programs attached anew) count from zero.
 */
void history_kernel_row(struct history *h, unsigned proto, unsigned row, unsigned vers, unsigned op,
			const uint64_t *slots, uint64_t now_ns);
/*
 * An SMB or NFS record at its own time (h->ts_ns): kept among its second's worst commands, and
 * counted as a completion unless the ring's counts come from the kernel (which counted it already).
 * Other kinds, and NFS status-error records (no latency: the RPC's completion carries it), are ignored.
 */
void history_event(struct history_ring *r, const struct aod_ev_hdr *ev);
/* The latency of a union history_ev: the key of its worst-first lists (topn_slot). */
uint64_t history_ev_latency(const void *ev);
/* Move the ring on to now_ns's second: the seconds in between are kept, empty. */
void history_advance(struct history_ring *r, uint64_t now_ns);
/* Copy the ring into dst (history_ring_bytes) and move the copy on to now_ns's second. */
void history_snapshot(const struct history_ring *r, struct history_ring *dst, uint64_t now_ns);
/*
 * history.json of a snapshot into buf: its seconds oldest first, each with its commands' counts and
 * histograms, then the worst commands of the whole window. When buf is too small the oldest seconds
 * are left out (and counted in the file) until it fits. Length, or -ENOSPC.
 */
int history_json(const struct history_ring *r, char *buf, size_t cap);
/* A history.json buffer big enough for the usual case (HISTORY_JSON_PER_SEC a second). */
size_t history_json_cap(uint32_t seconds);

#endif /* AOD_HISTORY_H */

// SPDX-License-Identifier: GPL-2.0-only
/* The event flight recorder: the last N seconds of every SMB/NFS completion, written as history.json. */
#include "history.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "hist.h"
#include "names.h"
#include "topn.h"

#define NS_PER_SEC 1000000000ull

size_t history_ring_bytes(uint32_t seconds)
{
	if (!seconds || seconds > HISTORY_MAX_SECONDS)
		return 0;
	return sizeof(struct history_ring) + (size_t)(seconds + 1) * sizeof(struct history_sec);
}

static const uint32_t krows[HISTORY_NPROTO] = HISTORY_KROWS;

size_t history_arena_need(uint32_t seconds)
{
	size_t n = history_ring_bytes(seconds) + 64;

	for (int p = 0; p < HISTORY_NPROTO; p++)
		n += (size_t)krows[p] * HISTORY_KSLOTS * sizeof(uint64_t) + 64;
	return n;
}

static void ring_init(struct history_ring *r, uint32_t seconds, bool kernel_counts)
{
	/*
	 * The ring comes zeroed from arena_alloc, and zero is "never filled" (sec_plus1): its slots
	 * (about 650 KiB) are not touched, so they cost no page faults at startup and no resident
	 * memory until their second comes.
	 */
	r->seconds = seconds;
	r->cap = seconds + 1;
	r->newest = -1;
	r->kernel_counts = kernel_counts;
}

int history_init(struct history *h, struct arena *a, uint32_t seconds, bool kernel_counts)
{
	size_t bytes = history_ring_bytes(seconds);

	memset(h, 0, sizeof(*h));
	if (!bytes)
		return -EINVAL;
	h->ring = arena_alloc(a, 1, bytes, _Alignof(struct history_ring));
	if (!h->ring)
		return -ENOMEM;
	ring_init(h->ring, seconds, kernel_counts);
	for (int p = 0; kernel_counts && p < HISTORY_NPROTO; p++) {
		h->krows[p] = krows[p];
		h->kprev[p] = krows[p] ? arena_new(a, uint64_t, (size_t)krows[p] * HISTORY_KSLOTS) : NULL;
		if (krows[p] && !h->kprev[p])
			return -ENOMEM;
	}
	return 0;
}

void history_advance(struct history_ring *r, uint64_t now_ns)
{
	int64_t s = (int64_t)(now_ns / NS_PER_SEC), from;

	if (s <= r->newest)
		return;
	/* Only the last cap seconds survive a jump: clearing more slots would clear them again. The
	 * seconds before the first are unknown, not empty, and stay unfilled. */
	from = r->newest < 0 ? s : s - r->newest > (int64_t)r->cap ? s - (int64_t)r->cap + 1 : r->newest + 1;
	for (int64_t t = from; t <= s; t++) {
		struct history_sec *x = &r->sec[(uint64_t)t % r->cap];

		x->sec_plus1 = t + 1;
		x->nrows = x->nworst = 0;
	}
	r->newest = s;
	r->newest_slot = (uint32_t)((uint64_t)s % r->cap);
}

/* now_ns's second, moving the ring on when it is new; NULL when it is older than the ring. */
static struct history_sec *second_of(struct history_ring *r, uint64_t now_ns)
{
	int64_t s = (int64_t)(now_ns / NS_PER_SEC);
	struct history_sec *x;

	if (s == r->newest)	/* nearly always: no modulo */
		return &r->sec[r->newest_slot];
	history_advance(r, now_ns);
	x = &r->sec[(uint64_t)s % r->cap];
	return history_sec(x) == s ? x : NULL;
}

static struct history_row *row_of(struct history_sec *x, unsigned proto, unsigned vers, unsigned op)
{
	struct history_row *w;

	for (int i = 0; i < x->nrows; i++) {
		w = &x->rows[i];
		if (w->proto == proto && w->vers == vers && w->op == op)
			return w;
	}
	if (x->nrows < HISTORY_ROWS - 1 || (x->nrows == HISTORY_ROWS - 1 && proto == HISTORY_PROTO_OTHER)) {
		w = &x->rows[x->nrows++];
		memset(w, 0, sizeof(*w));
		w->proto = (uint16_t)proto, w->vers = (uint16_t)vers, w->op = (uint16_t)op;
		return w;
	}
	return proto == HISTORY_PROTO_OTHER ? &x->rows[HISTORY_ROWS - 1] : row_of(x, HISTORY_PROTO_OTHER, 0, 0);
}

static uint32_t add32(uint32_t a, uint64_t b)
{
	return b > UINT32_MAX - a ? UINT32_MAX : a + (uint32_t)b;
}

void history_count(struct history_ring *r, unsigned proto, unsigned vers, unsigned op, uint64_t n, uint64_t failed,
		   const uint64_t *buckets, uint64_t now_ns)
{
	struct history_sec *x;
	struct history_row *w;

	if (!n) {
		history_advance(r, now_ns);	/* a quiet second is still a second */
		return;
	}
	x = second_of(r, now_ns);
	if (!x) {
		r->late += n;
		return;
	}
	w = row_of(x, proto, vers, op);
	w->ok = add32(w->ok, n - (failed < n ? failed : n));
	w->failed = add32(w->failed, failed < n ? failed : n);
	for (int b = 0; buckets && b < HISTORY_BUCKETS; b++)
		w->hist[b] = add32(w->hist[b], buckets[b]);
}

void history_kernel_row(struct history *h, unsigned proto, unsigned row, unsigned vers, unsigned op,
			const uint64_t *slots, uint64_t now_ns)
{
	uint64_t *prev, d[HISTORY_KSLOTS];
	bool reset;

	if (proto >= HISTORY_NPROTO || row >= h->krows[proto] || !h->kprev[proto])
		return;
	prev = h->kprev[proto] + (size_t)row * HISTORY_KSLOTS;
	reset = slots[0] < prev[0];
	for (int i = 0; i < HISTORY_KSLOTS; i++)
		d[i] = reset || slots[i] < prev[i] ? slots[i] : slots[i] - prev[i];
	memcpy(prev, slots, sizeof(d));
	history_count(h->ring, proto, vers, op, d[0], d[1], d + 2, now_ns);
}

uint64_t history_ev_latency(const void *p)
{
	const union history_ev *e = p;

	return e->h.kind == AOD_EV_NFS ? e->nfs.latency_ns : e->smb.latency_ns;
}

/* What history keeps of a record: false for another kind, or an NFS status error (not a completion). */
static bool ev_facts(const struct aod_ev_hdr *ev, unsigned *proto, unsigned *vers, unsigned *op, bool *failed,
		     uint64_t *lat)
{
	if (ev->kind == AOD_EV_SMB && ev->size >= sizeof(struct aod_ev_smb)) {
		const struct aod_ev_smb *e = (const void *)ev;

		*proto = NAMES_SMB, *vers = 0, *op = e->cmd, *lat = e->latency_ns;
		/* as the kernel counts it: SESSION_SETUP's MORE_PROCESSING_REQUIRED is no failure */
		*failed = (e->status && e->status != AOD_NT_STATUS_MORE_PROCESSING_REQUIRED) || e->rc;
		return true;
	}
	if (ev->kind == AOD_EV_NFS && ev->size >= sizeof(struct aod_ev_nfs)) {
		const struct aod_ev_nfs *e = (const void *)ev;

		if (e->op != AOD_NFS_NO_OP)	/* an nfs4_xdr_status record */
			return false;
		*proto = NAMES_NFS, *vers = e->vers, *op = e->proc, *lat = e->latency_ns;
		*failed = e->rpc_status < 0 || (e->flags & AOD_NFS_ERR);
		return true;
	}
	return false;
}

/*
 * Called for every record replay feeds (millions a second), so it touches no more than it must: one
 * row's counters, and a copy of the record only when it is among its second's worst.
 */
void history_event(struct history_ring *r, const struct aod_ev_hdr *ev)
{
	unsigned proto, vers, op;
	struct history_sec *x;
	struct history_row *w;
	uint64_t lat;
	bool failed;
	int i;

	if (!ev_facts(ev, &proto, &vers, &op, &failed, &lat))
		return;
	x = second_of(r, ev->ts_ns);
	if (!x) {
		r->late += !r->kernel_counts;
		return;
	}
	if (!r->kernel_counts) {
		w = row_of(x, proto, vers, op);
		if (failed)
			w->failed += w->failed < UINT32_MAX;
		else
			w->ok += w->ok < UINT32_MAX;
		i = hist_slot(lat / 1000, HISTORY_BUCKETS);
		w->hist[i] += w->hist[i] < UINT32_MAX;
	}
	if (x->nworst == HISTORY_WORST && history_ev_latency(&x->worst[HISTORY_WORST - 1]) >= lat)
		return;
	i = topn_slot(x->worst, sizeof(x->worst[0]), &x->nworst, HISTORY_WORST, lat, history_ev_latency);
	if (i >= 0) {
		memset(&x->worst[i], 0, sizeof(x->worst[i]));
		memcpy(&x->worst[i], ev, proto == NAMES_NFS ? sizeof(struct aod_ev_nfs) : sizeof(struct aod_ev_smb));
	}
}

void history_snapshot(const struct history_ring *r, struct history_ring *dst, uint64_t now_ns)
{
	memcpy(dst, r, history_ring_bytes(r->seconds));
	history_advance(dst, now_ns);
}

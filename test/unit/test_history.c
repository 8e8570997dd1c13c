// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for the history ring and history.json: wrap, empty seconds, kernel deltas, the arena bound. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../../src/dirlist.c"
#include "../../src/arena.c"
#include "../../src/json.c"
#include "../../src/names.c"
#include "../../src/io.c"
#include "../../src/kmsg_record.c"
#include "../../src/text.c"
#include "../../src/topn.c"
#include "../../src/actions.c"
#include "../../src/inet_diag.c"
#include "../../src/family.c"
#include "../../src/shares.c"
#include "../../src/manifest.c"
#include "../../src/tcp_state.c"
#include "../../src/hist.c"
#include "../../src/history.c"
#include "../../src/history_json.c"
#include "../../src/log.c"
#include "../../src/loop.c"

#include "check.h"

#define SEC 1000000000ull
#define MS 1000000ull

static union history_ev smb(uint64_t ts, unsigned cmd, uint64_t lat, uint32_t status)
{
	union history_ev e;

	memset(&e, 0, sizeof(e));
	e.smb.h.kind = AOD_EV_SMB;
	e.smb.h.size = sizeof(e.smb);
	e.smb.h.ts_ns = ts;
	e.smb.h.pid = 77;
	memcpy(e.smb.h.comm, "dd", 3);
	e.smb.cmd = (uint16_t)cmd;
	e.smb.latency_ns = lat;
	e.smb.mid = lat;
	e.smb.status = status;
	return e;
}

static void feed(struct history *h, uint64_t ts, unsigned cmd, uint64_t lat)
{
	union history_ev e = smb(ts, cmd, lat, 0);

	history_event(h->ring, &e.h);
}

static const struct history_sec *sec_of(const struct history_ring *r, int64_t s)
{
	const struct history_sec *x = &r->sec[(uint64_t)s % r->cap];

	return history_sec(x) == s ? x : NULL;
}

static uint64_t total(const struct history_sec *x)
{
	uint64_t n = 0;

	for (int i = 0; x && i < x->nrows; i++)
		n += x->rows[i].ok + x->rows[i].failed;
	return n;
}

static size_t count_str(const char *s, const char *needle)
{
	size_t n = 0;

	for (const char *p = s; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static struct arena a;
static char json[1 << 20];

static void test_bounds(void)
{
	static unsigned char buf[1 << 20];
	struct history h;
	size_t need = history_arena_need(30);
	struct arena small;

	CHECK(history_ring_bytes(0) == 0 && history_ring_bytes(HISTORY_MAX_SECONDS + 1) == 0);
	arena_init_buffer(&a, buf, sizeof(buf));
	CHECK(history_init(&h, &a, 0, false) == -EINVAL);
	CHECK(history_init(&h, &a, HISTORY_MAX_SECONDS + 1, false) == -EINVAL);
	/* the budget in history.h: about 3 KiB a second, so the default 30 s stays near 100 KiB */
	CHECK(sizeof(struct history_sec) <= 3200);
	CHECK(history_ring_bytes(30) == sizeof(struct history_ring) + 31 * sizeof(struct history_sec));
	CHECK(need < 160 * 1024);
	/* exactly the need fits; a page less does not, and says so */
	arena_init_buffer(&small, buf, need);
	CHECK(history_init(&h, &small, 30, true) == 0 && small.used <= need);
	arena_init_buffer(&small, buf, need - 4096);
	CHECK(history_init(&h, &small, 30, true) == -ENOMEM);
	/* no allocation per event: a million records leave the arena where it was */
	arena_init_buffer(&a, buf, sizeof(buf));
	CHECK(history_init(&h, &a, 30, false) == 0);
	size_t used = a.used;
	for (uint64_t i = 0; i < 1000000; i++)
		feed(&h, 100 * SEC + i * 100000, (unsigned)(i % 25), (i % 5000) * 1000);
	CHECK(a.used == used && a.failures == 0);
	CHECK(h.ring->newest == 100 + 1000000 / 10000 - 1);
}

/* seconds 100..109, 3 kept (+ the current): 106..109 survive; an older record is late */
static void test_wrap(void)
{
	static unsigned char buf[1 << 20];
	struct history h;
	int len;

	arena_init_buffer(&a, buf, sizeof(buf));
	CHECK(history_init(&h, &a, 3, false) == 0);
	for (int s = 100; s < 110; s++)
		for (int k = 0; k <= s - 100; k++)
			feed(&h, (uint64_t)s * SEC + (uint64_t)k * MS, 8, 500000);
	CHECK(h.ring->newest == 109);
	CHECK(!sec_of(h.ring, 105) && sec_of(h.ring, 106) && sec_of(h.ring, 109));
	CHECK(total(sec_of(h.ring, 106)) == 7 && total(sec_of(h.ring, 109)) == 10);
	feed(&h, 105 * SEC, 8, 1000);
	CHECK(h.ring->late == 1 && total(sec_of(h.ring, 106)) == 7);
	len = history_json(h.ring, json, sizeof(json));
	CHECK(len > 0);
	CHECK(count_str(json, "\"mono_s\"") == 4);
	CHECK(strstr(json, "\"mono_s\": 106") && !strstr(json, "\"mono_s\": 105"));
	CHECK(strstr(json, "\"rel_s\": -3") && strstr(json, "\"rel_s\": 0"));
	CHECK(strstr(json, "\"late\": 1"));
	/* 500 us falls in the [256, 512) us bucket */
	CHECK(strstr(json, "\"256\": 10"));
	/* a jump farther than the ring clears every slot */
	feed(&h, 200 * SEC, 8, 1000);
	CHECK(h.ring->newest == 200 && !sec_of(h.ring, 109) && sec_of(h.ring, 197) && total(sec_of(h.ring, 197)) == 0);
}

/* seconds with no events are in the timeline, with zero counts and no commands */
static void test_empty_seconds(void)
{
	static unsigned char buf[1 << 20];
	static struct history_ring *snap;
	struct history h;

	arena_init_buffer(&a, buf, sizeof(buf));
	CHECK(history_init(&h, &a, 5, false) == 0);
	feed(&h, 100 * SEC, 5, 300000);
	feed(&h, 103 * SEC + 5, 6, 300000);
	CHECK(sec_of(h.ring, 101) && total(sec_of(h.ring, 101)) == 0);
	CHECK(sec_of(h.ring, 102) && sec_of(h.ring, 102)->nrows == 0);
	/* the snapshot moves on to the anomaly's second; the live ring does not */
	snap = arena_alloc(&a, 1, history_ring_bytes(5), 64);
	history_snapshot(h.ring, snap, 104 * SEC + 1);
	CHECK(snap->newest == 104 && h.ring->newest == 103);
	CHECK(history_json(snap, json, sizeof(json)) > 0);
	CHECK(count_str(json, "\"mono_s\"") == 5);	/* 100..104: the ring reaches back to 99, never filled */
	CHECK(count_str(json, "\"commands\": []") == 3);	/* 101, 102, 104 */
	CHECK(strstr(json, "\"anomaly_mono_s\": 104"));
	CHECK(strstr(json, "\"command\": \"SMB2_CREATE\"") && strstr(json, "\"command\": \"SMB2_CLOSE\""));
}

/* the daemon: deltas of the kernel's cumulative rows; records only feed the worst list */
static void test_kernel_rows(void)
{
	static unsigned char buf[1 << 20];
	uint64_t slots[HISTORY_KSLOTS] = { 0 };
	union history_ev e = smb(100 * SEC + 5, 9, 300 * MS, 0);
	const struct history_sec *x;
	struct history h;

	arena_init_buffer(&a, buf, sizeof(buf));
	CHECK(history_init(&h, &a, 10, true) == 0);
	slots[0] = 10, slots[1] = 2, slots[2 + 3] = 10;
	history_kernel_row(&h, NAMES_SMB, 9, 0, 9, slots, 100 * SEC);
	history_event(h.ring, &e.h);
	x = sec_of(h.ring, 100);
	CHECK(x && x->nrows == 1 && x->rows[0].ok == 8 && x->rows[0].failed == 2 && x->rows[0].hist[3] == 10);
	CHECK(x && x->nworst == 1 && x->worst[0].smb.latency_ns == 300 * MS);
	slots[0] = 15, slots[2 + 3] = 15;
	history_kernel_row(&h, NAMES_SMB, 9, 0, 9, slots, 101 * SEC);
	x = sec_of(h.ring, 101);
	CHECK(x && x->nrows == 1 && x->rows[0].ok == 5 && x->rows[0].failed == 0 && x->rows[0].hist[3] == 5);
	/* nothing new: no row */
	history_kernel_row(&h, NAMES_SMB, 9, 0, 9, slots, 102 * SEC);
	CHECK(sec_of(h.ring, 102) && sec_of(h.ring, 102)->nrows == 0);
	/* the module reloaded: the counters start again from zero */
	memset(slots, 0, sizeof(slots));
	slots[0] = 3, slots[2 + 4] = 3;
	history_kernel_row(&h, NAMES_SMB, 9, 0, 9, slots, 103 * SEC);
	x = sec_of(h.ring, 103);
	CHECK(x && x->rows[0].ok == 3 && x->rows[0].hist[4] == 3);
	/* an NFSv3 WRITE row, and a row out of range that is ignored */
	slots[0] = 4;
	history_kernel_row(&h, NAMES_NFS, 69 + 7, 3, 7, slots, 103 * SEC);
	history_kernel_row(&h, NAMES_NFS, CFG_NFS_NOPS + 1, 0, 0, slots, 103 * SEC);
	CHECK(x->nrows == 2 && x->rows[1].proto == NAMES_NFS && x->rows[1].vers == 3 && x->rows[1].ok == 4);
	CHECK(history_json(h.ring, json, sizeof(json)) > 0 && strstr(json, "\"proc\": \"NFS3PROC_WRITE\"") &&
	      strstr(json, "every completion"));
}

/* more commands in a second than rows: the rest go into "other", none is lost */
static void test_rows_full(void)
{
	static unsigned char buf[1 << 20];
	const struct history_sec *x;
	struct history h;

	arena_init_buffer(&a, buf, sizeof(buf));
	CHECK(history_init(&h, &a, 2, false) == 0);
	for (unsigned c = 0; c < 20; c++)
		for (unsigned k = 0; k <= c; k++)
			feed(&h, 50 * SEC + c * MS + k, c, 1000);
	x = sec_of(h.ring, 50);
	CHECK(x && x->nrows == HISTORY_ROWS && total(x) == 210);
	CHECK(x->rows[HISTORY_ROWS - 1].proto == HISTORY_PROTO_OTHER);
	CHECK(x->rows[HISTORY_ROWS - 1].ok == 16 + 17 + 18 + 19 + 20);
	CHECK(history_json(h.ring, json, sizeof(json)) > 0 && strstr(json, "\"proto\": \"other\""));
}

/* the worst commands of the window, worst first; a failure counts as failed */
static void test_worst(void)
{
	static unsigned char buf[1 << 20];
	union history_ev e;
	struct history h;
	char *w;

	arena_init_buffer(&a, buf, sizeof(buf));
	CHECK(history_init(&h, &a, 5, false) == 0);
	for (unsigned i = 0; i < 40; i++)
		feed(&h, (60 + i % 4) * SEC + i, 8, (i * 37 % 40 + 1) * MS);
	e = smb(61 * SEC, 5, 2 * MS, 0xC0000022u);
	history_event(h.ring, &e.h);
	/* SESSION_SETUP's MORE_PROCESSING_REQUIRED is part of every setup, no failure */
	e = smb(61 * SEC, 1, 2 * MS, AOD_NT_STATUS_MORE_PROCESSING_REQUIRED);
	history_event(h.ring, &e.h);
	CHECK(history_json(h.ring, json, sizeof(json)) > 0);
	w = strstr(json, "\"worst\"");
	CHECK(w && count_str(w, "\"latency_ms\"") == HISTORY_WORST);
	CHECK(w && strstr(w, "\"latency_ms\": 40.0") && strstr(w, "\"latency_ms\": 33.0") &&
	      !strstr(w, "\"latency_ms\": 32.0"));
	CHECK(w && strstr(w, "40.0") < strstr(w, "39.0"));
	CHECK(strstr(json, "\"failed\": 1,") && !strstr(json, "\"failed\": 2,"));
}

/* a buffer too small for every second leaves out the oldest ones and keeps the worst commands */
static void test_too_small(void)
{
	static unsigned char buf[1 << 20];
	struct history h;
	int len;

	arena_init_buffer(&a, buf, sizeof(buf));
	CHECK(history_init(&h, &a, 30, false) == 0);
	for (unsigned s = 0; s < 31; s++)
		for (unsigned c = 0; c < 10; c++)
			feed(&h, (300 + s) * SEC + c, c, (c + 1) * 1000 + s * MS);
	len = history_json(h.ring, json, 24 * 1024);
	if (getenv("SHOW"))
		puts(json);
	CHECK(len > 0 && len < 24 * 1024);
	CHECK(!strstr(json, "\"seconds_left_out\": 0,") && strstr(json, "\"mono_s\": 330"));
	CHECK(!strstr(json, "\"mono_s\": 300,") && count_str(strstr(json, "\"worst\""), "\"latency_ms\"") == 8);
	CHECK(history_json(h.ring, json, 64) == -ENOSPC);
	CHECK(history_json(h.ring, json, history_json_cap(30)) > 0 && strstr(json, "\"seconds_left_out\": 0,"));
}

/* A new ring's slots are not touched: an idle daemon's history costs no page faults or resident memory. */
static void test_untouched(void)
{
	long page = sysconf(_SC_PAGESIZE);
	struct history h;
	struct arena ma;
	unsigned char *vec;
	size_t len, i, resident = 0;

	CHECK(arena_init(&ma, 16u << 20) == 0);
	CHECK(history_init(&h, &ma, 60, false) == 0);
	len = history_ring_bytes(60) & ~(size_t)(page - 1);
	vec = calloc(len / (size_t)page + 1, 1);
	CHECK(vec && mincore(ma.base, len, vec) == 0);
	for (i = 1; vec && i < len / (size_t)page; i++)	/* page 0 holds the ring's header */
		resident += vec[i] & 1;
	CHECK(resident == 0);
	/* and an untouched slot reads as never filled */
	CHECK(history_sec(&h.ring->sec[h.ring->cap - 1]) == -1);
	free(vec);
	arena_fini(&ma);
}

int main(void)
{
	test_bounds();
	test_wrap();
	test_empty_seconds();
	test_kernel_rows();
	test_rows_full();
	test_worst();
	test_too_small();
	test_untouched();
	return CHECK_DONE();
}

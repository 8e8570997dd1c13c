// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for detect.c: window edges, the 1 s emergency, thresholds, error rules, worst-N, SMB and NFS. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/text.c"
#include "../../src/names.c"
#include "../../src/family.c"
#include "../../src/io.c"
#include "../../src/dirlist.c"
#include "../../src/arena.c"
#include "../../src/shares.c"
#include "../../src/detect.c"
#include "check.h"

#define MS 1000000ull
#define SEC 1000000000ull
#define T0 (1000 * SEC)
#define CMD_CREATE 5
#define CMD_READ 8
#define CMD_WRITE 9
#define CMD_SESSION_SETUP 1
#define ST_ACCESS_DENIED 0xC0000022u
#define ST_IO_TIMEOUT 0xC00000B5u

static struct cfg_config cfg;
static struct detect det;	/* large: keep it off the stack */
static struct detect_anomaly out[CFG_MAX_ANOMALIES * CFG_MAX_RULES];
static struct detect_anomaly one;

static struct cfg_anomaly *add_latency(uint32_t acceptable, uint64_t default_ns)
{
	struct cfg_anomaly *an = &cfg.anomalies[cfg.nanomalies++];

	memset(an, 0, sizeof(*an));
	strcpy(an->name, "latency");
	strcpy(an->proto, "smb");
	an->type = CFG_LATENCY;
	an->acceptable_count = acceptable;
	for (int c = 0; c < CFG_SMB2_NCMD; c++)
		an->threshold_ns[c] = default_ns;
	an->ops = cfg_ops_all(CFG_SMB2_NCMD);
	return an;
}

static struct cfg_anomaly *add_error(void)
{
	struct cfg_anomaly *an = &cfg.anomalies[cfg.nanomalies++];

	memset(an, 0, sizeof(*an));
	strcpy(an->name, "error");
	strcpy(an->proto, "smb");
	an->type = CFG_ERROR;
	return an;
}

/* A set of ops from a mask of the first 32 (SMB2 commands, the NFS procedures the tests use). */
static struct cfg_ops ops32(uint32_t mask)
{
	struct cfg_ops s = { { mask } };

	return s;
}

static struct cfg_error_rule *add_rule(struct cfg_anomaly *an, uint32_t acceptable, uint32_t cmd_mask)
{
	struct cfg_error_rule *r = &an->rules[an->nrules++];

	memset(r, 0, sizeof(*r));
	snprintf(r->name, sizeof(r->name), "rule%d", an->nrules - 1);
	r->acceptable_count = acceptable;
	r->ops = ops32(cmd_mask);
	return r;
}

static void code(struct cfg_code *c, bool nt, uint32_t v)
{
	c->space = nt ? NAMES_CODE_NTSTATUS : NAMES_CODE_ERRNO;
	c->value = v;
}

static void reset(void)
{
	memset(&cfg, 0, sizeof(cfg));
	cfg.watch_interval_sec = 1;
}

static union detect_event smb(uint64_t ts, int cmd, uint64_t lat, uint32_t status, int rc)
{
	union detect_event e;

	memset(&e, 0, sizeof(e));
	e.h.kind = AOD_EV_SMB;
	e.h.size = sizeof(struct aod_ev_smb);
	e.h.ts_ns = ts;
	e.h.pid = 4242;
	strcpy(e.h.comm, "cp");
	e.smb.cmd = (uint16_t)cmd;
	e.smb.latency_ns = lat;
	e.smb.status = status;
	e.smb.rc = rc;
	e.smb.mid = ts / 1000;
	if (status || rc)
		e.smb.flags = AOD_SMB_ERR;
	return e;
}

static bool matches(const struct cfg_error_rule *r, int cmd, uint32_t status, int rc)
{
	union detect_event e = smb(0, cmd, MS, status, rc);

	return detect_error_matches(r, &e.smb);
}

/* Feed n events, return how many fired at once. */
static int feed_n(int n, uint64_t ts, int cmd, uint64_t lat, uint32_t status, int rc)
{
	int fired = 0;

	for (int i = 0; i < n; i++) {
		union detect_event e = smb(ts + (uint64_t)i * MS, cmd, lat, status, rc);

		fired += detect_feed(&det, &e, &one);
	}
	return fired;
}

static int close_at(uint64_t ts)
{
	return detect_close_window(&det, ts, out, (int)(sizeof(out) / sizeof(out[0])));
}

static void test_exact_count(void)
{
	reset();
	add_latency(10, 10 * MS);
	detect_init(&det, &cfg, T0);
	CHECK(feed_n(10, T0, CMD_WRITE, 10 * MS, 0, 0) == 0);	/* exactly at threshold counts */
	CHECK(close_at(T0 + SEC) == 1);
	CHECK(out[0].anomaly == 0 && out[0].rule == -1 && !out[0].emergency);
	CHECK(out[0].count == 10 && out[0].worst == 10 * MS && out[0].ts_ns == T0 + SEC);
	CHECK(det.window_start_ns == T0 + SEC);

	CHECK(feed_n(9, T0 + SEC, CMD_WRITE, 50 * MS, 0, 0) == 0);
	CHECK(feed_n(5, T0 + SEC, CMD_WRITE, 10 * MS - 1, 0, 0) == 0);	/* just under: no count */
	CHECK(close_at(T0 + 2 * SEC) == 0);
}

static void test_two_windows(void)
{
	reset();
	add_latency(10, 10 * MS);
	detect_init(&det, &cfg, T0);
	feed_n(6, T0 + 900 * MS, CMD_READ, 20 * MS, 0, 0);
	CHECK(!detect_window_due(&det, T0 + 999 * MS));
	CHECK(detect_window_due(&det, T0 + SEC));
	CHECK(close_at(T0 + SEC) == 0);
	feed_n(6, T0 + SEC, CMD_READ, 20 * MS, 0, 0);
	CHECK(close_at(T0 + 2 * SEC) == 0);	/* 6 + 6 across the edge never adds up */
	CHECK(close_at(T0 + 3 * SEC) == 0);	/* an empty window with acceptable 0 would too */
}

static void test_emergency(void)
{
	union detect_event e;

	reset();
	add_latency(10, 10 * MS);
	detect_init(&det, &cfg, T0);
	e = smb(T0 + 100 * MS, CMD_READ, DETECT_EMERGENCY_NS - 1, 0, 0);
	CHECK(detect_feed(&det, &e, &one) == 0);
	e = smb(T0 + 200 * MS, CMD_READ, 1500 * MS, 0, 0);
	memset(&one, 0, sizeof(one));
	CHECK(detect_feed(&det, &e, &one) == 1);
	CHECK(one.emergency && one.anomaly == 0 && one.rule == -1);
	CHECK(one.ts_ns == T0 + 200 * MS && one.worst == 1500 * MS && one.count == 2);
	CHECK(one.nworst == 2 && one.worst_events[0].smb.latency_ns == 1500 * MS);
	e = smb(T0 + 300 * MS, CMD_WRITE, 2 * SEC, 0, 0);
	CHECK(detect_feed(&det, &e, &one) == 0);	/* once per window */
	CHECK(feed_n(7, T0 + 400 * MS, CMD_WRITE, 20 * MS, 0, 0) == 0);
	/* the later ones still counted: 3 + 7 reaches 10 at the close */
	CHECK(close_at(T0 + SEC) == 1);
	CHECK(out[0].count == 10 && !out[0].emergency && out[0].worst == 2 * SEC);
	e = smb(T0 + SEC + 5 * MS, CMD_READ, SEC, 0, 0);	/* exactly 1 s, new window */
	CHECK(detect_feed(&det, &e, &one) == 1 && one.emergency && one.count == 1);

	/* the 1 s rule applies even when the command's threshold is higher */
	reset();
	add_latency(10, 5 * SEC);
	detect_init(&det, &cfg, T0);
	e = smb(T0, CMD_READ, 1200 * MS, 0, 0);
	CHECK(detect_feed(&det, &e, &one) == 1 && one.emergency);
}

/*
 * One slow command is one bundle: the emergency hands out the events counted so far, and the window's
 * close fires again only for events that came after it (the guest bench's 1.12 s SMB command wrote an
 * emergency bundle and then, at acceptable_count 1, a window bundle holding the same command).
 */
static void test_emergency_not_twice(void)
{
	union detect_event e;

	reset();
	add_latency(1, SEC);
	detect_init(&det, &cfg, T0);
	e = smb(T0 + 100 * MS, CMD_READ, 1120 * MS, 0, 0);
	CHECK(detect_feed(&det, &e, &one) == 1 && one.emergency && one.count == 1 && one.bundled == 0);
	CHECK(close_at(T0 + SEC) == 0);		/* the same command: no second bundle */
	/* two anomalies track READ: the second's emergency, left pending, is handed out by the close, still once */
	reset();
	add_latency(1, SEC);
	add_latency(1, SEC);
	detect_init(&det, &cfg, T0);
	CHECK(detect_feed(&det, &e, &one) == 1 && one.anomaly == 0);
	CHECK(close_at(T0 + SEC) == 1 && out[0].anomaly == 1 && out[0].emergency);
	reset();
	add_latency(1, SEC);
	detect_init(&det, &cfg, T0);
	CHECK(detect_feed(&det, &e, &one) == 1);
	/* one more over the threshold after it: the window fires for that one alone, saying one was bundled */
	e = smb(T0 + 300 * MS, CMD_WRITE, 1050 * MS, 0, 0);
	CHECK(detect_feed(&det, &e, &one) == 0);	/* once per window */
	CHECK(close_at(T0 + SEC) == 1);
	CHECK(!out[0].emergency && out[0].count == 2 && out[0].bundled == 1);
	CHECK(out[0].nworst == 1 && out[0].worst_events[0].smb.cmd == CMD_WRITE && out[0].worst == 1050 * MS);
	CHECK(out[0].shares.n == 1 && out[0].shares.e[0].count == 1);

	/* acceptable_count 3: the emergency's events still count toward it, but are not listed again */
	reset();
	add_latency(3, 10 * MS);
	detect_init(&det, &cfg, T0);
	CHECK(feed_n(1, T0, CMD_WRITE, 20 * MS, 0, 0) == 0);
	e = smb(T0 + 100 * MS, CMD_READ, 1500 * MS, 0, 0);
	CHECK(detect_feed(&det, &e, &one) == 1 && one.count == 2 && one.nworst == 2);
	CHECK(close_at(T0 + SEC) == 0);		/* 2 < 3, and nothing after the emergency */
	CHECK(feed_n(1, T0 + SEC, CMD_WRITE, 20 * MS, 0, 0) == 0);
	e = smb(T0 + SEC + 100 * MS, CMD_READ, 1500 * MS, 0, 0);
	CHECK(detect_feed(&det, &e, &one) == 1 && one.count == 2);
	CHECK(feed_n(1, T0 + SEC + 200 * MS, CMD_WRITE, 30 * MS, 0, 0) == 0);
	CHECK(close_at(T0 + 2 * SEC) == 1);
	CHECK(out[0].count == 3 && out[0].bundled == 2 && out[0].nworst == 1 && out[0].worst == 30 * MS);
	/* the next window starts clean */
	CHECK(feed_n(1, T0 + 2 * SEC, CMD_WRITE, 20 * MS, 0, 0) == 0);
	CHECK(close_at(T0 + 3 * SEC) == 0);
	CHECK(feed_n(3, T0 + 3 * SEC, CMD_WRITE, 20 * MS, 0, 0) == 0);
	CHECK(close_at(T0 + 4 * SEC) == 1 && out[0].count == 3 && out[0].bundled == 0 && out[0].nworst == 3);
}

static void test_untracked_and_thresholds(void)
{
	struct cfg_anomaly *an;
	union detect_event e;

	reset();
	an = add_latency(2, 10 * MS);
	an->ops = ops32((1u << CMD_WRITE) | (1u << CMD_READ));
	an->threshold_ns[CMD_WRITE] = 50 * MS;
	an->threshold_ns[CMD_READ] = 30 * MS;
	detect_init(&det, &cfg, T0);
	e = smb(T0, CMD_CREATE, 3 * SEC, 0, 0);	/* untracked: not even the emergency */
	CHECK(detect_feed(&det, &e, &one) == 0);
	feed_n(5, T0, CMD_CREATE, 500 * MS, 0, 0);
	feed_n(5, T0, CMD_WRITE, 40 * MS, 0, 0);	/* under WRITE's 50 ms */
	CHECK(close_at(T0 + SEC) == 0);
	feed_n(2, T0 + SEC, CMD_READ, 40 * MS, 0, 0);	/* over READ's 30 ms */
	CHECK(close_at(T0 + 2 * SEC) == 1 && out[0].count == 2);
	feed_n(1, T0 + 2 * SEC, CMD_WRITE, 50 * MS, 0, 0);
	feed_n(1, T0 + 2 * SEC, CMD_READ, 29 * MS, 0, 0);
	CHECK(close_at(T0 + 3 * SEC) == 0);
	e = smb(T0 + 3 * SEC, 20, 5 * SEC, 0, 0);	/* command id out of range */
	CHECK(detect_feed(&det, &e, &one) == 0);
	e = smb(T0 + 3 * SEC, 0xffff, 5 * SEC, 0, 0);
	CHECK(detect_feed(&det, &e, &one) == 0);
	/* errors never count as latency */
	feed_n(3, T0 + 3 * SEC, CMD_READ, 2 * SEC, ST_IO_TIMEOUT, -EIO);
	CHECK(close_at(T0 + 4 * SEC) == 0);
}

static void test_two_latency_anomalies(void)
{
	union detect_event e;
	int n;

	reset();
	add_latency(10, 10 * MS);
	add_latency(10, 100 * MS)->ops = ops32(1u << CMD_READ);
	detect_init(&det, &cfg, T0);
	e = smb(T0, CMD_READ, 2 * SEC, 0, 0);
	CHECK(detect_feed(&det, &e, &one) == 1 && one.anomaly == 0);
	CHECK(detect_take_pending(&det, &one) == 1 && one.anomaly == 1 && one.emergency);
	CHECK(detect_take_pending(&det, &one) == 0);
	/* left pending, the second is handed out by the next feed */
	e = smb(T0 + SEC + MS, CMD_READ, 2 * SEC, 0, 0);
	close_at(T0 + SEC);
	CHECK(detect_feed(&det, &e, &one) == 1 && one.anomaly == 0);
	e = smb(T0 + SEC + 2 * MS, CMD_READ, MS, 0, 0);
	CHECK(detect_feed(&det, &e, &one) == 1 && one.anomaly == 1 && one.count == 1);
	/* ... or by the close */
	e = smb(T0 + 2 * SEC + MS, CMD_READ, 2 * SEC, 0, 0);
	close_at(T0 + 2 * SEC);
	CHECK(detect_feed(&det, &e, &one) == 1 && one.anomaly == 0);
	n = close_at(T0 + 3 * SEC);
	CHECK(n == 1 && out[0].anomaly == 1 && out[0].emergency);
	/* 50 ms READs count only for the first */
	feed_n(10, T0 + 3 * SEC, CMD_READ, 50 * MS, 0, 0);
	n = close_at(T0 + 4 * SEC);
	CHECK(n == 1 && out[0].anomaly == 0);
	/* no room: counted as lost, not written past max */
	feed_n(10, T0 + 4 * SEC, CMD_READ, 500 * MS, 0, 0);
	CHECK(detect_close_window(&det, T0 + 5 * SEC, out, 1) == 1 && det.anomalies_lost == 1);
}

static void test_error_rules(void)
{
	struct cfg_anomaly *an;
	struct cfg_error_rule *r0, *r1, *r2;
	int n;

	reset();
	add_latency(10, 10 * MS);
	an = add_error();
	r0 = add_rule(an, 3, 1u << CMD_CREATE);		/* EACCES on CREATE, by errno */
	code(&r0->codes[r0->ncodes++], false, EACCES);
	r1 = add_rule(an, 2, (1u << CFG_SMB2_NCMD) - 1);	/* IO_TIMEOUT anywhere, by NT status */
	code(&r1->codes[r1->ncodes++], true, ST_IO_TIMEOUT);
	r2 = add_rule(an, 4, (1u << CFG_SMB2_NCMD) - 1);	/* every error but ENOENT */
	code(&r2->exclude[r2->nexclude++], false, ENOENT);
	detect_init(&det, &cfg, T0);

	CHECK(feed_n(3, T0, CMD_CREATE, MS, ST_ACCESS_DENIED, -EACCES) == 0);	/* r0 3, r2 3 */
	CHECK(feed_n(1, T0, CMD_READ, MS, ST_IO_TIMEOUT, -EIO) == 0);		/* r1 1, r2 4 */
	CHECK(feed_n(5, T0, CMD_CREATE, MS, 0xC0000034, -ENOENT) == 0);		/* excluded by r2 */
	CHECK(feed_n(2, T0, CMD_READ, MS, 0, -EACCES) == 0);	/* EACCES off CREATE: r2 only */
	n = close_at(T0 + SEC);
	CHECK(n == 2);
	CHECK(out[0].anomaly == 1 && out[0].rule == 0 && out[0].count == 3);
	CHECK(out[1].anomaly == 1 && out[1].rule == 2 && out[1].count == 6);
	CHECK(out[0].nworst == 3 && out[0].worst_events[0].smb.status == ST_ACCESS_DENIED);

	/* NT status matched without an errno, and errno without a status */
	CHECK(feed_n(2, T0 + SEC, CMD_WRITE, MS, ST_IO_TIMEOUT, 0) == 0);
	n = close_at(T0 + 2 * SEC);
	CHECK(n == 1 && out[0].rule == 1 && out[0].count == 2);
	CHECK(feed_n(3, T0 + 2 * SEC, CMD_CREATE, MS, 0, -EACCES) == 0);
	n = close_at(T0 + 3 * SEC);
	CHECK(n == 1 && out[0].rule == 0);	/* r2 has 3 < 4 */
	/* an errno code does not match the same number as a status, and vice versa */
	CHECK(!matches(r0, CMD_CREATE, EACCES, 0));
	r1->codes[0].value = EACCES;	/* now an NT status that happens to be 13 */
	CHECK(!matches(r1, CMD_CREATE, 0, -EACCES));
	CHECK(matches(r1, CMD_CREATE, EACCES, 0));
	CHECK(matches(r2, CMD_CREATE, 0, -EIO));
	CHECK(!matches(r2, CMD_CREATE, 0, -ENOENT));
	CHECK(!matches(r0, 20, 0, -EACCES));
}

static void test_more_processing_ignored(void)
{
	struct cfg_anomaly *an;
	struct cfg_error_rule *r;
	union detect_event e;

	reset();
	an = add_error();
	add_rule(an, 1, (1u << CFG_SMB2_NCMD) - 1);	/* no codes: every error */
	r = add_rule(an, 1, 1u << CMD_SESSION_SETUP);
	code(&r->codes[r->ncodes++], true, AOD_NT_STATUS_MORE_PROCESSING_REQUIRED);
	detect_init(&det, &cfg, T0);
	CHECK(feed_n(50, T0, CMD_SESSION_SETUP, MS, AOD_NT_STATUS_MORE_PROCESSING_REQUIRED, 0) == 0);
	CHECK(close_at(T0 + SEC) == 0);
	e = smb(0, CMD_SESSION_SETUP, MS, AOD_NT_STATUS_MORE_PROCESSING_REQUIRED, 0);
	CHECK(!detect_error_matches(&an->rules[0], &e.smb));
	CHECK(!detect_error_matches(r, &e.smb));

	/* ... while its latency counts like a success */
	reset();
	add_latency(1, 10 * MS);
	detect_init(&det, &cfg, T0);
	feed_n(1, T0, CMD_SESSION_SETUP, 20 * MS, AOD_NT_STATUS_MORE_PROCESSING_REQUIRED, 0);
	CHECK(close_at(T0 + SEC) == 1 && out[0].count == 1);
}

static void test_worst_n(void)
{
	uint64_t lat[40];

	reset();
	add_latency(1, 10 * MS);
	detect_init(&det, &cfg, T0);
	srand(7);
	for (int i = 0; i < 40; i++) {
		union detect_event e;

		lat[i] = 10 * MS + (uint64_t)(rand() % 900) * MS + (uint64_t)i;	/* distinct */
		e = smb(T0 + (uint64_t)i * MS, CMD_WRITE, lat[i], 0, 0);
		detect_feed(&det, &e, &one);
	}
	CHECK(close_at(T0 + SEC) == 1);
	CHECK(out[0].count == 40 && out[0].nworst == DETECT_MAX_WORST);
	/* the kept ones, worst first, are exactly the 16 largest */
	for (int i = 0; i < 40; i++)
		for (int j = i + 1; j < 40; j++)
			if (lat[j] > lat[i]) {
				uint64_t t = lat[i];

				lat[i] = lat[j];
				lat[j] = t;
			}
	for (int i = 0; i < DETECT_MAX_WORST; i++)
		CHECK(out[0].worst_events[i].smb.latency_ns == lat[i]);
	CHECK(out[0].worst == lat[0]);
	CHECK(out[0].worst_events[0].h.size == sizeof(struct aod_ev_smb));
	CHECK(strcmp(out[0].worst_events[0].h.comm, "cp") == 0);

	/* manifest_events caps what is kept; errors keep the first N in arrival order */
	reset();
	cfg.manifest_events = 4;
	add_rule(add_error(), 1, (1u << CFG_SMB2_NCMD) - 1);
	detect_init(&det, &cfg, T0);
	for (int i = 0; i < 10; i++)
		feed_n(1, T0 + (uint64_t)i, CMD_CREATE, (uint64_t)(10 - i) * MS + (uint64_t)i * 7 * MS,
		       ST_ACCESS_DENIED, -EACCES);
	CHECK(close_at(T0 + SEC) == 1 && out[0].count == 10 && out[0].nworst == 4);
	for (int i = 0; i < 4; i++)
		CHECK(out[0].worst_events[i].h.ts_ns == T0 + (uint64_t)i);
}

static struct cfg_anomaly *add_health(enum cfg_health_kind k, uint32_t acceptable, uint64_t threshold)
{
	struct cfg_anomaly *an = &cfg.anomalies[cfg.nanomalies++];

	memset(an, 0, sizeof(*an));
	strcpy(an->proto, "health");
	an->type = CFG_HEALTH;
	an->health = k;
	an->acceptable_count = acceptable;
	an->threshold = threshold;
	return an;
}

static union detect_event health_ev(uint16_t kind, size_t size, uint64_t ts)
{
	union detect_event e;

	memset(&e, 0, sizeof(e));
	e.h.kind = kind;
	e.h.size = (uint16_t)size;
	e.h.ts_ns = ts;
	e.h.pid = 99;
	return e;
}

static void test_health_immediate_and_counts(void)
{
	union detect_event e;

	reset();
	add_health(CFG_H_OOM, 0, 0);
	add_health(CFG_H_TCP, 3, 0);
	add_health(CFG_H_FAULT, 0, 100);	/* no acceptable_count: threshold is the bar */
	detect_init(&det, &cfg, T0);
	e = health_ev(AOD_EV_OOM, sizeof(struct aod_ev_oom), T0 + 5);
	e.oom.victim_pid = 1234;
	CHECK(detect_feed(&det, &e, &one) == 1 && one.anomaly == 0 && one.emergency && one.ts_ns == T0 + 5);
	CHECK(one.nworst == 1 && one.worst_events[0].oom.victim_pid == 1234);
	CHECK(detect_feed(&det, &e, &one) == 0);	/* once per window */
	e = health_ev(AOD_EV_TCP_RETRANS, sizeof(struct aod_ev_tcp), T0 + 6);
	for (int i = 0; i < 3; i++)
		CHECK(detect_feed(&det, &e, &one) == 0);
	e = health_ev(AOD_EV_FAULT, sizeof(struct aod_ev_fault), T0 + 7);
	e.fault.method = AOD_FAULT_M_VMSTAT;
	e.fault.count = 60;
	detect_feed(&det, &e, &one);
	e.fault.count = 39;
	detect_feed(&det, &e, &one);	/* 99 < 100 */
	CHECK(close_at(T0 + SEC) == 1 && out[0].anomaly == 1 && out[0].count == 3 && out[0].worst == 3);
	e.fault.count = 40;
	detect_feed(&det, &e, &one);
	e.fault.method = AOD_FAULT_M_FEXIT;	/* one fault per record */
	e.fault.count = 1;
	for (int i = 0; i < 60; i++)
		detect_feed(&det, &e, &one);
	CHECK(close_at(T0 + 2 * SEC) == 1 && out[0].anomaly == 2 && out[0].count == 100);
	e = health_ev(AOD_EV_OOM, sizeof(struct aod_ev_oom), T0 + 2 * SEC);
	CHECK(detect_feed(&det, &e, &one) == 1);	/* a new window fires again */
	e = health_ev(AOD_EV_KMSG, sizeof(struct aod_ev_kmsg), T0 + 2 * SEC);
	CHECK(detect_feed(&det, &e, &one) == 0);	/* no kmsg anomaly configured */
	e.h.kind = 200;				/* unknown kinds are ignored */
	CHECK(detect_feed(&det, &e, &one) == 0);
	CHECK(det.events_seen == 71);
}

static void test_health_latency(void)
{
	union detect_event e;

	reset();
	add_health(CFG_H_SCHED, 2, 1000);	/* 1 ms */
	add_health(CFG_H_VFS, 1, 50000);	/* 50 ms */
	add_health(CFG_H_KMSG, 0, 0);
	detect_init(&det, &cfg, T0);
	e = health_ev(AOD_EV_SCHED, sizeof(struct aod_ev_sched), T0);
	e.sched.latency_ns = 999999;
	detect_feed(&det, &e, &one);
	e.sched.latency_ns = 1 * MS;
	detect_feed(&det, &e, &one);
	e = health_ev(AOD_EV_VFS, sizeof(struct aod_ev_vfs), T0);
	e.vfs.latency_ns = 49 * MS;
	detect_feed(&det, &e, &one);
	CHECK(close_at(T0 + SEC) == 0);	/* sched 1 < 2, vfs under its bar */
	e.vfs.latency_ns = 2 * SEC;		/* health latencies have no 1 s emergency */
	CHECK(detect_feed(&det, &e, &one) == 0);
	e = health_ev(AOD_EV_SCHED, sizeof(struct aod_ev_sched), T0 + SEC);
	e.sched.latency_ns = 3 * MS;
	detect_feed(&det, &e, &one);
	e.sched.latency_ns = 7 * MS;
	detect_feed(&det, &e, &one);
	e = health_ev(AOD_EV_BIO, sizeof(struct aod_ev_bio), T0 + SEC);	/* no bio anomaly */
	e.bio.latency_ns = 9 * SEC;
	CHECK(detect_feed(&det, &e, &one) == 0);
	CHECK(close_at(T0 + 2 * SEC) == 2);
	CHECK(out[0].anomaly == 0 && out[0].count == 2 && out[0].worst == 7 * MS);
	CHECK(out[0].worst_events[0].sched.latency_ns == 7 * MS);
	CHECK(out[1].anomaly == 1 && out[1].worst == 2 * SEC);
	e = health_ev(AOD_EV_KMSG, sizeof(struct aod_ev_kmsg), T0 + 2 * SEC);
	strcpy(e.kmsg.text, "INFO: task cp:4242 blocked for more than 120 seconds.");
	CHECK(detect_feed(&det, &e, &one) == 1 && one.anomaly == 2 && one.emergency);
	CHECK(strstr(one.worst_events[0].kmsg.text, "blocked") != NULL);
	CHECK(close_at(T0 + 3 * SEC) == 0);	/* fired at once, not again at the close */
}

/* ---- NFS ---- */

#define NFS4_READ 1		/* NFSPROC4_CLNT_READ */
#define NFS4_WRITE 2
#define NFS4_REMOVE 21
#define NFS3_READ 6		/* NFS3PROC_READ */
#define NFS3_REMOVE 12
#define OP_READ 25
#define OP_WRITE 38
#define OP_REMOVE 28
#define NFS4ERR_ROFS_ 30
#define NFS4ERR_BAD_STATEID_ 10025

static union detect_event nfs(uint64_t ts, unsigned vers, unsigned proc, uint64_t lat)
{
	union detect_event e;

	memset(&e, 0, sizeof(e));
	e.h.kind = AOD_EV_NFS;
	e.h.size = sizeof(struct aod_ev_nfs);
	e.h.ts_ns = ts;
	e.h.pid = 777;
	strcpy(e.h.comm, "dd");
	e.nfs.vers = (uint16_t)vers;
	e.nfs.proc = (uint16_t)proc;
	e.nfs.prog = 100003;
	e.nfs.latency_ns = lat;
	e.nfs.queue_ns = lat / 4;
	e.nfs.rtt_ns = lat - lat / 4;
	e.nfs.xid = (uint32_t)(ts / 1000);
	e.nfs.op = AOD_NFS_NO_OP;
	e.nfs.flags = AOD_NFS_SPLIT;
	return e;
}

static union detect_event nfs_err(uint64_t ts, unsigned vers, unsigned proc, unsigned op, uint32_t status)
{
	union detect_event e = nfs(ts, vers, proc, 2 * MS);

	e.nfs.op = (uint16_t)op;
	e.nfs.nfs_status = status;
	e.nfs.flags = AOD_NFS_ERR;
	return e;
}

static int feed_ev(union detect_event e, int n)
{
	int fired = 0;

	for (int i = 0; i < n; i++) {
		e.h.ts_ns += MS;
		fired += detect_feed(&det, &e, &one);
	}
	return fired;
}

static struct cfg_anomaly *add_nfs_latency(uint32_t acceptable)
{
	struct cfg_anomaly *an = add_latency(acceptable, 0);

	strcpy(an->proto, "nfs");
	an->space = NAMES_NFS;
	memset(&an->ops, 0, sizeof(an->ops));
	memset(an->threshold_ns, 0, sizeof(an->threshold_ns));
	return an;
}

static void track(struct cfg_anomaly *an, unsigned vers, unsigned proc, uint64_t ns)
{
	int i = names_nfs_op_index(vers, proc);

	cfg_ops_add(&an->ops, (unsigned)i);
	an->threshold_ns[i] = ns;
}

static void test_nfs_latency(void)
{
	struct cfg_anomaly *an;

	reset();
	add_latency(1, 1 * MS);		/* an SMB anomaly: NFS records never reach it */
	an = add_nfs_latency(3);
	track(an, 4, NFS4_READ, 30 * MS);
	track(an, 3, NFS3_READ, 10 * MS);
	detect_init(&det, &cfg, T0);
	CHECK(feed_ev(nfs(T0, 4, NFS4_READ, 29 * MS), 5) == 0);		/* under its bar */
	CHECK(feed_ev(nfs(T0, 3, NFS3_READ, 12 * MS), 2) == 0);		/* v3 READ: over its 10 ms */
	CHECK(feed_ev(nfs(T0, 4, NFS4_WRITE, 500 * MS), 3) == 0);	/* not tracked */
	CHECK(feed_ev(nfs(T0, 3, 7, 500 * MS), 3) == 0);		/* NFS3PROC_WRITE: not tracked */
	CHECK(close_at(T0 + SEC) == 0);					/* 2 < 3 */
	CHECK(feed_ev(nfs(T0 + SEC, 3, NFS3_READ, 12 * MS), 2) == 0);
	CHECK(feed_ev(nfs(T0 + SEC, 4, NFS4_READ, 31 * MS), 1) == 0);
	CHECK(close_at(T0 + 2 * SEC) == 1);
	CHECK(out[0].anomaly == 1 && out[0].count == 3 && out[0].worst == 31 * MS && !out[0].emergency);
	CHECK(out[0].nworst == 3 && out[0].worst_events[0].h.kind == AOD_EV_NFS);
	CHECK(out[0].worst_events[0].nfs.vers == 4 && out[0].worst_events[0].nfs.proc == NFS4_READ);
	CHECK(out[0].worst_events[0].nfs.queue_ns + out[0].worst_events[0].nfs.rtt_ns == 31 * MS);
	/* an error record's latency is not a slow RPC; nor a bad version or index */
	CHECK(feed_ev(nfs_err(T0 + 2 * SEC, 4, NFS4_READ, OP_READ, NFS4ERR_ROFS_), 5) == 0);
	CHECK(feed_ev(nfs(T0 + 2 * SEC, 2, NFS4_READ, 900 * MS), 5) == 0);
	CHECK(feed_ev(nfs(T0 + 2 * SEC, 4, 69, 900 * MS), 5) == 0);
	CHECK(feed_ev(nfs(T0 + 2 * SEC, 3, 22, 900 * MS), 5) == 0);
	CHECK(close_at(T0 + 3 * SEC) == 0);
}

static void test_nfs_emergency(void)
{
	struct cfg_anomaly *an;

	reset();
	an = add_nfs_latency(100);
	track(an, 4, NFS4_WRITE, 5 * SEC);		/* the 1 s rule ignores a higher bar */
	detect_init(&det, &cfg, T0);
	CHECK(feed_ev(nfs(T0, 4, NFS4_WRITE, 999 * MS), 1) == 0);
	CHECK(feed_ev(nfs(T0, 4, NFS4_WRITE, SEC), 1) == 1);
	CHECK(one.anomaly == 0 && one.emergency && one.worst == SEC && one.worst_events[0].nfs.proc == NFS4_WRITE);
	CHECK(feed_ev(nfs(T0, 4, NFS4_WRITE, 2 * SEC), 1) == 0);	/* once per window */
	CHECK(feed_ev(nfs(T0, 4, NFS4_READ, 2 * SEC), 1) == 0);	/* untracked: not even the 1 s rule */
	CHECK(close_at(T0 + SEC) == 0);		/* 2 of 100 */
}

static void test_nfs_error_rules(void)
{
	struct cfg_anomaly *an;
	struct cfg_error_rule *low, *high, *ops, *rpc;
	union detect_event e;

	reset();
	add_error();			/* an SMB error anomaly: NFS errors never reach it */
	add_rule(&cfg.anomalies[0], 1, (1u << CFG_SMB2_NCMD) - 1);
	an = add_error();
	strcpy(an->proto, "nfs");
	an->space = NAMES_NFS;
	low = add_rule(an, 2, 0);
	low->ops = cfg_ops_all(CFG_NFS_NOPS);
	low->codes[low->ncodes++] = (struct cfg_code){ NAMES_CODE_NFS4, NFS4ERR_ROFS_ };
	low->codes[low->ncodes++] = (struct cfg_code){ NAMES_CODE_NFS3, NFS4ERR_ROFS_ };
	high = add_rule(an, 3, 0);	/* the same codes, a higher count */
	high->ops = low->ops;
	memcpy(high->codes, low->codes, sizeof(low->codes));
	high->ncodes = 2;
	ops = add_rule(an, 1, 0);	/* BAD_STATEID only when a READ or WRITE op names it, on READ/WRITE procs */
	cfg_ops_add(&ops->ops, NFS4_READ);
	cfg_ops_add(&ops->ops, NFS4_WRITE);
	ops->codes[ops->ncodes++] = (struct cfg_code){ NAMES_CODE_NFS4, NFS4ERR_BAD_STATEID_ };
	ops->nfs_ops[ops->nnfs_ops++] = OP_READ;
	ops->nfs_ops[ops->nnfs_ops++] = OP_WRITE;
	rpc = add_rule(an, 1, 0);	/* every error but NOENT, v3 REMOVE only */
	cfg_ops_add(&rpc->ops, (unsigned)names_nfs_op_index(3, NFS3_REMOVE));
	rpc->exclude[rpc->nexclude++] = (struct cfg_code){ NAMES_CODE_NFS3, 2 };
	detect_init(&det, &cfg, T0);

	/* ROFS once from v4 and once from v3: the count-2 rule fires, the count-3 rule does not */
	CHECK(feed_ev(nfs_err(T0, 4, NFS4_WRITE, OP_WRITE, NFS4ERR_ROFS_), 1) == 0);
	CHECK(feed_ev(nfs_err(T0, 3, 7, AOD_NFS_NO_OP, NFS4ERR_ROFS_), 1) == 0);
	CHECK(close_at(T0 + SEC) == 1);
	CHECK(out[0].anomaly == 1 && out[0].rule == 0 && out[0].count == 2);
	CHECK(out[0].worst_events[0].nfs.vers == 4 && out[0].worst_events[1].nfs.vers == 3);
	/* a third makes the higher rule fire too */
	CHECK(feed_ev(nfs_err(T0 + SEC, 4, NFS4_WRITE, OP_WRITE, NFS4ERR_ROFS_), 3) == 0);
	CHECK(close_at(T0 + 2 * SEC) == 2 && out[0].rule == 0 && out[1].rule == 1 && out[1].count == 3);

	/* op filter: BAD_STATEID named by OP_READ on a READ counts; by OP_REMOVE, or with no op, does not */
	e = nfs_err(0, 4, NFS4_READ, OP_REMOVE, NFS4ERR_BAD_STATEID_);
	CHECK(!detect_nfs_error_matches(ops, &e.nfs));
	e.nfs.op = AOD_NFS_NO_OP;
	CHECK(!detect_nfs_error_matches(ops, &e.nfs));
	e.nfs.op = OP_READ;
	CHECK(detect_nfs_error_matches(ops, &e.nfs));
	e.nfs.proc = NFS4_REMOVE;		/* right op, procedure not in the rule */
	CHECK(!detect_nfs_error_matches(ops, &e.nfs));
	/* a v3 status never matches an NFS4ERR code of the same number, and the other way round */
	e = nfs_err(0, 3, NFS3_READ, AOD_NFS_NO_OP, NFS4ERR_BAD_STATEID_);
	e.nfs.proc = NFS4_READ;			/* v3 proc 1 is GETATTR: not in ops's set either */
	CHECK(!detect_nfs_error_matches(ops, &e.nfs));
	low->codes[1] = (struct cfg_code){ NAMES_CODE_NFS4, 2 };
	e = nfs_err(0, 3, NFS3_READ, AOD_NFS_NO_OP, 2);
	CHECK(!detect_nfs_error_matches(low, &e.nfs));
	/* excluded codes and rpc_status errnos */
	e = nfs_err(0, 3, NFS3_REMOVE, AOD_NFS_NO_OP, 2);		/* NFS3ERR_NOENT: excluded */
	CHECK(!detect_nfs_error_matches(rpc, &e.nfs));
	e.nfs.nfs_status = 13;						/* NFS3ERR_ACCES */
	CHECK(detect_nfs_error_matches(rpc, &e.nfs));
	e = nfs(0, 3, NFS3_REMOVE, 60 * SEC);				/* the RPC itself failed */
	e.nfs.rpc_status = -ETIMEDOUT;
	CHECK(detect_nfs_is_error(&e.nfs) && detect_nfs_error_matches(rpc, &e.nfs));
	rpc->codes[rpc->ncodes++] = (struct cfg_code){ NAMES_CODE_ERRNO, EIO };
	CHECK(!detect_nfs_error_matches(rpc, &e.nfs));
	e.nfs.rpc_status = -EIO;
	CHECK(detect_nfs_error_matches(rpc, &e.nfs));
	e.nfs.vers = 2;
	CHECK(!detect_nfs_error_matches(rpc, &e.nfs));
	/* fed: an rpc_status failure is counted as an error, its 60 s never as a latency emergency */
	detect_init(&det, &cfg, T0);
	e = nfs(T0, 3, NFS3_REMOVE, 60 * SEC);
	e.nfs.rpc_status = -EIO;
	CHECK(feed_ev(e, 1) == 0);
	CHECK(close_at(T0 + SEC) == 1 && out[0].anomaly == 1 && out[0].rule == 3 && out[0].worst == 60 * SEC);
}

/* detect_init touches only the configured slots: a slot is a page of worst events, and the 32 x 8
 * error slots of an unconfigured table would make 1 MiB resident for nothing. */
static struct cfg_anomaly *add_sockconn(enum names_proto sp)
{
	struct cfg_anomaly *an = &cfg.anomalies[cfg.nanomalies++];

	memset(an, 0, sizeof(*an));
	strcpy(an->name, "sockconn");
	strcpy(an->proto, sp == NAMES_NFS ? "nfs" : "smb");
	an->type = CFG_SOCKCONN;
	an->space = sp;
	an->acceptable_count = 1;
	return an;
}

static union detect_event conn_ev(uint64_t ts, enum names_proto sp, uint16_t sport, uint8_t o, uint8_t n)
{
	union detect_event e = health_ev(AOD_EV_SOCKCONN, sizeof(struct aod_ev_sockconn), ts);

	e.conn.proto = (uint8_t)sp;
	e.conn.sport = sport;
	e.conn.dport = sp == NAMES_NFS ? 2049 : 445;
	e.conn.oldstate = o;
	e.conn.newstate = n;
	return e;
}

static void test_sockconn(void)
{
	union detect_event e;

	reset();
	add_sockconn(NAMES_SMB);
	add_sockconn(NAMES_NFS);
	detect_init(&det, &cfg, T0);
	/* the handshake's own steps change no established set */
	e = conn_ev(T0 + 1, NAMES_SMB, 40000, 7, 2);	/* CLOSE -> SYN_SENT */
	CHECK(detect_feed(&det, &e, &one) == 0);
	CHECK(close_at(T0 + SEC) == 0);
	/* a new connection and a drop in one window: one anomaly, both listed in order */
	e = conn_ev(T0 + SEC + 1, NAMES_SMB, 40000, 2, 1);
	CHECK(detect_feed(&det, &e, &one) == 0);	/* never at once: at the close */
	e = conn_ev(T0 + SEC + 2, NAMES_SMB, 40001, 1, 4);	/* ESTABLISHED -> FIN_WAIT1 */
	detect_feed(&det, &e, &one);
	CHECK(close_at(T0 + 2 * SEC) == 1 && out[0].anomaly == 0 && out[0].count == 2 && out[0].nworst == 2);
	CHECK(out[0].worst_events[0].conn.sport == 40000 && out[0].worst_events[1].conn.sport == 40001);
	CHECK(out[0].worst_events[1].conn.oldstate == 1 && out[0].worst_events[1].conn.newstate == 4);
	/* a failed connect counts; for NFS only the NFS anomaly fires */
	e = conn_ev(T0 + 2 * SEC + 1, NAMES_NFS, 700, 2, 7);
	detect_feed(&det, &e, &one);
	CHECK(close_at(T0 + 3 * SEC) == 1 && out[0].anomaly == 1 && out[0].count == 1);
	/* FIN_WAIT1 -> FIN_WAIT2 after the drop was counted changes nothing more */
	e = conn_ev(T0 + 3 * SEC + 1, NAMES_SMB, 40001, 4, 5);
	detect_feed(&det, &e, &one);
	CHECK(close_at(T0 + 4 * SEC) == 0);
	CHECK(!detect_sockconn_counts(&e.conn));
	e.conn.oldstate = e.conn.newstate = 1;
	CHECK(!detect_sockconn_counts(&e.conn));
	/* no sockconn anomaly configured: ignored */
	reset();
	add_latency(1, MS);
	detect_init(&det, &cfg, T0);
	e = conn_ev(T0 + 1, NAMES_SMB, 1, 2, 1);
	detect_feed(&det, &e, &one);
	CHECK(close_at(T0 + SEC) == 0);
}

static void test_init_touches_configured_only(void)
{
	reset();
	add_latency(1, MS);
	add_rule(add_error(), 1, 1u << CMD_READ);
	memset(&det, 0xAA, sizeof(det));
	detect_init(&det, &cfg, T0);
	CHECK(det.lat[0].count == 0 && det.err[1][0].count == 0);
	CHECK(det.lat[2].count == 0xAAAAAAAAu && det.err[1][1].count == 0xAAAAAAAAu);
	CHECK(det.err[CFG_MAX_ANOMALIES - 1][CFG_MAX_RULES - 1].count == 0xAAAAAAAAu);
	/* and the stale bytes are never read: a window with events closes as it should */
	CHECK(feed_n(1, T0, CMD_READ, 2 * MS, 0, 0) == 0);
	CHECK(feed_n(1, T0, CMD_READ, MS, 0, -EIO) == 0);
	CHECK(close_at(T0 + SEC) == 2 && out[0].count == 1 && out[1].rule == 0 && out[1].count == 1);
}

/* A stall or reconnect anomaly of protocol sp (named after its type, as the config names them). */
static struct cfg_anomaly *add_outage(enum cfg_anomaly_type type, enum names_proto sp, uint32_t acceptable)
{
	struct cfg_anomaly *an = &cfg.anomalies[cfg.nanomalies++];

	memset(an, 0, sizeof(*an));
	strcpy(an->name, type == CFG_STALL ? "stall" : "reconnect");
	strcpy(an->proto, sp == NAMES_NFS ? "nfs" : "smb");
	an->space = sp;
	an->type = type;
	an->acceptable_count = acceptable;
	return an;
}

static struct cfg_anomaly *add_stall(enum names_proto sp, uint32_t stall_ms)
{
	struct cfg_anomaly *an = add_outage(CFG_STALL, sp, 1);

	an->stall_ms = stall_ms;
	return an;
}

static union detect_event stall_ev(uint64_t ts, unsigned proto, unsigned cmd, uint64_t age, uint32_t pid)
{
	union detect_event e;

	memset(&e, 0, sizeof(e));
	e.h.kind = AOD_EV_STALL;
	e.h.size = sizeof(struct aod_ev_stall);
	e.h.ts_ns = ts;
	e.h.pid = pid;
	strcpy(e.h.comm, "dd");
	e.stall.proto = (uint16_t)proto;
	e.stall.cmd = (uint16_t)cmd;
	e.stall.age_ns = age;
	e.stall.count = 2;
	return e;
}

/* A stall fires at once, once per window, only for its protocol and at its stall_ms; the window close adds nothing. */
static void test_stall(void)
{
	union detect_event e;

	reset();
	add_latency(1, 100 * MS);
	add_stall(NAMES_SMB, 3000);
	add_stall(NAMES_NFS, 5000);
	detect_init(&det, &cfg, T0);
	e = stall_ev(T0 + 10, AOD_STALL_SMB, CMD_READ, 2999 * MS, 7);
	CHECK(detect_feed(&det, &e, &one) == 0);	/* under stall_ms */
	e = stall_ev(T0 + 20, AOD_STALL_SMB, CMD_READ, 3500 * MS, 4242);
	CHECK(detect_feed(&det, &e, &one) == 1 && one.anomaly == 1 && one.emergency && one.ts_ns == T0 + 20);
	CHECK(one.worst == 3500 * MS && one.nworst == 1 && one.worst_events[0].h.kind == AOD_EV_STALL);
	CHECK(one.worst_events[0].h.pid == 4242 && one.worst_events[0].stall.cmd == CMD_READ);
	CHECK(one.worst_events[0].stall.count == 2 && !strcmp(one.worst_events[0].h.comm, "dd"));
	e = stall_ev(T0 + 30, AOD_STALL_SMB, CMD_WRITE, 4 * SEC, 4243);
	CHECK(detect_feed(&det, &e, &one) == 0);	/* once per window */
	e = stall_ev(T0 + 40, AOD_STALL_NFS, 25, 4 * SEC, 9);
	CHECK(detect_feed(&det, &e, &one) == 0);	/* nfs.stall wants 5 s */
	e = stall_ev(T0 + 50, 7, CMD_READ, 9 * SEC, 9);
	CHECK(detect_feed(&det, &e, &one) == 0);	/* no such protocol */
	CHECK(close_at(T0 + SEC) == 0);		/* fired at once already; the latency anomaly saw nothing */
	e = stall_ev(T0 + SEC + 10, AOD_STALL_NFS, 25, 6 * SEC, 9);
	CHECK(detect_feed(&det, &e, &one) == 1 && one.anomaly == 2 && one.worst == 6 * SEC);
	e = stall_ev(T0 + SEC + 20, AOD_STALL_SMB, CMD_WRITE, 4 * SEC, 4243);
	CHECK(detect_feed(&det, &e, &one) == 1 && one.anomaly == 1);	/* a new window fires again */
	CHECK(close_at(T0 + 2 * SEC) == 0);
	/* without a stall anomaly the record is ignored */
	reset();
	add_latency(1, 100 * MS);
	detect_init(&det, &cfg, T0);
	e = stall_ev(T0 + 10, AOD_STALL_SMB, CMD_READ, 60 * SEC, 7);
	CHECK(detect_feed(&det, &e, &one) == 0 && close_at(T0 + SEC) == 0);
}

static union detect_event ioerr(uint64_t ts, unsigned op, int err)
{
	union detect_event e;

	memset(&e, 0, sizeof(e));
	e.h.kind = AOD_EV_IOERR;
	e.h.size = sizeof(struct aod_ev_ioerr);
	e.h.ts_ns = ts;
	e.h.pid = 77;
	strcpy(e.h.comm, "dd");
	e.ioerr.op = (uint16_t)op;
	e.ioerr.err = err;
	e.ioerr.fd = 3;
	e.ioerr.method = AOD_IOERR_M_SYSCALL;
	return e;
}

/* io.error: counted by the error rules as SMB's and NFS's are (op set, errno codes, excludes); worst is the count. */
static void test_io_error_rules(void)
{
	struct cfg_anomaly *an;
	struct cfg_error_rule *nospc, *high, *any;
	union detect_event e;

	reset();
	add_error();			/* an SMB error anomaly tracking every errno: io errors never reach it */
	add_rule(&cfg.anomalies[0], 1, (1u << CFG_SMB2_NCMD) - 1);
	an = add_error();
	strcpy(an->proto, "io");
	an->space = NAMES_IO;
	nospc = add_rule(an, 1, 1u << AOD_IO_WRITE);
	code(&nospc->codes[nospc->ncodes++], false, ENOSPC);
	high = add_rule(an, 3, 1u << AOD_IO_WRITE);
	code(&high->codes[high->ncodes++], false, ENOSPC);
	any = add_rule(an, 1, 1u << AOD_IO_OPEN | 1u << AOD_IO_FSYNC);	/* every errno but ENOENT */
	code(&any->exclude[any->nexclude++], false, ENOENT);
	detect_init(&det, &cfg, T0);

	e = ioerr(0, AOD_IO_WRITE, ENOSPC);
	CHECK(detect_io_error_matches(nospc, &e.ioerr));
	e.ioerr.err = EIO;
	CHECK(!detect_io_error_matches(nospc, &e.ioerr));
	e = ioerr(0, AOD_IO_MKDIR, ENOSPC);		/* the code, but an op the rule does not track */
	CHECK(!detect_io_error_matches(nospc, &e.ioerr));
	e = ioerr(0, AOD_IO_NOPS, ENOSPC);		/* out of the io space */
	CHECK(!detect_io_error_matches(nospc, &e.ioerr) && !detect_io_error_matches(any, &e.ioerr));
	e = ioerr(0, AOD_IO_WRITE, 0);			/* not a failure */
	CHECK(!detect_io_error_matches(nospc, &e.ioerr));
	e = ioerr(0, AOD_IO_OPEN, ENOENT);
	CHECK(!detect_io_error_matches(any, &e.ioerr));
	e.ioerr.err = EACCES;
	CHECK(detect_io_error_matches(any, &e.ioerr));
	e = ioerr(0, AOD_IO_FDATASYNC, EIO);		/* fdatasync is its own op, not fsync */
	CHECK(!detect_io_error_matches(any, &e.ioerr));

	/* two write ENOSPC and a mkdir ENOSPC: rule nospc fires with 2, high (3) does not; none fires at once */
	CHECK(feed_ev(ioerr(T0, AOD_IO_WRITE, ENOSPC), 2) == 0);
	CHECK(feed_ev(ioerr(T0, AOD_IO_MKDIR, ENOSPC), 1) == 0);
	CHECK(close_at(T0 + SEC) == 1);
	CHECK(out[0].anomaly == 1 && out[0].rule == 0 && out[0].count == 2 && out[0].worst == 2);
	CHECK(out[0].nworst == 2 && out[0].worst_events[0].h.kind == AOD_EV_IOERR &&
	      out[0].worst_events[0].ioerr.op == AOD_IO_WRITE && out[0].worst_events[1].ioerr.err == ENOSPC);
	CHECK(config_worst_is_count(&cfg.anomalies[1]) && !config_worst_is_count(&cfg.anomalies[0]));
	/* three in the next window: both write rules; an open ENOENT is excluded, an fsync EIO counts */
	CHECK(feed_ev(ioerr(T0 + SEC, AOD_IO_WRITE, ENOSPC), 3) == 0);
	CHECK(feed_ev(ioerr(T0 + SEC, AOD_IO_OPEN, ENOENT), 4) == 0);
	CHECK(close_at(T0 + 2 * SEC) == 2 && out[0].rule == 0 && out[1].rule == 1 && out[1].count == 3);
	CHECK(feed_ev(ioerr(T0 + 2 * SEC, AOD_IO_FSYNC, EIO), 1) == 0);
	CHECK(close_at(T0 + 3 * SEC) == 1 && out[0].rule == 2 && out[0].worst_events[0].ioerr.err == EIO);
}

static union detect_event reconn_ev(uint64_t ts, unsigned proto, unsigned what, uint64_t conn)
{
	union detect_event e = health_ev(AOD_EV_RECONNECT, sizeof(struct aod_ev_reconnect), ts);

	e.reconn.proto = (uint16_t)proto;
	e.reconn.what = (uint16_t)what;
	e.reconn.conn_id = conn;
	e.reconn.waiting = what == AOD_RECONN_NFS_DISCONNECT;	/* a READ left waiting */
	strcpy(e.reconn.host, "127.0.0.1");
	return e;
}

static int feed_one(union detect_event e)
{
	return detect_feed(&det, &e, &one);
}

/*
 * A loss fires at once, once per outage of a connection: the retries' repeated losses on a
 * connection that is down are context, a connect ends the outage, an expired session always counts.
 */
static void test_reconnect(void)
{
	union detect_event e0;

	reset();
	add_outage(CFG_RECONNECT, NAMES_SMB, 1);
	add_outage(CFG_RECONNECT, NAMES_NFS, 1);
	detect_init(&det, &cfg, T0);
	/* a first connect (the mount) and a failed attempt are not reconnects */
	CHECK(feed_one(reconn_ev(T0 + 1, AOD_STALL_SMB, AOD_RECONN_SMB_CONNECTED, 5)) == 0);
	CHECK(feed_one(reconn_ev(T0 + 2, AOD_STALL_SMB, AOD_RECONN_SMB_CONNECT_ERR, 5)) == 0);
	CHECK(close_at(T0 + SEC) == 0);
	/* the loss: at once, the SMB anomaly only, naming what the client said */
	CHECK(feed_one(reconn_ev(T0 + SEC + 1, AOD_STALL_SMB, AOD_RECONN_SMB_RECONNECT, 5)) == 1);
	CHECK(one.anomaly == 0 && one.count == 1 && one.worst == 1 && one.nworst == 1 && one.emergency);
	CHECK(one.worst_events[0].reconn.what == AOD_RECONN_SMB_RECONNECT && one.worst_events[0].h.ts_ns == T0 + SEC + 1);
	CHECK(close_at(T0 + 2 * SEC) == 0);	/* fired already: the close adds nothing */
	/* the same outage said again in later windows (NFS says it at every refused connect): not counted */
	CHECK(feed_one(reconn_ev(T0 + 2 * SEC + 1, AOD_STALL_SMB, AOD_RECONN_SMB_RECONNECT, 5)) == 0);
	CHECK(close_at(T0 + 3 * SEC) == 0);
	/* another connection's loss is its own outage */
	CHECK(feed_one(reconn_ev(T0 + 3 * SEC + 1, AOD_STALL_SMB, AOD_RECONN_SMB_RECONNECT, 6)) == 1 && one.count == 1);
	CHECK(close_at(T0 + 4 * SEC) == 0);
	/* connected, and dropped again 1.4 s later (a server on its way down accepts once more): the same outage */
	CHECK(feed_one(reconn_ev(T0 + 3 * SEC + 2, AOD_STALL_SMB, AOD_RECONN_SMB_CONNECTED, 5)) == 0);
	CHECK(feed_one(reconn_ev(T0 + 3 * SEC + 2 + 1400 * MS, AOD_STALL_SMB, AOD_RECONN_SMB_RECONNECT, 5)) == 0);
	CHECK(close_at(T0 + 4 * SEC + 500 * MS) == 0);
	/* connected again, and up DETECT_SETTLE_NS: the outage is over, the next loss of connection 5 counts */
	CHECK(feed_one(reconn_ev(T0 + 4 * SEC + 1, AOD_STALL_SMB, AOD_RECONN_SMB_CONNECTED, 5)) == 0);
	CHECK(feed_one(reconn_ev(T0 + 4 * SEC + DETECT_SETTLE_NS - 1, AOD_STALL_SMB, AOD_RECONN_SMB_CONNECT_ERR, 5)) == 0);
	CHECK(feed_one(reconn_ev(T0 + 4 * SEC + 1 + DETECT_SETTLE_NS, AOD_STALL_SMB, AOD_RECONN_SMB_RECONNECT, 5)) == 1);
	/* in the same window a second outage counts but fires no second time */
	CHECK(feed_one(reconn_ev(T0 + 4 * SEC + 3 + DETECT_SETTLE_NS, AOD_STALL_SMB, AOD_RECONN_SMB_SES_EXPIRED, 77)) == 0);
	CHECK(det.lat[0].count == 2);
	CHECK(close_at(T0 + 5 * SEC + DETECT_SETTLE_NS) == 0);
#define T1 (T0 + DETECT_SETTLE_NS)
	/* an expired session counts every time: no connect ends it */
	CHECK(feed_one(reconn_ev(T1 + 5 * SEC + 1, AOD_STALL_SMB, AOD_RECONN_SMB_SES_EXPIRED, 77)) == 1);
	CHECK(close_at(T1 + 6 * SEC) == 0);
	/* NFS: the transport's loss; a resend is context; the same conn id under SMB is another connection */
	CHECK(feed_one(reconn_ev(T1 + 6 * SEC + 1, AOD_STALL_NFS, AOD_RECONN_NFS_RETRANSMIT, 5)) == 0);
	CHECK(feed_one(reconn_ev(T1 + 6 * SEC + 2, AOD_STALL_NFS, AOD_RECONN_NFS_DISCONNECT, 5)) == 1);
	CHECK(one.anomaly == 1);
	CHECK(close_at(T1 + 7 * SEC) == 0);
	CHECK(feed_one(reconn_ev(T1 + 7 * SEC + 1, AOD_STALL_NFS, AOD_RECONN_NFS_DISCONNECT, 5)) == 0);
	CHECK(feed_one(reconn_ev(T1 + 7 * SEC + 2, AOD_STALL_NFS, AOD_RECONN_NFS_CONNECTED, 5)) == 0);
	CHECK(feed_one(reconn_ev(T1 + 7 * SEC + 3 + DETECT_SETTLE_NS, AOD_STALL_NFS, AOD_RECONN_NFS_DISCONNECT, 5)) == 1);
	CHECK(close_at(T1 + 8 * SEC + DETECT_SETTLE_NS) == 0);
	/* a transport closed with nothing waiting (an umount, an idle close) is no reconnect, and starts no outage */
	e0 = reconn_ev(T1 + 8 * SEC + DETECT_SETTLE_NS + 2, AOD_STALL_NFS, AOD_RECONN_NFS_DISCONNECT, 9);
	e0.reconn.waiting = 0;
	CHECK(feed_one(e0) == 0 && feed_one(e0) == 0);
	e0.reconn.waiting = 1;
	CHECK(feed_one(e0) == 1);
	CHECK(close_at(T1 + 9 * SEC + DETECT_SETTLE_NS - 1) == 0);
	/* an unknown kind counts nowhere */
	CHECK(feed_one(reconn_ev(T1 + 8 * SEC + DETECT_SETTLE_NS + 1, AOD_STALL_NFS, 99, 8)) == 0);
	CHECK(close_at(T1 + 9 * SEC + DETECT_SETTLE_NS) == 0);
#undef T1
	/* more outages than the table holds: the oldest is forgotten, so its repeat counts again (bounded memory) */
	detect_init(&det, &cfg, T0);
	for (unsigned i = 0; i < DETECT_DOWN_CONNS + 1; i++)
		feed_one(reconn_ev(T0 + 1 + i, AOD_STALL_NFS, AOD_RECONN_NFS_DISCONNECT, 100 + i));
	CHECK(det.lat[1].count == DETECT_DOWN_CONNS + 1);
	feed_one(reconn_ev(T0 + 100, AOD_STALL_NFS, AOD_RECONN_NFS_DISCONNECT, 100 + DETECT_DOWN_CONNS));
	CHECK(det.lat[1].count == DETECT_DOWN_CONNS + 1);	/* the newest is still down */
	close_at(T0 + SEC);
	/* acceptable_count 2: one loss is not enough, the second in the window fires at once */
	reset();
	add_outage(CFG_RECONNECT, NAMES_SMB, 2);
	detect_init(&det, &cfg, T0);
	CHECK(feed_one(reconn_ev(T0 + 1, AOD_STALL_SMB, AOD_RECONN_SMB_RECONNECT, 1)) == 0);
	CHECK(close_at(T0 + SEC) == 0);
	CHECK(feed_one(reconn_ev(T0 + SEC + 1, AOD_STALL_SMB, AOD_RECONN_SMB_RECONNECT, 2)) == 0);
	CHECK(feed_one(reconn_ev(T0 + SEC + 2, AOD_STALL_SMB, AOD_RECONN_SMB_RECONNECT, 3)) == 1 && one.count == 2);
	/* no reconnect anomaly configured: ignored */
	reset();
	add_latency(1, MS);
	detect_init(&det, &cfg, T0);
	CHECK(feed_one(reconn_ev(T0 + 1, AOD_STALL_SMB, AOD_RECONN_SMB_RECONNECT, 1)) == 0);
	CHECK(close_at(T0 + SEC) == 0);
}

/* Every counted event is tallied by share, not only the worst kept: 40 on one tree, 3 on another,
 * errors by share too, and the next window starts empty. */
static void test_shares(void)
{
	struct cfg_anomaly *an;
	struct cfg_error_rule *r;
	union detect_event e;

	reset();
	cfg.manifest_events = 4;
	add_latency(10, 10 * MS);
	an = add_error();
	r = add_rule(an, 1, (1u << CFG_SMB2_NCMD) - 1);
	code(&r->codes[r->ncodes++], false, EACCES);
	detect_init(&det, &cfg, T0);
	for (int i = 0; i < 43; i++) {
		e = smb(T0 + (uint64_t)i * MS, CMD_READ, (i < 40 ? 20 : 90) * MS, 0, 0);
		e.smb.sesid = 0xca30aa97;
		e.smb.tid = i < 40 ? 0x5596b59f : 0x2eae1642;
		detect_feed(&det, &e, &one);
	}
	e = smb(T0, CMD_CREATE, MS, ST_ACCESS_DENIED, -EACCES);
	e.smb.sesid = 0xca30aa97;
	e.smb.tid = 0x2eae1642;
	detect_feed(&det, &e, &one);
	CHECK(close_at(T0 + SEC) == 2);
	CHECK(out[0].count == 43 && out[0].nworst == 4);
	CHECK(out[0].shares.n == 2 && !out[0].shares.other_count);
	CHECK(out[0].shares.e[0].key.tree == 0x5596b59f && out[0].shares.e[0].count == 40);
	CHECK(out[0].shares.e[0].worst == 20 * MS && out[0].shares.e[0].key.sesid == 0xca30aa97);
	CHECK(out[0].shares.e[1].key.tree == 0x2eae1642 && out[0].shares.e[1].count == 3);
	CHECK(out[0].shares.e[1].worst == 90 * MS);
	CHECK(!out[0].share_names[0].share[0]);	/* names are the daemon's to fill */
	CHECK(out[1].rule == 0 && out[1].shares.n == 1 && out[1].shares.e[0].key.tree == 0x2eae1642);
	feed_n(10, T0 + SEC, CMD_READ, 20 * MS, 0, 0);
	CHECK(close_at(T0 + 2 * SEC) == 1);
	CHECK(out[0].shares.n == 1 && out[0].shares.e[0].count == 10 && out[0].shares.e[0].key.tree == 0);
}

int main(void)
{
	test_exact_count();
	test_two_windows();
	test_emergency();
	test_emergency_not_twice();
	test_untracked_and_thresholds();
	test_two_latency_anomalies();
	test_error_rules();
	test_more_processing_ignored();
	test_worst_n();
	test_health_immediate_and_counts();
	test_health_latency();
	test_nfs_latency();
	test_nfs_emergency();
	test_nfs_error_rules();
	test_init_touches_configured_only();
	test_stall();
	test_sockconn();
	test_io_error_rules();
	test_reconnect();
	test_shares();
	return CHECK_DONE();
}

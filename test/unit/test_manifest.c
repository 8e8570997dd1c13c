// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for manifest.c's event records: NFS RPCs and errors by name, with their queue/rtt split. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
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
/* Last: its static `level` would shadow other modules' parameters under -Wshadow. */
#include "../../src/log.c"
#include "../../src/loop.c"

#include "check.h"

static char buf[1 << 16];

static bool has(const char *s)
{
	bool ok = strstr(buf, s) != NULL;

	if (!ok)
		fprintf(stderr, "expected in the manifest: %s\n", s);
	return ok;
}

/* The manifest without its line breaks and indentation, so a check can span lines. */
static void flatten(void)
{
	char *r = buf, *w = buf;

	while (*r) {
		if (*r == '\n') {
			r += 1 + strspn(r + 1, " ");
			continue;
		}
		*w++ = *r++;
	}
	*w = 0;
}

static union detect_event nfs(unsigned vers, unsigned proc, uint64_t lat, uint64_t queue)
{
	union detect_event e;

	memset(&e, 0, sizeof(e));
	e.h.kind = AOD_EV_NFS;
	e.h.size = sizeof(struct aod_ev_nfs);
	e.h.ts_ns = 5000000000ull;
	e.h.pid = 777;
	strcpy(e.h.comm, "dd");
	e.nfs.vers = (uint16_t)vers;
	e.nfs.proc = (uint16_t)proc;
	e.nfs.prog = 100003;
	e.nfs.xid = 0xdeadbeef;
	e.nfs.client_id = 3;
	e.nfs.latency_ns = lat;
	e.nfs.queue_ns = queue;
	e.nfs.rtt_ns = lat - queue;
	e.nfs.op = AOD_NFS_NO_OP;
	e.nfs.flags = AOD_NFS_SPLIT;
	return e;
}

static int build(const struct cfg_anomaly *an, const struct detect_anomaly *d)
{
	struct manifest_input in = {
		.bundle = "aod_quick_1_nfs_latency.tar.zst", .proto = an->proto, .anomaly = an->name,
		.anom = an, .det = d, .wall_ns = 1700000000000000000ll, .start_ns = 1,
	};

	memset(buf, 0, sizeof(buf));
	return manifest_build(buf, sizeof(buf), &in);
}

static void test_nfs_latency(void)
{
	static struct detect_anomaly d;
	struct cfg_anomaly an = { .name = "latency", .proto = "nfs", .type = CFG_LATENCY, .space = NAMES_NFS };

	d.anomaly = 0;
	d.rule = -1;
	d.count = 2;
	d.worst = 31500000;
	d.nworst = 2;
	d.worst_events[0] = nfs(4, 1, 31500000, 500000);	/* NFSPROC4_CLNT_READ: network or server */
	d.worst_events[1] = nfs(3, 7, 12000000, 11000000);	/* NFS3PROC_WRITE: queued on the client */
	CHECK(build(&an, &d) > 0);
	CHECK(has("\"type\": \"latency\""));
	CHECK(has("\"proc\": \"NFSPROC4_CLNT_READ\""));
	CHECK(has("\"proc\": \"NFS3PROC_WRITE\""));
	CHECK(has("\"vers\": 4") && has("\"vers\": 3"));
	CHECK(has("\"xid\": \"0xdeadbeef\""));
	CHECK(has("\"latency_ms\": 31.500000"));
	CHECK(has("\"queue_ns\": 500000") && has("\"rtt_ns\": 31000000"));
	CHECK(has("\"queue_ms\": 11.000000") && has("\"rtt_ms\": 1.000000"));
	CHECK(has("\"split\": true"));
	CHECK(has("\"nfs_status_name\": \"NFS4_OK\"") && has("\"nfs_status_name\": \"NFS3_OK\""));
	CHECK(strstr(buf, "\"op\"") == NULL);	/* a latency record names no operation */
	/* without the split, no queue/rtt figures that would read as zero */
	d.worst_events[0].nfs.flags = 0;
	d.nworst = 1;
	CHECK(build(&an, &d) > 0);
	CHECK(has("\"split\": false") && strstr(buf, "queue_ns") == NULL);
	/* a record shorter than its struct is shown with its header only */
	d.worst_events[0].h.size = 80;
	CHECK(build(&an, &d) > 0);
	CHECK(strstr(buf, "\"proc\"") == NULL && has("\"comm\": \"dd\""));
}

static void test_nfs_error(void)
{
	static struct detect_anomaly d;
	struct cfg_anomaly an = { .name = "error", .proto = "nfs", .type = CFG_ERROR, .space = NAMES_NFS,
				  .nrules = 1 };

	strcpy(an.rules[0].name, "readonly");
	d.rule = 0;
	d.count = 2;
	d.nworst = 2;
	d.worst_events[0] = nfs(4, 2, 2000000, 0);
	d.worst_events[0].nfs.flags = AOD_NFS_ERR;
	d.worst_events[0].nfs.op = 38;
	d.worst_events[0].nfs.nfs_status = 30;
	d.worst_events[1] = nfs(3, 12, 1000000, 0);
	d.worst_events[1].nfs.flags = 0;
	d.worst_events[1].nfs.rpc_status = -ETIMEDOUT;
	CHECK(build(&an, &d) > 0);
	CHECK(has("\"type\": \"error\"") && has("\"rule\": \"readonly\""));
	CHECK(has("\"op\": \"OP_WRITE\"") && has("\"op_id\": 38"));
	CHECK(has("\"nfs_status\": 30") && has("\"nfs_status_name\": \"NFS4ERR_ROFS\""));
	CHECK(has("\"proc\": \"NFS3PROC_REMOVE\""));
	CHECK(has("\"rpc_status\": -110") && has("\"errno\": \"ETIMEDOUT\""));
	CHECK(has("\"error\": true") && strstr(buf, "\"error\": false") == NULL);
}

static void test_outage_types(void)
{
	struct cfg_anomaly an = { .name = "stall", .proto = "nfs", .type = CFG_STALL, .space = NAMES_NFS };
	static struct detect_anomaly d;

	d.rule = -1;
	CHECK(build(&an, &d) > 0 && has("\"type\": \"stall\""));
	an.type = CFG_RECONNECT;
	CHECK(build(&an, &d) > 0 && has("\"type\": \"reconnect\""));
	an.type = CFG_SOCKCONN;
	CHECK(build(&an, &d) > 0 && has("\"type\": \"sockconn\""));
}

/* A stall names the command, its age, the session and tree, and the process left waiting. */
static void test_stall_event(void)
{
	struct cfg_anomaly an = { .name = "stall", .proto = "smb", .type = CFG_STALL, .space = NAMES_SMB,
				  .stall_ms = 3000 };
	static struct detect_anomaly d;
	union detect_event *e = &d.worst_events[0];

	d.rule = -1;
	d.emergency = true;
	d.count = 1;
	d.worst = 3250000000ull;
	d.nworst = 1;
	memset(e, 0, sizeof(*e));
	e->h.kind = AOD_EV_STALL;
	e->h.size = sizeof(struct aod_ev_stall);
	e->h.pid = 4321;
	strcpy(e->h.comm, "dd");
	e->stall.proto = AOD_STALL_SMB;
	e->stall.cmd = 8;
	e->stall.age_ns = 3250000000ull;
	e->stall.sesid = 1042692966;
	e->stall.tree = 5;
	e->stall.mid = 99;
	e->stall.count = 4;
	CHECK(build(&an, &d) > 0);
	CHECK(has("\"type\": \"stall\"") && has("\"command\": \"SMB2_READ\"") && has("\"age_ms\": 3250.000000"));
	CHECK(has("\"pid\": 4321") && has("\"comm\": \"dd\"") && has("\"stalled\": 4"));
	CHECK(has("\"sesid\": 1042692966") && has("\"tid\": 5") && has("\"mid\": 99"));
	e->stall.proto = AOD_STALL_NFS;
	e->stall.vers = 4;
	e->stall.cmd = 1;
	e->stall.mid = 0xdeadbeef;
	CHECK(build(&an, &d) > 0);
	CHECK(has("\"proc\": \"NFSPROC4_CLNT_READ\"") && has("\"xid\": \"0xdeadbeef\"") && has("\"proto\": \"nfs\""));
	CHECK(strstr(buf, "\"server\"") == NULL);	/* no name known */
	strcpy(e->stall.host, "192.0.2.7");
	CHECK(build(&an, &d) > 0 && has("\"server\": \"192.0.2.7\""));
	/* a record of the 80 bytes aod wrote before the server name: shown, without a server */
	e->h.size = AOD_EV_STALL_MIN_SIZE;
	CHECK(build(&an, &d) > 0 && has("\"proc\": \"NFSPROC4_CLNT_READ\"") && strstr(buf, "\"server\"") == NULL);
}

static void test_sockconn(void)
{
	struct cfg_anomaly an = { .name = "sockconn", .proto = "nfs", .type = CFG_SOCKCONN, .space = NAMES_NFS };
	static struct detect_anomaly d;
	struct aod_ev_sockconn *e = &d.worst_events[0].conn;
	static const uint8_t v6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };

	d.rule = -1;
	d.count = d.worst = 2;
	d.nworst = 2;
	e->h.kind = AOD_EV_SOCKCONN;
	e->h.size = sizeof(*e);
	e->family = AF_INET;
	memcpy(e->daddr, (uint8_t[]){ 10, 0, 0, 1 }, 4);
	e->sport = 700;
	e->dport = 2049;
	e->oldstate = 2;
	e->newstate = 7;
	e->proto = NAMES_NFS;
	e = &d.worst_events[1].conn;
	*e = d.worst_events[0].conn;
	e->family = AF_INET6;
	memcpy(e->daddr, v6, 16);
	e->oldstate = 1;
	e->newstate = 8;
	e->method = AOD_SOCKCONN_M_PROC;
	CHECK(build(&an, &d) > 0 && has("\"worst_count\": 2") && strstr(buf, "worst_ns") == NULL);
	CHECK(has("\"daddr\": \"10.0.0.1\"") && has("\"dport\": 2049") && has("\"sport\": 700"));
	CHECK(has("\"old_state\": \"SYN_SENT\"") && has("\"new_state\": \"CLOSE\"") && has("\"change\": \"failed\""));
	CHECK(has("\"daddr\": \"2001:db8::2\"") && has("\"new_state\": \"CLOSE_WAIT\"") && has("\"change\": \"went\""));
	CHECK(has("\"measured\": \"/proc/net/tcp\"") && has("\"measured\": \"inet_sock_set_state\""));
	CHECK(has("\"protocol\": \"nfs\""));
}

static void test_ioerr(void)
{
	struct cfg_anomaly an = { .name = "error", .proto = "io", .type = CFG_ERROR, .space = NAMES_IO, .nrules = 1 };
	static struct detect_anomaly d;
	struct aod_ev_ioerr *e = &d.worst_events[0].ioerr;

	strcpy(an.rules[0].name, "nospace");
	d.rule = 0;
	d.count = d.worst = 2;
	d.nworst = 2;
	e->h.kind = AOD_EV_IOERR;
	e->h.size = sizeof(*e);
	e->h.pid = 4321;
	strcpy(e->h.comm, "dd");
	e->op = AOD_IO_WRITE;
	e->err = 28;
	e->fd = 1;
	e->ino = 77;
	e->syscall_nr = 1;
	e->method = AOD_IOERR_M_SYSCALL;
	e = &d.worst_events[1].ioerr;
	*e = d.worst_events[0].ioerr;
	e->op = AOD_IO_FDATASYNC;
	e->err = 512;		/* ERESTARTSYS: no errno name */
	e->fd = -1;
	e->method = AOD_IOERR_M_VFS;
	CHECK(build(&an, &d) > 0 && has("\"worst_count\": 2") && strstr(buf, "worst_ns") == NULL);
	CHECK(has("\"rule\": \"nospace\"") && has("\"kind\": 21") && has("\"comm\": \"dd\""));
	CHECK(has("\"op\": \"write\"") && has("\"errno\": \"ENOSPC\"") && has("\"errno_value\": 28"));
	CHECK(has("\"fd\": 1") && has("\"ino\": 77") && has("\"syscall_nr\": 1") && has("\"measured\": \"syscall\""));
	CHECK(has("\"op\": \"fdatasync\"") && has("\"errno\": null") && has("\"errno_value\": 512"));
	CHECK(has("\"fd\": -1") && has("\"measured\": \"vfs\""));
}

/* A reconnect names what the client said, the server, and for a resend the request. */
static void test_reconnect_event(void)
{
	struct cfg_anomaly an = { .name = "reconnect", .proto = "smb", .type = CFG_RECONNECT, .space = NAMES_SMB };
	static struct detect_anomaly d;
	union detect_event *e = &d.worst_events[0];

	memset(&d, 0, sizeof(d));
	d.rule = -1;
	d.count = 1;
	d.worst = 1;
	d.nworst = 1;
	e->h.kind = AOD_EV_RECONNECT;
	e->h.size = sizeof(struct aod_ev_reconnect);
	e->h.pid = 311;
	strcpy(e->h.comm, "cifsd");
	e->reconn.proto = AOD_STALL_SMB;
	e->reconn.what = AOD_RECONN_SMB_CONNECT_ERR;
	e->reconn.conn_id = 12;
	e->reconn.rc = -111;
	e->reconn.port = 445;
	strcpy(e->reconn.host, "nas.example");
	CHECK(build(&an, &d) > 0 && has("\"type\": \"reconnect\"") && has("\"what\": \"smb3_connect_err\""));
	CHECK(has("\"loss\": false") && has("\"server\": \"nas.example\"") && has("\"port\": 445"));
	CHECK(has("\"conn_id\": 12") && has("\"rc\": -111") && has("\"errno\": \"ECONNREFUSED\""));
	CHECK(has("\"comm\": \"cifsd\"") && strstr(buf, "\"worst_ms\"") == NULL);	/* worst is a count */
	e->reconn.proto = AOD_STALL_NFS;
	e->reconn.what = AOD_RECONN_NFS_RETRANSMIT;
	e->reconn.rc = 0;
	e->reconn.vers = 3;
	e->reconn.proc = 6;
	e->reconn.xid = 0x1234abcd;
	strcpy(e->reconn.host, "127.0.0.1");
	strcpy(an.proto, "nfs");
	an.space = NAMES_NFS;
	CHECK(build(&an, &d) > 0 && has("\"what\": \"xprt_retransmit\"") && has("\"proc\": \"NFS3PROC_READ\""));
	CHECK(has("\"xid\": \"0x1234abcd\"") && strstr(buf, "\"rc\"") == NULL);
	e->reconn.what = AOD_RECONN_NFS_DISCONNECT;
	CHECK(build(&an, &d) > 0 && has("\"what\": \"xprt_disconnect_force\"") && has("\"loss\": true"));
	e->reconn.what = 200;	/* a kind from a newer aod */
	CHECK(build(&an, &d) > 0 && has("\"what\": \"unknown\""));
}

/* The names the daemon resolved go next to the ids of each event, and the summary has one entry per share. */
static void test_names(void)
{
	struct cfg_anomaly an = { .name = "latency", .proto = "smb", .type = CFG_LATENCY, .space = NAMES_SMB };
	static struct detect_anomaly d;
	struct collect_probe_info pi = { .smb_method = "tracepoint (tp_btf)", .nfs_method = "tracepoint (raw_tp)",
					 .nfs_lost = 3 };
	struct manifest_input in = {
		.bundle = "b", .proto = "smb", .anomaly = "latency", .anom = &an, .det = &d, .probe = &pi,
	};
	union detect_event *e;

	d.rule = -1;
	d.count = 7;
	d.nworst = 3;
	for (int i = 0; i < 3; i++) {
		e = &d.worst_events[i];
		memset(e, 0, sizeof(*e));
		e->h.kind = AOD_EV_SMB;
		e->h.size = sizeof(struct aod_ev_smb);
		e->smb.sesid = 0xca30aa97;
		e->smb.tid = i < 2 ? 0x5596b59f : 0x2eae1642;
		e->smb.latency_ns = 200000000;
		shares_tally_add(&d.shares, &e->h, e->smb.latency_ns);
	}
	d.shares.e[0].count = 6;		/* more than the worst kept, as detection counts */
	d.shares.other_count = 1;
	d.shares.other_worst = 150000000;
	strcpy(d.share_names[0].share, "//127.0.0.1/share");
	strcpy(d.share_names[0].server, "127.0.0.1");
	strcpy(d.share_names[0].user, "aod");
	strcpy(d.share_names[0].mount, "/mnt/share");
	strcpy(d.share_names[1].server, "127.0.0.1");	/* the tree was gone: the server only */
	memset(buf, 0, sizeof(buf));
	CHECK(manifest_build(buf, sizeof(buf), &in) > 0);
	flatten();
	CHECK(has("\"sesid\": 3392187031,\"tid\": 1435940255,\"latency_ms\": 200.000000,"));
	CHECK(has("\"error\": false,\"share\": \"//127.0.0.1/share\",\"server\": \"127.0.0.1\",\"user\": \"aod\","
		  "\"mount\": \"/mnt/share\"}"));
	CHECK(has("\"tid\": 783160898,\"latency_ms\": 200.000000,"));
	CHECK(has("\"error\": false,\"server\": \"127.0.0.1\"}]"));
	CHECK(has("\"shares\": [{\"name\": \"//127.0.0.1/share\",\"share\": \"//127.0.0.1/share\",\"server\": "
		  "\"127.0.0.1\",\"user\": \"aod\",\"mount\": \"/mnt/share\",\"sesid\": 3392187031,\"tid\": 1435940255,"
		  "\"count\": 6,\"worst_ms\": 200.000000},{\"name\": \"127.0.0.1\",\"server\": \"127.0.0.1\",\"sesid\": "
		  "3392187031,\"tid\": 783160898,\"count\": 1,\"worst_ms\": 200.000000},{\"name\": \"other\",\"count\": 1,"
		  "\"worst_ms\": 150.000000}]"));
	CHECK(has("\"smb_method\": \"tracepoint (tp_btf)\",\"nfs_method\": \"tracepoint (raw_tp)\",\"nfs_lost\": 3,"));
	/* no names known: the ids alone, as before */
	memset(d.share_names, 0, sizeof(d.share_names));
	memset(buf, 0, sizeof(buf));
	CHECK(manifest_build(buf, sizeof(buf), &in) > 0);
	flatten();
	CHECK(!strstr(buf, "\"share\":") && !strstr(buf, "\"server\":") && has("[{\"name\": \"unknown\",\"sesid\""));
}

int main(void)
{
	test_ioerr();
	test_names();
	test_nfs_latency();
	test_nfs_error();
	test_outage_types();
	test_stall_event();
	test_sockconn();
	test_reconnect_event();
	return CHECK_DONE();
}

// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for captures: the command lines aod builds, and how triggers name, merge and queue cuts. */
#include "../../src/dirlist.c"
#include "../../src/arena.c"
#include "../../src/json.c"
#include "../../src/tar.c"
#include "../../src/io.c"
#include "../../src/archive.c"
#include "../../src/kmsg_record.c"
#include "../../src/text.c"
#include "../../src/topn.c"
#include "../../src/actions.c"
#include "../../src/inet_diag.c"
#include "../../src/names.c"
#include "../../src/family.c"
#include "../../src/shares.c"
#include "../../src/manifest.c"
#include "../../src/tcp_state.c"
#include "../../src/hist.c"
#include "../../src/history.c"
#include "../../src/history_json.c"
#include "../../src/loop.c"
#include "../../src/collect.c"
#include "../../src/log.c"
#include "../../src/pktring.c"
#include "../../src/capture.c"

#include "check.h"

static struct cfg_capture mkcap(const char *proto, const char *tool, int argc, const char *const *argv)
{
	struct cfg_capture c = { .argc = argc };

	snprintf(c.proto, sizeof(c.proto), "%s", proto);
	snprintf(c.tool, sizeof(c.tool), "%s", tool);
	for (int i = 0; i < argc; i++)
		snprintf(c.argv[i], CFG_ARG_MAX, "%s", argv[i]);
	return c;
}

/* argv of a as one string, for comparison */
static const char *joined(const struct cfg_action *a)
{
	static char buf[4096];
	size_t n = 0;

	buf[0] = 0;
	for (int i = 0; i < a->argc; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s", i ? "|" : "", a->argv[i]);
	return buf;
}

static void test_commands(void)
{
	static const char *const aodv2[] = { "-s", "65536", "-B", "10240", "-C", "2", "-W", "100" };
	static const char *const own[] = { "-C", "1", "-W", "2", "-i", "eth0", "-Z", "nobody" };
	static const char *const tc[] = { "-e", "nfs", "-e", "sunrpc", "-b", "1024" };
	struct cfg_capture c = mkcap("smb", "tcpdump", 8, aodv2);
	struct cfg_action a;

	build(&a, &c, "/usr/bin/tcpdump", "/out/capture/smb", TC_START);
	CHECK(!strcmp(joined(&a), "/usr/bin/tcpdump|-s|65536|-B|10240|-C|2|-W|100|-iany|-Zroot|"
				  "-w/out/capture/smb/cap.pcap|port 445"));
	CHECK(a.kind == CFG_ACT_EXEC && a.timeout_ms == CAP_RUN_TIMEOUT_MS && a.argc == 8 + CFG_CAPTURE_TCPDUMP_EXTRA);
	/* the user's own interface and user are kept, aod adds neither */
	c = mkcap("nfs", "tcpdump", 8, own);
	build(&a, &c, "tcpdump", "/o/capture/nfs", TC_START);
	CHECK(!strcmp(joined(&a), "tcpdump|-C|1|-W|2|-i|eth0|-Z|nobody|-w/o/capture/nfs/cap.pcap|port 2049"));
	c = mkcap("nfs", "trace-cmd", 6, tc);
	build(&a, &c, "trace-cmd", "/o/capture/nfs", TC_RESET);
	CHECK(!strcmp(joined(&a), "trace-cmd|reset") && a.timeout_ms == CAP_STEP_TIMEOUT_MS);
	build(&a, &c, "trace-cmd", "/o/capture/nfs", TC_START);
	CHECK(!strcmp(joined(&a), "trace-cmd|start|-e|nfs|-e|sunrpc|-b|1024"));
	build(&a, &c, "trace-cmd", "/o/capture/nfs", TC_STOP);
	CHECK(!strcmp(joined(&a), "trace-cmd|stop") && a.timeout_ms == CAP_STEP_TIMEOUT_MS);
	build(&a, &c, "trace-cmd", "/o/capture/nfs", TC_EXTRACT);
	CHECK(!strcmp(joined(&a), "trace-cmd|extract|-o|/o/capture/nfs/trace.dat"));
	/* extract writes the evidence and reads every event format and kallsyms: it gets longer than the rest */
	CHECK(a.timeout_ms == CAP_EXTRACT_TIMEOUT_MS && CAP_EXTRACT_TIMEOUT_MS > CAP_STEP_TIMEOUT_MS);
	build(&a, &c, "trace-cmd", "/o/capture/nfs", TC_RESET_AFTER);
	CHECK(!strcmp(joined(&a), "trace-cmd|reset"));
}

/* Triggers against captures held in given phases (no process is started: none is RUNNING). */
static void test_triggers(void)
{
	static struct capture cp;
	char nm[4][CAPTURE_NAME_MAX];
	struct cap *smb = &cp.caps[0], *nfs = &cp.caps[1];

	cp.n = 2;
	snprintf(smb->cfg.proto, sizeof(smb->cfg.proto), "smb");
	snprintf(nfs->cfg.proto, sizeof(nfs->cfg.proto), "nfs");
	smb->phase = PH_IDLE;
	smb->restart_at = UINT64_MAX;
	nfs->phase = PH_OFF;
	nfs->disabled = true;

	/* an anomaly of smb: the smb capture only; a disabled one nm nothing */
	CHECK(capture_trigger(&cp, "smb", "latency", 1000, false, nm, 4) == 1);
	CHECK(!strcmp(nm[0], "aod_capture_1000_smb_latency.tar.zst"));
	CHECK(smb->cur.on && !smb->next.on && cp.st.merged == 0);
	CHECK(capture_trigger(&cp, "nfs", "latency", 1001, false, nm, 4) == 0);
	/* before its files are listed, a cut takes later triggers in */
	smb->phase = PH_STOPPING;
	CHECK(capture_trigger(&cp, NULL, "snapshot", 2000, false, nm, 4) == 1);
	CHECK(!strcmp(nm[0], "aod_capture_1000_smb_latency.tar.zst") && smb->cur.merged == 1 && cp.st.merged == 1);
	/* once archiving, the next trigger queues a new cut, and later ones merge into that */
	smb->phase = PH_ARCHIVE;
	CHECK(capture_trigger(&cp, "smb", "error", 3000, false, nm, 4) == 1);
	CHECK(!strcmp(nm[0], "aod_capture_3000_smb_error.tar.zst") && smb->next.on);
	CHECK(capture_trigger(&cp, "smb", "sockconn", 3500, false, nm, 4) == 1);
	CHECK(!strcmp(nm[0], "aod_capture_3000_smb_error.tar.zst") && smb->next.merged == 1);
	/* shutdown: no capture follows, so the cut being archived covers it, and nothing restarts */
	CHECK(capture_trigger(&cp, NULL, "shutdown", 4000, true, nm, 4) == 1);
	CHECK(!strcmp(nm[0], "aod_capture_1000_smb_latency.tar.zst") && smb->final && smb->cur.merged == 2);
	/* the finished cut hands over to the queued one; after that one the capture ends */
	finish_cut(&cp, smb, 5000);
	CHECK(smb->cur.on && !strcmp(smb->cur.name, "aod_capture_3000_smb_error.tar.zst") && !smb->next.on);
	CHECK(smb->phase == PH_IDLE && smb->restart_at == 5000 + CAPTURE_RESTART_NS);
	finish_cut(&cp, smb, 6000);
	CHECK(!smb->cur.on && smb->phase == PH_OFF);
	CHECK(capture_trigger(&cp, "smb", "latency", 7000, false, nm, 4) == 0);
	/* a name never carries a path separator */
	smb->phase = PH_IDLE;
	CHECK(capture_trigger(&cp, "smb", "a/b", 8000, false, nm, 4) == 1);
	CHECK(!strcmp(nm[0], "aod_capture_8000_smb_a_b.tar.zst"));
	CHECK(capture_trigger(NULL, NULL, "snapshot", 1, false, nm, 4) == 0);
}

/* A trigger stops tcpdump only once its block of the last packets has retired: SIGINT waits TCPDUMP_SETTLE_NS,
 * except when nothing is to be kept (drain at exit) or --immediate-mode leaves no block unread. */
static void test_tcpdump_settle(void)
{
	static const char *const args[] = { "-C", "2", "-W", "100" };
	static const char *const imm[] = { "-C", "2", "-W", "100", "--immediate-mode" };
	static struct capture cp;
	struct cap *k = &cp.caps[0];

	cp.n = 1;
	k->cfg = mkcap("smb", "tcpdump", 4, args);
	k->tcpdump = k->busy = true;	/* no real child: pid 0, so no signal can be sent */
	k->phase = PH_RUNNING;
	k->cur.on = true;
	begin_stop(&cp, k, 100);
	CHECK(k->phase == PH_STOPPING && k->settle_until == 100 + TCPDUMP_SETTLE_NS && !k->ch.termed);
	CHECK(TCPDUMP_SETTLE_NS > 1000000000ull);	/* tcpdump's 1 s packet buffer timeout, and a margin */
	k->phase = PH_RUNNING;
	k->cur.discard = true;
	begin_stop(&cp, k, 200);
	CHECK(k->settle_until == 200);
	k->phase = PH_RUNNING;
	k->cur.discard = false;
	k->cfg = mkcap("smb", "tcpdump", 5, imm);
	begin_stop(&cp, k, 300);
	CHECK(k->settle_until == 300);
}

static void test_need(void)
{
	static struct cfg_config cfg;

	CHECK(capture_arena_need(&cfg) == 0);
	cfg.ncaptures = 1;
	CHECK(capture_arena_need(&cfg) > archive_arena_need(CAP_LEVEL));
}

int main(void)
{
	log_set_level(LOG_LVL_ERROR);
	test_commands();
	test_triggers();
	test_tcpdump_settle();
	test_need();
	return CHECK_DONE();
}

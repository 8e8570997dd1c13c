// SPDX-License-Identifier: GPL-2.0-only
/* Rolling captures: tcpdump and trace-cmd run beside the loop and are cut into aod_capture_*.tar.zst on a trigger. */
#include "capture.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "actions.h"
#include "archive.h"
#include "clock.h"
#include "dirlist.h"
#include "io.h"
#include "json.h"
#include "log.h"
#include "loop.h"
#include "pktring.h"

/*
 * How each tool is run, and why:
 * - tcpdump runs as one child for as long as nothing is asked of it; -C/-W keep its files rolling within
 *   size*count. On a trigger it gets SIGINT, on which it flushes and closes the current file; SIGKILL
 *   follows CAPTURE_STOP_GRACE_NS later. aod adds -iany and -Zroot unless given (tcpdump would drop to
 *   user tcpdump, which cannot create the next rolled file in a root-owned directory), -w and the port.
 * - trace-cmd is run as AODv2 runs it: `trace-cmd start` arms the kernel's ring buffer (-b sets its size per
 *   CPU) and exits, so the kernel holds the last events in a fixed size with no process and no disk I/O.
 *   On a trigger `trace-cmd stop`, `trace-cmd extract -o FILE` (the .dat holding the ring's content) and
 *   `trace-cmd reset`. `trace-cmd record` would be one process to SIGINT, but it writes every event to
 *   disk for as long as it runs, with no way to roll: a capture that runs for days would fill the disk.
 *   extract is therefore needed. `start` uses the kernel's top-level trace instance.
 */

#define CAP_LOG_MAX (64 * 1024)			/* a tool's own output kept per step */
#define CAP_STEP_TIMEOUT_MS 7500		/* a trace-cmd subcommand (AODv2: 1.5 x the stop grace) */
/* trace-cmd extract writes the trace: besides the buffers it reads every event format and /proc/kallsyms, which
 * took over 7.5 s in the TCG guest of test/vm. Killing it loses the evidence, and the loop goes on meanwhile. */
#define CAP_EXTRACT_TIMEOUT_MS 20000
#define CAP_RUN_TIMEOUT_MS UINT32_MAX		/* tcpdump runs until stopped (49 days, then restarted) */
#define CAP_MAX_FILES 256			/* tcpdump -W up to this many files is archived whole */
#define CAP_FILE_NAME 64
#define CAP_MANIFEST_SIZE (32 * 1024)
#define CAP_BUF_SIZE (16 * 1024)
#define CAP_DENTS_SIZE (8 * 1024)
#define CAP_ARCHIVE_STEP ((size_t)1 << 20)	/* tar bytes per poll: the loop goes on between steps */
#define CAP_LEVEL 3
#define PKTRING_FILE "packets.pcap"
#define RING_SETTLE_NS (PKTRING_RETIRE_MS * 1000000ull + 50000000ull)	/* trigger to cut: the open block retires */
/* Trigger to tcpdump's SIGINT. libpcap hands tcpdump the kernel's ring a block at a time, a block once full or
 * 1 s old (tcpdump's packet buffer timeout); on SIGINT the block being filled, which holds the packets that led
 * up to the trigger, is dropped unread. Waiting for it to retire puts them in the file (--immediate-mode: no wait). */
#define TCPDUMP_SETTLE_NS 1250000000ull

enum cap_phase {
	PH_IDLE,		/* not running; starts at restart_at */
	PH_STARTING,		/* trace-cmd reset, then start */
	PH_RUNNING,		/* tcpdump running, or the kernel tracing for trace-cmd */
	PH_STOPPING,		/* tcpdump: SIGINT sent; trace-cmd: stop, extract, reset */
	PH_ARCHIVE,		/* its files listed; writing the bundle, or waiting for the one archiver */
	PH_OFF,			/* disabled, or ended */
};

/* trace-cmd's subcommands, in the order of the start and stop sequences. */
enum tc_step { TC_RESET, TC_START, TC_STOP, TC_EXTRACT, TC_RESET_AFTER };

struct cut {
	bool on;
	bool discard;			/* drain: stop without a bundle */
	char name[CAPTURE_NAME_MAX];
	char anomaly[CFG_NAME_MAX];
	int64_t wall_ns;
	uint32_t merged;
	uint64_t trig_ns, stop_ns, stopped_ns;
};

struct cap {
	struct cfg_capture cfg;
	bool tcpdump;
	struct pktring *ring;		/* the built-in packet ring in tcpdump's place (pktring.c) */
	char ring_why[96];		/* why: capture.packets given, or tcpdump not found */
	uint32_t cfg_snaplen;
	uint64_t settle_until;		/* PH_STOPPING: the ring's cut is written, or tcpdump gets SIGINT, then */
	const char *bin;
	enum cap_phase phase;
	enum tc_step step;
	bool busy;			/* ch holds a child */
	bool final;			/* no restart after the current cut */
	bool disabled;
	int failures;			/* start failures in a row */
	uint64_t restart_at, started_ns;
	char dir[PATH_MAX];
	int dirfd, logfd;
	struct cfg_action act;
	struct act_child ch;
	struct act_result res;
	struct act_result stop_res;	/* how the tool ended for the current cut */
	struct cut cur, next;
	/* PH_ARCHIVE */
	char (*files)[CAP_FILE_NAME];
	int nfiles, member, left_out;
	int fd;
	uint64_t bytes;
};

struct capture {
	char cfg_path[PATH_MAX];	/* for messages naming where a capture was configured */
	struct collect *collect;	/* its batches directory and its written callback (upload, status) */
	struct loop *loop;		/* reaps the children (capture_init); NULL: capture_poll does */
	int n;
	struct cap caps[CFG_MAX_CAPTURES];
	struct arena archive_arena;
	struct archive *ar;
	struct cap *arch;		/* whose bundle the archiver writes */
	char *buf, *manifest;
	void *dents;
	struct capture_stats st;
};

/* Pass times come from the loop, trigger times from the clock at the call: never a negative span. */
static uint64_t since(uint64_t later, uint64_t earlier)
{
	return later > earlier ? later - earlier : 0;
}

size_t capture_arena_need(const struct cfg_config *cfg)
{
	if (!cfg->ncaptures)
		return 0;
	return sizeof(struct capture) + archive_arena_need(CAP_LEVEL) + CAP_BUF_SIZE + CAP_MANIFEST_SIZE +
	       CAP_DENTS_SIZE + (size_t)cfg->ncaptures * CAP_MAX_FILES * CAP_FILE_NAME + 8 * 64;
}

static const char *port_of(const char *proto)
{
	return !strcmp(proto, "nfs") ? "2049" : "445";
}

static bool has_flag(const struct cfg_capture *cc, const char *shrt, const char *lng)
{
	for (int i = 0; i < cc->argc; i++)
		if (!strncmp(cc->argv[i], shrt, strlen(shrt)) || !strncmp(cc->argv[i], lng, strlen(lng)))
			return true;
	return false;
}

__attribute__((format(printf, 2, 3)))
static void add_arg(struct cfg_action *a, const char *fmt, ...)
{
	va_list ap;

	if (a->argc >= CFG_MAX_ARGS)
		return;
	va_start(ap, fmt);
	vsnprintf(a->argv[a->argc++], CFG_ARG_MAX, fmt, ap);
	va_end(ap);
}

/* tcpdump's command, or trace-cmd's for one step; the one place aod's own arguments are added. */
static void build(struct cfg_action *a, const struct cfg_capture *cc, const char *bin, const char *dir,
		  enum tc_step step)
{
	static const char *const sub[] = { "reset", "start", "stop", "extract", "reset" };
	bool tcpdump = !strcmp(cc->tool, "tcpdump");

	memset(a, 0, sizeof(*a));
	snprintf(a->name, sizeof(a->name), "%s", cc->tool);
	a->kind = CFG_ACT_EXEC;
	a->max_bytes = CAP_LOG_MAX;
	a->timeout_ms = tcpdump ? CAP_RUN_TIMEOUT_MS : step == TC_EXTRACT ? CAP_EXTRACT_TIMEOUT_MS : CAP_STEP_TIMEOUT_MS;
	add_arg(a, "%s", bin);
	if (!tcpdump)
		add_arg(a, "%s", sub[step]);
	for (int i = 0; (tcpdump || step == TC_START) && i < cc->argc; i++)
		add_arg(a, "%s", cc->argv[i]);
	if (tcpdump) {
		if (!has_flag(cc, "-i", "--interface"))
			add_arg(a, "-iany");
		if (!has_flag(cc, "-Z", "--relinquish-privileges"))
			add_arg(a, "-Zroot");
		add_arg(a, "-w%s/cap.pcap", dir);
		add_arg(a, "port %s", port_of(cc->proto));
	} else if (step == TC_EXTRACT) {
		add_arg(a, "-o");
		add_arg(a, "%s/trace.dat", dir);
	}
}

static const char *bin_of(const struct cfg_capture *cc)
{
	const char *env = getenv(!strcmp(cc->tool, "tcpdump") ? "AOD_TCPDUMP_BIN" : "AOD_TRACECMD_BIN");

	return env && *env ? env : cc->tool;
}

/* capture.packets.ports of a protocol: index 0 smb, 1 nfs */
static int ring_proto(const char *proto)
{
	return !strcmp(proto, "nfs");
}

static const char *ring_ports(const struct cfg_packets *pk, const char *proto, char *buf, size_t cap)
{
	int p = ring_proto(proto);
	size_t w = 0;

	buf[0] = 0;
	for (int i = 0; i < pk->nports[p] && w < cap; i++)
		w += (size_t)snprintf(buf + w, cap - w, "%s%u", i ? "," : "", pk->ports[p][i]);
	return buf;
}

static void print_cmd(const struct cfg_action *a, FILE *out)
{
	fprintf(out, "   ");
	for (int i = 0; i < a->argc; i++)
		fprintf(out, strchr(a->argv[i], ' ') ? " '%s'" : " %s", a->argv[i]);
	fputc('\n', out);
}

void capture_print(const struct cfg_config *cfg, FILE *out)
{
	struct cfg_action a;
	char dir[PATH_MAX + 32], ports[64];

	for (int i = 0; i < cfg->ncaptures; i++) {
		const struct cfg_capture *cc = &cfg->captures[i];

		snprintf(dir, sizeof(dir), "%s/%s/%s", cfg->output_dir, CAPTURE_DIR, cc->proto);
		fprintf(out, "\ncapture %s: %s (%s:%d:%d), cut into aod_capture_<ts>_%s_<anomaly>.tar.zst\n", cc->proto,
			cc->tool, cfg->path, cc->line, cc->col, cc->proto);
		if (!strcmp(cc->tool, "tcpdump")) {
			if (!cfg->packets.set) {
				build(&a, cc, bin_of(cc), dir, TC_START);
				print_cmd(&a, out);
			}
			fprintf(out, "    %s: built-in packet ring on TCP port %s, %u bytes a packet, %u KiB, written as %s\n",
				cfg->packets.set ? "capture.packets" : "where tcpdump is not found",
				ring_ports(&cfg->packets, cc->proto, ports, sizeof(ports)), cfg->packets.snaplen,
				cfg->packets.memory_kb, PKTRING_FILE);
			continue;
		}
		for (enum tc_step s = TC_RESET; s <= TC_START; s++) {
			build(&a, cc, bin_of(cc), dir, s);
			print_cmd(&a, out);
		}
		fprintf(out, "  on a trigger:\n");
		for (enum tc_step s = TC_STOP; s <= TC_RESET_AFTER; s++) {
			build(&a, cc, bin_of(cc), dir, s);
			print_cmd(&a, out);
		}
	}
}

/* ---- files of the work directory ---- */

static int list_one(void *ctx, int dfd, const char *name, unsigned char type)
{
	struct cap *k = ctx;

	(void)dfd;
	if (type != DT_REG && type != DT_UNKNOWN)
		return 0;
	if (strlen(name) >= CAP_FILE_NAME || k->nfiles == CAP_MAX_FILES) {
		k->left_out++;
		return 0;
	}
	snprintf(k->files[k->nfiles++], CAP_FILE_NAME, "%s", name);
	return 0;
}

static int list_files(struct capture *cp, struct cap *k)
{
	k->nfiles = k->left_out = 0;
	if (lseek(k->dirfd, 0, SEEK_SET) < 0)
		return -errno;
	return dirlist_each(k->dirfd, cp->dents, CAP_DENTS_SIZE, list_one, k);
}

/* Remove what the capture wrote (its log is emptied, not removed: aod holds it open). */
static void clear_files(struct capture *cp, struct cap *k)
{
	char log[CFG_NAME_MAX + 8];

	snprintf(log, sizeof(log), "%s.log", k->cfg.tool);
	if (list_files(cp, k) < 0)
		return;
	for (int i = 0; i < k->nfiles; i++)
		if (strcmp(k->files[i], log) && unlinkat(k->dirfd, k->files[i], 0) && errno != ENOENT)
			log_warn("capture %s: unable to remove %s/%s: %s", k->cfg.proto, k->dir, k->files[i],
				 strerror(errno));
	if (ftruncate(k->logfd, 0) < 0)
		log_warn("capture %s: unable to empty %s/%s: %s", k->cfg.proto, k->dir, log, strerror(errno));
	k->nfiles = 0;
}

/* ---- children ---- */

static int run_step(struct capture *cp, struct cap *k, enum tc_step step, uint64_t now)
{
	struct act_env env = { .now_ns = now, .buf = cp->buf, .bufsz = CAP_BUF_SIZE, .loop = cp->loop };
	int r;

	build(&k->act, &k->cfg, k->bin, k->dir, step);
	k->step = step;
	r = actions_exec_start(&k->ch, &k->act, &env, k->logfd, &k->res, now);
	k->busy = r == 1;
	return r;
}

/* Why it failed: the note (exit status, not found) and the last line the tool printed, if any. */
static const char *why(struct cap *k, char *buf, size_t cap)
{
	char tail[160], *end, *line;
	struct stat st;
	ssize_t n = 0;

	if (!fstat(k->logfd, &st) && st.st_size > 0) {
		off_t from = st.st_size > (off_t)sizeof(tail) - 1 ? st.st_size - (off_t)sizeof(tail) + 1 : 0;

		n = pread(k->logfd, tail, sizeof(tail) - 1, from);
	}
	tail[n > 0 ? n : 0] = 0;
	end = tail + strlen(tail);
	while (end > tail && strchr("\n\r \t", end[-1]))
		*--end = 0;
	line = strrchr(tail, '\n');
	line = line ? line + 1 : tail;
	while (*line == ' ' || *line == '\t')
		line++;
	snprintf(buf, cap, "%s%s%s", k->res.note[0] ? k->res.note : "no reason given", *line ? ": " : "", line);
	return buf;
}

static void start_failed(struct capture *cp, struct cap *k, uint64_t now)
{
	char reason[ACTIONS_NOTE_MAX + 200];

	cp->st.spawn_failures++;
	why(k, reason, sizeof(reason));
	if (++k->failures < CAPTURE_MAX_FAILURES) {
		log_warn("capture %s: %s did not start (%s); trying again in %llu s (%d of %d)", k->cfg.proto,
			 k->cfg.tool, reason, CAPTURE_RESTART_NS / 1000000000ull, k->failures, CAPTURE_MAX_FAILURES);
		k->phase = PH_IDLE;
		k->restart_at = now + CAPTURE_RESTART_NS;
		return;
	}
	log_error("capture %s: %s failed to start %d times in a row (last: %s); capture disabled until aod restarts: "
		  "check %s or the capture's arguments (%s:%d:%d)", k->cfg.proto, k->cfg.tool, k->failures, reason,
		  k->tcpdump ? "AOD_TCPDUMP_BIN / tcpdump" : "AOD_TRACECMD_BIN / trace-cmd", cp->cfg_path, k->cfg.line,
		  k->cfg.col);
	cp->st.disabled++;
	k->disabled = true;
	k->phase = PH_OFF;
	if (k->cur.on && !k->cur.discard)
		log_warn("capture %s: %s will not be written: the capture is disabled", k->cfg.proto, k->cur.name);
	if (k->next.on)
		log_warn("capture %s: %s will not be written: the capture is disabled", k->cfg.proto, k->next.name);
	k->cur.on = k->next.on = false;
	clear_files(cp, k);
}

static void start(struct capture *cp, struct cap *k, uint64_t now)
{
	int r;

	k->started_ns = now;
	if (k->ring) {
		/* the socket stays open across cuts: nothing is lost while a bundle is written */
		k->phase = PH_RUNNING;
		return;
	}
	/* the log holds one run's output: a tool that keeps dying cannot grow it without bound */
	if (ftruncate(k->logfd, 0) < 0)
		log_warn("capture %s: unable to empty %s/%s.log: %s", k->cfg.proto, k->dir, k->cfg.tool, strerror(errno));
	if (!k->tcpdump) {
		/* a trace left armed by an earlier run (or another tool) is cleared first, as AODv2 does */
		k->phase = PH_STARTING;
		r = run_step(cp, k, TC_RESET, now);
		if (r == 1)
			return;
		r = run_step(cp, k, TC_START, now);
		if (r != 1)
			start_failed(cp, k, now);
		return;
	}
	r = run_step(cp, k, TC_START, now);
	if (r != 1) {
		start_failed(cp, k, now);
		return;
	}
	k->phase = PH_RUNNING;
	log_info("capture %s: %s started, pid %d, writing into %s", k->cfg.proto, k->cfg.tool, (int)k->ch.pid, k->dir);
}

static void begin_archive(struct capture *cp, struct cap *k, uint64_t now);

/* trace-cmd's stop sequence from step on: the first subcommand that starts runs; none left, archive. */
static void tc_stop_from(struct capture *cp, struct cap *k, enum tc_step step, uint64_t now)
{
	for (; step <= TC_RESET_AFTER; step++)
		if (run_step(cp, k, step, now) == 1)
			return;
	begin_archive(cp, k, now);
}

/* The ring's held packets into <dir>/packets.pcap, the one disk write it makes, then archived as tcpdump's files are. */
static void ring_cut(struct cap *k)
{
	int fd, err = 0;

	if (k->cur.discard) {
		snprintf(k->stop_res.note, sizeof(k->stop_res.note), "built-in packet ring: discarded at exit");
		return;
	}
	fd = openat(k->dirfd, PKTRING_FILE, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		err = -errno;
	else if (!(err = pktring_write_pcap(k->ring, fd)) && close(fd) < 0)
		err = -errno;
	else if (err)
		close(fd);
	if (err) {
		log_warn("capture %s: unable to write %s/%s: %s", k->cfg.proto, k->dir, PKTRING_FILE, strerror(-err));
		k->stop_res.status = ACT_FAILED;
		snprintf(k->stop_res.note, sizeof(k->stop_res.note), "unable to write %s: %s", PKTRING_FILE,
			 strerror(-err));
		return;
	}
	snprintf(k->stop_res.note, sizeof(k->stop_res.note), "built-in packet ring written as %s", PKTRING_FILE);
}

/* SIGINT to tcpdump once its last packets are written (settle_until); SIGKILL follows after the grace period. */
static void tcpdump_interrupt(struct cap *k, uint64_t now)
{
	if (!k->tcpdump || k->ring || k->phase != PH_STOPPING || !k->busy || k->ch.termed || now < k->settle_until)
		return;
	k->cur.stop_ns = now;
	actions_exec_stop(&k->ch, SIGINT, CAPTURE_STOP_GRACE_NS, now);
}

static void begin_stop(struct capture *cp, struct cap *k, uint64_t now)
{
	k->phase = PH_STOPPING;
	k->cur.stop_ns = now;
	memset(&k->stop_res, 0, sizeof(k->stop_res));
	if (k->ring) {
		/* the block the kernel is filling is not ours until it retires: let it */
		k->settle_until = now + RING_SETTLE_NS;
		return;
	}
	if (k->tcpdump) {
		k->settle_until = now;
		if (!k->cur.discard && !has_flag(&k->cfg, "--immediate-mode", "--immediate-mode"))
			k->settle_until += TCPDUMP_SETTLE_NS;
		tcpdump_interrupt(k, now);
		return;
	}
	tc_stop_from(cp, k, TC_STOP, now);
}

/* The child of the current step is reaped: move on. */
static void child_done(struct capture *cp, struct cap *k, uint64_t now)
{
	k->busy = false;
	if (k->phase == PH_STARTING) {
		if (k->step == TC_RESET && run_step(cp, k, TC_START, now) == 1)
			return;
		if (k->step == TC_START && k->res.status == ACT_OK) {
			k->failures = 0;
			k->phase = PH_RUNNING;
			log_info("capture %s: trace-cmd tracing in the kernel's ring buffer", k->cfg.proto);
			return;
		}
		start_failed(cp, k, now);
		return;
	}
	if (k->phase == PH_RUNNING) {	/* tcpdump ended without being asked */
		k->stop_res = k->res;
		if (since(now, k->started_ns) < CAPTURE_SETTLE_NS && !k->cur.on) {
			start_failed(cp, k, now);
			return;
		}
		log_warn("capture %s: tcpdump exited by itself (%s)%s", k->cfg.proto,
			 k->res.note[0] ? k->res.note : "status 0", k->cur.on ? "" : "; restarting in 1 s");
		if (k->cur.on) {
			k->cur.stop_ns = now;
			begin_archive(cp, k, now);
		} else {
			k->phase = PH_IDLE;
			k->restart_at = now + CAPTURE_RESTART_NS;
		}
		return;
	}
	/* PH_STOPPING: tcpdump has ended, or one trace-cmd subcommand has */
	if (k->tcpdump || k->step == TC_EXTRACT)
		k->stop_res = k->res;
	if (k->tcpdump)
		begin_archive(cp, k, now);
	else
		tc_stop_from(cp, k, k->step + 1, now);
}

/* ---- the bundle ---- */

static void finish_cut(struct capture *cp, struct cap *k, uint64_t now)
{
	(void)cp;
	k->cur = k->next;
	k->next.on = false;
	if (k->final && !k->cur.on) {
		k->phase = PH_OFF;
		return;
	}
	k->phase = PH_IDLE;
	k->restart_at = now + CAPTURE_RESTART_NS;
}

static void begin_archive(struct capture *cp, struct cap *k, uint64_t now)
{
	k->phase = PH_ARCHIVE;
	k->cur.stopped_ns = now;
	if (k->cur.discard) {
		clear_files(cp, k);
		finish_cut(cp, k, now);
		return;
	}
	if (list_files(cp, k) < 0)
		log_warn("capture %s: unable to list %s: %s", k->cfg.proto, k->dir, strerror(errno));
	k->member = -1;
	k->fd = -1;
	k->bytes = 0;
}

static void ring_manifest(struct json *j, struct cap *k)
{
	struct pktring_stats st;

	pktring_get_stats(k->ring, &st);
	json_obj_begin(j, "packets");
	json_str(j, "why", k->ring_why);
	json_str(j, "file", PKTRING_FILE);
	json_str(j, "format", "pcap, LINKTYPE_LINUX_SLL, nanosecond timestamps");
	json_u64(j, "snaplen", k->cfg_snaplen);
	json_u64(j, "memory_bytes", st.cap_bytes);
	json_u64(j, "packets_seen", st.packets);
	json_u64(j, "packets_overwritten", st.overwritten);
	json_u64(j, "kernel_drops", st.kernel_drops);
	json_obj_end(j);
}

static int cut_manifest(struct capture *cp, struct cap *k)
{
	struct json j;
	struct stat st;

	json_init(&j, cp->manifest, CAP_MANIFEST_SIZE);
	json_obj_begin(&j, NULL);
	json_str(&j, "bundle", k->cur.name);
	json_str(&j, "kind", "capture");
	json_str(&j, "proto", k->cfg.proto);
	json_str(&j, "anomaly", k->cur.anomaly);
	json_i64(&j, "wall_ns", k->cur.wall_ns);
	json_u64(&j, "merged_triggers", k->cur.merged);
	json_str(&j, "tool", k->ring ? "packets" : k->cfg.tool);
	if (k->ring)
		ring_manifest(&j, k);
	build(&k->act, &k->cfg, k->bin, k->dir, TC_START);
	json_arr_begin(&j, "command");
	for (int i = 0; !k->ring && i < k->act.argc; i++)
		json_str(&j, NULL, k->act.argv[i]);
	json_arr_end(&j);
	json_obj_begin(&j, "stop");
	json_str(&j, "how", k->ring ? "the held packets written on the trigger" :
			    k->tcpdump ? "SIGINT once its last packets are written, SIGKILL after the grace period" :
			    "trace-cmd stop, extract, reset");
	json_str(&j, "status", actions_status_name(k->stop_res.status));
	json_i64(&j, "exit_code", k->stop_res.exit_code);
	json_i64(&j, "signal", k->stop_res.signal);
	json_str(&j, "note", k->stop_res.note);
	json_fixed(&j, "trigger_to_stop_ms", since(k->cur.stop_ns, k->cur.trig_ns), 6);
	json_fixed(&j, "stop_to_stopped_ms", since(k->cur.stopped_ns, k->cur.stop_ns), 6);
	json_obj_end(&j);
	json_arr_begin(&j, "files");
	for (int i = 0; i < k->nfiles; i++) {
		json_obj_begin(&j, NULL);
		json_str(&j, "name", k->files[i]);
		json_u64(&j, "bytes", fstatat(k->dirfd, k->files[i], &st, AT_SYMLINK_NOFOLLOW) ? 0 : (uint64_t)st.st_size);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_u64(&j, "files_left_out", (uint64_t)k->left_out);
	json_obj_end(&j);
	return json_finish(&j);
}

static void archive_done(struct capture *cp, struct cap *k, int err, uint64_t now)
{
	if (k->fd >= 0)
		close(k->fd);
	k->fd = -1;
	if (!err)
		err = archive_finish(cp->ar);
	else
		archive_abort(cp->ar);
	cp->ar = NULL;
	cp->arch = NULL;
	arena_reset(&cp->archive_arena, 0);
	if (err) {
		cp->st.failed++;
		log_error("unable to write the capture bundle %s: %s", k->cur.name, strerror(-err));
	} else {
		struct stat st;

		cp->st.written++;
		if (fstatat(collect_outdir_fd(cp->collect), k->cur.name, &st, AT_SYMLINK_NOFOLLOW))
			st.st_size = 0;
		log_info("capture %s: wrote %s (%d files, %lld bytes)", k->cfg.proto, k->cur.name, k->nfiles,
			 (long long)st.st_size);
		collect_notify_written(cp->collect, k->cur.name, (uint64_t)st.st_size, k->cur.wall_ns);
	}
	clear_files(cp, k);
	finish_cut(cp, k, now);
}

/* Stage the next file: 1 staged, 0 none left, -errno. A file gone meanwhile or not regular is left out. */
static int next_member(struct capture *cp, struct cap *k)
{
	int r;

	if (k->fd >= 0)
		close(k->fd);
	k->fd = -1;
	while (++k->member < k->nfiles) {
		k->fd = openat(k->dirfd, k->files[k->member], O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (k->fd < 0 && (errno == ENOENT || errno == ELOOP))
			continue;
		if (k->fd < 0)
			return -errno;
		r = archive_begin_fd(cp->ar, k->files[k->member], k->fd, time(NULL));
		if (r != -EINVAL)
			return r < 0 ? r : 1;
		close(k->fd);
		k->fd = -1;
	}
	return 0;
}

/* One bounded step of the bundle: the manifest, then each file, then the rename. */
static void cut_archive_step(struct capture *cp, struct cap *k, uint64_t now)
{
	size_t budget = CAP_ARCHIVE_STEP;
	int r, len;

	if (!cp->arch) {
		r = archive_open(&cp->ar, &cp->archive_arena, collect_outdir_fd(cp->collect), k->cur.name, CAP_LEVEL);
		if (r < 0) {
			log_error("unable to create the capture bundle %s: %s", k->cur.name, strerror(-r));
			cp->st.failed++;
			arena_reset(&cp->archive_arena, 0);
			clear_files(cp, k);
			finish_cut(cp, k, now);
			return;
		}
		cp->arch = k;
		len = cut_manifest(cp, k);
		r = len < 0 ? len : archive_begin(cp->ar, "manifest.json", cp->manifest, (size_t)len, k->cur.wall_ns / 1000000000);
		if (r < 0) {
			archive_done(cp, k, r, now);
			return;
		}
	}
	while (budget) {
		r = archive_step(cp->ar, &budget);
		if (r == 0)
			return;
		if (r > 0)
			r = next_member(cp, k);
		if (r <= 0) {
			archive_done(cp, k, r, now);
			return;
		}
	}
}

/* ---- the cycle ---- */

static void poll_one(struct capture *cp, struct cap *k, const fd_set *rd, uint64_t now)
{
	/* a retired block is taken whether or not select saw it: it is one status word to look at */
	pktring_consume(k->ring);
	tcpdump_interrupt(k, now);
	if (k->ring && k->phase == PH_STOPPING && now >= k->settle_until) {
		ring_cut(k);
		begin_archive(cp, k, now);
	}
	if (k->busy) {
		if (!actions_exec_poll(&k->ch, rd, now, cp->buf, CAP_BUF_SIZE)) {
			if (k->phase == PH_RUNNING) {
				/* it outlived the settle time: it did start */
				if (k->failures && since(now, k->started_ns) >= CAPTURE_SETTLE_NS)
					k->failures = 0;
				if (k->cur.on && !k->ch.termed)
					begin_stop(cp, k, now);
			}
			return;
		}
		child_done(cp, k, now);
	}
	if (k->phase == PH_IDLE && now >= k->restart_at)
		start(cp, k, now);
	/* trace-cmd holds no process while it traces */
	if (k->phase == PH_RUNNING && k->cur.on && !k->busy)
		begin_stop(cp, k, now);
	if (k->phase == PH_ARCHIVE && (!cp->arch || cp->arch == k))
		cut_archive_step(cp, k, now);
}

void capture_poll(struct capture *cp, const fd_set *rd, uint64_t now_ns)
{
	if (!cp)
		return;
	for (int i = 0; i < cp->n; i++)
		poll_one(cp, &cp->caps[i], rd, now_ns);
}

void capture_fill_fds(struct capture *cp, fd_set *rd, int *maxfd, uint64_t *deadline_ns)
{
	uint64_t now = mono_ns();

	if (!cp)
		return;
	for (int i = 0; i < cp->n; i++) {
		struct cap *k = &cp->caps[i];
		uint64_t at = UINT64_MAX;

		if (k->busy)
			actions_exec_fill(&k->ch, rd, maxfd, deadline_ns, now);
		if (k->ring && k->phase != PH_OFF) {
			FD_SET(pktring_fd(k->ring), rd);
			if (pktring_fd(k->ring) > *maxfd)
				*maxfd = pktring_fd(k->ring);
		}
		if (k->phase == PH_IDLE)
			at = k->restart_at;
		else if (k->phase == PH_ARCHIVE || (k->phase == PH_RUNNING && k->cur.on))
			at = now;
		else if (k->phase == PH_STOPPING && (k->ring || (k->tcpdump && k->busy && !k->ch.termed)))
			at = k->settle_until;
		else if (k->phase == PH_RUNNING && k->failures)
			at = k->started_ns + CAPTURE_SETTLE_NS;
		if (at < *deadline_ns)
			*deadline_ns = at;
	}
}

static void name_cut(struct cut *c, const struct cap *k, const char *anomaly, int64_t wall_ns, uint64_t now)
{
	char safe[CFG_NAME_MAX];
	size_t i;

	memset(c, 0, sizeof(*c));
	c->on = true;
	snprintf(c->anomaly, sizeof(c->anomaly), "%s", anomaly);
	/* names come from the config (plain) or aod itself; keep '/' and the like out of a file name anyway */
	for (i = 0; anomaly[i] && i + 1 < sizeof(safe); i++)
		safe[i] = strchr("/\\ ", anomaly[i]) ? '_' : anomaly[i];
	safe[i] = 0;
	snprintf(c->name, sizeof(c->name), "aod_capture_%lld_%s_%s.tar.zst", (long long)wall_ns, k->cfg.proto, safe);
	c->wall_ns = wall_ns;
	c->trig_ns = now;
}

int capture_trigger(struct capture *cp, const char *proto, const char *anomaly, int64_t wall_ns, bool final,
		    char out[][CAPTURE_NAME_MAX], int max)
{
	uint64_t now = mono_ns();
	int n = 0;

	for (int i = 0; cp && i < cp->n; i++) {
		struct cap *k = &cp->caps[i];
		struct cut *c;
		bool merge;

		if (proto && strcmp(proto, k->cfg.proto))
			continue;
		if (k->phase == PH_OFF) {
			if (k->disabled)
				log_warn("capture %s: %s disabled, no capture bundle for %s", k->cfg.proto, k->cfg.tool,
					 anomaly);
			continue;
		}
		k->final |= final;
		/* Until its files are listed, the cut being made still covers this trigger; a shutdown
		 * takes the one being archived too, since no capture follows it. */
		if (k->cur.on && (k->phase != PH_ARCHIVE || final))
			c = &k->cur, merge = true;
		else if (!k->cur.on)
			c = &k->cur, merge = false;
		else
			c = &k->next, merge = k->next.on;
		if (merge) {
			c->merged++;
			cp->st.merged++;
		} else {
			name_cut(c, k, anomaly, wall_ns, now);
		}
		if (n < max)
			snprintf(out[n++], CAPTURE_NAME_MAX, "%s", c->name);
		/* stop now rather than on the next pass: the capture ends as close to the trigger as it can */
		if (k->phase == PH_RUNNING && k->cur.on && !(k->busy && k->ch.termed))
			begin_stop(cp, k, now);
	}
	return n;
}

void capture_keep_config(const struct capture *cp, const struct cfg_config *cur, struct cfg_config *next)
{
	bool same = cur->ncaptures == next->ncaptures;

	(void)cp;
	if (cur->packets.set != next->packets.set || cur->packets.snaplen != next->packets.snaplen ||
	    cur->packets.memory_kb != next->packets.memory_kb ||
	    memcmp(cur->packets.ports, next->packets.ports, sizeof(cur->packets.ports)) ||
	    memcmp(cur->packets.nports, next->packets.nports, sizeof(cur->packets.nports))) {
		log_warn("HUP: capture.packets takes effect at restart only; keeping the running packet ring");
		next->packets = cur->packets;
	}
	for (int i = 0; same && i < cur->ncaptures; i++)
		same = !memcmp(&cur->captures[i], &next->captures[i], offsetof(struct cfg_capture, line));
	if (same)
		return;
	log_warn("HUP: the captures (tcpdump, trace-cmd) take effect at restart only; keeping the running ones");
	memcpy(next->captures, cur->captures, sizeof(next->captures));
	next->ncaptures = cur->ncaptures;
}

void capture_get_stats(const struct capture *cp, struct capture_stats *st)
{
	if (cp)
		*st = cp->st;
	else
		memset(st, 0, sizeof(*st));
}

static bool all_off(void *ctx)
{
	const struct capture *cp = ctx;

	for (int i = 0; i < cp->n; i++)
		if (cp->caps[i].phase != PH_OFF)
			return false;
	return true;
}

void capture_loop_fill(void *cp, struct loop_set *s)
{
	capture_fill_fds(cp, &s->rd, &s->maxfd, &s->deadline_ns);
}

void capture_loop_poll(void *cp, const struct loop_set *s, uint64_t now_ns)
{
	capture_poll(cp, &s->rd, now_ns);
}

void capture_drain(struct capture *cp, uint64_t grace_ns)
{
	uint64_t until = mono_ns() + grace_ns;

	if (!cp)
		return;
	for (int i = 0; i < cp->n; i++) {
		struct cap *k = &cp->caps[i];

		k->final = true;
		if (k->phase == PH_IDLE)
			k->phase = PH_OFF;
		else if (!k->cur.on && k->phase != PH_OFF)
			k->cur = (struct cut){ .on = true, .discard = true, .trig_ns = mono_ns() };
	}
	if (loop_drain_until(cp->loop, capture_loop_fill, capture_loop_poll, all_off, cp, until) < 0)
		log_warn("unable to wait for the captures to stop; killing them");
	for (int i = 0; i < cp->n; i++) {
		struct cap *k = &cp->caps[i];

		if (k->phase == PH_OFF)
			continue;
		log_warn("capture %s: %s still busy at exit; killed%s", k->cfg.proto, k->cfg.tool,
			 k->cur.on && !k->cur.discard ? ", its bundle is not written" : "");
		if (k->busy)
			actions_exec_kill(&k->ch, 200000000ull, "killed at exit", cp->buf, CAP_BUF_SIZE);
		if (cp->arch == k) {
			archive_abort(cp->ar);
			cp->ar = NULL;
			cp->arch = NULL;
		}
		if (k->fd >= 0)
			close(k->fd);
		clear_files(cp, k);
		k->phase = PH_OFF;
	}
	for (int i = 0; i < cp->n; i++) {
		pktring_close(cp->caps[i].ring);
		cp->caps[i].ring = NULL;
	}
}

/* ---- setup ---- */

static int open_dir(struct cap *k, const char *out_dir)
{
	char log[CFG_NAME_MAX + 8], dir[PATH_MAX + 32];
	int err;

	/* the path goes into tcpdump's -w and trace-cmd's -o argument */
	snprintf(dir, sizeof(dir), "%s/%s/%s", out_dir, CAPTURE_DIR, k->cfg.proto);
	if (strlen(dir) + sizeof("/trace.dat") + 2 > CFG_ARG_MAX)
		return -ENAMETOOLONG;
	memcpy(k->dir, dir, strlen(dir) + 1);
	err = io_mkdir_p(k->dir, 0700, 0700);
	if (err)
		return err;
	k->dirfd = open(k->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (k->dirfd < 0)
		return -errno;
	snprintf(log, sizeof(log), "%s.log", k->cfg.tool);
	k->logfd = openat(k->dirfd, log, O_RDWR | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600);
	return k->logfd < 0 ? -errno : 0;
}

/* tcpdump's place is the ring's when capture.packets asks for it, or when there is no tcpdump to run;
 * the reason goes into k->ring_why for the log line and the manifest. */
static bool ring_wanted(const struct cfg_config *cfg, struct cap *k)
{
	char path[PATH_MAX];

	if (!k->tcpdump)
		return false;
	if (cfg->packets.set) {
		snprintf(k->ring_why, sizeof(k->ring_why), "capture.packets is given (%d:%d)", cfg->packets.line,
			 cfg->packets.col);
		return true;
	}
	if (actions_find_exe(k->bin, path, sizeof(path)))
		return false;
	snprintf(k->ring_why, sizeof(k->ring_why), "%s not found or not executable", k->bin);
	return true;
}

static void ring_open(struct capture *cp, const struct cfg_config *cfg, struct cap *k)
{
	const struct cfg_packets *pk = &cfg->packets;
	int p = ring_proto(k->cfg.proto);
	int err = pktring_open(&k->ring, pk->ports[p], pk->nports[p], pk->snaplen, pk->memory_kb);
	char ports[64];

	if (err) {
		log_error("capture %s: %s, and the built-in packet ring cannot open: %s%s; capture disabled", k->cfg.proto,
			  k->ring_why, strerror(-err), err == -EPERM ? " (it needs root or CAP_NET_RAW)" : "");
		cp->st.disabled++;
		k->disabled = true;
		k->phase = PH_OFF;
		return;
	}
	k->cfg_snaplen = cfg->packets.snaplen;
	log_info("capture %s: %s: the built-in packet ring holds TCP port %s, %u bytes a packet, in %u KiB", k->cfg.proto,
		 k->ring_why, ring_ports(pk, k->cfg.proto, ports, sizeof(ports)), pk->snaplen, pk->memory_kb);
}

int capture_init(struct capture **out, const struct cfg_config *cfg, struct arena *arena, struct collect *collect,
		 struct loop *loop)
{
	size_t mark = arena_mark(arena);
	struct capture *cp;
	int err;

	*out = NULL;
	if (!cfg->ncaptures)
		return 0;
	cp = arena_new(arena, struct capture, 1);
	if (!cp || !(cp->buf = arena_new(arena, char, CAP_BUF_SIZE)) ||
	    !(cp->manifest = arena_new(arena, char, CAP_MANIFEST_SIZE)) ||
	    !(cp->dents = arena_alloc(arena, 1, CAP_DENTS_SIZE, 8)) ||
	    arena_sub(arena, &cp->archive_arena, archive_arena_need(CAP_LEVEL))) {
		arena_reset(arena, mark);
		return -ENOMEM;
	}
	cp->collect = collect;
	cp->loop = loop;
	snprintf(cp->cfg_path, sizeof(cp->cfg_path), "%s", cfg->path);
	for (int i = 0; i < cfg->ncaptures; i++) {
		struct cap *k = &cp->caps[cp->n];

		k->cfg = cfg->captures[i];
		k->tcpdump = !strcmp(k->cfg.tool, "tcpdump");
		k->bin = bin_of(&k->cfg);
		k->fd = -1;
		k->files = arena_alloc(arena, CAP_FILE_NAME, CAP_MAX_FILES, 8);
		err = k->files ? open_dir(k, cfg->output_dir) : -ENOMEM;
		if (err) {
			log_error("unable to prepare the capture directory %s for %s: %s", k->dir, k->cfg.tool,
				  strerror(-err));
			for (int j = 0; j <= i && j < cp->n + 1; j++) {
				if (cp->caps[j].dirfd > 0)
					close(cp->caps[j].dirfd);
				if (cp->caps[j].logfd > 0)
					close(cp->caps[j].logfd);
				pktring_close(cp->caps[j].ring);
			}
			arena_reset(arena, mark);
			return err;
		}
		clear_files(cp, k);	/* an earlier run's, cut by a crash: never bundled twice */
		if (ring_wanted(cfg, k))
			ring_open(cp, cfg, k);
		cp->n++;
	}
	*out = cp;
	return 0;
}

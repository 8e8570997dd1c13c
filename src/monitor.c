// SPDX-License-Identifier: GPL-2.0-only
/* `aod monitor`: the foreground health view (live lines, log2 histograms, summary table). */
#include "monitor.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "arena.h"
#include "clock.h"
#include "cmds.h"
#include "family.h"
#include "health_source.h"
#include "hist.h"
#include "kmsg.h"
#include "log.h"
#include "loop.h"
#include "names.h"
#include "startup_heap.h"
#include "tcp_state.h"
#include "text.h"

#define MON_COLS 80
#define MON_ARENA (2u << 20)
/* io (failed VFS operations) is no health signal of the kernel monitor's set: shown when named */
#define MON_DEFAULT_FAMILIES (HEALTH_ALL & ~(1u << CFG_H_IOERR))
#define MON_CONT_INDENT "             "	/* continuation of a live line: under its TYPE */

struct mon_opts {
	uint32_t duration_s;
	uint32_t warn_us[HEALTH_NFAM];	/* --sched-warn, --bio-warn, --vfs-warn: by latency family (0: others) */
	uint32_t pid;
	uint32_t families;	/* --families: bit (1 << HEALTH_x); 0 = all but io (MON_DEFAULT_FAMILIES) */
	bool no_hist, quiet;
};

struct monitor {
	struct mon_opts o;
	struct health_source *hs;
	struct kmsg_reader *kr;
	int kmsg_err;
	bool color;
	int64_t wall_off_ns;		/* realtime - monotonic, to print event times */
	uint64_t start_ns, end_ns;	/* monotonic; end 0 = until a signal */
	/* families with a rate (mon_warn without a latency: faults): their count at the last tick
	 * and the most they grew by in one */
	uint64_t last_count[HEALTH_NFAM], peak[HEALTH_NFAM];
	uint64_t kmsg_count[KMSG_NBUILTIN + KMSG_MAX_USER];
	uint64_t kmsg_total;
	uint32_t oom_victims[8];
	int noom_victims;
	uint64_t lines;
	struct loop loop;		/* the signal, ring buffer and kmsg fds, the 1 s tick and the end */
};

static const char *const status_names[] = { "n/a", "OK", "WARNING", "CRITICAL" };

/* WARNING at warn, CRITICAL at ten times warn: latencies and rates alike. */
static enum monitor_status warn_status(uint64_t v, uint64_t warn)
{
	if (v >= warn * 10)
		return MON_CRITICAL;
	if (v >= warn)
		return MON_WARNING;
	return MON_OK;
}

enum monitor_status monitor_latency_status(uint64_t worst_ns, uint32_t warn_us)
{
	return warn_status(worst_ns, (uint64_t)warn_us * 1000);
}

/* A family whose summary judges its peak per second rather than its occurrences (faults). */
static bool has_rate(int f)
{
	return !cfg_health_is_latency(f) && family_table[f].mon_warn;
}

static const char *paint(const struct monitor *m, enum monitor_status s)
{
	static const char *const c[] = { "", "\033[32m", "\033[33m", "\033[1;31m" };

	return m->color ? c[s] : "";
}

static const char *unpaint(const struct monitor *m)
{
	return m->color ? "\033[0m" : "";
}

/* Print `text` wrapped at MON_COLS, continuation lines indented by `indent`. */
static void wrap(FILE *out, const char *first, const char *text, int indent)
{
	int col = (int)strlen(first), n, words = 0;
	const char *p = text;

	fputs(first, out);
	while (*p) {
		while (*p == ' ')
			p++;
		n = (int)strcspn(p, " ");
		if (!n)
			break;
		if (words && col + 1 + n > MON_COLS) {
			fprintf(out, "\n%*s", indent, "");
			col = indent;
		} else if (words) {
			fputc(' ', out);
			col++;
		}
		fprintf(out, "%.*s", n, p);
		col += n;
		words++;
		p += n;
	}
	fputc('\n', out);
}

/* ---- live lines ---- */

static void fmt_time(const struct monitor *m, uint64_t ts_ns, char *buf, size_t len)
{
	int64_t wall = (int64_t)ts_ns + m->wall_off_ns;
	time_t sec = (time_t)(wall / 1000000000);
	struct tm tm;

	localtime_r(&sec, &tm);
	snprintf(buf, len, "%02d:%02d:%02d.%03d", tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (int)(wall % 1000000000 / 1000000));
}

static void live_line(struct monitor *m, const struct aod_ev_hdr *h, const char *type, const char *details,
		      enum monitor_status s)
{
	char when[16], head[96], comm[AOD_COMM_LEN + 1];
	const char *tag = s >= MON_WARNING ? status_names[s] : "";
	int room, len = (int)strlen(details), cut;

	m->lines++;
	if (m->o.quiet)
		return;
	memcpy(comm, h->comm, AOD_COMM_LEN);
	comm[AOD_COMM_LEN] = 0;
	fmt_time(m, h->ts_ns, when, sizeof(when));
	snprintf(head, sizeof(head), "%s %-5s cpu=%u pid=%u %s ", when, type, h->cpu, h->pid,
		 *comm ? comm : "-");
	/*
	 * The line keeps its status tag inside 80 columns; details that do not fit continue on
	 * indented lines rather than being cut (a retransmit's far end and state are the point).
	 */
	room = MON_COLS - 1 - (int)strlen(head) - (*tag ? (int)strlen(tag) + 1 : 0);
	if (room < 8)
		room = 8;
	cut = len;
	if (len > room) {
		for (cut = room; cut > 0 && details[cut] != ' '; cut--)
			;
		if (!cut)
			cut = room;
	}
	printf("%s%.*s%s%s%s%s\n", head, cut, details, *tag ? " " : "", paint(m, s), tag,
	       *tag ? unpaint(m) : "");
	if (cut < len)
		wrap(stdout, MON_CONT_INDENT, details + cut, (int)strlen(MON_CONT_INDENT));
}

static enum monitor_status lat_status(const struct monitor *m, int fam, uint64_t ns)
{
	return monitor_latency_status(ns, m->o.warn_us[fam]);
}

static void on_sched(struct monitor *m, const struct aod_ev_sched *e)
{
	char d[96], lat[24];

	snprintf(d, sizeof(d), "runq %s prev %u %.16s", hist_fmt_ns(lat, sizeof(lat), e->latency_ns),
		 e->prev_pid, e->prev_comm);
	live_line(m, &e->h, "SCHED", d, lat_status(m, 0, e->latency_ns));
}

static void on_bio(struct monitor *m, const struct aod_ev_bio *e)
{
	static const char ops[] = "RWFDO";
	char d[112], lat[24];

	/* latency before the sector: a narrow terminal cuts the end of the details first */
	snprintf(d, sizeof(d), "%u:%u %c %u B %s%s sector %" PRIu64, e->major, e->minor, ops[e->op < 5 ? e->op : 4],
		 e->bytes, hist_fmt_ns(lat, sizeof(lat), e->latency_ns), e->error ? " error" : "",
		 (uint64_t)e->sector);
	live_line(m, &e->h, "BIO", d, lat_status(m, 1, e->latency_ns));
}

static const char *ftype_name(unsigned t)
{
	switch (t) {
	case 1: return "fifo";
	case 2: return "chr";
	case 4: return "dir";
	case 6: return "blk";
	case 8: return "file";
	case 10: return "link";
	case 12: return "sock";
	}
	return "?";
}

static void on_vfs(struct monitor *m, const struct aod_ev_vfs *e)
{
	char d[96], lat[24];

	/* the method (vfs or syscall level) is in the header, once */
	snprintf(d, sizeof(d), "%s %s %s ret=%" PRId64, e->op == AOD_VFS_WRITE ? "write" : "read",
		 ftype_name(e->ftype), hist_fmt_ns(lat, sizeof(lat), e->latency_ns), (int64_t)e->bytes);
	live_line(m, &e->h, "VFS", d, lat_status(m, 2, e->latency_ns));
}

static void on_ioerr(struct monitor *m, const struct aod_ev_ioerr *e)
{
	const char *op = names_op_name(NAMES_IO, e->op), *err = names_kernel_errno_name(e->err);
	char d[96];

	snprintf(d, sizeof(d), "%s %s%.0d fd %d ino %" PRIu64, op ? op : "?", err ? err : "errno ", err ? 0 : e->err,
		 e->fd, (uint64_t)e->ino);
	live_line(m, &e->h, "IOERR", d, MON_WARNING);
}

static void on_oom(struct monitor *m, const struct aod_ev_oom *e)
{
	char d[160];

	if (m->noom_victims < (int)(sizeof(m->oom_victims) / sizeof(m->oom_victims[0])))
		m->oom_victims[m->noom_victims++] = e->victim_pid;
	snprintf(d, sizeof(d), "killed pid %u (%.16s) anon %" PRIu64 " kB file %" PRIu64 " kB shmem %" PRIu64
		 " kB vm %" PRIu64 " kB", e->victim_pid, e->victim_comm, (uint64_t)e->anon_rss_kb,
		 (uint64_t)e->file_rss_kb, (uint64_t)e->shmem_rss_kb, (uint64_t)e->total_vm_kb);
	live_line(m, &e->h, "OOM", d, MON_CRITICAL);
}

static void on_tcp(struct monitor *m, const struct aod_ev_tcp *e)
{
	char s[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN], d[160];
	int af = e->family == 10 ? AF_INET6 : AF_INET;

	inet_ntop(af, e->saddr, s, sizeof(s));
	inet_ntop(af, e->daddr, dst, sizeof(dst));
	snprintf(d, sizeof(d), "retransmit %s:%u -> %s:%u %s", s, e->sport, dst, e->dport, tcp_state_name(e->state));
	live_line(m, &e->h, "TCP", d, MON_WARNING);
}

static void on_drop(struct monitor *m, const struct aod_ev_drop *e)
{
	char d[128];

	snprintf(d, sizeof(d), "%s proto 0x%04x at 0x%" PRIx64, health_source_drop_name(m->hs, e->reason),
		 e->protocol, (uint64_t)e->location);
	live_line(m, &e->h, "DROP", d, MON_OK);
}

static void on_fault(struct monitor *m, const struct aod_ev_fault *e)
{
	char d[96];

	if (e->method == AOD_FAULT_M_VMSTAT)
		snprintf(d, sizeof(d), "major faults +%" PRIu64 " in 1 s (system-wide)", (uint64_t)e->count);
	else
		snprintf(d, sizeof(d), "major fault at 0x%" PRIx64, (uint64_t)e->address);
	live_line(m, &e->h, "FAULT", d, warn_status(e->count, family_table[CFG_H_FAULT].mon_warn));
}

static enum monitor_status kmsg_status(int pattern)
{
	return pattern == KMSG_SOFT_LOCKUP || pattern == KMSG_HUNG_TASK || pattern == KMSG_OOM ? MON_CRITICAL
											      : MON_WARNING;
}

static int on_kmsg(void *ctx, const struct aod_ev_kmsg *e)
{
	struct monitor *m = ctx;
	char d[AOD_KMSG_TEXT + 64];

	m->kmsg_total++;
	if (e->pattern < KMSG_NBUILTIN + KMSG_MAX_USER)
		m->kmsg_count[e->pattern]++;
	snprintf(d, sizeof(d), "[%s] %.*s", kmsg_pattern_name(&m->kr->m, e->pattern), AOD_KMSG_TEXT, e->text);
	live_line(m, &e->h, "KMSG", d, kmsg_status(e->pattern));
	return 0;
}

/* Each family's record has its own fields, so its live line has its own decoder, with the status
 * its tag shows (a single drop is no warning, though drops in the summary are). */
static int on_event(void *ctx, const struct aod_ev_hdr *h, size_t size)
{
	struct monitor *m = ctx;

	if (size < h->size)
		return 0;
	switch (h->kind) {
	case AOD_EV_SCHED: on_sched(m, (const void *)h); break;
	case AOD_EV_BIO: on_bio(m, (const void *)h); break;
	case AOD_EV_VFS: on_vfs(m, (const void *)h); break;
	case AOD_EV_OOM: on_oom(m, (const void *)h); break;
	case AOD_EV_TCP_RETRANS: on_tcp(m, (const void *)h); break;
	case AOD_EV_DROP: on_drop(m, (const void *)h); break;
	case AOD_EV_FAULT: on_fault(m, (const void *)h); break;
	case AOD_EV_IOERR: on_ioerr(m, (const void *)h); break;
	}
	return 0;
}

/* ---- the end report ---- */

struct mon_row {
	const char *name;
	enum monitor_status st;
	uint64_t events, over, worst_ns;
	uint64_t peak;			/* a family with a rate: the most in one second */
	bool latency, attached;
	bool hist;			/* a latency family's histogram was read */
	char figure[128];		/* what its recommendation names, between the row's two advice texts */
};

static void print_hists(struct monitor *m)
{
	char p50[24], p99[24], mx[24], line[160], title[64];
	struct aod_hist h;

	for (int f = 0; f < HEALTH_NFAM; f++) {
		if (!cfg_health_is_latency(f) || !health_source_attached(m->hs, f) || health_source_hist(m->hs, f, &h))
			continue;
		hist_fmt_ns(p50, sizeof(p50), hist_percentile(h.slots, AOD_HIST_SLOTS, 50) * 1000);
		hist_fmt_ns(p99, sizeof(p99), hist_percentile(h.slots, AOD_HIST_SLOTS, 99) * 1000);
		hist_fmt_ns(mx, sizeof(mx), h.max_ns);
		snprintf(line, sizeof(line), "%" PRIu64 " events, p50 <= %s, p99 <= %s, max %s", (uint64_t)h.count,
			 p50, p99, mx);
		printf("\n");
		snprintf(title, sizeof(title), "%s: %s: ", family_table[f].name, family_table[f].measures);
		wrap(stdout, title, line, 2);
		hist_print(stdout, h.slots, AOD_HIST_SLOTS, "usecs");
	}
}

static const enum monitor_status of_level[] = {
	[FAMILY_LEVEL_OK] = MON_OK, [FAMILY_LEVEL_WARNING] = MON_WARNING, [FAMILY_LEVEL_CRITICAL] = MON_CRITICAL,
};

/* A probe family's status word and figure from what was gathered, by its row of the family table. */
static void judge_row(int f, struct mon_row *r, uint32_t warn_us)
{
	const struct family *fam = &family_table[f];

	r->name = fam->name;
	r->latency = cfg_health_is_latency(f);
	if (!r->attached) {
		r->st = MON_NA;
	} else if (r->latency) {
		r->st = r->hist ? monitor_latency_status(r->worst_ns, warn_us) : MON_NA;
		hist_fmt_ns(r->figure, sizeof(r->figure), r->worst_ns);
	} else if (has_rate(f)) {
		r->st = warn_status(r->peak, fam->mon_warn);
		snprintf(r->figure, sizeof(r->figure), "%" PRIu64, r->peak);
	} else {
		r->st = r->events ? of_level[fam->mon_any] : MON_OK;
	}
}

/*
 * What the run saw of each family: the probes' counts, histograms and peaks, and the figures only
 * a family's own records give (oom's victims, drops' most common reason). kmsg is no probe: its
 * status is the worst of the patterns its lines matched.
 */
static void gather_rows(struct monitor *m, struct mon_row *r)
{
	struct health_drop_reason top[1];
	struct aod_hist h;
	size_t n = 0;
	int f, i;

	for (f = 0; f < HEALTH_NFAM; f++) {
		r[f].attached = health_source_attached(m->hs, f);
		if (!r[f].attached)
			continue;
		if (cfg_health_is_latency(f) && !health_source_hist(m->hs, f, &h)) {
			r[f].hist = true;
			r[f].events = h.count;
			r[f].over = h.over;
			r[f].worst_ns = h.max_ns;
			continue;
		}
		r[f].events = health_source_count(m->hs, f);
		r[f].peak = m->peak[f];
	}
	for (i = 0; i < m->noom_victims && n < sizeof(r[CFG_H_OOM].figure) - 16; i++)
		n += (size_t)snprintf(r[CFG_H_OOM].figure + n, sizeof(r[CFG_H_OOM].figure) - n, " %u",
				      m->oom_victims[i]);
	if (r[CFG_H_DROP].events) {
		if (health_source_drops(m->hs, top, 1) < 1)
			top[0].reason = AOD_DROP_REASON_UNKNOWN;
		snprintf(r[CFG_H_DROP].figure, sizeof(r[CFG_H_DROP].figure), "%s",
			 health_source_drop_name(m->hs, top[0].reason));
	}
	r[CFG_H_KMSG].name = family_table[CFG_H_KMSG].name;
	r[CFG_H_KMSG].events = m->kmsg_total;
	r[CFG_H_KMSG].st = m->kr ? MON_OK : MON_NA;
	for (i = 0; m->kr && i < KMSG_NBUILTIN + m->kr->m.nuser; i++)
		if (m->kmsg_count[i] && kmsg_status(i) > r[CFG_H_KMSG].st)
			r[CFG_H_KMSG].st = kmsg_status(i);
}

static void fill_rows(struct monitor *m, struct mon_row *r)
{
	gather_rows(m, r);
	for (int f = 0; f < HEALTH_NFAM; f++)
		judge_row(f, &r[f], m->o.warn_us[f]);
}

static enum monitor_status print_table(FILE *out, const struct monitor *m, const struct mon_row *r)
{
	enum monitor_status overall = MON_OK;
	char worst[24], over[24];

	fprintf(out, "\n%-10s %12s %12s %12s  %s\n", "SUBSYSTEM", "EVENTS", "OVER WARN", "WORST", "STATUS");
	for (int f = 0; f < CFG_H_COUNT; f++) {
		snprintf(worst, sizeof(worst), "-");
		snprintf(over, sizeof(over), "-");
		if (r[f].latency && r[f].st != MON_NA) {
			hist_fmt_ns(worst, sizeof(worst), r[f].worst_ns);
			snprintf(over, sizeof(over), "%" PRIu64, r[f].over);
		} else if (has_rate(f) && r[f].st != MON_NA) {
			snprintf(worst, sizeof(worst), "%" PRIu64 "/s", r[f].peak);
		}
		fprintf(out, "%-10s %12" PRIu64 " %12s %12s  %s%s%s\n", r[f].name, r[f].events, over, worst,
			paint(m, r[f].st), status_names[r[f].st], r[f].st ? unpaint(m) : "");
		if (r[f].st > overall)
			overall = r[f].st;
	}
	fprintf(out, "\noverall: %s%s%s\n", paint(m, overall), status_names[overall], unpaint(m));
	return overall;
}

static void recommend_one(FILE *out, int f, const struct mon_row *r)
{
	const char *const *advice = family_table[f].advice;
	char text[320], first[24];

	/* io has no advice of its own yet, and has always printed kmsg's (which does not fit it) */
	if (!advice[0])
		advice = family_table[CFG_H_KMSG].advice;
	snprintf(text, sizeof(text), "%s%s%s", advice[0], r->figure, advice[1] ? advice[1] : "");
	snprintf(first, sizeof(first), "  %-7s ", r->name);
	wrap(out, first, text, 10);
}

static void print_recommendations(FILE *out, const struct mon_row *r)
{
	bool any = false;

	for (int f = 0; f < CFG_H_COUNT; f++) {
		if (r[f].st < MON_WARNING)
			continue;
		if (!any)
			fprintf(out, "\nrecommendations:\n");
		any = true;
		recommend_one(out, f, &r[f]);
	}
}

static void print_drops(struct monitor *m)
{
	struct health_drop_reason d[8];
	int n = health_source_drops(m->hs, d, 8);

	if (n <= 0)
		return;
	printf("\ndrops by reason:\n");
	for (int i = 0; i < n; i++)
		printf("  %-40s %12" PRIu64 "\n", health_source_drop_name(m->hs, d[i].reason), d[i].count);
}

static void print_probes(struct monitor *m)
{
	struct aod_loss l;
	char first[32], text[HEALTH_METHOD_MAX + 64];

	printf("\nprobes (lost = ring buffer full + map full):\n");
	for (int f = 0; f < HEALTH_NFAM; f++) {
		health_source_loss(m->hs, f, &l);
		snprintf(first, sizeof(first), "  %-7s ", health_source_family_name(f));
		snprintf(text, sizeof(text), "lost %" PRIu64 " + %" PRIu64 ", %s", (uint64_t)l.ringbuf_full,
			 (uint64_t)l.map_full, health_source_method(m->hs, f));
		wrap(stdout, first, text, 10);
	}
	if (m->kr)
		snprintf(text, sizeof(text), "lost %" PRIu64 ", /dev/kmsg, %" PRIu64 " records read",
			 m->kr->lost, m->kr->records);
	else
		snprintf(text, sizeof(text), "not read (/dev/kmsg: %s)", strerror(-m->kmsg_err));
	wrap(stdout, "  kmsg    ", text, 10);
}

/* "sched 1000, bio 10000, vfs 5000 us": the latency families' warn, as their options name them */
static void fmt_warns(const struct monitor *m, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (int f = 0; f < HEALTH_NFAM && n < len; f++)
		if (cfg_health_is_latency(f))
			n += (size_t)snprintf(buf + n, len - n, "%s%s %u", n ? ", " : "", family_table[f].mon_opt,
					      m->o.warn_us[f]);
	if (n < len)
		snprintf(buf + n, len - n, " us");
}

static void report(struct monitor *m)
{
	struct mon_row rows[CFG_H_COUNT];
	char dur[24], warns[96], line[160];

	memset(rows, 0, sizeof(rows));
	if (!m->o.no_hist && !m->o.quiet)
		print_hists(m);
	fill_rows(m, rows);
	hist_fmt_ns(dur, sizeof(dur), mono_ns() - m->start_ns);
	fmt_warns(m, warns, sizeof(warns));
	snprintf(line, sizeof(line), "%s (warn: %s; critical 10x)", dur, warns);
	printf("\n");
	wrap(stdout, "summary after ", line, 2);
	print_table(stdout, m, rows);
	print_recommendations(stdout, rows);
	print_drops(m);
	print_probes(m);
	fflush(stdout);
}

/* ---- the loop ---- */

static void tick(struct monitor *m)
{
	uint64_t n;

	health_source_tick(m->hs, mono_ns());
	for (int f = 0; f < HEALTH_NFAM; f++) {
		if (!has_rate(f))
			continue;
		n = health_source_count(m->hs, f);
		if (n - m->last_count[f] > m->peak[f] && n >= m->last_count[f])
			m->peak[f] = n - m->last_count[f];
		m->last_count[f] = n;
	}
}

static void on_signal(void *ctx, uint64_t now)
{
	struct monitor *m = ctx;

	loop_stop(&m->loop);	/* INT or TERM: stop and report */
}

static void on_ring(void *ctx, uint64_t now)
{
	struct monitor *m = ctx;

	health_source_consume(m->hs);
}

static void on_kmsg_fd(void *ctx, uint64_t now)
{
	struct monitor *m = ctx;

	kmsg_read(m->kr, on_kmsg, m);
}

static void on_tick(void *ctx, uint64_t now)
{
	tick(ctx);
}

static void on_end(void *ctx, uint64_t now)
{
	struct monitor *m = ctx;

	loop_stop(&m->loop);
}

/* After every pass: the lines of this pass reach a pipe now, not when stdio's buffer fills. */
static void flush_out(void *ctx, const struct loop_set *s, uint64_t now)
{
	fflush(stdout);
}

static int run_loop(struct monitor *m, int sfd)
{
	int rbfd = health_source_fd(m->hs), kfd = m->kr ? m->kr->fd : -1, err;
	uint64_t now = mono_ns();

	loop_init(&m->loop);
	err = loop_add_fd(&m->loop, sfd, on_signal, m);
	if (err >= 0 && rbfd >= 0)
		err = loop_add_fd(&m->loop, rbfd, on_ring, m);
	if (err >= 0 && kfd >= 0)
		err = loop_add_fd(&m->loop, kfd, on_kmsg_fd, m);
	if (err >= 0)
		err = loop_add_timer(&m->loop, now + 1000000000ull, 1000000000ull, on_tick, m);
	if (err >= 0 && m->end_ns)
		err = loop_add_timer(&m->loop, m->end_ns, 0, on_end, m);
	if (err >= 0)
		err = loop_add_poller(&m->loop, NULL, flush_out, m);
	return err < 0 ? err : loop_run(&m->loop);
}

static int make_sigfd(int *sfd)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return -errno;
	*sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	return *sfd < 0 ? -errno : 0;
}

/* ---- start ---- */

static int parse_u32(const char *opt, const char *s, uint32_t min, uint32_t *out)
{
	uint32_t v;

	if (text_parse_u32(s, &v) < 0 || v < min) {
		fprintf(stderr, "aod monitor: invalid %s '%s': expected a whole number >= %u\n", opt, s, min);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

/* "sched,vfs,...": the families to attach, by their health_source names. */
static int parse_families(const char *s, uint32_t *out)
{
	char buf[128], *tok, *save = NULL;
	int f;

	snprintf(buf, sizeof(buf), "%s", s);
	*out = 0;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		for (f = 0; f < HEALTH_NFAM && strcmp(tok, health_source_family_name(f)); f++)
			;
		if (f == HEALTH_NFAM) {
			fprintf(stderr, "aod monitor: unknown family '%s' in --families\n", tok);
			return -EINVAL;
		}
		*out |= 1u << f;
	}
	if (!*out) {
		fprintf(stderr, "aod monitor: --families needs at least one family\n");
		return -EINVAL;
	}
	return 0;
}

static int parse_args(int argc, char **argv, struct mon_opts *o)
{
	static const struct option lo[] = {
		{ "duration", required_argument, NULL, 'd' }, { "sched-warn", required_argument, NULL, 's' },
		{ "bio-warn", required_argument, NULL, 'b' }, { "vfs-warn", required_argument, NULL, 'v' },
		{ "no-histogram", no_argument, NULL, 'n' }, { "quiet", no_argument, NULL, 'q' },
		{ "pid", required_argument, NULL, 'p' }, { "help", no_argument, NULL, 'h' },
		{ "families", required_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	int c, err = 0;

	*o = (struct mon_opts){ 0 };
	for (int f = 0; f < HEALTH_NFAM; f++)
		if (cfg_health_is_latency(f))
			o->warn_us[f] = family_table[f].mon_warn;
	optind = 1;
	while (!err && (c = getopt_long(argc, argv, "qh", lo, NULL)) != -1) {
		switch (c) {
		case 'd': err = parse_u32("--duration", optarg, 0, &o->duration_s); break;
		case 's': err = parse_u32("--sched-warn", optarg, 1, &o->warn_us[CFG_H_SCHED]); break;
		case 'b': err = parse_u32("--bio-warn", optarg, 1, &o->warn_us[CFG_H_BIO]); break;
		case 'v': err = parse_u32("--vfs-warn", optarg, 1, &o->warn_us[CFG_H_VFS]); break;
		case 'p': err = parse_u32("--pid", optarg, 1, &o->pid); break;
		case 'f': err = parse_families(optarg, &o->families); break;
		case 'n': o->no_hist = true; break;
		case 'q': o->quiet = true; break;
		case 'h': return 1;
		default: err = -EINVAL;
		}
	}
	if (!err && optind < argc) {
		fprintf(stderr, "aod monitor: unexpected argument '%s'\n", argv[optind]);
		err = -EINVAL;
	}
	return err;
}

static void print_header(struct monitor *m, uint64_t attach_ns)
{
	char when[32], text[HEALTH_NFAM * (HEALTH_METHOD_MAX + 16) + 64], dur[32], line[160];
	time_t now = time(NULL);
	struct tm tm;
	size_t n = 0;

	localtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
	if (m->o.duration_s)
		snprintf(dur, sizeof(dur), "for %u s", m->o.duration_s);
	else
		snprintf(dur, sizeof(dur), "until Ctrl-C");
	/* the pid filter right after the time, so "pid N only" stays on the first line, unwrapped */
	n = (size_t)snprintf(line, sizeof(line), "%s, ", when);
	if (m->o.pid)
		n += (size_t)snprintf(line + n, sizeof(line) - n, "pid %u only, ", m->o.pid);
	snprintf(line + n, sizeof(line) - n, "%s, probes attached in %" PRIu64 " ms", dur, attach_ns / 1000000);
	wrap(stdout, "aod monitor: started ", line, 2);
	n = 0;
	for (int f = 0; f < HEALTH_NFAM; f++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "%s %s, ", health_source_family_name(f),
				      health_source_method(m->hs, f));
	snprintf(text + n, sizeof(text) - n, "kmsg %s", m->kr ? "/dev/kmsg" : "not read");
	wrap(stdout, "attached: ", text, 10);
	startup_heap_end();	/* the monitor's startup is over too */
	if (health_source_cost_note(m->hs)) {
		snprintf(text, sizeof(text), "%s. Leave vfs and io out of --families to avoid it.",
			 health_source_cost_note(m->hs));
		wrap(stdout, "note: ", text, 6);
	}
	fflush(stdout);
}

static int start(struct monitor *m, struct arena *a)
{
	struct health_opts ho = { .pid = m->o.pid,
				  .families = m->o.families ? m->o.families : MON_DEFAULT_FAMILIES,
				  /* naming vfs or io in --families is the opt-in to their syscall-level fallback */
				  .syscall_ok = m->o.families,
				  /* io: every failed operation, whatever its errno */
				  .io = { .ops = (1u << AOD_IO_NOPS) - 1, .all_errnos = 1 },
				  .cb = on_event, .cb_ctx = m,
				  /*
				   * Only slow events cross the ring buffers, and this loop drains them at
				   * once; their pages count in the monitor's resident memory, so 64 KiB each
				   * (the daemon keeps 256). What does not fit is counted as lost and shown.
				   */
				  .ringbuf_kb = HEALTH_RING_KB };
	uint64_t t0 = mono_ns();
	struct timespec rt;
	int err;

	_Static_assert(sizeof(ho.floor_us) == sizeof(m->o.warn_us), "one index: the family");
	memcpy(ho.floor_us, m->o.warn_us, sizeof(ho.floor_us));
	if (geteuid() != 0)
		fprintf(stderr, "aod monitor: warning: not running as root (euid %u): the BPF probes need root "
			"or CAP_BPF+CAP_PERFMON, and /dev/kmsg may be unreadable\n", (unsigned)geteuid());
	err = health_source_open(&m->hs, a, &ho);
	if (err) {
		fprintf(stderr, "aod: unable to attach the health probes: %s\n", strerror(-err));
		for (int f = 0; m->hs && f < HEALTH_NFAM; f++)
			fprintf(stderr, "aod:   %s: %s\n", health_source_family_name(f), health_source_method(m->hs, f));
		health_source_close(m->hs);
		m->hs = NULL;
		return err;
	}
	m->kr = arena_new(a, struct kmsg_reader, 1);
	m->kmsg_err = m->kr ? kmsg_open(m->kr) : -ENOMEM;
	if (m->kmsg_err) {
		fprintf(stderr, "aod monitor: kernel log patterns off: unable to open /dev/kmsg: %s\n",
			strerror(-m->kmsg_err));
		m->kr = NULL;
	}
	m->start_ns = mono_ns();
	clock_gettime(CLOCK_REALTIME, &rt);
	m->wall_off_ns = (int64_t)rt.tv_sec * 1000000000 + rt.tv_nsec - (int64_t)mono_ns();
	m->end_ns = m->o.duration_s ? m->start_ns + (uint64_t)m->o.duration_s * 1000000000ull : 0;
	m->color = isatty(STDOUT_FILENO);
	if (!m->o.quiet)
		print_header(m, m->start_ns - t0);
	tick(m);	/* primes the fault counters */
	return 0;
}

int monitor_main(int argc, char **argv)
{
	struct monitor mon;
	struct arena a;
	int sfd = -1, err;

	memset(&mon, 0, sizeof(mon));
	err = parse_args(argc, argv, &mon.o);
	if (err) {
		fprintf(err > 0 ? stdout : stderr, "usage: aod monitor [--duration S] [--sched-warn US] [--bio-warn US] "
			"[--vfs-warn US]\n                   [--no-histogram] [-q] [--pid N]\n"
			"                   [--families sched,block,vfs,oom,tcp,drops,faults,io]\n");
		return err > 0 ? 0 : 2;
	}
	tzset();
	log_level_from_env();
	err = arena_init(&a, MON_ARENA);
	if (!err)
		err = start(&mon, &a);
	if (!err && (err = make_sigfd(&sfd)))
		fprintf(stderr, "aod: unable to create the signal fd: %s\n", strerror(-err));
	if (!err && (err = run_loop(&mon, sfd)))
		fprintf(stderr, "aod: monitor loop failed: %s\n", strerror(-err));
	if (mon.hs) {
		/* detach first, so the lines printed and the kernel's counts cover the same events */
		health_source_stop(mon.hs);
		health_source_consume(mon.hs);
		tick(&mon);	/* vmstat faults since the last timer tick belong in the totals too */
		if (mon.kr)
			kmsg_read(mon.kr, on_kmsg, &mon);
		report(&mon);
		health_source_close(mon.hs);
	}
	if (mon.kr)
		kmsg_close(mon.kr);
	if (sfd >= 0)
		close(sfd);
	arena_fini(&a);
	return err ? 1 : 0;
}

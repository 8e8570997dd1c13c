// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for aod monitor's summary: each family's status rule, its table row and its recommendation, by the family table. */
#include "../../src/tcp_state.c"
#include "../../src/log.c"
#include "../../src/names.c"
#include "../../src/bpflog.c"
#include "../../src/family.c"
#include "../../src/arena.c"
#include "../../src/topn.c"
#include "../../src/kbtf.c"
#include "../../src/bpf_light.c"
#include "../../src/ioerr.c"
#include "../../src/health_source.c"
#include "../../src/hist.c"
#include "../../src/io.c"
#include "../../src/kmsg_record.c"
#include "../../src/kmsg.c"
#include "../../src/loop.c"
#include "../../src/startup_heap.c"
#include "../../src/text.c"
#include "../../src/monitor.c"
#include "check.h"

/* print_table (or print_recommendations) writes want to the byte; else what it wrote goes to stderr. */
static void expect(const struct monitor *m, const struct mon_row *rows, bool table, const char *want)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	CHECK(out);
	if (!out)
		return;
	if (table)
		print_table(out, m, rows);
	else
		print_recommendations(out, rows);
	fclose(out);
	CHECK(!strcmp(buf, want));
	if (strcmp(buf, want))
		fprintf(stderr, "got:\n%s", buf);
	free(buf);
}

static void judge_all(const struct mon_opts *o, struct mon_row *r)
{
	for (int f = 0; f < HEALTH_NFAM; f++)
		judge_row(f, &r[f], o->warn_us[f]);
	r[CFG_H_KMSG].name = family_table[CFG_H_KMSG].name;
}

static struct mon_row row(bool hist, uint64_t events, uint64_t over, uint64_t worst_ns, uint64_t peak)
{
	return (struct mon_row){ .attached = true, .hist = hist, .events = events, .over = over,
				 .worst_ns = worst_ns, .peak = peak };
}

/* The table and the recommendations of a run where every rule fired, byte for byte as they always were. */
static void test_summary(const struct mon_opts *o)
{
	static const char table[] =
		"\n"
		"SUBSYSTEM        EVENTS    OVER WARN        WORST  STATUS\n"
		"sched               256            8      4264 us  WARNING\n"
		"block                84           84       669 us  OK\n"
		"vfs                   0            -            -  n/a\n"
		"oom                   1            -            -  CRITICAL\n"
		"tcp                   3            -            -  WARNING\n"
		"drops                 2            -            -  WARNING\n"
		"faults             1500            -       1200/s  CRITICAL\n"
		"io                  437            -            -  WARNING\n"
		"kmsg                  0            -            -  OK\n"
		"\n"
		"overall: CRITICAL\n";
	static const char recs[] =
		"\n"
		"recommendations:\n"
		"  sched   tasks waited up to 4264 us for a CPU: look at the load (loadavg, top\n"
		"          CPU users), CPU quotas and affinity of busy cgroups.\n"
		"  oom     the OOM killer ran (victims: 4242 4343): check memory limits\n"
		"          (memory.max or memory.limit_in_bytes), leaks and swap.\n"
		"  tcp     TCP retransmitted: loss or congestion on the path; check `ip -s link`\n"
		"          and /proc/net/netstat.\n"
		"  drops   packets were dropped, most for NO_SOCKET (NO_SOCKET: traffic to a\n"
		"          closed port); the per-reason counts are below.\n"
		"  faults  up to 1200 major faults a second: memory pressure or a cold page\n"
		"          cache; check free memory and swap-in.\n"
		"  io      the kernel log matched a pattern: read `dmesg` around the lines marked\n"
		"          KMSG above.\n";
	struct mon_row r[CFG_H_COUNT] = {
		[CFG_H_SCHED] = row(true, 256, 8, 4264000, 0),
		[CFG_H_BIO] = row(true, 84, 84, 669000, 0),
		[CFG_H_OOM] = row(false, 1, 0, 0, 0),
		[CFG_H_TCP] = row(false, 3, 0, 0, 0),
		[CFG_H_DROP] = row(false, 2, 0, 0, 0),
		[CFG_H_FAULT] = row(false, 1500, 0, 0, 1200),
		[CFG_H_IOERR] = row(false, 437, 0, 0, 0),
		[CFG_H_KMSG] = { .st = MON_OK },
	};
	struct monitor m = { .o = *o };

	/* what gather_rows takes from oom's and drops' own records */
	snprintf(r[CFG_H_OOM].figure, sizeof(r[CFG_H_OOM].figure), " 4242 4343");
	snprintf(r[CFG_H_DROP].figure, sizeof(r[CFG_H_DROP].figure), "NO_SOCKET");
	judge_all(o, r);
	expect(&m, r, true, table);
	expect(&m, r, false, recs);
}

/* The other two latency families' advice, and the latency rule's critical step. */
static void test_latency(const struct mon_opts *o)
{
	struct mon_row r[CFG_H_COUNT] = {
		/* just under warn, past ten times warn, past warn */
		[CFG_H_SCHED] = row(true, 5, 0, 999999, 0), [CFG_H_BIO] = row(true, 5, 5, 150000000, 0),
		[CFG_H_VFS] = row(true, 5, 5, 6000000, 0),
		/* attached, nothing seen; tcp not attached */
		[CFG_H_OOM] = row(false, 0, 0, 0, 0), [CFG_H_FAULT] = row(false, 0, 0, 0, 0),
	};
	static const char recs[] =
		"\n"
		"recommendations:\n"
		"  block   block requests took up to 150.0 ms: check /proc/diskstats, device\n"
		"          health and queue depth, and who else does I/O on the device.\n"
		"  vfs     reads/writes took up to 6000 us: find the files behind the slow calls\n"
		"          (at syscall level a read also waits for pipes, sockets and ttys).\n";

	judge_all(o, r);
	CHECK(r[CFG_H_SCHED].st == MON_OK && r[CFG_H_BIO].st == MON_CRITICAL && r[CFG_H_VFS].st == MON_WARNING);
	CHECK(r[CFG_H_OOM].st == MON_OK && r[CFG_H_FAULT].st == MON_OK && r[CFG_H_TCP].st == MON_NA);
	expect(&(struct monitor){ .o = *o }, r, false, recs);
}

static void test_rules(const struct mon_opts *o)
{
	static const struct { int f; uint64_t events, peak; enum monitor_status st; } cases[] = {
		{ CFG_H_OOM, 1, 0, MON_CRITICAL }, { CFG_H_TCP, 1, 0, MON_WARNING },
		{ CFG_H_DROP, 1, 0, MON_WARNING }, { CFG_H_IOERR, 1, 0, MON_WARNING },
		/* faults: the peak per second, not the count: warning at 100, critical at 1000 */
		{ CFG_H_FAULT, 5000, 99, MON_OK }, { CFG_H_FAULT, 100, 100, MON_WARNING },
		{ CFG_H_FAULT, 999, 999, MON_WARNING }, { CFG_H_FAULT, 1000, 1000, MON_CRITICAL },
	};
	struct mon_row r;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		r = row(false, cases[i].events, 0, 0, cases[i].peak);
		judge_row(cases[i].f, &r, o->warn_us[cases[i].f]);
		CHECK(r.st == cases[i].st);
	}
	/* a latency family whose histogram could not be read has no status */
	r = row(false, 7, 0, 0, 0);
	judge_row(CFG_H_SCHED, &r, o->warn_us[CFG_H_SCHED]);
	CHECK(r.st == MON_NA && r.latency);
	/* only faults is judged by its rate, and only the latency families have a warn option */
	for (int f = 0; f < CFG_H_COUNT; f++) {
		CHECK(has_rate(f) == (f == CFG_H_FAULT));
		CHECK(!family_table[f].mon_opt == !cfg_health_is_latency(f));
	}
}

/* The defaults, the options that change them, and the summary line that names them. */
static void test_warns(void)
{
	char *argv[4] = { "monitor", NULL, "7", NULL }, opt[32], warns[96];
	struct mon_opts o;
	struct monitor m;

	CHECK(parse_args(1, argv, &o) == 0);
	CHECK(o.warn_us[CFG_H_SCHED] == 1000 && o.warn_us[CFG_H_BIO] == 10000 && o.warn_us[CFG_H_VFS] == 5000);
	/* the other families' floors stay 0: they go to the health source as is */
	CHECK(o.warn_us[CFG_H_FAULT] == 0 && o.warn_us[CFG_H_OOM] == 0);
	m = (struct monitor){ .o = o };
	fmt_warns(&m, warns, sizeof(warns));
	CHECK(!strcmp(warns, "sched 1000, bio 10000, vfs 5000 us"));
	for (int f = 0; f < HEALTH_NFAM; f++) {
		if (!cfg_health_is_latency(f))
			continue;
		snprintf(opt, sizeof(opt), "--%s-warn", family_table[f].mon_opt);
		argv[1] = opt;
		CHECK(parse_args(3, argv, &o) == 0 && o.warn_us[f] == 7);
	}
}

int main(void)
{
	char *argv[] = { "monitor", NULL };
	struct mon_opts o;

	CHECK(parse_args(1, argv, &o) == 0);
	test_summary(&o);
	test_latency(&o);
	test_rules(&o);
	test_warns();
	return CHECK_DONE();
}

// SPDX-License-Identifier: GPL-2.0-only
/* `aod trace`: load bpf/trace.bpf.c for the chosen capabilities, stream JSON lines, summarize. */
#include "config.h"
#include "trace.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "array.h"
#include "bpf_light.h"
#include "bpflog.h"
#include "clock.h"
#include "family.h"
#include "io.h"
#include "kbtf.h"
#include "log.h"
#include "loop.h"
#include "malloc_guard.h"
#include "retain.h"
#include "text.h"
#include "topn.h"
#include "trace_json.h"
#include "trace.skel.h"

#define OUT_BUF (256 * 1024)
#define MAX_LINKS 24
#define RB_BUDGET 4096		/* records per consume call, so timers and signals still get a turn */
#define NOTES_LEN 1024
#define ONCPU_MAX 10240		/* perf_oncpu max_entries */

static const char trace_usage[] =
"usage: aod trace CAP[,CAP...] [--duration S] [--pid N] [--comm NAME] [--path PREFIX]\n"
"                 [-o FILE | --save]\n"
"  CAP       syscall, network, process, file, perf, security, or all (full names:\n"
"            syscall_trace network_trace process_trace file_trace performance\n"
"            security_event)\n"
"  --duration S   seconds to trace, 0 = until Ctrl-C (default 15)\n"
"  --pid N        process N and the processes it starts while tracing\n"
"  --comm NAME    only tasks with this comm (exec is matched on the new name)\n"
"  --path PREFIX  file_trace: only paths starting with PREFIX, as the caller wrote them\n"
"  -o FILE        write to FILE (FILE.part until the end), default stdout\n"
"  --save         write trace_<epoch>_<caps>.jsonl under $AOD_TRACE_DIR, else the config's trace_dir\n"
"                (default " TRACE_DEFAULT_DIR ")\n"
"Traces in that directory older than $AOD_TRACE_MAX_AGE seconds, else the config's trace_max_age\n"
"(default 3600), are removed by aod trace and by the daemon's cleanup tick.\n";

struct trace_opts {
	unsigned caps;
	uint32_t duration;
	uint32_t pid;
	char comm[AOD_COMM_LEN];
	char prefix[TR_PATH_LEN];
	const char *out_path;
	bool save;
};

/*
 * aod trace's tiers are the first three attach methods (family.h), tried in that order: every hook
 * takes the tier's method, else the run tries the next tier. A hook not traced has M_NONE.
 */
#define M_NONE (-1)
#define NTIERS (ATTACH_TRACEPOINT + 1)

/*
 * One kernel hook and its program for each tier (NULL: none for that tier); caps says which
 * capabilities need it. These are not health families (family.c): a family is an anomaly with a
 * config key, detection and bundles, attached by the first of its methods that works on its own;
 * a trace hook is one tracepoint that several capabilities share, all hooks of a run on one tier.
 * The overlap (sched_switch, block_rq_complete, page_fault_user, tcp_retransmit_skb) is the
 * tracepoint only: trace's programs emit trace_events.h lines, the families' health records.
 */
struct trace_hook {
	const char *tp;
	unsigned caps;
	const char *prog[NTIERS];
};

#define CAPB(c) (1u << (c))
#define SYSCALL_CAPS (CAPB(TR_CAP_SYSCALL) | CAPB(TR_CAP_NETWORK) | CAPB(TR_CAP_PROCESS) | \
		      CAPB(TR_CAP_FILE) | CAPB(TR_CAP_SECURITY))

static const struct trace_hook hooks[] = {
	{ "sys_enter", SYSCALL_CAPS, { "btf_sys_enter", "raw_sys_enter", "tp_sys_enter" } },
	{ "sys_exit", SYSCALL_CAPS, { "btf_sys_exit", "raw_sys_exit", "tp_sys_exit" } },
	{ "sched_process_exec", CAPB(TR_CAP_PROCESS) | CAPB(TR_CAP_SECURITY), { "btf_exec", "raw_exec", NULL } },
	{ "sched_process_fork", CAPB(TR_CAP_PROCESS), { "btf_fork", "raw_fork", NULL } },
	{ "sched_process_exit", CAPB(TR_CAP_PROCESS), { "btf_exit", "raw_exit", NULL } },
	{ "inet_sock_set_state", CAPB(TR_CAP_NETWORK), { "btf_state", "raw_state", NULL } },
	{ "tcp_retransmit_skb", CAPB(TR_CAP_NETWORK), { "btf_retrans", "raw_retrans", NULL } },
	{ "sched_switch", CAPB(TR_CAP_PERF), { "btf_switch", "raw_switch", NULL } },
	{ "sched_wakeup", CAPB(TR_CAP_PERF), { "btf_wakeup", "raw_wakeup", NULL } },
	{ "sched_wakeup_new", CAPB(TR_CAP_PERF), { "btf_wakeup_new", "raw_wakeup_new", NULL } },
	{ "block_rq_complete", CAPB(TR_CAP_PERF), { "btf_bio", "raw_bio", NULL } },
	{ "page_fault_user", CAPB(TR_CAP_PERF), { "btf_fault", "raw_fault", NULL } },
};
#define NHOOK ARRAY_SIZE(hooks)
enum { HOOK_FORK = 3, HOOK_EXIT = 4, HOOK_FAULT = 11 };

/*
 * The programs load one of two ways. Light (bpf_light.c) for the tp_btf and raw_tp tiers: the
 * kernel runs a loader program, so the kernel's BTF is never parsed here; the skeleton is closed
 * once attached and the run keeps fds and its own mapping of .bss. Classic (libbpf's load) for
 * the tracepoint tier, a kernel that cannot run a loader program, or AOD_NO_LIGHT_LOAD=1: the
 * skeleton stays open and owns the fds. Either way the run reads the maps through the fds below.
 */
struct trace_run {
	struct trace_opts o;
	struct trace_bpf *skel;		/* classic; light only until attached */
	struct bpf_link *links[MAX_LINKS];	/* classic */
	int nlinks;
	struct light_obj lo;		/* light */
	int link_fds[MAX_LINKS];	/* light */
	int nlink_fds;
	void *bss_map;			/* light: our mapping of .bss */
	size_t bss_len;
	struct trace_bpf__bss *bss;	/* drops and map_full, either way */
	int events_fd, follow_fd;
	struct ring_buffer *rb;
	int meth[NHOOK];			/* the attach_method of each hook, or M_NONE */
	bool in_btf[NHOOK];		/* the kernel's BTF has btf_trace_<tp> */
	bool have_btf;
	char notes[NOTES_LEN];
	int out_fd;
	char part[PATH_MAX], final[PATH_MAX];
	int out_err;			/* errno of a failed write: the trace stops */
	size_t out_len;
	int64_t mono_to_real;
	uint64_t counts[TT_COUNT];
	uint64_t written, malformed;
	unsigned budget;
	/* performance state */
	int stats_fd, hist_fd, oncpu_fd, vmstat_fd;	/* the BPF maps set once loaded */
	uint64_t prev_stats[TR_ST_COUNT], prev_hist[TR_HIST_SLOTS], prev_pgfault, prev_pgmaj;
	uint64_t last_tick;
	int sigfd;
	struct loop loop;		/* the ring buffer and signal fds, the perf tick, the duration */
};

static char out_buf[OUT_BUF];
static uint32_t oncpu_keys[ONCPU_MAX];

/* What the run could not do, "; "-separated, for the summary line. */
#define note(r, ...) text_note((r)->notes, sizeof((r)->notes), __VA_ARGS__)

/* ---- command line ---- */

static int bad_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int bad_usage(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "aod trace: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n%s", trace_usage);
	return 2;
}

static int parse_opts(int argc, char **argv, struct trace_opts *o)
{
	static const struct option lopts[] = {
		{ "duration", required_argument, NULL, 'd' }, { "pid", required_argument, NULL, 'p' },
		{ "comm", required_argument, NULL, 'c' }, { "path", required_argument, NULL, 'P' },
		{ "output", required_argument, NULL, 'o' }, { "save", no_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	char err[160];
	int c;

	memset(o, 0, sizeof(*o));
	o->duration = TRACE_DEFAULT_DURATION_SEC;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:h", lopts, NULL)) != -1) {
		switch (c) {
		case 'd': if (text_parse_u32(optarg, &o->duration)) return bad_usage("bad --duration '%s'", optarg); break;
		case 'p':
			if (text_parse_u32(optarg, &o->pid) || !o->pid)
				return bad_usage("bad --pid '%s'", optarg);
			break;
		case 'c':
			if (!*optarg)
				return bad_usage("empty --comm");
			if (strlen(optarg) >= AOD_COMM_LEN)
				fprintf(stderr, "aod trace: --comm '%s' cut to %d bytes, as the kernel keeps it\n",
					optarg, AOD_COMM_LEN - 1);
			snprintf(o->comm, sizeof(o->comm), "%s", optarg);
			break;
		case 'P':
			if (!*optarg || strlen(optarg) >= TR_PATH_LEN)
				return bad_usage("--path must be 1 to 255 bytes: '%s'", optarg);
			snprintf(o->prefix, sizeof(o->prefix), "%s", optarg);
			break;
		case 'o': o->out_path = optarg; break;
		case 's': o->save = true; break;
		case 'h': fputs(trace_usage, stdout); return 1;
		case ':': return bad_usage("option '%s' needs a value", argv[optind - 1]);
		default: return bad_usage("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return bad_usage("no capability given");
	if (optind + 1 < argc)
		return bad_usage("unexpected argument '%s'", argv[optind + 1]);
	if (trace_parse_caps(argv[optind], &o->caps, err, sizeof(err)))
		return bad_usage("%s", err);
	if (o->save && o->out_path)
		return bad_usage("-o and --save are exclusive");
	if (o->prefix[0] && !(o->caps & CAPB(TR_CAP_FILE)))
		fprintf(stderr, "aod trace: --path applies to file_trace only\n");
	return 0;
}

/* ---- output ---- */

/* The daemon's config (AOD_CONFIG, /etc/aod/aod.yaml, the embedded one) names trace_dir and trace_max_age,
 * so `aod trace --save` and the daemon's cleanup agree on where traces live. */
static const struct cfg_config *trace_config(void)
{
	static struct cfg_config cfg;
	static int state;

	if (!state) {
		state = config_load_default_chain(&cfg, NULL, stderr) == 0 ? 1 : -1;
		if (state < 0)
			fprintf(stderr, "aod: trace: the config has errors (above); using %s and %d s\n",
				TRACE_DEFAULT_DIR, TRACE_DEFAULT_MAX_AGE_SEC);
	}
	return state > 0 ? &cfg : NULL;
}

static const char *trace_dir(void)
{
	const char *d = getenv("AOD_TRACE_DIR");
	const struct cfg_config *cfg;

	if (d && *d)
		return d;
	cfg = trace_config();
	return cfg && cfg->trace_dir[0] ? cfg->trace_dir : TRACE_DEFAULT_DIR;
}

static int64_t trace_max_age(void)
{
	const char *s = getenv("AOD_TRACE_MAX_AGE");
	const struct cfg_config *cfg;
	uint32_t v;

	if (s && !text_parse_u32(s, &v))
		return v;
	cfg = trace_config();
	return cfg && cfg->trace_max_age_sec ? cfg->trace_max_age_sec : TRACE_DEFAULT_MAX_AGE_SEC;
}

static int save_path(struct trace_run *r)
{
	char caps[128] = "";
	size_t n = 0;
	int i, err;

	for (i = 0; i < TR_NCAPS; i++)
		if (r->o.caps & CAPB(i))
			n += (size_t)snprintf(caps + n, sizeof(caps) - n, "%s%s", n ? "-" : "", trace_cap_name(i));
	/* Traces hold argv and paths: readable by root only. */
	err = io_mkdir_p(trace_dir(), 0755, 0700);
	if (err)
		return err;
	if (snprintf(r->final, sizeof(r->final), "%s/trace_%lld_%s.jsonl", trace_dir(),
		     (long long)time(NULL), caps) >= (int)sizeof(r->final))
		return -ENAMETOOLONG;
	return 0;
}

/* -o naming a directory used to fail only at the rename, after the whole trace had run:
 * the .part beside it opened fine. The caller's message names the path. */
static int out_path_check(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0 && S_ISDIR(st.st_mode) ? -EISDIR : 0;
}

static int open_output(struct trace_run *r)
{
	int err;

	r->out_fd = STDOUT_FILENO;
	if (r->o.save) {
		err = save_path(r);
		if (err)
			return err;
	} else if (r->o.out_path && strcmp(r->o.out_path, "-")) {
		if (snprintf(r->final, sizeof(r->final), "%s", r->o.out_path) >= (int)sizeof(r->final))
			return -ENAMETOOLONG;
		err = out_path_check(r->final);
		if (err)
			return err;
	} else {
		return 0;
	}
	if (snprintf(r->part, sizeof(r->part), "%s.part", r->final) >= (int)sizeof(r->part))
		return -ENAMETOOLONG;
	r->out_fd = open(r->part, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	return r->out_fd < 0 ? -errno : 0;
}

static void out_flush(struct trace_run *r)
{
	size_t off = 0;
	ssize_t n;

	while (off < r->out_len && !r->out_err) {
		n = write(r->out_fd, out_buf + off, r->out_len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			r->out_err = n < 0 ? errno : EIO;
		else
			off += (size_t)n;
	}
	r->out_len = 0;
}

/* Room for one more line at the end of out_buf, flushing first when needed. */
static char *out_room(struct trace_run *r)
{
	if (OUT_BUF - r->out_len < TRACE_LINE_MAX)
		out_flush(r);
	return out_buf + r->out_len;
}

static int close_output(struct trace_run *r)
{
	out_flush(r);
	if (r->out_fd == STDOUT_FILENO)
		return r->out_err ? -r->out_err : 0;
	if (r->out_err)
		close(r->out_fd);
	else
		r->out_err = -io_seal_part(r->out_fd, AT_FDCWD, r->part, r->final);
	r->out_fd = -1;
	return r->out_err ? -r->out_err : 0;
}

/* ---- ring buffer records ---- */

static int on_record(void *ctx, void *data, size_t len)
{
	struct trace_run *r = ctx;
	enum trace_type t;
	int n;

	n = trace_format(data, len, r->mono_to_real, out_room(r), TRACE_LINE_MAX, &t);
	if (n < 0) {
		r->malformed++;
	} else {
		r->out_len += (size_t)n;
		r->counts[t]++;
		r->written++;
	}
	/* A flood must not starve the timers: stop after a budget, the rest stays queued. */
	return ++r->budget >= RB_BUDGET ? -ECANCELED : 0;
}

/* ---- performance, once a second ---- */

static void read_vmstat(struct trace_run *r, uint64_t *pgfault, uint64_t *pgmaj)
{
	static char buf[16384];
	ssize_t n;
	char *p;

	*pgfault = *pgmaj = 0;
	if (r->vmstat_fd < 0)
		return;
	n = pread(r->vmstat_fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return;
	buf[n] = '\0';
	p = strstr(buf, "\npgfault ");
	if (p)
		*pgfault = strtoull(p + 9, NULL, 10);
	p = strstr(buf, "\npgmajfault ");
	if (p)
		*pgmaj = strtoull(p + 12, NULL, 10);
}

static uint64_t top_ns(const void *e)
{
	return ((const struct trace_top *)e)->ns;
}

static void top_insert(struct trace_perf *p, uint32_t pid, const struct tr_oncpu *v)
{
	int n = (int)p->ntop, i = topn_slot(p->top, sizeof(p->top[0]), &n, TRACE_TOP_PROCS, v->ns, top_ns);

	p->ntop = (uint32_t)n;
	if (i < 0)
		return;
	p->top[i].pid = pid;
	p->top[i].ns = v->ns;
	memcpy(p->top[i].comm, v->comm, sizeof(p->top[i].comm));
}

static void drain_oncpu(struct trace_run *r, struct trace_perf *p)
{
	uint32_t key, next, n = 0, i;
	struct tr_oncpu v;
	int err;

	/* Keys first, then lookup+delete: deleting while walking restarts a hash walk. */
	err = bpf_map_get_next_key(r->oncpu_fd, NULL, &next);
	while (!err && n < ONCPU_MAX) {
		oncpu_keys[n++] = next;
		key = next;
		err = bpf_map_get_next_key(r->oncpu_fd, &key, &next);
	}
	for (i = 0; i < n; i++) {
		if (bpf_map_lookup_elem(r->oncpu_fd, &oncpu_keys[i], &v))
			continue;
		bpf_map_delete_elem(r->oncpu_fd, &oncpu_keys[i]);
		p->cpu_total_ns += v.ns;
		p->nprocs++;
		top_insert(p, oncpu_keys[i], &v);
	}
}

static uint64_t delta(uint64_t *prev, uint64_t cur)
{
	uint64_t d = cur >= *prev ? cur - *prev : 0;

	*prev = cur;
	return d;
}

static void perf_tick(struct trace_run *r)
{
	uint64_t v[TR_ST_COUNT] = { 0 }, h, now = mono_ns(), pf, pm;
	struct trace_perf p;
	uint32_t i;
	int n;

	memset(&p, 0, sizeof(p));
	p.ts_ns = now + (uint64_t)r->mono_to_real;
	p.interval_ns = now - r->last_tick;
	r->last_tick = now;
	for (i = 0; i < TR_ST_COUNT; i++)
		if (!bpf_map_lookup_elem(r->stats_fd, &i, &v[i]))
			v[i] = delta(&r->prev_stats[i], v[i]);
	for (i = 0; i < TR_HIST_SLOTS; i++)
		if (!bpf_map_lookup_elem(r->hist_fd, &i, &h))
			p.hist[i] = delta(&r->prev_hist[i], h);
	p.runq_count = v[TR_ST_RUNQ_COUNT];
	p.runq_sum_ns = v[TR_ST_RUNQ_SUM_NS];
	p.bio_count = v[TR_ST_BIO_COUNT];
	p.bio_bytes = v[TR_ST_BIO_BYTES];
	p.bio_read = v[TR_ST_BIO_READ];
	p.bio_write = v[TR_ST_BIO_WRITE];
	p.bio_errors = v[TR_ST_BIO_ERRORS];
	p.faults_traced = r->meth[HOOK_FAULT] != M_NONE;
	p.faults = v[TR_ST_FAULTS];
	read_vmstat(r, &pf, &pm);
	p.pgfault = delta(&r->prev_pgfault, pf);
	p.pgmajfault = delta(&r->prev_pgmaj, pm);
	drain_oncpu(r, &p);
	n = trace_format_perf(&p, out_room(r), TRACE_LINE_MAX);
	if (n > 0) {
		r->out_len += (size_t)n;
		r->counts[TT_PERF]++;
		r->written++;
	}
}

static void perf_start(struct trace_run *r)
{
	uint64_t h;
	uint32_t i;

	r->vmstat_fd = open("/proc/vmstat", O_RDONLY | O_CLOEXEC);
	for (i = 0; i < TR_HIST_SLOTS; i++)
		if (!bpf_map_lookup_elem(r->hist_fd, &i, &h))
			r->prev_hist[i] = h;
	read_vmstat(r, &r->prev_pgfault, &r->prev_pgmaj);
	r->last_tick = mono_ns();
}

/* ---- loading and attaching ---- */

static bool hook_wanted(const struct trace_run *r, size_t i)
{
	if (r->o.caps & hooks[i].caps)
		return true;
	/* The pid filter follows forks, and forgets processes at exit, whatever is traced. */
	return r->o.pid && (i == HOOK_FORK || i == HOOK_EXIT);
}

/*
 * Which tracepoints this kernel has, by their btf_trace_<tp> typedefs: one walk of the mapped
 * BTF (kbtf.c) rather than libbpf's parse of all of it, which costs ~10 ms and ~11 MiB.
 */
static void probe_btf(struct trace_run *r)
{
	char names[NHOOK][64];
	struct kbtf_want w[NHOOK];
	struct kbtf k;
	size_t i;

	for (i = 0; i < NHOOK; i++) {
		snprintf(names[i], sizeof(names[i]), "btf_trace_%s", hooks[i].tp);
		w[i] = (struct kbtf_want){ names[i], BTF_KIND_TYPEDEF, 0 };
	}
	r->have_btf = !kbtf_open(&k, "/sys/kernel/btf/vmlinux", w, (int)NHOOK);
	if (!r->have_btf) {
		note(r, "no kernel BTF: raw_tp only, CO-RE reads need BTF too");
		return;
	}
	for (i = 0; i < NHOOK; i++)
		r->in_btf[i] = w[i].id > 0;
	kbtf_close(&k);
}

/* tier 0: tp_btf where the kernel's BTF has the tracepoint; 1: raw_tp; 2: raw_syscalls as a
 * classic tracepoint (needs tracefs). */
static void choose(struct trace_run *r, int tier)
{
	size_t i;

	for (i = 0; i < NHOOK; i++) {
		r->meth[i] = M_NONE;
		if (!hook_wanted(r, i))
			continue;
		if (r->have_btf && !r->in_btf[i])
			continue;	/* this kernel has no such tracepoint */
		if (tier == ATTACH_TP_BTF && r->in_btf[i])
			r->meth[i] = ATTACH_TP_BTF;
		else if (tier == ATTACH_TRACEPOINT && hooks[i].prog[ATTACH_TRACEPOINT])
			r->meth[i] = ATTACH_TRACEPOINT;
		else
			r->meth[i] = ATTACH_RAW_TP;
	}
	/*
	 * page_fault_user (exceptions:page_fault_user) is x86-only and optional: an arm64 kernel's BTF
	 * has no such tracepoint, so the BTF check above leaves it out there; without BTF to prove it
	 * exists, use vmstat.
	 */
	if (!r->have_btf)
		r->meth[HOOK_FAULT] = M_NONE;
}

static void set_rodata(struct trace_run *r)
{
	struct trace_bpf__rodata *ro = r->skel->rodata;
	static const struct { int nr, nk, cap; } table[] = {
		{ SYS_connect, TR_NK_CONNECT, TR_CAP_NETWORK }, { SYS_accept, TR_NK_ACCEPT, TR_CAP_NETWORK },
		{ SYS_accept4, TR_NK_ACCEPT, TR_CAP_NETWORK }, { SYS_sendto, TR_NK_SEND, TR_CAP_NETWORK },
		{ SYS_sendmsg, TR_NK_SEND, TR_CAP_NETWORK }, { SYS_recvfrom, TR_NK_RECV, TR_CAP_NETWORK },
		{ SYS_recvmsg, TR_NK_RECV, TR_CAP_NETWORK },
		{ SYS_execve, TR_NK_EXECVE, TR_CAP_PROCESS }, { SYS_execveat, TR_NK_EXECVEAT, TR_CAP_PROCESS },
#ifdef SYS_open	/* x86_64 keeps the pre-*at calls; arm64 (asm-generic) never had them */
		{ SYS_open, TR_NK_PATH1, TR_CAP_FILE }, { SYS_creat, TR_NK_PATH1, TR_CAP_FILE },
		{ SYS_unlink, TR_NK_PATH1, TR_CAP_FILE }, { SYS_mkdir, TR_NK_PATH1, TR_CAP_FILE },
		{ SYS_rename, TR_NK_RENAME, TR_CAP_FILE },
#endif
		{ SYS_openat, TR_NK_AT_PATH1, TR_CAP_FILE }, { SYS_openat2, TR_NK_AT_PATH1, TR_CAP_FILE },
		{ SYS_unlinkat, TR_NK_AT_PATH1, TR_CAP_FILE }, { SYS_mkdirat, TR_NK_AT_PATH1, TR_CAP_FILE },
		{ SYS_renameat, TR_NK_RENAMEAT, TR_CAP_FILE },
		{ SYS_renameat2, TR_NK_RENAMEAT, TR_CAP_FILE },
		{ SYS_setuid, TR_NK_SETID, TR_CAP_SECURITY }, { SYS_setgid, TR_NK_SETID, TR_CAP_SECURITY },
		{ SYS_setreuid, TR_NK_SETID, TR_CAP_SECURITY }, { SYS_setregid, TR_NK_SETID, TR_CAP_SECURITY },
		{ SYS_setresuid, TR_NK_SETID, TR_CAP_SECURITY }, { SYS_setresgid, TR_NK_SETID, TR_CAP_SECURITY },
		{ SYS_setfsuid, TR_NK_SETID, TR_CAP_SECURITY }, { SYS_setfsgid, TR_NK_SETID, TR_CAP_SECURITY },
		{ SYS_capset, TR_NK_SETID, TR_CAP_SECURITY }, { SYS_ptrace, TR_NK_PTRACE, TR_CAP_SECURITY },
		{ SYS_init_module, TR_NK_MODULE, TR_CAP_SECURITY },
		{ SYS_finit_module, TR_NK_MODULE, TR_CAP_SECURITY },
		{ SYS_delete_module, TR_NK_DELMODULE, TR_CAP_SECURITY }, { SYS_bpf, TR_NK_BPF, TR_CAP_SECURITY },
	};
	size_t i;

	ro->self_pid = (uint32_t)getpid();
	ro->filt_pid = r->o.pid;
	if (r->o.comm[0]) {
		memcpy(ro->filt_comm, r->o.comm, sizeof(ro->filt_comm));
		ro->filt_comm_len = (uint32_t)strlen(r->o.comm) + 1;
	}
	if (r->o.prefix[0]) {
		memcpy(ro->path_prefix, r->o.prefix, sizeof(ro->path_prefix));
		ro->prefix_len = (uint32_t)strlen(r->o.prefix);
	}
	ro->caps = r->o.caps;
	ro->nr_exit = SYS_exit;
	ro->nr_exit_group = SYS_exit_group;
	ro->nr_execveat = SYS_execveat;
	ro->nr_renameat2 = SYS_renameat2;
	ro->nr_finit_module = SYS_finit_module;
	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if ((r->o.caps & CAPB(table[i].cap)) && table[i].nr < TR_NR_MAX)
			ro->nr_kind[table[i].nr] = (uint8_t)table[i].nk;
}

static struct bpf_program *prog_of(struct trace_run *r, size_t fam, int m)
{
	const char *name = m >= 0 && m < NTIERS ? hooks[fam].prog[m] : NULL;

	return name ? bpf_object__find_program_by_name(r->skel->obj, name) : NULL;
}

static void detach(struct trace_run *r)
{
	while (r->nlinks > 0)
		bpf_link__destroy(r->links[--r->nlinks]);
	while (r->nlink_fds > 0)
		close(r->link_fds[--r->nlink_fds]);
}

static void unload(struct trace_run *r)
{
	detach(r);
	trace_bpf__destroy(r->skel);
	r->skel = NULL;
	if (r->bss_map)
		munmap(r->bss_map, r->bss_len);
	r->bss_map = NULL;
	r->bss = NULL;
	light_close(&r->lo);
}

/* light: by fd, the programs the kernel's loader program left in r->lo; else libbpf's links. */
static int attach_all(struct trace_run *r, bool light, char *why, size_t whylen)
{
	struct bpf_program *p;
	struct bpf_link *l = NULL;
	size_t i;
	int err;

	for (i = 0; i < NHOOK; i++) {
		if (r->meth[i] == M_NONE)
			continue;
		p = prog_of(r, i, r->meth[i]);
		if (!p)
			err = -ENOENT;
		else if (light)
			err = light_attach(p, light_prog_fd(&r->lo, r->skel->obj, bpf_program__name(p)));
		else
			err = (l = bpf_program__attach(p)) ? 0 : -errno;
		if (err < 0) {
			snprintf(why, whylen, "attach %s %s: %s", attach_method_name(r->meth[i]), hooks[i].tp,
				 strerror(-err));
			return err;
		}
		if (light)
			r->link_fds[r->nlink_fds++] = err;
		else
			r->links[r->nlinks++] = l;
	}
	return 0;
}

/* The maps the run reads, as fds; the skeleton is still open. */
static int keep_fds(struct trace_run *r, bool light)
{
	static const char *const names[] = { "events", "follow", "perf_stats", "perf_hist", "perf_oncpu" };
	int *fds[] = { &r->events_fd, &r->follow_fd, &r->stats_fd, &r->hist_fd, &r->oncpu_fd };

	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		*fds[i] = light ? light_map_fd(&r->lo, r->skel->obj, names[i])
				: bpf_object__find_map_fd_by_name(r->skel->obj, names[i]);
		if (*fds[i] < 0)
			return -ENOENT;
	}
	if (!light) {
		r->bss = r->skel->bss;
		return 0;
	}
	r->bss_map = light_mmap(&r->lo, r->skel->obj, ".bss", &r->bss_len);
	r->bss = r->bss_map;
	return r->bss ? 0 : errno ? -errno : -ENOMEM;
}

/* Opened, the tier's programs set to autoload, the filters in rodata. */
static int prepare(struct trace_run *r, char *why, size_t whylen)
{
	struct bpf_program *p;
	size_t i;

	r->skel = trace_bpf__open();
	if (!r->skel) {
		snprintf(why, whylen, "open BPF object: %s", strerror(errno));
		return -errno;
	}
	bpf_object__for_each_program(p, r->skel->obj)
		bpf_program__set_autoload(p, false);
	for (i = 0; i < NHOOK; i++)
		if (r->meth[i] != M_NONE && (p = prog_of(r, i, r->meth[i])))
			bpf_program__set_autoload(p, true);
	set_rodata(r);
	return 0;
}

/* The kernel's loader program, then attach by fd; the skeleton is closed either way. */
static int load_light(struct trace_run *r, int tier, char *why, size_t whylen)
{
	uint64_t t0 = mono_ns();
	int err;

	err = light_load(r->skel->obj, &r->lo, why, whylen);
	if (!err)
		err = attach_all(r, true, why, whylen);
	if (!err && (err = keep_fds(r, true)))
		snprintf(why, whylen, "map the BPF globals: %s", strerror(-err));
	if (!err)
		log_debug("trace: %s: the kernel's loader program ran and attached in %" PRIu64 " us",
			  attach_method_name(tier), (mono_ns() - t0) / 1000);
	trace_bpf__destroy(r->skel);
	r->skel = NULL;
	if (err)
		unload(r);
	return err;
}

static int load_tier(struct trace_run *r, int tier, char *why, size_t whylen)
{
	int err;

	choose(r, tier);
	bpflog_mark();
	err = prepare(r, why, whylen);
	if (err)
		return err;
	if (light_disabled()) {
		log_debug("trace: %s: libbpf's load (AOD_NO_LIGHT_LOAD=1)", attach_method_name(tier));
	} else if (!light_object_attachable(r->skel->obj)) {
		/* classic tracepoints attach through perf events, which a light load cannot do */
		log_debug("trace: %s: libbpf's load (tracepoint programs attach by perf event, not by fd)",
			  attach_method_name(tier));
	} else {
		err = load_light(r, tier, why, whylen);
		if (!light_fallback(err))
			return err;
		log_debug("trace: %s: the kernel's loader program failed (%s), trying libbpf's load", attach_method_name(tier),
			  why);
		why[0] = '\0';
		err = prepare(r, why, whylen);
		if (err)
			return err;
	}
	err = trace_bpf__load(r->skel);
	if (err)
		snprintf(why, whylen, "load (%s): %.200s", strerror(-err), bpflog_first_warning());
	if (!err)
		err = attach_all(r, false, why, whylen);
	if (!err)
		err = keep_fds(r, false);
	if (err)
		unload(r);
	return err;
}

static int first_tier(void)
{
	const char *s = getenv("AOD_TRACE_ATTACH");

	if (s && !strcmp(s, "raw_tp"))
		return ATTACH_RAW_TP;
	if (s && !strcmp(s, "tracepoint"))
		return ATTACH_TRACEPOINT;
	return ATTACH_TP_BTF;
}

static int load(struct trace_run *r)
{
	char why[NTIERS][320];
	int tier, err = -ENOENT;

	probe_btf(r);
	/* AOD_TRACE_ATTACH=raw_tp|tracepoint starts lower, so tests can prove each fallback works. */
	tier = first_tier();
	for (why[0][0] = why[1][0] = why[2][0] = '\0'; tier < NTIERS; tier++) {
		err = load_tier(r, tier, why[tier], sizeof(why[tier]));
		if (!err)
			break;
		if (err == -EPERM) {
			/* No other attach form helps a caller without the privilege. */
			fprintf(stderr, "aod: unable to load the trace programs: %s (aod trace needs root, or "
				"CAP_BPF with CAP_PERFMON)\n", strerror(EPERM));
			return err;
		}
	}
	if (err) {
		fprintf(stderr, "aod: unable to attach the trace programs:");
		for (tier = 0; tier < NTIERS; tier++)
			if (why[tier][0])
				fprintf(stderr, " [%s] %s", attach_method_name(tier), why[tier]);
		fprintf(stderr, "%s (AOD_LOG_LEVEL=debug shows libbpf's log)\n",
			why[2][0] && strstr(why[2], "attach tracepoint") ? "; is tracefs mounted?" : "");
		return err;
	}
	if (why[0][0])
		note(r, "tp_btf refused: %s", why[0]);
	if (why[1][0])
		note(r, "raw_tp refused: %s", why[1]);
	return 0;
}

static int seed_follow(struct trace_run *r)
{
	uint8_t one = 1;

	if (!r->o.pid)
		return 0;
	if (kill((pid_t)r->o.pid, 0) && errno == ESRCH) {
		fprintf(stderr, "aod: unable to trace pid %u: no such process\n", r->o.pid);
		return -ESRCH;
	}
	return bpf_map_update_elem(r->follow_fd, &r->o.pid, &one, BPF_ANY);
}

/* ---- the loop ---- */

static void drain_fd(int fd, size_t size)
{
	char buf[sizeof(struct signalfd_siginfo)];

	if (read(fd, buf, size) < 0 && errno != EAGAIN && errno != EINTR)
		return;
}

/* The final drain: everything queued, bounded so a flood cannot keep us here forever. */
static void consume(struct trace_run *r)
{
	int n, pass = 0;

	do {
		r->budget = 0;
		n = ring_buffer__consume(r->rb);
		out_flush(r);
	} while (n == -ECANCELED && ++pass < 256 && !r->out_err);
}

static void on_ring(void *ctx, uint64_t now)
{
	struct trace_run *r = ctx;

	r->budget = 0;
	ring_buffer__consume(r->rb);
}

static void on_tick(void *ctx, uint64_t now)
{
	struct trace_run *r = ctx;

	perf_tick(r);
}

static void on_signal(void *ctx, uint64_t now)
{
	struct trace_run *r = ctx;

	drain_fd(r->sigfd, sizeof(struct signalfd_siginfo));
	loop_stop(&r->loop);
}

static void on_duration(void *ctx, uint64_t now)
{
	struct trace_run *r = ctx;

	loop_stop(&r->loop);
}

/* After every pass: what the pass decoded goes out; a failed write ends the trace. */
static void flush_pass(void *ctx, const struct loop_set *s, uint64_t now)
{
	struct trace_run *r = ctx;

	out_flush(r);
	if (r->out_err)
		loop_stop(&r->loop);
}

/* Armed once attached: loading must not eat into the duration. */
static int run_loop(struct trace_run *r)
{
	uint64_t now = mono_ns();
	int err;

	loop_init(&r->loop);
	err = loop_add_fd(&r->loop, ring_buffer__epoll_fd(r->rb), on_ring, r);
	if (err >= 0 && (r->o.caps & CAPB(TR_CAP_PERF)))
		err = loop_add_timer(&r->loop, now + 1000000000ull, 1000000000ull, on_tick, r);
	if (err >= 0)
		err = loop_add_fd(&r->loop, r->sigfd, on_signal, r);
	if (err >= 0 && r->o.duration)
		err = loop_add_timer(&r->loop, now + (uint64_t)r->o.duration * 1000000000ull, 0, on_duration, r);
	if (err >= 0)
		err = loop_add_poller(&r->loop, NULL, flush_pass, r);
	return err < 0 ? err : loop_run(&r->loop);
}

/* "tp_btf" or "tp_btf+raw_tp": the distinct methods of the hooks a capability uses. */
static void cap_methods(const struct trace_run *r, int cap, char *out, size_t len)
{
	bool used[NTIERS] = { false };
	size_t f, n = 0;
	int m;

	for (f = 0; f < NHOOK; f++)
		if ((hooks[f].caps & CAPB(cap)) && r->meth[f] != M_NONE)
			used[r->meth[f]] = true;
	out[0] = '\0';
	for (m = 0; m < NTIERS; m++)
		if (used[m] && n < len)
			n += (size_t)snprintf(out + n, len - n, "%s%s", n ? "+" : "", attach_method_name(m));
	if (!n)
		snprintf(out, len, "skipped");
}

static void summary(struct trace_run *r, uint64_t elapsed_ns)
{
	uint64_t drops = 0, full = 0;
	char line[2048], meth[64];
	size_t n = 0;
	int i, nt = 0;

	for (i = 0; i < TR_NCAPS; i++) {
		drops += r->bss->drops[i];
		full += r->bss->map_full[i];
	}
	n += (size_t)snprintf(line + n, sizeof(line) - n, "aod: trace: %" PRIu64 " events", r->written);
	for (i = 0; i < TT_COUNT && n < sizeof(line); i++)
		if (r->counts[i])
			n += (size_t)snprintf(line + n, sizeof(line) - n, "%s%s %" PRIu64, nt++ ? ", " : " (",
					      trace_type_name(i), r->counts[i]);
	if (n < sizeof(line))
		n += (size_t)snprintf(line + n, sizeof(line) - n, "%s, dropped %" PRIu64 ", map full %" PRIu64
				      ", %.1f s, attach:", nt ? ")" : "", drops, full, (double)elapsed_ns / 1e9);
	for (i = 0; i < TR_NCAPS && n < sizeof(line); i++) {
		if (!(r->o.caps & CAPB(i)))
			continue;
		cap_methods(r, i, meth, sizeof(meth));
		n += (size_t)snprintf(line + n, sizeof(line) - n, " %s=%s", trace_cap_name(i), meth);
	}
	if (r->malformed && n < sizeof(line))
		snprintf(line + n, sizeof(line) - n, ", %" PRIu64 " malformed records", r->malformed);
	if (r->notes[0])
		fprintf(stderr, "aod: trace: notes: %s\n", r->notes);
	fprintf(stderr, "%s\n", line);
}

static void clean_old_traces(void)
{
	int n = retain_traces(trace_dir(), trace_max_age(), (int64_t)time(NULL));

	if (n < 0 && n != -ENOENT)
		fprintf(stderr, "aod: unable to clean old traces in %s: %s\n", trace_dir(), strerror(-n));
}

static void capability_notes(struct trace_run *r)
{
	if (r->o.caps & CAPB(TR_CAP_SECURITY))
		note(r, "security_event: commit_creds is not hooked (needs fentry or kprobes); credential "
			"changes come from the set*id/capset syscalls and setuid/setgid execs");
	if ((r->o.caps & CAPB(TR_CAP_PERF)) && r->meth[HOOK_FAULT] == M_NONE)
		note(r, "performance: page_fault_user not available, page faults from /proc/vmstat only");
	if ((r->o.caps & CAPB(TR_CAP_PERF)) && (r->o.pid || r->o.comm[0]))
		note(r, "performance: filters apply to on-CPU time and faults; run queue and block I/O "
			"are system-wide");
}

static int make_sigfd(int *sfd, sigset_t *old)
{
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	*sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	/* A closed stdout pipe becomes EPIPE from write, not a silent death. */
	sigaddset(&mask, SIGPIPE);
	if (*sfd < 0 || sigprocmask(SIG_BLOCK, &mask, old))
		return -errno;
	return 0;
}

static void caps_list(unsigned caps, char *out, size_t len)
{
	size_t n = 0;
	int i;

	out[0] = '\0';
	for (i = 0; i < TR_NCAPS; i++)
		if ((caps & CAPB(i)) && n < len)
			n += (size_t)snprintf(out + n, len - n, "%s%s", n ? "," : "", trace_cap_name(i));
}

static int trace_start(struct trace_run *r)
{
	int err;

	clean_old_traces();
	bpflog_install();
	err = open_output(r);
	if (err) {
		fprintf(stderr, "aod: unable to create %s: %s\n", r->part[0] ? r->part : r->final, strerror(-err));
		return err;
	}
	err = load(r);
	if (!err)
		err = seed_follow(r);
	if (err)
		return err;
	r->rb = ring_buffer__new(r->events_fd, on_record, r, NULL);
	if (!r->rb) {
		fprintf(stderr, "aod: unable to open the trace ring buffer: %s\n", strerror(errno));
		return -errno;
	}
	if (r->o.caps & CAPB(TR_CAP_PERF))
		perf_start(r);
	capability_notes(r);
	return 0;
}

static void trace_stop(struct trace_run *r, const sigset_t *old)
{
	if (r->sigfd >= 0)
		close(r->sigfd);
	if (r->rb)
		ring_buffer__free(r->rb);
	unload(r);
	if (r->vmstat_fd >= 0)
		close(r->vmstat_fd);
	if (r->out_fd > STDOUT_FILENO)
		close(r->out_fd);
	if (r->part[0] && access(r->part, F_OK) == 0)
		unlink(r->part);
	sigprocmask(SIG_SETMASK, old, NULL);
}

int trace_main(int argc, char **argv)
{
	static struct trace_run run;
	struct trace_run *r = &run;
	int err, rc = 1;
	uint64_t t0, real;
	char caps[160];
	sigset_t old;

	log_level_from_env();
	memset(r, 0, sizeof(*r));
	r->out_fd = r->vmstat_fd = r->sigfd = -1;
	sigprocmask(SIG_SETMASK, NULL, &old);
	err = parse_opts(argc, argv, &r->o);
	if (err)
		return err == 1 ? 0 : err;
	if (make_sigfd(&r->sigfd, &old)) {
		fprintf(stderr, "aod: unable to set up signals: %s\n", strerror(errno));
		goto out;
	}
	if (trace_start(r))
		goto out;
	real = clock_ns(CLOCK_REALTIME);
	t0 = mono_ns();
	r->mono_to_real = (int64_t)(real - t0);
	r->last_tick = t0;
	caps_list(r->o.caps, caps, sizeof(caps));
	if (r->o.duration)
		fprintf(stderr, "aod: trace: tracing %s for %u s (Ctrl-C stops)\n", caps, r->o.duration);
	else
		fprintf(stderr, "aod: trace: tracing %s until Ctrl-C\n", caps);
	malloc_guard_arm();
	err = run_loop(r);
	/* Detach first, so the drain is bounded by what is queued; that still belongs to the trace. */
	detach(r);
	consume(r);
	if ((r->o.caps & CAPB(TR_CAP_PERF)) && mono_ns() - r->last_tick >= 100000000ull)
		perf_tick(r);
	malloc_guard_report("trace");
	if (err)
		fprintf(stderr, "aod: unable to wait for trace events: %s\n", strerror(-err));
	if (close_output(r))
		fprintf(stderr, "aod: unable to write %s: %s\n", r->final[0] ? r->final : "stdout",
			strerror(r->out_err));
	else if (!err)
		rc = 0;
	summary(r, mono_ns() - t0);
	if (r->final[0] && !r->out_err)
		fprintf(stderr, "aod: trace: written to %s\n", r->final);
out:
	trace_stop(r, &old);
	return rc;
}

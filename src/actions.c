// SPDX-License-Identifier: GPL-2.0-only
/* Actions: capped internal reads of /proc, /sys and logs, and exec children with a timeout. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* pipe2 */
#endif
#include "actions.h"
#include "clock.h"
#include "dirlist.h"
#include "inet_diag.h"
#include "io.h"
#include "kmsg_record.h"
#include "loop.h"
#include "text.h"
#include "topn.h"
#include "tcp_state.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define GLOB_MAX 64
#define GLOB_NAME_MAX 256
#define PS_COMM_LEN 16		/* TASK_COMM_LEN - 1 */

const char *actions_status_name(enum act_status st)
{
	static const char *const n[] = { "ok", "skipped", "failed", "timeout", "truncated" };

	return (unsigned)st < sizeof(n) / sizeof(n[0]) ? n[st] : "unknown";
}

const char *actions_kind_name(enum cfg_action_kind kind)
{
	static const char *const n[] = { "file", "kmsg", "exec", "tail", "ps", "cgroup", "tcpinfo" };

	return (unsigned)kind < sizeof(n) / sizeof(n[0]) ? n[kind] : "unknown";
}

bool actions_is_internal(const struct cfg_action *a)
{
	return a->kind != CFG_ACT_EXEC;
}

/* Notes accumulate, separated by "; ", and are cut (not overrun) when long. */
#define note(res, ...) text_note((res)->note, sizeof((res)->note), __VA_ARGS__)

static void out_init(struct act_out *o, int fd, uint64_t cap)
{
	memset(o, 0, sizeof(*o));
	o->fd = fd;
	o->cap = cap ? cap : ACTIONS_DEFAULT_MAX_BYTES;
}

/* Keep what fits under the cap; the rest is dropped and remembered as truncation. */
static void out_write(struct act_out *o, const char *p, size_t n)
{
	uint64_t room = o->cap - o->kept;
	int r;

	if (n > room) {
		o->truncated = true;
		n = (size_t)room;
	}
	if (!n || o->err)
		return;
	r = io_write_all(o->fd, p, n);
	if (r)
		o->err = r;
	else
		o->kept += n;
}

static void out_printf(struct act_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void out_printf(struct act_out *o, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n > 0)
		out_write(o, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

static bool out_full(const struct act_out *o) { return o->kept >= o->cap; }

/* The truncation note goes past the cap on purpose: the reader must see that data is missing. */
static int out_finish(struct act_out *o, struct act_result *res)
{
	char tmp[64];
	int n;

	res->bytes = o->kept;
	if (o->truncated && !o->err) {
		n = snprintf(tmp, sizeof(tmp), "\n[truncated at %llu bytes]\n", (unsigned long long)o->cap);
		o->err = io_write_all(o->fd, tmp, (size_t)n);
		if (res->status == ACT_OK)
			res->status = ACT_TRUNCATED;
		note(res, "truncated at %llu bytes", (unsigned long long)o->cap);
	}
	if (o->err) {
		res->status = ACT_FAILED;
		note(res, "cannot write output: %s", strerror(-o->err));
	}
	return o->err;
}

/* Copy fd to the output until EOF or the cap; one more byte read tells whether the cap cut it. */
static int cat_fd(struct act_out *o, int fd, char *buf, size_t bufsz)
{
	ssize_t n;
	char one;

	while (!out_full(o) && !o->err) {
		size_t want = bufsz;

		if (want > o->cap - o->kept)
			want = (size_t)(o->cap - o->kept);
		n = io_read(fd, buf, want);
		if (n <= 0)
			return (int)n;
		out_write(o, buf, (size_t)n);
	}
	if (io_read(fd, &one, 1) > 0)
		o->truncated = true;
	return 0;
}

/* ---- FILE ---- */

static bool has_wild(const char *s)
{
	return strpbrk(s, "*?") != NULL;
}

static bool wild_rec(const char *p, const char *s)
{
	for (; *p; p++, s++) {
		if (*p == '*') {
			for (;; s++) {
				if (wild_rec(p + 1, s))
					return true;
				if (!*s)
					return false;
			}
		}
		if (!*s || (*p != '?' && *p != *s))
			return false;
	}
	return !*s;
}

/* '*' and '?' only, and a leading dot is never matched by a wildcard, as in the shell.
 * Hand-written because glob() and fnmatch() may allocate. */
static bool wild_match(const char *p, const char *s)
{
	if (*s == '.' && *p != '.')
		return false;
	return wild_rec(p, s);
}

struct glob_set {
	const char *pat;
	char names[GLOB_MAX][GLOB_NAME_MAX];
	int n;
	bool overflow;
};

static int glob_add(void *arg, int dfd, const char *name, unsigned char type)
{
	struct glob_set *g = arg;
	int i;

	if (!wild_match(g->pat, name) || strlen(name) >= GLOB_NAME_MAX)
		return 0;
	if (g->n == GLOB_MAX) {
		g->overflow = true;
		return 1;
	}
	/* Sorted insert: getdents order is arbitrary and bundles should read the same every time. */
	for (i = g->n; i > 0 && strcmp(g->names[i - 1], name) > 0; i--)
		memcpy(g->names[i], g->names[i - 1], GLOB_NAME_MAX);
	snprintf(g->names[i], GLOB_NAME_MAX, "%s", name);
	g->n++;
	return 0;
}

struct file_tally {
	int found, missing, failed;
};

static void cat_one(struct act_out *o, const char *path, bool header, const struct act_env *env,
		    struct act_result *res, struct file_tally *t)
{
	struct stat st;
	int fd, r;

	/* O_NONBLOCK: a FIFO configured by mistake must not hang the loop. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			t->missing++;
		else
			t->failed++, note(res, "%s: %s", path, strerror(errno));
		return;
	}
	if (fstat(fd, &st) || !(S_ISREG(st.st_mode) || S_ISCHR(st.st_mode))) {
		t->failed++;
		note(res, "%s: not a regular file", path);
		close(fd);
		return;
	}
	t->found++;
	if (header)
		out_printf(o, "%s==> %s <==\n", t->found > 1 ? "\n" : "", path);
	r = cat_fd(o, fd, env->buf, env->bufsz);
	if (r)
		note(res, "%s: %s", path, strerror(-r));
	close(fd);
}

static void file_glob(struct act_out *o, const char *spec, const struct act_env *env,
		      struct act_result *res, struct file_tally *t)
{
	static struct glob_set g;	/* 16 KiB: static rather than on the stack; one action runs at a time */
	char dir[CFG_ARG_MAX], path[CFG_ARG_MAX + GLOB_NAME_MAX];
	const char *slash = strrchr(spec, '/');
	int dfd, i;

	if (!slash || (size_t)(slash - spec) >= sizeof(dir)) {
		note(res, "%s: a pattern needs an absolute directory", spec);
		t->failed++;
		return;
	}
	snprintf(dir, sizeof(dir), "%.*s", (int)(slash - spec), spec);
	if (has_wild(dir)) {
		note(res, "%s: wildcards only in the last path component", spec);
		t->failed++;
		return;
	}
	memset(&g, 0, sizeof(g));
	g.pat = slash + 1;
	dfd = open(dir[0] ? dir : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		t->missing++;
		return;
	}
	dirlist_each(dfd, env->buf, env->bufsz, glob_add, &g);
	close(dfd);
	if (g.overflow)
		note(res, "%s: only the first %d matches", spec, GLOB_MAX);
	if (g.n == 0)
		t->missing++;
	for (i = 0; i < g.n && !out_full(o); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, g.names[i]);
		cat_one(o, path, true, env, res, t);
	}
}

/* Call fn for each element of a ':'-separated list. */
static void each_path(const char *list, void (*fn)(const char *p, void *arg), void *arg)
{
	char one[CFG_ARG_MAX];
	const char *s = list, *e;

	while (*s) {
		e = strchr(s, ':');
		if (!e)
			e = s + strlen(s);
		if (e > s && (size_t)(e - s) < sizeof(one)) {
			memcpy(one, s, (size_t)(e - s));
			one[e - s] = '\0';
			fn(one, arg);
		}
		s = *e ? e + 1 : e;
	}
}

struct file_ctx {
	struct act_out *o;
	const struct act_env *env;
	struct act_result *res;
	struct file_tally t;
	bool header;
};

static void file_elem(const char *p, void *arg)
{
	struct file_ctx *f = arg;

	if (out_full(f->o)) {
		f->o->truncated = true;
		return;
	}
	if (has_wild(p))
		file_glob(f->o, p, f->env, f->res, &f->t);
	else
		cat_one(f->o, p, f->header, f->env, f->res, &f->t);
}

static void run_file(const struct cfg_action *a, const struct act_env *env, struct act_out *o,
		     struct act_result *res)
{
	struct file_ctx f = { .o = o, .env = env, .res = res };

	f.header = strchr(a->path, ':') || has_wild(a->path);
	each_path(a->path, file_elem, &f);
	if (f.t.found == 0 && f.t.failed == 0) {
		res->status = ACT_SKIPPED;
		note(res, "not found: %s", a->path);
	} else if (f.t.found == 0) {
		res->status = ACT_FAILED;
	}
}

/* ---- KMSG ---- */

/* One record as a dmesg line, when it is a record logged at or after since (microseconds). The text is
 * kmsg_record.c's decoded one, so a bundle's dmesg.log reads as what the kmsg anomaly matched. */
static bool kmsg_line(struct act_out *o, const char *buf, size_t n, uint64_t since, struct kmsg_record *r)
{
	if (kmsg_parse(buf, n, r) || r->usec < since)
		return false;
	out_printf(o, "[%5llu.%06llu] ", (unsigned long long)(r->usec / 1000000),
		   (unsigned long long)(r->usec % 1000000));
	out_write(o, r->text, r->len);
	out_write(o, "\n", 1);
	return true;
}

static void run_kmsg(const struct cfg_action *a, const struct act_env *env, struct act_out *o,
		     struct act_result *res)
{
	uint64_t window = (uint64_t)(a->seconds ? a->seconds : env->interval_sec) * 1000000ull;
	uint64_t now_us = env->now_ns / 1000, since = now_us > window ? now_us - window : 0;
	unsigned long kept = 0, records;
	struct kmsg_record rec;
	ssize_t n = 0;
	int fd;

	/* A fresh open starts at the oldest record still in the ring; O_NONBLOCK ends at EAGAIN. */
	fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		res->status = errno == ENOENT ? ACT_SKIPPED : ACT_FAILED;
		note(res, "/dev/kmsg: %s", strerror(errno));
		return;
	}
	/* Bounded: a kernel logging faster than we read must not keep us here. */
	for (records = 0; records < 1000000 && !out_full(o); records++) {
		n = read(fd, env->buf, env->bufsz - 1);
		if (n < 0 && (errno == EINTR || errno == EPIPE))
			continue;	/* EPIPE: records overwritten under us; the next read resyncs */
		if (n < 0 && errno != EAGAIN)
			note(res, "/dev/kmsg: %s", strerror(errno));
		if (n <= 0)
			break;
		if (kmsg_line(o, env->buf, (size_t)n, since, &rec))
			kept++;
	}
	if (!out_full(o) && n > 0)
		note(res, "stopped after %lu records", records);
	if (out_full(o))
		o->truncated = true;
	close(fd);
	if (kept == 0)
		note(res, "no kernel messages in the last %llu s", (unsigned long long)(window / 1000000));
}

/* ---- TAIL ---- */

static void first_existing(const char *p, void *arg)
{
	int *fd = arg;

	if (*fd < 0)
		*fd = open(p, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
}

/* Offset where the last `lines` lines of a `size`-byte file start, scanning back in chunks. */
static int64_t tail_start(int fd, int64_t size, uint32_t lines, char *buf, size_t bufsz)
{
	int64_t pos = size, end = size;
	uint32_t seen = 0;
	ssize_t n, i;
	size_t chunk;

	while (pos > 0) {
		chunk = pos < (int64_t)bufsz ? (size_t)pos : bufsz;
		n = pread(fd, buf, chunk, pos - (int64_t)chunk);
		if (n <= 0)
			return pos;
		for (i = n - 1; i >= 0; i--) {
			/* The newline that ends the file ends the last line; it starts nothing. */
			if (buf[i] != '\n' || pos - (int64_t)chunk + i == end - 1)
				continue;
			if (++seen == lines)
				return pos - (int64_t)chunk + i + 1;
		}
		pos -= (int64_t)chunk;
	}
	return 0;
}

static void run_tail(const struct cfg_action *a, const struct act_env *env, struct act_out *o,
		     struct act_result *res)
{
	uint32_t lines = a->lines ? a->lines : ACTIONS_DEFAULT_LINES;
	int64_t start, pos;
	struct stat st;
	ssize_t n;
	int fd = -1;

	each_path(a->path, first_existing, &fd);
	if (fd < 0) {
		res->status = ACT_SKIPPED;
		note(res, "not found: %s", a->path);
		return;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		res->status = ACT_FAILED;
		note(res, "%s: not a regular file", a->path);
		close(fd);
		return;
	}
	start = tail_start(fd, st.st_size, lines, env->buf, env->bufsz);
	/* Over the cap, keep the newest bytes: for a log tail they are the ones that matter. */
	if ((uint64_t)(st.st_size - start) > o->cap) {
		start = st.st_size - (int64_t)o->cap;
		o->truncated = true;
	}
	for (pos = start; pos < st.st_size && !o->err; pos += n) {
		size_t want = (uint64_t)(st.st_size - pos) < env->bufsz ? (size_t)(st.st_size - pos) : env->bufsz;

		n = io_pread(fd, env->buf, want, pos);
		if (n <= 0)
			break;
		out_write(o, env->buf, (size_t)n);
	}
	close(fd);
}

/* ---- PS ---- */

struct ps_ent {
	int pid, ppid;
	char state;
	uint64_t cpu_ticks;
	uint64_t rss_kb;
	char comm[PS_COMM_LEN + 1];
};

struct ps_scan {
	int procfd;
	unsigned long nproc, nthreads, nstate[4];	/* R, D, Z, other */
	struct ps_ent cpu[ACTIONS_PS_TOP], rss[ACTIONS_PS_TOP], dstate[ACTIONS_PS_TOP], self;
	int ncpu, nrss, nd;
};

/* /proc/<pid>/stat: "pid (comm) S ppid pgrp session tty tpgid flags minflt cminflt majflt
 * cmajflt utime stime ..."; comm may hold spaces and ')' so the last ')' ends it. */
static bool ps_parse_stat(char *buf, struct ps_ent *e)
{
	char *open = strchr(buf, '('), *close = strrchr(buf, ')'), *p;
	uint64_t v[12];
	size_t len;
	int i;

	if (!open || !close || close < open || close[1] != ' ' || !close[2])
		return false;
	len = (size_t)(close - open - 1);
	if (len > PS_COMM_LEN)
		len = PS_COMM_LEN;
	memcpy(e->comm, open + 1, len);
	e->comm[len] = '\0';
	for (i = 0; e->comm[i]; i++)
		if (!isprint((unsigned char)e->comm[i]))
			e->comm[i] = '?';
	e->state = close[2];
	p = close + 3;
	for (i = 0; i < 12; i++)
		v[i] = strtoull(p, &p, 10);
	e->ppid = (int)v[0];
	e->cpu_ticks = v[10] + v[11];
	return true;
}

static uint64_t status_field(const char *buf, const char *key)
{
	const char *p = strstr(buf, key);

	return p ? strtoull(p + strlen(key), NULL, 10) : 0;
}

static uint64_t ps_cpu(const void *e) { return ((const struct ps_ent *)e)->cpu_ticks; }
static uint64_t ps_rss(const void *e) { return ((const struct ps_ent *)e)->rss_kb; }

static void top_insert(struct ps_ent *arr, int *n, const struct ps_ent *e, bool by_rss)
{
	int i = topn_slot(arr, sizeof(*arr), n, ACTIONS_PS_TOP, by_rss ? e->rss_kb : e->cpu_ticks,
			  by_rss ? ps_rss : ps_cpu);

	if (i >= 0)
		arr[i] = *e;
}

static int ps_one(void *arg, int dfd, const char *name, unsigned char type)
{
	struct ps_scan *s = arg;
	char path[64], buf[2048];
	struct ps_ent e = { 0 };
	const char *p;

	for (p = name; *p; p++)
		if (*p < '0' || *p > '9')
			return 0;
	e.pid = atoi(name);
	snprintf(path, sizeof(path), "%s/stat", name);
	if (io_read_small(s->procfd, path, buf, sizeof(buf)) <= 0 || !ps_parse_stat(buf, &e))
		return 0;	/* exited while we looked: not an error */
	snprintf(path, sizeof(path), "%s/status", name);
	if (io_read_small(s->procfd, path, buf, sizeof(buf)) > 0) {
		e.rss_kb = status_field(buf, "\nVmRSS:");
		s->nthreads += status_field(buf, "\nThreads:");
	}
	s->nproc++;
	if (e.pid == getpid())
		s->self = e;
	s->nstate[e.state == 'R' ? 0 : e.state == 'D' ? 1 : e.state == 'Z' ? 2 : 3]++;
	top_insert(s->cpu, &s->ncpu, &e, false);
	if (e.rss_kb)
		top_insert(s->rss, &s->nrss, &e, true);
	if (e.state == 'D' && s->nd < ACTIONS_PS_TOP)
		s->dstate[s->nd++] = e;
	return 0;
}

static void ps_table(struct act_out *o, const char *title, const struct ps_ent *arr, int n, long hz)
{
	int i;

	out_printf(o, "\n%s\n%7s %7s %s %12s %10s %s\n", title, "PID", "PPID", "S", "CPU_MS", "RSS_KB", "COMM");
	for (i = 0; i < n; i++)
		out_printf(o, "%7d %7d %c %12llu %10llu %s\n", arr[i].pid, arr[i].ppid, arr[i].state,
			   (unsigned long long)(arr[i].cpu_ticks * 1000 / (uint64_t)hz),
			   (unsigned long long)arr[i].rss_kb, arr[i].comm);
}

static void run_ps(const struct act_env *env, struct act_out *o, struct act_result *res)
{
	static struct ps_scan s;	/* a few KiB; static because one action runs at a time */
	long hz = sysconf(_SC_CLK_TCK);
	int r;

	memset(&s, 0, sizeof(s));
	if (hz <= 0)
		hz = 100;
	s.procfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s.procfd < 0) {
		res->status = ACT_FAILED;
		note(res, "/proc: %s", strerror(errno));
		return;
	}
	r = dirlist_each(s.procfd, env->buf, env->bufsz, ps_one, &s);
	close(s.procfd);
	if (r)
		note(res, "/proc: %s", strerror(-r));
	out_printf(o, "processes: %lu (running %lu, uninterruptible %lu, zombie %lu, other %lu), threads: %lu\n",
		   s.nproc, s.nstate[0], s.nstate[1], s.nstate[2], s.nstate[3], s.nthreads);
	if (s.self.pid)
		ps_table(o, "aod itself:", &s.self, 1, hz);
	ps_table(o, "top by CPU time (user+system since start):", s.cpu, s.ncpu, hz);
	ps_table(o, "top by resident memory:", s.rss, s.nrss, hz);
	if (s.nd)
		ps_table(o, "in uninterruptible sleep (D), often waiting on I/O:", s.dstate, s.nd, hz);
}

/* ---- CGROUP ---- */

struct cg_where {
	char rel[CFG_ARG_MAX * 2];	/* the cgroup path from /proc/<pid>/cgroup */
	char mnt[CFG_ARG_MAX];		/* where that hierarchy is mounted */
	bool v1;
};

/* A comma-separated list holds tok exactly. */
static bool has_token(const char *list, size_t len, const char *tok)
{
	size_t tl = strlen(tok);
	const char *p = list, *end = list + len, *c;

	while (p < end) {
		c = memchr(p, ',', (size_t)(end - p));
		if (!c)
			c = end;
		if ((size_t)(c - p) == tl && !memcmp(p, tok, tl))
			return true;
		p = c + 1;
	}
	return false;
}

/* From /proc/<pid>/cgroup: the v1 memory line if there is one, else the v2 "0::" line. */
static bool cg_find_path(char *buf, struct cg_where *w)
{
	char *line, *save = NULL, *c1, *c2;
	bool got = false;

	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		c1 = strchr(line, ':');
		c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (!c2)
			continue;
		if (has_token(c1 + 1, (size_t)(c2 - c1 - 1), "memory")) {
			snprintf(w->rel, sizeof(w->rel), "%s", c2 + 1);
			w->v1 = true;
			return true;
		}
		if (c2 == c1 + 1 && !strncmp(line, "0:", 2)) {
			snprintf(w->rel, sizeof(w->rel), "%s", c2 + 1);
			got = true;
		}
	}
	return got;
}

/* /proc/self/mounts: "dev mountpoint fstype options 0 0". */
static bool cg_find_mount(char *buf, struct cg_where *w)
{
	char *line, *save = NULL, *f[4], *s2;
	int i;

	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		s2 = NULL;
		for (i = 0; i < 4; i++)
			if (!(f[i] = strtok_r(i ? NULL : line, " ", &s2)))
				break;
		if (i < 4)
			continue;
		if ((w->v1 && !strcmp(f[2], "cgroup") && has_token(f[3], strlen(f[3]), "memory")) ||
		    (!w->v1 && !strcmp(f[2], "cgroup2"))) {
			snprintf(w->mnt, sizeof(w->mnt), "%s", f[1]);
			return true;
		}
	}
	return false;
}

static void run_cgroup(const struct act_env *env, struct act_out *o, struct act_result *res)
{
	static const char *const v1[] = { "memory.limit_in_bytes", "memory.usage_in_bytes",
		"memory.max_usage_in_bytes", "memory.failcnt", "memory.stat", NULL };
	static const char *const v2[] = { "memory.max", "memory.current", "memory.events", "memory.stat", NULL };
	struct file_tally t = { 0 };
	struct cg_where w = { 0 };
	char path[CFG_ARG_MAX * 4];
	const char *const *f;
	ssize_t n;

	if (!env->pid) {
		res->status = ACT_SKIPPED;
		note(res, "no triggering pid");
		return;
	}
	snprintf(path, sizeof(path), "/proc/%u/cgroup", env->pid);
	n = io_read_small(AT_FDCWD, path, env->buf, env->bufsz);
	if (n < 0) {
		out_printf(o, "pid %u is gone: %s\n", env->pid, strerror((int)-n));
		res->status = ACT_SKIPPED;
		note(res, "pid %u exited before collection", env->pid);
		return;
	}
	if (!cg_find_path(env->buf, &w) ||
	    io_read_small(AT_FDCWD, "/proc/self/mounts", env->buf, env->bufsz) < 0 || !cg_find_mount(env->buf, &w)) {
		res->status = ACT_SKIPPED;
		note(res, "no memory cgroup for pid %u", env->pid);
		return;
	}
	out_printf(o, "pid %u memory cgroup (%s): %s\n\n", env->pid, w.v1 ? "v1" : "v2", w.rel);
	for (f = w.v1 ? v1 : v2; *f; f++) {
		snprintf(path, sizeof(path), "%s%s/%s", w.mnt, strcmp(w.rel, "/") ? w.rel : "", *f);
		cat_one(o, path, true, env, res, &t);
	}
	if (!t.found) {
		res->status = ACT_FAILED;
		note(res, "no memory files under %s%s", w.mnt, w.rel);
	}
}

/* ---- TCPINFO: the watched connections' TCP state from netlink INET_DIAG, as `ss -ti` would show it ---- */

struct tcpinfo_walk {
	struct act_out *o;
	unsigned n;
};

static void tcpinfo_line(void *ctx, const struct idiag_conn *c)
{
	struct tcpinfo_walk *w = ctx;
	char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];
	int af = c->family == AF_INET6 ? AF_INET6 : AF_INET;

	if (!inet_ntop(af, c->saddr, s, sizeof(s)) || !inet_ntop(af, c->daddr, d, sizeof(d)))
		return;
	w->n++;
	out_printf(w->o, "%s%s%s:%u %s%s%s:%u %s", af == AF_INET6 ? "[" : "", s, af == AF_INET6 ? "]" : "", c->sport,
		   af == AF_INET6 ? "[" : "", d, af == AF_INET6 ? "]" : "", c->dport, tcp_state_name(c->state));
	if (c->has_info)
		out_printf(w->o, " srtt_us=%u rttvar_us=%u retransmits=%u total_retrans=%u unacked=%u lost=%u cwnd=%u",
			   c->srtt_us, c->rttvar_us, c->retransmits, c->total_retrans, c->unacked, c->lost, c->cwnd);
	out_printf(w->o, " uid=%u inode=%u\n", c->uid, c->inode);
}

static void run_tcpinfo(const struct act_env *env, struct act_out *o, struct act_result *res)
{
	static const uint16_t ports[] = { 445, 2049 };
	struct tcpinfo_walk w = { o, 0 };
	int err;

	out_printf(o, "# TCP connections to remote ports 445 and 2049 in aod's network namespace (netlink INET_DIAG)\n");
	err = idiag_query(ports, 2, tcpinfo_line, &w, env->buf, env->bufsz);
	if (err == -EPROTONOSUPPORT) {
		/* a kernel built without sock_diag (or an emulator that does not pass it on): nothing to
		 * read, as with a /proc file that is not there */
		res->status = ACT_SKIPPED;
		note(res, "skipped: this kernel offers no INET_DIAG (%s)", strerror(-err));
		return;
	}
	if (err < 0) {
		res->status = ACT_FAILED;
		note(res, "INET_DIAG query failed: %s", strerror(-err));
		return;
	}
	if (!w.n)
		note(res, "no connections to ports 445 or 2049");
}

/* ---- dispatch of the internal kinds ---- */

int actions_run_internal(const struct cfg_action *a, const struct act_env *env, int outfd,
			 struct act_result *res)
{
	struct act_out o;

	memset(res, 0, sizeof(*res));
	res->exit_code = -1;
	res->start_ns = mono_ns();
	out_init(&o, outfd, a->max_bytes);
	switch (a->kind) {
	case CFG_ACT_FILE: run_file(a, env, &o, res); break;
	case CFG_ACT_KMSG: run_kmsg(a, env, &o, res); break;
	case CFG_ACT_TAIL: run_tail(a, env, &o, res); break;
	case CFG_ACT_PS: run_ps(env, &o, res); break;
	case CFG_ACT_CGROUP: run_cgroup(env, &o, res); break;
	case CFG_ACT_TCPINFO: run_tcpinfo(env, &o, res); break;
	default:
		res->status = ACT_FAILED;
		note(res, "not an internal action");
		break;
	}
	res->end_ns = mono_ns();
	return out_finish(&o, res);
}

/* ---- EXEC ---- */

/* Copy in to out replacing every "{interval}" by the watch interval in seconds. */
static void subst_interval(char *out, size_t cap, const char *in, uint32_t interval)
{
	static const char key[] = "{interval}";
	size_t w = 0;
	int n;

	while (*in && w + 1 < cap) {
		if (!strncmp(in, key, sizeof(key) - 1)) {
			n = snprintf(out + w, cap - w, "%u", interval);
			w += (size_t)n < cap - w ? (size_t)n : cap - w - 1;
			in += sizeof(key) - 1;
		} else {
			out[w++] = *in++;
		}
	}
	out[w] = '\0';
}

/* PATH lookup by hand in a fixed list: the daemon's environment is not trusted to have one. */
static bool find_exe(const char *name, char *out, size_t cap)
{
	static const char *const dirs[] = { "/usr/sbin", "/usr/bin", "/sbin", "/bin" };
	size_t i;

	if (strchr(name, '/')) {
		snprintf(out, cap, "%s", name);
		return access(out, X_OK) == 0;
	}
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		if ((size_t)snprintf(out, cap, "%s/%s", dirs[i], name) < cap && access(out, X_OK) == 0)
			return true;
	}
	return false;
}

bool actions_find_exe(const char *name, char *out, size_t cap)
{
	return find_exe(name, out, cap);
}

/*
 * A grandchild that calls setsid() leaves the action's process group but not its cgroup:
 * where cgroup v2 is writable, each exec child gets its own cgroup under one per daemon,
 * so everything it started can be found and killed when it ends.
 */
static const char *const cg_bases[] = { "/sys/fs/cgroup", "/sys/fs/cgroup/unified" /* hybrid */ };
static char cg_path[96];
static int cg_dfd = -2;		/* -2: not tried yet, -1: no writable cgroup v2 */
static unsigned cg_seq;

static int cg_prune_one(void *ctx, int dfd, const char *name, unsigned char type)
{
	(void)ctx;
	(void)type;
	if (name[0] == 'a')
		unlinkat(dfd, name, AT_REMOVEDIR);
	return 0;
}

/* Remove the per-action cgroups whose processes are gone (rmdir fails on the busy ones).
 * Runs in the loop, before each exec action: dirlist, not opendir, which would malloc. */
static void cg_prune(void)
{
	uint64_t buf[256];

	if (cg_dfd < 0 || lseek(cg_dfd, 0, SEEK_SET) < 0)
		return;
	dirlist_each(cg_dfd, buf, sizeof(buf), cg_prune_one, NULL);
}

static void cg_cleanup(void)
{
	struct timespec ts = { 0, 10000000 };
	int i;

	/* A killed process leaves its cgroup only once it has exited: give them a moment. */
	for (i = 0; i < 20 && cg_dfd >= 0; i++) {
		cg_prune();
		if (!rmdir(cg_path) || errno != EBUSY)
			break;
		nanosleep(&ts, NULL);
	}
}

static int cg_root(void)
{
	char p[128];
	size_t i;

	if (cg_dfd != -2)
		return cg_dfd;
	cg_dfd = -1;
	for (i = 0; i < sizeof(cg_bases) / sizeof(cg_bases[0]) && cg_dfd < 0; i++) {
		snprintf(p, sizeof(p), "%s/cgroup.controllers", cg_bases[i]);
		if (access(p, F_OK))
			continue;
		snprintf(cg_path, sizeof(cg_path), "%s/aod-actions-%d", cg_bases[i], (int)getpid());
		if (mkdir(cg_path, 0755) && errno != EEXIST)
			continue;
		cg_dfd = open(cg_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	if (cg_dfd >= 0)
		atexit(cg_cleanup);
	return cg_dfd;
}

/* Make the action's cgroup; returns an fd of its cgroup.procs for the child, or -1 (no cgroup). */
static int cg_make(struct act_child *ch)
{
	char p[48];
	int fd;

	if (cg_root() < 0)
		return -1;
	cg_prune();
	snprintf(ch->cg, sizeof(ch->cg), "a%u", ++cg_seq);
	snprintf(p, sizeof(p), "%s/cgroup.procs", ch->cg);
	if (mkdirat(cg_dfd, ch->cg, 0755) || (fd = openat(cg_dfd, p, O_WRONLY | O_CLOEXEC)) < 0) {
		unlinkat(cg_dfd, ch->cg, AT_REMOVEDIR);
		ch->cg[0] = 0;
		return -1;
	}
	return fd;
}

/* SIGKILL each pid in the action's cgroup; returns how many there were. */
static uint32_t cg_kill(const struct act_child *ch, char *buf, size_t bufsz)
{
	char p[48], *s, *end;
	uint32_t n = 0;
	ssize_t len;
	long pid;
	int fd;

	snprintf(p, sizeof(p), "%s/cgroup.procs", ch->cg);
	fd = openat(cg_dfd, p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	len = read(fd, buf, bufsz - 1);
	close(fd);
	buf[len > 0 ? len : 0] = 0;
	for (s = buf; (pid = strtol(s, &end, 10)) > 0; s = end, n++)
		kill((pid_t)pid, SIGKILL);
	/* cgroup.kill (5.14) also catches what forks while the list above is read. */
	snprintf(p, sizeof(p), "%s/cgroup.kill", ch->cg);
	fd = openat(cg_dfd, p, O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		(void)!write(fd, "1", 1);
		close(fd);
	}
	return n;
}

/* The action's own child has exited: whatever it left running goes too, timed out or not. */
static void exec_sweep(struct act_child *ch, char *buf, size_t bufsz)
{
	uint32_t n = ch->cg[0] ? cg_kill(ch, buf, bufsz) : 0;
	bool group = kill(-ch->pid, SIGKILL) == 0;

	if (ch->cg[0])
		unlinkat(cg_dfd, ch->cg, AT_REMOVEDIR);
	if (n) {
		ch->res->killed = n;
		note(ch->res, "killed %u leftover process%s", n, n == 1 ? "" : "es");
	} else if (group) {
		note(ch->res, "killed its leftover process group");
	}
}

/* Between fork and execve: async-signal-safe calls only. */
static void __attribute__((noreturn)) child_exec(struct act_child *ch, int wfd, int cgfd, pid_t parent)
{
	static char *const envp[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", "SYSTEMD_PAGER=", NULL };
	struct sigaction sa;
	sigset_t none;
	int sig, fd;

	/* The daemon blocks every signal for its signalfd, and a blocked or ignored signal
	 * survives execve: undo both or the child could not even be stopped by SIGTERM. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	for (sig = 1; sig < NSIG; sig++)
		sigaction(sig, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* Nothing aod starts outlives it: a daemon killed with SIGKILL left its captures (tcpdump) running
	 * for good. If aod died before the prctl, the parent is already someone else. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == 0 && getppid() != parent)
		_exit(127);
	setpgid(0, 0);
	/* Before execve, so nothing the command starts is outside the cgroup. */
	if (cgfd >= 0)
		(void)!write(cgfd, "0", 1);
	/* Keep the pipe clear of 0..2 so the dup2 calls below cannot clobber it (a daemon
	 * started with closed standard fds gets low numbers back from pipe2). */
	if (wfd <= 2)
		wfd = fcntl(wfd, F_DUPFD_CLOEXEC, 3);
	fd = open("/dev/null", O_RDONLY);
	if (fd >= 0 && fd != 0) {
		dup2(fd, 0);
		close(fd);
	}
	dup2(wfd, 1);
	dup2(wfd, 2);
	if (wfd > 2)
		close(wfd);
	execve(ch->exe, ch->argv, envp);
	(void)!write(2, "aod: unable to execute ", 23);
	(void)!write(2, ch->exe, strlen(ch->exe));
	(void)!write(2, "\n", 1);
	_exit(127);
}

static void exec_prepare(struct act_child *ch, const struct cfg_action *a, const struct act_env *env)
{
	int i;

	for (i = 0; i < a->argc && i < CFG_MAX_ARGS; i++) {
		subst_interval(ch->args[i], sizeof(ch->args[i]), a->argv[i], env->interval_sec);
		ch->argv[i] = ch->args[i];
	}
	ch->argv[i] = NULL;
	ch->fd = -1;
	ch->pid = -1;
	ch->timeout_ms = a->timeout_ms ? a->timeout_ms : ACTIONS_DEFAULT_TIMEOUT_MS;
}

/* The loop reaped the child (loop_add_child): the module's poll that follows in the same pass finishes it. */
static void exec_exited(void *ctx, pid_t pid, int wstatus, uint64_t now_ns)
{
	struct act_child *ch = ctx;

	(void)pid;
	(void)now_ns;
	ch->wstatus = wstatus;
	ch->exited = true;
	ch->loop = NULL;
}

/* The loop reaps the child, so its exit wakes the loop and no poll has to look for it. A full table
 * (-ENOSPC) leaves it to actions_exec_poll's WNOHANG, as a caller without a loop does. */
static void exec_watch(struct act_child *ch, struct loop *l)
{
	int id = l ? loop_add_child(l, ch->pid, exec_exited, ch) : -1;

	if (id >= 0) {
		ch->loop = l;
		ch->watch = id;
	}
}

/* Off the loop, for a caller that waits for the exit itself (actions_exec_kill). */
static void exec_unwatch(struct act_child *ch)
{
	if (ch->loop)
		loop_del(ch->loop, ch->watch);
	ch->loop = NULL;
}

int actions_exec_start(struct act_child *ch, const struct cfg_action *a, const struct act_env *env,
		       int outfd, struct act_result *res, uint64_t now_ns)
{
	int p[2], err, cgfd;
	pid_t parent;

	memset(ch, 0, sizeof(*ch));
	memset(res, 0, sizeof(*res));
	res->exit_code = -1;
	res->start_ns = res->end_ns = now_ns;
	ch->res = res;
	exec_prepare(ch, a, env);
	out_init(&ch->out, outfd, a->max_bytes);
	if (a->argc < 1 || !ch->argv[0][0]) {
		res->status = ACT_FAILED;
		note(res, "no command");
		return -EINVAL;
	}
	if (!find_exe(ch->argv[0], ch->exe, sizeof(ch->exe))) {
		res->status = ACT_SKIPPED;
		note(res, "skipped: %s not found", ch->argv[0]);
		return 0;
	}
	if (pipe2(p, O_CLOEXEC)) {
		err = -errno;
		goto fail;
	}
	/* The loop watches the pipe with select(), which cannot take an fd this high. */
	if (p[0] >= FD_SETSIZE) {
		close(p[0]);
		close(p[1]);
		err = -EMFILE;
		goto fail;
	}
	cgfd = cg_make(ch);
	parent = getpid();
	ch->pid = fork();
	if (ch->pid < 0) {
		err = -errno;
		close(p[0]);
		close(p[1]);
		if (cgfd >= 0)
			close(cgfd);
		goto fail;
	}
	if (ch->pid == 0)
		child_exec(ch, p[1], cgfd, parent);
	if (cgfd >= 0)
		close(cgfd);
	/* Both sides set the group so a TERM sent right after fork already reaches it. */
	setpgid(ch->pid, ch->pid);
	close(p[1]);
	fcntl(p[0], F_SETFL, fcntl(p[0], F_GETFL) | O_NONBLOCK);
	ch->fd = p[0];
	ch->term_at = now_ns + (uint64_t)ch->timeout_ms * 1000000ull;
	exec_watch(ch, env->loop);
	return 1;
fail:
	res->status = ACT_FAILED;
	note(res, "cannot start %s: %s", ch->exe, strerror(-err));
	return err;
}

void actions_exec_fill(const struct act_child *ch, fd_set *rd, int *maxfd, uint64_t *deadline_ns,
		       uint64_t now_ns)
{
	uint64_t next;

	if (ch->fd >= 0 && ch->fd < FD_SETSIZE) {
		FD_SET(ch->fd, rd);
		if (ch->fd > *maxfd)
			*maxfd = ch->fd;
	}
	if (ch->reaped)
		return;
	next = ch->termed ? (ch->killed ? UINT64_MAX : ch->kill_at) : ch->term_at;
	/* A watched child's exit wakes the loop (its pidfd); any other is looked for every 20 ms, as the
	 * loop does for a child without a pidfd: its pipe may stay open after it (a grandchild holds it). */
	if (!ch->loop)
		next = next < now_ns + 20000000ull ? next : now_ns + 20000000ull;
	if (next < *deadline_ns)
		*deadline_ns = next;
}

/* Read what is there, at most `rounds` reads so a chatty child cannot starve the loop. */
static void exec_drain(struct act_child *ch, char *buf, size_t bufsz, int rounds)
{
	ssize_t n;

	while (ch->fd >= 0 && rounds-- > 0) {
		n = io_read(ch->fd, buf, bufsz);
		if (n == -EAGAIN)
			return;
		if (n > 0) {
			out_write(&ch->out, buf, (size_t)n);
			continue;
		}
		if (n < 0)
			note(ch->res, "pipe: %s", strerror((int)-n));
		close(ch->fd);
		ch->fd = -1;
	}
}

static void exec_deadlines(struct act_child *ch, uint64_t now_ns)
{
	if (!ch->termed && now_ns >= ch->term_at) {
		kill(-ch->pid, SIGTERM);
		ch->termed = ch->timed_out = true;
		ch->grace_ns = ACTIONS_KILL_GRACE_NS;
		ch->kill_at = now_ns + ch->grace_ns;
		note(ch->res, "timed out after %u ms", ch->timeout_ms);
	} else if (ch->termed && !ch->killed && now_ns >= ch->kill_at) {
		kill(-ch->pid, SIGKILL);
		ch->killed = true;
		note(ch->res, "SIGKILL after %llu ms grace", (unsigned long long)(ch->grace_ns / 1000000ull));
	}
}

/* strsignal() may allocate for signals it has no text for; a table does not. */
static const char *sig_name(int sig)
{
	switch (sig) {
	case SIGHUP: return "SIGHUP";
	case SIGINT: return "SIGINT";
	case SIGQUIT: return "SIGQUIT";
	case SIGILL: return "SIGILL";
	case SIGABRT: return "SIGABRT";
	case SIGBUS: return "SIGBUS";
	case SIGFPE: return "SIGFPE";
	case SIGKILL: return "SIGKILL";
	case SIGSEGV: return "SIGSEGV";
	case SIGPIPE: return "SIGPIPE";
	case SIGALRM: return "SIGALRM";
	case SIGTERM: return "SIGTERM";
	case SIGUSR1: return "SIGUSR1";
	case SIGUSR2: return "SIGUSR2";
	case SIGXCPU: return "SIGXCPU";
	case SIGXFSZ: return "SIGXFSZ";
	case SIGSYS: return "SIGSYS";
	}
	return "signal";
}

void actions_exec_stop(struct act_child *ch, int sig, uint64_t grace_ns, uint64_t now_ns)
{
	/* exited: the loop has reaped it, and its pid may be another process's soon */
	if (ch->pid <= 0 || ch->exited || ch->reaped || ch->termed)
		return;
	kill(-ch->pid, sig);
	ch->termed = true;
	ch->grace_ns = grace_ns;
	ch->kill_at = now_ns + grace_ns;
	note(ch->res, "stopped with %s", sig_name(sig));
}

static void exec_result(struct act_child *ch, uint64_t now_ns)
{
	struct act_result *res = ch->res;
	int st = ch->wstatus;

	res->end_ns = now_ns;
	if (WIFEXITED(st)) {
		res->exit_code = WEXITSTATUS(st);
		res->status = res->exit_code == 0 ? ACT_OK : ACT_FAILED;
		if (res->exit_code)
			note(res, "exit status %d", res->exit_code);
	} else if (WIFSIGNALED(st)) {
		res->signal = WTERMSIG(st);
		res->status = ACT_FAILED;
		note(res, "killed by signal %d (%s)", res->signal, sig_name(res->signal));
	}
	if (ch->timed_out)
		res->status = ACT_TIMEOUT;
	out_finish(&ch->out, res);
}

/* Its exit: the loop's word (exec_exited), or for a child no loop watches, WNOHANG. Never both, so it is
 * reaped once: a second waitpid would find no child and take the exit for a clean one. */
static bool exec_exit_known(struct act_child *ch)
{
	pid_t r;

	if (ch->exited || ch->loop)
		return ch->exited;
	do
		r = waitpid(ch->pid, &ch->wstatus, WNOHANG);
	while (r < 0 && errno == EINTR);
	ch->exited = r == ch->pid || (r < 0 && errno == ECHILD);
	return ch->exited;
}

bool actions_exec_poll(struct act_child *ch, const fd_set *rd, uint64_t now_ns, char *buf, size_t bufsz)
{
	if (ch->pid <= 0)
		return true;
	if (ch->fd >= 0 && (!rd || FD_ISSET(ch->fd, rd)))
		exec_drain(ch, buf, bufsz, 16);
	if (!ch->reaped && exec_exit_known(ch)) {
		ch->reaped = true;
		exec_sweep(ch, buf, bufsz);
	}
	if (ch->reaped && ch->fd >= 0) {
		/* Everything the child wrote is in the pipe now; a grandchild holding the
		 * write end must not keep the bundle open, so take what is there and stop. */
		exec_drain(ch, buf, bufsz, 256);
		if (ch->fd >= 0) {
			close(ch->fd);
			ch->fd = -1;
		}
	}
	if (!ch->reaped) {
		exec_deadlines(ch, now_ns);
		return false;
	}
	exec_result(ch, now_ns);
	ch->pid = 0;
	return true;
}

void actions_exec_kill(struct act_child *ch, uint64_t wait_ns, const char *why, char *buf, size_t bufsz)
{
	uint64_t until;
	struct timespec ts = { 0, 5000000 };

	if (ch->pid <= 0)
		return;
	exec_unwatch(ch);
	if (!ch->reaped)
		kill(-ch->pid, SIGKILL);
	ch->killed = ch->timed_out = true;
	note(ch->res, "%s", why);
	until = mono_ns() + wait_ns;
	/* A child in uninterruptible sleep (a hung mount) ignores even SIGKILL: wait briefly only. */
	while (!actions_exec_poll(ch, NULL, mono_ns(), buf, bufsz)) {
		if (mono_ns() >= until) {
			note(ch->res, "pid %d did not exit; left behind", (int)ch->pid);
			if (ch->fd >= 0) {
				exec_drain(ch, buf, bufsz, 256);
				if (ch->fd >= 0)
					close(ch->fd);
				ch->fd = -1;
			}
			ch->res->end_ns = mono_ns();
			ch->res->status = ACT_TIMEOUT;
			out_finish(&ch->out, ch->res);
			ch->pid = 0;
			return;
		}
		nanosleep(&ts, NULL);
	}
}

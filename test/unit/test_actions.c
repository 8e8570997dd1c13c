// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for actions: FILE caps, globs and lists, TAIL, KMSG, PS, CGROUP and EXEC children. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "../../src/dirlist.c"
#include "../../src/io.c"
#include "../../src/kmsg_record.c"
#include "../../src/text.c"
#include "../../src/topn.c"
#include "../../src/actions.c"
#include "../../src/tcp_state.c"
#include "../../src/inet_diag.c"
#include "../../src/log.c"
#include "../../src/loop.c"
#include "check.h"
#include "leaks.h"

#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/select.h>

static char tdir[] = "/tmp/aod_act_XXXXXX";
static char scratch[65536];

static struct act_env env(void)
{
	struct act_env e = { .interval_sec = 5, .now_ns = mono_ns(), .buf = scratch,
			     .bufsz = sizeof(scratch) };
	return e;
}

static void put_file(const char *name, const char *content, size_t len)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", tdir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	CHECK(fd >= 0);
	CHECK(write(fd, content, len) == (ssize_t)len);
	close(fd);
}

/* Run an internal action into a fresh memfd; returns the output, NUL-terminated, in out. */
static struct act_result run(struct cfg_action *a, struct act_env *e, char *out, size_t cap)
{
	struct act_result res;
	int fd = memfd_create("out", MFD_CLOEXEC);
	ssize_t n;

	CHECK(fd >= 0);
	CHECK(actions_run_internal(a, e, fd, &res) == 0);
	n = pread(fd, out, cap - 1, 0);
	out[n > 0 ? n : 0] = '\0';
	close(fd);
	return res;
}

static struct cfg_action mk(enum cfg_action_kind kind, const char *path, uint64_t max_bytes)
{
	struct cfg_action a;

	memset(&a, 0, sizeof(a));
	snprintf(a.name, sizeof(a.name), "t");
	a.kind = kind;
	snprintf(a.path, sizeof(a.path), "%s", path);
	a.max_bytes = max_bytes;
	return a;
}

static char big[300000], out[400000];

static void test_file_cap(void)
{
	struct act_env e = env();
	struct cfg_action a;
	struct act_result r;
	char path[256];

	memset(big, 'x', sizeof(big));
	put_file("big", big, sizeof(big));
	snprintf(path, sizeof(path), "%s/big", tdir);
	a = mk(CFG_ACT_FILE, path, 100000);
	r = run(&a, &e, out, sizeof(out));
	CHECK(r.status == ACT_TRUNCATED);
	CHECK(r.bytes == 100000);
	CHECK(strstr(out, "[truncated at 100000 bytes]") != NULL);
	CHECK(strspn(out, "x") == 100000);
	CHECK(strstr(r.note, "truncated") != NULL);

	/* Exactly at the cap is not truncated. */
	a.max_bytes = sizeof(big);
	r = run(&a, &e, out, sizeof(out));
	CHECK(r.status == ACT_OK && r.bytes == sizeof(big));
	CHECK(strstr(out, "truncated") == NULL);

	/* A /proc file (size 0 in stat) is read to its end. */
	a = mk(CFG_ACT_FILE, "/proc/self/status", 0);
	r = run(&a, &e, out, sizeof(out));
	CHECK(r.status == ACT_OK && strstr(out, "VmRSS:") != NULL && r.bytes == strlen(out));
}

static void test_file_glob_and_list(void)
{
	struct act_env e = env();
	struct cfg_action a;
	struct act_result r;
	char spec[CFG_ARG_MAX];

	put_file("b.txt", "BBB\n", 4);
	put_file("a.txt", "AAA", 3);
	put_file("c.log", "CCC\n", 4);
	put_file(".h.txt", "HIDDEN\n", 7);
	snprintf(spec, sizeof(spec), "%s/*.txt", tdir);
	a = mk(CFG_ACT_FILE, spec, 0);
	r = run(&a, &e, out, sizeof(out));
	CHECK(r.status == ACT_OK);
	CHECK(strstr(out, "a.txt <==\nAAA\n") != NULL);
	CHECK(strstr(out, "b.txt <==\nBBB\n") != NULL);
	CHECK(strstr(out, "a.txt") < strstr(out, "b.txt"));	/* sorted */
	CHECK(strstr(out, "CCC") == NULL && strstr(out, "HIDDEN") == NULL);

	snprintf(spec, sizeof(spec), "%s/nope:%s/c.log:%s/a.txt", tdir, tdir, tdir);
	a = mk(CFG_ACT_FILE, spec, 0);
	r = run(&a, &e, out, sizeof(out));
	CHECK(r.status == ACT_OK);
	CHECK(strstr(out, "c.log <==\nCCC\n") != NULL && strstr(out, "a.txt <==\nAAA") != NULL);
	CHECK(strstr(out, "nope") == NULL);

	/* The pressure glob of the built-in action, when this kernel has PSI. */
	a = mk(CFG_ACT_FILE, "/proc/pressure/*", 0);
	r = run(&a, &e, out, sizeof(out));
	if (access("/proc/pressure/cpu", R_OK) == 0)
		CHECK(r.status == ACT_OK && strstr(out, "==> /proc/pressure/cpu <==\nsome avg10=") != NULL);

	snprintf(spec, sizeof(spec), "%s/missing:%s/also-missing", tdir, tdir);
	a = mk(CFG_ACT_FILE, spec, 0);
	r = run(&a, &e, out, sizeof(out));
	CHECK(r.status == ACT_SKIPPED && r.bytes == 0 && strstr(r.note, "not found") != NULL);

	snprintf(spec, sizeof(spec), "%s/*.none", tdir);
	a = mk(CFG_ACT_FILE, spec, 0);
	r = run(&a, &e, out, sizeof(out));
	CHECK(r.status == ACT_SKIPPED);

	CHECK(wild_match("*.txt", "a.txt") && !wild_match("*.txt", "a.txt2"));
	CHECK(wild_match("a?c*", "abcdef") && !wild_match("a?c", "ac"));
	CHECK(wild_match("*", "x") && !wild_match("*", ".x") && wild_match(".*", ".x"));
	CHECK(wild_match("*a*b", "xxaxxb") && !wild_match("*a*b", "xxaxxbc"));
}

static void test_tail(void)
{
	struct act_env e = env();
	struct cfg_action a;
	struct act_result r;
	char spec[CFG_ARG_MAX], *p = big;
	int i;

	for (i = 1; i <= 5000; i++)
		p += sprintf(p, "line %d\n", i);
	put_file("log", big, (size_t)(p - big));
	snprintf(spec, sizeof(spec), "%s/nolog:%s/log", tdir, tdir);
	a = mk(CFG_ACT_TAIL, spec, 0);
	a.lines = 3;
	e.bufsz = 4096;	/* several chunks back */
	r = run(&a, &e, out, sizeof(out));
	CHECK(r.status == ACT_OK);
	CHECK(strcmp(out, "line 4998\nline 4999\nline 5000\n") == 0);

	a.lines = 4000;	/* crosses chunk boundaries */
	r = run(&a, &e, out, sizeof(out));
	CHECK(strncmp(out, "line 1001\n", 10) == 0 && strstr(out, "line 1000\n") == NULL);

	a.lines = 10000;	/* more lines than the file has: the whole file */
	r = run(&a, &e, out, sizeof(out));
	CHECK(r.bytes == (uint64_t)(p - big) && strncmp(out, "line 1\n", 7) == 0);

	put_file("nonl", "one\ntwo\nthree", 13);
	snprintf(spec, sizeof(spec), "%s/nonl", tdir);
	a = mk(CFG_ACT_TAIL, spec, 0);
	a.lines = 2;
	r = run(&a, &e, out, sizeof(out));
	CHECK(strcmp(out, "two\nthree") == 0);

	/* Capped: the newest bytes are kept. */
	snprintf(spec, sizeof(spec), "%s/log", tdir);
	a = mk(CFG_ACT_TAIL, spec, 20);
	a.lines = 100;
	r = run(&a, &e, out, sizeof(out));
	CHECK(r.status == ACT_TRUNCATED && r.bytes == 20);
	CHECK(strncmp(out, "line 4999\nline 5000\n", 20) == 0);
	CHECK(strstr(out, "[truncated at 20 bytes]") != NULL);

	snprintf(spec, sizeof(spec), "%s/none1:%s/none2", tdir, tdir);
	a = mk(CFG_ACT_TAIL, spec, 0);
	r = run(&a, &e, out, sizeof(out));
	CHECK(r.status == ACT_SKIPPED && strstr(r.note, "not found") != NULL);
}

static void test_kmsg(void)
{
	struct act_env e;
	struct cfg_action a = mk(CFG_ACT_KMSG, "", 0);
	struct act_result r;
	char marker[64];
	int fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);

	if (fd < 0) {
		fprintf(stderr, "skip kmsg: cannot write /dev/kmsg: %s\n", strerror(errno));
		return;
	}
	/* The newline matters: an unterminated record stays open for continuation, unreadable. */
	snprintf(marker, sizeof(marker), "aod-unit-test-marker-%d\n", getpid());
	CHECK(write(fd, marker, strlen(marker)) > 0);
	marker[strlen(marker) - 1] = '\0';
	close(fd);
	a.seconds = 5;
	e = env();
	r = run(&a, &e, out, sizeof(out));
	CHECK(r.status == ACT_OK);
	CHECK(strstr(out, marker) != NULL);
	CHECK(out[0] == '[' && strstr(out, "] ") != NULL);
	/* A window that ended long ago keeps nothing. */
	e.now_ns = 1000;
	r = run(&a, &e, out, sizeof(out));
	CHECK(strstr(out, marker) != NULL);	/* now_ns 1 us: window from 0 keeps all */
	e.now_ns = mono_ns() + 3600ull * 1000000000ull;	/* an hour ahead: nothing recent */
	r = run(&a, &e, out, sizeof(out));
	CHECK(strstr(out, marker) == NULL && r.bytes == 0 && strstr(r.note, "no kernel messages") != NULL);
}

/* The kmsg action writes the decoded text: the kernel's \xNN escapes (a '\', a newline, a byte >= 127)
 * must not reach dmesg.log, or it differs from what the kmsg anomaly matched. */
static void test_kmsg_decoded(void)
{
	static const char rec1[] = "6,42,5000123,-;CIFS: VFS: \\x5c\\x5csrv has not responded\\x0asecond line\n SUBSYSTEM=net\n";
	static const char rec2[] = "6,43,10,-;too old\n";
	struct kmsg_record r;
	struct act_out o;
	char got[256];
	ssize_t n;
	int fd = memfd_create("kmsg", MFD_CLOEXEC);

	CHECK(fd >= 0);
	out_init(&o, fd, 0);
	CHECK(kmsg_line(&o, rec1, sizeof(rec1) - 1, 1000, &r));
	CHECK(!kmsg_line(&o, rec2, sizeof(rec2) - 1, 1000, &r));	/* logged before the window */
	CHECK(!kmsg_line(&o, "no header here\n", 15, 0, &r));
	n = pread(fd, got, sizeof(got) - 1, 0);
	got[n > 0 ? n : 0] = '\0';
	CHECK(!strcmp(got, "[    5.000123] CIFS: VFS: \\\\srv has not responded\nsecond line\n"));
	CHECK(strstr(got, "\\x") == NULL);
	close(fd);
}

/* The same through /dev/kmsg: the kernel escapes the '\' we write as \x5c; the action undoes it. */
static void test_kmsg_escape_live(void)
{
	struct act_env e = env();
	struct cfg_action a = mk(CFG_ACT_KMSG, "", 0);
	char marker[80];
	int fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);

	if (fd < 0) {
		fprintf(stderr, "skip kmsg escapes: cannot write /dev/kmsg: %s\n", strerror(errno));
		return;
	}
	snprintf(marker, sizeof(marker), "aod-unit-test-escape-%d back\\slash\n", getpid());
	CHECK(write(fd, marker, strlen(marker)) > 0);
	marker[strlen(marker) - 1] = '\0';
	close(fd);
	a.seconds = 5;
	run(&a, &e, out, sizeof(out));
	CHECK(strstr(out, marker) != NULL);
}

static void test_ps(void)
{
	struct act_env e = env();
	struct cfg_action a = mk(CFG_ACT_PS, "", 0);
	struct act_result r;
	char self[64];

	r = run(&a, &e, out, sizeof(out));
	CHECK(r.status == ACT_OK);
	CHECK(strncmp(out, "processes: ", 11) == 0);
	snprintf(self, sizeof(self), "aod itself:\n");
	CHECK(strstr(out, self) != NULL);
	snprintf(self, sizeof(self), "\n%7d %7d R", getpid(), getppid());
	CHECK(strstr(out, self) != NULL);
	/* under valgrind the process's comm is valgrind's own tool name, under qemu-user (arm64 suite) qemu's */
	CHECK(strstr(out, "test_actions") != NULL || strstr(out, "memcheck") != NULL ||
	      strstr(out, "qemu-aarch64") != NULL);
	CHECK(strstr(out, "top by CPU time") != NULL && strstr(out, "top by resident memory") != NULL);

	struct ps_ent pe;
	char st[] = "42 (a) b) c) S 7 1 1 0 -1 0 0 0 0 0 150 50 0 0";
	CHECK(ps_parse_stat(st, &pe) && pe.ppid == 7 && pe.state == 'S' && pe.cpu_ticks == 200);
	CHECK(strcmp(pe.comm, "a) b) c") == 0);
}

static void test_cgroup(void)
{
	struct act_env e = env();
	struct cfg_action a = mk(CFG_ACT_CGROUP, "", 0);
	struct act_result r;
	pid_t pid;

	r = run(&a, &e, out, sizeof(out));
	CHECK(r.status == ACT_SKIPPED && strstr(r.note, "no triggering pid") != NULL);

	e.pid = (uint32_t)getpid();
	r = run(&a, &e, out, sizeof(out));
	if (r.status == ACT_OK) {
		CHECK(strstr(out, "memory cgroup (v") != NULL);
		CHECK(strstr(out, "memory.limit_in_bytes <==") != NULL || strstr(out, "memory.max <==") != NULL);
		CHECK(strstr(out, "memory.stat <==") != NULL);
	} else {
		fprintf(stderr, "note: cgroup of self: %s\n", r.note);
		CHECK(strstr(r.note, "no memory cgroup") != NULL);
	}

	pid = fork();
	if (pid == 0)
		_exit(0);
	waitpid(pid, NULL, 0);
	e.pid = (uint32_t)pid;
	r = run(&a, &e, out, sizeof(out));
	CHECK(r.status == ACT_SKIPPED && strstr(out, "is gone") != NULL && strstr(r.note, "exited") != NULL);

	char cg[] = "9:name=systemd:/\n4:cpu,memory:/a/b\n0::/\n", cg2[] = "1:cpu:/\n0::/user.slice/x\n";
	struct cg_where w = { 0 };
	CHECK(cg_find_path(cg, &w) && w.v1 && strcmp(w.rel, "/a/b") == 0);
	memset(&w, 0, sizeof(w));
	CHECK(cg_find_path(cg2, &w) && !w.v1 && strcmp(w.rel, "/user.slice/x") == 0);
	char mnts[] = "cgroup /sys/fs/cgroup/cpu cgroup rw,cpu 0 0\ncgroup2 /sys/fs/cgroup/unified cgroup2 rw 0 0\n";
	CHECK(cg_find_mount(mnts, &w) && strcmp(w.mnt, "/sys/fs/cgroup/unified") == 0);
}

/* Drive one child the way the loop does: select on its pipe until its deadline. */
static int drive(struct act_child *ch)
{
	int guard = 0;

	for (;;) {
		uint64_t now = mono_ns(), dl = UINT64_MAX;
		struct timeval tv = { 1, 0 };
		fd_set rd;
		int maxfd = -1;

		FD_ZERO(&rd);
		actions_exec_fill(ch, &rd, &maxfd, &dl, now);
		if (dl != UINT64_MAX) {
			uint64_t d = dl > now ? dl - now : 0;

			tv.tv_sec = (time_t)(d / 1000000000ull);
			tv.tv_usec = (suseconds_t)(d % 1000000000ull / 1000);
		}
		if (select(maxfd + 1, &rd, NULL, NULL, &tv) < 0)
			FD_ZERO(&rd);
		if (actions_exec_poll(ch, &rd, mono_ns(), scratch, sizeof(scratch)))
			return 0;
		if (++guard > 100000)
			return -1;
	}
}

static struct act_child ch;

static void test_exec(void)
{
	struct act_env e = env();
	struct cfg_action a = mk(CFG_ACT_EXEC, "", 0);
	struct act_result r;
	uint64_t t0;
	int fd = memfd_create("o", MFD_CLOEXEC), rc;
	ssize_t n;

	snprintf(a.argv[0], CFG_ARG_MAX, "echo");
	snprintf(a.argv[1], CFG_ARG_MAX, "hello");
	snprintf(a.argv[2], CFG_ARG_MAX, "since {interval}s, {interval}");
	a.argc = 3;
	a.timeout_ms = 5000;
	/* The daemon runs with every signal blocked; the child must not inherit that. */
	sigset_t all, old;
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	rc = actions_exec_start(&ch, &a, &e, fd, &r, mono_ns());
	CHECK(rc == 1);
	CHECK(strcmp(ch.exe, "/usr/bin/echo") == 0 || strcmp(ch.exe, "/bin/echo") == 0);
	CHECK(drive(&ch) == 0);
	CHECK(r.status == ACT_OK && r.exit_code == 0 && r.signal == 0);
	n = pread(fd, out, 100, 0);
	out[n > 0 ? n : 0] = '\0';
	CHECK(strcmp(out, "hello since 5s, 5\n") == 0);
	CHECK(r.bytes == 18);
	close(fd);

	/* sleep 30 with 200 ms: SIGTERM at the deadline ends it. */
	fd = memfd_create("o", MFD_CLOEXEC);
	a = mk(CFG_ACT_EXEC, "", 0);
	snprintf(a.argv[0], CFG_ARG_MAX, "sleep");
	snprintf(a.argv[1], CFG_ARG_MAX, "30");
	a.argc = 2;
	a.timeout_ms = 200;
	t0 = mono_ns();
	CHECK(actions_exec_start(&ch, &a, &e, fd, &r, t0) == 1);
	CHECK(drive(&ch) == 0);
	CHECK(r.status == ACT_TIMEOUT && r.signal == SIGTERM && r.exit_code == -1);
	CHECK(mono_ns() - t0 >= 200000000ull && mono_ns() - t0 < 1500000000ull);
	CHECK(strstr(r.note, "timed out after 200 ms") != NULL);
	CHECK(r.end_ns - r.start_ns >= 200000000ull);
	close(fd);

	/* A child that ignores TERM gets KILL after the grace. The shell is only the test's tool. */
	fd = memfd_create("o", MFD_CLOEXEC);
	a = mk(CFG_ACT_EXEC, "", 0);
	snprintf(a.argv[0], CFG_ARG_MAX, "sh");
	snprintf(a.argv[1], CFG_ARG_MAX, "-c");
	snprintf(a.argv[2], CFG_ARG_MAX, "trap '' TERM; echo up; while :; do sleep 0.05; done");
	a.argc = 3;
	a.timeout_ms = 100;
	t0 = mono_ns();
	CHECK(actions_exec_start(&ch, &a, &e, fd, &r, t0) == 1);
	CHECK(drive(&ch) == 0);
	CHECK(r.status == ACT_TIMEOUT && r.signal == SIGKILL);
	CHECK(mono_ns() - t0 >= 2100000000ull);
	CHECK(strstr(r.note, "SIGKILL") != NULL);
	n = pread(fd, out, 100, 0);
	CHECK(n == 3 && !memcmp(out, "up\n", 3));
	close(fd);

	/* Missing binary: skipped with a note, nothing started. */
	fd = memfd_create("o", MFD_CLOEXEC);
	snprintf(a.argv[0], CFG_ARG_MAX, "aod-no-such-binary");
	CHECK(actions_exec_start(&ch, &a, &e, fd, &r, mono_ns()) == 0);
	CHECK(r.status == ACT_SKIPPED && strcmp(r.note, "skipped: aod-no-such-binary not found") == 0);

	/* Output over the cap, a non-zero exit, stderr captured too. */
	a = mk(CFG_ACT_EXEC, "", 1000);
	snprintf(a.argv[0], CFG_ARG_MAX, "sh");
	snprintf(a.argv[1], CFG_ARG_MAX, "-c");
	snprintf(a.argv[2], CFG_ARG_MAX, "echo err >&2; head -c 200000 /dev/zero; exit 3");
	a.argc = 3;
	CHECK(actions_exec_start(&ch, &a, &e, fd, &r, mono_ns()) == 1);
	CHECK(drive(&ch) == 0);
	CHECK(r.status == ACT_FAILED && r.exit_code == 3 && r.bytes == 1000);
	CHECK(strstr(r.note, "exit status 3") != NULL && strstr(r.note, "truncated at 1000") != NULL);
	n = pread(fd, out, sizeof(out) - 1, 0);
	CHECK(n > 1000 && !memcmp(out, "err\n", 4));
	out[n] = '\0';
	CHECK(strstr(out + 1000, "[truncated at 1000 bytes]") != NULL);
	close(fd);

	/* Shutdown kill: a running child is killed and recorded as a timeout. */
	fd = memfd_create("o", MFD_CLOEXEC);
	a = mk(CFG_ACT_EXEC, "", 0);
	snprintf(a.argv[0], CFG_ARG_MAX, "/bin/sleep");
	snprintf(a.argv[1], CFG_ARG_MAX, "30");
	a.argc = 2;
	CHECK(actions_exec_start(&ch, &a, &e, fd, &r, mono_ns()) == 1);
	actions_exec_kill(&ch, 1000000000ull, "killed at shutdown", scratch, sizeof(scratch));
	CHECK(r.status == ACT_TIMEOUT && r.signal == SIGKILL && strstr(r.note, "killed at shutdown") != NULL);
	close(fd);
	sigprocmask(SIG_SETMASK, &old, NULL);
}

/* A pipe the loop's select() could not watch fails the action instead of overrunning fd_set. */
static void test_exec_high_fd(void)
{
	struct act_env e = env();
	struct cfg_action a = mk(CFG_ACT_EXEC, "", 0);
	struct rlimit rl = { FD_SETSIZE + 64, FD_SETSIZE + 64 };
	struct act_result r;
	int fd, hi[FD_SETSIZE + 8], n = 0;

	snprintf(a.argv[0], CFG_ARG_MAX, "/bin/true");
	a.argc = 1;
	if (setrlimit(RLIMIT_NOFILE, &rl)) {
		printf("skip - high fd: cannot raise RLIMIT_NOFILE\n");
		return;
	}
	while (n < (int)(sizeof(hi) / sizeof(hi[0])) && (fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0) {
		hi[n++] = fd;
		if (fd >= FD_SETSIZE)
			break;
	}
	close(hi[n - 1]);	/* the pipe gets this number and the next */
	CHECK(actions_exec_start(&ch, &a, &e, hi[0], &r, mono_ns()) == -EMFILE);
	CHECK(r.status == ACT_FAILED && strstr(r.note, "cannot start") != NULL);
	while (--n > 0)
		close(hi[n - 1]);
}

/* Grandchildren go when the action ends: one in its process group, one escaped with setsid. */
static void test_exec_grandchildren(void)
{
	struct act_env e = env();
	struct cfg_action a = mk(CFG_ACT_EXEC, "", 0);
	struct act_result r;
	int fd = memfd_create("o", MFD_CLOEXEC);
	pid_t bg, sid;
	ssize_t n;

	snprintf(a.argv[0], CFG_ARG_MAX, "sh");
	snprintf(a.argv[1], CFG_ARG_MAX, "-c");
	snprintf(a.argv[2], CFG_ARG_MAX, "sleep 30 & echo $!; setsid sleep 31 & echo $!");
	a.argc = 3;
	a.timeout_ms = 5000;
	CHECK(actions_exec_start(&ch, &a, &e, fd, &r, mono_ns()) == 1);
	CHECK(drive(&ch) == 0);
	CHECK(r.status == ACT_OK);
	n = pread(fd, out, 100, 0);
	out[n > 0 ? n : 0] = '\0';
	CHECK(sscanf(out, "%d %d", &bg, &sid) == 2);
	usleep(100000);
	/* Killed, so at most a zombie until init reaps it: the stat state says which. */
	for (int i = 0; i < 2; i++) {
		char p[64], st[256] = "";
		FILE *f;

		snprintf(p, sizeof(p), "/proc/%d/stat", i ? (int)sid : (int)bg);
		f = fopen(p, "r");
		if (f) {
			(void)!fgets(st, sizeof(st), f);
			fclose(f);
		}
		CHECK(!f || strstr(st, ") Z ") != NULL);
	}
	CHECK(strstr(r.note, "killed") != NULL);
	close(fd);
}

/* The daemon's shape: the child registered on a loop by actions_exec_start, its pipe and deadlines
 * served by a poller, nothing else waking the loop (no SIGCHLD, no short poll). */
struct on_loop {
	struct loop l;
	struct act_child *ch;
	size_t bufsz;			/* small, so one pass cannot take the whole pipe */
	bool done;
};

/* A fresh loop for o, with env e reaping on it. */
static void on_loop_init(struct on_loop *o, struct act_env *e, size_t bufsz)
{
	loop_init(&o->l);
	o->ch = &ch;
	o->bufsz = bufsz;
	o->done = false;
	e->loop = &o->l;
}

static void ol_fill(void *ctx, struct loop_set *s)
{
	struct on_loop *o = ctx;

	actions_exec_fill(o->ch, &s->rd, &s->maxfd, &s->deadline_ns, s->now_ns);
}

static void ol_poll(void *ctx, const struct loop_set *s, uint64_t now)
{
	struct on_loop *o = ctx;

	if (actions_exec_poll(o->ch, &s->rd, now, scratch, o->bufsz)) {
		o->done = true;
		loop_stop(&o->l);
	}
}

static struct cfg_action sh_action(const char *script, uint32_t timeout_ms)
{
	struct cfg_action a = mk(CFG_ACT_EXEC, "", 0);

	snprintf(a.argv[0], CFG_ARG_MAX, "sh");
	snprintf(a.argv[1], CFG_ARG_MAX, "-c");
	snprintf(a.argv[2], CFG_ARG_MAX, "%s", script);
	a.argc = 3;
	a.timeout_ms = timeout_ms;
	return a;
}

/*
 * A child that exits while its pipe still holds 60000 bytes, and leaves a grandchild holding the
 * pipe open: its exit comes to the loop through its pidfd, and all of its output is kept with the
 * exit status. Then one that exits, silent, while the loop waits: it ends long before its 5 s
 * timeout (a poller that reaped only when woken sat until then). Nothing is left: no zombie, no
 * loop entry, no fd.
 */
static void test_exec_loop_exit_first(void)
{
	static struct on_loop o;
	struct act_env e = env();
	struct cfg_action a = sh_action("yes | head -c 60000; sleep 30 & exit 5", 5000);
	struct act_result r;
	int fd, fds = fd_count(), bad = 0;
	uint64_t t0, dl = UINT64_MAX;
	pid_t pid;
	ssize_t n;

	on_loop_init(&o, &e, 1024);
	fd = memfd_create("o", MFD_CLOEXEC);
	t0 = mono_ns();
	CHECK(actions_exec_start(&ch, &a, &e, fd, &r, t0) == 1);
	pid = ch.pid;
	CHECK(ch.loop == &o.l && loop_children(&o.l) == 1);
	/* watched: the fill asks for no 20 ms look, the pidfd wakes the loop */
	actions_exec_fill(&ch, &(fd_set){ 0 }, &(int){ -1 }, &dl, t0);
	CHECK(dl == ch.term_at);
	usleep(300000);	/* it has exited, its output waits in the pipe */
	CHECK(loop_add_poller(&o.l, ol_fill, ol_poll, &o) >= 0);
	CHECK(loop_run_until(&o.l, t0 + 4000000000ull) == 0);
	CHECK(o.done);
	CHECK(mono_ns() - t0 < 2000000000ull);
	CHECK(r.status == ACT_FAILED && r.exit_code == 5 && r.signal == 0);
	CHECK(strstr(r.note, "exit status 5") != NULL && strstr(r.note, "timed out") == NULL);
	CHECK(strstr(r.note, "killed") != NULL);	/* the sleep holding the pipe */
	CHECK(r.bytes == 60000);
	n = pread(fd, out, sizeof(out), 0);
	CHECK(n == 60000);
	for (ssize_t i = 0; i < n; i++)
		bad += out[i] != (i % 2 ? '\n' : 'y');
	CHECK(bad == 0);
	CHECK(waitpid(pid, NULL, WNOHANG) < 0 && errno == ECHILD);
	CHECK(loop_children(&o.l) == 0 && ch.loop == NULL && ch.fd < 0);
	close(fd);

	/* silent, and it exits while the loop waits: only its pidfd can wake the loop before the timeout */
	a = sh_action("sleep 30 & sleep 0.2; exit 3", 5000);
	fd = memfd_create("o", MFD_CLOEXEC);
	o.done = false;
	t0 = mono_ns();
	CHECK(actions_exec_start(&ch, &a, &e, fd, &r, t0) == 1);
	pid = ch.pid;
	CHECK(loop_run_until(&o.l, t0 + 4000000000ull) == 0);
	CHECK(o.done && mono_ns() - t0 < 2000000000ull);
	CHECK(r.status == ACT_FAILED && r.exit_code == 3 && r.bytes == 0);
	CHECK(waitpid(pid, NULL, WNOHANG) < 0 && errno == ECHILD);
	CHECK(loop_children(&o.l) == 0);
	close(fd);
	CHECK(fd_count() == fds);
}

/* A child past its timeout: SIGTERM at the deadline, its exit taken from the loop once, so the result
 * has the real signal (a second waitpid would find no child and read as a clean exit). A watched child
 * killed at shutdown leaves the loop and is reaped by actions_exec_kill itself. */
static void test_exec_loop_timeout(void)
{
	static struct on_loop o;
	struct act_env e = env();
	struct cfg_action a = sh_action("exec sleep 30", 200);
	struct act_result r;
	const char *once;
	int fd, fds = fd_count();
	uint64_t t0;
	pid_t pid;

	on_loop_init(&o, &e, sizeof(scratch));
	fd = memfd_create("o", MFD_CLOEXEC);
	t0 = mono_ns();
	CHECK(actions_exec_start(&ch, &a, &e, fd, &r, t0) == 1);
	pid = ch.pid;
	CHECK(loop_add_poller(&o.l, ol_fill, ol_poll, &o) >= 0);
	CHECK(loop_run_until(&o.l, t0 + 4000000000ull) == 0);
	CHECK(o.done);
	CHECK(mono_ns() - t0 >= 200000000ull && mono_ns() - t0 < 1500000000ull);
	CHECK(r.status == ACT_TIMEOUT && r.signal == SIGTERM && r.exit_code == -1);
	CHECK(strstr(r.note, "timed out after 200 ms") != NULL && strstr(r.note, "SIGKILL") == NULL);
	once = strstr(r.note, "timed out");
	CHECK(once && !strstr(once + 1, "timed out"));
	CHECK(waitpid(pid, NULL, WNOHANG) < 0 && errno == ECHILD);
	CHECK(loop_children(&o.l) == 0);
	/* again: the poll after the end changes nothing */
	CHECK(actions_exec_poll(&ch, NULL, mono_ns(), scratch, sizeof(scratch)) && r.signal == SIGTERM);
	close(fd);

	fd = memfd_create("o", MFD_CLOEXEC);
	CHECK(actions_exec_start(&ch, &a, &e, fd, &r, mono_ns()) == 1);
	pid = ch.pid;
	CHECK(loop_children(&o.l) == 1);
	actions_exec_kill(&ch, 1000000000ull, "killed at shutdown", scratch, sizeof(scratch));
	CHECK(r.status == ACT_TIMEOUT && r.signal == SIGKILL && strstr(r.note, "killed at shutdown") != NULL);
	CHECK(loop_children(&o.l) == 0 && ch.loop == NULL);
	CHECK(waitpid(pid, NULL, WNOHANG) < 0 && errno == ECHILD);
	close(fd);
	CHECK(fd_count() == fds);
}

/* A loop with no room left: the child runs unwatched, and the poller finds its exit by itself within
 * 20 ms, though a grandchild keeps the pipe open and nothing else wakes the loop. */
static void test_exec_loop_full(void)
{
	static struct on_loop o;
	struct act_env e = env();
	struct cfg_action a = sh_action("echo hi; sleep 30 &", 5000);
	struct act_result r;
	int fd, i, last = -1;
	uint64_t t0, dl = UINT64_MAX;
	ssize_t n;

	on_loop_init(&o, &e, sizeof(scratch));
	CHECK(loop_add_poller(&o.l, ol_fill, ol_poll, &o) >= 0);
	for (i = 1; i < LOOP_MAX; i++)
		CHECK((last = loop_add_timer(&o.l, LOOP_NEVER, 0, NULL, NULL)) >= 0);
	fd = memfd_create("o", MFD_CLOEXEC);
	t0 = mono_ns();
	CHECK(actions_exec_start(&ch, &a, &e, fd, &r, t0) == 1);
	CHECK(ch.loop == NULL && loop_children(&o.l) == 0);
	actions_exec_fill(&ch, &(fd_set){ 0 }, &(int){ -1 }, &dl, t0);
	CHECK(dl == t0 + 20000000ull);
	loop_del(&o.l, last);	/* room for loop_run_until's deadline */
	CHECK(loop_run_until(&o.l, t0 + 4000000000ull) == 0);
	CHECK(o.done && mono_ns() - t0 < 2000000000ull);
	CHECK(r.status == ACT_OK && r.exit_code == 0);
	n = pread(fd, out, 100, 0);
	CHECK(n == 3 && !memcmp(out, "hi\n", 3));
	close(fd);
}

int main(void)
{
	char cmd[64];

	if (!mkdtemp(tdir)) {
		perror("mkdtemp");
		return 1;
	}
	test_file_cap();
	test_file_glob_and_list();
	test_tail();
	test_kmsg();
	test_kmsg_decoded();
	test_kmsg_escape_live();
	test_ps();
	test_cgroup();
	test_exec();
	test_exec_high_fd();
	test_exec_grandchildren();
	test_exec_loop_exit_first();
	test_exec_loop_timeout();
	test_exec_loop_full();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tdir);
	CHECK(system(cmd) == 0);
	return CHECK_DONE();
}

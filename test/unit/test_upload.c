// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for upload: backoff, substitution, journal lines, then real child commands over a temp dir. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "../../src/dirlist.c"
#include "../../src/io.c"
#include "../../src/arena.c"
#include "../../src/retain.c"
#include "../../src/kmsg_record.c"
#include "../../src/text.c"
#include "../../src/topn.c"
#include "../../src/actions.c"
#include "../../src/tcp_state.c"
#include "../../src/inet_diag.c"
#include "../../src/log.c"	/* after retain.c: its file-scope names[] would shadow a local there */
#include "../../src/loop.c"
#include "../../src/upload.c"
#include "check.h"

#include <stdlib.h>
#include <sys/select.h>

static char tdir[] = "/tmp/aod_upload_XXXXXX";
static char out_dir[64], batches[80], dest[80];	/* tdir is short: a {name} argument must fit 160 */
static int bfd = -1;

static void test_backoff(void)
{
	/* AODv2's schedule: 30 s doubling, capped at 1 h; half of each delay is jitter */
	CHECK(upload_backoff_ms(30000, 3600000, 1, 0) == 15000);
	CHECK(upload_backoff_ms(30000, 3600000, 1, UINT32_MAX) == 30000);
	CHECK(upload_backoff_ms(30000, 3600000, 2, 0) == 30000);
	CHECK(upload_backoff_ms(30000, 3600000, 2, UINT32_MAX) == 60000);
	CHECK(upload_backoff_ms(30000, 3600000, 7, UINT32_MAX) == 1920000);
	CHECK(upload_backoff_ms(30000, 3600000, 8, UINT32_MAX) == 3600000);	/* 3,840,000 capped */
	CHECK(upload_backoff_ms(30000, 3600000, 8, 0) == 1800000);
	/* many failures never overflow past the cap */
	CHECK(upload_backoff_ms(30000, 3600000, 1000, UINT32_MAX) == 3600000);
	uint64_t mid = upload_backoff_ms(1000, 1000, 1, UINT32_MAX / 2);
	CHECK(mid >= 500 && mid <= 1000);
	CHECK(upload_backoff_ms(1, 1, 5, UINT32_MAX) == 1);
}

static void test_subst(void)
{
	char out[64];

	CHECK(upload_subst(out, sizeof(out), "{bundle}", "/d/b/x.tar.zst", "x.tar.zst") == 0);
	CHECK(!strcmp(out, "/d/b/x.tar.zst"));
	CHECK(upload_subst(out, sizeof(out), "https://h/c/{name}?sig={name}", "/p", "n") == 0);
	CHECK(!strcmp(out, "https://h/c/n?sig=n"));
	CHECK(upload_subst(out, sizeof(out), "-fsS", "/p", "n") == 0 && !strcmp(out, "-fsS"));
	CHECK(upload_subst(out, sizeof(out), "{bund}{name", "/p", "n") == 0 && !strcmp(out, "{bund}{name"));
	CHECK(upload_subst(out, 8, "x{bundle}", "/long/path", "n") == -ENAMETOOLONG && strlen(out) < 8);
	CHECK(upload_subst(out, 4, "abcd", "/p", "n") == -ENAMETOOLONG && !strcmp(out, "abc"));
}

static void test_journal_parse(void)
{
	const char *name;
	size_t n;

#define P(s) upload_journal_parse(s, strlen(s), &name, &n)
	CHECK(P("ok aod_quick_1_smb_latency.tar.zst") == 1 && n == 31 && !strncmp(name, "aod_quick_1", 11));
	CHECK(P("failed aod_quick_1_smb_latency.tar.zst 8") == 2 && n == 31);
	CHECK(P("ok a b") == 0);
	CHECK(P("failed a") == 0);
	CHECK(P("failed a x") == 0);
	CHECK(P("ok ") == 0);
	CHECK(P("ok ../etc/passwd") == 0);
	CHECK(P("sent a") == 0);
	CHECK(P("") == 0);
#undef P
}

/* ---- real children over a temp directory ---- */

static void mkbundle(const char *name, const char *text)
{
	int fd = openat(bfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	CHECK(fd >= 0 && io_write_all(fd, text, strlen(text)) == 0);
	close(fd);
}

static void put_journal(const char *text)
{
	char p[PATH_MAX + 32];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", out_dir, UPLOAD_JOURNAL);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	CHECK(fd >= 0 && io_write_all(fd, text, strlen(text)) == 0);
	close(fd);
}

static size_t read_journal(char *buf, size_t cap)
{
	char p[PATH_MAX + 32];
	int fd;
	ssize_t n;

	snprintf(p, sizeof(p), "%s/%s", out_dir, UPLOAD_JOURNAL);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	n = fd >= 0 ? read(fd, buf, cap - 1) : -1;
	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = 0;
	return n > 0 ? (size_t)n : 0;
}

static void close_upload(struct upload *u)
{
	int i;

	upload_stop(u);
	for (i = 0; i < CFG_UPLOAD_MAX_CONCURRENT; i++)
		close(u->runs[i].memfd);
	close(u->jfd);
	close(u->out_fd);
}

/* The daemon's loop in small: select on the uploads' fds until done() or 10 s. */
static bool run_until(struct upload *u, bool (*done)(struct upload *))
{
	uint64_t end = mono_ns() + 10000000000ull;
	fd_set rd;
	int maxfd;

	while (!done(u) && mono_ns() < end) {
		uint64_t now = mono_ns(), deadline = now + 50000000ull;
		struct timeval tv;

		FD_ZERO(&rd);
		maxfd = -1;
		upload_fill(u, &rd, &maxfd, &deadline, now);
		deadline = deadline > now ? deadline - now : 0;
		tv.tv_sec = (time_t)(deadline / 1000000000ull);
		tv.tv_usec = (suseconds_t)(deadline % 1000000000ull / 1000);
		if (select(maxfd + 1, &rd, NULL, NULL, &tv) <= 0)
			FD_ZERO(&rd);
		upload_poll(u, &rd, mono_ns());
	}
	return done(u);
}

static bool idle(struct upload *u)
{
	struct upload_stats st;

	upload_get_stats(u, &st);
	return st.backlog == 0;
}

static struct cfg_upload copy_cfg(void)
{
	struct cfg_upload c = { .enabled = true, .argc = 3, .timeout_ms = 5000, .retry_base_ms = 1,
				.retry_max_ms = 4, .max_attempts = 3, .max_concurrent = 2 };

	snprintf(c.argv[0], sizeof(c.argv[0]), "/bin/cp");
	snprintf(c.argv[1], sizeof(c.argv[1]), "{bundle}");
	snprintf(c.argv[2], sizeof(c.argv[2]), "%s/{name}", dest);
	return c;
}

static bool same_file(const char *a, const char *b)
{
	char x[256], y[256];
	int fa = open(a, O_RDONLY), fb = open(b, O_RDONLY);
	ssize_t na = fa >= 0 ? read(fa, x, sizeof(x)) : -1, nb = fb >= 0 ? read(fb, y, sizeof(y)) : -2;

	if (fa >= 0)
		close(fa);
	if (fb >= 0)
		close(fb);
	return na == nb && na >= 0 && !memcmp(x, y, (size_t)na);
}

/* At start: bundles the journal names are not sent again; the rest are; gone ones drop out of the journal. */
static void test_journal_and_send(void)
{
	struct cfg_upload c = copy_cfg();
	struct upload *u = NULL;
	struct upload_stats st;
	char j[4096], p[PATH_MAX + 64], q[PATH_MAX + 64];

	mkbundle("aod_quick_1_smb_latency.tar.zst", "one");
	mkbundle("aod_quick_2_smb_latency.tar.zst", "two");
	mkbundle("aod_quick_3_smb_error.tar.zst", "three");
	mkbundle("notes.txt", "not a bundle");
	/* the last line was cut by a crash mid-append: that upload is not on record */
	put_journal("ok aod_quick_1_smb_latency.tar.zst\nok aod_quick_9_smb_latency.tar.zst\ngarbage line\n"
		    "failed aod_quick_3_smb_error.tar.zst 8\nok aod_quick_2_smb_lat");
	CHECK(upload_open(&u, &c, out_dir, bfd, NULL) == 0 && u);
	upload_get_stats(u, &st);
	CHECK(st.backlog == 1 && !st.backlog_more);
	read_journal(j, sizeof(j));
	CHECK(!strcmp(j, "ok aod_quick_1_smb_latency.tar.zst\nfailed aod_quick_3_smb_error.tar.zst 8\n") ||
	      !strcmp(j, "failed aod_quick_3_smb_error.tar.zst 8\nok aod_quick_1_smb_latency.tar.zst\n"));
	CHECK(!upload_keeps(u, "aod_quick_1_smb_latency.tar.zst"));
	CHECK(upload_keeps(u, "aod_quick_2_smb_latency.tar.zst"));
	CHECK(upload_keeps(u, "aod_quick_3_smb_error.tar.zst"));	/* failed: not sent, kept */
	CHECK(run_until(u, idle));
	upload_get_stats(u, &st);
	CHECK(st.uploaded == 1 && st.failed == 0 && st.retries == 0);
	snprintf(p, sizeof(p), "%s/aod_quick_2_smb_latency.tar.zst", batches);
	snprintf(q, sizeof(q), "%s/aod_quick_2_smb_latency.tar.zst", dest);
	CHECK(same_file(p, q));
	snprintf(q, sizeof(q), "%s/aod_quick_1_smb_latency.tar.zst", dest);
	CHECK(access(q, F_OK) != 0);
	CHECK(!upload_keeps(u, "aod_quick_2_smb_latency.tar.zst"));
	read_journal(j, sizeof(j));
	CHECK(strstr(j, "\nok aod_quick_2_smb_latency.tar.zst\n") != NULL);
	/* a new bundle is sent when written; one the journal has is not queued again */
	mkbundle("aod_quick_4_smb_latency.tar.zst", "four");
	upload_bundle_written(u, "aod_quick_4_smb_latency.tar.zst");
	upload_bundle_written(u, "aod_quick_2_smb_latency.tar.zst");
	upload_get_stats(u, &st);
	CHECK(st.backlog == 1);
	CHECK(run_until(u, idle));
	upload_get_stats(u, &st);
	CHECK(st.uploaded == 2);
	close_upload(u);
	/* restart: nothing left to send */
	CHECK(upload_open(&u, &c, out_dir, bfd, NULL) == 0);
	upload_get_stats(u, &st);
	CHECK(st.backlog == 0);
	close_upload(u);
}

static bool one_failed(struct upload *u)
{
	return u->st.failed == 1 && idle(u);
}

/* A command that fails: retried with backoff, then given up after max_attempts, journaled as failed. */
static void test_give_up(void)
{
	struct cfg_upload c = copy_cfg();
	struct upload *u = NULL;
	struct upload_stats st;
	char j[4096];

	snprintf(c.argv[2], sizeof(c.argv[2]), "/nonexistent-dir/{name}");
	mkbundle("aod_quick_5_smb_latency.tar.zst", "five");
	CHECK(upload_open(&u, &c, out_dir, bfd, NULL) == 0);
	CHECK(run_until(u, one_failed));
	upload_get_stats(u, &st);
	CHECK(st.failed == 1 && st.retries == 2 && st.uploaded == 0);
	read_journal(j, sizeof(j));
	CHECK(strstr(j, "failed aod_quick_5_smb_latency.tar.zst 3\n") != NULL);
	CHECK(upload_keeps(u, "aod_quick_5_smb_latency.tar.zst"));
	close_upload(u);
	CHECK(upload_open(&u, &c, out_dir, bfd, NULL) == 0);
	upload_get_stats(u, &st);
	CHECK(st.backlog == 0);	/* failed stays failed across a restart */
	close_upload(u);
}

/* A missing program, and a bundle deleted before its turn: each said and counted, nothing hangs. */
static void test_missing(void)
{
	struct cfg_upload c = copy_cfg();
	struct upload *u = NULL;
	struct upload_stats st;

	c.max_attempts = 2;
	snprintf(c.argv[0], sizeof(c.argv[0]), "/nonexistent/uploader");
	mkbundle("aod_quick_6_smb_latency.tar.zst", "six");
	CHECK(upload_open(&u, &c, out_dir, bfd, NULL) == 0);
	CHECK(run_until(u, one_failed));
	upload_get_stats(u, &st);
	CHECK(st.failed == 1 && st.retries == 1);
	close_upload(u);

	c = copy_cfg();
	c.retry_base_ms = c.retry_max_ms = 60000;
	mkbundle("aod_quick_7_smb_latency.tar.zst", "seven");
	CHECK(upload_open(&u, &c, out_dir, bfd, NULL) == 0);
	upload_get_stats(u, &st);
	CHECK(st.backlog == 1);
	CHECK(unlinkat(bfd, "aod_quick_7_smb_latency.tar.zst", 0) == 0);
	upload_poll(u, NULL, mono_ns());
	upload_get_stats(u, &st);
	CHECK(st.lost == 1 && st.backlog == 0 && st.running == 0);
	/* retention's report of a deletion drops a waiting bundle and counts it */
	mkbundle("aod_quick_8_smb_latency.tar.zst", "eight");
	upload_bundle_written(u, "aod_quick_8_smb_latency.tar.zst");
	u->q[0].next_at = UINT64_MAX;	/* as if waiting for a retry */
	upload_lost(u, "aod_quick_8_smb_latency.tar.zst", 5);
	upload_get_stats(u, &st);
	CHECK(st.lost == 2 && st.backlog == 0);
	close_upload(u);
	unlinkat(bfd, "aod_quick_8_smb_latency.tar.zst", 0);
}

/* More bundles than the queue holds: the rest wait in the directory and are picked up by a rescan. */
static void test_overflow(void)
{
	struct cfg_upload c = copy_cfg();
	struct upload *u = NULL;
	struct upload_stats st;
	char name[64];
	int i;

	c.retry_base_ms = c.retry_max_ms = 60000;
	snprintf(c.argv[0], sizeof(c.argv[0]), "/nonexistent/uploader");
	for (i = 0; i < UPLOAD_QUEUE + 3; i++) {
		snprintf(name, sizeof(name), "aod_quick_%d_smb_ovf.tar.zst", 1000 + i);
		mkbundle(name, "x");
	}
	CHECK(upload_open(&u, &c, out_dir, bfd, NULL) == 0);
	upload_get_stats(u, &st);
	CHECK(st.backlog == UPLOAD_QUEUE && st.backlog_more);
	/* free three slots as retention would, then the tick's rescan fills them from the directory */
	for (i = 0; i < 3; i++) {
		unlinkat(bfd, u->q[i].name, 0);
		upload_lost(u, u->q[i].name, 1);
	}
	upload_tick(u);
	upload_get_stats(u, &st);
	CHECK(st.backlog == UPLOAD_QUEUE && !st.backlog_more);
	close_upload(u);
	for (i = 0; i < UPLOAD_QUEUE + 3; i++) {
		snprintf(name, sizeof(name), "aod_quick_%d_smb_ovf.tar.zst", 1000 + i);
		unlinkat(bfd, name, 0);
	}
}

/* A journal that grew past its slack is rewritten on the tick, without the bundles retention deleted. */
static void test_compact(void)
{
	struct cfg_upload c = copy_cfg();
	struct upload *u = NULL;
	char j[4096], cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -f %s/*", batches);	/* only this test's bundles from here */
	CHECK(system(cmd) == 0);
	mkbundle("aod_quick_20_smb_latency.tar.zst", "a");
	mkbundle("aod_quick_21_smb_latency.tar.zst", "b");
	put_journal("ok aod_quick_20_smb_latency.tar.zst\nok aod_quick_21_smb_latency.tar.zst\n");
	CHECK(upload_open(&u, &c, out_dir, bfd, NULL) == 0);
	CHECK(u->ndone == 2 && u->jlines == 2);
	CHECK(unlinkat(bfd, "aod_quick_20_smb_latency.tar.zst", 0) == 0);
	upload_tick(u);			/* not grown: left alone */
	read_journal(j, sizeof(j));
	CHECK(strstr(j, "aod_quick_20_") != NULL && u->ndone == 2);
	u->jlines = 2 * u->jlines_compacted + COMPACT_SLACK + 1;
	upload_tick(u);
	read_journal(j, sizeof(j));
	CHECK(!strcmp(j, "ok aod_quick_21_smb_latency.tar.zst\n") && u->ndone == 1 && u->jlines == 1);
	/* appends go to the new file */
	mkbundle("aod_quick_22_smb_latency.tar.zst", "c");
	upload_bundle_written(u, "aod_quick_22_smb_latency.tar.zst");
	CHECK(run_until(u, idle));
	read_journal(j, sizeof(j));
	CHECK(!strcmp(j, "ok aod_quick_21_smb_latency.tar.zst\nok aod_quick_22_smb_latency.tar.zst\n"));
	close_upload(u);
	unlinkat(bfd, "aod_quick_21_smb_latency.tar.zst", 0);
	unlinkat(bfd, "aod_quick_22_smb_latency.tar.zst", 0);
}

int main(void)
{
	char cmd[PATH_MAX + 16];

	log_set_level(LOG_LVL_ERROR);
	test_backoff();
	test_subst();
	test_journal_parse();
	if (!mkdtemp(tdir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(out_dir, sizeof(out_dir), "%s", tdir);
	snprintf(batches, sizeof(batches), "%s/batches", tdir);
	snprintf(dest, sizeof(dest), "%s/dest", tdir);
	CHECK(mkdir(batches, 0700) == 0 && mkdir(dest, 0700) == 0);
	bfd = open(batches, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	CHECK(bfd >= 0);
	test_journal_and_send();
	test_give_up();
	test_missing();
	test_overflow();
	test_compact();
	close(bfd);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tdir);
	CHECK(system(cmd) == 0);
	return CHECK_DONE();
}

// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for the bundle archive: real files in a temp dir, read back with the system's zstd and tar. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* pipe2 */
#endif
#include "../../src/arena.c"
#include "../../src/tar.c"
#include "../../src/io.c"
#include "../../src/archive.c"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "check.h"

static char dir[] = "/tmp/aod_test_archive.XXXXXX";
static int dfd = -1;

static int count_entries(void)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static void clean_dir(void)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	while (d && (de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			unlinkat(dfd, de->d_name, 0);
	if (d)
		closedir(d);
}

/* Text that compresses but is not trivial, and a length that is not a multiple of 512. */
static void make_text(char *buf, size_t len, unsigned seed)
{
	size_t i;

	for (i = 0; i < len; i++) {
		seed = seed * 1103515245u + 12345u;
		buf[i] = (i % 61 == 60) ? '\n' : (char)('a' + (seed >> 16) % 26);
	}
}

/* Run a shell pipeline and capture its stdout; returns bytes read or -1. */
static long run(const char *cmd, char *out, size_t cap)
{
	FILE *p = popen(cmd, "r");
	size_t n;

	if (!p)
		return -1;
	n = fread(out, 1, cap - 1, p);
	out[n] = '\0';
	if (pclose(p) != 0)
		return -1;
	return (long)n;
}

/* Size of a member in `tar --full-time -tv` output if its mode is 0600, owner root/root and
 * time as given (under TZ=UTC); -1 otherwise. */
static long member_size(const char *listing, const char *name, const char *when)
{
	char mode[16], owner[64], date[16], tm[16], nm[256];
	const char *p = listing;
	unsigned long size;
	int used;

	while (sscanf(p, "%15s %63s %lu %15s %15s %255s%n", mode, owner, &size, date, tm, nm, &used) == 6) {
		char stamp[40];

		snprintf(stamp, sizeof(stamp), "%s %s", date, tm);
		if (!strcmp(nm, name))
			return (!strcmp(mode, "-rw-------") && !strcmp(owner, "root/root") && !strcmp(stamp, when)) ?
				(long)size : -1;
		p += used;
	}
	return -1;
}

static int make_temp_file(const char *buf, size_t len)
{
	char path[64] = "/tmp/aod_test_src.XXXXXX";
	int fd = mkstemp(path);

	if (fd < 0)
		return -1;
	unlink(path);
	if (write(fd, buf, len) != (ssize_t)len) {
		close(fd);
		return -1;
	}
	return fd;
}

static void test_bundle(void)
{
	static const char manifest[] = "{\"anomaly\":\"latency\",\"count\":3}\n";
	static char text[100003], back[sizeof(text) + 1];
	static char out[65536];
	const char *final = "aod_quick_1_smb_latency.tar.zst";
	char cmd[512];
	struct archive *ar;
	struct arena a;
	struct stat st;
	int fd;

	CHECK(arena_init(&a, archive_arena_need(3)) == 0);
	make_text(text, sizeof(text), 7);
	fd = make_temp_file(text, sizeof(text));
	CHECK(fd >= 0);

	CHECK(archive_open(&ar, &a, dfd, final, 0) == 0);
	CHECK(a.failures == 0);
	CHECK(faccessat(dfd, "aod_quick_1_smb_latency.tar.zst.part", F_OK, 0) == 0);
	CHECK(archive_add(ar, "manifest.json", manifest, strlen(manifest), 1700000000) == 0);
	CHECK(archive_add_fd(ar, "dmesg.log", fd, 1700000001) == 0);
	CHECK(archive_add(ar, "empty.log", "", 0, 1700000002) == 0);
	CHECK(archive_finish(ar) == 0);
	archive_abort(ar);	/* a no-op after finish: must not remove the bundle */
	close(fd);

	CHECK(faccessat(dfd, "aod_quick_1_smb_latency.tar.zst.part", F_OK, 0) != 0);
	CHECK(fstatat(dfd, final, &st, AT_SYMLINK_NOFOLLOW) == 0);
	CHECK((st.st_mode & 07777) == 0600);
	CHECK(S_ISREG(st.st_mode));
	CHECK((uint64_t)st.st_size == archive_bytes_out(ar));
	CHECK(st.st_size > 0 && st.st_size < (off_t)sizeof(text));	/* it did compress */
	CHECK(count_entries() == 1);

	snprintf(cmd, sizeof(cmd), "zstd -q -t %s/%s 2>&1", dir, final);
	CHECK(run(cmd, out, sizeof(out)) >= 0);
	snprintf(cmd, sizeof(cmd), "zstd -dc %s/%s | tar --full-time -tvf -", dir, final);
	CHECK(run(cmd, out, sizeof(out)) > 0);
	CHECK(member_size(out, "manifest.json", "2023-11-14 22:13:20") == (long)strlen(manifest));
	CHECK(member_size(out, "dmesg.log", "2023-11-14 22:13:21") == 100003);
	CHECK(member_size(out, "empty.log", "2023-11-14 22:13:22") == 0);
	/* members in order */
	CHECK(strstr(out, "manifest.json") < strstr(out, "dmesg.log"));
	CHECK(strstr(out, "dmesg.log") < strstr(out, "empty.log"));

	snprintf(cmd, sizeof(cmd), "zstd -dc %s/%s | tar -xOf - manifest.json", dir, final);
	CHECK(run(cmd, out, sizeof(out)) == (long)strlen(manifest));
	CHECK(strcmp(out, manifest) == 0);
	snprintf(cmd, sizeof(cmd), "zstd -dc %s/%s | tar -xOf - dmesg.log", dir, final);
	CHECK(run(cmd, back, sizeof(back)) == (long)sizeof(text));
	CHECK(memcmp(back, text, sizeof(text)) == 0);
	/* the tar stream itself: whole blocks, with the two-block end marker */
	snprintf(cmd, sizeof(cmd), "zstd -dc %s/%s | wc -c", dir, final);
	CHECK(run(cmd, out, sizeof(out)) > 0);
	CHECK(atol(out) == 512 + 512 + 512 + 100352 + 512 + 1024);
	arena_fini(&a);
	clean_dir();
}

static void test_abort_and_exist(void)
{
	struct archive *ar, *ar2;
	static unsigned char mem[4 << 20];
	struct arena a;
	size_t mark;
	int fd;

	arena_init_buffer(&a, mem, sizeof(mem));
	mark = arena_mark(&a);
	CHECK(archive_open(&ar, &a, dfd, "aod_quick_2_smb_error.tar.zst", 3) == 0);
	CHECK(archive_add(ar, "x.log", "hello\n", 6, 0) == 0);
	CHECK(count_entries() == 1);
	archive_abort(ar);
	CHECK(count_entries() == 0);
	archive_abort(ar);	/* twice is harmless */
	CHECK(archive_add(ar, "x.log", "a", 1, 0) == -EBADF);
	CHECK(archive_finish(ar) == -EBADF);
	arena_reset(&a, mark);

	/* a leftover .part (another bundle in flight, or a crash) is never overwritten */
	fd = openat(dfd, "aod_quick_3_smb_latency.tar.zst.part", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	CHECK(fd >= 0);
	CHECK(write(fd, "keep", 4) == 4);
	close(fd);
	CHECK(archive_open(&ar, &a, dfd, "aod_quick_3_smb_latency.tar.zst", 3) == -EEXIST);
	CHECK(ar == NULL);
	arena_reset(&a, mark);
	/* two bundles in flight with the same name: the second is refused */
	CHECK(archive_open(&ar, &a, dfd, "aod_quick_4_smb_latency.tar.zst", 3) == 0);
	CHECK(archive_open(&ar2, &a, dfd, "aod_quick_4_smb_latency.tar.zst", 3) == -EEXIST);
	archive_abort(ar);
	{
		struct stat st;

		CHECK(fstatat(dfd, "aod_quick_3_smb_latency.tar.zst.part", &st, 0) == 0 && st.st_size == 4);
	}
	arena_reset(&a, mark);
	/* a symlink named like the .part is not followed, and is told apart from a leftover part */
	CHECK(symlinkat("/tmp/aod_should_not_exist", dfd, "aod_quick_5_smb_latency.tar.zst.part") == 0);
	CHECK(archive_open(&ar, &a, dfd, "aod_quick_5_smb_latency.tar.zst", 3) == -ELOOP);
	CHECK(access("/tmp/aod_should_not_exist", F_OK) != 0);
	clean_dir();
	CHECK(count_entries() == 0);
}

static void test_bad_arguments(void)
{
	static unsigned char mem[4 << 20];
	struct archive *ar;
	struct arena a;
	char name[300];
	int p[2];

	arena_init_buffer(&a, mem, sizeof(mem));
	CHECK(archive_arena_need(20) == 0);
	CHECK(archive_arena_need(-1) == 0);
	CHECK(archive_arena_need(0) == archive_arena_need(3));
	CHECK(archive_arena_need(3) < (2u << 20));	/* the capped window keeps a bundle small */
	CHECK(archive_open(&ar, &a, dfd, "x.tar.zst", 20) == -EINVAL);
	CHECK(archive_open(&ar, &a, dfd, "a/b.tar.zst", 3) == -EINVAL);
	CHECK(archive_open(&ar, &a, dfd, "", 3) == -EINVAL);
	CHECK(archive_open(&ar, &a, dfd, "..", 3) == -EINVAL);
	memset(name, 'n', 251);
	name[251] = '\0';
	CHECK(archive_open(&ar, &a, dfd, name, 3) == -ENAMETOOLONG);	/* 251 + ".part" > 255 */
	name[250] = '\0';
	CHECK(archive_open(&ar, &a, dfd, name, 3) == 0);
	archive_abort(ar);

	/* an arena too small is an error, counted, never a crash */
	arena_init_buffer(&a, mem, archive_arena_need(3) / 2);
	CHECK(archive_open(&ar, &a, dfd, "small.tar.zst", 3) == -ENOMEM);
	CHECK(a.failures > 0);
	CHECK(count_entries() == 0);

	/* refused members write nothing, and the archive stays good */
	arena_init_buffer(&a, mem, sizeof(mem));
	CHECK(archive_open(&ar, &a, dfd, "aod_quick_6_aod_snapshot.tar.zst", 1) == 0);
	memset(name, 'm', 120);
	name[120] = '\0';
	CHECK(archive_add(ar, name, "x", 1, 0) == -ENAMETOOLONG);
	CHECK(pipe2(p, O_CLOEXEC) == 0);
	CHECK(archive_add_fd(ar, "pipe.log", p[0], 0) == -EINVAL);
	close(p[0]);
	close(p[1]);
	CHECK(archive_add_fd(ar, "closed.log", p[0], 0) == -EBADF);
	/* a long path goes through the ustar prefix field and must come back whole */
	memcpy(name, "actions/", 8);
	memset(name + 8, 'd', 60);
	name[68] = '/';
	memset(name + 69, 'f', 90);
	strcpy(name + 159, ".log");
	CHECK(archive_add(ar, name, "long\n", 5, 0) == 0);
	CHECK(archive_finish(ar) == 0);
	{
		char cmd[512], out[1024];

		snprintf(cmd, sizeof(cmd), "zstd -dc %s/aod_quick_6_aod_snapshot.tar.zst | tar -tf -", dir);
		CHECK(run(cmd, out, sizeof(out)) > 0);
		CHECK(strncmp(out, name, strlen(name)) == 0 && out[strlen(name)] == '\n');
		CHECK(strlen(out) == strlen(name) + 1);	/* the refused members are not there */
	}
	clean_dir();
}

/* Every level must fit the workspace archive_arena_need promises, with input well past the window. */
static void test_levels_fit(void)
{
	static char data[600000];
	static const int levels[] = { 1, 3, 9, 19 };
	size_t i;

	make_text(data, sizeof(data), 3);
	for (i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
		char name[64], cmd[512], out[256];
		struct archive *ar;
		struct arena a;

		snprintf(name, sizeof(name), "level%d.tar.zst", levels[i]);
		CHECK(arena_init(&a, archive_arena_need(levels[i])) == 0);
		CHECK(archive_open(&ar, &a, dfd, name, levels[i]) == 0);
		CHECK(archive_add(ar, "data.txt", data, sizeof(data), 0) == 0);
		CHECK(archive_finish(ar) == 0);
		snprintf(cmd, sizeof(cmd), "zstd -dc %s/%s | tar -xOf - data.txt | md5sum", dir, name);
		CHECK(run(cmd, out, sizeof(out)) > 0);
		{
			char ref[256], tmp[] = "/tmp/aod_test_ref.XXXXXX";
			int fd = mkstemp(tmp);

			CHECK(fd >= 0 && write(fd, data, sizeof(data)) == (ssize_t)sizeof(data));
			close(fd);
			snprintf(cmd, sizeof(cmd), "md5sum < %s", tmp);
			CHECK(run(cmd, ref, sizeof(ref)) > 0);
			CHECK(strcmp(ref, out) == 0);
			unlink(tmp);
		}
		arena_fini(&a);
	}
	clean_dir();
}

/* Members fed in bounded steps, as aod's loop does: no step exceeds its budget, the result is the same tar. */
static void test_steps(void)
{
	static char text[100003], back[sizeof(text) + 1];
	static const char manifest[] = "{\"steps\":true}\n";
	const char *final = "aod_quick_7_smb_latency.tar.zst";
	uint64_t in0, member = 512 + 100352;
	char cmd[512], out[256];
	struct archive *ar;
	struct arena a;
	int fd, r, steps = 0, bad = 0;
	size_t budget;

	CHECK(arena_init(&a, archive_arena_need(3)) == 0);
	make_text(text, sizeof(text), 11);
	fd = make_temp_file(text, sizeof(text));
	CHECK(fd >= 0);
	CHECK(archive_open(&ar, &a, dfd, final, 3) == 0);
	budget = 100;
	CHECK(archive_step(ar, &budget) == -EINVAL && budget == 100);	/* nothing begun */
	CHECK(archive_begin(ar, "manifest.json", manifest, strlen(manifest), 1700000000) == 0);
	CHECK(archive_bytes_in(ar) == 0);	/* begin writes nothing */
	CHECK(archive_begin_fd(ar, "other.log", fd, 0) == -EBUSY);
	budget = 100;
	CHECK(archive_step(ar, &budget) == 0 && budget == 0 && archive_bytes_in(ar) == 100);	/* mid-header */
	budget = 1000;
	CHECK(archive_step(ar, &budget) == 1 && archive_bytes_in(ar) == 1024 && budget == 76);
	CHECK(archive_begin_fd(ar, "dmesg.log", fd, 1700000001) == 0);
	do {
		in0 = archive_bytes_in(ar);
		budget = 1000;
		r = archive_step(ar, &budget);
		bad += archive_bytes_in(ar) - in0 != 1000 - budget || archive_bytes_in(ar) - in0 > 1000;
		bad += r == 0 && budget != 0;	/* a step stops early only when the member is done */
		steps++;
	} while (r == 0 && steps < 1000);
	CHECK(r == 1 && bad == 0);
	CHECK(steps == (int)((member + 999) / 1000));
	CHECK(archive_bytes_in(ar) == 1024 + member);
	CHECK(archive_finish(ar) == 0);
	CHECK(archive_bytes_in(ar) == 1024 + member + 1024);
	snprintf(cmd, sizeof(cmd), "zstd -dc %s/%s | tar -xOf - dmesg.log", dir, final);
	CHECK(run(cmd, back, sizeof(back)) == (long)sizeof(text) && memcmp(back, text, sizeof(text)) == 0);
	snprintf(cmd, sizeof(cmd), "zstd -dc %s/%s | tar -tf - | head -n1", dir, final);
	CHECK(run(cmd, out, sizeof(out)) > 0 && !strcmp(out, "manifest.json\n"));

	/* A file that shrinks between steps: its size was fixed at begin, the rest is zeros, no error. */
	arena_reset(&a, 0);
	CHECK(archive_open(&ar, &a, dfd, "aod_quick_8_smb_latency.tar.zst", 3) == 0);
	CHECK(archive_begin_fd(ar, "shrunk.log", fd, 0) == 0);
	budget = 512 + 4096;
	CHECK(archive_step(ar, &budget) == 0);
	CHECK(ftruncate(fd, 10000) == 0);
	budget = SIZE_MAX;
	CHECK(archive_step(ar, &budget) == 1);
	CHECK(archive_finish(ar) == 0);
	snprintf(cmd, sizeof(cmd), "zstd -dc %s/aod_quick_8_smb_latency.tar.zst | tar -xOf - shrunk.log", dir);
	CHECK(run(cmd, back, sizeof(back)) == (long)sizeof(text));
	CHECK(memcmp(back, text, 10000) == 0 && back[10000] == 0 && back[sizeof(text) - 1] == 0);

	/* Finishing with a member cut short would name a broken tar: refused, the .part removed. */
	arena_reset(&a, 0);
	CHECK(archive_open(&ar, &a, dfd, "aod_quick_9_smb_latency.tar.zst", 3) == 0);
	CHECK(archive_begin_fd(ar, "cut.log", fd, 0) == 0);
	budget = 700;
	CHECK(archive_step(ar, &budget) == 0);
	CHECK(archive_finish(ar) == -EBUSY);
	CHECK(faccessat(dfd, "aod_quick_9_smb_latency.tar.zst.part", F_OK, 0) != 0);
	CHECK(faccessat(dfd, "aod_quick_9_smb_latency.tar.zst", F_OK, 0) != 0);
	close(fd);
	arena_fini(&a);
	clean_dir();
}

int main(void)
{
	setenv("TZ", "UTC", 1);
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	CHECK(dfd >= 0);
	test_bundle();
	test_abort_and_exist();
	test_bad_arguments();
	test_levels_fit();
	test_steps();
	close(dfd);
	rmdir(dir);
	return CHECK_DONE();
}

// SPDX-License-Identifier: GPL-2.0-only
/* io.c: whole writes, mkdir -p modes and the .part -> fsync -> rename step. */
#include "../../src/io.c"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check.h"

static char dir[64];

static void test_write_all(void)
{
	static char big[256 * 1024], back[sizeof(big)];
	int fd, n = 0;
	char path[128];

	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)(i * 7);
	snprintf(path, sizeof(path), "%s/w", dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	CHECK(io_write_all(fd, big, sizeof(big)) == 0);
	CHECK(lseek(fd, 0, SEEK_SET) == 0);
	while (n < (int)sizeof(back)) {
		ssize_t k = read(fd, back + n, sizeof(back) - n);
		if (k <= 0)
			break;
		n += (int)k;
	}
	CHECK(n == (int)sizeof(big) && !memcmp(big, back, sizeof(big)));
	close(fd);
	fd = open("/dev/full", O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		CHECK(io_write_all(fd, "x", 1) == -ENOSPC);
		close(fd);
	}
	CHECK(io_write_all(-1, "x", 1) == -EBADF);
	CHECK(io_write_all(-1, "", 0) == 0);
}

static void test_mkdir_p(void)
{
	char path[160], mid[160];
	struct stat st;

	snprintf(path, sizeof(path), "%s/a/b/c", dir);
	snprintf(mid, sizeof(mid), "%s/a/b", dir);
	umask(0);
	CHECK(io_mkdir_p(path, 0755, 0700) == 0);
	CHECK(stat(path, &st) == 0 && (st.st_mode & 07777) == 0700);
	CHECK(stat(mid, &st) == 0 && (st.st_mode & 07777) == 0755);
	CHECK(io_mkdir_p(path, 0755, 0700) == 0);	/* existing: fine, left alone */
	snprintf(path, sizeof(path), "%s/w/x", dir);	/* w is a file */
	CHECK(io_mkdir_p(path, 0755, 0700) == -ENOTDIR);
	CHECK(io_mkdir_p("", 0755, 0700) == -ENOENT);
}

/* io_seal_part and io_swap_part (the same without the fsync) put a part file in place alike. */
static void test_seal_part(int (*finish)(int, int, const char *, const char *), const char *f, const char *g)
{
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), fd;
	char part[16], buf[8] = { 0 };
	struct stat st;

	snprintf(part, sizeof(part), "%s.part", f);
	fd = openat(dfd, part, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	CHECK(io_write_all(fd, "sealed", 6) == 0);
	CHECK(finish(fd, dfd, part, f) == 0);
	CHECK(fcntl(fd, F_GETFD) < 0 && errno == EBADF);	/* closed */
	CHECK(fstatat(dfd, part, &st, 0) < 0 && errno == ENOENT);
	fd = openat(dfd, f, O_RDONLY | O_CLOEXEC);
	CHECK(read(fd, buf, sizeof(buf)) == 6 && !strcmp(buf, "sealed"));
	close(fd);
	/* The final name cannot be taken (a directory of that name is not empty): the part stays for the caller. */
	snprintf(part, sizeof(part), "%s.part", g);
	fd = openat(dfd, part, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	CHECK(finish(fd, dfd, part, "a") < 0);
	CHECK(fstatat(dfd, part, &st, 0) == 0);
	close(dfd);
}

int main(void)
{
	char cmd[96];

	snprintf(dir, sizeof(dir), "/tmp/aod-test-io.XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	test_write_all();
	test_mkdir_p();
	test_seal_part(io_seal_part, "f", "g");
	test_seal_part(io_swap_part, "s", "t");
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	CHECK(system(cmd) == 0);
	return CHECK_DONE();
}

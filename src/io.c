// SPDX-License-Identifier: GPL-2.0-only
/* Base layer: whole writes, directory creation and the atomic .part -> fsync -> rename step. */
#include "io.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"

int io_write_all(int fd, const void *buf, size_t n)
{
	const unsigned char *p = buf;

	while (n > 0) {
		ssize_t k = write(fd, p, n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		/* A regular file or pipe that takes nothing would make this loop spin forever. */
		if (k == 0)
			return -EIO;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

ssize_t io_read(int fd, void *buf, size_t n)
{
	ssize_t k;

	while ((k = read(fd, buf, n)) < 0)
		if (errno != EINTR)
			return -errno;
	return k;
}

ssize_t io_pread(int fd, void *buf, size_t n, off_t off)
{
	ssize_t k;

	while ((k = pread(fd, buf, n, off)) < 0)
		if (errno != EINTR)
			return -errno;
	return k;
}

ssize_t io_read_full(int fd, void *buf, size_t n)
{
	size_t got = 0;
	ssize_t k;

	while (got < n && (k = io_read(fd, (char *)buf + got, n - got)) != 0) {
		if (k < 0)
			return k;
		got += (size_t)k;
	}
	return (ssize_t)got;
}

int io_fsync(int fd)
{
	while (fsync(fd) < 0)
		if (errno != EINTR)
			return -errno;
	return 0;
}

int io_mkdir_p(const char *path, mode_t parent_mode, mode_t leaf_mode)
{
	char tmp[PATH_MAX], *p;

	if (!path[0])
		return -ENOENT;
	if (snprintf(tmp, sizeof(tmp), "%s", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	for (p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, parent_mode) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, leaf_mode) && errno != EEXIST)
		return -errno;
	return 0;
}

static int finish_part(int fd, int dirfd, const char *part, const char *final, bool sync)
{
	int rc = sync ? io_fsync(fd) : 0;

	/* Linux closes the fd even when close fails; EINTR there loses nothing that fsync kept. */
	if (close(fd) < 0 && !rc && errno != EINTR)
		rc = -errno;
	if (!rc && renameat(dirfd, part, dirfd, final) < 0)
		rc = -errno;
	return rc;
}

int io_seal_part(int fd, int dirfd, const char *part, const char *final)
{
	return finish_part(fd, dirfd, part, final, true);
}

int io_swap_part(int fd, int dirfd, const char *part, const char *final)
{
	return finish_part(fd, dirfd, part, final, false);
}

int io_select_until(int maxfd, fd_set *rd, uint64_t deadline_ns)
{
	uint64_t now = mono_ns(), wait = deadline_ns > now ? deadline_ns - now : 0;
	struct timeval tv = { .tv_sec = (time_t)(wait / 1000000000ull),
			      .tv_usec = (suseconds_t)(wait % 1000000000ull / 1000) };
	int n = select(maxfd + 1, rd, NULL, NULL, deadline_ns == UINT64_MAX ? NULL : &tv);

	if (n <= 0)
		FD_ZERO(rd);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	return n;
}

ssize_t io_read_small(int dfd, const char *path, char *buf, size_t bufsz)
{
	ssize_t got;
	int fd = openat(dfd, path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	got = io_read_full(fd, buf, bufsz - 1);
	close(fd);
	buf[got > 0 ? got : 0] = '\0';
	return got;
}

/* Lines are cut at the buffer, not split: a reader that matches prefixes sees each line's start once. */
int io_read_lines(const char *path, size_t max_bytes, int (*fn)(char *line, void *ctx), void *ctx)
{
	char chunk[1024], line[512];
	size_t len = 0, total = 0;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC), err = 0;

	if (fd < 0)
		return -errno;
	while (!err && total < max_bytes) {
		n = io_read(fd, chunk, sizeof(chunk) < max_bytes - total ? sizeof(chunk) : max_bytes - total);
		if (n < 0)
			err = (int)n;
		if (n <= 0)
			break;
		total += (size_t)n;
		for (ssize_t i = 0; i < n && !err; i++) {
			if (chunk[i] != '\n') {
				if (len < sizeof(line) - 1)
					line[len++] = chunk[i];
				continue;
			}
			line[len] = 0;
			err = fn(line, ctx);
			len = 0;
		}
	}
	if (!err && len) {
		line[len] = 0;
		err = fn(line, ctx);
	}
	close(fd);
	return err < 0 ? err : 0;
}

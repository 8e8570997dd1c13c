// SPDX-License-Identifier: GPL-2.0-only
/* File-system storms for the guest benchmark (bench/smb_cost.sh): metadata (create/stat/close) or uncached 4 KiB reads. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/*
 * usage: fsstorm meta DIR SECONDS [PROCS]
 *        fsstorm read FILE SECONDS [PROCS]
 * meta: each process loops over 16 names of its own in DIR: open(O_CREAT), stat(path), close; the files are
 *       removed at the end, outside the timed part.
 * read: each process preads 4 KiB at pseudo-random aligned offsets of FILE opened with O_DIRECT, so no read is
 *       served from the page cache (on cifs, O_DIRECT on a cache=strict mount makes every read an SMB2_READ).
 * Prints "ops_per_sec=N ops=N secs=S" for all processes together; exit 1 when an operation fails.
 */

#define NAMES 16
#define BLOCK 4096

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct count {
	unsigned long ops;
	double done;		/* when the timed loop ended, before any cleanup */
};

static int meta_loop(const char *dir, double end, struct count *c)
{
	char path[NAMES][4096];
	struct stat st;
	unsigned long n = 0;
	int i, fd;

	for (i = 0; i < NAMES; i++)
		if (snprintf(path[i], sizeof(path[i]), "%s/fsstorm.%d.%d", dir, (int)getpid(), i) >=
		    (int)sizeof(path[i]))
			return -ENAMETOOLONG;
	/* the clock is read after every operation: under TCG one may take 10 ms or more */
	do {
		i = (int)(n++ % NAMES);
		fd = open(path[i], O_CREAT | O_RDWR | O_CLOEXEC, 0644);
		if (fd < 0 || stat(path[i], &st) < 0)
			return -errno;
		close(fd);
	} while ((c->done = now_s()) < end);
	for (i = 0; i < NAMES; i++)
		unlink(path[i]);
	c->ops = n;
	return 0;
}

static int read_loop(const char *file, double end, struct count *c)
{
	unsigned long n = 0, blocks;
	unsigned int x = (unsigned int)getpid() * 2654435761u;
	struct stat st;
	void *buf;
	int fd;

	fd = open(file, O_RDONLY | O_DIRECT | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0)
		return -errno;
	blocks = (unsigned long)st.st_size / BLOCK;
	if (!blocks)
		return -EINVAL;
	if (posix_memalign(&buf, BLOCK, BLOCK))
		return -ENOMEM;
	do {
		x = x * 1664525u + 1013904223u;
		if (pread(fd, buf, BLOCK, (off_t)((x >> 8) % blocks) * BLOCK) != BLOCK)
			return errno ? -errno : -EIO;
		n++;
	} while ((c->done = now_s()) < end);
	free(buf);
	close(fd);
	c->ops = n;
	return 0;
}

/* One worker: runs its loop until end and writes its count to the pipe. */
static void worker(int meta, const char *target, double end, int out)
{
	struct count c = { 0, 0 };
	int err = meta ? meta_loop(target, end, &c) : read_loop(target, end, &c);

	if (err) {
		fprintf(stderr, "fsstorm: %s %s: %s\n", meta ? "meta" : "read", target, strerror(-err));
		_exit(1);
	}
	_exit(write(out, &c, sizeof(c)) == sizeof(c) ? 0 : 1);
}

int main(int argc, char **argv)
{
	double secs = argc > 3 ? atof(argv[3]) : 0, t0, t1 = 0;
	int procs = argc > 4 ? atoi(argv[4]) : 1, meta, p[2], i, st, bad = 0;
	unsigned long total = 0;
	struct count c;

	meta = argc > 1 && !strcmp(argv[1], "meta");
	if ((!meta && (argc < 2 || strcmp(argv[1], "read"))) || argc < 4 || secs <= 0 || procs < 1 || procs > 64 ||
	    pipe2(p, O_CLOEXEC)) {
		fprintf(stderr, "usage: fsstorm meta DIR SECONDS [PROCS] | fsstorm read FILE SECONDS [PROCS]\n");
		return 2;
	}
	t0 = now_s();
	for (i = 0; i < procs; i++) {
		pid_t pid = fork();

		if (pid < 0)
			return 1;
		if (pid == 0)
			worker(meta, argv[2], t0 + secs, p[1]);
	}
	close(p[1]);
	for (i = 0; i < procs; i++) {
		wait(&st);
		bad |= !WIFEXITED(st) || WEXITSTATUS(st);
	}
	while (read(p[0], &c, sizeof(c)) == sizeof(c)) {
		total += c.ops;
		if (c.done > t1)
			t1 = c.done;
	}
	if (bad || t1 <= t0)
		return 1;
	printf("ops_per_sec=%.1f ops=%lu secs=%.3f\n", (double)total / (t1 - t0), total, t1 - t0);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0-only
/* Block I/O storm for the benchmarks: synchronous 4 KiB O_DIRECT reads of a file, one at a time, on one CPU. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/*
 * usage: blockio FILE [SECONDS] [CPU]; prints "ios_per_sec N".
 * O_DIRECT bypasses the page cache, so every read is one block request (block_rq_issue and
 * block_rq_complete once each) as long as FILE lives on a real block device and holds written
 * data: unwritten extents of a preallocated file are answered with zeros without any I/O.
 */

#define IO_SIZE 4096

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	double secs = argc > 2 ? atof(argv[2]) : 5.0, t0, t;
	int cpu = argc > 3 ? atoi(argv[3]) : 0, fd;
	unsigned long n = 0, blocks;
	struct stat st;
	cpu_set_t set;
	void *buf;

	if (argc < 2 || secs <= 0) {
		fprintf(stderr, "usage: blockio FILE [SECONDS] [CPU]\n");
		return 2;
	}
	fd = open(argv[1], O_RDONLY | O_DIRECT | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) || st.st_size < IO_SIZE) {
		perror("blockio: open or stat (the file must exist, hold >= 4 KiB and allow O_DIRECT)");
		return 1;
	}
	if (posix_memalign(&buf, IO_SIZE, IO_SIZE))
		return 1;
	if (cpu >= 0) {
		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set))
			perror("blockio: sched_setaffinity");
	}
	blocks = (unsigned long)st.st_size / IO_SIZE;
	t0 = now_s();
	do {
		/* a stride of 7 blocks: no two neighbouring reads for the device to merge or read ahead */
		for (int i = 0; i < 64; i++, n++)
			if (pread(fd, buf, IO_SIZE, (off_t)((n * 7) % blocks) * IO_SIZE) != IO_SIZE) {
				perror("blockio: pread");
				return 1;
			}
		t = now_s();
	} while (t - t0 < secs);
	printf("ios_per_sec %.0f\n", (double)n / (t - t0));
	return 0;
}

// SPDX-License-Identifier: GPL-2.0-only
/* Context-switch storm for the benchmarks: two processes bounce a byte over pipes on one CPU. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* usage: pingpong [SECONDS] [CPU]; prints "roundtrips_per_sec N" (each round trip is two switches) */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void pin(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		perror("pingpong: sched_setaffinity");
}

static void echo_loop(int in, int out)
{
	char c;

	while (read(in, &c, 1) == 1)
		if (write(out, &c, 1) != 1)
			break;
	_exit(0);
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 5.0, t0, t;
	int cpu = argc > 2 ? atoi(argv[2]) : 0, ab[2], ba[2];
	unsigned long n = 0;
	pid_t child;
	char c = 'x';

	if (secs <= 0 || pipe2(ab, O_CLOEXEC) || pipe2(ba, O_CLOEXEC)) {
		fprintf(stderr, "usage: pingpong [SECONDS] [CPU]\n");
		return 2;
	}
	pin(cpu);	/* both ends on one CPU: every message is a context switch */
	child = fork();
	if (child < 0)
		return 1;
	if (child == 0) {
		close(ab[1]);
		close(ba[0]);
		echo_loop(ab[0], ba[1]);
	}
	close(ab[0]);
	close(ba[1]);
	t0 = now_s();
	do {
		for (int i = 0; i < 1000; i++, n++)
			if (write(ab[1], &c, 1) != 1 || read(ba[0], &c, 1) != 1)
				return 1;
		t = now_s();
	} while (t - t0 < secs);
	close(ab[1]);
	waitpid(child, NULL, 0);
	printf("roundtrips_per_sec %.0f\n", (double)n / (t - t0));
	return 0;
}

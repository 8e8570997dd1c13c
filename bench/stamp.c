// SPDX-License-Identifier: GPL-2.0-only
/*
 * Start-to-ready timing for the benchmarks, without the shell's own forks in the figure.
 *
 *   stamp exec FILE CMD...   write CLOCK_MONOTONIC (ns) into FILE, then exec CMD in this same process
 *                            (so the pid the shell knows stays the tool's pid)
 *   stamp wait REGEX         read stdin until a line matches the extended REGEX, print CLOCK_MONOTONIC
 *                            (ns) at the moment that line was read, then go on reading stdin to its end
 *                            (so the tool never blocks on a full pipe); exit 0, or 1 if no line matched
 *
 * The reader is started before the tool, so it is already waiting in read(2) when the ready line comes.
 * A tool's start time is then wait's figure minus exec's: from the exec of the tool to the read of its
 * ready line, the same for aod and for its peers. bash's mkfifo, forks and the reader's own start are left out.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static unsigned long long mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec;
}

static int usage(void)
{
	fprintf(stderr, "usage: stamp exec FILE CMD... | stamp wait REGEX\n");
	return 2;
}

static int do_exec(const char *file, char **cmd)
{
	char buf[32];
	int fd, n;

	fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		fprintf(stderr, "stamp: %s: %s\n", file, strerror(errno));
		return 1;
	}
	n = snprintf(buf, sizeof(buf), "%llu\n", mono_ns());
	if (write(fd, buf, (size_t)n) != n) {
		fprintf(stderr, "stamp: %s: short write\n", file);
		return 1;
	}
	close(fd);
	execvp(cmd[0], cmd);
	fprintf(stderr, "stamp: %s: %s\n", cmd[0], strerror(errno));
	return 127;
}

/* Reads with read(2) a block at a time, so the line is seen as soon as the tool writes it. */
static int drain(void)
{
	char buf[8192];

	for (;;) {
		ssize_t n = read(0, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return 0;
	}
}

static int do_wait(const char *pattern)
{
	char buf[8192];
	size_t have = 0;
	regex_t re;

	if (regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB) != 0) {
		fprintf(stderr, "stamp: bad regex '%s'\n", pattern);
		return 2;
	}
	for (;;) {
		ssize_t n = read(0, buf + have, sizeof(buf) - 1 - have);
		unsigned long long t = mono_ns();
		char *line, *nl;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return 1;
		have += (size_t)n;
		buf[have] = '\0';
		line = buf;
		while ((nl = strchr(line, '\n')) != NULL) {
			*nl = '\0';
			if (regexec(&re, line, 0, NULL, 0) == 0) {
				printf("%llu\n", t);
				fflush(stdout);
				return drain();
			}
			line = nl + 1;
		}
		have = strlen(line);
		if (have == sizeof(buf) - 1)	/* a line longer than the buffer: keep its tail only */
			have = 0;
		memmove(buf, line, have);
	}
}

int main(int argc, char **argv)
{
	if (argc >= 4 && strcmp(argv[1], "exec") == 0)
		return do_exec(argv[2], argv + 3);
	if (argc == 3 && strcmp(argv[1], "wait") == 0)
		return do_wait(argv[2]);
	return usage();
}

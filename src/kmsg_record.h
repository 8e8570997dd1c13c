/* SPDX-License-Identifier: GPL-2.0-only */
/* One /dev/kmsg record decoded (\xNN escapes undone): the kmsg source and the kmsg action read it alike. */
#ifndef AOD_KMSG_RECORD_H
#define AOD_KMSG_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KMSG_TEXT_MAX 1024

struct kmsg_record {
	uint64_t seq;
	uint64_t usec;		/* CLOCK_MONOTONIC microseconds when logged */
	int level;		/* 0 emerg .. 7 debug */
	int facility;
	bool cont;		/* a continuation fragment ('c' flag) */
	size_t len;
	char text[KMSG_TEXT_MAX];	/* unescaped (\xNN decoded), NUL-terminated, truncated */
};

/* Parse one read() of /dev/kmsg: "prio,seq,usec,flags[,...];text\n[ KEY=value\n...]". 0 or -EINVAL. */
int kmsg_parse(const char *buf, size_t len, struct kmsg_record *out);

#endif /* AOD_KMSG_RECORD_H */

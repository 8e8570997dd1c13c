/* SPDX-License-Identifier: GPL-2.0-only */
/* Unit tests that check what aod logs: stderr goes to a temporary file between begin and end. */
#ifndef AOD_TEST_STDERR_CAPTURE_H
#define AOD_TEST_STDERR_CAPTURE_H

#include <stdio.h>
#include <unistd.h>

struct stderr_capture {
	FILE *f;
	int saved;
};

static inline void stderr_capture_begin(struct stderr_capture *c)
{
	c->f = tmpfile();
	c->saved = dup(2);
	fflush(stderr);
	dup2(fileno(c->f), 2);
}

/* Restores stderr; buf gets what was written (NUL-terminated, at most cap - 1 bytes); returns its length. */
static inline size_t stderr_capture_end(struct stderr_capture *c, char *buf, size_t cap)
{
	size_t n;

	fflush(stderr);
	dup2(c->saved, 2);
	close(c->saved);
	rewind(c->f);
	n = fread(buf, 1, cap - 1, c->f);
	buf[n] = '\0';
	fclose(c->f);
	return n;
}

#endif /* AOD_TEST_STDERR_CAPTURE_H */

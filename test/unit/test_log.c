// SPDX-License-Identifier: GPL-2.0-only
/* log.c: a line is the timestamp, "aod LEVEL: ", the message and one newline, short or long. */
#include "../../src/log.c"

#include <stdlib.h>

#include "check.h"
#include "stderr_capture.h"

/* Log msg at lvl with stderr on a temporary file; return what was written. */
static size_t logged(enum log_level lvl, const char *msg, char *buf, size_t cap)
{
	struct stderr_capture c;

	stderr_capture_begin(&c);
	log_msg(lvl, "%s", msg);
	return stderr_capture_end(&c, buf, cap);
}

static int count_char(const char *s, char c)
{
	int n = 0;

	for (; *s; s++)
		n += *s == c;
	return n;
}

int main(void)
{
	static char buf[8192], long_msg[3001];
	const char *p;
	size_t n;

	log_set_level(LOG_LVL_INFO);
	n = logged(LOG_LVL_INFO, "hello 42", buf, sizeof(buf));
	/* 2026-12-04T04:22:13.627Z aod info: hello 42\n */
	CHECK(n == 24 + strlen(" aod info: hello 42\n"));
	CHECK(buf[10] == 'T' && buf[23] == 'Z');
	CHECK(!strcmp(buf + 24, " aod info: hello 42\n"));

	CHECK(logged(LOG_LVL_DEBUG, "not shown", buf, sizeof(buf)) == 0);	/* below the level */

	/* longer than one buffered line: written in pieces, still whole and ended once */
	memset(long_msg, 'x', sizeof(long_msg) - 1);
	long_msg[sizeof(long_msg) - 1] = '\0';
	n = logged(LOG_LVL_WARN, long_msg, buf, sizeof(buf));
	p = strstr(buf, " aod warn: ");
	CHECK(p != NULL);
	CHECK(p && !strncmp(p + 11, long_msg, sizeof(long_msg) - 1));
	CHECK(n == 24 + 11 + sizeof(long_msg) - 1 + 1);
	CHECK(count_char(buf, '\n') == 1 && buf[n - 1] == '\n');

	/* exactly at the edge of the line buffer */
	long_msg[LOG_LINE_MAX - 24 - 11 - 1] = '\0';
	n = logged(LOG_LVL_INFO, long_msg, buf, sizeof(buf));
	CHECK(n == LOG_LINE_MAX && buf[n - 1] == '\n' && count_char(buf, '\n') == 1);
	long_msg[LOG_LINE_MAX - 24 - 11 - 1] = 'x';
	long_msg[LOG_LINE_MAX - 24 - 11 - 2] = '\0';
	n = logged(LOG_LVL_INFO, long_msg, buf, sizeof(buf));
	CHECK(n == LOG_LINE_MAX - 1 && buf[n - 1] == '\n' && count_char(buf, '\n') == 1);
	return CHECK_DONE();
}

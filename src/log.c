// SPDX-License-Identifier: GPL-2.0-only
/* Levelled log to stderr with timestamps; alerts also go to syslog. */
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>

static enum log_level level = LOG_LVL_INFO;
static int to_syslog;
static const char *const names[] = { "error", "warn", "info", "debug" };

static enum log_level parse_level(const char *s)
{
	if (!s || !*s)
		return LOG_LVL_INFO;
	if (s[0] >= '0' && s[0] <= '3' && !s[1])
		return (enum log_level)(s[0] - '0');
	if (!strcasecmp(s, "warning") || !strcasecmp(s, "warn"))
		return LOG_LVL_WARN;
	if (!strcasecmp(s, "error") || !strcasecmp(s, "critical"))
		return LOG_LVL_ERROR;
	if (!strcasecmp(s, "debug"))
		return LOG_LVL_DEBUG;
	return LOG_LVL_INFO;
}

void log_level_from_env(void) { level = parse_level(getenv("AOD_LOG_LEVEL")); }

void log_init(const char *ident, int facility)
{
	log_level_from_env();
	openlog(ident, LOG_PID | LOG_NDELAY, facility);
}
void log_set_level(enum log_level lvl) { level = lvl; }
enum log_level log_get_level(void) { return level; }
void log_use_syslog(int on) { to_syslog = on; }

#define LOG_LINE_MAX 1024	/* a longer line is written in pieces, still under the lock */

/*
 * format(printf, 2, 0) lets -Wformat check the callers that hand their va_list on. A line goes out
 * in one write: stderr is unbuffered, and three writes a line were 45 syscalls of every start, and
 * could interleave with another writer of the same log file (a supervisor, a second aod).
 */
static void __attribute__((format(printf, 2, 0))) emit(const char *tag, const char *fmt, va_list ap)
{
	struct timespec ts;
	struct tm tm;
	char when[32], line[LOG_LINE_MAX];
	va_list again;
	int n, m;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	n = snprintf(line, sizeof(line), "%s.%03ldZ aod %s: ", when, ts.tv_nsec / 1000000, tag);
	va_copy(again, ap);
	m = vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, again);
	va_end(again);
	flockfile(stderr);	/* one line at a time when the health loaders log side by side */
	if (m >= 0 && (size_t)n + (size_t)m + 1 < sizeof(line)) {
		line[n + m] = '\n';
		fwrite(line, 1, (size_t)(n + m + 1), stderr);
	} else {
		fwrite(line, 1, (size_t)n, stderr);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
	}
	funlockfile(stderr);
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
	va_list ap;

	if (lvl > level)
		return;
	va_start(ap, fmt);
	emit(names[lvl], fmt, ap);
	va_end(ap);
	if (to_syslog && lvl <= LOG_LVL_WARN) {
		va_start(ap, fmt);
		vsyslog(prio[lvl], fmt, ap);
		va_end(ap);
	}
}

void log_alert(int priority, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit(priority <= LOG_ALERT ? "ALERT" : "warn", fmt, ap);
	va_end(ap);
	va_start(ap, fmt);
	vsyslog(priority, fmt, ap);
	va_end(ap);
}

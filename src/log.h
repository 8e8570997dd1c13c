/* SPDX-License-Identifier: GPL-2.0-only */
/* The levelled stderr log and the syslog alert channel. */
#ifndef AOD_LOG_H
#define AOD_LOG_H

#include <stdarg.h>

enum log_level { LOG_LVL_ERROR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

/* Level from AOD_LOG_LEVEL (error|warn|warning|info|debug, any case, or 0-3); default info. */
void log_init(const char *ident, int syslog_facility);
/* AOD_LOG_LEVEL for the commands that do not log_init (no syslog connection). */
void log_level_from_env(void);
void log_set_level(enum log_level lvl);
enum log_level log_get_level(void);
/* Also send to syslog (the daemon turns this on). */
void log_use_syslog(int on);

void log_msg(enum log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Syslog at an explicit priority (LOG_ALERT for anomalies), echoed to stderr. */
void log_alert(int priority, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_LVL_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LVL_DEBUG, __VA_ARGS__)

#endif /* AOD_LOG_H */

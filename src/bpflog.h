/* SPDX-License-Identifier: GPL-2.0-only */
/* Base layer: the one libbpf print callback, routed through log.h. */
#ifndef AOD_BPFLOG_H
#define AOD_BPFLOG_H

#include <stdarg.h>

#include <bpf/libbpf.h>

/* libbpf narrates every refused fallback: its warnings and infos go to log_debug as
 * "libbpf: ..." lines only at AOD_LOG_LEVEL=debug (its own debug level never). The first
 * warning since bpflog_mark() is kept so a caller can name why a load failed in one line. */
int bpflog_print(enum libbpf_print_level lvl, const char *fmt, va_list ap);
/* Install bpflog_print; returns the callback it replaced. */
libbpf_print_fn_t bpflog_install(void);
/* Forget the kept warning; the next one libbpf prints is kept. */
void bpflog_mark(void);
/* The first warning since bpflog_mark(), one line, or "" if none. */
const char *bpflog_first_warning(void);

#endif /* AOD_BPFLOG_H */

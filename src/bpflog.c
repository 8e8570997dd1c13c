// SPDX-License-Identifier: GPL-2.0-only
/* Base layer: the one libbpf print callback, routed through log.h. */
#include "bpflog.h"

#include <stdio.h>
#include <string.h>

#include "log.h"

static char first_warning[512];

int bpflog_print(enum libbpf_print_level lvl, const char *fmt, va_list ap)
{
	char line[512];

	vsnprintf(line, sizeof(line), fmt, ap);
	line[strcspn(line, "\n")] = '\0';
	/* The first warning of a load names the program that failed, not the summary after it. */
	if (lvl <= LIBBPF_WARN && !first_warning[0])
		snprintf(first_warning, sizeof(first_warning), "%s", line);
	/* most of libbpf's lines carry its own "libbpf: " already */
	if (lvl != LIBBPF_DEBUG)
		log_debug("%s%s", strncmp(line, "libbpf: ", 8) ? "libbpf: " : "", line);
	return 0;
}

libbpf_print_fn_t bpflog_install(void)
{
	return libbpf_set_print(bpflog_print);
}

void bpflog_mark(void)
{
	first_warning[0] = '\0';
}

const char *bpflog_first_warning(void)
{
	return first_warning;
}

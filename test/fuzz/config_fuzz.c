// SPDX-License-Identifier: GPL-2.0-only
/* libFuzzer target: config_load_buffer on arbitrary bytes, then what check-config does with a config that loads. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "collect.h"
#include "config.h"

static struct cfg_config cfg;	/* large: keep it off the stack */
static FILE *sink;		/* diagnostics are formatted (that is code under test) but not kept */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	sink = fopen("/dev/null", "w");
	if (!sink)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (config_load_buffer(&cfg, "fuzz.yaml", (const char *)data, size, sink) == 0) {
		config_check_arena(&cfg, collect_arena_need(&cfg), sink);
		config_print(&cfg, sink);
	}
	return 0;
}

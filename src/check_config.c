// SPDX-License-Identifier: GPL-2.0-only
/* aod check-config: load a config the way run does, size its arena, print what it means. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "capture.h"
#include "cmds.h"
#include "collect.h"
#include "config.h"

static const char check_usage[] = "usage: aod check-config [-c FILE]\n";

int config_check_main(int argc, char **argv)
{
	/* static: the config is large, and check-config may run with a small stack */
	static struct cfg_config cfg;
	const char *path = NULL;
	int err;

	for (int i = 1; i < argc; i++) {
		if ((!strcmp(argv[i], "-c") || !strcmp(argv[i], "--config")) && i + 1 < argc) {
			path = argv[++i];
		} else if (!strncmp(argv[i], "--config=", 9)) {
			path = argv[i] + 9;
		} else if (!strncmp(argv[i], "-c", 2) && argv[i][2]) {
			path = argv[i] + 2;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			fputs(check_usage, stdout);
			return 0;
		} else {
			fprintf(stderr, "aod: check-config: unexpected argument '%s'\n%s", argv[i], check_usage);
			return 2;
		}
	}
	err = config_load_default_chain(&cfg, path, stderr);
	/* run would fail later with a bare "Out of memory" from collect_init; say which key to raise now */
	if (!err)
		err = config_check_arena(&cfg, collect_arena_need(&cfg) + capture_arena_need(&cfg), stderr);
	if (err) {
		if (err == -EINVAL)
			fprintf(stderr, "aod: config %s is not valid\n", cfg.path[0] ? cfg.path : path);
		return 1;
	}
	config_print(&cfg, stdout);
	capture_print(&cfg, stdout);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0-only
/* Command-line entry: the usage text and the dispatch to each command's module. */
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <yaml.h>
#include <zstd.h>
#ifdef AOD_HOST_BUILD
#include <gnu/libc-version.h>
#endif

#include "version.h"
#include "cmds.h"
#include "dirlist.h"

/* One string; `aod help CMD` prints the paragraph that starts with "  aod CMD". */
static const char usage[] =
"usage: aod COMMAND [OPTIONS]\n"
"\n"
"aod watches this host with eBPF and writes a bundle of evidence when SMB commands\n"
"of the kernel SMB client, or the kernel's health signals, go wrong.\n"
"\n"
"  aod run [-c FILE] [--record FILE] [--smb-attach auto|tracepoint|fentry|kprobe]\n"
"          [--nfs-attach auto|tracepoint|fentry|kprobe]\n"
"      The daemon. Stays in the foreground, logs to stderr and syslog. Config: -c,\n"
"      then $AOD_CONFIG, then /etc/aod/aod.yaml, then the embedded default.\n"
"      --record FILE also writes every decoded event to FILE (see aod replay).\n"
"      Signals: TERM/INT write a shutdown bundle and exit, USR1 writes a snapshot\n"
"      bundle, HUP reloads the config (a bad one is reported, the old one stays),\n"
"      USR2 releases the cifs/sunrpc modules so rmmod works (re-attached when they\n"
"      load again, or on HUP).\n"
"      Log level: AOD_LOG_LEVEL=error|warning|info|debug.\n"
"      Captures (tcpdump/trace-cmd under an anomaly's actions) run beside it and are\n"
"      cut into aod_capture_* bundles; AOD_TCPDUMP_BIN, AOD_TRACECMD_BIN name the tools.\n"
"      Without tcpdump, or with capture.packets, a built-in packet ring writes a pcap.\n"
"\n"
"  aod check-config [-c FILE]\n"
"      Validate the config. Prints the effective thresholds, rules, actions and\n"
"      limits, or file:line:col: message lines and exits non-zero.\n"
"\n"
"  aod probes\n"
"      Report what this kernel offers: BTF, tracefs, and for each probe family the\n"
"      attach method aod would use or the reason it cannot run. Probes for real.\n"
"\n"
"  aod monitor [--duration S] [--sched-warn US] [--bio-warn US] [--vfs-warn US]\n"
"              [--no-histogram] [-q] [--pid N] [--families LIST]\n"
"      The health monitor view: live lines, then log2 histograms and a summary.\n"
"      Critical is ten times warn. --families picks some of sched, block, vfs,\n"
"      oom, tcp, drops, faults (default all) and io (failed VFS operations, only\n"
"      when named). Naming vfs or io allows their syscall-level hooks. Each family\n"
"      attaches with the first method the kernel accepts (aod probes shows the\n"
"      choice); for the daemon too, AOD_HEALTH_AVOID=METHOD[,METHOD] skips methods\n"
"      by the names shown, and AOD_NO_LIGHT_LOAD=1 uses libbpf's own load instead\n"
"      of the kernel-run loader.\n"
"\n"
"  aod trace CAP[,CAP...] [--duration S] [--pid N] [--comm NAME] [--path PREFIX]\n"
"            [-o FILE] [--save]\n"
"      An on-demand trace as JSON lines. CAP: syscall, network, process, file,\n"
"      perf, security (or syscall_trace, network_trace, process_trace,\n"
"      file_trace, performance, security_event). Default duration 15 s.\n"
"\n"
"  aod replay FILE [-c FILE] [--output-dir DIR] [--repeat N] [--serve SECS]\n"
"      Feed a stream recorded with `aod run --record` through detection and\n"
"      collection, write the bundles it triggers, and exit. --repeat plays it\n"
"      N times as one continuing timeline (benchmarks, soak tests). Without\n"
"      --output-dir the bundles go to a new directory ${TMPDIR:-/tmp}/aod-replay-XXXXXX\n"
"      (its name is printed), never to the daemon's aod_output_dir.\n"
"      --serve SECS then answers the config's metrics.listen for SECS (TERM/INT end it),\n"
"      with the replayed SMB records in the per-command latency histograms.\n"
"\n"
"  aod status [--json] [-f FILE]\n"
"      What the running daemon reports in its status file (status_file in the\n"
"      config; default /run/aod/status.json, or $AOD_STATUS_FILE): pid, uptime,\n"
"      config, each probe family's method, events and losses, anomalies, bundles,\n"
"      upload backlog, bundle directory use. --json prints the file itself.\n"
"      Exit 0: the daemon is live; 1: the file is stale (its pid is gone, or it\n"
"      is older than three watch intervals plus 2 s); 3: no file, no daemon.\n"
"\n"
"  aod upload-copy FILE DIR\n"
"      Copy FILE into DIR as DIR/NAME.part, fsync, rename to DIR/NAME. The daemon\n"
"      runs it as a child for upload: {dir: PATH}, so a hung share never blocks it.\n"
"\n"
"  aod version\n"
"      Print the versions of aod and of the libraries it was built with.\n"
"\n"
"  aod help [COMMAND]\n"
"      This text, or the part about COMMAND.\n";

static int help_main(int argc, char **argv)
{
	char key[64];
	const char *p, *end;

	if (argc < 2) {
		fputs(usage, stdout);
		return 0;
	}
	snprintf(key, sizeof(key), "\n  aod %s", argv[1]);
	p = strstr(usage, key);
	if (!p || (p[strlen(key)] != ' ' && p[strlen(key)] != '\n')) {
		fprintf(stderr, "aod: no help for '%s'; commands: run check-config probes monitor trace replay status upload-copy version help\n",
			argv[1]);
		return 2;
	}
	end = strstr(p + 1, "\n\n");
	printf("%.*s\n", (int)(end ? end - p - 1 : (long)strlen(p + 1)), p + 1);
	return 0;
}

/* The architecture this binary runs on, as uname -m names it (the release tarballs use the same name). */
#if defined(__x86_64__)
#define AOD_ARCH "x86_64"
#elif defined(__aarch64__)
#define AOD_ARCH "aarch64"
#else
#error "aod is built for x86_64 and aarch64; add this architecture's syscall table (src/trace_json.c) first"
#endif

static int version_main(int argc, char **argv)
{
	const char *libc;
#ifdef AOD_HOST_BUILD
	static char glibc[32];

	snprintf(glibc, sizeof(glibc), "glibc %s (dynamic, host build)", gnu_get_libc_version());
	libc = glibc;
#else
	libc = AOD_LIBC_STATIC " (static)";
#endif
	printf("aod %s\n", AOD_VERSION);
	printf("arch %s\n", AOD_ARCH);
#ifdef AOD_HOST_BUILD
	printf("libbpf %s\n", libbpf_version_string());
#else
	/* libbpf reports only major.minor; the pinned source says which release it was built from. */
	printf("libbpf %s (Debian source %s)\n", libbpf_version_string(), AOD_PIN_LIBBPF);
#endif
	printf("libzstd %s\n", ZSTD_versionString());
	printf("libyaml %s\n", yaml_get_version_string());
	/* libelf has no run-time version call; this is the pinned source it was built from. */
	printf("libelf elfutils %s\n", AOD_PIN_ELFUTILS);
	printf("libc %s\n", libc);
	return 0;
}

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} cmds[] = {
	{ "run", daemon_run_main },
	{ "replay", replay_main },
	{ "status", status_main },
	{ "upload-copy", upload_copy_main },
	{ "check-config", config_check_main },
	{ "probes", probe_main },
	{ "monitor", monitor_main },
	{ "trace", trace_main },
	{ "version", version_main },
	{ "help", help_main },
};

/*
 * A supervisor may start aod with 0, 1 or 2 closed. The next file opened would take that
 * number, and then a log line goes into a bundle file, or a BPF map handed over as fd 0 looks
 * like none (the kernel-run loader reports "not created" as 0). /dev/null holds the slots.
 */
static void hold_std_fds(void)
{
	for (int fd = 0; fd < 3; fd++)
		if (fcntl(fd, F_GETFD) < 0 && errno == EBADF && open("/dev/null", O_RDWR) < 0)
			return;
}

#ifndef __NR_close_range
#define __NR_close_range 436	/* Linux 5.9; the same number on every architecture */
#endif

/*
 * A supervisor may also leave thousands of fds open. aod's select() loop can only watch
 * fds below FD_SETSIZE, so its own (signalfd, timers, ring buffers, child pipes) must
 * get low numbers: nothing inherited above 2 is aod's, close it all before opening any.
 */
static int close_listed_fd(void *ctx, int dfd, const char *name, unsigned char type)
{
	int fd = atoi(name);

	(void)ctx;
	(void)type;
	if (fd > 2 && fd != dfd)
		close(fd);
	return 0;
}

static void close_inherited_fds(void)
{
	uint64_t buf[512];
	struct rlimit rl;
	int fd, dfd;

	if (syscall(__NR_close_range, 3u, ~0u, 0u) == 0)
		return;
	/* Before 5.9 or under a seccomp filter: /proc names the open ones. */
	dfd = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		dirlist_each(dfd, buf, sizeof(buf), close_listed_fd, NULL);
		close(dfd);
		return;
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > (1u << 20))
		rl.rlim_cur = 1u << 20;
	for (fd = 3; fd < (int)rl.rlim_cur; fd++)
		close(fd);
}

int main(int argc, char **argv)
{
	size_t i;

	hold_std_fds();
	close_inherited_fds();
	if (argc < 2) {
		fputs(usage, stderr);
		return 2;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))
		return help_main(1, argv);
	if (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version"))
		return version_main(1, argv);
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "aod: unknown command '%s'; try 'aod help'\n", argv[1]);
	return 2;
}

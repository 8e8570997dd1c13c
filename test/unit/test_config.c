// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for config.c: both AODv2 layouts, modes and threshold tables, every error with its position. */
#include "../../src/config_yaml.c"
#include "../../src/arena.c"
#include "../../src/config.c"
#include "../../src/io.c"
#include "../../src/config_print.c"
#include "../../src/family.c"
#include "../../src/text.c"
#include "../../src/names.c"
#include "config_default.c"	/* build/gen, generated from config/aod.yaml by build.sh */

#include <libgen.h>

#include "check.h"

#define M(o) ((uint32_t)(o).w[0])	/* the first 32 ops of a set: every SMB2 command */

static struct cfg_config cfg;	/* large: keep it off the stack */
static char *diag;		/* what the last load printed */
static int lines;		/* how many lines it printed */

static int load(const char *yaml)
{
	size_t len = 0;
	FILE *f;
	int rc;

	free(diag);
	f = open_memstream(&diag, &len);
	rc = config_load_buffer(&cfg, "t.yaml", yaml, strlen(yaml), f);
	fclose(f);
	lines = 0;
	for (const char *p = diag; *p; p++)
		lines += *p == '\n';
	if (getenv("TEST_VERBOSE"))
		fprintf(stderr, "--- rc %d\n%s", rc, diag);
	return rc;
}

static bool has(const char *s)
{
	bool ok = diag && strstr(diag, s);

	if (!ok)
		fprintf(stderr, "expected in diagnostics: %s\n--- got:\n%s---\n", s, diag ? diag : "");
	return ok;
}

/* The fixture directory, found from the source file's own path so any working directory works. */
static const char *fixture(const char *name)
{
	static char path[PATH_MAX];
	char src[PATH_MAX];

	snprintf(path, sizeof(path), "test/fixtures/config/%s", name);
	if (access(path, R_OK) == 0)
		return path;
	snprintf(src, sizeof(src), "%s", __FILE__);
	snprintf(path, sizeof(path), "%s/../fixtures/config/%s", dirname(src), name);
	return path;
}

static int load_fixture(const char *name)
{
	size_t len = 0;
	FILE *f;
	int rc;

	free(diag);
	f = open_memstream(&diag, &len);
	rc = config_load_file(&cfg, fixture(name), f);
	fclose(f);
	lines = 0;
	for (const char *p = diag; *p; p++)
		lines += *p == '\n';
	return rc;
}

static const struct cfg_anomaly *find(const char *proto, const char *name)
{
	for (int i = 0; i < cfg.nanomalies; i++)
		if (!strcmp(cfg.anomalies[i].proto, proto) && !strcmp(cfg.anomalies[i].name, name))
			return &cfg.anomalies[i];
	return NULL;
}

static bool acts(const struct cfg_anomaly *a, const char *const *want, int n)
{
	if (!a || a->nactions != n)
		return false;
	for (int i = 0; i < n; i++)
		if (strcmp(cfg.actions[a->actions[i]].name, want[i]))
			return false;
	return true;
}

#define MS(x) ((uint64_t)(x) * 1000000ull)
#define BIT(c) (1u << (c))
#define ALL ((1u << 20) - 1)

static void test_embedded_default(void)
{
	const struct cfg_anomaly *lat, *err;

	CHECK(config_load_buffer(&cfg, "<embedded>", config_default_yaml, config_default_yaml_len, stderr) == 0);
	CHECK(load(config_default_yaml) == 0);
	CHECK(lines == 0);		/* not even a warning */
	CHECK(cfg.watch_interval_sec == 1 && cfg.watch_interval_ms == 1000);
	CHECK(!strcmp(cfg.output_dir, "/var/log/aod"));
	CHECK(cfg.cleanup_interval_sec == 60 && cfg.max_log_age_days == 2 && cfg.max_log_age_sec == 172800);
	CHECK(cfg.max_total_log_bytes == 100ull << 20);
	CHECK(cfg.max_concurrent_bundles == 4 && cfg.arena_kb == 5120 && cfg.syslog_facility == LOG_DAEMON);
	CHECK(cfg.history_seconds == 30);
	CHECK(cfg.metrics_listen[0] == 0 && cfg.metrics_textfile[0] == 0);
	lat = find("smb", "latency");
	err = find("smb", "error");
	CHECK(lat && lat->type == CFG_LATENCY && lat->acceptable_count == 10);
	CHECK(lat && lat->threshold_ns[9] == MS(50) && lat->threshold_ns[8] == MS(50) && lat->threshold_ns[5] == MS(10));
	CHECK(lat && !(M(lat->ops) & BIT(15)) && (M(lat->ops) & BIT(0)));
	CHECK(err && err->type == CFG_ERROR && err->nrules >= 3);
	CHECK(find("health", "oom_kill") && find("health", "sched_latency") && find("health", "kmsg"));
	CHECK(find("health", "bio_latency") && find("health", "bio_latency")->threshold == 100000);
	CHECK(!strcmp(cfg.path, "t.yaml"));
}

static void test_guardian_layout(void)
{
	static const char *const lat_actions[] = { "dmesg", "journalctl", "debugdata", "stats", "mounts", "smbinfo",
						   "syslogs" };
	const struct cfg_anomaly *lat, *err;

	CHECK(load_fixture("aodv2_guardian.yaml") == 0);
	CHECK(diag && !*diag);
	lat = find("smb", "latency");
	err = find("smb", "error");
	CHECK(lat && err);
	if (!lat || !err)
		return;
	CHECK(lat->type == CFG_LATENCY && !strcmp(lat->tool, "smbslower") && !strcmp(lat->mode, "all"));
	CHECK(lat->acceptable_count == 10);
	CHECK(M(lat->ops) == (ALL & ~BIT(13) & ~BIT(7)));	/* ECHO and FLUSH excluded */
	CHECK(lat->threshold_ns[5] == MS(20));			/* CREATE listed without threshold: default */
	CHECK(lat->threshold_ns[9] == MS(50) && lat->threshold_ns[8] == MS(30));
	CHECK(lat->threshold_ns[0] == MS(20) && lat->threshold_ns[13] == 0 && lat->threshold_ns[7] == 0);
	CHECK(acts(lat, lat_actions, 7));
	CHECK(err->type == CFG_ERROR && err->nrules == 1 && !strcmp(err->rules[0].name, "error"));
	CHECK(err->rules[0].acceptable_count == 10 && M(err->rules[0].ops) == ALL);
	CHECK(err->rules[0].ncodes == 3 && err->rules[0].codes[0].space == NAMES_CODE_ERRNO && err->rules[0].codes[0].value == EACCES);
	CHECK(err->rules[0].codes[1].value == EAGAIN && err->rules[0].codes[2].value == EIO);
	CHECK(cfg.nwatcher_actions == 7);
	CHECK(cfg.max_total_log_bytes == 524288);		/* 0.5 MB */
	CHECK(cfg.max_log_age_sec == 21600 && cfg.max_log_age_days == 1);
	CHECK(cfg.audit);
}

static void test_upstream_layout(void)
{
	const struct cfg_anomaly *lat, *err;

	CHECK(load_fixture("aodv2_upstream.yaml") == 0);
	CHECK(diag && !*diag);
	lat = find("smb", "latency");
	err = find("smb", "error");
	CHECK(lat && err);
	if (!lat || !err)
		return;
	CHECK(M(lat->ops) == (BIT(8) | BIT(9) | BIT(5) | BIT(16)));
	CHECK(lat->threshold_ns[8] == MS(25) && lat->threshold_ns[9] == MS(40) && lat->threshold_ns[5] == MS(10));
	CHECK(lat->threshold_ns[16] == 15500000ull);		/* 15.5 ms */
	CHECK(lat->nactions == 7);
	CHECK(err->nrules == 3);
	CHECK(!strcmp(err->rules[0].name, "permission") && err->rules[0].acceptable_count == 3);
	CHECK(M(err->rules[0].ops) == (BIT(5) | BIT(17)));
	CHECK(err->rules[0].ncodes == 2 && err->rules[0].codes[0].space == NAMES_CODE_NTSTATUS && err->rules[0].codes[0].value == 0xC0000022);
	CHECK(err->rules[0].codes[1].space == NAMES_CODE_ERRNO && err->rules[0].codes[1].value == EACCES);
	CHECK(M(err->rules[1].ops) == ALL && err->rules[1].ncodes == 2 && err->rules[1].codes[0].value == 0xC00000B5);
	CHECK(err->rules[2].acceptable_count == 50 && err->rules[2].ncodes == 3);
	CHECK(err->nactions == 3 && !cfg.audit && cfg.cleanup_interval_sec == 30);

	CHECK(load_fixture("aodv2_upstream_flat.yaml") == 0);
	lat = find("smb", "latency");
	err = find("smb", "error");
	CHECK(lat && err);
	if (!lat || !err)
		return;
	CHECK(!strcmp(lat->mode, "excludeonly") && M(lat->ops) == (ALL & ~BIT(13) & ~BIT(15) & ~BIT(10)));
	CHECK(lat->threshold_ns[9] == MS(15) && lat->threshold_ns[13] == 0);
	CHECK(err->nrules == 1 && !strcmp(err->rules[0].name, "error") && err->rules[0].acceptable_count == 4);
	CHECK(M(err->rules[0].ops) == (BIT(8) | BIT(9)) && err->rules[0].ncodes == 3);
	CHECK(cfg.watch_interval_sec == 2 && !strcmp(cfg.output_dir, "/srv/aod"));
}

static void test_aod_sections(void)
{
	const struct cfg_anomaly *a;
	int i;

	CHECK(load_fixture("aod_full.yaml") == 0);
	CHECK(diag && !*diag);
	CHECK(cfg.watch_interval_ms == 500 && cfg.watch_interval_sec == 1);
	CHECK(cfg.max_concurrent_bundles == 2 && cfg.manifest_events == 8 && cfg.arena_kb == 8192);
	CHECK(!strcmp(cfg.metrics_listen, "127.0.0.1:9464"));
	CHECK(!strcmp(cfg.metrics_textfile, "/var/lib/node_exporter/aod.prom"));
	CHECK(cfg.syslog_facility == LOG_LOCAL3 && !strcmp(cfg.smb_attach, "tracepoint"));
	CHECK(cfg.max_total_log_bytes == 262144 && cfg.max_log_age_sec == 43200);
	i = config_find_action(&cfg, "slabinfo");
	CHECK(i >= 0 && !cfg.actions[i].builtin && cfg.actions[i].kind == CFG_ACT_FILE);
	CHECK(i >= 0 && cfg.actions[i].max_bytes == 65536 && !strcmp(cfg.actions[i].path, "/proc/slabinfo"));
	i = config_find_action(&cfg, "nfsstat");
	CHECK(i >= 0 && cfg.actions[i].kind == CFG_ACT_EXEC && cfg.actions[i].argc == 2);
	CHECK(i >= 0 && !strcmp(cfg.actions[i].argv[1], "-c") && cfg.actions[i].timeout_ms == 5000);
	i = config_find_action(&cfg, "kernlog");
	CHECK(i >= 0 && cfg.actions[i].kind == CFG_ACT_TAIL && cfg.actions[i].lines == 200);
	i = config_find_action(&cfg, "recent_kmsg");
	CHECK(i >= 0 && cfg.actions[i].kind == CFG_ACT_KMSG && cfg.actions[i].seconds == 30);
	a = find("health", "sched_latency");
	CHECK(a && a->type == CFG_HEALTH && a->health == CFG_H_SCHED && a->threshold == 5000 &&
	      a->acceptable_count == 7 && !strcmp(a->proto, "health"));
	a = find("health", "oom_kill");		/* given empty: default actions */
	CHECK(a && a->health == CFG_H_OOM && a->nactions == 5);
	a = find("health", "kmsg");
	CHECK(a && a->nactions == 2 && cfg.nkmsg_patterns == 2 && !strcmp(cfg.kmsg_patterns[1], "EXT4-fs error"));
	CHECK(find("health", "bio_latency") == NULL);		/* not listed: off */
}

static void test_builtin_actions(void)
{
	static const char *const names[] = { "dmesg", "journalctl", "debugdata", "stats", "mounts", "smbinfo",
					     "syslogs", "meminfo", "vmstat", "pressure", "diskstats", "netstat",
					     "loadavg", "interrupts", "ps", "cgroup", "tcp_conns", "nfs_mountstats",
					     "nfs_rpcstats", "nfs_servers" };
	int i;

	CHECK(load("{}") == 0);
	CHECK(cfg.nanomalies == 0);
	for (size_t k = 0; k < ARRAY_SIZE(names); k++) {
		i = config_find_action(&cfg, names[k]);
		CHECK(i == (int)k && cfg.actions[i].builtin && cfg.actions[i].max_bytes == 4u << 20);
	}
	CHECK(config_find_action(&cfg, "nope") == -ENOENT);
	i = config_find_action(&cfg, "dmesg");
	CHECK(cfg.actions[i].kind == CFG_ACT_KMSG && cfg.actions[i].seconds == 0);
	i = config_find_action(&cfg, "journalctl");
	CHECK(cfg.actions[i].kind == CFG_ACT_EXEC && cfg.actions[i].timeout_ms == 10000 &&
	      !strcmp(cfg.actions[i].argv[0], "journalctl") && !strcmp(cfg.actions[i].argv[2], "--since") &&
	      strstr(cfg.actions[i].argv[3], "{interval}"));
	i = config_find_action(&cfg, "debugdata");
	CHECK(cfg.actions[i].kind == CFG_ACT_FILE && !strcmp(cfg.actions[i].path, "/proc/fs/cifs/DebugData"));
	i = config_find_action(&cfg, "syslogs");
	CHECK(cfg.actions[i].kind == CFG_ACT_TAIL && cfg.actions[i].lines == 1000 &&
	      !strcmp(cfg.actions[i].path, "/var/log/syslog:/var/log/messages"));
	i = config_find_action(&cfg, "netstat");
	CHECK(!strcmp(cfg.actions[i].path, "/proc/net/snmp:/proc/net/netstat"));
	CHECK(cfg.actions[config_find_action(&cfg, "ps")].kind == CFG_ACT_PS);
	CHECK(cfg.actions[config_find_action(&cfg, "cgroup")].kind == CFG_ACT_CGROUP);
	CHECK(cfg.actions[config_find_action(&cfg, "tcp_conns")].kind == CFG_ACT_TCPINFO);
	CHECK(!strcmp(cfg.actions[config_find_action(&cfg, "nfs_mountstats")].path, "/proc/self/mountstats"));
	CHECK(!strcmp(cfg.actions[config_find_action(&cfg, "nfs_rpcstats")].path, "/proc/net/rpc/nfs"));
	CHECK(!strcmp(cfg.actions[config_find_action(&cfg, "nfs_servers")].path,
		      "/proc/fs/nfsfs/servers:/proc/fs/nfsfs/volumes"));
	/* an empty file is a valid config: all defaults */
	CHECK(load("") == 0 && cfg.nactions == (int)ARRAY_SIZE(names) && cfg.watch_interval_sec == 1);
	CHECK(load("# only a comment\n") == 0);
}

static void test_modes(void)
{
	const struct cfg_anomaly *a;

	/* all: default everywhere, overrides, exclusions */
	CHECK(load("anomalies:\n  smb:\n    latency:\n      acceptable_count: 3\n      default_threshold_ms: 7\n"
		   "      track_commands: [{command: SMB2_WRITE, threshold: 100}, read]\n"
		   "      exclude_commands: [SMB2_ECHO]\n      actions: [dmesg]\n") == 0);
	a = find("smb", "latency");
	CHECK(a && M(a->ops) == (ALL & ~BIT(13)) && a->threshold_ns[9] == MS(100) && a->threshold_ns[8] == MS(7));
	CHECK(a && a->threshold_ns[0] == MS(7) && a->threshold_ns[19] == MS(7) && a->threshold_ns[13] == 0);
	CHECK(lines == 0);
	/* no mode: all, default threshold 10 ms */
	CHECK(load("anomalies:\n  smb:\n    latency:\n      acceptable_count: 1\n      actions: [dmesg]\n") == 0);
	a = find("smb", "latency");
	CHECK(a && M(a->ops) == ALL && a->threshold_ns[4] == MS(10) && !strcmp(a->mode, "all"));
	/* trackonly: only the listed */
	CHECK(load("anomalies:\n  smb:\n    latency:\n      mode: TrackOnly\n      acceptable_count: 1\n"
		   "      track_commands:\n        - command: SMB2_CREATE\n          threshold: 0.25\n"
		   "        - SMB2_CLOSE\n      actions: [dmesg]\n") == 0);
	a = find("smb", "latency");
	CHECK(a && M(a->ops) == (BIT(5) | BIT(6)) && a->threshold_ns[5] == 250000 && a->threshold_ns[6] == MS(10));
	CHECK(a && a->threshold_ns[9] == 0 && !strcmp(a->mode, "trackonly"));
	/* excludeonly: all at default except excluded; track_commands ignored with a warning */
	CHECK(load("anomalies:\n  smb:\n    latency:\n      mode: excludeonly\n      acceptable_count: 1\n"
		   "      default_threshold_ms: 30\n      track_commands: [{command: SMB2_READ, threshold: 1}]\n"
		   "      exclude_commands: [SMB2_LOCK, SMB2_CHANGE_NOTIFY]\n      actions: [dmesg]\n") == 0);
	a = find("smb", "latency");
	CHECK(a && M(a->ops) == (ALL & ~BIT(10) & ~BIT(15)) && a->threshold_ns[8] == MS(30));
	CHECK(has("t.yaml:7:7: warning: anomalies.smb.latency.track_commands is ignored in mode 'excludeonly'"));
	/* trackonly with exclude_commands: warning, still loads */
	CHECK(load_fixture("warn_ignored.yaml") == 0);
	CHECK(has(":7:7: warning: anomalies.smb.latency.exclude_commands is ignored in mode 'trackonly'"));
	a = find("smb", "latency");
	CHECK(a && M(a->ops) == BIT(8));
	/* guardian error modes */
	CHECK(load("guardian:\n  anomalies:\n    e:\n      type: error\n      mode: excludeonly\n"
		   "      acceptable_count: 2\n      exclude_codes: [ENOENT, STATUS_OBJECT_NAME_NOT_FOUND]\n"
		   "      actions: [dmesg]\n") == 0);
	a = find("smb", "e");
	CHECK(a && a->nrules == 1 && a->rules[0].ncodes == 0 && a->rules[0].nexclude == 2);
	CHECK(a && a->rules[0].exclude[1].space == NAMES_CODE_NTSTATUS && a->rules[0].exclude[1].value == 0xC0000034);
	CHECK(load("guardian:\n  anomalies:\n    e:\n      type: ERROR\n      mode: all\n      acceptable_count: 2\n"
		   "      track_codes: [EIO]\n      actions: [dmesg]\n") == 0);
	CHECK(has("t.yaml:7:7: warning: guardian.anomalies.e.track_codes is ignored in mode 'all'"));
	CHECK(find("smb", "e") && find("smb", "e")->rules[0].ncodes == 0);
}

static void test_unknown_names(void)
{
	CHECK(load_fixture("bad_typo.yaml") == -EINVAL);
	CHECK(has(":5:7: unknown key 'acceptible_count' in anomalies.smb.latency (did you mean 'acceptable_count'?)"));
	CHECK(has(":7:20: unknown command 'SMB2_WRTIE' in anomalies.smb.latency.track_commands "
		  "(did you mean 'SMB2_WRITE'?)"));
	CHECK(has(":10:9: unknown action 'dmseg' in anomalies.smb.latency.actions (did you mean 'dmesg'?)"));
	CHECK(load("watch_intervall_sec: 1\n") == -EINVAL);
	CHECK(has("t.yaml:1:1: unknown key 'watch_intervall_sec' at the top level (did you mean 'watch_interval_sec'?)"));
	CHECK(load("cleanup:\n  foo: 1\n") == -EINVAL && has("t.yaml:2:3: unknown key 'foo' in cleanup\n"));
	CHECK(load("anomalies:\n  smb:\n    error:\n      acceptable_count: 1\n      track_errors: [EACESS, "
		   "STATUS_IO_TIMEOUTS, BOGUS_THING]\n") == -EINVAL);
	CHECK(has("t.yaml:5:22: unknown error code 'EACESS' in anomalies.smb.error.track_errors (did you mean 'EACCES'?)"));
	CHECK(has("t.yaml:5:30: unknown error code 'STATUS_IO_TIMEOUTS' in anomalies.smb.error.track_errors "
		  "(did you mean 'STATUS_IO_TIMEOUT'?)"));
	CHECK(has("t.yaml:5:50: unknown error code 'BOGUS_THING'"));
	CHECK(load("anomalies:\n  smb:\n    latancy: {}\n") == -EINVAL);
	CHECK(has("t.yaml:3:5: unknown key 'latancy' in anomalies.smb (did you mean 'latency'?)"));
	CHECK(load("anomalies:\n  smb:\n    latency:\n      mode: trakonly\n      acceptable_count: 1\n") == -EINVAL);
	CHECK(has("t.yaml:4:13: unknown mode 'trakonly' in anomalies.smb.latency.mode (did you mean 'trackonly'?)"));
	CHECK(load("syslog:\n  facility: locl3\n") == -EINVAL && has("(did you mean 'local3'?)"));
	CHECK(load("health:\n  sched_latncy: {}\n") == -EINVAL &&
	      has("t.yaml:2:3: unknown key 'sched_latncy' in health (did you mean 'sched_latency'?)"));
	CHECK(load("guardian:\n  anomalies:\n    x:\n      type: latenc\n      acceptable_count: 1\n") == -EINVAL);
	CHECK(has("t.yaml:4:13: unknown anomaly type 'latenc' in guardian.anomalies.x.type (did you mean 'latency'?)"));
}

static void test_duplicates(void)
{
	CHECK(load("cleanup:\n  cleanup_interval_sec: 1\n  cleanup_interval_sec: 2\n") == -EINVAL);
	CHECK(has("t.yaml:3:3: duplicate key 'cleanup_interval_sec' in cleanup (first at line 2)"));
	CHECK(load("anomalies:\n  smb:\n    latency:\n      acceptable_count: 1\n"
		   "      track_commands: [SMB2_READ, read]\n      exclude_commands: [ECHO, SMB2_ECHO]\n"
		   "      actions: [dmesg, stats, dmesg]\n") == -EINVAL);
	CHECK(has("t.yaml:5:35: duplicate command 'SMB2_READ' in anomalies.smb.latency.track_commands (first at line 5)"));
	CHECK(has("t.yaml:6:32: duplicate command 'SMB2_ECHO' in anomalies.smb.latency.exclude_commands"));
	CHECK(has("t.yaml:7:31: duplicate action 'dmesg' in anomalies.smb.latency.actions"));
	CHECK(load("anomalies:\n  smb:\n    error:\n      acceptable_count: 1\n"
		   "      track_errors: [EAGAIN, EWOULDBLOCK]\n") == -EINVAL);
	CHECK(has("t.yaml:5:30: duplicate error code 'EAGAIN' in anomalies.smb.error.track_errors"));
	CHECK(load("anomalies:\n  smb:\n    error:\n      rules:\n        - {name: a, acceptable_count: 1}\n"
		   "        - {name: a, acceptable_count: 2}\n") == -EINVAL);
	CHECK(has("t.yaml:6:18: duplicate rule name 'a' in anomalies.smb.error.rules"));
	CHECK(load("anomalies:\n  smb:\n    latency: {acceptable_count: 1}\n    latency: {acceptable_count: 2}\n") ==
	      -EINVAL);
	CHECK(has("t.yaml:4:5: duplicate key 'latency' in anomalies.smb (first at line 3)"));
	CHECK(cfg.nanomalies == 1);
	CHECK(load("health:\n  kmsg:\n    patterns: [a, b, a]\n") == -EINVAL && has("t.yaml:3:22: duplicate pattern 'a'"));
}

static void test_conflicts_and_values(void)
{
	CHECK(load("anomalies:\n  smb:\n    latency:\n      acceptable_count: 1\n"
		   "      track_commands: [{command: SMB2_WRITE, threshold: 5}]\n"
		   "      exclude_commands: [SMB2_WRITE]\n") == -EINVAL);
	CHECK(has("t.yaml:6:26: SMB2_WRITE is both tracked and excluded in anomalies.smb.latency"));
	CHECK(load("guardian:\n  anomalies:\n    e:\n      type: Error\n      acceptable_count: 1\n"
		   "      track_codes: [EIO]\n      exclude_codes: [EIO]\n") == -EINVAL);
	CHECK(has("t.yaml:7:23: EIO is both tracked and excluded in guardian.anomalies.e"));
	CHECK(load("anomalies:\n  smb:\n    latency:\n      acceptable_count: 1\n"
		   "      track_commands:\n        - command: SMB2_WRITE\n          threshold: -5\n"
		   "        - command: SMB2_READ\n          threshold: fast\n"
		   "      default_threshold_ms: -1\n") == -EINVAL);
	CHECK(has("t.yaml:7:22: threshold of SMB2_WRITE must not be negative, got '-5'"));
	CHECK(has("t.yaml:9:22: threshold of SMB2_READ must be a number, got 'fast'"));
	CHECK(has("t.yaml:10:29: anomalies.smb.latency.default_threshold_ms must not be negative, got '-1'"));
	CHECK(lines == 4 && has("t.yaml:3:5: warning: anomalies.smb.latency has no actions"));
	CHECK(load("anomalies:\n  smb:\n    latency:\n      acceptable_count: ten\n") == -EINVAL);
	CHECK(has("t.yaml:4:25: anomalies.smb.latency.acceptable_count must be a whole number, got 'ten'"));
	CHECK(load("anomalies:\n  smb:\n    latency:\n      acceptable_count: 0\n") == -EINVAL);
	CHECK(has("t.yaml:4:25: anomalies.smb.latency.acceptable_count must be between 1 and 1000000000, got '0'"));
	CHECK(load("anomalies:\n  smb:\n    latency:\n      mode: trackonly\n      acceptable_count: 1\n") == -EINVAL);
	CHECK(has("t.yaml:4:7: anomalies.smb.latency resolves to no SMB2 command to watch (mode 'trackonly')"));
	CHECK(load("anomalies:\n  smb:\n    latency:\n      acceptable_count: 1\n      exclude_commands: [NEGOTIATE, "
		   "SESSION_SETUP, LOGOFF, TREE_CONNECT, TREE_DISCONNECT, CREATE, CLOSE, FLUSH, READ, WRITE, LOCK, "
		   "IOCTL, CANCEL, ECHO, QUERY_DIRECTORY, CHANGE_NOTIFY, QUERY_INFO, SET_INFO, OPLOCK_BREAK, "
		   "SERVER_TO_CLIENT_NOTIFICATION]\n") == -EINVAL);
	CHECK(has("t.yaml:3:5: anomalies.smb.latency resolves to no SMB2 command to watch (mode 'all')"));
	CHECK(load("anomalies:\n  smb:\n    latency:\n      actions: [dmesg]\n") == -EINVAL);
	CHECK(has("t.yaml:3:5: missing key 'acceptable_count' in anomalies.smb.latency"));
	CHECK(load("guardian:\n  anomalies:\n    e:\n      type: error\n      mode: trackonly\n"
		   "      acceptable_count: 2\n") == -EINVAL);
	CHECK(has("t.yaml:5:7: guardian.anomalies.e resolves to no error code to watch"));
	CHECK(load("guardian:\n  anomalies:\n    x:\n      acceptable_count: 1\n") == -EINVAL);
	CHECK(has("t.yaml:3:5: missing key 'type' in guardian.anomalies.x (Latency or Error)"));
	CHECK(load("metrics:\n  listen: :9100\n") == -EINVAL && has("t.yaml:2:11: metrics.listen ':9100' has no host"));
	CHECK(load("metrics:\n  listen: example.com:9100\n") == -EINVAL && has("must be an IP address"));
	CHECK(load("metrics:\n  listen: 127.0.0.1:99999\n") == -EINVAL && has("a port from 1 to 65535"));
	CHECK(load("metrics:\n  listen: 0.0.0.0:9100\n") == 0 && !strcmp(cfg.metrics_listen, "0.0.0.0:9100"));
	CHECK(load("metrics:\n  listen: '[::1]:9100'\n") == 0 && !strcmp(cfg.metrics_listen, "[::1]:9100"));
	CHECK(load("metrics:\n  listen: localhost:9100\n") == 0 && !strcmp(cfg.metrics_listen, "127.0.0.1:9100"));
	CHECK(load("aod_output_dir: var/log\n") == -EINVAL && has("t.yaml:1:17: aod_output_dir must be an absolute path"));
	CHECK(load("memory:\n  arena_kb: 10\n") == -EINVAL && has("memory.arena_kb must be between 1024 and 1048576"));
	CHECK(load("audit:\n  enabled: maybe\n") == -EINVAL && has("audit.enabled must be true or false, got 'maybe'"));
	CHECK(load("cleanup:\n  max_total_log_size_mb: 0\n") == -EINVAL && has("must be more than 0"));
	CHECK(load("watch_interval_sec: 0.25\ncleanup:\n  max_total_log_size_mb: 1.5\n") == 0);
	CHECK(cfg.watch_interval_ms == 250 && cfg.watch_interval_sec == 1 && cfg.max_total_log_bytes == 1572864);
	/* SESSION_SETUP's "more processing required" is never an error: say so */
	CHECK(load("anomalies:\n  smb:\n    error:\n      acceptable_count: 1\n"
		   "      track_errors: [STATUS_MORE_PROCESSING_REQUIRED, 0xC000CAFE]\n      actions: [dmesg]\n") == 0);
	CHECK(has("t.yaml:5:22: warning: STATUS_MORE_PROCESSING_REQUIRED in anomalies.smb.error.track_errors never counts"));
	CHECK(find("smb", "error")->rules[0].codes[1].space == NAMES_CODE_NTSTATUS && find("smb", "error")->rules[0].codes[1].value == 0xC000CAFE);
}

static void test_wrong_types(void)
{
	CHECK(load("anomalies:\n  smb:\n    latency:\n      acceptable_count: {a: 1}\n") == -EINVAL);
	CHECK(has("t.yaml:4:25: anomalies.smb.latency.acceptable_count must be a scalar, not a mapping"));
	CHECK(load("cleanup: [1, 2]\n") == -EINVAL && has("t.yaml:1:10: cleanup must be a mapping, not a list"));
	CHECK(load("anomalies:\n  smb:\n    latency:\n      acceptable_count: 1\n      track_commands: SMB2_READ\n")
	      == -EINVAL);
	CHECK(has("t.yaml:5:23: anomalies.smb.latency.track_commands must be a list, not a scalar"));
	CHECK(load("- a\n- b\n") == -EINVAL && has("t.yaml:1:1: the config must be a mapping, not a list"));
	CHECK(load("anomalies:\n  smb:\n    latency:\n      acceptable_count: 1\n      track_commands: [[SMB2_READ]]\n")
	      == -EINVAL);
	CHECK(has("t.yaml:5:24: items of anomalies.smb.latency.track_commands must be a command name"));
	CHECK(load("anomalies:\n  smb:\n    latency:\n      acceptable_count: 1\n      actions: dmesg\n") == -EINVAL);
	CHECK(has("t.yaml:5:16: anomalies.smb.latency.actions must be a list of action names or a mapping"));
	CHECK(load("anomalies:\n  smb:\n    latency:\n      acceptable_count: 1\n      actions:\n        dmesg: yes\n")
	      == -EINVAL);
	CHECK(has("t.yaml:6:16: anomalies.smb.latency.actions.dmesg must be empty for a quick action"));
}

#define CAP(proto, tool, args) \
	"anomalies:\n  " proto ":\n    latency:\n      acceptable_count: 1\n      actions:\n        " tool ": " args "\n"

/* Every capture form AODv2 accepts loads; each one it refuses is refused at its line and column. */
static void test_captures(void)
{
	CHECK(load(CAP("smb", "tcpdump", "[-s, 65536, -C, 2, -W, 100]")) == 0 && cfg.ncaptures == 1);
	CHECK(load(CAP("smb", "tcpdump", "[-C2, -W100]")) == 0);
	CHECK(load(CAP("smb", "tcpdump", "[-C, 10m, -W, 3, -i, lo]")) == 0);
	CHECK(load(CAP("nfs", "trace-cmd", "[-e, nfs, -b, 1024]")) == 0 && cfg.ncaptures == 1);
	CHECK(!strcmp(cfg.captures[0].proto, "nfs") && !strcmp(cfg.captures[0].tool, "trace-cmd"));
	CHECK(load(CAP("smb", "tcpdump", "[-C, 2, -W, 100, -w, /tmp/x.pcap]")) == -EINVAL);
	CHECK(has("t.yaml:6:35: anomalies.smb.latency.actions.tcpdump: '-w' is aod's to give"));
	CHECK(load(CAP("smb", "tcpdump", "[-C, 2, -W, 100, --write-file=/tmp/x]")) == -EINVAL);
	CHECK(has("t.yaml:6:35: anomalies.smb.latency.actions.tcpdump: '--write-file=/tmp/x' is aod's to give"));
	CHECK(load(CAP("smb", "tcpdump", "[-C, 2]")) == -EINVAL);
	CHECK(has("t.yaml:6:9: anomalies.smb.latency.actions.tcpdump needs -C (file size in MB) and -W (file count)"));
	CHECK(load(CAP("smb", "tcpdump", "[-W, 2]")) == -EINVAL);
	CHECK(has("t.yaml:6:9: anomalies.smb.latency.actions.tcpdump needs -C"));
	CHECK(load(CAP("smb", "tcpdump", "[-C, x, -W, 2]")) == -EINVAL);
	CHECK(has("t.yaml:6:19: anomalies.smb.latency.actions.tcpdump: -C needs a file size in MB, not 'x'"));
	CHECK(load(CAP("smb", "tcpdump", "[-C, 2, -W]")) == -EINVAL);
	CHECK(has("t.yaml:6:26: anomalies.smb.latency.actions.tcpdump: -W needs a file count after it"));
	CHECK(load(CAP("nfs", "trace-cmd", "[-b, 1024]")) == -EINVAL);
	CHECK(has("t.yaml:6:9: anomalies.nfs.latency.actions.trace-cmd needs at least one -e EVENT"));
	CHECK(load(CAP("nfs", "trace-cmd", "[-e, nfs, -o, /tmp/t.dat]")) == -EINVAL);
	CHECK(has("t.yaml:6:30: anomalies.nfs.latency.actions.trace-cmd: '-o' is aod's to give"));
	CHECK(load(CAP("nfs", "trace-cmd", "[]")) == -EINVAL);
	CHECK(has("needs at least one -e EVENT"));
	CHECK(load(CAP("smb", "tcpdump", "[-C, 1, -W, 2, a, b, c, d, e, f, g, h]")) == -EINVAL);
	CHECK(has("t.yaml:6:9: anomalies.smb.latency.actions.tcpdump has 12 arguments; at most 11 fit"));
	CHECK(load(CAP("smb", "dmesg", "[-x]")) == -EINVAL);
	CHECK(has("t.yaml:6:9: anomalies.smb.latency.actions.dmesg has an argument list, which only the captures"));
	CHECK(load_fixture("bad_capture.yaml") == -EINVAL);
	CHECK(has("bad_capture.yaml:7:9: anomalies.smb.latency.actions.tcpdump needs -C"));
	CHECK(has("bad_capture.yaml:7:28: anomalies.smb.latency.actions.tcpdump: '-w' is aod's to give"));
	/* health anomalies have no port to filter on */
	CHECK(load("health:\n  oom_kill:\n    actions:\n      tcpdump: [-C, 1, -W, 2]\n") == -EINVAL);
	CHECK(has("t.yaml:4:7: health.oom_kill.actions.tcpdump: captures run under an smb or nfs anomaly"));
	/* one capture per protocol: the same everywhere it is listed, another tool or other arguments refused */
	CHECK(load("anomalies:\n  smb:\n    latency:\n      acceptable_count: 1\n      actions:\n"
		   "        tcpdump: [-C, 1, -W, 2]\n    sockconn:\n      actions:\n        tcpdump: [-C, 1, -W, 2]\n")
	      == 0 && cfg.ncaptures == 1);
	CHECK(load("anomalies:\n  smb:\n    latency:\n      acceptable_count: 1\n      actions:\n"
		   "        tcpdump: [-C, 1, -W, 2]\n    sockconn:\n      actions:\n        tcpdump: [-C, 1, -W, 3]\n")
	      == -EINVAL);
	CHECK(has("t.yaml:9:9: anomalies.smb.sockconn.actions.tcpdump: one capture runs per protocol, and smb already "
		  "has tcpdump at line 6:9"));
	CHECK(load("anomalies:\n  smb:\n    latency:\n      acceptable_count: 1\n      actions:\n"
		   "        tcpdump: [-C, 1, -W, 2]\n        trace-cmd: [-e, cifs]\n") == -EINVAL);
	CHECK(has("t.yaml:7:9: anomalies.smb.latency.actions.trace-cmd: one capture runs per protocol"));
}

static void test_unsupported(void)
{
	/* sockconn is a type under smb/nfs, as AODv2 has it, not a protocol */
	CHECK(load("anomalies:\n  io: {}\n  sockconn: {}\n") == -EINVAL);
	CHECK(has("t.yaml:3:3: unknown key 'sockconn' in anomalies"));
	CHECK(load("anomalies:\n  io:\n    latency: {acceptable_count: 1}\n") == -EINVAL);
	CHECK(has("t.yaml:3:5: unknown key 'latency' in anomalies.io"));
	CHECK(load("anomalies:\n  smb:\n    latency:\n      tool: tcpdump\n      acceptable_count: 1\n") == -EINVAL);
	CHECK(has("t.yaml:4:13: tcpdump is a capture: give it its arguments under an smb or nfs anomaly's actions"));
	CHECK(load("watcher:\n  actions: [dmesg, trace-cmd]\n") == -EINVAL);
	CHECK(has("t.yaml:2:20: trace-cmd is a capture: give it its arguments"));
	CHECK(load("anomalies:\n  smb:\n    latency:\n      tool: smbiosnoop\n      acceptable_count: 1\n") == -EINVAL);
	CHECK(has("t.yaml:4:13: anomalies.smb.latency.tool: tool 'smbiosnoop' does not measure latency; use 'smbslower'"));
	CHECK(load_fixture("bad_mixed.yaml") == -EINVAL);
	CHECK(has(":4:7: 'acceptable_count' cannot be mixed with 'rules' in anomalies.smb.error"));
	CHECK(has(":5:7: 'track_errors' cannot be mixed with 'rules' in anomalies.smb.error"));
	CHECK(load("anomalies:\n  smb: {}\nguardian:\n  anomalies: {}\n") == -EINVAL);
	CHECK(has("t.yaml:1:1: 'anomalies' and 'guardian' are two layouts of the same thing"));
}

static void test_user_actions(void)
{
	CHECK(load("actions:\n  dmesg:\n    kind: file\n    path: /x\n") == -EINVAL);
	CHECK(has("t.yaml:2:3: action 'dmesg' is built in; give yours another name"));
	CHECK(load("actions:\n  a:\n    kind: file\n    argv: [x]\n  b:\n    kind: exec\n  c:\n    kind: pipe\n"
		   "  d:\n    kind: tail\n    path: relative\n") == -EINVAL);
	CHECK(has("t.yaml:4:5: key 'argv' does not apply to a file action (actions.a)"));
	CHECK(has("t.yaml:3:5: missing key 'path' in actions.a"));
	CHECK(has("t.yaml:6:5: missing key 'argv' in actions.b"));
	CHECK(has("t.yaml:8:11: unknown action kind 'pipe' in actions.c.kind"));
	CHECK(has("t.yaml:11:11: actions.d.path must be an absolute path"));
	CHECK(lines == 5);
	CHECK(load("actions:\n  'bad name':\n    kind: kmsg\n") == -EINVAL && has("action name 'bad name' must be"));
	CHECK(load("actions:\n  x:\n    kind: kmsg\n  x:\n    kind: kmsg\n") == -EINVAL &&
	      has("t.yaml:4:3: duplicate key 'x' in actions\n") && lines == 1);
	/* user actions are usable by anomalies defined before them in the file */
	CHECK(load("health:\n  oom_kill:\n    actions: [mine]\nactions:\n  mine:\n    kind: kmsg\n    seconds: 5\n") == 0);
	CHECK(find("health", "oom_kill") && cfg.actions[find("health", "oom_kill")->actions[0]].seconds == 5);
	CHECK(load("health:\n  tcp_retransmit:\n    threshold: 5\n") == -EINVAL);
	CHECK(has("t.yaml:3:5: key 'threshold' does not apply to health.tcp_retransmit"));
}

static void test_many_errors_and_syntax(void)
{
	CHECK(load_fixture("bad_syntax.yaml") == -EINVAL);
	CHECK(has(":5:6: YAML syntax error: did not find expected key"));
	CHECK(load("a: [1, 2\n") == -EINVAL && has("t.yaml:2:1: YAML syntax error:"));
	CHECK(load("a: 1\n---\nb: 2\n") == -EINVAL && has("t.yaml:3:1: only one YAML document is allowed"));
	/* every error is reported, not only the first */
	CHECK(load("foo: 1\nbar: 2\ncleanup:\n  cleanup_interval_sec: x\nmemory:\n  arena_kb: -4\n") == -EINVAL);
	CHECK(lines == 4 && has("t.yaml:1:1:") && has("t.yaml:2:1:") && has("t.yaml:4:25:") &&
	      has("t.yaml:6:13: memory.arena_kb must not be negative"));
}

static void test_files_and_chain(void)
{
	char dir[] = "/tmp/aod-cfg-XXXXXX", p[64], e[64];
	FILE *f;

	CHECK(load_fixture("does-not-exist.yaml") == -ENOENT);
	CHECK(has("aod: unable to read config ") && has("does-not-exist.yaml: No such file or directory"));
	CHECK(mkdtemp(dir) != NULL);
	snprintf(p, sizeof(p), "%s/cli.yaml", dir);
	snprintf(e, sizeof(e), "%s/env.yaml", dir);
	f = fopen(p, "w");
	fputs("watch_interval_sec: 3\n", f);
	fclose(f);
	f = fopen(e, "w");
	fputs("watch_interval_sec: 4\n", f);
	fclose(f);
	CHECK(load_chain(&cfg, p, e, e, NULL) == 0 && cfg.watch_interval_sec == 3 && !strcmp(cfg.path, p));
	CHECK(load_chain(&cfg, NULL, e, p, NULL) == 0 && cfg.watch_interval_sec == 4);
	CHECK(load_chain(&cfg, NULL, "", p, NULL) == 0 && cfg.watch_interval_sec == 3);	/* the /etc step */
	CHECK(load_chain(&cfg, NULL, NULL, "/nonexistent/aod.yaml", NULL) == 0 && !strcmp(cfg.path, "<embedded>"));
	CHECK(find("smb", "latency") != NULL);
	CHECK(config_load_file(&cfg, dir, NULL) == -EISDIR);
	unlink(p);
	unlink(e);
	rmdir(dir);
}

static void test_print(void)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f;

	CHECK(load_fixture("aodv2_guardian.yaml") == 0);
	f = open_memstream(&out, &len);
	config_print(&cfg, f);
	fclose(f);
	CHECK(strstr(out, "\n  SMB2_WRITE                           50 ms\n") != NULL);
	CHECK(strstr(out, "\n  SMB2_ECHO                            -\n") != NULL);
	CHECK(strstr(out, "\n  SMB2_CREATE                          20 ms\n") != NULL);
	CHECK(strstr(out, "rule error: fires at 10 errors per interval; commands all; codes EACCES,EAGAIN,EIO") != NULL);
	CHECK(strstr(out, "  actions: dmesg journalctl debugdata stats mounts smbinfo syslogs\n") != NULL);
	CHECK(strstr(out, "keep the total under 0.5 MiB (524288 bytes)") != NULL);
	CHECK(strstr(out, "output dir: /var/log/aod\n") != NULL && strstr(out, "watch interval: 1 s\n") != NULL);
	CHECK(strstr(out, "arena: 5120 KiB\n") != NULL && strstr(out, "at most 4 at once") != NULL);
	free(out);
}

#define NFS3(p) (NAMES_NFS3_BASE + (p))

/* AODv2's newest config: every section loads, its captures included. */
static void test_aodv2_newest(void)
{
	const struct cfg_anomaly *a;
	const struct cfg_capture *cp;

	CHECK(load_fixture("aodv2_newest.yaml") == 0);
	CHECK(lines == 0);
	CHECK(cfg.ncaptures == 2);
	cp = config_find_capture(&cfg, "smb");
	CHECK(cp && !strcmp(cp->tool, "tcpdump") && cp->argc == 8 && cp->line == 25 && cp->col == 9);
	CHECK(cp && !strcmp(cp->argv[0], "-s") && !strcmp(cp->argv[7], "100"));
	cp = config_find_capture(&cfg, "nfs");
	CHECK(cp && !strcmp(cp->tool, "trace-cmd") && cp->argc == 8 && !strcmp(cp->argv[5], "sunrpc"));
	CHECK((a = find("smb", "latency")) && a->capture);
	CHECK((a = find("smb", "sockconn")) && a->capture);
	CHECK((a = find("nfs", "sockconn")) && !a->capture);
	CHECK((a = find("nfs", "error")) && a->capture);
	CHECK(load_fixture("aodv2_newest_nocapture.yaml") == 0);
	CHECK(cfg.ncaptures == 0);
	CHECK(lines == 0);	/* not even a warning */
	CHECK(cfg.nanomalies == 5 && cfg.watch_interval_sec == 60);
	a = find("nfs", "latency");
	CHECK(a && a->type == CFG_LATENCY && a->space == NAMES_NFS && a->acceptable_count == 10);
	CHECK(a && !strcmp(a->tool, "nfsslower") && !strcmp(a->mode, "all"));
	/* mode all: every v4 and v3 procedure at the 50 ms default */
	for (unsigned int i = 0; a && i < CFG_NFS_NOPS; i++)
		CHECK(cfg_ops_has(&a->ops, i) && a->threshold_ns[i] == MS(50));
	CHECK(a && !cfg_ops_has(&a->ops, CFG_NFS_NOPS));
	a = find("nfs", "error");
	CHECK(a && a->type == CFG_ERROR && a->nrules == 1 && a->rules[0].acceptable_count == 5);
	CHECK(a && !strcmp(a->tool, "nfsiosnoop") && a->rules[0].ncodes == 2);
	CHECK(a && a->rules[0].codes[0].space == NAMES_CODE_NFS4 && a->rules[0].codes[0].value == 10025);
	CHECK(a && a->rules[0].codes[1].space == NAMES_CODE_NFS4 && a->rules[0].codes[1].value == 10024);
	/* track_commands left empty: every procedure */
	CHECK(a && cfg_ops_equal(&a->rules[0].ops, &(struct cfg_ops){ { 0 } }) == false);
	CHECK(a && cfg_ops_has(&a->rules[0].ops, 0) && cfg_ops_has(&a->rules[0].ops, NFS3(21)));
	a = find("smb", "sockconn");
	CHECK(a && a->type == CFG_SOCKCONN && a->acceptable_count == 1 && !strcmp(a->tool, "ss"));
	/* its own three, then tcp_conns, which every sockconn anomaly gets (AODv2 ran ss) */
	CHECK(a && a->nactions == 4 && a->actions[3] == config_find_action(&cfg, "tcp_conns"));
	a = find("nfs", "sockconn");
	CHECK(a && a->type == CFG_SOCKCONN && a->nactions == 5 && a->actions[1] == config_find_action(&cfg, "tcp_conns"));
	/* every NFS anomaly also gets the client's own view: mountstats, the RPC totals, the servers and volumes */
	CHECK(a && a->actions[2] == config_find_action(&cfg, "nfs_mountstats") &&
	      a->actions[3] == config_find_action(&cfg, "nfs_rpcstats") &&
	      a->actions[4] == config_find_action(&cfg, "nfs_servers"));
	a = find("nfs", "latency");
	CHECK(a && a->nactions >= 3 && a->actions[a->nactions - 1] == config_find_action(&cfg, "nfs_servers"));
	a = find("smb", "sockconn");
	CHECK(a && config_find_action(&cfg, "nfs_mountstats") >= 0 && a->actions[a->nactions - 1] != config_find_action(&cfg, "nfs_servers"));
	a = find("smb", "latency");
	CHECK(a && a->threshold_ns[9] == MS(50) && a->threshold_ns[8] == MS(20) && M(a->ops) == ALL);
}

static void test_nfs_sections(void)
{
	const struct cfg_anomaly *a;
	const struct cfg_error_rule *r;

	CHECK(load_fixture("nfs_full.yaml") == 0);
	a = find("nfs", "latency");
	CHECK(a && !strcmp(a->mode, "trackonly") && a->acceptable_count == 3);
	CHECK(a && a->threshold_ns[1] == MS(25) && a->threshold_ns[2] == MS(60));	/* READ, WRITE (short) */
	CHECK(a && a->threshold_ns[NFS3(6)] == MS(15) && a->threshold_ns[NFS3(21)] == MS(40));
	CHECK(a && cfg_ops_has(&a->ops, 1) && cfg_ops_has(&a->ops, 2) && cfg_ops_has(&a->ops, NFS3(6)));
	CHECK(a && cfg_ops_has(&a->ops, NFS3(21)) && !cfg_ops_has(&a->ops, NFS3(7)) && !cfg_ops_has(&a->ops, 0));
	CHECK(a && a->threshold_ns[NFS3(7)] == 0);
	a = find("nfs", "error");
	CHECK(a && a->nrules == 3);
	r = a ? &a->rules[0] : NULL;
	CHECK(r && !strcmp(r->name, "readonly") && r->ncodes == 2 && r->codes[0].space == NAMES_CODE_NFS4 &&
	      r->codes[0].value == 30 && r->codes[1].space == NAMES_CODE_NFS3 && r->codes[1].value == 30);
	r = a ? &a->rules[1] : NULL;
	CHECK(r && r->nnfs_ops == 2 && r->nfs_ops[0] == 25 && r->nfs_ops[1] == 38);
	CHECK(r && cfg_ops_has(&r->ops, 1) && cfg_ops_has(&r->ops, 2) && !cfg_ops_has(&r->ops, 3));
	r = a ? &a->rules[2] : NULL;
	CHECK(r && r->ncodes == 0 && r->nexclude == 2 && r->exclude[1].space == NAMES_CODE_NFS3 &&
	      r->exclude[1].value == 2);
	a = find("nfs", "stall");
	CHECK(a && a->type == CFG_STALL && a->stall_ms == 4000 && a->acceptable_count == 1);
	a = find("smb", "stall");
	CHECK(a && a->type == CFG_STALL && a->stall_ms == 3000 && a->nactions == 2);
	a = find("nfs", "reconnect");
	CHECK(a && a->type == CFG_RECONNECT && a->acceptable_count == 2);
	a = find("io", "error");
	CHECK(a && a->space == NAMES_IO && !strcmp(a->tool, "iosnoop") && a->rules[0].ncodes == 3);
	CHECK(a && cfg_ops_has(&a->rules[0].ops, 2) && cfg_ops_has(&a->rules[0].ops, 3) &&
	      !cfg_ops_has(&a->rules[0].ops, 0));
	CHECK(a && a->rules[0].codes[0].space == NAMES_CODE_ERRNO && a->rules[0].codes[0].value == ENOSPC);
	/* stall without stall_ms takes the default */
	CHECK(load("anomalies:\n  nfs:\n    stall:\n      actions: [dmesg]\n") == 0);
	CHECK(find("nfs", "stall") && find("nfs", "stall")->stall_ms == CFG_DEFAULT_STALL_MS);
}

static void test_nfs_errors(void)
{
	/* a wrong procedure name and a wrong NFS4ERR name: file:line:col and the nearest name */
	CHECK(load_fixture("bad_nfs_names.yaml") == -EINVAL);
	CHECK(has("bad_nfs_names.yaml:6:20: unknown NFS procedure 'NFSPROC4_CLNT_RAED' in "
		  "anomalies.nfs.latency.track_commands (did you mean 'NFSPROC4_CLNT_READ'?)"));
	CHECK(has("bad_nfs_names.yaml:11:22: unknown error code 'NFS4ERR_BAD_STATID' in "
		  "anomalies.nfs.error.track_errors (did you mean 'NFS4ERR_BAD_STATEID'?)"));
	CHECK(lines == 2);
	/* SMB names are not NFS names, and the other way round */
	CHECK(load("anomalies:\n  nfs:\n    error:\n      acceptable_count: 1\n      track_errors: [STATUS_IO_TIMEOUT]\n"
		   "      actions: [dmesg]\n") == -EINVAL);
	CHECK(has("t.yaml:5:22: unknown error code 'STATUS_IO_TIMEOUT' in anomalies.nfs.error.track_errors (an "
		  "NFS4ERR_* or NFS3ERR_* status"));
	CHECK(load("anomalies:\n  smb:\n    error:\n      acceptable_count: 1\n      track_errors: [NFS4ERR_ROFS]\n"
		   "      actions: [dmesg]\n") == -EINVAL);
	CHECK(has("t.yaml:5:22: unknown error code 'NFS4ERR_ROFS' in anomalies.smb.error.track_errors"));
	CHECK(load("anomalies:\n  nfs:\n    latency:\n      acceptable_count: 1\n      exclude_commands: [READDIRPLUS]\n"
		   "      actions: [dmesg]\n") == -EINVAL);
	CHECK(has("t.yaml:5:26: unknown NFS procedure 'READDIRPLUS' in anomalies.nfs.latency.exclude_commands "
		  "(did you mean 'NFS3PROC_READDIRPLUS'?)"));
	CHECK(load("anomalies:\n  nfs:\n    latency:\n      acceptable_count: 1\n"
		   "      track_commands: [READ, NFSPROC4_CLNT_READ]\n      actions: [dmesg]\n") == -EINVAL);
	CHECK(has("t.yaml:5:30: duplicate NFS procedure 'NFSPROC4_CLNT_READ' in anomalies.nfs.latency.track_commands "
		  "(first at line 5)"));
	/* track_ops is NFS's; an unknown op gets a hint */
	CHECK(load("anomalies:\n  nfs:\n    error:\n      acceptable_count: 1\n      track_ops: [OP_PUTHF]\n"
		   "      actions: [dmesg]\n") == -EINVAL);
	CHECK(has("t.yaml:5:19: unknown NFSv4 operation 'OP_PUTHF' in anomalies.nfs.error.track_ops (did you mean "
		  "'OP_PUTFH'?)"));
	CHECK(load("anomalies:\n  smb:\n    error:\n      acceptable_count: 1\n      track_ops: [OP_READ]\n"
		   "      actions: [dmesg]\n") == -EINVAL);
	CHECK(has("t.yaml:5:7: unknown key 'track_ops' in anomalies.smb.error"));
	CHECK(load("anomalies:\n  nfs:\n    error:\n      acceptable_count: 1\n      track_commands: [OP_READ]\n"
		   "      actions: [dmesg]\n") == -EINVAL);
	CHECK(has("t.yaml:5:24: 'OP_READ' in anomalies.nfs.error.track_commands is an NFSv4 operation, not a "
		  "procedure: error rules list operations under track_ops"));
	/* tracked and excluded at once */
	CHECK(load("anomalies:\n  nfs:\n    error:\n      acceptable_count: 1\n      track_errors: [NFS4ERR_ROFS]\n"
		   "      exclude_errors: [NFS4ERR_ROFS]\n      actions: [dmesg]\n") == -EINVAL);
	CHECK(has("t.yaml:6:24: NFS4ERR_ROFS is both tracked and excluded in anomalies.nfs.error"));
	/* tools belong to one protocol and type */
	CHECK(load("anomalies:\n  nfs:\n    latency:\n      tool: smbslower\n      acceptable_count: 1\n"
		   "      actions: [dmesg]\n") == -EINVAL);
	CHECK(has("t.yaml:4:13: anomalies.nfs.latency.tool: tool 'smbslower' watches smb, not nfs; use 'nfsslower'"));
	CHECK(load("anomalies:\n  nfs:\n    error:\n      tool: nfsiosnop\n      acceptable_count: 1\n"
		   "      actions: [dmesg]\n") == -EINVAL);
	CHECK(has("t.yaml:4:13: unknown tool 'nfsiosnop' in anomalies.nfs.error.tool (did you mean 'nfsiosnoop'?)"));
	CHECK(load("anomalies:\n  nfs:\n    stall:\n      stall_ms: 0\n      actions: [dmesg]\n") == -EINVAL);
	CHECK(has("t.yaml:4:17: anomalies.nfs.stall.stall_ms must be between 1 and 86400000, got '0'"));
	CHECK(load("anomalies:\n  smb:\n    stall:\n      stal_ms: 10\n      actions: [dmesg]\n") == -EINVAL);
	CHECK(has("t.yaml:4:7: unknown key 'stal_ms' in anomalies.smb.stall (did you mean 'stall_ms'?)"));
	CHECK(load("anomalies:\n  nfs:\n    reconnect:\n      tool: ss\n      actions: [dmesg]\n") == -EINVAL);
	CHECK(has("t.yaml:4:7: unknown key 'tool' in anomalies.nfs.reconnect"));
	CHECK(load("anomalies:\n  nfs:\n    sockconn:\n") == -EINVAL);
	CHECK(has("t.yaml:3:14: anomalies.nfs.sockconn is empty: give at least its actions"));
	/* tcp_conns listed already: not added twice; a stall anomaly does not get it */
	CHECK(load("anomalies:\n  smb:\n    sockconn:\n      actions: [tcp_conns, dmesg]\n"
		   "    stall:\n      actions: [dmesg]\n") == 0);
	CHECK(cfg.nanomalies == 2 && cfg.anomalies[0].nactions == 2 && cfg.anomalies[1].nactions == 1);
	CHECK(cfg.anomalies[0].actions[0] == config_find_action(&cfg, "tcp_conns"));
	CHECK(load("anomalies:\n  io:\n    error:\n      acceptable_count: 1\n      track_commands: [fsycn]\n"
		   "      actions: [dmesg]\n") == -EINVAL);
	CHECK(has("t.yaml:5:24: unknown io operation 'fsycn' in anomalies.io.error.track_commands (did you mean "
		  "'fsync'?)"));
}

static void test_print_nfs(void)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f;

	CHECK(load_fixture("nfs_full.yaml") == 0);
	f = open_memstream(&out, &len);
	config_print(&cfg, f);
	fclose(f);
	CHECK(strstr(out, "\nanomaly nfs/latency (latency, tool nfsslower)\n") != NULL);
	CHECK(strstr(out, "\n  NFSPROC4_CLNT_READ                   25 ms\n") != NULL);
	CHECK(strstr(out, "\n  NFSPROC4_CLNT_NULL                   -\n") != NULL);
	CHECK(strstr(out, "\n  NFS3PROC_READ                        15 ms\n") != NULL);
	CHECK(strstr(out, "\n  NFS3PROC_COMMIT                      40 ms\n") != NULL);
	CHECK(strstr(out, "rule stateid: fires at 5 errors per interval; procedures NFSPROC4_CLNT_READ "
			  "NFSPROC4_CLNT_WRITE; codes NFS4ERR_BAD_STATEID,NFS4ERR_OLD_STATEID; NFSv4 operations "
			  "OP_READ,OP_WRITE\n") != NULL);
	CHECK(strstr(out, "rule anything_but_noent: fires at 20 errors per interval; procedures all; codes: every "
			  "error except NFS4ERR_NOENT,NFS3ERR_NOENT\n") != NULL);
	CHECK(strstr(out, "\nanomaly nfs/stall (stall)\n  fires when 1 request has been pending 4000 ms or more\n")
	      != NULL);
	CHECK(strstr(out, "\nanomaly nfs/sockconn (sockconn, tool ss)\n  fires when the established connections "
			  "to port 2049 change") != NULL);
	CHECK(strstr(out, "\nanomaly io/error (error, tool iosnoop)\n  rule error: fires at 1 errors per interval; "
			  "ops write fsync; codes ENOSPC,EIO,EDQUOT\n") != NULL);
	free(out);
}

/* The depth cap: 32 nested collections load (and fail on schema), 33 are refused at the 33rd. */
static void test_nesting_cap(void)
{
	static char yaml[2 * (CONFIG_MAX_DEPTH + 1) + 1];

	memset(yaml, '[', CONFIG_MAX_DEPTH);
	memset(yaml + CONFIG_MAX_DEPTH, ']', CONFIG_MAX_DEPTH);
	yaml[2 * CONFIG_MAX_DEPTH] = 0;
	CHECK(load(yaml) == -EINVAL);
	CHECK(!strstr(diag, "nesting deeper"));
	memset(yaml, '[', CONFIG_MAX_DEPTH + 1);
	memset(yaml + CONFIG_MAX_DEPTH + 1, ']', CONFIG_MAX_DEPTH + 1);
	CHECK(load(yaml) == -EINVAL);
	CHECK(has("t.yaml:1:33: nesting deeper than 32 levels (the limit); aod's keys need fewer than 10"));
	CHECK(lines == 1);
	CHECK(load("a:\n  - b:\n      - c: [d, {e: f}]\n") == -EINVAL);	/* unknown keys, not depth */
	CHECK(!strstr(diag, "nesting deeper"));
}

static int check_arena(size_t need)
{
	size_t len = 0;
	FILE *f;
	int rc;

	free(diag);
	f = open_memstream(&diag, &len);
	rc = config_check_arena(&cfg, need, f);
	fclose(f);
	return rc;
}

/* memory.arena_kb smaller than what collection takes is refused at its position, with the minimum. */
static void test_arena_minimum(void)
{
	CHECK(load("memory:\n  arena_kb: 1024\nmax_concurrent_bundles: 2\n") == 0);
	CHECK(cfg.arena_line == 2 && cfg.arena_col == 13);
	CHECK(check_arena(1024 * 1024) == 0);
	CHECK(check_arena(1024 * 1024 + 1) == -EINVAL);
	CHECK(has("t.yaml:2:13: memory.arena_kb 1024 is too small: bundle collection with max_concurrent_bundles 2 "
		  "needs at least 1025 KiB; raise memory.arena_kb to 1025 or more, or lower max_concurrent_bundles\n"));
	CHECK(load("watch_interval_sec: 1\n") == 0);
	CHECK(cfg.arena_line == 0);
	CHECK(check_arena(6000 * 1024) == -EINVAL);
	CHECK(has("t.yaml: memory.arena_kb 5120 is too small"));
	/* history_seconds raised past its default is named, with what to lower */
	CHECK(load("history_seconds: 300\n") == 0);
	CHECK(check_arena(6000 * 1024) == -EINVAL);
	CHECK(has("max_concurrent_bundles 4 and history_seconds needs at least 6000 KiB") &&
	      has("or lower max_concurrent_bundles or history_seconds\n"));
}

/* capture.packets: the built-in packet ring's snap length and memory, checked with file:line:col. */
static void test_packets(void)
{
	CHECK(load("watch_interval_sec: 1\n") == 0 && !cfg.packets.set && cfg.packets.snaplen == 256 &&
	      cfg.packets.memory_kb == 4096);
	CHECK(load("capture:\n  packets:\n") == 0 && cfg.packets.set && cfg.packets.line == 2 && cfg.packets.col > 0 &&
	      cfg.packets.snaplen == 256);
	CHECK(load("capture:\n  packets: {snaplen: 128, memory_kb: 512}\n") == 0 && cfg.packets.set &&
	      cfg.packets.snaplen == 128 && cfg.packets.memory_kb == 512);
	CHECK(load("capture:\n  packets: {snaplen: 20}\n") == -EINVAL &&
	      has("t.yaml:2:22: capture.packets.snaplen must be between 96 and 65535"));
	CHECK(load("capture:\n  packets: {memory_kb: 100}\n") == -EINVAL &&
	      has("t.yaml:2:24: capture.packets.memory_kb must be between 256 and 1048576"));
	CHECK(load("capture:\n  packets: {snaplenn: 128}\n") == -EINVAL && has("t.yaml:2:13: ") && has("snaplen"));
	CHECK(load("capture:\n  packet: {}\n") == -EINVAL && has("t.yaml:2:3: ") && has("packets"));
	CHECK(load("capture: 3\n") == -EINVAL && has("t.yaml:1:10: "));
	CHECK(load("watch_interval_sec: 1\n") == 0 && cfg.packets.nports[0] == 1 && cfg.packets.ports[0][0] == 445 &&
	      cfg.packets.nports[1] == 1 && cfg.packets.ports[1][0] == 2049);
	CHECK(load("capture:\n  packets:\n    ports: {smb: [445, 8445]}\n") == 0 && cfg.packets.nports[0] == 2 &&
	      cfg.packets.ports[0][1] == 8445 && cfg.packets.nports[1] == 1 && cfg.packets.ports[1][0] == 2049);
	CHECK(load("capture:\n  packets:\n    ports: {nfs: [0]}\n") == -EINVAL &&
	      has("t.yaml:3:19: capture.packets.ports.nfs must be between 1 and 65535"));
	CHECK(load("capture:\n  packets:\n    ports: {smb: [1, 2, 3, 4, 5, 6, 7, 8, 9]}\n") == -EINVAL &&
	      has("capture.packets.ports.smb: at most 8 ports"));
	CHECK(load("capture:\n  packets:\n    ports: {cifs: [445]}\n") == -EINVAL && has("t.yaml:3:13: "));
}

int main(void)
{
	test_packets();
	test_embedded_default();
	test_guardian_layout();
	test_upstream_layout();
	test_aod_sections();
	test_builtin_actions();
	test_modes();
	test_unknown_names();
	test_duplicates();
	test_conflicts_and_values();
	test_wrong_types();
	test_unsupported();
	test_captures();
	test_user_actions();
	test_many_errors_and_syntax();
	test_files_and_chain();
	test_print();
	test_aodv2_newest();
	test_nfs_sections();
	test_nfs_errors();
	test_print_nfs();
	test_nesting_cap();
	test_arena_minimum();
	free(diag);
	return CHECK_DONE();
}

// SPDX-License-Identifier: GPL-2.0-only
/* `aod check-config`'s table: the effective config, defaults filled in, as the daemon will run it. */
#include "config.h"

#include <string.h>
#include <syslog.h>

#include "array.h"
#include "family.h"
#include "names.h"

static const char *kind_name(enum cfg_action_kind k)
{
	static const char *const names[] = { "file", "kmsg", "exec", "tail", "ps", "cgroup", "tcpinfo" };

	return (unsigned int)k < ARRAY_SIZE(names) ? names[k] : "?";
}

static void print_action_list(const struct cfg_config *cfg, const char *label, const uint16_t *idx, int n,
			      FILE *out)
{
	fprintf(out, "%s", label);
	for (int i = 0; i < n; i++)
		fprintf(out, " %s", cfg->actions[idx[i]].name);
	fprintf(out, "%s\n", n ? "" : " (none)");
}

static void print_ms(uint64_t ns, FILE *out)
{
	fprintf(out, "%g ms", (double)ns / 1e6);
}

static void print_latency(const struct cfg_anomaly *a, FILE *out)
{
	fprintf(out, "  mode %s, fires at %u %ss over threshold per interval (or one of 1 s or more)\n", a->mode,
		a->acceptable_count, names_op_what(a->space));
	fprintf(out, "  %-36s %s\n", names_op_what(a->space), "threshold");
	for (unsigned int i = 0; i < names_op_count(a->space); i++) {
		fprintf(out, "  %-36s ", names_op_name(a->space, i));
		if (cfg_ops_has(&a->ops, i))
			print_ms(a->threshold_ns[i], out);
		else
			fputc('-', out);
		fputc('\n', out);
	}
}

static void print_codes(const char *label, const struct cfg_code *codes, int n, FILE *out)
{
	char b[24];

	fprintf(out, " %s", label);
	for (int i = 0; i < n; i++)
		fprintf(out, "%s%s", i ? "," : " ", config_code_name(codes[i], b, sizeof(b)));
}

/* The cost rule (DESIGN.md) for a family that may fall back to syscall-level hooks: vfs, io. */
static void print_attach(const struct cfg_anomaly *a, enum cfg_health_kind fam, FILE *out)
{
	const char *first = family_table[fam].optin_else;

	if (a->syscall_level)
		fprintf(out, "  attach: syscall: %s, else syscall-level hooks (every syscall pays)\n", first);
	else
		fprintf(out, "  attach: auto: %s; on a kernel with only syscall-level hooks it is left off "
			     "(every syscall pays); turn on with %s\n", first, family_table[fam].syscall_optin);
}

static void print_error(const struct cfg_anomaly *a, FILE *out)
{
	const char *what = a->space == NAMES_SMB ? "commands" : a->space == NAMES_NFS ? "procedures" : "ops";
	struct cfg_ops all = cfg_ops_all(names_op_count(a->space));

	for (int r = 0; r < a->nrules; r++) {
		const struct cfg_error_rule *rule = &a->rules[r];
		bool every = cfg_ops_equal(&rule->ops, &all);

		fprintf(out, "  rule %s: fires at %u errors per interval; %s", rule->name, rule->acceptable_count, what);
		if (every)
			fprintf(out, " all");
		for (unsigned int i = 0; i < names_op_count(a->space) && !every; i++)
			if (cfg_ops_has(&rule->ops, i))
				fprintf(out, " %s", names_op_name(a->space, i));
		fprintf(out, ";");
		if (rule->ncodes)
			print_codes("codes", rule->codes, rule->ncodes, out);
		else
			fprintf(out, " codes: every error");
		if (rule->nexclude)
			print_codes("except", rule->exclude, rule->nexclude, out);
		if (rule->nnfs_ops) {
			fprintf(out, "; NFSv4 operations");
			for (int i = 0; i < rule->nnfs_ops; i++)
				fprintf(out, "%s%s", i ? "," : " ", names_nfs4_op_name(rule->nfs_ops[i]));
		}
		fputc('\n', out);
	}
	if (a->space == NAMES_IO)
		print_attach(a, CFG_H_IOERR, out);
}

/* sockconn, stall, reconnect */
static void print_outage(const struct cfg_anomaly *a, FILE *out)
{
	const char *port = !strcmp(a->proto, "nfs") ? "2049" : "445";

	if (a->type == CFG_SOCKCONN)
		fprintf(out, "  fires when the established connections to port %s change, %u change%s per interval\n",
			port, a->acceptable_count, a->acceptable_count == 1 ? "" : "s");
	else if (a->type == CFG_STALL)
		fprintf(out, "  fires when %u request%s %s been pending %u ms or more\n", a->acceptable_count,
			a->acceptable_count == 1 ? "" : "s", a->acceptable_count == 1 ? "has" : "have", a->stall_ms);
	else
		fprintf(out, "  fires at once at %u reconnect%s the client reports in an interval (one per outage of a "
			"connection)\n", a->acceptable_count, a->acceptable_count == 1 ? "" : "s");
}

/* One line on when it fires, by the family's way of detection, and its attach choice when it has one. */
static void print_health(const struct cfg_anomaly *a, FILE *out)
{
	const struct family *fam = &family_table[a->health];

	if (fam->detect == FAMILY_LATENCY)
		fprintf(out, "  fires at %u events of %llu us or more per interval\n", a->acceptable_count,
			(unsigned long long)a->threshold);
	else if (fam->detect == FAMILY_IMMEDIATE || fam->detect == FAMILY_PATTERNS)
		fprintf(out, "  fires on every event\n");
	else
		fprintf(out, "  fires at %u events per interval\n", a->acceptable_count);
	if (fam->syscall_optin)
		print_attach(a, a->health, out);
}

static void print_action_def(const struct cfg_action *a, FILE *out)
{
	fprintf(out, "  %-12s %-6s", a->name, kind_name(a->kind));
	switch (a->kind) {
	case CFG_ACT_FILE:
		fprintf(out, " %s", a->path);
		break;
	case CFG_ACT_TAIL:
		fprintf(out, " last %u lines of %s", a->lines, a->path);
		break;
	case CFG_ACT_KMSG:
		if (a->seconds)
			fprintf(out, " last %u s of the kernel log", a->seconds);
		else
			fprintf(out, " kernel log of the last watch interval");
		break;
	case CFG_ACT_EXEC:
		for (int i = 0; i < a->argc; i++)
			fprintf(out, strchr(a->argv[i], ' ') ? " '%s'" : " %s", a->argv[i]);
		fprintf(out, " (timeout %u s)", a->timeout_ms / 1000);
		break;
	case CFG_ACT_PS:
		fprintf(out, " process snapshot");
		break;
	case CFG_ACT_CGROUP:
		fprintf(out, " memory cgroup of the anomaly's process");
		break;
	case CFG_ACT_TCPINFO:
		fprintf(out, " TCP state of connections to ports 445 and 2049 (netlink INET_DIAG)");
		break;
	}
	fprintf(out, ", max %llu bytes%s\n", (unsigned long long)a->max_bytes, a->builtin ? "" : " (user)");
}

static void print_upload(const struct cfg_config *cfg, FILE *out)
{
	const struct cfg_upload *u = &cfg->upload;

	fprintf(out, "status file: %s\n", cfg->status_file[0] ? cfg->status_file : "off");
	if (!u->enabled) {
		fprintf(out, "upload: off\n");
		return;
	}
	if (u->dir[0]) {
		fprintf(out, "upload: copy into %s", u->dir);
	} else {
		fprintf(out, "upload: run");
		for (int i = 0; i < u->argc; i++)
			fprintf(out, " %s", u->argv[i]);
	}
	fprintf(out, "; timeout %g s, %u attempts, retry after %g s doubling to %g s, %u at once\n",
		u->timeout_ms / 1000.0, u->max_attempts, u->retry_base_ms / 1000.0, u->retry_max_ms / 1000.0,
		u->max_concurrent);
}

static void print_globals(const struct cfg_config *cfg, FILE *out)
{
	fprintf(out, "config: %s\n", cfg->path);
	fprintf(out, "watch interval: %g s\n", cfg->watch_interval_ms / 1000.0);
	fprintf(out, "output dir: %s\n", cfg->output_dir);
	fprintf(out, "cleanup: every %u s; delete bundles older than %g days (%llu s); keep the total under %g MiB "
		     "(%llu bytes)\n", cfg->cleanup_interval_sec, cfg->max_log_age_sec / 86400.0,
		(unsigned long long)cfg->max_log_age_sec, cfg->max_total_log_bytes / 1048576.0,
		(unsigned long long)cfg->max_total_log_bytes);
	fprintf(out, "bundles: at most %u at once, %u events per manifest\n", cfg->max_concurrent_bundles,
		cfg->manifest_events);
	if (cfg->history_seconds)
		fprintf(out, "history: the last %u s of SMB/NFS completions in every bundle (history.json)\n",
			cfg->history_seconds);
	else
		fprintf(out, "history: off (history_seconds: 0), bundles have no history.json\n");
	fprintf(out, "arena: %u KiB\n", cfg->arena_kb);
	fprintf(out, "traces: %s, removed after %u s\n", cfg->trace_dir, cfg->trace_max_age_sec);
	fprintf(out, "smb attach: %s\n", cfg->smb_attach);
	for (size_t i = 0; i < ARRAY_SIZE(config_facilities); i++)
		if (config_facility_values[i] == cfg->syslog_facility)
			fprintf(out, "syslog facility: %s\n", config_facilities[i]);
	fprintf(out, "metrics: %s%s%s%s\n", cfg->metrics_listen[0] ? "listen " : "",
		cfg->metrics_listen[0] ? cfg->metrics_listen : "no listener",
		cfg->metrics_textfile[0] ? ", textfile " : ", no textfile", cfg->metrics_textfile);
	fprintf(out, "audit: %s\n", cfg->audit ? "on" : "off");
	print_upload(cfg, out);
}

void config_print(const struct cfg_config *cfg, FILE *out)
{
	print_globals(cfg, out);
	for (int i = 0; i < cfg->nanomalies; i++) {
		const struct cfg_anomaly *a = &cfg->anomalies[i];

		static const char *const tnames[] = { "latency", "error", "health", "sockconn", "stall", "reconnect" };

		fprintf(out, "\nanomaly %s/%s (%s%s%s)\n", a->proto, a->name,
			(unsigned)a->type < ARRAY_SIZE(tnames) ? tnames[a->type] : "?",
			a->type != CFG_HEALTH && a->tool[0] ? ", tool " : "", a->type != CFG_HEALTH ? a->tool : "");
		if (a->type == CFG_LATENCY)
			print_latency(a, out);
		else if (a->type == CFG_ERROR)
			print_error(a, out);
		else if (a->type == CFG_HEALTH)
			print_health(a, out);
		else
			print_outage(a, out);
		print_action_list(cfg, "  actions:", a->actions, a->nactions, out);
		if (a->capture && config_find_capture(cfg, a->proto))
			fprintf(out, "  capture: %s, cut into aod_capture_<ts>_%s_%s.tar.zst when this fires\n",
				config_find_capture(cfg, a->proto)->tool, a->proto, a->name);
	}
	if (!cfg->nanomalies)
		fprintf(out, "\nno anomalies configured\n");
	if (cfg->nkmsg_patterns) {
		fprintf(out, "\nkmsg patterns:\n");
		for (int i = 0; i < cfg->nkmsg_patterns; i++)
			fprintf(out, "  %s\n", cfg->kmsg_patterns[i]);
	}
	if (cfg->nwatcher_actions) {
		print_action_list(cfg, "\nwatcher actions:", cfg->watcher_actions, cfg->nwatcher_actions, out);
	}
	fprintf(out, "\naction definitions:\n");
	for (int i = 0; i < cfg->nactions; i++)
		print_action_def(&cfg->actions[i], out);
}

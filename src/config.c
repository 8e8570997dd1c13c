// SPDX-License-Identifier: GPL-2.0-only
/* The config: YAML (both AODv2 layouts plus aod's sections) into struct cfg_config, every error at file:line:col. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>
#include <linux/types.h>
#include <yaml.h>

#include "../bpf/events.h"
#include "arena.h"
#include "array.h"
#include "config_yaml.h"
#include "io.h"
#include "names.h"

#define CONFIG_MAX_BYTES (1u << 20)	/* a config bigger than this is a mistake, not a config */
#define DEFAULT_MAX_BYTES (4ull << 20)
#define DEFAULT_EXEC_TIMEOUT_MS 10000
#define ETC_CONFIG "/etc/aod/aod.yaml"

_Static_assert(NAMES_SMB2_NCMD == CFG_SMB2_NCMD && CFG_SMB2_NCMD == AOD_SMB2_NCMD, "one SMB2 command table");

/* Names that end up in file names (bundle and action logs): keep them plain. */
static bool plain_name(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_' ||
		      *s == '-' || *s == '.'))
			return false;
	return true;
}

/* ---- actions ---- */

struct builtin {
	const char *name;
	enum cfg_action_kind kind;
	const char *path;
	const char *argv[6];
	uint32_t lines;
};

/* AODv2's quick actions keep their names and meaning; the health ones come from issue 4. */
static const struct builtin builtins[] = {
	{ "dmesg", CFG_ACT_KMSG, "", { NULL }, 0 },
	/* systemd.time(7) reads "N seconds ago" since the earliest systemd versions, as AODv2 used it */
	{ "journalctl", CFG_ACT_EXEC, "", { "journalctl", "--no-pager", "--since", "{interval} seconds ago", NULL }, 0 },
	{ "debugdata", CFG_ACT_FILE, "/proc/fs/cifs/DebugData", { NULL }, 0 },
	{ "stats", CFG_ACT_FILE, "/proc/fs/cifs/Stats", { NULL }, 0 },
	{ "mounts", CFG_ACT_FILE, "/proc/mounts", { NULL }, 0 },
	/* every smbinfo query needs a file on a share; like AODv2, record the tool and its query set */
	{ "smbinfo", CFG_ACT_EXEC, "", { "smbinfo", "-h", "filebasicinfo", NULL }, 0 },
	{ "syslogs", CFG_ACT_TAIL, "/var/log/syslog:/var/log/messages", { NULL }, 1000 },
	{ "meminfo", CFG_ACT_FILE, "/proc/meminfo", { NULL }, 0 },
	{ "vmstat", CFG_ACT_FILE, "/proc/vmstat", { NULL }, 0 },
	{ "pressure", CFG_ACT_FILE, "/proc/pressure/*", { NULL }, 0 },
	{ "diskstats", CFG_ACT_FILE, "/proc/diskstats", { NULL }, 0 },
	{ "netstat", CFG_ACT_FILE, "/proc/net/snmp:/proc/net/netstat", { NULL }, 0 },
	{ "loadavg", CFG_ACT_FILE, "/proc/loadavg", { NULL }, 0 },
	{ "interrupts", CFG_ACT_FILE, "/proc/interrupts", { NULL }, 0 },
	{ "ps", CFG_ACT_PS, "", { NULL }, 0 },
	{ "cgroup", CFG_ACT_CGROUP, "", { NULL }, 0 },
	/* what AODv2 ran `ss` for: every sockconn anomaly gets it (parse_outage_body) */
	{ "tcp_conns", CFG_ACT_TCPINFO, "", { NULL }, 0 },
	/* the NFS client's own view, read in-process: per-mount, per-op RPC counts and times; the client's RPC
	 * totals; the servers and volumes it knows. Every NFS anomaly gets them (parse_proto). */
	{ "nfs_mountstats", CFG_ACT_FILE, "/proc/self/mountstats", { NULL }, 0 },
	{ "nfs_rpcstats", CFG_ACT_FILE, "/proc/net/rpc/nfs", { NULL }, 0 },
	{ "nfs_servers", CFG_ACT_FILE, "/proc/fs/nfsfs/servers:/proc/fs/nfsfs/volumes", { NULL }, 0 },
};

static void add_builtins(struct cfg_config *cfg)
{
	for (size_t i = 0; i < ARRAY_SIZE(builtins); i++) {
		struct cfg_action *a = &cfg->actions[cfg->nactions++];
		const struct builtin *b = &builtins[i];

		strcpy(a->name, b->name);
		a->kind = b->kind;
		a->builtin = true;
		strcpy(a->path, b->path);
		for (a->argc = 0; b->argv[a->argc]; a->argc++)
			strcpy(a->argv[a->argc], b->argv[a->argc]);
		a->max_bytes = DEFAULT_MAX_BYTES;
		a->timeout_ms = a->kind == CFG_ACT_EXEC ? DEFAULT_EXEC_TIMEOUT_MS : 0;
		a->lines = b->lines;
	}
}

const struct cfg_capture *config_find_capture(const struct cfg_config *cfg, const char *proto)
{
	for (int i = 0; i < cfg->ncaptures; i++)
		if (!strcmp(cfg->captures[i].proto, proto))
			return &cfg->captures[i];
	return NULL;
}

int config_find_action(const struct cfg_config *cfg, const char *name)
{
	for (int i = 0; i < cfg->nactions; i++)
		if (!strcmp(cfg->actions[i].name, name))
			return i;
	return -ENOENT;
}

static const char *const action_kinds[] = { "file", "kmsg", "exec", "tail" };
static const char *const action_keys[] = { "kind", "path", "argv", "max_bytes", "timeout_sec", "seconds", "lines" };
/* Which of action_keys (after kind) each kind takes, as a bit mask in the same order. */
static const unsigned int kind_keys[] = {
	[CFG_ACT_FILE] = 1 << 1 | 1 << 3,
	[CFG_ACT_KMSG] = 1 << 3 | 1 << 5,
	[CFG_ACT_EXEC] = 1 << 2 | 1 << 3 | 1 << 4,
	[CFG_ACT_TAIL] = 1 << 1 | 1 << 3 | 1 << 6,
};

static void parse_argv(struct ctx *c, struct cfg_action *a, const yaml_node_t *n, const char *path)
{
	char ipath[PATH_LEN];

	int r = want_seq(c, n, path);

	if (r < 0)
		return;
	if (r == 0 || n->data.sequence.items.top == n->data.sequence.items.start) {
		cerr(c, n, "%s must be a non-empty list: the program and its arguments", path);
		return;
	}
	FOR_ITEMS(n, it) {
		yaml_node_t *v = node(c, *it);

		if (a->argc == CFG_MAX_ARGS) {
			cerr(c, v, "%s has too many arguments (at most %d)", path, CFG_MAX_ARGS);
			return;
		}
		bprintf(ipath, sizeof(ipath), "%s[%d]", path, a->argc);
		if (get_str(c, v, ipath, a->argv[a->argc], CFG_ARG_MAX))
			a->argc++;
	}
}

/* Fields of one user action after its kind is known. */
static void parse_action_fields(struct ctx *c, struct cfg_action *a, const yaml_node_t *map, const char *path)
{
	char p[PATH_LEN];
	uint32_t secs;
	yaml_node_t *v;

	for (size_t i = 1; i < ARRAY_SIZE(action_keys); i++) {
		yaml_node_t *k = NULL;

		v = get(c, map, action_keys[i], &k);
		if (v && !(kind_keys[a->kind] & (1u << i)))
			cerr(c, k, "key '%s' does not apply to a %s action (%s)", action_keys[i],
			     action_kinds[a->kind], path);
	}
	join(p, path, "path");
	if ((v = get(c, map, "path", NULL)) && (kind_keys[a->kind] & 1u << 1)) {
		if (get_str(c, v, p, a->path, sizeof(a->path)) && a->path[0] != '/')
			cerr(c, v, "%s must be an absolute path (':' separates alternatives)", p);
	} else if (kind_keys[a->kind] & 1u << 1) {
		cerr(c, map, "missing key 'path' in %s", path);
	}
	join(p, path, "argv");
	if ((v = get(c, map, "argv", NULL)) && a->kind == CFG_ACT_EXEC)
		parse_argv(c, a, v, p);
	else if (a->kind == CFG_ACT_EXEC)
		cerr(c, map, "missing key 'argv' in %s", path);
	join(p, path, "max_bytes");
	if ((v = get(c, map, "max_bytes", NULL)))
		get_uint(c, v, p, 1, 1ull << 32, &a->max_bytes);
	join(p, path, "timeout_sec");
	if ((v = get(c, map, "timeout_sec", NULL)) && get_u32(c, v, p, 1, 3600, &secs))
		a->timeout_ms = secs * 1000;
	join(p, path, "seconds");
	if ((v = get(c, map, "seconds", NULL)))
		get_u32(c, v, p, 0, 86400, &a->seconds);
	join(p, path, "lines");
	if ((v = get(c, map, "lines", NULL)))
		get_u32(c, v, p, 1, 1000000, &a->lines);
}

static void parse_user_action(struct ctx *c, yaml_node_t *k, yaml_node_t *v)
{
	struct cfg_config *cfg = c->cfg;
	const char *name = sval(k);
	struct cfg_action *a;
	char path[PATH_LEN], kpath[PATH_LEN];
	yaml_node_t *kind;
	int i;

	if (!name)
		return;		/* check_keys-like report happened in the caller */
	join(path, "actions", name);
	i = config_find_action(cfg, name);
	if (i >= 0 && cfg->actions[i].builtin) {
		cerr(c, k, "action '%s' is built in; give yours another name", name);
		return;
	}
	if (!plain_name(name) || strlen(name) >= CFG_NAME_MAX) {
		cerr(c, k, "action name '%s' must be at most %d letters, digits, '_', '-' or '.'", name,
		     CFG_NAME_MAX - 1);
		return;
	}
	if (cfg->nactions == CFG_MAX_ACTIONS) {
		cerr(c, k, "too many actions (at most %d, built-in ones included)", CFG_MAX_ACTIONS);
		return;
	}
	if (want_map(c, v, path) <= 0) {
		if (is_empty(v))
			cerr(c, v, "%s needs at least a 'kind'", path);
		return;
	}
	check_keys(c, v, action_keys, ARRAY_SIZE(action_keys), path);
	kind = get(c, v, "kind", NULL);
	if (!kind) {
		cerr(c, k, "missing key 'kind' in %s (file, kmsg, exec or tail)", path);
		return;
	}
	join(kpath, path, "kind");
	if ((i = get_word(c, kind, kpath, "action kind", action_kinds, ARRAY_SIZE(action_kinds))) < 0)
		return;
	a = &cfg->actions[cfg->nactions++];
	strcpy(a->name, name);
	a->kind = (enum cfg_action_kind)i;
	a->max_bytes = DEFAULT_MAX_BYTES;
	a->timeout_ms = a->kind == CFG_ACT_EXEC ? DEFAULT_EXEC_TIMEOUT_MS : 0;
	a->lines = a->kind == CFG_ACT_TAIL ? 1000 : 0;
	parse_action_fields(c, a, v, path);
}

static void parse_user_actions(struct ctx *c, yaml_node_t *n)
{
	char buf[PATH_LEN + 4];

	if (want_map(c, n, "actions") <= 0)
		return;
	FOR_PAIRS(n, p) {
		yaml_node_t *k = node(c, p->key);
		int i;

		if (!sval(k)) {
			cerr(c, k, "keys %s must be scalars, not %s", in_path(buf, "actions"), describe(k));
			continue;
		}
		i = config_find_action(c->cfg, sval(k));
		/* a built-in name is refused with its own message in parse_user_action */
		if (i >= 0 && !c->cfg->actions[i].builtin) {
			cerr(c, k, "duplicate key '%s' in actions", sval(k));
			continue;
		}
		parse_user_action(c, k, node(c, p->value));
	}
}

static bool is_capture_tool(const char *name)
{
	return !strcasecmp(name, "tcpdump") || !strcasecmp(name, "trace-cmd");
}

/* A capture named where only a quick action or a tool fits: say where it belongs. */
static bool refuse_capture_tool(struct ctx *c, const yaml_node_t *n, const char *name)
{
	if (!is_capture_tool(name))
		return false;
	cerr(c, n, "%s is a capture: give it its arguments under an smb or nfs anomaly's actions mapping, "
		   "e.g. %s", name, !strcasecmp(name, "tcpdump") ? "tcpdump: [-C, 2, -W, 100]" : "trace-cmd: [-e, nfs]");
	return true;
}

/* One action reference of an anomaly (or watcher): resolve, refuse duplicates and bare captures. */
static void add_action_ref(struct ctx *c, const yaml_node_t *n, const char *name, const char *path,
			   uint16_t *out, int *nout)
{
	const char *cands[CFG_MAX_ACTIONS], *hint;
	int idx = config_find_action(c->cfg, name);

	if (idx < 0) {
		if (refuse_capture_tool(c, n, name))
			return;
		for (int i = 0; i < c->cfg->nactions; i++)
			cands[i] = c->cfg->actions[i].name;
		hint = names_nearest(name, cands, (size_t)c->cfg->nactions);
		if (hint)
			cerr(c, n, "unknown action '%s' in %s (did you mean '%s'?)", name, path, hint);
		else
			cerr(c, n, "unknown action '%s' in %s (define it under 'actions:')", name, path);
		return;
	}
	for (int i = 0; i < *nout; i++) {
		if (out[i] == idx) {
			cerr(c, n, "duplicate action '%s' in %s", name, path);
			return;
		}
	}
	if (*nout == CFG_MAX_ANOM_ACTIONS) {
		cerr(c, n, "too many actions in %s (at most %d)", path, CFG_MAX_ANOM_ACTIONS);
		return;
	}
	out[(*nout)++] = (uint16_t)idx;
}

/* A list of names (design-doc layout) or a mapping name -> empty (quick) | argument list (capture). */
static void parse_capture(struct ctx *c, const yaml_node_t *k, const yaml_node_t *v, const char *path,
			  struct cfg_anomaly *a);

static void parse_action_refs(struct ctx *c, const yaml_node_t *n, const char *path, uint16_t *out, int *nout,
			      struct cfg_anomaly *a)
{
	if (n->type == YAML_SEQUENCE_NODE) {
		FOR_ITEMS(n, it) {
			yaml_node_t *v = node(c, *it);
			const char *s = want_scalar(c, v, path);

			if (s)
				add_action_ref(c, v, s, path, out, nout);
		}
		return;
	}
	if (n->type != YAML_MAPPING_NODE) {
		if (!is_empty(n))
			cerr(c, n, "%s must be a list of action names or a mapping, not %s", path, describe(n));
		return;
	}
	FOR_PAIRS(n, p) {
		yaml_node_t *k = node(c, p->key), *v = node(c, p->value);
		const char *s = want_scalar(c, k, path);

		if (!s)
			continue;
		if (v->type == YAML_SEQUENCE_NODE) {
			parse_capture(c, k, v, path, a);
			continue;
		}
		if (!is_empty(v)) {
			cerr(c, v, "%s.%s must be empty for a quick action, not %s", path, s, describe(v));
			continue;
		}
		add_action_ref(c, k, s, path, out, nout);
	}
}

/* ---- captures (tcpdump, trace-cmd) ---- */

/* A flag given alone ("-C") or with its value attached ("-C2"), as getopt reads both. */
static bool is_flag(const char *s, const char *flag)
{
	return !strncmp(s, flag, strlen(flag));
}

/* The value after a flag: attached, else the next argument; a positive number, or an error at the flag. */
static void capture_number(struct ctx *c, const yaml_node_t *n, const char *p, const char *flag, const char *attached,
			   const char *next, const char *what)
{
	const char *v = *attached ? attached : next;
	char *end;
	double d;

	if (!v) {
		cerr(c, n, "%s: %s needs %s after it", p, flag, what);
		return;
	}
	errno = 0;
	d = strtod(v, &end);
	/* tcpdump takes -C with a k/m/g suffix since 4.99 */
	if (errno || end == v || !(d > 0) || (*end && !(strchr("kKmMgG", *end) && !end[1])))
		cerr(c, n, "%s: %s needs %s, not '%s'", p, flag, what, v);
}

/* AODv2's rules: aod owns the output (-w, -o); tcpdump rolls (-C and -W), trace-cmd names its events (-e). */
static void check_capture_args(struct ctx *c, const yaml_node_t *k, const yaml_node_t *const *items,
			       const struct cfg_capture *cap, const char *p)
{
	bool tcpdump = !strcmp(cap->tool, "tcpdump"), has_c = false, has_w = false, has_e = false;
	int max = CFG_MAX_ARGS - (tcpdump ? CFG_CAPTURE_TCPDUMP_EXTRA : CFG_CAPTURE_TRACECMD_EXTRA);

	for (int i = 0; i < cap->argc; i++) {
		const char *s = cap->argv[i], *next = i + 1 < cap->argc ? cap->argv[i + 1] : NULL;

		if (tcpdump && (is_flag(s, "-w") || is_flag(s, "--write-file"))) {
			cerr(c, items[i], "%s: '%s' is aod's to give: it writes the capture files under "
					  "<aod_output_dir>/capture/%s; remove it", p, s, cap->proto);
		} else if (!tcpdump && is_flag(s, "-o")) {
			cerr(c, items[i], "%s: '%s' is aod's to give: it extracts the trace under "
					  "<aod_output_dir>/capture/%s; remove it", p, s, cap->proto);
		} else if (tcpdump && is_flag(s, "-C")) {
			has_c = true;
			capture_number(c, items[i], p, "-C", s + 2, next, "a file size in MB");
		} else if (tcpdump && is_flag(s, "-W")) {
			has_w = true;
			capture_number(c, items[i], p, "-W", s + 2, next, "a file count");
		} else if (!tcpdump && is_flag(s, "-e")) {
			has_e = true;
		}
	}
	if (tcpdump && (!has_c || !has_w))
		cerr(c, k, "%s needs -C (file size in MB) and -W (file count) so its files roll instead of filling "
			   "the disk, e.g. [\"-C\", \"2\", \"-W\", \"100\"]", p);
	if (!tcpdump && !has_e)
		cerr(c, k, "%s needs at least one -e EVENT (e.g. [\"-e\", \"nfs\"]): trace-cmd would trace every event", p);
	if (cap->argc > max)
		cerr(c, k, "%s has %d arguments; at most %d fit beside the ones aod adds", p, cap->argc, max);
}

/* tcpdump/trace-cmd with an argument list: one capture per protocol, the same wherever it is listed. */
static void parse_capture(struct ctx *c, const yaml_node_t *k, const yaml_node_t *v, const char *path,
			  struct cfg_anomaly *a)
{
	const yaml_node_t *items[CFG_MAX_ARGS];
	struct cfg_capture cap = { .argc = 0 };
	struct cfg_capture *old;
	const char *tool = sval(k);
	char p[PATH_LEN];
	int nerr = c->nerr;

	join(p, path, tool);
	if (!is_capture_tool(tool)) {
		cerr(c, k, "%s has an argument list, which only the captures tcpdump and trace-cmd take; a quick "
			   "action's value stays empty", p);
		return;
	}
	if (!a || (strcmp(a->proto, "smb") && strcmp(a->proto, "nfs"))) {
		cerr(c, k, "%s: captures run under an smb or nfs anomaly (they filter on port 445 or 2049)", p);
		return;
	}
	bprintf(cap.tool, sizeof(cap.tool), "%s", !strcasecmp(tool, "tcpdump") ? "tcpdump" : "trace-cmd");
	bprintf(cap.proto, sizeof(cap.proto), "%s", a->proto);
	cap.line = (int)k->start_mark.line + 1;
	cap.col = (int)k->start_mark.column + 1;
	FOR_ITEMS(v, it) {
		const yaml_node_t *x = node(c, *it);
		const char *s = want_scalar(c, x, p);

		if (!s)
			continue;
		if (strlen(s) >= CFG_ARG_MAX) {
			cerr(c, x, "%s: argument longer than %d bytes", p, CFG_ARG_MAX - 1);
			continue;
		}
		if (cap.argc == CFG_MAX_ARGS) {
			cerr(c, x, "%s: too many arguments (at most %d)", p, CFG_MAX_ARGS);
			return;
		}
		items[cap.argc] = x;
		bprintf(cap.argv[cap.argc++], CFG_ARG_MAX, "%s", s);
	}
	check_capture_args(c, k, items, &cap, p);
	if (c->nerr != nerr)
		return;
	old = (struct cfg_capture *)config_find_capture(c->cfg, cap.proto);
	if (old) {
		bool same = !strcmp(old->tool, cap.tool) && old->argc == cap.argc;

		for (int i = 0; same && i < cap.argc; i++)
			same = !strcmp(old->argv[i], cap.argv[i]);
		if (!same) {
			cerr(c, k, "%s: one capture runs per protocol, and %s already has %s at line %d:%d; give every "
				   "%s anomaly the same tool and arguments", p, cap.proto, old->tool, old->line, old->col,
			     cap.proto);
			return;
		}
	} else if (c->cfg->ncaptures < CFG_MAX_CAPTURES) {
		c->cfg->captures[c->cfg->ncaptures++] = cap;
	}
	if (a->capture)
		cerr(c, k, "%s: %s already lists a capture", p, path);
	a->capture = true;
}

/* ---- operations (SMB2 commands, NFS procedures, io ops) and error codes ---- */

/* The error code spaces a protocol's rules may name. */
static unsigned int code_spaces(enum names_proto p)
{
	switch (p) {
	case NAMES_SMB: return 1u << NAMES_CODE_NTSTATUS | 1u << NAMES_CODE_ERRNO;
	case NAMES_NFS: return 1u << NAMES_CODE_NFS4 | 1u << NAMES_CODE_NFS3 | 1u << NAMES_CODE_ERRNO;
	default: return 1u << NAMES_CODE_ERRNO;
	}
}

/* An op name of space p, or -1 after an error naming the nearest one. */
static int get_op(struct ctx *c, const yaml_node_t *n, const char *path, enum names_proto p)
{
	const char *s = want_scalar(c, n, path), *hint;
	int id;

	if (!s)
		return -1;
	id = names_op_id(p, s);
	if (id >= 0)
		return id;
	/* the unit AODv2 mixed up: an NFSv4 operation where a client procedure belongs */
	if (p == NAMES_NFS && !strncasecmp(s, "OP_", 3) && names_nfs4_op_value(s) >= 0) {
		cerr(c, n, "'%s' in %s is an NFSv4 operation, not a procedure: error rules list operations under "
			   "track_ops", s, path);
		return -1;
	}
	hint = names_op_nearest(p, s);
	if (hint)
		cerr(c, n, "unknown %s '%s' in %s (did you mean '%s'?)", names_op_what(p), s, path, hint);
	else
		cerr(c, n, "unknown %s '%s' in %s (%s)", names_op_what(p), s, path, names_op_range(p));
	return -1;
}

/* The ops of a list of names; the node of each for later messages. */
static struct cfg_ops parse_op_list(struct ctx *c, const yaml_node_t *n, const char *path, enum names_proto p,
				    const yaml_node_t *where[CFG_MAX_OPS])
{
	struct cfg_ops set = { { 0 } };

	if (want_seq(c, n, path) <= 0)
		return set;
	FOR_ITEMS(n, it) {
		yaml_node_t *v = node(c, *it);
		int id = get_op(c, v, path, p);

		if (id < 0)
			continue;
		if (cfg_ops_has(&set, (unsigned)id)) {
			cerr(c, v, "duplicate %s '%s' in %s (first at line %zu)", names_op_what(p),
			     names_op_name(p, (unsigned)id), path, where[id]->start_mark.line + 1);
			continue;
		}
		cfg_ops_add(&set, (unsigned)id);
		where[id] = v;
	}
	return set;
}

static bool same_code(struct cfg_code a, struct cfg_code b)
{
	return a.space == b.space && a.value == b.value;
}

const char *config_code_name(struct cfg_code code, char *buf, size_t size)
{
	const char *s = names_code_name((enum names_code_space)code.space, code.value);

	if (s)
		return s;
	bprintf(buf, size, code.space == NAMES_CODE_NTSTATUS ? "0x%08X" : code.space == NAMES_CODE_ERRNO ?
		"errno %u" : "nfsstat %u", code.value);
	return buf;
}

/* The code names of the protocol's spaces, or (SMB) an NT status in hex for codes the table lacks. */
static bool get_code(struct ctx *c, const yaml_node_t *n, const char *path, enum names_proto p,
		     struct cfg_code *out)
{
	const char *s = want_scalar(c, n, path), *hint;
	enum names_code_space sp;
	char *end;

	if (!s)
		return false;
	if (!names_code_value(code_spaces(p), s, &sp, &out->value)) {
		out->space = (uint8_t)sp;
		return true;
	}
	if (p == NAMES_SMB && !strncasecmp(s, "0x", 2)) {
		unsigned long v = strtoul(s + 2, &end, 16);

		if (!*end && end != s + 2 && v <= 0xFFFFFFFFul) {
			out->space = NAMES_CODE_NTSTATUS;
			out->value = (uint32_t)v;
			return true;
		}
	}
	hint = names_code_nearest(code_spaces(p), s);
	if (hint)
		cerr(c, n, "unknown error code '%s' in %s (did you mean '%s'?)", s, path, hint);
	else if (p == NAMES_SMB)
		cerr(c, n, "unknown error code '%s' in %s (an NT status such as STATUS_IO_TIMEOUT or an errno "
			   "name such as EIO)", s, path);
	else if (p == NAMES_NFS)
		cerr(c, n, "unknown error code '%s' in %s (an NFS4ERR_* or NFS3ERR_* status such as "
			   "NFS4ERR_BAD_STATEID, or an errno name such as ETIMEDOUT)", s, path);
	else
		cerr(c, n, "unknown error code '%s' in %s (an errno name such as ENOSPC)", s, path);
	return false;
}

struct code_list {
	struct cfg_code codes[CFG_MAX_CODES];
	const yaml_node_t *where[CFG_MAX_CODES];
	int n;
	const yaml_node_t *node;	/* the list itself, NULL when absent */
};

static void parse_code_list(struct ctx *c, const yaml_node_t *n, const char *path, enum names_proto p,
			    struct code_list *l)
{
	char b1[24];

	l->n = 0;
	l->node = n;
	if (!n || want_seq(c, n, path) <= 0)
		return;
	FOR_ITEMS(n, it) {
		yaml_node_t *v = node(c, *it);
		struct cfg_code code;
		int i;

		if (!get_code(c, v, path, p, &code))
			continue;
		for (i = 0; i < l->n && !same_code(l->codes[i], code); i++)
			;
		if (i < l->n) {
			cerr(c, v, "duplicate error code '%s' in %s (first at line %zu)", config_code_name(code, b1, sizeof(b1)),
			     path, l->where[i]->start_mark.line + 1);
			continue;
		}
		if (l->n == CFG_MAX_CODES) {
			cerr(c, v, "too many error codes in %s (at most %d)", path, CFG_MAX_CODES);
			return;
		}
		if ((code.space == NAMES_CODE_NTSTATUS && (code.value == 0 ||
							   code.value == AOD_NT_STATUS_MORE_PROCESSING_REQUIRED)) ||
		    ((code.space == NAMES_CODE_NFS4 || code.space == NAMES_CODE_NFS3) && code.value == 0))
			cwarn(c, v, "%s in %s never counts: it is not an error", sval(v), path);
		l->where[l->n] = v;
		l->codes[l->n++] = code;
	}
}

/* Tracked and excluded codes may not overlap. */
static void check_code_overlap(struct ctx *c, const struct code_list *t, const struct code_list *e,
			       const char *path)
{
	char b[24];

	for (int i = 0; i < e->n; i++)
		for (int j = 0; j < t->n; j++)
			if (same_code(e->codes[i], t->codes[j]))
				cerr(c, e->where[i], "%s is both tracked and excluded in %s",
				     config_code_name(e->codes[i], b, sizeof(b)), path);
}

/* NFS error rules' track_ops: NFSv4 operation names (OP_READ or READ), the op an nfs4_xdr_status error names. */
static void parse_nfs_ops(struct ctx *c, const yaml_node_t *n, const char *path, struct cfg_error_rule *r)
{
	r->nnfs_ops = 0;
	if (want_seq(c, n, path) <= 0)
		return;
	FOR_ITEMS(n, it) {
		yaml_node_t *v = node(c, *it);
		const char *s = want_scalar(c, v, path), *hint;
		int op, i;

		if (!s)
			continue;
		if ((op = names_nfs4_op_value(s)) < 0) {
			if ((hint = names_nfs4_op_nearest(s)))
				cerr(c, v, "unknown NFSv4 operation '%s' in %s (did you mean '%s'?)", s, path, hint);
			else
				cerr(c, v, "unknown NFSv4 operation '%s' in %s (OP_ACCESS .. OP_REMOVEXATTR)", s, path);
			continue;
		}
		for (i = 0; i < r->nnfs_ops && r->nfs_ops[i] != op; i++)
			;
		if (i < r->nnfs_ops) {
			cerr(c, v, "duplicate NFSv4 operation '%s' in %s", names_nfs4_op_name((unsigned)op), path);
			continue;
		}
		if (r->nnfs_ops == CFG_MAX_NFS_OPS) {
			cerr(c, v, "too many NFSv4 operations in %s (at most %d)", path, CFG_MAX_NFS_OPS);
			return;
		}
		r->nfs_ops[r->nnfs_ops++] = (uint16_t)op;
	}
}

/* ---- anomalies ---- */

static const char *const modes[] = { "all", "trackonly", "excludeonly" };
enum { MODE_ALL, MODE_TRACKONLY, MODE_EXCLUDEONLY };

static enum names_proto space_of_proto(const char *proto)
{
	if (!strcmp(proto, "nfs"))
		return NAMES_NFS;
	if (!strcmp(proto, "io"))
		return NAMES_IO;
	return NAMES_SMB;
}

static struct cfg_anomaly *new_anomaly(struct ctx *c, const yaml_node_t *k, const char *name, const char *proto,
				       enum cfg_anomaly_type type)
{
	struct cfg_config *cfg = c->cfg;
	struct cfg_anomaly *a;

	for (int i = 0; i < cfg->nanomalies; i++) {
		/* only a duplicate key can get here, and check_keys has reported it */
		if (!strcmp(cfg->anomalies[i].name, name) && !strcmp(cfg->anomalies[i].proto, proto))
			return NULL;
	}
	if (!plain_name(name) || strlen(name) >= CFG_NAME_MAX) {
		cerr(c, k, "anomaly name '%s' must be at most %d letters, digits, '_', '-' or '.'", name,
		     CFG_NAME_MAX - 1);
		return NULL;
	}
	if (cfg->nanomalies == CFG_MAX_ANOMALIES) {
		cerr(c, k, "too many anomalies (at most %d)", CFG_MAX_ANOMALIES);
		return NULL;
	}
	/* zero already: set_defaults cleared the config without touching its pages, and entries are only
	 * appended; a memset of these 5 KiB faulted in pages that the fields below never reach */
	a = &cfg->anomalies[cfg->nanomalies++];
	bprintf(a->name, sizeof(a->name), "%s", name);
	bprintf(a->proto, sizeof(a->proto), "%s", proto);
	a->space = space_of_proto(proto);
	a->type = type;
	a->line = (int)k->start_mark.line + 1;
	a->col = (int)k->start_mark.column + 1;
	return a;
}

static int get_mode(struct ctx *c, const yaml_node_t *map, const char *path, struct cfg_anomaly *a)
{
	char p[PATH_LEN];
	yaml_node_t *v = get(c, map, "mode", NULL);
	int m = MODE_ALL;

	join(p, path, "mode");
	if (v && (m = get_word(c, v, p, "mode", modes, ARRAY_SIZE(modes))) < 0)
		m = MODE_ALL;
	strcpy(a->mode, modes[m]);
	return m;
}

/* acceptable_count: required where AODv2's own sections always gave it (latency, error), else deflt. */
static bool get_count(struct ctx *c, const yaml_node_t *map, const yaml_node_t *k, const char *path, uint32_t *out,
		      uint32_t deflt)
{
	char p[PATH_LEN];
	yaml_node_t *v = get(c, map, "acceptable_count", NULL);

	if (!v && deflt) {
		*out = deflt;
		return true;
	}
	if (!v) {
		cerr(c, k, "missing key 'acceptable_count' in %s", path);
		return false;
	}
	join(p, path, "acceptable_count");
	return get_u32(c, v, p, 1, 1000000000, out);
}

/* AODv2's tool per protocol and anomaly type; aod's own types (stall, reconnect) take none. */
struct tool {
	const char *proto;
	enum cfg_anomaly_type type;
	const char *name;
};

static const struct tool tools[] = {
	{ "smb", CFG_LATENCY, "smbslower" }, { "smb", CFG_ERROR, "smbiosnoop" }, { "smb", CFG_SOCKCONN, "ss" },
	{ "nfs", CFG_LATENCY, "nfsslower" }, { "nfs", CFG_ERROR, "nfsiosnoop" }, { "nfs", CFG_SOCKCONN, "ss" },
	{ "io", CFG_ERROR, "iosnoop" },
};
static const char *const tool_names[] = { "smbslower", "smbiosnoop", "ss", "nfsslower", "nfsiosnoop", "iosnoop" };

static const struct tool *tool_for(const char *proto, enum cfg_anomaly_type type)
{
	for (size_t i = 0; i < ARRAY_SIZE(tools); i++)
		if (!strcmp(tools[i].proto, proto) && tools[i].type == type)
			return &tools[i];
	return NULL;
}

static const char *measures(enum cfg_anomaly_type type)
{
	return type == CFG_ERROR ? "errors" : type == CFG_SOCKCONN ? "connections" : "latency";
}

/* tool: the one AODv2 names for this protocol and type; captures refused by name. */
static void check_tool(struct ctx *c, const yaml_node_t *map, const char *path, struct cfg_anomaly *a)
{
	const struct tool *want = tool_for(a->proto, a->type);
	yaml_node_t *v = get(c, map, "tool", NULL);
	const char *s;
	char p[PATH_LEN];

	if (!want)
		return;
	strcpy(a->tool, want->name);
	if (!v)
		return;
	join(p, path, "tool");
	if (!(s = want_scalar(c, v, p)) || refuse_capture_tool(c, v, s))
		return;
	if (!strcasecmp(s, want->name))
		return;
	for (size_t i = 0; i < ARRAY_SIZE(tools); i++) {
		if (strcasecmp(s, tools[i].name))
			continue;
		if (!strcmp(tools[i].proto, a->proto))
			cerr(c, v, "%s: tool '%s' does not measure %s; use '%s'", p, s, measures(a->type), want->name);
		else
			cerr(c, v, "%s: tool '%s' watches %s, not %s; use '%s'", p, s, tools[i].proto, a->proto,
			     want->name);
		return;
	}
	get_word(c, v, p, "tool", tool_names, ARRAY_SIZE(tool_names));
}

static bool has_items(const yaml_node_t *n)
{
	if (n->type == YAML_SEQUENCE_NODE)
		return n->data.sequence.items.top > n->data.sequence.items.start;
	if (n->type == YAML_MAPPING_NODE)
		return n->data.mapping.pairs.top > n->data.mapping.pairs.start;
	return false;
}

static void parse_actions_of(struct ctx *c, const yaml_node_t *ak, const yaml_node_t *map, const char *path,
			     struct cfg_anomaly *a)
{
	char p[PATH_LEN];
	yaml_node_t *k = NULL, *v = get(c, map, "actions", &k);

	join(p, path, "actions");
	if (v)
		parse_action_refs(c, v, p, a->actions, &a->nactions, a);
	if (!v || !has_items(v))
		cwarn(c, k ? k : ak, "%s has no actions: its bundles will hold only the manifest", path);
}

/* track_commands items: a name (default threshold) or {command, threshold (ms)}. */
static void parse_track_ops(struct ctx *c, const yaml_node_t *n, const char *path, enum names_proto sp,
			    double deflt_ms, uint64_t thr_ns[CFG_MAX_OPS], struct cfg_ops *set,
			    const yaml_node_t *where[CFG_MAX_OPS])
{
	static const char *const item_keys[] = { "command", "threshold" };

	if (want_seq(c, n, path) <= 0)
		return;
	FOR_ITEMS(n, it) {
		yaml_node_t *v = node(c, *it), *cmdn = v, *thn = NULL;
		double ms = deflt_ms;
		int id;

		if (v->type == YAML_MAPPING_NODE) {
			check_keys(c, v, item_keys, ARRAY_SIZE(item_keys), path);
			if (!(cmdn = get(c, v, "command", NULL))) {
				cerr(c, v, "missing key 'command' in an item of %s", path);
				continue;
			}
			thn = get(c, v, "threshold", NULL);
		} else if (v->type != YAML_SCALAR_NODE) {
			cerr(c, v, "items of %s must be a %s name or {command: NAME, threshold: MS}", path,
			     names_op_what(sp));
			continue;
		}
		if ((id = get_op(c, cmdn, path, sp)) < 0)
			continue;
		if (thn) {
			char p[PATH_LEN + 48];

			bprintf(p, sizeof(p), "threshold of %s", names_op_name(sp, (unsigned)id));
			if (!get_num(c, thn, p, 0, 3600e3, &ms))
				continue;
		}
		if (cfg_ops_has(set, (unsigned)id)) {
			cerr(c, cmdn, "duplicate %s '%s' in %s (first at line %zu)", names_op_what(sp),
			     names_op_name(sp, (unsigned)id), path, where[id]->start_mark.line + 1);
			continue;
		}
		cfg_ops_add(set, (unsigned)id);
		where[id] = cmdn;
		thr_ns[id] = (uint64_t)(ms * 1e6 + 0.5);
	}
}

/* Mode semantics shared by both layouts and every protocol: all / trackonly / excludeonly over its ops. */
static void parse_latency_body(struct ctx *c, struct cfg_anomaly *a, const yaml_node_t *k, const yaml_node_t *map,
			       const char *path)
{
	const yaml_node_t *tw[CFG_MAX_OPS] = { 0 }, *ew[CFG_MAX_OPS] = { 0 };
	yaml_node_t *tk = NULL, *ek = NULL, *tn, *en, *modek = NULL, *v;
	uint64_t thr[CFG_MAX_OPS] = { 0 };
	enum names_proto sp = a->space;
	unsigned int nops = names_op_count(sp);
	struct cfg_ops tracked = { { 0 } }, excluded = { { 0 } };
	double deflt = 10;
	char p[PATH_LEN];
	int mode = get_mode(c, map, path, a);

	get_count(c, map, k, path, &a->acceptable_count, 0);
	join(p, path, "default_threshold_ms");
	if ((v = get(c, map, "default_threshold_ms", NULL)))
		get_num(c, v, p, 0, 3600e3, &deflt);
	join(p, path, "track_commands");
	if ((tn = get(c, map, "track_commands", &tk)))
		parse_track_ops(c, tn, p, sp, deflt, thr, &tracked, tw);
	join(p, path, "exclude_commands");
	if ((en = get(c, map, "exclude_commands", &ek)))
		excluded = parse_op_list(c, en, p, sp, ew);
	for (unsigned int i = 0; i < nops; i++)
		if (cfg_ops_has(&tracked, i) && cfg_ops_has(&excluded, i))
			cerr(c, ew[i], "%s is both tracked and excluded in %s", names_op_name(sp, i), path);
	if (mode == MODE_TRACKONLY && en && has_items(en))
		cwarn(c, ek, "%s.exclude_commands is ignored in mode 'trackonly'", path);
	if (mode == MODE_EXCLUDEONLY && tn && has_items(tn))
		cwarn(c, tk, "%s.track_commands is ignored in mode 'excludeonly'", path);
	for (unsigned int i = 0; i < nops; i++) {
		bool own = mode != MODE_EXCLUDEONLY && cfg_ops_has(&tracked, i);
		bool on = mode == MODE_TRACKONLY ? cfg_ops_has(&tracked, i) : !cfg_ops_has(&excluded, i);

		if (on)
			cfg_ops_add(&a->ops, i);
		a->threshold_ns[i] = !on ? 0 : own ? thr[i] : (uint64_t)(deflt * 1e6 + 0.5);
	}
	get(c, map, "mode", &modek);
	if (cfg_ops_empty(&a->ops))
		cerr(c, modek ? modek : k, "%s resolves to no %s to watch (mode '%s')", path,
		     sp == NAMES_SMB ? "SMB2 command" : names_op_what(sp), a->mode);
	check_tool(c, map, path, a);
	parse_actions_of(c, k, map, path, a);
}

/* One error rule: ops (none = all), codes (none = every code) minus excluded codes, NFSv4 operations. */
static void parse_rule(struct ctx *c, struct cfg_error_rule *r, enum names_proto sp, const yaml_node_t *k,
		       const yaml_node_t *map, const char *path)
{
	const yaml_node_t *cw[CFG_MAX_OPS] = { 0 };
	struct code_list t, e;
	yaml_node_t *v;
	char p[PATH_LEN];

	get_count(c, map, k, path, &r->acceptable_count, 0);
	join(p, path, "track_commands");
	memset(&r->ops, 0, sizeof(r->ops));
	if ((v = get(c, map, "track_commands", NULL)))
		r->ops = parse_op_list(c, v, p, sp, cw);
	if (cfg_ops_empty(&r->ops))
		r->ops = cfg_ops_all(names_op_count(sp));
	join(p, path, "track_errors");
	parse_code_list(c, get(c, map, "track_errors", NULL), p, sp, &t);
	join(p, path, "exclude_errors");
	parse_code_list(c, get(c, map, "exclude_errors", NULL), p, sp, &e);
	check_code_overlap(c, &t, &e, path);
	memcpy(r->codes, t.codes, sizeof(t.codes));
	r->ncodes = t.n;
	memcpy(r->exclude, e.codes, sizeof(e.codes));
	r->nexclude = e.n;
	join(p, path, "track_ops");
	if (sp == NAMES_NFS && (v = get(c, map, "track_ops", NULL)))
		parse_nfs_ops(c, v, p, r);
}

/* Rule keys; track_ops (NFSv4 operation numbers) is NFS's alone, and last so the others can leave it out. */
static const char *const rule_keys[] = { "name", "acceptable_count", "track_commands", "track_errors",
					 "exclude_errors", "track_ops" };

static size_t nkeys_for(enum names_proto sp, size_t n)
{
	return sp == NAMES_NFS ? n : n - 1;
}

static void parse_rules(struct ctx *c, struct cfg_anomaly *a, const yaml_node_t *n, const char *path)
{
	char p[PATH_LEN + 16];

	int ok = want_seq(c, n, path);

	if (ok < 0)
		return;
	if (ok == 0 || !has_items(n)) {
		cerr(c, n, "%s must be a non-empty list of rules", path);
		return;
	}
	FOR_ITEMS(n, it) {
		yaml_node_t *v = node(c, *it), *name;
		struct cfg_error_rule *r;

		bprintf(p, sizeof(p), "%s[%d]", path, (int)(it - n->data.sequence.items.start));
		if (want_map(c, v, p) <= 0) {
			if (is_empty(v))
				cerr(c, v, "%s is empty", p);
			continue;
		}
		check_keys(c, v, rule_keys, nkeys_for(a->space, ARRAY_SIZE(rule_keys)), p);
		if (a->nrules == CFG_MAX_RULES) {
			cerr(c, v, "too many rules in %s (at most %d)", path, CFG_MAX_RULES);
			return;
		}
		r = &a->rules[a->nrules];
		if (!(name = get(c, v, "name", NULL))) {
			cerr(c, v, "missing key 'name' in %s", p);
			continue;
		}
		bprintf(p, sizeof(p), "%s.name", path);
		if (!get_str(c, name, p, r->name, sizeof(r->name)))
			continue;
		for (int i = 0; i < a->nrules; i++) {
			if (!strcmp(a->rules[i].name, r->name)) {
				cerr(c, name, "duplicate rule name '%s' in %s", r->name, path);
				break;
			}
		}
		bprintf(p, sizeof(p), "%s.%s", path, r->name);
		parse_rule(c, r, a->space, name, v, p);
		a->nrules++;
	}
}

/* anomalies.<proto>.error: the flat form is one rule named after the anomaly; `rules:` may not be mixed in. */
static void parse_syscall_attach(struct ctx *c, struct cfg_anomaly *a, const yaml_node_t *x, const char *path);

static void parse_error_body(struct ctx *c, struct cfg_anomaly *a, const yaml_node_t *k, const yaml_node_t *map,
			     const char *path)
{
	static const char *const flat[] = { "acceptable_count", "track_commands", "track_errors", "exclude_errors",
					     "track_ops" };
	yaml_node_t *rules = get(c, map, "rules", NULL), *fk;
	char p[PATH_LEN];

	strcpy(a->mode, "trackonly");
	if (rules) {
		for (size_t i = 0; i < ARRAY_SIZE(flat); i++)
			if (get(c, map, flat[i], &fk))
				cerr(c, fk, "'%s' cannot be mixed with 'rules' in %s: use either the flat form or rules",
				     flat[i], path);
		join(p, path, "rules");
		parse_rules(c, a, rules, p);
	} else {
		bprintf(a->rules[0].name, sizeof(a->rules[0].name), "%s", a->name);
		parse_rule(c, &a->rules[0], a->space, k, map, path);
		a->nrules = 1;
	}
	check_tool(c, map, path, a);
	if (a->space == NAMES_IO && (fk = get(c, map, "attach", NULL))) {
		join(p, path, "attach");
		parse_syscall_attach(c, a, fk, p);
	}
	parse_actions_of(c, k, map, path, a);
}

/* name among a's actions unless it is there already or a's list is full. */
static void add_default_action(const struct cfg_config *cfg, struct cfg_anomaly *a, const char *name)
{
	int idx = config_find_action(cfg, name);

	if (idx < 0 || a->nactions >= CFG_MAX_ANOM_ACTIONS)
		return;
	for (int i = 0; i < a->nactions; i++)
		if (a->actions[i] == idx)
			return;
	a->actions[a->nactions++] = (uint16_t)idx;
}

/* sockconn, stall, reconnect: a count (default 1), stall_ms for stall, actions (sockconn: and tcp_conns). */
static void parse_outage_body(struct ctx *c, struct cfg_anomaly *a, const yaml_node_t *k, const yaml_node_t *map,
			      const char *path)
{
	yaml_node_t *v;
	char p[PATH_LEN];

	get_count(c, map, k, path, &a->acceptable_count, 1);
	if (a->type == CFG_STALL) {
		a->stall_ms = CFG_DEFAULT_STALL_MS;
		join(p, path, "stall_ms");
		if ((v = get(c, map, "stall_ms", NULL)))
			get_u32(c, v, p, 1, 86400000, &a->stall_ms);
	}
	check_tool(c, map, path, a);
	parse_actions_of(c, k, map, path, a);
	if (a->type == CFG_SOCKCONN)
		add_default_action(c->cfg, a, "tcp_conns");
}

/* The anomaly types of anomalies.<proto>, their keys and their parser. */
struct type_desc {
	const char *name;
	enum cfg_anomaly_type type;
	const char *const *keys;
	size_t nkeys;
	void (*parse)(struct ctx *, struct cfg_anomaly *, const yaml_node_t *, const yaml_node_t *, const char *);
};

static const char *const lat_keys[] = { "tool", "mode", "acceptable_count", "default_threshold_ms",
					"track_commands", "exclude_commands", "actions" };
static const char *const err_keys[] = { "tool", "acceptable_count", "track_commands", "track_errors",
					"exclude_errors", "rules", "actions", "track_ops" };
/* io.error: no NFSv4 operations; attach as health.vfs_latency's (the cost rule) */
static const char *const io_err_keys[] = { "tool", "acceptable_count", "track_commands", "track_errors",
					   "exclude_errors", "rules", "actions", "attach" };
static const char *const conn_keys[] = { "tool", "acceptable_count", "actions" };
static const char *const stall_keys[] = { "stall_ms", "acceptable_count", "actions" };
static const char *const reconn_keys[] = { "acceptable_count", "actions" };

static const struct type_desc type_descs[] = {
	{ "latency", CFG_LATENCY, lat_keys, ARRAY_SIZE(lat_keys), parse_latency_body },
	{ "error", CFG_ERROR, err_keys, ARRAY_SIZE(err_keys), parse_error_body },
	{ "sockconn", CFG_SOCKCONN, conn_keys, ARRAY_SIZE(conn_keys), parse_outage_body },
	{ "stall", CFG_STALL, stall_keys, ARRAY_SIZE(stall_keys), parse_outage_body },
	{ "reconnect", CFG_RECONNECT, reconn_keys, ARRAY_SIZE(reconn_keys), parse_outage_body },
};

/* anomalies.<proto>: smb and nfs take every type, io only error. */
static void parse_proto(struct ctx *c, const yaml_node_t *n, const char *proto)
{
	static const char *const nfs_evidence[] = { "nfs_mountstats", "nfs_rpcstats", "nfs_servers" };
	static const char *const all_types[] = { "latency", "error", "sockconn", "stall", "reconnect" };
	static const char *const io_types[] = { "error" };
	bool io = !strcmp(proto, "io");
	const char *const *types = io ? io_types : all_types;
	size_t ntypes = io ? ARRAY_SIZE(io_types) : ARRAY_SIZE(all_types);
	char path[PATH_LEN], p[PATH_LEN];

	join(path, "anomalies", proto);
	if (want_map(c, n, path) <= 0)
		return;
	check_keys(c, n, types, ntypes, path);
	FOR_PAIRS(n, pr) {
		yaml_node_t *k = node(c, pr->key), *v = node(c, pr->value);
		const char *t = sval(k);
		const struct type_desc *td = NULL;
		struct cfg_anomaly *a;

		if (!t || !in_list(t, types, ntypes))
			continue;
		for (size_t i = 0; i < ARRAY_SIZE(type_descs); i++)
			if (!strcmp(type_descs[i].name, t))
				td = &type_descs[i];
		join(p, path, t);
		if (want_map(c, v, p) <= 0) {
			if (is_empty(v) && (td->type == CFG_LATENCY || td->type == CFG_ERROR))
				cerr(c, v, "%s is empty: give at least acceptable_count", p);
			else if (is_empty(v))
				cerr(c, v, "%s is empty: give at least its actions", p);
			continue;
		}
		if (!(a = new_anomaly(c, k, t, proto, td->type)))
			continue;
		if (io)
			check_keys(c, v, io_err_keys, ARRAY_SIZE(io_err_keys), p);
		else
			check_keys(c, v, td->keys, td->type == CFG_ERROR ? nkeys_for(a->space, td->nkeys) : td->nkeys, p);
		td->parse(c, a, k, v, p);
		/* what AODv2 ran nfsstat and read mountstats for, for every NFS anomaly, as tcp_conns for sockconn */
		if (!strcmp(proto, "nfs"))
			for (size_t i = 0; i < ARRAY_SIZE(nfs_evidence); i++)
				add_default_action(c->cfg, a, nfs_evidence[i]);
	}
}

/* The current upstream layout: anomalies.<protocol>.<type>. */
static void parse_anomalies(struct ctx *c, const yaml_node_t *n)
{
	static const char *const protos[] = { "smb", "nfs", "io" };

	if (want_map(c, n, "anomalies") <= 0)
		return;
	check_keys(c, n, protos, ARRAY_SIZE(protos), "anomalies");
	FOR_PAIRS(n, pr) {
		const char *s = sval(node(c, pr->key));

		if (s && in_list(s, protos, ARRAY_SIZE(protos)))
			parse_proto(c, node(c, pr->value), s);
	}
}

/* guardian.anomalies.<name> of type Error: one rule over every command, codes by mode. */
static void parse_guardian_error(struct ctx *c, struct cfg_anomaly *a, const yaml_node_t *k, const yaml_node_t *map,
				 const char *path)
{
	struct cfg_error_rule *r = &a->rules[0];
	struct code_list t, e;
	yaml_node_t *tk = NULL, *ek = NULL, *modek = NULL;
	char p[PATH_LEN];
	int mode = get_mode(c, map, path, a);

	bprintf(r->name, sizeof(r->name), "%s", a->name);
	a->nrules = 1;
	r->ops = cfg_ops_all(names_op_count(a->space));
	if (get_count(c, map, k, path, &r->acceptable_count, 0))
		a->acceptable_count = r->acceptable_count;
	join(p, path, "track_codes");
	parse_code_list(c, get(c, map, "track_codes", &tk), p, a->space, &t);
	join(p, path, "exclude_codes");
	parse_code_list(c, get(c, map, "exclude_codes", &ek), p, a->space, &e);
	check_code_overlap(c, &t, &e, path);
	if (mode == MODE_TRACKONLY && e.n)
		cwarn(c, ek, "%s.exclude_codes is ignored in mode 'trackonly'", path);
	if (mode != MODE_TRACKONLY && t.n)
		cwarn(c, tk, "%s.track_codes is ignored in mode '%s', which counts every code not excluded", path,
		      a->mode);
	if (mode == MODE_TRACKONLY) {
		memcpy(r->codes, t.codes, sizeof(t.codes));
		r->ncodes = t.n;
		get(c, map, "mode", &modek);
		if (!t.n && !(t.node && has_items(t.node)))
			cerr(c, modek ? modek : k, "%s resolves to no error code to watch (mode 'trackonly' needs "
				 "track_codes)", path);
	} else {
		memcpy(r->exclude, e.codes, sizeof(e.codes));
		r->nexclude = e.n;
	}
	check_tool(c, map, path, a);
	parse_actions_of(c, k, map, path, a);
}

/* Keys valid for a guardian anomaly of the other type are ignored with a warning, as AODv2 ignored them. */
static void warn_foreign_keys(struct ctx *c, const yaml_node_t *map, const char *path, bool lat)
{
	static const char *const lat_only[] = { "default_threshold_ms", "track_commands", "exclude_commands" };
	static const char *const err_only[] = { "track_codes", "exclude_codes" };
	const char *const *keys = lat ? err_only : lat_only;
	size_t n = lat ? ARRAY_SIZE(err_only) : ARRAY_SIZE(lat_only);
	yaml_node_t *k;

	for (size_t i = 0; i < n; i++)
		if (get(c, map, keys[i], &k))
			cwarn(c, k, "%s.%s is ignored: it does not apply to a %s anomaly", path, keys[i],
			      lat ? "latency" : "error");
}

/* The design-doc layout: guardian.anomalies.<name> with an explicit type. */
static void parse_guardian(struct ctx *c, const yaml_node_t *n)
{
	static const char *const gkeys[] = { "anomalies" };
	static const char *const akeys[] = { "type", "tool", "mode", "acceptable_count", "default_threshold_ms",
					     "track_commands", "exclude_commands", "track_codes", "exclude_codes",
					     "actions" };
	static const char *const types[] = { "latency", "error" };
	yaml_node_t *an;
	char p[PATH_LEN], tp[PATH_LEN];

	if (want_map(c, n, "guardian") <= 0)
		return;
	check_keys(c, n, gkeys, ARRAY_SIZE(gkeys), "guardian");
	if (!(an = get(c, n, "anomalies", NULL)) || want_map(c, an, "guardian.anomalies") <= 0)
		return;
	FOR_PAIRS(an, pr) {
		yaml_node_t *k = node(c, pr->key), *v = node(c, pr->value), *tn;
		const char *name = want_scalar(c, k, "guardian.anomalies");
		struct cfg_anomaly *a;
		int t;

		if (!name)
			continue;
		join(p, "guardian.anomalies", name);
		if (want_map(c, v, p) <= 0) {
			if (is_empty(v))
				cerr(c, v, "%s is empty: give at least type and acceptable_count", p);
			continue;
		}
		check_keys(c, v, akeys, ARRAY_SIZE(akeys), p);
		if (!(tn = get(c, v, "type", NULL))) {
			cerr(c, k, "missing key 'type' in %s (Latency or Error)", p);
			continue;
		}
		join(tp, p, "type");
		if ((t = get_word(c, tn, tp, "anomaly type", types, ARRAY_SIZE(types))) < 0)
			continue;
		if (!(a = new_anomaly(c, k, name, "smb", t == 0 ? CFG_LATENCY : CFG_ERROR)))
			continue;
		warn_foreign_keys(c, v, p, t == 0);
		if (t == 0)
			parse_latency_body(c, a, k, v, p);
		else
			parse_guardian_error(c, a, k, v, p);
	}
}

/* ---- health ---- */

static const char *const health_keys[] = { "threshold", "acceptable_count", "actions", "patterns", "attach" };
/* Which health_keys each way of detection takes, in the same order (attach: vfs_latency only, checked below). */
static const unsigned int hclass_keys[] = {
	[FAMILY_LATENCY] = 1 | 2 | 4 | 16, [FAMILY_COUNT] = 2 | 4, [FAMILY_IMMEDIATE] = 4, [FAMILY_PATTERNS] = 4 | 8,
};

/*
 * health.vfs_latency.attach and anomalies.io.error.attach: auto (fentry or kprobes; io: fexit) |
 * syscall (also the syscall-level fallback, which taxes every syscall of every task, so it is
 * never chosen unasked).
 */
static void parse_syscall_attach(struct ctx *c, struct cfg_anomaly *a, const yaml_node_t *x, const char *path)
{
	const char *s = want_scalar(c, x, path);

	if (!s)
		return;
	if (!(a->type == CFG_HEALTH && family_table[a->health].syscall_optin) &&
	    !(a->type == CFG_ERROR && a->space == NAMES_IO))
		cerr(c, x, "%s: key 'attach' applies only to health.vfs_latency and anomalies.io.error", path);
	else if (!strcmp(s, "syscall") || !strcmp(s, "auto"))
		a->syscall_level = !strcmp(s, "syscall");
	else
		cerr(c, x, "%s: '%s' is not auto or syscall", path, s);
}

static void parse_patterns(struct ctx *c, const yaml_node_t *n, const char *path)
{
	struct cfg_config *cfg = c->cfg;

	if (want_seq(c, n, path) <= 0)
		return;
	FOR_ITEMS(n, it) {
		yaml_node_t *v = node(c, *it);
		char buf[CFG_ARG_MAX];

		if (!get_str(c, v, path, buf, sizeof(buf)))
			continue;
		for (int i = 0; i < cfg->nkmsg_patterns; i++) {
			if (!strcmp(cfg->kmsg_patterns[i], buf)) {
				cerr(c, v, "duplicate pattern '%s' in %s", buf, path);
				goto next;
			}
		}
		if (cfg->nkmsg_patterns == CFG_MAX_KMSG_PATTERNS) {
			cerr(c, v, "too many patterns in %s (at most %d)", path, CFG_MAX_KMSG_PATTERNS);
			return;
		}
		strcpy(cfg->kmsg_patterns[cfg->nkmsg_patterns++], buf);
next:;
	}
}

static void parse_health_kind(struct ctx *c, enum cfg_health_kind kind, const yaml_node_t *k,
			      const yaml_node_t *v, const char *path)
{
	const struct family *hk = &family_table[kind];
	struct cfg_anomaly *a;
	yaml_node_t *x, *xk;
	char p[PATH_LEN];

	if (want_map(c, v, path) < 0 || !(a = new_anomaly(c, k, hk->key, "health", CFG_HEALTH)))
		return;
	a->health = kind;
	a->threshold = hk->threshold_us;
	a->acceptable_count = hk->count;
	strcpy(a->tool, "aod");
	if (v->type == YAML_MAPPING_NODE) {
		check_keys(c, v, health_keys, ARRAY_SIZE(health_keys), path);
		for (size_t i = 0; i < ARRAY_SIZE(health_keys); i++)
			if (get(c, v, health_keys[i], &xk) && !(hclass_keys[hk->detect] & 1u << i))
				cerr(c, xk, "key '%s' does not apply to %s%s", health_keys[i], path,
				     hk->detect == FAMILY_IMMEDIATE || hk->detect == FAMILY_PATTERNS ?
				     " (it fires on every event)" : "");
		join(p, path, "threshold");
		if ((x = get(c, v, "threshold", NULL)) && hk->detect == FAMILY_LATENCY)
			get_uint(c, x, p, 1, 60000000, &a->threshold);
		join(p, path, "acceptable_count");
		if ((x = get(c, v, "acceptable_count", NULL)) &&
		    (hk->detect == FAMILY_LATENCY || hk->detect == FAMILY_COUNT))
			get_u32(c, x, p, 1, 1000000000, &a->acceptable_count);
		join(p, path, "patterns");
		if ((x = get(c, v, "patterns", NULL)) && hk->detect == FAMILY_PATTERNS)
			parse_patterns(c, x, p);
		join(p, path, "attach");
		if ((x = get(c, v, "attach", NULL)) && hk->detect == FAMILY_LATENCY)
			parse_syscall_attach(c, a, x, p);
	}
	/* counting kinds have no separate threshold: detection may read either field */
	if (hk->detect == FAMILY_COUNT)
		a->threshold = a->acceptable_count;
	join(p, path, "actions");
	if (v->type == YAML_MAPPING_NODE && (x = get(c, v, "actions", NULL))) {
		parse_action_refs(c, x, p, a->actions, &a->nactions, NULL);
		if (!has_items(x))
			cwarn(c, x, "%s has no actions: its bundles will hold only the manifest", path);
	} else {
		for (int i = 0; i < FAMILY_MAX_ACTIONS && hk->actions[i]; i++)
			add_action_ref(c, k, hk->actions[i], p, a->actions, &a->nactions);
	}
}

static void parse_health(struct ctx *c, const yaml_node_t *n)
{
	const char *names[CFG_H_COUNT];
	size_t nnames = 0;
	char p[PATH_LEN];

	if (want_map(c, n, "health") <= 0)
		return;
	for (int f = 0; f < CFG_H_COUNT; f++)
		if (family_table[f].detect != FAMILY_ERRORS)
			names[nnames++] = family_table[f].key;
	check_keys(c, n, names, nnames, "health");
	FOR_PAIRS(n, pr) {
		yaml_node_t *k = node(c, pr->key);
		const char *s = sval(k);

		for (int f = 0; s && f < CFG_H_COUNT; f++) {
			if (family_table[f].detect != FAMILY_ERRORS && !strcmp(s, family_table[f].key)) {
				join(p, "health", s);
				parse_health_kind(c, (enum cfg_health_kind)f, k, node(c, pr->value), p);
			}
		}
	}
}

/* ---- the other sections ---- */

/* host:port with an IP literal or localhost; a bare port means loopback. */
static void parse_listen(struct ctx *c, const yaml_node_t *n, const char *path, char *out, size_t size)
{
	const char *s = want_scalar(c, n, path), *colon;
	char host[64];
	unsigned char addr[16];
	unsigned long port;
	char *end;
	bool v6;

	if (!s)
		return;
	colon = strrchr(s, ':');
	if (!colon) {
		bprintf(host, sizeof(host), "127.0.0.1");
		colon = s - 1;
	} else if ((size_t)(colon - s) >= sizeof(host)) {
		cerr(c, n, "%s: address '%s' is too long", path, s);
		return;
	} else {
		memcpy(host, s, (size_t)(colon - s));
		host[colon - s] = 0;
	}
	port = strtoul(colon + 1, &end, 10);
	if (colon[1] < '0' || colon[1] > '9' || *end || port < 1 || port > 65535) {
		cerr(c, n, "%s must be HOST:PORT or PORT with a port from 1 to 65535, got '%s'", path, s);
		return;
	}
	if (!host[0]) {
		cerr(c, n, "%s '%s' has no host: write 127.0.0.1:%lu, or 0.0.0.0:%lu to listen on every interface",
		     path, s, port, port);
		return;
	}
	if (!strcmp(host, "localhost"))
		strcpy(host, "127.0.0.1");
	v6 = host[0] == '[' && host[strlen(host) - 1] == ']';
	if (v6) {
		memmove(host, host + 1, strlen(host));
		host[strlen(host) - 1] = 0;
	}
	if (inet_pton(v6 ? AF_INET6 : AF_INET, host, addr) != 1) {
		cerr(c, n, "%s: host '%s' must be an IP address (IPv6 in brackets) or localhost", path, host);
		return;
	}
	bprintf(out, size, v6 ? "[%s]:%lu" : "%s:%lu", host, port);
}

static void parse_metrics(struct ctx *c, const yaml_node_t *n)
{
	static const char *const keys[] = { "listen", "textfile" };
	struct cfg_config *cfg = c->cfg;
	yaml_node_t *v;

	if (want_map(c, n, "metrics") <= 0)
		return;
	check_keys(c, n, keys, ARRAY_SIZE(keys), "metrics");
	if ((v = get(c, n, "listen", NULL)) && !is_empty(v))
		parse_listen(c, v, "metrics.listen", cfg->metrics_listen, sizeof(cfg->metrics_listen));
	if ((v = get(c, n, "textfile", NULL)) && !is_empty(v) &&
	    get_str(c, v, "metrics.textfile", cfg->metrics_textfile, sizeof(cfg->metrics_textfile)) &&
	    cfg->metrics_textfile[0] != '/')
		cerr(c, v, "metrics.textfile must be an absolute path");
}

/* capture.packets.ports: {smb: [445, ...], nfs: [2049, ...]}; a protocol not given keeps its default. */
static void parse_packet_ports(struct ctx *c, const yaml_node_t *n, struct cfg_packets *pk)
{
	static const char *const protos[] = { "smb", "nfs" };
	char path[64];

	if (want_map(c, n, "capture.packets.ports") <= 0)
		return;
	check_keys(c, n, protos, ARRAY_SIZE(protos), "capture.packets.ports");
	for (int i = 0; i < 2; i++) {
		yaml_node_t *l = get(c, n, protos[i], NULL);
		int k = 0;

		snprintf(path, sizeof(path), "capture.packets.ports.%s", protos[i]);
		if (!l || want_seq(c, l, path) <= 0)
			continue;
		FOR_ITEMS(l, it) {
			yaml_node_t *item = node(c, *it);
			uint32_t port;

			if (k == CFG_PACKET_PORTS) {
				cerr(c, item, "%s: at most %d ports", path, CFG_PACKET_PORTS);
				break;
			}
			if (get_u32(c, item, path, 1, 65535, &port))
				pk->ports[i][k++] = (uint16_t)port;
		}
		if (k)
			pk->nports[i] = k;
	}
}

/* capture: {packets: {snaplen, memory_kb, ports}}: the built-in packet ring; an empty packets: takes the defaults. */
static void parse_capture_section(struct ctx *c, const yaml_node_t *n)
{
	static const char *const keys[] = { "packets" };
	static const char *const pkeys[] = { "snaplen", "memory_kb", "ports" };
	struct cfg_packets *pk = &c->cfg->packets;
	yaml_node_t *p, *v;

	if (want_map(c, n, "capture") <= 0)
		return;
	check_keys(c, n, keys, ARRAY_SIZE(keys), "capture");
	if (!(p = get(c, n, "packets", NULL)))
		return;
	pk->set = true;
	pk->line = (int)p->start_mark.line + 1;
	pk->col = (int)p->start_mark.column + 1;
	if (is_empty(p) || want_map(c, p, "capture.packets") <= 0)
		return;
	check_keys(c, p, pkeys, ARRAY_SIZE(pkeys), "capture.packets");
	/* at least the SLL, IPv6 and TCP headers; at most what one record of the pcap can say */
	if ((v = get(c, p, "snaplen", NULL)))
		get_u32(c, v, "capture.packets.snaplen", 96, 65535, &pk->snaplen);
	if ((v = get(c, p, "memory_kb", NULL)))
		get_u32(c, v, "capture.packets.memory_kb", 256, 1048576, &pk->memory_kb);
	if ((v = get(c, p, "ports", NULL)))
		parse_packet_ports(c, v, pk);
}

static void parse_cleanup(struct ctx *c, const yaml_node_t *n)
{
	static const char *const keys[] = { "cleanup_interval_sec", "max_log_age_days", "max_total_log_size_mb" };
	struct cfg_config *cfg = c->cfg;
	yaml_node_t *v;
	double d;

	if (want_map(c, n, "cleanup") <= 0)
		return;
	check_keys(c, n, keys, ARRAY_SIZE(keys), "cleanup");
	if ((v = get(c, n, "cleanup_interval_sec", NULL)))
		get_u32(c, v, "cleanup.cleanup_interval_sec", 1, 86400, &cfg->cleanup_interval_sec);
	if ((v = get(c, n, "max_log_age_days", NULL)) && get_num(c, v, "cleanup.max_log_age_days", 0, 36500, &d)) {
		if (d * 86400 < 1)
			cerr(c, v, "cleanup.max_log_age_days must be more than 0, got '%s'", sval(v));
		cfg->max_log_age_sec = (uint64_t)(d * 86400 + 0.5);
		cfg->max_log_age_days = (uint32_t)((cfg->max_log_age_sec + 86399) / 86400);
	}
	if ((v = get(c, n, "max_total_log_size_mb", NULL)) &&
	    get_num(c, v, "cleanup.max_total_log_size_mb", 0, 16777216, &d)) {
		if (d * 1048576 < 1)
			cerr(c, v, "cleanup.max_total_log_size_mb must be more than 0, got '%s'", sval(v));
		cfg->max_total_log_bytes = (uint64_t)(d * 1048576 + 0.5);
	}
}

/* A section with one key, e.g. audit: {enabled}; returns its value node or NULL. */
static yaml_node_t *one_key(struct ctx *c, const yaml_node_t *n, const char *section, const char *key)
{
	const char *keys[] = { key };

	if (want_map(c, n, section) <= 0)
		return NULL;
	check_keys(c, n, keys, 1, section);
	return get(c, n, key, NULL);
}

const char *const config_facilities[CFG_NFACILITIES] = { "daemon", "user", "local0", "local1", "local2", "local3",
						      "local4", "local5", "local6", "local7" };
const int config_facility_values[CFG_NFACILITIES] = { LOG_DAEMON, LOG_USER, LOG_LOCAL0, LOG_LOCAL1, LOG_LOCAL2,
						   LOG_LOCAL3, LOG_LOCAL4, LOG_LOCAL5, LOG_LOCAL6, LOG_LOCAL7 };

static void parse_small_sections(struct ctx *c, const yaml_node_t *root)
{
	static const char *const attach[] = { "auto", "tracepoint", "fentry", "kprobe" };
	struct cfg_config *cfg = c->cfg;
	yaml_node_t *n, *v;
	int i;

	if ((n = get(c, root, "audit", NULL)) && (v = one_key(c, n, "audit", "enabled")))
		get_bool(c, v, "audit.enabled", &cfg->audit);
	if ((n = get(c, root, "memory", NULL)) && (v = one_key(c, n, "memory", "arena_kb"))) {
		get_u32(c, v, "memory.arena_kb", 1024, 1048576, &cfg->arena_kb);
		cfg->arena_line = (int)v->start_mark.line + 1;
		cfg->arena_col = (int)v->start_mark.column + 1;
	}
	if ((n = get(c, root, "syslog", NULL)) && (v = one_key(c, n, "syslog", "facility")) &&
	    (i = get_word(c, v, "syslog.facility", "facility", config_facilities, ARRAY_SIZE(config_facilities))) >= 0)
		cfg->syslog_facility = config_facility_values[i];
	if ((n = get(c, root, "smb", NULL)) && (v = one_key(c, n, "smb", "attach")) &&
	    (i = get_word(c, v, "smb.attach", "attach method", attach, ARRAY_SIZE(attach))) >= 0)
		strcpy(cfg->smb_attach, attach[i]);
	if ((n = get(c, root, "capture", NULL)))
		parse_capture_section(c, n);
	if ((n = get(c, root, "metrics", NULL)))
		parse_metrics(c, n);
	if ((n = get(c, root, "cleanup", NULL)))
		parse_cleanup(c, n);
}

static void parse_globals(struct ctx *c, const yaml_node_t *root)
{
	struct cfg_config *cfg = c->cfg;
	yaml_node_t *v;
	double d;

	if ((v = get(c, root, "watch_interval_sec", NULL)) && get_num(c, v, "watch_interval_sec", 0, 3600, &d)) {
		cfg->watch_interval_ms = (uint32_t)(d * 1000 + 0.5);
		if (!cfg->watch_interval_ms)
			cerr(c, v, "watch_interval_sec must be at least 0.001, got '%s'", sval(v));
		cfg->watch_interval_sec = (cfg->watch_interval_ms + 999) / 1000;
	}
	if ((v = get(c, root, "aod_output_dir", NULL)) &&
	    get_str(c, v, "aod_output_dir", cfg->output_dir, sizeof(cfg->output_dir)) && cfg->output_dir[0] != '/')
		cerr(c, v, "aod_output_dir must be an absolute path, got '%s'", cfg->output_dir);
	if ((v = get(c, root, "max_concurrent_bundles", NULL)))
		get_u32(c, v, "max_concurrent_bundles", 1, CFG_MAX_BUNDLES, &cfg->max_concurrent_bundles);
	if ((v = get(c, root, "manifest_events", NULL)))
		get_u32(c, v, "manifest_events", 1, CFG_MAX_WORST, &cfg->manifest_events);
	if ((v = get(c, root, "history_seconds", NULL)))
		get_u32(c, v, "history_seconds", 0, CFG_HISTORY_MAX_SECONDS, &cfg->history_seconds);
	if ((v = get(c, root, "trace_dir", NULL)) &&
	    get_str(c, v, "trace_dir", cfg->trace_dir, sizeof(cfg->trace_dir)) && cfg->trace_dir[0] != '/')
		cerr(c, v, "trace_dir must be an absolute path, got '%s'", cfg->trace_dir);
	if ((v = get(c, root, "trace_max_age", NULL)))
		get_u32(c, v, "trace_max_age", 1, 365u * 86400u, &cfg->trace_max_age_sec);
}

static void parse_watcher(struct ctx *c, const yaml_node_t *n)
{
	yaml_node_t *v = one_key(c, n, "watcher", "actions");

	if (v)
		parse_action_refs(c, v, "watcher.actions", c->cfg->watcher_actions, &c->cfg->nwatcher_actions, NULL);
}

static void parse_fleet_keys(struct ctx *c, const yaml_node_t *root);

static void parse_root(struct ctx *c, const yaml_node_t *root)
{
	static const char *const keys[] = { "watch_interval_sec", "aod_output_dir", "watcher", "guardian",
					    "anomalies", "cleanup", "audit", "health", "actions", "memory",
					    "metrics", "syslog", "smb", "max_concurrent_bundles", "manifest_events",
					    "history_seconds",
					    "trace_dir", "trace_max_age", "upload", "status_file", "capture" };
	yaml_node_t *n, *gk = NULL, *ak = NULL;

	if (want_map(c, root, "") <= 0)
		return;
	check_keys(c, root, keys, ARRAY_SIZE(keys), "");
	parse_globals(c, root);
	parse_small_sections(c, root);
	parse_fleet_keys(c, root);
	/* user actions first: anomalies refer to them by name wherever they appear in the file */
	if ((n = get(c, root, "actions", NULL)))
		parse_user_actions(c, n);
	if ((n = get(c, root, "watcher", NULL)))
		parse_watcher(c, n);
	if (get(c, root, "guardian", &gk) && get(c, root, "anomalies", &ak)) {
		cerr(c, ak, "'anomalies' and 'guardian' are two layouts of the same thing: use one (guardian at "
			    "line %zu)", gk->start_mark.line + 1);
		return;
	}
	if ((n = get(c, root, "guardian", NULL)))
		parse_guardian(c, n);
	if ((n = get(c, root, "anomalies", NULL)))
		parse_anomalies(c, n);
	if ((n = get(c, root, "health", NULL)))
		parse_health(c, n);
}

/* ---- upload: and status_file (issue 14) ---- */

/* Seconds with a fraction (tests retry after 0.2 s) into ms; at least 1 ms. */
static void get_ms(struct ctx *c, const yaml_node_t *n, const char *path, double max_sec, uint32_t *out)
{
	double d;

	if (!get_num(c, n, path, 0, max_sec, &d))
		return;
	if (d * 1000 < 1) {
		cerr(c, n, "%s must be at least 0.001 seconds, got '%s'", path, sval(n));
		return;
	}
	*out = (uint32_t)(d * 1000 + 0.5);
}

static void parse_upload_command(struct ctx *c, const yaml_node_t *v)
{
	static struct cfg_action tmp;	/* parse_argv's shape; static: 3 KiB off the stack */
	struct cfg_upload *u = &c->cfg->upload;

	memset(&tmp, 0, sizeof(tmp));
	parse_argv(c, &tmp, v, "upload.command");
	memcpy(u->argv, tmp.argv, sizeof(u->argv));
	u->argc = tmp.argc;
	for (int i = 0; i < u->argc; i++)
		if (strstr(u->argv[i], "{bundle}") || strstr(u->argv[i], "{name}"))
			return;
	if (u->argc)
		cerr(c, v, "upload.command never names the bundle: put {bundle} (its path) or {name} (its file name) "
			   "in an argument, e.g. [curl, -fsS, -T, '{bundle}', 'https://host/dir/{name}']");
}

static void parse_upload(struct ctx *c, const yaml_node_t *n)
{
	static const char *const keys[] = { "command", "dir", "timeout_sec", "retry_base_sec", "retry_max_sec",
					    "max_attempts", "max_concurrent" };
	struct cfg_upload *u = &c->cfg->upload;
	yaml_node_t *v, *cmd, *dir;

	if (want_map(c, n, "upload") <= 0)
		return;
	check_keys(c, n, keys, ARRAY_SIZE(keys), "upload");
	cmd = get(c, n, "command", NULL);
	dir = get(c, n, "dir", NULL);
	if (cmd && dir) {
		cerr(c, dir, "upload.command and upload.dir are two ways to ship a bundle: give one");
		return;
	}
	if (!cmd && !dir) {
		cerr(c, n, "upload needs command: [PROGRAM, ARGS...] or dir: PATH");
		return;
	}
	if (cmd)
		parse_upload_command(c, cmd);
	if (dir && get_str(c, dir, "upload.dir", u->dir, sizeof(u->dir)) && u->dir[0] != '/')
		cerr(c, dir, "upload.dir must be an absolute path, got '%s'", u->dir);
	if ((v = get(c, n, "timeout_sec", NULL)))
		get_ms(c, v, "upload.timeout_sec", 86400, &u->timeout_ms);
	if ((v = get(c, n, "retry_base_sec", NULL)))
		get_ms(c, v, "upload.retry_base_sec", 86400, &u->retry_base_ms);
	if ((v = get(c, n, "retry_max_sec", NULL)))
		get_ms(c, v, "upload.retry_max_sec", 7 * 86400, &u->retry_max_ms);
	if ((v = get(c, n, "max_attempts", NULL)))
		get_u32(c, v, "upload.max_attempts", 1, 1000, &u->max_attempts);
	if ((v = get(c, n, "max_concurrent", NULL)))
		get_u32(c, v, "upload.max_concurrent", 1, CFG_UPLOAD_MAX_CONCURRENT, &u->max_concurrent);
	if (u->retry_max_ms < u->retry_base_ms)
		cerr(c, n, "upload.retry_max_sec (%g) must not be below upload.retry_base_sec (%g)",
		     u->retry_max_ms / 1000.0, u->retry_base_ms / 1000.0);
	u->enabled = u->argc > 0 || u->dir[0];
}

static void parse_fleet_keys(struct ctx *c, const yaml_node_t *root)
{
	yaml_node_t *n;

	if ((n = get(c, root, "upload", NULL)))
		parse_upload(c, n);
	if ((n = get(c, root, "status_file", NULL))) {
		/* an empty value turns it off: hosts without a writable /run */
		if (is_empty(n) && n->type == YAML_SCALAR_NODE)
			c->cfg->status_file[0] = 0;
		else if (get_str(c, n, "status_file", c->cfg->status_file, sizeof(c->cfg->status_file)) &&
			 c->cfg->status_file[0] != '/')
			cerr(c, n, "status_file must be an absolute path, got '%s'", c->cfg->status_file);
	}
}

/* ---- loading ---- */

static void set_defaults(struct cfg_config *cfg, const char *name)
{
	/* 340 KiB, mostly tables a config leaves empty: a memset faulted in 85 pages, 0.8 ms of aod run's start */
	arena_zero(cfg, sizeof(*cfg));
	bprintf(cfg->path, sizeof(cfg->path), "%s", name);
	cfg->watch_interval_sec = 1;
	cfg->watch_interval_ms = 1000;
	strcpy(cfg->output_dir, "/var/log/aod");
	strcpy(cfg->trace_dir, "/var/lib/aod/traces");
	cfg->trace_max_age_sec = 3600;
	cfg->cleanup_interval_sec = 60;
	cfg->max_log_age_days = 2;
	cfg->max_log_age_sec = 2 * 86400;
	cfg->max_total_log_bytes = 100ull << 20;
	cfg->max_concurrent_bundles = 4;
	cfg->arena_kb = 5120;
	cfg->packets.snaplen = 256;
	cfg->packets.memory_kb = 4096;
	cfg->packets.ports[0][0] = 445;
	cfg->packets.ports[1][0] = 2049;
	cfg->packets.nports[0] = cfg->packets.nports[1] = 1;
	cfg->syslog_facility = LOG_DAEMON;
	strcpy(cfg->smb_attach, "auto");
	cfg->manifest_events = 16;
	cfg->history_seconds = CFG_HISTORY_DEFAULT_SECONDS;
	cfg->audit = true;		/* AODv2's default */
	cfg->upload.timeout_ms = 300000;
	cfg->upload.retry_base_ms = 30000;		/* AODv2's retry schedule: 30 s doubling to 1 h, 8 tries */
	cfg->upload.retry_max_ms = 3600000;
	cfg->upload.max_attempts = 8;
	cfg->upload.max_concurrent = 2;
	strcpy(cfg->status_file, "/run/aod/status.json");
	add_builtins(cfg);
}

int config_load_buffer(struct cfg_config *cfg, const char *name, const char *buf, size_t len, FILE *diag)
{
	struct ctx c = { .cfg = cfg, .file = name, .diag = diag };
	yaml_parser_t parser;
	yaml_document_t doc, extra;
	int err;

	set_defaults(cfg, name);
	if ((err = check_depth(&c, buf, len)))
		return err;
	if (!yaml_parser_initialize(&parser))
		return -ENOMEM;
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	if (!yaml_parser_load(&parser, &doc)) {
		report_syntax(&c, &parser);
		yaml_parser_delete(&parser);
		return -EINVAL;
	}
	c.doc = &doc;
	if (yaml_document_get_root_node(&doc))
		parse_root(&c, yaml_document_get_root_node(&doc));
	/* a second document would be silently ignored by a reader that takes the first */
	if (!yaml_parser_load(&parser, &extra)) {
		report_syntax(&c, &parser);
	} else {
		if (yaml_document_get_root_node(&extra))
			cerr(&c, yaml_document_get_root_node(&extra), "only one YAML document is allowed");
		yaml_document_delete(&extra);
	}
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	return c.nerr ? -EINVAL : 0;
}

int config_load_file(struct cfg_config *cfg, const char *path, FILE *diag)
{
	/* static, not malloc: a HUP reload runs inside the loop; only the pages a file fills become resident */
	static char buf[CONFIG_MAX_BYTES + 1];
	struct stat st;
	ssize_t got;
	size_t len = 0;
	int fd, err = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		err = -errno;
	} else if (S_ISDIR(st.st_mode)) {
		err = -EISDIR;
	} else if (st.st_size > CONFIG_MAX_BYTES) {
		err = -EFBIG;
	} else {
		/* one byte more than allowed: a /proc-like or FIFO source that grew past its stat size */
		got = io_read_full(fd, buf, CONFIG_MAX_BYTES + 1);
		if (got < 0)
			err = (int)got;
		else if ((len = (size_t)got) > CONFIG_MAX_BYTES)
			err = -EFBIG;
	}
	if (fd >= 0)
		close(fd);
	if (err) {
		if (diag)
			fprintf(diag, "aod: unable to read config %s: %s\n", path, strerror(-err));
		return err;
	}
	return config_load_buffer(cfg, path, buf, len, diag);
}

static int load_chain(struct cfg_config *cfg, const char *cli_path, const char *env_path, const char *etc_path,
		      FILE *diag)
{
	if (cli_path)
		return config_load_file(cfg, cli_path, diag);
	if (env_path && *env_path)
		return config_load_file(cfg, env_path, diag);
	if (etc_path && access(etc_path, F_OK) == 0)
		return config_load_file(cfg, etc_path, diag);
	return config_load_buffer(cfg, "<embedded>", config_default_yaml, config_default_yaml_len, diag);
}

int config_load_default_chain(struct cfg_config *cfg, const char *cli_path, FILE *diag)
{
	return load_chain(cfg, cli_path, getenv("AOD_CONFIG"), ETC_CONFIG, diag);
}

/* ---- aod check-config ---- */

int config_check_arena(const struct cfg_config *cfg, size_t need, FILE *diag)
{
	unsigned long long min_kb = (need + 1023) / 1024;
	bool history_set = cfg->history_seconds > CFG_HISTORY_DEFAULT_SECONDS;

	if ((uint64_t)cfg->arena_kb * 1024 >= need)
		return 0;
	if (cfg->arena_line)
		fprintf(diag, "%s:%d:%d: ", cfg->path, cfg->arena_line, cfg->arena_col);
	else
		fprintf(diag, "%s: ", cfg->path);
	fprintf(diag, "memory.arena_kb %u is too small: bundle collection with max_concurrent_bundles %u%s%s needs "
		"at least %llu KiB; raise memory.arena_kb to %llu or more, or lower max_concurrent_bundles%s\n",
		cfg->arena_kb, cfg->max_concurrent_bundles, cfg->ncaptures ? " and the captures" : "",
		history_set ? " and history_seconds" : "", min_kb, min_kb, history_set ? " or history_seconds" : "");
	return -EINVAL;
}

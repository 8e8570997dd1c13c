/* SPDX-License-Identifier: GPL-2.0-only */
/* The effective configuration: what config.c builds from YAML and what every other module reads. */
#ifndef AOD_CONFIG_H
#define AOD_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <limits.h>

#include "family.h"
#include "names.h"

#define CFG_SMB2_NCMD 20	/* SMB2 commands 0..19 (NEGOTIATE .. SERVER_TO_CLIENT_NOTIFICATION) */
#define CFG_NFS_NOPS NAMES_NFS_NOPS	/* NFSv4 procedures 0..68, then NFSv3 procedures 69..90 */
#define CFG_MAX_OPS 128		/* room in a per-protocol op table: the largest space is NFS's 91 */
#define CFG_MAX_NFS_OPS 16	/* NFSv4 operation numbers one error rule may name */
#define CFG_DEFAULT_STALL_MS 5000
#define CFG_NAME_MAX 64
#define CFG_MAX_BUNDLES 16		/* ceiling of max_concurrent_bundles */
#define CFG_HISTORY_DEFAULT_SECONDS 30	/* history_seconds: history.json's window */
#define CFG_HISTORY_MAX_SECONDS 300
#define CFG_MAX_WORST 16		/* ceiling of manifest_events: worst-N events kept per anomaly */
#define CFG_MAX_ANOMALIES 32
#define CFG_MAX_ANOM_ACTIONS 24
#define CFG_MAX_RULES 8
#define CFG_MAX_CODES 24
#define CFG_MAX_ACTIONS 48	/* built-in + user-defined action definitions */
#define CFG_MAX_ARGS 16
#define CFG_ARG_MAX 160
#define CFG_MAX_KMSG_PATTERNS 16
#define CFG_PACKET_PORTS 8	/* capture.packets.ports: TCP ports per protocol the packet ring filters on */
#define CFG_MAX_CAPTURES 2	/* one rolling capture per protocol: smb, nfs */
#define CFG_CAPTURE_NAME_MAX 160	/* aod_capture_<ts>_<proto>_<anomaly>.tar.zst */
#define CFG_CAPTURES_PER_REQ CFG_MAX_CAPTURES
#define CFG_CAPTURE_LINKS 4	/* capture bundles one quick bundle names (a repeat anomaly may add a cut) */

enum cfg_action_kind {
	CFG_ACT_FILE,		/* capped internal cat of a file (or every file matching a glob) */
	CFG_ACT_KMSG,		/* /dev/kmsg, last `seconds` */
	CFG_ACT_EXEC,		/* fork+execve argv with timeout; skipped with a note if argv[0] is missing */
	CFG_ACT_TAIL,		/* last `lines` lines of the first existing path in `path` (':'-separated) */
	CFG_ACT_PS,		/* internal process snapshot */
	CFG_ACT_CGROUP,		/* memory cgroup of the anomaly's pid */
	CFG_ACT_TCPINFO,	/* TCP state (srtt, cwnd, ...) of connections to the SMB/NFS ports, from INET_DIAG */
};

struct cfg_action {
	char name[CFG_NAME_MAX];
	enum cfg_action_kind kind;
	bool builtin;
	char path[CFG_ARG_MAX];			/* FILE, TAIL */
	char argv[CFG_MAX_ARGS][CFG_ARG_MAX];	/* EXEC; "{interval}" is replaced by the watch interval */
	int argc;
	uint64_t max_bytes;			/* cap on what is kept, every kind */
	uint32_t timeout_ms;			/* EXEC */
	uint32_t seconds;			/* KMSG window; 0 = watch interval */
	uint32_t lines;				/* TAIL */
};

/* upload: how each finished bundle leaves the host (a command, or an atomic copy into a directory). */
struct cfg_upload {
	bool enabled;				/* command or dir given */
	char argv[CFG_MAX_ARGS][CFG_ARG_MAX];	/* "{bundle}" (its path) and "{name}" are substituted */
	int argc;
	char dir[PATH_MAX];
	uint32_t timeout_ms;			/* per attempt; default 300 s */
	uint32_t retry_base_ms;			/* first retry delay, doubled per attempt; default 30 s */
	uint32_t retry_max_ms;			/* cap of the delay; default 1 h */
	uint32_t max_attempts;			/* then the bundle is marked failed; default 8 */
	uint32_t max_concurrent;		/* uploads at once; default 2 */
};

#define CFG_UPLOAD_MAX_CONCURRENT 8

enum cfg_anomaly_type {
	CFG_LATENCY, CFG_ERROR, CFG_HEALTH,
	CFG_SOCKCONN,		/* the set of established connections to the protocol's port changed */
	CFG_STALL,		/* a request pending longer than stall_ms */
	CFG_RECONNECT,		/* the client reported a reconnect */
};

/* A set of operations of one protocol's space (see names.h): bit i = op i. */
struct cfg_ops {
	uint64_t w[CFG_MAX_OPS / 64];
};

static inline bool cfg_ops_has(const struct cfg_ops *s, unsigned int i)
{
	return i < CFG_MAX_OPS && (s->w[i / 64] >> (i % 64) & 1);
}

static inline void cfg_ops_add(struct cfg_ops *s, unsigned int i)
{
	if (i < CFG_MAX_OPS)
		s->w[i / 64] |= 1ull << (i % 64);
}

/* Ops 0..n-1, every op of a space of n. */
static inline struct cfg_ops cfg_ops_all(unsigned int n)
{
	struct cfg_ops s = { { 0 } };

	for (unsigned int i = 0; i < n && i < CFG_MAX_OPS; i++)
		cfg_ops_add(&s, i);
	return s;
}

static inline bool cfg_ops_empty(const struct cfg_ops *s)
{
	for (unsigned int i = 0; i < CFG_MAX_OPS / 64; i++)
		if (s->w[i])
			return false;
	return true;
}

static inline bool cfg_ops_equal(const struct cfg_ops *a, const struct cfg_ops *b)
{
	for (unsigned int i = 0; i < CFG_MAX_OPS / 64; i++)
		if (a->w[i] != b->w[i])
			return false;
	return true;
}

/* One error code a rule tracks, in its space: an errno (positive), NT status, nfsstat4 or nfsstat3. */
struct cfg_code {
	uint8_t space;			/* enum names_code_space */
	uint32_t value;
};

struct cfg_error_rule {
	char name[CFG_NAME_MAX];
	uint32_t acceptable_count;
	struct cfg_ops ops;		/* the protocol's ops that count; all of them when none listed */
	struct cfg_code codes[CFG_MAX_CODES];	/* empty = every error code */
	int ncodes;
	struct cfg_code exclude[CFG_MAX_CODES];
	int nexclude;
	uint16_t nfs_ops[CFG_MAX_NFS_OPS];	/* NFS: NFSv4 operation numbers (OP_*) an error must name; none = any */
	int nnfs_ops;
};

/* Latency kinds measure time (thresholds in us, worst in ns); the others count occurrences. */
static inline bool cfg_health_is_latency(enum cfg_health_kind k)
{
	return (unsigned)k < CFG_H_COUNT && family_table[k].detect == FAMILY_LATENCY;
}

struct cfg_anomaly {
	char name[CFG_NAME_MAX];	/* "latency", "error", or the guardian key; health: "sched_latency" ... */
	enum cfg_anomaly_type type;
	char proto[8];			/* "smb", "nfs", "io" or "health" */
	enum names_proto space;		/* whose op names ops, threshold_ns and rules index (not for health) */
	char tool[32];
	uint32_t acceptable_count;
	/* CFG_LATENCY: per-op threshold in ns, indexed by the op's id in `space`; ops says which are tracked. */
	uint64_t threshold_ns[CFG_MAX_OPS];
	struct cfg_ops ops;
	uint32_t stall_ms;		/* CFG_STALL: a request pending this long fires */
	/* CFG_ERROR: independent rules (the flat form becomes one rule named after the anomaly). */
	struct cfg_error_rule rules[CFG_MAX_RULES];
	int nrules;
	/* CFG_HEALTH */
	enum cfg_health_kind health;
	uint64_t threshold;		/* us for latencies, count otherwise */
	bool syscall_level;		/* vfs_latency, io.error attach: syscall: hooks that tax every syscall allowed */
	char mode[16];			/* CFG_LATENCY/CFG_ERROR: "all", "trackonly" or "excludeonly" (as configured) */
	/* indices into cfg_config.actions */
	uint16_t actions[CFG_MAX_ANOM_ACTIONS];
	int nactions;
	bool capture;			/* lists its protocol's capture (tcpdump/trace-cmd): a cut belongs to it */
	int line, col;			/* where it was declared, for messages */
};

/* A rolling capture as AODv2 writes it under an anomaly's actions: `tcpdump: [-C, 2, -W, 100]`.
 * argv holds the user's arguments only; capture.c adds the binary, interface, output and port filter. */
struct cfg_capture {
	char proto[8];			/* "smb" or "nfs" */
	char tool[16];			/* "tcpdump" or "trace-cmd" */
	char argv[CFG_MAX_ARGS][CFG_ARG_MAX];
	int argc;
	int line, col;			/* where it was first given */
};

/* capture.packets: the built-in packet ring (pktring.c), used for the tcpdump captures when it is given,
 * or when tcpdump is not there. */
struct cfg_packets {
	bool set;			/* capture.packets given: the ring replaces tcpdump */
	uint32_t snaplen;		/* bytes kept per packet, the 16-byte SLL header included; default 256 */
	uint32_t memory_kb;		/* per protocol: the kernel's ring and the hold ring; default 4096 */
	uint16_t ports[2][CFG_PACKET_PORTS];	/* [0] smb (default 445), [1] nfs (default 2049) */
	int nports[2];
	int line, col;
};

struct cfg_config {
	char path[PATH_MAX];		/* "<embedded>" for the built-in default */
	uint32_t watch_interval_sec;	/* default 1; rounded up when the YAML gives a fraction */
	uint32_t watch_interval_ms;	/* the exact interval (AODv2 accepts e.g. 0.5); prefer this one */
	char output_dir[PATH_MAX];	/* default /var/log/aod */
	uint32_t cleanup_interval_sec;	/* default 60 */
	uint32_t max_log_age_days;	/* default 2; rounded up when the YAML gives a fraction */
	uint64_t max_log_age_sec;	/* the exact age limit (AODv2 accepts e.g. 0.25 days); prefer this one */
	uint64_t max_total_log_bytes;	/* from max_total_log_size_mb (float allowed) */
	bool audit;
	uint32_t max_concurrent_bundles;	/* default 4 */
	uint32_t arena_kb;		/* memory.arena_kb, default 4096 */
	int arena_line, arena_col;	/* where memory.arena_kb was given; 0 when defaulted */
	char metrics_listen[64];	/* "" = off */
	char metrics_textfile[PATH_MAX];
	int syslog_facility;		/* LOG_DAEMON by default */
	char trace_dir[PATH_MAX];	/* trace_dir: where `aod trace --save` writes; default /var/lib/aod/traces */
	uint32_t trace_max_age_sec;	/* trace_max_age (seconds): older traces are removed; default 3600 */
	char smb_attach[16];		/* smb.attach: auto|tracepoint|fentry|kprobe */
	uint32_t manifest_events;	/* worst N events kept in a manifest, default 16 */
	uint32_t history_seconds;	/* history.json: seconds of SMB/NFS completions kept, 0 = off */
	struct cfg_action actions[CFG_MAX_ACTIONS];
	int nactions;
	struct cfg_anomaly anomalies[CFG_MAX_ANOMALIES];
	int nanomalies;
	char kmsg_patterns[CFG_MAX_KMSG_PATTERNS][CFG_ARG_MAX];
	int nkmsg_patterns;
	/* watcher.actions of the design-doc layout: what a snapshot collects when given (indices into actions) */
	uint16_t watcher_actions[CFG_MAX_ANOM_ACTIONS];
	int nwatcher_actions;
	struct cfg_capture captures[CFG_MAX_CAPTURES];
	int ncaptures;
	struct cfg_packets packets;
	struct cfg_upload upload;
	char status_file[PATH_MAX];	/* status_file: written each watch interval; "" = off */
};

/* Where a diagnostic goes; config_load prints `file:line:col: message` lines into it. */
int config_load_file(struct cfg_config *cfg, const char *path, FILE *diag);
int config_load_buffer(struct cfg_config *cfg, const char *name, const char *buf, size_t len, FILE *diag);
/* -c, then $AOD_CONFIG, then /etc/aod/aod.yaml, then the embedded default. */
int config_load_default_chain(struct cfg_config *cfg, const char *cli_path, FILE *diag);
/* The effective thresholds, rules, actions and limits, as `aod check-config` prints them. */
void config_print(const struct cfg_config *cfg, FILE *out);
int config_find_action(const struct cfg_config *cfg, const char *name);
/* The capture of a protocol ("smb", "nfs"), or NULL. */
const struct cfg_capture *config_find_capture(const struct cfg_config *cfg, const char *proto);
/* Arguments tcpdump gets besides the user's (at most): binary, -iany, -Zroot, -wFILE, "port N".
 * trace-cmd: binary and the subcommand. The config refuses captures that would not fit in CFG_MAX_ARGS. */
#define CFG_CAPTURE_TCPDUMP_EXTRA 5
#define CFG_CAPTURE_TRACECMD_EXTRA 2
/* Whether detection reports this anomaly's worst value as a count, not a latency in ns. */
static inline bool config_worst_is_count(const struct cfg_anomaly *an)
{
	return an && ((an->type == CFG_HEALTH && !cfg_health_is_latency(an->health)) || an->type == CFG_SOCKCONN ||
		      (an->type == CFG_ERROR && an->space == NAMES_IO) ||	/* a failed io op has no latency */
		      an->type == CFG_RECONNECT);
}
/* A status code's name, or its number in the space's notation when the name tables lack it. */
const char *config_code_name(struct cfg_code code, char *buf, size_t size);
/* syslog.facility: the names the config takes and their LOG_* values, index for index. */
#define CFG_NFACILITIES 10
extern const char *const config_facilities[CFG_NFACILITIES];
extern const int config_facility_values[CFG_NFACILITIES];
/* -EINVAL, with a message naming memory.arena_kb and the minimum, when the arena is smaller than need bytes. */
int config_check_arena(const struct cfg_config *cfg, size_t need, FILE *diag);

extern const char config_default_yaml[];
extern const unsigned long config_default_yaml_len;

#endif /* AOD_CONFIG_H */

// SPDX-License-Identifier: GPL-2.0-only
/* manifest.json: the anomaly, its worst events, each action's result, probe counters and host facts. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* sched_getaffinity, CPU_COUNT */
#endif
#include "manifest.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "family.h"
#include "json.h"
#include "names.h"
#include "tcp_state.h"
/* build.sh generates version.h; a hand-built unit test has none and says "dev". */
#if defined(__has_include)
#if __has_include("version.h")
#include "version.h"
#endif
#endif
#ifndef AOD_VERSION
#define AOD_VERSION "dev"
#endif

uint32_t manifest_event_pid(const struct detect_anomaly *det)
{
	const union detect_event *ev;

	if (!det || det->nworst < 1)
		return 0;
	ev = &det->worst_events[0];
	/* For an OOM the header is whoever allocated; the bundle is about the victim. */
	if (ev->h.kind == AOD_EV_OOM && ev->h.size >= sizeof(struct aod_ev_oom)) {
		const struct aod_ev_oom *o = (const void *)ev->raw;

		if (o->victim_pid)
			return o->victim_pid;
	}
	return ev->h.pid;
}

static void iso8601(char *out, size_t cap, int64_t wall_ns)
{
	time_t sec = (time_t)(wall_ns / 1000000000ll);
	struct tm tm;

	gmtime_r(&sec, &tm);
	snprintf(out, cap, "%04d-%02d-%02dT%02d:%02d:%02d.%09lldZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (long long)(wall_ns % 1000000000ll));
}

static void json_comm(struct json *j, const char *key, const char *comm)
{
	json_strn(j, key, comm, strnlen(comm, AOD_COMM_LEN));
}

static void json_hex32(struct json *j, const char *key, uint32_t v)
{
	char tmp[16];

	snprintf(tmp, sizeof(tmp), "0x%08x", v);
	json_str(j, key, tmp);
}

static void ev_smb(struct json *j, const struct aod_ev_smb *e)
{
	const char *cmd = names_smb2_cmd_name(e->cmd);

	json_str(j, "command", cmd ? cmd : "unknown");
	json_u64(j, "command_id", e->cmd);
	json_u64(j, "mid", e->mid);
	json_u64(j, "sesid", e->sesid);
	json_u64(j, "tid", e->tid);
	json_fixed(j, "latency_ms", e->latency_ns, 6);
	json_hex32(j, "status", e->status);
	json_str(j, "status_name", e->status ? names_ntstatus_name(e->status) : "STATUS_SUCCESS");
	json_i64(j, "rc", e->rc);
	json_str(j, "errno", names_rc_errno_name(e->rc));
	json_bool(j, "error", e->flags & AOD_SMB_ERR);
}

/* One NFS RPC or status error: the procedure by name, its version and xid, where the time went, the status. */
static void ev_nfs(struct json *j, const struct aod_ev_nfs *e)
{
	const char *proc = names_nfs_proc_name(e->vers, e->proc);
	const char *op = e->op == AOD_NFS_NO_OP ? NULL : names_nfs4_op_name(e->op);
	enum names_code_space sp = e->vers == 3 ? NAMES_CODE_NFS3 : NAMES_CODE_NFS4;

	json_str(j, "proc", proc ? proc : "unknown");
	json_u64(j, "proc_id", e->proc);
	json_u64(j, "vers", e->vers);
	json_u64(j, "prog", e->prog);
	json_hex32(j, "xid", e->xid);
	json_u64(j, "client_id", e->client_id);
	json_u64(j, "latency_ns", e->latency_ns);
	json_fixed(j, "latency_ms", e->latency_ns, 6);
	/* queued on the client against network plus server: which side to look at */
	json_bool(j, "split", e->flags & AOD_NFS_SPLIT);
	if (e->flags & AOD_NFS_SPLIT) {
		json_u64(j, "queue_ns", e->queue_ns);
		json_fixed(j, "queue_ms", e->queue_ns, 6);
		json_u64(j, "rtt_ns", e->rtt_ns);
		json_fixed(j, "rtt_ms", e->rtt_ns, 6);
	}
	if (e->op != AOD_NFS_NO_OP) {
		json_str(j, "op", op ? op : "unknown");
		json_u64(j, "op_id", e->op);
	}
	json_u64(j, "nfs_status", e->nfs_status);
	json_str(j, "nfs_status_name", names_code_name(sp, e->nfs_status));
	json_i64(j, "rpc_status", e->rpc_status);
	json_str(j, "errno", names_rc_errno_name(e->rpc_status));
	json_bool(j, "error", (e->flags & AOD_NFS_ERR) || e->rpc_status < 0);
}

/* A request still pending: what it is, how long it has waited, who sent it (the header) and to where. */
static void ev_stall(struct json *j, const struct aod_ev_stall *e, bool has_host)
{
	const char *name = e->proto == AOD_STALL_NFS ? names_nfs_proc_name(e->vers, e->cmd) : names_smb2_cmd_name(e->cmd);

	json_str(j, "proto", e->proto == AOD_STALL_NFS ? "nfs" : "smb");
	json_str(j, e->proto == AOD_STALL_NFS ? "proc" : "command", name ? name : "unknown");
	json_u64(j, e->proto == AOD_STALL_NFS ? "proc_id" : "command_id", e->cmd);
	json_u64(j, "age_ns", e->age_ns);
	json_fixed(j, "age_ms", e->age_ns, 6);
	json_u64(j, "stalled", e->count);
	if (e->proto == AOD_STALL_NFS) {
		json_u64(j, "vers", e->vers);
		json_hex32(j, "xid", (uint32_t)e->mid);
		json_u64(j, "client_id", e->tree);
		if (has_host && e->host[0])
			json_strn(j, "server", e->host, strnlen(e->host, sizeof(e->host)));
	} else {
		json_u64(j, "mid", e->mid);
		json_u64(j, "sesid", e->sesid);
		json_u64(j, "tid", e->tree);
	}
}

_Static_assert(AOD_RECONN_NWHAT == NAMES_RECONN_NWHAT, "names.c names every reconnect kind");

/* What the client said about its connection, to which server, and whether it counted as a reconnect. */
static void ev_reconnect(struct json *j, const struct aod_ev_reconnect *e)
{
	const char *what = names_reconn_what(e->what);
	const char *proc = names_nfs_proc_name(e->vers, e->proc);

	json_str(j, "proto", e->proto == AOD_STALL_NFS ? "nfs" : "smb");
	json_str(j, "what", what ? what : "unknown");
	json_u64(j, "what_id", e->what);
	json_bool(j, "loss", AOD_RECONN_LOSS_MASK >> (e->what & 31) & 1);
	json_strn(j, "server", e->host, strnlen(e->host, sizeof(e->host)));
	json_u64(j, "port", e->port);
	json_u64(j, e->what == AOD_RECONN_SMB_SES_EXPIRED ? "sesid" : "conn_id", e->conn_id);
	if (e->rc) {
		json_i64(j, "rc", e->rc);
		json_str(j, "errno", names_rc_errno_name(e->rc));
	}
	if (e->what == AOD_RECONN_SMB_SES_EXPIRED) {
		proc = names_smb2_cmd_name(e->proc);
		json_str(j, "command", proc ? proc : "unknown");
	} else if (e->what == AOD_RECONN_NFS_DISCONNECT) {
		json_u64(j, "waiting", e->waiting);
	} else if (e->what == AOD_RECONN_NFS_RETRANSMIT) {
		json_str(j, "proc", proc ? proc : "unknown");
		json_u64(j, "vers", e->vers);
		json_hex32(j, "xid", e->xid);
	}
}

static void ev_addr(struct json *j, const char *key, unsigned family, const uint8_t *a)
{
	char tmp[INET6_ADDRSTRLEN];

	if (!inet_ntop(family == AF_INET6 ? AF_INET6 : AF_INET, a, tmp, sizeof(tmp)))
		snprintf(tmp, sizeof(tmp), "?");
	json_str(j, key, tmp);
}

/* A connection's two ends: saddr, sport, daddr, dport (tcp retransmits and sockconn alike). */
static void ev_ends(struct json *j, const struct aod_conn_ends *c)
{
	ev_addr(j, "saddr", c->family, c->saddr);
	json_u64(j, "sport", c->sport);
	ev_addr(j, "daddr", c->family, c->daddr);
	json_u64(j, "dport", c->dport);
}

/* The latency families: sched, bio, vfs. */
static void ev_latency(struct json *j, const union detect_event *ev)
{
	const void *r = ev->raw;

	switch (ev->h.kind) {
	case AOD_EV_SCHED: {
		const struct aod_ev_sched *e = r;

		json_fixed(j, "latency_ms", e->latency_ns, 6);
		json_u64(j, "prev_pid", e->prev_pid);
		json_comm(j, "prev_comm", e->prev_comm);
		json_u64(j, "prio", e->prio);
		break;
	}
	case AOD_EV_BIO: {
		static const char *const ops[] = { "read", "write", "flush", "discard", "other" };
		const struct aod_ev_bio *e = r;
		char dev[24];

		snprintf(dev, sizeof(dev), "%u:%u", e->major, e->minor);
		json_fixed(j, "latency_ms", e->latency_ns, 6);
		json_str(j, "device", dev);
		json_str(j, "op", e->op < 5 ? ops[e->op] : "other");
		json_u64(j, "sector", e->sector);
		json_u64(j, "bytes", e->bytes);
		json_i64(j, "error", e->error);
		break;
	}
	case AOD_EV_VFS: {
		const struct aod_ev_vfs *e = r;

		json_fixed(j, "latency_ms", e->latency_ns, 6);
		json_str(j, "op", e->op == AOD_VFS_WRITE ? "write" : "read");
		json_i64(j, "result", e->bytes);
		json_str(j, "measured", e->method == AOD_VFS_M_SYSCALL ? "syscall" : "vfs");
		break;
	}
	}
}

/* The counted families: oom, tcp, drops, faults, kmsg; sockconn and io errors. */
static void ev_counted(struct json *j, const union detect_event *ev)
{
	const void *r = ev->raw;

	switch (ev->h.kind) {
	case AOD_EV_OOM: {
		const struct aod_ev_oom *e = r;

		json_u64(j, "victim_pid", e->victim_pid);
		json_comm(j, "victim_comm", e->victim_comm);
		json_u64(j, "victim_uid", e->victim_uid);
		json_u64(j, "total_vm_kb", e->total_vm_kb);
		json_u64(j, "anon_rss_kb", e->anon_rss_kb);
		json_u64(j, "file_rss_kb", e->file_rss_kb);
		json_u64(j, "shmem_rss_kb", e->shmem_rss_kb);
		json_i64(j, "oom_score_adj", e->oom_score_adj);
		break;
	}
	case AOD_EV_TCP_RETRANS: {
		const struct aod_ev_tcp *e = r;

		ev_ends(j, &e->ends);
		json_u64(j, "state", e->state);
		break;
	}
	case AOD_EV_DROP: {
		const struct aod_ev_drop *e = r;

		json_u64(j, "reason", e->reason);
		json_hex32(j, "protocol", e->protocol);
		json_u64(j, "location", e->location);
		break;
	}
	case AOD_EV_FAULT: {
		const struct aod_ev_fault *e = r;

		json_u64(j, "address", e->address);
		json_u64(j, "count", e->count);
		json_str(j, "measured", e->method == AOD_FAULT_M_VMSTAT ? "vmstat" : "fexit");
		break;
	}
	case AOD_EV_SOCKCONN: {
		const struct aod_ev_sockconn *e = r;

		json_str(j, "protocol", e->proto == NAMES_NFS ? "nfs" : "smb");
		ev_ends(j, &e->ends);
		json_str(j, "old_state", tcp_state_name(e->oldstate));
		json_str(j, "new_state", tcp_state_name(e->newstate));
		json_str(j, "change", e->newstate == 1 ? "came" : e->oldstate == 1 ? "went" : "failed");
		json_str(j, "measured", e->method == AOD_SOCKCONN_M_PROC ? "/proc/net/tcp" : "inet_sock_set_state");
		break;
	}
	case AOD_EV_IOERR: {
		const struct aod_ev_ioerr *e = r;
		const char *op = names_op_name(NAMES_IO, e->op);

		json_str(j, "op", op ? op : "unknown");
		json_u64(j, "op_id", e->op);
		json_str(j, "errno", names_kernel_errno_name(e->err));
		json_i64(j, "errno_value", e->err);
		json_i64(j, "fd", e->fd);
		json_u64(j, "ino", e->ino);
		if (e->method == AOD_IOERR_M_SYSCALL)
			json_u64(j, "syscall_nr", e->syscall_nr);
		json_str(j, "measured", e->method == AOD_IOERR_M_SYSCALL ? "syscall" : "vfs");
		break;
	}
	case AOD_EV_KMSG: {
		const struct aod_ev_kmsg *e = r;

		json_u64(j, "seq", e->seq);
		json_u64(j, "level", e->level);
		json_strn(j, "text", e->text, strnlen(e->text, sizeof(e->text)));
		break;
	}
	}
}

/* What the share of an SMB/NFS record is called, where the daemon could tell; nothing when it could not. */
static void ev_names(struct json *j, const struct shares_name *n)
{
	if (!n)
		return;
	if (n->share[0])
		json_str(j, "share", n->share);
	if (n->server[0])
		json_str(j, "server", n->server);
	if (n->user[0])
		json_str(j, "user", n->user);
	if (n->mount[0])
		json_str(j, "mount", n->mount);
	if (n->candidates[0])
		json_str(j, "share_candidates", n->candidates);
}

void manifest_write_event(struct json *j, const union detect_event *ev, const struct detect_anomaly *d)
{
	int s = d ? shares_tally_find(&d->shares, &ev->h) : -1;

	json_obj_begin(j, NULL);
	json_u64(j, "kind", ev->h.kind);
	json_u64(j, "ts_ns", ev->h.ts_ns);
	json_u64(j, "pid", ev->h.pid);
	json_u64(j, "thread_id", ev->h.tid);	/* "tid" is the SMB tree id */
	json_comm(j, "comm", ev->h.comm);
	json_u64(j, "cpu", ev->h.cpu);
	/* A record shorter than its kind's struct is shown with its header only. */
	if (ev->h.kind == AOD_EV_SMB && ev->h.size >= sizeof(struct aod_ev_smb))
		ev_smb(j, &ev->smb);
	else if (ev->h.kind == AOD_EV_NFS && ev->h.size >= sizeof(struct aod_ev_nfs))
		ev_nfs(j, &ev->nfs);
	else if (ev->h.kind == AOD_EV_STALL && ev->h.size >= AOD_EV_STALL_MIN_SIZE)
		ev_stall(j, &ev->stall, ev->h.size >= sizeof(struct aod_ev_stall));
	else if (ev->h.kind == AOD_EV_RECONNECT && ev->h.size >= sizeof(struct aod_ev_reconnect))
		ev_reconnect(j, &ev->reconn);
	else if (cfg_health_is_latency((enum cfg_health_kind)family_of_event(ev->h.kind)))
		ev_latency(j, ev);
	else if (ev->h.kind != AOD_EV_SMB && ev->h.kind != AOD_EV_NFS && ev->h.kind != AOD_EV_STALL &&
		 ev->h.kind != AOD_EV_RECONNECT)
		ev_counted(j, ev);
	ev_names(j, s >= 0 ? &d->share_names[s] : NULL);
	json_obj_end(j);
}

static const char *anomaly_type(const struct cfg_anomaly *an)
{
	if (!an)
		return "system";
	if (an->type == CFG_LATENCY)
		return "latency";
	if (an->type == CFG_ERROR)
		return "error";
	if (an->type == CFG_SOCKCONN)
		return "sockconn";
	if (an->type == CFG_STALL)
		return "stall";
	if (an->type == CFG_RECONNECT)
		return "reconnect";
	return (unsigned)an->health < CFG_H_COUNT ? family_table[an->health].key : "health";
}

/* The summary: per share, how many events counted and the worst (latency or age), most first. */
static void write_shares(struct json *j, const struct detect_anomaly *d)
{
	const struct shares_tally *t = d ? &d->shares : NULL;

	if (!t || (!t->n && !t->other_count))
		return;
	json_arr_begin(j, "shares");
	for (uint32_t i = 0; i < t->n && i < SHARES_MAX; i++) {
		json_obj_begin(j, NULL);
		json_str(j, "name", shares_label(&d->share_names[i]));
		ev_names(j, &d->share_names[i]);
		if (t->e[i].key.proto == NAMES_NFS) {
			json_u64(j, "client_id", t->e[i].key.tree);
			json_u64(j, "vers", t->e[i].key.vers);
		} else {
			json_u64(j, "sesid", t->e[i].key.sesid);
			json_u64(j, "tid", t->e[i].key.tree);
		}
		json_u64(j, "count", t->e[i].count);
		json_fixed(j, "worst_ms", t->e[i].worst, 6);
		json_obj_end(j);
	}
	if (t->other_count) {
		json_obj_begin(j, NULL);
		json_str(j, "name", "other");
		json_u64(j, "count", t->other_count);
		json_fixed(j, "worst_ms", t->other_worst, 6);
		json_obj_end(j);
	}
	json_arr_end(j);
}

static void write_anomaly(struct json *j, const struct manifest_input *in)
{
	const struct detect_anomaly *d = in->det;
	const struct cfg_anomaly *an = in->anom;
	char when[48];
	int i, n;

	json_obj_begin(j, "anomaly");
	json_str(j, "proto", in->proto);
	json_str(j, "name", in->anomaly);
	json_str(j, "type", anomaly_type(an));
	json_str(j, "rule", d && an && d->rule >= 0 && d->rule < an->nrules ? an->rules[d->rule].name : NULL);
	json_u64(j, "count", d ? d->count : 0);
	if (config_worst_is_count(an)) {
		json_u64(j, "worst_count", d ? d->worst : 0);
	} else {
		json_u64(j, "worst_ns", d ? d->worst : 0);
		json_fixed(j, "worst_ms", d ? d->worst : 0, 6);
	}
	json_bool(j, "emergency", d && d->emergency);
	/* of count, the events an at-once bundle of the same window holds: left out of this one */
	json_u64(j, "already_bundled", d ? d->bundled : 0);
	json_u64(j, "coalesced", in->coalesced);
	iso8601(when, sizeof(when), in->wall_ns);
	json_str(j, "detected_at", when);
	json_i64(j, "detected_at_ns", in->wall_ns);
	json_u64(j, "detected_mono_ns", d ? d->ts_ns : in->start_ns);
	json_arr_begin(j, "events");
	n = d ? d->nworst : 0;
	if (in->max_events && (uint32_t)n > in->max_events)
		n = (int)in->max_events;
	for (i = 0; i < n && i < DETECT_MAX_WORST; i++)
		manifest_write_event(j, &d->worst_events[i], d);
	json_arr_end(j);
	write_shares(j, d);
	json_obj_end(j);
}

static void write_actions(struct json *j, const struct manifest_input *in)
{
	const struct act_result *r;
	char file[CFG_NAME_MAX + 8];
	int i;

	json_arr_begin(j, "actions");
	for (i = 0; i < in->nacts; i++) {
		r = in->acts[i].res;
		json_obj_begin(j, NULL);
		json_str(j, "name", in->acts[i].name);
		json_str(j, "kind", actions_kind_name(in->acts[i].kind));
		json_str(j, "status", actions_status_name(r->status));
		if (in->acts[i].kind == CFG_ACT_EXEC) {
			if (r->exit_code >= 0)
				json_i64(j, "exit_code", r->exit_code);
			else
				json_null(j, "exit_code");
			if (r->signal)
				json_i64(j, "signal", r->signal);
			else
				json_null(j, "signal");
			if (r->killed)
				json_u64(j, "killed", r->killed);
		}
		json_u64(j, "bytes", r->bytes);
		json_fixed(j, "duration_ms", r->end_ns > r->start_ns ? r->end_ns - r->start_ns : 0, 6);
		json_str(j, "note", r->note[0] ? r->note : NULL);
		snprintf(file, sizeof(file), "%s.log", in->acts[i].name);
		json_str(j, "file", file);
		json_obj_end(j);
	}
	json_arr_end(j);
}

static void write_probe(struct json *j, const struct collect_probe_info *p)
{
	json_obj_begin(j, "probes");
	json_str(j, "smb_method", p && p->smb_method[0] ? p->smb_method : "unknown");
	json_str(j, "nfs_method", p && p->nfs_method[0] ? p->nfs_method : "not running");
	json_u64(j, "nfs_lost", p ? p->nfs_lost : 0);
	json_u64(j, "events_total", p ? p->events_total : 0);
	json_u64(j, "ringbuf_full", p ? p->ringbuf_full : 0);
	json_u64(j, "map_full", p ? p->map_full : 0);
	json_u64(j, "expired", p ? p->expired : 0);
	json_str(j, "health_methods", p && p->health_methods[0] ? p->health_methods : "not running");
	json_u64(j, "health_lost", p ? p->health_lost : 0);
	json_u64(j, "kmsg_lost", p ? p->kmsg_lost : 0);
	json_obj_end(j);
}

/* A small /proc or /sys file's first line, without its newline. */
static void first_line(const char *path, char *out, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, out, cap - 1) : -1;

	if (fd >= 0)
		close(fd);
	out[n > 0 ? n : 0] = '\0';
	out[strcspn(out, "\n")] = '\0';
}

/* Online CPUs from the kernel's "0-3,6" list; sysconf may allocate on some libcs. */
static unsigned long online_cpus(void)
{
	char buf[256], *p = buf;
	unsigned long n = 0, a, b;
	cpu_set_t set;

	first_line("/sys/devices/system/cpu/online", buf, sizeof(buf));
	while (*p) {
		a = strtoul(p, &p, 10);
		b = *p == '-' ? strtoul(p + 1, &p, 10) : a;
		n += b >= a ? b - a + 1 : 0;
		if (*p != ',')
			break;
		p++;
	}
	if (!n && sched_getaffinity(0, sizeof(set), &set) == 0)
		n = (unsigned long)CPU_COUNT(&set);
	return n;
}

static void write_host(struct json *j)
{
	struct utsname u;
	struct timespec ts;
	char boot_id[64];

	json_obj_begin(j, "host");
	if (uname(&u) == 0) {
		json_str(j, "nodename", u.nodename);
		json_str(j, "release", u.release);
		json_str(j, "version", u.version);
		json_str(j, "machine", u.machine);
	}
	first_line("/proc/sys/kernel/random/boot_id", boot_id, sizeof(boot_id));
	json_str(j, "boot_id", boot_id[0] ? boot_id : NULL);
	clock_gettime(CLOCK_BOOTTIME, &ts);
	json_u64(j, "uptime_s", (uint64_t)ts.tv_sec);
	json_u64(j, "nproc", online_cpus());
	json_u64(j, "aod_pid", (uint64_t)getpid());
	json_obj_end(j);
}

int manifest_build(char *buf, size_t cap, const struct manifest_input *in)
{
	struct json j;

	json_init(&j, buf, cap);
	json_obj_begin(&j, NULL);
	json_u64(&j, "manifest_version", 1);
	json_str(&j, "aod_version", AOD_VERSION);
	json_str(&j, "bundle", in->bundle);
	write_anomaly(&j, in);
	write_actions(&j, in);
	json_str(&j, "history", in->history ? "history.json" : NULL);
	if (in->ncaptures > 0) {
		json_arr_begin(&j, "capture_bundles");
		for (int i = 0; i < in->ncaptures; i++)
			json_str(&j, NULL, in->captures[i]);
		json_arr_end(&j);
	}
	write_probe(&j, in->probe);
	write_host(&j);
	json_obj_end(&j);
	return json_finish(&j);
}

// SPDX-License-Identifier: GPL-2.0-only
/* The NFS event source: the sunrpc/nfs row of the module source (modsrc.c), its BTF checks, filter and decoder. */
#include "nfs_source.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "modsrc.h"
#include "nfs.skel.h"

enum nfs_method { NFS_M_TP_BTF, NFS_M_RAW_TP, NFS_M_FENTRY, NFS_M_KPROBE, NFS_M_COUNT };

static const char *const nfs_label[NFS_M_COUNT] = {
	"tracepoint (tp_btf)", "tracepoint (raw_tp)", "fentry", "kprobe",
};
static const char *const nfs_short[NFS_M_COUNT] = { "tp_btf", "raw_tp", "fentry", "kprobe" };
static const char *const nfs_kind[NFS_M_COUNT] = { "tracepoint", "tracepoint", "fentry", "kprobe" };

#define NFS_MAX_CODES 32	/* bpf/nfs.bpf.c NFS_MAX_CODES */
#define NFS_MAX_OPS 16
#define NFS_ROW_SLOTS 128	/* bpf/nfs.bpf.c: the row-indexed globals, a power of two */
#define NFS_ERR_WORDS (NFS_ROW_SLOTS / 32)

struct nfs_filter {
	uint64_t thr_ns[NFS_SOURCE_ROWS];	/* UINT64_MAX: latency not tracked */
	uint32_t err_rows[NFS_ERR_WORDS];
	uint32_t err_all;
	uint32_t n_status, status[NFS_MAX_CODES];	/* NFS3ERR_* and NFS4ERR_* values, one set */
	uint32_t n_errno;
	int32_t errnos[NFS_MAX_CODES];
	uint32_t n_op, op[NFS_MAX_OPS];		/* NFSv4 ops, when every error rule names some */
};

/* What the sunrpc, nfs and nfsv4 BTF offer. */
struct nfs_btf_facts {
	bool tp_latency;	/* btf_trace_rpc_stats_latency */
	bool tp_xdr;		/* btf_trace_nfs_xdr_status */
	bool tp_xdr4;		/* btf_trace_nfs4_xdr_status (nfsv4 loaded, with BTF) */
	bool v4_loaded;		/* nfsv4 live: its raw tracepoint can be attached */
	bool task_struct;	/* struct rpc_task: CO-RE for every method */
	bool exit_fn;		/* rpc_exit_task not inlined */
	bool tp_begin;		/* btf_trace_rpc_task_begin and _end: RPCs in flight, for stalls */
	bool exec_fn;		/* rpc_execute not inlined: fentry/kprobe's start of an RPC */
	bool tp_reconn;		/* xprt_disconnect_force, rpc_socket_state_change, xprt_retransmit */
	bool btf;		/* sunrpc (or vmlinux) BTF was found at all */
};

/* bpf/nfs.bpf.c struct nfs_pending */
struct nfs_pending_val {
	uint64_t ts, xprt;
	uint32_t pid, thread, clid;
	uint16_t proc, vers;
	char comm[AOD_COMM_LEN];
};
_Static_assert(sizeof(struct nfs_pending_val) == 48, "nfs pending value layout");

struct nfs_source {
	struct modsrc m;	/* first: the callbacks get back here with a cast */
	struct nfs_filter f;
	struct nfs_btf_facts k;
	bool with_v4;		/* the attached programs include the nfs4_xdr_status hook */
	bool stall;		/* ... the RPC start and end hooks (the pending map is filled) */
	bool reconn;		/* ... the transport's reconnect hooks */
	ring_buffer_sample_fn cb;
	void *ctx;
};

_Static_assert(sizeof(((struct nfs_bpf__bss *)0)->thr_ns) == sizeof(uint64_t) * NFS_ROW_SLOTS, "rows");
_Static_assert(NFS_SOURCE_ROWS <= NFS_ROW_SLOTS, "row space");
_Static_assert(sizeof(((struct nfs_bpf__bss *)0)->err_rows) == sizeof(uint32_t) * NFS_ERR_WORDS, "err rows");
_Static_assert(sizeof(((struct nfs_bpf__bss *)0)->err_status) == sizeof(uint32_t) * NFS_MAX_CODES, "codes");
_Static_assert(sizeof(((struct nfs_bpf__bss *)0)->err_op) == sizeof(uint32_t) * NFS_MAX_OPS, "ops");
_Static_assert(sizeof(((struct nfs_bpf__bss *)0)->err_errno) == sizeof(int32_t) * NFS_MAX_CODES, "errnos");
_Static_assert(NFS_SOURCE_HIST_BUCKETS == MODSRC_HIST_BUCKETS, "histogram layout");
_Static_assert(NFS_SOURCE_HIST_SLOTS == MODSRC_HIST_SLOTS, "histogram row layout");
_Static_assert(CFG_NFS_NOPS == NFS_SOURCE_ROWS - 1, "rows are the config's NFS op space plus other");

unsigned nfs_source_row(unsigned vers, unsigned proc)
{
	if (vers == 4 && proc < NFS_SOURCE_V4_PROCS)
		return proc;
	if (vers == 3 && proc < NFS_SOURCE_V3_PROCS)
		return NFS_SOURCE_V4_PROCS + proc;
	return NFS_SOURCE_ROWS - 1;
}

void nfs_source_row_id(unsigned row, unsigned *vers, unsigned *proc)
{
	*vers = row < NFS_SOURCE_V4_PROCS ? 4 : row < NFS_SOURCE_ROWS - 1 ? 3 : 0;
	*proc = row < NFS_SOURCE_V4_PROCS ? row : row < NFS_SOURCE_ROWS - 1 ? row - NFS_SOURCE_V4_PROCS : row;
}

/* ---- the filter ---- */

static void add_value(uint32_t *set, uint32_t *n, uint32_t max, uint32_t v, uint32_t *overflow)
{
	for (uint32_t i = 0; i < *n; i++)
		if (set[i] == v)
			return;
	if (*n >= max)
		*overflow = 1;	/* too many to list: let all through, detection filters */
	else
		set[(*n)++] = v;
}

static void nfs_filter_rule(struct nfs_filter *f, const struct cfg_error_rule *r, uint32_t *any_op)
{
	for (int row = 0; row < CFG_NFS_NOPS && row < NFS_SOURCE_ROWS - 1; row++)
		if (cfg_ops_has(&r->ops, (unsigned)row))
			f->err_rows[row / 32] |= 1u << (row % 32);
	if (r->ncodes == 0)
		f->err_all = 1;
	for (int k = 0; k < r->ncodes; k++) {
		const struct cfg_code *c = &r->codes[k];

		if (c->space == NAMES_CODE_NFS4 || c->space == NAMES_CODE_NFS3)
			add_value(f->status, &f->n_status, NFS_MAX_CODES, c->value, &f->err_all);
		else if (c->space == NAMES_CODE_ERRNO)
			add_value((uint32_t *)f->errnos, &f->n_errno, NFS_MAX_CODES, c->value, &f->err_all);
	}
	if (r->nnfs_ops == 0)
		*any_op = 1;
	for (int k = 0; k < r->nnfs_ops; k++)
		add_value(f->op, &f->n_op, NFS_MAX_OPS, r->nfs_ops[k], any_op);
}

/*
 * The in-kernel floors from the config: per procedure the lowest threshold
 * of the nfs latency anomalies that track it; for errors, the union of the
 * rules' procedures, codes and NFSv4 ops (excludes are left to detection).
 * Rows are the config's NFS op space: v4 procedures, then v3's.
 */
static void nfs_filter_from_config(struct nfs_filter *f, const struct cfg_config *cfg)
{
	uint32_t any_op = 0;	/* a rule without ops, or more ops than the kernel lists: no op filter */

	memset(f, 0, sizeof(*f));
	for (int r = 0; r < NFS_SOURCE_ROWS; r++)
		f->thr_ns[r] = UINT64_MAX;
	for (int i = 0; i < cfg->nanomalies; i++) {
		const struct cfg_anomaly *a = &cfg->anomalies[i];

		if (strcmp(a->proto, "nfs") != 0)
			continue;
		for (int r = 0; a->type == CFG_LATENCY && r < CFG_NFS_NOPS && r < NFS_SOURCE_ROWS - 1; r++)
			if (cfg_ops_has(&a->ops, (unsigned)r) && a->threshold_ns[r] < f->thr_ns[r])
				f->thr_ns[r] = a->threshold_ns[r];
		for (int r = 0; a->type == CFG_ERROR && r < a->nrules; r++)
			nfs_filter_rule(f, &a->rules[r], &any_op);
	}
	if (any_op)
		f->n_op = 0;
}

static void nfs_filter_apply(const struct nfs_filter *f, struct nfs_bpf *skel)
{
	struct nfs_bpf__bss *b = skel->bss;

	memcpy(b->err_status, f->status, sizeof(b->err_status));
	memcpy(b->err_op, f->op, sizeof(b->err_op));
	memcpy(b->err_errno, f->errnos, sizeof(b->err_errno));
	b->n_errno = f->n_errno;
	b->n_status = f->n_status;
	b->n_op = f->n_op;
	b->err_all_codes = f->err_all;
	memcpy(b->err_rows, f->err_rows, sizeof(b->err_rows));
	/* one 64-bit store per row: a row is tracked at its threshold or not at all */
	for (int r = 0; r < NFS_ROW_SLOTS; r++)
		__atomic_store_n(&b->thr_ns[r], r < NFS_SOURCE_ROWS ? f->thr_ns[r] : UINT64_MAX, __ATOMIC_RELEASE);
}

/* ---- what the modules' BTF says ---- */

static bool has(const struct btf *b, const char *name, int kind)
{
	return b && btf__find_by_name_kind(b, name, kind) > 0;
}

/* No I/O: a unit test can hand it synthetic BTF.  sunrpc/nfs may be built in: vml is searched too. */
static void nfs_btf_facts(const struct btf *vml, const struct btf *sunrpc, const struct btf *nfs,
			  const struct btf *nfs4, bool v4_loaded, struct nfs_btf_facts *k)
{
	memset(k, 0, sizeof(*k));
	k->tp_latency = has(sunrpc, "btf_trace_rpc_stats_latency", BTF_KIND_TYPEDEF) ||
			has(vml, "btf_trace_rpc_stats_latency", BTF_KIND_TYPEDEF);
	k->tp_xdr = has(nfs, "btf_trace_nfs_xdr_status", BTF_KIND_TYPEDEF) ||
		    has(vml, "btf_trace_nfs_xdr_status", BTF_KIND_TYPEDEF);
	k->tp_xdr4 = has(nfs4, "btf_trace_nfs4_xdr_status", BTF_KIND_TYPEDEF) ||
		     has(vml, "btf_trace_nfs4_xdr_status", BTF_KIND_TYPEDEF);
	k->v4_loaded = v4_loaded || k->tp_xdr4;
	k->task_struct = has(sunrpc, "rpc_task", BTF_KIND_STRUCT) || has(vml, "rpc_task", BTF_KIND_STRUCT);
	k->exit_fn = has(sunrpc, "rpc_exit_task", BTF_KIND_FUNC) || has(vml, "rpc_exit_task", BTF_KIND_FUNC);
	k->exec_fn = has(sunrpc, "rpc_execute", BTF_KIND_FUNC) || has(vml, "rpc_execute", BTF_KIND_FUNC);
	k->btf = sunrpc || k->task_struct;
	k->tp_begin = true;
	k->tp_reconn = true;
	for (int i = 0; i < 5; i++) {
		static const char *const tp[5] = {
			"btf_trace_rpc_task_begin", "btf_trace_rpc_task_end",
			"btf_trace_xprt_disconnect_force", "btf_trace_rpc_socket_state_change",
			"btf_trace_xprt_retransmit",
		};
		bool ok = has(sunrpc, tp[i], BTF_KIND_TYPEDEF) || has(vml, tp[i], BTF_KIND_TYPEDEF);

		if (i < 2)
			k->tp_begin &= ok;
		else
			k->tp_reconn &= ok;
	}
}

static void nfs_btf_read(struct nfs_btf_facts *k)
{
	struct btf *vml = btf__load_vmlinux_btf();
	struct btf *sunrpc = vml ? btf__load_module_btf("sunrpc", vml) : NULL;
	struct btf *nfs = vml ? btf__load_module_btf("nfs", vml) : NULL;
	struct btf *nfs4 = vml ? btf__load_module_btf("nfsv4", vml) : NULL;

	nfs_btf_facts(vml, sunrpc, nfs, nfs4, access("/sys/module/nfsv4", F_OK) == 0, k);
	btf__free(nfs4);
	btf__free(nfs);
	btf__free(sunrpc);
	btf__free(vml);
}

static bool nfs_method_possible(enum nfs_method m, const struct nfs_btf_facts *k, char *why, size_t len)
{
	const char *miss = NULL;

	if (m == NFS_M_RAW_TP)
		return true;
	if (m == NFS_M_TP_BTF && !k->tp_latency)
		miss = "no BTF for sunrpc's rpc_stats_latency tracepoint";
	else if (m == NFS_M_TP_BTF && !k->tp_xdr)
		miss = "no BTF for nfs's nfs_xdr_status tracepoint";
	else if (m != NFS_M_TP_BTF && !k->task_struct)
		miss = "no BTF for struct rpc_task (sunrpc)";
	else if (m == NFS_M_FENTRY && !k->exit_fn)
		miss = "rpc_exit_task is inlined or has no BTF in this sunrpc";
	if (miss)
		snprintf(why, len, "%s: %s", nfs_label[m], miss);
	return !miss;
}

/* ---- attach ---- */

static int nfs_select_programs(struct nfs_bpf *skel, enum nfs_method m, bool v4, bool stall, bool reconn)
{
	struct bpf_program *p[8] = { 0 };

	switch (m) {
	case NFS_M_TP_BTF:
		p[0] = skel->progs.nfs_btf_latency, p[1] = skel->progs.nfs_btf_xdr;
		p[2] = v4 ? skel->progs.nfs_btf_xdr4 : NULL;
		p[3] = stall ? skel->progs.nfs_btf_begin : NULL, p[4] = stall ? skel->progs.nfs_btf_end : NULL;
		if (reconn)
			p[5] = skel->progs.nfs_btf_disconnect, p[6] = skel->progs.nfs_btf_state,
			p[7] = skel->progs.nfs_btf_retransmit;
		break;
	case NFS_M_RAW_TP:
		p[0] = skel->progs.nfs_raw_latency, p[1] = skel->progs.nfs_raw_xdr;
		p[2] = v4 ? skel->progs.nfs_raw_xdr4 : NULL;
		p[3] = stall ? skel->progs.nfs_raw_begin : NULL, p[4] = stall ? skel->progs.nfs_raw_end : NULL;
		if (reconn)
			p[5] = skel->progs.nfs_raw_disconnect, p[6] = skel->progs.nfs_raw_state,
			p[7] = skel->progs.nfs_raw_retransmit;
		break;
	case NFS_M_FENTRY:
		p[0] = skel->progs.nfs_fentry_exit;
		p[1] = stall ? skel->progs.nfs_fentry_begin : NULL;
		break;
	default:
		p[0] = skel->progs.nfs_kprobe_exit;
		p[1] = stall ? skel->progs.nfs_kprobe_begin : NULL;
		break;
	}
	for (int i = 0; i < 8; i++) {
		int err = p[i] ? bpf_program__set_autoload(p[i], true) : 0;

		if (err)
			return err;
	}
	return 0;
}

static struct nfs_source *nfs_of(const struct modsrc *m)
{
	return (struct nfs_source *)m;
}

static void nfs_facts(struct modsrc *m)
{
	nfs_btf_read(&nfs_of(m)->k);
}

static bool nfs_possible(struct modsrc *m, int method, char *why, size_t len)
{
	return nfs_method_possible((enum nfs_method)method, &nfs_of(m)->k, why, len);
}

static int nfs_open(struct modsrc *m, int method)
{
	struct nfs_source *s = nfs_of(m);
	struct nfs_bpf *skel = nfs_bpf__open();

	if (!skel)
		return -errno;
	m->skel = skel;
	/* tp_btf needs the type of nfs4_xdr_status; raw_tp only the loaded module */
	s->with_v4 = method == NFS_M_TP_BTF ? s->k.tp_xdr4 : s->k.v4_loaded;
	/*
	 * The stall and reconnect hooks only where BTF says they exist (raw_tp without BTF cannot tell).
	 * The stall hooks also only when an nfs stall anomaly asks for them: they run at the start and end
	 * of every RPC, a map update and delete each, about half of the probes' cost on an RPC storm.
	 */
	s->stall = m->stall_ns &&
		   (method == NFS_M_TP_BTF || method == NFS_M_RAW_TP ? s->k.btf && s->k.tp_begin : s->k.exec_fn);
	s->reconn = (method == NFS_M_TP_BTF || method == NFS_M_RAW_TP) && s->k.btf && s->k.tp_reconn;
	return nfs_select_programs(skel, (enum nfs_method)method, s->with_v4, s->stall, s->reconn);
}

static int nfs_load(struct modsrc *m)
{
	return nfs_bpf__load(m->skel);
}

static int nfs_attach(struct modsrc *m)
{
	return nfs_bpf__attach(m->skel);
}

static void nfs_destroy(struct modsrc *m)
{
	nfs_bpf__destroy(m->skel);
}

static void nfs_apply(struct modsrc *m)
{
	nfs_filter_apply(&nfs_of(m)->f, m->skel);
}

static struct bpf_map *nfs_map(const struct modsrc *m, enum modsrc_map which)
{
	struct nfs_bpf *skel = m->skel;

	if (which == MODSRC_MAP_PENDING)
		return nfs_of(m)->stall ? skel->maps.nfs_pending : NULL;
	return which == MODSRC_MAP_EVENTS ? skel->maps.nfs_events : skel->maps.nfs_hist;
}

static void nfs_counters(const struct modsrc *m, struct aod_loss *loss, uint64_t *unmatched)
{
	const struct nfs_bpf *skel = m->skel;

	*loss = skel->bss->loss;
	*unmatched = skel->bss->unmatched;
}

static void nfs_targets(const struct modsrc *m, int method, char *buf, size_t len)
{
	const struct nfs_source *s = nfs_of(m);

	bool tp = method == NFS_M_TP_BTF || method == NFS_M_RAW_TP;
	const char *stall = s->stall ? (tp ? "sunrpc:rpc_task_begin, rpc_task_end" : "rpc_execute, rpc_exit_task")
				     : !m->stall_ns ? "not watched (no nfs stall anomaly in the config)"
				     : tp ? "not watched (no BTF for sunrpc's rpc_task_begin/rpc_task_end)"
					  : "not watched (rpc_execute is inlined or has no BTF)";
	const char *reconn = s->reconn ? "sunrpc:xprt_disconnect_force, rpc_socket_state_change, xprt_retransmit"
			     : tp ? "not watched (no BTF for sunrpc's xprt_disconnect_force and rpc_socket_state_change)"
				  : "not watched (they need the sunrpc tracepoints)";

	if (tp)
		snprintf(buf, len, "sunrpc:rpc_stats_latency (queue/rtt split), nfs:nfs_xdr_status, %s; stalls: %s; "
			 "reconnects: %s", s->with_v4 ? "nfs4:nfs4_xdr_status" : "nfs4:nfs4_xdr_status once nfsv4 loads",
			 stall, reconn);
	else
		snprintf(buf, len, "rpc_exit_task (queue/rtt split; errors from tk_status, no NFSv4 op); stalls: %s; "
			 "reconnects: %s", stall, reconn);
}

/* NFS RPCs wait on the server by design nowhere (NLM locks are another program): none is exempt.
 * The server's name comes from the transport map (bpf/nfs.bpf.c nfs_xprts), when it is attached. */
static bool nfs_stall(const struct modsrc *m, const void *key, const void *value, struct aod_ev_stall *out)
{
	const struct nfs_pending_val *v = value;
	const struct nfs_bpf *skel = m ? m->skel : NULL;

	(void)key;
	if (out && skel && v->xprt && bpf_map__value_size(skel->maps.nfs_xprts) == sizeof(out->host))
		bpf_map_lookup_elem(bpf_map__fd(skel->maps.nfs_xprts), &v->xprt, out->host);
	if (out) {
		modsrc_stall_who(out, v->pid, v->thread, v->comm, AOD_STALL_NFS, v->proc);
		out->vers = v->vers;
		out->tree = v->clid;
		out->mid = 0;	/* the xid is not known when the task starts (no rqst yet) */
	}
	return true;
}

static const char *const nfs_modules[] = { "sunrpc", "nfs", NULL };
static const char *const nfs_optional[] = { "nfsv4", NULL };

static const struct modsrc_proto nfs_proto = {
	.name = "nfs",
	.modules = nfs_modules,
	.optional = nfs_optional,
	.nmethods = NFS_M_COUNT,
	.label = nfs_label,
	.short_name = nfs_short,
	.kind = nfs_kind,
	.hist_rows = NFS_SOURCE_ROWS,
	.facts = nfs_facts,
	.possible = nfs_possible,
	.open = nfs_open,
	.load = nfs_load,
	.attach = nfs_attach,
	.destroy = nfs_destroy,
	.apply = nfs_apply,
	.map = nfs_map,
	.counters = nfs_counters,
	.stall = nfs_stall,
	.targets = nfs_targets,
};

/* ---- the decoder ---- */

/* The owner's name, for an RPC that ended on an rpciod worker (a short /proc read, only for records that cross). */
static void owner_comm(struct aod_ev_hdr *h)
{
	char path[32];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%u/comm", h->pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, h->comm, sizeof(h->comm) - 1);
	close(fd);
	if (n > 0 && h->comm[n - 1] == '\n')
		n--;
	h->comm[n > 0 ? n : 0] = 0;
}

/* How many RPCs in flight ride on transport xprt: a bounded walk of the pending map (disconnects are rare). */
static uint16_t waiting_on(const struct nfs_source *s, uint64_t xprt)
{
	const struct nfs_bpf *skel = s->m.skel;
	struct nfs_pending_val v;
	uint64_t key, next;
	uint32_t n = 0, max;
	int fd;

	if (!skel || !s->stall || bpf_map__value_size(skel->maps.nfs_pending) != sizeof(v))
		return 0;
	fd = bpf_map__fd(skel->maps.nfs_pending);
	max = bpf_map__max_entries(skel->maps.nfs_pending);
	uint64_t now = mono_ns();

	/* entries past the sweep's age are tasks whose end went unseen (the stall scan skips them too) */
	for (uint32_t i = 0; i < max && n < UINT16_MAX && !bpf_map_get_next_key(fd, i ? &key : NULL, &next); i++) {
		key = next;
		if (!bpf_map_lookup_elem(fd, &key, &v) && v.xprt == xprt && now >= v.ts && now - v.ts <= s->m.max_age_ns)
			n++;
	}
	return (uint16_t)n;
}

/* NFS records and the stall scan's (started on a worker: the owner's name); reconnect records as they are,
 * a disconnect with the RPCs left waiting on its transport. */
static int nfs_event(void *ctx, void *data, size_t size)
{
	struct nfs_source *s = ctx;
	union {
		struct aod_ev_hdr h;
		struct aod_ev_nfs nfs;
		struct aod_ev_stall stall;
		struct aod_ev_reconnect reconn;
	} e;
	const struct aod_ev_hdr *h = data;
	size_t want;

	if (size < sizeof(*h))
		return 0;
	want = h->kind == AOD_EV_NFS ? sizeof(e.nfs) : h->kind == AOD_EV_STALL ? sizeof(e.stall) :
	       h->kind == AOD_EV_RECONNECT ? sizeof(e.reconn) : 0;
	if (!want || size < want)
		return 0;
	memcpy(&e, data, want);	/* the ring buffer is mapped read-only */
	if (h->kind != AOD_EV_RECONNECT && !e.h.comm[0] && e.h.pid)
		owner_comm(&e.h);
	if (h->kind == AOD_EV_RECONNECT && e.reconn.what == AOD_RECONN_NFS_DISCONNECT)
		e.reconn.waiting = waiting_on(s, e.reconn.conn_id);
	return s->cb(s->ctx, &e, want);
}

/* ---- the public face ---- */

bool nfs_source_present(void)
{
	return modsrc_present(&nfs_proto);
}

const char *nfs_source_missing(void)
{
	return modsrc_missing(&nfs_proto);
}

int nfs_source_open(struct nfs_source **out, const struct cfg_config *cfg, const char *attach,
		    ring_buffer_sample_fn cb, void *ctx)
{
	struct nfs_source *s = calloc(1, sizeof(*s));

	*out = NULL;
	if (!s)
		return -ENOMEM;
	if (attach && attach[0] && modsrc_range(&nfs_proto, attach, &(int){ 0 }, &(int){ 0 })) {
		free(s);
		return -EINVAL;
	}
	s->cb = cb;
	s->ctx = ctx;
	modsrc_init(&s->m, &nfs_proto, nfs_event, s, cfg->cleanup_interval_sec, attach);
	nfs_filter_from_config(&s->f, cfg);
	s->m.stall_ns = modsrc_stall_ns(cfg, NAMES_NFS);
	*out = s;
	return 0;
}

int nfs_source_check(struct nfs_source *s)
{
	return modsrc_check(&s->m);
}

int nfs_source_release(struct nfs_source *s)
{
	return s ? modsrc_release(&s->m) : 0;
}

int nfs_source_fd(const struct nfs_source *s)
{
	return s ? modsrc_fd(&s->m) : -1;
}

int nfs_source_consume(struct nfs_source *s)
{
	return s ? modsrc_consume(&s->m) : 0;
}

int nfs_source_scan_stalls(struct nfs_source *s, uint64_t now_ns)
{
	return s ? modsrc_scan_stalls(&s->m, now_ns) : 0;
}

int nfs_source_update_config(struct nfs_source *s, const struct cfg_config *cfg)
{
	uint64_t was = s->m.stall_ns;

	nfs_filter_from_config(&s->f, cfg);
	s->m.stall_ns = modsrc_stall_ns(cfg, NAMES_NFS);
	/* a stall anomaly added or removed: the RPC start and end hooks follow at the next check */
	if (!was != !s->m.stall_ns && s->m.state != MODSRC_WAITING)
		s->m.reattach = true;
	s->m.check_every = cfg->cleanup_interval_sec;
	if (s->m.skel)
		nfs_filter_apply(&s->f, s->m.skel);
	modsrc_resume(&s->m);
	return 0;
}

void nfs_source_info(const struct nfs_source *s, char *method, size_t len, struct aod_loss *loss)
{
	modsrc_info(&s->m, method, len, loss);
}

bool nfs_source_attached(const struct nfs_source *s)
{
	return s && modsrc_attached(&s->m);
}

int nfs_source_histograms(const struct nfs_source *s, unsigned n, uint64_t (*counts)[NFS_SOURCE_HIST_BUCKETS],
			  uint64_t *total, uint64_t *errors)
{
	return modsrc_histograms(&s->m, n, counts, total, errors);
}

int nfs_source_histogram(const struct nfs_source *s, unsigned row, uint64_t counts[NFS_SOURCE_HIST_BUCKETS],
			 uint64_t *total, uint64_t *errors)
{
	return modsrc_histogram(&s->m, row, counts, total, errors);
}

int nfs_source_hist_rows(const struct nfs_source *s, uint64_t (*rows)[NFS_SOURCE_HIST_SLOTS])
{
	return modsrc_hist_rows(&s->m, rows, NFS_SOURCE_ROWS);
}

void nfs_source_close(struct nfs_source *s)
{
	if (!s)
		return;
	modsrc_close(&s->m);
	free(s);
}

int nfs_source_probe(const char *attach, char *method, size_t mlen, char *why, size_t wlen)
{
	struct nfs_source *s = calloc(1, sizeof(*s));
	int err;

	if (!s)
		return -ENOMEM;
	modsrc_init(&s->m, &nfs_proto, NULL, NULL, 0, attach);
	memset(s->f.thr_ns, 0xff, sizeof(s->f.thr_ns));	/* track nothing: no event crosses while attached */
	s->m.stall_ns = UINT64_MAX;	/* the stall hooks too, as the shipped config attaches them */
	err = modsrc_probe(&s->m, method, mlen, why, wlen);
	nfs_source_close(s);
	return err;
}

int nfs_source_verify(const char *method, char *why, size_t wlen)
{
	struct nfs_source *s = calloc(1, sizeof(*s));
	int err;

	if (!s)
		return -ENOMEM;
	modsrc_init(&s->m, &nfs_proto, NULL, NULL, 0, "auto");
	s->m.stall_ns = UINT64_MAX;	/* verify every program a config may ask for */
	err = modsrc_verify(&s->m, method, why, wlen);
	nfs_source_close(s);
	return err;
}

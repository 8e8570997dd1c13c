// SPDX-License-Identifier: GPL-2.0-only
/* The pure parts of the probe modules: the SMB filter tables built from a config, the attach-mode ranges. */
#include "../../src/log.c"
#include "../../src/text.c"
#include "../../src/names.c"
#include "../../src/stall.c"
#include "../../src/modsrc.c"
#include "../../src/smb_source.c"
#include "../../src/nfs_source.c"
#include "../../src/bpflog.c"
#include "../../src/family.c"
#include "../../src/arena.c"
#include "../../src/topn.c"
#include "../../src/kbtf.c"
#include "../../src/bpf_light.c"
#include "../../src/ioerr.c"
#include "../../src/io.c"
#include "../../src/health_source.c"
#include "../../src/sockconn.c"
#include "../../src/conn_source.c"
#include "../../src/probe.c"
#include "check.h"


static struct cfg_config cfg;

static struct cfg_anomaly *add(enum cfg_anomaly_type type, const char *proto)
{
	struct cfg_anomaly *a = &cfg.anomalies[cfg.nanomalies++];

	memset(a, 0, sizeof(*a));
	a->type = type;
	snprintf(a->proto, sizeof(a->proto), "%s", proto);
	return a;
}

static void test_latency_tables(void)
{
	struct smb_filter f;
	struct cfg_anomaly *a, *b;

	memset(&cfg, 0, sizeof(cfg));
	a = add(CFG_LATENCY, "smb");
	a->ops = (struct cfg_ops){ { (1u << 8) | (1u << 9) } };		/* READ, WRITE */
	a->threshold_ns[8] = 50000000;
	a->threshold_ns[9] = 20000000;
	b = add(CFG_LATENCY, "smb");
	b->ops = (struct cfg_ops){ { (1u << 9) | (1u << 5) } };		/* WRITE, CREATE */
	b->threshold_ns[9] = 30000000;
	b->threshold_ns[5] = 10000000;
	b->threshold_ns[8] = 1;				/* not in b's mask: must not count */
	add(CFG_HEALTH, "health")->threshold = 5;

	filter_from_config(&f, &cfg);
	CHECK(f.lat_mask == ((1u << 5) | (1u << 8) | (1u << 9)));
	CHECK(f.thr_ns[8] == 50000000);		/* only a tracks READ */
	CHECK(f.thr_ns[9] == 20000000);		/* the minimum over a and b */
	CHECK(f.thr_ns[5] == 10000000);
	CHECK(f.thr_ns[0] == UINT64_MAX);		/* untracked: never over */
	CHECK(f.err_mask == 0 && !f.err_all && f.n_status == 0 && f.n_errno == 0);
}

static void test_error_tables(void)
{
	struct smb_filter f;
	struct cfg_anomaly *a;
	struct cfg_error_rule *r;

	memset(&cfg, 0, sizeof(cfg));
	a = add(CFG_ERROR, "smb");
	a->nrules = 2;
	r = &a->rules[0];
	r->ops = (struct cfg_ops){ { 1u << 5 } };
	r->codes[r->ncodes++] = (struct cfg_code){ .space = NAMES_CODE_NTSTATUS, .value = 0xC0000034 };
	r->codes[r->ncodes++] = (struct cfg_code){ .space = NAMES_CODE_ERRNO, .value = 13 };	/* EACCES */
	r = &a->rules[1];
	r->ops = (struct cfg_ops){ { 1u << 8 } };
	r->codes[r->ncodes++] = (struct cfg_code){ .space = NAMES_CODE_NTSTATUS, .value = 0xC0000034 };	/* duplicate */
	r->codes[r->ncodes++] = (struct cfg_code){ .space = NAMES_CODE_ERRNO, .value = 5 };	/* EIO */

	filter_from_config(&f, &cfg);
	CHECK(f.err_mask == ((1u << 5) | (1u << 8)));
	CHECK(!f.err_all);
	CHECK(f.n_status == 1 && f.status[0] == 0xC0000034);
	CHECK(f.n_errno == 2 && f.errnos[0] == 13 && f.errnos[1] == 5);
	CHECK(f.lat_mask == 0);

	/* a rule without codes tracks every code */
	a->rules[1].ncodes = 0;
	filter_from_config(&f, &cfg);
	CHECK(f.err_all == 1);

	/* more distinct codes than the BPF side can list: let everything through */
	memset(&cfg, 0, sizeof(cfg));
	a = add(CFG_ERROR, "smb");
	a->nrules = 2;
	for (int i = 0; i < 2; i++) {
		a->rules[i].ops = (struct cfg_ops){ { 1 } };
		for (int k = 0; k < CFG_MAX_CODES; k++)
			a->rules[i].codes[a->rules[i].ncodes++] =
				(struct cfg_code){ .space = NAMES_CODE_NTSTATUS, .value = 0xC0000000u + (uint32_t)(i * 100 + k) };
	}
	filter_from_config(&f, &cfg);
	CHECK(f.n_status == SMB_MAX_CODES);
	CHECK(f.err_all == 1);
}

static void test_method_ranges(void)
{
	int lo, hi;

	/* the range is the protocol's table read by kind: auto walks all, a kind only its own rows */
	CHECK(modsrc_range(&smb_proto, "auto", &lo, &hi) == 0 && lo == SMB_M_TP_BTF && hi == SMB_M_KPROBE);
	CHECK(modsrc_range(&smb_proto, "", &lo, &hi) == 0 && lo == SMB_M_TP_BTF && hi == SMB_M_KPROBE);
	CHECK(modsrc_range(&smb_proto, "tracepoint", &lo, &hi) == 0 && lo == SMB_M_TP_BTF && hi == SMB_M_RAW_TP);
	CHECK(modsrc_range(&smb_proto, "fentry", &lo, &hi) == 0 && lo == SMB_M_FENTRY && hi == SMB_M_FENTRY);
	CHECK(modsrc_range(&smb_proto, "kprobe", &lo, &hi) == 0 && lo == SMB_M_KPROBE && hi == SMB_M_KPROBE);
	CHECK(modsrc_range(&smb_proto, "uprobe", &lo, &hi) == -EINVAL);
}

static void test_method_possible(void)
{
	struct cifs_btf_facts k = { 0 };
	char why[160];

	/* no module BTF: only raw_tp can be tried */
	CHECK(method_possible(SMB_M_RAW_TP, &k, why, sizeof(why)));
	CHECK(!method_possible(SMB_M_TP_BTF, &k, why, sizeof(why)) && strstr(why, "no BTF"));
	CHECK(!method_possible(SMB_M_FENTRY, &k, why, sizeof(why)));
	CHECK(!method_possible(SMB_M_KPROBE, &k, why, sizeof(why)));

	k = (struct cifs_btf_facts){ .btf = true, .tp_enter = true, .mid_struct = true, .alloc_fn = false,
				     .rel = REL_KREF };
	CHECK(method_possible(SMB_M_TP_BTF, &k, why, sizeof(why)));
	CHECK(!method_possible(SMB_M_FENTRY, &k, why, sizeof(why)) && strstr(why, "inlined"));
	k.alloc_fn = true;
	CHECK(method_possible(SMB_M_FENTRY, &k, why, sizeof(why)));
	k.rel = REL_NONE;
	CHECK(!method_possible(SMB_M_KPROBE, &k, why, sizeof(why)) && strstr(why, "__release_mid"));
}

/* A synthetic cifs BTF: the facts come from prototypes, whatever the kernel version. */
static struct btf *fake_cifs(int release_params, bool tracepoint)
{
	struct btf *b = btf__new_empty();
	int u64 = btf__add_int(b, "unsigned long long", 8, 0);
	int mid = btf__add_struct(b, "mid_q_entry", 8);
	int kref = btf__add_struct(b, "kref", 4);
	int midp, krefp, voidp, proto;

	btf__add_field(b, "mid", u64, 0, 0);
	midp = btf__add_ptr(b, mid);
	krefp = btf__add_ptr(b, kref);
	voidp = btf__add_ptr(b, 0);
	proto = btf__add_func_proto(b, midp);			/* smb2_mid_entry_alloc(shdr, server) */
	btf__add_func_param(b, "shdr", voidp);
	btf__add_func_param(b, "server", voidp);
	btf__add_func(b, "smb2_mid_entry_alloc", BTF_FUNC_STATIC, proto);
	proto = btf__add_func_proto(b, 0);
	if (release_params == 1) {
		btf__add_func_param(b, "refcount", krefp);	/* up to 6.18 */
	} else {
		btf__add_func_param(b, "server", voidp);	/* 6.19+ */
		btf__add_func_param(b, "midEntry", midp);
	}
	btf__add_func(b, "__release_mid", BTF_FUNC_GLOBAL, proto);
	if (tracepoint)
		btf__add_typedef(b, "btf_trace_smb3_cmd_enter", voidp);
	return b;
}

static void test_cifs_btf_facts(void)
{
	struct cifs_btf_facts k;
	struct btf *b;

	cifs_btf_facts(NULL, &k);
	CHECK(!k.btf && !k.tp_enter && k.rel == REL_NONE);

	b = fake_cifs(1, true);
	cifs_btf_facts(b, &k);
	CHECK(k.btf && k.tp_enter && k.mid_struct && k.alloc_fn && k.rel == REL_KREF);
	btf__free(b);

	b = fake_cifs(2, false);
	cifs_btf_facts(b, &k);
	CHECK(k.btf && !k.tp_enter && k.mid_struct && k.alloc_fn && k.rel == REL_MID);
	CHECK(!k.tp_reconn);
	/* the reconnect hooks only when all four tracepoints are there (smb3_connect_* came later) */
	for (int i = 0; i < 4; i++) {
		static const char *const tp[4] = { "btf_trace_smb3_reconnect", "btf_trace_smb3_ses_expired",
						   "btf_trace_smb3_connect_err", "btf_trace_smb3_connect_done" };

		cifs_btf_facts(b, &k);
		CHECK(!k.tp_reconn);
		btf__add_typedef(b, tp[i], btf__add_ptr(b, 0));
	}
	cifs_btf_facts(b, &k);
	CHECK(k.tp_reconn);
	btf__free(b);
}

static void test_reasons(void)
{
	struct probe_caps c = { .btf_vmlinux = true };
	struct probe_try t = { .tried = true, .err = -EPERM };
	char why[160];

	method_reason(&c, ATTACH_FENTRY, &t, "vfs_read", why, sizeof(why));
	CHECK(strcmp(why, "fentry refused by kernel (EPERM)") == 0);
	t.err = -ENOENT;
	method_reason(&c, ATTACH_KPROBE, &t, "vfs_read", why, sizeof(why));
	CHECK(strcmp(why, "kprobes not available") == 0);
	c.kprobe_pmu = true;
	method_reason(&c, ATTACH_KPROBE, &t, "nosuchfn", why, sizeof(why));
	CHECK(strcmp(why, "kprobe: nosuchfn not found in this kernel") == 0);
	method_reason(&c, ATTACH_TRACEPOINT, &t, "sched/sched_switch", why, sizeof(why));
	CHECK(strcmp(why, "tracefs not mounted") == 0);
	c.btf_vmlinux = false;
	t.err = -ENOENT;
	method_reason(&c, ATTACH_TP_BTF, &t, "sched_switch", why, sizeof(why));
	CHECK(strstr(why, "needs kernel BTF") != NULL);
	CHECK(strcmp(attach_method_name(ATTACH_RAW_TP), "raw_tp") == 0);
}

/* NFS: the row space (v4 procedure indices, then v3 procedures, then other) and what its BTF allows. */
static void test_nfs_rows_and_methods(void)
{
	struct nfs_btf_facts k = { 0 };
	struct btf *sunrpc, *nfs;
	char why[200];
	int lo, hi, voidp;

	CHECK(nfs_source_row(4, 0) == 0 && nfs_source_row(4, 68) == 68);
	CHECK(nfs_source_row(3, 0) == 69 && nfs_source_row(3, 21) == 90);
	CHECK(nfs_source_row(4, 69) == NFS_SOURCE_ROWS - 1 && nfs_source_row(2, 1) == NFS_SOURCE_ROWS - 1);
	CHECK(nfs_source_row(3, 22) == NFS_SOURCE_ROWS - 1);
	CHECK(modsrc_range(&nfs_proto, "tracepoint", &lo, &hi) == 0 && lo == NFS_M_TP_BTF && hi == NFS_M_RAW_TP);
	CHECK(modsrc_range(&nfs_proto, "kprobe", &lo, &hi) == 0 && lo == NFS_M_KPROBE && hi == NFS_M_KPROBE);

	/* no BTF at all: only raw_tp can be tried */
	nfs_btf_facts(NULL, NULL, NULL, NULL, false, &k);
	CHECK(nfs_method_possible(NFS_M_RAW_TP, &k, why, sizeof(why)));
	CHECK(!nfs_method_possible(NFS_M_TP_BTF, &k, why, sizeof(why)) && strstr(why, "rpc_stats_latency"));
	CHECK(!nfs_method_possible(NFS_M_KPROBE, &k, why, sizeof(why)) && strstr(why, "rpc_task"));

	/* sunrpc with its tracepoint and rpc_task but rpc_exit_task inlined; nfs with nfs_xdr_status; no nfsv4 */
	sunrpc = btf__new_empty();
	nfs = btf__new_empty();
	voidp = btf__add_ptr(sunrpc, 0);
	btf__add_typedef(sunrpc, "btf_trace_rpc_stats_latency", voidp);
	btf__add_struct(sunrpc, "rpc_task", 8);
	btf__add_typedef(nfs, "btf_trace_nfs_xdr_status", btf__add_ptr(nfs, 0));
	nfs_btf_facts(NULL, sunrpc, nfs, NULL, false, &k);
	CHECK(k.tp_latency && k.tp_xdr && !k.tp_xdr4 && !k.v4_loaded && k.task_struct && !k.exit_fn);
	CHECK(nfs_method_possible(NFS_M_TP_BTF, &k, why, sizeof(why)));
	CHECK(!nfs_method_possible(NFS_M_FENTRY, &k, why, sizeof(why)) && strstr(why, "rpc_exit_task"));
	CHECK(nfs_method_possible(NFS_M_KPROBE, &k, why, sizeof(why)));
	/* nfsv4 loaded without BTF: raw_tp can still take its tracepoint, tp_btf cannot */
	nfs_btf_facts(NULL, sunrpc, nfs, NULL, true, &k);
	CHECK(k.v4_loaded && !k.tp_xdr4);
	/* the stall hooks need both task tracepoints (or rpc_execute), the reconnect hooks all three of theirs */
	CHECK(k.btf && !k.tp_begin && !k.tp_reconn && !k.exec_fn);
	btf__add_typedef(sunrpc, "btf_trace_rpc_task_begin", voidp);
	nfs_btf_facts(NULL, sunrpc, nfs, NULL, false, &k);
	CHECK(!k.tp_begin);
	btf__add_typedef(sunrpc, "btf_trace_rpc_task_end", voidp);
	btf__add_typedef(sunrpc, "btf_trace_xprt_disconnect_force", voidp);
	btf__add_typedef(sunrpc, "btf_trace_rpc_socket_state_change", voidp);
	nfs_btf_facts(NULL, sunrpc, nfs, NULL, false, &k);
	CHECK(k.tp_begin && !k.tp_reconn);
	btf__add_typedef(sunrpc, "btf_trace_xprt_retransmit", voidp);
	btf__add_func(sunrpc, "rpc_execute", BTF_FUNC_GLOBAL, btf__add_func_proto(sunrpc, 0));
	nfs_btf_facts(NULL, sunrpc, nfs, NULL, false, &k);
	CHECK(k.tp_begin && k.tp_reconn && k.exec_fn);
	btf__free(sunrpc);
	btf__free(nfs);
}

/* The SMB row's stall view of a pending entry, and the stall bar taken from the config. */
static void test_smb_stall(void)
{
	struct smb_pending_key k = { .a = 0x1234, .mid = 77 };
	struct smb_pending_val v = { .ts = 5, .sesid = 0x1234, .pid = 404, .thread = 405, .tree = 9, .cmd = 8 };
	struct aod_ev_stall e;

	memcpy(v.comm, "dd", 3);
	memset(&e, 0, sizeof(e));
	CHECK(smb_proto.stall(NULL, &k, &v, &e));
	CHECK(e.h.pid == 404 && e.h.tid == 405 && !strcmp(e.h.comm, "dd") && e.proto == AOD_STALL_SMB);
	CHECK(e.cmd == 8 && e.mid == 77 && e.sesid == 0x1234 && e.tree == 9);
	for (unsigned c = 0; c < 20; c++) {
		v.cmd = (uint16_t)c;
		/* LOCK, CHANGE_NOTIFY, OPLOCK_BREAK and the server's notification wait by design */
		CHECK(smb_proto.stall(NULL, &k, &v, NULL) == !(c == 10 || c == 15 || c == 18 || c == 19));
	}
	memset(&cfg, 0, sizeof(cfg));
	CHECK(modsrc_stall_ns(&cfg, NAMES_SMB) == 0);
	cfg.nanomalies = 3;
	cfg.anomalies[0].type = CFG_STALL, cfg.anomalies[0].space = NAMES_SMB, cfg.anomalies[0].stall_ms = 5000;
	cfg.anomalies[1].type = CFG_STALL, cfg.anomalies[1].space = NAMES_SMB, cfg.anomalies[1].stall_ms = 3000;
	cfg.anomalies[2].type = CFG_STALL, cfg.anomalies[2].space = NAMES_NFS, cfg.anomalies[2].stall_ms = 1000;
	CHECK(modsrc_stall_ns(&cfg, NAMES_SMB) == 3000000000ull);
	CHECK(modsrc_stall_ns(&cfg, NAMES_NFS) == 1000000000ull);
	cfg.nanomalies = 0;
}

/* The NFS row's stall view: every RPC can stall; the record names the procedure, version, mount and owner. */
static void test_nfs_stall(void)
{
	uint64_t key = 0xffff888012345678ull;
	struct nfs_pending_val v = { .ts = 5, .xprt = 0x9000, .pid = 737, .thread = 737, .clid = 3, .proc = 6, .vers = 3 };
	struct aod_ev_stall e;

	memcpy(v.comm, "dd", 3);
	memset(&e, 0, sizeof(e));
	CHECK(nfs_proto.stall(NULL, &key, &v, &e));
	CHECK(e.host[0] == 0);	/* no attachment, no transport map: no server name */
	CHECK(e.h.pid == 737 && e.h.tid == 737 && !strcmp(e.h.comm, "dd") && e.proto == AOD_STALL_NFS);
	CHECK(e.cmd == 6 && e.vers == 3 && e.tree == 3 && e.mid == 0);
	CHECK(nfs_proto.stall(NULL, &key, &v, NULL));
}

/*
 * The RPC start and end hooks (a map update and delete on every RPC) are loaded only when an nfs stall
 * anomaly asks for them, and a HUP that adds or drops one re-attaches the probes at the next check.
 */
static void test_nfs_stall_hooks_on_request(void)
{
	static struct nfs_source s;
	char buf[600];

	modsrc_init(&s.m, &nfs_proto, NULL, NULL, 0, "auto");
	s.k.btf = s.k.tp_begin = true;
	CHECK(nfs_open(&s.m, NFS_M_RAW_TP) == 0 && !s.stall);
	CHECK(!bpf_program__autoload(((struct nfs_bpf *)s.m.skel)->progs.nfs_raw_begin));
	nfs_targets(&s.m, NFS_M_RAW_TP, buf, sizeof(buf));
	CHECK(strstr(buf, "stalls: not watched (no nfs stall anomaly in the config)") != NULL);
	nfs_bpf__destroy(s.m.skel);
	s.m.stall_ns = 3000000000ull;
	CHECK(nfs_open(&s.m, NFS_M_RAW_TP) == 0 && s.stall);
	CHECK(bpf_program__autoload(((struct nfs_bpf *)s.m.skel)->progs.nfs_raw_begin));
	CHECK(bpf_program__autoload(((struct nfs_bpf *)s.m.skel)->progs.nfs_raw_end));
	nfs_targets(&s.m, NFS_M_RAW_TP, buf, sizeof(buf));
	CHECK(strstr(buf, "stalls: sunrpc:rpc_task_begin, rpc_task_end") != NULL);
	nfs_bpf__destroy(s.m.skel);
	s.m.skel = NULL;
	/* attached with stall hooks; the new config has no stall anomaly: re-attach without them */
	s.m.state = MODSRC_ATTACHED;
	s.m.reattach = false;
	memset(&cfg, 0, sizeof(cfg));
	CHECK(nfs_source_update_config(&s, &cfg) == 0 && s.m.stall_ns == 0 && s.m.reattach);
	s.m.reattach = false;
	CHECK(nfs_source_update_config(&s, &cfg) == 0 && !s.m.reattach);	/* no change, no re-attach */
	s.m.state = MODSRC_WAITING;
}

int main(void)
{
	test_latency_tables();
	test_error_tables();
	test_method_ranges();
	test_method_possible();
	test_cifs_btf_facts();
	test_reasons();
	test_nfs_rows_and_methods();
	test_smb_stall();
	test_nfs_stall();
	test_nfs_stall_hooks_on_request();
	return CHECK_DONE();
}

// SPDX-License-Identifier: GPL-2.0-only
/* The SMB event source: the cifs row of the module source (modsrc.c), its BTF checks, filter and programs. */
#include "smb_source.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "modsrc.h"
#include "smb.skel.h"

enum smb_method { SMB_M_TP_BTF, SMB_M_RAW_TP, SMB_M_FENTRY, SMB_M_KPROBE, SMB_M_COUNT };

static const char *const method_label[SMB_M_COUNT] = {
	"tracepoint (tp_btf)", "tracepoint (raw_tp)", "fentry/fexit", "kprobe/kretprobe",
};

static const char *const method_short[SMB_M_COUNT] = { "tp_btf", "raw_tp", "fentry", "kprobe" };

/* Which __release_mid: the kref form up to 6.18, (server, mid) from 6.19 on. */
enum release_form { REL_NONE, REL_KREF, REL_MID };

#define SMB_MAX_CODES 32	/* bpf/smb.bpf.c SMB_MAX_CODES */
#define SMB_MAX_AGE_NS (60ull * 1000000000ull)

/* bpf/smb.bpf.c struct pending_key / struct pending */
struct smb_pending_key {
	uint64_t a, mid;
};

struct smb_pending_val {
	uint64_t ts, sesid;
	uint32_t pid, thread, tree;
	uint16_t cmd, pad;
	char comm[AOD_COMM_LEN];
};

struct smb_filter {
	uint64_t thr_ns[CFG_SMB2_NCMD];
	uint32_t lat_mask, err_mask, err_all;
	uint32_t n_status, status[SMB_MAX_CODES];
	uint32_t n_errno;
	int32_t errnos[SMB_MAX_CODES];
};

/* What the cifs module's BTF says. */
struct cifs_btf_facts {
	bool btf;		/* the module has BTF */
	bool tp_enter;		/* btf_trace_smb3_cmd_enter: tp_btf possible */
	bool tp_reconn;		/* smb3_reconnect, smb3_ses_expired, smb3_connect_err, smb3_connect_done */
	bool mid_struct;	/* struct mid_q_entry */
	bool alloc_fn;		/* smb2_mid_entry_alloc not inlined */
	enum release_form rel;
};

struct smb_source {
	struct modsrc m;	/* first: the callbacks get back here with a cast */
	struct smb_filter f;
	struct cifs_btf_facts k;
	enum release_form rel;	/* the form the attached programs use */
	bool reconn;		/* the attached programs include the reconnect tracepoints */
};

_Static_assert(sizeof(struct smb_pending_key) == 16, "pending key layout");
_Static_assert(sizeof(struct smb_pending_val) == 48, "pending value layout");
_Static_assert(sizeof(((struct smb_bpf__bss *)0)->thr_ns) == sizeof(uint64_t) * CFG_SMB2_NCMD, "thr_ns");
_Static_assert(sizeof(((struct smb_bpf__bss *)0)->err_status) == sizeof(uint32_t) * SMB_MAX_CODES, "codes");
_Static_assert(CFG_SMB2_NCMD == AOD_SMB2_NCMD, "command count");
_Static_assert(SMB_SOURCE_HIST_SLOTS == MODSRC_HIST_SLOTS, "histogram row layout");

/* ---- the filter tables from the config ---- */

static void filter_add_code(struct smb_filter *f, const struct cfg_code *c)
{
	bool nt = c->space == NAMES_CODE_NTSTATUS;
	uint32_t *n = nt ? &f->n_status : &f->n_errno;

	for (uint32_t i = 0; i < *n; i++)
		if ((nt ? f->status[i] : (uint32_t)f->errnos[i]) == c->value)
			return;
	if (*n >= SMB_MAX_CODES) {
		f->err_all = 1;	/* too many to list: let all through, detection filters */
		return;
	}
	if (nt)
		f->status[(*n)++] = c->value;
	else
		f->errnos[(*n)++] = (int32_t)c->value;
}

static void filter_from_config(struct smb_filter *f, const struct cfg_config *cfg)
{
	memset(f, 0, sizeof(*f));
	for (int c = 0; c < CFG_SMB2_NCMD; c++)
		f->thr_ns[c] = UINT64_MAX;
	for (int i = 0; i < cfg->nanomalies; i++) {
		const struct cfg_anomaly *a = &cfg->anomalies[i];

		if (strcmp(a->proto, "smb") != 0)
			continue;
		if (a->type == CFG_LATENCY) {
			for (int c = 0; c < CFG_SMB2_NCMD; c++)
				if (cfg_ops_has(&a->ops, (unsigned)c) && a->threshold_ns[c] < f->thr_ns[c])
					f->thr_ns[c] = a->threshold_ns[c];
			f->lat_mask |= (uint32_t)a->ops.w[0] & ((1u << CFG_SMB2_NCMD) - 1);
		}
		for (int r = 0; a->type == CFG_ERROR && r < a->nrules; r++) {
			f->err_mask |= (uint32_t)a->rules[r].ops.w[0] & ((1u << CFG_SMB2_NCMD) - 1);
			if (a->rules[r].ncodes == 0)
				f->err_all = 1;
			for (int k = 0; k < a->rules[r].ncodes; k++)
				filter_add_code(f, &a->rules[r].codes[k]);
		}
	}
}

static void filter_apply(const struct smb_filter *f, struct smb_bpf *skel)
{
	struct smb_bpf__bss *b = skel->bss;

	memcpy(b->thr_ns, f->thr_ns, sizeof(b->thr_ns));
	memcpy(b->err_status, f->status, sizeof(b->err_status));
	memcpy(b->err_errno, f->errnos, sizeof(b->err_errno));
	b->n_status = f->n_status;
	b->n_errno = f->n_errno;
	b->err_all_codes = f->err_all;
	b->err_mask = f->err_mask;
	/* the mask last: a command becomes tracked only once its threshold is in place */
	__atomic_store_n(&b->lat_mask, f->lat_mask, __ATOMIC_RELEASE);
}

/* ---- what the cifs module's BTF says ---- */

static const struct btf_type *func_proto(const struct btf *btf, const char *name)
{
	int id = btf__find_by_name_kind(btf, name, BTF_KIND_FUNC);
	const struct btf_type *t = id > 0 ? btf__type_by_id(btf, (__u32)id) : NULL;

	t = t ? btf__type_by_id(btf, t->type) : NULL;
	return t && btf_is_func_proto(t) ? t : NULL;
}

/* The reconnect tracepoints: smb3_connect_* came in 5.x, after smb3_cmd_*; without them only reconnects go unseen. */
static const char *const reconn_tps[] = {
	"btf_trace_smb3_reconnect", "btf_trace_smb3_ses_expired", "btf_trace_smb3_connect_err",
	"btf_trace_smb3_connect_done",
};

/* What the cifs module's BTF offers; no I/O, so a unit test can hand it a synthetic BTF. */
static void cifs_btf_facts(const struct btf *mod, struct cifs_btf_facts *k)
{
	const struct btf_type *t;

	memset(k, 0, sizeof(*k));
	if (!mod)
		return;
	k->btf = true;
	k->tp_enter = btf__find_by_name_kind(mod, "btf_trace_smb3_cmd_enter", BTF_KIND_TYPEDEF) > 0;
	k->tp_reconn = true;
	for (size_t i = 0; i < sizeof(reconn_tps) / sizeof(reconn_tps[0]); i++)
		k->tp_reconn &= btf__find_by_name_kind(mod, reconn_tps[i], BTF_KIND_TYPEDEF) > 0;
	k->mid_struct = btf__find_by_name_kind(mod, "mid_q_entry", BTF_KIND_STRUCT) > 0;
	/* smb_fexit_alloc reads (shdr, server) -> mid_q_entry *: check that shape */
	t = func_proto(mod, "smb2_mid_entry_alloc");
	k->alloc_fn = t && btf_vlen(t) == 2 && t->type && btf_is_ptr(btf__type_by_id(mod, t->type));
	/* The prototype decides the __release_mid form, not the kernel version. */
	t = func_proto(mod, "__release_mid");
	if (t)
		k->rel = btf_vlen(t) == 1 ? REL_KREF : btf_vlen(t) == 2 ? REL_MID : REL_NONE;
}

static void cifs_btf_read(struct cifs_btf_facts *k)
{
	struct btf *vml = btf__load_vmlinux_btf();
	struct btf *mod = vml ? btf__load_module_btf("cifs", vml) : NULL;

	cifs_btf_facts(mod, k);
	btf__free(mod);
	btf__free(vml);
}

/* Can method m be tried at all?  If not, say why. */
static bool method_possible(enum smb_method m, const struct cifs_btf_facts *k, char *why, size_t len)
{
	const char *miss = NULL;

	if (m == SMB_M_RAW_TP)
		return true;
	if (!k->btf)
		miss = "the cifs module has no BTF";
	else if (m == SMB_M_TP_BTF && !k->tp_enter)
		miss = "cifs BTF has no smb3_cmd_enter tracepoint";
	else if (m != SMB_M_TP_BTF && !k->mid_struct)
		miss = "cifs BTF has no struct mid_q_entry";
	else if (m != SMB_M_TP_BTF && !k->alloc_fn)
		miss = "smb2_mid_entry_alloc is inlined or has an unknown prototype in this cifs";
	else if (m != SMB_M_TP_BTF && k->rel == REL_NONE)
		miss = "__release_mid has neither known prototype";
	if (miss)
		snprintf(why, len, "%s: %s", method_label[m], miss);
	return !miss;
}

/* ---- attach ---- */

static int select_programs(struct smb_bpf *skel, enum smb_method m, enum release_form rel, bool reconn)
{
	struct bpf_program *p[8] = { 0 };

	switch (m) {
	case SMB_M_TP_BTF:
		p[0] = skel->progs.smb_btf_enter, p[1] = skel->progs.smb_btf_done, p[2] = skel->progs.smb_btf_err;
		if (reconn)
			p[3] = skel->progs.smb_btf_reconnect, p[4] = skel->progs.smb_btf_ses_expired,
			p[5] = skel->progs.smb_btf_connect_err, p[6] = skel->progs.smb_btf_connect_done;
		break;
	case SMB_M_RAW_TP:
		p[0] = skel->progs.smb_raw_enter, p[1] = skel->progs.smb_raw_done, p[2] = skel->progs.smb_raw_err;
		if (reconn)
			p[3] = skel->progs.smb_raw_reconnect, p[4] = skel->progs.smb_raw_ses_expired,
			p[5] = skel->progs.smb_raw_connect_err, p[6] = skel->progs.smb_raw_connect_done;
		break;
	case SMB_M_FENTRY:
		p[0] = skel->progs.smb_fexit_alloc;
		p[1] = rel == REL_MID ? skel->progs.smb_fentry_release_mid : skel->progs.smb_fentry_release_kref;
		break;
	default:
		p[0] = skel->progs.smb_kprobe_alloc, p[1] = skel->progs.smb_kretprobe_alloc;
		p[2] = rel == REL_MID ? skel->progs.smb_kprobe_release_mid : skel->progs.smb_kprobe_release_kref;
		break;
	}
	for (int i = 0; i < 8 && p[i]; i++) {
		int err = bpf_program__set_autoload(p[i], true);

		if (err)
			return err;
	}
	return 0;
}

/* ---- the cifs row of the module source ---- */

static struct smb_source *smb_of(const struct modsrc *m)
{
	return (struct smb_source *)m;
}

static void smb_facts(struct modsrc *m)
{
	cifs_btf_read(&smb_of(m)->k);
}

static bool smb_possible(struct modsrc *m, int method, char *why, size_t len)
{
	return method_possible((enum smb_method)method, &smb_of(m)->k, why, len);
}

static int smb_open(struct modsrc *m, int method)
{
	struct smb_source *s = smb_of(m);
	struct smb_bpf *skel = smb_bpf__open();

	if (!skel)
		return -errno;
	m->skel = skel;
	skel->rodata->max_age_ns = SMB_MAX_AGE_NS;
	s->rel = s->k.rel;
	/* raw_tp on a cifs without BTF cannot tell whether they exist: they stay off there */
	s->reconn = (method == SMB_M_TP_BTF || method == SMB_M_RAW_TP) && s->k.tp_reconn;
	return select_programs(skel, (enum smb_method)method, s->rel, s->reconn);
}

static int smb_load(struct modsrc *m)
{
	return smb_bpf__load(m->skel);
}

static int smb_attach(struct modsrc *m)
{
	return smb_bpf__attach(m->skel);
}

static void smb_destroy(struct modsrc *m)
{
	smb_bpf__destroy(m->skel);
}

static void smb_apply(struct modsrc *m)
{
	filter_apply(&smb_of(m)->f, m->skel);
}

static struct bpf_map *smb_map(const struct modsrc *m, enum modsrc_map which)
{
	struct smb_bpf *skel = m->skel;

	return which == MODSRC_MAP_EVENTS ? skel->maps.smb_events :
	       which == MODSRC_MAP_HIST ? skel->maps.smb_hist : skel->maps.smb_pending;
}

static void smb_counters(const struct modsrc *m, struct aod_loss *loss, uint64_t *unmatched)
{
	const struct smb_bpf *skel = m->skel;

	*loss = skel->bss->loss;
	*unmatched = skel->bss->unmatched;
}

static void smb_targets(const struct modsrc *m, int method, char *buf, size_t len)
{
	bool tp = method == SMB_M_TP_BTF || method == SMB_M_RAW_TP;

	snprintf(buf, len, "%s%s; reconnects: %s", tp ? "cifs:smb3_cmd_enter, smb3_cmd_done, smb3_cmd_err"
						      : "smb2_mid_entry_alloc, __release_mid",
		 !tp && smb_of(m)->rel == REL_MID ? " (the 6.19+ __release_mid(server, mid) form)" : "",
		 smb_of(m)->reconn ? "cifs:smb3_reconnect, smb3_ses_expired, smb3_connect_err, smb3_connect_done"
				   : tp ? "not watched (this cifs has no BTF for smb3_reconnect and smb3_connect_*)"
					: "not watched (they need the cifs tracepoints)");
}

/* LOCK, CHANGE_NOTIFY, OPLOCK_BREAK and the server's notification wait on the server by design:
 * a byte-range lock or a directory watch may be held for hours, which is no stall. */
#define SMB_STALL_EXEMPT ((1u << 10) | (1u << 15) | (1u << 18) | (1u << 19))

static bool smb_stall(const struct modsrc *m, const void *key, const void *value, struct aod_ev_stall *out)
{
	const struct smb_pending_key *k = key;
	const struct smb_pending_val *v = value;

	(void)m;
	if (v->cmd < 32 && (SMB_STALL_EXEMPT >> v->cmd & 1))
		return false;
	if (out) {
		modsrc_stall_who(out, v->pid, v->thread, v->comm, AOD_STALL_SMB, v->cmd);
		out->sesid = v->sesid;
		/* the tracepoint key is (sesid, mid); the fentry/kprobe key's mid is the mid as well */
		out->mid = k->mid;
		out->tree = v->tree;
	}
	return true;
}

static const char *const smb_modules[] = { "cifs", NULL };
static const char *const method_kind[SMB_M_COUNT] = { "tracepoint", "tracepoint", "fentry", "kprobe" };

static const struct modsrc_proto smb_proto = {
	.name = "smb",
	.modules = smb_modules,
	.nmethods = SMB_M_COUNT,
	.label = method_label,
	.short_name = method_short,
	.kind = method_kind,
	.hist_rows = CFG_SMB2_NCMD,
	.facts = smb_facts,
	.possible = smb_possible,
	.open = smb_open,
	.load = smb_load,
	.attach = smb_attach,
	.destroy = smb_destroy,
	.apply = smb_apply,
	.map = smb_map,
	.counters = smb_counters,
	.stall = smb_stall,
	.targets = smb_targets,
};

/* ---- the public face ---- */

bool smb_source_cifs_present(void)
{
	return modsrc_present(&smb_proto);
}

int smb_source_open(struct smb_source **out, const struct cfg_config *cfg, ring_buffer_sample_fn cb, void *ctx)
{
	struct smb_source *s = calloc(1, sizeof(*s));

	*out = NULL;
	if (!s)
		return -ENOMEM;
	modsrc_init(&s->m, &smb_proto, cb, ctx, cfg->cleanup_interval_sec, cfg->smb_attach);
	s->m.max_age_ns = SMB_MAX_AGE_NS;
	s->m.stall_ns = modsrc_stall_ns(cfg, NAMES_SMB);
	filter_from_config(&s->f, cfg);
	*out = s;
	return 0;
}

int smb_source_check(struct smb_source *s)
{
	return modsrc_check(&s->m);
}

int smb_source_scan_stalls(struct smb_source *s, uint64_t now_ns)
{
	return s ? modsrc_scan_stalls(&s->m, now_ns) : 0;
}

int smb_source_release(struct smb_source *s)
{
	return s ? modsrc_release(&s->m) : 0;
}

int smb_source_fd(const struct smb_source *s)
{
	return s ? modsrc_fd(&s->m) : -1;
}

int smb_source_consume(struct smb_source *s)
{
	return s ? modsrc_consume(&s->m) : 0;
}

int smb_source_update_config(struct smb_source *s, const struct cfg_config *cfg)
{
	filter_from_config(&s->f, cfg);
	s->m.check_every = cfg->cleanup_interval_sec;
	s->m.stall_ns = modsrc_stall_ns(cfg, NAMES_SMB);
	if (s->m.skel)
		filter_apply(&s->f, s->m.skel);
	modsrc_set_attach(&s->m, cfg->smb_attach);	/* applied by the next smb_source_check */
	modsrc_resume(&s->m);
	return 0;
}

void smb_source_info(const struct smb_source *s, char *method, size_t len, struct aod_loss *loss)
{
	modsrc_info(&s->m, method, len, loss);
}

uint64_t smb_source_unmatched(const struct smb_source *s)
{
	return modsrc_unmatched(&s->m);
}

bool smb_source_attached(const struct smb_source *s)
{
	return s && modsrc_attached(&s->m);
}

int smb_source_histograms(const struct smb_source *s, unsigned n, uint64_t (*counts)[SMB_SOURCE_HIST_BUCKETS],
			  uint64_t *total, uint64_t *errors)
{
	return modsrc_histograms(&s->m, n, counts, total, errors);
}

int smb_source_histogram(const struct smb_source *s, unsigned cmd, uint64_t counts[SMB_SOURCE_HIST_BUCKETS],
			 uint64_t *total, uint64_t *errors)
{
	return modsrc_histogram(&s->m, cmd, counts, total, errors);
}

int smb_source_hist_rows(const struct smb_source *s, uint64_t (*rows)[SMB_SOURCE_HIST_SLOTS])
{
	return modsrc_hist_rows(&s->m, rows, CFG_SMB2_NCMD);
}

void smb_source_close(struct smb_source *s)
{
	if (!s)
		return;
	modsrc_close(&s->m);
	free(s);
}

int smb_source_probe(const char *attach, char *method, size_t mlen, char *why, size_t wlen)
{
	struct smb_source *s = calloc(1, sizeof(*s));
	int err;

	if (!s)
		return -ENOMEM;
	modsrc_init(&s->m, &smb_proto, NULL, NULL, 0, attach);
	err = modsrc_probe(&s->m, method, mlen, why, wlen);
	smb_source_close(s);
	return err;
}

int smb_source_verify(const char *method, char *why, size_t wlen)
{
	struct smb_source *s = calloc(1, sizeof(*s));
	int err;

	if (!s)
		return -ENOMEM;
	modsrc_init(&s->m, &smb_proto, NULL, NULL, 0, "auto");
	err = modsrc_verify(&s->m, method, why, wlen);
	smb_source_close(s);
	return err;
}

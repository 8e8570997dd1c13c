// SPDX-License-Identifier: GPL-2.0-only
/* The SMB event source: waits for cifs, attaches smb.bpf.c by the first method that works, follows reloads. */
#include "smb_source.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "smb.skel.h"

enum smb_method { SMB_M_TP_BTF, SMB_M_RAW_TP, SMB_M_FENTRY, SMB_M_KPROBE, SMB_M_COUNT };

static const char *const method_label[SMB_M_COUNT] = {
	"tracepoint (tp_btf)", "tracepoint (raw_tp)", "fentry/fexit", "kprobe/kretprobe",
};

static const char *const method_short[SMB_M_COUNT] = { "tp_btf", "raw_tp", "fentry", "kprobe" };

/* Which __release_mid: the kref form up to 6.18, (server, mid) from 6.19 on. */
enum release_form { REL_NONE, REL_KREF, REL_MID };

enum smb_state { SMB_WAITING, SMB_ATTACHED, SMB_FAILED };

#define SMB_MAX_CODES 32	/* bpf/smb.bpf.c SMB_MAX_CODES */
#define SMB_HIST_SLOTS 34	/* bpf/smb.bpf.c: [0] completions, [1] errors, [2..33] buckets */
#define SMB_SWEEP_BATCH 256
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

struct smb_source {
	struct smb_bpf *skel;
	struct ring_buffer *rb;
	ring_buffer_sample_fn cb;
	void *ctx;
	enum smb_state state;
	enum smb_method method;
	enum release_form rel;
	char attach[16];
	uint32_t check_every;
	char module_id[32];		/* /sys/module/cifs/sections/.text: changes on reload */
	bool was_attached;
	bool waiting_logged;
	bool reattach;			/* smb.attach changed by a HUP */
	struct smb_filter f;
	struct aod_loss kept;		/* counters of earlier attachments */
	uint64_t kept_unmatched;
	uint64_t swept;			/* pending entries expired by the userspace sweep */
	struct smb_pending_key sweep[SMB_SWEEP_BATCH];
};

_Static_assert(sizeof(struct smb_pending_key) == 16, "pending key layout");
_Static_assert(sizeof(struct smb_pending_val) == 48, "pending value layout");
_Static_assert(sizeof(((struct smb_bpf__bss *)0)->thr_ns) == sizeof(uint64_t) * CFG_SMB2_NCMD, "thr_ns");
_Static_assert(sizeof(((struct smb_bpf__bss *)0)->err_status) == sizeof(uint32_t) * SMB_MAX_CODES, "codes");
_Static_assert(CFG_SMB2_NCMD == AOD_SMB2_NCMD, "command count");

/* ---- module presence ---- */

static void read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");

	buf[0] = 0;
	if (!f)
		return;
	if (fgets(buf, (int)len, f))
		buf[strcspn(buf, "\n")] = 0;
	fclose(f);
}

bool smb_source_cifs_present(void)
{
	char st[32];

	if (access("/sys/module/cifs", F_OK) != 0)
		return false;
	/* "coming" while its init runs (tracepoints and BTF not ready); built-in cifs has no initstate */
	read_line("/sys/module/cifs/initstate", st, sizeof(st));
	return st[0] == 0 || strcmp(st, "live") == 0;
}

static void module_id(char *buf, size_t len)
{
	read_line("/sys/module/cifs/sections/.text", buf, len);
}

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

struct cifs_btf_facts {
	bool btf;		/* the module has BTF */
	bool tp_enter;		/* btf_trace_smb3_cmd_enter: tp_btf possible */
	bool mid_struct;	/* struct mid_q_entry */
	bool alloc_fn;		/* smb2_mid_entry_alloc not inlined */
	enum release_form rel;
};

static const struct btf_type *func_proto(const struct btf *btf, const char *name)
{
	int id = btf__find_by_name_kind(btf, name, BTF_KIND_FUNC);
	const struct btf_type *t = id > 0 ? btf__type_by_id(btf, (__u32)id) : NULL;

	t = t ? btf__type_by_id(btf, t->type) : NULL;
	return t && btf_is_func_proto(t) ? t : NULL;
}

/* What the cifs module's BTF offers; no I/O, so a unit test can hand it a synthetic BTF. */
static void cifs_btf_facts(const struct btf *mod, struct cifs_btf_facts *k)
{
	const struct btf_type *t;

	memset(k, 0, sizeof(*k));
	if (!mod)
		return;
	k->btf = true;
	k->tp_enter = btf__find_by_name_kind(mod, "btf_trace_smb3_cmd_enter", BTF_KIND_TYPEDEF) > 0;
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

static int select_programs(struct smb_bpf *skel, enum smb_method m, enum release_form rel)
{
	struct bpf_program *p[4] = { 0 };

	switch (m) {
	case SMB_M_TP_BTF:
		p[0] = skel->progs.smb_btf_enter, p[1] = skel->progs.smb_btf_done, p[2] = skel->progs.smb_btf_err;
		break;
	case SMB_M_RAW_TP:
		p[0] = skel->progs.smb_raw_enter, p[1] = skel->progs.smb_raw_done, p[2] = skel->progs.smb_raw_err;
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
	for (int i = 0; i < 4 && p[i]; i++) {
		int err = bpf_program__set_autoload(p[i], true);

		if (err)
			return err;
	}
	return 0;
}

static void detach(struct smb_source *s)
{
	if (s->skel) {
		s->kept.ringbuf_full += s->skel->bss->loss.ringbuf_full;
		s->kept.map_full += s->skel->bss->loss.map_full;
		s->kept.expired += s->skel->bss->loss.expired;
		s->kept_unmatched += s->skel->bss->unmatched;
	}
	ring_buffer__free(s->rb);
	smb_bpf__destroy(s->skel);
	s->rb = NULL;
	s->skel = NULL;
}

/* One method: open, set, choose, load, attach, ring buffer.  load_only stops after the verifier. */
static int try_method(struct smb_source *s, enum smb_method m, enum release_form rel, bool load_only,
		      char *why, size_t len)
{
	const char *step = "open";
	int err;

	s->skel = smb_bpf__open();
	if (!s->skel) {
		err = -errno;
		goto fail;
	}
	s->skel->rodata->max_age_ns = SMB_MAX_AGE_NS;
	step = "select";
	if ((err = select_programs(s->skel, m, rel)))
		goto fail;
	step = "load";
	if ((err = smb_bpf__load(s->skel)) || load_only)
		goto done;
	filter_apply(&s->f, s->skel);
	step = "attach";
	if ((err = smb_bpf__attach(s->skel)))
		goto fail;
	step = "ring buffer";
	s->rb = ring_buffer__new(bpf_map__fd(s->skel->maps.smb_events), s->cb, s->ctx, NULL);
	if (!s->rb) {
		err = -errno;
		goto fail;
	}
	s->method = m;
	s->rel = rel;
	return 0;
done:
	if (!err)
		return 0;
fail:
	snprintf(why, len, "%s: %s failed: %s", method_label[m], step, strerror(-err));
	if (m == SMB_M_FENTRY && err == -EPERM)
		snprintf(why, len, "%s: fentry refused by kernel (EPERM)", method_label[m]);
	detach(s);
	return err;
}

/* The order auto walks; an explicit smb.attach narrows it. */
static int method_range(const char *attach, enum smb_method *lo, enum smb_method *hi)
{
	if (!attach[0] || strcmp(attach, "auto") == 0)
		*lo = SMB_M_TP_BTF, *hi = SMB_M_KPROBE;
	else if (strcmp(attach, "tracepoint") == 0)
		*lo = SMB_M_TP_BTF, *hi = SMB_M_RAW_TP;
	else if (strcmp(attach, "fentry") == 0)
		*lo = *hi = SMB_M_FENTRY;
	else if (strcmp(attach, "kprobe") == 0)
		*lo = *hi = SMB_M_KPROBE;
	else
		return -EINVAL;
	return 0;
}

/* Walk the methods; why collects every refusal, "; "-separated. */
static int attach_first(struct smb_source *s, char *why, size_t len)
{
	struct cifs_btf_facts k;
	enum smb_method lo, hi;
	char one[160];
	int err = -ENOENT;
	size_t used = 0;

	why[0] = 0;
	if (method_range(s->attach, &lo, &hi)) {
		snprintf(why, len, "smb.attach '%s' is not auto, tracepoint, fentry or kprobe", s->attach);
		return -EINVAL;
	}
	cifs_btf_read(&k);
	for (enum smb_method m = lo; m <= hi; m++) {
		if (!method_possible(m, &k, one, sizeof(one)))
			err = -ENOENT;
		else if ((err = try_method(s, m, k.rel, false, one, sizeof(one))) == 0)
			return 0;
		if (used < len)
			used += (size_t)snprintf(why + used, len - used, "%s%s", used ? "; " : "", one);
	}
	return err;
}

/* ---- pending-map sweep ---- */

/*
 * Requests that never complete (chained parts of a failed compound) stay in
 * the LRU until evicted; expire what is older than the maximum age and
 * count it, a batch per tick.
 */
static void sweep(struct smb_source *s)
{
	int fd = bpf_map__fd(s->skel->maps.smb_pending);
	uint32_t max = bpf_map__max_entries(s->skel->maps.smb_pending);
	struct smb_pending_key cur, next;
	struct smb_pending_val v;
	uint64_t now = mono_ns();
	int n = 0;

	if (bpf_map__value_size(s->skel->maps.smb_pending) != sizeof(v))
		return;
	for (uint32_t i = 0; i <= max && n < SMB_SWEEP_BATCH; i++) {
		if (bpf_map_get_next_key(fd, i ? &cur : NULL, &next))
			break;
		if (bpf_map_lookup_elem(fd, &next, &v) == 0 && now > v.ts && now - v.ts > SMB_MAX_AGE_NS)
			s->sweep[n++] = next;
		cur = next;
	}
	for (int i = 0; i < n; i++)
		if (bpf_map_delete_elem(fd, &s->sweep[i]) == 0)
			s->swept++;
}

/* ---- the public face ---- */

int smb_source_open(struct smb_source **out, const struct cfg_config *cfg, ring_buffer_sample_fn cb, void *ctx)
{
	struct smb_source *s = calloc(1, sizeof(*s));

	*out = NULL;
	if (!s)
		return -ENOMEM;
	s->cb = cb;
	s->ctx = ctx;
	s->state = SMB_WAITING;
	s->check_every = cfg->cleanup_interval_sec;
	snprintf(s->attach, sizeof(s->attach), "%s", cfg->smb_attach[0] ? cfg->smb_attach : "auto");
	filter_from_config(&s->f, cfg);
	*out = s;
	return 0;
}

static int became_present(struct smb_source *s)
{
	char why[512];
	int err;

	err = attach_first(s, why, sizeof(why));
	module_id(s->module_id, sizeof(s->module_id));
	if (err) {
		s->state = SMB_FAILED;
		log_error("unable to attach the SMB probes to the cifs module: %s", why);
		return err;
	}
	s->state = SMB_ATTACHED;
	if (s->was_attached)
		log_alert(LOG_WARNING, "smb: re-attached via %s after the cifs module came back",
			  method_label[s->method]);
	else
		log_info("smb: attached via %s", method_label[s->method]);
	s->was_attached = true;
	s->waiting_logged = false;
	return 1;
}

static void start_waiting(struct smb_source *s)
{
	s->state = SMB_WAITING;
	if (!s->waiting_logged)
		log_info("smb: waiting for the cifs module (checked every %u s)", s->check_every);
	s->waiting_logged = true;
}

int smb_source_check(struct smb_source *s)
{
	bool present = smb_source_cifs_present();
	char id[32];

	if (present)
		module_id(id, sizeof(id));
	if (s->state != SMB_WAITING && (!present || strcmp(id, s->module_id) != 0 || s->reattach)) {
		/* tp/raw_tp/fentry links pin the module; a kprobe attach does not, so it can vanish */
		if (s->state == SMB_ATTACHED && !s->reattach)
			log_warn("smb: the cifs module was unloaded or reloaded: detached the SMB probes");
		detach(s);
		s->state = SMB_WAITING;
		s->reattach = false;
		if (!present) {
			start_waiting(s);
			return 1;
		}
	}
	if (s->state == SMB_ATTACHED) {
		sweep(s);
		return 0;
	}
	if (s->state == SMB_FAILED)
		return 0;
	if (!present) {
		start_waiting(s);
		return 0;
	}
	return became_present(s);
}

int smb_source_fd(const struct smb_source *s)
{
	return s && s->rb ? ring_buffer__epoll_fd(s->rb) : -1;
}

int smb_source_consume(struct smb_source *s)
{
	return s && s->rb ? ring_buffer__consume(s->rb) : 0;
}

int smb_source_update_config(struct smb_source *s, const struct cfg_config *cfg)
{
	const char *attach = cfg->smb_attach[0] ? cfg->smb_attach : "auto";

	filter_from_config(&s->f, cfg);
	s->check_every = cfg->cleanup_interval_sec;
	if (s->skel)
		filter_apply(&s->f, s->skel);
	if (strcmp(attach, s->attach) != 0) {
		snprintf(s->attach, sizeof(s->attach), "%s", attach);
		s->reattach = s->state != SMB_WAITING;	/* applied by the next smb_source_check */
	}
	return 0;
}

void smb_source_info(const struct smb_source *s, char *method, size_t len, struct aod_loss *loss)
{
	*loss = s->kept;
	loss->expired += s->swept;
	if (s->skel) {
		loss->ringbuf_full += s->skel->bss->loss.ringbuf_full;
		loss->map_full += s->skel->bss->loss.map_full;
		loss->expired += s->skel->bss->loss.expired;
	}
	if (s->state == SMB_ATTACHED)
		snprintf(method, len, "%s", method_label[s->method]);
	else if (s->state == SMB_FAILED)
		snprintf(method, len, "failed (cifs loaded, no method attached)");
	else
		snprintf(method, len, "waiting for cifs");
}

uint64_t smb_source_unmatched(const struct smb_source *s)
{
	return s->kept_unmatched + (s->skel ? s->skel->bss->unmatched : 0);
}

bool smb_source_attached(const struct smb_source *s)
{
	return s && s->state == SMB_ATTACHED;
}

int smb_source_histogram(const struct smb_source *s, unsigned cmd, uint64_t counts[SMB_SOURCE_HIST_BUCKETS],
			 uint64_t *total)
{
	uint64_t row[SMB_HIST_SLOTS];
	__u32 key = cmd;
	int err;

	memset(counts, 0, sizeof(uint64_t) * SMB_SOURCE_HIST_BUCKETS);
	*total = 0;
	if (cmd >= CFG_SMB2_NCMD)
		return -EINVAL;
	if (!s->skel)
		return -ENODEV;
	err = bpf_map__lookup_elem(s->skel->maps.smb_hist, &key, sizeof(key), row, sizeof(row), 0);
	if (err)
		return err;
	memcpy(counts, row + 2, sizeof(uint64_t) * SMB_SOURCE_HIST_BUCKETS);
	*total = row[0];
	return 0;
}

void smb_source_close(struct smb_source *s)
{
	if (!s)
		return;
	detach(s);
	free(s);
}

/* ---- for aod probes and the live tests ---- */

static int ignore_event(void *ctx, void *data, size_t size)
{
	(void)ctx, (void)data, (void)size;
	return 0;
}

int smb_source_probe(const char *attach, char *method, size_t mlen, char *why, size_t wlen)
{
	struct smb_source *s = calloc(1, sizeof(*s));
	int err;

	if (!s)
		return -ENOMEM;
	s->cb = ignore_event;
	snprintf(s->attach, sizeof(s->attach), "%s", attach);
	/* the zeroed filter tracks nothing: no event crosses while attached */
	err = attach_first(s, why, wlen);
	if (!err) {
		bool tp = s->method == SMB_M_TP_BTF || s->method == SMB_M_RAW_TP;

		snprintf(method, mlen, "%s", method_short[s->method]);
		snprintf(why, wlen, "%s%s", tp ? "cifs:smb3_cmd_enter, smb3_cmd_done, smb3_cmd_err"
					       : "smb2_mid_entry_alloc, __release_mid",
			 !tp && s->rel == REL_MID ? " (the 6.19+ __release_mid(server, mid) form)" : "");
	}
	smb_source_close(s);
	return err;
}

int smb_source_verify(const char *method, char *why, size_t wlen)
{
	struct smb_source *s;
	int err = -EINVAL;

	why[0] = 0;
	for (int m = 0; m < SMB_M_COUNT; m++) {
		if (strcmp(method, method_short[m]) != 0)
			continue;
		s = calloc(1, sizeof(*s));
		if (!s)
			return -ENOMEM;
		err = try_method(s, (enum smb_method)m, REL_KREF, true, why, wlen);
		smb_source_close(s);
	}
	return err;
}

// SPDX-License-Identifier: GPL-2.0-only
/* `aod probes` and the capability probing other modules consult: real loads and attaches of tiny programs. */
#include "probe.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <dirent.h>
#include <linux/types.h>

#include "bpflog.h"
#include "log.h"
#include "names.h"
#include "nfs_source.h"
#include "probe.skel.h"
#include "smb_source.h"

static const char *const family_names[PROBE_FAMILY_COUNT] = {
	"smb", "nfs", "sched", "block", "vfs", "oom", "tcp", "drops", "faults",
};

static const char *const method_names[PROBE_METHOD_COUNT] = {
	"tp_btf", "raw_tp", "tracepoint", "fentry", "fexit", "kprobe",
};

const char *probe_family_name(enum probe_family fam)
{
	return (unsigned)fam < PROBE_FAMILY_COUNT ? family_names[fam] : "?";
}

const char *probe_method_name(enum probe_method m)
{
	return (unsigned)m < PROBE_METHOD_COUNT ? method_names[m] : "?";
}

static bool path_exists(const char *p)
{
	return access(p, F_OK) == 0;
}

static struct bpf_program *probe_prog(struct probe_bpf *skel, enum probe_method m)
{
	switch (m) {
	case PROBE_TP_BTF: return skel->progs.probe_tp_btf;
	case PROBE_RAW_TP: return skel->progs.probe_raw_tp;
	case PROBE_TRACEPOINT: return skel->progs.probe_tracepoint;
	case PROBE_FENTRY: return skel->progs.probe_fentry;
	case PROBE_FEXIT: return skel->progs.probe_fexit;
	case PROBE_KPROBE: return skel->progs.probe_kprobe;
	default: return NULL;
	}
}

static struct bpf_link *probe_attach(struct bpf_program *p, enum probe_method m, const char *target)
{
	char cat[64];
	const char *slash;

	switch (m) {
	case PROBE_RAW_TP:
		return bpf_program__attach_raw_tracepoint(p, target);
	case PROBE_TRACEPOINT:
		slash = strchr(target, '/');
		if (!slash || (size_t)(slash - target) >= sizeof(cat)) {
			errno = EINVAL;
			return NULL;
		}
		memcpy(cat, target, (size_t)(slash - target));
		cat[slash - target] = 0;
		return bpf_program__attach_tracepoint(p, cat, slash + 1);
	case PROBE_KPROBE:
		return bpf_program__attach_kprobe(p, false, target);
	default:
		return bpf_program__attach(p);
	}
}

/* Kernel BTF, parsed once per probe_caps: every BTF-based probe looks its target up first. */
static struct btf *vmlinux_btf;

static bool btf_has(const struct btf *btf, const char *name, int kind)
{
	return btf && btf__find_by_name_kind(btf, name, kind) > 0;
}

/*
 * Is the tp_btf/fentry target in vmlinux or a module's BTF?  Checked here
 * because libbpf 1.1 leaks its vmlinux BTF when set_attach_target fails.
 */
static bool btf_target_exists(enum probe_method m, const char *target)
{
	char name[128];
	int kind = m == PROBE_TP_BTF ? BTF_KIND_TYPEDEF : BTF_KIND_FUNC;
	bool found;
	DIR *d;
	struct dirent *e;

	snprintf(name, sizeof(name), "%s%s", m == PROBE_TP_BTF ? "btf_trace_" : "", target);
	if (!vmlinux_btf)
		vmlinux_btf = btf__load_vmlinux_btf();
	if (!vmlinux_btf)
		return false;
	found = btf_has(vmlinux_btf, name, kind);
	d = found ? NULL : opendir("/sys/kernel/btf");
	while (d && !found && (e = readdir(d))) {
		struct btf *mod;

		if (e->d_name[0] == '.' || strcmp(e->d_name, "vmlinux") == 0)
			continue;
		mod = btf__load_module_btf(e->d_name, vmlinux_btf);
		found = btf_has(mod, name, kind);
		btf__free(mod);
	}
	if (d)
		closedir(d);
	return found;
}

int probe_try(enum probe_method m, const char *target, struct probe_try *out)
{
	struct probe_bpf *skel;
	struct bpf_program *p;
	struct bpf_link *link;
	int err;

	memset(out, 0, sizeof(*out));
	out->tried = true;
	if ((m == PROBE_TP_BTF || m == PROBE_FENTRY || m == PROBE_FEXIT) && !btf_target_exists(m, target))
		return out->err = -ENOENT;
	skel = probe_bpf__open();
	if (!skel)
		return out->err = -errno;
	p = probe_prog(skel, m);
	err = p ? bpf_program__set_autoload(p, true) : -EINVAL;
	if (!err && (m == PROBE_TP_BTF || m == PROBE_FENTRY || m == PROBE_FEXIT))
		err = bpf_program__set_attach_target(p, 0, target);
	if (!err)
		err = probe_bpf__load(skel);
	if (!err) {
		out->loaded = true;
		link = probe_attach(p, m, target);
		err = link ? 0 : -errno;
		bpf_link__destroy(link);
	}
	probe_bpf__destroy(skel);
	/* libbpf reports a missing BTF target as -ESRCH: say "not found" like the attach paths do */
	return out->err = (err == -ESRCH ? -ENOENT : err);
}

static bool tracefs_mounted(char *where, size_t len)
{
	char dev[128], dir[256], type[64];
	bool found = false;
	FILE *f = fopen("/proc/mounts", "re");

	where[0] = 0;
	if (!f)
		return false;
	while (!found && fscanf(f, "%127s %255s %63s %*[^\n]", dev, dir, type) == 3) {
		if (strcmp(type, "tracefs") == 0 && (strcmp(dir, "/sys/kernel/tracing") == 0 ||
						    strcmp(dir, "/sys/kernel/debug/tracing") == 0)) {
			snprintf(where, len, "%.*s", (int)(len - 1), dir);
			found = true;
		}
	}
	fclose(f);
	return found;
}

static bool any_module_btf(void)
{
	DIR *d = opendir("/sys/kernel/btf");
	struct dirent *e;
	bool found = false;

	if (!d)
		return false;
	while (!found && (e = readdir(d)))
		found = e->d_name[0] != '.' && strcmp(e->d_name, "vmlinux") != 0;
	closedir(d);
	return found;
}

static void probe_host(struct probe_caps *c)
{
	struct utsname u;
	struct rlimit rl;
	char kev[128];

	if (uname(&u) == 0)
		snprintf(c->release, sizeof(c->release), "%s", u.release);
	c->btf_vmlinux = path_exists("/sys/kernel/btf/vmlinux");
	c->btf_modules = any_module_btf();
	c->btf_cifs = path_exists("/sys/kernel/btf/cifs");
	c->cifs_loaded = smb_source_cifs_present();
	c->nfs_loaded = nfs_source_present();
	c->tracefs = tracefs_mounted(c->tracefs_path, sizeof(c->tracefs_path));
	c->kprobe_pmu = path_exists("/sys/bus/event_source/devices/kprobe");
	snprintf(kev, sizeof(kev), "%s/kprobe_events", c->tracefs ? c->tracefs_path : "/sys/kernel/tracing");
	c->kprobe_events = path_exists(kev);
	if (getrlimit(RLIMIT_MEMLOCK, &rl) == 0) {
		c->memlock_cur = rl.rlim_cur == RLIM_INFINITY ? UINT64_MAX : rl.rlim_cur;
		c->memlock_max = rl.rlim_max == RLIM_INFINITY ? UINT64_MAX : rl.rlim_max;
	}
	c->ringbuf = libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL) == 1;
}

/* The generic answer for each method, on targets every kernel has. */
static void probe_methods(struct probe_caps *c)
{
	static const char *const target[PROBE_METHOD_COUNT] = {
		"sched_switch", "sched_switch", "sched/sched_switch", "vfs_read", "vfs_read", "vfs_read",
	};

	for (int m = 0; m < PROBE_METHOD_COUNT; m++)
		probe_try((enum probe_method)m, target[m], &c->method[m]);
	c->bpf_ok = c->method[PROBE_RAW_TP].loaded || c->method[PROBE_TP_BTF].loaded;
	c->bpf_err = c->bpf_ok ? 0 : c->method[PROBE_RAW_TP].err;
}

/* ---- why a method failed, in the words `aod probes` prints ---- */

static const char *errno_name(int e)
{
	const char *n = names_kernel_errno_name(e);

	return n ? n : "errno";
}

static void method_reason(const struct probe_caps *c, enum probe_method m, const struct probe_try *t,
			  const char *target, char *buf, size_t len)
{
	int e = -t->err;

	if (m == PROBE_KPROBE && !c->kprobe_pmu && !c->kprobe_events) {
		snprintf(buf, len, "kprobes not available");
	} else if (m == PROBE_TRACEPOINT && !c->tracefs) {
		snprintf(buf, len, "tracefs not mounted");
	} else if (!c->bpf_ok && c->bpf_err == -EPERM) {
		/* Nothing loads without privilege: EPERM then says nothing about the method itself. */
		snprintf(buf, len, "%s not tried: no permission to load BPF (run as root, or with CAP_BPF and "
			 "CAP_PERFMON)", method_names[m]);
	} else if ((m == PROBE_FENTRY || m == PROBE_FEXIT) && e == EPERM) {
		snprintf(buf, len, "%s refused by kernel (EPERM)", method_names[m]);
	} else if ((m == PROBE_TP_BTF || m == PROBE_FENTRY || m == PROBE_FEXIT) && !c->btf_vmlinux) {
		snprintf(buf, len, "%s needs kernel BTF (/sys/kernel/btf/vmlinux missing)", method_names[m]);
	} else if (e == ENOENT) {
		snprintf(buf, len, "%s: %s not found in this kernel", method_names[m], target);
	} else {
		snprintf(buf, len, "%s %s failed at %s: %s (%s)", method_names[m], target,
			 t->loaded ? "attach" : "load", strerror(e), errno_name(e));
	}
}

/* ---- families ---- */

static void choose(struct probe_choice *ch, const char *method, bool usable, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void choose(struct probe_choice *ch, const char *method, bool usable, const char *fmt, ...)
{
	va_list ap;

	snprintf(ch->method, sizeof(ch->method), "%s", method);
	ch->usable = usable;
	va_start(ap, fmt);
	vsnprintf(ch->why, sizeof(ch->why), fmt, ap);
	va_end(ap);
}

/* Try every "cat/name" with method m; on the first failure put the reason in why. */
static bool try_all(const struct probe_caps *c, enum probe_method m, const char *const *tps, int n,
		    char *why, size_t len)
{
	struct probe_try t;

	for (int i = 0; i < n; i++) {
		const char *name = strchr(tps[i], '/') + 1;
		const char *target = m == PROBE_TRACEPOINT ? tps[i] : name;

		if (probe_try(m, target, &t) != 0) {
			method_reason(c, m, &t, target, why, len);
			return false;
		}
	}
	return true;
}

/* Tracepoint families: tp_btf, then raw_tp, then the classic tracepoint through tracefs. */
static void fam_tracepoints(const struct probe_caps *c, struct probe_choice *ch, const char *const *tps,
			    int n, const char *detail)
{
	static const enum probe_method order[] = { PROBE_TP_BTF, PROBE_RAW_TP, PROBE_TRACEPOINT };
	char why[3][120];

	for (int i = 0; i < 3; i++) {
		if (!try_all(c, order[i], tps, n, why[i], sizeof(why[i])))
			continue;
		if (i == 0)
			choose(ch, method_names[order[i]], true, "%s", detail);
		else
			choose(ch, method_names[order[i]], true, "%s (%s)", detail, why[0]);
		return;
	}
	choose(ch, "none", false, "%s; %s; %s", why[0], why[1], why[2]);
}

static bool try_funcs(const struct probe_caps *c, enum probe_method m, const char *const *fns, int n,
		      char *why, size_t len)
{
	struct probe_try t;

	for (int i = 0; i < n; i++) {
		if (probe_try(m, fns[i], &t) != 0) {
			method_reason(c, m, &t, fns[i], why, len);
			return false;
		}
	}
	return true;
}

static void fam_vfs(const struct probe_caps *c, struct probe_choice *ch)
{
	static const char *const fns[] = { "vfs_read", "vfs_write" };
	static const char *const sc[] = { "syscalls/sys_enter_read", "syscalls/sys_exit_read",
					  "syscalls/sys_enter_write", "syscalls/sys_exit_write" };
	static const char *const raw[] = { "raw_syscalls/sys_enter", "raw_syscalls/sys_exit" };
	char fe[120], kp[120], tp[120], rb[120];
	const char *via = NULL;

	if (try_funcs(c, PROBE_FENTRY, fns, 2, fe, sizeof(fe)) && try_funcs(c, PROBE_FEXIT, fns, 2, fe, sizeof(fe))) {
		choose(ch, "fentry", true, "fentry/fexit vfs_read, vfs_write");
		return;
	}
	if (try_funcs(c, PROBE_KPROBE, fns, 2, kp, sizeof(kp))) {
		choose(ch, "kprobe", true, "kprobe/kretprobe vfs_read, vfs_write (%s)", fe);
		return;
	}
	if (try_all(c, PROBE_TRACEPOINT, sc, 4, tp, sizeof(tp)))
		via = "syscalls tracepoints";
	else if (try_all(c, PROBE_TP_BTF, raw, 2, rb, sizeof(rb)))
		via = "raw_syscalls tp_btf";
	else if (try_all(c, PROBE_RAW_TP, raw, 2, rb, sizeof(rb)))
		via = "raw_syscalls raw_tp";
	if (via) {
		/* as health_source decides: syscall-level hooks tax every syscall, so only on request */
		choose(ch, "syscalls", true,
		       "off by default: only syscall-level hooks on this kernel, every syscall pays; turn on with "
		       "health.vfs_latency.attach: syscall (would use %s; %s; %s)", via, fe, kp);
		return;
	}
	choose(ch, "none", false, "%s; %s; %s; %s", fe, kp, tp, rb);
}

static void fam_faults(const struct probe_caps *c, struct probe_choice *ch)
{
	static const char *const fns[] = { "handle_mm_fault" };
	char why[120], line[64] = "";
	FILE *f;
	bool vmstat = false;

	if (try_funcs(c, PROBE_FEXIT, fns, 1, why, sizeof(why))) {
		choose(ch, "fexit", true, "fexit handle_mm_fault, VM_FAULT_MAJOR");
		return;
	}
	f = fopen("/proc/vmstat", "re");
	while (f && !vmstat && fgets(line, sizeof(line), f))
		vmstat = strncmp(line, "pgmajfault ", 11) == 0;
	if (f)
		fclose(f);
	if (vmstat) {
		choose(ch, "vmstat", true, "/proc/vmstat pgmajfault deltas (%s)", why);
		return;
	}
	choose(ch, "none", false, "%s; /proc/vmstat has no pgmajfault", why);
}

/* Does tracepoint NAME's BTF prototype take an argument of enum type ENUM?  (Prototype
 * parameters carry no names in BTF, so the type is what can be checked.) */
static bool tp_has_enum_arg(const struct btf *btf, const char *name, const char *enum_name)
{
	char tn[96];
	const struct btf_type *t, *a;
	const struct btf_param *p;
	int id;

	snprintf(tn, sizeof(tn), "btf_trace_%s", name);
	id = btf ? btf__find_by_name_kind(btf, tn, BTF_KIND_TYPEDEF) : -1;
	if (id < 0)
		return false;
	t = btf__type_by_id(btf, btf__resolve_type(btf, (__u32)id));	/* the pointer */
	t = t && btf_is_ptr(t) ? btf__type_by_id(btf, t->type) : NULL;	/* the prototype */
	if (!t || !btf_is_func_proto(t))
		return false;
	p = btf_params(t);
	for (int i = 0; i < btf_vlen(t); i++) {
		int aid = btf__resolve_type(btf, p[i].type);

		a = aid > 0 ? btf__type_by_id(btf, (__u32)aid) : NULL;
		if (a && btf_is_enum(a) && strcmp(btf__name_by_offset(btf, a->name_off), enum_name) == 0)
			return true;
	}
	return false;
}

/* Has struct `sname` a direct member `member`? */
static bool btf_has_member(const struct btf *btf, const char *sname, const char *member)
{
	int id = btf ? btf__find_by_name_kind(btf, sname, BTF_KIND_STRUCT) : -1;
	const struct btf_type *t = id > 0 ? btf__type_by_id(btf, (__u32)id) : NULL;
	const struct btf_member *m;

	if (!t)
		return false;
	m = btf_members(t);
	for (int i = 0; i < btf_vlen(t); i++, m++)
		if (!strcmp(btf__name_by_offset(btf, m->name_off), member))
			return true;
	return false;
}

/*
 * The run-queue method health_source tries first: sched_switch alone, reading the wait the
 * scheduler stamped (task->sched_info.last_queued, rq->clock through se.cfs_rq->rq). It needs
 * tp_btf on sched_switch and those fields; without them the wakeup hooks follow.
 */
static void fam_sched(const struct probe_caps *c, struct probe_choice *ch, const char *const *tps)
{
	char why[120];

	if (try_all(c, PROBE_TP_BTF, tps + 2, 1, why, sizeof(why)) &&
	    btf_has_member(vmlinux_btf, "task_struct", "sched_info") &&
	    btf_has_member(vmlinux_btf, "sched_info", "last_queued") &&
	    btf_has_member(vmlinux_btf, "sched_entity", "cfs_rq") && btf_has_member(vmlinux_btf, "cfs_rq", "rq")) {
		choose(ch, "tp_btf", true, "sched_switch alone (wait from sched_info.last_queued)");
		return;
	}
	fam_tracepoints(c, ch, tps, 3, "sched_wakeup, sched_wakeup_new, sched_switch");
}

static void fam_smb(const struct probe_caps *c, struct probe_choice *ch)
{
	char method[48], why[160];

	if (!c->cifs_loaded) {
		choose(ch, "waiting", false, "cifs module not loaded: will attach when it appears");
		return;
	}
	if (smb_source_probe("auto", method, sizeof(method), why, sizeof(why)) == 0)
		choose(ch, method, true, "%s", why);
	else
		choose(ch, "none", false, "%s", why);
}

/* Without the modules nothing attaches; say which methods the verifier already accepts here. */
static void fam_nfs(const struct probe_caps *c, struct probe_choice *ch)
{
	static const char *const methods[] = { "tp_btf", "raw_tp", "fentry", "kprobe" };
	char method[48], why[300], ok[64] = "";
	size_t off = 0;

	if (c->nfs_loaded) {
		if (nfs_source_probe("auto", method, sizeof(method), why, sizeof(why)) == 0)
			choose(ch, method, true, "%s", why);
		else
			choose(ch, "none", false, "%s", why);
		return;
	}
	for (int i = 0; i < 4; i++)
		if (nfs_source_verify(methods[i], why, sizeof(why)) == 0)
			off += (size_t)snprintf(ok + off, sizeof(ok) - off, "%s%s", off ? ", " : "", methods[i]);
	choose(ch, "waiting", false, "%s module not loaded: will attach when sunrpc and nfs appear; %s%s",
	       nfs_source_missing() ? nfs_source_missing() : "sunrpc", off ? "verified here: " : "no method verifiable "
	       "without them (their BTF carries the tracepoints and struct rpc_task)", ok);
}

/* `aod run --smb-attach` can force any of them, so the report tries each, not only auto's choice. */
static void smb_each_method(struct probe_caps *c)
{
	static const char *const forced[] = { "tracepoint", "fentry", "kprobe" };
	char method[48], why[160];
	int i;

	for (i = 0; c->cifs_loaded && i < 3; i++) {
		if (smb_source_probe(forced[i], method, sizeof(method), why, sizeof(why)) == 0)
			choose(&c->smb_method[i], method, true, "%s", why);
		else
			choose(&c->smb_method[i], "no", false, "%s", why);
	}
}

static void probe_families(struct probe_caps *c)
{
	static const char *const sched[] = { "sched/sched_wakeup", "sched/sched_wakeup_new", "sched/sched_switch" };
	static const char *const block[] = { "block/block_rq_issue", "block/block_rq_complete" };
	static const char *const oom[] = { "oom/mark_victim" };
	static const char *const tcp[] = { "tcp/tcp_retransmit_skb" };
	static const char *const drops[] = { "skb/kfree_skb" };
	bool reason;

	if (!vmlinux_btf)
		vmlinux_btf = btf__load_vmlinux_btf();
	reason = tp_has_enum_arg(vmlinux_btf, "kfree_skb", "skb_drop_reason");
	fam_smb(c, &c->family[PROBE_SMB]);
	smb_each_method(c);
	fam_nfs(c, &c->family[PROBE_NFS]);
	fam_sched(c, &c->family[PROBE_SCHED], sched);
	fam_tracepoints(c, &c->family[PROBE_BLOCK], block, 2, "block_rq_issue, block_rq_complete");
	fam_vfs(c, &c->family[PROBE_VFS]);
	fam_tracepoints(c, &c->family[PROBE_OOM], oom, 1, "oom:mark_victim");
	fam_tracepoints(c, &c->family[PROBE_TCP], tcp, 1, "tcp:tcp_retransmit_skb");
	fam_tracepoints(c, &c->family[PROBE_DROPS], drops, 1,
			reason ? "skb:kfree_skb, with the drop reason"
			       : "skb:kfree_skb (no drop reason on this kernel: every free counts)");
	fam_faults(c, &c->family[PROBE_FAULTS]);
}

/*
 * Since 5.11 BPF memory is charged to the memory cgroup, not RLIMIT_MEMLOCK.
 * Find out for real: a map larger than the memlock limit only loads if the
 * limit does not apply.  Must run before any bpf_object load, because
 * libbpf raises the limit itself on kernels without memcg accounting.
 */
static void probe_memcg(struct probe_caps *c)
{
	__u32 entries;
	int fd;

	if (c->memlock_cur >= (1ull << 30))
		return;
	entries = (__u32)(c->memlock_cur / 4096) + 256;
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, NULL, 4, 4096, entries, NULL);
	c->memcg_known = fd >= 0 || errno == EPERM;
	c->memcg = fd >= 0;
	if (fd >= 0)
		close(fd);
}

int probe_caps(struct probe_caps *caps)
{
	memset(caps, 0, sizeof(*caps));
	probe_host(caps);
	probe_memcg(caps);
	probe_methods(caps);
	probe_families(caps);
	btf__free(vmlinux_btf);
	vmlinux_btf = NULL;
	return caps->bpf_ok ? 0 : caps->bpf_err;
}

const char *probe_family_method(const struct probe_caps *caps, enum probe_family fam, char *why, size_t len)
{
	if ((unsigned)fam >= PROBE_FAMILY_COUNT) {
		snprintf(why, len, "unknown family");
		return "none";
	}
	snprintf(why, len, "%s", caps->family[fam].why);
	return caps->family[fam].method;
}

/* ---- aod probes ---- */

static void print_memlock(const struct probe_caps *c, FILE *out)
{
	if (c->memlock_cur == UINT64_MAX)
		fprintf(out, "%-12s unlimited\n", "memlock");
	else if (!c->bpf_ok)
		fprintf(out, "%-12s %llu KiB (whether BPF memory counts against it is unknown without permission)\n",
			"memlock", (unsigned long long)(c->memlock_cur / 1024));
	else if (c->memcg_known && c->memcg)
		fprintf(out, "%-12s %llu KiB (BPF memory is charged to the memory cgroup here, not to this limit)\n",
			"memlock", (unsigned long long)(c->memlock_cur / 1024));
	else if (c->memcg_known)
		fprintf(out, "%-12s %llu KiB (BPF memory counts against this limit: raise it with ulimit -l)\n",
			"memlock", (unsigned long long)(c->memlock_cur / 1024));
	else
		fprintf(out, "%-12s %llu KiB\n", "memlock", (unsigned long long)(c->memlock_cur / 1024));
}

static void print_methods(const struct probe_caps *c, FILE *out)
{
	static const char *const target[PROBE_METHOD_COUNT] = {
		"sched_switch", "sched_switch", "sched/sched_switch", "vfs_read", "vfs_read", "vfs_read",
	};
	char why[160];

	for (int m = 0; m < PROBE_METHOD_COUNT; m++) {
		const struct probe_try *t = &c->method[m];

		if (t->err == 0) {
			fprintf(out, "%-12s usable (%s)\n", method_names[m], target[m]);
			continue;
		}
		method_reason(c, (enum probe_method)m, t, target[m], why, sizeof(why));
		fprintf(out, "%-12s %s\n", method_names[m], why);
	}
}

static void print_host(const struct probe_caps *c, FILE *out)
{
	fprintf(out, "%-12s %s\n", "kernel", c->release);
	fprintf(out, "%-12s %s\n", "kernel BTF",
		c->btf_vmlinux ? "yes (/sys/kernel/btf/vmlinux)" : "no: tp_btf, fentry and CO-RE are unavailable");
	fprintf(out, "%-12s %s (cifs: %s)\n", "module BTF", c->btf_modules ? "yes" : "no",
		c->btf_cifs ? "yes" : c->cifs_loaded ? "no BTF for the loaded module" : "module not loaded");
	if (c->tracefs)
		fprintf(out, "%-12s mounted at %s\n", "tracefs", c->tracefs_path);
	else
		fprintf(out, "%-12s not mounted: classic tracepoints and legacy kprobes need it"
			" (mount -t tracefs nodev /sys/kernel/tracing)\n", "tracefs");
	fprintf(out, "%-12s %s\n", "ringbuf", c->ringbuf ? "yes" :
		!c->bpf_ok ? "unknown: no permission to create BPF maps (run as root)" :
		"no: BPF ring buffer maps need kernel 5.8+");
	print_memlock(c, out);
}

int probe_main(int argc, char **argv)
{
	struct probe_caps *c;
	char why[320];
	int err;

	if (argc > 1) {
		fprintf(stderr, "usage: aod probes\n");
		return 2;
	}
	(void)argv;
	/* AOD_LOG_LEVEL=debug shows what libbpf says of each method tried */
	log_level_from_env();
	bpflog_install();
	c = calloc(1, sizeof(*c));
	if (!c) {
		fprintf(stderr, "aod: unable to probe the kernel: %s\n", strerror(ENOMEM));
		return 1;
	}
	err = probe_caps(c);
	print_host(c, stdout);
	if (err)
		printf("%-12s no BPF program loads: %s%s\n", "bpf", strerror(-err),
		       err == -EPERM ? " (run as root)" : "");
	print_methods(c, stdout);
	printf("\n");
	for (int f = 0; f < PROBE_FAMILY_COUNT; f++) {
		const char *m = probe_family_method(c, (enum probe_family)f, why, sizeof(why));

		if (!c->bpf_ok && c->bpf_err == -EPERM && !strcmp(m, "none"))
			snprintf(why, sizeof(why), "no permission to load BPF (run as root, or with CAP_BPF and CAP_PERFMON)");
		printf("%-7s %-9s %s\n", family_names[f], m, why);
	}
	if (c->cifs_loaded) {
		static const char *const forced[] = { "tracepoint", "fentry", "kprobe" };

		printf("\nsmb attach methods (aod run --smb-attach METHOD):\n");
		for (int i = 0; i < 3; i++)
			printf("smb.%-10s %-9s %s%s%s\n", forced[i], c->smb_method[i].usable ? "usable" : "no",
			       c->smb_method[i].usable ? c->smb_method[i].method : "", c->smb_method[i].usable ? ": " : "",
			       c->smb_method[i].why);
	}
	free(c);
	return 0;
}

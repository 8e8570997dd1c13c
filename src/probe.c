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
#include "family.h"
#include "health_source.h"
#include "conn_source.h"
#include "log.h"
#include "names.h"
#include "nfs_source.h"
#include "probe.skel.h"
#include "smb_source.h"

static bool path_exists(const char *p)
{
	return access(p, F_OK) == 0;
}

static struct bpf_program *probe_prog(struct probe_bpf *skel, enum attach_method m)
{
	switch (m) {
	case ATTACH_TP_BTF: return skel->progs.probe_tp_btf;
	case ATTACH_RAW_TP: return skel->progs.probe_raw_tp;
	case ATTACH_TRACEPOINT: return skel->progs.probe_tracepoint;
	case ATTACH_FENTRY: return skel->progs.probe_fentry;
	case ATTACH_FEXIT: return skel->progs.probe_fexit;
	case ATTACH_KPROBE: return skel->progs.probe_kprobe;
	default: return NULL;
	}
}

static struct bpf_link *probe_attach(struct bpf_program *p, enum attach_method m, const char *target)
{
	char cat[64];
	const char *slash;

	switch (m) {
	case ATTACH_RAW_TP:
		return bpf_program__attach_raw_tracepoint(p, target);
	case ATTACH_TRACEPOINT:
		slash = strchr(target, '/');
		if (!slash || (size_t)(slash - target) >= sizeof(cat)) {
			errno = EINVAL;
			return NULL;
		}
		memcpy(cat, target, (size_t)(slash - target));
		cat[slash - target] = 0;
		return bpf_program__attach_tracepoint(p, cat, slash + 1);
	case ATTACH_KPROBE:
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
static bool btf_target_exists(enum attach_method m, const char *target)
{
	char name[128];
	int kind = m == ATTACH_TP_BTF ? BTF_KIND_TYPEDEF : BTF_KIND_FUNC;
	bool found;
	DIR *d;
	struct dirent *e;

	snprintf(name, sizeof(name), "%s%s", m == ATTACH_TP_BTF ? "btf_trace_" : "", target);
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

int probe_try(enum attach_method m, const char *target, struct probe_try *out)
{
	struct probe_bpf *skel;
	struct bpf_program *p;
	struct bpf_link *link;
	int err;

	memset(out, 0, sizeof(*out));
	out->tried = true;
	if ((m == ATTACH_TP_BTF || m == ATTACH_FENTRY || m == ATTACH_FEXIT) && !btf_target_exists(m, target))
		return out->err = -ENOENT;
	skel = probe_bpf__open();
	if (!skel)
		return out->err = -errno;
	p = probe_prog(skel, m);
	err = p ? bpf_program__set_autoload(p, true) : -EINVAL;
	if (!err && (m == ATTACH_TP_BTF || m == ATTACH_FENTRY || m == ATTACH_FEXIT))
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
	static const char *const target[ATTACH_METHOD_COUNT] = {
		"sched_switch", "sched_switch", "sched/sched_switch", "vfs_read", "vfs_read", "vfs_read",
	};

	for (int m = 0; m < ATTACH_METHOD_COUNT; m++)
		probe_try((enum attach_method)m, target[m], &c->method[m]);
	c->bpf_ok = c->method[ATTACH_RAW_TP].loaded || c->method[ATTACH_TP_BTF].loaded;
	c->bpf_err = c->bpf_ok ? 0 : c->method[ATTACH_RAW_TP].err;
}

/* ---- why a method failed, in the words `aod probes` prints ---- */

static const char *errno_name(int e)
{
	const char *n = names_kernel_errno_name(e);

	return n ? n : "errno";
}

static void method_reason(const struct probe_caps *c, enum attach_method m, const struct probe_try *t,
			  const char *target, char *buf, size_t len)
{
	int e = -t->err;

	if (m == ATTACH_KPROBE && !c->kprobe_pmu && !c->kprobe_events) {
		snprintf(buf, len, "kprobes not available");
	} else if (m == ATTACH_TRACEPOINT && !c->tracefs) {
		snprintf(buf, len, "tracefs not mounted");
	} else if (!c->bpf_ok && c->bpf_err == -EPERM) {
		/* Nothing loads without privilege: EPERM then says nothing about the method itself. */
		snprintf(buf, len, "%s not tried: no permission to load BPF (run as root, or with CAP_BPF and "
			 "CAP_PERFMON)", attach_method_name(m));
	} else if ((m == ATTACH_FENTRY || m == ATTACH_FEXIT) && e == EPERM) {
		snprintf(buf, len, "%s refused by kernel (EPERM)", attach_method_name(m));
	} else if ((m == ATTACH_TP_BTF || m == ATTACH_FENTRY || m == ATTACH_FEXIT) && !c->btf_vmlinux) {
		snprintf(buf, len, "%s needs kernel BTF (/sys/kernel/btf/vmlinux missing)", attach_method_name(m));
	} else if (e == ENOENT) {
		snprintf(buf, len, "%s: %s not found in this kernel", attach_method_name(m), target);
	} else {
		snprintf(buf, len, "%s %s failed at %s: %s (%s)", attach_method_name(m), target,
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

static void fam_smb(const struct probe_caps *c, struct probe_choice *ch)
{
	char method[48], why[160];

	if (!c->cifs_loaded) {
		choose(ch, "waiting", false, "cifs module not loaded: will attach when it appears");
		return;
	}
	if (smb_source_probe("auto", method, sizeof(method), why, sizeof(why)) == 0)
		choose(ch, method, true, "%s%s", why, strcmp(method, "kprobe") ? "; holds the cifs module while "
		       "attached (rmmod fails): aod run releases it on SIGUSR2" : "");
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
			choose(ch, method, true, "%s%s", why, strcmp(method, "kprobe") ? "; holds the sunrpc/nfs modules "
			       "while attached (rmmod fails): aod run releases them on SIGUSR2" : "");
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

/* The health families through health_source's own method tables, in the order aod run and aod monitor
 * try them (AOD_HEALTH_AVOID honoured): what this report says is what they will do. */
static void probe_families(struct probe_caps *c)
{
	fam_smb(c, &c->smb);
	smb_each_method(c);
	for (int f = 0; f < CFG_H_KMSG; f++) {
		struct probe_choice *ch = &c->family[f];

		ch->usable = health_source_probe((enum cfg_health_kind)f, ch->method, sizeof(ch->method), ch->why,
						 sizeof(ch->why)) == 0;
	}
	fam_nfs(c, &c->nfs);
	c->conn.usable = conn_source_probe(c->conn.method, sizeof(c->conn.method), c->conn.why, sizeof(c->conn.why)) == 0;
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
	static const char *const target[ATTACH_METHOD_COUNT] = {
		"sched_switch", "sched_switch", "sched/sched_switch", "vfs_read", "vfs_read", "vfs_read",
	};
	char why[160];

	for (int m = 0; m < ATTACH_METHOD_COUNT; m++) {
		const struct probe_try *t = &c->method[m];

		if (t->err == 0) {
			fprintf(out, "%-12s usable (%s)\n", attach_method_name(m), target[m]);
			continue;
		}
		method_reason(c, (enum attach_method)m, t, target[m], why, sizeof(why));
		fprintf(out, "%-12s %s\n", attach_method_name(m), why);
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

static void print_family(const struct probe_caps *c, const char *name, const struct probe_choice *ch)
{
	const char *why = ch->why;

	if (!c->bpf_ok && c->bpf_err == -EPERM && !strcmp(ch->method, "none"))
		why = "no permission to load BPF (run as root, or with CAP_BPF and CAP_PERFMON)";
	printf("%-7s %-9s %s\n", name, ch->method, why);
}

int probe_main(int argc, char **argv)
{
	struct probe_caps *c;
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
	print_family(c, "smb", &c->smb);
	print_family(c, "nfs", &c->nfs);
	for (int f = 0; f < CFG_H_KMSG; f++)
		print_family(c, family_table[f].name, &c->family[f]);
	print_family(c, "sockconn", &c->conn);
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

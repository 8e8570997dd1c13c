// SPDX-License-Identifier: GPL-2.0-only
/* The kernel health probes as one event source: each family attached with the first method the kernel accepts. */
#include "health_source.h"

#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <linux/capability.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "block.skel.h"
#include "bpf_light.h"
#include "bpflog.h"
#include "ioerr.h"
#include "ioerr.skel.h"
#include "clock.h"
#include "family.h"
#include "kbtf.h"
#include "log.h"
#include "names.h"
#include "topn.h"
#include "mm.skel.h"
#include "net.skel.h"
#include "sched.skel.h"
#include "vfs.skel.h"

#define HS_MAX_DROP_NAMES 512
#define HS_DROP_NAME_LEN 40
#define HS_VMSTAT_BUF 16384

struct health_source;

/* One skeleton type, driven generically (open, setup rodata, load, attach by program name). */
struct hs_skel_ops {
	void *(*open)(struct bpf_object **obj);
	void (*destroy)(void *skel);
	int (*load)(void *skel);	/* the skeleton's load: it also maps .bss so counters read live */
	void *(*bss)(void *skel);	/* that mapped .bss, after load */
	void (*setup)(void *skel, const struct health_source *hs);
};

/*
 * One family's loader: its skeleton, and its ring buffer and counters in that object (two families
 * of one object, tcp and drops or oom and faults, each have their own); its name, kinds and methods
 * (fallback order) are family.c's row of the index.
 */
struct hs_def {
	const struct hs_skel_ops *ops;
	const char *events;		/* its ring buffer map */
	size_t loss_off;		/* where its struct aod_loss sits in .bss */
	long counts_off;		/* where struct aod_count sits in .bss, -1 for none */
};

/*
 * A family loaded one of two ways. Light (bpf_light.c: the kernel runs a loader program, no
 * vmlinux BTF in userspace) for methods whose programs are all tp_btf, fentry/fexit or raw_tp:
 * the object is closed after load and the family keeps only fds and its mapped .bss. Classic
 * (libbpf's load and attach) for the kprobe and tracepoint methods, or when the kernel cannot
 * run a loader program: the skeleton stays open and owns the fds.
 */
struct hs_fam {
	void *skel;			/* classic only */
	struct bpf_object *obj;		/* classic only */
	struct bpf_link *links[FAMILY_MAX_PROGS];
	int nlinks;
	struct light_obj lo;		/* light only */
	int link_fds[FAMILY_MAX_PROGS];	/* light only */
	int nlink_fds;
	void *bss;			/* live counters: struct aod_loss, struct aod_count */
	size_t bss_len;			/* light only: our own mapping; 0 when it is another family's (loaded together) */
	int events_fd, hist_fd, drops_fd;	/* -1 when absent */
	bool attached;
	bool vmstat;			/* faults from /proc/vmstat in userspace */
	int chosen;			/* index of the method attached (or left off at), -1 */
	char method[HEALTH_METHOD_MAX];
	char failed[HEALTH_METHOD_MAX];	/* why the methods before it did not attach */
};

struct hs_drop_name {
	uint32_t value;
	char name[HS_DROP_NAME_LEN];
};

struct health_source {
	struct health_opts o;
	struct hs_fam fam[HEALTH_NFAM];
	struct ring_buffer *rb;
	int ncpu;
	struct aod_hist *percpu;	/* lookup buffer for the per-CPU histograms */
	struct hs_drop_name *drop_names;
	int ndrop_names;
	bool issue_has_q, drop_has_reason, victim_is_task, retrans_has_err;
	bool no_light;
	int fentry_err;			/* from light_probe_fentry on vfs_read; 0 = works or unknown */
	/* /proc/vmstat fallback for major faults */
	int vmstat_fd;
	char *vmstat_buf;
	uint64_t vm_last, vm_total;
	bool vm_primed;
	char unknown_name[24];
};

/* ---- skeleton adapters ---- */

#define HS_SKEL_OPS(N)                                                           \
	static void *N##_open_(struct bpf_object **obj)                          \
	{                                                                        \
		struct N##_bpf *s = N##_bpf__open();                             \
		if (s)                                                           \
			*obj = s->obj;                                           \
		return s;                                                        \
	}                                                                        \
	static void N##_destroy_(void *s) { N##_bpf__destroy(s); }               \
	static int N##_load_(void *s) { return N##_bpf__load(s); }              \
	static void *N##_bss_(void *s) { return ((struct N##_bpf *)s)->bss; }

HS_SKEL_OPS(sched)
HS_SKEL_OPS(block)
HS_SKEL_OPS(vfs)
HS_SKEL_OPS(net)
HS_SKEL_OPS(mm)
HS_SKEL_OPS(ioerr)

static void sched_setup_(void *skel, const struct health_source *hs)
{
	struct sched_bpf *s = skel;

	s->rodata->min_ns = (uint64_t)hs->o.floor_us[CFG_H_SCHED] * 1000;
	s->rodata->targ_tgid = hs->o.pid;
}

static void block_setup_(void *skel, const struct health_source *hs)
{
	struct block_bpf *s = skel;

	s->rodata->min_ns = (uint64_t)hs->o.floor_us[CFG_H_BIO] * 1000;
	s->rodata->targ_tgid = hs->o.pid;
	s->rodata->issue_has_q = hs->issue_has_q;
}

static void vfs_setup_(void *skel, const struct health_source *hs)
{
	struct vfs_bpf *s = skel;

	s->rodata->min_ns = (uint64_t)hs->o.floor_us[CFG_H_VFS] * 1000;
	s->rodata->targ_tgid = hs->o.pid;
	/* this architecture's numbers, so raw_syscalls can filter without a table per arch */
	s->rodata->nr_read = SYS_read;
	s->rodata->nr_write = SYS_write;
	s->rodata->nr_pread = SYS_pread64;
	s->rodata->nr_pwrite = SYS_pwrite64;
	s->rodata->nr_readv = SYS_readv;
	s->rodata->nr_writev = SYS_writev;
}

static void net_setup_(void *skel, const struct health_source *hs)
{
	struct net_bpf *s = skel;

	s->rodata->targ_tgid = hs->o.pid;
	s->rodata->drop_has_reason = hs->drop_has_reason;
	s->rodata->retrans_has_err = hs->retrans_has_err;
}

static void mm_setup_(void *skel, const struct health_source *hs)
{
	struct mm_bpf *s = skel;
	long psz = sysconf(_SC_PAGESIZE);

	s->rodata->targ_tgid = hs->o.pid;
	s->rodata->page_kb = psz > 0 ? (uint32_t)(psz / 1024) : 4;
	s->rodata->victim_is_task = hs->victim_is_task;
}

static void ioerr_setup_(void *skel, const struct health_source *hs)
{
	struct ioerr_bpf *s = skel;

	_Static_assert(sizeof(s->rodata->nr_op) == AOD_IOERR_NR, "bpf/ioerr.bpf.c's table");
	s->rodata->targ_tgid = hs->o.pid;
	ioerr_syscall_table((uint8_t *)s->rodata->nr_op, sizeof(s->rodata->nr_op));
}

static const struct hs_skel_ops sched_ops = {
	sched_open_, sched_destroy_, sched_load_, sched_bss_, sched_setup_
};
static const struct hs_skel_ops block_ops = {
	block_open_, block_destroy_, block_load_, block_bss_, block_setup_
};
static const struct hs_skel_ops vfs_ops = {
	vfs_open_, vfs_destroy_, vfs_load_, vfs_bss_, vfs_setup_
};
static const struct hs_skel_ops net_ops = {
	net_open_, net_destroy_, net_load_, net_bss_, net_setup_
};
static const struct hs_skel_ops mm_ops = {
	mm_open_, mm_destroy_, mm_load_, mm_bss_, mm_setup_
};
static const struct hs_skel_ops ioerr_ops = {
	ioerr_open_, ioerr_destroy_, ioerr_load_, ioerr_bss_, ioerr_setup_
};

/* One family at a time for aod probes: the source, its per-CPU histograms, the vmstat buffer. */
#define HS_PROBE_ARENA (4u << 20)
static const struct hs_def defs[HEALTH_NFAM] = {
	[CFG_H_SCHED] = { &sched_ops, "events", offsetof(struct sched_bpf__bss, loss), -1 },
	[CFG_H_BIO] = { &block_ops, "events", offsetof(struct block_bpf__bss, loss), -1 },
	[CFG_H_VFS] = { &vfs_ops, "events", offsetof(struct vfs_bpf__bss, loss), -1 },
	[CFG_H_OOM] = { &mm_ops, "events", offsetof(struct mm_bpf__bss, loss), (long)offsetof(struct mm_bpf__bss, counts) },
	[CFG_H_TCP] = { &net_ops, "tcp_events", offsetof(struct net_bpf__bss, tcp_loss),
			(long)offsetof(struct net_bpf__bss, counts) },
	[CFG_H_DROP] = { &net_ops, "events", offsetof(struct net_bpf__bss, loss), (long)offsetof(struct net_bpf__bss, counts) },
	[CFG_H_FAULT] = { &mm_ops, "fault_events", offsetof(struct mm_bpf__bss, fault_loss),
			  (long)offsetof(struct mm_bpf__bss, counts) },
	[CFG_H_IOERR] = { &ioerr_ops, "events", offsetof(struct ioerr_bpf__bss, loss),
			  (long)offsetof(struct ioerr_bpf__bss, counts) },
};

static const char *def_name(const struct hs_def *d)
{
	return family_table[d - defs].name;
}

/* ---- probing what the kernel offers ---- */

static void load_drop_names(struct health_source *hs, struct kbtf *k, int id, struct arena *a)
{
	const struct btf_type *t = id > 0 ? kbtf_type(k, (uint32_t)id) : NULL;
	const struct btf_enum *e;
	const char *n;
	int i, cnt;

	if (!t)
		return;
	cnt = BTF_INFO_VLEN(t->info) < HS_MAX_DROP_NAMES ? BTF_INFO_VLEN(t->info) : HS_MAX_DROP_NAMES;
	hs->drop_names = arena_new(a, struct hs_drop_name, cnt);
	if (!hs->drop_names)
		return;
	e = (const struct btf_enum *)(t + 1);
	for (i = 0; i < cnt; i++, e++) {
		n = kbtf_str(k, e->name_off);
		if (!strncmp(n, "SKB_DROP_REASON_", 16))
			n += 16;
		hs->drop_names[hs->ndrop_names].value = (uint32_t)e->val;
		snprintf(hs->drop_names[hs->ndrop_names].name, HS_DROP_NAME_LEN, "%s", n);
		hs->ndrop_names++;
	}
}

/*
 * Tracepoint signatures that changed across kernels, the drop-reason names, and whether fentry
 * works at all: from the kernel's BTF (mapped, not copied).
 */
static void probe_kernel(struct health_source *hs, struct arena *a)
{
	enum { ISSUE, KFREE, RETRANS, VICTIM, REASONS, VFS_READ, NWANT };
	struct kbtf_want w[NWANT] = {
		[ISSUE] = { "btf_trace_block_rq_issue", BTF_KIND_TYPEDEF, 0 },
		[KFREE] = { "btf_trace_kfree_skb", BTF_KIND_TYPEDEF, 0 },
		[RETRANS] = { "btf_trace_tcp_retransmit_skb", BTF_KIND_TYPEDEF, 0 },
		[VICTIM] = { "btf_trace_mark_victim", BTF_KIND_TYPEDEF, 0 },
		[REASONS] = { "skb_drop_reason", BTF_KIND_ENUM, 0 },
		[VFS_READ] = { "vfs_read", BTF_KIND_FUNC, 0 },
	};
	const char *wname[NWANT];
	unsigned int kinds[NWANT];
	int ids[NWANT], n, err = -ECANCELED;	/* no lookup by the kernel (yet) */
	struct kbtf k;

	/*
	 * The kernel finds the names itself (light_btf_find), and only the types up to the ones read
	 * below are indexed from the mapped BTF; without that, or with AOD_NO_LIGHT_LOAD=1, one walk
	 * of all its types answers them.
	 */
	for (int i = 0; i < NWANT; i++) {
		wname[i] = w[i].name;
		kinds[i] = w[i].kind;
	}
	/*
	 * A kernel that refuses fentry programs wholesale says so to one without a target: then
	 * vfs_read (a FUNC, found last: 0.35 ms of the lookup here) is not looked up at all.
	 */
	hs->fentry_err = light_fentry_refused();
	ids[VFS_READ] = -ENOENT;
	if (!hs->no_light) {
		err = light_btf_find(wname, kinds, hs->fentry_err ? VFS_READ : NWANT, ids);
		if (err)
			log_debug("health: kernel BTF lookup by name: %s; walking the BTF instead", strerror(-err));
		else
			err = kbtf_map(&k, "/sys/kernel/btf/vmlinux");
	}
	if (!err)
		for (int i = 0; i < NWANT; i++)
			w[i].id = ids[i];
	if (err && kbtf_open(&k, "/sys/kernel/btf/vmlinux", w, NWANT)) {
		/* no BTF: every BTF method fails anyway; keep the defaults of the newest kernels */
		hs->drop_has_reason = hs->victim_is_task = true;
		return;
	}
	/* 5.11 dropped the request_queue argument of block_rq_issue */
	hs->issue_has_q = kbtf_tp_nargs_of(&k, w[ISSUE].id) == 2;
	/* 5.17 added the drop reason as the third argument */
	n = kbtf_tp_nargs_of(&k, w[KFREE].id);
	hs->drop_has_reason = n < 0 || n >= 3;
	/* newer kernels pass the retransmit's result, and fire for failed attempts too */
	hs->retrans_has_err = kbtf_tp_nargs_of(&k, w[RETRANS].id) >= 3;
	/* 6.2 made mark_victim carry the task (and uid) instead of only the pid */
	n = kbtf_tp_nargs_of(&k, w[VICTIM].id);
	hs->victim_is_task = n < 0 || n >= 2;
	load_drop_names(hs, &k, w[REASONS].id, a);
	/* one tiny fentry program tells whether the fentry/fexit methods can work at all */
	if (hs->fentry_err)
		log_debug("health: fentry programs refused by the kernel: %s", strerror(-hs->fentry_err));
	else if (w[VFS_READ].id > 0 && (hs->fentry_err = light_probe_fentry((unsigned int)w[VFS_READ].id)))
		log_debug("health: fentry probe on vfs_read: %s", strerror(-hs->fentry_err));
	kbtf_close(&k);
}

static const char *errname(int err)
{
	static char buf[24];
	const char *n = names_kernel_errno_name(err);

	if (n)
		return n;
	snprintf(buf, sizeof(buf), "errno %d", err);
	return buf;
}

/* EPERM without CAP_BPF or CAP_SYS_ADMIN says nothing about the method: nothing would load. */
static bool bpf_privileged(void)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct c[2];

	if (syscall(SYS_capget, &h, c))
		return true;	/* cannot tell: let the kernel's answer stand */
	return (c[0].effective & (1u << CAP_SYS_ADMIN)) || (c[1].effective & (1u << (CAP_BPF - 32)));
}

/* Why a method failed, in the words a user can act on. */
static void why(char *buf, size_t len, const char *method, int err)
{
	bool tracefs = !access("/sys/kernel/tracing/events", F_OK) ||
		       !access("/sys/kernel/debug/tracing/events", F_OK);

	if (err == ECANCELED)
		snprintf(buf, len, "%s: avoided (AOD_HEALTH_AVOID)", method);
	else if (err == EPERM && !bpf_privileged())
		snprintf(buf, len, "%s not tried: no permission to load BPF (run as root, or with CAP_BPF and CAP_PERFMON)",
			 method);
	else if (access("/sys/kernel/btf/vmlinux", R_OK))
		snprintf(buf, len, "%s: no kernel BTF (/sys/kernel/btf/vmlinux)", method);
	else if (!strcmp(method, "kprobe") && access("/sys/bus/event_source/devices/kprobe", F_OK))
		snprintf(buf, len, "kprobes not available");
	else if (strstr(method, "syscalls tracepoints") && !tracefs)
		snprintf(buf, len, "syscalls tracepoints need tracefs, not mounted");
	else if (!strcmp(method, "tracepoint") && !tracefs)
		snprintf(buf, len, "tracepoint: tracefs not mounted");
	else
		snprintf(buf, len, "%s refused by kernel (%s)", method, errname(err));
}

/* ---- attach ---- */

static bool in_method(const struct family_method *m, const char *name)
{
	for (int i = 0; i < FAMILY_MAX_PROGS && m->progs[i]; i++)
		if (!strcmp(m->progs[i], name))
			return true;
	return false;
}

static void fam_detach(struct hs_fam *f)
{
	while (f->nlinks > 0)
		bpf_link__destroy(f->links[--f->nlinks]);
	while (f->nlink_fds > 0)
		close(f->link_fds[--f->nlink_fds]);
}

static void fam_unload(struct hs_fam *f, const struct hs_def *d)
{
	fam_detach(f);
	if (f->skel)
		d->ops->destroy(f->skel);
	else if (f->bss && f->bss_len)
		munmap(f->bss, f->bss_len);
	light_close(&f->lo);
	f->skel = NULL;
	f->obj = NULL;
	f->bss = NULL;
	f->events_fd = f->hist_fd = f->drops_fd = -1;
}

/*
 * A load costs milliseconds (libbpf's: a kernel BTF parse): skip the attempts whose kernel
 * interface is absent, where the attach could only fail with ENOENT. The rest is tried for real.
 */
static bool interface_missing(const struct family_method *m)
{
	if (!strcmp(m->name, "kprobe"))
		return access("/sys/bus/event_source/devices/kprobe/type", F_OK) &&
		       access("/sys/kernel/tracing/kprobe_events", F_OK) &&
		       access("/sys/kernel/debug/tracing/kprobe_events", F_OK);
	if (strstr(m->name, "syscalls tracepoints"))
		return access("/sys/kernel/tracing/events/syscalls/sys_enter_read/id", F_OK) &&
		       access("/sys/kernel/debug/tracing/events/syscalls/sys_enter_read/id", F_OK);
	return false;
}

/* A family and the method it tries; several of them share one object when loaded together. */
struct hs_member {
	struct hs_fam *f;
	const struct hs_def *d;
	const struct family_method *m;
};

static bool in_members(const struct hs_member *mb, int n, const char *prog)
{
	for (int i = 0; i < n; i++)
		if (in_method(mb[i].m, prog))
			return true;
	return false;
}

/*
 * The maps no member uses: the start-time map of the other methods, the ring buffers of the
 * object's other family. libbpf's load leaves them uncreated; the light loader creates every
 * map, so a hash shrinks to one entry and a ring to one page instead (task storage has no size,
 * and costs nothing until used).
 */
static void shed_unused_maps(struct bpf_object *obj, const struct hs_member *mb, int n, bool light)
{
	struct bpf_map *map;
	bool used;

	bpf_object__for_each_map(map, obj) {
		used = bpf_map__type(map) != BPF_MAP_TYPE_RINGBUF;
		for (int i = 0; i < n; i++) {
			if (mb[i].m->unused_map && !strcmp(bpf_map__name(map), mb[i].m->unused_map))
				used = false;
			else if (!strcmp(bpf_map__name(map), mb[i].d->events))
				used = true;
		}
		if (used)
			continue;
		if (!light)
			bpf_map__set_autocreate(map, false);
		else if (bpf_map__type(map) == BPF_MAP_TYPE_HASH)
			bpf_map__set_max_entries(map, 1);
		else if (bpf_map__type(map) == BPF_MAP_TYPE_RINGBUF)
			bpf_map__set_max_entries(map, (uint32_t)sysconf(_SC_PAGESIZE));
	}
}

/* Opened, rodata set, only the members' programs and maps left to load. */
static struct bpf_object *fam_prepare(struct health_source *hs, const struct hs_member *mb, int n, void **skel)
{
	struct bpf_object *obj = NULL;
	struct bpf_program *p;
	struct bpf_map *map;

	*skel = mb[0].d->ops->open(&obj);
	if (!*skel)
		return NULL;
	mb[0].d->ops->setup(*skel, hs);
	bpf_object__for_each_program(p, obj)
		bpf_program__set_autoload(p, in_members(mb, n, bpf_program__name(p)));
	/* the monitor asks for small ring buffers: their pages count in its resident memory */
	for (int i = 0; i < n && hs->o.ringbuf_kb; i++)
		if ((map = bpf_object__find_map_by_name(obj, mb[i].d->events)))
			bpf_map__set_max_entries(map, hs->o.ringbuf_kb * 1024);
	return obj;
}

/* A member's programs attached by fd and its maps found, from the load the first member owns. */
static int light_member(const struct hs_member *mb, const struct light_obj *lo, struct bpf_object *obj)
{
	struct hs_fam *f = mb->f;
	struct bpf_program *p;
	int fd;

	for (int i = 0; i < FAMILY_MAX_PROGS && mb->m->progs[i]; i++) {
		p = bpf_object__find_program_by_name(obj, mb->m->progs[i]);
		fd = p ? light_attach(p, light_prog_fd(lo, obj, mb->m->progs[i])) : -ENOENT;
		if (fd < 0)
			return fd;
		f->link_fds[f->nlink_fds++] = fd;
	}
	f->events_fd = light_map_fd(lo, obj, mb->d->events);
	f->hist_fd = light_map_fd(lo, obj, "hist");
	f->drops_fd = light_map_fd(lo, obj, "drop_reasons");
	return 0;
}

/*
 * The light way: the kernel's loader program, then attach by fd. The first member owns the fds
 * and the .bss mapping, the others borrow them. The object (prepared by fam_prepare) is closed at
 * the end either way.
 */
static int try_light(const struct hs_member *mb, int n, struct bpf_object *obj, void *skel)
{
	const struct hs_def *d = mb[0].d;
	struct hs_fam *own = mb[0].f;
	char msg[160];
	int err, i;

	uint64_t t0 = mono_ns(), t1;

	err = light_load(obj, &own->lo, msg, sizeof(msg));
	t1 = mono_ns();
	if (err) {
		log_debug("health: %s %s%s: light load: %s", def_name(d), mb[0].m->name, n > 1 ? " and more" : "", msg);
		d->ops->destroy(skel);
		return err;
	}
	for (i = 0; !err && i < n; i++)
		err = light_member(&mb[i], &own->lo, obj);
	log_debug("health: %s %s%s: loader ran in %" PRIu64 " us, attached in %" PRIu64 " us", def_name(d),
		  mb[0].m->name, n > 1 ? " and more" : "", (t1 - t0) / 1000, (mono_ns() - t1) / 1000);
	if (!err) {
		own->bss = light_mmap(&own->lo, obj, ".bss", &own->bss_len);
		if (!own->bss)
			err = errno ? -errno : -ENOMEM;
		for (i = 1; i < n; i++)
			mb[i].f->bss = own->bss;	/* bss_len 0: not theirs to unmap */
	}
	d->ops->destroy(skel);
	for (i = n - 1; err && i >= 0; i--)	/* the owner last: the others only close their links */
		fam_unload(mb[i].f, mb[i].d);
	return err;
}

/* The classic way: libbpf's load and attach; the skeleton stays open and owns the fds. */
static int try_classic(struct hs_fam *f, const struct hs_def *d, const struct family_method *m)
{
	struct bpf_program *p;
	struct bpf_map *map;
	int err, i;

	err = d->ops->load(f->skel);
	for (i = 0; !err && i < FAMILY_MAX_PROGS && m->progs[i]; i++) {
		p = bpf_object__find_program_by_name(f->obj, m->progs[i]);
		f->links[f->nlinks] = p ? bpf_program__attach(p) : NULL;
		if (!f->links[f->nlinks])
			err = p ? -errno : -ENOENT;
		else
			f->nlinks++;
	}
	if (!err) {
		f->bss = d->ops->bss(f->skel);
		map = bpf_object__find_map_by_name(f->obj, d->events);
		f->events_fd = map ? bpf_map__fd(map) : -1;
		map = bpf_object__find_map_by_name(f->obj, "hist");
		f->hist_fd = map ? bpf_map__fd(map) : -1;
		map = bpf_object__find_map_by_name(f->obj, "drop_reasons");
		f->drops_fd = map ? bpf_map__fd(map) : -1;
	}
	if (err)
		fam_unload(f, d);
	return err;
}

/*
 * AOD_HEALTH_AVOID="METHOD[,METHOD...]": skip the methods of these names in every family, as if
 * the kernel had refused them; for trying the fallbacks on a kernel where the first choice works
 * (the live tests do), or for steering around a method that misbehaves.
 */
bool health_source_avoided(const char *method)
{
	const char *l = getenv("AOD_HEALTH_AVOID"), *e;
	size_t n = strlen(method);

	for (; l && *l; l = *e ? e + 1 : e) {
		e = strchr(l, ',');
		if (!e)
			e = l + strlen(l);
		if ((size_t)(e - l) == n && !strncmp(l, method, n))
			return true;
	}
	return false;
}

/* 0 when the method is worth a load, else the error it would end with (skipped, absent, refused). */
static int method_skipped(const struct health_source *hs, const struct family_method *m)
{
	if (health_source_avoided(m->name))
		return -ECANCELED;
	if (interface_missing(m))
		return -ENOENT;
	/* the kernel already refused a bare fentry program: no object would fare better */
	if (hs->fentry_err && (!strcmp(m->name, "fentry") || !strcmp(m->name, "fexit")))
		return hs->fentry_err;
	return 0;
}

static int fam_try_method(struct health_source *hs, struct hs_fam *f, const struct hs_def *d,
		      const struct family_method *m)
{
	struct hs_member mb = { f, d, m };
	struct bpf_object *obj;
	void *skel;
	int err;

	if ((err = method_skipped(hs, m)))
		return err;
	obj = fam_prepare(hs, &mb, 1, &skel);
	if (!obj)
		return errno ? -errno : -ENOMEM;
	if (!hs->no_light && light_object_attachable(obj)) {
		shed_unused_maps(obj, &mb, 1, true);
		err = try_light(&mb, 1, obj, skel);
		/* try_light closed its object: libbpf's way opens another */
		if (!light_fallback(err))
			return err;
		log_debug("health: %s %s: light load failed (%s), trying libbpf's", def_name(d), m->name, errname(-err));
		obj = fam_prepare(hs, &mb, 1, &skel);
		if (!obj)
			return errno ? -errno : -ENOMEM;
	}
	shed_unused_maps(obj, &mb, 1, false);
	f->skel = skel;
	f->obj = obj;
	return try_classic(f, d, m);
}

static bool syscall_level_name(const char *method)
{
	return !strncmp(method, HEALTH_SYSCALL_LEVEL, strlen(HEALTH_SYSCALL_LEVEL));
}

/* The syscall-level methods run on every syscall of every task: used only when asked for. */
static bool syscall_level(const struct family_method *m)
{
	return syscall_level_name(m->name);
}

/* fentry and kprobe failed and syscall-level was not asked for: off, with the reasons and the key. */
static void syscall_left_off(struct hs_fam *f, enum cfg_health_kind fi, const char *failed)
{
	snprintf(f->method, sizeof(f->method),
		 "left off: " HEALTH_SYSCALL_OFF_WHY " (%.80s); turn on with %s (monitor: --families %s)", failed,
		 family_table[fi].syscall_optin, family_table[fi].name);
}

static int open_vmstat(struct health_source *hs, struct arena *a)
{
	hs->vmstat_buf = arena_new(a, char, HS_VMSTAT_BUF);
	if (!hs->vmstat_buf)
		return -ENOMEM;
	hs->vmstat_fd = open("/proc/vmstat", O_RDONLY | O_CLOEXEC);
	return hs->vmstat_fd < 0 ? -errno : 0;
}

static void fam_open(struct health_source *hs, enum cfg_health_kind fi, struct arena *a)
{
	const struct hs_def *d = &defs[fi];
	const struct family *fam = &family_table[fi];
	struct hs_fam *f = &hs->fam[fi];
	char failed[HEALTH_METHOD_MAX] = "", one[160];
	int i, err = 0;

	f->chosen = -1;
	for (i = 0; i < fam->nmethods; i++) {
		const struct family_method *m = &fam->methods[i];
		uint64_t t0 = mono_ns();

		if (syscall_level(m) && !(hs->o.syscall_ok & (1u << fi))) {
			f->chosen = i;
			memcpy(f->failed, failed, sizeof(f->failed));
			syscall_left_off(f, fi, failed);
			return;
		}
		if (!m->progs[0])	/* the userspace vmstat fallback */
			err = open_vmstat(hs, a);
		else
			err = fam_try_method(hs, f, d, m);
		log_debug("health: %s %s: %s in %" PRIu64 " us", def_name(d), m->name, err ? errname(-err) : "attached",
			  (mono_ns() - t0) / 1000);
		if (!err) {
			f->attached = true;
			f->vmstat = !m->progs[0];
			f->chosen = i;
			break;
		}
		/* a faster build of the same method failed: not news, the next entry is that method */
		if (i + 1 < fam->nmethods && !strcmp(m->name, fam->methods[i + 1].name))
			continue;
		why(one, sizeof(one), m->progs[0] ? m->name : "/proc/vmstat", -err);
		snprintf(failed + strlen(failed), sizeof(failed) - strlen(failed), "%s%s", *failed ? "; " : "",
			 one);
	}
	memcpy(f->failed, failed, sizeof(f->failed));	/* aod probes reports it (health_source_probe) */
	if (f->attached && *failed)
		snprintf(f->method, sizeof(f->method), "%.44s (%.150s)", fam->methods[i].name, failed);
	else if (f->attached)
		snprintf(f->method, sizeof(f->method), "%s", fam->methods[i].name);
	else
		snprintf(f->method, sizeof(f->method), "not attached (%.180s)", failed);
}

/*
 * Families whose first method comes from one object (tcp and drops: bpf/net.bpf.c; oom and faults:
 * bpf/mm.bpf.c) are loaded by one loader run when they are asked for together: a loader run costs
 * about a millisecond whatever it loads (the loader's own verification, the object's BTF, libbpf's
 * open). Each keeps its own ring buffer, counters and links. When that load fails, or a first method
 * is not worth trying, nothing is attached here and each family goes through its methods alone.
 */
static void fam_open_together(struct health_source *hs, enum cfg_health_kind fi, unsigned int want)
{
	struct hs_member mb[HEALTH_NFAM];
	struct bpf_object *obj;
	uint64_t t0 = mono_ns();
	void *skel;
	int n = 0;

	if (hs->no_light)
		return;
	for (int j = fi; j < HEALTH_NFAM; j++) {
		const struct family_method *m = &family_table[j].methods[0];

		if (!(want & (1u << j)) || defs[j].ops != defs[fi].ops)
			continue;
		if (!m->progs[0] || syscall_level(m) || method_skipped(hs, m))
			return;
		mb[n++] = (struct hs_member){ &hs->fam[j], &defs[j], m };
	}
	if (n < 2 || !(obj = fam_prepare(hs, mb, n, &skel)))
		return;
	if (!light_object_attachable(obj)) {
		defs[fi].ops->destroy(skel);
		return;
	}
	shed_unused_maps(obj, mb, n, true);
	if (try_light(mb, n, obj, skel))
		return;
	for (int i = 0; i < n; i++) {
		struct hs_fam *f = mb[i].f;

		f->attached = true;
		f->chosen = 0;
		*f->failed = 0;
		snprintf(f->method, sizeof(f->method), "%s", mb[i].m->name);
		log_debug("health: %s %s: attached in %" PRIu64 " us (loaded with %s)", def_name(mb[i].d), mb[i].m->name,
			  (mono_ns() - t0) / 1000, def_name(mb[i ? 0 : 1].d));
	}
}

static int on_record(void *ctx, void *data, size_t size)
{
	struct health_source *hs = ctx;

	if (size < sizeof(struct aod_ev_hdr) || !hs->o.cb)
		return 0;
	return hs->o.cb(hs->o.cb_ctx, data, size);
}

static int add_ringbuf(struct health_source *hs, struct hs_fam *f)
{
	int fd = f->events_fd;

	if (fd < 0)
		return -ENOENT;
	if (!hs->rb) {
		hs->rb = ring_buffer__new(fd, on_record, hs, NULL);
		return hs->rb ? 0 : -errno;
	}
	return ring_buffer__add(hs->rb, fd, on_record, hs);
}

int health_source_open(struct health_source **out, struct arena *a, const struct health_opts *o)
{
	libbpf_print_fn_t prev_print;
	struct health_source *hs;
	unsigned int want = o->families ? o->families : HEALTH_ALL;
	int i, err, nattached = 0;

	hs = arena_new(a, struct health_source, 1);
	if (!hs)
		return -ENOMEM;
	hs->o = *o;
	hs->vmstat_fd = -1;
	hs->no_light = light_disabled();
	for (i = 0; i < HEALTH_NFAM; i++)
		hs->fam[i].events_fd = hs->fam[i].hist_fd = hs->fam[i].drops_fd = -1;
	hs->ncpu = libbpf_num_possible_cpus();
	if (hs->ncpu <= 0)
		return hs->ncpu ? hs->ncpu : -EINVAL;
	hs->percpu = arena_new(a, struct aod_hist, hs->ncpu);
	if (!hs->percpu)
		return -ENOMEM;
	/* restored below: the caller's libbpf logging is its own business */
	prev_print = bpflog_install();
	probe_kernel(hs, a);
	for (i = 0; i < HEALTH_NFAM; i++) {
		if (!(want & (1u << i))) {
			snprintf(hs->fam[i].method, HEALTH_METHOD_MAX, "not requested");
			continue;
		}
		if (!hs->fam[i].attached)
			fam_open_together(hs, i, want);
		if (!hs->fam[i].attached)
			fam_open(hs, i, a);
		if (!hs->fam[i].attached)
			continue;
		nattached++;
		if (i == CFG_H_IOERR)
			health_source_set_io_filter(hs, &o->io);
		if (!hs->fam[i].vmstat && (err = add_ringbuf(hs, &hs->fam[i])) < 0) {
			libbpf_set_print(prev_print);
			health_source_close(hs);
			return err;
		}
	}
	libbpf_set_print(prev_print);
	*out = hs;
	return nattached ? 0 : -ENODEV;
}

void health_source_stop(struct health_source *hs)
{
	for (int i = 0; hs && i < HEALTH_NFAM; i++)
		fam_detach(&hs->fam[i]);
}

void health_source_close(struct health_source *hs)
{
	if (!hs)
		return;
	ring_buffer__free(hs->rb);
	hs->rb = NULL;
	for (int i = 0; i < HEALTH_NFAM; i++)
		fam_unload(&hs->fam[i], &defs[i]);
	if (hs->vmstat_fd >= 0)
		close(hs->vmstat_fd);
	hs->vmstat_fd = -1;
}

int health_source_fd(const struct health_source *hs)
{
	return hs->rb ? ring_buffer__epoll_fd(hs->rb) : -1;
}

int health_source_consume(struct health_source *hs)
{
	return hs->rb ? ring_buffer__consume(hs->rb) : 0;
}

static int vmstat_read(struct health_source *hs, uint64_t *val)
{
	ssize_t n;
	char *p;

	/* pread at 0 makes the seq_file render a fresh copy; the buffer caps what is read */
	n = pread(hs->vmstat_fd, hs->vmstat_buf, HS_VMSTAT_BUF - 1, 0);
	if (n < 0)
		return -errno;
	hs->vmstat_buf[n] = 0;
	p = strstr(hs->vmstat_buf, "\npgmajfault ");
	if (!p)
		return -ENOENT;
	*val = strtoull(p + 12, NULL, 10);
	return 0;
}

int health_source_tick(struct health_source *hs, uint64_t now_ns)
{
	struct aod_ev_fault e;
	uint64_t v = 0, d;
	int err;

	if (!hs->fam[CFG_H_FAULT].vmstat)
		return 0;
	err = vmstat_read(hs, &v);
	if (err)
		return err;
	d = hs->vm_primed && v > hs->vm_last ? v - hs->vm_last : 0;
	hs->vm_last = v;
	hs->vm_primed = true;
	if (!d)
		return 0;
	hs->vm_total += d;
	memset(&e, 0, sizeof(e));
	e.h.kind = AOD_EV_FAULT;
	e.h.size = sizeof(e);
	e.h.ts_ns = now_ns;
	e.count = d;
	e.method = AOD_FAULT_M_VMSTAT;
	if (hs->o.cb)
		hs->o.cb(hs->o.cb_ctx, &e.h, sizeof(e));
	return 0;
}

bool health_source_attached(const struct health_source *hs, enum cfg_health_kind f)
{
	return f < HEALTH_NFAM && hs->fam[f].attached;
}

const char *health_source_method(const struct health_source *hs, enum cfg_health_kind f)
{
	return f < HEALTH_NFAM ? hs->fam[f].method : "";
}

void health_source_set_io_filter(struct health_source *hs, const struct aod_ioerr_filter *io)
{
	struct hs_fam *f = &hs->fam[CFG_H_IOERR];

	hs->o.io = *io;
	if (f->attached && f->bss)
		memcpy((char *)f->bss + offsetof(struct ioerr_bpf__bss, filter), io, sizeof(*io));
}

static bool at_syscall_level(const struct health_source *hs, enum cfg_health_kind f)
{
	return hs->fam[f].attached && syscall_level_name(hs->fam[f].method);
}

const char *health_source_cost_note(const struct health_source *hs)
{
	bool vfs = at_syscall_level(hs, CFG_H_VFS), io = at_syscall_level(hs, CFG_H_IOERR);

	if (vfs && io)
		return "vfs and io are measured at syscall level here, so every syscall of every task runs three BPF "
		       "programs (vfs alone made a pipe ping-pong about 20 % slower in README's benchmark)";
	if (io)
		return "io is measured at syscall level here, so every syscall of every task runs a BPF program "
		       "and takes the kernel's syscall-tracing path";
	if (!vfs)
		return NULL;
	return "vfs is measured at syscall level here, so every syscall of every task runs two BPF programs "
	       "(a pipe ping-pong ran about 20 % slower in README's benchmark)";
}

const char *health_source_family_name(enum cfg_health_kind f)
{
	return f < HEALTH_NFAM ? family_table[f].name : "?";
}

int health_source_loss(const struct health_source *hs, enum cfg_health_kind f, struct aod_loss *out)
{
	const struct hs_fam *fam;

	memset(out, 0, sizeof(*out));
	if (f >= HEALTH_NFAM)
		return -EINVAL;
	fam = &hs->fam[f];
	if (fam->bss)
		memcpy(out, (const char *)fam->bss + defs[f].loss_off, sizeof(*out));
	return 0;
}

int health_source_hist(const struct health_source *hs, enum cfg_health_kind f, struct aod_hist *out)
{
	const struct hs_fam *fam;
	uint32_t zero = 0;
	int i, s;

	memset(out, 0, sizeof(*out));
	if (!cfg_health_is_latency(f))
		return -EINVAL;
	fam = &hs->fam[f];
	if (!fam->attached || fam->hist_fd < 0)
		return -ENODEV;
	if (bpf_map_lookup_elem(fam->hist_fd, &zero, hs->percpu))
		return -errno;
	for (i = 0; i < hs->ncpu; i++) {
		const struct aod_hist *c = &hs->percpu[i];

		for (s = 0; s < AOD_HIST_SLOTS; s++)
			out->slots[s] += c->slots[s];
		out->count += c->count;
		out->over += c->over;
		out->sum_ns += c->sum_ns;
		if (c->max_ns > out->max_ns)
			out->max_ns = c->max_ns;
	}
	return 0;
}

uint64_t health_source_count(const struct health_source *hs, enum cfg_health_kind f)
{
	const struct hs_fam *fam;
	struct aod_count *c;
	struct aod_hist h;

	if (f >= HEALTH_NFAM)
		return 0;
	fam = &hs->fam[f];
	if (cfg_health_is_latency(f))
		return health_source_hist(hs, f, &h) ? 0 : h.count;
	if (f == CFG_H_FAULT && fam->vmstat)
		return hs->vm_total;
	if (!fam->bss || defs[f].counts_off < 0)
		return 0;
	if (!family_table[f].count_at)
		return 0;
	c = (struct aod_count *)((char *)fam->bss + defs[f].counts_off);
	return ((const uint64_t *)c)[family_table[f].count_at - 1];
}

static uint64_t drop_count(const void *e)
{
	return ((const struct health_drop_reason *)e)->count;
}

int health_source_drops(const struct health_source *hs, struct health_drop_reason *out, int max)
{
	const struct hs_fam *fam = &hs->fam[CFG_H_DROP];
	uint32_t key, *prev = NULL;
	uint64_t val;
	int fd = fam->drops_fd, n = 0, i;

	if (!fam->attached || fd < 0)
		return 0;
	/* every reason is looked at: the largest may be the last key the map hands out */
	while (!bpf_map_get_next_key(fd, prev, &key)) {
		if (!bpf_map_lookup_elem(fd, &key, &val) &&
		    (i = topn_slot(out, sizeof(*out), &n, max, val, drop_count)) >= 0)
			out[i] = (struct health_drop_reason){ .reason = key, .count = val };
		prev = &key;
	}
	return n;
}

const char *health_source_drop_name(const struct health_source *hs, uint32_t reason)
{
	struct health_source *w = (struct health_source *)hs;

	for (int i = 0; i < hs->ndrop_names; i++)
		if (hs->drop_names[i].value == reason)
			return hs->drop_names[i].name;
	if (reason == AOD_DROP_REASON_UNKNOWN)
		return "UNKNOWN (no reasons before 5.17)";
	snprintf(w->unknown_name, sizeof(w->unknown_name), "reason %u", reason);
	return w->unknown_name;
}

/* ---- aod probes ---- */

/* The short name aod probes prints: the method's first word, or what stands for it. */
static void short_method(const struct family_method *m, char *out, size_t len)
{
	size_t n = strcspn(m->name, " ");

	if (syscall_level(m))
		snprintf(out, len, "syscalls");
	else if (!m->progs[0])
		snprintf(out, len, "vmstat");
	else
		snprintf(out, len, "%.*s", (int)n, m->name);
}

/* "sched_switch + sched_info" from the method's name, else its programs without their method suffix
 * ("block_rq_issue_btf" -> "block_rq_issue"). */
static void attach_targets(const struct family_method *m, char *out, size_t len)
{
	const char *rest = m->name + strcspn(m->name, " ");
	size_t off = 0;

	if (*rest) {
		snprintf(out, len, "%s", rest + 1);
		return;
	}
	out[0] = 0;
	for (int i = 0; i < FAMILY_MAX_PROGS && m->progs[i] && off < len; i++) {
		const char *cut = strrchr(m->progs[i], '_');
		int n = cut ? (int)(cut - m->progs[i]) : (int)strlen(m->progs[i]);

		off += (size_t)snprintf(out + off, len - off, "%s%.*s", off ? ", " : "", n, m->progs[i]);
	}
}

/* What an attached method measures with, in aod probes' words; the cost rule for syscall level. */
static void probe_detail(enum cfg_health_kind fi, const struct hs_fam *f, const struct family_method *m, char *why,
			 size_t wlen)
{
	const char *via = strchr(m->name, '(');

	if (syscall_level(m))
		snprintf(why, wlen, "off by default: " HEALTH_SYSCALL_OFF_WHY "; turn on with %s (would use %.*s%s%s)",
			 family_table[fi].syscall_optin, via ? (int)strcspn(via + 1, ")") : 0, via ? via + 1 : "",
			 *f->failed ? "; " : "", f->failed);
	else if (!m->progs[0])
		snprintf(why, wlen, "/proc/vmstat pgmajfault deltas%s%s%s", *f->failed ? " (" : "", f->failed,
			 *f->failed ? ")" : "");
	else
		attach_targets(m, why, wlen);
	if (!syscall_level(m) && m->progs[0] && *f->failed)
		snprintf(why + strlen(why), wlen - strlen(why), " (%s)", f->failed);
}

int health_source_probe(enum cfg_health_kind fam, char *method, size_t mlen, char *why, size_t wlen)
{
	/* syscall_ok: find out whether syscall level would work; the report says it stays off */
	struct health_opts o = { .families = 1u << fam, .syscall_ok = HEALTH_ALL };
	struct health_source *hs = NULL;
	const struct hs_fam *f;
	struct arena a;
	int err;

	if ((unsigned)fam >= HEALTH_NFAM)
		return -EINVAL;
	err = arena_init(&a, HS_PROBE_ARENA);
	if (err < 0)
		return err;
	err = health_source_open(&hs, &a, &o);
	f = hs ? &hs->fam[fam] : NULL;
	if (f && f->attached) {
		short_method(&family_table[fam].methods[f->chosen], method, mlen);
		probe_detail(fam, f, &family_table[fam].methods[f->chosen], why, wlen);
		err = 0;
	} else {
		snprintf(method, mlen, "none");
		snprintf(why, wlen, "%s", f && *f->failed ? f->failed : strerror(err < 0 ? -err : ENODEV));
		err = err < 0 ? err : -ENODEV;
	}
	if (hs)
		health_source_close(hs);
	arena_fini(&a);
	return err;
}

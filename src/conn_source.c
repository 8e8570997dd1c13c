// SPDX-License-Identifier: GPL-2.0-only
/* sockconn's event source: the sockconn BPF object (tp_btf, raw_tp) or the /proc/net/tcp{,6} fallback. */
#include "conn_source.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf_light.h"
#include "health_source.h"
#include "log.h"
#include "sockconn.h"
#include "sockconn.skel.h"

struct conn_method {
	const char *name;
	const char *prog;
};

/* tp_btf needs the kernel's BTF for the tracepoint; raw_tp reads the same arguments without it. */
static const struct conn_method conn_methods[] = {
	{ "tp_btf", "sockconn_btf" },
	{ "raw_tp", "sockconn_raw" },
};

struct conn_source {
	conn_event_fn cb;
	void *ctx;
	uint16_t ports[NAMES_NPROTO];
	struct sockconn_bpf *skel;	/* classic load only: owns the fds */
	struct bpf_link *link;
	struct light_obj lo;		/* light load */
	int link_fd;
	struct aod_loss *loss;		/* in the object's .bss */
	void *bss;			/* light only: our own mapping */
	size_t bss_len;
	struct ring_buffer *rb;
	struct sockconn_src *proc;	/* the fallback, NULL while BPF is attached */
	char method[CONN_METHOD_MAX];
};

static struct sockconn_bpf *conn_prepare(const struct conn_source *s, const struct conn_method *m)
{
	struct sockconn_bpf *skel = sockconn_bpf__open();
	struct bpf_program *p;

	if (!skel)
		return NULL;
	skel->rodata->smb_port = s->ports[NAMES_SMB];
	skel->rodata->nfs_port = s->ports[NAMES_NFS];
	bpf_object__for_each_program(p, skel->obj)
		bpf_program__set_autoload(p, !strcmp(bpf_program__name(p), m->prog));
	return skel;
}

/* The kernel's loader program, then attach by fd; the object is closed either way. */
static int conn_try_light(struct conn_source *s, const struct conn_method *m)
{
	struct sockconn_bpf *skel = conn_prepare(s, m);
	struct bpf_program *p;
	char msg[160];
	int err;

	if (!skel)
		return errno ? -errno : -ENOMEM;
	err = light_load(skel->obj, &s->lo, msg, sizeof(msg));
	if (err) {
		log_debug("sockconn: %s: light load: %s", m->name, msg);
		sockconn_bpf__destroy(skel);
		return err;
	}
	p = bpf_object__find_program_by_name(skel->obj, m->prog);
	s->link_fd = p ? light_attach(p, light_prog_fd(&s->lo, skel->obj, m->prog)) : -ENOENT;
	err = s->link_fd < 0 ? s->link_fd : 0;
	if (!err) {
		s->bss = light_mmap(&s->lo, skel->obj, ".bss", &s->bss_len);
		if (!s->bss)
			err = errno ? -errno : -ENOMEM;
		else
			s->loss = (struct aod_loss *)((char *)s->bss + offsetof(struct sockconn_bpf__bss, loss));
	}
	if (!err && (s->rb = ring_buffer__new(light_map_fd(&s->lo, skel->obj, "events"), s->cb, s->ctx, NULL)) == NULL)
		err = -errno;
	sockconn_bpf__destroy(skel);
	return err;
}

/* libbpf's own load, for kernels that cannot run a loader program (before 5.15). */
static int conn_try_classic(struct conn_source *s, const struct conn_method *m)
{
	struct bpf_program *p;
	int err;

	s->skel = conn_prepare(s, m);
	if (!s->skel)
		return errno ? -errno : -ENOMEM;
	err = sockconn_bpf__load(s->skel);
	p = err ? NULL : bpf_object__find_program_by_name(s->skel->obj, m->prog);
	if (!err && !(s->link = p ? bpf_program__attach(p) : NULL))
		err = -errno;
	if (!err) {
		s->loss = &s->skel->bss->loss;
		s->rb = ring_buffer__new(bpf_map__fd(s->skel->maps.events), s->cb, s->ctx, NULL);
		if (!s->rb)
			err = -errno;
	}
	return err;
}

static void conn_unload(struct conn_source *s)
{
	if (s->rb)
		ring_buffer__free(s->rb);
	if (s->link)
		bpf_link__destroy(s->link);
	if (s->link_fd >= 0)
		close(s->link_fd);
	if (s->skel)
		sockconn_bpf__destroy(s->skel);
	if (s->bss)
		munmap(s->bss, s->bss_len);
	light_close(&s->lo);
	s->rb = NULL;
	s->link = NULL;
	s->link_fd = -1;
	s->skel = NULL;
	s->bss = NULL;
	s->loss = NULL;
}

static int conn_try_method(struct conn_source *s, const struct conn_method *m)
{
	int err;

	if (health_source_avoided(m->name))
		return -ECANCELED;
	err = conn_try_light(s, m);
	if (light_fallback(err)) {
		conn_unload(s);
		err = conn_try_classic(s, m);
	}
	if (err)
		conn_unload(s);
	return err;
}

static void conn_proc_record(void *ctx, const struct aod_ev_sockconn *ev)
{
	struct conn_source *s = ctx;

	s->cb(s->ctx, (void *)ev, sizeof(*ev));
}

int conn_source_open(struct conn_source **out, struct arena *a, const uint16_t ports[NAMES_NPROTO],
		     conn_event_fn cb, void *ctx)
{
	struct conn_source *s = arena_new(a, struct conn_source, 1);
	char failed[CONN_METHOD_MAX] = "";
	int err = 0;

	if (!s)
		return -ENOMEM;
	s->cb = cb;
	s->ctx = ctx;
	s->link_fd = -1;
	memcpy(s->ports, ports, sizeof(s->ports));
	for (size_t i = 0; i < sizeof(conn_methods) / sizeof(conn_methods[0]); i++) {
		err = conn_try_method(s, &conn_methods[i]);
		if (!err) {
			snprintf(s->method, sizeof(s->method), "%s sock:inet_sock_set_state%s%.180s%s", conn_methods[i].name,
				 *failed ? " (" : "", failed, *failed ? ")" : "");
			*out = s;
			return 0;
		}
		snprintf(failed + strlen(failed), sizeof(failed) - strlen(failed), "%s%s: %s", *failed ? "; " : "",
			 conn_methods[i].name, err == -ECANCELED ? "avoided (AOD_HEALTH_AVOID)" : strerror(-err));
	}
	s->proc = arena_new(a, struct sockconn_src, 1);
	if (!s->proc)
		return -ENOMEM;
	sockconn_src_init(s->proc, NULL, ports);
	err = sockconn_poll(s->proc, 0, conn_proc_record, s);	/* the baseline */
	snprintf(s->method, sizeof(s->method), "/proc/net/tcp{,6} each watch interval, this network namespace only (%.180s)",
		 failed);
	*out = s;
	return err < 0 ? err : 0;
}

int conn_source_fd(const struct conn_source *s)
{
	return s->rb ? ring_buffer__epoll_fd(s->rb) : -1;
}

int conn_source_consume(struct conn_source *s)
{
	return s->rb ? ring_buffer__consume(s->rb) : 0;
}

int conn_source_tick(struct conn_source *s, uint64_t now_ns)
{
	return s->proc ? sockconn_poll(s->proc, now_ns, conn_proc_record, s) : 0;
}

const char *conn_source_method(const struct conn_source *s)
{
	return s->method;
}

uint64_t conn_source_lost(const struct conn_source *s)
{
	return s->loss ? s->loss->ringbuf_full : 0;
}

void conn_source_close(struct conn_source *s)
{
	if (s)
		conn_unload(s);
}

static int probe_discard(void *ctx, void *data, size_t size)
{
	(void)ctx, (void)data, (void)size;
	return 0;
}

int conn_source_probe(char *method, size_t mlen, char *why, size_t wlen)
{
	const uint16_t ports[NAMES_NPROTO] = { [NAMES_SMB] = SOCKCONN_SMB_PORT, [NAMES_NFS] = SOCKCONN_NFS_PORT };
	struct conn_source *s = NULL;
	struct arena a;
	int err = arena_init(&a, 1u << 20);

	if (err < 0)
		return err;
	err = conn_source_open(&s, &a, ports, probe_discard, NULL);
	if (s) {
		snprintf(method, mlen, "%s", s->proc ? "proc" : !strncmp(s->method, "tp_btf", 6) ? "tp_btf" : "raw_tp");
		/* the method's own name is in the column before */
		snprintf(why, wlen, "%s, remote ports 445 and 2049",
			 s->proc ? s->method : s->method + strcspn(s->method, " ") + 1);
		conn_source_close(s);
	} else {
		snprintf(method, mlen, "none");
		snprintf(why, wlen, "%s", strerror(-err));
	}
	arena_fini(&a);
	return err;
}

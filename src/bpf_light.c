// SPDX-License-Identifier: GPL-2.0-only
/* Loading a BPF object through a loader program the kernel runs (see bpf_light.h). */
#include "bpf_light.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <bpf/skel_internal.h>

#define LIGHT_LOG_SIZE (1 << 20)
#define LIGHT_NAME_MAX 48	/* bytes of stack for the name light_btf_find looks up */

static void init_fds(struct light_obj *lo)
{
	memset(lo, 0, sizeof(*lo));
	for (int i = 0; i < LIGHT_MAX_MAPS; i++)
		lo->map_fd[i] = -1;
	for (int i = 0; i < LIGHT_MAX_PROGS; i++)
		lo->prog_fd[i] = -1;
}

int light_load(struct bpf_object *obj, struct light_obj *lo, char *err, size_t errlen)
{
	struct gen_loader_opts gen = { .sz = sizeof(gen) };
	struct bpf_load_and_run_opts run = { 0 };
	const struct bpf_map_desc *md;
	const struct bpf_prog_desc *pd;
	struct bpf_loader_ctx *ctx;
	struct bpf_program *p;
	struct bpf_map *m;
	const char *logenv = getenv("AOD_BPF_LOG");
	char *vlog = NULL;
	int rc, i, loaded;
	size_t sz;

	init_fds(lo);
	/*
	 * The loader writes map fds by the object's map index (it must create every map: libbpf's
	 * generator refuses an object with a map left out) and program fds in the order the
	 * programs were loaded, which is the iteration order of the autoload ones.
	 */
	bpf_object__for_each_map(m, obj)
		lo->nmaps++;
	bpf_object__for_each_program(p, obj)
		lo->nprogs++;
	if (lo->nmaps > LIGHT_MAX_MAPS || lo->nprogs > LIGHT_MAX_PROGS) {
		snprintf(err, errlen, "%d maps and %d programs: more than light_load handles", lo->nmaps, lo->nprogs);
		return -E2BIG;
	}
	rc = bpf_object__gen_loader(obj, &gen);
	if (!rc)
		rc = bpf_object__load(obj);
	if (rc) {
		snprintf(err, errlen, "writing the loader program failed: %s", strerror(-rc));
		return rc;
	}
	sz = sizeof(*ctx) + lo->nmaps * sizeof(*md) + lo->nprogs * sizeof(*pd);
	ctx = calloc(1, sz);
	if (!ctx) {
		snprintf(err, errlen, "no memory for the loader's descriptor table");
		return -ENOMEM;
	}
	ctx->sz = (__u32)sz;
	/*
	 * AOD_BPF_LOG=1: the kernel's CO-RE and verifier log, printed when a load fails;
	 * AOD_BPF_LOG=4: the verifier's statistics of the last program, printed either way.
	 */
	if (logenv && *logenv && (vlog = calloc(1, LIGHT_LOG_SIZE))) {
		ctx->log_level = *logenv == '4' ? 4 : 1;
		ctx->log_size = LIGHT_LOG_SIZE;
		ctx->log_buf = (__u64)(unsigned long)vlog;
	}
	run.ctx = ctx;
	run.data = gen.data;
	run.data_sz = gen.data_sz;
	run.insns = gen.insns;
	run.insns_sz = gen.insns_sz;
	errno = 0;
	rc = bpf_load_and_run(&run);
	if (rc < 0) {
		rc = errno ? -errno : rc;
		snprintf(err, errlen, "%s: %s", run.errstr ? run.errstr : "loader", strerror(-rc));
		if (vlog)
			fprintf(stderr, "aod: kernel log of the failed load:\n%s\n", vlog);
		free(vlog);
		free(ctx);
		return rc;
	}
	md = (const struct bpf_map_desc *)(ctx + 1);
	pd = (const struct bpf_prog_desc *)(md + lo->nmaps);
	i = 0;
	bpf_object__for_each_map(m, obj) {
		lo->map_fd[i] = md[i].map_fd > 0 ? md[i].map_fd : -1;
		i++;
	}
	i = 0;
	loaded = 0;
	bpf_object__for_each_program(p, obj) {
		if (bpf_program__autoload(p)) {
			lo->prog_fd[i] = pd[loaded].prog_fd > 0 ? pd[loaded].prog_fd : -1;
			loaded++;
		}
		i++;
	}
	if (vlog && *logenv == '4')
		fprintf(stderr, "%s\n", vlog);
	free(vlog);
	free(ctx);
	return 0;
}

bool light_attachable(const struct bpf_program *p)
{
	enum bpf_prog_type t = bpf_program__type(p);
	enum bpf_attach_type a = bpf_program__expected_attach_type(p);

	if (t == BPF_PROG_TYPE_RAW_TRACEPOINT)
		return true;
	return t == BPF_PROG_TYPE_TRACING &&
	       (a == BPF_TRACE_RAW_TP || a == BPF_TRACE_FENTRY || a == BPF_TRACE_FEXIT);
}

bool light_object_attachable(const struct bpf_object *obj)
{
	struct bpf_program *p;

	bpf_object__for_each_program(p, obj)
		if (bpf_program__autoload(p) && !light_attachable(p))
			return false;
	return true;
}

bool light_disabled(void)
{
	const char *s = getenv("AOD_NO_LIGHT_LOAD");

	return s && *s == '1';
}

bool light_fallback(int err)
{
	return err == -EINVAL || err == -ENOTSUP || err == -E2BIG;
}

int light_attach(const struct bpf_program *p, int prog_fd)
{
	const char *sec = bpf_program__section_name(p), *tp;
	int fd;

	if (prog_fd < 0)
		return -EBADF;
	if (bpf_program__type(p) == BPF_PROG_TYPE_RAW_TRACEPOINT) {
		/* "raw_tp/NAME" or "raw_tracepoint/NAME" */
		tp = strchr(sec, '/');
		if (!tp || !tp[1])
			return -EINVAL;
		fd = bpf_raw_tracepoint_open(tp + 1, prog_fd);
	} else if (light_attachable(p)) {
		/* the target was fixed at load (attach_btf_id): no name here */
		fd = bpf_raw_tracepoint_open(NULL, prog_fd);
	} else {
		return -EOPNOTSUPP;
	}
	return fd < 0 ? -errno : fd;
}

int light_map_fd(const struct light_obj *lo, const struct bpf_object *obj, const char *name)
{
	struct bpf_map *m;
	int i = 0;

	bpf_object__for_each_map(m, obj) {
		if (i >= lo->nmaps)
			break;
		if (!strcmp(bpf_map__name(m), name))
			return lo->map_fd[i];
		i++;
	}
	return -1;
}

int light_prog_fd(const struct light_obj *lo, const struct bpf_object *obj, const char *name)
{
	struct bpf_program *p;
	int i = 0;

	bpf_object__for_each_program(p, obj) {
		if (i >= lo->nprogs)
			break;
		if (!strcmp(bpf_program__name(p), name))
			return lo->prog_fd[i];
		i++;
	}
	return -1;
}

void *light_mmap(const struct light_obj *lo, const struct bpf_object *obj, const char *suffix, size_t *len)
{
	long pg = sysconf(_SC_PAGESIZE);
	struct bpf_map *m;
	size_t n, sl = strlen(suffix);
	void *p;
	int i = 0;

	bpf_object__for_each_map(m, obj) {
		n = strlen(bpf_map__name(m));
		if (i < lo->nmaps && n >= sl && !strcmp(bpf_map__name(m) + n - sl, suffix) && lo->map_fd[i] >= 0) {
			*len = ((size_t)bpf_map__value_size(m) + (size_t)pg - 1) / (size_t)pg * (size_t)pg;
			p = mmap(NULL, *len, PROT_READ | PROT_WRITE, MAP_SHARED, lo->map_fd[i], 0);
			return p == MAP_FAILED ? NULL : p;
		}
		i++;
	}
	errno = ENOENT;
	return NULL;
}

void light_close(struct light_obj *lo)
{
	for (int i = 0; i < lo->nmaps && i < LIGHT_MAX_MAPS; i++)
		if (lo->map_fd[i] >= 0)
			close(lo->map_fd[i]);
	for (int i = 0; i < lo->nprogs && i < LIGHT_MAX_PROGS; i++)
		if (lo->prog_fd[i] >= 0)
			close(lo->prog_fd[i]);
	init_fds(lo);
}

/* One name's lookup: the name on the stack, the helper's answer stored at ctx[i]. */
static int emit_find(struct bpf_insn *p, int at, int i, const char *name, unsigned int kind)
{
	char buf[LIGHT_NAME_MAX] = "";
	size_t len = strlen(name) + 1;
	uint64_t v;

	memcpy(buf, name, len);
	for (size_t w = 0; w < (len + 7) / 8; w++) {
		memcpy(&v, buf + 8 * w, 8);
		p[at++] = (struct bpf_insn){ .code = BPF_LD | BPF_DW | BPF_IMM, .dst_reg = BPF_REG_1, .imm = (__s32)(__u32)v };
		p[at++] = (struct bpf_insn){ .imm = (__s32)(__u32)(v >> 32) };
		p[at++] = (struct bpf_insn){ .code = BPF_STX | BPF_MEM | BPF_DW, .dst_reg = BPF_REG_10,
					     .src_reg = BPF_REG_1, .off = (__s16)(-LIGHT_NAME_MAX + 8 * (int)w) };
	}
	p[at++] = (struct bpf_insn){ .code = BPF_ALU64 | BPF_MOV | BPF_X, .dst_reg = BPF_REG_1, .src_reg = BPF_REG_10 };
	p[at++] = (struct bpf_insn){ .code = BPF_ALU64 | BPF_ADD | BPF_K, .dst_reg = BPF_REG_1, .imm = -LIGHT_NAME_MAX };
	p[at++] = (struct bpf_insn){ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_2, .imm = (__s32)len };
	p[at++] = (struct bpf_insn){ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_3, .imm = (__s32)kind };
	p[at++] = (struct bpf_insn){ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_4, .imm = 0 };
	p[at++] = (struct bpf_insn){ .code = BPF_JMP | BPF_CALL, .imm = BPF_FUNC_btf_find_by_name_kind };
	p[at++] = (struct bpf_insn){ .code = BPF_STX | BPF_MEM | BPF_DW, .dst_reg = BPF_REG_6, .src_reg = BPF_REG_0,
				     .off = (__s16)(8 * i) };
	return at;
}

int light_btf_find(const char *const *name, const unsigned int *kinds, int n, int *ids)
{
	/* per name: 3 insns per 8 bytes of name, 7 for the call; then the prologue and exit */
	struct bpf_insn p[LIGHT_BTF_FIND_MAX * (3 * LIGHT_NAME_MAX / 8 + 7) + 3];
	LIBBPF_OPTS(bpf_prog_load_opts, o, .prog_flags = BPF_F_SLEEPABLE);
	int64_t ctx[LIGHT_BTF_FIND_MAX] = { 0 };
	LIBBPF_OPTS(bpf_test_run_opts, run, .ctx_in = ctx, .ctx_size_in = sizeof(ctx));
	int at = 0, fd, err;

	if (n <= 0 || n > LIGHT_BTF_FIND_MAX)
		return -EINVAL;
	p[at++] = (struct bpf_insn){ .code = BPF_ALU64 | BPF_MOV | BPF_X, .dst_reg = BPF_REG_6, .src_reg = BPF_REG_1 };
	for (int i = 0; i < n; i++) {
		if (strlen(name[i]) >= LIGHT_NAME_MAX)
			return -ENAMETOOLONG;
		at = emit_find(p, at, i, name[i], kinds[i]);
	}
	p[at++] = (struct bpf_insn){ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 };
	p[at++] = (struct bpf_insn){ .code = BPF_JMP | BPF_EXIT };
	/* BPF_PROG_TYPE_SYSCALL (5.14) runs sleepable only; the helper came with it for light skeletons */
	/*
	 * No name: it lives for one test run, and a name makes libbpf first probe whether the kernel
	 * takes names, with a bpf_attr it fills only up to prog_name (valgrind reports the rest).
	 */
	fd = bpf_prog_load(BPF_PROG_TYPE_SYSCALL, NULL, "GPL", p, (size_t)at, &o);
	if (fd < 0)
		return -errno;
	err = bpf_prog_test_run_opts(fd, &run) ? -errno : 0;	/* the kernel copies ctx back to ctx_in */
	close(fd);
	if (err)
		return err;
	for (int i = 0; i < n; i++) {
		/* a module's type comes with its BTF's fd in the upper half: not vmlinux's, close it */
		if (ctx[i] > 0 && (ctx[i] >> 32))
			close((int)(ctx[i] >> 32));
		ids[i] = ctx[i] > 0 && !(ctx[i] >> 32) ? (int)ctx[i] : -ENOENT;
	}
	return 0;
}

/* A two-instruction fentry program for btf_id (0: none), unnamed, as in light_btf_find: a name costs a
 * program load of libbpf's to see if names are taken. The fd or -errno. */
static int load_fentry(unsigned int btf_id)
{
	const struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, o, .expected_attach_type = BPF_TRACE_FENTRY, .attach_btf_id = btf_id);
	int fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, NULL, "GPL", insns, 2, &o);

	return fd < 0 ? -errno : fd;
}

int light_fentry_refused(void)
{
	int fd = load_fentry(0);

	if (fd >= 0) {		/* not expected: a target is required */
		close(fd);
		return 0;
	}
	return fd == -EPERM || fd == -EACCES ? fd : 0;
}

int light_probe_fentry(unsigned int btf_id)
{
	int fd, link;

	fd = load_fentry(btf_id);
	if (fd < 0)
		return fd;
	link = bpf_raw_tracepoint_open(NULL, fd);
	if (link < 0) {
		link = -errno;
		close(fd);
		return link;
	}
	close(link);
	close(fd);
	return 0;
}

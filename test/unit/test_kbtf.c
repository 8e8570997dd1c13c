// SPDX-License-Identifier: GPL-2.0-only
/* The mapped kernel-BTF reader: a hand-built blob, broken blobs, and the running kernel against libbpf. */
#include "../../src/log.c"
#include "../../src/kbtf.c"
#include "../../src/io.c"
#include "../../src/bpf_light.c"
#include "check.h"

#include <bpf/btf.h>
#include <stdlib.h>
#include <unistd.h>

/* A small blob: the kinds the reader must step over, and a tracepoint typedef chain. */
struct blob {
	uint8_t buf[4096];
	size_t types, strs;	/* lengths so far */
	uint8_t tbuf[2048];
	char sbuf[1024];
};

static uint32_t str(struct blob *b, const char *s)
{
	uint32_t off = (uint32_t)b->strs;

	memcpy(b->sbuf + b->strs, s, strlen(s) + 1);
	b->strs += strlen(s) + 1;
	return off;
}

static void put(struct blob *b, const void *p, size_t n)
{
	memcpy(b->tbuf + b->types, p, n);
	b->types += n;
}

static void type(struct blob *b, const char *name, unsigned int kind, unsigned int vlen, uint32_t size_or_type)
{
	struct btf_type t = { .name_off = name ? str(b, name) : 0, .info = (kind << 24) | vlen,
			      .size = size_or_type };

	put(b, &t, sizeof(t));
}

/* Writes the blob to a file; `mangle` may break it first. Returns the path. */
static const char *build(void (*mangle)(struct btf_header *h, struct blob *b))
{
	static char path[64];
	struct blob b = { .strs = 0 };
	struct btf_header h = { .magic = BTF_MAGIC, .version = 1, .hdr_len = sizeof(h) };
	uint32_t v32 = 0;
	struct btf_param p[3] = { { 0 } };
	struct btf_enum e[2];
	struct btf_member m[2];
	FILE *f;
	int fd;

	str(&b, "");
	type(&b, "int", BTF_KIND_INT, 0, 4);		/* [1] */
	v32 = 32;
	put(&b, &v32, 4);
	type(&b, NULL, BTF_KIND_PTR, 0, 1);		/* [2] int * */
	m[0] = (struct btf_member){ .name_off = str(&b, "a"), .type = 1, .offset = 0 };
	m[1] = (struct btf_member){ .name_off = str(&b, "b"), .type = 2, .offset = 64 };
	type(&b, "pair", BTF_KIND_STRUCT, 2, 16);	/* [3] */
	put(&b, m, sizeof(m));
	e[0] = (struct btf_enum){ .name_off = str(&b, "SKB_DROP_REASON_NOT_SPECIFIED"), .val = 2 };
	e[1] = (struct btf_enum){ .name_off = str(&b, "SKB_DROP_REASON_NO_SOCKET"), .val = 3 };
	type(&b, "skb_drop_reason", BTF_KIND_ENUM, 2, 4);	/* [4] */
	put(&b, e, sizeof(e));
	p[0].type = 2;
	p[1].type = 1;
	p[2].type = 3;
	type(&b, NULL, BTF_KIND_FUNC_PROTO, 3, 0);	/* [5] void (void *, int, struct pair) */
	put(&b, p, sizeof(p));
	type(&b, NULL, BTF_KIND_PTR, 0, 5);		/* [6] */
	type(&b, "btf_trace_demo", BTF_KIND_TYPEDEF, 0, 6);	/* [7] */
	type(&b, "vfs_read", BTF_KIND_FUNC, 0, 5);	/* [8] */
	type(&b, "demo_var", BTF_KIND_VAR, 0, 1);	/* [9] */
	put(&b, &v32, 4);
	for (int i = 0; i < 150; i++)			/* [10..159]: enough ids for a second stride */
		type(&b, NULL, BTF_KIND_CONST, 0, 1);
	type(&b, "pair", BTF_KIND_TYPEDEF, 0, 3);	/* [160]: same name, other kind */
	h.type_off = 0;
	h.type_len = (uint32_t)b.types;
	h.str_off = (uint32_t)b.types;
	h.str_len = (uint32_t)b.strs;
	if (mangle)
		mangle(&h, &b);
	snprintf(path, sizeof(path), "/tmp/aod-kbtf-%d.btf", (int)getpid());
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!f)
		return NULL;
	fwrite(&h, sizeof(h), 1, f);
	fwrite(b.tbuf, 1, b.types, f);
	fwrite(b.sbuf, 1, b.strs, f);
	fclose(f);
	return path;
}

static void test_blob(void)
{
	const char *path = build(NULL);
	enum { DEMO, PAIR_T, DROP, MISSING, PAIR_S, VFS_F, VFS_S, ABSENT, NWANT };
	struct kbtf_want w[NWANT] = {
		[DEMO] = { "btf_trace_demo", BTF_KIND_TYPEDEF, 0 },
		[PAIR_T] = { "pair", BTF_KIND_TYPEDEF, 0 },
		[DROP] = { "skb_drop_reason", BTF_KIND_ENUM, 0 },
		[MISSING] = { "missing", BTF_KIND_STRUCT, 0 },
		[PAIR_S] = { "pair", BTF_KIND_STRUCT, 0 },
		[VFS_F] = { "vfs_read", BTF_KIND_FUNC, 0 },
		[VFS_S] = { "vfs_read", BTF_KIND_STRUCT, 0 },
		[ABSENT] = { "btf_trace_absent", BTF_KIND_TYPEDEF, 0 },
	};
	const struct btf_type *t;
	struct kbtf k;

	CHECK(path && kbtf_open(&k, path, w, NWANT) == 0);
	CHECK(k.ntypes == 160);
	CHECK(w[PAIR_S].id == 3);
	CHECK(w[PAIR_T].id == 160);
	CHECK(w[VFS_F].id == 8);
	CHECK(w[VFS_S].id == -ENOENT);
	CHECK(kbtf_tp_nargs_of(&k, w[DEMO].id) == 2);	/* the first parameter is the tracepoint's __data */
	CHECK(kbtf_tp_nargs_of(&k, w[ABSENT].id) == -1);
	t = kbtf_type(&k, 160);
	CHECK(t && BTF_INFO_KIND(t->info) == BTF_KIND_TYPEDEF && t->type == 3);
	t = kbtf_type(&k, 9);
	CHECK(t && !strcmp(kbtf_str(&k, t->name_off), "demo_var"));
	CHECK(kbtf_type(&k, 0) == NULL && kbtf_type(&k, 161) == NULL);
	CHECK(!strcmp(kbtf_str(&k, 1u << 30), ""));
	CHECK(w[DEMO].id == 7 && w[DROP].id == 4 && w[MISSING].id == -ENOENT);
	t = kbtf_type(&k, (uint32_t)w[DROP].id);
	CHECK(t && BTF_INFO_VLEN(t->info) == 2 &&
	      !strcmp(kbtf_str(&k, ((const struct btf_enum *)(t + 1))[1].name_off), "SKB_DROP_REASON_NO_SOCKET"));
	kbtf_close(&k);
	unlink(path);
}

static void bad_magic(struct btf_header *h, struct blob *b) { (void)b; h->magic = 0x1234; }
static void too_long(struct btf_header *h, struct blob *b) { (void)b; h->str_len += 4096; }
static void bad_kind(struct btf_header *h, struct blob *b)
{
	(void)h;
	((struct btf_type *)(b->tbuf + 16))->info = 31u << 24;	/* the PTR after INT + its 4 bytes */
}
static void cut_type(struct btf_header *h, struct blob *b)
{
	(void)b;
	h->type_len -= 2;	/* the last record runs past its section */
	h->str_off -= 2;
}

static void test_broken(void)
{
	void (*mangle[])(struct btf_header *, struct blob *) = { bad_magic, too_long, bad_kind, cut_type };
	struct kbtf k;

	for (unsigned int i = 0; i < sizeof(mangle) / sizeof(mangle[0]); i++) {
		const char *path = build(mangle[i]);

		int rc = path ? kbtf_open(&k, path, NULL, 0) : -1;

		if (rc != -EINVAL)
			fprintf(stderr, "broken blob %u: kbtf_open gave %d\n", i, rc);
		CHECK(rc == -EINVAL);
		CHECK(k.base == NULL && k.every == NULL);	/* nothing left behind */
		if (path)
			unlink(path);
	}
	CHECK(kbtf_open(&k, "/nonexistent/btf", NULL, 0) == -ENOENT);
	CHECK(kbtf_map(&k, "/nonexistent/btf") == -ENOENT);
	/* mapped without a walk: the header is checked at once, a bad type when an id past it is asked for */
	for (unsigned int i = 0; i < sizeof(mangle) / sizeof(mangle[0]); i++) {
		const char *path = build(mangle[i]);
		int rc = path ? kbtf_map(&k, path) : -1;

		CHECK(i < 2 ? rc == -EINVAL : rc == 0);
		CHECK(rc || (kbtf_type(&k, 1u << 20) == NULL && !k.walked));
		kbtf_close(&k);
		if (path)
			unlink(path);
	}
}

/*
 * Mapped without a walk (kbtf_map), with the ids from the kernel (light_btf_find): the same types
 * as the full walk, and the pages past the last one asked for never indexed.
 */
static void test_kernel_lazy(struct btf *ref, const char *const *tpn, int n)
{
	unsigned int kinds[LIGHT_BTF_FIND_MAX];
	int ids[LIGHT_BTF_FIND_MAX], err, bad = 0, maxid = 0;
	struct kbtf k;

	for (int i = 0; i < n; i++)
		kinds[i] = BTF_KIND_TYPEDEF;
	err = light_btf_find(tpn, kinds, n, ids);
	if (err) {
		printf("skip - kbtf: the kernel's own lookup by name: %s\n", strerror(-err));
		return;
	}
	for (int i = 0; i < n; i++) {
		bad += ids[i] != btf__find_by_name_kind(ref, tpn[i], BTF_KIND_TYPEDEF);
		maxid = ids[i] > maxid ? ids[i] : maxid;
	}
	CHECK(bad == 0);
	CHECK(kbtf_map(&k, "/sys/kernel/btf/vmlinux") == 0 && k.ntypes == 0 && !k.walked);
	CHECK(kbtf_type(&k, (uint32_t)ids[0]) != NULL && k.ntypes == (uint32_t)ids[0] && !k.walked);
	for (uint32_t id = (uint32_t)maxid; id >= 1 && id <= (uint32_t)maxid; id -= 991) {
		const struct btf_type *a = kbtf_type(&k, id), *b = btf__type_by_id(ref, id);

		bad += !a || !b || a->info != b->info || a->size != b->size;
	}
	CHECK(bad == 0 && k.ntypes == (uint32_t)maxid);
	CHECK(kbtf_type(&k, (uint32_t)btf__type_cnt(ref)) == NULL && k.walked);
	CHECK(kbtf_type(&k, (uint32_t)btf__type_cnt(ref) - 1) != NULL);
	kbtf_close(&k);
}

/* The running kernel, when it has BTF: the same answers as libbpf's full parse. */
static void test_kernel(void)
{
	enum { NTPS = 5 };
	const char *tps[NTPS] = { "sched_switch", "block_rq_issue", "kfree_skb", "mark_victim", "tcp_retransmit_skb" };
	struct kbtf_want w[NTPS + 1];
	char tn[NTPS][96];
	struct btf *ref;
	struct kbtf k;
	int bad = 0;

	for (int i = 0; i < NTPS; i++) {
		snprintf(tn[i], sizeof(tn[i]), "btf_trace_%s", tps[i]);
		w[i] = (struct kbtf_want){ tn[i], BTF_KIND_TYPEDEF, 0 };
	}
	w[NTPS] = (struct kbtf_want){ "task_struct", BTF_KIND_STRUCT, 0 };

	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		printf("skip - kbtf: kernel BTF comparison: no /sys/kernel/btf/vmlinux\n");
		return;
	}
	ref = btf__load_vmlinux_btf();
	CHECK(ref != NULL);
	CHECK(kbtf_open(&k, "/sys/kernel/btf/vmlinux", w, NTPS + 1) == 0);
	if (!ref || !k.base)
		return;
	CHECK(k.ntypes + 1 == btf__type_cnt(ref));
	CHECK(w[NTPS].id == btf__find_by_name_kind(ref, "task_struct", BTF_KIND_STRUCT));
	for (int i = 0; i < NTPS; i++) {
		const struct btf_type *t;
		int id, n = -1;

		id = btf__find_by_name_kind(ref, tn[i], BTF_KIND_TYPEDEF);
		bad += w[i].id != id;
		t = id > 0 ? btf__type_by_id(ref, btf__type_by_id(ref, id)->type) : NULL;
		t = t ? btf__type_by_id(ref, t->type) : NULL;
		if (t && btf_is_func_proto(t))
			n = btf_vlen(t) - 1;
		bad += kbtf_tp_nargs_of(&k, w[i].id) != n;
	}
	CHECK(bad == 0);
	/* every 997th type: same kind, name and size/type field */
	for (uint32_t id = 1; id <= k.ntypes; id += 997) {
		const struct btf_type *a = kbtf_type(&k, id), *b = btf__type_by_id(ref, id);

		bad += !a || !b || a->info != b->info || a->size != b->size ||
		       strcmp(kbtf_str(&k, a->name_off), btf__name_by_offset(ref, b->name_off));
	}
	CHECK(bad == 0);
	kbtf_close(&k);
	{
		const char *tpn[NTPS];

		for (int i = 0; i < NTPS; i++)
			tpn[i] = tn[i];
		test_kernel_lazy(ref, tpn, NTPS);
	}
	btf__free(ref);
}

int main(void)
{
	test_blob();
	test_broken();
	test_kernel();
	return CHECK_DONE();
}

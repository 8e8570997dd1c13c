// SPDX-License-Identifier: GPL-2.0-only
/* Lookups in the running kernel's BTF without copying it (see kbtf.h). */
#include "kbtf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io.h"
#include "log.h"

#define KIND(t) (((t)->info >> 24) & 0x1f)
#define VLEN(t) ((t)->info & 0xffff)

/* Bytes of the record at p (header plus what its kind appends), 0 when the kind is unknown. */
static size_t rec_size(const struct btf_type *t)
{
	size_t h = sizeof(*t);

	switch (KIND(t)) {
	case BTF_KIND_INT: return h + 4;
	case BTF_KIND_ARRAY: return h + sizeof(struct btf_array);
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION: return h + VLEN(t) * sizeof(struct btf_member);
	case BTF_KIND_ENUM: return h + VLEN(t) * sizeof(struct btf_enum);
	case BTF_KIND_FUNC_PROTO: return h + VLEN(t) * sizeof(struct btf_param);
	case BTF_KIND_VAR: return h + sizeof(struct btf_var);
	case BTF_KIND_DATASEC: return h + VLEN(t) * sizeof(struct btf_var_secinfo);
	case BTF_KIND_DECL_TAG: return h + 4;
	case 19: return h + VLEN(t) * 12;	/* ENUM64: name_off, val_lo32, val_hi32 */
	case BTF_KIND_PTR:
	case BTF_KIND_FWD:
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_CONST:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_FUNC:
	case BTF_KIND_FLOAT:
	case 18:			/* TYPE_TAG */
		return h;
	}
	return 0;
}

/* Does type t (id) answer one of the wanted lookups still open? */
static void match(const struct kbtf *k, const struct btf_type *t, uint32_t id, struct kbtf_want *w, int n, int *left)
{
	const char *name = NULL;

	for (int i = 0; i < n; i++) {
		if (w[i].id > 0 || KIND(t) != w[i].kind)
			continue;
		if (!name)
			name = kbtf_str(k, t->name_off);
		if (*name == *w[i].name && !strcmp(name, w[i].name)) {
			w[i].id = (int)id;
			(*left)--;
		}
	}
}

static int load_file(struct kbtf *k, const char *path)
{
	struct stat st;
	uint8_t *buf;
	ssize_t n;
	int fd, err = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || st.st_size < (off_t)sizeof(struct btf_header)) {
		close(fd);
		return -EINVAL;
	}
	k->size = (size_t)st.st_size;
	k->base = mmap(NULL, k->size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (k->base != MAP_FAILED) {
		k->mapped = true;
		close(fd);
		return 0;
	}
	k->base = NULL;
	buf = malloc(k->size);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	n = io_read_full(fd, buf, k->size);
	close(fd);
	if (n < 0)
		err = (int)n;
	else if ((size_t)n != k->size)
		err = -EIO;
	if (err) {
		free(buf);
		return err;
	}
	k->base = buf;
	return 0;
}

/* Maps the file and checks its header: types and strings inside it. */
static int map_header(struct kbtf *k, const char *path)
{
	const struct btf_header *h;
	int err;

	memset(k, 0, sizeof(*k));
	err = load_file(k, path);
	if (err)
		return err;
	h = (const struct btf_header *)k->base;
	if (h->magic != BTF_MAGIC || h->hdr_len < sizeof(*h) || (uint64_t)h->hdr_len + h->type_off + h->type_len > k->size ||
	    (uint64_t)h->hdr_len + h->str_off + h->str_len > k->size || !h->str_len) {
		log_debug("kbtf: %s: not a BTF blob this reader understands", path);
		kbtf_close(k);
		return -EINVAL;
	}
	k->types = k->base + h->hdr_len + h->type_off;
	k->types_len = h->type_len;
	k->strs = (const char *)k->base + h->hdr_len + h->str_off;
	k->strs_len = h->str_len;
	return 0;
}

/*
 * Indexes types up to id upto (all when 0), noting where every KBTF_STRIDE-th one starts and
 * answering the lookups in w on the way. 0, or -EINVAL (corrupt) / -ENOMEM.
 */
static int walk(struct kbtf *k, uint32_t upto, struct kbtf_want *w, int n, int *left)
{
	uint32_t off = k->next_off, id = k->ntypes + 1;
	size_t sz;

	for (; off + sizeof(struct btf_type) <= k->types_len && (!upto || id <= upto); off += (uint32_t)sz, id++) {
		sz = rec_size((const struct btf_type *)(k->types + off));
		if (*left)
			match(k, (const struct btf_type *)(k->types + off), id, w, n, left);
		if (!sz || off + sz > k->types_len) {
			log_debug("kbtf: type %u has an unknown kind or runs past the section", id);
			return -EINVAL;
		}
		if ((id - 1) % KBTF_STRIDE == 0) {
			if ((id - 1) / KBTF_STRIDE >= k->every_cap) {
				uint32_t cap = k->every_cap ? k->every_cap * 2 : 4096;
				uint32_t *grown = realloc(k->every, cap * sizeof(*grown));

				if (!grown)
					return -ENOMEM;
				k->every = grown;
				k->every_cap = cap;
			}
			k->every[(id - 1) / KBTF_STRIDE] = off;
		}
		k->ntypes = id;
		k->next_off = off + (uint32_t)sz;
	}
	if (off + sizeof(struct btf_type) > k->types_len) {
		if (off != k->types_len) {
			log_debug("kbtf: %u bytes after the last whole type", k->types_len - off);
			return -EINVAL;
		}
		k->walked = true;
	}
	return 0;
}

int kbtf_open(struct kbtf *k, const char *path, struct kbtf_want *w, int n)
{
	int left = n, err;

	for (int i = 0; i < n; i++)
		w[i].id = -ENOENT;
	err = map_header(k, path);
	if (err)
		return err;
	err = walk(k, 0, w, n, &left);
	if (err) {
		log_debug("kbtf: %s: walking its types failed", path);
		kbtf_close(k);
	}
	return err;
}

int kbtf_map(struct kbtf *k, const char *path)
{
	return map_header(k, path);
}

void kbtf_close(struct kbtf *k)
{
	if (k->base && k->mapped)
		munmap((void *)k->base, k->size);
	else
		free((void *)k->base);
	free(k->every);
	memset(k, 0, sizeof(*k));
}

const struct btf_type *kbtf_type(struct kbtf *k, uint32_t id)
{
	uint32_t off, i;

	if (id > k->ntypes && !k->walked) {
		int none = 0;

		walk(k, id, NULL, 0, &none);
	}
	if (!id || id > k->ntypes)
		return NULL;
	off = k->every[(id - 1) / KBTF_STRIDE];
	for (i = (id - 1) / KBTF_STRIDE * KBTF_STRIDE + 1; i < id; i++)
		off += (uint32_t)rec_size((const struct btf_type *)(k->types + off));
	return (const struct btf_type *)(k->types + off);
}

const char *kbtf_str(const struct kbtf *k, uint32_t off)
{
	/* the section ends in a NUL (checked by the kernel that made it), so any offset inside is a string */
	return off < k->strs_len ? k->strs + off : "";
}

int kbtf_tp_nargs_of(struct kbtf *k, int id)
{
	const struct btf_type *t;

	t = id > 0 ? kbtf_type(k, (uint32_t)id) : NULL;
	t = t ? kbtf_type(k, t->type) : NULL;
	t = t && KIND(t) == BTF_KIND_PTR ? kbtf_type(k, t->type) : NULL;
	if (!t || KIND(t) != BTF_KIND_FUNC_PROTO)
		return -1;
	return VLEN(t) - 1;	/* the first is the tracepoint's void *__data */
}

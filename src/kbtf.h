/* SPDX-License-Identifier: GPL-2.0-only */
/* Lookups in the running kernel's BTF without copying it: the 5+ MB blob is mapped, not read. */
#ifndef AOD_KBTF_H
#define AOD_KBTF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/btf.h>

/*
 * Since 6.16 /sys/kernel/btf/vmlinux can be mapped read-only, and its pages then cost this
 * process no resident memory. Older kernels refuse the mmap; the file is then read into one
 * buffer (what libbpf does, less its second copy). Only type walks and name compares are
 * offered: enough to read a tracepoint's argument count or an enum's names.
 */
struct kbtf {
	const uint8_t *base;		/* whole file */
	size_t size;
	bool mapped;			/* else malloc'd */
	const uint8_t *types;		/* type section */
	uint32_t types_len;
	const char *strs;		/* string section */
	uint32_t strs_len;
	uint32_t ntypes;		/* ids 1..ntypes are indexed */
	uint32_t *every;		/* offset into types of id 1 + i * KBTF_STRIDE */
	uint32_t every_cap;
	uint32_t next_off;		/* where type ntypes + 1 starts */
	bool walked;			/* every type indexed (else kbtf_type indexes on demand) */
};

#define KBTF_STRIDE 64

/* A name to look up while the types are walked: kind and name in, the id out. */
struct kbtf_want {
	const char *name;
	unsigned int kind;
	int id;			/* out: the first match, -ENOENT when none */
};

/*
 * Maps (or reads) the BTF at path and walks its types once, indexing them and answering the n
 * lookups in w (each extra walk would cost ~0.5 ms on a 6.x kernel). 0 or -errno (-ENOENT: no
 * such file; -EINVAL: not BTF, with the reason logged at debug).
 */
int kbtf_open(struct kbtf *k, const char *path, struct kbtf_want *w, int n);
/*
 * Maps (or reads) the BTF at path without walking it: kbtf_type then indexes the types only as
 * far as the id asked for. For when the ids are known already (the kernel found them by name,
 * light_btf_find): the pages after the last type asked for are never touched, where a walk of
 * all ~126 k types touches all of them (each page's first touch costs ~1 us on a guest).
 */
int kbtf_map(struct kbtf *k, const char *path);
void kbtf_close(struct kbtf *k);
/* The type with this id, NULL when out of range (or, after kbtf_map, when a type before it is corrupt). */
const struct btf_type *kbtf_type(struct kbtf *k, uint32_t id);
/* The string at off, "" when out of range. */
const char *kbtf_str(const struct kbtf *k, uint32_t off);
/* Arguments of the raw tracepoint whose btf_trace_<tp> typedef has this id, -1 when unknown. */
int kbtf_tp_nargs_of(struct kbtf *k, int typedef_id);

#endif /* AOD_KBTF_H */

/* SPDX-License-Identifier: GPL-2.0-only */
/* Inflates a BPF object embedded zstd-compressed in a skeleton (see tools/skel_zstd.sh). */
#ifndef AOD_BPFOBJ_H
#define AOD_BPFOBJ_H

#include <stddef.h>
#include <stdlib.h>
#include <zstd.h>

/*
 * Runs while a skeleton is opened, at startup or when the cifs module appears, never per event.
 * The object is inflated once and kept: libbpf may refer to it for the object's lifetime.
 * On failure it returns NULL with *sz 0, and the skeleton's open fails with -ENOMEM.
 */
static inline const void *bpfobj_inflate(void **cache, const unsigned char *z, size_t zlen, size_t raw, size_t *sz)
{
	void *p = *cache;

	*sz = 0;
	if (!p) {
		p = malloc(raw);
		if (!p)
			return NULL;
		if (ZSTD_decompress(p, raw, z, zlen) != raw) {
			free(p);
			return NULL;
		}
		*cache = p;
	}
	*sz = raw;
	return p;
}

#endif /* AOD_BPFOBJ_H */

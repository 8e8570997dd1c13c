/* SPDX-License-Identifier: GPL-2.0-only */
/* One fixed memory arena reserved at startup; aod's own code allocates only from it. */
#ifndef AOD_ARENA_H
#define AOD_ARENA_H

#include <stddef.h>
#include <stdint.h>

struct arena {
	unsigned char *base;
	size_t size;
	size_t used;
	size_t high;		/* high-water mark, for metrics and the manifest */
	uint64_t failures;	/* allocations refused: reported, never a crash */
};

/* Reserve `size` bytes with mmap. Returns 0 or -errno. */
int arena_init(struct arena *a, size_t size);
/* Use caller-provided memory (tests, sub-arenas). */
void arena_init_buffer(struct arena *a, void *buf, size_t size);
void arena_fini(struct arena *a);

/* Zero-filled, aligned; NULL (and failures++) on overflow or exhaustion. */
void *arena_alloc(struct arena *a, size_t size, size_t count, size_t align);
/* Carve a child arena out of the parent, for per-bundle or per-batch scratch. The region is not
 * touched (its pages stay non-resident until the child hands them out, zeroed). */
int arena_sub(struct arena *parent, struct arena *child, size_t size);

static inline size_t arena_mark(const struct arena *a) { return a->used; }
static inline void arena_reset(struct arena *a, size_t mark) { if (mark <= a->used) a->used = mark; }

/* Typed allocation: count objects of type T, overflow checked by division. */
#define arena_new(a, T, n) ((T *)arena_alloc((a), sizeof(T), (n), _Alignof(T)))

#endif /* AOD_ARENA_H */

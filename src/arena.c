// SPDX-License-Identifier: GPL-2.0-only
/* The fixed arena: bump allocation with an overflow check, reset by mark, never freed piecemeal. */
#include "arena.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int arena_init(struct arena *a, size_t size)
{
	void *p;

	memset(a, 0, sizeof(*a));
	if (size == 0)
		return -EINVAL;
	/* Untouched pages cost nothing resident; the reservation bounds what aod can ever use. */
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	a->base = p;
	a->size = size;
	a->zero_from = 0;	/* a fresh anonymous mapping reads as zeros */
	return 0;
}

void arena_init_buffer(struct arena *a, void *buf, size_t size)
{
	memset(a, 0, sizeof(*a));
	a->base = buf;
	a->size = size;
	a->zero_from = size;	/* the caller's memory: nothing known to be zero */
}

void arena_fini(struct arena *a)
{
	if (a->base)
		munmap(a->base, a->size);
	memset(a, 0, sizeof(*a));
}

/* Bump-reserve without touching the memory: the pages of an mmap'd arena stay non-resident. */
void *arena_reserve(struct arena *a, size_t size, size_t count, size_t align)
{
	size_t off, bytes;
	void *p;

	if (align == 0 || (align & (align - 1)))
		align = 16;
	if (count && size > SIZE_MAX / count)
		goto fail;
	bytes = size * count;
	off = (a->used + align - 1) & ~(align - 1);
	if (off < a->used || off > a->size || bytes > a->size - off)
		goto fail;
	p = a->base + off;
	a->used = off + bytes;
	if (a->used > a->high)
		a->high = a->used;
	if (a->used > a->zero_from)
		a->zero_from = a->used;
	return p;
fail:
	a->failures++;
	return NULL;
}

/*
 * Memory never handed out before is still the mapping's zeros: clearing it would only fault its
 * pages in (one page fault each, hundreds at startup), so only the part below zero_from is cleared.
 */
void *arena_alloc(struct arena *a, size_t size, size_t count, size_t align)
{
	size_t clean = a->zero_from;
	unsigned char *p = arena_reserve(a, size, count, align);
	size_t off;

	if (p) {
		off = (size_t)(p - a->base);
		if (off < clean)
			memset(p, 0, (clean - off < size * count ? clean - off : size * count));
	}
	return p;
}

int arena_sub(struct arena *parent, struct arena *child, size_t size)
{
	/* not zeroed here: the child zeroes what it hands out, so a region reserved for the
	 * compressor costs no resident memory until a bundle is written */
	size_t clean = parent->zero_from, off;
	unsigned char *p = arena_reserve(parent, 1, size, 64);

	if (!p)
		return -ENOMEM;
	arena_init_buffer(child, p, size);
	/* what the parent had never handed out is still zero in the child too */
	off = (size_t)(p - parent->base);
	child->zero_from = off >= clean ? 0 : (clean - off < size ? clean - off : size);
	return 0;
}

/* Below this a memset is cheaper than the madvise call. */
#define ARENA_ZERO_MADVISE (16u << 10)

void arena_zero(void *p, size_t len)
{
#ifndef AOD_HOST_BUILD
	uintptr_t pg = (uintptr_t)sysconf(_SC_PAGESIZE), start = (uintptr_t)p, end = start + len;
	uintptr_t lo = (start + pg - 1) & ~(pg - 1), hi = end & ~(pg - 1);

	if (len >= ARENA_ZERO_MADVISE && hi > lo && !madvise((void *)lo, hi - lo, MADV_DONTNEED)) {
		memset(p, 0, lo - start);
		memset((void *)hi, 0, end - hi);
		return;
	}
#endif
	memset(p, 0, len);
}

// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for the arena: overflow by division, alignment, zero fill, reset by mark, exhaustion. */
#include "../../src/arena.c"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"

static _Alignas(64) unsigned char mem[4096];

static int all_zero(const unsigned char *p, size_t n)
{
	while (n--)
		if (*p++)
			return 0;
	return 1;
}

static void test_overflow(void)
{
	struct arena a;
	void *p;

	arena_init_buffer(&a, mem, sizeof(mem));
	/* 2^32 * 2^32 wraps to 0 in 64 bits: a multiply-only check would hand out a 0-byte block */
	p = arena_alloc(&a, (size_t)1 << (sizeof(size_t) * 4), (size_t)1 << (sizeof(size_t) * 4), 8);
	CHECK(p == NULL);
	CHECK(a.failures == 1);
	CHECK(a.used == 0);
	/* wraps to a small number: 2^63 + 8 times 2 is 16 */
	CHECK(arena_alloc(&a, SIZE_MAX / 2 + 9, 2, 8) == NULL);
	CHECK(a.failures == 2);
	CHECK(arena_new(&a, uint64_t, SIZE_MAX / 4) == NULL);
	CHECK(a.failures == 3);
	CHECK(arena_alloc(&a, SIZE_MAX, 1, 1) == NULL);
	CHECK(a.failures == 4 && a.used == 0);
	/* count 0 is a valid empty block, not a failure */
	CHECK(arena_alloc(&a, SIZE_MAX, 0, 8) != NULL);
	CHECK(a.failures == 4);
}

static void test_alignment_and_zero(void)
{
	struct arena a;
	unsigned char *p, *q;
	uint64_t *w;
	size_t i;

	memset(mem, 0xAA, sizeof(mem));
	arena_init_buffer(&a, mem, sizeof(mem));
	p = arena_alloc(&a, 1, 3, 1);
	CHECK(p == mem && a.used == 3);
	CHECK(all_zero(p, 3));
	q = arena_alloc(&a, 1, 10, 64);
	CHECK(q && ((uintptr_t)q % 64) == 0 && q == mem + 64);
	CHECK(all_zero(q, 10));
	CHECK(!all_zero(mem + 3, 61));	/* the gap is not touched: only handed-out bytes are zeroed */
	w = arena_new(&a, uint64_t, 5);
	CHECK(w && ((uintptr_t)w % _Alignof(uint64_t)) == 0);
	for (i = 0; i < 5; i++)
		CHECK(w[i] == 0);
	/* an alignment that is 0 or not a power of two falls back to 16 */
	CHECK(arena_alloc(&a, 1, 1, 1) != NULL);
	p = arena_alloc(&a, 1, 1, 3);
	CHECK(p && ((uintptr_t)p % 16) == 0);
	CHECK(arena_alloc(&a, 1, 1, 1) != NULL);
	p = arena_alloc(&a, 1, 1, 0);
	CHECK(p && ((uintptr_t)p % 16) == 0);
	CHECK(a.failures == 0);
}

static void test_mark_reset(void)
{
	struct arena a;
	size_t mark;
	void *p, *q;

	arena_init_buffer(&a, mem, sizeof(mem));
	CHECK(arena_alloc(&a, 1, 100, 1) != NULL);
	mark = arena_mark(&a);
	CHECK(mark == 100);
	p = arena_alloc(&a, 1, 1000, 16);
	CHECK(p != NULL);
	memset(p, 0x55, 1000);
	CHECK(a.high == a.used && a.used > mark);
	arena_reset(&a, mark);
	CHECK(a.used == mark);
	CHECK(a.high >= mark + 1000);	/* the high-water mark remembers */
	q = arena_alloc(&a, 1, 1000, 16);
	CHECK(q == p);
	CHECK(all_zero(q, 1000));	/* reused memory comes back zeroed */
	/* a mark beyond what is used is ignored, never a way to grow */
	arena_reset(&a, sizeof(mem) + 1);
	CHECK(a.used == mark + 1000 + 12);
	arena_reset(&a, 0);
	CHECK(a.used == 0);
}

static void test_exhaustion(void)
{
	struct arena a, child;
	unsigned char *p;

	arena_init_buffer(&a, mem, sizeof(mem));
	CHECK(arena_alloc(&a, 1, sizeof(mem) - 10, 1) != NULL);
	CHECK(arena_alloc(&a, 1, 11, 1) == NULL);
	CHECK(a.failures == 1 && a.used == sizeof(mem) - 10);
	/* alignment padding that would run past the end also fails */
	CHECK(arena_alloc(&a, 1, 1, 4096) == NULL);
	CHECK(a.failures == 2);
	p = arena_alloc(&a, 1, 10, 1);
	CHECK(p == mem + sizeof(mem) - 10);
	CHECK(a.used == sizeof(mem));
	CHECK(arena_alloc(&a, 1, 1, 1) == NULL);
	CHECK(arena_alloc(&a, 0, 1, 1) != NULL);	/* zero bytes still fit */
	CHECK(a.failures == 3);

	/* sub-arenas: carved from the parent, failures counted where they happen */
	arena_init_buffer(&a, mem, sizeof(mem));
	CHECK(arena_sub(&a, &child, 1024) == 0);
	CHECK(child.base >= mem && child.base + child.size <= mem + sizeof(mem));
	CHECK(((uintptr_t)child.base % 64) == 0);
	CHECK(arena_alloc(&child, 1, 1024, 1) != NULL);
	CHECK(arena_alloc(&child, 1, 1, 1) == NULL);
	CHECK(child.failures == 1 && a.failures == 0);
	CHECK(arena_sub(&a, &child, sizeof(mem)) == -ENOMEM);
	CHECK(a.failures == 1);
}

static void test_mmap(void)
{
	struct arena a;
	unsigned char *p;

	CHECK(arena_init(&a, 0) == -EINVAL);
	CHECK(arena_init(&a, 1 << 20) == 0);
	CHECK(a.base != NULL && a.size == (1 << 20) && a.used == 0);
	p = arena_alloc(&a, 1, 1 << 20, 4096);
	CHECK(p == a.base);
	p[(1 << 20) - 1] = 1;	/* the whole reservation is usable */
	CHECK(arena_alloc(&a, 1, 1, 1) == NULL);
	arena_fini(&a);
	CHECK(a.base == NULL && a.size == 0);
}

/* A sub-arena reserves without touching: an idle daemon's compressor region is not resident. */
static void test_sub_untouched(void)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t len = 2u << 20, i, resident = 0;
	struct arena a, child;
	unsigned char *vec;

	CHECK(arena_init(&a, 4u << 20) == 0);
	CHECK(arena_alloc(&a, 1, 100, 1) != NULL);
	CHECK(arena_sub(&a, &child, len) == 0);
	vec = calloc(len / (size_t)page + 1, 1);
	CHECK(vec && mincore((void *)((uintptr_t)child.base & ~(uintptr_t)(page - 1)), len, vec) == 0);
	for (i = 1; vec && i < len / (size_t)page; i++)	/* page 0 may share the first allocation's page */
		resident += vec[i] & 1;
	CHECK(resident == 0);
	CHECK(child.base && child.base[len - 1] == 0 && arena_alloc(&child, 1, 64, 64));
	free(vec);
	arena_fini(&a);
}

static size_t resident_pages(const unsigned char *p, size_t len)
{
	long page = sysconf(_SC_PAGESIZE);
	unsigned char *vec = calloc(len / (size_t)page + 1, 1);
	size_t i, n = 0;

	CHECK(vec && mincore((void *)p, len, vec) == 0);
	for (i = 0; vec && i < len / (size_t)page; i++)
		n += vec[i] & 1;
	free(vec);
	return n;
}

/*
 * Fresh memory of an mmap'd arena is handed out without being cleared (clearing would fault its
 * pages in); memory handed out before, by the arena or its sub-arenas, comes back zeroed.
 */
static void test_fresh_not_touched(void)
{
	size_t len = 1u << 20;
	struct arena a, child;
	unsigned char *p, *q;
	size_t mark;

	CHECK(arena_init(&a, 4u << 20) == 0);
	p = arena_alloc(&a, 1, len, 4096);
	CHECK(p && resident_pages(p, len) == 0 && all_zero(p, len));
	memset(p, 0xa5, len);
	arena_reset(&a, 0);
	q = arena_alloc(&a, 1, len + 4096, 4096);	/* the dirty megabyte, then a fresh page */
	CHECK(q == p && all_zero(q, len + 4096));
	/* a sub-arena over memory the parent had handed out is cleared as its child hands it out */
	memset(q, 0x5a, len);
	arena_reset(&a, 0);
	mark = a.zero_from;
	CHECK(arena_sub(&a, &child, 2 * len) == 0 && child.base == a.base);
	CHECK(child.zero_from == mark && a.zero_from == 2 * len);
	p = arena_alloc(&child, 1, 2 * len, 1);
	CHECK(p && all_zero(p, 2 * len));
	/* the caller's buffer is never assumed zero */
	memset(mem, 0xff, sizeof(mem));
	arena_init_buffer(&child, mem, sizeof(mem));
	CHECK(all_zero(arena_alloc(&child, 1, sizeof(mem), 1), sizeof(mem)));
	arena_fini(&a);
}

/* arena_zero clears a dirty static buffer, bytes just outside it kept; its whole pages go back unresident. */
static void test_zero(void)
{
	static unsigned char big[(256u << 10) + 8192];
	unsigned char *p = big + 100;
	size_t len = sizeof(big) - 300;

	memset(big, 0x7e, sizeof(big));
	arena_zero(p, len);
#ifndef AOD_HOST_BUILD
	long page = sysconf(_SC_PAGESIZE);
	unsigned char *lo = (unsigned char *)(((uintptr_t)p + (uintptr_t)page - 1) & ~(uintptr_t)(page - 1));

	CHECK(resident_pages(lo, 64u << 10) == 0);	/* before any read: a read maps the zero page */
#endif
	CHECK(all_zero(p, len) && p[-1] == 0x7e && p[len] == 0x7e);
	memset(big, 0x7e, 4096);	/* small: a plain memset, nothing else touched */
	arena_zero(big + 1, 10);
	CHECK(big[0] == 0x7e && all_zero(big + 1, 10) && big[11] == 0x7e);
}

int main(void)
{
	test_overflow();
	test_alignment_and_zero();
	test_mark_reset();
	test_exhaustion();
	test_mmap();
	test_sub_untouched();
	test_fresh_not_touched();
	test_zero();
	return CHECK_DONE();
}

// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for the startup heap: freed blocks reused by size, calloc zeroed, the cap, and the end. */
#undef AOD_HOST_BUILD	/* the module under test, also in the --host (ASan) build of the tests */
#include "../../src/startup_heap.c"

#include <stdlib.h>

#include "check.h"

/* Here the wrappers are called by name and the "real" allocator is the C library's own. */
void *__real_malloc(size_t n) { return malloc(n); }
void *__real_calloc(size_t n, size_t m) { return calloc(n, m); }
void *__real_realloc(void *p, size_t n) { return realloc(p, n); }
void __real_free(void *p) { free(p); }

static void test_reuse(void)
{
	unsigned char *p, *q, *r;
	size_t bytes;

	p = __wrap_malloc(1024);
	CHECK(p && startup_heap_kept(NULL) == 0);
	memset(p, 0x5a, 1024);
	__wrap_free(p);
	CHECK(startup_heap_kept(&bytes) == 1 && bytes >= 1024);
	/* a request that any block of its list fits gets the block back */
	q = __wrap_malloc(1000);
	CHECK(q == p && startup_heap_kept(&bytes) == 1 - 1 && bytes == 0);
	__wrap_free(q);
	/* calloc from a kept block is zeroed */
	r = __wrap_calloc(10, 100);
	CHECK(r == p);
	for (int i = 0; r && i < 1000; i++)
		if (r[i])
			CHECK(!"calloc'd byte not zero");
	/* growing within the block keeps it; past it, a kept block is taken and the old one kept */
	CHECK(__wrap_realloc(r, 500) == r);
	q = __wrap_malloc(8192);
	__wrap_free(q);
	p = __wrap_realloc(r, 4500);
	CHECK(p == q && startup_heap_kept(NULL) == 1 && p[0] == 0 && p[899] == 0);
	/* a small request does not take a block more than twice its size */
	q = __wrap_malloc(16);
	CHECK(q != r && startup_heap_kept(NULL) == 1);
	__wrap_free(q);
	__wrap_free(p);
	CHECK(startup_heap_kept(NULL) == 3);
	CHECK(__wrap_calloc(SIZE_MAX / 2, 4) == NULL);
}

/* Grown a few bytes past its block, a buffer gets one at least twice the size: the next steps stay in it. */
static void test_grow_doubles(void)
{
	unsigned char *p, *q;
	size_t u;

	p = __wrap_malloc(20000);	/* larger than any block kept so far */
	u = malloc_usable_size(p);
	memset(p, 0x33, u);
	q = __wrap_realloc(p, u + 8);
	CHECK(q && malloc_usable_size(q) >= 2 * u && q[0] == 0x33 && q[u - 1] == 0x33);
	CHECK(__wrap_realloc(q, u + 64) == q && __wrap_realloc(q, 2 * u) == q);
	__wrap_free(q);
}

static void test_cap_and_end(void)
{
	void *big[STARTUP_HEAP_KEEP / 65536 + 2];
	size_t bytes, n = sizeof(big) / sizeof(big[0]);

	for (size_t i = 0; i < n; i++)
		big[i] = __wrap_malloc(65536);
	for (size_t i = 0; i < n; i++)
		__wrap_free(big[i]);
	startup_heap_kept(&bytes);
	CHECK(bytes <= STARTUP_HEAP_KEEP && bytes + 65536 * 2 > STARTUP_HEAP_KEEP);
	startup_heap_end();
	CHECK(startup_heap_kept(&bytes) == 0 && bytes == 0);
	/* after the end nothing is kept: freed blocks go back at once */
	big[0] = __wrap_malloc(100);
	__wrap_free(big[0]);
	CHECK(startup_heap_kept(NULL) == 0);
	big[0] = __wrap_realloc(NULL, 10);
	CHECK(big[0] != NULL);
	__wrap_free(big[0]);
}

int main(void)
{
	test_reuse();
	test_grow_doubles();
	test_cap_and_end();
	return CHECK_DONE();
}

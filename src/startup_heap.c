// SPDX-License-Identifier: GPL-2.0-only
/* The startup heap: freed blocks kept by size for reuse until startup is over (see startup_heap.h). */
#ifndef AOD_HOST_BUILD
#include "startup_heap.h"

#include <errno.h>
#include <malloc.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t m);
void *__real_realloc(void *p, size_t n);
void __real_free(void *p);

/* List b holds blocks whose usable size is in [2^b, 2^(b+1)): any of them fits a request of 2^b. */
#define HEAP_LISTS 21	/* blocks up to 2 MiB */
#define HEAP_MIN 16

struct kept {
	struct kept *next;
};

/* aod is one thread (CONVENTIONS.md, "The loop"): no locking. */
static struct kept *lists[HEAP_LISTS];
static size_t kept_bytes, kept_blocks;
static bool ended;

static int floor_log2(size_t n)
{
	return (int)(sizeof(long) * 8 - 1) - __builtin_clzl(n);
}

static void *take(size_t n)
{
	int b;
	struct kept *k;
	size_t u;

	if (n < HEAP_MIN)
		n = HEAP_MIN;
	b = floor_log2(n) + ((n & (n - 1)) != 0);	/* ceil: every block of list b fits */
	/* no bigger than twice that: a large block spent on a small request is missed later */
	for (int last = b + 1; b <= last && b < HEAP_LISTS; b++) {
		if (!(k = lists[b]))
			continue;
		lists[b] = k->next;
		u = malloc_usable_size(k);
		kept_bytes -= u;
		kept_blocks--;
		return k;
	}
	return NULL;
}

/* Keep p for a later request; false when it should go back to musl. */
static bool keep(void *p)
{
	size_t u = malloc_usable_size(p);
	struct kept *k = p;
	int b;

	if (ended || u < HEAP_MIN || kept_bytes + u > STARTUP_HEAP_KEEP)
		return false;
	b = floor_log2(u);
	if (b >= HEAP_LISTS)
		return false;
	k->next = lists[b];
	lists[b] = k;
	kept_bytes += u;
	kept_blocks++;
	return true;
}

void *__wrap_malloc(size_t n)
{
	void *p = ended || !n ? NULL : take(n);

	return p ? p : __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t m)
{
	void *p;

	if (ended || !n || !m)
		return __real_calloc(n, m);
	if (m > SIZE_MAX / n) {
		errno = ENOMEM;
		return NULL;
	}
	p = take(n * m);
	if (!p)
		return __real_calloc(n, m);
	memset(p, 0, n * m);
	return p;
}

void __wrap_free(void *p)
{
	if (p && !keep(p))
		__real_free(p);
}

/*
 * Growing in small steps (libbpf's loader buffers) reuses kept blocks and keeps what it leaves.
 * A block at least doubles: libbpf's loader writer grows its buffers a few bytes at a time,
 * hundreds of reallocs of a 40 KiB buffer per object, each one a copy into fresh pages.
 */
void *__wrap_realloc(void *p, size_t n)
{
	size_t u;
	void *q;

	if (ended || !p || !n)
		return __real_realloc(p, n);
	u = malloc_usable_size(p);
	if (n <= u)
		return p;
	if (n < 2 * u)
		n = 2 * u;
	q = take(n);
	if (!q)
		return __real_realloc(p, n);
	memcpy(q, p, u);
	__wrap_free(p);
	return q;
}

void startup_heap_end(void)
{
	struct kept *k;

	ended = true;
	for (int b = 0; b < HEAP_LISTS; b++)
		while ((k = lists[b])) {
			lists[b] = k->next;
			__real_free(k);
		}
	kept_bytes = kept_blocks = 0;
}

size_t startup_heap_kept(size_t *bytes)
{
	if (bytes)
		*bytes = kept_bytes;
	return kept_blocks;
}
#else
/* The --host build wraps malloc for malloc_guard.c instead. */
typedef int startup_heap_unused;
#endif

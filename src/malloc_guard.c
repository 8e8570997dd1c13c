// SPDX-License-Identifier: GPL-2.0-only
/* The --host build links with -Wl,--wrap=malloc,calloc,realloc; these wrappers count calls made after startup. */
#ifdef AOD_HOST_BUILD
#include "malloc_guard.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t m);
void *__real_realloc(void *p, size_t n);

static int armed, paused;
static unsigned long counted;

void *__wrap_malloc(size_t n)
{
	if (armed && !paused)
		counted++;
	return __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t m)
{
	if (armed && !paused)
		counted++;
	return __real_calloc(n, m);
}

void *__wrap_realloc(void *p, size_t n)
{
	if (armed && !paused)
		counted++;
	return __real_realloc(p, n);
}

void malloc_guard_arm(void) { armed = 1; counted = 0; }
void malloc_guard_pause(void) { paused++; }
void malloc_guard_resume(void) { paused--; }

void malloc_guard_report(const char *what)
{
	armed = 0;
	if (getenv("AOD_MALLOC_REPORT"))
		fprintf(stderr, "malloc-guard: %s: %lu allocations after startup\n", what, counted);
}
#else
/* The static release build has no wrappers: the header turns every call into nothing. */
typedef int malloc_guard_unused;
#endif

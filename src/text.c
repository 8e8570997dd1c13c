// SPDX-License-Identifier: GPL-2.0-only
/* Number parsing and note accumulation, written once for the config-free commands and the actions. */
#include "text.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int text_parse_u32(const char *s, uint32_t *out)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (end == s || *end || *s == '-' || (errno && errno != ERANGE))
		return -EINVAL;
	if (errno == ERANGE || v > UINT32_MAX)
		return -ERANGE;
	*out = (uint32_t)v;
	return 0;
}

void text_note(char *buf, size_t cap, const char *fmt, ...)
{
	size_t len = strlen(buf);
	va_list ap;

	if (len && len + 2 < cap) {
		memcpy(buf + len, "; ", 3);
		len += 2;
	}
	if (len + 1 >= cap)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + len, cap - len, fmt, ap);
	va_end(ap);
}

static unsigned char lower(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

#define DIST_MAX 127

unsigned int text_distance(const char *a, const char *b)
{
	/* Two rows of the classic table on the stack: config names are short, and no malloc. */
	unsigned int prev[DIST_MAX + 1], cur[DIST_MAX + 1];
	size_t la = strnlen(a, DIST_MAX), lb = strnlen(b, DIST_MAX), i, j;

	for (j = 0; j <= lb; j++)
		prev[j] = (unsigned int)j;
	for (i = 1; i <= la; i++) {
		cur[0] = (unsigned int)i;
		for (j = 1; j <= lb; j++) {
			unsigned int sub = prev[j - 1] + (lower((unsigned char)a[i - 1]) != lower((unsigned char)b[j - 1]));
			unsigned int del = prev[j] + 1, ins = cur[j - 1] + 1;

			cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
		}
		memcpy(prev, cur, (lb + 1) * sizeof(prev[0]));
	}
	return prev[lb];
}

const char *text_nearest(const char *bad, const char *const *cands, size_t n, unsigned int *dist)
{
	const char *best = NULL;
	unsigned int d;

	*dist = ~0u;
	for (size_t i = 0; i < n; i++) {
		if (!cands[i])
			continue;
		d = text_distance(bad, cands[i]);
		if (d < *dist)
			*dist = d, best = cands[i];
	}
	return best;
}

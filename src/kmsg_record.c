// SPDX-License-Identifier: GPL-2.0-only
/* The /dev/kmsg record format: header fields, continuation flag and the kernel's \xNN escapes. */
#include "kmsg_record.h"

#include <errno.h>
#include <string.h>

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The kernel escapes control bytes, bytes >= 127 and '\' itself as \xNN. */
static size_t unescape(const char *s, size_t n, char *out, size_t cap)
{
	size_t i = 0, o = 0;
	int hi, lo;

	while (i < n && o + 1 < cap) {
		if (s[i] == '\\' && i + 3 < n && s[i + 1] == 'x' && (hi = hexval(s[i + 2])) >= 0 &&
		    (lo = hexval(s[i + 3])) >= 0) {
			out[o++] = (char)(hi << 4 | lo);
			i += 4;
		} else {
			out[o++] = s[i++];
		}
	}
	out[o] = 0;
	return o;
}

static int parse_u64(const char **p, const char *end, uint64_t *v)
{
	const char *s = *p;
	uint64_t x = 0;

	if (s >= end || *s < '0' || *s > '9')
		return -EINVAL;
	while (s < end && *s >= '0' && *s <= '9')
		x = x * 10 + (uint64_t)(*s++ - '0');
	*v = x;
	*p = s;
	return 0;
}

int kmsg_parse(const char *buf, size_t len, struct kmsg_record *out)
{
	const char *p = buf, *end = buf + len, *semi, *nl;
	uint64_t prio;

	memset(out, 0, offsetof(struct kmsg_record, text));
	out->text[0] = 0;
	semi = memchr(buf, ';', len);
	if (!semi || parse_u64(&p, semi, &prio) || *p++ != ',' || parse_u64(&p, semi, &out->seq) ||
	    *p++ != ',' || parse_u64(&p, semi, &out->usec) || *p++ != ',')
		return -EINVAL;
	out->level = (int)(prio & 7);
	out->facility = (int)(prio >> 3);
	/* flags: '-' normal, 'c' continuation start, '+' continuation; more fields may follow a ',' */
	out->cont = p < semi && (*p == 'c' || *p == '+');
	p = semi + 1;
	nl = memchr(p, '\n', (size_t)(end - p));
	out->len = unescape(p, (size_t)((nl ? nl : end) - p), out->text, sizeof(out->text));
	return 0;
}

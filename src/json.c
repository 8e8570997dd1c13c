// SPDX-License-Identifier: GPL-2.0-only
/* A tiny JSON writer into a fixed buffer; pretty-printed because humans read manifests too. */
#include "json.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void json_init(struct json *j, char *buf, size_t cap)
{
	memset(j, 0, sizeof(*j));
	j->buf = buf;
	j->cap = cap;
	j->first[0] = true;
}

void json_init_line(struct json *j, char *buf, size_t cap)
{
	json_init(j, buf, cap);
	j->oneline = true;
}

static void jput(struct json *j, const char *s, size_t n)
{
	/* One byte is always kept back for the NUL of json_finish. */
	if (j->overflow || n >= j->cap - j->len) {
		j->overflow = true;
		return;
	}
	memcpy(j->buf + j->len, s, n);
	j->len += n;
}

static void jputs(struct json *j, const char *s) { jput(j, s, strlen(s)); }

static void newline(struct json *j)
{
	static const char spaces[] = "                                ";
	int n = j->depth * 2;

	jput(j, "\n", 1);
	jput(j, spaces, (size_t)n < sizeof(spaces) - 1 ? (size_t)n : sizeof(spaces) - 1);
}

/* Length of the valid UTF-8 sequence at p, 0 when the bytes are not one (overlong forms,
 * surrogates and code points past U+10FFFF included: strict RFC 3629). */
static size_t utf8_len(const unsigned char *p, size_t n)
{
	uint32_t cp;
	size_t len, i;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2, cp = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3, cp = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4, cp = p[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

static size_t escape_one(char *tmp, const unsigned char *p, size_t n, size_t *used)
{
	size_t l;

	*used = 1;
	switch (p[0]) {
	case '"': memcpy(tmp, "\\\"", 2); return 2;
	case '\\': memcpy(tmp, "\\\\", 2); return 2;
	case '\n': memcpy(tmp, "\\n", 2); return 2;
	case '\r': memcpy(tmp, "\\r", 2); return 2;
	case '\t': memcpy(tmp, "\\t", 2); return 2;
	case '\b': memcpy(tmp, "\\b", 2); return 2;
	case '\f': memcpy(tmp, "\\f", 2); return 2;
	}
	if (p[0] < 0x20 || p[0] == 0x7f)
		return (size_t)snprintf(tmp, 8, "\\u%04x", p[0]);
	l = utf8_len(p, n);
	if (l == 0) {
		/* A byte that is not UTF-8 (a comm or path from the kernel can hold anything). */
		memcpy(tmp, "\\ufffd", 6);
		return 6;
	}
	memcpy(tmp, p, l);
	*used = l;
	return l;
}

size_t json_escape(char *out, size_t cap, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t need = 0, w = 0, i = 0, used, k;
	bool full = false;
	char tmp[8];

	while (i < n) {
		k = escape_one(tmp, p + i, n - i, &used);
		/* Never split an escape: stop writing at the first one that does not fit. */
		if (!full && cap && w + k < cap) {
			memcpy(out + w, tmp, k);
			w += k;
		} else {
			full = true;
		}
		need += k;
		i += used;
	}
	if (cap)
		out[w] = '\0';
	return need;
}

static void put_escaped(struct json *j, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, used, k;
	char tmp[8];

	jput(j, "\"", 1);
	while (i < n && !j->overflow) {
		k = escape_one(tmp, p + i, n - i, &used);
		jput(j, tmp, k);
		i += used;
	}
	jput(j, "\"", 1);
}

/* Comma, indentation and "key": before every value. */
static void member(struct json *j, const char *key)
{
	if (!j->first[j->depth])
		jput(j, j->oneline ? ", " : ",", j->oneline ? 2 : 1);
	j->first[j->depth] = false;
	if (j->depth > 0 && !j->oneline)
		newline(j);
	if (key) {
		put_escaped(j, key, strlen(key));
		jput(j, ": ", 2);
	}
}

static void open_(struct json *j, const char *key, const char *brace)
{
	member(j, key);
	jputs(j, brace);
	if (j->depth + 1 >= JSON_MAX_DEPTH) {
		j->overflow = true;
		return;
	}
	j->depth++;
	j->first[j->depth] = true;
}

static void close_(struct json *j, const char *brace)
{
	bool empty;

	if (j->depth == 0) {
		j->overflow = true;
		return;
	}
	empty = j->first[j->depth];
	j->depth--;
	if (!empty && !j->oneline)
		newline(j);
	jputs(j, brace);
}

void json_obj_begin(struct json *j, const char *key) { open_(j, key, "{"); }
void json_obj_end(struct json *j) { close_(j, "}"); }
void json_arr_begin(struct json *j, const char *key) { open_(j, key, "["); }
void json_arr_end(struct json *j) { close_(j, "]"); }

void json_strn(struct json *j, const char *key, const char *s, size_t n)
{
	member(j, key);
	put_escaped(j, s, n);
}

void json_str(struct json *j, const char *key, const char *s)
{
	if (!s) {
		json_null(j, key);
		return;
	}
	json_strn(j, key, s, strlen(s));
}

static void number(struct json *j, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void number(struct json *j, const char *key, const char *fmt, ...)
{
	char tmp[48];
	va_list ap;
	int n;

	member(j, key);
	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	jput(j, tmp, n > 0 ? (size_t)n : 0);
}

void json_u64(struct json *j, const char *key, uint64_t v) { number(j, key, "%llu", (unsigned long long)v); }
void json_i64(struct json *j, const char *key, int64_t v) { number(j, key, "%lld", (long long)v); }
void json_bool(struct json *j, const char *key, bool v) { member(j, key); jputs(j, v ? "true" : "false"); }
void json_null(struct json *j, const char *key) { member(j, key); jputs(j, "null"); }

void json_fixed(struct json *j, const char *key, uint64_t v, unsigned decimals)
{
	uint64_t div = 1;
	unsigned i;

	if (decimals > 18)
		decimals = 18;
	for (i = 0; i < decimals; i++)
		div *= 10;
	if (decimals == 0)
		json_u64(j, key, v);
	else
		number(j, key, "%llu.%0*llu", (unsigned long long)(v / div), (int)decimals,
		       (unsigned long long)(v % div));
}

int json_finish(struct json *j)
{
	if (j->depth != 0)
		j->overflow = true;
	jput(j, "\n", 1);
	if (j->cap)
		j->buf[j->len < j->cap ? j->len : j->cap - 1] = '\0';
	return j->overflow ? -ENOSPC : (int)j->len;
}

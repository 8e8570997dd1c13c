/* SPDX-License-Identifier: GPL-2.0-only */
/* A tiny JSON writer into a caller's fixed buffer: no allocation, escaping done right. */
#ifndef AOD_JSON_H
#define AOD_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JSON_MAX_DEPTH 16

struct json {
	char *buf;
	size_t cap, len;
	bool overflow;			/* something did not fit: json_finish says -ENOSPC */
	bool oneline;			/* JSON lines: members on one line, ", " between them */
	int depth;
	bool first[JSON_MAX_DEPTH];	/* no member written yet at this depth */
};

void json_init(struct json *j, char *buf, size_t cap);
/* The same writer for one JSON line per record (aod trace): no newlines or indentation. */
void json_init_line(struct json *j, char *buf, size_t cap);
/* key is the member name inside an object, NULL inside an array or at the top. */
void json_obj_begin(struct json *j, const char *key);
void json_obj_end(struct json *j);
void json_arr_begin(struct json *j, const char *key);
void json_arr_end(struct json *j);
void json_str(struct json *j, const char *key, const char *s);
void json_strn(struct json *j, const char *key, const char *s, size_t n);
void json_u64(struct json *j, const char *key, uint64_t v);
void json_i64(struct json *j, const char *key, int64_t v);
void json_bool(struct json *j, const char *key, bool v);
void json_null(struct json *j, const char *key);
/* v / 10^decimals as an exact decimal number (latency_ms from ns: decimals 6). */
void json_fixed(struct json *j, const char *key, uint64_t v, unsigned decimals);
/* NUL-terminates; returns the length, or -ENOSPC when the buffer was too small. */
int json_finish(struct json *j);
/* Escape s (n bytes) as a JSON string body into out (NUL-terminated); returns the length
 * it needed, like snprintf. */
size_t json_escape(char *out, size_t cap, const char *s, size_t n);

#endif /* AOD_JSON_H */

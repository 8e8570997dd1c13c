// SPDX-License-Identifier: GPL-2.0-only
/* The config reader's YAML layer: typed reads of libyaml nodes (numbers, words, booleans, key checks) and the
 * syntax and depth checks, every message at file:line:col. It knows no key of aod's schema (config.c). */
#include "config_yaml.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "array.h"
#include "names.h"

/* aod's schema nests fewer than 10 levels; libyaml's loader is quadratic in depth, so refuse before it runs */
#define CONFIG_MAX_DEPTH 32

/* snprintf for messages and paths, where cutting a long name short is the intended behaviour. */
__attribute__((format(printf, 3, 4)))
void bprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, size, fmt, ap);
	va_end(ap);
}

/* ---- diagnostics ---- */

static void __attribute__((format(printf, 4, 0)))
vreport(struct ctx *c, const yaml_mark_t *m, const char *kind, const char *fmt, va_list ap)
{
	if (!c->diag)
		return;
	fprintf(c->diag, "%s:%zu:%zu: %s", c->file, m->line + 1, m->column + 1, kind);
	vfprintf(c->diag, fmt, ap);
	fputc('\n', c->diag);
}

__attribute__((format(printf, 3, 4)))
void cerr(struct ctx *c, const yaml_node_t *n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(c, &n->start_mark, "", fmt, ap);
	va_end(ap);
	c->nerr++;
}

__attribute__((format(printf, 3, 4)))
void cwarn(struct ctx *c, const yaml_node_t *n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(c, &n->start_mark, "warning: ", fmt, ap);
	va_end(ap);
	c->nwarn++;
}

/* ---- nodes ---- */

yaml_node_t *node(struct ctx *c, int i)
{
	return yaml_document_get_node(c->doc, i);
}

const char *sval(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

/* `key:` with nothing after it; YAML calls that null, AODv2's action mappings use it for quick actions. */
bool is_empty(const yaml_node_t *n)
{
	const char *s = sval(n);

	if (!s)
		return false;
	if (!*s)
		return true;
	return n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	       (!strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") || !strcmp(s, "NULL"));
}

const char *describe(const yaml_node_t *n)
{
	if (n->type == YAML_MAPPING_NODE)
		return "a mapping";
	if (n->type == YAML_SEQUENCE_NODE)
		return "a list";
	return is_empty(n) ? "empty" : "a scalar";
}

void join(char *out, const char *parent, const char *key)
{
	bprintf(out, PATH_LEN, "%s%s%s", parent, *parent ? "." : "", key);
}

/* "in anomalies.smb.latency" or "at the top level", for messages about keys. */
const char *in_path(char *buf, const char *path)
{
	if (!*path)
		return "at the top level";
	bprintf(buf, PATH_LEN + 4, "in %s", path);
	return buf;
}

/* 1 for a mapping, 0 for an empty value (nothing to do), -1 after reporting a wrong type. */
int want_map(struct ctx *c, const yaml_node_t *n, const char *path)
{
	if (n->type == YAML_MAPPING_NODE)
		return 1;
	if (is_empty(n))
		return 0;
	cerr(c, n, "%s must be a mapping, not %s", *path ? path : "the config", describe(n));
	return -1;
}

int want_seq(struct ctx *c, const yaml_node_t *n, const char *path)
{
	if (n->type == YAML_SEQUENCE_NODE)
		return 1;
	if (is_empty(n))
		return 0;
	cerr(c, n, "%s must be a list, not %s", path, describe(n));
	return -1;
}

bool in_list(const char *s, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(s, list[i]))
			return true;
	return false;
}

/* Every key known, none twice. Unknown keys are errors with the nearest known one as a hint. */
void check_keys(struct ctx *c, const yaml_node_t *map, const char *const *keys, size_t n, const char *path)
{
	char buf[PATH_LEN + 4];

	FOR_PAIRS(map, p) {
		const yaml_node_t *k = node(c, p->key);
		const char *name = sval(k), *hint;

		if (!name) {
			cerr(c, k, "keys %s must be scalars, not %s", in_path(buf, path), describe(k));
			continue;
		}
		for (yaml_node_pair_t *q = map->data.mapping.pairs.start; q < p; q++) {
			const yaml_node_t *qk = node(c, q->key);

			if (sval(qk) && !strcmp(sval(qk), name)) {
				cerr(c, k, "duplicate key '%s' %s (first at line %zu)", name, in_path(buf, path),
				     qk->start_mark.line + 1);
				break;
			}
		}
		if (in_list(name, keys, n))
			continue;
		hint = names_nearest(name, keys, n);
		if (hint)
			cerr(c, k, "unknown key '%s' %s (did you mean '%s'?)", name, in_path(buf, path), hint);
		else
			cerr(c, k, "unknown key '%s' %s", name, in_path(buf, path));
	}
}

/* The value of key in map (its first occurrence), and optionally the key node itself. */
yaml_node_t *get(struct ctx *c, const yaml_node_t *map, const char *key, yaml_node_t **keynode)
{
	FOR_PAIRS(map, p) {
		yaml_node_t *k = node(c, p->key);

		if (sval(k) && !strcmp(sval(k), key)) {
			if (keynode)
				*keynode = k;
			return node(c, p->value);
		}
	}
	return NULL;
}

/* ---- scalars ---- */

const char *want_scalar(struct ctx *c, const yaml_node_t *n, const char *path)
{
	if (n->type != YAML_SCALAR_NODE) {
		cerr(c, n, "%s must be a scalar, not %s", path, describe(n));
		return NULL;
	}
	if (is_empty(n)) {
		cerr(c, n, "%s needs a value", path);
		return NULL;
	}
	return sval(n);
}

bool get_uint(struct ctx *c, const yaml_node_t *n, const char *path, uint64_t min, uint64_t max,
		     uint64_t *out)
{
	const char *s = want_scalar(c, n, path);
	char *end;
	unsigned long long v;

	if (!s)
		return false;
	if (s[0] == '-' && s[1] >= '0' && s[1] <= '9') {
		cerr(c, n, "%s must not be negative, got '%s'", path, s);
		return false;
	}
	errno = 0;
	v = strtoull(s, &end, 10);
	if (s[0] < '0' || s[0] > '9' || *end) {
		cerr(c, n, "%s must be a whole number, got '%s'", path, s);
		return false;
	}
	if (errno == ERANGE || v < min || v > max) {
		cerr(c, n, "%s must be between %llu and %llu, got '%s'", path, (unsigned long long)min,
		     (unsigned long long)max, s);
		return false;
	}
	*out = v;
	return true;
}

bool get_u32(struct ctx *c, const yaml_node_t *n, const char *path, uint32_t min, uint32_t max,
		    uint32_t *out)
{
	uint64_t v;

	if (!get_uint(c, n, path, min, max, &v))
		return false;
	*out = (uint32_t)v;
	return true;
}

/* A number that may have a fraction (AODv2 writes max_total_log_size_mb: 0.5). */
bool get_num(struct ctx *c, const yaml_node_t *n, const char *path, double min, double max, double *out)
{
	const char *s = want_scalar(c, n, path);
	char *end;
	double v;

	if (!s)
		return false;
	errno = 0;
	v = strtod(s, &end);
	if (*end || end == s || !isfinite(v) || !((s[0] >= '0' && s[0] <= '9') || s[0] == '-' || s[0] == '.' ||
						   s[0] == '+')) {
		cerr(c, n, "%s must be a number, got '%s'", path, s);
		return false;
	}
	if (v < 0 && min >= 0) {
		cerr(c, n, "%s must not be negative, got '%s'", path, s);
		return false;
	}
	if (v < min || v > max) {
		cerr(c, n, "%s must be between %g and %g, got '%s'", path, min, max, s);
		return false;
	}
	*out = v;
	return true;
}

bool get_bool(struct ctx *c, const yaml_node_t *n, const char *path, bool *out)
{
	static const char *const yes[] = { "true", "yes", "on", "1" }, *const no[] = { "false", "no", "off", "0" };
	const char *s = want_scalar(c, n, path);

	if (!s)
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		if (!strcasecmp(s, yes[i]) || !strcasecmp(s, no[i])) {
			*out = !strcasecmp(s, yes[i]);
			return true;
		}
	}
	cerr(c, n, "%s must be true or false, got '%s'", path, s);
	return false;
}

bool get_str(struct ctx *c, const yaml_node_t *n, const char *path, char *buf, size_t size)
{
	const char *s = want_scalar(c, n, path);

	if (!s)
		return false;
	if (strlen(s) >= size) {
		cerr(c, n, "%s is too long (at most %zu characters)", path, size - 1);
		return false;
	}
	strcpy(buf, s);
	return true;
}

/* One word out of a fixed set, any case; the index or -1 after an error with a hint. */
int get_word(struct ctx *c, const yaml_node_t *n, const char *path, const char *what,
		    const char *const *words, size_t nwords)
{
	const char *s = want_scalar(c, n, path), *hint;

	if (!s)
		return -1;
	for (size_t i = 0; i < nwords; i++)
		if (!strcasecmp(s, words[i]))
			return (int)i;
	hint = names_nearest(s, words, nwords);
	if (hint)
		cerr(c, n, "unknown %s '%s' in %s (did you mean '%s'?)", what, s, path, hint);
	else
		cerr(c, n, "unknown %s '%s' in %s", what, s, path);
	return -1;
}

void report_syntax(struct ctx *c, const yaml_parser_t *p)
{
	const yaml_mark_t *m = &p->problem_mark;

	if (p->error == YAML_MEMORY_ERROR) {
		if (c->diag)
			fprintf(c->diag, "%s: out of memory while parsing\n", c->file);
	} else if (c->diag) {
		fprintf(c->diag, "%s:%zu:%zu: YAML syntax error: %s", c->file, m->line + 1, m->column + 1,
			p->problem ? p->problem : "unknown problem");
		if (p->context)
			fprintf(c->diag, " (%s at line %zu)", p->context, p->context_mark.line + 1);
		fputc('\n', c->diag);
	}
	c->nerr++;
}

/* Walk the events once, refusing at the first collection past CONFIG_MAX_DEPTH: a HUP with a deeply nested file
 * would otherwise spend minutes in yaml_parser_load inside the loop. A syntax error is left for the loader to report. */
int check_depth(struct ctx *c, const char *buf, size_t len)
{
	yaml_parser_t p;
	yaml_event_t ev;
	int depth = 0, err = 0;
	bool done = false;

	if (!yaml_parser_initialize(&p))
		return -ENOMEM;
	yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);
	while (!done && !err && yaml_parser_parse(&p, &ev)) {
		if (ev.type == YAML_SEQUENCE_START_EVENT || ev.type == YAML_MAPPING_START_EVENT)
			depth++;
		else if (ev.type == YAML_SEQUENCE_END_EVENT || ev.type == YAML_MAPPING_END_EVENT)
			depth--;
		done = ev.type == YAML_STREAM_END_EVENT;
		if (depth > CONFIG_MAX_DEPTH) {
			if (c->diag)
				fprintf(c->diag, "%s:%zu:%zu: nesting deeper than %d levels (the limit); aod's keys need "
					"fewer than 10: flatten the file\n", c->file, ev.start_mark.line + 1,
					ev.start_mark.column + 1, CONFIG_MAX_DEPTH);
			c->nerr++;
			err = -EINVAL;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
	return err;
}
